"""Reads a cellpipe workbook back with openpyxl and checks it against an independent source.

    workbook_check.py fixture BOOK.xlsx INPUT.json   the unit-test fixture and its input
    workbook_check.py run BOOK.xlsx REPORT_DIR       a real run against its results/*.csv

Run with Debian's /usr/bin/python3 (python3-openpyxl). Prints FAIL lines and a last line
"N passed, N failed". What a value should read back as follows docs/workbook.md: numbers to
the 16 significant digits libxlsxwriter writes, NaN and infinity as empty cells, text through
Excel's _xHHHH_ decoding, dates as datetimes.
"""
import csv
import datetime as dt
import json
import math
import os
import re
import sys

import openpyxl

PASSED = 0
FAILED = 0
SHEETS_BEFORE = ["Summary", "Cells", "Fits"]
SHEETS_AFTER = ["Validation", "Quarantine", "Charts"]
MAX_TEXT = 32767
EPOCH = dt.datetime(1970, 1, 1)


def check(cond, what):
    global PASSED, FAILED
    if cond:
        PASSED += 1
    else:
        FAILED += 1
        print("FAIL " + what)
    return cond


def ooxml_unescape(s):
    """What Excel shows for a stored string: _xHHHH_ decoded (ECMA-376 ST_Xstring)."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), s)


def as_written(v):
    """A double as libxlsxwriter 1.1 writes it ("%.16G") and any reader reads it back."""
    return float("%.16g" % v)


def utf16_units(s):
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in s)


def expected_text(raw):
    """Invalid UTF-8 becomes U+FFFD (one per bad byte), then Excel's limit applies."""
    out, i = [], 0
    while i < len(raw):
        for n in (1, 2, 3, 4):
            try:
                ch = raw[i:i + n].decode("utf-8")
                if ch in ("\ufffe", "\uffff"):
                    raise UnicodeDecodeError("utf-8", raw, i, i + n, "xml")
                out.append(ch)
                i += n
                break
            except UnicodeDecodeError:
                continue
        else:
            out.append("\ufffd")
            i += 1
    return "".join(out)


def value_ok(got, typ, want, where):
    """Compare one cell with the input value of a column of type typ."""
    if want is None or (typ == "f64" and want in ("inf", "-inf")):
        return check(got is None, "%s: expected an empty cell, got %r" % (where, got))
    if typ == "f64":
        return check(isinstance(got, (int, float)) and float(got) == as_written(want),
                     "%s: %r != %r (written as %r)" % (where, got, want, as_written(want)))
    if typ == "i64":
        return check(got == want, "%s: %r != %r" % (where, got, want))
    if typ == "time":
        t = EPOCH + dt.timedelta(seconds=want)
        if t.year < 1900:
            return check(got == t.strftime("%Y-%m-%dT%H:%M:%SZ"),
                         "%s: out-of-range date %r as text, got %r" % (where, t, got))
        return check(isinstance(got, dt.datetime) and abs((got - t).total_seconds()) < 0.001,
                     "%s: %r != %r" % (where, got, t))
    raw = bytes.fromhex(want)
    text = expected_text(raw)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return check(got == dt.datetime.strptime(text, "%Y-%m-%d"),
                     "%s: date text %r read as %r" % (where, text, got))
    if got is None:
        return check(text == "", "%s: %r read as empty" % (where, text))
    shown = ooxml_unescape(got)
    if utf16_units(text) + 6 * len(re.findall(r"_x[0-9A-Fa-f]{4}_", text)) > MAX_TEXT:
        return check(text.startswith(shown) and utf16_units(shown) <= MAX_TEXT
                     and len(shown) >= MAX_TEXT - 6,
                     "%s: long text not cut to Excel's limit (%d)" % (where, len(shown)))
    return check(shown == text, "%s: %r != %r" % (where, shown, text))


def header(ws):
    return [c.value for c in next(ws.iter_rows(min_row=1, max_row=1))]


