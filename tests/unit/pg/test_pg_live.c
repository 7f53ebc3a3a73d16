/*
 * The PostgreSQL code against a real server. tests/integration/postgres.sh starts a private
 * server and runs this program with CELLPIPE_TEST_PG_DSN naming an empty database; without
 * that variable (a plain `make unit`) every case is skipped.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include "cellpipe/alloc.h"
#include "cellpipe/config.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/pg.h"
#include "cellpipe/source.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/timeutil.h"
#include "harness.h"

static const char *dsn;
static PGconn *admin;

/* ---- helpers ---------------------------------------------------------------------------- */

static long long query_ll(const char *sql)
{
    PGresult *res = PQexec(admin, sql);
    long long v =
        PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)
            ? strtoll(PQgetvalue(res, 0, 0), NULL, 10)
            : -999;
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        fprintf(stderr, "query failed: %s: %s", sql, PQerrorMessage(admin));
    PQclear(res);
    return v;
}

static void exec_ok(const char *sql)
{
    PGresult *res = PQexec(admin, sql);
    T_REPORT(PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK,
             "%s: %s", sql, PQerrorMessage(admin));
    PQclear(res);
}

static int load_config(struct cp_config *cfg, const char *extra_yaml)
{
    struct cp_strbuf y = CP_STRBUF_INIT;
    struct cp_error err = {0};
    cp_strbuf_addf(&y, "name: live\nsource:\n  kind: postgres\n  dsn: \"%s\"\n%s", dsn,
                   extra_yaml ? extra_yaml : "");
    int rc = cp_config_load_buffer(cfg, "live.yaml", y.buf, y.len, &err);
    T_REPORT(rc == 0, "config: %s", err.msg);
    cp_strbuf_release(&y);
    return rc;
}

/* Load through the source; returns the code, dataset sorted (cells by id, cycles by id and
 * cycle). */
static int source_load(const char *extra_yaml, struct cp_dataset *ds, struct cp_error *err)
{
    struct cp_config cfg;
    if (load_config(&cfg, extra_yaml) < 0)
        return -CP_ECONFIG;
    cp_dataset_init(ds, err);
    int rc = cp_source_postgres.load(&cfg, ds, err);
    cp_config_release(&cfg);
    cp_table_sort(ds->cells, "cell_id", NULL);
    cp_table_sort(ds->cycles, "cell_id", "cycle_index");
    return rc;
}

static void set_str(struct cp_table *t, const char *col, size_t row, const char *s)
{
    cp_table_set_str(t, cp_table_find(t, col), row, s);
}

static void set_f64(struct cp_table *t, const char *col, size_t row, double v)
{
    int c = cp_table_find(t, col);
    if (c < 0)
        c = cp_table_add_column(t, col, CP_F64);
    cp_table_set_f64(t, c, row, v);
}

static void set_i64(struct cp_table *t, const char *col, size_t row, int64_t v)
{
    cp_table_set_i64(t, cp_table_find(t, col), row, v);
}

/* Three cells: every column filled, nearly everything missing, no cycles; strings with the
 * characters COPY and SQL care about. */
