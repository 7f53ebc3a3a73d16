/*
 * The shards source: the union of the `shard/` folders of shard reports, for `cellpipe merge`
 * (include/cellpipe/shard_format.h). Values are read back with the types the shard recorded, so a
 * shard's data comes back bit for bit (doubles were written in round-trip form).
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/csv.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/log.h"
#include "cellpipe/shard_format.h"
#include "cellpipe/source.h"
#include "cellpipe/timeutil.h"

static int type_of(const char *name, enum cp_type *out)
{
    static const enum cp_type types[] = {CP_F64, CP_I64, CP_STR, CP_TIME};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(cp_type_name(types[i]), name) == 0) {
            *out = types[i];
            return 0;
        }
    return -1;
}

/* Create the columns a shard's schema lists (an existing one must have the same type). */
static int add_columns(struct cp_table *t, json_t *cols, const char *path, struct cp_error *err)
{
    size_t i;
    json_t *c;
    json_array_foreach(cols, i, c)
    {
        const char *name = json_string_value(json_object_get(c, "name"));
        const char *type = json_string_value(json_object_get(c, "type"));
        enum cp_type ty;
        if (!name || !type || type_of(type, &ty) < 0)
            return cp_error_set(err, CP_EDATA, "%s: column %zu has no valid name and type", path,
                                i);
        if (cp_table_add_column(t, name, ty) < 0)
            return cp_error_set(err, CP_EDATA,
                                "%s: column '%s' has another type in an earlier "
                                "shard",
                                path, name);
    }
    return 0;
}

static int set_value(struct cp_table *t, int col, size_t row, const char *s)
{
    char *end;
    if (!*s)
        return 0; /* missing: the row was created missing */
    switch (t->cols[col].type) {
    case CP_STR:
        return cp_table_set_str(t, col, row, s);
    case CP_F64: {
        double v;
        if (cp_csv_number(s, &v) < 0)
            return -2;
        cp_table_set_f64(t, col, row, v);
        return 0;
    }
    case CP_I64: {
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno || *end)
            return -2;
        cp_table_set_i64(t, col, row, v);
        return 0;
    }
    case CP_TIME: {
        int64_t v;
        if (cp_parse_datetime(s, &v) < 0)
            return -2;
        cp_table_set_i64(t, col, row, v);
        return 0;
    }
    }
    return -2;
}

/* Append the rows of one shard CSV to t, matching its header to t's columns by name. */
static int read_rows(struct cp_table *t, const char *path, struct cp_error *err)
{
    struct cp_csv r;
    int map[512];
    size_t nmap = 0;
    if (cp_csv_open(&r, path, ',') < 0)
        return cp_error_errno(err, CP_ENOINPUT, "cannot open '%s'", path);
    int rc = cp_csv_next(&r);
    rc = rc == 1                     ? 0
         : rc < 0 && errno == ENOMEM ? cp_error_oom(err)
                                     : cp_error_set(err, CP_EDATA, "%s: no header", path);
    for (size_t i = 0; rc == 0 && i < r.nfields; i++) {
        if (i >= sizeof(map) / sizeof(map[0]) || (map[i] = cp_table_find(t, r.fields[i])) < 0)
            rc = cp_error_set(err, CP_EDATA, "%s: column '%s' is not in schema.json", path,
                              r.fields[i]);
        nmap = i + 1;
    }
    int more = 0;
    while (rc == 0 && (more = cp_csv_next(&r)) == 1) {
        long row = cp_table_add_row(t);
        if (row < 0) {
            rc = cp_error_oom(err);
            break;
        }
        for (size_t i = 0; rc == 0 && i < r.nfields && i < nmap; i++) {
            int v = set_value(t, map[i], (size_t)row, r.fields[i]);
            if (v == -1)
                rc = cp_error_oom(err);
            else if (v < 0)
                rc = cp_error_set(err, CP_EDATA, "%s:%ld: '%s' is not a %s", path, r.lineno,
                                  r.fields[i], cp_type_name(t->cols[map[i]].type));
        }
    }
    if (rc == 0 && more < 0)
        rc = errno == ENOMEM
                 ? cp_error_oom(err)
                 : cp_error_set(err, CP_EDATA, "%s:%ld: unreadable CSV", path, r.lineno);
    cp_csv_close(&r);
    return rc;
}

