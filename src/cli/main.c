/*
 * cellpipe's entry point: global options, then one subcommand from commands[] (each in
 * src/cli/cmd_<name>.c). The only place that calls exit().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <unistd.h>

#include "cellpipe/error.h"
#include "cellpipe/log.h"
#include "cellpipe/progress.h"
#include "cli.h"

#ifndef CP_VERSION
#define CP_VERSION "0.0.0"
#endif

extern const struct cp_command cp_cmd_run;
extern const struct cp_command cp_cmd_validate;
extern const struct cp_command cp_cmd_sample;
extern const struct cp_command cp_cmd_inspect;
extern const struct cp_command cp_cmd_merge;
extern const struct cp_command cp_cmd_mlflow;
extern const struct cp_command cp_cmd_models;
extern const struct cp_command cp_cmd_ingest;
extern const struct cp_command cp_cmd_db;
extern const struct cp_command cp_cmd_convert;

/* One command a line, so that each added command merges alone. */
/* clang-format off */
static const struct cp_command *const commands[] = {
    &cp_cmd_run,
    &cp_cmd_validate,
    &cp_cmd_sample,
    &cp_cmd_inspect,
    &cp_cmd_merge,
    &cp_cmd_mlflow,
    &cp_cmd_models,
    &cp_cmd_ingest,
    &cp_cmd_db,
    &cp_cmd_convert,
    NULL,
};
/* clang-format on */

int cp_cli_fail(const struct cp_error *err, int rc)
{
    if (rc < 0)
        fprintf(stderr, "cellpipe: %s\n", err->msg[0] ? err->msg : "failed");
    return cp_error_exit_code(rc);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: cellpipe [--log-format text|json] [--verbose|--quiet] COMMAND [ARGS]\n\n"
               "commands:\n");
    for (size_t i = 0; commands[i]; i++)
        fprintf(f, "  %s\n", commands[i]->usage);
    fprintf(f, "\n`cellpipe COMMAND --help` or `cellpipe help COMMAND`: its options\n");
    fprintf(f, "\nexit codes: 0 ok, 64 usage, 65 data, 66 input missing, 69 service "
               "unavailable,\n70 internal, 73 cannot create output, 75 locked (retry), "
               "78 config\n");
}

/* Progress lines only for a person at a terminal: never in logs, pipes or CI. */
static int progress_wanted(int json, enum cp_log_level level)
{
    const char *term = getenv("TERM"), *ci = getenv("CI");
    return !json && level <= CP_LOG_INFO && isatty(STDERR_FILENO) && !(ci && *ci) && term &&
           *term && strcmp(term, "dumb") != 0;
}

/* Global options may stand anywhere; they are removed from argv. */
static int global_options(int *argc, char **argv)
{
    int json = 0, w = 1;
    enum cp_log_level level = CP_LOG_INFO;
    for (int i = 1; i < *argc; i++) {
        if (strcmp(argv[i], "--log-format") == 0 && i + 1 < *argc) {
            const char *v = argv[++i];
            if (strcmp(v, "json") != 0 && strcmp(v, "text") != 0) {
                fprintf(stderr, "cellpipe: --log-format expects text or json, got '%s'\n", v);
                return -1;
            }
            json = strcmp(v, "json") == 0;
        } else if (strcmp(argv[i], "--verbose") == 0) {
            level = CP_LOG_DEBUG;
        } else if (strcmp(argv[i], "--quiet") == 0) {
            level = CP_LOG_WARN;
        } else {
            argv[w++] = argv[i];
        }
    }
    *argc = w;
    argv[w] = NULL;
    cp_log_setup(level, json);
    cp_progress_enable(progress_wanted(json, level));
    return 0;
}

static const struct cp_command *find_command(const char *name)
{
    for (size_t i = 0; commands[i]; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

/* `cellpipe COMMAND --help` and `cellpipe help COMMAND`: its usage and options, exit 0. */
static int command_help(const struct cp_command *c)
{
    printf("usage: cellpipe %s\n\noptions:\n%s  --help  this text\n", c->usage, c->options);
    return 0;
}

static int wants_help(int argc, char **argv)
{
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return 0;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    /* GSL's default handler aborts the process; every GSL call here checks its result */
    gsl_set_error_handler_off();
    if (global_options(&argc, argv) < 0)
        exit(CP_EUSAGE);
    if (argc >= 3 && strcmp(argv[1], "help") == 0) {
        const struct cp_command *c = find_command(argv[2]);
        if (!c) {
            fprintf(stderr, "cellpipe: unknown command '%s'\n", argv[2]);
            usage(stderr);
            exit(CP_EUSAGE);
        }
        exit(command_help(c));
    }
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        exit(argc < 2 ? CP_EUSAGE : 0);
    }
    if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("cellpipe %s\n", CP_VERSION);
        exit(0);
    }
    const struct cp_command *c = find_command(argv[1]);
    if (c)
        exit(wants_help(argc, argv) ? command_help(c) : c->run(argc - 1, argv + 1));
    fprintf(stderr, "cellpipe: unknown command '%s'\n", argv[1]);
    usage(stderr);
    exit(CP_EUSAGE);
}
