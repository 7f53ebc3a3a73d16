/* The fleet figures: every cell on one x/y panel with group medians, flagged cells, distributions,
 * end of life per cell (charts_internal.h). */
#include "cellpipe/charts.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cellpipe/alloc.h"
#include "cellpipe/config.h"
#include "cellpipe/error.h"
#include "cellpipe/fit.h"
#include "cellpipe/palette.h"
#include "cellpipe/run.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/timeutil.h"
#include "charts_internal.h"

/* ---- the kinds of figure ---- */

size_t chart_ncells(const struct cp_run *run)
{
    return run->data.cells ? run->data.cells->nrows : 0;
}

/* Legend entries for the groups in sorted order, before any overlay entry; with `only`,
 * just the groups whose flag is set. */
static int group_legend(struct cp_figure *fig, const struct spec *sp, const unsigned char *only)
{
    int dots = sp->pc->kind == CP_PLOT_SCATTER;
    for (size_t g = 0; g < sp->groups.n && sp->groups.n > 1; g++) {
        if (only && !only[g])
            continue;
        struct cp_legend_entry *e = cp_figure_add_legend(fig, sp->groups.names[g], (int)g);
        if (!e)
            return -1;
        e->line = !dots;
        e->mark = dots ? CP_MARK_DISC : CP_MARK_NONE;
    }
    return 0;
}

struct xy {
    double x, y;
};

static int cmp_xy(const void *a, const void *b)
{
    const struct xy *p = a, *q = b;
    if (p->x != q->x)
        return p->x < q->x ? -1 : 1;
    return (p->y > q->y) - (p->y < q->y);
}

/*
 * pts ascending in x (equal x together; their y in any order: medians are selected). x is
 * nearly always a cycle number: then a counting sort by x replaces a sort of every point,
 * which took most of a 1,000-cell plot's time. Any other x takes qsort. -1: out of memory.
 */
static int sort_xy(struct xy *pts, size_t n)
{
    double lo = INFINITY, hi = -INFINITY;
    int integral = 1;
    for (size_t i = 0; i < n && integral; i++) {
        integral = pts[i].x == floor(pts[i].x);
        lo = fmin(lo, pts[i].x);
        hi = fmax(hi, pts[i].x);
    }
    if (n < 2 || !integral || hi - lo > 4.0 * (double)n + 1024) {
        qsort(pts, n, sizeof(*pts), cmp_xy);
        return 0;
    }
    size_t nb = (size_t)(hi - lo) + 1;
    size_t *at = cp_calloc(nb + 1, sizeof(size_t));
    struct xy *tmp = cp_malloc(n * sizeof(*tmp));
    if (!at || !tmp) {
        cp_free(at);
        cp_free(tmp);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        at[(size_t)(pts[i].x - lo) + 1]++;
    for (size_t k = 0; k < nb; k++)
        at[k + 1] += at[k];
    for (size_t i = 0; i < n; i++)
        tmp[at[(size_t)(pts[i].x - lo)]++] = pts[i];
    memcpy(pts, tmp, n * sizeof(*pts));
    cp_free(at);
    cp_free(tmp);
    return 0;
}

#define SUMMARY_WINDOW 21 /* points of the rolling median under a group median */

/* The points of group g, finite, in pts (allocated to the group's own rows: a fleet of
 * millions of cycles never needs a buffer of every row); their number in *n, the group's cells
 * in *members. 0 or -1 (out of memory). */
static int group_points(const struct spec *sp, int g, struct xy **pts, size_t *n, size_t *members)
{
    size_t cap = 0;
    *n = *members = 0;
    for (size_t row = 0; row < chart_ncells(sp->run); row++) {
        size_t b, e;
        if (sp->groups.of_cell[row] == g && chart_cell_slice(sp->run, row, &b, &e) == 0)
            cap += e - b;
    }
    if (!(*pts = cp_malloc((cap ? cap : 1) * sizeof(**pts))))
        return -1;
    for (size_t row = 0; row < chart_ncells(sp->run); row++) {
        size_t b, e;
        if (sp->groups.of_cell[row] != g || chart_cell_slice(sp->run, row, &b, &e) != 0)
            continue;
        (*members)++;
        double f = chart_norm_factor(sp, row, b, e);
        for (size_t i = b; i < e; i++) {
            struct xy q = {cp_table_get_num(sp->run->data.cycles, sp->xcol, i) * sp->xscale,
                           cp_table_get_num(sp->run->data.cycles, sp->ycol, i) / f * sp->yscale};
            if (isfinite(q.x) && isfinite(q.y))
                (*pts)[(*n)++] = q;
        }
    }
    return 0;
}

/* The most points that share one x in sorted pts, and at least `at_least`. */
static size_t longest_run(const struct xy *pts, size_t n, size_t at_least)
{
    size_t best = at_least;
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && pts[j].x == pts[i].x; j++)
            ;
        if (j - i > best)
            best = j - i;
    }
    return best;
}

