/*
 * Forecast accuracy on a real fleet (tests/unit/analytics/tbsi.h): MAPE and 95 % interval
 * coverage of end-of-life forecasts from 40, 60 and 80 % of each TBSI-Sunwoda cell's life,
 * leave-one-out, with half the fleet finished, and with no cell finished. Prints figures;
 * asserts nothing (tests/unit/analytics/test_real_tbsi.c holds the goals).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../unit/analytics/tbsi.h"
#include "cellpipe/log.h"

int main(void)
{
    const char *dir = getenv("CELLPIPE_REAL_DATA");
    struct tbsi_fleet f;
    if (!dir)
        dir = "../shared/data";
    if (tbsi_load(dir, &f) != 0) {
        printf("bench_tbsi: skipped (no %s/tbsi_sunwoda)\n", dir);
        tbsi_release(&f);
        return 0;
    }
    cp_log_setup(CP_LOG_ERROR, 0);
    struct cp_config cfg;
    struct cp_error err = {0};
    if (cp_config_load_buffer(&cfg, "bench_tbsi.yaml", "name: bench-tbsi\n", 17, &err) != 0)
        return 1;
    static const char *names[] = {"leave-one-out", "half finished", "none finished"};
    static const double fracs[] = {0.4, 0.6, 0.8};
    printf("%-14s %5s %8s %9s %9s %6s\n", "scenario", "cut", "MAPE %", "coverage", "withheld",
           "early");
    for (int sc = TBSI_LOO; sc <= TBSI_NONE; sc++)
        for (int k = 0; k < 3; k++) {
            struct tbsi_score s;
            clock_t t0 = clock();
            if (tbsi_score(&cfg, &f, (enum tbsi_scenario)sc, fracs[k], &s) != 0)
                return 1;
            printf("%-14s %4.0f%% %8.2f %8.1f%% %5ld/%-3ld %6ld  (%.1f s cpu)\n", names[sc],
                   100 * fracs[k], s.mape, 100 * s.coverage, s.withheld, s.n, s.early,
                   (double)(clock() - t0) / CLOCKS_PER_SEC);
        }
    cp_config_release(&cfg);
    tbsi_release(&f);
    return 0;
}
