#ifndef CELLPIPE_RUNNER_H
#define CELLPIPE_RUNNER_H
/*
 * One pipeline run end to end (DESIGN.md "One run, end to end"): lock, source, select,
 * validate, features, models, staged sinks, atomic publish, published sinks.
 * The stages are a table in src/report/runner.c; the sinks a registry (sink.h).
 */
#include <stddef.h>

struct cp_config;
struct cp_error;

struct cp_run_options {
    const char *date;     /* YYYY-MM-DD or "today" (UTC); NULL = today */
    const char *out;      /* report root, overrides cfg->report.root; NULL = config */
    int dry_run;          /* compute everything, write nothing */
    unsigned shard_index; /* --shard I/N: keep cells hashing to I (0-based) */
    unsigned shard_count; /* 0 or 1 = not sharded */
    int full_refresh;     /* ignore incremental caches */
};

/* What a run leaves for its caller (the closing summary line, the metrics file). Filled as
 * far as the run got: a run that failed at its source has no cells. */
struct cp_run_outcome {
    char *report_dir; /* the published folder (cp_free), NULL when nothing was published */
    char date[11];    /* the report date, "" when it was not resolved */
    int dry_run;      /* --dry-run: nothing was to be published */
    size_t cells, cycles;
    long long quarantined; /* rows quarantined by validation */
    long past_eol;         /* cells with an observed end of life */
    long attention;        /* cells with an attention flag */
    long mlflow_pending;   /* MLflow calls waiting in the journal; -1 when MLflow is off */
};

/* Run the pipeline. `out` (may be NULL) gets the outcome; the caller releases it with
 * cp_run_outcome_release. Returns 0 or a negative CP_E* code with err set. A failure after
 * publish (email) returns CP_EUNAVAILABLE with the report in place. */
int cp_runner_run(const struct cp_config *cfg, const struct cp_run_options *opt,
                  struct cp_run_outcome *out, struct cp_error *err);
void cp_run_outcome_release(struct cp_run_outcome *out);

#endif
