/*
 * MLflow REST calls for journal ops, and the replay behind `cellpipe mlflow push`
 * (see include/cellpipe/mlflow.h). Endpoints: experiments/get-by-name, experiments/create,
 * runs/search, runs/create, runs/log-batch, runs/update (/api/2.0/mlflow/...) and the
 * artifact proxy PUT /api/2.0/mlflow-artifacts/artifacts/<experiment>/<run>/artifacts/<path>.
 */
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

/* --- keys and values ------------------------------------------------------------------- */

static int key_char_ok(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.' || c == ' ' || c == ':' || c == '/';
}

/* Append one path segment, mapping "." and ".." (which MLflow refuses as they would resolve
 * to other names) to "_". */
static int add_segment(struct cp_strbuf *sb, const char *seg, size_t n)
{
    if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
        return cp_strbuf_addch(sb, '_');
    for (size_t i = 0; i < n; i++)
        if (cp_strbuf_addch(sb, key_char_ok((unsigned char)seg[i]) ? seg[i] : '_'))
            return -1;
    return 0;
}

int cp_mlflow_sanitize_key(struct cp_strbuf *sb, const char *key)
{
    size_t start = sb->len;
    const char *p = key;
    while (*p) {
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        if (n == 0)
            break;
        if (sb->len > start && cp_strbuf_addch(sb, '/'))
            return -1;
        if (add_segment(sb, p, n))
            return -1;
        p += n;
    }
    if (sb->len == start && cp_strbuf_addch(sb, '_'))
        return -1;
    if (sb->len - start > CP_MLFLOW_MAX_KEY) {
        sb->len = start + CP_MLFLOW_MAX_KEY;
        while (sb->len > start + 1 && sb->buf[sb->len - 1] == '/')
            sb->len--;
        sb->buf[sb->len] = '\0';
    }
    return 0;
}

json_t *cp_mlflow_metric_value(double v)
{
    if (isnan(v))
        return json_string("NaN");
    if (isinf(v))
        return json_string(v > 0 ? "Infinity" : "-Infinity");
    return json_real(v);
}

char *cp_mlflow_run_url(const char *base, const char *experiment_id, const char *run_id)
{
    if (!base || !*base || !experiment_id || !*experiment_id || !run_id || !*run_id)
        return NULL;
    /* a link is shown and stored: no user-info from the tracking URI in it */
    const char *host = strstr(base, "://");
    host = host ? host + 3 : base;
    const char *at = strchr(host, '@');
    size_t auth = strcspn(host, "/?#");
    struct cp_strbuf sb;
    cp_strbuf_init(&sb);
    if ((at && (size_t)(at - host) < auth
             ? cp_strbuf_add(&sb, base, (size_t)(host - base)) || cp_strbuf_adds(&sb, at + 1)
             : cp_strbuf_adds(&sb, base)) ||
        cp_strbuf_addf(&sb, "/#/experiments/%s/runs/%s", experiment_id, run_id)) {
        cp_strbuf_release(&sb);
        return NULL;
    }
    return cp_strbuf_detach(&sb);
}

/* --- session --------------------------------------------------------------------------- */

static int set_base(struct cp_mlflow_session *s, const char *uri, struct cp_error *err)
{
    if (strncmp(uri, "http://", 7) != 0 && strncmp(uri, "https://", 8) != 0)
        return cp_error_set(err, CP_ECONFIG,
                            "tracking URI '%s': expected an http:// or https:// server", uri);
    size_t n = strlen(uri);
    while (n > 0 && uri[n - 1] == '/')
        n--;
    s->base = cp_strndup(uri, n);
    return s->base ? 0 : cp_error_oom(err);
}

int cp_mlflow_session_init(struct cp_mlflow_session *s, const char *tracking_uri, const char *root,
                           const struct cp_http_options *opts, struct cp_error *err)
{
    memset(s, 0, sizeof(*s));
    cp_error_clear(&s->failure);
    s->runs = json_object();
    s->acked = json_object();
    s->root = cp_strdup(root ? root : ".");
    if (!s->runs || !s->acked || !s->root)
        return cp_error_oom(err);
    if (!tracking_uri || !*tracking_uri)
        return 0;
    int rc = set_base(s, tracking_uri, err);
    if (rc < 0)
        return rc;
    struct cp_http_options o;
    if (opts) {
        o = *opts;
    } else {
        cp_http_options_init(&o);
        rc = cp_http_options_mlflow_env(&o, err);
        if (rc < 0)
            return rc;
    }
    s->http = cp_http_new(&o, err);
    return s->http ? 0 : -CP_EINTERNAL;
}

