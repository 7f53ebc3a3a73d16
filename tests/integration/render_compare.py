#!/usr/bin/python3
"""Compare two PNG renderings within a tolerance (standard library only).

usage: render_compare.py [--loose] GOLDEN.png ACTUAL.png
Prints the mean absolute channel difference and the share of pixels that differ by more than
64 in any channel; exits 0 when mean < 1.5 and share < 0.5 % (--loose, for two different
rasterisers of one drawing: mean < 6 and share < 4 %), 1 otherwise, 2 on bad input.
Font rasterisation differs a little between library versions: a few edge pixels may change,
a moved label or a missing series may not.
"""
import struct
import sys
import zlib


def read_png(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG")
    pos, idat, hdr = 8, [], None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or interlace != 0 or ctype not in (0, 2, 6):
        raise ValueError(f"{path}: unsupported PNG (depth {depth}, type {ctype})")
    bpp = {0: 1, 2: 3, 6: 4}[ctype]
    raw = zlib.decompress(b"".join(idat))
    stride = w * bpp
    out = bytearray(h * stride)
    prev = bytearray(stride)
    for y in range(h):
        ft = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if ft == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif ft == 2:
            for i in range(stride):
                line[i] = (line[i] + prev[i]) & 255
        elif ft == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif ft == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 255
        out[y * stride:(y + 1) * stride] = line
        prev = line
    # keep three channels so grey and RGB images compare alike
    if bpp == 1:
        out = bytearray(v for v in out for _ in range(3))
    elif bpp == 4:
        out = bytearray(v for i, v in enumerate(out) if i % 4 != 3)
    return w, h, out


def main():
    args = sys.argv[1:]
    loose = bool(args) and args[0] == "--loose"
    if loose:
        args = args[1:]
    if len(args) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        w1, h1, a = read_png(args[0])
        w2, h2, b = read_png(args[1])
    except (OSError, ValueError, zlib.error) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if (w1, h1) != (w2, h2):
        print(f"size differs: {w1}x{h1} vs {w2}x{h2}")
        return 1
    total = diff_px = 0
    for i in range(0, len(a), 3):
        d = max(abs(a[i] - b[i]), abs(a[i + 1] - b[i + 1]), abs(a[i + 2] - b[i + 2]))
        total += abs(a[i] - b[i]) + abs(a[i + 1] - b[i + 1]) + abs(a[i + 2] - b[i + 2])
        diff_px += d > 64
    mean = total / len(a)
    share = diff_px / (w1 * h1)
    print(f"mean {mean:.3f} differing {share * 100:.3f} %")
    max_mean, max_share = (6.0, 0.04) if loose else (1.5, 0.005)
    return 0 if mean < max_mean and share < max_share else 1


if __name__ == "__main__":
    sys.exit(main())
