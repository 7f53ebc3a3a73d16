/*
 * Unit tests of the workbook sink: the text, sheet-name and number-format rules, and whole
 * workbooks written from a hand-filled run (tests/unit/sinks/workbook_fixture.h). The
 * integration suite tests/integration/workbook.sh reads the workbooks back with openpyxl.
 *
 * With CP_WORKBOOK_FIXTURE=DIR set, the program only writes DIR/fixture.xlsx and
 * DIR/fixture.json (the input, for the integration suite to compare against) and exits.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cellpipe/fs.h"
#include "cellpipe/log.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/workbook.h"
#include "harness.h"
#include "workbook_fixture.h"

static char tmp[] = "/tmp/cp-workbook-XXXXXX";

static char *tmp_path(const char *name)
{
    return cp_path_join(tmp, name);
}

TEST(text_plain_is_not_copied)
{
    struct cp_strbuf sb;
    unsigned ch;
    const char *s = "cell-0001 caf\xc3\xa9";
    cp_strbuf_init(&sb);
    CHECK(cp_workbook_text(s, &sb, &ch) == s);
    CHECK_INT(ch, 0);
    cp_strbuf_release(&sb);
}

TEST(text_bad_input)
{
    struct cp_strbuf sb;
    unsigned ch;
    cp_strbuf_init(&sb);
    CHECK_STR(cp_workbook_text("a\xff"
                               "b",
                               &sb, &ch),
              "a\xef\xbf\xbd"
              "b");
    CHECK_INT(ch, CP_WB_TEXT_UTF8);
    /* overlong encoding of '/' and a UTF-16 surrogate are not valid UTF-8 either */
    CHECK_STR(cp_workbook_text("\xc0\xaf|\xed\xa0\x80", &sb, &ch),
              "\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    CHECK_STR(cp_workbook_text("_x0041_ and _x12_", &sb, &ch), "_x005F_x0041_ and _x12_");
    CHECK_INT(ch, CP_WB_TEXT_ESCAPED);
    const char *ctl = "a\x01z";
    CHECK(cp_workbook_text(ctl, &sb, &ch) == ctl); /* libxlsxwriter escapes it losslessly */
    CHECK_INT(ch, CP_WB_TEXT_CONTROL);
    cp_strbuf_release(&sb);
}

TEST(text_truncated_at_excel_limit)
{
    struct cp_strbuf sb;
    unsigned ch;
    char *big = cp_malloc(40001);
    cp_strbuf_init(&sb);
    memset(big, 'y', 40000);
    big[40000] = '\0';
    const char *t = cp_workbook_text(big, &sb, &ch);
    CHECK(t != NULL && strlen(t) == 32767);
    CHECK_INT(ch, CP_WB_TEXT_TRUNCATED);
    /* a 4-byte character counts as two UTF-16 units and is never cut in half */
    memset(big, 'y', 32766);
    memcpy(big + 32766, "\xf0\x9f\x94\x8b", 5);
    t = cp_workbook_text(big, &sb, &ch);
    CHECK(t != NULL && strlen(t) == 32766);
    CHECK_INT(ch, CP_WB_TEXT_TRUNCATED);
    big[32766] = '\0';
    CHECK(cp_workbook_text(big, &sb, &ch) == big);
    cp_free(big);
    cp_strbuf_release(&sb);
}

TEST(labels_outside_cells)
{
    struct cp_strbuf sb;
    cp_strbuf_init(&sb);
    CHECK_INT(cp_workbook_label(&sb,
                                "a\x07"
                                "b\tc\xff",
                                100),
              0);
    CHECK_STR(sb.buf, "a b c\xef\xbf\xbd");
    cp_strbuf_reset(&sb);
    /* a cut never splits a character: 3 characters of "\xc3\xa9" x 4 are 6 bytes */
    CHECK_INT(cp_workbook_label(&sb, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 3), 0);
    CHECK_INT(sb.len, 6);
    cp_strbuf_release(&sb);
}