void cp_mlflow_session_release(struct cp_mlflow_session *s)
{
    cp_http_free(s->http);
    cp_free(s->base);
    cp_free(s->root);
    json_decref(s->runs);
    json_decref(s->acked);
    if (s->journal.f)
        cp_mlflow_journal_close(&s->journal, NULL);
    memset(s, 0, sizeof(*s));
}

/* --- one REST call --------------------------------------------------------------------- */

struct reply {
    long status;
    json_t *json;     /* parsed body (NULL when it was not JSON) */
    const char *code; /* MLflow's error_code, "" when none */
};

static void reply_release(struct reply *r)
{
    json_decref(r->json);
    memset(r, 0, sizeof(*r));
}

static int call_fail(const char *what, const struct reply *r, struct cp_error *err)
{
    const char *msg = json_string_value(json_object_get(r->json, "message"));
    return cp_error_set(err, CP_EUNAVAILABLE, "mlflow '%s': HTTP %ld %s%s%s", what, r->status,
                        r->code, *r->code && msg ? ": " : "", msg ? msg : "");
}

/* method on <base><path>; body (borrowed) as JSON. 0 when an answer arrived (r->status says
 * which); negative when the server could not be reached. */
static int call(struct cp_mlflow_session *s, const char *method, const char *path, json_t *body,
                struct reply *r, struct cp_error *err)
{
    struct cp_strbuf url;
    struct cp_http_response resp;
    char *text = NULL;
    int rc;
    memset(r, 0, sizeof(*r));
    r->code = "";
    cp_strbuf_init(&url);
    cp_http_response_init(&resp);
    if (cp_strbuf_addf(&url, "%s%s", s->base, path) ||
        (body && !(text = json_dumps(body, JSON_COMPACT)))) {
        rc = cp_error_oom(err);
        goto cleanup;
    }
    struct cp_http_request req = {
        .method = method, .url = url.buf, .body = text, .body_len = text ? strlen(text) : 0};
    rc = cp_http_request(s->http, &req, &resp, err);
    if (rc < 0)
        goto cleanup;
    s->sent++;
    r->status = resp.status;
    r->json = json_loadb(resp.body.buf, resp.body.len, 0, NULL);
    const char *code = json_string_value(json_object_get(r->json, "error_code"));
    r->code = code ? code : "";
cleanup:
    free(text);
    cp_strbuf_release(&url);
    cp_http_response_release(&resp);
    return rc;
}

/* POST a JSON body to /api/2.0/mlflow/<endpoint>, demanding 200. */
static int post(struct cp_mlflow_session *s, const char *endpoint, json_t *body, struct reply *r,
                struct cp_error *err)
{
    struct cp_strbuf path;
    cp_strbuf_init(&path);
    if (cp_strbuf_addf(&path, "/api/2.0/mlflow/%s", endpoint)) {
        cp_strbuf_release(&path);
        return cp_error_oom(err);
    }
    int rc = call(s, "POST", path.buf, body, r, err);
    cp_strbuf_release(&path);
    if (rc == 0 && r->status != 200)
        rc = call_fail(endpoint, r, err);
    return rc;
}

/* --- ops ------------------------------------------------------------------------------- */

