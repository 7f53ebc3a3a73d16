/* Shared helpers of the reader tests: read one file through the registry. */
#ifndef RDTEST_H
#define RDTEST_H
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/reader.h"
#include "cellpipe/source.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/table.h"

struct rd {
    const struct cp_reader_ops *ops;
    struct cp_table *cells, *cycles, *curves;
    struct cp_reader_out out;
    struct cp_error err;
    int rc;
};

static inline void rd_read(struct rd *r, const char *path)
{
    memset(r, 0, sizeof(*r));
    r->cells = cp_table_new("cells");
    r->cycles = cp_table_new("cycles");
    r->curves = cp_table_new("curves");
    if (!r->cells || !r->cycles || !r->curves ||
        cp_add_canonical_columns(r->cells, cp_cells_columns) < 0) {
        r->rc = cp_error_oom(&r->err); /* the torture test fails these too */
        return;
    }
    r->out.cells = r->cells;
    r->out.cycles = r->cycles;
    r->out.curves = r->curves;
    r->ops = cp_reader_detect(path, &r->err);
    r->rc = r->ops ? r->ops->read(path, &r->out, &r->err) : -r->err.code;
}

static inline void rd_free(struct rd *r)
{
    cp_table_free(r->cells);
    cp_table_free(r->cycles);
    cp_table_free(r->curves);
}

static inline const char *rd_format(const struct rd *r)
{
    return r->ops ? r->ops->name : "(none)";
}

/* Row of cycle `cycle`, or -1. */
static inline long rd_row(const struct rd *r, long long cycle)
{
    int64_t *ix = cp_table_i64(r->cycles, "cycle_index");
    for (size_t i = 0; ix && i < r->cycles->nrows; i++)
        if (ix[i] == cycle)
            return (long)i;
    return -1;
}

/* Value of column `col` for cycle `cycle`; NaN when absent. */
static inline double rd_get(const struct rd *r, long long cycle, const char *col)
{
    long row = rd_row(r, cycle);
    int c = cp_table_find(r->cycles, col);
    if (row < 0 || c < 0)
        return NAN;
    return cp_table_get_num(r->cycles, c, (size_t)row);
}

/* Text of cells column `col` in the first cell row ("" when missing). */
static inline const char *rd_meta(const struct rd *r, const char *col, struct cp_strbuf *sb)
{
    cp_strbuf_reset(sb);
    int c = cp_table_find(r->cells, col);
    if (c >= 0 && r->cells->nrows > 0 && r->cells->cols[c].type == CP_STR) {
        const char *v = r->cells->cols[c].v.str[0];
        cp_strbuf_adds(sb, v ? v : "");
    } else if (c >= 0 && r->cells->nrows > 0) {
        cp_table_format_cell(r->cells, c, 0, sb);
    }
    return sb->buf;
}

/* $CELLPIPE_REAL_DATA/rel, or NULL when the folder is absent. */
static inline const char *rd_real(const char *rel, char *buf, size_t n)
{
    const char *root = getenv("CELLPIPE_REAL_DATA");
    if (!root)
        root = "../shared/data";
    snprintf(buf, n, "%s/%s", root, rel);
    FILE *f = fopen(buf, "rb");
    if (!f)
        return NULL;
    fclose(f);
    return buf;
}

#define REL_NEAR(a, b, rel) CHECK_NEAR((a), (b), fabs(b) * (rel))

/* curl's "torture" run over one read (include harness.h first): fail the Nth allocation for
 * every N the read makes and demand success or CP_EINTERNAL "out of memory", never another
 * error; the sanitizer build checks that no path leaks. A read of fewer than min_allocs
 * allocations means the file did not exercise the reader. */
static inline void rd_torture(const char *path, long min_allocs)
{
    long before = cp_alloc_count();
    struct rd r;
    rd_read(&r, path);
    CHECK_INT(r.rc, 0);
    rd_free(&r);
    long total = cp_alloc_count() - before, bad = 0;
    for (long n = 1; n <= total; n++) {
        cp_alloc_fail_at(cp_alloc_count() + n);
        rd_read(&r, path);
        cp_alloc_fail_at(0);
        bad += r.rc != 0 && r.rc != -CP_EINTERNAL;
        rd_free(&r);
    }
    T_REPORT(bad == 0, "%s: %ld of %ld failed allocations gave another error", path, bad, total);
    CHECK(total > min_allocs);
}
#endif
