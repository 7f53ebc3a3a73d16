#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "cellpipe/alloc.h"
#include "cellpipe/fs.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/table.h"
#include "harness.h"

static struct cp_table *make(void)
{
    struct cp_table *t = cp_table_new("t");
    int id = cp_table_add_column(t, "cell_id", CP_STR);
    int cy = cp_table_add_column(t, "cycle_index", CP_I64);
    int q = cp_table_add_column(t, "q", CP_F64);
    const char *ids[] = {"b", "a", "b", "a", "c"};
    const long cyc[] = {2, 2, 1, 1, 7};
    for (int i = 0; i < 5; i++) {
        long r = cp_table_add_row(t);
        cp_table_set_str(t, id, (size_t)r, ids[i]);
        cp_table_set_i64(t, cy, (size_t)r, cyc[i]);
        cp_table_set_f64(t, q, (size_t)r, i == 3 ? NAN : 1.0 + i);
    }
    return t;
}

TEST(sort_and_group)
{
    struct cp_table *t = make();
    CHECK(cp_table_sort(t, "cell_id", "cycle_index") == 0);
    char **id = cp_table_str(t, "cell_id");
    int64_t *cyc = cp_table_i64(t, "cycle_index");
    double *q = cp_table_f64(t, "q");
    CHECK_STR(id[0], "a");
    CHECK_INT(cyc[0], 1);
    CHECK(isnan(q[0]));
    CHECK_STR(id[2], "b");
    CHECK_INT(cyc[2], 1);
    CHECK_NEAR(q[2], 3.0, 0);
    CHECK(cp_table_group(t, "cell_id") == 0);
    CHECK_INT(t->ngroups, 3);
    CHECK_INT(t->group_start[1], 2);
    CHECK_INT(t->group_start[3], 5);
    CHECK_INT(cp_table_group_find(t, "cell_id", "c"), 2);
    CHECK_INT(cp_table_group_find(t, "cell_id", "zz"), -1);
    cp_table_free(t);
}

TEST(filter_and_copy)
{
    struct cp_table *t = make();
    unsigned char keep[] = {1, 0, 1, 0, 1};
    cp_table_filter(t, keep);
    CHECK_INT(t->nrows, 3);
    CHECK_STR(cp_table_str(t, "cell_id")[1], "b");
    struct cp_table *d = cp_table_new("d");
    CHECK_INT(cp_table_copy_row(d, t, 2), 0);
    CHECK_STR(cp_table_str(d, "cell_id")[0], "c");
    CHECK_INT(cp_table_i64(d, "cycle_index")[0], 7);
    CHECK_INT(cp_table_add_column(d, "q", CP_STR), -1); /* same name, other type */
    cp_table_free(d);
    cp_table_free(t);
}

/* Equal values share the pool's pointer; sort, filter and copy_row keep the values. */
TEST(strings_are_interned)
{
    struct cp_table *t = make();
    char **id = cp_table_str(t, "cell_id");
    CHECK(id[0] == id[2] && id[1] == id[3]);
    CHECK(id[0] != id[1]);
    char *b = id[0];
    CHECK(cp_table_sort(t, "cell_id", "cycle_index") == 0);
    id = cp_table_str(t, "cell_id");
    CHECK(id[2] == b && id[3] == b);
    CHECK_STR(id[4], "c");
    cp_table_set_str(t, 0, 2, "z"); /* overwriting one row leaves its equals alone */
    CHECK_STR(id[3], "b");
    CHECK_STR(id[2], "z");
    CHECK(cp_table_set_str(t, 0, 2, NULL) == 0);
    CHECK(id[2] == NULL && cp_table_is_na(t, 0, 2));
    CHECK(cp_table_set_strn(t, 0, 2, "b,x", 1) == 0);
    CHECK(id[2] == b);
    unsigned char keep[] = {0, 1, 1, 1, 1};
    cp_table_filter(t, keep);
    CHECK_STR(id[0], "a");
    CHECK(id[1] == b && id[2] == b);
    struct cp_table *d = cp_table_new("d");
    CHECK_INT(cp_table_copy_row(d, t, 1), 0);
    CHECK_INT(cp_table_copy_row(d, t, 2), 1);
    char **did = cp_table_str(d, "cell_id");
    CHECK(did[0] != b && did[0] == did[1]); /* d's own pool: t may be freed first */
    cp_table_free(t);
    CHECK_STR(did[0], "b");
    CHECK(cp_table_bytes(d) > 0);
    cp_table_free(d);
}

