/* cellpipe validate PIPELINE.yaml [--data] | cellpipe validate --schema */
#include <stdio.h>

#include "args.h"
#include "cellpipe/config.h"
#include "cellpipe/error.h"
#include "cellpipe/runner.h"
#include "cli.h"

#define USAGE "validate PIPELINE.yaml [--data] | validate --schema"

static int validate_main(int argc, char **argv)
{
    int data = 0, schema = 0;
    struct cp_args a;
    cp_args_init(&a, argc, argv);
    while (cp_args_next(&a)) {
        if (cp_args_is(&a, "--data"))
            data = 1;
        else if (cp_args_is(&a, "--schema"))
            schema = 1;
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
    int rc = cp_config_load(&cfg, a.pos[0], &err);
    if (rc == 0 && data) {
        struct cp_run_options opt = {0};
        opt.dry_run = 1;
        rc = cp_runner_run(&cfg, &opt, NULL, &err);
    }
    if (rc == 0)
        printf("%s: ok\n", a.pos[0]);
    cp_config_release(&cfg);
    return cp_cli_fail(&err, rc);
}

const struct cp_command cp_cmd_validate = {
    "validate", USAGE,
    "  --data    also load the data and apply the validation rules\n"
    "  --schema  print every pipeline key with its type, default and meaning\n",
    validate_main};
