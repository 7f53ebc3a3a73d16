/* The pipeline file parser: YAML -> typed config, defaults and checks (include/cellpipe/config.h).
 */
#include "cellpipe/config.h"
#include "cellpipe/error.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cp_config cfg;
    struct cp_error err = {0};
    char *text = fuzz_copy(data, size);
    fuzz_quiet();
    /* Exactly size bytes: a parser that reads up to a NUL it was not promised is a bug. */
    if (text && cp_config_load_buffer(&cfg, "fuzz/pipeline.yaml", text, size, &err) == 0)
        cp_config_release(&cfg);
    free(text);
    return 0;
}
