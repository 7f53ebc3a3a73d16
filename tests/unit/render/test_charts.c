/*
 * Run -> figures: column checks (config error 78 naming file:line), the default set, group
 * colours, normalisation, overlays, EOL rows sorted, and the two sinks writing their files.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cellpipe/alloc.h"
#include "cellpipe/charts.h"
#include "cellpipe/fs.h"
#include "cellpipe/sink.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/summary_pdf.h"
#include "fixture.h"
#include "harness.h"
#include "plot_dump.h"

extern const struct cp_sink_ops cp_sink_plots;
extern const struct cp_sink_ops cp_sink_summary;

static struct cp_plot_config one_plot(const char *name, const char *x, const char *y,
                                      const char *group_by, int line)
{
    struct cp_plot_config pc;
    memset(&pc, 0, sizeof(pc));
    pc.name = (char *)name;
    pc.x = (char *)x;
    pc.y = (char *)y;
    pc.group_by = (char *)group_by;
    pc.x_min = pc.x_max = pc.y_min = pc.y_max = NAN;
    pc.cells = (char *)"all";
    pc.line = line;
    return pc;
}

static const struct cp_chart *find_chart(const struct cp_chart_list *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].name, name) == 0)
            return &l->v[i];
    return NULL;
}

TEST(unknown_column_is_config_error)
{
    struct fixture fx;
    fx_init(&fx, NULL);
    struct cp_plot_config pc = one_plot("bar", "cycle_index", "foo", NULL, 12);
    fx.cfg.plots.list = &pc;
    fx.cfg.plots.nlist = 1;
    struct cp_chart_list l;
    int rc = cp_charts_build(&fx.run, &l, &fx.err);
    CHECK_INT(rc, -CP_ECONFIG);
    CHECK_INT(cp_error_exit_code(rc), 78);
    CHECK_STR(fx.err.msg, "fixture.yaml:12: unknown column 'foo' in plot 'bar'");
    cp_error_clear(&fx.err);
    pc = one_plot("baz", "cycle_index", "capacity_retention", "no_such_meta", 7);
    CHECK_INT(cp_charts_check(&fx.run, &fx.err), -CP_ECONFIG);
    CHECK_STR(fx.err.msg, "fixture.yaml:7: unknown column 'no_such_meta' in plot 'baz'");
    /* a per-cell result is fine for a box plot, not for a line */
    cp_error_clear(&fx.err);
    pc = one_plot("eol", "cycle_index", "eol_forecast", NULL, 3);
    pc.kind = CP_PLOT_BOX;
    CHECK_INT(cp_charts_check(&fx.run, &fx.err), 0);
    pc.kind = CP_PLOT_LINE;
    CHECK_INT(cp_charts_check(&fx.run, &fx.err), -CP_ECONFIG);
    fx.cfg.plots.list = NULL;
    fx.cfg.plots.nlist = 0;
    fx_release(&fx);
}

TEST(default_set)
{
    struct fixture fx;
    fx_init(&fx, NULL);
    struct cp_chart_list l;
    CHECK_INT(cp_charts_build(&fx.run, &l, &fx.err), 0);
    const char *names[] = {"retention_by_design", "coulombic_efficiency", "energy_efficiency",
                           "fade_rate_by_design", "eol_forecast",         "flagged_fits"};
    CHECK_INT(l.n, 6);
    for (size_t i = 0; i < 6 && i < l.n; i++)
        CHECK_STR(l.v[i].name, names[i]);
    const struct cp_chart *ret = find_chart(&l, "retention_by_design");
    CHECK(ret && ret->fig->npanels == 1);
    const struct cp_panel *p = &ret->fig->panels[0];
    CHECK_INT(p->nseries, FX_CELLS);
    CHECK_INT(p->nhlines, 1);
    CHECK_NEAR(p->hlines[0].y, 80, 1e-12);
    /* values in percent, first cell's first cycle = 1 - b sqrt(1) + noise */
    CHECK_NEAR(p->series[0].y[0], 100 * (1 - fx_b(0) + 0.002 * sin(0.7)), 1e-9);
    /* colours follow sorted designs: LFP-A 0, NCA-C 1, NMC-B 2 */
    CHECK_INT(p->series[0].color, 0);
    CHECK_INT(p->series[1].color, 2);
    CHECK_INT(p->series[2].color, 1);
    const struct cp_chart *box = find_chart(&l, "fade_rate_by_design");
    CHECK(box && box->fig->panels[0].kind == CP_PANEL_BOX);
    CHECK_INT(box->fig->panels[0].nvalues, 3);
    CHECK_STR(box->fig->panels[0].values[1].label, "NCA-C");
    CHECK_INT(box->fig->panels[0].values[0].n, 3); /* cells 1, 4, 7 are LFP-A */
    CHECK_NEAR(box->fig->panels[0].values[0].v[0], fx.run.results[0].fade_rate * 100, 1e-12);
    cp_charts_release(&l);
    fx_release(&fx);
}

