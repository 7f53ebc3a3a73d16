/*
 * MLflow's model registry over the REST API 2.0 (docs/mlflow.md "Models and the registry"):
 * the journal op "register" (the registered model, a version of the training run's model/,
 * its cellpipe tags, the alias decision), fetching a registered model.json for batch
 * prediction, and the listings of `cellpipe models` (mlflow_client_internal.h).
 *
 * The op is idempotent for `cellpipe mlflow push`: the version of a run is looked up by its
 * run id before one is created, and a version that already holds its alias decision tag is
 * only acknowledged.
 */
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

#define TAG_DECISION "cellpipe.alias_decision"

const char *mlc_proxied_root(const char *uri)
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

int mlc_add_escaped_path(struct cp_strbuf *sb, const char *path)
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

/* --- calls ----------------------------------------------------------------------------- */

/* GET /api/2.0/mlflow/<endpoint>?k1=v1&k2=v2 (NULL-terminated pairs, a NULL value skipped).
 * 0 when an answer arrived, whatever its status. */
static int get(struct cp_mlflow_session *s, const char *endpoint, const char *const *kv,
               struct reply *r, struct cp_error *err)
{
    struct cp_strbuf path;
    cp_strbuf_init(&path);
    int bad = cp_strbuf_addf(&path, "/api/2.0/mlflow/%s", endpoint);
    for (size_t i = 0, first = 1; !bad && kv[i]; i += 2) {
        if (!kv[i + 1])
            continue;
        bad = cp_strbuf_addf(&path, "%c%s=", first ? '?' : '&', kv[i]) ||
              cp_http_escape(&path, kv[i + 1]);
        first = 0;
    }
    int rc = bad ? cp_error_oom(err) : mlc_call(s, "GET", path.buf, NULL, r, err);
    cp_strbuf_release(&path);
    return rc;
}

static int missing(const struct reply *r)
{
    return r->status == 404 || strcmp(r->code, "RESOURCE_DOES_NOT_EXIST") == 0;
}

/* registered-models/alias answers INVALID_PARAMETER_VALUE "... alias X not found." */
static int alias_missing(const struct reply *r)
{
    const char *msg = json_string_value(json_object_get(r->json, "message"));
    return strcmp(r->code, "INVALID_PARAMETER_VALUE") == 0 && msg && strstr(msg, "not found");
}

static const char *tag_of(const json_t *mv, const char *key)
{
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(mv, "tags"), i, t)
    {
        const char *k = json_string_value(json_object_get(t, "key"));
        if (k && strcmp(k, key) == 0)
            return json_string_value(json_object_get(t, "value"));
    }
    return NULL;
}

static int ensure_model(struct cp_mlflow_session *s, const char *name, struct cp_error *err)
{
    struct reply r;
    json_t *body = json_pack("{s:s}", "name", name);
    if (!body)
        return cp_error_oom(err);
    int rc = mlc_call(s, "POST", "/api/2.0/mlflow/registered-models/create", body, &r, err);
    json_decref(body);
    if (rc == 0 && r.status != 200 && strcmp(r.code, "RESOURCE_ALREADY_EXISTS") != 0)
        rc = mlc_call_fail("registered-models/create", &r, err);
    mlc_reply_release(&r);
    return rc;
}

/* The version of name made from run_id, when an earlier push created it (new reference). */
static int find_version(struct cp_mlflow_session *s, const char *name, const char *run_id,
                        json_t **mv, struct cp_error *err)
{
    struct cp_strbuf filter;
    struct reply r;
    cp_strbuf_init(&filter);
    *mv = NULL;
    if (cp_strbuf_addf(&filter, "name='%s' and run_id='%s'", name, run_id))
        return cp_error_oom(err);
    const char *kv[] = {"filter", filter.buf, "max_results", "10", NULL};
    int rc = get(s, "model-versions/search", kv, &r, err);
    cp_strbuf_release(&filter);
    if (rc == 0 && r.status != 200)
        rc = mlc_call_fail("model-versions/search", &r, err);
    if (rc == 0)
        *mv = json_incref(json_array_get(json_object_get(r.json, "model_versions"), 0));
    mlc_reply_release(&r);
    return rc;
}

