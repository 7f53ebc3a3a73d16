/*
 * summary.pdf: what a team lead reads in 30 seconds on page one, the fleet after it, the
 * plots last. Pages are planned first (fixed row heights), then drawn, so the footer can say
 * "page x of y".
 */
#include "cellpipe/summary_pdf.h"

#include <cairo-pdf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/palette.h"
#include "cellpipe/plot.h"
#include "cellpipe/run.h"
#include "cellpipe/statistics.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/summary_rows.h"
#include "cellpipe/ml_run.h"
#include "cellpipe/summary_models.h"
#include "cellpipe/summary_stats.h"
#include "cellpipe/table.h"
#include "cellpipe/text.h"
#include "cellpipe/timeutil.h"

#define PAGE_W 595.28 /* A4 in points */
#define PAGE_H 841.89
#define MARGIN 42.0
#define TOP 64.0 /* below the running header */
#define BOTTOM (PAGE_H - 50.0)
#define ROW_H 15.0
#define FLAG_ROW_H 22.0 /* flagged cells: the reason may take two lines */
#define HEAD_H 18.0     /* table header row */
#define TITLE_H 26.0    /* a table's heading line */
#define FS_BODY 8.0

enum page_kind { PAGE_FIRST, PAGE_FLAGGED, PAGE_FLEET, PAGE_STATS, PAGE_MODELS, PAGE_PLOTS };

struct page {
    enum page_kind kind;
    size_t first, count; /* table rows, or chart indices */
};

struct flag_ref {
    size_t cell;
    int flag;
};

struct summary {
    const struct cp_run *run;
    const struct cp_chart_list *charts;
    cairo_t *cr;
    struct cp_text tx;
    struct flag_ref *flags;
    size_t nflags;
    struct cp_summary_rows rows; /* the cells listed: all, or past the cap the ones acted on */
    struct page *pages;
    size_t npages, pages_cap;
};

static void grey(cairo_t *cr, double v)
{
    cairo_set_source_rgb(cr, v, v, v);
}

static size_t ncells(const struct cp_run *run)
{
    return run->data.cells ? run->data.cells->nrows : 0;
}

static const struct cp_cell_result *result_of(const struct cp_run *run, size_t row)
{
    return run->results && row < run->nresults ? &run->results[row] : NULL;
}

static const char *cell_str(const struct cp_run *run, const char *col, size_t row)
{
    char **v = cp_table_str(run->data.cells, col);
    return v && v[row] ? v[row] : "";
}

/* ---- planning ---- */

static int add_page(struct summary *s, enum page_kind kind, size_t first, size_t count)
{
    if (cp_grow((void **)&s->pages, &s->pages_cap, s->npages + 1, sizeof(*s->pages)) != 0)
        return -1;
    s->pages[s->npages++] = (struct page){kind, first, count};
    return 0;
}

/* The attention flags of the cells chosen for the flagged table, in its order. */
static int collect_flags(struct summary *s)
{
    size_t n = 0;
    if (cp_summary_rows_pick(s->run, &s->rows) != 0)
        return -1;
    for (size_t k = 0; k < s->rows.nflagged; k++) {
        const struct cp_cell_result *r = result_of(s->run, s->rows.flagged[k]);
        n += r ? (size_t)(r->nflags < CP_MAX_FLAGS ? r->nflags : CP_MAX_FLAGS) : 0;
    }
    s->flags = cp_malloc((n ? n : 1) * sizeof(*s->flags));
    if (!s->flags)
        return -1;
    for (size_t k = 0; k < s->rows.nflagged; k++) {
        size_t i = s->rows.flagged[k];
        const struct cp_cell_result *r = result_of(s->run, i);
        for (int f = 0; r && f < r->nflags && f < CP_MAX_FLAGS; f++)
            if (r->flags[f].attention) /* notes on method stay in the workbook and CSV */
                s->flags[s->nflags++] = (struct flag_ref){i, f};
    }
    return 0;
}

