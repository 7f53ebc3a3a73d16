/* The sample lab (determinism, injected faults, truth) and the files source (Battery Archive
 * files: the lab written and read back, and the real file from ../shared/data). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cellpipe/alloc.h"
#include "cellpipe/config.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/hash.h"
#include "cellpipe/sample.h"
#include "cellpipe/source.h"
#include "harness.h"

static char *write_lab(long seed, const char *tag)
{
    struct cp_sample_params p = {seed, 12, 400, 1.0};
    struct cp_dataset ds;
    struct cp_error err = {0};
    struct cp_table *truth = cp_table_new("truth");
    char *dir = cp_malloc(64);
    snprintf(dir, 64, "/tmp/cp_sample_%s_%ld", tag, (long)getpid());
    cp_dataset_init(&ds, &err);
    CHECK(cp_sample_generate(&p, &ds, truth, &err) == 0);
    CHECK(cp_sample_write(&ds, truth, dir, &err) == 0);
    cp_dataset_release(&ds);
    cp_table_free(truth);
    return dir;
}

static void file_hash(const char *dir, const char *name, char hex[65])
{
    char *p = cp_path_join(dir, name);
    if (cp_sha256_file(p, hex, NULL) < 0)
        hex[0] = '\0';
    cp_free(p);
}

TEST(same_seed_same_bytes)
{
    char *a = write_lab(7, "a"), *b = write_lab(7, "b"), *c = write_lab(8, "c");
    const char *files[] = {"cells.csv", "truth.csv", "cell-0001_cycle_data.csv",
                           "cell-0012_cycle_data.csv"};
    for (size_t i = 0; i < 4; i++) {
        char ha[65], hb[65], hc[65];
        file_hash(a, files[i], ha);
        file_hash(b, files[i], hb);
        file_hash(c, files[i], hc);
        CHECK(ha[0] != '\0');
        CHECK_STR(ha, hb);
        if (i >= 1)
            CHECK(strcmp(ha, hc) != 0);
    }
    cp_fs_rmtree(a);
    cp_fs_rmtree(b);
    cp_fs_rmtree(c);
    cp_free(a);
    cp_free(b);
    cp_free(c);
}

static long count_cell(const struct cp_table *t, const char *id)
{
    char **ids = cp_table_str(t, "cell_id");
    long n = 0;
    for (size_t i = 0; i < t->nrows; i++)
        n += strcmp(ids[i], id) == 0;
    return n;
}

TEST(faults_and_truth)
{
    struct cp_sample_params p = {42, 24, 1000, 1.0};
    struct cp_dataset ds;
    struct cp_error err = {0};
    struct cp_table *truth = cp_table_new("truth");
    cp_dataset_init(&ds, &err);
    CHECK(cp_sample_generate(&p, &ds, truth, &err) == 0);
    struct cp_table *cy = ds.cycles;
    char **id = cp_table_str(cy, "cell_id");
    int64_t *n = cp_table_i64(cy, "cycle_index");
    double *q = cp_table_f64(cy, "discharge_capacity_ah");
    int nan_seen = 0, dup_seen = 0, gap_seen = 0;
    for (size_t i = 1; i < cy->nrows; i++) {
        int same = strcmp(id[i], id[i - 1]) == 0;
        nan_seen += isnan(q[i]) && strcmp(id[i], "cell-0005") == 0;
        dup_seen += same && n[i] == n[i - 1] && strcmp(id[i], "cell-0004") == 0;
        gap_seen += same && n[i] == n[i - 1] + 2 && strcmp(id[i], "cell-0003") == 0;
    }
    CHECK_INT(nan_seen, 1);
    CHECK_INT(dup_seen, 1);
    CHECK_INT(gap_seen, 1);
    /* truth: observed cycles match, and at least a third of cells have a knee before EOL */
    int64_t *obs = cp_table_i64(truth, "observed_cycles");
    int64_t *eol = cp_table_i64(truth, "eol_cycle");
    int64_t *knee = cp_table_i64(truth, "knee_cycle");
    char **tid = cp_table_str(truth, "cell_id");
    long knees = 0;
    for (size_t i = 0; i < truth->nrows; i++) {
        knees += knee[i] != CP_I64_NA && eol[i] != CP_I64_NA && knee[i] < eol[i];
        long expect =
            (long)obs[i] + (strcmp(tid[i], "cell-0004") == 0) - (strcmp(tid[i], "cell-0003") == 0);
        CHECK_INT(count_cell(cy, tid[i]), expect);
        CHECK(eol[i] != CP_I64_NA);
    }
    CHECK(knees * 3 >= (long)truth->nrows);
    cp_dataset_release(&ds);
    cp_table_free(truth);
}

