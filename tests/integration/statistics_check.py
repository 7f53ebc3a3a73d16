"""Descriptive statistics (include/cellpipe/stats.h) against numpy and scipy.stats, 1e-9 relative.

The t quantile of the reference is the root of scipy's t.sf (brentq), not t.ppf: scipy 1.10's
t.ppf is about 3e-9 relative off at 41 degrees of freedom (quadrature of the density agrees
with t.sf and with GSL).

Group comparisons (cmp.txt) against scipy.stats.mannwhitneyu (method 'exact' when both groups
have at most 8 values and no tie, else 'asymptotic', use_continuity=True), ttest_ind
(equal_var=False) and Cliff's delta counted pair by pair with numpy.

Bonferroni and Holm (adjust.txt) against the textbook formulas written here with numpy (as
statsmodels' multipletests computes them): Bonferroni min(1, m p); Holm the running maximum of
(m - k) p_(k), k = 0.. over the sorted p-values, capped at 1; NaN p-values are not counted.

Correlations (corr.txt) against scipy.stats.pearsonr and spearmanr on the pairs where both
values are finite.

Kruskal-Wallis (kruskal.txt) against scipy.stats.kruskal on the finite values of each group.
"""
import math
import sys

import numpy as np
import scipy.optimize as so
import scipy.stats as st

NAMES = "mean sd median q1 q3 mean_lo mean_hi median_lo median_hi".split()
TOL = 1e-9


def reference(x):
    x = x[np.isfinite(x)]
    n = len(x)
    nan = float("nan")
    s = np.sort(x)
    ref = dict(mean=x.mean(), median=np.median(x), q1=np.quantile(x, 0.25),
               q3=np.quantile(x, 0.75), sd=nan, mean_lo=nan, mean_hi=nan,
               median_lo=nan, median_hi=nan)
    if n >= 2:
        sd = x.std(ddof=1)
        t = so.brentq(lambda v: st.t.sf(v, n - 1) - 0.025, 0.1, 1e3, xtol=1e-14)
        h = t * sd / math.sqrt(n)
        ref.update(sd=sd, mean_lo=x.mean() - h, mean_hi=x.mean() + h)
    k = 0
    for kk in range(1, n // 2 + 1):
        if st.binom.cdf(kk - 1, n, 0.5) <= 0.025:
            k = kk
        else:
            break
    if k:
        ref.update(median_lo=s[k - 1], median_hi=s[n - k])
    return ref


CMP_NAMES = "u u_p u_exact t t_df t_p cliff_delta".split()


def reference_cmp(x, y):
    x, y = x[np.isfinite(x)], y[np.isfinite(y)]
    nan = float("nan")
    if len(x) < 3 or len(y) < 3:
        return dict(u=nan, u_p=nan, u_exact=0, t=nan, t_df=nan, t_p=nan, cliff_delta=nan)
    both = np.concatenate([x, y])
    exact = len(x) <= 8 and len(y) <= 8 and len(np.unique(both)) == len(both)
    mw = st.mannwhitneyu(x, y, alternative="two-sided", use_continuity=True,
                         method="exact" if exact else "asymptotic")
    u1 = mw.statistic
    vx, vy = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    df = (vx + vy) ** 2 / (vx ** 2 / (len(x) - 1) + vy ** 2 / (len(y) - 1))
    tt = st.ttest_ind(x, y, equal_var=False)
    diff = np.sign(x[:, None] - y[None, :]).sum()
    return dict(u=max(u1, len(x) * len(y) - u1), u_p=mw.pvalue, u_exact=int(exact),
                t=tt.statistic, t_df=df, t_p=tt.pvalue, cliff_delta=diff / (len(x) * len(y)))


def compare(got, ref, names, worst, what):
    passed = failed = 0
    for k in names:
        g, r = got[k], ref[k]
        if math.isnan(r) or math.isnan(g):
            ok = math.isnan(r) and math.isnan(g)
            err = 0.0 if ok else math.inf
        else:
            err = abs(g - r) / max(abs(r), 1e-300) if g != r else 0.0
            ok = err <= TOL
        worst[k] = max(worst[k], err)
        if ok:
            passed += 1
        else:
            failed += 1
            print(f"FAIL {k} {what}: {g!r} vs {r!r}")
    return passed, failed


def check_cmp(folder):
    passed = failed = 0
    worst = {k: 0.0 for k in CMP_NAMES}
    for line in open(folder + "/cmp.txt"):
        xs, ys, right = line.split("|")
        x = np.array([float(v) for v in xs.split()])
        y = np.array([float(v) for v in ys.split()])
        got = dict(zip(CMP_NAMES, (float(v) for v in right.split())))
        p, f = compare(got, reference_cmp(x, y), CMP_NAMES, worst, f"n={len(x)},{len(y)}")
        passed, failed = passed + p, failed + f
    print("max relative difference: " + ", ".join(f"{k} {v:.1e}" for k, v in worst.items()))
    return passed, failed


def reference_adjust(p):
    ok = np.isfinite(p)
    m = int(ok.sum())
    bonf = np.full(len(p), np.nan)
    holm = np.full(len(p), np.nan)
    bonf[ok] = np.minimum(1.0, m * p[ok])
    idx = np.flatnonzero(ok)[np.argsort(p[ok], kind="stable")]
    holm[idx] = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[idx]))
    return bonf, holm


