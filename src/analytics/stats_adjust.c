/* Bonferroni and Holm correction of p-values: see include/cellpipe/stats.h. */
#include "cellpipe/stats.h"

#include <math.h>
#include <stdlib.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"

struct indexed {
    double p;
    size_t i;
};

static int cmp_indexed(const void *a, const void *b)
{
    const struct indexed *x = a, *y = b;
    if (x->p != y->p)
        return (x->p > y->p) - (x->p < y->p);
    return (x->i > y->i) - (x->i < y->i);
}

int cp_stats_adjust(const double *p, size_t n, enum cp_stats_adjust_method method, double *out)
{
    int rc = 0;
    struct indexed *s = cp_malloc((n + 1) * sizeof *s);
    if (!s) {
        rc = -CP_EINTERNAL;
        goto cleanup;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(p[i]))
            s[m++] = (struct indexed){p[i], i};
    for (size_t i = 0; i < n; i++)
        if (!isfinite(p[i]))
            out[i] = NAN;
    if (method == CP_STATS_BONFERRONI) {
        for (size_t k = 0; k < m; k++)
            out[s[k].i] = fmin(1.0, (double)m * s[k].p);
        goto cleanup;
    }
    qsort(s, m, sizeof *s, cmp_indexed);
    double run = 0;
    for (size_t k = 0; k < m; k++) {
        run = fmax(run, (double)(m - k) * s[k].p);
        out[s[k].i] = fmin(1.0, run);
    }
cleanup:
    cp_free(s);
    return rc;
}
