/*
 * CSV writing benchmark (issue 14 goal 2: results CSVs at least as fast as polars' write_csv):
 * the sample lab through select and features, then its cycles table written with
 * cp_table_write_csv (the results sink's writer, fsync included; best of 3, on every core and
 * on one thread) and, for scale, the number formatting alone: cp_dtoa_format against
 * snprintf("%.17g") on every f64 of the table. tests/bench/run then times polars' write_csv
 * on the same file (tests/bench/polars_csv.py) when a python with polars is at hand.
 *
 *   build/bench/bench_csv [CELLS [CYCLES [KEEP.csv]]]   defaults 1000 x 800; KEEP keeps the
 *                                                       file (tests/bench/polars_csv.py reads it)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../unit/sinks/workbook_fixture.h"
#include "bench_sample.h"
#include "cellpipe/dtoa.h"
#include "cellpipe/features.h"
#include "cellpipe/fs.h"
#include "cellpipe/pool.h"
#include "cellpipe/sample.h"
#include "cellpipe/select.h"
#include "cellpipe/stages.h"

/* Seconds to format every finite f64 of t with fn; *bytes gets the text length (a checksum
 * of sorts, so the loop is not optimised away). */
static double format_all(const struct cp_table *t, int use_printf, size_t *bytes, size_t *nvals)
{
    char buf[64];
    size_t total = 0, n = 0;
    double t0 = cp_monotonic_ms();
    for (size_t c = 0; c < t->ncols; c++) {
        if (t->cols[c].type != CP_F64)
            continue;
        const double *v = t->cols[c].v.f64;
        for (size_t r = 0; r < t->nrows; r++) {
            if (isnan(v[r]))
                continue;
            total += use_printf ? (size_t)snprintf(buf, sizeof buf, "%.17g", v[r])
                                : cp_dtoa_format(v[r], buf);
            n++;
        }
    }
    *bytes = total;
    *nvals = n;
    return (cp_monotonic_ms() - t0) / 1000;
}

int main(int argc, char **argv)
{
    long ncells = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
    long ncycles = argc > 2 ? strtol(argv[2], NULL, 10) : 800;
    const char *keep = argc > 3 ? argv[3] : NULL;
    char dir[] = "/tmp/cp-bench-csv-XXXXXX";
    struct fixture f;
    struct cp_error err = {0};
    if (!mkdtemp(dir) || fixture_init(&f, 1, 1, FX_UNIFORM) < 0 ||
        sample_input(&f, ncells, ncycles, &err) < 0) {
        fprintf(stderr, "bench_csv: cannot build the input: %s\n", err.msg);
        return 1;
    }
    const struct cp_table *cy = f.run.data.cycles;
    char *path = keep ? cp_strdup(keep) : cp_path_join(dir, "cycles.csv");
    double best[2] = {1e30, 1e30};
    for (int k = 0; k < 6; k++) {
        unlink(path); /* the rename must not pay for removing the last round's file */
        double t0 = cp_monotonic_ms();
        if (cp_table_write_csv_threads(cy, path, k % 2 ? 1 : 0) < 0) {
            fprintf(stderr, "bench_csv: cannot write '%s'\n", path);
            return 1;
        }
        double s = (cp_monotonic_ms() - t0) / 1000;
        best[k % 2] = s < best[k % 2] ? s : best[k % 2];
    }
    char *data = NULL;
    size_t len = 0;
    cp_fs_read_file(path, &data, &len);
    printf("csv: %ld cells x %ld cycles: %zu rows x %zu columns, %.1f MiB, %ld cores\n", ncells,
           ncycles, cy->nrows, cy->ncols, (double)len / 1048576, cp_pool_cores());
    for (int k = 0; k < 2; k++)
        printf("csv: cp_table_write_csv %s: %.3f s (best of 3, fsync included), %.0f MiB/s, "
               "%.2f M rows/s\n",
               k ? "1 thread" : "all cores", best[k], (double)len / 1048576 / best[k],
               (double)cy->nrows / best[k] / 1e6);
    size_t b1, b2, n1, n2;
    double sd = format_all(cy, 0, &b1, &n1), sp = format_all(cy, 1, &b2, &n2);
    printf("csv: format %zu f64 values: cp_dtoa_format %.1f ns/value (%zu bytes), "
           "snprintf %%.17g %.1f ns/value (%zu bytes)\n",
           n1, sd * 1e9 / (double)n1, b1, sp * 1e9 / (double)n2, b2);
    cp_free(data);
    cp_free(path);
    cp_fs_rmtree(dir);
    fixture_release(&f);
    return 0;
}
