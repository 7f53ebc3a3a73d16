/*
 * Parse rate of the Maccor dialects and the PEC, Landt and BaSyTec readers on large generated
 * files: MB/s (wall and CPU), rows/s and peak resident memory, on a 4 MiB file then on one
 * BENCH_MB (default 64) MiB large. BENCH_FORMAT=name runs one only. Not a test: prints
 * figures only.
 */
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

static void h_maccor(FILE *f)
{
    fputs("Today's Date 09/01/2020  Date of Test:\t12/16/2019\t Filename:\tX.034 Procedure: P.000"
          "\tComment/Barcode: B1\r\nRec#\tCyc#\tStep\tTest (Sec)\tStep (Sec)\tAmp-hr\tWatt-hr\t"
          "Amps\tVolts\tState\tES\tDPt Time\r\n",
          f);
}
static void g_maccor(FILE *f, long n, double t, int c, double i, double v, double q)
{
    fprintf(f, "%ld\t%d\t%d\t%.4f\t%.4f\t%.10f\t%.10f\t%.10f\t%.8f\t%c\t1\t12/16/2019 14:03:25\r\n",
            n, c, i > 0 ? 2 : 4, t, t, q, q * 3.6, i, v, i > 0 ? 'C' : 'D');
}

/* the Name/Channel export: minutes, unsigned current, Md, 12-hour DPT Time, decimal commas */
static void h_mims(FILE *f)
{
    fputs("Name:\tB.008\r\nChannel:\t8\r\nTester\tLAB\r\nProcedure\tP.000\r\nDescription\tx\r\n"
          "Started\t4/7/2021 4:14:13 PM\r\nSCap\t0,0\r\nC Rate\t0,0\r\nCh. max. V\t5,00 V\r\n"
          "DisCh. min. V\t0,00 V\r\nCh. max. I\t5,000 A\r\nDisCh. max. I\t5,000 A\r\n\r\n"
          "Rec\tCycle P\tCycle C\tStep\tTestTime\tStepTime\tCap. [Ah]\tEner. [Wh]\tCurrent [A]\t"
          "Voltage [V]\tMd\tES\tDPT Time\r\n\r\n",
          f);
}
static void comma(char *s)
{
    for (; *s; s++)
        if (*s == '.')
            *s = ',';
}
static void g_mims(FILE *f, long n, double t, int c, double i, double v, double q)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%ld\t0\t%d\t%d\t%.6f\t%.6f\t%.8f\t%.8f\t%.8f\t%.4f\t%c\t0\t", n, c,
             i > 0 ? 2 : 4, t / 60, t / 60, q, q * 3.6, i > 0 ? i : -i, v, i > 0 ? 'C' : 'D');
    comma(buf);
    fprintf(f, "%s4/7/2021 4:14:13 PM\t\r\n", buf);
}

static void h_pec(FILE *f)
{
    fputs("Request Year:,2019\nTest:,187\nTestRegime Name:,B\nStart Time:,02/22/2019 16:21:35\n"
          "#RESULTS CHECK\nReqYear,Test,CellNr,Type,Value,Reason,\n2019,187,1,1,3272,3,\n"
          "#END RESULTS CHECK\nTest,Cell,Rack,Shelf,Position,Cell ID,Step,Cycle,Total Time "
          "(Seconds),Load On Time (Seconds),Step Time (Seconds),Cycle Charge Time (Seconds),Cycle "
          "Discharge Time (Seconds),Real Time,Position Start Time,Voltage (mV),Current (mA),"
          "Charge Capacity (mAh),Discharge Capacity (mAh),Charge Capacity (mWh),Discharge "
          "Capacity (mWh),ReasonCode\n",
          f);
}
static void g_pec(FILE *f, long n, double t, int c, double i, double v, double q)
{
    (void)n;
    fprintf(f,
            "187,1,SBT0550,001,1,,%d,%d,%.3f,0,0,0,0,02/22/2019 16:23:27,02/22/2019 16:23:26,"
            "%.4f,%.1f,%.3f,%.3f,%.3f,%.3f,2\n",
            i > 0 ? 2 : 3, c, t, v * 1000, i * 1000, i > 0 ? q * 1000 : 0, i > 0 ? 0 : q * 1000,
            i > 0 ? q * 3600 : 0, i > 0 ? 0 : q * 3400);
}

