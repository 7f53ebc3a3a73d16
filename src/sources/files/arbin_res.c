/*
 * Arbin `.res` files (MITS Pro): an MS Access (Jet) database read with mdbtools' library.
 * Global_Table names the test; Channel_Normal_Table holds one row per point (Data_Point,
 * Test_Time, DateTime as an OLE date, Step_Index, Cycle_Index, Current, Voltage,
 * Charge/Discharge_Capacity and _Energy, cumulative within a cycle as in the Arbin CSV
 * export, hence CP_TS_LARGEST); Auxiliary_Table, when present, adds temperatures joined on
 * Data_Point. Not checked against a real .res (no public sample was at hand): see
 * docs/readers.md.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mdbtools.h>

#include "cellpipe/alloc.h"
#include "cellpipe/dataset.h"
#include "cellpipe/error.h"
#include "cellpipe/tabread.h"
#include "cellpipe/textread.h"
#include "cellpipe/timeutil.h"
#include "cellpipe/ts.h"

#define RES_DATA "Channel_Normal_Table"
#define RES_GLOBAL "Global_Table"
#define RES_AUX "Auxiliary_Table"
#define OLE_UNIX_DAYS 25569.0 /* 1899-12-30 (OLE day 0) to 1970-01-01 */
#define AUX_TEMPERATURE 1     /* Auxiliary_Table.Data_Type of a thermocouple */

enum res_field {
    F_POINT,
    F_TIME,
    F_DATE,
    F_STEP,
    F_CYCLE,
    F_I,
    F_V,
    F_QC,
    F_QD,
    F_EC,
    F_ED,
    F_IR,
    F_COUNT
};

static const struct {
    const char *name;
    int required;
} res_fields[F_COUNT] = {
    [F_POINT] = {"Data_Point", 1},
    [F_TIME] = {"Test_Time", 1},
    [F_DATE] = {"DateTime", 0},
    [F_STEP] = {"Step_Index", 1},
    [F_CYCLE] = {"Cycle_Index", 1},
    [F_I] = {"Current", 1},
    [F_V] = {"Voltage", 1},
    [F_QC] = {"Charge_Capacity", 1},
    [F_QD] = {"Discharge_Capacity", 1},
    [F_EC] = {"Charge_Energy", 0},
    [F_ED] = {"Discharge_Energy", 0},
    [F_IR] = {"Internal_Resistance", 0},
};

/* One table read row by row: its own handle, since mdbtools' page buffer is per handle. */
struct res_cursor {
    MdbHandle *mdb;
    MdbTableDef *table;
    char *buf[F_COUNT];
    int len[F_COUNT];
    long row;
};

struct res {
    const char *path;
    struct res_cursor data, aux;
    int has_aux;
    double aux_point, aux_type, aux_x; /* the aux row at hand; aux_point NaN at the end */
    char *aux_buf[3];
    int aux_len[3];
};

static int is_jet(const char *head, size_t len)
{
    return len >= 19 && (memcmp(head + 4, "Standard Jet DB", 15) == 0 ||
                         memcmp(head + 4, "Standard ACE DB", 15) == 0);
}

/* A Jet file is whole pages (2 KiB for Jet 3, 4 KiB after, by the version byte at 0x14), at
 * least the header page, a catalog definition and its data: a cut file is told here, by
 * position, rather than by mdbtools as an unreadable page. */
