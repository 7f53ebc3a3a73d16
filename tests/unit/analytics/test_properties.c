/*
 * Properties the analytics must keep on records with the quirks real labs have (issue: real
 * cells): capacity exactly at the threshold, recoveries after check-ups, smooth coarsely
 * quantised records, a single-point outlier, formation cycles, and the sample lab with
 * quantised capacity and with no cell finished. Records are built here; the pipeline's
 * validate, features and models stages run on them with the default configuration.
 */
#include <stdlib.h>

#include "harness.h"
#include "sample_cut.h"
#include "tbsi.h"
#include "cellpipe/log.h"
#include "cellpipe/sample.h"

static struct cp_config cfg;

/* One cell named "X" with capacities q[0..n) for cycles 1..n. */
static int one_cell(const double *q, long n, struct cp_run *run)
{
    struct tbsi_fleet f;
    memset(&f, 0, sizeof f);
    f.n = 1;
    snprintf(f.cell[0].id, sizeof f.cell[0].id, "X");
    f.cell[0].q = (double *)q;
    f.cell[0].ncycles = n;
    return tbsi_run(&cfg, &f, NULL, run);
}

static long anomalies(const struct cp_run *run)
{
    const double *a = cp_table_f64(run->data.cycles, "anomaly");
    long k = 0;
    for (size_t i = 0; a && i < run->data.cycles->nrows; i++)
        k += a[i] > 0;
    return k;
}

static double round_sig(double x, int digits)
{
    if (x == 0 || !isfinite(x))
        return x;
    double scale = pow(10, digits - 1 - (int)floor(log10(fabs(x))));
    return round(x * scale) / scale;
}

/* 0.88 Ah of 1.1 Ah is exactly 80 %: not below it (0.88 / 1.1 = 0.7999999999999999). */
TEST(capacity_at_threshold_is_not_below)
{
    double q[80];
    for (int i = 0; i < 80; i++)
        q[i] = i < 3    ? 1.1
               : i < 50 ? round_sig(1.1 - 0.2 * (i - 2) / 47.0, 4)
               : i < 60 ? 0.88
                        : 0.87;
    struct cp_run run;
    CHECK_INT(one_cell(q, 80, &run), 0);
    CHECK_INT(run.results[0].eol_observed, 61);
    CHECK_INT(run.results[0].cycles_to_80, 61);
    tbsi_run_release(&run);
}

/* A dip below 80 % that a check-up lifts back above is not end of life, in any column. */
TEST(recovery_is_not_end_of_life)
{
    double q[120];
    for (int i = 0; i < 120; i++) {
        double base = 1.0 - 0.3 * i / 119.0; /* crosses 0.8 near cycle 80 */
        q[i] = base + (i >= 60 && i < 66 ? -0.06 : 0) + (i >= 66 && i < 75 ? 0.02 : 0);
    }
    struct cp_run run;
    CHECK_INT(one_cell(q, 120, &run), 0);
    const struct cp_cell_result *r = &run.results[0];
    double ref = r->reference_ah; /* median of cycles 1-3 */
    CHECK_NEAR(ref, q[1], 0);
    long first_final = -1; /* first cycle of the final run below 0.8 of it */
    for (int i = 119; i >= 0 && q[i] < 0.8 * ref; i--)
        first_final = i + 1;
    CHECK_INT(r->eol_observed, first_final);
    CHECK_INT(r->cycles_to_80, r->eol_observed);
    CHECK(r->eol_observed > 75);
    tbsi_run_release(&run);
}

/* A smooth record quantised to 4 significant digits: no anomaly anywhere (ends included),
 * nothing quarantined; the same record with one reading at 0.6 % of capacity: that row and
 * only that row is quarantined (the outlier rule's scale has a floor, it does not switch
 * itself off on a MAD of 0). */
TEST(smooth_quantised_record_and_one_outlier)
{
    double q[400];
    for (int i = 0; i < 400; i++)
        q[i] = round_sig(1.08 * (1.0 - 0.012 * sqrt(i + 1.0)), 4);
    struct cp_run run;
    CHECK_INT(one_cell(q, 400, &run), 0);
    CHECK_INT(anomalies(&run), 0);
    CHECK_INT(run.validation.rows_quarantined, 0);
    CHECK_INT(run.results[0].nattention, 0);
    tbsi_run_release(&run);
    q[200] = 0.006 * 1.08;
    CHECK_INT(one_cell(q, 400, &run), 0);
    CHECK_INT(run.validation.rows_quarantined, 1);
    CHECK_INT(run.quarantine ? (long)run.quarantine->nrows : -1, 1);
    CHECK_INT(anomalies(&run), 0);
    tbsi_run_release(&run);
}

