/*
 * YAML -> struct cp_config, driven by the schema table (schema.c). libyaml loads the document
 * (its nodes keep the marks of the events they came from, so every error can name
 * file:line:col); the walker below converts each node by the field's type.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "cellpipe/alloc.h"
#include "cellpipe/config.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/strbuf.h"
#include "schema.h"

struct ctx {
    const char *file;
    yaml_document_t *doc;
    struct cp_error *err;
};

#define AT(p, field) ((char *)(p) + (field)->off)
#define AT2(p, field) ((char *)(p) + (field)->off2)

static int node_line(const yaml_node_t *n)
{
    return (int)n->start_mark.line + 1;
}

static int node_col(const yaml_node_t *n)
{
    return (int)n->start_mark.column + 1;
}

static int fail(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n)
        return cp_error_set(c->err, CP_ECONFIG, "%s:%d:%d: %s", c->file, node_line(n), node_col(n),
                            msg);
    return cp_error_set(c->err, CP_ECONFIG, "%s: %s", c->file, msg);
}

/* Re-set an error raised without a position (variable expansion) with file:line:col. */
static int refail(struct ctx *c, const yaml_node_t *n)
{
    char msg[CP_ERROR_MSG_MAX];
    snprintf(msg, sizeof(msg), "%s", c->err->msg);
    cp_error_clear(c->err);
    return fail(c, n, "%s", msg);
}

static const char *node_kind(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_SCALAR_NODE:
        return "a scalar";
    case YAML_SEQUENCE_NODE:
        return "a list";
    case YAML_MAPPING_NODE:
        return "a mapping";
    default:
        return "nothing";
    }
}

/* --- ${VAR} and ${VAR:-default} --- */

static int expand_one(struct cp_strbuf *out, const char **pp, struct cp_error *err)
{
    const char *p = *pp + 2, *close = strchr(p, '}');
    if (!close)
        return cp_error_set(err, CP_ECONFIG, "unterminated '${' (expected '}')");
    const char *dflt = NULL, *name_end = close;
    for (const char *q = p; q < close; q++)
        if (q[0] == ':' && q[1] == '-') {
            name_end = q;
            dflt = q + 2;
            break;
        }
    char name[128];
    size_t nlen = (size_t)(name_end - p);
    if (nlen == 0 || nlen >= sizeof(name))
        return cp_error_set(err, CP_ECONFIG, "bad variable name in '${...}'");
    memcpy(name, p, nlen);
    name[nlen] = '\0';
    const char *val = getenv(name);
    int rc;
    if (val && *val)
        rc = cp_strbuf_adds(out, val);
    else if (dflt)
        rc = cp_strbuf_add(out, dflt, (size_t)(close - dflt));
    else if (val)
        rc = 0;
    else
        return cp_error_set(err, CP_ECONFIG,
                            "environment variable '%s' is not set (write ${%s:-default} "
                            "for a default)",
                            name, name);
    *pp = close + 1;
    return rc < 0 ? cp_error_oom(err) : 0;
}

char *cp_config_expand(const char *s, struct cp_error *err)
{
    struct cp_strbuf out;
    cp_strbuf_init(&out);
    const char *p = s;
    while (*p) {
        int rc;
        if (p[0] == '$' && p[1] == '{') {
            rc = expand_one(&out, &p, err);
        } else if (p[0] == '$' && p[1] == '$') { /* $$ is a literal $ */
            rc = cp_strbuf_addch(&out, '$') < 0 ? cp_error_oom(err) : 0;
            p += 2;
        } else {
            rc = cp_strbuf_addch(&out, *p++) < 0 ? cp_error_oom(err) : 0;
        }
        if (rc < 0) {
            cp_strbuf_release(&out);
            return NULL;
        }
    }
    return cp_strbuf_detach(&out);
}

/* --- scalar conversion (shared by file values and defaults) --- */

