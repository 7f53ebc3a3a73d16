/* The effective configuration as JSON, driven by the schema table like the parser: what
 * `cellpipe validate --print` shows and the manifest records, after overrides and ${VAR}
 * expansion. Connection strings lose their passwords (config_internal.h). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "cellpipe/alloc.h"
#include "cellpipe/config.h"
#include "cellpipe/error.h"
#include "cellpipe/strbuf.h"
#include "schema.h"
#include "config_internal.h"

/* Keys whose values are connection strings, which may carry a password from the environment. */
static int is_connection(const char *key)
{
    static const char *const keys[] = {"dsn", "url", "tracking_uri", "smtp_url", NULL};
    for (size_t i = 0; keys[i]; i++)
        if (strcmp(key, keys[i]) == 0)
            return 1;
    return 0;
}

/* user:password@ in a URL becomes user:***@; password=... (a libpq keyword or a URL query
 * parameter) becomes password=***. */
static char *redact(const char *s)
{
    struct cp_strbuf sb;
    cp_strbuf_init(&sb);
    const char *scheme = strstr(s, "://");
    const char *at = scheme ? strchr(scheme + 3, '@') : NULL;
    const char *slash = scheme ? strchr(scheme + 3, '/') : NULL;
    const char *colon = scheme ? strchr(scheme + 3, ':') : NULL;
    if (at && (!slash || at < slash) && colon && colon < at) {
        cp_strbuf_add(&sb, s, (size_t)(colon - s + 1));
        cp_strbuf_adds(&sb, "***");
        s = at;
    }
    for (const char *p = s; *p;) {
        const char *hit = strstr(p, "password=");
        if (!hit) {
            cp_strbuf_adds(&sb, p);
            break;
        }
        cp_strbuf_add(&sb, p, (size_t)(hit - p) + 9);
        cp_strbuf_adds(&sb, "***");
        p = hit + 9;
        if (*p == '\'') { /* a quoted libpq value */
            const char *q = strchr(p + 1, '\'');
            p = q ? q + 1 : p + strlen(p);
        } else {
            p += strcspn(p, " &;");
        }
    }
    return cp_strbuf_detach(&sb);
}

static json_t *str_value(const struct cp_field *f, const char *s)
{
    if (!s)
        return json_null();
    if (!is_connection(f->key))
        return json_string(s);
    char *r = redact(s);
    json_t *j = json_string(r);
    cp_free(r);
    return j;
}

json_t *cp_strlist_json(const struct cp_strlist *l)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < l->n; i++)
        json_array_append_new(a, json_string(l->v[i]));
    return a;
}

static json_t *flags(const struct cp_field *f, const void *base)
{
    json_t *a = json_array();
    for (size_t i = 0; a && f->enums[i]; i++) {
        int on = f->off2 ? ((const int *)AT(base, f))[i]
                         : (int)((*(const unsigned *)AT(base, f) >> i) & 1u);
        if (on)
            json_array_append_new(a, json_string(f->enums[i]));
    }
    return a;
}

static json_t *section(const struct cp_section *s, const void *base);

static json_t *list(const struct cp_field *f, const void *base)
{
    const char *arr = *(char *const *)AT(base, f);
    size_t n = *(const size_t *)AT2(base, f);
    json_t *a = json_array();
    for (size_t i = 0; a && arr && i < n; i++)
        json_array_append_new(a, section(f->sub, arr + i * f->sub->elem_size));
    return a;
}

static json_t *filters(const struct cp_field *f, const void *base)
{
    const struct cp_filter *arr = *(struct cp_filter *const *)AT(base, f);
    size_t n = *(const size_t *)AT2(base, f);
    json_t *o = json_object();
    for (size_t i = 0; o && arr && i < n; i++) {
        char key[300];
        snprintf(key, sizeof(key), "%s%s", arr[i].column, arr[i].origin ? " (--select)" : "");
        json_object_set_new(o, key, cp_strlist_json(&arr[i].values));
    }
    return o;
}

static json_t *value(const struct cp_field *f, const void *base)
{
    switch (f->type) {
    case F_STR:
        return str_value(f, *(char *const *)AT(base, f));
    case F_BOOL:
        return json_boolean(*(const int *)AT(base, f));
    case F_LONG:
        return json_integer(*(const long *)AT(base, f));
    case F_DOUBLE: {
        double v = *(const double *)AT(base, f);
        return isfinite(v) ? json_real(v) : json_null();
    }
    case F_ENUM:
        return json_string(f->enums[*(const int *)AT(base, f)]);
    case F_STRLIST:
        return cp_strlist_json((const struct cp_strlist *)AT(base, f));
    case F_SECTION:
        return section(f->sub, AT(base, f));
    case F_LIST:
        return list(f, base);
    case F_FILTERS:
        return filters(f, base);
    case F_FLAGS:
        return flags(f, base);
    case F_LONGS: {
        json_t *a = json_array();
        for (size_t i = 0; a && i < *(const size_t *)AT2(base, f); i++)
            json_array_append_new(a, json_integer(((const long *)AT(base, f))[i]));
        return a;
    }
    }
    return json_null();
}

static json_t *section(const struct cp_section *s, const void *base)
{
    json_t *o = json_object();
    for (const struct cp_field *f = s->fields; o && f->key; f++)
        if (json_object_set_new(o, f->key, value(f, base)) < 0) {
            json_decref(o);
            return NULL;
        }
    return o;
}

json_t *cp_config_effective(const struct cp_config *cfg)
{
    return section(&cp_schema_root, cfg);
}
