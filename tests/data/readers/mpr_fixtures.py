#!/usr/bin/env python3
"""Writes the small synthetic BioLogic .mpr fixtures (mpr_*.mpr) next to this script.

The values are chosen here, so the reader test compares against numbers that do not come from
the reader. Run again after changing a fixture: python3 tests/data/readers/mpr_fixtures.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
MAGIC = b"BIO-LOGIC MODULAR FILE\x1a".ljust(48, b" ") + b"\0\0\0\0"
FLAGS = (1, 2, 3, 21, 31, 65)
TYPES = {4: "d", 6: "f", 7: "d", 8: "f", 32: "f", 131: "H", 467: "d", 468: "I", 999: "f"}


def module(short, long, body, version, new):
    head = b"MODULE" + short.ljust(10) + long.ljust(25)
    if new:
        head += struct.pack("<IIII", 0xFFFFFFFF, len(body), 0, version)
    else:
        head += struct.pack("<II", len(body), version)
    return head + b"01/02/25" + body


def data_body(ids, rows, version):
    wide = version >= 10
    head = struct.pack("<I", len(rows)) + struct.pack("<H" if wide else "<B", len(ids))
    head += struct.pack("<%dH" % len(ids), *ids)
    offset = {2: 0x195, 3: 0x196, 10: 0x3EF, 11: 0x3EF}.get(version, 0x196)
    head = head.ljust(offset, b"\0")
    fmt = "<" + ("B" if any(i in FLAGS for i in ids) else "")
    fmt += "".join(TYPES[i] for i in ids if i not in FLAGS)
    return head + b"".join(struct.pack(fmt, *r) for r in rows)


def mpr(ids, rows, version=3, new=False, magic=MAGIC, with_data=True):
    out = magic + module(b"VMP Set", b"VMP settings", b"settings".ljust(64, b"\0"), 0, new)
    if with_data:
        out += module(b"VMP data", b"VMP data", data_body(ids, rows, version), version, new)
    return out + module(b"VMP LOG", b"VMP LOG", b"log".ljust(32, b"\0"), 0, new)


OLD_IDS = [1, 2, 3, 21, 31, 65, 131, 4, 6, 8, 467, 468]
# flags (mode 1 = CC), Ns, time/s, Ewe/V, I/mA, Q charge/discharge/mA.h, half cycle
OLD_ROWS = [
    (0x01, 0, 0.0, 3.25, 0.0, 0.0, 0),
    (0x01, 1, 10.0, 3.5, 100.0, 0.25, 0),
    (0x01, 1, 20.0, 3.75, 100.0, 0.5, 0),
    (0x05, 2, 30.0, 3.5, -50.0, -0.125, 1),
    (0x05, 2, 40.0, 3.25, -50.0, -0.25, 1),
    (0x01, 3, 50.0, 3.5, 100.0, 0.25, 2),
]
NEW_IDS = [1, 2, 3, 21, 31, 65, 131, 4, 7, 6, 467, 468]
# no current column: the reader derives it from dq (mA.h) over the time step
NEW_ROWS = [
    (0x01, 1, 0.0, 0.0, 3.0, 0.0, 0),
    (0x01, 1, 36.0, 1.0, 3.5, 1.0, 0),
    (0x01, 1, 72.0, 2.0, 4.0, 3.0, 0),
]


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def main():
    old = mpr(OLD_IDS, OLD_ROWS)
    write("mpr_old_small.mpr", old)
    write("mpr_new_small.mpr", mpr(NEW_IDS, NEW_ROWS, version=11, new=True))
    write("mpr_truncated.mpr", old[: len(old) - 120])
    write("mpr_wrong_magic.mpr", mpr(OLD_IDS, OLD_ROWS, magic=MAGIC.replace(b"FILE", b"FILX")))
    write("mpr_unknown_column.mpr", mpr(OLD_IDS[:9] + [999], [r[:4] + (0.0,) for r in OLD_ROWS]))
    write("mpr_bad_version.mpr", mpr(OLD_IDS, OLD_ROWS, version=7))
    write("mpr_eis.mpr", mpr([4, 32, 6], [(0.0, 1000.0, 0.01)]))
    write("mpr_no_data.mpr", mpr(OLD_IDS, OLD_ROWS, with_data=False))


if __name__ == "__main__":
    main()
