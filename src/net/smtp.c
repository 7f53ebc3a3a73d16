/*
 * One mail through libcurl's SMTP (include/cellpipe/smtp.h). CURLcode is translated into our
 * codes here and nowhere else.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/log.h"
#include "cellpipe/smtp.h"
#include "cellpipe/strbuf.h"

/* scheme://host[:port] of url, without credentials or path: safe to print. */
static char *safe_url(const char *url)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *out = NULL;
    struct cp_strbuf sb;
    cp_strbuf_init(&sb);
    if (!u || curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
        goto cleanup;
    curl_url_get(u, CURLUPART_PORT, &port, 0);
    if (cp_strbuf_addf(&sb, "%s://%s%s%s", scheme, host, port ? ":" : "", port ? port : "") < 0)
        goto cleanup;
    out = cp_strbuf_detach(&sb);
cleanup:
    cp_strbuf_release(&sb);
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return out;
}

int cp_smtp_is_loopback(const char *url, struct cp_error *err)
{
    CURLU *u = curl_url();
    char *host = NULL;
    int rc;
    if (!u)
        return cp_error_oom(err);
    if (!url || curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        rc = cp_error_set(err, CP_ECONFIG, "email.smtp_url: cannot parse '%s'", url ? url : "");
        goto cleanup;
    }
    rc = strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 ||
         strcmp(host, "[::1]") == 0 || strcmp(host, "::1") == 0;
cleanup:
    curl_free(host);
    curl_url_cleanup(u);
    return rc;
}

static int has_crlf(const char *s)
{
    return s && strpbrk(s, "\r\n") != NULL;
}

static int add_text_part(curl_mime *mime, const char *data, const char *type)
{
    curl_mimepart *part = curl_mime_addpart(mime);
    if (!part)
        return -1;
    if (curl_mime_data(part, data, CURL_ZERO_TERMINATED) != CURLE_OK ||
        curl_mime_type(part, type) != CURLE_OK ||
        curl_mime_encoder(part, "quoted-printable") != CURLE_OK)
        return -1;
    return 0;
}

/* multipart/mixed { multipart/alternative { text, html }, attachment }. */
static curl_mime *build_mime(CURL *curl, const struct cp_smtp_message *m)
{
    curl_mime *mime = curl_mime_init(curl);
    curl_mime *alt = curl_mime_init(curl);
    struct curl_slist *inl = NULL;
    if (!mime || !alt)
        goto fail;
    if (add_text_part(alt, m->text ? m->text : "", "text/plain; charset=utf-8") < 0)
        goto fail;
    if (m->html && add_text_part(alt, m->html, "text/html; charset=utf-8") < 0)
        goto fail;
    curl_mimepart *part = curl_mime_addpart(mime);
    if (!part || curl_mime_subparts(part, alt) != CURLE_OK)
        goto fail;
    alt = NULL; /* the part owns it now */
    inl = curl_slist_append(NULL, "Content-Disposition: inline");
    if (!inl || curl_mime_type(part, "multipart/alternative") != CURLE_OK ||
        curl_mime_headers(part, inl, 1) != CURLE_OK)
        goto fail;
    inl = NULL;
    if (m->attach_path) {
        part = curl_mime_addpart(mime);
        if (!part || curl_mime_filedata(part, m->attach_path) != CURLE_OK ||
            curl_mime_type(part, m->attach_type ? m->attach_type : "application/octet-stream") !=
                CURLE_OK ||
            curl_mime_encoder(part, "base64") != CURLE_OK)
            goto fail;
    }
    return mime;
fail:
    curl_slist_free_all(inl);
    curl_mime_free(alt);
    curl_mime_free(mime);
    return NULL;
}

static int transient(CURLcode c)
{
    return c == CURLE_COULDNT_CONNECT || c == CURLE_OPERATION_TIMEDOUT ||
           c == CURLE_COULDNT_RESOLVE_HOST || c == CURLE_SEND_ERROR || c == CURLE_RECV_ERROR ||
           c == CURLE_GOT_NOTHING;
}

/* Is this line we send a plain SMTP command (no secret in it)? Anything else (AUTH, and the
 * base64 answers of an AUTH LOGIN or CRAM-MD5 exchange) carries credentials. */
static int plain_command(const char *line, size_t n)
{
    static const char *const verbs[] = {"EHLO ", "HELO ", "MAIL ",    "RCPT ", "DATA", "QUIT",
                                        "RSET",  "NOOP",  "STARTTLS", "VRFY ", NULL};
    for (size_t i = 0; verbs[i]; i++) {
        size_t k = strlen(verbs[i]);
        if (n >= k && strncasecmp(line, verbs[i], k) == 0)
            return 1;
    }
    return 0;
}

/* The trace writer: what libcurl's verbose mode prints, but every line we send that is not a
 * plain command shows as "AUTH <mechanism> ***" or "***", since its base64 is the password. */
static int trace_line(CURL *curl, curl_infotype type, char *data, size_t size, void *ctx)
{
    (void)curl;
    (void)ctx;
    if (type == CURLINFO_TEXT)
        fprintf(stderr, "* %.*s", (int)size, data);
    else if (type == CURLINFO_HEADER_IN)
        fprintf(stderr, "< %.*s", (int)size, data);
    else if (type == CURLINFO_HEADER_OUT && plain_command(data, size))
        fprintf(stderr, "> %.*s", (int)size, data);
    else if (type == CURLINFO_HEADER_OUT && size > 5 && strncasecmp(data, "AUTH ", 5) == 0)
        fprintf(stderr, "> AUTH %.*s ***\n", (int)strcspn(data + 5, " \r\n"), data + 5);
    else if (type == CURLINFO_HEADER_OUT)
        fputs("> ***\n", stderr);
    return 0;
}

