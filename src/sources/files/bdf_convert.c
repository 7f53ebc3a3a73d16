/* Any raw-series reader -> BDF (include/cellpipe/bdf.h): the reader's points go to the writer
 * through out->on_point; the per-cycle rows it computes on the way are dropped. */
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/bdf.h"
#include "cellpipe/dataset.h"
#include "cellpipe/error.h"
#include "cellpipe/reader.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/table.h"

char *cp_bdf_output_name(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    if (n > 4 && strncmp(base + n - 4, ".bdf", 4) == 0) /* x.bdf.csv stays x.bdf.csv */
        n -= 4;
    struct cp_strbuf sb = CP_STRBUF_INIT;
    if (cp_strbuf_add(&sb, base, n) < 0 || cp_strbuf_adds(&sb, ".bdf.csv") < 0) {
        cp_strbuf_release(&sb);
        return NULL;
    }
    return cp_strbuf_detach(&sb);
}

static int read_into(const char *path, const struct cp_reader_ops *ops, struct cp_bdf_writer *w,
                     struct cp_error *err)
{
    struct cp_table *cells = cp_table_new("cells"), *cycles = cp_table_new("cycles");
    int rc = 0;
    if (!cells || !cycles || cp_add_canonical_columns(cells, cp_cells_columns) < 0) {
        rc = cp_error_oom(err);
        goto cleanup;
    }
    struct cp_reader_out out = {
        .cells = cells, .cycles = cycles, .on_point = cp_bdf_on_point, .on_point_ctx = w};
    rc = ops->read(path, &out, err);
    if (rc == 0 && cp_bdf_writer_points(w) == 0)
        rc = cp_error_set(err, CP_EDATA,
                          "%s: %s holds per-cycle rows only, no time series to write as BDF "
                          "(expected a raw time series: 'cellpipe inspect --formats')",
                          path, ops->name);
cleanup:
    cp_table_free(cells);
    cp_table_free(cycles);
    return rc;
}

int cp_bdf_convert(const char *path, const struct cp_reader_ops *ops, const char *out_path,
                   long long *points, char **cell, struct cp_error *err)
{
    if (points)
        *points = 0;
    if (cell)
        *cell = NULL;
    if (!ops && !(ops = cp_reader_detect(path, err)))
        return -err->code;
    struct cp_bdf_writer *w = cp_bdf_writer_new(out_path, err);
    if (!w)
        return -err->code;
    int rc = read_into(path, ops, w, err);
    if (rc < 0) {
        cp_bdf_writer_free(w);
        return rc;
    }
    long long n = cp_bdf_writer_points(w);
    char *id = cell ? cp_strdup(cp_bdf_writer_cell(w)) : NULL;
    if (cell && !id) {
        cp_bdf_writer_free(w);
        return cp_error_oom(err);
    }
    rc = cp_bdf_writer_close(w, err);
    if (cell && rc == 0)
        *cell = id;
    else
        cp_free(id);
    if (rc == 0 && points)
        *points = n;
    return rc;
}
