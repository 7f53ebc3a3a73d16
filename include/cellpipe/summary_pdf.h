#ifndef CELLPIPE_SUMMARY_PDF_H
#define CELLPIPE_SUMMARY_PDF_H
/*
 * The multi-page summary.pdf (render/summary_pdf.c), A4 portrait:
 *   page 1   pipeline, date, data window, six KPI tiles (cells, cycles, cells past EOL,
 *            median forecast EOL, worst fade, validation issues), flagged cells with reasons;
 *   then     the rest of the flagged-cells table, the fleet table (one row per cell),
 *            paginated with the header repeated on every page; past report.summary_cells
 *            both list only the cells summary_rows.h chooses, and say where the rest is;
 *   then     when the statistics stage ran, one page of fleet statistics (summary_stats.h):
 *            groups with median cycle life, the survival curves, the significant differences;
 *   then     the plots, two per page (a grid of panels gets a page of its own).
 * Every page has a footer "page x of y", the run date and the data fingerprint.
 * Rows are one line each (long text is cut with an ellipsis), so pagination is known before
 * drawing and "of y" is exact.
 *
 * The creation date is cp_charts_epoch(run): equal input and date give equal bytes.
 */
#include "cellpipe/charts.h"

struct cp_run;
struct cp_error;
struct cp_strbuf;

/* Render the summary of run, with the plot pages from charts, as a PDF into out (appended).
 * 0, or CP_EINTERNAL with err set. */
int cp_summary_pdf_render(const struct cp_run *run, const struct cp_chart_list *charts,
                          struct cp_strbuf *out, struct cp_error *err);

#endif