static int setup(CURL *curl, const struct cp_smtp_message *m, struct curl_slist *rcpt,
                 struct curl_slist *headers, curl_mime *mime, char *errbuf)
{
    long timeout_ms = (long)((m->timeout_s > 0 ? m->timeout_s : 60) * 1000);
    int ok = curl_easy_setopt(curl, CURLOPT_URL, m->url) == CURLE_OK &&
             curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf) == CURLE_OK &&
             curl_easy_setopt(curl, CURLOPT_MAIL_FROM, m->mail_from) == CURLE_OK &&
             curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt) == CURLE_OK &&
             curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers) == CURLE_OK &&
             curl_easy_setopt(curl, CURLOPT_MIMEPOST, mime) == CURLE_OK &&
             curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms) == CURLE_OK &&
             curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 15000L) == CURLE_OK &&
             curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
    /* The SMTP dialogue on stderr, for a relay that refuses us; through trace_line, as
     * libcurl's own verbose output shows the AUTH line whose base64 is the password. */
    if (ok && getenv("CELLPIPE_SMTP_TRACE"))
        ok = curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, trace_line) == CURLE_OK &&
             curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L) == CURLE_OK;
    if (ok && m->require_tls)
        ok = curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL) == CURLE_OK;
    if (ok && m->ca_file && *m->ca_file)
        ok = curl_easy_setopt(curl, CURLOPT_CAINFO, m->ca_file) == CURLE_OK;
    if (ok && m->username && *m->username)
        ok = curl_easy_setopt(curl, CURLOPT_USERNAME, m->username) == CURLE_OK &&
             curl_easy_setopt(curl, CURLOPT_PASSWORD, m->password ? m->password : "") == CURLE_OK;
    return ok ? 0 : -1;
}

static int check_message(const struct cp_smtp_message *m, struct cp_error *err)
{
    if (!m->url || !*m->url)
        return cp_error_set(err, CP_ECONFIG, "email.smtp_url is empty (set it or SMTP_URL)");
    if (!m->mail_from || has_crlf(m->mail_from))
        return cp_error_set(err, CP_ECONFIG, "email.from: invalid envelope address");
    if (m->nrcpt == 0)
        return cp_error_set(err, CP_ECONFIG, "email: no recipients (email.to)");
    for (size_t i = 0; i < m->nrcpt; i++)
        if (has_crlf(m->rcpt[i]))
            return cp_error_set(err, CP_ECONFIG, "email: recipient holds CR or LF");
    for (size_t i = 0; i < m->nheaders; i++)
        if (has_crlf(m->headers[i]))
            return cp_error_set(err, CP_ECONFIG, "email: header line holds CR or LF");
    return 0;
}

static void backoff(int attempt)
{
    struct timespec ts = {0, 0};
    long ms = 500L << attempt;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

static int perform(CURL *curl, const struct cp_smtp_message *m, char *errbuf, struct cp_error *err)
{
    int attempts = m->attempts > 0 ? m->attempts : 3;
    CURLcode c = CURLE_OK;
    for (int i = 0; i < attempts; i++) {
        errbuf[0] = '\0';
        c = curl_easy_perform(curl);
        if (c == CURLE_OK || !transient(c))
            break;
        if (i + 1 < attempts) {
            cp_log(CP_LOG_WARN, "sink=email attempt=%d error=\"%s\" retry=yes", i + 1,
                   curl_easy_strerror(c));
            backoff(i);
        }
    }
    if (c == CURLE_OK)
        return 0;
    char *safe = safe_url(m->url);
    int rc = cp_error_set(err, c == CURLE_URL_MALFORMAT ? CP_ECONFIG : CP_EUNAVAILABLE,
                          "cannot send mail via '%s': %s%s%s", safe ? safe : "(smtp url)",
                          curl_easy_strerror(c), errbuf[0] ? ": " : "", errbuf);
    cp_free(safe);
    return rc;
}

int cp_smtp_send(const struct cp_smtp_message *m, struct cp_error *err)
{
    int rc = check_message(m, err);
    if (rc < 0)
        return rc;
    char errbuf[CURL_ERROR_SIZE];
    struct curl_slist *rcpt = NULL, *headers = NULL;
    curl_mime *mime = NULL;
    CURL *curl = curl_easy_init();
    if (!curl)
        return cp_error_oom(err);
    for (size_t i = 0; i < m->nrcpt; i++) {
        struct curl_slist *n = curl_slist_append(rcpt, m->rcpt[i]);
        if (!n) {
            rc = cp_error_oom(err);
            goto cleanup;
        }
        rcpt = n;
    }
    for (size_t i = 0; i < m->nheaders; i++) {
        struct curl_slist *n = curl_slist_append(headers, m->headers[i]);
        if (!n) {
            rc = cp_error_oom(err);
            goto cleanup;
        }
        headers = n;
    }
    mime = build_mime(curl, m);
    if (!mime || setup(curl, m, rcpt, headers, mime, errbuf) < 0)
        rc = cp_error_oom(err);
    else
        rc = perform(curl, m, errbuf, err);
cleanup:
    curl_easy_cleanup(curl);
    curl_mime_free(mime);
    curl_slist_free_all(rcpt);
    curl_slist_free_all(headers);
    return rc;
}