TEST(sheet_names)
{
    char out[CP_WB_SHEET_NAME_MAX];
    const char *used[] = {"Cycles", "Cycles (2)", "abcdefghijklmnopqrstuvwxyz01234"};
    CHECK_INT(cp_workbook_sheet_name(out, "Design/B: [pouch]*?\\", NULL, 0), 1);
    CHECK_STR(out, "Design_B_ _pouch____");
    CHECK_INT(cp_workbook_sheet_name(out, "Cells", used, 3), 0);
    CHECK_STR(out, "Cells");
    cp_workbook_sheet_name(out, "cycles", used, 3); /* Excel ignores case */
    CHECK_STR(out, "cycles (3)");
    cp_workbook_sheet_name(out, "abcdefghijklmnopqrstuvwxyz0123456789", NULL, 0);
    CHECK_STR(out, "abcdefghijklmnopqrstuvwxyz01234");
    cp_workbook_sheet_name(out, "abcdefghijklmnopqrstuvwxyz0123456789", used, 3);
    CHECK_STR(out, "abcdefghijklmnopqrstuvwxyz0 (2)");
    cp_workbook_sheet_name(out, "'quoted'", NULL, 0);
    CHECK_STR(out, "_quoted_");
    cp_workbook_sheet_name(out, "History", NULL, 0);
    CHECK_STR(out, "History_");
    cp_workbook_sheet_name(out, "", NULL, 0);
    CHECK_STR(out, "Sheet");
    /* 31 characters, not bytes: 40 x U+00E9 keeps 31 of them */
    char e[81];
    for (int i = 0; i < 40; i++)
        memcpy(e + 2 * i, "\xc3\xa9", 2);
    e[80] = '\0';
    cp_workbook_sheet_name(out, e, NULL, 0);
    CHECK_INT(strlen(out), 62);
}

TEST(number_formats_by_unit)
{
    CHECK_STR(cp_workbook_num_format("discharge_capacity_ah", 0), "0.0000");
    CHECK_STR(cp_workbook_num_format("charge_energy_wh", 0), "0.000");
    CHECK_STR(cp_workbook_num_format("capacity_retention", 0), "0.0%");
    CHECK_STR(cp_workbook_num_format("retention_mean_10", 0), "0.0%");
    CHECK_STR(cp_workbook_num_format("cycle_index", 1), "0");
    CHECK_STR(cp_workbook_num_format("cycles_to_80", 0), "0");
    CHECK_STR(cp_workbook_num_format("equivalent_full_cycles", 0), "0.0");
    CHECK(cp_workbook_num_format("something_else", 0) == NULL);
    CHECK_STR(cp_workbook_num_format("something_else", 1), "0");
}

/* Names of the parts of an xlsx file, one per line (unzip -Z1). */
static int list_parts(const char *path, struct cp_strbuf *out)
{
    struct cp_strbuf cmd;
    char line[512];
    cp_strbuf_init(&cmd);
    cp_strbuf_reset(out);
    cp_strbuf_addf(&cmd, "unzip -Z1 '%s' | sort", path);
    FILE *p = popen(cmd.buf, "r");
    cp_strbuf_release(&cmd);
    if (!p)
        return -1;
    while (fgets(line, sizeof line, p))
        cp_strbuf_adds(out, line);
    return pclose(p) == 0 ? 0 : -1;
}