static int add_tag(json_t *tags, const char *key, const char *value)
{
    return json_array_append_new(tags, json_pack("{s:s, s:s}", "key", key, "value", value));
}

static int create_version(struct cp_mlflow_session *s, json_t *op, const char *run_id,
                          const char *artifact_uri, json_t **mv, struct cp_error *err)
{
    json_t *cmp = json_object_get(op, "compare");
    const char *metric = json_string_value(json_object_get(cmp, "metric"));
    char value[40];
    snprintf(value, sizeof value, "%.17g", json_number_value(json_object_get(cmp, "value")));
    struct cp_strbuf source;
    cp_strbuf_init(&source);
    json_t *tags = json_array();
    const char *sha = json_string_value(json_object_get(op, "cells_sha256"));
    const char *pipeline = json_string_value(json_object_get(op, "pipeline"));
    int bad = !tags || cp_strbuf_addf(&source, "%s/model", artifact_uri) ||
              add_tag(tags, "cellpipe.cv_metric", metric ? metric : "") ||
              add_tag(tags, "cellpipe.cv_value", value) ||
              add_tag(tags, "cellpipe.cells_sha256", sha ? sha : "") ||
              add_tag(tags, "cellpipe.pipeline", pipeline ? pipeline : "");
    json_t *body = bad ? NULL
                       : json_pack("{s:O, s:s, s:s, s:O}", "name", json_object_get(op, "name"),
                                   "source", source.buf, "run_id", run_id, "tags", tags);
    json_decref(tags);
    cp_strbuf_release(&source);
    if (!body)
        return cp_error_oom(err);
    struct reply r;
    int rc = mlc_post(s, "model-versions/create", body, &r, err);
    json_decref(body);
    *mv = rc == 0 ? json_incref(json_object_get(r.json, "model_version")) : NULL;
    if (rc == 0 && !json_string_value(json_object_get(*mv, "version")))
        rc = cp_error_set(err, CP_EUNAVAILABLE, "mlflow 'model-versions/create': no version");
    mlc_reply_release(&r);
    return rc;
}

static int set_version_tag(struct cp_mlflow_session *s, const char *name, const char *version,
                           const char *key, const char *value, struct cp_error *err)
{
    struct reply r;
    size_t n = strlen(value) < CP_MLFLOW_MAX_TAG_VALUE ? strlen(value) : CP_MLFLOW_MAX_TAG_VALUE;
    json_t *body = json_pack("{s:s, s:s, s:s, s:s%}", "name", name, "version", version, "key", key,
                             "value", value, n);
    if (!body)
        return cp_error_oom(err);
    int rc = mlc_post(s, "model-versions/set-tag", body, &r, err);
    json_decref(body);
    mlc_reply_release(&r);
    return rc;
}

static int set_alias(struct cp_mlflow_session *s, const char *name, const char *alias,
                     const char *version, struct cp_error *err)
{
    struct reply r;
    json_t *body = json_pack("{s:s, s:s, s:s}", "name", name, "alias", alias, "version", version);
    if (!body)
        return cp_error_oom(err);
    int rc = mlc_post(s, "registered-models/alias", body, &r, err);
    json_decref(body);
    mlc_reply_release(&r);
    return rc;
}

/* The version holding alias (new reference), NULL when none does. */
static int alias_holder(struct cp_mlflow_session *s, const char *name, const char *alias,
                        json_t **mv, struct cp_error *err)
{
    struct reply r;
    const char *kv[] = {"name", name, "alias", alias, NULL};
    int rc = get(s, "registered-models/alias", kv, &r, err);
    *mv = NULL;
    if (rc == 0 && r.status == 200)
        *mv = json_incref(json_object_get(r.json, "model_version"));
    else if (rc == 0 && !missing(&r) && !alias_missing(&r))
        rc = mlc_call_fail("registered-models/alias", &r, err);
    mlc_reply_release(&r);
    return rc;
}

