/*
 * The one libcurl wrapper (see include/cellpipe/http.h). CURLcode is translated into a
 * cp_error in exactly one place, attempt_error().
 */
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/http.h"
#include "cellpipe/log.h"

#ifndef CP_VERSION
#define CP_VERSION "0.0.0"
#endif

struct cp_http_client {
    CURL *curl;
    struct cp_http_options opts; /* strings below are owned copies */
    char *ca_path, *token, *token_scheme, *username, *password, *user_agent;
    long requests;
    unsigned rng; /* jitter draws; seeded per client */
};

/* What one attempt produced. */
struct attempt {
    CURLcode code;
    long status;
    double retry_after; /* seconds, -1 when the header was absent or unreadable */
    long sent;          /* request bytes written (0: it never left, e.g. connect refused) */
    char curl_msg[CURL_ERROR_SIZE];
};

static long total_requests; /* every attempt of every client, for benchmarks */
static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_OK;

static void global_init(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

void cp_http_options_init(struct cp_http_options *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->connect_timeout_s = 10;
    opts->timeout_s = 120;
    opts->max_retries = 5;
    opts->backoff_factor = 2;
    opts->backoff_jitter = 1;
    opts->max_backoff_s = 120;
}

static int env_number(const char *name, double lo, double *out, struct cp_error *err)
{
    const char *s = getenv(name);
    if (!s || !*s)
        return 0;
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < lo)
        return cp_error_set(err, CP_ECONFIG, "environment variable '%s': expected a number >= %g",
                            name, lo);
    *out = v;
    return 0;
}

static int env_true(const char *name)
{
    const char *s = getenv(name);
    return s && (strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0);
}

static const char *env_str(const char *name)
{
    const char *s = getenv(name);
    return s && *s ? s : NULL;
}

int cp_http_options_mlflow_env(struct cp_http_options *opts, struct cp_error *err)
{
    double retries = opts->max_retries;
    int rc = env_number("MLFLOW_HTTP_REQUEST_MAX_RETRIES", 0, &retries, err);
    if (rc == 0)
        rc = env_number("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", 0, &opts->backoff_factor, err);
    if (rc == 0)
        rc = env_number("MLFLOW_HTTP_REQUEST_BACKOFF_JITTER", 0, &opts->backoff_jitter, err);
    if (rc == 0)
        rc = env_number("MLFLOW_HTTP_REQUEST_TIMEOUT", 0.001, &opts->timeout_s, err);
    if (rc < 0)
        return rc;
    opts->max_retries = retries > 100 ? 100 : (int)retries;
    opts->insecure = env_true("MLFLOW_TRACKING_INSECURE_TLS");
    opts->ca_path = env_str("MLFLOW_TRACKING_SERVER_CERT_PATH");
    opts->token = env_str("MLFLOW_TRACKING_TOKEN");
    opts->token_scheme = "Bearer";
    opts->username = env_str("MLFLOW_TRACKING_USERNAME");
    opts->password = env_str("MLFLOW_TRACKING_PASSWORD");
    return 0;
}

void cp_http_response_init(struct cp_http_response *resp)
{
    memset(resp, 0, sizeof(*resp));
    cp_strbuf_init(&resp->body);
}

void cp_http_response_release(struct cp_http_response *resp)
{
    cp_strbuf_release(&resp->body);
    memset(resp, 0, sizeof(*resp));
}

static int dup_opt(char **dst, const char *src)
{
    if (!src)
        return 0;
    *dst = cp_strdup(src);
    return *dst ? 0 : -1;
}

struct cp_http_client *cp_http_new(const struct cp_http_options *opts, struct cp_error *err)
{
    pthread_once(&global_once, global_init);
    if (global_rc != CURLE_OK) {
        cp_error_set(err, CP_EINTERNAL, "cannot start libcurl: %s", curl_easy_strerror(global_rc));
        return NULL;
    }
    struct cp_http_client *c = cp_calloc(1, sizeof(*c));
    if (!c) {
        cp_error_oom(err);
        return NULL;
    }
    if (opts)
        c->opts = *opts;
    else
        cp_http_options_init(&c->opts);
    c->curl = curl_easy_init();
    if (!c->curl || dup_opt(&c->ca_path, c->opts.ca_path) || dup_opt(&c->token, c->opts.token) ||
        dup_opt(&c->token_scheme, c->opts.token_scheme ? c->opts.token_scheme : "Bearer") ||
        dup_opt(&c->username, c->opts.username) || dup_opt(&c->password, c->opts.password) ||
        dup_opt(&c->user_agent, c->opts.user_agent ? c->opts.user_agent : "cellpipe/" CP_VERSION)) {
        cp_http_free(c);
        cp_error_oom(err);
        return NULL;
    }
    c->rng = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)c;
    return c;
}

