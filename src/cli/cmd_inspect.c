/*
 * cellpipe inspect FILE... [--json] [--format NAME] | inspect --formats
 * What cellpipe makes of a cycler export before it is ingested: the detected format, data rows,
 * cycles, how the file's columns map to canonical ones, and the cell metadata. Every file is
 * inspected even when one fails; the exit code is the first failure's (65 data, 66 missing).
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "cellpipe/error.h"
#include "cellpipe/reader.h"
#include "cellpipe/source.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/table.h"
#include "cli.h"

#define USAGE "inspect FILE... [--json] [--format NAME] | inspect --formats"

struct inspection {
    const struct cp_reader_ops *ops;
    struct cp_table *cells, *cycles, *columns;
    struct cp_reader_out out;
    int64_t first, last;
};

static void inspection_release(struct inspection *in)
{
    cp_table_free(in->cells);
    cp_table_free(in->cycles);
    cp_table_free(in->columns);
}

static void cycle_range(struct inspection *in)
{
    int64_t *ix = cp_table_i64(in->cycles, "cycle_index");
    in->first = in->last = CP_I64_NA;
    for (size_t r = 0; ix && r < in->cycles->nrows; r++) {
        if (ix[r] == CP_I64_NA)
            continue;
        if (in->first == CP_I64_NA || ix[r] < in->first)
            in->first = ix[r];
        if (in->last == CP_I64_NA || ix[r] > in->last)
            in->last = ix[r];
    }
}

static int inspect_one(const char *path, const char *format, struct inspection *in,
                       struct cp_error *err)
{
    memset(in, 0, sizeof(*in));
    in->cells = cp_table_new("cells");
    in->cycles = cp_table_new("cycles");
    in->columns = cp_table_new("columns");
    if (!in->cells || !in->cycles || !in->columns ||
        cp_add_canonical_columns(in->cells, cp_cells_columns) < 0)
        return cp_error_oom(err);
    in->ops = format ? cp_reader_find(format) : cp_reader_detect(path, err);
    if (!in->ops)
        return format ? cp_error_set(err, CP_EUSAGE, "unknown format '%s'", format) : -err->code;
    in->out.cells = in->cells;
    in->out.cycles = in->cycles;
    in->out.columns = in->columns;
    int rc = in->ops->read(path, &in->out, err);
    cycle_range(in);
    return rc;
}

/* Metadata of the (first) cell row as key -> text, skipping cell_id and missing values.
 * 0, or -1 when out of memory (a value left out would pass for one the file lacks). */
