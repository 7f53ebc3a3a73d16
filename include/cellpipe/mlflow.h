#ifndef CELLPIPE_MLFLOW_H
#define CELLPIPE_MLFLOW_H
/*
 * MLflow tracking over the REST API 2.0, with a journal that loses nothing (docs/mlflow.md).
 *
 * Every MLflow call is first appended to <report>/mlflow/journal.ndjson as one JSON line (an
 * "op"), then sent; an acknowledged op gets an "ack" line. With no tracking URI only the ops
 * are written. `cellpipe mlflow push` replays the ops without an ack, in order:
 *
 *   {"journal":"cellpipe-mlflow","version":1,"journal_id":"<32 hex>",...}     header, line 1
 *   {"seq":1,"op":"experiment","name":"cellpipe/demo"}
 *   {"seq":2,"op":"create_run","ref":"parent","run_name":..,"start_time":..,"tags":[..]}
 *   {"seq":3,"op":"create_run","ref":"cell/A1","parent":"parent",...}
 *   {"seq":4,"op":"log_batch","ref":"cell/A1","metrics":[..],"params":[..],"tags":[..]}
 *   {"seq":5,"op":"artifact","ref":"parent","path":"plots/fade.svg","after_publish":true}
 *   {"seq":6,"op":"update_run","ref":"parent","status":"FINISHED","end_time":..}
 *   {"seq":7,"op":"artifact","ref":"model/life","path":"models/life/model/MLmodel",
 *    "dest":"model/MLmodel"}                       (dest: the path in the run; default path)
 *   {"seq":8,"op":"register","ref":"model/life","name":"cycle-life","alias":"champion",..}
 *   {"ack":2,"run_id":"..","artifact_uri":"mlflow-artifacts:/1/../artifacts"}
 *
 * Runs are named by local refs; their server ids come from the create_run acks. Replays are
 * idempotent: acked ops are skipped; a create_run without an ack first looks for a run tagged
 * cellpipe.journal_key = "<journal_id>/<ref>" (the ack may have been lost after the server
 * created the run); metrics carry the timestamps written in the journal, and the server drops
 * exact (key, value, timestamp, step) duplicates; params and tags are idempotent; artifact
 * PUTs overwrite.
 *
 * Errors: CP_EUNAVAILABLE when the server cannot be reached after retries or answers with an
 * error, CP_ECONFIG for a missing or bad tracking URI or a deleted experiment, CP_ENOINPUT
 * for a missing journal, CP_EDATA for a journal that does not parse.
 */
#include <jansson.h>
#include <stdio.h>

#include "cellpipe/error.h"
#include "cellpipe/http.h"
#include "cellpipe/sink.h"

/* Sinks, in run order: `mlflow-open` (staged, right after the fits) starts the journal, gets
 * the experiment and creates the parent run, so its id and UI link are in struct cp_run before
 * the plots, PDF, workbook, HTML and e-mail are written; its `failed` hook closes the parent run
 * FAILED when the pipeline fails (creating it when the failure came first). `mlflow` (staged,
 * after the workbook) logs params, metrics and child runs and journals the tail that needs the
 * published folder (artifacts, the parent's end); `mlflow-publish` sends that tail. */
extern const struct cp_sink_ops cp_sink_mlflow_open;
extern const struct cp_sink_ops cp_sink_mlflow;
extern const struct cp_sink_ops cp_sink_mlflow_publish;

#define CP_MLFLOW_JOURNAL "mlflow/journal.ndjson"

/* MLflow's request limits for runs/log-batch (mlflow/utils/validation.py). */
#define CP_MLFLOW_MAX_METRICS 1000
#define CP_MLFLOW_MAX_PARAMS 100
#define CP_MLFLOW_MAX_TAGS 100
#define CP_MLFLOW_MAX_ITEMS 1000
#define CP_MLFLOW_MAX_BYTES 900000 /* under the 1 MB request limit, with room for framing */
#define CP_MLFLOW_MAX_KEY 250
#define CP_MLFLOW_MAX_PARAM_VALUE 6000
#define CP_MLFLOW_MAX_TAG_VALUE 5000

/* --- keys and values ------------------------------------------------------------------- */

/*
 * Map any string to a key MLflow accepts: characters outside [A-Za-z0-9_ .:/-] become '_',
 * runs of '/' collapse, leading and trailing '/' go, "." and ".." path segments become "_",
 * an empty key becomes "_", and the result is cut at 250 bytes. Appends to sb. 0 or -1.
 */
int cp_mlflow_sanitize_key(struct cp_strbuf *sb, const char *key);

/* A metric value as MLflow's JSON expects: a number, or the strings "NaN", "Infinity",
 * "-Infinity" (protobuf JSON). New reference, NULL when out of memory. */
json_t *cp_mlflow_metric_value(double v);

/* --- journal --------------------------------------------------------------------------- */

struct cp_mlflow_journal {
    FILE *f;
    char *path;
    long next_seq;
    char journal_id[33];
};

/* Start a new journal at path (folders created, an old file replaced); writes the header,
 * which gets "journal", "version" and "journal_id" added to `extra` (borrowed, may be NULL). */
int cp_mlflow_journal_create(struct cp_mlflow_journal *j, const char *path, json_t *extra,
                             struct cp_error *err);
