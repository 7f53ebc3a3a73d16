#ifndef CELLPIPE_SINK_H
#define CELLPIPE_SINK_H
/*
 * Sinks write the report (DESIGN.md "sinks"). Each is a `const struct cp_sink_ops` in a group
 * of the registry (src/sinks/registry.c): the runner runs the groups in order and the sinks of
 * one group at once (report.threads), each lane of the group on one thread, so a new output
 * plugs in there without touching the runner. A sink must therefore not change the run (its
 * tables, its tracking state) unless it is alone in its group, and must not read another
 * sink's output of its own group.
 *
 * CP_SINK_STAGED sinks write into run->staging_dir before the atomic publish; a failure fails
 * the run and nothing is published. CP_SINK_PUBLISHED sinks (email) run after publish; their
 * failure is reported (exit 69) but the report stays. When a run fails, every enabled-or-not
 * sink's `failed` hook is called, whatever phase it belongs to.
 */
#include <stddef.h>

#include "cellpipe/run.h"

struct cp_error;

enum cp_sink_phase { CP_SINK_STAGED, CP_SINK_PUBLISHED };

struct cp_sink_ops {
    const char *name;
    enum cp_sink_phase phase;
    /* Nonzero when this sink should run for this configuration. */
    int (*enabled)(const struct cp_run *run);
    int (*write)(struct cp_run *run, struct cp_error *err);
    /* Optional: the run failed (before its staging folder is removed, so run.log is still
     * there). For sinks that report failures (a failure mail, an MLflow run closed FAILED).
     * Whatever goes wrong here is logged, never allowed to replace the run's own error. */
    void (*failed)(struct cp_run *run, const struct cp_error *failure);
};

#define CP_SINK_LANES 8    /* lanes in one group */
#define CP_SINK_LANE_LEN 4 /* sinks in one lane */

/* A group's lanes run at once, the sinks of a lane one after the other; unused slots NULL. */
struct cp_sink_group {
    const struct cp_sink_ops *lane[CP_SINK_LANES][CP_SINK_LANE_LEN];
};

extern const struct cp_sink_group cp_sink_groups[]; /* in run order */
extern const size_t cp_sink_ngroups;

#endif
