/*
 * The Cycles sheets: every row of run->data.cycles, with the columns workbook.cycles_columns
 * names (those the table has, in that order; [all]: every column). Excel stops at
 * 1,048,576 rows, so the table continues on "Cycles (2)", "Cycles (3)", ... A cell starts on a
 * fresh sheet when its cycles would not fit in what is left of the current one, so that one
 * cell's curve is one range a chart can plot; only a cell with more cycles than a whole sheet
 * is split across sheets (its chart series then shows the first sheet's part).
 *
 * This is the hot path of the workbook (1.5 M rows x 20 columns in the benchmark): finite
 * doubles go straight to libxlsxwriter, everything else through wb_write_value().
 */
#include <math.h>
#include <string.h>

#include "cellpipe/progress.h"
#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "workbook_internal.h"

struct cursor {
    long sheet_rows;
    int sheet;
    long used; /* data rows on the current sheet */
};

/* Before a cell's n rows: start a fresh sheet when they would not fit. */
static void cursor_group(struct cursor *c, long n)
{
    if (c->used > 0 && c->used + n > c->sheet_rows) {
        c->sheet++;
        c->used = 0;
    }
}

/* Before one row: its worksheet row (1-based data rows; row 0 is the header). */
static long cursor_row(struct cursor *c)
{
    if (c->used == c->sheet_rows) {
        c->sheet++;
        c->used = 0;
    }
    return ++c->used;
}

static size_t ngroups_of(const struct cp_table *t)
{
    if (!t || t->nrows == 0)
        return 0;
    return t->group_start && t->ngroups ? t->ngroups : 1;
}

static void group_range(const struct cp_table *t, size_t g, size_t *from, size_t *to)
{
    if (t->group_start && t->ngroups) {
        *from = t->group_start[g];
        *to = t->group_start[g + 1];
    } else {
        *from = 0;
        *to = t->nrows;
    }
}

/* The table columns of the sheet, in workbook.cycles_columns order; a name the table lacks
 * (a source without that measurement) is left out. */
static int select_columns(struct wb *wb, const struct cp_table *t)
{
    const struct cp_strlist *l = &wb->run->cfg->workbook.cycles_columns;
    int all = l->n == 0 || (l->n == 1 && strcmp(l->v[0], "all") == 0);
    size_t n = all ? t->ncols : l->n;
    if (n && !(wb->cycles_cols = cp_calloc(n, sizeof *wb->cycles_cols)))
        return wb_oom(wb);
    for (size_t i = 0; i < n; i++) {
        int k = all ? (int)i : cp_table_find(t, l->v[i]);
        if (k >= 0)
            wb->cycles_cols[wb->ncycles_cols++] = (size_t)k;
    }
    return 0;
}

/* Position of a table column on the sheet, or -1. */
static int sheet_col(const struct wb *wb, const struct cp_table *t, const char *name)
{
    int k = cp_table_find(t, name);
    for (size_t i = 0; k >= 0 && i < wb->ncycles_cols; i++)
        if (wb->cycles_cols[i] == (size_t)k)
            return (int)i;
    return -1;
}

int wb_plan_cycles(struct wb *wb)
{
    const struct cp_table *t = wb->run->data.cycles;
    size_t ng = ngroups_of(t);
    struct cursor cur = {.sheet_rows = wb->sheet_rows};
    if (ng && !(wb->spans = cp_calloc(ng, sizeof *wb->spans)))
        return wb_oom(wb);
    wb->nspans = ng;
    for (size_t g = 0; g < ng; g++) {
        size_t from, to;
        group_range(t, g, &from, &to);
        long n = (long)(to - from);
        cursor_group(&cur, n);
        wb->spans[g] = (struct wb_span){.sheet = cur.sheet, .first_row = cur.used + 1, .rows = n};
        cur.used += n;
        while (cur.used > cur.sheet_rows) {
            cur.sheet++;
            cur.used -= cur.sheet_rows;
        }
    }
    wb->ncycles_ws = cur.sheet + 1;
    if (wb->ncycles_ws > WB_MAX_SHEETS)
        return wb->rc = cp_error_set(wb->err, CP_EDATA,
                                     "cannot write 'workbook.xlsx': %zu cycle rows need more than "
                                     "%d sheets",
                                     t->nrows, WB_MAX_SHEETS);
    if (t) {
        if (select_columns(wb, t))
            return wb->rc;
        wb->col_cell_id = sheet_col(wb, t, "cell_id");
        wb->col_cycle_index = sheet_col(wb, t, "cycle_index");
        wb->col_retention = sheet_col(wb, t, "capacity_retention");
    }
    return 0;
}

