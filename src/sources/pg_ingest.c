/*
 * Writing into the schema: `cellpipe ingest` (cycler exports, one transaction per file,
 * idempotent by sha256, newest file wins per cycle) and `cellpipe sample --db` (a whole
 * dataset). Rows go in with COPY ... FROM STDIN in text format.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/hash.h"
#include "cellpipe/log.h"
#include "cellpipe/pg.h"
#include "cellpipe/reader.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/timeutil.h"

#define COPY_FLUSH_BYTES (256 * 1024)

/* ---- COPY FROM STDIN, text format ----------------------------------------------------- */

struct copy_in {
    PGconn *conn;
    struct cp_strbuf buf;
    const char *what;
};

static int copy_flush(struct copy_in *c, struct cp_error *err)
{
    if (c->buf.len && PQputCopyData(c->conn, c->buf.buf, (int)c->buf.len) != 1)
        return cp_pg_result_error(c->conn, NULL, c->what, err);
    cp_strbuf_reset(&c->buf);
    return 0;
}

static int add_escaped(struct cp_strbuf *sb, const char *s)
{
    int bad = 0;
    for (; *s && !bad; s++) {
        switch (*s) {
        case '\\':
            bad = cp_strbuf_add(sb, "\\\\", 2);
            break;
        case '\n':
            bad = cp_strbuf_add(sb, "\\n", 2);
            break;
        case '\r':
            bad = cp_strbuf_add(sb, "\\r", 2);
            break;
        case '\t':
            bad = cp_strbuf_add(sb, "\\t", 2);
            break;
        default:
            bad = cp_strbuf_addch(sb, *s);
        }
    }
    return bad;
}

/* One table cell in COPY text form; missing is \N. */
static int add_value(struct cp_strbuf *sb, const struct cp_table *t, int col, size_t row)
{
    if (col < 0 || cp_table_is_na(t, col, row))
        return cp_strbuf_add(sb, "\\N", 2);
    const struct cp_column *c = &t->cols[col];
    char buf[32];
    switch (c->type) {
    case CP_F64:
        return isfinite(c->v.f64[row])
                   ? cp_strbuf_add_double(sb, c->v.f64[row])
                   : cp_strbuf_adds(sb, c->v.f64[row] > 0 ? "Infinity" : "-Infinity");
    case CP_I64:
        return cp_strbuf_addf(sb, "%lld", (long long)c->v.i64[row]);
    case CP_TIME:
        cp_format_time(c->v.i64[row], buf, sizeof(buf));
        return cp_strbuf_adds(sb, buf);
    default:
        return add_escaped(sb, c->v.str[row]);
    }
}

/* COPY the rows of t into `target` (a table with the columns of spec, plus the column
 * `last_col` holding `last_value` when not NULL). */
static int copy_rows(PGconn *conn, const char *target, const struct cp_table *t,
                     const struct cp_colspec *spec, const char *last_col, const char *last_value,
                     struct cp_error *err)
{
    struct copy_in c = {.conn = conn, .what = target};
    struct cp_strbuf sql = CP_STRBUF_INIT;
    int cols[64], ncols = 0, rc = 0, bad;
    cp_strbuf_init(&c.buf);
    bad = cp_strbuf_addf(&sql, "COPY %s (", target);
    for (; spec[ncols].name && ncols < 64; ncols++) {
        cols[ncols] = cp_table_find(t, spec[ncols].name);
        bad |= cp_strbuf_addf(&sql, "%s%s", ncols ? ", " : "", spec[ncols].name);
    }
    if (last_col)
        bad |= cp_strbuf_addf(&sql, ", %s", last_col);
    bad |= cp_strbuf_adds(&sql, ") FROM STDIN");
    if (bad) {
        rc = cp_error_oom(err);
        goto cleanup;
    }
    PGresult *res = PQexec(conn, sql.buf);
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        rc = cp_pg_result_error(conn, res, target, err);
        PQclear(res);
        goto cleanup;
    }
    PQclear(res);
    for (size_t row = 0; row < t->nrows && rc == 0; row++) {
        for (int i = 0; i < ncols && !bad; i++)
            bad = (i && cp_strbuf_addch(&c.buf, '\t')) || add_value(&c.buf, t, cols[i], row);
        if (last_col)
            bad |= cp_strbuf_addch(&c.buf, '\t') || cp_strbuf_adds(&c.buf, last_value);
        bad |= cp_strbuf_addch(&c.buf, '\n');
        if (bad)
            rc = cp_error_oom(err);
        else if (c.buf.len >= COPY_FLUSH_BYTES)
            rc = copy_flush(&c, err);
    }
    if (rc == 0)
        rc = copy_flush(&c, err);
    if (PQputCopyEnd(c.conn, rc == 0 ? NULL : "cellpipe gave up") != 1 && rc == 0)
        rc = cp_pg_result_error(conn, NULL, target, err);
    while ((res = PQgetResult(conn)) != NULL) {
        if (rc == 0 && PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = cp_pg_result_error(conn, res, target, err);
        PQclear(res);
    }
cleanup:
    cp_strbuf_release(&sql);
    cp_strbuf_release(&c.buf);
    return rc;
}