void cp_http_free(struct cp_http_client *c)
{
    if (!c)
        return;
    if (c->curl)
        curl_easy_cleanup(c->curl);
    cp_free(c->ca_path);
    cp_free(c->token);
    cp_free(c->token_scheme);
    cp_free(c->username);
    if (c->password) /* do not leave the secret in freed memory */
        memset(c->password, 0, strlen(c->password));
    cp_free(c->password);
    cp_free(c->user_agent);
    cp_free(c);
}

int cp_http_max_retries(const struct cp_http_client *c)
{
    return c->opts.max_retries;
}

long cp_http_request_count(const struct cp_http_client *c)
{
    return c ? c->requests : 0;
}

long cp_http_total_requests(void)
{
    return __atomic_load_n(&total_requests, __ATOMIC_RELAXED);
}

int cp_http_status_retryable(long status)
{
    return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 ||
           status == 504;
}

double cp_http_backoff_s(const struct cp_http_options *opts, int k, double u)
{
    double wait = opts->backoff_factor * ldexp(1.0, k > 0 ? k - 1 : 0);
    wait += u * opts->backoff_jitter;
    return wait > opts->max_backoff_s ? opts->max_backoff_s : wait;
}

double cp_http_parse_retry_after(const char *value, double now_s)
{
    while (*value == ' ' || *value == '\t')
        value++;
    if (*value >= '0' && *value <= '9') {
        char *end = NULL;
        errno = 0;
        double v = strtod(value, &end);
        while (end && (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
            end++;
        if (errno || !end || *end)
            return -1;
        return v;
    }
    time_t t = curl_getdate(value, NULL);
    if (t == (time_t)-1)
        return -1;
    double d = (double)t - now_s;
    return d > 0 ? d : 0;
}

/* --- one attempt ----------------------------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    struct cp_strbuf *sb = ctx;
    return cp_strbuf_add(sb, data, size * n) == 0 ? size * n : 0;
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    struct attempt *a = ctx;
    size_t len = size * n;
    static const char key[] = "retry-after:";
    if (len > sizeof(key) - 1 && strncasecmp(data, key, sizeof(key) - 1) == 0) {
        char value[128];
        size_t vlen = len - (sizeof(key) - 1);
        if (vlen >= sizeof(value))
            vlen = sizeof(value) - 1;
        memcpy(value, data + sizeof(key) - 1, vlen);
        value[vlen] = '\0';
        a->retry_after = cp_http_parse_retry_after(value, (double)time(NULL));
    }
    return len;
}

static int add_header(struct curl_slist **list, const char *name, const char *value)
{
    struct cp_strbuf sb = CP_STRBUF_INIT;
    cp_strbuf_init(&sb);
    int rc = cp_strbuf_addf(&sb, "%s: %s", name, value);
    struct curl_slist *next = rc == 0 ? curl_slist_append(*list, sb.buf) : NULL;
    if (sb.buf && sb.len)
        memset(sb.buf, 0, sb.len); /* may hold a token */
    cp_strbuf_release(&sb);
    if (!next)
        return -1;
    *list = next;
    return 0;
}

static int build_headers(const struct cp_http_client *c, const struct cp_http_request *req,
                         struct curl_slist **list)
{
    if (req->body && add_header(list, "Content-Type",
                                req->content_type ? req->content_type : "application/json"))
        return -1;
    if (add_header(list, "Accept", "application/json") || add_header(list, "Expect", ""))
        return -1;
    if (c->token) {
        struct cp_strbuf v = CP_STRBUF_INIT;
        cp_strbuf_init(&v);
        int rc = cp_strbuf_addf(&v, "%s %s", c->token_scheme, c->token);
        if (rc == 0)
            rc = add_header(list, "Authorization", v.buf);
        if (v.buf && v.len)
            memset(v.buf, 0, v.len);
        cp_strbuf_release(&v);
        if (rc)
            return -1;
    }
    return 0;
}

static void set_options(struct cp_http_client *c, const struct cp_http_request *req,
                        struct cp_http_response *resp, struct attempt *a, struct curl_slist *hdrs)
{
    CURL *h = c->curl;
    curl_easy_reset(h);
    double ct = c->opts.connect_timeout_s < c->opts.timeout_s ? c->opts.connect_timeout_s
                                                              : c->opts.timeout_s;
    curl_easy_setopt(h, CURLOPT_URL, req->url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(ct * 1000));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(c->opts.timeout_s * 1000));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp->body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, a);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, a->curl_msg);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, c->opts.insecure ? 0L : 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, c->opts.insecure ? 0L : 2L);
    if (c->ca_path)
        curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_path);
    if (c->username && !c->token) {
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(h, CURLOPT_USERNAME, c->username);
        curl_easy_setopt(h, CURLOPT_PASSWORD, c->password ? c->password : "");
    }
    if (req->body || strcmp(req->method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)(req->body ? req->body_len : 0));
    }
    /* libcurl silently resends a request whose reused connection died before any answer:
     * a create must not be sent twice behind our back */
    if (req->non_idempotent)
        curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
}

