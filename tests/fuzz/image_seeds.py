"""Writes small seed images for image_fuzzer (scripts/fuzz.sh): JPEG baseline in three
subsamplings, progressive, grey and CMYK; PNG in every colour type and bit depth, palettes with
tRNS, Adam7 interlace. Each file stays under libFuzzer's -max_len (4096 bytes).
usage: image_seeds.py FOLDER"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "images"))
import pillow_reference as ref  # noqa: E402  (the same image writers as the decoder tests)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    seed = 1
    jpegs = [("j444", "RGB", {"quality": 80, "subsampling": 0}), ("j422", "RGB", {"quality": 80, "subsampling": 1}),
             ("j420", "RGB", {"quality": 80, "subsampling": 2}),
             ("jprog", "RGB", {"quality": 80, "subsampling": 2, "progressive": True}), ("jgrey", "L", {"quality": 80}),
             ("jcmyk", "CMYK", {"quality": 80})]
    for name, mode, options in jpegs:
        ref.make_image(dict(path=os.path.join(out, name + ".jpg"), format="JPEG", mode=mode, w=19, h=13, seed=seed,
                            **options))
        seed += 1
    for name, mode, extra in [("prgb", "RGB", {}), ("pgrey", "L", {}), ("ppal", "P", {"colors": 16}),
                              ("prgba", "RGBA", {}), ("pla", "LA", {}), ("pbit", "1", {})]:
        ref.make_image(dict(path=os.path.join(out, name + ".png"), format="PNG", mode=mode, w=17, h=11, seed=seed,
                            **extra))
        seed += 1
    for name, fields in [("rgb16", dict(bit_depth=16, color_type=2)), ("grey16", dict(bit_depth=16, color_type=0)),
                         ("grey2", dict(bit_depth=2, color_type=0)),
                         ("pal_trns", dict(bit_depth=8, color_type=3, palette_size=12, trns=True)),
                         ("rgb_adam7", dict(bit_depth=8, color_type=2, interlace=True)),
                         ("pal2_adam7", dict(bit_depth=2, color_type=3, interlace=True))]:
        ref.make_png(dict(path=os.path.join(out, name + ".png"), w=13, h=9, seed=seed, **fields))
        seed += 1
    for name in sorted(os.listdir(out)):
        if os.path.getsize(os.path.join(out, name)) > 4096:
            sys.exit("image_seeds: %s is over 4096 bytes" % name)


if __name__ == "__main__":
    main()
