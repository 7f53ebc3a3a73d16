/*
 * The MLflow sink (DESIGN.md "sinks", docs/mlflow.md): one parent run per pipeline run, one
 * child run per cell, everything journaled before it is sent (src/sinks/mlflow_client.c sends,
 * src/sinks/mlflow_journal.c writes). A server that fails never fails the report: the run is
 * marked pending and `cellpipe mlflow push` finishes the job.
 */
#include <dirent.h>
#include <math.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/log.h"
#include "cellpipe/mlflow.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/timeutil.h"

#ifndef CP_VERSION
#define CP_VERSION "0.0.0"
#endif

/* --- log-batch chunks ------------------------------------------------------------------ */

/* Collects one run's metrics, params and tags, then packs them into as few log_batch ops as
 * MLflow's limits allow: every chunk takes up to 100 params and 100 tags first and fills the
 * rest of its 1000 items with metrics, under the byte limit. That reaches the lower bound
 * max(P/100, T/100, M/1000, (M+P+T)/1000), rounded up, unless the byte limit binds. */
struct batch {
    struct cp_mlflow_session *s;
    const char *ref;
    json_t *metrics, *params, *tags;
    json_t *seen; /* sanitised param/tag keys already used in this run */
    int64_t ts;
    int rc; /* first failure, sticky */
    struct cp_error *err;
};

static void batch_init(struct batch *b, struct cp_mlflow_session *s, const char *ref, int64_t ts,
                       struct cp_error *err)
{
    memset(b, 0, sizeof(*b));
    b->s = s;
    b->ref = ref;
    b->ts = ts;
    b->err = err;
    b->seen = json_object();
    b->metrics = json_array();
    b->params = json_array();
    b->tags = json_array();
    if (!b->seen || !b->metrics || !b->params || !b->tags)
        b->rc = cp_error_oom(err);
}

/* An item's exact size in the request body (json_dumpb with no buffer only measures), plus
 * the comma. */
static size_t item_size(json_t *item)
{
    return json_dumpb(item, NULL, 0, JSON_COMPACT) + 1;
}

/* Move up to `limit` items from src[*at] into a new array stored in op under name. */
static int take(json_t *op, const char *name, json_t *src, size_t *at, size_t limit, size_t *items,
                size_t *bytes)
{
    json_t *dst = NULL;
    while (*at < json_array_size(src) && limit > 0 && *items < CP_MLFLOW_MAX_ITEMS) {
        json_t *item = json_array_get(src, *at);
        size_t sz = item_size(item);
        if (*items > 0 && *bytes + sz > CP_MLFLOW_MAX_BYTES)
            break;
        if (!dst && (!(dst = json_array()) || json_object_set_new(op, name, dst)))
            return -1;
        if (json_array_append(dst, item))
            return -1;
        (*at)++, (*items)++, limit--;
        *bytes += sz;
    }
    return 0;
}

static void batch_flush(struct batch *b)
{
    size_t im = 0, ip = 0, it = 0;
    while (b->rc == 0 && (im < json_array_size(b->metrics) || ip < json_array_size(b->params) ||
                          it < json_array_size(b->tags))) {
        size_t items = 0, bytes = 0;
        json_t *op = json_pack("{s:s, s:s}", "op", "log_batch", "ref", b->ref);
        if (!op || take(op, "params", b->params, &ip, CP_MLFLOW_MAX_PARAMS, &items, &bytes) ||
            take(op, "tags", b->tags, &it, CP_MLFLOW_MAX_TAGS, &items, &bytes) ||
            take(op, "metrics", b->metrics, &im, CP_MLFLOW_MAX_METRICS, &items, &bytes)) {
            json_decref(op);
            b->rc = cp_error_oom(b->err);
            return;
        }
        b->rc = cp_mlflow_submit(b->s, op, b->err);
    }
}

static void batch_release(struct batch *b)
{
    batch_flush(b);
    json_decref(b->seen);
    json_decref(b->metrics);
    json_decref(b->params);
    json_decref(b->tags);
    b->seen = b->metrics = b->params = b->tags = NULL; /* b->rc stays for the caller */
}

static json_t *batch_slot(struct batch *b, json_t **which)
{
    return b->rc < 0 ? NULL : *which;
}

static void batch_metric(struct batch *b, const char *key, double v, long long step)
{
    struct cp_strbuf k;
    cp_strbuf_init(&k);
    if (b->rc < 0)
        return;
    if (cp_mlflow_sanitize_key(&k, key)) {
        b->rc = cp_error_oom(b->err);
        return;
    }
    json_t *arr = batch_slot(b, &b->metrics);
    json_t *m =
        arr ? json_pack("{s:s, s:o, s:I, s:I}", "key", k.buf, "value", cp_mlflow_metric_value(v),
                        "timestamp", (json_int_t)b->ts, "step", (json_int_t)step)
            : NULL;
    if (arr && (!m || json_array_append_new(arr, m)))
        b->rc = cp_error_oom(b->err);
    cp_strbuf_release(&k);
}

/* Cut a value at max bytes without splitting a UTF-8 sequence. */
static size_t cut_utf8(const char *v, size_t max)
{
    size_t n = strlen(v);
    if (n <= max)
        return n;
    while (max > 0 && ((unsigned char)v[max] & 0xC0) == 0x80)
        max--;
    return max;
}

/* A param (tag = 0) or tag (tag = 1); a key that sanitises to one already used in this run
 * gets "_2", "_3" ... so two settings never collide. */
