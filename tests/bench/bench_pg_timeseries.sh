#!/usr/bin/env bash
# What raw points cost in PostgreSQL (docs/postgres.md "Ingest"): a private server
# (tests/integration/pg-server); a million points made from the real INL P492-13 raw export
# (its rows repeated with the clock and cycle index moved on, in a temp dir, never kept);
# `cellpipe ingest` with and without the points, the table's size, and the postgres source's
# replay (timeseries: true). CP_BENCH_TS_REPEAT (default 495) sets the size. Not a test.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CELLPIPE=${CELLPIPE:-$PWD/$BUILD/cellpipe}
REAL=${CELLPIPE_REAL_DATA:-$PWD/../shared/data}
INL=$REAL/battdat/batterydata_inl/p492-13-raw.csv
REPEAT=${CP_BENCH_TS_REPEAT:-495}
source tests/integration/pg-server
W=""
trap 'pg_server_stop; [ -n "$W" ] && rm -rf "$W"' EXIT
if [ ! -f "$INL" ] || ! pg_server_available; then
    echo "bench_pg_timeseries: skipped (no real data or no PostgreSQL server binaries)"
    exit 0
fi
pg_server_start || exit 1
W=$(mktemp -d /tmp/cellpipe-tsbench.XXXXXX)
chmod 755 "$W"
awk -F, -v OFS=, -v OFMT=%.15g -v CONVFMT=%.15g -v r="$REPEAT" 'NR == 1 { print; next }
    { row[n++] = $0 }
    END { for (k = 0; k < r; k++) for (i = 0; i < n; i++) {
        $0 = row[i]; $1 = $1 + 9 * k; $3 = $3 + k * 2e6; $10 = $10 + k * 2e6 / 86400; print } }' \
    "$INL" >"$W/big.csv"
echo "file: $(($(wc -l <"$W/big.csv") - 1)) points, $(stat -c %s "$W/big.csv") bytes; $(uptime)"
for mode in points cycles; do
    DB=$(pg_create_db "b$mode") || exit 1
    "$CELLPIPE" db init --db "$DB" >/dev/null || exit 1
    flag=""
    [ $mode = cycles ] && flag=--no-timeseries
    /usr/bin/time -f "ingest ($mode): %e s wall, %M kB peak RSS" \
        "$CELLPIPE" ingest --db "$DB" $flag "$W/big.csv" 2>&1 | grep -E 'files=|wall'
    psql "$DB" -XAtq -c "SELECT 'timeseries_data: ' || count(*) || ' rows, ' ||
        pg_size_pretty(pg_total_relation_size('timeseries_data')) || ' (heap ' ||
        pg_size_pretty(pg_relation_size('timeseries_data')) || ', indexes ' ||
        pg_size_pretty(pg_indexes_size('timeseries_data')) || ')' FROM timeseries_data"
done
printf 'name: b\nsource:\n  kind: postgres\n  dsn: "%s"\n  timeseries: true\nvalidate:\n  rules:\n    - rule: required\n      policy: warn\n      threshold: 1\n' \
    "host=$PGHOST port=$PGPORT user=$PGUSER dbname=bpoints" >"$W/p.yaml"
/usr/bin/time -f "replay run: %e s wall, %M kB peak RSS" \
    "$CELLPIPE" run "$W/p.yaml" --out "$W/out" --date 2026-01-01 2>&1 | grep -E 'timeseries_data|wall'
