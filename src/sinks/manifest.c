/*
 * The manifest sink: manifest.json, the run's record (fingerprints, inputs, counts,
 * versions, per-stage timings, validation summary, MLflow run, status). It runs last among
 * the staged sinks so it can record what the others did.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cairo.h>
#include <curl/curl.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <pango/pango.h>
#include <xlsxwriter.h>
#include <yaml.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/run.h"
#include "cellpipe/ml_run.h"
#include "cellpipe/sink.h"
#include "cellpipe/timeutil.h"

#ifndef CP_VERSION
#define CP_VERSION "0.0.0"
#endif

static const char *const rule_names[] = {"required", "range",   "monotonic", "duplicates",
                                         "nan",      "outlier", "gaps"};
static const char *const policy_names[] = {"fail", "quarantine", "warn"};

static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *versions(void)
{
    char pq[32];
    int v = PQlibVersion();
    snprintf(pq, sizeof(pq), "%d.%d", v / 10000, v % 10000);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "cellpipe", CP_VERSION, "libyaml",
                     yaml_get_version_string(), "jansson", JANSSON_VERSION, "libcurl",
                     curl_version_info(CURLVERSION_NOW)->version, "cairo", cairo_version_string(),
                     "pango", pango_version_string(), "libxlsxwriter", LXW_VERSION, "libpq", pq);
}

static json_t *inputs(const struct cp_dataset *ds)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < ds->ninputs; i++) {
        const struct cp_input *in = &ds->inputs[i];
        json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:s, s:I}", "name", in->name, "sha256",
                                           in->sha256, "bytes", (json_int_t)in->bytes, "format",
                                           in->format, "rows", (json_int_t)in->rows));
    }
    return a;
}

static json_t *skipped(const struct cp_dataset *ds)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < ds->nskipped; i++)
        json_array_append_new(a, json_pack("{s:s, s:s}", "name", ds->skipped[i].name, "error",
                                           ds->skipped[i].reason));
    return a;
}

static json_t *validation(const struct cp_validation *v)
{
    json_t *rules = json_array();
    for (size_t i = 0; rules && i < v->nrules; i++) {
        const struct cp_rule_result *r = &v->rules[i];
        if (!r->rule)
            continue;
        json_array_append_new(rules,
                              json_pack("{s:s, s:s, s:s, s:I, s:I, s:f, s:s}", "rule",
                                        rule_names[r->rule->kind], "column", r->rule->column,
                                        "policy", policy_names[r->rule->policy], "checked",
                                        (json_int_t)r->checked, "hits", (json_int_t)r->hits,
                                        "threshold", r->rule->threshold, "examples", r->examples));
    }
    return json_pack("{s:I, s:I, s:o}", "rows_in", (json_int_t)v->rows_in, "rows_quarantined",
                     (json_int_t)v->rows_quarantined, "rules", rules);
}

static json_t *timings(const struct cp_run *run)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < run->ntimings; i++)
        json_object_set_new(o, run->timings[i].stage, json_real(run->timings[i].ms));
    return o;
}

static json_t *counts(const struct cp_run *run)
{
    long long quarantined = run->quarantine ? (long long)run->quarantine->nrows : 0;
    return json_pack("{s:I, s:I, s:I, s:I, s:I}", "cells", (json_int_t)run->data.cells->nrows,
                     "cycles", (json_int_t)run->data.cycles->nrows, "quarantined",
                     (json_int_t)quarantined, "flagged_cells", (json_int_t)run->flagged_cells,
                     "cells_past_eol", (json_int_t)run->cells_past_eol);
}

/* One entry per `models:` entry: what it is, whether it trained, its CV metrics (the same
 * object as models/<name>/model.json's "metrics"). */
static json_t *models(const struct cp_run *run)
{
    json_t *a = json_array();
    for (size_t i = 0; a && run->ml && i < run->ml->n; i++) {
        const struct cp_ml_result *r = &run->ml->m[i];
        json_t *o = json_pack("{s:s, s:s?, s:s?, s:s, s:s?, s:s?, s:I, s:O?}", "name", r->cfg->name,
                              "task", r->model.task, "algorithm", r->model.algorithm, "status",
                              r->skipped   ? "skipped"
                              : r->trained ? "trained"
                                           : "applied",
                              "source", r->source, "note", r->skipped, "train_cells",
                              (json_int_t)(r->trained ? (long)r->ntrain : r->model.train_cells),
                              "metrics", r->model.metrics);
        if (!o || json_array_append_new(a, o) < 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *build(const struct cp_run *run)
{
    char created[32], shard[32];
    cp_format_time(run->epoch, created, sizeof(created));
    snprintf(shard, sizeof(shard), "%u/%u", run->shard_index, run->shard_count);
    json_t *m = json_object();
    json_object_set_new(m, "status", json_string("ok"));
    json_object_set_new(m, "pipeline",
                        json_pack("{s:s, s:s, s:s}", "name", run->cfg->name, "path", run->cfg->path,
                                  "sha256", run->pipeline_sha256));
    json_object_set_new(m, "overrides", cp_strlist_json(&run->cfg->overrides));
    json_object_set_new(m, "config", cp_config_effective(run->cfg));
    json_object_set_new(m, "date", json_string(run->date));
    json_object_set_new(m, "created", json_string(created));
    json_object_set_new(m, "shard", run->shard_count > 1 ? json_string(shard) : json_null());
    json_object_set_new(m, "source", json_string(cp_source_kind_name(run->cfg->source.kind)));
    json_object_set_new(m, "data",
                        json_pack("{s:s, s:o, s:o}", "sha256", run->data_sha256, "inputs",
                                  inputs(&run->data), "skipped", skipped(&run->data)));
    json_object_set_new(m, "counts", counts(run));
    json_object_set_new(m, "validation", validation(&run->validation));
    json_object_set_new(m, "forecast",
                        json_pack("{s:o}", "backtest_mape", num_or_null(run->backtest_mape)));
    if (run->ml)
        json_object_set_new(m, "models", models(run));
    json_object_set_new(m, "mlflow",
                        json_pack("{s:s, s:s?, s:s?}", "status",
                                  run->tracking.status[0] ? run->tracking.status : "disabled",
                                  "run_id", run->tracking.id[0] ? run->tracking.id : NULL, "url",
                                  run->tracking.url));
    json_object_set_new(m, "timings_ms", timings(run));
    json_object_set_new(m, "versions", versions());
    return m;
}

static int manifest_write(struct cp_run *run, struct cp_error *err)
{
    json_t *m = build(run);
    char *text = m ? json_dumps(m, JSON_INDENT(2)) : NULL;
    char *path = cp_run_path(run, "manifest.json");
    int rc = 0;
    if (!text || !path)
        rc = cp_error_oom(err);
    else if (cp_fs_write_atomic(path, text, strlen(text)) < 0)
        rc = cp_error_errno(err, CP_ECANTCREAT, "cannot write '%s'", path);
    free(text); /* allocated by jansson */
    cp_free(path);
    json_decref(m);
    return rc;
}

const struct cp_sink_ops cp_sink_manifest = {
    .name = "manifest", .phase = CP_SINK_STAGED, .write = manifest_write};
