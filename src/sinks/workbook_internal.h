#ifndef CELLPIPE_WORKBOOK_INTERNAL_H
#define CELLPIPE_WORKBOOK_INTERNAL_H
/*
 * Shared by src/sinks/workbook*.c only: the state of one workbook being written.
 * workbook.c opens and closes the book and writes Summary; workbook_tables.c writes the
 * tabular sheets; workbook_charts.c the Charts sheet.
 *
 * Error handling: every libxlsxwriter status goes through wb_lxw() (the one place an
 * lxw_error is translated); the first failure is kept in wb->err and returned as a negative
 * CP_E* code, and later calls return it too.
 */
#include <stddef.h>
#include <stdint.h>
#include <xlsxwriter.h>

#include "cellpipe/run.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/workbook.h"

/* The deflate level of the zips this thread writes from now on (1-9; 0: the library's own
 * level and deflate), and how many threads may compress each entry besides this one (0: this
 * thread alone); workbook_zip.c. */
void wb_zip_set_level(int level, int workers);

/* One zip entry deflated on several threads (workbook_deflate.c): bytes in with
 * wb_deflate_write, compressed bytes out in order through emit, on the calling thread. */
typedef int (*wb_deflate_emit_fn)(void *ctx, const void *buf, size_t len); /* 0 or -1 */
struct wb_deflate;
struct wb_deflate *wb_deflate_open(int level, int workers, wb_deflate_emit_fn emit, void *ctx);
int wb_deflate_write(struct wb_deflate *d, const void *buf, size_t len);     /* 0, -1 */
int wb_deflate_finish(struct wb_deflate *d, uint64_t *total, uint32_t *crc); /* 0, -1 */
void wb_deflate_free(struct wb_deflate *d);

/* Whether this thread's number cells skip libc's %.16G (workbook_numbers.c). */
void wb_numbers_set_fast(int on);
/* How many number cells this thread has had formatted there. */
uint64_t wb_numbers_written(void);

/* v as printf's "%.16G" prints it, into out (WB_NUMBER_MAX bytes, not terminated); returns the
 * length. */
#define WB_NUMBER_MAX 32
size_t wb_format_16g(double v, char *out);

#define WB_MAX_ROW 1048575L /* last zero-based row Excel has */
#define WB_MAX_WIDTH 60.0
#define WB_MAX_SHEETS 64

/* What the Validation sheet says about values the workbook had to change. */
enum wb_note_kind {
    WB_NOTE_NAN,
    WB_NOTE_INF,
    WB_NOTE_UTF8,
    WB_NOTE_TRUNCATED,
    WB_NOTE_DATE_RANGE,
    WB_NOTE_ROWS,
    WB_NOTE_KINDS
};

struct wb_note {
    enum wb_note_kind kind;
    char where[96]; /* "Cycles: discharge_capacity_ah" */
    long long count;
    char examples[120]; /* first few cell references */
};

struct wb_fmt_cache {
    const char *num_format; /* NULL = General */
    lxw_format *fmt;
};

/* One column of a sheet being written. */
struct wb_col {
    const char *header;
    const struct cp_column *src; /* table column, or NULL for computed values */
    lxw_format *fmt;
    int date_text;           /* strings holding dates: written as Excel dates */
    int quiet_nan;           /* NaN means "not computed" here: empty, no note */
    double width;            /* widest value so far, in characters */
    int note[WB_NOTE_KINDS]; /* index into wb->notes, -1 when none yet */
};

/* Where one cell's cycles landed (for the charts). */
struct wb_span {
    int sheet;      /* index into wb->cycles_ws, -1 when none */
    long first_row; /* zero-based worksheet row */
    long rows;
};

/*
 * A table sheet that continues on "Name (2)", "Name (3)", ... every sheet_rows data rows
 * (Cells, Fits). The number of sheets is planned from the row count before any is added, so a
 * fleet too big for the workbook fails before the run spends time on it.
 */
struct wb_pages {
    lxw_worksheet *ws[WB_MAX_SHEETS];
    char names[WB_MAX_SHEETS][CP_WB_SHEET_NAME_MAX];
    int n;
};

struct wb {
    const struct cp_run *run;
    struct cp_error *err;
    int rc; /* first failure, negative CP_E* code */
    lxw_workbook *book;
    long sheet_rows; /* data rows per Cycles, Cells and Fits sheet */

    lxw_worksheet *summary, *statistics, *validation, *quarantine, *charts;
    lxw_worksheet *models, *predictions; /* when the run has models: */
    struct wb_pages cells, fits;
    lxw_worksheet *cycles_ws[WB_MAX_SHEETS];
    char cycles_names[WB_MAX_SHEETS][CP_WB_SHEET_NAME_MAX];
    int ncycles_ws;
    const char *sheet_names[3 * WB_MAX_SHEETS + 8];
    size_t nsheet_names;

