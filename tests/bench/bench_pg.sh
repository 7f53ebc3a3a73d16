#!/usr/bin/env bash
# PostgreSQL benchmark (docs/postgres.md "Speed"): 1,000 cells x 1,500 cycles on a private
# server (tests/integration/pg-server), the figures printed, nothing asserted.
#   ingest       `cellpipe ingest` of 1,000 Battery Archive exports: cycles/s
#   extraction   cycles query into the table, binary COPY and single-row mode, against psql's
#                COPY (same query) TO STDOUT (FORMAT binary) > /dev/null in the same run
#   nightly      `cellpipe run` from PostgreSQL to a published report: wall time, peak RSS
# CP_BENCH_CELLS / CP_BENCH_CYCLES change the size.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CELLPIPE=${CELLPIPE:-$PWD/$BUILD/cellpipe}
BENCH=$PWD/$BUILD/bench/bench_pg
CELLS=${CP_BENCH_CELLS:-1000}
CYCLES=${CP_BENCH_CYCLES:-1500}
source tests/bench/pg_bench.bash
pg_bench_begin bench_pg
DB=$(pg_create_db bench) || exit 1
"$CELLPIPE" --quiet db init --db "$DB" >/dev/null || exit 1

# Battery Archive cycle exports: a square-root plus linear fade with a little noise.
mkdir -p "$WORK/files"
awk -v cells="$CELLS" -v cycles="$CYCLES" -v dir="$WORK/files" 'BEGIN {
    hdr = "Cycle_Index,Start_Time,End_Time,Test_Time (s),Min_Current (A),Max_Current (A)," \
          "Min_Voltage (V),Max_Voltage (V),Charge_Capacity (Ah),Discharge_Capacity (Ah)," \
          "Charge_Energy (Wh),Discharge_Energy (Wh)"
    for (c = 1; c <= cells; c++) {
        f = sprintf("%s/bench-cell-%04d_cycle_data.csv", dir, c)
        print hdr > f
        srand(c); q0 = 1.0 + 0.2 * rand(); a = 0.002 + 0.002 * rand(); b = 0.00005 + 0.0001 * rand()
        for (n = 1; n <= cycles; n++) {
            q = q0 * (1 - a * sqrt(n) - b * n) * (1 + 0.002 * (rand() - 0.5))
            printf "%d.0,,,%.3f,%.3f,%.3f,2.5,4.2,%.6f,%.6f,%.6f,%.6f\n", n, n * 7200.0, \
                -q, q, q * 1.001, q, q * 3.8, q * 3.6 >> f
        }
        close(f)
    }
}'
rows=$((CELLS * CYCLES))
echo "bench_pg: $CELLS cells x $CYCLES cycles = $rows cycle rows"

out=$("$BENCH" exec "$CELLPIPE" --quiet ingest --db "$DB" "$WORK"/files/*.csv)
echo "$out"
secs=$(echo "$out" | sed -nE 's/.*wall=([0-9.]+) s.*/\1/p')
awk -v r="$rows" -v s="$secs" 'BEGIN { printf "pg ingest: %d files, %.0f cycles/s\n", 0, r / s }' |
    sed "s/ 0 files/ $CELLS files/"
psql "$DB" -X -q -c "UPDATE cell SET test_status = 'active', nominal_capacity_ah = 1.1,
    design_name = 'D' || (abs(hashtext(cell_id)) % 4)::text" -c "VACUUM ANALYZE" >/dev/null

"$BENCH" extract "$DB"

cat >"$WORK/nightly.yaml" <<YAML
name: nightly
source:
  kind: postgres
  dsn: "$DB"
  incremental: true
YAML
tp=$PWD/templates
(cd "$WORK" && ln -s "$tp" templates)
"$BENCH" exec "$CELLPIPE" --quiet run "$WORK/nightly.yaml" --out "$WORK/reports" --date 2026-01-01 |
    sed 's/^pg exec:/pg nightly (first run):/'
"$BENCH" exec "$CELLPIPE" --quiet run "$WORK/nightly.yaml" --out "$WORK/reports" --date 2026-01-02 |
    sed 's/^pg exec:/pg nightly (incremental, nothing changed):/'
# Where the nightly time goes (the manifest's stage timings).
for d in 2026-01-01 2026-01-02; do
    m=$WORK/reports/nightly/$d/manifest.json
    [ -f "$m" ] && command -v python3 >/dev/null 2>&1 &&
        python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["timings_ms"]; print("pg nightly " + sys.argv[2] + " stages (s): " + " ".join("%s=%.1f" % (k, v / 1000) for k, v in t.items()))' "$m" "$d"
done
