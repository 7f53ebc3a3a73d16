/*
 * Workbook stage benchmark (issue: 1,000 cells x 1,500 cycles, about 20 columns): writes
 * workbook.xlsx from a hand-filled run and prints cells/s and the stage's peak RSS.
 * Goal: >= 0.5 M cells/s, peak RSS of the stage < 32 MiB (constant_memory mode).
 *
 *   build/bench/bench_workbook [CELLS [CYCLES]]           hand-filled run, all 17 digits used
 *   build/bench/bench_workbook --sample [CELLS [CYCLES]]  the sample lab through select and
 *                                                         features (realistic values, ~31
 *                                                         columns, CYCLES = the longest test)
 *   build/bench/bench_workbook --raw [CELLS [CYCLES]]     the same cycles written straight with
 *                                                         libxlsxwriter (no sink): the ceiling
 *                                                         on this machine, to compare with
 *
 * CP_BENCH_THREADS=1 deflates the package on the writing thread alone (report.threads: 1), to
 * compare with the default (every core).
 *
 * It also prints the input's size per cycle row: what the cycles table holds (cp_table_bytes:
 * columns at their capacity, string pool) and the process RSS before the stage, over rows.
 *
 * The stage's peak is measured by resetting the kernel's high-water mark (VmHWM, via
 * /proc/self/clear_refs) after the input is built, so the input tables do not count.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../unit/sinks/workbook_fixture.h"
#include "bench_sample.h"
#include "cellpipe/features.h"
#include "cellpipe/stages.h"
#include "cellpipe/fs.h"
#include "cellpipe/sample.h"
#include "cellpipe/select.h"
#include "cellpipe/workbook.h"
#include <xlsxwriter.h>

#include "cellpipe/pool.h"
#include "../../src/sinks/workbook_internal.h" /* wb_zip_set_level, wb_numbers_set_fast */

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

/* The cycles table written with nothing but libxlsxwriter calls, zipped at the sink's deflate
 * level (workbook.compression) and with the sink's number cells (workbook_numbers.c): what the
 * library costs. CP_BENCH_LIBC_NUMBERS=1 leaves the numbers to libc's %.16G. */
static int raw_write(const struct cp_table *t, const char *path, int level, int workers)
{
    lxw_workbook_options o = {.constant_memory = 1, .use_zip64 = 1};
    lxw_workbook *book = workbook_new_opt(path, &o);
    lxw_worksheet *ws = NULL;
    if (!book)
        return -1;
    const char *libc = getenv("CP_BENCH_LIBC_NUMBERS");
    wb_numbers_set_fast(!(libc && *libc == '1'));
    for (size_t r = 0; r < t->nrows; r++) {
        lxw_row_t row = (lxw_row_t)(r % 1048576);
        if (row == 0 && !(ws = workbook_add_worksheet(book, NULL)))
            return -1;
        for (size_t k = 0; k < t->ncols; k++) {
            const struct cp_column *c = &t->cols[k];
            if (c->type == CP_STR)
                worksheet_write_string(ws, row, (lxw_col_t)k, c->v.str[r], NULL);
            else if (c->type == CP_F64)
                worksheet_write_number(ws, row, (lxw_col_t)k, c->v.f64[r], NULL);
            else if (c->type == CP_TIME)
                worksheet_write_unixtime(ws, row, (lxw_col_t)k, c->v.i64[r], NULL);
            else
                worksheet_write_number(ws, row, (lxw_col_t)k, (double)c->v.i64[r], NULL);
        }
    }
    wb_zip_set_level(level, workers);
    int rc = workbook_close(book) == LXW_NO_ERROR ? 0 : -1;
    wb_zip_set_level(0, 0);
    wb_numbers_set_fast(0);
    return rc;
}

int main(int argc, char **argv)
{
    int sample = argc > 1 && strcmp(argv[1], "--sample") == 0;
    int raw = argc > 1 && strcmp(argv[1], "--raw") == 0;
    int opt = sample || raw;
    long ncells = argc > 1 + opt ? strtol(argv[1 + opt], NULL, 10) : 1000;
    long ncycles = argc > 2 + opt ? strtol(argv[2 + opt], NULL, 10) : 1500;
    char dir[] = "/tmp/cp-bench-workbook-XXXXXX";
    struct fixture f;
    struct cp_error err = {0};
    if (!mkdtemp(dir) ||
        fixture_init(&f, sample ? 1 : ncells, sample ? 1 : ncycles, FX_UNIFORM) < 0 ||
        (sample && sample_input(&f, ncells, ncycles, &err) < 0)) {
        fprintf(stderr, "bench_workbook: cannot build the input: %s\n", err.msg);
        return 1;
    }
    const char *threads = getenv("CP_BENCH_THREADS");
    f.cfg.report.threads = threads ? atol(threads) : 0;
    int workers = f.cfg.report.threads == 1 ? 0 : (int)cp_pool_cores();
    char *path = cp_path_join(dir, "workbook.xlsx");
    long rss0 = status_kib("VmRSS:");
    int peak_ok = reset_peak() == 0;
    double t0 = cp_monotonic_ms();
    int rc = raw ? raw_write(f.run.data.cycles, path, (int)f.cfg.workbook.compression, workers)
                 : cp_workbook_write(&f.run, path, NULL, &err);
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
    printf("workbook (%s): %ld cells x %ld cycles, %zu rows x %zu columns = %.0f cycle values\n",
           sample ? "sample lab"
           : raw  ? "raw libxlsxwriter, no sink"
                  : "fixture",
           ncells, ncycles, cy->nrows, cy->ncols, cells);
    printf("workbook: %.2f s, %.3f M cells/s (goal >= 0.5), file %.1f MiB\n", ms / 1000,
           cells / (ms / 1000) / 1e6, (double)len / 1048576);
    if (cy->nrows && rss0 > 0) /* issue 14 goal 6: bytes per cycle row */
        printf("workbook: input %.0f bytes a cycle row held by the table, %.0f of process RSS\n",
               (double)cp_table_bytes(cy) / (double)cy->nrows,
               (double)rss0 * 1024 / (double)cy->nrows);
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
