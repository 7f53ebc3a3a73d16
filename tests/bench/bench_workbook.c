/*
 * Workbook stage benchmark (issue: 1,000 cells x 1,500 cycles, about 20 columns): writes
 * workbook.xlsx from a hand-filled run and prints cells/s and the stage's peak RSS.
 * Goal: >= 0.5 M cells/s, peak RSS of the stage < 32 MiB (constant_memory mode).
 *
 *   build/bench/bench_workbook [CELLS [CYCLES]]
 *
 * The stage's peak is measured by resetting the kernel's high-water mark (VmHWM, via
 * /proc/self/clear_refs) after the input is built, so the input tables do not count.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../unit/sinks/workbook_fixture.h"
#include "cellpipe/fs.h"
#include "cellpipe/workbook.h"

/* A "VmRSS:"-style line of /proc/self/status, in KiB (-1 when unavailable). */
static long status_kib(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, strlen(key)) == 0)
            v = strtol(line + strlen(key), NULL, 10);
    fclose(f);
    return v;
}

static int reset_peak(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f)
        return -1;
    int ok = fputs("5", f) >= 0;
    return fclose(f) == 0 && ok ? 0 : -1;
}

int main(int argc, char **argv)
{
    long ncells = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
    long ncycles = argc > 2 ? strtol(argv[2], NULL, 10) : 1500;
    char dir[] = "/tmp/cp-bench-workbook-XXXXXX";
    struct fixture f;
    struct cp_error err = {0};
    if (!mkdtemp(dir) || fixture_init(&f, ncells, ncycles, FX_UNIFORM) < 0) {
        fprintf(stderr, "bench_workbook: cannot build the input\n");
        return 1;
    }
    char *path = cp_path_join(dir, "workbook.xlsx");
    long rss0 = status_kib("VmRSS:");
    int peak_ok = reset_peak() == 0;
    double t0 = cp_monotonic_ms();
    int rc = cp_workbook_write(&f.run, path, NULL, &err);
    double ms = cp_monotonic_ms() - t0;
    long hwm = status_kib("VmHWM:");
    if (rc) {
        fprintf(stderr, "bench_workbook: %s\n", err.msg);
        return 1;
    }
    const struct cp_table *cy = f.run.data.cycles;
    double cells = (double)cy->nrows * (double)cy->ncols;
    char *data = NULL;
    size_t len = 0;
    cp_fs_read_file(path, &data, &len);
    printf("workbook: %ld cells x %ld cycles, %zu rows x %zu columns = %.0f cycle values\n", ncells,
           ncycles, cy->nrows, cy->ncols, cells);
    printf("workbook: %.2f s, %.3f M cells/s (goal >= 0.5), file %.1f MiB\n", ms / 1000,
           cells / (ms / 1000) / 1e6, (double)len / 1048576);
    if (peak_ok && hwm > 0 && rss0 > 0)
        printf("workbook: stage peak RSS %.1f MiB above the input's %.1f MiB (goal < 32)\n",
               (double)(hwm - rss0) / 1024, (double)rss0 / 1024);
    else
        printf("workbook: stage peak RSS unavailable (no /proc/self/clear_refs)\n");
    cp_free(data);
    cp_fs_rmtree(dir);
    cp_free(path);
    fixture_release(&f);
    return 0;
}