static int count_lines(const char *s, const char *prefix)
{
    int n = 0;
    for (const char *p = s; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        n += strncmp(p, prefix, strlen(prefix)) == 0;
    return n;
}

TEST(write_whole_workbook)
{
    struct fixture f;
    struct cp_error err = {0};
    struct cp_strbuf parts;
    char *a = tmp_path("a.xlsx"), *b = tmp_path("b.xlsx");
    char *da = NULL, *db = NULL;
    size_t la = 0, lb = 0;
    cp_strbuf_init(&parts);
    CHECK_INT(fixture_init(&f, 8, 40, FX_WEIRD | FX_LONG_TEXT), 0);
    CHECK_INT(cp_workbook_write(&f.run, a, NULL, &err), 0);
    CHECK_INT(cp_workbook_write(&f.run, b, NULL, &err), 0);
    CHECK_STR(err.msg, "");
    /* reproducible: zip entries carry a fixed 1980 time, so the whole file is identical */
    CHECK_INT(cp_fs_read_file(a, &da, &la), 0);
    CHECK_INT(cp_fs_read_file(b, &db, &lb), 0);
    CHECK(la > 0 && la == lb && memcmp(da, db, la) == 0);
    CHECK_INT(list_parts(a, &parts), 0);
    CHECK_INT(count_lines(parts.buf, "xl/worksheets/sheet"), 7);
    CHECK_INT(count_lines(parts.buf, "xl/charts/chart"), 2); /* two designs */
    CHECK(!cp_fs_exists("a.xlsx.tmp.d"));                    /* constant_memory's folder is gone */
    char *tmpd = tmp_path("a.xlsx.tmp.d");
    CHECK(!cp_fs_exists(tmpd));
    cp_free(tmpd);
    cp_free(da);
    cp_free(db);
    cp_free(a);
    cp_free(b);
    cp_strbuf_release(&parts);
    fixture_release(&f);
}

/* Without constant_memory libxlsxwriter keeps the sheets in memory: same sheets and charts. */
TEST(in_memory_mode)
{
    struct fixture f;
    struct cp_error err = {0};
    struct cp_strbuf parts;
    char *p = tmp_path("mem.xlsx");
    cp_strbuf_init(&parts);
    CHECK_INT(fixture_init(&f, 8, 40, FX_WEIRD | FX_LONG_TEXT), 0);
    f.cfg.workbook.constant_memory = 0;
    CHECK_INT(cp_workbook_write(&f.run, p, NULL, &err), 0);
    CHECK_STR(err.msg, "");
    CHECK_INT(list_parts(p, &parts), 0);
    CHECK_INT(count_lines(parts.buf, "xl/worksheets/sheet"), 7);
    CHECK_INT(count_lines(parts.buf, "xl/charts/chart"), 2);
    CHECK_INT(count_lines(parts.buf, "xl/sharedStrings.xml"), 1);
    cp_free(p);
    cp_strbuf_release(&parts);
    fixture_release(&f);
}

/* Switches: no Cycles sheet (and so no chart), no Charts sheet. */
TEST(sheets_switched_off)
{
    struct fixture f;
    struct cp_error err = {0};
    struct cp_strbuf parts;
    char *p = tmp_path("off.xlsx");
    cp_strbuf_init(&parts);
    CHECK_INT(fixture_init(&f, 4, 10, 0), 0);
    f.cfg.workbook.cycles_sheet = 0;
    CHECK_INT(cp_workbook_write(&f.run, p, NULL, &err), 0);
    CHECK_INT(list_parts(p, &parts), 0);
    CHECK_INT(count_lines(parts.buf, "xl/worksheets/sheet"), 6);
    CHECK_INT(count_lines(parts.buf, "xl/charts/chart"), 0);
    f.cfg.workbook.cycles_sheet = 1;
    f.cfg.workbook.charts = 0;
    CHECK_INT(cp_workbook_write(&f.run, p, NULL, &err), 0);
    CHECK_INT(list_parts(p, &parts), 0);
    CHECK_INT(count_lines(parts.buf, "xl/worksheets/sheet"), 6);
    CHECK_INT(count_lines(parts.buf, "xl/charts/chart"), 0);
    cp_free(p);
    cp_strbuf_release(&parts);
    fixture_release(&f);
}

TEST(cycles_continue_on_more_sheets)
{
    struct fixture f;
    struct cp_error err = {0};
    struct cp_strbuf parts;
    struct cp_workbook_options opt = {.sheet_rows = 50};
    char *p = tmp_path("split.xlsx");
    cp_strbuf_init(&parts);
    /* cells of 40, 30 and 20 cycles, twice: 180 rows; a cell never straddles two sheets, so
     * 40 | 30+20 | 40 | 30+20 = 4 sheets of at most 50 rows */
    CHECK_INT(fixture_init(&f, 6, 40, 0), 0);
    CHECK_INT(f.run.data.cycles->nrows, 180);
    CHECK_INT(cp_workbook_write(&f.run, p, &opt, &err), 0);
    CHECK_INT(list_parts(p, &parts), 0);
    CHECK_INT(count_lines(parts.buf, "xl/worksheets/sheet"), 6 + 4);
    /* one cell longer than a sheet is split across sheets */
    opt.sheet_rows = 25;
    CHECK_INT(cp_workbook_write(&f.run, p, &opt, &err), 0);
    CHECK_INT(list_parts(p, &parts), 0);
    /* 40 = 25|15, 30 = new sheet 25|5, 20 fits after the 5, then the same again: 8 sheets;
     * and Fits (6 cells x 5 models = 30 rows) continues on "Fits (2)" */
    CHECK_INT(count_lines(parts.buf, "xl/worksheets/sheet"), 6 + 8 + 1);
    cp_free(p);
    cp_strbuf_release(&parts);
    fixture_release(&f);
}

/* The text of one part of an xlsx file (unzip -p). */
static int read_part(const char *path, const char *part, struct cp_strbuf *out)
{
    struct cp_strbuf cmd;
    char buf[4096];
    size_t n;
    cp_strbuf_init(&cmd);
    cp_strbuf_reset(out);
    cp_strbuf_addf(&cmd, "unzip -p '%s' '%s'", path, part);
    FILE *p = popen(cmd.buf, "r");
    cp_strbuf_release(&cmd);
    if (!p)
        return -1;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0)
        cp_strbuf_add(out, buf, n);
    return pclose(p) == 0 ? 0 : -1;
}

