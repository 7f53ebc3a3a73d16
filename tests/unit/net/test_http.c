/*
 * src/net/http.c against tests/fixtures/http_fault_fixture.py, a local HTTP FIXTURE that
 * answers 503, 429 with Retry-After, and resets connections on demand. Waits go through the
 * sleep hook, so the test records them instead of sleeping.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/http.h"
#include "cellpipe/log.h"
#include "fixture.h"
#include "harness.h"

static struct fixture fx;
static double waits[16];
static int nwaits;

static void record_sleep(double s, void *ctx)
{
    (void)ctx;
    if (nwaits < 16)
        waits[nwaits] = s;
    nwaits++;
}

static void opts_for_test(struct cp_http_options *o)
{
    cp_http_options_init(o);
    o->backoff_factor = 0.5;
    o->backoff_jitter = 0.25;
    o->max_retries = 3;
    o->timeout_s = 10;
    o->sleep_fn = record_sleep;
}

/* GET http://127.0.0.1:<port><path> with a fresh client; returns the cp_http_request code. */
static int get(const struct cp_http_options *o, const char *path, struct cp_http_response *resp,
               struct cp_error *err)
{
    char url[256];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", fx.port, path);
    struct cp_http_client *c = cp_http_new(o, err);
    if (!c)
        return -1;
    struct cp_http_request req = {.method = "GET", .url = url};
    nwaits = 0;
    int rc = cp_http_request(c, &req, resp, err);
    cp_http_free(c);
    return rc;
}

static long hits(const char *path)
{
    struct cp_http_options o;
    struct cp_http_response r;
    struct cp_error err;
    char p[200];
    cp_error_clear(&err);
    opts_for_test(&o);
    cp_http_response_init(&r);
    snprintf(p, sizeof(p), "/hits%s", path);
    long n = -1;
    if (get(&o, p, &r, &err) == 0) {
        const char *h = strstr(r.body.buf, "\"hits\": ");
        n = h ? strtol(h + 8, NULL, 10) : -1;
    }
    cp_http_response_release(&r);
    return n;
}

TEST(backoff_formula)
{
    struct cp_http_options o;
    cp_http_options_init(&o);
    /* defaults are MLflow's: factor 2, jitter 1, cap 120 */
    CHECK_NEAR(cp_http_backoff_s(&o, 1, 0.0), 2.0, 1e-12);
    CHECK_NEAR(cp_http_backoff_s(&o, 2, 0.0), 4.0, 1e-12);
    CHECK_NEAR(cp_http_backoff_s(&o, 3, 0.5), 8.5, 1e-12);
    CHECK_NEAR(cp_http_backoff_s(&o, 10, 0.0), 120.0, 1e-12);
    CHECK(cp_http_status_retryable(503) && cp_http_status_retryable(429) &&
          cp_http_status_retryable(408) && cp_http_status_retryable(504));
    CHECK(!cp_http_status_retryable(404) && !cp_http_status_retryable(400) &&
          !cp_http_status_retryable(501));
}

TEST(retry_after_parsing)
{
    CHECK_NEAR(cp_http_parse_retry_after(" 7\r\n", 0), 7.0, 1e-12);
    CHECK_NEAR(cp_http_parse_retry_after("0", 0), 0.0, 1e-12);
    /* Sun, 06 Nov 1994 08:49:37 GMT is 784111777 (RFC 9110's example) */
    CHECK_NEAR(cp_http_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111770.0), 7.0, 1e-9);
    CHECK_NEAR(cp_http_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111800.0), 0.0, 1e-9);
    CHECK(cp_http_parse_retry_after("soon", 0) < 0);
    CHECK(cp_http_parse_retry_after("5 s", 0) < 0);
}

