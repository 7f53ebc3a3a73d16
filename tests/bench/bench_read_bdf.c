/*
 * Parse rate of the BDF reader (a generated BDF file of BENCH_MB MiB, default 64, written by
 * the BDF writer itself, so its numbers have the writer's shortest round-trip form) and of the
 * tidy reader (a generated per-cycle CSV), plus the writer's rate (points in, MB/s out), as
 * MB/s of CPU time (wall time on a shared machine mostly measures the neighbours) and peak
 * resident memory. Not a test: prints figures only.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cellpipe/bdf.h"
#include "cellpipe/error.h"
#include "cellpipe/reader.h"
#include "cellpipe/table.h"
#include "cellpipe/timeutil.h"
#include "bench_reader.h"

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* x at a cycler's resolution: the points a reader hands over were parsed from text with a
 * few decimals, so the writer's shortest form is as short (a computed double would print
 * 17 digits, which no export holds). */
static double res(double x, double per_unit)
{
    return round(x * per_unit) / per_unit; /* dividing by a power of ten rounds right */
}

/* Cycles of 1000 points (500 charging, 500 discharging, 10 s apart) until `bytes` written. */
static long write_bdf(const char *path, long long bytes, double *cpu)
{
    struct cp_error err = {0};
    struct cp_bdf_writer *w = cp_bdf_writer_new(path, &err);
    if (!w)
        return -1;
    double c0 = bench_cpu_s();
    long n = 0;
    struct cp_ts_point p;
    for (; (n & 4095) || n * 80L < bytes; n++) { /* ~80 bytes a row */
        int k = (int)(n % 1000);
        cp_ts_point_clear(&p);
        p.cycle = n / 1000 + 1;
        p.step = k < 500 ? 1 : 2;
        p.test_time_s = res(n * 10.0 + 0.0125 * (n % 7), 1e4);
        p.stamp = res(1.7e9 + p.test_time_s, 1e3);
        p.current_a = k < 500 ? 1.0999 : -1.1003;
        p.voltage_v = res(k < 500 ? 3.4 + 0.8 * (k / 500.0) : 4.1 - (k - 500) / 500.0, 1e6);
        p.charge_ah = res(k < 500 ? (k % 500) * 10.0 / 3600.0 : 1.3888, 1e7);
        p.discharge_ah = res(k < 500 ? 0 : (k % 500) * 10.0 / 3600.0, 1e7);
        p.temperature_c = res(25 + 0.01 * (n % 100), 100);
        if (cp_bdf_writer_point(w, "bench", &p, &err) < 0) {
            cp_bdf_writer_free(w);
            return -1;
        }
    }
    if (cp_bdf_writer_close(w, &err) < 0)
        return -1;
    *cpu = bench_cpu_s() - c0;
    return n;
}

static long write_tidy(const char *path, long long bytes)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs("cell_id,cycle_index,discharge_capacity_ah,charge_capacity_ah,test_time_s\n", f);
    long n = 0;
    while (ftell(f) < bytes) {
        fprintf(f, "C%03ld,%ld,%.4f,%.4f,%.1f\n", n / 2000, n % 2000 + 1, 1.1 - 1e-4 * (n % 2000),
                1.12 - 1e-4 * (n % 2000), 7200.0 * (n % 2000));
        n++;
    }
    fclose(f);
    return n;
}

static int read_rate(const char *name, const char *path, long rows)
{
    const struct cp_reader_ops *ops = cp_reader_find(name);
    struct cp_table *cycles = cp_table_new("cycles"), *cells = cp_table_new("cells");
    struct cp_reader_out out = {.cells = cells, .cycles = cycles};
    struct cp_error err = {0};
    double t0 = cp_monotonic_ms(), c0 = bench_cpu_s();
    int rc = ops->read(path, &out, &err);
    double cpu = bench_cpu_s() - c0, wall = (cp_monotonic_ms() - t0) / 1000;
    double mb = file_size(path) / 1048576.0;
    if (rc < 0)
        fprintf(stderr, "%s: %s\n", name, err.msg);
    else
        printf("%-6s read  %8.1f MiB %10ld rows %8zu cycles  %7.1f MB/s cpu  %7.1f MB/s wall  "
               "maxrss %ld KiB\n",
               name, mb, rows, cycles->nrows, mb / cpu, mb / wall, bench_maxrss_kb());
    cp_table_free(cycles);
    cp_table_free(cells);
    return rc;
}

int main(void)
{
    const char *env = getenv("BENCH_MB");
    long long mb = env ? atoll(env) : 64;
    char bdf[] = "/tmp/cp_bench_bdf_XXXXXX", tidy[] = "/tmp/cp_bench_tidy_XXXXXX";
    int fd1 = mkstemp(bdf), fd2 = mkstemp(tidy);
    if (fd1 < 0 || fd2 < 0)
        return 1;
    close(fd1);
    close(fd2);
    double wcpu = 0;
    int rc = 0;
    long n = write_bdf(bdf, mb << 20, &wcpu);
    if (n < 0)
        rc = 1;
    else
        printf("bdf    write %8.1f MiB %10ld rows  %7.1f MB/s cpu\n", file_size(bdf) / 1048576.0, n,
               file_size(bdf) / 1048576.0 / wcpu);
    if (rc == 0 && read_rate("bdf", bdf, n) < 0)
        rc = 1;
    long t = write_tidy(tidy, (mb / 4) << 20);
    if (rc == 0 && (t < 0 || read_rate("tidy", tidy, t) < 0))
        rc = 1;
    unlink(bdf);
    unlink(tidy);
    return rc;
}
