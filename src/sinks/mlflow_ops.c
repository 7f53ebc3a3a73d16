/* Executing journal ops against an MLflow server: experiments, runs (found again by their journal
 * key), log batches, updates, artifacts; each acknowledged in the journal
 * (mlflow_client_internal.h). */
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

/* --- ops ------------------------------------------------------------------------------- */

static int get_experiment(struct cp_mlflow_session *s, const char *name, struct reply *r,
                          struct cp_error *err)
{
    struct cp_strbuf path;
    cp_strbuf_init(&path);
    int rc = cp_strbuf_adds(&path, "/api/2.0/mlflow/experiments/get-by-name?experiment_name=") ||
                     cp_http_escape(&path, name)
                 ? cp_error_oom(err)
                 : mlc_call(s, "GET", path.buf, NULL, r, err);
    cp_strbuf_release(&path);
    return rc;
}

static int exec_experiment(struct cp_mlflow_session *s, json_t *op, json_t *ack,
                           struct cp_error *err)
{
    const char *name = json_string_value(json_object_get(op, "name"));
    struct reply r;
    if (!name)
        return cp_error_set(err, CP_EDATA, "journal op %lld: experiment without a name",
                            json_integer_value(json_object_get(op, "seq")));
    int rc = get_experiment(s, name, &r, err);
    for (int tries = 0; rc == 0 && r.status != 200 && tries < 2; tries++) {
        if (strcmp(r.code, "RESOURCE_DOES_NOT_EXIST") != 0) {
            rc = mlc_call_fail("experiments/get-by-name", &r, err);
            break;
        }
        mlc_reply_release(&r);
        json_t *body = json_pack("{s:s}", "name", name);
        rc = body ? mlc_call(s, "POST", "/api/2.0/mlflow/experiments/create", body, &r, err)
                  : cp_error_oom(err);
        json_decref(body);
        if (rc == 0 && r.status != 200 && strcmp(r.code, "RESOURCE_ALREADY_EXISTS") == 0) {
            mlc_reply_release(&r); /* created meanwhile by someone else: look it up again */
            rc = get_experiment(s, name, &r, err);
        }
    }
    if (rc == 0 && r.status != 200)
        rc = mlc_call_fail("experiments/create", &r, err);
    if (rc < 0) {
        mlc_reply_release(&r);
        return rc;
    }
    json_t *exp = json_object_get(r.json, "experiment");
    const char *id = json_string_value(json_object_get(exp ? exp : r.json, "experiment_id"));
    const char *stage = json_string_value(json_object_get(exp, "lifecycle_stage"));
    if (stage && strcmp(stage, "deleted") == 0)
        rc = cp_error_set(err, CP_ECONFIG,
                          "mlflow experiment '%s' is deleted: restore it (mlflow experiments "
                          "restore) or choose another name",
                          name);
    else if (!id || strlen(id) >= sizeof(s->experiment_id))
        rc =
            cp_error_set(err, CP_EUNAVAILABLE, "mlflow experiment '%s': no id in the answer", name);
    else {
        memcpy(s->experiment_id, id, strlen(id) + 1);
        rc = json_object_set_new(ack, "experiment_id", json_string(id)) ? cp_error_oom(err) : 0;
    }
    mlc_reply_release(&r);
    return rc;
}

static const char *run_id_of(struct cp_mlflow_session *s, const char *ref)
{
    return ref ? json_string_value(json_object_get(json_object_get(s->runs, ref), "run_id")) : NULL;
}

static int journal_key(struct cp_mlflow_session *s, const char *ref, struct cp_strbuf *sb)
{
    return cp_strbuf_addf(sb, "%s/%s", s->journal.journal_id, ref);
}

