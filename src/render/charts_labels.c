/* Chart labels and units of columns and metadata, per-cell results as named values, model titles
 * (charts_internal.h). */
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
const char *chart_meta_label(const char *column)
{
    for (size_t i = 0; i < sizeof(meta_labels) / sizeof(meta_labels[0]); i++)
        if (strcmp(meta_labels[i][0], column) == 0)
            return meta_labels[i][1];
    return column;
}

/* The same, lowercased for use inside a sentence ("colour by design"). */
const char *chart_meta_label_lower(const char *column, char *buf, size_t n)
{
    snprintf(buf, n, "%s", chart_meta_label(column));
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

int chart_is_cell_value(const char *name)
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

double chart_cell_value(const struct cp_cell_result *r, const char *name)
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

const char *chart_model_title(int m)
{
    static const char *const t[] = {"linear", "sqrt", "power law", "double exp", "Bacon-Watts"};
    return m >= 0 && m < CP_MODEL_COUNT ? t[m] : "none";
}
