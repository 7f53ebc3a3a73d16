/*
 * deployment/schema.sql and the default query templates, built into the binary: an installed
 * cellpipe (cron, a container) must apply the schema and run the queries that match its own
 * code, wherever it runs from. The files stay the single source: the assembler includes
 * their bytes (.incbin, GNU as and clang alike; paths are relative to the repository root,
 * where make runs), and the Makefile rebuilds this object when they change.
 */
#include <stddef.h>
#include <string.h>

#include "cellpipe/pg.h"

#define CP_EMBED(sym, file)                                                                        \
    __asm__(".section .rodata\n"                                                                   \
            ".global " #sym "\n"                                                                   \
            ".type " #sym ", @object\n"                                                            \
            ".balign 16\n" #sym ":\n"                                                              \
            ".incbin \"" file "\"\n"                                                               \
            ".byte 0\n"                                                                            \
            ".previous\n")

CP_EMBED(cp_pg_embed_schema, "deployment/schema.sql");
CP_EMBED(cp_pg_embed_cells, "templates/queries/cells.sql");
CP_EMBED(cp_pg_embed_cycles, "templates/queries/cycles.sql");

extern const char cp_pg_embed_schema[];
extern const char cp_pg_embed_cells[];
extern const char cp_pg_embed_cycles[];

const char *cp_pg_embedded(const char *name)
{
    if (strcmp(name, "schema.sql") == 0)
        return cp_pg_embed_schema;
    if (strcmp(name, "cells.sql") == 0)
        return cp_pg_embed_cells;
    if (strcmp(name, "cycles.sql") == 0)
        return cp_pg_embed_cycles;
    return NULL;
}
