/* Config values: scalars (bools, numbers, enums) with their ranges, lists of scalars, defaults from
 * the schema (config_internal.h). */
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

void cfg_join_names(const char *const *names, char *buf, size_t n)
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
    return cfg_fail(c, n, "expected a number from %g to %g for '%s', got '%s'", f->lo, f->hi,
                    f->key, text);
}

/* Set a scalar field from text. n is NULL for defaults (their text is trusted). */
int cfg_set_scalar(struct ctx *c, const yaml_node_t *n, const struct cp_field *f, void *base,
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
            return cfg_fail(c, n, "expected true or false for '%s', got '%s'", f->key, text);
        return 0;
    case F_LONG: {
        long v;
        if (parse_long(text, &v) < 0)
            return cfg_fail(c, n, "expected an integer for '%s', got '%s'", f->key, text);
        *(long *)AT(base, f) = v;
        return check_range(c, n, f, (double)v, text);
    }
    case F_DOUBLE: {
        double v;
        /* NaN ("" or "auto") means "not set"; only keys whose schema default is empty
         * may be unset, elsewhere NaN would pass every range check. */
        if (parse_double(text, &v) < 0 || (isnan(v) && !(f->def && f->def[0] == '\0')))
            return cfg_fail(c, n, "expected a number for '%s', got '%s'", f->key, text);
        *(double *)AT(base, f) = v;
        return check_range(c, n, f, v, text);
    }
    case F_ENUM: {
        int i = enum_index(f->enums, text);
        if (i < 0) {
            cfg_join_names(f->enums, names, sizeof(names));
            return cfg_fail(c, n, "expected one of %s for '%s', got '%s'", names, f->key, text);
        }
        *(int *)AT(base, f) = i;
        return 0;
    }
    default:
        return cfg_fail(c, n, "expected %s for '%s', got a scalar",
                        f->type == F_SECTION || f->type == F_FILTERS ? "a mapping" : "a list",
                        f->key);
    }
}

/* --- lists of scalars --- */

void cfg_strlist_clear(struct cp_strlist *l)
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
int cfg_add_item(struct ctx *c, const yaml_node_t *n, const struct cp_field *f, void *base,
                 const char *text)
{
    char names[256];
    if (f->type == F_STRLIST)
        return strlist_push((struct cp_strlist *)AT(base, f), text) < 0 ? cp_error_oom(c->err) : 0;
    if (f->type == F_LONGS) {
        size_t *count = (size_t *)AT2(base, f);
        long v;
        if (parse_long(text, &v) < 0)
            return cfg_fail(c, n, "expected an integer in '%s', got '%s'", f->key, text);
        if (*count >= 8)
            return cfg_fail(c, n, "expected at most 8 values in '%s'", f->key);
        ((long *)AT(base, f))[(*count)++] = v;
        return check_range(c, n, f, (double)v, text);
    }
    int i = enum_index(f->enums, text); /* F_FLAGS */
    if (i < 0) {
        cfg_join_names(f->enums, names, sizeof(names));
        return cfg_fail(c, n, "expected one of %s in '%s', got '%s'", names, f->key, text);
    }
    if (f->off2)
        ((int *)AT(base, f))[i] = 1;
    else
        *(unsigned *)AT(base, f) |= 1u << i;
    return 0;
}

void cfg_clear_items(const struct cp_field *f, void *base)
{
    if (f->type == F_STRLIST)
        cfg_strlist_clear((struct cp_strlist *)AT(base, f));
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

int cfg_apply_defaults(struct ctx *c, const struct cp_section *s, void *base)
{
    for (const struct cp_field *f = s->fields; f->key; f++) {
        int rc = 0;
        if (f->type == F_SECTION) {
            rc = cfg_apply_defaults(c, f->sub, AT(base, f));
        } else if (f->def && is_item_list(f->type)) {
            cfg_clear_items(f, base);
            char buf[256];
            snprintf(buf, sizeof(buf), "%s", f->def);
            for (char *p = buf, *q; rc == 0 && *p; p = q) {
                q = p + strcspn(p, ",");
                if (*q)
                    *q++ = '\0';
                rc = cfg_add_item(c, NULL, f, base, p);
            }
        } else if (f->def) {
            char *text = cp_config_expand(f->def, c->err);
            /* NULL: err says why (an unset variable, or out of memory) */
            rc = text ? cfg_set_scalar(c, NULL, f, base, text) : -c->err->code;
            cp_free(text);
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}
