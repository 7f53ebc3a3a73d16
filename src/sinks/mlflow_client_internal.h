/*
 * Private to the MLflow client's files (include/cellpipe/mlflow.h is the contract). Each file
 * calls only those above it in this list:
 *   mlflow_client.c  key and value rules, the session, one REST call (failures translated here)
 *   mlflow_compare.c an alias holder trained on other cells against the new model, on this
 *                    run's cells (local files, no call)
 *   mlflow_registry.c  the model registry: registering a model version and moving its alias,
 *                    fetching a registered model.json, listing models (docs/mlflow.md)
 *   mlflow_ops.c     executing journal ops against the server, each acknowledged in the journal
 *   mlflow_push.c    replaying a journal: `cellpipe mlflow push`, resuming a session
 */
#ifndef CELLPIPE_MLFLOW_CLIENT_INTERNAL_H
#define CELLPIPE_MLFLOW_CLIENT_INTERNAL_H
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/log.h"
#include "cellpipe/mlflow.h"
#include "cellpipe/strbuf.h"

struct reply {
    long status;
    json_t *json;     /* parsed body (NULL when it was not JSON) */
    const char *code; /* MLflow's error_code, "" when none */
    int unsure;       /* a once-only POST failed when the server may have done the work */
};

/* mlflow_client.c */
int mlc_call(struct cp_mlflow_session *s, const char *method, const char *path, json_t *body,
             struct reply *r, struct cp_error *err);
int mlc_call_fail(const char *what, const struct reply *r, struct cp_error *err);
int mlc_post(struct cp_mlflow_session *s, const char *endpoint, json_t *body, struct reply *r,
             struct cp_error *err);
/* mlc_post for a create that must not run twice: not resent after a failure the server may
 * have acted on (r->unsure); the caller looks first whether it did. */
int mlc_post_once(struct cp_mlflow_session *s, const char *endpoint, json_t *body, struct reply *r,
                  struct cp_error *err);
void mlc_reply_release(struct reply *r);
/* An answer's body (len bytes, not necessarily NUL-terminated) into r; the fuzz target
 * tests/fuzz/fuzz_mlflow_reply.c calls it without a server. */
void mlc_reply_parse(struct reply *r, long status, const char *body, size_t len);
/* mlflow_compare.c: the holder's model.json (len bytes; origin names it in messages) and the
 * new model of folder dir, scored with the metric of task on the cells of dir/features.csv
 * with an observed target and a prediction in dir/cv_predictions.csv: *fresh the new model's
 * cross-validated error, *held the holder's, *n the cells. CP_EDATA when they cannot be
 * compared (another task, a holder feature missing, no common cell). */
int mlc_compare_cells(const char *dir, const char *holder, size_t len, const char *origin,
                      const char *task, double *fresh, double *held, size_t *n,
                      struct cp_error *err);
/* mlflow_registry.c */
/* "mlflow-artifacts:/1/<run>/artifacts" or "mlflow-artifacts://host:port/1/..." -> the part
 * after the scheme and authority; NULL when the server does not proxy this run's artifacts. */
const char *mlc_proxied_root(const char *uri);
/* Append "/" and each '/'-separated segment of path, escaped. 0 or -1. */
int mlc_add_escaped_path(struct cp_strbuf *sb, const char *path);
/* The journal op "register" (docs/mlflow.md): the registered model, the version, its tags,
 * the alias decision; the ack gets "version" and "alias_decision". */
int mlc_exec_register(struct cp_mlflow_session *s, json_t *op, json_t *ack, struct cp_error *err);
/* mlflow_ops.c */
int mlc_exec_and_ack(struct cp_mlflow_session *s, json_t *op, int replay, struct cp_error *err);

#endif
