/*
 * DOE Battery Data Hub (batterydata.energy.gov) CSV.
 *  - raw: Cycle_Index, Step, Time_s, Current_A, Voltage_V, Charge/Discharge_Capacity_Ah and
 *    _Energy_Wh (reset within the cycle), Cell_Temperature_C, Datenum_d (MATLAB datenum,
 *    days since year 0: Unix = (datenum - 719529) * 86400), "NaN" literals;
 *  - summary: one row per cycle (Cycle_Index, Cycle_Label, Q_chg, Q_dis, E_chg, E_dis,
 *    V_min/max, I_min/max, T_avg/max, tsecs_start/end ...), copied into cycles as they are.
 * See docs/readers.md.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/csv.h"
#include "cellpipe/dataset.h"
#include "cellpipe/error.h"
#include "cellpipe/tabread.h"
#include "cellpipe/textread.h"

static const struct cp_colmap bdh_raw_map[] = {
    {CP_V_CYCLE, "cycleindex", 1},
    {CP_V_STEP, "step", 1},
    {CP_V_TIME, "times", 1},
    {CP_V_STAMP, "datenumd", 1},
    {CP_V_CURRENT, "currenta", 1},
    {CP_V_VOLTAGE, "voltagev", 1},
    {CP_V_QC, "chargecapacityah", 1},
    {CP_V_QD, "dischargecapacityah", 1},
    {CP_V_EC, "chargeenergywh", 1},
    {CP_V_ED, "dischargeenergywh", 1},
    {CP_V_TEMP, "celltemperaturec", 1},
    {0, NULL, 0},
};

/* MATLAB datenum (days) -> Unix seconds. */
static int bdh_fixup(struct cp_tabread *tr, char **fields, int nf, struct cp_ts_point *p,
                     struct cp_error *err)
{
    (void)tr, (void)fields, (void)nf, (void)err;
    if (!isnan(p->stamp))
        p->stamp = (p->stamp - 719529.0) * 86400.0;
    return 0;
}

static const struct cp_tabspec bdh_raw_spec = {
    .format = "batterydatahub",
    .map = bdh_raw_map,
    .required =
        CP_BIT(CP_V_CYCLE) | CP_BIT(CP_V_TIME) | CP_BIT(CP_V_CURRENT) | CP_BIT(CP_V_VOLTAGE),
    .header_max_lines = 3,
    .fixup = bdh_fixup,
    .counting = CP_TS_LARGEST,
    .summary_sibling = {"-raw", "-summary"},
};

/* Summary column -> canonical cycles column (f64 unless named in the code). */
static const char *const summary_map[][2] = {
    {"Q_chg", "charge_capacity_ah"},
    {"Q_dis", "discharge_capacity_ah"},
    {"E_chg", "charge_energy_wh"},
    {"E_dis", "discharge_energy_wh"},
    {"V_min", "v_min"},
    {"V_max", "v_max"},
    {"I_min", "i_min"},
    {"I_max", "i_max"},
    {"T_avg", "temperature_avg_c"},
    {"T_max", "temperature_max_c"},
    {"tsecs_end", "test_time_s"},
    {"tsecs_cycle", "duration_s"},
    {"CE", "coulombic_efficiency_reported"},
};

#define NSUM (sizeof(summary_map) / sizeof(summary_map[0]))

struct summary {
    int cycle, label;
    int col[NSUM];
    int out[NSUM];
    int need;
    int cid, cix, clabel;
};

static int summary_header(struct summary *s, const struct cp_csv *c, struct cp_table *t,
                          struct cp_reader_out *out)
{
    s->cycle = cp_csv_field_index(c, "Cycle_Index");
    s->label = cp_csv_field_index(c, "Cycle_Label");
    s->need = s->cycle + 1;
    s->cid = cp_table_add_column(t, "cell_id", CP_STR);
    s->cix = cp_table_add_column(t, "cycle_index", CP_I64);
    s->clabel = cp_table_add_column(t, "cycle_label", CP_STR);
    if (s->cid < 0 || s->cix < 0 || s->clabel < 0)
        return -1;
    for (size_t k = 0; k < NSUM; k++) {
        s->col[k] = cp_csv_field_index(c, summary_map[k][0]);
        if (s->col[k] < 0)
            continue;
        s->out[k] = cp_table_add_column(t, summary_map[k][1], CP_F64);
        if (s->out[k] < 0 ||
            cp_reader_note_column(out, c->fields[s->col[k]], summary_map[k][1], 1) < 0)
            return -1;
        if (s->col[k] + 1 > s->need)
            s->need = s->col[k] + 1;
    }
    return 0;
}

