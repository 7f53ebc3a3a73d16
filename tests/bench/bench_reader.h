/* Shared by the reader benchmarks (bench_readers.c, bench_read_*.c): CPU time and peak memory,
 * a generated file of cycles, and one timed read through the registry printed as a line of
 * figures. */
#ifndef CELLPIPE_BENCH_READER_H
#define CELLPIPE_BENCH_READER_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cellpipe/error.h"
#include "cellpipe/reader.h"
#include "cellpipe/table.h"
#include "cellpipe/timeutil.h"

typedef void (*gen_fn)(FILE *f, long row, double t, int cycle, double i, double v, double q);

struct bench_format {
    const char *name, *reader; /* reader NULL: the same as name */
    void (*head)(FILE *f);
    gen_fn row;
};

/* CPU seconds used so far: on a shared machine wall time mostly measures the neighbours. */
static inline double bench_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static inline long bench_maxrss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* Cycles of 1000 points: 500 charging then 500 discharging, 10 s apart. Rows written, or -1. */
static inline long bench_generate(const struct bench_format *fm, const char *path, long long bytes)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fm->head(f);
    long n = 0;
    while (ftell(f) < bytes) {
        int c = (int)(n / 1000) + 1, k = (int)(n % 1000);
        double i = k < 500 ? 1.0 : -1.0;
        double q = (k % 500) * 10.0 / 3600.0;
        double v = k < 500 ? 3.4 + 0.8 * (k / 500.0) : 4.1 - 1.0 * ((k - 500) / 500.0);
        fm->row(f, n + 1, n * 10.0, c, i, v, q);
        n++;
    }
    fclose(f);
    return n;
}

/* Read path (mb MiB) with the named reader and print its figures under label. 0 or -1. */
static inline int bench_read(const char *label, const char *reader, const char *path, long long mb)
{
    const struct cp_reader_ops *ops = cp_reader_find(reader);
    struct cp_table *cycles = cp_table_new("cycles"), *cells = cp_table_new("cells");
    struct cp_reader_out out = {.cells = cells, .cycles = cycles, .cell_id = "bench"};
    struct cp_error err = {0};
    double t0 = cp_monotonic_ms(), c0 = bench_cpu_s();
    int rc = ops ? ops->read(path, &out, &err) : -1;
    double s = (cp_monotonic_ms() - t0) / 1000.0, cs = bench_cpu_s() - c0;
    if (rc < 0)
        fprintf(stderr, "%s: %s\n", label, ops ? err.msg : "no reader");
    else
        printf("%-18s %4lld MiB %8lld rows %5zu cycles  wall %6.1f MB/s  cpu %6.1f MB/s "
               "%9.0f rows/s  maxrss %ld KiB\n",
               label, mb, out.rows_read, cycles->nrows, (double)(mb << 20) / 1e6 / s,
               (double)(mb << 20) / 1e6 / cs, (double)out.rows_read / cs, bench_maxrss_kb());
    cp_table_free(cycles);
    cp_table_free(cells);
    return rc < 0 ? -1 : 0;
}

/* Every format (or BENCH_FORMAT's) on a 4 MiB file, then on BENCH_MB (default 64) MiB. */
static inline int bench_formats(const struct bench_format *formats, size_t n, const char *tag)
{
    const char *env = getenv("BENCH_MB"), *only = getenv("BENCH_FORMAT");
    long long mb = env ? atoll(env) : 64, sizes[2] = {4, mb};
    char path[256];
    snprintf(path, sizeof path, "/tmp/cp_bench_%s_XXXXXX", tag);
    int fd = mkstemp(path), rc = 0;
    if (fd < 0)
        return 1;
    close(fd);
    for (size_t k = 0; k < n; k++) {
        if (only && strcmp(only, formats[k].name) != 0)
            continue;
        for (int z = 0; z < 2; z++)
            rc |=
                bench_generate(&formats[k], path, sizes[z] << 20) < 0 ||
                bench_read(formats[k].name, formats[k].reader ? formats[k].reader : formats[k].name,
                           path, sizes[z]) < 0;
    }
    unlink(path);
    return rc;
}

#endif
