#!/usr/bin/env bash
# kill -9 campaign (docs/hardening.md "Kill -9"): a small pipeline (sample lab, plots,
# workbook, MLflow journal only) is killed at CP_KILL_POINTS seeded points; after each, the
# published folder is the old one byte for byte or a complete new one, nothing half-written
# looks like a report, and the next run works. No server needed.
#
#   CP_KILL_SEED=N     the seed of the kill points (default 16); a failure names it
#   CP_KILL_POINTS=N   how many kill points (default 20)
#
# Kill points, by their index i, i % 5 being
#   0, 1  the Nth allocation (CP_KILL_AT_ALLOC, include/cellpipe/alloc.h) among the last TAIL of
#         the run's clean count (TAIL_NEW for a new date): manifest, publish, the removal of the
#         replaced report, the latest link;
#   2, 3  the Nth allocation in [1, count];
#   4     kill -9 after a random delay in [0, a clean run's wall time].
# Every fifth point starts a new date, so a publish into a new folder (and the move of
# `latest`) is killed too, not only a replace.
set -u
CELLPIPE=${CELLPIPE:-build/cellpipe}
SEED=${CP_KILL_SEED:-16}
POINTS=${CP_KILL_POINTS:-20}
TAIL=48 TAIL_NEW=8
PY=/usr/bin/python3
. "$(dirname "$0")/lib/ports.bash"
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL kill9 (CP_KILL_SEED=$SEED): $*"; }
check() { if eval "$1"; then ok; else bad "$2"; fi; }
unset MLFLOW_TRACKING_URI CP_FAIL_ALLOC_AT CP_KILL_AT_ALLOC CP_ALLOC_COUNT
export MLFLOW_HTTP_REQUEST_MAX_RETRIES=0 MLFLOW_HTTP_REQUEST_TIMEOUT=5

cat >"$tmp/p.yaml" <<'YAML'
name: k9
source:
  kind: sample
  seed: 7
  cells: 4
  cycles: 120
validate:
  rules:
    - rule: range
      column: discharge_capacity_ah
      min: 0
      max: ${CP_K_MAX:-1000}
      policy: fail
      threshold: 0
plots:
  defaults: true
workbook:
  enabled: true
YAML
CELLS=4
dates=(2026-03-01 2026-03-02 2026-03-03 2026-03-04 2026-03-05 2026-03-06 2026-03-07 2026-03-08)
date_of() { echo "${dates[$(($1 / 5 % ${#dates[@]}))]}"; }

# `relative path, size, sha256` of every file under $1, sorted.
snap() {
    (cd "$1" && paste -d' ' <(find . -type f -printf '%P %s\n' | LC_ALL=C sort) \
        <(find . -type f -printf '%P\n' | LC_ALL=C sort | xargs -r -d '\n' sha256sum | cut -c1-64))
}
# The files of a run that differ between two runs of the same input (timings, ids, the log).
VARYING='manifest.json|mlflow/journal.ndjson|run.log'

# Reference per date: two clean runs in a scratch root; everything but VARYING must agree, and
# a new report is complete when it has the same files, VARYING aside byte-identical to them.
ms() { echo $(($(date +%s%N) / 1000000)); }
run_ms=0
reference() { # date
    local d=$1 r="$tmp/ref-$1" i t0
    for i in 1 2; do
        t0=$(ms)
        $CELLPIPE --quiet run "$tmp/p.yaml" --out "$r" --date "$d" >/dev/null 2>"$tmp/ref.err" ||
            bad "reference run $d failed: $(tail -n 3 "$tmp/ref.err")"
        run_ms=$(($(ms) - t0))
        snap "$r/k9/$d" >"$tmp/ref-$d.$i"
    done
    local differ
    differ=$(diff "$tmp/ref-$d.1" "$tmp/ref-$d.2" | sed -n 's/^< \([^ ]*\) .*/\1/p' | tr '\n' ' ')
    check '[ -z "$(echo "$differ" | tr " " "\n" | grep -vxE "$VARYING|")" ]' \
        "two runs of one input differ in more than $VARYING: $differ"
    check '[ "$(wc -l <"$tmp/ref-$d.2")" -gt 20 ]' "reference report $d has too few files"
    wc -l <"$r/k9/$d/mlflow/journal.ndjson" >"$tmp/ref-$d.journal"
}

