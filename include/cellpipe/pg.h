#ifndef CELLPIPE_PG_H
#define CELLPIPE_PG_H
/*
 * PostgreSQL through libpq 15 (docs/postgres.md): the `postgres` source, `cellpipe ingest`,
 * `cellpipe db init`, `cellpipe sample --db`, the per-pipeline advisory lock and the
 * incremental cache.
 *
 * Connections come from a DSN (key=value or postgresql:// URI) or, when it is NULL or empty,
 * from libpq's own environment (PGHOST, PGUSER, ...) and ~/.pgpass; secrets are never read
 * from the pipeline file. Errors: libpq statuses are translated in one place
 * (cp_pg_result_error) into the sysexits codes of error.h:
 *   CP_EUNAVAILABLE  cannot connect (after retries), authentication, connection lost,
 *                    server shutting down (SQLSTATE classes 08, 28, 53, 57, 58, 3D)
 *   CP_ETEMPFAIL     serialization failure, deadlock, lock not available; another run holds
 *                    the pipeline's advisory lock
 *   CP_ECONFIG       a query template that does not parse or names unknown columns (42...)
 *   CP_EDATA         a value the server rejects (22..., 23...)
 *   CP_EINTERNAL     anything else
 * Messages never contain the DSN (it may hold a password): they name host, port and database.
 */
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "cellpipe/config.h"
#include "cellpipe/source.h"
#include "cellpipe/strbuf.h"

struct cp_error;
struct cp_run;
struct cp_sink_ops;

/* ---- connections -------------------------------------------------------------------- */

/* Connect (application_name=cellpipe, connect_timeout=10 unless the DSN says otherwise),
 * retrying a failed attempt twice with a short backoff. *out belongs to the caller
 * (cp_pg_close). 0 or CP_EUNAVAILABLE. */
int cp_pg_connect(PGconn **out, const char *dsn, struct cp_error *err);
/* PQfinish that accepts NULL. */
void cp_pg_close(PGconn *conn);

/* Translate a failed result (or, with res NULL, the connection's last error) into err;
 * `what` says what was being done ("cannot run 'cycles.sql'"). Returns the negative code. */
int cp_pg_result_error(PGconn *conn, const PGresult *res, const char *what, struct cp_error *err);
/* Run SQL that returns no rows (one or more statements, no parameters). 0 or code. */
int cp_pg_exec(PGconn *conn, const char *sql, const char *what, struct cp_error *err);

/* ---- embedded files and schema -------------------------------------------------------- */

/* deployment/schema.sql and the default query templates as built into the binary, so an
 * installed cellpipe needs no source tree. NULL for an unknown name. */
const char *cp_pg_embedded(const char *name); /* "schema.sql", "cells.sql", "cycles.sql" */

/* Apply deployment/schema.sql (idempotent); *version gets the schema version now in place. */
int cp_pg_schema_apply(PGconn *conn, int *version, struct cp_error *err);

/* ---- query templates ---------------------------------------------------------------- */

/*
 * A template is SQL with named parameters `:name` (psql's style; `::type` casts are left
 * alone, as are strings, quoted identifiers, comments and dollar quotes). Compiling turns
 * each distinct name into one positional parameter. Values are always bound, never pasted.
 */
struct cp_pg_query {
    char *origin; /* file name, for messages */
    char *text;   /* the template, trailing `;` removed */
    char *sql;    /* with $1..$n in place of the names */
    /* with NULLIF(current_setting('cellpipe.p_<name>'), '') in place of the names: COPY takes
     * no parameters, so for it the values travel as settings, bound by set_config($1, $2) */
    char *setting_sql;
    char **names; /* n distinct parameter names, in order of first use */
    size_t n;
};

/* 0, or CP_ECONFIG "origin:line: ..." for a positional $1 or an unterminated quote. */
int cp_pg_query_compile(struct cp_pg_query *q, const char *text, const char *origin,
                        struct cp_error *err);
void cp_pg_query_release(struct cp_pg_query *q);
/* Load a template: `path` relative to the pipeline's folder, then to the working directory;
 * a default template name (templates/queries/cells.sql ...) falls back to the built-in
 * copy. */
int cp_pg_query_load(struct cp_pg_query *q, const struct cp_config *cfg, const char *path,
                     struct cp_error *err);

