/* One pipeline run: see include/cellpipe/runner.h. */
#include <errno.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cellpipe/alloc.h"
#include "cellpipe/config.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/hash.h"
#include "cellpipe/log.h"
#include "cellpipe/ml_inputs.h"
#include "cellpipe/ml_run.h"
#include "cellpipe/pool.h"
#include "cellpipe/progress.h"
#include "cellpipe/report.h"
#include "cellpipe/run.h"
#include "cellpipe/runner.h"
#include "cellpipe/sink.h"
#include "cellpipe/source.h"
#include "cellpipe/stages.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/timeutil.h"

static int stage_source(struct cp_run *run, struct cp_error *err)
{
    const struct cp_source_ops *src = cp_source_find(run->cfg->source.kind);
    if (!src)
        return cp_error_set(err, CP_ECONFIG, "%s: source kind '%s' is not available in this build",
                            run->cfg->path, cp_source_kind_name(run->cfg->source.kind));
    int rc = src->load(run->cfg, &run->data, err);
    if (rc < 0)
        return rc;
    if (cp_table_sort(run->data.cells, "cell_id", NULL) < 0 ||
        cp_table_sort(run->data.cycles, "cell_id", "cycle_index") < 0 ||
        cp_table_group(run->data.cycles, "cell_id") < 0)
        return cp_error_oom(err);
    cp_log(CP_LOG_INFO, "stage=source kind=%s cells=%zu cycles=%zu inputs=%zu", src->name,
           run->data.cells->nrows, run->data.cycles->nrows, run->data.ninputs);
    return 0;
}

/* sha256 over the selected data: per column its name, type and values (doubles and integers
 * as their 8 bytes, every NaN alike; strings with a length prefix). The same data gives the
 * same fingerprint whatever the source, at hashing speed rather than formatting speed. */
static int hash_column(struct cp_sha256 *h, const struct cp_column *c, size_t nrows)
{
    uint64_t tag = (uint64_t)c->type;
    if (cp_sha256_update(h, c->name, strlen(c->name) + 1) < 0 ||
        cp_sha256_update(h, &tag, sizeof(tag)) < 0)
        return -1;
    if (c->type == CP_STR) {
        for (size_t r = 0; r < nrows; r++) {
            uint64_t len = c->v.str[r] ? strlen(c->v.str[r]) : UINT64_MAX;
            if (cp_sha256_update(h, &len, sizeof(len)) < 0 ||
                (c->v.str[r] && cp_sha256_update(h, c->v.str[r], (size_t)len) < 0))
                return -1;
        }
        return 0;
    }
    if (c->type != CP_F64)
        return cp_sha256_update(h, c->v.raw, nrows * 8);
    double buf[512]; /* doubles in blocks, every NaN given one bit pattern */
    for (size_t r = 0; r < nrows; r += 512) {
        size_t n = nrows - r < 512 ? nrows - r : 512;
        for (size_t i = 0; i < n; i++)
            buf[i] = isnan(c->v.f64[r + i]) ? NAN : c->v.f64[r + i];
        if (cp_sha256_update(h, buf, n * sizeof(double)) < 0)
            return -1;
    }
    return 0;
}

static int hash_table(struct cp_sha256 *h, const struct cp_table *t)
{
    uint64_t n = t->nrows;
    if (cp_sha256_update(h, &n, sizeof(n)) < 0)
        return -1;
    for (size_t c = 0; c < t->ncols; c++)
        if (hash_column(h, &t->cols[c], t->nrows) < 0)
            return -1;
    return 0;
}

static int stage_fingerprint(struct cp_run *run, struct cp_error *err)
{
    struct cp_sha256 h;
    if (cp_sha256_init(&h) < 0)
        return cp_error_oom(err);
    int rc = hash_table(&h, run->data.cells);
    if (rc == 0)
        rc = hash_table(&h, run->data.cycles);
    if (rc < 0) {
        cp_sha256_release(&h);
        return cp_error_oom(err);
    }
    return cp_sha256_final(&h, run->data_sha256) < 0 ? cp_error_oom(err) : 0;
}

static int stage_reuse(struct cp_run *run, struct cp_error *err)
{
    const struct cp_source_ops *src = cp_source_find(run->cfg->source.kind);
    return src && src->reuse ? src->reuse(run, err) : 0;
}