static int parse_bool(const char *s, int *out)
{
    static const char *const yes[] = {"true", "yes", "on", NULL};
    static const char *const no[] = {"false", "no", "off", NULL};
    for (int i = 0; yes[i]; i++)
        if (strcmp(s, yes[i]) == 0)
            return *out = 1, 0;
    for (int i = 0; no[i]; i++)
        if (strcmp(s, no[i]) == 0)
            return *out = 0, 0;
    return -1;
}

static int parse_double(const char *s, double *out)
{
    if (*s == '\0' || strcmp(s, "auto") == 0)
        return *out = NAN, 0;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno == ERANGE || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

static int parse_long(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno == ERANGE)
        return -1;
    *out = v;
    return 0;
}

static int enum_index(const char *const *names, const char *s)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

static void join_names(const char *const *names, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; names[i] && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? ", " : "", names[i]);
}

static int check_range(struct ctx *c, const yaml_node_t *n, const struct cp_field *f, double v,
                       const char *text)
{
    if (f->lo > f->hi || isnan(v) || (v >= f->lo && v <= f->hi))
        return 0;
    return fail(c, n, "expected a number from %g to %g for '%s', got '%s'", f->lo, f->hi, f->key,
                text);
}

/* Set a scalar field from text. n is NULL for defaults (their text is trusted). */
static int set_scalar(struct ctx *c, const yaml_node_t *n, const struct cp_field *f, void *base,
                      const char *text)
{
    char names[256];
    switch (f->type) {
    case F_STR: {
        char *d = cp_strdup(text);
        if (!d)
            return cp_error_oom(c->err);
        cp_free(*(char **)AT(base, f));
        *(char **)AT(base, f) = d;
        return 0;
    }
    case F_BOOL:
        if (parse_bool(text, (int *)AT(base, f)) < 0)
            return fail(c, n, "expected true or false for '%s', got '%s'", f->key, text);
        return 0;
    case F_LONG: {
        long v;
        if (parse_long(text, &v) < 0)
            return fail(c, n, "expected an integer for '%s', got '%s'", f->key, text);
        *(long *)AT(base, f) = v;
        return check_range(c, n, f, (double)v, text);
    }
    case F_DOUBLE: {
        double v;
        if (parse_double(text, &v) < 0)
            return fail(c, n, "expected a number for '%s', got '%s'", f->key, text);
        *(double *)AT(base, f) = v;
        return check_range(c, n, f, v, text);
    }
    case F_ENUM: {
        int i = enum_index(f->enums, text);
        if (i < 0) {
            join_names(f->enums, names, sizeof(names));
            return fail(c, n, "expected one of %s for '%s', got '%s'", names, f->key, text);
        }
        *(int *)AT(base, f) = i;
        return 0;
    }
    default:
        return fail(c, n, "expected %s for '%s', got a scalar",
                    f->type == F_SECTION || f->type == F_FILTERS ? "a mapping" : "a list", f->key);
    }
}

/* --- lists of scalars --- */

static void strlist_clear(struct cp_strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        cp_free(l->v[i]);
    cp_free(l->v);
    l->v = NULL;
    l->n = 0;
}

static int strlist_push(struct cp_strlist *l, const char *s)
{
    char **nv = cp_realloc(l->v, (l->n + 1) * sizeof(*nv));
    if (!nv)
        return -1;
    l->v = nv;
    if (!(l->v[l->n] = cp_strdup(s)))
        return -1;
    l->n++;
    return 0;
}

/* Add one list item (text) to a list-of-scalars field. */
static int add_item(struct ctx *c, const yaml_node_t *n, const struct cp_field *f, void *base,
                    const char *text)
{
    char names[256];
    if (f->type == F_STRLIST)
        return strlist_push((struct cp_strlist *)AT(base, f), text) < 0 ? cp_error_oom(c->err) : 0;
    if (f->type == F_LONGS) {
        size_t *count = (size_t *)AT2(base, f);
        long v;
        if (parse_long(text, &v) < 0)
            return fail(c, n, "expected an integer in '%s', got '%s'", f->key, text);
        if (*count >= 8)
            return fail(c, n, "expected at most 8 values in '%s'", f->key);
        ((long *)AT(base, f))[(*count)++] = v;
        return check_range(c, n, f, (double)v, text);
    }
    int i = enum_index(f->enums, text); /* F_FLAGS */
    if (i < 0) {
        join_names(f->enums, names, sizeof(names));
        return fail(c, n, "expected one of %s in '%s', got '%s'", names, f->key, text);
    }
    if (f->off2)
        ((int *)AT(base, f))[i] = 1;
    else
        *(unsigned *)AT(base, f) |= 1u << i;
    return 0;
}

