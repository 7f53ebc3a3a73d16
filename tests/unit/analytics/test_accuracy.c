/* Forecast accuracy against the sample lab's truth: per-cell vs fleet from 40, 60 and 80 %
 * of life (see accuracy.h), and observed end of life equal to truth for every cell. */
#include <stdio.h>

#include "accuracy.h"
#include "cellpipe/log.h"
#include "harness.h"

#define CELLS 200

static struct cp_config cfg;

TEST(fleet_forecasts_hold_against_truth)
{
    static const double fr[] = {0.4, 0.6, 0.8};
    struct acc_score pc[3], fl[3];
    for (int k = 0; k < 3; k++) {
        CHECK_INT(acc_score(&cfg, CELLS, fr[k], CP_FORECAST_PER_CELL, &pc[k]), 0);
        CHECK_INT(acc_score(&cfg, CELLS, fr[k], CP_FORECAST_FLEET, &fl[k]), 0);
        printf("accuracy from %2.0f%% of life: per-cell MAPE %5.1f%% coverage %3.0f%% width "
               "%5.1f%% | fleet MAPE %5.1f%% coverage %3.0f%% width %5.1f%% (%ld cells)\n",
               100 * fr[k], pc[k].mape, 100 * pc[k].coverage, pc[k].width, fl[k].mape,
               100 * fl[k].coverage, fl[k].width, fl[k].n);
        CHECK(fl[k].n >= CELLS / 4);
    }
    /* the goals: fleet from 60 % within 10 % MAPE, 95 % intervals covering >= 90 %; the
     * bounds below sit just above what this version achieves (4.3, 4.1, 2.5 % MAPE;
     * 99-100 % coverage; widths 28, 33, 20 %), so a regression fails */
    CHECK(fl[0].mape <= 6.0 && fl[1].mape <= 6.0 && fl[2].mape <= 4.0);
    for (int k = 0; k < 3; k++) {
        CHECK(fl[k].coverage >= 0.92);
        CHECK(fl[k].width <= 45.0); /* honest, but not covering by being useless */
    }
    /* the fleet must beat one curve at every cut */
    for (int k = 0; k < 3; k++)
        CHECK(fl[k].mape < pc[k].mape);
}

TEST(observed_eol_equals_truth)
{
    long checked = 0;
    CHECK_INT(acc_eol_mismatches(&cfg, CELLS, &checked), 0);
    CHECK_INT(checked, CELLS);
}

TEST(knees_against_truth)
{
    struct acc_knees k;
    CHECK_INT(acc_knees(&cfg, CELLS, &k), 0);
    printf("knees: %ld of %ld finished cells with a true knee reported (point %.3f, onset %.3f "
           "of life after n_k); %ld of %ld without\n",
           k.with_found, k.with, k.point_after, k.onset_after, k.without_found, k.without);
    CHECK(k.with >= 20 && k.without >= 20);
    CHECK(k.with_found >= k.with - 1); /* every knee is seen... */
    CHECK(k.without_found <= 1);       /* ...and none is invented */
    /* the knee point is where the fade has visibly steepened: after the softplus start n_k,
     * within a fifth of life; the onset comes before the point */
    CHECK(k.point_after > 0 && k.point_after < 0.2);
    CHECK(k.onset_n >= k.with_found / 2 && k.onset_after < k.point_after);
}

int main(void)
{
    struct cp_error err = {0};
    cp_log_setup(CP_LOG_WARN, 0);
    if (cp_config_defaults(&cfg, "accuracy.yaml", &err) != 0)
        return 1;
    cfg.fits.threads = 2;
    RUN(observed_eol_equals_truth);
    RUN(knees_against_truth);
    RUN(fleet_forecasts_hold_against_truth);
    cp_config_release(&cfg);
    return DONE();
}
