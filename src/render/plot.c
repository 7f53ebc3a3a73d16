/*
 * The one plot driver: lays out a figure (title, legend outside the data, panel grid) and
 * draws each panel on a cairo_t. PDF and SVG differ only in the surface cp_plot_render()
 * creates. Sizes are in points; fonts are DejaVu Sans through render/text.c.
 */
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

#define FS_TITLE 13.0
#define FS_SUBTITLE 9.0
#define FS_PANEL 10.0
#define FS_LABEL 9.5
#define FS_TICK 8.5
#define FS_LEGEND 8.5
#define TICK_LEN 4.0
#define POINTS_PER_PT 2.0 /* downsample above ~2 points per point of plot width */
#define POINTS_PER_PT_FAINT 0.75
#define MAX_LEGEND 24
#define BOX_ALL_POINTS 100 /* box plots show every point up to this many per group */

struct dc { /* drawing context */
    cairo_t *cr;
    struct cp_text tx;
};

struct rect {
    double x, y, w, h;
};

struct frame {
    struct rect r; /* the data area */
    struct cp_axis ax, ay;
    int xcat, ycat; /* categorical axis: no numeric ticks */
    int clipped;    /* the automatic y range left isolated extremes off scale */
};

static void grey(cairo_t *cr, double v)
{
    cairo_set_source_rgb(cr, v, v, v);
}

static double px(const struct frame *f, double v)
{
    return f->r.x + cp_axis_map(&f->ax, v) * f->r.w;
}

static double py(const struct frame *f, double v)
{
    return f->r.y + f->r.h - cp_axis_map(&f->ay, v) * f->r.h;
}

static int valid(double v, int log)
{
    return isfinite(v) && (!log || v > 0);
}

static int in_fixed(double v, double lo, double hi)
{
    return !(isfinite(lo) && v < lo) && !(isfinite(hi) && v > hi);
}

/* ---- markers and no-data ---- */

static void draw_mark(cairo_t *cr, enum cp_mark mark, double x, double y, int color)
{
    cairo_save(cr);
    cairo_set_dash(cr, NULL, 0, 0);
    cairo_new_path(cr);
    switch (mark) {
    case CP_MARK_DOT:
        cairo_arc(cr, x, y, 1.7, 0, 2 * M_PI);
        cp_palette_set(cr, color, 0.9);
        cairo_fill(cr);
        break;
    case CP_MARK_DISC:
        cairo_arc(cr, x, y, 3.6, 0, 2 * M_PI);
        cp_palette_set(cr, color, 1);
        cairo_fill_preserve(cr);
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_set_line_width(cr, 0.8);
        cairo_stroke(cr);
        break;
    case CP_MARK_CIRCLE:
        cairo_arc(cr, x, y, 3.0, 0, 2 * M_PI);
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_fill_preserve(cr);
        cp_palette_set(cr, color, 1);
        cairo_set_line_width(cr, 1.2);
        cairo_stroke(cr);
        break;
    case CP_MARK_DIAMOND:
        cairo_move_to(cr, x, y - 4.5);
        cairo_line_to(cr, x + 4.5, y);
        cairo_line_to(cr, x, y + 4.5);
        cairo_line_to(cr, x - 4.5, y);
        cairo_close_path(cr);
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_fill_preserve(cr);
        cp_palette_set(cr, color, 1);
        cairo_set_line_width(cr, 1.3);
        cairo_stroke(cr);
        break;
    case CP_MARK_CROSS:
        /* a white halo under the cross keeps it readable on top of dense data */
        for (int pass = 0; pass < 2; pass++) {
            cairo_move_to(cr, x - 3.5, y - 3.5);
            cairo_line_to(cr, x + 3.5, y + 3.5);
            cairo_move_to(cr, x - 3.5, y + 3.5);
            cairo_line_to(cr, x + 3.5, y - 3.5);
            if (pass == 0)
                cairo_set_source_rgb(cr, 1, 1, 1);
            else
                cp_palette_set(cr, color, 1);
            cairo_set_line_width(cr, pass == 0 ? 3.2 : 1.5);
            cairo_stroke(cr);
        }
        break;
    case CP_MARK_TRIANGLE:
        cairo_move_to(cr, x + 4.5, y);
        cairo_line_to(cr, x - 3, y - 4);
        cairo_line_to(cr, x - 3, y + 4);
        cairo_close_path(cr);
        cp_palette_set(cr, color, 1);
        cairo_fill(cr);
        break;
    case CP_MARK_NONE:
        break;
    }
    cairo_restore(cr);
}

static void draw_no_data(struct dc *dc, struct rect r, const char *why)
{
    cairo_t *cr = dc->cr;
    cairo_rectangle(cr, r.x + 0.5, r.y + 0.5, r.w - 1, r.h - 1);
    grey(cr, 0.7);
    cairo_set_line_width(cr, 0.8);
    cairo_stroke(cr);
    grey(cr, 0.45);
    cp_text_draw(&dc->tx, "no data", r.x + r.w / 2, r.y + r.h / 2, 12, CP_TEXT_BOLD, 0.5, 1, 0,
                 r.w - 8);
    if (why)
        cp_text_draw(&dc->tx, why, r.x + r.w / 2, r.y + r.h / 2 + 3, FS_TICK, 0, 0.5, 0, 0,
                     r.w - 8);
}

/* ---- frame layout: margins from measured tick labels, ticks that never overlap ---- */

static double max_tick_width(struct dc *dc, const struct cp_axis *a)
{
    double mw = 0;
    char buf[64];
    for (size_t i = 0; i < a->nticks; i++) {
        double tw;
        cp_axis_format(a, a->ticks[i], buf, sizeof(buf));
        cp_text_measure(&dc->tx, buf, FS_TICK, 0, &tw, NULL);
        if (tw > mw)
            mw = tw;
    }
    return mw;
}

static void y_ticks(struct cp_axis *a, double h, int integer)
{
    int target = (int)(h / 32.0);
    cp_axis_ticks(a, target < 2 ? 2 : target > 10 ? 10 : target);
    if (integer && !a->log && a->step < 1)
        cp_axis_ticks(a, (int)floor(a->hi - a->lo) < 2 ? 2 : (int)floor(a->hi - a->lo));
}

/* Largest tick count whose labels, each with a gap, fit side by side in w. */
static void x_ticks(struct dc *dc, struct cp_axis *a, double w)
{
    int target = (int)(w / 60.0);
    if (target > 12)
        target = 12;
    for (; target >= 2; target--) {
        cp_axis_ticks(a, target);
        if ((double)a->nticks * (max_tick_width(dc, a) + 12.0) <= w)
            return;
    }
    cp_axis_ticks(a, 2);
}

/*
 * Place the data area inside r. left_extra is room already needed on the left (category
 * labels). integer_y: counts, ticks at whole numbers.
 */
