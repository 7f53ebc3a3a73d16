#ifndef CELLPIPE_FIT_H
#define CELLPIPE_FIT_H
/*
 * Degradation fits, end of life, knee, forecasts and anomaly flags (docs/fits.md has the
 * exact method). Analytics does no I/O.
 *
 * Models of capacity retention y against cycle number n (parameters in this order, natural
 * units, as reported in struct cp_fit.p and results/fits.csv):
 *   linear       y = a + b n                                   a, b
 *   sqrt         y = a - b sqrt(n)                             a, b
 *   power        y = a - b n^c           (b > 0, c > 0)        a, b, c
 *   double_exp   y = a e^(b n) + c e^(d n)                     a, b, c, d
 *   bacon_watts  y = a0 + a1 (n - n1) + a2 (n - n1) tanh((n - n1) / g)
 *                (g = CP_BW_GAMMA * the last fitted cycle, fixed)  a0, a1, a2, n1
 * Fits use MINPACK's Levenberg-Marquardt (cminpack lmder) with analytic Jacobians, on cycles
 * scaled by the last fitted cycle; model choice by AICc.
 *
 * Thread safety: every function here works on caller-owned memory only.
 */
#include <stddef.h>
#include <stdint.h>

#include "cellpipe/config.h"
#include "cellpipe/results.h"

#include "cellpipe/table.h"

struct cp_error;

/* Bacon-Watts transition width as a fraction of the last fitted cycle. */
#define CP_BW_GAMMA 0.02

/* Most points a fit sees: longer records are averaged into this many equal-count bins of
 * consecutive cycles by the models stage (cp_fit_bin). */
#define CP_FIT_MAX_POINTS 160

/* Average the m points into at most maxp equal-count bins of consecutive points (mean cycle,
 * mean value); copies them when m <= maxp. Returns the number of points written. */
size_t cp_fit_bin(const double *n, const double *y, size_t m, size_t maxp, double *bn, double *by);

/* Number of parameters of model m. */
int cp_fit_nparams(enum cp_model m);
/* Name of parameter k of model m ("a", "b", "n1", ...). */
const char *cp_fit_param_name(enum cp_model m, int k);
/* Fit status as text: "not_run", "ok", "failed", "degenerate". */
const char *cp_fit_status_name(enum cp_fit_status s);

/*
 * Fit model m to the m points (n[i], y[i]) (finite, n >= 0, sorted by n, at least
 * np + 2 points). Fills out (status, parameters, rmse, aicc, reason); a fit that fails or is
 * degenerate has status FAILED/DEGENERATE, NaN numbers and a reason. Returns 0, or
 * CP_EINTERNAL (negative) when memory runs out.
 */
int cp_fit_model(enum cp_model model, const double *n, const double *y, size_t m,
                 struct cp_fit *out);

/* Value of model m with natural parameters p at cycle n (bacon_watts keeps its fixed width g
 * in p[4], after its four parameters). */
double cp_fit_eval(enum cp_model model, const double *p, double n);

/*
 * First cycle at or after `from` where the model falls below `level`, searched up to `limit`
 * (a uniform scan of at most 256 steps, unit steps on short ranges, refined by bisection).
 * Returns the crossing, or NaN when the model stays at or above level up to limit.
 */
double cp_fit_crossing(enum cp_model model, const double *p, double level, double from,
                       double limit);

/* AICc of a least-squares fit: m ln(rss / m) + 2k + 2k(k + 1) / (m - k - 1), with
 * k = np + 1 (the noise variance counts). NaN when m - k - 1 <= 0 or rss <= 0. */
double cp_fit_aicc(double rss, size_t m, int np);

/*
 * Knee (Fermin-Cueto et al. 2020): the knee point is the Bacon-Watts breakpoint n1 of `bw`;
 * the knee onset is the first breakpoint n0 of a double Bacon-Watts fit
 *   y = a0 + a1 (n - n0) + a2 (n - n0) tanh((n - n0) / g) + a3 (n - n2) tanh((n - n2) / g)
 * with n0 < n2 <= the knee point region. Returns 0 and sets *onset (NaN when the double
 * model does not converge to an onset before the knee point), or CP_EINTERNAL.
 */
int cp_knee_onset(const double *n, const double *y, size_t m, double knee_point, double *onset);