/* A run from an earlier push whose ack was lost, found by its journal key. */
static int find_run(struct cp_mlflow_session *s, const char *key, json_t **info,
                    struct cp_error *err)
{
    struct cp_strbuf filter;
    struct reply r;
    cp_strbuf_init(&filter);
    *info = NULL;
    if (cp_strbuf_addf(&filter, "tags.`cellpipe.journal_key` = '%s'", key))
        return cp_error_oom(err);
    json_t *body = json_pack("{s:[s], s:s, s:i, s:s}", "experiment_ids", s->experiment_id, "filter",
                             filter.buf, "max_results", 1, "run_view_type", "ACTIVE_ONLY");
    cp_strbuf_release(&filter);
    if (!body)
        return cp_error_oom(err);
    int rc = mlc_post(s, "runs/search", body, &r, err);
    json_decref(body);
    if (rc == 0) {
        json_t *run = json_array_get(json_object_get(r.json, "runs"), 0);
        *info = json_incref(json_object_get(run, "info"));
    }
    mlc_reply_release(&r);
    return rc;
}

static int create_body(struct cp_mlflow_session *s, json_t *op, const char *ref, json_t **out,
                       struct cp_error *err)
{
    const char *parent = json_string_value(json_object_get(op, "parent"));
    const char *parent_id = run_id_of(s, parent);
    if (parent && !parent_id)
        return cp_error_set(err, CP_EDATA, "journal: run '%s' needs run '%s', never created", ref,
                            parent);
    struct cp_strbuf key;
    cp_strbuf_init(&key);
    json_t *tags = json_deep_copy(json_object_get(op, "tags"));
    if (!tags)
        tags = json_array();
    int bad = !tags || journal_key(s, ref, &key) ||
              json_array_append_new(
                  tags, json_pack("{s:s,s:s}", "key", "cellpipe.journal_key", "value", key.buf)) ||
              (parent_id &&
               json_array_append_new(
                   tags, json_pack("{s:s,s:s}", "key", "mlflow.parentRunId", "value", parent_id)));
    cp_strbuf_release(&key);
    *out = bad ? NULL
               : json_pack("{s:s, s:O, s:O, s:o}", "experiment_id", s->experiment_id, "run_name",
                           json_object_get(op, "run_name"), "start_time",
                           json_object_get(op, "start_time"), "tags", tags);
    if (!*out) {
        if (bad)
            json_decref(tags);
        return cp_error_oom(err);
    }
    return 0;
}

/* runs/create, sent again only after the run was looked up by its journal key and not found:
 * when the answer is lost after the server created the run (connection reset), a blind resend
 * would leave a second run with the same key, the first one RUNNING and empty for ever. */
static int create_run(struct cp_mlflow_session *s, json_t *body, const char *key, json_t **info,
                      struct cp_error *err)
{
    int tries = cp_http_max_retries(s->http);
    for (int k = 0;; k++) {
        struct reply r;
        int rc = mlc_post_once(s, "runs/create", body, &r, err);
        int unsure = r.unsure;
        if (rc == 0)
            *info = json_incref(json_object_get(json_object_get(r.json, "run"), "info"));
        mlc_reply_release(&r);
        if (rc == 0 || !unsure || k >= tries)
            return rc;
        cp_log(CP_LOG_WARN, "stage=mlflow op=runs/create key=\"%s\" error=\"%s\" lookup=yes", key,
               err->msg);
        cp_error_clear(err);
        rc = find_run(s, key, info, err);
        if (rc < 0 || *info)
            return rc;
    }
}