/* Median of y over the cells of a group at each x, then a centred rolling median of
 * SUMMARY_WINDOW points: the trend a reader looks for under per-cycle noise. */
static int add_group_median(struct cp_panel *p, const struct spec *sp, int g)
{
    size_t n, m = 0, members;
    struct xy *pts;
    if (group_points(sp, g, &pts, &n, &members) < 0)
        return -1;
    double *ys = sort_xy(pts, n) == 0
                     ? cp_malloc(longest_run(pts, n, SUMMARY_WINDOW) * sizeof(double))
                     : NULL;
    if (!ys) {
        cp_free(pts);
        return -1;
    }
    /* collapse equal x to their median, in place: pts[0..m). Only where at least half the
     * group's cells (and two) contribute: as cells end their tests the median would
     * otherwise jump between whichever few remain. */
    size_t need = members / 2 > 2 ? members / 2 : 2;
    if (members < 2)
        need = 1;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && pts[j].x == pts[i].x) {
            ys[j - i] = pts[j].y;
            j++;
        }
        if (j - i >= need)
            pts[m++] = (struct xy){pts[i].x, chart_median(ys, j - i)};
        i = j;
    }
    struct cp_series *s = cp_panel_add_series(p, sp->groups.names[g], g, m);
    int rc = s ? 0 : -1;
    for (size_t i = 0; i < m && rc == 0; i++) {
        size_t lo = i >= SUMMARY_WINDOW / 2 ? i - SUMMARY_WINDOW / 2 : 0;
        size_t hi = i + SUMMARY_WINDOW / 2 + 1 < m ? i + SUMMARY_WINDOW / 2 + 1 : m;
        for (size_t k = lo; k < hi; k++)
            ys[k - lo] = pts[k].y;
        s->x[i] = pts[i].x;
        s->y[i] = chart_median(ys, hi - lo);
    }
    if (s)
        s->bold = 1;
    cp_free(ys);
    cp_free(pts);
    return rc;
}

static int add_group_medians(struct cp_panel *p, const struct spec *sp)
{
    int rc = 0;
    for (size_t g = 0; g < sp->groups.n && rc == 0; g++)
        rc = add_group_median(p, sp, (int)g);
    return rc;
}

/* One cell's line (faint under a group median) and its overlays. */
static int add_cell(struct cp_panel *p, const struct spec *sp, size_t row, int faint)
{
    int g = sp->groups.of_cell[row];
    int rc = chart_add_cell_series(p, sp, row, sp->groups.names[g], g);
    if (rc == 0 && faint && p->nseries > 0 && p->series[p->nseries - 1].label) {
        p->series[p->nseries - 1].faint = 1;
        cp_free(p->series[p->nseries - 1].label);
        p->series[p->nseries - 1].label = NULL;
    }
    return rc == 0 ? chart_add_overlays(p, sp, row, g, sp->pc->overlays) : rc;
}

/*
 * Every cell, or past plots.max_cells the cells chart_pick_cells() chooses drawn over each
 * group's 5-95 % band and under its median (charts_sample.c); the subtitle says how many.
 */
