/* The validate stage: see include/cellpipe/validate.h for the rules. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/features.h"
#include "cellpipe/log.h"
#include "cellpipe/dataset.h"
#include "cellpipe/robust.h"
#include "cellpipe/validate.h"

static const char *const rule_names[] = {"required", "range",   "monotonic", "duplicates",
                                         "nan",      "outlier", "gaps"};
static const char *const policy_names[] = {"fail", "quarantine", "warn"};

/* One rule's verdict: hit[row] = 1, reason text for the first few. */
struct verdict {
    unsigned char *hit;
    struct cp_rule_result *res;
    char reason[160]; /* reason of the latest hit */
};

static void note_hit(struct verdict *v, const struct cp_table *t, size_t row)
{
    char **id = cp_table_str(t, "cell_id");
    int64_t *cyc = cp_table_i64(t, "cycle_index");
    v->hit[row] = 1;
    v->res->hits++;
    size_t len = strlen(v->res->examples);
    if (v->res->hits <= 5 && len < sizeof(v->res->examples) - 40)
        snprintf(v->res->examples + len, sizeof(v->res->examples) - len, "%s%s:%lld",
                 len ? ", " : "", id[row] ? id[row] : "?", (long long)cyc[row]);
}

static void check_value_rule(const struct cp_rule_config *r, const struct cp_table *t, int col,
                             struct verdict *v)
{
    for (size_t i = 0; i < t->nrows; i++) {
        v->res->checked++;
        int na = col < 0 || cp_table_is_na(t, col, i);
        double x = na ? NAN : cp_table_get_num(t, col, i);
        int hit = 0;
        if (r->kind == CP_RULE_REQUIRED)
            hit = na;
        else if (r->kind == CP_RULE_NAN)
            hit = !isfinite(x) && (col < 0 || t->cols[col].type != CP_STR);
        else if (r->kind == CP_RULE_RANGE)
            hit = !isnan(x) && ((!isnan(r->min) && x < r->min) || (!isnan(r->max) && x > r->max));
        if (hit)
            note_hit(v, t, i);
    }
}

static void check_sequence_rule(const struct cp_rule_config *r, const struct cp_table *t, int col,
                                struct verdict *v)
{
    int64_t *cyc = cp_table_i64(t, "cycle_index");
    for (size_t g = 0; g < t->ngroups; g++) {
        size_t a = t->group_start[g], b = t->group_start[g + 1];
        double prev = NAN;
        for (size_t i = a; i < b; i++) {
            v->res->checked++;
            int hit = 0;
            if (r->kind == CP_RULE_DUPLICATES)
                hit = i > a && cyc[i] == cyc[i - 1];
            else if (r->kind == CP_RULE_GAPS)
                hit = i > a && cyc[i] > cyc[i - 1] + 1;
            else if (col >= 0) { /* monotonic */
                double x = cp_table_get_num(t, col, i);
                hit = !isnan(x) && !isnan(prev) && x < prev;
                if (!isnan(x))
                    prev = x;
            }
            if (hit)
                note_hit(v, t, i);
        }
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double cp_median(const double *v, size_t n)
{
    double *tmp = cp_malloc((n ? n : 1) * sizeof(double));
    size_t m = 0;
    if (!tmp)
        return NAN;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i]))
            tmp[m++] = v[i];
    double med = NAN;
    if (m) {
        qsort(tmp, m, sizeof(double), cmp_double);
        med = m % 2 ? tmp[m / 2] : 0.5 * (tmp[m / 2 - 1] + tmp[m / 2]);
    }
    cp_free(tmp);
    return med;
}

/* Floor of the outlier rule's scale, relative to the cell's level of the column: a smooth,
 * coarsely quantised record has a MAD of 0, which must neither switch the rule off nor make
 * every quantisation step an outlier. */
#define OUTLIER_REL_FLOOR 1e-3

/* One cell's finite values of the column, scored against their local trend
 * (include/cellpipe/robust.h): |residual| / max(1.4826 MAD, floor) > z is a hit, where floor =
 * max(OUTLIER_REL_FLOOR x |median|, the values' resolution). */
