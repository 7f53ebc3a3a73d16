/* Figures of the fleet statistics: Kaplan-Meier curves per group and the correlation heat map
 * (include/cellpipe/charts_stats.h). */
#include "cellpipe/charts_stats.h"
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "cellpipe/alloc.h"
#include "cellpipe/statistics.h"
#include "cellpipe/strbuf.h"
#include "charts_internal.h"

/* ---- colours: the same as every other plot of the run ---- */

int cp_charts_stats_colors(const struct cp_run *run, const char *group_by,
                           const struct cp_statistics *s, int *colors)
{
    struct groups g;
    for (size_t i = 0; i < s->ngroups; i++)
        colors[i] = (int)i;
    if (!run || !run->data.cells)
        return 0;
    if (chart_groups_build(run->data.cells, chart_or_default(group_by, "design_name"), &g) != 0)
        return -1;
    for (size_t i = 0; i < s->ngroups; i++)
        for (size_t k = 0; k < g.n; k++)
            if (s->groups[i].name && strcmp(g.names[k], s->groups[i].name) == 0)
                colors[i] = (int)k;
    chart_groups_release(&g);
    return 0;
}

/* ---- survival ---- */

/*
 * The step function as explicit points, in percent: (0, 100), then at every step time the
 * level before it and the level after it, so a plain polyline draws horizontal-then-vertical
 * steps. The band follows the same points: undefined (NaN) before the first event, where the
 * log-log interval does not exist, and after S reaches 0.
 */
static int add_curve(struct cp_panel *p, const struct cp_statistics_group *g, int color)
{
    const struct cp_stats_km *km = &g->km;
    char label[192];
    snprintf(label, sizeof(label), "%.120s (n=%zu, events=%zu)", g->name ? g->name : "", km->n,
             km->events);
    struct cp_series *se = cp_panel_add_series(p, label, color, 1 + 2 * km->nsteps);
    if (!se || cp_series_add_band(se) != 0)
        return -1;
    se->x[0] = 0;
    se->y[0] = 100;
    se->lo[0] = se->hi[0] = NAN;
    double s_prev = 100, lo_prev = NAN, hi_prev = NAN;
    for (size_t i = 0; i < km->nsteps; i++) {
        const struct cp_stats_km_step *st = &km->steps[i];
        size_t a = 1 + 2 * i, b = a + 1;
        se->x[a] = se->x[b] = st->t;
        se->y[a] = s_prev;
        se->lo[a] = lo_prev;
        se->hi[a] = hi_prev;
        se->y[b] = s_prev = 100 * st->s;
        se->lo[b] = lo_prev = 100 * st->lo; /* NaN stays NaN */
        se->hi[b] = hi_prev = 100 * st->hi;
    }
    return 0;
}

/* A tick at each censored time (not one per cell: cells censored together share a time). */
static int add_censorings(struct cp_panel *p, const struct cp_stats_km *km, int color)
{
    for (size_t i = 0; i < km->nsteps; i++)
        if (km->steps[i].censored > 0 &&
            !cp_panel_add_marker(p, km->steps[i].t, 100 * km->steps[i].s, CP_MARK_TICK, color,
                                 NULL))
            return -1;
    return 0;
}

static int survival_titles(struct cp_figure *fig, const struct cp_statistics *s)
{
    char sub[160];
    double level = isfinite(s->level) && s->level > 0 && s->level < 1 ? s->level : 0.95;
    snprintf(sub, sizeof(sub),
             "Kaplan\xe2\x80\x93Meier estimate \xc2\xb7 %.0f %% log-log band \xc2\xb7 "
             "ticks: censored cells (end of life not reached yet)",
             100 * level);
    return cp_figure_set_subtitle(fig, sub);
}

struct cp_figure *cp_charts_survival_colored(const struct cp_statistics *s, const char *group_by,
                                             const int *colors)
{
    char lower[64], title[128];
    snprintf(
        title, sizeof(title), "Cycle life by %s",
        chart_meta_label_lower(chart_or_default(group_by, "design_name"), lower, sizeof(lower)));
    struct cp_figure *fig = cp_figure_new(title);
    struct cp_panel *p =
        fig ? cp_figure_add_panel(fig, CP_PANEL_XY, NULL, "Cycle", "Cells before end of life (%)")
            : NULL;
    int rc = p && survival_titles(fig, s) == 0 ? 0 : -1;
    if (rc == 0) {
        p->x_min = 0;
        p->y_min = 0;
        p->y_max = 104; /* headroom: the curves start on 100 %, the frame would hide them */
        rc = cp_panel_add_hline(p, 50, "median") ? 0 : -1;
    }
    for (size_t g = 0; g < s->ngroups && rc == 0; g++) {
        const struct cp_statistics_group *gr = &s->groups[g];
        int color = colors ? colors[g] : (int)g;
        if (gr->km.status != CP_STATS_OK)
            continue; /* no finite time: nothing to draw */
        rc = add_curve(p, gr, color);
        if (rc == 0)
            rc = add_censorings(p, &gr->km, color);
    }
    if (rc == 0 && p->nseries == 0)
        rc = cp_panel_set_empty_reason(p, "no cell has a cycle life or a censoring time");
    if (rc == 0 && p->nmarkers > 0) {
        struct cp_legend_entry *e = cp_figure_add_legend(fig, "censored", -1);
        if (e)
            e->mark = CP_MARK_TICK;
        rc = e ? 0 : -1;
    }
    if (rc != 0) {
        cp_figure_free(fig);
        return NULL;
    }
    return fig;
}

struct cp_figure *cp_charts_survival(const struct cp_statistics *s, const char *group_by)
{
    return cp_charts_survival_colored(s, group_by, NULL);
}

static const char *stats_group_by(const struct cp_run *run)
{
    return chart_or_default(run->cfg ? run->cfg->statistics.group_by : NULL, "design_name");
}

struct cp_figure *cp_charts_survival_run(const struct cp_run *run)
{
    const struct cp_statistics *s = run->statistics;
    if (!s)
        return NULL;
    int *colors = cp_malloc((s->ngroups ? s->ngroups : 1) * sizeof(int));
    struct cp_figure *fig = NULL;
    if (colors && cp_charts_stats_colors(run, stats_group_by(run), s, colors) == 0)
        fig = cp_charts_survival_colored(s, stats_group_by(run), colors);
    cp_free(colors);
    return fig;
}

/* ---- correlation ---- */

struct cp_figure *cp_charts_correlation(const struct cp_statistics *s)
{
    size_t n = s->nmetrics;
    struct cp_figure *fig = cp_figure_new("Correlation of the cell metrics");
    struct cp_panel *p =
        fig ? cp_figure_add_panel(fig, CP_PANEL_HEATMAP, "Spearman \xcf\x81", NULL, NULL) : NULL;
    double *v = cp_malloc((n ? n * n : 1) * sizeof(double));
    int rc = p && v ? 0 : -1;
    if (rc == 0)
        rc = cp_figure_set_subtitle(fig, "rank correlation over the cells with both values "
                                         "\xc2\xb7 n/a: fewer than 3 such cells, or a metric "
                                         "is constant");
    for (size_t i = 0; i < n * n && rc == 0; i++) {
        const struct cp_stats_corr *c = &s->corr[i];
        v[i] = c->status == CP_STATS_OK ? c->spearman_r : NAN;
    }
    if (rc == 0)
        rc = cp_panel_set_matrix(p, n, (const char *const *)s->metric_names, v);
    cp_free(v);
    if (rc != 0) {
        cp_figure_free(fig);
        return NULL;
    }
    return fig;
}