/* Old code: Cells and Fits were one sheet each, whatever their rows, so a fleet over Excel's
 * 1,048,575 rows failed at the very end with "row or column index out of range"; here
 * (sheet_rows 4 standing for Excel's limit) there was no "Cells (2)" and Fits had 30 rows. */
TEST(cells_and_fits_continue_on_more_sheets)
{
    struct fixture f;
    struct cp_error err = {0};
    struct cp_strbuf part;
    struct cp_workbook_options opt = {.sheet_rows = 4};
    char *p = tmp_path("pages.xlsx");
    cp_strbuf_init(&part);
    CHECK_INT(fixture_init(&f, 6, 12, 0), 0);
    f.cfg.workbook.cycles_sheet = 0;
    int models = 0;
    for (int m = 0; m < CP_MODEL_COUNT; m++)
        models += f.cfg.fits.models[m] != 0;
    CHECK_INT(models, 5);
    CHECK_INT(cp_workbook_write(&f.run, p, &opt, &err), 0);
    CHECK_INT(read_part(p, "xl/workbook.xml", &part), 0);
    /* 6 cells = 4 + 2 rows; 6 x 5 fits = 7 x 4 + 2 rows */
    CHECK(strstr(part.buf, "name=\"Cells (2)\"") != NULL);
    CHECK(strstr(part.buf, "name=\"Cells (3)\"") == NULL);
    CHECK(strstr(part.buf, "name=\"Fits (8)\"") != NULL);
    CHECK(strstr(part.buf, "name=\"Fits (9)\"") == NULL);
    /* sheet3 is "Cells (2)": a header and the last 2 cells; sheet4 "Fits": header + 4 */
    CHECK_INT(read_part(p, "xl/worksheets/sheet3.xml", &part), 0);
    CHECK(strstr(part.buf, "<row r=\"3\"") != NULL);
    CHECK(strstr(part.buf, "<row r=\"4\"") == NULL);
    CHECK_INT(read_part(p, "xl/worksheets/sheet4.xml", &part), 0);
    CHECK(strstr(part.buf, "<row r=\"5\"") != NULL);
    CHECK(strstr(part.buf, "<row r=\"6\"") == NULL);
    /* more sheets than the workbook takes: a data error before anything is written */
    opt.sheet_rows = 1;
    fixture_release(&f);
    CHECK_INT(fixture_init(&f, 14, 12, 0), 0);
    f.cfg.workbook.cycles_sheet = 0;
    CHECK_INT(cp_workbook_write(&f.run, p, &opt, &err), -CP_EDATA);
    CHECK(strstr(err.msg, "70 Fits rows need more than 64 sheets") != NULL);
    CHECK(!cp_fs_exists(p));
    cp_free(p);
    cp_strbuf_release(&part);
    fixture_release(&f);
}

