/* Large fleets on one x/y panel: the cells drawn when there are more than plots.max_cells, and
 * each group's median and 5-95 % band over all its cells (charts_internal.h). A person cannot
 * tell 1,000 curves apart, and every curve drawn costs file size and time; the band shows where
 * the fleet is, the drawn cells show what single curves look like and which ones stand out. */
#include "cellpipe/charts.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cellpipe/alloc.h"
#include "cellpipe/config.h"
#include "cellpipe/run.h"
#include "cellpipe/strbuf.h"
#include "charts_internal.h"

static size_t ncells(const struct cp_run *run)
{
    return run->data.cells ? run->data.cells->nrows : 0;
}

size_t chart_max_cells(const struct cp_run *run)
{
    long m = run->cfg ? run->cfg->plots.max_cells : 0;
    return m > 0 ? (size_t)m : CHART_MAX_CELLS;
}

int chart_sampled(const struct spec *sp)
{
    return ncells(sp->run) > chart_max_cells(sp->run);
}

/* ---- which cells are drawn ---- */

struct ranked {
    double v;
    size_t row;
};

static int cmp_ranked(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    if (x->v != y->v)
        return x->v < y->v ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

/* The cell's last finite y (normalised as plotted): where it ended up, the value a reader ranks
 * curves by. NaN when the cell has no finite y. */
static double last_y(const struct spec *sp, size_t row)
{
    size_t b, e;
    if (sp->ycol < 0 || chart_cell_slice(sp->run, row, &b, &e) != 0)
        return NAN;
    double f = chart_norm_factor(sp, row, b, e);
    for (size_t i = e; i-- > b;) {
        double y = cp_table_get_num(sp->run->data.cycles, sp->ycol, i) / f;
        if (isfinite(y))
            return y;
    }
    return NAN;
}

static void take(unsigned char *drawn, size_t row, size_t *n)
{
    if (!drawn[row]) {
        drawn[row] = 1;
        (*n)++;
    }
}

/*
 * drawn[row] = 1 for at most max_cells cells: the lowest and highest last value, the flagged
 * cells (attention flags) in the order of the cells table up to half the budget, then cells
 * evenly spaced by rank of the last value (lowest to highest) until the budget is used.
 * Deterministic: it depends on the data only. Returns the number drawn, or -1 (memory).
 */
long chart_pick_cells(const struct spec *sp, unsigned char *drawn)
{
    size_t n = ncells(sp->run), max = chart_max_cells(sp->run), m = 0, got = 0;
    struct ranked *rk = cp_malloc((n ? n : 1) * sizeof(*rk));
    if (!rk)
        return -1;
    memset(drawn, 0, n ? n : 1);
    for (size_t row = 0; row < n; row++) {
        double v = last_y(sp, row);
        if (isfinite(v))
            rk[m++] = (struct ranked){v, row};
    }
    qsort(rk, m, sizeof(*rk), cmp_ranked);
    if (m > 0) {
        take(drawn, rk[0].row, &got);
        if (got < max)
            take(drawn, rk[m - 1].row, &got);
    }
    for (size_t row = 0; row < n && got < max / 2 + 2; row++) {
        const struct cp_cell_result *r = chart_result_of(sp->run, row);
        int attention = 0;
        for (int f = 0; r && f < r->nflags && f < CP_MAX_FLAGS; f++)
            attention |= r->flags[f].attention;
        if (attention)
            take(drawn, row, &got);
    }
    /* even ranks over what is left, so the sample spans the whole distribution */
    size_t want = max > got ? max - got : 0;
    for (size_t k = 0; k < want && m > 0; k++)
        take(drawn, rk[want > 1 ? (k * (m - 1) + (want - 1) / 2) / (want - 1) : m / 2].row, &got);
    /* ranks that hit an already drawn cell: the lowest free ones, so the budget is used */
    for (size_t i = 0; i < m && got < max; i++)
        take(drawn, rk[i].row, &got);
    cp_free(rk);
    return (long)got;
}

/* ---- the band: median and 5-95 % of a group's values, per bin of x ---- */

struct pt {
    double x, y;
    size_t bin;
};

struct band {
    size_t n;
    double *x, *lo, *mid, *hi;
};

static void band_release(struct band *b)
{
    cp_free(b->x);
    cp_free(b->lo);
    cp_free(b->mid);
    cp_free(b->hi);
    memset(b, 0, sizeof(*b));
}

static void swap_d(double *a, double *b)
{
    double t = *a;
    *a = *b;
    *b = t;
}

/* The k-th smallest of v[0..n) (Hoare's selection, median-of-three pivot), reordering v so
 * that v[k] holds it, smaller values before and larger after. A bin or a cycle of a large
 * fleet holds thousands of values and needs three order statistics, not a sorted copy. */
double chart_kth(double *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (hi > lo) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < v[lo])
            swap_d(&v[mid], &v[lo]);
        if (v[hi] < v[lo])
            swap_d(&v[hi], &v[lo]);
        if (v[hi] < v[mid])
            swap_d(&v[hi], &v[mid]);
        double pivot = v[mid];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                swap_d(&v[i], &v[j]);
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            break;
    }
    return v[k];
}

