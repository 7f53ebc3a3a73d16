/*
 * Private to the chart catalogue's files (include/cellpipe/charts.h is the contract). Each file
 * calls only those above it in this list:
 *   charts_labels.c  labels and units of columns and metadata, results as named values
 *   charts_data.c    colour groups, a plot resolved against the run, per-cell series, overlays
 *   charts_sample.c  large fleets: the cells drawn past plots.max_cells, group bands
 *   charts_fleet.c   every cell on one panel with group medians, flagged cells,
 *                    distributions, end of life per cell
 *   charts_curves.c  dQ/dV curves, one panel per cell
 *   charts_stats.c   fleet statistics: survival curves, correlation heat map
 *   charts.c         the catalogue: default and configured plots built into figures
 */
#ifndef CELLPIPE_CHARTS_INTERNAL_H
#define CELLPIPE_CHARTS_INTERNAL_H
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

#define FIT_POINTS 160
#define MAX_FIT_PANELS 12
#define MAX_EOL_ROWS 60
#define BAND_Z 1.96
#define CURVE_X "voltage_v"
#define CURVE_Y "dqdv_ah_per_v"
#define DQDV_CYCLES 5      /* curves per cell: first, last and three between */
#define FULL_CYCLE 0.5     /* share of a cell's largest discharge that makes a comparable curve */
#define CHART_MAX_CELLS 60 /* plots.max_cells when the config has none */
#define BAND_BINS 300      /* x bins of a fleet band: about one per 2 pt of a 720 pt plot */
#define BAND_LO 0.05
#define BAND_HI 0.95

struct groups {
    char **names; /* sorted, unique */
    size_t n;
    int *of_cell; /* group of each cells row */
};

struct spec {
    const struct cp_plot_config *pc;
    const struct cp_run *run;
    int xcol, ycol; /* cycles columns, -1 when absent */
    int cells_ycol; /* metadata column for per-cell histogram/box values */
    int per_cell;   /* histogram/box: one value per cell */
    double xscale, yscale;
    char xlabel[128], ylabel[128]; /* ylabel fits "<96> (% of nominal capacity)" */
    int retention_like;            /* y is retention in percent: the EOL threshold applies */
    int summary;                   /* cells drawn faint under a per-group median line */
    int fit_axes;                  /* x is cycle_index and y capacity_retention: fits overlay */
    int curves;                    /* y is dqdv_ah_per_v: drawn from the dQ/dV curves table */
    struct groups groups;
};

/* charts_curves.c */
int chart_build_curves(struct cp_figure *fig, const struct spec *sp);
/* charts_data.c */
int chart_cmp_double(const void *a, const void *b); /* qsort order of doubles */
int chart_add_cell_series(struct cp_panel *p, const struct spec *sp, size_t row, const char *label,
                          int color);
int chart_add_overlays(struct cp_panel *p, const struct spec *sp, size_t row, int color,
                       unsigned ov);
int chart_add_threshold(struct cp_panel *p, const struct spec *sp);
const char *chart_cell_id(const struct cp_run *run, size_t row);
int chart_cell_slice(const struct cp_run *run, size_t row, size_t *b, size_t *e);
int chart_distribution(const struct cp_plot_config *pc);
int chart_groups_build(const struct cp_table *cells, const char *column, struct groups *g);
void chart_groups_release(struct groups *g);
double chart_norm_factor(const struct spec *sp, size_t row, size_t b, size_t e);
const char *chart_or_default(const char *s, const char *d);
const struct cp_cell_result *chart_result_of(const struct cp_run *run, size_t row);
void chart_spec_resolve(struct spec *sp, const struct cp_run *run, const struct cp_plot_config *pc);
/* charts_fleet.c */
int chart_build_distribution(struct cp_figure *fig, const struct spec *sp);
int chart_build_eol(struct cp_figure *fig, const struct spec *sp);
int chart_build_flagged(struct cp_figure *fig, const struct spec *sp);
int chart_build_xy_all(struct cp_figure *fig, const struct spec *sp);
size_t chart_ncells(const struct cp_run *run);
/* charts_sample.c */
size_t chart_max_cells(const struct cp_run *run);
double chart_kth(double *v, size_t n, size_t k); /* k-th smallest; reorders v */
double chart_median(double *v, size_t n);        /* as of sorted v; reorders v, n > 0 */
int chart_sampled(const struct spec *sp);        /* more cells than plots.max_cells */
long chart_pick_cells(const struct spec *sp, unsigned char *drawn);
int chart_add_bands(struct cp_panel *p, const struct spec *sp, int median);
int chart_sample_caption(struct cp_figure *fig, const struct spec *sp, size_t drawn);
/* charts_labels.c */
double chart_cell_value(const struct cp_cell_result *r, const char *name);
int chart_is_cell_value(const char *name);
const char *chart_meta_label(const char *column);
const char *chart_meta_label_lower(const char *column, char *buf, size_t n);
const char *chart_model_title(int m);

#endif
