/*
 * Every real export under $CELLPIPE_REAL_DATA is read through the registry: format, data rows,
 * cycles and values taken from the files themselves (counted with awk from the raw text).
 * The Battery Data Hub oracle compares the per-cycle summary computed from the raw series with
 * the published summary, read here with the plain CSV reader (not the reader under test).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cellpipe/csv.h"
#include "harness.h"
#include "rdtest.h"

#define OPEN(r, rel)                                                                               \
    char path_[1024];                                                                              \
    if (!rd_real(rel, path_, sizeof(path_))) {                                                     \
        SKIP(rel, "no real data");                                                                 \
        return;                                                                                    \
    }                                                                                              \
    rd_read(r, path_)

static struct cp_strbuf sb;
static char link_dir[64], link_path[1100];

/* Read `target` through a symbolic link named `name` in a fresh temporary folder, so that the
 * reader sees the file without its siblings (the data files are never copied or changed). */
static void read_linked(struct rd *r, const char *target, const char *name)
{
    snprintf(link_dir, sizeof(link_dir), "/tmp/cp_readers_XXXXXX");
    char abs[1024];
    if (!mkdtemp(link_dir) || !realpath(target, abs)) {
        rd_read(r, "/nonexistent");
        return;
    }
    snprintf(link_path, sizeof(link_path), "%s/%s", link_dir, name);
    if (symlink(abs, link_path) != 0)
        link_path[0] = '\0';
    rd_read(r, link_path);
}

static void unlink_linked(void)
{
    if (link_path[0])
        unlink(link_path);
    rmdir(link_dir);
    link_path[0] = '\0';
}

#define LINKED(r, target, name) read_linked(r, target, name)

TEST(arbin_mid_test)
{
    struct rd r;
    OPEN(&r, "battdat/arbin/arbin_example.csv");
    CHECK_INT(r.rc, 0);
    CHECK_STR(rd_format(&r), "arbin");
    CHECK_INT(r.out.rows_read, 2142);
    CHECK_INT(r.cycles->nrows, 2);
    /* starts mid-test at 0.8800053 Ah: the cycle's counter still ends at 1.0719038 */
    CHECK_NEAR(rd_get(&r, 1, "charge_capacity_ah"), 1.0719038, 1e-12);
    CHECK_NEAR(rd_get(&r, 1, "discharge_capacity_ah"), 1.0723603, 1e-12);
    CHECK_NEAR(rd_get(&r, 2, "charge_capacity_ah"), 1.0725317, 1e-12);
    CHECK_NEAR(rd_get(&r, 2, "discharge_capacity_ah"), 1.0729095, 1e-12);
    CHECK_NEAR(rd_get(&r, 2, "v_max"), 3.6003604, 1e-12);
    CHECK_NEAR(rd_get(&r, 2, "i_max"), 6.6419449, 1e-12);
    CHECK_NEAR(rd_get(&r, 1, "start_time"), 1499006353, 0);
    CHECK_STR(rd_meta(&r, "cell_id", &sb), "arbin_example");
    rd_free(&r);
}

TEST(arbin_blank_cycles_and_metadata)
{
    struct rd r;
    OPEN(&r, "beep/arbin/2017-05-09_test-TC-contact_CH33.csv");
    CHECK_INT(r.rc, 0);
    CHECK_INT(r.out.rows_read, 287);
    CHECK_INT(r.cycles->nrows, 1); /* empty Cycle_Index: inferred, from 1 */
    CHECK_NEAR(rd_get(&r, 1, "charge_capacity_ah"), 0.6082700490951538, 1e-15);
    CHECK_NEAR(rd_get(&r, 1, "v_max"), 3.600003719329834, 1e-15);
    CHECK_STR(rd_meta(&r, "barcode", &sb), "EL150800460659");
    CHECK_STR(rd_meta(&r, "schedule", &sb), "20170509-6C_1C_36CV.sdu");
    CHECK_STR(rd_meta(&r, "channel", &sb), "32");
    rd_free(&r);
}

