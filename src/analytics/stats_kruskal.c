/* Kruskal-Wallis test with tie correction: see include/cellpipe/stats.h. */
#include "cellpipe/stats.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"

struct grouped {
    double v;
    size_t g;
};

static int cmp_grouped(const void *a, const void *b)
{
    double x = ((const struct grouped *)a)->v, y = ((const struct grouped *)b)->v;
    return (x > y) - (x < y);
}

/* Adds each group's rank sum to r[g] and returns sum(t^3 - t) over the tie groups. */
static double rank_sums(struct grouped *a, size_t n, double *r)
{
    double ties = 0;
    qsort(a, n, sizeof *a, cmp_grouped);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && a[j].v == a[i].v)
            j++;
        double t = (double)(j - i);
        for (size_t q = i; q < j; q++)
            r[a[q].g] += (double)(i + j + 1) / 2.0;
        ties += t * t * t - t;
        i = j;
    }
    return ties;
}

int cp_stats_kruskal(const double *const *groups, const size_t *sizes, size_t k,
                     struct cp_stats_kw *out)
{
    int rc = 0;
    size_t total = 0;
    struct grouped *a = NULL;
    double *r = NULL, *cnt = NULL;
    *out = (struct cp_stats_kw){.k = k, .h = NAN, .df = NAN, .p = NAN};
    for (size_t g = 0; g < k; g++)
        total += sizes[g];
    a = cp_malloc((total + 1) * sizeof *a);
    r = cp_calloc(k + 1, sizeof *r);
    cnt = cp_calloc(k + 1, sizeof *cnt);
    if (!a || !r || !cnt) {
        rc = -CP_EINTERNAL;
        goto cleanup;
    }
    size_t n = 0;
    int too_few = k < 2;
    for (size_t g = 0; g < k; g++) {
        for (size_t i = 0; i < sizes[g]; i++)
            if (isfinite(groups[g][i])) {
                a[n++] = (struct grouped){groups[g][i], g};
                cnt[g] += 1;
            }
        too_few |= cnt[g] < 3;
    }
    out->n = n;
    if (too_few) {
        out->status = CP_STATS_TOO_FEW;
        goto cleanup;
    }
    double big = (double)n, ties = rank_sums(a, n, r), sum = 0;
    for (size_t g = 0; g < k; g++)
        sum += r[g] * r[g] / cnt[g];
    double corr = 1.0 - ties / (big * big * big - big);
    out->df = (double)(k - 1);
    if (corr <= 0)
        goto cleanup;
    out->h = (12.0 / (big * (big + 1.0)) * sum - 3.0 * (big + 1.0)) / corr;
    out->p = gsl_cdf_chisq_Q(out->h, out->df);
cleanup:
    cp_free(a);
    cp_free(r);
    cp_free(cnt);
    return rc;
}
