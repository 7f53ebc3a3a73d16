/* The pipeline schema: see schema.h. Keep pipelines/README.md in step (`cellpipe validate
 * --schema` prints this table). */
#include <math.h>
#include <stddef.h>

#include "cellpipe/config.h"
#include "schema.h"

#define NOR 1, 0 /* no range check */
#define S(field) offsetof(struct cp_source_config, field)
#define SEL(field) offsetof(struct cp_select_config, field)
#define R(field) offsetof(struct cp_rule_config, field)
#define V(field) offsetof(struct cp_validate_config, field)
#define FE(field) offsetof(struct cp_features_config, field)
#define FI(field) offsetof(struct cp_fits_config, field)
#define P(field) offsetof(struct cp_plot_config, field)
#define PS(field) offsetof(struct cp_plots_config, field)
#define W(field) offsetof(struct cp_workbook_config, field)
#define ST(field) offsetof(struct cp_statistics_config, field)
#define M(field) offsetof(struct cp_mlflow_config, field)
#define RE(field) offsetof(struct cp_report_config, field)
#define E(field) offsetof(struct cp_email_config, field)
#define C(field) offsetof(struct cp_config, field)
#define MO(field) offsetof(struct cp_model_config, field)

static const char *const source_kinds[] = {"sample", "files", "postgres", "redash", NULL};
static const char *const policies[] = {"fail", "quarantine", "warn", NULL};
static const char *const rule_kinds[] = {"required", "range",   "monotonic", "duplicates",
                                         "nan",      "outlier", "gaps",      NULL};
static const char *const references[] = {"first_cycles", "nominal", NULL};
static const char *const models[] = {"linear", "sqrt", "power", "double_exp", "bacon_watts", NULL};
static const char *const intervals[] = {"bootstrap", "delta", NULL};
static const char *const forecasts[] = {"auto", "per_cell", "fleet", NULL};
static const char *const plot_kinds[] = {"line", "scatter", "histogram", "box", NULL};
static const char *const normalizes[] = {"none", "first_cycles", "nominal", NULL};
static const char *const overlays[] = {"fit", "band", "threshold", "knee", "anomalies", NULL};
static const char *const starttls_modes[] = {"auto", "required", "off", NULL};
static const char *const corrections[] = {"holm", "bonferroni", "none", NULL};
static const char *const email_whens[] = {"always", "flagged", "failure", NULL};

