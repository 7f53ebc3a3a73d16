/*
 * The `redash` source (docs/redash.md): two saved Redash queries, one for cell metadata and
 * one for per-cycle rows, run through Redash's REST API with the pipeline's parameters:
 *
 *   POST /api/queries/<id>/results {"parameters": {...}, "max_age": N}
 *        -> {"query_result": {...}} (a cached result young enough) or {"job": {...}}
 *   GET  /api/jobs/<job id>  until status 3 (success); 4 failure, 5 cancelled;
 *        1 queued, 2 started, 6 deferred, 7 scheduled (anything else) keep waiting, with
 *        backoff, up to timeout_s
 *   GET  /api/query_results/<query_result_id>
 *
 * The result's columns map onto the canonical columns by name (converted to their types);
 * other columns are kept with the type Redash gives them. Auth: "Authorization: Key
 * $REDASH_API_KEY". Errors: CP_EUNAVAILABLE (69) when Redash cannot be reached, fails or
 * times out; CP_EDATA (65) when a required column is missing; CP_ECONFIG (78) for a missing
 * URL, a refused API key or an unknown query.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/hash.h"
#include "cellpipe/http.h"
#include "cellpipe/log.h"
#include "cellpipe/source.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/timeutil.h"
#include "redash_internal.h"

struct redash {
    struct cp_http_client *http;
    const char *base; /* without a trailing '/' */
    size_t base_len;
    double timeout_s;
    long polls;
};

/* --- HTTP -------------------------------------------------------------------------------- */