static int summary_row(struct summary *s, const char *path, const struct cp_csv *c,
                       struct cp_reader_out *out, const char *id, struct cp_error *err)
{
    char **f = c->fields;
    if ((int)c->nfields < s->need)
        return cp_error_set(err, CP_EDATA, "%s:%ld: expected %d fields, got %zu", path, c->lineno,
                            s->need, c->nfields);
    double x;
    if (cp_csv_number(f[s->cycle], &x) != 0)
        return cp_error_set(err, CP_EDATA,
                            "%s:%ld: Cycle_Index: expected a number, got "
                            "'%.40s'",
                            path, c->lineno, f[s->cycle]);
    struct cp_table *t = out->cycles;
    long row = cp_table_add_row(t);
    if (row < 0 || cp_table_set_str(t, s->cid, (size_t)row, id))
        return cp_error_oom(err);
    cp_table_set_i64(t, s->cix, (size_t)row, (int64_t)llround(x));
    if (s->label >= 0 && s->label < (int)c->nfields && f[s->label][0] &&
        cp_table_set_str(t, s->clabel, (size_t)row, f[s->label]) < 0)
        return cp_error_oom(err);
    for (size_t k = 0; k < NSUM; k++) {
        if (s->col[k] < 0)
            continue;
        int rc = cp_parse_num(f[s->col[k]], &x);
        if (rc < 0)
            return cp_error_set(err, CP_EDATA, "%s:%ld: %s: expected a number, got '%.40s'", path,
                                c->lineno, summary_map[k][0], f[s->col[k]]);
        cp_table_set_f64(t, s->out[k], (size_t)row, rc == 0 ? x : NAN);
    }
    out->rows_read++;
    return 0;
}

/* A plain CSV with one header line: the shared CSV reader (include/cellpipe/csv.h). */
static int read_summary(const char *path, struct cp_reader_out *out, const char *id,
                        struct cp_error *err)
{
    struct cp_csv c;
    struct summary s;
    if (cp_csv_open(&c, path, ',') < 0)
        return cp_error_errno(err, CP_ENOINPUT, "cannot open '%s'", path);
    int rc = cp_csv_next(&c);
    if (rc == 0)
        rc = cp_error_set(err, CP_EDATA, "%s:1: empty file: expected a header", path);
    else if (rc < 0 && errno == ENOMEM)
        rc = cp_error_oom(err);
    else if (rc < 0 || cp_csv_field_index(&c, "Cycle_Index") < 0)
        rc = cp_error_set(err, CP_EDATA, "%s:1: expected a header with Cycle_Index", path);
    else if (cp_header_duplicate(c.fields, c.nfields))
        rc = cp_error_set(err, CP_EDATA, "%s:1: duplicate column '%s'", path,
                          cp_header_duplicate(c.fields, c.nfields));
    if (rc < 0)
        goto cleanup;
    if (summary_header(&s, &c, out->cycles, out) < 0 ||
        (out->cells && (cp_dataset_cell_row(out->cells, id) < 0 ||
                        cp_cells_set(out->cells, cp_dataset_cell_row(out->cells, id), "tester",
                                     "batterydatahub") < 0))) {
        rc = cp_error_oom(err);
        goto cleanup;
    }
    while ((rc = cp_csv_next(&c)) > 0) {
        if (c.nfields == 1 && c.fields[0][0] == '\0')
            continue;
        rc = summary_row(&s, path, &c, out, id, err);
        if (rc < 0)
            break;
    }
    if (rc == -1 && err->code == 0 && errno == ENOMEM)
        rc = cp_error_oom(err);
    else if (rc == -1 && err->code == 0) /* the CSV reader: an unterminated quote at the end */
        rc = cp_error_set(err, CP_EDATA, "%s:%ld: truncated row: unterminated quote", path,
                          c.lineno);
cleanup:
    cp_csv_close(&c);
    return rc < 0 ? rc : 0;
}

static int is_summary(const char *head, size_t len)
{
    return cp_head_starts(head, len, "Cycle_Index,Cycle_Label,") &&
           cp_head_contains(head, len, ",Q_chg,");
}

static int bdh_sniff(const char *path, const char *head, size_t len)
{
    (void)path;
    if (is_summary(head, len))
        return 90;
    if (cp_head_starts(head, len, "Cycle_Index,Step,Time_s,"))
        return 90;
    return 0;
}

static int bdh_read(const char *path, struct cp_reader_out *out, struct cp_error *err)
{
    char head[512];
    long n = cp_read_head(path, head, sizeof(head));
    if (n < 0)
        return cp_error_set(err, CP_ENOINPUT, "cannot open '%s'", path);
    if (is_summary(head, (size_t)n)) {
        char *own = out->cell_id ? NULL : cp_reader_cell_id(path);
        if (!out->cell_id && !own)
            return cp_error_oom(err);
        int rc = read_summary(path, out, out->cell_id ? out->cell_id : own, err);
        cp_free(own);
        return rc;
    }
    return cp_tabread_run(&bdh_raw_spec, path, out, err);
}

const struct cp_reader_ops cp_reader_batterydatahub = {
    .name = "batterydatahub",
    .description = "DOE Battery Data Hub raw and per-cycle summary CSV",
    .sniff = bdh_sniff,
    .read = bdh_read,
};
