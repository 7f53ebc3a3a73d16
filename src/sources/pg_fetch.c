/*
 * Streaming query results into a column table through the binary protocol.
 *
 * Two ways, measured by tests/bench/bench_pg.c (docs/postgres.md has the figures):
 *  - COPY (query) TO STDOUT (FORMAT binary): one small buffer per row, no per-row PGresult.
 *    COPY takes no parameters, so the values are bound to set_config() first and the query
 *    reads them with current_setting(): still bound, never pasted.
 *  - single-row mode (PQsendQueryParams, binary results, PQsetSingleRowMode): one PGresult
 *    per row.
 * Either way rows go straight into the table's columns: memory is the table, plus one row.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/pg.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/timeutil.h"
#include "pg_copy_reader.h"

/* Type OIDs (server/catalog/pg_type_d.h, stable across releases). */
enum {
    OID_BOOL = 16,
    OID_NAME = 19,
    OID_INT8 = 20,
    OID_INT2 = 21,
    OID_INT4 = 23,
    OID_TEXT = 25,
    OID_JSON = 114,
    OID_FLOAT4 = 700,
    OID_FLOAT8 = 701,
    OID_UNKNOWN = 705,
    OID_BPCHAR = 1042,
    OID_VARCHAR = 1043,
    OID_DATE = 1082,
    OID_TIMESTAMP = 1114,
    OID_TIMESTAMPTZ = 1184,
    OID_NUMERIC = 1700,
    OID_JSONB = 3802
};

#define PG_EPOCH_UNIX 946684800LL /* 2000-01-01 in Unix seconds */

/* COPY data handed from the reader thread to the decoder at a time (about a thousand cycle
 * rows): small enough to stay in cache, large enough that the hand-over costs nothing. */
#define COPY_CHUNK_BYTES (256 * 1024)

enum vkind { V_F64, V_I64, V_TEXT, V_TIME };

struct value {
    enum vkind k;
    double f;
    int64_t i;
    const char *s; /* V_TEXT: not NUL-terminated */
    size_t len;
};

/* Wire types whose value goes into a column of the same kind unconverted (the common case:
 * the cycles query is all float8 but for its key): no struct value, no type switch. */
enum direct { D_NONE, D_FLOAT8, D_INT8, D_TIMESTAMP };

struct colmap {
    char *name; /* the result's column name (a copy: single-row results come and go) */
    Oid type;
    int col; /* table column, -1 for the `extra` json column */
    enum direct direct;
};

struct fetch {
    struct cp_table *t;
    const char *origin;
    struct colmap *map;
    int ncols;
    long long rows, bytes;
    struct cp_strbuf scratch;
};

static uint16_t be16(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return (uint16_t)((u[0] << 8) | u[1]);
}

static uint32_t be32(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return ((uint32_t)u[0] << 24) | ((uint32_t)u[1] << 16) | ((uint32_t)u[2] << 8) | u[3];
}

static uint64_t be64(const char *p)
{
    return ((uint64_t)be32(p) << 32) | be32(p + 4);
}

static enum cp_type natural_type(Oid type)
{
    switch (type) {
    case OID_BOOL:
    case OID_INT2:
    case OID_INT4:
    case OID_INT8:
        return CP_I64;
    case OID_FLOAT4:
    case OID_FLOAT8:
    case OID_NUMERIC:
        return CP_F64;
    case OID_DATE:
    case OID_TIMESTAMP:
    case OID_TIMESTAMPTZ:
        return CP_TIME;
    default:
        return CP_STR;
    }
}

static int readable_type(Oid type)
{
    switch (type) {
    case OID_BOOL:
    case OID_NAME:
    case OID_INT8:
    case OID_INT2:
    case OID_INT4:
    case OID_TEXT:
    case OID_JSON:
    case OID_FLOAT4:
    case OID_FLOAT8:
    case OID_UNKNOWN:
    case OID_BPCHAR:
    case OID_VARCHAR:
    case OID_DATE:
    case OID_TIMESTAMP:
    case OID_TIMESTAMPTZ:
    case OID_NUMERIC:
    case OID_JSONB:
        return 1;
    default:
        return 0;
    }
}

/* Binary numeric (base-10000 digits) -> double through its decimal text, so the value is
 * the correctly rounded one strtod gives for the number psql would print. */