/* The smallest of v[from..n): after chart_kth(v, n, from - 1), the next order statistic. */
static double min_from(const double *v, size_t from, size_t n)
{
    double m = v[from];
    for (size_t i = from + 1; i < n; i++)
        m = v[i] < m ? v[i] : m;
    return m;
}

double chart_median(double *v, size_t n)
{
    if (n % 2)
        return chart_kth(v, n, n / 2);
    double a = chart_kth(v, n, n / 2 - 1);
    return (a + min_from(v, n / 2, n)) / 2;
}

/* Linear interpolation between order statistics (numpy's default); reorders v, n > 0. */
static double quantile(double *v, size_t n, double q)
{
    double h = q * (double)(n - 1);
    size_t i = (size_t)floor(h);
    double a = chart_kth(v, n, i);
    return i + 1 < n ? a + (h - (double)i) * (min_from(v, i + 1, n) - a) : a;
}

/* The group's finite points, in the order of the cells table; *members counts its cells with
 * data. pts has room for the group's rows (group_rows). */
static size_t group_points(const struct spec *sp, int g, struct pt *pts, size_t *members,
                           int *integral)
{
    size_t n = 0;
    *members = 0;
    *integral = 1;
    for (size_t row = 0; row < ncells(sp->run); row++) {
        size_t b, e, before = n;
        if (sp->groups.of_cell[row] != g || chart_cell_slice(sp->run, row, &b, &e) != 0)
            continue;
        double f = chart_norm_factor(sp, row, b, e);
        for (size_t i = b; i < e; i++) {
            double x = cp_table_get_num(sp->run->data.cycles, sp->xcol, i) * sp->xscale;
            double y = cp_table_get_num(sp->run->data.cycles, sp->ycol, i) / f * sp->yscale;
            if (!isfinite(x) || !isfinite(y))
                continue;
            *integral &= x == floor(x);
            /* the cell's index, not a bin yet: bins need the x range of the whole group */
            pts[n++] = (struct pt){x, y, row};
        }
        *members += n > before;
    }
    return n;
}

/* Bins of x: one per integer value (cycle numbers) when that gives at most BAND_BINS, else
 * BAND_BINS equal widths (integer widths for integer x, so a bin holds whole cycles). */
static size_t bin_layout(const struct pt *pts, size_t n, int integral, double *x0, double *w)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        lo = fmin(lo, pts[i].x);
        hi = fmax(hi, pts[i].x);
    }
    *x0 = lo;
    if (integral) {
        *w = fmax(1, ceil((hi - lo + 1) / BAND_BINS));
        return (size_t)floor((hi - lo) / *w) + 1;
    }
    *w = hi > lo ? (hi - lo) / BAND_BINS : 1;
    return hi > lo ? BAND_BINS : 1;
}

struct bins {
    size_t *start, *cells, *last; /* start[nb + 1]; distinct cells and last cell per bin */
    double *ys, *xs;
};

static void bins_release(struct bins *b)
{
    cp_free(b->start);
    cp_free(b->cells);
    cp_free(b->last);
    cp_free(b->ys);
    cp_free(b->xs);
}

/* Counting sort of the points into their bins: ys[start[k] .. start[k+1]) are bin k's values. */
static int bins_fill(struct bins *bn, struct pt *pts, size_t n, size_t nb, double x0, double w)
{
    bn->start = cp_calloc(nb + 1, sizeof(size_t));
    bn->cells = cp_calloc(nb, sizeof(size_t));
    bn->last = cp_malloc(nb * sizeof(size_t));
    bn->ys = cp_malloc((n ? n : 1) * sizeof(double));
    bn->xs = cp_calloc(nb, sizeof(double));
    if (!bn->start || !bn->cells || !bn->last || !bn->ys || !bn->xs)
        return -1;
    for (size_t k = 0; k < nb; k++)
        bn->last[k] = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        size_t k = (size_t)floor((pts[i].x - x0) / w);
        k = k < nb ? k : nb - 1;
        bn->cells[k] += bn->last[k] != pts[i].bin;
        bn->last[k] = pts[i].bin;
        pts[i].bin = k;
        bn->start[k + 1]++;
        bn->xs[k] += pts[i].x;
    }
    for (size_t k = 0; k < nb; k++)
        bn->start[k + 1] += bn->start[k];
    size_t *at = bn->last; /* reused as fill positions */
    for (size_t k = 0; k < nb; k++)
        at[k] = bn->start[k];
    for (size_t i = 0; i < n; i++)
        bn->ys[at[pts[i].bin]++] = pts[i].y;
    return 0;
}