/* Parameter values of a pipeline's select filters, by name (NULL = SQL NULL = no filter):
 * design_name, experiment_group, layer_types, test_status, year, cell_id (text[] literals),
 * where (jsonb: {"column": ["value", ...]}), pipeline (text). Unknown names: CP_ECONFIG. */
struct cp_pg_params {
    size_t n;
    char **values;
};
int cp_pg_params_bind(struct cp_pg_params *p, const struct cp_pg_query *q,
                      const struct cp_config *cfg, const char *cell_ids, struct cp_error *err);
void cp_pg_params_release(struct cp_pg_params *p);
/* A text[] literal ("{"a","b"}") holding the strings, quoted for PostgreSQL's array input. */
char *cp_pg_array_literal(char *const *v, size_t n);

/* ---- extraction ----------------------------------------------------------------------- */

enum cp_pg_fetch {
    CP_PG_FETCH_COPY,     /* COPY (query) TO STDOUT (FORMAT binary) (the default: faster) */
    CP_PG_FETCH_SINGLEROW /* PQsendQueryParams, binary results, PQsetSingleRowMode */
};

/* Stream the rows of a compiled query into table t (columns matched by name, created with
 * the natural type when absent; values converted to an existing column's type). *rows and
 * *bytes (may be NULL) get the rows and wire bytes received. */
int cp_pg_fetch_table(PGconn *conn, const struct cp_pg_query *q, const struct cp_pg_params *p,
                      enum cp_pg_fetch mode, struct cp_table *t, long long *rows, long long *bytes,
                      struct cp_error *err);

/* The fetch mode from CELLPIPE_PG_FETCH ("copy" or "singlerow"), default copy. */
enum cp_pg_fetch cp_pg_fetch_mode(void);

/* The `postgres` source (kind CP_SOURCE_POSTGRES). */
extern const struct cp_source_ops cp_source_postgres;

/* ---- writing: ingest and sample ------------------------------------------------------ */

struct cp_pg_ingest_stats {
    long long files_loaded, files_unchanged, rows, cycles_replaced, bytes;
};

/* Ingest one cycler export: read it (reader detection), then in one transaction record it
 * in testfiles, COPY its cycles in, keep per cycle the row of the newest file (by file
 * modification time, then ingestion order) and rebuild the cell's mergedtest. A file whose
 * sha256 is already in testfiles changes nothing (*unchanged = 1). */
int cp_pg_ingest_file(PGconn *conn, const char *path, int *unchanged, long long *rows,
                      struct cp_error *err);

/* cp_pg_ingest_file, choosing whether the file's raw points go into timeseries_data
 * (timeseries = 1, what cp_pg_ingest_file does; `cellpipe ingest --no-timeseries` passes 0).
 * They are COPYed while the file is read, in the file's transaction, with file_id and their
 * position in the file (point_index); testfiles.timeseries_points records how many (NULL when
 * not stored). A file already recorded without its points gets them on a later ingest with
 * timeseries = 1 (its old points, if any, are deleted first), its cycle rows untouched.
 * *points (may be NULL): the points stored. */
int cp_pg_ingest_file_ts(PGconn *conn, const char *path, int timeseries, int *unchanged,
                         long long *rows, long long *points, struct cp_error *err);

/* The on_point hook of ingest (src/sources/pg_ts_copy.c). */
struct cp_ts_point;
struct cp_pg_ts_writer {
    PGconn *conn;
    char file_id[32];
    struct cp_strbuf buf;
    char *cell; /* the cell the open COPY writes, NULL before the first point */
    int copying;
    long long points;
};
void cp_pg_ts_writer_init(struct cp_pg_ts_writer *w, PGconn *conn, const char *file_id);
/* reader.h on_point: ctx is a struct cp_pg_ts_writer. */
int cp_pg_ts_writer_point(void *ctx, const char *cell_id, const struct cp_ts_point *p,
                          struct cp_error *err);
/* End the COPY: rc < 0 aborts it. Returns rc or the COPY's error. */
int cp_pg_ts_writer_finish(struct cp_pg_ts_writer *w, int rc, struct cp_error *err);
void cp_pg_ts_writer_release(struct cp_pg_ts_writer *w);

