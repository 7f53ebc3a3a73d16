#ifndef CELLPIPE_CONFIG_H
#define CELLPIPE_CONFIG_H
/*
 * The pipeline configuration: libyaml parses a pipeline file into these typed structs
 * (the schema, every key with its type and default, is documented in pipelines/README.md
 * and printed by `cellpipe validate --schema`).
 *
 * Errors are CP_ECONFIG with `file:line:col: what was expected`; unknown keys get a
 * "did you mean" hint. Scalars expand `${VAR}` and `${VAR:-default}` from the environment.
 * Keys that would hold secrets (password, token, api_key, secret) are refused: secrets come
 * only from the environment or libpq's own files.
 *
 * Ownership: cp_config_load() fills a struct the caller releases with cp_config_release();
 * every string and list inside belongs to it.
 */
#include <stddef.h>

struct cp_error;

struct cp_strlist {
    size_t n;
    char **v;
};

/* A key -> list of values filter, e.g. `where: {chemistry: [LFP, NMC]}`. */
struct cp_filter {
    char *column;
    struct cp_strlist values;
    char *origin; /* "--select COLUMN=..." text when the filter came from the command line */
};

enum cp_source_kind {
    CP_SOURCE_SAMPLE,
    CP_SOURCE_FILES,
    CP_SOURCE_POSTGRES,
    CP_SOURCE_REDASH,
    CP_SOURCE_SHARDS /* set by `cellpipe merge` only (shard_format.h); not a pipeline-file value */
};

struct cp_source_config {
    enum cp_source_kind kind;
    /* sample */
    long seed;          /* default 42 */
    long cells;         /* default 24 */
    long cycles;        /* default 1000: cycles of the longest-lived cell */
    double life_spread; /* default 1: how far the designs' lives differ (sample.h) */
    /* files */
    struct cp_strlist paths; /* files, folders or globs; relative to the pipeline file */
    char *format;            /* "auto" (content sniffing) or a reader name */
    char *on_error;          /* "stop" (default) or "skip": a bad file in a multi-file load */
    /* tidy per-cycle CSVs: file column -> values [canonical column] or [column, unit] */
    struct cp_filter *columns;
    size_t ncolumns;
    /* postgres */
    char *dsn;          /* usually ${DATABASE_URL}; empty: libpq's environment */
    char *cells_query;  /* template path, default templates/queries/cells.sql */
    char *cycles_query; /* default templates/queries/cycles.sql */
    int incremental;    /* default 0 */
    int timeseries;     /* default 0: replay timeseries_data (dQ/dV, Severson features) */
    /* redash */
    char *url; /* default ${REDASH_URL} */
    long cells_query_id;
    long cycles_query_id;
    struct cp_filter *parameters; /* query parameters (name -> one value in values.v[0]) */
    size_t nparameters;
    long max_age;     /* seconds, default 0 (always fresh) */
    double timeout_s; /* default 300 */
    /* cells.csv / metadata columns read as numbers (an unparsable value is a data error) */
    struct cp_strlist numeric_columns;
};

struct cp_select_config {
    struct cp_strlist design_name;
    struct cp_strlist experiment_group;
    struct cp_strlist layer_types;
    struct cp_strlist test_status;
    struct cp_strlist year;
    struct cp_strlist cell_id;
    struct cp_filter *where; /* any other metadata column */
    size_t nwhere;
};

enum cp_policy { CP_POLICY_FAIL, CP_POLICY_QUARANTINE, CP_POLICY_WARN };

enum cp_rule_kind {
    CP_RULE_REQUIRED,   /* value present */
    CP_RULE_RANGE,      /* min <= value <= max */
    CP_RULE_MONOTONIC,  /* column (test_time_s) never decreases as cycle_index grows */
    CP_RULE_DUPLICATES, /* (cell_id, cycle_index) unique */
    CP_RULE_NAN,        /* no NaN / missing in a numeric column */
    CP_RULE_OUTLIER,    /* robust z-score of the value against its local trend */
    CP_RULE_GAPS        /* missing cycle numbers within a cell */
};

