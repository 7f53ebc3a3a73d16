/*
 * Maccor text and CSV exports. Header styles: a free-text line ("Today's Date ... Date of Test:
 * ... Filename: ... Procedure: ... Comment/Barcode: ..."), the same with the quote doubled
 * ("Today''s Date", blank lines between the header lines), two CSV lines ("Today's Date ,..."
 * and "Date of Test:,..."), the MIMS Client's 13-line "Name:/Channel:/Started ..." block, or
 * none (a re-saved table starting at "Rec"). Columns: "Test (Sec)", "Test (Min)", "TestTime"
 * as "0d 00:48:6.13" durations, or "TestTime" as minutes in the Name/Channel export;
 * "DPt Time" with a date (24- or 12-hour) or a clock only (the date then comes from "Date of
 * Test:"); Amps signed, or unsigned with the direction in State/Md (C/D/R/...); "Amp-hr" or
 * "Cap. [Ah]", "Watt-hr" or "Ener. [Wh]"; decimal commas; milli-unit columns (mAmps,
 * mAmp-hr). Capacity and energy reset each step and count in the direction of the step. The
 * AC impedance (EIS) export is recognised and refused. See docs/readers.md.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/tabread.h"
#include "cellpipe/textread.h"
#include "cellpipe/timeutil.h"

/* Every column but the test time, whose default unit depends on the header style. */
#define MACCOR_COLUMNS                                                                             \
    {CP_V_CYCLE, "cyc cyclec cycle", 1}, {CP_V_STEP, "step", 1}, {CP_V_STAMP, "dpttime", 1},       \
        {CP_V_CURRENT, "amps current amp", 1}, {CP_V_CURRENT, "mamps mamp", 1e-3},                 \
        {CP_V_VOLTAGE, "volts voltage", 1}, {CP_V_VOLTAGE, "mvolts", 1e-3},                        \
        {CP_V_Q, "amphr capacity amphrs cap", 1}, {CP_V_Q, "mamphr", 1e-3},                        \
        {CP_V_E, "watthr energy watthrs ener", 1}, {CP_V_E, "mwatthr", 1e-3},                      \
        {CP_V_STATE, "state md", 1}, {CP_V_TEMP, "temp1 temperature temp", 1},                     \
        {CP_V_IR, "dcir", 1},                                                                      \
    {                                                                                              \
        0, NULL, 0                                                                                 \
    }

static const struct cp_colmap maccor_map[] = {
    {CP_V_TIME, "test testtime", 1},
    MACCOR_COLUMNS,
};

/* The MIMS Client's Name/Channel export writes TestTime in minutes without saying so (the
 * galvanolab files: 0.083333 between rows 5 s apart by their DPT Time). */
static const struct cp_colmap maccor_mims_map[] = {
    {CP_V_TIME, "test testtime", 60},
    MACCOR_COLUMNS,
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

/* A start date: time-only stamps of the rows belong to its day. */
static int start_date(struct cp_tabread *tr, const char *text, struct cp_error *err)
{
    double t;
    int time_only;
    if (!text[0] || cp_parse_stamp(text, &t, &time_only) != 0 || time_only)
        return 0;
    double day = t - (double)((long long)t % 86400);
    char date[32];
    cp_tabread_set_day(tr, day);
    cp_format_date((int64_t)day, date, sizeof(date));
    return cp_tabread_meta(tr, "start_date", date) < 0 ? cp_error_oom(err) : 0;
}

/* One "Key<TAB>value" line of the Name/Channel block. */
static int mims_line(struct cp_tabread *tr, const char *line, struct cp_error *err)
{
    static const struct {
        const char *key, *meta;
    } keys[] = {{"Name:\t", "source_file"},
                {"Channel:\t", "channel"},
                {"Procedure\t", "procedure"},
                {"Tester\t", "tester_name"}};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        size_t n = strlen(keys[i].key);
        if (strncmp(line, keys[i].key, n) == 0)
            return cp_tabread_meta(tr, keys[i].meta, line + n) < 0 ? cp_error_oom(err) : 0;
    }
    if (strncmp(line, "Started\t", 8) == 0)
        return start_date(tr, line + 8, err);
    return 0;
}

static int maccor_preamble(struct cp_tabread *tr, char *line, struct cp_error *err)
{
    char buf[512];
    if (mims_line(tr, line, err) < 0)
        return -CP_EINTERNAL;
    field_after(line, "Date of Test:", buf, sizeof(buf));
    if (start_date(tr, buf, err) < 0)
        return -CP_EINTERNAL;
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
    .header_max_lines = 24,
    .preamble = maccor_preamble,
    .direction = maccor_direction,
};

