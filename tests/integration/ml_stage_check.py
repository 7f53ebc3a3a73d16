"""Recompute what the ml stage wrote (tests/integration/ml_stage.sh), from its files alone.

usage: ml_stage_check.py train REPORT | use REPORT TRAINING_REPORT
Prints "ok ..." per check, "FAIL ..." per failure, and "ALL OK" when nothing failed.
"""
import csv
import json
import math
import sys

fails = 0


def check(what, cond):
    global fails
    print(("ok " if cond else "FAIL ") + what)
    fails += 0 if cond else 1


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def num(s):
    return float(s) if s not in ("", None) else math.nan


def close(a, b, rel):
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-300)


def predict(model, x):
    """docs/ml.md: z = intercept + sum coef_j (x_j - mean_j) / sd_j, in feature order."""
    z = model["intercept"]
    for j in range(len(model["features"])):
        z += model["coef"][j] * ((x[j] - model["mean"][j]) / model["sd"][j])
    if model["task"] == "classification":
        return 1.0 / (1.0 + math.exp(-z)), None, None
    return 10.0 ** z, 10.0 ** (z + model["interval"]["lo"]), 10.0 ** (z + model["interval"]["hi"])


def check_predictions(rep, name, model):
    feats = {r["cell_id"]: r for r in rows(f"{rep}/models/{name}/features.csv")} if model else {}
    preds = [r for r in rows(f"{rep}/results/predictions.csv") if r["model"] == name]
    n = 0
    col = "probability" if model["task"] == "classification" else "predicted_cycle_life"
    for r in preds:
        f = feats.get(r["cell_id"])
        if f is None or r[col] == "":
            continue
        x = [num(f[k]) for k in model["features"]]
        v, lo, hi = predict(model, x)
        ok = close(num(r[col]), v, 1e-12)
        if lo is not None:
            ok = ok and close(num(r["predicted_cycle_life_lo"]), lo, 1e-12)
            ok = ok and close(num(r["predicted_cycle_life_hi"]), hi, 1e-12)
        outside = any(x[j] < model["train_min"][j] or x[j] > model["train_max"][j]
                      for j in range(len(x)))
        ok = ok and int(r["out_of_range"]) == int(outside)
        if not ok:
            check(f"{name} {r['cell_id']}: prediction {r[col]} vs {v}", False)
        n += 1
    check(f"{name}: {n} predictions equal the saved model applied to features.csv", n > 0)
    return preds


def regression_metrics(cv):
    err = [num(r["predicted"]) - num(r["observed"]) for r in cv]
    base = [num(r["baseline"]) - num(r["observed"]) for r in cv]
    rmse = lambda e: math.sqrt(sum(v * v for v in e) / len(e))
    mape = lambda e: 100 * sum(abs(v) / num(r["observed"]) for v, r in zip(e, cv)) / len(e)
    return rmse(err), mape(err), rmse(base), mape(base)


def auc(y, p):
    pos = [s for s, t in zip(p, y) if t == 1]
    neg = [s for s, t in zip(p, y) if t == 0]
    wins = sum((a > b) + 0.5 * (a == b) for a in pos for b in neg)
    return wins / (len(pos) * len(neg))


def classification_metrics(cv):
    y = [int(num(r["observed"])) for r in cv]
    p = [num(r["predicted"]) for r in cv]
    hat = [int(v > 0.5) for v in p]
    acc = sum(a == b for a, b in zip(y, hat)) / len(y)
    rec = [sum(1 for a, b in zip(y, hat) if a == c and b == c) / y.count(c) for c in (0, 1)]
    return acc, sum(rec) / 2, auc(y, p)


