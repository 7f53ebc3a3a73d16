#!/usr/bin/env python3
"""polars' write_csv on the table cellpipe wrote: the peer figure for bench_csv (issue 14).

    polars_csv.py CYCLES.csv [ROUNDS]

Reads the CSV (not timed), then times DataFrame.write_csv to a file next to it, and the same
followed by fsync (cellpipe's writer fsyncs before its rename), the best of ROUNDS (default 3).
Prints the figures and how many cells of the float columns read back unequal from polars'
file (its own round-trip, for the record).
"""
import os
import sys
import time

import polars as pl


def timed_write(df, out, sync):
    t0 = time.perf_counter()
    df.write_csv(out)
    if sync:
        fd = os.open(out, os.O_RDONLY)
        os.fsync(fd)
        os.close(fd)
    return time.perf_counter() - t0


def main():
    src = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    df = pl.read_csv(src, infer_schema_length=None)
    out = src + ".polars.csv"
    plain = min(timed_write(df, out, False) for _ in range(rounds))
    synced = min(timed_write(df, out, True) for _ in range(rounds))
    size = os.path.getsize(out)
    back = pl.read_csv(out, schema=df.schema)
    floats = [c for c, t in df.schema.items() if t == pl.Float64]
    unequal = sum(int((df[c] != back[c]).sum()) for c in floats)
    os.unlink(out)
    print("polars %s: %d rows x %d columns, %.1f MiB" % (pl.__version__, df.height, df.width,
                                                       size / 1048576))
    print("polars: write_csv %.3f s, with fsync %.3f s (best of %d), %d float cells unequal "
          "after its own round-trip" % (plain, synced, rounds, unequal))


main()
