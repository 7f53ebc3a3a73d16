/* Chart data: colour groups, a plot resolved against the run, config checks, per-cell series and
 * their overlays (charts_internal.h). */
#include "cellpipe/charts.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cellpipe/alloc.h"
#include "cellpipe/config.h"
#include "cellpipe/error.h"
#include "cellpipe/fit.h"
#include "cellpipe/palette.h"
#include "cellpipe/run.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/timeutil.h"
#include "charts_internal.h"

/* ---- groups: one colour per metadata value, the same in every plot ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void chart_groups_release(struct groups *g)
{
    for (size_t i = 0; g->names && i < g->n; i++)
        cp_free(g->names[i]);
    cp_free(g->names);
    cp_free(g->of_cell);
    memset(g, 0, sizeof(*g));
}

static char *group_value(const struct cp_table *cells, int col, size_t row)
{
    struct cp_strbuf sb = CP_STRBUF_INIT;
    if (col < 0)
        return cp_strdup("all cells");
    if (cp_table_format_cell(cells, col, row, &sb) != 0) {
        cp_strbuf_release(&sb);
        return NULL;
    }
    if (sb.len == 0 && cp_strbuf_adds(&sb, "(none)") != 0) {
        cp_strbuf_release(&sb);
        return NULL;
    }
    return cp_strbuf_detach(&sb);
}

int chart_groups_build(const struct cp_table *cells, const char *column, struct groups *g)
{
    size_t n = cells ? cells->nrows : 0;
    int col = cells && column ? cp_table_find(cells, column) : -1;
    char **all = cp_calloc(n ? n : 1, sizeof(char *));
    memset(g, 0, sizeof(*g));
    g->names = cp_calloc(n ? n : 1, sizeof(char *));
    g->of_cell = cp_calloc(n ? n : 1, sizeof(int));
    int rc = all && g->names && g->of_cell ? 0 : -1;
    for (size_t i = 0; i < n && rc == 0; i++)
        if (!(all[i] = group_value(cells, col, i)))
            rc = -1;
    if (rc == 0) {
        char **sorted = g->names;
        memcpy(sorted, all, n * sizeof(char *));
        qsort(sorted, n, sizeof(char *), cmp_str);
        for (size_t i = 0; i < n; i++)
            if (g->n == 0 || strcmp(sorted[g->n - 1], sorted[i]) != 0)
                sorted[g->n++] = sorted[i];
        for (size_t i = 0; i < g->n; i++)
            if (!(sorted[i] = cp_strdup(sorted[i])))
                rc = -1; /* names now own copies; `all` keeps the originals */
        for (size_t i = g->n; i < n; i++)
            sorted[i] = NULL;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        char **hit = bsearch(&all[i], g->names, g->n, sizeof(char *), cmp_str);
        g->of_cell[i] = hit ? (int)(hit - g->names) : 0;
    }
    for (size_t i = 0; all && i < n; i++)
        cp_free(all[i]);
    cp_free(all);
    if (rc != 0)
        chart_groups_release(g);
    return rc;
}

/* ---- resolving a plot against the run ---- */

const char *chart_or_default(const char *s, const char *d)
{
    return s && *s ? s : d;
}

static int numeric_col(const struct cp_table *t, const char *name)
{
    int c = t ? cp_table_find(t, name) : -1;
    return c >= 0 && t->cols[c].type != CP_STR ? c : -1;
}

int chart_distribution(const struct cp_plot_config *pc)
{
    return pc->kind == CP_PLOT_HISTOGRAM || pc->kind == CP_PLOT_BOX;
}

static void normalized_label(struct spec *sp, const char *base_label)
{
    const char *how = sp->pc->normalize == CP_NORM_NOMINAL ? "nominal capacity" : "first cycles";
    char base[96];
    snprintf(base, sizeof(base), "%.90s", base_label);
    char *paren = strstr(base, " (");
    if (paren)
        *paren = '\0';
    snprintf(sp->ylabel, sizeof(sp->ylabel), "%.90s (%% of %s)", base, how);
    sp->yscale = 100;
}

