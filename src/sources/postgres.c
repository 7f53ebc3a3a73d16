/*
 * The `postgres` source: cells and cycles from the schema of deployment/schema.sql through
 * the query templates (templates/queries/cells.sql, cycles.sql by default), in one
 * REPEATABLE READ READ ONLY transaction so both queries see the same data.
 */
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/hash.h"
#include "cellpipe/log.h"
#include "cellpipe/pg.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/timeutil.h"

/* Identity of what a query read: its text and every bound value (NULL distinct from ""). */
static int query_digest(const struct cp_pg_query *q, const struct cp_pg_params *p, char hex[65])
{
    struct cp_sha256 h;
    if (cp_sha256_init(&h) < 0)
        return -1;
    int bad = cp_sha256_update(&h, q->sql, strlen(q->sql) + 1);
    for (size_t i = 0; i < p->n && !bad; i++) {
        const char *v = p->values[i];
        bad = v ? cp_sha256_update(&h, v, strlen(v) + 1) : cp_sha256_update(&h, "\x01", 1);
    }
    if (bad) {
        cp_sha256_release(&h);
        return -1;
    }
    return cp_sha256_final(&h, hex);
}

/* Rows the cycles query will return, from the per-cell counts the schema keeps: reserving
 * them up front keeps memory at the size of the result. A hint only, so a failure (a custom
 * schema) is rolled back to a savepoint and ignored. */
static long long cycles_hint(PGconn *conn, const char *cell_ids)
{
    long long n = 0;
    PQclear(PQexec(conn, "SAVEPOINT cellpipe_hint"));
    const char *vals[1] = {cell_ids};
    PGresult *res = PQexecParams(conn,
                                 "SELECT coalesce(sum(n_cycles), 0)::bigint FROM cell "
                                 "WHERE cell_id = ANY ($1::text[])",
                                 1, NULL, vals, NULL, NULL, 0);
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
        n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    PQclear(PQexec(conn, n > 0 ? "RELEASE SAVEPOINT cellpipe_hint"
                               : "ROLLBACK TO SAVEPOINT cellpipe_hint"));
    return n;
}

static char *cell_ids_literal(const struct cp_table *cells)
{
    char **ids = cp_table_str(cells, "cell_id");
    if (!ids)
        return cp_strdup("{}");
    return cp_pg_array_literal(ids, cells->nrows);
}

/* Run one template into a table and record it as an input of the dataset. */
static int run_query(PGconn *conn, const struct cp_config *cfg, const char *path,
                     const char *cell_ids, struct cp_table *t, struct cp_dataset *ds,
                     struct cp_error *err)
{
    struct cp_pg_query q = {0};
    struct cp_pg_params p = {0};
    long long rows = 0, bytes = 0;
    char hex[65];
    double t0 = cp_monotonic_ms();
    enum cp_pg_fetch mode = cp_pg_fetch_mode();
    int rc;
    if ((rc = cp_pg_query_load(&q, cfg, path, err)) < 0 ||
        (rc = cp_pg_params_bind(&p, &q, cfg, cell_ids, err)) < 0)
        goto cleanup;
    if (cell_ids) {
        long long hint = cycles_hint(conn, cell_ids);
        if (hint > 0 && cp_table_reserve(t, (size_t)hint) < 0) {
            rc = cp_error_oom(err);
            goto cleanup;
        }
    }
    if ((rc = cp_pg_fetch_table(conn, &q, &p, mode, t, &rows, &bytes, err)) < 0)
        goto cleanup;
    if (query_digest(&q, &p, hex) < 0) {
        rc = cp_error_oom(err);
        goto cleanup;
    }
    rc = cp_dataset_add_input(ds, path, hex, bytes, "postgres", rows, err);
    cp_log(CP_LOG_INFO,
           "stage=source source=postgres query=%s mode=%s rows=%lld bytes=%lld "
           "ms=%.0f",
           path, mode == CP_PG_FETCH_COPY ? "copy" : "singlerow", rows, bytes,
           cp_monotonic_ms() - t0);
cleanup:
    cp_pg_params_release(&p);
    cp_pg_query_release(&q);
    return rc;
}

/* source.timeseries: replay the raw points of the loaded cells (src/sources/pg_timeseries.c),
 * recorded as one more input named after the table. */
static int load_timeseries(PGconn *conn, const char *ids, struct cp_dataset *ds,
                           struct cp_error *err)
{
    long long points = 0, bytes = 0;
    size_t curves0 = ds->curves->nrows;
    double t0 = cp_monotonic_ms();
    int rc = cp_pg_timeseries_load(conn, ids, ds, &points, &bytes, err);
    if (rc < 0)
        return rc;
    char hex[65]; /* what was read: the points of these cells */
    if (cp_sha256_hex(ids, strlen(ids), hex) < 0)
        return cp_error_oom(err);
    cp_log(CP_LOG_INFO,
           "stage=source source=postgres query=timeseries_data points=%lld bytes=%lld "
           "curve_rows=%zu ms=%.0f",
           points, bytes, ds->curves->nrows - curves0, cp_monotonic_ms() - t0);
    return cp_dataset_add_input(ds, "timeseries_data", hex, bytes, "postgres", points, err);
}

static int pg_load(const struct cp_config *cfg, struct cp_dataset *ds, struct cp_error *err)
{
    PGconn *conn = NULL;
    char *ids = NULL;
    const char *cells_q =
        cfg->source.cells_query ? cfg->source.cells_query : "templates/queries/cells.sql";
    const char *cycles_q =
        cfg->source.cycles_query ? cfg->source.cycles_query : "templates/queries/cycles.sql";
    int rc = cp_pg_connect(&conn, cfg->source.dsn, err);
    if (rc < 0)
        return rc;
    if ((rc = cp_pg_exec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                         "cannot start a transaction", err)) < 0 ||
        (rc = run_query(conn, cfg, cells_q, NULL, ds->cells, ds, err)) < 0)
        goto cleanup;
    if (!(ids = cell_ids_literal(ds->cells))) {
        rc = cp_error_oom(err);
        goto cleanup;
    }
    if ((rc = run_query(conn, cfg, cycles_q, ids, ds->cycles, ds, err)) < 0)
        goto cleanup;
    if (cfg->source.timeseries && (rc = load_timeseries(conn, ids, ds, err)) < 0)
        goto cleanup;
    rc = cp_pg_exec(conn, "COMMIT", "cannot commit", err);
cleanup:
    cp_free(ids);
    cp_pg_close(conn);
    return rc;
}

static int pg_lock(const struct cp_run *run, void **handle, struct cp_error *err)
{
    struct cp_pg_lock *lk = NULL;
    int rc = cp_pg_lock_acquire(&lk, run, err);
    *handle = lk;
    return rc;
}

static int pg_check_lock(void *handle, struct cp_error *err)
{
    return cp_pg_lock_check(handle, err);
}

static void pg_unlock(void *handle)
{
    cp_pg_lock_release(handle);
}

const struct cp_source_ops cp_source_postgres = {
    .name = "postgres",
    .kind = CP_SOURCE_POSTGRES,
    .load = pg_load,
    .lock = pg_lock,
    .unlock = pg_unlock,
    .check_lock = pg_check_lock,
    .reuse = cp_pg_cache_stage,
    .save = cp_pg_store_results,
    .commit = cp_pg_store_watermark,
    .release = cp_pg_state_release,
};
