#!/usr/bin/env bash
# Checks what can be checked of the deployment files without a cluster or a container engine:
# systemd-analyze verify on the units, a YAML parse of the Kubernetes and compose manifests
# with the properties the docs promise (Forbid, Indexed, non-root), the Dockerfile's stages
# and user, and the cron line's fields.
set -u
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
pass=0 fail=0 skip=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL deploy: $*"; }
check() { if eval "$2"; then ok; else bad "$1"; fi; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- systemd ---
if command -v systemd-analyze >/dev/null; then
    # verify needs an instance name and an executable that exists here
    sed "s|/usr/local/bin/cellpipe|$(command -v true)|" deployment/systemd/cellpipe@.service \
        >"$tmp/cellpipe@fade.service"
    cp deployment/systemd/cellpipe@.timer "$tmp/cellpipe@fade.timer"
    out=$(cd "$tmp" && systemd-analyze verify --man=no ./cellpipe@fade.service \
        ./cellpipe@fade.timer 2>&1)
    rc=$?
    check "systemd-analyze verify exit 0: $out" '[ $rc = 0 ]'
    # unknown keys are only warnings for systemd: treat any output as a failure
    check "systemd-analyze verify printed nothing: $out" '[ -z "$out" ]'
else
    echo "SKIP deploy: systemd-analyze not available"; skip=$((skip + 1))
fi
svc=deployment/systemd/cellpipe@.service timer=deployment/systemd/cellpipe@.timer
check "timer is Persistent" 'grep -qx "Persistent=true" $timer'
check "timer is nightly" 'grep -qE "^OnCalendar=(\*-\*-\* [0-9]{2}:[0-9]{2}(:[0-9]{2})?|daily)$" $timer'
check "service runs as an unprivileged user" \
    'grep -qE "^User=[a-z]" $svc && ! grep -qE "^User=(root|0)$" $svc'
check "service runs one pipeline per instance" 'grep -q "^ExecStart=.* run /etc/cellpipe/%i.yaml" $svc'

# --- cron ---
line=$(grep -vE '^\s*(#|$|[A-Z]+=)' deployment/cron.example)
check "cron.example has exactly one job line" '[ "$(echo "$line" | wc -l)" = 1 ]'
read -r m h dom mon dow user cmd <<<"$line"
check "cron fields are a nightly schedule" \
    '[[ $m =~ ^[0-9]+$ && $h =~ ^[0-9]+$ && $dom = "*" && $mon = "*" && $dow = "*" ]]'
check "cron runs as the cellpipe user" '[ "$user" = cellpipe ]'
check "cron runs cellpipe run" '[[ $cmd == *"cellpipe run "* ]]'

# --- Dockerfile ---
df=deployment/Dockerfile
check "Dockerfile is multi-stage on Debian slim" \
    '[ "$(grep -cE "^FROM debian:[a-z]+-slim" $df)" -ge 2 ]'
check "Dockerfile copies from the build stage" 'grep -qE "^COPY --from=build" $df'
lastuser=$(grep -E '^USER ' $df | tail -n1 | awk '{print $2}')
check "Dockerfile ends as a non-root user" \
    '[ -n "$lastuser" ] && [[ ! $lastuser =~ ^(root|0)(:|$) ]]'

# Every shared library the built binary loads comes from a package the runtime stage installs
# (or one those depend on): checked against this machine's Debian, with apt-cache and dpkg.
BIN=${CELLPIPE:-build/cellpipe}
if [ -x "$BIN" ] && command -v apt-cache >/dev/null && command -v dpkg >/dev/null; then
    runtime=$(awk '/^FROM .* AS runtime/{f=1} f' $df | sed -n '/apt-get install/,/rm -rf/p' |
        tr ' \\' '\n\n' | grep -E '^[a-z0-9][a-z0-9.+-]+$' |
        grep -vE '^(apt-get|install|rm|no-install-recommends|y|qq)$' | sort -u)
    closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
        --no-breaks --no-replaces --no-enhances $runtime 2>/dev/null | grep -v '^ ' |
        sed 's/:.*//' | sort -u)
    missing=""
    for lib in $(ldd "$BIN" | awk '/=> \//{print $3}'); do
        pkg=$(dpkg -S "$(readlink -f "$lib")" 2>/dev/null | head -n1 | cut -d: -f1)
        # not from a package (a local build), or a sanitizer runtime of `make sanitize`
        [ -z "$pkg" ] || [[ $pkg =~ (clang|llvm|asan|ubsan|lsan) ]] && continue
        echo "$closure" | grep -qx "$pkg" || missing="$missing $pkg(${lib##*/})"
    done
    check "runtime image provides every library the binary loads; missing:$missing" \
        '[ -z "$missing" ]'
