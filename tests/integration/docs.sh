#!/usr/bin/env bash
# The documentation tells the truth: the schema in pipelines/README.md is the parser's, every
# example pipeline validates, and the README names both commands.
set -u
CELLPIPE=${CELLPIPE:-build/cellpipe}
pass=0 fail=0
check() { if eval "$1"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL docs: $2"; fi; }
schema=$(mktemp)
trap 'rm -f "$schema"' EXIT
$CELLPIPE validate --schema >"$schema"
check 'awk "/^<!-- schema:/{f=1;next} /^<!-- end schema -->/{f=0} f" pipelines/README.md | diff -q - "$schema" >/dev/null' \
    "pipelines/README.md schema is stale: run 'make docs'"
for p in pipelines/*.yaml; do
    check "$CELLPIPE validate '$p' >/dev/null 2>&1" "$p does not validate"
done
check 'grep -q "make run" README.md && grep -q "make check" README.md' "README lacks the two commands"
for cmd in $($CELLPIPE help | awk '/^commands:/{f=1;next} /^$/{f=0} f{print $1}'); do
    check "grep -q 'cellpipe $cmd' README.md" "README does not document 'cellpipe $cmd'"
    check "grep -q '$cmd' docs/cellpipe.1" "man page does not document '$cmd'"
done
echo "docs: $pass passed, $fail failed, 0 skipped"
[ "$fail" = 0 ]