static const struct cp_field source_fields[] = {
    {"kind", F_ENUM, S(kind), 0, source_kinds, NULL, NOR, "sample", "where the data comes from"},
    {"seed", F_LONG, S(seed), 0, NULL, NULL, 0, 1e15, "42", "sample: random seed"},
    {"cells", F_LONG, S(cells), 0, NULL, NULL, 1, 1e6, "24", "sample: number of cells"},
    {"cycles", F_LONG, S(cycles), 0, NULL, NULL, 10, 1e6, "1000",
     "sample: cycles of the longest test"},
    {"life_spread", F_DOUBLE, S(life_spread), 0, NULL, NULL, 0.01, 3.5, "1",
     "sample: how far the designs' lives differ (2.5: LFP 1.0, NMC 0.75, NCA 0.5, LTO 0.875)"},
    {"paths", F_STRLIST, S(paths), 0, NULL, NULL, NOR, NULL,
     "files: files, folders or globs, relative to the pipeline file"},
    {"format", F_STR, S(format), 0, NULL, NULL, NOR, "auto",
     "files: reader name, or auto (content sniffing)"},
    {"on_error", F_STR, S(on_error), 0, NULL, NULL, NOR, "stop",
     "files: stop, or skip a bad file and go on"},
    {"columns", F_FILTERS, S(columns), S(ncolumns), NULL, NULL, NOR, NULL,
     "files: tidy per-cycle CSVs: file column -> canonical column, or [column, unit] "
     "(docs/readers.md)"},
    {"dsn", F_STR, S(dsn), 0, NULL, NULL, NOR, "${DATABASE_URL:-}",
     "postgres: libpq connection string (empty: libpq's PG* environment)"},
    {"cells_query", F_STR, S(cells_query), 0, NULL, NULL, NOR, "templates/queries/cells.sql",
     "postgres: SQL template for cell metadata"},
    {"cycles_query", F_STR, S(cycles_query), 0, NULL, NULL, NOR, "templates/queries/cycles.sql",
     "postgres: SQL template for per-cycle rows"},
    {"incremental", F_BOOL, S(incremental), 0, NULL, NULL, NOR, "false",
     "postgres: recompute only cells whose data changed"},
    {"timeseries", F_BOOL, S(timeseries), 0, NULL, NULL, NOR, "false",
     "postgres: replay timeseries_data for dQ/dV curves and early-life features"},
    {"url", F_STR, S(url), 0, NULL, NULL, NOR, "${REDASH_URL:-}", "redash: base URL"},
    {"cells_query_id", F_LONG, S(cells_query_id), 0, NULL, NULL, 0, 1e12, "0",
     "redash: query id returning cell metadata"},
    {"cycles_query_id", F_LONG, S(cycles_query_id), 0, NULL, NULL, 0, 1e12, "0",
     "redash: query id returning per-cycle rows"},
    {"parameters", F_FILTERS, S(parameters), S(nparameters), NULL, NULL, NOR, NULL,
     "redash: query parameters, name: value"},
    {"max_age", F_LONG, S(max_age), 0, NULL, NULL, 0, 1e9, "0",
     "redash: accept a cached result this many seconds old"},
    {"timeout_s", F_DOUBLE, S(timeout_s), 0, NULL, NULL, 1, 86400, "300",
     "redash: give up waiting for a query job after this long"},
    {"numeric_columns", F_STRLIST, S(numeric_columns), 0, NULL, NULL, NOR, "",
     "metadata columns of cells.csv read as numbers (a value that does not parse is a data "
     "error); model features may use them"},
    {.key = NULL},
};

static const struct cp_field select_fields[] = {
    {"design_name", F_STRLIST, SEL(design_name), 0, NULL, NULL, NOR, NULL, "keep these designs"},
    {"experiment_group", F_STRLIST, SEL(experiment_group), 0, NULL, NULL, NOR, NULL,
     "keep these experiment groups"},
    {"layer_types", F_STRLIST, SEL(layer_types), 0, NULL, NULL, NOR, NULL,
     "keep these layer types"},
    {"test_status", F_STRLIST, SEL(test_status), 0, NULL, NULL, NOR, NULL,
     "keep these statuses (active, completed, failed, aborted)"},
    {"year", F_STRLIST, SEL(year), 0, NULL, NULL, NOR, NULL, "keep these years"},
    {"cell_id", F_STRLIST, SEL(cell_id), 0, NULL, NULL, NOR, NULL, "keep these cells"},
    {"where", F_FILTERS, SEL(where), SEL(nwhere), NULL, NULL, NOR, NULL,
     "any metadata column: list of accepted values"},
    {.key = NULL},
};

static const struct cp_field rule_fields[] = {
    {"rule", F_ENUM, R(kind), 0, rule_kinds, NULL, NOR, NULL, "what to check (required)"},
    {"column", F_STR, R(column), 0, NULL, NULL, NOR, "discharge_capacity_ah",
     "the cycles column checked"},
    {"min", F_DOUBLE, R(min), 0, NULL, NULL, NOR, "", "range: lowest valid value"},
    {"max", F_DOUBLE, R(max), 0, NULL, NULL, NOR, "", "range: highest valid value"},
    {"z", F_DOUBLE, R(z), 0, NULL, NULL, 1, 1e6, "25", "outlier: robust z-score limit"},
    {"window", F_LONG, R(window), 0, NULL, NULL, 3, 1001, "11",
     "outlier: window of the local trend (cycles)"},
    {"policy", F_ENUM, R(policy), 0, policies, NULL, NOR, "quarantine",
     "fail the run, quarantine the rows, or warn"},
    {"threshold", F_DOUBLE, R(threshold), 0, NULL, NULL, 0, 1, "0.05",
     "fraction of rows this rule may hit before the run fails (exit 65)"},
    {.key = NULL},
};

