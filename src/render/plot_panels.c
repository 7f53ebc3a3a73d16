/* Histogram, box-plot and interval-row panels of the plot driver (plot_internal.h). */
#include "cellpipe/plot.h"
#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cellpipe/alloc.h"
#include "cellpipe/axis.h"
#include "cellpipe/error.h"
#include "cellpipe/lttb.h"
#include "cellpipe/palette.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/text.h"
#include "cellpipe/timeutil.h"
#include "plot_internal.h"

/* ---- histograms ---- */

static int value_extent(const struct cp_panel *p, int log, double *lo, double *hi)
{
    size_t n = 0;
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t g = 0; g < p->nvalues; g++)
        for (size_t i = 0; i < p->values[g].n; i++) {
            double v = p->values[g].v[i];
            if (!plt_valid(v, log))
                continue;
            *lo = fmin(*lo, v);
            *hi = fmax(*hi, v);
            n++;
        }
    return n > 0;
}

static size_t count_values(const struct cp_panel *p)
{
    size_t n = 0;
    for (size_t g = 0; g < p->nvalues; g++)
        for (size_t i = 0; i < p->values[g].n; i++)
            n += isfinite(p->values[g].v[i]) != 0;
    return n;
}

/* One group's bars, stacked on `base` (the groups drawn before it), which it then raises.
 * Stacked rather than overlaid: overlapping translucent fills of four groups turn grey. */
static void draw_bins(cairo_t *cr, const struct frame *f, const double *count, double *base,
                      size_t nb, double lo, double step, int color)
{
    for (size_t b = 0; b < nb; b++) {
        if (count[b] <= 0)
            continue;
        double x0 = plt_px(f, lo + b * step), x1 = plt_px(f, lo + (b + 1) * step);
        double y0 = plt_py(f, base[b]), y1 = plt_py(f, base[b] + count[b]);
        cairo_rectangle(cr, x0, y1, x1 - x0, y0 - y1);
        cp_palette_set(cr, color, 0.75);
        cairo_fill_preserve(cr);
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_set_line_width(cr, 0.8);
        cairo_stroke(cr);
        base[b] += count[b];
    }
}

int plt_draw_histogram(struct dc *dc, const struct cp_panel *p, struct rect r)
{
    double vlo, vhi;
    if (!value_extent(p, 0, &vlo, &vhi)) {
        plt_draw_no_data(dc, r, p->empty_reason ? p->empty_reason : "no finite values");
        return 0;
    }
    if (isfinite(p->x_min))
        vlo = p->x_min;
    if (isfinite(p->x_max))
        vhi = p->x_max;
    size_t total = count_values(p);
    int target = (int)sqrt((double)total) + 1;
    target = target < 5 ? 5 : target > 25 ? 25 : target;
    double step = vhi > vlo ? cp_axis_nice_step(vhi - vlo, target)
                            : (vlo != 0 ? cp_axis_nice_step(fabs(vlo) * 0.2, 1) : 1.0);
    double lo = floor(vlo / step) * step;
    size_t nb = (size_t)ceil((vhi - lo) / step - 1e-9);
    if (nb == 0 || lo + nb * step <= vhi)
        nb++;
    if (nb > 400)
        nb = 400;
    /* one row of counts per group, and one more for the stack's running height */
    double *count = cp_calloc(nb * (p->nvalues + 1), sizeof(double));
    if (!count)
        return -1;
    double *base = count + nb * p->nvalues, cmax = 0;
    for (size_t g = 0; g < p->nvalues; g++)
        for (size_t i = 0; i < p->values[g].n; i++) {
            double v = p->values[g].v[i];
            if (!isfinite(v) || v < lo || v > lo + nb * step)
                continue;
            size_t b = (size_t)floor((v - lo) / step);
            b = b >= nb ? nb - 1 : b;
            count[g * nb + b]++;
            cmax = fmax(cmax, ++base[b]);
        }
    memset(base, 0, nb * sizeof(double));
    struct frame f = {0};
    cp_axis_range(&f.ax, 0, lo, lo + nb * step, lo, lo + nb * step);
    cp_axis_range(&f.ay, 0, 0, cmax, 0, ceil(cmax * 1.08 + 0.01));
    plt_layout_frame(dc, &f, r, p->xlabel, p->ylabel ? p->ylabel : "Count", 0, 1);
    plt_draw_grid(dc, &f);
    plt_clip_frame(dc->cr, &f);
    for (size_t g = 0; g < p->nvalues; g++)
        draw_bins(dc->cr, &f, count + g * nb, base, nb, lo, step, p->values[g].color);
    cairo_restore(dc->cr);
    plt_draw_axes(dc, &f, p->xlabel, p->ylabel ? p->ylabel : "Count", 0);
    cp_free(count);
    return 0;
}