/* Retention under the end-of-life threshold, on each sheet's own range. */
static int retention_rule(struct wb *wb, lxw_worksheet *ws, long last_row)
{
    if (wb->col_retention < 0 || last_row < 1)
        return 0;
    char col[LXW_MAX_COL_NAME_LENGTH], formula[96];
    lxw_col_to_name(col, (lxw_col_t)wb->col_retention, 0);
    snprintf(formula, sizeof formula, "=AND(ISNUMBER(%s2),%s2<%.17g)", col, col,
             wb->run->cfg->fits.threshold);
    lxw_conditional_format cf = {
        .type = LXW_CONDITIONAL_TYPE_FORMULA, .value_string = formula, .format = wb->fill_bad};
    lxw_col_t c = (lxw_col_t)wb->col_retention;
    return wb_lxw(wb, worksheet_conditional_format_range(ws, 1, c, (lxw_row_t)last_row, c, &cf),
                  "conditional format");
}

static int write_row(struct wb *wb, struct wb_col *cols, size_t ncols, int sheet, long row,
                     size_t r)
{
    lxw_worksheet *ws = wb->cycles_ws[sheet];
    for (size_t k = 0; k < ncols; k++) {
        struct wb_col *c = &cols[k];
        if (c->src->type == CP_F64 && isfinite(c->src->v.f64[r])) {
            lxw_error e =
                worksheet_write_number(ws, (lxw_row_t)row, (lxw_col_t)k, c->src->v.f64[r], c->fmt);
            if (e)
                return wb_lxw(wb, e, "cycle value");
            continue;
        }
        int rc = wb_write_value(wb, ws, wb->cycles_names[sheet], c, row, (int)k, r);
        if (rc)
            return rc;
    }
    return 0;
}

static int write_rows(struct wb *wb, struct wb_col *cols, long *last_rows)
{
    const struct cp_table *t = wb->run->data.cycles;
    struct cursor cur = {.sheet_rows = wb->sheet_rows};
    size_t ng = ngroups_of(t);
    cp_progress_total(t ? t->nrows : 0, "Cycles rows written");
    for (size_t g = 0; g < ng; g++) {
        size_t from, to;
        group_range(t, g, &from, &to);
        cursor_group(&cur, (long)(to - from));
        for (size_t r = from; r < to; r++) {
            long row = cursor_row(&cur);
            int rc = write_row(wb, cols, wb->ncycles_cols, cur.sheet, row, r);
            if (rc)
                return rc;
            last_rows[cur.sheet] = row;
        }
        cp_progress_add(to - from);
    }
    wb->cycles_written = t ? (long long)t->nrows : 0;
    return 0;
}

static int finish_sheets(struct wb *wb, struct wb_col *cols, size_t ncols, const long *last_rows)
{
    int freeze = wb->col_cell_id == 0 && wb->col_cycle_index == 1 ? 2 : 0;
    for (int s = 0; s < wb->ncycles_ws; s++) {
        int rc = wb_finish_table(wb, wb->cycles_ws[s], cols, ncols, last_rows[s], freeze);
        if (!rc)
            rc = retention_rule(wb, wb->cycles_ws[s], last_rows[s]);
        if (rc)
            return rc;
    }
    return 0;
}

/* With no cycles table the sheet still has the two columns every source provides. */
static int cycles_empty(struct wb *wb)
{
    struct wb_col cols[2];
    wb_col_init(&cols[0], "cell_id", NULL);
    wb_col_init(&cols[1], "cycle_index", NULL);
    cols[0].width = cols[1].width = 14;
    int rc = wb_write_header(wb, wb->cycles_ws[0], cols, 2);
    return rc ? rc : wb_finish_table(wb, wb->cycles_ws[0], cols, 2, 0, 0);
}

int wb_sheet_cycles(struct wb *wb)
{
    const struct cp_table *t = wb->run->data.cycles;
    if (wb->ncycles_ws == 0)
        return 0;
    if (!t || wb->ncycles_cols == 0)
        return cycles_empty(wb);
    size_t n = wb->ncycles_cols;
    struct wb_col *cols = cp_calloc(n, sizeof *cols);
    long *last_rows = cp_calloc((size_t)wb->ncycles_ws, sizeof *last_rows);
    int rc = 0;
    if (!cols || !last_rows) {
        rc = wb_oom(wb);
        goto cleanup;
    }
    for (size_t k = 0; k < n && !rc; k++) {
        const struct cp_column *c = &t->cols[wb->cycles_cols[k]];
        wb_col_init(&cols[k], c->name, c);
        rc = wb_col_setup(wb, &cols[k]);
    }
    for (int s = 0; s < wb->ncycles_ws && !rc; s++)
        rc = wb_write_header(wb, wb->cycles_ws[s], cols, n);
    if (!rc)
        rc = write_rows(wb, cols, last_rows);
    if (!rc)
        rc = finish_sheets(wb, cols, n, last_rows);
cleanup:
    cp_free(cols);
    cp_free(last_rows);
    return rc;
}
