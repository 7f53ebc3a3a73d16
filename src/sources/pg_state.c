/*
 * Pipeline state in PostgreSQL: the advisory lock that keeps two hosts from running the same
 * pipeline at once, and the incremental mode (cell_results cache + pipeline_state
 * watermark). See docs/postgres.md "Incremental runs".
 */
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/hash.h"
#include "cellpipe/log.h"
#include "cellpipe/pg.h"
#include "cellpipe/run.h"
#include "cellpipe/strbuf.h"

#ifndef CP_VERSION
#define CP_VERSION "0.0.0"
#endif

/* ---- advisory lock --------------------------------------------------------------------- */

struct cp_pg_lock {
    PGconn *conn;  /* the lock lives as long as this session */
    char key[512]; /* cp_pg_state_key(), for the check and its message */
};

int cp_pg_state_key(const struct cp_run *run, char *buf, size_t n)
{
    const char *name = run->cfg->name ? run->cfg->name : "";
    int len = run->shard_count > 1
                  ? snprintf(buf, n, "%s#%u/%u", name, run->shard_index, run->shard_count)
                  : snprintf(buf, n, "%s", name);
    return len < 0 || (size_t)len >= n ? -1 : 0;
}

int cp_pg_lock_acquire(struct cp_pg_lock **out, const struct cp_run *run, struct cp_error *err)
{
    const struct cp_config *cfg = run->cfg;
    char key[512];
    *out = NULL;
    if (cfg->source.kind != CP_SOURCE_POSTGRES)
        return 0;
    if (cp_pg_state_key(run, key, sizeof(key)) < 0)
        return cp_error_set(err, CP_ECONFIG, "pipeline name '%s' is too long", cfg->name);
    struct cp_pg_lock *lk = cp_calloc(1, sizeof(*lk));
    if (!lk)
        return cp_error_oom(err);
    memcpy(lk->key, key, sizeof(key));
    int rc = cp_pg_connect(&lk->conn, cfg->source.dsn, err);
    if (rc < 0) {
        cp_free(lk);
        return rc;
    }
    const char *vals[1] = {key};
    PGresult *res = PQexecParams(lk->conn,
                                 "SELECT pg_try_advisory_lock(hashtextextended("
                                 "'cellpipe:pipeline:' || $1, 0))",
                                 1, NULL, vals, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        rc = cp_pg_result_error(lk->conn, res, "cannot take the pipeline lock", err);
    else if (strcmp(PQgetvalue(res, 0, 0), "t") != 0)
        rc = cp_error_set(err, CP_ETEMPFAIL,
                          "pipeline '%s' is running elsewhere (PostgreSQL advisory lock held); "
                          "retry later",
                          vals[0]);
    PQclear(res);
    if (rc < 0) {
        cp_pg_lock_release(lk);
        return rc;
    }
    *out = lk;
    return 0;
}

/* The key is matched by its two halves (pg_locks shows a bigint key as classid:objid, with
 * objsubid 1), so an unrelated advisory lock of the same session is not taken for ours. */
int cp_pg_lock_check(struct cp_pg_lock *lock, struct cp_error *err)
{
    if (!lock)
        return 0;
    const char *vals[1] = {lock->key};
    PGresult *res = PQexecParams(lock->conn,
                                 "WITH k AS (SELECT hashtextextended('cellpipe:pipeline:' || $1, 0)"
                                 " AS v) SELECT 1 FROM pg_locks, k"
                                 " WHERE locktype = 'advisory' AND granted"
                                 " AND pid = pg_backend_pid() AND objsubid = 1"
                                 " AND classid::bigint = ((k.v >> 32) & 4294967295)"
                                 " AND objid::bigint = (k.v & 4294967295)",
                                 1, NULL, vals, NULL, NULL, 0);
    int held = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
    PQclear(res);
    if (held)
        return 0;
    return cp_error_set(err, CP_ETEMPFAIL,
                        "the PostgreSQL lock of pipeline '%s' was lost (connection ended): "
                        "not publishing; another run may be in progress",
                        lock->key);
}

void cp_pg_lock_release(struct cp_pg_lock *lock)
{
    if (!lock)
        return;
    cp_pg_close(lock->conn);
    cp_free(lock);
}

/* ---- fingerprints ------------------------------------------------------------------------ */

static int hash_value(struct cp_sha256 *h, const struct cp_column *c, size_t row)
{
    if (c->type == CP_STR) {
        const char *s = c->v.str[row];
        return s ? cp_sha256_update(h, s, strlen(s) + 1) : cp_sha256_update(h, "\xff", 1);
    }
    if (c->type == CP_F64)
        return cp_sha256_update(h, &c->v.f64[row], sizeof(double));
    return cp_sha256_update(h, &c->v.i64[row], sizeof(int64_t));
}

/* Column by column (name, type, values) so that a value moving columns changes the digest. */
static int hash_rows(struct cp_sha256 *h, const struct cp_table *t, size_t from, size_t to)
{
    for (size_t i = 0; i < t->ncols; i++) {
        const struct cp_column *c = &t->cols[i];
        int type = (int)c->type;
        if (cp_sha256_update(h, c->name, strlen(c->name) + 1) < 0 ||
            cp_sha256_update(h, &type, sizeof(type)) < 0)
            return -1;
        for (size_t r = from; r < to; r++)
            if (hash_value(h, c, r) < 0)
                return -1;
    }
    return 0;
}

int cp_pg_cell_fingerprint(const struct cp_table *cells, size_t row, const struct cp_table *cycles,
                           long group, char hex[65])
{
    struct cp_sha256 h;
    if (cp_sha256_init(&h) < 0)
        return -1;
    int bad = hash_rows(&h, cells, row, row + 1);
    if (!bad && group >= 0 && cycles->group_start)
        bad = hash_rows(&h, cycles, cycles->group_start[group], cycles->group_start[group + 1]);
    if (bad) {
        cp_sha256_release(&h);
        return -1;
    }
    return cp_sha256_final(&h, hex);
}

/* What else the results depend on: the pipeline file and this very build of cellpipe
 * (its executable's bytes, and the layout of the cached struct). */
static int context_digest(const struct cp_run *run, char hex[65])
{
    char exe[65] = "";
    long long bytes = 0;
    if (cp_sha256_file("/proc/self/exe", exe, &bytes) < 0)
        snprintf(exe, sizeof(exe), "%s", CP_VERSION);
    struct cp_strbuf sb = CP_STRBUF_INIT;
    int rc = cp_strbuf_addf(&sb, "%s|%s|%s|%zu", run->pipeline_sha256, exe, CP_VERSION,
                            sizeof(struct cp_cell_result));
    if (rc == 0)
        rc = cp_sha256_hex(sb.buf, sb.len, hex);
    cp_strbuf_release(&sb);
    return rc;
}

/* The postgres source's own state of one incremental run (run->source_state). */
struct pg_state {
    unsigned char *cached;        /* cached[i] = 1: cache[i] holds results for this data */
    struct cp_cell_result *cache; /* one per run->results */
    char (*fingerprints)[65];     /* of each cell's data, pipeline file and build */
    long long watermark;          /* the newest data_version this run has seen */
};

void cp_pg_state_release(void *state)
{
    struct pg_state *st = state;
    if (!st)
        return;
    cp_free(st->cached);
    cp_free(st->cache);
    cp_free(st->fingerprints);
    cp_free(st);
}

static int fingerprint_all(const struct cp_run *run, struct pg_state *st, struct cp_error *err)
{
    const struct cp_table *cells = run->data.cells, *cycles = run->data.cycles;
    char ctx[65];
    st->fingerprints = cp_calloc(cells->nrows ? cells->nrows : 1, 65);
    st->cached = cp_calloc(cells->nrows ? cells->nrows : 1, 1);
    st->cache = cp_calloc(cells->nrows ? cells->nrows : 1, sizeof(*st->cache));
    if (!st->fingerprints || !st->cached || !st->cache || context_digest(run, ctx) < 0)
        return cp_error_oom(err);
    for (size_t i = 0; i < run->nresults; i++) {
        char cell[65];
        struct cp_strbuf sb = CP_STRBUF_INIT;
        long row = run->results[i].cells_row, group = run->results[i].group;
        int bad = cp_pg_cell_fingerprint(cells, (size_t)row, cycles, group, cell) < 0 ||
                  cp_strbuf_addf(&sb, "%s|%s", ctx, cell) < 0 ||
                  cp_sha256_hex(sb.buf, sb.len, st->fingerprints[i]) < 0;
        cp_strbuf_release(&sb);
        if (bad)
            return cp_error_oom(err);
    }
    return 0;
}

/* ---- incremental cache ---------------------------------------------------------------- */

static int incremental(const struct cp_run *run)
{
    return run->cfg->source.kind == CP_SOURCE_POSTGRES && run->cfg->source.incremental;
}

/* Cells whose data_version passed the pipeline's watermark: recomputed whatever the cache
 * says. Also reads the current high-water mark for this run to record on success. */
static int changed_cells(PGconn *conn, const struct cp_run *run, struct pg_state *st,
                         PGresult **out, struct cp_error *err)
{
    char key[512];
    if (cp_pg_state_key(run, key, sizeof(key)) < 0)
        return cp_error_set(err, CP_ECONFIG, "pipeline name '%s' is too long", run->cfg->name);
    const char *vals[1] = {key};
    PGresult *res = PQexecParams(conn,
                                 "SELECT coalesce((SELECT watermark FROM pipeline_state "
                                 "WHERE pipeline = $1), 0), "
                                 "(SELECT coalesce(max(data_version), 0) FROM cell)",
                                 1, NULL, vals, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        int rc = cp_pg_result_error(conn, res, "cannot read pipeline_state", err);
        PQclear(res);
        return rc;
    }
    const char *wm = PQgetvalue(res, 0, 0);
    st->watermark = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    const char *v2[1] = {wm};
    PGresult *ch = PQexecParams(conn, "SELECT cell_id FROM cell WHERE data_version > $1::bigint", 1,
                                NULL, v2, NULL, NULL, 0);
    PQclear(res);
    if (PQresultStatus(ch) != PGRES_TUPLES_OK) {
        int rc = cp_pg_result_error(conn, ch, "cannot read changed cells", err);
        PQclear(ch);
        return rc;
    }
    *out = ch;
    return 0;
}

static int in_result(const PGresult *res, const char *id)
{
    for (int i = 0; i < PQntuples(res); i++)
        if (strcmp(PQgetvalue(res, i, 0), id) == 0)
            return 1;
    return 0;
}

/* Keep the cached results of the cells whose fingerprint matches in st->cache (the models
 * stage takes what it would recompute from there; results[] stay this run's own). */
static long reuse_cached(const struct cp_run *run, struct pg_state *st, const PGresult *cache,
                         const PGresult *changed)
{
    char **ids = cp_table_str(run->data.cells, "cell_id");
    long reused = 0;
    for (int k = 0; k < PQntuples(cache); k++) {
        const char *id = PQgetvalue(cache, k, 0), *fp = PQgetvalue(cache, k, 1);
        if (PQgetlength(cache, k, 2) != (int)sizeof(struct cp_cell_result) ||
            in_result(changed, id))
            continue;
        for (size_t i = 0; i < run->nresults; i++) {
            struct cp_cell_result *r = &run->results[i];
            if (!ids[r->cells_row] || strcmp(ids[r->cells_row], id) != 0 ||
                strcmp(st->fingerprints[i], fp) != 0)
                continue;
            memcpy(&st->cache[i], PQgetvalue(cache, k, 2), sizeof(st->cache[i]));
            st->cached[i] = 1;
            reused++;
        }
    }
    return reused;
}

int cp_pg_cache_stage(struct cp_run *run, struct cp_error *err)
{
    if (!incremental(run) || !cp_table_str(run->data.cells, "cell_id"))
        return 0;
    PGconn *conn = NULL;
    PGresult *changed = NULL, *cache = NULL;
    long reused = 0;
    struct pg_state *st = cp_calloc(1, sizeof *st);
    if (!st)
        return cp_error_oom(err);
    cp_pg_state_release(run->source_state);
    run->source_state = st;
    int rc = fingerprint_all(run, st, err);
    run->reuse = (struct cp_reuse){st->cached, st->cache};
    if (rc == 0)
        rc = cp_pg_connect(&conn, run->cfg->source.dsn, err);
    if (rc == 0)
        rc = changed_cells(conn, run, st, &changed, err);
    if (rc < 0 || run->full_refresh)
        goto cleanup;
    const char *vals[1] = {run->cfg->name};
    cache = PQexecParams(conn,
                         "SELECT cell_id, fingerprint, result FROM cell_results "
                         "WHERE pipeline = $1",
                         1, NULL, vals, NULL, NULL, 1);
    if (PQresultStatus(cache) != PGRES_TUPLES_OK) {
        rc = cp_pg_result_error(conn, cache, "cannot read cell_results", err);
        goto cleanup;
    }
    reused = reuse_cached(run, st, cache, changed);
cleanup:
    if (rc == 0)
        cp_log(CP_LOG_INFO,
               "stage=cache pipeline=%s cells=%zu reused=%ld recomputed=%ld "
               "changed_since_last_run=%d full_refresh=%d",
               run->cfg->name, run->nresults, reused, (long)run->nresults - reused,
               PQntuples(changed), run->full_refresh);
    PQclear(cache);
    PQclear(changed);
    cp_pg_close(conn);
    return rc;
}

static const struct pg_state *cache_state(const struct cp_run *run)
{
    const struct pg_state *st = run->source_state;
    return incremental(run) && st && st->cached && st->fingerprints ? st : NULL;
}

/* Save the results computed in this run (the reused ones are there already). */
int cp_pg_store_results(const struct cp_run *run, struct cp_error *err)
{
    const struct pg_state *st = cache_state(run);
    if (!st)
        return 0;
    PGconn *conn = NULL;
    char **ids = cp_table_str(run->data.cells, "cell_id");
    int rc = cp_pg_connect(&conn, run->cfg->source.dsn, err);
    if (rc == 0)
        rc = cp_pg_exec(conn, "BEGIN", "cannot start a transaction", err);
    for (size_t i = 0; rc == 0 && i < run->nresults; i++) {
        if (st->cached[i] || !ids[run->results[i].cells_row])
            continue;
        const struct cp_cell_result *r = &run->results[i];
        const char *vals[4] = {run->cfg->name, ids[r->cells_row], st->fingerprints[i],
                               (const char *)r};
        int lens[4] = {0, 0, 0, (int)sizeof(*r)}, fmts[4] = {0, 0, 0, 1};
        PGresult *res = PQexecParams(conn,
                                     "INSERT INTO cell_results (pipeline, cell_id, fingerprint, "
                                     "result) VALUES ($1, $2, $3, $4) ON CONFLICT (pipeline, "
                                     "cell_id) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, "
                                     "result = EXCLUDED.result, computed_at = now()",
                                     4, NULL, vals, lens, fmts, 0);
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = cp_pg_result_error(conn, res, "cannot store cell_results", err);
        PQclear(res);
    }
    if (rc == 0)
        rc = cp_pg_exec(conn, "COMMIT", "cannot commit cell_results", err);
    cp_pg_close(conn);
    return rc;
}

/* After publish: this run has seen every change up to its watermark. */
int cp_pg_store_watermark(const struct cp_run *run, struct cp_error *err)
{
    const struct pg_state *st = cache_state(run);
    if (!st)
        return 0;
    PGconn *conn = NULL;
    char wm[32], key[512];
    snprintf(wm, sizeof(wm), "%lld", st->watermark);
    if (cp_pg_state_key(run, key, sizeof(key)) < 0)
        return cp_error_set(err, CP_ECONFIG, "pipeline name '%s' is too long", run->cfg->name);
    const char *vals[3] = {key, wm, run->report_dir ? run->report_dir : ""};
    int rc = cp_pg_connect(&conn, run->cfg->source.dsn, err);
    if (rc < 0)
        return rc;
    PGresult *res = PQexecParams(conn,
                                 "INSERT INTO pipeline_state (pipeline, watermark, "
                                 "last_success_at, last_report) VALUES ($1, $2, now(), $3) "
                                 "ON CONFLICT (pipeline) DO UPDATE SET watermark = "
                                 "EXCLUDED.watermark, last_success_at = now(), last_report = "
                                 "EXCLUDED.last_report, updated_at = now()",
                                 3, NULL, vals, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = cp_pg_result_error(conn, res, "cannot update pipeline_state", err);
    PQclear(res);
    cp_pg_close(conn);
    return rc;
}