static int add_cells(struct cp_figure *fig, struct cp_panel *p, const struct spec *sp)
{
    size_t n = chart_ncells(sp->run);
    int sampled = chart_sampled(sp), rc = 0;
    unsigned char *drawn = sampled ? cp_malloc(n) : NULL;
    long got = drawn ? chart_pick_cells(sp, drawn) : 0;
    if (sampled && (!drawn || got < 0))
        rc = -1;
    if (rc == 0 && sampled && !sp->summary)
        rc = chart_add_bands(p, sp, 0);
    for (size_t row = 0; row < n && rc == 0; row++)
        if (!sampled || drawn[row])
            rc = add_cell(p, sp, row, sp->summary || sampled);
    if (rc == 0 && sampled && !sp->summary)
        rc = chart_add_bands(p, sp, 1);
    if (rc == 0 && sampled)
        rc = chart_sample_caption(fig, sp, (size_t)got);
    cp_free(drawn);
    return rc;
}

int chart_build_xy_all(struct cp_figure *fig, const struct spec *sp)
{
    struct cp_panel *p = cp_figure_add_panel(fig, CP_PANEL_XY, NULL, sp->xlabel, sp->ylabel);
    if (!p)
        return -1;
    p->log_x = sp->pc->log_x;
    p->log_y = sp->pc->log_y;
    /* limits are written in the stored unit (0.7 for 70 % retention), like the data */
    p->x_min = sp->pc->x_min * sp->xscale;
    p->x_max = sp->pc->x_max * sp->xscale;
    p->y_min = sp->pc->y_min * sp->yscale;
    p->y_max = sp->pc->y_max * sp->yscale;
    if (sp->xcol < 0 || sp->ycol < 0)
        return cp_panel_set_empty_reason(p, "column not in this data");
    int rc = chart_add_threshold(p, sp);
    if (rc == 0)
        rc = group_legend(fig, sp, NULL);
    if (rc == 0)
        rc = add_cells(fig, p, sp);
    if (rc == 0 && sp->summary)
        rc = add_group_medians(p, sp);
    if (rc == 0 && chart_ncells(sp->run) == 0)
        rc = cp_panel_set_empty_reason(p, "no cells selected");
    return rc;
}

static int flag_title(const struct cp_run *run, size_t row, struct cp_strbuf *sb)
{
    const struct cp_cell_result *r = chart_result_of(run, row);
    /* most telling first: a narrow panel cuts the end of its title */
    int rc = cp_strbuf_adds(sb, chart_cell_id(run, row));
    for (int i = 0; r && i < r->nflags && i < CP_MAX_FLAGS && rc == 0; i++)
        rc = cp_strbuf_addf(sb, "%s%s", i ? ", " : " \xe2\x80\x94 ", r->flags[i].kind);
    if (rc == 0 && r && r->best_model >= 0)
        rc = cp_strbuf_addf(sb, " (%s fit)", chart_model_title(r->best_model));
    return rc;
}

static int flagged_legend(struct cp_figure *fig, const struct spec *sp)
{
    unsigned char *present = cp_calloc(sp->groups.n ? sp->groups.n : 1, 1);
    if (!present)
        return -1;
    for (size_t row = 0; row < chart_ncells(sp->run); row++) {
        const struct cp_cell_result *r = chart_result_of(sp->run, row);
        if (r && r->nflags > 0)
            present[sp->groups.of_cell[row]] = 1;
    }
    int rc = group_legend(fig, sp, present);
    cp_free(present);
    return rc;
}

