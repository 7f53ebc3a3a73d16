/*
 * Hand-made files under tests/data/readers/, one per quirk the real samples do not show, and
 * one per kind of bad input. Expected values are worked out by hand from the files' text.
 */
#include <stdio.h>

#include "harness.h"
#include "rdtest.h"

#define DATA "tests/data/readers/"

static struct cp_strbuf sb;

TEST(maccor_comma_minutes_milli_state)
{
    struct rd r;
    rd_read(&r, DATA "maccor_decimal_comma_minutes_milli.txt");
    CHECK_INT(r.rc, 0);
    CHECK_STR(rd_format(&r), "maccor");
    CHECK_INT(r.out.rows_read, 7);
    CHECK_INT(r.cycles->nrows, 2);
    /* mAmp-hr 1000,0 = 1 Ah each way; mWatt-hr 3800,0 / 3600,0 */
    CHECK_NEAR(rd_get(&r, 1, "charge_capacity_ah"), 1.0, 1e-12);
    CHECK_NEAR(rd_get(&r, 1, "discharge_capacity_ah"), 1.0, 1e-12);
    CHECK_NEAR(rd_get(&r, 1, "charge_energy_wh"), 3.8, 1e-12);
    CHECK_NEAR(rd_get(&r, 1, "v_discharge_mean"), 3.6, 1e-12);
    /* unsigned mAmps 500,0 in a D state is -0.5 A */
    CHECK_NEAR(rd_get(&r, 1, "i_min"), -0.5, 1e-12);
    CHECK_NEAR(rd_get(&r, 1, "i_max"), 1.0, 1e-12);
    /* Test (Min) 182,0000 -> 10920 s */
    CHECK_NEAR(rd_get(&r, 1, "test_time_s"), 10920, 1e-9);
    CHECK_NEAR(rd_get(&r, 2, "charge_capacity_ah"), 1.0, 1e-12);
    /* time-only stamps: the date from "Date of Test:", rolling over at midnight */
    CHECK_NEAR(rd_get(&r, 1, "start_time"), 1714521540, 0); /* 2024-04-30 23:59:00 */
    CHECK_NEAR(rd_get(&r, 2, "start_time"), 1714532460, 0); /* 2024-05-01 03:01:00 */
    CHECK_STR(rd_meta(&r, "barcode", &sb), "QK-1");
    CHECK_STR(rd_meta(&r, "procedure", &sb), "quirk.000");
    CHECK_STR(rd_meta(&r, "year", &sb), "2024"); /* from the start date */
    rd_free(&r);
}

TEST(arbin_bom_units_clock_reset)
{
    struct rd r;
    rd_read(&r, DATA "arbin_bom_units_clock_reset.csv");
    CHECK_INT(r.rc, 0);
    CHECK_STR(rd_format(&r), "arbin");
    CHECK_INT(r.cycles->nrows, 2);
    CHECK_NEAR(rd_get(&r, 1, "charge_capacity_ah"), 1.0, 1e-12);  /* 1000 mAh */
    CHECK_NEAR(rd_get(&r, 1, "discharge_energy_wh"), 3.5, 1e-12); /* 3500 mWh */
    CHECK_NEAR(rd_get(&r, 1, "v_max"), 4.0, 1e-12);               /* 4000 mV */
    CHECK_NEAR(rd_get(&r, 1, "i_min"), -1.0, 1e-12);              /* -1000 mA */
    CHECK_NEAR(rd_get(&r, 1, "temperature_avg_c"), 26.5, 1e-12);
    CHECK_NEAR(rd_get(&r, 1, "temperature_max_c"), 28, 1e-12);
    CHECK_NEAR(rd_get(&r, 1, "start_time"), 1714557600, 0); /* tab before the date */
    /* the test clock restarts at 0 in cycle 2: the rows from there are a second test */
    char **ids = cp_table_str(r.cycles, "cell_id");
    CHECK_STR(ids[rd_row(&r, 1)], "arbin_bom_units_clock_reset");
    CHECK_STR(ids[rd_row(&r, 2)], "arbin_bom_units_clock_reset_test2");
    CHECK_NEAR(rd_get(&r, 2, "test_time_s"), 1800, 1e-9);
    CHECK_NEAR(rd_get(&r, 2, "duration_s"), 1800, 1e-9);
    CHECK_NEAR(rd_get(&r, 2, "charge_capacity_ah"), 1.0, 1e-12);
    CHECK_NEAR(rd_get(&r, 2, "start_time"), 1714566600, 0); /* 05/01/2024 12:30:00 */
    CHECK_INT(r.cells->nrows, 2);
    char **of = cp_table_str(r.cells, "restart_of"), **tester = cp_table_str(r.cells, "tester");
    CHECK(of && !of[0]);
    CHECK_STR(of ? of[1] : NULL, "arbin_bom_units_clock_reset");
    CHECK_STR(tester ? tester[1] : NULL, "arbin");
    rd_free(&r);
}