/* ---- cells ------------------------------------------------------------------------- */

/* Non-canonical columns of a cells row as a json object text (cp_free). */
static char *extra_json(const struct cp_table *cells, size_t row)
{
    json_t *obj = json_object();
    int bad = !obj;
    for (size_t i = 0; i < cells->ncols && !bad; i++) {
        const struct cp_column *c = &cells->cols[i];
        int canonical = 0;
        for (size_t k = 0; cp_cells_columns[k].name; k++)
            canonical |= strcmp(cp_cells_columns[k].name, c->name) == 0;
        if (canonical || cp_table_is_na(cells, (int)i, row))
            continue;
        /* JSON has no infinity (log10 of a zero variance): such a value is stored as null */
        json_t *v = c->type == CP_STR ? json_string(c->v.str[row])
                    : c->type == CP_F64
                        ? (isfinite(c->v.f64[row]) ? json_real(c->v.f64[row]) : json_null())
                        : json_integer(c->v.i64[row]);
        bad = json_object_set_new(obj, c->name, v) != 0;
    }
    char *dump = bad ? NULL : json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(obj);
    char *s = dump ? cp_strdup(dump) : NULL;
    free(dump); /* jansson allocated it with malloc */
    return s;
}

/* Upsert one cell's metadata. replace: the dataset is authoritative (sample); otherwise
 * a file only fills in what it knows (missing values keep the database's). */
