#!/usr/bin/env bash
# index.html in a real browser: headless Chromium (Debian's chromium) opens the page from
# the file system with every host name unresolvable, takes a screenshot, and dumps the DOM.
# Checked: no console message at all (the page has no scripts, so any message is an error),
# nothing loaded from anywhere (no src=, no stylesheet links), every plot of plots/ inlined
# as an <svg> in the rendered DOM, and a screenshot that is not blank.
# The page is the report of `cellpipe run` on the demo pipeline when that works, else the
# page the html unit test writes from a hand-made run with cairo-drawn plots.
# Set CP_KEEP_SCREENSHOT=path to keep the screenshot for a look.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CELLPIPE=${CELLPIPE:-$PWD/$BUILD/cellpipe}
PY=/usr/bin/python3
pass=0 fail=0 skip=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL html: $*"; }
check() { if eval "$2"; then ok; else bad "$1"; fi; }
finish() { echo "$pass passed, $fail failed, $skip skipped"; [ "$fail" = 0 ]; exit $?; }

CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROME" ]; then
    echo "SKIP html: chromium not installed (deployment/bootstrap installs it)"; skip=1; finish
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

page=""
if [ -x "$CELLPIPE" ] && [ -f pipelines/demo.yaml ] &&
    "$CELLPIPE" run pipelines/demo.yaml --date 2026-01-15 --out "$tmp/reports" \
        >"$tmp/run.log" 2>&1; then
    page=$(find "$tmp/reports" -path '*/2026-01-15/index.html' | head -n1)
    # a report without plots (plots sink off or absent) shows too little to judge
    if [ -n "$page" ] && [ -z "$(find "$(dirname "$page")/plots" -name '*.svg' 2>/dev/null)" ]; then
        echo "html: the demo report has no plots; using the unit test's page as well"
        page=""
    fi
fi
if [ -z "$page" ]; then
    echo "html: using the page the html unit test writes"
    make -s "$BUILD/tests/sinks/test_html" >/dev/null
    mkdir -p "$tmp/page"
    CP_TEST_HTML_DIR="$tmp/page" "$BUILD/tests/sinks/test_html" >/dev/null ||
        bad "test_html could not write the page"
    page="$tmp/page/index.html"
fi
check "index.html exists" '[ -s "$page" ]'
[ -s "$page" ] || finish
dir=$(dirname "$page")
nplots=$(find "$dir/plots" -name '*.svg' 2>/dev/null | wc -l)
check "the report has plots to show" '[ "$nplots" -gt 0 ]'

height=$((900 + 560 * nplots))
chrome() {
    timeout 120 "$CHROME" --headless=new --no-sandbox --disable-gpu --no-first-run \
        --disable-extensions --host-resolver-rules="MAP * ~NOTFOUND" \
        --enable-logging=stderr --v=0 --user-data-dir="$tmp/profile" "$@"
}
chrome --window-size=1280,$height --screenshot="$tmp/shot.png" "file://$page" \
    >"$tmp/shot.out" 2>"$tmp/shot.err"
check "chromium took a screenshot" '[ -s "$tmp/shot.png" ]'
chrome --dump-dom "file://$page" >"$tmp/dom.html" 2>"$tmp/dom.err"
check "chromium dumped the DOM" '[ -s "$tmp/dom.html" ]'

console=$(cat "$tmp/shot.err" "$tmp/dom.err" | grep -E ':CONSOLE(:|\()' || true)
check "no console messages: $console" '[ -z "$console" ]'

res=$($PY - "$tmp/dom.html" "$dir" "$tmp/shot.png" <<'PYEOF'
import glob, os, re, sys
from html.parser import HTMLParser
dom, folder, shot = sys.argv[1], sys.argv[2], sys.argv[3]
out = []
def check(name, cond):
    out.append(("ok " if cond else "FAIL ") + name)

class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.figs, self.loads, self.scripts = [], {}, [], 0
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if "src" in a or (tag == "link" and "stylesheet" in (a.get("rel") or "")):
            self.loads.append(tag)
        if tag == "figure" and (a.get("id") or "").startswith("plot-"):
            self.cur = a["id"][5:]
            self.figs[self.cur] = 0
        if tag == "svg" and getattr(self, "cur", None):
            self.figs[self.cur] += 1
    def handle_endtag(self, tag):
        if tag == "figure":
            self.cur = None

p = P()
p.feed(open(dom, encoding="utf-8").read())
plots = sorted(os.path.basename(f)[:-4] for f in glob.glob(os.path.join(folder, "plots", "*.svg")))
check("no script elements", p.scripts == 0)
check("nothing loaded from anywhere: %s" % p.loads, not p.loads)
check("every plot has a figure with an inline svg: missing %s" %
      [n for n in plots if p.figs.get(n, 0) < 1], all(p.figs.get(n, 0) >= 1 for n in plots))
check("no figure without a plot file", set(p.figs) <= set(plots))
text = open(dom, encoding="utf-8").read()
check("KPIs rendered", 'id="kpis"' in text and "<dt>Cells</dt>" in text)
check("links to the PDF and workbook", 'href="summary.pdf"' in text or "Summary PDF" in text)
try:
    from PIL import Image
    im = Image.open(shot).convert("L")
    w, h = im.size
    hist = im.histogram()
    dark = sum(hist[:200]) / float(w * h)
    check("screenshot is %dx%d and not blank (%.1f %% ink)" % (w, h, 100 * dark), dark > 0.005)
except ImportError:
    out.append("SKIP python3-pil missing: screenshot content not checked")
print("\n".join(out))
PYEOF
)
while IFS= read -r l; do
    case "$l" in ok\ *) ok ;; FAIL\ *) bad "${l#FAIL }" ;; SKIP\ *) skip=$((skip + 1)); echo "$l" ;; esac
done <<<"$res"
[ -n "$res" ] || bad "the DOM check printed nothing"
[ -n "${CP_KEEP_SCREENSHOT:-}" ] && cp "$tmp/shot.png" "$CP_KEEP_SCREENSHOT"
finish
