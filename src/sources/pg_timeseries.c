/*
 * The `postgres` source with source.timeseries: the raw points of timeseries_data replayed
 * through cp_ts (include/cellpipe/ts.h), so dQ/dV curves and the Severson early-life features
 * come out as the files source computes them from the same file.
 *
 * One COPY (query) TO STDOUT streams every selected cell's points ordered by cell, file
 * (ingestion order) and position in the file, which the (cell_id, file_id, point_index) index
 * serves without a sort. Rows are decoded one at a time and pushed into the cell's cp_ts;
 * only one cp_ts exists at a time, so memory is one row plus one cell's dQ/dV buffer however
 * many points or cells there are. cp_ts_set_emit(ts, 0): the cycles come from cycle_data.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/dataset.h"
#include "cellpipe/error.h"
#include "cellpipe/pg.h"
#include "cellpipe/reader.h"
#include "cellpipe/table.h"
#include "cellpipe/ts.h"

enum {
    F_CELL,
    F_FORMAT,
    F_CYCLE,
    F_STEP,
    F_TIME,
    F_STAMP,
    F_I,
    F_V,
    F_QC,
    F_QD,
    F_EC,
    F_ED,
    F_TEMP,
    F_IR,
    NFIELDS
};

/* COPY takes no parameters: the cell list is bound to a setting first (as pg_fetch.c does). */
static const char *const copy_sql =
    "COPY (SELECT t.cell_id, f.format, t.cycle_index, t.step_index, t.test_time_s, t.stamp,"
    " t.current_a, t.voltage_v, t.charge_capacity_ah, t.discharge_capacity_ah,"
    " t.charge_energy_wh, t.discharge_energy_wh, t.temperature_c, t.internal_resistance_ohm"
    " FROM timeseries_data t LEFT JOIN testfiles f ON f.file_id = t.file_id"
    " WHERE t.cell_id = ANY (current_setting('cellpipe.ts_cells')::text[])"
    " ORDER BY t.cell_id, t.file_id, t.point_index, t.cycle_index, t.test_time_s)"
    " TO STDOUT";

struct replay {
    struct cp_reader_out out;
    struct cp_ts *ts;
    char *cell;
    long long points, bytes, cells;
};

/* The readers whose counters are cumulative within a cycle and zeroed at rests count a
 * cycle's amount as its largest segment (ts.h "Counters"; the readers' own choice). */
static enum cp_ts_counting counting_of(const char *format)
{
    static const char *const largest[] = {"arbin", "batteryarchive_ts", "batterydatahub", NULL};
    for (size_t i = 0; format && largest[i]; i++)
        if (strcmp(format, largest[i]) == 0)
            return CP_TS_LARGEST;
    return CP_TS_SUM;
}

/* Split one COPY text row in place: fields[k] NULL for \N, escapes undone. */
static int split_row(char *row, size_t len, char *fields[NFIELDS])
{
    int k = 0;
    size_t i = 0;
    char *w = row;
    while (k < NFIELDS) {
        char *start = w;
        int null = i + 1 < len && row[i] == '\\' && row[i + 1] == 'N' &&
                   (i + 2 == len || row[i + 2] == '\t');
        if (null)
            i += 2;
        for (; i < len && row[i] != '\t'; i++) {
            char c = row[i];
            if (c == '\\' && i + 1 < len) {
                c = row[++i];
                c = c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c;
            }
            *w++ = c;
        }
        fields[k++] = null ? NULL : start;
        if (i >= len) {
            *w = '\0';
            break;
        }
        *w++ = '\0'; /* the tab: w never passes i */
        i++;
    }
    return k == NFIELDS && i >= len ? 0 : -1;
}

static double f64(const char *s)
{
    return s ? strtod(s, NULL) : NAN;
}

static int64_t i64(const char *s)
{
    return s ? (int64_t)strtoll(s, NULL, 10) : CP_I64_NA;
}

static int end_cell(struct replay *r, struct cp_error *err)
{
    int rc = r->ts ? cp_ts_finish(r->ts, err) : 0;
    cp_ts_free(r->ts);
    r->ts = NULL;
    return rc;
}

