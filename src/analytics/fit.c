/*
 * Per-cell degradation fits with MINPACK's Levenberg-Marquardt (cminpack lmder).
 *
 * Every model is fitted in scaled time t = n / s, s = the last fitted cycle, so that the
 * parameters the solver sees are of order one whatever the length of the test; reported
 * parameters are converted back to cycles. Where a bound is physical the solver works on an
 * unbounded reparameterisation: the power-law exponent is c = exp(g), the Bacon-Watts
 * breakpoint is a logistic map of an unbounded u onto the fitted cycle range. Starting
 * values come from the data: the models are linear in all but one or two parameters, so a
 * small grid over the nonlinear ones with linear least squares for the rest picks the start.
 */
#include <cminpack.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/fit.h"

#define MAXP CP_FIT_MAXP

struct fit_ctx {
    enum cp_model model;
    int m;
    const double *t;  /* scaled cycles */
    const double *lt; /* log t (power law only; -inf at t = 0) */
    const double *y;
    double tmin, tspan; /* breakpoint range of Bacon-Watts models */
    double g;           /* Bacon-Watts transition width, scaled */
    int dbw;            /* double Bacon-Watts (knee onset) instead of a fits[] model */
};

static const char *const param_names[CP_MODEL_COUNT][4] = {
    {"a", "b"}, {"a", "b"}, {"a", "b", "c"}, {"a", "b", "c", "d"}, {"a0", "a1", "a2", "n1"}};
static const int nparams[CP_MODEL_COUNT] = {2, 2, 3, 4, 4};

int cp_fit_nparams(enum cp_model m)
{
    return (unsigned)m < CP_MODEL_COUNT ? nparams[m] : 0;
}

const char *cp_fit_param_name(enum cp_model m, int k)
{
    if ((unsigned)m >= CP_MODEL_COUNT || k < 0 || k >= nparams[m])
        return "";
    return param_names[m][k];
}

const char *cp_fit_status_name(enum cp_fit_status s)
{
    switch (s) {
    case CP_FIT_OK:
        return "ok";
    case CP_FIT_FAILED:
        return "failed";
    case CP_FIT_DEGENERATE:
        return "degenerate";
    default:
        return "not_run";
    }
}

double cp_fit_aicc(double rss, size_t m, int np)
{
    double k = np + 1.0;
    double dof = (double)m - k - 1.0;
    if (dof <= 0 || !(rss > 0) || !isfinite(rss))
        return NAN;
    return (double)m * log(rss / (double)m) + 2.0 * k + 2.0 * k * (k + 1.0) / dof;
}

static double logistic(double u)
{
    return 1.0 / (1.0 + exp(-u));
}

/* One Bacon-Watts term z tanh(z / g) and its derivative in the breakpoint. */
static void bw_term(double t, double tau, double g, double *z, double *zh, double *dtau)
{
    double zz = t - tau, a = zz / g;
    /* tanh is exactly +-1 in double beyond |a| = 20: skip the call for most points */
    double h = a > 20 ? 1.0 : a < -20 ? -1.0 : tanh(a);
    *z = zz;
    *zh = zz * h;
    *dtau = -h - zz * (1.0 - h * h) / g;
}

/* What the parameters fix for every point (computed once per solver call, not per point). */
struct prep {
    double cc;             /* power-law exponent */
    double t0, t2, j0, j2; /* Bacon-Watts breakpoints and d(breakpoint)/du */
};

static void prepare(const struct fit_ctx *c, const double *x, struct prep *q)
{
    memset(q, 0, sizeof *q);
    if (c->dbw || c->model == CP_MODEL_BACON_WATTS) {
        int k0 = c->dbw ? 4 : 3;
        double s0 = logistic(x[k0]);
        q->t0 = c->tmin + c->tspan * s0;
        q->j0 = c->tspan * s0 * (1.0 - s0);
        if (c->dbw) {
            double s2 = logistic(x[5]);
            q->t2 = c->tmin + c->tspan * s2;
            q->j2 = c->tspan * s2 * (1.0 - s2);
        }
    } else if (c->model == CP_MODEL_POWER) {
        q->cc = exp(x[2]);
    }
}

