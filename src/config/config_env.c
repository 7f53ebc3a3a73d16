/* ${VAR} and ${VAR:-default} expansion of config values from the environment
 * (include/cellpipe/config.h). */
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
    char *text = cp_strbuf_detach(&out); /* an empty value is a "" allocated here */
    if (!text)
        cp_error_oom(err);
    return text;
}
