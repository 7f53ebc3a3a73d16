/*
 * The dqdv plot from a hand-made curves table: default only when there are curves, one panel
 * per cell in cells-table order, the same picked cycles (first, last, evenly between) in every
 * panel with one colour each, partial cycles and unknown cells left out, `cells: flagged`,
 * scatter, config errors (78) and an empty run saying why.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cellpipe/charts.h"
#include "cellpipe/strbuf.h"
#include "fixture.h"
#include "harness.h"

#define NPTS 40

/* A Gaussian peak whose centre moves down 10 mV per cycle: ageing as a peak shift. */
static double peak(int cycle, double v, double height)
{
    double c = 3.7 - 0.01 * cycle;
    return height * exp(-pow((v - c) / 0.08, 2));
}

/* One cycle's curve from hi down to lo volts (the order the dQ/dV stage writes). */
static void add_curve(struct cp_table *t, const char *cell, int cycle, double hi, double lo,
                      double height)
{
    for (int k = 0; k < NPTS; k++) {
        size_t r = (size_t)cp_table_add_row(t);
        double v = hi + (lo - hi) * k / (NPTS - 1);
        cp_table_set_str(t, cp_table_find(t, "cell_id"), r, cell);
        cp_table_set_i64(t, cp_table_find(t, "cycle_index"), r, cycle);
        cp_table_set_f64(t, cp_table_find(t, "voltage_v"), r, v);
        cp_table_set_f64(t, cp_table_find(t, "dqdv_ah_per_v"), r, peak(cycle, v, height));
    }
}

/* cell-02: cycles 1..10 over 3.0..4.2 V plus a partial cycle 11 over 20 mV; cell-05: cycles
 * 1..3; cell-06 (flagged in the fixture): cycles 1..2; a cell the cells table does not have. */
static struct cp_table *curves_table(void)
{
    struct cp_table *t = cp_table_new("curves");
    cp_table_add_column(t, "cell_id", CP_STR);
    cp_table_add_column(t, "cycle_index", CP_I64);
    cp_table_add_column(t, "voltage_v", CP_F64);
    cp_table_add_column(t, "dqdv_ah_per_v", CP_F64);
    for (int c = 1; c <= 10; c++)
        add_curve(t, "cell-02", c, 4.2, 3.0, 2.0);
    add_curve(t, "cell-02", 11, 3.72, 3.70, 2.0);
    add_curve(t, "ghost", 4, 4.2, 3.0, 2.0);
    add_curve(t, "cell-06", 1, 4.2, 3.0, 1.0);
    add_curve(t, "cell-06", 2, 4.2, 3.0, 1.0);
    for (int c = 1; c <= 3; c++)
        add_curve(t, "cell-05", c, 4.1, 3.1, 1.5);
    return t;
}

static struct cp_plot_config curve_plot(const char *x, const char *y)
{
    struct cp_plot_config pc;
    memset(&pc, 0, sizeof(pc));
    pc.name = (char *)"ic";
    pc.x = (char *)x;
    pc.y = (char *)y;
    pc.x_min = pc.x_max = pc.y_min = pc.y_max = NAN;
    pc.cells = (char *)"all";
    pc.line = 9;
    return pc;
}

static const struct cp_chart *find_chart(const struct cp_chart_list *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].name, name) == 0)
            return &l->v[i];
    return NULL;
}

static void setup(struct fixture *fx)
{
    fx_init(fx, NULL);
    fx->run.data.curves = curves_table();
}

static void teardown(struct fixture *fx)
{
    cp_table_free(fx->run.data.curves);
    fx->run.data.curves = NULL;
    fx->cfg.plots.list = NULL;
    fx->cfg.plots.nlist = 0;
    fx_release(fx);
}

TEST(default_only_with_curves)
{
    struct fixture fx;
    struct cp_chart_list l;
    fx_init(&fx, NULL);
    CHECK_INT(cp_charts_build(&fx.run, &l, &fx.err), 0);
    CHECK(find_chart(&l, "dqdv") == NULL); /* no curves table */
    cp_charts_release(&l);
    fx.run.data.curves = cp_table_new("curves"); /* sample-like source: empty table */
    CHECK_INT(cp_charts_build(&fx.run, &l, &fx.err), 0);
    CHECK(find_chart(&l, "dqdv") == NULL);
    cp_charts_release(&l);
    teardown(&fx);

    setup(&fx);
    CHECK_INT(cp_charts_build(&fx.run, &l, &fx.err), 0);
    CHECK_INT(l.n, 7);
    CHECK(l.n == 7 && strcmp(l.v[6].name, "dqdv") == 0);
    cp_charts_release(&l);
    teardown(&fx);
}

