/* index.html: SVG inlining keeps every reference inside its own plot; the page escapes data. */
#include <cairo-svg.h>
#include <cairo.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"
#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/html.h"
#include "cellpipe/strbuf.h"
#include "sinks/run_fixture.h"

/* A real cairo SVG with text (glyph symbols + <use href="#glyph..">) and a clip path. */
static void draw_svg(const char *path, const char *label)
{
    cairo_surface_t *s = cairo_svg_surface_create(path, 200, 100);
    cairo_t *cr = cairo_create(s);
    cairo_rectangle(cr, 10, 10, 150, 60);
    cairo_clip(cr);
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 14);
    cairo_move_to(cr, 20, 40);
    cairo_show_text(cr, label);
    cairo_destroy(cr);
    cairo_surface_destroy(s);
}

/* Every id in doc is unique, and every "#x" reference names an id that exists. */
static int references_resolve(const char *doc, int *nrefs)
{
    const char *p = doc;
    *nrefs = 0;
    while ((p = strstr(p, "href=\"#")) != NULL) {
        p += 7;
        const char *end = strchr(p, '"');
        struct cp_strbuf want;
        cp_strbuf_init(&want);
        cp_strbuf_adds(&want, " id=\"");
        cp_strbuf_add(&want, p, (size_t)(end - p));
        cp_strbuf_addch(&want, '"');
        const char *first = strstr(doc, want.buf);
        int ok = first && !strstr(first + 1, want.buf);
        cp_strbuf_release(&want);
        if (!ok)
            return 0;
        (*nrefs)++;
    }
    return 1;
}

TEST(inline_svg_prefixes_ids)
{
    struct cp_strbuf sb;
    cp_strbuf_init(&sb);
    const char *svg = "<?xml version=\"1.0\"?>\n<!DOCTYPE svg>\n<svg><defs><g id=\"glyph0-1\"/>"
                      "<clipPath id=\"clip1\"/></defs><use xlink:href=\"#glyph0-1\"/>"
                      "<g clip-path=\"url(#clip1)\"/></svg>";
    CHECK_INT(cp_html_inline_svg(&sb, svg, "p3-"), 0);
    CHECK_STR(sb.buf, "<svg><defs><g id=\"p3-glyph0-1\"/><clipPath id=\"p3-clip1\"/></defs>"
                      "<use xlink:href=\"#p3-glyph0-1\"/><g clip-path=\"url(#p3-clip1)\"/></svg>");
    cp_strbuf_reset(&sb);
    CHECK_INT(cp_html_inline_svg(&sb, "<svg><script>alert(1)</script></svg>", "p0-"), -2);
    cp_strbuf_release(&sb);
}

TEST(page_inlines_every_plot)
{
    struct fixture f;
    struct cp_error err = {0};
    struct cp_strbuf sb, path;
    char tmpl[] = "/tmp/cp-html-XXXXXX";
    char *dir = mkdtemp(tmpl);
    cp_strbuf_init(&sb);
    cp_strbuf_init(&path);
    fixture_init(&f);
    cp_strbuf_addf(&path, "%s/plots", dir);
    cp_fs_mkdirs(path.buf);
    const char *names[] = {"retention", "capacity", "fade_rate"};
    for (int i = 0; i < 3; i++) {
        cp_strbuf_reset(&path);
        cp_strbuf_addf(&path, "%s/plots/%s.svg", dir, names[i]);
        draw_svg(path.buf, names[i]);
    }
    cp_strbuf_reset(&path);
    cp_strbuf_addf(&path, "%s/summary.pdf", dir);
    cp_fs_write_atomic(path.buf, "%PDF", 4);
    f.run.tracking.url = (char *)"http://mlflow.lab/#/experiments/1/runs/abc?x=1&y=2";
    f.run.backtest_mape = 5.46; /* a percent already, as the models stage logs it */
    int rc = cp_html_render(&f.run, dir, &sb, &err);
    CHECK_INT(rc, 0);
    int nrefs = 0;
    CHECK(references_resolve(sb.buf, &nrefs));
    CHECK(nrefs >= 6); /* each plot draws at least two glyphs */
    /* every plot present, in name order */
    const char *c = strstr(sb.buf, "<figure id=\"plot-capacity\">");
    const char *fr = strstr(sb.buf, "<figure id=\"plot-fade_rate\">");
    const char *r = strstr(sb.buf, "<figure id=\"plot-retention\">");
    CHECK(c && fr && r && c < fr && fr < r);
    CHECK(strstr(sb.buf, "Plots (3)") != NULL);
    CHECK(strstr(sb.buf, "<?xml") == NULL);
    CHECK(strstr(sb.buf, "<script") == NULL);
    CHECK(strstr(sb.buf, "C&lt;script&gt;3") != NULL);
    CHECK(strstr(sb.buf, "<a href=\"summary.pdf\">Summary PDF</a>") != NULL);
    CHECK(strstr(sb.buf, "Workbook: not produced") != NULL);
    CHECK(strstr(sb.buf, "href=\"http://mlflow.lab/#/experiments/1/runs/abc?x=1&amp;y=2\"") !=
          NULL);
    CHECK(strstr(sb.buf, "Flagged cells (2)") != NULL);
    CHECK(strstr(sb.buf, "<dt>Past end of life</dt><dd>1</dd>") != NULL);
    CHECK(strstr(sb.buf, "<dt>Median retention</dt><dd>85.0 %</dd>") != NULL);
    CHECK(strstr(sb.buf, "<dt>EOL back-test error</dt><dd>5.5 %</dd>") != NULL);
    /* no network: nothing is loaded from http(s) except the MLflow link itself */
    CHECK(strstr(sb.buf, "src=\"http") == NULL && strstr(sb.buf, "@import") == NULL);
    cp_strbuf_release(&sb);
    cp_strbuf_release(&path);
    cp_fs_rmtree(dir);
    fixture_release(&f);
}

