/*
 * The analytics on a real fleet: 32 TBSI-Sunwoda cells (tests/unit/analytics/tbsi.h), every
 * one past 80 %, with check-up recoveries. Truth comes from the folder's SOURCE.md. Skipped by
 * name when the real data are absent.
 */
#include <math.h>
#include <stdlib.h>

#include "cellpipe/ml_run.h"
#include "harness.h"
#include "tbsi.h"
#include "cellpipe/alloc.h"
#include "cellpipe/log.h"
#include "cellpipe/ml.h"
#include "cellpipe/statistics.h"

static struct tbsi_fleet fleet;
static struct cp_config cfg;

/* Whole records: observed end of life is SOURCE.md's EOL80 for every cell (recoveries above
 * 80 % not counted), cycles_to_80 is the same number, the reference is the median of cycles
 * 1-3, and validation quarantines exactly three rows of the 37,368: single-cycle readings
 * checked by hand in the CSVs (B13T35 cycle 657 reads 0.9867 Ah between 0.9555 and 0.9590;
 * B27T55 cycle 695 reads 0.7429 between 0.7853 and 0.7649; B30T55 cycle 694 reads 0.7315
 * between 0.7727 and 0.7597), never the check-up recoveries (a step up that decays). */
TEST(observed_end_of_life_matches_source)
{
    struct cp_run run;
    CHECK_INT(tbsi_run(&cfg, &fleet, NULL, &run), 0);
    CHECK_INT(run.nresults, TBSI_CELLS);
    CHECK_INT(run.validation.rows_quarantined, 3);
    static const char *const want[3] = {"B13T35:657", "B27T55:695", "B30T55:694"};
    char **qid = run.quarantine ? cp_table_str(run.quarantine, "cell_id") : NULL;
    int64_t *qcyc = run.quarantine ? cp_table_i64(run.quarantine, "cycle_index") : NULL;
    for (size_t k = 0; qid && qcyc && k < run.quarantine->nrows && k < 3; k++) {
        char got[32];
        snprintf(got, sizeof got, "%s:%lld", qid[k], (long long)qcyc[k]);
        CHECK_STR(got, want[k]);
    }
    char **ids = cp_table_str(run.data.cells, "cell_id");
    long same = 0, same80 = 0, refs = 0;
    for (size_t k = 0; k < run.nresults; k++) {
        const struct cp_cell_result *r = &run.results[k];
        long i = tbsi_index(&fleet, ids[r->cells_row]);
        CHECK(i >= 0);
        if (i < 0)
            continue;
        const struct tbsi_cell *c = &fleet.cell[i];
        if (r->eol_observed != c->eol80)
            fprintf(stderr, "%s: eol_observed %ld, SOURCE.md %ld\n", c->id, r->eol_observed,
                    c->eol80);
        same += r->eol_observed == c->eol80;
        same80 += r->cycles_to_80 == r->eol_observed;
        double q[3] = {c->q[0], c->q[1], c->q[2]}, t;
        for (int a = 0; a < 2; a++) /* median of three by hand */
            for (int b = a + 1; b < 3; b++)
                if (q[b] < q[a])
                    t = q[a], q[a] = q[b], q[b] = t;
        refs += r->reference_ah == q[1];
    }
    CHECK_INT(same, TBSI_CELLS);
    CHECK_INT(same80, TBSI_CELLS);
    CHECK_INT(refs, TBSI_CELLS);
    tbsi_run_release(&run);
}

/* Half the fleet finished: from 60 % of life MAPE <= 5 % and coverage >= 90 % (the goals);
 * from 40 % and 80 % guards a little below the measured figures (make bench, bench_tbsi). */
TEST(forecast_half_finished)
{
    static const double frac[] = {0.4, 0.6, 0.8}, max_mape[] = {8, 5, 4},
                        min_cov[] = {0.85, 0.9, 0.9};
    for (int k = 0; k < 3; k++) {
        struct tbsi_score s;
        CHECK_INT(tbsi_score(&cfg, &fleet, TBSI_HALF, frac[k], &s), 0);
        CHECK_INT(s.n, TBSI_CELLS);
        T_REPORT(s.mape <= max_mape[k], "cut %.0f%%: MAPE %.2f %% > %.0f %%", 100 * frac[k], s.mape,
                 max_mape[k]);
        T_REPORT(s.coverage >= min_cov[k], "cut %.0f%%: coverage %.3f < %.2f", 100 * frac[k],
                 s.coverage, min_cov[k]);
        CHECK_INT(s.early, 0);
    }
}

