#ifndef CELLPIPE_SELECT_H
#define CELLPIPE_SELECT_H
/*
 * The select stage: keep the cells whose metadata matches every filter of cfg->select
 * (a filter is a list of accepted values, compared as text: `year: [2024]` matches 2024),
 * and, for a sharded run, whose id hashes to the run's shard. Cycles of dropped cells, and
 * cycles of cells that have no metadata row, are dropped too.
 * Errors: CP_ECONFIG for a filter on a column the cells table does not have.
 */
#include "cellpipe/config.h"
#include "cellpipe/dataset.h"

struct cp_error;

struct cp_select_opts {
    const struct cp_config *cfg;       /* cfg->select: the filters; cfg->path for messages */
    unsigned shard_index, shard_count; /* 0/1 when not sharded */
};

/* Filter ds->cells, ds->cycles and ds->curves in place. 0 or negative code. */
int cp_select_apply(const struct cp_select_opts *o, struct cp_dataset *ds, struct cp_error *err);

/* The shard (0 .. n-1) a cell belongs to: FNV-1a of its id, modulo n. */
unsigned cp_shard_of(const char *cell_id, unsigned n);

#endif
