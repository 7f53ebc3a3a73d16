/*
 * The Charts sheet: one native Excel chart per group of cells (the fleet grouping column,
 * design_name by default), capacity retention against cycle, one line per cell. A chart shows
 * at most cfg->workbook.max_series lines, the cells picked evenly through the group's sorted
 * cell ids so the spread of the group stays visible; the title says "12 of 40 cells".
 *
 * Series are ranges of the Cycles sheets, not copies: the chart and the table cannot
 * disagree, and a filter on the data does not move the lines. The chart type is Excel's
 * "XY scatter with straight lines", the line chart whose x axis is a number (cycle) rather
 * than a category, so cells with different cycle counts share one axis.
 */
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "workbook_internal.h"

#define CHART_ROWS 20 /* worksheet rows between chart anchors */
#define DEFAULT_SERIES 12

struct member {
    const char *group;
    size_t result; /* index into run->results */
};

static int member_cmp(const void *a, const void *b)
{
    const struct member *x = a, *y = b;
    int c = strcmp(x->group, y->group);
    if (c)
        return c;
    return x->result < y->result ? -1 : x->result > y->result;
}

static char **group_column(const struct cp_run *run)
{
    const struct cp_table *cells = run->data.cells;
    const char *want = run->cfg->fits.fleet_group ? run->cfg->fits.fleet_group : "design_name";
    char **v = cells ? cp_table_str(cells, want) : NULL;
    return v ? v : (cells ? cp_table_str(cells, "design_name") : NULL);
}

/* Cells that have cycles on a Cycles sheet, sorted by group then cell order. */
static struct member *collect(struct wb *wb, size_t *n)
{
    const struct cp_run *run = wb->run;
    char **groups = group_column(run);
    struct member *m = cp_calloc(run->nresults ? run->nresults : 1, sizeof *m);
    *n = 0;
    if (!m)
        return NULL;
    for (size_t i = 0; i < run->nresults; i++) {
        const struct cp_cell_result *r = &run->results[i];
        if (r->group < 0 || (size_t)r->group >= wb->nspans || wb->spans[r->group].rows == 0)
            continue;
        const char *g = groups && r->cells_row >= 0 ? groups[r->cells_row] : NULL;
        m[(*n)++] = (struct member){.group = g ? g : "All cells", .result = i};
    }
    qsort(m, *n, sizeof *m, member_cmp);
    return m;
}

static int add_series(struct wb *wb, lxw_chart *chart, const struct wb_span *sp)
{
    const char *sheet = wb->cycles_names[sp->sheet];
    long last = sp->first_row + sp->rows - 1;
    if (last > wb->sheet_rows)
        last = wb->sheet_rows; /* a cell longer than a sheet: its first sheet's part */
    lxw_chart_series *s = chart_add_series(chart, NULL, NULL);
    if (!s)
        return wb_oom(wb);
    lxw_row_t r0 = (lxw_row_t)sp->first_row, r1 = (lxw_row_t)last;
    lxw_col_t cx = (lxw_col_t)wb->col_cycle_index, cy = (lxw_col_t)wb->col_retention;
    chart_series_set_categories(s, sheet, r0, cx, r1, cx);
    chart_series_set_values(s, sheet, r0, cy, r1, cy);
    if (wb->col_cell_id >= 0) /* the name is the cell_id cell itself: no text to escape */
        chart_series_set_name_range(s, sheet, r0, (lxw_col_t)wb->col_cell_id);
    lxw_chart_line line = {.width = 1.25};
    chart_series_set_line(s, &line);
    return 0;
}

static int chart_title(struct wb *wb, lxw_chart *chart, const char *group, size_t shown,
                       size_t total)
{
    struct cp_strbuf title = CP_STRBUF_INIT;
    int rc = 0;
    cp_strbuf_init(&title);
    /* the fixed prefix also keeps a group named "=..." from being read as a formula */
    if (cp_strbuf_adds(&title, "Capacity retention: ") < 0 ||
        cp_workbook_label(&title, group, 120) < 0 ||
        (shown < total && cp_strbuf_addf(&title, " (%zu of %zu cells)", shown, total) < 0))
        rc = wb_oom(wb);
    else
        chart_title_set_name(chart, title.buf);
    cp_strbuf_release(&title);
    return rc;
}

