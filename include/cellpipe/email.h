#ifndef CELLPIPE_EMAIL_H
#define CELLPIPE_EMAIL_H
/*
 * The emailed summary (DESIGN.md "sinks", docs/deployment.md "Email").
 *
 * cp_sink_email runs after publish (CP_SINK_PUBLISHED): it mails a multipart/alternative
 * text + HTML body rendered from templates/email/body.{txt,html} (KPIs, flagged cells with
 * reasons, EOL forecasts that moved since the previous report, MLflow link, report path) with
 * summary.pdf attached, when `email.when` asks for it:
 *   always   every run, failed ones included;
 *   flagged  runs with at least one flagged cell, and failed runs;
 *   failure  failed runs only.
 * A failed run is mailed through cp_email_send_failure() (templates/email/failure.*), called
 * by the runner, with the error and the tail of run.log.
 *
 * Transport: src/net/smtp.c (libcurl). STARTTLS is required on smtp:// unless the host is a
 * loopback address or `email.starttls: off` is written; smtps:// is TLS throughout.
 * SMTP_USERNAME / SMTP_PASSWORD come from the environment only, CURL_CA_BUNDLE names a CA file.
 *
 * Every header value (configured or derived from data: the subject carries the pipeline name)
 * is checked: CR, LF or another control character is refused with CP_ECONFIG
 * "email.<field>: control character in header value", never sent.
 * A mail that cannot be sent returns CP_EUNAVAILABLE (exit 69); the report stays published.
 */
#include <stddef.h>

#include "cellpipe/sink.h"

struct cp_error;
struct cp_email_config;

extern const struct cp_sink_ops cp_sink_email;

/* A composed mail, ready for the transport. Owned strings; cp_email_release() frees them. */
struct cp_email {
    char *mail_from; /* bare envelope sender */
    char **rcpt;     /* bare envelope recipients: To then Cc */
    size_t nrcpt;
    char **headers; /* "Name: value" lines */
    size_t nheaders;
    char *subject; /* as rendered (before any RFC 2047 encoding) */
    char *text;
    char *html;
    char *attach_path; /* summary.pdf in the published report, or NULL */
};

void cp_email_release(struct cp_email *m);

/* Refuse a header value holding CR, LF or another control character (TAB excepted). */
int cp_email_check_header(const char *field, const char *value, struct cp_error *err);

/* "addr@host" or "Display Name <addr@host>" -> the bare address (*addr, cp_free). */
int cp_email_parse_address(const char *field, const char *spec, char **addr, struct cp_error *err);

/* Should a mail go out? failed: the run failed; flagged: flagged cells. 1 or 0. */
int cp_email_should_send(const struct cp_email_config *c, int failed, long flagged);

/* STARTTLS policy for this config and URL: 1 required, 0 not, negative code on a bad URL. */
int cp_email_require_tls(const struct cp_email_config *c, const char *url, struct cp_error *err);

/* Render the subject template ({pipeline} {date} {flagged} {status}) into *out (cp_free). */
int cp_email_subject(const struct cp_run *run, const char *status, char **out,
                     struct cp_error *err);

/*
 * Compose the mail for a run. failure: NULL for the report mail, else the run's error (the
 * failure template is used, nothing is attached). log_tail: last lines of run.log or NULL.
 */
int cp_email_compose(const struct cp_run *run, const struct cp_error *failure, const char *log_tail,
                     struct cp_email *out, struct cp_error *err);

/* Send a composed mail with the run's email config. 0 or negative code (CP_EUNAVAILABLE). */
int cp_email_send(const struct cp_email_config *c, const struct cp_email *m, struct cp_error *err);

/*
 * For the runner, when a run fails: mail the failure (if email is enabled) with the error and
 * the last 40 lines of log_path (may be NULL). Returns 0 when nothing was to be sent.
 */
int cp_email_send_failure(const struct cp_run *run, const struct cp_error *failure,
                          const char *log_path, struct cp_error *err);

#endif