static void make_dataset(struct cp_dataset *ds)
{
    struct cp_error err = {0};
    cp_dataset_init(ds, &err);
    struct cp_table *c = ds->cells, *y = ds->cycles;
    int op = cp_table_add_column(c, "operator", CP_STR);
    for (int i = 0; i < 3; i++)
        cp_table_add_row(c);
    set_str(c, "cell_id", 0, "c1");
    set_str(c, "design_name", 0, "A");
    set_str(c, "experiment_group", 0, "g1");
    set_str(c, "layer_types", 0, "L1");
    set_str(c, "test_status", 0, "active");
    set_i64(c, "start_date", 0, 1614834367); /* 2021-03-04T05:06:07Z */
    set_i64(c, "year", 0, 2021);
    set_f64(c, "nominal_capacity_ah", 0, 1.1);
    set_str(c, "chemistry", 0, "LFP");
    set_str(c, "form_factor", 0, "pouch");
    set_str(c, "tester", 0, "arbin");
    set_str(c, "channel", 0, "7");
    cp_table_set_str(c, op, 0, "Ann\tTab\\slash\nnl 'q' \"dq\" \\N");
    set_f64(c, "temp_set", 0, 25.5);
    set_str(c, "cell_id", 1, "c2");
    set_str(c, "design_name", 1, "B");
    set_str(c, "cell_id", 2, "Zell\xc3\xa9 \xe2\x9c\x93");
    set_str(c, "design_name", 2, "A");
    set_str(c, "test_status", 2, "completed");
    set_i64(c, "year", 2, 2022);
    for (int k = 0; k < 5; k++) {
        long r = cp_table_add_row(y);
        set_str(y, "cell_id", (size_t)r, "c1");
        set_i64(y, "cycle_index", (size_t)r, k + 1);
        for (size_t col = 2; cp_cycles_columns[col].name; col++) {
            const char *name = cp_cycles_columns[col].name;
            if (cp_cycles_columns[col].type == CP_F64)
                set_f64(y, name, (size_t)r,
                        (k == 2 && col == 5) ? NAN
                        : (k == 3)           ? -1.0 / 3.0 * (double)col
                                             : 1e-300 * (double)(k + 1) + (double)col);
        }
        set_i64(y, "start_time", (size_t)r, k == 1 ? CP_I64_NA : 1614834367 + 3600 * k);
    }
    for (int k = 0; k < 3; k++) {
        long r = cp_table_add_row(y);
        set_str(y, "cell_id", (size_t)r, "c2");
        set_i64(y, "cycle_index", (size_t)r, 10 * (k + 1));
        set_f64(y, "discharge_capacity_ah", (size_t)r, 1e300 / (k + 1));
    }
    cp_table_sort(c, "cell_id", NULL);
    cp_table_sort(y, "cell_id", "cycle_index");
}

static int same_cell(const struct cp_table *a, int ca, size_t r, const struct cp_table *b, int cb)
{
    const struct cp_column *x = &a->cols[ca], *z = &b->cols[cb];
    if (cp_table_is_na(a, ca, r) || cp_table_is_na(b, cb, r))
        return cp_table_is_na(a, ca, r) == cp_table_is_na(b, cb, r);
    if (x->type != z->type)
        return 0;
    if (x->type == CP_STR)
        return strcmp(x->v.str[r], z->v.str[r]) == 0;
    if (x->type == CP_F64)
        return memcmp(&x->v.f64[r], &z->v.f64[r], sizeof(double)) == 0;
    return x->v.i64[r] == z->v.i64[r];
}

/* Every column of `want` present in `got` with the same values, row by row. */
static void check_tables_equal(const struct cp_table *want, const struct cp_table *got)
{
    CHECK_INT(got->nrows, want->nrows);
    if (got->nrows != want->nrows)
        return;
    for (size_t i = 0; i < want->ncols; i++) {
        int g = cp_table_find(got, want->cols[i].name);
        T_REPORT(g >= 0, "column '%s' missing", want->cols[i].name);
        if (g < 0)
            continue;
        size_t bad = 0;
        for (size_t r = 0; r < want->nrows; r++)
            bad += !same_cell(want, (int)i, r, got, g);
        T_REPORT(bad == 0, "column '%s' (%s vs %s): %zu rows differ", want->cols[i].name,
                 cp_type_name(want->cols[i].type), cp_type_name(got->cols[g].type), bad);
    }
}

/* ---- cases ---------------------------------------------------------------------------- */

TEST(schema_applies_twice)
{
    struct cp_error err = {0};
    int v1 = 0, v2 = 0;
    CHECK_INT(cp_pg_schema_apply(admin, &v1, &err), 0);
    CHECK_INT(cp_pg_schema_apply(admin, &v2, &err), 0);
    CHECK_INT(v1, 2);
    CHECK_INT(v2, 2);
    CHECK_INT(query_ll("SELECT count(*) FROM schema_version"), 2);
    CHECK_INT(query_ll("SELECT count(*) FROM information_schema.tables WHERE table_name IN "
                       "('cell','testfiles','mergedtest','cycle_data','timeseries_data',"
                       "'pipeline_state','cell_results','schema_version')"),
              8);
}