TEST(cannot_create)
{
    struct fixture f;
    struct cp_error err = {0};
    CHECK_INT(fixture_init(&f, 2, 5, 0), 0);
    f.cfg.workbook.constant_memory = 0;
    CHECK_INT(cp_workbook_write(&f.run, "/nonexistent-dir/w.xlsx", NULL, &err), -CP_ECANTCREAT);
    CHECK(strstr(err.msg, "workbook.xlsx") != NULL || strstr(err.msg, "w.xlsx") != NULL);
    fixture_release(&f);
}

TEST(empty_run)
{
    struct fixture f;
    struct cp_error err = {0};
    char *p = tmp_path("empty.xlsx");
    memset(&f, 0, sizeof f);
    CHECK_INT(cp_config_defaults(&f.cfg, "empty.yaml", &err), 0);
    f.run.cfg = &f.cfg;
    memcpy(f.run.date, "2026-01-01", 11);
    CHECK_INT(cp_workbook_write(&f.run, p, NULL, &err), 0);
    CHECK_STR(err.msg, "");
    CHECK(cp_fs_exists(p));
    cp_free(p);
    cp_config_release(&f.cfg);
}

/* Every allocation failing in turn: a clean error and no leak (run under ASan). Only the
 * parallel deflate's buffers may fail without failing the write: the entry is then deflated by
 * minizip itself, and the file must be whole. */
TEST(allocation_failures)
{
    struct fixture f;
    char *p = tmp_path("torture.xlsx");
    struct cp_strbuf cmd;
    int ok = 1, tried = 0, survived = 0;
    cp_strbuf_init(&cmd);
    cp_strbuf_addf(&cmd, "unzip -tq '%s' >/dev/null", p);
    CHECK_INT(fixture_init(&f, 3, 12, FX_WEIRD), 0);
    for (long n = 1; n < 600; n++) {
        struct cp_error err = {0};
        cp_alloc_fail_at(n); /* counts from here */
        int rc = cp_workbook_write(&f.run, p, NULL, &err);
        long used = cp_alloc_count();
        cp_alloc_fail_at(0);
        if (used < n)
            break; /* the write needed fewer allocations: none failed */
        tried++;
        if (rc == 0) {
            survived++;
            ok &= system(cmd.buf) == 0;
        } else {
            ok &= rc == -CP_EINTERNAL && err.msg[0] != '\0';
        }
    }
    CHECK(ok);
    CHECK(tried > 100 && survived < tried);
    cp_strbuf_release(&cmd);
    cp_free(p);
    fixture_release(&f);
}

static json_t *column_json(const struct cp_column *c, size_t nrows)
{
    json_t *a = json_array();
    for (size_t r = 0; r < nrows; r++) {
        json_t *v = json_null();
        if (c->type == CP_F64 && !isnan(c->v.f64[r]))
            v = isinf(c->v.f64[r]) ? json_string(c->v.f64[r] > 0 ? "inf" : "-inf")
                                   : json_real(c->v.f64[r]);
        else if ((c->type == CP_I64 || c->type == CP_TIME) && c->v.i64[r] != CP_I64_NA)
            v = json_integer(c->v.i64[r]);
        else if (c->type == CP_STR && c->v.str[r]) {
            struct cp_strbuf hex; /* bytes as hex: the text may not be valid UTF-8 */
            cp_strbuf_init(&hex);
            for (const unsigned char *s = (const unsigned char *)c->v.str[r]; *s; s++)
                cp_strbuf_addf(&hex, "%02x", *s);
            v = json_string(hex.buf);
            cp_strbuf_release(&hex);
        }
        json_array_append_new(a, v);
    }
    return a;
}

