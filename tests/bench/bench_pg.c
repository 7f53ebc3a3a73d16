/*
 * PostgreSQL benchmark helper, driven by tests/bench/bench_pg.sh (which starts a private
 * server and loads 1,000 cells x 1,500 cycles):
 *
 *   bench_pg extract DSN     cycles extraction rows/s, binary COPY and single-row mode, each
 *                            against `psql -c "COPY (same query) TO STDOUT (FORMAT binary)"`
 *                            to /dev/null, taking turns (best of 5 each)
 *   bench_pg exec CMD...     run a command; print its wall time and peak RSS
 *
 * Without arguments (tests/bench/run) it only says how to run it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cellpipe/alloc.h"
#include "cellpipe/config.h"
#include "cellpipe/error.h"
#include "cellpipe/pg.h"
#include "cellpipe/source.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/timeutil.h"

/* The machine is shared: the three ways take turns, REPS rounds, best of each. */
#define REPS 5

/* Run argv, stdout to /dev/null when quiet; wall ms and peak RSS (KiB) of the child. */
static int spawn(char **argv, int quiet, double *ms, long *rss_kb)
{
    double t0 = cp_monotonic_ms();
    pid_t pid = fork();
    if (pid == 0) {
        if (quiet && !freopen("/dev/null", "w", stdout))
            _exit(127);
        execvp(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    if (pid < 0 || wait4(pid, &status, 0, &ru) < 0)
        return -1;
    *ms = cp_monotonic_ms() - t0;
    *rss_kb = ru.ru_maxrss;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* psql cannot bind parameters, so for it (only) the ids are pasted as a quoted literal. */
static double psql_copy_ms(PGconn *conn, const char *dsn, const struct cp_pg_query *q,
                           const char *ids)
{
    struct cp_strbuf set = CP_STRBUF_INIT, copy = CP_STRBUF_INIT;
    char *lit = PQescapeLiteral(conn, ids, strlen(ids));
    cp_strbuf_addf(&set, "SELECT set_config('cellpipe.p_cell_ids', %s, false)", lit);
    PQfreemem(lit);
    cp_strbuf_addf(&copy, "COPY (%s\n) TO STDOUT (FORMAT binary)", q->setting_sql);
    char *argv[] = {"psql",      "-X", "-q",    "-v", "ON_ERROR_STOP=1", "-d",
                    (char *)dsn, "-c", set.buf, "-c", copy.buf,          NULL};
    double ms = -1;
    long rss;
    if (spawn(argv, 1, &ms, &rss) != 0) {
        fprintf(stderr, "bench_pg: psql COPY failed\n");
        ms = -1;
    }
    cp_strbuf_release(&set);
    cp_strbuf_release(&copy);
    return ms;
}

/* One fetch of the cycles query into a fresh table, as the source does it. */
static double fetch_ms(PGconn *conn, const struct cp_pg_query *q, const struct cp_pg_params *p,
                       enum cp_pg_fetch mode, long long *rows)
{
    struct cp_dataset ds;
    struct cp_error err = {0};
    cp_dataset_init(&ds, &err);
    double t0 = cp_monotonic_ms();
    cp_table_reserve(ds.cycles, 1500000);
    int rc = cp_pg_fetch_table(conn, q, p, mode, ds.cycles, rows, NULL, &err);
    double ms = cp_monotonic_ms() - t0;
    cp_dataset_release(&ds);
    if (rc < 0) {
        fprintf(stderr, "bench_pg: %s\n", err.msg);
        return -1;
    }
    return ms;
}

static char *all_cell_ids(PGconn *conn)
{
    PGresult *res = PQexec(conn, "SELECT array_agg(cell_id ORDER BY cell_id)::text FROM cell");
    char *s = PQresultStatus(res) == PGRES_TUPLES_OK ? cp_strdup(PQgetvalue(res, 0, 0)) : NULL;
    PQclear(res);
    return s;
}

static int extract(const char *dsn)
{
    struct cp_error err = {0};
    struct cp_config cfg;
    struct cp_pg_query q;
    struct cp_pg_params p = {0};
    PGconn *conn = NULL;
    if (cp_config_defaults(&cfg, "bench.yaml", &err) < 0 ||
        cp_pg_query_load(&q, NULL, "templates/queries/cycles.sql", &err) < 0 ||
        cp_pg_connect(&conn, dsn, &err) < 0) {
        fprintf(stderr, "bench_pg: %s\n", err.msg);
        return 1;
    }
    char *ids = all_cell_ids(conn);
    if (!ids || cp_pg_params_bind(&p, &q, &cfg, ids, &err) < 0) {
        fprintf(stderr, "bench_pg: cannot bind parameters %s\n", err.msg);
        return 1;
    }
    long long rows = 0;
    double copy = -1, single = -1, psql = -1;
    for (int i = 0; i < REPS; i++) {
        double c = fetch_ms(conn, &q, &p, CP_PG_FETCH_COPY, &rows);
        double s = fetch_ms(conn, &q, &p, CP_PG_FETCH_SINGLEROW, &rows);
        double k = psql_copy_ms(conn, dsn, &q, ids);
        if (c < 0 || s < 0 || k < 0)
            return 1;
        copy = copy < 0 || c < copy ? c : copy;
        single = single < 0 || s < single ? s : single;
        psql = psql < 0 || k < psql ? k : psql;
    }
    printf("pg extract: rows=%lld\n", rows);
    printf("pg extract: psql COPY binary to /dev/null  %8.0f ms  %10.0f rows/s\n", psql,
           rows / psql * 1000);
    printf("pg extract: cellpipe binary COPY           %8.0f ms  %10.0f rows/s  %5.1f %% of psql\n",
           copy, rows / copy * 1000, 100 * psql / copy);
    printf("pg extract: cellpipe single-row binary     %8.0f ms  %10.0f rows/s  %5.1f %% of psql\n",
           single, rows / single * 1000, 100 * psql / single);
    cp_free(ids);
    cp_pg_params_release(&p);
    cp_pg_query_release(&q);
    cp_config_release(&cfg);
    cp_pg_close(conn);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "extract") == 0)
        return extract(argv[2]);
    if (argc >= 3 && strcmp(argv[1], "exec") == 0) {
        double ms;
        long rss;
        int rc = spawn(argv + 2, 0, &ms, &rss);
        printf("pg exec: %s exit=%d wall=%.2f s peak_rss=%.1f MiB\n", argv[2], rc, ms / 1000,
               rss / 1024.0);
        return rc;
    }
    printf("bench_pg: needs a PostgreSQL server: run tests/bench/bench_pg.sh\n");
    return 0;
}
