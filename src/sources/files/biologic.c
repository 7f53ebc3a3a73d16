/*
 * BioLogic EC-Lab / BT-Lab text exports: `.mpt` (tab, optional "EC-Lab ASCII FILE" header block
 * whose length is given by "Nb header lines"), and CSV exports (';' or ','), units after a '/'
 * in the headers ("I/mA", "Q charge/mA.h", "Energy charge/W.h"), latin-1 or UTF-8 unit bytes,
 * decimal commas, and `time/s` holding either seconds or an absolute date. Q charge and
 * Q discharge restart every half cycle. The settings log (`.mpl`) is recognised: it carries
 * metadata only and is read together with its data file. See docs/readers.md.
 */
#include <string.h>
#include <strings.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/tabread.h"
#include "cellpipe/textread.h"

static const struct cp_colmap biologic_map[] = {
    {CP_V_CYCLE, "cyclenumber", 1},
    {CP_V_STEP, "ns", 1},
    {CP_V_TIME, "time", 1},
    {CP_V_CURRENT, "i imaibi", 1e-3},
    {CP_V_VOLTAGE, "ecell ewe ecellv", 1},
    {CP_V_QC, "qcharge", 1e-3},
    {CP_V_QD, "qdischarge", 1e-3},
    {CP_V_EC, "energycharge", 1},
    {CP_V_ED, "energydischarge", 1},
    {CP_V_TEMP, "temperature temperaturec t", 1},
    {0, NULL, 0},
};

/* Settings lines shared by the .mpt header block and the .mpl log. */
static int biologic_meta_line(struct cp_tabread *tr, const char *line)
{
    static const char *const keys[][2] = {
        {"Acquisition started on :", "start_date"},
        {"Run on channel :", "channel"},
        {"Device :", "device"},
        {"Electrode material :", "electrode"},
        {"Battery capacity :", "nominal_capacity_text"},
    };
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        size_t n = strlen(keys[k][0]);
        if (strncmp(line, keys[k][0], n) != 0)
            continue;
        const char *v = line + n;
        while (*v == ' ')
            v++;
        return cp_tabread_meta(tr, keys[k][1], v);
    }
    return 0;
}

static int biologic_preamble(struct cp_tabread *tr, char *line, struct cp_error *err)
{
    return biologic_meta_line(tr, line) < 0 ? cp_error_oom(err) : 0;
}

static const struct cp_tabspec biologic_spec = {
    .format = "biologic",
    .map = biologic_map,
    .required = CP_BIT(CP_V_TIME) | CP_BIT(CP_V_CURRENT) | CP_BIT(CP_V_VOLTAGE),
    .header_max_lines = 400,
    .preamble = biologic_preamble,
};

static int is_log(const char *head, size_t len)
{
    return cp_head_starts(head, len, "BT-Lab LOG FILE") ||
           cp_head_starts(head, len, "EC-Lab LOG FILE") ||
           cp_head_starts(head, len, "\r\nBT-Lab LOG FILE") ||
           cp_head_starts(head, len, "\nBT-Lab LOG FILE") ||
           cp_head_starts(head, len, "\r\nEC-Lab LOG FILE") ||
           cp_head_starts(head, len, "\nEC-Lab LOG FILE");
}

static int biologic_sniff(const char *path, const char *head, size_t len)
{
    (void)path;
    if (cp_head_starts(head, len, "EC-Lab ASCII FILE") ||
        cp_head_starts(head, len, "BT-Lab ASCII FILE"))
        return 95;
    if (is_log(head, len))
        return 80;
    size_t first = 0;
    while (first < len && head[first] != '\n')
        first++;
    if ((cp_head_contains(head, first, "Ecell/V") || cp_head_contains(head, first, "Ewe/V")) &&
        cp_head_contains(head, first, "time/s"))
        return 90;
    return 0;
}

static int biologic_read(const char *path, struct cp_reader_out *out, struct cp_error *err)
{
    char head[256];
    long n = cp_read_head(path, head, sizeof(head));
    if (n < 0)
        return cp_error_set(err, CP_ENOINPUT, "cannot open '%s'", path);
    if (is_log(head, (size_t)n))
        return 0; /* settings only: no data rows */
    return cp_tabread_run(&biologic_spec, path, out, err);
}

const struct cp_reader_ops cp_reader_biologic = {
    .name = "biologic",
    .description = "BioLogic EC-Lab/BT-Lab .mpt and CSV text exports (.mpl settings log)",
    .sniff = biologic_sniff,
    .read = biologic_read,
};
