#!/usr/bin/env python3
"""Writes the damaged Arbin .res fixtures (res_*.res) next to this script.

No tool here writes an Access file with tables, so these only exercise the error paths: a
file that is not Access at all, one cut inside its header page, and whole Jet 4 pages whose
catalog is missing. Run: python3 tests/data/readers/res_fixtures.py

res_empty_access.res is not written here: it is the empty Jet 4 database (.mdb, 77,824 bytes,
no user tables) that the PyPI package msaccessdb 1.0.0 (Gordon D. Thompson, Apache-2.0)
writes with msaccessdb.create("x.mdb"): an Access file without the Arbin tables.
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
JET = b"\x00\x01\x00\x00Standard Jet DB\x00"


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def main():
    write("res_not_access.res", b"\x00\x01\x00\x00Not an Access database at all\x00" * 4)
    write("res_truncated.res", JET + b"\x00" * 12)
    page0 = bytearray(4096)
    page0[: len(JET)] = JET
    page0[0x14] = 1  # Jet 4: 4 KiB pages
    write("res_no_catalog.res", bytes(page0) + b"\xd8" * 4096 * 2)


if __name__ == "__main__":
    main()
