/* Shared KPI and per-cell phrases for index.html and the mail (include/cellpipe/kpi.h). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/kpi.h"
#include "cellpipe/strbuf.h"

long cp_kpi_flagged(const struct cp_run *run)
{
    long n = 0;
    for (size_t i = 0; i < run->nresults; i++)
        n += run->results[i].nattention > 0;
    return n;
}

const char *cp_kpi_cell_str(const struct cp_run *run, const struct cp_cell_result *r,
                            const char *column)
{
    char **col = run->data.cells ? cp_table_str(run->data.cells, column) : NULL;
    if (!col || r->cells_row < 0 || (size_t)r->cells_row >= run->data.cells->nrows)
        return "";
    return col[r->cells_row] ? col[r->cells_row] : "";
}

int cp_kpi_flags_text(const struct cp_cell_result *r, struct cp_strbuf *sb)
{
    for (int i = 0; i < r->nflags && i < CP_MAX_FLAGS; i++) {
        if (cp_strbuf_addf(sb, "%s%s: %s", i ? "; " : "", r->flags[i].kind, r->flags[i].reason) < 0)
            return -1;
    }
    return 0;
}

int cp_kpi_eol_text(const struct cp_cell_result *r, struct cp_strbuf *sb)
{
    if (r->eol_observed >= 0)
        return cp_strbuf_addf(sb, "observed at cycle %ld", r->eol_observed);
    if (isnan(r->eol_forecast))
        return cp_strbuf_adds(sb, "none");
    if (r->eol_capped && !(r->eol_forecast < r->eol_hi))
        return cp_strbuf_addf(sb, "capped at the extrapolation limit %.0f", r->eol_forecast);
    if (!isnan(r->eol_lo) && !isnan(r->eol_hi))
        return cp_strbuf_addf(sb, "forecast %.0f (95 %% %.0f-%.0f%s)", r->eol_forecast, r->eol_lo,
                              r->eol_hi, r->eol_capped ? ", upper bound capped" : "");
    return cp_strbuf_addf(sb, "forecast %.0f", r->eol_forecast);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of the finite values of field at offset in the results; NaN when none. */
static double median_retention(const struct cp_run *run)
{
    double *v = cp_malloc((run->nresults ? run->nresults : 1) * sizeof(*v));
    size_t n = 0;
    double m = NAN;
    if (!v)
        return NAN;
    for (size_t i = 0; i < run->nresults; i++)
        if (!isnan(run->results[i].last_retention))
            v[n++] = run->results[i].last_retention;
    if (n) {
        qsort(v, n, sizeof(*v), cmp_double);
        m = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
    cp_free(v);
    return m;
}

static void put(struct cp_kpi *out, size_t max, size_t *n, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void put(struct cp_kpi *out, size_t max, size_t *n, const char *label, const char *fmt, ...)
{
    if (*n >= max)
        return;
    va_list ap;
    va_start(ap, fmt);
    snprintf(out[*n].label, sizeof(out[*n].label), "%s", label);
    vsnprintf(out[*n].value, sizeof(out[*n].value), fmt, ap);
    va_end(ap);
    (*n)++;
}

size_t cp_kpi_collect(const struct cp_run *run, struct cp_kpi *out, size_t max)
{
    size_t n = 0;
    long past_eol = 0;
    for (size_t i = 0; i < run->nresults; i++)
        past_eol += run->results[i].eol_observed >= 0;
    put(out, max, &n, "Cells", "%zu", run->nresults);
    put(out, max, &n, "Cycles", "%zu", run->data.cycles ? run->data.cycles->nrows : 0);
    put(out, max, &n, "Flagged cells", "%ld", cp_kpi_flagged(run));
    put(out, max, &n, "Past end of life", "%ld", past_eol);
    double med = median_retention(run);
    if (!isnan(med))
        put(out, max, &n, "Median retention", "%.1f %%", 100 * med);
    put(out, max, &n, "Rows quarantined", "%lld of %lld", run->validation.rows_quarantined,
        run->validation.rows_in);
    if (!isnan(run->backtest_mape))
        put(out, max, &n, "EOL back-test error", "%.1f %%", run->backtest_mape); /* a percent */
    if (run->tracking.status[0])
        put(out, max, &n, "MLflow", "%s", run->tracking.status);
    if (run->shard_count > 1)
        put(out, max, &n, "Shard", "%u/%u", run->shard_index, run->shard_count);
    return n;
}