#define FIRST_TABLE_Y 330.0 /* page one: where the flagged-cells table starts */

static size_t rows_fit(double top, double row_h)
{
    return (size_t)((BOTTOM - top - TITLE_H - HEAD_H) / row_h);
}

/* Grids of panels and long interval lists need a page of their own. */
static int is_big(const struct cp_figure *fig)
{
    return fig->npanels > 1 || cp_charts_height(fig, PAGE_W, PAGE_H * 0.4) > PAGE_H * 0.4;
}

/* Past report.summary_cells a table ends each page with a line saying where the rest is. */
static int flags_capped(const struct summary *s)
{
    return s->rows.nflagged < s->rows.flagged_cells;
}

static int fleet_capped(const struct summary *s)
{
    return s->rows.nfleet < s->rows.ncells;
}

static int plan(struct summary *s)
{
    double note_f = flags_capped(s) ? FLAG_ROW_H : 0, note = fleet_capped(s) ? ROW_H : 0;
    size_t per_first = rows_fit(FIRST_TABLE_Y + note_f, FLAG_ROW_H);
    size_t per_flag_page = rows_fit(TOP + note_f, FLAG_ROW_H);
    size_t per_page = rows_fit(TOP + note, ROW_H), nrows = s->rows.nfleet;
    size_t n = s->nflags < per_first ? s->nflags : per_first;
    int rc = add_page(s, PAGE_FIRST, 0, n);
    for (size_t i = n; i < s->nflags && rc == 0; i += per_flag_page)
        rc = add_page(s, PAGE_FLAGGED, i,
                      s->nflags - i < per_flag_page ? s->nflags - i : per_flag_page);
    for (size_t i = 0; i < nrows && rc == 0; i += per_page)
        rc = add_page(s, PAGE_FLEET, i, nrows - i < per_page ? nrows - i : per_page);
    /* one page whatever the statistics hold: summary_stats.c caps its rows and findings */
    if (s->run->statistics && rc == 0)
        rc = add_page(s, PAGE_STATS, 0, 0);
    if (s->run->ml && s->run->ml->n > 0 && rc == 0)
        rc = add_page(s, PAGE_MODELS, 0, 0);
    for (size_t i = 0; s->charts && i < s->charts->n && rc == 0;) {
        /* a grid of panels needs the whole page; single plots go two to a page */
        int big = is_big(s->charts->v[i].fig);
        int pair = !big && i + 1 < s->charts->n && !is_big(s->charts->v[i + 1].fig);
        rc = add_page(s, PAGE_PLOTS, i, pair ? 2 : 1);
        i += pair ? 2 : 1;
    }
    return rc;
}

/* ---- running header and footer ---- */

static void draw_frame(struct summary *s, size_t page)
{
    cairo_t *cr = s->cr;
    const struct cp_run *run = s->run;
    const char *name = run->cfg && run->cfg->name ? run->cfg->name : "pipeline";
    char buf[160];
    grey(cr, 0.35);
    snprintf(buf, sizeof(buf), "cellpipe \xc2\xb7 %s", name);
    cp_text_draw(&s->tx, buf, MARGIN, 30, FS_BODY, CP_TEXT_BOLD, 0, 0.5, 0, 300);
    snprintf(buf, sizeof(buf), "Report %s", run->date);
    cp_text_draw(&s->tx, buf, PAGE_W - MARGIN, 30, FS_BODY, 0, 1, 0.5, 0, 0);
    grey(cr, 0.8);
    cairo_set_line_width(cr, 0.5);
    cairo_move_to(cr, MARGIN, 40);
    cairo_line_to(cr, PAGE_W - MARGIN, 40);
    cairo_move_to(cr, MARGIN, PAGE_H - 38);
    cairo_line_to(cr, PAGE_W - MARGIN, PAGE_H - 38);
    cairo_stroke(cr);
    grey(cr, 0.35);
    snprintf(buf, sizeof(buf), "Run date %s \xc2\xb7 data fingerprint sha256 %.16s", run->date,
             run->data_sha256[0] ? run->data_sha256 : "(none)");
    cp_text_draw(&s->tx, buf, MARGIN, PAGE_H - 28, 7.5, 0, 0, 0.5, 0, 400);
    snprintf(buf, sizeof(buf), "Page %zu of %zu", page + 1, s->npages);
    cp_text_draw(&s->tx, buf, PAGE_W - MARGIN, PAGE_H - 28, 7.5, 0, 1, 0.5, 0, 0);
}

