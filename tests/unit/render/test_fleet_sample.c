/*
 * Large fleets (docs/plots.md "Large fleets"): past plots.max_cells a curve plot draws a subset
 * over each group's median and 5-95 % band; past report.summary_cells summary.pdf lists the
 * flagged cells and the earliest end of life. Expectations are computed here from the
 * fixture's formulas, not read back from the program.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/charts.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/summary_pdf.h"
#include "cellpipe/summary_rows.h"
#include "fixture.h"
#include "harness.h"
#include "plot_dump.h"

static double fx_retention(int i, long n)
{
    return 1.0 - fx_b(i) * sqrt((double)n) + 0.002 * sin(n * 0.7 + i);
}

static const struct cp_figure *chart(const struct cp_chart_list *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].name, name) == 0)
            return l->v[i].fig;
    return NULL;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double q_numpy(const double *v, size_t n, double q)
{
    double h = q * (double)(n - 1);
    size_t i = (size_t)floor(h);
    return i + 1 < n ? v[i] + (h - (double)i) * (v[i + 1] - v[i]) : v[n - 1];
}

/* 3 of 8 cells: the lowest and highest last retention are among them, each design gets a band
 * and a median, and the first band point of LFP-A (cells 1, 4, 7) matches the quantiles of
 * its first bin: cycles 1..3 (the group spans 660 cycles, 300 bins of whole cycles: width 3). */
TEST(subset_over_band)
{
    struct fixture fx;
    fx_init(&fx, NULL);
    fx.cfg.plots.max_cells = 3;
    struct cp_chart_list l;
    CHECK_INT(cp_charts_build(&fx.run, &l, &fx.err), 0);
    const struct cp_figure *fig = chart(&l, "retention_by_design");
    CHECK(fig != NULL);
    if (!fig)
        return;
    CHECK(fig->subtitle && strstr(fig->subtitle, "3 of 8 cells drawn") != NULL);
    const struct cp_panel *p = &fig->panels[0];
    size_t cells = 0, bands = 0, medians = 0;
    int has_lowest = 0, has_highest = 0;
    const struct cp_series *band0 = NULL, *median0 = NULL;
    for (size_t s = 0; s < p->nseries; s++) {
        const struct cp_series *se = &p->series[s];
        if (se->lo) {
            bands++;
            band0 = se->color == 0 ? se : band0;
            for (size_t i = 0; i < se->n; i++)
                CHECK(se->lo[i] <= se->y[i] && se->y[i] <= se->hi[i]);
        } else if (se->bold) {
            medians++;
            median0 = se->color == 0 ? se : median0;
        } else if (se->faint) {
            cells++;
            has_highest |= se->n == 300; /* cell 1: slowest fade, shortest test */
            has_lowest |= se->n == 720;  /* cell 8: fastest fade, longest test */
        }
    }
    CHECK_INT((long)cells, 3);
    CHECK_INT((long)bands, 3);
    CHECK_INT((long)medians, 3);
    CHECK(has_lowest && has_highest);
    double v[9];
    size_t k = 0;
    for (int i = 0; i < FX_CELLS; i += 3)
        for (long n = 1; n <= 3; n++)
            v[k++] = fx_retention(i, n) * 100;
    qsort(v, k, sizeof(double), cmp_d);
    CHECK(band0 && median0);
    if (band0 && median0) {
        CHECK_NEAR(band0->x[0], 2.0, 1e-12);
        CHECK_NEAR(band0->lo[0], q_numpy(v, k, 0.05), 1e-9);
        CHECK_NEAR(band0->y[0], q_numpy(v, k, 0.5), 1e-9);
        CHECK_NEAR(band0->hi[0], q_numpy(v, k, 0.95), 1e-9);
        CHECK_NEAR(median0->y[0], band0->y[0], 1e-12);
    }
    cp_charts_release(&l);
    fx_release(&fx);
}

/* At or under the limit every cell is drawn as before: no band, no caption. */
TEST(small_fleet_draws_every_cell)
{
    struct fixture fx;
    fx_init(&fx, NULL);
    fx.cfg.plots.max_cells = FX_CELLS;
    struct cp_chart_list l;
    CHECK_INT(cp_charts_build(&fx.run, &l, &fx.err), 0);
    const struct cp_figure *fig = chart(&l, "retention_by_design");
    CHECK(fig && (!fig->subtitle || !strstr(fig->subtitle, "cells drawn")));
    size_t cells = 0, bands = 0;
    for (size_t s = 0; fig && s < fig->panels[0].nseries; s++) {
        bands += fig->panels[0].series[s].lo != NULL;
        cells += fig->panels[0].series[s].lo == NULL;
    }
    CHECK_INT((long)cells, FX_CELLS);
    CHECK_INT((long)bands, 0);
    cp_charts_release(&l);
    fx_release(&fx);
}