    struct wb_span *spans; /* one per group of run->data.cycles */
    size_t nspans;
    int col_cycle_index, col_retention, col_cell_id; /* in the Cycles sheets, -1 absent */
    size_t *cycles_cols; /* columns of run->data.cycles on the Cycles sheets, in order */
    size_t ncycles_cols;

    lxw_format *header, *title, *label, *date, *datetime, *link, *wrap;
    lxw_format *fill_flag, *fill_eol, *fill_bad, *fill_best;
    struct wb_fmt_cache fmts[48];
    size_t nfmts;

    struct wb_note *notes;
    size_t nnotes, notes_cap;
    struct cp_strbuf scratch;
    long long cycles_written;
};

/* Translate an lxw_error (0 passes); returns wb->rc. `what` names the call. */
int wb_lxw(struct wb *wb, lxw_error e, const char *what);
int wb_oom(struct wb *wb);
/* A cached format with this number format (NULL: General); NULL when out of memory. */
lxw_format *wb_num_format(struct wb *wb, const char *num_format);

/* Count a changed value at (row, col) of sheet; returns 0 or wb->rc. */
int wb_note(struct wb *wb, struct wb_col *c, const char *sheet, enum wb_note_kind kind, long row,
            int col);

/* Column setup and writing. */
void wb_col_init(struct wb_col *c, const char *header, const struct cp_column *src);
int wb_col_setup(struct wb *wb, struct wb_col *c); /* format by unit, width from header */
int wb_write_header(struct wb *wb, lxw_worksheet *ws, struct wb_col *cols, size_t n);
/* Write row `trow` of c->src at (row, col). */
int wb_write_value(struct wb *wb, lxw_worksheet *ws, const char *sheet, struct wb_col *c, long row,
                   int col, size_t trow);
int wb_write_number(struct wb *wb, lxw_worksheet *ws, const char *sheet, struct wb_col *c, long row,
                    int col, double v);
int wb_write_text(struct wb *wb, lxw_worksheet *ws, const char *sheet, struct wb_col *c, long row,
                  int col, const char *s);
/* Unix seconds as an Excel date with fmt; outside 1900-9999 as ISO text with a note. */
int wb_write_time(struct wb *wb, lxw_worksheet *ws, const char *sheet, struct wb_col *c, long row,
                  int col, int64_t t, lxw_format *fmt);
/* Widths, frozen header, autofilter over rows [0, last_row]. */
int wb_finish_table(struct wb *wb, lxw_worksheet *ws, struct wb_col *cols, size_t n, long last_row,
                    int freeze_cols);

/* Zero-based table row r of a paged sheet: its sheet index and its worksheet row (1-based). */
static inline int wb_page_row(const struct wb *wb, size_t r, long *row)
{
    *row = (long)(r % (size_t)wb->sheet_rows) + 1;
    return (int)(r / (size_t)wb->sheet_rows);
}

/* Data rows on sheet s of a paged table of `rows` rows. */
static inline long wb_page_rows(const struct wb *wb, size_t rows, int s)
{
    size_t before = (size_t)s * (size_t)wb->sheet_rows;
    size_t left = rows > before ? rows - before : 0;
    return (long)(left < (size_t)wb->sheet_rows ? left : (size_t)wb->sheet_rows);
}

/* The sheets. */
int wb_plan_cycles(struct wb *wb); /* adds the Cycles sheets (called in sheet order) */
int wb_sheet_cells(struct wb *wb);
int wb_sheet_fits(struct wb *wb);
int wb_sheet_statistics(struct wb *wb); /* only when the statistics stage ran */
int wb_sheet_models(struct wb *wb);     /* Models and Predictions, when the run has models */
/* Every column of t under its own name, empty where NaN (a `note` column explains). */
struct cp_table;
int wb_table_sheet(struct wb *wb, lxw_worksheet *ws, const char *sheet, const struct cp_table *t);
int wb_sheet_cycles(struct wb *wb);
int wb_sheet_validation(struct wb *wb);
int wb_sheet_quarantine(struct wb *wb);
int wb_sheet_charts(struct wb *wb);
int wb_sheet_summary(struct wb *wb);

/* Helpers shared by the sheets. */
/* A formula conditional format over rows [1, last_row] of columns [first_col, last_col]. */
int wb_add_rule(struct wb *wb, lxw_worksheet *ws, long last_row, int first_col, int last_col,
                const char *formula, lxw_format *fmt);
const char *wb_model_name(int model);
const char *wb_model_equation(int model);
const char *wb_rule_name(int kind);
const char *wb_policy_name(int policy);
const char *wb_note_text(enum wb_note_kind kind);

#endif
