/* The config walker: sections of the YAML document converted field by field through the schema
 * table, unknown and secret keys refused, and their release (config_internal.h). */
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
#include "config_internal.h"

/* --- the walker --- */

int cfg_parse_section(struct ctx *c, const yaml_node_t *n, const struct cp_section *s, void *base);

const char *cfg_scalar_text(const yaml_node_t *n)
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
    const char *key = cfg_scalar_text(k), *best = NULL;
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
        return cfg_fail(c, k, "unknown key '%s' in %s (did you mean '%s'?)", key, where, best);
    return cfg_fail(c, k, "unknown key '%s' in %s", key, where);
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

/* libyaml keeps every pair of a mapping: a key (k, of pair p) seen before in n is refused, so
 * that neither value silently wins. The earlier keys are scalars already. 0 or negative code. */
static int duplicate_key(struct ctx *c, const yaml_node_t *n, const yaml_node_pair_t *p,
                         const yaml_node_t *k)
{
    const char *key = cfg_scalar_text(k);
    for (const yaml_node_pair_t *q = n->data.mapping.pairs.start; q < p; q++)
        if (strcmp(cfg_scalar_text(yaml_document_get_node(c->doc, q->key)), key) == 0)
            return cfg_fail(c, k, "duplicate key '%s'", key);
    return 0;
}

static int parse_items(struct ctx *c, const yaml_node_t *n, const struct cp_field *f, void *base)
{
    cfg_clear_items(f, base);
    if (n->type == YAML_SCALAR_NODE) { /* a single value stands for a list of one */
        char *text = cp_config_expand(cfg_scalar_text(n), c->err);
        if (!text)
            return cfg_refail(c, n);
        int rc = *text ? cfg_add_item(c, n, f, base, text) : 0;
        cp_free(text);
        return rc;
    }
    if (n->type != YAML_SEQUENCE_NODE)
        return cfg_fail(c, n, "expected a list for '%s', got %s", f->key, cfg_node_kind(n));
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
         it++) {
        yaml_node_t *item = yaml_document_get_node(c->doc, *it);
        if (item->type != YAML_SCALAR_NODE)
            return cfg_fail(c, item, "expected a scalar in '%s', got %s", f->key,
                            cfg_node_kind(item));
        char *text = cp_config_expand(cfg_scalar_text(item), c->err);
        if (!text)
            return cfg_refail(c, item);
        int rc = cfg_add_item(c, item, f, base, text);
        cp_free(text);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int parse_list(struct ctx *c, const yaml_node_t *n, const struct cp_field *f, void *base)
{
    if (n->type != YAML_SEQUENCE_NODE)
        return cfg_fail(c, n, "expected a list for '%s', got %s", f->key, cfg_node_kind(n));
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
        int rc = cfg_apply_defaults(c, s, elem);
        *(size_t *)AT2(base, f) = i + 1; /* counted now so release frees it */
        if (rc == 0 && s->line_off != (size_t)-1)
            *(int *)((char *)elem + s->line_off) = cfg_node_line(item);
        if (rc == 0)
            rc = cfg_parse_section(c, item, s, elem);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int parse_filters(struct ctx *c, const yaml_node_t *n, const struct cp_field *f, void *base)
{
    if (n->type != YAML_MAPPING_NODE)
        return cfg_fail(c, n, "expected a mapping for '%s', got %s", f->key, cfg_node_kind(n));
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
            return cfg_fail(c, k, "expected a column name in '%s'", f->key);
        int rc = duplicate_key(c, n, pair, k);
        if (rc < 0)
            return rc;
        if (!(arr[i].column = cp_strdup(cfg_scalar_text(k))))
            return cp_error_oom(c->err);
        rc = parse_items(c, v, &values, &arr[i]);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int parse_value(struct ctx *c, const yaml_node_t *v, const struct cp_field *f, void *base)
{
    switch (f->type) {
    case F_SECTION:
        return cfg_parse_section(c, v, f->sub, AT(base, f));
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
        return cfg_fail(c, v, "expected a single value for '%s', got %s", f->key, cfg_node_kind(v));
    char *text = cp_config_expand(cfg_scalar_text(v), c->err);
    if (!text)
        return cfg_refail(c, v);
    int rc = cfg_set_scalar(c, v, f, base, text);
    cp_free(text);
    return rc;
}

int cfg_parse_section(struct ctx *c, const yaml_node_t *n, const struct cp_section *s, void *base)
{
    if (n->type == YAML_SCALAR_NODE && n->data.scalar.length == 0)
        return 0; /* `section:` with nothing under it */
    if (n->type != YAML_MAPPING_NODE && !s->name[0])
        return cfg_fail(c, n, "expected a mapping of pipeline keys, got %s", cfg_node_kind(n));
    if (n->type != YAML_MAPPING_NODE)
        return cfg_fail(c, n, "expected a mapping for '%s', got %s", s->name, cfg_node_kind(n));
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
        if (k->type != YAML_SCALAR_NODE)
            return cfg_fail(c, k, "expected a key, got %s", cfg_node_kind(k));
        int rc = duplicate_key(c, n, p, k);
        if (rc < 0)
            return rc;
        const struct cp_field *f = s->fields;
        while (f->key && strcmp(f->key, cfg_scalar_text(k)) != 0)
            f++;
        if (!f->key && is_secret_key(cfg_scalar_text(k)))
            return cfg_fail(c, k,
                            "'%s' looks like a secret: secrets come from the environment, never "
                            "from the pipeline file",
                            cfg_scalar_text(k));
        if (!f->key)
            return unknown_key(c, k, s);
        rc = parse_value(c, v, f, base);
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
            cfg_strlist_clear((struct cp_strlist *)AT(base, f));
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
                cp_free(arr[i].origin);
                cfg_strlist_clear(&arr[i].values);
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
    cfg_strlist_clear(&cfg->overrides);
    memset(cfg, 0, sizeof(*cfg));
}
