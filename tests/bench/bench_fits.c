/*
 * Fits benchmark: N cells x about M cycles each of the synthetic lab (half finished, half
 * active at 30-90 % of life; lives spread +-15 %), all five models, back-test, fleet
 * forecast. Prints wall times, then the
 * forecast accuracy against the sample lab's truth (the figures test_accuracy asserts).
 *   build/bench/bench_fits [cells] [cycles] [threads]
 */
#include <stdlib.h>
#include <time.h>

#include "../unit/analytics/accuracy.h"
#include "../unit/analytics/lab.h"
#include "cellpipe/fit.h"
#include "cellpipe/stages.h"
#include "cellpipe/log.h"

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Positive integer argument i, or def when absent; -1 when malformed. */
static long arg(int argc, char **argv, int i, long def)
{
    if (argc <= i)
        return def;
    char *end;
    long v = strtol(argv[i], &end, 10);
    return *argv[i] && !*end && v > 0 ? v : -1;
}

int main(int argc, char **argv)
{
    int ncells = (int)arg(argc, argv, 1, 1000);
    int cycles = (int)arg(argc, argv, 2, 1500);
    long threads = arg(argc, argv, 3, 2);
    if (ncells < 0 || cycles < 0 || threads < 0) {
        fprintf(stderr, "usage: bench_fits [cells] [cycles] [threads]\n");
        return 64;
    }
    struct lab L;
    struct cp_error err = {0};
    cp_log_setup(getenv("BENCH_VERBOSE") ? CP_LOG_INFO : CP_LOG_WARN, 0);
    lab_state = 11;
    if (lab_init(&L, ncells) != 0)
        return 1;
    for (int i = 0; i < ncells; i++) {
        /* every cell has about `cycles` points: finished cells live cycles / 1.05 (they run
         * to 1.05 of life), active ones stop at a fraction of a life scaled to match */
        int fin = i % 2 == 0;
        double stop = fin ? 1.05 : 0.3 + 0.6 * (i % 7) / 6.0;
        if (lab_cell(&L, i, i % 5, cycles / stop, fin, stop, 0.002) != 0)
            return 1;
    }
    if (lab_finish(&L) != 0)
        return 1;
    L.cfg.fits.threads = threads;
    /* CPU time too: on a shared machine the wall time says more about the neighbours */
    double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    int rc = cp_stage_models(&L.run, &err);
    double t1 = clock_s(CLOCK_MONOTONIC), c1 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    long rows = (long)L.run.data.cycles->nrows;
    printf("bench_fits: %d cells, %ld cycle rows, %d models + back-test + fleet forecast, %ld "
           "threads: wall %.3f s, CPU %.3f s (CPU/threads %.3f s, %.3f ms CPU per cell), "
           "back-test MAPE %.2f %%\n",
           ncells, rows, CP_MODEL_COUNT, threads, t1 - t0, c1 - c0, (c1 - c0) / (double)threads,
           1e3 * (c1 - c0) / ncells, L.run.backtest_mape);
    lab_release(&L);
    if (rc != 0)
        return 1;
    /* accuracy on a 200-cell sample lab, two folds (tests/unit/analytics/accuracy.h) */
    struct cp_config cfg;
    if (cp_config_defaults(&cfg, "bench.yaml", &err) != 0)
        return 1;
    cfg.fits.threads = threads;
    static const double fr[] = {0.4, 0.6, 0.8};
    for (int k = 0; k < 3; k++) {
        struct acc_score pc, fl;
        if (acc_score(&cfg, 200, fr[k], CP_FORECAST_PER_CELL, &pc) != 0 ||
            acc_score(&cfg, 200, fr[k], CP_FORECAST_FLEET, &fl) != 0)
            return 1;
        printf("bench_fits: accuracy from %2.0f%% of life (%ld cells): per-cell MAPE %5.1f%% "
               "coverage %3.0f%% width %5.1f%% | fleet MAPE %5.1f%% coverage %3.0f%% width "
               "%5.1f%%\n",
               100 * fr[k], fl.n, pc.mape, 100 * pc.coverage, pc.width, fl.mape, 100 * fl.coverage,
               fl.width);
    }
    cp_config_release(&cfg);
    return 0;
}
