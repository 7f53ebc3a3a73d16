/* Resuming an MLflow journal (src/sinks/mlflow_push.c, mlflow_journal.c): the header, the acks,
 * the ops without one, and the acks "skipped" written for an abandoned tail. Journal only: no
 * tracking server, so nothing is sent. */
#include "cellpipe/error.h"
#include "cellpipe/mlflow.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cp_mlflow_session s;
    struct cp_error err = {0};
    char root[512];
    fuzz_quiet();
    snprintf(root, sizeof(root), "%s", fuzz_path("")); /* fuzz_path's buffer is reused below */
    const char *path = fuzz_write("journal.ndjson", data, size);
    if (!path)
        return 0;
    if (cp_mlflow_session_init(&s, NULL, root, NULL, &err) == 0)
        cp_mlflow_session_resume(&s, path, 1, &err);
    cp_mlflow_session_release(&s);
    return 0;
}
