/* What the parent MLflow run logs: the pipeline's params and the fleet's metrics
 * (mlflow_internal.h). */
#include <dirent.h>
#include <math.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/log.h"
#include "cellpipe/ml_run.h"
#include "cellpipe/mlflow.h"
#include "cellpipe/statistics.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/timeutil.h"
#include "mlflow_internal.h"

static const char *const references[] = {"first_cycles", "nominal"};
static const char *const intervals[] = {"bootstrap", "delta"};
static const char *const forecasts[] = {"auto", "per_cell", "fleet"};
static const char *const rule_kinds[] = {"required", "range",   "monotonic", "duplicates",
                                         "nan",      "outlier", "gaps"};
static const char *const policies[] = {"fail", "quarantine", "warn"};

static void source_params(struct batch *b, const struct cp_source_config *src)
{
    mlf_batch_param(b, "source.kind", cp_source_kind_name(src->kind));
    switch (src->kind) {
    case CP_SOURCE_SAMPLE:
        mlf_batch_paramf(b, "source.seed", "%ld", src->seed);
        mlf_batch_paramf(b, "source.cells", "%ld", src->cells);
        mlf_batch_paramf(b, "source.cycles", "%ld", src->cycles);
        break;
    case CP_SOURCE_FILES:
        mlf_batch_param_list(b, "source.paths", &src->paths);
        mlf_batch_param(b, "source.format", src->format);
        break;
    case CP_SOURCE_POSTGRES: /* the DSN may hold a password: never logged */
        mlf_batch_param(b, "source.cells_query", src->cells_query);
        mlf_batch_param(b, "source.cycles_query", src->cycles_query);
        mlf_batch_paramf(b, "source.incremental", "%d", src->incremental);
        break;
    case CP_SOURCE_REDASH:
        mlf_batch_paramf(b, "source.cells_query_id", "%ld", src->cells_query_id);
        mlf_batch_paramf(b, "source.cycles_query_id", "%ld", src->cycles_query_id);
        mlf_batch_paramf(b, "source.max_age", "%ld", src->max_age);
        for (size_t i = 0; i < src->nparameters; i++) {
            struct cp_strbuf k;
            cp_strbuf_init(&k);
            if (cp_strbuf_addf(&k, "source.parameters.%s", src->parameters[i].column) == 0)
                mlf_batch_param_list(b, k.buf, &src->parameters[i].values);
            cp_strbuf_release(&k);
        }
        break;
    default: /* shards (a merge) and future kinds: the kind says enough */
        break;
    }
}

static void select_params(struct batch *b, const struct cp_select_config *sel)
{
    mlf_batch_param_list(b, "select.design_name", &sel->design_name);
    mlf_batch_param_list(b, "select.experiment_group", &sel->experiment_group);
    mlf_batch_param_list(b, "select.layer_types", &sel->layer_types);
    mlf_batch_param_list(b, "select.test_status", &sel->test_status);
    mlf_batch_param_list(b, "select.year", &sel->year);
    mlf_batch_param_list(b, "select.cell_id", &sel->cell_id);
    for (size_t i = 0; i < sel->nwhere; i++) {
        struct cp_strbuf k;
        cp_strbuf_init(&k);
        if (cp_strbuf_addf(&k, "select.where.%s", sel->where[i].column) == 0)
            mlf_batch_param_list(b, k.buf, &sel->where[i].values);
        cp_strbuf_release(&k);
    }
}

static void validate_params(struct batch *b, const struct cp_validate_config *v)
{
    mlf_batch_param_double(b, "validate.max_quarantine_fraction", v->max_quarantine_fraction);
    for (size_t i = 0; i < v->nrules; i++) {
        const struct cp_rule_config *r = &v->rules[i];
        char key[48];
        snprintf(key, sizeof(key), "validate.rule.%zu", i + 1);
        mlf_batch_paramf(b, key, "%s %s min=%g max=%g policy=%s threshold=%g", rule_kinds[r->kind],
                         r->column ? r->column : "-", r->min, r->max, policies[r->policy],
                         r->threshold);
    }
}

static void features_params(struct batch *b, const struct cp_features_config *f)
{
    struct cp_strbuf w;
    cp_strbuf_init(&w);
    for (size_t i = 0; i < f->nwindows; i++)
        if ((i && cp_strbuf_addch(&w, ',')) || cp_strbuf_addf(&w, "%ld", f->windows[i]))
            b->rc = b->rc < 0 ? b->rc : cp_error_oom(b->err);
    mlf_batch_param(b, "features.reference", references[f->reference]);
    mlf_batch_paramf(b, "features.reference_cycles", "%ld", f->reference_cycles);
    mlf_batch_param_double(b, "features.temperature_alpha", f->temperature_alpha);
    mlf_batch_param_double(b, "features.temperature_ref_c", f->temperature_ref_c);
    mlf_batch_param(b, "features.windows", w.buf);
    mlf_batch_paramf(b, "features.fade_window", "%ld", f->fade_window);
    mlf_batch_paramf(b, "features.persist_cycles", "%ld", f->persist_cycles);
    mlf_batch_paramf(b, "features.last_n", "%ld", f->last_n);
    cp_strbuf_release(&w);
}

