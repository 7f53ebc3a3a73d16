#ifndef CELLPIPE_SOURCE_H
#define CELLPIPE_SOURCE_H
/*
 * Sources fill the dataset (include/cellpipe/dataset.h: cells, cycles, curves and the
 * inputs read).
 * A source is a `const struct cp_source_ops` listed in the registry (src/sources/registry.c).
 * The runner sorts and groups the tables afterwards; sources need not.
 */
#include "cellpipe/config.h"
#include "cellpipe/dataset.h"
#include "cellpipe/table.h"

struct cp_error;

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
    /* Optional, with lock: called right before publish; fails (CP_ETEMPFAIL) when the lock
     * was lost during the run (its session ended), so that nothing is published alongside
     * a run that took it since. */
    int (*check_lock)(void *handle, struct cp_error *err);
    /* Optional, incremental runs; the source's own state of the run lives in
     * run->source_state, which reuse creates and release frees.
     * reuse: the runner's "cache" stage, between features and models: restore the results of
     * cells whose data did not change, lent to the models stage through run->reuse.
     * save: after the staged sinks, before publish: keep the results computed in this run
     * (a failure fails the run). commit: after publish: record what this run has seen
     * (a failure is reported, exit 69, and the report stays). */
    int (*reuse)(struct cp_run *run, struct cp_error *err);
    int (*save)(const struct cp_run *run, struct cp_error *err);
    int (*commit)(const struct cp_run *run, struct cp_error *err);
    void (*release)(void *state);
};

/* NULL-terminated registry. */
extern const struct cp_source_ops *const cp_sources[];

const struct cp_source_ops *cp_source_find(enum cp_source_kind kind);

#endif
