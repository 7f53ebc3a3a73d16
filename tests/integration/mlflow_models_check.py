"""tests/integration/mlflow_models.sh: the registry, the training runs and the pyfunc model
against what the report folders say, through MLflow's own Python client.

    mlflow_models_check.py TRACKING_URI NAME ALIAS REPORT_DIR...   (in training order)

Expected alias moves are derived here from the report files alone (training.json's compared
value, model.json's cells_sha256, the holder's model.json applied to the run's features.csv
with the formula of docs/ml.md), never from what cellpipe recorded.
"""
import json
import math
import os
import sys
import tempfile

import mlflow
import pandas as pd
from mlflow.tracking import MlflowClient

passed = failed = 0


def check(what, cond):
    global passed, failed
    if cond:
        passed += 1
        print("PASS", what)
    else:
        failed += 1
        print("FAIL", what)


def read_csv(path):
    # round_trip: pandas' default parser is not exact in the last bit
    return pd.read_csv(path, float_precision="round_trip")


def load(path):
    with open(path) as f:
        return json.load(f)


def model_run_id(report):
    for line in open(os.path.join(report, "mlflow", "journal.ndjson")):
        o = json.loads(line)
        if o.get("ref") == "model/life" and "run_id" in o and "ack" in o:
            return o["run_id"]
    return None


def predict(model, feats):
    """docs/ml.md's formula, regression: cycle life of each row."""
    out = []
    for _, row in feats.iterrows():
        z = model["intercept"]
        for j, name in enumerate(model["features"]):
            z += model["coef"][j] * ((row[name] - model["mean"][j]) / model["sd"][j])
        out.append(10.0 ** z)
    return out


def other_cells(holder_dir, report):
    """(new rmse, holder rmse, cells) on report's cells with a target and a CV prediction."""
    holder = load(os.path.join(holder_dir, "models/life/model.json"))
    feats = read_csv(os.path.join(report, "models/life/features.csv"))
    cv = read_csv(os.path.join(report, "models/life/cv_predictions.csv")).set_index("cell_id")
    feats = feats[feats.observed.notna() & feats.cell_id.isin(cv.index)]
    held = predict(holder, feats)
    obs = feats.observed.tolist()
    new = cv.loc[feats.cell_id, "predicted"].tolist()
    n = len(obs)
    rmse = lambda p: math.sqrt(sum((a - b) ** 2 for a, b in zip(p, obs)) / n)
    return rmse(new), rmse(held), n


def expected_history(reports):
    """[(move, n_cells or None)] per run, and the index of the final holder."""
    holder, out = None, []
    for k, rep in enumerate(reports):
        value = load(os.path.join(rep, "models/life/training.json"))["compare"]["value"]
        sha = load(os.path.join(rep, "models/life/model.json"))["cells_sha256"]
        if holder is None:
            move, n = True, None
        elif sha == holder[1]:
            move, n = value < holder[2], None
        else:
            new, held, n = other_cells(reports[holder[0]], rep)
            move = new < held
        out.append((move, n))
        if move:
            holder = (k, sha, value)
    return out, holder[0]


def check_training_run(client, rep, run_id):
    run = client.get_run(run_id)
    training = load(os.path.join(rep, "models/life/training.json"))
    check("training run named 'model life'", run.info.run_name == "model life")
    check("training run is a child run", bool(run.data.tags.get("mlflow.parentRunId")))
    check("training run params", run.data.params.get("features") == training["params"]["features"])
    check("training run cv_rmse", run.data.metrics.get("cv_rmse") == training["metrics"]["cv_rmse"])
    hist = sorted((m.step, m.value) for m in client.get_metric_history(run_id, "fold.cv_rmse"))
    want = sorted((f["fold"], f["cv_rmse"]) for f in training["fold_metrics"])
    check("per-fold cv_rmse as steps", hist == want)
    names = {a.path for a in client.list_artifacts(run_id)}
    model = {a.path for a in client.list_artifacts(run_id, "model")}
    check("artifacts %s" % sorted(names),
          {"coefficients.csv", "cv_predictions.csv", "features.csv", "training.json"} <= names)
    check("model/ has MLmodel, model.json and the loader",
          {"model/MLmodel", "model/model.json", "model/code"} <= model)


def check_pyfunc(uri, rep):
    m = mlflow.pyfunc.load_model(uri)
    feats = read_csv(os.path.join(rep, "models/life/features.csv"))
    got = m.predict(feats).set_index(feats.cell_id)
    want = read_csv(os.path.join(rep, "results/predictions.csv"))
    want = want[want.model == "life"].set_index("cell_id").loc[got.index]
    worst = 0.0
    for col in ["predicted_cycle_life", "predicted_cycle_life_lo", "predicted_cycle_life_hi"]:
        worst = max(worst, (got[col] - want[col]).abs().max())
    check("%s predicts cellpipe's predictions (max diff %g over %d cells)" % (uri, worst, len(got)),
          worst <= 1e-12 and len(got) > 0)
    check("%s log10 column is the exponent" % uri,
          (10.0 ** got.predicted_log10_cycle_life - got.predicted_cycle_life).abs().max() <= 1e-9)
    check("%s out_of_range agrees" % uri,
          list(got.out_of_range.astype(int)) == list(want.out_of_range.astype(int)))


def main():
    uri, name, alias, reports = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(uri)
    history, final = expected_history(reports)
    check("the test moves the alias once by error and keeps it once",
          any(m for m, _ in history[1:]) and not all(m for m, _ in history[1:]))
    versions = client.search_model_versions("name='%s'" % name)
    by_run = {v.run_id: v for v in versions}
    check("one version per training (%d)" % len(reports), len(versions) == len(reports))
    for k, rep in enumerate(reports):
        run_id = model_run_id(rep)
        v = by_run.get(run_id)
        check("run %d has its version" % (k + 1), v is not None)
        if v is None:
            continue
        check_training_run(client, rep, run_id)
        training = load(os.path.join(rep, "models/life/training.json"))
        check("version %s source is the run's model/" % v.version,
              v.source.endswith("/%s/artifacts/model" % run_id))
        check("version %s cv tags" % v.version,
              v.tags.get("cellpipe.cv_metric") == "cv_rmse"
              and float(v.tags.get("cellpipe.cv_value", "nan")) == training["compare"]["value"])
        sha = load(os.path.join(rep, "models/life/model.json"))["cells_sha256"]
        check("version %s cells_sha256" % v.version, v.tags.get("cellpipe.cells_sha256") == sha)
        move, n = history[k]
        decision = v.tags.get("cellpipe.alias_decision", "")
        check("version %s decision '%s' is %s" % (v.version, decision, "moved" if move else "kept"),
              decision.startswith("moved" if move else "kept"))
        if n is not None:
            check("version %s compared on the same %d cells" % (v.version, n),
                  ("the same %d cells of this run" % n) in decision)
    holder = client.get_model_version_by_alias(name, alias)
    check("alias %s on the expected run" % alias, holder.run_id == model_run_id(reports[final]))
    check_pyfunc("models:/%s@%s" % (name, alias), reports[final])
    first = by_run.get(model_run_id(reports[0]))
    if first:
        check_pyfunc("models:/%s/%s" % (name, first.version), reports[0])
    with tempfile.TemporaryDirectory() as tmp:
        got = mlflow.artifacts.download_artifacts("models:/%s@%s/model.json" % (name, alias),
                                                  dst_path=tmp)
        check("registered model.json is the report's",
              open(got, "rb").read()
              == open(os.path.join(reports[final], "models/life/model.json"), "rb").read())
    print("checker done: %d PASS, %d FAIL" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