/* Median and 5-95 % per bin, where at least half the group's cells (and two) have a value:
 * the same rule as the group medians, so the band does not swing as cells end their tests. */
static int band_compute(const struct spec *sp, int g, struct pt *pts, struct band *out)
{
    size_t members, nb, need;
    int integral;
    double x0, w;
    struct bins bn = {0};
    memset(out, 0, sizeof(*out));
    size_t n = group_points(sp, g, pts, &members, &integral);
    if (n == 0)
        return 0;
    nb = bin_layout(pts, n, integral, &x0, &w);
    need = members < 2 ? 1 : members / 2 > 2 ? members / 2 : 2;
    int rc = bins_fill(&bn, pts, n, nb, x0, w);
    if (rc == 0 && (!(out->x = cp_malloc(nb * sizeof(double))) ||
                    !(out->lo = cp_malloc(nb * sizeof(double))) ||
                    !(out->mid = cp_malloc(nb * sizeof(double))) ||
                    !(out->hi = cp_malloc(nb * sizeof(double)))))
        rc = -1;
    for (size_t k = 0; k < nb && rc == 0; k++) {
        size_t c = bn.start[k + 1] - bn.start[k];
        if (bn.cells[k] < need || c == 0)
            continue;
        double *v = bn.ys + bn.start[k];
        out->x[out->n] = bn.xs[k] / (double)c; /* mean x of the bin: exact for one cycle */
        out->lo[out->n] = quantile(v, c, BAND_LO);
        out->mid[out->n] = quantile(v, c, 0.5);
        out->hi[out->n++] = quantile(v, c, BAND_HI);
    }
    bins_release(&bn);
    if (rc != 0)
        band_release(out);
    return rc;
}

/* The band (drawn first, under the cells) or the median line (drawn last, over them). */
static int add_band_series(struct cp_panel *p, const struct band *b, int g, int median)
{
    struct cp_series *s = cp_panel_add_series(p, NULL, g, b->n);
    if (!s || (!median && cp_series_add_band(s) != 0))
        return -1;
    memcpy(s->x, b->x, b->n * sizeof(double));
    memcpy(s->y, b->mid, b->n * sizeof(double));
    if (median) {
        s->bold = 1;
        return 0;
    }
    s->line = 0;
    s->mark = CP_MARK_NONE;
    memcpy(s->lo, b->lo, b->n * sizeof(double));
    memcpy(s->hi, b->hi, b->n * sizeof(double));
    return 0;
}

/* Cycle rows of group g's cells: the room group_points needs. */
static size_t group_rows(const struct spec *sp, int g)
{
    size_t n = 0;
    for (size_t row = 0; row < ncells(sp->run); row++) {
        size_t b, e;
        if (sp->groups.of_cell[row] == g && chart_cell_slice(sp->run, row, &b, &e) == 0)
            n += e - b;
    }
    return n;
}

/* Each group's points in a buffer of its own rows, not of every row of the fleet: the plots
 * run while the other sinks hold their buffers too. */
int chart_add_bands(struct cp_panel *p, const struct spec *sp, int median)
{
    int rc = 0;
    for (size_t g = 0; g < sp->groups.n && rc == 0; g++) {
        size_t cap = group_rows(sp, (int)g);
        struct pt *pts = cp_malloc((cap ? cap : 1) * sizeof(*pts));
        struct band b;
        rc = pts ? band_compute(sp, (int)g, pts, &b) : -1;
        if (rc == 0 && b.n > 0)
            rc = add_band_series(p, &b, (int)g, median);
        if (pts)
            band_release(&b);
        cp_free(pts);
    }
    return rc;
}

/* "; 60 of 1000 cells drawn ..." after the figure's subtitle, and the band's legend entry. */
int chart_sample_caption(struct cp_figure *fig, const struct spec *sp, size_t drawn)
{
    struct cp_strbuf sb = CP_STRBUF_INIT;
    const char *what = sp->summary ? "; the medians are over all cells"
                                   : " over the median and 5\xe2\x80\x93"
                                     "95 % band of all cells";
    int rc = cp_strbuf_addf(&sb, "%s; %zu of %zu cells drawn%s", fig->subtitle ? fig->subtitle : "",
                            drawn, ncells(sp->run), what);
    if (rc == 0)
        rc = cp_figure_set_subtitle(fig, sb.buf);
    cp_strbuf_release(&sb);
    struct cp_legend_entry *e = rc || sp->summary ? NULL
                                                  : cp_figure_add_legend(fig,
                                                                         "Median, 5\xe2\x80\x93"
                                                                         "95 % of cells",
                                                                         -1);
    if (rc == 0 && !sp->summary) {
        if (!e)
            return -1;
        e->line = 1;
        e->fill = 1;
    }
    return rc;
}
