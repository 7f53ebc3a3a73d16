/* x/y panels of the plot driver: extents, robust y range, bands, series, reference lines, off-scale
 * marks (plot_internal.h). */
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
        if (!plt_valid(x, p->log_x) || !plt_valid(se->y[i], p->log_y))
            e->skipped++;
        if (!plt_valid(x, p->log_x) || !plt_in_fixed(x, p->x_min, p->x_max))
            continue;
        e->x0 = fmin(e->x0, x);
        e->x1 = fmax(e->x1, x);
        if (dx0 <= dx1 && (x < dx0 || x > dx1))
            continue;
        if (plt_valid(se->y[i], p->log_y))
            extent_add(e, x, se->y[i]);
        if (se->lo && plt_valid(se->lo[i], p->log_y) && plt_valid(se->hi[i], p->log_y)) {
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
            if (!plt_valid(x, p->log_x) || !plt_valid(se->y[i], p->log_y))
                e.skipped++;
            if (!plt_valid(x, p->log_x) || !plt_in_fixed(x, p->x_min, p->x_max))
                continue;
            if (plt_valid(se->y[i], p->log_y)) {
                extent_add(&e, x, se->y[i]);
                e.sy0 = fmin(e.sy0, se->y[i]);
                e.sy1 = fmax(e.sy1, se->y[i]);
            }
            if (se->lo && plt_valid(se->lo[i], p->log_y) && plt_valid(se->hi[i], p->log_y)) {
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
        if (plt_valid(m->x, p->log_x) && plt_valid(m->y, p->log_y) &&
            plt_in_fixed(m->x, p->x_min, p->x_max))
            extent_add(&e, m->x, m->y);
    }
    /* a reference line is worth showing only next to data, but then always in view */
    for (size_t i = 0; i < p->nhlines && e.n > 0; i++)
        if (plt_valid(p->hlines[i].y, p->log_y))
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
        if (plt_valid(s->x[i], f->ax.log) && plt_valid(s->y[i], f->ay.log)) {
            (*ox)[*on] = s->x[i];
            (*oy)[*on] = s->y[i];
            (*on)++;
        }
    }
    return 0;
}

static int band_ok(const struct frame *f, const struct cp_series *s, size_t i)
{
    return plt_valid(s->x[i], f->ax.log) && plt_valid(s->lo[i], f->ay.log) &&
           plt_valid(s->hi[i], f->ay.log);
}

/* One filled piece per run of points where the band is defined: a survival band is undefined
 * where S is 1 or 0, and bridging such a gap would draw an interval nobody computed. */
static void draw_band(cairo_t *cr, const struct frame *f, const struct cp_series *s)
{
    cairo_new_path(cr);
    for (size_t b = 0; b < s->n;) {
        if (!band_ok(f, s, b)) {
            b++;
            continue;
        }
        size_t e = b;
        while (e < s->n && band_ok(f, s, e))
            e++;
        cairo_move_to(cr, plt_px(f, s->x[b]), plt_py(f, s->hi[b]));
        for (size_t i = b + 1; i < e; i++)
            cairo_line_to(cr, plt_px(f, s->x[i]), plt_py(f, s->hi[i]));
        for (size_t k = e; k-- > b;)
            cairo_line_to(cr, plt_px(f, s->x[k]), plt_py(f, s->lo[k]));
        cairo_close_path(cr);
        b = e;
    }
    cp_palette_set(cr, s->color, 0.16);
    cairo_fill(cr);
}

void plt_stroke_style(cairo_t *cr, const struct cp_series *s)
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
            cairo_line_to(cr, plt_px(f, x[j]), plt_py(f, y[j]));
        }
        plt_stroke_style(cr, s);
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
        plt_draw_mark(cr, mark, plt_px(f, x[j]), plt_py(f, y[j]), s->color);
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
        if (!plt_valid(v, f->ay.log))
            continue;
        double y = plt_py(f, v);
        double d[2] = {6.0, 3.0};
        cairo_save(cr);
        cairo_set_dash(cr, d, 2, 0);
        cairo_set_line_width(cr, 1.0);
        plt_grey(cr, 0.3);
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
            plt_grey(cr, 0.25);
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
            if (plt_valid(se->x[i], p->log_x) && plt_valid(se->y[i], p->log_y) &&
                plt_in_fixed(se->x[i], p->x_min, p->x_max))
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
        if (plt_valid(p->hlines[i].y, p->log_y)) {
            *lo = fmin(*lo, p->hlines[i].y);
            *hi = fmax(*hi, p->hlines[i].y);
        }
    for (size_t i = 0; i < p->nmarkers; i++)
        if (plt_valid(p->markers[i].y, p->log_y) && plt_valid(p->markers[i].x, p->log_x)) {
            *lo = fmin(*lo, p->markers[i].y);
            *hi = fmax(*hi, p->markers[i].y);
        }
}

/* A small triangle on the frame edge where a point lies beyond the y range. */
static void mark_off_scale(cairo_t *cr, const struct frame *f, double x, double y, int color)
{
    double xp = plt_px(f, x);
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
    plt_grey(dc->cr, 0.35);
    cp_text_draw(&dc->tx, "\xe2\x96\xb2\xe2\x96\xbc values off scale", f->r.x + f->r.w - 4,
                 f->r.y + 3, FS_TICK - 1, 0, 1, 0, 0, f->r.w / 2);
}

int plt_draw_xy(struct dc *dc, const struct cp_panel *p, struct rect r)
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
        plt_draw_no_data(dc, r,
                         p->empty_reason          ? p->empty_reason
                         : (p->log_x || p->log_y) ? "no finite positive values for a log axis"
                                                  : "no finite values");
        return 0;
    }
    plt_layout_frame(dc, &f, r, p->xlabel, p->ylabel, 0, 0);
    plt_draw_grid(dc, &f);
    plt_clip_frame(dc->cr, &f);
    draw_hlines(dc, &f, p);
    int rc = 0;
    /* fitted overlays (dashed) go over the data they summarise */
    for (int pass = 0; pass < 2 && rc == 0; pass++)
        for (size_t s = 0; s < p->nseries && rc == 0; s++)
            if ((p->series[s].dashed != 0) == pass)
                rc = draw_series(dc, &f, &p->series[s], e.skipped == 0);
    for (size_t i = 0; i < p->nmarkers; i++) {
        const struct cp_marker *m = &p->markers[i];
        if (plt_valid(m->x, f.ax.log) && plt_valid(m->y, f.ay.log))
            plt_draw_mark(dc->cr, m->mark, plt_px(&f, m->x), plt_py(&f, m->y), m->color);
    }
    cairo_restore(dc->cr);
    plt_draw_axes(dc, &f, p->xlabel, p->ylabel, 0);
    if (f.clipped)
        note_off_scale(dc, &f);
    return rc;
}
