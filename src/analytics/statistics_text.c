/* The significant differences in words (statistics.h, cp_statistics_findings). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/statistics.h"

struct finding {
    double p;
    char text[320];
};

/* 1120 -> "1,120"; 0.4123 -> "0.412" (prec significant digits); NaN -> "not reached". */
static void fmt_prec(char *buf, size_t n, double v, int prec)
{
    if (isnan(v)) {
        snprintf(buf, n, "not reached");
        return;
    }
    if (fabs(v) < 1000 || fabs(v) >= 1e15) {
        snprintf(buf, n, "%.*g", prec, v);
        return;
    }
    char digits[32];
    snprintf(digits, sizeof digits, "%.0f", fabs(v));
    size_t len = strlen(digits), o = 0;
    if (v < 0 && o + 1 < n)
        buf[o++] = '-';
    for (size_t i = 0; i < len && o + 2 < n; i++) {
        if (i && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
}

static void fmt_value(char *buf, size_t n, double v)
{
    fmt_prec(buf, n, v, 3);
}

/* Two values with enough digits to tell them apart (3 to 8 significant digits). */
static void fmt_pair(char *a, char *b, size_t n, double x, double y)
{
    for (int prec = 3; prec <= 8; prec++) {
        fmt_prec(a, n, x, prec);
        fmt_prec(b, n, y, prec);
        if (strcmp(a, b) != 0)
            return;
    }
}

/* 0.0031 -> "0.003", 2.1e-05 -> "2.1e-05". */
static void fmt_p(char *buf, size_t n, double p)
{
    if (p >= 0.001)
        snprintf(buf, n, "%.3f", p);
    else
        snprintf(buf, n, "%.1e", p);
}

static const char *correction_word(const struct cp_statistics *s)
{
    return s->correction == CP_STATS_HOLM         ? "Holm-corrected "
           : s->correction == CP_STATS_BONFERRONI ? "Bonferroni-corrected "
                                                  : "";
}

/* A median not reached counts as longer than any reached one. */
static int longer(double a, double b)
{
    return isnan(b) ? 0 : isnan(a) ? 1 : a > b;
}

static void survival_text(const struct cp_statistics *s, const struct cp_statistics_lr *l,
                          struct finding *f)
{
    const struct cp_statistics_group *a = &s->groups[l->a], *b = &s->groups[l->b];
    if (longer(b->km.median, a->km.median) ||
        (isnan(a->km.median) && isnan(b->km.median) && b->km.events < a->km.events)) {
        const struct cp_statistics_group *tmp = a;
        a = b;
        b = tmp;
    }
    char ma[32], mb[32], p[32];
    fmt_value(ma, sizeof ma, a->km.median);
    fmt_value(mb, sizeof mb, b->km.median);
    fmt_p(p, sizeof p, l->p_adj);
    snprintf(f->text, sizeof f->text,
             "%s lives longer than %s: median %s vs %s cycles, %slog-rank p = %s", a->name, b->name,
             ma, mb, correction_word(s), p);
    f->p = l->p_adj;
}

static void metric_text(const struct cp_statistics *s, const struct cp_statistics_cmp *c,
                        struct finding *f)
{
    size_t ia = c->a, ib = c->b;
    double da = s->groups[ia].desc[c->metric].median, db = s->groups[ib].desc[c->metric].median;
    /* the direction from the medians, or from Cliff's delta when they are equal */
    if (db > da || (db == da && c->cmp.cliff_delta < 0)) {
        size_t t = ia;
        ia = ib;
        ib = t;
        double x = da;
        da = db;
        db = x;
    }
    char ma[32], mb[32], p[32];
    fmt_pair(ma, mb, sizeof ma, da, db);
    fmt_p(p, sizeof p, c->u_p_adj);
    snprintf(f->text, sizeof f->text,
             "%s has a higher %s than %s: median %s vs %s, %sMann-Whitney p = %s",
             s->groups[ia].name, s->metric_names[c->metric], s->groups[ib].name, ma, mb,
             correction_word(s), p);
    f->p = c->u_p_adj;
}

static int by_p(const void *x, const void *y)
{
    const struct finding *a = x, *b = y;
    return a->p < b->p ? -1 : a->p > b->p ? 1 : strcmp(a->text, b->text);
}

int cp_statistics_findings(const struct cp_statistics *s, size_t max, char ***out, size_t *n)
{
    struct finding *f = cp_calloc(s->nlrs + s->ncmps + 1, sizeof *f);
    size_t nf = 0;
    *out = NULL;
    *n = 0;
    if (!f)
        return -CP_EINTERNAL;
    for (size_t i = 0; i < s->nlrs; i++)
        if (s->lrs[i].p_adj < s->alpha)
            survival_text(s, &s->lrs[i], &f[nf++]);
    /* cycle_life of finished cells only is biased toward fast faders: its differences are
     * stated from the log-rank test, which counts the live cells too */
    for (size_t i = 0; i < s->ncmps; i++)
        if (s->cmps[i].u_p_adj < s->alpha &&
            strcmp(s->metric_names[s->cmps[i].metric], "cycle_life") != 0)
            metric_text(s, &s->cmps[i], &f[nf++]);
    qsort(f, nf, sizeof *f, by_p);
    if (max && nf > max)
        nf = max;
    char **lines = cp_calloc(nf + 1, sizeof *lines);
    int rc = lines ? 0 : -CP_EINTERNAL;
    for (size_t i = 0; rc == 0 && i < nf; i++)
        if (!(lines[i] = cp_strdup(f[i].text)))
            rc = -CP_EINTERNAL;
    cp_free(f);
    if (rc < 0) {
        cp_statistics_lines_free(lines, nf);
        return rc;
    }
    *out = lines;
    *n = nf;
    return 0;
}

void cp_statistics_lines_free(char **lines, size_t n)
{
    for (size_t i = 0; lines && i < n; i++)
        cp_free(lines[i]);
    cp_free(lines);
}

void cp_statistics_median_text(const struct cp_stats_km *km, char *buf, size_t n)
{
    char m[32], lo[32], hi[32];
    if (isnan(km->median)) {
        snprintf(buf, n, "not reached");
        return;
    }
    fmt_value(m, sizeof m, km->median);
    fmt_value(lo, sizeof lo, km->median_lo);
    fmt_value(hi, sizeof hi, km->median_hi);
    snprintf(buf, n, "%s (%s\xe2\x80\x93%s)", m, lo, hi);
}

void cp_statistics_none_text(const struct cp_statistics *s, char *buf, size_t n)
{
    const char *how = s->correction == CP_STATS_HOLM         ? " (Holm-corrected p-values)"
                      : s->correction == CP_STATS_BONFERRONI ? " (Bonferroni-corrected p-values)"
                                                             : "";
    snprintf(buf, n, "No significant difference at alpha = %g%s.", s->alpha, how);
}