int chart_build_flagged(struct cp_figure *fig, const struct spec *sp)
{
    size_t shown = 0, total = 0;
    int rc = flagged_legend(fig, sp);
    for (size_t row = 0; row < chart_ncells(sp->run) && rc == 0; row++) {
        const struct cp_cell_result *r = chart_result_of(sp->run, row);
        if (!r || r->nflags == 0)
            continue;
        if (++total > MAX_FIT_PANELS)
            continue;
        struct cp_strbuf title = CP_STRBUF_INIT;
        rc = flag_title(sp->run, row, &title);
        /* panels in a grid are narrow: "Retention (%)" fits where the full label would not */
        const char *yl =
            strcmp(sp->ylabel, "Capacity retention (%)") == 0 ? "Retention (%)" : sp->ylabel;
        struct cp_panel *p =
            rc ? NULL : cp_figure_add_panel(fig, CP_PANEL_XY, title.buf, sp->xlabel, yl);
        cp_strbuf_release(&title);
        if (!p)
            return -1;
        p->log_x = sp->pc->log_x;
        p->log_y = sp->pc->log_y;
        int g = sp->groups.of_cell[row];
        rc = chart_add_threshold(p, sp);
        if (rc == 0 && sp->xcol >= 0 && sp->ycol >= 0) {
            rc = chart_add_cell_series(p, sp, row, sp->groups.names[g], g);
            if (rc == 0 && p->nseries > 0) {
                p->series[p->nseries - 1].line = 0;
                p->series[p->nseries - 1].mark = CP_MARK_DOT;
            }
        }
        if (rc == 0)
            rc = chart_add_overlays(p, sp, row, g, sp->pc->overlays);
        shown++;
    }
    if (rc == 0 && total == 0) {
        struct cp_panel *p = cp_figure_add_panel(fig, CP_PANEL_XY, NULL, sp->xlabel, sp->ylabel);
        rc = p ? cp_panel_set_empty_reason(p, "no flagged cells") : -1;
    }
    fig->columns = shown <= 1 ? 1 : shown <= 4 ? 2 : 3;
    if (rc == 0 && total > shown) {
        struct cp_strbuf sub = CP_STRBUF_INIT;
        rc = cp_strbuf_addf(&sub,
                            "%s; showing %zu of %zu flagged cells (all are in the fleet "
                            "table)",
                            fig->subtitle ? fig->subtitle : "", shown, total);
        if (rc == 0)
            rc = cp_figure_set_subtitle(fig, sub.buf);
        cp_strbuf_release(&sub);
    }
    return rc;
}

/* Values of one group for histogram/box plots. v has room for every row of cycles/cells. */
static size_t group_values(const struct spec *sp, int g, double *v)
{
    const struct cp_run *run = sp->run;
    const char *y = chart_or_default(sp->pc->y, "capacity_retention");
    size_t n = 0;
    for (size_t row = 0; row < chart_ncells(run); row++) {
        if (sp->groups.of_cell[row] != g)
            continue;
        const struct cp_cell_result *r = chart_result_of(run, row);
        size_t b, e;
        if (sp->per_cell && chart_is_cell_value(y) && r)
            v[n++] = chart_cell_value(r, y) * sp->yscale;
        else if (sp->per_cell && !chart_is_cell_value(y))
            v[n++] = cp_table_get_num(run->data.cells, sp->cells_ycol, row) * sp->yscale;
        else if (!sp->per_cell && sp->ycol >= 0 && chart_cell_slice(run, row, &b, &e) == 0) {
            double f = chart_norm_factor(sp, row, b, e);
            for (size_t i = b; i < e; i++)
                v[n++] = cp_table_get_num(run->data.cycles, sp->ycol, i) / f * sp->yscale;
        }
    }
    return n;
}

int chart_build_distribution(struct cp_figure *fig, const struct spec *sp)
{
    int hist = sp->pc->kind == CP_PLOT_HISTOGRAM;
    const char *group_label = chart_meta_label(chart_or_default(sp->pc->group_by, "design_name"));
    struct cp_panel *p =
        hist ? cp_figure_add_panel(fig, CP_PANEL_HISTOGRAM, NULL, sp->ylabel,
                                   sp->per_cell ? "Cells" : "Cycles")
             : cp_figure_add_panel(fig, CP_PANEL_BOX, NULL, group_label, sp->ylabel);
    if (!p)
        return -1;
    p->log_y = hist ? 0 : sp->pc->log_y;
    /* a histogram's value axis is x: it takes x_min/x_max, in y's stored unit */
    p->x_min = hist ? sp->pc->x_min * sp->yscale : NAN;
    p->x_max = hist ? sp->pc->x_max * sp->yscale : NAN;
    p->y_min = hist ? NAN : sp->pc->y_min * sp->yscale;
    p->y_max = hist ? NAN : sp->pc->y_max * sp->yscale;
    size_t cap = chart_ncells(sp->run) + (sp->run->data.cycles ? sp->run->data.cycles->nrows : 0);
    double *v = cp_malloc((cap ? cap : 1) * sizeof(double));
    if (!v)
        return -1;
    int rc = 0;
    for (size_t g = 0; g < sp->groups.n && rc == 0; g++) {
        size_t n = group_values(sp, (int)g, v);
        if (!cp_panel_add_values(p, sp->groups.names[g], (int)g, v, n))
            rc = -1;
    }
    cp_free(v);
    return rc;
}