const struct cp_section cp_schema_rule = {"validate.rules[]", rule_fields,
                                          sizeof(struct cp_rule_config), R(line)};

static const struct cp_field validate_fields[] = {
    {"rules", F_LIST, V(rules), V(nrules), NULL, &cp_schema_rule, NOR, NULL,
     "list of rules; when absent, the default set in pipelines/README.md"},
    {"max_quarantine_fraction", F_DOUBLE, V(max_quarantine_fraction), 0, NULL, NULL, 0, 1, "0.05",
     "fraction of all rows that may be quarantined before the run fails (exit 65)"},
    {"max_cell_fraction", F_DOUBLE, V(max_cell_fraction), 0, NULL, NULL, 0, 1, "0.2",
     "share of one cell's rows an outlier rule may quarantine; past it the rows stay and the "
     "cell is flagged"},
    {.key = NULL},
};

static const struct cp_field features_fields[] = {
    {"reference", F_ENUM, FE(reference), 0, references, NULL, NOR, "first_cycles",
     "capacity_retention reference: median of the first cycles, or nominal capacity"},
    {"reference_cycles", F_LONG, FE(reference_cycles), 0, NULL, NULL, 1, 100, "3",
     "valid cycles whose median is the reference"},
    {"temperature_alpha", F_DOUBLE, FE(temperature_alpha), 0, NULL, NULL, -1, 1, "0.005",
     "alpha of Q / (1 + alpha (T - T_ref)), per degC"},
    {"temperature_ref_c", F_DOUBLE, FE(temperature_ref_c), 0, NULL, NULL, -100, 200, "25",
     "T_ref in degC"},
    {"windows", F_LONGS, FE(windows), FE(nwindows), NULL, NULL, 2, 10000, "5,10,20",
     "trailing windows of rolling mean/std of retention (at most 8)"},
    {"fade_window", F_LONG, FE(fade_window), 0, NULL, NULL, 2, 100000, "50",
     "trailing window of fade_rate (cycles)"},
    {"persist_cycles", F_LONG, FE(persist_cycles), 0, NULL, NULL, 1, 10000, "5",
     "cycles a retention drop must persist to count for cycles_to_90/80"},
    {"last_n", F_LONG, FE(last_n), 0, NULL, NULL, 1, 100000, "10",
     "cycles in the last-N coulombic efficiency"},
    {.key = NULL},
};

