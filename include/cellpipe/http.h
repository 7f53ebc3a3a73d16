#ifndef CELLPIPE_HTTP_H
#define CELLPIPE_HTTP_H
/*
 * The one libcurl wrapper (DESIGN.md "Libraries"): every HTTP call of cellpipe (MLflow,
 * Redash) goes through cp_http_request().
 *
 *  - Timeouts: a connect timeout and a total timeout per attempt.
 *  - Retries: connection errors (refused, reset, timed out, empty reply) and HTTP 408, 429,
 *    500, 502, 503, 504 are retried up to max_retries times. The wait before retry k
 *    (1-based) is backoff_factor * 2^(k-1) seconds plus a uniform jitter in
 *    [0, backoff_jitter), capped at max_backoff_s; a Retry-After header (seconds or an
 *    HTTP date) replaces the computed wait, under the same cap. A non_idempotent request is
 *    retried only when the server surely did not act on it (no connection, 408, 429, 503);
 *    after any other failure the caller gets CP_EUNAVAILABLE with resp.unsure set, and must
 *    find out whether the work was done before it sends the request again.
 *  - TLS: peers are verified unless `insecure`; `ca_path` names a CA bundle or server cert.
 *  - Auth: `token` is sent as "Authorization: <token_scheme> <token>" (scheme "Bearer" by
 *    default, "Key" for Redash), or `username`/`password` as HTTP Basic.
 *  - Secrets: tokens, passwords and URL user-info never reach the log or error messages;
 *    URLs are logged through cp_http_redact_url().
 *
 * Errors: cp_http_request() returns 0 when a response arrived whose status is not retryable
 * (the caller judges 4xx/5xx), CP_EUNAVAILABLE when every attempt failed on the connection or
 * with a retryable status, CP_ECONFIG for a URL or TLS setting libcurl refuses, CP_EINTERNAL
 * when out of memory. The message names the redacted URL and the last cause.
 *
 * Ownership: a client owns one curl easy handle (kept alive between calls, so requests to the
 * same server reuse the connection) and copies of every option string. Not thread-safe: one
 * client per thread.
 */
#include <stddef.h>

#include "cellpipe/strbuf.h"

struct cp_error;

struct cp_http_options {
    double connect_timeout_s; /* default 10 (never more than timeout_s) */
    double timeout_s;         /* total per attempt, default 120 */
    int max_retries;          /* default 5 */
    double backoff_factor;    /* seconds, default 2 */
    double backoff_jitter;    /* seconds, default 1 */
    double max_backoff_s;     /* cap on one wait, default 120 */
    int insecure;             /* 1: do not verify TLS peers */
    const char *ca_path;      /* CA bundle / server certificate, or NULL */
    const char *token;        /* secret, or NULL */
    const char *token_scheme; /* "Bearer" when NULL */
    const char *username;     /* Basic auth, or NULL */
    const char *password;     /* secret, or NULL */
    const char *user_agent;   /* default "cellpipe/<version>" */
    /* Test hook: called instead of sleeping (NULL: nanosleep). */
    void (*sleep_fn)(double seconds, void *ctx);
    void *sleep_ctx;
};

/* Fill opts with the defaults above. */
void cp_http_options_init(struct cp_http_options *opts);

/*
 * Apply MLflow's own environment variables: MLFLOW_HTTP_REQUEST_MAX_RETRIES (5),
 * MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR (2), MLFLOW_HTTP_REQUEST_BACKOFF_JITTER (1),
 * MLFLOW_HTTP_REQUEST_TIMEOUT (120), MLFLOW_TRACKING_INSECURE_TLS (true/false),
 * MLFLOW_TRACKING_SERVER_CERT_PATH, MLFLOW_TRACKING_TOKEN (Bearer),
 * MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD (Basic).
 * The strings point into the environment. CP_ECONFIG when a number does not parse.
 */
int cp_http_options_mlflow_env(struct cp_http_options *opts, struct cp_error *err);

struct cp_http_header {
    const char *name;
    const char *value;
};

struct cp_http_request {
    const char *method; /* "GET", "POST", "PUT" */
    const char *url;
    const char *content_type; /* sent when body is not NULL; default application/json */
    const void *body;
    size_t body_len;
    /* 1 for a request that must not run twice (a create): it goes on a fresh connection, and
     * a failure after which the server may have acted on it is not retried (resp.unsure). */
    int non_idempotent;
};

struct cp_http_response {
    long status;           /* last HTTP status, 0 when none arrived */
    struct cp_strbuf body; /* last response body */
    int attempts;          /* attempts made (1 = no retry) */
    int unsure;            /* non_idempotent failed when the server may have acted on it */
};

void cp_http_response_init(struct cp_http_response *resp);
void cp_http_response_release(struct cp_http_response *resp);

struct cp_http_client;

/* A client with a copy of opts (NULL: defaults). NULL with err set when out of memory or
 * libcurl cannot start. */
struct cp_http_client *cp_http_new(const struct cp_http_options *opts, struct cp_error *err);
void cp_http_free(struct cp_http_client *c);

/* Send req, retrying as described above; resp (initialised by the caller) gets the last
 * response. Counts every attempt in cp_http_request_count(). */
int cp_http_request(struct cp_http_client *c, const struct cp_http_request *req,
                    struct cp_http_response *resp, struct cp_error *err);

/* The client's max_retries (callers that retry a non-idempotent request themselves). */
int cp_http_max_retries(const struct cp_http_client *c);

/* Attempts sent by this client so far (benchmarks count requests with it). */
long cp_http_request_count(const struct cp_http_client *c);

/* Attempts sent by every client of this process (benchmarks). */
long cp_http_total_requests(void);

/* Is this HTTP status retried? (408, 429, 500, 502, 503, 504) */
int cp_http_status_retryable(long status);

/* The wait before retry k (1-based) without Retry-After; u is a uniform draw in [0, 1). */
double cp_http_backoff_s(const struct cp_http_options *opts, int k, double u);

/* Parse a Retry-After value (delta seconds or an HTTP date, relative to now_s); the number
 * of seconds to wait (>= 0), or -1 when it does not parse. */
double cp_http_parse_retry_after(const char *value, double now_s);

/* Append url to sb with user-info, and the values of query keys that carry secrets
 * (api_key, token, password), replaced by "***". 0 or -1. */
int cp_http_redact_url(struct cp_strbuf *sb, const char *url);

/* Percent-encode s for a URL path segment or query value into sb. 0 or -1. */
int cp_http_escape(struct cp_strbuf *sb, const char *s);

#endif
