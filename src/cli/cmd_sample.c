/* cellpipe sample --cells N --cycles M [--seed S] --out DIR | --db DSN */
#include <stdio.h>

#include "args.h"
#include "cellpipe/error.h"
#include "cellpipe/pg.h"
#include "cellpipe/sample.h"
#include "cellpipe/table.h"
#include "cli.h"

#define USAGE "sample [--cells N] [--cycles M] [--seed S] --out DIR | --db DSN"

static int sample_main(int argc, char **argv)
{
    struct cp_sample_params p = {42, 24, 1000, 1.0};
    const char *out = NULL, *db = NULL;
    struct cp_args a;
    cp_args_init(&a, argc, argv);
    while (cp_args_next(&a)) {
        if (cp_args_is(&a, "--cells"))
            cp_args_long(&a, cp_args_value(&a), 1, 1000000, &p.cells);
        else if (cp_args_is(&a, "--cycles"))
            cp_args_long(&a, cp_args_value(&a), 10, 1000000, &p.cycles);
        else if (cp_args_is(&a, "--seed"))
            cp_args_long(&a, cp_args_value(&a), 0, 1000000000000000L, &p.seed);
        else if (cp_args_is(&a, "--out"))
            out = cp_args_value(&a);
        else if (cp_args_is(&a, "--db"))
            db = cp_args_value(&a);
    }
    if (!cp_args_ok(&a, "cellpipe " USAGE))
        return CP_EUSAGE;
    if ((!out && !db) || a.npos) {
        fprintf(stderr, "usage: cellpipe " USAGE "\n");
        return CP_EUSAGE;
    }
    struct cp_dataset ds;
    struct cp_error err = {0};
    struct cp_table *truth = cp_table_new("truth");
    int rc = truth ? cp_dataset_init(&ds, &err) : cp_error_oom(&err);
    if (rc == 0) {
        rc = cp_sample_generate(&p, &ds, truth, &err);
        if (rc == 0 && out)
            rc = cp_sample_write(&ds, truth, out, &err);
        if (rc == 0 && db)
            rc = cp_pg_sample_load(db, &ds, &err);
        if (rc == 0)
            printf("%s: %zu cells, %zu cycles\n", out ? out : "database", ds.cells->nrows,
                   ds.cycles->nrows);
        cp_dataset_release(&ds);
    }
    cp_table_free(truth);
    return cp_cli_fail(&err, rc);
}

const struct cp_command cp_cmd_sample = {
    "sample", USAGE,
    "  --cells N   cells in the synthetic lab (default 24)\n"
    "  --cycles M  cycles of the longest test (default 1000)\n"
    "  --seed S    random seed (default 42)\n"
    "  --out DIR   write cells.csv, <cell>_cycle_data.csv per cell and truth.csv\n"
    "  --db DSN    or load them into PostgreSQL\n",
    sample_main};
