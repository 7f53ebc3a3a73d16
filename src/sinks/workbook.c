/*
 * The workbook sink: opens workbook.xlsx with libxlsxwriter, adds the sheets in their fixed
 * order, has each written (workbook_*.c) and closes the file. See docs/workbook.md.
 *
 * Sheets are all added first, because their order is the order of creation, then written
 * data first and Summary last, since Summary reports what the others found. In
 * constant_memory mode every sheet streams its rows to its own temporary file, so writing
 * sheets one after another (each in row order) is allowed.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/log.h"
#include "cellpipe/ml_run.h"
#include "cellpipe/pool.h"
#include "workbook_internal.h"

/* Excel's built-in "Good", "Neutral" and "Bad" colours, which readers already know. */
static lxw_format *fill_format(lxw_workbook *book, lxw_color_t bg, lxw_color_t font)
{
    lxw_format *f = workbook_add_format(book);
    if (f) {
        format_set_bg_color(f, bg);
        format_set_font_color(f, font);
    }
    return f;
}

static int add_formats(struct wb *wb)
{
    lxw_workbook *b = wb->book;
    if (!(wb->header = workbook_add_format(b)) || !(wb->title = workbook_add_format(b)) ||
        !(wb->label = workbook_add_format(b)) || !(wb->date = workbook_add_format(b)) ||
        !(wb->datetime = workbook_add_format(b)) || !(wb->wrap = workbook_add_format(b)))
        return wb_oom(wb);
    format_set_bold(wb->header);
    format_set_bottom(wb->header, LXW_BORDER_THIN);
    format_set_bg_color(wb->header, 0xF2F2F2);
    format_set_bold(wb->title);
    format_set_font_size(wb->title, 14);
    format_set_bold(wb->label);
    format_set_num_format(wb->date, "yyyy-mm-dd");
    format_set_num_format(wb->datetime, "yyyy-mm-dd hh:mm:ss");
    format_set_text_wrap(wb->wrap);
    format_set_align(wb->wrap, LXW_ALIGN_VERTICAL_TOP);
    wb->link = workbook_get_default_url_format(b);
    wb->fill_flag = fill_format(b, 0xFFEB9C, 0x9C5700);
    wb->fill_eol = fill_format(b, 0xFFC7CE, 0x9C0006);
    wb->fill_bad = fill_format(b, 0xFFC7CE, 0x9C0006);
    wb->fill_best = fill_format(b, 0xC6EFCE, 0x006100);
    if (!wb->fill_flag || !wb->fill_eol || !wb->fill_bad || !wb->fill_best)
        return wb_oom(wb);
    return 0;
}

static lxw_worksheet *add_sheet(struct wb *wb, const char *want, char *name_out)
{
    char name[CP_WB_SHEET_NAME_MAX];
    char *keep = name_out ? name_out : name;
    if (wb->nsheet_names >= sizeof wb->sheet_names / sizeof wb->sheet_names[0]) {
        wb->rc = cp_error_set(wb->err, CP_EINTERNAL, "too many sheets in 'workbook.xlsx'");
        return NULL;
    }
    cp_workbook_sheet_name(keep, want, wb->sheet_names, wb->nsheet_names);
    lxw_worksheet *ws = workbook_add_worksheet(wb->book, keep);
    if (!ws) {
        wb_oom(wb);
        return NULL;
    }
    /* libxlsxwriter keeps its own copy of the name, which lives as long as the book */
    wb->sheet_names[wb->nsheet_names++] = ws->name;
    return ws;
}

/* The sheets a table of `rows` rows needs (one even when empty, for its header). */
static int add_pages(struct wb *wb, struct wb_pages *p, const char *name, size_t rows)
{
    size_t n = rows ? (rows - 1) / (size_t)wb->sheet_rows + 1 : 1;
    if (n > WB_MAX_SHEETS)
        return wb->rc = cp_error_set(wb->err, CP_EDATA,
                                     "cannot write 'workbook.xlsx': %zu %s rows need more than "
                                     "%d sheets",
                                     rows, name, WB_MAX_SHEETS);
    for (p->n = 0; p->n < (int)n; p->n++)
        if (!(p->ws[p->n] = add_sheet(wb, name, p->names[p->n])))
            return wb->rc ? wb->rc : wb_oom(wb);
    return 0;
}

