/*
 * The fleet statistics page of summary.pdf (include/cellpipe/summary_stats.h). Its height is
 * fixed by construction (rows and findings are capped), so summary_pdf.c plans it as one page
 * and "page x of y" stays exact.
 */
#include "cellpipe/summary_stats.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/charts_stats.h"
#include "cellpipe/config.h"
#include "cellpipe/palette.h"
#include "cellpipe/plot.h"
#include "cellpipe/run.h"
#include "cellpipe/statistics.h"
#include "cellpipe/text.h"

#define FS_BODY 8.0
#define ROW_H 15.0
#define HEAD_H 18.0
#define TITLE_H 26.0
#define FINDING_H 22.0 /* a finding may take two lines */
#define DASH "\xe2\x80\x94"

struct page {
    cairo_t *cr;
    struct cp_text *tx;
    double x, w;
};

struct col {
    const char *title;
    double width; /* fraction of the table width */
    int right;
};

static void grey(cairo_t *cr, double v)
{
    cairo_set_source_rgb(cr, v, v, v);
}

static void heading(struct page *pg, const char *text, double y)
{
    grey(pg->cr, 0.05);
    cp_text_draw(pg->tx, text, pg->x, y, 12, CP_TEXT_BOLD, 0, 0, 0, pg->w);
}

/* ---- the table of groups ---- */

static void fmt_cycles(char *buf, size_t n, double v, const char *missing)
{
    if (isfinite(v))
        snprintf(buf, n, "%.0f", v);
    else
        snprintf(buf, n, "%s", missing);
}

/* "700 – 950"; an undefined bound is a dash ("700 – —"), none at all is one dash. */
static void fmt_interval(char *buf, size_t n, double lo, double hi)
{
    char a[32], b[32];
    if (!isfinite(lo) && !isfinite(hi)) {
        snprintf(buf, n, DASH);
        return;
    }
    fmt_cycles(a, sizeof(a), lo, DASH);
    fmt_cycles(b, sizeof(b), hi, DASH);
    snprintf(buf, n, "%s \xe2\x80\x93 %s", a, b);
}

/* indent: room left of the first column's text (a colour swatch) */
static void draw_row(struct page *pg, const struct col *cols, size_t nc, char cells[][160],
                     double y, int bold, double indent)
{
    double x = pg->x;
    for (size_t c = 0; c < nc; c++) {
        double cw = cols[c].width * pg->w, in = c == 0 ? indent : 0;
        cp_text_draw(pg->tx, cells[c], cols[c].right ? x + cw - 4 : x + 4 + in, y + ROW_H / 2,
                     FS_BODY, bold ? CP_TEXT_BOLD : 0, cols[c].right ? 1 : 0, 0.5, 0, cw - 8 - in);
        x += cw;
    }
}

static void group_cells(const struct cp_statistics_group *g, char cells[][160])
{
    const struct cp_stats_km *km = &g->km;
    int ok = km->status == CP_STATS_OK;
    snprintf(cells[0], 160, "%s", g->name ? g->name : "");
    snprintf(cells[1], 160, "%zu", g->n);
    snprintf(cells[2], 160, ok ? "%zu" : DASH, km->events);
    if (ok)
        fmt_cycles(cells[3], 160, km->median, "not reached");
    else
        snprintf(cells[3], 160, DASH);
    if (ok)
        fmt_interval(cells[4], 160, km->median_lo, km->median_hi);
    else
        snprintf(cells[4], 160, DASH);
}

