/*
 * Figures of the fleet statistics from a hand-built struct cp_statistics (three groups with
 * censorings, a 4 x 4 correlation matrix with an n/a cell): the survival curves step from
 * (0, 100 %), the band exists only where defined, one tick per censored time, colours follow
 * the run's groups, the heat map holds Spearman's rho, cp_charts_build adds both figures, and
 * the statistics page draws. CP_PLOT_DUMP=dir keeps the files (survival, correlation .pdf/.svg,
 * stats_page.pdf) to look at.
 */
#include <cairo-pdf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/charts.h"
#include "cellpipe/charts_stats.h"
#include "cellpipe/fs.h"
#include "cellpipe/statistics.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/summary_pdf.h"
#include "cellpipe/summary_stats.h"
#include "cellpipe/text.h"
#include "fixture.h"
#include "harness.h"
#include "plot_dump.h"

#define NGROUPS 3
#define NMETRICS 4
#define MAXN 12

struct group_data {
    const char *name;
    size_t n;
    double t[MAXN];
    int ev[MAXN]; /* 1 end of life, 0 censored */
};

/* sorted by name, as the statistics stage sorts them */
static const struct group_data gdata[NGROUPS] = {
    {"LFP-A",
     10,
     {400, 520, 610, 700, 700, 820, 900, 950, 1100, 1200},
     {1, 0, 1, 1, 0, 1, 0, 1, 0, 0}},
    {"NCA-C", 5, {800, 900, 1000, 1300, 1400}, {0, 1, 0, 0, 0}},
    {"NMC-B", 8, {300, 350, 420, 480, 500, 560, 600, 640}, {1, 1, 0, 1, 1, 1, 0, 1}},
};

static const char *const metric_names[NMETRICS] = {"cycle_life", "fade_rate", "knee_onset",
                                                   "coulombic_efficiency_mean"};

/* Kaplan-Meier with Greenwood and the log-log band at 95 %, as stats.h defines it; times of a
 * group are given in increasing order. */
static void km_of(const struct group_data *g, struct cp_stats_km *km)
{
    memset(km, 0, sizeof(*km));
    km->steps = calloc(MAXN, sizeof(*km->steps));
    km->n = g->n;
    km->median = km->median_lo = km->median_hi = NAN;
    double s = 1, gw = 0;
    size_t at_risk = g->n;
    for (size_t i = 0; i < g->n;) {
        struct cp_stats_km_step *st = &km->steps[km->nsteps++];
        st->t = g->t[i];
        st->at_risk = at_risk;
        for (; i < g->n && g->t[i] == st->t; i++)
            g->ev[i] ? st->events++ : st->censored++;
        if (st->events) {
            s *= 1 - (double)st->events / (double)at_risk;
            if (at_risk > st->events)
                gw += (double)st->events / ((double)at_risk * (double)(at_risk - st->events));
        }
        at_risk -= st->events + st->censored;
        km->events += st->events;
        st->s = s;
        st->var = s * s * gw;
        st->lo = st->hi = NAN;
        if (s > 0 && s < 1) {
            double v = gw / (log(s) * log(s)), e = exp(1.959964 * sqrt(v));
            st->lo = pow(s, e);
            st->hi = pow(s, 1 / e);
        }
        if (isnan(km->median) && s <= 0.5)
            km->median = st->t;
        if (isnan(km->median_hi) && st->hi <= 0.5)
            km->median_hi = st->t;
        if (isnan(km->median_lo) && st->lo <= 0.5)
            km->median_lo = st->t;
    }
}

static void corr_set(struct cp_statistics *s, size_t a, size_t b, double rho, int status)
{
    struct cp_stats_corr c = {status, status == CP_STATS_OK ? 12 : 2, rho, 0.01, rho, 0.01};
    if (status != CP_STATS_OK)
        c.pearson_r = c.spearman_r = c.pearson_p = c.spearman_p = NAN;
    s->corr[a * NMETRICS + b] = s->corr[b * NMETRICS + a] = c;
}