/* Model value and, when J is not NULL, its gradient in the internal parameters. */
static double eval_internal(const struct fit_ctx *c, const double *x, const struct prep *q, int i,
                            double *J)
{
    double t = c->t[i];
    if (c->dbw) {
        double z0, zh0, d0, z2, zh2, d2;
        bw_term(t, q->t0, c->g, &z0, &zh0, &d0);
        bw_term(t, q->t2, c->g, &z2, &zh2, &d2);
        if (J) {
            J[0] = 1.0;
            J[1] = z0;
            J[2] = zh0;
            J[3] = zh2;
            J[4] = (-x[1] + x[2] * d0) * q->j0;
            J[5] = x[3] * d2 * q->j2;
        }
        return x[0] + x[1] * z0 + x[2] * zh0 + x[3] * zh2;
    }
    switch (c->model) {
    case CP_MODEL_LINEAR:
        if (J) {
            J[0] = 1.0;
            J[1] = t;
        }
        return x[0] + x[1] * t;
    case CP_MODEL_SQRT: {
        double r = sqrt(t);
        if (J) {
            J[0] = 1.0;
            J[1] = -r;
        }
        return x[0] - x[1] * r;
    }
    case CP_MODEL_POWER: {
        double tc = t > 0 ? exp(q->cc * c->lt[i]) : 0.0;
        if (J) {
            J[0] = 1.0;
            J[1] = -tc;
            J[2] = t > 0 ? -x[1] * tc * c->lt[i] * q->cc : 0.0;
        }
        return x[0] - x[1] * tc;
    }
    case CP_MODEL_DOUBLE_EXP: {
        double e1 = exp(x[1] * t), e2 = exp(x[3] * t);
        if (J) {
            J[0] = e1;
            J[1] = x[0] * t * e1;
            J[2] = e2;
            J[3] = x[2] * t * e2;
        }
        return x[0] * e1 + x[2] * e2;
    }
    case CP_MODEL_BACON_WATTS: {
        double z, zh, d;
        bw_term(t, q->t0, c->g, &z, &zh, &d);
        if (J) {
            J[0] = 1.0;
            J[1] = z;
            J[2] = zh;
            J[3] = (-x[1] + x[2] * d) * q->j0;
        }
        return x[0] + x[1] * z + x[2] * zh;
    }
    default:
        return NAN;
    }
}

static int lm_callback(void *p, int m, int n, const double *x, double *fvec, double *fjac,
                       int ldfjac, int iflag)
{
    const struct fit_ctx *c = p;
    double J[MAXP];
    struct prep q;
    prepare(c, x, &q);
    for (int i = 0; i < m; i++) {
        if (iflag == 1) {
            fvec[i] = eval_internal(c, x, &q, i, NULL) - c->y[i];
            if (!isfinite(fvec[i]))
                return -1; /* overflow: stop, the caller reports a failed fit */
        } else {
            eval_internal(c, x, &q, i, J);
            for (int k = 0; k < n; k++)
                fjac[(size_t)k * ldfjac + i] = J[k];
        }
    }
    return 0;
}

/* Solve the small symmetric system A x = b (n <= MAXP) by Gaussian elimination with partial
 * pivoting. 0, or -1 when singular. A and b are destroyed. */
static int solve_small(int n, double A[MAXP][MAXP], double *b, double *x)
{
    for (int col = 0; col < n; col++) {
        int piv = col;
        for (int r = col + 1; r < n; r++)
            if (fabs(A[r][col]) > fabs(A[piv][col]))
                piv = r;
        if (!(fabs(A[piv][col]) > 1e-300))
            return -1;
        if (piv != col) {
            for (int k = 0; k < n; k++) {
                double tmp = A[col][k];
                A[col][k] = A[piv][k];
                A[piv][k] = tmp;
            }
            double tb = b[col];
            b[col] = b[piv];
            b[piv] = tb;
        }
        for (int r = col + 1; r < n; r++) {
            double f = A[r][col] / A[col][col];
            for (int k = col; k < n; k++)
                A[r][k] -= f * A[col][k];
            b[r] -= f * b[col];
        }
    }
    for (int r = n - 1; r >= 0; r--) {
        double s = b[r];
        for (int k = r + 1; k < n; k++)
            s -= A[r][k] * x[k];
        x[r] = s / A[r][r];
    }
    return 0;
}