static int exec_create_run(struct cp_mlflow_session *s, json_t *op, int replay, json_t *ack,
                           struct cp_error *err)
{
    const char *ref = json_string_value(json_object_get(op, "ref"));
    json_t *info = NULL, *body = NULL;
    struct cp_strbuf key;
    int rc = 0;
    if (!ref || !s->experiment_id[0])
        return cp_error_set(err, CP_EDATA, "journal op %lld: create_run without %s",
                            json_integer_value(json_object_get(op, "seq")),
                            ref ? "an experiment before it" : "a ref");
    cp_strbuf_init(&key);
    if (journal_key(s, ref, &key))
        rc = cp_error_oom(err);
    else if (replay)
        rc = find_run(s, key.buf, &info, err);
    if (rc == 0 && !info) {
        rc = create_body(s, op, ref, &body, err);
        if (rc == 0)
            rc = create_run(s, body, key.buf, &info, err);
    }
    cp_strbuf_release(&key);
    const char *id = json_string_value(json_object_get(info, "run_id"));
    json_t *uri = json_object_get(info, "artifact_uri");
    if (rc == 0 && !id)
        rc = cp_error_set(err, CP_EUNAVAILABLE, "mlflow 'runs/create': no run id in the answer");
    if (rc == 0) {
        json_t *entry = json_pack("{s:s, s:O*}", "run_id", id, "artifact_uri", uri);
        if (!entry || json_object_set_new(s->runs, ref, entry) ||
            json_object_set_new(ack, "ref", json_string(ref)) ||
            json_object_set_new(ack, "run_id", json_string(id)) ||
            (uri && json_object_set(ack, "artifact_uri", uri)))
            rc = cp_error_oom(err);
    }
    json_decref(info);
    json_decref(body);
    return rc;
}

static int need_run(struct cp_mlflow_session *s, json_t *op, const char **id, struct cp_error *err)
{
    const char *ref = json_string_value(json_object_get(op, "ref"));
    *id = run_id_of(s, ref);
    if (!*id)
        return cp_error_set(err, CP_EDATA, "journal op %lld: run '%s' was never created",
                            json_integer_value(json_object_get(op, "seq")), ref ? ref : "");
    return 0;
}

static int exec_log_batch(struct cp_mlflow_session *s, json_t *op, struct cp_error *err)
{
    const char *id;
    struct reply r;
    int rc = need_run(s, op, &id, err);
    if (rc < 0)
        return rc;
    json_t *body = json_pack("{s:s}", "run_id", id);
    static const char *const parts[] = {"metrics", "params", "tags"};
    for (size_t i = 0; body && i < 3; i++) {
        json_t *v = json_object_get(op, parts[i]);
        if (v && json_object_set(body, parts[i], v)) {
            json_decref(body);
            body = NULL;
        }
    }
    if (!body)
        return cp_error_oom(err);
    rc = mlc_post(s, "runs/log-batch", body, &r, err);
    json_decref(body);
    mlc_reply_release(&r);
    return rc;
}

static int exec_update_run(struct cp_mlflow_session *s, json_t *op, struct cp_error *err)
{
    const char *id;
    struct reply r;
    int rc = need_run(s, op, &id, err);
    if (rc < 0)
        return rc;
    json_t *body =
        json_pack("{s:s, s:O, s:O}", "run_id", id, "status", json_object_get(op, "status"),
                  "end_time", json_object_get(op, "end_time"));
    if (!body)
        return cp_error_oom(err);
    rc = mlc_post(s, "runs/update", body, &r, err);
    json_decref(body);
    mlc_reply_release(&r);
    return rc;
}

