#ifndef CELLPIPE_TEST_HARNESS_H
#define CELLPIPE_TEST_HARNESS_H
/*
 * The tiny unit-test harness: each tests/unit/<module>/test_*.c is one program.
 *   TEST(name) { CHECK(...); CHECK_NEAR(a, b, tol); CHECK_STR(a, b); }
 *   int main(void) { RUN(name); ...; return DONE(); }
 * DONE() prints "N passed, N failed, N skipped" (checks, not functions) and returns nonzero
 * when any check failed. SKIP("name", "why") records a skipped case by name.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

static int t_pass, t_fail, t_skip;
static const char *t_current = "";

#define TEST(name) static void name(void)

#define RUN(name)                                                                                  \
    do {                                                                                           \
        t_current = #name;                                                                         \
        name();                                                                                    \
    } while (0)

#define T_REPORT(ok, ...)                                                                          \
    do {                                                                                           \
        if (ok) {                                                                                  \
            t_pass++;                                                                              \
        } else {                                                                                   \
            t_fail++;                                                                              \
            fprintf(stderr, "FAIL %s (%s:%d): ", t_current, __FILE__, __LINE__);                   \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

#define CHECK(cond) T_REPORT((cond), "%s", #cond)

#define CHECK_INT(a, b)                                                                            \
    do {                                                                                           \
        long long x_ = (long long)(a), y_ = (long long)(b);                                        \
        T_REPORT(x_ == y_, "%s == %s: %lld != %lld", #a, #b, x_, y_);                              \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                                      \
    do {                                                                                           \
        double x_ = (a), y_ = (b);                                                                 \
        T_REPORT(fabs(x_ - y_) <= (tol), "%s ~ %s: %.17g vs %.17g", #a, #b, x_, y_);               \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *x_ = (a), *y_ = (b);                                                           \
        T_REPORT(x_ &&y_ &&strcmp(x_, y_) == 0, "%s == %s: '%s' != '%s'", #a, #b,                  \
                 x_ ? x_ : "(null)", y_ ? y_ : "(null)");                                          \
    } while (0)

#define SKIP(name, why)                                                                            \
    do {                                                                                           \
        t_skip++;                                                                                  \
        printf("SKIP %s: %s\n", (name), (why));                                                    \
    } while (0)

#define DONE() (printf("%d passed, %d failed, %d skipped\n", t_pass, t_fail, t_skip), t_fail != 0)

#endif
