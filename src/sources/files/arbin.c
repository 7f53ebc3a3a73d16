/*
 * Arbin CSV time series: old style (MITS Pro via SQL dump: "Data_Point,Test_Time,DateTime,...",
 * DateTime = Unix epoch seconds) and new style (MITS Pro / DataWatcher: "Data Point,Date Time,
 * Test Time (s),...", units in the headers, UTF-8 BOM, a leading tab in the date). Capacities
 * and energies are cumulative within a cycle (ts.h handles files that start mid-test); a
 * schedule that zeroes them at every step is recognised by the integral of the current and
 * summed per cycle (CP_TS_LARGEST_OR_STEPS).
 * Cell metadata comes from the sibling "<stem>_Metadata.csv" when present. See docs/readers.md.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <stdio.h>

#include "cellpipe/alloc.h"
#include "cellpipe/dataset.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/tabread.h"
#include "cellpipe/textread.h"
#include "cellpipe/timeutil.h"

static const struct cp_colmap arbin_map[] = {
    {CP_V_CYCLE, "cycleindex", 1},
    {CP_V_STEP, "stepindex", 1},
    {CP_V_TIME, "testtime", 1},
    {CP_V_STAMP, "datetime", 1},
    {CP_V_CURRENT, "current", 1},
    {CP_V_VOLTAGE, "voltage", 1},
    {CP_V_QC, "chargecapacity", 1},
    {CP_V_QD, "dischargecapacity", 1},
    {CP_V_EC, "chargeenergy", 1},
    {CP_V_ED, "dischargeenergy", 1},
    {CP_V_TEMP, "temperature auxtemperature1 temperature1", 1},
    {CP_V_IR, "internalresistance", 1},
    {0, NULL, 0},
};

static const struct cp_tabspec arbin_spec = {
    .format = "arbin",
    .map = arbin_map,
    .required = CP_BIT(CP_V_TIME) | CP_BIT(CP_V_CURRENT) | CP_BIT(CP_V_VOLTAGE) | CP_BIT(CP_V_QC) |
                CP_BIT(CP_V_QD),
    .header_max_lines = 5,
    .counting = CP_TS_LARGEST_OR_STEPS,
};

static const char *const arbin_dialects[] = {
    "old style (MITS Pro SQL dump: Data_Point, DateTime in Unix seconds)",
    "new style (MITS Pro / DataWatcher: units in the headers, UTF-8 BOM)",
    "channel metadata (_Metadata.csv)", NULL};

static int is_metadata(const char *head, size_t len)
{
    return cp_head_starts(head, len, ",test_id,device_id,iv_ch_id");
}

static int arbin_sniff(const char *path, const char *head, size_t len)
{
    (void)path;
    if (is_metadata(head, len))
        return 90;
    int first =
        cp_head_starts(head, len, "Data_Point,") || cp_head_starts(head, len, "Data Point,");
    if (first &&
        (cp_head_contains(head, len, "Cycle_Index") ||
         cp_head_contains(head, len, "Cycle Index")) &&
        cp_head_contains(head, len, "Charge_Capacity") +
            cp_head_contains(head, len, "Charge Capacity"))
        return 90;
    return 0;
}

/* "<stem>_Metadata.csv" next to "<stem>.csv"; NULL when out of memory. */
static char *metadata_path(const char *path)
{
    struct cp_strbuf sb = CP_STRBUF_INIT;
    size_t n = strlen(path);
    if (n > 4 && strcasecmp(path + n - 4, ".csv") == 0)
        n -= 4;
    if (cp_strbuf_add(&sb, path, n) < 0 || cp_strbuf_adds(&sb, "_Metadata.csv") < 0) {
        cp_strbuf_release(&sb);
        return NULL;
    }
    return cp_strbuf_detach(&sb);
}

struct meta_key {
    const char *arbin; /* lowercase header in the metadata file */
    const char *cell;  /* column of the cells table */
};

static const struct meta_key meta_keys[] = {
    {"item_id", "barcode"},
    {"schedule_file_name", "schedule"},
    {"iv_ch_id", "channel"},
    {"test_id", "test_id"},
    {"device_id", "device_id"},
    {"first_start_datetime", "start_date"},
    {NULL, NULL},
};

