/*
 * Private to the plot driver's files (include/cellpipe/plot.h is the contract). Each file calls
 * only those above it in this list:
 *   plot_frame.c   primitives: scales, markers, the no-data note, frame layout, grid, axes
 *   plot_xy.c      x/y panels: extents, robust y range, bands, series, reference lines
 *   plot_panels.c  histogram, box-plot and interval-row panels
 *   plot_heatmap.c matrix panels (correlations) with their colour bar
 *   plot_legend.c  the legend, always outside the data on the right
 *   plot.c         the figure (titles, legend, panel grid) and the PDF/SVG surfaces
 */
#ifndef CELLPIPE_PLOT_INTERNAL_H
#define CELLPIPE_PLOT_INTERNAL_H
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

struct legend {
    const struct cp_legend_entry *e[MAX_LEGEND];
    struct cp_legend_entry auto_e[MAX_LEGEND];
    size_t n, hidden;
};

/* plot_frame.c */
void plt_clip_frame(cairo_t *cr, const struct frame *f);
void plt_draw_axes(struct dc *dc, const struct frame *f, const char *xlabel, const char *ylabel,
                   double left_extra);
void plt_draw_grid(struct dc *dc, const struct frame *f);
void plt_draw_mark(cairo_t *cr, enum cp_mark mark, double x, double y, int color);
void plt_draw_no_data(struct dc *dc, struct rect r, const char *why);
void plt_grey(cairo_t *cr, double v);
int plt_in_fixed(double v, double lo, double hi);
void plt_layout_frame(struct dc *dc, struct frame *f, struct rect r, const char *xlabel,
                      const char *ylabel, double left_extra, int integer_y);
double plt_px(const struct frame *f, double v);
double plt_py(const struct frame *f, double v);
int plt_valid(double v, int log);
/* plot_legend.c */
void plt_draw_legend(struct dc *dc, const struct legend *lg, double x, double y, double w,
                     double h);
void plt_legend_collect(struct legend *lg, const struct cp_figure *fig);
double plt_legend_rows(struct dc *dc, const struct legend *lg, double x, double y, double w,
                       int max_rows, int draw);
double plt_legend_width(struct dc *dc, const struct legend *lg, double max_w);
/* plot_panels.c */
int plt_draw_boxes(struct dc *dc, const struct cp_panel *p, struct rect r);
int plt_draw_histogram(struct dc *dc, const struct cp_panel *p, struct rect r);
int plt_draw_intervals(struct dc *dc, const struct cp_panel *p, struct rect r);
/* plot_heatmap.c */
int plt_draw_heatmap(struct dc *dc, const struct cp_panel *p, struct rect r);
/* plot_xy.c */
int plt_draw_xy(struct dc *dc, const struct cp_panel *p, struct rect r);

/* svg_ids.c: cairo's process-wide ids in the SVG at out->buf + start renumbered from 0 in
 * order of first use, so the file does not depend on other threads' drawing. 0 or -1 (out
 * of memory). */
int cp_svg_renumber_ids(struct cp_strbuf *out, size_t start);
void plt_stroke_style(cairo_t *cr, const struct cp_series *s);

#endif