/* Rows of the Cells sheet (one per cell: cp_cells_table()) and of Fits (one per cell and
 * configured model), as wb_sheet_cells() and wb_sheet_fits() write them. */
static size_t cells_rows(const struct cp_run *run)
{
    if (run->nresults > 0)
        return run->nresults;
    return run->data.cells ? run->data.cells->nrows : 0;
}

static size_t fits_rows(const struct cp_run *run)
{
    size_t models = 0;
    for (int m = 0; m < CP_MODEL_COUNT; m++)
        models += run->cfg->fits.models[m] != 0;
    return run->nresults * models;
}

static int add_sheets(struct wb *wb)
{
    const struct cp_workbook_config *wc = &wb->run->cfg->workbook;
    int rc;
    if (!(wb->summary = add_sheet(wb, "Summary", NULL)))
        return wb->rc ? wb->rc : wb_oom(wb);
    if ((rc = add_pages(wb, &wb->cells, "Cells", cells_rows(wb->run))) ||
        (rc = add_pages(wb, &wb->fits, "Fits", fits_rows(wb->run))))
        return rc;
    if (wb->run->statistics && !(wb->statistics = add_sheet(wb, "Statistics", NULL)))
        return wb->rc ? wb->rc : wb_oom(wb);
    if (wb->run->ml && wb->run->ml->n > 0 &&
        (!(wb->models = add_sheet(wb, "Models", NULL)) ||
         !(wb->predictions = add_sheet(wb, "Predictions", NULL))))
        return wb->rc ? wb->rc : wb_oom(wb);
    if (wc->cycles_sheet) {
        rc = wb_plan_cycles(wb);
        if (rc)
            return rc;
        for (int i = 0; i < wb->ncycles_ws; i++)
            if (!(wb->cycles_ws[i] = add_sheet(wb, "Cycles", wb->cycles_names[i])))
                return wb->rc ? wb->rc : wb_oom(wb);
    }
    if (!(wb->validation = add_sheet(wb, "Validation", NULL)) ||
        !(wb->quarantine = add_sheet(wb, "Quarantine", NULL)))
        return wb->rc ? wb->rc : wb_oom(wb);
    if (wc->charts && !(wb->charts = add_sheet(wb, "Charts", NULL)))
        return wb->rc ? wb->rc : wb_oom(wb);
    return 0;
}

/* Title, subject and a fixed creation time: the same run gives the same docProps/core.xml. */
static int set_properties(struct wb *wb)
{
    const struct cp_run *run = wb->run;
    struct cp_strbuf title = CP_STRBUF_INIT, comments = CP_STRBUF_INIT;
    int rc = 0;
    cp_strbuf_init(&title);
    cp_strbuf_init(&comments);
    if (cp_strbuf_adds(&title, "cellpipe report: ") < 0 ||
        cp_workbook_label(&title, run->cfg->name ? run->cfg->name : "pipeline", 200) < 0 ||
        cp_strbuf_addf(&title, " %s", run->date) < 0 ||
        cp_workbook_label(&comments, run->cfg->description ? run->cfg->description : "", 2000) <
            0) {
        rc = wb_oom(wb);
        goto cleanup;
    }
    lxw_doc_properties props = {
        .title = title.buf,
        .subject = "Battery cycling report",
        .author = "cellpipe",
        .keywords = "battery, cycling, degradation",
        .comments = comments.buf,
        .created = (time_t)run->epoch,
    };
    rc = wb_lxw(wb, workbook_set_properties(wb->book, &props), "document properties");
cleanup:
    cp_strbuf_release(&title);
    cp_strbuf_release(&comments);
    return rc;
}

static int write_sheets(struct wb *wb)
{
    int (*const steps[])(struct wb *) = {
        wb_sheet_cells,  wb_sheet_fits,       wb_sheet_statistics,
        wb_sheet_models, wb_sheet_cycles,     wb_sheet_quarantine,
        wb_sheet_charts, wb_sheet_validation, wb_sheet_summary,
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        int rc = steps[i](wb);
        if (rc)
            return rc;
    }
    return 0;
}

