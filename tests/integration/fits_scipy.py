"""Refit cellpipe's curves with scipy.optimize.curve_fit and compare the parameters.

Usage: fits_scipy.py DIR (holding curves.csv and fits.csv from fits_scipy_export).
Each ok fit of cellpipe is refitted by scipy (MINPACK lm with the analytic Jacobians written
here, tight tolerances, restarted to polish) from a start 3 % away from cellpipe's answer; the parameters must agree to 1e-6 relative. Prints
"N passed, N failed, N skipped".
"""
import csv
import sys

import numpy as np
from scipy.optimize import curve_fit

REL = 1e-6


def models(g):
    return {
        "linear": lambda n, a, b: a + b * n,
        "sqrt": lambda n, a, b: a - b * np.sqrt(n),
        "power": lambda n, a, b, c: a - b * np.power(n, c),
        "double_exp": lambda n, a, b, c, d: a * np.exp(b * n) + c * np.exp(d * n),
        "bacon_watts": lambda n, a0, a1, a2, n1: a0 + a1 * (n - n1)
        + a2 * (n - n1) * np.tanh((n - n1) / g),
    }


def jacobians(g):
    def bw(n, a0, a1, a2, n1):
        z = n - n1
        h = np.tanh(z / g)
        return np.column_stack([np.ones_like(n), z, z * h, -a1 - a2 * h - a2 * z * (1 - h * h) / g])

    return {
        "linear": lambda n, a, b: np.column_stack([np.ones_like(n), n]),
        "sqrt": lambda n, a, b: np.column_stack([np.ones_like(n), -np.sqrt(n)]),
        "power": lambda n, a, b, c: np.column_stack(
            [np.ones_like(n), -np.power(n, c), -b * np.power(n, c) * np.log(n)]),
        "double_exp": lambda n, a, b, c, d: np.column_stack(
            [np.exp(b * n), a * n * np.exp(b * n), np.exp(d * n), c * n * np.exp(d * n)]),
        "bacon_watts": bw,
    }


def main(d):
    curves = {}
    with open(f"{d}/curves.csv") as f:
        for row in csv.DictReader(f):
            curves.setdefault(row["curve"], []).append((float(row["n"]), float(row["y"])))
    passed = failed = skipped = 0
    with open(f"{d}/fits.csv") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        name = f"curve {row['curve']} {row['model']}"
        if row["status"] != "ok":
            skipped += 1
            print(f"SKIP {name}: cellpipe reports {row['status']}")
            continue
        pts = np.array(curves[row["curve"]])
        n, y = pts[:, 0], pts[:, 1]
        p = np.array([float(row[f"p{k}"]) for k in range(4) if row[f"p{k}"] != "nan"])
        g = float(row["g"]) if row["g"] != "nan" else 1.0
        fn, jac = models(g)[row["model"]], jacobians(g)[row["model"]]
        p0 = p * (1 + 0.03 * np.array([(-1) ** k for k in range(len(p))]))
        try:
            q = p0
            for _ in range(3):  # restarts polish flat valleys (MINPACK stops on small steps)
                q, _ = curve_fit(fn, n, y, p0=q, jac=jac, method="lm", ftol=1e-15, xtol=1e-15,
                                 gtol=1e-15, maxfev=200000)
        except Exception as e:  # scipy could not fit: count as a failure
            failed += 1
            print(f"FAIL {name}: scipy: {e}")
            continue
        rel = np.abs(q - p) / np.maximum(np.abs(q), 1e-300)
        if np.all(rel <= REL):
            passed += 1
        else:
            failed += 1
            rp, rq = np.sum((fn(n, *p) - y) ** 2), np.sum((fn(n, *q) - y) ** 2)
            print(f"FAIL {name}: cellpipe {p.tolist()} scipy {q.tolist()} rel {rel.tolist()} rss {rp!r} vs {rq!r}")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