static void clear_items(const struct cp_field *f, void *base)
{
    if (f->type == F_STRLIST)
        strlist_clear((struct cp_strlist *)AT(base, f));
    else if (f->type == F_LONGS)
        *(size_t *)AT2(base, f) = 0;
    else if (f->off2)
        memset(AT(base, f), 0, CP_MODEL_COUNT * sizeof(int));
    else
        *(unsigned *)AT(base, f) = 0;
}

static int is_item_list(enum cp_ftype t)
{
    return t == F_STRLIST || t == F_LONGS || t == F_FLAGS;
}

/* --- defaults --- */

static int apply_defaults(struct ctx *c, const struct cp_section *s, void *base)
{
    for (const struct cp_field *f = s->fields; f->key; f++) {
        int rc = 0;
        if (f->type == F_SECTION) {
            rc = apply_defaults(c, f->sub, AT(base, f));
        } else if (f->def && is_item_list(f->type)) {
            clear_items(f, base);
            char buf[256];
            snprintf(buf, sizeof(buf), "%s", f->def);
            for (char *p = buf, *q; rc == 0 && *p; p = q) {
                q = p + strcspn(p, ",");
                if (*q)
                    *q++ = '\0';
                rc = add_item(c, NULL, f, base, p);
            }
        } else if (f->def) {
            char *text = cp_config_expand(f->def, c->err);
            rc = text ? set_scalar(c, NULL, f, base, text) : -CP_ECONFIG;
            cp_free(text);
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* --- the walker --- */

static int parse_section(struct ctx *c, const yaml_node_t *n, const struct cp_section *s,
                         void *base);

static const char *scalar_text(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

/* Levenshtein distance, for "did you mean". */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[64];
    if (lb >= 63 || la >= 63)
        return 99;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t sub = prev + (a[i - 1] != b[j - 1]);
            size_t del = row[j] + 1, ins = row[j - 1] + 1;
            row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
            prev = cur;
        }
    }
    return row[lb];
}

static int unknown_key(struct ctx *c, const yaml_node_t *k, const struct cp_section *s)
{
    const char *key = scalar_text(k), *best = NULL;
    size_t bestd = 3;
    for (const struct cp_field *f = s->fields; f->key; f++) {
        size_t d = edit_distance(key, f->key);
        if (d < bestd) {
            bestd = d;
            best = f->key;
        }
    }
    const char *where = s->name[0] ? s->name : "the pipeline";
    if (best)
        return fail(c, k, "unknown key '%s' in %s (did you mean '%s'?)", key, where, best);
    return fail(c, k, "unknown key '%s' in %s", key, where);
}

static int is_secret_key(const char *key)
{
    static const char *const words[] = {"password", "passwd", "token", "secret",
                                        "api_key",  "apikey", NULL};
    for (int i = 0; words[i]; i++)
        if (strstr(key, words[i]))
            return 1;
    return 0;
}

static int parse_items(struct ctx *c, const yaml_node_t *n, const struct cp_field *f, void *base)
{
    clear_items(f, base);
    if (n->type == YAML_SCALAR_NODE) { /* a single value stands for a list of one */
        char *text = cp_config_expand(scalar_text(n), c->err);
        if (!text)
            return refail(c, n);
        int rc = *text ? add_item(c, n, f, base, text) : 0;
        cp_free(text);
        return rc;
    }
    if (n->type != YAML_SEQUENCE_NODE)
        return fail(c, n, "expected a list for '%s', got %s", f->key, node_kind(n));
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
         it++) {
        yaml_node_t *item = yaml_document_get_node(c->doc, *it);
        if (item->type != YAML_SCALAR_NODE)
            return fail(c, item, "expected a scalar in '%s', got %s", f->key, node_kind(item));
        char *text = cp_config_expand(scalar_text(item), c->err);
        if (!text)
            return refail(c, item);
        int rc = add_item(c, item, f, base, text);
        cp_free(text);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int parse_list(struct ctx *c, const yaml_node_t *n, const struct cp_field *f, void *base)
{
    if (n->type != YAML_SEQUENCE_NODE)
        return fail(c, n, "expected a list for '%s', got %s", f->key, node_kind(n));
    const struct cp_section *s = f->sub;
    size_t count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    char *arr = cp_calloc(count ? count : 1, s->elem_size);
    if (!arr)
        return cp_error_oom(c->err);
    *(void **)AT(base, f) = arr;
    *(size_t *)AT2(base, f) = 0;
    for (size_t i = 0; i < count; i++) {
        yaml_node_t *item = yaml_document_get_node(c->doc, n->data.sequence.items.start[i]);
        void *elem = arr + i * s->elem_size;
        int rc = apply_defaults(c, s, elem);
        *(size_t *)AT2(base, f) = i + 1; /* counted now so release frees it */
        if (rc == 0 && s->line_off != (size_t)-1)
            *(int *)((char *)elem + s->line_off) = node_line(item);
        if (rc == 0)
            rc = parse_section(c, item, s, elem);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int parse_filters(struct ctx *c, const yaml_node_t *n, const struct cp_field *f, void *base)
{
    if (n->type != YAML_MAPPING_NODE)
        return fail(c, n, "expected a mapping for '%s', got %s", f->key, node_kind(n));
    size_t count = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    struct cp_filter *arr = cp_calloc(count ? count : 1, sizeof(*arr));
    if (!arr)
        return cp_error_oom(c->err);
    *(struct cp_filter **)AT(base, f) = arr;
    static const struct cp_field values = {
        "values", F_STRLIST, offsetof(struct cp_filter, values), 0, NULL, NULL, 1, 0, NULL, NULL};
    for (size_t i = 0; i < count; i++) {
        yaml_node_pair_t *pair = &n->data.mapping.pairs.start[i];
        yaml_node_t *k = yaml_document_get_node(c->doc, pair->key);
        yaml_node_t *v = yaml_document_get_node(c->doc, pair->value);
        *(size_t *)AT2(base, f) = i + 1;
        if (k->type != YAML_SCALAR_NODE)
            return fail(c, k, "expected a column name in '%s'", f->key);
        if (!(arr[i].column = cp_strdup(scalar_text(k))))
            return cp_error_oom(c->err);
        int rc = parse_items(c, v, &values, &arr[i]);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int parse_value(struct ctx *c, const yaml_node_t *v, const struct cp_field *f, void *base)
{
    switch (f->type) {
    case F_SECTION:
        return parse_section(c, v, f->sub, AT(base, f));
    case F_LIST:
        return parse_list(c, v, f, base);
    case F_FILTERS:
        return parse_filters(c, v, f, base);
    case F_STRLIST:
    case F_LONGS:
    case F_FLAGS:
        return parse_items(c, v, f, base);
    default:
        break;
    }
    if (v->type != YAML_SCALAR_NODE)
        return fail(c, v, "expected a single value for '%s', got %s", f->key, node_kind(v));
    char *text = cp_config_expand(scalar_text(v), c->err);
    if (!text)
        return refail(c, v);
    int rc = set_scalar(c, v, f, base, text);
    cp_free(text);
    return rc;
}

static int parse_section(struct ctx *c, const yaml_node_t *n, const struct cp_section *s,
                         void *base)
{
    if (n->type == YAML_SCALAR_NODE && n->data.scalar.length == 0)
        return 0; /* `section:` with nothing under it */
    if (n->type != YAML_MAPPING_NODE && !s->name[0])
        return fail(c, n, "expected a mapping of pipeline keys, got %s", node_kind(n));
    if (n->type != YAML_MAPPING_NODE)
        return fail(c, n, "expected a mapping for '%s', got %s", s->name, node_kind(n));
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
        if (k->type != YAML_SCALAR_NODE)
            return fail(c, k, "expected a key, got %s", node_kind(k));
        for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < p; q++)
            if (strcmp(scalar_text(yaml_document_get_node(c->doc, q->key)), scalar_text(k)) == 0)
                return fail(c, k, "duplicate key '%s'", scalar_text(k));
        const struct cp_field *f = s->fields;
        while (f->key && strcmp(f->key, scalar_text(k)) != 0)
            f++;
        if (!f->key && is_secret_key(scalar_text(k)))
            return fail(c, k,
                        "'%s' looks like a secret: secrets come from the environment, never "
                        "from the pipeline file",
                        scalar_text(k));
        if (!f->key)
            return unknown_key(c, k, s);
        int rc = parse_value(c, v, f, base);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* --- release --- */

static void release_section(const struct cp_section *s, void *base)
{
    for (const struct cp_field *f = s->fields; f->key; f++) {
        if (f->type == F_STR) {
            cp_free(*(char **)AT(base, f));
            *(char **)AT(base, f) = NULL;
        } else if (f->type == F_STRLIST) {
            strlist_clear((struct cp_strlist *)AT(base, f));
        } else if (f->type == F_SECTION) {
            release_section(f->sub, AT(base, f));
        } else if (f->type == F_LIST) {
            char *arr = *(char **)AT(base, f);
            size_t count = *(size_t *)AT2(base, f);
            for (size_t i = 0; arr && i < count; i++)
                release_section(f->sub, arr + i * f->sub->elem_size);
            cp_free(arr);
            *(char **)AT(base, f) = NULL;
            *(size_t *)AT2(base, f) = 0;
        } else if (f->type == F_FILTERS) {
            struct cp_filter *arr = *(struct cp_filter **)AT(base, f);
            size_t count = *(size_t *)AT2(base, f);
            for (size_t i = 0; arr && i < count; i++) {
                cp_free(arr[i].column);
                strlist_clear(&arr[i].values);
            }
            cp_free(arr);
            *(struct cp_filter **)AT(base, f) = NULL;
            *(size_t *)AT2(base, f) = 0;
        }
    }
}

void cp_config_release(struct cp_config *cfg)
{
    if (!cfg)
        return;
    release_section(&cp_schema_root, cfg);
    cp_free(cfg->path);
    cp_free(cfg->dir);
    memset(cfg, 0, sizeof(*cfg));
}

/* --- defaults and checks across fields --- */

static char *stem_of(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 5 && strcmp(base + n - 5, ".yaml") == 0)
        n -= 5;
    else if (n > 4 && strcmp(base + n - 4, ".yml") == 0)
        n -= 4;
    return cp_strndup(base, n);
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return cp_strdup(".");
    return cp_strndup(path, slash == path ? 1 : (size_t)(slash - path));
}

/* Rules checked when the pipeline has no validate.rules (see pipelines/README.md). */
static int default_rules(struct ctx *c, struct cp_validate_config *v)
{
    static const struct {
        enum cp_rule_kind kind;
        const char *column;
        enum cp_policy policy;
        double min, threshold;
    } defs[] = {
        {CP_RULE_REQUIRED, "discharge_capacity_ah", CP_POLICY_QUARANTINE, NAN, 0.05},
        {CP_RULE_DUPLICATES, "cycle_index", CP_POLICY_QUARANTINE, NAN, 0.05},
        {CP_RULE_RANGE, "discharge_capacity_ah", CP_POLICY_QUARANTINE, 0, 0.05},
        {CP_RULE_OUTLIER, "discharge_capacity_ah", CP_POLICY_QUARANTINE, NAN, 0.05},
        {CP_RULE_GAPS, "cycle_index", CP_POLICY_WARN, NAN, 1},
        {CP_RULE_MONOTONIC, "test_time_s", CP_POLICY_WARN, NAN, 1},
    };
    size_t n = sizeof(defs) / sizeof(defs[0]);
    v->rules = cp_calloc(n, sizeof(*v->rules));
    if (!v->rules)
        return cp_error_oom(c->err);
    for (size_t i = 0; i < n; i++) {
        struct cp_rule_config *r = &v->rules[i];
        v->nrules = i + 1;
        int rc = apply_defaults(c, &cp_schema_rule, r);
        if (rc < 0)
            return rc;
        r->kind = defs[i].kind;
        r->policy = defs[i].policy;
        r->min = defs[i].min;
        r->threshold = defs[i].threshold;
        cp_free(r->column);
        if (!(r->column = cp_strdup(defs[i].column)))
            return cp_error_oom(c->err);
    }
    return 0;
}

int cp_config_defaults(struct cp_config *cfg, const char *path, struct cp_error *err)
{
    struct ctx c = {path, NULL, err};
    memset(cfg, 0, sizeof(*cfg));
    cfg->path = cp_strdup(path);
    cfg->dir = dir_of(path);
    if (!cfg->path || !cfg->dir)
        return cp_error_oom(err);
    return apply_defaults(&c, &cp_schema_root, cfg);
}

static int valid_name(const char *s)
{
    if (!*s || *s == '.' || strlen(s) > 100)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_' || *s == '.'))
            return 0;
    return 1;
}

static const yaml_node_t *find_key(yaml_document_t *doc, const yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++)
        if (strcmp(scalar_text(yaml_document_get_node(doc, p->key)), key) == 0)
            return yaml_document_get_node(doc, p->key);
    return NULL;
}

/* Checks that need more than one key. `root` may be NULL (empty file). */
static int check_config(struct ctx *c, struct cp_config *cfg, const yaml_node_t *root)
{
    const yaml_node_t *src = find_key(c->doc, root, "source");
    if (!cfg->name && !(cfg->name = stem_of(cfg->path)))
        return cp_error_oom(c->err);
    if (!valid_name(cfg->name))
        return fail(c, find_key(c->doc, root, "name"),
                    "expected a pipeline name of letters, digits, '.', '_' or '-', got '%s'",
                    cfg->name);
    if (cfg->source.kind == CP_SOURCE_FILES && cfg->source.paths.n == 0)
        return fail(c, src, "expected 'paths' in 'source' for kind files");
    if (cfg->source.kind == CP_SOURCE_REDASH &&
        (cfg->source.cells_query_id <= 0 || cfg->source.cycles_query_id <= 0))
        return fail(c, src,
                    "expected 'cells_query_id' and 'cycles_query_id' in 'source' for kind redash");
    if (cfg->fits.ce_min >= cfg->fits.ce_max)
        return fail(c, find_key(c->doc, root, "fits"), "expected 'ce_min' below 'ce_max'");
    for (size_t i = 0; i < cfg->plots.nlist; i++)
        if (!cfg->plots.list[i].name || !valid_name(cfg->plots.list[i].name))
            return cp_error_set(c->err, CP_ECONFIG,
                                "%s:%d: expected a 'name' of letters, digits, '.', '_' or '-' "
                                "in the plot",
                                c->file, cfg->plots.list[i].line);
    if (!cfg->validate.rules)
        return default_rules(c, &cfg->validate);
    return 0;
}

static int yaml_fail(struct ctx *c, const yaml_parser_t *p)
{
    const char *what = p->problem ? p->problem : "malformed YAML";
    const yaml_mark_t *m = &p->problem_mark;
    if (p->context)
        return cp_error_set(c->err, CP_ECONFIG, "%s:%d:%d: %s %s", c->file, (int)m->line + 1,
                            (int)m->column + 1, what, p->context);
    return cp_error_set(c->err, CP_ECONFIG, "%s:%d:%d: %s", c->file, (int)m->line + 1,
                        (int)m->column + 1, what);
}

int cp_config_load_buffer(struct cp_config *cfg, const char *path, const char *text, size_t len,
                          struct cp_error *err)
{
    struct ctx c = {path, NULL, err};
    yaml_parser_t parser;
    yaml_document_t doc;
    int have_doc = 0, rc = cp_config_defaults(cfg, path, err);
    if (rc < 0)
        goto done;
    if (!yaml_parser_initialize(&parser)) {
        rc = cp_error_oom(err);
        goto done;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = yaml_fail(&c, &parser);
        yaml_parser_delete(&parser);
        goto done;
    }
    have_doc = 1;
    c.doc = &doc;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root)
        rc = parse_section(&c, root, &cp_schema_root, cfg);
    if (rc == 0)
        rc = check_config(&c, cfg, root);
    yaml_parser_delete(&parser);
done:
    if (have_doc)
        yaml_document_delete(&doc);
    if (rc < 0)
        cp_config_release(cfg);
    return rc;
}

int cp_config_load(struct cp_config *cfg, const char *path, struct cp_error *err)
{
    char *text = NULL;
    size_t len = 0;
    memset(cfg, 0, sizeof(*cfg));
    if (cp_fs_read_file(path, &text, &len) < 0)
        return cp_error_set(err, errno == ENOENT ? CP_ENOINPUT : CP_ECONFIG, "cannot read '%s': %s",
                            path, strerror(errno));
    int rc = cp_config_load_buffer(cfg, path, text, len, err);
    cp_free(text);
    return rc;
}

char *cp_config_path(const struct cp_config *cfg, const char *rel)
{
    if (rel[0] == '/' || !cfg->dir || strcmp(cfg->dir, ".") == 0)
        return cp_strdup(rel);
    return cp_path_join(cfg->dir, rel);
}

const char *cp_model_name(enum cp_model m)
{
    static const char *const names[] = {"linear", "sqrt", "power", "double_exp", "bacon_watts"};
    return m < CP_MODEL_COUNT ? names[m] : "none";
}

const char *cp_source_kind_name(enum cp_source_kind k)
{
    static const char *const names[] = {"sample", "files", "postgres", "redash", "shards"};
    return names[k];
}

/* --- documentation --- */

static const char *type_doc(const struct cp_field *f)
{
    static const char *const names[] = {
        "string",       "bool",         "integer", "number",          "enum", "list", "map",
        "list of maps", "map of lists", "list",    "list of integers"};
    return names[f->type];
}

static void print_fields(FILE *out, const struct cp_section *s, const char *prefix)
{
    for (const struct cp_field *f = s->fields; f->key; f++) {
        char key[160];
        snprintf(key, sizeof(key), "%.60s%.60s", prefix, f->key);
        if (f->type == F_SECTION) {
            fprintf(out,
                    "\n### `%s`: %s\n\n| key | type | default | meaning |\n|---|---|---|---|\n",
                    key, f->doc);
            print_fields(out, f->sub, "");
            continue;
        }
        char values[256] = "";
        if (f->enums)
            join_names(f->enums, values, sizeof(values));
        fprintf(out, "| `%s` | %s%s%s%s | %s | %s |\n", key, type_doc(f), values[0] ? " (" : "",
                values, values[0] ? ")" : "", f->def ? (f->def[0] ? f->def : "auto") : "-", f->doc);
        if (f->type == F_LIST) {
            fprintf(out,
                    "\nEach item of `%s`:\n\n| key | type | default | meaning |\n"
                    "|---|---|---|---|\n",
                    key);
            print_fields(out, f->sub, "");
            fprintf(out, "\n");
        }
    }
}

void cp_config_print_schema(FILE *f)
{
    fprintf(f, "## Top level\n\n| key | type | default | meaning |\n|---|---|---|---|\n");
    print_fields(f, &cp_schema_root, "");
}