TEST(arbin_rest_only_crlf)
{
    struct rd r;
    OPEN(&r, "beep/arbin/FastCharge_000025_CH8.csv");
    CHECK_INT(r.rc, 0);
    CHECK_INT(r.out.rows_read, 248);
    CHECK_INT(r.cycles->nrows, 1);
    CHECK(isnan(rd_get(&r, 0, "charge_capacity_ah"))); /* a rest moves no charge */
    CHECK_NEAR(rd_get(&r, 0, "v_max"), 3.3011565, 1e-12);
    CHECK_STR(rd_meta(&r, "barcode", &sb), "EL150800453116");
    CHECK_STR(rd_meta(&r, "start_date", &sb), "2017-05-13T03:13:34Z");
    rd_free(&r);
}

TEST(arbin_metadata_files)
{
    static const char *const files[] = {"beep/arbin/2017-05-09_test-TC-contact_CH33_Metadata.csv",
                                        "beep/arbin/FastCharge_000025_CH8_Metadata.csv"};
    for (int i = 0; i < 2; i++) {
        struct rd r;
        OPEN(&r, files[i]);
        CHECK_INT(r.rc, 0);
        CHECK_STR(rd_format(&r), "arbin");
        CHECK_INT(r.out.rows_read, 1);
        CHECK_INT(r.cycles->nrows, 0);
        rd_free(&r);
    }
}

TEST(arbin_new_style_bom)
{
    struct rd r;
    OPEN(&r, "pyprobe/sample_data_arbin.csv");
    CHECK_INT(r.rc, 0);
    CHECK_STR(rd_format(&r), "arbin");
    CHECK_INT(r.out.rows_read, 13);
    CHECK_INT(r.cycles->nrows, 1);
    CHECK_NEAR(rd_get(&r, 1, "charge_capacity_ah"), 0.000400839, 1e-15);
    CHECK_NEAR(rd_get(&r, 1, "discharge_capacity_ah"), 2.04379e-05, 1e-15);
    rd_free(&r);
}

struct maccor_case {
    const char *file;
    long rows, cycles;
    long long cycle;
    double qc, qd; /* sums over the step runs of the step maximum of Amp-hr, by state */
};

TEST(maccor_text_exports)
{
    static const struct maccor_case cases[] = {
        {"beep/maccor/PreDiag_000229_000229_truncated.034", 4061, 2, 0, 3.8529012093, 4.7626133936},
        {"beep/maccor/PredictionDiagnostics_000109_tztest.010", 2165, 4, 87, 2.5832979839,
         1.8394546648},
        {"beep/maccor/PredictionDiagnostics_000151_test.052", 333, 1, 37, NAN, 0.0236349063},
        {"beep/maccor/xTESLADIAG_000038test.078", 10714, 24, 10, 3.8823718299, 3.8760269156},
        {"beep/maccor/xTESLADIAG_000019_CH70.070", 11669, 3, 2, NAN, 0.5398964224},
        {"beep/maccor/maccor_test_file_4267-66-6519.041", 74, 1, 0, NAN, NAN},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct maccor_case *c = &cases[i];
        struct rd r;
        OPEN(&r, c->file);
        CHECK_INT(r.rc, 0);
        CHECK_STR(rd_format(&r), "maccor");
        CHECK_INT(r.out.rows_read, c->rows);
        CHECK_INT(r.cycles->nrows, c->cycles);
        double qc = rd_get(&r, c->cycle, "charge_capacity_ah");
        double qd = rd_get(&r, c->cycle, "discharge_capacity_ah");
        CHECK(isnan(c->qc) ? isnan(qc) : fabs(qc - c->qc) < 1e-9);
        CHECK(isnan(c->qd) ? isnan(qd) : fabs(qd - c->qd) < 1e-9);
        rd_free(&r);
    }
}

TEST(maccor_header_metadata)
{
    struct rd r;
    OPEN(&r, "beep/maccor/xTESLADIAG_000038test.078");
    CHECK_STR(rd_meta(&r, "barcode", &sb), "EXP, SOH 30 cyc 4.3V 1C");
    CHECK_STR(rd_meta(&r, "procedure", &sb), "xTESLADIAG_000038.000");
    CHECK_STR(rd_meta(&r, "start_date", &sb), "2019-08-13T00:00:00Z");
    rd_free(&r);
}

