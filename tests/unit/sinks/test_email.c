/* Email composition, header-injection refusal, TLS policy and the transport's failure path. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "cellpipe/alloc.h"
#include "cellpipe/email.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/smtp.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/template.h"
#include "sinks/run_fixture.h"

static const char *header(const struct cp_email *m, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < m->nheaders; i++)
        if (strncmp(m->headers[i], name, n) == 0 && m->headers[i][n] == ':')
            return m->headers[i] + n + 2;
    return NULL;
}

TEST(header_values_refuse_control_characters)
{
    struct cp_error err = {0};
    CHECK_INT(cp_email_check_header("email.subject", "nightly\tfade", &err), 0);
    CHECK(cp_email_check_header("email.subject", "x\r\nBcc: evil@x.org", &err) == -CP_ECONFIG);
    CHECK(strstr(err.msg, "email.subject") && strstr(err.msg, "header injection"));
    cp_error_clear(&err);
    CHECK(cp_email_check_header("email.subject", "x\nBcc: y", &err) == -CP_ECONFIG);
    cp_error_clear(&err);
    CHECK(cp_email_check_header("email.subject", "bell\a", &err) == -CP_ECONFIG);
    CHECK(strstr(err.msg, "0x07") != NULL);
}

TEST(addresses_parse_and_refuse)
{
    struct cp_error err = {0};
    char *a = NULL;
    CHECK_INT(cp_email_parse_address("email.to", "team@lab.example", &a, &err), 0);
    CHECK_STR(a, "team@lab.example");
    cp_free(a);
    a = NULL;
    CHECK_INT(cp_email_parse_address("email.from", "Cell Pipe <bot@lab.example>", &a, &err), 0);
    CHECK_STR(a, "bot@lab.example");
    cp_free(a);
    a = NULL;
    const char *bad[] = {"no-at-sign",    "a@b@c",
                         "@lab.example",  "x@",
                         "a b@c.d",       "x@y.org\r\nRCPT TO:<z@w.org>",
                         "Name <x@y.org", "\"Doe, J\" <j@d.org>",
                         "x@y.org>"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cp_error_clear(&err);
        CHECK(cp_email_parse_address("email.to", bad[i], &a, &err) == -CP_ECONFIG);
        CHECK(a == NULL);
        CHECK(strstr(err.msg, "email.to") != NULL);
    }
}

TEST(when_decides)
{
    struct cp_email_config c = {0};
    c.enabled = 1;
    c.when = CP_EMAIL_ALWAYS;
    CHECK(cp_email_should_send(&c, 0, 0) && cp_email_should_send(&c, 1, 0));
    c.when = CP_EMAIL_FLAGGED;
    CHECK(!cp_email_should_send(&c, 0, 0) && cp_email_should_send(&c, 0, 2));
    CHECK(cp_email_should_send(&c, 1, 0));
    c.when = CP_EMAIL_FAILURE;
    CHECK(!cp_email_should_send(&c, 0, 5) && cp_email_should_send(&c, 1, 0));
    c.enabled = 0;
    CHECK(!cp_email_should_send(&c, 1, 5));
}

TEST(starttls_policy)
{
    struct cp_email_config c = {0};
    struct cp_error err = {0};
    CHECK_INT(cp_email_require_tls(&c, "smtp://mail.lab.example:587", &err), 1);
    CHECK_INT(cp_email_require_tls(&c, "smtp://127.0.0.1:2525", &err), 0);
    CHECK_INT(cp_email_require_tls(&c, "smtp://localhost", &err), 0);
    CHECK_INT(cp_email_require_tls(&c, "smtp://[::1]:25", &err), 0);
    CHECK_INT(cp_email_require_tls(&c, "smtps://mail.lab.example", &err), 0);
    c.starttls = CP_STARTTLS_REQUIRED;
    CHECK_INT(cp_email_require_tls(&c, "smtp://127.0.0.1:2525", &err), 1);
    c.starttls = CP_STARTTLS_OFF;
    CHECK_INT(cp_email_require_tls(&c, "smtp://mail.lab.example", &err), 0);
    CHECK(cp_email_require_tls(&c, "smtp://", &err) == -CP_ECONFIG);
}

TEST(subject_template_and_injection)
{
    struct fixture f;
    struct cp_error err = {0};
    char *s = NULL;
    fixture_init(&f);
    f.cfg.email.subject = (char *)"{pipeline} {date}: {status}, {flagged} flagged";
    CHECK_INT(cp_email_subject(&f.run, "flagged", &s, &err), 0);
    CHECK_STR(s, "fade 2026-11-27: flagged, 2 flagged");
    cp_free(s);
    s = NULL;
    f.cfg.email.subject = (char *)"{pipline}";
    CHECK(cp_email_subject(&f.run, "ok", &s, &err) == -CP_ECONFIG);
    CHECK(strstr(err.msg, "{pipline}") != NULL);
    cp_error_clear(&err);
    /* the pipeline name is data to the subject: a newline in it must not become a header */
    f.cfg.email.subject = NULL;
    f.cfg.name = (char *)"fade\r\nBcc: spy@evil.example";
    CHECK(cp_email_subject(&f.run, "ok", &s, &err) == -CP_ECONFIG);
    CHECK(s == NULL);
    fixture_release(&f);
}

