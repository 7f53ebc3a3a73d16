/* cellpipe db init [--db DSN]: apply deployment/schema.sql (built in; safe to repeat). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cellpipe/error.h"
#include "cellpipe/log.h"
#include "cellpipe/pg.h"
#include "cli.h"

#define USAGE "db init [--db DSN]"

static int db_main(int argc, char **argv)
{
    const char *dsn = getenv("DATABASE_URL");
    struct cp_args a;
    cp_args_init(&a, argc, argv);
    while (cp_args_next(&a))
        if (cp_args_is(&a, "--db"))
            dsn = cp_args_value(&a);
    if (!cp_args_ok(&a, "cellpipe " USAGE))
        return CP_EUSAGE;
    if (a.npos != 1 || strcmp(a.pos[0], "init") != 0) {
        fprintf(stderr, "usage: cellpipe " USAGE "\n"
                        "  DSN: key=value or postgresql:// URI; default $DATABASE_URL, then "
                        "libpq's PG* variables and ~/.pgpass\n");
        return CP_EUSAGE;
    }
    struct cp_error err = {0};
    PGconn *conn = NULL;
    int version = 0;
    int rc = cp_pg_connect(&conn, dsn, &err);
    if (rc == 0)
        rc = cp_pg_schema_apply(conn, &version, &err);
    cp_pg_close(conn);
    if (rc < 0)
        return cp_cli_fail(&err, rc);
    cp_log(CP_LOG_INFO, "stage=db event=init schema_version=%d", version);
    printf("schema version %d\n", version);
    return 0;
}

const struct cp_command cp_cmd_db = {
    "db", USAGE, "  --db DSN  the database (default $DATABASE_URL, then libpq's PG* variables)\n",
    db_main};
