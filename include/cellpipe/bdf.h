#ifndef CELLPIPE_BDF_H
#define CELLPIPE_BDF_H
/*
 * Battery Data Format (BDF) time-series CSV writer (src/sources/files/bdf_write.c), following
 * the table schema of the Battery Data Alliance's battery-data-format README (the quantities
 * marked required, recommended and optional there; ontology 1.x labels): one cell per file, the
 * first line the preferred labels ("Test Time / s", "Voltage / V", "Current / A", ...), units
 * fixed, every row as many fields as the header. Current is positive on charge.
 *
 * The writer takes raw points one at a time (struct cp_ts_point, as a reader hands them to
 * out->on_point) and streams them to a temporary file beside the target; cp_bdf_writer_close
 * renames it into place, so a failed conversion leaves no half-written BDF. Memory is one
 * buffer, whatever the length of the series.
 *
 * Values are written as read (the shortest decimal that reads back to the same double, see
 * include/cellpipe/dtoa.h), a missing value as an empty field; a point without test time but
 * with a Unix time gets test time = Unix time - the first such Unix time, as ts.h would count
 * it. So reading the file back with the BDF reader yields the same per-cycle rows.
 *
 * Errors: CP_ECANTCREAT (cannot create or write the file), CP_EDATA (a second cell in one
 * series: a BDF file holds one cell), CP_EINTERNAL (out of memory).
 */
#include "cellpipe/ts.h"

struct cp_error;
struct cp_bdf_writer;

/* Start writing `path` (through a temporary file beside it, include/cellpipe/fs.h). NULL with err
 * set. */
struct cp_bdf_writer *cp_bdf_writer_new(const char *path, struct cp_error *err);
/* Append one point of cell `cell_id` (the first point names the file's cell). 0 or negative. */
int cp_bdf_writer_point(struct cp_bdf_writer *w, const char *cell_id, const struct cp_ts_point *p,
                        struct cp_error *err);
/* The cp_reader_out.on_point hook: ctx is a struct cp_bdf_writer. */
int cp_bdf_on_point(void *ctx, const char *cell_id, const struct cp_ts_point *p,
                    struct cp_error *err);
/* Points written so far. */
long long cp_bdf_writer_points(const struct cp_bdf_writer *w);
/* The cell of the first point, or NULL when none was written. */
const char *cp_bdf_writer_cell(const struct cp_bdf_writer *w);
/* Flush, close and rename into place. 0 or negative; the writer is freed either way. */
int cp_bdf_writer_close(struct cp_bdf_writer *w, struct cp_error *err);
/* Abandon: remove the temporary file and free (NULL accepted). */
void cp_bdf_writer_free(struct cp_bdf_writer *w);

/* Convert one cycler export to BDF at out_path: read path with ops (NULL: detect the format)
 * and stream every raw point into a writer. *points (may be NULL) gets the points written,
 * *cell (may be NULL; cp_free) the cell id the reader gave the series.
 * A reader of per-cycle rows only (Battery Archive cycle files, tidy CSVs) has no time series:
 * CP_EDATA "... holds per-cycle rows only", and no file is left. Errors of the reader and the
 * writer as they come; nothing is left at out_path on failure. */
int cp_bdf_convert(const char *path, const struct cp_reader_ops *ops, const char *out_path,
                   long long *points, char **cell, struct cp_error *err);
/* "<stem>.bdf.csv" for an input path: its base name without the last extension (cp_free).
 * NULL when out of memory. */
char *cp_bdf_output_name(const char *path);

/* The BDF header line the writer writes (without line end), for tests and documentation. */
extern const char cp_bdf_header[];

#endif
