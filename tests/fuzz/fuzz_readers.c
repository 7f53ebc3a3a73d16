/* Every cycler reader, chosen the way `cellpipe inspect` and the files source choose one: by
 * sniffing the file (include/cellpipe/reader.h). */
#include "cellpipe/dataset.h"
#include "cellpipe/error.h"
#include "cellpipe/reader.h"
#include "cellpipe/table.h"
#include "fuzz.h"

static void readers_read(const char *path)
{
    struct cp_error err = {0};
    const struct cp_reader_ops *ops = cp_reader_detect(path, &err);
    struct cp_table *cells = cp_table_new("cells"), *cycles = cp_table_new("cycles");
    struct cp_table *curves = cp_table_new("curves"), *columns = cp_table_new("columns");
    if (ops && cells && cycles && curves && columns &&
        cp_add_canonical_columns(cells, cp_cells_columns) == 0 &&
        cp_add_canonical_columns(cycles, cp_cycles_columns) == 0) {
        struct cp_reader_out out = {.cells = cells,
                                    .cycles = cycles,
                                    .cell_id = "cell",
                                    .curves = curves,
                                    .columns = columns};
        ops->read(path, &out, &err);
    }
    cp_table_free(cells);
    cp_table_free(cycles);
    cp_table_free(curves);
    cp_table_free(columns);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    const char *path = fuzz_write("cell.csv", data, size);
    if (path)
        readers_read(path);
    return 0;
}
