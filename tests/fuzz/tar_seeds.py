"""Writes small seed shards for tar_fuzzer (scripts/fuzz.sh): WebDataset tar files in the ustar,
POSIX pax and GNU formats, with long member names (pax records, GNU ././@LongLink), upper-case
extensions, extra members, directories, and a sample whose cls member is missing. The image
members hold a few bytes only: indexing never decodes them.
usage: tar_seeds.py FOLDER"""
import io
import os
import sys
import tarfile


def member(tar, name, data, kind=tarfile.REGTYPE):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    info.mtime = 0
    tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def shard(path, fmt, samples):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as tar:
        for name, data, kind in samples:
            member(tar, name, data, kind)
    # tarfile pads the archive to 10 KiB records; keep the members and the two end-of-archive blocks
    data = buffer.getvalue().rstrip(b"\0")
    data += b"\0" * (-len(data) % 512) + b"\0" * 1024
    with open(path, "wb") as f:
        f.write(data)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    jpg, png = b"\xff\xd8\xff\xe0fake-jpeg", b"\x89PNG\r\n\x1a\nfake-png"
    reg, folder = tarfile.REGTYPE, tarfile.DIRTYPE
    shard(os.path.join(out, "ustar.tar"), tarfile.USTAR_FORMAT,
          [("a/000.jpg", jpg, reg), ("a/000.cls", b"3", reg), ("a/001.png", png, reg), ("a/001.cls", b"0\n", reg)])
    long_key = "x" * 120
    shard(os.path.join(out, "pax.tar"), tarfile.PAX_FORMAT,
          [(long_key + ".JPEG", jpg, reg), (long_key + ".cls", b" 7 ", reg), ("k.json", b"{}", reg)])
    shard(os.path.join(out, "gnu.tar"), tarfile.GNU_FORMAT,
          [("d", b"", folder), ("d/" + "y" * 150 + ".png", png, reg), ("d/" + "y" * 150 + ".cls", b"12", reg)])
    shard(os.path.join(out, "no_cls.tar"), tarfile.USTAR_FORMAT, [("s1.jpg", jpg, reg), ("s2.jpg", jpg, reg)])
    for name in sorted(os.listdir(out)):
        if os.path.getsize(os.path.join(out, name)) > 16384:
            sys.exit("tar_seeds: %s is over 16384 bytes" % name)


if __name__ == "__main__":
    main()