static const struct cp_field fits_fields[] = {
    {"enabled", F_BOOL, FI(enabled), 0, NULL, NULL, NOR, "true", "fit degradation models"},
    {"models", F_FLAGS, FI(models), sizeof(int), models, NULL, NOR,
     "linear,sqrt,power,double_exp,bacon_watts", "models to fit"},
    {"threshold", F_DOUBLE, FI(threshold), 0, NULL, NULL, 0.01, 0.999, "0.8",
     "end of life: retention below this fraction of the reference"},
    {"reference", F_ENUM, FI(reference), 0, references, NULL, NOR, "first_cycles",
     "EOL reference: first cycles or nominal capacity"},
    {"interval", F_ENUM, FI(interval), 0, intervals, NULL, NOR, "bootstrap",
     "95 % interval method of per-cell forecasts"},
    {"bootstrap_samples", F_LONG, FI(bootstrap_samples), 0, NULL, NULL, 10, 100000, "200",
     "residual bootstrap resamples"},
    {"seed", F_LONG, FI(seed), 0, NULL, NULL, 0, 1e15, "1", "bootstrap seed"},
    {"forecast", F_ENUM, FI(forecast), 0, forecasts, NULL, NOR, "auto",
     "per_cell, fleet, or auto (chosen by back-test)"},
    {"fleet_group", F_STR, FI(fleet_group), 0, NULL, NULL, NOR, "design_name",
     "metadata column whose finished cells are a cell's siblings"},
    {"max_extrapolation", F_DOUBLE, FI(max_extrapolation), 0, NULL, NULL, 1, 100, "3",
     "cap forecasts at this multiple of the observed cycles (flagged)"},
    {"min_cycles", F_LONG, FI(min_cycles), 0, NULL, NULL, 3, 100000, "20",
     "fewer valid cycles: no fit, flagged"},
    {"anomaly_z", F_DOUBLE, FI(anomaly_z), 0, NULL, NULL, 1, 1e6, "5",
     "per-cycle anomaly: robust z-score of the residual to the local trend"},
    {"ce_min", F_DOUBLE, FI(ce_min), 0, NULL, NULL, 0, 2, "0.95",
     "plausible coulombic efficiency, low end"},
    {"ce_max", F_DOUBLE, FI(ce_max), 0, NULL, NULL, 0, 2, "1.02",
     "plausible coulombic efficiency, high end"},
    {"fade_mad", F_DOUBLE, FI(fade_mad), 0, NULL, NULL, 0.5, 1e6, "4",
     "per-cell fade-rate outlier limit, in median absolute deviations"},
    {"threads", F_LONG, FI(threads), 0, NULL, NULL, 0, 1024, "0", "worker threads, 0 = cores"},
    {.key = NULL},
};

static const struct cp_field plot_fields[] = {
    {"name", F_STR, P(name), 0, NULL, NULL, NOR, NULL, "file stem under plots/ (required)"},
    {"kind", F_ENUM, P(kind), 0, plot_kinds, NULL, NOR, "line", "line, scatter, histogram, box"},
    {"x", F_STR, P(x), 0, NULL, NULL, NOR, "cycle_index", "cycles column or feature on x"},
    {"y", F_STR, P(y), 0, NULL, NULL, NOR, "capacity_retention", "cycles column or feature on y"},
    {"group_by", F_STR, P(group_by), 0, NULL, NULL, NOR, "design_name",
     "metadata column: one colour per group"},
    {"normalize", F_ENUM, P(normalize), 0, normalizes, NULL, NOR, "none",
     "divide y by the first cycles or nominal capacity"},
    {"log_x", F_BOOL, P(log_x), 0, NULL, NULL, NOR, "false", "logarithmic x axis"},
    {"log_y", F_BOOL, P(log_y), 0, NULL, NULL, NOR, "false", "logarithmic y axis"},
    {"x_min", F_DOUBLE, P(x_min), 0, NULL, NULL, NOR, "", "x axis limit (empty: automatic)"},
    {"x_max", F_DOUBLE, P(x_max), 0, NULL, NULL, NOR, "", "x axis limit"},
    {"y_min", F_DOUBLE, P(y_min), 0, NULL, NULL, NOR, "", "y axis limit"},
    {"y_max", F_DOUBLE, P(y_max), 0, NULL, NULL, NOR, "", "y axis limit"},
    {"title", F_STR, P(title), 0, NULL, NULL, NOR, NULL, "plot title (default: y vs x)"},
    {"overlays", F_FLAGS, P(overlays), 0, overlays, NULL, NOR, "",
     "fit, band, threshold, knee, anomalies"},
    {"cells", F_STR, P(cells), 0, NULL, NULL, NOR, "all",
     "all, or flagged (one panel per flagged cell)"},
    {.key = NULL},
};

static const struct cp_section plot_section = {"plots.list[]", plot_fields,
                                               sizeof(struct cp_plot_config), P(line)};

