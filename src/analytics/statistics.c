/* Fleet statistics of a run: see include/cellpipe/statistics.h. */
#include "cellpipe/statistics.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "statistics_internal.h"

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int has_group(const struct cp_statistics_input *in, size_t i)
{
    return in->group[i] && in->group[i][0];
}

/* The sorted distinct group names, copied into out->groups. */
static int collect_groups(const struct cp_statistics_input *in, struct cp_statistics *out)
{
    const char **names = cp_malloc((in->ncells + 1) * sizeof *names);
    size_t n = 0;
    if (!names)
        return -CP_EINTERNAL;
    for (size_t i = 0; i < in->ncells; i++)
        if (has_group(in, i))
            names[n++] = in->group[i];
    qsort(names, n, sizeof *names, cmp_str);
    out->groups = cp_calloc(n + 1, sizeof *out->groups);
    int rc = out->groups ? 0 : -CP_EINTERNAL;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (out->ngroups && strcmp(out->groups[out->ngroups - 1].name, names[i]) == 0)
            continue;
        struct cp_statistics_group *g = &out->groups[out->ngroups];
        g->name = cp_strdup(names[i]);
        g->desc = cp_calloc(in->nmetrics + 1, sizeof *g->desc);
        out->ngroups++;
        if (!g->name || !g->desc)
            rc = -CP_EINTERNAL;
    }
    cp_free(names);
    return rc;
}

static int cmp_group(const void *key, const void *g)
{
    return strcmp(key, ((const struct cp_statistics_group *)g)->name);
}

long stats_group_index(const struct cp_statistics *s, const char *name)
{
    const struct cp_statistics_group *g =
        s->ngroups ? bsearch(name, s->groups, s->ngroups, sizeof *s->groups, cmp_group) : NULL;
    return g ? (long)(g - s->groups) : -1;
}

static int build_members(const struct cp_statistics_input *in, const struct cp_statistics *s,
                         struct stats_members *m)
{
    m->gid = cp_malloc((in->ncells + 1) * sizeof *m->gid);
    m->member = cp_malloc((in->ncells + 1) * sizeof *m->member);
    m->start = cp_calloc(s->ngroups + 2, sizeof *m->start);
    if (!m->gid || !m->member || !m->start)
        return -CP_EINTERNAL;
    for (size_t i = 0; i < in->ncells; i++) {
        m->gid[i] = has_group(in, i) ? (size_t)stats_group_index(s, in->group[i]) : SIZE_MAX;
        if (m->gid[i] != SIZE_MAX)
            m->start[m->gid[i] + 2]++;
    }
    for (size_t g = 0; g < s->ngroups; g++)
        m->start[g + 2] += m->start[g + 1];
    for (size_t i = 0; i < in->ncells; i++)
        if (m->gid[i] != SIZE_MAX)
            m->member[m->start[m->gid[i] + 1]++] = i;
    return 0;
}

static void members_free(struct stats_members *m)
{
    cp_free(m->gid);
    cp_free(m->member);
    cp_free(m->start);
}

size_t stats_gather(const struct cp_statistics_input *in, const struct stats_members *m, size_t g,
                    size_t metric, double *v, int *event)
{
    size_t n = 0;
    for (size_t k = m->start[g]; k < m->start[g + 1]; k++) {
        size_t i = m->member[k];
        if (metric == SIZE_MAX) {
            v[n] = in->time ? in->time[i] : NAN;
            event[n] = in->event ? in->event[i] : 0;
        } else {
            v[n] = in->metric[metric][i];
        }
        n++;
    }
    return n;
}

static int describe(const struct cp_statistics_input *in, struct cp_statistics *s,
                    const struct stats_members *m, double *buf, int *ev)
{
    for (size_t g = 0; g < s->ngroups; g++) {
        struct cp_statistics_group *gr = &s->groups[g];
        gr->n = m->start[g + 1] - m->start[g];
        for (size_t j = 0; j < in->nmetrics; j++) {
            size_t n = stats_gather(in, m, g, j, buf, NULL);
            if (cp_stats_describe(buf, n, in->level, &gr->desc[j]) < 0)
                return -CP_EINTERNAL;
        }
        size_t n = stats_gather(in, m, g, SIZE_MAX, buf, ev);
        if (cp_stats_km(buf, ev, n, in->level, &gr->km) < 0)
            return -CP_EINTERNAL;
    }
    return 0;
}

static int correlate(const struct cp_statistics_input *in, struct cp_statistics *s)
{
    size_t k = in->nmetrics;
    s->corr = cp_calloc(k * k + 1, sizeof *s->corr);
    if (!s->corr)
        return -CP_EINTERNAL;
    for (size_t a = 0; a < k; a++)
        for (size_t b = a; b < k; b++) {
            if (cp_stats_correlate(in->metric[a], in->metric[b], in->ncells, &s->corr[a * k + b]) <
                0)
                return -CP_EINTERNAL;
            s->corr[b * k + a] = s->corr[a * k + b];
        }
    return 0;
}