static void batch_kv(struct batch *b, int tag, const char *key, const char *value)
{
    struct cp_strbuf k;
    cp_strbuf_init(&k);
    if (b->rc < 0 || !value)
        return;
    size_t base_len;
    int bad = cp_mlflow_sanitize_key(&k, key);
    base_len = k.len;
    for (int n = 2; !bad && json_object_get(b->seen, k.buf); n++) {
        k.len = base_len;
        bad = cp_strbuf_addf(&k, "_%d", n);
    }
    if (bad || json_object_set_new(b->seen, k.buf, json_true())) {
        cp_strbuf_release(&k);
        b->rc = cp_error_oom(b->err);
        return;
    }
    size_t vlen = cut_utf8(value, tag ? CP_MLFLOW_MAX_TAG_VALUE : CP_MLFLOW_MAX_PARAM_VALUE);
    json_t **which = tag ? &b->tags : &b->params;
    json_t *arr = batch_slot(b, which);
    json_t *item = arr ? json_pack("{s:s, s:s%}", "key", k.buf, "value", value, vlen) : NULL;
    if (arr && (!item || json_array_append_new(arr, item)))
        b->rc = cp_error_oom(b->err);
    cp_strbuf_release(&k);
}

static void batch_param(struct batch *b, const char *key, const char *value)
{
    batch_kv(b, 0, key, value);
}