/* method <base><path> with an optional JSON body; *out gets the parsed 200 answer. */
static int redash_call(struct redash *r, const char *method, const char *path, json_t *body,
                       json_t **out, struct cp_error *err)
{
    struct cp_strbuf url;
    struct cp_http_response resp;
    char *text = NULL;
    int rc;
    *out = NULL;
    cp_strbuf_init(&url);
    cp_http_response_init(&resp);
    if (cp_strbuf_add(&url, r->base, r->base_len) || cp_strbuf_adds(&url, path) ||
        (body && !(text = json_dumps(body, JSON_COMPACT)))) {
        rc = cp_error_oom(err);
        goto cleanup;
    }
    struct cp_http_request req = {
        .method = method, .url = url.buf, .body = text, .body_len = text ? strlen(text) : 0};
    rc = cp_http_request(r->http, &req, &resp, err);
    if (rc < 0)
        goto cleanup;
    json_t *j = json_loadb(resp.body.buf, resp.body.len, 0, NULL);
    const char *msg = json_string_value(json_object_get(j, "message"));
    if (resp.status == 200 && json_is_object(j)) {
        *out = j;
        goto cleanup;
    }
    int code = resp.status == 401 || resp.status == 403 || resp.status == 404 || resp.status == 400
                   ? CP_ECONFIG
                   : CP_EUNAVAILABLE;
    rc = cp_error_set(err, code, "redash '%s %s': HTTP %ld%s%s%s", method, path, resp.status,
                      msg ? ": " : "", msg ? msg : "",
                      resp.status == 401 || resp.status == 403 ? " (check REDASH_API_KEY)" : "");
    json_decref(j);
cleanup:
    free(text);
    cp_strbuf_release(&url);
    cp_http_response_release(&resp);
    return rc;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Poll a job until it ends; *qrid gets the query_result_id. */
static int wait_job(struct redash *r, long query, json_t *job, json_int_t *qrid,
                    struct cp_error *err)
{
    double start = cp_monotonic_ms(), wait = 0.1;
    json_t *cur = json_incref(job), *answer = NULL;
    int rc = 0;
    for (;;) {
        json_int_t status = json_integer_value(json_object_get(cur, "status"));
        const char *error = json_string_value(json_object_get(cur, "error"));
        if (status == 3) {
            json_t *id = json_object_get(cur, "query_result_id");
            *qrid = json_is_integer(id) ? json_integer_value(id) : -1;
            if (*qrid < 0)
                rc =
                    cp_error_set(err, CP_EUNAVAILABLE,
                                 "redash query %ld: job finished without a query_result_id", query);
            break;
        }
        if (status == 4 || status == 5) {
            rc = cp_error_set(err, CP_EUNAVAILABLE, "redash query %ld %s: %s", query,
                              status == 4 ? "failed" : "was cancelled",
                              error && *error ? error : "no reason given");
            break;
        }
        if ((cp_monotonic_ms() - start) / 1000.0 + wait > r->timeout_s) {
            rc = cp_error_set(err, CP_EUNAVAILABLE,
                              "redash query %ld did not finish within %g s (job status %lld)",
                              query, r->timeout_s, (long long)status);
            break;
        }
        sleep_s(wait);
        wait = fmin(wait * 2, 2.0);
        const char *id = json_string_value(json_object_get(cur, "id"));
        struct cp_strbuf path;
        cp_strbuf_init(&path);
        rc = !id ? cp_error_set(err, CP_EUNAVAILABLE, "redash query %ld: job without an id", query)
             : cp_strbuf_adds(&path, "/api/jobs/") || cp_http_escape(&path, id)
                 ? cp_error_oom(err)
                 : redash_call(r, "GET", path.buf, NULL, &answer, err);
        cp_strbuf_release(&path);
        if (rc < 0)
            break;
        r->polls++;
        json_decref(cur);
        cur = json_incref(json_object_get(answer, "job"));
        json_decref(answer);
        answer = NULL;
        if (!cur) {
            rc = cp_error_set(err, CP_EUNAVAILABLE, "redash query %ld: job answer without 'job'",
                              query);
            break;
        }
    }
    json_decref(cur);
    return rc;
}

static json_t *parameters_json(const struct cp_source_config *src)
{
    json_t *p = json_object();
    for (size_t i = 0; p && i < src->nparameters; i++) {
        const struct cp_strlist *v = &src->parameters[i].values;
        json_t *val = v->n == 1 ? json_string(v->v[0]) : json_array();
        for (size_t k = 0; val && v->n != 1 && k < v->n; k++)
            if (json_array_append_new(val, json_string(v->v[k])))
                json_decref(val), val = NULL;
        if (!val || json_object_set_new(p, src->parameters[i].column, val))
            json_decref(p), p = NULL;
    }
    return p;
}

/* Run one saved query: *result gets the "query_result" object. */
static int run_query(struct redash *r, const struct cp_source_config *src, long query,
                     json_t **result, struct cp_error *err)
{
    char path[96];
    json_t *answer = NULL, *params = parameters_json(src);
    json_t *body =
        params ? json_pack("{s:o, s:I}", "parameters", params, "max_age", (json_int_t)src->max_age)
               : NULL;
    *result = NULL;
    if (!body)
        return cp_error_oom(err);
    snprintf(path, sizeof(path), "/api/queries/%ld/results", query);
    int rc = redash_call(r, "POST", path, body, &answer, err);
    json_decref(body);
    if (rc < 0)
        return rc;
    *result = json_incref(json_object_get(answer, "query_result"));
    json_t *job = json_object_get(answer, "job");
    if (!*result && job) {
        json_int_t qrid = -1;
        rc = wait_job(r, query, job, &qrid, err);
        json_t *fetched = NULL;
        snprintf(path, sizeof(path), "/api/query_results/%lld", (long long)qrid);
        if (rc == 0)
            rc = redash_call(r, "GET", path, NULL, &fetched, err);
        if (rc == 0)
            *result = json_incref(json_object_get(fetched, "query_result"));
        json_decref(fetched);
    }
    json_decref(answer);
    if (rc == 0 && !*result)
        rc = cp_error_set(err, CP_EUNAVAILABLE,
                          "redash query %ld: answer holds neither a result nor a job", query);
    return rc;
}

/* --- result -> table --------------------------------------------------------------------- */

static enum cp_type redash_type(const char *t)
{
    if (!t)
        return CP_STR;
    if (!strcmp(t, "integer") || !strcmp(t, "boolean"))
        return CP_I64;
    if (!strcmp(t, "float"))
        return CP_F64;
    if (!strcmp(t, "datetime") || !strcmp(t, "date"))
        return CP_TIME;
    return CP_STR;
}

static enum cp_type column_type(const struct cp_colspec *spec, const char *name, const char *rtype)
{
    for (size_t i = 0; spec[i].name; i++)
        if (!strcmp(spec[i].name, name))
            return spec[i].type;
    return redash_type(rtype);
}

static double to_f64(json_t *v)
{
    if (json_is_number(v))
        return json_number_value(v);
    if (json_is_boolean(v))
        return json_is_true(v);
    const char *s = json_string_value(v);
    char *end = NULL;
    if (!s || !*s)
        return NAN;
    errno = 0;
    double d = strtod(s, &end);
    return errno || *end ? NAN : d;
}

static int64_t to_i64(json_t *v, enum cp_type type)
{
    if (json_is_integer(v))
        return json_integer_value(v);
    if (json_is_boolean(v))
        return json_is_true(v);
    const char *s = json_string_value(v);
    int64_t t;
    if (type == CP_TIME && s && cp_parse_datetime(s, &t) == 0)
        return t;
    double d = to_f64(v);
    return isfinite(d) && d == floor(d) && fabs(d) < 9e18 ? (int64_t)d : CP_I64_NA;
}

static int set_value(struct cp_table *t, int col, size_t row, json_t *v)
{
    switch (t->cols[col].type) {
    case CP_F64:
        cp_table_set_f64(t, col, row, to_f64(v));
        return 0;
    case CP_I64:
    case CP_TIME:
        cp_table_set_i64(t, col, row, to_i64(v, t->cols[col].type));
        return 0;
    case CP_STR:
        break;
    }
    if (json_is_null(v) || !v)
        return 0;
    if (json_is_string(v))
        return cp_table_set_str(t, col, row, json_string_value(v));
    struct cp_strbuf sb;
    cp_strbuf_init(&sb);
    int bad = json_is_integer(v)   ? cp_strbuf_addf(&sb, "%lld", (long long)json_integer_value(v))
              : json_is_real(v)    ? cp_strbuf_add_double(&sb, json_real_value(v))
              : json_is_boolean(v) ? cp_strbuf_adds(&sb, json_is_true(v) ? "true" : "false")
                                   : 0;
    int rc = bad ? -1 : cp_table_set_str(t, col, row, sb.buf);
    cp_strbuf_release(&sb);
    return rc;
}

static int has_column(json_t *cols, const char *name)
{
    size_t i;
    json_t *c;
    json_array_foreach(cols, i, c)
    {
        const char *n = json_string_value(json_object_get(c, "name"));
        if (n && !strcmp(n, name))
            return 1;
    }
    return 0;
}

int redash_fill_table(struct cp_table *t, const struct cp_colspec *spec, json_t *data, long query,
                      const char *const *required, struct cp_error *err)
{
    json_t *cols = json_object_get(data, "columns"), *rows = json_object_get(data, "rows");
    size_t ncols = json_array_size(cols), i;
    json_t *c, *row;
    if (!json_is_array(cols) || !json_is_array(rows))
        return cp_error_set(err, CP_EDATA, "redash query %ld: result without columns and rows",
                            query);
    for (size_t k = 0; required[k]; k++) {
        if (!has_column(cols, required[k]))
            return cp_error_set(err, CP_EDATA,
                                "redash query %ld: result lacks required column '%s'", query,
                                required[k]);
    }
    int *idx = cp_calloc(ncols ? ncols : 1, sizeof(int));
    if (!idx)
        return cp_error_oom(err);
    int rc = 0;
    json_array_foreach(cols, i, c)
    {
        const char *name = json_string_value(json_object_get(c, "name"));
        idx[i] = name ? cp_table_add_column(
                            t, name,
                            column_type(spec, name, json_string_value(json_object_get(c, "type"))))
                      : -1;
        if (name && idx[i] < 0)
            rc = cp_error_set(err, CP_EDATA,
                              "redash query %ld: column '%s' clashes with the "
                              "type of a canonical column",
                              query, name);
    }
    if (rc == 0 && cp_table_reserve(t, json_array_size(rows)))
        rc = cp_error_oom(err);
    json_array_foreach(rows, i, row)
    {
        if (rc < 0)
            break;
        long r = cp_table_add_row(t);
        if (r < 0) {
            rc = cp_error_oom(err);
            break;
        }
        json_t *c2;
        size_t k;
        json_array_foreach(cols, k, c2)
        {
            const char *name = json_string_value(json_object_get(c2, "name"));
            if (idx[k] >= 0 && set_value(t, idx[k], (size_t)r, json_object_get(row, name)))
                rc = cp_error_oom(err);
        }
    }
    cp_free(idx);
    return rc;
}

/* The input's fingerprint: the query text and the parameters sent. */
static int record_input(struct cp_dataset *ds, const struct cp_source_config *src, long query,
                        json_t *result, size_t rows, struct cp_error *err)
{
    json_t *params = parameters_json(src);
    char *ptext = params ? json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    const char *qtext = json_string_value(json_object_get(result, "query"));
    struct cp_strbuf sb, name;
    char hex[65];
    cp_strbuf_init(&sb);
    cp_strbuf_init(&name);
    int rc = !ptext || cp_strbuf_adds(&sb, qtext ? qtext : "") || cp_strbuf_addch(&sb, '\n') ||
                     cp_strbuf_adds(&sb, ptext) || cp_sha256_hex(sb.buf, sb.len, hex) ||
                     cp_strbuf_addf(&name, "redash:query/%ld", query)
                 ? cp_error_oom(err)
                 : cp_dataset_add_input(ds, name.buf, hex, 0, "redash", (long long)rows, err);
    free(ptext);
    json_decref(params);
    cp_strbuf_release(&sb);
    cp_strbuf_release(&name);
    return rc;
}

static int load_query(struct redash *r, const struct cp_source_config *src, long query,
                      struct cp_table *t, const struct cp_colspec *spec,
                      const char *const *required, struct cp_dataset *ds, struct cp_error *err)
{
    json_t *result = NULL;
    size_t before = t->nrows;
    int rc = run_query(r, src, query, &result, err);
    if (rc == 0)
        rc = redash_fill_table(t, spec, json_object_get(result, "data"), query, required, err);
    if (rc == 0)
        rc = record_input(ds, src, query, result, t->nrows - before, err);
    if (rc == 0)
        cp_log(CP_LOG_INFO,
               "stage=source kind=redash query=%ld rows=%zu cached=%s "
               "job_polls=%ld",
               query, t->nrows - before,
               json_object_get(result, "retrieved_at") && r->polls == 0 ? "yes" : "no", r->polls);
    json_decref(result);
    return rc;
}

static int redash_load(const struct cp_config *cfg, struct cp_dataset *ds, struct cp_error *err)
{
    static const char *const cells_req[] = {"cell_id", NULL};
    static const char *const cycles_req[] = {"cell_id", "cycle_index", "discharge_capacity_ah",
                                             NULL};
    const struct cp_source_config *src = &cfg->source;
    const char *url = src->url && *src->url ? src->url : getenv("REDASH_URL");
    if (!url || !*url)
        return cp_error_set(err, CP_ECONFIG,
                            "redash source needs a URL: set 'source.url' or REDASH_URL");
    struct cp_http_options o;
    cp_http_options_init(&o);
    o.max_retries = 3;
    o.backoff_factor = 0.5;
    o.timeout_s = 60;
    o.token = getenv("REDASH_API_KEY");
    o.token_scheme = "Key";
    struct redash r = {.base = url, .base_len = strlen(url), .timeout_s = src->timeout_s};
    while (r.base_len > 0 && url[r.base_len - 1] == '/')
        r.base_len--;
    r.http = cp_http_new(&o, err);
    if (!r.http)
        return -CP_EINTERNAL;
    int rc = cp_add_canonical_columns(ds->cells, cp_cells_columns) ||
                     cp_add_canonical_columns(ds->cycles, cp_cycles_columns)
                 ? cp_error_oom(err)
                 : 0;
    if (rc == 0)
        rc = load_query(&r, src, src->cells_query_id, ds->cells, cp_cells_columns, cells_req, ds,
                        err);
    r.polls = 0;
    if (rc == 0)
        rc = load_query(&r, src, src->cycles_query_id, ds->cycles, cp_cycles_columns, cycles_req,
                        ds, err);
    cp_http_free(r.http);
    return rc;
}

const struct cp_source_ops cp_source_redash = {
    .name = "redash",
    .kind = CP_SOURCE_REDASH,
    .load = redash_load,
};