TEST(page_without_plots)
{
    struct fixture f;
    struct cp_error err = {0};
    struct cp_strbuf sb;
    cp_strbuf_init(&sb);
    fixture_init(&f);
    CHECK_INT(cp_html_render(&f.run, "/nonexistent-cellpipe-dir", &sb, &err), 0);
    CHECK(strstr(sb.buf, "Plots (0)") != NULL);
    CHECK(strstr(sb.buf, "Summary PDF: not produced") != NULL);
    cp_strbuf_release(&sb);
    fixture_release(&f);
}

/* A fade plot with axes and a legend, like the plots sink draws: the page must show it. */
static void draw_fade(const char *path, int seed)
{
    cairo_surface_t *s = cairo_svg_surface_create(path, 720, 432);
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, 70, 30, 620, 340);
    cairo_stroke(cr);
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 13);
    cairo_move_to(cr, 330, 405);
    cairo_show_text(cr, "cycle");
    cairo_move_to(cr, 80, 50);
    cairo_show_text(cr, seed ? "capacity retention, NMC-pouch" : "capacity retention, LFP");
    for (int k = 0; k < 4; k++) {
        cairo_set_source_rgb(cr, 0.12 + 0.25 * k, 0.47, 0.71 - 0.15 * k);
        for (int i = 0; i <= 100; i++) {
            double n = i * 10, q = 1 - (0.0002 + 0.00005 * (k + seed)) * n -
                                   (n > 700 ? 0.0000015 * (n - 700) * (n - 700) : 0);
            double x = 70 + 620 * i / 100.0, y = 370 - 340 * (q - 0.6) / 0.45;
            if (i == 0)
                cairo_move_to(cr, x, y);
            else
                cairo_line_to(cr, x, y);
        }
        cairo_stroke(cr);
    }
    cairo_destroy(cr);
    cairo_surface_destroy(s);
}

/* With CP_TEST_HTML_DIR set (tests/integration/html.sh), leave a page there for a browser. */
TEST(write_page_for_browser)
{
    const char *dir = getenv("CP_TEST_HTML_DIR");
    if (!dir) {
        SKIP("write_page_for_browser", "CP_TEST_HTML_DIR not set (tests/integration/html.sh)");
        return;
    }
    struct fixture f;
    struct cp_error err = {0};
    struct cp_strbuf path;
    cp_strbuf_init(&path);
    fixture_init(&f);
    cp_strbuf_addf(&path, "%s/plots", dir);
    cp_fs_mkdirs(path.buf);
    const char *names[] = {"retention_by_design", "retention_nmc", "capacity"};
    for (int i = 0; i < 3; i++) {
        cp_strbuf_reset(&path);
        cp_strbuf_addf(&path, "%s/plots/%s.svg", dir, names[i]);
        draw_fade(path.buf, i);
    }
    f.run.staging_dir = (char *)dir;
    CHECK_INT(cp_sink_html.write(&f.run, &err), 0);
    cp_strbuf_release(&path);
    fixture_release(&f);
}

/* Fail each allocation in turn: a clean error every time, never a crash or a leak. */
TEST(render_survives_every_failed_allocation)
{
    struct fixture f;
    struct cp_error err = {0};
    struct cp_strbuf sb;
    char tmpl[] = "/tmp/cp-html-XXXXXX";
    char *dir = mkdtemp(tmpl);
    struct cp_strbuf path;
    cp_strbuf_init(&path);
    cp_strbuf_addf(&path, "%s/plots", dir);
    cp_fs_mkdirs(path.buf);
    cp_strbuf_adds(&path, "/a.svg");
    const char *svg = "<svg><g id=\"g1\"/><use href=\"#g1\"/></svg>";
    cp_fs_write_atomic(path.buf, svg, strlen(svg));
    fixture_init(&f);
    long n;
    int clean = 1;
    for (n = 1; n < 100000; n++) {
        cp_error_clear(&err);
        cp_strbuf_init(&sb);
        cp_alloc_fail_at(n);
        int rc = cp_html_render(&f.run, dir, &sb, &err);
        cp_alloc_fail_at(0);
        cp_strbuf_release(&sb);
        if (rc == 0)
            break;
        clean &= rc < 0 && err.code != 0;
    }
    CHECK(clean);
    CHECK(n > 5 && n < 100000);
    fixture_release(&f);
    cp_fs_rmtree(dir);
    cp_strbuf_release(&path);
}

int main(void)
{
    RUN(write_page_for_browser);
    RUN(inline_svg_prefixes_ids);
    RUN(page_inlines_every_plot);
    RUN(page_without_plots);
    RUN(render_survives_every_failed_allocation);
    fixture_fonts_release();
    return DONE();
}
