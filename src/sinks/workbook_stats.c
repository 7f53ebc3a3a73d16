/*
 * The Statistics sheet: the tidy table of results/statistics.csv (statistics.h), one row per
 * group, metric and statistic, with corrected p-values below alpha highlighted. Present only
 * when the statistics stage ran.
 */
#include <stdio.h>

#include "cellpipe/alloc.h"
#include "cellpipe/statistics.h"
#include "cellpipe/table.h"
#include "workbook_internal.h"

static int significant_rule(struct wb *wb, const struct cp_table *t)
{
    int stat = cp_table_find(t, "statistic"), value = cp_table_find(t, "value");
    char f[160], sc[LXW_MAX_COL_NAME_LENGTH], vc[LXW_MAX_COL_NAME_LENGTH];
    lxw_col_to_name(sc, (lxw_col_t)stat, 1);
    lxw_col_to_name(vc, (lxw_col_t)value, 1);
    snprintf(f, sizeof f, "=AND(RIGHT(%s2,11)=\"_p_adjusted\",ISNUMBER(%s2),%s2<%.17g)", sc, vc, vc,
             wb->run->statistics->alpha);
    return wb_add_rule(wb, wb->statistics, (long)t->nrows, 0, (int)t->ncols - 1, f, wb->fill_best);
}

int wb_sheet_statistics(struct wb *wb)
{
    if (!wb->statistics)
        return 0;
    struct cp_table *t = cp_statistics_table(wb->run->statistics);
    int rc = t ? wb_table_sheet(wb, wb->statistics, "Statistics", t) : wb_oom(wb);
    if (!rc && t->nrows > 0)
        rc = significant_rule(wb, t);
    cp_table_free(t);
    return rc;
}