/* The source's save (before publish) or commit (after) hook, timed like a sink. */
static int source_hook(struct cp_run *run, int after_publish, struct cp_error *err)
{
    const struct cp_source_ops *src = cp_source_find(run->cfg->source.kind);
    int (*hook)(const struct cp_run *, struct cp_error *) = !src            ? NULL
                                                            : after_publish ? src->commit
                                                                            : src->save;
    if (!hook)
        return 0;
    double t0 = cp_monotonic_ms();
    int rc = hook(run, err);
    cp_run_timing(run, after_publish ? "source_commit" : "source_save", cp_monotonic_ms() - t0);
    return rc;
}

struct stage {
    const char *name;
    int (*run)(struct cp_run *run, struct cp_error *err);
};

/* The stages, in order. A new stage is one line here. */
/* clang-format off */
static const struct stage stages[] = {
    {"source", stage_source},
    {"select", cp_stage_select},
    {"fingerprint", stage_fingerprint},
    {"validate", cp_stage_validate},
    {"features", cp_stage_features},
    {"cache", stage_reuse}, /* incremental runs: the source restores unchanged cells */
    {"models", cp_stage_models}, /* fits, end of life, knee, forecasts, anomalies */
    {"statistics", cp_stage_statistics}, /* groups, comparisons, survival of cycle life */
    {"ml", cp_report_ml_stage}, /* early-life models: train, register, predict */
};
/* clang-format on */

static int run_stages(struct cp_run *run, struct cp_error *err)
{
    for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i++) {
        double t0 = cp_monotonic_ms();
        cp_progress_begin(stages[i].name);
        int rc = stages[i].run(run, err);
        cp_progress_end();
        cp_run_timing(run, stages[i].name, cp_monotonic_ms() - t0);
        if (rc < 0)
            return rc;
    }
    return 0;
}

#define GROUP_MAX (CP_SINK_LANES * CP_SINK_LANE_LEN)

/* One group's enabled sinks: lane[l] lists indexes into sink[]. */
struct sink_job {
    struct cp_run *run;
    const struct cp_sink_ops *sink[GROUP_MAX];
    size_t lane[CP_SINK_LANES][CP_SINK_LANE_LEN], lane_len[CP_SINK_LANES], nlanes;
    struct cp_error err[GROUP_MAX];
    int rc[GROUP_MAX];
    int ran[GROUP_MAX];
    double ms[GROUP_MAX];
};

/* The sinks of lane l, in order, until one fails. */
static int lane_run(void *ctx, size_t l)
{
    struct sink_job *job = ctx;
    for (size_t k = 0; k < job->lane_len[l]; k++) {
        size_t i = job->lane[l][k];
        double t0 = cp_monotonic_ms();
        job->rc[i] = job->sink[i]->write(job->run, &job->err[i]);
        job->ms[i] = cp_monotonic_ms() - t0;
        job->ran[i] = 1;
        if (job->rc[i] < 0)
            return job->rc[i];
    }
    return 0;
}

static size_t enabled_sinks(struct cp_run *run, const struct cp_sink_group *g,
                            enum cp_sink_phase phase, struct sink_job *job)
{
    size_t n = 0;
    for (size_t l = 0; l < CP_SINK_LANES; l++) {
        size_t len = 0;
        for (size_t k = 0; k < CP_SINK_LANE_LEN && g->lane[l][k]; k++) {
            const struct cp_sink_ops *s = g->lane[l][k];
            if (s->phase == phase && (!s->enabled || s->enabled(run))) {
                job->lane[job->nlanes][len++] = n;
                job->sink[n++] = s;
            }
        }
        if (len)
            job->lane_len[job->nlanes++] = len;
    }
    return n;
}

/* The enabled sinks of one group, its lanes at once. Timings and the error are what a serial
 * run would give: in registry order, the error of the first sink that failed. */
static int run_group(struct cp_run *run, const struct cp_sink_group *g, enum cp_sink_phase phase,
                     struct cp_error *err)
{
    struct sink_job job = {.run = run};
    size_t n = enabled_sinks(run, g, phase, &job);
    if (n == 0)
        return 0;
    cp_progress_begin(n == 1 ? job.sink[0]->name : "outputs");
    int rc = cp_pool_run(run->cfg->report.threads, job.nlanes, lane_run, &job, err);
    cp_progress_end();
    for (size_t i = 0; i < n; i++)
        if (job.ran[i])
            cp_run_timing(run, job.sink[i]->name, job.ms[i]);
    for (size_t i = 0; i < n; i++)
        if (job.rc[i] < 0) {
            *err = job.err[i];
            return job.rc[i];
        }
    return rc;
}

