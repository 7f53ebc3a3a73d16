/* dQ/dV curve figures: one panel per cell, coloured by cycle (charts_internal.h). */
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

/* ---- dQ/dV curves, one panel per cell, coloured by cycle ---- */

/* Rows [b, e) of the curves table hold one cell's curve of one cycle. */
struct curve_run {
    size_t b, e;
    long row; /* cells row of its cell, -1 when the cell is not in the cells table */
    int64_t cycle;
    double area; /* integral of dQ/dV over V: the Ah discharged within the curve */
    int partial; /* area below FULL_CYCLE of the cell's largest: not drawn */
};

struct curves {
    const double *v, *d;
    struct curve_run *runs;
    size_t nruns, cap;
    int64_t picks[DQDV_CYCLES]; /* cycles drawn, ascending; colour k is picks[k] */
    size_t npicks;
    size_t npartial; /* curves of shown cells left out as partial */
};

struct id_row {
    const char *id;
    size_t row;
};

static int cmp_id_row(const void *a, const void *b)
{
    return strcmp(((const struct id_row *)a)->id, ((const struct id_row *)b)->id);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int same_id(const char *a, const char *b)
{
    return a && b ? strcmp(a, b) == 0 : a == b;
}

/* Cut the curves table into runs of equal (cell, cycle): the dQ/dV stage writes each cycle's
 * grid points together. */
static int curves_runs(struct curves *cv, const struct cp_table *t, const int64_t *cyc, char **id)
{
    for (size_t r = 0; r < t->nrows; r++) {
        if (r > 0 && cyc[r] == cyc[r - 1] && same_id(id[r], id[r - 1])) {
            cv->runs[cv->nruns - 1].e = r + 1;
            continue;
        }
        if (cp_grow((void **)&cv->runs, &cv->cap, cv->nruns + 1, sizeof(*cv->runs)) != 0)
            return -1;
        cv->runs[cv->nruns++] = (struct curve_run){r, r + 1, -1, cyc[r], 0, 0};
    }
    return 0;
}

/* The cells row of each run, by binary search over the sorted cell ids. */
static int curves_rows(struct curves *cv, const struct cp_run *run, char **id)
{
    size_t n = chart_ncells(run);
    char **cid = n ? cp_table_str(run->data.cells, "cell_id") : NULL;
    struct id_row *ix = cp_malloc((n ? n : 1) * sizeof(*ix));
    size_t m = 0;
    if (!ix)
        return -1;
    for (size_t i = 0; cid && i < n; i++)
        if (cid[i])
            ix[m++] = (struct id_row){cid[i], i};
    qsort(ix, m, sizeof(*ix), cmp_id_row);
    for (size_t k = 0; k < cv->nruns; k++) {
        struct id_row key = {id[cv->runs[k].b], 0};
        struct id_row *hit = key.id ? bsearch(&key, ix, m, sizeof(*ix), cmp_id_row) : NULL;
        cv->runs[k].row = hit ? (long)hit->row : -1;
    }
    cp_free(ix);
    return 0;
}

static int shown_cell(const struct spec *sp, long row)
{
    if (row < 0)
        return 0;
    if (!sp->pc->cells || strcmp(sp->pc->cells, "flagged") != 0)
        return 1;
    const struct cp_cell_result *r = chart_result_of(sp->run, (size_t)row);
    return r && r->nflags > 0;
}

/* Formation steps, pulse tests and partial discharges cover a fraction of the voltage window:
 * their curves are not comparable with full cycles and hide the peak shift, so cycles whose
 * curve holds less than FULL_CYCLE of the cell's largest discharged capacity are left out. */
static int curves_full(struct curves *cv, const struct spec *sp)
{
    size_t n = chart_ncells(sp->run);
    double *best = cp_malloc((n ? n : 1) * sizeof(double));
    if (!best)
        return -1;
    for (size_t i = 0; i < n; i++)
        best[i] = 0;
    for (size_t k = 0; k < cv->nruns; k++) {
        struct curve_run *cr = &cv->runs[k];
        cr->area = 0;
        for (size_t i = cr->b; i + 1 < cr->e; i++) {
            double a = 0.5 * (cv->d[i] + cv->d[i + 1]) * fabs(cv->v[i + 1] - cv->v[i]);
            if (isfinite(a))
                cr->area += a;
        }
        if (cr->row >= 0 && cr->area > best[cr->row])
            best[cr->row] = cr->area;
    }
    for (size_t k = 0; k < cv->nruns; k++) {
        struct curve_run *cr = &cv->runs[k];
        cr->partial = cr->row >= 0 && !(cr->area > 0 && cr->area >= FULL_CYCLE * best[cr->row]);
        cv->npartial += cr->partial && shown_cell(sp, cr->row);
    }
    cp_free(best);
    return 0;
}

/* First, last and evenly spaced cycles in between, over the cycles with a curve in any shown
 * cell: one choice for the whole figure, so a colour means the same cycle in every panel. */
static int curves_pick(struct curves *cv, const struct spec *sp)
{
    int64_t *c = cp_malloc((cv->nruns ? cv->nruns : 1) * sizeof(int64_t));
    size_t n = 0, u = 0;
    if (!c)
        return -1;
    for (size_t k = 0; k < cv->nruns; k++)
        if (shown_cell(sp, cv->runs[k].row) && !cv->runs[k].partial)
            c[n++] = cv->runs[k].cycle;
    qsort(c, n, sizeof(int64_t), cmp_i64);
    for (size_t i = 0; i < n; i++)
        if (u == 0 || c[u - 1] != c[i])
            c[u++] = c[i];
    cv->npicks = u < DQDV_CYCLES ? u : DQDV_CYCLES;
    for (size_t k = 0; k < cv->npicks; k++) {
        size_t i = cv->npicks < 2 ? 0 : (k * (u - 1) + (cv->npicks - 1) / 2) / (cv->npicks - 1);
        cv->picks[k] = c[i];
    }
    cp_free(c);
    return 0;
}

static void curves_release(struct curves *cv)
{
    cp_free(cv->runs);
    memset(cv, 0, sizeof(*cv));
}

static int curves_index(struct curves *cv, const struct spec *sp)
{
    const struct cp_run *run = sp->run;
    const struct cp_table *t = run->data.curves;
    memset(cv, 0, sizeof(*cv));
    char **id = t ? cp_table_str(t, "cell_id") : NULL;
    const int64_t *cyc = t ? cp_table_i64(t, "cycle_index") : NULL;
    cv->v = t ? cp_table_f64(t, CURVE_X) : NULL;
    cv->d = t ? cp_table_f64(t, CURVE_Y) : NULL;
    if (!id || !cyc || !cv->v || !cv->d || t->nrows == 0)
        return 0;
    if (curves_runs(cv, t, cyc, id) != 0 || curves_rows(cv, run, id) != 0 ||
        curves_full(cv, sp) != 0 || curves_pick(cv, sp) != 0) {
        curves_release(cv);
        return -1;
    }
    return 0;
}

static int curves_legend(struct cp_figure *fig, const struct curves *cv, int dots)
{
    for (size_t k = 0; k < cv->npicks; k++) {
        char label[40];
        snprintf(label, sizeof(label), "cycle %lld", (long long)cv->picks[k]);
        struct cp_legend_entry *e = cp_figure_add_legend(fig, label, (int)k);
        if (!e)
            return -1;
        e->line = !dots;
        e->mark = dots ? CP_MARK_DISC : CP_MARK_NONE;
    }
    return 0;
}

static int add_curve(struct cp_panel *p, const struct spec *sp, const struct curves *cv,
                     const struct curve_run *cr, int k)
{
    char label[40];
    snprintf(label, sizeof(label), "cycle %lld", (long long)cr->cycle);
    struct cp_series *s = cp_panel_add_series(p, label, k, cr->e - cr->b);
    if (!s)
        return -1;
    for (size_t i = cr->b; i < cr->e; i++) {
        s->x[i - cr->b] = cv->v[i] * sp->xscale;
        s->y[i - cr->b] = cv->d[i] * sp->yscale;
    }
    s->line = sp->pc->kind != CP_PLOT_SCATTER;
    s->mark = s->line ? CP_MARK_NONE : CP_MARK_DOT;
    return 0;
}

static struct cp_panel *curve_panel(struct cp_figure *fig, const struct spec *sp, const char *title)
{
    struct cp_panel *p = cp_figure_add_panel(fig, CP_PANEL_XY, title, sp->xlabel, sp->ylabel);
    if (!p)
        return NULL;
    p->log_x = sp->pc->log_x;
    p->log_y = sp->pc->log_y;
    p->x_min = sp->pc->x_min * sp->xscale;
    p->x_max = sp->pc->x_max * sp->xscale;
    p->y_min = sp->pc->y_min * sp->yscale;
    p->y_max = sp->pc->y_max * sp->yscale;
    return p;
}

/* One panel per shown cell with curves (up to MAX_FIT_PANELS, in the order of the cells
 * table), its curves at the picked cycles. panel_of maps a cells row to its panel, -1 when
 * it has none. */
static int curves_panels(struct cp_figure *fig, const struct spec *sp, const struct curves *cv,
                         long *panel_of, size_t *total)
{
    size_t shown = 0;
    for (size_t k = 0; k < cv->nruns; k++)
        if (shown_cell(sp, cv->runs[k].row))
            panel_of[cv->runs[k].row] = -2; /* has curves */
    for (size_t row = 0; row < chart_ncells(sp->run); row++) {
        if (panel_of[row] != -2)
            continue;
        panel_of[row] = -1;
        if (++*total > MAX_FIT_PANELS)
            continue;
        if (!curve_panel(fig, sp, chart_cell_id(sp->run, row)))
            return -1;
        panel_of[row] = (long)shown++;
    }
    for (size_t k = 0; k < cv->nruns; k++) {
        const struct curve_run *cr = &cv->runs[k];
        long pi = cr->row >= 0 && !cr->partial ? panel_of[cr->row] : -1;
        for (size_t j = 0; pi >= 0 && j < cv->npicks; j++) {
            struct cp_panel *p = &fig->panels[pi];
            if (cv->picks[j] != cr->cycle)
                continue;
            int dup = 0; /* a cycle read twice (two files of one cell): the first is drawn */
            for (size_t i = 0; i < p->nseries; i++)
                dup |= p->series[i].color == (int)j;
            if (!dup && add_curve(p, sp, cv, cr, (int)j) != 0)
                return -1;
        }
    }
    for (size_t i = 0; i < fig->npanels; i++)
        if (fig->panels[i].nseries == 0 &&
            cp_panel_set_empty_reason(&fig->panels[i], "no curve at the cycles shown") != 0)
            return -1;
    return 0;
}

static int curves_subtitle(struct cp_figure *fig, const struct spec *sp, const struct curves *cv,
                           size_t total)
{
    size_t shown = total < MAX_FIT_PANELS ? total : MAX_FIT_PANELS;
    const struct cp_run *run = sp->run;
    struct cp_strbuf sb = CP_STRBUF_INIT;
    int rc =
        cp_strbuf_addf(&sb, "%s \xc2\xb7 %s \xc2\xb7 %zu %s with curves \xc2\xb7 colour by cycle",
                       run->cfg && run->cfg->name ? run->cfg->name : "pipeline", run->date, total,
                       total == 1 ? "cell" : "cells");
    if (rc == 0 && total > shown)
        rc = cp_strbuf_addf(&sb, "; showing %zu of %zu cells", shown, total);
    if (rc == 0 && cv->npartial > 0)
        rc = cp_strbuf_addf(&sb, "; %zu partial %s left out", cv->npartial,
                            cv->npartial == 1 ? "cycle" : "cycles");
    if (rc == 0)
        rc = cp_figure_set_subtitle(fig, sb.buf);
    cp_strbuf_release(&sb);
    return rc;
}

int chart_build_curves(struct cp_figure *fig, const struct spec *sp)
{
    struct curves cv;
    size_t total = 0;
    long *panel_of = cp_malloc((chart_ncells(sp->run) ? chart_ncells(sp->run) : 1) * sizeof(long));
    int rc = panel_of && curves_index(&cv, sp) == 0 ? 0 : -1;
    if (rc != 0) {
        cp_free(panel_of);
        return -1;
    }
    for (size_t i = 0; i < chart_ncells(sp->run); i++)
        panel_of[i] = -1;
    rc = curves_panels(fig, sp, &cv, panel_of, &total);
    if (rc == 0)
        rc = curves_legend(fig, &cv, sp->pc->kind == CP_PLOT_SCATTER);
    if (rc == 0 && fig->npanels == 0) {
        struct cp_panel *p = curve_panel(fig, sp, NULL);
        const char *why = cv.nruns == 0 ? "no dQ/dV curves: the source gave no raw time series"
                                        : "no selected cell has dQ/dV curves";
        rc = p ? cp_panel_set_empty_reason(p, why) : -1;
    }
    fig->columns = fig->npanels <= 1 ? 1 : fig->npanels <= 4 ? 2 : 3;
    if (rc == 0)
        rc = curves_subtitle(fig, sp, &cv, total);
    curves_release(&cv);
    cp_free(panel_of);
    return rc;
}
