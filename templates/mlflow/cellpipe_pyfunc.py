"""MLflow python_function loader for a cellpipe early-life model (docs/mlflow.md).

Shipped by cellpipe inside the model's artifacts (model/code/) and embedded in the cellpipe
binary; it reads the same model.json that cellpipe reads (docs/ml.md "model.json") and
computes what cellpipe computes, in the same order, so both agree to the last bits:

    z = intercept; z += coef[j] * ((x[j] - mean[j]) / sd[j])    for j in feature order
    regression:      cycle life 10 ** z, interval 10 ** (z + lo), 10 ** (z + hi)
    classification:  P(class 1) = 1 / (1 + exp(-z)); class 1 when P > 0.5

Needs only the standard library and pandas (which MLflow's pyfunc already requires).
"""
import json
import math

FORMAT = "cellpipe-model"
FORMAT_VERSION = 1


def _num(v):
    return float("nan") if v is None else float(v)


class CellpipeModel:
    def __init__(self, model):
        if model.get("format") != FORMAT or model.get("format_version") != FORMAT_VERSION:
            raise ValueError("not a %s model of version %d" % (FORMAT, FORMAT_VERSION))
        self.model = model
        self.task = model["task"]
        self.features = list(model["features"])
        self.mean = [_num(v) for v in model["mean"]]
        self.sd = [_num(v) for v in model["sd"]]
        self.coef = [_num(v) for v in model["coef"]]
        self.train_min = [_num(v) for v in model["train_min"]]
        self.train_max = [_num(v) for v in model["train_max"]]
        self.intercept = _num(model["intercept"])
        interval = model.get("interval") or {}
        self.lo = _num(interval.get("lo"))
        self.hi = _num(interval.get("hi"))

    def _row(self, x):
        z = self.intercept
        outside = False
        for j in range(len(self.features)):
            z += self.coef[j] * ((x[j] - self.mean[j]) / self.sd[j])
            outside = outside or x[j] < self.train_min[j] or x[j] > self.train_max[j]
        return z, outside

    def predict(self, model_input, params=None):
        import pandas as pd

        missing = [f for f in self.features if f not in model_input.columns]
        if missing:
            raise ValueError("model input lacks the feature columns: " + ", ".join(missing))
        cols = [[float(v) for v in model_input[f].tolist()] for f in self.features]
        rows = [self._row([c[i] for c in cols]) for i in range(len(model_input))]
        out = {}
        if self.task == "classification":
            prob = [1.0 / (1.0 + math.exp(-z)) for z, _ in rows]
            out["probability"] = prob
            out["predicted_class"] = [1 if p > 0.5 else 0 for p in prob]
        else:
            out["predicted_log10_cycle_life"] = [z for z, _ in rows]
            out["predicted_cycle_life"] = [10.0 ** z for z, _ in rows]
            out["predicted_cycle_life_lo"] = [10.0 ** (z + self.lo) for z, _ in rows]
            out["predicted_cycle_life_hi"] = [10.0 ** (z + self.hi) for z, _ in rows]
        out["out_of_range"] = [bool(o) for _, o in rows]
        return pd.DataFrame(out, index=model_input.index)


def _load_pyfunc(path, model_config=None):
    """path: the model.json named by the flavour's `data`."""
    with open(path, encoding="utf-8") as f:
        return CellpipeModel(json.load(f))