static int numeric_to_double(const char *p, size_t len, double *out)
{
    if (len < 8)
        return -1;
    int ndigits = (int16_t)be16(p), weight = (int16_t)be16(p + 2);
    uint16_t sign = be16(p + 4);
    if (sign == 0xC000) {
        *out = NAN;
        return 0;
    }
    if (len < 8 + 2 * (size_t)ndigits)
        return -1;
    char buf[512];
    size_t n = 0;
    if (sign == 0x4000)
        buf[n++] = '-';
    buf[n++] = '0';
    buf[n++] = '.';
    for (int d = 0; d < ndigits && n + 5 < sizeof(buf) - 16; d++) {
        unsigned v = be16(p + 8 + 2 * d);
        for (unsigned div = 1000; div > 0; div /= 10)
            buf[n++] = (char)('0' + (v / div) % 10);
    }
    /* 0.d1d2... x 10000^(weight + 1) */
    int e = snprintf(buf + n, sizeof(buf) - n, "e%d", 4 * (weight + 1));
    if (e < 0 || (size_t)e >= sizeof(buf) - n)
        return -1;
    *out = strtod(buf, NULL);
    return 0;
}

/* Microseconds since 2000-01-01 -> Unix seconds (floor); 'infinity' is missing. */
static int64_t timestamp_to_unix(int64_t us)
{
    if (us == INT64_MAX || us == INT64_MIN)
        return CP_I64_NA;
    return (us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000)) + PG_EPOCH_UNIX;
}

static int decode(Oid type, const char *p, size_t len, struct value *v)
{
    v->len = len;
    switch (type) {
    case OID_BOOL:
        v->k = V_I64;
        v->i = len == 1 && p[0] != 0;
        return len == 1 ? 0 : -1;
    case OID_INT2:
        v->k = V_I64;
        v->i = len == 2 ? (int16_t)be16(p) : 0;
        return len == 2 ? 0 : -1;
    case OID_INT4:
        v->k = V_I64;
        v->i = len == 4 ? (int32_t)be32(p) : 0;
        return len == 4 ? 0 : -1;
    case OID_INT8:
        v->k = V_I64;
        v->i = len == 8 ? (int64_t)be64(p) : 0;
        return len == 8 ? 0 : -1;
    case OID_FLOAT4: {
        uint32_t u = len == 4 ? be32(p) : 0;
        float f;
        memcpy(&f, &u, sizeof(f));
        v->k = V_F64;
        v->f = f;
        return len == 4 ? 0 : -1;
    }
    case OID_FLOAT8: {
        uint64_t u = len == 8 ? be64(p) : 0;
        v->k = V_F64;
        memcpy(&v->f, &u, sizeof(v->f));
        return len == 8 ? 0 : -1;
    }
    case OID_NUMERIC:
        v->k = V_F64;
        return numeric_to_double(p, len, &v->f);
    case OID_TIMESTAMP:
    case OID_TIMESTAMPTZ:
        if (len != 8)
            return -1;
        v->k = V_TIME;
        v->i = timestamp_to_unix((int64_t)be64(p));
        return 0;
    case OID_DATE: {
        if (len != 4)
            return -1;
        int32_t days = (int32_t)be32(p);
        v->k = V_TIME;
        v->i = days == INT32_MAX || days == INT32_MIN ? CP_I64_NA
                                                      : (int64_t)days * 86400 + PG_EPOCH_UNIX;
        return 0;
    }
    case OID_JSONB: /* version byte, then the text */
        if (len < 1 || p[0] != 1)
            return -1;
        v->k = V_TEXT;
        v->s = p + 1;
        v->len = len - 1;
        return 0;
    default:
        v->k = V_TEXT;
        v->s = p;
        return 0;
    }
}

static int store_text(struct fetch *f, int col, size_t row, const char *s, size_t len)
{
    return cp_table_set_strn(f->t, col, row, s, len);
}

