/*
 * The early-life models page of summary.pdf (include/cellpipe/summary_models.h): a table of
 * the models with their cross-validated error beside the baseline's, then, for the first
 * regression model, predicted against observed life of the finished cells (out of fold when
 * the model was trained here) and the predicted life with its interval of the cells still on
 * test. One page: rows are capped, the rest is in results/predictions.csv.
 */
#include "cellpipe/summary_models.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/config.h"
#include "cellpipe/ml_run.h"
#include "cellpipe/plot.h"
#include "cellpipe/run.h"
#include "cellpipe/table.h"
#include "cellpipe/text.h"

#define FS_BODY 8.0
#define ROW_H 15.0
#define TITLE_H 26.0
#define MAX_MODELS 8
#define MAX_LIVE 16
#define DASH "\xe2\x80\x94"

struct col {
    const char *title;
    double width;
    int right;
};

static const struct col cols[] = {
    {"Model", 0.14, 0},    {"Method", 0.24, 0},   {"Status", 0.10, 0},  {"Cells", 0.07, 1},
    {"CV error", 0.19, 1}, {"Baseline", 0.14, 1}, {"Beats it", 0.12, 1}};
#define NCOLS (sizeof(cols) / sizeof(cols[0]))

static void row(cairo_t *cr, struct cp_text *tx, char cells[][160], double x, double w, double y,
                int bold)
{
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    for (size_t c = 0; c < NCOLS; c++) {
        double cw = cols[c].width * w;
        cp_text_draw(tx, cells[c], cols[c].right ? x + cw - 4 : x + 4, y + ROW_H / 2, FS_BODY,
                     bold ? CP_TEXT_BOLD : 0, cols[c].right ? 1 : 0, 0.5, 0, cw - 8);
        x += cw;
    }
}

static void model_cells(const struct cp_ml_result *r, char c[][160])
{
    int reg = r->model.task && strcmp(r->model.task, "regression") == 0;
    snprintf(c[0], 160, "%s", r->cfg->name);
    snprintf(c[1], 160, "%s, %s", r->model.algorithm ? r->model.algorithm : DASH,
             reg               ? "cycle life"
             : r->model.target ? r->model.target
                               : "");
    snprintf(c[2], 160, "%s", r->skipped ? "not trained" : r->trained ? "trained" : "applied");
    snprintf(c[3], 160, "%ld", r->trained ? (long)r->ntrain : r->model.train_cells);
    snprintf(c[4], 160, DASH);
    snprintf(c[5], 160, DASH);
    snprintf(c[6], 160, r->skipped ? "%.150s" : DASH, r->skipped ? r->skipped : "");
    if (!r->have_cv)
        return;
    if (reg) {
        snprintf(c[4], 160, "%.0f cycles (%.1f %%)", r->cv.metrics.rmse, r->cv.metrics.mape);
        snprintf(c[5], 160, "%.0f (%.1f %%)", r->cv.baseline.rmse, r->cv.baseline.mape);
    } else {
        snprintf(c[4], 160, "bal. acc. %.2f", r->cv.metrics.balanced_accuracy);
        snprintf(c[5], 160, "%.2f", r->cv.baseline.balanced_accuracy);
    }
    snprintf(c[6], 160, "%s", r->cv.beats_baseline ? "yes" : "no");
}

static double draw_table(cairo_t *cr, struct cp_text *tx, const struct cp_ml_run *ml, double x,
                         double y, double w)
{
    char c[NCOLS][160];
    for (size_t k = 0; k < NCOLS; k++)
        snprintf(c[k], 160, "%s", cols[k].title);
    row(cr, tx, c, x, w, y, 1);
    y += ROW_H + 2;
    int weak = 0;
    for (size_t i = 0; i < ml->n && i < MAX_MODELS; i++, y += ROW_H) {
        model_cells(&ml->m[i], c);
        row(cr, tx, c, x, w, y, 0);
        weak |= ml->m[i].have_cv && !ml->m[i].cv.beats_baseline;
    }
    cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
    if (ml->n > MAX_MODELS) {
        snprintf(c[0], 160, "%zu more models are in results/models.csv", ml->n - MAX_MODELS);
        cp_text_draw(tx, c[0], x + 4, y + ROW_H / 2, FS_BODY, 0, 0, 0.5, 0, w);
        y += ROW_H;
    }
    if (weak) {
        cp_text_draw_wrapped(tx,
                             "A model that does not beat the baseline (the training cells' mean "
                             "life, or their majority class) predicts no better than guessing: "
                             "do not rely on its predictions.",
                             x + 4, y + 4, FS_BODY, 0, 0, w - 8, 2);
        y += 2 * ROW_H;
    }
    return y;
}

/* The first regression model that predicted something. */
static const struct cp_ml_result *shown(const struct cp_ml_run *ml)
{
    for (size_t i = 0; i < ml->n; i++)
        if (!ml->m[i].skipped && ml->m[i].pred && strcmp(ml->m[i].model.task, "regression") == 0)
            return &ml->m[i];
    return NULL;
}

/* Predicted against observed: out of fold for a model trained here, else its predictions of
 * the cells whose life is known. */