static void stats_fixture(struct cp_statistics *s)
{
    memset(s, 0, sizeof(*s));
    s->ngroups = NGROUPS;
    s->nmetrics = NMETRICS;
    s->groups = calloc(NGROUPS, sizeof(*s->groups));
    for (size_t g = 0; g < NGROUPS; g++) {
        s->groups[g].name = (char *)gdata[g].name;
        s->groups[g].n = gdata[g].n;
        km_of(&gdata[g], &s->groups[g].km);
    }
    s->metric_names = (char **)metric_names;
    s->corr = calloc(NMETRICS * NMETRICS, sizeof(*s->corr));
    for (size_t m = 0; m < NMETRICS; m++)
        corr_set(s, m, m, 1, CP_STATS_OK);
    corr_set(s, 0, 1, -0.83, CP_STATS_OK);
    corr_set(s, 0, 2, 0.61, CP_STATS_OK);
    corr_set(s, 0, 3, NAN, CP_STATS_TOO_FEW);
    corr_set(s, 1, 2, -0.35, CP_STATS_OK);
    corr_set(s, 1, 3, 0.12, CP_STATS_OK);
    corr_set(s, 2, 3, NAN, CP_STATS_OK); /* a constant metric */
    /* no test could run: what cp_statistics_findings() reads (after the merge of the stage)
     * is there and says "nothing significant" */
    s->kruskal = calloc(NMETRICS, sizeof(*s->kruskal));
    for (size_t m = 0; m < NMETRICS; m++)
        s->kruskal[m] = (struct cp_stats_kw){CP_STATS_TOO_FEW, 0, NGROUPS, NAN, NAN, NAN};
    s->logrank = (struct cp_stats_logrank){CP_STATS_TOO_FEW, 23, NGROUPS, NAN, NAN, NAN};
    s->alpha = 0.05;
    s->level = 0.95;
    s->correction = CP_STATS_HOLM;
}

static void stats_release(struct cp_statistics *s)
{
    for (size_t g = 0; g < s->ngroups; g++)
        free(s->groups[g].km.steps);
    free(s->groups);
    free(s->corr);
    free(s->kruskal);
}

static int render(const struct cp_figure *fig, enum cp_plot_format fmt, const char *name,
                  struct cp_strbuf *out)
{
    struct cp_error err;
    cp_error_clear(&err);
    cp_strbuf_init(out);
    int rc = cp_plot_render(fig, fmt, 720, 432, FX_EPOCH, out, &err);
    if (rc == 0)
        dump(name, out);
    return rc;
}

/* Text of a PDF through pdftotext, or NULL when the tool is missing. */
static char *pdf_text(const struct cp_strbuf *pdf)
{
    char in[] = "/tmp/cp_stats_XXXXXX";
    int fd = mkstemp(in);
    if (fd < 0 || system("command -v pdftotext >/dev/null 2>&1") != 0)
        return NULL;
    FILE *f = fdopen(fd, "wb");
    fwrite(pdf->buf, 1, pdf->len, f);
    fclose(f);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "pdftotext -q %s -", in);
    FILE *p = popen(cmd, "r");
    struct cp_strbuf sb = CP_STRBUF_INIT;
    char buf[4096];
    size_t n;
    while (p && (n = fread(buf, 1, sizeof(buf), p)) > 0)
        cp_strbuf_add(&sb, buf, n);
    if (p)
        pclose(p);
    remove(in);
    return cp_strbuf_detach(&sb);
}

static size_t censored_times(const struct cp_stats_km *km)
{
    size_t n = 0;
    for (size_t i = 0; i < km->nsteps; i++)
        n += km->steps[i].censored > 0;
    return n;
}

