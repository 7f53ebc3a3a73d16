/*
 * Private to config_yaml.c, config_env.c, config_values.c, config_walk.c, config.c (split from one
 * file; each part calls only parts listed before it, never one after it): config_yaml.c Positions
 * of YAML nodes and the one error format of the config, file:line:col (config_internal.h).
 *   config_env.c         ${VAR} and ${VAR:-default} expansion of config values from the environment
 * (include/cellpipe/config.h). config_values.c      Config values: scalars (bools, numbers, enums)
 * with their ranges, lists of scalars, defaults from the schema (config_internal.h). config_walk.c
 * The config walker: sections of the YAML document converted field by field through the schema
 * table, unknown and secret keys refused, and their release (config_internal.h). config.c YAML ->
 * struct cp_config, driven by the schema table (schema.c): loading the document with libyaml (its
 * nodes keep the marks of the events they came from, so every error can name file:line:col), the
 * defaults, the checks across fields, and the schema's documentation.
 */
#ifndef CELLPIPE_CONFIG_INTERNAL_H
#define CELLPIPE_CONFIG_INTERNAL_H
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

/* config_values.c */
int cfg_add_item(struct ctx *c, const yaml_node_t *n, const struct cp_field *f, void *base,
                 const char *text);
int cfg_apply_defaults(struct ctx *c, const struct cp_section *s, void *base);
void cfg_clear_items(const struct cp_field *f, void *base);
void cfg_join_names(const char *const *names, char *buf, size_t n);
int cfg_set_scalar(struct ctx *c, const yaml_node_t *n, const struct cp_field *f, void *base,
                   const char *text);
void cfg_strlist_clear(struct cp_strlist *l);
/* config_walk.c */
int cfg_parse_section(struct ctx *c, const yaml_node_t *n, const struct cp_section *s, void *base);
const char *cfg_scalar_text(const yaml_node_t *n);
/* config_yaml.c */
int cfg_fail(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *cfg_node_kind(const yaml_node_t *n);
int cfg_node_line(const yaml_node_t *n);
int cfg_refail(struct ctx *c, const yaml_node_t *n);

#endif
