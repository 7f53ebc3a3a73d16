#!/usr/bin/env bash
# The email sink against a real SMTP server: aiosmtpd (Debian's python3-aiosmtpd) on
# 127.0.0.1, three listeners (plain, STARTTLS required, SMTPS) with a test certificate made
# here with openssl, each storing mail in a Maildir. The C side (build/tests/sinks/
# test_smtp_live) sends; this script reads what arrived with Python's email package.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PY=/usr/bin/python3
LIVE=$BUILD/tests/sinks/test_smtp_live
pass=0 fail=0 skip=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL email: $*"; }
finish() { echo "$pass passed, $fail failed, $skip skipped"; [ "$fail" = 0 ]; exit $?; }

if ! $PY -c 'import aiosmtpd' 2>/dev/null || ! command -v openssl >/dev/null; then
    echo "SKIP email: python3-aiosmtpd or openssl missing"; skip=1; finish
fi
[ -x "$LIVE" ] || make -s "$LIVE" >/dev/null || { bad "cannot build $LIVE"; finish; }

tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT

# A test CA and a server certificate for 127.0.0.1 signed by it.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=cellpipe test CA" \
    -keyout "$tmp/ca.key" -out "$tmp/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$tmp/server.key" -out "$tmp/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' >"$tmp/ext"
openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" \
    -CAcreateserial -days 2 -extfile "$tmp/ext" -out "$tmp/server.pem" 2>/dev/null
[ -s "$tmp/server.pem" ] || { bad "openssl could not make the test certificate"; finish; }

# shellcheck source=lib/ports.bash
source "$(dirname "$0")/lib/ports.bash"

start_server() { # name, extra args...
    local name=$1 port; shift
    port=$(free_port)
    # the handler creates the Maildir (an existing empty folder is not one)
    $PY -m aiosmtpd -n -l "127.0.0.1:$port" "$@" -c aiosmtpd.handlers.Mailbox "$tmp/$name" \
        >"$tmp/$name.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 50); do
        $PY -c "import socket; socket.create_connection(('127.0.0.1',$port),0.2)" 2>/dev/null &&
            break
        sleep 0.1
    done
    echo "$port"
}

p_plain=$(start_server plain)
p_tls=$(start_server starttls --tlscert "$tmp/server.pem" --tlskey "$tmp/server.key")
p_smtps=$(start_server smtps --smtpscert "$tmp/server.pem" --smtpskey "$tmp/server.key")

mkdir -p "$tmp/report"
out=$(CP_TEST_SMTP_PLAIN="smtp://127.0.0.1:$p_plain" \
      CP_TEST_SMTP_STARTTLS="smtp://127.0.0.1:$p_tls" \
      CP_TEST_SMTP_SMTPS="smtps://127.0.0.1:$p_smtps" \
      CP_TEST_CA="$tmp/ca.pem" CP_TEST_REPORT_DIR="$tmp/report" \
      CELLPIPE_TEMPLATES="$PWD/templates" "$LIVE" 2>&1)
[ -n "${CP_VERBOSE:-}" ] && echo "$out"
line=$(echo "$out" | grep -E '^[0-9]+ passed' | tail -n1)
if [ -z "$line" ]; then
    bad "test_smtp_live printed no result"; echo "$out" | tail -20
else
    p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
    f=$(echo "$line" | sed -E 's/.*, ([0-9]+) failed.*/\1/')
    s=$(echo "$line" | sed -E 's/.*, ([0-9]+) skipped.*/\1/')
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
    [ "$f" = 0 ] || echo "$out" | grep -E 'FAIL|:' | head -20
fi

