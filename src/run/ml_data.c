/*
 * The ml stage's inputs per cell (include/cellpipe/ml_run.h): the feature values of a model,
 * from the early-life catalogue (analytics/ml_features.c) or from a numeric column of the
 * cells, and the observed target. A cell whose feature is missing gets a note and no row,
 * never an imputed value.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/config.h"
#include "cellpipe/error.h"
#include "cellpipe/ml_run.h"
#include "cellpipe/run.h"
#include "cellpipe/table.h"
#include "ml_run_internal.h"

/* Where feature j comes from: catalogue column (>= 0) or cells column. */
struct source_col {
    int catalogue; /* index into F.names, or -1 */
    int cells_col; /* column of the cells table, or -1 */
};

static int find_catalogue(const struct cp_ml_features *F, const char *name)
{
    for (size_t k = 0; k < F->p; k++)
        if (strcmp(F->names[k], name) == 0)
            return (int)k;
    return -1;
}

/* A name of the catalogue that this data set cannot compute (no charge capacity, ...). */
static int catalogue_name(const char *name)
{
    static const char *const all[] = {
        "qd_2",        "qd_max_minus_qd_2", "qd_slope_last10", "qd_intercept_last10",
        "qd_fade_rel", "ce_mean",           "ce_sd",           "temperature_mean_c",
        "ir_2",        "ir_change"};
    for (size_t k = 0; k < sizeof(all) / sizeof(all[0]); k++)
        if (strcmp(all[k], name) == 0)
            return 1;
    return 0;
}

static int bad_feature(const struct cp_run *run, const struct cp_model_config *m, const char *name,
                       const char *why, struct cp_error *err)
{
    return cp_error_set(err, CP_ECONFIG, "%s:%d: model '%s': feature '%s' %s", run->cfg->path,
                        m->line, m->name, name, why);
}

static int resolve_features(const struct cp_run *run, const struct cp_model_config *m,
                            const struct cp_ml_features *F, char *const *names, size_t p,
                            struct source_col *src, struct cp_error *err)
{
    const struct cp_table *cells = run->data.cells;
    for (size_t j = 0; j < p; j++) {
        src[j].catalogue = find_catalogue(F, names[j]);
        src[j].cells_col = src[j].catalogue < 0 ? cp_table_find(cells, names[j]) : -1;
        if (src[j].catalogue >= 0)
            continue;
        if (catalogue_name(names[j]))
            return bad_feature(run, m, names[j],
                               "needs a column this data does not have (docs/ml.md)", err);
        if (src[j].cells_col < 0)
            return bad_feature(run, m, names[j],
                               "is neither in the feature catalogue (docs/ml.md) nor a column of "
                               "the cells",
                               err);
        if (cells->cols[src[j].cells_col].type == CP_STR)
            return bad_feature(run, m, names[j],
                               "is a text column of the cells: list it in "
                               "source.numeric_columns to read it as numbers",
                               err);
    }
    return 0;
}

