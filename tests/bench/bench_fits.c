/*
 * Fits benchmark: N cells x M cycles of the synthetic lab (half finished, half active at
 * 30-90 % of life), all five models, back-test, fleet forecast. Prints wall times.
 *   build/bench/bench_fits [cells] [cycles] [threads]
 */
#include <stdlib.h>
#include <time.h>

#include "../unit/analytics/lab.h"
#include "cellpipe/fit.h"
#include "cellpipe/log.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    int ncells = argc > 1 ? atoi(argv[1]) : 1000;
    int cycles = argc > 2 ? atoi(argv[2]) : 1500;
    long threads = argc > 3 ? atol(argv[3]) : 2;
    struct lab L;
    struct cp_error err = {0};
    cp_log_setup(getenv("BENCH_VERBOSE") ? CP_LOG_INFO : CP_LOG_WARN, 0);
    lab_state = 11;
    if (lab_init(&L, ncells) != 0)
        return 1;
    for (int i = 0; i < ncells; i++) {
        /* finished cells live ~cycles/1.05 so they produce about `cycles` points */
        int fin = i % 2 == 0;
        if (lab_cell(&L, i, i % 5, cycles / 1.05 / 1.0, fin, fin ? 1.0 : 0.3 + 0.6 * (i % 7) / 6.0,
                     0.002) != 0)
            return 1;
    }
    if (lab_finish(&L) != 0)
        return 1;
    L.cfg.fits.threads = threads;
    double t0 = now();
    int rc = cp_models_run(&L.run, &err);
    double t1 = now();
    long rows = (long)L.run.data.cycles->nrows;
    printf("bench_fits: %d cells, %ld cycle rows, %d models, %ld threads: models stage %.3f s "
           "(%.3f ms per cell), backtest MAPE %.2f %%\n",
           ncells, rows, CP_MODEL_COUNT, threads, t1 - t0, 1e3 * (t1 - t0) / ncells,
           L.run.backtest_mape);
    lab_release(&L);
    return rc != 0;
}