/* The postgres source with source.timeseries (src/sources/pg_timeseries.c): stream the raw
 * points of the cells named by `cell_ids` (a text[] literal) with COPY TO STDOUT, ordered by
 * cell, file (oldest first) and position in the file, and replay each cell's series through
 * a cp_ts with cp_ts_set_emit(ts, 0): dQ/dV curves into ds->curves and the Severson features
 * into ds->cells, no cycle rows (those come from cycle_data). One cell's cp_ts at a time.
 * *points and *bytes get the points and wire bytes read. */
int cp_pg_timeseries_load(PGconn *conn, const char *cell_ids, struct cp_dataset *ds,
                          long long *points, long long *bytes, struct cp_error *err);

/* Replace the cells of a dataset (metadata and every cycle) in the database, one
 * transaction, COPY; used by `cellpipe sample --db`. */
int cp_pg_store_dataset(PGconn *conn, const struct cp_dataset *ds, struct cp_error *err);

/* `cellpipe sample --db DSN`: connect (an empty DSN: libpq's environment), apply the schema
 * when needed and store the dataset (cp_pg_store_dataset). */
int cp_pg_sample_load(const char *dsn, const struct cp_dataset *ds, struct cp_error *err);

/* ---- advisory lock and incremental cache ------------------------------------------------ */

/* One run of a pipeline (of a shard of it, with --shard I/N) at a time, across hosts:
 * pg_try_advisory_lock on a key derived from cp_pg_state_key(), held on its own connection
 * until cp_pg_lock_release() (the postgres source's lock/unlock hooks, held by the runner for
 * the whole run). Nothing (*out = NULL) unless the source is postgres.
 * CP_ETEMPFAIL when another run holds it. */
struct cp_pg_lock;
int cp_pg_lock_acquire(struct cp_pg_lock **out, const struct cp_run *run, struct cp_error *err);
void cp_pg_lock_release(struct cp_pg_lock *lock);
/* Whether the lock is still held: a query on its own connection, which fails or finds no
 * granted advisory lock of its key once the session ended (pg_terminate_backend, a server
 * restart, a network cut). 0, or CP_ETEMPFAIL "... was lost ...: not publishing". NULL: 0. */
int cp_pg_lock_check(struct cp_pg_lock *lock, struct cp_error *err);

/*
 * Incremental mode (source.incremental; docs/postgres.md). Per-cell results are cached in
 * cell_results, keyed by a fingerprint of the cell's rows (metadata and cycles, every
 * column), the pipeline file and the cellpipe executable.
 * The state lives with the source, in run->source_state (cp_pg_state_release frees it).
 *  - cp_pg_cache_stage (the postgres source's `reuse` hook: the runner's "cache" stage, after
 *    features, before models): fingerprints every cell; for the cells whose fingerprint
 *    matches the cached one and whose data_version is not past the pipeline's watermark, it
 *    copies the cached results into its state and lends them to the models stage through
 *    run->reuse, which takes those cells' fits and knee from there instead of fitting again
 *    (everything else, fleet-level work included, runs as usual). With run->full_refresh
 *    nothing is reused.
 *  - cp_pg_store_results (the `save` hook, after the staged sinks): stores the results
 *    computed in this run.
 *  - cp_pg_store_watermark (the `commit` hook, after publish): records the run's watermark in
 *    pipeline_state.
 * Every one is a no-op unless the source is postgres and incremental.
 */
int cp_pg_cache_stage(struct cp_run *run, struct cp_error *err);
int cp_pg_store_results(const struct cp_run *run, struct cp_error *err);
int cp_pg_store_watermark(const struct cp_run *run, struct cp_error *err);
void cp_pg_state_release(void *state);
/* The pipeline's name, with "#I/N" for a shard: the key of its lock and pipeline_state row
 * (cell_results are keyed by the bare name: shards hold disjoint cells). 0 or -1 (too long). */
int cp_pg_state_key(const struct cp_run *run, char *buf, size_t n);

/* Fingerprint of one cell's data: its row of cells and its rows of cycles (group g, -1 for
 * none), every column, in a fixed byte encoding. */
int cp_pg_cell_fingerprint(const struct cp_table *cells, size_t row, const struct cp_table *cycles,
                           long group, char hex[65]);

#endif
