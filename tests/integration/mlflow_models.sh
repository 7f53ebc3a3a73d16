#!/usr/bin/env bash
# Trained models in a REAL `mlflow server` (tests/integration/lib/mlflow_server.bash): the
# training run per model, the model version registered under register_as, the alias moved only
# when the cross-validated error beats the holder's on the same cells, the pyfunc model that
# MLflow's Python client loads, registration after a server outage with `cellpipe mlflow push`,
# `cellpipe models list|show`, and cp_mlflow_model_fetch (tests/integration/mlflow_fetch.c).
# mlflow_models_check.py derives every expected decision from the report files alone.
#   1. five trainings of one model on the synthetic fleet: the first takes the alias, a worse
#      one (other features) keeps it, a better one moves it, one on other cells (40 of them) is
#      compared on that run's cells, one runs with the server down and registers on push;
#   2. the registry through MLflow's client, pyfunc predictions vs results/predictions.csv;
#   3. `cellpipe models list|show` against the client's view; exit 65 for no such model;
#   4. fetch of @alias and /version (model.json's bytes), no such alias (65), server down (69).
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUILD=${BUILD:-build}
CELLPIPE=${CELLPIPE:-$ROOT/$BUILD/cellpipe}
pass=0 fail=0 skip=0

ok() { pass=$((pass + 1)); echo "PASS $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
expect() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
finish() { echo "models: $pass passed, $fail failed, $skip skipped"; [ "$fail" = 0 ]; exit $?; }

. tests/integration/lib/mlflow_server.bash
. tests/integration/lib/exporter.bash

if ! command -v curl >/dev/null || ! mlflow_venv; then
    echo "SKIP mlflow_models: no test virtualenv with mlflow in $MLFLOW_VENV"
    skip=1
    finish
fi
PY=$MLFLOW_VENV/bin/python

TMP=$(mktemp -d)
PORT=$(free_port)
URI=http://127.0.0.1:$PORT
cleanup() { mlflow_stop; rm -rf "$TMP"; }
trap cleanup EXIT
export -n MLFLOW_TRACKING_URI
# the outage is a refused connection: one quick retry is enough
export MLFLOW_HTTP_REQUEST_MAX_RETRIES=1 MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR=0

if ! mlflow_start "$TMP/server" "$PORT"; then
    bad "mlflow server starts"
    finish
fi
ok "mlflow server starts"
if build_exporter tests/integration/mlflow_fetch.c "$TMP/fetch" libcurl jansson libcrypto; then
    ok "fetch helper builds"
else
    bad "fetch helper builds"
fi

# train DATE CELLS FEATURES: one pipeline run of model "life", registered as cycle-life
train() {
    cat >"$TMP/p-$1.yaml" <<YAML
name: mlt
source: {kind: sample, seed: 42, cells: $2, cycles: 1500, life_spread: 2.5}
fits: {threshold: 0.8}
models:
  - name: life
    algorithm: ridge
    features: $3
    register_as: cycle-life
${4:-}
YAML
    MLFLOW_TRACKING_URI=$URI "$CELLPIPE" run "$TMP/p-$1.yaml" --out "$TMP/r" --date "$1" \
        >"$TMP/run-$1.log" 2>&1
}
rep() { echo "$TMP/r/mlt/$1"; }
unacked_register() {
    "$PY" - "$1/mlflow/journal.ndjson" <<'PYEOF'
import json, sys
ops, acks = {}, set()
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o.get("op") == "register": ops[o["seq"]] = o
    if "ack" in o: acks.add(o["ack"])
print(len(set(ops) - acks), len(ops))
PYEOF
}

# 1. five trainings
# (training 1 also has a classifier, registered on its own)
train 2026-01-05 48 "[qd_max_minus_qd_2, qd_slope_last10, qd_intercept_last10, ce_mean, ce_sd, temperature_mean_c, ir_2, ir_change]" \
    "  - {name: short, task: classification, target: cycle_life < 900, features: [qd_slope_last10, ce_mean], register_as: short-life}"
expect "training 1 exits 0" "[ $? = 0 ]"
train 2026-01-06 48 "[qd_2, ce_mean]"
expect "training 2 exits 0" "[ $? = 0 ]"
train 2026-01-07 48 "[qd_slope_last10]"
expect "training 3 exits 0" "[ $? = 0 ]"
train 2026-01-08 40 "[qd_slope_last10]"
expect "training 4 (other cells) exits 0" "[ $? = 0 ]"
expect "training 1 registered both models live" '[ "$(unacked_register "$(rep 2026-01-05)")" = "0 2" ]'
expect "trainings log their decisions" \
    '[ "$(cat "$TMP"/run-2026-01-0[5-8].log | grep -c "stage=mlflow registered=\"cycle-life\"")" = 4 ]'

mlflow_stop
train 2026-01-09 48 "[ir_2]"
expect "training 5 with the server down exits 0" "[ $? = 0 ]"
expect "its registration waits in the journal" '[ "$(unacked_register "$(rep 2026-01-09)")" = "1 1" ]'
"$TMP/fetch" "$URI" "models:/cycle-life@champion" "$TMP/down.json" >/dev/null 2>"$TMP/down.err"
expect "fetch with the server down exits 69" "[ $? = 69 ]"
"$CELLPIPE" models list --tracking-uri "$URI" >/dev/null 2>"$TMP/list-down.err"
expect "models list with the server down exits 69" "[ $? = 69 ]"
if ! mlflow_start "$TMP/server" "$PORT"; then
    bad "mlflow server restarts"
    finish
fi
"$CELLPIPE" mlflow push "$(rep 2026-01-09)" --tracking-uri "$URI" >"$TMP/push.out" 2>&1
expect "push exits 0" "[ $? = 0 ]"
expect "push registered it" '[ "$(unacked_register "$(rep 2026-01-09)")" = "0 1" ]'
"$CELLPIPE" mlflow push "$(rep 2026-01-09)" --tracking-uri "$URI" >"$TMP/push2.out" 2>&1
expect "a second push exits 0" "[ $? = 0 ]"

# 2. the registry, the training runs and pyfunc through MLflow's client
REPORTS=()
for d in 2026-01-05 2026-01-06 2026-01-07 2026-01-08 2026-01-09; do REPORTS+=("$(rep $d)"); done
out=$("$PY" -P tests/integration/mlflow_models_check.py "$URI" cycle-life champion "${REPORTS[@]}" 2>"$TMP/check.err")
echo "$out"
pass=$((pass + $(grep -c '^PASS' <<<"$out")))
fail=$((fail + $(grep -c '^FAIL' <<<"$out")))
grep -q '^PASS' <<<"$out" || { bad "checker ran"; tail -n 20 "$TMP/check.err"; }

# the classifier: its pyfunc model against cellpipe's probabilities and classes
out=$("$PY" -P - "$URI" "$(rep 2026-01-05)" 2>"$TMP/class.err" <<'PYEOF'
import sys
import mlflow
import pandas as pd
mlflow.set_tracking_uri(sys.argv[1])
rep = sys.argv[2]
m = mlflow.pyfunc.load_model("models:/short-life@champion")
f = pd.read_csv(rep + "/models/short/features.csv", float_precision="round_trip")
got = m.predict(f).set_index(f.cell_id)
want = pd.read_csv(rep + "/results/predictions.csv", float_precision="round_trip")
want = want[want.model == "short"].set_index("cell_id").loc[got.index]
diff = (got.probability - want.probability).abs().max()
same = (got.predicted_class == want.predicted_class).all()
print("%s classifier probabilities (max diff %g over %d cells)" %
      ("PASS" if diff <= 1e-12 and len(got) else "FAIL", diff, len(got)))
print("%s classifier classes" % ("PASS" if same else "FAIL"))
PYEOF
)
echo "$out"
pass=$((pass + $(grep -c '^PASS' <<<"$out")))
fail=$((fail + $(grep -c '^FAIL' <<<"$out")))
grep -q '^PASS' <<<"$out" || { bad "classifier check ran"; tail -n 20 "$TMP/class.err"; }

# what the client says: champion version, its report, the version count
read -r CHAMP CHAMP_RUN NVERS < <("$PY" -P - "$URI" <<'PYEOF'
import sys
from mlflow.tracking import MlflowClient
c = MlflowClient(sys.argv[1])
v = c.get_model_version_by_alias("cycle-life", "champion")
print(v.version, v.run_id, len(c.search_model_versions("name='cycle-life'")))
PYEOF
)
CHAMP_REP=$(grep -l "\"run_id\":\"$CHAMP_RUN\"" "$TMP"/r/mlt/*/mlflow/journal.ndjson | head -n 1)
CHAMP_REP=${CHAMP_REP%/mlflow/journal.ndjson}

# 3. cellpipe models list|show
"$CELLPIPE" models list --tracking-uri "$URI" >"$TMP/list" 2>&1
expect "models list exits 0" "[ $? = 0 ]"
expect "models list: cycle-life, latest $NVERS, champion=$CHAMP" \
    'grep -qx "cycle-life  latest version $NVERS  aliases champion=$CHAMP" "$TMP/list"'
expect "models list: short-life, champion=1" \
    'grep -qx "short-life  latest version 1  aliases champion=1" "$TMP/list"'
expect "models list: two models" '[ "$(wc -l <"$TMP/list")" = 2 ]'
MLFLOW_TRACKING_URI=$URI "$CELLPIPE" models show cycle-life >"$TMP/show" 2>&1
expect "models show exits 0 (URI from MLFLOW_TRACKING_URI)" "[ $? = 0 ]"
expect "models show: $NVERS versions" '[ "$(grep -c "^version " "$TMP/show")" = "$NVERS" ]'
expect "models show: the champion line" \
    'grep -q "^version $CHAMP  run $CHAMP_RUN  aliases champion$" "$TMP/show"'
expect "models show: every version's decision" \
    '[ "$(grep -c "^  cellpipe.alias_decision: " "$TMP/show")" = "$NVERS" ]'
expect "models show: sources" '[ "$(grep -c "^  source mlflow-artifacts:.*/artifacts/model$" "$TMP/show")" = "$NVERS" ]'
"$CELLPIPE" models show no-such-model --tracking-uri "$URI" >/dev/null 2>"$TMP/show-none.err"
expect "models show of no model exits 65" "[ $? = 65 ]"
expect "... and says so" 'grep -q "no registered model .no-such-model." "$TMP/show-none.err"'
env -u MLFLOW_TRACKING_URI "$CELLPIPE" models list >/dev/null 2>"$TMP/list-nouri.err"
expect "models list without a URI exits 78" "[ $? = 78 ]"

# 4. cp_mlflow_model_fetch
res=$("$TMP/fetch" "$URI" "models:/cycle-life@champion" "$TMP/champ.json" 2>"$TMP/fetch.err")
expect "fetch @champion exits 0" "[ $? = 0 ]"
expect "fetch @champion resolves to models:/cycle-life/$CHAMP ($res)" '[ "$res" = "models:/cycle-life/$CHAMP" ]'
expect "fetch @champion: the champion's model.json" 'cmp -s "$TMP/champ.json" "$CHAMP_REP/models/life/model.json"'
res=$("$TMP/fetch" "$URI" "models:/cycle-life/1" "$TMP/v1.json" 2>"$TMP/fetch.err")
expect "fetch /1 resolves ($res)" '[ "$res" = "models:/cycle-life/1" ]'
expect "fetch /1: training 1's model.json" 'cmp -s "$TMP/v1.json" "$(rep 2026-01-05)/models/life/model.json"'
"$TMP/fetch" "$URI" "models:/cycle-life@nosuch" "$TMP/x.json" >/dev/null 2>"$TMP/fetch.err"
expect "fetch of no alias exits 65" "[ $? = 65 ]"
expect "... naming it" 'grep -qx "models:/cycle-life@nosuch: no alias .nosuch. on registered model .cycle-life." "$TMP/fetch.err"'
"$TMP/fetch" "$URI" "models:/cycle-life/99" "$TMP/x.json" >/dev/null 2>"$TMP/fetch.err"
expect "fetch of no version exits 65" "[ $? = 65 ]"
"$TMP/fetch" "$URI" "models:/nomodel@champion" "$TMP/x.json" >/dev/null 2>"$TMP/fetch.err"
expect "fetch of no model exits 65" "[ $? = 65 ]"

# 5. batch prediction: a pipeline that uses the champion instead of training
cat >"$TMP/use.yaml" <<YAML
name: mlt-use
source: {kind: sample, seed: 43, cells: 30, cycles: 1500, life_spread: 2.5}
fits: {threshold: 0.8}
models:
  - name: nightly
    use: models:/cycle-life@champion
YAML
MLFLOW_TRACKING_URI=$URI "$CELLPIPE" run "$TMP/use.yaml" --out "$TMP/r" --date 2026-02-01 \
    >"$TMP/use.log" 2>&1
expect "the batch-prediction run exits 0" "[ $? = 0 ]"
USE_REP="$TMP/r/mlt-use/2026-02-01"
expect "models.csv: applied from models:/cycle-life/$CHAMP" \
    'grep -q "^nightly,regression,ridge,applied,models:/cycle-life/$CHAMP," "$USE_REP/results/models.csv"'
"$PY" -P - "$URI" "$USE_REP" >"$TMP/use.check" 2>&1 <<'PYEOF'
import sys
import mlflow
import pandas as pd
from mlflow.tracking import MlflowClient
uri, rep = sys.argv[1], sys.argv[2]
mlflow.set_tracking_uri(uri)
feats = pd.read_csv(f"{rep}/models/nightly/features.csv")
pred = pd.read_csv(f"{rep}/results/predictions.csv")
pred = pred[pred.model == "nightly"].set_index("cell_id")
feats = feats[feats.note.isna()].set_index("cell_id")
out = mlflow.pyfunc.load_model("models:/cycle-life@champion").predict(feats.drop(columns=["observed", "in_training", "note"]))
got = pred.loc[feats.index, "predicted_cycle_life"].to_numpy()
want = out["predicted_cycle_life"].to_numpy()
worst = max(abs(g - w) / abs(w) for g, w in zip(got, want))
print("cells", len(got), "worst", worst)
import json
run_id = json.load(open(f"{rep}/manifest.json"))["mlflow"]["run_id"]
m = MlflowClient(uri).get_run(run_id).data.metrics
print("metric", m.get("model.nightly.predicted_cells"), "of", int(pred.predicted_cycle_life.notna().sum()))
PYEOF
expect "pyfunc on the run's features.csv equals results/predictions.csv to 1e-12 ($(head -n 1 "$TMP/use.check"))" \
    'awk "/^cells/ { exit !(\$2 > 0 && \$4 <= 1e-12) }" "$TMP/use.check"'
expect "the parent run records how many cells the registered model predicted ($(tail -n 1 "$TMP/use.check"))" \
    'awk "/^metric/ { exit !(\$2 == \$4 && \$4 > 0) }" "$TMP/use.check"'
finish
