/* The ml stage with its saved models fetched: see include/cellpipe/ml_inputs.h. */
#include <errno.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/config.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/mlflow.h"
#include "cellpipe/ml_inputs.h"
#include "cellpipe/ml_run.h"
#include "cellpipe/run.h"

static int read_local(const struct cp_config *cfg, const struct cp_model_config *m, char **text,
                      size_t *len, char **resolved, struct cp_error *err)
{
    char *path = m->use[0] == '/' ? cp_strdup(m->use) : cp_path_join(cfg->dir, m->use);
    if (!path)
        return cp_error_oom(err);
    int rc = 0;
    if (cp_fs_read_file(path, text, len) < 0)
        rc = cp_error_errno(err, errno == ENOENT ? CP_ENOINPUT : CP_EDATA,
                            "%s:%d: model '%s': cannot read '%s'", cfg->path, m->line, m->name,
                            path);
    if (rc == 0)
        *resolved = path;
    else
        cp_free(path);
    return rc;
}

static int fetch(const struct cp_config *cfg, const struct cp_model_config *m, char **text,
                 size_t *len, char **resolved, struct cp_error *err)
{
    if (strncmp(m->use, "models:/", 8) != 0)
        return read_local(cfg, m, text, len, resolved, err);
    const char *uri = cfg->mlflow.tracking_uri;
    if (!uri || !*uri)
        return cp_error_set(err, CP_ECONFIG,
                            "%s:%d: model '%s': 'use: %s' needs mlflow.tracking_uri (or "
                            "MLFLOW_TRACKING_URI)",
                            cfg->path, m->line, m->name, m->use);
    struct cp_error fe = {0};
    int rc = cp_mlflow_model_fetch(uri, m->use, text, len, resolved, &fe);
    if (rc < 0)
        return cp_error_set(err, -rc, "%s:%d: model '%s': %s", cfg->path, m->line, m->name, fe.msg);
    if (!*resolved && !(*resolved = cp_strdup(m->use)))
        return cp_error_oom(err);
    return 0;
}

int cp_report_ml_stage(struct cp_run *run, struct cp_error *err)
{
    const struct cp_config *cfg = run->cfg;
    size_t n = cfg->nmodels;
    if (n == 0)
        return 0;
    struct cp_ml_inputs in = {cp_calloc(n, sizeof(char *)), cp_calloc(n, sizeof(size_t)),
                              cp_calloc(n, sizeof(char *))};
    int rc = !in.text || !in.len || !in.resolved ? cp_error_oom(err) : 0;
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (cfg->models[i].use)
            rc = fetch(cfg, &cfg->models[i], &in.text[i], &in.len[i], &in.resolved[i], err);
    if (rc == 0)
        rc = cp_ml_run_stage(run, &in, err);
    for (size_t i = 0; i < n; i++) {
        if (in.text)
            cp_free(in.text[i]);
        if (in.resolved)
            cp_free(in.resolved[i]);
    }
    cp_free(in.text);
    cp_free(in.len);
    cp_free(in.resolved);
    return rc;
}
