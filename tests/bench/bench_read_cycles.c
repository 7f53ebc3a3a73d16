/*
 * Parse rate of the per-cycle text readers that go through the shared CSV reader (csv.h): the
 * Battery Archive `*_cycle_data.csv` and the Battery Data Hub summary, one row per cycle, on
 * a generated file of 4 MiB then of BENCH_MB (default 64) MiB. Their output is one cycles row
 * per line, so memory grows with the file by that table alone. The tables carry the canonical
 * columns, as a source hands them over (these readers fill only columns that exist).
 * BENCH_FORMAT=name runs one only; BENCH_FILE=path keeps the generated file there (and reads
 * an existing one as it is), for profiling the read alone. Not a test: prints figures only.
 */
#include <sys/stat.h>

#include "cellpipe/dataset.h"
#include "bench_reader.h"

static void g_ba_head(FILE *f)
{
    fputs("Cycle_Index,Start_Time,End_Time,Test_Time (s),Min_Current (A),Max_Current (A),"
          "Min_Voltage (V),Max_Voltage (V),Charge_Capacity (Ah),Discharge_Capacity (Ah),"
          "Charge_Energy (Wh),Discharge_Energy (Wh)\n",
          f);
}
/* Battery Archive's own rounding: three decimals, the cycle index as a float. */
static void g_ba(FILE *f, long n, double t, int c, double i, double v, double q)
{
    (void)t, (void)c, (void)i, (void)v, (void)q;
    double fade = 1e-5 * (double)(n % 10000);
    fprintf(f, "%ld.0,,,%.3f,-0.674,1.124,2.699,4.2,%.3f,%.3f,%.3f,%.3f\n", n, n * 10005.0 + 0.125,
            1.1 - fade, 1.09 - fade, 4.2 - 3.6 * fade, 4.0 - 3.6 * fade);
}
static void g_bdh_head(FILE *f)
{
    fputs("Cycle_Index,Cycle_Label,Time_s,Datenum_d,Q_chg,q_chg,Q_dis,q_dis,CE,E_chg,E_dis,EE,"
          "V_min,V_max,I_min,I_max,T_avg,T_max,tsecs_start,tsecs_end,tsecs_cycle\n",
          f);
}
/* The summary's MATLAB-written numbers: many digits, NaN for what was not measured. */
static void g_bdh(FILE *f, long n, double t, int c, double i, double v, double q)
{
    (void)t, (void)c, (void)i, (void)v, (void)q;
    double fade = 1e-6 * (double)(n % 100000), start = n * 6359.94;
    fprintf(f,
            "%ld,%s,%.2f,%.9f,%.8f,1,%.8f,1,%.15f,%.8f,%.8f,NaN,2.69988,4.20012,-0.02173,"
            "0.02187,29.7005,%.4f,%.2f,%.3f,%.3f\n",
            n + 1, n % 50 ? "" : "Capacity check", start, 737792.442372685 + start / 86400,
            0.0218 - fade, 0.0217 - fade, 0.9939667 + fade, 0.0807 - fade, 0.0796 - fade,
            30.1 + 1e-3 * (double)(n % 100), start, start + 6359.85, 6359.85);
}

static const struct bench_format formats[] = {
    {"batteryarchive", NULL, g_ba_head, g_ba},
    {"batterydatahub_summary", "batterydatahub", g_bdh_head, g_bdh},
};

static int read_cycles(const struct bench_format *fm, const char *path)
{
    struct stat st;
    double mb = stat(path, &st) == 0 ? st.st_size / 1048576.0 : 0;
    const struct cp_reader_ops *ops = cp_reader_find(fm->reader ? fm->reader : fm->name);
    struct cp_table *cycles = cp_table_new("cycles"), *cells = cp_table_new("cells");
    struct cp_reader_out out = {.cells = cells, .cycles = cycles, .cell_id = "bench"};
    struct cp_error err = {0};
    int rc = -1;
    if (!ops || !cycles || !cells || cp_add_canonical_columns(cycles, cp_cycles_columns) < 0 ||
        cp_add_canonical_columns(cells, cp_cells_columns) < 0)
        goto cleanup;
    double t0 = cp_monotonic_ms(), c0 = bench_cpu_s();
    rc = ops->read(path, &out, &err);
    double s = (cp_monotonic_ms() - t0) / 1000.0, cs = bench_cpu_s() - c0;
    if (rc < 0)
        fprintf(stderr, "%s: %s\n", fm->name, err.msg);
    else
        printf("%-22s %6.1f MiB %8lld rows  wall %6.1f MB/s  cpu %6.1f MB/s  %9.0f rows/s  "
               "maxrss %ld KiB\n",
               fm->name, mb, out.rows_read, mb * 1.048576 / s, mb * 1.048576 / cs,
               (double)out.rows_read / cs, bench_maxrss_kb());
cleanup:
    cp_table_free(cycles);
    cp_table_free(cells);
    return rc < 0 ? -1 : 0;
}

int main(void)
{
    const char *env = getenv("BENCH_MB"), *only = getenv("BENCH_FORMAT");
    const char *keep = getenv("BENCH_FILE");
    long long mb = env ? atoll(env) : 64, sizes[2] = {4, mb};
    char tmp[] = "/tmp/cp_bench_cycles_XXXXXX";
    const char *path = keep ? keep : tmp;
    int rc = 0;
    if (!keep) {
        int fd = mkstemp(tmp);
        if (fd < 0)
            return 1;
        close(fd);
    }
    for (size_t k = 0; k < sizeof(formats) / sizeof(formats[0]); k++) {
        if (only && strcmp(only, formats[k].name) != 0)
            continue;
        for (int z = keep ? 1 : 0; z < 2; z++) {
            if (!keep || access(keep, F_OK) != 0)
                rc |= bench_generate(&formats[k], path, sizes[z] << 20) < 0;
            rc |= read_cycles(&formats[k], path) < 0;
        }
    }
    if (!keep)
        unlink(path);
    return rc;
}
