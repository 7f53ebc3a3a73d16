/*
 * The emailed summary (include/cellpipe/email.h). Composition (headers, bodies) is separate
 * from the transport (src/net/smtp.c) so that it can be tested without a server.
 */
#include <dirent.h>
#include <math.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cellpipe/alloc.h"
#include "cellpipe/csv.h"
#include "cellpipe/email.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/kpi.h"
#include "cellpipe/log.h"
#include "cellpipe/smtp.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/template.h"
#include "cellpipe/timeutil.h"

#define LOG_TAIL_LINES 40

void cp_email_release(struct cp_email *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nrcpt; i++)
        cp_free(m->rcpt[i]);
    for (size_t i = 0; i < m->nheaders; i++)
        cp_free(m->headers[i]);
    cp_free(m->rcpt);
    cp_free(m->headers);
    cp_free(m->mail_from);
    cp_free(m->subject);
    cp_free(m->text);
    cp_free(m->html);
    cp_free(m->attach_path);
    memset(m, 0, sizeof(*m));
}

int cp_email_check_header(const char *field, const char *value, struct cp_error *err)
{
    for (const unsigned char *p = (const unsigned char *)(value ? value : ""); *p; p++) {
        if (*p == '\r' || *p == '\n')
            return cp_error_set(err, CP_ECONFIG,
                                "%s: CR or LF in header value refused (header injection)", field);
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            return cp_error_set(err, CP_ECONFIG,
                                "%s: control character 0x%02x in header value refused", field, *p);
    }
    return 0;
}

static int bare_address_ok(const char *a, size_t n)
{
    size_t at = n, ats = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)a[i];
        if (c <= 0x20 || c >= 0x7f || strchr("<>()[],;:\"\\", c))
            return 0;
        if (c == '@') {
            at = i;
            ats++;
        }
    }
    return ats == 1 && at > 0 && at + 1 < n;
}

int cp_email_parse_address(const char *field, const char *spec, char **addr, struct cp_error *err)
{
    int rc = cp_email_check_header(field, spec, err);
    if (rc < 0)
        return rc;
    const char *start = spec, *end = spec + strlen(spec);
    const char *lt = strrchr(spec, '<');
    if (lt) {
        if (end == lt || end[-1] != '>')
            return cp_error_set(err, CP_ECONFIG, "%s: '%s' is not 'Name <address>'", field, spec);
        for (const char *p = spec; p < lt; p++)
            if (strchr("<>\",;\\", *p) || (unsigned char)*p >= 0x7f)
                return cp_error_set(err, CP_ECONFIG,
                                    "%s: display name of '%s' needs quoting; use plain "
                                    "letters or the bare address",
                                    field, spec);
        start = lt + 1;
        end--;
    }
    if (!bare_address_ok(start, (size_t)(end - start)))
        return cp_error_set(err, CP_ECONFIG, "%s: '%s' is not a mail address", field, spec);
    *addr = cp_strndup(start, (size_t)(end - start));
    return *addr ? 0 : cp_error_oom(err);
}

int cp_email_should_send(const struct cp_email_config *c, int failed, long flagged)
{
    if (!c->enabled)
        return 0;
    if (failed)
        return 1;
    switch (c->when) {
    case CP_EMAIL_ALWAYS:
        return 1;
    case CP_EMAIL_FLAGGED:
        return flagged > 0;
    case CP_EMAIL_FAILURE:
        return 0;
    }
    return 0;
}

int cp_email_require_tls(const struct cp_email_config *c, const char *url, struct cp_error *err)
{
    int loopback = cp_smtp_is_loopback(url, err);
    if (loopback < 0)
        return loopback;
    if (strncmp(url, "smtps://", 8) == 0)
        return 0; /* TLS from the first byte: nothing to upgrade */
    if (c->starttls != CP_STARTTLS_AUTO)
        return c->starttls == CP_STARTTLS_REQUIRED;
    return !loopback;
}

