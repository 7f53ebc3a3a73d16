/*
 * Private to src/sources/redash.c: its query-result parser, exposed only so that the fuzz
 * target tests/fuzz/fuzz_redash.c can feed it replies without a server.
 */
#ifndef CELLPIPE_REDASH_INTERNAL_H
#define CELLPIPE_REDASH_INTERNAL_H
#include <jansson.h>

#include "cellpipe/dataset.h"
#include "cellpipe/error.h"
#include "cellpipe/table.h"

/* Append the rows of a query result's "data" ({"columns": [...], "rows": [...]}) to t, columns
 * mapped by name (spec gives canonical types); CP_EDATA when a `required` column is missing. */
int redash_fill_table(struct cp_table *t, const struct cp_colspec *spec, json_t *data, long query,
                      const char *const *required, struct cp_error *err);

#endif