static void layout_frame(struct dc *dc, struct frame *f, struct rect r, const char *xlabel,
                         const char *ylabel, double left_extra, int integer_y)
{
    double lh;
    cp_text_measure(&dc->tx, "0", FS_TICK, 0, NULL, &lh);
    double label_h = 0;
    cp_text_measure(&dc->tx, "Xg", FS_LABEL, 0, NULL, &label_h);
    double bottom = TICK_LEN + 3 + lh + (xlabel ? label_h + 4 : 0);
    double top = 6;
    double h = r.h - bottom - top;
    double left = (ylabel ? label_h + 6 : 0) + left_extra;
    if (!f->ycat) {
        y_ticks(&f->ay, h, integer_y);
        left += max_tick_width(dc, &f->ay) + TICK_LEN + 4;
    }
    double right = 12; /* room for the last x label's right half */
    f->r = (struct rect){r.x + left, r.y + top, r.w - left - right, h};
    if (f->r.w < 20)
        f->r.w = 20;
    if (f->r.h < 20)
        f->r.h = 20;
    if (!f->xcat)
        x_ticks(dc, &f->ax, f->r.w);
}

static void draw_grid(struct dc *dc, const struct frame *f)
{
    cairo_t *cr = dc->cr;
    cairo_save(cr);
    cairo_set_line_width(cr, 0.4);
    grey(cr, 0.93);
    for (size_t i = 0; i < f->ax.nminor && !f->xcat; i++) {
        double x = round(px(f, f->ax.minor[i])) + 0.2;
        cairo_move_to(cr, x, f->r.y);
        cairo_line_to(cr, x, f->r.y + f->r.h);
    }
    for (size_t i = 0; i < f->ay.nminor && !f->ycat; i++) {
        double y = round(py(f, f->ay.minor[i])) + 0.2;
        cairo_move_to(cr, f->r.x, y);
        cairo_line_to(cr, f->r.x + f->r.w, y);
    }
    cairo_stroke(cr);
    cairo_set_line_width(cr, 0.5);
    grey(cr, 0.85);
    for (size_t i = 0; i < f->ax.nticks && !f->xcat; i++) {
        double x = px(f, f->ax.ticks[i]);
        cairo_move_to(cr, x, f->r.y);
        cairo_line_to(cr, x, f->r.y + f->r.h);
    }
    for (size_t i = 0; i < f->ay.nticks && !f->ycat; i++) {
        double y = py(f, f->ay.ticks[i]);
        cairo_move_to(cr, f->r.x, y);
        cairo_line_to(cr, f->r.x + f->r.w, y);
    }
    cairo_stroke(cr);
    cairo_restore(cr);
}

static void draw_axes(struct dc *dc, const struct frame *f, const char *xlabel, const char *ylabel,
                      double left_extra)
{
    cairo_t *cr = dc->cr;
    char buf[64];
    grey(cr, 0.2);
    cairo_set_line_width(cr, 0.8);
    cairo_rectangle(cr, f->r.x, f->r.y, f->r.w, f->r.h);
    cairo_stroke(cr);
    double bottom = f->r.y + f->r.h;
    for (size_t i = 0; i < f->ax.nticks && !f->xcat; i++) {
        double x = px(f, f->ax.ticks[i]);
        cairo_move_to(cr, x, bottom);
        cairo_line_to(cr, x, bottom + TICK_LEN);
        cairo_stroke(cr);
        cp_axis_format(&f->ax, f->ax.ticks[i], buf, sizeof(buf));
        cp_text_draw(&dc->tx, buf, x, bottom + TICK_LEN + 2, FS_TICK, 0, 0.5, 0, 0, 0);
    }
    double tick_w = f->ycat ? 0 : max_tick_width(dc, &f->ay);
    for (size_t i = 0; i < f->ay.nticks && !f->ycat; i++) {
        double y = py(f, f->ay.ticks[i]);
        cairo_move_to(cr, f->r.x, y);
        cairo_line_to(cr, f->r.x - TICK_LEN, y);
        cairo_stroke(cr);
        cp_axis_format(&f->ay, f->ay.ticks[i], buf, sizeof(buf));
        cp_text_draw(&dc->tx, buf, f->r.x - TICK_LEN - 3, y, FS_TICK, 0, 1, 0.5, 0, 0);
    }
    double lh;
    cp_text_measure(&dc->tx, "0", FS_TICK, 0, NULL, &lh);
    if (xlabel)
        cp_text_draw(&dc->tx, xlabel, f->r.x + f->r.w / 2, bottom + TICK_LEN + 4 + lh, FS_LABEL, 0,
                     0.5, 0, 0, f->r.w);
    if (ylabel) {
        double x = f->r.x - TICK_LEN - 6 - tick_w - left_extra;
        cp_text_draw(&dc->tx, ylabel, x, f->r.y + f->r.h / 2, FS_LABEL, 0, 0.5, 1, -M_PI / 2,
                     f->r.h);
    }
}

static void clip_frame(cairo_t *cr, const struct frame *f)
{
    cairo_save(cr);
    cairo_rectangle(cr, f->r.x, f->r.y, f->r.w, f->r.h);
    cairo_clip(cr);
}

/* ---- x/y panels ---- */

struct extent {
    double x0, x1, y0, y1;
    size_t n;
    size_t skipped;  /* points that cannot be drawn (NaN, <= 0 on a log axis) */
    double sy0, sy1; /* y extent of the series points alone (no bands, markers, lines) */
};

static void extent_add(struct extent *e, double x, double y)
{
    if (x < e->x0)
        e->x0 = x;
    if (x > e->x1)
        e->x1 = x;
    if (y < e->y0)
        e->y0 = y;
    if (y > e->y1)
        e->y1 = y;
    e->n++;
}

/* The common case, linear axes and no x limits, in one tight pass: a million points cost
 * about a millisecond here, and this runs on every render. */
static void series_extent_fast(const struct cp_series *se, struct extent *e)
{
    double x0 = e->x0, x1 = e->x1, y0 = e->y0, y1 = e->y1;
    size_t bad = 0;
    for (size_t i = 0; i < se->n; i++) {
        double x = se->x[i], y = se->y[i];
        if (!(x - x == 0 && y - y == 0)) { /* NaN or infinite */
            bad++;
            continue;
        }
        x0 = x < x0 ? x : x0;
        x1 = x > x1 ? x : x1;
        y0 = y < y0 ? y : y0;
        y1 = y > y1 ? y : y1;
    }
    e->x0 = x0;
    e->x1 = x1;
    e->y0 = y0;
    e->y1 = y1;
    e->sy0 = fmin(e->sy0, y0);
    e->sy1 = fmax(e->sy1, y1);
    e->n += se->n - bad;
    e->skipped += bad;
}

/*
 * A fitted curve (a dashed overlay) widens x, so the forecast it runs on to stays in view, but
 * sets y only over the cycles the data covers: a double exponential extrapolated to its
 * crossing can plunge to -600 %, and the data would shrink to a line at the top.
 */