def table_checks(ws):
    """Every tabular sheet: bold frozen header, autofilter over the data."""
    check(ws.freeze_panes is not None and ws.freeze_panes[1:] == "2",
          "%s: header row not frozen (%r)" % (ws.title, ws.freeze_panes))
    check(ws.auto_filter.ref is not None and ws.auto_filter.ref.startswith("A1:"),
          "%s: no autofilter" % ws.title)
    check(all(c.font.b for c in next(ws.iter_rows(min_row=1, max_row=1)) if c.value),
          "%s: header not bold" % ws.title)


def cycles_sheets(wb):
    return [n for n in wb.sheetnames if n == "Cycles" or re.fullmatch(r"Cycles \(\d+\)", n)]


def check_table(wb, sheets, table, name):
    cols = table["columns"]
    rows = []
    for s in sheets:
        ws = wb[s]
        table_checks(ws)
        check(header(ws)[:len(cols)] == [c["name"] for c in cols], "%s: header" % s)
        rows += [(s, i + 2, r) for i, r in enumerate(ws.iter_rows(min_row=2, values_only=True))]
    check(len(rows) == table["rows"], "%s: %d rows, input has %d" % (name, len(rows), table["rows"]))
    for k, c in enumerate(cols):
        for (s, line, r), want in zip(rows, c["values"]):
            value_ok(r[k], c["type"], want, "%s!%s%d (%s)" % (s, chr(65 + k) if k < 26 else k,
                                                            line, c["name"]))
    return rows


def expected_cycle_sheets(cycles, sheet_rows):
    """A cell's rows start a new sheet when they do not fit (docs/workbook.md)."""
    ids = cycles["columns"][0]["values"]
    sizes = []
    for v in ids:
        if sizes and sizes[-1][0] == v:
            sizes[-1][1] += 1
        else:
            sizes.append([v, 1])
    sheets, used = 1, 0
    for _, n in sizes:
        if used and used + n > sheet_rows:
            sheets, used = sheets + 1, 0
        used += n
        while used > sheet_rows:
            sheets, used = sheets + 1, used - sheet_rows
    return sheets


def check_formats(wb):
    ws = wb["Cycles"]
    names = header(ws)
    fmt = {n: ws.cell(row=2, column=i + 1).number_format for i, n in enumerate(names)}
    want = {"discharge_capacity_ah": "0.0000", "charge_capacity_ah": "0.0000",
            "charge_energy_wh": "0.000", "capacity_retention": "0.0%", "cycle_index": "0",
            "start_time": "yyyy-mm-dd hh:mm:ss"}
    for n, f in want.items():
        if n in fmt:
            check(fmt[n] == f, "Cycles: %s format %r, want %r" % (n, fmt[n], f))
    check(any(len(cf.rules) for cf in ws.conditional_formatting),
          "Cycles: no conditional format for retention under the threshold")
    cells = wb["Cells"]
    rules = [r.formula[0] for cf in cells.conditional_formatting for r in cf.rules]
    check(any("ISNUMBER" in f for f in rules) and any("LEN" in f for f in rules),
          "Cells: conditional formats for past-EOL and flagged cells: %r" % rules)
    check((cells.column_dimensions["A"].width or 0) >= len("cell-0001"),
          "Cells: column A too narrow")


def check_charts(wb, max_series, groups):
    ws = wb["Charts"]
    charts = ws._charts
    check(len(charts) == len(groups), "Charts: %d charts for %d groups" % (len(charts), len(groups)))
    for ch in charts:
        check(type(ch).__name__ == "ScatterChart", "Charts: %s, want a scatter (XY) chart"
              % type(ch).__name__)
        check(1 <= len(ch.series) <= max_series, "Charts: %d series (max %d)"
              % (len(ch.series), max_series))
        for s in ch.series:
            ref = s.yVal.numRef.f
            m = re.fullmatch(r"'?(.+?)'?!\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)", ref)
            if not check(m is not None, "Charts: series range %r" % ref):
                continue
            sheet, r0, r1 = m.group(1), int(m.group(3)), int(m.group(5))
            data = wb[sheet]
            ids = {data.cell(row=r, column=1).value for r in range(r0, r1 + 1)}
            check(len(ids) == 1, "Charts: series %s spans cells %r" % (ref, ids))
            above = data.cell(row=r0 - 1, column=1).value
            below = data.cell(row=r1 + 1, column=1).value
            check(r0 == 2 or above not in ids, "Charts: series %s starts mid-cell" % ref)
            check(below not in ids, "Charts: series %s stops mid-cell" % ref)


