/*
 * The tabular sheets Cells, Fits, Validation and Quarantine. Each is written row by row (the
 * order constant_memory mode requires), then gets widths, a frozen bold header, an
 * autofilter and its conditional formats.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "workbook_internal.h"

const char *wb_model_name(int model)
{
    return model >= 0 && model < CP_MODEL_COUNT ? cp_model_name((enum cp_model)model) : "";
}

const char *wb_model_equation(int model)
{
    static const char *const eq[CP_MODEL_COUNT] = {"a + b n", "a - b sqrt(n)", "a - b n^c",
                                                   "a e^(b n) + c e^(d n)", "Bacon-Watts knee"};
    return model >= 0 && model < CP_MODEL_COUNT ? eq[model] : "";
}

const char *wb_rule_name(int kind)
{
    static const char *const names[] = {"required", "range",   "monotonic", "duplicates",
                                        "nan",      "outlier", "gaps"};
    return kind >= 0 && kind < (int)(sizeof names / sizeof names[0]) ? names[kind] : "";
}

const char *wb_policy_name(int policy)
{
    static const char *const names[] = {"fail", "quarantine", "warn"};
    return policy >= 0 && policy < 3 ? names[policy] : "";
}

/* A formula conditional format over rows [1, last_row] of columns [0, last_col]. */
static int add_rule(struct wb *wb, lxw_worksheet *ws, long last_row, int first_col, int last_col,
                    const char *formula, lxw_format *fmt)
{
    if (last_row < 1)
        return 0;
    lxw_conditional_format cf = {
        .type = LXW_CONDITIONAL_TYPE_FORMULA, .value_string = (char *)formula, .format = fmt};
    return wb_lxw(wb,
                  worksheet_conditional_format_range(ws, 1, (lxw_col_t)first_col,
                                                     (lxw_row_t)last_row, (lxw_col_t)last_col, &cf),
                  "conditional format");
}

/* ---- Cells ---- */

enum rkind { R_LONG, R_DOUBLE, R_MODEL, R_METHOD, R_CAPPED, R_FLAGS, R_REASONS };

struct rfield {
    const char *name;
    enum rkind kind;
    size_t off;
};

#define RF(name, kind)                                                                             \
    {                                                                                              \
#name, kind, offsetof(struct cp_cell_result, name)                                         \
    }
static const struct rfield rfields[] = {
    RF(n_cycles, R_LONG),        RF(first_cycle, R_LONG),        RF(last_cycle, R_LONG),
    RF(reference_ah, R_DOUBLE),  RF(last_retention, R_DOUBLE),   RF(cycles_to_90, R_LONG),
    RF(cycles_to_80, R_LONG),    RF(ce_mean, R_DOUBLE),          RF(ce_last_n, R_DOUBLE),
    RF(fade_rate, R_DOUBLE),     RF(efc_total, R_DOUBLE),        RF(days_on_test, R_DOUBLE),
    {"best_model", R_MODEL, 0},  RF(eol_observed, R_LONG),       RF(eol_forecast, R_DOUBLE),
    RF(eol_lo, R_DOUBLE),        RF(eol_hi, R_DOUBLE),           {"eol_method", R_METHOD, 0},
    {"eol_capped", R_CAPPED, 0}, RF(knee_onset, R_DOUBLE),       RF(knee_point, R_DOUBLE),
    {"flags", R_FLAGS, 0},       {"flag_reasons", R_REASONS, 0},
};
#define NRFIELDS (sizeof rfields / sizeof rfields[0])

static const char *method_name(enum cp_eol_method m)
{
    switch (m) {
    case CP_EOL_OBSERVED:
        return "observed";
    case CP_EOL_PER_CELL:
        return "per_cell";
    case CP_EOL_FLEET:
        return "fleet";
    case CP_EOL_NONE:
        break;
    }
    return NULL;
}

