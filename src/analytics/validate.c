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

/* Median of a window (at most 1001 values, the schema's limit) without allocating. */
static double window_median(const double *v, size_t n)
{
    double tmp[1001];
    size_t m = 0;
    for (size_t i = 0; i < n && m < 1001; i++) {
        if (!isfinite(v[i]))
            continue;
        size_t j = m++;
        while (j > 0 && tmp[j - 1] > v[i]) { /* insertion sort: windows are small */
            tmp[j] = tmp[j - 1];
            j--;
        }
        tmp[j] = v[i];
    }
    if (m == 0)
        return NAN;
    return m % 2 ? tmp[m / 2] : 0.5 * (tmp[m / 2 - 1] + tmp[m / 2]);
}

/* Robust z-score of each value against a centred rolling median, per cell. */
static int check_outliers(const struct cp_rule_config *r, const struct cp_table *t, int col,
                          struct verdict *v)
{
    if (col < 0)
        return 0;
    long half = r->window / 2;
    for (size_t g = 0; g < t->ngroups; g++) {
        size_t a = t->group_start[g], n = t->group_start[g + 1] - a;
        double *x = cp_malloc(n * sizeof(double)), *res = cp_malloc(n * sizeof(double));
        if (!x || !res) {
            cp_free(x);
            cp_free(res);
            return -1;
        }
        for (size_t i = 0; i < n; i++)
            x[i] = cp_table_get_num(t, col, a + i);
        for (size_t i = 0; i < n; i++) {
            size_t lo = i > (size_t)half ? i - (size_t)half : 0;
            size_t hi = i + (size_t)half + 1 < n ? i + (size_t)half + 1 : n;
            res[i] = x[i] - window_median(x + lo, hi - lo);
        }
        for (size_t i = 0; i < n; i++)
            x[i] = fabs(res[i]);
        double mad = 1.4826 * cp_median(x, n);
        for (size_t i = 0; i < n; i++) {
            v->res->checked++;
            if (isfinite(res[i]) && mad > 0 && fabs(res[i]) / mad > r->z)
                note_hit(v, t, a + i);
        }
        cp_free(x);
        cp_free(res);
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