static const struct cp_tabspec maccor_mims_spec = {
    .format = "maccor",
    .map = maccor_mims_map,
    .required = CP_BIT(CP_V_CYCLE) | CP_BIT(CP_V_CURRENT) | CP_BIT(CP_V_VOLTAGE) | CP_BIT(CP_V_Q),
    .header_max_lines = 24,
    .preamble = maccor_preamble,
    .direction = maccor_direction,
};

static int is_eis(const char *head, size_t len)
{
    return cp_head_starts(head, len, "MACCOR, INC.") &&
           cp_head_contains(head, len > 200 ? 200 : len, "AC Impedance");
}

/* The MIMS Client block: "Name:<TAB>..." then "Channel:<TAB>..." on the first lines. */
static int is_mims(const char *head, size_t len)
{
    return cp_head_starts(head, len, "Name:\t") &&
           cp_head_contains(head, len > 400 ? 400 : len, "\nChannel:\t");
}

static int maccor_sniff(const char *path, const char *head, size_t len)
{
    (void)path;
    if (is_eis(head, len))
        return 80;
    int today =
        cp_head_starts(head, len, "Today's Date") || cp_head_starts(head, len, "Today''s Date");
    if (today && (cp_head_contains(head, len, "Rec#") || cp_head_contains(head, len, "Rec,") ||
                  cp_head_contains(head, len, "Date of Test")))
        return 95;
    if (is_mims(head, len) && cp_head_contains(head, len, "\nRec\t") &&
        (cp_head_contains(head, len, "\tMd\t") || cp_head_contains(head, len, "Cap. [Ah]")))
        return 95;
    if (cp_head_starts(head, len, "Rec#") && cp_head_contains(head, len, "Cyc#"))
        return 85;
    /* a re-saved table (DiffCapAnalyzer): "Rec,Cycle C,Step,...,Cap. [Ah],...,Md,..." */
    if (cp_head_starts(head, len, "Rec") && cp_head_contains(head, len, "Cycle C") &&
        (cp_head_contains(head, len, "Cap. [Ah]") || cp_head_contains(head, len, "Amp-hr")))
        return 85;
    return 0;
}

/* ---- the dialect, from the head of the file (for inspect and the log) ---- */

#define LOOK_FIELDS 64

struct look {
    char *fields[LOOK_FIELDS];
    int nf;
    int time, stamp, current, state, volt; /* column numbers, -1 when absent */
    char delim;
};

static int find_col(const struct look *lk, const char *const *names)
{
    for (int f = 0; f < lk->nf && f < LOOK_FIELDS; f++)
        for (const char *const *n = names; *n; n++)
            if (strcasecmp(lk->fields[f], *n) == 0)
                return f;
    return -1;
}

/* Split the column header found in `line`: 1 when it is one ("Rec" or "Rec#" first). */
static int look_header(struct look *lk, char *line)
{
    if (strncmp(line, "\xEF\xBB\xBF", 3) == 0)
        line += 3;
    if (strncmp(line, "Rec", 3) != 0)
        return 0;
    static const char *const tnames[] = {"Test (Sec)", "Test (Min)", "TestTime", "Test Time (sec)",
                                         NULL};
    static const char *const snames[] = {"DPt Time", "DPT Time", NULL};
    static const char *const cnames[] = {"Amps", "Current [A]", "Current", "mAmps", NULL};
    static const char *const mnames[] = {"State", "Md", NULL};
    static const char *const vnames[] = {"Volts", "Voltage [V]", "Voltage", NULL};
    lk->delim = cp_guess_delim(line);
    lk->nf = cp_split(line, lk->delim, lk->fields, LOOK_FIELDS);
    lk->time = find_col(lk, tnames);
    lk->stamp = find_col(lk, snames);
    lk->current = find_col(lk, cnames);
    lk->state = find_col(lk, mnames);
    lk->volt = find_col(lk, vnames);
    return 1;
}

/* Append ", part" when it fits whole: out->dialect is short, the parts come most telling first. */
static void add_part(char *out, size_t n, const char *part)
{
    size_t k = strlen(out);
    if (k + 2 + strlen(part) < n)
        snprintf(out + k, n - k, "%s%s", k > strlen("maccor: ") ? ", " : "", part);
}

static const char *header_style(const char *head, size_t len)
{
    if (is_mims(head, len))
        return "13-line Name/Channel header";
    if (cp_head_starts(head, len, "Today''s Date"))
        return "Today''s Date header, blank lines";
    if (cp_head_starts(head, len, "Today's Date ,"))
        return "two-line CSV header";
    if (cp_head_starts(head, len, "Today's Date"))
        return "Today's Date header line";
    return "no header";
}