else
    echo "SKIP deploy: no binary or no apt/dpkg to check the runtime packages"
    skip=$((skip + 1))
fi

# --- YAML manifests ---
if ! $PY -c 'import yaml' 2>/dev/null; then
    echo "SKIP deploy: python3-yaml not available"; skip=$((skip + 1))
else
    res=$($PY - <<'PYEOF'
import yaml
out = []
def check(name, cond):
    out.append(("ok " if cond else "FAIL ") + name)

def load_all(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]

def pod_ok(spec, name):
    sc = spec.get("securityContext", {})
    c = spec["containers"][0]
    csc = c.get("securityContext", {})
    check(name + ": pod runs as non-root", sc.get("runAsNonRoot") is True
          and sc.get("runAsUser", 0) != 0)
    check(name + ": no privilege escalation", csc.get("allowPrivilegeEscalation") is False)
    check(name + ": restartPolicy Never", spec.get("restartPolicy") == "Never")
    return c

cj = load_all("deployment/k8s/cronjob.yaml")
check("cronjob.yaml: one CronJob", len(cj) == 1 and cj[0]["kind"] == "CronJob"
      and cj[0]["apiVersion"] == "batch/v1")
s = cj[0]["spec"]
check("cronjob.yaml: concurrencyPolicy Forbid", s.get("concurrencyPolicy") == "Forbid")
check("cronjob.yaml: schedule has five fields", len(s["schedule"].split()) == 5)
c = pod_ok(s["jobTemplate"]["spec"]["template"]["spec"], "cronjob.yaml")
check("cronjob.yaml: runs cellpipe run", c["args"][0] == "run")
rules = s["jobTemplate"]["spec"].get("podFailurePolicy", {}).get("rules", [])
check("cronjob.yaml: config errors (78) fail the job at once",
      any(r["action"] == "FailJob" and 78 in r["onExitCodes"]["values"] for r in rules))

docs = load_all("deployment/k8s/indexed-job.yaml")
jobs = [d for d in docs if d["kind"] == "Job"]
idx = [j for j in jobs if j["spec"].get("completionMode") == "Indexed"]
check("indexed-job.yaml: an Indexed Job", len(idx) == 1)
if idx:
    js = idx[0]["spec"]
    c = pod_ok(js["template"]["spec"], "indexed-job.yaml")
    args = " ".join(c.get("args", []) + c.get("command", []))
    n = js["completions"]
    check("indexed-job.yaml: --shard $(JOB_COMPLETION_INDEX)/completions",
          "--shard $(JOB_COMPLETION_INDEX)/%d" % n in args)
    check("indexed-job.yaml: parallelism <= completions", js.get("parallelism", 1) <= n)
merge = [j for j in jobs if j not in idx]
check("indexed-job.yaml: a merge Job", len(merge) == 1 and "merge" in " ".join(
      merge[0]["spec"]["template"]["spec"]["containers"][0].get("args", []) +
      merge[0]["spec"]["template"]["spec"]["containers"][0].get("command", [])))

cp = load_all("deployment/compose.yaml")[0]
sv = cp["services"]
check("compose.yaml: postgres, mlflow and cellpipe services",
      {"postgres", "mlflow", "cellpipe"} <= set(sv))
check("compose.yaml: cellpipe runs as non-root",
      str(sv["cellpipe"].get("user", "0")).split(":")[0] not in ("0", "root"))
check("compose.yaml: cellpipe waits for a healthy database",
      sv["cellpipe"]["depends_on"]["postgres"]["condition"] == "service_healthy")
check("compose.yaml: MLflow URI points at the mlflow service",
      sv["cellpipe"]["environment"]["MLFLOW_TRACKING_URI"] == "http://mlflow:5000")
check("compose.yaml: no password written in the file",
      "change-me" not in open("deployment/compose.yaml").read())
print("\n".join(out))
PYEOF
)
    [ -n "$res" ] || bad "the YAML checks printed nothing"
    while IFS= read -r l; do
        case "$l" in ok\ *) ok ;; FAIL\ *) bad "${l#FAIL }" ;; *) [ -n "$l" ] && bad "$l" ;; esac
    done <<<"$res"
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
