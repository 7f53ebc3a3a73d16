/*
 * Battery Archive per-cycle files (`<cell>_cycle_data.csv`), as batteryarchive.org publishes
 * them and as `cellpipe sample` writes them. Column mapping (units already canonical):
 *   Cycle_Index -> cycle_index (written "1.0": must be a whole number)
 *   Test_Time (s) -> test_time_s          Start_Time -> start_time (ISO date-time)
 *   Min_Current (A) / Max_Current (A) -> i_min / i_max
 *   Min_Voltage (V) / Max_Voltage (V) -> v_min / v_max
 *   Charge_Capacity (Ah), Discharge_Capacity (Ah) -> charge_/discharge_capacity_ah
 *   Charge_Energy (Wh), Discharge_Energy (Wh) -> charge_/discharge_energy_wh
 * Any header equal to a canonical cycles column name maps to it directly (the sample lab
 * writes temperature_avg_c, v_charge_mean, ... that way). Other columns are ignored.
 * The cell id is the file name without `_cycle_data.csv`.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/csv.h"
#include "cellpipe/error.h"
#include "cellpipe/reader.h"
#include "cellpipe/source.h"
#include "cellpipe/tabread.h"
#include "cellpipe/timeutil.h"

static const struct {
    const char *header;
    const char *column;
} ba_map[] = {
    {"Cycle_Index", "cycle_index"},
    {"Test_Time (s)", "test_time_s"},
    {"Start_Time", "start_time"},
    {"Min_Current (A)", "i_min"},
    {"Max_Current (A)", "i_max"},
    {"Min_Voltage (V)", "v_min"},
    {"Max_Voltage (V)", "v_max"},
    {"Charge_Capacity (Ah)", "charge_capacity_ah"},
    {"Discharge_Capacity (Ah)", "discharge_capacity_ah"},
    {"Charge_Energy (Wh)", "charge_energy_wh"},
    {"Discharge_Energy (Wh)", "discharge_energy_wh"},
};

static int sniff(const char *path, const char *head, size_t len)
{
    (void)len;
    const char *nl = strchr(head, '\n');
    size_t n = nl ? (size_t)(nl - head) : strlen(head);
    int has_cycle = strstr(head, "Cycle_Index") && (size_t)(strstr(head, "Cycle_Index") - head) < n;
    const char *dq = strstr(head, "Discharge_Capacity (Ah)");
    if (!has_cycle || !dq || (size_t)(dq - head) > n)
        return 0;
    /* the time-series file of the same archive also has these columns: it has Current (A) */
    const char *cur = strstr(head, ",Current (A)");
    if (cur && (size_t)(cur - head) < n)
        return 0;
    return strstr(path, "_cycle_data") ? 90 : 60;
}

static char *cell_id_of(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *end = strstr(base, "_cycle_data");
    if (!end)
        end = strrchr(base, '.');
    return cp_strndup(base, end ? (size_t)(end - base) : strlen(base));
}

/* Map the header to table columns: col[i] = table column of field i, or -1. */
static int map_header(const struct cp_csv *r, struct cp_table *t, int *col, int *cycle_field)
{
    *cycle_field = -1;
    for (size_t i = 0; i < r->nfields; i++) {
        const char *name = NULL;
        for (size_t k = 0; k < sizeof(ba_map) / sizeof(ba_map[0]); k++)
            if (strcmp(r->fields[i], ba_map[k].header) == 0)
                name = ba_map[k].column;
        for (size_t k = 0; !name && cp_cycles_columns[k].name; k++)
            if (strcmp(r->fields[i], cp_cycles_columns[k].name) == 0)
                name = cp_cycles_columns[k].name;
        col[i] = name && strcmp(name, "cell_id") != 0 ? cp_table_find(t, name) : -1;
        if (name && strcmp(name, "cycle_index") == 0)
            *cycle_field = (int)i;
    }
    return 0;
}

static int set_field(struct cp_table *t, int col, size_t row, const char *text, const char *path,
                     long line, struct cp_error *err)
{
    const struct cp_column *c = &t->cols[col];
    double v;
    if (!*text)
        return 0;
    if (c->type == CP_TIME) {
        int64_t ts;
        if (cp_parse_datetime(text, &ts) < 0)
            return cp_error_set(err, CP_EDATA, "%s:%ld: expected a date-time for '%s', got '%s'",
                                path, line, c->name, text);
        cp_table_set_i64(t, col, row, ts);
        return 0;
    }
    if (cp_csv_number(text, &v) < 0)
        return cp_error_set(err, CP_EDATA, "%s:%ld: expected a number for '%s', got '%s'", path,
                            line, c->name, text);
    if (c->type == CP_I64) {
        if (v != floor(v))
            return cp_error_set(err, CP_EDATA, "%s:%ld: expected a whole number for '%s', got '%s'",
                                path, line, c->name, text);
        if (fabs(v) > 9e15)
            return cp_error_set(err, CP_EDATA,
                                "%s:%ld: expected a whole number from -9e15 to 9e15 for '%s', "
                                "got '%s'",
                                path, line, c->name, text);
        cp_table_set_i64(t, col, row, (int64_t)v);
    } else {
        cp_table_set_f64(t, col, row, v);
    }
    return 0;
}

