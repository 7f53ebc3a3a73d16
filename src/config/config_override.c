/* Overrides from the command line (`--set KEY=VALUE`, `--select COLUMN=V1,V2`): applied to
 * the YAML document before it is walked, so an override is parsed and checked by exactly the
 * code that checks the file. Nodes made from an override carry a mark (cfg_override_mark)
 * that makes cfg_fail name the option instead of file:line:col (config_internal.h). */
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

const char *cfg_override_text(const struct ctx *c, const yaml_node_t *n)
{
    size_t line = n->start_mark.line;
    if (!c->ov || line < CFG_OVERRIDE_MARK || line - CFG_OVERRIDE_MARK >= c->ov->nset)
        return NULL;
    return c->ov->set[line - CFG_OVERRIDE_MARK];
}

static void mark_node(yaml_document_t *doc, int id, size_t mark)
{
    yaml_node_t *n = yaml_document_get_node(doc, id);
    n->start_mark.line = n->end_mark.line = mark;
    n->start_mark.column = n->end_mark.column = 0;
}

/* Copy node n of src into dst (marked), returning its id; 0 when memory runs out. */
static int copy_node(yaml_document_t *dst, yaml_document_t *src, const yaml_node_t *n, size_t mark)
{
    int id = 0;
    if (n->type == YAML_SCALAR_NODE) {
        id = yaml_document_add_scalar(dst, NULL, n->data.scalar.value, (int)n->data.scalar.length,
                                      n->data.scalar.style);
    } else if (n->type == YAML_SEQUENCE_NODE) {
        id = yaml_document_add_sequence(dst, NULL, YAML_FLOW_SEQUENCE_STYLE);
        for (yaml_node_item_t *i = n->data.sequence.items.start;
             id && i < n->data.sequence.items.top; i++) {
            int child = copy_node(dst, src, yaml_document_get_node(src, *i), mark);
            if (!child || !yaml_document_append_sequence_item(dst, id, child))
                return 0;
        }
    } else if (n->type == YAML_MAPPING_NODE) {
        id = yaml_document_add_mapping(dst, NULL, YAML_FLOW_MAPPING_STYLE);
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; id && p < n->data.mapping.pairs.top;
             p++) {
            int k = copy_node(dst, src, yaml_document_get_node(src, p->key), mark);
            int v = k ? copy_node(dst, src, yaml_document_get_node(src, p->value), mark) : 0;
            if (!v || !yaml_document_append_mapping_pair(dst, id, k, v))
                return 0;
        }
    }
    if (id)
        mark_node(dst, id, mark);
    return id;
}

/* VALUE read as YAML (so `[a, b]` is a list and `0.7` a number, as in the file), copied into
 * doc. Returns the node id, or a negative code with the error set. */
static int value_node(struct ctx *c, const char *opt, const char *value, size_t mark)
{
    yaml_parser_t p;
    yaml_document_t vdoc;
    if (!yaml_parser_initialize(&p))
        return cp_error_oom(c->err);
    yaml_parser_set_input_string(&p, (const unsigned char *)value, strlen(value));
    if (!yaml_parser_load(&p, &vdoc)) {
        int rc = cp_error_set(c->err, CP_ECONFIG, "--set %s: %s", opt,
                              p.problem ? p.problem : "malformed YAML value");
        yaml_parser_delete(&p);
        return rc;
    }
    yaml_node_t *root = yaml_document_get_root_node(&vdoc);
    int id = root ? copy_node(c->doc, &vdoc, root, mark)
                  : yaml_document_add_scalar(c->doc, NULL, (yaml_char_t *)"", 0,
                                             YAML_PLAIN_SCALAR_STYLE);
    if (id && !root)
        mark_node(c->doc, id, mark);
    yaml_document_delete(&vdoc);
    yaml_parser_delete(&p);
    return id ? id : cp_error_oom(c->err);
}

static yaml_node_pair_t *find_pair(yaml_document_t *doc, yaml_node_t *map, const char *key,
                                   size_t len)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        if (k->type == YAML_SCALAR_NODE && k->data.scalar.length == len &&
            memcmp(k->data.scalar.value, key, len) == 0)
            return p;
    }
    return NULL;
}

/* The mapping under key `seg` of map `id`, made (or made of an empty `key:`) when missing.
 * 0 when the key holds something else (*what says what), negative on error. */
static int child_map(struct ctx *c, int id, const char *seg, size_t len, size_t mark,
                     const char **what)
{
    yaml_node_pair_t *p = find_pair(c->doc, yaml_document_get_node(c->doc, id), seg, len);
    if (p) {
        yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
        if (v->type == YAML_MAPPING_NODE)
            return p->value;
        if (v->type != YAML_SCALAR_NODE || v->data.scalar.length) {
            *what = cfg_node_kind(v);
            return 0;
        }
    }
    int m = yaml_document_add_mapping(c->doc, NULL, YAML_BLOCK_MAPPING_STYLE);
    if (!m)
        return cp_error_oom(c->err);
    mark_node(c->doc, m, mark);
    if (p) { /* an empty `key:` in the file; pairs live outside the node array that grew */
        p->value = m;
        return m;
    }
    int k = yaml_document_add_scalar(c->doc, NULL, (yaml_char_t *)seg, (int)len,
                                     YAML_PLAIN_SCALAR_STYLE);
    if (!k || !yaml_document_append_mapping_pair(c->doc, id, k, m))
        return cp_error_oom(c->err);
    mark_node(c->doc, k, mark);
    return m;
}

