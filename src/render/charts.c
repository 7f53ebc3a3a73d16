/*
 * Run -> figures. Each plot of the pipeline (and of the default set) becomes one cp_figure;
 * the plot driver never sees tables or results, this file never sees cairo.
 */
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

#define FIT_POINTS 160
#define MAX_FIT_PANELS 12
#define MAX_EOL_ROWS 60
#define BAND_Z 1.96
#define CURVE_X "voltage_v"
#define CURVE_Y "dqdv_ah_per_v"
#define DQDV_CYCLES 5  /* curves per cell: first, last and three between */
#define FULL_CYCLE 0.5 /* share of a cell's largest discharge that makes a comparable curve */

/* ---- column labels and units ---- */

struct colinfo {
    const char *name, *label;
    double scale;
};

static const struct colinfo columns[] = {
    {"cycle_index", "Cycle number", 1},
    {"test_time_s", "Test time (h)", 1.0 / 3600},
    {"charge_capacity_ah", "Charge capacity (Ah)", 1},
    {"discharge_capacity_ah", "Discharge capacity (Ah)", 1},
    {"charge_energy_wh", "Charge energy (Wh)", 1},
    {"discharge_energy_wh", "Discharge energy (Wh)", 1},
    {"v_max", "Maximum voltage (V)", 1},
    {"v_min", "Minimum voltage (V)", 1},
    {"i_max", "Maximum current (A)", 1},
    {"i_min", "Minimum current (A)", 1},
    {"v_charge_mean", "Mean charge voltage (V)", 1},
    {"v_discharge_mean", "Mean discharge voltage (V)", 1},
    {"temperature_avg_c",
     "Mean temperature (\xc2\xb0"
     "C)",
     1},
    {"temperature_max_c",
     "Maximum temperature (\xc2\xb0"
     "C)",
     1},
    {"internal_resistance_ohm", "Internal resistance (m\xce\xa9)", 1000},
    {"capacity_retention", "Capacity retention (%)", 100},
    {"coulombic_efficiency", "Coulombic efficiency (%)", 100},
    {"energy_efficiency", "Energy efficiency (%)", 100},
    {"fade_rate", "Fade rate (% per 100 cycles)", 100},
    {"equivalent_full_cycles", "Equivalent full cycles", 1},
    {"cycle_fraction", "Fraction of cycle life (%)", 100},
    {"days_since_start", "Days on test", 1},
    {"temperature_compensated_capacity", "Temperature-compensated capacity (Ah)", 1},
    {"last_retention", "Last capacity retention (%)", 100},
    {"eol_forecast", "Forecast end of life (cycles)", 1},
    {"eol_observed", "Observed end of life (cycles)", 1},
    {"ce_mean", "Mean coulombic efficiency (%)", 100},
    {"ce_last_n", "Recent coulombic efficiency (%)", 100},
    {"efc_total", "Equivalent full cycles", 1},
    {"n_cycles", "Cycles on test", 1},
    {"cycles_to_80", "Cycles to 80 % retention", 1},
    {"cycles_to_90", "Cycles to 90 % retention", 1},
    {"knee_point", "Knee point (cycle)", 1},
    {"knee_onset", "Knee onset (cycle)", 1},
    {"days_on_test", "Days on test", 1},
    {"nominal_capacity_ah", "Nominal capacity (Ah)", 1},
    {"voltage_v", "Voltage (V)", 1},
    {"dqdv_ah_per_v", "dQ/dV (Ah/V)", 1},
    {"dq100_10_log10_var", "log10 var \xce\x94Q(V), cycle 100 \xe2\x88\x92 10 (Ah\xc2\xb2)", 1},
    {"dq100_10_min_ah", "Min \xce\x94Q(V), cycle 100 \xe2\x88\x92 10 (Ah)", 1},
    {"dq100_10_mean_ah", "Mean \xce\x94Q(V), cycle 100 \xe2\x88\x92 10 (Ah)", 1},
    {NULL, NULL, 0},
};

const char *cp_charts_label(const char *column, double *scale, char *buf, size_t n)
{
    *scale = 1;
    for (const struct colinfo *c = columns; c->name; c++)
        if (strcmp(c->name, column) == 0) {
            *scale = c->scale;
            snprintf(buf, n, "%s", c->label);
            return buf;
        }
    if (strncmp(column, "retention_mean_", 15) == 0) {
        *scale = 100;
        snprintf(buf, n, "Retention, mean of last %s cycles (%%)", column + 15);
    } else if (strncmp(column, "retention_std_", 14) == 0) {
        *scale = 100;
        snprintf(buf, n, "Retention, std of last %s cycles (%%)", column + 14);
    } else {
        snprintf(buf, n, "%s", column);
    }
    return buf;
}

static const char *const meta_labels[][2] = {
    {"design_name", "Design"},
    {"experiment_group", "Experiment group"},
    {"layer_types", "Layer types"},
    {"test_status", "Test status"},
    {"year", "Year"},
    {"chemistry", "Chemistry"},
    {"form_factor", "Form factor"},
    {"tester", "Tester"},
    {"channel", "Channel"},
    {"cell_id", "Cell"},
};

/* Reader-facing name of a metadata column ("Design" for design_name). */
static const char *meta_label(const char *column)
{
    for (size_t i = 0; i < sizeof(meta_labels) / sizeof(meta_labels[0]); i++)
        if (strcmp(meta_labels[i][0], column) == 0)
            return meta_labels[i][1];
    return column;
}

/* The same, lowercased for use inside a sentence ("colour by design"). */
static const char *meta_label_lower(const char *column, char *buf, size_t n)
{
    snprintf(buf, n, "%s", meta_label(column));
    if (buf[0] >= 'A' && buf[0] <= 'Z' && strcmp(column, "cell_id") != 0)
        buf[0] = (char)(buf[0] - 'A' + 'a');
    return buf;
}

/* ---- per-cell results as named values ---- */

static const char *const cell_values[] = {"fade_rate",    "last_retention",
                                          "eol_forecast", "eol_observed",
                                          "ce_mean",      "ce_last_n",
                                          "efc_total",    "n_cycles",
                                          "cycles_to_80", "cycles_to_90",
                                          "knee_point",   "knee_onset",
                                          "days_on_test", NULL};

static int is_cell_value(const char *name)
{
    for (size_t i = 0; cell_values[i]; i++)
        if (strcmp(cell_values[i], name) == 0)
            return 1;
    return 0;
}

static double cycle_or_nan(long c)
{
    return c >= 0 ? (double)c : NAN;
}

