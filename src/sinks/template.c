/*
 * {{name}} / {{{name}}} substitution for mail and page templates (include/cellpipe/template.h).
 * Deliberately no logic in templates: loops and conditions live in C, where they are tested.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cellpipe/alloc.h"
#include "cellpipe/config.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/template.h"

int cp_html_escape(struct cp_strbuf *out, const char *s)
{
    for (; s && *s; s++) {
        const char *rep = NULL;
        switch (*s) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            break;
        }
        if ((rep ? cp_strbuf_adds(out, rep) : cp_strbuf_addch(out, *s)) < 0)
            return -1;
    }
    return 0;
}

static const struct cp_template_var *find_var(const struct cp_template_var *vars, size_t n,
                                              const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(vars[i].name) == len && memcmp(vars[i].name, name, len) == 0)
            return &vars[i];
    return NULL;
}

int cp_template_render(const char *name, const char *tmpl, const struct cp_template_var *vars,
                       size_t nvars, int html, struct cp_strbuf *out, struct cp_error *err)
{
    const char *p = tmpl;
    while (*p) {
        const char *open = strstr(p, "{{");
        if (!open)
            return cp_strbuf_adds(out, p) < 0 ? cp_error_oom(err) : 0;
        if (cp_strbuf_add(out, p, (size_t)(open - p)) < 0)
            return cp_error_oom(err);
        int raw = open[2] == '{';
        const char *key = open + (raw ? 3 : 2);
        const char *close = strstr(key, raw ? "}}}" : "}}");
        if (!close)
            return cp_error_set(err, CP_ECONFIG, "template '%s': unclosed placeholder", name);
        const struct cp_template_var *v = find_var(vars, nvars, key, (size_t)(close - key));
        if (!v)
            return cp_error_set(err, CP_ECONFIG, "template '%s': unknown placeholder '%.*s'", name,
                                (int)(close - open + (raw ? 3 : 2)), open);
        const char *val = v->value ? v->value : "";
        int rc = html && !raw ? cp_html_escape(out, val) : cp_strbuf_adds(out, val);
        if (rc < 0)
            return cp_error_oom(err);
        p = close + (raw ? 3 : 2);
    }
    return 0;
}

/* Folder of the running binary, or NULL: templates travel with an installed or built binary. */
static char *exe_dir(void)
{
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    if (!slash)
        return NULL;
    return cp_strndup(buf, (size_t)(slash - buf));
}

static int try_dir(const char *dir, const char *rel, char **out, int *found)
{
    if (!dir || !*dir)
        return 0;
    char *path = cp_path_join(dir, rel);
    if (!path)
        return -1;
    size_t len;
    if (cp_fs_exists(path) && cp_fs_read_file(path, out, &len) == 0)
        *found = 1;
    cp_free(path);
    return 0;
}

int cp_template_load(const struct cp_config *cfg, const char *rel, char **out, struct cp_error *err)
{
    char *exe = exe_dir();
    char *cands[7] = {0};
    int rc = 0, found = 0;
    cands[0] = getenv("CELLPIPE_TEMPLATES") ? cp_strdup(getenv("CELLPIPE_TEMPLATES")) : NULL;
    cands[1] = cp_strdup("templates");
    cands[2] = cfg && cfg->dir ? cp_path_join(cfg->dir, "templates") : NULL;
    cands[3] = exe ? cp_path_join(exe, "../templates") : NULL;
    cands[4] = exe ? cp_path_join(exe, "../share/cellpipe/templates") : NULL;
    cands[5] = cp_strdup("/usr/local/share/cellpipe/templates");
    cands[6] = cp_strdup("/usr/share/cellpipe/templates");
    *out = NULL;
    for (size_t i = 0; i < 7 && !found; i++) {
        if (try_dir(cands[i], rel, out, &found) < 0) {
            rc = cp_error_oom(err);
            goto cleanup;
        }
    }
    if (!found)
        rc = cp_error_set(err, CP_ENOINPUT,
                          "cannot find template '%s' (set CELLPIPE_TEMPLATES to the templates "
                          "folder)",
                          rel);
cleanup:
    for (size_t i = 0; i < 7; i++)
        cp_free(cands[i]);
    cp_free(exe);
    return rc;
}
