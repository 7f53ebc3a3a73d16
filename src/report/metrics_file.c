/* The metrics file of a run: see include/cellpipe/metrics_file.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/metrics_file.h"
#include "cellpipe/runner.h"
#include "cellpipe/strbuf.h"

#define LAST_SUCCESS "cellpipe_last_success_timestamp_seconds"

/* The last success time the previous run recorded, NaN when there is none. */
static double previous_success(const char *path)
{
    char *text = NULL;
    size_t len = 0;
    double v = NAN;
    if (cp_fs_read_file(path, &text, &len) < 0)
        return NAN;
    for (char *line = text; line && *line;
         line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, LAST_SUCCESS "{", sizeof(LAST_SUCCESS)) != 0)
            continue;
        const char *sp = strchr(line, '}');
        char *end;
        double x = sp ? strtod(sp + 1, &end) : NAN;
        if (sp && end != sp + 1 && isfinite(x))
            v = x;
    }
    cp_free(text);
    return v;
}

/* A label value with the text format's escapes (backslash, quote, newline). */
static int add_label(struct cp_strbuf *sb, const char *v)
{
    int rc = 0;
    for (; *v && rc == 0; v++) {
        if (*v == '\\' || *v == '"')
            rc = cp_strbuf_addch(sb, '\\');
        if (rc == 0)
            rc = *v == '\n' ? cp_strbuf_adds(sb, "\\n") : cp_strbuf_addch(sb, *v);
    }
    return rc;
}

/* One gauge with its HELP and TYPE lines. 0, or -1 when memory runs out. */
static int gauge(struct cp_strbuf *sb, const char *pipeline, const char *name, const char *help,
                 double v)
{
    if (cp_strbuf_addf(sb, "# HELP %s %s\n# TYPE %s gauge\n%s{pipeline=\"", name, help, name,
                       name) < 0 ||
        add_label(sb, pipeline) < 0 || cp_strbuf_adds(sb, "\"} ") < 0 ||
        cp_strbuf_add_double(sb, v) < 0)
        return -1;
    return cp_strbuf_addch(sb, '\n');
}

static int outcome_gauges(struct cp_strbuf *sb, const char *p, const struct cp_run_outcome *o)
{
    int bad = gauge(sb, p, "cellpipe_cells", "cells in the last run's report", (double)o->cells);
    bad |= gauge(sb, p, "cellpipe_cycles", "cycle rows the last run read", (double)o->cycles);
    bad |= gauge(sb, p, "cellpipe_quarantined_rows", "rows the last run quarantined",
                 (double)o->quarantined);
    bad |= gauge(sb, p, "cellpipe_cells_past_eol", "cells past end of life", (double)o->past_eol);
    bad |= gauge(sb, p, "cellpipe_attention_cells", "cells with a flag a person should look at",
                 (double)o->attention);
    if (o->mlflow_pending >= 0)
        bad |= gauge(sb, p, "cellpipe_mlflow_pending_calls",
                     "MLflow calls in the journal the server has not acknowledged",
                     (double)o->mlflow_pending);
    return bad ? -1 : 0;
}

int cp_metrics_file_write(const char *path, const struct cp_metrics_run *m, struct cp_error *err)
{
    static const struct cp_run_outcome none;
    const struct cp_run_outcome *o = m->outcome ? m->outcome : &none;
    double success = m->exit_code == 0 ? m->ended_s : previous_success(path);
    struct cp_strbuf sb;
    cp_strbuf_init(&sb);
    int bad = gauge(&sb, m->pipeline, "cellpipe_last_run_timestamp_seconds",
                    "Unix time the last run ended", m->ended_s);
    if (!isnan(success))
        bad |= gauge(&sb, m->pipeline, LAST_SUCCESS, "Unix time the last successful run ended",
                     success);
    bad |= gauge(&sb, m->pipeline, "cellpipe_last_run_duration_seconds",
                 "wall time of the last run", m->duration_s);
    bad |= gauge(&sb, m->pipeline, "cellpipe_last_run_exit_code",
                 "exit status of the last run (0 ok, see cellpipe help)", (double)m->exit_code);
    bad |= gauge(&sb, m->pipeline, "cellpipe_last_run_published",
                 "1 when the last run published a report", o->report_dir ? 1 : 0);
    bad |= outcome_gauges(&sb, m->pipeline, o);
    int rc = 0;
    if (bad)
        rc = cp_error_oom(err);
    else if (cp_fs_write_atomic(path, sb.buf, sb.len) < 0)
        rc = cp_error_errno(err, CP_ECANTCREAT, "cannot write the metrics file '%s'", path);
    cp_strbuf_release(&sb);
    return rc;
}