static void fits_params(struct batch *b, const struct cp_fits_config *f)
{
    struct cp_strbuf m;
    cp_strbuf_init(&m);
    for (int i = 0; i < CP_MODEL_COUNT; i++)
        if (f->models[i] && ((m.len && cp_strbuf_addch(&m, ',')) ||
                             cp_strbuf_adds(&m, cp_model_name((enum cp_model)i))))
            b->rc = b->rc < 0 ? b->rc : cp_error_oom(b->err);
    mlf_batch_paramf(b, "fits.enabled", "%d", f->enabled);
    mlf_batch_param(b, "fits.models", m.buf);
    mlf_batch_param_double(b, "fits.threshold", f->threshold);
    mlf_batch_param(b, "fits.reference", references[f->reference]);
    mlf_batch_param(b, "fits.interval", intervals[f->interval]);
    mlf_batch_paramf(b, "fits.bootstrap_samples", "%ld", f->bootstrap_samples);
    mlf_batch_paramf(b, "fits.seed", "%ld", f->seed);
    mlf_batch_param(b, "fits.forecast", forecasts[f->forecast]);
    mlf_batch_param(b, "fits.fleet_group", f->fleet_group);
    mlf_batch_param_double(b, "fits.max_extrapolation", f->max_extrapolation);
    mlf_batch_paramf(b, "fits.min_cycles", "%ld", f->min_cycles);
    mlf_batch_param_double(b, "fits.anomaly_z", f->anomaly_z);
    mlf_batch_param_double(b, "fits.ce_min", f->ce_min);
    mlf_batch_param_double(b, "fits.ce_max", f->ce_max);
    mlf_batch_param_double(b, "fits.fade_mad", f->fade_mad);
    cp_strbuf_release(&m);
}

static size_t table_rows(const struct cp_table *t)
{
    return t ? t->nrows : 0;
}

void mlf_parent_params(struct batch *b, const struct cp_run *run)
{
    const struct cp_config *cfg = run->cfg;
    mlf_batch_param(b, "pipeline.name", cfg->name);
    mlf_batch_param(b, "pipeline.sha256", run->pipeline_sha256);
    mlf_batch_param(b, "report.date", run->date);
    mlf_batch_param(b, "cellpipe.version", CP_VERSION);
    mlf_batch_param(b, "data.sha256", run->data_sha256);
    mlf_batch_paramf(b, "data.cells", "%zu", table_rows(run->data.cells));
    mlf_batch_paramf(b, "data.cycles", "%zu", table_rows(run->data.cycles));
    mlf_batch_paramf(b, "data.inputs", "%zu", run->data.ninputs);
    if (run->shard_count > 1)
        mlf_batch_paramf(b, "shard", "%u/%u", run->shard_index, run->shard_count);
    source_params(b, &cfg->source);
    select_params(b, &cfg->select);
    validate_params(b, &cfg->validate);
    features_params(b, &cfg->features);
    fits_params(b, &cfg->fits);
}

/* --- fleet KPIs ------------------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Mean, median and count of the finite values of one result field. */
static void fleet_stat(struct batch *b, const struct cp_run *run, const char *name, size_t offset)
{
    double *v = cp_calloc(run->nresults ? run->nresults : 1, sizeof(double));
    size_t n = 0;
    double sum = 0;
    if (!v) {
        b->rc = b->rc < 0 ? b->rc : cp_error_oom(b->err);
        return;
    }
    for (size_t i = 0; i < run->nresults; i++) {
        double x = *(const double *)((const char *)&run->results[i] + offset);
        if (isfinite(x)) {
            v[n++] = x;
            sum += x;
        }
    }
    qsort(v, n, sizeof(double), cmp_double);
    struct cp_strbuf k;
    cp_strbuf_init(&k);
    double median = n == 0 ? NAN : n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    if (cp_strbuf_addf(&k, "fleet.%s.mean", name) == 0)
        mlf_batch_metric(b, k.buf, n ? sum / (double)n : NAN, 0);
    cp_strbuf_reset(&k);
    if (cp_strbuf_addf(&k, "fleet.%s.median", name) == 0)
        mlf_batch_metric(b, k.buf, median, 0);
    cp_strbuf_release(&k);
    cp_free(v);
}

