/*
 * Tidy per-cycle CSVs: canonical headers through the registry, a mapping (source.columns)
 * with units and the cell id from a column, and bad input with file:line errors.
 */
#include "cellpipe/tidy.h"
#include "harness.h"
#include "rdtest.h"

#define DATA "tests/data/readers/"

static long cell_rows(const struct rd *r, const char *id)
{
    char **ids = cp_table_str(r->cycles, "cell_id");
    long n = 0;
    for (size_t i = 0; ids && i < r->cycles->nrows; i++)
        n += ids[i] && strcmp(ids[i], id) == 0;
    return n;
}

static double value_of(const struct rd *r, const char *id, long long cycle, const char *col)
{
    char **ids = cp_table_str(r->cycles, "cell_id");
    int64_t *ix = cp_table_i64(r->cycles, "cycle_index");
    int c = cp_table_find(r->cycles, col);
    for (size_t i = 0; ids && ix && c >= 0 && i < r->cycles->nrows; i++)
        if (strcmp(ids[i], id) == 0 && ix[i] == cycle)
            return cp_table_get_num(r->cycles, c, i);
    return NAN;
}

TEST(canonical_two_cells)
{
    struct rd r;
    rd_read(&r, DATA "tidy_two_cells.csv");
    CHECK_INT(r.rc, 0);
    CHECK_STR(rd_format(&r), "tidy");
    CHECK_INT(r.out.rows_read, 5);
    CHECK_INT(cell_rows(&r, "A1"), 2);
    CHECK_INT(cell_rows(&r, "B2"), 3);
    CHECK_INT(r.cells->nrows, 2);
    CHECK_NEAR(value_of(&r, "B2", 3, "discharge_capacity_ah"), 1.17, 0);
    CHECK_NEAR(value_of(&r, "A1", 1, "charge_capacity_ah"), 1.12, 0);
    rd_free(&r);
}

TEST(mapping_with_units)
{
    static const struct cp_tidy_map map[] = {
        {"Cycle", "cycle_index", 1},
        {"Q_dis [mAh]", "discharge_capacity_ah", 1e-3},
        {"Cell", "cell_id", 1},
    };
    struct rd r;
    memset(&r, 0, sizeof r);
    r.cells = cp_table_new("cells");
    r.cycles = cp_table_new("cycles");
    r.out.cells = r.cells;
    r.out.cycles = r.cycles;
    CHECK(cp_tidy_matches(DATA "tidy_custom_columns.csv", map, 3));
    CHECK(!cp_tidy_matches(DATA "tidy_two_cells.csv", map, 3));
    r.rc = cp_tidy_read(DATA "tidy_custom_columns.csv", map, 3, &r.out, &r.err);
    CHECK_INT(r.rc, 0);
    CHECK_INT(cell_rows(&r, "X9"), 2);
    CHECK_NEAR(value_of(&r, "X9", 2, "discharge_capacity_ah"), 1.09825, 1e-15);
    rd_free(&r);
}

TEST(bad_input)
{
    struct rd r;
    rd_read(&r, DATA "tidy_bad_number.csv");
    CHECK_INT(r.rc, -CP_EDATA);
    CHECK(strstr(r.err.msg, "tidy_bad_number.csv:3:") != NULL);
    CHECK(strstr(r.err.msg, "'lots'") != NULL);
    rd_free(&r);
    /* the mapping names a capacity column the file lacks: the header is refused */
    static const struct cp_tidy_map map[] = {{"Cycle", "cycle_index", 1}};
    memset(&r, 0, sizeof r);
    r.cycles = cp_table_new("cycles");
    r.out.cycles = r.cycles;
    r.rc = cp_tidy_read(DATA "tidy_custom_columns.csv", map, 1, &r.out, &r.err);
    CHECK_INT(r.rc, -CP_EDATA);
    CHECK(strstr(r.err.msg, "tidy_custom_columns.csv:1:") != NULL);
    rd_free(&r);
}

int main(void)
{
    RUN(canonical_two_cells);
    RUN(mapping_with_units);
    RUN(bad_input);
    return DONE();
}