/* Two formation cycles 7 % low: validation sets exactly those two aside (an end of the record
 * is judged against its local trend like the middle), the reference then comes from cycles
 * 3-5 and the cell says so, and no later cycle is anomalous. */
TEST(formation_cycles)
{
    double q[300];
    for (int i = 0; i < 300; i++)
        q[i] = round_sig((i < 2 ? 0.93 : 1.0) * 1.05 * (1.0 - 0.0004 * i), 4);
    struct cp_run run;
    CHECK_INT(one_cell(q, 300, &run), 0);
    const double *a = cp_table_f64(run.data.cycles, "anomaly");
    long later = 0;
    for (size_t i = 2; a && i < run.data.cycles->nrows; i++)
        later += a[i] > 0;
    CHECK_INT(later, 0);
    CHECK_INT(run.validation.rows_quarantined, 2);
    int64_t *qc = run.quarantine ? cp_table_i64(run.quarantine, "cycle_index") : NULL;
    CHECK(qc && qc[0] == 1 && qc[1] == 2);
    CHECK_NEAR(run.results[0].reference_ah, q[3], 0);
    CHECK(tbsi_has_flag(&run.results[0], "reference_quarantined"));
    tbsi_run_release(&run);
}

/* The sample lab, as generated and with capacity quantised to 4 significant digits: no
 * anomaly on the first 2 or last 3 cycles of any cell (its injected faults are inside the
 * records), and quantisation quarantines nothing more. */
TEST(sample_lab_ends_and_quantisation)
{
    long quarantined[2] = {0, 0};
    for (int quant = 0; quant < 2; quant++) {
        struct cp_run run;
        CHECK_INT(sample_run(&cfg, 24, 0, quant ? 4 : 0, &run), 0);
        const double *a = cp_table_f64(run.data.cycles, "anomaly");
        const struct cp_table *cy = run.data.cycles;
        long at_ends = 0;
        for (size_t g = 0; a && g < cy->ngroups; g++) {
            size_t s = cy->group_start[g], e = cy->group_start[g + 1];
            for (size_t i = s; i < e; i++)
                at_ends += a[i] > 0 && (i < s + 2 || i + 3 >= e);
        }
        CHECK_INT(at_ends, 0);
        quarantined[quant] = run.validation.rows_quarantined;
        tbsi_run_release(&run);
    }
    CHECK(quarantined[1] <= quarantined[0]);
}

/* No cell finished (every cell cut at 60 % of its true life): every forecast of a live cell
 * comes after its last cycle, and no interval is given that nothing calibrated. */
TEST(sample_lab_no_cell_finished)
{
    struct cp_run run;
    CHECK_INT(sample_run(&cfg, 24, 0.6, 0, &run), 0);
    long live = 0, after = 0, withheld = 0;
    for (size_t i = 0; i < run.nresults; i++) {
        const struct cp_cell_result *r = &run.results[i];
        if (r->eol_observed >= 0 || !isfinite(r->eol_forecast))
            continue;
        live++;
        after += r->eol_forecast > (double)r->last_cycle;
        withheld += isnan(r->eol_lo) && isnan(r->eol_hi) && tbsi_has_flag(r, "uncalibrated");
    }
    CHECK(live > 10);
    CHECK_INT(after, live);
    CHECK_INT(withheld, live);
    tbsi_run_release(&run);
}

int main(void)
{
    struct cp_error err = {0};
    cp_log_setup(CP_LOG_ERROR, 0);
    if (cp_config_load_buffer(&cfg, "test_properties.yaml", "name: test-properties\n", 22, &err) !=
        0)
        return 1;
    RUN(capacity_at_threshold_is_not_below);
    RUN(recovery_is_not_end_of_life);
    RUN(smooth_quantised_record_and_one_outlier);
    RUN(formation_cycles);
    RUN(sample_lab_ends_and_quantisation);
    RUN(sample_lab_no_cell_finished);
    cp_config_release(&cfg);
    return DONE();
}
