#!/usr/bin/env bash
# PostgreSQL integration suite: starts its own server (tests/integration/pg-server), runs the
# library-level checks (build/tests/pg/test_pg_live) and the command-line checks below, stops
# and removes the server, and prints one line "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUILD=${BUILD:-build}
CELLPIPE=${CELLPIPE:-$ROOT/$BUILD/cellpipe}
export CELLPIPE_REAL_DATA=${CELLPIPE_REAL_DATA:-$ROOT/../shared/data}
pass=0 fail=0 skip=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
skipped() { skip=$((skip + 1)); echo "SKIP $1: $2"; }
check() { # description, command...
    local what=$1; shift
    if "$@"; then ok; else bad "$what"; fi
}
check_not() { # description, command... (passes when the command fails)
    local what=$1; shift
    if "$@"; then bad "$what"; else ok; fi
}

# shellcheck source=tests/integration/pg-server
source tests/integration/pg-server
WORK=""
cleanup() {
    pg_server_stop
    [ -n "$WORK" ] && [ -z "${CP_KEEP_WORK:-}" ] && rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! pg_server_available; then
    skipped "postgres" "PostgreSQL server binaries not installed"
    echo "$pass passed, $fail failed, $skip skipped"
    exit 0
fi
if ! pg_server_start; then
    echo "FAIL cannot start a private PostgreSQL server"
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
fi
WORK=$(mktemp -d /tmp/cellpipe-pgtest.XXXXXX)

# ---- library-level checks (every column, NULLs, filters, injection, termination, ingest) --
LIVE=$ROOT/$BUILD/tests/pg/test_pg_live
if [ -x "$LIVE" ]; then
    LIVE_DSN=$(pg_create_db live) || bad "createdb live"
    out=$(CELLPIPE_TEST_PG_DSN=$LIVE_DSN "$LIVE" 2>&1)
    rc=$?
    echo "$out" | grep -E '^(FAIL|SKIP)' | sed 's/^/live: /'
    line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n 1)
    if [ -z "$line" ]; then
        bad "test_pg_live printed no result (exit $rc)"
        echo "$out" | tail -n 20
    else
        p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
        f=$(echo "$line" | sed -E 's/.*, ([0-9]+) failed.*/\1/')
        s=$(echo "$line" | sed -nE 's/.*, ([0-9]+) skipped.*/\1/p')
        pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + ${s:-0}))
        [ "$rc" != 0 ] && [ "$f" = 0 ] && bad "test_pg_live exited $rc"
    fi
else
    bad "missing $LIVE (make unit builds it)"
fi

# ---- command-line checks --------------------------------------------------------------------
if [ ! -x "$CELLPIPE" ]; then
    bad "missing $CELLPIPE"
    echo "$pass passed, $fail failed, $skip skipped"
    exit 1
fi
DB=$(pg_create_db lab) || bad "createdb lab"
sql() { psql "$DB" -X -A -t -q -v ON_ERROR_STOP=1 -c "$1"; }
run() { # out-file, args...: runs cellpipe, stderr to out-file, returns its exit code
    local out=$1; shift
    SOURCE_DATE_EPOCH=1 "$CELLPIPE" "$@" >"$out.stdout" 2>"$out"
}
pipeline() { # file, name, kind, extra yaml lines
    printf 'name: %s\nsource:\n  kind: %s\n  seed: 42\n  cells: 12\n  cycles: 300\n  dsn: "%s"\n%s' \
        "$2" "$3" "${4:-$DB}" "${5:-}" >"$1"
}

# init, twice
run "$WORK/init1" db init --db "$DB"; rc1=$?
run "$WORK/init2" db init --db "$DB"; rc2=$?
check "db init twice exits 0" [ "$rc1" = 0 ] && [ "$rc2" = 0 ]
check "db init reports schema version 2" grep -qx "schema version 2" "$WORK/init2.stdout"
check "schema_version has two rows (migrations 1 and 2)" [ "$(sql 'SELECT count(*) FROM schema_version')" = 2 ]

# the sample lab into the schema, then the same report from both sources
run "$WORK/sample" sample --cells 12 --cycles 300 --db "$DB"
check "sample --db exits 0" [ $? = 0 ]
check "sample --db stored 12 cells" [ "$(sql 'SELECT count(*) FROM cell')" = 12 ]
ncycles=$(sql 'SELECT count(*) FROM cycle_data')
pipeline "$WORK/s.yaml" cmp sample
pipeline "$WORK/p.yaml" cmp postgres
run "$WORK/run-s" run "$WORK/s.yaml" --out "$WORK/rs" --date 2026-01-01
check "sample run exits 0" [ $? = 0 ]
run "$WORK/run-p" run "$WORK/p.yaml" --out "$WORK/rp" --date 2026-01-01
check "postgres run exits 0" [ $? = 0 ]
S=$WORK/rs/cmp/2026-01-01/results P=$WORK/rp/cmp/2026-01-01/results
# The sample lab repeats one cycle on purpose: the sample run quarantines the repeat, the
# database's primary key keeps one row; either way the reports must be equal, every column.
for f in cells.csv cycles.csv; do
    check "postgres $f equals sample $f" cmp -s "$S/$f" "$P/$f"