static double cell_value(const struct cp_cell_result *r, const char *name)
{
    const struct {
        const char *name;
        double v;
    } map[] = {
        {"fade_rate", r->fade_rate},
        {"last_retention", r->last_retention},
        {"eol_forecast", r->eol_forecast},
        {"eol_observed", cycle_or_nan(r->eol_observed)},
        {"ce_mean", r->ce_mean},
        {"ce_last_n", r->ce_last_n},
        {"efc_total", r->efc_total},
        {"n_cycles", (double)r->n_cycles},
        {"cycles_to_80", cycle_or_nan(r->cycles_to_80)},
        {"cycles_to_90", cycle_or_nan(r->cycles_to_90)},
        {"knee_point", r->knee_point},
        {"knee_onset", r->knee_onset},
        {"days_on_test", r->days_on_test},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(map[i].name, name) == 0)
            return map[i].v;
    return NAN;
}

/* ---- models ---- */

double cp_charts_model_eval(int model, const double *p, double n)
{
    if (model < 0 || model >= CP_MODEL_COUNT)
        return NAN;
    return cp_fit_eval((enum cp_model)model, p, n); /* the fits' own definition, one place */
}

static const char *model_title(int m)
{
    static const char *const t[] = {"linear", "sqrt", "power law", "double exp", "Bacon-Watts"};
    return m >= 0 && m < CP_MODEL_COUNT ? t[m] : "none";
}

/* ---- groups: one colour per metadata value, the same in every plot ---- */

struct groups {
    char **names; /* sorted, unique */
    size_t n;
    int *of_cell; /* group of each cells row */
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void groups_release(struct groups *g)
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

static int groups_build(const struct cp_table *cells, const char *column, struct groups *g)
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
        groups_release(g);
    return rc;
}

/* ---- resolving a plot against the run ---- */

struct spec {
    const struct cp_plot_config *pc;
    const struct cp_run *run;
    int xcol, ycol; /* cycles columns, -1 when absent */
    int cells_ycol; /* metadata column for per-cell histogram/box values */
    int per_cell;   /* histogram/box: one value per cell */
    double xscale, yscale;
    char xlabel[128], ylabel[128]; /* ylabel fits "<96> (% of nominal capacity)" */
    int retention_like;            /* y is retention in percent: the EOL threshold applies */
    int summary;                   /* cells drawn faint under a per-group median line */
    int fit_axes;                  /* x is cycle_index and y capacity_retention: fits overlay */
    int curves;                    /* y is dqdv_ah_per_v: drawn from the dQ/dV curves table */
    struct groups groups;
};

static const char *or_default(const char *s, const char *d)
{
    return s && *s ? s : d;
}

static int numeric_col(const struct cp_table *t, const char *name)
{
    int c = t ? cp_table_find(t, name) : -1;
    return c >= 0 && t->cols[c].type != CP_STR ? c : -1;
}

static int distribution(const struct cp_plot_config *pc)
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

static void spec_resolve(struct spec *sp, const struct cp_run *run, const struct cp_plot_config *pc)
{
    const struct cp_table *cycles = run->data.cycles, *cells = run->data.cells;
    const char *x = or_default(pc->x, "cycle_index"), *y = or_default(pc->y, "capacity_retention");
    memset(sp, 0, sizeof(*sp));
    sp->pc = pc;
    sp->run = run;
    sp->xcol = numeric_col(cycles, x);
    sp->ycol = numeric_col(cycles, y);
    sp->cells_ycol = numeric_col(cells, y);
    sp->per_cell = distribution(pc) && (is_cell_value(y) || sp->cells_ycol >= 0);
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
    const char *x = or_default(pc->x, "cycle_index");
    const char *name = pc->name ? pc->name : "";
    if (strcmp(x, CURVE_X) != 0)
        return cp_error_set(err, CP_ECONFIG,
                            "%s:%d: expected x to be " CURVE_X " for y " CURVE_Y
                            " in plot '%s', got '%s'",
                            file, pc->line, name, x);
    if (distribution(pc))
        return cp_error_set(err, CP_ECONFIG,
                            "%s:%d: expected kind line or scatter for y " CURVE_Y " in plot '%s'",
                            file, pc->line, name);
    return 0;
}