/* The table; returns the y below it. */
static double draw_table(struct page *pg, const struct cp_statistics *s, const int *colors,
                         double y)
{
    char level[64];
    double lv = isfinite(s->level) && s->level > 0 && s->level < 1 ? s->level : 0.95;
    snprintf(level, sizeof(level), "%.0f %% interval", 100 * lv);
    const struct col cols[] = {{"Group", 0.36, 0},
                               {"Cells", 0.11, 1},
                               {"Events", 0.11, 1},
                               {"Median life (cycles)", 0.20, 1},
                               {level, 0.22, 1}};
    char cells[5][160];
    cairo_set_source_rgb(pg->cr, 0.90, 0.92, 0.95);
    cairo_rectangle(pg->cr, pg->x, y, pg->w, HEAD_H);
    cairo_fill(pg->cr);
    for (size_t c = 0; c < 5; c++)
        snprintf(cells[c], sizeof(cells[c]), "%s", cols[c].title);
    grey(pg->cr, 0.1);
    draw_row(pg, cols, 5, cells, y + (HEAD_H - ROW_H) / 2, 1, 0);
    y += HEAD_H;
    size_t n = s->ngroups < CP_STATS_PAGE_ROWS ? s->ngroups : CP_STATS_PAGE_ROWS;
    for (size_t g = 0; g < n; g++, y += ROW_H) {
        if (g % 2) {
            cairo_set_source_rgb(pg->cr, 0.975, 0.975, 0.98);
            cairo_rectangle(pg->cr, pg->x, y, pg->w, ROW_H);
            cairo_fill(pg->cr);
        }
        /* the curve's colour before the name ties the row to the plot below */
        cp_palette_set(pg->cr, colors ? colors[g] : (int)g, 1);
        cairo_rectangle(pg->cr, pg->x + 4, y + ROW_H / 2 - 3, 9, 6);
        cairo_fill(pg->cr);
        group_cells(&s->groups[g], cells);
        grey(pg->cr, 0.12);
        draw_row(pg, cols, 5, cells, y, 0, 12);
    }
    if (s->ngroups > n) {
        char more[96];
        snprintf(more, sizeof(more), "and %zu more groups in results/statistics.csv",
                 s->ngroups - n);
        grey(pg->cr, 0.35);
        cp_text_draw(pg->tx, more, pg->x + 4, y + ROW_H / 2, FS_BODY, 0, 0, 0.5, 0, pg->w);
        y += ROW_H;
    }
    return y;
}

/* ---- the findings ---- */

static void draw_findings(struct page *pg, const struct cp_statistics *s,
                          const char *const *findings, size_t nfindings, double y)
{
    heading(pg, "Significant differences", y);
    y += TITLE_H - 4;
    if (nfindings == 0) {
        char none[160]; /* the same words as index.html */
        cp_statistics_none_text(s, none, sizeof none);
        grey(pg->cr, 0.3);
        cp_text_draw(pg->tx, none, pg->x + 4, y + ROW_H / 2, FS_BODY + 1, 0, 0, 0.5, 0, pg->w);
        return;
    }
    size_t n = nfindings < CP_STATS_PAGE_FINDINGS ? nfindings : CP_STATS_PAGE_FINDINGS;
    for (size_t i = 0; i < n; i++, y += FINDING_H) {
        grey(pg->cr, 0.12);
        cp_text_draw(pg->tx, "\xe2\x80\xa2", pg->x + 6, y + 6, FS_BODY + 1, 0, 0.5, 0.5, 0, 0);
        cp_text_draw_wrapped(pg->tx, findings[i] ? findings[i] : "", pg->x + 14, y, FS_BODY + 1, 0,
                             0, pg->w - 18, 2);
    }
}

/* ---- the page ---- */

int cp_summary_stats_draw(cairo_t *cr, struct cp_text *tx, const struct cp_statistics *s,
                          const char *group_by, const struct cp_figure *km, const int *colors,
                          const char *const *findings, size_t nfindings, double x, double y,
                          double w, double h)
{
    struct page pg = {cr, tx, x, w};
    char title[160];
    snprintf(title, sizeof(title), "Fleet statistics " DASH " by %s",
             group_by && *group_by ? group_by : "design_name");
    heading(&pg, title, y);
    double top = draw_table(&pg, s, colors, y + TITLE_H) + 12;
    size_t nf =
        nfindings ? (nfindings < CP_STATS_PAGE_FINDINGS ? nfindings : CP_STATS_PAGE_FINDINGS) : 1;
    double findings_h = TITLE_H + (double)nf * FINDING_H;
    double fig_h = fmin(w * 0.62, y + h - top - findings_h - 12);
    if (km && fig_h > 120) {
        if (cp_plot_draw(cr, km, x - 10, top, w + 20, fig_h) != 0)
            return -1;
        top += fig_h + 12;
    }
    draw_findings(&pg, s, findings, nfindings, top);
    return 0;
}

int cp_summary_stats_page(cairo_t *cr, struct cp_text *tx, const struct cp_run *run,
                          const char *const *findings, size_t nfindings, double x, double y,
                          double w, double h)
{
    const struct cp_statistics *s = run->statistics;
    const char *gb = run->cfg && run->cfg->statistics.group_by && *run->cfg->statistics.group_by
                         ? run->cfg->statistics.group_by
                         : "design_name";
    int *colors = cp_malloc((s->ngroups ? s->ngroups : 1) * sizeof(int));
    struct cp_figure *km = cp_charts_survival_run(run);
    int rc = -1;
    if (colors && km && cp_charts_stats_colors(run, gb, s, colors) == 0)
        rc = cp_summary_stats_draw(cr, tx, s, gb, km, colors, findings, nfindings, x, y, w, h);
    cp_figure_free(km);
    cp_free(colors);
    return rc;
}
