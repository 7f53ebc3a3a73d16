/* Replaying a report's MLflow journal: 'cellpipe mlflow push', resuming a session, refreshing
 * manifest.json (mlflow_client_internal.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/log.h"
#include "cellpipe/mlflow.h"
#include "cellpipe/strbuf.h"
#include "mlflow_client_internal.h"

/* --- push ------------------------------------------------------------------------------ */

static int collect_acks(json_t *line, void *ctx)
{
    struct cp_mlflow_session *s = ctx;
    json_t *seq = json_object_get(line, "ack");
    if (!json_is_integer(seq))
        return 0;
    char key[32];
    snprintf(key, sizeof(key), "%lld", (long long)json_integer_value(seq));
    if (json_object_set_new(s->acked, key, json_true()))
        return -CP_EINTERNAL;
    const char *exp = json_string_value(json_object_get(line, "experiment_id"));
    if (exp && strlen(exp) < sizeof(s->experiment_id))
        memcpy(s->experiment_id, exp, strlen(exp) + 1);
    const char *ref = json_string_value(json_object_get(line, "ref"));
    const char *run = json_string_value(json_object_get(line, "run_id"));
    if (ref && run) {
        json_t *entry = json_pack("{s:s, s:O*}", "run_id", run, "artifact_uri",
                                  json_object_get(line, "artifact_uri"));
        if (!entry || json_object_set_new(s->runs, ref, entry))
            return -CP_EINTERNAL;
    }
    return 0;
}

struct replay_ctx {
    struct cp_mlflow_session *s;
    struct cp_error *err;
};

static int replay_line(json_t *line, void *ctx)
{
    struct replay_ctx *rc = ctx;
    json_t *seq = json_object_get(line, "seq");
    if (!json_is_integer(seq) || !json_object_get(line, "op"))
        return 0;
    char key[32];
    snprintf(key, sizeof(key), "%lld", (long long)json_integer_value(seq));
    if (json_object_get(rc->s->acked, key))
        return 0;
    return mlc_exec_and_ack(rc->s, line, 1, rc->err);
}

/* After a replay, a manifest that still says "pending" or "journal" gets the run id, link and
 * "logged" (same JSON layout as the manifest sink), and the new copy is uploaded: the email,
 * workbook readers and the MLflow artifact then agree. A manifest already right is left alone,
 * so a second push changes nothing. */
static int refresh_manifest(struct cp_mlflow_session *s, const char *report_dir,
                            struct cp_error *err)
{
    const char *run =
        json_string_value(json_object_get(json_object_get(s->runs, "parent"), "run_id"));
    char *path = cp_path_join(report_dir, "manifest.json"), *text = NULL, *url = NULL;
    json_t *m = path ? json_load_file(path, 0, NULL) : NULL;
    json_t *ml = json_object_get(m, "mlflow");
    const char *status = json_string_value(json_object_get(ml, "status"));
    int rc = path ? 0 : cp_error_oom(err);
    if (rc < 0 || !run || !json_is_object(ml) || (status && strcmp(status, "logged") == 0))
        goto cleanup;
    url = cp_mlflow_run_url(s->base, s->experiment_id, run);
    if (!url || json_object_set_new(ml, "status", json_string("logged")) ||
        json_object_set_new(ml, "run_id", json_string(run)) ||
        json_object_set_new(ml, "url", json_string(url)) ||
        !(text = json_dumps(m, JSON_INDENT(2)))) {
        rc = cp_error_oom(err);
        goto cleanup;
    }
    if (cp_fs_write_atomic(path, text, strlen(text)) < 0) {
        rc = cp_error_errno(err, CP_ECANTCREAT, "cannot write '%s'", path);
        goto cleanup;
    }
    json_t *op =
        json_pack("{s:s, s:s, s:s}", "op", "artifact", "ref", "parent", "path", "manifest.json");
    rc = op ? cp_mlflow_journal_op(&s->journal, op, NULL, err) : cp_error_oom(err);
    if (rc == 0)
        rc = mlc_exec_and_ack(s, op, 1, err);
    json_decref(op);
cleanup:
    free(text);
    cp_free(url);
    cp_free(path);
    json_decref(m);
    return rc;
}