/* model.json of a version, through the artifact proxy. CP_EDATA when it is not there. */
static int version_model_json(struct cp_mlflow_session *s, const char *name, const char *version,
                              char **text, size_t *len, struct cp_error *err)
{
    struct reply r;
    const char *kv[] = {"name", name, "version", version, NULL};
    int rc = get(s, "model-versions/get-download-uri", kv, &r, err);
    if (rc == 0 && r.status != 200)
        rc = missing(&r) ? cp_error_set(err, CP_EDATA, "no version %s of registered model '%s'",
                                        version, name)
                         : mlc_call_fail("model-versions/get-download-uri", &r, err);
    const char *uri = rc == 0 ? json_string_value(json_object_get(r.json, "artifact_uri")) : NULL;
    const char *root = mlc_proxied_root(uri);
    if (rc == 0 && !root)
        rc = cp_error_set(err, CP_EDATA,
                          "version %s of '%s': source '%s' is not served by the tracking server",
                          version, name, uri ? uri : "");
    struct cp_strbuf url;
    struct cp_http_response resp;
    cp_strbuf_init(&url);
    cp_http_response_init(&resp);
    if (rc == 0 &&
        (cp_strbuf_addf(&url, "%s/api/2.0/mlflow-artifacts/artifacts/%s", s->base, root) ||
         mlc_add_escaped_path(&url, "model.json")))
        rc = cp_error_oom(err);
    struct cp_http_request req = {.method = "GET", .url = url.buf};
    if (rc == 0)
        rc = cp_http_request(s->http, &req, &resp, err);
    if (rc == 0 && resp.status != 200)
        rc = cp_error_set(err, resp.status == 404 ? CP_EDATA : CP_EUNAVAILABLE,
                          "version %s of '%s': model.json: HTTP %ld", version, name, resp.status);
    if (rc == 0) {
        s->sent++;
        *len = resp.body.len;
        *text = cp_strndup(resp.body.buf ? resp.body.buf : "", resp.body.len);
        rc = *text ? 0 : cp_error_oom(err);
    }
    cp_strbuf_release(&url);
    cp_http_response_release(&resp);
    mlc_reply_release(&r);
    return rc;
}

/* --- the alias decision ---------------------------------------------------------------- */

struct decision {
    int move;
    struct cp_strbuf text;
};

static int better(double fresh, double held, int lower)
{
    return isfinite(fresh) && (!isfinite(held) || (lower ? fresh < held : fresh > held));
}

static int say(struct decision *d, const char *metric, int lower, double fresh, double held,
               const char *version, const char *cells)
{
    d->move = better(fresh, held, lower);
    const char *op = d->move ? (lower ? "<" : ">") : (lower ? ">=" : "<=");
    if (d->move)
        return cp_strbuf_addf(&d->text, "moved: %s %.6g %s %.6g of version %s on %s", metric, fresh,
                              op, held, version, cells);
    return cp_strbuf_addf(&d->text, "kept version %s: %s %.6g %s %.6g of version %s on %s", version,
                          metric, fresh, op, held, version, cells);
}

/* Holder trained on other cells: its model.json against this run's CV predictions. */
static int decide_other_cells(struct cp_mlflow_session *s, json_t *op, const char *holder,
                              const char *metric, int lower, struct decision *d,
                              struct cp_error *err)
{
    const char *name = json_string_value(json_object_get(op, "name"));
    const char *dir = json_string_value(json_object_get(op, "model_dir"));
    char *text = NULL, *full = cp_path_join(s->root, dir ? dir : ".");
    size_t len = 0, n = 0;
    double fresh = NAN, held = NAN;
    struct cp_strbuf origin, cells;
    cp_strbuf_init(&origin);
    cp_strbuf_init(&cells);
    int rc =
        full && !cp_strbuf_addf(&origin, "models:/%s/%s", name, holder) ? 0 : cp_error_oom(err);
    if (rc == 0)
        rc = version_model_json(s, name, holder, &text, &len, err);
    struct cp_error why;
    cp_error_clear(&why);
    int crc = rc == 0 ? mlc_compare_cells(full, text, len, origin.buf,
                                          json_string_value(json_object_get(op, "task")), &fresh,
                                          &held, &n, &why)
                      : 0;
    if (rc == 0 && crc < 0) /* not comparable: the holder stays */
        rc = cp_strbuf_addf(&d->text, "kept version %s: cannot compare: %s", holder, why.msg)
                 ? cp_error_oom(err)
                 : 0;
    else if (rc == 0)
        rc = cp_strbuf_addf(&cells, "the same %zu cells of this run", n) ||
                     say(d, metric, lower, fresh, held, holder, cells.buf)
                 ? cp_error_oom(err)
                 : 0;
    cp_free(text);
    cp_free(full);
    cp_strbuf_release(&origin);
    cp_strbuf_release(&cells);
    return rc;
}

