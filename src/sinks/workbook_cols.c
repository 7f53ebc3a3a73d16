/*
 * Writing one value into a cell, the way docs/workbook.md promises: numbers with the format
 * of their unit, times as real Excel dates, text made safe by cp_workbook_text(), and every
 * value Excel cannot hold (NaN, infinity, dates outside 1900-9999) left empty or written as
 * text, with a note for the Validation sheet.
 */
#include <math.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/timeutil.h"
#include "workbook_internal.h"

/* The failure of a workbook write, set once (the first one sticks). */
int wb_oom(struct wb *wb)
{
    if (!wb->rc)
        wb->rc = cp_error_oom(wb->err);
    return wb->rc;
}

int wb_lxw(struct wb *wb, lxw_error e, const char *what)
{
    if (e == LXW_NO_ERROR || wb->rc)
        return wb->rc;
    int code = CP_EINTERNAL;
    switch (e) {
    case LXW_ERROR_MEMORY_MALLOC_FAILED:
        return wb_oom(wb);
    case LXW_ERROR_CREATING_XLSX_FILE:
    case LXW_ERROR_CREATING_TMPFILE:
    case LXW_ERROR_READING_TMPFILE:
    case LXW_ERROR_ZIP_FILE_OPERATION:
    case LXW_ERROR_ZIP_FILE_ADD:
    case LXW_ERROR_ZIP_CLOSE:
        code = CP_ECANTCREAT;
        break;
    default:
        break;
    }
    wb->rc =
        cp_error_set(wb->err, code, "cannot write 'workbook.xlsx': %s (%s)", lxw_strerror(e), what);
    return wb->rc;
}

lxw_format *wb_num_format(struct wb *wb, const char *num_format)
{
    if (!num_format)
        return NULL;
    for (size_t i = 0; i < wb->nfmts; i++)
        if (strcmp(wb->fmts[i].num_format, num_format) == 0)
            return wb->fmts[i].fmt;
    if (wb->nfmts == sizeof wb->fmts / sizeof wb->fmts[0])
        return NULL; /* more formats than units exist: General is an acceptable fallback */
    lxw_format *f = workbook_add_format(wb->book);
    if (!f)
        return NULL;
    format_set_num_format(f, num_format);
    wb->fmts[wb->nfmts].num_format = num_format;
    wb->fmts[wb->nfmts++].fmt = f;
    return f;
}

/* Excel's calendar: 1900-01-01 .. 9999-12-31 23:59:59 (Unix seconds). */
#define EXCEL_FIRST_TIME (-2208988800LL)
#define EXCEL_LAST_TIME 253402300799LL
#define NOTE_EXAMPLES 5

const char *wb_note_text(enum wb_note_kind kind)
{
    switch (kind) {
    case WB_NOTE_NAN:
        return "NaN left empty";
    case WB_NOTE_INF:
        return "infinity left empty";
    case WB_NOTE_UTF8:
        return "invalid UTF-8 replaced by U+FFFD";
    case WB_NOTE_TRUNCATED:
        return "text cut to 32,767 characters (full text in the CSV files)";
    case WB_NOTE_DATE_RANGE:
        return "date outside Excel's 1900-9999 written as text";
    case WB_NOTE_ROWS:
        return "rows past Excel's limit left out (all rows in the CSV files)";
    case WB_NOTE_KINDS:
        break;
    }
    return "";
}

static int note_new(struct wb *wb, enum wb_note_kind kind, const char *sheet, const char *col)
{
    if (cp_grow((void **)&wb->notes, &wb->notes_cap, wb->nnotes + 1, sizeof *wb->notes) < 0)
        return -1;
    struct wb_note *n = &wb->notes[wb->nnotes];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    snprintf(n->where, sizeof n->where, "%s: %s", sheet, col ? col : "");
    return (int)wb->nnotes++;
}

int wb_note(struct wb *wb, struct wb_col *c, const char *sheet, enum wb_note_kind kind, long row,
            int col)
{
    int idx = c ? c->note[kind] : -1;
    if (idx < 0) {
        idx = note_new(wb, kind, sheet, c ? c->header : NULL);
        if (idx < 0)
            return wb_oom(wb);
        if (c)
            c->note[kind] = idx;
    }
    struct wb_note *n = &wb->notes[idx];
    if (n->count++ < NOTE_EXAMPLES && row >= 0) {
        char cell[LXW_MAX_CELL_NAME_LENGTH];
        size_t len = strlen(n->examples);
        lxw_rowcol_to_cell(cell, (lxw_row_t)row, (lxw_col_t)col);
        snprintf(n->examples + len, sizeof n->examples - len, "%s'%s'!%s", len ? ", " : "", sheet,
                 cell);
    }
    return 0;
}