/*
 * Observed end of life over the m finite points (n[i], y[i]) of a cell, in cycle order: the
 * first cycle after the last point at or above the threshold (retention stays below from
 * there to the end of the data), when that final run below holds at least `persist` points.
 * A dip that recovers never counts. Returns the cycle, or -1 when not reached.
 */
long cp_eol_observed(const double *n, const double *y, size_t m, double threshold, long persist);

/* Relative tolerance of every threshold comparison (end of life, cycles_to_90/80, forecasts,
 * plots): retention is Q / reference, and 0.88 Ah of 1.1 Ah at 0.8 is 0.7999999999999999 in
 * binary; a value within 1e-9 of the level (relative) is at the level, not below it. */
#define CP_LEVEL_RTOL 1e-9
/* value < level, with CP_LEVEL_RTOL: 1 or 0. */
int cp_below(double value, double level);

/* Retention above this is absurd: left out of fits and end of life (and flagged). */
#define CP_RETENTION_MAX 1.5
/* The plausible points of rows [a, b) of a cell (finite retention in (0, CP_RETENTION_MAX],
 * a known cycle number >= 0, cycle numbers increasing) into n and y (b - a doubles each):
 * what end of life and the fits see. Returns how many. */
size_t cp_eol_points(const int64_t *cyc, const double *ret, size_t a, size_t b, double *n,
                     double *y);

/* Window of the per-cycle anomaly test's local trend (cycles; include/cellpipe/robust.h:
 * centred median inside the record, a robust line over the first/last window at its ends). */
#define CP_ANOMALY_WINDOW 11
/* Floor of the robust residual scale (retention units), raised to the record's own resolution
 * (cp_robust_resolution): a noiseless or coarsely quantised curve flags nothing. */
#define CP_ANOMALY_MIN_SCALE 1e-4
/* Fewest finite values a group needs for a MAD outlier test. */
#define CP_ANOMALY_MIN_GROUP 5

/* Median of v (sorted in place); NaN when n = 0. */
double cp_median_inplace(double *v, size_t n);

/*
 * Per-cycle anomalies of the m finite values y: residual r = y - local trend
 * (cp_robust_residuals, window CP_ANOMALY_WINDOW), z = r / cp_robust_scale(r, floor), floor =
 * max(CP_ANOMALY_MIN_SCALE, cp_robust_resolution(y), median |y[i] - y[i-1]|);
 * flag[i] = |z| > zlim. z (may be NULL) receives the scores; *count the flagged points.
 * 0 or CP_EINTERNAL (negative).
 */
int cp_anomaly_cycles(const double *y, size_t m, double zlim, unsigned char *flag, double *z,
                      size_t *count);

/*
 * Group outliers: flag[i] = |v[i] - median| / (1.4826 MAD) > limit over the finite v
 * (z[i] receives the score, untouched for NaN). Nothing is flagged with fewer than
 * CP_ANOMALY_MIN_GROUP finite values or a zero MAD. 0 or CP_EINTERNAL (negative).
 */
int cp_anomaly_mad(const double *v, size_t n, double limit, unsigned char *flag, double *z);

/* ---- forecasts (src/analytics/forecast.c) ---- */

struct cp_eol_forecast {
    double eol, lo, hi; /* forecast cycle and 95 % interval; NaN when none */
    int capped;         /* the interval (or the forecast) reached the extrapolation limit */
    size_t nused;       /* fleet: siblings combined */
    double spread;      /* fleet: half the log ratio of the weighted 84 % and 16 % quantiles of
                         * the siblings' crossings, at least CP_MIN_SPREAD */
};

struct cp_forecast_opts {
    double threshold; /* retention threshold */
    double limit;     /* extrapolation cap (cycle) */
    long samples;     /* bootstrap replicates (0: point forecast only) */
    uint64_t seed;    /* bootstrap stream */
    int delta;        /* 1: delta-method interval instead of the bootstrap */
};

/* One deterministic 64-bit draw (splitmix64). */
uint64_t cp_rng_next(uint64_t *state);
/* Quantile q of sorted v with linear interpolation between order statistics (NaN if n = 0). */
double cp_quantile_sorted(const double *v, size_t n, double q);

/*
 * Per-cell forecast from `fit` (model `model`) of the m points: the first cycle at or after
 * the first point where the model is below the threshold, no earlier than the last point;
 * the 2.5 and 97.5 % quantiles of the same over o->samples residual-bootstrap replicates
 * (each replicate's parameters by one Gauss-Newton step from the fit: linearised
 * bootstrap; the crossing itself is recomputed exactly). With o->delta, the interval is
 * x +- 1.96 sd instead, sd^2 = s^2 g' (J'J)^-1 g (g: the crossing's gradient in the
 * parameters, s^2 = rss / (m - np)). A crossing beyond o->limit counts as o->limit and sets
 * capped. Returns 0 (out->eol NaN when the fit is not usable) or CP_EINTERNAL (negative).
 */
