#ifndef CELLPIPE_TIDY_H
#define CELLPIPE_TIDY_H
/*
 * Tidy per-cycle CSVs (src/sources/files/tidy.c): one row per cycle, one column per quantity,
 * as people make them themselves. Two ways in:
 *  - the `tidy` reader (registry): a header whose names are cellpipe's canonical per-cycle
 *    columns (include/cellpipe/dataset.h; results/cycles.csv writes them), with cycle_index
 *    and at least one capacity column; other columns are passed over;
 *  - cp_tidy_read with a mapping (the files source's `columns:`): file column -> canonical
 *    column, with the factor of its unit (include/cellpipe/units.h).
 * The cell id comes from a column mapped to cell_id, else out->cell_id, else the file name.
 * The delimiter is guessed from the header (',', ';' or tab).
 * Errors (CP_EDATA "path:line: ..."): no cycle_index or no capacity column, a row with another
 * number of fields than the header, a value that is not a number (an integer for
 * cycle_index), a missing cycle_index. CP_ENOINPUT: the file cannot be opened.
 */
#include <stddef.h>

#include "cellpipe/reader.h"

struct cp_tidy_map {
    const char *file_column; /* header name in the file (compared ignoring case) */
    const char *canonical;   /* a cp_cycles_columns name */
    double factor;           /* to the canonical unit */
};

/* Read path into out->cycles (and a row per cell into out->cells). map NULL: canonical names.
 * 0 or a negative code. */
int cp_tidy_read(const char *path, const struct cp_tidy_map *map, size_t nmap,
                 struct cp_reader_out *out, struct cp_error *err);
/* 1 when the header (first line) of path names every file column of map, 0 when not or
 * unreadable. */
int cp_tidy_matches(const char *path, const struct cp_tidy_map *map, size_t nmap);

#endif