done
check "postgres run read 12 cells" [ "$(($(wc -l <"$P/cells.csv") - 1))" = 12 ]

# filters and injection attempts through them
pipeline "$WORK/f.yaml" filt postgres "$DB" $'select:\n  design_name: [NMC-POUCH-B]\n'
run "$WORK/run-f" run "$WORK/f.yaml" --out "$WORK/rf" --date 2026-01-01
check "filtered run exits 0" [ $? = 0 ]
want=$(grep -c ',NMC-POUCH-B,' "$S/cells.csv")
got=$(($(wc -l <"$WORK/rf/filt/2026-01-01/results/cells.csv") - 1))
check "design_name filter keeps the $want NMC-POUCH-B cells (got $got)" [ "$want" = "$got" ] && [ "$got" -gt 0 ]
check "filtered run has no other design" [ "$(tail -n +2 "$WORK/rf/filt/2026-01-01/results/cells.csv" | grep -vc ',NMC-POUCH-B,')" = 0 ]
i=0
for sel in "design_name: ['NMC-POUCH-B'' OR ''1''=''1']" \
    "design_name: ['x''); DROP TABLE cell; --']" \
    "cell_id: ['cell-0001\", \"cell-0002']" \
    "where: {chemistry: ['LFP'' OR ''a''=''a']}" \
    "where: {\"chemistry) OR (1=1\": [LFP]}"; do
    i=$((i + 1))
    pipeline "$WORK/inj$i.yaml" "inj$i" postgres "$DB" "select: {$sel}
"
    run "$WORK/run-inj$i" run "$WORK/inj$i.yaml" --out "$WORK/rinj" --date 2026-01-01
    rc=$?
    cells=$(tail -n +2 "$WORK/rinj/inj$i/2026-01-01/results/cells.csv" 2>/dev/null | wc -l)
    if [ "$rc" = 0 ]; then
        check "injection $i ($sel): no cell selected ($cells)" [ "$cells" = 0 ]
    else
        check "injection $i ($sel): a clear error (exit $rc)" grep -q '^cellpipe: ' "$WORK/run-inj$i"
    fi
done
check "cell table intact after injection attempts" [ "$(sql 'SELECT count(*) FROM cell')" = 12 ]
check "cycle_data intact after injection attempts" \
    [ "$(sql 'SELECT count(*) FROM cycle_data')" = "$ncycles" ]

# ingest: real Battery Archive export, idempotent
BA=$CELLPIPE_REAL_DATA/battdat/batteryarchive/CALCE_CX2-33_prism_LCO_25C_0-100_0.5-0.5C_d_cycle_data.csv
if [ -f "$BA" ]; then
    before=$(sql 'SELECT count(*) FROM cycle_data')
    run "$WORK/ing1" ingest --db "$DB" "$BA"
    check "ingest exits 0" [ $? = 0 ]
    rows=$(($(grep -c . "$BA") - 1))
    check "ingest loaded the file's $rows cycles" [ "$(($(sql 'SELECT count(*) FROM cycle_data') - before))" = "$rows" ]
    check "ingest logs key=value lines off a terminal" grep -q 'stage=ingest file=.*status=loaded' "$WORK/ing1"
    check "ingested values equal the file's" [ "$(sql "SELECT discharge_capacity_ah FROM cycle_data WHERE cell_id LIKE 'CALCE%' AND cycle_index = 1")" = 1.292 ]
    run "$WORK/ing2" ingest --db "$DB" "$BA"
    check "re-ingest exits 0" [ $? = 0 ]
    check "re-ingest says unchanged" grep -q 'status=unchanged' "$WORK/ing2"
    check "re-ingest adds no rows" [ "$(($(sql 'SELECT count(*) FROM cycle_data') - before))" = "$rows" ]
    check "re-ingest adds no testfiles row" [ "$(sql 'SELECT count(*) FROM testfiles')" = 1 ]
else
    skipped "ingest of a real Battery Archive export" "no real data"
fi
run "$WORK/ing3" ingest --db "$DB" "$WORK/missing.csv"
check "ingest of a missing file exits 66" [ $? = 66 ]