def notes(wb):
    ws = wb["Validation"]
    return [r for r in ws.iter_rows(min_row=2, values_only=True) if r[0] == "workbook"]


def fixture(book, input_json):
    data = json.load(open(input_json))
    wb = openpyxl.load_workbook(book)
    ncyc = expected_cycle_sheets(data["cycles"], data["sheet_rows"])
    want = SHEETS_BEFORE + ["Cycles"] + ["Cycles (%d)" % k for k in range(2, ncyc + 1)] \
        + SHEETS_AFTER
    check(wb.sheetnames == want, "sheets %r, want %r" % (wb.sheetnames, want))
    check_table(wb, ["Cells"], data["cells"], "Cells")
    check_table(wb, cycles_sheets(wb), data["cycles"], "Cycles")
    for s in ("Fits", "Validation", "Quarantine", "Charts"):
        table_checks(wb[s])
    check_formats(wb)
    designs = {expected_text(bytes.fromhex(v)) for v in data["cells"]["columns"][1]["values"]}
    check_charts(wb, data["max_series"], designs)
    kinds = {(r[1].split()[0], r[2]): r[5] for r in notes(wb)}
    cells_f64 = [c for c in data["cells"]["columns"] if c["type"] == "f64"]
    cyc_f64 = [c for c in data["cycles"]["columns"] if c["type"] == "f64"]
    for table, cols in (("Cells", cells_f64), ("Cycles", cyc_f64)):
        for c in cols:
            nan = sum(v is None for v in c["values"])
            inf = sum(v in ("inf", "-inf") for v in c["values"])
            where = "%s: %s" % (table, c["name"])
            check(kinds.get(("NaN", where), 0) == nan, "Validation: NaN note for %s: %r, want %d"
                  % (where, kinds.get(("NaN", where)), nan))
            check(kinds.get(("infinity", where), 0) == inf, "Validation: infinity note for %s"
                  % where)
    check(("invalid", "Cells: notes") in kinds, "Validation: no note for invalid UTF-8")
    check(("text", "Cells: notes") in kinds, "Validation: no note for text over 32,767")
    check(("date", "Cycles: start_time") in kinds, "Validation: no note for the 1874 date")
    props = wb.properties
    check(props.created == dt.datetime(2026, 1, 1), "created %r" % props.created)
    check(props.title and "fixture" in props.title, "title %r" % props.title)


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def num_ok(got, text, where):
    if text == "":
        return check(got is None, "%s: %r, want empty" % (where, got))
    return check(isinstance(got, (int, float)) and float(got) == as_written(float(text)),
                 "%s: %r != %s" % (where, got, text))


def check_fits(wb, report):
    """Fits against results/fits.csv: same rows, models, statuses, parameters, selection."""
    path = os.path.join(report, "results", "fits.csv")
    if not os.path.exists(path):
        print("SKIP Fits: no results/fits.csv")
        return
    rows = read_csv(path)
    ws = wb["Fits"]
    names = header(ws)
    got = list(ws.iter_rows(min_row=2, values_only=True))
    check(len(got) == len(rows), "Fits: %d rows, fits.csv has %d" % (len(got), len(rows)))
    for i, (g, c) in enumerate(zip(got, rows)):
        w = "Fits row %d" % (i + 2)
        r = dict(zip(names, g))
        check((r["cell_id"], r["model"], r["status"]) == (c["cell_id"], c["model"], c["status"]),
              "%s: %r" % (w, (r["cell_id"], r["model"], r["status"])))
        check(r["selected"] == (c["selected"] == "1"), "%s: selected %r" % (w, r["selected"]))
        for key in ("rmse", "aicc"):
            num_ok(r[key], c[key], "%s %s" % (w, key))
        params = dict(p.split("=", 1) for p in c["params"].split(";") if "=" in p)
        for name in names[names.index("status") + 1:names.index("rmse")]:
            num_ok(r[name], params.pop(name, ""), "%s %s" % (w, name))
        check(not params, "%s: parameters with no column: %r" % (w, params))