static const struct cp_field plots_fields[] = {
    {"enabled", F_BOOL, PS(enabled), 0, NULL, NULL, NOR, "true", "render plots"},
    {"defaults", F_BOOL, PS(defaults), 0, NULL, NULL, NOR, "true", "add the default plot set"},
    {"svg", F_BOOL, PS(svg), 0, NULL, NULL, NOR, "true", "write plots/<name>.svg"},
    {"pdf", F_BOOL, PS(pdf), 0, NULL, NULL, NOR, "true", "write plots/<name>.pdf"},
    {"width_pt", F_DOUBLE, PS(width_pt), 0, NULL, NULL, 100, 10000, "720", "plot width"},
    {"height_pt", F_DOUBLE, PS(height_pt), 0, NULL, NULL, 100, 10000, "432", "plot height"},
    {"max_cells", F_LONG, PS(max_cells), 0, NULL, NULL, 1, 10000, "60",
     "curve plots of more cells draw this many (flagged, extremes, a sample) over the fleet's "
     "band"},
    {"list", F_LIST, PS(list), PS(nlist), NULL, &plot_section, NOR, NULL, "plots to draw"},
    {.key = NULL},
};

static const struct cp_field workbook_fields[] = {
    {"enabled", F_BOOL, W(enabled), 0, NULL, NULL, NOR, "true", "write workbook.xlsx"},
    {"cycles_sheet", F_BOOL, W(cycles_sheet), 0, NULL, NULL, NOR, "true",
     "include the Cycles sheet(s)"},
    {"charts", F_BOOL, W(charts), 0, NULL, NULL, NOR, "true", "include the Charts sheet"},
    {"max_series", F_LONG, W(max_series), 0, NULL, NULL, 1, 255, "12", "series per chart"},
    {"constant_memory", F_BOOL, W(constant_memory), 0, NULL, NULL, NOR, "true",
     "stream large sheets (flat memory)"},
    {"compression", F_LONG, W(compression), 0, NULL, NULL, 1, 9, "1",
     "deflate level of workbook.xlsx: 1 fastest, 9 smallest (1-3 igzip, 4-9 zlib)"},
    {"cycles_columns", F_STRLIST, W(cycles_columns), 0, NULL, NULL, NOR,
     "cell_id,cycle_index,days_since_start,charge_capacity_ah,discharge_capacity_ah,"
     "discharge_energy_wh,capacity_retention,coulombic_efficiency,energy_efficiency,v_max,v_min,"
     "temperature_avg_c,internal_resistance_ohm,anomaly",
     "columns of the Cycles sheets, in order; [all] for every column of results/cycles.csv"},
    {.key = NULL},
};

static const struct cp_field statistics_fields[] = {
    {"enabled", F_BOOL, ST(enabled), 0, NULL, NULL, NOR, "true",
     "compute fleet statistics (docs/statistics.md)"},
    {"group_by", F_STR, ST(group_by), 0, NULL, NULL, NOR, "design_name",
     "metadata column whose values are the groups compared"},
    {"metrics", F_STRLIST, ST(metrics), 0, NULL, NULL, NOR,
     "cycle_life,fade_rate,ce_mean,last_retention",
     "per-cell columns described, correlated and compared (cycle_life: observed end of life)"},
    {"compare", F_STRLIST, ST(compare), 0, NULL, NULL, NOR, "all",
     "all (every pair of groups), or pairs written \"A vs B\""},
    {"alpha", F_DOUBLE, ST(alpha), 0, NULL, NULL, 1e-6, 0.5, "0.05",
     "significance level of the corrected p-values"},
    {"correction", F_ENUM, ST(correction), 0, corrections, NULL, NOR, "holm",
     "p-value correction across comparisons: holm, bonferroni, none"},
    {"level", F_DOUBLE, ST(level), 0, NULL, NULL, 0.5, 0.999, "0.95",
     "confidence of the intervals (mean, median, survival)"},
    {.key = NULL},
};

