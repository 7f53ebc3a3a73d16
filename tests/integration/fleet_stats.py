"""Recompute a report's results/statistics.csv from its results/cells.csv with independent
implementations (lifelines for Kaplan-Meier and log-rank, scipy.stats for the tests, numpy for
the descriptive statistics, Holm written out here) and compare every number at 1e-9 relative.

Usage: fleet_stats.py REPORT_DIR GROUP_BY METRIC[,METRIC...]
Prints one FAIL line per disagreement and `fleetstats: N passed, N failed, 0 skipped`.
"""
import csv
import math
import sys
import warnings
from itertools import combinations

import numpy as np
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test, multivariate_logrank_test
from lifelines.utils import median_survival_times
from scipy import stats

warnings.filterwarnings("ignore")
report, group_by, metrics = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
passed = failed = 0


def num(s):
    return float(s) if s not in ("", None) else math.nan


def close(a, b, rel=1e-9, abs_=1e-12):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= max(rel * max(abs(a), abs(b)), abs_)


def check(key, got, want):
    global passed, failed
    if close(got, want):
        passed += 1
    else:
        failed += 1
        print(f"FAIL fleetstats: {key}: cellpipe {got!r}, reference {want!r}")


with open(f"{report}/results/cells.csv", newline="") as f:
    cells = list(csv.DictReader(f))
with open(f"{report}/results/statistics.csv", newline="") as f:
    rows = list(csv.DictReader(f))
table = {}
for r in rows:
    table[(r["analysis"], r["group"], r["group_b"], r["metric"], r["metric_b"],
           r["statistic"])] = (num(r["value"]), r["note"])

column = {m: ("eol_observed" if m == "cycle_life" else m) for m in metrics}
groups = sorted({c[group_by] for c in cells if c[group_by] != ""})
members = {g: [c for c in cells if c[group_by] == g] for g in groups}


def values(g, m):
    v = np.array([num(c[column[m]]) for c in members[g]])
    return v[np.isfinite(v)]


def survival(g):
    t, e = [], []
    for c in members[g]:
        eol, last = num(c["eol_observed"]), num(c["last_cycle"])
        if not math.isnan(eol):
            t.append(eol), e.append(1)
        elif not math.isnan(last):
            t.append(last), e.append(0)
    return np.array(t), np.array(e)


def got(*key):
    if key not in table:
        print(f"FAIL fleetstats: no row {key}")
        return math.nan
    return table[key][0]


# descriptive
for g in groups:
    for m in metrics:
        v = values(g, m)
        ref = {"n": len(v)}
        if len(v):
            ref.update(mean=v.mean(), median=np.median(v), q1=np.quantile(v, 0.25),
                       q3=np.quantile(v, 0.75), min=v.min(), max=v.max())
        if len(v) > 1:
            sd = v.std(ddof=1)
            h = stats.t.ppf(0.975, len(v) - 1) * sd / math.sqrt(len(v))
            ref.update(sd=sd, mean_lo=v.mean() - h, mean_hi=v.mean() + h)
        for k, want in ref.items():
            check(f"descriptive {g} {m} {k}", got("descriptive", g, "", m, "", k), want)

# correlation, pairwise complete over all cells with a group
for a, b in combinations(metrics, 2):
    x = np.array([num(c[column[a]]) for c in cells if c[group_by] != ""])
    y = np.array([num(c[column[b]]) for c in cells if c[group_by] != ""])
    ok = np.isfinite(x) & np.isfinite(y)
    check(f"correlation {a} {b} n", got("correlation", "all", "", a, b, "n"), ok.sum())
    if ok.sum() >= 3 and np.ptp(x[ok]) > 0 and np.ptp(y[ok]) > 0:
        r, p = stats.pearsonr(x[ok], y[ok])
        rho, ps = stats.spearmanr(x[ok], y[ok])
        for k, want in (("pearson_r", r), ("pearson_p", p), ("spearman_r", rho),
                        ("spearman_p", ps)):
            check(f"correlation {a} {b} {k}", got("correlation", "all", "", a, b, k), want)


def holm(p):
    p = np.asarray(p, float)
    out = np.full(len(p), math.nan)
    idx = [i for i in range(len(p)) if np.isfinite(p[i])]
    order = sorted(idx, key=lambda i: p[i])
    m, run = len(order), 0.0
    for k, i in enumerate(order):
        run = max(run, (m - k) * p[i])
        out[i] = min(1.0, run)
    return out


