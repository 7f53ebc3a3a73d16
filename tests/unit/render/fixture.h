/*
 * A hand-built run for render tests: 8 cells over 3 designs with retention curves, per-cell
 * results (square-root fits, forecasts with intervals, one observed EOL, one capped forecast,
 * one knee), three flagged cells and a validation summary. Values are chosen so tests can
 * compute expectations independently.
 */
#ifndef RENDER_FIXTURE_H
#define RENDER_FIXTURE_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/charts.h"
#include "cellpipe/config.h"
#include "cellpipe/error.h"
#include "cellpipe/results.h"
#include "cellpipe/run.h"
#include "cellpipe/source.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/summary_pdf.h"
#include "cellpipe/table.h"

#define FX_CELLS 8
#define FX_EPOCH 1767225600 /* 2026-01-01T00:00:00Z */

static const char *const fx_designs[3] = {"LFP-A", "NMC-B", "NCA-C"};

struct fixture {
    struct cp_config cfg;
    struct cp_run run;
    struct cp_rule_result rules[2];
    struct cp_error err;
};

/* Fade coefficient of cell i: retention = 1 - b sqrt(n). */
static double fx_b(int i)
{
    return 0.004 + 0.0015 * i;
}
static long fx_cycles(int i)
{
    return 300 + 60 * i;
}

static void fx_cells(struct cp_table *t)
{
    for (int i = 0; i < FX_CELLS; i++) {
        long r = cp_table_add_row(t);
        char id[16];
        snprintf(id, sizeof(id), "cell-%02d", i + 1);
        cp_table_set_str(t, cp_table_find(t, "cell_id"), (size_t)r, id);
        cp_table_set_str(t, cp_table_find(t, "design_name"), (size_t)r, fx_designs[i % 3]);
        cp_table_set_f64(t, cp_table_find(t, "nominal_capacity_ah"), (size_t)r, 2.0);
        cp_table_set_str(t, cp_table_find(t, "test_status"), (size_t)r, "active");
    }
}

static void fx_cycles_table(struct cp_table *t)
{
    int ret = cp_table_add_column(t, "capacity_retention", CP_F64);
    int ce = cp_table_add_column(t, "coulombic_efficiency", CP_F64);
    int ee = cp_table_add_column(t, "energy_efficiency", CP_F64);
    int fr = cp_table_add_column(t, "fade_rate", CP_F64);
    int an = cp_table_add_column(t, "anomaly", CP_I64);
    int id = cp_table_find(t, "cell_id"), ci = cp_table_find(t, "cycle_index");
    int qd = cp_table_find(t, "discharge_capacity_ah"), st = cp_table_find(t, "start_time");
    for (int i = 0; i < FX_CELLS; i++) {
        char name[16];
        snprintf(name, sizeof(name), "cell-%02d", i + 1);
        for (long n = 1; n <= fx_cycles(i); n++) {
            size_t r = (size_t)cp_table_add_row(t);
            double q = 1.0 - fx_b(i) * sqrt((double)n) + 0.002 * sin(n * 0.7 + i);
            cp_table_set_str(t, id, r, name);
            cp_table_set_i64(t, ci, r, n);
            cp_table_set_f64(t, qd, r, 2.0 * q);
            cp_table_set_f64(t, ret, r, q);
            cp_table_set_f64(t, ce, r, 0.999 + 0.0004 * sin(n * 1.3 + i));
            cp_table_set_f64(t, ee, r, 0.95 + 0.002 * sin(n * 0.9 + i));
            cp_table_set_f64(t, fr, r, -fx_b(i) * 0.5 / sqrt((double)n) * 100);
            cp_table_set_i64(t, an, r, (i == 2 && n == 150) ? 1 : 0);
            cp_table_set_i64(t, st, r, FX_EPOCH - 400 * 86400 + i * 86400 + n * 36000);
        }
    }
    cp_table_sort(t, "cell_id", "cycle_index");
    cp_table_group(t, "cell_id");
}

static void fx_result(struct cp_cell_result *r, int i)
{
    double b = fx_b(i);
    long n = fx_cycles(i);
    cp_result_init(r, i, i);
    r->n_cycles = n;
    r->first_cycle = 1;
    r->last_cycle = n;
    r->last_retention = 1 - b * sqrt((double)n);
    r->fade_rate = b * 0.5 / sqrt((double)n) * 100; /* retention lost per 100 cycles */
    r->fits[CP_MODEL_SQRT].status = CP_FIT_OK;
    r->fits[CP_MODEL_SQRT].np = 2;
    r->fits[CP_MODEL_SQRT].p[0] = 1.0;
    r->fits[CP_MODEL_SQRT].p[1] = b;
    r->fits[CP_MODEL_SQRT].rmse = 0.0015;
    r->best_model = CP_MODEL_SQRT;
    double eol = pow(0.2 / b, 2); /* 1 - b sqrt(n) = 0.8 */
    if (eol <= n) {
        r->eol_observed = (long)ceil(eol);
        r->eol_method = CP_EOL_OBSERVED;
    } else {
        r->eol_forecast = eol;
        r->eol_lo = eol * 0.9;
        r->eol_hi = eol * 1.12;
        r->eol_method = CP_EOL_PER_CELL;
    }
}

