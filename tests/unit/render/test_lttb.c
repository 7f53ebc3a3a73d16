/* LTTB keeps first, last, min and max, returns ascending indices, and keeps the shape. */
#include <math.h>
#include <stdlib.h>

#include "cellpipe/lttb.h"
#include "harness.h"

static unsigned long long rng = 88172645463325252ULL;
static double urand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static int contains(const size_t *idx, size_t k, size_t v)
{
    for (size_t i = 0; i < k; i++)
        if (idx[i] == v)
            return 1;
    return 0;
}

TEST(keeps_extremes_random)
{
    enum { N = 100000, M = 500 };
    double *x = malloc(N * sizeof(double)), *y = malloc(N * sizeof(double));
    size_t *idx = malloc((M + 2) * sizeof(size_t));
    int bad = 0;
    for (int trial = 0; trial < 20; trial++) {
        size_t imin = 0, imax = 0;
        for (size_t i = 0; i < N; i++) {
            x[i] = (double)i;
            y[i] = 1.0 - 0.0002 * i / 100 + 0.01 * (urand() - 0.5);
            if (y[i] < y[imin])
                imin = i;
            if (y[i] > y[imax])
                imax = i;
        }
        size_t k = cp_lttb(x, y, N, M, idx);
        bad += k < M - 1 || k > M + 2;
        bad += idx[0] != 0 || idx[k - 1] != N - 1;
        bad += !contains(idx, k, imin) || !contains(idx, k, imax);
        for (size_t i = 1; i < k; i++)
            bad += idx[i] <= idx[i - 1];
    }
    CHECK_INT(bad, 0);
    free(x);
    free(y);
    free(idx);
}

/* A one-point spike in the middle of a flat line is the max and must survive. */
TEST(spike_and_dip_survive)
{
    enum { N = 10001 };
    static double x[N], y[N];
    size_t idx[102];
    for (size_t i = 0; i < N; i++) {
        x[i] = (double)i;
        y[i] = 0.9;
    }
    y[4321] = 1.5;
    y[4322] = 0.1; /* min and max in the same bucket: both kept */
    size_t k = cp_lttb(x, y, N, 100, idx);
    CHECK(contains(idx, k, 4321));
    CHECK(contains(idx, k, 4322));
    CHECK(k <= 102);
}

TEST(small_inputs_pass_through)
{
    double x[5] = {0, 1, 2, 3, 4}, y[5] = {1, 2, 3, 2, 1};
    size_t idx[7];
    CHECK_INT(cp_lttb(x, y, 5, 10, idx), 5);
    CHECK_INT(idx[4], 4);
    CHECK_INT(cp_lttb(x, y, 1, 10, idx), 1);
    CHECK_INT(cp_lttb(x, y, 0, 10, idx), 0);
    CHECK_INT(cp_lttb(x, y, 5, 1, idx), 3); /* m < 3 means 3: first, extreme, last */
    CHECK_INT(idx[1], 2);
}

/* On a sine wave the selected points follow the curve: peaks are kept within one bucket. */
TEST(shape_kept)
{
    enum { N = 20000, M = 400 };
    static double x[N], y[N];
    size_t idx[M + 2];
    for (size_t i = 0; i < N; i++) {
        x[i] = (double)i;
        y[i] = sin(2 * M_PI * 5 * i / N);
    }
    size_t k = cp_lttb(x, y, N, M, idx);
    int peaks = 0;
    for (size_t i = 0; i < k; i++)
        peaks += y[idx[i]] > 0.999;
    CHECK(peaks >= 5);
}

/* MinMaxLTTB on a million noisy points with a spike and a dip: same guarantees. */
TEST(minmax_lttb_guarantees)
{
    enum { N = 1000000, M = 1300 };
    double *x = malloc(N * sizeof(double)), *y = malloc(N * sizeof(double));
    size_t *idx = malloc((M + 2) * sizeof(size_t));
    for (size_t i = 0; i < N; i++) {
        x[i] = (double)i;
        y[i] = 100 - 1e-5 * i + (urand() - 0.5);
    }
    y[123457] = 180;
    y[876543] = -20;
    long k = cp_minmax_lttb(x, y, N, M, idx);
    CHECK(k >= M - 1 && k <= M + 2);
    CHECK(idx[0] == 0 && idx[k - 1] == N - 1);
    CHECK(contains(idx, (size_t)k, 123457));
    CHECK(contains(idx, (size_t)k, 876543));
    int ascending = 1;
    for (long i = 1; i < k; i++)
        ascending &= idx[i] > idx[i - 1];
    CHECK(ascending);
    /* small inputs fall through to plain LTTB */
    CHECK_INT(cp_minmax_lttb(x, y, 10, M, idx), 10);
    free(x);
    free(y);
    free(idx);
}

int main(void)
{
    RUN(minmax_lttb_guarantees);
    RUN(keeps_extremes_random);
    RUN(spike_and_dip_survive);
    RUN(small_inputs_pass_through);
    RUN(shape_kept);
    return DONE();
}
