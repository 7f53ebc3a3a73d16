/*
 * source.columns (files): a tidy per-cycle CSV's own column names mapped to canonical ones,
 *   columns: {Cycle: cycle_index, "Q_dis [mAh]": [discharge_capacity_ah, mAh], Cell: cell_id}
 * checked at load time, so that a misspelt column or unit fails before any file is read:
 * exit 78 naming the file:line of the key.
 */
#include "cellpipe/dataset.h"
#include "cellpipe/units.h"
#include "config_internal.h"

/* The value of `key` in mapping `map`, or NULL. */
static const yaml_node_t *value_of(yaml_document_t *doc, const yaml_node_t *map, const char *key,
                                   const yaml_node_t **key_node)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        const yaml_node_t *k = yaml_document_get_node(doc, p->key);
        if (strcmp(cfg_scalar_text(k), key) == 0) {
            if (key_node)
                *key_node = k;
            return yaml_document_get_node(doc, p->value);
        }
    }
    return NULL;
}

static int known(const char *name)
{
    for (const struct cp_colspec *c = cp_cycles_columns; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return 1;
    return 0;
}

static int check_entry(struct ctx *c, const struct cp_filter *e, const yaml_node_t *at)
{
    if (e->values.n < 1 || e->values.n > 2)
        return cfg_fail(c, at,
                        "expected a canonical column or [column, unit] for '%s' in "
                        "'columns'",
                        e->column);
    const char *to = e->values.v[0], *unit = e->values.n == 2 ? e->values.v[1] : "";
    double factor;
    if (!known(to))
        return cfg_fail(c, at,
                        "'columns' maps '%s' to unknown column '%s' (expected a per-cycle "
                        "column: cell_id, cycle_index, discharge_capacity_ah, ... see "
                        "docs/readers.md)",
                        e->column, to);
    if (cp_units_factor(to, unit, &factor) < 0) {
        const char *ok = cp_units_accepted(to);
        return cfg_fail(c, at, "'columns': unit '%s' of '%s' does not fit '%s' (expected %s)", unit,
                        e->column, to, *ok ? ok : "no unit");
    }
    return 0;
}

int cfg_check_columns(struct ctx *c, const struct cp_config *cfg, const yaml_node_t *root)
{
    const struct cp_source_config *s = &cfg->source;
    if (!s->ncolumns)
        return 0;
    const yaml_node_t *key = NULL;
    const yaml_node_t *map =
        value_of(c->doc, value_of(c->doc, root, "source", NULL), "columns", &key);
    int cycle = 0, capacity = 0;
    for (size_t i = 0; i < s->ncolumns; i++) {
        const yaml_node_t *at = key;
        value_of(c->doc, map, s->columns[i].column, &at);
        int rc = check_entry(c, &s->columns[i], at);
        if (rc < 0)
            return rc;
        const char *to = s->columns[i].values.v[0];
        for (size_t k = 0; k < i; k++)
            if (strcmp(s->columns[k].values.v[0], to) == 0)
                return cfg_fail(c, at, "'columns' maps both '%s' and '%s' to '%s'",
                                s->columns[k].column, s->columns[i].column, to);
        cycle |= strcmp(to, "cycle_index") == 0;
        capacity |=
            strcmp(to, "discharge_capacity_ah") == 0 || strcmp(to, "charge_capacity_ah") == 0;
    }
    if (!cycle || !capacity)
        return cfg_fail(c, key,
                        "expected 'columns' to map a column to cycle_index and one to "
                        "discharge_capacity_ah or charge_capacity_ah");
    return 0;
}
