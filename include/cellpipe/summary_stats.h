#ifndef CELLPIPE_SUMMARY_STATS_H
#define CELLPIPE_SUMMARY_STATS_H
/*
 * The fleet statistics page of summary.pdf (render/summary_stats.c), drawn between the fleet
 * table and the plots when the statistics stage ran: "Fleet statistics - by <group_by>", a
 * table of the groups (cells, events, median cycle life with its interval from Kaplan-Meier),
 * the survival curves, and the significant differences as a bulleted list. One page: the
 * table shows at most CP_STATS_PAGE_ROWS groups (the rest are in results/statistics.csv) and
 * each finding at most two lines.
 */
#include <stddef.h>

#include <cairo.h>

struct cp_figure;
struct cp_run;
struct cp_statistics;
struct cp_text;

#define CP_STATS_PAGE_ROWS 14
#define CP_STATS_PAGE_FINDINGS 6 /* findings the page has room for */

/*
 * Draw the page body into the rectangle (x, y, w, h) of cr. km: the survival figure, or NULL
 * for none; colors[g]: group g's palette index (NULL: its position). findings: the sentences of
 * cp_statistics_findings(); none gives "No significant difference at alpha = ... after ...
 * correction". 0, or -1 when out of memory.
 */
int cp_summary_stats_draw(cairo_t *cr, struct cp_text *tx, const struct cp_statistics *s,
                          const char *group_by, const struct cp_figure *km, const int *colors,
                          const char *const *findings, size_t nfindings, double x, double y,
                          double w, double h);

/* cp_summary_stats_draw() for run->statistics: its group_by, the run's group colours and the
 * survival figure built here. 0, or -1 when out of memory. */
int cp_summary_stats_page(cairo_t *cr, struct cp_text *tx, const struct cp_run *run,
                          const char *const *findings, size_t nfindings, double x, double y,
                          double w, double h);

#endif
