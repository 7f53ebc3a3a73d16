/* Query templates with named parameters, and the values of those parameters. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/pg.h"
#include "cellpipe/strbuf.h"

static int is_ident_start(char c)
{
    return isalpha((unsigned char)c) || c == '_';
}

static int is_ident(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

static int line_of(const char *text, const char *p)
{
    int line = 1;
    for (; text < p; text++)
        line += *text == '\n';
    return line;
}

/* Index of name in q->names, adding it when new; -1 when out of memory. */
static long param_index(struct cp_pg_query *q, const char *name, size_t len)
{
    for (size_t i = 0; i < q->n; i++)
        if (strlen(q->names[i]) == len && strncmp(q->names[i], name, len) == 0)
            return (long)i;
    char **v = cp_realloc(q->names, (q->n + 1) * sizeof(*v));
    if (!v)
        return -1;
    q->names = v;
    if (!(q->names[q->n] = cp_strndup(name, len)))
        return -1;
    return (long)q->n++;
}

/* End of a quoted run that starts at p (after the opening quote), quote char q; doubled
 * quotes stay inside. NULL when unterminated. */
static const char *skip_quoted(const char *p, char quote)
{
    for (; *p; p++) {
        if (*p == quote) {
            if (p[1] != quote)
                return p + 1;
            p++;
        }
    }
    return NULL;
}

/* p at '$': the end of a dollar-quoted string, p itself when this is no dollar quote, NULL
 * when unterminated. */
static const char *skip_dollar(const char *p)
{
    const char *t = p + 1;
    if (is_ident_start(*t))
        while (is_ident(*t))
            t++;
    if (*t != '$')
        return p;
    size_t taglen = (size_t)(t - p) + 1;
    for (const char *s = t + 1; *s; s++)
        if (strncmp(s, p, taglen) == 0)
            return s + taglen;
    return NULL;
}

/* p at "/ *": end of a (nestable) block comment, NULL when unterminated. */
static const char *skip_block_comment(const char *p)
{
    int depth = 0;
    for (; *p; p++) {
        if (p[0] == '/' && p[1] == '*') {
            depth++;
            p++;
        } else if (p[0] == '*' && p[1] == '/') {
            p++;
            if (--depth == 0)
                return p + 1;
        }
    }
    return NULL;
}

/* Copy text [from, to) unchanged. */
static int emit(struct cp_strbuf *sb, const char *from, const char *to)
{
    return cp_strbuf_add(sb, from, (size_t)(to - from));
}

static int compile_body(struct cp_pg_query *q, struct cp_strbuf *sb, struct cp_strbuf *set,
                        struct cp_error *err)
{
    const char *text = q->text, *p = text;
    while (*p) {
        const char *start = p, *end = p + 1;
        if (*p == '\'' || *p == '"') {
            end = skip_quoted(p + 1, *p);
        } else if (p[0] == '-' && p[1] == '-') {
            end = p + strcspn(p, "\n");
        } else if (p[0] == '/' && p[1] == '*') {
            end = skip_block_comment(p);
        } else if (*p == '$' && isdigit((unsigned char)p[1])) {
            return cp_error_set(err, CP_ECONFIG,
                                "%s:%d: positional parameter '$%c': use a named parameter "
                                "(:name)",
                                q->origin, line_of(text, p), p[1]);
        } else if (*p == '$') {
            end = skip_dollar(p);
            if (end == p)
                end = p + 1;
        } else if (p[0] == ':' && p[1] == ':') {
            end = p + 2;
        } else if (p[0] == ':' && is_ident_start(p[1])) {
            const char *name = p + 1;
            end = name;
            while (is_ident(*end))
                end++;
            long i = param_index(q, name, (size_t)(end - name));
            if (i < 0 || cp_strbuf_addf(sb, "$%ld", i + 1) < 0 ||
                cp_strbuf_addf(set, "NULLIF(current_setting('cellpipe.p_%s'), '')", q->names[i]) <
                    0)
                return cp_error_oom(err);
            p = end;
            continue;
        }
        if (!end)
            return cp_error_set(err, CP_ECONFIG, "%s:%d: unterminated quote or comment", q->origin,
                                line_of(text, start));
        if (emit(sb, start, end) < 0 || emit(set, start, end) < 0)
            return cp_error_oom(err);
        p = end;
    }
    return 0;
}

/* The template without trailing blanks and semicolons: it is wrapped in COPY (...). */
static char *trimmed(const char *text)
{
    size_t n = strlen(text);
    while (n > 0 && (isspace((unsigned char)text[n - 1]) || text[n - 1] == ';'))
        n--;
    return cp_strndup(text, n);
}

int cp_pg_query_compile(struct cp_pg_query *q, const char *text, const char *origin,
                        struct cp_error *err)
{
    memset(q, 0, sizeof(*q));
    struct cp_strbuf sb = CP_STRBUF_INIT, set = CP_STRBUF_INIT;
    int rc = 0;
    q->origin = cp_strdup(origin);
    q->text = trimmed(text);
    if (!q->origin || !q->text) {
        rc = cp_error_oom(err);
        goto cleanup;
    }
    if ((rc = compile_body(q, &sb, &set, err)) < 0)
        goto cleanup;
    q->sql = cp_strbuf_detach(&sb);
    q->setting_sql = cp_strbuf_detach(&set);
cleanup:
    cp_strbuf_release(&sb);
    cp_strbuf_release(&set);
    if (rc < 0)
        cp_pg_query_release(q);
    return rc;
}