static void overlay_extent(const struct cp_panel *p, const struct cp_series *se, struct extent *e,
                           double dx0, double dx1)
{
    for (size_t i = 0; i < se->n; i++) {
        double x = se->x[i];
        if (!valid(x, p->log_x) || !valid(se->y[i], p->log_y))
            e->skipped++;
        if (!valid(x, p->log_x) || !in_fixed(x, p->x_min, p->x_max))
            continue;
        e->x0 = fmin(e->x0, x);
        e->x1 = fmax(e->x1, x);
        if (dx0 <= dx1 && (x < dx0 || x > dx1))
            continue;
        if (valid(se->y[i], p->log_y))
            extent_add(e, x, se->y[i]);
        if (se->lo && valid(se->lo[i], p->log_y) && valid(se->hi[i], p->log_y)) {
            extent_add(e, x, se->lo[i]);
            extent_add(e, x, se->hi[i]);
        }
    }
}

static struct extent xy_extent(const struct cp_panel *p)
{
    struct extent e = {INFINITY, -INFINITY, INFINITY, -INFINITY, 0, 0, INFINITY, -INFINITY};
    int fast = !p->log_x && !p->log_y && !isfinite(p->x_min) && !isfinite(p->x_max);
    for (size_t s = 0; s < p->nseries; s++) {
        const struct cp_series *se = &p->series[s];
        if (se->dashed)
            continue; /* overlays after the data: overlay_extent() */
        if (fast && !se->lo) {
            series_extent_fast(se, &e);
            continue;
        }
        for (size_t i = 0; i < se->n; i++) {
            double x = se->x[i];
            if (!valid(x, p->log_x) || !valid(se->y[i], p->log_y))
                e.skipped++;
            if (!valid(x, p->log_x) || !in_fixed(x, p->x_min, p->x_max))
                continue;
            if (valid(se->y[i], p->log_y)) {
                extent_add(&e, x, se->y[i]);
                e.sy0 = fmin(e.sy0, se->y[i]);
                e.sy1 = fmax(e.sy1, se->y[i]);
            }
            if (se->lo && valid(se->lo[i], p->log_y) && valid(se->hi[i], p->log_y)) {
                extent_add(&e, x, se->lo[i]);
                extent_add(&e, x, se->hi[i]);
            }
        }
    }
    double dx0 = e.x0, dx1 = e.x1; /* the data's own x range */
    for (size_t s = 0; s < p->nseries; s++)
        if (p->series[s].dashed)
            overlay_extent(p, &p->series[s], &e, dx0, dx1);
    for (size_t i = 0; i < p->nmarkers; i++) {
        const struct cp_marker *m = &p->markers[i];
        if (valid(m->x, p->log_x) && valid(m->y, p->log_y) && in_fixed(m->x, p->x_min, p->x_max))
            extent_add(&e, m->x, m->y);
    }
    /* a reference line is worth showing only next to data, but then always in view */
    for (size_t i = 0; i < p->nhlines && e.n > 0; i++)
        if (valid(p->hlines[i].y, p->log_y))
            extent_add(&e, e.x0, p->hlines[i].y);
    return e;
}

/* Copy the drawable points of s into fresh arrays (cp_free both). -1 when out of memory. */
static int gather(const struct cp_series *s, const struct frame *f, double **ox, double **oy,
                  size_t *on)
{
    *ox = cp_malloc((s->n ? s->n : 1) * sizeof(double));
    *oy = cp_malloc((s->n ? s->n : 1) * sizeof(double));
    *on = 0;
    if (!*ox || !*oy) {
        cp_free(*ox);
        cp_free(*oy);
        *ox = *oy = NULL;
        return -1;
    }
    for (size_t i = 0; i < s->n; i++) {
        if (valid(s->x[i], f->ax.log) && valid(s->y[i], f->ay.log)) {
            (*ox)[*on] = s->x[i];
            (*oy)[*on] = s->y[i];
            (*on)++;
        }
    }
    return 0;
}

static void draw_band(cairo_t *cr, const struct frame *f, const struct cp_series *s)
{
    int started = 0;
    size_t last = 0;
    cairo_new_path(cr);
    for (size_t i = 0; i < s->n; i++) {
        if (!valid(s->x[i], f->ax.log) || !valid(s->lo[i], f->ay.log) ||
            !valid(s->hi[i], f->ay.log))
            continue;
        if (!started)
            cairo_move_to(cr, px(f, s->x[i]), py(f, s->hi[i]));
        else
            cairo_line_to(cr, px(f, s->x[i]), py(f, s->hi[i]));
        started = 1;
        last = i;
    }
    for (size_t k = last + 1; started && k-- > 0;) {
        if (valid(s->x[k], f->ax.log) && valid(s->lo[k], f->ay.log) && valid(s->hi[k], f->ay.log))
            cairo_line_to(cr, px(f, s->x[k]), py(f, s->lo[k]));
    }
    if (!started)
        return;
    cairo_close_path(cr);
    cp_palette_set(cr, s->color, 0.16);
    cairo_fill(cr);
}

static void stroke_style(cairo_t *cr, const struct cp_series *s)
{
    cairo_set_line_width(cr, s->dashed ? 1.3 : 1.1);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    if (s->dashed) {
        double d[2] = {5.0, 3.0};
        cairo_set_dash(cr, d, 2, 0);
    } else {
        cp_palette_dash(cr, s->color, 1.1);
    }
    cp_palette_set(cr, s->color, s->faint ? 0.25 : s->dashed ? 1.0 : 0.9);
    if (s->faint)
        cairo_set_line_width(cr, 0.6);
    else if (s->bold)
        cairo_set_line_width(cr, 2.0);
}

static void mark_off_scale(cairo_t *cr, const struct frame *f, double x, double y, int color);

/* clean: the panel has no undrawable value, so the series arrays are used as they are
 * (no copy of a million points per render). */
static int draw_series(struct dc *dc, const struct frame *f, const struct cp_series *s, int clean)
{
    double *x = s->x, *y = s->y;
    size_t n = s->n, *idx = NULL, k;
    if (!clean && gather(s, f, &x, &y, &n) != 0)
        return -1;
    /* faint background lines show texture, not detail: fewer points keep SVGs small */
    size_t m = (size_t)(f->r.w * (s->faint ? POINTS_PER_PT_FAINT : POINTS_PER_PT));
    if (n > m) {
        idx = cp_malloc((m + 2) * sizeof(size_t));
        long got = idx ? cp_minmax_lttb(x, y, n, m, idx) : -1;
        if (got < 0) {
            cp_free(idx);
            if (!clean) {
                cp_free(x);
                cp_free(y);
            }
            return -1;
        }
        k = (size_t)got;
    } else {
        k = n;
    }
    cairo_t *cr = dc->cr;
    cairo_save(cr);
    if (s->lo)
        draw_band(cr, f, s);
    if (s->line && k > 1) {
        cairo_new_path(cr);
        for (size_t i = 0; i < k; i++) {
            size_t j = idx ? idx[i] : i;
            cairo_line_to(cr, px(f, x[j]), py(f, y[j]));
        }
        stroke_style(cr, s);
        cairo_stroke(cr);
    }
    cairo_restore(cr);
    for (size_t i = 0; f->clipped && !s->dashed && i < k; i++) {
        size_t j = idx ? idx[i] : i;
        if (y[j] > f->ay.hi || y[j] < f->ay.lo)
            mark_off_scale(cr, f, x[j], y[j], s->color);
    }
    cairo_save(cr);
    /* a lone point on a line series would be invisible */
    enum cp_mark mark = s->mark == CP_MARK_NONE && s->line && k == 1 ? CP_MARK_DOT : s->mark;
    for (size_t i = 0; mark != CP_MARK_NONE && i < k; i++) {
        size_t j = idx ? idx[i] : i;
        draw_mark(cr, mark, px(f, x[j]), py(f, y[j]), s->color);
    }
    cairo_restore(cr);
    cp_free(idx);
    if (!clean) {
        cp_free(x);
        cp_free(y);
    }
    return 0;
}