# What arrived: parse every message as MIME and check it.
res=$($PY - "$tmp" <<'PYEOF'
import email, email.policy, email.utils, mailbox, sys, os
tmp = sys.argv[1]
pdf = open(os.path.join(tmp, "report", "summary.pdf"), "rb").read()
checks = []
def check(name, cond):
    checks.append((name, bool(cond)))

def messages(box):
    md = mailbox.Maildir(os.path.join(tmp, box), factory=None, create=False)
    return [email.message_from_bytes(m.as_bytes(), policy=email.policy.default) for m in md]

plain, tls, smtps = messages("plain"), messages("starttls"), messages("smtps")
subjects = [m["Subject"] for m in plain + tls + smtps]
check("plain server got the report mail and the failure mail", len(plain) == 2)
check("starttls server got exactly the trusted STARTTLS mail", len(tls) == 1
      and "starttls" in tls[0]["Subject"])
check("smtps server got one mail", len(smtps) == 1 and "smtps" in smtps[0]["Subject"])
check("nothing refused arrived", not any("must-not-arrive" in s or "injected" in s
                                         or "untrusted" in s for s in subjects))

for m in plain + tls + smtps:
    subj = m["Subject"]
    check(subj + ": Date parses", email.utils.parsedate_to_datetime(m["Date"]) is not None)
    mid = m["Message-ID"]
    check(subj + ": Message-ID <...@lab.example>", mid and mid.startswith("<")
          and mid.endswith("@lab.example>"))
    check(subj + ": no Bcc or injected header", m["Bcc"] is None and m["X-Injected"] is None)
    rcpt = m["X-RcptTo"] or ""
    check(subj + ": envelope has To and Cc", all(a in rcpt for a in
          ("team@lab.example", "lead@lab.example", "archive@lab.example"))
          and "spy@evil.example" not in rcpt)
    check(subj + ": From", m["From"] == "cellpipe <cellpipe@lab.example>")
    check(subj + ": To header", "Lead Engineer <lead@lab.example>" in m["To"])
    alt = [p for p in m.walk() if p.get_content_type() == "multipart/alternative"]
    check(subj + ": multipart/mixed holding multipart/alternative",
          m.get_content_type() == "multipart/mixed" and len(alt) == 1)
    if not alt:
        continue
    kinds = [p.get_content_type() for p in alt[0].iter_parts()]
    check(subj + ": text then html", kinds == ["text/plain", "text/html"])
    text = alt[0].get_body(("plain",)).get_content()
    html = alt[0].get_body(("html",)).get_content()
    failed = "failed" in subj
    if failed:
        check(subj + ": failure text names the error", "rule 'range' over its threshold" in text)
        check(subj + ": failure text has the log tail", "level=error stage=validate" in text)
        check(subj + ": failure html", "<pre" in html and "stage=validate" in html)
        check(subj + ": failure mail has no attachment",
              not any(p.get_filename() for p in m.walk()))
        continue
    check(subj + ": text lists flagged cell with reason",
          "fade_outlier: fade rate 4.1 MADs above the fleet" in text)
    check(subj + ": html escapes data", "C&lt;script&gt;3" in html and "<script>" not in html)
    atts = [p for p in m.iter_attachments()]
    check(subj + ": one attachment summary.pdf", len(atts) == 1
          and atts[0].get_filename() == "summary.pdf"
          and atts[0].get_content_type() == "application/pdf"
          and atts[0]["Content-Transfer-Encoding"] == "base64")
    check(subj + ": attached PDF byte-identical", atts and atts[0].get_content() == pdf)

for name, good in checks:
    print(("ok " if good else "FAIL ") + name)
PYEOF
)
while IFS= read -r l; do
    case "$l" in
    ok\ *) ok ;;
    FAIL\ *) bad "${l#FAIL }" ;;
    esac
done <<<"$res"
[ -n "$res" ] || bad "the Maildir check printed nothing"

# ---- end to end: `cellpipe run` with an email section ----
CELLPIPE=${CELLPIPE:-$PWD/$BUILD/cellpipe}
count() { find "$tmp/plain/new" "$tmp/plain/cur" -type f 2>/dev/null | wc -l; }
pipeline() { # file, smtp url, extra yaml lines (source and subject)
    cat >"$1" <<YAML
name: nightly
source:
$3
report:
  root: $tmp/reports
email:
  enabled: true
  when: always
  smtp_url: $2
  from: cellpipe <cellpipe@lab.example>
  to: [team@lab.example]
  cc: [archive@lab.example]
${4:-}
YAML
}
export CELLPIPE_TEMPLATES="$PWD/templates"
sample="  kind: sample
  cells: 6
  cycles: 200"
before=$(count)
pipeline "$tmp/ok.yaml" "smtp://127.0.0.1:$p_plain" "$sample"
"$CELLPIPE" --quiet run "$tmp/ok.yaml" --date 2026-04-01 >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc = 0 ]; then ok; else bad "cellpipe run with email exit $rc: $(cat "$tmp/err")"; fi
if [ "$(count)" = $((before + 1)) ]; then ok; else bad "the run's mail did not arrive"; fi

