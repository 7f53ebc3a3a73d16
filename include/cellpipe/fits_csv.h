#ifndef CELLPIPE_FITS_CSV_H
#define CELLPIPE_FITS_CSV_H
/*
 * results/fits.csv, written by the `fits` sink (src/sinks/fits_csv.c; columns in docs/fits.md).
 */
#include "cellpipe/run.h"
#include "cellpipe/strbuf.h"

/* The whole file as text into sb. 0 or -1. */
int cp_fits_csv_format(const struct cp_run *run, struct cp_strbuf *sb);

#endif
