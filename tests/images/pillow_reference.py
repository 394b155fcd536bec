#!/usr/bin/python3
"""Live Pillow (and transcribed torchvision 0.14) reference for tests/images/*_test.cpp.

Usage: pillow_reference.py JOBS RESULTS
JOBS holds one JSON object per line, each with an "id" and an "op"; RESULTS gets one line per job,
"id value...", in order. Images travel as raw HWC bytes in files (mode "L" or "RGB").

ops:
  make_image   path, format (JPEG|PNG), mode, w, h, seed, [smooth], plus Pillow save options
               (quality, subsampling, progressive, bits)                       -> "id ok"
  make_png     path, w, h, bit_depth, color_type, seed, [interlace], [palette_size], [trns]:
               a PNG written here byte by byte (16-bit, 1/2/4-bit, short PLTE, Adam7), which
               Pillow cannot write                                               -> "id ok"
  decode       path, mode (RGB|L), [scale]: Image.open(path) [draft(mode, W//s x H//s)]
               .convert(mode) written to out                                    -> "id W H"
  resize       in, w, h, mode, size [W, H], filter, [box], [crop]: Image.frombytes(...)
               [.crop(crop)].resize(size, filter, box) written to out           -> "id W H"
  eval         in, w, h, mode, crop, crop_pct, filter: torchvision Resize(floor(crop/crop_pct))
               + CenterCrop(crop), transcribed, on Pillow                        -> "id W H"
  center_crop  in, w, h, mode, cw, ch: torchvision center_crop (pad with 0 then crop)
  rrc          w, h, draws, scale, ratio: RandomResizedCrop.get_params with torch's random calls
               replaced by the given uniforms in [0, 1)                          -> "id i j h w"
  augment      in, w, h, mode, name, [arg], [filter], [fill]: one of timm's RandAugment ops
               (auto_augment.py) as timm calls Pillow; fill is an int for "L", a list for "RGB"
               written to out                                                   -> "id W H"
  rand_augment in, w, h, mode, draws, n, m, mstd, mmax, p, increasing, filter, fill: timm's
               RandAugment(AugmentOp...) with numpy's and Python's random calls replaced by the
               given uniforms (order documented in images/rand_augment.h), written to out
                                                      -> "id W H name:applied:magnitude:arg ..."
"""
import json
import math
import random
import struct
import sys
import zlib

from PIL import Image, ImageEnhance, ImageFilter, ImageOps

FILTERS = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC}


def pattern(w, h, channels, seed, smooth=False):
    """Gradients, a hard-edged block and (unless smooth) noise: bytes, HWC."""
    rnd = random.Random(seed)
    out = bytearray(w * h * channels)
    i = 0
    for y in range(h):
        for x in range(w):
            block = w // 4 <= x < w // 2 and h // 3 <= y < 2 * h // 3
            for c in range(channels):
                v = (x * (3 + c) * 255 // max(w, 1) + y * (5 - c) * 255 // max(h, 1)) // 4 + 40 * c
                if block:
                    v = 250 if (c % 2 == 0) else 5
                if not smooth:
                    v += rnd.randint(-30, 30)
                out[i] = min(max(v, 0), 255)
                i += 1
    return bytes(out)


def make_image(job):
    w, h, mode = job["w"], job["h"], job["mode"]
    smooth = job.get("smooth", False)
    if mode == "P":
        im = Image.frombytes("RGB", (w, h), pattern(w, h, 3, job["seed"], smooth)).quantize(colors=job.get("colors", 256))
    elif mode == "1":
        im = Image.frombytes("L", (w, h), pattern(w, h, 1, job["seed"], smooth)).convert("1")
    else:
        im = Image.frombytes(mode, (w, h), pattern(w, h, len(mode), job["seed"], smooth))
    options = {k: job[k] for k in ("quality", "subsampling", "progressive", "bits") if k in job}
    im.save(job["path"], job["format"], **options)
    return "ok"


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def make_png(job):
    w, h, depth, ctype = job["w"], job["h"], job["bit_depth"], job["color_type"]
    rnd = random.Random(job["seed"])
    samples = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype]
    top = (1 << depth) - 1
    if ctype == 3:
        top = min(top, job.get("palette_size", 256) + job.get("beyond_palette", 0) - 1)
    if ctype == 0 and depth == 16:
        top = 600  # mostly above 255: Pillow clamps 16-bit grey

    pixels = [[tuple(rnd.randint(0, top) for _ in range(samples)) for _ in range(w)] for _ in range(h)]

    def pack_row(row):
        if depth == 16:
            return b"".join(struct.pack(">%dH" % samples, *p) for p in row)
        if depth == 8:
            return bytes(v for p in row for v in p)
        bits = 0
        nbits = 0
        out = bytearray()
        for p in row:
            for v in p:
                bits = (bits << depth) | v
                nbits += depth
                if nbits == 8:
                    out.append(bits)
                    bits = nbits = 0
        if nbits:
            out.append(bits << (8 - nbits))
        return bytes(out)

    raw = bytearray()
    if job.get("interlace"):
        passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
        for x0, y0, dx, dy in passes:
            if x0 >= w or y0 >= h:
                continue
            for y in range(y0, h, dy):
                raw += b"\0" + pack_row(pixels[y][x0::dx])
    else:
        for y in range(h):
            raw += b"\0" + pack_row(pixels[y])

    data = b"\x89PNG\r\n\x1a\n"
    data += png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, 1 if job.get("interlace") else 0))
    if ctype == 3:
        n = job.get("palette_size", 1 << depth)
        data += png_chunk(b"PLTE", bytes(rnd.randint(0, 255) for _ in range(3 * n)))
        if job.get("trns"):
            data += png_chunk(b"tRNS", bytes(rnd.randint(0, 255) for _ in range(n)))
    if job.get("text_chunks"):  # ancillary chunks before the image data: tEXt and an unknown one
        data += png_chunk(b"tEXt", b"Comment\0metasweep") + png_chunk(b"msWp", b"\x01\x02\x03")
    if "raw_bytes" in job:  # compressed data that ends early: only this many bytes of the scanlines
        raw = raw[: job["raw_bytes"]]
    compressed = zlib.compress(bytes(raw), 6)
    if "idat_split" in job:  # a last IDAT holding only the stream's final idat_split bytes
        data += png_chunk(b"IDAT", compressed[: -job["idat_split"]])
        data += png_chunk(b"IDAT", compressed[-job["idat_split"]:])
    else:
        data += png_chunk(b"IDAT", compressed)
    if job.get("text_after"):  # an ancillary chunk after the image data
        data += png_chunk(b"tEXt", b"Comment\0after the pixels")
    data += png_chunk(b"IEND", b"")
    with open(job["path"], "wb") as f:
        f.write(data)
    return "ok"