static int put_meta(struct cp_table *cells, long row, const char *key, const char *value)
{
    for (const struct meta_key *m = meta_keys; m->arbin; m++) {
        if (strcasecmp(key, m->arbin) != 0 || !*value)
            continue;
        if (strcmp(m->cell, "start_date") == 0) { /* Unix seconds */
            double secs;
            char buf[40];
            snprintf(buf, sizeof(buf), "%s", value);
            if (cp_parse_num(buf, &secs) != 0)
                return 0;
            cp_format_time((int64_t)secs, buf, sizeof(buf));
            return cp_cells_set(cells, row, m->cell, buf);
        }
        return cp_cells_set(cells, row, m->cell, value);
    }
    return 0;
}

#define META_FIELDS 64

/* A header name that appears twice, compared as put_meta compares keys; NULL if none. */
static const char *duplicate_key(char *const *keys, int n)
{
    for (int i = 0; i < n; i++)
        for (int k = 0; keys[i][0] && k < i; k++)
            if (strcasecmp(keys[i], keys[k]) == 0)
                return keys[i];
    return NULL;
}

/* Header line + one value line of `mpath` into the cell's row. */
static int parse_metadata(const char *mpath, char *text, struct cp_table *cells, long row,
                          struct cp_error *err)
{
    char *nl = strchr(text, '\n');
    if (!nl)
        return 0;
    *nl = '\0';
    char *values = nl + 1;
    char *end = strchr(values, '\n');
    if (end)
        *end = '\0';
    for (char *p = text; *p; p++)
        if (*p == '\r')
            *p = '\0';
    for (char *p = values; *p; p++)
        if (*p == '\r')
            *p = '\0';
    char *keys[META_FIELDS], *vals[META_FIELDS];
    int nk = cp_split(text, ',', keys, META_FIELDS);
    int nv = cp_split(values, ',', vals, META_FIELDS);
    const char *dup = duplicate_key(keys, nk < META_FIELDS ? nk : META_FIELDS);
    if (dup) /* which of the two is meant cannot be known */
        return cp_error_set(err, CP_EDATA, "%s:1: duplicate column '%s'", mpath, dup);
    for (int i = 0; i < nk && i < nv && i < META_FIELDS; i++)
        if (put_meta(cells, row, keys[i], vals[i]) < 0)
            return cp_error_oom(err);
    return 0;
}

static int read_sibling_metadata(const char *path, struct cp_reader_out *out, struct cp_error *err)
{
    if (!out->cells)
        return 0;
    char *mpath = metadata_path(path);
    if (!mpath)
        return cp_error_oom(err);
    char *text = NULL, *id = NULL;
    size_t len;
    int rc = 0;
    if (!cp_fs_exists(mpath) || cp_fs_read_file(mpath, &text, &len) < 0)
        goto cleanup;
    id = out->cell_id ? NULL : cp_reader_cell_id(path);
    long row = cp_dataset_cell_row(out->cells, out->cell_id ? out->cell_id : id ? id : "");
    rc = row < 0 ? cp_error_oom(err) : parse_metadata(mpath, text, out->cells, row, err);
cleanup:
    cp_free(id);
    cp_free(text);
    cp_free(mpath);
    return rc;
}

static int arbin_read(const char *path, struct cp_reader_out *out, struct cp_error *err)
{
    char head[256];
    long n = cp_read_head(path, head, sizeof(head));
    if (n < 0)
        return cp_error_set(err, CP_ENOINPUT, "cannot open '%s'", path);
    if (is_metadata(head, (size_t)n)) { /* read with its data file; nothing on its own */
        snprintf(out->dialect, sizeof(out->dialect), "%s", arbin_dialects[2]);
        out->rows_read += 1;
        return 0;
    }
    int old = cp_head_starts(head, (size_t)n, "Data_Point,");
    snprintf(out->dialect, sizeof(out->dialect), "%s", arbin_dialects[old ? 0 : 1]);
    int rc = cp_tabread_run(&arbin_spec, path, out, err);
    if (rc < 0)
        return rc;
    return read_sibling_metadata(path, out, err);
}

const struct cp_reader_ops cp_reader_arbin = {
    .name = "arbin",
    .description = "Arbin CSV time series (old and new style) + _Metadata.csv",
    .dialects = arbin_dialects,
    .sniff = arbin_sniff,
    .read = arbin_read,
};