static int decide(struct cp_mlflow_session *s, json_t *op, const char *version, struct decision *d,
                  struct cp_error *err)
{
    const char *name = json_string_value(json_object_get(op, "name"));
    const char *alias = json_string_value(json_object_get(op, "alias"));
    json_t *cmp = json_object_get(op, "compare");
    const char *metric = json_string_value(json_object_get(cmp, "metric"));
    int lower = !json_is_false(json_object_get(cmp, "lower_is_better"));
    double fresh = json_number_value(json_object_get(cmp, "value"));
    json_t *mv;
    int rc = alias_holder(s, name, alias, &mv, err);
    const char *holder = json_string_value(json_object_get(mv, "version"));
    if (rc < 0)
        return rc;
    if (!holder) {
        d->move = 1;
        rc = cp_strbuf_addf(&d->text, "moved: no version held '%s'", alias) ? cp_error_oom(err) : 0;
    } else if (strcmp(holder, version) == 0) { /* a replay after the move */
        d->move = 1;
        rc = cp_strbuf_addf(&d->text, "moved: version %s holds '%s'", version, alias)
                 ? cp_error_oom(err)
                 : 0;
    } else {
        const char *sha = json_string_value(json_object_get(op, "cells_sha256"));
        const char *hsha = tag_of(mv, "cellpipe.cells_sha256");
        const char *hmetric = tag_of(mv, "cellpipe.cv_metric");
        const char *hvalue = tag_of(mv, "cellpipe.cv_value");
        if (sha && hsha && hmetric && hvalue && metric && strcmp(sha, hsha) == 0 &&
            strcmp(metric, hmetric) == 0)
            rc = say(d, metric, lower, fresh, strtod(hvalue, NULL), holder,
                     "the same training cells")
                     ? cp_error_oom(err)
                     : 0;
        else
            rc = decide_other_cells(s, op, holder, metric ? metric : "cv_rmse", lower, d, err);
    }
    json_decref(mv);
    return rc;
}

int mlc_exec_register(struct cp_mlflow_session *s, json_t *op, json_t *ack, struct cp_error *err)
{
    const char *name = json_string_value(json_object_get(op, "name"));
    const char *ref = json_string_value(json_object_get(op, "ref"));
    const char *alias = json_string_value(json_object_get(op, "alias"));
    json_t *run = json_object_get(s->runs, ref ? ref : "");
    const char *run_id = json_string_value(json_object_get(run, "run_id"));
    const char *uri = json_string_value(json_object_get(run, "artifact_uri"));
    if (!name || !run_id || !uri)
        return cp_error_set(err, CP_EDATA, "journal op %lld: register without %s",
                            json_integer_value(json_object_get(op, "seq")),
                            !name ? "a name" : "a created run");
    json_t *mv = NULL;
    int rc = ensure_model(s, name, err);
    if (rc == 0)
        rc = find_version(s, name, run_id, &mv, err);
    if (rc == 0 && !mv)
        rc = create_version(s, op, run_id, uri, &mv, err);
    const char *version = json_string_value(json_object_get(mv, "version"));
    const char *done = tag_of(mv, TAG_DECISION);
    struct decision d = {0};
    cp_strbuf_init(&d.text);
    if (rc == 0 && alias && !done) {
        rc = decide(s, op, version, &d, err);
        if (rc == 0 && d.move)
            rc = set_alias(s, name, alias, version, err);
        if (rc == 0)
            rc = set_version_tag(s, name, version, TAG_DECISION, d.text.buf, err);
        done = d.text.buf;
    }
    if (rc == 0) {
        cp_log(CP_LOG_INFO, "stage=mlflow registered=\"%s\" version=%s alias=%s decision=\"%s\"",
               name, version, alias ? alias : "", done ? done : "");
        if (json_object_set_new(ack, "registered", json_string(name)) ||
            json_object_set_new(ack, "version", json_string(version)) ||
            (done && json_object_set_new(ack, "alias_decision", json_string(done))))
            rc = cp_error_oom(err);
    }
    cp_strbuf_release(&d.text);
    json_decref(mv);
    return rc;
}