static const char *join_flags(struct wb *wb, const struct cp_cell_result *r, int reasons)
{
    struct cp_strbuf *sb = &wb->scratch;
    cp_strbuf_reset(sb);
    for (int i = 0; i < r->nflags && i < CP_MAX_FLAGS; i++)
        if (cp_strbuf_adds(sb, i ? "; " : "") < 0 ||
            cp_strbuf_adds(sb, reasons ? r->flags[i].reason : r->flags[i].kind) < 0)
            return NULL;
    return sb->buf;
}

/* Strings built in wb->scratch are copied before cp_workbook_text() may reuse it. */
static int write_owned_text(struct wb *wb, lxw_worksheet *ws, struct wb_col *c, long row, int col,
                            const char *s)
{
    if (!s)
        return wb_oom(wb);
    if (!*s)
        return 0;
    char *copy = cp_strdup(s);
    if (!copy)
        return wb_oom(wb);
    int rc = wb_write_text(wb, ws, "Cells", c, row, col, copy);
    cp_free(copy);
    return rc;
}

/* Results use NaN and -1 for "not computed" (results.h): an empty cell, no note. */
static int write_result(struct wb *wb, struct wb_col *c, long row, int col, const struct rfield *f,
                        const struct cp_cell_result *r)
{
    lxw_worksheet *ws = wb->cells;
    const char *base = (const char *)r;
    switch (f->kind) {
    case R_LONG: {
        long v;
        memcpy(&v, base + f->off, sizeof v);
        return v < 0 ? 0 : wb_write_number(wb, ws, "Cells", c, row, col, (double)v);
    }
    case R_DOUBLE: {
        double v;
        memcpy(&v, base + f->off, sizeof v);
        return isnan(v) ? 0 : wb_write_number(wb, ws, "Cells", c, row, col, v);
    }
    case R_MODEL:
        return r->best_model < 0
                   ? 0
                   : wb_write_text(wb, ws, "Cells", c, row, col, wb_model_name(r->best_model));
    case R_METHOD:
        return method_name(r->eol_method)
                   ? wb_write_text(wb, ws, "Cells", c, row, col, method_name(r->eol_method))
                   : 0;
    case R_CAPPED:
        return wb_lxw(
            wb,
            worksheet_write_boolean(ws, (lxw_row_t)row, (lxw_col_t)col, r->eol_capped != 0, NULL),
            "boolean");
    case R_FLAGS:
    case R_REASONS:
        return write_owned_text(wb, ws, c, row, col, join_flags(wb, r, f->kind == R_REASONS));
    }
    return 0;
}

static int cells_rules(struct wb *wb, long last_row, int ncols, int col_eol, int col_flags)
{
    char f[64], eol[LXW_MAX_COL_NAME_LENGTH], flags[LXW_MAX_COL_NAME_LENGTH];
    /* absolute column, relative row: the rule follows each row of the range */
    lxw_col_to_name(eol, (lxw_col_t)col_eol, 1);
    lxw_col_to_name(flags, (lxw_col_t)col_flags, 1);
    snprintf(f, sizeof f, "=ISNUMBER(%s2)", eol);
    int rc = add_rule(wb, wb->cells, last_row, 0, ncols - 1, f, wb->fill_eol);
    if (rc)
        return rc;
    snprintf(f, sizeof f, "=LEN(%s2)>0", flags);
    return add_rule(wb, wb->cells, last_row, 0, ncols - 1, f, wb->fill_flag);
}

static int cells_row(struct wb *wb, struct wb_col *cols, size_t nt, size_t i)
{
    const struct cp_run *run = wb->run;
    long row = (long)i + 1;
    for (size_t k = 0; k < nt; k++) {
        int rc = wb_write_value(wb, wb->cells, "Cells", &cols[k], row, (int)k, i);
        if (rc)
            return rc;
    }
    if (i >= run->nresults)
        return 0;
    for (size_t k = 0; k < NRFIELDS; k++) {
        int rc = write_result(wb, &cols[nt + k], row, (int)(nt + k), &rfields[k], &run->results[i]);
        if (rc)
            return rc;
    }
    return 0;
}

