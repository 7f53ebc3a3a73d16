/* cellpipe validate PIPELINE.yaml [--data] [--print] [--set K=V]... [--select C=V,..]...
 * | cellpipe validate --schema */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cellpipe/config.h"
#include "cellpipe/error.h"
#include "cellpipe/runner.h"
#include "cli.h"

#define USAGE                                                                                      \
    "validate PIPELINE.yaml [--data] [--print] [--set KEY=VALUE]... [--select COLUMN=V1,V2]... "   \
    "| validate --schema"

/* The configuration in effect, as JSON (which is also YAML), secrets redacted. */
static int print_effective(const struct cp_config *cfg, struct cp_error *err)
{
    json_t *j = cp_config_effective(cfg);
    char *text =
        j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15)) : NULL;
    json_decref(j);
    if (!text)
        return cp_error_oom(err);
    printf("%s\n", text);
    free(text);
    return 0;
}

static int validate_main(int argc, char **argv)
{
    int data = 0, schema = 0, print = 0;
    const char *set[CP_ARGS_MAX_REPEAT], *select[CP_ARGS_MAX_REPEAT];
    struct cp_config_overrides ov = {set, 0, select, 0};
    struct cp_args a;
    cp_args_init(&a, argc, argv);
    while (cp_args_next(&a)) {
        if (cp_args_is(&a, "--data"))
            data = 1;
        else if (cp_args_is(&a, "--schema"))
            schema = 1;
        else if (cp_args_is(&a, "--print"))
            print = 1;
        else if ((cp_args_is(&a, "--set") && cp_args_push(&a, set, &ov.nset) < 0) ||
                 (cp_args_is(&a, "--select") && cp_args_push(&a, select, &ov.nselect) < 0))
            return CP_EUSAGE;
    }
    if (!cp_args_ok(&a, "cellpipe " USAGE))
        return CP_EUSAGE;
    if (schema) {
        cp_config_print_schema(stdout);
        return 0;
    }
    if (a.npos != 1) {
        fprintf(stderr, "usage: cellpipe " USAGE "\n");
        return CP_EUSAGE;
    }
    struct cp_config cfg;
    struct cp_error err = {0};
    int rc = cp_config_load_with(&cfg, a.pos[0], &ov, &err);
    if (rc == 0 && data) {
        struct cp_run_options opt = {0};
        opt.dry_run = 1;
        rc = cp_runner_run(&cfg, &opt, NULL, &err);
    }
    if (rc == 0 && print)
        rc = print_effective(&cfg, &err);
    else if (rc == 0)
        printf("%s: ok\n", a.pos[0]);
    cp_config_release(&cfg);
    return cp_cli_fail(&err, rc);
}

const struct cp_command cp_cmd_validate = {
    "validate", USAGE,
    "  --data                 also load the data and apply the validation rules\n"
    "  --print                print the configuration in effect (JSON), secrets redacted\n"
    "  --set KEY=VALUE        override a pipeline key, as `cellpipe run --set`; repeatable\n"
    "  --select COLUMN=V1,V2  one more select filter, as `cellpipe run --select`; repeatable\n"
    "  --schema               print every pipeline key with its type, default and meaning\n",
    validate_main};
