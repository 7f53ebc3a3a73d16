#ifndef CELLPIPE_PLOT_H
#define CELLPIPE_PLOT_H
/*
 * The plot driver (render/plot.c; the figure model is in render/figure.c): a figure is plain data
 * (panels holding series, bands, reference lines, markers, histogram groups, box groups or interval
 * rows) and one function draws it on any cairo_t. PDF and SVG are only the choice of surface
 * (cp_plot_render).
 *
 * Ownership: a figure owns everything added to it (labels are copied, arrays allocated by the
 * add functions); cp_figure_free() accepts NULL and half-built figures. Add functions return
 * NULL when memory runs out; nothing is added then.
 *
 * Robustness: NaN and (on log axes) non-positive values are skipped; a panel left with no
 * drawable value shows "no data" in its frame. Drawing never fails on data.
 * Large series are downsampled at draw time (LTTB keeping first, last, min and max) to about
 * two points per point of plot width.
 */
#include <stddef.h>
#include <stdint.h>

#include <cairo.h>

struct cp_error;
struct cp_strbuf;

enum cp_panel_kind {
    CP_PANEL_XY,
    CP_PANEL_HISTOGRAM,
    CP_PANEL_BOX,
    CP_PANEL_INTERVALS,
    CP_PANEL_HEATMAP /* a square matrix of values in [-1, 1] (correlations) */
};

/* DOT: small data point; DISC: a large filled point (an observed event); CIRCLE: open
 * (a forecast); DIAMOND: knee; CROSS: anomaly; TRIANGLE: pointing right (capped forecast);
 * TICK: a short vertical stroke on a curve (a censored observation on a survival curve). */
enum cp_mark {
    CP_MARK_NONE,
    CP_MARK_DOT,
    CP_MARK_CIRCLE,
    CP_MARK_DIAMOND,
    CP_MARK_CROSS,
    CP_MARK_TRIANGLE,
    CP_MARK_DISC,
    CP_MARK_TICK
};

struct cp_series {
    char *label; /* legend text; NULL: not in the legend */
    int color;   /* palette index; -1: neutral grey */
    int line;    /* join the points */
    int dashed;  /* overlays (fitted curves) */
    int faint;   /* thin and light: single cells behind a group summary */
    int bold;    /* thick: the group summary itself */
    enum cp_mark mark;
    size_t n;
    double *x, *y;   /* n values each */
    double *lo, *hi; /* band drawn under the series (cp_series_add_band), or NULL; the band
                      * is drawn only where both are defined, one piece per defined run */
};

struct cp_hline {
    double y;
    char *label;
};

struct cp_marker {
    double x, y;
    enum cp_mark mark;
    int color;
    char *label; /* legend text, or NULL */
};

/* Values of one group, for histograms and box plots. */
struct cp_values {
    char *label;
    int color;
    size_t n;
    double *v;
};

/* One row of an interval plot (EOL forecasts): a value with its interval. */
struct cp_interval_row {
    char *label;
    double value, lo, hi; /* lo/hi NaN: no interval */
    int color;
    enum cp_mark mark; /* CP_MARK_DISC observed, CP_MARK_CIRCLE forecast, TRIANGLE capped */
};

struct cp_panel {
    enum cp_panel_kind kind;
    char *title, *xlabel, *ylabel;
    int log_x, log_y;
    double x_min, x_max, y_min, y_max; /* NaN: automatic */
    char *empty_reason; /* shown under "no data" when the panel has nothing to draw */
    struct cp_series *series;
    size_t nseries, series_cap;
    struct cp_hline *hlines;
    size_t nhlines, hlines_cap;
    struct cp_marker *markers;
    size_t nmarkers, markers_cap;
    struct cp_values *values;
    size_t nvalues, values_cap;
    struct cp_interval_row *rows;
    size_t nrows, rows_cap;
    /* CP_PANEL_HEATMAP: nmatrix x nmatrix values, row-major (NaN: shown as "n/a") */
    size_t nmatrix;
    char **matrix_labels; /* [nmatrix], the rows' and the columns' names */
    double *matrix;
};

struct cp_legend_entry {
    char *label;
    int color;
    int line, dashed, fill;
    enum cp_mark mark;
};

struct cp_figure {
    char *title, *subtitle;
    int columns; /* panels per row; 0: automatic */
    struct cp_panel *panels;
    size_t npanels, panels_cap;
    struct cp_legend_entry *legend; /* explicit entries, before the automatic ones */
    size_t nlegend, legend_cap;
};

enum cp_plot_format { CP_PLOT_PDF, CP_PLOT_SVG };

struct cp_figure *cp_figure_new(const char *title);
void cp_figure_free(struct cp_figure *fig);
int cp_figure_set_subtitle(struct cp_figure *fig, const char *s);
struct cp_panel *cp_figure_add_panel(struct cp_figure *fig, enum cp_panel_kind kind,
                                     const char *title, const char *xlabel, const char *ylabel);
struct cp_legend_entry *cp_figure_add_legend(struct cp_figure *fig, const char *label, int color);

/* A series of n points, x and y allocated (uninitialised) for the caller to fill. */
struct cp_series *cp_panel_add_series(struct cp_panel *p, const char *label, int color, size_t n);
/* Allocate lo/hi arrays (n values) for a band around s. 0 or -1. */
int cp_series_add_band(struct cp_series *s);
struct cp_hline *cp_panel_add_hline(struct cp_panel *p, double y, const char *label);
struct cp_marker *cp_panel_add_marker(struct cp_panel *p, double x, double y, enum cp_mark mark,
                                      int color, const char *label);
/* Copies v (n values). */
struct cp_values *cp_panel_add_values(struct cp_panel *p, const char *label, int color,
                                      const double *v, size_t n);
struct cp_interval_row *cp_panel_add_row(struct cp_panel *p, const char *label, double value,
                                         double lo, double hi, int color, enum cp_mark mark);
int cp_panel_set_empty_reason(struct cp_panel *p, const char *why);
/* The matrix of a CP_PANEL_HEATMAP: labels[n] and values[n * n] (row-major) are copied,
 * replacing any matrix the panel had. 0 or -1. */
int cp_panel_set_matrix(struct cp_panel *p, size_t n, const char *const *labels,
                        const double *values);

/* Draw fig into the rectangle (x, y, w, h) of cr, in points. 0, or -1 when out of memory. */
int cp_plot_draw(cairo_t *cr, const struct cp_figure *fig, double x, double y, double w, double h);

/*
 * Render fig as a whole PDF or SVG document of w x h points into out (appended). The PDF's
 * creation date is `epoch` (Unix seconds), so equal input gives equal bytes.
 * 0 or CP_EINTERNAL with err set.
 */
int cp_plot_render(const struct cp_figure *fig, enum cp_plot_format fmt, double w, double h,
                   int64_t epoch, struct cp_strbuf *out, struct cp_error *err);

/* cairo write callback appending to a struct cp_strbuf (closure), for PDF/SVG streams. */
cairo_status_t cp_plot_write_strbuf(void *closure, const unsigned char *data, unsigned int length);
/* Format epoch as the ISO 8601 date cairo's PDF metadata takes. */
void cp_plot_pdf_date(int64_t epoch, char *buf, size_t n);

#endif