static int outliers_of_cell(const struct cp_rule_config *r, const struct cp_table *t, int col,
                            size_t a, size_t n, struct verdict *v)
{
    double *x = cp_malloc(3 * (n ? n : 1) * sizeof(double));
    if (!x)
        return -1;
    double *res = x + n, *pos = x + 2 * n;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        double val = cp_table_get_num(t, col, a + i);
        v->res->checked++;
        if (isfinite(val))
            pos[k] = (double)i, x[k++] = val;
    }
    int rc = cp_robust_residuals(pos, x, k, (size_t)r->window, res);
    double level = k ? fabs(cp_median(x, k)) : 0;
    double floor = fmax(OUTLIER_REL_FLOOR * level, cp_robust_resolution(x, k));
    double scale = rc == 0 && k ? cp_robust_scale(res, k, floor) : NAN;
    if (k && isnan(scale))
        rc = -1;
    for (size_t i = 0; rc == 0 && i < k; i++)
        if (scale > 0 && fabs(res[i]) / scale > r->z)
            note_hit(v, t, a + (size_t)pos[i]);
    cp_free(x);
    return rc;
}

/* Robust z-score of each value against its local trend, per cell. */
static int check_outliers(const struct cp_rule_config *r, const struct cp_table *t, int col,
                          struct verdict *v)
{
    if (col < 0)
        return 0;
    for (size_t g = 0; g < t->ngroups; g++) {
        size_t a = t->group_start[g], n = t->group_start[g + 1] - a;
        if (outliers_of_cell(r, t, col, a, n, v) < 0)
            return -1;
    }
    return 0;
}

static int ensure_quarantine(struct cp_validate_io *io, struct cp_error *err)
{
    if (*io->quarantine)
        return 0;
    *io->quarantine = cp_table_new("quarantine");
    struct cp_table *q = *io->quarantine;
    if (!q || cp_add_canonical_columns(q, cp_cycles_columns) < 0 ||
        cp_table_add_column(q, "rule", CP_STR) < 0 || cp_table_add_column(q, "reason", CP_STR) < 0)
        return cp_error_oom(err);
    return 0;
}

static void describe(const struct cp_rule_config *r, const struct cp_table *t, size_t row,
                     char *buf, size_t n)
{
    int col = cp_table_find(t, r->column);
    double x = col >= 0 ? cp_table_get_num(t, col, row) : NAN;
    switch (r->kind) {
    case CP_RULE_REQUIRED:
        snprintf(buf, n, "'%s' is missing", r->column);
        break;
    case CP_RULE_NAN:
        snprintf(buf, n, "'%s' is not a finite number", r->column);
        break;
    case CP_RULE_RANGE:
        snprintf(buf, n, "'%s' = %g outside [%g, %g]", r->column, x, r->min, r->max);
        break;
    case CP_RULE_DUPLICATES:
        snprintf(buf, n, "cycle_index repeated");
        break;
    case CP_RULE_OUTLIER:
        snprintf(buf, n, "'%s' = %g is an outlier (robust z > %g)", r->column, x, r->z);
        break;
    default:
        snprintf(buf, n, "%s on '%s'", rule_names[r->kind], r->column);
    }
}

/* Move the hit rows of a quarantine rule out of the cycles table. */
static int quarantine_rows(struct cp_validate_io *io, const struct cp_rule_config *r,
                           struct verdict *v, struct cp_error *err)
{
    struct cp_table *t = io->cycles;
    int rc = ensure_quarantine(io, err);
    struct cp_table *qt = *io->quarantine;
    int rule_col = cp_table_find(qt, "rule");
    int reason_col = cp_table_find(qt, "reason");
    for (size_t i = 0; rc == 0 && i < t->nrows; i++) {
        if (!v->hit[i])
            continue;
        long q = cp_table_copy_row(qt, t, i);
        describe(r, t, i, v->reason, sizeof(v->reason));
        if (q < 0 || cp_table_set_str(qt, rule_col, (size_t)q, rule_names[r->kind]) < 0 ||
            cp_table_set_str(qt, reason_col, (size_t)q, v->reason) < 0)
            rc = cp_error_oom(err);
    }
    for (size_t i = 0; i < t->nrows; i++) /* hit -> keep */
        v->hit[i] = !v->hit[i];
    return rc;
}

