/*
 * Maccor text and CSV exports: a free-text header line ("Today's Date ... Date of Test: ...
 * Filename: ... Procedure: ... Comment/Barcode: ...") or two CSV header lines, then the column
 * header (tab or comma). Dialects: "Test (Sec)" or "Test (Min)" or "TestTime" durations
 * ("0d 00:00:00.0000"); "DPt Time" with a date, or a clock only (the date then comes from
 * "Date of Test:"); Amps signed, or unsigned with the direction in State (C/D/R/...);
 * decimal commas; milli-unit columns (mAmps, mAmp-hr). Amp-hr/Watt-hr reset each step and
 * count in the direction of the step. The AC impedance (EIS) export is recognised and refused.
 * See docs/readers.md.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cellpipe/error.h"
#include "cellpipe/tabread.h"
#include "cellpipe/textread.h"
#include "cellpipe/timeutil.h"

static const struct cp_colmap maccor_map[] = {
    {CP_V_CYCLE, "cyc cyclec cycle", 1},
    {CP_V_STEP, "step", 1},
    {CP_V_TIME, "test testtime", 1},
    {CP_V_STAMP, "dpttime", 1},
    {CP_V_CURRENT, "amps current amp", 1},
    {CP_V_CURRENT, "mamps mamp", 1e-3},
    {CP_V_VOLTAGE, "volts voltage", 1},
    {CP_V_VOLTAGE, "mvolts", 1e-3},
    {CP_V_Q, "amphr capacity amphrs", 1},
    {CP_V_Q, "mamphr", 1e-3},
    {CP_V_E, "watthr energy watthrs", 1},
    {CP_V_E, "mwatthr", 1e-3},
    {CP_V_STATE, "state md", 1},
    {CP_V_TEMP, "temp1 temperature temp", 1},
    {CP_V_IR, "dcir", 1},
    {0, NULL, 0},
};

/* Maccor states: C charge, D discharge, R rest; others (O, S, P, FRA ...) by the current. */
static int maccor_direction(const char *state)
{
    while (*state == ' ')
        state++;
    if ((state[0] == 'C' || state[0] == 'c') && state[1] == '\0')
        return 1;
    if ((state[0] == 'D' || state[0] == 'd') && state[1] == '\0')
        return -1;
    if ((state[0] == 'R' || state[0] == 'r') && state[1] == '\0')
        return 0;
    return 2;
}

/* Text after `label` up to a tab (or the end), blanks and one comma trimmed. */
static void field_after(const char *line, const char *label, char *out, size_t n)
{
    out[0] = '\0';
    const char *p = strstr(line, label);
    if (!p)
        return;
    p += strlen(label);
    while (*p == ' ' || *p == '\t' || *p == ',')
        p++;
    size_t k = 0;
    while (p[k] && p[k] != '\t' && k + 1 < n)
        k++;
    while (k > 0 && (p[k - 1] == ' ' || p[k - 1] == ','))
        k--;
    memcpy(out, p, k);
    out[k] = '\0';
}

/* Cut `s` where the next label starts (" Procedure:" follows the file name on the same field). */
static void cut_at(char *s, const char *label)
{
    char *p = strstr(s, label);
    if (p)
        *p = '\0';
    size_t k = strlen(s);
    while (k > 0 && s[k - 1] == ' ')
        s[--k] = '\0';
}

static int maccor_preamble(struct cp_tabread *tr, char *line, struct cp_error *err)
{
    char buf[512];
    field_after(line, "Date of Test:", buf, sizeof(buf));
    if (buf[0]) {
        double t;
        int time_only;
        if (cp_parse_stamp(buf, &t, &time_only) == 0 && !time_only) {
            double day = t - (double)((long long)t % 86400);
            char date[32];
            cp_tabread_set_day(tr, day);
            cp_format_date((int64_t)day, date, sizeof(date));
            if (cp_tabread_meta(tr, "start_date", date) < 0)
                return cp_error_oom(err);
        }
    }
    field_after(line, "Filename:", buf, sizeof(buf));
    cut_at(buf, " Procedure:");
    int rc = cp_tabread_meta(tr, "source_file", buf);
    field_after(line, "Procedure:", buf, sizeof(buf));
    rc |= cp_tabread_meta(tr, "procedure", buf);
    field_after(line, "Comment/Barcode:", buf, sizeof(buf));
    rc |= cp_tabread_meta(tr, "barcode", buf);
    return rc < 0 ? cp_error_oom(err) : 0;
}

static const struct cp_tabspec maccor_spec = {
    .format = "maccor",
    .map = maccor_map,
    .required = CP_BIT(CP_V_CYCLE) | CP_BIT(CP_V_CURRENT) | CP_BIT(CP_V_VOLTAGE) | CP_BIT(CP_V_Q),
    .header_max_lines = 20,
    .preamble = maccor_preamble,
    .direction = maccor_direction,
};

static int is_eis(const char *head, size_t len)
{
    return cp_head_starts(head, len, "MACCOR, INC.") &&
           cp_head_contains(head, len > 200 ? 200 : len, "AC Impedance");
}

static int maccor_sniff(const char *path, const char *head, size_t len)
{
    (void)path;
    if (is_eis(head, len))
        return 80;
    if (cp_head_starts(head, len, "Today's Date") &&
        (cp_head_contains(head, len, "Rec#") || cp_head_contains(head, len, "Rec,") ||
         cp_head_contains(head, len, "Date of Test")))
        return 95;
    if (cp_head_starts(head, len, "Rec#") && cp_head_contains(head, len, "Cyc#"))
        return 85;
    return 0;
}

static int maccor_read(const char *path, struct cp_reader_out *out, struct cp_error *err)
{
    char head[256];
    long n = cp_read_head(path, head, sizeof(head));
    if (n < 0)
        return cp_error_set(err, CP_ENOINPUT, "cannot open '%s'", path);
    if (is_eis(head, (size_t)n))
        return cp_error_set(err, CP_EDATA,
                            "%s:1: Maccor AC impedance (EIS) export holds no "
                            "cycling data: expected a cycling export with Cyc#, Amps, Volts",
                            path);
    return cp_tabread_run(&maccor_spec, path, out, err);
}

const struct cp_reader_ops cp_reader_maccor = {
    .name = "maccor",
    .description = "Maccor text/CSV exports (tab or comma, seconds or minutes, state column)",
    .sniff = maccor_sniff,
    .read = maccor_read,
};
