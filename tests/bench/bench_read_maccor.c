/*
 * Parse rate of the Maccor dialects and the PEC, Landt and BaSyTec readers on large generated
 * files: MB/s (wall and CPU), rows/s and peak resident memory, on a 4 MiB file then on one
 * BENCH_MB (default 64) MiB large. BENCH_FORMAT=name runs one only. Not a test: prints
 * figures only.
 */
#include "bench_reader.h"

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

static const struct bench_format formats[] = {
    {"maccor", "maccor", h_maccor, g_maccor},
    {"maccor_mims", "maccor", h_mims, g_mims},
    {"pec", "pec", h_pec, g_pec},
    {"landt", "landt", h_landt, g_landt},
    {"basytec", "basytec", h_basytec, g_basytec},
};

int main(void)
{
    return bench_formats(formats, sizeof(formats) / sizeof(formats[0]), "maccor");
}