static int run_sinks(struct cp_run *run, enum cp_sink_phase phase, struct cp_error *err)
{
    int rc = 0;
    for (size_t g = 0; rc == 0 && g < cp_sink_ngroups; g++)
        rc = run_group(run, &cp_sink_groups[g], phase, err);
    return rc;
}

static void sinks_failed(struct cp_run *run, const struct cp_error *failure)
{
    for (size_t g = 0; g < cp_sink_ngroups; g++)
        for (size_t l = 0; l < CP_SINK_LANES; l++)
            for (size_t k = 0; k < CP_SINK_LANE_LEN; k++) {
                const struct cp_sink_ops *s = cp_sink_groups[g].lane[l][k];
                if (s && s->failed)
                    s->failed(run, failure);
            }
}

static int resolve_date(struct cp_run *run, const char *date, struct cp_error *err)
{
    int64_t t;
    if (!date || strcmp(date, "today") == 0) {
        cp_format_date((int64_t)time(NULL), run->date, sizeof(run->date));
    } else if (cp_parse_date(date, &t) < 0) {
        return cp_error_set(err, CP_EUSAGE, "invalid --date '%s' (expected YYYY-MM-DD)", date);
    } else {
        snprintf(run->date, sizeof(run->date), "%s", date);
    }
    cp_parse_date(run->date, &run->epoch);
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    char *end;
    if (sde && *sde) {
        long long v = strtoll(sde, &end, 10);
        if (*end || v < 0)
            return cp_error_set(err, CP_EUSAGE, "invalid SOURCE_DATE_EPOCH '%s'", sde);
        run->epoch = v;
    }
    return 0;
}

static int init_run(struct cp_run *run, const struct cp_config *cfg,
                    const struct cp_run_options *opt, struct cp_error *err)
{
    memset(run, 0, sizeof(*run));
    run->cfg = cfg;
    run->dry_run = opt->dry_run;
    run->full_refresh = opt->full_refresh;
    run->shard_index = opt->shard_index;
    run->shard_count = opt->shard_count ? opt->shard_count : 1;
    run->backtest_mape = NAN;
    int rc = resolve_date(run, opt->date, err);
    if (rc == 0)
        rc = cp_dataset_init(&run->data, err);
    char *text = NULL;
    size_t len = 0;
    if (rc == 0 && cp_fs_read_file(cfg->path, &text, &len) == 0) {
        cp_sha256_hex(text, len, run->pipeline_sha256);
        cp_free(text);
    }
    return rc;
}

static void release_run(struct cp_run *run)
{
    cp_dataset_release(&run->data);
    cp_table_free(run->quarantine);
    cp_free(run->validation.rules);
    cp_free(run->validation.cells);
    cp_free(run->results);
    cp_run_statistics_release(run);
    cp_ml_run_free(run->ml);
    run->ml = NULL;
    cp_free(run->report_dir);
    cp_free(run->staging_dir);
    cp_free(run->tracking.url);
    const struct cp_source_ops *src = run->cfg ? cp_source_find(run->cfg->source.kind) : NULL;
    if (src && src->release)
        src->release(run->source_state);
}

static FILE *open_run_log(struct cp_run *run)
{
    char *p = cp_run_path(run, "run.log");
    FILE *f = p ? fopen(p, "w") : NULL;
    cp_free(p);
    cp_log_tee(f);
    return f;
}

static void count_kpis(struct cp_run *run)
{
    run->flagged_cells = run->cells_past_eol = 0;
    for (size_t i = 0; i < run->nresults; i++) {
        run->flagged_cells += run->results[i].nattention > 0;
        run->cells_past_eol += run->results[i].eol_observed >= 0;
    }
}

/* The source's own lock (PostgreSQL: an advisory lock), taken inside the run so that its
 * failure (the server down, a login refused) gets the failure handling of any other stage. */
static int source_lock(struct cp_run *run, void **srclock, struct cp_error *err)
{
    const struct cp_source_ops *src = cp_source_find(run->cfg->source.kind);
    return src && src->lock ? src->lock(run, srclock, err) : 0;
}

/* Test hook, read only here: CELLPIPE_TEST_PAUSE_BEFORE_PUBLISH=seconds holds a run between
 * its last staged write and the lock check, so a test can end the lock's session meanwhile
 * (tests/integration/pg_lock.sh). */