/* Ops of a resumed journal that have no ack: counted (they keep the session offline, so later
 * ops never overtake them), or, for an abandoned tail, acked as skipped. */
struct resume_ctx {
    struct cp_mlflow_session *s;
    int abandon_tail;
    struct cp_error *err;
};

static int resume_line(json_t *line, void *ctx)
{
    struct resume_ctx *rc = ctx;
    json_t *seq = json_object_get(line, "seq");
    const char *kind = json_string_value(json_object_get(line, "op"));
    const char *ref = json_string_value(json_object_get(line, "ref"));
    if (!json_is_integer(seq) || !kind)
        return 0;
    if (strcmp(kind, "create_run") == 0 && ref && strcmp(ref, "parent") == 0)
        rc->s->parent_journaled = 1;
    if (strcmp(kind, "log_batch") == 0 && ref && strcmp(ref, "parent") == 0)
        rc->s->parent_logged = 1;
    char key[32];
    snprintf(key, sizeof(key), "%lld", (long long)json_integer_value(seq));
    if (json_object_get(rc->s->acked, key))
        return 0;
    if (!rc->abandon_tail || !json_is_true(json_object_get(line, "after_publish"))) {
        rc->s->pending++;
        return 0;
    }
    json_t *why = json_pack("{s:s}", "skipped", "run failed");
    int r =
        why ? cp_mlflow_journal_ack(&rc->s->journal, (long)json_integer_value(seq), why, rc->err)
            : cp_error_oom(rc->err);
    json_decref(why);
    return r;
}

int cp_mlflow_session_resume(struct cp_mlflow_session *s, const char *path, int abandon_tail,
                             struct cp_error *err)
{
    int rc = cp_mlflow_journal_open(&s->journal, path, err);
    if (rc == 0)
        rc = cp_mlflow_journal_scan(path, collect_acks, s, err);
    if (rc == -CP_EINTERNAL)
        rc = cp_error_oom(err);
    struct resume_ctx ctx = {s, abandon_tail, err};
    if (rc == 0)
        rc = cp_mlflow_journal_scan(path, resume_line, &ctx, err);
    if (rc == 0 && s->pending > 0 && s->http) /* journal only: nothing is sent anyway */
        s->offline = 1;
    return rc;
}

int cp_mlflow_push(const char *report_dir, const char *tracking_uri,
                   const struct cp_http_options *opts, struct cp_mlflow_session *s,
                   struct cp_error *err)
{
    memset(s, 0, sizeof(*s));
    if (!tracking_uri || !*tracking_uri)
        return cp_error_set(err, CP_ECONFIG,
                            "no MLflow tracking URI: set MLFLOW_TRACKING_URI or pass "
                            "--tracking-uri");
    /* a report folder, or a journal file kept from a failed run (docs/mlflow.md) */
    int folder = cp_fs_is_dir(report_dir);
    char *path = folder ? cp_path_join(report_dir, CP_MLFLOW_JOURNAL) : cp_strdup(report_dir);
    const char *slash = strrchr(report_dir, '/');
    char *root = folder  ? cp_strdup(report_dir)
                 : slash ? cp_strndup(report_dir, (size_t)(slash - report_dir))
                         : cp_strdup(".");
    if (!path || !root) {
        cp_free(path);
        cp_free(root);
        return cp_error_oom(err);
    }
    int rc = cp_mlflow_session_init(s, tracking_uri, root, opts, err);
    cp_free(root);
    if (rc == 0)
        rc = cp_mlflow_journal_open(&s->journal, path, err);
    if (rc == 0)
        rc = cp_mlflow_journal_scan(path, collect_acks, s, err);
    if (rc == -CP_EINTERNAL)
        rc = cp_error_oom(err);
    s->skipped = (long)json_object_size(s->acked);
    struct replay_ctx ctx = {s, err};
    if (rc == 0)
        rc = cp_mlflow_journal_scan(path, replay_line, &ctx, err);
    if (rc == 0 && folder)
        rc = refresh_manifest(s, report_dir, err);
    int crc = cp_mlflow_journal_close(&s->journal, rc < 0 ? NULL : err);
    cp_free(path);
    return rc < 0 ? rc : crc;
}