static void h_landt(FILE *f)
{
    fputs("Record\tTestTime/h\tStepTime/h\tCurrent/mA\tCapacity/mAh\tSpeCap/mAh/g\tSOC|DOD/%\t"
          "Voltage/V\tEnergy/mWh\tSpeEnergy/Wh/kg\tAuxTemp/dC.\tAuxVolt/V\tSysTime\t\tCycle-Index\t"
          "Step-Index\tStep-State\n",
          f);
}
static void g_landt(FILE *f, long n, double t, int c, double i, double v, double q)
{
    fprintf(f,
            "%ld\t%.6f\t%.6f\t%.4f\t%.4f\t%.3f\t0\t%.4f\t%.4f\t0\t-\t-\t2026-01-15 09:00:00\t\t%d"
            "\t%d\t%s\n",
            n, t / 3600, t / 3600, i * 1000, q * 1000, q * 1e5, v, q * 3600, c, i > 0 ? 2 : 3,
            i > 0 ? "RateC" : "RateD");
}

static void h_basytec(FILE *f)
{
    fputs("~Resultfile from Basytec Battery Test System\n~Start of Test: 14.11.2022 10:40:01\n~\n"
          "~Time[h]\tDataSet\tDate\tTime\tt-Step[h]\tLine\tCommand\tU[V]\tI[A]\tAh[Ah]\t"
          "Ah-Cyc-Charge-0\tAh-Cyc-Discharge-0\tAh-Step\tT1[\xb0"
          "C]\tCyc-Count\tState\n",
          f);
}
static void g_basytec(FILE *f, long n, double t, int c, double i, double v, double q)
{
    fprintf(f,
            "%.6f\t%ld\t14.11.2022\t10:40:01\t0.000000\t%d\t%s\t%.4f\t%.4f\t%.6f\t%.6f\t%.6f\t"
            "0.000000\t24.50\t%d\t0\n",
            t / 3600, n, i > 0 ? 2 : 3, i > 0 ? "Charge" : "Discharge", v, i, q, i > 0 ? q : 1.1,
            i > 0 ? 0 : -q, c);
}

struct format {
    const char *name, *reader;
    void (*head)(FILE *f);
    gen_fn row;
};

static const struct format formats[] = {
    {"maccor", "maccor", h_maccor, g_maccor},
    {"maccor_mims", "maccor", h_mims, g_mims},
    {"pec", "pec", h_pec, g_pec},
    {"landt", "landt", h_landt, g_landt},
    {"basytec", "basytec", h_basytec, g_basytec},
};

/* Cycles of 1000 points: 500 charging then 500 discharging, 10 s apart. */
static long generate(const struct format *fm, const char *path, long long bytes)
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

/* CPU seconds used so far: on a shared machine wall time mostly measures the neighbours. */
static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static long maxrss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static int bench_one(const struct format *fm, const char *path, long long mb)
{
    if (generate(fm, path, mb << 20) < 0)
        return -1;
    const struct cp_reader_ops *ops = cp_reader_find(fm->reader);
    struct cp_table *cycles = cp_table_new("cycles"), *cells = cp_table_new("cells");
    struct cp_reader_out out = {.cells = cells, .cycles = cycles, .cell_id = "bench"};
    struct cp_error err = {0};
    double t0 = cp_monotonic_ms(), c0 = cpu_s();
    int rc = ops ? ops->read(path, &out, &err) : -1;
    double s = (cp_monotonic_ms() - t0) / 1000.0, cs = cpu_s() - c0;
    if (rc < 0)
        fprintf(stderr, "%s: %s\n", fm->name, ops ? err.msg : "no reader");
    else
        printf("%-12s %4lld MiB %8lld rows %5zu cycles  wall %6.1f MB/s  cpu %6.1f MB/s "
               "%9.0f rows/s  maxrss %ld KiB\n",
               fm->name, mb, out.rows_read, cycles->nrows, (double)(mb << 20) / 1e6 / s,
               (double)(mb << 20) / 1e6 / cs, (double)out.rows_read / cs, maxrss_kb());
    cp_table_free(cycles);
    cp_table_free(cells);
    unlink(path);
    return rc;
}

int main(void)
{
    const char *env = getenv("BENCH_MB");
    long long mb = env ? atoll(env) : 64;
    char path[] = "/tmp/cp_bench_maccor_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 1;
    close(fd);
    int rc = 0;
    const char *only = getenv("BENCH_FORMAT");
    for (size_t k = 0; k < sizeof(formats) / sizeof(formats[0]); k++) {
        if (only && strcmp(only, formats[k].name) != 0)
            continue;
        rc |= bench_one(&formats[k], path, 4) != 0;
        rc |= bench_one(&formats[k], path, mb) != 0;
    }
    unlink(path);
    return rc;
}
