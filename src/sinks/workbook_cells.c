/*
 * The Cells and Fits sheets. They hold what results/cells.csv and results/fits.csv hold, with
 * the same column names and values, so the workbook and the CSV files never disagree:
 * Cells is the results sink's own per-cell table (cp_cells_table()); Fits has one
 * numeric column per model parameter (the names of include/cellpipe/fit.h) where fits.csv
 * packs them into "name=value;..." text, and like it one row per cell and configured model,
 * "not_run" included (a cell with too few cycles).
 *
 * Both continue on "Cells (2)", "Fits (2)", ... past wb->sheet_rows data rows (Excel's
 * 1,048,575 by default), each sheet with its own header, filter and rules; workbook.c plans
 * the sheets from the row counts before anything is written.
 */
#include <math.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/fit.h"
#include "cellpipe/cells_table.h"
#include "workbook_internal.h"

/* ---- Cells ---- */

static int cells_rules(struct wb *wb, lxw_worksheet *ws, const struct cp_table *t, long last_row)
{
    int eol = cp_table_find(t, "eol_observed"), flags = cp_table_find(t, "flags");
    int last = (int)t->ncols - 1, rc = 0;
    char f[64], col[LXW_MAX_COL_NAME_LENGTH];
    /* absolute column, relative row: each rule follows the rows of its range */
    if (eol >= 0) {
        lxw_col_to_name(col, (lxw_col_t)eol, 1);
        snprintf(f, sizeof f, "=ISNUMBER(%s2)", col);
        rc = wb_add_rule(wb, ws, last_row, 0, last, f, wb->fill_eol);
    }
    if (!rc && flags >= 0) {
        lxw_col_to_name(col, (lxw_col_t)flags, 1);
        snprintf(f, sizeof f, "=LEN(%s2)>0", col);
        rc = wb_add_rule(wb, ws, last_row, 0, last, f, wb->fill_flag);
    }
    return rc;
}

static int cells_row(struct wb *wb, struct wb_col *cols, const struct cp_table *t, size_t r)
{
    long row;
    int s = wb_page_row(wb, r, &row), rc = 0;
    for (size_t k = 0; k < t->ncols && !rc; k++)
        rc = wb_write_value(wb, wb->cells.ws[s], wb->cells.names[s], &cols[k], row, (int)k, r);
    return rc;
}

static int cells_finish(struct wb *wb, struct wb_col *cols, const struct cp_table *t)
{
    int rc = 0;
    for (int s = 0; s < wb->cells.n && !rc; s++) {
        long last = wb_page_rows(wb, t->nrows, s);
        rc = wb_finish_table(wb, wb->cells.ws[s], cols, t->ncols, last,
                             cp_table_find(t, "cell_id") == 0);
        if (!rc)
            rc = cells_rules(wb, wb->cells.ws[s], t, last);
    }
    return rc;
}

/* Columns past the metadata are results, where NaN means "not computed" (results.h). */
static int write_cells(struct wb *wb, const struct cp_table *t, size_t nmeta)
{
    struct wb_col *cols = cp_calloc(t->ncols ? t->ncols : 1, sizeof *cols);
    int rc = 0;
    if (!cols)
        return wb_oom(wb);
    for (size_t k = 0; k < t->ncols && !rc; k++) {
        wb_col_init(&cols[k], t->cols[k].name, &t->cols[k]);
        cols[k].quiet_nan = k >= nmeta;
        rc = wb_col_setup(wb, &cols[k]);
    }
    for (int s = 0; s < wb->cells.n && !rc; s++)
        rc = wb_write_header(wb, wb->cells.ws[s], cols, t->ncols);
    for (size_t r = 0; r < t->nrows && !rc; r++)
        rc = cells_row(wb, cols, t, r);
    if (!rc)
        rc = cells_finish(wb, cols, t);
    cp_free(cols);
    return rc;
}

