/*
 * Novonix HPC/UHPC CSV: "[Summary]" ... "[End Summary]" (cell metadata), "[Protocol]" ...
 * "[End Protocol]", then "[Data]" and the column header. Lines may be wrapped whole in double
 * quotes (older HPC software). Capacity (Ah) and Energy (Wh) are per step and unsigned: they
 * count as charge or discharge by the sign of the current. Run Time is in hours. The BEEP-style
 * per-cycle summary "<stem>_metadata.csv" is recognised and carries no data rows.
 * See docs/readers.md.
 */
#include <stdio.h>
#include <string.h>

#include "cellpipe/error.h"
#include "cellpipe/tabread.h"
#include "cellpipe/textread.h"

static const char *const novonix_dialects[] = {"HPC/UHPC, unquoted", "HPC, every line quoted",
                                               "BEEP per-cycle summary (_metadata.csv)", NULL};

static const struct cp_colmap novonix_map[] = {
    {CP_V_CYCLE, "cyclenumber", 1}, {CP_V_STEP, "stepnumber", 1},
    {CP_V_TIME, "runtime", 3600},   {CP_V_STAMP, "dateandtime", 1},
    {CP_V_CURRENT, "current", 1},   {CP_V_VOLTAGE, "potential voltage", 1},
    {CP_V_Q, "capacity", 1},        {CP_V_E, "energy", 1},
    {CP_V_TEMP, "temperature", 1},  {0, NULL, 0},
};

/* "Key: value" lines of [Summary]. */
static int novonix_preamble(struct cp_tabread *tr, char *line, struct cp_error *err)
{
    static const char *const keys[][2] = {
        {"Channel:", "channel"},       {"Cell:", "cell_name"},
        {"Serial Number:", "barcode"}, {"Description:", "description"},
        {"Protocol:", "protocol"},     {"Capacity (Ah):", "nominal_capacity_ah"},
        {"Started:", "start_date"},    {"CellID:", "cell_name_id"},
    };
    size_t len = strlen(line);
    if (len >= 2 && line[0] == '"' && line[len - 1] == '"') {
        line[len - 1] = '\0';
        line++;
    }
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        size_t n = strlen(keys[k][0]);
        if (strncmp(line, keys[k][0], n) != 0)
            continue;
        const char *v = line + n;
        while (*v == ' ')
            v++;
        if (cp_tabread_meta(tr, keys[k][1], v) < 0)
            return cp_error_oom(err);
    }
    return 0;
}

/* A second "[Summary]" among the data rows: the test crashed, was restarted and Novonix
 * appended the new test (header, protocol, data) to the same file. */
static int novonix_restart(const char *line)
{
    return strncmp(line, "[Summary]", 9) == 0 || strncmp(line, "\"[Summary]", 10) == 0;
}

static const struct cp_tabspec novonix_spec = {
    .format = "novonix",
    .map = novonix_map,
    .required = CP_BIT(CP_V_CYCLE) | CP_BIT(CP_V_TIME) | CP_BIT(CP_V_CURRENT) |
                CP_BIT(CP_V_VOLTAGE) | CP_BIT(CP_V_Q),
    .header_max_lines = 2000,
    .preamble = novonix_preamble,
    .restart = novonix_restart,
};

static int is_summary(const char *head, size_t len)
{
    return cp_head_starts(head, len, ",Cycle,AverageChargeVoltage");
}

static int novonix_sniff(const char *path, const char *head, size_t len)
{
    (void)path;
    if (cp_head_starts(head, len, "[Summary]") && cp_head_contains(head, len, "Novonix"))
        return 95;
    if (is_summary(head, len))
        return 70;
    return 0;
}

static int novonix_read(const char *path, struct cp_reader_out *out, struct cp_error *err)
{
    char head[64];
    long n = cp_read_head(path, head, sizeof(head));
    if (n < 0)
        return cp_error_set(err, CP_ENOINPUT, "cannot open '%s'", path);
    if (is_summary(head, (size_t)n)) {
        snprintf(out->dialect, sizeof(out->dialect), "%s", novonix_dialects[2]);
        out->rows_read += 1;
        return 0;
    }
    snprintf(out->dialect, sizeof(out->dialect), "%s", novonix_dialects[n > 0 && head[0] == '"']);
    return cp_tabread_run(&novonix_spec, path, out, err);
}

const struct cp_reader_ops cp_reader_novonix = {
    .name = "novonix",
    .description = "Novonix HPC/UHPC CSV ([Summary]/[Data], quoted or not)",
    .dialects = novonix_dialects,
    .sniff = novonix_sniff,
    .read = novonix_read,
};