static struct cp_figure *scatter(const struct cp_ml_result *r)
{
    struct cp_figure *fig = cp_figure_new(r->have_cv ? "Cross-validated prediction, finished cells"
                                                     : "Prediction of the finished cells");
    struct cp_panel *p = fig ? cp_figure_add_panel(fig, CP_PANEL_XY, NULL, "Observed cycle life",
                                                   "Predicted cycle life")
                             : NULL;
    size_t n = 0;
    for (size_t i = 0; i < r->ncells; i++)
        n += isfinite(r->observed[i]) && isfinite(r->pred[i]);
    size_t m = r->have_cv ? r->ntrain : n;
    struct cp_series *s =
        p ? cp_panel_add_series(p, r->have_cv ? "finished cell, out of fold" : "finished cell", 0,
                                m)
          : NULL;
    if (!s) {
        cp_figure_free(fig);
        return NULL;
    }
    s->mark = CP_MARK_DISC;
    s->line = 0;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0, k = 0; k < m && i < r->ncells; i++) {
        size_t cell = r->have_cv ? r->train_row[k] : i;
        if (!r->have_cv && !(isfinite(r->observed[i]) && isfinite(r->pred[i])))
            continue;
        s->x[k] = r->observed[cell];
        s->y[k] = r->have_cv ? pow(10, r->cv.pred[k]) : r->pred[cell];
        lo = fmin(lo, fmin(s->x[k], s->y[k]));
        hi = fmax(hi, fmax(s->x[k], s->y[k]));
        k++;
    }
    struct cp_series *diag = m ? cp_panel_add_series(p, "prediction = observation", -1, 2) : NULL;
    if (m && !diag) {
        cp_figure_free(fig);
        return NULL;
    }
    if (diag) {
        diag->line = diag->dashed = 1;
        diag->x[0] = diag->y[0] = lo;
        diag->x[1] = diag->y[1] = hi;
    }
    return fig;
}

struct ranked {
    double pred;
    size_t cell;
};

static int cmp_pred(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    return (x->pred > y->pred) - (x->pred < y->pred) ?: (x->cell > y->cell) - (x->cell < y->cell);
}

/* The cells still on test with a prediction, earliest end first. */
static struct cp_figure *live(const struct cp_ml_result *r, const struct cp_run *run, size_t *nlive)
{
    struct ranked *ord = cp_malloc((r->ncells + 1) * sizeof(*ord));
    size_t n = 0;
    struct cp_figure *fig = cp_figure_new("Predicted life of the cells on test, 90 % interval");
    struct cp_panel *p =
        fig ? cp_figure_add_panel(fig, CP_PANEL_INTERVALS, NULL, "Predicted cycle life", NULL)
            : NULL;
    char **id = cp_table_str(run->data.cells, "cell_id");
    int rc = ord && p ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < r->ncells; i++)
        if (isfinite(r->pred[i]) && !isfinite(r->observed[i]))
            ord[n++] = (struct ranked){r->pred[i], i};
    if (rc == 0)
        qsort(ord, n, sizeof(*ord), cmp_pred);
    for (size_t k = 0; rc == 0 && k < n && k < MAX_LIVE; k++) {
        size_t i = ord[k].cell;
        char label[160];
        snprintf(label, sizeof label, "%s%s", id && id[i] ? id[i] : "?",
                 r->out_of_range[i] ? " (outside training range)" : "");
        if (!cp_panel_add_row(p, label, r->pred[i], r->lo[i], r->hi[i], r->out_of_range[i] ? 1 : 0,
                              CP_MARK_CIRCLE))
            rc = -1;
    }
    if (rc == 0 && n == 0)
        rc = cp_panel_set_empty_reason(p, "every cell with features has an observed life");
    cp_free(ord);
    *nlive = n;
    if (rc < 0) {
        cp_figure_free(fig);
        return NULL;
    }
    return fig;
}

static int draw_figures(cairo_t *cr, struct cp_text *tx, const struct cp_run *run, double x,
                        double y, double w, double h)
{
    const struct cp_ml_result *r = shown(run->ml);
    if (!r)
        return 0;
    size_t nlive = 0;
    struct cp_figure *a = scatter(r), *b = a ? live(r, run, &nlive) : NULL;
    int rc = a && b ? 0 : -1;
    double ha = fmin(w * 0.55, h * 0.5);
    if (rc == 0)
        rc = cp_plot_draw(cr, a, x - 10, y, w + 20, ha);
    if (rc == 0)
        rc = cp_plot_draw(cr, b, x - 10, y + ha + 10, w + 20, h - ha - 30);
    if (rc == 0 && nlive > MAX_LIVE) {
        char more[160];
        snprintf(more, sizeof more, "%zu more cells on test are in results/predictions.csv",
                 nlive - MAX_LIVE);
        cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
        cp_text_draw(tx, more, x, y + h - 10, FS_BODY, 0, 0, 0.5, 0, w);
    }
    cp_figure_free(a);
    cp_figure_free(b);
    return rc;
}

int cp_summary_models_page(cairo_t *cr, struct cp_text *tx, const struct cp_run *run, double x,
                           double y, double w, double h)
{
    char title[200];
    const struct cp_ml_result *r = shown(run->ml);
    snprintf(title, sizeof title, "Early-life models%s%s", r ? " " DASH " " : "",
             r ? r->cfg->name : "");
    cairo_set_source_rgb(cr, 0.05, 0.05, 0.05);
    cp_text_draw(tx, title, x, y, 12, CP_TEXT_BOLD, 0, 0, 0, w);
    double top = draw_table(cr, tx, run->ml, x, y + TITLE_H, w) + 14;
    return draw_figures(cr, tx, run, x, top, w, y + h - top);
}
