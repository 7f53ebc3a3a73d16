#include <stdio.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/intern.h"
#include "harness.h"

TEST(equal_strings_share_a_pointer)
{
    struct cp_intern *p = cp_intern_new();
    char a[] = "cell_07", b[] = "cell_07";
    char *x = cp_intern_get(p, a, strlen(a));
    char *y = cp_intern_get(p, b, strlen(b));
    CHECK(x != NULL && x == y);
    CHECK(x != a && x != b);
    CHECK_STR(x, "cell_07");
    char *z = cp_intern_get(p, "cell_08", 7);
    CHECK(z != x);
    CHECK_STR(z, "cell_08");
    CHECK(cp_intern_get(p, "cell_07", 7) == x); /* not only the last value */
    CHECK_INT(cp_intern_count(p), 2);
    cp_intern_free(p);
    cp_intern_free(NULL);
}

TEST(length_not_nul_decides)
{
    struct cp_intern *p = cp_intern_new();
    const char *line = "abc,abcd";
    char *x = cp_intern_get(p, line, 3);
    char *y = cp_intern_get(p, line + 4, 4);
    CHECK_STR(x, "abc");
    CHECK_STR(y, "abcd");
    CHECK(cp_intern_get(p, "", 0) != NULL);
    CHECK_STR(cp_intern_get(p, "", 0), "");
    CHECK_INT(cp_intern_count(p), 3);
    cp_intern_free(p);
}

TEST(find_never_adds)
{
    struct cp_intern *p = cp_intern_new();
    CHECK(cp_intern_find(p, "x", 1) == NULL);
    char *x = cp_intern_get(p, "x", 1);
    CHECK(cp_intern_find(p, "x", 1) == x);
    CHECK(cp_intern_find(p, "y", 1) == NULL);
    CHECK_INT(cp_intern_count(p), 1);
    cp_intern_free(p);
}

/* Many values: slots grow and strings spill over several chunks; every pointer stays put. */
TEST(many_values_keep_their_address)
{
    struct cp_intern *p = cp_intern_new();
    enum { N = 20000 };
    static char *first[N];
    char buf[32];
    for (int i = 0; i < N; i++) {
        int n = snprintf(buf, sizeof buf, "cell_%05d", i);
        first[i] = cp_intern_get(p, buf, (size_t)n);
    }
    int same = 1;
    for (int i = 0; i < N; i++) {
        int n = snprintf(buf, sizeof buf, "cell_%05d", i);
        same &= cp_intern_get(p, buf, (size_t)n) == first[i] && strcmp(first[i], buf) == 0;
    }
    CHECK(same);
    CHECK_INT(cp_intern_count(p), N);
    CHECK(cp_intern_bytes(p) > N * 11);
    cp_intern_free(p);
}

TEST(alloc_failure_leaves_the_pool_usable)
{
    cp_alloc_fail_at(1);
    CHECK(cp_intern_new() == NULL);
    cp_alloc_fail_at(0);
    for (long n = 1; n <= 3; n++) { /* 40 more values: the slot array grows three times */
        struct cp_intern *p = cp_intern_new();
        char *a = cp_intern_get(p, "a", 1);
        cp_alloc_fail_at(n); /* the next allocations fail from the nth on */
        char *got[40];
        int failed = 0;
        char buf[16];
        for (int i = 0; i < 40; i++) {
            int k = snprintf(buf, sizeof buf, "v%d", i);
            got[i] = cp_intern_get(p, buf, (size_t)k);
            failed |= got[i] == NULL;
        }
        CHECK(failed);
        CHECK(cp_intern_get(p, "a", 1) == a); /* a held value needs no allocation */
        cp_alloc_fail_at(0);
        int right = 1;
        for (int i = 0; i < 40; i++) {
            int k = snprintf(buf, sizeof buf, "v%d", i);
            char *v = cp_intern_get(p, buf, (size_t)k);
            right &= v && strcmp(v, buf) == 0 && (!got[i] || got[i] == v);
        }
        CHECK(right);
        CHECK_INT(cp_intern_count(p), 41);
        cp_intern_free(p);
    }
}

int main(void)
{
    RUN(equal_strings_share_a_pointer);
    RUN(length_not_nul_decides);
    RUN(find_never_adds);
    RUN(many_values_keep_their_address);
    RUN(alloc_failure_leaves_the_pool_usable);
    return DONE();
}
