/*
 * Mail through a real SMTP server. Skipped unless tests/integration/email.sh started one
 * (aiosmtpd) and exported:
 *   CP_TEST_SMTP_PLAIN     smtp://127.0.0.1:P   no TLS offered
 *   CP_TEST_SMTP_STARTTLS  smtp://127.0.0.1:P   STARTTLS offered and required by the server
 *   CP_TEST_SMTP_SMTPS     smtps://127.0.0.1:P  TLS from the first byte
 *   CP_TEST_CA             the test CA that signed the server certificate
 *   CP_TEST_REPORT_DIR     a report folder; summary.pdf is drawn there with cairo
 * The script then reads the Maildirs with Python's email package.
 */
#include <cairo-pdf.h>
#include <cairo.h>
#include <stdlib.h>

#include "harness.h"
#include "cellpipe/alloc.h"
#include "cellpipe/email.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "sinks/run_fixture.h"

static void draw_pdf(const char *path)
{
    cairo_surface_t *s = cairo_pdf_surface_create(path, 595, 842);
    cairo_t *cr = cairo_create(s);
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, 24);
    cairo_move_to(cr, 60, 100);
    cairo_show_text(cr, "cellpipe summary (test)");
    for (int i = 0; i < 40; i++) {
        cairo_set_source_rgb(cr, i / 40.0, 0.3, 1 - i / 40.0);
        cairo_rectangle(cr, 60 + i * 12, 200, 10, 300 - i * 5);
        cairo_fill(cr);
    }
    cairo_destroy(cr);
    cairo_surface_destroy(s);
}

/* Send the fixture's report mail to url; returns the send result, err filled. */
static int send_to(struct fixture *f, const char *url, const char *subject, struct cp_error *err)
{
    struct cp_email m;
    f->cfg.email.smtp_url = (char *)url;
    f->cfg.email.subject = (char *)subject;
    int rc = cp_email_compose(&f->run, NULL, NULL, &m, err);
    if (rc == 0)
        rc = cp_email_send(&f->cfg.email, &m, err);
    cp_email_release(&m);
    return rc;
}

TEST(live)
{
    const char *plain = getenv("CP_TEST_SMTP_PLAIN"), *tls = getenv("CP_TEST_SMTP_STARTTLS");
    const char *smtps = getenv("CP_TEST_SMTP_SMTPS"), *ca = getenv("CP_TEST_CA");
    const char *dir = getenv("CP_TEST_REPORT_DIR");
    if (!plain || !tls || !smtps || !ca || !dir) {
        SKIP("live_smtp", "no test SMTP server (tests/integration/email.sh starts one)");
        return;
    }
    struct fixture f;
    struct cp_error err = {0};
    fixture_init(&f);
    f.run.report_dir = (char *)dir;
    char *pdf = cp_path_join(dir, "summary.pdf");
    draw_pdf(pdf);

    /* 1. plain loopback server, the report mail with its PDF */
    unsetenv("CURL_CA_BUNDLE");
    int rc = send_to(&f, plain, "{pipeline} {date}: plain", &err);
    CHECK_INT(rc, 0);
    if (rc)
        fprintf(stderr, "plain: %s\n", err.msg);

    /* 2. STARTTLS asked for explicitly on loopback, certificate checked against the test CA */
    cp_error_clear(&err);
    f.cfg.email.starttls = CP_STARTTLS_REQUIRED;
    setenv("CURL_CA_BUNDLE", ca, 1);
    rc = send_to(&f, tls, "{pipeline} {date}: starttls", &err);
    CHECK_INT(rc, 0);
    if (rc)
        fprintf(stderr, "starttls: %s\n", err.msg);

    /* 3. same server, certificate not trusted (system store only): refused, exit 69 */
    cp_error_clear(&err);
    unsetenv("CURL_CA_BUNDLE");
    rc = send_to(&f, tls, "{pipeline} {date}: untrusted", &err);
    CHECK(rc == -CP_EUNAVAILABLE);
    CHECK(strstr(err.msg, "certificate") != NULL);
    fprintf(stderr, "untrusted: %s\n", err.msg);

    /* 4. STARTTLS required but the server offers none: refused rather than sent in clear */
    cp_error_clear(&err);
    setenv("CURL_CA_BUNDLE", ca, 1);
    rc = send_to(&f, plain, "{pipeline} {date}: must-not-arrive-cleartext", &err);
    CHECK(rc == -CP_EUNAVAILABLE);
    CHECK(strstr(err.msg, "SSL") != NULL || strstr(err.msg, "TLS") != NULL);
    fprintf(stderr, "no starttls offered: %s\n", err.msg);

    /* 5. a server that requires STARTTLS, and a config that turned it off: server refuses */
    cp_error_clear(&err);
    f.cfg.email.starttls = CP_STARTTLS_OFF;
    rc = send_to(&f, tls, "{pipeline} {date}: must-not-arrive-notls", &err);
    CHECK(rc == -CP_EUNAVAILABLE);
    fprintf(stderr, "server requires starttls: %s\n", err.msg);

    /* 6. smtps:// */
    cp_error_clear(&err);
    f.cfg.email.starttls = CP_STARTTLS_AUTO;
    rc = send_to(&f, smtps, "{pipeline} {date}: smtps", &err);
    CHECK_INT(rc, 0);
    if (rc)
        fprintf(stderr, "smtps: %s\n", err.msg);

    /* 7. header injection through the subject template, a recipient and the pipeline name */
    cp_error_clear(&err);
    rc = send_to(&f, plain, "x\r\nBcc: spy@evil.example", &err);
    CHECK(rc == -CP_ECONFIG && strstr(err.msg, "header injection"));
    cp_error_clear(&err);
    f.to[0] = (char *)"team@lab.example>\r\nRCPT TO:<spy@evil.example";
    rc = send_to(&f, plain, "{pipeline}: injected-rcpt", &err);
    CHECK(rc == -CP_ECONFIG);
    f.to[0] = (char *)"team@lab.example";
    cp_error_clear(&err);
    f.cfg.name = (char *)"fade\nX-Injected: yes";
    rc = send_to(&f, plain, "{pipeline}: injected-name", &err);
    CHECK(rc == -CP_ECONFIG);
    f.cfg.name = (char *)"fade";

    /* 8. the failure mail */
    cp_error_clear(&err);
    struct cp_error failure = {0};
    cp_error_set(&failure, CP_EDATA, "validation: rule 'range' over its threshold");
    char *log = cp_path_join(dir, "run.log");
    const char *lines = "ts=1 level=info stage=source rows=10\nts=2 level=error stage=validate\n";
    cp_fs_write_atomic(log, lines, strlen(lines));
    f.cfg.email.when = CP_EMAIL_FAILURE;
    f.cfg.email.smtp_url = (char *)plain;
    f.cfg.email.subject = (char *)"{pipeline} {date}: {status}";
    rc = cp_email_send_failure(&f.run, &failure, log, &err);
    CHECK_INT(rc, 0);
    cp_free(log);
    cp_free(pdf);
    fixture_release(&f);
}

int main(void)
{
    RUN(live);
    fixture_fonts_release();
    return DONE();
}
