/* cellpipe run PIPELINE.yaml [--date D] [--out DIR] [--set K=V]... [--select C=V,..]...
 *              [--metrics-file PATH] [--dry-run] [--shard I/N] [--full-refresh] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cellpipe/alloc.h"
#include "cellpipe/config.h"
#include "cellpipe/error.h"
#include "cellpipe/runner.h"
#include "cellpipe/timeutil.h"
#include "cli.h"

#define USAGE                                                                                      \
    "run PIPELINE.yaml [--date YYYY-MM-DD|today] [--out DIR] [--set KEY=VALUE]... "                \
    "[--select COLUMN=V1,V2]... [--metrics-file PATH] [--dry-run] [--shard I/N] [--full-refresh]"

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

struct run_args {
    struct cp_run_options opt;
    const char *set[CP_ARGS_MAX_REPEAT], *select[CP_ARGS_MAX_REPEAT];
    struct cp_config_overrides ov;
    const char *metrics_file;
};

static int parse_option(struct cp_args *a, struct run_args *r)
{
    if (cp_args_is(a, "--date"))
        r->opt.date = cp_args_value(a);
    else if (cp_args_is(a, "--out"))
        r->opt.out = cp_args_value(a);
    else if (cp_args_is(a, "--dry-run"))
        r->opt.dry_run = 1;
    else if (cp_args_is(a, "--full-refresh"))
        r->opt.full_refresh = 1;
    else if (cp_args_is(a, "--metrics-file"))
        r->metrics_file = cp_args_value(a);
    else if (cp_args_is(a, "--set"))
        return cp_args_push(a, r->set, &r->ov.nset);
    else if (cp_args_is(a, "--select"))
        return cp_args_push(a, r->select, &r->ov.nselect);
    else if (cp_args_is(a, "--shard") && parse_shard(cp_args_value(a), &r->opt) < 0) {
        fprintf(stderr, "cellpipe run: --shard expects I/N with 0 <= I < N\n");
        return -1;
    }
    return 0;
}

static int run_main(int argc, char **argv)
{
    struct run_args r;
    memset(&r, 0, sizeof(r));
    r.ov.set = r.set;
    r.ov.select = r.select;
    struct cp_args a;
    cp_args_init(&a, argc, argv);
    while (cp_args_next(&a))
        if (parse_option(&a, &r) < 0)
            return CP_EUSAGE;
    if (!cp_args_ok(&a, "cellpipe " USAGE))
        return CP_EUSAGE;
    if (a.npos != 1) {
        fprintf(stderr, "usage: cellpipe " USAGE "\n");
        return CP_EUSAGE;
    }
    struct cp_cli_run end = {a.pos[0], NULL, r.metrics_file, cp_monotonic_ms()};
    struct cp_config cfg;
    struct cp_error err = {0};
    struct cp_run_outcome out = {.mlflow_pending = -1};
    int rc = cp_config_load_with(&cfg, a.pos[0], &r.ov, &err);
    struct cp_config plain = {0};
    struct cp_error ignored = {0};
    if (rc == 0) {
        end.cfg_name = cfg.name;
        rc = cp_runner_run(&cfg, &r.opt, &out, &err);
    } else if (r.metrics_file && cp_config_load(&plain, a.pos[0], &ignored) == 0) {
        end.cfg_name = plain.name; /* an override failed: the metrics keep the file's name */
    }
    int code = cp_cli_finish_run(&end, &out, rc, &err);
    cp_config_release(&plain);
    cp_run_outcome_release(&out);
    cp_config_release(&cfg);
    return code;
}

const struct cp_command cp_cmd_run = {
    "run", USAGE,
    "  --date YYYY-MM-DD|today  the report date (default today)\n"
    "  --out DIR                report root instead of report.root of the pipeline\n"
    "  --set KEY=VALUE          override a pipeline key (dotted: fits.threshold=0.7); repeatable\n"
    "  --select COLUMN=V1,V2    also keep only cells whose COLUMN is a value; repeatable\n"
    "  --metrics-file PATH      write Prometheus metrics of the run there (textfile collector)\n"
    "  --dry-run                load, validate and compute; write nothing\n"
    "  --shard I/N              only the cells whose id hashes to shard I of N\n"
    "  --full-refresh           reuse no cached results (PostgreSQL incremental mode)\n",
    run_main};
