/* cellpipe run PIPELINE.yaml [--date D] [--out DIR] [--dry-run] [--shard I/N] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cellpipe/alloc.h"
#include "cellpipe/config.h"
#include "cellpipe/error.h"
#include "cellpipe/runner.h"
#include "cli.h"

#define USAGE                                                                                      \
    "run PIPELINE.yaml [--date YYYY-MM-DD|today] [--out DIR] [--dry-run] [--shard I/N] "           \
    "[--full-refresh]"

static int parse_shard(const char *s, struct cp_run_options *o)
{
    char *end;
    long i = s ? strtol(s, &end, 10) : -1;
    if (i < 0 || *end != '/')
        return -1;
    long n = strtol(end + 1, &end, 10);
    if (*end || n < 1 || n > 100000 || i >= n)
        return -1;
    o->shard_index = (unsigned)i;
    o->shard_count = (unsigned)n;
    return 0;
}

static int run_main(int argc, char **argv)
{
    struct cp_run_options opt = {0};
    struct cp_args a;
    cp_args_init(&a, argc, argv);
    while (cp_args_next(&a)) {
        if (cp_args_is(&a, "--date"))
            opt.date = cp_args_value(&a);
        else if (cp_args_is(&a, "--out"))
            opt.out = cp_args_value(&a);
        else if (cp_args_is(&a, "--dry-run"))
            opt.dry_run = 1;
        else if (cp_args_is(&a, "--full-refresh"))
            opt.full_refresh = 1;
        else if (cp_args_is(&a, "--shard") && parse_shard(cp_args_value(&a), &opt) < 0) {
            fprintf(stderr, "cellpipe run: --shard expects I/N with 0 <= I < N\n");
            return CP_EUSAGE;
        }
    }
    if (!cp_args_ok(&a, "cellpipe " USAGE))
        return CP_EUSAGE;
    if (a.npos != 1) {
        fprintf(stderr, "usage: cellpipe " USAGE "\n");
        return CP_EUSAGE;
    }
    struct cp_config cfg;
    struct cp_error err = {0};
    char *report = NULL;
    int rc = cp_config_load(&cfg, a.pos[0], &err);
    if (rc == 0)
        rc = cp_runner_run(&cfg, &opt, &report, &err);
    if (report)
        printf("%s\n", report);
    cp_free(report);
    cp_config_release(&cfg);
    return cp_cli_fail(&err, rc);
}

const struct cp_command cp_cmd_run = {
    "run", USAGE,
    "  --date YYYY-MM-DD|today  the report date (default today)\n"
    "  --out DIR                report root instead of report.root of the pipeline\n"
    "  --dry-run                load, validate and compute; write nothing\n"
    "  --shard I/N              only the cells whose id hashes to shard I of N\n"
    "  --full-refresh           reuse no cached results (PostgreSQL incremental mode)\n",
    run_main};