static int rfield_index(const char *name)
{
    for (size_t k = 0; k < NRFIELDS; k++)
        if (strcmp(rfields[k].name, name) == 0)
            return (int)k;
    return -1;
}

int wb_sheet_cells(struct wb *wb)
{
    const struct cp_table *t = wb->run->data.cells;
    size_t nt = t ? t->ncols : 0, nrows = t ? t->nrows : 0, n = nt + NRFIELDS;
    struct wb_col *cols = cp_calloc(n, sizeof *cols);
    int rc = 0;
    if (!cols)
        return wb_oom(wb);
    for (size_t k = 0; k < n; k++) {
        if (k < nt)
            wb_col_init(&cols[k], t->cols[k].name, &t->cols[k]);
        else
            wb_col_init(&cols[k], rfields[k - nt].name, NULL);
        if ((rc = wb_col_setup(wb, &cols[k])))
            goto cleanup;
    }
    if ((rc = wb_write_header(wb, wb->cells, cols, n)))
        goto cleanup;
    for (size_t i = 0; i < nrows; i++)
        if ((rc = cells_row(wb, cols, nt, i)))
            goto cleanup;
    int col_id = t ? cp_table_find(t, "cell_id") : -1;
    if ((rc = wb_finish_table(wb, wb->cells, cols, n, (long)nrows, col_id == 0 ? 1 : 0)))
        goto cleanup;
    rc = cells_rules(wb, (long)nrows, (int)n, (int)nt + rfield_index("eol_observed"),
                     (int)nt + rfield_index("flags"));
cleanup:
    cp_free(cols);
    return rc;
}

/* ---- Fits ---- */

static const char *const fit_headers[] = {"cell_id", "model", "equation", "status", "a",
                                          "b",       "c",     "d",        "e",      "f",
                                          "rmse",    "aicc",  "selected", "reason"};
#define NFIT_COLS (sizeof fit_headers / sizeof fit_headers[0])

static const char *fit_status(enum cp_fit_status s)
{
    switch (s) {
    case CP_FIT_OK:
        return "ok";
    case CP_FIT_FAILED:
        return "failed";
    case CP_FIT_DEGENERATE:
        return "degenerate";
    case CP_FIT_NOT_RUN:
        break;
    }
    return "not run";
}

static int fit_row(struct wb *wb, struct wb_col *cols, long row, const char *cell_id,
                   const struct cp_cell_result *r, int m)
{
    const struct cp_fit *f = &r->fits[m];
    lxw_worksheet *ws = wb->fits;
    const char *text[] = {cell_id, wb_model_name(m), wb_model_equation(m), fit_status(f->status)};
    int rc = 0;
    for (int k = 0; k < 4 && !rc; k++)
        rc = text[k] && *text[k] ? wb_write_text(wb, ws, "Fits", &cols[k], row, k, text[k]) : 0;
    for (int k = 0; k < f->np && k < CP_FIT_MAXP && !rc; k++)
        rc = f->status == CP_FIT_FAILED
                 ? 0
                 : wb_write_number(wb, ws, "Fits", &cols[4 + k], row, 4 + k, f->p[k]);
    if (!rc && f->status != CP_FIT_FAILED)
        rc = wb_write_number(wb, ws, "Fits", &cols[10], row, 10, f->rmse);
    if (!rc && f->status != CP_FIT_FAILED)
        rc = wb_write_number(wb, ws, "Fits", &cols[11], row, 11, f->aicc);
    if (!rc)
        rc = wb_lxw(wb, worksheet_write_boolean(ws, (lxw_row_t)row, 12, r->best_model == m, NULL),
                    "boolean");
    if (!rc && f->reason[0])
        rc = wb_write_text(wb, ws, "Fits", &cols[13], row, 13, f->reason);
    return rc;
}

