#ifndef CELLPIPE_TABREAD_H
#define CELLPIPE_TABREAD_H
/*
 * The table-reading engine behind the text cycler readers (src/sources/files/tabread.c).
 * A reader describes its format as a `struct cp_tabspec`: which header names (as cp_colkey()
 * keys) feed which variable, which variables are required, and optional hooks for the
 * preamble (metadata lines before the header), the state column and per-row fixes. The
 * engine then:
 *   1. finds the header: the first line (within header_max_lines) whose fields map every
 *      required variable; the delimiter is guessed per line (tab, ';', ','); a header wrapped
 *      whole in double quotes (Novonix) makes every wrapped line unwrapped first; a UTF-8 BOM
 *      is dropped;
 *   2. converts units: the unit in the header ("(mA)", "/mA.h", "[s]") wins over the spec's
 *      default scale;
 *   3. streams the rows into a time series (include/cellpipe/ts.h), which appends per-cycle
 *      rows to out->cycles;
 *   4. checks units (include/cellpipe/plausible.h): the voltage column's first non-zero value
 *      settles its unit (millivolts in a column declared or defaulted as volts are converted,
 *      logged and noted in out->columns' `note`); a voltage beyond 6 V is then refused
 *      ("path:line: check voltage_range: ..."); a signed current against the row's step type
 *      is marked for the `plausibility` column.
 * Errors (CP_EDATA, "path:line: ..."): empty file, binary file, no header with the required
 * columns, a header naming a column twice ("duplicate column 'X'"), a row with fewer fields than
 * the mapped columns need (truncated when it is the last line), a mapped value that is not a number
 * or not a date. CP_ENOINPUT: missing file.
 */
#include "cellpipe/reader.h"
#include "cellpipe/textread.h" /* cp_parse_duration */
#include "cellpipe/ts.h"

enum cp_var {
    CP_V_CYCLE,
    CP_V_STEP,
    CP_V_TIME,    /* test time, seconds after scaling; "d hh:mm:ss" durations accepted */
    CP_V_STAMP,   /* date/time text (cp_parse_stamp), or a number = Unix epoch seconds */
    CP_V_CURRENT, /* A after scaling, sign per spec (charge positive unless a state says) */
    CP_V_VOLTAGE,
    CP_V_QC, /* charge capacity counter, Ah */
    CP_V_QD,
    CP_V_EC, /* charge energy counter, Wh */
    CP_V_ED,
    CP_V_Q,     /* one unsigned capacity counter; direction from state or current */
    CP_V_E,     /* one unsigned energy counter */
    CP_V_STATE, /* text: step type / state (C, D, R, CC_Chg ...) */
    CP_V_TEMP,
    CP_V_IR,
    CP_V_COUNT
};

#define CP_BIT(v) (1u << (v))

struct cp_colmap {
    enum cp_var var;
    /* space-separated cp_colkey() keys, first match in header order wins. A key written
     * "key:unit" (cp_colkey unit, e.g. "chargecapacity:mwh") matches only a header with that
     * unit, before any plain key, and then `scale` applies instead of the header's unit. */
    const char *keys;
    double scale; /* used when the header carries no unit, e.g. 60 for "Test (Min)" */
};

struct cp_tabread;

struct cp_tabspec {
    const char *format;
    const struct cp_colmap *map;  /* terminated by keys == NULL */
    unsigned required;            /* CP_BIT() of the variables that must map */
    int header_max_lines;         /* 0: 200 */
    enum cp_ts_counting counting; /* how counter resets add up (ts.h) */
    /* {"_timeseries", "_cycle_data"}: when the file name with the first suffix replaced by the
     * second names an existing file (the cycler's own per-cycle file for the same cell), the
     * series is read and checked but adds no cycle rows. {NULL, NULL}: always add them. */
    const char *summary_sibling[2];
    /* A line before the header (metadata). 0, or negative code to stop. */
    int (*preamble)(struct cp_tabread *tr, char *line, struct cp_error *err);
    /* Direction from the state text: +1 charge, -1 discharge, 0 rest, 2 unknown. */
    int (*direction)(const char *state);
    /* Before parsing a row: 0 to parse it, 1 to skip it (a hierarchical export's cycle or step
     * row, after the hook took its context with cp_tabread_context()), negative code. */
    int (*classify)(struct cp_tabread *tr, char **fields, int nf, struct cp_error *err);
    /* Last fix of a point (fields are the split row). 0, 1 to skip the row, negative code. */
    int (*fixup)(struct cp_tabread *tr, char **fields, int nf, struct cp_ts_point *p,
                 struct cp_error *err);
    /* A data line that starts a new test (a restarted test appended to the file: Novonix's
     * second "[Summary]"): 1 or 0. The rest is read as the cell's next test, cell id
     * "<id>_test<N>" (N = 2, 3 ...; cells column restart_of = <id>), from its own header. */
    int (*restart)(const char *line);
};

/* Read path with spec into out. 0 or a negative code (err set). */
int cp_tabread_run(const struct cp_tabspec *spec, const char *path, struct cp_reader_out *out,
                   struct cp_error *err);

/* For hooks: record cell metadata key = value (copied into the cell's row of out->cells). */
int cp_tabread_meta(struct cp_tabread *tr, const char *key, const char *value);
/* For hooks: the date (Unix seconds at 00:00 UTC) that time-only stamps belong to. */
void cp_tabread_set_day(struct cp_tabread *tr, double day);
/* For hooks: cycle, step and state that apply to the following rows when they hold none
 * (hierarchical exports). CP_I64_NA and NULL keep the current value; state is copied
 * (truncated to 31 bytes). */
void cp_tabread_context(struct cp_tabread *tr, int64_t cycle, int64_t step, const char *state);
const char *cp_tabread_path(const struct cp_tabread *tr);
long cp_tabread_line(const struct cp_tabread *tr);

/* The cell id a file names by its name: the base name without extension and without a
 * "_timeseries", "_cycle_data", "_Metadata", "-raw" or "-summary" suffix (cp_free). NULL when
 * out of memory. */
char *cp_reader_cell_id(const char *path);
/* Set a cell of the row from text (column added as text when missing; a typed canonical
 * column gets the parsed value, or stays missing when the text does not parse). 0 or -1. */
int cp_cells_set(struct cp_table *cells, long row, const char *col, const char *value);

/* The first non-empty header name that fields[0..n) holds twice, or NULL. Every reader
 * rejects such a header: which of the two columns holds the data would be a guess. */
const char *cp_header_duplicate(char *const *fields, size_t n);

/* Record one mapping line into out->columns (when not NULL): source column, canonical
 * variable, factor. 0 or -1. */
int cp_reader_note_column(struct cp_reader_out *out, const char *column, const char *maps_to,
                          double factor);

#endif
