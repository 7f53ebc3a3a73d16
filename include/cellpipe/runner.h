#ifndef CELLPIPE_RUNNER_H
#define CELLPIPE_RUNNER_H
/*
 * One pipeline run end to end (DESIGN.md "One run, end to end"): lock, source, select,
 * validate, features, models, staged sinks, atomic publish, published sinks.
 * The stages are a table in src/report/runner.c; the sinks a registry (sink.h).
 */
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

/* Run the pipeline. On success *report_dir (when not NULL) gets the published folder
 * (cp_free). Returns 0 or a negative CP_E* code with err set. A failure after publish (email)
 * returns CP_EUNAVAILABLE with the report in place. */
int cp_runner_run(const struct cp_config *cfg, const struct cp_run_options *opt, char **report_dir,
                  struct cp_error *err);

#endif