/* Leave-one-out from 60 % of life: 31 finished siblings for each cell. */
TEST(forecast_leave_one_out)
{
    struct tbsi_score s;
    CHECK_INT(tbsi_score(&cfg, &fleet, TBSI_LOO, 0.6, &s), 0);
    CHECK_INT(s.n, TBSI_CELLS);
    T_REPORT(s.mape <= 5, "MAPE %.2f %% > 5 %%", s.mape);
    T_REPORT(s.coverage >= 0.9, "coverage %.3f < 0.9", s.coverage);
    CHECK_INT(s.early, 0);
}

/* No cell finished: nothing can calibrate an interval, so every one is withheld and flagged
 * `uncalibrated` (never a narrow interval that covers nothing), and no forecast precedes the
 * data it was made from. */
TEST(forecast_none_finished)
{
    static const double frac[] = {0.4, 0.6, 0.8};
    for (int k = 0; k < 3; k++) {
        struct tbsi_score s;
        CHECK_INT(tbsi_score(&cfg, &fleet, TBSI_NONE, frac[k], &s), 0);
        CHECK_INT(s.n, TBSI_CELLS);
        CHECK(s.withheld == s.n || s.coverage >= 0.8);
        CHECK_INT(s.uncalibrated_flags, s.withheld);
        CHECK_INT(s.early, 0);
    }
}

/* The fleet's run under a pipeline grouping the statistics by chamber temperature. */
static int stats_run(struct cp_config *scfg, struct cp_run *run, struct cp_error *err)
{
    static const char yaml[] = "name: tbsi-stats\nstatistics: {group_by: experiment_group}\n";
    if (cp_config_load_buffer(scfg, "tbsi-stats.yaml", yaml, sizeof yaml - 1, err) != 0)
        return -1;
    return tbsi_run(scfg, &fleet, NULL, run);
}

/* The statistics stage on the fleet grouped by chamber temperature (experiment_group T25..T55).
 * Every cell reached end of life, so each Kaplan-Meier median is the ceil(n/2)-th smallest
 * EOL80 of its group; by hand from SOURCE.md: T25 1011 (9 cells), T35 944 (9), T45 712 (7),
 * T55 533 (7). Lives fall with temperature: the log-rank test of the four groups and the
 * hottest-vs-coolest pair are significant, and the report says T25 lives longer than T55. */
TEST(statistics_by_temperature)
{
    struct cp_config scfg;
    struct cp_error err = {0};
    struct cp_run run;
    CHECK_INT(stats_run(&scfg, &run, &err), 0);
    CHECK_INT(cp_stage_statistics(&run, &err), 0);
    const struct cp_statistics *s = run.statistics;
    CHECK(s != NULL && s->ngroups == 4);
    static const char *const temp[4] = {"T25", "T35", "T45", "T55"};
    static const long by_hand[4] = {1011, 944, 712, 533};
    for (size_t g = 0; s && g < s->ngroups && g < 4; g++) {
        long eol[TBSI_CELLS], n = 0;
        for (size_t i = 0; i < fleet.n; i++)
            if (strcmp(strchr(fleet.cell[i].id, 'T'), temp[g]) == 0)
                eol[n++] = fleet.cell[i].eol80;
        for (long a = 0; a < n; a++) /* insertion sort of the group's EOL80 */
            for (long b = a; b > 0 && eol[b] < eol[b - 1]; b--) {
                long t = eol[b];
                eol[b] = eol[b - 1];
                eol[b - 1] = t;
            }
        CHECK_STR(s->groups[g].name, temp[g]);
        CHECK_INT(s->groups[g].km.events, (size_t)n);
        CHECK_NEAR(s->groups[g].km.median, (double)eol[(n + 1) / 2 - 1], 0);
        CHECK_NEAR(s->groups[g].km.median, (double)by_hand[g], 0);
    }
    CHECK(s && s->logrank.p < 1e-6);
    char **lines = NULL;
    size_t n = 0, hot = 0;
    CHECK_INT(s ? cp_statistics_findings(s, 0, &lines, &n) : -1, 0);
    for (size_t i = 0; i < n; i++)
        hot += strncmp(lines[i], "T25 lives longer than T55: median 1,011 vs 533 cycles", 53) == 0;
    CHECK_INT(hot, 1);
    cp_statistics_lines_free(lines, n);
    cp_run_statistics_release(&run);
    tbsi_run_release(&run);
    cp_config_release(&scfg);
}

