/*
 * A run filled by hand for sink tests: three cells, one past end of life and flagged, one
 * flagged with a name that needs escaping, one clean. Strings are static; nothing of the
 * config is released.
 */
#ifndef CELLPIPE_TEST_RUN_FIXTURE_H
#define CELLPIPE_TEST_RUN_FIXTURE_H
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cairo.h>

#include "cellpipe/results.h"
#include "cellpipe/run.h"
#include "cellpipe/table.h"

struct fixture {
    struct cp_config cfg;
    struct cp_run run;
    struct cp_cell_result res[3];
    char *to[2];
    char *cc[1];
};

static void fixture_result(struct cp_cell_result *r, long row)
{
    memset(r, 0, sizeof(*r));
    r->cells_row = row;
    r->group = row;
    r->first_cycle = 1;
    r->eol_observed = -1;
    r->cycles_to_80 = r->cycles_to_90 = -1;
    r->eol_forecast = r->eol_lo = r->eol_hi = NAN;
    r->knee_onset = r->knee_point = NAN;
    r->best_model = -1;
}

static void fixture_flag(struct cp_cell_result *r, const char *kind, const char *reason)
{
    cp_result_flag(r, kind, "%s", reason);
}

static void fixture_init(struct fixture *f)
{
    static const char *ids[] = {"A1", "B&2", "C<script>3"};
    static const char *designs[] = {"LFP-18650", "NMC-pouch", "NMC-pouch"};
    memset(f, 0, sizeof(*f));
    f->cfg.name = (char *)"fade";
    f->cfg.report.html = 1;
    f->cfg.email.enabled = 1;
    f->cfg.email.attach_pdf = 1;
    f->cfg.email.from = (char *)"cellpipe <cellpipe@lab.example>";
    f->to[0] = (char *)"team@lab.example";
    f->to[1] = (char *)"Lead Engineer <lead@lab.example>";
    f->cc[0] = (char *)"archive@lab.example";
    f->cfg.email.to.n = 2;
    f->cfg.email.to.v = f->to;
    f->cfg.email.cc.n = 1;
    f->cfg.email.cc.v = f->cc;
    f->run.cfg = &f->cfg;
    memcpy(f->run.date, "2026-11-27", 11);
    f->run.backtest_mape = NAN;
    f->run.validation.rows_in = 3000;
    f->run.validation.rows_quarantined = 12;
    f->run.data.cells = cp_table_new("cells");
    f->run.data.cycles = cp_table_new("cycles");
    int cid = cp_table_add_column(f->run.data.cells, "cell_id", CP_STR);
    int cdn = cp_table_add_column(f->run.data.cells, "design_name", CP_STR);
    for (size_t i = 0; i < 3; i++) {
        long row = cp_table_add_row(f->run.data.cells);
        cp_table_set_str(f->run.data.cells, cid, (size_t)row, ids[i]);
        cp_table_set_str(f->run.data.cells, cdn, (size_t)row, designs[i]);
        fixture_result(&f->res[i], row);
    }
    cp_table_add_column(f->run.data.cycles, "cycle_index", CP_I64);
    for (int i = 0; i < 1500; i++)
        cp_table_add_row(f->run.data.cycles);
    f->res[0].last_retention = 0.91;
    f->res[0].eol_forecast = 1200;
    f->res[0].eol_lo = 1100;
    f->res[0].eol_hi = 1350;
    /* a note on method, not a reason to look: never counted as flagged (subject, KPIs, lists) */
    fixture_flag(&f->res[0], "fleet_fallback", "siblings from the whole fleet");
    f->res[1].last_retention = 0.78;
    f->res[1].eol_observed = 640;
    fixture_flag(&f->res[1], "fade_outlier", "fade rate 4.1 MADs above the fleet");
    f->res[2].last_retention = 0.85;
    f->res[2].eol_forecast = 900;
    fixture_flag(&f->res[2], "ce_band", "coulombic efficiency 0.93 < 0.95 <b>");
    f->run.results = f->res;
    f->run.nresults = 3;
}

/*
 * Drawing text with cairo loads fontconfig, whose process-wide state LeakSanitizer reports
 * at exit. Free it when a test is done with fonts: cairo's caches, then FcFini() (looked up
 * at run time: fontconfig is loaded by cairo, not linked by us).
 */
static inline void fixture_fonts_release(void)
{
    cairo_debug_reset_static_data();
    void *fc = dlopen("libfontconfig.so.1", RTLD_LAZY);
    if (fc) {
        void (*fini)(void);
        *(void **)&fini = dlsym(fc, "FcFini");
        if (fini)
            fini();
        dlclose(fc);
    }
}

static void fixture_release(struct fixture *f)
{
    cp_table_free(f->run.data.cells);
    cp_table_free(f->run.data.cycles);
}

#endif
