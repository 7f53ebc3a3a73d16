/*
 * Battery Archive (batteryarchive.org) time series, "*_timeseries.csv": Date_Time,
 * Test_Time (s), Cycle_Index (written as a float), Current (A), Voltage (V), Charge/Discharge
 * Capacity (Ah), Charge/Discharge Energy (Wh), Environment/Cell Temperature (C). Counters are
 * cumulative. See docs/readers.md.
 */
#include "cellpipe/error.h"
#include "cellpipe/tabread.h"
#include "cellpipe/textread.h"

static const struct cp_colmap ba_ts_map[] = {
    {CP_V_CYCLE, "cycleindex", 1},
    {CP_V_TIME, "testtime", 1},
    {CP_V_STAMP, "datetime", 1},
    {CP_V_CURRENT, "current", 1},
    {CP_V_VOLTAGE, "voltage", 1},
    {CP_V_QC, "chargecapacity", 1},
    {CP_V_QD, "dischargecapacity", 1},
    {CP_V_EC, "chargeenergy", 1},
    {CP_V_ED, "dischargeenergy", 1},
    {CP_V_TEMP, "celltemperature", 1},
    {0, NULL, 0},
};

static const struct cp_tabspec ba_ts_spec = {
    .format = "batteryarchive_ts",
    .map = ba_ts_map,
    .required =
        CP_BIT(CP_V_CYCLE) | CP_BIT(CP_V_TIME) | CP_BIT(CP_V_CURRENT) | CP_BIT(CP_V_VOLTAGE),
    .header_max_lines = 3,
    .counting = CP_TS_LARGEST,
    .summary_sibling = {"_timeseries", "_cycle_data"},
};

static int ba_ts_sniff(const char *path, const char *head, size_t len)
{
    (void)path;
    if (cp_head_starts(head, len, "Date_Time,Test_Time (s),Cycle_Index,Current (A)"))
        return 90;
    return 0;
}

static int ba_ts_read(const char *path, struct cp_reader_out *out, struct cp_error *err)
{
    return cp_tabread_run(&ba_ts_spec, path, out, err);
}

const struct cp_reader_ops cp_reader_batteryarchive_ts = {
    .name = "batteryarchive_ts",
    .description = "Battery Archive *_timeseries.csv",
    .sniff = ba_ts_sniff,
    .read = ba_ts_read,
};