static int read_rows(struct cp_csv *r, const char *path, const char *cell, const int *col,
                     size_t ncol, struct cp_reader_out *out, struct cp_error *err)
{
    struct cp_table *t = out->cycles;
    int idcol = cp_table_add_column(t, "cell_id", CP_STR); /* an inspect table may lack it */
    int rc;
    if (idcol < 0)
        return cp_error_oom(err);
    while ((rc = cp_csv_next(r)) == 1) {
        if (r->nfields == 1 && r->fields[0][0] == '\0')
            continue; /* blank line */
        if (r->nfields != ncol)
            return cp_error_set(err, CP_EDATA, "%s:%ld: expected %zu fields, got %zu", path,
                                r->lineno, ncol, r->nfields);
        long row = cp_table_add_row(t);
        if (row < 0 || cp_table_set_str(t, idcol, (size_t)row, cell) < 0)
            return cp_error_oom(err);
        for (size_t i = 0; i < ncol; i++)
            if (col[i] >= 0 &&
                (rc = set_field(t, col[i], (size_t)row, r->fields[i], path, r->lineno, err)) < 0)
                return rc;
        out->rows_read++;
    }
    if (rc < 0 && errno == ENOMEM)
        return cp_error_oom(err);
    if (rc < 0)
        return cp_error_set(err, CP_EDATA, "%s:%ld: %s", path, r->lineno,
                            errno == EILSEQ ? "unterminated quoted field (truncated file?)"
                                            : strerror(errno));
    return 0;
}

static int add_cell(struct cp_reader_out *out, const char *cell, struct cp_error *err)
{
    long row = cp_table_add_row(out->cells);
    if (row < 0 ||
        cp_table_set_str(out->cells, cp_table_find(out->cells, "cell_id"), (size_t)row, cell) < 0)
        return cp_error_oom(err);
    return 0;
}

static int ba_read(const char *path, struct cp_reader_out *out, struct cp_error *err)
{
    struct cp_csv r;
    int *col = NULL, rc, cycle_field;
    char *cell = NULL;
    if (cp_csv_open(&r, path, ',') < 0)
        return cp_error_set(err, errno == ENOENT ? CP_ENOINPUT : CP_EDATA, "cannot open '%s': %s",
                            path, strerror(errno));
    rc = cp_csv_next(&r);
    if (rc != 1) {
        rc = rc < 0 && errno == ENOMEM
                 ? cp_error_oom(err)
                 : cp_error_set(err, CP_EDATA, "%s:1: expected a header line", path);
        goto cleanup;
    }
    cell = out->cell_id ? cp_strdup(out->cell_id) : cell_id_of(path);
    col = cp_calloc(r.nfields, sizeof(*col));
    if (!cell || !col) {
        rc = cp_error_oom(err);
        goto cleanup;
    }
    /* a header naming a column twice would let the last one silently win */
    const char *dup = cp_header_duplicate(r.fields, r.nfields);
    if (dup) {
        rc = cp_error_set(err, CP_EDATA, "%s:1: duplicate column '%s'", path, dup);
        goto cleanup;
    }
    map_header(&r, out->cycles, col, &cycle_field);
    int dq_col = cp_table_find(out->cycles, "discharge_capacity_ah"), dq = 0;
    for (size_t i = 0; i < r.nfields; i++)
        dq |= col[i] == dq_col;
    if (cycle_field < 0 || !dq) {
        rc = cp_error_set(err, CP_EDATA,
                          "%s:1: expected columns 'Cycle_Index' and 'Discharge_Capacity (Ah)'",
                          path);
        goto cleanup;
    }
    size_t ncol = r.nfields;
    rc = read_rows(&r, path, cell, col, ncol, out, err);
    if (rc == 0)
        rc = add_cell(out, cell, err);
cleanup:
    cp_free(col);
    cp_free(cell);
    cp_csv_close(&r);
    return rc;
}

const struct cp_reader_ops cp_reader_batteryarchive = {
    .name = "batteryarchive",
    .description = "Battery Archive per-cycle CSV (<cell>_cycle_data.csv)",
    .sniff = sniff,
    .read = ba_read,
};