struct cp_rule_config {
    enum cp_rule_kind kind;
    char *column;
    double min, max; /* range; NaN = unbounded */
    double z;        /* outlier: robust z-score limit, default 6 */
    long window;     /* outlier: window of the local trend, default 11 */
    enum cp_policy policy;
    double threshold; /* fraction of rows this rule may hit before the run fails (65) */
    int line;         /* where it was written, for messages */
};

struct cp_validate_config {
    struct cp_rule_config *rules; /* default set when the section is absent */
    size_t nrules;
    double max_quarantine_fraction; /* default 0.05 over all rules */
    double max_cell_fraction;       /* default 0.2 of one cell's rows, per quarantine rule */
};

enum cp_reference { CP_REF_FIRST_CYCLES, CP_REF_NOMINAL };

struct cp_features_config {
    enum cp_reference reference; /* default first_cycles */
    long reference_cycles;       /* default 3 */
    double temperature_alpha;    /* per degC, default 0.005 */
    double temperature_ref_c;    /* default 25 */
    long windows[8];             /* rolling windows, default 5, 10, 20 */
    size_t nwindows;
    long fade_window;    /* trailing window of fade_rate, default 50 */
    long persist_cycles; /* a crossing must persist this many cycles, default 5 */
    long last_n;         /* last-N coulombic efficiency, default 10 */
};

enum cp_model {
    CP_MODEL_LINEAR,
    CP_MODEL_SQRT,
    CP_MODEL_POWER,
    CP_MODEL_DOUBLE_EXP,
    CP_MODEL_BACON_WATTS,
    CP_MODEL_COUNT
};

enum cp_interval { CP_INTERVAL_BOOTSTRAP, CP_INTERVAL_DELTA };
enum cp_forecast { CP_FORECAST_AUTO, CP_FORECAST_PER_CELL, CP_FORECAST_FLEET };

struct cp_fits_config {
    int enabled;                 /* default 1 */
    int models[CP_MODEL_COUNT];  /* 1 = fit this model; default all */
    double threshold;            /* EOL threshold on retention, default 0.8 */
    enum cp_reference reference; /* default first_cycles */
    enum cp_interval interval;   /* default bootstrap */
    long bootstrap_samples;      /* default 200 */
    long seed;                   /* default 1 */
    enum cp_forecast forecast;   /* default auto (chosen by back-test) */
    char *fleet_group;           /* sibling grouping column, default design_name */
    double max_extrapolation;    /* cap forecasts at this multiple of the observed cycles, 3 */
    long min_cycles;             /* fewer cycles: no fit, flagged; default 20 */
    double anomaly_z;            /* per-cycle robust z limit, default 5 */
    double ce_min, ce_max;       /* plausible coulombic efficiency band, 0.95 .. 1.02 */
    double fade_mad;             /* per-cell fade-rate outlier limit in MADs, default 4 */
    long threads;                /* 0 = number of cores */
};

enum cp_plot_kind { CP_PLOT_LINE, CP_PLOT_SCATTER, CP_PLOT_HISTOGRAM, CP_PLOT_BOX };
enum cp_normalize { CP_NORM_NONE, CP_NORM_FIRST_CYCLES, CP_NORM_NOMINAL };

enum cp_overlay {
    CP_OVERLAY_FIT = 1,
    CP_OVERLAY_BAND = 2,
    CP_OVERLAY_THRESHOLD = 4,
    CP_OVERLAY_KNEE = 8,
    CP_OVERLAY_ANOMALIES = 16
};

struct cp_plot_config {
    char *name; /* file name stem under plots/ */
    enum cp_plot_kind kind;
    char *x; /* any cycles column or feature (default cycle_index) */
    char *y;
    char *group_by; /* any metadata column; default design_name */
    enum cp_normalize normalize;
    int log_x, log_y;
    double x_min, x_max, y_min, y_max; /* NaN = automatic */
    char *title;
    unsigned overlays; /* enum cp_overlay bits */
    char *cells;       /* "all" (default), "flagged": one panel per flagged cell */
    int line;
};

struct cp_plots_config {
    int enabled;                /* default 1 */
    int defaults;               /* add the default plot set, default 1 */
    int svg, pdf;               /* formats, default both */
    double width_pt, height_pt; /* default 720 x 432 */
    long max_cells;             /* curve plots draw at most this many cells, default 60 */
    struct cp_plot_config *list;
    size_t nlist;
};