# incremental run equals a full run
ncells=$(sql 'SELECT count(*) FROM cell')
pipeline "$WORK/n.yaml" nightly postgres "$DB" $'  incremental: true\n'
run "$WORK/n1" run "$WORK/n.yaml" --out "$WORK/rn1" --date 2026-01-02
check "first incremental run exits 0" [ $? = 0 ]
check "first incremental run computes every cell" grep -q "stage=cache .*reused=0 recomputed=$ncells " "$WORK/n1"
check "watermark recorded" [ "$(sql "SELECT watermark > 0 FROM pipeline_state WHERE pipeline = 'nightly'")" = t ]
sql "UPDATE cycle_data SET discharge_capacity_ah = discharge_capacity_ah * 0.97 WHERE cell_id = 'cell-0002' AND cycle_index > 100"
run "$WORK/n2" run "$WORK/n.yaml" --out "$WORK/rinc" --date 2026-01-03
check "second incremental run exits 0" [ $? = 0 ]
check "second incremental run recomputes only the changed cell" grep -q "stage=cache .*reused=$((ncells - 1)) recomputed=1 changed_since_last_run=1 " "$WORK/n2"
run "$WORK/n3" run "$WORK/n.yaml" --out "$WORK/rfull" --date 2026-01-03 --full-refresh
check "full refresh exits 0" [ $? = 0 ]
check "full refresh reuses nothing" grep -q "stage=cache .*reused=0 recomputed=$ncells " "$WORK/n3"
for f in results/cells.csv results/cycles.csv quarantine.csv; do
    check "incremental $f equals full refresh $f" \
        cmp -s "$WORK/rinc/nightly/2026-01-03/$f" "$WORK/rfull/nightly/2026-01-03/$f"
done
check_not "the changed cell's result changed" \
    cmp -s <(grep '^cell-0002,' "$WORK/rn1/nightly/2026-01-02/results/cells.csv") \
    <(grep '^cell-0002,' "$WORK/rfull/nightly/2026-01-03/results/cells.csv")

# advisory lock: another host holds the pipeline
psql "$DB" -X -q -c "SELECT pg_advisory_lock(hashtextextended('cellpipe:pipeline:nightly', 0)); SELECT pg_sleep(60)" >/dev/null 2>&1 &
holder=$!
for _ in $(seq 50); do
    [ "$(sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" -ge 1 ] && break
    sleep 0.1
done
run "$WORK/lock" run "$WORK/n.yaml" --out "$WORK/rlock" --date 2026-01-04
check "a run while another host holds the lock exits 75" [ $? = 75 ]
check "the lock message is clear" grep -q "running elsewhere" "$WORK/lock"
sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()" >/dev/null
wait "$holder" 2>/dev/null
# shards of one pipeline run side by side: the lock is per shard
psql "$DB" -X -q -c "SELECT pg_advisory_lock(hashtextextended('cellpipe:pipeline:nightly#0/2', 0)); SELECT pg_sleep(60)" >/dev/null 2>&1 &
holder=$!
for _ in $(seq 50); do
    [ "$(sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" -ge 1 ] && break
    sleep 0.1
done
run "$WORK/shard1" run "$WORK/n.yaml" --out "$WORK/rshard" --date 2026-01-04 --shard 1/2
check "shard 1/2 runs while shard 0/2 is held elsewhere" [ $? = 0 ]
run "$WORK/shard0" run "$WORK/n.yaml" --out "$WORK/rshard0" --date 2026-01-04 --shard 0/2
check "shard 0/2 exits 75 while held elsewhere" [ $? = 75 ]
sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()" >/dev/null
wait "$holder" 2>/dev/null

# backend terminated mid-extraction: exit 69 or 75, clear message, previous report intact
cat >"$WORK/slow.sql" <<'SQL'
SELECT d.cell_id, d.cycle_index, d.discharge_capacity_ah, d.charge_capacity_ah
  FROM cycle_data d JOIN unnest(:cell_ids::text[]) AS s (cell_id) ON s.cell_id = d.cell_id,
       LATERAL (SELECT pg_sleep(CASE WHEN d.cycle_index = 150 THEN 60 ELSE 0 END)) AS z
SQL
pipeline "$WORK/k.yaml" nightly postgres "$DB" "  cycles_query: $WORK/slow.sql
"
prev=$WORK/rn1/nightly/2026-01-02
sum_before=$(cd "$prev" && find . -type f -exec sha256sum {} + | sort | sha256sum)
SOURCE_DATE_EPOCH=1 "$CELLPIPE" run "$WORK/k.yaml" --out "$WORK/rn1" --date 2026-01-02 \
    >/dev/null 2>"$WORK/kill" &