TEST(maccor_eis_refused)
{
    struct rd r;
    OPEN(&r, "beep/maccor/maccor_test_file_4267-66-6519.EDA0001.041");
    CHECK_STR(rd_format(&r), "maccor");
    CHECK_INT(r.rc, -CP_EDATA);
    CHECK(strstr(r.err.msg, "EDA0001.041:1: ") != NULL);
    rd_free(&r);
}

TEST(maccor_minutes_and_time_only)
{
    struct rd r;
    OPEN(&r, "battdat/maccor/maccor_example.002");
    CHECK_INT(r.rc, 0);
    CHECK_INT(r.out.rows_read, 8);
    CHECK_INT(r.cycles->nrows, 1);
    CHECK_NEAR(rd_get(&r, 0, "test_time_s"), 1.1667 * 60, 1e-9); /* Test (Min) */
    CHECK_NEAR(rd_get(&r, 0, "start_time"), 1459526731, 0);      /* 04/01/2016 16:05:31 */
    CHECK_NEAR(rd_get(&r, 0, "v_max"), 3.30678264, 1e-12);
    rd_free(&r);
    struct rd r1;
    char p1[1024];
    if (rd_real("battdat/maccor/maccor_example.001", p1, sizeof(p1))) {
        rd_read(&r1, p1);
        CHECK_INT(r1.rc, 0);
        CHECK_NEAR(rd_get(&r1, 0, "start_time"), 1459440331, 0); /* 03/31/2016 16:05:31 */
        rd_free(&r1);
    }
}

TEST(maccor_csv_dialect)
{
    struct rd r;
    OPEN(&r, "pyprobe/sample_data_maccor.csv");
    CHECK_INT(r.rc, 0);
    CHECK_STR(rd_format(&r), "maccor");
    CHECK_INT(r.out.rows_read, 15);
    CHECK_NEAR(rd_get(&r, 1, "charge_capacity_ah"), 0.024, 1e-12);
    CHECK_NEAR(rd_get(&r, 1, "charge_energy_wh"), 0.091, 1e-12);
    CHECK_NEAR(rd_get(&r, 1, "start_time"), 1700754971, 0); /* 23-Nov-23 3:56:11 PM */
    rd_free(&r);
}

TEST(biologic_csv)
{
    struct rd r;
    OPEN(&r, "beep/biologic/test_loopsnewoutput_MB_CE1_short10k.csv");
    CHECK_INT(r.rc, 0);
    CHECK_STR(rd_format(&r), "biologic");
    CHECK_INT(r.out.rows_read, 9999);
    CHECK_INT(r.cycles->nrows, 3);
    /* Q charge / Q discharge (mA.h) restart each half cycle: the cycle maxima, in Ah */
    CHECK_NEAR(rd_get(&r, 0, "charge_capacity_ah"), 1.46187505883715, 1e-12);
    CHECK_NEAR(rd_get(&r, 1, "charge_capacity_ah"), 2.371315582344, 1e-12);
    CHECK_NEAR(rd_get(&r, 1, "discharge_capacity_ah"), 2.32658610340727, 1e-12);
    CHECK(isnan(rd_get(&r, 2, "discharge_capacity_ah")));
    /* Energy discharge/W.h is written negative: its largest magnitude in cycle 0 */
    CHECK_NEAR(rd_get(&r, 0, "discharge_energy_wh"), 8.72652526067807, 1e-12);
    CHECK_NEAR(rd_get(&r, 0, "start_time"), 1620228982, 0); /* 05/05/2021 15:36:22.757 */
    rd_free(&r);
}

TEST(biologic_mpt_and_log)
{
    struct rd r;
    OPEN(&r, "pyprobe/Sample_data_biologic_no_header.mpt");
    CHECK_INT(r.rc, 0);
    CHECK_STR(rd_format(&r), "biologic");
    CHECK_INT(r.out.rows_read, 13);
    CHECK_NEAR(rd_get(&r, 0, "v_max"), 2.9814022, 1e-12);
    rd_free(&r);
    struct rd l;
    char p[1024];
    if (rd_real("beep/biologic/test_loopsnewoutput_MB_CE1_short10k.mpl", p, sizeof(p))) {
        rd_read(&l, p);
        CHECK_INT(l.rc, 0);
        CHECK_STR(rd_format(&l), "biologic");
        CHECK_INT(l.cycles->nrows, 0);
        rd_free(&l);
    }
}

