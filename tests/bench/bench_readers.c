/*
 * Parse rate of every text reader on a large generated file: MB/s, rows/s and peak resident
 * memory (ru_maxrss), first on a small file then on one BENCH_MB (default 64) MiB large, to
 * show that memory does not grow with the file. BENCH_FORMAT=name runs one format only (e.g.
 * BENCH_MB=1024 BENCH_FORMAT=arbin for a 1 GiB export). Not a test: prints figures only.
 */
#include "bench_reader.h"

static void g_arbin_head(FILE *f)
{
    fputs("Data_Point,Test_Time,DateTime,Step_Time,Step_Index,Cycle_Index,Current,Voltage,"
          "Charge_Capacity,Discharge_Capacity,Charge_Energy,Discharge_Energy,dV/dt,"
          "Internal_Resistance,Temperature\n",
          f);
}
static void g_arbin(FILE *f, long n, double t, int c, double i, double v, double q)
{
    fprintf(f, "%ld,%.4f,%.4f,%.4f,%d,%d,%.6f,%.6f,%.8f,%.8f,%.8f,%.8f,0.0001,0.017,29.5\n", n, t,
            1.5e9 + t, t, i > 0 ? 2 : 4, c, i, v, i > 0 ? q : 1.1, i > 0 ? 0 : q,
            i > 0 ? q * 3.5 : 3.9, i > 0 ? 0 : q * 3.2);
}
static void g_maccor_head(FILE *f)
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
static void g_biologic_head(FILE *f)
{
    fputs("mode\tox/red\terror\ttime/s\tEcell/V\tI/mA\tQ charge/mA.h\tQ discharge/mA.h\t"
          "Energy charge/W.h\tEnergy discharge/W.h\tcycle number\n",
          f);
}
static void g_biologic(FILE *f, long n, double t, int c, double i, double v, double q)
{
    (void)n;
    fprintf(f, "1\t1\t0\t%.6E\t%.7E\t%.7E\t%.9E\t%.9E\t%.9E\t%.9E\t%d\n", t, v, i * 1000,
            i > 0 ? q * 1000 : 0.0, i > 0 ? 0.0 : q * 1000, i > 0 ? q * 3.6 : 0.0,
            i > 0 ? 0.0 : q * 3.4, c);
}
static void g_novonix_head(FILE *f)
{
    fputs("[Summary]\nNovonix UHPC data file\nCapacity (Ah): 1.1\n[End Summary]\n[Data]\n"
          "Date and Time,Cycle Number,Step Type,Run Time (h),Step Time (h),Current (A),"
          "Potential (V),Capacity (Ah),Temperature (\xc2\xb0"
          "C),Circuit Temperature (\xc2\xb0"
          "C),"
          "Energy (Wh),dVdt (V/h),dIdt (A/h),Step Number,Step position\n",
          f);
}
static void g_novonix(FILE *f, long n, double t, int c, double i, double v, double q)
{
    (void)n;
    fprintf(f, "2025-07-19 15:26:20,%d,%d,%.7f,%.7f,%.8f,%.8f,%.8f,24.6,25.2,%.8f,0.0,0.0,%d,0\n",
            c, i > 0 ? 1 : 2, t / 3600, t / 3600, i, v, q, q * 3.6, i > 0 ? 1 : 2);
}
static void g_neware_head(FILE *f)
{
    fputs("DataPoint,Cycle Index,Step Index,Step Type,Time,Total Time,Current(A),Voltage(V),"
          "Capacity(Ah),Energy(Wh),Date\n",
          f);
}
static void g_neware(FILE *f, long n, double t, int c, double i, double v, double q)
{
    fprintf(f, "%ld,%d,%d,%s,00:00:01,%.3f,%.5f,%.5f,%.6f,%.6f,2024-05-04 09:00:00\n", n, c,
            i > 0 ? 1 : 2, i > 0 ? "CC Chg" : "CC DChg", t, i, v, q, q * 3.6);
}
static void g_bats_head(FILE *f)
{
    fputs("Date_Time,Test_Time (s),Cycle_Index,Current (A),Voltage (V),Charge_Capacity (Ah),"
          "Discharge_Capacity (Ah),Charge_Energy (Wh),Discharge_Energy (Wh),"
          "Environment_Temperature (C),Cell_Temperature (C)\n",
          f);
}
static void g_bats(FILE *f, long n, double t, int c, double i, double v, double q)
{
    (void)n;
    fprintf(f, "2010-09-02 14:35:40,%.3f,%d.0,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,,\n", t, c, i, v,
            i > 0 ? q : 1.1, i > 0 ? 0 : q, i > 0 ? q * 3.6 : 3.9, i > 0 ? 0 : q * 3.4);
}
static void g_bdh_head(FILE *f)
{
    fputs("Cycle_Index,Step,Time_s,Amphr,Watthr,Current_A,Voltage_V,Cell_Temperature_C,Temp2,"
          "Datenum_d,Power_W,Charge_Capacity_Ah,Discharge_Capacity_Ah,Charge_Energy_Wh,"
          "Discharge_Energy_Wh\n",
          f);
}
static void g_bdh(FILE *f, long n, double t, int c, double i, double v, double q)
{
    (void)n;
    fprintf(f,
            "%d,%d,%.3f,%.8f,%.8f,%.8f,%.8f,29.7,29.5,737792.442372685,%.6f,%.8f,%.8f,%.8f,"
            "%.8f\n",
            c, i > 0 ? 1 : 2, t, q, q * 3.6, i, v, i * v, i > 0 ? q : 0, i > 0 ? 0 : q,
            i > 0 ? q * 3.6 : 0, i > 0 ? 0 : q * 3.4);
}

static const struct bench_format formats[] = {
    {"arbin", NULL, g_arbin_head, g_arbin},
    {"maccor", NULL, g_maccor_head, g_maccor},
    {"biologic", NULL, g_biologic_head, g_biologic},
    {"novonix", NULL, g_novonix_head, g_novonix},
    {"neware", NULL, g_neware_head, g_neware},
    {"batteryarchive_ts", NULL, g_bats_head, g_bats},
    {"batterydatahub", NULL, g_bdh_head, g_bdh},
};

int main(void)
{
    return bench_formats(formats, sizeof(formats) / sizeof(formats[0]), "readers");
}