/* --- reading the registry -------------------------------------------------------------- */

static int open_session(struct cp_mlflow_session *s, const char *tracking_uri, struct cp_error *err)
{
    memset(s, 0, sizeof(*s));
    if (!tracking_uri || !*tracking_uri)
        return cp_error_set(err, CP_ECONFIG,
                            "no MLflow tracking URI: set MLFLOW_TRACKING_URI or pass "
                            "--tracking-uri");
    return cp_mlflow_session_init(s, tracking_uri, NULL, NULL, err);
}

/* "models:/NAME@ALIAS" or "models:/NAME/VERSION" into name and (alias or version). */
static int parse_uri(const char *uri, char **name, char **alias, char **version,
                     struct cp_error *err)
{
    *name = *alias = *version = NULL;
    const char *p = strncmp(uri, "models:/", 8) == 0 ? uri + 8 : NULL;
    size_t n = p ? strcspn(p, "@/") : 0;
    if (!p || n == 0 || !p[n] || !p[n + 1] ||
        (p[n] == '/' && strspn(p + n + 1, "0123456789") != strlen(p + n + 1)))
        return cp_error_set(err, CP_ECONFIG,
                            "'%s': expected models:/NAME@ALIAS or models:/NAME/VERSION", uri);
    *name = cp_strndup(p, n);
    char **rest = p[n] == '@' ? alias : version;
    *rest = cp_strdup(p + n + 1);
    return *name && *rest ? 0 : cp_error_oom(err);
}

/* The version number uri names, checked to exist. */
static int resolve_version(struct cp_mlflow_session *s, const char *uri, const char *name,
                           const char *alias, const char *version, char **out, struct cp_error *err)
{
    struct reply r;
    const char *kv[] = {"name", name, "alias", alias, "version", version, NULL};
    int rc = get(s, alias ? "registered-models/alias" : "model-versions/get", kv, &r, err);
    if (rc == 0 && r.status != 200) {
        if (alias && alias_missing(&r))
            rc = cp_error_set(err, CP_EDATA, "%s: no alias '%s' on registered model '%s'", uri,
                              alias, name);
        else if (missing(&r))
            rc = version ? cp_error_set(err, CP_EDATA, "%s: no version %s of registered model '%s'",
                                        uri, version, name)
                         : cp_error_set(err, CP_EDATA, "%s: no registered model '%s'", uri, name);
        else
            rc = mlc_call_fail(alias ? "registered-models/alias" : "model-versions/get", &r, err);
    }
    const char *v = rc == 0 ? json_string_value(json_object_get(
                                  json_object_get(r.json, "model_version"), "version"))
                            : NULL;
    if (rc == 0 && !v)
        rc = cp_error_set(err, CP_EUNAVAILABLE, "%s: no version in the server's answer", uri);
    if (rc == 0 && !(*out = cp_strdup(v)))
        rc = cp_error_oom(err);
    mlc_reply_release(&r);
    return rc;
}

