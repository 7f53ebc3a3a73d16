/* tests/integration/mlflow_models.sh: cp_mlflow_model_fetch against the real server.
 *   mlflow_fetch TRACKING_URI MODEL_URI OUT   writes model.json's bytes to OUT, prints the
 *   resolved "models:/NAME/VERSION"; on error the message on stderr and its exit code. */
#include <stdio.h>
#include <stdlib.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/mlflow.h"

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: mlflow_fetch TRACKING_URI MODEL_URI OUT\n");
        return 64;
    }
    struct cp_error err;
    cp_error_clear(&err);
    char *text = NULL, *resolved = NULL;
    size_t len = 0;
    int rc = cp_mlflow_model_fetch(argv[1], argv[2], &text, &len, &resolved, &err);
    if (rc < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return cp_error_exit_code(rc);
    }
    FILE *f = fopen(argv[3], "wb");
    int ok = f && fwrite(text, 1, len, f) == len;
    if (f && fclose(f) != 0)
        ok = 0;
    printf("%s\n", resolved);
    cp_free(text);
    cp_free(resolved);
    return ok ? 0 : 73;
}