/* An outlier rule that hits more than max_cell_fraction of one cell's rows says more about
 * the rule than about the rows: keep them, and record the cell for a flag. (The other rules
 * are facts about a row, a missing or impossible value, and always apply.) */
static int spare_gutted_cells(struct cp_validate_io *io, const struct cp_rule_config *r,
                              struct verdict *v, struct cp_error *err)
{
    const struct cp_table *t = io->cycles;
    char **id = cp_table_str(t, "cell_id");
    struct cp_validation *val = io->validation;
    for (size_t g = 0; g < t->ngroups; g++) {
        size_t a = t->group_start[g], b = t->group_start[g + 1];
        long long hits = 0;
        for (size_t i = a; i < b; i++)
            hits += v->hit[i];
        if (!hits || (double)hits <= io->cfg->validate.max_cell_fraction * (double)(b - a))
            continue;
        if (cp_grow((void **)&val->cells, &val->cellcap, val->ncells + 1, sizeof(*val->cells)) < 0)
            return cp_error_oom(err);
        struct cp_validation_cell *c = &val->cells[val->ncells++];
        snprintf(c->cell_id, sizeof(c->cell_id), "%s", id[a] ? id[a] : "");
        c->rule = r;
        c->hits = hits;
        c->rows = (long long)(b - a);
        memset(v->hit + a, 0, b - a);
        v->res->hits -= hits;
        cp_log(CP_LOG_WARN,
               "stage=validate rule=%s column=%s cell=%s hits=%lld rows=%lld "
               "msg=\"over max_cell_fraction: rows kept, cell flagged\"",
               rule_names[r->kind], r->column, c->cell_id, hits, c->rows);
    }
    return 0;
}

static int apply_rule(struct cp_validate_io *io, const struct cp_rule_config *r,
                      struct cp_rule_result *res, struct cp_error *err)
{
    struct cp_table *t = io->cycles;
    struct verdict v = {cp_calloc(t->nrows ? t->nrows : 1, 1), res, ""};
    if (!v.hit)
        return cp_error_oom(err);
    int col = cp_table_find(t, r->column), rc = 0;
    if (r->kind == CP_RULE_REQUIRED || r->kind == CP_RULE_NAN || r->kind == CP_RULE_RANGE)
        check_value_rule(r, t, col, &v);
    else if (r->kind == CP_RULE_OUTLIER)
        rc = check_outliers(r, t, col, &v) < 0 ? cp_error_oom(err) : 0;
    else
        check_sequence_rule(r, t, col, &v);
    if (rc == 0 && res->hits && r->policy == CP_POLICY_QUARANTINE && r->kind == CP_RULE_OUTLIER)
        rc = spare_gutted_cells(io, r, &v, err);
    if (rc == 0 && res->hits && r->policy == CP_POLICY_QUARANTINE) {
        rc = quarantine_rows(io, r, &v, err);
        if (rc == 0) {
            io->validation->rows_quarantined += res->hits;
            cp_table_filter(t, v.hit);
            rc = cp_table_group(t, "cell_id") < 0 ? cp_error_oom(err) : 0;
        }
    }
    cp_free(v.hit);
    return rc;
}

static int over_threshold(const struct cp_rule_result *res)
{
    return res->checked && (double)res->hits / (double)res->checked > res->rule->threshold;
}

