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

#endif