/* Each allocation of the statistics stage failed in turn: out of memory, never a crash in
 * the cleanup (it once read the pair table whose calloc had just failed). */
TEST(statistics_out_of_memory)
{
    struct cp_config scfg;
    struct cp_error err = {0};
    struct cp_run run;
    CHECK_INT(stats_run(&scfg, &run, &err), 0);
    long before = cp_alloc_count();
    CHECK_INT(cp_stage_statistics(&run, &err), 0);
    long total = cp_alloc_count() - before;
    int bad = 0;
    for (long n = 1; n <= total; n++) {
        cp_error_clear(&err);
        cp_alloc_fail_at(n);
        int rc = cp_stage_statistics(&run, &err);
        cp_alloc_fail_at(0);
        bad += rc != 0 && rc != -CP_EINTERNAL;
    }
    T_REPORT(bad == 0, "%d of %ld failed allocations gave another error", bad, total);
    CHECK(total > 10);
    cp_run_statistics_release(&run);
    tbsi_run_release(&run);
    cp_config_release(&scfg);
}

/* The early-life features of the ML layer on the real cells, each recomputed here from the
 * cell's own CSV column (docs/ml.md): Q at cycle 2, max Q over cycles 1..100 minus it, and the
 * least-squares line through cycles 91..100 (its slope, its value at cycle 0). The files have
 * no charge capacity, temperature or resistance, so those features are not in the catalogue. */
TEST(early_life_features)
{
    struct cp_run run;
    struct cp_error err = {0};
    CHECK_INT(tbsi_run(&cfg, &fleet, NULL, &run), 0);
    struct cp_ml_features_config fc = {.early_cycles = 100};
    struct cp_ml_features f;
    CHECK_INT(cp_ml_features_compute(run.data.cycles, &fc, &f, &err), 0);
    CHECK_INT(f.p, 5);
    CHECK_INT(f.ncells, fleet.n);
    static const char *const names[5] = {"qd_2", "qd_max_minus_qd_2", "qd_slope_last10",
                                         "qd_intercept_last10", "qd_fade_rel"};
    for (size_t k = 0; k < 5 && k < f.p; k++)
        CHECK_STR(f.names[k], names[k]);
    size_t checked = 0;
    for (size_t c = 0; c < f.ncells && f.p == 5; c++) {
        long i = tbsi_index(&fleet, f.cell_id[c]);
        if (i < 0 || fleet.cell[i].ncycles < 100) {
            CHECK(i >= 0 && f.left_out[c] != NULL); /* fewer than N cycles */
            continue;
        }
        const double *q = fleet.cell[i].q;
        double qmax = q[0], sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (int k = 1; k < 100; k++)
            qmax = q[k] > qmax ? q[k] : qmax;
        for (int k = 91; k <= 100; k++) {
            sx += k;
            sy += q[k - 1];
            sxx += (double)k * k;
            sxy += k * q[k - 1];
        }
        double slope = (10 * sxy - sx * sy) / (10 * sxx - sx * sx);
        double intercept = (sy - slope * sx) / 10;
        const double *x = f.X + c * f.p;
        CHECK(f.left_out[c] == NULL);
        CHECK_NEAR(x[0], q[1], 1e-12);
        CHECK_NEAR(x[1], qmax - q[1], 1e-12);
        CHECK_NEAR(x[2], slope, 1e-9 * fabs(slope) + 1e-15);
        CHECK_NEAR(x[3], intercept, 1e-9 * fabs(intercept));
        CHECK_NEAR(x[4], 1 - (intercept + 100 * slope) / q[1], 1e-9);
        checked++;
    }
    CHECK_INT(checked, fleet.n); /* every cell ran past cycle 533 (SOURCE.md's shortest life) */
    cp_ml_features_release(&f);
    tbsi_run_release(&run);
}

