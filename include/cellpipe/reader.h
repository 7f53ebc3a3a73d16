#ifndef CELLPIPE_READER_H
#define CELLPIPE_READER_H
/*
 * Cycler export readers (src/sources/files/<format>.c), used by the `files` source,
 * `cellpipe ingest` and `cellpipe inspect`. A reader is a `const struct cp_reader_ops` listed
 * in src/sources/files/registry.c; the format is chosen by content sniffing (highest score),
 * or by name from `source.format`.
 *
 * A reader appends what it reads to the output tables (canonical columns, units converted):
 * per-cycle rows to out->cycles, and at most one row of metadata per cell to out->cells
 * (cell_id at least). A reader of raw time series turns them into per-cycle rows itself
 * (see include/cellpipe/ts.h when present) and never holds the whole series in memory.
 * Errors: CP_EDATA "file:line: what was expected", CP_ENOINPUT when the file is missing.
 */
#include <stddef.h>

#include "cellpipe/table.h"

struct cp_error;
struct cp_ts_point;

struct cp_reader_out {
    struct cp_table *cells;  /* metadata rows (cp_cells_columns) */
    struct cp_table *cycles; /* per-cycle rows (cp_cycles_columns) */
    long long rows_read;     /* data rows the reader consumed (for inputs and inspect) */
    const char *cell_id;     /* default cell id (file name stem) when the file names none */
    /* Optional: dQ/dV curves of raw time series (cell_id, cycle_index, voltage_v,
     * dqdv_ah_per_v, see include/cellpipe/dqdv.h); NULL = not wanted. */
    struct cp_table *curves;
    /* Optional: how the file's columns map (column, maps_to, factor), for `inspect`. */
    struct cp_table *columns;
    /* Optional: every file of this load. A raw time series whose per-cycle summary file is
     * also in the batch adds no cycle rows (the summary's are the published ones). */
    const char *const *batch;
    size_t nbatch;
    /* Optional: every raw point of a time series, in file order, as the reader pushes it into
     * cp_ts (after stitching nothing: the point as read, canonical units). For `cellpipe ingest`
     * (timeseries_data) and the BDF writer. A negative return stops the read with that error.
     * NULL = not wanted. */
    int (*on_point)(void *ctx, const char *cell_id, const struct cp_ts_point *p,
                    struct cp_error *err);
    void *on_point_ctx;
    /* Set by the reader: the dialect it recognised (one of its ops' dialects, or a more exact
     * description), for `inspect` and the log. "" when the format has one dialect. */
    char dialect[96];
};

enum { CP_READER_BINARY = 1 }; /* cp_reader_ops.flags: may claim files holding NUL bytes */

struct cp_reader_ops {
    const char *name; /* e.g. "batteryarchive" */
    const char *description;
    unsigned flags;              /* CP_READER_* */
    const char *const *dialects; /* NULL-terminated, for `inspect --formats`; may be NULL */
    /* Score 0..100: how sure the reader is that this is its format, from the path and the
     * first bytes of the file (head, len <= 64 KiB). 0 = not mine. */
    int (*sniff)(const char *path, const char *head, size_t len);
    int (*read)(const char *path, struct cp_reader_out *out, struct cp_error *err);
};

extern const struct cp_reader_ops *const cp_readers[]; /* NULL-terminated */

/* The reader for `name`, or NULL. */
const struct cp_reader_ops *cp_reader_find(const char *name);
/* Sniff a file: the best reader, or NULL with err set (CP_ENOINPUT missing, CP_EDATA unknown
 * format, empty, binary or cut inside its header line). */
const struct cp_reader_ops *cp_reader_detect(const char *path, struct cp_error *err);
/* cp_reader_detect, telling why a file has no reader: *foreign = 1 when it is whole text that
 * no reader claims (a note or another tool's table beside the exports: a folder passes over
 * it), 0 when it is damaged (empty, binary, cut inside its header line) or missing. */
const struct cp_reader_ops *cp_reader_identify(const char *path, int *foreign,
                                               struct cp_error *err);

#endif