static void draw_hlines(struct dc *dc, const struct frame *f, const struct cp_panel *p)
{
    cairo_t *cr = dc->cr;
    for (size_t i = 0; i < p->nhlines; i++) {
        double v = p->hlines[i].y;
        if (!valid(v, f->ay.log))
            continue;
        double y = py(f, v);
        double d[2] = {6.0, 3.0};
        cairo_save(cr);
        cairo_set_dash(cr, d, 2, 0);
        cairo_set_line_width(cr, 1.0);
        grey(cr, 0.3);
        cairo_move_to(cr, f->r.x, y);
        cairo_line_to(cr, f->r.x + f->r.w, y);
        cairo_stroke(cr);
        if (p->hlines[i].label) {
            double tw, th;
            cp_text_measure(&dc->tx, p->hlines[i].label, FS_TICK, 0, &tw, &th);
            tw = fmin(tw, f->r.w / 2);
            cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
            cairo_rectangle(cr, f->r.x + 2, y - th - 1.5, tw + 4, th);
            cairo_fill(cr);
            grey(cr, 0.25);
            cp_text_draw(&dc->tx, p->hlines[i].label, f->r.x + 4, y - 1.5, FS_TICK, 0, 0, 1, 0,
                         f->r.w / 2);
        }
        cairo_restore(cr);
    }
}

#define ROBUST_SAMPLE 4096
#define ROBUST_MIN_POINTS 50

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/*
 * Automatic y range that ignores isolated extremes: a single 170 % retention glitch would
 * otherwise squash every curve into a quarter of the plot. The 0.5 to 99.5 % quantiles of an
 * evenly strided sample, widened by 0.3 of their spread; 1 when that cuts the data range.
 */
static int robust_y(const struct cp_panel *p, const struct extent *e, double *lo, double *hi)
{
    double *v = cp_malloc(ROBUST_SAMPLE * sizeof(double));
    size_t stride = (e->n + e->skipped) / ROBUST_SAMPLE + 1, n = 0;
    if (!v)
        return 0; /* without a sample the full range is still correct */
    /* visit every stride-th index only: a million points cost a few thousand reads */
    for (size_t si = 0; si < p->nseries; si++) {
        const struct cp_series *se = &p->series[si];
        if (se->dashed)
            continue; /* the range follows the data, not the fitted curve */
        for (size_t i = 0; i < se->n && n < ROBUST_SAMPLE; i += stride)
            if (valid(se->x[i], p->log_x) && valid(se->y[i], p->log_y) &&
                in_fixed(se->x[i], p->x_min, p->x_max))
                v[n++] = se->y[i];
    }
    int cut = 0;
    if (n >= ROBUST_MIN_POINTS) {
        qsort(v, n, sizeof(double), cmp_dbl);
        double qlo = v[(size_t)(0.005 * (double)(n - 1))];
        double qhi = v[(size_t)ceil(0.995 * (double)(n - 1))];
        double spread = qhi - qlo;
        double a = p->log_y ? qlo / 2 : qlo - 0.3 * spread;
        double b = p->log_y ? qhi * 2 : qhi + 0.3 * spread;
        if (spread > 0 && (e->y0 < a || e->y1 > b)) {
            *lo = fmax(e->y0, a);
            *hi = fmin(e->y1, b);
            cut = 1;
        }
    }
    cp_free(v);
    return cut;
}

/* Reference lines and markers (threshold, knee, end of life) always stay in view. */
static void keep_overlays(const struct cp_panel *p, double *lo, double *hi)
{
    for (size_t i = 0; i < p->nhlines; i++)
        if (valid(p->hlines[i].y, p->log_y)) {
            *lo = fmin(*lo, p->hlines[i].y);
            *hi = fmax(*hi, p->hlines[i].y);
        }
    for (size_t i = 0; i < p->nmarkers; i++)
        if (valid(p->markers[i].y, p->log_y) && valid(p->markers[i].x, p->log_x)) {
            *lo = fmin(*lo, p->markers[i].y);
            *hi = fmax(*hi, p->markers[i].y);
        }
}

/* A small triangle on the frame edge where a point lies beyond the y range. */
static void mark_off_scale(cairo_t *cr, const struct frame *f, double x, double y, int color)
{
    double xp = px(f, x);
    if (xp < f->r.x || xp > f->r.x + f->r.w)
        return;
    int up = y > f->ay.hi;
    double yb = up ? f->r.y + 1 : f->r.y + f->r.h - 1, d = up ? 5 : -5;
    cairo_move_to(cr, xp, yb);
    cairo_line_to(cr, xp - 3.5, yb + d);
    cairo_line_to(cr, xp + 3.5, yb + d);
    cairo_close_path(cr);
    cp_palette_set(cr, color, 1);
    cairo_fill(cr);
}

static void note_off_scale(struct dc *dc, const struct frame *f)
{
    grey(dc->cr, 0.35);
    cp_text_draw(&dc->tx, "\xe2\x96\xb2\xe2\x96\xbc values off scale", f->r.x + f->r.w - 4,
                 f->r.y + 3, FS_TICK - 1, 0, 1, 0, 0, f->r.w / 2);
}

