#ifndef CELLPIPE_STATS_H
#define CELLPIPE_STATS_H
/*
 * Fleet statistics (issue #18), descriptive part: one metric of one group of cells.
 * NaN values are skipped (pairwise complete). Quartiles interpolate linearly between order
 * statistics (numpy's default, GSL's gsl_stats_quantile_from_sorted_data). The interval of the
 * mean uses Student's t with n-1 degrees of freedom; the interval of the median is the
 * distribution-free order-statistic interval [x_(k), x_(n-k+1)] with the largest k such that
 * P(Binomial(n, 1/2) <= k-1) <= (1-level)/2 (coverage at least `level`).
 */
#include <stddef.h>

struct cp_stats_desc {
    size_t n; /* finite values used */
    double mean, sd, median, q1, q3, min, max;
    double mean_lo, mean_hi;     /* NaN when n < 2 */
    double median_lo, median_hi; /* NaN when no order statistic reaches the coverage */
};

/* Describe x[0..n) at confidence `level` (e.g. 0.95). 0, or a negative CP_E* code. */
int cp_stats_describe(const double *x, size_t n, double level, struct cp_stats_desc *out);

/*
 * Two groups of cells compared on one metric; NaN values are skipped in each group.
 * Mann-Whitney U, two-sided: U = max(U1, n1 n2 - U1), U1 = R1 - n1 (n1 + 1) / 2, R1 the sum of
 * the average ranks of x in both groups. Both groups at most 8 values and no tie: exact null
 * distribution, p = min(1, 2 P(U' >= U)). Otherwise normal approximation with tie and
 * continuity correction: z = (U - n1 n2 / 2 - 0.5) / s, with
 * s^2 = n1 n2 / 12 * ((N + 1) - sum(t^3 - t) / (N (N - 1))), N = n1 + n2, t the tie sizes;
 * p = min(1, 2 Q(z)), p = 1 when every value is tied. Welch's t with Welch-Satterthwaite
 * degrees of freedom, p = 2 Q_t(|t|). Cliff's delta = (#(x > y) - #(x < y)) / (n1 n2).
 * Fewer than 3 finite values in either group: status CP_STATS_TOO_FEW, every statistic NaN.
 */
enum cp_stats_status { CP_STATS_OK = 0, CP_STATS_TOO_FEW = 1 };

struct cp_stats_cmp {
    int status;          /* CP_STATS_OK or CP_STATS_TOO_FEW ("not enough cells") */
    size_t n1, n2;       /* finite values used */
    double u, u_p;       /* Mann-Whitney U (the larger of U1, U2) and its two-sided p */
    int u_exact;         /* 1 when u_p comes from the exact distribution */
    double t, t_df, t_p; /* Welch; NaN when both variances are 0 */
    double cliff_delta;
};

/* Compare x[0..nx) with y[0..ny). 0, or -CP_EINTERNAL when out of memory. */
int cp_stats_compare(const double *x, size_t nx, const double *y, size_t ny,
                     struct cp_stats_cmp *out);

/*
 * Family-wise correction of m p-values (the finite ones among p[0..n); NaN stays NaN in out).
 * Bonferroni: min(1, m p_i). Holm (step-down): with p_(1) <= ... <= p_(m),
 * adj_(k) = min(1, max_{j <= k} (m - j + 1) p_(j)); tied p-values get the same adjusted value.
 */
enum cp_stats_adjust_method { CP_STATS_BONFERRONI, CP_STATS_HOLM };

/* out[0..n) may alias p. 0, or -CP_EINTERNAL when out of memory. */
int cp_stats_adjust(const double *p, size_t n, enum cp_stats_adjust_method method, double *out);

/*
 * Correlation of two metrics over the cells where both are finite (pairwise complete).
 * Pearson r = sum (x - mx)(y - my) / sqrt(sum (x - mx)^2 sum (y - my)^2), two-sided
 * p = 2 P(B > (|r| + 1) / 2), B ~ Beta(n/2 - 1, n/2 - 1) (the exact null for normal data).
 * Spearman rho = Pearson r of the average ranks; p = 2 Q_t(|t|), t = rho sqrt((n - 2) /
 * ((1 + rho)(1 - rho))), n - 2 degrees of freedom. r and p are NaN when a metric is constant;
 * fewer than 3 complete pairs: status CP_STATS_TOO_FEW, every statistic NaN.
 */
struct cp_stats_corr {
    int status; /* CP_STATS_OK or CP_STATS_TOO_FEW */
    size_t n;   /* complete pairs */
    double pearson_r, pearson_p;
    double spearman_r, spearman_p;
};

/* Correlate x[i] with y[i], i in [0, n). 0, or -CP_EINTERNAL when out of memory. */
int cp_stats_correlate(const double *x, const double *y, size_t n, struct cp_stats_corr *out);