def check_adjust(folder):
    passed = failed = 0
    worst = {"bonferroni": 0.0, "holm": 0.0}
    for line in open(folder + "/adjust.txt"):
        ps, bs, hs = (np.array([float(v) for v in part.split()]) for part in line.split("|"))
        rb, rh = reference_adjust(ps)
        for i in range(len(ps)):
            got = {"bonferroni": bs[i], "holm": hs[i]}
            ref = {"bonferroni": rb[i], "holm": rh[i]}
            p, f = compare(got, ref, list(worst), worst, f"m={len(ps)}")
            passed, failed = passed + p, failed + f
    print("max relative difference: " + ", ".join(f"{k} {v:.1e}" for k, v in worst.items()))
    return passed, failed


CORR_NAMES = "pearson_r pearson_p spearman_r spearman_p".split()


def reference_corr(x, y):
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    nan = float("nan")
    if len(x) < 3:
        return dict(pearson_r=nan, pearson_p=nan, spearman_r=nan, spearman_p=nan)
    pr, pp = st.pearsonr(x, y)
    sr, sp = st.spearmanr(x, y)
    return dict(pearson_r=pr, pearson_p=pp, spearman_r=sr, spearman_p=sp)


def check_corr(folder):
    passed = failed = 0
    worst = {k: 0.0 for k in CORR_NAMES}
    for line in open(folder + "/corr.txt"):
        xs, ys, right = line.split("|")
        x = np.array([float(v) for v in xs.split()])
        y = np.array([float(v) for v in ys.split()])
        got = dict(zip(CORR_NAMES, (float(v) for v in right.split())))
        p, f = compare(got, reference_corr(x, y), CORR_NAMES, worst, f"n={len(x)}")
        passed, failed = passed + p, failed + f
    print("max relative difference: " + ", ".join(f"{k} {v:.1e}" for k, v in worst.items()))
    return passed, failed


KW_NAMES = "h df p".split()


def reference_kruskal(groups):
    groups = [g[np.isfinite(g)] for g in groups]
    nan = float("nan")
    if len(groups) < 2 or min(len(g) for g in groups) < 3:
        return dict(h=nan, df=nan, p=nan)
    h, p = st.kruskal(*groups)
    return dict(h=h, df=len(groups) - 1, p=p)


def check_kruskal(folder):
    passed = failed = 0
    worst = {k: 0.0 for k in KW_NAMES}
    for line in open(folder + "/kruskal.txt"):
        left, right = line.split("=")
        groups = [np.array([float(v) for v in part.split()]) for part in left.split("|")[:-1]]
        got = dict(zip(KW_NAMES, (float(v) for v in right.split())))
        p, f = compare(got, reference_kruskal(groups), KW_NAMES, worst, f"k={len(groups)}")
        passed, failed = passed + p, failed + f
    print("max relative difference: " + ", ".join(f"{k} {v:.1e}" for k, v in worst.items()))
    return passed, failed


def main(folder):
    passed = failed = 0
    worst = {k: 0.0 for k in NAMES}
    for line in open(folder + "/desc.txt"):
        left, right = line.split("|")
        vals = left.split()
        x = np.array([float(v) for v in vals[1:]])
        got = dict(zip(NAMES, (float(v) for v in right.split())))
        ref = reference(x)
        for k in NAMES:
            g, r = got[k], ref[k]
            if math.isnan(r) or math.isnan(g):
                ok = math.isnan(r) and math.isnan(g)
                err = 0.0 if ok else math.inf
            else:
                err = abs(g - r) / max(abs(r), 1e-300)
                ok = err <= TOL
            worst[k] = max(worst[k], err)
            if ok:
                passed += 1
            else:
                failed += 1
                print(f"FAIL {k} n={len(x)}: {g!r} vs {r!r}")
    print("max relative difference: " + ", ".join(f"{k} {v:.1e}" for k, v in worst.items()))
    for check in (check_cmp, check_adjust, check_corr, check_kruskal):
        p, f = check(folder)
        passed, failed = passed + p, failed + f
    print(f"{passed} passed, {failed} failed, 0 skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