static int kruskal(const struct cp_statistics_input *in, struct cp_statistics *s,
                   const struct stats_members *m, double *buf)
{
    const double **groups = cp_calloc(s->ngroups + 1, sizeof *groups);
    size_t *sizes = cp_calloc(s->ngroups + 1, sizeof *sizes);
    s->kruskal = cp_calloc(in->nmetrics + 1, sizeof *s->kruskal);
    int rc = groups && sizes && s->kruskal ? 0 : -CP_EINTERNAL;
    for (size_t j = 0; rc == 0 && j < in->nmetrics; j++) {
        size_t used = 0;
        for (size_t g = 0; g < s->ngroups; g++) {
            groups[g] = buf + used;
            sizes[g] = stats_gather(in, m, g, j, buf + used, NULL);
            used += sizes[g];
        }
        rc = cp_stats_kruskal(groups, sizes, s->ngroups, &s->kruskal[j]);
    }
    cp_free(groups);
    cp_free(sizes);
    return rc;
}

int stats_logrank_of(const struct cp_statistics_input *in, const struct stats_members *m,
                     const size_t *gsel, size_t k, double *t, int *ev, size_t *grp,
                     struct cp_stats_logrank *out)
{
    size_t n = 0;
    for (size_t j = 0; j < k; j++) {
        size_t got = stats_gather(in, m, gsel[j], SIZE_MAX, t + n, ev + n);
        for (size_t i = 0; i < got; i++)
            grp[n + i] = j;
        n += got;
    }
    return cp_stats_logrank(t, ev, grp, n, k, out);
}

int cp_statistics_compute(const struct cp_statistics_input *in, struct cp_statistics *out,
                          struct cp_error *err)
{
    *out = (struct cp_statistics){
        .alpha = in->alpha, .level = in->level, .correction = in->correction};
    struct stats_members m = {0};
    double *buf = cp_malloc((in->ncells + 1) * sizeof *buf);
    int *ev = cp_malloc((in->ncells + 1) * sizeof *ev);
    size_t *grp = cp_malloc((in->ncells + 1) * sizeof *grp);
    size_t *all = NULL;
    out->metric_names = cp_calloc(in->nmetrics + 1, sizeof *out->metric_names);
    int rc = buf && ev && grp && out->metric_names ? 0 : -CP_EINTERNAL;
    for (size_t j = 0; rc == 0 && j < in->nmetrics; j++, out->nmetrics = j)
        if (!(out->metric_names[j] = cp_strdup(in->metric_names[j])))
            rc = -CP_EINTERNAL;
    if (rc == 0)
        rc = collect_groups(in, out);
    if (rc == 0)
        rc = build_members(in, out, &m);
    if (rc == 0 && (rc = stats_pairs_resolve(in, out, err)) < 0)
        goto done;
    if (rc == 0)
        rc = describe(in, out, &m, buf, ev);
    if (rc == 0)
        rc = correlate(in, out);
    if (rc == 0)
        rc = kruskal(in, out, &m, buf);
    if (rc == 0 && !(all = cp_malloc((out->ngroups + 1) * sizeof *all)))
        rc = -CP_EINTERNAL;
    for (size_t g = 0; rc == 0 && g < out->ngroups; g++)
        all[g] = g;
    if (rc == 0)
        rc = stats_logrank_of(in, &m, all, out->ngroups, buf, ev, grp, &out->logrank);
    if (rc == 0)
        rc = stats_pairs_test(in, out, &m, buf, ev, grp);
    if (rc == -CP_EINTERNAL)
        cp_error_oom(err);
done:
    members_free(&m);
    cp_free(buf);
    cp_free(ev);
    cp_free(grp);
    cp_free(all);
    if (rc < 0)
        cp_statistics_release(out);
    return rc;
}

void cp_statistics_release(struct cp_statistics *s)
{
    for (size_t g = 0; s->groups && g < s->ngroups; g++) {
        cp_free(s->groups[g].name);
        cp_free(s->groups[g].desc);
        cp_stats_km_release(&s->groups[g].km);
    }
    for (size_t j = 0; s->metric_names && j < s->nmetrics; j++)
        cp_free(s->metric_names[j]);
    cp_free(s->groups);
    cp_free(s->metric_names);
    cp_free(s->corr);
    cp_free(s->kruskal);
    cp_free(s->cmps);
    cp_free(s->lrs);
    *s = (struct cp_statistics){0};
}

long cp_statistics_metric(const struct cp_statistics *s, const char *name)
{
    for (size_t j = 0; j < s->nmetrics; j++)
        if (strcmp(s->metric_names[j], name) == 0)
            return (long)j;
    return -1;
}