struct cp_workbook_config {
    int enabled;         /* default 1 */
    int cycles_sheet;    /* default 1 */
    int charts;          /* default 1 */
    long max_series;     /* series per chart, default 12 */
    int constant_memory; /* default 1 */
    long compression;    /* deflate level of workbook.xlsx, 1 (fastest, default) to 9 */
    /* Columns of the Cycles sheets, in order; ["all"] is every column of the cycles table.
     * Default: the columns a person reads (pipelines/README.md); results/cycles.csv has all. */
    struct cp_strlist cycles_columns;
};

/* `statistics:` (issue #18; include/cellpipe/statistics.h). */
enum cp_correction { CP_CORRECT_HOLM, CP_CORRECT_BONFERRONI, CP_CORRECT_NONE };

struct cp_statistics_config {
    int enabled;               /* default 1 */
    char *group_by;            /* metadata column, default "design_name" */
    struct cp_strlist metrics; /* per-cell columns; default cycle_life, fade_rate, ... */
    struct cp_strlist compare; /* "all" (default), or pairs "A vs B" */
    double alpha;              /* default 0.05 */
    int correction;            /* enum cp_correction, default holm */
    double level;              /* confidence of intervals, default 0.95 */
    int line;                  /* of the `statistics:` key, 0 when absent (for messages) */
};

struct cp_mlflow_config {
    int enabled;        /* default 1: with no tracking URI only the journal is written */
    char *tracking_uri; /* default ${MLFLOW_TRACKING_URI:-} */
    char *experiment;   /* default "cellpipe/<pipeline name>" */
    int child_runs;     /* default 1 */
    int cycle_metrics;  /* default 0 */
    int artifacts;      /* default 1 */
};

/* `models:` (issue 17; docs/ml.md): early-life models trained, or applied, on each run. */
enum cp_model_task { CP_TASK_REGRESSION, CP_TASK_CLASSIFICATION };
enum cp_model_algorithm { CP_ALGO_AUTO, CP_ALGO_ELASTIC_NET, CP_ALGO_RIDGE, CP_ALGO_LOGISTIC };

struct cp_model_config {
    char *name;
    int task;                   /* enum cp_model_task, default regression */
    char *target;               /* regression: log10_cycle_life; classification: a rule */
    struct cp_strlist features; /* empty: every feature of the catalogue the data has */
    int algorithm;              /* enum cp_model_algorithm; auto: elastic_net / logistic */
    long early_cycles;          /* default 100 */
    long folds, inner_folds;    /* default 5, 5 */
    long seed;                  /* default 1 */
    struct cp_filter *train_on; /* metadata filters on the training cells */
    size_t ntrain_on;
    char *register_as; /* registered model name, NULL: not registered */
    char *alias;       /* default champion */
    char *use;         /* predict with models:/NAME@ALIAS, models:/NAME/V or a model.json */
    int line;
};

/* A classification target: `COLUMN OP NUMBER` (op one of < <= > >= == !=) labels a cell 1 when
 * the comparison holds; a bare `COLUMN` is a 0/1 (or true/false) per-cell column. COLUMN is
 * cycle_life (the observed end of life, in cycles) or a cell column. */
enum cp_rule_op { CP_OP_NONE, CP_OP_LT, CP_OP_LE, CP_OP_GT, CP_OP_GE, CP_OP_EQ, CP_OP_NE };
struct cp_model_rule {
    char column[128];
    enum cp_rule_op op;
    double value;
};
/* 0, or -1 when `text` is not a rule. */
int cp_model_rule_parse(const char *text, struct cp_model_rule *r);
/* 1 when the comparison holds for v (v must not be NaN). */
int cp_model_rule_holds(const struct cp_model_rule *r, double v);

