/* An MLflow server's answer (src/sinks/mlflow_client.c): the body parsed into a reply and
 * turned into the error message a failed call reports. */
#include "../../src/sinks/mlflow_client_internal.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct reply r;
    struct cp_error err = {0};
    fuzz_quiet();
    mlc_reply_parse(&r, 400, (const char *)data, size);
    mlc_call_fail("runs/create", &r, &err);
    mlc_reply_release(&r);
    return 0;
}