TEST(survival_figure)
{
    struct cp_statistics s;
    stats_fixture(&s);
    struct cp_figure *fig = cp_charts_survival(&s, "design_name");
    CHECK(fig != NULL);
    if (!fig)
        return;
    CHECK_STR(fig->title, "Cycle life by design");
    CHECK_INT(fig->npanels, 1);
    const struct cp_panel *p = &fig->panels[0];
    CHECK_STR(p->xlabel, "Cycle");
    CHECK_STR(p->ylabel, "Cells before end of life (%)");
    CHECK_INT(p->nseries, NGROUPS);
    CHECK_STR(p->series[0].label, "LFP-A (n=10, events=5)");
    CHECK_STR(p->series[2].label, "NMC-B (n=8, events=6)");
    size_t ticks = 0;
    for (size_t g = 0; g < NGROUPS; g++) {
        const struct cp_series *se = &p->series[g];
        const struct cp_stats_km *km = &s.groups[g].km;
        CHECK_INT(se->color, (int)g);
        CHECK_INT(se->n, 1 + 2 * km->nsteps);
        CHECK(se->x[0] == 0 && se->y[0] == 100);
        CHECK(se->lo && isnan(se->lo[0]) && isnan(se->lo[1])); /* S = 1 before the first event */
        /* horizontal then vertical: each step time twice, the level before, then after */
        for (size_t i = 0; i < km->nsteps; i++) {
            CHECK(se->x[1 + 2 * i] == km->steps[i].t && se->x[2 + 2 * i] == km->steps[i].t);
            CHECK_NEAR(se->y[2 + 2 * i], 100 * km->steps[i].s, 1e-9);
            CHECK_NEAR(se->y[1 + 2 * i], i ? 100 * km->steps[i - 1].s : 100, 1e-9);
        }
        ticks += censored_times(km);
    }
    CHECK_INT(p->nmarkers, ticks);
    CHECK_INT(ticks, 5 + 4 + 2); /* LFP-A 520 700 900 1100 1200, NCA-C 800 1000 1300 1400,
                                  * NMC-B 420 600 */
    for (size_t i = 0; i < p->nmarkers; i++)
        CHECK(p->markers[i].mark == CP_MARK_TICK && !p->markers[i].label);
    CHECK_INT(p->nhlines, 1);
    CHECK(p->nhlines == 1 && p->hlines[0].y == 50);
    CHECK_STR(p->nhlines ? p->hlines[0].label : NULL, "median");
    struct cp_strbuf svg, pdf;
    CHECK_INT(render(fig, CP_PLOT_SVG, "survival.svg", &svg), 0);
    CHECK_INT(render(fig, CP_PLOT_PDF, "survival.pdf", &pdf), 0);
    CHECK(has(&svg, "LFP-A (n=10, events=5)"));
    CHECK(has(&svg, "y: Cells before end of life (%)"));
    CHECK(has(&svg, "censored"));
    CHECK(pdf.len > 1000 && memcmp(pdf.buf, "%PDF", 4) == 0);
    cp_strbuf_release(&svg);
    cp_strbuf_release(&pdf);
    cp_figure_free(fig);
    stats_release(&s);
}

TEST(survival_band_only_where_defined)
{
    struct cp_statistics s;
    stats_fixture(&s);
    struct cp_figure *fig = cp_charts_survival(&s, "design_name");
    const struct cp_series *se = fig ? &fig->panels[0].series[1] : NULL; /* NCA-C */
    CHECK(se != NULL);
    /* NCA-C: censored at 800, its one event at 900 (S = 3/4): the band starts there */
    for (size_t i = 0; se && i < se->n; i++) {
        int defined = isfinite(se->lo[i]) && isfinite(se->hi[i]);
        CHECK(defined == (se->x[i] >= 900 && !(se->x[i] == 900 && se->y[i] == 100)));
        if (defined)
            CHECK(se->lo[i] <= se->y[i] && se->y[i] <= se->hi[i]);
    }
    cp_figure_free(fig);
    stats_release(&s);
}

TEST(colours_follow_the_run)
{
    struct fixture fx;
    struct cp_statistics s;
    fx_init(&fx, NULL);
    stats_fixture(&s);
    /* the run's designs sort LFP-A, NCA-C, NMC-B; a statistics run without NCA-C (no cycle
     * life there) must still draw NMC-B in NMC-B's colour */
    struct cp_statistics_group nca = s.groups[1];
    s.groups[1] = s.groups[2];
    s.ngroups = 2;
    int colors[2] = {-7, -7};
    CHECK_INT(cp_charts_stats_colors(&fx.run, "design_name", &s, colors), 0);
    CHECK_INT(colors[0], 0);
    CHECK_INT(colors[1], 2);
    fx.run.statistics = &s;
    struct cp_figure *fig = cp_charts_survival_run(&fx.run);
    CHECK(fig && fig->panels[0].nseries == 2 && fig->panels[0].series[1].color == 2);
    cp_figure_free(fig);
    s.groups[1] = nca;
    s.ngroups = NGROUPS;
    stats_release(&s);
    fx_release(&fx);
}

