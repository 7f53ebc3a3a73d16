/*
 * The `files` source: cycler exports named by `source.paths` (files, folders or globs,
 * relative to the pipeline file). A file called `cells.csv` is cell metadata (canonical
 * cells columns plus any extra columns, kept as text; one row per cell_id); every other file
 * goes to the reader that recognises its content (or `source.format`). In a folder, text
 * files no reader recognises are skipped with a warning; a file named explicitly must be
 * recognised, and a damaged file (empty, binary, cut inside its header line) is an error
 * wherever it lies. `source.on_error: skip` goes on past a bad file (logged, left out of the
 * inputs and listed in the manifest's data.skipped). With `source.columns`, a file whose
 * header names every mapped column is a tidy per-cycle CSV read through that mapping
 * (include/cellpipe/tidy.h); other files are recognised as usual. With report.timeseries_bdf,
 * the source's save op writes each raw series into the report as BDF (files_timeseries.c).
 */
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cellpipe/alloc.h"
#include "cellpipe/csv.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/hash.h"
#include "cellpipe/log.h"
#include "cellpipe/reader.h"
#include "cellpipe/source.h"
#include "cellpipe/tidy.h"
#include "cellpipe/timeutil.h"
#include "cellpipe/units.h"
#include "files_internal.h"

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int push(struct cp_strlist *l, char *owned)
{
    char **nv = cp_realloc(l->v, (l->n + 1) * sizeof(*nv));
    if (!nv) {
        cp_free(owned);
        return -1;
    }
    l->v = nv;
    l->v[l->n++] = owned;
    return 0;
}

static void list_release(struct cp_strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        cp_free(l->v[i]);
    cp_free(l->v);
    l->v = NULL;
    l->n = 0;
}

static int is_regular(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Folder entries (regular files, sorted), marked as "implicit" by a leading '?'. */
static int list_dir(const char *dir, struct cp_strlist *out)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    size_t first = out->n;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *p = cp_path_join(dir, e->d_name);
        if (!p || !is_regular(p)) { /* folders, FIFOs, devices: reading one could hang */
            rc = p ? 0 : -1;
            cp_free(p);
            continue;
        }
        char *q = cp_malloc(strlen(p) + 2);
        if (q) {
            q[0] = '?';
            memcpy(q + 1, p, strlen(p) + 1);
        }
        cp_free(p);
        rc = q ? push(out, q) : -1;
    }
    closedir(d);
    if (out->n > first) /* an empty folder leaves v NULL */
        qsort(out->v + first, out->n - first, sizeof(char *), cmp_str);
    return rc;
}

static int expand_path(const struct cp_config *cfg, const char *rel, struct cp_strlist *out,
                       struct cp_error *err)
{
    char *path = cp_config_path(cfg, rel);
    int rc = 0;
    if (!path)
        return cp_error_oom(err);
    if (strpbrk(rel, "*?[")) {
        glob_t g;
        int grc = glob(path, 0, NULL, &g);
        if (grc == GLOB_NOMATCH)
            rc = cp_error_set(err, CP_ENOINPUT, "%s: no file matches '%s'", cfg->path, rel);
        for (size_t i = 0; grc == 0 && rc == 0 && i < g.gl_pathc; i++)
            rc = push(out, cp_strdup(g.gl_pathv[i])) < 0 ? cp_error_oom(err) : 0;
        if (grc == 0)
            globfree(&g);
    } else if (cp_fs_is_dir(path)) {
        if (list_dir(path, out) < 0)
            rc = cp_error_errno(err, CP_ENOINPUT, "cannot read folder '%s'", path);
    } else if (!cp_fs_exists(path)) {
        rc = cp_error_set(err, CP_ENOINPUT, "%s: input '%s' does not exist", cfg->path, path);
    } else if (!is_regular(path)) {
        rc =
            cp_error_set(err, CP_ENOINPUT, "%s: input '%s' is not a regular file", cfg->path, path);
    } else {
        rc = push(out, cp_strdup(path)) < 0 ? cp_error_oom(err) : 0;
    }
    cp_free(path);
    return rc;
}

static int is_metadata(const char *path)
{
    const char *base = strrchr(path, '/');
    return strcmp(base ? base + 1 : path, "cells.csv") == 0;
}

