/* A Redash query result (src/sources/redash.c): {"query_result": {"data": {"columns": [...],
 * "rows": [...]}}} mapped onto the cycles table, types converted. */
#include "../../src/sources/redash_internal.h"
#include "fuzz.h"

static void redash_fill(json_t *reply)
{
    static const char *const required[] = {"cell_id", NULL};
    struct cp_error err = {0};
    struct cp_table *t = cp_table_new("cycles");
    json_t *data = json_object_get(json_object_get(reply, "query_result"), "data");
    if (t && cp_add_canonical_columns(t, cp_cycles_columns) == 0)
        redash_fill_table(t, cp_cycles_columns, data ? data : json_object_get(reply, "data"), 1,
                          required, &err);
    cp_table_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    json_t *reply = json_loadb((const char *)data, size, 0, NULL);
    if (reply)
        redash_fill(reply);
    json_decref(reply);
    return 0;
}
