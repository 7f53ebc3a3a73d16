#ifndef CELLPIPE_METRICS_FILE_H
#define CELLPIPE_METRICS_FILE_H
/*
 * `cellpipe run --metrics-file PATH`: after every run, passed or failed, the run's figures in
 * Prometheus text format for node exporter's textfile collector (docs/deployment.md has the
 * alert rule). Written atomically (temporary file, then rename), so the collector never reads
 * half a file. The last success time survives failed runs: it is read back from the file the
 * previous run wrote.
 */
struct cp_error;
struct cp_run_outcome;

struct cp_metrics_run {
    const char *pipeline;                 /* label value: the pipeline's name (or file stem) */
    const struct cp_run_outcome *outcome; /* may be NULL: the run never started */
    int exit_code;                        /* the process's exit status */
    double ended_s;                       /* Unix time the run ended */
    double duration_s;                    /* wall time of the run */
};

/* Write the metrics file. 0, or CP_ECANTCREAT with err set. */
int cp_metrics_file_write(const char *path, const struct cp_metrics_run *m, struct cp_error *err);

#endif
