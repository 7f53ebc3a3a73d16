/* The early-life feature catalogue against values derived by hand from its definitions
 * (docs/ml.md), and the reasons a cell is left out. */
#include <math.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/dataset.h"
#include "cellpipe/error.h"
#include "cellpipe/ml.h"
#include "cellpipe/table.h"
#include "harness.h"

/* Capacity rises to a peak at cycle 20 then fades: Q(k) = 1.1 - 1e-5 (k - 20)^2. */
static double q_of(long k)
{
    return 1.1 - 1e-5 * (double)((k - 20) * (k - 20));
}

static void add(struct cp_table *t, const char *id, long k, double qd, double ce, double temp,
                double ir)
{
    long r = cp_table_add_row(t);
    cp_table_set_str(t, cp_table_find(t, "cell_id"), (size_t)r, id);
    cp_table_set_i64(t, cp_table_find(t, "cycle_index"), (size_t)r, k);
    cp_table_set_f64(t, cp_table_find(t, "discharge_capacity_ah"), (size_t)r, qd);
    cp_table_set_f64(t, cp_table_find(t, "charge_capacity_ah"), (size_t)r, qd / ce);
    cp_table_set_f64(t, cp_table_find(t, "temperature_avg_c"), (size_t)r, temp);
    cp_table_set_f64(t, cp_table_find(t, "internal_resistance_ohm"), (size_t)r, ir);
}

static struct cp_table *lab(int with_ir_temp)
{
    struct cp_table *t = cp_table_new("cycles");
    cp_add_canonical_columns(t, cp_cycles_columns);
    for (long k = 1; k <= 120; k++) {
        double ce = k == 50 ? 0.99 : 0.999, temp = k == 1 ? 40 : 30, ir = 0.02 + 1e-5 * k;
        if (!with_ir_temp)
            temp = ir = NAN;
        add(t, "a", k, q_of(k), ce, temp, ir);
        if (k <= 57)
            add(t, "b", k, q_of(k), ce, temp, ir);
        if (k <= 100)
            add(t, "c", k, k == 2 ? NAN : q_of(k), ce, temp, ir);
        if (k <= 100)
            add(t, "d", k, q_of(k), ce, temp, NAN);
    }
    cp_table_sort(t, "cell_id", "cycle_index");
    cp_table_group(t, "cell_id");
    return t;
}

static double feature(const struct cp_ml_features *f, size_t cell, const char *name)
{
    for (size_t j = 0; j < f->p; j++)
        if (strcmp(f->names[j], name) == 0)
            return f->X[cell * f->p + j];
    return -999;
}

TEST(catalogue_values)
{
    struct cp_table *t = lab(1);
    struct cp_ml_features f;
    struct cp_error err = {0};
    CHECK_INT(cp_ml_features_compute(t, NULL, &f, &err), 0);
    CHECK_INT(f.ncells, 4);
    CHECK_INT(f.p, 10);
    CHECK_STR(f.cell_id[0], "a");
    CHECK(f.left_out[0] == NULL);
    CHECK_NEAR(feature(&f, 0, "qd_2"), 1.1 - 1e-5 * 324, 1e-15);
    CHECK_NEAR(feature(&f, 0, "qd_max_minus_qd_2"), 1e-5 * 324, 1e-15);
    /* a line through x^2 at 10 equally spaced points: slope 2 mean(x); with u = k - 95.5,
     * (k - 20)^2 = u^2 + 151 u + 5700.25 and mean(u^2) = 8.25 */
    CHECK_NEAR(feature(&f, 0, "qd_slope_last10"), -2e-5 * 75.5, 1e-13);
    CHECK_NEAR(feature(&f, 0, "qd_intercept_last10"), 1.1 - 1e-5 * (5708.5 - 151 * 95.5), 1e-11);
    /* the line at k = 100 (u = 4.5): 8.25 + 151 * 4.5 + 5700.25 = 6388 */
    CHECK_NEAR(feature(&f, 0, "qd_fade_rel"), 1 - (1.1 - 1e-5 * 6388) / (1.1 - 1e-5 * 324), 1e-12);
    double mean = (98 * 0.999 + 0.99) / 99;
    double ss = 98 * (0.999 - mean) * (0.999 - mean) + (0.99 - mean) * (0.99 - mean);
    CHECK_NEAR(feature(&f, 0, "ce_mean"), mean, 1e-14);
    CHECK_NEAR(feature(&f, 0, "ce_sd"), sqrt(ss / 98), 1e-14);
    CHECK_NEAR(feature(&f, 0, "temperature_mean_c"), 30.1, 1e-12);
    CHECK_NEAR(feature(&f, 0, "ir_2"), 0.02002, 1e-15);
    CHECK_NEAR(feature(&f, 0, "ir_change"), 98e-5, 1e-15);
    CHECK_STR(f.left_out[1], "only 57 of the 100 early cycles");
    CHECK_STR(f.left_out[2], "no discharge capacity at cycle 2");
    CHECK_STR(f.left_out[3], "no internal resistance at cycle 2");
    CHECK_INT(f.nused, 1);
    cp_ml_features_release(&f);
    cp_ml_features_release(&f);
    cp_table_free(t);
}

TEST(absent_columns_leave_the_catalogue)
{
    struct cp_table *t = lab(0);
    struct cp_ml_features f;
    struct cp_error err = {0};
    struct cp_ml_features_config c = {.early_cycles = 50};
    CHECK_INT(cp_ml_features_compute(t, &c, &f, &err), 0);
    CHECK_INT(f.p, 7); /* no temperature, no resistance anywhere */
    CHECK_STR(f.names[f.p - 1], "ce_sd");
    CHECK(f.left_out[0] == NULL && f.left_out[1] == NULL && f.left_out[3] == NULL);
    CHECK_INT(f.nused, 3);
    CHECK_NEAR(feature(&f, 1, "qd_slope_last10"), -2e-5 * (45.5 - 20), 1e-13);
    cp_ml_features_release(&f);
    c.early_cycles = 5;
    CHECK(cp_ml_features_compute(t, &c, &f, &err) == -CP_EUSAGE);
    cp_table_free(t);
}

/* Every allocation of the computation fails in turn: a clean error, nothing leaked (valgrind). */
TEST(torture)
{
    struct cp_table *t = lab(1);
    int bad = 0, ok = 0;
    for (long k = 1; k < 40; k++) {
        struct cp_ml_features f;
        struct cp_error err = {0};
        cp_alloc_fail_at(cp_alloc_count() + k);
        int rc = cp_ml_features_compute(t, NULL, &f, &err);
        cp_alloc_fail_at(0);
        bad += rc != 0 && rc != -CP_EINTERNAL;
        ok += rc == 0;
        if (rc == 0)
            cp_ml_features_release(&f);
    }
    CHECK_INT(bad, 0);
    CHECK(ok > 0); /* the loop reached past the last allocation */
    cp_table_free(t);
}

int main(void)
{
    RUN(catalogue_values);
    RUN(torture);
    RUN(absent_columns_leave_the_catalogue);
    return DONE();
}