int cp_mlflow_model_fetch(const char *tracking_uri, const char *uri, char **text, size_t *len,
                          char **resolved, struct cp_error *err)
{
    struct cp_mlflow_session s;
    char *name = NULL, *alias = NULL, *version = NULL, *v = NULL;
    struct cp_strbuf res;
    cp_strbuf_init(&res);
    *text = NULL;
    *len = 0;
    if (resolved)
        *resolved = NULL;
    int rc = open_session(&s, tracking_uri, err);
    if (rc == 0)
        rc = parse_uri(uri, &name, &alias, &version, err);
    if (rc == 0)
        rc = resolve_version(&s, uri, name, alias, version, &v, err);
    if (rc == 0)
        rc = version_model_json(&s, name, v, text, len, err);
    if (rc == 0 && resolved && cp_strbuf_addf(&res, "models:/%s/%s", name, v) == 0)
        *resolved = cp_strbuf_detach(&res);
    else if (rc == 0 && resolved)
        rc = cp_error_oom(err);
    if (rc < 0) {
        cp_free(*text);
        *text = NULL;
        *len = 0;
    }
    cp_strbuf_release(&res);
    cp_free(name);
    cp_free(alias);
    cp_free(version);
    cp_free(v);
    cp_mlflow_session_release(&s);
    return rc;
}

/* Every page of a search endpoint: the arrays under key, appended to *out. */
static int search_all(struct cp_mlflow_session *s, const char *endpoint, const char *filter,
                      const char *key, json_t *out, struct cp_error *err)
{
    char *token = NULL;
    int rc = 0;
    for (int page = 0; rc == 0 && page < 1000; page++) {
        struct reply r;
        const char *kv[] = {"filter", filter, "max_results", "100", "page_token", token, NULL};
        rc = get(s, endpoint, kv, &r, err);
        if (rc == 0 && r.status != 200)
            rc = mlc_call_fail(endpoint, &r, err);
        if (rc == 0 && json_array_extend(out, json_object_get(r.json, key)) &&
            json_object_get(r.json, key))
            rc = cp_error_oom(err);
        const char *next = json_string_value(json_object_get(r.json, "next_page_token"));
        cp_free(token);
        token = rc == 0 && next && *next ? cp_strdup(next) : NULL;
        mlc_reply_release(&r);
        if (!token)
            break;
    }
    cp_free(token);
    return rc;
}

int cp_mlflow_models_list(const char *tracking_uri, json_t **models, struct cp_error *err)
{
    struct cp_mlflow_session s;
    *models = json_array();
    int rc = open_session(&s, tracking_uri, err);
    if (rc == 0 && !*models)
        rc = cp_error_oom(err);
    if (rc == 0)
        rc = search_all(&s, "registered-models/search", NULL, "registered_models", *models, err);
    cp_mlflow_session_release(&s);
    return rc;
}

int cp_mlflow_models_show(const char *tracking_uri, const char *name, json_t **model,
                          json_t **versions, struct cp_error *err)
{
    struct cp_mlflow_session s;
    struct reply r = {0};
    struct cp_strbuf filter;
    cp_strbuf_init(&filter);
    *model = NULL;
    *versions = json_array();
    int rc = open_session(&s, tracking_uri, err);
    if (rc == 0 && !*versions)
        rc = cp_error_oom(err);
    const char *kv[] = {"name", name, NULL};
    if (rc == 0)
        rc = get(&s, "registered-models/get", kv, &r, err);
    if (rc == 0 && r.status != 200)
        rc = missing(&r)
                 ? cp_error_set(err, CP_EDATA, "no registered model '%s' on the server", name)
                 : mlc_call_fail("registered-models/get", &r, err);
    if (rc == 0)
        *model = json_incref(json_object_get(r.json, "registered_model"));
    if (rc == 0 && cp_strbuf_addf(&filter, "name='%s'", name))
        rc = cp_error_oom(err);
    if (rc == 0)
        rc = search_all(&s, "model-versions/search", filter.buf, "model_versions", *versions, err);
    mlc_reply_release(&r);
    cp_strbuf_release(&filter);
    cp_mlflow_session_release(&s);
    return rc;
}