static const struct cp_field mlflow_fields[] = {
    {"enabled", F_BOOL, M(enabled), 0, NULL, NULL, NOR, "true",
     "log to MLflow (journal only when no tracking URI)"},
    {"tracking_uri", F_STR, M(tracking_uri), 0, NULL, NULL, NOR, "${MLFLOW_TRACKING_URI:-}",
     "MLflow server URL"},
    {"experiment", F_STR, M(experiment), 0, NULL, NULL, NOR, NULL,
     "experiment name (default cellpipe/<name>)"},
    {"child_runs", F_BOOL, M(child_runs), 0, NULL, NULL, NOR, "true", "one child run per cell"},
    {"cycle_metrics", F_BOOL, M(cycle_metrics), 0, NULL, NULL, NOR, "false",
     "retention per cycle as metric history"},
    {"artifacts", F_BOOL, M(artifacts), 0, NULL, NULL, NOR, "true", "upload report files"},
    {.key = NULL},
};

static const struct cp_field report_fields[] = {
    {"root", F_STR, RE(root), 0, NULL, NULL, NOR, "reports",
     "folder holding <name>/<date>/ (--out overrides)"},
    {"keep_days", F_LONG, RE(keep_days), 0, NULL, NULL, 0, 1e6, "0",
     "prune dated folders older than this (0 keeps all)"},
    {"cycles_csv", F_BOOL, RE(cycles_csv), 0, NULL, NULL, NOR, "true", "write results/cycles.csv"},
    {"summary_pdf", F_BOOL, RE(summary_pdf), 0, NULL, NULL, NOR, "true", "write summary.pdf"},
    {"summary_cells", F_LONG, RE(summary_cells), 0, NULL, NULL, 1, 10000, "100",
     "cells listed in summary.pdf's tables; past it the flagged and earliest end of life"},
    {"html", F_BOOL, RE(html), 0, NULL, NULL, NOR, "true", "write index.html"},
    {"threads", F_LONG, RE(threads), 0, NULL, NULL, 0, 1024, "0",
     "outputs written at once, and threads deflating the workbook; 0 = cores, 1 = one thing at a "
     "time"},
    {"timeseries_bdf", F_BOOL, RE(timeseries_bdf), 0, NULL, NULL, NOR, "false",
     "timeseries/<cell_id>.bdf.csv (Battery Data Format) of every raw time series a files "
     "source reads"},
    {.key = NULL},
};

static const struct cp_field email_fields[] = {
    {"enabled", F_BOOL, E(enabled), 0, NULL, NULL, NOR, "false", "send the summary by email"},
    {"when", F_ENUM, E(when), 0, email_whens, NULL, NOR, "always",
     "always, flagged (only with flagged cells), failure (only failed runs)"},
    {"smtp_url", F_STR, E(smtp_url), 0, NULL, NULL, NOR, "${SMTP_URL:-}",
     "smtp://host:port or smtps://host:port"},
    {"starttls", F_ENUM, E(starttls), 0, starttls_modes, NULL, NOR, "auto",
     "smtp:// upgrade to TLS: auto (required unless the host is loopback), required, off"},
    {"from", F_STR, E(from), 0, NULL, NULL, NOR, NULL, "sender address"},
    {"to", F_STRLIST, E(to), 0, NULL, NULL, NOR, NULL, "recipients"},
    {"cc", F_STRLIST, E(cc), 0, NULL, NULL, NOR, NULL, "copy recipients"},
    {"subject", F_STR, E(subject), 0, NULL, NULL, NOR,
     "[cellpipe] {pipeline} {date}: {flagged} flagged",
     "subject template: {pipeline} {date} {flagged} {status}"},
    {"attach_pdf", F_BOOL, E(attach_pdf), 0, NULL, NULL, NOR, "true", "attach summary.pdf"},
    {.key = NULL},
};