int cp_forecast_per_cell(const double *n, const double *y, size_t m, const struct cp_fit *fit,
                         enum cp_model model, const struct cp_forecast_opts *o,
                         struct cp_eol_forecast *out);

#define CP_SIB_GRID 256   /* smoothed sibling curve: points over [0, last cycle] */
#define CP_TARGET_BINS 32 /* equal-count bins of the forecast cell's curve */
#define CP_WARP_STEPS 32  /* log grid of time warps before golden-section refinement */
#define CP_WARP_RANGE                                                                              \
    20.0                   /* warps searched: [kmax / 20, kmax], kmax = sibling span / cell span   \
                            */
#define CP_MAX_OFFSET 0.02 /* level offset bound (retention) */
#define CP_MIN_SIBLINGS 3  /* fewest finished siblings for a fleet forecast */
#define CP_MIN_MSE 1e-8    /* alignment MSE floor of the weights */
#define CP_MIN_SPREAD 0.05 /* floor of the fleet spread (log units) */

/* A finished sibling: its retention smoothed on a uniform grid (bin means over
 * CP_SIB_GRID points, then a 5-point moving average). */
struct cp_sibling {
    double g[CP_SIB_GRID];
    double last;      /* last cycle */
    double eol;       /* observed end of life */
    double threshold; /* set by the caller */
    double end_slope; /* per cycle over the last 1/16 of the grid, <= 0 */
};

struct cp_alignment {
    double k, offset, mse; /* y_cell(n) ~ S(k n) + offset, mean squared misfit of the bins */
    double eol;            /* sibling crossing of threshold - offset, in the cell's cycles */
    double score;          /* max(mse, CP_MIN_MSE) x exp((ln k / warp_sd)^2 / 2) */
};

/* Build a sibling from its m finite points. 0, or -1 when it has no usable curve. */
int cp_sibling_init(struct cp_sibling *s, const double *n, const double *y, size_t m, double eol);
/* Bin m points into at most CP_TARGET_BINS equal-count bins; returns the number of bins. */
size_t cp_target_bins(const double *n, const double *y, size_t m, double *bn, double *by);
/* Align the binned cell curve to sibling s: the warp k minimising
 * ln max(mse, CP_MIN_MSE) + (ln k / warp_sd)^2 / 2 (misfit and a log-normal prior on the warp
 * around 1), fills a (NaN fields when impossible). */
void cp_align(const struct cp_sibling *s, const double *bn, const double *by, size_t nb,
              double warp_sd, struct cp_alignment *a);
/*
 * Fleet forecast of the m points from nsib finished siblings: each aligned by cp_align()
 * (warp_sd: the spread of log warps expected between siblings), the better-scored half (at least
 * CP_MIN_SIBLINGS) kept, their crossings (no earlier than the cell's last point) combined by
 * weights 1 / score: weighted median as the forecast, weighted 2.5 and 97.5 % quantiles as the raw
 * interval (the caller widens it by the back-test). 0 or CP_EINTERNAL (negative).
 */
int cp_forecast_fleet(const double *n, const double *y, size_t m,
                      const struct cp_sibling *const *sibs, size_t nsib, double warp_sd,
                      struct cp_eol_forecast *out);

/* What the models stage works on: the selected cells, their grouped cycles (with the feature
 * columns; an `anomaly` column is added), one result per cells row (features filled), and the
 * results an earlier run lends (reuse, both NULL when none). */
struct cp_models_io {
    const struct cp_config *cfg; /* cfg->fits, cfg->features.persist_cycles */
    const struct cp_table *cells;
    struct cp_table *cycles;
    struct cp_cell_result *results;
    size_t nresults;
    struct cp_reuse reuse;
};

/* Entry point of the models stage (see docs/fits.md): fills results[*] fits, EOL, knee,
 * forecasts and flags, and *out. 0 or a negative code (only for out-of-memory or a thread
 * failure: bad cells are flagged). */
int cp_models_fit(const struct cp_models_io *io, struct cp_fleet_summary *out,
                  struct cp_error *err);

#endif
