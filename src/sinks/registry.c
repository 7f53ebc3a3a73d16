/*
 * The sinks, in the order they run (see include/cellpipe/sink.h). A new output is one line in
 * each list below; the runner is never touched. The manifest goes last among the staged sinks
 * so it can record what the others did.
 */
#include <stddef.h>

#include "cellpipe/sink.h"

extern const struct cp_sink_ops cp_sink_results;
extern const struct cp_sink_ops cp_sink_manifest;
extern const struct cp_sink_ops cp_sink_workbook;
extern const struct cp_sink_ops cp_sink_fits;
extern const struct cp_sink_ops cp_sink_plots;
extern const struct cp_sink_ops cp_sink_summary;
extern const struct cp_sink_ops cp_sink_shard;
extern const struct cp_sink_ops cp_sink_html;
extern const struct cp_sink_ops cp_sink_email;
extern const struct cp_sink_ops cp_sink_mlflow_open;
extern const struct cp_sink_ops cp_sink_mlflow;
extern const struct cp_sink_ops cp_sink_mlflow_publish;

const struct cp_sink_ops *const cp_sinks[] = {
    &cp_sink_results,
    &cp_sink_fits,
    &cp_sink_mlflow_open, /* the parent run's id and link, before every file that shows them */
    &cp_sink_plots,
    &cp_sink_summary,
    /* plots, summary pdf, workbook, html, mlflow go here */
    &cp_sink_workbook,
    &cp_sink_shard,  /* shard runs only: the data `cellpipe merge` reads */
    &cp_sink_mlflow, /* params, metrics, child runs; lists the files it uploads once published */
    &cp_sink_html,   /* after every sink whose output it links or shows (mlflow url) */
    &cp_sink_manifest,
    &cp_sink_mlflow_publish,
    /* email (CP_SINK_PUBLISHED) goes here */
    &cp_sink_email,
    NULL,
};
