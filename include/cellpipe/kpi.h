#ifndef CELLPIPE_KPI_H
#define CELLPIPE_KPI_H
/*
 * The headline figures and per-cell phrases that the index page and the mail share
 * (src/sinks/kpi.c), so both say the same thing in the same words.
 * Everything reads the run; nothing is allocated except into the caller's strbuf.
 */
#include <stddef.h>

#include "cellpipe/run.h"

struct cp_strbuf;

struct cp_kpi {
    char label[48];
    char value[96];
};

#define CP_KPI_MAX 12

/* Fill out[0..] with the run's KPIs (at most max); returns how many. */
size_t cp_kpi_collect(const struct cp_run *run, struct cp_kpi *out, size_t max);

/* Cells with at least one flag. */
long cp_kpi_flagged(const struct cp_run *run);

/* Metadata of the cell of a result ("" when the column is absent). */
const char *cp_kpi_cell_str(const struct cp_run *run, const struct cp_cell_result *r,
                            const char *column);

/* "kind: reason; kind: reason". 0 or -1. */
int cp_kpi_flags_text(const struct cp_cell_result *r, struct cp_strbuf *sb);

/* "observed at cycle N", "forecast N (95 % lo-hi)", "forecast N (capped)" or "none". 0 or -1. */
int cp_kpi_eol_text(const struct cp_cell_result *r, struct cp_strbuf *sb);

#endif