static char *make_reports(void)
{
    char tmpl[] = "/tmp/cp-email-XXXXXX";
    char *root = mkdtemp(tmpl);
    struct cp_strbuf sb = CP_STRBUF_INIT;
    cp_strbuf_init(&sb);
    cp_strbuf_addf(&sb, "%s/fade/2026-11-26/results", root);
    cp_fs_mkdirs(sb.buf);
    cp_strbuf_adds(&sb, "/cells.csv");
    const char *csv = "cell_id,design_name,eol_forecast\nA1,LFP-18650,1000\n"
                      "\"C<script>3\",NMC-pouch,880\n";
    cp_fs_write_atomic(sb.buf, csv, strlen(csv));
    cp_strbuf_reset(&sb);
    /* an older report with very different numbers: only the newest previous one counts */
    cp_strbuf_addf(&sb, "%s/fade/2026-11-20/results", root);
    cp_fs_mkdirs(sb.buf);
    cp_strbuf_adds(&sb, "/cells.csv");
    const char *old = "cell_id,eol_forecast\nC<script>3,2000\n";
    cp_fs_write_atomic(sb.buf, old, strlen(old));
    cp_strbuf_reset(&sb);
    cp_strbuf_addf(&sb, "%s/fade/2026-11-27", root);
    cp_fs_mkdirs(sb.buf);
    cp_strbuf_adds(&sb, "/summary.pdf");
    cp_fs_write_atomic(sb.buf, "%PDF-1.5\n", 9);
    cp_strbuf_release(&sb);
    return cp_strdup(root);
}

