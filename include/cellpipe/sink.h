#ifndef CELLPIPE_SINK_H
#define CELLPIPE_SINK_H
/*
 * Sinks write the report (DESIGN.md "sinks"). Each is a `const struct cp_sink_ops` in the
 * registry (src/sinks/registry.c), run in order by the runner: a new output plugs in there
 * without touching the runner.
 *
 * CP_SINK_STAGED sinks write into run->staging_dir before the atomic publish; a failure fails
 * the run and nothing is published. CP_SINK_PUBLISHED sinks (email) run after publish; their
 * failure is reported (exit 69) but the report stays.
 */
#include "cellpipe/run.h"

struct cp_error;

enum cp_sink_phase { CP_SINK_STAGED, CP_SINK_PUBLISHED };

struct cp_sink_ops {
    const char *name;
    enum cp_sink_phase phase;
    /* Nonzero when this sink should run for this configuration. */
    int (*enabled)(const struct cp_run *run);
    int (*write)(struct cp_run *run, struct cp_error *err);
};

extern const struct cp_sink_ops *const cp_sinks[]; /* NULL-terminated, in run order */

#endif
