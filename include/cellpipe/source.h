#ifndef CELLPIPE_SOURCE_H
#define CELLPIPE_SOURCE_H
/*
 * Sources fill two tables (DESIGN.md "Data model"):
 *   cells:  one row per cell, canonical metadata columns (cell_id unique) plus extras;
 *   cycles: one row per cell and cycle, canonical columns; only cell_id, cycle_index and
 *           discharge_capacity_ah are required.
 * A source is a `const struct cp_source_ops` listed in the registry (src/sources/registry.c).
 * The runner sorts and groups the tables afterwards; sources need not.
 */
#include "cellpipe/config.h"
#include "cellpipe/table.h"

struct cp_error;

struct cp_input {
    char *name;   /* file path, query id or "sample" */
    char *sha256; /* hex digest of the bytes read, or of the query text + parameters */
    long long bytes;
    char *format; /* reader or source name */
    long long rows;
};

struct cp_dataset {
    struct cp_table *cells;
    struct cp_table *cycles;
    struct cp_table *curves; /* dQ/dV curves from raw time series (may stay empty) */
    struct cp_input *inputs;
    size_t ninputs;
    size_t inputcap;
};

struct cp_run;

struct cp_source_ops {
    const char *name;
    enum cp_source_kind kind;
    /* Fill ds->cells and ds->cycles (created by the caller, empty) and record inputs. */
    int (*load)(const struct cp_config *cfg, struct cp_dataset *ds, struct cp_error *err);
    /* Optional: a lock held for the whole run besides the report folder's (a database
     * advisory lock, so runs on two hosts never overlap). *handle goes to unlock. */
    int (*lock)(const struct cp_run *run, void **handle, struct cp_error *err);
    void (*unlock)(void *handle);
    /* Optional: the runner's "cache" stage, between features and models: restore the results
     * of cells whose data did not change (incremental runs). */
    int (*reuse)(struct cp_run *run, struct cp_error *err);
};

/* NULL-terminated registry. */
extern const struct cp_source_ops *const cp_sources[];

const struct cp_source_ops *cp_source_find(enum cp_source_kind kind);

/* Create the two empty tables. 0 or negative code. */
int cp_dataset_init(struct cp_dataset *ds, struct cp_error *err);
void cp_dataset_release(struct cp_dataset *ds);
/* Record an input (strings copied). 0 or negative code. */
int cp_dataset_add_input(struct cp_dataset *ds, const char *name, const char *sha256,
                         long long bytes, const char *format, long long rows, struct cp_error *err);

/* Canonical column names and types of the cells and cycles tables. */
struct cp_colspec {
    const char *name;
    enum cp_type type;
};
extern const struct cp_colspec cp_cells_columns[];  /* terminated by a NULL name */
extern const struct cp_colspec cp_cycles_columns[]; /* terminated by a NULL name */
/* Add every canonical column to a table. 0 or -1. */
int cp_add_canonical_columns(struct cp_table *t, const struct cp_colspec *spec);

#endif