/* The time column: its unit as the reader takes it. */
static const char *time_kind(const struct look *lk, char *const *row, int nrow, int mims)
{
    if (lk->time < 0)
        return NULL;
    const char *name = lk->fields[lk->time];
    if (strcasecmp(name, "Test (Min)") == 0)
        return "Test (Min) minutes";
    if (lk->time < nrow && strchr(row[lk->time], 'd') && strchr(row[lk->time], ':'))
        return "d hh:mm:ss durations";
    if (strcasecmp(name, "TestTime") == 0 && mims)
        return "TestTime minutes";
    return NULL;
}

/* Features of the first data row: 12-hour or clock-only stamps, decimal commas, unsigned
 * current. */
static void row_parts(const struct look *lk, char *const *row, int nrow, char *out, size_t n)
{
    if (lk->stamp >= 0 && lk->stamp < nrow) {
        const char *s = row[lk->stamp];
        if (strstr(s, "AM") || strstr(s, "PM"))
            add_part(out, n, "12-hour DPT Time");
        else if (s[0] && !strchr(s, '/') && !strchr(s, '-'))
            add_part(out, n, "clock-only DPt Time");
    }
    if (lk->volt >= 0 && lk->volt < nrow && lk->delim != ',' && strchr(row[lk->volt], ','))
        add_part(out, n, "decimal comma");
    if (lk->state >= 0 && strcmp(lk->fields[lk->state], "Md") == 0)
        add_part(out, n, "unsigned current, Md");
}

/* The dialect of the file whose first bytes are head[0..len) (NUL-terminated); head is split
 * in place. */
static void describe(char *head, size_t len, char *out, size_t n)
{
    int mims = is_mims(head, len);
    snprintf(out, n, "maccor: %s", header_style(head, len));
    struct look lk = {.nf = 0};
    char *row[LOOK_FIELDS], *save = NULL;
    int nrow = 0, found = 0;
    for (char *line = strtok_r(head, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
        if (!found) {
            found = look_header(&lk, line);
            continue;
        }
        nrow = cp_split(line, lk.delim, row, LOOK_FIELDS);
        break;
    }
    if (!found)
        return;
    const char *tk = time_kind(&lk, row, nrow, mims);
    if (tk)
        add_part(out, n, tk);
    for (int f = 0; f < lk.nf && f < LOOK_FIELDS; f++)
        if (strncmp(lk.fields[f], "mAmp", 4) == 0) {
            add_part(out, n, "milli-unit columns");
            break;
        }
    row_parts(&lk, row, nrow, out, n);
}

#define HEAD_MAX 65536

static int maccor_read(const char *path, struct cp_reader_out *out, struct cp_error *err)
{
    char *head = cp_malloc(HEAD_MAX);
    if (!head)
        return cp_error_oom(err);
    long n = cp_read_head(path, head, HEAD_MAX - 1);
    if (n < 0) {
        cp_free(head);
        return cp_error_set(err, CP_ENOINPUT, "cannot open '%s'", path);
    }
    head[n] = '\0';
    int eis = is_eis(head, (size_t)n), mims = is_mims(head, (size_t)n);
    describe(head, (size_t)n, out->dialect, sizeof(out->dialect));
    cp_free(head);
    if (eis)
        return cp_error_set(err, CP_EDATA,
                            "%s:1: Maccor AC impedance (EIS) export holds no "
                            "cycling data: expected a cycling export with Cyc#, Amps, Volts",
                            path);
    return cp_tabread_run(mims ? &maccor_mims_spec : &maccor_spec, path, out, err);
}

static const char *const maccor_dialects[] = {
    "Today's Date header line (tab), Test (Sec) or Test (Min), signed Amps",
    "Today''s Date header, blank lines between header lines",
    "two-line CSV header (Today's Date ,/Date of Test:,)",
    "13-line Name/Channel header, Cap. [Ah]/Ener. [Wh]/Md, TestTime minutes",
    "no header (re-saved table starting at Rec)",
    "TestTime as d hh:mm:ss durations",
    "12-hour or clock-only DPt Time",
    "unsigned current with a State/Md column",
    "milli-unit columns (mAmps, mAmp-hr)",
    "decimal comma",
    NULL,
};

const struct cp_reader_ops cp_reader_maccor = {
    .name = "maccor",
    .description = "Maccor text/CSV exports (tab or comma, seconds or minutes, state column)",
    .dialects = maccor_dialects,
    .sniff = maccor_sniff,
    .read = maccor_read,
};
