/*
 * The Summary sheet, written last because it reports what the other sheets found: the
 * pipeline and its date, the data window, KPIs, validation totals, the MLflow run link and a
 * table of contents with links to every sheet. Label in column A, value in column B.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/timeutil.h"
#include "workbook_internal.h"

struct kv {
    struct wb *wb;
    long row;
    struct wb_col value; /* width tracking and notes for column B */
};

static int kv_label(struct kv *kv, const char *label, lxw_format *fmt)
{
    kv->row++;
    return wb_lxw(kv->wb,
                  worksheet_write_string(kv->wb->summary, (lxw_row_t)kv->row, 0, label,
                                         fmt ? fmt : kv->wb->label),
                  "summary");
}

static int kv_section(struct kv *kv, const char *title)
{
    kv->row++; /* a blank row before each section */
    return kv_label(kv, title, kv->wb->title);
}

static int kv_text(struct kv *kv, const char *label, const char *value)
{
    int rc = kv_label(kv, label, NULL);
    if (rc || !value || !*value)
        return rc;
    return wb_write_text(kv->wb, kv->wb->summary, "Summary", &kv->value, kv->row, 1, value);
}

/* A KPI that could not be computed stays empty, like every NaN in the workbook. */
static int kv_num(struct kv *kv, const char *label, double v, const char *num_format)
{
    int rc = kv_label(kv, label, NULL);
    if (rc || !isfinite(v))
        return rc;
    kv->value.fmt = wb_num_format(kv->wb, num_format);
    return wb_write_number(kv->wb, kv->wb->summary, "Summary", &kv->value, kv->row, 1, v);
}

static int kv_date(struct kv *kv, const char *label, int64_t t)
{
    int rc = kv_label(kv, label, NULL);
    if (rc || t == CP_I64_NA)
        return rc;
    return wb_write_time(kv->wb, kv->wb->summary, "Summary", &kv->value, kv->row, 1, t,
                         kv->wb->date);
}

