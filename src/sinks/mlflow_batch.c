/* Packing one MLflow run's metrics, params and tags into as few log-batch ops as MLflow's limits
 * allow (mlflow_internal.h). */
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
#include "mlflow_internal.h"

void mlf_batch_init(struct batch *b, struct cp_mlflow_session *s, const char *ref, int64_t ts,
                    struct cp_error *err)
{
    memset(b, 0, sizeof(*b));
    b->s = s;
    b->ref = ref;
    b->ts = ts;
    b->err = err;
    b->seen = json_object();
    b->metrics = json_array();
    b->params = json_array();
    b->tags = json_array();
    if (!b->seen || !b->metrics || !b->params || !b->tags)
        b->rc = cp_error_oom(err);
}

/* An item's exact size in the request body (json_dumpb with no buffer only measures), plus
 * the comma. */
static size_t item_size(json_t *item)
{
    return json_dumpb(item, NULL, 0, JSON_COMPACT) + 1;
}

/* Move up to `limit` items from src[*at] into a new array stored in op under name. */
static int take(json_t *op, const char *name, json_t *src, size_t *at, size_t limit, size_t *items,
                size_t *bytes)
{
    json_t *dst = NULL;
    while (*at < json_array_size(src) && limit > 0 && *items < CP_MLFLOW_MAX_ITEMS) {
        json_t *item = json_array_get(src, *at);
        size_t sz = item_size(item);
        if (*items > 0 && *bytes + sz > CP_MLFLOW_MAX_BYTES)
            break;
        if (!dst && (!(dst = json_array()) || json_object_set_new(op, name, dst)))
            return -1;
        if (json_array_append(dst, item))
            return -1;
        (*at)++, (*items)++, limit--;
        *bytes += sz;
    }
    return 0;
}

static void batch_flush(struct batch *b)
{
    size_t im = 0, ip = 0, it = 0;
    while (b->rc == 0 && (im < json_array_size(b->metrics) || ip < json_array_size(b->params) ||
                          it < json_array_size(b->tags))) {
        size_t items = 0, bytes = 0;
        json_t *op = json_pack("{s:s, s:s}", "op", "log_batch", "ref", b->ref);
        if (!op || take(op, "params", b->params, &ip, CP_MLFLOW_MAX_PARAMS, &items, &bytes) ||
            take(op, "tags", b->tags, &it, CP_MLFLOW_MAX_TAGS, &items, &bytes) ||
            take(op, "metrics", b->metrics, &im, CP_MLFLOW_MAX_METRICS, &items, &bytes)) {
            json_decref(op);
            b->rc = cp_error_oom(b->err);
            return;
        }
        b->rc = cp_mlflow_submit(b->s, op, b->err);
    }
}

void mlf_batch_release(struct batch *b)
{
    batch_flush(b);
    json_decref(b->seen);
    json_decref(b->metrics);
    json_decref(b->params);
    json_decref(b->tags);
    b->seen = b->metrics = b->params = b->tags = NULL; /* b->rc stays for the caller */
}

static json_t *batch_slot(struct batch *b, json_t **which)
{
    return b->rc < 0 ? NULL : *which;
}

void mlf_batch_metric(struct batch *b, const char *key, double v, long long step)
{
    struct cp_strbuf k;
    cp_strbuf_init(&k);
    if (b->rc < 0)
        return;
    if (cp_mlflow_sanitize_key(&k, key)) {
        b->rc = cp_error_oom(b->err);
        return;
    }
    json_t *arr = batch_slot(b, &b->metrics);
    json_t *m =
        arr ? json_pack("{s:s, s:o, s:I, s:I}", "key", k.buf, "value", cp_mlflow_metric_value(v),
                        "timestamp", (json_int_t)b->ts, "step", (json_int_t)step)
            : NULL;
    if (arr && (!m || json_array_append_new(arr, m)))
        b->rc = cp_error_oom(b->err);
    cp_strbuf_release(&k);
}

/* Cut a value at max bytes without splitting a UTF-8 sequence. */
size_t mlf_cut_utf8(const char *v, size_t max)
{
    size_t n = strlen(v);
    if (n <= max)
        return n;
    while (max > 0 && ((unsigned char)v[max] & 0xC0) == 0x80)
        max--;
    return max;
}

/* A param (tag = 0) or tag (tag = 1); a key that sanitises to one already used in this run
 * gets "_2", "_3" ... so two settings never collide. */
void mlf_batch_kv(struct batch *b, int tag, const char *key, const char *value)
{
    struct cp_strbuf k;
    cp_strbuf_init(&k);
    if (b->rc < 0 || !value)
        return;
    size_t base_len;
    int bad = cp_mlflow_sanitize_key(&k, key);
    base_len = k.len;
    for (int n = 2; !bad && json_object_get(b->seen, k.buf); n++) {
        k.len = base_len;
        bad = cp_strbuf_addf(&k, "_%d", n);
    }
    if (bad || json_object_set_new(b->seen, k.buf, json_true())) {
        cp_strbuf_release(&k);
        b->rc = cp_error_oom(b->err);
        return;
    }
    size_t vlen = mlf_cut_utf8(value, tag ? CP_MLFLOW_MAX_TAG_VALUE : CP_MLFLOW_MAX_PARAM_VALUE);
    json_t **which = tag ? &b->tags : &b->params;
    json_t *arr = batch_slot(b, which);
    json_t *item = arr ? json_pack("{s:s, s:s%}", "key", k.buf, "value", value, vlen) : NULL;
    if (arr && (!item || json_array_append_new(arr, item)))
        b->rc = cp_error_oom(b->err);
    cp_strbuf_release(&k);
}

void mlf_batch_param(struct batch *b, const char *key, const char *value)
{
    mlf_batch_kv(b, 0, key, value);
}

void mlf_batch_paramf(struct batch *b, const char *key, const char *fmt, ...)
{
    struct cp_strbuf v;
    va_list ap;
    cp_strbuf_init(&v);
    va_start(ap, fmt);
    int bad = cp_strbuf_vaddf(&v, fmt, ap);
    va_end(ap);
    if (bad && b->rc == 0)
        b->rc = cp_error_oom(b->err);
    else
        mlf_batch_param(b, key, v.buf);
    cp_strbuf_release(&v);
}

void mlf_batch_param_double(struct batch *b, const char *key, double v)
{
    struct cp_strbuf sb;
    cp_strbuf_init(&sb);
    if (isnan(v) ? cp_strbuf_adds(&sb, "NaN") : cp_strbuf_add_double(&sb, v))
        b->rc = b->rc < 0 ? b->rc : cp_error_oom(b->err);
    else
        mlf_batch_param(b, key, sb.buf);
    cp_strbuf_release(&sb);
}

void mlf_batch_param_list(struct batch *b, const char *key, const struct cp_strlist *l)
{
    struct cp_strbuf sb;
    cp_strbuf_init(&sb);
    if (l->n == 0)
        return;
    int bad = 0;
    for (size_t i = 0; i < l->n && !bad; i++)
        bad = (i && cp_strbuf_addch(&sb, ',')) || cp_strbuf_adds(&sb, l->v[i]);
    if (bad)
        b->rc = b->rc < 0 ? b->rc : cp_error_oom(b->err);
    else
        mlf_batch_param(b, key, sb.buf);
    cp_strbuf_release(&sb);
}

/* --- the pipeline settings, flattened -------------------------------------------------- */