static lxw_chart *new_chart(struct wb *wb)
{
    lxw_chart *chart = workbook_add_chart(wb->book, LXW_CHART_SCATTER_STRAIGHT);
    if (!chart)
        return NULL;
    chart_axis_set_name(chart->x_axis, "Cycle");
    chart_axis_set_name(chart->y_axis, "Capacity retention");
    chart_axis_set_num_format(chart->y_axis, "0%");
    chart_legend_set_position(chart, LXW_CHART_LEGEND_RIGHT);
    return chart;
}

/* One group's chart, anchored at `row` of the Charts sheet. */
static int group_chart(struct wb *wb, const struct member *m, size_t n, long row)
{
    const struct cp_run *run = wb->run;
    size_t max =
        run->cfg->workbook.max_series > 0 ? (size_t)run->cfg->workbook.max_series : DEFAULT_SERIES;
    size_t shown = n < max ? n : max;
    lxw_chart *chart = new_chart(wb);
    if (!chart)
        return wb_oom(wb);
    for (size_t k = 0; k < shown; k++) {
        size_t pick = shown == n || shown == 1 ? k : (k * (n - 1) + (shown - 1) / 2) / (shown - 1);
        const struct cp_cell_result *r = &run->results[m[pick].result];
        int rc = add_series(wb, chart, &wb->spans[r->group]);
        if (rc)
            return rc;
    }
    int rc = chart_title(wb, chart, m[0].group, shown, n);
    if (rc)
        return rc;
    lxw_chart_options opt = {.x_scale = 1.5, .y_scale = 1.25};
    return wb_lxw(wb, worksheet_insert_chart_opt(wb->charts, (lxw_row_t)row, 0, chart, &opt),
                  "chart");
}

static const char *const index_headers[] = {"group", "cells", "cells shown", "chart"};

static int index_row(struct wb *wb, struct wb_col *cols, long row, const struct member *m, size_t n,
                     long anchor)
{
    size_t max = wb->run->cfg->workbook.max_series > 0 ? (size_t)wb->run->cfg->workbook.max_series
                                                       : DEFAULT_SERIES;
    char url[64];
    int rc = wb_write_text(wb, wb->charts, "Charts", &cols[0], row, 0, m->group);
    if (!rc)
        rc = wb_write_number(wb, wb->charts, "Charts", &cols[1], row, 1, (double)n);
    if (!rc)
        rc = wb_write_number(wb, wb->charts, "Charts", &cols[2], row, 2,
                             (double)(n < max ? n : max));
    snprintf(url, sizeof url, "internal:Charts!A%ld", anchor + 1);
    if (!rc)
        rc = wb_lxw(wb,
                    worksheet_write_url_opt(wb->charts, (lxw_row_t)row, 3, url, wb->link,
                                            "go to chart", NULL),
                    "link");
    return rc;
}

static int write_charts(struct wb *wb, struct wb_col *cols, const struct member *m, size_t n)
{
    size_t ngroups = 0;
    for (size_t i = 0; i < n; i++)
        ngroups += i == 0 || strcmp(m[i].group, m[i - 1].group) != 0;
    long first_anchor = (long)ngroups + 3, row = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && strcmp(m[j].group, m[i].group) == 0)
            j++;
        long anchor = first_anchor + row * CHART_ROWS;
        int rc = index_row(wb, cols, row + 1, &m[i], j - i, anchor);
        if (!rc)
            rc = group_chart(wb, &m[i], j - i, anchor);
        if (rc)
            return rc;
        row++;
        i = j;
    }
    return wb_finish_table(wb, wb->charts, cols, 4, (long)ngroups, 0);
}

int wb_sheet_charts(struct wb *wb)
{
    struct wb_col cols[4];
    size_t n = 0;
    int rc;
    if (!wb->charts)
        return 0;
    for (size_t k = 0; k < 4; k++) {
        wb_col_init(&cols[k], index_headers[k], NULL);
        if ((rc = wb_col_setup(wb, &cols[k])))
            return rc;
    }
    cols[1].fmt = cols[2].fmt = wb_num_format(wb, "0");
    cols[3].width = 14;
    if ((rc = wb_write_header(wb, wb->charts, cols, 4)))
        return rc;
    if (wb->col_cycle_index < 0 || wb->col_retention < 0 || wb->ncycles_ws == 0)
        return wb_finish_table(wb, wb->charts, cols, 4, 0, 0);
    struct member *m = collect(wb, &n);
    if (!m)
        return wb_oom(wb);
    rc = write_charts(wb, cols, m, n);
    cp_free(m);
    return rc;
}