void cp_pg_query_release(struct cp_pg_query *q)
{
    if (!q)
        return;
    for (size_t i = 0; i < q->n; i++)
        cp_free(q->names[i]);
    cp_free(q->names);
    cp_free(q->origin);
    cp_free(q->text);
    cp_free(q->sql);
    cp_free(q->setting_sql);
    memset(q, 0, sizeof(*q));
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

int cp_pg_query_load(struct cp_pg_query *q, const struct cp_config *cfg, const char *path,
                     struct cp_error *err)
{
    char *text = NULL, *resolved = cfg ? cp_config_path(cfg, path) : cp_strdup(path);
    size_t len = 0;
    int rc;
    if (!resolved)
        return cp_error_oom(err);
    if (cp_fs_read_file(resolved, &text, &len) == 0 || cp_fs_read_file(path, &text, &len) == 0) {
        rc = cp_pg_query_compile(q, text, path, err);
        goto cleanup;
    }
    /* The defaults are built in, so the pipeline runs from any folder. */
    const char *builtin = NULL;
    if (strncmp(path, "templates/queries/", 18) == 0)
        builtin = cp_pg_embedded(base_name(path));
    if (!builtin) {
        rc = cp_error_set(err, CP_ENOINPUT, "cannot read query template '%s'", path);
        goto cleanup;
    }
    rc = cp_pg_query_compile(q, builtin, path, err);
cleanup:
    cp_free(text);
    cp_free(resolved);
    return rc;
}

char *cp_pg_array_literal(char *const *v, size_t n)
{
    struct cp_strbuf sb = CP_STRBUF_INIT;
    int bad = cp_strbuf_addch(&sb, '{');
    for (size_t i = 0; i < n && !bad; i++) {
        bad |= i > 0 && cp_strbuf_addch(&sb, ',');
        bad |= cp_strbuf_addch(&sb, '"');
        for (const char *s = v[i]; *s && !bad; s++) {
            if (*s == '"' || *s == '\\')
                bad |= cp_strbuf_addch(&sb, '\\');
            bad |= cp_strbuf_addch(&sb, *s);
        }
        bad |= cp_strbuf_addch(&sb, '"');
    }
    bad |= cp_strbuf_addch(&sb, '}');
    if (bad) {
        cp_strbuf_release(&sb);
        return NULL;
    }
    return cp_strbuf_detach(&sb);
}

/* NULL (no filter) for an empty list; *oom set when memory ran out. */
static char *list_param(const struct cp_strlist *l, int *oom)
{
    if (l->n == 0)
        return NULL;
    char *s = cp_pg_array_literal(l->v, l->n);
    *oom |= !s;
    return s;
}

static char *where_param(const struct cp_select_config *sel, int *oom)
{
    if (sel->nwhere == 0)
        return NULL;
    json_t *obj = json_object();
    int bad = !obj;
    for (size_t i = 0; i < sel->nwhere && !bad; i++) {
        json_t *arr = json_array();
        bad |= !arr || json_object_set_new(obj, sel->where[i].column, arr) != 0;
        for (size_t k = 0; k < sel->where[i].values.n && !bad; k++)
            bad |= json_array_append_new(arr, json_string(sel->where[i].values.v[k])) != 0;
    }
    char *dump = bad ? NULL : json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(obj);
    char *s = dump ? cp_strdup(dump) : NULL;
    free(dump); /* jansson allocated it with malloc */
    *oom |= !s;
    return s;
}

/* The value for one parameter name; *known = 0 when the name is not ours. */
static char *param_value(const char *name, const struct cp_config *cfg, const char *cell_ids,
                         int *known, int *oom)
{
    const struct cp_select_config *sel = &cfg->select;
    const struct {
        const char *name;
        const struct cp_strlist *list;
    } lists[] = {{"design_name", &sel->design_name},
                 {"experiment_group", &sel->experiment_group},
                 {"layer_types", &sel->layer_types},
                 {"test_status", &sel->test_status},
                 {"year", &sel->year},
                 {"cell_id", &sel->cell_id}};
    *known = 1;
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
        if (strcmp(name, lists[i].name) == 0)
            return list_param(lists[i].list, oom);
    if (strcmp(name, "where") == 0)
        return where_param(sel, oom);
    char *s = NULL;
    if (strcmp(name, "pipeline") == 0)
        s = cp_strdup(cfg->name ? cfg->name : "");
    else if (strcmp(name, "cell_ids") == 0 && cell_ids)
        s = cp_strdup(cell_ids);
    else {
        *known = 0;
        return NULL;
    }
    *oom |= !s;
    return s;
}

int cp_pg_params_bind(struct cp_pg_params *p, const struct cp_pg_query *q,
                      const struct cp_config *cfg, const char *cell_ids, struct cp_error *err)
{
    p->n = 0;
    p->values = q->n ? cp_calloc(q->n, sizeof(*p->values)) : NULL;
    if (q->n && !p->values)
        return cp_error_oom(err);
    p->n = q->n;
    for (size_t i = 0; i < q->n; i++) {
        int known = 0, oom = 0;
        p->values[i] = param_value(q->names[i], cfg, cell_ids, &known, &oom);
        if (oom) {
            cp_pg_params_release(p);
            return cp_error_oom(err);
        }
        if (!known || (strcmp(q->names[i], "cell_ids") == 0 && !cell_ids)) {
            int rc = cp_error_set(err, CP_ECONFIG,
                                  "%s: unknown parameter ':%s' (known: design_name, "
                                  "experiment_group, layer_types, test_status, year, cell_id, "
                                  "where, pipeline%s)",
                                  q->origin, q->names[i], cell_ids ? ", cell_ids" : "");
            cp_pg_params_release(p);
            return rc;
        }
    }
    return 0;
}

void cp_pg_params_release(struct cp_pg_params *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        cp_free(p->values[i]);
    cp_free(p->values);
    p->values = NULL;
    p->n = 0;
}
