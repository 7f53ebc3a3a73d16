/* Tidy per-cycle CSVs: see include/cellpipe/tidy.h and docs/readers.md. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cellpipe/alloc.h"
#include "cellpipe/dataset.h"
#include "cellpipe/error.h"
#include "cellpipe/tabread.h"
#include "cellpipe/textread.h"
#include "cellpipe/tidy.h"
#include "cellpipe/timeutil.h"

#define MAX_COLS 256

struct target {
    int col; /* in out->cycles; -1: the cell id; -2: not read */
    enum cp_type type;
    double factor;
};

struct tidy {
    const char *path;
    struct cp_reader_out *out;
    struct cp_lines lr;
    char delim;
    char *fields[MAX_COLS]; /* of the current line, in place */
    size_t nfields;
    char *names[MAX_COLS]; /* the header's (copies), for messages */
    struct target t[MAX_COLS];
    size_t ncols;
    int id_field;        /* header field of the cell id, or -1 */
    int cycle_field;     /* header field of cycle_index */
    int id_col;          /* cell_id in out->cycles */
    char *default_id;    /* when no column names the cell */
    const char *last_id; /* interned in out->cycles: the cell whose metadata row exists */
};

static const struct cp_colspec *canonical(const char *name)
{
    for (const struct cp_colspec *c = cp_cycles_columns; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

static int is_capacity(const char *name)
{
    return strcmp(name, "discharge_capacity_ah") == 0 || strcmp(name, "charge_capacity_ah") == 0;
}

/* The canonical column and factor a header field maps to: NULL when none. */
static const struct cp_colspec *map_field(const char *field, const struct cp_tidy_map *map,
                                          size_t nmap, double *factor)
{
    *factor = 1;
    if (!map)
        return canonical(field);
    for (size_t i = 0; i < nmap; i++)
        if (strcasecmp(map[i].file_column, field) == 0) {
            *factor = map[i].factor;
            return canonical(map[i].canonical);
        }
    return NULL;
}

static int map_header(struct tidy *td, const struct cp_tidy_map *map, size_t nmap,
                      struct cp_error *err)
{
    int capacity = 0;
    td->ncols = td->nfields;
    if (td->ncols > MAX_COLS)
        return cp_error_set(err, CP_EDATA, "%s:1: expected at most %d columns, got %zu", td->path,
                            MAX_COLS, td->ncols);
    const char *dup = cp_header_duplicate(td->fields, td->ncols);
    if (dup)
        return cp_error_set(err, CP_EDATA, "%s:1: duplicate column '%s'", td->path, dup);
    td->id_field = td->cycle_field = -1;
    for (size_t f = 0; f < td->ncols; f++)
        if (!(td->names[f] = cp_strdup(td->fields[f])))
            return cp_error_oom(err);
    for (size_t f = 0; f < td->ncols; f++) {
        double factor;
        const struct cp_colspec *c = map_field(td->names[f], map, nmap, &factor);
        td->t[f] = (struct target){-2, CP_F64, factor};
        if (!c)
            continue;
        if (cp_reader_note_column(td->out, td->names[f], c->name, factor) < 0)
            return cp_error_oom(err);
        if (strcmp(c->name, "cell_id") == 0) {
            td->t[f].col = -1;
            td->id_field = (int)f;
            continue;
        }
        int col = cp_table_find(td->out->cycles, c->name);
        if (col < 0 && (col = cp_table_add_column(td->out->cycles, c->name, c->type)) < 0)
            return cp_error_oom(err);
        td->t[f].col = col;
        td->t[f].type = c->type;
        td->cycle_field = strcmp(c->name, "cycle_index") == 0 ? (int)f : td->cycle_field;
        capacity |= is_capacity(c->name);
    }
    td->id_col = cp_table_find(td->out->cycles, "cell_id");
    if (td->id_col < 0 &&
        (td->id_col = cp_table_add_column(td->out->cycles, "cell_id", CP_STR)) < 0)
        return cp_error_oom(err);
    if (td->cycle_field < 0 || !capacity)
        return cp_error_set(err, CP_EDATA,
                            "%s:1: expected a per-cycle header with cycle_index and "
                            "discharge_capacity_ah or charge_capacity_ah%s",
                            td->path, map ? " (as source.columns maps them)" : "");
    return 0;
}

/* One field of the current row into row `row` of out->cycles. */
static int put_value(struct tidy *td, size_t f, size_t row, struct cp_error *err)
{
    const struct target *t = &td->t[f];
    int rc;
    char *text = td->fields[f];
    struct cp_table *cy = td->out->cycles;
    double v;
    int64_t ts;
    if (!*text)
        return 0; /* missing: the column's NA */
    switch (t->type) {
    case CP_STR:
        return cp_table_set_str(cy, t->col, row, text) < 0 ? cp_error_oom(err) : 0;
    case CP_TIME:
        if (cp_parse_datetime(text, &ts) < 0)
            return cp_error_set(err, CP_EDATA, "%s:%ld: column '%s': expected a date, got '%.40s'",
                                td->path, td->lr.line, td->names[f], text);
        cp_table_set_i64(cy, t->col, row, ts);
        return 0;
    case CP_I64:
        if (cp_parse_num(text, &v) != 0 || v != floor(v) || fabs(v) > 9e15)
            return cp_error_set(err, CP_EDATA,
                                "%s:%ld: column '%s': expected an integer, got '%.40s'", td->path,
                                td->lr.line, td->names[f], text);
        cp_table_set_i64(cy, t->col, row, (int64_t)v);
        return 0;
    default:
        rc = cp_parse_num(text, &v); /* 1: "NaN", "N/A", "-": missing */
        if (rc == 1)
            return 0;
        if (rc < 0)
            return cp_error_set(err, CP_EDATA,
                                "%s:%ld: column '%s': expected a number, got '%.40s'", td->path,
                                td->lr.line, td->names[f], text);
        cp_table_set_f64(cy, t->col, row, v * t->factor);
        return 0;
    }
}

/* The row's cell: its cell_id column, else the default; its cells row made once per run. */
static int row_cell(struct tidy *td, size_t row, struct cp_error *err)
{
    const char *id = td->id_field >= 0 ? td->fields[td->id_field] : td->default_id;
    if (!*id)
        return cp_error_set(err, CP_EDATA, "%s:%ld: column '%s': expected a cell id, got ''",
                            td->path, td->lr.line, td->names[td->id_field]);
    if (cp_table_set_str(td->out->cycles, td->id_col, row, id) < 0)
        return cp_error_oom(err);
    const char *interned = td->out->cycles->cols[td->id_col].v.str[row];
    if (interned == td->last_id) /* equal ids share the pool's pointer */
        return 0;
    if (td->out->cells && cp_dataset_cell_row(td->out->cells, id) < 0)
        return cp_error_oom(err);
    td->last_id = interned;
    return 0;
}

static int read_row(struct tidy *td, struct cp_error *err)
{
    if (td->nfields != td->ncols)
        return cp_error_set(
            err, CP_EDATA, "%s:%ld: %sexpected %zu fields, got %zu", td->path, td->lr.line,
            td->lr.last_had_newline ? "" : "truncated row: ", td->ncols, td->nfields);
    if (!*td->fields[td->cycle_field])
        return cp_error_set(err, CP_EDATA, "%s:%ld: column '%s': expected a cycle number, got ''",
                            td->path, td->lr.line, td->names[td->cycle_field]);
    long row = cp_table_add_row(td->out->cycles);
    if (row < 0)
        return cp_error_oom(err);
    int rc = row_cell(td, (size_t)row, err);
    for (size_t f = 0; rc == 0 && f < td->ncols; f++)
        if (td->t[f].col >= 0)
            rc = put_value(td, f, (size_t)row, err);
    td->out->rows_read++;
    return rc;
}

/* The next non-empty line split into td->fields: 1, 0 at the end, negative code. */
static int next_fields(struct tidy *td, struct cp_error *err)
{
    char *line;
    size_t len;
    for (;;) {
        int rc = cp_lines_next(&td->lr, &line, &len, err);
        if (rc <= 0)
            return rc;
        if (td->lr.line == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
            line += 3;
            len -= 3;
        }
        if (len == 0)
            continue;
        if (td->lr.line == 1)
            td->delim = cp_guess_delim(line);
        int nf = cp_split(line, td->delim, td->fields, MAX_COLS);
        td->nfields = (size_t)nf; /* more than MAX_COLS: refused by the count checks */
        return 1;
    }
}

static int tidy_run(struct tidy *td, const struct cp_tidy_map *map, size_t nmap,
                    struct cp_error *err)
{
    int rc = cp_lines_open(&td->lr, td->path, err);
    if (rc < 0)
        return rc;
    rc = next_fields(td, err);
    if (rc == 0)
        return cp_error_set(err, CP_EDATA, "%s:1: empty file: expected a per-cycle header",
                            td->path);
    if (rc < 0 || (rc = map_header(td, map, nmap, err)) < 0)
        return rc;
    while ((rc = next_fields(td, err)) == 1)
        if ((rc = read_row(td, err)) < 0)
            return rc;
    return rc;
}

int cp_tidy_read(const char *path, const struct cp_tidy_map *map, size_t nmap,
                 struct cp_reader_out *out, struct cp_error *err)
{
    struct tidy *td = cp_calloc(1, sizeof(*td));
    if (!td)
        return cp_error_oom(err);
    td->path = path;
    td->out = out;
    td->lr.fd = -1;
    td->default_id = out->cell_id ? cp_strdup(out->cell_id) : cp_reader_cell_id(path);
    int rc = td->default_id ? tidy_run(td, map, nmap, err) : cp_error_oom(err);
    cp_lines_close(&td->lr);
    for (size_t f = 0; f < MAX_COLS; f++)
        cp_free(td->names[f]);
    cp_free(td->default_id);
    cp_free(td);
    return rc;
}

/* The first line of path split into fields (in buf); the count, or -1. */
static int header_fields(const char *path, char *buf, size_t cap, char **fields, int max)
{
    long n = cp_read_head(path, buf, cap - 1);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *nl = strpbrk(buf, "\r\n");
    if (nl)
        *nl = '\0';
    char *line = buf + (memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0);
    int nf = cp_split(line, cp_guess_delim(line), fields, max);
    return nf > max ? max : nf;
}

static int has_field(char **fields, int nf, const char *name)
{
    for (int i = 0; i < nf; i++)
        if (strcasecmp(fields[i], name) == 0)
            return 1;
    return 0;
}

int cp_tidy_matches(const char *path, const struct cp_tidy_map *map, size_t nmap)
{
    static char buf[65536]; /* sniffing is single-threaded (source stage) */
    char *fields[MAX_COLS];
    int nf = header_fields(path, buf, sizeof(buf), fields, MAX_COLS);
    if (nf <= 0)
        return 0;
    for (size_t i = 0; i < nmap; i++)
        if (!has_field(fields, nf, map[i].file_column))
            return 0;
    return 1;
}

/* A header of canonical names with cycle_index and a capacity: a tidy per-cycle file. */
static int tidy_sniff(const char *path, const char *head, size_t len)
{
    (void)path;
    char line[4096], *fields[MAX_COLS];
    const char *nl = memchr(head, '\n', len);
    size_t n = nl ? (size_t)(nl - head) : len;
    if (n >= sizeof(line))
        return 0;
    memcpy(line, head, n);
    line[n] = '\0';
    if (n && line[n - 1] == '\r')
        line[n - 1] = '\0';
    char *start = line + (n >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0);
    int nf = cp_split(start, cp_guess_delim(start), fields, MAX_COLS);
    nf = nf > MAX_COLS ? MAX_COLS : nf;
    int cycle = 0, capacity = 0;
    for (int i = 0; i < nf; i++) {
        cycle |= strcmp(fields[i], "cycle_index") == 0;
        capacity |= is_capacity(fields[i]);
    }
    return cycle && capacity ? 70 : 0;
}

static int tidy_read(const char *path, struct cp_reader_out *out, struct cp_error *err)
{
    return cp_tidy_read(path, NULL, 0, out, err);
}

const struct cp_reader_ops cp_reader_tidy = {
    .name = "tidy",
    .description = "tidy per-cycle CSV with cellpipe's canonical column names",
    .sniff = tidy_sniff,
    .read = tidy_read,
};
