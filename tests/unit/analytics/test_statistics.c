/* The fleet statistics as a whole (statistics.h): grouping, pairs, the correction family, the
 * tidy table, the sentences, and over 200 seeds a null case that must not call a difference. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/statistics.h"
#include "cellpipe/table.h"
#include "harness.h"

#define MAXC 64

/* A small fleet: groups, the default metrics (fade_rate, ce_mean, cycle_life,
 * last_retention; tests that need two use the first two), survival times. */
struct fleet {
    size_t n, nmetrics;
    const char *group[MAXC];
    double m0[MAXC], m1[MAXC], m2[MAXC], m3[MAXC], time[MAXC];
    int event[MAXC];
    const double *metric[4];
    struct cp_statistics_input in;
};

static const char *const names[] = {"fade_rate", "ce_mean", "cycle_life", "last_retention"};

static void fleet_init(struct fleet *f)
{
    f->metric[0] = f->m0;
    f->metric[1] = f->m1;
    f->metric[2] = f->m2;
    f->metric[3] = f->m3;
    f->in = (struct cp_statistics_input){.ncells = f->n,
                                         .group = f->group,
                                         .nmetrics = f->nmetrics ? f->nmetrics : 2,
                                         .metric_names = names,
                                         .metric = f->metric,
                                         .time = f->time,
                                         .event = f->event,
                                         .alpha = 0.05,
                                         .level = 0.95,
                                         .correction = CP_STATS_HOLM};
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static double uniform(uint64_t *s)
{
    return ((double)(rng_next(s) >> 11) + 0.5) / 9007199254740992.0;
}

/* Group A's lives and metrics scaled by `shift` against B's; follow-up censors at random. */
static void draw(struct fleet *f, uint64_t seed, double shift, size_t per_group)
{
    uint64_t s = seed * 2654435761u + 1;
    f->n = 2 * per_group;
    f->nmetrics = 2;
    for (size_t i = 0; i < f->n; i++) {
        int a = i < per_group;
        double scale = a ? shift : 1.0;
        double life = 800 * scale * pow(-log(uniform(&s)), 1.0 / 4.0); /* Weibull, shape 4 */
        double follow = 300 + 900 * uniform(&s);
        f->group[i] = a ? "A" : "B";
        f->event[i] = life <= follow;
        f->time[i] = floor(f->event[i] ? life : follow);
        f->m0[i] = 0.5 / scale * exp(0.3 * (uniform(&s) - 0.5));
        f->m1[i] = 0.99 + 0.004 * uniform(&s);
        f->m2[i] = f->event[i] ? f->time[i] : NAN;
        f->m3[i] = 1.0 - 0.2 * fmin(1.0, f->time[i] / life) + 0.002 * uniform(&s);
    }
    fleet_init(f);
}

TEST(groups_and_all_pairs)
{
    struct fleet f = {.n = 9};
    const char *g[] = {"c", "a", "b", "a", "c", "b", "a", "", "b"};
    for (size_t i = 0; i < f.n; i++) {
        f.group[i] = g[i];
        f.m0[i] = (double)i;
        f.m1[i] = i == 3 ? NAN : (double)(i * i);
        f.time[i] = 100.0 + (double)i;
        f.event[i] = i % 2;
    }
    fleet_init(&f);
    struct cp_statistics s;
    struct cp_error err = {0};
    CHECK_INT(cp_statistics_compute(&f.in, &s, &err), 0);
    CHECK_INT(s.ngroups, 3); /* "" is no group */
    CHECK_STR(s.groups[0].name, "a");
    CHECK_STR(s.groups[2].name, "c");
    CHECK_INT(s.groups[0].n, 3);
    CHECK_INT(s.groups[0].desc[1].n, 2); /* the NaN is left out */
    CHECK_INT(s.nlrs, 3);
    CHECK_INT(s.ncmps, 6);
    CHECK_INT(s.groups[2].n, 2);
    /* a group of two: "not enough cells", never a p-value */
    CHECK_INT(s.cmps[2].cmp.status, CP_STATS_TOO_FEW);
    CHECK(isnan(s.cmps[2].u_p_adj));
    CHECK_INT(s.lrs[1].lr.status, CP_STATS_TOO_FEW);
    CHECK_INT(cp_statistics_metric(&s, "ce_mean"), 1);
    CHECK_INT(cp_statistics_metric(&s, "nope"), -1);
    cp_statistics_release(&s);
}

TEST(one_family_holm)
{
    struct fleet f;
    draw(&f, 7, 0.6, 12);
    struct cp_statistics s;
    struct cp_error err = {0};
    CHECK_INT(cp_statistics_compute(&f.in, &s, &err), 0);
    /* one pair, two metrics and one log-rank: Holm over the three p-values */
    double p[3] = {s.cmps[0].cmp.u_p, s.cmps[1].cmp.u_p, s.lrs[0].lr.p}, adj[3];
    CHECK_INT(cp_stats_adjust(p, 3, CP_STATS_HOLM, adj), 0);
    CHECK_NEAR(s.cmps[0].u_p_adj, adj[0], 0);
    CHECK_NEAR(s.cmps[1].u_p_adj, adj[1], 0);
    CHECK_NEAR(s.lrs[0].p_adj, adj[2], 0);
    cp_statistics_release(&s);
    f.in.correction = CP_STATS_NO_CORRECTION;
    CHECK_INT(cp_statistics_compute(&f.in, &s, &err), 0);
    CHECK_NEAR(s.cmps[0].u_p_adj, s.cmps[0].cmp.u_p, 0);
    cp_statistics_release(&s);
}

TEST(pairs_by_name)
{
    struct fleet f;
    draw(&f, 3, 1.0, 5);
    const char *a[] = {"B"}, *b[] = {"A"}, *bad[] = {"Z"};
    f.in.pair_a = a;
    f.in.pair_b = b;
    f.in.npairs = 1;
    struct cp_statistics s;
    struct cp_error err = {0};
    CHECK_INT(cp_statistics_compute(&f.in, &s, &err), 0);
    CHECK_INT(s.nlrs, 1);
    CHECK_INT(s.lrs[0].a, 1);
    CHECK_INT(s.lrs[0].b, 0);
    cp_statistics_release(&s);
    f.in.pair_b = bad;
    CHECK_INT(cp_statistics_compute(&f.in, &s, &err), -CP_ECONFIG);
    CHECK(strstr(err.msg, "'Z'") != NULL);
    CHECK_INT(s.ngroups, 0); /* released */
}

TEST(table_and_findings)
{
    struct fleet f;
    draw(&f, 11, 0.5, 20);
    struct cp_statistics s;
    struct cp_error err = {0};
    CHECK_INT(cp_statistics_compute(&f.in, &s, &err), 0);
    struct cp_table *t = cp_statistics_table(&s);
    CHECK(t != NULL);
    /* descriptive 2 x 2 x 12, correlation 1 x 5, comparison 2 x 11, kruskal 2 x 5,
     * survival 2 x 5, log-rank 4 + 5 */
    CHECK_INT(t ? t->nrows : 0, 48 + 5 + 22 + 10 + 10 + 9);
    cp_table_free(t);
    char **lines;
    size_t n;
    CHECK_INT(cp_statistics_findings(&s, 0, &lines, &n), 0);
    CHECK(n >= 1);
    /* A lives half as long: B lives longer, and A fades faster */
    int life = 0, fade = 0;
    for (size_t i = 0; i < n; i++) {
        life |= strncmp(lines[i], "B lives longer than A: median ", 30) == 0 &&
                strstr(lines[i], "log-rank p = ") != NULL;
        fade |= strncmp(lines[i], "A has a higher fade_rate than B", 31) == 0;
    }
    CHECK(life);
    CHECK(fade);
    cp_statistics_lines_free(lines, n);
    cp_statistics_release(&s);
}

/* Two groups from one distribution, with the default metrics: the corrected p-values call no
 * difference in >= 95 % of 200 seeds; a real difference (lives 0.7x) is found in most. */
TEST(null_over_seeds)
{
    int false_calls = 0, found = 0;
    for (uint64_t seed = 1; seed <= 200; seed++) {
        struct fleet f;
        struct cp_statistics s;
        struct cp_error err = {0};
        char **lines;
        size_t n;
        draw(&f, seed, 1.0, 20);
        f.in.nmetrics = 4;
        if (cp_statistics_compute(&f.in, &s, &err) < 0 ||
            cp_statistics_findings(&s, 0, &lines, &n) < 0)
            break;
        false_calls += n > 0;
        cp_statistics_lines_free(lines, n);
        cp_statistics_release(&s);
        draw(&f, seed, 0.7, 20);
        f.in.nmetrics = 4;
        if (cp_statistics_compute(&f.in, &s, &err) < 0)
            break;
        found += s.lrs[0].p_adj < 0.05;
        cp_statistics_release(&s);
    }
    printf("# null: %d of 200 seeds called a difference; 0.7x lives found in %d\n", false_calls,
           found);
    CHECK(false_calls <= 10);
    CHECK(found >= 150);
}

TEST(out_of_memory)
{
    struct fleet f;
    draw(&f, 5, 0.8, 6);
    struct cp_statistics s;
    struct cp_error err = {0};
    long k;
    int clean = 1;
    for (k = 1; k < 400; k++) {
        cp_alloc_fail_at(k);
        int rc = cp_statistics_compute(&f.in, &s, &err);
        cp_alloc_fail_at(0);
        if (rc == 0)
            break;
        clean &= rc == -CP_EINTERNAL && s.groups == NULL;
    }
    CHECK(clean);
    CHECK(k > 1 && k < 400);
    cp_statistics_release(&s);
}

int main(void)
{
    RUN(groups_and_all_pairs);
    RUN(one_family_holm);
    RUN(pairs_by_name);
    RUN(table_and_findings);
    RUN(null_over_seeds);
    RUN(out_of_memory);
    return DONE();
}