# A closed port: `mlflow push` of an intact journal gets as far as the first call (69); one
# that does not parse stops before it (65).
port=$(free_port)
push_rc() { # report folder: push a copy (a push appends acks and may rewrite the manifest)
    rm -rf "$tmp/push" && cp -a "$1" "$tmp/push"
    $CELLPIPE --quiet mlflow push "$tmp/push" --tracking-uri "http://127.0.0.1:$port" \
        >/dev/null 2>&1
    echo $?
}

# Every file of the reference, the stable ones byte-identical, a manifest that says ok for
# this date and fleet, and a journal of whole JSON lines that push can replay.
complete() { # folder date -> 0, or prints why not
    local dir=$1 d=$2
    [ -d "$dir" ] || { echo "no folder"; return 1; }
    snap "$dir" >"$tmp/got"
    local want got
    want=$(cut -d' ' -f1 "$tmp/ref-$d.2") got=$(cut -d' ' -f1 "$tmp/got")
    [ "$want" = "$got" ] || { echo "files differ: $(diff <(echo "$want") <(echo "$got") | grep '^[<>]' | tr '\n' ' ')"; return 1; }
    if ! diff <(grep -vE "^($VARYING) " "$tmp/ref-$d.2") <(grep -vE "^($VARYING) " "$tmp/got") >/dev/null; then
        echo "content differs: $(diff <(grep -vE "^($VARYING) " "$tmp/ref-$d.2") <(grep -vE "^($VARYING) " "$tmp/got") | grep '^>' | cut -d' ' -f2 | tr '\n' ' ')"
        return 1
    fi
    $PY - "$dir" "$d" "$CELLS" "$(cat "$tmp/ref-$d.journal")" <<'PY' || return 1
import json, sys
d, date, cells, lines = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
m = json.load(open(d + "/manifest.json"))
bad = [k for k, ok in [("status", m["status"] == "ok"), ("date", m["date"] == date),
       ("cells", m["counts"]["cells"] == cells), ("mlflow", m["mlflow"]["status"] == "journal")]
       if not ok]
text = open(d + "/mlflow/journal.ndjson").read()
rows = [json.loads(l) for l in text.splitlines()]
if rows[0].get("journal") != "cellpipe-mlflow" or not text.endswith("\n") or len(rows) != lines:
    bad.append("journal (%d lines, %d expected)" % (len(rows), lines))
log = open(d + "/run.log").read()
if "stage=run " not in log or not log.endswith("\n"):
    bad.append("run.log")
if bad:
    print("manifest/journal/log wrong: " + ", ".join(bad))
    sys.exit(1)
PY
    local rc
    rc=$(push_rc "$dir")
    [ "$rc" = 69 ] || { echo "mlflow push of the journal exit $rc, expected 69 (server down)"; return 1; }
}

for i in $(seq 0 $((POINTS - 1))); do
    d=$(date_of "$i")
    [ -f "$tmp/ref-$d.2" ] || reference "$d"
done

out="$tmp/reports"
base="$out/k9"
next_run() { # date: a clean run that prints its report; 0 or 1
    $CELLPIPE --quiet run "$tmp/p.yaml" --out "$out" --date "$1" >"$tmp/next.out" \
        2>"$tmp/next.err" && [ "$(cat "$tmp/next.out")" = "$base/$1" ]
}
# A failed check that shows the next run's stderr, read after the run.
next_run_ok() { # date, what
    if next_run "$1"; then ok; else bad "$2: the next run failed: $(tail -n 3 "$tmp/next.err")"; fi
}