static int draw_xy(struct dc *dc, const struct cp_panel *p, struct rect r)
{
    struct frame f = {0};
    struct extent e = xy_extent(p);
    if (e.n >= ROBUST_MIN_POINTS && !(isfinite(p->y_min) && isfinite(p->y_max)) &&
        robust_y(p, &e, &e.y0, &e.y1)) {
        keep_overlays(p, &e.y0, &e.y1);
        f.clipped = e.sy0 < e.y0 || e.sy1 > e.y1; /* data, not an overlay, is off scale */
    }
    if (e.n == 0 || cp_axis_range(&f.ax, p->log_x, e.x0, e.x1, p->x_min, p->x_max) != 0 ||
        cp_axis_range(&f.ay, p->log_y, e.y0, e.y1, p->y_min, p->y_max) != 0) {
        draw_no_data(dc, r,
                     p->empty_reason          ? p->empty_reason
                     : (p->log_x || p->log_y) ? "no finite positive values for a log axis"
                                              : "no finite values");
        return 0;
    }
    layout_frame(dc, &f, r, p->xlabel, p->ylabel, 0, 0);
    draw_grid(dc, &f);
    clip_frame(dc->cr, &f);
    draw_hlines(dc, &f, p);
    int rc = 0;
    /* fitted overlays (dashed) go over the data they summarise */
    for (int pass = 0; pass < 2 && rc == 0; pass++)
        for (size_t s = 0; s < p->nseries && rc == 0; s++)
            if ((p->series[s].dashed != 0) == pass)
                rc = draw_series(dc, &f, &p->series[s], e.skipped == 0);
    for (size_t i = 0; i < p->nmarkers; i++) {
        const struct cp_marker *m = &p->markers[i];
        if (valid(m->x, f.ax.log) && valid(m->y, f.ay.log))
            draw_mark(dc->cr, m->mark, px(&f, m->x), py(&f, m->y), m->color);
    }
    cairo_restore(dc->cr);
    draw_axes(dc, &f, p->xlabel, p->ylabel, 0);
    if (f.clipped)
        note_off_scale(dc, &f);
    return rc;
}

/* ---- histograms ---- */

static int value_extent(const struct cp_panel *p, int log, double *lo, double *hi)
{
    size_t n = 0;
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t g = 0; g < p->nvalues; g++)
        for (size_t i = 0; i < p->values[g].n; i++) {
            double v = p->values[g].v[i];
            if (!valid(v, log))
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
        double x0 = px(f, lo + b * step), x1 = px(f, lo + (b + 1) * step);
        double y0 = py(f, base[b]), y1 = py(f, base[b] + count[b]);
        cairo_rectangle(cr, x0, y1, x1 - x0, y0 - y1);
        cp_palette_set(cr, color, 0.75);
        cairo_fill_preserve(cr);
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_set_line_width(cr, 0.8);
        cairo_stroke(cr);
        base[b] += count[b];
    }
}