int wb_sheet_fits(struct wb *wb)
{
    const struct cp_run *run = wb->run;
    struct wb_col cols[NFIT_COLS];
    char **ids = run->data.cells ? cp_table_str(run->data.cells, "cell_id") : NULL;
    long row = 0;
    int rc;
    for (size_t k = 0; k < NFIT_COLS; k++) {
        wb_col_init(&cols[k], fit_headers[k], NULL);
        if ((rc = wb_col_setup(wb, &cols[k])))
            return rc;
    }
    if ((rc = wb_write_header(wb, wb->fits, cols, NFIT_COLS)))
        return rc;
    for (size_t i = 0; i < run->nresults; i++) {
        const struct cp_cell_result *r = &run->results[i];
        const char *id = ids && r->cells_row >= 0 ? ids[r->cells_row] : NULL;
        for (int m = 0; m < CP_MODEL_COUNT; m++)
            if (r->fits[m].status != CP_FIT_NOT_RUN && (rc = fit_row(wb, cols, ++row, id, r, m)))
                return rc;
    }
    if ((rc = wb_finish_table(wb, wb->fits, cols, NFIT_COLS, row, 1)))
        return rc;
    if ((rc = add_rule(wb, wb->fits, row, 0, NFIT_COLS - 1, "=$M2=TRUE", wb->fill_best)))
        return rc;
    return add_rule(wb, wb->fits, row, 3, 3, "=AND($D2<>\"ok\",$D2<>\"\")", wb->fill_bad);
}

/* ---- Quarantine ---- */

/* rule and reason first: they say why the row is here. */
static size_t quarantine_order(const struct cp_table *t, size_t *order)
{
    size_t n = 0;
    int rule = cp_table_find(t, "rule"), reason = cp_table_find(t, "reason");
    if (rule >= 0)
        order[n++] = (size_t)rule;
    if (reason >= 0)
        order[n++] = (size_t)reason;
    for (size_t k = 0; k < t->ncols; k++)
        if ((int)k != rule && (int)k != reason)
            order[n++] = k;
    return n;
}

static int quarantine_empty(struct wb *wb)
{
    struct wb_col cols[2];
    wb_col_init(&cols[0], "rule", NULL);
    wb_col_init(&cols[1], "reason", NULL);
    cols[0].width = cols[1].width = 12;
    int rc = wb_write_header(wb, wb->quarantine, cols, 2);
    return rc ? rc : wb_finish_table(wb, wb->quarantine, cols, 2, 0, 0);
}

int wb_sheet_quarantine(struct wb *wb)
{
    const struct cp_table *t = wb->run->quarantine;
    if (!t || t->ncols == 0)
        return quarantine_empty(wb);
    size_t *order = cp_calloc(t->ncols, sizeof *order);
    struct wb_col *cols = cp_calloc(t->ncols, sizeof *cols);
    size_t n = 0, rows = t->nrows;
    int rc = 0;
    if (!order || !cols) {
        rc = wb_oom(wb);
        goto cleanup;
    }
    n = quarantine_order(t, order);
    for (size_t k = 0; k < n && !rc; k++) {
        wb_col_init(&cols[k], t->cols[order[k]].name, &t->cols[order[k]]);
        rc = wb_col_setup(wb, &cols[k]);
    }
    if (rc || (rc = wb_write_header(wb, wb->quarantine, cols, n)))
        goto cleanup;
    if (rows > (size_t)WB_MAX_ROW) {
        for (size_t r = WB_MAX_ROW; r < t->nrows && !rc; r++)
            rc = wb_note(wb, NULL, "Quarantine", WB_NOTE_ROWS, -1, 0);
        rows = WB_MAX_ROW;
    }
    for (size_t r = 0; r < rows && !rc; r++)
        for (size_t k = 0; k < n && !rc; k++)
            rc = wb_write_value(wb, wb->quarantine, "Quarantine", &cols[k], (long)r + 1, (int)k, r);
    if (!rc)
        rc = wb_finish_table(wb, wb->quarantine, cols, n, (long)rows, 0);
cleanup:
    cp_free(order);
    cp_free(cols);
    return rc;
}