/* Basis function k of a model that is linear in its coefficients once the nonlinear
 * parameters nl[] are fixed (used for starting values only). */
static int basis(const struct fit_ctx *c, const double *nl, int i, double *phi)
{
    double t = c->t[i];
    switch (c->model) {
    case CP_MODEL_POWER:
        phi[0] = 1.0;
        phi[1] = t > 0 ? -exp(nl[0] * c->lt[i]) : 0.0;
        return 2;
    case CP_MODEL_DOUBLE_EXP:
        phi[0] = exp(nl[0] * t);
        phi[1] = exp(nl[1] * t);
        return 2;
    case CP_MODEL_BACON_WATTS: {
        double z = t - nl[0];
        phi[0] = 1.0;
        phi[1] = z;
        phi[2] = z * tanh(z / c->g);
        if (!c->dbw)
            return 3;
        double z2 = t - nl[1];
        phi[3] = z2 * tanh(z2 / c->g);
        return 4;
    }
    case CP_MODEL_SQRT:
        phi[0] = 1.0;
        phi[1] = -sqrt(t);
        return 2;
    default:
        phi[0] = 1.0;
        phi[1] = t;
        return 2;
    }
}

/* Linear least squares of y on the basis at fixed nl[]: coefficients into coef, returns the
 * residual sum of squares (inf when singular). */
static double linear_ls(const struct fit_ctx *c, const double *nl, double *coef)
{
    double A[MAXP][MAXP] = {{0}}, b[MAXP] = {0}, b0[MAXP], phi[MAXP], yy = 0;
    int nb = 0;
    for (int i = 0; i < c->m; i++) {
        nb = basis(c, nl, i, phi);
        yy += c->y[i] * c->y[i];
        for (int r = 0; r < nb; r++) {
            b[r] += phi[r] * c->y[i];
            for (int k = 0; k < nb; k++)
                A[r][k] += phi[r] * phi[k];
        }
    }
    memcpy(b0, b, sizeof b);
    if (solve_small(nb, A, b, coef) != 0)
        return INFINITY;
    /* rss = y'y - coef' X'y at the least-squares solution: no second pass over the data
     * (only ranks starting values, so the cancellation does not matter) */
    double rss = yy;
    for (int k = 0; k < nb; k++)
        rss -= coef[k] * b0[k];
    return isfinite(rss) ? rss : INFINITY;
}

static double logit(double s)
{
    if (s < 1e-9)
        s = 1e-9;
    if (s > 1 - 1e-9)
        s = 1 - 1e-9;
    return log(s / (1.0 - s));
}

/* Data-driven starting values in the internal parameters. */
static void start_values(const struct fit_ctx *c, double *x)
{
    double coef[MAXP], best = INFINITY, nl[2] = {0, 0};
    switch (c->model) {
    case CP_MODEL_LINEAR:
    case CP_MODEL_SQRT:
        linear_ls(c, nl, coef);
        x[0] = coef[0];
        x[1] = coef[1];
        return;
    case CP_MODEL_POWER: {
        static const double grid[] = {0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0};
        x[0] = c->y[0], x[1] = 1e-3, x[2] = 0.0;
        for (size_t k = 0; k < sizeof grid / sizeof grid[0]; k++) {
            nl[0] = grid[k];
            double rss = linear_ls(c, nl, coef);
            if (coef[1] > 0 && rss < best) {
                best = rss;
                x[0] = coef[0], x[1] = coef[1], x[2] = log(grid[k]);
            }
        }
        return;
    }
    case CP_MODEL_DOUBLE_EXP: {
        static const double gb[] = {-1.0, -0.3, -0.05};
        static const double gd[] = {1.0, 2.5, 5.0, 9.0};
        x[0] = c->y[0], x[1] = -0.1, x[2] = -1e-3, x[3] = 3.0;
        for (size_t i = 0; i < 3; i++)
            for (size_t k = 0; k < 4; k++) {
                nl[0] = gb[i], nl[1] = gd[k];
                double rss = linear_ls(c, nl, coef);
                if (rss < best) {
                    best = rss;
                    x[0] = coef[0], x[1] = gb[i], x[2] = coef[1], x[3] = gd[k];
                }
            }
        return;
    }
    case CP_MODEL_BACON_WATTS: {
        x[0] = c->y[0], x[1] = 0, x[2] = 0, x[3] = 0;
        for (int k = 1; k <= 9; k++) {
            nl[0] = c->tmin + c->tspan * k / 10.0;
            double rss = linear_ls(c, nl, coef);
            if (rss < best) {
                best = rss;
                x[0] = coef[0], x[1] = coef[1], x[2] = coef[2];
                x[3] = logit(k / 10.0);
            }
        }
        return;
    }
    default:
        return;
    }
}

