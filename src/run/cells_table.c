/* The per-cell results as one table: see include/cellpipe/cells_table.h. */
#include <math.h>
#include <stdio.h>

#include "cellpipe/cells_table.h"
#include "cellpipe/ml_tables.h"
#include "cellpipe/run.h"
#include "cellpipe/table.h"

static const char *const method_names[] = {"", "observed", "per_cell", "fleet"};

void cp_cells_flag_text(const struct cp_cell_result *r, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < r->nflags && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s%s: %s", i ? "; " : "", r->flags[i].kind,
                                 r->flags[i].reason);
}

struct rcol {
    const char *name;
    enum cp_type type;
};

static const struct rcol result_cols[] = {
    {"n_cycles", CP_I64},     {"first_cycle", CP_I64},    {"last_cycle", CP_I64},
    {"reference_ah", CP_F64}, {"last_retention", CP_F64}, {"cycles_to_90", CP_I64},
    {"cycles_to_80", CP_I64}, {"ce_mean", CP_F64},        {"ce_last_n", CP_F64},
    {"fade_rate", CP_F64},    {"efc_total", CP_F64},      {"days_on_test", CP_F64},
    {"best_model", CP_STR},   {"fit_p0", CP_F64},         {"fit_p1", CP_F64},
    {"fit_p2", CP_F64},       {"fit_p3", CP_F64},         {"fit_rmse", CP_F64},
    {"fit_aicc", CP_F64},     {"eol_observed", CP_I64},   {"eol_forecast", CP_F64},
    {"eol_lo", CP_F64},       {"eol_hi", CP_F64},         {"eol_method", CP_STR},
    {"eol_capped", CP_I64},   {"knee_onset", CP_F64},     {"knee_point", CP_F64},
    {"n_flags", CP_I64},      {"flags", CP_STR},
};
#define NRESULT (sizeof(result_cols) / sizeof(result_cols[0]))

static void set_i(struct cp_table *t, int c, size_t row, long v)
{
    if (v >= 0)
        cp_table_set_i64(t, c, row, v);
}

static int fill_row(struct cp_table *t, const int *col, size_t row, const struct cp_cell_result *r)
{
    const struct cp_fit *best = r->best_model >= 0 ? &r->fits[r->best_model] : NULL;
    double f64[] = {r->reference_ah, r->last_retention, r->ce_mean,     r->ce_last_n,
                    r->fade_rate,    r->efc_total,      r->days_on_test};
    set_i(t, col[0], row, r->n_cycles);
    set_i(t, col[1], row, r->first_cycle);
    set_i(t, col[2], row, r->last_cycle);
    cp_table_set_f64(t, col[3], row, f64[0]);
    cp_table_set_f64(t, col[4], row, f64[1]);
    set_i(t, col[5], row, r->cycles_to_90);
    set_i(t, col[6], row, r->cycles_to_80);
    for (int k = 0; k < 5; k++)
        cp_table_set_f64(t, col[7 + k], row, f64[2 + k]);
    if (best && cp_table_set_str(t, col[12], row, cp_model_name((enum cp_model)r->best_model)) < 0)
        return -1;
    for (int k = 0; k < 4; k++)
        cp_table_set_f64(t, col[13 + k], row, best && k < best->np ? best->p[k] : NAN);
    cp_table_set_f64(t, col[17], row, best ? best->rmse : NAN);
    cp_table_set_f64(t, col[18], row, best ? best->aicc : NAN);
    set_i(t, col[19], row, r->eol_observed);
    cp_table_set_f64(t, col[20], row, r->eol_forecast);
    cp_table_set_f64(t, col[21], row, r->eol_lo);
    cp_table_set_f64(t, col[22], row, r->eol_hi);
    if (r->eol_method != CP_EOL_NONE &&
        cp_table_set_str(t, col[23], row, method_names[r->eol_method]) < 0)
        return -1;
    cp_table_set_i64(t, col[24], row, r->eol_capped);
    cp_table_set_f64(t, col[25], row, r->knee_onset);
    cp_table_set_f64(t, col[26], row, r->knee_point);
    cp_table_set_i64(t, col[27], row, r->nflags);
    char flags[CP_MAX_FLAGS * 150];
    cp_cells_flag_text(r, flags, sizeof(flags));
    return flags[0] ? cp_table_set_str(t, col[28], row, flags) : 0;
}

struct cp_table *cp_cells_table(const struct cp_run *run)
{
    struct cp_table *t = cp_table_new("cells_results");
    int col[NRESULT];
    if (!t)
        return NULL;
    for (size_t r = 0; r < run->nresults; r++)
        if (cp_table_copy_row(t, run->data.cells, (size_t)run->results[r].cells_row) < 0)
            goto fail;
    for (size_t c = 0; c < NRESULT; c++)
        if ((col[c] = cp_table_add_column(t, result_cols[c].name, result_cols[c].type)) < 0)
            goto fail;
    for (size_t r = 0; r < run->nresults; r++)
        if (fill_row(t, col, r, &run->results[r]) < 0)
            goto fail;
    if (cp_ml_add_cell_columns(run, t) < 0)
        goto fail;
    return t;
fail:
    cp_table_free(t);
    return NULL;
}
