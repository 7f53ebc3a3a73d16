#!/usr/bin/env bash
# The report folder over several nights, with no server: sharded runs merged equal a full run;
# report.keep_days prunes old dated folders; `latest` always names a complete report, even
# while a run publishes and after a failed run.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CELLPIPE=${CELLPIPE:-$PWD/$BUILD/cellpipe}
PY=/usr/bin/python3
pass=0 fail=0 skip=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL nightly: $*"; }
check() { if eval "$2"; then ok; else bad "$1"; fi; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/fleet.yaml" <<'YAML'
name: fleet
source:
  kind: sample
  seed: 7
  cells: 30
  cycles: 400
report:
  root: reports
  keep_days: 3
YAML
q() { "$CELLPIPE" --quiet "$@" >/dev/null 2>"$tmp/stderr"; }

# ---- shards: 3 shards merged == one full run ----
D=2026-02-10
q run "$tmp/fleet.yaml" --date $D --out "$tmp/full"
check "full run exit 0" '[ $? = 0 ]'
for i in 0 1 2; do
    q run "$tmp/fleet.yaml" --date $D --shard $i/3 --out "$tmp/s$i"
    check "shard $i/3 exit 0" '[ $? = 0 ]'
done
full=$tmp/full/fleet/$D
shards=("$tmp/s0/fleet/$D" "$tmp/s1/fleet/$D" "$tmp/s2/fleet/$D")
q merge --out "$tmp/merged" "${shards[@]}"
check "merge exit 0 ($(cat "$tmp/stderr"))" '[ $? = 0 ]'
merged=$tmp/merged/fleet/$D
for f in results/cells.csv results/cycles.csv quarantine.csv; do
    check "merged $f byte-identical to the full run's" 'cmp -s "$full/$f" "$merged/$f"'
done
res=$($PY - "$full" "$merged" "${shards[@]}" <<'PYEOF'
import csv, json, sys
full, merged, shards = sys.argv[1], sys.argv[2], sys.argv[3:]
def fnv1a(s):
    h = 2166136261
    for b in s.encode():
        h = ((h ^ b) * 16777619) & 0xffffffff
    return h
def cells(d):
    with open(d + "/results/cells.csv", newline="") as f:
        return [r["cell_id"] for r in csv.DictReader(f)]
def manifest(d):
    return json.load(open(d + "/manifest.json"))
out = []
def check(name, cond):
    out.append(("ok " if cond else "FAIL ") + name)
mf, mm = manifest(full), manifest(merged)
check("merged data fingerprint equals the full run's",
      mf["data"]["sha256"] == mm["data"]["sha256"] and mf["data"]["sha256"])
check("merged counts equal the full run's", mf["counts"] == mm["counts"])
check("merged validation equals the full run's", mf["validation"] == mm["validation"])
check("merged report is not a shard", mm["shard"] is None)
seen = []
for i, d in enumerate(shards):
    ids = cells(d)
    check("shard %d holds only cells hashing to %d (FNV-1a mod 3)" % (i, i),
          ids and all(fnv1a(c) % 3 == i for c in ids))
    check("shard %d manifest says %d/3" % (i, i), manifest(d)["shard"] == "%d/3" % i)
    seen += ids
check("shards are disjoint and cover every cell", sorted(seen) == sorted(cells(full))
      and len(seen) == len(set(seen)) == 30)
print("\n".join(out))
PYEOF
)
while IFS= read -r l; do
    case "$l" in ok\ *) ok ;; FAIL\ *) bad "${l#FAIL }" ;; *) [ -n "$l" ] && bad "$l" ;; esac
done <<<"$res"

q merge --out "$tmp/m2" "${shards[0]}" "${shards[2]}"
rc=$?
check "merge of an incomplete set exits 66 ($rc)" '[ $rc = 66 ] && grep -q "shard 1/3 is missing" "$tmp/stderr"'
q merge --out "$tmp/m3" "${shards[0]}" "${shards[0]}" "${shards[1]}" "${shards[2]}"
check "merge of a shard given twice fails" '[ $? != 0 ] && grep -q "given twice" "$tmp/stderr"'
q merge --out "$tmp/m4" "$full"
check "merge of a full report fails" '[ $? = 65 ] && grep -q "not a shard report" "$tmp/stderr"'
sed 's/cycles: 400/cycles: 401/' "$tmp/fleet.yaml" >"$tmp/other.yaml"
q merge --pipeline "$tmp/other.yaml" --out "$tmp/m5" "${shards[@]}"
check "merge with another pipeline file exits 78" '[ $? = 78 ]'
check "failed merges published nothing" '[ ! -e "$tmp/m2/fleet/$D" ] && [ ! -e "$tmp/m5/fleet/$D" ]'

# ---- keep_days and latest ----
R=$tmp/nightly
base=$R/fleet
days=(2026-03-01 2026-03-02 2026-03-03 2026-03-05 2026-03-06)
for d in "${days[@]}"; do
    q run "$tmp/fleet.yaml" --date "$d" --out "$R"
    check "run $d exit 0" '[ $? = 0 ]'
    check "latest -> $d after its run" '[ "$(readlink "$base/latest")" = "$d" ]'
done
# expected survivors computed here: folders at most keep_days (3) days older than the last run
expect=$(for d in "${days[@]}"; do
    age=$(( ($(date -ud 2026-03-06 +%s) - $(date -ud "$d" +%s)) / 86400 ))
    [ $age -le 3 ] && echo "$d"; done | sort | tr '\n' ' ')
have=$(cd "$base" && ls -d 20??-??-?? | sort | tr '\n' ' ')
check "keep_days 3 kept '$expect', found '$have'" '[ "$have" = "$expect" ]'
check "latest names a complete report" '[ -f "$base/latest/manifest.json" ]'

# a failed night: the previous report and latest stay, nothing half-written remains
cat >"$tmp/broken.yaml" <<'YAML'
name: fleet
source:
  kind: files
  paths: [does-not-exist.csv]
report:
  keep_days: 3
YAML
q run "$tmp/broken.yaml" --date 2026-03-07 --out "$R"
rc=$?
check "failed run (input missing) exits 66 ($rc)" '[ $rc = 66 ]'
check "failed run published nothing" '[ ! -e "$base/2026-03-07" ]'
check "latest still -> 2026-03-06 after a failed run" '[ "$(readlink "$base/latest")" = 2026-03-06 ]'
check "no staging folder left" '[ -z "$(ls -A "$base" | grep -E "^\.(staging|old)-")" ]'

# a re-run of the same date replaces the report whole
touch "$base/2026-03-06/stale-marker"
q run "$tmp/fleet.yaml" --date 2026-03-06 --out "$R"
check "re-run of a date exit 0" '[ $? = 0 ]'
check "re-run replaced the folder whole" '[ ! -e "$base/2026-03-06/stale-marker" ]'

# latest is readable and complete at every instant while runs publish
( for _ in 1 2 3 4; do "$CELLPIPE" --quiet run "$tmp/fleet.yaml" --date 2026-03-06 --out "$R" \
      >/dev/null 2>&1; done; touch "$tmp/done" ) &
writer=$!
reads=0 broken=0
while [ ! -e "$tmp/done" ]; do
    $PY -c 'import json,sys; json.load(open(sys.argv[1]))' "$base/latest/manifest.json" \
        2>/dev/null || broken=$((broken + 1))
    reads=$((reads + 1))
done
wait "$writer"
check "latest/manifest.json complete in all $reads reads during 4 publishes ($broken broken)" \
    '[ $broken = 0 ] && [ $reads -gt 0 ]'

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
