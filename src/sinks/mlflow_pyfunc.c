/*
 * The MLflow model of a trained cellpipe model (docs/mlflow.md "Models and the registry"):
 * the folder models/<name>/model/ next to model.json, in MLflow's model format, so that
 * mlflow.pyfunc.load_model() loads it with nothing but MLflow and pandas installed:
 *   MLmodel                   flavors.python_function: loader_module, code, data, env
 *   model.json                a copy of the saved model (the flavour's data)
 *   code/cellpipe_pyfunc.py   the loader (templates/mlflow/cellpipe_pyfunc.py)
 *   requirements.txt, python_env.yaml, conda.yaml   the environment MLflow recreates
 * The loader is built into the binary (.incbin, as src/sources/pg_embed.c does for SQL): an
 * installed cellpipe ships the loader that matches its own prediction code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/strbuf.h"
#include "mlflow_internal.h"

__asm__(".section .rodata\n"
        ".global cp_mlflow_embed_pyfunc\n"
        ".type cp_mlflow_embed_pyfunc, @object\n"
        ".balign 16\n"
        "cp_mlflow_embed_pyfunc:\n"
        ".incbin \"templates/mlflow/cellpipe_pyfunc.py\"\n"
        ".byte 0\n"
        ".previous\n");
extern const char cp_mlflow_embed_pyfunc[];

/* The Python the model was written for: MLflow only warns when the loading one differs. */
#define PYFUNC_PYTHON "3.11"

const char *const mlf_model_files[] = {
    "MLmodel",    "model.json", "code/" MLF_LOADER ".py", "requirements.txt", "python_env.yaml",
    "conda.yaml", NULL};

const char *mlf_pyfunc_loader(void)
{
    return cp_mlflow_embed_pyfunc;
}

static int mlmodel_text(struct cp_strbuf *sb, const char *created, const char *uuid)
{
    return cp_strbuf_addf(sb,
                          "artifact_path: model\n"
                          "flavors:\n"
                          "  python_function:\n"
                          "    code: code\n"
                          "    data: model.json\n"
                          "    env:\n"
                          "      conda: conda.yaml\n"
                          "      virtualenv: python_env.yaml\n"
                          "    loader_module: %s\n"
                          "    python_version: '%s'\n"
                          "model_uuid: %s\n"
                          "utc_time_created: '%s'\n",
                          MLF_LOADER, PYFUNC_PYTHON, uuid, created);
}

static const char requirements[] = "mlflow\npandas\n";
static const char python_env[] = "python: '" PYFUNC_PYTHON "'\n"
                                 "build_dependencies:\n- pip\n"
                                 "dependencies:\n- -r requirements.txt\n";
static const char conda[] = "name: mlflow-env\n"
                            "channels:\n- conda-forge\n"
                            "dependencies:\n- python=" PYFUNC_PYTHON "\n- pip\n"
                            "- pip:\n  - mlflow\n  - pandas\n";

static int put(const char *dir, const char *rel, const char *data, size_t len, struct cp_error *err)
{
    char *path = cp_path_join(dir, rel);
    int rc = path ? 0 : cp_error_oom(err);
    if (rc == 0 && cp_fs_write_atomic(path, data, len) < 0)
        rc = cp_error_errno(err, CP_ECANTCREAT, "cannot write '%s'", path);
    cp_free(path);
    return rc;
}

/* A model id MLflow shows: 32 hex digits of the model.json's hash and the time. */
static void model_uuid(const char *model, size_t len, int64_t now, char out[33])
{
    unsigned long long h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)model[i]) * 1099511628211ULL;
    snprintf(out, 33, "%016llx%016llx", h, (unsigned long long)now);
}

int mlf_model_folder(const char *model_dir, int64_t now_ms, struct cp_error *err)
{
    char *src = cp_path_join(model_dir, "model.json"), *dir = cp_path_join(model_dir, "model");
    char *code = dir ? cp_path_join(dir, "code") : NULL, *text = NULL;
    size_t len = 0;
    struct cp_strbuf ml;
    cp_strbuf_init(&ml);
    int rc = src && dir && code ? 0 : cp_error_oom(err);
    if (rc == 0 && cp_fs_read_file(src, &text, &len) != 0)
        rc = cp_error_errno(err, CP_ENOINPUT, "cannot read '%s'", src);
    if (rc == 0 && cp_fs_mkdirs(code) < 0)
        rc = cp_error_errno(err, CP_ECANTCREAT, "cannot create '%s'", code);
    char created[32], uuid[33];
    cp_format_time(now_ms / 1000, created, sizeof created);
    if (rc == 0) {
        model_uuid(text, len, now_ms, uuid);
        rc = mlmodel_text(&ml, created, uuid) ? cp_error_oom(err) : 0;
    }
    const char *loader = mlf_pyfunc_loader();
    if (rc == 0)
        rc = put(dir, "MLmodel", ml.buf, ml.len, err);
    if (rc == 0)
        rc = put(dir, "model.json", text, len, err);
    if (rc == 0)
        rc = put(dir, "code/" MLF_LOADER ".py", loader, strlen(loader), err);
    if (rc == 0)
        rc = put(dir, "requirements.txt", requirements, sizeof requirements - 1, err);
    if (rc == 0)
        rc = put(dir, "python_env.yaml", python_env, sizeof python_env - 1, err);
    if (rc == 0)
        rc = put(dir, "conda.yaml", conda, sizeof conda - 1, err);
    cp_strbuf_release(&ml);
    cp_free(text);
    cp_free(src);
    cp_free(dir);
    cp_free(code);
    return rc;
}