TEST(lab_roundtrip_through_files)
{
    char *dir = write_lab(3, "rt");
    char yaml[256];
    snprintf(yaml, sizeof(yaml), "source:\n  kind: files\n  paths: [%s]\n", dir);
    struct cp_config cfg;
    struct cp_error err = {0};
    CHECK(cp_config_load_buffer(&cfg, "t.yaml", yaml, strlen(yaml), &err) == 0);
    struct cp_dataset got, want;
    cp_dataset_init(&got, &err);
    cp_dataset_init(&want, &err);
    CHECK(cp_source_find(CP_SOURCE_FILES)->load(&cfg, &got, &err) == 0);
    CHECK_STR(err.msg, "");
    struct cp_sample_params p = {3, 12, 400, 1.0};
    cp_sample_generate(&p, &want, NULL, &err);
    cp_table_sort(got.cycles, "cell_id", "cycle_index");
    cp_table_sort(want.cycles, "cell_id", "cycle_index");
    CHECK_INT(got.cycles->nrows, want.cycles->nrows);
    CHECK_INT(got.cells->nrows, 12);
    CHECK_INT(got.ninputs, 13); /* cells.csv + 12 cycle files (truth.csv skipped) */
    double *qa = cp_table_f64(got.cycles, "discharge_capacity_ah");
    double *qb = cp_table_f64(want.cycles, "discharge_capacity_ah");
    double *ta = cp_table_f64(got.cycles, "temperature_avg_c");
    double *tb = cp_table_f64(want.cycles, "temperature_avg_c");
    size_t same = 0;
    for (size_t i = 0; i < got.cycles->nrows && i < want.cycles->nrows; i++)
        same += (qa[i] == qb[i] || (isnan(qa[i]) && isnan(qb[i]))) && ta[i] == tb[i];
    CHECK_INT(same, want.cycles->nrows); /* doubles survive the CSV bit for bit */
    CHECK_STR(cp_table_str(got.cells, "design_name")[0], "LFP-18650-A");
    cp_dataset_release(&got);
    cp_dataset_release(&want);
    cp_config_release(&cfg);
    cp_fs_rmtree(dir);
    cp_free(dir);
}

TEST(real_battery_archive_file)
{
    const char *root = getenv("CELLPIPE_REAL_DATA");
    char path[512];
    snprintf(path, sizeof(path), "%s/battdat/batteryarchive", root ? root : "../shared/data");
    if (!cp_fs_is_dir(path)) {
        SKIP("real_battery_archive_file", "no real data");
        return;
    }
    char yaml[700];
    snprintf(yaml, sizeof(yaml), "source:\n  kind: files\n  paths: [%s]\n", path);
    struct cp_config cfg;
    struct cp_error err = {0};
    CHECK(cp_config_load_buffer(&cfg, "t.yaml", yaml, strlen(yaml), &err) == 0);
    struct cp_dataset ds;
    cp_dataset_init(&ds, &err);
    CHECK(cp_source_find(CP_SOURCE_FILES)->load(&cfg, &ds, &err) == 0);
    CHECK_STR(err.msg, "");
    /* values read off the file itself: 9 cycles, cycle 1 and cycle 2 rows; the folder's
     * _timeseries.csv adds no second set of cycles, its _cycle_data.csv being loaded too */
    CHECK_INT(ds.cycles->nrows, 9);
    CHECK_STR(cp_table_str(ds.cycles, "cell_id")[0], "CALCE_CX2-33_prism_LCO_25C_0-100_0.5-0.5C_d");
    CHECK_INT(cp_table_i64(ds.cycles, "cycle_index")[1], 2);
    CHECK_NEAR(cp_table_f64(ds.cycles, "discharge_capacity_ah")[0], 1.292, 0);
    CHECK_NEAR(cp_table_f64(ds.cycles, "charge_capacity_ah")[1], 1.291, 0);
    CHECK_NEAR(cp_table_f64(ds.cycles, "test_time_s")[0], 12923.434, 0);
    CHECK_NEAR(cp_table_f64(ds.cycles, "i_min")[0], -0.674, 0);
    CHECK_NEAR(cp_table_f64(ds.cycles, "discharge_energy_wh")[1], 4.781, 0);
    CHECK_INT(ds.cells->nrows, 1);
    cp_dataset_release(&ds);
    cp_config_release(&cfg);
}

int main(void)
{
    RUN(same_seed_same_bytes);
    RUN(faults_and_truth);
    RUN(lab_roundtrip_through_files);
    RUN(real_battery_archive_file);
    return DONE();
}
