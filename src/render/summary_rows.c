/*
 * The cells summary.pdf lists (include/cellpipe/summary_rows.h). 100,000 cells made a
 * 2,000-page fleet table nobody reads; past report.summary_cells the PDF lists the cells a
 * reader acts on and points to the full table.
 */
#include "cellpipe/summary_rows.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/config.h"
#include "cellpipe/run.h"
#include "cellpipe/table.h"

size_t cp_summary_rows_max(const struct cp_run *run)
{
    long m = run->cfg ? run->cfg->report.summary_cells : 0;
    return m > 0 ? (size_t)m : CP_SUMMARY_CELLS;
}

static const struct cp_cell_result *result_of(const struct cp_run *run, size_t row)
{
    return run->results && row < run->nresults ? &run->results[row] : NULL;
}

static int has_attention(const struct cp_cell_result *r)
{
    for (int f = 0; r && f < r->nflags && f < CP_MAX_FLAGS; f++)
        if (r->flags[f].attention)
            return 1;
    return 0;
}

struct by_eol {
    double eol; /* INFINITY: none */
    size_t row;
};

static int cmp_eol(const void *a, const void *b)
{
    const struct by_eol *x = a, *y = b;
    if (x->eol != y->eol)
        return x->eol < y->eol ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

static double eol_of(const struct cp_cell_result *r)
{
    if (!r)
        return INFINITY;
    if (r->eol_observed >= 0)
        return (double)r->eol_observed;
    return isfinite(r->eol_forecast) ? r->eol_forecast : INFINITY;
}

/* Every cell in the order of the cells table: the whole fleet fits. */
static void pick_all(const struct cp_run *run, struct cp_summary_rows *out)
{
    for (size_t row = 0; row < out->ncells; row++) {
        out->fleet[out->nfleet++] = row;
        if (has_attention(result_of(run, row)))
            out->flagged[out->nflagged++] = row;
    }
}

/* Past the cap: flagged cells by earliest end of life, then the others; the fleet table takes
 * the flagged first and fills up with the earliest of the others, shown in one order. */
static void pick_capped(const struct cp_run *run, struct cp_summary_rows *out, size_t max,
                        struct by_eol *v)
{
    size_t n = out->ncells;
    for (size_t row = 0; row < n; row++)
        v[row] = (struct by_eol){eol_of(result_of(run, row)), row};
    qsort(v, n, sizeof(*v), cmp_eol);
    size_t want_flagged = out->flagged_cells < max ? out->flagged_cells : max;
    size_t want_other = max - want_flagged, tf = 0, to = 0;
    for (size_t i = 0; i < n; i++) {
        int fl = has_attention(result_of(run, v[i].row));
        if (fl && out->nflagged < max)
            out->flagged[out->nflagged++] = v[i].row;
        if (fl ? tf < want_flagged : to < want_other) {
            out->fleet[out->nfleet++] = v[i].row;
            *(fl ? &tf : &to) += 1;
        }
    }
}

int cp_summary_rows_pick(const struct cp_run *run, struct cp_summary_rows *out)
{
    memset(out, 0, sizeof(*out));
    out->ncells = run->data.cells ? run->data.cells->nrows : 0;
    for (size_t row = 0; row < out->ncells; row++)
        out->flagged_cells += has_attention(result_of(run, row));
    size_t max = cp_summary_rows_max(run), n = out->ncells;
    size_t cap = n < max ? n : max;
    out->fleet = cp_malloc((cap ? cap : 1) * sizeof(size_t));
    out->flagged = cp_malloc((cap ? cap : 1) * sizeof(size_t));
    struct by_eol *v = n > max ? cp_malloc(n * sizeof(*v)) : NULL;
    if (!out->fleet || !out->flagged || (n > max && !v)) {
        cp_free(v);
        cp_summary_rows_release(out);
        return -1;
    }
    if (n > max)
        pick_capped(run, out, max, v);
    else
        pick_all(run, out);
    cp_free(v);
    return 0;
}

void cp_summary_rows_release(struct cp_summary_rows *r)
{
    cp_free(r->fleet);
    cp_free(r->flagged);
    memset(r, 0, sizeof(*r));
}
