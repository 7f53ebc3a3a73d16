#ifndef CELLPIPE_SHARD_H
#define CELLPIPE_SHARD_H
/*
 * Sharded runs and their merge (DESIGN.md "Scale", docs/deployment.md "Shards").
 *
 * `cellpipe run --shard I/N` keeps the cells whose id hashes to I (cp_shard_of) and publishes
 * an ordinary report for them; cp_sink_shard adds a `shard/` folder holding that shard's
 * input data as it stood after select and before validation:
 *   shard/schema.json   {"format": 1, "shard": "I/N", "cells": [{"name", "type"}...],
 *                        "cycles": [...], "inputs": [{"name", "sha256", "bytes", "format",
 *                        "rows"}...]}
 *   shard/cells.csv     every column of the selected cells
 *   shard/cycles.csv    the source's cycle columns (those before the features stage's first
 *                       column, see features.h), kept rows and quarantined rows together
 *   shard/curves.csv    the dQ/dV curves of raw time series, when there are any (then
 *                       schema.json also has "curves": [...])
 *
 * `cellpipe merge SHARD_DIR...` then runs the pipeline once more with cp_source_shards as its
 * source (source.kind = shards, source.paths = the shard folders): the union of the shards'
 * data goes through validate, features, models and every sink, exactly as in a single run.
 * Fleet-level figures (siblings, outlier limits) therefore see all cells, and the merged
 * report equals a full run's (tests/integration/shard.sh proves it on the demo pipeline).
 *
 * Errors: CP_ENOINPUT for a missing shard file, CP_EDATA for one that does not parse.
 */
#include "cellpipe/sink.h"
#include "cellpipe/source.h"

extern const struct cp_sink_ops cp_sink_shard;
extern const struct cp_source_ops cp_source_shards;

#define CP_SHARD_FORMAT 1

#endif
