/*
 * PEC (SBT) CSV exports, built from documentation (no sample file was available): the layouts
 * of the two example files shipped with cellpy (examples/data/pec.csv, 2019, and
 * testdata/data/pec_multiple_tests, 2026) and its pec_csv loader. 28-50 "Key:,value" metadata
 * lines ("Request Year:,2019", "Test:,187", "Start Time:,02/22/2019 16:21:35", ...), in the
 * first generation a "#RESULTS CHECK" ... "#END RESULTS CHECK" block, then the column header
 * "Test,Cell,Rack,Shelf,Position,Cell ID,Step,[Instruction Name,]Cycle,Total Time (...),...".
 *
 * Units come from the header: "Voltage (mV)" or "(V)", "Current (mA)" or "(A)", capacities in
 * mAh, energies in mWh; the first generation names its energies "Charge Capacity (mWh)". Total
 * Time is "(Seconds)", "(Minutes)", "(Decimal Hours)" or "(Hours in hh:mm:ss.xxx)". Current is
 * negative on discharge; Charge/Discharge Capacity are counters per direction.
 */
#include <stdio.h>
#include <string.h>

#include "cellpipe/error.h"
#include "cellpipe/tabread.h"
#include "cellpipe/textread.h"
#include "cellpipe/timeutil.h"

static const struct cp_colmap pec_map[] = {
    {CP_V_CYCLE, "cycle", 1},
    {CP_V_STEP, "step", 1},
    /* "Decimal Hours" and "Hours in hh:mm:ss.xxx" are not units cp_unit_scale knows */
    {CP_V_TIME, "totaltime:decimalhours", 3600},
    {CP_V_TIME, "totaltime:hoursinhhmmss.xxx", 1},
    {CP_V_TIME, "totaltime", 1},
    {CP_V_STAMP, "realtime", 1},
    {CP_V_CURRENT, "current", 1},
    {CP_V_VOLTAGE, "voltage", 1},
    /* first generation: the energies are written "Charge Capacity (mWh)" */
    {CP_V_EC, "chargecapacity:mwh", 1e-3},
    {CP_V_ED, "dischargecapacity:mwh", 1e-3},
    {CP_V_EC, "chargecapacity:wh", 1},
    {CP_V_ED, "dischargecapacity:wh", 1},
    {CP_V_QC, "chargecapacity", 1},
    {CP_V_QD, "dischargecapacity", 1},
    {CP_V_EC, "chargeenergy", 1},
    {CP_V_ED, "dischargeenergy", 1},
    {CP_V_TEMP, "cellsurfacetemperature temp celltemperature", 1},
    {CP_V_IR, "dcinternalresistance internalresistance1", 1},
    {0, NULL, 0},
};

/* "Key:,value" -> the cell's metadata (only the keys that name the cell or the test). */
static int pec_preamble(struct cp_tabread *tr, char *line, struct cp_error *err)
{
    static const struct {
        const char *key, *meta;
    } keys[] = {{"Test:,", "test_id"},
                {"TestRegime Name:,", "procedure"},
                {"Chemistry:,", "chemistry"},
                {"Product ID:,", "barcode"}};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        size_t n = strlen(keys[i].key);
        if (strncmp(line, keys[i].key, n) == 0)
            return cp_tabread_meta(tr, keys[i].meta, line + n) < 0 ? cp_error_oom(err) : 0;
    }
    if (strncmp(line, "Start Time:,", 12) == 0) {
        double t;
        int time_only;
        char date[40];
        if (cp_parse_stamp(line + 12, &t, &time_only) == 0 && !time_only) {
            cp_format_time((int64_t)t, date, sizeof(date));
            if (cp_tabread_meta(tr, "start_date", date) < 0)
                return cp_error_oom(err);
        }
    }
    return 0;
}

static const struct cp_tabspec pec_spec = {
    .format = "pec",
    .map = pec_map,
    .required = CP_BIT(CP_V_CYCLE) | CP_BIT(CP_V_TIME) | CP_BIT(CP_V_CURRENT) |
                CP_BIT(CP_V_VOLTAGE) | CP_BIT(CP_V_QC) | CP_BIT(CP_V_QD),
    .header_max_lines = 120,
    .preamble = pec_preamble,
};

static int pec_sniff(const char *path, const char *head, size_t len)
{
    (void)path;
    int key_lines =
        cp_head_starts(head, len, "Request Year:,") || cp_head_starts(head, len, "Test:,");
    if (key_lines && cp_head_contains(head, len, "\nTest,Cell,Rack,") &&
        cp_head_contains(head, len, ",Total Time ("))
        return 90;
    if (cp_head_starts(head, len, "Test,Cell,Rack,Shelf,Position,"))
        return 85;
    return 0;
}

static void describe(const char *head, size_t len, char *out, size_t n)
{
    int gen2 = cp_head_contains(head, len, ",Instruction Name,") ||
               cp_head_contains(head, len, "Charge Energy (");
    snprintf(out, n, "pec: generation %d%s%s%s", gen2 ? 2 : 1,
             cp_head_contains(head, len, "#RESULTS CHECK") ? ", #RESULTS CHECK block" : "",
             cp_head_contains(head, len, "Voltage (mV)") ? ", mV/mA" : ", V/A",
             cp_head_contains(head, len, "(Hours in hh:mm:ss.xxx)") ? ", hh:mm:ss times" : "");
}

static int pec_read(const char *path, struct cp_reader_out *out, struct cp_error *err)
{
    char head[16384];
    long n = cp_read_head(path, head, sizeof(head) - 1);
    if (n < 0)
        return cp_error_set(err, CP_ENOINPUT, "cannot open '%s'", path);
    head[n] = '\0';
    describe(head, (size_t)n, out->dialect, sizeof(out->dialect));
    return cp_tabread_run(&pec_spec, path, out, err);
}

static const char *const pec_dialects[] = {
    "generation 1: Key:,value lines, #RESULTS CHECK block, mV/mA, Total Time (Seconds), "
    "energies as Charge Capacity (mWh)",
    "generation 2: Key:,value lines, Instruction Name, V/A, Total Time (Hours in hh:mm:ss.xxx), "
    "Charge Energy (mWh)",
    NULL,
};

const struct cp_reader_ops cp_reader_pec = {
    .name = "pec",
    .description = "PEC (SBT) CSV exports, both header generations (built from documentation)",
    .dialects = pec_dialects,
    .sniff = pec_sniff,
    .read = pec_read,
};