TEST(compose_report_mail)
{
    struct fixture f;
    struct cp_error err = {0};
    struct cp_email m;
    fixture_init(&f);
    char *root = make_reports();
    struct cp_strbuf dir = CP_STRBUF_INIT;
    cp_strbuf_init(&dir);
    cp_strbuf_addf(&dir, "%s/fade/2026-11-27", root);
    f.run.report_dir = dir.buf;
    int rc = cp_email_compose(&f.run, NULL, NULL, &m, &err);
    CHECK_INT(rc, 0);
    if (rc != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return;
    }
    CHECK_STR(m.mail_from, "cellpipe@lab.example");
    CHECK_INT(m.nrcpt, 3);
    CHECK_STR(m.rcpt[1], "lead@lab.example");
    CHECK_STR(m.rcpt[2], "archive@lab.example");
    CHECK_STR(header(&m, "To"), "team@lab.example, Lead Engineer <lead@lab.example>");
    CHECK_STR(header(&m, "Cc"), "archive@lab.example");
    CHECK_STR(header(&m, "Subject"), "[cellpipe] fade 2026-11-27: flagged, 2 flagged");
    const char *date = header(&m, "Date");
    /* "Fri, 27 Nov 2026 07:19:31 +0000" */
    CHECK(date && strlen(date) == 31 && date[3] == ',' && strcmp(date + 25, " +0000") == 0);
    const char *mid = header(&m, "Message-ID");
    CHECK(mid && mid[0] == '<' && strstr(mid, "@lab.example>") && mid[strlen(mid) - 1] == '>');
    CHECK(m.attach_path && strstr(m.attach_path, "2026-11-27/summary.pdf"));
    CHECK(strstr(m.text, "B&2 (NMC-pouch): fade_outlier: fade rate 4.1 MADs above the fleet; "
                         "EOL observed at cycle 640") != NULL);
    CHECK(strstr(m.text, "Flagged cells (2)") != NULL);
    CHECK(strstr(m.text, "Rows quarantined") && strstr(m.text, "12 of 3000"));
    /* moved by >= 10 % against the newest earlier report: A1 1000 -> 1200; C 880 -> 900 not */
    CHECK(strstr(m.text, "A1: 1000 -> 1200 cycles") != NULL);
    CHECK(strstr(m.text, "C<script>3: 880") == NULL);
    CHECK(strstr(m.html, "<td>C&lt;script&gt;3</td>") != NULL);
    CHECK(strstr(m.html, "<script>") == NULL);
    CHECK(strstr(m.html, "0.95 &lt;b&gt;") != NULL);
    CHECK(strstr(m.html, "B&amp;2") != NULL);
    cp_email_release(&m);
    /* a second compose gets a different Message-ID */
    struct cp_email m2;
    CHECK_INT(cp_email_compose(&f.run, NULL, NULL, &m2, &err), 0);
    cp_email_compose(&f.run, NULL, NULL, &m, &err);
    CHECK(strcmp(header(&m, "Message-ID"), header(&m2, "Message-ID")) != 0);
    cp_email_release(&m);
    cp_email_release(&m2);
    cp_fs_rmtree(root);
    cp_free(root);
    cp_strbuf_release(&dir);
    fixture_release(&f);
}

TEST(compose_says_why_nothing_moved)
{
    struct fixture f;
    struct cp_error err = {0};
    struct cp_email m;
    char tmpl[] = "/tmp/cp-email-XXXXXX";
    char *root = mkdtemp(tmpl);
    struct cp_strbuf p;
    cp_strbuf_init(&p);
    fixture_init(&f);
    cp_strbuf_addf(&p, "%s/fade/2026-11-27", root);
    cp_fs_mkdirs(p.buf);
    f.run.report_dir = p.buf;
    CHECK_INT(cp_email_compose(&f.run, NULL, NULL, &m, &err), 0);
    CHECK(m.text && strstr(m.text, "no previous report to compare with"));
    CHECK(m.attach_path == NULL && strstr(m.text, "No PDF attached."));
    cp_email_release(&m);
    struct cp_strbuf q;
    cp_strbuf_init(&q);
    cp_strbuf_addf(&q, "%s/fade/2026-11-25/results", root);
    cp_fs_mkdirs(q.buf);
    cp_strbuf_adds(&q, "/cells.csv");
    cp_fs_write_atomic(q.buf, "cell_id,n_cycles\nA1,10\n", 22);
    CHECK_INT(cp_email_compose(&f.run, NULL, NULL, &m, &err), 0);
    CHECK(m.text && strstr(m.text, "the previous report has no forecasts"));
    cp_email_release(&m);
    cp_fs_rmtree(root);
    cp_strbuf_release(&p);
    cp_strbuf_release(&q);
    fixture_release(&f);
}

TEST(compose_refuses_injected_recipient)
{
    struct fixture f;
    struct cp_error err = {0};
    struct cp_email m;
    fixture_init(&f);
    f.cc[0] = (char *)"archive@lab.example\nBcc: spy@evil.example";
    CHECK(cp_email_compose(&f.run, NULL, NULL, &m, &err) == -CP_ECONFIG);
    CHECK(strstr(err.msg, "email.cc") != NULL);
    CHECK(m.headers == NULL && m.nrcpt == 0);
    fixture_release(&f);
}

