"""Refit cellpipe's nested cross-validation with scikit-learn and compare.

Usage: ml_sklearn.py DIR (the files of ml_export). For each algorithm, on the same data and the
same outer and inner folds: GridSearchCV over a Pipeline(StandardScaler, estimator) chooses the
hyperparameters (scoring neg_mean_squared_error or neg_log_loss, the grids of ml.h), refits on
the outer training cells, predicts the test cells; then the metrics of the pooled out-of-fold
predictions, a Dummy baseline, and the final model chosen over the outer folds on all cells.
Coefficients must agree to 1e-6 relative (plus 1e-10 absolute, for exact zeros of the lasso),
chosen hyperparameters exactly, metrics to 1e-6 relative. Ridge's GCV curve is recomputed from
its definition with numpy. Prints "N passed, N failed, N skipped".
"""
import csv
import sys
import warnings

import numpy as np
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import ElasticNet, LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, balanced_accuracy_score, roc_auc_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

REL, ABS = 1e-6, 1e-10
P = 6
GRIDS = {
    "elastic_net": [10 ** (-4 + k / 4) for k in range(17)],
    "ridge": [10 ** (-3 + k / 4) for k in range(33)],
    "logistic": [10 ** (-3 + k / 2) for k in range(13)],
}
L1 = [0.1, 0.5, 0.9, 1.0]
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


def close(a, b, rel=REL, abs_=ABS):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return bool(np.all(np.abs(a - b) <= rel * np.maximum(np.abs(a), np.abs(b)) + abs_))


