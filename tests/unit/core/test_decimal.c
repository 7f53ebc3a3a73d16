/* The fast decimal path (decimal.h) against strtod on a million strings of the shapes cyclers
 * write: where it takes a string, the same bits and the same end as strtod; and what it takes
 * must be most of what a cycler writes, or the comparison proves little. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/csv.h"
#include "cellpipe/decimal.h"
#include "harness.h"
#include "numgen.h"

#define N_STRINGS 1000000

static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof(a)) == 0;
}

/* One string with '.': 1 when the fast path took it, 0 when it left it; -1 on a mismatch. */
static int check_dot(const char *s)
{
    double got = NAN;
    const char *end = NULL;
    if (cp_decimal_fast(s, 0, &got, &end) != 0)
        return 0;
    char *send;
    double want = strtod(s, &send);
    return same_bits(got, want) && end == send ? 1 : -1;
}

/* The same string with ',' (comma nonzero): as strtod on its '.' form. */
static int check_comma(const char *dot)
{
    char s[128];
    snprintf(s, sizeof(s), "%s", dot);
    char *sep = strchr(s, '.');
    if (sep)
        *sep = ',';
    double got = NAN;
    const char *end = NULL;
    if (cp_decimal_fast(s, 1, &got, &end) != 0)
        return 0;
    char *send;
    double want = strtod(dot, &send);
    return same_bits(got, want) && end - s == send - dot ? 1 : -1;
}

TEST(random_strings_match_strtod)
{
    char s[128];
    int mismatches = 0, comma_mismatches = 0, taken = 0;
    numgen_seed(20261204);
    for (int k = 0; k < N_STRINGS; k++) {
        numgen_string(s, sizeof(s), '.');
        int rc = check_dot(s), rc2 = check_comma(s);
        if ((rc < 0 || rc2 < 0) && mismatches + comma_mismatches < 5)
            fprintf(stderr, "mismatch on '%s'\n", s);
        mismatches += rc < 0;
        comma_mismatches += rc2 < 0;
        taken += rc > 0;
    }
    CHECK_INT(mismatches, 0);
    CHECK_INT(comma_mismatches, 0);
    CHECK(taken > N_STRINGS / 2); /* the fast path does the work, so this test tests it */
}

/* The CSV reader's numbers, which take the fast path first: as strtod on the whole field. */
TEST(csv_numbers_match_strtod)
{
    char s[128];
    int mismatches = 0;
    numgen_seed(977);
    for (int k = 0; k < N_STRINGS; k++) {
        numgen_string(s, sizeof(s), '.');
        char *end;
        double want = strtod(s, &end), got = 0;
        int expect = end != s && *end == '\0' ? 0 : -1;
        int rc = cp_csv_number(s, &got);
        if (rc != expect || (rc == 0 && !same_bits(got, want)) || (rc < 0 && !isnan(got)))
            if (mismatches++ < 5)
                fprintf(stderr, "cp_csv_number mismatch on '%s'\n", s);
    }
    CHECK_INT(mismatches, 0);
}

/* The comma is a separator only when asked: "1,5" then stops at the comma, as strtod does. */
TEST(comma_only_when_asked)
{
    double x = 0;
    const char *end = NULL;
    const char *s = "1,5";
    CHECK_INT(cp_decimal_fast(s, 0, &x, &end), 0);
    CHECK(x == 1 && end == s + 1);
    CHECK_INT(cp_decimal_fast(s, 1, &x, &end), 0);
    CHECK(x == 1.5 && end == s + 3);
}

/* Left to strtod: nothing numeric, long mantissas, long exponents, powers past 10^22. */
TEST(left_to_strtod)
{
    static const char *const cases[] = {"",
                                        ".",
                                        "-",
                                        "+.",
                                        "e5",
                                        "nan",
                                        "inf",
                                        "1e",
                                        "1e+",
                                        "1e12345",
                                        "1.2345678901234567",
                                        "1e23",
                                        "1e-23",
                                        "12345678901234567890"};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        double x = 42;
        const char *end = NULL;
        CHECK_INT(cp_decimal_fast(cases[i], 0, &x, &end), -1);
        CHECK(x == 42 && end == NULL);
    }
}

/* Forms strtod takes too, with strtod's end. */
TEST(edge_forms)
{
    static const char *const cases[] = {"5.",    ".5",    "-.5e3", "+7",     "-0",    "-0.0e0",
                                        "007.5", "1E+05", "1.5x",  "2.5e5x", "1.2.3", "0.000123"};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        CHECK_INT(check_dot(cases[i]), 1);
}

/* Hexadecimal, which strtod takes and no cycler writes: read as the 0 before the 'x', so that
 * a caller that wants the field whole refuses it (cp_parse_num and cp_csv_number do). */
TEST(hexadecimal_stops_at_x)
{
    double x = 42;
    const char *end = NULL, *s = "0x1A";
    CHECK_INT(cp_decimal_fast(s, 0, &x, &end), 0);
    CHECK(x == 0 && end == s + 1);
}

int main(void)
{
    RUN(random_strings_match_strtod);
    RUN(csv_numbers_match_strtod);
    RUN(comma_only_when_asked);
    RUN(left_to_strtod);
    RUN(edge_forms);
    RUN(hexadecimal_stops_at_x);
    return DONE();
}
