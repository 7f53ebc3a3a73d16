/* report.timeseries_bdf: see src/sources/files_internal.h and docs/readers.md. */
#include <stdio.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/bdf.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/log.h"
#include "cellpipe/reader.h"
#include "cellpipe/run.h"
#include "cellpipe/strbuf.h"
#include "files_internal.h"

/* "<dir>/<cell>.bdf.csv", or "<cell>-2.bdf.csv" ... when a file of the cell is there already
 * (one cell exported in several files); '/' in an id becomes '_'. NULL when out of memory. */
static char *free_name(const char *dir, const char *cell)
{
    struct cp_strbuf sb = CP_STRBUF_INIT;
    for (int k = 1; k < 10000; k++) {
        cp_strbuf_reset(&sb);
        if (cp_strbuf_adds(&sb, dir) < 0 || cp_strbuf_adds(&sb, "/") < 0)
            break;
        size_t at = sb.len;
        if (cp_strbuf_adds(&sb, *cell ? cell : "cell") < 0)
            break;
        for (size_t i = at; i < sb.len; i++)
            sb.buf[i] = sb.buf[i] == '/' ? '_' : sb.buf[i];
        if ((k > 1 && cp_strbuf_addf(&sb, "-%d", k) < 0) || cp_strbuf_adds(&sb, ".bdf.csv") < 0)
            break;
        if (!cp_fs_exists(sb.buf))
            return cp_strbuf_detach(&sb);
    }
    cp_strbuf_release(&sb);
    return NULL;
}

/* One input: converted to a scratch name, then renamed after the cell its reader named. */
static int save_one(const char *dir, const struct cp_input *in, const struct cp_reader_ops *ops,
                    struct cp_error *err)
{
    char *tmp = cp_path_join(dir, ".input.bdf.csv"), *final = NULL;
    if (!tmp)
        return cp_error_oom(err);
    long long points = 0;
    char *id = NULL;
    int rc = cp_bdf_convert(in->name, ops, tmp, &points, &id, err);
    if (rc == -CP_EDATA && points == 0 && strstr(err->msg, "per-cycle rows only")) {
        cp_error_clear(err); /* a per-cycle file of the same source: no series to publish */
        cp_free(tmp);
        return 0;
    }
    if (rc == 0) {
        final = free_name(dir, id);
        if (!final)
            rc = cp_error_oom(err);
        else if (rename(tmp, final) != 0)
            rc = cp_error_errno(err, CP_ECANTCREAT, "cannot rename '%s' to '%s'", tmp, final);
    }
    if (rc == 0)
        cp_log(CP_LOG_INFO, "stage=source_save file=\"%s\" bdf=\"%s\" points=%lld", in->name, final,
               points);
    cp_free(id);
    cp_free(final);
    cp_free(tmp);
    return rc;
}

int cp_files_save_timeseries(const struct cp_run *run, struct cp_error *err)
{
    if (!run->cfg->report.timeseries_bdf || !run->staging_dir)
        return 0;
    char *dir = cp_path_join(run->staging_dir, "timeseries");
    if (!dir)
        return cp_error_oom(err);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < run->data.ninputs; i++) {
        const struct cp_input *in = &run->data.inputs[i];
        const struct cp_reader_ops *ops = cp_reader_find(in->format);
        if (!ops || strcmp(in->format, "tidy") == 0) /* cells.csv, per-cycle tables */
            continue;
        if (cp_fs_mkdirs(dir) < 0)
            rc = cp_error_errno(err, CP_ECANTCREAT, "cannot create '%s'", dir);
        else
            rc = save_one(dir, in, ops, err);
    }
    cp_free(dir);
    return rc;
}