/* Text of a number or time, for a string column. */
static int store_as_text(struct fetch *f, int col, size_t row, const struct value *v)
{
    cp_strbuf_reset(&f->scratch);
    char buf[32];
    int bad = 0;
    if (v->k == V_F64) {
        if (isnan(v->f))
            return 0;
        bad = cp_strbuf_add_double(&f->scratch, v->f);
    } else if (v->k == V_I64) {
        bad = cp_strbuf_addf(&f->scratch, "%lld", (long long)v->i);
    } else {
        if (v->i == CP_I64_NA)
            return 0;
        cp_format_time(v->i, buf, sizeof(buf));
        bad = cp_strbuf_adds(&f->scratch, buf);
    }
    if (bad)
        return -1;
    return store_text(f, col, row, f->scratch.buf, f->scratch.len);
}

/* Parse text into a number for a numeric column. 0, or -2 when it is no number. */
static int parse_text(struct fetch *f, const struct value *v, enum cp_type to, struct value *out)
{
    cp_strbuf_reset(&f->scratch);
    if (cp_strbuf_add(&f->scratch, v->s, v->len) < 0)
        return -1;
    const char *s = f->scratch.buf;
    char *end = NULL;
    if (to == CP_TIME) {
        out->k = V_TIME;
        return cp_parse_datetime(s, &out->i) == 0 ? 0 : -2;
    }
    out->k = V_F64;
    out->f = strtod(s, &end);
    return end != s && *end == '\0' ? 0 : -2;
}

/* Store one decoded value into table column col, converting to the column's type.
 * 0, -1 out of memory, -2 no such conversion. */
static int store(struct fetch *f, int col, size_t row, const struct value *in)
{
    struct cp_column *c = &f->t->cols[col];
    struct value v = *in;
    if (c->type == CP_STR)
        return v.k == V_TEXT ? store_text(f, col, row, v.s, v.len) : store_as_text(f, col, row, &v);
    if (v.k == V_TEXT) {
        int rc = parse_text(f, in, c->type, &v);
        if (rc < 0)
            return rc;
    }
    if (c->type == CP_F64) {
        c->v.f64[row] = v.k == V_F64 ? v.f : v.i == CP_I64_NA ? NAN : (double)v.i;
        return 0;
    }
    if (v.k == V_F64) { /* into an integer or time column: only whole numbers */
        if (isnan(v.f)) {
            c->v.i64[row] = CP_I64_NA;
            return 0;
        }
        if (v.f != floor(v.f) || fabs(v.f) > 9.0e18)
            return -2;
        v.i = (int64_t)v.f;
    }
    c->v.i64[row] = v.i;
    return 0;
}

static int result_column(const struct fetch *f, const char *name)
{
    for (int i = 0; i < f->ncols; i++)
        if (strcmp(f->map[i].name, name) == 0)
            return 1;
    return 0;
}

/* Expand a json object of extra metadata into columns (strings, numbers, booleans). */
static int store_extra(struct fetch *f, size_t row, const struct value *v, struct cp_error *err)
{
    json_error_t jerr;
    json_t *obj = json_loadb(v->s, v->len, 0, &jerr);
    if (!obj || !json_is_object(obj)) {
        json_decref(obj);
        return cp_error_set(err, CP_EDATA, "%s: column 'extra' is not a json object", f->origin);
    }
    const char *key;
    json_t *val;
    int rc = 0;
    json_object_foreach(obj, key, val)
    {
        struct value x = {0};
        enum cp_type type = CP_STR;
        if (result_column(f, key))
            continue; /* a real column of the query wins over a same-named extra */
        if (json_is_string(val)) {
            x.k = V_TEXT;
            x.s = json_string_value(val);
            x.len = json_string_length(val);
        } else if (json_is_number(val)) {
            x.k = V_F64;
            x.f = json_number_value(val);
            type = CP_F64;
        } else if (json_is_boolean(val)) {
            x.k = V_I64;
            x.i = json_is_true(val);
            type = CP_I64;
        } else {
            continue;
        }
        int col = cp_table_find(f->t, key);
        if (col < 0 && (col = cp_table_add_column(f->t, key, type)) < 0) {
            rc = cp_error_oom(err);
            break;
        }
        int st = store(f, col, row, &x);
        if (st == -1) {
            rc = cp_error_oom(err);
            break;
        }
        if (st == -2) {
            rc = cp_error_set(err, CP_EDATA,
                              "%s: extra '%s' of cell row %zu does not fit "
                              "column type %s",
                              f->origin, key, row + 1, cp_type_name(f->t->cols[col].type));
            break;
        }
    }
    json_decref(obj);
    return rc;
}