/* The ml stage on the 32 real cells: every cell trains (all ran past their end of life and
 * cycle 100), its target is SOURCE.md's EOL80, and each prediction is the saved model applied
 * to the features recomputed here from the cell's own CSV column. */
TEST(ml_stage_on_real_cells)
{
    struct cp_config mcfg;
    struct cp_run run;
    struct cp_error err = {0};
    static const char yaml[] = "name: tbsi-ml\nmodels:\n  - name: life\n    algorithm: ridge\n"
                               "    features: [qd_2, qd_fade_rel]\n    folds: 4\n";
    CHECK_INT(cp_config_load_buffer(&mcfg, "tbsi-ml.yaml", yaml, sizeof yaml - 1, &err), 0);
    CHECK_INT(tbsi_run(&mcfg, &fleet, NULL, &run), 0);
    struct cp_ml_inputs in = {0};
    CHECK_INT(cp_ml_run_stage(&run, &in, &err), 0);
    const struct cp_ml_result *r = run.ml ? &run.ml->m[0] : NULL;
    CHECK(r && !r->skipped && r->have_cv);
    CHECK_INT(r ? r->ntrain : 0, fleet.n);
    char **id = cp_table_str(run.data.cells, "cell_id");
    size_t checked = 0;
    for (size_t i = 0; r && r->have_cv && i < r->ncells; i++) {
        long c = tbsi_index(&fleet, id[i]);
        CHECK(c >= 0 && r->observed[i] == (double)fleet.cell[c].eol80);
        const double *q = fleet.cell[c].q;
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (int k = 91; k <= 100; k++)
            sx += k, sy += q[k - 1], sxx += (double)k * k, sxy += k * q[k - 1];
        double slope = (10 * sxy - sx * sy) / (10 * sxx - sx * sx);
        double x[2] = {q[1], 1 - ((sy - slope * sx) / 10 + 100 * slope) / q[1]};
        struct cp_ml_prediction p;
        cp_ml_saved_predict(&r->model, x, &p);
        CHECK_NEAR(r->pred[i], p.value, 1e-9 * p.value);
        CHECK(r->lo[i] < r->pred[i] && r->pred[i] < r->hi[i]);
        checked++;
    }
    CHECK_INT(checked, fleet.n);
    if (r && r->have_cv)
        printf("tbsi ml: ridge on qd_2, qd_fade_rel, 4 folds: cv_mape %.1f %% (baseline %.1f %%), "
               "cv_rmse %.0f cycles (baseline %.0f)\n",
               r->cv.metrics.mape, r->cv.baseline.mape, r->cv.metrics.rmse, r->cv.baseline.rmse);
    cp_ml_run_free(run.ml);
    tbsi_run_release(&run);
    cp_config_release(&mcfg);
}

int main(void)
{
    const char *dir = getenv("CELLPIPE_REAL_DATA");
    cp_log_setup(CP_LOG_ERROR, 0);
    struct cp_error err = {0};
    if (!dir || tbsi_load(dir, &fleet) != 0) {
        SKIP("observed_end_of_life_matches_source", "no tbsi_sunwoda in CELLPIPE_REAL_DATA");
        SKIP("forecast_half_finished", "no tbsi_sunwoda in CELLPIPE_REAL_DATA");
        SKIP("forecast_leave_one_out", "no tbsi_sunwoda in CELLPIPE_REAL_DATA");
        SKIP("forecast_none_finished", "no tbsi_sunwoda in CELLPIPE_REAL_DATA");
        SKIP("statistics_by_temperature", "no tbsi_sunwoda in CELLPIPE_REAL_DATA");
        SKIP("ml_stage_on_real_cells", "no tbsi_sunwoda in CELLPIPE_REAL_DATA");
        tbsi_release(&fleet);
        return DONE();
    }
    if (cp_config_load_buffer(&cfg, "test_real_tbsi.yaml", "name: test-real-tbsi\n", 21, &err) != 0)
        return 1;
    RUN(observed_end_of_life_matches_source);
    RUN(forecast_half_finished);
    RUN(forecast_leave_one_out);
    RUN(forecast_none_finished);
    RUN(statistics_by_temperature);
    RUN(statistics_out_of_memory);
    RUN(early_life_features);
    RUN(ml_stage_on_real_cells);
    cp_config_release(&cfg);
    tbsi_release(&fleet);
    return DONE();
}
