/* The MLflow REST client (include/cellpipe/mlflow.h): key and value rules, the session, one REST
 * call with its failure translated in one place. */
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

void mlc_reply_release(struct reply *r)
{
    json_decref(r->json);
    memset(r, 0, sizeof(*r));
}

int mlc_call_fail(const char *what, const struct reply *r, struct cp_error *err)
{
    const char *msg = json_string_value(json_object_get(r->json, "message"));
    return cp_error_set(err, CP_EUNAVAILABLE, "mlflow '%s': HTTP %ld %s%s%s", what, r->status,
                        r->code, *r->code && msg ? ": " : "", msg ? msg : "");
}

void mlc_reply_parse(struct reply *r, long status, const char *body, size_t len)
{
    r->status = status;
    r->json = body ? json_loadb(body, len, 0, NULL) : NULL;
    const char *code = json_string_value(json_object_get(r->json, "error_code"));
    r->code = code ? code : "";
}

/* method on <base><path>; body (borrowed) as JSON; once: a create, never resent blindly
 * (r->unsure after a failure the server may have acted on). 0 when an answer arrived
 * (r->status says which); negative when the server could not be reached. */
static int call(struct cp_mlflow_session *s, const char *method, const char *path, json_t *body,
                int once, struct reply *r, struct cp_error *err)
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
    struct cp_http_request req = {.method = method,
                                  .url = url.buf,
                                  .body = text,
                                  .body_len = text ? strlen(text) : 0,
                                  .non_idempotent = once};
    rc = cp_http_request(s->http, &req, &resp, err);
    r->unsure = resp.unsure;
    if (rc < 0)
        goto cleanup;
    s->sent++;
    mlc_reply_parse(r, resp.status, resp.body.buf, resp.body.len);
cleanup:
    free(text);
    cp_strbuf_release(&url);
    cp_http_response_release(&resp);
    return rc;
}

int mlc_call(struct cp_mlflow_session *s, const char *method, const char *path, json_t *body,
             struct reply *r, struct cp_error *err)
{
    return call(s, method, path, body, 0, r, err);
}

static int post(struct cp_mlflow_session *s, const char *endpoint, json_t *body, int once,
                struct reply *r, struct cp_error *err)
{
    struct cp_strbuf path;
    cp_strbuf_init(&path);
    if (cp_strbuf_addf(&path, "/api/2.0/mlflow/%s", endpoint)) {
        cp_strbuf_release(&path);
        return cp_error_oom(err);
    }
    int rc = call(s, "POST", path.buf, body, once, r, err);
    cp_strbuf_release(&path);
    if (rc == 0 && r->status != 200)
        rc = mlc_call_fail(endpoint, r, err);
    return rc;
}

/* POST a JSON body to /api/2.0/mlflow/<endpoint>, demanding 200. */
int mlc_post(struct cp_mlflow_session *s, const char *endpoint, json_t *body, struct reply *r,
             struct cp_error *err)
{
    return post(s, endpoint, body, 0, r, err);
}

int mlc_post_once(struct cp_mlflow_session *s, const char *endpoint, json_t *body, struct reply *r,
                  struct cp_error *err)
{
    return post(s, endpoint, body, 1, r, err);
}