static enum direct direct_kind(Oid type, enum cp_type col)
{
    if (type == OID_FLOAT8 && col == CP_F64)
        return D_FLOAT8;
    if (type == OID_INT8 && col == CP_I64)
        return D_INT8;
    if ((type == OID_TIMESTAMP || type == OID_TIMESTAMPTZ) && col == CP_TIME)
        return D_TIMESTAMP;
    return D_NONE;
}

/* A value of a D_* column: all three are 8 bytes on the wire. 0 or -1 malformed. */
static int store_direct(struct fetch *f, const struct colmap *m, size_t row, const char *p, int len)
{
    if (len != 8)
        return -1;
    struct cp_column *c = &f->t->cols[m->col];
    uint64_t u = be64(p);
    if (m->direct == D_FLOAT8)
        memcpy(&c->v.f64[row], &u, sizeof(double));
    else if (m->direct == D_INT8)
        c->v.i64[row] = (int64_t)u;
    else
        c->v.i64[row] = timestamp_to_unix((int64_t)u);
    return 0;
}

static int malformed(const struct fetch *f, const struct colmap *m, struct cp_error *err)
{
    return cp_error_set(err, CP_EDATA, "%s: malformed value in column '%s'", f->origin, m->name);
}

static int store_field(struct fetch *f, int i, size_t row, const char *p, int len,
                       struct cp_error *err)
{
    if (len < 0)
        return 0; /* NULL: the row was added as missing */
    struct value v;
    const struct colmap *m = &f->map[i];
    if (m->direct != D_NONE)
        return store_direct(f, m, row, p, len) < 0 ? malformed(f, m, err) : 0;
    if (decode(m->type, p, (size_t)len, &v) < 0)
        return malformed(f, m, err);
    if (m->col < 0)
        return store_extra(f, row, &v, err);
    int rc = store(f, m->col, row, &v);
    if (rc == -1)
        return cp_error_oom(err);
    if (rc == -2)
        return cp_error_set(err, CP_EDATA, "%s: row %zu: column '%s' does not convert to %s",
                            f->origin, row + 1, m->name, cp_type_name(f->t->cols[m->col].type));
    return 0;
}

/* Map result columns to table columns (created with their natural type when absent). */
static int map_columns(struct fetch *f, const PGresult *desc, struct cp_error *err)
{
    f->ncols = PQnfields(desc);
    f->map = cp_calloc(f->ncols ? (size_t)f->ncols : 1, sizeof(*f->map));
    if (!f->map)
        return cp_error_oom(err);
    for (int i = 0; i < f->ncols; i++) {
        struct colmap *m = &f->map[i];
        if (!(m->name = cp_strdup(PQfname(desc, i))))
            return cp_error_oom(err);
        m->type = PQftype(desc, i);
        if (!readable_type(m->type))
            return cp_error_set(err, CP_ECONFIG,
                                "%s: column '%s' has a type cellpipe does not read (oid %u): "
                                "cast it to text, bigint, double precision or timestamptz",
                                f->origin, m->name, (unsigned)m->type);
        if (strcmp(m->name, "extra") == 0 && (m->type == OID_JSONB || m->type == OID_JSON)) {
            m->col = -1;
            continue;
        }
        m->col = cp_table_find(f->t, m->name);
        if (m->col < 0 && (m->col = cp_table_add_column(f->t, m->name, natural_type(m->type))) < 0)
            return cp_error_oom(err);
        m->direct = direct_kind(m->type, f->t->cols[m->col].type);
    }
    return 0;
}

static long add_row(struct fetch *f, struct cp_error *err)
{
    long row = cp_table_add_row(f->t);
    if (row < 0)
        cp_error_oom(err);
    return row;
}

/* Ask the server to stop sending the rest of a query that has failed on our side. */
static void cancel_query(PGconn *conn)
{
    PGcancel *cancel = PQgetCancel(conn);
    char buf[256];
    if (cancel) {
        PQcancel(cancel, buf, sizeof(buf));
        PQfreeCancel(cancel);
    }
}

/* ---- single-row mode --------------------------------------------------------------- */

