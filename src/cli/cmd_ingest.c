/*
 * cellpipe ingest [--db DSN] [--no-timeseries] FILE...: cycler exports into PostgreSQL, one
 * transaction per file (src/sources/pg_ingest.c); the raw points of time series go into
 * timeseries_data unless --no-timeseries (src/sources/pg_ts_copy.c). A progress bar on a
 * terminal, key=value lines otherwise. Stops at the first file that fails; the files before
 * it stay loaded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cellpipe/error.h"
#include "cellpipe/log.h"
#include "cellpipe/pg.h"
#include "cellpipe/timeutil.h"
#include "cli.h"

#define USAGE "ingest [--db DSN] [--no-timeseries] FILE..."

struct tally {
    size_t loaded, unchanged;
    long long rows, points;
    int timeseries;
};

static void progress(size_t done, size_t total, long long rows, const char *file)
{
    enum { WIDTH = 30 };
    size_t fill = total ? done * WIDTH / total : WIDTH;
    char bar[WIDTH + 1];
    for (size_t i = 0; i < WIDTH; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[WIDTH] = '\0';
    const char *base = strrchr(file, '/');
    fprintf(stderr, "\r[%s] %zu/%zu files %lld cycles  %-40.40s", bar, done, total, rows,
            base ? base + 1 : file);
    if (done == total)
        fputc('\n', stderr);
    fflush(stderr);
}

static int ingest_all(PGconn *conn, char **files, size_t n, struct tally *t, struct cp_error *err)
{
    int tty = isatty(STDERR_FILENO);
    for (size_t i = 0; i < n; i++) {
        int unchanged = 0;
        long long rows = 0, points = 0;
        int rc =
            cp_pg_ingest_file_ts(conn, files[i], t->timeseries, &unchanged, &rows, &points, err);
        if (rc < 0) {
            if (tty && i > 0)
                fputc('\n', stderr);
            return rc;
        }
        t->loaded += !unchanged;
        t->unchanged += unchanged != 0;
        t->rows += rows;
        t->points += points;
        if (tty)
            progress(i + 1, n, t->rows, files[i]);
        else
            cp_log(CP_LOG_INFO,
                   "stage=ingest file=\"%s\" status=%s cycles=%lld points=%lld done=%zu/%zu",
                   files[i], unchanged ? "unchanged" : "loaded", rows, points, i + 1, n);
    }
    return 0;
}

/* Options, then files: any number of them (a shell glob of a whole archive). */
static int parse(int argc, char **argv, const char **dsn, int *timeseries, char ***files,
                 size_t *nfiles)
{
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
            *dsn = argv[++i];
        } else if (strncmp(argv[i], "--db=", 5) == 0) {
            *dsn = argv[i] + 5;
        } else if (strcmp(argv[i], "--no-timeseries") == 0) {
            *timeseries = 0;
        } else if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else {
            fprintf(stderr, "cellpipe ingest: unknown option '%s'\n", argv[i]);
            return -1;
        }
    }
    *files = argv + i;
    *nfiles = (size_t)(argc - i);
    return *nfiles > 0 ? 0 : -1;
}

static int ingest_main(int argc, char **argv)
{
    const char *dsn = getenv("DATABASE_URL");
    char **files = NULL;
    size_t nfiles = 0;
    struct tally t = {.timeseries = 1};
    if (parse(argc, argv, &dsn, &t.timeseries, &files, &nfiles) < 0) {
        fprintf(stderr, "usage: cellpipe " USAGE "\n");
        return CP_EUSAGE;
    }
    struct cp_error err = {0};
    PGconn *conn = NULL;
    double t0 = cp_monotonic_ms();
    int rc = cp_pg_connect(&conn, dsn, &err);
    if (rc == 0)
        rc = ingest_all(conn, files, nfiles, &t, &err);
    cp_pg_close(conn);
    double s = (cp_monotonic_ms() - t0) / 1000.0;
    cp_log(CP_LOG_INFO,
           "stage=ingest files=%zu loaded=%zu unchanged=%zu cycles=%lld points=%lld "
           "seconds=%.3f cycles_per_s=%.0f points_per_s=%.0f status=%s",
           nfiles, t.loaded, t.unchanged, t.rows, t.points, s, s > 0 ? (double)t.rows / s : 0.0,
           s > 0 ? (double)t.points / s : 0.0, rc < 0 ? "failed" : "ok");
    return cp_cli_fail(&err, rc);
}

const struct cp_command cp_cmd_ingest = {
    "ingest", USAGE,
    "  --db DSN          the database (default $DATABASE_URL, then libpq's PG* variables)\n"
    "  --no-timeseries   store cycles only, not the raw points (timeseries_data)\n",
    ingest_main};
