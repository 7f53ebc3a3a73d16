#ifndef CELLPIPE_CHARTS_H
#define CELLPIPE_CHARTS_H
/*
 * From a run to figures (render/charts.c): resolves the `plots:` section of the pipeline and
 * the default plot set against the run's tables and per-cell results, and builds one
 * struct cp_figure per plot for the driver (plot.h). Used by the plots sink (plots/<name>.*)
 * and the summary sink (the plot pages of summary.pdf), so both show the same plots.
 *
 * Columns: x and y of line/scatter plots name a cycles column or feature; histogram and box
 * plots take one value per cell when y names a per-cell result (fade_rate, last_retention,
 * eol_forecast, ...) or a numeric metadata column, else every cycle's value. group_by names a
 * metadata column; group colours follow the sorted group values over all cells, so a group
 * has the same colour in every plot of a run.
 *
 * Large fleets: a curve plot of more than plots.max_cells cells draws that many (extremes,
 * flagged, an even sample by rank) over each group's median and 5-95 % band of all cells,
 * and its subtitle says "N of M cells drawn" (docs/plots.md "Large fleets").
 *
 * Errors: a configured plot naming a column that does not exist is CP_ECONFIG,
 * "pipeline.yaml:12: unknown column 'foo' in plot 'bar'". Data problems (empty, NaN, one
 * point, non-positive on a log axis) are not errors: the figure says "no data".
 */
#include <stddef.h>

#include "cellpipe/plot.h"

struct cp_run;
struct cp_error;
struct cp_plot_config;

struct cp_chart {
    char *name; /* file stem under plots/ */
    struct cp_figure *fig;
};

struct cp_chart_list {
    struct cp_chart *v;
    size_t n, cap;
};

/* Check every configured plot's columns against the run's tables. 0 or CP_ECONFIG. */
int cp_charts_check(const struct cp_run *run, struct cp_error *err);

/*
 * Build the configured plots, then the default set when cfg->plots.defaults (a configured
 * plot with a default's name replaces it). The list owns its figures: cp_charts_release().
 */
int cp_charts_build(const struct cp_run *run, struct cp_chart_list *out, struct cp_error *err);
void cp_charts_release(struct cp_chart_list *l);

/* The creation time written into PDFs: SOURCE_DATE_EPOCH when set (reproducible builds
 * convention), else run->epoch, else the run date at 00:00 UTC. */
#include <stdint.h>
int64_t cp_charts_epoch(const struct cp_run *run);

/* Height in points for a figure drawn `width` wide: taller for grids of panels. */
double cp_charts_height(const struct cp_figure *fig, double width, double height);

/* Axis label with unit for a column ("Capacity retention (%)") and the factor that turns
 * stored values into the labelled unit (100 for fractions shown as percent). */
const char *cp_charts_label(const char *column, double *scale, char *buf, size_t n);

/* Value of a degradation model at cycle n (DESIGN.md "Degradation models"); NaN when the
 * parameters do not define one. */
double cp_charts_model_eval(int model, const double *p, double n);

#endif