def check_trained(rep, m):
    name = m["model"]
    model = json.load(open(f"{rep}/models/{name}/model.json"))
    cv = rows(f"{rep}/models/{name}/cv_predictions.csv")
    folds = [int(r["fold"]) for r in cv]
    sizes = [folds.count(f) for f in range(int(m["folds"]))]
    check(f"{name}: {len(cv)} training cells in cv_predictions.csv", len(cv) == int(m["train_cells"]))
    check(f"{name}: fold sizes {sizes} differ by at most one", max(sizes) - min(sizes) <= 1)
    if m["task"] == "regression":
        rmse, mape, brmse, bmape = regression_metrics(cv)
        for k, v in (("cv_rmse", rmse), ("cv_mape", mape), ("baseline_cv_rmse", brmse),
                     ("baseline_cv_mape", bmape)):
            check(f"{name}: {k} {m[k]} recomputed {v}", close(num(m[k]), v, 1e-9))
        check(f"{name}: beats_baseline", int(m["beats_baseline"]) == int(rmse < brmse))
    else:
        acc, bal, a = classification_metrics(cv)
        for k, v in (("cv_accuracy", acc), ("cv_balanced_accuracy", bal), ("cv_auc", a)):
            check(f"{name}: {k} {m[k]} recomputed {v}", close(num(m[k]), v, 1e-9))
    coef = rows(f"{rep}/models/{name}/coefficients.csv")
    check(f"{name}: coefficients.csv lists the intercept and every feature",
          [r["feature"] for r in coef] == ["(intercept)"] + model["features"]
          and close(num(coef[0]["coefficient"]), model["intercept"], 1e-15))
    training = json.load(open(f"{rep}/models/{name}/training.json"))
    check(f"{name}: training.json carries the metrics",
          close(training["metrics"][training["compare"]["metric"]], training["compare"]["value"], 0))
    preds = check_predictions(rep, name, model)
    cells = {r["cell_id"]: r for r in rows(f"{rep}/results/cells.csv")}
    col = "probability" if m["task"] == "classification" else "predicted_cycle_life"
    same = all(r[col] == "" or close(num(cells[r["cell_id"]][f"pred_{name}"]), num(r[col]), 1e-15)
               for r in preds)
    check(f"{name}: cells.csv pred_{name} equals predictions.csv", same)
    return model


def main():
    mode, rep = sys.argv[1], sys.argv[2]
    models = {m["model"]: m for m in rows(f"{rep}/results/models.csv")}
    if mode == "train":
        check("models.csv lists the four models", sorted(models) == ["life", "life_ridge", "short", "tiny"])
        check("tiny is skipped with its reason", models["tiny"]["status"] == "skipped"
              and "needed" in models["tiny"]["note"])
        manifest = {m["name"]: m for m in json.load(open(f"{rep}/manifest.json"))["models"]}
        for name in ("life", "life_ridge", "short"):
            check(f"{name} is trained", models[name]["status"] == "trained")
            check_trained(rep, models[name])
            key = "cv_rmse" if models[name]["task"] == "regression" else "cv_balanced_accuracy"
            check(f"{name}: the manifest records {key}",
                  manifest[name]["status"] == "trained"
                  and close(manifest[name]["metrics"][key], num(models[name][key]), 1e-15))
        check("the manifest records why tiny was skipped", "needed" in (manifest["tiny"]["note"] or ""))
    else:
        train_rep = sys.argv[3]
        check("life is applied from the saved model", models["life"]["status"] == "applied"
              and models["life"]["source"].endswith("models/life/model.json"))
        a = {r["cell_id"]: r for r in rows(f"{rep}/results/predictions.csv") if r["model"] == "life"}
        b = {r["cell_id"]: r for r in rows(f"{train_rep}/results/predictions.csv") if r["model"] == "life"}
        check("the same cells", sorted(a) == sorted(b))
        same = all(a[c]["predicted_cycle_life"] == b[c]["predicted_cycle_life"] for c in a)
        check("the same predictions, digit for digit", same and len(a) > 0)
        known = [r for r in a.values() if r["observed"] != "" and r["predicted_cycle_life"] != ""]
        err = [num(r["predicted_cycle_life"]) - num(r["observed"]) for r in known]
        rmse = math.sqrt(sum(e * e for e in err) / len(err))
        mape = 100 * sum(abs(e) / num(r["observed"]) for e, r in zip(err, known)) / len(err)
        m = models["life"]
        check(f"applied_cells {m['applied_cells']} = {len(known)} cells with a known life",
              int(m["applied_cells"]) == len(known))
        check(f"applied_rmse {m['applied_rmse']} recomputed {rmse}", close(num(m["applied_rmse"]), rmse, 1e-9))
        check(f"applied_mape {m['applied_mape']} recomputed {mape}", close(num(m["applied_mape"]), mape, 1e-9))
    print("ALL OK" if fails == 0 else f"{fails} FAILED")


main()
