#ifndef CELLPIPE_CLI_H
#define CELLPIPE_CLI_H
/*
 * Subcommands: one file each (src/cli/cmd_<name>.c), listed in the commands[] table of
 * src/cli/main.c. `run` gets argv from the subcommand name on (argv[0] = "run") and returns
 * an exit code (sysexits, see include/cellpipe/error.h). Only main.c calls exit().
 */

struct cp_command {
    const char *name;
    const char *usage;   /* one line, shown by `cellpipe help` */
    const char *options; /* one line per option, shown by `cellpipe COMMAND --help` */
    int (*run)(int argc, char **argv);
};

/* Print "cellpipe: <msg>" to stderr for an error and return its exit code. */
struct cp_error;
int cp_cli_fail(const struct cp_error *err, int rc);

/* What `run` and `merge` know at their end. */
struct cp_run_outcome;
struct cp_cli_run {
    const char *pipeline_path; /* the pipeline file */
    const char *cfg_name;      /* the pipeline's name, NULL when its config did not load */
    const char *metrics_file;  /* --metrics-file, or NULL */
    double t0_ms;              /* cp_monotonic_ms() at the start */
};
/* The end of a run, passed or failed: the error (cp_cli_fail), the published folder on
 * stdout (scripts read it), the closing summary line on stderr and its key=value twin in the
 * log, and the metrics file. o may be NULL (the config did not load). Returns the exit code. */
int cp_cli_finish_run(const struct cp_cli_run *r, const struct cp_run_outcome *o, int rc,
                      const struct cp_error *err);

#endif
