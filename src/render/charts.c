/* The chart catalogue: the default set of plots and the configured ones, each resolved against the
 * run and built into a figure (include/cellpipe/charts.h). */
#include "cellpipe/charts.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cellpipe/alloc.h"
#include "cellpipe/charts_stats.h"
#include "cellpipe/config.h"
#include "cellpipe/error.h"
#include "cellpipe/fit.h"
#include "cellpipe/palette.h"
#include "cellpipe/run.h"
#include "cellpipe/statistics.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/timeutil.h"
#include "charts_internal.h"

/* ---- figures ---- */

/* SPECIAL_CURVES: a default drawn only when the run has dQ/dV curves (raw time series). */
enum special { SPECIAL_NONE, SPECIAL_EOL, SPECIAL_SUMMARY, SPECIAL_CURVES };

static int subtitle(struct cp_figure *fig, const struct spec *sp)
{
    struct cp_strbuf sb = CP_STRBUF_INIT;
    const struct cp_run *run = sp->run;
    const char *name = run->cfg && run->cfg->name ? run->cfg->name : "pipeline";
    char lower[64];
    int rc = cp_strbuf_addf(&sb, "%s \xc2\xb7 %s \xc2\xb7 %zu cells", name, run->date,
                            chart_ncells(run));
    if (rc == 0 && sp->groups.n > 1)
        rc =
            cp_strbuf_addf(&sb, " \xc2\xb7 colour by %s",
                           chart_meta_label_lower(chart_or_default(sp->pc->group_by, "design_name"),
                                                  lower, sizeof(lower)));
    if (rc == 0)
        rc = cp_figure_set_subtitle(fig, sb.buf);
    cp_strbuf_release(&sb);
    return rc;
}

/* An axis label without its unit: titles read "Capacity retention vs Cycle number". */
static int add_bare(struct cp_strbuf *sb, const char *label)
{
    const char *paren = strstr(label, " (");
    return cp_strbuf_add(sb, label, paren ? (size_t)(paren - label) : strlen(label));
}

static int default_title(const struct spec *sp, struct cp_strbuf *sb)
{
    if (sp->pc->title && *sp->pc->title)
        return cp_strbuf_adds(sb, sp->pc->title);
    int rc = add_bare(sb, sp->ylabel);
    char lower[64];
    if (rc == 0 && chart_distribution(sp->pc))
        return cp_strbuf_addf(
            sb, " by %s",
            chart_meta_label_lower(chart_or_default(sp->pc->group_by, "design_name"), lower,
                                   sizeof(lower)));
    if (rc == 0)
        rc = cp_strbuf_adds(sb, " vs ");
    return rc == 0 ? add_bare(sb, sp->xlabel) : rc;
}

static int build_one(const struct cp_run *run, const struct cp_plot_config *pc,
                     enum special sp_kind, struct cp_figure **out)
{
    struct spec sp;
    struct cp_strbuf title = CP_STRBUF_INIT;
    struct cp_figure *fig = NULL;
    int rc = -1;
    chart_spec_resolve(&sp, run, pc);
    sp.summary = sp_kind == SPECIAL_SUMMARY;
    const char *gb = pc->group_by && *pc->group_by ? pc->group_by : "design_name";
    if (chart_groups_build(run->data.cells, gb, &sp.groups) != 0)
        goto cleanup;
    if (default_title(&sp, &title) != 0 || !(fig = cp_figure_new(title.buf)))
        goto cleanup;
    if (subtitle(fig, &sp) != 0)
        goto cleanup;
    if (sp_kind == SPECIAL_EOL)
        rc = chart_build_eol(fig, &sp);
    else if (sp.curves)
        rc = chart_build_curves(fig, &sp);
    else if (chart_distribution(pc))
        rc = chart_build_distribution(fig, &sp);
    else if (pc->cells && strcmp(pc->cells, "flagged") == 0)
        rc = chart_build_flagged(fig, &sp);
    else
        rc = chart_build_xy_all(fig, &sp);
cleanup:
    cp_strbuf_release(&title);
    chart_groups_release(&sp.groups);
    if (rc != 0) {
        cp_figure_free(fig);
        fig = NULL;
    }
    *out = fig;
    return rc;
}

/* ---- the default set ---- */

#define ALL_OVERLAYS                                                                               \
    (CP_OVERLAY_FIT | CP_OVERLAY_BAND | CP_OVERLAY_THRESHOLD | CP_OVERLAY_KNEE |                   \
     CP_OVERLAY_ANOMALIES)

struct default_plot {
    struct cp_plot_config pc;
    enum special special;
};

