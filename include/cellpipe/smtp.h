#ifndef CELLPIPE_SMTP_H
#define CELLPIPE_SMTP_H
/*
 * Sending one mail through libcurl's SMTP (src/net/smtp.c). The message is composed with
 * libcurl's MIME API: a multipart/mixed body holding a multipart/alternative (text, then
 * HTML) and an optional base64 attachment. Header values must already be checked for CR/LF
 * (cp_email_check_header): this layer refuses them too, as a second line of defence.
 *
 * TLS: smtps:// is TLS from the first byte; on smtp://, require_tls makes STARTTLS
 * mandatory (the transfer fails when the server does not offer it). Certificates are
 * verified against the system store, or ca_file ($CURL_CA_BUNDLE, like the curl tool).
 *
 * Errors: CP_EUNAVAILABLE "cannot send mail via 'smtp://host': <libcurl's reason>" after
 * `attempts` tries for transient failures (connect, timeout); immediately for refusals
 * (authentication, recipient, TLS). CP_ECONFIG for a URL libcurl cannot parse.
 */
#include <stddef.h>

struct cp_error;

struct cp_smtp_message {
    const char *url;      /* smtp://host[:port] or smtps://host[:port] */
    int require_tls;      /* smtp://: STARTTLS required */
    const char *username; /* NULL: no authentication */
    const char *password;
    const char *ca_file;     /* NULL: the system store */
    const char *mail_from;   /* bare envelope address */
    const char *const *rcpt; /* bare envelope addresses (To and Cc) */
    size_t nrcpt;
    const char *const *headers; /* "Name: value" lines: From, To, Cc, Subject, Date, ... */
    size_t nheaders;
    const char *text;        /* text/plain body (UTF-8) */
    const char *html;        /* text/html body (UTF-8), or NULL */
    const char *attach_path; /* file to attach, or NULL */
    const char *attach_type; /* e.g. "application/pdf" */
    double timeout_s;        /* whole transfer, default 60 when 0 */
    int attempts;            /* tries for transient failures, default 3 when 0 */
};

/* Send one mail. 0 or a negative code with err set. */
int cp_smtp_send(const struct cp_smtp_message *m, struct cp_error *err);

/* Is the host of this URL a loopback address (localhost, 127.0.0.0/8, ::1)? 1, 0, or a
 * negative code (CP_ECONFIG) when the URL does not parse. */
int cp_smtp_is_loopback(const char *url, struct cp_error *err);

#endif