def run(book, report):
    wb = openpyxl.load_workbook(book)
    check(wb.sheetnames[:3] == SHEETS_BEFORE and wb.sheetnames[-3:] == SHEETS_AFTER
          and "Cycles" in wb.sheetnames, "sheets %r" % wb.sheetnames)
    for s in wb.sheetnames[1:]:
        table_checks(wb[s])
    manifest = {}
    mpath = os.path.join(report, "manifest.json")
    if os.path.exists(mpath):
        manifest = json.load(open(mpath))
    for sheet, csvname in (("Cells", "cells.csv"), ("Cycles", "cycles.csv")):
        path = os.path.join(report, "results", csvname)
        if not os.path.exists(path):
            print("SKIP %s: no results/%s" % (sheet, csvname))
            continue
        rows = read_csv(path)
        sheets = cycles_sheets(wb) if sheet == "Cycles" else [sheet]
        got = []
        names = header(wb[sheets[0]])
        for s in sheets:
            got += list(wb[s].iter_rows(min_row=2, values_only=True))
        check(len(got) == len(rows), "%s: %d rows, results/%s has %d"
              % (sheet, len(got), csvname, len(rows)))
        counts = manifest.get("counts", {}) if isinstance(manifest, dict) else {}
        key = {"Cells": "cells", "Cycles": "cycles"}[sheet]
        if isinstance(counts.get(key), int):
            check(len(got) == counts[key], "%s: %d rows, manifest says %d"
                  % (sheet, len(got), counts[key]))
        for name in rows[0].keys() if rows else []:
            if name not in names:
                continue
            k = names.index(name)
            for i, (r, c) in enumerate(zip(got, rows)):
                text = c[name]
                if text == "":
                    check(r[k] is None, "%s %s row %d: %r, want empty" % (sheet, name, i + 2, r[k]))
                    continue
                try:
                    num = float(text)
                except ValueError:
                    num = None
                if num is not None and isinstance(r[k], (int, float)) \
                        and not isinstance(r[k], bool):
                    check(math.isfinite(num) and float(r[k]) == as_written(num),
                          "%s %s row %d: %r != %r" % (sheet, name, i + 2, r[k], text))
                elif isinstance(r[k], dt.datetime):
                    check(r[k].strftime("%Y-%m-%d") == text[:10],
                          "%s %s row %d: %r != %r" % (sheet, name, i + 2, r[k], text))
                elif isinstance(r[k], str):
                    check(ooxml_unescape(r[k]) == text[:MAX_TEXT],
                          "%s %s row %d: %r != %r" % (sheet, name, i + 2, r[k], text))
    check_fits(wb, report)
    summary = {}
    for r in wb["Summary"].iter_rows(values_only=True):
        if r[0] and r[0] not in summary:  # the sheet list below repeats "Cells"
            summary[r[0]] = r[1]
    counts = manifest.get("counts", {}) if isinstance(manifest, dict) else {}
    for label, key in (("Cells", "cells"), ("Cycle rows", "cycles"),
                       ("Rows quarantined", "quarantined"), ("Flagged cells", "flagged_cells"),
                       ("Cells past end of life", "cells_past_eol")):
        if key in counts:
            check(summary.get(label) == counts[key], "Summary: %s %r, manifest says %r"
                  % (label, summary.get(label), counts[key]))
    ws = wb["Charts"] if "Charts" in wb.sheetnames else None
    if ws is not None:
        check(len(ws._charts) >= 1, "Charts: no chart in a run with cycles")


def main():
    mode, book, other = sys.argv[1:4]
    if mode == "fixture":
        fixture(book, other)
    else:
        run(book, other)
    print("%d passed, %d failed" % (PASSED, FAILED))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