TEST(biologic_latin1_comma_header_block)
{
    struct rd r;
    rd_read(&r, DATA "biologic_latin1_decimal_comma.mpt");
    CHECK_INT(r.rc, 0);
    CHECK_STR(rd_format(&r), "biologic");
    CHECK_INT(r.out.rows_read, 5);
    CHECK_INT(r.cycles->nrows, 2);
    CHECK_NEAR(rd_get(&r, 0, "charge_capacity_ah"), 1.0, 1e-12); /* 1000 mA.h */
    CHECK_NEAR(rd_get(&r, 0, "discharge_capacity_ah"), 1.0, 1e-12);
    CHECK_NEAR(rd_get(&r, 0, "charge_energy_wh"), 3.8, 1e-12); /* 3,8 */
    CHECK_NEAR(rd_get(&r, 0, "i_min"), -0.5, 1e-12);
    CHECK_NEAR(rd_get(&r, 0, "temperature_max_c"), 26.5, 1e-12); /* Temperature/\xb0C */
    CHECK_NEAR(rd_get(&r, 1, "charge_capacity_ah"), 0.0005, 1e-15);
    CHECK_STR(rd_meta(&r, "start_date", &sb), "2024-05-03T08:00:00Z");
    rd_free(&r);
}

TEST(neware_flat)
{
    struct rd r;
    rd_read(&r, DATA "neware_flat.csv");
    CHECK_INT(r.rc, 0);
    CHECK_STR(rd_format(&r), "neware");
    CHECK_INT(r.cycles->nrows, 2);
    CHECK_NEAR(rd_get(&r, 1, "charge_capacity_ah"), 1.0, 1e-12);
    CHECK_NEAR(rd_get(&r, 1, "discharge_capacity_ah"), 0.9, 1e-12);
    CHECK_NEAR(rd_get(&r, 1, "discharge_energy_wh"), 3.2, 1e-12);
    CHECK_NEAR(rd_get(&r, 1, "test_time_s"), 7201, 1e-9); /* Total Time 02:00:01 */
    CHECK_NEAR(rd_get(&r, 2, "charge_capacity_ah"), 0.5, 1e-12);
    CHECK_NEAR(rd_get(&r, 2, "start_time"), 1714822201, 0);
    rd_free(&r);
}

TEST(neware_hierarchical)
{
    struct rd r;
    rd_read(&r, DATA "neware_layered.csv");
    CHECK_INT(r.rc, 0);
    CHECK_STR(rd_format(&r), "neware");
    CHECK_INT(r.out.rows_read, 5); /* records only */
    CHECK_INT(r.cycles->nrows, 2);
    CHECK_NEAR(rd_get(&r, 1, "charge_capacity_ah"), 1.0, 1e-12); /* 1000 mAh */
    CHECK_NEAR(rd_get(&r, 1, "discharge_capacity_ah"), 0.9, 1e-12);
    CHECK_NEAR(rd_get(&r, 1, "charge_energy_wh"), 3.8, 1e-12);
    CHECK_NEAR(rd_get(&r, 1, "i_min"), -1.0, 1e-12); /* unsigned mA under a CC_DChg step */
    CHECK_NEAR(rd_get(&r, 1, "temperature_avg_c"), 26, 1e-12);
    CHECK_NEAR(rd_get(&r, 1, "start_time"), 1714896000, 0);
    CHECK_NEAR(rd_get(&r, 2, "charge_capacity_ah"), 0.5, 1e-12);
    rd_free(&r);
}

