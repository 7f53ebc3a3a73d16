/* A table as a sheet (wb_table_sheet), and the workbook's Models and Predictions sheets: the ml
 * stage's tables (ml_tables.h), the same columns as results/models.csv and results/predictions.csv.
 */
#include "cellpipe/alloc.h"
#include "cellpipe/ml_tables.h"
#include "cellpipe/table.h"
#include "workbook_internal.h"

int wb_table_sheet(struct wb *wb, lxw_worksheet *ws, const char *sheet, const struct cp_table *t)
{
    struct wb_col *cols = t ? cp_calloc(t->ncols, sizeof *cols) : NULL;
    int rc = cols ? 0 : wb_oom(wb);
    for (size_t k = 0; !rc && k < t->ncols; k++) {
        wb_col_init(&cols[k], t->cols[k].name, &t->cols[k]);
        cols[k].quiet_nan = 1; /* an empty value is explained in `note` */
        rc = wb_col_setup(wb, &cols[k]);
    }
    if (!rc)
        rc = wb_write_header(wb, ws, cols, t->ncols);
    size_t rows = t && t->nrows > (size_t)WB_MAX_ROW ? (size_t)WB_MAX_ROW : t ? t->nrows : 0;
    for (size_t r = 0; !rc && r < rows; r++)
        for (size_t k = 0; !rc && k < t->ncols; k++)
            rc = wb_write_value(wb, ws, sheet, &cols[k], (long)r + 1, (int)k, r);
    if (!rc)
        rc = wb_finish_table(wb, ws, cols, t->ncols, (long)rows, 0);
    cp_free(cols);
    return rc;
}

static int owned_sheet(struct wb *wb, lxw_worksheet *ws, const char *sheet, struct cp_table *t)
{
    int rc = wb_table_sheet(wb, ws, sheet, t);
    cp_table_free(t);
    return rc;
}

int wb_sheet_models(struct wb *wb)
{
    if (!wb->models)
        return 0;
    int rc = owned_sheet(wb, wb->models, "Models", cp_ml_models_table(wb->run));
    return rc ? rc
              : owned_sheet(wb, wb->predictions, "Predictions", cp_ml_predictions_table(wb->run));
}