/* ---- box plots (with the points themselves: few cells per group is the usual case) ---- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Quantile by linear interpolation between order statistics (numpy's default, type 7). */
static double quantile(const double *sorted, size_t n, double q)
{
    double h = (double)(n - 1) * q;
    size_t i = (size_t)floor(h);
    if (i + 1 >= n)
        return sorted[n - 1];
    return sorted[i] + (h - (double)i) * (sorted[i + 1] - sorted[i]);
}

static void draw_box(cairo_t *cr, const struct frame *f, double cx, double half, const double *v,
                     size_t n, int color)
{
    double q1 = quantile(v, n, 0.25), med = quantile(v, n, 0.5), q3 = quantile(v, n, 0.75);
    double iqr = q3 - q1, wlo = q1, whi = q3;
    for (size_t i = 0; i < n; i++) {
        if (v[i] >= q1 - 1.5 * iqr && v[i] < wlo)
            wlo = v[i];
        if (v[i] <= q3 + 1.5 * iqr && v[i] > whi)
            whi = v[i];
    }
    double x0 = plt_px(f, cx - half), x1 = plt_px(f, cx + half), xc = plt_px(f, cx);
    cairo_set_line_width(cr, 1.1);
    cp_palette_set(cr, color, 1);
    cairo_move_to(cr, xc, plt_py(f, q3));
    cairo_line_to(cr, xc, plt_py(f, whi));
    cairo_move_to(cr, xc, plt_py(f, q1));
    cairo_line_to(cr, xc, plt_py(f, wlo));
    cairo_move_to(cr, plt_px(f, cx - half / 2), plt_py(f, whi));
    cairo_line_to(cr, plt_px(f, cx + half / 2), plt_py(f, whi));
    cairo_move_to(cr, plt_px(f, cx - half / 2), plt_py(f, wlo));
    cairo_line_to(cr, plt_px(f, cx + half / 2), plt_py(f, wlo));
    cairo_stroke(cr);
    cairo_rectangle(cr, x0, plt_py(f, q3), x1 - x0, plt_py(f, q1) - plt_py(f, q3));
    cp_palette_set(cr, color, 0.22);
    cairo_fill_preserve(cr);
    cp_palette_set(cr, color, 1);
    cairo_stroke(cr);
    cairo_set_line_width(cr, 2.2);
    cairo_move_to(cr, x0, plt_py(f, med));
    cairo_line_to(cr, x1, plt_py(f, med));
    cairo_stroke(cr);
    for (size_t i = 0; i < n; i++) {
        int outlier = v[i] < wlo || v[i] > whi;
        if (!outlier && n > BOX_ALL_POINTS)
            continue; /* past a hundred points the box says it better than a cloud */
        /* a fixed golden-ratio jitter: points separate, yet reruns are identical */
        double j = fmod((double)i * 0.6180339887, 1.0) - 0.5;
        plt_draw_mark(cr, outlier ? CP_MARK_CIRCLE : CP_MARK_DOT,
                      plt_px(f, cx + (n > BOX_ALL_POINTS ? 0 : j * half * 1.2)), plt_py(f, v[i]),
                      color);
    }
}

int plt_draw_boxes(struct dc *dc, const struct cp_panel *p, struct rect r)
{
    double vlo, vhi;
    struct frame f = {0};
    f.xcat = 1;
    if (p->nvalues == 0 || !value_extent(p, p->log_y, &vlo, &vhi) ||
        cp_axis_range(&f.ay, p->log_y, vlo, vhi, p->y_min, p->y_max) != 0) {
        plt_draw_no_data(dc, r, p->empty_reason ? p->empty_reason : "no finite values");
        return 0;
    }
    size_t ng = p->nvalues;
    cp_axis_range(&f.ax, 0, -0.5, ng - 0.5, -0.5, ng - 0.5);
    plt_layout_frame(dc, &f, r, p->xlabel, p->ylabel, 0, 0);
    plt_draw_grid(dc, &f);
    int rc = 0;
    double slot = f.r.w / (double)ng;
    for (size_t g = 0; g < ng && rc == 0; g++) {
        const struct cp_values *gv = &p->values[g];
        double *v = cp_malloc((gv->n ? gv->n : 1) * sizeof(double));
        size_t n = 0;
        if (!v) {
            rc = -1;
            break;
        }
        for (size_t i = 0; i < gv->n; i++)
            if (plt_valid(gv->v[i], p->log_y))
                v[n++] = gv->v[i];
        qsort(v, n, sizeof(double), cmp_double);
        plt_clip_frame(dc->cr, &f);
        if (n > 0)
            draw_box(dc->cr, &f, (double)g, 0.28, v, n, gv->color);
        cairo_restore(dc->cr);
        if (n == 0) {
            plt_grey(dc->cr, 0.5);
            cp_text_draw(&dc->tx, "no data", plt_px(&f, (double)g), f.r.y + f.r.h / 2, FS_TICK, 0,
                         0.5, 0.5, 0, slot - 4);
        }
        struct cp_strbuf sb = CP_STRBUF_INIT;
        if (cp_strbuf_addf(&sb, "%s (n=%zu)", gv->label ? gv->label : "", n) == 0) {
            plt_grey(dc->cr, 0.15);
            cp_text_draw(&dc->tx, sb.buf, plt_px(&f, (double)g), f.r.y + f.r.h + 3, FS_TICK, 0, 0.5,
                         0, 0, slot - 4);
        }
        cp_strbuf_release(&sb);
        cp_free(v);
    }
    plt_draw_axes(dc, &f, NULL, p->ylabel, 0);
    if (p->xlabel) {
        double lh;
        cp_text_measure(&dc->tx, "0", FS_TICK, 0, NULL, &lh);
        cp_text_draw(&dc->tx, p->xlabel, f.r.x + f.r.w / 2, f.r.y + f.r.h + TICK_LEN + 4 + lh,
                     FS_LABEL, 0, 0.5, 0, 0, f.r.w);
    }
    return rc;
}