static int whole_pages(const char *path, const char *head, size_t len, struct cp_error *err)
{
    FILE *f = fopen(path, "rb");
    long size = -1;
    if (f && fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    if (f)
        fclose(f);
    long page = len > 0x14 && head[0x14] == 0 ? 2048 : 4096;
    if (size >= 0 && (size < 3 * page || size % page != 0))
        return cp_error_set(err, CP_EDATA,
                            "%s: byte %ld: truncated MS Access file: expected whole %ld-byte "
                            "pages, at least 3",
                            path, size - size % page, page);
    return 0;
}

static int not_access(const char *path, struct cp_error *err)
{
    return cp_error_set(err, CP_EDATA,
                        "%s: byte 4: not an MS Access file: expected 'Standard Jet DB' (an "
                        "Arbin .res)",
                        path);
}

static void cursor_close(struct res_cursor *c)
{
    if (c->table)
        mdb_free_tabledef(c->table);
    if (c->mdb)
        mdb_close(c->mdb);
    c->table = NULL;
    c->mdb = NULL;
}

/* Open path's table `name`: 0, 1 when the file has no such table, negative code. */
static int cursor_open(struct res_cursor *c, const char *path, const char *name,
                       struct cp_error *err)
{
    c->mdb = mdb_open(path, MDB_NOFLAGS);
    if (!c->mdb)
        return not_access(path, err);
    if (!mdb_read_catalog(c->mdb, MDB_TABLE))
        return cp_error_set(err, CP_EDATA,
                            "%s: byte %ld: unreadable MS Access catalog (MSysObjects): expected "
                            "an Arbin .res",
                            path, (long)c->mdb->fmt->pg_size * 2);
    c->table = mdb_read_table_by_name(c->mdb, (gchar *)name, MDB_TABLE);
    if (!c->table)
        return 1;
    if (!mdb_read_columns(c->table) || mdb_rewind_table(c->table) < 0)
        return cp_error_set(err, CP_EDATA, "%s: table %s: unreadable columns (damaged file?)", path,
                            name);
    return 0;
}

/* Bind column `name`: 0, 1 when absent (then *buf stays NULL), negative code. */
static int bind(struct res_cursor *c, const char *name, char **buf, int *len, struct cp_error *err)
{
    *buf = cp_calloc(1, MDB_BIND_SIZE);
    if (!*buf)
        return cp_error_oom(err);
    if (mdb_bind_column_by_name(c->table, (gchar *)name, *buf, len) < 0) {
        cp_free(*buf);
        *buf = NULL;
        return 1;
    }
    return 0;
}

static int bind_data(struct res *r, struct cp_error *err)
{
    for (int f = 0; f < F_COUNT; f++) {
        int rc = bind(&r->data, res_fields[f].name, &r->data.buf[f], &r->data.len[f], err);
        if (rc < 0)
            return rc;
        if (rc == 1 && res_fields[f].required)
            return cp_error_set(err, CP_EDATA,
                                "%s: table " RES_DATA " has no column '%s': expected an Arbin "
                                ".res with Data_Point, Test_Time, Step_Index, Cycle_Index, "
                                "Current, Voltage, Charge_Capacity, Discharge_Capacity",
                                r->path, res_fields[f].name);
    }
    return 0;
}

/* Text of a bound cell -> number; "" is missing. -1 when it is not a number. */
static int to_num(const char *text, int len, double *out)
{
    if (!text || len <= 0) {
        *out = NAN;
        return 0;
    }
    char *end;
    *out = strtod(text, &end);
    while (*end == ' ')
        end++;
    return end == text || *end ? -1 : 0;
}

/* Out of range (or NaN) is missing, never a wrapped index. */
static int64_t to_index(double v)
{
    return v > -9e18 && v < 9e18 ? (int64_t)v : CP_I64_NA;
}

static int bad_value(const struct res *r, const char *table, long row, const char *col,
                     const char *text, struct cp_error *err)
{
    return cp_error_set(err, CP_EDATA, "%s: table %s row %ld: %s '%.40s' is not a number", r->path,
                        table, row, col, text);
}

/* The DateTime cell: an OLE date (days since 1899-12-30) or a date text. */
static double stamp_of(const char *text, int len)
{
    double d;
    if (to_num(text, len, &d) == 0)
        return isnan(d) ? NAN : (d - OLE_UNIX_DAYS) * 86400.0;
    int time_only = 0;
    return cp_parse_stamp(text, &d, &time_only) == 0 && !time_only ? d : NAN;
}

static int aux_next(struct res *r, struct cp_error *err)
{
    if (!mdb_fetch_row(r->aux.table)) {
        r->aux_point = NAN;
        return 0;
    }
    r->aux.row++;
    double *v[3] = {&r->aux_point, &r->aux_type, &r->aux_x};
    static const char *const names[3] = {"Data_Point", "Data_Type", "X"};
    for (int k = 0; k < 3; k++)
        if (to_num(r->aux_buf[k], r->aux_len[k], v[k]) < 0)
            return bad_value(r, RES_AUX, r->aux.row, names[k], r->aux_buf[k], err);
    return 0;
}

static int open_aux(struct res *r, struct cp_error *err)
{
    int rc = cursor_open(&r->aux, r->path, RES_AUX, err);
    if (rc != 0)
        return rc < 0 ? rc : 0; /* no aux table: no temperatures */
    static const char *const names[3] = {"Data_Point", "Data_Type", "X"};
    for (int k = 0; k < 3; k++) {
        rc = bind(&r->aux, names[k], &r->aux_buf[k], &r->aux_len[k], err);
        if (rc != 0)
            return rc < 0 ? rc
                          : cp_error_set(err, CP_EDATA, "%s: table " RES_AUX " has no column '%s'",
                                         r->path, names[k]);
    }
    r->has_aux = 1;
    return aux_next(r, err);
}

/* The temperature of data point dp from the aux rows (both tables run in Data_Point order). */
static int aux_temperature(struct res *r, double dp, double *temp, struct cp_error *err)
{
    *temp = NAN;
    while (r->has_aux && !isnan(r->aux_point) && r->aux_point <= dp) {
        if (r->aux_point == dp && r->aux_type == AUX_TEMPERATURE && isnan(*temp))
            *temp = r->aux_x;
        int rc = aux_next(r, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int row_to_point(struct res *r, struct cp_ts_point *p, struct cp_error *err)
{
    double x[F_COUNT];
    for (int f = 0; f < F_COUNT; f++) {
        if (f == F_DATE)
            continue;
        if (to_num(r->data.buf[f], r->data.len[f], &x[f]) < 0)
            return bad_value(r, RES_DATA, r->data.row, res_fields[f].name, r->data.buf[f], err);
    }
    cp_ts_point_clear(p);
    p->cycle = to_index(x[F_CYCLE]);
    p->step = to_index(x[F_STEP]);
    p->test_time_s = x[F_TIME];
    p->stamp = stamp_of(r->data.buf[F_DATE], r->data.len[F_DATE]);
    p->current_a = x[F_I];
    p->voltage_v = x[F_V];
    p->charge_ah = fabs(x[F_QC]);
    p->discharge_ah = fabs(x[F_QD]);
    p->charge_wh = fabs(x[F_EC]);
    p->discharge_wh = fabs(x[F_ED]);
    p->resistance_ohm = x[F_IR];
    return aux_temperature(r, x[F_POINT], &p->temperature_c, err);
}

static int read_rows(struct res *r, struct cp_reader_out *out, struct cp_ts *ts,
                     struct cp_error *err)
{
    struct cp_ts_point p;
    while (mdb_fetch_row(r->data.table)) {
        r->data.row++;
        int rc = row_to_point(r, &p, err);
        if (rc == 0) {
            out->rows_read++;
            rc = cp_ts_push(ts, &p, err);
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int res_series(struct res *r, struct cp_reader_out *out, const char *id,
                      struct cp_error *err)
{
    if (out->cells) {
        long row = cp_dataset_cell_row(out->cells, id);
        if (row < 0 || cp_cells_set(out->cells, row, "tester", "arbin") < 0)
            return cp_error_oom(err);
    }
    struct cp_ts *ts = cp_ts_new(id, out, NULL);
    if (!ts)
        return cp_error_oom(err);
    cp_ts_set_counting(ts, CP_TS_LARGEST);
    int rc = read_rows(r, out, ts, err);
    if (rc == 0)
        rc = cp_ts_finish(ts, err);
    cp_ts_free(ts);
    return rc;
}

static int res_tables(struct res *r, struct cp_error *err)
{
    struct res_cursor g = {0};
    int rc = cursor_open(&g, r->path, RES_GLOBAL, err);
    cursor_close(&g);
    if (rc == 0)
        rc = cursor_open(&r->data, r->path, RES_DATA, err);
    if (rc == 1)
        return cp_error_set(err, CP_EDATA,
                            "%s: MS Access file without the Arbin tables: expected "
                            "an Arbin .res with " RES_GLOBAL " and " RES_DATA,
                            r->path);
    if (rc == 0)
        rc = bind_data(r, err);
    if (rc == 0)
        rc = open_aux(r, err);
    return rc;
}

static int res_read(const char *path, struct cp_reader_out *out, struct cp_error *err)
{
    char head[32];
    long n = cp_read_head(path, head, sizeof(head));
    if (n < 0)
        return cp_error_set(err, CP_ENOINPUT, "cannot open '%s'", path);
    if (!is_jet(head, (size_t)n))
        return not_access(path, err);
    int rc = whole_pages(path, head, (size_t)n, err);
    if (rc < 0)
        return rc;
    struct res r = {.path = path, .aux_point = NAN};
    char *own = out->cell_id ? NULL : cp_reader_cell_id(path);
    rc = !out->cell_id && !own ? cp_error_oom(err) : res_tables(&r, err);
    if (rc == 0)
        rc = res_series(&r, out, out->cell_id ? out->cell_id : own, err);
    for (int f = 0; f < F_COUNT; f++)
        cp_free(r.data.buf[f]);
    for (int k = 0; k < 3; k++)
        cp_free(r.aux_buf[k]);
    cursor_close(&r.data);
    cursor_close(&r.aux);
    cp_free(own);
    return rc;
}

static int res_sniff(const char *path, const char *head, size_t len)
{
    (void)path;
    return is_jet(head, len) ? 90 : 0; /* any Access file: an error names what is missing */
}

static const char *const res_dialects[] = {"res (MS Access, Jet 4)", NULL};

const struct cp_reader_ops cp_reader_arbin_res = {
    .name = "arbin_res",
    .description = "Arbin .res (MITS Pro MS Access database), via mdbtools",
    .flags = CP_READER_BINARY,
    .dialects = res_dialects,
    .sniff = res_sniff,
    .read = res_read,
};
