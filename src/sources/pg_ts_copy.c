/*
 * `cellpipe ingest`: every raw point a reader pushes into cp_ts (reader.h, on_point) goes into
 * timeseries_data with COPY ... FROM STDIN (text), streamed while the file is read, in the
 * file's transaction. Memory is the COPY buffer, never the series.
 *
 * timeseries_data.cell_id references cell, checked per row: when the reader names a cell the
 * COPY has not seen, the COPY is ended, a bare cell row is made (ingest fills its metadata
 * later, in the same transaction) and a new COPY starts. A file names one cell or a few.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/pg.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/table.h"
#include "cellpipe/ts.h"

#define TS_FLUSH_BYTES (256 * 1024)

static const char *const copy_sql =
    "COPY timeseries_data (cell_id, file_id, point_index, cycle_index, step_index,"
    " test_time_s, stamp, current_a, voltage_v, charge_capacity_ah, discharge_capacity_ah,"
    " charge_energy_wh, discharge_energy_wh, temperature_c, internal_resistance_ohm)"
    " FROM STDIN";

static int flush(struct cp_pg_ts_writer *w, struct cp_error *err)
{
    if (w->buf.len && PQputCopyData(w->conn, w->buf.buf, (int)w->buf.len) != 1)
        return cp_pg_result_error(w->conn, NULL, "cannot store raw points", err);
    cp_strbuf_reset(&w->buf);
    return 0;
}

/* End the open COPY (abort it when failing). */
static int end_copy(struct cp_pg_ts_writer *w, int rc, struct cp_error *err)
{
    if (!w->copying)
        return rc;
    w->copying = 0;
    if (rc == 0)
        rc = flush(w, err);
    if (PQputCopyEnd(w->conn, rc == 0 ? NULL : "cellpipe gave up") != 1 && rc == 0)
        rc = cp_pg_result_error(w->conn, NULL, "cannot store raw points", err);
    PGresult *res;
    while ((res = PQgetResult(w->conn)) != NULL) {
        if (rc == 0 && PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = cp_pg_result_error(w->conn, res, "cannot store raw points", err);
        PQclear(res);
    }
    cp_strbuf_reset(&w->buf);
    return rc;
}

/* A cell the COPY has not seen: end it, make sure the cell row exists, start a new one. */
static int switch_cell(struct cp_pg_ts_writer *w, const char *cell_id, struct cp_error *err)
{
    int rc = end_copy(w, 0, err);
    if (rc < 0)
        return rc;
    char *copy = cp_strdup(cell_id);
    if (!copy)
        return cp_error_oom(err);
    cp_free(w->cell);
    w->cell = copy;
    const char *vals[1] = {cell_id};
    PGresult *res = PQexecParams(w->conn,
                                 "INSERT INTO cell (cell_id) VALUES ($1) "
                                 "ON CONFLICT (cell_id) DO NOTHING",
                                 1, NULL, vals, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = cp_pg_result_error(w->conn, res, "cannot store cells", err);
    PQclear(res);
    if (rc < 0)
        return rc;
    res = PQexec(w->conn, copy_sql);
    if (PQresultStatus(res) != PGRES_COPY_IN)
        rc = cp_pg_result_error(w->conn, res, "cannot store raw points", err);
    PQclear(res);
    w->copying = rc == 0;
    return rc;
}

static int add_text(struct cp_strbuf *sb, const char *s)
{
    int bad = 0;
    for (; *s && !bad; s++) {
        if (*s == '\\' || *s == '\t' || *s == '\n' || *s == '\r') {
            char esc[2] = {'\\', *s == '\t' ? 't' : *s == '\n' ? 'n' : *s == '\r' ? 'r' : '\\'};
            bad = cp_strbuf_add(sb, esc, 2);
        } else {
            bad = cp_strbuf_addch(sb, *s);
        }
    }
    return bad;
}

static int add_f64(struct cp_strbuf *sb, double v)
{
    int bad = cp_strbuf_addch(sb, '\t');
    if (isnan(v))
        return bad | cp_strbuf_add(sb, "\\N", 2);
    if (isinf(v))
        return bad | cp_strbuf_adds(sb, v > 0 ? "Infinity" : "-Infinity");
    return bad | cp_strbuf_add_double(sb, v);
}

static int add_i64(struct cp_strbuf *sb, int64_t v)
{
    if (v == CP_I64_NA)
        return cp_strbuf_add(sb, "\t\\N", 3);
    return cp_strbuf_addf(sb, "\t%lld", (long long)v);
}

int cp_pg_ts_writer_point(void *ctx, const char *cell_id, const struct cp_ts_point *p,
                          struct cp_error *err)
{
    struct cp_pg_ts_writer *w = ctx;
    int rc;
    if ((!w->cell || strcmp(w->cell, cell_id) != 0) && (rc = switch_cell(w, cell_id, err)) < 0)
        return rc;
    struct cp_strbuf *sb = &w->buf;
    int bad = add_text(sb, cell_id) | cp_strbuf_addch(sb, '\t') | cp_strbuf_adds(sb, w->file_id) |
              add_i64(sb, w->points) | add_i64(sb, p->cycle) | add_i64(sb, p->step) |
              add_f64(sb, p->test_time_s) | add_f64(sb, p->stamp) | add_f64(sb, p->current_a) |
              add_f64(sb, p->voltage_v) | add_f64(sb, p->charge_ah) | add_f64(sb, p->discharge_ah) |
              add_f64(sb, p->charge_wh) | add_f64(sb, p->discharge_wh) |
              add_f64(sb, p->temperature_c) | add_f64(sb, p->resistance_ohm) |
              cp_strbuf_addch(sb, '\n');
    if (bad)
        return cp_error_oom(err);
    w->points++;
    return sb->len >= TS_FLUSH_BYTES ? flush(w, err) : 0;
}

void cp_pg_ts_writer_init(struct cp_pg_ts_writer *w, PGconn *conn, const char *file_id)
{
    memset(w, 0, sizeof(*w));
    w->conn = conn;
    snprintf(w->file_id, sizeof(w->file_id), "%s", file_id);
    cp_strbuf_init(&w->buf);
}

int cp_pg_ts_writer_finish(struct cp_pg_ts_writer *w, int rc, struct cp_error *err)
{
    return end_copy(w, rc, err);
}

void cp_pg_ts_writer_release(struct cp_pg_ts_writer *w)
{
    cp_free(w->cell);
    w->cell = NULL;
    cp_strbuf_release(&w->buf);
}