static int upsert_cell(PGconn *conn, const struct cp_table *cells, size_t row, int replace,
                       struct cp_error *err)
{
    static const char *const sql_fill =
        "INSERT INTO cell AS c (cell_id, design_name, experiment_group, layer_types, "
        "test_status, start_date, year, nominal_capacity_ah, chemistry, form_factor, tester, "
        "channel, extra) VALUES ($1, $2, $3, $4, $5, $6::timestamptz, $7::bigint, "
        "$8::double precision, $9, $10, $11, $12, $13::jsonb) "
        "ON CONFLICT (cell_id) DO UPDATE SET "
        "design_name = coalesce(EXCLUDED.design_name, c.design_name), "
        "experiment_group = coalesce(EXCLUDED.experiment_group, c.experiment_group), "
        "layer_types = coalesce(EXCLUDED.layer_types, c.layer_types), "
        "test_status = coalesce(EXCLUDED.test_status, c.test_status), "
        "start_date = coalesce(EXCLUDED.start_date, c.start_date), "
        "year = coalesce(EXCLUDED.year, c.year), "
        "nominal_capacity_ah = coalesce(EXCLUDED.nominal_capacity_ah, c.nominal_capacity_ah), "
        "chemistry = coalesce(EXCLUDED.chemistry, c.chemistry), "
        "form_factor = coalesce(EXCLUDED.form_factor, c.form_factor), "
        "tester = coalesce(EXCLUDED.tester, c.tester), "
        "channel = coalesce(EXCLUDED.channel, c.channel), extra = c.extra || EXCLUDED.extra";
    static const char *const sql_replace =
        "INSERT INTO cell AS c (cell_id, design_name, experiment_group, layer_types, "
        "test_status, start_date, year, nominal_capacity_ah, chemistry, form_factor, tester, "
        "channel, extra) VALUES ($1, $2, $3, $4, $5, $6::timestamptz, $7::bigint, "
        "$8::double precision, $9, $10, $11, $12, $13::jsonb) "
        "ON CONFLICT (cell_id) DO UPDATE SET design_name = EXCLUDED.design_name, "
        "experiment_group = EXCLUDED.experiment_group, layer_types = EXCLUDED.layer_types, "
        "test_status = EXCLUDED.test_status, start_date = EXCLUDED.start_date, "
        "year = EXCLUDED.year, nominal_capacity_ah = EXCLUDED.nominal_capacity_ah, "
        "chemistry = EXCLUDED.chemistry, form_factor = EXCLUDED.form_factor, "
        "tester = EXCLUDED.tester, channel = EXCLUDED.channel, extra = EXCLUDED.extra";
    struct cp_strbuf v[12];
    const char *vals[13];
    int rc = 0, bad = 0;
    for (int i = 0; i < 12; i++) {
        cp_strbuf_init(&v[i]);
        int col = cp_table_find(cells, cp_cells_columns[i].name);
        int na = col < 0 || cp_table_is_na(cells, col, row);
        bad |= na ? 0 : add_value(&v[i], cells, col, row);
        /* add_value escapes for COPY; strings here are bound as they are */
        if (!na && cells->cols[col].type == CP_STR) {
            cp_strbuf_reset(&v[i]);
            bad |= cp_strbuf_adds(&v[i], cells->cols[col].v.str[row]);
        }
        vals[i] = na ? NULL : v[i].buf;
    }
    char *extra = extra_json(cells, row);
    vals[12] = extra;
    if (bad || !extra) {
        rc = cp_error_oom(err);
        goto cleanup;
    }
    PGresult *res =
        PQexecParams(conn, replace ? sql_replace : sql_fill, 13, NULL, vals, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = cp_pg_result_error(conn, res, "cannot store cell metadata", err);
    PQclear(res);
cleanup:
    cp_free(extra);
    for (int i = 0; i < 12; i++)
        cp_strbuf_release(&v[i]);
    return rc;
}

/* Cells named by cycle rows but absent from the metadata rows get a bare cell row. */
static int ensure_cells(PGconn *conn, const struct cp_table *cycles, struct cp_error *err)
{
    char **ids = cp_table_str(cycles, "cell_id");
    if (!ids || cycles->nrows == 0)
        return 0;
    char *lit = cp_pg_array_literal(ids, cycles->nrows);
    if (!lit)
        return cp_error_oom(err);
    const char *vals[1] = {lit};
    PGresult *res = PQexecParams(conn,
                                 "INSERT INTO cell (cell_id) SELECT DISTINCT id FROM "
                                 "unnest($1::text[]) AS u (id) WHERE id IS NOT NULL "
                                 "ON CONFLICT (cell_id) DO NOTHING",
                                 1, NULL, vals, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = cp_pg_result_error(conn, res, "cannot store cells", err);
    PQclear(res);
    cp_free(lit);
    return rc;
}

static int store_cells(PGconn *conn, const struct cp_table *cells, const struct cp_table *cycles,
                       int replace, struct cp_error *err)
{
    int idcol = cp_table_find(cells, "cell_id");
    for (size_t r = 0; r < cells->nrows; r++) {
        if (idcol < 0 || cp_table_is_na(cells, idcol, r))
            continue;
        int rc = upsert_cell(conn, cells, r, replace, err);
        if (rc < 0)
            return rc;
    }
    return ensure_cells(conn, cycles, err);
}

static int rollback(PGconn *conn, int rc)
{
    if (PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) != PQTRANS_IDLE)
        PQclear(PQexec(conn, "ROLLBACK"));
    return rc;
}

/* ---- sample --db ------------------------------------------------------------------------ */

/* Created once per session (creating it per file cost a quarter of a small file's time);
 * emptied at every commit. ord keeps the file's row order. */
static const char *const stage_sql =
    "CREATE TEMP TABLE IF NOT EXISTS cellpipe_stage (LIKE cycle_data, ord bigserial)"
    " ON COMMIT DELETE ROWS";

/* The primary key (cell_id, cycle_index) holds one row per cycle: a dataset that repeats a
 * cycle (the sample lab injects one for validation to find) keeps its first row. */
static const char *const insert_first_sql =
    "INSERT INTO cycle_data (cell_id, cycle_index, test_time_s, start_time,"
    " charge_capacity_ah, discharge_capacity_ah, charge_energy_wh, discharge_energy_wh,"
    " v_max, v_min, i_max, i_min, v_charge_mean, v_discharge_mean, temperature_avg_c,"
    " temperature_max_c, internal_resistance_ohm)"
    " SELECT DISTINCT ON (cell_id, cycle_index) cell_id, cycle_index, test_time_s, start_time,"
    " charge_capacity_ah, discharge_capacity_ah, charge_energy_wh, discharge_energy_wh,"
    " v_max, v_min, i_max, i_min, v_charge_mean, v_discharge_mean, temperature_avg_c,"
    " temperature_max_c, internal_resistance_ohm"
    " FROM cellpipe_stage ORDER BY cell_id, cycle_index, ord";

static int delete_cycles(PGconn *conn, const struct cp_table *cells, struct cp_error *err)
{
    char **idv = cp_table_str(cells, "cell_id");
    char *ids = cp_pg_array_literal(idv, idv ? cells->nrows : 0);
    if (!ids)
        return cp_error_oom(err);
    const char *vals[1] = {ids};
    PGresult *res = PQexecParams(conn, "DELETE FROM cycle_data WHERE cell_id = ANY ($1::text[])", 1,
                                 NULL, vals, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = cp_pg_result_error(conn, res, "cannot replace cycles", err);
    PQclear(res);
    cp_free(ids);
    return rc;
}

static int insert_staged(PGconn *conn, size_t staged, struct cp_error *err)
{
    PGresult *res = PQexec(conn, insert_first_sql);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        rc = cp_pg_result_error(conn, res, "cannot store cycles", err);
    } else {
        long long n = strtoll(PQcmdTuples(res), NULL, 10);
        if ((size_t)n != staged)
            cp_log(CP_LOG_WARN, "stage=sample target=postgres dropped_duplicate_cycles=%lld",
                   (long long)staged - n);
    }
    PQclear(res);
    return rc;
}

int cp_pg_store_dataset(PGconn *conn, const struct cp_dataset *ds, struct cp_error *err)
{
    int rc;
    if ((rc = cp_pg_exec(conn, "BEGIN", "cannot start a transaction", err)) < 0 ||
        (rc = store_cells(conn, ds->cells, ds->cycles, 1, err)) < 0 ||
        (rc = delete_cycles(conn, ds->cells, err)) < 0 ||
        (rc = cp_pg_exec(conn, stage_sql, "cannot create the staging table", err)) < 0 ||
        (rc = copy_rows(conn, "cellpipe_stage", ds->cycles, cp_cycles_columns, NULL, NULL, err)) <
            0 ||
        (rc = insert_staged(conn, ds->cycles->nrows, err)) < 0 ||
        (rc = cp_pg_exec(conn, "COMMIT", "cannot commit", err)) < 0)
        return rollback(conn, rc);
    return 0;
}

/* ---- ingest ------------------------------------------------------------------------------ */

struct file_info {
    const char *path;
    char sha[65];
    long long size;
    char mtime[32];
    const char *format;
    long long rows;
    char file_id[32]; /* when already recorded */
};

enum { FILE_NEW, FILE_DONE, FILE_NO_POINTS };

/* Whether the file is recorded: FILE_NEW, FILE_DONE (recorded, with its points unless
 * `timeseries` is 0), FILE_NO_POINTS (recorded without the points now wanted; file_id set),
 * or a negative code. lock: take the row lock (inside the file's transaction). */
static int file_state(PGconn *conn, struct file_info *fi, int timeseries, int lock,
                      struct cp_error *err)
{
    const char *vals[1] = {fi->sha};
    PGresult *res =
        PQexecParams(conn,
                     lock ? "SELECT file_id, timeseries_points IS NOT NULL FROM testfiles "
                            "WHERE sha256 = $1 FOR UPDATE"
                          : "SELECT file_id, timeseries_points IS NOT NULL FROM testfiles "
                            "WHERE sha256 = $1",
                     1, NULL, vals, NULL, NULL, 0);
    int rc = FILE_NEW;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        rc = cp_pg_result_error(conn, res, "cannot look up testfiles", err);
    } else if (PQntuples(res) > 0) {
        snprintf(fi->file_id, sizeof(fi->file_id), "%s", PQgetvalue(res, 0, 0));
        rc = !timeseries || PQgetvalue(res, 0, 1)[0] == 't' ? FILE_DONE : FILE_NO_POINTS;
    }
    PQclear(res);
    return rc;
}

