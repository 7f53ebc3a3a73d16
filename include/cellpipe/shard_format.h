#ifndef CELLPIPE_SHARD_FORMAT_H
#define CELLPIPE_SHARD_FORMAT_H
/*
 * Sharded runs and their merge (DESIGN.md "Scale", docs/deployment.md "Shards").
 *
 * The contract between the shard sink, which writes a shard run's data (src/sinks/shard.c),
 * and the shards source, which reads it back for the merge (src/sources/shards.c); both
 * include this header and neither includes the other.
 *
 * `cellpipe run --shard I/N` keeps the cells whose id hashes to I (cp_shard_of) and publishes
 * an ordinary report for them; the shard sink adds a `shard/` folder holding that shard's
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
 * `cellpipe merge SHARD_DIR...` then runs the pipeline once more with the shards source as its
 * source (source.kind = shards, source.paths = the shard folders): the union of the shards'
 * data goes through validate, features, models and every sink, exactly as in a single run.
 * Fleet-level figures (siblings, outlier limits) therefore see all cells, and the merged
 * report equals a full run's (tests/integration/shard.sh proves it on the demo pipeline).
 *
 * Errors: CP_ENOINPUT for a missing shard file, CP_EDATA for one that does not parse.
 */

/* The "format" of schema.json; a reader refuses any other. */
#define CP_SHARD_FORMAT 1

#endif