static int exec_artifact(struct cp_mlflow_session *s, json_t *op, json_t *ack, struct cp_error *err)
{
    const char *ref = json_string_value(json_object_get(op, "ref"));
    const char *rel = json_string_value(json_object_get(op, "path"));
    const char *dest = json_string_value(json_object_get(op, "dest")); /* default: path */
    const char *id;
    int rc = need_run(s, op, &id, err);
    if (rc < 0 || !rel)
        return rc < 0 ? rc : cp_error_set(err, CP_EDATA, "journal: artifact without a path");
    const char *uri =
        json_string_value(json_object_get(json_object_get(s->runs, ref), "artifact_uri"));
    const char *root = mlc_proxied_root(uri);
    char *file = cp_path_join(s->root, rel), *data = NULL;
    size_t len = 0;
    struct cp_strbuf path;
    struct reply r = {0};
    cp_strbuf_init(&path);
    if (!file) {
        rc = cp_error_oom(err);
    } else if (!root || cp_fs_read_file(file, &data, &len) != 0) {
        /* nothing a retry could fix: say so, ack it as skipped */
        const char *why = root ? "file missing" : "server does not proxy artifacts";
        cp_log(CP_LOG_WARN, "stage=mlflow artifact=\"%s\" skipped=\"%s\"", rel, why);
        rc = json_object_set_new(ack, "skipped", json_string(why)) ? cp_error_oom(err) : 0;
    } else if (cp_strbuf_addf(&path, "/api/2.0/mlflow-artifacts/artifacts/%s", root) ||
               mlc_add_escaped_path(&path, dest ? dest : rel)) {
        rc = cp_error_oom(err);
    } else {
        struct cp_strbuf url;
        struct cp_http_response resp;
        cp_strbuf_init(&url);
        cp_http_response_init(&resp);
        struct cp_http_request req = {.method = "PUT",
                                      .content_type = "application/octet-stream",
                                      .body = data,
                                      .body_len = len};
        rc = cp_strbuf_addf(&url, "%s%s", s->base, path.buf) ? cp_error_oom(err) : 0;
        req.url = url.buf;
        if (rc == 0)
            rc = cp_http_request(s->http, &req, &resp, err);
        if (rc == 0) {
            s->sent++;
            r.status = resp.status;
            r.code = "";
            if (resp.status != 200)
                rc = mlc_call_fail("mlflow-artifacts", &r, err);
        }
        cp_strbuf_release(&url);
        cp_http_response_release(&resp);
    }
    cp_free(file);
    cp_free(data);
    cp_strbuf_release(&path);
    return rc;
}

static int exec_op(struct cp_mlflow_session *s, json_t *op, int replay, json_t *ack,
                   struct cp_error *err)
{
    const char *kind = json_string_value(json_object_get(op, "op"));
    if (!kind)
        kind = "";
    if (strcmp(kind, "experiment") == 0)
        return exec_experiment(s, op, ack, err);
    if (strcmp(kind, "create_run") == 0)
        return exec_create_run(s, op, replay, ack, err);
    if (strcmp(kind, "log_batch") == 0)
        return exec_log_batch(s, op, err);
    if (strcmp(kind, "artifact") == 0)
        return exec_artifact(s, op, ack, err);
    if (strcmp(kind, "update_run") == 0)
        return exec_update_run(s, op, err);
    if (strcmp(kind, "register") == 0)
        return mlc_exec_register(s, op, ack, err);
    return cp_error_set(err, CP_EDATA, "journal op %lld: unknown op '%s'",
                        json_integer_value(json_object_get(op, "seq")), kind);
}

int mlc_exec_and_ack(struct cp_mlflow_session *s, json_t *op, int replay, struct cp_error *err)
{
    json_t *ack = json_object();
    if (!ack)
        return cp_error_oom(err);
    int rc = exec_op(s, op, replay, ack, err);
    if (rc == 0)
        rc = cp_mlflow_journal_ack(&s->journal,
                                   (long)json_integer_value(json_object_get(op, "seq")), ack, err);
    if (rc == 0)
        s->acks++;
    json_decref(ack);
    return rc;
}

int cp_mlflow_exec(struct cp_mlflow_session *s, json_t *op, struct cp_error *err)
{
    return mlc_exec_and_ack(s, op, 0, err);
}

int cp_mlflow_submit(struct cp_mlflow_session *s, json_t *op, struct cp_error *err)
{
    int rc = cp_mlflow_journal_op(&s->journal, op, NULL, err);
    if (rc == 0 && s->defer_tail && json_is_true(json_object_get(op, "after_publish")))
        s->deferred = 1;
    if (rc == 0 && (!s->http || s->offline || s->deferred)) {
        s->pending++;
    } else if (rc == 0 && mlc_exec_and_ack(s, op, 0, &s->failure) < 0) {
        s->offline = 1;
        s->pending++;
        cp_log(CP_LOG_WARN, "stage=mlflow status=pending error=\"%s\"", s->failure.msg);
    }
    json_decref(op);
    return rc;
}
