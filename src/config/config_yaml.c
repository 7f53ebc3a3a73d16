/* Positions of YAML nodes and the one error format of the config, file:line:col
 * (config_internal.h). */
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

int cfg_node_line(const yaml_node_t *n)
{
    return n->start_mark.line >= CFG_OVERRIDE_MARK ? 0 : (int)n->start_mark.line + 1;
}

static int node_col(const yaml_node_t *n)
{
    return (int)n->start_mark.column + 1;
}

int cfg_fail(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    const char *opt = n ? cfg_override_text(c, n) : NULL;
    if (opt)
        return cp_error_set(c->err, CP_ECONFIG, "--set %s: %s", opt, msg);
    if (n)
        return cp_error_set(c->err, CP_ECONFIG, "%s:%d:%d: %s", c->file, cfg_node_line(n),
                            node_col(n), msg);
    return cp_error_set(c->err, CP_ECONFIG, "%s: %s", c->file, msg);
}

/* Re-set an error raised without a position (variable expansion) with file:line:col. Only a
 * config error: out of memory stays what it is, with no position that would blame the file. */
int cfg_refail(struct ctx *c, const yaml_node_t *n)
{
    if (c->err->code != CP_ECONFIG)
        return -c->err->code;
    char msg[CP_ERROR_MSG_MAX];
    snprintf(msg, sizeof(msg), "%s", c->err->msg);
    cp_error_clear(c->err);
    return cfg_fail(c, n, "%s", msg);
}

const char *cfg_node_kind(const yaml_node_t *n)
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
