/*
 * BaSyTec result files exported as text, built from documentation: no sample export was
 * available. Layout as BaSyTec's result export writes it and as the open-source readers that
 * parse it describe it (a battery-data-format BaSyTec plugin and its tests, lab analysis
 * scripts): "~"-prefixed preamble lines ("~Resultfile from Basytec Battery Test System",
 * "~Name of Test: ...", "~Battery: ...", "~Start of Test: 14.11.2022 10:40:01"), then the
 * column header, also "~"-prefixed and tab-separated: "~Time[h] DataSet Date Time t-Step[h]
 * t-Set[h] t-Cyc[h] Line Command U[V] I[A] Ah[Ah] Ah-Cyc-Charge-0 Ah-Cyc-Discharge-0 Ah-Step
 * ... Wh[Wh/kg] T1[°C] R-DC Cyc-Count Count State". Units come from the brackets; German
 * installations write decimal commas. Current is negative on discharge; Ah-Cyc-Charge-0 and
 * Ah-Cyc-Discharge-0 count within the cycle (the discharge one negative); Ah[Ah] is the net
 * charge and is not read as a counter.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cellpipe/error.h"
#include "cellpipe/tabread.h"
#include "cellpipe/textread.h"
#include "cellpipe/timeutil.h"

static const struct cp_colmap basytec_map[] = {
    {CP_V_CYCLE, "cyccount", 1},
    {CP_V_STEP, "line", 1},
    {CP_V_TIME, "time", 3600},
    {CP_V_CURRENT, "i", 1},
    {CP_V_VOLTAGE, "u", 1},
    {CP_V_QC, "ahcyccharge0 ahcyccharge", 1},
    {CP_V_QD, "ahcycdischarge0 ahcycdischarge", 1},
    {CP_V_EC, "whcyccharge0 whcyccharge", 1},
    {CP_V_ED, "whcycdischarge0 whcycdischarge", 1},
    {CP_V_STATE, "command", 1},
    {CP_V_TEMP, "t1", 1},
    {CP_V_IR, "rdc", 1},
    {0, NULL, 0},
};

static int basytec_direction(const char *state)
{
    if (strcasecmp(state, "Charge") == 0)
        return 1;
    if (strcasecmp(state, "Discharge") == 0)
        return -1;
    if (strcasecmp(state, "Pause") == 0 || strcasecmp(state, "Rest") == 0)
        return 0;
    return 2;
}

/* "DD.MM.YYYY HH:MM:SS" (BaSyTec writes the German order) -> Unix seconds. 0 or -1. */
static int german_stamp(const char *s, double *out)
{
    int d, m, y, hh = 0, mm = 0, ss = 0;
    if (sscanf(s, "%d.%d.%d %d:%d:%d", &d, &m, &y, &hh, &mm, &ss) < 3 || m < 1 || m > 12 || d < 1 ||
        d > 31)
        return -1;
    char iso[40];
    snprintf(iso, sizeof(iso), "%04d-%02d-%02d %02d:%02d:%02d", y, m, d, hh, mm, ss);
    int time_only;
    return cp_parse_stamp(iso, out, &time_only);
}

static int basytec_preamble(struct cp_tabread *tr, char *line, struct cp_error *err)
{
    static const struct {
        const char *key, *meta;
    } keys[] = {{"~Name of Test:", "test_id"}, {"~Battery:", "barcode"}};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        size_t n = strlen(keys[i].key);
        if (strncmp(line, keys[i].key, n) == 0) {
            const char *v = line + n + strspn(line + n, " \t");
            return cp_tabread_meta(tr, keys[i].meta, v) < 0 ? cp_error_oom(err) : 0;
        }
    }
    double t;
    char date[40];
    if (strncmp(line, "~Start of Test:", 15) == 0 &&
        german_stamp(line + 15 + strspn(line + 15, " "), &t) == 0) {
        cp_format_time((int64_t)t, date, sizeof(date));
        if (cp_tabread_meta(tr, "start_date", date) < 0)
            return cp_error_oom(err);
    }
    return 0;
}

static const struct cp_tabspec basytec_spec = {
    .format = "basytec",
    .map = basytec_map,
    .required = CP_BIT(CP_V_TIME) | CP_BIT(CP_V_CURRENT) | CP_BIT(CP_V_VOLTAGE),
    .header_max_lines = 60,
    .counting = CP_TS_LARGEST,
    .preamble = basytec_preamble,
    .direction = basytec_direction,
};

static int basytec_sniff(const char *path, const char *head, size_t len)
{
    (void)path;
    if (cp_head_starts(head, len, "~Resultfile from Basytec"))
        return 95;
    if (cp_head_starts(head, len, "~") && cp_head_contains(head, len, "~Time[") &&
        cp_head_contains(head, len, "\tU[V]\t") && cp_head_contains(head, len, "\tI[A]\t"))
        return 85;
    return 0;
}

static int basytec_read(const char *path, struct cp_reader_out *out, struct cp_error *err)
{
    char head[8192];
    long n = cp_read_head(path, head, sizeof(head) - 1);
    if (n < 0)
        return cp_error_set(err, CP_ENOINPUT, "cannot open '%s'", path);
    head[n] = '\0';
    const char *h = strstr(head, "~Time[");
    const char *u = h ? strchr(h, ']') : NULL;
    char unit[8] = "h";
    if (h && u && u - h - 6 > 0 && u - h - 6 < (long)sizeof(unit))
        snprintf(unit, sizeof(unit), "%.*s", (int)(u - h - 6), h + 6);
    snprintf(out->dialect, sizeof(out->dialect), "basytec: ~ preamble, tab, Time[%s]%s", unit,
             cp_head_contains(head, (size_t)n, "Ah-Cyc-Charge") ? ", Ah-Cyc counters" : "");
    return cp_tabread_run(&basytec_spec, path, out, err);
}

static const char *const basytec_dialects[] = {
    "~ preamble, tab-separated ~Time[h] ... U[V] I[A] ... Ah-Cyc-Charge-0 Ah-Cyc-Discharge-0 "
    "... Cyc-Count, decimal point or comma",
    NULL,
};

const struct cp_reader_ops cp_reader_basytec = {
    .name = "basytec",
    .description = "BaSyTec result files as text (built from documentation)",
    .dialects = basytec_dialects,
    .sniff = basytec_sniff,
    .read = basytec_read,
};