static const char *run_status(const struct cp_run *run, const struct cp_error *failure)
{
    if (failure)
        return "failed";
    return cp_kpi_flagged(run) > 0 ? "flagged" : "ok";
}

int cp_email_subject(const struct cp_run *run, const char *status, char **out, struct cp_error *err)
{
    const char *t = run->cfg->email.subject;
    if (!t || !*t)
        t = "[cellpipe] {pipeline} {date}: {status}, {flagged} flagged";
    struct cp_strbuf sb;
    cp_strbuf_init(&sb);
    int rc = 0;
    for (const char *p = t; *p && rc == 0; p++) {
        const char *close = *p == '{' ? strchr(p, '}') : NULL;
        if (!close) {
            rc = cp_strbuf_addch(&sb, *p);
            continue;
        }
        size_t n = (size_t)(close - p - 1);
        if (n == 8 && strncmp(p + 1, "pipeline", n) == 0)
            rc = cp_strbuf_adds(&sb, run->cfg->name ? run->cfg->name : "");
        else if (n == 4 && strncmp(p + 1, "date", n) == 0)
            rc = cp_strbuf_adds(&sb, run->date);
        else if (n == 7 && strncmp(p + 1, "flagged", n) == 0)
            rc = cp_strbuf_addf(&sb, "%ld", cp_kpi_flagged(run));
        else if (n == 6 && strncmp(p + 1, "status", n) == 0)
            rc = cp_strbuf_adds(&sb, status);
        else {
            cp_strbuf_release(&sb);
            return cp_error_set(err, CP_ECONFIG,
                                "email.subject: unknown placeholder '%.*s' (use {pipeline} "
                                "{date} {flagged} {status})",
                                (int)n + 2, p);
        }
        p = close;
    }
    if (rc < 0) {
        cp_strbuf_release(&sb);
        return cp_error_oom(err);
    }
    char *subject = cp_strbuf_detach(&sb);
    rc = cp_email_check_header("email.subject", subject, err);
    if (rc < 0)
        cp_free(subject);
    else
        *out = subject;
    return rc;
}

/* RFC 2047: a subject with non-ASCII bytes (UTF-8) is sent as =?UTF-8?B?...?=. */
static int add_encoded_subject(struct cp_strbuf *sb, const char *s)
{
    int ascii = 1;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        ascii &= *p < 0x80;
    if (ascii)
        return cp_strbuf_addf(sb, "Subject: %s", s);
    size_t n = strlen(s);
    unsigned char *b64 = cp_malloc(4 * ((n + 2) / 3) + 1);
    if (!b64)
        return -1;
    EVP_EncodeBlock(b64, (const unsigned char *)s, (int)n);
    int rc = cp_strbuf_addf(sb, "Subject: =?UTF-8?B?%s?=", (const char *)b64);
    cp_free(b64);
    return rc;
}

