#!/usr/bin/env bash
# The Python test tools are pinned: every line of deployment/requirements-test.txt names one
# exact version, and the virtualenv the tests use (build/venv, made by bootstrap --tests)
# holds exactly those versions, so a run a month from now talks to the same mlflow server.
set -u
cd "$(dirname "$0")/../.."
REQS=deployment/requirements-test.txt
VENV=${MLFLOW_VENV:-$PWD/build/venv}
pass=0 fail=0 skip=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL $1"; }
n=0
while IFS= read -r line; do
    case "$line" in '#'* | '') continue ;; esac
    n=$((n + 1))
    [[ "$line" =~ ^[A-Za-z0-9_.-]+==[0-9][A-Za-z0-9.+!-]*$ ]] && ok || ko "not an exact pin: $line"
done <"$REQS"
[ "$n" -gt 0 ] && ok || ko "$REQS pins nothing"
for tool in mlflow lifelines scikit-learn; do
    grep -qi "^$tool==" "$REQS" && ok || ko "$tool is not pinned"
done
if [ -x "$VENV/bin/pip" ]; then
    frozen=$("$VENV/bin/pip" freeze --disable-pip-version-check 2>/dev/null | tr 'A-Z_' 'a-z-')
    while IFS= read -r line; do
        case "$line" in '#'* | '') continue ;; esac
        want=$(echo "$line" | tr 'A-Z_' 'a-z-')
        echo "$frozen" | grep -qxF "$want" && ok || ko "the venv does not hold $line"
    done <"$REQS"
    ver=$("$VENV/bin/mlflow" --version 2>/dev/null | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n1)
    [ "$ver" = "$(grep -i '^mlflow==' "$REQS" | cut -d= -f3)" ] && ok ||
        ko "mlflow --version says $ver"
else
    echo "SKIP pinned tools: no $VENV (make check makes it)"
    skip=$((skip + 1))
fi
echo "pinnedtools: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
