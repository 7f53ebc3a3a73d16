#!/usr/bin/env bash
# Scale benchmark (issue 14 goal 1): the nightly pipeline on the sample lab in PostgreSQL at
# growing sizes, full refresh, each run under /usr/bin/time -v. Prints per size: selected
# cycle rows, wall seconds, peak RSS, bytes of peak RSS per cycle row, and the manifest's
# stage timings; nothing asserted. Not part of `make bench` (10,000 cells take about half an
# hour on 2 cores); run it by hand:
#   bash tests/bench/bench_scale.sh [CELLS...]        default: 1000 3000 10000
# CP_BENCH_CYCLES (1500) sets the sample's longest test.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CELLPIPE=${CELLPIPE:-$PWD/$BUILD/cellpipe}
CYCLES=${CP_BENCH_CYCLES:-1500}
SIZES=${*:-1000 3000 10000}
source tests/bench/pg_bench.bash
pg_bench_begin bench_scale
sed 's/incremental: true/incremental: false/' pipelines/nightly.yaml >"$WORK/nightly.yaml"
ln -s "$PWD/templates" "$WORK/templates"
uptime
for n in $SIZES; do
    db=$(pg_create_db "scale$n") || exit 1
    "$CELLPIPE" --quiet db init --db "$db" >/dev/null || exit 1
    t0=$SECONDS
    "$CELLPIPE" --quiet sample --cells "$n" --cycles "$CYCLES" --seed 42 --db "$db" || exit 1
    psql "$db" -X -q -c "VACUUM ANALYZE" >/dev/null
    rows=$(psql "$db" -X -At -c "SELECT count(*) FROM cycle_data d JOIN cell c USING (cell_id)
        WHERE c.test_status IN ('active', 'completed')")
    echo "scale $n cells: sample written in $((SECONDS - t0)) s, $rows selected cycle rows"
    DATABASE_URL=$db /usr/bin/time -v -o "$WORK/time-$n" "$CELLPIPE" --quiet run \
        "$WORK/nightly.yaml" --date 2026-01-15 --out "$WORK/out-$n" >"$WORK/log-$n" 2>&1
    rc=$?
    wall=$(awk '/Elapsed/ {print $NF}' "$WORK/time-$n")
    kb=$(awk '/Maximum resident/ {print $NF}' "$WORK/time-$n")
    awk -v n="$n" -v rc="$rc" -v w="$wall" -v kb="$kb" -v rows="$rows" 'BEGIN {
        printf "scale %d cells: rc=%d wall %s, peak RSS %.0f MiB, %.0f bytes per cycle row\n",
            n, rc, w, kb / 1024, kb * 1024 / rows }'
    m=$(find "$WORK/out-$n" -name manifest.json | head -n 1)
    [ -n "$m" ] && python3 -c 'import json, sys
t = json.load(open(sys.argv[1]))["timings_ms"]
print("scale " + sys.argv[2] + " cells stages (s): " + " ".join("%s=%.1f" % (k, v / 1000) for k, v in t.items()))' "$m" "$n"
    [ "$rc" = 0 ] || tail -n 5 "$WORK/log-$n"
    rm -rf "$WORK/out-$n"
    psql "${db/dbname=scale$n/dbname=postgres}" -X -q -c "DROP DATABASE scale$n" >/dev/null
done
uptime
