/* YAML -> struct cp_config, driven by the schema table (schema.c): loading the document with
 * libyaml (its nodes keep the marks of the events they came from, so every error can name
 * file:line:col), the defaults, the checks across fields, and the schema's documentation. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "cellpipe/alloc.h"
#include "cellpipe/config.h"
#include "cellpipe/dataset.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/strbuf.h"
#include "schema.h"
#include "config_internal.h"

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
        int rc = cfg_apply_defaults(c, &cp_schema_rule, r);
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
    struct ctx c = {path, NULL, err, NULL};
    memset(cfg, 0, sizeof(*cfg));
    cfg->path = cp_strdup(path);
    cfg->dir = dir_of(path);
    if (!cfg->path || !cfg->dir)
        return cp_error_oom(err);
    return cfg_apply_defaults(&c, &cp_schema_root, cfg);
}

int cfg_valid_name(const char *s)
{
    if (!*s || *s == '.' || strlen(s) > 100)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_' || *s == '.'))
            return 0;
    return 1;
}

/* The pair of `key` in the mapping `map`, or NULL. */
static const yaml_node_pair_t *find_pair(yaml_document_t *doc, const yaml_node_t *map,
                                         const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++)
        if (strcmp(cfg_scalar_text(yaml_document_get_node(doc, p->key)), key) == 0)
            return p;
    return NULL;
}

static const yaml_node_t *find_key(yaml_document_t *doc, const yaml_node_t *map, const char *key)
{
    const yaml_node_pair_t *p = find_pair(doc, map, key);
    return p ? yaml_document_get_node(doc, p->key) : NULL;
}

static const yaml_node_t *find_value(yaml_document_t *doc, const yaml_node_t *map, const char *key)
{
    const yaml_node_pair_t *p = find_pair(doc, map, key);
    return p ? yaml_document_get_node(doc, p->value) : NULL;
}

/* statistics.compare: "all" alone, or pairs "A vs B" of two different names. */
static int check_statistics(struct ctx *c, struct cp_config *cfg, const yaml_node_t *key)
{
    const struct cp_strlist *l = &cfg->statistics.compare;
    cfg->statistics.line = key ? (int)key->start_mark.line + 1 : 0;
    for (size_t i = 0; i < l->n; i++) {
        const char *vs = strstr(l->v[i], " vs ");
        if (strcmp(l->v[i], "all") == 0 && l->n == 1)
            continue;
        if (!vs || vs == l->v[i] || !vs[4] || strstr(vs + 4, " vs "))
            return cfg_fail(c, key, "expected 'all' or pairs \"A vs B\" in 'compare', got '%s'",
                            l->v[i]);
    }
    if (cfg->statistics.metrics.n == 0)
        return cfg_fail(c, key, "expected at least one name in 'metrics'");
    return 0;
}

static int check_workbook(struct ctx *c, const struct cp_config *cfg, const yaml_node_t *key)
{
    const struct cp_strlist *l = &cfg->workbook.cycles_columns;
    if (l->n == 1 && strcmp(l->v[0], "all") == 0)
        return 0;
    if (l->n == 0)
        return cfg_fail(c, key, "expected at least one column in 'cycles_columns' (or [all])");
    for (size_t i = 0; i < l->n; i++) {
        if (!cp_cycles_column_known(l->v[i]))
            return cfg_fail(c, key,
                            "expected a per-cycle column in 'cycles_columns', got '%s' "
                            "(the columns of results/cycles.csv, or [all])",
                            l->v[i]);
        for (size_t k = 0; k < i; k++)
            if (strcmp(l->v[i], l->v[k]) == 0)
                return cfg_fail(c, key, "'cycles_columns' names '%s' twice", l->v[i]);
    }
    return 0;
}