/* RFC 5322 date of now, e.g. "Fri, 27 Nov 2026 07:19:31 +0000" (C locale names). */
static void rfc5322_date(char *buf, size_t n)
{
    static const char *const wd[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const mo[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    snprintf(buf, n, "%s, %02d %s %04d %02d:%02d:%02d +0000", wd[tm.tm_wday], tm.tm_mday,
             mo[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* <time.pid.random.cellpipe@domain-of-from>: unique without any state on disk. */
static int add_message_id(struct cp_strbuf *sb, const char *mail_from)
{
    unsigned char rnd[8] = {0};
    const char *at = strrchr(mail_from, '@');
    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        return -1;
    if (cp_strbuf_addf(sb, "Message-ID: <%lld.%ld.", (long long)cp_now_ms(), (long)getpid()) < 0)
        return -1;
    for (size_t i = 0; i < sizeof(rnd); i++)
        if (cp_strbuf_addf(sb, "%02x", rnd[i]) < 0)
            return -1;
    return cp_strbuf_addf(sb, ".cellpipe@%s>", at ? at + 1 : "localhost");
}

static int push(char ***v, size_t *n, char *s)
{
    char **nv = cp_realloc(*v, (*n + 1) * sizeof(**v));
    if (!nv || !s) {
        if (nv)
            *v = nv;
        cp_free(s);
        return -1;
    }
    *v = nv;
    (*v)[(*n)++] = s;
    return 0;
}

static int push_header(struct cp_email *m, struct cp_strbuf *sb)
{
    return push(&m->headers, &m->nheaders, cp_strbuf_detach(sb));
}

/* Envelope recipients and the To/Cc header line for one list. */
static int add_recipients(struct cp_email *m, const char *field, const char *hname,
                          const struct cp_strlist *list, struct cp_error *err)
{
    struct cp_strbuf sb;
    cp_strbuf_init(&sb);
    int rc = 0;
    if (list->n == 0)
        return 0;
    rc = cp_strbuf_addf(&sb, "%s: ", hname) < 0 ? cp_error_oom(err) : 0;
    for (size_t i = 0; i < list->n && rc == 0; i++) {
        char *addr = NULL;
        rc = cp_email_parse_address(field, list->v[i], &addr, err);
        if (rc == 0 && (push(&m->rcpt, &m->nrcpt, addr) < 0 ||
                        cp_strbuf_addf(&sb, "%s%s", i ? ", " : "", list->v[i]) < 0))
            rc = cp_error_oom(err);
    }
    if (rc == 0 && push_header(m, &sb) < 0)
        rc = cp_error_oom(err);
    cp_strbuf_release(&sb);
    return rc;
}

static int compose_headers(const struct cp_run *run, const char *status, struct cp_email *m,
                           struct cp_error *err)
{
    const struct cp_email_config *c = &run->cfg->email;
    struct cp_strbuf sb;
    char date[48];
    if (!c->from || !*c->from)
        return cp_error_set(err, CP_ECONFIG, "email.from is empty");
    int rc = cp_email_parse_address("email.from", c->from, &m->mail_from, err);
    if (rc == 0)
        rc = add_recipients(m, "email.to", "To", &c->to, err);
    if (rc == 0 && m->nrcpt == 0)
        rc = cp_error_set(err, CP_ECONFIG, "email.to is empty");
    if (rc == 0)
        rc = add_recipients(m, "email.cc", "Cc", &c->cc, err);
    if (rc == 0)
        rc = cp_email_subject(run, status, &m->subject, err);
    if (rc < 0)
        return rc;
    rfc5322_date(date, sizeof(date));
    cp_strbuf_init(&sb);
    if (cp_strbuf_addf(&sb, "From: %s", c->from) < 0 || push_header(m, &sb) < 0 ||
        add_encoded_subject(&sb, m->subject) < 0 || push_header(m, &sb) < 0 ||
        cp_strbuf_addf(&sb, "Date: %s", date) < 0 || push_header(m, &sb) < 0 ||
        add_message_id(&sb, m->mail_from) < 0 || push_header(m, &sb) < 0 ||
        cp_strbuf_adds(&sb, "Auto-Submitted: auto-generated") < 0 || push_header(m, &sb) < 0)
        rc = cp_error_oom(err);
    cp_strbuf_release(&sb);
    return rc;
}

/* ---- bodies ---- */

#define EOL_MOVED_FRACTION 0.10 /* a forecast "moved" when it changed by 10 % or more */

struct prev_entry {
    char *id;
    double eol;
};

struct prev_eol {
    struct prev_entry *e; /* sorted by id once loaded */
    size_t n, cap;
};

static void prev_eol_release(struct prev_eol *p)
{
    for (size_t i = 0; i < p->n; i++)
        cp_free(p->e[i].id);
    cp_free(p->e);
    memset(p, 0, sizeof(*p));
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct prev_entry *)a)->id, ((const struct prev_entry *)b)->id);
}

static const struct prev_entry *prev_find(const struct prev_eol *p, const char *id)
{
    struct prev_entry key = {(char *)id, 0};
    return p->n ? bsearch(&key, p->e, p->n, sizeof(*p->e), cmp_entry) : NULL;
}

/* Read results/cells.csv of a previous report: cell_id and eol_forecast of every row. */
static int parse_prev_cells(const char *path, struct prev_eol *p)
{
    struct cp_csv r;
    if (cp_csv_open(&r, path, ',') < 0)
        return 0; /* no previous figures is not an error */
    int rc = 0;
    int cid = -1, ceol = -1;
    if (cp_csv_next(&r) == 1) {
        cid = cp_csv_field_index(&r, "cell_id");
        ceol = cp_csv_field_index(&r, "eol_forecast");
    }
    while (rc == 0 && cid >= 0 && ceol >= 0 && cp_csv_next(&r) == 1) {
        double v;
        if ((size_t)cid >= r.nfields || (size_t)ceol >= r.nfields ||
            cp_csv_number(r.fields[ceol], &v) < 0)
            continue;
        char *id = cp_strdup(r.fields[cid]);
        if (!id || cp_grow((void **)&p->e, &p->cap, p->n + 1, sizeof(*p->e)) < 0) {
            cp_free(id);
            rc = -1;
            break;
        }
        p->e[p->n].id = id;
        p->e[p->n++].eol = v;
    }
    if (rc == 0 && p->n)
        qsort(p->e, p->n, sizeof(*p->e), cmp_entry);
    cp_csv_close(&r);
    return rc;
}

/* Newest dated sibling of the report folder older than this run's date, or NULL. */
static char *previous_report(const struct cp_run *run)
{
    if (!run->report_dir)
        return NULL;
    const char *slash = strrchr(run->report_dir, '/');
    char *parent =
        slash ? cp_strndup(run->report_dir, (size_t)(slash - run->report_dir)) : cp_strdup(".");
    char best[11] = "";
    DIR *d = parent ? opendir(parent) : NULL;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        int64_t t;
        if (strlen(e->d_name) == 10 && cp_parse_date(e->d_name, &t) == 0 &&
            strcmp(e->d_name, run->date) < 0 && strcmp(e->d_name, best) > 0)
            memcpy(best, e->d_name, 11);
    }
    if (d)
        closedir(d);
    char *out = best[0] && parent ? cp_path_join(parent, best) : NULL;
    cp_free(parent);
    return out;
}

/* 1 when a previous report exists (its forecasts, if any, in p), 0 when none, -1 OOM. */
static int load_prev_eol(const struct cp_run *run, struct prev_eol *p)
{
    char *dir = previous_report(run);
    char *path = dir ? cp_path_join(dir, "results/cells.csv") : NULL;
    int rc = path ? parse_prev_cells(path, p) : 0;
    if (rc == 0 && dir)
        rc = 1;
    cp_free(path);
    cp_free(dir);
    return rc;
}

static int add_block_line(struct cp_strbuf *text, struct cp_strbuf *html, const char *t,
                          const char *const *cells, size_t n)
{
    if (cp_strbuf_addf(text, "  %s\n", t) < 0 || cp_strbuf_adds(html, "<tr>") < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (cp_strbuf_adds(html, "<td>") < 0 || cp_html_escape(html, cells[i]) < 0 ||
            cp_strbuf_adds(html, "</td>") < 0)
            return -1;
    return cp_strbuf_adds(html, "</tr>\n");
}

static int eol_moved_blocks(const struct cp_run *run, struct cp_strbuf *text,
                            struct cp_strbuf *html)
{
    struct prev_eol p = {0};
    int found = load_prev_eol(run, &p), moved = 0;
    int rc = found < 0 ? -1 : 0;
    for (size_t i = 0; i < run->nresults && rc == 0; i++) {
        const struct cp_cell_result *r = &run->results[i];
        const char *id = cp_kpi_cell_str(run, r, "cell_id");
        const struct prev_entry *was_e = prev_find(&p, id);
        if (!was_e || isnan(r->eol_forecast) || !(was_e->eol > 0) ||
            !(fabs(r->eol_forecast - was_e->eol) >= EOL_MOVED_FRACTION * was_e->eol))
            continue;
        char was[32], now[32], line[160];
        snprintf(was, sizeof(was), "%.0f", was_e->eol);
        snprintf(now, sizeof(now), "%.0f", r->eol_forecast);
        snprintf(line, sizeof(line), "%s: %s -> %s cycles", id, was, now);
        const char *cells[] = {id, was, now};
        rc = add_block_line(text, html, line, cells, 3);
        moved++;
    }
    if (rc == 0 && !moved) {
        const char *why = !found ? "no previous report to compare with"
                          : p.n  ? "none moved by 10 % or more"
                                 : "the previous report has no forecasts";
        if (cp_strbuf_addf(text, "  %s\n", why) < 0 ||
            cp_strbuf_addf(html, "<tr><td colspan=\"3\">%s</td></tr>\n", why) < 0)
            rc = -1;
    }
    prev_eol_release(&p);
    return rc;
}

static int kpi_blocks(const struct cp_run *run, struct cp_strbuf *text, struct cp_strbuf *html)
{
    struct cp_kpi k[CP_KPI_MAX];
    size_t n = cp_kpi_collect(run, k, CP_KPI_MAX);
    for (size_t i = 0; i < n; i++) {
        if (cp_strbuf_addf(text, "  %-22s %s\n", k[i].label, k[i].value) < 0 ||
            cp_strbuf_adds(html, "<tr><th align=\"left\">") < 0 ||
            cp_html_escape(html, k[i].label) < 0 || cp_strbuf_adds(html, "</th><td>") < 0 ||
            cp_html_escape(html, k[i].value) < 0 || cp_strbuf_adds(html, "</td></tr>\n") < 0)
            return -1;
    }
    return 0;
}

static int flagged_blocks(const struct cp_run *run, struct cp_strbuf *text, struct cp_strbuf *html)
{
    struct cp_strbuf flags, eol, line;
    cp_strbuf_init(&flags);
    cp_strbuf_init(&eol);
    cp_strbuf_init(&line);
    int rc = 0, any = 0;
    for (size_t i = 0; i < run->nresults && rc == 0; i++) {
        const struct cp_cell_result *r = &run->results[i];
        if (r->nattention == 0)
            continue;
        any = 1;
        cp_strbuf_reset(&flags);
        cp_strbuf_reset(&eol);
        cp_strbuf_reset(&line);
        const char *id = cp_kpi_cell_str(run, r, "cell_id");
        const char *design = cp_kpi_cell_str(run, r, "design_name");
        if (cp_kpi_flags_text(r, &flags) < 0 || cp_kpi_eol_text(r, &eol) < 0 ||
            cp_strbuf_addf(&line, "%s (%s): %s; EOL %s", id, design, flags.buf, eol.buf) < 0) {
            rc = -1;
            break;
        }
        const char *cells[] = {id, design, flags.buf, eol.buf};
        rc = add_block_line(text, html, line.buf, cells, 4);
    }
    if (rc == 0 && !any)
        rc = cp_strbuf_adds(text, "  none\n") < 0 ||
                     cp_strbuf_adds(html, "<tr><td colspan=\"4\">none</td></tr>\n") < 0
                 ? -1
                 : 0;
    cp_strbuf_release(&flags);
    cp_strbuf_release(&eol);
    cp_strbuf_release(&line);
    return rc;
}

/* The last `lines` lines of a file ("" when it cannot be read). */
static char *log_tail(const char *path, int lines)
{
    char *text = NULL;
    size_t len = 0;
    if (!path || cp_fs_read_file(path, &text, &len) != 0)
        return cp_strdup("");
    size_t i = len;
    if (i && text[i - 1] == '\n')
        i--;
    for (int seen = 0; i > 0; i--)
        if (text[i - 1] == '\n' && ++seen == lines)
            break;
    char *out = cp_strdup(text + i);
    cp_free(text);
    return out;
}

enum { B_KPI, B_FLAGGED, B_MOVED, B_COUNT };

struct bodies {
    struct cp_strbuf text[B_COUNT], html[B_COUNT];
};

static int render_body(const struct cp_run *run, const struct cp_error *failure, const char *tail,
                       struct bodies *b, int html, struct cp_email *m, struct cp_error *err)
{
    char flagged[24], *tmpl = NULL;
    snprintf(flagged, sizeof(flagged), "%ld", cp_kpi_flagged(run));
    struct cp_strbuf *blk = html ? b->html : b->text;
    const struct cp_template_var vars[] = {
        {"pipeline", run->cfg->name},
        {"date", run->date},
        {"status", run_status(run, failure)},
        {"report_path", run->report_dir},
        {"mlflow_url", run->tracking.url ? run->tracking.url : "(no MLflow server configured)"},
        {"flagged_count", flagged},
        {"kpis", blk[B_KPI].buf},
        {"flagged", blk[B_FLAGGED].buf},
        {"eol_moved", blk[B_MOVED].buf},
        {"error", failure ? failure->msg : ""},
        {"log_tail", tail ? tail : ""},
        {"attachment", m->attach_path ? "summary.pdf is attached." : "No PDF attached."},
        {"subject", m->subject},
    };
    const char *rel = failure ? (html ? "email/failure.html" : "email/failure.txt")
                              : (html ? "email/body.html" : "email/body.txt");
    struct cp_strbuf out;
    cp_strbuf_init(&out);
    int rc = cp_template_load(run->cfg, rel, &tmpl, err);
    if (rc == 0)
        rc = cp_template_render(rel, tmpl, vars, sizeof(vars) / sizeof(vars[0]), html, &out, err);
    if (rc == 0)
        *(html ? &m->html : &m->text) = cp_strbuf_detach(&out);
    cp_strbuf_release(&out);
    cp_free(tmpl);
    return rc;
}

static int summary_attachment(const struct cp_run *run, struct cp_email *m, struct cp_error *err)
{
    if (!run->cfg->email.attach_pdf || !run->report_dir)
        return 0;
    char *pdf = cp_path_join(run->report_dir, "summary.pdf");
    if (!pdf)
        return cp_error_oom(err);
    if (cp_fs_exists(pdf)) {
        m->attach_path = pdf;
        return 0;
    }
    cp_log(CP_LOG_WARN, "sink=email attachment=none reason=\"no summary.pdf in the report\"");
    cp_free(pdf);
    return 0;
}

int cp_email_compose(const struct cp_run *run, const struct cp_error *failure, const char *tail,
                     struct cp_email *out, struct cp_error *err)
{
    struct bodies b;
    memset(out, 0, sizeof(*out));
    for (int i = 0; i < B_COUNT; i++) {
        cp_strbuf_init(&b.text[i]);
        cp_strbuf_init(&b.html[i]);
    }
    int rc = compose_headers(run, run_status(run, failure), out, err);
    if (rc == 0 && !failure)
        rc = summary_attachment(run, out, err);
    if (rc == 0 && !failure &&
        (kpi_blocks(run, &b.text[B_KPI], &b.html[B_KPI]) < 0 ||
         flagged_blocks(run, &b.text[B_FLAGGED], &b.html[B_FLAGGED]) < 0 ||
         eol_moved_blocks(run, &b.text[B_MOVED], &b.html[B_MOVED]) < 0))
        rc = cp_error_oom(err);
    if (rc == 0)
        rc = render_body(run, failure, tail, &b, 0, out, err);
    if (rc == 0)
        rc = render_body(run, failure, tail, &b, 1, out, err);
    for (int i = 0; i < B_COUNT; i++) {
        cp_strbuf_release(&b.text[i]);
        cp_strbuf_release(&b.html[i]);
    }
    if (rc < 0)
        cp_email_release(out);
    return rc;
}

int cp_email_send(const struct cp_email_config *c, const struct cp_email *m, struct cp_error *err)
{
    const char *url = c->smtp_url && *c->smtp_url ? c->smtp_url : getenv("SMTP_URL");
    if (!url || !*url)
        return cp_error_set(err, CP_ECONFIG, "email.smtp_url is empty (set it or SMTP_URL)");
    int tls = cp_email_require_tls(c, url, err);
    if (tls < 0)
        return tls;
    struct cp_smtp_message msg = {
        .url = url,
        .require_tls = tls,
        .username = getenv("SMTP_USERNAME"),
        .password = getenv("SMTP_PASSWORD"),
        .ca_file = getenv("CURL_CA_BUNDLE"),
        .mail_from = m->mail_from,
        .rcpt = (const char *const *)m->rcpt,
        .nrcpt = m->nrcpt,
        .headers = (const char *const *)m->headers,
        .nheaders = m->nheaders,
        .text = m->text,
        .html = m->html,
        .attach_path = m->attach_path,
        .attach_type = "application/pdf",
    };
    return cp_smtp_send(&msg, err);
}

static int compose_and_send(const struct cp_run *run, const struct cp_error *failure,
                            const char *tail, struct cp_error *err)
{
    struct cp_email m;
    int rc = cp_email_compose(run, failure, tail, &m, err);
    if (rc < 0)
        return rc;
    rc = cp_email_send(&run->cfg->email, &m, err);
    if (rc == 0)
        cp_log(CP_LOG_INFO, "sink=email sent=yes recipients=%zu attachment=%s", m.nrcpt,
               m.attach_path ? "summary.pdf" : "none");
    cp_email_release(&m);
    return rc;
}

int cp_email_send_failure(const struct cp_run *run, const struct cp_error *failure,
                          const char *log_path, struct cp_error *err)
{
    if (!run || !run->cfg || !cp_email_should_send(&run->cfg->email, 1, 0))
        return 0;
    char *tail = log_tail(log_path, LOG_TAIL_LINES);
    if (!tail)
        return cp_error_oom(err);
    int rc = compose_and_send(run, failure, tail, err);
    cp_free(tail);
    return rc;
}

static void email_failed(struct cp_run *run, const struct cp_error *failure)
{
    if (!run || !run->cfg || !run->cfg->email.enabled || run->dry_run || run->shard_count > 1)
        return;
    struct cp_error err = {0};
    char *log = run->staging_dir ? cp_path_join(run->staging_dir, "run.log") : NULL;
    if (cp_email_send_failure(run, failure, log, &err) < 0)
        cp_log(CP_LOG_ERROR, "sink=email sent=no kind=failure msg=\"%s\"", err.msg);
    else
        cp_log(CP_LOG_INFO, "sink=email kind=failure");
    cp_free(log);
}

/* Shards do not mail: the merged report does. */
static int email_enabled(const struct cp_run *run)
{
    return run->cfg->email.enabled && !run->dry_run && run->shard_count <= 1;
}

static int email_write(struct cp_run *run, struct cp_error *err)
{
    if (!cp_email_should_send(&run->cfg->email, 0, cp_kpi_flagged(run))) {
        cp_log(CP_LOG_INFO, "sink=email sent=no reason=\"email.when does not ask for it\"");
        return 0;
    }
    int rc = compose_and_send(run, NULL, NULL, err);
    if (rc < 0 && run->report_dir)
        cp_log(CP_LOG_ERROR, "sink=email sent=no report=\"%s\" published=yes", run->report_dir);
    return rc;
}

const struct cp_sink_ops cp_sink_email = {
    .name = "email",
    .phase = CP_SINK_PUBLISHED,
    .enabled = email_enabled,
    .write = email_write,
    .failed = email_failed,
};
