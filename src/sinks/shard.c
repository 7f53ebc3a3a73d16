/* The shard sink: the input data of a shard run, for `cellpipe merge`
 * (include/cellpipe/shard_format.h).
 */
#include <jansson.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/log.h"
#include "cellpipe/shard_format.h"
#include "cellpipe/sink.h"
#include "cellpipe/strbuf.h"

/* The first column the features stage appends (features.h): everything before it came from
 * the source. */
#define FIRST_FEATURE_COLUMN "coulombic_efficiency"

static size_t source_columns(const struct cp_table *cycles)
{
    int f = cp_table_find(cycles, FIRST_FEATURE_COLUMN);
    return f < 0 ? cycles->ncols : (size_t)f;
}

static json_t *schema_of(const struct cp_table *t, size_t ncols)
{
    json_t *a = json_array();
    for (size_t c = 0; a && c < ncols; c++)
        json_array_append_new(a, json_pack("{s:s, s:s}", "name", t->cols[c].name, "type",
                                           cp_type_name(t->cols[c].type)));
    return a;
}

static json_t *inputs_of(const struct cp_dataset *ds)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < ds->ninputs; i++) {
        const struct cp_input *in = &ds->inputs[i];
        json_array_append_new(a, json_pack("{s:s, s:s?, s:I, s:s?, s:I}", "name", in->name,
                                           "sha256", in->sha256, "bytes", (json_int_t)in->bytes,
                                           "format", in->format, "rows", (json_int_t)in->rows));
    }
    return a;
}

/* One CSV line of the first ncols columns of row `row`. */
static int add_line(struct cp_strbuf *sb, const struct cp_table *t, size_t ncols, size_t row)
{
    for (size_t c = 0; c < ncols; c++)
        if ((c && cp_strbuf_addch(sb, ',') < 0) || cp_table_format_cell(t, (int)c, row, sb) < 0)
            return -1;
    return cp_strbuf_addch(sb, '\n');
}

/* Header plus the rows of `t` (first ncols columns), then the rows of `extra` (columns matched
 * by name, NULL when absent) with the same header. */
static int table_csv(struct cp_strbuf *sb, const struct cp_table *t, size_t ncols,
                     const struct cp_table *extra)
{
    for (size_t c = 0; c < ncols; c++)
        if ((c && cp_strbuf_addch(sb, ',') < 0) || cp_strbuf_add_csv(sb, t->cols[c].name) < 0)
            return -1;
    if (cp_strbuf_addch(sb, '\n') < 0)
        return -1;
    for (size_t r = 0; r < t->nrows; r++)
        if (add_line(sb, t, ncols, r) < 0)
            return -1;
    for (size_t r = 0; extra && r < extra->nrows; r++) {
        for (size_t c = 0; c < ncols; c++) {
            int e = cp_table_find(extra, t->cols[c].name);
            if ((c && cp_strbuf_addch(sb, ',') < 0) ||
                (e >= 0 && cp_table_format_cell(extra, e, r, sb) < 0))
                return -1;
        }
        if (cp_strbuf_addch(sb, '\n') < 0)
            return -1;
    }
    return 0;
}

static int write_text(const char *dir, const char *name, const char *text, size_t len,
                      struct cp_error *err)
{
    char *path = cp_path_join(dir, name);
    if (!path)
        return cp_error_oom(err);
    int rc = cp_fs_write_atomic(path, text, len) == 0
                 ? 0
                 : cp_error_errno(err, CP_ECANTCREAT, "cannot write '%s'", path);
    cp_free(path);
    return rc;
}

static int write_schema(const struct cp_run *run, const char *dir, size_t ncyc,
                        struct cp_error *err)
{
    char shard[32];
    snprintf(shard, sizeof(shard), "%u/%u", run->shard_index, run->shard_count);
    json_t *j = json_pack("{s:i, s:s, s:o, s:o, s:o}", "format", CP_SHARD_FORMAT, "shard", shard,
                          "cells", schema_of(run->data.cells, run->data.cells->ncols), "cycles",
                          schema_of(run->data.cycles, ncyc), "inputs", inputs_of(&run->data));
    const struct cp_table *cu = run->data.curves;
    if (j && cu && cu->nrows > 0) /* dQ/dV curves of raw time series, when there are any */
        json_object_set_new(j, "curves", schema_of(cu, cu->ncols));
    char *text = j ? json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    int rc = text ? write_text(dir, "schema.json", text, strlen(text), err) : cp_error_oom(err);
    free(text); /* jansson's allocation */
    json_decref(j);
    return rc;
}

static int shard_curves(const struct cp_run *run, const char *dir, struct cp_strbuf *sb,
                        struct cp_error *err)
{
    const struct cp_table *cu = run->data.curves;
    if (!cu || cu->nrows == 0)
        return 0;
    cp_strbuf_reset(sb);
    if (table_csv(sb, cu, cu->ncols, NULL) < 0)
        return cp_error_oom(err);
    return write_text(dir, "curves.csv", sb->buf, sb->len, err);
}

static int shard_write(struct cp_run *run, struct cp_error *err)
{
    struct cp_strbuf sb;
    cp_strbuf_init(&sb);
    char *dir = cp_path_join(run->staging_dir, "shard");
    size_t ncyc = source_columns(run->data.cycles);
    int rc = dir ? 0 : cp_error_oom(err);
    if (rc == 0 && cp_fs_mkdirs(dir) < 0)
        rc = cp_error_errno(err, CP_ECANTCREAT, "cannot create '%s'", dir);
    if (rc == 0)
        rc = write_schema(run, dir, ncyc, err);
    if (rc == 0 && table_csv(&sb, run->data.cells, run->data.cells->ncols, NULL) < 0)
        rc = cp_error_oom(err);
    if (rc == 0)
        rc = write_text(dir, "cells.csv", sb.buf, sb.len, err);
    cp_strbuf_reset(&sb);
    /* Quarantined rows go back with the kept ones (merge validates the union again), but
     * only when validation did take them out of the cycles table. */
    const struct cp_table *taken =
        (long long)run->data.cycles->nrows < run->validation.rows_in ? run->quarantine : NULL;
    if (rc == 0 && table_csv(&sb, run->data.cycles, ncyc, taken) < 0)
        rc = cp_error_oom(err);
    if (rc == 0)
        rc = write_text(dir, "cycles.csv", sb.buf, sb.len, err);
    rc = rc == 0 ? shard_curves(run, dir, &sb, err) : rc;
    if (rc == 0)
        cp_log(CP_LOG_INFO, "sink=shard shard=%u/%u cells=%zu cycle_columns=%zu", run->shard_index,
               run->shard_count, run->data.cells->nrows, ncyc);
    cp_strbuf_release(&sb);
    cp_free(dir);
    return rc;
}

static int shard_enabled(const struct cp_run *run)
{
    return run->shard_count > 1;
}

const struct cp_sink_ops cp_sink_shard = {
    .name = "shard",
    .phase = CP_SINK_STAGED,
    .enabled = shard_enabled,
    .write = shard_write,
};