void wb_col_init(struct wb_col *c, const char *header, const struct cp_column *src)
{
    memset(c, 0, sizeof *c);
    c->header = header;
    c->src = src;
    for (int k = 0; k < WB_NOTE_KINDS; k++)
        c->note[k] = -1;
}

/* Columns whose text holds dates ("start_date": "2024-03-01"): shown as real dates. */
static int is_date_name(const char *name)
{
    size_t n = strlen(name);
    return strcmp(name, "date") == 0 || (n > 5 && strcmp(name + n - 5, "_date") == 0) ||
           (n > 5 && strcmp(name + n - 5, "_time") == 0);
}

int wb_col_setup(struct wb *wb, struct wb_col *c)
{
    const char *nf = NULL;
    c->width = (double)strlen(c->header) + 3; /* room for the autofilter button */
    if (c->src && c->src->type == CP_TIME) {
        c->fmt =
            is_date_name(c->header) && strstr(c->header, "time") == NULL ? wb->date : wb->datetime;
        c->width = c->width > 20 ? c->width : 20;
        return 0;
    }
    if (c->src && c->src->type == CP_STR) {
        c->date_text = is_date_name(c->header);
        return 0;
    }
    nf = cp_workbook_num_format(c->header, c->src && c->src->type == CP_I64);
    c->fmt = wb_num_format(wb, nf);
    if (nf && !c->fmt)
        return wb_oom(wb);
    double w = nf ? (double)strlen(nf) + 5 : 12; /* sign, integer digits, a % sign */
    c->width = c->width > w ? c->width : w;
    return 0;
}

int wb_write_header(struct wb *wb, lxw_worksheet *ws, struct wb_col *cols, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned changes;
        const char *h = cp_workbook_text(cols[i].header, &wb->scratch, &changes);
        if (!h)
            return wb_oom(wb);
        int rc = wb_lxw(wb, worksheet_write_string(ws, 0, (lxw_col_t)i, h, wb->header), "header");
        if (rc)
            return rc;
    }
    return 0;
}

int wb_write_number(struct wb *wb, lxw_worksheet *ws, const char *sheet, struct wb_col *c, long row,
                    int col, double v)
{
    if (isnan(v))
        return c && c->quiet_nan ? 0 : wb_note(wb, c, sheet, WB_NOTE_NAN, row, col);
    if (isinf(v))
        return wb_note(wb, c, sheet, WB_NOTE_INF, row, col);
    return wb_lxw(wb, worksheet_write_number(ws, (lxw_row_t)row, (lxw_col_t)col, v, c->fmt),
                  "number");
}

static void track_width(struct wb_col *c, const char *s)
{
    size_t bytes = strlen(s);
    if ((double)bytes <= c->width || c->width >= WB_MAX_WIDTH)
        return;
    double w = (double)lxw_utf8_strlen(s) + 1;
    c->width = w > c->width ? w : c->width;
}

int wb_write_text(struct wb *wb, lxw_worksheet *ws, const char *sheet, struct wb_col *c, long row,
                  int col, const char *s)
{
    unsigned changes;
    const char *t = cp_workbook_text(s, &wb->scratch, &changes);
    if (!t)
        return wb_oom(wb);
    if ((changes & CP_WB_TEXT_UTF8) && wb_note(wb, c, sheet, WB_NOTE_UTF8, row, col))
        return wb->rc;
    if ((changes & CP_WB_TEXT_TRUNCATED) && wb_note(wb, c, sheet, WB_NOTE_TRUNCATED, row, col))
        return wb->rc;
    if (c)
        track_width(c, t);
    return wb_lxw(wb, worksheet_write_string(ws, (lxw_row_t)row, (lxw_col_t)col, t, NULL), "text");
}