static int draw_histogram(struct dc *dc, const struct cp_panel *p, struct rect r)
{
    double vlo, vhi;
    if (!value_extent(p, 0, &vlo, &vhi)) {
        draw_no_data(dc, r, p->empty_reason ? p->empty_reason : "no finite values");
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
    layout_frame(dc, &f, r, p->xlabel, p->ylabel ? p->ylabel : "Count", 0, 1);
    draw_grid(dc, &f);
    clip_frame(dc->cr, &f);
    for (size_t g = 0; g < p->nvalues; g++)
        draw_bins(dc->cr, &f, count + g * nb, base, nb, lo, step, p->values[g].color);
    cairo_restore(dc->cr);
    draw_axes(dc, &f, p->xlabel, p->ylabel ? p->ylabel : "Count", 0);
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
    double x0 = px(f, cx - half), x1 = px(f, cx + half), xc = px(f, cx);
    cairo_set_line_width(cr, 1.1);
    cp_palette_set(cr, color, 1);
    cairo_move_to(cr, xc, py(f, q3));
    cairo_line_to(cr, xc, py(f, whi));
    cairo_move_to(cr, xc, py(f, q1));
    cairo_line_to(cr, xc, py(f, wlo));
    cairo_move_to(cr, px(f, cx - half / 2), py(f, whi));
    cairo_line_to(cr, px(f, cx + half / 2), py(f, whi));
    cairo_move_to(cr, px(f, cx - half / 2), py(f, wlo));
    cairo_line_to(cr, px(f, cx + half / 2), py(f, wlo));
    cairo_stroke(cr);
    cairo_rectangle(cr, x0, py(f, q3), x1 - x0, py(f, q1) - py(f, q3));
    cp_palette_set(cr, color, 0.22);
    cairo_fill_preserve(cr);
    cp_palette_set(cr, color, 1);
    cairo_stroke(cr);
    cairo_set_line_width(cr, 2.2);
    cairo_move_to(cr, x0, py(f, med));
    cairo_line_to(cr, x1, py(f, med));
    cairo_stroke(cr);
    for (size_t i = 0; i < n; i++) {
        int outlier = v[i] < wlo || v[i] > whi;
        if (!outlier && n > BOX_ALL_POINTS)
            continue; /* past a hundred points the box says it better than a cloud */
        /* a fixed golden-ratio jitter: points separate, yet reruns are identical */
        double j = fmod((double)i * 0.6180339887, 1.0) - 0.5;
        draw_mark(cr, outlier ? CP_MARK_CIRCLE : CP_MARK_DOT,
                  px(f, cx + (n > BOX_ALL_POINTS ? 0 : j * half * 1.2)), py(f, v[i]), color);
    }
}

static int draw_boxes(struct dc *dc, const struct cp_panel *p, struct rect r)
{
    double vlo, vhi;
    struct frame f = {0};
    f.xcat = 1;
    if (p->nvalues == 0 || !value_extent(p, p->log_y, &vlo, &vhi) ||
        cp_axis_range(&f.ay, p->log_y, vlo, vhi, p->y_min, p->y_max) != 0) {
        draw_no_data(dc, r, p->empty_reason ? p->empty_reason : "no finite values");
        return 0;
    }
    size_t ng = p->nvalues;
    cp_axis_range(&f.ax, 0, -0.5, ng - 0.5, -0.5, ng - 0.5);
    layout_frame(dc, &f, r, p->xlabel, p->ylabel, 0, 0);
    draw_grid(dc, &f);
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
            if (valid(gv->v[i], p->log_y))
                v[n++] = gv->v[i];
        qsort(v, n, sizeof(double), cmp_double);
        clip_frame(dc->cr, &f);
        if (n > 0)
            draw_box(dc->cr, &f, (double)g, 0.28, v, n, gv->color);
        cairo_restore(dc->cr);
        if (n == 0) {
            grey(dc->cr, 0.5);
            cp_text_draw(&dc->tx, "no data", px(&f, (double)g), f.r.y + f.r.h / 2, FS_TICK, 0, 0.5,
                         0.5, 0, slot - 4);
        }
        struct cp_strbuf sb = CP_STRBUF_INIT;
        if (cp_strbuf_addf(&sb, "%s (n=%zu)", gv->label ? gv->label : "", n) == 0) {
            grey(dc->cr, 0.15);
            cp_text_draw(&dc->tx, sb.buf, px(&f, (double)g), f.r.y + f.r.h + 3, FS_TICK, 0, 0.5, 0,
                         0, slot - 4);
        }
        cp_strbuf_release(&sb);
        cp_free(v);
    }
    draw_axes(dc, &f, NULL, p->ylabel, 0);
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
            if (valid(v3[k], p->log_x)) {
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
    if (valid(row->lo, f->ax.log) && valid(row->hi, f->ax.log)) {
        double x0 = px(f, row->lo), x1 = px(f, row->hi);
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
    if (valid(row->value, f->ax.log)) {
        draw_mark(cr, row->mark, px(f, row->value), yc, row->color);
    } else {
        grey(cr, 0.5);
        cp_text_draw(&dc->tx, "no forecast", f->r.x + 4, yc, fs, 0, 0, 0.5, 0, 0);
    }
}

static int draw_intervals(struct dc *dc, const struct cp_panel *p, struct rect r)
{
    double lo, hi;
    struct frame f = {0};
    f.ycat = 1;
    if (p->nrows == 0 || !row_extent(p, &lo, &hi) ||
        cp_axis_range(&f.ax, p->log_x, lo, hi, p->x_min, p->x_max) != 0) {
        draw_no_data(dc, r, p->empty_reason ? p->empty_reason : "no forecasts");
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
    layout_frame(dc, &f, r, p->xlabel, p->ylabel, lw, 0);
    draw_grid(dc, &f);
    double rowh = f.r.h / (double)p->nrows;
    for (size_t i = 0; i < p->nrows; i++) {
        double yc = f.r.y + (i + 0.5) * rowh;
        if (i % 2 == 0) {
            cairo_set_source_rgb(dc->cr, 0.965, 0.965, 0.975);
            cairo_rectangle(dc->cr, f.r.x, yc - rowh / 2, f.r.w, rowh);
            cairo_fill(dc->cr);
        }
        grey(dc->cr, 0.15);
        cp_text_draw(&dc->tx, p->rows[i].label, f.r.x - 5, yc, fs, 0, 1, 0.5, 0, lw - 6);
    }
    clip_frame(dc->cr, &f);
    for (size_t i = 0; i < p->nrows; i++)
        draw_row(dc, &f, &p->rows[i], f.r.y + (i + 0.5) * rowh, fs);
    cairo_restore(dc->cr);
    draw_axes(dc, &f, p->xlabel, p->ylabel, lw);
    return 0;
}

/* ---- legend: always outside the data, on the right ---- */

struct legend {
    const struct cp_legend_entry *e[MAX_LEGEND];
    struct cp_legend_entry auto_e[MAX_LEGEND];
    size_t n, hidden;
};

static int legend_has(const struct legend *lg, const char *label)
{
    for (size_t i = 0; i < lg->n; i++)
        if (strcmp(lg->e[i]->label, label) == 0)
            return 1;
    return 0;
}

static void legend_add(struct legend *lg, const struct cp_legend_entry *e)
{
    if (!e->label || legend_has(lg, e->label))
        return;
    if (lg->n == MAX_LEGEND) {
        lg->hidden++;
        return;
    }
    lg->e[lg->n++] = e;
}

/* A legend entry built from a series, marker or value group, kept in lg's own storage. */
static void legend_auto(struct legend *lg, size_t *k, struct cp_legend_entry e)
{
    if (*k >= MAX_LEGEND || !e.label)
        return;
    lg->auto_e[*k] = e;
    legend_add(lg, &lg->auto_e[(*k)++]);
}

static void legend_collect(struct legend *lg, const struct cp_figure *fig)
{
    size_t k = 0;
    memset(lg, 0, sizeof(*lg));
    for (size_t i = 0; i < fig->nlegend; i++)
        legend_add(lg, &fig->legend[i]);
    for (size_t pi = 0; pi < fig->npanels; pi++) {
        const struct cp_panel *p = &fig->panels[pi];
        for (size_t s = 0; s < p->nseries; s++) {
            const struct cp_series *se = &p->series[s];
            legend_auto(lg, &k,
                        (struct cp_legend_entry){se->label, se->color, se->line, se->dashed,
                                                 se->lo != NULL, se->mark});
        }
        for (size_t m = 0; m < p->nmarkers; m++)
            legend_auto(lg, &k,
                        (struct cp_legend_entry){p->markers[m].label, p->markers[m].color, 0, 0, 0,
                                                 p->markers[m].mark});
        for (size_t g = 0; p->kind == CP_PANEL_HISTOGRAM && g < p->nvalues; g++)
            legend_auto(lg, &k,
                        (struct cp_legend_entry){p->values[g].label, p->values[g].color, 0, 0, 1,
                                                 CP_MARK_NONE});
    }
}

static double legend_width(struct dc *dc, const struct legend *lg, double max_w)
{
    double w = 0;
    for (size_t i = 0; i < lg->n; i++) {
        double tw;
        cp_text_measure(&dc->tx, lg->e[i]->label, FS_LEGEND, 0, &tw, NULL);
        w = fmax(w, tw);
    }
    return lg->n ? fmin(w, max_w) + 28 : 0;
}

static void legend_swatch(cairo_t *cr, const struct cp_legend_entry *e, double x, double y)
{
    cairo_save(cr);
    if (e->fill) {
        cairo_rectangle(cr, x, y - 4, 18, 8);
        cp_palette_set(cr, e->color, e->line || e->dashed ? 0.16 : 0.75);
        cairo_fill(cr);
    }
    if (e->line || e->dashed) {
        struct cp_series s = {0};
        s.color = e->color;
        s.dashed = e->dashed;
        stroke_style(cr, &s);
        cairo_move_to(cr, x, y);
        cairo_line_to(cr, x + 18, y);
        cairo_stroke(cr);
    } else if (e->fill) {
        cp_palette_set(cr, e->color, 1);
        cairo_set_line_width(cr, 1);
        cairo_rectangle(cr, x, y - 4, 18, 8);
        cairo_stroke(cr);
    }
    if (e->mark != CP_MARK_NONE)
        draw_mark(cr, e->mark == CP_MARK_DOT ? CP_MARK_DOT : e->mark, x + 9, y, e->color);
    cairo_restore(cr);
}

static void draw_legend(struct dc *dc, const struct legend *lg, double x, double y, double w,
                        double h)
{
    double lh;
    cp_text_measure(&dc->tx, "Xg", FS_LEGEND, 0, NULL, &lh);
    double row = lh + 4;
    size_t fit = (size_t)(h / row);
    size_t shown = lg->n;
    int more = lg->hidden > 0;
    if (shown > fit) {
        shown = fit > 0 ? fit - 1 : 0;
        more = 1;
    }
    for (size_t i = 0; i < shown; i++) {
        double yc = y + (i + 0.5) * row;
        legend_swatch(dc->cr, lg->e[i], x, yc);
        grey(dc->cr, 0.1);
        cp_text_draw(&dc->tx, lg->e[i]->label, x + 24, yc, FS_LEGEND, 0, 0, 0.5, 0, w - 22);
    }
    if (more) {
        struct cp_strbuf sb = CP_STRBUF_INIT;
        if (cp_strbuf_addf(&sb, "+%zu more", lg->n - shown + lg->hidden) == 0) {
            grey(dc->cr, 0.4);
            cp_text_draw(&dc->tx, sb.buf, x + 24, y + (shown + 0.5) * row, FS_LEGEND, 0, 0, 0.5, 0,
                         0);
        }
        cp_strbuf_release(&sb);
    }
}

/* Legend entries flowing in rows under a grid of panels; returns the height used (with
 * draw = 0 it only measures). Entries that do not fit in max_rows end in "+N more". */
static double legend_rows(struct dc *dc, const struct legend *lg, double x, double y, double w,
                          int max_rows, int draw)
{
    double lh;
    cp_text_measure(&dc->tx, "Xg", FS_LEGEND, 0, NULL, &lh);
    double row = lh + 4, cx = x;
    int rows = lg->n ? 1 : 0;
    for (size_t i = 0; i < lg->n; i++) {
        double tw;
        cp_text_measure(&dc->tx, lg->e[i]->label, FS_LEGEND, 0, &tw, NULL);
        double ew = 24 + fmin(tw, w / 2) + 16;
        if (cx > x && cx + ew > x + w) {
            if (rows == max_rows) {
                if (draw) {
                    struct cp_strbuf sb = CP_STRBUF_INIT;
                    if (cp_strbuf_addf(&sb, "+%zu more", lg->n - i + lg->hidden) == 0) {
                        grey(dc->cr, 0.4);
                        cp_text_draw(&dc->tx, sb.buf, x + w, y + (rows - 0.5) * row, FS_LEGEND, 0,
                                     1, 0.5, 0, 0);
                    }
                    cp_strbuf_release(&sb);
                }
                break;
            }
            rows++;
            cx = x;
        }
        if (draw) {
            double yc = y + (rows - 0.5) * row;
            legend_swatch(dc->cr, lg->e[i], cx, yc);
            grey(dc->cr, 0.1);
            cp_text_draw(&dc->tx, lg->e[i]->label, cx + 24, yc, FS_LEGEND, 0, 0, 0.5, 0, w / 2);
        }
        cx += ew;
    }
    return rows * row;
}

/* ---- the figure ---- */

static int draw_panel(struct dc *dc, const struct cp_panel *p, struct rect r)
{
    if (p->title) {
        double th;
        cp_text_measure(&dc->tx, p->title, FS_PANEL, CP_TEXT_BOLD, NULL, &th);
        grey(dc->cr, 0.1);
        cp_text_draw(&dc->tx, p->title, r.x + r.w / 2, r.y, FS_PANEL, CP_TEXT_BOLD, 0.5, 0, 0, r.w);
        r.y += th + 2;
        r.h -= th + 2;
    }
    switch (p->kind) {
    case CP_PANEL_XY:
        return draw_xy(dc, p, r);
    case CP_PANEL_HISTOGRAM:
        return draw_histogram(dc, p, r);
    case CP_PANEL_BOX:
        return draw_boxes(dc, p, r);
    case CP_PANEL_INTERVALS:
        return draw_intervals(dc, p, r);
    }
    return 0;
}

static double draw_titles(struct dc *dc, const struct cp_figure *fig, struct rect r)
{
    double y = r.y + 10;
    if (fig->title) {
        double th;
        cp_text_measure(&dc->tx, fig->title, FS_TITLE, CP_TEXT_BOLD, NULL, &th);
        grey(dc->cr, 0.05);
        cp_text_draw(&dc->tx, fig->title, r.x + 14, y, FS_TITLE, CP_TEXT_BOLD, 0, 0, 0, r.w - 28);
        y += th + 1;
    }
    if (fig->subtitle) {
        double sh;
        cp_text_measure(&dc->tx, fig->subtitle, FS_SUBTITLE, 0, NULL, &sh);
        grey(dc->cr, 0.35);
        cp_text_draw(&dc->tx, fig->subtitle, r.x + 14, y, FS_SUBTITLE, 0, 0, 0, 0, r.w - 28);
        y += sh;
    }
    return y + 8;
}

static int draw_panels(struct dc *dc, const struct cp_figure *fig, struct rect area)
{
    size_t np = fig->npanels;
    size_t cols = fig->columns > 0 ? (size_t)fig->columns : (size_t)ceil(sqrt((double)np));
    if (cols == 0)
        cols = 1;
    size_t rows = (np + cols - 1) / cols;
    double cw = area.w / (double)cols, ch = area.h / (double)rows;
    int rc = 0;
    for (size_t i = 0; i < np && rc == 0; i++) {
        struct rect r = {area.x + (double)(i % cols) * cw, area.y + (double)(i / cols) * ch,
                         cw - (cols > 1 ? 10 : 0), ch - (rows > 1 ? 8 : 0)};
        rc = draw_panel(dc, &fig->panels[i], r);
    }
    return rc;
}

int cp_plot_draw(cairo_t *cr, const struct cp_figure *fig, double x, double y, double w, double h)
{
    struct dc dc = {cr, {0}};
    struct legend *lg = NULL;
    int rc = -1;
    if (cp_text_init(&dc.tx, cr) != 0)
        goto cleanup;
    lg = cp_malloc(sizeof(*lg));
    if (!lg)
        goto cleanup;
    cairo_save(cr);
    cairo_rectangle(cr, x, y, w, h);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_fill(cr);
    struct rect all = {x, y, w, h};
    double top = draw_titles(&dc, fig, all);
    legend_collect(lg, fig);
    /* beside a single plot the legend costs width it has to spare; under a grid of panels it
     * costs a line or two of height instead of a column every panel would lose */
    int below = fig->npanels > 1;
    double lw = below ? 0 : legend_width(&dc, lg, w * 0.25);
    double lh = below ? legend_rows(&dc, lg, x + 14, 0, w - 28, 3, 0) : 0;
    struct rect area = {x + 10, top, w - 20 - lw, y + h - top - 10 - (lh > 0 ? lh + 8 : 0)};
    if (fig->npanels == 0) {
        draw_no_data(&dc, area, "nothing to plot");
        rc = 0;
    } else {
        rc = draw_panels(&dc, fig, area);
    }
    if (lw > 0)
        draw_legend(&dc, lg, area.x + area.w + 10, area.y + 6, lw, area.h - 6);
    if (lh > 0)
        legend_rows(&dc, lg, x + 14, area.y + area.h + 8, w - 28, 3, 1);
    cairo_restore(cr);
cleanup:
    cp_free(lg);
    cp_text_release(&dc.tx);
    return rc;
}

/* ---- surfaces ---- */

cairo_status_t cp_plot_write_strbuf(void *closure, const unsigned char *data, unsigned int length)
{
    struct cp_strbuf *sb = closure;
    return cp_strbuf_add(sb, (const char *)data, length) == 0 ? CAIRO_STATUS_SUCCESS
                                                              : CAIRO_STATUS_WRITE_ERROR;
}

void cp_plot_pdf_date(int64_t epoch, char *buf, size_t n)
{
    /* cairo takes ISO 8601 with an optional zone; "Z" keeps it UTC on every machine */
    cp_format_time(epoch, buf, n);
}

/* The one place a cairo status becomes a cellpipe error. */
static int cairo_error(struct cp_error *err, cairo_status_t st, const char *what)
{
    return cp_error_set(err, CP_EINTERNAL, "cannot render %s: %s", what,
                        cairo_status_to_string(st));
}

static cairo_surface_t *make_surface(enum cp_plot_format fmt, double w, double h, int64_t epoch,
                                     const char *title, struct cp_strbuf *out)
{
    cairo_surface_t *s;
    if (fmt == CP_PLOT_SVG) {
        s = cairo_svg_surface_create_for_stream(cp_plot_write_strbuf, out, w, h);
        cairo_svg_surface_restrict_to_version(s, CAIRO_SVG_VERSION_1_1);
        cairo_svg_surface_set_document_unit(s, CAIRO_SVG_UNIT_PT);
        return s;
    }
    char date[32];
    s = cairo_pdf_surface_create_for_stream(cp_plot_write_strbuf, out, w, h);
    cp_plot_pdf_date(epoch, date, sizeof(date));
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATE_DATE, date);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "cellpipe");
    if (title)
        cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, title);
    return s;
}

