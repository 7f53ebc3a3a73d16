/*
 * The plot driver: every panel kind renders to PDF and SVG, reruns are byte-identical, the
 * PDF creation date is the given epoch, bad data gives "no data" instead of a crash, and the
 * 1 M-point series is downsampled (the SVG stays small). CP_PLOT_DUMP=dir keeps the files.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/plot.h"
#include "cellpipe/strbuf.h"
#include "harness.h"
#include "plot_dump.h"

#define EPOCH 1767225600 /* 2026-01-01T00:00:00Z */

/* Numbers with three or more decimals inside path data (d="..."): there should be none. */
static int long_decimals_in_paths(const char *svg)
{
    int n = 0;
    for (const char *d = strstr(svg, " d=\""); d; d = strstr(d + 1, " d=\"")) {
        const char *end = strchr(d + 4, '"');
        for (const char *p = d + 4; end && p + 3 < end; p++)
            n += p[0] == '.' && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' && p[2] <= '9' &&
                 p[3] >= '0' && p[3] <= '9';
    }
    return n;
}

static int render(const struct cp_figure *fig, enum cp_plot_format fmt, const char *name,
                  struct cp_strbuf *out)
{
    struct cp_error err;
    cp_error_clear(&err);
    cp_strbuf_init(out);
    int rc = cp_plot_render(fig, fmt, 720, 432, EPOCH, out, &err);
    if (rc == 0)
        dump(name, out);
    return rc;
}

static struct cp_figure *fleet_figure(size_t ncells, size_t ncycles)
{
    struct cp_figure *fig = cp_figure_new("Capacity retention by design");
    cp_figure_set_subtitle(fig, "demo pipeline \xe2\x80\x94 2026-01-01");
    struct cp_panel *p =
        cp_figure_add_panel(fig, CP_PANEL_XY, NULL, "Cycle number", "Capacity retention (%)");
    for (size_t c = 0; c < ncells; c++) {
        char label[32];
        snprintf(label, sizeof(label), "Design %c", (char)('A' + c % 3));
        struct cp_series *s = cp_panel_add_series(p, label, (int)(c % 3), ncycles);
        for (size_t i = 0; i < ncycles; i++) {
            s->x[i] = (double)(i + 1);
            s->y[i] = 100.0 - 0.01 * (c + 1) * i - 2 * sqrt((double)i) / (c % 3 + 1);
        }
    }
    cp_panel_add_hline(p, 80, "EOL threshold 80 %");
    cp_panel_add_marker(p, 600, 85, CP_MARK_DIAMOND, -1, "Knee");
    return fig;
}

TEST(xy_renders_and_is_reproducible)
{
    struct cp_figure *fig = fleet_figure(9, 1000);
    struct cp_strbuf a, b, svg;
    CHECK_INT(render(fig, CP_PLOT_PDF, "xy.pdf", &a), 0);
    CHECK_INT(render(fig, CP_PLOT_PDF, "xy2.pdf", &b), 0);
    CHECK(a.len > 1000 && a.len == b.len && memcmp(a.buf, b.buf, a.len) == 0);
    CHECK(strstr(a.buf, "%PDF-") == a.buf);
    /* cairo 1.16 writes the date without the "D:" prefix; later versions add it */
    CHECK(has(&a, "/CreationDate (") && has(&a, "20260101000000"));
    CHECK_INT(render(fig, CP_PLOT_SVG, "xy.svg", &svg), 0);
    CHECK(strstr(svg.buf, "<svg") != NULL && strstr(svg.buf, "</svg>") != NULL);
    CHECK(strstr(svg.buf, "<title>Capacity retention by design</title>") != NULL);
    CHECK(strstr(svg.buf, "legend: Design A, Design B, Design C, Knee</desc>") != NULL);
    CHECK_INT(long_decimals_in_paths(svg.buf), 0);
    /* cairo numbers surfaces with a counter of the process; the file numbers them itself, so
     * a second rendering (after other surfaces were made) is the same file */
    struct cp_strbuf svg2;
    CHECK_INT(render(fig, CP_PLOT_SVG, "xy2.svg", &svg2), 0);
    CHECK(svg.len == svg2.len && memcmp(svg.buf, svg2.buf, svg.len) == 0);
    CHECK(strstr(svg.buf, "<g id=\"surface0\">") != NULL);
    cp_strbuf_release(&svg2);
    cp_strbuf_release(&a);
    cp_strbuf_release(&b);
    cp_strbuf_release(&svg);
    cp_figure_free(fig);
}