/* Checks that need more than one key. `root` may be NULL (empty file). */
static int check_config(struct ctx *c, struct cp_config *cfg, const yaml_node_t *root)
{
    const yaml_node_t *src = find_key(c->doc, root, "source");
    if (!cfg->name && !(cfg->name = stem_of(cfg->path)))
        return cp_error_oom(c->err);
    if (!cfg_valid_name(cfg->name))
        return cfg_fail(c, find_key(c->doc, root, "name"),
                        "expected a pipeline name of letters, digits, '.', '_' or '-', got '%s'",
                        cfg->name);
    if (cfg->source.kind == CP_SOURCE_FILES && cfg->source.paths.n == 0)
        return cfg_fail(c, src, "expected 'paths' in 'source' for kind files");
    if (cfg->source.kind == CP_SOURCE_REDASH &&
        (cfg->source.cells_query_id <= 0 || cfg->source.cycles_query_id <= 0))
        return cfg_fail(
            c, src, "expected 'cells_query_id' and 'cycles_query_id' in 'source' for kind redash");
    if (cfg->fits.ce_min >= cfg->fits.ce_max)
        return cfg_fail(c, find_key(c->doc, root, "fits"), "expected 'ce_min' below 'ce_max'");
    for (size_t i = 0; i < cfg->plots.nlist; i++)
        if (!cfg->plots.list[i].name || !cfg_valid_name(cfg->plots.list[i].name))
            return cp_error_set(c->err, CP_ECONFIG,
                                "%s:%d: expected a 'name' of letters, digits, '.', '_' or '-' "
                                "in the plot",
                                c->file, cfg->plots.list[i].line);
    int rc = cfg_check_columns(c, cfg, root);
    if (rc == 0)
        rc = check_statistics(c, cfg, find_key(c->doc, root, "statistics"));
    if (rc == 0)
        rc = check_workbook(
            c, cfg, find_key(c->doc, find_value(c->doc, root, "workbook"), "cycles_columns"));
    if (rc == 0)
        rc = cfg_check_models(c, cfg);
    if (rc < 0)
        return rc;
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

/* A pipeline is one document: libyaml hands out a second one (after `---`) only when asked
 * again, so without this check its keys would be dropped without a word. 0 or negative code. */
static int one_document(struct ctx *c, yaml_parser_t *p)
{
    yaml_document_t next;
    if (!yaml_parser_load(p, &next))
        return yaml_fail(c, p);
    int rc = 0;
    if (yaml_document_get_root_node(&next))
        rc = cp_error_set(c->err, CP_ECONFIG, "%s:%d:%d: expected one YAML document", c->file,
                          (int)next.start_mark.line + 1, (int)next.start_mark.column + 1);
    yaml_document_delete(&next);
    return rc;
}

static int load_buffer(struct cp_config *cfg, const char *path, const char *text, size_t len,
                       const struct cp_config_overrides *ov, struct cp_error *err)
{
    struct ctx c = {path, NULL, err, ov};
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
    rc = one_document(&c, &parser);
    if (rc == 0)
        rc = cfg_apply_sets(&c);
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (rc == 0 && root)
        rc = cfg_parse_section(&c, root, &cp_schema_root, cfg);
    if (rc == 0)
        rc = cfg_apply_selects(&c, cfg);
    if (rc == 0)
        rc = cfg_record_overrides(&c, cfg);
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

int cp_config_load_buffer(struct cp_config *cfg, const char *path, const char *text, size_t len,
                          struct cp_error *err)
{
    return load_buffer(cfg, path, text, len, NULL, err);
}

int cp_config_load(struct cp_config *cfg, const char *path, struct cp_error *err)
{
    return cp_config_load_with(cfg, path, NULL, err);
}

int cp_config_load_with(struct cp_config *cfg, const char *path,
                        const struct cp_config_overrides *ov, struct cp_error *err)
{
    char *text = NULL;
    size_t len = 0;
    memset(cfg, 0, sizeof(*cfg));
    if (cp_fs_read_file(path, &text, &len) < 0)
        return errno == ENOMEM ? cp_error_oom(err)
                               : cp_error_set(err, errno == ENOENT ? CP_ENOINPUT : CP_ECONFIG,
                                              "cannot read '%s': %s", path, strerror(errno));
    int rc = load_buffer(cfg, path, text, len, ov, err);
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
            cfg_join_names(f->enums, values, sizeof(values));
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