static int get_experiment(struct cp_mlflow_session *s, const char *name, struct reply *r,
                          struct cp_error *err)
{
    struct cp_strbuf path;
    cp_strbuf_init(&path);
    int rc = cp_strbuf_adds(&path, "/api/2.0/mlflow/experiments/get-by-name?experiment_name=") ||
                     cp_http_escape(&path, name)
                 ? cp_error_oom(err)
                 : call(s, "GET", path.buf, NULL, r, err);
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
            rc = call_fail("experiments/get-by-name", &r, err);
            break;
        }
        reply_release(&r);
        json_t *body = json_pack("{s:s}", "name", name);
        rc = body ? call(s, "POST", "/api/2.0/mlflow/experiments/create", body, &r, err)
                  : cp_error_oom(err);
        json_decref(body);
        if (rc == 0 && r.status != 200 && strcmp(r.code, "RESOURCE_ALREADY_EXISTS") == 0) {
            reply_release(&r); /* created meanwhile by someone else: look it up again */
            rc = get_experiment(s, name, &r, err);
        }
    }
    if (rc == 0 && r.status != 200)
        rc = call_fail("experiments/create", &r, err);
    if (rc < 0) {
        reply_release(&r);
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
    reply_release(&r);
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
    int rc = post(s, "runs/search", body, &r, err);
    json_decref(body);
    if (rc == 0) {
        json_t *run = json_array_get(json_object_get(r.json, "runs"), 0);
        *info = json_incref(json_object_get(run, "info"));
    }
    reply_release(&r);
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

static int exec_create_run(struct cp_mlflow_session *s, json_t *op, int replay, json_t *ack,
                           struct cp_error *err)
{
    const char *ref = json_string_value(json_object_get(op, "ref"));
    json_t *info = NULL, *body = NULL;
    struct reply r = {0};
    int rc = 0;
    if (!ref || !s->experiment_id[0])
        return cp_error_set(err, CP_EDATA, "journal op %lld: create_run without %s",
                            json_integer_value(json_object_get(op, "seq")),
                            ref ? "an experiment before it" : "a ref");
    if (replay) {
        struct cp_strbuf key;
        cp_strbuf_init(&key);
        rc = journal_key(s, ref, &key) ? cp_error_oom(err) : find_run(s, key.buf, &info, err);
        cp_strbuf_release(&key);
    }
    if (rc == 0 && !info) {
        rc = create_body(s, op, ref, &body, err);
        if (rc == 0)
            rc = post(s, "runs/create", body, &r, err);
        if (rc == 0)
            info = json_incref(json_object_get(json_object_get(r.json, "run"), "info"));
    }
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
    reply_release(&r);
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
    rc = post(s, "runs/log-batch", body, &r, err);
    json_decref(body);
    reply_release(&r);
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
    rc = post(s, "runs/update", body, &r, err);
    json_decref(body);
    reply_release(&r);
    return rc;
}

/* "mlflow-artifacts:/1/<run>/artifacts" or "mlflow-artifacts://host:port/1/..." -> the part
 * after the scheme and authority; NULL when the server does not proxy this run's artifacts. */
static const char *proxied_root(const char *uri)
{
    static const char scheme[] = "mlflow-artifacts:";
    if (!uri || strncmp(uri, scheme, sizeof(scheme) - 1) != 0)
        return NULL;
    const char *p = uri + sizeof(scheme) - 1;
    if (p[0] == '/' && p[1] == '/') {
        p = strchr(p + 2, '/');
        if (!p)
            return NULL;
    }
    while (*p == '/')
        p++;
    return p;
}

static int add_escaped_path(struct cp_strbuf *sb, const char *path)
{
    char *copy = cp_strdup(path);
    if (!copy)
        return -1;
    int rc = 0;
    for (char *seg = copy; rc == 0 && seg;) {
        char *slash = strchr(seg, '/');
        if (slash)
            *slash = '\0';
        rc = cp_strbuf_addch(sb, '/') || cp_http_escape(sb, seg);
        seg = slash ? slash + 1 : NULL;
    }
    cp_free(copy);
    return rc;
}

static int exec_artifact(struct cp_mlflow_session *s, json_t *op, json_t *ack, struct cp_error *err)
{
    const char *ref = json_string_value(json_object_get(op, "ref"));
    const char *rel = json_string_value(json_object_get(op, "path"));
    const char *id;
    int rc = need_run(s, op, &id, err);
    if (rc < 0 || !rel)
        return rc < 0 ? rc : cp_error_set(err, CP_EDATA, "journal: artifact without a path");
    const char *uri =
        json_string_value(json_object_get(json_object_get(s->runs, ref), "artifact_uri"));
    const char *root = proxied_root(uri);
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
               add_escaped_path(&path, rel)) {
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
                rc = call_fail("mlflow-artifacts", &r, err);
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
    return cp_error_set(err, CP_EDATA, "journal op %lld: unknown op '%s'",
                        json_integer_value(json_object_get(op, "seq")), kind);
}

static int exec_and_ack(struct cp_mlflow_session *s, json_t *op, int replay, struct cp_error *err)
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
    return exec_and_ack(s, op, 0, err);
}

int cp_mlflow_submit(struct cp_mlflow_session *s, json_t *op, struct cp_error *err)
{
    int rc = cp_mlflow_journal_op(&s->journal, op, NULL, err);
    if (rc == 0 && s->defer_tail && json_is_true(json_object_get(op, "after_publish")))
        s->deferred = 1;
    if (rc == 0 && (!s->http || s->offline || s->deferred)) {
        s->pending++;
    } else if (rc == 0 && exec_and_ack(s, op, 0, &s->failure) < 0) {
        s->offline = 1;
        s->pending++;
        cp_log(CP_LOG_WARN, "stage=mlflow status=pending error=\"%s\"", s->failure.msg);
    }
    json_decref(op);
    return rc;
}

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
    return exec_and_ack(rc->s, line, 1, rc->err);
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
        rc = cp_error_set(err, CP_ECANTCREAT, "cannot write '%s': %s", path, strerror(errno));
        goto cleanup;
    }
    json_t *op =
        json_pack("{s:s, s:s, s:s}", "op", "artifact", "ref", "parent", "path", "manifest.json");
    rc = op ? cp_mlflow_journal_op(&s->journal, op, NULL, err) : cp_error_oom(err);
    if (rc == 0)
        rc = exec_and_ack(s, op, 1, err);
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