struct bad_case {
    const char *file;
    int code;
    const char *msg; /* expected start of the message */
};

TEST(bad_inputs)
{
    static const struct bad_case cases[] = {
        {DATA "truncated_arbin.csv", CP_EDATA,
         DATA "truncated_arbin.csv:4: truncated row: expected 10 fields, got 8"},
        {DATA "bad_number_arbin.csv", CP_EDATA,
         DATA "bad_number_arbin.csv:3: current_a: expected a number, got 'abc'"},
        {DATA "arbin_no_voltage.csv", CP_EDATA,
         DATA "arbin_no_voltage.csv:1: no arbin header with the needed columns: missing "
              "voltage_v"},
        {DATA "maccor_missing_amphr.txt", CP_EDATA,
         DATA "maccor_missing_amphr.txt:2: no maccor header with the needed columns"},
        {DATA "unknown_format.csv", CP_EDATA, DATA "unknown_format.csv:1: unknown file format"},
        {DATA "empty.csv", CP_EDATA, DATA "empty.csv:1: empty file"},
        {DATA "binary.dat", CP_EDATA, DATA "binary.dat:1: binary file"},
        {DATA "truncated_header.csv", CP_EDATA,
         DATA "truncated_header.csv:1: truncated header line (expected a header ending in a line "
              "break)"},
        {DATA "mixed_encoding_arbin.csv", CP_EDATA,
         DATA "mixed_encoding_arbin.csv:3: voltage_v: expected a number, got byte 0xE9"},
        {DATA "arbin_duplicate_metadata.csv", CP_EDATA,
         DATA "arbin_duplicate_metadata_Metadata.csv:1: duplicate column 'ITEM_ID'"},
        {DATA "no_such_file.csv", CP_ENOINPUT, "cannot open '" DATA "no_such_file.csv'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct rd r;
        rd_read(&r, cases[i].file);
        CHECK_INT(r.rc, -cases[i].code);
        CHECK_INT(r.err.code, cases[i].code);
        T_REPORT(strncmp(r.err.msg, cases[i].msg, strlen(cases[i].msg)) == 0,
                 "message '%s' should start with '%s'", r.err.msg, cases[i].msg);
        rd_free(&r);
    }
}

TEST(format_override_by_name)
{
    CHECK(cp_reader_find("maccor") != NULL);
    CHECK(cp_reader_find("neware") != NULL);
    CHECK(cp_reader_find("nope") == NULL);
    /* a Neware file read as Arbin by name: clear error, not garbage */
    struct cp_table *cycles = cp_table_new("cycles");
    struct cp_reader_out out = {.cycles = cycles, .cell_id = "x"};
    struct cp_error err = {0};
    int rc = cp_reader_find("arbin")->read(DATA "neware_flat.csv", &out, &err);
    CHECK_INT(rc, -CP_EDATA);
    CHECK(strstr(err.msg, "no arbin header") != NULL);
    cp_table_free(cycles);
}

int main(void)
{
    cp_strbuf_init(&sb);
    RUN(maccor_comma_minutes_milli_state);
    RUN(arbin_bom_units_clock_reset);
    RUN(biologic_latin1_comma_header_block);
    RUN(neware_flat);
    RUN(neware_hierarchical);
    RUN(bad_inputs);
    RUN(format_override_by_name);
    cp_strbuf_release(&sb);
    return DONE();
}