static void fx_results(struct fixture *fx)
{
    struct cp_cell_result *res = cp_calloc(FX_CELLS, sizeof(*res));
    for (int i = 0; i < FX_CELLS; i++)
        fx_result(&res[i], i);
    res[0].eol_forecast = 3 * res[0].last_cycle; /* slowest cell: capped at 3x observed */
    res[0].eol_capped = 1;
    res[0].eol_lo = res[0].eol_hi = NAN;
    cp_result_flag(&res[0], "eol_capped", "forecast capped at 3x the observed cycles");
    res[3].knee_point = 250;
    res[3].knee_onset = 200;
    cp_result_flag(&res[3], "knee", "knee at cycle 250, onset 200");
    cp_result_flag(&res[5], "fade_outlier", "fade rate 4.9 MADs above the NMC-B median");
    cp_result_flag(&res[2], "anomaly_cycle",
                   "1 cycles with |robust z| > 5 against a rolling median, left out of the fits "
                   "(first at cycle 150); capacity jump of 7.1 robust standard deviations");
    fx->run.results = res;
    fx->run.nresults = FX_CELLS;
    fx->run.flagged_cells = 4;
    fx->run.cells_past_eol = 0;
    for (int i = 0; i < FX_CELLS; i++)
        fx->run.cells_past_eol += res[i].eol_observed >= 0;
}

static int fx_init(struct fixture *fx, const char *staging)
{
    memset(fx, 0, sizeof(*fx));
    if (cp_config_defaults(&fx->cfg, "fixture.yaml", &fx->err) != 0)
        return -1;
    cp_free(fx->cfg.name);
    fx->cfg.name = cp_strdup("fixture");
    struct cp_run *run = &fx->run;
    run->cfg = &fx->cfg;
    snprintf(run->date, sizeof(run->date), "2026-01-01");
    run->epoch = FX_EPOCH;
    snprintf(run->data_sha256, sizeof(run->data_sha256), "%s",
             "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    run->staging_dir = staging ? cp_strdup(staging) : NULL;
    run->data.cells = cp_table_new("cells");
    run->data.cycles = cp_table_new("cycles");
    cp_add_canonical_columns(run->data.cells, cp_cells_columns);
    cp_add_canonical_columns(run->data.cycles, cp_cycles_columns);
    fx_cells(run->data.cells);
    fx_cycles_table(run->data.cycles);
    fx_results(fx);
    fx->rules[0].hits = 3;
    fx->rules[1].hits = 2;
    run->validation.rules = fx->rules;
    run->validation.nrules = 2;
    run->validation.rows_quarantined = 3;
    return 0;
}

static void fx_release(struct fixture *fx)
{
    cp_table_free(fx->run.data.cells);
    cp_table_free(fx->run.data.cycles);
    cp_free(fx->run.results);
    cp_free(fx->run.staging_dir);
    cp_config_release(&fx->cfg);
}

/* Allocation torture of cp_charts_build: each of its allocations failed in turn. `need` is
 * the clean build's count, `failed` the points that failed (at least `need` when every
 * counted allocation is checked), `bad` those that failed other than with CP_EINTERNAL. */
struct fx_torture {
    long need, failed, bad;
};

static inline struct fx_torture fx_torture_charts(struct fixture *fx)
{
    struct fx_torture t = {0};
    struct cp_chart_list l;
    long base = cp_alloc_count();
    if (cp_charts_build(&fx->run, &l, &fx->err) != 0) {
        t.bad = 1;
        return t;
    }
    t.need = cp_alloc_count() - base;
    cp_charts_release(&l);
    for (long k = 1; k <= t.need + 1; k++) {
        cp_error_clear(&fx->err);
        cp_alloc_fail_at(k); /* counts from now: the k-th allocation fails */
        int rc = cp_charts_build(&fx->run, &l, &fx->err);
        cp_alloc_fail_at(0);
        t.bad += rc != 0 && rc != -CP_EINTERNAL;
        t.failed += rc != 0;
        if (rc == 0)
            cp_charts_release(&l);
    }
    return t;
}

/* The same for cp_summary_pdf_render of the charts `l`: the points that failed other than
 * with CP_EINTERNAL (1 when the clean render fails). */
static inline long fx_torture_summary(struct fixture *fx, const struct cp_chart_list *l)
{
    struct cp_strbuf pdf = CP_STRBUF_INIT;
    long base = cp_alloc_count(), bad = 0;
    if (cp_summary_pdf_render(&fx->run, l, &pdf, &fx->err) != 0)
        bad = 1;
    long need = bad ? 0 : cp_alloc_count() - base;
    for (long k = 1; k <= need; k++) {
        cp_strbuf_reset(&pdf);
        cp_error_clear(&fx->err);
        cp_alloc_fail_at(k);
        int rc = cp_summary_pdf_render(&fx->run, l, &pdf, &fx->err);
        cp_alloc_fail_at(0);
        bad += rc != 0 && rc != -CP_EINTERNAL;
    }
    cp_strbuf_release(&pdf);
    return bad;
}

#endif