/* The foreign key from cycle_data to cell, enforced per statement by the schema's triggers. */
TEST(cycles_need_their_cell)
{
    PGresult *res = PQexec(admin, "INSERT INTO cycle_data (cell_id, cycle_index) "
                                  "VALUES ('no-such-cell', 1)");
    CHECK(PQresultStatus(res) == PGRES_FATAL_ERROR);
    CHECK_STR(PQresultErrorField(res, PG_DIAG_SQLSTATE), "23503");
    PQclear(res);
    exec_ok("INSERT INTO cell (cell_id) VALUES ('tmp-cell')");
    exec_ok(
        "INSERT INTO cycle_data (cell_id, cycle_index) VALUES ('tmp-cell', 1), ('tmp-cell', 2)");
    CHECK_INT(query_ll("SELECT n_cycles FROM cell WHERE cell_id = 'tmp-cell'"), 2);
    exec_ok("DELETE FROM cell WHERE cell_id = 'tmp-cell'");
    CHECK_INT(query_ll("SELECT count(*) FROM cycle_data WHERE cell_id = 'tmp-cell'"), 0);
}

static void roundtrip(const char *mode)
{
    struct cp_dataset want, got;
    struct cp_error err = {0};
    make_dataset(&want);
    setenv("CELLPIPE_PG_FETCH", mode, 1);
    int rc = source_load(NULL, &got, &err);
    unsetenv("CELLPIPE_PG_FETCH");
    T_REPORT(rc == 0, "%s load: %s", mode, err.msg);
    check_tables_equal(want.cells, got.cells);
    check_tables_equal(want.cycles, got.cycles);
    CHECK_INT(got.ninputs, 2);
    if (got.ninputs == 2) {
        CHECK_INT(got.inputs[1].rows, 8);
        CHECK_INT(strlen(got.inputs[1].sha256), 64);
    }
    cp_dataset_release(&want);
    cp_dataset_release(&got);
}

TEST(store_then_extract_every_column)
{
    struct cp_dataset ds;
    struct cp_error err = {0};
    make_dataset(&ds);
    PGconn *conn = NULL;
    CHECK_INT(cp_pg_connect(&conn, dsn, &err), 0);
    CHECK_INT(cp_pg_store_dataset(conn, &ds, &err), 0);
    /* storing again replaces, never duplicates */
    CHECK_INT(cp_pg_store_dataset(conn, &ds, &err), 0);
    cp_pg_close(conn);
    cp_dataset_release(&ds);
    CHECK_INT(query_ll("SELECT count(*) FROM cycle_data"), 8);
    CHECK_INT(query_ll("SELECT n_cycles FROM cell WHERE cell_id = 'c1'"), 5);
    roundtrip("copy");
    roundtrip("singlerow");
}

static size_t count_cells(const char *select_yaml, size_t *cycles, struct cp_error *err)
{
    struct cp_dataset ds;
    int rc = source_load(select_yaml, &ds, err);
    T_REPORT(rc == 0, "load with %s: %s", select_yaml, err->msg);
    size_t n = ds.cells->nrows;
    *cycles = ds.cycles->nrows;
    cp_dataset_release(&ds);
    return n;
}

TEST(filters_are_applied)
{
    struct cp_error err = {0};
    size_t cycles = 0;
    CHECK_INT(count_cells("select: {design_name: [A]}\n", &cycles, &err), 2);
    CHECK_INT(cycles, 5);
    CHECK_INT(count_cells("select: {year: ['2022']}\n", &cycles, &err), 1);
    CHECK_INT(cycles, 0);
    CHECK_INT(count_cells("select: {where: {chemistry: [LFP, NMC]}}\n", &cycles, &err), 1);
    CHECK_INT(cycles, 5);
    CHECK_INT(count_cells("select: {where: {temp_set: ['25.5']}}\n", &cycles, &err), 1);
    CHECK_INT(count_cells("select: {test_status: [active, completed]}\n", &cycles, &err), 2);
    CHECK_INT(cycles, 5);
}

TEST(injection_through_filters_has_no_effect)
{
    struct cp_error err = {0};
    size_t cycles = 0;
    const char *attempts[] = {
        "select: {design_name: [\"A' OR '1'='1\"]}\n",
        "select: {design_name: [\"A'); DROP TABLE cell; --\"]}\n",
        "select: {cell_id: ['c1\", \"c2']}\n",
        "select: {where: {\"chemistry') OR true; DROP TABLE cycle_data; --\": [x]}}\n",
        "select: {where: {chemistry: [\"LFP' OR 'a'='a\"]}}\n",
        "select: {year: [\"2021 OR 1=1\"]}\n",
    };
    for (size_t i = 0; i < sizeof(attempts) / sizeof(attempts[0]); i++) {
        cp_error_clear(&err);
        T_REPORT(count_cells(attempts[i], &cycles, &err) == 0, "selected cells with %s",
                 attempts[i]);
        CHECK_INT(cycles, 0);
    }
    CHECK_INT(query_ll("SELECT count(*) FROM cell"), 3);
    CHECK_INT(query_ll("SELECT count(*) FROM cycle_data"), 8);
}