static void log_done(const struct wb *wb)
{
    long long changed = 0;
    for (size_t i = 0; i < wb->nnotes; i++)
        changed += wb->notes[i].count;
    cp_log(CP_LOG_INFO, "stage=workbook sheets=%zu cycle_rows=%lld cycle_sheets=%d changed=%lld",
           wb->nsheet_names, wb->cycles_written, wb->ncycles_ws, changed);
}

static void wb_release(struct wb *wb)
{
    if (wb->book)
        lxw_workbook_free(wb->book);
    wb->book = NULL;
    cp_free(wb->spans);
    cp_free(wb->cycles_cols);
    cp_free(wb->notes);
    cp_strbuf_release(&wb->scratch);
}

/* Threads that deflate the package's big entries besides the closing one: the cores (or
 * report.threads), none when the report is to be written one thing at a time. */
static int deflate_workers(const struct cp_run *run)
{
    long t = run->cfg->report.threads;
    if (t == 1)
        return 0;
    return (int)(t > 0 ? t : cp_pool_cores());
}

/* Temporary sheet files go next to the output, on the disk that will hold the report. */
static int make_tmpdir(const char *path, char **out, struct cp_error *err)
{
    struct cp_strbuf t = CP_STRBUF_INIT;
    cp_strbuf_init(&t);
    if (cp_strbuf_addf(&t, "%s.tmp.d", path) < 0)
        return cp_error_oom(err);
    *out = cp_strbuf_detach(&t);
    if (cp_fs_mkdirs(*out) < 0)
        return cp_error_errno(err, CP_ECANTCREAT, "cannot create '%s'", *out);
    return 0;
}

int cp_workbook_write(const struct cp_run *run, const char *path,
                      const struct cp_workbook_options *opt, struct cp_error *err)
{
    struct wb wb = {
        .run = run, .err = err, .col_cycle_index = -1, .col_retention = -1, .col_cell_id = -1};
    char *tmpdir = NULL;
    int rc = 0;
    cp_strbuf_init(&wb.scratch);
    wb.sheet_rows = opt && opt->sheet_rows > 0 ? opt->sheet_rows : WB_MAX_ROW;
    if (wb.sheet_rows > WB_MAX_ROW)
        wb.sheet_rows = WB_MAX_ROW;
    lxw_workbook_options lo = {.constant_memory = run->cfg->workbook.constant_memory != 0,
                               .use_zip64 = 1};
    if (lo.constant_memory && (rc = make_tmpdir(path, &tmpdir, err)))
        goto cleanup;
    lo.tmpdir = tmpdir;
    wb.book = workbook_new_opt(path, &lo);
    if (!wb.book) {
        rc = cp_error_set(err, CP_ECANTCREAT, "cannot create '%s'", path);
        goto cleanup;
    }
    wb_numbers_set_fast(1);
    if ((rc = set_properties(&wb)) || (rc = add_formats(&wb)) || (rc = add_sheets(&wb)) ||
        (rc = write_sheets(&wb)))
        goto cleanup;
    wb_zip_set_level((int)run->cfg->workbook.compression, deflate_workers(run));
    lxw_error e = workbook_close(wb.book);
    wb_zip_set_level(0, 0);
    wb.book = NULL; /* closed and freed, whatever the status */
    if ((rc = wb_lxw(&wb, e, "close")) == 0)
        log_done(&wb);
cleanup:
    wb_numbers_set_fast(0);
    wb_release(&wb);
    if (tmpdir)
        cp_fs_rmtree(tmpdir);
    cp_free(tmpdir);
    if (rc)
        unlink(path);
    return rc;
}

static int sink_enabled(const struct cp_run *run)
{
    return run->cfg->workbook.enabled;
}

/* The runner times the sink; this only says where it went. */
static int sink_write(struct cp_run *run, struct cp_error *err)
{
    char *path = cp_run_path(run, "workbook.xlsx");
    if (!path)
        return cp_error_oom(err);
    int rc = cp_workbook_write(run, path, NULL, err);
    cp_free(path);
    return rc;
}

const struct cp_sink_ops cp_sink_workbook = {
    .name = "workbook",
    .phase = CP_SINK_STAGED,
    .enabled = sink_enabled,
    .write = sink_write,
};
