/* Kruskal-Wallis test with tie correction: see include/cellpipe/stats.h. */
#include "cellpipe/stats.h"

#include <math.h>

#include <gsl/gsl_cdf.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "stats_internal.h"

int cp_stats_kruskal(const double *const *groups, const size_t *sizes, size_t k,
                     struct cp_stats_kw *out)
{
    int rc = 0;
    size_t total = 0;
    double *a = NULL, *rank = NULL, *r = NULL, *cnt = NULL;
    *out = (struct cp_stats_kw){.k = k, .h = NAN, .df = NAN, .p = NAN};
    for (size_t g = 0; g < k; g++)
        total += sizes[g];
    a = cp_malloc((total + 1) * sizeof *a);
    rank = cp_malloc((total + 1) * sizeof *rank);
    r = cp_calloc(k + 1, sizeof *r);
    cnt = cp_calloc(k + 1, sizeof *cnt);
    if (!a || !rank || !r || !cnt) {
        rc = -CP_EINTERNAL;
        goto cleanup;
    }
    size_t n = 0;
    int too_few = k < 2;
    for (size_t g = 0; g < k; g++) {
        for (size_t i = 0; i < sizes[g]; i++)
            if (isfinite(groups[g][i])) {
                a[n++] = groups[g][i];
                cnt[g] += 1;
            }
        too_few |= cnt[g] < 3;
    }
    out->n = n;
    if (too_few) {
        out->status = CP_STATS_TOO_FEW;
        goto cleanup;
    }
    double big = (double)n, ties, sum = 0;
    if ((rc = stats_rank(a, n, rank, &ties)) < 0)
        goto cleanup;
    for (size_t g = 0, i = 0; g < k; g++) {
        for (size_t end = i + (size_t)cnt[g]; i < end; i++)
            r[g] += rank[i];
        sum += r[g] * r[g] / cnt[g];
    }
    double corr = 1.0 - ties / (big * big * big - big);
    out->df = (double)(k - 1);
    if (corr <= 0)
        goto cleanup;
    out->h = (12.0 / (big * (big + 1.0)) * sum - 3.0 * (big + 1.0)) / corr;
    out->p = gsl_cdf_chisq_Q(out->h, out->df);
cleanup:
    cp_free(a);
    cp_free(rank);
    cp_free(r);
    cp_free(cnt);
    return rc;
}