/* ---- interval rows (EOL forecasts) ---- */

static int row_extent(const struct cp_panel *p, double *lo, double *hi)
{
    size_t n = 0;
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t i = 0; i < p->nrows; i++) {
        const double v3[3] = {p->rows[i].value, p->rows[i].lo, p->rows[i].hi};
        for (int k = 0; k < 3; k++)
            if (plt_valid(v3[k], p->log_x)) {
                *lo = fmin(*lo, v3[k]);
                *hi = fmax(*hi, v3[k]);
                n++;
            }
    }
    return n > 0;
}

static void draw_row(struct dc *dc, const struct frame *f, const struct cp_interval_row *row,
                     double yc, double fs)
{
    cairo_t *cr = dc->cr;
    if (plt_valid(row->lo, f->ax.log) && plt_valid(row->hi, f->ax.log)) {
        double x0 = plt_px(f, row->lo), x1 = plt_px(f, row->hi);
        cp_palette_set(cr, row->color, 0.9);
        cairo_set_line_width(cr, 1.4);
        cairo_move_to(cr, x0, yc);
        cairo_line_to(cr, x1, yc);
        cairo_move_to(cr, x0, yc - 3);
        cairo_line_to(cr, x0, yc + 3);
        cairo_move_to(cr, x1, yc - 3);
        cairo_line_to(cr, x1, yc + 3);
        cairo_stroke(cr);
    }
    if (plt_valid(row->value, f->ax.log)) {
        plt_draw_mark(cr, row->mark, plt_px(f, row->value), yc, row->color);
    } else {
        plt_grey(cr, 0.5);
        cp_text_draw(&dc->tx, "no forecast", f->r.x + 4, yc, fs, 0, 0, 0.5, 0, 0);
    }
}

int plt_draw_intervals(struct dc *dc, const struct cp_panel *p, struct rect r)
{
    double lo, hi;
    struct frame f = {0};
    f.ycat = 1;
    if (p->nrows == 0 || !row_extent(p, &lo, &hi) ||
        cp_axis_range(&f.ax, p->log_x, lo, hi, p->x_min, p->x_max) != 0) {
        plt_draw_no_data(dc, r, p->empty_reason ? p->empty_reason : "no forecasts");
        return 0;
    }
    double rowh_est = (r.h - 40) / (double)p->nrows;
    double fs = fmin(FS_TICK, fmax(4.5, rowh_est * 0.75));
    double lw = 0;
    for (size_t i = 0; i < p->nrows; i++) {
        double w;
        cp_text_measure(&dc->tx, p->rows[i].label, fs, 0, &w, NULL);
        lw = fmax(lw, w);
    }
    lw = fmin(lw, r.w * 0.3) + 6;
    cp_axis_range(&f.ay, 0, 0, (double)p->nrows, 0, (double)p->nrows);
    plt_layout_frame(dc, &f, r, p->xlabel, p->ylabel, lw, 0);
    plt_draw_grid(dc, &f);
    double rowh = f.r.h / (double)p->nrows;
    for (size_t i = 0; i < p->nrows; i++) {
        double yc = f.r.y + (i + 0.5) * rowh;
        if (i % 2 == 0) {
            cairo_set_source_rgb(dc->cr, 0.965, 0.965, 0.975);
            cairo_rectangle(dc->cr, f.r.x, yc - rowh / 2, f.r.w, rowh);
            cairo_fill(dc->cr);
        }
        plt_grey(dc->cr, 0.15);
        cp_text_draw(&dc->tx, p->rows[i].label, f.r.x - 5, yc, fs, 0, 1, 0.5, 0, lw - 6);
    }
    plt_clip_frame(dc->cr, &f);
    for (size_t i = 0; i < p->nrows; i++)
        draw_row(dc, &f, &p->rows[i], f.r.y + (i + 0.5) * rowh, fs);
    cairo_restore(dc->cr);
    plt_draw_axes(dc, &f, p->xlabel, p->ylabel, lw);
    return 0;
}
