/* MLflow runs: creating and ending runs, the parent run's note and batches, one child run per cell
 * (mlflow_internal.h). */
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
#include "mlflow_internal.h"

static int add_tag(json_t *tags, const char *key, const char *value)
{
    if (!value)
        return 0;
    size_t n = mlf_cut_utf8(value, CP_MLFLOW_MAX_TAG_VALUE);
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

int mlf_submit_end(struct cp_mlflow_session *s, const char *ref, const char *status,
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
 * note (the summary) follows in mlf_parent_batch, when the KPIs are final. */
int mlf_parent_create(struct cp_mlflow_session *s, const struct cp_run *run, int64_t ts,
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
int mlf_parent_batch(struct cp_mlflow_session *s, const struct cp_run *run, int64_t ts, int full,
                     const char *error, struct cp_error *err)
{
    struct cp_strbuf note;
    cp_strbuf_init(&note);
    struct batch b;
    mlf_batch_init(&b, s, "parent", ts, err);
    if (full && b.rc == 0 && summary_note(run, &note))
        b.rc = cp_error_oom(err);
    if (full) {
        mlf_parent_params(&b, run);
        mlf_parent_metrics(&b, run);
        mlf_batch_kv(&b, 1, "mlflow.note.content", note.buf);
    }
    if (error)
        mlf_batch_kv(&b, 1, "cellpipe.error", error);
    mlf_batch_release(&b);
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
            mlf_batch_param(b, cells->cols[c].name, v.buf);
    }
    cp_strbuf_release(&v);
}

static double cycles_or_nan(long c)
{
    return c < 0 ? NAN : (double)c;
}

static void cell_metrics(struct batch *b, const struct cp_cell_result *r)
{
    mlf_batch_metric(b, "n_cycles", (double)r->n_cycles, 0);
    mlf_batch_metric(b, "first_cycle", cycles_or_nan(r->first_cycle), 0);
    mlf_batch_metric(b, "last_cycle", cycles_or_nan(r->last_cycle), 0);
    mlf_batch_metric(b, "reference_ah", r->reference_ah, 0);
    mlf_batch_metric(b, "last_retention", r->last_retention, 0);
    mlf_batch_metric(b, "cycles_to_90", cycles_or_nan(r->cycles_to_90), 0);
    mlf_batch_metric(b, "cycles_to_80", cycles_or_nan(r->cycles_to_80), 0);
    mlf_batch_metric(b, "ce_mean", r->ce_mean, 0);
    mlf_batch_metric(b, "ce_last_n", r->ce_last_n, 0);
    mlf_batch_metric(b, "fade_rate", r->fade_rate, 0);
    mlf_batch_metric(b, "efc_total", r->efc_total, 0);
    mlf_batch_metric(b, "days_on_test", r->days_on_test, 0);
    mlf_batch_metric(b, "eol_observed", cycles_or_nan(r->eol_observed), 0);
    mlf_batch_metric(b, "eol_forecast", r->eol_forecast, 0);
    mlf_batch_metric(b, "eol_lo", r->eol_lo, 0);
    mlf_batch_metric(b, "eol_hi", r->eol_hi, 0);
    mlf_batch_metric(b, "eol_interval_width", r->eol_hi - r->eol_lo, 0);
    mlf_batch_metric(b, "knee_onset", r->knee_onset, 0);
    mlf_batch_metric(b, "knee_point", r->knee_point, 0);
    mlf_batch_metric(b, "flags", (double)r->nflags, 0);
    double best_rmse = r->best_model >= 0 ? r->fits[r->best_model].rmse : NAN;
    mlf_batch_metric(b, "fit_rmse", best_rmse, 0);
    for (int m = 0; m < CP_MODEL_COUNT; m++) {
        if (r->fits[m].status != CP_FIT_OK)
            continue;
        char key[64];
        snprintf(key, sizeof(key), "fit.%s.rmse", cp_model_name((enum cp_model)m));
        mlf_batch_metric(b, key, r->fits[m].rmse, 0);
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
            mlf_batch_metric(b, "retention", ret[i], (long long)idx[i]);
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

int mlf_child_run(struct cp_mlflow_session *s, const struct cp_run *run, size_t i, int64_t ts,
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
        mlf_batch_init(&b, s, ref.buf, ts, err);
        cell_params(&b, run->data.cells, r->cells_row);
        cell_metrics(&b, r);
        if (run->cfg->mlflow.cycle_metrics)
            cycle_metrics(&b, run->data.cycles, r->group);
        mlf_batch_release(&b);
        rc = b.rc;
    }
    if (rc == 0)
        rc = mlf_submit_end(s, ref.buf, "FINISHED", 0, err);
    cp_strbuf_release(&ref);
    return rc;
}

/* --- artifacts ------------------------------------------------------------------------- */
