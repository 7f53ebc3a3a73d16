/*
 * Private to the MLflow sink's files (docs/mlflow.md). Each file calls only those above it in
 * this list, and the client (mlflow_client_internal.h) only through include/cellpipe/mlflow.h:
 *   mlflow_batch.c      packing a run's metrics, params and tags into log-batch ops
 *   mlflow_params.c     the parent run's params (the pipeline) and metrics (the fleet)
 *   mlflow_runs.c       creating and ending runs, the parent's note and batches, child runs
 *   mlflow_artifacts.c  the report files a run lists as artifacts
 *   mlflow_pyfunc.c     a trained model's folder in MLflow's model format (the Python loader)
 *   mlflow_models.c     a training run per trained model and its registration op
 *   mlflow.c            the sink ops and the run's lifecycle (open, log, publish, failed)
 */
#ifndef CELLPIPE_MLFLOW_INTERNAL_H
#define CELLPIPE_MLFLOW_INTERNAL_H
#include <dirent.h>
#include <math.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/log.h"
#include "cellpipe/mlflow.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/timeutil.h"

#ifndef CP_VERSION
#define CP_VERSION "0.0.0"
#endif

/* --- log-batch chunks ------------------------------------------------------------------ */

/* Collects one run's metrics, params and tags, then packs them into as few log_batch ops as
 * MLflow's limits allow: every chunk takes up to 100 params and 100 tags first and fills the
 * rest of its 1000 items with metrics, under the byte limit. That reaches the lower bound
 * max(P/100, T/100, M/1000, (M+P+T)/1000), rounded up, unless the byte limit binds. */
struct batch {
    struct cp_mlflow_session *s;
    const char *ref;
    json_t *metrics, *params, *tags;
    json_t *seen; /* sanitised param/tag keys already used in this run */
    int64_t ts;
    int rc; /* first failure, sticky */
    struct cp_error *err;
};

/* mlflow_artifacts.c */
int mlf_artifacts(struct cp_mlflow_session *s, const struct cp_run *run, struct cp_error *err);
/* mlflow_pyfunc.c: the loader module's name, the files of models/<name>/model/ (relative to
 * it, NULL-terminated), the embedded loader, and writing the folder from model.json. */
#define MLF_LOADER "cellpipe_pyfunc"
extern const char *const mlf_model_files[];
const char *mlf_pyfunc_loader(void);
int mlf_model_folder(const char *model_dir, int64_t now_ms, struct cp_error *err);
/* mlflow_models.c */
int mlf_models(struct cp_mlflow_session *s, const struct cp_run *run, int64_t ts,
               struct cp_error *err);
/* mlflow_batch.c */
void mlf_batch_init(struct batch *b, struct cp_mlflow_session *s, const char *ref, int64_t ts,
                    struct cp_error *err);
void mlf_batch_kv(struct batch *b, int tag, const char *key, const char *value);
void mlf_batch_metric(struct batch *b, const char *key, double v, long long step);
void mlf_batch_param(struct batch *b, const char *key, const char *value);
void mlf_batch_param_double(struct batch *b, const char *key, double v);
void mlf_batch_param_list(struct batch *b, const char *key, const struct cp_strlist *l);
void mlf_batch_paramf(struct batch *b, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void mlf_batch_release(struct batch *b);
size_t mlf_cut_utf8(const char *v, size_t max);
/* mlflow_params.c */
void mlf_parent_metrics(struct batch *b, const struct cp_run *run);
void mlf_parent_params(struct batch *b, const struct cp_run *run);
/* mlflow_runs.c */
int mlf_child_run(struct cp_mlflow_session *s, const struct cp_run *run, size_t i, int64_t ts,
                  struct cp_error *err);
int mlf_parent_batch(struct cp_mlflow_session *s, const struct cp_run *run, int64_t ts, int full,
                     const char *error, struct cp_error *err);
int mlf_parent_create(struct cp_mlflow_session *s, const struct cp_run *run, int64_t ts,
                      struct cp_error *err);
int mlf_submit_end(struct cp_mlflow_session *s, const char *ref, const char *status,
                   int after_publish, struct cp_error *err);

#endif