runner=$!
killed=0
for _ in $(seq 100); do
    n=$(sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'cellpipe' AND state = 'active' AND query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()")
    [ "$n" -ge 1 ] && { killed=1; break; }
    sleep 0.1
done
wait "$runner"
rc=$?
check "the extraction was terminated by pg_terminate_backend" [ "$killed" = 1 ]
check "terminated extraction exits 69 or 75 (got $rc)" [ "$rc" = 69 ] || [ "$rc" = 75 ]
# libpq reports the server's FATAL "terminating connection" or, when the socket closes first,
# "server closed the connection unexpectedly": either way the message says what happened.
check "terminated extraction says so" grep -q "lost the connection to PostgreSQL" "$WORK/kill"
sum_after=$(cd "$prev" && find . -type f -exec sha256sum {} + | sort | sha256sum)
check "previous report intact after the failed run" [ "$sum_before" = "$sum_after" ]
check "no staging folder left" [ -z "$(find "$WORK/rn1/nightly" -maxdepth 1 -name '.staging*')" ]

# wrong password, unreachable host
sql "DROP ROLE IF EXISTS cp_pw; CREATE ROLE cp_pw LOGIN PASSWORD 'right-one'"
pipeline "$WORK/pw.yaml" pw postgres "host=127.0.0.1 port=$PGPORT user=cp_pw password=wrong-secret dbname=lab"
run "$WORK/pw" run "$WORK/pw.yaml" --out "$WORK/rpw" --date 2026-01-01
check "wrong password exits 69" [ $? = 69 ]
check "wrong password message is clear" grep -q "password authentication failed" "$WORK/pw"
check_not "the password is not printed" grep -q "wrong-secret" "$WORK/pw"
port=$(free_port)
pipeline "$WORK/un.yaml" un postgres "host=127.0.0.1 port=$port dbname=lab connect_timeout=3"
run "$WORK/un" run "$WORK/un.yaml" --out "$WORK/run" --date 2026-01-01
check "unreachable host exits 69" [ $? = 69 ]
check "unreachable host message is clear" grep -q "cannot connect to PostgreSQL" "$WORK/un"
run "$WORK/un2" ingest --db "host=127.0.0.1 port=$port dbname=lab" "$WORK/s.yaml"
check "ingest to an unreachable host exits 69" [ $? = 69 ]

# libpq's own environment and password file; the shipped nightly pipeline via DATABASE_URL
printf '127.0.0.1:%s:lab:cp_pw:right-one\n' "$PGPORT" >"$WORK/pgpass"
chmod 600 "$WORK/pgpass"
sql "GRANT SELECT ON ALL TABLES IN SCHEMA public TO cp_pw"
pipeline "$WORK/env.yaml" envpw postgres ""
PGHOST=127.0.0.1 PGUSER=cp_pw PGDATABASE=lab PGPASSFILE=$WORK/pgpass \
    run "$WORK/env" run "$WORK/env.yaml" --out "$WORK/renv" --date 2026-01-01
check "empty dsn: libpq environment and password file connect (exit 0)" [ $? = 0 ]
check "libpq environment run read every cell" \
    [ "$(($(wc -l <"$WORK/renv/envpw/2026-01-01/results/cells.csv") - 1))" = "$(sql 'SELECT count(*) FROM cell')" ]
DATABASE_URL=$DB run "$WORK/nightly" run pipelines/nightly.yaml --out "$WORK/rnightly" --date 2026-01-05
check "pipelines/nightly.yaml runs from DATABASE_URL (exit 0)" [ $? = 0 ]
check "nightly report covers the active and completed cells" \
    [ "$(($(wc -l <"$WORK/rnightly/nightly/2026-01-05/results/cells.csv") - 1))" = \
      "$(sql "SELECT count(*) FROM cell WHERE test_status IN ('active', 'completed')")" ]

# progress bar on a terminal (script(1) gives the command a pty), key=value lines otherwise
"$CELLPIPE" sample --cells 3 --cycles 40 --seed 7 --out "$WORK/tty" >/dev/null 2>&1
if command -v script >/dev/null 2>&1; then
    script -qec "'$CELLPIPE' ingest --db '$DB' $WORK/tty/*_cycle_data.csv" /dev/null \
        >"$WORK/tty.out" 2>&1 </dev/null
    check "ingest on a terminal exits 0" [ $? = 0 ]
    check "ingest on a terminal draws a progress bar" grep -q '\[#*\] 3/3 files' "$WORK/tty.out"
    check_not "ingest on a terminal prints no per-file log lines" grep -q 'stage=ingest file=' "$WORK/tty.out"
else
    skipped "ingest progress bar" "script(1) not installed"
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