TEST(correlation_figure)
{
    struct cp_statistics s;
    stats_fixture(&s);
    struct cp_figure *fig = cp_charts_correlation(&s);
    CHECK(fig && fig->npanels == 1);
    if (!fig)
        return;
    const struct cp_panel *p = &fig->panels[0];
    CHECK_INT(p->kind, CP_PANEL_HEATMAP);
    CHECK_INT(p->nmatrix, NMETRICS);
    CHECK_STR(p->matrix_labels[3], "coulombic_efficiency_mean");
    CHECK_NEAR(p->matrix[0 * NMETRICS + 1], -0.83, 1e-12);
    CHECK_NEAR(p->matrix[1 * NMETRICS + 0], -0.83, 1e-12);
    CHECK(isnan(p->matrix[0 * NMETRICS + 3])); /* too few pairs */
    CHECK(isnan(p->matrix[2 * NMETRICS + 3])); /* constant metric */
    struct cp_strbuf svg, pdf;
    CHECK_INT(render(fig, CP_PLOT_SVG, "correlation.svg", &svg), 0);
    CHECK_INT(render(fig, CP_PLOT_PDF, "correlation.pdf", &pdf), 0);
    CHECK(has(&svg, "matrix of: cycle_life, fade_rate, knee_onset, coulombic_efficiency_mean"));
    char *text = pdf_text(&pdf);
    if (text) {
        CHECK(strstr(text, "n/a") != NULL);
        CHECK(strstr(text, "-0.83") != NULL);
        CHECK(strstr(text, "0.61") != NULL);
        CHECK(strstr(text, "knee_onset") != NULL);
    } else {
        SKIP("correlation_pdf_text", "pdftotext missing");
    }
    cp_free(text);
    cp_strbuf_release(&svg);
    cp_strbuf_release(&pdf);
    cp_figure_free(fig);
    stats_release(&s);
}

static int chart_named(const struct cp_chart_list *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].name, name) == 0)
            return 1;
    return 0;
}

TEST(build_adds_statistics_figures)
{
    struct fixture fx;
    struct cp_statistics s;
    struct cp_chart_list l;
    fx_init(&fx, NULL);
    stats_fixture(&s);
    CHECK_INT(cp_charts_build(&fx.run, &l, &fx.err), 0);
    CHECK(!chart_named(&l, "survival") && !chart_named(&l, "correlation"));
    cp_charts_release(&l);
    fx.run.statistics = &s;
    CHECK_INT(cp_charts_build(&fx.run, &l, &fx.err), 0);
    CHECK(chart_named(&l, "survival") && chart_named(&l, "correlation"));
    cp_charts_release(&l);
    s.nmetrics = 1; /* one metric: nothing to correlate */
    CHECK_INT(cp_charts_build(&fx.run, &l, &fx.err), 0);
    CHECK(chart_named(&l, "survival") && !chart_named(&l, "correlation"));
    cp_charts_release(&l);
    s.nmetrics = NMETRICS;
    fx.cfg.plots.defaults = 0;
    CHECK_INT(cp_charts_build(&fx.run, &l, &fx.err), 0);
    CHECK(!chart_named(&l, "survival") && !chart_named(&l, "correlation"));
    cp_charts_release(&l);
    stats_release(&s);
    fx_release(&fx);
}

/* One A4 page with the statistics page drawn as summary.pdf draws it. */
static int stats_page(const struct cp_run *run, const char *const *findings, size_t n,
                      struct cp_strbuf *out)
{
    cp_strbuf_init(out);
    cairo_surface_t *sf =
        cairo_pdf_surface_create_for_stream(cp_plot_write_strbuf, out, 595.28, 841.89);
    cairo_t *cr = cairo_create(sf);
    struct cp_text tx;
    int rc = cp_text_init(&tx, cr);
    if (rc == 0)
        rc = cp_summary_stats_page(cr, &tx, run, findings, n, 42, 64, 595.28 - 84, 727);
    cp_text_release(&tx);
    cairo_show_page(cr);
    cairo_destroy(cr);
    cairo_surface_finish(sf);
    cairo_surface_destroy(sf);
    return rc;
}