TEST(novonix_quoted)
{
    struct rd r;
    OPEN(&r, "beep/novonix/test_Nova_Form-CH01-01_short.csv");
    CHECK_INT(r.rc, 0);
    CHECK_STR(rd_format(&r), "novonix");
    CHECK_INT(r.out.rows_read, 3942);
    CHECK_INT(r.cycles->nrows, 1);
    /* Capacity carries on from step 2 into step 3: the last value is the cycle's charge */
    CHECK_NEAR(rd_get(&r, 1, "charge_capacity_ah"), 0.0294679161, 1e-12);
    CHECK_NEAR(rd_get(&r, 1, "test_time_s"), 17.4345750 * 3600, 1e-6);
    CHECK_STR(rd_meta(&r, "nominal_capacity_ah", &sb), "0.24");
    CHECK_STR(rd_meta(&r, "channel", &sb), "01");
    rd_free(&r);
}

TEST(novonix_unquoted_and_summary)
{
    struct rd r;
    OPEN(&r, "pyprobe/sample_data_novonix.csv");
    CHECK_INT(r.rc, 0);
    CHECK_INT(r.out.rows_read, 207);
    CHECK_NEAR(rd_get(&r, 1, "charge_capacity_ah"), 1.70652976, 1e-12);
    CHECK_NEAR(rd_get(&r, 1, "v_max"), 4.12864581, 1e-12);
    CHECK_STR(rd_meta(&r, "nominal_capacity_ah", &sb), "5");
    rd_free(&r);
    struct rd m;
    char p[1024];
    if (rd_real("beep/novonix/test_Nova_Form-CH01-01_short_metadata.csv", p, sizeof(p))) {
        rd_read(&m, p);
        CHECK_INT(m.rc, 0);
        CHECK_STR(rd_format(&m), "novonix");
        CHECK_INT(m.out.rows_read, 1);
        rd_free(&m);
    }
}

TEST(batteryarchive_timeseries)
{
    struct rd r;
    OPEN(&r, "battdat/batteryarchive/CALCE_CX2-33_prism_LCO_25C_0-100_0.5-0.5C_d_timeseries.csv");
    CHECK_INT(r.rc, 0);
    CHECK_STR(rd_format(&r), "batteryarchive_ts");
    CHECK_INT(r.out.rows_read, 15);
    /* read on its own, the series gives its cycle; loaded together with its _cycle_data.csv
     * (the files source's batch, tests/unit/sources) it adds none */
    CHECK_INT(r.cycles->nrows, 1);
    CHECK_STR(rd_meta(&r, "cell_id", &sb), "CALCE_CX2-33_prism_LCO_25C_0-100_0.5-0.5C_d");
    rd_free(&r);
    /* alone (a link in a temporary folder), the series gives its cycle */
    struct rd a;
    LINKED(&a, path_, "CALCE_d_timeseries.csv");
    CHECK_INT(a.rc, 0);
    CHECK_INT(a.cycles->nrows, 1);
    CHECK_NEAR(rd_get(&a, 1, "charge_capacity_ah"), 0.059, 1e-12);
    CHECK_NEAR(rd_get(&a, 1, "charge_energy_wh"), 0.236, 1e-12);
    CHECK_NEAR(rd_get(&a, 1, "test_time_s"), 450.16, 1e-9);
    rd_free(&a);
    unlink_linked();
}

TEST(batterydatahub_summary)
{
    struct rd r;
    OPEN(&r, "battdat/batterydata_inl/p492-13-summary.csv");
    CHECK_INT(r.rc, 0);
    CHECK_STR(rd_format(&r), "batterydatahub");
    CHECK_INT(r.out.rows_read, 267);
    CHECK_INT(r.cycles->nrows, 267);
    CHECK_NEAR(rd_get(&r, 262, "charge_capacity_ah"), 0.02095305, 1e-15);
    CHECK_NEAR(rd_get(&r, 262, "discharge_capacity_ah"), 0.02088748, 1e-15);
    CHECK(isnan(rd_get(&r, 7, "discharge_capacity_ah")));
    rd_free(&r);
}

