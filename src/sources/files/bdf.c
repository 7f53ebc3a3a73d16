/*
 * Battery Data Format time series (the Battery Data Alliance's BDF CSV, include/cellpipe/bdf.h
 * names the version followed): a header of preferred labels ("Test Time / s", "Voltage / V",
 * "Current / A", ...) or of the machine-readable names ("test_time_second", "voltage_volt",
 * ...), units fixed by the format, one cell per file. Test time, voltage and current are
 * required; cycle and step counts, Unix time, capacities, energies, a temperature and the
 * internal resistance are read when present. The cell id is the file name without ".bdf" and
 * its extension. See docs/readers.md.
 */
#include <stdio.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/tabread.h"
#include "cellpipe/textread.h"

/* cp_colkey() keys: label without its unit, then the machine-readable name (which carries the
 * unit in its last word, so its key keeps it). */
static const struct cp_colmap bdf_map[] = {
    {CP_V_TIME, "testtime testtimesecond", 1},
    {CP_V_VOLTAGE, "voltage voltagevolt", 1},
    {CP_V_CURRENT, "current currentampere", 1},
    {CP_V_STAMP, "unixtime unixtimesecond", 1},
    {CP_V_CYCLE, "cyclecount", 1},
    {CP_V_STEP, "stepcount stepid", 1},
    {CP_V_QC, "chargingcapacity chargingcapacityah stepchargingcapacityah", 1},
    {CP_V_QD, "dischargingcapacity dischargingcapacityah stepdischargingcapacityah", 1},
    {CP_V_EC, "chargingenergy chargingenergywh stepchargingenergywh", 1},
    {CP_V_ED, "dischargingenergy dischargingenergywh stepdischargingenergywh", 1},
    {CP_V_TEMP,
     "surfacetemperaturet1 temperaturet1celsius ambienttemperature ambienttemperaturecelsius", 1},
    {CP_V_IR, "internalresistance internalresistanceohm dcinternalresistanceohm", 1},
    {0, NULL, 0},
};

static const struct cp_tabspec bdf_spec = {
    .format = "bdf",
    .map = bdf_map,
    .required = CP_BIT(CP_V_TIME) | CP_BIT(CP_V_VOLTAGE) | CP_BIT(CP_V_CURRENT),
    .header_max_lines = 1, /* the BDF header is the first line */
    .counting = CP_TS_SUM,
};

static const char *const bdf_dialects[] = {"labels", "machine-readable", NULL};

/* "Test Time / s" or "test_time_second" on the first line: a BDF file. A header that lacks
 * another required column is still claimed, so that the read names what is missing. */
static int bdf_sniff(const char *path, const char *head, size_t len)
{
    (void)path;
    const char *nl = memchr(head, '\n', len);
    size_t n = nl ? (size_t)(nl - head) : len;
    if (cp_head_contains(head, n, "Test Time / s") || cp_head_contains(head, n, "test_time_second"))
        return 85;
    return 0;
}

/* The file name without ".bdf" and its extension: "A0001.bdf.csv" is cell "A0001". */
static char *bdf_cell_id(const char *path)
{
    char *id = cp_reader_cell_id(path);
    size_t n = id ? strlen(id) : 0;
    if (n > 4 && strcmp(id + n - 4, ".bdf") == 0)
        id[n - 4] = '\0';
    return id;
}

static int bdf_read(const char *path, struct cp_reader_out *out, struct cp_error *err)
{
    char head[4096];
    long n = cp_read_head(path, head, sizeof(head) - 1);
    if (n < 0)
        return cp_error_errno(err, CP_ENOINPUT, "cannot open '%s'", path);
    head[n] = '\0';
    snprintf(out->dialect, sizeof(out->dialect), "%s",
             cp_head_contains(head, (size_t)n, "test_time_second") ? "machine-readable" : "labels");
    char *id = out->cell_id ? NULL : bdf_cell_id(path);
    if (!out->cell_id && !id)
        return cp_error_oom(err);
    const char *given = out->cell_id;
    if (id)
        out->cell_id = id;
    int rc = cp_tabread_run(&bdf_spec, path, out, err);
    out->cell_id = given;
    cp_free(id);
    return rc;
}

const struct cp_reader_ops cp_reader_bdf = {
    .name = "bdf",
    .description = "Battery Data Format (BDF) CSV time series",
    .dialects = bdf_dialects,
    .sniff = bdf_sniff,
    .read = bdf_read,
};