int wb_write_time(struct wb *wb, lxw_worksheet *ws, const char *sheet, struct wb_col *c, long row,
                  int col, int64_t t, lxw_format *fmt)
{
    if (t < EXCEL_FIRST_TIME || t > EXCEL_LAST_TIME) {
        char iso[32];
        cp_format_time(t, iso, sizeof iso);
        if (wb_note(wb, c, sheet, WB_NOTE_DATE_RANGE, row, col))
            return wb->rc;
        return wb_lxw(wb, worksheet_write_string(ws, (lxw_row_t)row, (lxw_col_t)col, iso, NULL),
                      "date text");
    }
    return wb_lxw(wb, worksheet_write_unixtime(ws, (lxw_row_t)row, (lxw_col_t)col, t, fmt), "date");
}

/*
 * "YYYY-MM-DD" or "YYYY-MM-DD[T ]HH:MM:SS[Z]" that reads back as exactly what was written:
 * 1 with *t set, else 0 (the text is then kept as text).
 */
static int parse_text_date(const char *s, int64_t *t)
{
    size_t n = strlen(s);
    char back[32];
    if (n != 10 && n != 19 && !(n == 20 && s[19] == 'Z'))
        return 0;
    if (cp_parse_datetime(s, t) < 0)
        return 0;
    cp_format_time(*t, back, sizeof back); /* "YYYY-MM-DDTHH:MM:SSZ" */
    if (strncmp(back, s, 10) != 0)
        return 0;
    return n == 10 || strncmp(back + 11, s + 11, 8) == 0;
}

static int write_date_text(struct wb *wb, lxw_worksheet *ws, const char *sheet, struct wb_col *c,
                           long row, int col, const char *s)
{
    int64_t t;
    if (!parse_text_date(s, &t))
        return wb_write_text(wb, ws, sheet, c, row, col, s);
    int date_only = strlen(s) == 10;
    double w = date_only ? 12 : 20;
    c->width = c->width > w ? c->width : w;
    return wb_write_time(wb, ws, sheet, c, row, col, t, date_only ? wb->date : wb->datetime);
}

static void track_int_width(struct wb_col *c, int64_t v)
{
    double digits = v < 0 ? 2 : 1;
    for (int64_t a = v < 0 ? -(v / 10) : v / 10; a > 0; a /= 10)
        digits++;
    if (digits + 2 > c->width)
        c->width = digits + 2;
}

int wb_write_value(struct wb *wb, lxw_worksheet *ws, const char *sheet, struct wb_col *c, long row,
                   int col, size_t trow)
{
    const struct cp_column *s = c->src;
    switch (s->type) {
    case CP_F64:
        return wb_write_number(wb, ws, sheet, c, row, col, s->v.f64[trow]);
    case CP_I64:
        if (s->v.i64[trow] == CP_I64_NA)
            return 0;
        track_int_width(c, s->v.i64[trow]);
        return wb_lxw(wb,
                      worksheet_write_number(ws, (lxw_row_t)row, (lxw_col_t)col,
                                             (double)s->v.i64[trow], c->fmt),
                      "integer");
    case CP_TIME:
        if (s->v.i64[trow] == CP_I64_NA)
            return 0;
        return wb_write_time(wb, ws, sheet, c, row, col, s->v.i64[trow], c->fmt);
    case CP_STR:
        if (!s->v.str[trow])
            return 0;
        if (c->date_text)
            return write_date_text(wb, ws, sheet, c, row, col, s->v.str[trow]);
        return wb_write_text(wb, ws, sheet, c, row, col, s->v.str[trow]);
    }
    return 0;
}

int wb_finish_table(struct wb *wb, lxw_worksheet *ws, struct wb_col *cols, size_t n, long last_row,
                    int freeze_cols)
{
    for (size_t i = 0; i < n; i++) {
        double w = cols[i].width + 1;
        w = w > WB_MAX_WIDTH ? WB_MAX_WIDTH : w;
        int rc = wb_lxw(wb, worksheet_set_column(ws, (lxw_col_t)i, (lxw_col_t)i, w, NULL),
                        "column width");
        if (rc)
            return rc;
    }
    worksheet_freeze_panes(ws, 1, (lxw_col_t)freeze_cols);
    if (n == 0)
        return 0;
    return wb_lxw(wb, worksheet_autofilter(ws, 0, 0, (lxw_row_t)last_row, (lxw_col_t)(n - 1)),
                  "autofilter");
}