# comparisons and pairwise log-rank: one Holm family
pairs = list(combinations(groups, 2))
family, keys = [], []
for a, b in pairs:
    for m in metrics:
        x, y = values(a, m), values(b, m)
        key = ("comparison", a, b, m, "", "mann_whitney_p")
        if len(x) < 3 or len(y) < 3:
            check(f"comparison {a} {b} {m} too few", got(*key), math.nan)
            if table.get(key, (0, ""))[1] != "not enough cells":
                check(f"comparison {a} {b} {m} note", 0, 1)
            family.append(math.nan), keys.append(key)
            continue
        exact = len(x) <= 8 and len(y) <= 8 and len(np.unique(np.r_[x, y])) == len(x) + len(y)
        u = stats.mannwhitneyu(x, y, alternative="two-sided",
                               method="exact" if exact else "asymptotic")
        u1 = u.statistic
        check(f"comparison {a} {b} {m} u", got("comparison", a, b, m, "", "mann_whitney_u"),
              max(u1, len(x) * len(y) - u1))
        check(f"comparison {a} {b} {m} u_p", got(*key), u.pvalue)
        check(f"comparison {a} {b} {m} cliff",
              got("comparison", a, b, m, "", "cliff_delta"),
              (2 * u1 - len(x) * len(y)) / (len(x) * len(y)))
        if np.ptp(x) > 0 or np.ptp(y) > 0:
            t = stats.ttest_ind(x, y, equal_var=False)
            check(f"comparison {a} {b} {m} welch_t", got("comparison", a, b, m, "", "welch_t"),
                  t.statistic)
            check(f"comparison {a} {b} {m} welch_p", got("comparison", a, b, m, "", "welch_p"),
                  t.pvalue)
        family.append(u.pvalue), keys.append(key)
for a, b in pairs:
    (ta, ea), (tb, eb) = survival(a), survival(b)
    key = ("logrank", a, b, "cycle_life", "", "logrank_p")
    if len(ta) < 3 or len(tb) < 3 or (ea.sum() + eb.sum()) == 0:
        family.append(math.nan), keys.append(key)
        check(f"logrank {a} {b} (none)", got(*key), math.nan)
        continue
    lr = logrank_test(ta, tb, ea, eb)
    check(f"logrank {a} {b} chi2", got("logrank", a, b, "cycle_life", "", "logrank_chi2"),
          lr.test_statistic)
    check(f"logrank {a} {b} p", got(*key), lr.p_value)
    family.append(lr.p_value), keys.append(key)
for key, adj in zip(keys, holm(family)):
    akey = key[:5] + (key[5] + "_adjusted",)
    check(" ".join(akey[1:]) + " (Holm)", got(*akey), adj)

# Kruskal-Wallis per metric
for m in metrics:
    vs = [values(g, m) for g in groups]
    if len(vs) >= 2 and all(len(v) >= 3 for v in vs) and np.ptp(np.concatenate(vs)) > 0:
        h = stats.kruskal(*vs)
        check(f"kruskal {m} h", got("kruskal", "all", "", m, "", "kruskal_h"), h.statistic)
        check(f"kruskal {m} p", got("kruskal", "all", "", m, "", "kruskal_p"), h.pvalue)

# Kaplan-Meier medians with their intervals; the all-groups log-rank
for g in groups:
    t, e = survival(g)
    check(f"survival {g} n", got("survival", g, "", "cycle_life", "", "n"), len(t))
    check(f"survival {g} events", got("survival", g, "", "cycle_life", "", "events"), e.sum())
    if len(t) == 0:
        continue
    kmf = KaplanMeierFitter().fit(t, e)
    med = kmf.median_survival_time_
    ci = median_survival_times(kmf.confidence_interval_)
    want = [med, ci.iloc[0, 0], ci.iloc[0, 1]]
    want = [math.nan if math.isinf(w) else float(w) for w in want]
    for k, w in zip(("median_life", "median_life_lo", "median_life_hi"), want):
        check(f"survival {g} {k}", got("survival", g, "", "cycle_life", "", k), w)
tt, ee, gg = [], [], []
for g in groups:
    t, e = survival(g)
    tt += list(t)
    ee += list(e)
    gg += [g] * len(t)
if len(groups) >= 2 and all(len(survival(g)[0]) >= 3 for g in groups) and sum(ee):
    mv = multivariate_logrank_test(np.array(tt), np.array(gg), np.array(ee))
    check("logrank all chi2", got("logrank", "all", "", "cycle_life", "", "logrank_chi2"),
          mv.test_statistic)
    check("logrank all p", got("logrank", "all", "", "cycle_life", "", "logrank_p"), mv.p_value)

print(f"fleetstats: {passed} passed, {failed} failed, 0 skipped")
sys.exit(1 if failed else 0)
