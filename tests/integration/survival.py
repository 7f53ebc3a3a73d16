"""Kaplan-Meier and log-rank (include/cellpipe/stats.h) against lifelines, 1e-9 relative.

km.txt: each step's time, at-risk, event and censoring counts against kmf.event_table (the
row lifelines adds at time 0 when no cell has that time is not a step), S against
kmf.survival_function_, Var S against S^2 times lifelines' Greenwood sum (_cumulative_sq_),
lo and hi against kmf.confidence_interval_ (lifelines fills the undefined interval where S is 1
with 1; cellpipe gives NaN there), the median against kmf.median_survival_time_ and its
interval against lifelines.utils.median_survival_times(kmf.confidence_interval_) (lifelines'
"not reached" inf is NaN in cellpipe). Non-finite times are left out before fitting.

logrank.txt: chi2 and p against lifelines.statistics.multivariate_logrank_test
(test_statistic, p_value), and for two groups also against logrank_test. Fewer than 2 groups or
a group with fewer than 3 finite times: all NaN. No event, or fewer than two groups ever at risk
together at an event time (lifelines then gives 0 and p 1): chi2 and p NaN.
"""
import math
import sys
import warnings

import numpy as np
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test, multivariate_logrank_test
from lifelines.utils import median_survival_times

TOL = 1e-9
ABS = 1e-12
NAN = float("nan")


class Tally:
    def __init__(self):
        self.passed = self.failed = 0
        self.worst = {}

    def check(self, name, got, ref, what):
        got, ref = float(got), float(ref)
        if math.isinf(ref) and ref > 0:
            ref = NAN
        if math.isnan(got) or math.isnan(ref):
            ok = math.isnan(got) and math.isnan(ref)
            err = 0.0 if ok else math.inf
        else:
            diff = abs(got - ref)
            err = diff / abs(ref) if ref != 0 else diff
            ok = err <= TOL or diff <= ABS
            err = err if abs(ref) >= 1e-6 else diff  # the absolute difference near 0
        self.worst[name] = max(self.worst.get(name, 0.0), err)
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {name} {what}: {got!r} vs {ref!r}")

    def summary(self, what):
        print(f"{what} max relative difference: "
              + ", ".join(f"{k} {v:.1e}" for k, v in self.worst.items()))


def cells(left, middle):
    t = np.array([float(v) for v in left.split()])
    e = np.array([int(v) for v in middle.split()], dtype=int)
    return t, e


def check_km_line(line, tally, case):
    left, middle, head, steps = line.split("|")
    t, e = cells(left, middle)
    status, n, events, med, med_lo, med_hi = head.split()
    steps = [s.split() for s in steps.split(";")] if steps.strip() else []
    ok = np.isfinite(t)
    t, e = t[ok], e[ok]
    what = f"km case {case} n={len(t)}"
    tally.check("n", n, len(t), what)
    tally.check("status", status, 0 if len(t) else 1, what)
    if len(t) == 0:
        tally.check("steps", len(steps), 0, what)
        tally.check("median", med, NAN, what)
        return
    kmf = KaplanMeierFitter().fit(t, e)
    table = kmf.event_table[kmf.event_table["removed"] > 0]
    tally.check("events", events, int(e.sum()), what)
    tally.check("steps", len(steps), len(table), what)
    sf = kmf.survival_function_.iloc[:, 0]
    ci = kmf.confidence_interval_
    gw = kmf._cumulative_sq_
    for step, (time, row) in zip(steps, table.iterrows()):
        st, at_risk, ev, cens, s, var, lo, hi = (float(v) for v in step)
        w = f"{what} t={time}"
        for name, got, ref in (("t", st, time), ("at_risk", at_risk, row["at_risk"]),
                               ("events", ev, row["observed"]),
                               ("censored", cens, row["censored"]), ("s", s, sf[time])):
            tally.check(name, got, ref, w)
        tally.check("var", var, sf[time] ** 2 * gw[time], w)
        undefined = sf[time] == 1
        tally.check("lo", lo, NAN if undefined else ci.iloc[:, 0][time], w)
        tally.check("hi", hi, NAN if undefined else ci.iloc[:, 1][time], w)
    tally.check("median", med, kmf.median_survival_time_, what)
    mci = median_survival_times(kmf.confidence_interval_)
    tally.check("median_lo", med_lo, mci.iloc[0, 0], what)
    tally.check("median_hi", med_hi, mci.iloc[0, 1], what)


def comparable(t, e, g, k):
    """True when two groups or more are at risk together at some event time with D < N."""
    for time in np.unique(t[e == 1]):
        risk = t >= time
        groups = len(np.unique(g[risk]))
        if groups >= 2 and (e[risk & (t == time)]).sum() < risk.sum():
            return True
    return False


def check_logrank_line(line, tally, case):
    left, middle, right, res = line.split("|")
    t, e = cells(left, middle)
    g = np.array([int(v) for v in right.split()], dtype=int)
    status, n, k, chi2, df, p = res.split()
    k = int(k)
    ok = np.isfinite(t)
    t, e, g = t[ok], e[ok], g[ok]
    what = f"logrank case {case} k={k} n={len(t)}"
    tally.check("lr_n", n, len(t), what)
    counts = [int((g == j).sum()) for j in range(k)]
    if k < 2 or min(counts) < 3:
        tally.check("lr_status", status, 1, what)
        for name, got in (("chi2", chi2), ("df", df), ("p", p)):
            tally.check(name, got, NAN, what)
        return
    tally.check("lr_status", status, 0, what)
    tally.check("df", df, k - 1, what)
    if e.sum() == 0 or not comparable(t, e, g, k):
        tally.check("chi2", chi2, NAN, what)
        tally.check("p", p, NAN, what)
        return
    r = multivariate_logrank_test(t, g, e)
    tally.check("chi2", chi2, r.test_statistic, what)
    tally.check("p", p, r.p_value, what)
    if k == 2:
        a, b = g == 0, g == 1
        r2 = logrank_test(t[a], t[b], e[a], e[b])
        tally.check("chi2_2", chi2, r2.test_statistic, what)
        tally.check("p_2", p, r2.p_value, what)


def main(folder):
    warnings.simplefilter("ignore")
    km, lr = Tally(), Tally()
    for case, line in enumerate(open(folder + "/km.txt")):
        check_km_line(line, km, case)
    km.summary("kaplan-meier")
    for case, line in enumerate(open(folder + "/logrank.txt")):
        check_logrank_line(line, lr, case)
    lr.summary("log-rank")
    passed, failed = km.passed + lr.passed, km.failed + lr.failed
    print(f"survival: {passed} passed, {failed} failed, 0 skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
