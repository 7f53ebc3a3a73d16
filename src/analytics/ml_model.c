/* model.json: a trained model saved, loaded again, and applied (include/cellpipe/ml_model.h). */
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/ml_model.h"

/* NaN and infinities have no JSON spelling: they are written as null. */
static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *num_array(const double *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, num(v[i])) < 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static json_t *str_array(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_string(v[i])) < 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

json_t *cp_ml_saved_to_json(const struct cp_ml_saved *m)
{
    json_t *o = json_pack(
        "{s:s, s:i, s:s, s:s, s:s, s:s, s:o, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o,"
        " s:{s:o, s:o, s:o}, s:I, s:s}",
        "format", CP_ML_FORMAT, "format_version", CP_ML_FORMAT_VERSION, "name", m->name, "task",
        m->task, "algorithm", m->algorithm, "target", m->target, "eol_threshold",
        num(m->eol_threshold), "early_cycles", (json_int_t)m->early_cycles, "features",
        str_array(m->features, m->p), "mean", num_array(m->mean, m->p), "sd",
        num_array(m->sd, m->p), "coef", num_array(m->coef, m->p), "intercept", num(m->intercept),
        "param", num(m->param), "l1_ratio", num(m->l1_ratio), "train_min",
        num_array(m->train_min, m->p), "train_max", num_array(m->train_max, m->p), "interval",
        "level", num(m->interval_level), "lo", num(m->interval_lo), "hi", num(m->interval_hi),
        "train_cells", (json_int_t)m->train_cells, "cells_sha256", m->cells_sha256);
    if (!o)
        return NULL;
    if ((m->metrics && json_object_set(o, "metrics", m->metrics) < 0) ||
        (m->folds && json_object_set(o, "folds", m->folds) < 0)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* A number or null (NaN) field. */
static int get_num(const json_t *o, const char *key, double *v)
{
    const json_t *x = json_object_get(o, key);
    if (json_is_null(x)) {
        *v = NAN;
        return 0;
    }
    if (!json_is_number(x))
        return -1;
    *v = json_number_value(x);
    return 0;
}

static int get_nums(const json_t *o, const char *key, size_t p, double **out)
{
    const json_t *a = json_object_get(o, key);
    if (!json_is_array(a) || json_array_size(a) != p)
        return -1;
    if (!(*out = cp_calloc(p ? p : 1, sizeof(double))))
        return -2;
    for (size_t j = 0; j < p; j++) {
        const json_t *x = json_array_get(a, j);
        if (json_is_null(x))
            (*out)[j] = NAN;
        else if (json_is_number(x))
            (*out)[j] = json_number_value(x);
        else
            return -1;
    }
    return 0;
}

static int get_str(const json_t *o, const char *key, char **out)
{
    const char *s = json_string_value(json_object_get(o, key));
    if (!s)
        return -1;
    return (*out = cp_strdup(s)) ? 0 : -2;
}

static int get_features(const json_t *o, struct cp_ml_saved *m)
{
    const json_t *a = json_object_get(o, "features");
    if (!json_is_array(a) || json_array_size(a) == 0)
        return -1;
    m->p = json_array_size(a);
    if (!(m->features = cp_calloc(m->p, sizeof(char *))))
        return -2;
    for (size_t j = 0; j < m->p; j++) {
        const char *s = json_string_value(json_array_get(a, j));
        if (!s)
            return -1;
        if (!(m->features[j] = cp_strdup(s)))
            return -2;
    }
    return 0;
}

/* The fields in file order; the first one missing or of the wrong type is named. */
static int decode(const json_t *o, struct cp_ml_saved *m, const char **bad)
{
    int rc;
#define TRY(key, expr)                                                                             \
    do {                                                                                           \
        *bad = key;                                                                                \
        if ((rc = (expr)) < 0)                                                                     \
            return rc;                                                                             \
    } while (0)
    TRY("name", get_str(o, "name", &m->name));
    TRY("task", get_str(o, "task", &m->task));
    TRY("algorithm", get_str(o, "algorithm", &m->algorithm));
    TRY("target", get_str(o, "target", &m->target));
    TRY("eol_threshold", get_num(o, "eol_threshold", &m->eol_threshold));
    TRY("early_cycles", json_is_integer(json_object_get(o, "early_cycles")) ? 0 : -1);
    m->early_cycles = (long)json_integer_value(json_object_get(o, "early_cycles"));
    TRY("features", get_features(o, m));
    TRY("mean", get_nums(o, "mean", m->p, &m->mean));
    TRY("sd", get_nums(o, "sd", m->p, &m->sd));
    TRY("coef", get_nums(o, "coef", m->p, &m->coef));
    TRY("intercept", get_num(o, "intercept", &m->intercept));
    TRY("param", get_num(o, "param", &m->param));
    TRY("l1_ratio", get_num(o, "l1_ratio", &m->l1_ratio));
    TRY("train_min", get_nums(o, "train_min", m->p, &m->train_min));
    TRY("train_max", get_nums(o, "train_max", m->p, &m->train_max));
    const json_t *iv = json_object_get(o, "interval");
    TRY("interval", json_is_object(iv) ? 0 : -1);
    TRY("interval.level", get_num(iv, "level", &m->interval_level));
    TRY("interval.lo", get_num(iv, "lo", &m->interval_lo));
    TRY("interval.hi", get_num(iv, "hi", &m->interval_hi));
    TRY("train_cells", json_is_integer(json_object_get(o, "train_cells")) ? 0 : -1);
    m->train_cells = (long)json_integer_value(json_object_get(o, "train_cells"));
    const char *sha = json_string_value(json_object_get(o, "cells_sha256"));
    TRY("cells_sha256", sha && strlen(sha) == 64 ? 0 : -1);
    memcpy(m->cells_sha256, sha, 65);
    TRY("task",
        strcmp(m->task, "regression") == 0 || strcmp(m->task, "classification") == 0 ? 0 : -1);
    TRY("intercept", isfinite(m->intercept) ? 0 : -1);
    for (size_t j = 0; j < m->p; j++)
        TRY("sd", isfinite(m->coef[j]) && isfinite(m->mean[j]) && m->sd[j] > 0 ? 0 : -1);
#undef TRY
    if ((m->metrics = json_object_get(o, "metrics")))
        json_incref(m->metrics);
    if ((m->folds = json_object_get(o, "folds")))
        json_incref(m->folds);
    return 0;
}

int cp_ml_saved_from_text(struct cp_ml_saved *m, const char *text, size_t len, const char *origin,
                          struct cp_error *err)
{
    memset(m, 0, sizeof(*m));
    json_error_t je;
    json_t *o = json_loadb(text, len, 0, &je);
    if (!o)
        return cp_error_set(err, CP_EDATA, "%s:%d: not JSON (%s)", origin, je.line, je.text);
    int rc = 0;
    const char *fmt = json_string_value(json_object_get(o, "format"));
    json_int_t ver = json_integer_value(json_object_get(o, "format_version"));
    if (!fmt || strcmp(fmt, CP_ML_FORMAT) != 0 || ver != CP_ML_FORMAT_VERSION) {
        rc = cp_error_set(err, CP_EDATA,
                          "%s: not a cellpipe model (expected \"format\": \"%s\", "
                          "\"format_version\": %d)",
                          origin, CP_ML_FORMAT, CP_ML_FORMAT_VERSION);
    } else {
        const char *bad = "";
        int d = decode(o, m, &bad);
        if (d == -2)
            rc = cp_error_oom(err);
        else if (d < 0)
            rc = cp_error_set(err, CP_EDATA, "%s: field '%s' missing or invalid", origin, bad);
    }
    json_decref(o);
    if (rc < 0)
        cp_ml_saved_release(m);
    return rc;
}

void cp_ml_saved_release(struct cp_ml_saved *m)
{
    if (!m)
        return;
    for (size_t j = 0; m->features && j < m->p; j++)
        cp_free(m->features[j]);
    cp_free(m->features);
    cp_free(m->name);
    cp_free(m->task);
    cp_free(m->algorithm);
    cp_free(m->target);
    cp_free(m->mean);
    cp_free(m->sd);
    cp_free(m->coef);
    cp_free(m->train_min);
    cp_free(m->train_max);
    json_decref(m->metrics);
    json_decref(m->folds);
    memset(m, 0, sizeof(*m));
}

void cp_ml_saved_predict(const struct cp_ml_saved *m, const double *x, struct cp_ml_prediction *out)
{
    double z = m->intercept;
    int outside = 0;
    for (size_t j = 0; j < m->p; j++) {
        z += m->coef[j] * ((x[j] - m->mean[j]) / m->sd[j]);
        outside |= x[j] < m->train_min[j] || x[j] > m->train_max[j];
    }
    out->z = z;
    out->out_of_range = outside;
    if (strcmp(m->task, "classification") == 0) {
        out->value = 1.0 / (1.0 + exp(-z));
        out->lo = out->hi = NAN;
    } else {
        out->value = pow(10.0, z);
        out->lo = pow(10.0, z + m->interval_lo);
        out->hi = pow(10.0, z + m->interval_hi);
    }
}
