/*
 * `cellpipe inspect` as a user runs it: JSON parsed with jansson, exit codes, and the files
 * source loading a folder of real exports (metadata merged into one cell row per cell).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cellpipe/alloc.h"
#include "cellpipe/config.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/source.h"
#include "harness.h"

static const char *cellpipe(void)
{
    const char *c = getenv("CELLPIPE");
    return c ? c : "build/cellpipe";
}

/* Run `cellpipe inspect args`; stdout into out (cp_free), exit status returned. */
static int run_inspect(const char *args, char **out)
{
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "%s inspect %s 2>/dev/null", cellpipe(), args);
    FILE *p = popen(cmd, "r");
    struct cp_strbuf sb = CP_STRBUF_INIT;
    char buf[4096];
    size_t n;
    while (p && (n = fread(buf, 1, sizeof(buf), p)) > 0)
        cp_strbuf_add(&sb, buf, n);
    int st = p ? pclose(p) : -1;
    *out = cp_strbuf_detach(&sb);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(inspect_json_quirk_file)
{
    char *out;
    int rc = run_inspect("--json tests/data/readers/maccor_decimal_comma_minutes_milli.txt", &out);
    CHECK_INT(rc, 0);
    json_error_t e;
    json_t *all = json_loads(out, 0, &e);
    CHECK(json_is_array(all) && json_array_size(all) == 1);
    json_t *o = json_array_get(all, 0);
    CHECK_STR(json_string_value(json_object_get(o, "format")), "maccor");
    CHECK_INT(json_integer_value(json_object_get(o, "rows")), 7);
    CHECK_INT(json_integer_value(json_object_get(o, "cycles")), 2);
    CHECK_INT(json_integer_value(json_object_get(o, "first_cycle")), 1);
    json_t *cols = json_object_get(o, "columns");
    int found = 0;
    for (size_t i = 0; i < json_array_size(cols); i++) {
        json_t *c = json_array_get(cols, i);
        if (strcmp(json_string_value(json_object_get(c, "column")), "Test (Min)") == 0) {
            CHECK_STR(json_string_value(json_object_get(c, "maps_to")), "test_time_s");
            CHECK_NEAR(json_real_value(json_object_get(c, "factor")), 60, 0);
            found = 1;
        }
    }
    CHECK(found);
    CHECK_STR(json_string_value(json_object_get(json_object_get(o, "metadata"), "barcode")),
              "QK-1");
    json_decref(all);
    cp_free(out);
}

TEST(inspect_exit_codes)
{
    char *out;
    CHECK_INT(run_inspect("tests/data/readers/truncated_arbin.csv", &out), 65);
    CHECK(strstr(out, "truncated row") != NULL);
    cp_free(out);
    /* every file is inspected; the first failure's code wins */
    CHECK_INT(
        run_inspect("tests/data/readers/no_such.csv tests/data/readers/neware_flat.csv", &out), 66);
    CHECK(strstr(out, "format: neware") != NULL);
    cp_free(out);
    CHECK_INT(run_inspect("--formats", &out), 0);
    CHECK(strstr(out, "novonix") && strstr(out, "batterydatahub"));
    cp_free(out);
    CHECK_INT(run_inspect("", &out), 64);
    cp_free(out);
}

/* The column of `maps_to` in one inspected file's JSON, or NULL. */
static json_t *column_to(json_t *o, const char *maps_to)
{
    json_t *cols = json_object_get(o, "columns");
    for (size_t i = 0; i < json_array_size(cols); i++) {
        json_t *c = json_array_get(cols, i);
        if (strcmp(json_string_value(json_object_get(c, "maps_to")), maps_to) == 0)
            return c;
    }
    return NULL;
}

/* The dialect recognised and the conversions applied from what the values showed. */
TEST(inspect_dialect_and_conversions)
{
    char *out;
    int rc = run_inspect("--json tests/data/readers/plausible_millivolts_in_volts.csv "
                         "tests/data/readers/plausible_counter_vs_current.csv",
                         &out);
    CHECK_INT(rc, 0);
    json_error_t e;
    json_t *all = json_loads(out, 0, &e);
    CHECK(json_is_array(all) && json_array_size(all) == 2);
    json_t *o = json_array_get(all, 0);
    CHECK(strstr(json_string_value(json_object_get(o, "dialect")), "old style") != NULL);
    json_t *v = column_to(o, "voltage_v");
    CHECK(v != NULL);
    CHECK_NEAR(json_real_value(json_object_get(v, "factor")), 1e-3, 0);
    CHECK(strstr(json_string_value(json_object_get(v, "note")), "mV") != NULL);
    json_t *q = column_to(o, "charge_capacity_ah");
    CHECK(q && strstr(json_string_value(json_object_get(q, "note")), "summed") != NULL);
    CHECK_INT(json_integer_value(json_object_get(o, "implausible_cycles")), 0);
    CHECK_INT(json_integer_value(json_object_get(json_array_get(all, 1), "implausible_cycles")), 2);
    json_decref(all);
    cp_free(out);
    /* text: the refused file names line and check */
    CHECK_INT(run_inspect("tests/data/readers/plausible_voltage_range.csv", &out), 65);
    CHECK(strstr(out, ":32: check voltage_range") != NULL);
    cp_free(out);
}

/* --formats lists each reader's dialects under it. */
TEST(inspect_formats_dialects)
{
    char *out;
    CHECK_INT(run_inspect("--formats", &out), 0);
    const char *arbin = strstr(out, "\narbin ");
    const char *next = arbin ? strstr(arbin + 1, "\nmaccor") : NULL;
    const char *d = arbin ? strstr(arbin, "dialect: new style") : NULL;
    CHECK(arbin && d && (!next || d < next));
    CHECK(strstr(out, "dialect: HPC, every line quoted") != NULL);
    cp_free(out);
}

TEST(files_source_folder)
{
    const char *root = getenv("CELLPIPE_REAL_DATA");
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/beep/arbin", root ? root : "../shared/data");
    if (!cp_fs_is_dir(dir)) {
        SKIP("files_source_folder", "no real data");
        return;
    }
    char yaml[700];
    snprintf(yaml, sizeof(yaml), "source:\n  kind: files\n  paths: [%s]\n", dir);
    struct cp_config cfg;
    struct cp_error err = {0};
    CHECK_INT(cp_config_load_buffer(&cfg, "t.yaml", yaml, strlen(yaml), &err), 0);
    struct cp_dataset ds;
    cp_dataset_init(&ds, &err);
    CHECK_INT(cp_source_find(CP_SOURCE_FILES)->load(&cfg, &ds, &err), 0);
    CHECK_STR(err.msg, "");
    CHECK_INT(ds.ninputs, 4); /* two exports and their metadata files */
    CHECK_INT(ds.cells->nrows, 2);
    CHECK_INT(ds.cycles->nrows, 2);
    int b = cp_table_find(ds.cells, "barcode");
    CHECK(b >= 0);
    int with_barcode = 0;
    for (size_t r = 0; b >= 0 && r < ds.cells->nrows; r++)
        with_barcode += !cp_table_is_na(ds.cells, b, r);
    CHECK_INT(with_barcode, 2);
    cp_dataset_release(&ds);
    cp_config_release(&cfg);
}

int main(void)
{
    RUN(inspect_json_quirk_file);
    RUN(inspect_exit_codes);
    RUN(inspect_dialect_and_conversions);
    RUN(inspect_formats_dialects);
    RUN(files_source_folder);
    return DONE();
}
