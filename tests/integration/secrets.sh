#!/usr/bin/env bash
# Secrets never leave the process: every secret a pipeline can take is set (a DATABASE_URL
# with a password, SMTP_USERNAME/SMTP_PASSWORD against a real aiosmtpd that demands AUTH,
# an MLflow tracking URI with user:password plus MLFLOW_TRACKING_TOKEN and
# MLFLOW_TRACKING_PASSWORD, REDASH_API_KEY), with CELLPIPE_SMTP_TRACE=1; a failing run (the
# database refuses), a passing run and `cellpipe validate --print` of both pipelines; then
# EVERY output (stdout, stderr, every file under the report root: report folders, staging
# leftovers, MLflow journals, run.log, manifest.json, the workbook unzipped) is searched for each secret in clear,
# percent-encoded and base64 (alone, AUTH PLAIN "\0user\0password", Basic "user:password").
# Seen failing on the old code: libcurl's verbose trace printed the AUTH PLAIN base64
# ("\0user\0password") after the server's 334: FAILs naming the stderr of both runs.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
CELLPIPE=${CELLPIPE:-$ROOT/build/cellpipe}
PY=/usr/bin/python3
pass=0 fail=0 skip=0

ok() { pass=$((pass + 1)); echo "PASS $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
expect() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
finish() { echo "secrets: $pass passed, $fail failed, $skip skipped"; [ "$fail" = 0 ]; exit $?; }

if ! $PY -c 'import aiosmtpd' 2>/dev/null; then
    echo "SKIP secrets: python3-aiosmtpd missing"; skip=1; finish
fi
# shellcheck source=lib/ports.bash
source tests/integration/lib/ports.bash

TMP=$(mktemp -d)
SMTP_PID=
cleanup() {
    [ -n "$SMTP_PID" ] && kill "$SMTP_PID" 2>/dev/null
    [ -n "${KEEP:-}" ] && echo "kept $TMP" || rm -rf "$TMP"
}
trap cleanup EXIT

# secrets: '!' so that the percent-encoded form differs from the clear one
export SMTP_USERNAME=mailer SMTP_PASSWORD="smtp!pw-$$-Q7"
DB_PW="db!pw-$$-K3" ML_PW="ml!pw-$$-Z9" ML_PW2="mlenv!pw-$$-W2"
export MLFLOW_TRACKING_TOKEN="tok-$$-R5x" REDASH_API_KEY="redash-$$-V8k"
export MLFLOW_TRACKING_USERNAME=tracker MLFLOW_TRACKING_PASSWORD="$ML_PW2"

# An SMTP server that demands AUTH (PLAIN or LOGIN) on a plain loopback connection and
# accepts only these credentials: a passing run must really authenticate.
cat >"$TMP/smtpd.py" <<'EOF'
import sys, time
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

user, pw, port, box = sys.argv[1].encode(), sys.argv[2].encode(), int(sys.argv[3]), sys.argv[4]

class Keep:
    async def handle_DATA(self, server, session, envelope):
        with open(box, "ab") as f:
            f.write(envelope.content + b"\n")
        return "250 OK"

def check(server, session, envelope, mechanism, data):
    return AuthResult(success=data.login == user and data.password == pw)

c = Controller(Keep(), hostname="127.0.0.1", port=port, authenticator=check,
               auth_required=True, auth_require_tls=False)
c.start()
while True:
    time.sleep(3600)
EOF
SPORT=$(free_port)
$PY "$TMP/smtpd.py" "$SMTP_USERNAME" "$SMTP_PASSWORD" "$SPORT" "$TMP/mailbox" \
    >"$TMP/smtpd.log" 2>&1 &
SMTP_PID=$!
for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$SPORT") 2>/dev/null && break
    sleep 0.1
done
export SMTP_URL=smtp://127.0.0.1:$SPORT

# nothing listens on these: the database and MLflow refuse (MLflow: pending, exit 0)
DEAD=$(free_port)
export DATABASE_URL="postgresql://lab:$DB_PW@127.0.0.1:$DEAD/lab"
export MLFLOW_TRACKING_URI="http://ml:$ML_PW@127.0.0.1:$DEAD"
export MLFLOW_HTTP_REQUEST_MAX_RETRIES=0 CELLPIPE_SMTP_TRACE=1

EMAIL='email:
  enabled: true
  when: always
  from: cellpipe <cellpipe@lab.example>
  to: [team@lab.example]
report:
  root: '"$TMP/reports"
sed -e '/^report:/,$d' pipelines/demo.yaml >"$TMP/pass.yaml"
echo "$EMAIL" >>"$TMP/pass.yaml"
printf 'name: dbfail\nsource:\n  kind: postgres\n%s\n' "$EMAIL" >"$TMP/fail.yaml"
cp -r templates "$TMP/" 2>/dev/null

O=$TMP/out
mkdir -p "$O"
for p in pass fail; do
    "$CELLPIPE" validate "$TMP/$p.yaml" --print >"$O/validate-$p.stdout" 2>"$O/validate-$p.stderr"
done
"$CELLPIPE" run "$TMP/fail.yaml" --date 2026-01-05 >"$O/run-fail.stdout" 2>"$O/run-fail.stderr"
expect "the failing run fails (the database refuses)" "[ $? != 0 ]"
"$CELLPIPE" run "$TMP/pass.yaml" --date 2026-01-05 >"$O/run-pass.stdout" 2>"$O/run-pass.stderr"
expect "the passing run exits 0" "[ $? = 0 ]"
expect "the trace was on (SMTP dialogue on stderr)" "grep -q '^> MAIL FROM' '$O/run-pass.stderr'"
expect "the trace shows the AUTH line redacted" "grep -q '^> AUTH PLAIN \*\*\*\$' '$O/run-pass.stderr'"
expect "the mail arrived (AUTH with the password worked)" "[ -s '$TMP/mailbox' ]"
expect "the report folder exists" "[ -f '$TMP/reports/demo/2026-01-05/manifest.json' ]"
expect "MLflow was journaled (pending)" "ls '$TMP/reports/demo/2026-01-05/mlflow/journal.ndjson' >/dev/null"

# every secret, in every form, in every file written
out=$($PY - "$O" "$TMP/reports" <<'EOF' 2>&1
import base64, os, sys, urllib.parse
e = os.environ
secrets = {
    "DATABASE_URL password": (None, e["DATABASE_URL"].split(":")[2].split("@")[0]),
    "SMTP_PASSWORD": (e["SMTP_USERNAME"], e["SMTP_PASSWORD"]),
    "tracking URI password": ("ml", e["MLFLOW_TRACKING_URI"].split(":")[2].split("@")[0]),
    "MLFLOW_TRACKING_PASSWORD": (e["MLFLOW_TRACKING_USERNAME"], e["MLFLOW_TRACKING_PASSWORD"]),
    "MLFLOW_TRACKING_TOKEN": (None, e["MLFLOW_TRACKING_TOKEN"]),
    "REDASH_API_KEY": (None, e["REDASH_API_KEY"]),
}
b64 = lambda s: base64.b64encode(s.encode()).decode()
def forms(user, pw):
    f = {"clear": pw, "percent-encoded": urllib.parse.quote(pw, safe=""), "base64": b64(pw)}
    if user:
        f["base64 AUTH PLAIN"] = b64("\0%s\0%s" % (user, pw))
        f["base64 user:password"] = b64("%s:%s" % (user, pw))
    return f
def content(path):
    """The bytes, and an .xlsx's members unzipped (its text is deflated in the file)."""
    data = open(path, "rb").read()
    if path.endswith(".xlsx"):
        import zipfile
        with zipfile.ZipFile(path) as z:
            data += b"".join(z.read(n) for n in z.namelist())
    return data
files = [os.path.join(d, f) for top in sys.argv[1:] for d, _, fs in os.walk(top) for f in fs]
print("PASS files searched: %d" % len(files))
for name, (user, pw) in secrets.items():
    for form, text in forms(user, pw).items():
        hits = [f for f in files if text.encode() in content(f)]
        for f in hits:
            print("FAIL %s (%s) in %s" % (name, form, os.path.relpath(f, os.path.dirname(sys.argv[1]))))
        if not hits:
            print("PASS %s (%s) nowhere" % (name, form))
EOF
)
echo "$out"
pass=$((pass + $(grep -c '^PASS' <<<"$out")))
fail=$((fail + $(grep -c '^FAIL' <<<"$out")))
grep -q '^PASS files' <<<"$out" || bad "the search ran"
finish