int wb_sheet_cells(struct wb *wb)
{
    const struct cp_run *run = wb->run;
    struct cp_table *results = NULL;
    int rc;
    if (run->nresults > 0 && !(results = cp_cells_table(run)))
        return wb_oom(wb);
    const struct cp_table *t = results ? results : run->data.cells;
    if (t) {
        rc = write_cells(wb, t, run->data.cells ? run->data.cells->ncols : 0);
    } else { /* no cells at all: the header of the one column every source has */
        struct wb_col id;
        wb_col_init(&id, "cell_id", NULL);
        rc = wb_write_header(wb, wb->cells.ws[0], &id, 1);
        if (!rc)
            rc = wb_finish_table(wb, wb->cells.ws[0], &id, 1, 0, 0);
    }
    cp_table_free(results);
    return rc;
}

/* ---- Fits ---- */

const char *wb_model_name(int model)
{
    return model >= 0 && model < CP_MODEL_COUNT ? cp_model_name((enum cp_model)model) : "";
}

const char *wb_model_equation(int model)
{
    static const char *const eq[CP_MODEL_COUNT] = {
        "a + b n", "a - b sqrt(n)", "a - b n^c", "a e^(b n) + c e^(d n)",
        "a0 + a1 (n - n1) + a2 (n - n1) tanh((n - n1) / g)"};
    return model >= 0 && model < CP_MODEL_COUNT ? eq[model] : "";
}

/* Parameters as fits.csv lists them: bacon_watts adds its fixed width g (p[4], fit.h). */
static int shown_params(int m)
{
    return cp_fit_nparams((enum cp_model)m) + (m == CP_MODEL_BACON_WATTS);
}

static const char *param_name(int m, int k)
{
    return k < cp_fit_nparams((enum cp_model)m) ? cp_fit_param_name((enum cp_model)m, k) : "g";
}

#define FIT_MAX_COLS 32

struct fit_layout {
    const char *names[FIT_MAX_COLS];
    size_t n;
    int param[CP_MODEL_COUNT][CP_FIT_MAXP]; /* sheet column of each model's parameter */
    int rmse, aicc, selected, reason;
};

static int name_index(struct fit_layout *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->names[i], name) == 0)
            return (int)i;
    l->names[l->n] = name;
    return (int)l->n++;
}

/* cell_id, model, equation, status, every parameter name once (model order), rmse, aicc,
 * selected, reason. */
static void fit_layout(struct fit_layout *l)
{
    static const char *const lead[] = {"cell_id", "model", "equation", "status"};
    memset(l, 0, sizeof *l);
    for (size_t i = 0; i < 4; i++)
        name_index(l, lead[i]);
    for (int m = 0; m < CP_MODEL_COUNT; m++)
        for (int k = 0; k < shown_params(m) && k < CP_FIT_MAXP; k++)
            l->param[m][k] = name_index(l, param_name(m, k));
    l->rmse = name_index(l, "rmse");
    l->aicc = name_index(l, "aicc");
    l->selected = name_index(l, "selected");
    l->reason = name_index(l, "reason");
}

/* Where one Fits row goes. */
struct fit_at {
    lxw_worksheet *ws;
    const char *sheet;
    long row;
};

/* Numbers only for a fit that worked, as in fits.csv: the others have NaN and a reason. */
static int fit_numbers(struct wb *wb, struct wb_col *cols, const struct fit_layout *l,
                       const struct fit_at *at, const struct cp_fit *f, int m)
{
    int rc = 0;
    for (int k = 0; k < shown_params(m) && k < CP_FIT_MAXP && !rc; k++)
        rc = wb_write_number(wb, at->ws, at->sheet, &cols[l->param[m][k]], at->row, l->param[m][k],
                             f->p[k]);
    if (!rc)
        rc = wb_write_number(wb, at->ws, at->sheet, &cols[l->rmse], at->row, l->rmse, f->rmse);
    if (!rc)
        rc = wb_write_number(wb, at->ws, at->sheet, &cols[l->aicc], at->row, l->aicc, f->aicc);
    return rc;
}

