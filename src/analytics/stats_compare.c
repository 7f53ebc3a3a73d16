/* Two-group comparison of one metric: see include/cellpipe/stats.h for the definitions. */
#include "cellpipe/stats.h"

#include <math.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "stats_internal.h"

#define EXACT_MAX 8

static size_t keep_finite(const double *x, size_t n, double *dst)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]))
            dst[m++] = x[i];
    return m;
}

/* P(U >= u) under H0 for groups of m and n without ties: counts of orderings by U. */
static double exact_sf(int u, int m, int n)
{
    double c[EXACT_MAX + 1][EXACT_MAX + 1][EXACT_MAX * EXACT_MAX + 1];
    for (int i = 0; i <= m; i++)
        for (int j = 0; j <= n; j++)
            for (int k = 0; k <= m * n; k++) {
                if (i == 0 || j == 0)
                    c[i][j][k] = k == 0;
                else /* the largest value is from x (it beats all j of y) or from y */
                    c[i][j][k] = (k >= j ? c[i - 1][j][k - j] : 0) + c[i][j - 1][k];
            }
    double tail = 0, total = 0;
    for (int k = 0; k <= m * n; k++) {
        total += c[m][n][k];
        if (k >= u)
            tail += c[m][n][k];
    }
    return tail / total;
}

static int mann_whitney(const double *v, size_t n1, size_t n2, double *rank, struct cp_stats_cmp *o)
{
    double r1 = 0, ties, m = (double)n1, n = (double)n2, big = m + n;
    int rc = stats_rank(v, n1 + n2, rank, &ties);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n1; i++)
        r1 += rank[i];
    double u1 = r1 - m * (m + 1) / 2.0;
    o->u = fmax(u1, m * n - u1);
    o->cliff_delta = (2.0 * u1 - m * n) / (m * n);
    o->u_exact = n1 <= EXACT_MAX && n2 <= EXACT_MAX && ties == 0;
    if (o->u_exact) {
        o->u_p = fmin(1.0, 2.0 * exact_sf((int)o->u, (int)n1, (int)n2));
        return 0;
    }
    double s = sqrt(m * n / 12.0 * ((big + 1) - ties / (big * (big - 1))));
    if (s == 0) {
        o->u_p = 1.0;
        return 0;
    }
    double z = (o->u - m * n / 2.0 - 0.5) / s;
    o->u_p = fmin(1.0, 2.0 * gsl_cdf_ugaussian_Q(z));
    return 0;
}

static void welch(const double *x, size_t n1, const double *y, size_t n2, struct cp_stats_cmp *o)
{
    double mx = gsl_stats_mean(x, 1, n1), my = gsl_stats_mean(y, 1, n2);
    double vx = gsl_stats_variance_m(x, 1, n1, mx) / (double)n1;
    double vy = gsl_stats_variance_m(y, 1, n2, my) / (double)n2;
    if (vx + vy == 0)
        return;
    o->t = (mx - my) / sqrt(vx + vy);
    o->t_df = (vx + vy) * (vx + vy) / (vx * vx / (double)(n1 - 1) + vy * vy / (double)(n2 - 1));
    o->t_p = 2.0 * gsl_cdf_tdist_Q(fabs(o->t), o->t_df);
}

int cp_stats_compare(const double *x, size_t nx, const double *y, size_t ny,
                     struct cp_stats_cmp *out)
{
    int rc = 0;
    double *v = NULL, *rank = NULL;
    *out = (struct cp_stats_cmp){0};
    out->u = out->u_p = out->t = out->t_df = out->t_p = out->cliff_delta = NAN;
    v = cp_malloc((nx + ny + 1) * sizeof *v);
    rank = cp_malloc((nx + ny + 1) * sizeof *rank);
    if (!v || !rank) {
        rc = -CP_EINTERNAL;
        goto cleanup;
    }
    size_t n1 = keep_finite(x, nx, v), n2 = keep_finite(y, ny, v + n1);
    out->n1 = n1;
    out->n2 = n2;
    if (n1 < 3 || n2 < 3) {
        out->status = CP_STATS_TOO_FEW;
        goto cleanup;
    }
    rc = mann_whitney(v, n1, n2, rank, out);
    if (rc < 0)
        goto cleanup;
    welch(v, n1, v + n1, n2, out);
cleanup:
    cp_free(v);
    cp_free(rank);
    return rc;
}