TEST(panels_and_picked_cycles)
{
    struct fixture fx;
    struct cp_chart_list l;
    setup(&fx);
    CHECK_INT(cp_charts_build(&fx.run, &l, &fx.err), 0);
    const struct cp_chart *c = find_chart(&l, "dqdv");
    CHECK(c != NULL);
    if (!c)
        goto done;
    const struct cp_figure *f = c->fig;
    CHECK_STR(f->title, "Incremental capacity (dQ/dV) by cycle");
    CHECK(strstr(f->subtitle, "3 cells with curves") != NULL);
    CHECK(strstr(f->subtitle, "colour by cycle") != NULL);
    CHECK(strstr(f->subtitle, "1 partial cycle left out") != NULL);
    /* cells-table order, the unknown cell dropped */
    CHECK_INT(f->npanels, 3);
    CHECK_INT(f->columns, 2);
    if (f->npanels != 3)
        goto done;
    CHECK_STR(f->panels[0].title, "cell-02");
    CHECK_STR(f->panels[1].title, "cell-05");
    CHECK_STR(f->panels[2].title, "cell-06");
    CHECK_STR(f->panels[0].xlabel, "Voltage (V)");
    CHECK_STR(f->panels[0].ylabel, "dQ/dV (Ah/V)");
    /* full cycles 1..10: ranks 0, 9/4, 9/2, 27/4, 9 rounded half up -> cycles 1, 3, 6, 8, 10 */
    const char *labels[] = {"cycle 1", "cycle 3", "cycle 6", "cycle 8", "cycle 10"};
    const int cycles[] = {1, 3, 6, 8, 10};
    CHECK_INT(f->nlegend, 5);
    for (size_t k = 0; k < 5 && k < f->nlegend; k++) {
        CHECK_STR(f->legend[k].label, labels[k]);
        CHECK_INT(f->legend[k].color, (int)k);
    }
    const struct cp_panel *p = &f->panels[0];
    CHECK_INT(p->nseries, 5);
    for (size_t k = 0; k < 5 && k < p->nseries; k++) {
        CHECK_STR(p->series[k].label, labels[k]);
        CHECK_INT(p->series[k].color, (int)k);
        CHECK(p->series[k].line);
        CHECK_INT(p->series[k].n, NPTS);
        /* the values are the table's: point 13 of the curve */
        double v = 4.2 + (3.0 - 4.2) * 13 / (NPTS - 1);
        CHECK_NEAR(p->series[k].x[13], v, 1e-12);
        CHECK_NEAR(p->series[k].y[13], peak(cycles[k], v, 2.0), 1e-12);
    }
    /* cell-05 has cycles 1..3: the picks it has, in their colours */
    p = &f->panels[1];
    CHECK_INT(p->nseries, 2);
    if (p->nseries == 2) {
        CHECK_STR(p->series[0].label, "cycle 1");
        CHECK_INT(p->series[0].color, 0);
        CHECK_STR(p->series[1].label, "cycle 3");
        CHECK_INT(p->series[1].color, 1);
    }
    /* cell-06 has cycles 1 and 2, and only 1 is picked */
    CHECK_INT(f->panels[2].nseries, 1);
    /* every drawn curve is full: the 20 mV cycle 11 is not in any panel */
    int eleven = 0;
    for (size_t i = 0; i < f->npanels; i++)
        for (size_t s = 0; s < f->panels[i].nseries; s++)
            eleven += strcmp(f->panels[i].series[s].label, "cycle 11") == 0;
    CHECK_INT(eleven, 0);
done:
    cp_charts_release(&l);
    teardown(&fx);
}

TEST(configured_flagged_scatter)
{
    struct fixture fx;
    struct cp_chart_list l;
    setup(&fx);
    struct cp_plot_config pc = curve_plot("voltage_v", "dqdv_ah_per_v");
    pc.kind = CP_PLOT_SCATTER;
    pc.cells = (char *)"flagged";
    pc.x_min = 3.2;
    fx.cfg.plots.list = &pc;
    fx.cfg.plots.nlist = 1;
    fx.cfg.plots.defaults = 0;
    CHECK_INT(cp_charts_build(&fx.run, &l, &fx.err), 0);
    CHECK_INT(l.n, 1);
    if (l.n == 1) {
        const struct cp_figure *f = l.v[0].fig;
        CHECK_STR(f->title, "dQ/dV vs Voltage");
        /* of the cells with curves only cell-06 is flagged; its cycles 1 and 2 are the picks */
        CHECK_INT(f->npanels, 1);
        CHECK_STR(f->panels[0].title, "cell-06");
        CHECK_NEAR(f->panels[0].x_min, 3.2, 0);
        CHECK_INT(f->panels[0].nseries, 2);
        CHECK_INT(f->nlegend, 2);
        if (f->panels[0].nseries == 2) {
            CHECK_STR(f->panels[0].series[1].label, "cycle 2");
            CHECK(!f->panels[0].series[1].line);
            CHECK(f->panels[0].series[1].mark == CP_MARK_DOT);
        }
        /* the figure renders */
        struct cp_strbuf svg = CP_STRBUF_INIT;
        CHECK_INT(cp_plot_render(f, CP_PLOT_SVG, 720, 432, FX_EPOCH, &svg, &fx.err), 0);
        CHECK(svg.len > 1000 && strstr(svg.buf, "legend: cycle 1, cycle 2") != NULL);
        cp_strbuf_release(&svg);
    }
    cp_charts_release(&l);
    teardown(&fx);
}