static double eol(const struct cp_cell_result *r)
{
    if (r->eol_observed >= 0)
        return (double)r->eol_observed;
    return isfinite(r->eol_forecast) ? r->eol_forecast : INFINITY;
}

/* summary_cells 2 of 8: both rows are flagged cells (the fixture flags four), the two with the
 * earliest end of life, listed earliest first; the flagged table takes the same two. */
TEST(summary_rows_capped)
{
    struct fixture fx;
    fx_init(&fx, NULL);
    fx.cfg.report.summary_cells = 2;
    struct cp_summary_rows r;
    CHECK_INT(cp_summary_rows_pick(&fx.run, &r), 0);
    CHECK_INT((long)r.nfleet, 2);
    CHECK_INT((long)r.nflagged, 2);
    CHECK_INT((long)r.flagged_cells, 4);
    /* brute force: the two flagged cells of smallest end of life */
    size_t best[2] = {(size_t)-1, (size_t)-1};
    for (size_t i = 0; i < FX_CELLS; i++) {
        if (fx.run.results[i].nflags == 0)
            continue;
        double e = eol(&fx.run.results[i]);
        if (best[0] == (size_t)-1 || e < eol(&fx.run.results[best[0]])) {
            best[1] = best[0];
            best[0] = i;
        } else if (best[1] == (size_t)-1 || e < eol(&fx.run.results[best[1]]))
            best[1] = i;
    }
    for (int i = 0; i < 2 && r.nfleet == 2 && r.nflagged == 2; i++) {
        CHECK_INT((long)r.fleet[i], (long)best[i]);
        CHECK_INT((long)r.flagged[i], (long)best[i]);
    }
    cp_summary_rows_release(&r);
    /* uncapped: every cell in table order */
    fx.cfg.report.summary_cells = FX_CELLS;
    CHECK_INT(cp_summary_rows_pick(&fx.run, &r), 0);
    CHECK_INT((long)r.nfleet, FX_CELLS);
    for (size_t i = 0; i < r.nfleet; i++)
        CHECK_INT((long)r.fleet[i], (long)i);
    cp_summary_rows_release(&r);
    fx_release(&fx);
}

/* 64 flags on 8 cells take two pages after page one (test_charts.c); with two cells listed,
 * their 16 flags and the note fit under the KPI tiles: 6 pages, as with few flags. */
TEST(summary_pages_bounded)
{
    struct fixture fx;
    fx_init(&fx, NULL);
    for (int i = 0; i < FX_CELLS; i++)
        while (fx.run.results[i].nflags < CP_MAX_FLAGS)
            cp_result_flag(&fx.run.results[i], "test", "reason %d", fx.run.results[i].nflags);
    fx.cfg.report.summary_cells = 2;
    struct cp_chart_list l;
    struct cp_strbuf pdf = CP_STRBUF_INIT;
    CHECK_INT(cp_charts_build(&fx.run, &l, &fx.err), 0);
    CHECK_INT(cp_summary_pdf_render(&fx.run, &l, &pdf, &fx.err), 0);
    CHECK_INT(count_pages(&pdf), 6);
    cp_strbuf_release(&pdf);
    cp_charts_release(&l);
    fx_release(&fx);
}

/* Fail each allocation of a sampled build and of a capped summary in turn: success or a
 * clean CP_EINTERNAL every time (as test_charts.c does for the default path). */
TEST(allocation_failures_are_clean)
{
    struct fixture fx;
    struct cp_chart_list l;
    fx_init(&fx, NULL);
    fx.cfg.plots.max_cells = 3;
    fx.cfg.report.summary_cells = 2;
    struct fx_torture t = fx_torture_charts(&fx);
    CHECK_INT(t.bad, 0);
    CHECK(t.failed >= t.need);
    CHECK_INT(cp_charts_build(&fx.run, &l, &fx.err), 0);
    CHECK_INT(fx_torture_summary(&fx, &l), 0);
    cp_charts_release(&l);
    fx_release(&fx);
}

int main(void)
{
    RUN(subset_over_band);
    RUN(small_fleet_draws_every_cell);
    RUN(summary_rows_capped);
    RUN(summary_pages_bounded);
    RUN(allocation_failures_are_clean);
    return DONE();
}
