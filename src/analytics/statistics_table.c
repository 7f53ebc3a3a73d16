/* The tidy statistics table (results/statistics.csv, the Statistics sheet): statistics.h. */
#include <math.h>

#include "cellpipe/statistics.h"
#include "cellpipe/table.h"

enum { C_ANALYSIS, C_GROUP, C_GROUP_B, C_METRIC, C_METRIC_B, C_STAT, C_VALUE, C_NOTE, NCOL };

static const char *const col_names[NCOL] = {"analysis", "group",     "group_b", "metric",
                                            "metric_b", "statistic", "value",   "note"};

#define TOO_FEW "not enough cells"

/* One row: the text columns (NULL: empty), a statistic and its value (NaN: empty). */
struct key {
    const char *analysis, *group, *group_b, *metric, *metric_b, *note;
};

static int row(struct cp_table *t, const struct key *k, const char *stat, double v)
{
    long r = cp_table_add_row(t);
    if (r < 0)
        return -1;
    const char *text[] = {k->analysis, k->group, k->group_b, k->metric, k->metric_b};
    for (int c = 0; c < 5; c++)
        if (text[c] && cp_table_set_str(t, c, (size_t)r, text[c]) < 0)
            return -1;
    if (cp_table_set_str(t, C_STAT, (size_t)r, stat) < 0 ||
        (k->note && cp_table_set_str(t, C_NOTE, (size_t)r, k->note) < 0))
        return -1;
    cp_table_set_f64(t, C_VALUE, (size_t)r, v);
    return 0;
}

/* Rows for n statistics named names[i] with values v[i]. */
static int rows(struct cp_table *t, const struct key *k, const char *const *names, const double *v,
                size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (row(t, k, names[i], v[i]) < 0)
            return -1;
    return 0;
}

#define ROWS(t, k, names, v) rows(t, k, names, v, sizeof(names) / sizeof(names[0]))

static int descriptive(struct cp_table *t, const struct cp_statistics *s)
{
    static const char *const names[] = {"n",       "mean",    "sd",        "median",
                                        "q1",      "q3",      "min",       "max",
                                        "mean_lo", "mean_hi", "median_lo", "median_hi"};
    for (size_t g = 0; g < s->ngroups; g++)
        for (size_t j = 0; j < s->nmetrics; j++) {
            const struct cp_stats_desc *d = &s->groups[g].desc[j];
            double v[] = {(double)d->n, d->mean,    d->sd,        d->median,
                          d->q1,        d->q3,      d->min,       d->max,
                          d->mean_lo,   d->mean_hi, d->median_lo, d->median_hi};
            struct key k = {"descriptive", s->groups[g].name,        NULL, s->metric_names[j],
                            NULL,          d->n ? NULL : "no values"};
            if (ROWS(t, &k, names, v) < 0)
                return -1;
        }
    return 0;
}

static int correlation(struct cp_table *t, const struct cp_statistics *s)
{
    static const char *const names[] = {"n", "pearson_r", "pearson_p", "spearman_r", "spearman_p"};
    for (size_t a = 0; a < s->nmetrics; a++)
        for (size_t b = a + 1; b < s->nmetrics; b++) {
            const struct cp_stats_corr *c = &s->corr[a * s->nmetrics + b];
            double v[] = {(double)c->n, c->pearson_r, c->pearson_p, c->spearman_r, c->spearman_p};
            struct key k = {"correlation",
                            "all",
                            NULL,
                            s->metric_names[a],
                            s->metric_names[b],
                            c->status == CP_STATS_TOO_FEW ? TOO_FEW : NULL};
            if (ROWS(t, &k, names, v) < 0)
                return -1;
        }
    return 0;
}

