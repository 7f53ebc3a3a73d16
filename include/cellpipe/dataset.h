#ifndef CELLPIPE_DATASET_H
#define CELLPIPE_DATASET_H
/*
 * The data model's contract (DESIGN.md "Data model"): the tables a source fills and every later
 * stage reads, and their canonical columns.
 *   cells:  one row per cell, canonical metadata columns (cell_id unique) plus extras;
 *   cycles: one row per cell and cycle, canonical columns; only cell_id, cycle_index and
 *           discharge_capacity_ah are required;
 *   curves: dQ/dV curves from raw time series (may stay empty).
 * The dataset owns its tables and input records; cp_dataset_release frees them.
 */
#include <stddef.h>

#include "cellpipe/table.h"

struct cp_error;

struct cp_input {
    char *name;   /* file path, query id or "sample" */
    char *sha256; /* hex digest of the bytes read, or of the query text + parameters */
    long long bytes;
    char *format; /* reader or source name */
    long long rows;
};
/* A file that source.on_error: skip left out, and why (the error message). */
struct cp_skipped {
    char *name;
    char *reason;
};
struct cp_dataset {
    struct cp_table *cells;
    struct cp_table *cycles;
    struct cp_table *curves; /* dQ/dV curves from raw time series (may stay empty) */
    struct cp_input *inputs;
    size_t ninputs;
    size_t inputcap;
    struct cp_skipped *skipped; /* for the manifest: what the run did not read */
    size_t nskipped;
    size_t skippedcap;
};

/* Create the two empty tables. 0 or negative code. */
int cp_dataset_init(struct cp_dataset *ds, struct cp_error *err);
void cp_dataset_release(struct cp_dataset *ds);
/* Record an input (strings copied). 0 or negative code. */
int cp_dataset_add_input(struct cp_dataset *ds, const char *name, const char *sha256,
                         long long bytes, const char *format, long long rows, struct cp_error *err);

/* Record a skipped file (strings copied). 0 or negative code. */
int cp_dataset_add_skipped(struct cp_dataset *ds, const char *name, const char *reason,
                           struct cp_error *err);

/* Canonical column names and types of the cells and cycles tables. */
struct cp_colspec {
    const char *name;
    enum cp_type type;
};
extern const struct cp_colspec cp_cells_columns[];  /* terminated by a NULL name */
extern const struct cp_colspec cp_cycles_columns[]; /* terminated by a NULL name */
/* The per-cycle columns the features stage adds (CP_F64), in this order and before its
 * rolling-window ones (features.c); NULL-terminated. */
#define CP_FEATURE_COLUMNS 8
extern const char *const cp_feature_columns[CP_FEATURE_COLUMNS + 1];
/* Nonzero when `name` is a column the cycles table can hold after the stages: a canonical
 * one, a feature (include/cellpipe/features.h; retention_mean_<w>, retention_std_<w> for any
 * window w) or the models stage's `anomaly`. For checking configuration up front. */
int cp_cycles_column_known(const char *name);
/* Add every canonical column to a table. 0 or -1. */
int cp_add_canonical_columns(struct cp_table *t, const struct cp_colspec *spec);

/* The row of cell_id in a cells table, added (with a cell_id column if missing) when absent:
 * readers call it for each cell they meet. Row, or -1 when memory runs out. */
long cp_dataset_cell_row(struct cp_table *cells, const char *cell_id);

#endif
