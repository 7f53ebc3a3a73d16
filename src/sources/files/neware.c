/*
 * Neware BTS CSV exports.
 *  - flat (record layer): one row per record with Cycle ID/Index, Step ID/Index, Step Type,
 *    Total Time or Realtime/Date, Current(mA|A), Voltage(V), Capacity (per step, unsigned) and/or
 *    Chg./DChg. capacity and energy columns;
 *  - hierarchical: three header lines ("Cycle ID,..." / ",Step ID,Step Name,..." /
 *    ",,Record ID,...") then cycle rows (first field set), step rows (second field set) and
 *    record rows (two empty leading fields); records take their cycle, step and direction
 *    from the rows above them.
 * Step types containing "DChg" discharge, "Chg" charge, "Rest" rest. See docs/readers.md.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cellpipe/error.h"
#include "cellpipe/tabread.h"
#include "cellpipe/textread.h"

static const struct cp_colmap neware_map[] = {
    {CP_V_CYCLE, "cycleid cycleindex cycle", 1},
    {CP_V_STEP, "stepid stepindex step", 1},
    {CP_V_TIME, "totaltime testtime", 1},
    {CP_V_STAMP, "realtime date absolutetime", 1},
    {CP_V_CURRENT, "current cur", 1},
    {CP_V_VOLTAGE, "voltage", 1},
    {CP_V_QC, "capacitancechg chgcap capacitychg", 1},
    {CP_V_QD, "capacitancedchg dchgcap capacitydchg", 1},
    {CP_V_EC, "engychg chgenergy energychg", 1},
    {CP_V_ED, "engydchg dchgenergy energydchg", 1},
    {CP_V_Q, "capacity", 1},
    {CP_V_E, "energy", 1},
    {CP_V_STATE, "steptype stepname status", 1},
    {CP_V_TEMP, "temperature t1 auxt1", 1},
    {CP_V_IR, "dcir", 1},
    {0, NULL, 0},
};

/* Case-insensitive substring (strcasestr is a GNU extension). */
static int has(const char *s, const char *needle)
{
    size_t n = strlen(needle);
    for (; *s; s++)
        if (strncasecmp(s, needle, n) == 0)
            return 1;
    return 0;
}

static int neware_direction(const char *state)
{
    if (has(state, "dchg") || has(state, "discharge"))
        return -1;
    if (has(state, "chg") || has(state, "charge"))
        return 1;
    if (has(state, "rest"))
        return 0;
    return 2;
}

/* Hierarchical rows: a cycle row sets the cycle, a step row the step and its type. */
static int neware_classify(struct cp_tabread *tr, char **f, int nf, struct cp_error *err)
{
    (void)err;
    if (nf < 3)
        return 0;
    double x;
    if (f[0][0] && cp_parse_num(f[0], &x) == 0) {
        cp_tabread_context(tr, (int64_t)x, CP_I64_NA, "");
        return 1;
    }
    if (!f[0][0] && f[1][0] && cp_parse_num(f[1], &x) == 0) {
        cp_tabread_context(tr, CP_I64_NA, (int64_t)x, f[2]);
        return 1;
    }
    return 0;
}

static const struct cp_tabspec neware_flat = {
    .format = "neware",
    .map = neware_map,
    .required = CP_BIT(CP_V_CYCLE) | CP_BIT(CP_V_CURRENT) | CP_BIT(CP_V_VOLTAGE),
    .header_max_lines = 5,
    .direction = neware_direction,
};

static const struct cp_tabspec neware_layered = {
    .format = "neware",
    .map = neware_map,
    .required = CP_BIT(CP_V_CURRENT) | CP_BIT(CP_V_VOLTAGE),
    .header_max_lines = 5,
    .direction = neware_direction,
    .classify = neware_classify,
};

/* Line `k` (from 0) of the head, as [*b, *e); 0 when the head holds fewer lines. */
static int head_line(const char *head, size_t len, int k, const char **b, const char **e)
{
    const char *p = head, *end = head + len;
    if (len >= 3 && memcmp(head, "\xef\xbb\xbf", 3) == 0)
        p += 3;
    for (;; k--) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return 0;
        if (k == 0) {
            *b = p;
            *e = nl;
            return 1;
        }
        p = nl + 1;
    }
}

/* Line k starts with `empty` empty fields, then a field whose key starts with `word`
 * ("Cycle ID" / "Cycle Index", ",Step ID" / ",Step Index", ",,Record ID" / ",,Record Index"). */
static int level_line(const char *head, size_t len, int k, int empty, const char *word)
{
    const char *b, *e;
    if (!head_line(head, len, k, &b, &e))
        return 0;
    char delim = memchr(b, '\t', (size_t)(e - b)) ? '\t' : ',';
    for (int i = 0; i < empty; i++, b++)
        if (b >= e || *b != delim)
            return 0;
    size_t n = strlen(word);
    return (size_t)(e - b) > n && strncasecmp(b, word, n) == 0;
}

/* BTSDA's hierarchical ("regular") export: three header lines, one per level. */
static int is_layered(const char *head, size_t len)
{
    return level_line(head, len, 0, 0, "Cycle I") && level_line(head, len, 1, 1, "Step I") &&
           level_line(head, len, 2, 2, "Record I");
}

static int neware_sniff(const char *path, const char *head, size_t len)
{
    (void)path;
    if (is_layered(head, len))
        return 90;
    size_t first = 0;
    while (first < len && head[first] != '\n')
        first++;
    int ids =
        cp_head_contains(head, first, "Cycle ID") || cp_head_contains(head, first, "Cycle Index");
    int neware = cp_head_contains(head, first, "Record ID") ||
                 cp_head_contains(head, first, "DChg. Cap") ||
                 cp_head_contains(head, first, "Capacitance_DChg") ||
                 cp_head_contains(head, first, "Step Type");
    return ids && neware ? 85 : 0;
}

static int neware_read(const char *path, struct cp_reader_out *out, struct cp_error *err)
{
    char head[4096];
    long n = cp_read_head(path, head, sizeof(head));
    if (n < 0)
        return cp_error_set(err, CP_ENOINPUT, "cannot open '%s'", path);
    int layered = is_layered(head, (size_t)n);
    snprintf(out->dialect, sizeof(out->dialect), "%s",
             layered ? "hierarchical (cycle, step, record)" : "record layer");
    return cp_tabread_run(layered ? &neware_layered : &neware_flat, path, out, err);
}

static const char *const neware_dialects[] = {"record layer", "hierarchical (cycle, step, record)",
                                              NULL};

const struct cp_reader_ops cp_reader_neware = {
    .name = "neware",
    .description = "Neware BTS CSV exports (flat, and hierarchical cycle/step/record)",
    .dialects = neware_dialects,
    .sniff = neware_sniff,
    .read = neware_read,
};
