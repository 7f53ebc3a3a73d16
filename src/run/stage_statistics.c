/*
 * The statistics stage (include/cellpipe/stages.h): hands cp_statistics_compute the groups,
 * metrics and survival times of the run's cells, from the per-cell table every surface shows
 * (cells_table.h), so a metric name means the same column everywhere.
 *   cycle_life   the observed end of life (eol_observed): finished cells only;
 *   survival     time = eol_observed with an event, or last_cycle censored (the cell is still
 *                alive, or stopped early, when its data ends).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/cells_table.h"
#include "cellpipe/error.h"
#include "cellpipe/log.h"
#include "cellpipe/stages.h"
#include "cellpipe/statistics.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/table.h"

struct inputs {
    struct cp_statistics_input in;
    struct cp_table *cells;
    char **group;    /* per cell */
    double **metric; /* [nmetrics][ncells] */
    double *time;
    int *event;
    char **pair_a, **pair_b; /* split from "A vs B" */
};

static const char *column_of(const char *metric)
{
    return strcmp(metric, "cycle_life") == 0 ? "eol_observed" : metric;
}

/* "pipeline.yaml:12: statistics: " (no line when the section is not in the file), or the
 * command line's "--set statistics.KEY=V: " when an override set the key at fault (the last
 * one: it is the one in effect). */
static void where(const struct cp_config *cfg, const char *key, char *buf, size_t n)
{
    char prefix[64];
    int len = snprintf(prefix, sizeof prefix, "--set statistics.%s=", key);
    for (size_t i = cfg->overrides.n; len > 0 && (size_t)len < sizeof prefix && i-- > 0;)
        if (strncmp(cfg->overrides.v[i], prefix, (size_t)len) == 0) {
            snprintf(buf, n, "%s: ", cfg->overrides.v[i]);
            return;
        }
    if (cfg->statistics.line > 0)
        snprintf(buf, n, "%s:%d: statistics: ", cfg->path, cfg->statistics.line);
    else
        snprintf(buf, n, "%s: statistics: ", cfg->path);
}

static int bad_column(const struct cp_config *cfg, const char *key, const char *what,
                      const char *name, struct cp_error *err)
{
    char at[512];
    where(cfg, key, at, sizeof at);
    return cp_error_set(err, CP_ECONFIG, "%s%s '%s'", at, what, name);
}

static int load_groups(struct inputs *x, const struct cp_config *cfg, struct cp_error *err)
{
    const struct cp_table *t = x->cells;
    int col = cp_table_find(t, cfg->statistics.group_by);
    if (col < 0)
        return bad_column(cfg, "group_by", "unknown metadata column in group_by",
                          cfg->statistics.group_by, err);
    struct cp_strbuf sb;
    cp_strbuf_init(&sb);
    int rc = 0;
    for (size_t r = 0; rc == 0 && r < t->nrows; r++) {
        cp_strbuf_reset(&sb);
        if (cp_table_format_cell(t, col, r, &sb) < 0 || !(x->group[r] = cp_strdup(sb.buf)))
            rc = cp_error_oom(err);
    }
    cp_strbuf_release(&sb);
    return rc;
}

static int load_metrics(struct inputs *x, const struct cp_config *cfg, struct cp_error *err)
{
    const struct cp_strlist *m = &cfg->statistics.metrics;
    const struct cp_table *t = x->cells;
    for (size_t j = 0; j < m->n; j++) {
        int col = cp_table_find(t, column_of(m->v[j]));
        if (col < 0)
            return bad_column(cfg, "metrics", "unknown per-cell column in metrics", m->v[j], err);
        if (t->cols[col].type == CP_STR)
            return bad_column(cfg, "metrics", "metrics need numbers; text column", m->v[j], err);
        if (!(x->metric[j] = cp_malloc((t->nrows + 1) * sizeof(double))))
            return cp_error_oom(err);
        for (size_t r = 0; r < t->nrows; r++)
            x->metric[j][r] = cp_table_get_num(t, col, r);
    }
    return 0;
}

static void load_survival(struct inputs *x, const struct cp_run *run)
{
    for (size_t i = 0; i < run->nresults; i++) {
        const struct cp_cell_result *r = &run->results[i];
        x->event[i] = r->eol_observed >= 0;
        x->time[i] = r->eol_observed >= 0 ? (double)r->eol_observed
                     : r->last_cycle >= 0 ? (double)r->last_cycle
                                          : NAN;
    }
}