/* Table row `index` (zero-based over all Fits sheets). */
static int fit_row(struct wb *wb, struct wb_col *cols, const struct fit_layout *l, size_t index,
                   const char *cell_id, const struct cp_cell_result *r, int m)
{
    const struct cp_fit *f = &r->fits[m];
    const char *text[] = {cell_id, wb_model_name(m), wb_model_equation(m),
                          cp_fit_status_name(f->status)};
    struct fit_at at;
    int s = wb_page_row(wb, index, &at.row), rc = 0;
    at.ws = wb->fits.ws[s];
    at.sheet = wb->fits.names[s];
    for (int k = 0; k < 4 && !rc; k++)
        rc = text[k] && *text[k] ? wb_write_text(wb, at.ws, at.sheet, &cols[k], at.row, k, text[k])
                                 : 0;
    if (!rc && f->status == CP_FIT_OK)
        rc = fit_numbers(wb, cols, l, &at, f, m);
    if (!rc)
        rc = wb_lxw(wb,
                    worksheet_write_boolean(at.ws, (lxw_row_t)at.row, (lxw_col_t)l->selected,
                                            r->best_model == m, NULL),
                    "boolean");
    if (!rc && f->reason[0])
        rc = wb_write_text(wb, at.ws, at.sheet, &cols[l->reason], at.row, l->reason, f->reason);
    return rc;
}

static int fits_rules(struct wb *wb, lxw_worksheet *ws, const struct fit_layout *l, long last_row)
{
    char f[64], sel[LXW_MAX_COL_NAME_LENGTH];
    lxw_col_to_name(sel, (lxw_col_t)l->selected, 1);
    snprintf(f, sizeof f, "=%s2=TRUE", sel);
    int rc = wb_add_rule(wb, ws, last_row, 0, (int)l->n - 1, f, wb->fill_best);
    if (rc)
        return rc;
    return wb_add_rule(wb, ws, last_row, 3, 3, "=AND($D2<>\"ok\",$D2<>\"\")", wb->fill_bad);
}

static int fits_finish(struct wb *wb, struct wb_col *cols, const struct fit_layout *l, size_t rows)
{
    int rc = 0;
    for (int s = 0; s < wb->fits.n && !rc; s++) {
        long last = wb_page_rows(wb, rows, s);
        rc = wb_finish_table(wb, wb->fits.ws[s], cols, l->n, last, 1);
        if (!rc)
            rc = fits_rules(wb, wb->fits.ws[s], l, last);
    }
    return rc;
}

int wb_sheet_fits(struct wb *wb)
{
    const struct cp_run *run = wb->run;
    struct fit_layout l;
    struct wb_col cols[FIT_MAX_COLS];
    char **ids = run->data.cells ? cp_table_str(run->data.cells, "cell_id") : NULL;
    size_t rows = 0;
    int rc;
    fit_layout(&l);
    for (size_t k = 0; k < l.n; k++) {
        wb_col_init(&cols[k], l.names[k], NULL);
        if ((rc = wb_col_setup(wb, &cols[k])))
            return rc;
    }
    for (int s = 0; s < wb->fits.n; s++)
        if ((rc = wb_write_header(wb, wb->fits.ws[s], cols, l.n)))
            return rc;
    for (size_t i = 0; i < run->nresults; i++) {
        const struct cp_cell_result *r = &run->results[i];
        const char *id = ids && r->cells_row >= 0 ? ids[r->cells_row] : NULL;
        for (int m = 0; m < CP_MODEL_COUNT; m++)
            if (run->cfg->fits.models[m] && (rc = fit_row(wb, cols, &l, rows++, id, r, m)))
                return rc;
    }
    return fits_finish(wb, cols, &l, rows);
}
