/* The end of `cellpipe run` and `cellpipe merge`: see cli.h. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cellpipe/config.h"
#include "cellpipe/error.h"
#include "cellpipe/log.h"
#include "cellpipe/metrics_file.h"
#include "cellpipe/runner.h"
#include "cellpipe/timeutil.h"
#include "cli.h"

/* The pipeline's name for the metrics label: the config's, else the file's stem. */
static void pipeline_label(const char *cfg_name, const char *path, char *buf, size_t n)
{
    if (cfg_name) {
        snprintf(buf, n, "%s", cfg_name);
        return;
    }
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t len = strcspn(base, ".");
    snprintf(buf, n, "%.*s", (int)len, base);
}

static void summary_line(const struct cp_run_outcome *o, int code, double wall_s)
{
    cp_log(CP_LOG_INFO,
           "stage=done status=%s report=\"%s\" cells=%zu cycles=%zu past_eol=%ld attention=%ld "
           "quarantined=%lld mlflow_pending=%ld wall_s=%.2f exit=%d",
           o->report_dir ? "published"
           : code == 0   ? "dry-run"
                         : "failed",
           o->report_dir ? o->report_dir : "", o->cells, o->cycles, o->past_eol, o->attention,
           o->quarantined, o->mlflow_pending, wall_s, code);
    if (!cp_log_enabled(CP_LOG_INFO)) /* --quiet */
        return;
    if (o->dry_run && code == 0)
        fprintf(stderr, "cellpipe: dry run: %zu cells, %zu cycles, nothing written, %.1f s\n",
                o->cells, o->cycles, wall_s);
    else if (o->report_dir)
        fprintf(stderr,
                "cellpipe: published %s: %zu cells, %ld past end of life, %ld need "
                "attention, %.1f s%s\n",
                o->report_dir, o->cells, o->past_eol, o->attention, wall_s,
                code ? " (a step after publishing failed, see above)" : "");
    else
        fprintf(stderr, "cellpipe: failed after %.1f s, nothing published (exit %d)\n", wall_s,
                code);
}

int cp_cli_finish_run(const struct cp_cli_run *r, const struct cp_run_outcome *o, int rc,
                      const struct cp_error *err)
{
    static const struct cp_run_outcome none = {.mlflow_pending = -1};
    if (!o)
        o = &none;
    int code = cp_cli_fail(err, rc);
    double wall_s = (cp_monotonic_ms() - r->t0_ms) / 1000;
    if (o->report_dir)
        printf("%s\n", o->report_dir);
    fflush(stdout);
    summary_line(o, code, wall_s);
    if (!r->metrics_file)
        return code;
    char label[128];
    pipeline_label(r->cfg_name, r->pipeline_path, label, sizeof(label));
    struct cp_metrics_run m = {label, o, code, (double)cp_now_ms() / 1000, wall_s};
    struct cp_error merr = {0};
    if (cp_metrics_file_write(r->metrics_file, &m, &merr) < 0) {
        fprintf(stderr, "cellpipe: %s\n", merr.msg);
        return code ? code : cp_error_exit_code(-CP_ECANTCREAT);
    }
    return code;
}