TEST(statistics_page)
{
    struct fixture fx;
    struct cp_statistics s;
    struct cp_strbuf pdf;
    fx_init(&fx, NULL);
    stats_fixture(&s);
    fx.run.statistics = &s;
    const char *const findings[] = {
        "LFP-A lives longer than NMC-B: median 950 vs 500 cycles, log-rank p = 0.003",
        "NMC-B has a higher fade_rate than LFP-A: median 0.62 vs 0.41, Mann-Whitney p = 0.01"};
    CHECK_INT(stats_page(&fx.run, findings, 2, &pdf), 0);
    dump("stats_page.pdf", &pdf);
    char *text = pdf_text(&pdf);
    if (text) {
        CHECK(strstr(text, "Fleet statistics \xe2\x80\x94 by design_name") != NULL);
        CHECK(strstr(text, "Significant differences") != NULL);
        CHECK(strstr(text, "log-rank p = 0.003") != NULL);
        CHECK(strstr(text, "not reached") != NULL); /* NCA-C */
        CHECK(strstr(text, "Cycle life by design") != NULL);
    } else {
        SKIP("statistics_page_text", "pdftotext missing");
    }
    cp_free(text);
    cp_strbuf_release(&pdf);
    CHECK_INT(stats_page(&fx.run, NULL, 0, &pdf), 0);
    text = pdf_text(&pdf);
    if (text)
        CHECK(
            strstr(text, "No significant difference at alpha = 0.05 (Holm-corrected p-values).") !=
            NULL);
    cp_free(text);
    cp_strbuf_release(&pdf);
    stats_release(&s);
    fx_release(&fx);
}

/* pdftotext ends every page with a form feed: the text of page `page` (1-based) starts after
 * page - 1 of them. */
static const char *page_start(const char *text, int page)
{
    for (int i = 1; text && i < page; i++) {
        text = strchr(text, '\f');
        text = text ? text + 1 : NULL;
    }
    return text;
}

TEST(summary_has_the_statistics_page)
{
    struct fixture fx;
    struct cp_statistics s;
    struct cp_strbuf pdf = CP_STRBUF_INIT;
    fx_init(&fx, NULL);
    stats_fixture(&s);
    /* no plots: page one and one fleet page, then the statistics page */
    CHECK_INT(cp_summary_pdf_render(&fx.run, NULL, &pdf, &fx.err), 0);
    char *text = pdf_text(&pdf);
    if (text) {
        CHECK(strstr(text, "Page 2 of 2") != NULL);
        CHECK(strstr(text, "Fleet statistics") == NULL);
    }
    cp_free(text);
    cp_strbuf_release(&pdf);
    fx.run.statistics = &s;
    cp_strbuf_init(&pdf);
    CHECK_INT(cp_summary_pdf_render(&fx.run, NULL, &pdf, &fx.err), 0);
    dump("summary.pdf", &pdf);
    text = pdf_text(&pdf);
    if (text) {
        const char *p3 = page_start(text, 3);
        CHECK(p3 && strstr(p3, "Fleet statistics \xe2\x80\x94 by design_name") != NULL);
        CHECK(p3 && strstr(p3, "Page 3 of 3") != NULL);
        CHECK(strstr(text, "Page 1 of 3") != NULL);
    } else {
        SKIP("summary_statistics_page", "pdftotext missing");
    }
    cp_free(text);
    cp_strbuf_release(&pdf);
    stats_release(&s);
    fx_release(&fx);
}

int main(void)
{
    RUN(survival_figure);
    RUN(survival_band_only_where_defined);
    RUN(colours_follow_the_run);
    RUN(correlation_figure);
    RUN(build_adds_statistics_figures);
    RUN(statistics_page);
    RUN(summary_has_the_statistics_page);
    return DONE();
}
