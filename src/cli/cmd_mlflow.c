/*
 * cellpipe mlflow push REPORT_DIR|JOURNAL [--tracking-uri URI]
 *
 * Replays the calls of REPORT_DIR/mlflow/journal.ndjson (or of a journal file kept from a
 * failed run, <root>/<pipeline>/failed/<date>-<pid>.ndjson) that the server never
 * acknowledged (docs/mlflow.md "push"). Idempotent: a second push sends nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/log.h"
#include "cellpipe/mlflow.h"
#include "cli.h"

#define USAGE "mlflow push REPORT_DIR|JOURNAL [--tracking-uri URI]"

static int push_main(int argc, char **argv)
{
    const char *uri;
    struct cp_args a;
    if (!cp_args_tracking(&a, argc, argv, "cellpipe " USAGE, &uri))
        return CP_EUSAGE;
    if (a.npos != 2 || strcmp(a.pos[0], "push") != 0) {
        fprintf(stderr, "usage: cellpipe " USAGE "\n");
        return CP_EUSAGE;
    }
    struct cp_mlflow_session s;
    struct cp_error err;
    cp_error_clear(&err);
    int rc = cp_mlflow_push(a.pos[1], uri, NULL, &s, &err);
    const char *run =
        json_string_value(json_object_get(json_object_get(s.runs, "parent"), "run_id"));
    char *url = s.base ? cp_mlflow_run_url(s.base, s.experiment_id, run) : NULL;
    if (rc == 0) {
        printf("pushed %ld calls (%ld already acknowledged)\n", s.acks, s.skipped);
        if (url)
            printf("%s\n", url);
    }
    cp_log(rc == 0 ? CP_LOG_INFO : CP_LOG_ERROR,
           "stage=mlflow-push report=\"%s\" acked=%ld already=%ld requests=%ld run_id=%s", a.pos[1],
           s.acks, s.skipped, cp_http_request_count(s.http), run ? run : "");
    cp_free(url);
    cp_mlflow_session_release(&s);
    return cp_cli_fail(&err, rc);
}

const struct cp_command cp_cmd_mlflow = {"mlflow", USAGE, CP_ARGS_TRACKING_HELP, push_main};
