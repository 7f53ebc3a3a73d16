#!/usr/bin/env python3
"""Reads a cellpipe run back from a real MLflow server through its REST API and compares it
with the report folder (results/cells.csv, results/cycles.csv, manifest.json, the pipeline
file and the artifacts' bytes), which other modules wrote. Stdlib only.

  mlflow_check.py verify --uri U --report DIR --pipeline FILE [--cycle-metrics] [--git]
  mlflow_check.py snapshot --uri U --experiment NAME
  mlflow_check.py wait-runs --uri U --experiment NAME --min N [--timeout S]
  mlflow_check.py links --uri U --report DIR [--maildir DIR]
  mlflow_check.py failed --uri U --experiment NAME --error TEXT [--runs N]

links: the parent run's UI link (read back from the server) is in the workbook's Summary
sheet (openpyxl), summary.pdf (pdftotext), index.html and the e-mail that arrived (Maildir).
failed: the experiment holds N parent runs closed FAILED, tagged cellpipe.error with TEXT.

verify prints one "PASS name" or "FAIL name: why" line per check.
"""
import argparse
import csv
import hashlib
import json
import math
import os
import re
import subprocess
import sys
import urllib.parse
import urllib.request

API = "/api/2.0/mlflow/"


class Client:
    def __init__(self, uri):
        self.uri = uri.rstrip("/")

    def get(self, endpoint, **query):
        url = self.uri + API + endpoint + "?" + urllib.parse.urlencode(query)
        with urllib.request.urlopen(url, timeout=60) as r:
            return json.load(r)

    def post(self, endpoint, body):
        req = urllib.request.Request(self.uri + API + endpoint, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.load(r)

    def raw(self, path):
        with urllib.request.urlopen(self.uri + path, timeout=60) as r:
            return r.read()

    def search(self, experiment_id, flt):
        runs, token = [], None
        while True:
            body = {"experiment_ids": [experiment_id], "filter": flt, "max_results": 1000}
            if token:
                body["page_token"] = token
            page = self.post("runs/search", body)
            runs += page.get("runs", [])
            token = page.get("next_page_token")
            if not token:
                return runs

    def history(self, run_id, key):
        return self.get("metrics/get-history", run_id=run_id, metric_key=key,
                        max_results=100000).get("metrics", [])

    def artifacts(self, run_id, path=""):
        out = []
        for f in self.get("artifacts/list", run_id=run_id, path=path).get("files", []):
            if f.get("is_dir"):
                out += self.artifacts(run_id, f["path"])
            else:
                out.append(f["path"])
        return out


class Checks:
    def __init__(self):
        self.failed = 0

    def check(self, name, ok, why=""):
        if ok:
            print("PASS %s" % name)
        else:
            self.failed += 1
            print("FAIL %s: %s" % (name, why))
        return ok


def kv(items):
    return {i["key"]: i["value"] for i in items or []}


def sanitize(key):
    """MLflow key sanitising as docs/mlflow.md states it."""
    segs = [s for s in key.split("/") if s]
    out = []
    for s in segs:
        if s in (".", ".."):
            out.append("_")
        else:
            out.append("".join(c if re.match(r"[A-Za-z0-9_\-. :]", c) else "_"
                               for c in s.encode("utf-8").decode("latin-1")))
    return ("/".join(out) or "_")[:250]


def num(text):
    return float("nan") if text in ("", None) else float(text)


def same(a, b):
    if isinstance(a, str):
        a = float(a)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or abs(a - b) <= 1e-12 * max(abs(a), abs(b))


def metric_value(m):
    v = m["value"]
    return float(v) if not isinstance(v, str) else float({"NaN": "nan", "Infinity": "inf",
                                                         "-Infinity": "-inf"}[v])


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def journal(report):
    ops, acks = [], {}
    with open(os.path.join(report, "mlflow", "journal.ndjson")) as f:
        for line in f:
            if not line.endswith("\n"):
                continue
            obj = json.loads(line)
            if "op" in obj:
                ops.append(obj)
            elif "ack" in obj:
                acks[obj["ack"]] = obj
    return ops, acks


META = ["cell_id", "design_name", "experiment_group", "layer_types", "test_status",
        "start_date", "year", "nominal_capacity_ah", "chemistry", "form_factor", "tester",
        "channel"]
CELL_METRICS = {"n_cycles": "n_cycles", "last_retention": "last_retention",
                "fade_rate": "fade_rate", "ce_mean": "ce_mean", "efc_total": "efc_total",
                "eol_forecast": "eol_forecast", "flags": "n_flags",
                "reference_ah": "reference_ah", "days_on_test": "days_on_test"}


def verify(a):
    c = Checks()
    cli = Client(a.uri)
    manifest = json.load(open(os.path.join(a.report, "manifest.json")))
    cells = read_csv(os.path.join(a.report, "results", "cells.csv"))
    name = manifest["pipeline"]["name"]
    date = manifest["date"]
    ops, acks = journal(a.report)
    c.check("journal: every call acknowledged", ops and all(o["seq"] in acks for o in ops),
            "%d of %d ops without an ack" % (sum(o["seq"] not in acks for o in ops), len(ops)))

    exp = cli.get("experiments/get-by-name", experiment_name="cellpipe/" + name)["experiment"]
    c.check("experiment exists and is active", exp["lifecycle_stage"] == "active", exp)
    eid = exp["experiment_id"]

    parent_id = next((x["run_id"] for x in acks.values() if x.get("ref") == "parent"), None)
    if manifest["mlflow"]["run_id"]:
        c.check("manifest run id is the parent run", manifest["mlflow"]["run_id"] == parent_id,
                (manifest["mlflow"]["run_id"], parent_id))
    parent = cli.get("runs/get", run_id=parent_id)["run"]
    info, data = parent["info"], parent["data"]
    tags, params = kv(data.get("tags")), kv(data.get("params"))
    metrics = {m["key"]: metric_value(m) for m in data.get("metrics", [])}
    c.check("parent run name", info["run_name"] == "%s %s" % (name, date), info["run_name"])
    c.check("parent run FINISHED", info["status"] == "FINISHED", info["status"])
    c.check("parent tag mlflow.source.type", tags.get("mlflow.source.type") == "JOB", tags)
    c.check("parent tag mlflow.source.name", tags.get("mlflow.source.name") == a.pipeline,
            tags.get("mlflow.source.name"))
    c.check("parent tag mlflow.user", bool(tags.get("mlflow.user")), tags)
    c.check("parent tag mlflow.note.content",
            tags.get("mlflow.note.content", "").startswith("# %s %s" % (name, date)),
            tags.get("mlflow.note.content", "")[:80])
    if a.git:
        head = subprocess.run(["git", "-C", os.path.dirname(os.path.abspath(a.pipeline)),
                               "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
        c.check("parent tag mlflow.source.git.commit",
                tags.get("mlflow.source.git.commit") == head,
                (tags.get("mlflow.source.git.commit"), head))
    sha = hashlib.sha256(open(a.pipeline, "rb").read()).hexdigest()
    c.check("param pipeline.sha256", params.get("pipeline.sha256") == sha, params.get("pipeline.sha256"))
    c.check("param data.sha256", params.get("data.sha256") == manifest["data"]["sha256"],
            params.get("data.sha256"))
    c.check("param data.cells", params.get("data.cells") == str(len(cells)), params.get("data.cells"))
    c.check("param data.cycles", params.get("data.cycles") == str(manifest["counts"]["cycles"]),
            params.get("data.cycles"))
    c.check("param source.kind", params.get("source.kind") == manifest["source"],
            params.get("source.kind"))
    c.check("param report.date", params.get("report.date") == date, params.get("report.date"))
    c.check("params: settings flattened (features, fits, validate)",
            all(k in params for k in ("features.reference_cycles", "fits.threshold",
                                      "validate.rule.1", "features.windows")), sorted(params))
    c.check("metric cells", metrics.get("cells") == len(cells), metrics.get("cells"))
    c.check("metric flagged_cells",
            metrics.get("flagged_cells") == manifest["counts"]["flagged_cells"],
            metrics.get("flagged_cells"))
    c.check("metric validation.rows_quarantined",
            metrics.get("validation.rows_quarantined") == manifest["validation"]["rows_quarantined"],
            metrics.get("validation.rows_quarantined"))
    ret = [num(r["last_retention"]) for r in cells if r["last_retention"] != ""]
    c.check("metric fleet.last_retention.mean",
            same(metrics.get("fleet.last_retention.mean", float("nan")), sum(ret) / len(ret)),
            (metrics.get("fleet.last_retention.mean"), sum(ret) / len(ret)))
    stats_csv = os.path.join(a.report, "results", "statistics.csv")
    if os.path.exists(stats_csv):  # the statistics stage's key figures, as in the table
        with open(stats_csv, newline="") as f:
            srows = list(csv.DictReader(f))
        want = {sanitize("stats.%s.median_life" % r["group"]): num(r["value"])
                for r in srows if r["analysis"] == "survival" and r["statistic"] == "median_life"}
        want.update({"stats.logrank_p": num(r["value"]) for r in srows
                     if r["analysis"] == "logrank" and r["group"] == "all"
                     and r["statistic"] == "logrank_p"})
        c.check("metrics stats.<group>.median_life and stats.logrank_p match statistics.csv",
                len(want) > 1 and all(same(metrics.get(k, float("inf")), v) for k, v in want.items()),
                [(k, metrics.get(k), v) for k, v in want.items()])
    staged = [s for s in ("source", "select", "validate", "features") if s in manifest["timings_ms"]]
    c.check("metrics timing.<stage>_ms",
            all(same(metrics.get("timing.%s_ms" % s, float("nan")), manifest["timings_ms"][s])
                for s in staged), [(s, metrics.get("timing.%s_ms" % s)) for s in staged])

    children = cli.search(eid, "tags.`mlflow.parentRunId` = '%s'" % parent_id)
    by_cell = {}
    for ch in children:
        by_cell.setdefault(kv(ch["data"].get("tags")).get("cellpipe.cell_id"), []).append(ch)
    c.check("one child run per cell, no duplicates",
            len(children) == len(cells) and all(len(by_cell.get(r["cell_id"], [])) == 1
                                                for r in cells),
            "%d children for %d cells" % (len(children), len(cells)))
    bad_params, bad_metrics, bad_hist, bad_status, bad_cycles = [], [], [], [], []
    cycles = {}
    if a.cycle_metrics:
        for r in read_csv(os.path.join(a.report, "results", "cycles.csv")):
            cycles.setdefault(r["cell_id"], {})[int(r["cycle_index"])] = num(r["capacity_retention"])
    for row in cells:
        runs = by_cell.get(row["cell_id"])
        if not runs:
            continue
        run = runs[0]
        rid = run["info"]["run_id"]
        if run["info"]["status"] != "FINISHED":
            bad_status.append(row["cell_id"])
        p = kv(run["data"].get("params"))
        for col in META:
            if row.get(col) not in (None, "") and p.get(sanitize(col)) != row[col]:
                bad_params.append((row["cell_id"], col, p.get(sanitize(col)), row[col]))
        m = {x["key"]: metric_value(x) for x in run["data"].get("metrics", [])}
        for key, col in CELL_METRICS.items():
            if key not in m or not same(m[key], num(row[col])):
                bad_metrics.append((row["cell_id"], key, m.get(key), row[col]))
        for key in ("n_cycles", "last_retention", "eol_forecast"):
            n = len(cli.history(rid, key))
            if n != 1:
                bad_hist.append((row["cell_id"], key, n))
        if a.cycle_metrics:
            hist = cli.history(rid, "retention")
            want = cycles.get(row["cell_id"], {})
            got = {h["step"]: metric_value(h) for h in hist}
            if len(hist) != len(want) or any(not same(got.get(k, float("inf")), v)
                                             for k, v in want.items()):
                bad_cycles.append((row["cell_id"], len(hist), len(want)))
    c.check("child runs FINISHED", not bad_status, bad_status[:5])
    c.check("child params = cell metadata (cells.csv)", not bad_params, bad_params[:5])
    c.check("child metrics = cells.csv values", not bad_metrics, bad_metrics[:5])
    c.check("child metrics logged exactly once", not bad_hist, bad_hist[:5])
    if a.cycle_metrics:
        c.check("retention history per cycle = cycles.csv", not bad_cycles, bad_cycles[:5])

    local = ["manifest.json"] + [f for f in ("summary.pdf", "workbook.xlsx")
                                 if os.path.exists(os.path.join(a.report, f))]
    pdir = os.path.join(a.report, "plots")
    local += sorted("plots/" + f for f in os.listdir(pdir)
                    if os.path.isfile(os.path.join(pdir, f))) if os.path.isdir(pdir) else []
    remote = sorted(cli.artifacts(parent_id))
    c.check("artifacts listed = report files", remote == sorted(local), (remote, sorted(local)))
    root = info["artifact_uri"].split(":", 1)[1].lstrip("/")
    mismatched = [f for f in local if f in remote and hashlib.sha256(
        cli.raw("/api/2.0/mlflow-artifacts/artifacts/%s/%s" % (root, urllib.parse.quote(f)))
    ).digest() != hashlib.sha256(open(os.path.join(a.report, f), "rb").read()).digest()]
    c.check("artifact bytes = report files", not mismatched, mismatched)
    return 1 if c.failed else 0


def snapshot(a):
    cli = Client(a.uri)
    exp = cli.get("experiments/get-by-name", experiment_name=a.experiment)["experiment"]
    out = []
    for run in cli.search(exp["experiment_id"], ""):
        rid = run["info"]["run_id"]
        d = run["data"]
        out.append({
            "run": rid, "name": run["info"].get("run_name"), "status": run["info"]["status"],
            "params": sorted((p["key"], p["value"]) for p in d.get("params", [])),
            "tags": sorted((t["key"], t["value"]) for t in d.get("tags", [])),
            "history": {m["key"]: len(cli.history(rid, m["key"])) for m in d.get("metrics", [])
                        if m["key"] in ("retention", "n_cycles", "cells")},
            "artifacts": sorted(cli.artifacts(rid)) if "cellpipe.cell_id" not in kv(d.get("tags")) else [],
        })
    out.sort(key=lambda r: r["run"])
    json.dump(out, sys.stdout, sort_keys=True)
    print()
    return 0


def wait_runs(a):
    """Poll until the experiment holds at least --min runs; 0 when it does, 1 on timeout."""
    import time
    cli = Client(a.uri)
    end = time.time() + a.timeout
    while time.time() < end:
        try:
            exp = cli.get("experiments/get-by-name", experiment_name=a.experiment)["experiment"]
            if len(cli.search(exp["experiment_id"], "")) >= a.min:
                return 0
        except Exception:
            pass
        time.sleep(0.05)
    return 1


def parents(cli, experiment):
    exp = cli.get("experiments/get-by-name", experiment_name=experiment)["experiment"]
    runs = cli.search(exp["experiment_id"], "")
    return exp, [r for r in runs if "mlflow.parentRunId" not in kv(r["data"].get("tags", []))]


def links(a):
    c, cli = Checks(), Client(a.uri)
    m = json.load(open(os.path.join(a.report, "manifest.json")))["mlflow"]
    run = cli.get("runs/get", run_id=m["run_id"])["run"]["info"]
    url = "%s/#/experiments/%s/runs/%s" % (a.uri.rstrip("/"), run["experiment_id"], run["run_id"])
    c.check("link: manifest url is the server's run", m.get("url") == url, m.get("url"))
    c.check("link: that run is FINISHED", run["status"] == "FINISHED", run["status"])
    import openpyxl
    wb = openpyxl.load_workbook(os.path.join(a.report, "workbook.xlsx"))
    # an xlsx hyperlink keeps the part after '#' apart, as its location
    targets = [(h.target or "") + ("#" + h.location if h.location else "")
               for row in wb["Summary"].iter_rows() for cell in row
               for h in [cell.hyperlink] if h is not None]
    c.check("link: workbook Summary links the run", url in targets, targets)
    pdf = subprocess.run(["pdftotext", "-layout", os.path.join(a.report, "summary.pdf"), "-"],
                         capture_output=True, text=True).stdout
    c.check("link: summary.pdf shows the run", url in pdf, pdf[:300])
    html = open(os.path.join(a.report, "index.html"), encoding="utf-8").read()
    c.check("link: index.html links the run", 'href="%s"' % url in html)
    if a.maildir:
        import mailbox
        bodies = []
        for msg in mailbox.Maildir(a.maildir, create=False):
            for part in msg.walk():
                if part.get_content_type() in ("text/plain", "text/html"):
                    bodies.append(part.get_payload(decode=True).decode("utf-8", "replace"))
        c.check("link: the e-mail arrived", len(bodies) > 0)
        c.check("link: the e-mail shows the run", any(url in b for b in bodies), len(bodies))
    return 1 if c.failed else 0


def failed(a):
    c, cli = Checks(), Client(a.uri)
    exp, runs = parents(cli, a.experiment)
    bad = [r for r in runs if r["info"]["status"] == "FAILED"]
    c.check("failed: %d FAILED parent run(s)" % a.runs, len(bad) == a.runs,
            [r["info"]["status"] for r in runs])
    for r in bad:
        tags, params = kv(r["data"].get("tags", [])), kv(r["data"].get("params", []))
        c.check("failed: cellpipe.error tag says why", a.error in tags.get("cellpipe.error", ""),
                tags.get("cellpipe.error"))
        c.check("failed: run closed (end time)", int(r["info"].get("end_time", 0)) > 0)
        c.check("failed: pipeline params logged", params.get("pipeline.name") == exp["name"].split("/")[-1],
                params.get("pipeline.name"))
        c.check("failed: no child runs", not cli.search(
            exp["experiment_id"], "tags.`mlflow.parentRunId` = '%s'" % r["info"]["run_id"]))
    return 1 if c.failed else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["verify", "snapshot", "wait-runs", "links", "failed"])
    ap.add_argument("--maildir")
    ap.add_argument("--error")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--min", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--uri", required=True)
    ap.add_argument("--report")
    ap.add_argument("--pipeline")
    ap.add_argument("--experiment")
    ap.add_argument("--cycle-metrics", action="store_true")
    ap.add_argument("--git", action="store_true")
    a = ap.parse_args()
    return {"verify": verify, "snapshot": snapshot, "wait-runs": wait_runs, "links": links,
            "failed": failed}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
