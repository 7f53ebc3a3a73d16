/* Features against values computed by hand from DESIGN.md's definitions. */
#include <math.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/stages.h"
#include "cellpipe/config.h"
#include "cellpipe/error.h"
#include "cellpipe/features.h"
#include "cellpipe/run.h"
#include "harness.h"

static void add_cycle(struct cp_table *t, long n, double qd, double qc, double temp, int64_t when)
{
    long r = cp_table_add_row(t);
    cp_table_set_str(t, cp_table_find(t, "cell_id"), (size_t)r, "c1");
    cp_table_set_i64(t, cp_table_find(t, "cycle_index"), (size_t)r, n);
    cp_table_set_f64(t, cp_table_find(t, "discharge_capacity_ah"), (size_t)r, qd);
    cp_table_set_f64(t, cp_table_find(t, "charge_capacity_ah"), (size_t)r, qc);
    cp_table_set_f64(t, cp_table_find(t, "discharge_energy_wh"), (size_t)r, qd * 3.0);
    cp_table_set_f64(t, cp_table_find(t, "charge_energy_wh"), (size_t)r, qc * 3.5);
    cp_table_set_f64(t, cp_table_find(t, "temperature_avg_c"), (size_t)r, temp);
    cp_table_set_i64(t, cp_table_find(t, "start_time"), (size_t)r, when);
}

static void setup(struct cp_run *run, struct cp_config *cfg, const double *qd, size_t n)
{
    struct cp_error err = {0};
    const char *yaml = "features:\n  windows: [2]\n  fade_window: 3\n  persist_cycles: 2\n";
    cp_config_load_buffer(cfg, "t.yaml", yaml, strlen(yaml), &err);
    memset(run, 0, sizeof(*run));
    run->cfg = cfg;
    cp_dataset_init(&run->data, &err);
    long r = cp_table_add_row(run->data.cells);
    cp_table_set_str(run->data.cells, 0, (size_t)r, "c1");
    cp_table_set_f64(run->data.cells, cp_table_find(run->data.cells, "nominal_capacity_ah"),
                     (size_t)r, 2.0);
    cp_table_set_i64(run->data.cells, cp_table_find(run->data.cells, "start_date"), (size_t)r,
                     1700000000);
    const double qc[] = {2.02, 2.0, 2.1, 1.85, 1.75, 1.6, 1.6, 1.6, 1.6, 1.6};
    for (size_t i = 0; i < n; i++)
        add_cycle(run->data.cycles, (long)i + 1, qd[i], qc[i], 35.0,
                  1700000000 + 86400 * (int64_t)i);
    cp_table_group(run->data.cycles, "cell_id");
}

static void teardown(struct cp_run *run, struct cp_config *cfg)
{
    cp_dataset_release(&run->data);
    cp_free(run->results);
    cp_config_release(cfg);
}

TEST(per_cycle_features)
{
    const double qd[] = {2.0, 1.9, 2.1, 1.8, 1.7, 1.6};
    struct cp_run run;
    struct cp_config cfg;
    struct cp_error err = {0};
    setup(&run, &cfg, qd, 6);
    CHECK(cp_stage_features(&run, &err) == 0);
    const struct cp_table *t = run.data.cycles;
    double *ret = cp_table_f64(t, "capacity_retention");
    CHECK_NEAR(ret[2], 2.1 / 2.0, 1e-15); /* reference = median(2.0, 1.9, 2.1) */
    CHECK_NEAR(cp_table_f64(t, "coulombic_efficiency")[0], 2.0 / 2.02, 1e-15);
    CHECK_NEAR(cp_table_f64(t, "energy_efficiency")[0], (2.0 * 3.0) / (2.02 * 3.5), 1e-15);
    CHECK_NEAR(cp_table_f64(t, "temperature_compensated_capacity")[0], 2.0 / 1.05, 1e-15);
    CHECK_NEAR(cp_table_f64(t, "retention_mean_2")[1], (1.0 + 0.95) / 2, 1e-15);
    CHECK_NEAR(cp_table_f64(t, "retention_std_2")[1], 0.05 / sqrt(2.0), 1e-12);
    CHECK(isnan(cp_table_f64(t, "retention_std_2")[0]));    /* one value: no deviation */
    CHECK_NEAR(cp_table_f64(t, "fade_rate")[5], 5.0, 1e-9); /* 0.9, 0.85, 0.8: -0.05/cycle */
    CHECK_NEAR(cp_table_f64(t, "cycle_fraction")[2], 0.5, 0);
    CHECK_NEAR(cp_table_f64(t, "days_since_start")[4], 4.0, 0);
    CHECK_NEAR(cp_table_f64(t, "equivalent_full_cycles")[5], 11.1 / 2.0, 1e-12);
    const struct cp_cell_result *r = &run.results[0];
    CHECK_NEAR(r->reference_ah, 2.0, 0);
    CHECK_INT(r->cycles_to_90, 5);
    CHECK_INT(r->cycles_to_80, -1); /* 0.8 is not below 0.8 */
    CHECK_NEAR(r->last_retention, 0.8, 1e-15);
    CHECK_NEAR(r->ce_mean, (2.0 / 2.02 + 1.9 / 2.0 + 1.0 + 1.8 / 1.85 + 1.7 / 1.75 + 1.0) / 6,
               1e-12);
    CHECK_NEAR(r->fade_rate, 5.0, 1e-9);
    CHECK_INT(r->first_cycle, 1);
    CHECK_INT(r->last_cycle, 6);
    teardown(&run, &cfg);
}

TEST(dip_is_not_a_crossing)
{
    /* retention 1, 1, 1, .79 (a one-cycle dip), .9, .85, .78, .77, .76 */
    const double qd[] = {2.0, 2.0, 2.0, 1.58, 1.8, 1.7, 1.56, 1.54, 1.52};
    struct cp_run run;
    struct cp_config cfg;
    struct cp_error err = {0};
    setup(&run, &cfg, qd, 9);
    CHECK(cp_stage_features(&run, &err) == 0);
    CHECK_NEAR(run.results[0].reference_ah, 2.0, 0);
    CHECK_INT(run.results[0].cycles_to_90, 6); /* .85 then .78, .77: persists 2 cycles */
    CHECK_INT(run.results[0].cycles_to_80, 7); /* the dip at cycle 4 came back to .9 */
    teardown(&run, &cfg);
}

TEST(median)
{
    const double v[] = {3, NAN, 1, 2, 10};
    CHECK_NEAR(cp_median(v, 5), 2.5, 0);
    CHECK_NEAR(cp_median(v, 3), 2, 0);
    CHECK(isnan(cp_median(v + 1, 1)));
}

int main(void)
{
    RUN(per_cycle_features);
    RUN(dip_is_not_a_crossing);
    RUN(median);
    return DONE();
}
