/* The select stage: see include/cellpipe/select.h. */
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/log.h"
#include "cellpipe/select.h"
#include "cellpipe/strbuf.h"

unsigned cp_shard_of(const char *cell_id, unsigned n)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)cell_id; *p; p++)
        h = (h ^ *p) * 16777619u;
    return n ? h % n : 0;
}

/* Does the cell's value in `col` (as text) equal one of `values`? */
static int matches(const struct cp_table *t, int col, size_t row, const struct cp_strlist *values,
                   struct cp_strbuf *tmp)
{
    cp_strbuf_reset(tmp);
    if (cp_table_is_na(t, col, row))
        return 0;
    if (t->cols[col].type == CP_STR)
        cp_strbuf_adds(tmp, t->cols[col].v.str[row]);
    else
        cp_table_format_cell(t, col, row, tmp);
    for (size_t i = 0; i < values->n; i++)
        if (strcmp(tmp->buf, values->v[i]) == 0)
            return 1;
    return 0;
}

struct filter_ref {
    const char *column;
    const struct cp_strlist *values;
    const char *origin; /* the --select option it came from, or NULL */
};

static size_t collect_filters(const struct cp_select_config *s, struct filter_ref *out)
{
    const struct filter_ref fixed[] = {
        {"design_name", &s->design_name, NULL},
        {"experiment_group", &s->experiment_group, NULL},
        {"layer_types", &s->layer_types, NULL},
        {"test_status", &s->test_status, NULL},
        {"year", &s->year, NULL},
        {"cell_id", &s->cell_id, NULL},
    };
    size_t n = 0;
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        if (fixed[i].values->n)
            out[n++] = fixed[i];
    for (size_t i = 0; i < s->nwhere; i++)
        out[n++] = (struct filter_ref){s->where[i].column, &s->where[i].values, s->where[i].origin};
    return n;
}

static int select_cells(const struct cp_select_opts *o, struct cp_dataset *ds, struct cp_error *err)
{
    const struct cp_config *cfg = o->cfg;
    struct cp_table *cells = ds->cells;
    struct filter_ref *f = cp_malloc((6 + cfg->select.nwhere) * sizeof(*f));
    unsigned char *keep = cp_malloc(cells->nrows ? cells->nrows : 1);
    struct cp_strbuf tmp;
    cp_strbuf_init(&tmp);
    int rc = 0;
    if (!f || !keep) {
        rc = cp_error_oom(err);
        goto cleanup;
    }
    size_t nf = collect_filters(&cfg->select, f);
    char **id = cp_table_str(cells, "cell_id");
    memset(keep, 1, cells->nrows);
    for (size_t k = 0; k < nf; k++) {
        int col = cp_table_find(cells, f[k].column);
        if (col < 0) {
            rc = f[k].origin
                     ? cp_error_set(err, CP_ECONFIG, "--select %s: unknown metadata column '%s'",
                                    f[k].origin, f[k].column)
                     : cp_error_set(err, CP_ECONFIG, "%s: select: unknown metadata column '%s'",
                                    cfg->path, f[k].column);
            goto cleanup;
        }
        for (size_t r = 0; r < cells->nrows; r++)
            keep[r] = keep[r] && matches(cells, col, r, f[k].values, &tmp);
    }
    for (size_t r = 0; o->shard_count > 1 && r < cells->nrows; r++)
        keep[r] = keep[r] && id[r] && cp_shard_of(id[r], o->shard_count) == o->shard_index;
    cp_table_filter(cells, keep);
cleanup:
    cp_free(f);
    cp_free(keep);
    cp_strbuf_release(&tmp);
    return rc;
}

/* Drop cycles whose cell is not (or no longer) in the cells table. */
static int select_cycles(const struct cp_select_opts *o, struct cp_dataset *ds,
                         struct cp_error *err)
{
    struct cp_table *cells = ds->cells, *cy = ds->cycles;
    if (cp_table_group(cells, "cell_id") < 0 || cp_table_group(cy, "cell_id") < 0)
        return cp_error_oom(err);
    unsigned char *keep = cp_malloc(cy->nrows ? cy->nrows : 1);
    if (!keep)
        return cp_error_oom(err);
    char **id = cp_table_str(cy, "cell_id");
    size_t orphans = 0;
    for (size_t g = 0; g < cy->ngroups; g++) {
        size_t a = cy->group_start[g], b = cy->group_start[g + 1];
        int in = id[a] && cp_table_group_find(cells, "cell_id", id[a]) >= 0;
        memset(keep + a, in, b - a);
        orphans += !in && id[a] && o->shard_count <= 1;
    }
    cp_table_filter(cy, keep);
    cp_free(keep);
    if (orphans)
        cp_log(CP_LOG_WARN, "stage=select cells_without_metadata=%zu", orphans);
    if (cp_table_group(cy, "cell_id") < 0)
        return cp_error_oom(err);
    return 0;
}

/* Drop dQ/dV curve rows of cells not kept, so plots and results/dqdv.csv show the selection. */
static int select_curves(struct cp_dataset *ds, struct cp_error *err)
{
    struct cp_table *cu = ds->curves;
    char **id = cu ? cp_table_str(cu, "cell_id") : NULL;
    if (!id || cu->nrows == 0)
        return 0;
    unsigned char *keep = cp_malloc(cu->nrows);
    if (!keep)
        return cp_error_oom(err);
    int in = 0;
    for (size_t r = 0; r < cu->nrows; r++) {
        /* rows come cell by cell: look a cell up once per run of equal ids */
        if (r == 0 || !id[r] || !id[r - 1] || strcmp(id[r], id[r - 1]) != 0)
            in = id[r] && cp_table_group_find(ds->cells, "cell_id", id[r]) >= 0;
        keep[r] = (unsigned char)in;
    }
    cp_table_filter(cu, keep);
    cp_free(keep);
    return 0;
}

int cp_select_apply(const struct cp_select_opts *o, struct cp_dataset *ds, struct cp_error *err)
{
    int rc = select_cells(o, ds, err);
    if (rc == 0)
        rc = select_cycles(o, ds, err);
    if (rc == 0)
        rc = select_curves(ds, err);
    if (rc == 0)
        cp_log(CP_LOG_INFO, "stage=select cells=%zu cycles=%zu", ds->cells->nrows,
               ds->cycles->nrows);
    return rc;
}