static int check_plot(const struct cp_run *run, const struct cp_plot_config *pc,
                      struct cp_error *err)
{
    const char *file = run->cfg && run->cfg->path ? run->cfg->path : "pipeline.yaml";
    const char *x = or_default(pc->x, "cycle_index"), *y = or_default(pc->y, "capacity_retention");
    struct spec sp;
    spec_resolve(&sp, run, pc);
    const char *bad = NULL;
    if (sp.curves) {
        int rc = check_curves_plot(file, pc, err);
        if (rc != 0)
            return rc;
    } else if (!sp.per_cell && sp.ycol < 0)
        bad = y;
    else if (!distribution(pc) && sp.xcol < 0)
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

static const struct cp_cell_result *result_of(const struct cp_run *run, size_t row)
{
    return run->results && row < run->nresults ? &run->results[row] : NULL;
}

/* Rows [*b, *e) of cycles for cells row `row`; -1 when the cell has no cycles. */
static int cell_slice(const struct cp_run *run, size_t row, size_t *b, size_t *e)
{
    const struct cp_table *cy = run->data.cycles;
    const struct cp_cell_result *r = result_of(run, row);
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

static const char *cell_id(const struct cp_run *run, size_t row)
{
    char **ids = cp_table_str(run->data.cells, "cell_id");
    return ids && ids[row] ? ids[row] : "?";
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Factor dividing y for the plot's normalisation (1 when none, NaN when not computable). */
static double norm_factor(const struct spec *sp, size_t row, size_t b, size_t e)
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
    qsort(first, n, sizeof(double), cmp_double);
    double med = n % 2 ? first[n / 2] : (first[n / 2 - 1] + first[n / 2]) / 2;
    return med != 0 ? med : NAN;
}

static int add_cell_series(struct cp_panel *p, const struct spec *sp, size_t row, const char *label,
                           int color)
{
    size_t b, e;
    if (cell_slice(sp->run, row, &b, &e) != 0)
        return 0;
    struct cp_series *s = cp_panel_add_series(p, label, color, e - b);
    if (!s)
        return -1;
    double f = norm_factor(sp, row, b, e);
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
    double f = norm_factor(sp, row, b, e);
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

static int add_overlays(struct cp_panel *p, const struct spec *sp, size_t row, int color,
                        unsigned ov)
{
    const struct cp_cell_result *r = result_of(sp->run, row);
    double thr = sp->run->cfg ? sp->run->cfg->fits.threshold * 100 : 80;
    size_t b = 0, e = 0;
    int have = cell_slice(sp->run, row, &b, &e) == 0;
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

static int add_threshold(struct cp_panel *p, const struct spec *sp)
{
    if (!sp->retention_like || !(sp->pc->overlays & CP_OVERLAY_THRESHOLD))
        return 0;
    double thr = sp->run->cfg ? sp->run->cfg->fits.threshold : 0.8;
    char label[64];
    snprintf(label, sizeof(label), "EOL %g %%", thr * 100);
    return cp_panel_add_hline(p, thr * 100, label) ? 0 : -1;
}

/* ---- the kinds of figure ---- */

static size_t ncells(const struct cp_run *run)
{
    return run->data.cells ? run->data.cells->nrows : 0;
}

/* Legend entries for the groups in sorted order, before any overlay entry; with `only`,
 * just the groups whose flag is set. */
static int group_legend(struct cp_figure *fig, const struct spec *sp, const unsigned char *only)
{
    int dots = sp->pc->kind == CP_PLOT_SCATTER;
    for (size_t g = 0; g < sp->groups.n && sp->groups.n > 1; g++) {
        if (only && !only[g])
            continue;
        struct cp_legend_entry *e = cp_figure_add_legend(fig, sp->groups.names[g], (int)g);
        if (!e)
            return -1;
        e->line = !dots;
        e->mark = dots ? CP_MARK_DISC : CP_MARK_NONE;
    }
    return 0;
}

struct xy {
    double x, y;
};

static int cmp_xy(const void *a, const void *b)
{
    const struct xy *p = a, *q = b;
    if (p->x != q->x)
        return p->x < q->x ? -1 : 1;
    return (p->y > q->y) - (p->y < q->y);
}

static double median_sorted(const double *v, size_t n)
{
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Median of y over the cells of a group at each x, then a centred rolling median of
 * SUMMARY_WINDOW points: the trend a reader looks for under per-cycle noise. ys values at one
 * x are sorted by cmp_xy, so median_sorted applies. */
#define SUMMARY_WINDOW 21
static int add_group_median(struct cp_panel *p, const struct spec *sp, int g, struct xy *pts)
{
    size_t n = 0, m = 0, members = 0;
    for (size_t row = 0; row < ncells(sp->run); row++) {
        size_t b, e;
        if (sp->groups.of_cell[row] != g || cell_slice(sp->run, row, &b, &e) != 0)
            continue;
        members++;
        double f = norm_factor(sp, row, b, e);
        for (size_t i = b; i < e; i++) {
            struct xy q = {cp_table_get_num(sp->run->data.cycles, sp->xcol, i) * sp->xscale,
                           cp_table_get_num(sp->run->data.cycles, sp->ycol, i) / f * sp->yscale};
            if (isfinite(q.x) && isfinite(q.y))
                pts[n++] = q;
        }
    }
    qsort(pts, n, sizeof(*pts), cmp_xy);
    double *ys = cp_malloc((n ? n : 1) * sizeof(double));
    if (!ys)
        return -1;
    /* collapse equal x to their median, in place: pts[0..m). Only where at least half the
     * group's cells (and two) contribute: as cells end their tests the median would
     * otherwise jump between whichever few remain. */
    size_t need = members / 2 > 2 ? members / 2 : 2;
    if (members < 2)
        need = 1;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && pts[j].x == pts[i].x) {
            ys[j - i] = pts[j].y;
            j++;
        }
        if (j - i >= need)
            pts[m++] = (struct xy){pts[i].x, median_sorted(ys, j - i)};
        i = j;
    }
    struct cp_series *s = cp_panel_add_series(p, sp->groups.names[g], g, m);
    int rc = s ? 0 : -1;
    for (size_t i = 0; i < m && rc == 0; i++) {
        size_t lo = i >= SUMMARY_WINDOW / 2 ? i - SUMMARY_WINDOW / 2 : 0;
        size_t hi = i + SUMMARY_WINDOW / 2 + 1 < m ? i + SUMMARY_WINDOW / 2 + 1 : m;
        for (size_t k = lo; k < hi; k++)
            ys[k - lo] = pts[k].y;
        qsort(ys, hi - lo, sizeof(double), cmp_double);
        s->x[i] = pts[i].x;
        s->y[i] = median_sorted(ys, hi - lo);
    }
    if (s)
        s->bold = 1;
    cp_free(ys);
    return rc;
}

static int add_group_medians(struct cp_panel *p, const struct spec *sp)
{
    size_t cap = sp->run->data.cycles ? sp->run->data.cycles->nrows : 0;
    struct xy *pts = cp_malloc((cap ? cap : 1) * sizeof(*pts));
    int rc = pts ? 0 : -1;
    for (size_t g = 0; g < sp->groups.n && rc == 0; g++)
        rc = add_group_median(p, sp, (int)g, pts);
    cp_free(pts);
    return rc;
}

static int build_xy_all(struct cp_figure *fig, const struct spec *sp)
{
    struct cp_panel *p = cp_figure_add_panel(fig, CP_PANEL_XY, NULL, sp->xlabel, sp->ylabel);
    if (!p)
        return -1;
    p->log_x = sp->pc->log_x;
    p->log_y = sp->pc->log_y;
    /* limits are written in the stored unit (0.7 for 70 % retention), like the data */
    p->x_min = sp->pc->x_min * sp->xscale;
    p->x_max = sp->pc->x_max * sp->xscale;
    p->y_min = sp->pc->y_min * sp->yscale;
    p->y_max = sp->pc->y_max * sp->yscale;
    if (sp->xcol < 0 || sp->ycol < 0)
        return cp_panel_set_empty_reason(p, "column not in this data");
    int rc = add_threshold(p, sp);
    if (rc == 0)
        rc = group_legend(fig, sp, NULL);
    for (size_t row = 0; row < ncells(sp->run) && rc == 0; row++) {
        int g = sp->groups.of_cell[row];
        rc = add_cell_series(p, sp, row, sp->groups.names[g], g);
        if (rc == 0 && sp->summary && p->nseries > 0 && p->series[p->nseries - 1].label) {
            p->series[p->nseries - 1].faint = 1;
            cp_free(p->series[p->nseries - 1].label);
            p->series[p->nseries - 1].label = NULL;
        }
        if (rc == 0)
            rc = add_overlays(p, sp, row, g, sp->pc->overlays);
    }
    if (rc == 0 && sp->summary)
        rc = add_group_medians(p, sp);
    if (rc == 0 && ncells(sp->run) == 0)
        rc = cp_panel_set_empty_reason(p, "no cells selected");
    return rc;
}

static int flag_title(const struct cp_run *run, size_t row, struct cp_strbuf *sb)
{
    const struct cp_cell_result *r = result_of(run, row);
    /* most telling first: a narrow panel cuts the end of its title */
    int rc = cp_strbuf_adds(sb, cell_id(run, row));
    for (int i = 0; r && i < r->nflags && i < CP_MAX_FLAGS && rc == 0; i++)
        rc = cp_strbuf_addf(sb, "%s%s", i ? ", " : " \xe2\x80\x94 ", r->flags[i].kind);
    if (rc == 0 && r && r->best_model >= 0)
        rc = cp_strbuf_addf(sb, " (%s fit)", model_title(r->best_model));
    return rc;
}

static int flagged_legend(struct cp_figure *fig, const struct spec *sp)
{
    unsigned char *present = cp_calloc(sp->groups.n ? sp->groups.n : 1, 1);
    if (!present)
        return -1;
    for (size_t row = 0; row < ncells(sp->run); row++) {
        const struct cp_cell_result *r = result_of(sp->run, row);
        if (r && r->nflags > 0)
            present[sp->groups.of_cell[row]] = 1;
    }
    int rc = group_legend(fig, sp, present);
    cp_free(present);
    return rc;
}

static int build_flagged(struct cp_figure *fig, const struct spec *sp)
{
    size_t shown = 0, total = 0;
    int rc = flagged_legend(fig, sp);
    for (size_t row = 0; row < ncells(sp->run) && rc == 0; row++) {
        const struct cp_cell_result *r = result_of(sp->run, row);
        if (!r || r->nflags == 0)
            continue;
        if (++total > MAX_FIT_PANELS)
            continue;
        struct cp_strbuf title = CP_STRBUF_INIT;
        rc = flag_title(sp->run, row, &title);
        /* panels in a grid are narrow: "Retention (%)" fits where the full label would not */
        const char *yl =
            strcmp(sp->ylabel, "Capacity retention (%)") == 0 ? "Retention (%)" : sp->ylabel;
        struct cp_panel *p =
            rc ? NULL : cp_figure_add_panel(fig, CP_PANEL_XY, title.buf, sp->xlabel, yl);
        cp_strbuf_release(&title);
        if (!p)
            return -1;
        p->log_x = sp->pc->log_x;
        p->log_y = sp->pc->log_y;
        int g = sp->groups.of_cell[row];
        rc = add_threshold(p, sp);
        if (rc == 0 && sp->xcol >= 0 && sp->ycol >= 0) {
            rc = add_cell_series(p, sp, row, sp->groups.names[g], g);
            if (rc == 0 && p->nseries > 0) {
                p->series[p->nseries - 1].line = 0;
                p->series[p->nseries - 1].mark = CP_MARK_DOT;
            }
        }
        if (rc == 0)
            rc = add_overlays(p, sp, row, g, sp->pc->overlays);
        shown++;
    }
    if (rc == 0 && total == 0) {
        struct cp_panel *p = cp_figure_add_panel(fig, CP_PANEL_XY, NULL, sp->xlabel, sp->ylabel);
        rc = p ? cp_panel_set_empty_reason(p, "no flagged cells") : -1;
    }
    fig->columns = shown <= 1 ? 1 : shown <= 4 ? 2 : 3;
    if (rc == 0 && total > shown) {
        struct cp_strbuf sub = CP_STRBUF_INIT;
        rc = cp_strbuf_addf(&sub,
                            "%s; showing %zu of %zu flagged cells (all are in the fleet "
                            "table)",
                            fig->subtitle ? fig->subtitle : "", shown, total);
        if (rc == 0)
            rc = cp_figure_set_subtitle(fig, sub.buf);
        cp_strbuf_release(&sub);
    }
    return rc;
}

/* Values of one group for histogram/box plots. v has room for every row of cycles/cells. */
static size_t group_values(const struct spec *sp, int g, double *v)
{
    const struct cp_run *run = sp->run;
    const char *y = or_default(sp->pc->y, "capacity_retention");
    size_t n = 0;
    for (size_t row = 0; row < ncells(run); row++) {
        if (sp->groups.of_cell[row] != g)
            continue;
        const struct cp_cell_result *r = result_of(run, row);
        size_t b, e;
        if (sp->per_cell && is_cell_value(y) && r)
            v[n++] = cell_value(r, y) * sp->yscale;
        else if (sp->per_cell && !is_cell_value(y))
            v[n++] = cp_table_get_num(run->data.cells, sp->cells_ycol, row) * sp->yscale;
        else if (!sp->per_cell && sp->ycol >= 0 && cell_slice(run, row, &b, &e) == 0) {
            double f = norm_factor(sp, row, b, e);
            for (size_t i = b; i < e; i++)
                v[n++] = cp_table_get_num(run->data.cycles, sp->ycol, i) / f * sp->yscale;
        }
    }
    return n;
}

static int build_distribution(struct cp_figure *fig, const struct spec *sp)
{
    int hist = sp->pc->kind == CP_PLOT_HISTOGRAM;
    const char *group_label = meta_label(or_default(sp->pc->group_by, "design_name"));
    struct cp_panel *p =
        hist ? cp_figure_add_panel(fig, CP_PANEL_HISTOGRAM, NULL, sp->ylabel,
                                   sp->per_cell ? "Cells" : "Cycles")
             : cp_figure_add_panel(fig, CP_PANEL_BOX, NULL, group_label, sp->ylabel);
    if (!p)
        return -1;
    p->log_y = hist ? 0 : sp->pc->log_y;
    /* a histogram's value axis is x: it takes x_min/x_max, in y's stored unit */
    p->x_min = hist ? sp->pc->x_min * sp->yscale : NAN;
    p->x_max = hist ? sp->pc->x_max * sp->yscale : NAN;
    p->y_min = hist ? NAN : sp->pc->y_min * sp->yscale;
    p->y_max = hist ? NAN : sp->pc->y_max * sp->yscale;
    size_t cap = ncells(sp->run) + (sp->run->data.cycles ? sp->run->data.cycles->nrows : 0);
    double *v = cp_malloc((cap ? cap : 1) * sizeof(double));
    if (!v)
        return -1;
    int rc = 0;
    for (size_t g = 0; g < sp->groups.n && rc == 0; g++) {
        size_t n = group_values(sp, (int)g, v);
        if (!cp_panel_add_values(p, sp->groups.names[g], (int)g, v, n))
            rc = -1;
    }
    cp_free(v);
    return rc;
}

/* ---- end of life per cell, sorted ---- */

struct eol_row {
    size_t row;
    double value;
};

static int cmp_eol(const void *a, const void *b)
{
    const struct eol_row *x = a, *y = b;
    if (x->value != y->value)
        return x->value < y->value ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

static int eol_legend(struct cp_figure *fig, const struct spec *sp)
{
    struct cp_legend_entry *e;
    if (group_legend(fig, sp, NULL) != 0 || !(e = cp_figure_add_legend(fig, "Observed", -1)))
        return -1;
    e->mark = CP_MARK_DISC;
    if (!(e = cp_figure_add_legend(fig, "Forecast, 95 % interval", -1)))
        return -1;
    e->mark = CP_MARK_CIRCLE;
    e->line = 1;
    if (!(e = cp_figure_add_legend(fig, "Capped at extrapolation limit", -1)))
        return -1;
    e->mark = CP_MARK_TRIANGLE;
    return 0;
}

static int build_eol(struct cp_figure *fig, const struct spec *sp)
{
    const struct cp_run *run = sp->run;
    struct cp_panel *p =
        cp_figure_add_panel(fig, CP_PANEL_INTERVALS, NULL, "End of life (cycles)", NULL);
    struct eol_row *rows = cp_malloc((ncells(run) ? ncells(run) : 1) * sizeof(*rows));
    size_t n = 0, none = 0;
    int rc = p && rows ? 0 : -1;
    for (size_t row = 0; row < ncells(run) && rc == 0; row++) {
        const struct cp_cell_result *r = result_of(run, row);
        double v = !r ? NAN : r->eol_observed >= 0 ? (double)r->eol_observed : r->eol_forecast;
        if (isfinite(v))
            rows[n++] = (struct eol_row){row, v};
        else
            none++;
    }
    if (rc == 0)
        qsort(rows, n, sizeof(*rows), cmp_eol);
    for (size_t i = 0; i < n && i < MAX_EOL_ROWS && rc == 0; i++) {
        const struct cp_cell_result *r = result_of(run, rows[i].row);
        int obs = r->eol_observed >= 0;
        enum cp_mark mk = obs ? CP_MARK_DISC : r->eol_capped ? CP_MARK_TRIANGLE : CP_MARK_CIRCLE;
        if (!cp_panel_add_row(p, cell_id(run, rows[i].row), rows[i].value, obs ? NAN : r->eol_lo,
                              obs ? NAN : r->eol_hi, sp->groups.of_cell[rows[i].row], mk))
            rc = -1;
    }
    if (rc == 0)
        rc = eol_legend(fig, sp);
    if (rc == 0 && (none > 0 || n > MAX_EOL_ROWS)) {
        struct cp_strbuf sub = CP_STRBUF_INIT;
        rc = cp_strbuf_addf(&sub, "%s; earliest first", fig->subtitle ? fig->subtitle : "");
        if (rc == 0 && n > MAX_EOL_ROWS)
            rc = cp_strbuf_addf(&sub, ", %d of %zu shown", MAX_EOL_ROWS, n);
        if (rc == 0 && none > 0)
            rc = cp_strbuf_addf(&sub, ", %zu without a forecast", none);
        if (rc == 0)
            rc = cp_figure_set_subtitle(fig, sub.buf);
        cp_strbuf_release(&sub);
    }
    if (rc == 0 && n == 0)
        rc = cp_panel_set_empty_reason(p, "no cell has an observed or forecast end of life");
    cp_free(rows);
    return rc;
}

/* ---- dQ/dV curves, one panel per cell, coloured by cycle ---- */

/* Rows [b, e) of the curves table hold one cell's curve of one cycle. */
struct curve_run {
    size_t b, e;
    long row; /* cells row of its cell, -1 when the cell is not in the cells table */
    int64_t cycle;
    double area; /* integral of dQ/dV over V: the Ah discharged within the curve */
    int partial; /* area below FULL_CYCLE of the cell's largest: not drawn */
};

struct curves {
    const double *v, *d;
    struct curve_run *runs;
    size_t nruns, cap;
    int64_t picks[DQDV_CYCLES]; /* cycles drawn, ascending; colour k is picks[k] */
    size_t npicks;
    size_t npartial; /* curves of shown cells left out as partial */
};

struct id_row {
    const char *id;
    size_t row;
};

static int cmp_id_row(const void *a, const void *b)
{
    return strcmp(((const struct id_row *)a)->id, ((const struct id_row *)b)->id);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int same_id(const char *a, const char *b)
{
    return a && b ? strcmp(a, b) == 0 : a == b;
}

/* Cut the curves table into runs of equal (cell, cycle): the dQ/dV stage writes each cycle's
 * grid points together. */
static int curves_runs(struct curves *cv, const struct cp_table *t, const int64_t *cyc, char **id)
{
    for (size_t r = 0; r < t->nrows; r++) {
        if (r > 0 && cyc[r] == cyc[r - 1] && same_id(id[r], id[r - 1])) {
            cv->runs[cv->nruns - 1].e = r + 1;
            continue;
        }
        if (cp_grow((void **)&cv->runs, &cv->cap, cv->nruns + 1, sizeof(*cv->runs)) != 0)
            return -1;
        cv->runs[cv->nruns++] = (struct curve_run){r, r + 1, -1, cyc[r], 0, 0};
    }
    return 0;
}

/* The cells row of each run, by binary search over the sorted cell ids. */
static int curves_rows(struct curves *cv, const struct cp_run *run, char **id)
{
    size_t n = ncells(run);
    char **cid = n ? cp_table_str(run->data.cells, "cell_id") : NULL;
    struct id_row *ix = cp_malloc((n ? n : 1) * sizeof(*ix));
    size_t m = 0;
    if (!ix)
        return -1;
    for (size_t i = 0; cid && i < n; i++)
        if (cid[i])
            ix[m++] = (struct id_row){cid[i], i};
    qsort(ix, m, sizeof(*ix), cmp_id_row);
    for (size_t k = 0; k < cv->nruns; k++) {
        struct id_row key = {id[cv->runs[k].b], 0};
        struct id_row *hit = key.id ? bsearch(&key, ix, m, sizeof(*ix), cmp_id_row) : NULL;
        cv->runs[k].row = hit ? (long)hit->row : -1;
    }
    cp_free(ix);
    return 0;
}

static int shown_cell(const struct spec *sp, long row)
{
    if (row < 0)
        return 0;
    if (!sp->pc->cells || strcmp(sp->pc->cells, "flagged") != 0)
        return 1;
    const struct cp_cell_result *r = result_of(sp->run, (size_t)row);
    return r && r->nflags > 0;
}

/* Formation steps, pulse tests and partial discharges cover a fraction of the voltage window:
 * their curves are not comparable with full cycles and hide the peak shift, so cycles whose
 * curve holds less than FULL_CYCLE of the cell's largest discharged capacity are left out. */
static int curves_full(struct curves *cv, const struct spec *sp)
{
    size_t n = ncells(sp->run);
    double *best = cp_malloc((n ? n : 1) * sizeof(double));
    if (!best)
        return -1;
    for (size_t i = 0; i < n; i++)
        best[i] = 0;
    for (size_t k = 0; k < cv->nruns; k++) {
        struct curve_run *cr = &cv->runs[k];
        cr->area = 0;
        for (size_t i = cr->b; i + 1 < cr->e; i++) {
            double a = 0.5 * (cv->d[i] + cv->d[i + 1]) * fabs(cv->v[i + 1] - cv->v[i]);
            if (isfinite(a))
                cr->area += a;
        }
        if (cr->row >= 0 && cr->area > best[cr->row])
            best[cr->row] = cr->area;
    }
    for (size_t k = 0; k < cv->nruns; k++) {
        struct curve_run *cr = &cv->runs[k];
        cr->partial = cr->row >= 0 && !(cr->area > 0 && cr->area >= FULL_CYCLE * best[cr->row]);
        cv->npartial += cr->partial && shown_cell(sp, cr->row);
    }
    cp_free(best);
    return 0;
}

/* First, last and evenly spaced cycles in between, over the cycles with a curve in any shown
 * cell: one choice for the whole figure, so a colour means the same cycle in every panel. */
static int curves_pick(struct curves *cv, const struct spec *sp)
{
    int64_t *c = cp_malloc((cv->nruns ? cv->nruns : 1) * sizeof(int64_t));
    size_t n = 0, u = 0;
    if (!c)
        return -1;
    for (size_t k = 0; k < cv->nruns; k++)
        if (shown_cell(sp, cv->runs[k].row) && !cv->runs[k].partial)
            c[n++] = cv->runs[k].cycle;
    qsort(c, n, sizeof(int64_t), cmp_i64);
    for (size_t i = 0; i < n; i++)
        if (u == 0 || c[u - 1] != c[i])
            c[u++] = c[i];
    cv->npicks = u < DQDV_CYCLES ? u : DQDV_CYCLES;
    for (size_t k = 0; k < cv->npicks; k++) {
        size_t i = cv->npicks < 2 ? 0 : (k * (u - 1) + (cv->npicks - 1) / 2) / (cv->npicks - 1);
        cv->picks[k] = c[i];
    }
    cp_free(c);
    return 0;
}

static void curves_release(struct curves *cv)
{
    cp_free(cv->runs);
    memset(cv, 0, sizeof(*cv));
}

static int curves_index(struct curves *cv, const struct spec *sp)
{
    const struct cp_run *run = sp->run;
    const struct cp_table *t = run->data.curves;
    memset(cv, 0, sizeof(*cv));
    char **id = t ? cp_table_str(t, "cell_id") : NULL;
    const int64_t *cyc = t ? cp_table_i64(t, "cycle_index") : NULL;
    cv->v = t ? cp_table_f64(t, CURVE_X) : NULL;
    cv->d = t ? cp_table_f64(t, CURVE_Y) : NULL;
    if (!id || !cyc || !cv->v || !cv->d || t->nrows == 0)
        return 0;
    if (curves_runs(cv, t, cyc, id) != 0 || curves_rows(cv, run, id) != 0 ||
        curves_full(cv, sp) != 0 || curves_pick(cv, sp) != 0) {
        curves_release(cv);
        return -1;
    }
    return 0;
}

static int curves_legend(struct cp_figure *fig, const struct curves *cv, int dots)
{
    for (size_t k = 0; k < cv->npicks; k++) {
        char label[40];
        snprintf(label, sizeof(label), "cycle %lld", (long long)cv->picks[k]);
        struct cp_legend_entry *e = cp_figure_add_legend(fig, label, (int)k);
        if (!e)
            return -1;
        e->line = !dots;
        e->mark = dots ? CP_MARK_DISC : CP_MARK_NONE;
    }
    return 0;
}

static int add_curve(struct cp_panel *p, const struct spec *sp, const struct curves *cv,
                     const struct curve_run *cr, int k)
{
    char label[40];
    snprintf(label, sizeof(label), "cycle %lld", (long long)cr->cycle);
    struct cp_series *s = cp_panel_add_series(p, label, k, cr->e - cr->b);
    if (!s)
        return -1;
    for (size_t i = cr->b; i < cr->e; i++) {
        s->x[i - cr->b] = cv->v[i] * sp->xscale;
        s->y[i - cr->b] = cv->d[i] * sp->yscale;
    }
    s->line = sp->pc->kind != CP_PLOT_SCATTER;
    s->mark = s->line ? CP_MARK_NONE : CP_MARK_DOT;
    return 0;
}

static struct cp_panel *curve_panel(struct cp_figure *fig, const struct spec *sp, const char *title)
{
    struct cp_panel *p = cp_figure_add_panel(fig, CP_PANEL_XY, title, sp->xlabel, sp->ylabel);
    if (!p)
        return NULL;
    p->log_x = sp->pc->log_x;
    p->log_y = sp->pc->log_y;
    p->x_min = sp->pc->x_min * sp->xscale;
    p->x_max = sp->pc->x_max * sp->xscale;
    p->y_min = sp->pc->y_min * sp->yscale;
    p->y_max = sp->pc->y_max * sp->yscale;
    return p;
}

/* One panel per shown cell with curves (up to MAX_FIT_PANELS, in the order of the cells
 * table), its curves at the picked cycles. panel_of maps a cells row to its panel, -1 when
 * it has none. */
static int curves_panels(struct cp_figure *fig, const struct spec *sp, const struct curves *cv,
                         long *panel_of, size_t *total)
{
    size_t shown = 0;
    for (size_t k = 0; k < cv->nruns; k++)
        if (shown_cell(sp, cv->runs[k].row))
            panel_of[cv->runs[k].row] = -2; /* has curves */
    for (size_t row = 0; row < ncells(sp->run); row++) {
        if (panel_of[row] != -2)
            continue;
        panel_of[row] = -1;
        if (++*total > MAX_FIT_PANELS)
            continue;
        if (!curve_panel(fig, sp, cell_id(sp->run, row)))
            return -1;
        panel_of[row] = (long)shown++;
    }
    for (size_t k = 0; k < cv->nruns; k++) {
        const struct curve_run *cr = &cv->runs[k];
        long pi = cr->row >= 0 && !cr->partial ? panel_of[cr->row] : -1;
        for (size_t j = 0; pi >= 0 && j < cv->npicks; j++) {
            struct cp_panel *p = &fig->panels[pi];
            if (cv->picks[j] != cr->cycle)
                continue;
            int dup = 0; /* a cycle read twice (two files of one cell): the first is drawn */
            for (size_t i = 0; i < p->nseries; i++)
                dup |= p->series[i].color == (int)j;
            if (!dup && add_curve(p, sp, cv, cr, (int)j) != 0)
                return -1;
        }
    }
    for (size_t i = 0; i < fig->npanels; i++)
        if (fig->panels[i].nseries == 0 &&
            cp_panel_set_empty_reason(&fig->panels[i], "no curve at the cycles shown") != 0)
            return -1;
    return 0;
}

static int curves_subtitle(struct cp_figure *fig, const struct spec *sp, const struct curves *cv,
                           size_t total)
{
    size_t shown = total < MAX_FIT_PANELS ? total : MAX_FIT_PANELS;
    const struct cp_run *run = sp->run;
    struct cp_strbuf sb = CP_STRBUF_INIT;
    int rc =
        cp_strbuf_addf(&sb, "%s \xc2\xb7 %s \xc2\xb7 %zu %s with curves \xc2\xb7 colour by cycle",
                       run->cfg && run->cfg->name ? run->cfg->name : "pipeline", run->date, total,
                       total == 1 ? "cell" : "cells");
    if (rc == 0 && total > shown)
        rc = cp_strbuf_addf(&sb, "; showing %zu of %zu cells", shown, total);
    if (rc == 0 && cv->npartial > 0)
        rc = cp_strbuf_addf(&sb, "; %zu partial %s left out", cv->npartial,
                            cv->npartial == 1 ? "cycle" : "cycles");
    if (rc == 0)
        rc = cp_figure_set_subtitle(fig, sb.buf);
    cp_strbuf_release(&sb);
    return rc;
}

static int build_curves(struct cp_figure *fig, const struct spec *sp)
{
    struct curves cv;
    size_t total = 0;
    long *panel_of = cp_malloc((ncells(sp->run) ? ncells(sp->run) : 1) * sizeof(long));
    int rc = panel_of && curves_index(&cv, sp) == 0 ? 0 : -1;
    if (rc != 0) {
        cp_free(panel_of);
        return -1;
    }
    for (size_t i = 0; i < ncells(sp->run); i++)
        panel_of[i] = -1;
    rc = curves_panels(fig, sp, &cv, panel_of, &total);
    if (rc == 0)
        rc = curves_legend(fig, &cv, sp->pc->kind == CP_PLOT_SCATTER);
    if (rc == 0 && fig->npanels == 0) {
        struct cp_panel *p = curve_panel(fig, sp, NULL);
        const char *why = cv.nruns == 0 ? "no dQ/dV curves: the source gave no raw time series"
                                        : "no selected cell has dQ/dV curves";
        rc = p ? cp_panel_set_empty_reason(p, why) : -1;
    }
    fig->columns = fig->npanels <= 1 ? 1 : fig->npanels <= 4 ? 2 : 3;
    if (rc == 0)
        rc = curves_subtitle(fig, sp, &cv, total);
    curves_release(&cv);
    cp_free(panel_of);
    return rc;
}

/* ---- figures ---- */

/* SPECIAL_CURVES: a default drawn only when the run has dQ/dV curves (raw time series). */
enum special { SPECIAL_NONE, SPECIAL_EOL, SPECIAL_SUMMARY, SPECIAL_CURVES };

static int subtitle(struct cp_figure *fig, const struct spec *sp)
{
    struct cp_strbuf sb = CP_STRBUF_INIT;
    const struct cp_run *run = sp->run;
    const char *name = run->cfg && run->cfg->name ? run->cfg->name : "pipeline";
    char lower[64];
    int rc = cp_strbuf_addf(&sb, "%s \xc2\xb7 %s \xc2\xb7 %zu cells", name, run->date, ncells(run));
    if (rc == 0 && sp->groups.n > 1)
        rc = cp_strbuf_addf(
            &sb, " \xc2\xb7 colour by %s",
            meta_label_lower(or_default(sp->pc->group_by, "design_name"), lower, sizeof(lower)));
    if (rc == 0)
        rc = cp_figure_set_subtitle(fig, sb.buf);
    cp_strbuf_release(&sb);
    return rc;
}

/* An axis label without its unit: titles read "Capacity retention vs Cycle number". */
static int add_bare(struct cp_strbuf *sb, const char *label)
{
    const char *paren = strstr(label, " (");
    return cp_strbuf_add(sb, label, paren ? (size_t)(paren - label) : strlen(label));
}

static int default_title(const struct spec *sp, struct cp_strbuf *sb)
{
    if (sp->pc->title && *sp->pc->title)
        return cp_strbuf_adds(sb, sp->pc->title);
    int rc = add_bare(sb, sp->ylabel);
    char lower[64];
    if (rc == 0 && distribution(sp->pc))
        return cp_strbuf_addf(
            sb, " by %s",
            meta_label_lower(or_default(sp->pc->group_by, "design_name"), lower, sizeof(lower)));
    if (rc == 0)
        rc = cp_strbuf_adds(sb, " vs ");
    return rc == 0 ? add_bare(sb, sp->xlabel) : rc;
}

static int build_one(const struct cp_run *run, const struct cp_plot_config *pc,
                     enum special sp_kind, struct cp_figure **out)
{
    struct spec sp;
    struct cp_strbuf title = CP_STRBUF_INIT;
    struct cp_figure *fig = NULL;
    int rc = -1;
    spec_resolve(&sp, run, pc);
    sp.summary = sp_kind == SPECIAL_SUMMARY;
    const char *gb = pc->group_by && *pc->group_by ? pc->group_by : "design_name";
    if (groups_build(run->data.cells, gb, &sp.groups) != 0)
        goto cleanup;
    if (default_title(&sp, &title) != 0 || !(fig = cp_figure_new(title.buf)))
        goto cleanup;
    if (subtitle(fig, &sp) != 0)
        goto cleanup;
    if (sp_kind == SPECIAL_EOL)
        rc = build_eol(fig, &sp);
    else if (sp.curves)
        rc = build_curves(fig, &sp);
    else if (distribution(pc))
        rc = build_distribution(fig, &sp);
    else if (pc->cells && strcmp(pc->cells, "flagged") == 0)
        rc = build_flagged(fig, &sp);
    else
        rc = build_xy_all(fig, &sp);
cleanup:
    cp_strbuf_release(&title);
    groups_release(&sp.groups);
    if (rc != 0) {
        cp_figure_free(fig);
        fig = NULL;
    }
    *out = fig;
    return rc;
}

/* ---- the default set ---- */

#define ALL_OVERLAYS                                                                               \
    (CP_OVERLAY_FIT | CP_OVERLAY_BAND | CP_OVERLAY_THRESHOLD | CP_OVERLAY_KNEE |                   \
     CP_OVERLAY_ANOMALIES)

struct default_plot {
    struct cp_plot_config pc;
    enum special special;
};

static const struct default_plot defaults[] = {
    {{"retention_by_design", CP_PLOT_LINE, "cycle_index", "capacity_retention", "design_name",
      CP_NORM_NONE, 0, 0, NAN, NAN, NAN, NAN, "Capacity retention by design", CP_OVERLAY_THRESHOLD,
      "all", 0},
     SPECIAL_NONE},
    {{"coulombic_efficiency", CP_PLOT_LINE, "cycle_index", "coulombic_efficiency", "design_name",
      CP_NORM_NONE, 0, 0, NAN, NAN, NAN, NAN, "Coulombic efficiency", 0, "all", 0},
     SPECIAL_SUMMARY},
    {{"energy_efficiency", CP_PLOT_LINE, "cycle_index", "energy_efficiency", "design_name",
      CP_NORM_NONE, 0, 0, NAN, NAN, NAN, NAN, "Energy efficiency", 0, "all", 0},
     SPECIAL_SUMMARY},
    {{"fade_rate_by_design", CP_PLOT_BOX, "cycle_index", "fade_rate", "design_name", CP_NORM_NONE,
      0, 0, NAN, NAN, NAN, NAN, "Fade rate per cell, by design", 0, "all", 0},
     SPECIAL_NONE},
    {{"eol_forecast", CP_PLOT_LINE, "cycle_index", "capacity_retention", "design_name",
      CP_NORM_NONE, 0, 0, NAN, NAN, NAN, NAN, "End of life per cell", 0, "all", 0},
     SPECIAL_EOL},
    {{"flagged_fits", CP_PLOT_SCATTER, "cycle_index", "capacity_retention", "design_name",
      CP_NORM_NONE, 0, 0, NAN, NAN, NAN, NAN, "Flagged cells: data, fit and end of life",
      ALL_OVERLAYS, "flagged", 0},
     SPECIAL_NONE},
    {{"dqdv", CP_PLOT_LINE, CURVE_X, CURVE_Y, "design_name", CP_NORM_NONE, 0, 0, NAN, NAN, NAN, NAN,
      "Incremental capacity (dQ/dV) by cycle", 0, "all", 0},
     SPECIAL_CURVES},
};

static int configured(const struct cp_run *run, const char *name)
{
    for (size_t i = 0; run->cfg && i < run->cfg->plots.nlist; i++)
        if (run->cfg->plots.list[i].name && strcmp(run->cfg->plots.list[i].name, name) == 0)
            return 1;
    return 0;
}

static int list_add(struct cp_chart_list *l, const char *name, struct cp_figure *fig)
{
    char *n = cp_strdup(name);
    if (!n || cp_grow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v)) != 0) {
        cp_free(n);
        cp_figure_free(fig);
        return -1;
    }
    l->v[l->n++] = (struct cp_chart){n, fig};
    return 0;
}

int cp_charts_build(const struct cp_run *run, struct cp_chart_list *out, struct cp_error *err)
{
    memset(out, 0, sizeof(*out));
    int rc = cp_charts_check(run, err);
    if (rc != 0)
        return rc;
    size_t nlist = run->cfg ? run->cfg->plots.nlist : 0;
    for (size_t i = 0; i < nlist; i++) {
        const struct cp_plot_config *pc = &run->cfg->plots.list[i];
        struct cp_figure *fig;
        if (build_one(run, pc, SPECIAL_NONE, &fig) != 0 || list_add(out, pc->name, fig) != 0)
            goto oom;
    }
    int want_defaults = !run->cfg || run->cfg->plots.defaults;
    for (size_t i = 0; want_defaults && i < sizeof(defaults) / sizeof(defaults[0]); i++) {
        const struct default_plot *d = &defaults[i];
        struct cp_figure *fig;
        if (configured(run, d->pc.name))
            continue;
        if (d->special == SPECIAL_CURVES && (!run->data.curves || run->data.curves->nrows == 0))
            continue;
        if (build_one(run, &d->pc, d->special, &fig) != 0 || list_add(out, d->pc.name, fig) != 0)
            goto oom;
    }
    return 0;
oom:
    cp_charts_release(out);
    return cp_error_oom(err);
}

void cp_charts_release(struct cp_chart_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        cp_free(l->v[i].name);
        cp_figure_free(l->v[i].fig);
    }
    cp_free(l->v);
    memset(l, 0, sizeof(*l));
}

int64_t cp_charts_epoch(const struct cp_run *run)
{
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (sde && *sde) {
        char *end;
        long long v = strtoll(sde, &end, 10);
        if (*end == '\0' && v >= 0)
            return (int64_t)v;
    }
    if (run->epoch > 0)
        return run->epoch;
    int64_t t = 0;
    return cp_parse_date(run->date, &t) == 0 ? t : 0;
}

#define ROW_PT 12.0 /* an interval row stays readable at 8 pt type */

double cp_charts_height(const struct cp_figure *fig, double width, double height)
{
    if (fig->npanels == 1 && fig->panels[0].kind == CP_PANEL_INTERVALS)
        return fmax(height, 90 + ROW_PT * (double)fig->panels[0].nrows);
    if (fig->npanels <= 1)
        return height;
    size_t cols = fig->columns > 0 ? (size_t)fig->columns : 1;
    size_t rows = (fig->npanels + cols - 1) / cols;
    /* about 0.65 of a panel's width per row, plus the title block and the legend below */
    double per_row = width / (double)cols * 0.65;
    return fmax(height, 100 + per_row * (double)rows);
}