void chart_spec_resolve(struct spec *sp, const struct cp_run *run, const struct cp_plot_config *pc)
{
    const struct cp_table *cycles = run->data.cycles, *cells = run->data.cells;
    const char *x = chart_or_default(pc->x, "cycle_index"),
               *y = chart_or_default(pc->y, "capacity_retention");
    memset(sp, 0, sizeof(*sp));
    sp->pc = pc;
    sp->run = run;
    sp->xcol = numeric_col(cycles, x);
    sp->ycol = numeric_col(cycles, y);
    sp->cells_ycol = numeric_col(cells, y);
    sp->per_cell = chart_distribution(pc) && (chart_is_cell_value(y) || sp->cells_ycol >= 0);
    cp_charts_label(x, &sp->xscale, sp->xlabel, sizeof(sp->xlabel));
    cp_charts_label(y, &sp->yscale, sp->ylabel, sizeof(sp->ylabel));
    if (pc->normalize != CP_NORM_NONE && !sp->per_cell)
        normalized_label(sp, sp->ylabel);
    sp->retention_like =
        !sp->per_cell && (strcmp(y, "capacity_retention") == 0 ||
                          strncmp(y, "retention_mean_", 15) == 0 || pc->normalize != CP_NORM_NONE);
    sp->fit_axes = strcmp(x, "cycle_index") == 0 && strcmp(y, "capacity_retention") == 0 &&
                   pc->normalize == CP_NORM_NONE;
    sp->curves = strcmp(y, CURVE_Y) == 0;
}

/* A dQ/dV plot: y dqdv_ah_per_v against x voltage_v, drawn as lines or points. The column is
 * known even when this run's source gave no curves (the plot then says why it is empty). */
static int check_curves_plot(const char *file, const struct cp_plot_config *pc,
                             struct cp_error *err)
{
    const char *x = chart_or_default(pc->x, "cycle_index");
    const char *name = pc->name ? pc->name : "";
    if (strcmp(x, CURVE_X) != 0)
        return cp_error_set(err, CP_ECONFIG,
                            "%s:%d: expected x to be " CURVE_X " for y " CURVE_Y
                            " in plot '%s', got '%s'",
                            file, pc->line, name, x);
    if (chart_distribution(pc))
        return cp_error_set(err, CP_ECONFIG,
                            "%s:%d: expected kind line or scatter for y " CURVE_Y " in plot '%s'",
                            file, pc->line, name);
    return 0;
}

static int check_plot(const struct cp_run *run, const struct cp_plot_config *pc,
                      struct cp_error *err)
{
    const char *file = run->cfg && run->cfg->path ? run->cfg->path : "pipeline.yaml";
    const char *x = chart_or_default(pc->x, "cycle_index"),
               *y = chart_or_default(pc->y, "capacity_retention");
    struct spec sp;
    chart_spec_resolve(&sp, run, pc);
    const char *bad = NULL;
    if (sp.curves) {
        int rc = check_curves_plot(file, pc, err);
        if (rc != 0)
            return rc;
    } else if (!sp.per_cell && sp.ycol < 0)
        bad = y;
    else if (!chart_distribution(pc) && sp.xcol < 0)
        bad = x;
    if (!bad && pc->group_by && *pc->group_by &&
        (!run->data.cells || cp_table_find(run->data.cells, pc->group_by) < 0))
        bad = pc->group_by;
    if (bad)
        return cp_error_set(err, CP_ECONFIG, "%s:%d: unknown column '%s' in plot '%s'", file,
                            pc->line, bad, pc->name ? pc->name : "");
    if (pc->cells && strcmp(pc->cells, "all") != 0 && strcmp(pc->cells, "flagged") != 0)
        return cp_error_set(err, CP_ECONFIG,
                            "%s:%d: expected 'cells' to be all or flagged in plot '%s', got '%s'",
                            file, pc->line, pc->name ? pc->name : "", pc->cells);
    return 0;
}

