/* The `models:` entries: the classification rule and the checks that need more than one key
 * (include/cellpipe/config.h, docs/ml.md). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/config.h"
#include "config_internal.h"

static const struct {
    const char *text;
    enum cp_rule_op op;
} ops[] = {{"<=", CP_OP_LE}, {">=", CP_OP_GE}, {"==", CP_OP_EQ},
           {"!=", CP_OP_NE}, {"<", CP_OP_LT},  {">", CP_OP_GT}};

static int column_name(const char *s, size_t n, char *out, size_t cap)
{
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    while (n && isspace((unsigned char)*s))
        s++, n--;
    if (n == 0 || n >= cap)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
            return -1;
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

int cp_model_rule_parse(const char *text, struct cp_model_rule *r)
{
    memset(r, 0, sizeof(*r));
    for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
        const char *at = strstr(text, ops[k].text);
        if (!at)
            continue;
        char *end;
        r->op = ops[k].op;
        r->value = strtod(at + strlen(ops[k].text), &end);
        while (isspace((unsigned char)*end))
            end++;
        if (end == at + strlen(ops[k].text) || *end || r->value != r->value)
            return -1;
        return column_name(text, (size_t)(at - text), r->column, sizeof(r->column));
    }
    r->op = CP_OP_NONE;
    return column_name(text, strlen(text), r->column, sizeof(r->column));
}

int cp_model_rule_holds(const struct cp_model_rule *r, double v)
{
    switch (r->op) {
    case CP_OP_LT:
        return v < r->value;
    case CP_OP_LE:
        return v <= r->value;
    case CP_OP_GT:
        return v > r->value;
    case CP_OP_GE:
        return v >= r->value;
    case CP_OP_EQ:
        return v == r->value;
    case CP_OP_NE:
        return v != r->value;
    case CP_OP_NONE:
        break;
    }
    return v != 0;
}

static int fail(struct ctx *c, const struct cp_model_config *m, const char *what)
{
    return cp_error_set(c->err, CP_ECONFIG, "%s:%d: model '%s': %s", c->file, m->line,
                        m->name ? m->name : "?", what);
}

static int check_target(struct ctx *c, struct cp_model_config *m)
{
    struct cp_model_rule r;
    if (m->task == CP_TASK_REGRESSION) {
        if (!m->target && !(m->target = cp_strdup("log10_cycle_life")))
            return cp_error_oom(c->err);
        if (strcmp(m->target, "log10_cycle_life") != 0)
            return fail(c, m, "expected target 'log10_cycle_life' for a regression");
        return m->algorithm == CP_ALGO_LOGISTIC
                   ? fail(c, m, "expected algorithm elastic_net or ridge for a regression")
                   : 0;
    }
    if (!m->target || cp_model_rule_parse(m->target, &r) < 0)
        return fail(c, m,
                    "expected a target for the classification: a rule such as "
                    "'cycle_life < 550', or a 0/1 cell column");
    return m->algorithm == CP_ALGO_ELASTIC_NET || m->algorithm == CP_ALGO_RIDGE
               ? fail(c, m, "expected algorithm logistic for a classification")
               : 0;
}

static int check_use(struct ctx *c, const struct cp_model_config *m)
{
    if (!m->use)
        return 0;
    if (m->register_as)
        return fail(c, m, "'use' predicts with a saved model: it takes no 'register_as'");
    if (strncmp(m->use, "models:/", 8) != 0)
        return 0; /* a local model.json, read at run time */
    const char *rest = m->use + 8, *sep = strpbrk(rest, "@/");
    if (!sep || sep == rest || !sep[1] || strpbrk(sep + 1, "@/"))
        return fail(c, m,
                    "expected 'use' as models:/NAME@ALIAS, models:/NAME/VERSION or a "
                    "model.json path");
    if (*sep == '/')
        for (const char *v = sep + 1; *v; v++)
            if (!isdigit((unsigned char)*v))
                return fail(c, m, "expected a version number after models:/NAME/");
    return 0;
}

int cfg_check_models(struct ctx *c, struct cp_config *cfg)
{
    for (size_t i = 0; i < cfg->nmodels; i++) {
        struct cp_model_config *m = &cfg->models[i];
        if (!m->name || !cfg_valid_name(m->name))
            return cp_error_set(c->err, CP_ECONFIG,
                                "%s:%d: expected a 'name' of letters, digits, '.', '_' or '-' "
                                "in the model",
                                c->file, m->line);
        for (size_t k = 0; k < i; k++)
            if (strcmp(cfg->models[k].name, m->name) == 0)
                return fail(c, m, "a model of this name is already defined");
        int rc = check_target(c, m);
        if (rc == 0)
            rc = check_use(c, m);
        if (rc == 0 && m->register_as && !cfg_valid_name(m->register_as))
            rc = fail(c, m, "expected 'register_as' of letters, digits, '.', '_' or '-'");
        if (rc == 0 && m->alias && !cfg_valid_name(m->alias))
            rc = fail(c, m, "expected an 'alias' of letters, digits, '.', '_' or '-'");
        if (rc < 0)
            return rc;
    }
    return 0;
}