/* The catalogue row of a cell id (F.cell_id follows the sorted cycles groups). */
static long catalogue_row(const struct cp_ml_features *F, const char *id)
{
    size_t lo = 0, hi = F->ncells;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(F->cell_id[mid], id);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static int set_note(struct cp_ml_result *r, size_t i, const char *text)
{
    return (r->note[i] = cp_strdup(text)) ? 0 : -1;
}

/* Row i of r->x, or a note saying why the cell has none. */
static int cell_row(struct cp_ml_result *r, size_t i, const char *id,
                    const struct cp_ml_features *F, const struct cp_table *cells,
                    const struct source_col *src, char *const *names)
{
    size_t p = r->model.p;
    long k = id ? catalogue_row(F, id) : -1;
    if (k < 0)
        return set_note(r, i, "no cycles");
    if (F->left_out[k] && strncmp(F->left_out[k], "only ", 5) == 0)
        return set_note(r, i, F->left_out[k]);
    double *x = cp_malloc(p * sizeof(*x));
    if (!x)
        return -1;
    for (size_t j = 0; j < p; j++) {
        x[j] = src[j].catalogue >= 0 ? F->X[(size_t)k * F->p + (size_t)src[j].catalogue]
                                     : cp_table_get_num(cells, src[j].cells_col, i);
        if (!isfinite(x[j])) {
            char buf[256];
            snprintf(buf, sizeof buf, "no value of feature '%s'", names[j]);
            cp_free(x);
            return set_note(r, i, buf);
        }
    }
    r->x[i] = x;
    return 0;
}

/* Observed target of every cell: cycle life (regression), or the rule's label. */
static int observe(struct cp_ml_result *r, const struct cp_run *run)
{
    const struct cp_table *cells = run->data.cells;
    struct cp_model_rule rule = {.op = CP_OP_NONE};
    int regression = strcmp(r->model.task, "regression") == 0;
    if (!regression && cp_model_rule_parse(r->model.target, &rule) < 0)
        return -2;
    int col = regression || strcmp(rule.column, "cycle_life") == 0
                  ? -1
                  : cp_table_find(cells, rule.column);
    if (!regression && strcmp(rule.column, "cycle_life") != 0 && col < 0)
        return -3;
    for (size_t i = 0; i < r->ncells; i++) {
        double life = run->results[i].eol_observed > 0 ? (double)run->results[i].eol_observed : NAN;
        double v = col >= 0 ? cp_table_get_num(cells, col, i) : life;
        if (regression || isnan(v))
            r->observed[i] = v;
        else if (rule.op == CP_OP_NONE && v != 0 && v != 1)
            r->observed[i] = NAN; /* a bare column must hold 0/1 */
        else
            r->observed[i] = cp_model_rule_holds(&rule, v);
    }
    return 0;
}

int ml_cells_prepare(struct cp_ml_result *r, const struct cp_run *run, struct cp_error *err)
{
    const struct cp_model_config *m = r->cfg;
    size_t n = run->data.cells->nrows;
    r->ncells = n;
    r->x = cp_calloc(n + 1, sizeof(*r->x));
    r->observed = cp_calloc(n + 1, sizeof(double));
    r->note = cp_calloc(n + 1, sizeof(char *));
    r->in_train = cp_calloc(n + 1, sizeof(int));
    struct source_col *src = cp_calloc(r->model.p + 1, sizeof(*src));
    struct cp_ml_features F;
    struct cp_ml_features_config fc = {r->model.early_cycles};
    int rc = !r->x || !r->observed || !r->note || !r->in_train || !src ? cp_error_oom(err) : 0;
    if (rc == 0)
        rc = cp_ml_features_compute(run->data.cycles, &fc, &F, err);
    else
        F = (struct cp_ml_features){0};
    if (rc == 0)
        rc = resolve_features(run, m, &F, r->model.features, r->model.p, src, err);
    char **id = cp_table_str(run->data.cells, "cell_id");
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (cell_row(r, i, id ? id[i] : NULL, &F, run->data.cells, src, r->model.features) < 0)
            rc = cp_error_oom(err);
    int orc = rc == 0 ? observe(r, run) : 0;
    if (orc == -2 || orc == -3)
        rc = cp_error_set(err, CP_ECONFIG, "%s:%d: model '%s': target '%s' %s", run->cfg->path,
                          m->line, m->name, r->model.target,
                          orc == -2 ? "is not a rule" : "names no column of the cells");
    cp_ml_features_release(&F);
    cp_free(src);
    return rc;
}

int ml_catalogue_names(const struct cp_run *run, long early_cycles, char ***names, size_t *p,
                       struct cp_error *err)
{
    struct cp_ml_features F;
    struct cp_ml_features_config fc = {early_cycles};
    int rc = cp_ml_features_compute(run->data.cycles, &fc, &F, err);
    if (rc < 0)
        return rc;
    *p = F.p;
    *names = cp_calloc(F.p + 1, sizeof(char *));
    for (size_t j = 0; *names && j < F.p; j++)
        if (!((*names)[j] = cp_strdup(F.names[j])))
            rc = -1;
    cp_ml_features_release(&F);
    return !*names || rc < 0 ? cp_error_oom(err) : 0;
}