p_dead=$(free_port)
pipeline "$tmp/dead.yaml" "smtp://127.0.0.1:$p_dead" "$sample"
"$CELLPIPE" --quiet run "$tmp/dead.yaml" --date 2026-04-02 >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc = 69 ]; then ok; else bad "SMTP down: exit $rc, expected 69"; fi
if [ -f "$tmp/reports/nightly/2026-04-02/manifest.json" ] &&
    [ "$(readlink "$tmp/reports/nightly/latest")" = 2026-04-02 ]; then ok
else bad "SMTP down: the report was not left published"; fi
if grep -q "cannot send mail via 'smtp://127.0.0.1:$p_dead'" "$tmp/err"; then ok
else bad "SMTP down: no clear message: $(cat "$tmp/err")"; fi

before=$(count)
pipeline "$tmp/inject.yaml" "smtp://127.0.0.1:$p_plain" "$sample" \
    '  subject: "nightly\r\nBcc: spy@evil.example"'
"$CELLPIPE" --quiet run "$tmp/inject.yaml" --date 2026-04-03 >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc = 69 ] && grep -q "header injection" "$tmp/err"; then ok
else bad "subject with CR/LF: exit $rc, $(cat "$tmp/err")"; fi
if [ "$(count)" = "$before" ]; then ok; else bad "a mail with an injected header was sent"; fi

before=$(count)
pipeline "$tmp/fail.yaml" "smtp://127.0.0.1:$p_plain" "  kind: files
  paths: [no-such-export.csv]" '  subject: "{pipeline} {date}: {status}"'
"$CELLPIPE" --quiet run "$tmp/fail.yaml" --date 2026-04-04 >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc = 66 ]; then ok; else bad "failed run: exit $rc, expected 66 (input missing)"; fi
if [ "$(count)" = $((before + 1)) ]; then ok; else bad "no failure mail arrived"; fi
newest=$(ls -t "$tmp"/plain/new/* "$tmp"/plain/cur/* 2>/dev/null | head -n1)
fres=$($PY - "$newest" <<'PYEOF'
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
text = m.get_body(("plain",)).get_content()
ok = (m["Subject"] == "nightly 2026-04-04: failed" and "no-such-export.csv" in text
      and "does not exist" in text and "level=error" in text)
print("ok" if ok else "FAIL failure mail: %s / %s" % (m["Subject"], text[:300]))
PYEOF
)
case "$fres" in ok) ok ;; *) bad "$fres" ;; esac

# PostgreSQL down, the commonest nightly failure: it happens at the source's lock, before any
# stage, and still gets the failure mail and a failed MLflow journal.
before=$(count)
p_nodb=$(free_port)
pipeline "$tmp/nodb.yaml" "smtp://127.0.0.1:$p_plain" "  kind: postgres
  dsn: host=127.0.0.1 port=$p_nodb dbname=lab connect_timeout=2" \
    '  subject: "{pipeline} {date}: {status}"'
"$CELLPIPE" --quiet run "$tmp/nodb.yaml" --date 2026-04-05 >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc = 69 ]; then ok; else bad "PostgreSQL down: exit $rc, expected 69: $(cat "$tmp/err")"; fi
if [ "$(count)" = $((before + 1)) ]; then ok; else bad "PostgreSQL down: no failure mail"; fi
newest=$(ls -t "$tmp"/plain/new/* "$tmp"/plain/cur/* 2>/dev/null | head -n1)
if grep -q "nightly 2026-04-05: failed" "$newest" && grep -q "PostgreSQL" "$newest"; then ok
else bad "PostgreSQL down: the failure mail does not say what failed"; fi
if ls "$tmp"/reports/nightly/failed/2026-04-05-*.ndjson >/dev/null 2>&1 &&
    grep -q FAILED "$tmp"/reports/nightly/failed/2026-04-05-*.ndjson; then ok
else bad "PostgreSQL down: no failed MLflow journal"; fi
[ ! -e "$tmp/reports/nightly/2026-04-05" ] && ok || bad "PostgreSQL down: a report was published"
finish
