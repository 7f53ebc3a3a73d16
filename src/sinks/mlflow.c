/* The MLflow sink (DESIGN.md "sinks", docs/mlflow.md): one parent run per pipeline run, one child
 * run per cell, everything journaled before it is sent (mlflow_client.c sends, mlflow_journal.c
 * writes). A server that fails never fails the report: the run is marked pending and 'cellpipe
 * mlflow push' finishes the job. The sink ops and the run's lifecycle: open, log, publish, close a
 * failed run. */
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
    return rc < 0 ? rc : mlf_parent_create(s, run, cp_now_ms(), err);
}

/* mlflow: everything after the parent's creation. */
static int log_rest(struct cp_mlflow_session *s, const struct cp_run *run, struct cp_error *err)
{
    int64_t ts = cp_now_ms();
    int rc = mlf_parent_batch(s, run, ts, 1, NULL, err);
    for (size_t i = 0; rc == 0 && run->cfg->mlflow.child_runs && i < run->nresults; i++)
        rc = mlf_child_run(s, run, i, ts, err);
    if (rc == 0) /* a training run per trained model, and its registration */
        rc = mlf_models(s, run, ts, err);
    if (rc == 0 && run->cfg->mlflow.artifacts)
        rc = mlf_artifacts(s, run, err);
    if (rc == 0)
        rc = mlf_submit_end(s, "parent", run->validation.failed ? "FAILED" : "FINISHED", 1, err);
    return rc;
}

static void record_outcome(struct cp_run *run, struct cp_mlflow_session *s, int log)
{
    const char *status = !s->http ? "journal" : s->offline ? "pending" : "logged";
    snprintf(run->tracking.status, sizeof(run->tracking.status), "%s", status);
    run->tracking.pending = s->pending;
    const char *id =
        json_string_value(json_object_get(json_object_get(s->runs, "parent"), "run_id"));
    snprintf(run->tracking.id, sizeof(run->tracking.id), "%s", id ? id : "");
    cp_free(run->tracking.url);
    run->tracking.url = cp_mlflow_run_url(s->base, s->experiment_id, id);
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
        rc = mlf_parent_batch(s, run, cp_now_ms(), !s->parent_logged, msg.buf, err);
    if (rc == 0)
        rc = mlf_submit_end(s, "parent", "FAILED", 0, err);
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
        cp_log(strcmp(run->tracking.status, "pending") == 0 ? CP_LOG_WARN : CP_LOG_INFO,
               "stage=mlflow-failed status=%s run_id=%s journal=\"%s\"%s", run->tracking.status,
               run->tracking.id, kept,
               strcmp(run->tracking.status, "logged") == 0
                   ? ""
                   : " hint=\"push it with 'cellpipe mlflow push JOURNAL'\"");
    cp_free(kept);
}

/* After publish: send the journal's tail (mlf_artifacts, the parent run's end). A failure is
 * a warning: the calls stay in the journal for `cellpipe mlflow push`. */
static int publish_enabled(const struct cp_run *run)
{
    return mlflow_enabled(run) && strcmp(run->tracking.status, "logged") == 0;
}

static int publish_write(struct cp_run *run, struct cp_error *err)
{
    struct cp_mlflow_session s;
    struct cp_error perr;
    (void)err;
    cp_error_clear(&perr);
    const char *dir = run->report_dir ? run->report_dir : run->staging_dir;
    if (cp_mlflow_push(dir, run->cfg->mlflow.tracking_uri, NULL, &s, &perr) < 0) {
        snprintf(run->tracking.status, sizeof(run->tracking.status), "pending");
        cp_log(CP_LOG_WARN,
               "stage=mlflow-publish status=pending error=\"%s\" hint=\"run "
               "'cellpipe mlflow push %s' when the server is back\"",
               perr.msg, dir);
    } else {
        run->tracking.pending = s.pending;
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