static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median of a result field over the cells where it is known (NaN when none). */
static double median_of(const struct cp_run *run, size_t off, int is_long)
{
    double *v = cp_calloc(run->nresults ? run->nresults : 1, sizeof *v), m = NAN;
    size_t n = 0;
    if (!v)
        return NAN;
    for (size_t i = 0; i < run->nresults; i++) {
        const char *base = (const char *)&run->results[i] + off;
        double x;
        long l;
        if (is_long) {
            memcpy(&l, base, sizeof l);
            x = l < 0 ? NAN : (double)l;
        } else {
            memcpy(&x, base, sizeof x);
        }
        if (isfinite(x))
            v[n++] = x;
    }
    if (n) {
        qsort(v, n, sizeof *v, dbl_cmp);
        m = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
    cp_free(v);
    return m;
}

static void widen(int64_t v, int64_t *from, int64_t *to)
{
    if (v == CP_I64_NA)
        return;
    if (*from == CP_I64_NA || v < *from)
        *from = v;
    if (*to == CP_I64_NA || v > *to)
        *to = v;
}

/* The data window: first and last cycle start, else the cells' start dates (times or text). */
static void data_window(const struct cp_run *run, int64_t *from, int64_t *to)
{
    const struct cp_table *t = run->data.cycles;
    int c = t ? cp_table_find(t, "start_time") : -1;
    *from = *to = CP_I64_NA;
    if (c < 0 || t->cols[c].type != CP_TIME) {
        t = run->data.cells;
        c = t ? cp_table_find(t, "start_date") : -1;
        if (c < 0 || (t->cols[c].type != CP_TIME && t->cols[c].type != CP_STR))
            return;
    }
    for (size_t r = 0; r < t->nrows; r++) {
        int64_t v = CP_I64_NA;
        if (t->cols[c].type == CP_TIME)
            v = t->cols[c].v.i64[r];
        else if (t->cols[c].v.str[r] && cp_parse_datetime(t->cols[c].v.str[r], &v) < 0)
            v = CP_I64_NA;
        widen(v, from, to);
    }
}

static int section_run(struct kv *kv)
{
    const struct cp_run *run = kv->wb->run;
    const struct cp_table *cells = run->data.cells, *cycles = run->data.cycles;
    int64_t day = 0, from, to;
    long with_cycles = 0;
    int rc;
    cp_parse_date(run->date, &day);
    data_window(run, &from, &to);
    for (size_t i = 0; i < run->nresults; i++)
        with_cycles += run->results[i].n_cycles > 0;
    if ((rc = kv_text(kv, "Pipeline", run->cfg->name)) ||
        (rc = kv_text(kv, "Description", run->cfg->description)) ||
        (rc = kv_date(kv, "Report date", day)) || (rc = kv_date(kv, "Data from", from)) ||
        (rc = kv_date(kv, "Data to", to)) ||
        (rc = kv_num(kv, "Cells", cells ? (double)cells->nrows : 0, "0")) ||
        (rc = kv_num(kv, "Cells with cycles", (double)with_cycles, "0")) ||
        (rc = kv_num(kv, "Cycle rows", cycles ? (double)cycles->nrows : 0, "0")))
        return rc;
    return 0;
}

static int section_kpis(struct kv *kv)
{
    const struct cp_run *run = kv->wb->run;
    long past_eol = 0, flagged = 0;
    int rc;
    for (size_t i = 0; i < run->nresults; i++) {
        past_eol += run->results[i].eol_observed > 0; /* as the manifest counts */
        flagged += run->results[i].nattention > 0;
    }
    if ((rc = kv_section(kv, "Key figures")) ||
        (rc = kv_num(kv, "Median last retention",
                     median_of(run, offsetof(struct cp_cell_result, last_retention), 0), "0.0%")) ||
        (rc = kv_num(kv, "Median fade rate (per 100 cycles)",
                     median_of(run, offsetof(struct cp_cell_result, fade_rate), 0), "0.00%")) ||
        (rc = kv_num(kv, "Median cycles to 80 % (cells that got there)",
                     median_of(run, offsetof(struct cp_cell_result, cycles_to_80), 1), "0")) ||
        (rc = kv_num(kv, "Cells past end of life", (double)past_eol, "0")) ||
        (rc = kv_num(kv, "Flagged cells", (double)flagged, "0")))
        return rc;
    return 0;
}

static int section_validation(struct kv *kv)
{
    const struct cp_run *run = kv->wb->run;
    const struct cp_validation *v = &run->validation;
    long rules_hit = 0;
    long long changed = 0;
    int rc;
    for (size_t i = 0; i < v->nrules; i++)
        rules_hit += v->rules[i].hits > 0;
    for (size_t i = 0; i < kv->wb->nnotes; i++)
        changed += kv->wb->notes[i].count;
    if ((rc = kv_section(kv, "Validation")) ||
        (rc = kv_num(kv, "Rows checked", (double)v->rows_in, "0")) ||
        (rc = kv_num(kv, "Rows quarantined", (double)v->rows_quarantined, "0")) ||
        (rc = kv_num(kv, "Rules with hits", (double)rules_hit, "0")) ||
        (rc = kv_text(kv, "Validation failed", v->failed ? "yes" : "no")) ||
        (rc = kv_num(kv, "Values the workbook changed (see Validation)", (double)changed, "0")))
        return rc;
    return 0;
}

static int section_links(struct kv *kv)
{
    const struct cp_run *run = kv->wb->run;
    int rc;
    if ((rc = kv_section(kv, "Provenance")) || (rc = kv_label(kv, "MLflow run", NULL)))
        return rc;
    if (run->tracking.url && strlen(run->tracking.url) <= 2079) /* Excel's URL limit */
        rc = wb_lxw(kv->wb,
                    worksheet_write_url(kv->wb->summary, (lxw_row_t)kv->row, 1, run->tracking.url,
                                        kv->wb->link),
                    "mlflow link");
    else if (run->tracking.url || run->tracking.id[0])
        rc = wb_write_text(kv->wb, kv->wb->summary, "Summary", &kv->value, kv->row, 1,
                           run->tracking.url ? run->tracking.url : run->tracking.id);
    if (rc || (rc = kv_text(kv, "Pipeline SHA-256", run->pipeline_sha256)) ||
        (rc = kv_text(kv, "Data SHA-256", run->data_sha256)))
        return rc;
    return 0;
}

static const char *sheet_about(const char *name)
{
    static const char *const about[][2] = {
        {"Cells", "one row per cell: metadata, features, results, flags"},
        {"Fits", "one row per cell and degradation model"},
        {"Cycles", "every cycle with its features"},
        {"Validation", "validation rules and values the workbook changed"},
        {"Quarantine", "rows set aside by validation, with rule and reason"},
        {"Charts", "capacity retention against cycle, per group"},
    };
    for (size_t i = 0; i < sizeof about / sizeof about[0]; i++)
        if (strncmp(name, about[i][0], strlen(about[i][0])) == 0)
            return about[i][1];
    return "";
}

/* "internal:'It''s'!A1": a sheet name in a link is quoted, its apostrophes doubled. */
static int sheet_link(struct cp_strbuf *url, const char *name)
{
    cp_strbuf_reset(url);
    if (cp_strbuf_adds(url, "internal:'") < 0)
        return -1;
    for (const char *p = name; *p; p++)
        if (cp_strbuf_add(url, p, 1) < 0 || (*p == '\'' && cp_strbuf_addch(url, '\'') < 0))
            return -1;
    return cp_strbuf_adds(url, "'!A1");
}

static int section_sheets(struct kv *kv)
{
    struct wb *wb = kv->wb;
    struct cp_strbuf url = CP_STRBUF_INIT;
    int rc = kv_section(kv, "Sheets");
    cp_strbuf_init(&url);
    for (size_t i = 1; i < wb->nsheet_names && !rc; i++) {
        kv->row++;
        if (sheet_link(&url, wb->sheet_names[i]) < 0) {
            rc = wb_oom(wb);
            break;
        }
        rc = wb_lxw(wb,
                    worksheet_write_url_opt(wb->summary, (lxw_row_t)kv->row, 0, url.buf, wb->link,
                                            wb->sheet_names[i], NULL),
                    "sheet link");
        if (!rc)
            rc = wb_write_text(wb, wb->summary, "Summary", &kv->value, kv->row, 1,
                               sheet_about(wb->sheet_names[i]));
    }
    cp_strbuf_release(&url);
    return rc;
}

int wb_sheet_summary(struct wb *wb)
{
    struct kv kv = {.wb = wb, .row = 0};
    const char *name = wb->run->cfg->name ? wb->run->cfg->name : "pipeline";
    char title[160];
    unsigned changes;
    int rc;
    wb_col_init(&kv.value, "value", NULL);
    snprintf(title, sizeof title, "cellpipe report: %.120s", name);
    const char *t = cp_workbook_text(title, &wb->scratch, &changes);
    if (!t)
        return wb_oom(wb);
    if ((rc = wb_lxw(wb, worksheet_write_string(wb->summary, 0, 0, t, wb->title), "title")))
        return rc;
    kv.row = 1;
    if ((rc = section_run(&kv)) || (rc = section_kpis(&kv)) || (rc = section_validation(&kv)) ||
        (rc = section_links(&kv)) || (rc = section_sheets(&kv)))
        return rc;
    double w = kv.value.width < 14 ? 14 : kv.value.width + 1;
    if ((rc = wb_lxw(wb, worksheet_set_column(wb->summary, 0, 0, 44, NULL), "width")))
        return rc;
    return wb_lxw(wb, worksheet_set_column(wb->summary, 1, 1, w > 80 ? 80 : w, NULL), "width");
}