TEST(eol_rows_sorted_with_marks)
{
    struct fixture fx;
    fx_init(&fx, NULL);
    struct cp_chart_list l;
    CHECK_INT(cp_charts_build(&fx.run, &l, &fx.err), 0);
    const struct cp_chart *c = find_chart(&l, "eol_forecast");
    CHECK(c != NULL);
    const struct cp_panel *p = &c->fig->panels[0];
    CHECK_INT(p->nrows, FX_CELLS);
    int sorted = 1, observed = 0, capped = 0;
    for (size_t i = 1; i < p->nrows; i++)
        sorted &= p->rows[i - 1].value <= p->rows[i].value;
    for (size_t i = 0; i < p->nrows; i++) {
        observed += p->rows[i].mark == CP_MARK_DISC;
        capped += p->rows[i].mark == CP_MARK_TRIANGLE;
    }
    CHECK(sorted);
    CHECK_INT(observed, fx.run.cells_past_eol);
    CHECK_INT(capped, 1);
    /* cell-01 is capped at 3 x 300 cycles */
    for (size_t i = 0; i < p->nrows; i++)
        if (strcmp(p->rows[i].label, "cell-01") == 0) {
            CHECK_NEAR(p->rows[i].value, 900, 1e-9);
            CHECK_INT(p->rows[i].mark, CP_MARK_TRIANGLE);
        }
    cp_charts_release(&l);
    fx_release(&fx);
}

TEST(flagged_panels_have_overlays)
{
    struct fixture fx;
    fx_init(&fx, NULL);
    struct cp_chart_list l;
    CHECK_INT(cp_charts_build(&fx.run, &l, &fx.err), 0);
    const struct cp_chart *c = find_chart(&l, "flagged_fits");
    CHECK(c && c->fig->npanels == 4);
    /* cell-04 (row 3) has a knee at 250: marker on the fitted curve */
    const struct cp_panel *p = &c->fig->panels[2];
    CHECK(strncmp(p->title, "cell-04", 7) == 0);
    int knee = 0, fit = 0, band = 0;
    for (size_t i = 0; i < p->nmarkers; i++)
        if (p->markers[i].mark == CP_MARK_DIAMOND) {
            knee = 1;
            CHECK_NEAR(p->markers[i].x, 250, 0);
            CHECK_NEAR(p->markers[i].y, 100 * (1 - fx_b(3) * sqrt(250.0)), 1e-9);
        }
    for (size_t i = 0; i < p->nseries; i++) {
        fit += p->series[i].dashed;
        band += p->series[i].lo != NULL;
    }
    CHECK(knee && fit == 1 && band == 1);
    /* cell-03 (row 2) has an anomalous cycle 150 */
    const struct cp_panel *a = &c->fig->panels[1];
    int cross = 0;
    for (size_t i = 0; i < a->nmarkers; i++)
        cross += a->markers[i].mark == CP_MARK_CROSS && a->markers[i].x == 150;
    CHECK_INT(cross, 1);
    cp_charts_release(&l);
    fx_release(&fx);
}