TEST(redact_url)
{
    struct cp_strbuf sb;
    cp_strbuf_init(&sb);
    cp_http_redact_url(&sb, "https://bob:hunter2@mlflow.example:5000/api?x=1&api_key=SECRET#f");
    CHECK_STR(sb.buf, "https://***@mlflow.example:5000/api?x=1&api_key=***#f");
    cp_strbuf_reset(&sb);
    cp_http_redact_url(&sb, "http://h/p?token=abc");
    CHECK_STR(sb.buf, "http://h/p?token=***");
    cp_strbuf_reset(&sb);
    cp_http_redact_url(&sb, "http://h/a@b");
    CHECK_STR(sb.buf, "http://h/a@b");
    cp_strbuf_reset(&sb);
    cp_http_escape(&sb, "a b/c:d~");
    CHECK_STR(sb.buf, "a%20b%2Fc%3Ad~");
    cp_strbuf_release(&sb);
}

TEST(mlflow_env)
{
    struct cp_http_options o;
    struct cp_error err;
    cp_error_clear(&err);
    cp_http_options_init(&o);
    setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "7", 1);
    setenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0.5", 1);
    setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "30", 1);
    setenv("MLFLOW_TRACKING_INSECURE_TLS", "true", 1);
    setenv("MLFLOW_TRACKING_TOKEN", "tok", 1);
    CHECK_INT(cp_http_options_mlflow_env(&o, &err), 0);
    CHECK_INT(o.max_retries, 7);
    CHECK_NEAR(o.backoff_factor, 0.5, 0);
    CHECK_NEAR(o.timeout_s, 30, 0);
    CHECK_INT(o.insecure, 1);
    CHECK_STR(o.token, "tok");
    setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "soon", 1);
    CHECK_INT(cp_http_options_mlflow_env(&o, &err), -CP_ECONFIG);
    CHECK(strstr(err.msg, "MLFLOW_HTTP_REQUEST_TIMEOUT") != NULL);
    unsetenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES");
    unsetenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR");
    unsetenv("MLFLOW_HTTP_REQUEST_TIMEOUT");
    unsetenv("MLFLOW_TRACKING_INSECURE_TLS");
    unsetenv("MLFLOW_TRACKING_TOKEN");
}

TEST(retries_503_then_ok)
{
    struct cp_http_options o;
    struct cp_http_response r;
    struct cp_error err;
    cp_error_clear(&err);
    opts_for_test(&o);
    cp_http_response_init(&r);
    CHECK_INT(get(&o, "/fail/503/2", &r, &err), 0);
    CHECK_INT(r.status, 200);
    CHECK_INT(r.attempts, 3);
    CHECK_INT(nwaits, 2);
    /* wait k is 0.5 * 2^(k-1) plus jitter in [0, 0.25) */
    CHECK(waits[0] >= 0.5 && waits[0] < 0.75);
    CHECK(waits[1] >= 1.0 && waits[1] < 1.25);
    CHECK(strstr(r.body.buf, "\"hits\": 3") != NULL);
    CHECK_INT(hits("/fail/503/2"), 3);
    cp_http_response_release(&r);
}

TEST(retry_after_seconds_honoured)
{
    struct cp_http_options o;
    struct cp_http_response r;
    struct cp_error err;
    cp_error_clear(&err);
    opts_for_test(&o);
    cp_http_response_init(&r);
    CHECK_INT(get(&o, "/retry-after/7/1", &r, &err), 0);
    CHECK_INT(r.status, 200);
    CHECK_INT(r.attempts, 2);
    CHECK_INT(nwaits, 1);
    CHECK_NEAR(waits[0], 7.0, 1e-9);
    /* the cap still applies to what the server asks for */
    o.max_backoff_s = 3;
    CHECK_INT(get(&o, "/retry-after/60/1", &r, &err), 0);
    CHECK_NEAR(waits[0], 3.0, 1e-9);
    cp_http_response_release(&r);
}

TEST(retry_after_date_honoured)
{
    struct cp_http_options o;
    struct cp_http_response r;
    struct cp_error err;
    cp_error_clear(&err);
    opts_for_test(&o);
    cp_http_response_init(&r);
    CHECK_INT(get(&o, "/retry-date/1", &r, &err), 0);
    CHECK_INT(r.status, 200);
    CHECK_INT(nwaits, 1);
    /* the fixture says now + 3 s; HTTP dates have whole seconds */
    CHECK(waits[0] >= 1.0 && waits[0] <= 4.0);
    cp_http_response_release(&r);
}