static void test_pause(void)
{
    const char *s = getenv("CELLPIPE_TEST_PAUSE_BEFORE_PUBLISH");
    char *end;
    long sec = s && *s ? strtol(s, &end, 10) : 0;
    if (sec <= 0 || *end)
        return;
    cp_log(CP_LOG_INFO, "stage=pause seconds=%ld (CELLPIPE_TEST_PAUSE_BEFORE_PUBLISH)", sec);
    struct timespec ts = {sec, 0};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Right before publish: a source lock lost during the run (its session ended) may have been
 * taken by a run elsewhere; publishing too would make two reports of one pipeline. */
static int source_check_lock(struct cp_run *run, void *srclock, struct cp_error *err)
{
    const struct cp_source_ops *src = cp_source_find(run->cfg->source.kind);
    test_pause();
    return srclock && src && src->check_lock ? src->check_lock(srclock, err) : 0;
}

/* Everything after the report lock: stage, compute, write, publish. */
static int locked_run(struct cp_run *run, const char *base, void **srclock, struct cp_error *err)
{
    FILE *log = NULL;
    int rc = cp_report_stage(run, base, err);
    if (rc == 0) {
        log = open_run_log(run);
        cp_log(CP_LOG_INFO, "stage=run pipeline=%s date=%s staging=\"%s\"", run->cfg->name,
               run->date, run->staging_dir);
        rc = source_lock(run, srclock, err);
    }
    if (rc == 0)
        rc = run_stages(run, err);
    if (rc == 0) {
        count_kpis(run);
        rc = run_sinks(run, CP_SINK_STAGED, err);
    }
    if (rc == 0)
        rc = source_hook(run, 0, err);
    if (rc == 0)
        rc = source_check_lock(run, *srclock, err);
    if (rc < 0)
        cp_log(CP_LOG_ERROR, "stage=run msg=\"%s\"", err->msg);
    cp_log_tee(NULL);
    if (log)
        fclose(log);
    if (rc == 0)
        rc = cp_report_publish(run, base, err);
    if (rc < 0) {
        sinks_failed(run, err); /* before discard: run.log is in the staging folder */
        cp_report_discard(run);
        return rc;
    }
    cp_log(CP_LOG_INFO, "stage=publish report=\"%s\"", run->report_dir);
    rc = source_hook(run, 1, err);
    if (rc == 0)
        rc = run_sinks(run, CP_SINK_PUBLISHED, err);
    if (rc < 0) /* the report stands; what failed after it is a service problem */
        err->code = CP_EUNAVAILABLE;
    return rc < 0 ? -CP_EUNAVAILABLE : 0;
}

static void fill_outcome(const struct cp_run *run, int published, struct cp_run_outcome *out)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->date, sizeof(out->date), "%s", run->date);
    out->dry_run = run->dry_run;
    if (run->data.cells && run->data.cycles) {
        out->cells = run->data.cells->nrows;
        out->cycles = run->data.cycles->nrows;
    }
    out->quarantined = run->validation.rows_quarantined;
    out->past_eol = run->cells_past_eol;
    out->attention = run->flagged_cells;
    out->mlflow_pending = run->tracking.status[0] && strcmp(run->tracking.status, "disabled") != 0
                              ? run->tracking.pending
                              : -1;
    if (published && run->report_dir)
        out->report_dir = cp_strdup(run->report_dir);
}

void cp_run_outcome_release(struct cp_run_outcome *out)
{
    if (!out)
        return;
    cp_free(out->report_dir);
    out->report_dir = NULL;
}

int cp_runner_run(const struct cp_config *cfg, const struct cp_run_options *opt,
                  struct cp_run_outcome *out, struct cp_error *err)
{
    struct cp_run run;
    struct cp_report_lock lk = {-1};
    const struct cp_source_ops *src = cp_source_find(cfg->source.kind);
    void *srclock = NULL;
    char *base = NULL;
    int rc = init_run(&run, cfg, opt, err);
    if (rc < 0)
        goto cleanup;
    if (run.dry_run) {
        rc = run_stages(&run, err);
        if (rc == 0)
            cp_log(CP_LOG_INFO, "stage=dry-run cells=%zu cycles=%zu quarantined=%lld",
                   run.data.cells->nrows, run.data.cycles->nrows, run.validation.rows_quarantined);
        goto cleanup;
    }
    base = cp_path_join(opt->out ? opt->out : cfg->report.root, cfg->name);
    if (!base) {
        rc = cp_error_oom(err);
        goto cleanup;
    }
    rc = cp_report_lock(&lk, base, err);
    if (rc == 0)
        rc = locked_run(&run, base, &srclock, err);
cleanup:
    if (out)
        fill_outcome(&run, rc == 0 || -rc == CP_EUNAVAILABLE, out);
    if (srclock)
        src->unlock(srclock);
    cp_report_unlock(&lk);
    cp_free(base);
    release_run(&run);
    return rc;
}
