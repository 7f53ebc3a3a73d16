/*
 * Private to the config parser's files (include/cellpipe/config.h is the contract). Each file
 * calls only those above it in this list:
 *   config_yaml.c    positions of YAML nodes and the one error format, file:line:col
 *   config_env.c     ${VAR} and ${VAR:-default} expansion
 *   config_values.c  scalars with their ranges, lists of scalars, defaults from the schema
 *   config_walk.c    sections converted field by field through the schema table, release
 *   config_override.c --set and --select applied to the document before the walk
 *   config_columns.c the files source's `columns:` mapping checked against the canonical columns
 *   config.c         loading a document, defaults, checks across fields, schema docs
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
    const struct cp_config_overrides *ov; /* NULL when none */
};

/* Nodes made from the i-th --set carry start_mark.line CFG_OVERRIDE_MARK + i: no file has
 * that many lines, and cfg_fail names the option for them. */
#define CFG_OVERRIDE_MARK ((size_t)1 << 40)

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
/* config_override.c */
int cfg_apply_sets(struct ctx *c);
int cfg_apply_selects(struct ctx *c, struct cp_config *cfg);
int cfg_record_overrides(struct ctx *c, struct cp_config *cfg);
const char *cfg_override_text(const struct ctx *c, const yaml_node_t *n);
/* config.c */
int cfg_valid_name(const char *s); /* letters, digits, '.', '_', '-'; not starting with '.' */
/* config_models.c */
int cfg_check_models(struct ctx *c, struct cp_config *cfg);
/* config_columns.c */
int cfg_check_columns(struct ctx *c, const struct cp_config *cfg, const yaml_node_t *root);
/* config_yaml.c */
int cfg_fail(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *cfg_node_kind(const yaml_node_t *n);
int cfg_node_line(const yaml_node_t *n);
int cfg_refail(struct ctx *c, const yaml_node_t *n);

#endif
