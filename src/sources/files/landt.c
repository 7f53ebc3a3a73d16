/*
 * Landt / Lanhe (LANDdt, LANHE) record tables exported as text (tab or comma), built from
 * documentation: no sample export was available. The layout is the record sheet of LANDdt
 * exports as the open-source readers that parse it list its columns (monocell's Landt profile
 * and test fixture, Landt plotting scripts): "Record, TestTime/h,
 * StepTime/h, Current/mA, Capacity/mAh, SpeCap/mAh/g, SOC|DOD/%, Voltage/V, Energy/mWh,
 * SpeEnergy/Wh/kg, AuxTemp/dC., AuxVolt/V, SysTime, <empty spacer>, Cycle-Index, Step-Index,
 * Step-State", with the step states R (rest), RateC/CCC/CVC (charge), RateD/CCD/CVD
 * (discharge). Units come from the header ("/h", "/mA", "/uAh" ...); "TestTime" without a unit
 * holds "h:mm:ss" durations. Capacity and energy are one unsigned counter per step, counted
 * in the direction of the step state.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cellpipe/error.h"
#include "cellpipe/tabread.h"
#include "cellpipe/textread.h"

static const struct cp_colmap landt_map[] = {
    {CP_V_CYCLE, "cycleindex cycleno cycle", 1},
    {CP_V_STEP, "stepindex stepno step", 1},
    {CP_V_TIME, "testtime", 1},
    {CP_V_STAMP, "systime", 1},
    {CP_V_CURRENT, "current", 1},
    {CP_V_VOLTAGE, "voltage", 1},
    {CP_V_Q, "capacity", 1},
    {CP_V_E, "energy", 1},
    {CP_V_STATE, "stepstate state", 1},
    {CP_V_TEMP, "auxtemp", 1},
    {0, NULL, 0},
};

/* R/Rest rest; a state ending in C charges (RateC, CCC, CVC), in D discharges. */
static int landt_direction(const char *state)
{
    size_t n = strlen(state);
    while (n > 0 && state[n - 1] == ' ')
        n--;
    if (n == 0)
        return 2;
    if ((n == 1 && state[0] == 'R') || strncasecmp(state, "Rest", 4) == 0)
        return 0;
    if (state[n - 1] == 'C')
        return 1;
    if (state[n - 1] == 'D')
        return -1;
    return 2;
}

static const struct cp_tabspec landt_spec = {
    .format = "landt",
    .map = landt_map,
    .required = CP_BIT(CP_V_TIME) | CP_BIT(CP_V_CURRENT) | CP_BIT(CP_V_VOLTAGE) | CP_BIT(CP_V_Q),
    .header_max_lines = 5,
    .direction = landt_direction,
};

static int landt_sniff(const char *path, const char *head, size_t len)
{
    (void)path;
    const char *nl = memchr(head, '\n', len);
    size_t first = nl ? (size_t)(nl - head) : len;
    if (!cp_head_starts(head, len, "Record"))
        return 0;
    if (cp_head_contains(head, first, "Voltage/V") &&
        (cp_head_contains(head, first, "Cycle-Index") ||
         cp_head_contains(head, first, "CycleNo")) &&
        cp_head_contains(head, first, "Capacity/"))
        return 90;
    return 0;
}

static int landt_read(const char *path, struct cp_reader_out *out, struct cp_error *err)
{
    char head[4096];
    long n = cp_read_head(path, head, sizeof(head) - 1);
    if (n < 0)
        return cp_error_set(err, CP_ENOINPUT, "cannot open '%s'", path);
    head[n] = '\0';
    const char *nl = strchr(head, '\n');
    size_t first = nl ? (size_t)(nl - head) : (size_t)n;
    snprintf(out->dialect, sizeof(out->dialect), "landt: record table, %s%s",
             memchr(head, '\t', first) ? "tab" : "comma",
             cp_head_contains(head, first, "TestTime/h") ? ", TestTime in hours" : "");
    return cp_tabread_run(&landt_spec, path, out, err);
}

static const char *const landt_dialects[] = {
    "record table (Record, TestTime/h, Current/mA, Capacity/mAh, Voltage/V, ..., Cycle-Index, "
    "Step-Index, Step-State), tab or comma",
    NULL,
};

const struct cp_reader_ops cp_reader_landt = {
    .name = "landt",
    .description = "Landt/Lanhe LANDdt record tables as text (built from documentation)",
    .dialects = landt_dialects,
    .sniff = landt_sniff,
    .read = landt_read,
};