TEST(extra_never_overrides_a_column)
{
    exec_ok("UPDATE cell SET extra = extra || '{\"design_name\": \"ZZZ\", \"rack\": \"r2\"}' "
            "WHERE cell_id = 'c2'");
    struct cp_dataset ds;
    struct cp_error err = {0};
    CHECK_INT(source_load(NULL, &ds, &err), 0);
    long g = cp_table_find(ds.cells, "cell_id");
    for (size_t r = 0; g >= 0 && r < ds.cells->nrows; r++) {
        if (strcmp(ds.cells->cols[g].v.str[r], "c2") != 0)
            continue;
        CHECK_STR(cp_table_str(ds.cells, "design_name")[r], "B");
        CHECK(cp_table_str(ds.cells, "rack") != NULL);
        CHECK_STR(cp_table_str(ds.cells, "rack")[r], "r2");
    }
    cp_dataset_release(&ds);
    exec_ok("UPDATE cell SET extra = extra - 'design_name' - 'rack' WHERE cell_id = 'c2'");
}

struct killer {
    int killed;
};

/* Waits for the source's query to be running, then terminates its backend. */
static void *kill_extraction(void *arg)
{
    struct killer *k = arg;
    PGconn *c = PQconnectdb(dsn);
    for (int i = 0; i < 200 && !k->killed; i++) {
        PGresult *res = PQexec(c, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE application_name = 'cellpipe' AND state = 'active' "
                                  "AND query LIKE '%pg_sleep%'");
        k->killed = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0;
        PQclear(res);
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    PQfinish(c);
    return NULL;
}

TEST(backend_terminated_mid_extraction)
{
    char path[] = "/tmp/cellpipe-slow-XXXXXX.sql";
    int fd = mkstemps(path, 4);
    const char *sql = "SELECT d.cell_id, d.cycle_index, d.discharge_capacity_ah\n"
                      "  FROM cycle_data d JOIN unnest(:cell_ids::text[]) s (cell_id)\n"
                      "    ON s.cell_id = d.cell_id,\n"
                      "  LATERAL (SELECT pg_sleep(CASE WHEN d.cycle_index = 3 THEN 30 ELSE 0 "
                      "END)) z\n";
    CHECK(fd >= 0 && write(fd, sql, strlen(sql)) == (ssize_t)strlen(sql));
    close(fd);
    const char *modes[] = {"copy", "singlerow"};
    for (int m = 0; m < 2; m++) {
        struct cp_strbuf y = CP_STRBUF_INIT;
        cp_strbuf_addf(&y, "  cycles_query: %s\n", path);
        struct killer k = {0};
        pthread_t th;
        pthread_create(&th, NULL, kill_extraction, &k);
        struct cp_dataset ds;
        struct cp_error err = {0};
        setenv("CELLPIPE_PG_FETCH", modes[m], 1);
        int rc = source_load(y.buf, &ds, &err);
        unsetenv("CELLPIPE_PG_FETCH");
        pthread_join(th, NULL);
        CHECK(k.killed);
        CHECK_INT(rc, -CP_EUNAVAILABLE);
        T_REPORT(strstr(err.msg, "lost the connection to PostgreSQL") != NULL, "%s: message: %s",
                 modes[m], err.msg);
        cp_dataset_release(&ds);
        cp_strbuf_release(&y);
    }
    unlink(path);
}

TEST(connection_failures_are_clear)
{
    struct cp_error err = {0};
    PGconn *c = NULL;
    CHECK_INT(cp_pg_connect(&c, "host=127.0.0.1 port=1 connect_timeout=2 dbname=x", &err),
              -CP_EUNAVAILABLE);
    T_REPORT(strstr(err.msg, "cannot connect to PostgreSQL") && strstr(err.msg, "refused"),
             "message: %s", err.msg);
    CHECK(c == NULL);
    cp_error_clear(&err);
    exec_ok("DROP ROLE IF EXISTS cp_pw; CREATE ROLE cp_pw LOGIN PASSWORD 'right-one'");
    struct cp_strbuf d = CP_STRBUF_INIT;
    cp_strbuf_addf(&d, "host=127.0.0.1 port=%s user=cp_pw password=wrong dbname=%s", PQport(admin),
                   PQdb(admin));
    CHECK_INT(cp_pg_connect(&c, d.buf, &err), -CP_EUNAVAILABLE);
    T_REPORT(strstr(err.msg, "password authentication failed") != NULL, "message: %s", err.msg);
    T_REPORT(strstr(err.msg, "wrong") == NULL, "message shows the password: %s", err.msg);
    cp_strbuf_release(&d);
}

static const enum cp_pg_fetch fetch_modes[] = {CP_PG_FETCH_COPY, CP_PG_FETCH_SINGLEROW};
static const char *const fetch_mode_names[] = {"copy", "singlerow"};

/* One query (its :cell_ids bound to `cell_ids`) into table t on a new connection, which is
 * checked still usable afterwards; fail_at > 0 fails that allocation of the fetch and every
 * later one. The fetch's code; *rows gets the rows received. */
static int fetch_sql(const char *sql, const char *cell_ids, enum cp_pg_fetch mode,
                     struct cp_table *t, long long *rows, long fail_at, struct cp_error *err)
{
    struct cp_pg_query q;
    struct cp_pg_params p = {0};
    struct cp_config cfg;
    PGconn *conn = NULL;
    if (load_config(&cfg, NULL) < 0)
        return -CP_ECONFIG;
    int rc = cp_pg_query_compile(&q, sql, "test.sql", err);
    if (rc == 0)
        rc = cp_pg_params_bind(&p, &q, &cfg, cell_ids, err);
    if (rc == 0)
        rc = cp_pg_connect(&conn, dsn, err);
    if (rc == 0) {
        if (fail_at > 0)
            cp_alloc_fail_at(fail_at);
        rc = cp_pg_fetch_table(conn, &q, &p, mode, t, rows, NULL, err);
        cp_alloc_fail_at(0);
        /* the connection is still good after a failed fetch: the server was stopped and
         * the rest drained */
        PGresult *res = PQexec(conn, "SELECT 1");
        T_REPORT(PQresultStatus(res) == PGRES_TUPLES_OK, "connection after the fetch: %s",
                 PQerrorMessage(conn));
        PQclear(res);
    }
    cp_pg_close(conn);
    cp_pg_params_release(&p);
    cp_pg_query_release(&q);
    cp_config_release(&cfg);
    return rc;
}

/* Every type the decoder reads, with values computed by hand. */
TEST(binary_types_decode)
{
    const char *sql = "SELECT 1.5::numeric AS n1, -123.456::numeric AS n2, 0::numeric AS n3,\n"
                      " 12345678901234567890::numeric AS n4, 'NaN'::numeric AS n5,\n"
                      " 0.000012::numeric AS n6, '2021-03-04'::date AS d, true AS b,\n"
                      " 7::int4 AS i4, (-2)::int2 AS i2, 1.25::float4 AS f4,\n"
                      " '1999-12-31 23:59:59.5'::timestamp AS ts, 'x'::varchar AS v,\n"
                      " NULL::float8 AS nul, '{\"k\": 2}'::jsonb AS j, :cell_ids::text AS p";
    for (int m = 0; m < 2; m++) {
        struct cp_error err = {0};
        struct cp_table *t = cp_table_new("t");
        int rc = fetch_sql(sql, "it's", fetch_modes[m], t, NULL, 0, &err);
        T_REPORT(rc == 0, "%s: %s", fetch_mode_names[m], err.msg);
        CHECK_INT(t->nrows, 1);
        if (rc == 0 && t->nrows == 1) {
            CHECK(cp_table_f64(t, "n1")[0] == 1.5);
            CHECK(cp_table_f64(t, "n2")[0] == -123.456);
            CHECK(cp_table_f64(t, "n3")[0] == 0.0);
            CHECK(cp_table_f64(t, "n4")[0] == 12345678901234567890.0);
            CHECK(isnan(cp_table_f64(t, "n5")[0]));
            CHECK(cp_table_f64(t, "n6")[0] == 0.000012);
            CHECK_INT(cp_table_i64(t, "d")[0], 1614816000);
            CHECK_INT(cp_table_i64(t, "b")[0], 1);
            CHECK_INT(cp_table_i64(t, "i4")[0], 7);
            CHECK_INT(cp_table_i64(t, "i2")[0], -2);
            CHECK(cp_table_f64(t, "f4")[0] == 1.25);
            CHECK_INT(cp_table_i64(t, "ts")[0], 946684799); /* floor of .5 s */
            CHECK_STR(cp_table_str(t, "v")[0], "x");
            CHECK(isnan(cp_table_f64(t, "nul")[0]));
            CHECK_STR(cp_table_str(t, "j")[0], "{\"k\": 2}");
            CHECK_STR(cp_table_str(t, "p")[0], "it's");
        }
        cp_table_free(t);
    }
}

/* Megabytes of rows (the COPY reader hands them over in many chunks) and one row larger
 * than a chunk: every row arrives once, in order. */
TEST(long_stream_keeps_every_row_in_order)
{
    const char *sql = "SELECT i, repeat('x', CASE WHEN i = 5000 THEN 300000 ELSE i % 7 END) AS s,\n"
                      "       i * 0.5 AS h\n"
                      "  FROM generate_series(1, 100000) i ORDER BY i";
    for (int m = 0; m < 2; m++) {
        struct cp_error err = {0};
        struct cp_table *t = cp_table_new("t");
        long long rows = 0;
        int rc = fetch_sql(sql, "", fetch_modes[m], t, &rows, 0, &err);
        T_REPORT(rc == 0, "%s: %s", fetch_mode_names[m], err.msg);
        CHECK_INT(rows, 100000);
        CHECK_INT(t->nrows, 100000);
        const int64_t *i = cp_table_i64(t, "i");
        char **str = cp_table_str(t, "s");
        const double *h = cp_table_f64(t, "h");
        size_t bad = 0;
        for (size_t r = 0; i && str && h && r < t->nrows; r++) {
            size_t want = r + 1 == 5000 ? 300000 : (r + 1) % 7;
            if (i[r] != (int64_t)r + 1 || !str[r] || strlen(str[r]) != want ||
                h[r] != 0.5 * (r + 1))
                bad++;
        }
        T_REPORT(i && str && h && bad == 0, "%s: %zu rows out of place", fetch_mode_names[m], bad);
        cp_table_free(t);
    }
}

/* A value that does not convert, deep in the stream: the row is named, the code is
 * CP_EDATA, and the connection survives (fetch_sql checks it). */
TEST(bad_value_mid_stream_is_clear)
{
    const char *sql = "SELECT i, CASE WHEN i = 60000 THEN 'oops' ELSE i::text END AS v\n"
                      "  FROM generate_series(1, 100000) i ORDER BY i";
    for (int m = 0; m < 2; m++) {
        struct cp_error err = {0};
        struct cp_table *t = cp_table_new("t");
        cp_table_add_column(t, "v", CP_F64);
        CHECK_INT(fetch_sql(sql, "", fetch_modes[m], t, NULL, 0, &err), -CP_EDATA);
        T_REPORT(strstr(err.msg, "test.sql: row 60000: column 'v' does not convert to") != NULL,
                 "%s: message: %s", fetch_mode_names[m], err.msg);
        cp_table_free(t);
    }
}

/* Fail each allocation of a fetch in turn (every one of the first 60, then a sample): a
 * clean "out of memory", never a crash or a hung connection, until the run succeeds. */
TEST(fetch_allocation_failures_are_clean)
{
    const char *sql = "SELECT i, repeat('y', 90) AS s FROM generate_series(1, 3000) i";
    for (int m = 0; m < 2; m++) {
        int ok = 0, clean = 1;
        for (long n = 1; n < 100000 && !ok && clean; n += n < 60 ? 1 : 97) {
            struct cp_error err = {0};
            struct cp_table *t = cp_table_new("t");
            int rc = fetch_sql(sql, "", fetch_modes[m], t, NULL, n, &err);
            if (rc == 0)
                ok = t->nrows == 3000;
            else if (rc != -CP_EINTERNAL || strstr(err.msg, "out of memory") == NULL) {
                T_REPORT(0, "%s: allocation %ld: code %d: %s", fetch_mode_names[m], n, rc, err.msg);
                clean = 0;
            }
            cp_table_free(t);
        }
        T_REPORT(ok && clean, "%s: no clean run", fetch_mode_names[m]);
    }
}

/* ---- ingest ----------------------------------------------------------------------------- */

static char *real_file(void)
{
    const char *dir = getenv("CELLPIPE_REAL_DATA");
    if (!dir)
        dir = "../shared/data";
    struct cp_strbuf p = CP_STRBUF_INIT;
    cp_strbuf_addf(&p,
                   "%s/battdat/batteryarchive/"
                   "CALCE_CX2-33_prism_LCO_25C_0-100_0.5-0.5C_d_cycle_data.csv",
                   dir);
    if (!cp_fs_exists(p.buf)) {
        cp_strbuf_release(&p);
        return NULL;
    }
    return cp_strbuf_detach(&p);
}

/* A copy of the file in its own folder (same name: same cell), with one field changed and
 * the given modification time. */
static char *variant(const char *src, const char *dir, const char *from, const char *to,
                     time_t mtime)
{
    char *text = NULL;
    size_t len = 0;
    if (cp_fs_read_file(src, &text, &len) < 0)
        return NULL;
    struct cp_strbuf out = CP_STRBUF_INIT;
    char *hit = from ? strstr(text, from) : NULL;
    if (hit) {
        cp_strbuf_add(&out, text, (size_t)(hit - text));
        cp_strbuf_adds(&out, to);
        cp_strbuf_adds(&out, hit + strlen(from));
    } else {
        cp_strbuf_add(&out, text, len);
    }
    cp_fs_mkdirs(dir);
    const char *base = strrchr(src, '/');
    char *path = cp_path_join(dir, base ? base + 1 : src);
    cp_fs_write_atomic(path, out.buf, out.len);
    struct utimbuf ut = {mtime, mtime};
    utime(path, &ut);
    cp_free(text);
    cp_strbuf_release(&out);
    return path;
}

static const char *cell_ba = "CALCE_CX2-33_prism_LCO_25C_0-100_0.5-0.5C_d";

static double cycle_value(long cycle)
{
    struct cp_strbuf q = CP_STRBUF_INIT;
    cp_strbuf_addf(&q,
                   "SELECT discharge_capacity_ah FROM cycle_data WHERE cell_id = '%s' AND "
                   "cycle_index = %ld",
                   cell_ba, cycle);
    PGresult *res = PQexec(admin, q.buf);
    double v = PQntuples(res) == 1 ? strtod(PQgetvalue(res, 0, 0), NULL) : NAN;
    PQclear(res);
    cp_strbuf_release(&q);
    return v;
}

TEST(ingest_is_idempotent_and_newest_wins)
{
    char *src = real_file();
    if (!src) {
        SKIP("ingest_is_idempotent_and_newest_wins", "no real data");
        return;
    }
    char tmp[] = "/tmp/cellpipe-ingest-XXXXXX";
    CHECK(mkdtemp(tmp) != NULL);
    struct cp_strbuf d1 = CP_STRBUF_INIT, d2 = CP_STRBUF_INIT, d3 = CP_STRBUF_INIT;
    cp_strbuf_addf(&d1, "%s/jan", tmp);
    cp_strbuf_addf(&d2, "%s/feb", tmp);
    cp_strbuf_addf(&d3, "%s/dec", tmp);
    time_t now = time(NULL);
    char *jan = variant(src, d1.buf, NULL, NULL, now - 86400 * 30);
    char *feb = variant(src, d2.buf, "1.0,,,12923.434,-0.674,1.124,2.699,4.2,0.604,1.292",
                        "1.0,,,12923.434,-0.674,1.124,2.699,4.2,0.604,1.5", now - 86400);
    char *dec = variant(src, d3.buf, "1.0,,,12923.434,-0.674,1.124,2.699,4.2,0.604,1.292",
                        "1.0,,,12923.434,-0.674,1.124,2.699,4.2,0.604,0.9", now - 86400 * 300);
    PGconn *conn = NULL;
    struct cp_error err = {0};
    int unchanged = -1;
    long long rows = 0, before = query_ll("SELECT count(*) FROM cycle_data");
    CHECK_INT(cp_pg_connect(&conn, dsn, &err), 0);

    CHECK_INT(cp_pg_ingest_file(conn, jan, &unchanged, &rows, &err), 0);
    T_REPORT(err.code == 0, "ingest: %s", err.msg);
    CHECK_INT(unchanged, 0);
    CHECK(rows > 0);
    long long loaded = query_ll("SELECT count(*) FROM cycle_data") - before;
    CHECK_INT(loaded, rows);
    CHECK_NEAR(cycle_value(1), 1.292, 1e-12);

    /* same bytes: nothing changes */
    long long version = query_ll("SELECT data_version FROM cell WHERE cell_id LIKE 'CALCE%'");
    CHECK_INT(cp_pg_ingest_file(conn, jan, &unchanged, &rows, &err), 0);
    CHECK_INT(unchanged, 1);
    CHECK_INT(query_ll("SELECT count(*) FROM cycle_data") - before, loaded);
    CHECK_INT(query_ll("SELECT count(*) FROM testfiles"), 1);
    CHECK_INT(query_ll("SELECT data_version FROM cell WHERE cell_id LIKE 'CALCE%'"), version);

    /* a newer export of the same test replaces the cycles it covers */
    CHECK_INT(cp_pg_ingest_file(conn, feb, &unchanged, &rows, &err), 0);
    CHECK_INT(unchanged, 0);
    CHECK_INT(query_ll("SELECT count(*) FROM cycle_data") - before, loaded);
    CHECK_NEAR(cycle_value(1), 1.5, 1e-12);
    CHECK_INT(query_ll("SELECT count(*) FROM mergedtest"), 2);
    CHECK_INT(query_ll("SELECT cycles_kept FROM mergedtest m JOIN testfiles t USING (file_id) "
                       "WHERE t.path LIKE '%/jan/%'"),
              0);
    CHECK_INT(query_ll("SELECT count(*) FROM testfiles WHERE superseded_at IS NOT NULL AND "
                       "path LIKE '%/jan/%'"),
              1);
    CHECK_INT(query_ll("SELECT seq FROM mergedtest m JOIN testfiles t USING (file_id) "
                       "WHERE t.path LIKE '%/feb/%'"),
              2);

    /* an older export arriving late replaces nothing */
    CHECK_INT(cp_pg_ingest_file(conn, dec, &unchanged, &rows, &err), 0);
    CHECK_INT(unchanged, 0);
    CHECK_NEAR(cycle_value(1), 1.5, 1e-12);
    CHECK_INT(query_ll("SELECT seq FROM mergedtest m JOIN testfiles t USING (file_id) "
                       "WHERE t.path LIKE '%/dec/%'"),
              1);
    CHECK_INT(query_ll("SELECT count(*) FROM cycle_data") - before, loaded);

    /* a missing file is a clear input error */
    cp_error_clear(&err);
    CHECK_INT(cp_pg_ingest_file(conn, "/nonexistent/x.csv", &unchanged, &rows, &err), -CP_ENOINPUT);
    cp_pg_close(conn);
    cp_fs_rmtree(tmp);
    cp_free(jan);
    cp_free(feb);
    cp_free(dec);
    cp_free(src);
    cp_strbuf_release(&d1);
    cp_strbuf_release(&d2);
    cp_strbuf_release(&d3);
}

int main(void)
{
    dsn = getenv("CELLPIPE_TEST_PG_DSN");
    if (!dsn) {
        SKIP("postgres live tests", "CELLPIPE_TEST_PG_DSN not set (tests/integration/postgres.sh)");
        return DONE();
    }
    admin = PQconnectdb(dsn);
    if (PQstatus(admin) != CONNECTION_OK) {
        T_REPORT(0, "cannot connect: %s", PQerrorMessage(admin));
        return DONE();
    }
    RUN(schema_applies_twice);
    RUN(cycles_need_their_cell);
    RUN(store_then_extract_every_column);
    RUN(filters_are_applied);
    RUN(injection_through_filters_has_no_effect);
    RUN(extra_never_overrides_a_column);
    RUN(binary_types_decode);
    RUN(long_stream_keeps_every_row_in_order);
    RUN(bad_value_mid_stream_is_clear);
    RUN(fetch_allocation_failures_are_clean);
    RUN(backend_terminated_mid_extraction);
    RUN(connection_failures_are_clear);
    RUN(ingest_is_idempotent_and_newest_wins);
    PQfinish(admin);
    return DONE();
}