int cp_validate_apply(struct cp_validate_io *io, struct cp_error *err)
{
    const struct cp_validate_config *vc = &io->cfg->validate;
    struct cp_validation *val = io->validation;
    val->rules = cp_calloc(vc->nrules ? vc->nrules : 1, sizeof(*val->rules));
    if (!val->rules)
        return cp_error_oom(err);
    val->nrules = vc->nrules;
    val->rows_in = (long long)io->cycles->nrows;
    int rc = ensure_quarantine(io, err);
    for (size_t k = 0; rc == 0 && k < vc->nrules; k++) {
        const struct cp_rule_config *r = &vc->rules[k];
        struct cp_rule_result *res = &val->rules[k];
        res->rule = r;
        rc = apply_rule(io, r, res, err);
        if (rc < 0)
            break;
        if (res->hits)
            cp_log(r->policy == CP_POLICY_WARN ? CP_LOG_WARN : CP_LOG_INFO,
                   "stage=validate rule=%s column=%s policy=%s hits=%lld checked=%lld "
                   "examples=\"%s\"",
                   rule_names[r->kind], r->column, policy_names[r->policy], res->hits, res->checked,
                   res->examples);
        if (r->policy != CP_POLICY_WARN && over_threshold(res)) {
            val->failed = 1;
            char where[32] = "";
            if (r->line > 0) /* default rules have no line */
                snprintf(where, sizeof(where), ":%d", r->line);
            rc = cp_error_set(err, CP_EDATA,
                              "%s%s: validation rule '%s' on '%s' hit %lld of %lld rows, over "
                              "its threshold %g (e.g. %s)",
                              io->cfg->path, where, rule_names[r->kind], r->column, res->hits,
                              res->checked, r->threshold, res->examples);
        }
    }
    if (rc == 0 && val->rows_in &&
        (double)val->rows_quarantined / (double)val->rows_in > vc->max_quarantine_fraction) {
        val->failed = 1;
        rc = cp_error_set(err, CP_EDATA,
                          "%s: validation quarantined %lld of %lld rows, over "
                          "max_quarantine_fraction %g",
                          io->cfg->path, val->rows_quarantined, val->rows_in,
                          vc->max_quarantine_fraction);
    }
    return rc;
}

/* Does the cell have a quarantined row at or before the last cycle its reference used (the
 * first `k` rows left in cycles)? */
static int reference_window_hit(const struct cp_table *q, const char *id, const int64_t *cyc,
                                size_t a, size_t b, long k)
{
    char **qid = q ? cp_table_str(q, "cell_id") : NULL;
    int64_t *qcyc = q ? cp_table_i64(q, "cycle_index") : NULL;
    if (!qid || !qcyc || b <= a)
        return 0;
    int64_t last = cyc[a + ((size_t)k < b - a ? (size_t)k : b - a) - 1];
    for (size_t i = 0; i < q->nrows; i++)
        if (qid[i] && strcmp(qid[i], id) == 0 && qcyc[i] <= last)
            return 1;
    return 0;
}

void cp_validation_flag_cells(const struct cp_validation *val, const struct cp_table *quarantine,
                              const struct cp_table *cells, const struct cp_table *cycles,
                              long reference_cycles, struct cp_cell_result *results)
{
    char **ids = cp_table_str(cells, "cell_id");
    int64_t *cyc = cp_table_i64(cycles, "cycle_index");
    for (size_t k = 0; ids && k < cells->nrows; k++) {
        struct cp_cell_result *r = &results[k];
        for (size_t j = 0; j < val->ncells; j++) {
            const struct cp_validation_cell *c = &val->cells[j];
            if (ids[k] && strcmp(ids[k], c->cell_id) == 0)
                cp_result_flag(r, "validation",
                               "rule '%s' on '%s' hit %lld of %lld rows (%.0f %%): rows kept",
                               rule_names[c->rule->kind], c->rule->column, c->hits, c->rows,
                               100.0 * (double)c->hits / (double)c->rows);
        }
        if (r->group >= 0 && cyc && reference_cycles > 0 &&
            reference_window_hit(quarantine, ids[k], cyc, cycles->group_start[r->group],
                                 cycles->group_start[r->group + 1], reference_cycles))
            cp_result_flag(r, "reference_quarantined",
                           "rows of the first %ld cycles were quarantined: the reference "
                           "capacity comes from later cycles",
                           reference_cycles);
    }
}