static const struct default_plot defaults[] = {
    {{"retention_by_design", CP_PLOT_LINE, "cycle_index", "capacity_retention", "design_name",
      CP_NORM_NONE, 0, 0, NAN, NAN, NAN, NAN, "Capacity retention by design", CP_OVERLAY_THRESHOLD,
      "all", 0},
     SPECIAL_NONE},
    {{"coulombic_efficiency", CP_PLOT_LINE, "cycle_index", "coulombic_efficiency", "design_name",
      CP_NORM_NONE, 0, 0, NAN, NAN, NAN, NAN, "Coulombic efficiency", 0, "all", 0},
     SPECIAL_SUMMARY},
    {{"energy_efficiency", CP_PLOT_LINE, "cycle_index", "energy_efficiency", "design_name",
      CP_NORM_NONE, 0, 0, NAN, NAN, NAN, NAN, "Energy efficiency", 0, "all", 0},
     SPECIAL_SUMMARY},
    {{"fade_rate_by_design", CP_PLOT_BOX, "cycle_index", "fade_rate", "design_name", CP_NORM_NONE,
      0, 0, NAN, NAN, NAN, NAN, "Fade rate per cell, by design", 0, "all", 0},
     SPECIAL_NONE},
    {{"eol_forecast", CP_PLOT_LINE, "cycle_index", "capacity_retention", "design_name",
      CP_NORM_NONE, 0, 0, NAN, NAN, NAN, NAN, "End of life per cell", 0, "all", 0},
     SPECIAL_EOL},
    {{"flagged_fits", CP_PLOT_SCATTER, "cycle_index", "capacity_retention", "design_name",
      CP_NORM_NONE, 0, 0, NAN, NAN, NAN, NAN, "Flagged cells: data, fit and end of life",
      ALL_OVERLAYS, "flagged", 0},
     SPECIAL_NONE},
    {{"dqdv", CP_PLOT_LINE, CURVE_X, CURVE_Y, "design_name", CP_NORM_NONE, 0, 0, NAN, NAN, NAN, NAN,
      "Incremental capacity (dQ/dV) by cycle", 0, "all", 0},
     SPECIAL_CURVES},
};

static int configured(const struct cp_run *run, const char *name)
{
    for (size_t i = 0; run->cfg && i < run->cfg->plots.nlist; i++)
        if (run->cfg->plots.list[i].name && strcmp(run->cfg->plots.list[i].name, name) == 0)
            return 1;
    return 0;
}

static int list_add(struct cp_chart_list *l, const char *name, struct cp_figure *fig)
{
    char *n = cp_strdup(name);
    if (!n || cp_grow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v)) != 0) {
        cp_free(n);
        cp_figure_free(fig);
        return -1;
    }
    l->v[l->n++] = (struct cp_chart){n, fig};
    return 0;
}

/* The fleet statistics' figures, when that stage ran: part of the default set, so a configured
 * plot of the same name replaces them and `defaults: false` leaves them out. */
static int add_statistics(const struct cp_run *run, struct cp_chart_list *out)
{
    const struct cp_statistics *s = run->statistics;
    struct cp_figure *fig;
    if (!s)
        return 0;
    if (s->ngroups >= 1 && !configured(run, "survival") &&
        (!(fig = cp_charts_survival_run(run)) || list_add(out, "survival", fig) != 0))
        return -1;
    if (s->nmetrics >= 2 && !configured(run, "correlation") &&
        (!(fig = cp_charts_correlation(s)) || list_add(out, "correlation", fig) != 0))
        return -1;
    return 0;
}

int cp_charts_build(const struct cp_run *run, struct cp_chart_list *out, struct cp_error *err)
{
    memset(out, 0, sizeof(*out));
    int rc = cp_charts_check(run, err);
    if (rc != 0)
        return rc;
    size_t nlist = run->cfg ? run->cfg->plots.nlist : 0;
    for (size_t i = 0; i < nlist; i++) {
        const struct cp_plot_config *pc = &run->cfg->plots.list[i];
        struct cp_figure *fig;
        if (build_one(run, pc, SPECIAL_NONE, &fig) != 0 || list_add(out, pc->name, fig) != 0)
            goto oom;
    }
    int want_defaults = !run->cfg || run->cfg->plots.defaults;
    for (size_t i = 0; want_defaults && i < sizeof(defaults) / sizeof(defaults[0]); i++) {
        const struct default_plot *d = &defaults[i];
        struct cp_figure *fig;
        if (configured(run, d->pc.name))
            continue;
        if (d->special == SPECIAL_CURVES && (!run->data.curves || run->data.curves->nrows == 0))
            continue;
        if (build_one(run, &d->pc, d->special, &fig) != 0 || list_add(out, d->pc.name, fig) != 0)
            goto oom;
    }
    if (want_defaults && add_statistics(run, out) != 0)
        goto oom;
    return 0;
oom:
    cp_charts_release(out);
    return cp_error_oom(err);
}

void cp_charts_release(struct cp_chart_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        cp_free(l->v[i].name);
        cp_figure_free(l->v[i].fig);
    }
    cp_free(l->v);
    memset(l, 0, sizeof(*l));
}

int64_t cp_charts_epoch(const struct cp_run *run)
{
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (sde && *sde) {
        char *end;
        long long v = strtoll(sde, &end, 10);
        if (*end == '\0' && v >= 0)
            return (int64_t)v;
    }
    if (run->epoch > 0)
        return run->epoch;
    int64_t t = 0;
    return cp_parse_date(run->date, &t) == 0 ? t : 0;
}

#define ROW_PT 12.0 /* an interval row stays readable at 8 pt type */

double cp_charts_height(const struct cp_figure *fig, double width, double height)
{
    if (fig->npanels == 1 && fig->panels[0].kind == CP_PANEL_INTERVALS)
        return fmax(height, 90 + ROW_PT * (double)fig->panels[0].nrows);
    if (fig->npanels <= 1)
        return height;
    size_t cols = fig->columns > 0 ? (size_t)fig->columns : 1;
    size_t rows = (fig->npanels + cols - 1) / cols;
    /* about 0.65 of a panel's width per row, plus the title block and the legend below */
    double per_row = width / (double)cols * 0.65;
    return fmax(height, 100 + per_row * (double)rows);
}