/* Internal parameters -> natural ones (cycles), s = time scale. */
static void to_natural(enum cp_model model, const double *x, double s, const struct fit_ctx *c,
                       double *p)
{
    switch (model) {
    case CP_MODEL_LINEAR:
        p[0] = x[0], p[1] = x[1] / s;
        break;
    case CP_MODEL_SQRT:
        p[0] = x[0], p[1] = x[1] / sqrt(s);
        break;
    case CP_MODEL_POWER: {
        double cc = exp(x[2]);
        p[0] = x[0], p[1] = x[1] / pow(s, cc), p[2] = cc;
        break;
    }
    case CP_MODEL_DOUBLE_EXP:
        p[0] = x[0], p[1] = x[1] / s, p[2] = x[2], p[3] = x[3] / s;
        break;
    case CP_MODEL_BACON_WATTS:
        p[0] = x[0], p[1] = x[1] / s, p[2] = x[2] / s;
        p[3] = (c->tmin + c->tspan * logistic(x[3])) * s;
        break;
    default:
        break;
    }
}

double cp_fit_eval(enum cp_model model, const double *p, double n)
{
    switch (model) {
    case CP_MODEL_LINEAR:
        return p[0] + p[1] * n;
    case CP_MODEL_SQRT:
        return p[0] - p[1] * sqrt(n);
    case CP_MODEL_POWER:
        return p[0] - p[1] * (n > 0 ? pow(n, p[2]) : 0.0);
    case CP_MODEL_DOUBLE_EXP:
        return p[0] * exp(p[1] * n) + p[2] * exp(p[3] * n);
    case CP_MODEL_BACON_WATTS: {
        /* g is not a parameter: the caller's p[4] holds it (cp_fit_model stores it there) */
        double z = n - p[3];
        return p[0] + p[1] * z + p[2] * z * tanh(z / p[4]);
    }
    default:
        return NAN;
    }
}

/* Why a converged solution cannot be reported as a number, or NULL when it can. */
static const char *degenerate_reason(enum cp_model model, const double *x, const double *p, int np,
                                     int rank)
{
    for (int k = 0; k < np; k++)
        if (!isfinite(p[k]))
            return "parameters not finite";
    if (rank != 0)
        return "parameters not identifiable (singular Jacobian)";
    switch (model) {
    case CP_MODEL_POWER:
        if (!(x[1] > 0))
            return "no fade: b <= 0";
        if (p[2] > 20)
            return "exponent c > 20";
        break;
    case CP_MODEL_DOUBLE_EXP:
        if (fabs(x[1] - x[3]) < 1e-6)
            return "equal exponents b = d";
        if (fabs(x[0]) > 100 || fabs(x[2]) > 100)
            return "terms cancel: |a| or |c| > 100";
        break;
    case CP_MODEL_BACON_WATTS: {
        double s = logistic(x[3]);
        if (s < 1e-6 || s > 1 - 1e-6)
            return "breakpoint at the end of the data";
        break;
    }
    default:
        break;
    }
    return NULL;
}