static int record_file(PGconn *conn, const struct file_info *fi, char *file_id, size_t n,
                       struct cp_error *err)
{
    char size[32];
    snprintf(size, sizeof(size), "%lld", fi->size);
    const char *vals[5] = {fi->path, size, fi->sha, fi->format, fi->mtime};
    PGresult *res = PQexecParams(conn,
                                 "INSERT INTO testfiles (path, size, sha256, format, rows, "
                                 "file_mtime) VALUES ($1, $2, $3, $4, 0, $5) RETURNING file_id",
                                 5, NULL, vals, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        rc = cp_pg_result_error(conn, res, "cannot record the file in testfiles", err);
    else
        snprintf(file_id, n, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return rc;
}

/* What the read found: rows, and the points stored (NULL when not stored). */
static int finish_file(PGconn *conn, const char *file_id, long long rows, long long points,
                       struct cp_error *err)
{
    char r[32], pt[32];
    snprintf(r, sizeof(r), "%lld", rows);
    snprintf(pt, sizeof(pt), "%lld", points);
    const char *vals[3] = {file_id, r, points >= 0 ? pt : NULL};
    PGresult *res = PQexecParams(conn,
                                 "UPDATE testfiles SET rows = $2, timeseries_points = $3 "
                                 "WHERE file_id = $1",
                                 3, NULL, vals, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = cp_pg_result_error(conn, res, "cannot record the file in testfiles", err);
    PQclear(res);
    return rc;
}

/* A file recorded without its points: drop any left (none, unless stored by hand). */
static int delete_points(PGconn *conn, const char *file_id, struct cp_error *err)
{
    const char *vals[1] = {file_id};
    PGresult *res = PQexecParams(conn, "DELETE FROM timeseries_data WHERE file_id = $1", 1, NULL,
                                 vals, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = cp_pg_result_error(conn, res, "cannot replace raw points", err);
    PQclear(res);
    return rc;
}

/* Merge the staged cycles: a cycle already in the database is replaced only when its file is
 * not newer than this one (file modification time, then ingestion order), so files can
 * arrive in any order. Then rebuild the touched cells' mergedtest. */
static const char *const merge_sql =
    "WITH up AS ("
    " INSERT INTO cycle_data AS d (cell_id, cycle_index, test_time_s, start_time,"
    "  charge_capacity_ah, discharge_capacity_ah, charge_energy_wh, discharge_energy_wh,"
    "  v_max, v_min, i_max, i_min, v_charge_mean, v_discharge_mean, temperature_avg_c,"
    "  temperature_max_c, internal_resistance_ohm, file_id)"
    " SELECT DISTINCT ON (cell_id, cycle_index) cell_id, cycle_index, test_time_s, start_time,"
    "  charge_capacity_ah, discharge_capacity_ah, charge_energy_wh, discharge_energy_wh,"
    "  v_max, v_min, i_max, i_min, v_charge_mean, v_discharge_mean, temperature_avg_c,"
    "  temperature_max_c, internal_resistance_ohm, file_id"
    " FROM cellpipe_stage WHERE cell_id IS NOT NULL AND cycle_index IS NOT NULL"
    " ORDER BY cell_id, cycle_index, ord DESC"
    " ON CONFLICT (cell_id, cycle_index) DO UPDATE SET test_time_s = EXCLUDED.test_time_s,"
    "  start_time = EXCLUDED.start_time, charge_capacity_ah = EXCLUDED.charge_capacity_ah,"
    "  discharge_capacity_ah = EXCLUDED.discharge_capacity_ah,"
    "  charge_energy_wh = EXCLUDED.charge_energy_wh,"
    "  discharge_energy_wh = EXCLUDED.discharge_energy_wh, v_max = EXCLUDED.v_max,"
    "  v_min = EXCLUDED.v_min, i_max = EXCLUDED.i_max, i_min = EXCLUDED.i_min,"
    "  v_charge_mean = EXCLUDED.v_charge_mean, v_discharge_mean = EXCLUDED.v_discharge_mean,"
    "  temperature_avg_c = EXCLUDED.temperature_avg_c,"
    "  temperature_max_c = EXCLUDED.temperature_max_c,"
    "  internal_resistance_ohm = EXCLUDED.internal_resistance_ohm, file_id = EXCLUDED.file_id"
    " WHERE d.file_id IS NULL OR EXISTS (SELECT 1 FROM testfiles o, testfiles n"
    "  WHERE o.file_id = d.file_id AND n.file_id = EXCLUDED.file_id"
    "  AND (o.file_mtime, o.file_id) <= (n.file_mtime, n.file_id))"
    " RETURNING (xmax <> 0) AS replaced)"
    " SELECT count(*) FILTER (WHERE replaced) FROM up";

static const char *const mergedtest_insert_sql =
    "INSERT INTO mergedtest (cell_id, file_id, first_cycle, last_cycle, cycles)"
    " SELECT cell_id, $1::bigint, min(cycle_index), max(cycle_index), count(*)"
    " FROM cellpipe_stage GROUP BY cell_id";

/* seq orders a cell's files oldest first; cycles_kept and superseded_at follow the merge. */
static const char *const mergedtest_update_sql =
    "UPDATE mergedtest m SET seq = r.seq, cycles_kept = r.kept FROM ("
    " SELECT m2.cell_id, m2.file_id,"
    "  row_number() OVER (PARTITION BY m2.cell_id ORDER BY t.file_mtime, t.file_id) AS seq,"
    "  (SELECT count(*) FROM cycle_data d WHERE d.cell_id = m2.cell_id"
    "   AND d.file_id = m2.file_id) AS kept"
    " FROM mergedtest m2 JOIN testfiles t ON t.file_id = m2.file_id"
    " WHERE m2.cell_id IN (SELECT cell_id FROM cellpipe_stage)) r"
    " WHERE m.cell_id = r.cell_id AND m.file_id = r.file_id;"
    "UPDATE testfiles t SET superseded_at = CASE WHEN k.kept = 0"
    "  THEN coalesce(t.superseded_at, now()) END"
    " FROM (SELECT file_id, sum(cycles_kept) AS kept FROM mergedtest"
    "  WHERE cell_id IN (SELECT cell_id FROM cellpipe_stage) GROUP BY file_id) k"
    " WHERE k.file_id = t.file_id";

static int merge_stage(PGconn *conn, const char *file_id, long long *replaced, struct cp_error *err)
{
    PGresult *res = PQexec(conn, merge_sql);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        rc = cp_pg_result_error(conn, res, "cannot merge cycles", err);
    else
        *replaced = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    if (rc < 0)
        return rc;
    const char *vals[1] = {file_id};
    res = PQexecParams(conn, mergedtest_insert_sql, 1, NULL, vals, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = cp_pg_result_error(conn, res, "cannot update mergedtest", err);
    PQclear(res);
    if (rc < 0)
        return rc;
    return cp_pg_exec(conn, mergedtest_update_sql, "cannot update mergedtest", err);
}

static const struct cp_reader_ops *open_export(const char *path, struct cp_reader_out *out,
                                               struct cp_error *err)
{
    const struct cp_reader_ops *r = cp_reader_detect(path, err);
    if (!r)
        return NULL;
    out->cells = cp_table_new("cells");
    out->cycles = cp_table_new("cycles");
    if (!out->cells || !out->cycles || cp_add_canonical_columns(out->cells, cp_cells_columns) ||
        cp_add_canonical_columns(out->cycles, cp_cycles_columns)) {
        cp_error_oom(err);
        return NULL;
    }
    return r;
}

/* Read the file inside its transaction, its points streaming into timeseries_data when
 * wanted. *points: how many, -1 when not stored. */
static int read_points(PGconn *conn, const struct cp_reader_ops *r, const struct file_info *fi,
                       const char *file_id, int timeseries, struct cp_reader_out *out,
                       long long *points, struct cp_error *err)
{
    struct cp_pg_ts_writer w;
    cp_pg_ts_writer_init(&w, conn, file_id);
    if (timeseries) {
        out->on_point = cp_pg_ts_writer_point;
        out->on_point_ctx = &w;
    }
    int rc = r->read(fi->path, out, err);
    rc = cp_pg_ts_writer_finish(&w, rc, err);
    *points = timeseries ? w.points : -1;
    out->on_point = NULL;
    out->on_point_ctx = NULL;
    cp_pg_ts_writer_release(&w);
    return rc;
}

/* One transaction: record the file (or lock its record), read it, store cells and cycles
 * (a new file only) and the points. 1 when another host loaded it meanwhile. */
static int load_file(PGconn *conn, const struct cp_reader_ops *r, struct file_info *fi,
                     int timeseries, struct cp_reader_out *out, long long *replaced,
                     long long *points, struct cp_error *err)
{
    char file_id[32];
    int rc, state;
    if ((rc = cp_pg_exec(conn, "BEGIN", "cannot start a transaction", err)) < 0)
        return rc;
    if ((state = file_state(conn, fi, timeseries, 1, err)) < 0)
        return rollback(conn, state);
    if (state == FILE_DONE)
        return rollback(conn, 1);
    if (state == FILE_NO_POINTS) {
        snprintf(file_id, sizeof(file_id), "%s", fi->file_id);
        rc = delete_points(conn, file_id, err);
    } else {
        rc = record_file(conn, fi, file_id, sizeof(file_id), err);
    }
    if (rc == 0)
        rc = read_points(conn, r, fi, file_id, timeseries, out, points, err);
    fi->rows = out->rows_read;
    if (rc < 0 ||
        (state == FILE_NEW &&
         ((rc = store_cells(conn, out->cells, out->cycles, 0, err)) < 0 ||
          (rc = cp_pg_exec(conn, stage_sql, "cannot create the staging table", err)) < 0 ||
          (rc = copy_rows(conn, "cellpipe_stage", out->cycles, cp_cycles_columns, "file_id",
                          file_id, err)) < 0 ||
          (rc = merge_stage(conn, file_id, replaced, err)) < 0)) ||
        (rc = finish_file(conn, file_id, fi->rows, *points, err)) < 0 ||
        (rc = cp_pg_exec(conn, "COMMIT", "cannot commit", err)) < 0)
        return rollback(conn, rc);
    return 0;
}

int cp_pg_ingest_file(PGconn *conn, const char *path, int *unchanged, long long *rows,
                      struct cp_error *err)
{
    return cp_pg_ingest_file_ts(conn, path, 1, unchanged, rows, NULL, err);
}

int cp_pg_ingest_file_ts(PGconn *conn, const char *path, int timeseries, int *unchanged,
                         long long *rows, long long *points, struct cp_error *err)
{
    struct file_info fi = {.path = path};
    struct cp_reader_out out = {0};
    struct stat st;
    long long replaced = 0, npoints = -1;
    *unchanged = 0;
    *rows = 0;
    if (points)
        *points = 0;
    if (cp_sha256_file(path, fi.sha, &fi.size) < 0 || stat(path, &st) < 0)
        return cp_error_errno(err, CP_ENOINPUT, "cannot read '%s'", path);
    cp_format_time((int64_t)st.st_mtime, fi.mtime, sizeof(fi.mtime));
    int rc = file_state(conn, &fi, timeseries, 0, err);
    if (rc != FILE_NEW && rc != FILE_NO_POINTS) {
        *unchanged = rc == FILE_DONE;
        return rc == FILE_DONE ? 0 : rc;
    }
    const struct cp_reader_ops *r = open_export(path, &out, err);
    if (!r) {
        rc = -err->code;
        goto cleanup;
    }
    fi.format = r->name;
    rc = load_file(conn, r, &fi, timeseries, &out, &replaced, &npoints, err);
    if (rc > 0) {
        *unchanged = 1;
        rc = 0;
    }
    /* a file recorded before (without its points) got its points only: no cycles stored */
    *rows = fi.file_id[0] ? 0 : (long long)out.cycles->nrows;
    if (points)
        *points = npoints > 0 ? npoints : 0;
    if (rc == 0)
        cp_log(CP_LOG_DEBUG, "stage=ingest file=%s format=%s cycles=%zu replaced=%lld points=%lld",
               path, fi.format, out.cycles->nrows, replaced, npoints);
cleanup:
    cp_table_free(out.cells);
    cp_table_free(out.cycles);
    return rc;
}

int cp_pg_sample_load(const char *dsn, const struct cp_dataset *ds, struct cp_error *err)
{
    PGconn *conn = NULL;
    int version = 0;
    double t0 = cp_monotonic_ms();
    int rc = cp_pg_connect(&conn, dsn, err);
    if (rc == 0)
        rc = cp_pg_schema_apply(conn, &version, err);
    if (rc == 0)
        rc = cp_pg_store_dataset(conn, ds, err);
    if (rc == 0)
        cp_log(CP_LOG_INFO, "stage=sample target=postgres cells=%zu cycles=%zu seconds=%.3f",
               ds->cells->nrows, ds->cycles->nrows, (cp_monotonic_ms() - t0) / 1000.0);
    cp_pg_close(conn);
    return rc;
}