/* The oracle: raw cycles 1-9 against the published summary. Cycle 5 (HPPC): the summary's
 * Q_dis 0.00190005 is not in the raw file, whose largest Discharge_Capacity_Ah of that cycle
 * is 0.00190004 (the summary was computed before the raw export was rounded to 1e-8 Ah), so
 * cycle 5's discharge and CE agree to 1e-5 only. Where the summary says NaN (no charge or no
 * discharge in the cycle), the computed value is NaN too. */
TEST(batterydatahub_oracle)
{
    struct rd r;
    OPEN(&r, "battdat/batterydata_inl/p492-13-raw.csv");
    CHECK_INT(r.rc, 0);
    CHECK_INT(r.cycles->nrows, 9); /* on its own; with its summary in the batch it adds none */
    rd_free(&r);
    LINKED(&r, path_, "p492-13-raw.csv"); /* alone */
    CHECK_INT(r.rc, 0);
    CHECK_STR(rd_format(&r), "batterydatahub");
    CHECK_INT(r.out.rows_read, 2021);
    CHECK_INT(r.cycles->nrows, 9);
    char sp[1024];
    if (!rd_real("battdat/batterydata_inl/p492-13-summary.csv", sp, sizeof(sp))) {
        rd_free(&r);
        unlink_linked();
        return;
    }
    struct cp_csv c;
    CHECK_INT(cp_csv_open(&c, sp, ','), 0);
    CHECK_INT(cp_csv_next(&c), 1);
    int fi = cp_csv_field_index(&c, "Cycle_Index"), fc = cp_csv_field_index(&c, "Q_chg");
    int fd = cp_csv_field_index(&c, "Q_dis"), fe = cp_csv_field_index(&c, "CE");
    int compared = 0;
    while (cp_csv_next(&c) == 1) {
        double cyc, qc, qd, ce;
        cp_csv_number(c.fields[fi], &cyc);
        if (cyc > 9)
            break;
        cp_csv_number(c.fields[fc], &qc);
        cp_csv_number(c.fields[fd], &qd);
        cp_csv_number(c.fields[fe], &ce);
        double mc = rd_get(&r, (long long)cyc, "charge_capacity_ah");
        double md = rd_get(&r, (long long)cyc, "discharge_capacity_ah");
        double rel = cyc == 5 ? 1e-5 : 1e-6;
        CHECK(isnan(qc) ? isnan(mc) : fabs(mc - qc) <= rel * qc);
        CHECK(isnan(qd) ? isnan(md) : fabs(md - qd) <= rel * qd);
        CHECK(isnan(ce) ? isnan(md / mc) : fabs(md / mc - ce) <= rel * ce);
        compared++;
    }
    cp_csv_close(&c);
    CHECK_INT(compared, 9);
    rd_free(&r);
    unlink_linked();
}

TEST(workbook_is_not_an_export)
{
    struct rd r;
    OPEN(&r, "pyprobe/Experiment_Record.xlsx");
    CHECK_INT(r.rc, -CP_EDATA);
    CHECK(r.ops == NULL);
    rd_free(&r);
}

int main(void)
{
    cp_strbuf_init(&sb);
    RUN(arbin_mid_test);
    RUN(arbin_blank_cycles_and_metadata);
    RUN(arbin_rest_only_crlf);
    RUN(arbin_metadata_files);
    RUN(arbin_new_style_bom);
    RUN(maccor_text_exports);
    RUN(maccor_header_metadata);
    RUN(maccor_eis_refused);
    RUN(maccor_minutes_and_time_only);
    RUN(maccor_csv_dialect);
    RUN(biologic_csv);
    RUN(biologic_mpt_and_log);
    RUN(novonix_quoted);
    RUN(novonix_unquoted_and_summary);
    RUN(batteryarchive_timeseries);
    RUN(batterydatahub_summary);
    RUN(batterydatahub_oracle);
    RUN(workbook_is_not_an_export);
    cp_strbuf_release(&sb);
    return DONE();
}
