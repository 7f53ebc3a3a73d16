#!/usr/bin/env bash
# Raw time series in PostgreSQL against a private server (tests/integration/pg-server):
# `cellpipe ingest` fills timeseries_data (same transaction as the cycles, idempotent,
# --no-timeseries), and the postgres source with `timeseries: true` gives the dQ/dV curves the
# files source computes from the same real file; memory does not grow with the points.
# Real files come from $CELLPIPE_REAL_DATA (skipped when absent). Prints
# "timeseries: N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUILD=${BUILD:-build}
CELLPIPE=${CELLPIPE:-$ROOT/$BUILD/cellpipe}
REAL=${CELLPIPE_REAL_DATA:-$ROOT/../shared/data}
pass=0 fail=0 skip=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { # description, command...
    local what=$1; shift
    if "$@"; then ok; else bad "$what"; fi
}
finish() { echo "timeseries: $pass passed, $fail failed, $skip skipped"; exit $((fail > 0)); }

# shellcheck source=tests/integration/pg-server
source tests/integration/pg-server
WORK=""
cleanup() {
    pg_server_stop
    [ -n "$WORK" ] && [ -z "${CP_KEEP_WORK:-}" ] && rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

INL=$REAL/battdat/batterydata_inl/p492-13-raw.csv
ARBIN=$REAL/battdat/arbin/arbin_example.csv
if ! pg_server_available; then
    skip=$((skip + 1)); echo "SKIP ingest_timeseries: PostgreSQL server binaries not installed"; finish
fi
if [ ! -f "$INL" ] || [ ! -f "$ARBIN" ]; then
    skip=$((skip + 1)); echo "SKIP ingest_timeseries: no real data in $REAL"; finish
fi
[ -x "$CELLPIPE" ] || { bad "missing $CELLPIPE"; finish; }
pg_server_start || { bad "cannot start a private PostgreSQL server"; finish; }
WORK=$(mktemp -d /tmp/cellpipe-tstest.XXXXXX)
chmod 755 "$WORK"

DB=$(pg_create_db ts) || bad "createdb ts"
DB2=$(pg_create_db nots) || bad "createdb nots"
q() { psql "$1" -X -A -t -q -v ON_ERROR_STOP=1 -c "$2"; }
run() { # out-file, args...
    local out=$1; shift
    SOURCE_DATE_EPOCH=1 "$CELLPIPE" "$@" >"$out.stdout" 2>"$out"
}
# Data rows of a CSV export: lines after the header (the oracle: SOURCE.md's row counts).
data_rows() { echo $(($(wc -l <"$1") - 1)); }

run "$WORK/init" db init --db "$DB"
check "db init exits 0" [ $? = 0 ]
run "$WORK/init2" db init --db "$DB2"

# ---- ingest: every point, once ---------------------------------------------------------------
inl_rows=$(data_rows "$INL")
check "SOURCE.md's 2,021 rows in p492-13-raw.csv" [ "$inl_rows" = 2021 ]
run "$WORK/i1" ingest --db "$DB" "$INL"
check "ingest exits 0" [ $? = 0 ]
check "timeseries_data holds every raw row ($inl_rows)" \
    [ "$(q "$DB" 'SELECT count(*) FROM timeseries_data')" = "$inl_rows" ]
check "testfiles.timeseries_points = $inl_rows" \
    [ "$(q "$DB" 'SELECT timeseries_points FROM testfiles')" = "$inl_rows" ]
check "point_index numbers the rows 0..n-1" \
    [ "$(q "$DB" "SELECT min(point_index) || ' ' || max(point_index) || ' ' || count(DISTINCT point_index) FROM timeseries_data")" = "0 $((inl_rows - 1)) $inl_rows" ]
# the file's cycles 1-9 (SOURCE.md), every point in one of them, on the cell of its cycles
check "points span cycles 1..9" \
    [ "$(q "$DB" "SELECT min(cycle_index) || ' ' || max(cycle_index) FROM timeseries_data")" = "1 9" ]
check "points and cycles name the same cell" \
    [ "$(q "$DB" 'SELECT count(*) FROM timeseries_data t WHERE NOT EXISTS (SELECT 1 FROM cycle_data d WHERE d.cell_id = t.cell_id AND d.cycle_index = t.cycle_index)')" = 0 ]
# the raw file's first data row, against the table (values as the file writes them)
first=$(sed -n 2p "$INL")
volt=$(echo "$first" | awk -F, '{print $7}')
check "first point's voltage is the file's first Voltage_V ($volt)" \
    [ "$(q "$DB" "SELECT abs(voltage_v - $volt) < 1e-12 FROM timeseries_data WHERE point_index = 0")" = t ]
cycles1=$(q "$DB" 'SELECT count(*) FROM cycle_data')

run "$WORK/i2" ingest --db "$DB" "$INL"
check "second ingest exits 0" [ $? = 0 ]
check "second ingest reports the file unchanged" grep -q 'status=unchanged' "$WORK/i2"
check "second ingest: same point count" \
    [ "$(q "$DB" 'SELECT count(*) FROM timeseries_data')" = "$inl_rows" ]
check "second ingest: same cycle count" [ "$(q "$DB" 'SELECT count(*) FROM cycle_data')" = "$cycles1" ]

# ---- --no-timeseries, then the points on a later ingest --------------------------------------
run "$WORK/n1" ingest --db "$DB2" --no-timeseries "$INL"
check "ingest --no-timeseries exits 0" [ $? = 0 ]
check "--no-timeseries: no points" [ "$(q "$DB2" 'SELECT count(*) FROM timeseries_data')" = 0 ]
check "--no-timeseries: the cycles are there ($cycles1)" \
    [ "$(q "$DB2" 'SELECT count(*) FROM cycle_data')" = "$cycles1" ]
check "--no-timeseries: timeseries_points is NULL" \
    [ "$(q "$DB2" 'SELECT timeseries_points IS NULL FROM testfiles')" = t ]
run "$WORK/n2" ingest --db "$DB2" "$INL"
check "ingest after --no-timeseries exits 0" [ $? = 0 ]
check "ingest after --no-timeseries stores points, no cycles" grep -q "status=loaded cycles=0 points=$inl_rows" "$WORK/n2"
check "ingest after --no-timeseries adds the points" \
    [ "$(q "$DB2" 'SELECT count(*) FROM timeseries_data')" = "$inl_rows" ]
check "... and keeps one testfiles row and the cycles" \
    [ "$(q "$DB2" 'SELECT count(*) FROM testfiles')/$(q "$DB2" 'SELECT count(*) FROM cycle_data')" = "1/$cycles1" ]
run "$WORK/n3" ingest --db "$DB2" --no-timeseries "$INL"
check "a later --no-timeseries ingest leaves the points" \
    [ "$(q "$DB2" 'SELECT count(*) FROM timeseries_data')" = "$inl_rows" ]

# ---- a file that fails half-way leaves nothing ------------------------------------------------
# The first 1,000 rows, then a row cut inside its fields: the reader stops there after
# having pushed 1,000 points into the COPY.
bad_file=$WORK/p492-13-cut.csv
head -n 1001 "$INL" >"$bad_file"
sed -n 1002p "$INL" | cut -c1-12 >>"$bad_file"
before=$(q "$DB" 'SELECT count(*) FROM timeseries_data')/$(q "$DB" 'SELECT count(*) FROM testfiles')
run "$WORK/bad" ingest --db "$DB" "$bad_file"
rc=$?
check "a cut file fails with the data exit code 65 (got $rc)" [ "$rc" = 65 ]
check "the error names the file and line 1002" grep -q "p492-13-cut.csv:1002" "$WORK/bad"
check "a failed file leaves no point and no testfiles row" \
    [ "$(q "$DB" 'SELECT count(*) FROM timeseries_data')/$(q "$DB" 'SELECT count(*) FROM testfiles')" = "$before" ]

# ---- the postgres source replays the points: the same dQ/dV as the files source --------------
run "$WORK/ia" ingest --db "$DB" "$ARBIN"
check "ingest of the Arbin file exits 0" [ $? = 0 ]
check "Arbin points: SOURCE.md's 2,142 rows" \
    [ "$(q "$DB" "SELECT timeseries_points FROM testfiles WHERE format = 'arbin'")" = 2142 ]
rules=$'validate:\n  rules:\n    - rule: required\n      policy: warn\n      threshold: 1\n'
pipeline() { # file, source lines
    printf 'name: cmp\nsource:\n%s\n%s' "$2" "$rules" >"$1"
}
compare() { # label, file, cell_id
    local label=$1 file=$2 cell=$3
    pipeline "$WORK/$label-f.yaml" "  kind: files
  paths: [$file]"
    pipeline "$WORK/$label-p.yaml" "  kind: postgres
  dsn: \"$DB\"
  timeseries: true"
    printf 'select:\n  cell_id: [%s]\n' "$cell" >>"$WORK/$label-p.yaml"
    run "$WORK/$label-rf" run "$WORK/$label-f.yaml" --out "$WORK/$label-of" --date 2026-01-01
    check "$label: files run exits 0" [ $? = 0 ]
    run "$WORK/$label-rp" run "$WORK/$label-p.yaml" --out "$WORK/$label-op" --date 2026-01-01
    check "$label: postgres run exits 0" [ $? = 0 ] || tail -3 "$WORK/$label-rp"
    local f=$WORK/$label-of/cmp/2026-01-01/results/dqdv.csv p=$WORK/$label-op/cmp/2026-01-01/results/dqdv.csv
    check "$label: the files source wrote dQ/dV curves" [ "$(wc -l <"$f" 2>/dev/null || echo 0)" -gt 100 ]
    check "$label: postgres dqdv.csv equals the files source's" cmp -s "$f" "$p"
    check "$label: postgres logged the replayed points" grep -q 'query=timeseries_data points=' "$WORK/$label-rp"
}
compare inl "$INL" p492-13
cell=$(q "$DB" "SELECT cell_id FROM testfiles JOIN mergedtest USING (file_id) WHERE format = 'arbin'")
compare arbin "$ARBIN" "$cell"

# The Severson features need cycles 10 and 100: a longer series made from the INL file's
# cycle 8 (a full discharge) repeated as cycles 1..110, clock moved on, discharge capacity
# fading 0.1 % a cycle. Files and postgres must give the same three features.
long=$WORK/p492-13-long.csv
awk -F, -v OFS=, -v OFMT=%.15g -v CONVFMT=%.15g 'NR == 1 { print; next } $1 == 8 { row[n++] = $0 }
    END { for (k = 1; k <= 110; k++) for (i = 0; i < n; i++) {
        $0 = row[i]; $1 = k; $3 = $3 + k * 1e5; $10 = $10 + k * 1e5 / 86400
        if ($13 != "NaN") $13 = $13 * (1 - 0.001 * k); print } }' "$INL" >"$long"
check "the long series has 110 x 199 rows" [ "$(data_rows "$long")" = $((110 * 199)) ]
run "$WORK/il" ingest --db "$DB" "$long"
check "ingest of the long series exits 0" [ $? = 0 ]
# ingest kept the file's features in cell.extra: drop them, so what postgres reports below
# can only come from the replayed points
q "$DB" "UPDATE cell SET extra = extra - 'dq100_10_log10_var' - 'dq100_10_min_ah' - 'dq100_10_mean_ah'"
compare long "$long" p492-13-long
features() { # cells.csv -> the three Severson columns of cell p492-13-long
    python3 -c 'import csv, sys
r = [r for r in csv.DictReader(open(sys.argv[1])) if r["cell_id"] == "p492-13-long"][0]
print(" ".join(r.get(k, "") for k in ("dq100_10_log10_var", "dq100_10_min_ah", "dq100_10_mean_ah")))' "$1"
}
ff=$(features "$WORK/long-of/cmp/2026-01-01/results/cells.csv")
fp=$(features "$WORK/long-op/cmp/2026-01-01/results/cells.csv")
echo "Severson features: files [$ff] postgres [$fp]"
check "long: the files source computed the three Severson features" \
    python3 -c 'import sys, math; v = [float(x) for x in sys.argv[1:]]; sys.exit(not (len(v) == 3 and all(map(math.isfinite, v)) and v[1] < 0 and v[2] < 0))' $ff
check "long: postgres Severson features equal the files source's" [ "$ff" = "$fp" ]
# oracle: Q100(V) - Q10(V) = (0.900 - 0.990) Q8(V), most negative at the end of discharge,
# where Q8 is the file's largest cycle-8 Discharge_Capacity_Ah (1 % grid trim: 1 % tolerance)
q8=$(awk -F, 'NR > 1 && $1 == 8 && $13 != "NaN" && $13 > m { m = $13 } END { print m }' "$INL")
check "long: dQ min = -0.09 x cycle 8's capacity ($q8 Ah) within 1 %" \
    python3 -c 'import sys; got, q = float(sys.argv[1]), float(sys.argv[2]); sys.exit(abs(got + 0.09 * q) > 0.01 * 0.09 * q)' "$(echo "$fp" | cut -d" " -f2)" "$q8"

# without the key, no curves from postgres (the default stays as it was)
pipeline "$WORK/off.yaml" "  kind: postgres
  dsn: \"$DB\""
run "$WORK/roff" run "$WORK/off.yaml" --out "$WORK/ooff" --date 2026-01-01
check "postgres without timeseries: run exits 0" [ $? = 0 ]
check "postgres without timeseries: no dqdv.csv" [ ! -e "$WORK/ooff/cmp/2026-01-01/results/dqdv.csv" ]
check "postgres without timeseries: no Severson features" \
    [ "$(features "$WORK/ooff/cmp/2026-01-01/results/cells.csv" | tr -d ' ')" = "" ]

# ---- the checks that replace the per-row foreign keys ----------------------------------------
check_not() { local what=$1; shift; if "$@"; then bad "$what"; else ok; fi; }
check_not "a point of an unknown cell is refused" \
    q "$DB2" "INSERT INTO timeseries_data (cell_id, cycle_index, test_time_s) VALUES ('nobody', 1, 0)" 2>/dev/null
check_not "a point of an unknown file is refused" \
    q "$DB2" "INSERT INTO timeseries_data (cell_id, file_id) VALUES ('p492-13', 999999)" 2>/dev/null
q "$DB2" "DELETE FROM testfiles"
check "deleting the file deletes its points" [ "$(q "$DB2" 'SELECT count(*) FROM timeseries_data')" = 0 ]
run "$WORK/n4" ingest --db "$DB2" "$INL"
q "$DB2" "DELETE FROM cell"
check "deleting the cell deletes its points" [ "$(q "$DB2" 'SELECT count(*) FROM timeseries_data')" = 0 ]

# ---- memory: peak RSS does not follow the number of points -------------------------------------
# One cell with the INL series once, one with it 300 times over (600k points) in a single
# cycle: the dQ/dV buffer is fixed and the series never held, so the run's peak RSS stays.
q "$DB" "INSERT INTO cell (cell_id) VALUES ('small'), ('big');
  INSERT INTO cycle_data (cell_id, cycle_index, discharge_capacity_ah) VALUES ('small', 1, 1), ('big', 1, 1);
  INSERT INTO timeseries_data (cell_id, cycle_index, point_index, test_time_s, current_a, voltage_v, discharge_capacity_ah)
    SELECT 'small', 1, point_index, test_time_s, current_a, voltage_v, discharge_capacity_ah
      FROM timeseries_data WHERE cell_id = 'p492-13';
  INSERT INTO timeseries_data (cell_id, cycle_index, point_index, test_time_s, current_a, voltage_v, discharge_capacity_ah)
    SELECT 'big', 1, k * 100000 + point_index, k * 1e6 + test_time_s, current_a, voltage_v, discharge_capacity_ah
      FROM timeseries_data, generate_series(0, 299) AS k WHERE cell_id = 'p492-13'"
check "the big cell has 300 x $inl_rows points" \
    [ "$(q "$DB" "SELECT count(*) FROM timeseries_data WHERE cell_id = 'big'")" = $((300 * inl_rows)) ]
rss() { # cell -> peak RSS (kB) of a postgres run over that cell
    pipeline "$WORK/m-$1.yaml" "  kind: postgres
  dsn: \"$DB\"
  timeseries: true"
    printf 'select:\n  cell_id: [%s]\n' "$1" >>"$WORK/m-$1.yaml"
    # under ASan (BUILD=build-asan) freed memory waits in a quarantine: none for this measure
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0" \
        /usr/bin/time -f '%M' -o "$WORK/m-$1.rss" "$CELLPIPE" run "$WORK/m-$1.yaml" --out "$WORK/m-$1" \
        --date 2026-01-01 >"$WORK/m-$1.log" 2>&1
    tail -n 1 "$WORK/m-$1.rss"
}
small=$(rss small) big=$(rss big)
check "big run replayed 606,300 points" grep -q "points=$((300 * inl_rows + 0))" "$WORK/m-big.log"
echo "peak RSS: $inl_rows points ${small} kB, $((300 * inl_rows)) points ${big} kB"
# 600k points held as cp_ts_point (96 bytes) would be 58 MB: allow 8 MB of noise
check "peak RSS flat as the points grow 300-fold (${small} -> ${big} kB)" \
    [ "$((big - small))" -lt 8192 ]

finish