static int fetch_singlerow(PGconn *conn, const struct cp_pg_query *q, const struct cp_pg_params *p,
                           struct fetch *f, struct cp_error *err)
{
    const char *const *values = (const char *const *)p->values;
    if (!PQsendQueryParams(conn, q->sql, (int)p->n, NULL, values, NULL, NULL, 1) ||
        !PQsetSingleRowMode(conn))
        return cp_pg_result_error(conn, NULL, q->origin, err);
    int rc = 0, cancelled = 0;
    PGresult *res;
    while ((res = PQgetResult(conn)) != NULL) {
        ExecStatusType st = PQresultStatus(res);
        if (rc == 0 && st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK)
            rc = cp_pg_result_error(conn, res, q->origin, err);
        if (rc == 0 && !f->map)
            rc = map_columns(f, res, err);
        if (rc == 0 && st == PGRES_SINGLE_TUPLE) {
            long row = add_row(f, err);
            if (row < 0)
                rc = -CP_EINTERNAL;
            for (int i = 0; i < f->ncols && rc == 0; i++) {
                int len = PQgetisnull(res, 0, i) ? -1 : PQgetlength(res, 0, i);
                f->bytes += len > 0 ? len + 4 : 4;
                rc = store_field(f, i, (size_t)row, PQgetvalue(res, 0, i), len, err);
            }
            f->rows++;
        }
        PQclear(res);
        if (rc < 0 && !cancelled && PQstatus(conn) == CONNECTION_OK) {
            cancel_query(conn); /* once; the loop drains what is in flight */
            cancelled = 1;
        }
    }
    return rc;
}

/* ---- binary COPY ----------------------------------------------------------------------- */

static int set_params(PGconn *conn, const struct cp_pg_query *q, const struct cp_pg_params *p,
                      struct cp_error *err)
{
    struct cp_strbuf key = CP_STRBUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < q->n && rc == 0; i++) {
        cp_strbuf_reset(&key);
        if (cp_strbuf_addf(&key, "cellpipe.p_%s", q->names[i]) < 0) {
            rc = cp_error_oom(err);
            break;
        }
        const char *vals[2] = {key.buf, p->values[i] ? p->values[i] : ""};
        PGresult *res =
            PQexecParams(conn, "SELECT set_config($1, $2, false)", 2, NULL, vals, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_TUPLES_OK)
            rc = cp_pg_result_error(conn, res, q->origin, err);
        PQclear(res);
    }
    cp_strbuf_release(&key);
    return rc;
}

/* Parse the tuples of a run of whole CopyData messages (the first carries the file header). */
static int copy_tuples(struct fetch *f, const char *buf, size_t len, int *header, int *done,
                       struct cp_error *err)
{
    const char *p = buf, *end = buf + len;
    if (!*header) {
        static const char sig[11] = "PGCOPY\n\377\r\n";
        if (len < 19 || memcmp(p, sig, 11) != 0)
            return cp_error_set(err, CP_EINTERNAL, "%s: not a binary COPY stream", f->origin);
        uint32_t ext = be32(p + 15);
        if ((size_t)(end - p) < 19 + (size_t)ext)
            return cp_error_set(err, CP_EINTERNAL, "%s: truncated COPY header", f->origin);
        p += 19 + ext;
        *header = 1;
    }
    while (p + 2 <= end) {
        int nf = (int16_t)be16(p);
        p += 2;
        if (nf == -1) {
            *done = 1;
            return 0;
        }
        if (nf != f->ncols)
            return cp_error_set(err, CP_EINTERNAL, "%s: COPY row has %d fields, expected %d",
                                f->origin, nf, f->ncols);
        long row = add_row(f, err);
        if (row < 0)
            return -CP_EINTERNAL;
        for (int i = 0; i < nf; i++) {
            if (p + 4 > end)
                return cp_error_set(err, CP_EINTERNAL, "%s: truncated COPY row", f->origin);
            int flen = (int32_t)be32(p);
            p += 4;
            if (flen > end - p)
                return cp_error_set(err, CP_EINTERNAL, "%s: truncated COPY row", f->origin);
            int rc = store_field(f, i, (size_t)row, p, flen, err);
            if (rc < 0)
                return rc;
            p += flen > 0 ? flen : 0;
        }
        f->rows++;
    }
    return 0;
}

