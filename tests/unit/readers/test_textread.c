/* Line reader, splitter, header keys, units, numbers and stamps. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/tabread.h"
#include "cellpipe/textread.h"
#include "harness.h"
#include "numgen.h"

/* The fast decimal path must give the same bits as strtod. */
TEST(numbers_match_strtod)
{
    srand(7);
    int mismatches = 0;
    char buf[64];
    for (int k = 0; k < 200000; k++) {
        double x = (rand() / (double)RAND_MAX - 0.5) * pow(10, rand() % 12 - 4);
        snprintf(buf, sizeof(buf), "%.*f", rand() % 14, x);
        double want = strtod(buf, NULL), got = NAN;
        if (cp_parse_num(buf, &got) != 0 || memcmp(&want, &got, sizeof(got)) != 0)
            mismatches++;
    }
    CHECK_INT(mismatches, 0);
}

/* With an exponent (BioLogic writes "%.7E"), in and out of the fast path's powers of ten. */
TEST(exponents_match_strtod)
{
    srand(11);
    int mismatches = 0;
    char buf[64];
    for (int k = 0; k < 200000; k++) {
        double x = (rand() / (double)RAND_MAX - 0.5) * pow(10, rand() % 60 - 30);
        snprintf(buf, sizeof(buf), k % 2 ? "%.*E" : "%.*e", rand() % 17, x);
        double want = strtod(buf, NULL), got = NAN;
        if (cp_parse_num(buf, &got) != 0 || memcmp(&want, &got, sizeof(got)) != 0)
            mismatches++;
    }
    CHECK_INT(mismatches, 0);
}

/* What cp_parse_num must give for s: strtod's value of the '.' form when strtod takes all of
 * it (in range), else -1; 1 for the missing forms. */
static int parse_num_reference(const char *dot, double *want)
{
    if (!*dot || strcmp(dot, "-") == 0)
        return 1;
    char *end;
    errno = 0;
    *want = strtod(dot, &end);
    return end != dot && *end == '\0' && errno != ERANGE ? 0 : -1;
}

/* A million random strings of the cyclers' shapes (signs, exponents, many digits), with a
 * decimal point and with a decimal comma: cp_parse_num agrees with strtod on every one. */
TEST(random_strings_match_strtod)
{
    char dot[128], comma[128];
    int mismatches = 0;
    numgen_seed(4121);
    for (int k = 0; k < 1000000; k++) {
        numgen_string(dot, sizeof(dot), '.');
        double want = NAN, got = NAN;
        int expect = parse_num_reference(dot, &want);
        snprintf(comma, sizeof(comma), "%s", dot);
        char *sep = strchr(comma, '.');
        if (sep)
            *sep = ',';
        for (char *s = dot; s; s = s == dot ? comma : NULL) {
            int rc = cp_parse_num(s, &got);
            int bad = rc != expect || (rc == 0 && memcmp(&got, &want, sizeof(got)) != 0);
            if (bad && mismatches++ < 5)
                fprintf(stderr, "mismatch on '%s': %d, expected %d\n", s, rc, expect);
        }
    }
    CHECK_INT(mismatches, 0);
}

TEST(number_forms)
{
    double x;
    char a[] = "3,25", b[] = "\t  -1.5e-3 ", c[] = "N/A", d[] = "1.2.3", e[] = "NaN", f[] = "-";
    char g[] = "0.000000000000000000001234", h[] = "12abc";
    CHECK_INT(cp_parse_num(a, &x), 0);
    CHECK_NEAR(x, 3.25, 0);
    CHECK_INT(cp_parse_num(b, &x), 0);
    CHECK_NEAR(x, -1.5e-3, 0);
    CHECK_INT(cp_parse_num(c, &x), 1);
    CHECK_INT(cp_parse_num(d, &x), -1);
    CHECK_INT(cp_parse_num(e, &x), 1);
    CHECK_INT(cp_parse_num(f, &x), 1);
    CHECK_INT(cp_parse_num(g, &x), 0);
    CHECK_NEAR(x, 1.234e-21, 1e-35);
    CHECK_INT(cp_parse_num(h, &x), -1);
    char i[] = "4,1000000E+00", j[] = "1e", k[] = "-0E0", l[] = "2E00001";
    CHECK_INT(cp_parse_num(i, &x), 0);
    CHECK_NEAR(x, 4.1, 0);
    CHECK_INT(cp_parse_num(j, &x), -1);
    CHECK_INT(cp_parse_num(k, &x), 0);
    CHECK_INT(signbit(x) != 0, 1);
    CHECK_INT(cp_parse_num(l, &x), 0);
    CHECK_NEAR(x, 20, 0);
}

