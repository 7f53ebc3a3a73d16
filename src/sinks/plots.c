/*
 * Sink `plots`: plots/<name>.svg and plots/<name>.pdf for every configured plot and the
 * default set (render/charts.c builds the figures, render/plot.c draws them). Each file is
 * rendered in memory and written atomically into the staging folder.
 */
#include <errno.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/charts.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/log.h"
#include "cellpipe/plot.h"
#include "cellpipe/run.h"
#include "cellpipe/sink.h"
#include "cellpipe/strbuf.h"

static int plots_enabled(const struct cp_run *run)
{
    return !run->cfg || run->cfg->plots.enabled;
}

static int write_file(const struct cp_run *run, const char *name, const char *ext,
                      const struct cp_strbuf *data, struct cp_error *err)
{
    struct cp_strbuf rel = CP_STRBUF_INIT;
    char *path = NULL;
    int rc = cp_strbuf_addf(&rel, "plots/%s.%s", name, ext);
    if (rc == 0)
        path = cp_run_path(run, rel.buf);
    if (!path)
        rc = cp_error_oom(err);
    else if (cp_fs_write_atomic(path, data->buf, data->len) != 0)
        rc = cp_error_errno(err, CP_ECANTCREAT, "cannot write '%s'", path);
    cp_free(path);
    cp_strbuf_release(&rel);
    return rc;
}

static int write_chart(const struct cp_run *run, const struct cp_chart *c, struct cp_error *err)
{
    double w = run->cfg ? run->cfg->plots.width_pt : 720;
    double h = run->cfg ? run->cfg->plots.height_pt : 432;
    int svg = !run->cfg || run->cfg->plots.svg, pdf = !run->cfg || run->cfg->plots.pdf;
    struct cp_strbuf out = CP_STRBUF_INIT;
    int64_t epoch = cp_charts_epoch(run);
    int rc = 0;
    if (w <= 0 || h <= 0) {
        w = 720;
        h = 432;
    }
    h = cp_charts_height(c->fig, w, h);
    if (pdf) {
        rc = cp_plot_render(c->fig, CP_PLOT_PDF, w, h, epoch, &out, err);
        if (rc == 0)
            rc = write_file(run, c->name, "pdf", &out, err);
    }
    cp_strbuf_reset(&out);
    if (rc == 0 && svg) {
        rc = cp_plot_render(c->fig, CP_PLOT_SVG, w, h, epoch, &out, err);
        if (rc == 0)
            rc = write_file(run, c->name, "svg", &out, err);
    }
    cp_strbuf_release(&out);
    return rc;
}

static int plots_write(struct cp_run *run, struct cp_error *err)
{
    struct cp_chart_list charts;
    char *dir = cp_run_path(run, "plots");
    int rc = 0;
    if (!dir)
        return cp_error_oom(err);
    if (cp_fs_mkdirs(dir) != 0)
        rc = cp_error_errno(err, CP_ECANTCREAT, "cannot create '%s'", dir);
    cp_free(dir);
    if (rc != 0)
        return rc;
    rc = cp_charts_build(run, &charts, err);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < charts.n && rc == 0; i++)
        rc = write_chart(run, &charts.v[i], err);
    if (rc == 0)
        cp_log(CP_LOG_INFO, "stage=plots plots=%zu", charts.n);
    cp_charts_release(&charts);
    return rc;
}

const struct cp_sink_ops cp_sink_plots = {
    .name = "plots",
    .phase = CP_SINK_STAGED,
    .enabled = plots_enabled,
    .write = plots_write,
};