TEST(connection_resets_retried)
{
    struct cp_http_options o;
    struct cp_http_response r;
    struct cp_error err;
    cp_error_clear(&err);
    opts_for_test(&o);
    cp_http_response_init(&r);
    CHECK_INT(get(&o, "/reset/2", &r, &err), 0);
    CHECK_INT(r.status, 200);
    CHECK_INT(r.attempts, 3);
    CHECK_INT(hits("/reset/2"), 3);
    cp_http_response_release(&r);
}

TEST(gives_up_after_max_retries)
{
    struct cp_http_options o;
    struct cp_http_response r;
    struct cp_error err;
    cp_error_clear(&err);
    opts_for_test(&o);
    cp_http_response_init(&r);
    CHECK_INT(get(&o, "/always/503", &r, &err), -CP_EUNAVAILABLE);
    CHECK_INT(r.attempts, 4);
    CHECK_INT(nwaits, 3);
    CHECK(strstr(err.msg, "HTTP 503 after 4 attempts") != NULL);
    CHECK_INT(hits("/always/503"), 4);
    cp_http_response_release(&r);
}

TEST(client_errors_not_retried)
{
    struct cp_http_options o;
    struct cp_http_response r;
    struct cp_error err;
    cp_error_clear(&err);
    opts_for_test(&o);
    cp_http_response_init(&r);
    CHECK_INT(get(&o, "/always/404", &r, &err), 0);
    CHECK_INT(r.status, 404);
    CHECK_INT(r.attempts, 1);
    CHECK_INT(get(&o, "/always/501", &r, &err), 0);
    CHECK_INT(r.attempts, 1);
    CHECK_INT(hits("/always/404"), 1);
    cp_http_response_release(&r);
}

static int closed_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    bind(s, (struct sockaddr *)&a, sizeof(a));
    getsockname(s, (struct sockaddr *)&a, &len);
    close(s);
    return ntohs(a.sin_port);
}

TEST(connection_refused_gives_up)
{
    struct cp_http_options o;
    struct cp_http_response r;
    struct cp_error err;
    char url[64];
    cp_error_clear(&err);
    opts_for_test(&o);
    o.max_retries = 2;
    cp_http_response_init(&r);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", closed_port());
    struct cp_http_client *c = cp_http_new(&o, &err);
    struct cp_http_request req = {.method = "GET", .url = url};
    nwaits = 0;
    CHECK_INT(cp_http_request(c, &req, &r, &err), -CP_EUNAVAILABLE);
    CHECK_INT(r.attempts, 3);
    CHECK_INT(r.status, 0);
    CHECK_INT(cp_http_request_count(c), 3);
    CHECK(strstr(err.msg, "after 3 attempts") != NULL);
    cp_http_free(c);
    cp_http_response_release(&r);
}

TEST(auth_headers_and_no_secret_in_log)
{
    struct cp_http_options o;
    struct cp_http_response r;
    struct cp_error err;
    char url[96];
    cp_error_clear(&err);
    opts_for_test(&o);
    cp_http_response_init(&r);
    o.token = "s3cr3t-token";
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/echo", fx.port);
    struct cp_http_client *c = cp_http_new(&o, &err);
    struct cp_http_request req = {.method = "POST", .url = url, .body = "{\"a\":1}", .body_len = 7};
    CHECK_INT(cp_http_request(c, &req, &r, &err), 0);
    CHECK(strstr(r.body.buf, "\"authorization\": \"Bearer s3cr3t-token\"") != NULL);
    CHECK(strstr(r.body.buf, "\"method\": \"POST\"") != NULL);
    CHECK(strstr(r.body.buf, "\"content_type\": \"application/json\"") != NULL);
    CHECK(strstr(r.body.buf, "\"body\": \"{\\\"a\\\":1}\"") != NULL);
    cp_http_free(c);

    /* Basic: base64("ann:pw-123") = YW5uOnB3LTEyMw== */
    o.token = NULL;
    o.username = "ann";
    o.password = "pw-123";
    c = cp_http_new(&o, &err);
    req.method = "PUT";
    CHECK_INT(cp_http_request(c, &req, &r, &err), 0);
    CHECK(strstr(r.body.buf, "\"authorization\": \"Basic YW5uOnB3LTEyMw==\"") != NULL);
    CHECK(strstr(r.body.buf, "\"method\": \"PUT\"") != NULL);
    cp_http_free(c);

    /* Retried calls log a warning: it must not carry the token or the password. */
    char logpath[] = "/tmp/cp_http_logXXXXXX";
    int fd = mkstemp(logpath);
    FILE *f = fdopen(fd, "w+");
    cp_log_tee(f);
    o.token = "s3cr3t-token";
    snprintf(url, sizeof(url), "http://ann:pw-123@127.0.0.1:%d/fail/500/1?api_key=k3y", fx.port);
    c = cp_http_new(&o, &err);
    req.method = "GET";
    req.body = NULL;
    CHECK_INT(cp_http_request(c, &req, &r, &err), 0);
    CHECK_INT(r.attempts, 2);
    cp_http_free(c);
    cp_log_tee(NULL);
    fclose(f);
    char *text = NULL;
    size_t len = 0;
    CHECK_INT(cp_fs_read_file(logpath, &text, &len), 0);
    CHECK(text && strstr(text, "retry=1") != NULL);
    CHECK(text && strstr(text, "s3cr3t") == NULL && strstr(text, "pw-123") == NULL &&
          strstr(text, "k3y") == NULL);
    cp_free(text);
    unlink(logpath);
    cp_http_response_release(&r);
}