static void stat_metric(struct batch *b, double v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void stat_metric(struct batch *b, double v, const char *fmt, ...)
{
    char key[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(key, sizeof key, fmt, ap);
    va_end(ap);
    mlf_batch_metric(b, key, v, 0);
}

/* The key figures of the statistics stage: per group its median life (Kaplan-Meier) with the
 * interval and each metric's median; the log-rank and Kruskal-Wallis p-values; per compared
 * pair the corrected log-rank p; the number of significant differences. */
static void statistics_metrics(struct batch *b, const struct cp_statistics *s)
{
    for (size_t g = 0; g < s->ngroups; g++) {
        const struct cp_statistics_group *gr = &s->groups[g];
        stat_metric(b, (double)gr->n, "stats.%s.cells", gr->name);
        stat_metric(b, (double)gr->km.events, "stats.%s.events", gr->name);
        stat_metric(b, gr->km.median, "stats.%s.median_life", gr->name);
        stat_metric(b, gr->km.median_lo, "stats.%s.median_life_lo", gr->name);
        stat_metric(b, gr->km.median_hi, "stats.%s.median_life_hi", gr->name);
        for (size_t j = 0; j < s->nmetrics; j++)
            stat_metric(b, gr->desc[j].median, "stats.%s.%s.median", gr->name, s->metric_names[j]);
    }
    stat_metric(b, s->logrank.p, "stats.logrank_p");
    for (size_t j = 0; j < s->nmetrics; j++)
        stat_metric(b, s->kruskal[j].p, "stats.kruskal.%s.p", s->metric_names[j]);
    for (size_t i = 0; i < s->nlrs; i++)
        stat_metric(b, s->lrs[i].p_adj, "stats.logrank.%s_vs_%s.p_adjusted",
                    s->groups[s->lrs[i].a].name, s->groups[s->lrs[i].b].name);
    char **lines = NULL;
    size_t n = 0;
    if (cp_statistics_findings(s, 0, &lines, &n) < 0) {
        b->rc = b->rc < 0 ? b->rc : cp_error_oom(b->err);
        return;
    }
    stat_metric(b, (double)n, "stats.significant_differences");
    cp_statistics_lines_free(lines, n);
}

/* Per model of the run: how many cells it predicted; an applied model's error on the cells
 * whose target is known; a trained model's CV metric (its own training run has the rest). */
static void model_metrics(struct batch *b, const struct cp_ml_run *ml)
{
    for (size_t i = 0; i < ml->n; i++) {
        const struct cp_ml_result *r = &ml->m[i];
        char key[300];
        double predicted = 0, v;
        int lower;
        for (size_t c = 0; r->pred && c < r->ncells; c++)
            predicted += isfinite(r->pred[c]);
        snprintf(key, sizeof key, "model.%s.predicted_cells", r->cfg->name);
        mlf_batch_metric(b, key, predicted, 0);
        if (r->have_cv) {
            const char *metric = cp_ml_compare_metric(r, &v, &lower);
            snprintf(key, sizeof key, "model.%s.%s", r->cfg->name, metric);
            mlf_batch_metric(b, key, v, 0);
        }
        if (r->have_applied) {
            int reg = strcmp(r->model.task, "regression") == 0;
            snprintf(key, sizeof key, "model.%s.applied_cells", r->cfg->name);
            mlf_batch_metric(b, key, (double)r->applied.n, 0);
            snprintf(key, sizeof key, "model.%s.applied_%s", r->cfg->name,
                     reg ? "mape" : "balanced_accuracy");
            mlf_batch_metric(b, key, reg ? r->applied.mape : r->applied.balanced_accuracy, 0);
        }
    }
}

void mlf_parent_metrics(struct batch *b, const struct cp_run *run)
{
    const struct cp_validation *val = &run->validation;
    mlf_batch_metric(b, "cells", (double)run->nresults, 0);
    mlf_batch_metric(b, "cycles_rows", (double)table_rows(run->data.cycles), 0);
    mlf_batch_metric(b, "flagged_cells", (double)run->flagged_cells, 0);
    mlf_batch_metric(b, "cells_past_eol", (double)run->cells_past_eol, 0);
    mlf_batch_metric(b, "backtest_mape", run->backtest_mape, 0);
    mlf_batch_metric(b, "validation.rows_in", (double)val->rows_in, 0);
    mlf_batch_metric(b, "validation.rows_quarantined", (double)val->rows_quarantined, 0);
    for (size_t i = 0; i < val->nrules; i++) {
        char key[64];
        snprintf(key, sizeof(key), "validation.rule.%zu.hits", i + 1);
        mlf_batch_metric(b, key, (double)val->rules[i].hits, 0);
    }
    fleet_stat(b, run, "last_retention", offsetof(struct cp_cell_result, last_retention));
    fleet_stat(b, run, "fade_rate", offsetof(struct cp_cell_result, fade_rate));
    fleet_stat(b, run, "eol_forecast", offsetof(struct cp_cell_result, eol_forecast));
    fleet_stat(b, run, "ce_mean", offsetof(struct cp_cell_result, ce_mean));
    if (run->statistics)
        statistics_metrics(b, run->statistics);
    if (run->ml)
        model_metrics(b, run->ml);
    for (size_t i = 0; i < run->ntimings; i++) {
        struct cp_strbuf k;
        cp_strbuf_init(&k);
        if (cp_strbuf_addf(&k, "timing.%s_ms", run->timings[i].stage) == 0)
            mlf_batch_metric(b, k.buf, run->timings[i].ms, 0);
        cp_strbuf_release(&k);
    }
}

/* --- runs ------------------------------------------------------------------------------ */