static void set_bad(struct cp_fit *out, enum cp_fit_status st, const char *reason)
{
    out->status = st;
    for (int k = 0; k < MAXP; k++)
        out->p[k] = NAN;
    out->rmse = NAN;
    out->aicc = NAN;
    snprintf(out->reason, sizeof out->reason, "%s", reason);
}

struct lm_work {
    double *fvec, *fjac, *wa4, *t, *lt;
};

static int work_alloc(struct lm_work *w, size_t m)
{
    memset(w, 0, sizeof *w);
    w->fvec = cp_malloc(m * sizeof(double) * (4 + MAXP));
    if (!w->fvec)
        return -1;
    w->wa4 = w->fvec + m;
    w->t = w->wa4 + m;
    w->lt = w->t + m;
    w->fjac = w->lt + m;
    return 0;
}

/* Run lmder from x; returns the MINPACK info code and leaves fvec and R in w. */
static int run_lm(struct fit_ctx *c, struct lm_work *w, int np, double *x, int *ipvt)
{
    double diag[MAXP], qtf[MAXP], wa1[MAXP], wa2[MAXP], wa3[MAXP];
    int nfev = 0, njev = 0;
    /* tight tolerances for the reported fits (they are checked against scipy at 1e-6); the
     * knee-onset fit only places a breakpoint */
    double tol = c->dbw ? 1e-8 : 1e-14;
    return lmder(lm_callback, c, c->m, np, x, w->fvec, w->fjac, c->m, tol, tol, 0.0, 200 * (np + 1),
                 diag, 1, 100.0, 0, &nfev, &njev, ipvt, qtf, wa1, wa2, wa3, w->wa4);
}

static void ctx_init(struct fit_ctx *c, struct lm_work *w, enum cp_model model, const double *n,
                     const double *y, size_t m, double *s_out)
{
    double s = n[m - 1] > 0 ? n[m - 1] : 1.0;
    for (size_t i = 0; i < m; i++) {
        w->t[i] = n[i] / s;
        w->lt[i] = w->t[i] > 0 ? log(w->t[i]) : -INFINITY;
    }
    memset(c, 0, sizeof *c);
    c->model = model;
    c->m = (int)m;
    c->t = w->t;
    c->lt = w->lt;
    c->y = y;
    c->tmin = w->t[0];
    c->tspan = w->t[m - 1] - w->t[0];
    c->g = CP_BW_GAMMA;
    *s_out = s;
}

static void finish_fit(enum cp_model model, const struct fit_ctx *c, struct lm_work *w, int info,
                       const double *x, double s, int *ipvt, struct cp_fit *out)
{
    int np = nparams[model];
    if (info <= 0 || info == 5) {
        set_bad(out, CP_FIT_FAILED,
                info == 5 ? "no convergence within the evaluation limit"
                          : "solver stopped: model overflowed or bad input");
        return;
    }
    double rss = 0;
    for (int i = 0; i < c->m; i++)
        rss += w->fvec[i] * w->fvec[i];
    double cwa[MAXP];
    int rank = covar1(c->m, np, rss, w->fjac, c->m, ipvt, 1e-12, cwa);
    double p[MAXP] = {0};
    to_natural(model, x, s, c, p);
    const char *why = degenerate_reason(model, x, p, np, rank);
    if (why || !isfinite(rss)) {
        set_bad(out, CP_FIT_DEGENERATE, why ? why : "residuals not finite");
        return;
    }
    out->status = CP_FIT_OK;
    for (int k = 0; k < MAXP; k++)
        out->p[k] = k < np ? p[k] : NAN;
    if (model == CP_MODEL_BACON_WATTS)
        out->p[4] = c->g * s; /* the fixed width, needed by cp_fit_eval */
    out->rmse = sqrt(rss / c->m);
    out->aicc = cp_fit_aicc(rss, (size_t)c->m, np);
    out->reason[0] = '\0';
}

