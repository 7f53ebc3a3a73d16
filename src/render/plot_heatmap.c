/* Matrix panels of the plot driver: a square grid of values in [-1, 1] (correlations) on a
 * diverging colour scale, the value printed in each cell, names on both axes and a colour bar
 * (plot_internal.h). */
#include "cellpipe/plot.h"
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "cellpipe/palette.h"
#include "cellpipe/text.h"
#include "plot_internal.h"

#define HM_BAR_W 10.0   /* colour bar width */
#define HM_BAR_GAP 14.0 /* between the matrix and the bar */
#define HM_MAX_LABEL 120.0
#define HM_NA_GREY 0.88

/*
 * ColorBrewer RdBu (7 classes, colour-blind safe): blue for negative, near-white at 0, red for
 * positive; interpolated linearly between the classes.
 */
static const unsigned char rdbu[7][3] = {
    {0x21, 0x66, 0xAC}, {0x67, 0xA9, 0xCF}, {0xD1, 0xE5, 0xF0}, {0xF7, 0xF7, 0xF7},
    {0xFD, 0xDB, 0xC7}, {0xEF, 0x8A, 0x62}, {0xB2, 0x18, 0x2B},
};

static void diverging(double v, double rgb[3])
{
    double t = (fmax(-1, fmin(1, v)) + 1) / 2 * 6; /* [0, 6] over the 7 stops */
    int i = (int)floor(t);
    if (i >= 6)
        i = 5;
    double f = t - i;
    for (int k = 0; k < 3; k++)
        rgb[k] = ((1 - f) * rdbu[i][k] + f * rdbu[i + 1][k]) / 255.0;
}

struct hm_layout {
    double x0, y0, cell; /* top-left of the matrix, side of one cell */
    double label_w;      /* widest name (cut at HM_MAX_LABEL) */
    int rotate;          /* column names at 45 degrees: they do not fit under their cells */
};

static double widest(struct dc *dc, const struct cp_panel *p)
{
    double mw = 0;
    for (size_t i = 0; i < p->nmatrix; i++) {
        double tw;
        cp_text_measure(&dc->tx, p->matrix_labels[i], FS_TICK, 0, &tw, NULL);
        mw = fmax(mw, tw);
    }
    return fmin(mw, HM_MAX_LABEL);
}

static void layout(struct dc *dc, const struct cp_panel *p, struct rect r, struct hm_layout *l)
{
    double n = (double)p->nmatrix, lh, bar_lw;
    cp_text_measure(&dc->tx, "0", FS_TICK, 0, NULL, &lh);
    cp_text_measure(&dc->tx, "-1.0", FS_TICK, 0, &bar_lw, NULL);
    l->label_w = widest(dc, p);
    double left = l->label_w + 6, right = HM_BAR_GAP + HM_BAR_W + 4 + bar_lw + 4;
    double bottom = lh + 6;
    l->cell = fmin((r.w - left - right) / n, (r.h - bottom - 4) / n);
    l->rotate = l->label_w > l->cell - 4;
    if (l->rotate) {
        bottom = (l->label_w + lh) * M_SQRT1_2 + 12;
        l->cell = fmin((r.w - left - right) / n, (r.h - bottom - 4) / n);
    }
    if (l->cell < 4)
        l->cell = 4;
    /* centre the block (names, matrix, bar) in the panel */
    double block = left + n * l->cell + right;
    l->x0 = r.x + fmax(0, (r.w - block) / 2) + left;
    l->y0 = r.y + 4;
}