TEST(compose_failure_mail)
{
    struct fixture f;
    struct cp_error err = {0}, failure = {0};
    struct cp_email m;
    fixture_init(&f);
    f.run.nresults = 0;
    cp_error_set(&failure, CP_EDATA, "validation: rule 'range' hit 12 %% of rows (limit 5 %%)");
    int rc = cp_email_compose(&f.run, &failure, "line one\nline <two>\n", &m, &err);
    CHECK_INT(rc, 0);
    if (rc)
        return;
    CHECK(strstr(header(&m, "Subject"), "failed") != NULL);
    CHECK(strstr(m.text, "rule 'range' hit 12 % of rows") != NULL);
    CHECK(strstr(m.text, "line <two>") != NULL);
    CHECK(strstr(m.html, "line &lt;two&gt;") != NULL);
    CHECK(m.attach_path == NULL);
    cp_email_release(&m);
    fixture_release(&f);
}

TEST(unreachable_server_is_69)
{
    struct fixture f;
    struct cp_error err = {0};
    struct cp_email m;
    fixture_init(&f);
    /* port 9 (discard) on loopback: nothing listens in a test environment */
    f.cfg.email.smtp_url = (char *)"smtp://127.0.0.1:9";
    CHECK_INT(cp_email_compose(&f.run, NULL, NULL, &m, &err), 0);
    int rc = cp_email_send(&f.cfg.email, &m, &err);
    CHECK(rc == -CP_EUNAVAILABLE);
    CHECK(strstr(err.msg, "cannot send mail via 'smtp://127.0.0.1:9'") != NULL);
    cp_email_release(&m);
    fixture_release(&f);
}

/* curl's torture idea: fail each allocation in turn; every failure is a clean error. */
TEST(compose_survives_every_failed_allocation)
{
    struct fixture f;
    struct cp_error err = {0};
    struct cp_email m;
    fixture_init(&f);
    long n;
    int clean = 1;
    for (n = 1; n < 100000; n++) {
        cp_error_clear(&err);
        cp_alloc_fail_at(n);
        int rc = cp_email_compose(&f.run, NULL, NULL, &m, &err);
        cp_alloc_fail_at(0);
        if (rc == 0) {
            cp_email_release(&m);
            break;
        }
        clean &= rc < 0 && err.code != 0 && m.headers == NULL && m.text == NULL;
    }
    CHECK(clean);
    CHECK(n > 20 && n < 100000); /* it did allocate, and it did finish */
    fixture_release(&f);
}

TEST(templates_render)
{
    struct cp_strbuf sb;
    struct cp_error err = {0};
    const struct cp_template_var v[] = {{"a", "<x & y>"}, {"b", "<i>ok</i>"}};
    cp_strbuf_init(&sb);
    CHECK_INT(cp_template_render("t", "{{a}}|{{{b}}}|{{a}}", v, 2, 1, &sb, &err), 0);
    CHECK_STR(sb.buf, "&lt;x &amp; y&gt;|<i>ok</i>|&lt;x &amp; y&gt;");
    cp_strbuf_reset(&sb);
    CHECK_INT(cp_template_render("t", "{{a}}", v, 2, 0, &sb, &err), 0);
    CHECK_STR(sb.buf, "<x & y>");
    CHECK(cp_template_render("t", "x {{nope}} y", v, 2, 0, &sb, &err) == -CP_ECONFIG);
    CHECK(strstr(err.msg, "'{{nope}}'") != NULL);
    cp_strbuf_release(&sb);
}

int main(void)
{
    setenv("CELLPIPE_TEMPLATES", "templates", 0);
    RUN(header_values_refuse_control_characters);
    RUN(addresses_parse_and_refuse);
    RUN(when_decides);
    RUN(starttls_policy);
    RUN(subject_template_and_injection);
    RUN(compose_report_mail);
    RUN(compose_says_why_nothing_moved);
    RUN(compose_refuses_injected_recipient);
    RUN(compose_failure_mail);
    RUN(unreachable_server_is_69);
    RUN(compose_survives_every_failed_allocation);
    RUN(templates_render);
    return DONE();
}
