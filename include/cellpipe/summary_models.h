#ifndef CELLPIPE_SUMMARY_MODELS_H
#define CELLPIPE_SUMMARY_MODELS_H
/*
 * The early-life models page of summary.pdf (render/summary_models.c), after the statistics
 * page when the run has `models:`: each model's cross-validated error against the baseline's
 * (and a plain "no: do not rely on it" when it does not beat it), predicted against observed
 * life of the finished cells, and the predicted life with its interval of the cells on test.
 * One page by construction (rows capped).
 */
#include <cairo.h>

struct cp_run;
struct cp_text;

/* Draw into the rectangle (x, y, w, h). 0, or -1 when out of memory. */
int cp_summary_models_page(cairo_t *cr, struct cp_text *tx, const struct cp_run *run, double x,
                           double y, double w, double h);

#endif