TEST(normalize_first_cycles)
{
    struct fixture fx;
    fx_init(&fx, NULL);
    struct cp_plot_config pc = one_plot("norm", "cycle_index", "discharge_capacity_ah", NULL, 1);
    pc.normalize = CP_NORM_FIRST_CYCLES;
    fx.cfg.plots.list = &pc;
    fx.cfg.plots.nlist = 1;
    fx.cfg.plots.defaults = 0;
    struct cp_chart_list l;
    CHECK_INT(cp_charts_build(&fx.run, &l, &fx.err), 0);
    CHECK_INT(l.n, 1);
    const struct cp_panel *p = &l.v[0].fig->panels[0];
    /* median of the first three capacities of cell-01, computed here */
    double q[3];
    for (int n = 1; n <= 3; n++)
        q[n - 1] = 2.0 * (1.0 - fx_b(0) * sqrt((double)n) + 0.002 * sin(n * 0.7));
    double lo = fmin(q[0], fmin(q[1], q[2])), hi = fmax(q[0], fmax(q[1], q[2]));
    double med = q[0] + q[1] + q[2] - lo - hi;
    CHECK_NEAR(p->series[0].y[0], q[0] / med * 100, 1e-9);
    CHECK_STR(p->ylabel, "Discharge capacity (% of first cycles)");
    cp_charts_release(&l);
    fx.cfg.plots.list = NULL;
    fx.cfg.plots.nlist = 0;
    fx_release(&fx);
}

TEST(summary_paginates)
{
    struct fixture fx;
    fx_init(&fx, NULL);
    struct cp_chart_list l;
    struct cp_strbuf pdf = CP_STRBUF_INIT;
    CHECK_INT(cp_charts_build(&fx.run, &l, &fx.err), 0);
    CHECK_INT(cp_summary_pdf_render(&fx.run, &l, &pdf, &fx.err), 0);
    /* page 1, fleet, plot pages: (retention, CE) (EE, fade) (EOL) (flagged grid) */
    CHECK_INT(count_pages(&pdf), 6);
    /* 64 flags in 22 pt rows: 18 fit under the KPI tiles, then 31 a page: two more pages */
    for (int i = 0; i < FX_CELLS; i++)
        while (fx.run.results[i].nflags < CP_MAX_FLAGS)
            cp_result_flag(&fx.run.results[i], "test", "reason %d", fx.run.results[i].nflags);
    cp_strbuf_reset(&pdf);
    CHECK_INT(cp_summary_pdf_render(&fx.run, &l, &pdf, &fx.err), 0);
    CHECK_INT(count_pages(&pdf), 8);
    cp_strbuf_release(&pdf);
    cp_charts_release(&l);
    fx_release(&fx);
}

/* curl's torture idea: fail each allocation of a build and of a summary render in turn; every
 * run must end in success or a clean CP_EINTERNAL (ASan checks there is no leak or crash). */
TEST(allocation_failures_are_clean)
{
    struct fixture fx;
    struct cp_chart_list l;
    fx_init(&fx, NULL);
    struct fx_torture t = fx_torture_charts(&fx);
    CHECK_INT(t.bad, 0);
    CHECK(t.failed >= t.need); /* every counted allocation was checked */
    CHECK_INT(cp_charts_build(&fx.run, &l, &fx.err), 0);
    CHECK_INT(fx_torture_summary(&fx, &l), 0);
    cp_charts_release(&l);
    fx_release(&fx);
}

/* The sinks write into the staging folder; CP_RENDER_OUT keeps the files for the
 * integration suite (pdftotext, pdftoppm against golden PNGs). */
TEST(sinks_write_files)
{
    char tmpl[] = "/tmp/cp-render-XXXXXX";
    const char *keep = getenv("CP_RENDER_OUT");
    const char *dir = keep ? keep : mkdtemp(tmpl);
    struct fixture fx;
    CHECK(dir != NULL);
    cp_fs_mkdirs(dir);
    fx_init(&fx, dir);
    CHECK_INT(cp_sink_plots.write(&fx.run, &fx.err), 0);
    CHECK_INT(cp_sink_summary.write(&fx.run, &fx.err), 0);
    const char *files[] = {"summary.pdf", "plots/retention_by_design.svg",
                           "plots/retention_by_design.pdf", "plots/flagged_fits.pdf",
                           "plots/eol_forecast.svg"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char *p = cp_run_path(&fx.run, files[i]);
        CHECK(cp_fs_exists(p));
        cp_free(p);
    }
    /* svg and pdf off: nothing but the directory */
    fx_release(&fx);
    if (!keep)
        cp_fs_rmtree(dir);
}

int main(void)
{
    RUN(unknown_column_is_config_error);
    RUN(default_set);
    RUN(eol_rows_sorted_with_marks);
    RUN(flagged_panels_have_overlays);
    RUN(normalize_first_cycles);
    RUN(summary_paginates);
    RUN(allocation_failures_are_clean);
    RUN(sinks_write_files);
    return DONE();
}
