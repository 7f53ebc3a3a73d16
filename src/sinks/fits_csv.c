/*
 * results/fits.csv: one row per cell and fitted model (docs/fits.md "fits.csv").
 * Columns: cell_id, model, status, params ("name=value;..." in the model's parameter order;
 * bacon_watts adds its fixed width g),
 * rmse, aicc, selected (1 for the AICc choice), reason (why a fit failed or is degenerate).
 * NaN is an empty field; doubles are written in their shortest round-trip form.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/fit.h"
#include "cellpipe/fits_csv.h"
#include "cellpipe/fs.h"
#include "cellpipe/sink.h"
#include "cellpipe/strbuf.h"

static int fits_enabled(const struct cp_run *run)
{
    return run->cfg->fits.enabled;
}

static int add_params(struct cp_strbuf *sb, const struct cp_fit *f, enum cp_model m)
{
    struct cp_strbuf p = CP_STRBUF_INIT;
    int rc = 0;
    /* Bacon-Watts also shows its fixed width g (p[4]) so the curve can be redrawn */
    int shown = cp_fit_nparams(m) + (m == CP_MODEL_BACON_WATTS);
    if (f->status == CP_FIT_OK)
        for (int k = 0; k < shown && rc == 0; k++)
            rc = cp_strbuf_addf(&p, "%s%s=", k ? ";" : "", k < 4 ? cp_fit_param_name(m, k) : "g") ||
                 cp_strbuf_add_double(&p, f->p[k]);
    if (rc == 0)
        rc = cp_strbuf_add_csv(sb, p.buf);
    cp_strbuf_release(&p);
    return rc;
}

static int add_row(struct cp_strbuf *sb, const char *id, const struct cp_cell_result *r,
                   enum cp_model m)
{
    const struct cp_fit *f = &r->fits[m];
    int rc = cp_strbuf_add_csv(sb, id ? id : "") || cp_strbuf_addch(sb, ',') ||
             cp_strbuf_adds(sb, cp_model_name(m)) || cp_strbuf_addch(sb, ',') ||
             cp_strbuf_adds(sb, cp_fit_status_name(f->status)) || cp_strbuf_addch(sb, ',') ||
             add_params(sb, f, m) || cp_strbuf_addch(sb, ',') ||
             cp_strbuf_add_double(sb, f->status == CP_FIT_OK ? f->rmse : NAN) ||
             cp_strbuf_addch(sb, ',') ||
             cp_strbuf_add_double(sb, f->status == CP_FIT_OK ? f->aicc : NAN) ||
             cp_strbuf_addf(sb, ",%d,", r->best_model == (int)m) ||
             cp_strbuf_add_csv(sb, f->reason) || cp_strbuf_addch(sb, '\n');
    return rc ? -1 : 0;
}

/* The whole file as text (exposed for tests through cp_fits_csv_format). */
int cp_fits_csv_format(const struct cp_run *run, struct cp_strbuf *sb)
{
    char **ids = run->data.cells ? cp_table_str(run->data.cells, "cell_id") : NULL;
    if (cp_strbuf_adds(sb, "cell_id,model,status,params,rmse,aicc,selected,reason\n") != 0)
        return -1;
    for (size_t i = 0; i < run->nresults; i++) {
        const struct cp_cell_result *r = &run->results[i];
        for (int m = 0; m < CP_MODEL_COUNT; m++)
            if (run->cfg->fits.models[m] &&
                add_row(sb, ids ? ids[r->cells_row] : NULL, r, (enum cp_model)m) != 0)
                return -1;
    }
    return 0;
}

static int fits_write(struct cp_run *run, struct cp_error *err)
{
    struct cp_strbuf sb = CP_STRBUF_INIT;
    char *dir = cp_path_join(run->staging_dir, "results");
    char *path = dir ? cp_path_join(dir, "fits.csv") : NULL;
    int rc = 0;
    if (!path || cp_fits_csv_format(run, &sb) != 0) {
        rc = cp_error_oom(err);
        goto cleanup;
    }
    if (cp_fs_mkdirs(dir) != 0 || cp_fs_write_atomic(path, sb.buf, sb.len) != 0)
        rc = cp_error_errno(err, CP_ECANTCREAT, "cannot write '%s'", path);
cleanup:
    cp_strbuf_release(&sb);
    cp_free(dir);
    cp_free(path);
    return rc;
}

const struct cp_sink_ops cp_sink_fits = {
    .name = "fits",
    .phase = CP_SINK_STAGED,
    .enabled = fits_enabled,
    .write = fits_write,
};