static int add_escaped(struct cp_strbuf *sb, const char *s)
{
    int rc = 0;
    for (; s && *s && rc == 0; s++) {
        switch (*s) {
        case '<':
            rc = cp_strbuf_adds(sb, "&lt;");
            break;
        case '>':
            rc = cp_strbuf_adds(sb, "&gt;");
            break;
        case '&':
            rc = cp_strbuf_adds(sb, "&amp;");
            break;
        default:
            rc = cp_strbuf_addch(sb, *s);
        }
    }
    return rc;
}

/* "x: ...; y: ...; series: A, B" for the SVG <desc>: cairo draws text as glyph outlines,
 * so without it a screen reader (or a test) finds no words in the file. */
static int describe(const struct cp_figure *fig, struct cp_strbuf *sb)
{
    struct legend *lg = cp_malloc(sizeof(*lg));
    int rc = lg ? 0 : -1;
    for (size_t i = 0; i < fig->npanels && rc == 0; i++) {
        const struct cp_panel *p = &fig->panels[i];
        rc = cp_strbuf_adds(sb, i ? "; panel: " : "panel: ");
        if (rc == 0)
            rc = add_escaped(sb, p->title ? p->title : "");
        if (rc == 0)
            rc = cp_strbuf_adds(sb, "; x: ");
        if (rc == 0)
            rc = add_escaped(sb, p->xlabel ? p->xlabel : "");
        if (rc == 0)
            rc = cp_strbuf_adds(sb, "; y: ");
        if (rc == 0)
            rc = add_escaped(sb, p->ylabel ? p->ylabel : "");
    }
    if (rc == 0) {
        legend_collect(lg, fig);
        rc = cp_strbuf_adds(sb, "; legend: ");
        for (size_t i = 0; i < lg->n && rc == 0; i++) {
            rc = i ? cp_strbuf_adds(sb, ", ") : 0;
            if (rc == 0)
                rc = add_escaped(sb, lg->e[i]->label);
        }
    }
    cp_free(lg);
    return rc;
}