# The checks themselves can fail: a journal cut mid-line does not push, a report missing a
# file or with one changed is not complete.
next_run_ok "${dates[0]}" "the first clean run"
check 'complete "$base/${dates[0]}" "${dates[0]}" >/dev/null' \
    "the first report is not complete: $(complete "$base/${dates[0]}" "${dates[0]}")"
cp -a "$base/${dates[0]}" "$tmp/broken"
sed -i '3s/.*/{"seq":/' "$tmp/broken/mlflow/journal.ndjson"
check '[ "$(push_rc "$tmp/broken")" = 65 ]' "a push of a journal with a cut line should exit 65"
rm -f "$tmp/broken/plots/survival.svg"
check '! complete "$tmp/broken" "${dates[0]}" >/dev/null' "a report missing a plot passed as complete"
cp -a "$base/${dates[0]}/plots/survival.svg" "$tmp/broken/plots/" && echo >>"$tmp/broken/results/cells.csv"
check '! complete "$tmp/broken" "${dates[0]}" >/dev/null' "a report with a changed file passed as complete"

# What may sit beside the dated reports after a kill (include/cellpipe/report.h).
stray() {
    ls -A "$base" | grep -vxE '\.lock|latest|[0-9]{4}-[0-9]{2}-[0-9]{2}|\.(staging|old)-[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]+|\.latest\.tmp' | tr '\n' ' '
}
dated() { ls -A "$base" | grep -xE '[0-9]{4}-[0-9]{2}-[0-9]{2}' | LC_ALL=C sort; }

RANDOM=$SEED
rand() { r=$(((RANDOM << 15 | RANDOM) % $1)); } # r = 0 .. $1-1; no subshell: it has its own RANDOM
kept=0 replaced=0 created=0 leftovers=0 finished=0
for i in $(seq 0 $((POINTS - 1))); do
    d=$(date_of "$i")
    what=""
    # before: a snapshot of every dated report and where latest points
    for r in $(dated); do snap "$base/$r" >"$tmp/pre-$r"; done
    pre_dated=$(dated | tr '\n' ' ') pre_latest=$(readlink "$base/latest")
    # The allocation count of this very run, clean: measured on a copy of the root at a path of
    # the same length (paths and the folder's contents change the count).
    rm -rf "$tmp/reportz" && cp -a "$out" "$tmp/reportz"
    count=$(CP_ALLOC_COUNT=1 $CELLPIPE --quiet run "$tmp/p.yaml" --out "$tmp/reportz" --date "$d" \
        2>&1 >/dev/null | sed -n 's/^cellpipe: allocations: //p')
    case $((i % 5)) in
    0 | 1) # a publish into a new folder is its last few allocations: rename, latest
        tail=$([ -d "$base/$d" ] && echo $TAIL || echo $TAIL_NEW)
        rand "$tail" && n=$((count - tail + 1 + r)) what="allocation $n of $count (last $tail)" ;;
    2 | 3) rand "$count" && n=$((1 + r)) what="allocation $n of $count" ;;
    4) rand $((run_ms + 1)) && delay=$r what="kill -9 after ${delay} ms (run ${run_ms} ms)" ;;
    esac
    if [ $((i % 5)) = 4 ]; then
        $CELLPIPE --quiet run "$tmp/p.yaml" --out "$out" --date "$d" >/dev/null 2>&1 &
        pid=$!
        sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        rc=$?
    else
        # braces: this shell's own "Killed" line goes to /dev/null too
        { CP_KILL_AT_ALLOC=$n $CELLPIPE --quiet run "$tmp/p.yaml" --out "$out" --date "$d" \
            >/dev/null 2>&1; } 2>/dev/null
        rc=$?
    fi
    outcome=""
    what="point $i ($d, $what)"
    check '[ $rc = 137 ] || [ $rc = 0 ]' "$what: exit $rc, expected 137 (killed) or 0"
    [ $rc = 0 ] && finished=$((finished + 1))

    # after: every report that was there is unchanged, or (this date) a complete new one
    for r in $pre_dated; do
        if [ -d "$base/$r" ] && snap "$base/$r" | cmp -s - "$tmp/pre-$r"; then
            [ "$r" = "$d" ] && kept=$((kept + 1)) outcome="old report kept"
        elif [ "$r" = "$d" ]; then
            why=$(complete "$base/$r" "$r") && replaced=$((replaced + 1)) outcome="replaced whole"
            check '[ -z "$why" ]' "$what: $r is neither the old report nor a complete new one: $why"
        else
            bad "$what: the report of $r changed"
        fi
    done
    if [[ " $pre_dated " != *" $d "* ]] && [ -e "$base/$d" ]; then
        why=$(complete "$base/$d" "$d") && created=$((created + 1)) outcome="new date published"
        check '[ -z "$why" ]' "$what: a new $d that is not complete: $why"
    fi
    check '[ -z "$(stray)" ]' "$what: unexpected names beside the reports: $(stray)"
    left=$(cd "$base" && ls -d .staging-* .old-* .latest.tmp 2>/dev/null | sed 's/-[0-9]*$//' | tr '\n' ' ')
    [ -n "$left" ] && leftovers=$((leftovers + 1))
    [[ " $pre_dated " != *" $d "* ]] && [ ! -e "$base/$d" ] && outcome="no $d yet"
    echo "$what: exit $rc, ${outcome:-?}${left:+, left $left}"
    latest=$(readlink "$base/latest")
    check '[ -d "$base/$latest" ] && { [ "$latest" = "$pre_latest" ] || [ "$latest" = "$(dated | tail -n 1)" ]; }' \
        "$what: latest -> '$latest' (was '$pre_latest', newest '$(dated | tail -n 1)')"

    # the next run: no stale lock, leftovers gone, a complete report, latest on the newest
    t0=$(ms)
    next_run_ok "$d" "$what"
    run_ms=$(($(ms) - t0))
    check '! ls -d "$base"/.staging-* "$base"/.old-* >/dev/null 2>&1' "$what: the next run left leftovers"
    why=$(complete "$base/$d" "$d")
    check '[ -z "$why" ]' "$what: the next run's report is not complete: $why"
    check '[ "$(readlink "$base/latest")" = "$(dated | tail -n 1)" ]' \
        "$what: after the next run latest -> $(readlink "$base/latest")"
