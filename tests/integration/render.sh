#!/usr/bin/env bash
# Plots and summary.pdf, read back with real tools: xmllint (SVG is XML with its title and
# legend), pdftotext (KPIs and flagged cells on page one), pdftoppm (pages against reference
# PNGs in tests/golden/render within a tolerance), and byte-for-byte reproducibility of the
# fixture and of the demo pipeline. `render.sh --update` (make golden-update) rewrites the PNGs.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CELLPIPE=${CELLPIPE:-$PWD/$BUILD/cellpipe}
FIXTURE=$BUILD/tests/render/test_charts
GOLDEN=tests/golden/render
PY=/usr/bin/python3
DPI=40
pass=0 fail=0 skip=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { if eval "$2"; then ok; else ko "$1"; fi; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for tool in pdftotext pdftoppm xmllint; do
    if ! command -v $tool >/dev/null; then
        echo "SKIP render: $tool missing (deployment/bootstrap installs it)"
        echo "0 passed, 0 failed, 1 skipped"; exit 0
    fi
done
if [ ! -x "$FIXTURE" ]; then
    echo "FAIL render: $FIXTURE not built (make unit)"; echo "0 passed, 1 failed, 0 skipped"; exit 1
fi

# --- the fixture run: rendered twice, byte-identical ---
CP_RENDER_OUT=$tmp/a "$FIXTURE" >/dev/null 2>&1
CP_RENDER_OUT=$tmp/b "$FIXTURE" >/dev/null 2>&1
check "fixture summary.pdf written" "[ -s $tmp/a/summary.pdf ]"
check "fixture reproducible" "diff -r $tmp/a $tmp/b >/dev/null"

# --- SVG: well-formed XML, title and legend in <title>/<desc> ---
for f in "$tmp"/a/plots/*.svg; do
    check "xml $(basename "$f")" "xmllint --noout '$f' 2>/dev/null"
done
svg=$tmp/a/plots/retention_by_design.svg
check "svg title" "[ \"\$(xmllint --xpath 'string(/*[local-name()=\"svg\"]/*[local-name()=\"title\"])' $svg)\" = 'Capacity retention by design' ]"
desc=$(xmllint --xpath 'string(/*[local-name()="svg"]/*[local-name()="desc"])' "$svg")
for want in "x: Cycle number" "y: Capacity retention (%)" "LFP-A" "NCA-C" "NMC-B"; do
    check "svg desc has '$want'" "[[ \"\$desc\" == *\"$want\"* ]]"
done
# one stroked path per cell in the palette's blue (LFP-A: cells 1, 4, 7)
blue=$(grep -c 'stroke:rgb(0%,44.705882%,69.803922%)' "$svg")
check "svg LFP-A series drawn ($blue paths)" "[ $blue -ge 3 ]"

# --- summary.pdf page one: KPIs and flagged cells ---
pdftotext -f 1 -l 1 -layout "$tmp/a/summary.pdf" "$tmp/p1.txt"
for want in "fixture: battery fleet summary" "Cells" "Cycles" "4,080" "Cells past EOL" \
    "Median forecast EOL" "858" "Worst fade" "2.70 %" "cell-08" "Validation issues" \
    "3 rows quarantined" "Flagged cells (4 flags on 4 cells)" "eol_capped" \
    "knee at cycle 250, onset 200" "fade rate 4.9 MADs above the NMC-B median" \
    "1 cycles with |robust z| > 5 against a rolling median" "Page 1 of 6" "data fingerprint sha256 0123456789abcdef"; do
    check "page 1 has '$want'" "grep -qF -- '$want' $tmp/p1.txt"
done
pdftotext -f 2 -l 2 -layout "$tmp/a/summary.pdf" "$tmp/p2.txt"
check "fleet table row" "grep -qE 'cell-02 +NMC-B +360 +89.6 % +1.45 % +1322 \[1190.1481\]' $tmp/p2.txt"
check "fleet observed EOL" "grep -qE 'cell-08 .*191 observed' $tmp/p2.txt"
check "page count" "[ \"\$(pdfinfo $tmp/a/summary.pdf | awk '/^Pages:/ {print \$2}')\" = 6 ]"
check "creation date is the run date" "pdfinfo $tmp/a/summary.pdf | grep -q 'CreationDate: *Thu Jan  1 00:00:00 2026'"

# --- pages against the reference PNGs ---
render_pngs() { # out dir
    pdftoppm -r $DPI -png "$tmp/a/summary.pdf" "$1/summary"
    for p in retention_by_design eol_forecast flagged_fits fade_rate_by_design; do
        pdftoppm -r $DPI -png "$tmp/a/plots/$p.pdf" "$1/$p"
    done
}
# SVGs through a second renderer (librsvg): the same drawing as the PDF, not just valid XML
render_svgs() { # out dir
    for p in retention_by_design flagged_fits eol_forecast; do
        rsvg-convert -d $DPI -p $DPI -b white "$tmp/a/plots/$p.svg" -o "$1/svg-$p.png"
    done
}
mkdir -p "$tmp/png"
render_pngs "$tmp/png"
if command -v rsvg-convert >/dev/null; then
    render_svgs "$tmp/png"
    # librsvg and poppler antialias differently: a loose bound, still far below a missing panel
    for p in retention_by_design flagged_fits eol_forecast; do
        pdftoppm -r 72 -png -singlefile "$tmp/a/plots/$p.pdf" "$tmp/pdf-$p"
        rsvg-convert -d 72 -p 72 -b white "$tmp/a/plots/$p.svg" -o "$tmp/svg72-$p.png"
        if r=$($PY tests/integration/render_compare.py --loose "$tmp/pdf-$p.png" \
            "$tmp/svg72-$p.png"); then ok; else ko "svg and pdf of $p differ: $r"; fi
    done
else
    skip=$((skip + 1)); echo "SKIP svg rendering: rsvg-convert missing (librsvg2-bin)"
fi
if [ "${1:-}" = --update ] || [ "${CP_GOLDEN_UPDATE:-}" = 1 ]; then
    mkdir -p "$GOLDEN"; rm -f "$GOLDEN"/*.png
    cp "$tmp"/png/*.png "$GOLDEN"/
    echo "render: golden PNGs updated in $GOLDEN ($(ls "$GOLDEN" | wc -l) files)"
fi
for g in "$GOLDEN"/*.png; do
    [ -e "$g" ] || { skip=$((skip + 1)); echo "SKIP golden: none in $GOLDEN"; break; }
    a=$tmp/png/$(basename "$g")
    if [ ! -e "$a" ] && [[ $(basename "$g") == svg-* ]] && ! command -v rsvg-convert >/dev/null; then
        skip=$((skip + 1)); continue
    fi
    if [ ! -e "$a" ]; then ko "golden $(basename "$g"): page not rendered"; continue; fi
    if r=$($PY tests/integration/render_compare.py "$g" "$a"); then ok; else
        ko "golden $(basename "$g"): $r"
    fi
done

# --- the demo pipeline through the real binary ---
if [ -x "$CELLPIPE" ] && [ -f pipelines/demo.yaml ]; then
    for run in 1 2; do
        "$CELLPIPE" run pipelines/demo.yaml --out "$tmp/demo$run" --date 2026-01-01 \
            >/dev/null 2>&1
    done
    d1=$tmp/demo1/demo/2026-01-01 d2=$tmp/demo2/demo/2026-01-01
    check "demo summary.pdf" "[ -s $d1/summary.pdf ]"
    check "demo plots reproducible" "diff -r $d1/plots $d2/plots >/dev/null"
    check "demo summary reproducible" "cmp -s $d1/summary.pdf $d2/summary.pdf"
    n=$(ls "$d1"/plots/*.svg 2>/dev/null | wc -l)
    check "demo has every default plot as svg ($n)" "[ $n -ge 6 ] && [ \$(ls $d1/plots/*.pdf | wc -l) = $n ]"
    pdftotext -f 1 -l 1 "$d1/summary.pdf" "$tmp/d1.txt"
    check "demo page one" "grep -q 'demo: battery fleet summary' $tmp/d1.txt && grep -q 'Cells past EOL' $tmp/d1.txt"
    SOURCE_DATE_EPOCH=1700000000 "$CELLPIPE" run pipelines/demo.yaml --out "$tmp/demo3" \
        --date 2026-01-01 >/dev/null 2>&1
    check "SOURCE_DATE_EPOCH honoured" \
        "pdfinfo $tmp/demo3/demo/2026-01-01/summary.pdf | grep -q 'CreationDate: *Tue Nov 14 22:13:20 2023'"
    # an unknown column is a config error naming file:line and the plot
    cat >"$tmp/bad.yaml" <<'YAML'
name: badplot
source:
  kind: sample
  cells: 3
  cycles: 40
plots:
  list:
    - name: bar
      y: foo
YAML
    "$CELLPIPE" run "$tmp/bad.yaml" --out "$tmp/bad" --date 2026-01-01 >/dev/null 2>"$tmp/bad.err"
    rc=$?
    check "unknown column exits 78 (got $rc)" "[ $rc = 78 ]"
    check "unknown column message" "grep -qE 'bad.yaml:[0-9]+: unknown column .foo. in plot .bar.' $tmp/bad.err"
else
    skip=$((skip + 1)); echo "SKIP demo: $CELLPIPE not built"
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