static json_t *table_json(const struct cp_table *t)
{
    json_t *o = json_object(), *cols = json_array();
    for (size_t k = 0; k < t->ncols; k++) {
        json_t *c = json_object();
        json_object_set_new(c, "name", json_string(t->cols[k].name));
        json_object_set_new(c, "type", json_string(cp_type_name(t->cols[k].type)));
        json_object_set_new(c, "values", column_json(&t->cols[k], t->nrows));
        json_array_append_new(cols, c);
    }
    json_object_set_new(o, "rows", json_integer((json_int_t)t->nrows));
    json_object_set_new(o, "columns", cols);
    return o;
}

/* The small workbook whose XML parts are tests/golden/workbook/. */
static int write_golden(const char *dir)
{
    struct fixture f;
    struct cp_error err = {0};
    struct cp_workbook_options opt = {.sheet_rows = 10};
    char *x = cp_path_join(dir, "golden.xlsx");
    int rc = fixture_init(&f, 6, 4, FX_WEIRD);
    if (rc == 0)
        rc = cp_workbook_write(&f.run, x, &opt, &err);
    if (rc)
        fprintf(stderr, "golden: %s\n", err.msg[0] ? err.msg : "cannot write");
    fixture_release(&f);
    cp_free(x);
    return rc;
}

/* The fixture workbook and its input, for tests/integration/workbook.sh. */
static int write_fixture(const char *dir)
{
    struct fixture f;
    struct cp_error err = {0};
    struct cp_workbook_options opt = {.sheet_rows = 100};
    char *x = cp_path_join(dir, "fixture.xlsx"), *j = cp_path_join(dir, "fixture.json");
    int rc = fixture_init(&f, 8, 40, FX_WEIRD | FX_LONG_TEXT);
    if (rc == 0)
        rc = cp_workbook_write(&f.run, x, &opt, &err);
    if (rc == 0) {
        json_t *o = json_object();
        json_object_set_new(o, "cells", table_json(f.run.data.cells));
        json_object_set_new(o, "cycles", table_json(f.run.data.cycles));
        json_object_set_new(o, "sheet_rows", json_integer(opt.sheet_rows));
        json_object_set_new(o, "threshold", json_real(f.cfg.fits.threshold));
        json_object_set_new(o, "max_series", json_integer(f.cfg.workbook.max_series));
        rc = json_dump_file(o, j, JSON_INDENT(1) | JSON_SORT_KEYS);
        json_decref(o);
    }
    if (rc)
        fprintf(stderr, "fixture: %s\n", err.msg[0] ? err.msg : "cannot write");
    fixture_release(&f);
    cp_free(x);
    cp_free(j);
    return rc || write_golden(dir) ? 1 : 0;
}

int main(void)
{
    const char *fixture_dir = getenv("CP_WORKBOOK_FIXTURE");
    cp_log_setup(CP_LOG_WARN, 0);
    if (fixture_dir)
        return write_fixture(fixture_dir);
    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(text_plain_is_not_copied);
    RUN(text_bad_input);
    RUN(text_truncated_at_excel_limit);
    RUN(labels_outside_cells);
    RUN(sheet_names);
    RUN(number_formats_by_unit);
    RUN(write_whole_workbook);
    RUN(in_memory_mode);
    RUN(sheets_switched_off);
    RUN(cycles_continue_on_more_sheets);
    RUN(cells_and_fits_continue_on_more_sheets);
    RUN(cannot_create);
    RUN(empty_run);
    RUN(allocation_failures);
    cp_fs_rmtree(tmp);
    return DONE();
}