#define SECTION(key, fields, doc)                                                                  \
    {                                                                                              \
#key, F_SECTION, C(key), 0, NULL,                                                          \
            &(const struct cp_section){#key, fields, 0, (size_t)-1 }, NOR, NULL, doc               \
    }

static const char *const model_tasks[] = {"regression", "classification", NULL};
static const char *const model_algorithms[] = {"auto", "elastic_net", "ridge", "logistic", NULL};

static const struct cp_field model_fields[] = {
    {"name", F_STR, MO(name), 0, NULL, NULL, NOR, NULL,
     "model name (required): results/models.csv, models/<name>/; [A-Za-z0-9._-]"},
    {"task", F_ENUM, MO(task), 0, model_tasks, NULL, NOR, "regression",
     "regression (cycle life) or classification"},
    {"target", F_STR, MO(target), 0, NULL, NULL, NOR, NULL,
     "regression: log10_cycle_life (the default); classification (required): a rule "
     "'COLUMN OP NUMBER' (cycle_life < 550) or a 0/1 per-cell column"},
    {"features", F_STRLIST, MO(features), 0, NULL, NULL, NOR, "",
     "feature catalogue names or numeric cell columns (docs/ml.md); empty: the whole catalogue"},
    {"algorithm", F_ENUM, MO(algorithm), 0, model_algorithms, NULL, NOR, "auto",
     "elastic_net, ridge (regression), logistic (classification); auto picks elastic_net or "
     "logistic"},
    {"early_cycles", F_LONG, MO(early_cycles), 0, NULL, NULL, 10, 100000, "100",
     "features from cycles 1..N"},
    {"folds", F_LONG, MO(folds), 0, NULL, NULL, 2, 50, "5", "outer cross-validation folds"},
    {"inner_folds", F_LONG, MO(inner_folds), 0, NULL, NULL, 2, 50, "5",
     "inner folds that choose the hyperparameters"},
    {"seed", F_LONG, MO(seed), 0, NULL, NULL, 0, 2147483647, "1", "fold assignment seed"},
    {"train_on", F_FILTERS, MO(train_on), MO(ntrain_on), NULL, NULL, NOR, NULL,
     "metadata filters on the training cells (besides a known target)"},
    {"register_as", F_STR, MO(register_as), 0, NULL, NULL, NOR, NULL,
     "registered model name in MLflow's model registry (empty: not registered)"},
    {"alias", F_STR, MO(alias), 0, NULL, NULL, NOR, "champion",
     "alias moved to the new version when its cross-validated error is better"},
    {"use", F_STR, MO(use), 0, NULL, NULL, NOR, NULL,
     "predict instead of training: models:/NAME@ALIAS, models:/NAME/VERSION or a model.json"},
    {.key = NULL},
};

static const struct cp_section model_section = {"models[]", model_fields,
                                                sizeof(struct cp_model_config), MO(line)};

static const struct cp_field root_fields[] = {
    {"name", F_STR, C(name), 0, NULL, NULL, NOR, NULL,
     "pipeline name (default: file name without .yaml); [A-Za-z0-9._-]"},
    {"description", F_STR, C(description), 0, NULL, NULL, NOR, NULL, "free text"},
    SECTION(source, source_fields, "where cells and cycles come from"),
    SECTION(select, select_fields, "metadata filters: a cell is kept when it matches all"),
    SECTION(validate, validate_fields, "schema rules with a policy each"),
    SECTION(features, features_fields, "per-cycle and per-cell features"),
    SECTION(fits, fits_fields, "degradation models, end of life, knee, anomalies"),
    SECTION(plots, plots_fields, "SVG/PDF plots"),
    SECTION(workbook, workbook_fields, "workbook.xlsx"),
    SECTION(statistics, statistics_fields, "fleet statistics: groups, comparisons, survival"),
    {"models", F_LIST, C(models), C(nmodels), NULL, &model_section, NOR, NULL,
     "early-life models: train (cross-validated), register, or predict"},
    SECTION(mlflow, mlflow_fields, "MLflow tracking"),
    SECTION(report, report_fields, "the report folder"),
    SECTION(email, email_fields, "emailed summary"),
    {.key = NULL},
};

const struct cp_section cp_schema_root = {"", root_fields, 0, (size_t)-1};
