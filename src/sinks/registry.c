/*
 * The sinks, in groups that run in order (see include/cellpipe/sink.h). The sinks of one group
 * do not read each other's output, so its lanes write at once on report.threads threads; a
 * sink that reads what others wrote (a link, a file list, the run id) sits in a later group.
 * The sinks of one lane run one after the other: plots and the summary share one because both
 * lay out text with Pango and fontconfig, which do not promise that two threads may do so at
 * once. A new output is one entry below; the runner is never touched. The longest writers come
 * first in a group, so that the threads start on them.
 */
#include <stddef.h>

#include "cellpipe/sink.h"

extern const struct cp_sink_ops cp_sink_results;
extern const struct cp_sink_ops cp_sink_manifest;
extern const struct cp_sink_ops cp_sink_workbook;
extern const struct cp_sink_ops cp_sink_fits;
extern const struct cp_sink_ops cp_sink_models;
extern const struct cp_sink_ops cp_sink_plots;
extern const struct cp_sink_ops cp_sink_summary;
extern const struct cp_sink_ops cp_sink_shard;
extern const struct cp_sink_ops cp_sink_html;
extern const struct cp_sink_ops cp_sink_email;
extern const struct cp_sink_ops cp_sink_mlflow_open;
extern const struct cp_sink_ops cp_sink_mlflow;
extern const struct cp_sink_ops cp_sink_mlflow_publish;

/* clang-format off */
const struct cp_sink_group cp_sink_groups[] = {
    /* the parent run's id and link, before every file that shows them */
    {{{&cp_sink_mlflow_open}}},
    /* the report's files: each reads only the run's tables */
    {{{&cp_sink_workbook},
      {&cp_sink_results},
      {&cp_sink_plots, &cp_sink_summary},
      {&cp_sink_fits, &cp_sink_models},
      {&cp_sink_shard}}}, /* shard runs only: the data `cellpipe merge` reads */
    /* params, metrics, child runs; lists the files it uploads once published */
    {{{&cp_sink_mlflow}}},
    /* after every sink whose output it links or shows (plots, mlflow url) */
    {{{&cp_sink_html}}},
    /* the manifest records what the others did */
    {{{&cp_sink_manifest}}},
    {{{&cp_sink_mlflow_publish}}},
    /* CP_SINK_PUBLISHED */
    {{{&cp_sink_email}}},
};
/* clang-format on */

const size_t cp_sink_ngroups = sizeof(cp_sink_groups) / sizeof(cp_sink_groups[0]);