static int start_cell(struct replay *r, const char *cell, const char *format, struct cp_error *err)
{
    int rc = end_cell(r, err);
    if (rc < 0)
        return rc;
    cp_free(r->cell);
    r->cell = cp_strdup(cell);
    r->ts = r->cell ? cp_ts_new(cell, &r->out, NULL) : NULL;
    if (!r->ts)
        return cp_error_oom(err);
    cp_ts_set_counting(r->ts, counting_of(format));
    cp_ts_set_emit(r->ts, 0);
    r->cells++;
    return 0;
}

static int replay_row(struct replay *r, char *row, size_t len, struct cp_error *err)
{
    char *f[NFIELDS];
    if (len && row[len - 1] == '\n')
        len--;
    if (split_row(row, len, f) < 0 || !f[F_CELL])
        return cp_error_set(err, CP_EDATA, "timeseries_data: row %lld: expected %d columns",
                            r->points + 1, NFIELDS);
    int rc;
    if ((!r->cell || strcmp(r->cell, f[F_CELL]) != 0) &&
        (rc = start_cell(r, f[F_CELL], f[F_FORMAT], err)) < 0)
        return rc;
    struct cp_ts_point p = {
        .cycle = i64(f[F_CYCLE]),
        .step = i64(f[F_STEP]),
        .test_time_s = f64(f[F_TIME]),
        .stamp = f64(f[F_STAMP]),
        .current_a = f64(f[F_I]),
        .voltage_v = f64(f[F_V]),
        .charge_ah = f64(f[F_QC]),
        .discharge_ah = f64(f[F_QD]),
        .charge_wh = f64(f[F_EC]),
        .discharge_wh = f64(f[F_ED]),
        .temperature_c = f64(f[F_TEMP]),
        .resistance_ohm = f64(f[F_IR]),
    };
    r->points++;
    return cp_ts_push(r->ts, &p, err);
}

static int bind_cells(PGconn *conn, const char *cell_ids, struct cp_error *err)
{
    const char *vals[1] = {cell_ids};
    PGresult *res = PQexecParams(conn, "SELECT set_config('cellpipe.ts_cells', $1, true)", 1, NULL,
                                 vals, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        rc = cp_pg_result_error(conn, res, "cannot read timeseries_data", err);
    PQclear(res);
    return rc;
}

/* Read the COPY to its end (also after a failure, so the connection stays usable). */
static int stream(PGconn *conn, struct replay *r, struct cp_error *err)
{
    int rc = 0, n;
    char *row = NULL;
    while ((n = PQgetCopyData(conn, &row, 0)) > 0) {
        r->bytes += n;
        if (rc == 0)
            rc = replay_row(r, row, (size_t)n, err);
        PQfreemem(row);
    }
    if (n == -2 && rc == 0)
        rc = cp_pg_result_error(conn, NULL, "cannot read timeseries_data", err);
    PGresult *res;
    while ((res = PQgetResult(conn)) != NULL) {
        if (rc == 0 && PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = cp_pg_result_error(conn, res, "cannot read timeseries_data", err);
        PQclear(res);
    }
    return rc;
}

int cp_pg_timeseries_load(PGconn *conn, const char *cell_ids, struct cp_dataset *ds,
                          long long *points, long long *bytes, struct cp_error *err)
{
    struct replay r = {.out = {.cells = ds->cells, .cycles = ds->cycles, .curves = ds->curves}};
    int rc = bind_cells(conn, cell_ids, err);
    if (rc == 0) {
        PGresult *res = PQexec(conn, copy_sql);
        if (PQresultStatus(res) != PGRES_COPY_OUT)
            rc = cp_pg_result_error(conn, res, "cannot read timeseries_data", err);
        PQclear(res);
    }
    if (rc == 0)
        rc = stream(conn, &r, err);
    int end = end_cell(&r, err);
    rc = rc < 0 ? rc : end;
    cp_free(r.cell);
    *points = r.points;
    *bytes = r.bytes;
    return rc;
}
