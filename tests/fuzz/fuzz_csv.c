/* The streaming CSV reader (include/cellpipe/csv.h), under each separator, with the number
 * parser on every field. */
#include "cellpipe/csv.h"
#include "fuzz.h"

static void csv_walk(FILE *f, char sep)
{
    struct cp_csv r;
    double v;
    cp_csv_from_file(&r, f, sep);
    while (cp_csv_next(&r) == 1) {
        for (size_t i = 0; i < r.nfields; i++)
            cp_csv_number(r.fields[i], &v);
        cp_csv_field_index(&r, "cycle_index");
    }
    cp_csv_close(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char seps[] = {',', ';', '\t'};
    /* The first byte picks the separator, so one corpus covers all three. */
    char sep = size > 0 ? seps[data[0] % 3] : ',';
    FILE *f = fmemopen((void *)(size > 1 ? data + 1 : data), size > 1 ? size - 1 : 0, "r");
    if (!f)
        return 0;
    csv_walk(f, sep);
    fclose(f);
    return 0;
}