/* Inputs recorded by every shard; the same input read by several shards counts once. */
static int add_inputs(struct cp_dataset *ds, json_t *inputs, struct cp_error *err)
{
    size_t i;
    json_t *in;
    json_array_foreach(inputs, i, in)
    {
        const char *name = json_string_value(json_object_get(in, "name"));
        const char *sha = json_string_value(json_object_get(in, "sha256"));
        int seen = 0;
        for (size_t k = 0; k < ds->ninputs && !seen; k++)
            seen = strcmp(ds->inputs[k].name, name ? name : "") == 0 &&
                   strcmp(ds->inputs[k].sha256 ? ds->inputs[k].sha256 : "", sha ? sha : "") == 0;
        if (seen || !name)
            continue;
        int rc = cp_dataset_add_input(
            ds, name, sha, (long long)json_integer_value(json_object_get(in, "bytes")),
            json_string_value(json_object_get(in, "format")),
            (long long)json_integer_value(json_object_get(in, "rows")), err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* dQ/dV curves, in shards of raw time series only (no "curves" in the schema otherwise). */
static int load_curves(const char *dir, struct cp_dataset *ds, json_t *cols, const char *schema,
                       struct cp_error *err)
{
    if (!cols)
        return 0;
    char *path = cp_path_join(dir, "shard/curves.csv");
    int rc = path ? add_columns(ds->curves, cols, schema, err) : cp_error_oom(err);
    if (rc == 0)
        rc = read_rows(ds->curves, path, err);
    cp_free(path);
    return rc;
}

static int load_one(const char *dir, struct cp_dataset *ds, struct cp_error *err)
{
    char *schema = cp_path_join(dir, "shard/schema.json");
    char *cells = cp_path_join(dir, "shard/cells.csv");
    char *cycles = cp_path_join(dir, "shard/cycles.csv");
    json_t *j = NULL;
    json_error_t jerr;
    int rc = schema && cells && cycles ? 0 : cp_error_oom(err);
    if (rc == 0 && !cp_fs_exists(schema))
        rc = cp_error_set(err, CP_ENOINPUT,
                          "'%s' is not a shard report (no shard/schema.json; was it run with "
                          "--shard I/N?)",
                          dir);
    if (rc == 0 && !(j = json_load_file(schema, 0, &jerr)))
        rc = cp_error_set(err, CP_EDATA, "%s:%d: %s", schema, jerr.line, jerr.text);
    if (rc == 0 && json_integer_value(json_object_get(j, "format")) != CP_SHARD_FORMAT)
        rc = cp_error_set(err, CP_EDATA, "%s: unknown shard format", schema);
    if (rc == 0)
        rc = add_columns(ds->cells, json_object_get(j, "cells"), schema, err);
    if (rc == 0)
        rc = add_columns(ds->cycles, json_object_get(j, "cycles"), schema, err);
    if (rc == 0)
        rc = read_rows(ds->cells, cells, err);
    if (rc == 0)
        rc = read_rows(ds->cycles, cycles, err);
    if (rc == 0)
        rc = load_curves(dir, ds, json_object_get(j, "curves"), schema, err);
    if (rc == 0)
        rc = add_inputs(ds, json_object_get(j, "inputs"), err);
    json_decref(j);
    cp_free(schema);
    cp_free(cells);
    cp_free(cycles);
    return rc;
}

static int shards_load(const struct cp_config *cfg, struct cp_dataset *ds, struct cp_error *err)
{
    if (cfg->source.paths.n == 0)
        return cp_error_set(err, CP_EUSAGE, "no shard folders to merge");
    for (size_t i = 0; i < cfg->source.paths.n; i++) {
        int rc = load_one(cfg->source.paths.v[i], ds, err);
        if (rc < 0)
            return rc;
    }
    cp_log(CP_LOG_INFO, "source=shards shards=%zu cells=%zu cycles=%zu", cfg->source.paths.n,
           ds->cells->nrows, ds->cycles->nrows);
    return 0;
}

const struct cp_source_ops cp_source_shards = {
    .name = "shards",
    .kind = CP_SOURCE_SHARDS,
    .load = shards_load,
};
