/*
 * The tabular sheets Validation and Quarantine (Cells and Fits: workbook_cells.c). Each is written
 * row by row (the order constant_memory mode requires), then gets widths, a frozen bold header, an
 * autofilter and its conditional formats.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "workbook_internal.h"

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

int wb_add_rule(struct wb *wb, lxw_worksheet *ws, long last_row, int first_col, int last_col,
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
    if ((rc = wb_add_rule(wb, wb->validation, row, 0, NVAL_COLS - 1, "=AND($D2=\"fail\",$F2>0)",
                          wb->fill_bad)))
        return rc;
    return wb_add_rule(wb, wb->validation, row, 0, NVAL_COLS - 1, "=$F2>0", wb->fill_flag);
}