static void draw_cell(struct dc *dc, const struct hm_layout *l, double v, double x, double y)
{
    cairo_t *cr = dc->cr;
    double rgb[3] = {HM_NA_GREY, HM_NA_GREY, HM_NA_GREY};
    int na = !isfinite(v);
    if (!na)
        diverging(v, rgb);
    cairo_rectangle(cr, x, y, l->cell, l->cell);
    cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
    double fs = fmin(FS_TICK + 0.5, l->cell * 0.28);
    if (fs < 4)
        return; /* too small to read: the colour says it */
    char buf[16];
    if (na)
        snprintf(buf, sizeof(buf), "n/a");
    else
        snprintf(buf, sizeof(buf), "%.2f", fabs(v) < 0.005 ? 0.0 : v);
    /* dark text on the pale middle of the scale, white on the saturated ends */
    plt_grey(cr, na ? 0.4 : fabs(v) > 0.6 ? 1.0 : 0.12);
    cp_text_draw(&dc->tx, buf, x + l->cell / 2, y + l->cell / 2, fs, 0, 0.5, 0.5, 0, l->cell - 2);
}

static void draw_names(struct dc *dc, const struct cp_panel *p, const struct hm_layout *l)
{
    double bottom = l->y0 + (double)p->nmatrix * l->cell;
    plt_grey(dc->cr, 0.2);
    for (size_t i = 0; i < p->nmatrix; i++) {
        const char *name = p->matrix_labels[i];
        double c = (double)i * l->cell + l->cell / 2;
        cp_text_draw(&dc->tx, name, l->x0 - 4, l->y0 + c, FS_TICK, 0, 1, 0.5, 0, HM_MAX_LABEL);
        if (l->rotate) /* ends under its column, reads up to the right */
            cp_text_draw(&dc->tx, name, l->x0 + c + 2, bottom + 4, FS_TICK, 0, 1, 0.5, -M_PI / 4,
                         HM_MAX_LABEL);
        else
            cp_text_draw(&dc->tx, name, l->x0 + c, bottom + 3, FS_TICK, 0, 0.5, 0, 0, l->cell);
    }
}

static void draw_bar(struct dc *dc, const struct cp_panel *p, const struct hm_layout *l)
{
    cairo_t *cr = dc->cr;
    double h = (double)p->nmatrix * l->cell;
    double x = l->x0 + h + HM_BAR_GAP, y = l->y0;
    cairo_pattern_t *g = cairo_pattern_create_linear(0, y + h, 0, y);
    for (int i = 0; i < 7; i++)
        cairo_pattern_add_color_stop_rgb(g, i / 6.0, rdbu[i][0] / 255.0, rdbu[i][1] / 255.0,
                                         rdbu[i][2] / 255.0);
    cairo_rectangle(cr, x, y, HM_BAR_W, h);
    cairo_set_source(cr, g);
    cairo_fill_preserve(cr);
    cairo_pattern_destroy(g);
    plt_grey(cr, 0.4);
    cairo_set_line_width(cr, 0.5);
    cairo_stroke(cr);
    static const char *const ticks[] = {"-1", "-0.5", "0", "0.5", "1"};
    for (int i = 0; i < 5; i++) {
        double ty = y + h - h * i / 4.0;
        cairo_move_to(cr, x + HM_BAR_W, ty);
        cairo_line_to(cr, x + HM_BAR_W + 3, ty);
        cairo_stroke(cr);
        cp_text_draw(&dc->tx, ticks[i], x + HM_BAR_W + 5, ty, FS_TICK - 0.5, 0, 0, 0.5, 0, 0);
    }
}

int plt_draw_heatmap(struct dc *dc, const struct cp_panel *p, struct rect r)
{
    if (p->nmatrix == 0 || !p->matrix) {
        plt_draw_no_data(dc, r, p->empty_reason ? p->empty_reason : "no values");
        return 0;
    }
    struct hm_layout l;
    layout(dc, p, r, &l);
    cairo_save(dc->cr);
    for (size_t i = 0; i < p->nmatrix; i++)
        for (size_t j = 0; j < p->nmatrix; j++)
            draw_cell(dc, &l, p->matrix[i * p->nmatrix + j], l.x0 + (double)j * l.cell,
                      l.y0 + (double)i * l.cell);
    draw_names(dc, p, &l);
    draw_bar(dc, p, &l);
    cairo_restore(dc->cr);
    return 0;
}