TEST(csv_roundtrip_text)
{
    struct cp_table *t = cp_table_new("t");
    int s = cp_table_add_column(t, "s", CP_STR);
    int f = cp_table_add_column(t, "f", CP_F64);
    long r = cp_table_add_row(t);
    cp_table_set_str(t, s, (size_t)r, "a,\"b\"");
    cp_table_set_f64(t, f, (size_t)r, 0.1 + 0.2);
    r = cp_table_add_row(t);
    char path[] = "/tmp/cp_test_table_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    CHECK(cp_table_write_csv(t, path) == 0);
    char *text = NULL;
    CHECK(cp_fs_read_file(path, &text, NULL) == 0);
    CHECK_STR(text, "s,f\n\"a,\"\"b\"\"\",0.30000000000000004\n,\n");
    cp_free(text);
    unlink(path);
    cp_table_free(t);
}

TEST(double_shortest)
{
    struct cp_strbuf sb;
    cp_strbuf_init(&sb);
    cp_strbuf_add_double(&sb, 1.5);
    cp_strbuf_addch(&sb, ' ');
    cp_strbuf_add_double(&sb, NAN);
    cp_strbuf_addch(&sb, ' ');
    cp_strbuf_add_double(&sb, 1.0 / 3.0);
    CHECK_STR(sb.buf, "1.5  0.3333333333333333");
    CHECK(strtod("0.3333333333333333", NULL) == 1.0 / 3.0);
    cp_strbuf_release(&sb);
}

TEST(double_text_round_trips)
{
    /* the decimal fast path and the printf path: every text reads back to the same bits */
    const double v[] = {1.292,   -0.674, 12923.434, 0.001, 1e-7,   123456789.125, 0.1 + 0.2,
                        2.0 / 3, 1e300,  -0.0,      4.8,   0.0305, 5e-324,        100};
    const char *want[] = {"1.292",         "-0.674", "12923.434", "0.001", NULL,
                          "123456789.125", NULL,     NULL,        NULL,    "0",
                          "4.8",           "0.0305", NULL,        "100"};
    struct cp_strbuf sb;
    cp_strbuf_init(&sb);
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        cp_strbuf_reset(&sb);
        cp_strbuf_add_double(&sb, v[i]);
        CHECK(strtod(sb.buf, NULL) == v[i]);
        if (want[i])
            CHECK_STR(sb.buf, want[i]);
    }
    cp_strbuf_release(&sb);
}

TEST(alloc_failure_is_reported)
{
    cp_alloc_fail_at(1);
    struct cp_table *t = cp_table_new("t");
    cp_alloc_fail_at(0);
    CHECK(t == NULL);
    /* count the allocations of a small build, then fail each in turn: every failure is
     * reported, none crashes or leaks (ASan checks the leaks) */
    cp_alloc_fail_at(0);
    long before = cp_alloc_count();
    struct cp_table *w = cp_table_new("u");
    cp_table_add_column(w, "x", CP_STR);
    cp_table_add_row(w);
    cp_table_set_str(w, 0, 0, "v");
    long needed = cp_alloc_count() - before;
    cp_table_free(w);
    for (long n = 1; n <= needed + 1; n++) {
        cp_alloc_fail_at(n);
        struct cp_table *u = cp_table_new("u");
        int ok = u && cp_table_add_column(u, "x", CP_STR) >= 0 && cp_table_add_row(u) >= 0 &&
                 cp_table_set_str(u, 0, 0, "v") == 0;
        cp_alloc_fail_at(0);
        CHECK_INT(ok, n > needed);
        cp_table_free(u);
    }
}

int main(void)
{
    RUN(sort_and_group);
    RUN(filter_and_copy);
    RUN(strings_are_interned);
    RUN(csv_roundtrip_text);
    RUN(double_shortest);
    RUN(double_text_round_trips);
    RUN(alloc_failure_is_reported);
    return DONE();
}
