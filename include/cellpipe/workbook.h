#ifndef CELLPIPE_WORKBOOK_H
#define CELLPIPE_WORKBOOK_H
/*
 * The Excel workbook sink (docs/workbook.md): `workbook.xlsx` in the staging folder, written
 * with libxlsxwriter. Sheets, in order: Summary, Cells, Fits, Cycles (continued on
 * "Cycles (2)", ... past Excel's row limit), Validation, Quarantine, Charts.
 *
 * Reads a struct cp_run and never changes it. Every value that Excel cannot hold as given
 * (NaN, infinity, invalid UTF-8, text over 32,767 characters, dates outside 1900-9999) is
 * written in a documented way and counted in a "workbook" note on the Validation sheet, so
 * the file is never one that Excel would have to "repair".
 *
 * Reproducible: with the same run (data and run->epoch) the XML parts are byte-identical.
 *
 * Errors: CP_ECANTCREAT when the file or its temporary files cannot be written, CP_EDATA when
 * the cycles need more than 64 sheets (67 M rows), CP_EINTERNAL when memory runs out or
 * libxlsxwriter rejects a call (a bug here). On error no file is left at path.
 */
#include <stddef.h>

#include "cellpipe/sink.h"

struct cp_error;
struct cp_strbuf;

extern const struct cp_sink_ops cp_sink_workbook;

/* Knobs for tests; the sink uses the defaults (all zero). */
struct cp_workbook_options {
    long sheet_rows; /* data rows per Cycles, Cells and Fits sheet; 0 = Excel's limit (1,048,575) */
};

/* Write the workbook for run at path (opt may be NULL). 0 or a negative CP_E* code. */
int cp_workbook_write(const struct cp_run *run, const char *path,
                      const struct cp_workbook_options *opt, struct cp_error *err);

/* What cp_workbook_text() changed in a string (bits). */
enum {
    CP_WB_TEXT_UTF8 = 1,      /* invalid UTF-8 (or U+FFFE/U+FFFF) replaced by U+FFFD */
    CP_WB_TEXT_ESCAPED = 2,   /* a literal "_xHHHH_" protected as "_x005F_xHHHH_" */
    CP_WB_TEXT_TRUNCATED = 4, /* cut to Excel's 32,767 characters */
    CP_WB_TEXT_CONTROL = 8    /* holds control characters (libxlsxwriter writes _xHHHH_) */
};

#define CP_WB_MAX_TEXT 32767 /* Excel's cell limit, in UTF-16 units */

/*
 * Make s safe for a cell: valid UTF-8, literal OOXML escapes protected, at most
 * CP_WB_MAX_TEXT characters. Returns s itself when nothing had to change (the common case,
 * no copy), else scratch->buf; NULL when memory runs out. *changes gets CP_WB_TEXT_* bits.
 */
const char *cp_workbook_text(const char *s, struct cp_strbuf *scratch, unsigned *changes);

/*
 * Append s to out as text for places that are not cells (chart titles, document properties),
 * where nothing would decode _xHHHH_: invalid UTF-8 becomes U+FFFD, control characters
 * (tab and newline included) a space, and at most max_chars characters are kept, never cutting
 * one in half. 0, or -1 when memory runs out.
 */
int cp_workbook_label(struct cp_strbuf *out, const char *s, size_t max_chars);

/*
 * A valid, unique sheet name for `name` into out (at least CP_WB_SHEET_NAME_MAX bytes):
 * []:*?/\ and control characters become '_', a leading or trailing apostrophe becomes '_',
 * at most 31 characters, "History" (reserved by Excel) becomes "History_", an empty name
 * becomes "Sheet"; a name already in used[] (compared ignoring ASCII case) gets " (2)",
 * " (3)", ... with the base shortened to fit. Returns 1 when the name had to change, else 0.
 */
#define CP_WB_SHEET_NAME_MAX 128
int cp_workbook_sheet_name(char *out, const char *name, const char *const *used, size_t nused);

/* Excel number format for a column, chosen by its unit (docs/workbook.md), or NULL for
 * "General". `is_int` says the column holds integers. */
const char *cp_workbook_num_format(const char *column, int is_int);

#endif