/* The root mapping, made when the file is empty. */
static int root_map(struct ctx *c, size_t mark)
{
    yaml_node_t *root = yaml_document_get_root_node(c->doc);
    if (root)
        return root->type == YAML_MAPPING_NODE ? 1 : 0;
    int id = yaml_document_add_mapping(c->doc, NULL, YAML_BLOCK_MAPPING_STYLE);
    if (!id)
        return cp_error_oom(c->err);
    mark_node(c->doc, id, mark);
    return id;
}

static int set_leaf(struct ctx *c, int map, const char *key, size_t len, int value, size_t mark)
{
    yaml_node_pair_t *p = find_pair(c->doc, yaml_document_get_node(c->doc, map), key, len);
    if (p) {
        p->value = value;
        return 0;
    }
    int k = yaml_document_add_scalar(c->doc, NULL, (yaml_char_t *)key, (int)len,
                                     YAML_PLAIN_SCALAR_STYLE);
    if (!k || !yaml_document_append_mapping_pair(c->doc, map, k, value))
        return cp_error_oom(c->err);
    mark_node(c->doc, k, mark);
    return 0;
}

/* A dotted key: names separated by single dots. */
static int valid_key(const char *k, size_t len)
{
    if (!len || k[0] == '.' || k[len - 1] == '.')
        return 0;
    for (size_t i = 1; i < len; i++)
        if (k[i] == '.' && k[i - 1] == '.')
            return 0;
    return 1;
}

static int apply_set(struct ctx *c, size_t i)
{
    const char *opt = c->ov->set[i], *eq = strchr(opt, '=');
    size_t mark = CFG_OVERRIDE_MARK + i;
    if (!eq || !valid_key(opt, (size_t)(eq - opt)))
        return cp_error_set(c->err, CP_ECONFIG,
                            "--set %s: expected KEY=VALUE with a dotted key of the pipeline "
                            "schema, for example fits.threshold=0.7",
                            opt);
    int map = root_map(c, mark);
    if (map < 0)
        return map;
    if (map == 0)
        return cp_error_set(c->err, CP_ECONFIG, "--set %s: the pipeline is not a mapping", opt);
    const char *seg = opt;
    for (const char *dot; (dot = memchr(seg, '.', (size_t)(eq - seg))); seg = dot + 1) {
        const char *what = NULL;
        map = child_map(c, map, seg, (size_t)(dot - seg), mark, &what);
        if (map < 0)
            return map;
        if (map == 0)
            return cp_error_set(c->err, CP_ECONFIG,
                                "--set %s: '%.*s' is %s in the pipeline, "
                                "not a mapping",
                                opt, (int)(dot - opt), opt, what);
    }
    int value = value_node(c, opt, eq + 1, mark);
    return value < 0 ? value : set_leaf(c, map, seg, (size_t)(eq - seg), value, mark);
}

int cfg_apply_sets(struct ctx *c)
{
    for (size_t i = 0; c->ov && i < c->ov->nset; i++) {
        int rc = apply_set(c, i);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* --- --select COLUMN=V1,V2: one more filter, ANDed with the pipeline's --- */

static int split_values(struct cp_strlist *l, const char *s, struct cp_error *err)
{
    size_t n = 1;
    for (const char *p = s; *p; p++)
        n += *p == ',';
    if (!(l->v = cp_calloc(n, sizeof(*l->v))))
        return cp_error_oom(err);
    for (const char *p = s;; p++) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (!(l->v[l->n++] = cp_strndup(p, len)))
            return cp_error_oom(err);
        if (!e)
            return 0;
        p = e;
    }
}

static int apply_select(struct cp_select_config *sel, const char *opt, struct cp_error *err)
{
    const char *eq = strchr(opt, '=');
    if (!eq || eq == opt || !eq[1] || strstr(eq, ",,") || eq[1] == ',' ||
        opt[strlen(opt) - 1] == ',')
        return cp_error_set(err, CP_ECONFIG,
                            "--select %s: expected COLUMN=V1,V2 (a metadata column and the "
                            "values to keep)",
                            opt);
    struct cp_filter *w = cp_realloc(sel->where, (sel->nwhere + 1) * sizeof(*w));
    if (!w)
        return cp_error_oom(err);
    sel->where = w;
    struct cp_filter *f = &w[sel->nwhere++];
    memset(f, 0, sizeof(*f));
    f->column = cp_strndup(opt, (size_t)(eq - opt));
    f->origin = cp_strdup(opt);
    if (!f->column || !f->origin)
        return cp_error_oom(err);
    return split_values(&f->values, eq + 1, err);
}

/* Record the overrides as the command line gave them, for the manifest. */
static int record(struct cp_strlist *l, const char *opt, const char *text, struct cp_error *err)
{
    char **v = cp_realloc(l->v, (l->n + 1) * sizeof(*v));
    if (!v)
        return cp_error_oom(err);
    l->v = v;
    struct cp_strbuf sb;
    cp_strbuf_init(&sb);
    if (cp_strbuf_addf(&sb, "%s %s", opt, text) < 0)
        return cp_error_oom(err);
    l->v[l->n++] = cp_strbuf_detach(&sb);
    return 0;
}

int cfg_record_overrides(struct ctx *c, struct cp_config *cfg)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && c->ov && i < c->ov->nset; i++)
        rc = record(&cfg->overrides, "--set", c->ov->set[i], c->err);
    for (size_t i = 0; rc == 0 && c->ov && i < c->ov->nselect; i++)
        rc = record(&cfg->overrides, "--select", c->ov->select[i], c->err);
    return rc;
}

int cfg_apply_selects(struct ctx *c, struct cp_config *cfg)
{
    for (size_t i = 0; c->ov && i < c->ov->nselect; i++) {
        int rc = apply_select(&cfg->select, c->ov->select[i], c->err);
        if (rc < 0)
            return rc;
    }
    return 0;
}
