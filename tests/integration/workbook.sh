#!/usr/bin/env bash
# Integration suite of the workbook sink (docs/workbook.md): reads workbooks back with a real
# reader, openpyxl (Debian's python3-openpyxl, so /usr/bin/python3), and compares their XML
# parts with tests/golden/workbook/ after normalising dates (libxlsxwriter's own approach).
#
#  1. the fixture workbook (tests/unit/sinks/workbook_fixture.h, written by the unit test
#     program with CP_WORKBOOK_FIXTURE=DIR) against its input, dumped as JSON next to it:
#     sheets, row counts, values, number formats, frozen panes, autofilters, conditional
#     formats, charts and their ranges, the Validation notes for bad input;
#  2. reproducibility: written twice, identical XML parts;
#  3. golden XML parts (CP_GOLDEN_UPDATE=1 rewrites them; review the diff like code);
#  4. `cellpipe run pipelines/demo.yaml`: the workbook against the run's own results/*.csv and
#     manifest.json, and a second run with the same date;
#  5. the same checks on a run over real cycler exports ($CELLPIPE_REAL_DATA), when present.
# Prints "N passed, N failed, N skipped"; exits nonzero on failure.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PY=/usr/bin/python3
GOLDEN=$PWD/tests/golden/workbook
pass=0 fail=0 skip=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL workbook: $*"; }
skipped() { skip=$((skip + 1)); echo "SKIP $1: $2"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! $PY -c 'import openpyxl' 2>/dev/null; then
    skipped "workbook" "python3-openpyxl is not installed (deployment/bootstrap)"
    echo "$pass passed, $fail failed, $skip skipped"
    exit 0
fi
make -s "$BUILD/tests/sinks/test_workbook" >/dev/null 2>&1 || true
T=$BUILD/tests/sinks/test_workbook
if [ ! -x "$T" ]; then
    bad "cannot build $T"
    echo "$pass passed, $fail failed, $skip skipped"
    exit 1
fi

# Unzips an xlsx into a folder with the creation/modification dates normalised.
unpack() { # xlsx dir
    mkdir -p "$2" && (cd "$2" && unzip -q -o "$1") || return 1
    find "$2" -name '*.xml' -o -name '*.rels' | while read -r f; do
        sed -i -E 's#(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)#\1DATE\3#g' "$f"
    done
}

check_py() { # python file args... : prints "N passed, N failed" and FAIL lines
    local out
    out=$($PY "$@" 2>&1)
    local rc=$?
    echo "$out" | grep -E '^(FAIL|SKIP)' || true
    local p f
    p=$(echo "$out" | sed -nE 's/^([0-9]+) passed, ([0-9]+) failed$/\1/p' | tail -n 1)
    f=$(echo "$out" | sed -nE 's/^([0-9]+) passed, ([0-9]+) failed$/\2/p' | tail -n 1)
    if [ -z "$p" ]; then
        bad "checker crashed (exit $rc)"; echo "$out" | tail -n 15; return
    fi
    pass=$((pass + p)); fail=$((fail + f))
}

# ---- 1. fixture against its input ----
mkdir -p "$tmp/a" "$tmp/b"
if CP_WORKBOOK_FIXTURE="$tmp/a" "$T" >/dev/null 2>&1 &&
   CP_WORKBOOK_FIXTURE="$tmp/b" "$T" >/dev/null 2>&1; then
    ok
    check_py tests/integration/workbook_check.py fixture "$tmp/a/fixture.xlsx" "$tmp/a/fixture.json"
else
    bad "the fixture workbook could not be written"
fi

# ---- 2. reproducible ----
if [ -f "$tmp/a/fixture.xlsx" ] && unpack "$tmp/a/fixture.xlsx" "$tmp/fa" &&
   unpack "$tmp/b/fixture.xlsx" "$tmp/fb"; then
    if diff -r "$tmp/fa" "$tmp/fb" >/dev/null; then ok; else bad "two writes differ"; fi
fi
[ -f "$tmp/a/golden.xlsx" ] && unpack "$tmp/a/golden.xlsx" "$tmp/ua"

# Every part well-formed XML (a control character or a broken UTF-8 sequence would not be).
if [ -d "$tmp/fa" ]; then
    nbad=0
    while read -r part; do
        xmllint --noout "$part" 2>/dev/null || { nbad=$((nbad + 1)); bad "not well-formed: ${part#"$tmp"/}"; }
    done < <(find "$tmp/fa" -type f \( -name '*.xml' -o -name '*.rels' \))
    [ "$nbad" = 0 ] && ok
fi

# ---- 3. golden parts ----
if [ -d "$tmp/ua" ]; then
    if [ "${CP_GOLDEN_UPDATE:-}" = 1 ]; then
        rm -rf "$GOLDEN" && mkdir -p "$GOLDEN" && cp -r "$tmp/ua/." "$GOLDEN/"
        echo "golden: rewrote tests/golden/workbook"
        ok
    elif [ ! -d "$GOLDEN" ]; then
        bad "no golden parts in $GOLDEN (make golden-update)"
    else
        while read -r part; do
            if cmp -s "$GOLDEN/$part" "$tmp/ua/$part"; then ok; else
                bad "golden part differs: $part"
                diff <(xmllint --format "$GOLDEN/$part" 2>/dev/null) \
                     <(xmllint --format "$tmp/ua/$part" 2>/dev/null) | head -n 10
            fi
        done < <(cd "$GOLDEN" && find . -type f | sed 's#^\./##' | sort)
        extra=$(cd "$tmp/ua" && find . -type f | sed 's#^\./##' | sort |
                comm -13 <(cd "$GOLDEN" && find . -type f | sed 's#^\./##' | sort) -)
        if [ -z "$extra" ]; then ok; else bad "parts not in the golden set: $extra"; fi
    fi
fi

# ---- 4. a real run ----
CP=${CELLPIPE:-$BUILD/cellpipe}
if [ -x "$CP" ] && [ -f pipelines/demo.yaml ] &&
   "$CP" run pipelines/demo.yaml --out "$tmp/r1" --date 2026-01-01 >"$tmp/run1.log" 2>&1; then
    book=$(find "$tmp/r1" -name workbook.xlsx | head -n 1)
    if [ -z "$book" ]; then
        bad "cellpipe run wrote no workbook.xlsx"
    else
        ok
        check_py tests/integration/workbook_check.py run "$book" "$(dirname "$book")"
        if "$CP" run pipelines/demo.yaml --out "$tmp/r2" --date 2026-01-01 >/dev/null 2>&1; then
            book2=$(find "$tmp/r2" -name workbook.xlsx | head -n 1)
            unpack "$book" "$tmp/u1" && unpack "$book2" "$tmp/u2"
            if diff -r "$tmp/u1" "$tmp/u2" >/dev/null; then ok; else
                bad "two runs of the same date differ"; diff -rq "$tmp/u1" "$tmp/u2" | head; fi
        else
            bad "second run failed"
        fi
    fi
else
    skipped "workbook run" "cellpipe run pipelines/demo.yaml is not available yet"
fi

# ---- 4b. the Cycles columns: the configured ones, in their order; [all] is cycles.csv's ----
cycles_header() { # workbook -> its Cycles header, comma-separated
    $PY -c 'import openpyxl, sys
ws = openpyxl.load_workbook(sys.argv[1], read_only=True)["Cycles"]
print(",".join(str(c.value) for c in next(ws.iter_rows(max_row=1))))' "$1"
}
if [ -x "$CP" ]; then
    "$CP" validate --print pipelines/demo.yaml 2>/dev/null | $PY -c 'import json, sys
print(",".join(json.load(sys.stdin)["workbook"]["cycles_columns"]))' >"$tmp/want_default"
    book=$(find "$tmp/r1" -name workbook.xlsx | head -n 1)
    if [ -n "$book" ] && [ "$(cycles_header "$book")" = "$(cat "$tmp/want_default")" ] &&
       grep -q '^cell_id,cycle_index,.*capacity_retention' "$tmp/want_default"; then ok; else
        bad "default Cycles columns: '$(cycles_header "$book")', want '$(cat "$tmp/want_default")'"
    fi
    "$CP" --quiet run pipelines/demo.yaml --out "$tmp/r3" --date 2026-01-01 \
        --set 'workbook.cycles_columns=[cycle_index, cell_id, capacity_retention, v_max]' \
        --set source.cells=6 >/dev/null 2>&1
    book=$(find "$tmp/r3" -name workbook.xlsx | head -n 1)
    if [ -n "$book" ] && [ "$(cycles_header "$book")" = "cycle_index,cell_id,capacity_retention,v_max" ]; then
        ok; check_py tests/integration/workbook_check.py run "$book" "$(dirname "$book")"
    else
        bad "chosen Cycles columns: '$(cycles_header "$book")'"
    fi
    "$CP" --quiet run pipelines/demo.yaml --out "$tmp/r4" --date 2026-01-01 \
        --set 'workbook.cycles_columns=[all]' --set source.cells=6 >/dev/null 2>&1
    book=$(find "$tmp/r4" -name workbook.xlsx | head -n 1)
    csv=$(find "$tmp/r4" -name cycles.csv | head -n 1)
    if [ -n "$book" ] && [ -n "$csv" ] && [ "$(cycles_header "$book")" = "$(head -n 1 "$csv")" ]; then
        ok; else bad "[all]: Cycles header is not cycles.csv's"; fi
fi

# ---- 4c. workbook.compression: the deflate level every zip entry was written with ----
# A zip entry's general-purpose flag bits 1-2 record the deflate option (APPNOTE 4.4.4):
# 11 = super fast (level 1), 00 = normal (levels 3-7), 01 = maximum (levels 8-9).
deflate_options() { # workbook -> the distinct bits-1-2 values of its deflated entries
    $PY -c 'import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
print(",".join(sorted({str((i.flag_bits >> 1) & 3) for i in z.infolist()
                       if i.compress_type == zipfile.ZIP_DEFLATED})))' "$1"
}
if [ -x "$CP" ]; then
    for want in "1 3" "6 0" "9 1"; do
        set -- $want
        "$CP" --quiet run pipelines/demo.yaml --out "$tmp/z$1" --date 2026-01-01 \
            --set "workbook.compression=$1" --set source.cells=6 >/dev/null 2>&1
        book=$(find "$tmp/z$1" -name workbook.xlsx | head -n 1)
        if [ -n "$book" ] && [ "$(deflate_options "$book")" = "$2" ]; then ok; else
            bad "workbook.compression=$1: deflate options '$(deflate_options "$book")', want '$2'"
        fi
    done
    size1=$(stat -c %s "$(find "$tmp/z1" -name workbook.xlsx)")
    size9=$(stat -c %s "$(find "$tmp/z9" -name workbook.xlsx)")
    if [ "$size9" -lt "$size1" ]; then ok; else bad "level 9 ($size9 B) is not smaller than level 1 ($size1 B)"; fi
    book=$(find "$tmp/r1" -name workbook.xlsx | head -n 1)
    if [ -n "$book" ] && [ "$(deflate_options "$book")" = "3" ]; then ok; else
        bad "the default workbook was not written at level 1: '$(deflate_options "$book")'"; fi
fi

# ---- 5. real cycler data ----
REAL=${CELLPIPE_REAL_DATA:-../shared/data}
ba=$REAL/battdat/batteryarchive/CALCE_CX2-33_prism_LCO_25C_0-100_0.5-0.5C_d_cycle_data.csv
inl=$REAL/battdat/batterydata_inl/p492-13-summary.csv
if [ -x "$CP" ] && [ -f "$ba" ] && [ -f "$inl" ]; then
    # the INL summary has gaps and noisy capacities: validation warns instead of failing
    cat >"$tmp/real.yaml" <<YAML
name: real
source: {kind: files, paths: ["$(realpath "$ba")", "$(realpath "$inl")"]}
validate:
  max_quarantine_fraction: 0.5
  rules:
    - {rule: required, column: discharge_capacity_ah, policy: quarantine, threshold: 0.5}
    - {rule: outlier, column: discharge_capacity_ah, policy: warn}
YAML
    if "$CP" run "$tmp/real.yaml" --out "$tmp/real" --date 2026-01-01 >"$tmp/real.log" 2>&1; then
        ok
        book=$(find "$tmp/real" -name workbook.xlsx | head -n 1)
        check_py tests/integration/workbook_check.py run "$book" "$(dirname "$book")"
    else
        bad "cellpipe run on real data failed"; tail -n 5 "$tmp/real.log"
    fi
else
    skipped "workbook real data" "no real data"
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