def read(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def estimator(algo):
    if algo == "elastic_net":
        return ElasticNet(tol=1e-14, max_iter=10**7, selection="cyclic")
    if algo == "logistic":
        return LogisticRegression(solver="newton-cholesky", tol=1e-14, max_iter=1000)
    return Ridge(solver="svd")


def splits(fold, k):
    return [(np.flatnonzero((fold >= 0) & (fold != f)), np.flatnonzero(fold == f))
            for f in range(k)]


def choose(algo, X, y, fold, k):
    """GridSearchCV on the rows with fold >= 0, the given k folds; returns the fitted search."""
    rows = np.flatnonzero(fold >= 0)
    sub = fold[rows]
    pipe = Pipeline([("scale", StandardScaler()), ("m", estimator(algo))])
    if algo == "elastic_net":  # alpha-major, as cellpipe orders ties
        grid = [{"m__alpha": [a], "m__l1_ratio": [l]} for a in GRIDS[algo] for l in L1]
        scoring = "neg_mean_squared_error"
    else:
        grid = {"m__C": GRIDS[algo]}
        scoring = "neg_log_loss"
    gs = GridSearchCV(pipe, grid, cv=splits(sub, k), scoring=scoring, refit=True)
    gs.fit(X[rows], y[rows])
    return gs


def ridge_gcv_choice(Z, y):
    """lambda minimising GCV = RSS / (n - tr H)^2 on centred standardised data (definition)."""
    Zc, yc = Z - Z.mean(0), y - y.mean()
    best, scores = None, []
    for lam in GRIDS["ridge"]:
        H = Zc @ np.linalg.solve(Zc.T @ Zc + lam * np.eye(Zc.shape[1]), Zc.T)
        r = yc - H @ yc
        scores.append((r @ r) / (len(y) - np.trace(H)) ** 2)
    return int(np.argmin(scores)), np.array(scores)


def fit_fold(algo, X, y, train, fold_inner):
    """The fitted pipeline and chosen params of one training set."""
    if algo == "ridge":
        sc = StandardScaler().fit(X[train])
        k, _ = ridge_gcv_choice(sc.transform(X[train]), y[train])
        lam = GRIDS["ridge"][k]
        pipe = Pipeline([("scale", StandardScaler()), ("m", Ridge(alpha=lam, solver="svd"))])
        return pipe.fit(X[train], y[train]), {"param": lam}
    inner = np.full(len(y), -1)
    inner[train] = fold_inner[train]
    gs = choose(algo, X, y, inner, 5)
    bp = gs.best_params_
    params = {"param": bp.get("m__alpha", bp.get("m__C")), "l1_ratio": bp.get("m__l1_ratio")}
    return gs.best_estimator_, params


def coef_of(pipe):
    m = pipe.named_steps["m"]
    return float(np.ravel(m.intercept_)[0]), np.ravel(m.coef_)


def compare_model(name, pipe, params, row):
    check(f"{name} param", float(row["param"]) == params["param"],
          f"cellpipe {row['param']} sklearn {params['param']}")
    if params.get("l1_ratio") is not None:
        check(f"{name} l1_ratio", float(row["l1_ratio"]) == params["l1_ratio"],
              f"cellpipe {row['l1_ratio']} sklearn {params['l1_ratio']}")
    b0, coef = coef_of(pipe)
    mine = np.array([float(row[f"c{j}"]) for j in range(P)])
    check(f"{name} coefficients", close(mine, coef) and close(float(row["intercept"]), b0),
          f"cellpipe {float(row['intercept'])} {mine.tolist()} sklearn {b0} {coef.tolist()}")


def metrics(algo, y, pred):
    if algo == "logistic":
        return {"accuracy": accuracy_score(y, pred > 0.5),
                "balanced_accuracy": balanced_accuracy_score(y, pred > 0.5),
                "auc": roc_auc_score(y, pred) if len(set(y)) == 2 else float("nan")}
    t, p = 10 ** y, 10 ** pred
    return {"rmse": float(np.sqrt(np.mean((p - t) ** 2))),
            "mape": float(100 * np.mean(np.abs(p - t) / t))}


def baseline(algo, X, y, train, test):
    if algo == "logistic":
        d = DummyClassifier(strategy="prior").fit(X[train], y[train])
        return d.predict_proba(X[test])[:, 1]
    return np.full(len(test), np.log10(np.mean(10 ** y[train])))


def run(d, algo, X, y):
    folds = read(f"{d}/folds_{algo}.csv")
    fold = np.array([int(r["fold"]) for r in folds])
    models = {r["which"]: r for r in read(f"{d}/models_{algo}.csv")}
    mets = {(r["scope"], r["metric"]): r for r in read(f"{d}/metrics_{algo}.csv")}
    cvp = read(f"{d}/cv_{algo}.csv")
    k = fold.max() + 1
    pred, base = np.zeros(len(y)), np.zeros(len(y))
    for f in range(k):
        train, test = np.flatnonzero(fold != f), np.flatnonzero(fold == f)
        inner = np.array([int(r[f"inner{f}"]) for r in folds])
        pipe, params = fit_fold(algo, X, y, train, inner)
        compare_model(f"{algo} fold {f}", pipe, params, models[str(f)])
        pred[test] = (pipe.predict_proba(X[test])[:, 1] if algo == "logistic"
                      else pipe.predict(X[test]))
        base[test] = baseline(algo, X, y, train, test)
        for m, v in metrics(algo, y[test], pred[test]).items():
            check(f"{algo} fold {f} {m}", close(float(mets[(str(f), m)]["model"]), v, abs_=1e-12),
                  f"cellpipe {mets[(str(f), m)]['model']} sklearn {v}")
    mine = np.array([float(r["pred"]) for r in cvp])
    check(f"{algo} out-of-fold predictions", close(mine, pred, abs_=1e-12),
          f"max diff {np.max(np.abs(mine - pred))}")
    mb = metrics(algo, y, base)
    for m, v in metrics(algo, y, pred).items():
        row = mets[("cv", m)]
        check(f"{algo} cv_{m}", close(float(row["model"]), v, abs_=1e-12),
              f"cellpipe {row['model']} sklearn {v}")
        check(f"{algo} baseline {m}", close(float(row["baseline"]), mb[m], abs_=1e-12),
              f"cellpipe {row['baseline']} sklearn {mb[m]}")
    key = "balanced_accuracy" if algo == "logistic" else "rmse"
    beats = (metrics(algo, y, pred)[key] > mb[key]) if algo == "logistic" else \
        (metrics(algo, y, pred)[key] < mb[key])
    check(f"{algo} beats_baseline", int(mets[("cv", "beats_baseline")]["model"]) == int(beats))
    pipe, params = fit_fold(algo, X, y, np.arange(len(y)), fold) if algo == "ridge" else (None, None)
    if algo != "ridge":
        gs = choose(algo, X, y, fold, k)
        bp = gs.best_params_
        pipe = gs.best_estimator_
        params = {"param": bp.get("m__alpha", bp.get("m__C")), "l1_ratio": bp.get("m__l1_ratio")}
    compare_model(f"{algo} final", pipe, params, models["final"])


def check_gcv(d, X, y):
    rows = read(f"{d}/gcv.csv")
    Z = StandardScaler().fit_transform(X)
    _, scores = ridge_gcv_choice(Z, y)
    mine = np.array([float(r["gcv"]) for r in rows])
    check("ridge GCV curve", close(mine, scores, rel=1e-9, abs_=0),
          f"cellpipe {mine[:3].tolist()} numpy {scores[:3].tolist()}")


def check_raw_enet(d, X, y):
    for r in read(f"{d}/enet_raw.csv"):
        m = ElasticNet(alpha=float(r["alpha"]), l1_ratio=float(r["l1_ratio"]), tol=1e-14,
                       max_iter=10**7).fit(X, y)
        mine = np.array([float(r[f"c{j}"]) for j in range(P)])
        check(f"elastic net on raw features alpha {r['alpha']} l1_ratio {r['l1_ratio']}",
              close(mine, m.coef_, abs_=1e-10 * np.max(np.abs(m.coef_)))
              and close(float(r["intercept"]), m.intercept_),
              f"cellpipe {float(r['intercept'])} {mine.tolist()} sklearn {m.intercept_} {m.coef_.tolist()}")


def main(d):
    warnings.simplefilter("ignore")  # ConvergenceWarning at tol 1e-14: the check is the answer
    data = read(f"{d}/data.csv")
    X = np.array([[float(r[f"x{j}"]) for j in range(P)] for r in data])
    y = np.array([float(r["y"]) for r in data])
    label = np.array([int(r["label"]) for r in data])
    run(d, "elastic_net", X, y)
    run(d, "ridge", X, y)
    run(d, "logistic", X, label)
    check_gcv(d, X, y)
    check_raw_enet(d, X, y)
    print(f"sklearn: {passed} passed, {failed} failed, 0 skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
