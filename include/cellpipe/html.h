#ifndef CELLPIPE_HTML_H
#define CELLPIPE_HTML_H
/*
 * index.html, the report as one self-contained page (src/sinks/html.c): KPIs, flagged cells
 * with their reasons, the fleet statistics, every plot of plots/ (SVG) inlined, links to
 * summary.pdf, workbook.xlsx, results/cells.csv and the MLflow run. No scripts, no fonts or styles
 * from the network: it reads the same from a file share, a mail client or an air-gapped lab PC.
 *
 * cp_sink_html is a CP_SINK_STAGED sink placed after the plots, PDF, workbook and MLflow
 * sinks and before the manifest. A missing plots/ folder gives a page without plots; an SVG
 * that cannot be read fails the sink (CP_ECANTCREAT), so a page never silently drops a plot.
 */
#include "cellpipe/sink.h"

struct cp_error;
struct cp_strbuf;

extern const struct cp_sink_ops cp_sink_html;

/*
 * Append an SVG document for inlining in HTML: the XML prolog and DOCTYPE are dropped and
 * every id="x", href="#x" and url(#x) becomes "<prefix>x", because cairo numbers ids
 * (glyph0-1, clip1) the same way in every file and one page must not hold two of them.
 * Returns 0, -1 when out of memory, -2 when the SVG holds a <script> element.
 */
int cp_html_inline_svg(struct cp_strbuf *out, const char *svg, const char *prefix);

/* Render the page for a run whose outputs are in dir (the staging folder). 0 or code. */
int cp_html_render(const struct cp_run *run, const char *dir, struct cp_strbuf *out,
                   struct cp_error *err);

/* The statistics section (src/sinks/html_stats.c): nothing when s is NULL. 0 or -1 (memory). */
struct cp_statistics;
int cp_html_statistics(const struct cp_statistics *s, const char *group_by, struct cp_strbuf *sb);

/* The early-life models section (src/sinks/html_models.c): nothing when ml is NULL or empty. */
struct cp_ml_run;
int cp_html_models(const struct cp_ml_run *ml, struct cp_strbuf *sb);

#endif
