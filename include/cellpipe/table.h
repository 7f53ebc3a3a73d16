#ifndef CELLPIPE_TABLE_H
#define CELLPIPE_TABLE_H
/*
 * A small columnar table (DESIGN.md "Data model"): named, typed columns, not a dataframe.
 *
 *  - Types: CP_F64 (double; missing = NaN), CP_I64 (int64_t; missing = CP_I64_NA),
 *    CP_STR (NUL-terminated, interned; missing = NULL), CP_TIME (int64_t Unix seconds, UTC;
 *    missing = CP_I64_NA).
 *  - Rows are appended with cp_table_add_row(), which fills every column with "missing".
 *  - cp_table_sort() orders rows by a string key then an integer key (cycles: cell_id,
 *    cycle_index); cp_table_group() then builds a group index: group g owns the contiguous
 *    rows [group_start[g], group_start[g + 1]). Per-cell work is a loop over that slice.
 *  - Column pointers (cp_table_f64() ...) stay valid until the next add_row/add_column/sort.
 *
 * Strings (CP_STR): every value of every string column lives once in the table's intern pool
 * (cellpipe/intern.h), and str[row] points into it, so equal values share one pointer: a
 * cell id costs a pointer per row, not a heap string. The rules that follow:
 *  - write values only through cp_table_set_str()/cp_table_set_strn() (never assign
 *    str[row] a string of your own, never free or modify a str[row]);
 *  - a str[row] pointer may be moved or copied to another row of the same table (sort and
 *    filter do this), or set to NULL (missing); into another table, use the setters;
 *  - the strings stay valid until cp_table_free(), which frees the pool once, not each row;
 *    overwriting a value does not free the old one (it stays in the pool).
 * The table owns its columns and its pool; cp_table_free() accepts NULL.
 */
#include <stddef.h>
#include <stdint.h>

#define CP_I64_NA INT64_MIN

enum cp_type { CP_F64, CP_I64, CP_STR, CP_TIME };

struct cp_intern;

struct cp_column {
    char *name;
    enum cp_type type;
    union {
        double *f64;
        int64_t *i64; /* CP_I64 and CP_TIME */
        char **str;
        void *raw;
    } v;
};

struct cp_table {
    char *name;
    size_t nrows;
    size_t cap;
    size_t ncols;
    size_t colcap;
    struct cp_column *cols;
    size_t ngroups;
    size_t *group_start;       /* ngroups + 1 entries, or NULL before cp_table_group() */
    struct cp_intern *strings; /* the CP_STR values; NULL until the first one is set */
};

struct cp_table *cp_table_new(const char *name);
void cp_table_free(struct cp_table *t);

/* Add a column (all rows missing); returns its index, or -1 when out of memory. If a column
 * of that name exists with the same type its index is returned; another type is an error (-1). */
int cp_table_add_column(struct cp_table *t, const char *name, enum cp_type type);
/* Index of the named column or -1. */
int cp_table_find(const struct cp_table *t, const char *name);
const char *cp_type_name(enum cp_type type);

/* Append one row of missing values; returns its index, or -1 when out of memory. */
long cp_table_add_row(struct cp_table *t);
/* Make room for n more rows (an optimisation: add_row grows by itself). 0 or -1. */
int cp_table_reserve(struct cp_table *t, size_t n);

/* Typed column access by name: NULL when absent or of another type. */
double *cp_table_f64(const struct cp_table *t, const char *name);
int64_t *cp_table_i64(const struct cp_table *t, const char *name); /* CP_I64 or CP_TIME */
char **cp_table_str(const struct cp_table *t, const char *name);

/* Setters by column index. set_str stores the pool's copy of s (NULL = missing), set_strn that
 * of the len bytes at s (no NUL needed). 0 or -1 (out of memory: the cell is unchanged). */
void cp_table_set_f64(struct cp_table *t, int col, size_t row, double v);
void cp_table_set_i64(struct cp_table *t, int col, size_t row, int64_t v);
int cp_table_set_str(struct cp_table *t, int col, size_t row, const char *s);
int cp_table_set_strn(struct cp_table *t, int col, size_t row, const char *s, size_t len);
/* Bytes the table holds on the heap (columns, pool, index), for memory figures. */
size_t cp_table_bytes(const struct cp_table *t);

/* Is the cell at (col, row) missing? */
int cp_table_is_na(const struct cp_table *t, int col, size_t row);
/* Read any cell as a double (NaN when missing or a string that is not a number). */
double cp_table_get_num(const struct cp_table *t, int col, size_t row);
/* Format any cell into sb for CSV output; missing is the empty string. 0 or -1. */
struct cp_strbuf;
int cp_table_format_cell(const struct cp_table *t, int col, size_t row, struct cp_strbuf *sb);

/* Stable sort of the rows by str column `key1`, then i64 column `key2` (NULL: none). */
int cp_table_sort(struct cp_table *t, const char *key1, const char *key2);
/* Build the group index over str column `key` of a table sorted by it. 0 or -1. */
int cp_table_group(struct cp_table *t, const char *key);
/* Group whose key equals `value` (binary search over a sorted, grouped table), or -1. */
long cp_table_group_find(const struct cp_table *t, const char *key, const char *value);

/* Keep only the rows whose keep[row] is nonzero (order kept; group index dropped). 0 or -1. */
int cp_table_filter(struct cp_table *t, const unsigned char *keep);
/* Append row `row` of src to dst, matching columns by name (dst columns are created as
 * needed; strings are interned in dst's pool). Returns the new row index or -1. */
long cp_table_copy_row(struct cp_table *dst, const struct cp_table *src, size_t row);

/* Write the table as CSV (header + rows, RFC 4180 quoting) to path via a temp file and
 * rename. Numbers as cp_dtoa_format writes them (shortest round-trip, docs/output-numbers.md),
 * times as cp_format_time, missing values empty. Rows are formatted on `threads` threads
 * (0 = every core; cp_table_write_csv uses 0); the file is the same for any count.
 * 0 or -1 with errno set (ENOMEM when out of memory). */
int cp_table_write_csv(const struct cp_table *t, const char *path);
int cp_table_write_csv_threads(const struct cp_table *t, const char *path, long threads);

#endif