TEST(config_errors)
{
    struct fixture fx;
    setup(&fx);
    struct cp_plot_config pc = curve_plot("cycle_index", "dqdv_ah_per_v");
    fx.cfg.plots.list = &pc;
    fx.cfg.plots.nlist = 1;
    int rc = cp_charts_check(&fx.run, &fx.err);
    CHECK_INT(rc, -CP_ECONFIG);
    CHECK_INT(cp_error_exit_code(rc), 78);
    CHECK_STR(fx.err.msg, "fixture.yaml:9: expected x to be voltage_v for y dqdv_ah_per_v in "
                          "plot 'ic', got 'cycle_index'");
    cp_error_clear(&fx.err);
    pc = curve_plot("voltage_v", "dqdv_ah_per_v");
    pc.kind = CP_PLOT_HISTOGRAM;
    CHECK_INT(cp_charts_check(&fx.run, &fx.err), -CP_ECONFIG);
    CHECK_STR(fx.err.msg,
              "fixture.yaml:9: expected kind line or scatter for y dqdv_ah_per_v in plot 'ic'");
    cp_error_clear(&fx.err);
    /* voltage_v is a curves column, not a cycles one */
    pc = curve_plot("voltage_v", "capacity_retention");
    CHECK_INT(cp_charts_check(&fx.run, &fx.err), -CP_ECONFIG);
    CHECK_STR(fx.err.msg, "fixture.yaml:9: unknown column 'voltage_v' in plot 'ic'");
    cp_error_clear(&fx.err);
    pc = curve_plot("voltage_v", "dqdv_ah_per_v");
    pc.group_by = (char *)"no_such_meta";
    CHECK_INT(cp_charts_check(&fx.run, &fx.err), -CP_ECONFIG);
    CHECK_STR(fx.err.msg, "fixture.yaml:9: unknown column 'no_such_meta' in plot 'ic'");
    cp_error_clear(&fx.err);
    teardown(&fx);
}

TEST(no_curves_says_why)
{
    struct fixture fx;
    struct cp_chart_list l;
    fx_init(&fx, NULL);
    struct cp_plot_config pc = curve_plot("voltage_v", "dqdv_ah_per_v");
    fx.cfg.plots.list = &pc;
    fx.cfg.plots.nlist = 1;
    fx.cfg.plots.defaults = 0;
    CHECK_INT(cp_charts_build(&fx.run, &l, &fx.err), 0);
    CHECK_INT(l.n, 1);
    if (l.n == 1) {
        CHECK_INT(l.v[0].fig->npanels, 1);
        CHECK_STR(l.v[0].fig->panels[0].empty_reason,
                  "no dQ/dV curves: the source gave no raw time series");
    }
    cp_charts_release(&l);
    teardown(&fx);
    /* curves, but none of a flagged cell */
    setup(&fx);
    cp_table_free(fx.run.data.curves);
    fx.run.data.curves = cp_table_new("curves");
    cp_table_add_column(fx.run.data.curves, "cell_id", CP_STR);
    cp_table_add_column(fx.run.data.curves, "cycle_index", CP_I64);
    cp_table_add_column(fx.run.data.curves, "voltage_v", CP_F64);
    cp_table_add_column(fx.run.data.curves, "dqdv_ah_per_v", CP_F64);
    add_curve(fx.run.data.curves, "cell-02", 1, 4.2, 3.0, 1.0);
    pc.cells = (char *)"flagged";
    fx.cfg.plots.list = &pc;
    fx.cfg.plots.nlist = 1;
    fx.cfg.plots.defaults = 0;
    CHECK_INT(cp_charts_build(&fx.run, &l, &fx.err), 0);
    if (l.n == 1)
        CHECK_STR(l.v[0].fig->panels[0].empty_reason, "no selected cell has dQ/dV curves");
    cp_charts_release(&l);
    teardown(&fx);
}

/* Every allocation of a curves plot can fail: an error, never a crash or a leak (ASan). */
TEST(allocation_failures_are_clean)
{
    struct fixture fx;
    setup(&fx);
    struct cp_plot_config pc = curve_plot("voltage_v", "dqdv_ah_per_v");
    fx.cfg.plots.list = &pc;
    fx.cfg.plots.nlist = 1;
    fx.cfg.plots.defaults = 0;
    struct fx_torture t = fx_torture_charts(&fx);
    CHECK_INT(t.bad, 0);
    CHECK(t.failed >= t.need);
    teardown(&fx);
}

int main(void)
{
    RUN(default_only_with_curves);
    RUN(panels_and_picked_cycles);
    RUN(configured_flagged_scatter);
    RUN(config_errors);
    RUN(no_curves_says_why);
    RUN(allocation_failures_are_clean);
    return DONE();
}