int cp_fit_model(enum cp_model model, const double *n, const double *y, size_t m,
                 struct cp_fit *out)
{
    memset(out, 0, sizeof *out);
    if ((unsigned)model >= CP_MODEL_COUNT)
        return cp_error_set(NULL, CP_EINTERNAL, "bad model");
    int np = nparams[model];
    out->np = np;
    if (m < (size_t)np + 3) {
        set_bad(out, CP_FIT_FAILED, "too few points for this model");
        return 0;
    }
    struct lm_work w;
    if (work_alloc(&w, m) != 0)
        return -CP_EINTERNAL;
    struct fit_ctx c;
    double s, x[MAXP] = {0};
    int ipvt[MAXP];
    ctx_init(&c, &w, model, n, y, m, &s);
    start_values(&c, x);
    int info = run_lm(&c, &w, np, x, ipvt);
    finish_fit(model, &c, &w, info, x, s, ipvt, out);
    cp_free(w.fvec);
    return 0;
}

double cp_fit_crossing(enum cp_model model, const double *p, double level, double from,
                       double limit)
{
    if (!(limit >= from))
        return NAN;
    double prev = from;
    if (!(cp_fit_eval(model, p, from) >= level))
        return from;
    /* a uniform scan of at most 256 steps (unit steps on short ranges), then bisection: the
     * models are smooth, so a dip narrower than a step is not a crossing worth reporting */
    double step = fmax(1.0, (limit - from) / 256.0);
    for (double n = from + step; prev < limit; n += step) {
        if (n > limit)
            n = limit;
        double v = cp_fit_eval(model, p, n);
        if (!(v >= level)) {
            double lo = prev, hi = n;
            for (int it = 0; it < 60 && hi - lo > 1e-6; it++) {
                double mid = 0.5 * (lo + hi);
                if (cp_fit_eval(model, p, mid) >= level)
                    lo = mid;
                else
                    hi = mid;
            }
            return hi;
        }
        prev = n;
    }
    return NAN;
}

int cp_knee_onset(const double *n, const double *y, size_t m, double knee_point, double *onset)
{
    *onset = NAN;
    if (m < 12 || !isfinite(knee_point))
        return 0;
    struct lm_work w;
    if (work_alloc(&w, m) != 0)
        return -CP_EINTERNAL;
    struct fit_ctx c;
    double s, x[MAXP] = {0}, coef[MAXP], best = INFINITY, nl[2];
    int ipvt[MAXP];
    ctx_init(&c, &w, CP_MODEL_BACON_WATTS, n, y, m, &s);
    c.dbw = 1;
    /* start: onset on a grid before the knee point, second breakpoint at the knee point */
    double tk = knee_point / s;
    for (int k = 1; k <= 8; k++) {
        nl[0] = c.tmin + (tk - c.tmin) * k / 10.0;
        nl[1] = tk;
        double rss = linear_ls(&c, nl, coef);
        if (rss < best) {
            best = rss;
            memcpy(x, coef, 4 * sizeof(double));
            x[4] = logit((nl[0] - c.tmin) / c.tspan);
            x[5] = logit((nl[1] - c.tmin) / c.tspan);
        }
    }
    int info = run_lm(&c, &w, 6, x, ipvt);
    if (info >= 1 && info <= 4) {
        double t0 = c.tmin + c.tspan * logistic(x[4]);
        double t2 = c.tmin + c.tspan * logistic(x[5]);
        double on = fmin(t0, t2) * s;
        if (isfinite(on) && on > n[0] && on < knee_point)
            *onset = on;
    }
    cp_free(w.fvec);
    return 0;
}

size_t cp_fit_bin(const double *n, const double *y, size_t m, size_t maxp, double *bn, double *by)
{
    size_t nb = m <= maxp ? m : maxp;
    for (size_t b = 0; b < nb; b++) {
        size_t i0 = b * m / nb, i1 = (b + 1) * m / nb;
        double sn = 0, sy = 0;
        for (size_t i = i0; i < i1; i++)
            sn += n[i], sy += y[i];
        bn[b] = sn / (double)(i1 - i0);
        by[b] = sy / (double)(i1 - i0);
    }
    return nb;
}