TEST(header_keys_and_units)
{
    static const char *const cases[][3] = {
        {"Test_Time [s]", "testtime", "s"},
        {"Test Time (s)", "testtime", "s"},
        {"Test (Min)", "test", "min"},
        {"I/mA", "i", "ma"},
        {"Q charge/discharge/mA.h", "qchargedischarge", "ma.h"},
        {"(Q-Qo)/mA.h", "qqo", "ma.h"},
        {"dV/dt (V/s)", "dvdt", "v/s"},
        {"Temperature/\xb0"
         "C",
         "temperature", "c"},
        {"Amp-hr", "amphr", ""},
        {"Time(h:min:s.ms)", "time", "hmins.ms"},
        {"Current(mA) ", "current", "ma"},
    };
    char key[64], unit[64];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cp_colkey(cases[i][0], key, sizeof(key), unit, sizeof(unit));
        CHECK_STR(key, cases[i][1]);
        CHECK_STR(unit, cases[i][2]);
    }
    CHECK_NEAR(cp_unit_scale("ma"), 1e-3, 0);
    CHECK_NEAR(cp_unit_scale("ma.h"), 1e-3, 0);
    CHECK_NEAR(cp_unit_scale("min"), 60, 0);
    CHECK_NEAR(cp_unit_scale("h"), 3600, 0);
    CHECK_NEAR(cp_unit_scale("%"), 1, 0);
}

TEST(split_quotes)
{
    char line[] = "a,\"b,c\",\"say \"\"hi\"\"\",,e";
    char *f[8];
    int n = cp_split(line, ',', f, 8);
    CHECK_INT(n, 5);
    CHECK_STR(f[1], "b,c");
    CHECK_STR(f[2], "say \"hi\"");
    CHECK_STR(f[3], "");
    CHECK_STR(f[4], "e");
    CHECK_INT(cp_guess_delim("a\tb;c\td"), '\t');
    CHECK_INT(cp_guess_delim("a;b;c,d"), ';');
}

TEST(stamps)
{
    double t;
    int only;
    CHECK_INT(cp_parse_stamp("2022-04-11 10:58:07 PM", &t, &only), 0);
    CHECK_NEAR(t, 1649717887, 0);
    CHECK_INT(cp_parse_stamp("12/16/2019 14:03:25", &t, &only), 0);
    CHECK_NEAR(t, 1576505005, 0);
    CHECK_INT(cp_parse_stamp("\t09/20/2024 08:32:34.558", &t, &only), 0);
    CHECK_NEAR(t, 1726821154.558, 1e-6);
    CHECK_INT(cp_parse_stamp("23-Nov-23 3:56:08 PM", &t, &only), 0);
    CHECK_NEAR(t, 1700754968, 0);
    CHECK_INT(cp_parse_stamp("2022-04-12 12:05:00 AM", &t, &only), 0);
    CHECK_NEAR(t, 1649721900, 0);
    CHECK_INT(cp_parse_stamp("16:05:31", &t, &only), 0);
    CHECK_INT(only, 1);
    CHECK_NEAR(t, 16 * 3600 + 5 * 60 + 31, 0);
    CHECK_INT(cp_parse_stamp("1900-02-29 00:00:00", &t, &only), 0); /* not validated beyond */
    CHECK_INT(cp_parse_stamp("13/45/2020", &t, &only), -1);
    CHECK_INT(cp_parse_stamp("yesterday", &t, &only), -1);
    double d;
    CHECK_INT(cp_parse_duration("  1d 02:03:04.5", &d), 0);
    CHECK_NEAR(d, 86400 + 7384.5, 1e-9);
    CHECK_INT(cp_parse_duration("123:04:05", &d), 0);
    CHECK_NEAR(d, 123 * 3600 + 245, 0);
    CHECK_INT(cp_parse_duration("abc", &d), -1);
}

/* Lines longer than the 64 KiB buffer, CRLF, no final newline. */
TEST(long_lines)
{
    char path[] = "/tmp/cp_lines_XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    for (int i = 0; i < 100000; i++)
        fputc('x', f);
    fputs("\r\nshort\nlast", f);
    fclose(f);
    struct cp_lines lr;
    struct cp_error err = {0};
    CHECK_INT(cp_lines_open(&lr, path, &err), 0);
    char *line;
    size_t len;
    CHECK_INT(cp_lines_next(&lr, &line, &len, &err), 1);
    CHECK_INT(len, 100000);
    CHECK_INT(cp_lines_next(&lr, &line, &len, &err), 1);
    CHECK_STR(line, "short");
    CHECK_INT(cp_lines_next(&lr, &line, &len, &err), 1);
    CHECK_STR(line, "last");
    CHECK_INT(lr.last_had_newline, 0);
    CHECK_INT(cp_lines_next(&lr, &line, &len, &err), 0);
    cp_lines_close(&lr);
    unlink(path);
}

TEST(cell_ids)
{
    static const char *const cases[][2] = {
        {"/x/CALCE_CX2-33_d_timeseries.csv", "CALCE_CX2-33_d"},
        {"a/FastCharge_000025_CH8_Metadata.csv", "FastCharge_000025_CH8"},
        {"p492-13-raw.csv", "p492-13"},
        {"dir.v2/xTESLADIAG_000038test.078", "xTESLADIAG_000038test"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *id = cp_reader_cell_id(cases[i][0]);
        CHECK_STR(id, cases[i][1]);
        cp_free(id);
    }
}

int main(void)
{
    RUN(numbers_match_strtod);
    RUN(exponents_match_strtod);
    RUN(random_strings_match_strtod);
    RUN(number_forms);
    RUN(header_keys_and_units);
    RUN(split_quotes);
    RUN(stamps);
    RUN(long_lines);
    RUN(cell_ids);
    return DONE();
}
