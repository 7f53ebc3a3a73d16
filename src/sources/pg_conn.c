/* Connections, the one translation of libpq statuses into cellpipe errors, the schema. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cellpipe/error.h"
#include "cellpipe/log.h"
#include "cellpipe/pg.h"
#include "cellpipe/strbuf.h"

#define CONNECT_ATTEMPTS 3

/* libpq's messages span lines ("...failed: FATAL:  ...\n\tIs the server running...") and
 * quote names with '"': one line with single quotes fits a key=value log and the exit
 * message. */
static void one_line(const char *msg, char *out, size_t n)
{
    size_t j = 0;
    int space = 0;
    for (size_t i = 0; msg && msg[i] && j + 1 < n; i++) {
        char c = msg[i];
        if (c == '\n' || c == '\t' || c == '\r' || c == ' ') {
            space = j > 0;
            continue;
        }
        if (space && j + 2 < n)
            out[j++] = ' ';
        space = 0;
        out[j++] = c == '"' ? '\'' : c;
    }
    out[j] = '\0';
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Notices (e.g. "relation already exists, skipping") are chatter, not errors. */
static void quiet_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static PGconn *connect_once(const char *dsn)
{
    /* Later keywords win: the DSN, last, may override these defaults. */
    const char *keys[] = {"application_name", "connect_timeout", "dbname", NULL};
    const char *vals[] = {"cellpipe", "10", dsn && *dsn ? dsn : NULL, NULL};
    if (!vals[2])
        keys[2] = NULL;
    return PQconnectdbParams(keys, vals, 1);
}

/* A DSN libpq cannot parse is a configuration error, not "retry later". libpq's message
 * quotes the offending text, which may be the password: it is not passed on. */
static int check_dsn(const char *dsn, struct cp_error *err)
{
    if (!dsn || !*dsn)
        return 0;
    char *msg = NULL;
    PQconninfoOption *opts = PQconninfoParse(dsn, &msg);
    if (opts) {
        PQconninfoFree(opts);
        return 0;
    }
    int oom = msg == NULL;
    PQfreemem(msg);
    if (oom)
        return cp_error_oom(err);
    return cp_error_set(err, CP_ECONFIG,
                        "malformed PostgreSQL connection string (not shown: it may hold a "
                        "password); expected a postgresql:// URI with percent-encoded parts or "
                        "key=value pairs with quoted values");
}

int cp_pg_connect(PGconn **out, const char *dsn, struct cp_error *err)
{
    *out = NULL;
    PGconn *conn = NULL;
    int bad = check_dsn(dsn, err);
    if (bad < 0)
        return bad;
    for (int attempt = 1; attempt <= CONNECT_ATTEMPTS; attempt++) {
        cp_pg_close(conn);
        conn = connect_once(dsn);
        if (!conn)
            return cp_error_oom(err);
        if (PQstatus(conn) == CONNECTION_OK)
            break;
        char line[512];
        one_line(PQerrorMessage(conn), line, sizeof(line));
        cp_log(CP_LOG_WARN, "stage=postgres event=connect_failed attempt=%d error=\"%s\"", attempt,
               line);
        if (attempt < CONNECT_ATTEMPTS)
            sleep_ms(250L << attempt);
    }
    if (PQstatus(conn) != CONNECTION_OK) {
        char line[512];
        one_line(PQerrorMessage(conn), line, sizeof(line));
        int rc = cp_error_set(err, CP_EUNAVAILABLE,
                              "cannot connect to PostgreSQL database '%s' after %d attempts: %s",
                              PQdb(conn) ? PQdb(conn) : "", CONNECT_ATTEMPTS, line);
        PQfinish(conn);
        return rc;
    }
    PQsetNoticeProcessor(conn, quiet_notice, NULL);
    *out = conn;
    return 0;
}

void cp_pg_close(PGconn *conn)
{
    if (conn)
        PQfinish(conn);
}

/* SQLSTATE class -> exit code (see pg.h). */
static int code_for_sqlstate(const char *st)
{
    if (!st || strlen(st) != 5)
        return CP_EUNAVAILABLE; /* client-side: the connection broke */
    if (strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0 || strcmp(st, "55P03") == 0)
        return CP_ETEMPFAIL;
    if (strncmp(st, "08", 2) == 0 || strncmp(st, "28", 2) == 0 || strncmp(st, "53", 2) == 0 ||
        strncmp(st, "57", 2) == 0 || strncmp(st, "58", 2) == 0 || strcmp(st, "3D000") == 0)
        return CP_EUNAVAILABLE;
    if (strncmp(st, "42", 2) == 0)
        return CP_ECONFIG;
    if (strncmp(st, "22", 2) == 0 || strncmp(st, "23", 2) == 0)
        return CP_EDATA;
    return CP_EINTERNAL;
}

int cp_pg_result_error(PGconn *conn, const PGresult *res, const char *what, struct cp_error *err)
{
    const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!msg || !*msg)
        msg = res && *PQresultErrorMessage(res) ? PQresultErrorMessage(res) : PQerrorMessage(conn);
    int code = code_for_sqlstate(st);
    if (PQstatus(conn) != CONNECTION_OK)
        code = CP_EUNAVAILABLE;
    char line[512];
    one_line(msg, line, sizeof(line));
    if (!line[0])
        one_line("unknown error", line, sizeof(line));
    if (PQstatus(conn) != CONNECTION_OK || !st || strncmp(st, "57P", 3) == 0)
        return cp_error_set(err, code, "%s: lost the connection to PostgreSQL: %s", what, line);
    const char *hint = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;
    if (hint)
        return cp_error_set(err, code, "%s: %s (hint: %s)", what, line, hint);
    return cp_error_set(err, code, "%s: %s", what, line);
}

int cp_pg_exec(PGconn *conn, const char *sql, const char *what, struct cp_error *err)
{
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    int rc = 0;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        rc = cp_pg_result_error(conn, res, what, err);
    PQclear(res);
    return rc;
}

int cp_pg_schema_apply(PGconn *conn, int *version, struct cp_error *err)
{
    int rc = cp_pg_exec(conn, cp_pg_embedded("schema.sql"), "cannot apply the schema", err);
    if (rc < 0) {
        /* A failed multi-statement script leaves its transaction open. */
        PQclear(PQexec(conn, "ROLLBACK"));
        return rc;
    }
    PGresult *res = PQexec(conn, "SELECT max(version) FROM schema_version");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        rc = cp_pg_result_error(conn, res, "cannot read the schema version", err);
        goto cleanup;
    }
    *version = PQgetisnull(res, 0, 0) ? 0 : (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
cleanup:
    PQclear(res);
    return rc;
}