/* Append the number at *p (a path coordinate) rounded to 2 decimals, without trailing zeros;
 * advances *p past it. */
static int add_short_number(struct cp_strbuf *sb, const char **p)
{
    char *end;
    double v = strtod(*p, &end);
    char buf[48];
    if (end == *p)
        return cp_strbuf_addch(sb, *(*p)++);
    *p = end;
    snprintf(buf, sizeof(buf), "%.2f", v);
    size_t n = strlen(buf);
    while (n > 0 && buf[n - 1] == '0')
        n--;
    if (n > 0 && buf[n - 1] == '.')
        n--;
    buf[n] = '\0';
    return cp_strbuf_adds(sb, strcmp(buf, "-0") == 0 ? "0" : buf);
}

/*
 * cairo writes path coordinates with six decimals; a hundredth of a point is far below what
 * any screen or printer shows, and the shorter numbers make plots (and the HTML index that
 * inlines them) about a third smaller. Only d="..." path data is touched.
 */
static int svg_shorten_paths(struct cp_strbuf *out, size_t start)
{
    struct cp_strbuf sb = CP_STRBUF_INIT;
    const char *p = out->buf + start, *end = out->buf + out->len;
    int rc = 0;
    while (rc == 0 && p < end) {
        const char *d = strstr(p, " d=\"");
        if (!d) {
            rc = cp_strbuf_add(&sb, p, (size_t)(end - p));
            break;
        }
        d += 4;
        rc = cp_strbuf_add(&sb, p, (size_t)(d - p));
        p = d;
        while (rc == 0 && p < end && *p != '"') {
            if ((*p >= '0' && *p <= '9') || *p == '-' || *p == '.')
                rc = add_short_number(&sb, &p);
            else
                rc = cp_strbuf_addch(&sb, *p++);
        }
    }
    if (rc == 0) {
        out->len = start;
        out->buf[start] = '\0';
        rc = cp_strbuf_add(out, sb.buf, sb.len);
    }
    cp_strbuf_release(&sb);
    return rc;
}

/* Insert <title> and <desc> right after the opening <svg> tag that cairo wrote at `start`. */
static int svg_annotate(const struct cp_figure *fig, struct cp_strbuf *out, size_t start)
{
    struct cp_strbuf meta = CP_STRBUF_INIT;
    char *tag = strstr(out->buf + start, "<svg");
    char *end = tag ? strchr(tag, '>') : NULL;
    if (!end)
        return 0;
    size_t at = (size_t)(end - out->buf) + 1;
    int rc = cp_strbuf_adds(&meta, "\n<title>");
    if (rc == 0)
        rc = add_escaped(&meta, fig->title ? fig->title : "plot");
    if (rc == 0)
        rc = cp_strbuf_adds(&meta, "</title>\n<desc>");
    if (rc == 0)
        rc = describe(fig, &meta);
    if (rc == 0)
        rc = cp_strbuf_adds(&meta, "</desc>");
    if (rc == 0)
        rc = cp_strbuf_grow(out, meta.len);
    if (rc == 0) {
        memmove(out->buf + at + meta.len, out->buf + at, out->len - at + 1);
        memcpy(out->buf + at, meta.buf, meta.len);
        out->len += meta.len;
    }
    cp_strbuf_release(&meta);
    return rc;
}

int cp_plot_render(const struct cp_figure *fig, enum cp_plot_format fmt, double w, double h,
                   int64_t epoch, struct cp_strbuf *out, struct cp_error *err)
{
    size_t start = out->len;
    const char *what = fmt == CP_PLOT_SVG ? "svg" : "pdf";
    cairo_surface_t *s = make_surface(fmt, w, h, epoch, fig->title, out);
    cairo_t *cr = cairo_create(s);
    int rc = cp_plot_draw(cr, fig, 0, 0, w, h);
    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    cairo_surface_finish(s);
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_status(s);
    cairo_surface_destroy(s);
    if (rc != 0)
        return cp_error_oom(err);
    if (st != CAIRO_STATUS_SUCCESS)
        return cairo_error(err, st, what);
    if (fmt == CP_PLOT_SVG &&
        (svg_shorten_paths(out, start) != 0 || svg_annotate(fig, out, start) != 0))
        return cp_error_oom(err);
    return 0;
}
