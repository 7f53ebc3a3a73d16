#!/usr/bin/env python3
"""The layering check of `make check`: every #include must point down the layers.

Headers in include/cellpipe/ are flat, so each is mapped to the layer of the source that
implements it: src/<layer>/.../<name>.c for include/cellpipe/<name>.h, or the table IMPLEMENTED_IN
below for the headers whose implementation has another name (or none: a contract). A header
beside its sources (src/<layer>/*.h) belongs to that layer. Then every #include "..." of every
file under src/ and include/ is read, and an include of a layer the file's layer may not see is
an error, printed as `file:line: <layer> must not include '<header>' (<layer>)`.

Usage: tests/lint/layers.py [ROOT]   (prints "layers: N passed, N failed")
"""
import os
import re
import sys

# Who may include whom (the file's layer -> the layers it may include; its own is implied).
# DESIGN.md "Layout": cli -> report -> sinks/render/sources/analytics -> config -> core, with
# the run context below the stages that use it and above analytics, which never sees it.
ALLOWED = {
    "core": set(),
    "config": {"core"},
    "net": {"core"},
    "analytics": {"core", "config"},
    "run": {"core", "config", "analytics"},
    "sources": {"core", "config", "net", "analytics", "run"},
    "render": {"core", "config", "analytics", "run"},
    "sinks": {"core", "config", "net", "analytics", "run", "render"},
    "report": {"core", "config", "net", "analytics", "run", "sources", "render", "sinks"},
    "cli": {"core", "config", "net", "analytics", "run", "sources", "render", "sinks", "report"},
}

# Headers whose implementing source does not share their name, and contracts with no source.
IMPLEMENTED_IN = {
    "dataset.h": "core",       # core/dataset.c
    "shard_format.h": "core",  # a file-format contract: the shard sink writes it, the source reads it
    "results.h": "analytics",  # analytics/result.c
    "source.h": "sources",     # sources/registry.c
    "reader.h": "sources",     # sources/files/registry.c
    "pg.h": "sources",         # sources/pg_*.c
    "ts.h": "sources",         # sources/files/ts2cycles.c
    "sink.h": "sinks",         # sinks/registry.c
    "results_csv.h": "sinks",  # sinks/results.c
    "stages.h": "run",         # run/stages.c
    "mlflow.h": "sinks",       # sinks/mlflow*.c
    "stats.h": "analytics",    # analytics/stats_*.c
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def layer_of_source(root, path):
    parts = os.path.relpath(path, os.path.join(root, "src")).split(os.sep)
    return parts[0] if parts[0] in ALLOWED else None


def header_layers(root):
    """include/cellpipe/<name>.h -> layer, from the sources' names and IMPLEMENTED_IN."""
    by_stem = {}
    for dirpath, _, files in os.walk(os.path.join(root, "src")):
        for f in files:
            if f.endswith(".c"):
                layer = layer_of_source(root, os.path.join(dirpath, f))
                by_stem.setdefault(f[:-2], set()).add(layer)
    layers, problems = {}, []
    for h in sorted(os.listdir(os.path.join(root, "include", "cellpipe"))):
        if not h.endswith(".h"):
            continue
        found = by_stem.get(h[:-2], set())
        if h in IMPLEMENTED_IN:
            layers[h] = IMPLEMENTED_IN[h]
        elif len(found) == 1:
            layers[h] = next(iter(found))
        else:
            problems.append(f"include/cellpipe/{h}: no layer known (no src/*/{h[:-2]}.c; add it "
                            f"to IMPLEMENTED_IN in tests/lint/layers.py)")
    return layers, problems


def files_to_check(root):
    for top in ("src", "include"):
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for f in sorted(files):
                if f.endswith((".c", ".h")):
                    yield os.path.join(dirpath, f)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    layers, problems = header_layers(root)
    passed = 0
    for path in files_to_check(root):
        rel = os.path.relpath(path, root)
        if rel.startswith("include" + os.sep):
            own = layers.get(os.path.basename(path))
        else:
            own = layer_of_source(root, path)
        if own is None:
            continue
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                inc = m.group(1)
                if inc.startswith("cellpipe/"):
                    target = layers.get(inc[len("cellpipe/"):])
                else:  # a private header beside the sources
                    target = layer_of_source(root, os.path.join(os.path.dirname(path), inc))
                if target is None or target == own or target in ALLOWED[own]:
                    passed += 1
                    continue
                problems.append(f"{rel}:{lineno}: {own} must not include '{inc}' ({target})")
    for p in problems:
        print(f"FAIL {p}")
    print(f"layers: {passed} passed, {len(problems)} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