static int comparison(struct cp_table *t, const struct cp_statistics *s)
{
    static const char *const names[] = {"n",
                                        "n_b",
                                        "mann_whitney_u",
                                        "mann_whitney_p",
                                        "mann_whitney_p_adjusted",
                                        "mann_whitney_exact",
                                        "welch_t",
                                        "welch_df",
                                        "welch_p",
                                        "welch_p_adjusted",
                                        "cliff_delta"};
    for (size_t i = 0; i < s->ncmps; i++) {
        const struct cp_statistics_cmp *c = &s->cmps[i];
        const struct cp_stats_cmp *m = &c->cmp;
        double v[] = {(double)m->n1, (double)m->n2, m->u,
                      m->u_p,        c->u_p_adj,    m->status ? NAN : m->u_exact,
                      m->t,          m->t_df,       m->t_p,
                      c->t_p_adj,    m->cliff_delta};
        struct key k = {"comparison",
                        s->groups[c->a].name,
                        s->groups[c->b].name,
                        s->metric_names[c->metric],
                        NULL,
                        m->status ? TOO_FEW : NULL};
        if (ROWS(t, &k, names, v) < 0)
            return -1;
    }
    return 0;
}

static int kruskal(struct cp_table *t, const struct cp_statistics *s)
{
    static const char *const names[] = {"n", "groups", "kruskal_h", "kruskal_df", "kruskal_p"};
    for (size_t j = 0; j < s->nmetrics; j++) {
        const struct cp_stats_kw *w = &s->kruskal[j];
        double v[] = {(double)w->n, (double)w->k, w->h, w->df, w->p};
        struct key k = {"kruskal",          "all", NULL,
                        s->metric_names[j], NULL,  w->status ? TOO_FEW : NULL};
        if (ROWS(t, &k, names, v) < 0)
            return -1;
    }
    return 0;
}

static int survival(struct cp_table *t, const struct cp_statistics *s)
{
    static const char *const names[] = {"n", "events", "median_life", "median_life_lo",
                                        "median_life_hi"};
    for (size_t g = 0; g < s->ngroups; g++) {
        const struct cp_stats_km *km = &s->groups[g].km;
        double v[] = {(double)km->n, (double)km->events, km->median, km->median_lo, km->median_hi};
        struct key k = {
            "survival", s->groups[g].name,
            NULL,       "cycle_life",
            NULL,       km->n == 0 ? "no cycles" : isnan(km->median) ? "median not reached" : NULL};
        if (ROWS(t, &k, names, v) < 0)
            return -1;
    }
    return 0;
}

static int logrank_rows(struct cp_table *t, const struct key *k, const struct cp_stats_logrank *lr,
                        double p_adj)
{
    static const char *const names[] = {"n", "logrank_chi2", "logrank_df", "logrank_p",
                                        "logrank_p_adjusted"};
    double v[] = {(double)lr->n, lr->chi2, lr->df, lr->p, p_adj};
    return rows(t, k, names, v, isnan(p_adj) && !k->group_b ? 4 : 5);
}

static int logrank(struct cp_table *t, const struct cp_statistics *s)
{
    struct key k = {"logrank", "all", NULL, "cycle_life", NULL, s->logrank.status ? TOO_FEW : NULL};
    if (logrank_rows(t, &k, &s->logrank, NAN) < 0)
        return -1;
    for (size_t i = 0; i < s->nlrs; i++) {
        const struct cp_statistics_lr *l = &s->lrs[i];
        k.group = s->groups[l->a].name;
        k.group_b = s->groups[l->b].name;
        k.note = l->lr.status ? TOO_FEW : NULL;
        if (logrank_rows(t, &k, &l->lr, l->p_adj) < 0)
            return -1;
    }
    return 0;
}

struct cp_table *cp_statistics_table(const struct cp_statistics *s)
{
    struct cp_table *t = cp_table_new("statistics");
    if (!t)
        return NULL;
    for (int c = 0; c < NCOL; c++)
        if (cp_table_add_column(t, col_names[c], c == C_VALUE ? CP_F64 : CP_STR) != c)
            goto fail;
    if (descriptive(t, s) < 0 || correlation(t, s) < 0 || comparison(t, s) < 0 ||
        kruskal(t, s) < 0 || survival(t, s) < 0 || logrank(t, s) < 0)
        goto fail;
    return t;
fail:
    cp_table_free(t);
    return NULL;
}
