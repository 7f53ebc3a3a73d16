/*
 * The alias decision when the alias holder was trained on other cells (docs/mlflow.md "Models
 * and the registry"): the holder's model.json predicts the cells of this run's features.csv
 * that have an observed target and an out-of-fold prediction in cv_predictions.csv; the new
 * model's error on those same cells comes from its cross-validated predictions. Both errors
 * use the compared metric: cv_rmse (cycles) or cv_balanced_accuracy (class at P > 0.5).
 * Local files only; no server (mlflow_client_internal.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/csv.h"
#include "cellpipe/error.h"
#include "cellpipe/ml_model.h"
#include "cellpipe/strbuf.h"
#include "mlflow_client_internal.h"

/* Error accumulator of one model: squared errors, or the confusion counts. */
struct score {
    double sq;
    double tp, tn, pos, neg;
};

static void score_add(struct score *s, int classify, double observed, double predicted)
{
    if (!classify) {
        s->sq += (predicted - observed) * (predicted - observed);
        return;
    }
    int label = observed > 0.5, call = predicted > 0.5;
    s->pos += label;
    s->neg += !label;
    s->tp += label && call;
    s->tn += !label && !call;
}

static double score_value(const struct score *s, int classify, size_t n)
{
    if (!classify)
        return n ? sqrt(s->sq / (double)n) : NAN;
    if (s->pos == 0 || s->neg == 0) /* one class only: its recall alone */
        return s->pos ? s->tp / s->pos : s->neg ? s->tn / s->neg : NAN;
    return 0.5 * (s->tp / s->pos + s->tn / s->neg);
}

static char *file_in(const char *dir, const char *name)
{
    return cp_path_join(dir, name);
}

/* Open dir/name and read its header line. 0; or an error with *path NULL when nothing is
 * open (the file cannot be read), else with the file open (the caller closes both). */
static int open_table(const char *dir, const char *name, struct cp_csv *r, char **path,
                      struct cp_error *err)
{
    if (!(*path = file_in(dir, name)))
        return cp_error_oom(err);
    if (cp_csv_open(r, *path, ',') < 0) {
        int rc = cp_error_errno(err, CP_ENOINPUT, "cannot read '%s'", *path);
        cp_free(*path);
        *path = NULL;
        return rc;
    }
    return cp_csv_next(r) == 1 ? 0 : cp_error_set(err, CP_EDATA, "%s:1: expected a header", *path);
}

/* cv_predictions.csv -> {cell_id: [observed, predicted]} of the rows with both. */
static int read_cv(const char *dir, json_t *cv, struct cp_error *err)
{
    struct cp_csv r;
    char *path;
    int rc = open_table(dir, "cv_predictions.csv", &r, &path, err);
    if (rc < 0 && !path)
        return rc;
    int id = cp_csv_field_index(&r, "cell_id"), obs = cp_csv_field_index(&r, "observed"),
        pred = cp_csv_field_index(&r, "predicted");
    if (rc == 0 && (id < 0 || obs < 0 || pred < 0))
        rc = cp_error_set(err, CP_EDATA, "%s:1: expected columns cell_id, observed, predicted",
                          path);
    for (int got; rc == 0 && (got = cp_csv_next(&r)) != 0;) {
        double o, p;
        if (got < 0) {
            rc = cp_error_errno(err, CP_EDATA, "%s:%ld: cannot read", path, r.lineno);
            break;
        }
        if ((size_t)pred >= r.nfields || cp_csv_number(r.fields[obs], &o) < 0 ||
            cp_csv_number(r.fields[pred], &p) < 0)
            continue;
        if (json_object_set_new(cv, r.fields[id], json_pack("[f, f]", o, p)))
            rc = cp_error_oom(err);
    }
    cp_csv_close(&r);
    cp_free(path);
    return rc;
}

struct cmp_ctx {
    const struct cp_ml_saved *m;
    int classify;
    int *cols; /* column of each holder feature in features.csv */
    double *x;
    struct score fresh, held;
    size_t n;
};