/* ---- page one ---- */

/* "MLflow run <link>" under the date line, a clickable link in the PDF (docs/mlflow.md). */
static int draw_mlflow(struct summary *s)
{
    const struct cp_run *run = s->run;
    const char *url = run->tracking.url;
    if (!url || !*url)
        return 0;
    struct cp_strbuf text, attr;
    cp_strbuf_init(&text);
    cp_strbuf_init(&attr);
    /* a quote or backslash would end cairo's attribute string: then the text alone */
    int tag = strpbrk(url, "'\\") == NULL;
    if (cp_strbuf_addf(&text, "MLflow run %s", url) ||
        (tag && cp_strbuf_addf(&attr, "uri='%s'", url))) {
        cp_strbuf_release(&text);
        cp_strbuf_release(&attr);
        return -1;
    }
    if (tag)
        cairo_tag_begin(s->cr, CAIRO_TAG_LINK, attr.buf);
    cp_text_draw(&s->tx, text.buf, MARGIN, TOP + 56, 7.5, 0, 0, 0, 0, PAGE_W - 2 * MARGIN);
    if (tag)
        cairo_tag_end(s->cr, CAIRO_TAG_LINK);
    cp_strbuf_release(&text);
    cp_strbuf_release(&attr);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void data_window(const struct cp_run *run, char *buf, size_t n)
{
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    const struct cp_table *cy = run->data.cycles;
    int64_t *t = cy ? cp_table_i64(cy, "start_time") : NULL;
    for (size_t i = 0; t && i < cy->nrows; i++)
        if (t[i] != CP_I64_NA) {
            lo = t[i] < lo ? t[i] : lo;
            hi = t[i] > hi ? t[i] : hi;
        }
    if (lo > hi) {
        snprintf(buf, n, "unknown (no cycle start times)");
        return;
    }
    char a[16], b[16];
    cp_format_date(lo, a, sizeof(a));
    cp_format_date(hi, b, sizeof(b));
    snprintf(buf, n, "%s to %s", a, b);
}

struct kpi {
    const char *label;
    char value[48];
    char note[96];
    int alert;
};

static long long validation_hits(const struct cp_validation *v)
{
    long long h = 0;
    for (size_t i = 0; i < v->nrules; i++)
        h += v->rules[i].hits;
    return h;
}

static void kpi_eol(const struct cp_run *run, struct kpi *k, double *tmp)
{
    size_t n = 0;
    for (size_t i = 0; i < ncells(run); i++) {
        const struct cp_cell_result *r = result_of(run, i);
        if (r && r->eol_observed < 0 && isfinite(r->eol_forecast))
            tmp[n++] = r->eol_forecast;
    }
    k->label = "Median forecast EOL";
    if (n == 0) {
        snprintf(k->value, sizeof(k->value), "\xe2\x80\x94");
        snprintf(k->note, sizeof(k->note), "no forecasts");
        return;
    }
    qsort(tmp, n, sizeof(double), cmp_double);
    double med = n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
    snprintf(k->value, sizeof(k->value), "%.0f", med);
    snprintf(k->note, sizeof(k->note), "cycles, over %zu forecast cell%s", n, n == 1 ? "" : "s");
}

static void kpi_fade(const struct cp_run *run, struct kpi *k)
{
    double worst = NAN;
    size_t at = 0;
    for (size_t i = 0; i < ncells(run); i++) {
        const struct cp_cell_result *r = result_of(run, i);
        if (r && isfinite(r->fade_rate) && !(r->fade_rate <= worst)) {
            worst = r->fade_rate;
            at = i;
        }
    }
    k->label = "Worst fade";
    if (!isfinite(worst)) {
        snprintf(k->value, sizeof(k->value), "\xe2\x80\x94");
        snprintf(k->note, sizeof(k->note), "no fade rates");
        return;
    }
    snprintf(k->value, sizeof(k->value), "%.2f %%", worst * 100);
    snprintf(k->note, sizeof(k->note), "per 100 cycles, %s", cell_str(run, "cell_id", at));
}

static int build_kpis(const struct cp_run *run, struct kpi k[6])
{
    size_t nc = ncells(run), ncy = run->data.cycles ? run->data.cycles->nrows : 0;
    double *tmp = cp_malloc((nc ? nc : 1) * sizeof(double));
    char num[32];
    if (!tmp)
        return -1;
    memset(k, 0, 6 * sizeof(*k));
    k[0].label = "Cells";
    cp_text_count(k[0].value, sizeof(k[0].value), (long long)nc);
    snprintf(k[0].note, sizeof(k[0].note), "%s flagged",
             cp_text_count(num, sizeof num, run->flagged_cells));
    k[0].alert = run->flagged_cells > 0;
    k[1].label = "Cycles";
    cp_text_count(k[1].value, sizeof(k[1].value), (long long)ncy);
    snprintf(k[1].note, sizeof(k[1].note), "%.0f per cell on average", nc ? (double)ncy / nc : 0);
    k[2].label = "Cells past EOL";
    cp_text_count(k[2].value, sizeof(k[2].value), run->cells_past_eol);
    snprintf(k[2].note, sizeof(k[2].note), "retention below %g %%",
             (run->cfg ? run->cfg->fits.threshold : 0.8) * 100);
    k[2].alert = run->cells_past_eol > 0;
    kpi_eol(run, &k[3], tmp);
    kpi_fade(run, &k[4]);
    k[5].label = "Validation issues";
    cp_text_count(k[5].value, sizeof(k[5].value), validation_hits(&run->validation));
    snprintf(k[5].note, sizeof(k[5].note), "%s rows quarantined%s",
             cp_text_count(num, sizeof num, run->validation.rows_quarantined),
             run->validation.failed ? ", run failed" : "");
    k[5].alert = run->validation.failed;
    cp_free(tmp);
    return 0;
}

static void rounded_rect(cairo_t *cr, double x, double y, double w, double h, double r)
{
    cairo_new_sub_path(cr);
    cairo_arc(cr, x + w - r, y + r, r, -M_PI / 2, 0);
    cairo_arc(cr, x + w - r, y + h - r, r, 0, M_PI / 2);
    cairo_arc(cr, x + r, y + h - r, r, M_PI / 2, M_PI);
    cairo_arc(cr, x + r, y + r, r, M_PI, 3 * M_PI / 2);
    cairo_close_path(cr);
}

static void draw_tile(struct summary *s, const struct kpi *k, double x, double y, double w,
                      double h)
{
    cairo_t *cr = s->cr;
    rounded_rect(cr, x, y, w, h, 5);
    cairo_set_source_rgb(cr, 0.96, 0.97, 0.98);
    cairo_fill_preserve(cr);
    grey(cr, 0.82);
    cairo_set_line_width(cr, 0.6);
    cairo_stroke(cr);
    if (k->alert) {
        cp_palette_set(cr, 1, 1); /* vermillion bar: needs attention */
        cairo_rectangle(cr, x, y + 5, 3, h - 10);
        cairo_fill(cr);
    }
    grey(cr, 0.35);
    cp_text_draw(&s->tx, k->label, x + 12, y + 10, 8.5, 0, 0, 0, 0, w - 20);
    grey(cr, 0.05);
    cp_text_draw(&s->tx, k->value, x + 12, y + 24, 20, CP_TEXT_BOLD, 0, 0, 0, w - 20);
    grey(cr, 0.4);
    cp_text_draw(&s->tx, k->note, x + 12, y + h - 9, 7.5, 0, 0, 1, 0, w - 20);
}

static int draw_first(struct summary *s)
{
    const struct cp_run *run = s->run;
    const struct cp_config *cfg = run->cfg;
    char buf[256], win[96];
    struct kpi k[6];
    grey(s->cr, 0.05);
    snprintf(buf, sizeof(buf), "%s: battery fleet summary",
             cfg && cfg->name ? cfg->name : "pipeline");
    cp_text_draw(&s->tx, buf, MARGIN, TOP, 18, CP_TEXT_BOLD, 0, 0, 0, PAGE_W - 2 * MARGIN);
    grey(s->cr, 0.3);
    if (cfg && cfg->description)
        cp_text_draw(&s->tx, cfg->description, MARGIN, TOP + 28, 9, 0, 0, 0, 0,
                     PAGE_W - 2 * MARGIN);
    data_window(run, win, sizeof(win));
    snprintf(buf, sizeof(buf), "Report date %s \xc2\xb7 data window %s \xc2\xb7 source %s",
             run->date, win, cfg ? cp_source_kind_name(cfg->source.kind) : "unknown");
    cp_text_draw(&s->tx, buf, MARGIN, TOP + 44, 9, 0, 0, 0, 0, PAGE_W - 2 * MARGIN);
    if (draw_mlflow(s) != 0)
        return -1;
    if (build_kpis(run, k) != 0)
        return -1;
    double gap = 10, tw = (PAGE_W - 2 * MARGIN - 2 * gap) / 3, th = 70;
    for (int i = 0; i < 6; i++)
        draw_tile(s, &k[i], MARGIN + (i % 3) * (tw + gap), TOP + 70 + (i / 3) * (th + gap), tw, th);
    return 0;
}

/* ---- tables ---- */

struct col {
    const char *title;
    double width; /* fraction of the table width */
    int right;    /* right-aligned (numbers) */
};

static const struct col flag_cols[] = {
    {"Cell", 0.13, 0}, {"Design", 0.15, 0}, {"Flag", 0.15, 0}, {"Reason", 0.57, 0}};

static const struct col fleet_cols[] = {{"Cell", 0.11, 0},          {"Design", 0.14, 0},
                                        {"Cycles", 0.08, 1},        {"Retention", 0.11, 1},
                                        {"Fade /100 cyc", 0.14, 1}, {"EOL (cycles)", 0.19, 1},
                                        {"Knee", 0.07, 1},          {"Flags", 0.16, 0}};

static void table_head(struct summary *s, const char *title, const struct col *cols, size_t nc,
                       double y)
{
    double w = PAGE_W - 2 * MARGIN, x = MARGIN;
    grey(s->cr, 0.05);
    cp_text_draw(&s->tx, title, MARGIN, y, 12, CP_TEXT_BOLD, 0, 0, 0, w);
    y += TITLE_H;
    cairo_set_source_rgb(s->cr, 0.90, 0.92, 0.95);
    cairo_rectangle(s->cr, MARGIN, y, w, HEAD_H);
    cairo_fill(s->cr);
    grey(s->cr, 0.1);
    for (size_t c = 0; c < nc; c++) {
        double cw = cols[c].width * w;
        cp_text_draw(&s->tx, cols[c].title, cols[c].right ? x + cw - 4 : x + 4, y + HEAD_H / 2,
                     FS_BODY, CP_TEXT_BOLD, cols[c].right ? 1 : 0, 0.5, 0, cw - 8);
        x += cw;
    }
}

/* One row of a table; `wrap_last` lets the last column take two lines of a taller row. */
static void table_row(struct summary *s, const struct col *cols, size_t nc, char cells[][160],
                      double y, double row_h, int shade, int wrap_last)
{
    double w = PAGE_W - 2 * MARGIN, x = MARGIN;
    if (shade) {
        cairo_set_source_rgb(s->cr, 0.975, 0.975, 0.98);
        cairo_rectangle(s->cr, MARGIN, y, w, row_h);
        cairo_fill(s->cr);
    }
    grey(s->cr, 0.12);
    for (size_t c = 0; c < nc; c++) {
        double cw = cols[c].width * w;
        if (wrap_last && c == nc - 1)
            cp_text_draw_wrapped(&s->tx, cells[c], x + 4, y + row_h / 2, FS_BODY, 0, 0.5, cw - 8,
                                 2);
        else
            cp_text_draw(&s->tx, cells[c], cols[c].right ? x + cw - 4 : x + 4, y + row_h / 2,
                         FS_BODY, 0, cols[c].right ? 1 : 0, 0.5, 0, cw - 8);
        x += cw;
    }
}

/* "N more <what> are in results/cells.csv ...": where a capped table continues. */
static void draw_rest(struct summary *s, double y, size_t more, const char *what)
{
    char buf[200];
    snprintf(buf, sizeof(buf),
             "%zu more %s are in results/cells.csv and workbook.xlsx (sheet Cells), with "
             "every column",
             more, what);
    grey(s->cr, 0.35);
    cp_text_draw(&s->tx, buf, MARGIN + 4, y + ROW_H / 2 + 2, FS_BODY, 0, 0, 0.5, 0,
                 PAGE_W - 2 * MARGIN - 8);
}

static void draw_flags(struct summary *s, const struct page *pg, double y, int continued)
{
    char cells[4][160];
    char title[160];
    if (flags_capped(s))
        snprintf(title, sizeof(title),
                 "Flagged cells: %zu of %zu, earliest end of life first (%zu flags)%s",
                 s->rows.nflagged, s->rows.flagged_cells, s->nflags,
                 continued ? ", continued" : "");
    else
        snprintf(title, sizeof(title), "Flagged cells (%zu flag%s on %ld cell%s)%s", s->nflags,
                 s->nflags == 1 ? "" : "s", s->run->flagged_cells,
                 s->run->flagged_cells == 1 ? "" : "s", continued ? ", continued" : "");
    table_head(s, title, flag_cols, 4, y);
    y += TITLE_H + HEAD_H;
    if (s->nflags == 0) {
        grey(s->cr, 0.35);
        cp_text_draw(&s->tx, "No cell is flagged.", MARGIN + 4, y + ROW_H / 2, FS_BODY, 0, 0, 0.5,
                     0, 0);
        return;
    }
    for (size_t i = 0; i < pg->count; i++) {
        const struct flag_ref *f = &s->flags[pg->first + i];
        const struct cp_flag *fl = &s->run->results[f->cell].flags[f->flag];
        snprintf(cells[0], sizeof(cells[0]), "%s", cell_str(s->run, "cell_id", f->cell));
        snprintf(cells[1], sizeof(cells[1]), "%s", cell_str(s->run, "design_name", f->cell));
        snprintf(cells[2], sizeof(cells[2]), "%s", fl->kind);
        snprintf(cells[3], sizeof(cells[3]), "%s", fl->reason);
        table_row(s, flag_cols, 4, cells, y + i * FLAG_ROW_H, FLAG_ROW_H, i % 2, 1);
    }
    if (flags_capped(s))
        draw_rest(s, y + pg->count * FLAG_ROW_H, s->rows.flagged_cells - s->rows.nflagged,
                  "flagged cells");
}

/* v with `decimals` digits and a suffix, or a dash when missing. */
static void fmt_num(char *buf, size_t n, double v, int decimals, const char *suffix)
{
    if (isfinite(v))
        snprintf(buf, n, "%.*f%s", decimals, v, suffix);
    else
        snprintf(buf, n, "\xe2\x80\x94");
}

static void fmt_eol(char *buf, size_t n, const struct cp_cell_result *r)
{
    if (r->eol_observed >= 0)
        snprintf(buf, n, "%ld observed", r->eol_observed);
    else if (!isfinite(r->eol_forecast))
        snprintf(buf, n, "\xe2\x80\x94");
    else if (r->eol_capped && !(r->eol_forecast < r->eol_hi))
        snprintf(buf, n, "capped at %.0f", r->eol_forecast);
    else if (isfinite(r->eol_lo) && isfinite(r->eol_hi))
        snprintf(buf, n, "%.0f [%.0f\xe2\x80\x93%.0f]", r->eol_forecast, r->eol_lo, r->eol_hi);
    else
        snprintf(buf, n, "%.0f", r->eol_forecast);
}

static void fleet_cells(const struct cp_run *run, size_t row, char cells[][160])
{
    const struct cp_cell_result *r = result_of(run, row);
    struct cp_cell_result none;
    if (!r) {
        cp_result_init(&none, (long)row, -1);
        r = &none;
    }
    snprintf(cells[0], 160, "%s", cell_str(run, "cell_id", row));
    snprintf(cells[1], 160, "%s", cell_str(run, "design_name", row));
    snprintf(cells[2], 160, "%ld", r->n_cycles);
    fmt_num(cells[3], 160, r->last_retention * 100, 1, " %");
    fmt_num(cells[4], 160, r->fade_rate * 100, 2, " %");
    fmt_eol(cells[5], 160, r);
    fmt_num(cells[6], 160, r->knee_point, 0, "");
    size_t len = 0;
    cells[7][0] = '\0';
    for (int f = 0; f < r->nflags && f < CP_MAX_FLAGS && len < 150; f++)
        len += (size_t)snprintf(cells[7] + len, 160 - len, "%s%s", f ? ", " : "", r->flags[f].kind);
}

static void draw_fleet(struct summary *s, const struct page *pg)
{
    char cells[8][160];
    char title[160];
    if (fleet_capped(s))
        snprintf(title, sizeof(title),
                 "Fleet: %zu of %zu cells, the flagged and the earliest end of life%s",
                 s->rows.nfleet, s->rows.ncells, pg->first > 0 ? ", continued" : "");
    else
        snprintf(title, sizeof(title), "Fleet (%zu cells)%s", ncells(s->run),
                 pg->first > 0 ? ", continued" : "");
    table_head(s, title, fleet_cols, 8, TOP);
    double y = TOP + TITLE_H + HEAD_H;
    for (size_t i = 0; i < pg->count; i++) {
        fleet_cells(s->run, s->rows.fleet[pg->first + i], cells);
        table_row(s, fleet_cols, 8, cells, y + i * ROW_H, ROW_H, i % 2, 0);
    }
    if (fleet_capped(s))
        draw_rest(s, y + pg->count * ROW_H, s->rows.ncells - s->rows.nfleet, "cells");
}

/* ---- plot pages ---- */

static int draw_plots(struct summary *s, const struct page *pg)
{
    double w = PAGE_W - 2 * MARGIN;
    double h = (BOTTOM - TOP) / (pg->count == 2 ? 2 : 1);
    for (size_t i = 0; i < pg->count; i++) {
        const struct cp_figure *fig = s->charts->v[pg->first + i].fig;
        /* a grid of panels gets the whole page; a lone plot keeps a plot's proportions */
        double fh = pg->count == 2 ? h - 8 : is_big(fig) ? h : fmin(h, w * 0.6);
        if (cp_plot_draw(s->cr, fig, MARGIN, TOP + i * h, w, fh) != 0)
            return -1;
    }
    return 0;
}

#define GLANCE_MIN_H 220.0

/* With few flags, page one has room for the fleet's retention plot: the one picture a team
 * lead needs, without turning the page. */
static int draw_glance(struct summary *s, const struct page *pg)
{
    double top =
        FIRST_TABLE_Y + TITLE_H + HEAD_H + (double)(pg->count ? pg->count : 1) * FLAG_ROW_H;
    top += 16;
    if (!s->charts || BOTTOM - top < GLANCE_MIN_H)
        return 0;
    for (size_t i = 0; i < s->charts->n; i++)
        if (strcmp(s->charts->v[i].name, "retention_by_design") == 0)
            return cp_plot_draw(s->cr, s->charts->v[i].fig, MARGIN - 10, top,
                                PAGE_W - 2 * MARGIN + 20, fmin(BOTTOM - top, 380));
    return 0;
}

/* ---- the statistics page ---- */

/* The findings are asked for here, at draw time, capped to what the page has room for. */
static int draw_stats(struct summary *s)
{
    char **lines = NULL;
    size_t n = 0;
    if (cp_statistics_findings(s->run->statistics, CP_STATS_PAGE_FINDINGS, &lines, &n) != 0)
        return -1;
    int rc = cp_summary_stats_page(s->cr, &s->tx, s->run, (const char *const *)lines, n, MARGIN,
                                   TOP, PAGE_W - 2 * MARGIN, BOTTOM - TOP);
    cp_statistics_lines_free(lines, n);
    return rc;
}

static int draw_page(struct summary *s, size_t i)
{
    const struct page *pg = &s->pages[i];
    int rc = 0;
    draw_frame(s, i);
    switch (pg->kind) {
    case PAGE_FIRST:
        rc = draw_first(s);
        draw_flags(s, pg, FIRST_TABLE_Y, 0);
        if (rc == 0)
            rc = draw_glance(s, pg);
        break;
    case PAGE_FLAGGED:
        draw_flags(s, pg, TOP, 1);
        break;
    case PAGE_FLEET:
        draw_fleet(s, pg);
        break;
    case PAGE_STATS:
        rc = draw_stats(s);
        break;
    case PAGE_MODELS:
        rc = cp_summary_models_page(s->cr, &s->tx, s->run, MARGIN, TOP, PAGE_W - 2 * MARGIN,
                                    BOTTOM - TOP);
        break;
    case PAGE_PLOTS:
        rc = draw_plots(s, pg);
        break;
    }
    cairo_show_page(s->cr);
    return rc;
}

static int draw_all(struct summary *s, cairo_surface_t *surface)
{
    s->cr = cairo_create(surface);
    if (cp_text_init(&s->tx, s->cr) != 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < s->npages && rc == 0; i++)
        rc = draw_page(s, i);
    cp_text_release(&s->tx);
    return rc;
}

int cp_summary_pdf_render(const struct cp_run *run, const struct cp_chart_list *charts,
                          struct cp_strbuf *out, struct cp_error *err)
{
    struct summary s = {0};
    cairo_surface_t *surface = NULL;
    char date[32], title[128];
    int rc = -1;
    s.run = run;
    s.charts = charts;
    if (collect_flags(&s) != 0 || plan(&s) != 0)
        goto cleanup;
    surface = cairo_pdf_surface_create_for_stream(cp_plot_write_strbuf, out, PAGE_W, PAGE_H);
    cp_plot_pdf_date(cp_charts_epoch(run), date, sizeof(date));
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATE_DATE, date);
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "cellpipe");
    snprintf(title, sizeof(title), "%s summary %s",
             run->cfg && run->cfg->name ? run->cfg->name : "cellpipe", run->date);
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, title);
    rc = draw_all(&s, surface);
cleanup:
    if (s.cr) {
        cairo_status_t st = cairo_status(s.cr);
        cairo_destroy(s.cr);
        cairo_surface_finish(surface);
        if (st == CAIRO_STATUS_SUCCESS)
            st = cairo_surface_status(surface);
        if (rc == 0 && st != CAIRO_STATUS_SUCCESS)
            rc = cp_error_set(err, CP_EINTERNAL, "cannot render 'summary.pdf': %s",
                              cairo_status_to_string(st));
    }
    if (surface)
        cairo_surface_destroy(surface);
    cp_free(s.flags);
    cp_free(s.pages);
    cp_summary_rows_release(&s.rows);
    if (rc == -1)
        rc = cp_error_oom(err);
    return rc;
}