/* HTTPS with a self-signed certificate: refused by default, accepted with the certificate
 * as CA (MLFLOW_TRACKING_SERVER_CERT_PATH) or with verification off (INSECURE_TLS). */
static void tls_cases(void)
{
    char dir[] = "/tmp/cp_tls_XXXXXX", arg[64], cert[96], url[96];
    struct fixture tls;
    if (!mkdtemp(dir)) {
        SKIP("tls", "no temp folder");
        return;
    }
    snprintf(arg, sizeof(arg), "--tls=%s", dir);
    snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
    if (fixture_start(&tls, "tests/fixtures/http_fault_fixture.py", arg) != 0) {
        SKIP("tls", "the fixture could not serve HTTPS (openssl missing?)");
        cp_fs_rmtree(dir);
        return;
    }
    snprintf(url, sizeof(url), "https://127.0.0.1:%d/always/200", tls.port);
    struct cp_http_options o;
    struct cp_http_response r;
    struct cp_error err;
    struct cp_http_request req = {.method = "GET", .url = url};
    opts_for_test(&o);
    cp_http_response_init(&r);
    for (int mode = 0; mode < 3; mode++) {
        cp_error_clear(&err);
        o.ca_path = mode == 1 ? cert : NULL;
        o.insecure = mode == 2;
        struct cp_http_client *c = cp_http_new(&o, &err);
        int rc = cp_http_request(c, &req, &r, &err);
        if (mode == 0) {
            CHECK_INT(rc, -CP_EUNAVAILABLE);
            CHECK(strstr(err.msg, "TLS failed") != NULL);
            CHECK_INT(r.attempts, 1); /* a certificate does not get better by retrying */
        } else {
            CHECK_INT(rc, 0);
            CHECK_INT(r.status, 200);
        }
        cp_http_free(c);
    }
    cp_http_response_release(&r);
    fixture_stop(&tls);
    cp_fs_rmtree(dir);
}

int main(void)
{
    RUN(backoff_formula);
    RUN(retry_after_parsing);
    RUN(redact_url);
    RUN(mlflow_env);
    if (fixture_start(&fx, "tests/fixtures/http_fault_fixture.py", NULL) != 0) {
        SKIP("http fixture", "python3 or tests/fixtures/http_fault_fixture.py missing");
        return DONE();
    }
    RUN(retries_503_then_ok);
    RUN(retry_after_seconds_honoured);
    RUN(retry_after_date_honoured);
    RUN(connection_resets_retried);
    RUN(gives_up_after_max_retries);
    RUN(client_errors_not_retried);
    RUN(connection_refused_gives_up);
    RUN(auth_headers_and_no_secret_in_log);
    RUN(tls_cases);
    fixture_stop(&fx);
    return DONE();
}