static void attempt_once(struct cp_http_client *c, const struct cp_http_request *req,
                         struct cp_http_response *resp, struct attempt *a, struct curl_slist *hdrs)
{
    memset(a, 0, sizeof(*a));
    a->retry_after = -1;
    cp_strbuf_reset(&resp->body);
    set_options(c, req, resp, a, hdrs);
    c->requests++;
    __atomic_add_fetch(&total_requests, 1, __ATOMIC_RELAXED);
    a->code = curl_easy_perform(c->curl);
    if (a->code == CURLE_OK)
        curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &a->status);
    curl_easy_getinfo(c->curl, CURLINFO_REQUEST_SIZE, &a->sent);
    resp->status = a->status;
}

/* Transport failures worth another attempt: the server may come back. */
static int code_retryable(CURLcode code)
{
    switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return 1;
    default:
        return 0;
    }
}

/* Could the server have acted on this failed attempt? Then a non-idempotent request is not
 * resent here: its caller looks first whether the work was done. 408, 429 and 503 say the
 * server declined; a failure before the request left (connect, resolve) did nothing. */
static int maybe_applied(const struct attempt *a)
{
    if (a->code == CURLE_OK)
        return a->status != 408 && a->status != 429 && a->status != 503;
    return a->sent > 0;
}

/* The single place a CURLcode becomes a cp_error. */
static int attempt_error(const struct attempt *a, const char *url, int attempts,
                         struct cp_error *err)
{
    const char *why = a->curl_msg[0] ? a->curl_msg : curl_easy_strerror(a->code);
    switch (a->code) {
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return cp_error_set(err, CP_ECONFIG, "'%s': %s", url, why);
    case CURLE_OUT_OF_MEMORY:
        return cp_error_oom(err);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CONNECT_ERROR:
        return cp_error_set(err, CP_EUNAVAILABLE, "'%s': TLS failed: %s", url, why);
    default:
        if (a->code == CURLE_OK)
            return cp_error_set(err, CP_EUNAVAILABLE, "'%s': HTTP %ld after %d attempts", url,
                                a->status, attempts);
        return cp_error_set(err, CP_EUNAVAILABLE, "'%s': %s (after %d attempts)", url, why,
                            attempts);
    }
}