static void batch_paramf(struct batch *b, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void batch_paramf(struct batch *b, const char *key, const char *fmt, ...)
{
    struct cp_strbuf v;
    va_list ap;
    cp_strbuf_init(&v);
    va_start(ap, fmt);
    int bad = cp_strbuf_vaddf(&v, fmt, ap);
    va_end(ap);
    if (bad && b->rc == 0)
        b->rc = cp_error_oom(b->err);
    else
        batch_param(b, key, v.buf);
    cp_strbuf_release(&v);
}

static void batch_param_double(struct batch *b, const char *key, double v)
{
    struct cp_strbuf sb;
    cp_strbuf_init(&sb);
    if (isnan(v) ? cp_strbuf_adds(&sb, "NaN") : cp_strbuf_add_double(&sb, v))
        b->rc = b->rc < 0 ? b->rc : cp_error_oom(b->err);
    else
        batch_param(b, key, sb.buf);
    cp_strbuf_release(&sb);
}

static void batch_param_list(struct batch *b, const char *key, const struct cp_strlist *l)
{
    struct cp_strbuf sb;
    cp_strbuf_init(&sb);
    if (l->n == 0)
        return;
    int bad = 0;
    for (size_t i = 0; i < l->n && !bad; i++)
        bad = (i && cp_strbuf_addch(&sb, ',')) || cp_strbuf_adds(&sb, l->v[i]);
    if (bad)
        b->rc = b->rc < 0 ? b->rc : cp_error_oom(b->err);
    else
        batch_param(b, key, sb.buf);
    cp_strbuf_release(&sb);
}

/* --- the pipeline settings, flattened -------------------------------------------------- */

static const char *const references[] = {"first_cycles", "nominal"};
static const char *const intervals[] = {"bootstrap", "delta"};
static const char *const forecasts[] = {"auto", "per_cell", "fleet"};
static const char *const rule_kinds[] = {"required", "range",   "monotonic", "duplicates",
                                         "nan",      "outlier", "gaps"};
static const char *const policies[] = {"fail", "quarantine", "warn"};

static void source_params(struct batch *b, const struct cp_source_config *src)
{
    batch_param(b, "source.kind", cp_source_kind_name(src->kind));
    switch (src->kind) {
    case CP_SOURCE_SAMPLE:
        batch_paramf(b, "source.seed", "%ld", src->seed);
        batch_paramf(b, "source.cells", "%ld", src->cells);
        batch_paramf(b, "source.cycles", "%ld", src->cycles);
        break;
    case CP_SOURCE_FILES:
        batch_param_list(b, "source.paths", &src->paths);
        batch_param(b, "source.format", src->format);
        break;
    case CP_SOURCE_POSTGRES: /* the DSN may hold a password: never logged */
        batch_param(b, "source.cells_query", src->cells_query);
        batch_param(b, "source.cycles_query", src->cycles_query);
        batch_paramf(b, "source.incremental", "%d", src->incremental);
        break;
    case CP_SOURCE_REDASH:
        batch_paramf(b, "source.cells_query_id", "%ld", src->cells_query_id);
        batch_paramf(b, "source.cycles_query_id", "%ld", src->cycles_query_id);
        batch_paramf(b, "source.max_age", "%ld", src->max_age);
        for (size_t i = 0; i < src->nparameters; i++) {
            struct cp_strbuf k;
            cp_strbuf_init(&k);
            if (cp_strbuf_addf(&k, "source.parameters.%s", src->parameters[i].column) == 0)
                batch_param_list(b, k.buf, &src->parameters[i].values);
            cp_strbuf_release(&k);
        }
        break;
    default: /* shards (a merge) and future kinds: the kind says enough */
        break;
    }
}

static void select_params(struct batch *b, const struct cp_select_config *sel)
{
    batch_param_list(b, "select.design_name", &sel->design_name);
    batch_param_list(b, "select.experiment_group", &sel->experiment_group);
    batch_param_list(b, "select.layer_types", &sel->layer_types);
    batch_param_list(b, "select.test_status", &sel->test_status);
    batch_param_list(b, "select.year", &sel->year);
    batch_param_list(b, "select.cell_id", &sel->cell_id);
    for (size_t i = 0; i < sel->nwhere; i++) {
        struct cp_strbuf k;
        cp_strbuf_init(&k);
        if (cp_strbuf_addf(&k, "select.where.%s", sel->where[i].column) == 0)
            batch_param_list(b, k.buf, &sel->where[i].values);
        cp_strbuf_release(&k);
    }
}

static void validate_params(struct batch *b, const struct cp_validate_config *v)
{
    batch_param_double(b, "validate.max_quarantine_fraction", v->max_quarantine_fraction);
    for (size_t i = 0; i < v->nrules; i++) {
        const struct cp_rule_config *r = &v->rules[i];
        char key[48];
        snprintf(key, sizeof(key), "validate.rule.%zu", i + 1);
        batch_paramf(b, key, "%s %s min=%g max=%g policy=%s threshold=%g", rule_kinds[r->kind],
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
    batch_param(b, "features.reference", references[f->reference]);
    batch_paramf(b, "features.reference_cycles", "%ld", f->reference_cycles);
    batch_param_double(b, "features.temperature_alpha", f->temperature_alpha);
    batch_param_double(b, "features.temperature_ref_c", f->temperature_ref_c);
    batch_param(b, "features.windows", w.buf);
    batch_paramf(b, "features.fade_window", "%ld", f->fade_window);
    batch_paramf(b, "features.persist_cycles", "%ld", f->persist_cycles);
    batch_paramf(b, "features.last_n", "%ld", f->last_n);
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
    batch_paramf(b, "fits.enabled", "%d", f->enabled);
    batch_param(b, "fits.models", m.buf);
    batch_param_double(b, "fits.threshold", f->threshold);
    batch_param(b, "fits.reference", references[f->reference]);
    batch_param(b, "fits.interval", intervals[f->interval]);
    batch_paramf(b, "fits.bootstrap_samples", "%ld", f->bootstrap_samples);
    batch_paramf(b, "fits.seed", "%ld", f->seed);
    batch_param(b, "fits.forecast", forecasts[f->forecast]);
    batch_param(b, "fits.fleet_group", f->fleet_group);
    batch_param_double(b, "fits.max_extrapolation", f->max_extrapolation);
    batch_paramf(b, "fits.min_cycles", "%ld", f->min_cycles);
    batch_param_double(b, "fits.anomaly_z", f->anomaly_z);
    batch_param_double(b, "fits.ce_min", f->ce_min);
    batch_param_double(b, "fits.ce_max", f->ce_max);
    batch_param_double(b, "fits.fade_mad", f->fade_mad);
    cp_strbuf_release(&m);
}

static size_t table_rows(const struct cp_table *t)
{
    return t ? t->nrows : 0;
}

static void parent_params(struct batch *b, const struct cp_run *run)
{
    const struct cp_config *cfg = run->cfg;
    batch_param(b, "pipeline.name", cfg->name);
    batch_param(b, "pipeline.sha256", run->pipeline_sha256);
    batch_param(b, "report.date", run->date);
    batch_param(b, "cellpipe.version", CP_VERSION);
    batch_param(b, "data.sha256", run->data_sha256);
    batch_paramf(b, "data.cells", "%zu", table_rows(run->data.cells));
    batch_paramf(b, "data.cycles", "%zu", table_rows(run->data.cycles));
    batch_paramf(b, "data.inputs", "%zu", run->data.ninputs);
    if (run->shard_count > 1)
        batch_paramf(b, "shard", "%u/%u", run->shard_index, run->shard_count);
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
        batch_metric(b, k.buf, n ? sum / (double)n : NAN, 0);
    cp_strbuf_reset(&k);
    if (cp_strbuf_addf(&k, "fleet.%s.median", name) == 0)
        batch_metric(b, k.buf, median, 0);
    cp_strbuf_release(&k);
    cp_free(v);
}

static void parent_metrics(struct batch *b, const struct cp_run *run)
{
    const struct cp_validation *val = &run->validation;
    batch_metric(b, "cells", (double)run->nresults, 0);
    batch_metric(b, "cycles_rows", (double)table_rows(run->data.cycles), 0);
    batch_metric(b, "flagged_cells", (double)run->flagged_cells, 0);
    batch_metric(b, "cells_past_eol", (double)run->cells_past_eol, 0);
    batch_metric(b, "backtest_mape", run->backtest_mape, 0);
    batch_metric(b, "validation.rows_in", (double)val->rows_in, 0);
    batch_metric(b, "validation.rows_quarantined", (double)val->rows_quarantined, 0);
    for (size_t i = 0; i < val->nrules; i++) {
        char key[64];
        snprintf(key, sizeof(key), "validation.rule.%zu.hits", i + 1);
        batch_metric(b, key, (double)val->rules[i].hits, 0);
    }
    fleet_stat(b, run, "last_retention", offsetof(struct cp_cell_result, last_retention));
    fleet_stat(b, run, "fade_rate", offsetof(struct cp_cell_result, fade_rate));
    fleet_stat(b, run, "eol_forecast", offsetof(struct cp_cell_result, eol_forecast));
    fleet_stat(b, run, "ce_mean", offsetof(struct cp_cell_result, ce_mean));
    for (size_t i = 0; i < run->ntimings; i++) {
        struct cp_strbuf k;
        cp_strbuf_init(&k);
        if (cp_strbuf_addf(&k, "timing.%s_ms", run->timings[i].stage) == 0)
            batch_metric(b, k.buf, run->timings[i].ms, 0);
        cp_strbuf_release(&k);
    }
}

/* --- runs ------------------------------------------------------------------------------ */

static int add_tag(json_t *tags, const char *key, const char *value)
{
    if (!value)
        return 0;
    size_t n = cut_utf8(value, CP_MLFLOW_MAX_TAG_VALUE);
    return json_array_append_new(tags, json_pack("{s:s, s:s%}", "key", key, "value", value, n));
}

static int submit_create(struct cp_mlflow_session *s, const char *ref, const char *parent,
                         const char *name, int64_t start, json_t *tags, struct cp_error *err)
{
    json_t *op =
        json_pack("{s:s, s:s, s:s*, s:s, s:I, s:o}", "op", "create_run", "ref", ref, "parent",
                  parent, "run_name", name, "start_time", (json_int_t)start, "tags", tags);
    return op ? cp_mlflow_submit(s, op, err) : cp_error_oom(err);
}

static int submit_end(struct cp_mlflow_session *s, const char *ref, const char *status,
                      int after_publish, struct cp_error *err)
{
    json_t *op = json_pack("{s:s, s:s, s:s, s:I}", "op", "update_run", "ref", ref, "status", status,
                           "end_time", (json_int_t)cp_now_ms());
    if (op && after_publish && json_object_set_new(op, "after_publish", json_true()))
        json_decref(op), op = NULL;
    return op ? cp_mlflow_submit(s, op, err) : cp_error_oom(err);
}

static const char *user_name(void)
{
    const char *u = getenv("USER");
    if (u && *u)
        return u;
    struct passwd *pw = getpwuid(getuid());
    return pw && pw->pw_name ? pw->pw_name : "unknown";
}

/* The summary in Markdown, for mlflow.note.content (MLflow shows it as the run's note). */
static int summary_note(const struct cp_run *run, struct cp_strbuf *sb)
{
    const struct cp_table *cells = run->data.cells;
    char **ids = cells ? cp_table_str(cells, "cell_id") : NULL;
    int bad = cp_strbuf_addf(sb,
                             "# %s %s\n\n| cells | flagged | past end of life | rows "
                             "quarantined |\n|---|---|---|---|\n| %zu | %ld | %ld | %lld |\n",
                             run->cfg->name, run->date, run->nresults, run->flagged_cells,
                             run->cells_past_eol, run->validation.rows_quarantined);
    int listed = 0;
    for (size_t i = 0; !bad && i < run->nresults; i++) {
        const struct cp_cell_result *r = &run->results[i];
        if (r->nflags == 0)
            continue;
        if (listed++ == 0)
            bad = cp_strbuf_adds(sb, "\n## Flagged cells\n\n");
        if (!bad && listed > 50) {
            bad = cp_strbuf_adds(sb, "- ...\n");
            break;
        }
        const char *id = ids && r->cells_row >= 0 ? ids[r->cells_row] : NULL;
        bad = bad || cp_strbuf_addf(sb, "- %s: %s (%s)\n", id ? id : "?", r->flags[0].kind,
                                    r->flags[0].reason);
    }
    return bad ? -1 : 0;
}

/* The parent run, created by mlflow-open: the tags known before any report file exists. The
 * note (the summary) follows in parent_batch, when the KPIs are final. */
static int parent_create(struct cp_mlflow_session *s, const struct cp_run *run, int64_t ts,
                         struct cp_error *err)
{
    struct cp_strbuf name;
    char commit[41];
    cp_strbuf_init(&name);
    json_t *tags = json_array();
    int bad =
        !tags || cp_strbuf_addf(&name, "%s %s", run->cfg->name, run->date) ||
        add_tag(tags, "mlflow.source.name", run->cfg->path) ||
        add_tag(tags, "mlflow.source.type", "JOB") || add_tag(tags, "mlflow.user", user_name()) ||
        add_tag(tags, "cellpipe.pipeline", run->cfg->name) ||
        add_tag(tags, "cellpipe.date", run->date) ||
        add_tag(tags, "cellpipe.data_sha256", run->data_sha256[0] ? run->data_sha256 : NULL) ||
        (cp_mlflow_git_head(run->cfg->dir, commit) == 0 &&
         add_tag(tags, "mlflow.source.git.commit", commit));
    int rc = bad ? (json_decref(tags), cp_error_oom(err))
                 : submit_create(s, "parent", NULL, name.buf, ts, tags, err);
    cp_strbuf_release(&name);
    return rc;
}

/* Params, metrics and the note of the parent run; error (may be NULL) becomes the tag
 * cellpipe.error of a failed run. */
static int parent_batch(struct cp_mlflow_session *s, const struct cp_run *run, int64_t ts, int full,
                        const char *error, struct cp_error *err)
{
    struct cp_strbuf note;
    cp_strbuf_init(&note);
    struct batch b;
    batch_init(&b, s, "parent", ts, err);
    if (full && b.rc == 0 && summary_note(run, &note))
        b.rc = cp_error_oom(err);
    if (full) {
        parent_params(&b, run);
        parent_metrics(&b, run);
        batch_kv(&b, 1, "mlflow.note.content", note.buf);
    }
    if (error)
        batch_kv(&b, 1, "cellpipe.error", error);
    batch_release(&b);
    cp_strbuf_release(&note);
    return b.rc;
}

/* --- child runs ------------------------------------------------------------------------ */

static const char *const eol_methods[] = {"none", "observed", "per_cell", "fleet"};

static void cell_params(struct batch *b, const struct cp_table *cells, long row)
{
    struct cp_strbuf v;
    cp_strbuf_init(&v);
    for (size_t c = 0; cells && row >= 0 && c < cells->ncols && b->rc == 0; c++) {
        if (cp_table_is_na(cells, (int)c, (size_t)row))
            continue;
        cp_strbuf_reset(&v);
        if (cp_table_format_cell(cells, (int)c, (size_t)row, &v))
            b->rc = cp_error_oom(b->err);
        else
            batch_param(b, cells->cols[c].name, v.buf);
    }
    cp_strbuf_release(&v);
}

static double cycles_or_nan(long c)
{
    return c < 0 ? NAN : (double)c;
}

static void cell_metrics(struct batch *b, const struct cp_cell_result *r)
{
    batch_metric(b, "n_cycles", (double)r->n_cycles, 0);
    batch_metric(b, "first_cycle", cycles_or_nan(r->first_cycle), 0);
    batch_metric(b, "last_cycle", cycles_or_nan(r->last_cycle), 0);
    batch_metric(b, "reference_ah", r->reference_ah, 0);
    batch_metric(b, "last_retention", r->last_retention, 0);
    batch_metric(b, "cycles_to_90", cycles_or_nan(r->cycles_to_90), 0);
    batch_metric(b, "cycles_to_80", cycles_or_nan(r->cycles_to_80), 0);
    batch_metric(b, "ce_mean", r->ce_mean, 0);
    batch_metric(b, "ce_last_n", r->ce_last_n, 0);
    batch_metric(b, "fade_rate", r->fade_rate, 0);
    batch_metric(b, "efc_total", r->efc_total, 0);
    batch_metric(b, "days_on_test", r->days_on_test, 0);
    batch_metric(b, "eol_observed", cycles_or_nan(r->eol_observed), 0);
    batch_metric(b, "eol_forecast", r->eol_forecast, 0);
    batch_metric(b, "eol_lo", r->eol_lo, 0);
    batch_metric(b, "eol_hi", r->eol_hi, 0);
    batch_metric(b, "eol_interval_width", r->eol_hi - r->eol_lo, 0);
    batch_metric(b, "knee_onset", r->knee_onset, 0);
    batch_metric(b, "knee_point", r->knee_point, 0);
    batch_metric(b, "flags", (double)r->nflags, 0);
    double best_rmse = r->best_model >= 0 ? r->fits[r->best_model].rmse : NAN;
    batch_metric(b, "fit_rmse", best_rmse, 0);
    for (int m = 0; m < CP_MODEL_COUNT; m++) {
        if (r->fits[m].status != CP_FIT_OK)
            continue;
        char key[64];
        snprintf(key, sizeof(key), "fit.%s.rmse", cp_model_name((enum cp_model)m));
        batch_metric(b, key, r->fits[m].rmse, 0);
    }
}

/* Retention per cycle as metric history (step = cycle index): MLflow draws the fade curve. */
static void cycle_metrics(struct batch *b, const struct cp_table *cycles, long group)
{
    if (!cycles || group < 0 || !cycles->group_start || (size_t)group >= cycles->ngroups)
        return;
    const double *ret = cp_table_f64(cycles, "capacity_retention");
    const int64_t *idx = cp_table_i64(cycles, "cycle_index");
    if (!ret || !idx)
        return;
    for (size_t i = cycles->group_start[group]; i < cycles->group_start[group + 1]; i++)
        if (idx[i] != CP_I64_NA)
            batch_metric(b, "retention", ret[i], (long long)idx[i]);
}

static int child_tags(const struct cp_cell_result *r, const char *id, json_t *tags)
{
    struct cp_strbuf kinds;
    cp_strbuf_init(&kinds);
    int bad = 0;
    for (int f = 0; f < r->nflags && f < CP_MAX_FLAGS && !bad; f++)
        bad = (f && cp_strbuf_addch(&kinds, ',')) || cp_strbuf_adds(&kinds, r->flags[f].kind);
    bad = bad || add_tag(tags, "cellpipe.cell_id", id) ||
          add_tag(tags, "cellpipe.eol_method", eol_methods[r->eol_method]) ||
          (r->best_model >= 0 &&
           add_tag(tags, "cellpipe.best_model", cp_model_name((enum cp_model)r->best_model))) ||
          (kinds.len && add_tag(tags, "cellpipe.flags", kinds.buf)) ||
          (r->eol_capped && add_tag(tags, "cellpipe.eol_capped", "true"));
    cp_strbuf_release(&kinds);
    return bad ? -1 : 0;
}

static int child_run(struct cp_mlflow_session *s, const struct cp_run *run, size_t i, int64_t ts,
                     struct cp_error *err)
{
    const struct cp_cell_result *r = &run->results[i];
    char **ids = run->data.cells ? cp_table_str(run->data.cells, "cell_id") : NULL;
    const char *id = ids && r->cells_row >= 0 && ids[r->cells_row] ? ids[r->cells_row] : "?";
    struct cp_strbuf ref;
    cp_strbuf_init(&ref);
    json_t *tags = json_array();
    if (!tags || cp_strbuf_addf(&ref, "cell/%zu/%s", i, id) || child_tags(r, id, tags)) {
        json_decref(tags);
        cp_strbuf_release(&ref);
        return cp_error_oom(err);
    }
    int rc = submit_create(s, ref.buf, "parent", id, ts, tags, err);
    if (rc == 0) {
        struct batch b;
        batch_init(&b, s, ref.buf, ts, err);
        cell_params(&b, run->data.cells, r->cells_row);
        cell_metrics(&b, r);
        if (run->cfg->mlflow.cycle_metrics)
            cycle_metrics(&b, run->data.cycles, r->group);
        batch_release(&b);
        rc = b.rc;
    }
    if (rc == 0)
        rc = submit_end(s, ref.buf, "FINISHED", 0, err);
    cp_strbuf_release(&ref);
    return rc;
}

/* --- artifacts ------------------------------------------------------------------------- */

static int submit_artifact(struct cp_mlflow_session *s, const char *rel, int after_publish,
                           struct cp_error *err)
{
    json_t *op = json_pack("{s:s, s:s, s:s}", "op", "artifact", "ref", "parent", "path", rel);
    if (op && after_publish && json_object_set_new(op, "after_publish", json_true()))
        json_decref(op), op = NULL;
    return op ? cp_mlflow_submit(s, op, err) : cp_error_oom(err);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file directly under <root>/plots, in name order. */
static int plot_artifacts(struct cp_mlflow_session *s, const char *root, struct cp_error *err)
{
    char *dir = cp_path_join(root, "plots");
    DIR *d = dir ? opendir(dir) : NULL;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = dir ? 0 : cp_error_oom(err);
    for (struct dirent *e; d && rc == 0 && (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char *rel = cp_path_join("plots", e->d_name), *full = cp_path_join(dir, e->d_name);
        int file = full && cp_fs_exists(full) && !cp_fs_is_dir(full);
        cp_free(full);
        if (!rel || cp_grow((void **)&names, &cap, n + 1, sizeof(*names)))
            rc = cp_error_oom(err);
        if (rc == 0 && file)
            names[n++] = rel, rel = NULL;
        cp_free(rel);
    }
    if (d)
        closedir(d);
    if (n)
        qsort(names, n, sizeof(*names), cmp_str);
    for (size_t i = 0; i < n; i++) {
        if (rc == 0)
            rc = submit_artifact(s, names[i], 1, err);
        cp_free(names[i]);
    }
    cp_free(names);
    cp_free(dir);
    return rc;
}

static int artifacts(struct cp_mlflow_session *s, const struct cp_run *run, struct cp_error *err)
{
    static const char *const files[] = {"summary.pdf", "workbook.xlsx", NULL};
    int rc = 0;
    for (size_t i = 0; files[i] && rc == 0; i++) {
        char *p = cp_path_join(run->staging_dir, files[i]);
        if (!p)
            return cp_error_oom(err);
        if (cp_fs_exists(p))
            rc = submit_artifact(s, files[i], 1, err);
        cp_free(p);
    }
    if (rc == 0)
        rc = plot_artifacts(s, run->staging_dir, err);
    /* uploaded from the published folder, with manifest.json (written after this sink) */
    if (rc == 0)
        rc = submit_artifact(s, "manifest.json", 1, err);
    return rc;
}

/* --- the sink -------------------------------------------------------------------------- */

static char *experiment_name(const struct cp_config *cfg)
{
    if (cfg->mlflow.experiment && *cfg->mlflow.experiment)
        return cp_strdup(cfg->mlflow.experiment);
    struct cp_strbuf sb;
    cp_strbuf_init(&sb);
    if (cp_strbuf_addf(&sb, "cellpipe/%s", cfg->name)) {
        cp_strbuf_release(&sb);
        return NULL;
    }
    return cp_strbuf_detach(&sb);
}

static int journal_header(struct cp_mlflow_session *s, const struct cp_run *run, const char *path,
                          const char *experiment, struct cp_error *err)
{
    struct cp_strbuf uri;
    cp_strbuf_init(&uri);
    if (s->base && cp_http_redact_url(&uri, s->base))
        return cp_error_oom(err);
    json_t *head = json_pack("{s:s, s:s, s:s, s:s*, s:I}", "pipeline", run->cfg->name, "date",
                             run->date, "experiment", experiment, "tracking_uri",
                             s->base ? uri.buf : NULL, "created", (json_int_t)cp_now_ms());
    int rc = head ? cp_mlflow_journal_create(&s->journal, path, head, err) : cp_error_oom(err);
    json_decref(head);
    cp_strbuf_release(&uri);
    return rc;
}

/* mlflow-open: the experiment and the parent run, nothing else. */
static int open_parent(struct cp_mlflow_session *s, const struct cp_run *run,
                       const char *experiment, struct cp_error *err)
{
    json_t *op = json_pack("{s:s, s:s}", "op", "experiment", "name", experiment);
    int rc = op ? cp_mlflow_submit(s, op, err) : cp_error_oom(err);
    return rc < 0 ? rc : parent_create(s, run, cp_now_ms(), err);
}

/* mlflow: everything after the parent's creation. */
static int log_rest(struct cp_mlflow_session *s, const struct cp_run *run, struct cp_error *err)
{
    int64_t ts = cp_now_ms();
    int rc = parent_batch(s, run, ts, 1, NULL, err);
    for (size_t i = 0; rc == 0 && run->cfg->mlflow.child_runs && i < run->nresults; i++)
        rc = child_run(s, run, i, ts, err);
    if (rc == 0 && run->cfg->mlflow.artifacts)
        rc = artifacts(s, run, err);
    if (rc == 0)
        rc = submit_end(s, "parent", run->validation.failed ? "FAILED" : "FINISHED", 1, err);
    return rc;
}

static void record_outcome(struct cp_run *run, struct cp_mlflow_session *s, int log)
{
    const char *status = !s->http ? "journal" : s->offline ? "pending" : "logged";
    snprintf(run->mlflow_status, sizeof(run->mlflow_status), "%s", status);
    const char *id =
        json_string_value(json_object_get(json_object_get(s->runs, "parent"), "run_id"));
    snprintf(run->mlflow_run_id, sizeof(run->mlflow_run_id), "%s", id ? id : "");
    cp_free(run->mlflow_url);
    run->mlflow_url = cp_mlflow_run_url(s->base, s->experiment_id, id);
    if (!log)
        return;
    if (s->offline)
        cp_log(CP_LOG_WARN,
               "stage=mlflow status=pending calls_pending=%ld hint=\"the report is published; "
               "run 'cellpipe mlflow push %s' when the server is back\"",
               s->pending, run->report_dir ? run->report_dir : "REPORT_DIR");
    cp_log(CP_LOG_INFO, "stage=mlflow status=%s requests=%ld acked=%ld pending=%ld run_id=%s",
           status, cp_http_request_count(s->http), s->acks, s->pending, id ? id : "");
}

/* Only an http(s) server can be sent to. Another MLflow URI (a local file store, a database)
 * is often set in a user's environment for other tools: the report then keeps the journal,
 * for a push to a server later, rather than failing. A shard logs nothing to the server:
 * `cellpipe merge` runs the sinks again on the whole fleet, and that run is the one MLflow
 * gets (the shard keeps its journal). warn: say so in the log (once a run). */
static const char *run_uri(const struct cp_run *run, int warn)
{
    const char *uri = run->shard_count > 1 ? NULL : run->cfg->mlflow.tracking_uri;
    if (!uri || !*uri || strncmp(uri, "http://", 7) == 0 || strncmp(uri, "https://", 8) == 0)
        return uri;
    struct cp_strbuf safe;
    cp_strbuf_init(&safe);
    cp_http_redact_url(&safe, uri);
    if (warn)
        cp_log(CP_LOG_WARN,
               "stage=mlflow tracking_uri=\"%s\" msg=\"not an http(s) tracking server: journal "
               "only\"",
               safe.buf);
    cp_strbuf_release(&safe);
    return NULL;
}

static int mlflow_enabled(const struct cp_run *run)
{
    return run->cfg->mlflow.enabled && !run->dry_run;
}

/* Close the journal; on success record status, run id and link in run. */
static int finish_session(struct cp_mlflow_session *s, struct cp_run *run, int rc, int log,
                          struct cp_error *err)
{
    int crc = s->journal.f ? cp_mlflow_journal_close(&s->journal, rc < 0 ? NULL : err) : 0;
    rc = rc < 0 ? rc : crc;
    if (rc == 0)
        record_outcome(run, s, log);
    cp_mlflow_session_release(s);
    return rc;
}

static int open_write(struct cp_run *run, struct cp_error *err)
{
    struct cp_mlflow_session s;
    memset(&s, 0, sizeof(s));
    char *path = cp_path_join(run->staging_dir, CP_MLFLOW_JOURNAL);
    char *experiment = experiment_name(run->cfg);
    int rc = path && experiment ? 0 : cp_error_oom(err);
    if (rc == 0)
        rc = cp_mlflow_session_init(&s, run_uri(run, 1), run->staging_dir, NULL, err);
    if (rc == 0)
        rc = journal_header(&s, run, path, experiment, err);
    if (rc == 0)
        rc = open_parent(&s, run, experiment, err);
    rc = finish_session(&s, run, rc, 1, err);
    cp_free(path);
    cp_free(experiment);
    return rc;
}

static int mlflow_write(struct cp_run *run, struct cp_error *err)
{
    struct cp_mlflow_session s;
    memset(&s, 0, sizeof(s));
    char *path = cp_path_join(run->staging_dir, CP_MLFLOW_JOURNAL);
    int rc = path ? 0 : cp_error_oom(err);
    if (rc == 0)
        rc = cp_mlflow_session_init(&s, run_uri(run, 0), run->staging_dir, NULL, err);
    if (rc == 0) {
        s.defer_tail = 1;
        rc = cp_mlflow_session_resume(&s, path, 0, err);
    }
    if (rc == 0)
        rc = log_rest(&s, run, err);
    rc = finish_session(&s, run, rc, 1, err);
    cp_free(path);
    return rc;
}

/* --- a failed pipeline ----------------------------------------------------------------- */

/* <folder of report_dir>/failed/<date>-<pid>.ndjson: next to the dated reports (which only
 * dated names are taken for), outliving the staging folder. */
static char *failed_journal_path(const struct cp_run *run)
{
    const char *slash = strrchr(run->report_dir, '/');
    struct cp_strbuf sb;
    cp_strbuf_init(&sb);
    if ((slash && cp_strbuf_add(&sb, run->report_dir, (size_t)(slash - run->report_dir + 1))) ||
        cp_strbuf_addf(&sb, "%s/%s-%ld.ndjson", CP_MLFLOW_FAILED_DIR, run->date, (long)getpid())) {
        cp_strbuf_release(&sb);
        return NULL;
    }
    return cp_strbuf_detach(&sb);
}

/* The error as a tag: user-info of any URL in it ("scheme://user:pw@host") becomes "***@". */
static int redact_message(struct cp_strbuf *sb, const char *msg)
{
    const char *p = msg;
    for (const char *scheme; (scheme = strstr(p, "://"));) {
        const char *host = scheme + 3;
        size_t auth = strcspn(host, "/?# \t\"'");
        const char *at = memchr(host, '@', auth);
        if (cp_strbuf_add(sb, p, (size_t)(host - p)))
            return -1;
        if (at && cp_strbuf_adds(sb, "***"))
            return -1;
        p = at ? at : host;
    }
    return cp_strbuf_adds(sb, p);
}

/* Copy the staged journal to kept and continue it there; 1 when it holds the parent run, 0
 * when it does not (the caller starts afresh), negative on error. */
static int resume_staged(struct cp_mlflow_session *s, const char *staged, const char *kept,
                         struct cp_error *err)
{
    char *text = NULL, *dir = cp_strdup(kept);
    size_t len = 0;
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash)
        *slash = '\0';
    int rc = !dir ? cp_error_oom(err) : 0;
    if (rc == 0 && (cp_fs_read_file(staged, &text, &len) != 0 || (slash && cp_fs_mkdirs(dir) < 0) ||
                    cp_fs_write_atomic(kept, text, len) < 0))
        rc = cp_error_set(err, CP_ECANTCREAT, "cannot keep the mlflow journal as '%s'", kept);
    if (rc == 0)
        rc = cp_mlflow_session_resume(s, kept, 1, err);
    if (rc == 0 && !s->parent_journaled)
        rc = cp_mlflow_journal_close(&s->journal, err);
    else if (rc == 0)
        rc = 1;
    cp_free(text);
    cp_free(dir);
    return rc;
}

static int close_failed(struct cp_mlflow_session *s, struct cp_run *run,
                        const struct cp_error *failure, const char *kept, struct cp_error *err)
{
    char *staged = cp_path_join(run->staging_dir, CP_MLFLOW_JOURNAL);
    char *experiment = experiment_name(run->cfg);
    struct cp_strbuf msg;
    cp_strbuf_init(&msg);
    int rc = staged && experiment ? 0 : cp_error_oom(err);
    if (rc == 0 && redact_message(&msg, failure && failure->msg[0] ? failure->msg : "failed"))
        rc = cp_error_oom(err);
    int resumed = rc == 0 && cp_fs_exists(staged) ? resume_staged(s, staged, kept, err) : rc;
    rc = resumed < 0 ? resumed : 0;
    if (rc == 0 && !resumed) { /* failed before mlflow-open: a parent run of its own */
        memset(&s->journal, 0, sizeof(s->journal));
        s->pending = s->offline = s->parent_logged = 0;
        rc = journal_header(s, run, kept, experiment, err);
        if (rc == 0)
            rc = open_parent(s, run, experiment, err);
    }
    /* params, metrics and note unless the mlflow sink logged them before the failure */
    if (rc == 0)
        rc = parent_batch(s, run, cp_now_ms(), !s->parent_logged, msg.buf, err);
    if (rc == 0)
        rc = submit_end(s, "parent", "FAILED", 0, err);
    cp_free(staged);
    cp_free(experiment);
    cp_strbuf_release(&msg);
    return rc;
}

/* The pipeline failed: close the parent run FAILED with the error as a tag (creating the run
 * when the failure came before mlflow-open), in a journal kept outside the staging folder so
 * `cellpipe mlflow push` can finish what the server did not acknowledge. Never fails the
 * failure further: problems are logged. */
static void mlflow_failed(struct cp_run *run, const struct cp_error *failure)
{
    if (!mlflow_enabled(run) || run->shard_count > 1 || !run->staging_dir || !run->report_dir)
        return;
    struct cp_mlflow_session s;
    struct cp_error err;
    memset(&s, 0, sizeof(s));
    cp_error_clear(&err);
    char *kept = failed_journal_path(run);
    int rc = kept ? 0 : cp_error_oom(&err);
    if (rc == 0)
        rc = cp_mlflow_session_init(&s, run_uri(run, 0), run->staging_dir, NULL, &err);
    if (rc == 0)
        rc = close_failed(&s, run, failure, kept, &err);
    rc = finish_session(&s, run, rc, 0, &err);
    if (rc < 0)
        cp_log(CP_LOG_ERROR, "stage=mlflow-failed error=\"%s\"", err.msg);
    else
        cp_log(strcmp(run->mlflow_status, "pending") == 0 ? CP_LOG_WARN : CP_LOG_INFO,
               "stage=mlflow-failed status=%s run_id=%s journal=\"%s\"%s", run->mlflow_status,
               run->mlflow_run_id, kept,
               strcmp(run->mlflow_status, "logged") == 0
                   ? ""
                   : " hint=\"push it with 'cellpipe mlflow push JOURNAL'\"");
    cp_free(kept);
}

/* After publish: send the journal's tail (artifacts, the parent run's end). A failure is
 * a warning: the calls stay in the journal for `cellpipe mlflow push`. */
static int publish_enabled(const struct cp_run *run)
{
    return mlflow_enabled(run) && strcmp(run->mlflow_status, "logged") == 0;
}

static int publish_write(struct cp_run *run, struct cp_error *err)
{
    struct cp_mlflow_session s;
    struct cp_error perr;
    (void)err;
    cp_error_clear(&perr);
    const char *dir = run->report_dir ? run->report_dir : run->staging_dir;
    if (cp_mlflow_push(dir, run->cfg->mlflow.tracking_uri, NULL, &s, &perr) < 0) {
        snprintf(run->mlflow_status, sizeof(run->mlflow_status), "pending");
        cp_log(CP_LOG_WARN,
               "stage=mlflow-publish status=pending error=\"%s\" hint=\"run "
               "'cellpipe mlflow push %s' when the server is back\"",
               perr.msg, dir);
    }
    cp_mlflow_session_release(&s);
    return 0;
}

const struct cp_sink_ops cp_sink_mlflow_open = {
    .name = "mlflow-open",
    .phase = CP_SINK_STAGED,
    .enabled = mlflow_enabled,
    .write = open_write,
    .failed = mlflow_failed,
};

const struct cp_sink_ops cp_sink_mlflow = {
    .name = "mlflow",
    .phase = CP_SINK_STAGED,
    .enabled = mlflow_enabled,
    .write = mlflow_write,
};

const struct cp_sink_ops cp_sink_mlflow_publish = {
    .name = "mlflow-publish",
    .phase = CP_SINK_PUBLISHED,
    .enabled = publish_enabled,
    .write = publish_write,
};
