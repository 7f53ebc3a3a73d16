/* The dataset and its canonical columns: see include/cellpipe/dataset.h. */
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/dataset.h"

const struct cp_colspec cp_cells_columns[] = {
    {"cell_id", CP_STR},
    {"design_name", CP_STR},
    {"experiment_group", CP_STR},
    {"layer_types", CP_STR},
    {"test_status", CP_STR},
    {"start_date", CP_TIME},
    {"year", CP_I64},
    {"nominal_capacity_ah", CP_F64},
    {"chemistry", CP_STR},
    {"form_factor", CP_STR},
    {"tester", CP_STR},
    {"channel", CP_STR},
    {NULL, CP_F64},
};

const struct cp_colspec cp_cycles_columns[] = {
    {"cell_id", CP_STR},
    {"cycle_index", CP_I64},
    {"test_time_s", CP_F64},
    {"start_time", CP_TIME},
    {"charge_capacity_ah", CP_F64},
    {"discharge_capacity_ah", CP_F64},
    {"charge_energy_wh", CP_F64},
    {"discharge_energy_wh", CP_F64},
    {"v_max", CP_F64},
    {"v_min", CP_F64},
    {"i_max", CP_F64},
    {"i_min", CP_F64},
    {"v_charge_mean", CP_F64},
    {"v_discharge_mean", CP_F64},
    {"temperature_avg_c", CP_F64},
    {"temperature_max_c", CP_F64},
    {"internal_resistance_ohm", CP_F64},
    {NULL, CP_F64},
};

const char *const cp_feature_columns[CP_FEATURE_COLUMNS + 1] = {
    "coulombic_efficiency",
    "energy_efficiency",
    "capacity_retention",
    "temperature_compensated_capacity",
    "fade_rate",
    "cycle_fraction",
    "days_since_start",
    "equivalent_full_cycles",
    NULL,
};

static int window_column(const char *name)
{
    const char *p = strncmp(name, "retention_mean_", 15) == 0  ? name + 15
                    : strncmp(name, "retention_std_", 14) == 0 ? name + 14
                                                               : NULL;
    if (!p || !*p)
        return 0;
    for (; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    return 1;
}

int cp_cycles_column_known(const char *name)
{
    for (size_t i = 0; cp_cycles_columns[i].name; i++)
        if (strcmp(name, cp_cycles_columns[i].name) == 0)
            return 1;
    for (size_t i = 0; cp_feature_columns[i]; i++)
        if (strcmp(name, cp_feature_columns[i]) == 0)
            return 1;
    return strcmp(name, "anomaly") == 0 || window_column(name); /* the models stage's */
}

int cp_add_canonical_columns(struct cp_table *t, const struct cp_colspec *spec)
{
    for (size_t i = 0; spec[i].name; i++)
        if (cp_table_add_column(t, spec[i].name, spec[i].type) < 0)
            return -1;
    return 0;
}

int cp_dataset_init(struct cp_dataset *ds, struct cp_error *err)
{
    memset(ds, 0, sizeof(*ds));
    ds->cells = cp_table_new("cells");
    ds->cycles = cp_table_new("cycles");
    ds->curves = cp_table_new("curves");
    if (!ds->cells || !ds->cycles || !ds->curves ||
        cp_add_canonical_columns(ds->cells, cp_cells_columns) < 0 ||
        cp_add_canonical_columns(ds->cycles, cp_cycles_columns) < 0) {
        cp_dataset_release(ds);
        return cp_error_oom(err);
    }
    return 0;
}

void cp_dataset_release(struct cp_dataset *ds)
{
    cp_table_free(ds->cells);
    cp_table_free(ds->cycles);
    cp_table_free(ds->curves);
    for (size_t i = 0; i < ds->ninputs; i++) {
        cp_free(ds->inputs[i].name);
        cp_free(ds->inputs[i].sha256);
        cp_free(ds->inputs[i].format);
    }
    cp_free(ds->inputs);
    for (size_t i = 0; i < ds->nskipped; i++) {
        cp_free(ds->skipped[i].name);
        cp_free(ds->skipped[i].reason);
    }
    cp_free(ds->skipped);
    memset(ds, 0, sizeof(*ds));
}

int cp_dataset_add_input(struct cp_dataset *ds, const char *name, const char *sha256,
                         long long bytes, const char *format, long long rows, struct cp_error *err)
{
    if (cp_grow((void **)&ds->inputs, &ds->inputcap, ds->ninputs + 1, sizeof(*ds->inputs)) < 0)
        return cp_error_oom(err);
    struct cp_input *in = &ds->inputs[ds->ninputs];
    memset(in, 0, sizeof(*in));
    in->name = cp_strdup(name);
    in->sha256 = cp_strdup(sha256 ? sha256 : "");
    in->format = cp_strdup(format ? format : "");
    in->bytes = bytes;
    in->rows = rows;
    ds->ninputs++;
    if (!in->name || !in->sha256 || !in->format)
        return cp_error_oom(err);
    return 0;
}

int cp_dataset_add_skipped(struct cp_dataset *ds, const char *name, const char *reason,
                           struct cp_error *err)
{
    if (cp_grow((void **)&ds->skipped, &ds->skippedcap, ds->nskipped + 1, sizeof(*ds->skipped)) < 0)
        return cp_error_oom(err);
    struct cp_skipped *s = &ds->skipped[ds->nskipped++];
    s->name = cp_strdup(name);
    s->reason = cp_strdup(reason);
    if (!s->name || !s->reason)
        return cp_error_oom(err);
    return 0;
}

long cp_dataset_cell_row(struct cp_table *cells, const char *cell_id)
{
    int col = cp_table_add_column(cells, "cell_id", CP_STR);
    if (col < 0)
        return -1;
    char **ids = cells->cols[col].v.str;
    for (size_t r = 0; r < cells->nrows; r++)
        if (ids[r] && strcmp(ids[r], cell_id) == 0)
            return (long)r;
    long row = cp_table_add_row(cells);
    if (row < 0 || cp_table_set_str(cells, col, (size_t)row, cell_id) < 0)
        return -1;
    return row;
}