/* The SVG of a 1 M-point line holds about 2 points per point of width, not a million. */
TEST(large_series_downsampled)
{
    struct cp_figure *fig = cp_figure_new("1 M points");
    struct cp_panel *p = cp_figure_add_panel(fig, CP_PANEL_XY, NULL, "x", "y");
    struct cp_series *s = cp_panel_add_series(p, NULL, 0, 1000000);
    for (size_t i = 0; i < s->n; i++) {
        s->x[i] = (double)i;
        s->y[i] = sin(i * 1e-4) + (i == 777777 ? 5.0 : 0.0);
    }
    struct cp_strbuf svg;
    CHECK_INT(render(fig, CP_PLOT_SVG, "big.svg", &svg), 0);
    CHECK(svg.len < 100 * 1024);
    cp_strbuf_release(&svg);
    cp_figure_free(fig);
}

static void add_bad_panels(struct cp_figure *fig)
{
    struct cp_panel *p;
    p = cp_figure_add_panel(fig, CP_PANEL_XY, "empty", "x", "y");
    cp_panel_add_series(p, "none", 0, 0);
    p = cp_figure_add_panel(fig, CP_PANEL_XY, "all NaN", "x", "y");
    struct cp_series *s = cp_panel_add_series(p, "nan", 1, 3);
    for (int i = 0; i < 3; i++)
        s->x[i] = s->y[i] = NAN;
    p = cp_figure_add_panel(fig, CP_PANEL_XY, "single point", "x", "y");
    s = cp_panel_add_series(p, "one", 2, 1);
    s->x[0] = 5;
    s->y[0] = 0.9;
    p = cp_figure_add_panel(fig, CP_PANEL_XY, "log of negatives", "x", "y");
    p->log_y = 1;
    s = cp_panel_add_series(p, "neg", 3, 2);
    s->x[0] = 1;
    s->x[1] = 2;
    s->y[0] = -1;
    s->y[1] = 0;
    p = cp_figure_add_panel(fig, CP_PANEL_HISTOGRAM, "empty groups", "v", NULL);
    cp_panel_add_values(p, "A", 0, NULL, 0);
    p = cp_figure_add_panel(fig, CP_PANEL_BOX, "one value", NULL, "v");
    double one = 3;
    cp_panel_add_values(p, "A", 0, &one, 1);
    cp_panel_add_values(p, "B", 1, NULL, 0);
    p = cp_figure_add_panel(fig, CP_PANEL_INTERVALS, "no forecasts", "cycle", NULL);
    cp_panel_add_row(p, "c1", NAN, NAN, NAN, 0, CP_MARK_CIRCLE);
    cp_figure_add_panel(fig, CP_PANEL_XY, "nothing at all", NULL, NULL);
}

TEST(bad_data_never_crashes)
{
    struct cp_figure *fig = cp_figure_new("bad data");
    add_bad_panels(fig);
    struct cp_strbuf pdf, svg;
    CHECK_INT(render(fig, CP_PLOT_PDF, "bad.pdf", &pdf), 0);
    CHECK_INT(render(fig, CP_PLOT_SVG, "bad.svg", &svg), 0);
    cp_strbuf_release(&pdf);
    cp_strbuf_release(&svg);
    cp_figure_free(fig);
    struct cp_figure *none = cp_figure_new(NULL);
    CHECK_INT(render(none, CP_PLOT_PDF, "none.pdf", &pdf), 0);
    cp_strbuf_release(&pdf);
    cp_figure_free(none);
}

TEST(other_kinds)
{
    struct cp_figure *fig = cp_figure_new("Kinds");
    struct cp_panel *h = cp_figure_add_panel(fig, CP_PANEL_HISTOGRAM, "Fade rate", "Fade", NULL);
    struct cp_panel *b = cp_figure_add_panel(fig, CP_PANEL_BOX, "Fade rate", "Design", "Fade");
    for (int g = 0; g < 3; g++) {
        double v[8];
        for (int i = 0; i < 8; i++)
            v[i] = -1.0 - g * 0.5 - 0.1 * i + (i == 7 ? -2 : 0);
        char label[8];
        snprintf(label, sizeof(label), "D%d", g);
        cp_panel_add_values(h, label, g, v, 8);
        cp_panel_add_values(b, label, g, v, 8);
    }
    struct cp_panel *r = cp_figure_add_panel(fig, CP_PANEL_INTERVALS, "EOL", "Cycle", NULL);
    for (int i = 0; i < 12; i++) {
        char label[16];
        snprintf(label, sizeof(label), "cell-%02d", i);
        cp_panel_add_row(r, label, 500 + 40 * i, 450 + 30 * i, 560 + 60 * i, i % 3,
                         i < 3 ? CP_MARK_DOT : CP_MARK_CIRCLE);
    }
    struct cp_strbuf pdf;
    CHECK_INT(render(fig, CP_PLOT_PDF, "kinds.pdf", &pdf), 0);
    cp_strbuf_release(&pdf);
    cp_figure_free(fig);
}

int main(void)
{
    RUN(xy_renders_and_is_reproducible);
    RUN(large_series_downsampled);
    RUN(bad_data_never_crashes);
    RUN(other_kinds);
    return DONE();
}