done
echo "kill points: $POINTS (seed $SEED); old report kept $kept, replaced whole $replaced," \
    "new date published $created, run finished before the kill $finished; leftovers for the next run $leftovers"

# Publish without RENAME_EXCHANGE is two renames; killed between them, the report is only in
# .old-<date>-<pid>. That state, made by hand: a failing run (exit 65) must give it back
# whole, and a later run replace it as usual.
d=${dates[0]}
snap "$base/$d" >"$tmp/pre-two"
mv "$base/$d" "$base/.old-$d-99999"
CP_K_MAX=0.5 $CELLPIPE --quiet run "$tmp/p.yaml" --out "$out" --date "$d" >/dev/null 2>"$tmp/err"
rc=$?
check '[ $rc = 65 ]' "failing run after a two-rename kill exit $rc, expected 65"
check '[ -d "$base/$d" ] && snap "$base/$d" | cmp -s - "$tmp/pre-two"' \
    "the previous report was not restored from .old-$d-99999"
check '[ ! -e "$base/.old-$d-99999" ]' "the .old- folder is still there after the restore"
check 'grep -q "restored the previous report" "$tmp/err"' "no log line says the report was restored"
mkdir "$base/.old-$d-99998" && touch "$base/.old-$d-99998/x" # beside a report: garbage
next_run_ok "$d" "after the restore"
check '[ ! -e "$base/.old-$d-99998" ] && [ -z "$(complete "$base/$d" "$d")" ]' \
    "an .old- folder beside its report should be removed, the report complete"

echo "kill: $pass passed, $fail failed"
[ "$fail" = 0 ]
