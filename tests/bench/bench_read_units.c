/*
 * Parse rate of the text engine with its unit and plausibility work at full load: an Arbin
 * export whose counters restart at every step (each cycle is summed against the integral of
 * the current) and whose voltage column holds millivolts (converted), BENCH_MB (default 64)
 * MiB large. Prints MB/s of wall and CPU time and the cycles found. Not a test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cellpipe/error.h"
#include "cellpipe/reader.h"
#include "cellpipe/table.h"

static double now(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* One cycle: 500 points of 1 A charge in two steps, 500 of 1 A discharge, 10 s apart. */
static long write_file(const char *path, long bytes)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs("Data_Point,Test_Time,DateTime,Step_Time,Step_Index,Cycle_Index,Current,Voltage,"
          "Charge_Capacity,Discharge_Capacity,Charge_Energy,Discharge_Energy,"
          "Internal_Resistance,Temperature\n",
          f);
    long n = 0, cycles = 0;
    double t = 0;
    while (ftell(f) < bytes) {
        cycles++;
        for (int k = 0; k < 1000; k++, n++, t += 10) {
            int step = k < 250 ? 1 : k < 500 ? 2 : 3;
            double i = k < 500 ? 1.0 : -1.0;
            double in_step = (k % 250) * 10 / 3600.0,
                   q = k < 500 ? in_step : (k - 500) * 10 / 3600.0;
            double v = k < 500 ? 3300 + k * 1.6 : 4100 - (k - 500) * 2.0;
            fprintf(f, "%ld,%.1f,%.1f,%.1f,%ld,%ld,%.4f,%.2f,%.8f,%.8f,%.8f,%.8f,0.017,29.5\n", n,
                    t, 1.5e9 + t, in_step * 3600, (cycles - 1) * 3 + step, cycles, i, v,
                    k < 500 ? q : 0.0, k < 500 ? 0.0 : q, k < 500 ? q * 3.7 : 0.0,
                    k < 500 ? 0.0 : q * 3.6);
        }
    }
    long size = ftell(f);
    fclose(f);
    return size;
}

int main(void)
{
    const char *env = getenv("BENCH_MB");
    long mb = env ? atol(env) : 64;
    char path[] = "/tmp/cp_bench_units_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 1;
    close(fd);
    long size = write_file(path, mb * 1024 * 1024);
    struct cp_table *cycles = cp_table_new("cycles"), *cells = cp_table_new("cells");
    struct cp_reader_out out = {.cells = cells, .cycles = cycles};
    struct cp_error err = {0};
    const struct cp_reader_ops *ops = cp_reader_find("arbin");
    double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
    int rc = size > 0 && ops && cycles && cells ? ops->read(path, &out, &err) : -1;
    double w = now(CLOCK_MONOTONIC) - w0, c = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
    unlink(path);
    if (rc < 0) {
        fprintf(stderr, "bench_read_units: %s\n", err.msg);
        return 1;
    }
    double mib = (double)size / (1024.0 * 1024.0);
    printf("arbin per-step counters + mV: %.1f MiB, %lld rows, %zu cycles: %.0f MB/s wall, "
           "%.0f MB/s cpu\n",
           mib, out.rows_read, cycles->nrows, mib / w, mib / c);
    cp_table_free(cycles);
    cp_table_free(cells);
    return 0;
}