int cp_charts_check(const struct cp_run *run, struct cp_error *err)
{
    if (!run->cfg)
        return 0;
    for (size_t i = 0; i < run->cfg->plots.nlist; i++) {
        int rc = check_plot(run, &run->cfg->plots.list[i], err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* ---- per-cell data ---- */

const struct cp_cell_result *chart_result_of(const struct cp_run *run, size_t row)
{
    return run->results && row < run->nresults ? &run->results[row] : NULL;
}

/* Rows [*b, *e) of cycles for cells row `row`; -1 when the cell has no cycles. */
int chart_cell_slice(const struct cp_run *run, size_t row, size_t *b, size_t *e)
{
    const struct cp_table *cy = run->data.cycles;
    const struct cp_cell_result *r = chart_result_of(run, row);
    long g = -1;
    if (!cy || !cy->group_start)
        return -1;
    if (r && r->group >= 0)
        g = r->group;
    else {
        char **ids = cp_table_str(run->data.cells, "cell_id");
        if (ids && ids[row])
            g = cp_table_group_find(cy, "cell_id", ids[row]);
    }
    if (g < 0 || (size_t)g >= cy->ngroups)
        return -1;
    *b = cy->group_start[g];
    *e = cy->group_start[g + 1];
    return 0;
}

const char *chart_cell_id(const struct cp_run *run, size_t row)
{
    char **ids = cp_table_str(run->data.cells, "cell_id");
    return ids && ids[row] ? ids[row] : "?";
}

int chart_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Factor dividing y for the plot's normalisation (1 when none, NaN when not computable). */
double chart_norm_factor(const struct spec *sp, size_t row, size_t b, size_t e)
{
    const struct cp_run *run = sp->run;
    if (sp->pc->normalize == CP_NORM_NONE)
        return 1;
    if (sp->pc->normalize == CP_NORM_NOMINAL) {
        int c = numeric_col(run->data.cells, "nominal_capacity_ah");
        double v = c >= 0 ? cp_table_get_num(run->data.cells, c, row) : NAN;
        return v > 0 ? v : NAN;
    }
    long k = run->cfg && run->cfg->features.reference_cycles > 0
                 ? run->cfg->features.reference_cycles
                 : 3;
    double first[64];
    size_t n = 0;
    for (size_t i = b; i < e && n < (size_t)k && n < 64; i++) {
        double v = cp_table_get_num(run->data.cycles, sp->ycol, i);
        if (isfinite(v))
            first[n++] = v;
    }
    if (n == 0)
        return NAN;
    qsort(first, n, sizeof(double), chart_cmp_double);
    double med = n % 2 ? first[n / 2] : (first[n / 2 - 1] + first[n / 2]) / 2;
    return med != 0 ? med : NAN;
}

int chart_add_cell_series(struct cp_panel *p, const struct spec *sp, size_t row, const char *label,
                          int color)
{
    size_t b, e;
    if (chart_cell_slice(sp->run, row, &b, &e) != 0)
        return 0;
    struct cp_series *s = cp_panel_add_series(p, label, color, e - b);
    if (!s)
        return -1;
    double f = chart_norm_factor(sp, row, b, e);
    for (size_t i = b; i < e; i++) {
        s->x[i - b] = cp_table_get_num(sp->run->data.cycles, sp->xcol, i) * sp->xscale;
        s->y[i - b] = cp_table_get_num(sp->run->data.cycles, sp->ycol, i) / f * sp->yscale;
    }
    if (sp->pc->kind == CP_PLOT_SCATTER) {
        s->line = 0;
        s->mark = CP_MARK_DOT;
    }
    return 0;
}

/* ---- overlays ---- */

static double fit_value(const struct cp_cell_result *r, double n)
{
    int m = r->best_model;
    if (m < 0 || m >= CP_MODEL_COUNT || r->fits[m].status != CP_FIT_OK)
        return NAN;
    return cp_charts_model_eval(m, r->fits[m].p, n);
}

static int add_fit(struct cp_panel *p, const struct cp_cell_result *r, int color, unsigned ov)
{
    int m = r->best_model;
    if (m < 0 || m >= CP_MODEL_COUNT || r->fits[m].status != CP_FIT_OK || r->last_cycle < 1)
        return 0;
    double x0 = r->first_cycle > 0 ? (double)r->first_cycle : 1, x1 = (double)r->last_cycle;
    /* run the curve on to the forecast so the reader sees where it crosses the threshold */
    if (isfinite(r->eol_forecast) && r->eol_forecast > x1)
        x1 = fmin(r->eol_forecast * 1.05, 3.0 * (double)r->last_cycle);
    struct cp_series *s = cp_panel_add_series(p, "Fitted model", color, FIT_POINTS);
    if (!s)
        return -1;
    s->dashed = 1;
    if ((ov & CP_OVERLAY_BAND) && isfinite(r->fits[m].rmse) && cp_series_add_band(s) != 0)
        return -1;
    for (size_t i = 0; i < FIT_POINTS; i++) {
        double n = x0 + (x1 - x0) * (double)i / (FIT_POINTS - 1);
        s->x[i] = n;
        s->y[i] = cp_charts_model_eval(m, r->fits[m].p, n) * 100;
        if (s->lo) {
            /* residual band: +-1.96 RMSE around the curve (no parameter covariance here) */
            s->lo[i] = s->y[i] - BAND_Z * r->fits[m].rmse * 100;
            s->hi[i] = s->y[i] + BAND_Z * r->fits[m].rmse * 100;
        }
    }
    if (s->lo)
        s->label[0] = 'F'; /* same legend entry: "Fitted model", shown with its band */
    return 0;
}

static int add_eol_marks(struct cp_panel *p, const struct cp_cell_result *r, double thr)
{
    if (r->eol_observed >= 0 &&
        !cp_panel_add_marker(p, (double)r->eol_observed, thr, CP_MARK_DISC, -1, "Observed EOL"))
        return -1;
    if (!isfinite(r->eol_forecast) || r->eol_observed >= 0)
        return 0;
    if (isfinite(r->eol_lo) && isfinite(r->eol_hi)) {
        struct cp_series *s = cp_panel_add_series(p, "EOL 95 % interval", -1, 2);
        if (!s)
            return -1;
        s->x[0] = r->eol_lo;
        s->x[1] = r->eol_hi;
        s->y[0] = s->y[1] = thr;
        s->bold = 1;
    }
    enum cp_mark mk = r->eol_capped ? CP_MARK_TRIANGLE : CP_MARK_CIRCLE;
    return cp_panel_add_marker(p, r->eol_forecast, thr, mk, -1,
                               r->eol_capped ? "EOL forecast (capped)" : "EOL forecast")
               ? 0
               : -1;
}

static int add_knee(struct cp_panel *p, const struct spec *sp, const struct cp_cell_result *r,
                    size_t b, size_t e)
{
    if (!isfinite(r->knee_point))
        return 0;
    double y = fit_value(r, r->knee_point) * 100;
    for (size_t i = b; !isfinite(y) && i < e; i++)
        if (cp_table_get_num(sp->run->data.cycles, sp->xcol, i) >= r->knee_point)
            y = cp_table_get_num(sp->run->data.cycles, sp->ycol, i) * sp->yscale;
    return cp_panel_add_marker(p, r->knee_point, y, CP_MARK_DIAMOND, -1, "Knee point") ? 0 : -1;
}

/* Cycles marked in an `anomaly` column (nonzero) get a cross. */
static int add_anomalies(struct cp_panel *p, const struct spec *sp, size_t row, size_t b, size_t e)
{
    int ac = numeric_col(sp->run->data.cycles, "anomaly");
    double f = chart_norm_factor(sp, row, b, e);
    for (size_t i = b; ac >= 0 && i < e; i++) {
        double a = cp_table_get_num(sp->run->data.cycles, ac, i);
        if (!(isfinite(a) && a != 0))
            continue;
        double x = cp_table_get_num(sp->run->data.cycles, sp->xcol, i) * sp->xscale;
        double y = cp_table_get_num(sp->run->data.cycles, sp->ycol, i) / f * sp->yscale;
        /* dark, not a palette colour: it must show on data of any group */
        if (!cp_panel_add_marker(p, x, y, CP_MARK_CROSS, -1, "Anomalous cycle"))
            return -1;
    }
    return 0;
}

int chart_add_overlays(struct cp_panel *p, const struct spec *sp, size_t row, int color,
                       unsigned ov)
{
    const struct cp_cell_result *r = chart_result_of(sp->run, row);
    double thr = sp->run->cfg ? sp->run->cfg->fits.threshold * 100 : 80;
    size_t b = 0, e = 0;
    int have = chart_cell_slice(sp->run, row, &b, &e) == 0;
    int rc = 0;
    if (r && sp->fit_axes && (ov & (CP_OVERLAY_FIT | CP_OVERLAY_BAND)))
        rc = add_fit(p, r, color, ov);
    if (rc == 0 && r && sp->fit_axes && (ov & CP_OVERLAY_FIT) && (ov & CP_OVERLAY_THRESHOLD))
        rc = add_eol_marks(p, r, thr);
    if (rc == 0 && r && have && sp->fit_axes && (ov & CP_OVERLAY_KNEE))
        rc = add_knee(p, sp, r, b, e);
    if (rc == 0 && have && (ov & CP_OVERLAY_ANOMALIES))
        rc = add_anomalies(p, sp, row, b, e);
    return rc;
}

int chart_add_threshold(struct cp_panel *p, const struct spec *sp)
{
    if (!sp->retention_like || !(sp->pc->overlays & CP_OVERLAY_THRESHOLD))
        return 0;
    double thr = sp->run->cfg ? sp->run->cfg->fits.threshold : 0.8;
    char label[64];
    snprintf(label, sizeof(label), "EOL %g %%", thr * 100);
    return cp_panel_add_hline(p, thr * 100, label) ? 0 : -1;
}
