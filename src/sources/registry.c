/* The sources (see include/cellpipe/source.h): one line each. */
#include <stddef.h>

#include "cellpipe/source.h"

extern const struct cp_source_ops cp_source_sample;
extern const struct cp_source_ops cp_source_files;
extern const struct cp_source_ops cp_source_shards;
extern const struct cp_source_ops cp_source_redash;
extern const struct cp_source_ops cp_source_postgres;

const struct cp_source_ops *const cp_sources[] = {
    &cp_source_sample,
    &cp_source_files,
    &cp_source_redash,
    &cp_source_postgres,
    /* postgres, redash go here */
    &cp_source_shards, /* cellpipe merge */
    NULL,
};

const struct cp_source_ops *cp_source_find(enum cp_source_kind kind)
{
    for (size_t i = 0; cp_sources[i]; i++)
        if (cp_sources[i]->kind == kind)
            return cp_sources[i];
    return NULL;
}