static void do_sleep(const struct cp_http_options *o, double s)
{
    if (o->sleep_fn) {
        o->sleep_fn(s, o->sleep_ctx);
        return;
    }
    struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static double next_uniform(struct cp_http_client *c)
{
    c->rng = c->rng * 1103515245u + 12345u;
    return (double)((c->rng >> 8) & 0xffffff) / 16777216.0;
}

int cp_http_request(struct cp_http_client *c, const struct cp_http_request *req,
                    struct cp_http_response *resp, struct cp_error *err)
{
    struct curl_slist *hdrs = NULL;
    struct cp_strbuf safe_url = CP_STRBUF_INIT;
    struct attempt a;
    int rc = 0;
    cp_strbuf_init(&safe_url);
    resp->unsure = 0;
    if (build_headers(c, req, &hdrs) || cp_http_redact_url(&safe_url, req->url)) {
        rc = cp_error_oom(err);
        goto cleanup;
    }
    for (int k = 0;; k++) {
        attempt_once(c, req, resp, &a, hdrs);
        resp->attempts = k + 1;
        int again =
            a.code == CURLE_OK ? cp_http_status_retryable(a.status) : code_retryable(a.code);
        if (a.code == CURLE_OK && !again)
            break;
        if (again && req->non_idempotent && maybe_applied(&a))
            resp->unsure = 1;
        if (!again || k >= c->opts.max_retries || resp->unsure) {
            rc = attempt_error(&a, safe_url.buf, k + 1, err);
            goto cleanup;
        }
        double wait = a.retry_after >= 0 ? fmin(a.retry_after, c->opts.max_backoff_s)
                                         : cp_http_backoff_s(&c->opts, k + 1, next_uniform(c));
        cp_log(CP_LOG_WARN,
               "stage=http method=%s url=\"%s\" status=%ld error=\"%s\" retry=%d "
               "wait_s=%.3f",
               req->method, safe_url.buf, a.status,
               a.code == CURLE_OK ? "" : curl_easy_strerror(a.code), k + 1, wait);
        do_sleep(&c->opts, wait);
    }
cleanup:
    curl_slist_free_all(hdrs);
    cp_strbuf_release(&safe_url);
    return rc;
}

/* --- URL helpers ----------------------------------------------------------------------- */

static int secret_key(const char *k, size_t n)
{
    static const char *const keys[] = {"api_key", "token", "password", "access_token", NULL};
    for (size_t i = 0; keys[i]; i++)
        if (strlen(keys[i]) == n && strncasecmp(k, keys[i], n) == 0)
            return 1;
    return 0;
}

static int redact_query(struct cp_strbuf *sb, const char *q)
{
    while (*q) {
        size_t n = strcspn(q, "&#");
        const char *eq = memchr(q, '=', n);
        int rc;
        if (eq && secret_key(q, (size_t)(eq - q)))
            rc = cp_strbuf_add(sb, q, (size_t)(eq - q) + 1) || cp_strbuf_adds(sb, "***");
        else
            rc = cp_strbuf_add(sb, q, n);
        if (rc)
            return -1;
        q += n;
        if (*q == '#')
            return cp_strbuf_adds(sb, q);
        if (*q == '&') {
            if (cp_strbuf_addch(sb, '&'))
                return -1;
            q++;
        }
    }
    return 0;
}

int cp_http_redact_url(struct cp_strbuf *sb, const char *url)
{
    const char *scheme = strstr(url, "://");
    const char *host = scheme ? scheme + 3 : url;
    size_t auth_len = strcspn(host, "/?#");
    const char *at = NULL;
    for (const char *p = host; p < host + auth_len; p++)
        if (*p == '@')
            at = p;
    if (cp_strbuf_add(sb, url, (size_t)(host - url)))
        return -1;
    if (at && cp_strbuf_adds(sb, "***@"))
        return -1;
    const char *rest = at ? at + 1 : host;
    const char *q = strchr(rest, '?');
    if (!q)
        return cp_strbuf_adds(sb, rest);
    if (cp_strbuf_add(sb, rest, (size_t)(q - rest) + 1))
        return -1;
    return redact_query(sb, q + 1);
}

int cp_http_escape(struct cp_strbuf *sb, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' || *p == '~';
        int rc = plain ? cp_strbuf_addch(sb, (char)*p)
                       : cp_strbuf_addch(sb, '%') || cp_strbuf_addch(sb, hex[*p >> 4]) ||
                             cp_strbuf_addch(sb, hex[*p & 15]);
        if (rc)
            return -1;
    }
    return 0;
}