static int meta_value(struct cp_table *t, int col, size_t row, const char *text, const char *path,
                      long line, struct cp_error *err)
{
    enum cp_type type = t->cols[col].type;
    double v;
    int64_t ts;
    if (!*text)
        return 0;
    if (type == CP_STR)
        return cp_table_set_str(t, col, row, text) < 0 ? cp_error_oom(err) : 0;
    if (type == CP_TIME) {
        if (cp_parse_datetime(text, &ts) < 0)
            return cp_error_set(err, CP_EDATA, "%s:%ld: expected a date for '%s', got '%s'", path,
                                line, t->cols[col].name, text);
        cp_table_set_i64(t, col, row, ts);
        return 0;
    }
    if (cp_csv_number(text, &v) < 0 || (type == CP_I64 && v != (double)(int64_t)v))
        return cp_error_set(err, CP_EDATA, "%s:%ld: expected %s for '%s', got '%s'", path, line,
                            type == CP_I64 ? "an integer" : "a number", t->cols[col].name, text);
    if (type == CP_I64)
        cp_table_set_i64(t, col, row, (int64_t)v);
    else
        cp_table_set_f64(t, col, row, v);
    return 0;
}

struct meta_id {
    const char *id;
    long line;
};

static int cmp_meta_id(const void *a, const void *b)
{
    const struct meta_id *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* One row per cell in a metadata file: a repeated cell_id is an error, not "keep the first"
 * (which of two rows is right cannot be told). The rows are cells[first..], read on lines[]. */
static int check_unique_ids(const char *path, const struct cp_table *cells, size_t first,
                            const long *lines, struct cp_error *err)
{
    char **id = cp_table_str(cells, "cell_id");
    size_t n = cells->nrows - first, k = 0;
    struct meta_id *v = cp_malloc((n ? n : 1) * sizeof(*v));
    if (!v)
        return cp_error_oom(err);
    for (size_t i = 0; i < n; i++)
        if (id[first + i])
            v[k++] = (struct meta_id){id[first + i], lines[i]};
    qsort(v, k, sizeof(*v), cmp_meta_id);
    /* sorted by id then line: a run of one id starts with its first line; report the repeat
     * that comes earliest in the file, as a reader going down it would meet it */
    const struct meta_id *dup = NULL, *orig = NULL;
    for (size_t i = 1, start = 0; i < k; i++) {
        if (strcmp(v[start].id, v[i].id) != 0)
            start = i;
        else if (!dup || v[i].line < dup->line) {
            dup = &v[i];
            orig = &v[start];
        }
    }
    int rc = dup ? cp_error_set(err, CP_EDATA, "%s:%ld: duplicate cell_id '%s' (first on line %ld)",
                                path, dup->line, dup->id, orig->line)
                 : 0;
    cp_free(v);
    return rc;
}

/* A column of a metadata file: text unless the pipeline declares it numeric
 * (source.numeric_columns), so that a value that does not parse is an error on its line. */
static int meta_column(struct cp_table *cells, const char *name, const struct cp_strlist *numeric)
{
    int c = cp_table_find(cells, name);
    if (c >= 0)
        return c;
    for (size_t i = 0; i < numeric->n; i++)
        if (strcmp(numeric->v[i], name) == 0)
            return cp_table_add_column(cells, name, CP_F64);
    return cp_table_add_column(cells, name, CP_STR);
}

static int read_metadata(const char *path, const struct cp_strlist *numeric, struct cp_table *cells,
                         long long *rows, struct cp_error *err)
{
    struct cp_csv r;
    int *col = NULL, rc;
    long *lines = NULL;
    size_t first = cells->nrows, linecap = 0;
    if (cp_csv_open(&r, path, ',') < 0)
        return cp_error_errno(err, CP_ENOINPUT, "cannot open '%s'", path);
    if ((rc = cp_csv_next(&r)) != 1 || cp_csv_field_index(&r, "cell_id") < 0) {
        rc = rc < 0 && errno == ENOMEM
                 ? cp_error_oom(err)
                 : cp_error_set(err, CP_EDATA, "%s:1: expected a header with a 'cell_id' column",
                                path);
        goto cleanup;
    }
    size_t n = r.nfields;
    if (!(col = cp_calloc(n, sizeof(*col)))) {
        rc = cp_error_oom(err);
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        if ((col[i] = meta_column(cells, r.fields[i], numeric)) < 0) {
            rc = cp_error_oom(err);
            goto cleanup;
        }
    }
    while ((rc = cp_csv_next(&r)) == 1) {
        if (r.nfields != n) {
            rc = cp_error_set(err, CP_EDATA, "%s:%ld: expected %zu fields, got %zu", path, r.lineno,
                              n, r.nfields);
            goto cleanup;
        }
        long row = cp_table_add_row(cells);
        if (row < 0 ||
            cp_grow((void **)&lines, &linecap, (size_t)row - first + 1, sizeof(*lines)) < 0) {
            rc = cp_error_oom(err);
            goto cleanup;
        }
        lines[(size_t)row - first] = r.lineno;
        for (size_t i = 0; i < n; i++)
            if ((rc = meta_value(cells, col[i], (size_t)row, r.fields[i], path, r.lineno, err)) < 0)
                goto cleanup;
        (*rows)++;
    }
    if (rc < 0 && errno == ENOMEM)
        rc = cp_error_oom(err);
    else if (rc < 0)
        rc = cp_error_set(err, CP_EDATA, "%s:%ld: unreadable line", path, r.next_line);
    else
        rc = check_unique_ids(path, cells, first, lines, err);
cleanup:
    cp_free(lines);
    cp_free(col);
    cp_csv_close(&r);
    return rc;
}

static const struct cp_reader_ops *pick_reader(const struct cp_config *cfg, const char *path,
                                               int implicit, struct cp_error *err)
{
    if (cfg->source.format && strcmp(cfg->source.format, "auto") != 0) {
        const struct cp_reader_ops *ops = cp_reader_find(cfg->source.format);
        if (!ops)
            cp_error_set(err, CP_ECONFIG, "%s: unknown source.format '%s'", cfg->path,
                         cfg->source.format);
        return ops;
    }
    /* A folder may hold notes beside the exports: only text no reader claims is passed over.
     * A damaged file (binary, cut short) is an error, so on_error decides, as for any file. */
    struct cp_error tmp = {0};
    int foreign = 0;
    const struct cp_reader_ops *ops = cp_reader_identify(path, &foreign, &tmp);
    if (ops)
        return ops;
    if (implicit && foreign)
        cp_log(CP_LOG_WARN, "stage=source file=\"%s\" msg=\"skipped: %s\"", path, tmp.msg);
    else
        cp_error_set(err, tmp.code, "%s", tmp.msg);
    return NULL;
}

/* source.columns as the tidy reader takes it (checked at config load). NULL when none or
 * out of memory (*n = 0 then only when none). */
static struct cp_tidy_map *columns_map(const struct cp_config *cfg, size_t *n)
{
    const struct cp_source_config *s = &cfg->source;
    *n = s->ncolumns;
    struct cp_tidy_map *m = s->ncolumns ? cp_calloc(s->ncolumns, sizeof(*m)) : NULL;
    for (size_t i = 0; m && i < s->ncolumns; i++) {
        const struct cp_filter *e = &s->columns[i];
        m[i].file_column = e->column;
        m[i].canonical = e->values.v[0];
        if (cp_units_factor(e->values.v[0], e->values.n > 1 ? e->values.v[1] : "", &m[i].factor))
            m[i].factor = 1; /* cannot happen: config load refuses such a unit */
    }
    return m;
}

struct load_ctx {
    const char *const *batch;
    size_t nbatch;
    const struct cp_tidy_map *map; /* source.columns, NULL when none */
    size_t nmap;
};

static int load_one(const struct cp_config *cfg, const char *path, int implicit,
                    const struct load_ctx *lc, struct cp_dataset *ds, struct cp_error *err)
{
    struct cp_reader_out out = {.cells = ds->cells,
                                .cycles = ds->cycles,
                                .curves = ds->curves,
                                .batch = lc->batch,
                                .nbatch = lc->nbatch};
    const char *format = "cells";
    int rc;
    if (is_metadata(path)) {
        rc = read_metadata(path, &cfg->source.numeric_columns, ds->cells, &out.rows_read, err);
    } else if (lc->map && cp_tidy_matches(path, lc->map, lc->nmap)) {
        format = "tidy";
        rc = cp_tidy_read(path, lc->map, lc->nmap, &out, err);
    } else {
        const struct cp_reader_ops *ops = pick_reader(cfg, path, implicit, err);
        if (!ops)
            return implicit && err->code == 0 ? 0 : -err->code;
        format = ops->name;
        rc = ops->read(path, &out, err);
    }
    if (rc < 0)
        return rc;
    char hex[65];
    long long bytes = 0;
    if (cp_sha256_file(path, hex, &bytes) < 0)
        return cp_error_errno(err, CP_ENOINPUT, "cannot read '%s'", path);
    return cp_dataset_add_input(ds, path, hex, bytes, format, out.rows_read, err);
}

/* Cells that appear only through cycle files get one metadata row; duplicates merge. */
static int dedupe_cells(struct cp_table *cells, struct cp_error *err)
{
    if (cp_table_sort(cells, "cell_id", NULL) < 0)
        return cp_error_oom(err);
    char **id = cp_table_str(cells, "cell_id");
    unsigned char *keep = cp_malloc(cells->nrows ? cells->nrows : 1);
    if (!keep)
        return cp_error_oom(err);
    for (size_t i = 0; i < cells->nrows; i++) {
        keep[i] = 1;
        if (i > 0 && id[i] && id[i - 1] && strcmp(id[i], id[i - 1]) == 0) {
            /* keep the row that carries metadata: fill gaps of the first from this one */
            size_t j = i - 1;
            while (!keep[j])
                j--;
            for (size_t c = 0; c < cells->ncols; c++)
                if (cp_table_is_na(cells, (int)c, j) && !cp_table_is_na(cells, (int)c, i)) {
                    struct cp_column *col = &cells->cols[c];
                    if (col->type == CP_STR) {
                        col->v.str[j] = col->v.str[i];
                        col->v.str[i] = NULL;
                    } else if (col->type == CP_F64) {
                        col->v.f64[j] = col->v.f64[i];
                    } else {
                        col->v.i64[j] = col->v.i64[i];
                    }
                }
            keep[i] = 0;
        }
    }
    cp_table_filter(cells, keep);
    cp_free(keep);
    return 0;
}

/* Drop the rows a table gained past `keep_rows` (what a skipped file had read). 0 or -1. */
static int truncate_rows(struct cp_table *t, size_t keep_rows)
{
    if (!t || t->nrows <= keep_rows)
        return 0;
    unsigned char *keep = cp_malloc(t->nrows);
    if (!keep)
        return -1;
    for (size_t i = 0; i < t->nrows; i++)
        keep[i] = i < keep_rows;
    cp_table_filter(t, keep);
    cp_free(keep);
    return 0;
}

/* on_error: skip leaves nothing of a bad file behind: no cell, no cycle, no curve; the
 * manifest names it among data.skipped. */
static int skip_file(struct cp_dataset *ds, const size_t before[3], const char *path,
                     struct cp_error *err)
{
    cp_log(CP_LOG_WARN, "stage=source file=\"%s\" msg=\"skipped: %s\"", path, err->msg);
    struct cp_error why = *err;
    cp_error_clear(err);
    if (cp_dataset_add_skipped(ds, path, why.msg, err) < 0)
        return -err->code;
    if (truncate_rows(ds->cells, before[0]) < 0 || truncate_rows(ds->cycles, before[1]) < 0 ||
        truncate_rows(ds->curves, before[2]) < 0)
        return cp_error_oom(err);
    return 0;
}

static int files_load(const struct cp_config *cfg, struct cp_dataset *ds, struct cp_error *err)
{
    struct cp_strlist files = {0};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < cfg->source.paths.n; i++)
        rc = expand_path(cfg, cfg->source.paths.v[i], &files, err);
    int skip = cfg->source.on_error && strcmp(cfg->source.on_error, "skip") == 0;
    const char **batch = cp_calloc(files.n ? files.n : 1, sizeof(*batch));
    size_t nmap;
    struct cp_tidy_map *map = columns_map(cfg, &nmap);
    if (!batch || (nmap && !map))
        rc = cp_error_oom(err);
    const struct load_ctx lc = {batch, files.n, map, nmap};
    for (size_t i = 0; rc == 0 && i < files.n; i++)
        batch[i] = files.v[i] + (files.v[i][0] == '?');
    for (size_t i = 0; rc == 0 && i < files.n; i++) {
        int implicit = files.v[i][0] == '?';
        const char *path = files.v[i] + implicit;
        const size_t before[3] = {ds->cells->nrows, ds->cycles->nrows,
                                  ds->curves ? ds->curves->nrows : 0};
        rc = load_one(cfg, path, implicit, &lc, ds, err);
        if (rc < 0 && skip && rc != -CP_ECONFIG && rc != -CP_EINTERNAL)
            rc = skip_file(ds, before, path, err);
    }
    if (rc == 0 && ds->ninputs == 0)
        rc = cp_error_set(err, CP_ENOINPUT, "%s: no readable input among source.paths", cfg->path);
    if (rc == 0)
        rc = dedupe_cells(ds->cells, err);
    cp_free(map);
    cp_free(batch);
    list_release(&files);
    return rc;
}

const struct cp_source_ops cp_source_files = {
    .name = "files", .kind = CP_SOURCE_FILES, .load = files_load, .save = cp_files_save_timeseries};