/* ---- Validation ---- */

static const char *const val_headers[] = {"source",       "rule",      "column",
                                          "severity",     "checked",   "hits",
                                          "hit_fraction", "threshold", "examples"};
#define NVAL_COLS (sizeof val_headers / sizeof val_headers[0])

static int val_text(struct wb *wb, struct wb_col *cols, long row, int col, const char *s)
{
    return s && *s ? wb_write_text(wb, wb->validation, "Validation", &cols[col], row, col, s) : 0;
}

static int val_num(struct wb *wb, struct wb_col *cols, long row, int col, double v)
{
    return isnan(v) ? 0
                    : wb_write_number(wb, wb->validation, "Validation", &cols[col], row, col, v);
}

static int val_rule_row(struct wb *wb, struct wb_col *cols, long row,
                        const struct cp_rule_result *rr)
{
    const struct cp_rule_config *rc = rr->rule;
    double frac = rr->checked > 0 ? (double)rr->hits / (double)rr->checked : NAN;
    int e = val_text(wb, cols, row, 0, "validate");
    if (!e && rc)
        e = val_text(wb, cols, row, 1, wb_rule_name(rc->kind));
    if (!e && rc)
        e = val_text(wb, cols, row, 2, rc->column);
    if (!e && rc)
        e = val_text(wb, cols, row, 3, wb_policy_name(rc->policy));
    if (!e)
        e = val_num(wb, cols, row, 4, (double)rr->checked);
    if (!e)
        e = val_num(wb, cols, row, 5, (double)rr->hits);
    if (!e)
        e = val_num(wb, cols, row, 6, frac);
    if (!e && rc)
        e = val_num(wb, cols, row, 7, rc->threshold);
    if (!e)
        e = val_text(wb, cols, row, 8, rr->examples);
    return e;
}

static int val_note_row(struct wb *wb, struct wb_col *cols, long row, const struct wb_note *n)
{
    int e = val_text(wb, cols, row, 0, "workbook");
    if (!e)
        e = val_text(wb, cols, row, 1, wb_note_text(n->kind));
    if (!e)
        e = val_text(wb, cols, row, 2, n->where);
    if (!e)
        e = val_text(wb, cols, row, 3, "note");
    if (!e)
        e = val_num(wb, cols, row, 5, (double)n->count);
    if (!e)
        e = val_text(wb, cols, row, 8, n->examples);
    return e;
}

int wb_sheet_validation(struct wb *wb)
{
    const struct cp_validation *v = &wb->run->validation;
    struct wb_col cols[NVAL_COLS];
    long row = 0;
    int rc;
    for (size_t k = 0; k < NVAL_COLS; k++) {
        wb_col_init(&cols[k], val_headers[k], NULL);
        if ((rc = wb_col_setup(wb, &cols[k])))
            return rc;
    }
    cols[4].fmt = cols[5].fmt = wb_num_format(wb, "0");
    cols[6].fmt = cols[7].fmt = wb_num_format(wb, "0.00%");
    if ((rc = wb_write_header(wb, wb->validation, cols, NVAL_COLS)))
        return rc;
    for (size_t i = 0; i < v->nrules; i++)
        if ((rc = val_rule_row(wb, cols, ++row, &v->rules[i])))
            return rc;
    /* Notes made while writing this sheet are not listed (they would list themselves). */
    size_t nnotes = wb->nnotes;
    for (size_t i = 0; i < nnotes; i++)
        if ((rc = val_note_row(wb, cols, ++row, &wb->notes[i])))
            return rc;
    if ((rc = wb_finish_table(wb, wb->validation, cols, NVAL_COLS, row, 0)))
        return rc;
    if ((rc = add_rule(wb, wb->validation, row, 0, NVAL_COLS - 1, "=AND($D2=\"fail\",$F2>0)",
                       wb->fill_bad)))
        return rc;
    return add_rule(wb, wb->validation, row, 0, NVAL_COLS - 1, "=$F2>0", wb->fill_flag);
}