/* Column names and types of the query, without running it. */
static int describe(PGconn *conn, const char *sql, const char *origin, PGresult **out,
                    struct cp_error *err)
{
    PGresult *res = PQprepare(conn, "", sql, 0, NULL);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        rc = cp_pg_result_error(conn, res, origin, err);
        PQclear(res);
        return rc;
    }
    PQclear(res);
    res = PQdescribePrepared(conn, "");
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        rc = cp_pg_result_error(conn, res, origin, err);
        PQclear(res);
        return rc;
    }
    *out = res;
    return 0;
}

/* After a failure in the middle of a COPY (the server asked to cancel it): drain the
 * connection, so it can still roll back. */
static void copy_drain(PGconn *conn)
{
    char *row;
    while (PQgetCopyData(conn, &row, 0) > 0)
        PQfreemem(row);
    PGresult *res;
    while ((res = PQgetResult(conn)) != NULL)
        PQclear(res);
}

/* The rows of the COPY, decoded while the reader thread receives the next ones. */
static int copy_stream(PGconn *conn, const char *origin, struct fetch *f, struct cp_error *err)
{
    struct cp_pg_copy_reader r;
    int header = 0, done = 0, rc, last = -1;
    const char *buf;
    size_t n;
    if ((rc = cp_pg_copy_reader_start(&r, conn, COPY_CHUNK_BYTES, err)) < 0) {
        cancel_query(conn);
        copy_drain(conn);
        return rc;
    }
    while (cp_pg_copy_reader_next(&r, &buf, &n, &last)) {
        f->bytes += (long long)n;
        if (!done && (rc = copy_tuples(f, buf, n, &header, &done, err)) < 0)
            break;
    }
    if (rc < 0)
        cp_pg_copy_reader_cancel(&r);
    cp_pg_copy_reader_stop(&r);
    if (rc < 0) {
        copy_drain(conn);
        return rc;
    }
    PGresult *res = PQgetResult(conn);
    if (last == -2 || PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = cp_pg_result_error(conn, res, origin, err);
    PQclear(res);
    while ((res = PQgetResult(conn)) != NULL)
        PQclear(res);
    return rc;
}

static int fetch_copy(PGconn *conn, const struct cp_pg_query *q, const struct cp_pg_params *p,
                      struct fetch *f, struct cp_error *err)
{
    PGresult *desc = NULL, *res = NULL;
    struct cp_strbuf sql = CP_STRBUF_INIT;
    int rc;
    if ((rc = set_params(conn, q, p, err)) < 0 ||
        (rc = describe(conn, q->setting_sql, q->origin, &desc, err)) < 0 ||
        (rc = map_columns(f, desc, err)) < 0)
        goto cleanup;
    /* The newline keeps a trailing "-- comment" of the template from eating the ")". */
    if (cp_strbuf_addf(&sql, "COPY (%s\n) TO STDOUT (FORMAT binary)", q->setting_sql) < 0) {
        rc = cp_error_oom(err);
        goto cleanup;
    }
    res = PQexec(conn, sql.buf);
    if (PQresultStatus(res) != PGRES_COPY_OUT) {
        rc = cp_pg_result_error(conn, res, q->origin, err);
        goto cleanup;
    }
    rc = copy_stream(conn, q->origin, f, err);
cleanup:
    PQclear(res);
    PQclear(desc);
    cp_strbuf_release(&sql);
    return rc;
}

enum cp_pg_fetch cp_pg_fetch_mode(void)
{
    const char *m = getenv("CELLPIPE_PG_FETCH");
    return m && strcmp(m, "singlerow") == 0 ? CP_PG_FETCH_SINGLEROW : CP_PG_FETCH_COPY;
}

int cp_pg_fetch_table(PGconn *conn, const struct cp_pg_query *q, const struct cp_pg_params *p,
                      enum cp_pg_fetch mode, struct cp_table *t, long long *rows, long long *bytes,
                      struct cp_error *err)
{
    struct fetch f = {.t = t, .origin = q->origin};
    cp_strbuf_init(&f.scratch);
    int rc = mode == CP_PG_FETCH_COPY ? fetch_copy(conn, q, p, &f, err)
                                      : fetch_singlerow(conn, q, p, &f, err);
    if (rows)
        *rows = f.rows;
    if (bytes)
        *bytes = f.bytes;
    for (int i = 0; f.map && i < f.ncols; i++)
        cp_free(f.map[i].name);
    cp_free(f.map);
    cp_strbuf_release(&f.scratch);
    return rc;
}