/* Open an existing journal to append acks; reads the journal id and the next seq. */
int cp_mlflow_journal_open(struct cp_mlflow_journal *j, const char *path, struct cp_error *err);
/* Append an op: sets its "seq" (returned in *seq) and writes it. */
int cp_mlflow_journal_op(struct cp_mlflow_journal *j, json_t *op, long *seq, struct cp_error *err);
/* Append an ack for seq with the fields of result (borrowed, may be NULL). */
int cp_mlflow_journal_ack(struct cp_mlflow_journal *j, long seq, json_t *result,
                          struct cp_error *err);
/* Flush, fsync and close. 0 or negative code. */
int cp_mlflow_journal_close(struct cp_mlflow_journal *j, struct cp_error *err);

/* Call fn for every line of the journal at path, in order (the line is borrowed). Stops at the
 * first nonzero return and returns it. CP_EDATA names path:line for a line that is not a JSON
 * object; a last line without its newline (a crash mid-write) is ignored. */
int cp_mlflow_journal_scan(const char *path, int (*fn)(json_t *line, void *ctx), void *ctx,
                           struct cp_error *err);

/* Where a failed run keeps its journal: <dir of report_dir>/failed/<date>-<pid>.ndjson. */
#define CP_MLFLOW_FAILED_DIR "failed"

/* --- sessions: the calls --------------------------------------------------------------- */

struct cp_mlflow_session {
    struct cp_http_client *http; /* NULL: journal only */
    char *base;                  /* tracking URI without a trailing '/' */
    char *root;                  /* folder that artifact paths are relative to */
    struct cp_mlflow_journal journal;
    json_t *runs;  /* ref -> {"run_id", "artifact_uri"} */
    json_t *acked; /* "seq" -> true, for replays */
    char experiment_id[64];
    int offline;          /* a call failed: journal the rest, send nothing more */
    int defer_tail;       /* live run: stop sending at the first "after_publish" op */
    int deferred;         /* an op was held back by defer_tail */
    int parent_journaled; /* a resumed journal holds the parent's create_run */
    int parent_logged;    /* ... and a log_batch of the parent (params, metrics) */
    long sent, acks, skipped, pending;
    struct cp_error failure; /* why the session went offline */
};

/* A session for tracking_uri (NULL or "": journal only), artifacts under root. The HTTP
 * options come from MLflow's environment variables unless opts is given. */
int cp_mlflow_session_init(struct cp_mlflow_session *s, const char *tracking_uri, const char *root,
                           const struct cp_http_options *opts, struct cp_error *err);
void cp_mlflow_session_release(struct cp_mlflow_session *s);

/* Journal op (steals the reference), then send it unless the session is offline. A failed
 * send makes the session offline (s->failure says why) and is not an error here: only the
 * journal write can fail. */
int cp_mlflow_submit(struct cp_mlflow_session *s, json_t *op, struct cp_error *err);

/* Continue a journal written earlier in this run (by another sink, or before the run failed):
 * open it to append and load its acks (experiment id, run ids). Ops still without an ack are
 * counted in s->pending and make the session offline, so later ops never overtake them (a
 * push sends them all, in order). With abandon_tail, unacked "after_publish" ops are acked as
 * {"skipped":"run failed"} instead: nothing will be published. Sets s->parent_journaled
 * and s->parent_logged. */
int cp_mlflow_session_resume(struct cp_mlflow_session *s, const char *path, int abandon_tail,
                             struct cp_error *err);

/* Send one op and ack it in the journal. */
int cp_mlflow_exec(struct cp_mlflow_session *s, json_t *op, struct cp_error *err);

/* Replay the journal of a report folder (or a journal file, such as one kept from a failed
 * run under <root>/<pipeline>/failed/): every op without an ack, in order. Counts go into
 * s (sent, acks, skipped). */
int cp_mlflow_push(const char *report_dir, const char *tracking_uri,
                   const struct cp_http_options *opts, struct cp_mlflow_session *s,
                   struct cp_error *err);

/* HEAD commit (40 hex digits) of the git checkout that holds dir, found by walking up from
 * it; 0, or -1 when dir is not in a checkout or HEAD cannot be resolved. */
int cp_mlflow_git_head(const char *dir, char out[41]);

/* UI link of a run: <base>/#/experiments/<experiment>/runs/<run> (cp_free), or NULL. */
char *cp_mlflow_run_url(const char *base, const char *experiment_id, const char *run_id);

/* --- the model registry (docs/mlflow.md "Models and the registry") --------------------- */

/* The model.json of a registered model: uri is "models:/NAME@ALIAS" or "models:/NAME/VERSION";
 * *text gets its bytes (NUL-terminated, cp_free), *resolved (may be NULL) "models:/NAME/3"
 * (cp_free). CP_EUNAVAILABLE server down (after the HTTP retries) or failing, CP_EDATA no such
 * model, version or alias ("models:/x@champion: no alias 'champion' on registered model 'x'"),
 * CP_ECONFIG no tracking URI or a malformed uri. */
int cp_mlflow_model_fetch(const char *tracking_uri, const char *uri, char **text, size_t *len,
                          char **resolved, struct cp_error *err);

/* Every registered model (MLflow's RegisteredModel objects: name, latest_versions, aliases),
 * all pages; *models a new reference. */
int cp_mlflow_models_list(const char *tracking_uri, json_t **models, struct cp_error *err);

/* One registered model and all its versions (ModelVersion objects: version, run_id, source,
 * tags, aliases); new references. CP_EDATA when the server has no model of that name. */
int cp_mlflow_models_show(const char *tracking_uri, const char *name, json_t **model,
                          json_t **versions, struct cp_error *err);

#endif