static int header_columns(struct cmp_ctx *c, struct cp_csv *r, const char *path,
                          struct cp_error *err)
{
    for (size_t j = 0; j < c->m->p; j++) {
        c->cols[j] = cp_csv_field_index(r, c->m->features[j]);
        if (c->cols[j] < 0)
            return cp_error_set(err, CP_EDATA, "%s:1: no column '%s', a feature of the holder",
                                path, c->m->features[j]);
    }
    return 0;
}

/* One features.csv row: both models scored when it has a target, an out-of-fold prediction
 * and every holder feature. */
static void score_row(struct cmp_ctx *c, struct cp_csv *r, int id, int obs, json_t *cv)
{
    double o;
    json_t *pair = (size_t)id < r->nfields ? json_object_get(cv, r->fields[id]) : NULL;
    if (!pair || (size_t)obs >= r->nfields || cp_csv_number(r->fields[obs], &o) < 0)
        return;
    for (size_t j = 0; j < c->m->p; j++)
        if ((size_t)c->cols[j] >= r->nfields || cp_csv_number(r->fields[c->cols[j]], &c->x[j]) < 0)
            return;
    struct cp_ml_prediction p;
    cp_ml_saved_predict(c->m, c->x, &p);
    score_add(&c->held, c->classify, o, p.value);
    score_add(&c->fresh, c->classify, o, json_real_value(json_array_get(pair, 1)));
    c->n++;
}

static int score_features(struct cmp_ctx *c, const char *dir, json_t *cv, struct cp_error *err)
{
    struct cp_csv r;
    char *path;
    int rc = open_table(dir, "features.csv", &r, &path, err);
    if (rc < 0 && !path)
        return rc;
    int id = cp_csv_field_index(&r, "cell_id"), obs = cp_csv_field_index(&r, "observed");
    if (rc == 0 && (id < 0 || obs < 0))
        rc = cp_error_set(err, CP_EDATA, "%s:1: expected columns cell_id and observed", path);
    if (rc == 0)
        rc = header_columns(c, &r, path, err);
    for (int got; rc == 0 && (got = cp_csv_next(&r)) != 0;) {
        if (got < 0)
            rc = cp_error_errno(err, CP_EDATA, "%s:%ld: cannot read", path, r.lineno);
        else
            score_row(c, &r, id, obs, cv);
    }
    cp_csv_close(&r);
    cp_free(path);
    return rc;
}

int mlc_compare_cells(const char *dir, const char *holder, size_t len, const char *origin,
                      const char *task, double *fresh, double *held, size_t *n,
                      struct cp_error *err)
{
    struct cp_ml_saved m;
    memset(&m, 0, sizeof m);
    int rc = cp_ml_saved_from_text(&m, holder, len, origin, err);
    if (rc == 0 && task && strcmp(m.task, task) != 0)
        rc = cp_error_set(err, CP_EDATA, "%s: a %s model, this one is %s", origin, m.task, task);
    json_t *cv = rc == 0 ? json_object() : NULL;
    struct cmp_ctx c;
    memset(&c, 0, sizeof c);
    c.m = &m;
    c.classify = rc == 0 && strcmp(m.task, "classification") == 0;
    c.cols = rc == 0 ? cp_calloc(m.p + 1, sizeof *c.cols) : NULL;
    c.x = rc == 0 ? cp_calloc(m.p + 1, sizeof *c.x) : NULL;
    if (rc == 0 && (!cv || !c.cols || !c.x))
        rc = cp_error_oom(err);
    if (rc == 0)
        rc = read_cv(dir, cv, err);
    if (rc == 0)
        rc = score_features(&c, dir, cv, err);
    if (rc == 0 && c.n == 0)
        rc = cp_error_set(err, CP_EDATA, "%s: no cell of this run to compare on", origin);
    if (rc == 0) {
        *fresh = score_value(&c.fresh, c.classify, c.n);
        *held = score_value(&c.held, c.classify, c.n);
        *n = c.n;
    }
    json_decref(cv);
    cp_free(c.cols);
    cp_free(c.x);
    cp_ml_saved_release(&m);
    return rc;
}