/* ---- end of life per cell, sorted ---- */

struct eol_row {
    size_t row;
    double value;
};

static int cmp_eol(const void *a, const void *b)
{
    const struct eol_row *x = a, *y = b;
    if (x->value != y->value)
        return x->value < y->value ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

static int eol_legend(struct cp_figure *fig, const struct spec *sp)
{
    struct cp_legend_entry *e;
    if (group_legend(fig, sp, NULL) != 0 || !(e = cp_figure_add_legend(fig, "Observed", -1)))
        return -1;
    e->mark = CP_MARK_DISC;
    if (!(e = cp_figure_add_legend(fig, "Forecast, 95 % interval", -1)))
        return -1;
    e->mark = CP_MARK_CIRCLE;
    e->line = 1;
    if (!(e = cp_figure_add_legend(fig, "Capped at extrapolation limit", -1)))
        return -1;
    e->mark = CP_MARK_TRIANGLE;
    return 0;
}

int chart_build_eol(struct cp_figure *fig, const struct spec *sp)
{
    const struct cp_run *run = sp->run;
    struct cp_panel *p =
        cp_figure_add_panel(fig, CP_PANEL_INTERVALS, NULL, "End of life (cycles)", NULL);
    struct eol_row *rows = cp_malloc((chart_ncells(run) ? chart_ncells(run) : 1) * sizeof(*rows));
    size_t n = 0, none = 0;
    int rc = p && rows ? 0 : -1;
    for (size_t row = 0; row < chart_ncells(run) && rc == 0; row++) {
        const struct cp_cell_result *r = chart_result_of(run, row);
        double v = !r ? NAN : r->eol_observed >= 0 ? (double)r->eol_observed : r->eol_forecast;
        if (isfinite(v))
            rows[n++] = (struct eol_row){row, v};
        else
            none++;
    }
    if (rc == 0)
        qsort(rows, n, sizeof(*rows), cmp_eol);
    for (size_t i = 0; i < n && i < MAX_EOL_ROWS && rc == 0; i++) {
        const struct cp_cell_result *r = chart_result_of(run, rows[i].row);
        int obs = r->eol_observed >= 0;
        enum cp_mark mk = obs ? CP_MARK_DISC : r->eol_capped ? CP_MARK_TRIANGLE : CP_MARK_CIRCLE;
        if (!cp_panel_add_row(p, chart_cell_id(run, rows[i].row), rows[i].value,
                              obs ? NAN : r->eol_lo, obs ? NAN : r->eol_hi,
                              sp->groups.of_cell[rows[i].row], mk))
            rc = -1;
    }
    if (rc == 0)
        rc = eol_legend(fig, sp);
    if (rc == 0 && (none > 0 || n > MAX_EOL_ROWS)) {
        struct cp_strbuf sub = CP_STRBUF_INIT;
        rc = cp_strbuf_addf(&sub, "%s; earliest first", fig->subtitle ? fig->subtitle : "");
        if (rc == 0 && n > MAX_EOL_ROWS)
            rc = cp_strbuf_addf(&sub, ", %d of %zu shown", MAX_EOL_ROWS, n);
        if (rc == 0 && none > 0)
            rc = cp_strbuf_addf(&sub, ", %zu without a forecast", none);
        if (rc == 0)
            rc = cp_figure_set_subtitle(fig, sub.buf);
        cp_strbuf_release(&sub);
    }
    if (rc == 0 && n == 0)
        rc = cp_panel_set_empty_reason(p, "no cell has an observed or forecast end of life");
    cp_free(rows);
    return rc;
}