struct cp_report_config {
    char *root;         /* default "reports", relative to the working directory */
    long keep_days;     /* 0 = keep everything */
    int cycles_csv;     /* default 1 */
    int summary_pdf;    /* default 1 */
    int html;           /* default 1 */
    long summary_cells; /* rows of cells in summary.pdf's tables, default 100 */
    long threads;       /* sinks writing at once; 0 = number of cores, 1 = one at a time */
    int timeseries_bdf; /* default 0: timeseries/<cell_id>.bdf.csv of every raw-series file */
};

enum cp_starttls { CP_STARTTLS_AUTO, CP_STARTTLS_REQUIRED, CP_STARTTLS_OFF };

enum cp_email_when { CP_EMAIL_ALWAYS, CP_EMAIL_FLAGGED, CP_EMAIL_FAILURE };

struct cp_email_config {
    int enabled; /* default 0 */
    enum cp_email_when when;
    char *smtp_url;            /* smtp://host:port or smtps://...; default ${SMTP_URL:-} */
    enum cp_starttls starttls; /* auto: required unless the host is loopback */
    char *from;
    struct cp_strlist to;
    struct cp_strlist cc;
    char *subject;  /* template: {pipeline} {date} {flagged} {status} */
    int attach_pdf; /* default 1 */
};

struct cp_config {
    char *path;                  /* the pipeline file as given */
    char *dir;                   /* its folder: relative paths in the file resolve against it */
    struct cp_strlist overrides; /* the command line's "--set K=V" and "--select C=V" */
    char *name;                  /* `name:`, default the file name without .yaml */
    char *description;
    struct cp_source_config source;
    struct cp_select_config select;
    struct cp_validate_config validate;
    struct cp_features_config features;
    struct cp_fits_config fits;
    struct cp_plots_config plots;
    struct cp_workbook_config workbook;
    struct cp_statistics_config statistics;
    struct cp_model_config *models;
    size_t nmodels;
    struct cp_mlflow_config mlflow;
    struct cp_report_config report;
    struct cp_email_config email;
};

/* Set every field to its default (what an empty pipeline file means). 0 or negative code. */
int cp_config_defaults(struct cp_config *cfg, const char *path, struct cp_error *err);
/* Parse the file at path. On failure cfg is released and err names file:line:col. */
int cp_config_load(struct cp_config *cfg, const char *path, struct cp_error *err);
/* Overrides of the file from the command line, applied before the file is checked, by the
 * same code: `set` holds "dotted.key=VALUE" (VALUE read as YAML: `0.7`, `[a, b]`), `select`
 * "COLUMN=V1,V2" (one more select filter, ANDed with the file's). Errors name the option. */
struct cp_config_overrides {
    const char *const *set;
    size_t nset;
    const char *const *select;
    size_t nselect;
};
/* cp_config_load with overrides (ov may be NULL). */
int cp_config_load_with(struct cp_config *cfg, const char *path,
                        const struct cp_config_overrides *ov, struct cp_error *err);
/* Same from a buffer; `path` is used for messages and relative paths only. */
int cp_config_load_buffer(struct cp_config *cfg, const char *path, const char *text, size_t len,
                          struct cp_error *err);
void cp_config_release(struct cp_config *cfg);

/* Expand ${VAR} and ${VAR:-default} in s into a new string (cp_free). NULL with err set:
 * CP_ECONFIG when a variable without default is unset, CP_EINTERNAL when out of memory. */
char *cp_config_expand(const char *s, struct cp_error *err);

/* The configuration in effect (after defaults, overrides and ${VAR} expansion) as a JSON
 * object of the schema's keys (new reference; NULL when out of memory). Connection strings
 * (dsn, url, tracking_uri, smtp_url) have their passwords replaced by "***". */
typedef struct json_t json_t;
json_t *cp_config_effective(const struct cp_config *cfg);
/* A string list as a JSON array of strings (new reference; NULL when out of memory). */
json_t *cp_strlist_json(const struct cp_strlist *l);

/* Write the schema (every key, type, default, meaning) as Markdown to f. */
#include <stdio.h>
void cp_config_print_schema(FILE *f);

/* Resolve a path from the pipeline file against its folder (absolute paths are kept). */
char *cp_config_path(const struct cp_config *cfg, const char *rel);

const char *cp_model_name(enum cp_model m);
const char *cp_source_kind_name(enum cp_source_kind k);

#endif