static int load_pairs(struct inputs *x, const struct cp_config *cfg, struct cp_error *err)
{
    const struct cp_strlist *l = &cfg->statistics.compare;
    if (l->n == 1 && strcmp(l->v[0], "all") == 0)
        return 0;
    for (size_t i = 0; i < l->n; i++, x->in.npairs = i) {
        const char *vs = strstr(l->v[i], " vs ");
        x->pair_a[i] = cp_strndup(l->v[i], (size_t)(vs - l->v[i]));
        x->pair_b[i] = cp_strdup(vs + 4);
        if (!x->pair_a[i] || !x->pair_b[i])
            return cp_error_oom(err);
    }
    return 0;
}

static const int corrections[] = {CP_STATS_HOLM, CP_STATS_BONFERRONI, CP_STATS_NO_CORRECTION};

static int prepare(struct inputs *x, const struct cp_run *run, struct cp_error *err)
{
    const struct cp_statistics_config *sc = &run->cfg->statistics;
    size_t n = run->nresults, nm = sc->metrics.n, np = sc->compare.n;
    if (!(x->cells = cp_cells_table(run)))
        return cp_error_oom(err);
    x->group = cp_calloc(n + 1, sizeof *x->group);
    x->metric = cp_calloc(nm + 1, sizeof *x->metric);
    x->time = cp_malloc((n + 1) * sizeof *x->time);
    x->event = cp_malloc((n + 1) * sizeof *x->event);
    x->pair_a = cp_calloc(np + 1, sizeof *x->pair_a);
    x->pair_b = cp_calloc(np + 1, sizeof *x->pair_b);
    if (!x->group || !x->metric || !x->time || !x->event || !x->pair_a || !x->pair_b)
        return cp_error_oom(err);
    int rc = load_groups(x, run->cfg, err);
    if (rc == 0)
        rc = load_metrics(x, run->cfg, err);
    if (rc == 0)
        rc = load_pairs(x, run->cfg, err);
    load_survival(x, run);
    size_t npairs = x->in.npairs;
    x->in = (struct cp_statistics_input){.ncells = n,
                                         .group = (const char *const *)x->group,
                                         .nmetrics = nm,
                                         .metric_names = (const char *const *)sc->metrics.v,
                                         .metric = (const double *const *)x->metric,
                                         .time = x->time,
                                         .event = x->event,
                                         .pair_a = (const char *const *)x->pair_a,
                                         .pair_b = (const char *const *)x->pair_b,
                                         .npairs = npairs,
                                         .alpha = sc->alpha,
                                         .level = sc->level,
                                         .correction = corrections[sc->correction]};
    return rc;
}

static void inputs_release(struct inputs *x, const struct cp_statistics_config *sc)
{
    for (size_t i = 0; x->group && i < x->in.ncells; i++)
        cp_free(x->group[i]);
    for (size_t j = 0; x->metric && j < sc->metrics.n; j++)
        cp_free(x->metric[j]);
    for (size_t i = 0; x->pair_a && i < sc->compare.n; i++)
        cp_free(x->pair_a[i]);
    for (size_t i = 0; x->pair_b && i < sc->compare.n; i++) /* NULL when its calloc failed */
        cp_free(x->pair_b[i]);
    cp_free(x->group);
    cp_free(x->metric);
    cp_free(x->time);
    cp_free(x->event);
    cp_free(x->pair_a);
    cp_free(x->pair_b);
    cp_table_free(x->cells);
}

static int compute(struct cp_run *run, struct inputs *x, struct cp_error *err)
{
    struct cp_statistics *s = cp_calloc(1, sizeof *s);
    if (!s)
        return cp_error_oom(err);
    struct cp_error why = {0};
    int rc = cp_statistics_compute(&x->in, s, &why);
    char at[512];
    where(run->cfg, "compare", at, sizeof at);
    if (rc == -CP_ECONFIG) /* a compared group with no cell: name the section */
        rc = cp_error_set(err, CP_ECONFIG, "%s%s", at, why.msg);
    else if (rc < 0)
        rc = cp_error_set(err, why.code, "%s", why.msg);
    if (rc < 0) {
        cp_free(s);
        return rc;
    }
    run->statistics = s;
    cp_log(CP_LOG_INFO, "stage=statistics groups=%zu metrics=%zu comparisons=%zu logrank_p=%g",
           s->ngroups, s->nmetrics, s->ncmps, s->logrank.p);
    return 0;
}

int cp_stage_statistics(struct cp_run *run, struct cp_error *err)
{
    const struct cp_statistics_config *sc = &run->cfg->statistics;
    cp_run_statistics_release(run);
    if (!sc->enabled || run->nresults == 0)
        return 0;
    struct inputs x = {0};
    x.in.ncells = run->nresults;
    int rc = prepare(&x, run, err);
    if (rc == 0)
        rc = compute(run, &x, err);
    inputs_release(&x, sc);
    return rc;
}