def load_raw(job):
    with open(job["in"], "rb") as f:
        return Image.frombytes(job["mode"], (job["w"], job["h"]), f.read())


def save_raw(im, job):
    with open(job["out"], "wb") as f:
        f.write(im.tobytes())
    return "%d %d" % im.size


def decode(job):
    im = Image.open(job["path"])
    s = job.get("scale", 1)
    if s > 1:
        w, h = im.size
        im.draft(im.mode, (w // s, h // s))
        if im.size != ((w + s - 1) // s, (h + s - 1) // s):
            raise RuntimeError("draft did not pick scale 1/%d: %s" % (s, im.size))
    return save_raw(im.convert(job["mode"]), job)


def decode_or_refuse(job):  # Pillow's verdict on a damaged file: its pixels, or "refused" and why
    try:
        return decode(job)
    except Exception as e:  # noqa: BLE001 (torchvision's loader fails on any exception alike)
        return "refused %s" % type(e).__name__


def resize(job):
    im = load_raw(job)
    if job.get("crop"):
        im = im.crop(tuple(job["crop"]))
    box = tuple(job["box"]) if job.get("box") else None
    return save_raw(im.resize(tuple(job["size"]), FILTERS[job["filter"]], box), job)


def tv_center_crop(img, crop_height, crop_width):
    image_width, image_height = img.size
    if crop_width > image_width or crop_height > image_height:
        left = (crop_width - image_width) // 2 if crop_width > image_width else 0
        top = (crop_height - image_height) // 2 if crop_height > image_height else 0
        right = (crop_width - image_width + 1) // 2 if crop_width > image_width else 0
        bottom = (crop_height - image_height + 1) // 2 if crop_height > image_height else 0
        padded = Image.new(img.mode, (image_width + left + right, image_height + top + bottom), 0)
        padded.paste(img, (left, top))
        img = padded
        image_width, image_height = img.size
        if crop_width == image_width and crop_height == image_height:
            return img
    crop_top = int(round((image_height - crop_height) / 2.0))
    crop_left = int(round((image_width - crop_width) / 2.0))
    return img.crop((crop_left, crop_top, crop_left + crop_width, crop_top + crop_height))


def tv_resize_shorter(img, size, interpolation):
    w, h = img.size
    short, long = (w, h) if w <= h else (h, w)
    if short == size:
        return img
    new_short, new_long = size, int(size * long / short)
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    return img.resize((new_w, new_h), interpolation)


def eval_transform(job):
    im = load_raw(job)
    size = int(math.floor(job["crop"] / job["crop_pct"]))
    im = tv_resize_shorter(im, size, FILTERS[job["filter"]])
    return save_raw(tv_center_crop(im, job["crop"], job["crop"]), job)


def center_crop(job):
    return save_raw(tv_center_crop(load_raw(job), job["ch"], job["cw"]), job)


def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def rrc(job):
    """torchvision 0.14 RandomResizedCrop.get_params; torch.empty(1).uniform_(a, b) (float32) and
    torch.randint(0, n) replaced by the job's uniforms, mapped as the C++ code documents."""
    width, height = job["w"], job["h"]
    scale, ratio = job["scale"], job["ratio"]
    draws = iter(job["draws"])
    area = height * width
    log_ratio = [f32(math.log(f32(r))) for r in ratio]

    def uniform(lo, hi):
        return f32(lo + (hi - lo) * next(draws))

    def randint(n):
        return min(max(int(next(draws) * n), 0), n - 1)

    for _ in range(10):
        target_area = area * uniform(f32(scale[0]), f32(scale[1]))
        aspect_ratio = f32(math.exp(uniform(log_ratio[0], log_ratio[1])))
        w = int(round(math.sqrt(target_area * aspect_ratio)))
        h = int(round(math.sqrt(target_area / aspect_ratio)))
        if 0 < w <= width and 0 < h <= height:
            i = randint(height - h + 1)
            j = randint(width - w + 1)
            return "%d %d %d %d" % (i, j, h, w)
    in_ratio = float(width) / float(height)
    if in_ratio < min(ratio):
        w = width
        h = int(round(w / min(ratio)))
    elif in_ratio > max(ratio):
        h = height
        w = int(round(h * max(ratio)))
    else:
        w = width
        h = height
    i = (height - h) // 2
    j = (width - w) // 2
    return "%d %d %d %d" % (i, j, h, w)


# timm/data/auto_augment.py (0.6 / 0.9), transcribed: the ops exactly as timm calls Pillow.
def timm_solarize_add(img, add, thresh=128):
    lut = []
    for i in range(256):
        if i < thresh:
            lut.append(min(255, i + add))
        else:
            lut.append(i)
    if img.mode == "RGB":
        lut = lut + lut + lut
    return img.point(lut)


def timm_posterize(img, bits_to_keep):
    if bits_to_keep >= 8:
        return img
    return ImageOps.posterize(img, bits_to_keep)


def timm_op(img, name, arg, resample, fill):
    if name == "auto_contrast":
        return ImageOps.autocontrast(img)
    if name == "equalize":
        return ImageOps.equalize(img)
    if name == "invert":
        return ImageOps.invert(img)
    if name == "posterize":
        return timm_posterize(img, arg)
    if name == "solarize":
        return ImageOps.solarize(img, arg)
    if name == "solarize_add":
        return timm_solarize_add(img, arg)
    if name == "color":
        return ImageEnhance.Color(img).enhance(arg)
    if name == "contrast":
        return ImageEnhance.Contrast(img).enhance(arg)
    if name == "brightness":
        return ImageEnhance.Brightness(img).enhance(arg)
    if name == "sharpness":
        return ImageEnhance.Sharpness(img).enhance(arg)
    if name == "rotate":
        return img.rotate(arg, resample=resample, fillcolor=fill)
    if name == "shear_x":
        return img.transform(img.size, Image.AFFINE, (1, arg, 0, 0, 1, 0), resample=resample, fillcolor=fill)
    if name == "shear_y":
        return img.transform(img.size, Image.AFFINE, (1, 0, 0, arg, 1, 0), resample=resample, fillcolor=fill)
    if name == "translate_x":
        return img.transform(img.size, Image.AFFINE, (1, 0, arg, 0, 1, 0), resample=resample, fillcolor=fill)
    if name == "translate_y":
        return img.transform(img.size, Image.AFFINE, (1, 0, 0, 0, 1, arg), resample=resample, fillcolor=fill)
    raise ValueError("unknown op " + name)


def pil_fill(mode, fill):
    # timm passes the 3-tuple img_mean; Pillow 9.4 refuses a 3-tuple for an "L" image, so grey
    # images get the first component as an int.
    return fill[0] if mode == "L" else tuple(fill)


def augment(job):
    im = load_raw(job)
    fill = pil_fill(job["mode"], job.get("fill", [128, 128, 128]))
    out = timm_op(im, job["name"], job.get("arg"), FILTERS[job.get("filter", "bicubic")], fill)
    return save_raw(out, job)


def rand_augment(job):
    """timm's RandAugment.__call__ and AugmentOp.__call__, with random replaced by the job's draws."""
    draws = iter(job["draws"])
    rnd = lambda: next(draws)  # noqa: E731

    def gauss(mu, sigma):  # random.gauss without its cache of the second normal
        x2pi = rnd() * (2.0 * math.pi)
        g2rad = math.sqrt(-2.0 * math.log(1.0 - rnd()))
        return mu + math.cos(x2pi) * g2rad * sigma

    def negate(v):  # _randomly_negate
        return -v if rnd() > 0.5 else v

    increasing = job["increasing"]
    names = [
        "AutoContrast", "Equalize", "Invert", "Rotate",
        "PosterizeIncreasing" if increasing else "Posterize",
        "SolarizeIncreasing" if increasing else "Solarize",
        "SolarizeAdd",
        "ColorIncreasing" if increasing else "Color",
        "ContrastIncreasing" if increasing else "Contrast",
        "BrightnessIncreasing" if increasing else "Brightness",
        "SharpnessIncreasing" if increasing else "Sharpness",
        "ShearX", "ShearY", "TranslateXRel", "TranslateYRel",
    ]
    enhance = {"Color": "color", "Contrast": "contrast", "Brightness": "brightness", "Sharpness": "sharpness"}
    img = load_raw(job)
    resample = FILTERS[job["filter"]]
    fill = pil_fill(job["mode"], job["fill"])
    chosen = [names[min(int(rnd() * len(names)), len(names) - 1)] for _ in range(job["n"])]
    trace = []
    for name in chosen:
        prob = job["p"]
        if prob < 1.0 and rnd() > prob:
            trace.append("%s:0:0:0" % name)
            continue
        magnitude = job["m"]
        mstd = job["mstd"]
        if mstd > 0:
            if mstd == float("inf"):
                magnitude = 0 + (magnitude - 0) * rnd()
            else:
                magnitude = gauss(magnitude, mstd)
        magnitude = max(0.0, min(magnitude, job["mmax"] or 10.0))
        level = magnitude
        base = name.replace("Increasing", "")
        if base in ("AutoContrast", "Equalize", "Invert"):
            arg = 0
            img = timm_op(img, {"AutoContrast": "auto_contrast", "Equalize": "equalize", "Invert": "invert"}[base],
                          None, resample, fill)
        elif base == "Rotate":
            arg = negate((level / 10.0) * 30.0)
            img = timm_op(img, "rotate", arg, resample, fill)
        elif base in ("ShearX", "ShearY"):
            arg = negate((level / 10.0) * 0.3)
            img = timm_op(img, "shear_x" if base == "ShearX" else "shear_y", arg, resample, fill)
        elif base in ("TranslateXRel", "TranslateYRel"):
            arg = negate((level / 10.0) * 0.45)
            if base == "TranslateXRel":
                img = timm_op(img, "translate_x", arg * img.size[0], resample, fill)
            else:
                img = timm_op(img, "translate_y", arg * img.size[1], resample, fill)
        elif base == "Posterize":
            arg = int((level / 10.0) * 4)
            if increasing:
                arg = 4 - arg
            img = timm_op(img, "posterize", arg, resample, fill)
        elif base == "Solarize":
            arg = min(256, int((level / 10.0) * 256))
            if increasing:
                arg = 256 - arg
            img = timm_op(img, "solarize", arg, resample, fill)
        elif base == "SolarizeAdd":
            arg = min(128, int((level / 10.0) * 110))
            img = timm_op(img, "solarize_add", arg, resample, fill)
        else:
            if increasing:
                arg = max(0.1, 1.0 + negate((level / 10.0) * 0.9))
            else:
                arg = (level / 10.0) * 1.8 + 0.1
            img = timm_op(img, enhance[base], arg, resample, fill)
        trace.append("%s:1:%r:%r" % (name, magnitude, float(arg)))
    if next(draws, None) is not None:
        raise RuntimeError("rand_augment: draws left over")
    return save_raw(img, job) + " " + " ".join(trace)


OPS = {
    "make_image": make_image,
    "make_png": make_png,
    "decode": decode,
    "decode_or_refuse": decode_or_refuse,
    "resize": resize,
    "eval": eval_transform,
    "center_crop": center_crop,
    "rrc": rrc,
    "augment": augment,
    "rand_augment": rand_augment,
}


def main():
    jobs_path, results_path = sys.argv[1], sys.argv[2]
    lines = []
    with open(jobs_path) as f:
        for line in f:
            if line.strip():
                job = json.loads(line)
                lines.append("%s %s\n" % (job["id"], OPS[job["op"]](job)))
    with open(results_path, "w") as f:
        f.writelines(lines)


if __name__ == "__main__":
    main()
