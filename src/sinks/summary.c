/*
 * Sink `summary`: summary.pdf in the report folder (render/summary_pdf.c lays it out). The
 * plot pages use the same figures as plots/, built by render/charts.c.
 */
#include <errno.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/charts.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/log.h"
#include "cellpipe/run.h"
#include "cellpipe/sink.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/summary_pdf.h"

static int summary_enabled(const struct cp_run *run)
{
    return !run->cfg || run->cfg->report.summary_pdf;
}

static int summary_write(struct cp_run *run, struct cp_error *err)
{
    struct cp_chart_list charts = {0};
    struct cp_strbuf pdf = CP_STRBUF_INIT;
    char *path = NULL;
    int plots = !run->cfg || run->cfg->plots.enabled;
    int rc = plots ? cp_charts_build(run, &charts, err) : 0;
    if (rc == 0)
        rc = cp_summary_pdf_render(run, &charts, &pdf, err);
    if (rc == 0 && !(path = cp_run_path(run, "summary.pdf")))
        rc = cp_error_oom(err);
    if (rc == 0 && cp_fs_write_atomic(path, pdf.buf, pdf.len) != 0)
        rc = cp_error_errno(err, CP_ECANTCREAT, "cannot write '%s'", path);
    if (rc == 0)
        cp_log(CP_LOG_INFO, "stage=summary bytes=%zu", pdf.len);
    cp_free(path);
    cp_strbuf_release(&pdf);
    cp_charts_release(&charts);
    return rc;
}

const struct cp_sink_ops cp_sink_summary = {
    .name = "summary",
    .phase = CP_SINK_STAGED,
    .enabled = summary_enabled,
    .write = summary_write,
};