static int print_metadata(const struct cp_table *cells, json_t *obj)
{
    for (size_t c = 0; cells->nrows > 0 && c < cells->ncols; c++) {
        if (cp_table_is_na(cells, (int)c, 0))
            continue;
        struct cp_strbuf sb = CP_STRBUF_INIT;
        int rc = cp_table_format_cell(cells, (int)c, 0, &sb);
        if (rc == 0 && obj)
            json_object_set_new(obj, cells->cols[c].name, json_string(sb.buf));
        else if (rc == 0)
            printf("    %s: %s\n", cells->cols[c].name, sb.buf);
        cp_strbuf_release(&sb);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* Each mapped column with its factor (the unit conversion applied) and, when the reader
 * converted or reinterpreted it from what the values showed, the note saying so. */
static void print_columns(const struct cp_table *cols, json_t *arr)
{
    char **name = cp_table_str(cols, "column");
    char **to = cp_table_str(cols, "maps_to");
    double *f = cp_table_f64(cols, "factor");
    char **note = cp_table_str(cols, "note");
    for (size_t r = 0; name && to && f && r < cols->nrows; r++) {
        const char *n = note && note[r] ? note[r] : NULL;
        if (arr) {
            json_t *o =
                json_pack("{s:s, s:s, s:f}", "column", name[r], "maps_to", to[r], "factor", f[r]);
            if (n)
                json_object_set_new(o, "note", json_string(n));
            json_array_append_new(arr, o);
            continue;
        }
        printf("    %-28s -> %s", name[r], to[r]);
        if (f[r] != 1)
            printf(" (x %g)", f[r]);
        if (n)
            printf(" [%s]", n);
        printf("\n");
    }
}

/* Cycles that failed a plausibility check (include/cellpipe/plausible.h), per check text. */
static size_t implausible_cycles(const struct cp_table *cycles)
{
    char **pl = cp_table_str(cycles, "plausibility");
    size_t n = 0;
    for (size_t r = 0; pl && r < cycles->nrows; r++)
        n += pl[r] && *pl[r];
    return n;
}

static void print_plausibility(const struct cp_table *cycles)
{
    char **pl = cp_table_str(cycles, "plausibility");
    int64_t *ix = cp_table_i64(cycles, "cycle_index");
    char **id = cp_table_str(cycles, "cell_id");
    size_t n = implausible_cycles(cycles);
    if (!n) {
        printf("  plausibility: all cycles pass\n");
        return;
    }
    printf("  plausibility: %zu of %zu cycles fail a check\n", n, cycles->nrows);
    for (size_t r = 0, shown = 0; r < cycles->nrows && shown < 10; r++) {
        if (!pl[r] || !*pl[r])
            continue;
        printf("    %s cycle %lld: %s\n", id && id[r] ? id[r] : "?", ix ? (long long)ix[r] : -1LL,
               pl[r]);
        shown++;
    }
}

/* 0, or -1 when out of memory. */
static int print_text(const char *path, const struct inspection *in, int rc,
                      const struct cp_error *err)
{
    printf("%s\n", path);
    if (in->ops)
        printf("  format: %s (%s)\n", in->ops->name, in->ops->description);
    if (in->ops && in->out.dialect[0])
        printf("  dialect: %s\n", in->out.dialect);
    if (rc < 0) {
        printf("  error: %s\n", err->msg);
        return 0;
    }
    printf("  rows: %lld\n", in->out.rows_read);
    if (in->first != CP_I64_NA)
        printf("  cycles: %zu (%lld..%lld)\n", in->cycles->nrows, (long long)in->first,
               (long long)in->last);
    else
        printf("  cycles: %zu\n", in->cycles->nrows);
    printf("  columns:\n");
    print_columns(in->columns, NULL);
    print_plausibility(in->cycles);
    printf("  metadata:\n");
    return print_metadata(in->cells, NULL);
}

static json_t *to_json(const char *path, const struct inspection *in, int rc,
                       const struct cp_error *err)
{
    json_t *o = json_object();
    json_object_set_new(o, "file", json_string(path));
    json_object_set_new(o, "format", in->ops ? json_string(in->ops->name) : json_null());
    json_object_set_new(o, "dialect",
                        in->ops && in->out.dialect[0] ? json_string(in->out.dialect) : json_null());
    if (rc < 0) {
        json_object_set_new(o, "error", json_string(err->msg));
        json_object_set_new(o, "exit_code", json_integer(cp_error_exit_code(rc)));
        return o;
    }
    json_object_set_new(o, "rows", json_integer(in->out.rows_read));
    json_object_set_new(o, "cycles", json_integer((json_int_t)in->cycles->nrows));
    json_object_set_new(o, "first_cycle",
                        in->first == CP_I64_NA ? json_null() : json_integer(in->first));
    json_object_set_new(o, "last_cycle",
                        in->last == CP_I64_NA ? json_null() : json_integer(in->last));
    json_t *cols = json_array(), *meta = json_object();
    print_columns(in->columns, cols);
    int mrc = print_metadata(in->cells, meta);
    json_object_set_new(o, "columns", cols);
    json_object_set_new(o, "implausible_cycles",
                        json_integer((json_int_t)implausible_cycles(in->cycles)));
    json_object_set_new(o, "metadata", meta);
    if (mrc < 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* Every reader and the dialects it knows. */
static int list_formats(void)
{
    for (size_t i = 0; cp_readers[i]; i++) {
        printf("%-18s %s\n", cp_readers[i]->name, cp_readers[i]->description);
        for (const char *const *d = cp_readers[i]->dialects; d && *d; d++)
            printf("%-18s   dialect: %s\n", "", *d);
    }
    return 0;
}

static int inspect_main(int argc, char **argv)
{
    int json = 0, formats = 0;
    const char *format = NULL;
    struct cp_args a;
    cp_args_init(&a, argc, argv);
    while (cp_args_next(&a)) {
        if (cp_args_is(&a, "--json"))
            json = 1;
        else if (cp_args_is(&a, "--formats"))
            formats = 1;
        else if (cp_args_is(&a, "--format"))
            format = cp_args_value(&a);
    }
    if (!cp_args_ok(&a, "cellpipe " USAGE))
        return CP_EUSAGE;
    if (formats)
        return list_formats();
    if (a.npos == 0) {
        fprintf(stderr, "usage: cellpipe " USAGE "\n");
        return CP_EUSAGE;
    }
    int first_rc = 0;
    json_t *all = json ? json_array() : NULL;
    for (size_t i = 0; i < a.npos; i++) {
        struct inspection in;
        struct cp_error err = {0};
        int rc = inspect_one(a.pos[i], format, &in, &err);
        if (rc < 0)
            fprintf(stderr, "cellpipe: %s\n", err.msg);
        if (rc < 0 && first_rc == 0)
            first_rc = rc;
        json_t *one = all ? to_json(a.pos[i], &in, rc, &err) : NULL;
        int prc = all ? (one ? json_array_append_new(all, one) : -1)
                      : print_text(a.pos[i], &in, rc, &err);
        inspection_release(&in);
        if (prc < 0) { /* what would be printed is incomplete: out of memory, not a report */
            json_decref(all);
            fprintf(stderr, "cellpipe: out of memory\n");
            return CP_EINTERNAL;
        }
    }
    if (all) {
        json_dumpf(all, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(all);
    }
    return cp_error_exit_code(first_rc);
}

const struct cp_command cp_cmd_inspect = {
    "inspect", USAGE,
    "  --json         machine-readable output\n"
    "  --format NAME  read with this reader instead of detecting the format\n"
    "  --formats      list the readers and the files each recognises\n",
    inspect_main};