/*
 * Kruskal-Wallis test of k groups of one metric (NaN skipped), with tie correction:
 * H = (12 / (N (N + 1)) sum R_i^2 / n_i - 3 (N + 1)) / (1 - sum(t^3 - t) / (N^3 - N)), R_i the
 * sum of the average ranks of group i among all N values, t the tie sizes; p = P(chi^2_{k-1} >
 * H). Fewer than 2 groups, or a group with fewer than 3 finite values: CP_STATS_TOO_FEW and NaN.
 * H and p are NaN when all values are equal.
 */
struct cp_stats_kw {
    int status;  /* CP_STATS_OK or CP_STATS_TOO_FEW */
    size_t n, k; /* finite values in all groups, groups */
    double h, df, p;
};

/* Test groups[g][0..sizes[g]), g in [0, k). 0, or -CP_EINTERNAL when out of memory. */
int cp_stats_kruskal(const double *const *groups, const size_t *sizes, size_t k,
                     struct cp_stats_kw *out);

/*
 * Kaplan-Meier estimate of survival (here: of cycle life) from right-censored times. A cell
 * that reached its event (end of life) at time t has event 1; a cell still alive at its last
 * observation t (active, or stopped early) has event 0 and is censored at t. At a time with
 * both events and censorings, the events come first (the censored cells were at risk).
 * Cells whose time is not finite are left out.
 *
 * S(t) = prod over event times t_i <= t of (1 - d_i / n_i), n_i at risk just before t_i, d_i
 * events at t_i. Greenwood: Var S(t) = S(t)^2 sum_{t_i <= t} d_i / (n_i (n_i - d_i)).
 * Interval at `level` by the log-log transform (as lifelines' KaplanMeierFitter):
 * with v = sum d_i / (n_i (n_i - d_i)) / (log S)^2 and z the (1 + level) / 2 normal quantile,
 * lo = S^exp(z sqrt v), hi = S^exp(-z sqrt v); lo = hi = NaN where S is 1 (the transform is
 * undefined; lifelines gives 1 before the first event), lo = hi = 0 where S is 0 (the limit, as
 * lifelines; the infinite Greenwood term of the step to 0 is dropped there, so Var S = 0).
 * Median life: the smallest step time with S <= 0.5; its interval: the smallest step time
 * where hi <= 0.5 (upper end) and where lo <= 0.5 (lower end); NaN when a curve never gets
 * there (median not reached, or no upper bound), as lifelines' median_survival_times.
 */
struct cp_stats_km_step {
    double t;                         /* a distinct time with an event or a censoring */
    size_t at_risk, events, censored; /* at risk just before t; events and censorings at t */
    double s;                         /* S just after t */
    double var;                       /* Greenwood variance of S just after t */
    double lo, hi;                    /* log-log interval of S just after t */
};

struct cp_stats_km {
    int status;                     /* CP_STATS_OK; CP_STATS_TOO_FEW when no finite time */
    size_t n, events;               /* cells used, events among them */
    struct cp_stats_km_step *steps; /* in increasing t; cp_stats_km_release() frees */
    size_t nsteps;
    double median, median_lo, median_hi; /* NaN when not reached */
};

/* Estimate from time[0..n) and event[0..n) (1 event, 0 censored). 0, or -CP_EINTERNAL when out
 * of memory (out is then empty). */
int cp_stats_km(const double *time, const int *event, size_t n, double level,
                struct cp_stats_km *out);
void cp_stats_km_release(struct cp_stats_km *km);

/*
 * Log-rank test of k groups of right-censored times (lifelines' multivariate_logrank_test; for
 * k = 2 the same as logrank_test). At each distinct event time over all groups, with n_j at
 * risk and d_j events in group j (N, D in all): observed minus expected O_j - E_j summed over
 * times, E_j = D n_j / N, and the hypergeometric covariance
 * V_jl = sum D (N - D) / (N - 1) n_j / N (delta_jl - n_l / N). chi2 = (O - E)' V^- (O - E)
 * over the first k - 1 groups, df = k - 1, p = P(chi^2_df > chi2).
 * Fewer than 2 groups, or a group with fewer than 3 cells: CP_STATS_TOO_FEW and NaN.
 * No event at all: chi2 and p are NaN.
 */
struct cp_stats_logrank {
    int status;  /* CP_STATS_OK or CP_STATS_TOO_FEW */
    size_t n, k; /* cells with a finite time, groups */
    double chi2, df, p;
};

/* group[i] in [0, k) is cell i's group. 0, or -CP_EINTERNAL when out of memory. */
int cp_stats_logrank(const double *time, const int *event, const size_t *group, size_t n, size_t k,
                     struct cp_stats_logrank *out);

#endif
