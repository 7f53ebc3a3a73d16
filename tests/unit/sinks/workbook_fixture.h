/*
 * A struct cp_run filled by hand for the workbook tests and benchmark: a few cells of two
 * designs with cycles, features, results, validation and quarantine. Values come from a
 * fixed pseudo-random sequence with all 17 significant digits in use, so round-trip checks
 * exercise the full precision. With `weird` set, the data also holds what Excel cannot take
 * as given: NaN, infinity, control characters, invalid UTF-8, a literal "_x0041_", text over
 * 32,767 characters (with FX_LONG_TEXT), a group name with []:*?/ and an out-of-range date. With
 * `uniform` set, every cell has ncycles cycles (else a third has 3/4 of them and a third 1/2).
 */
#ifndef CELLPIPE_TEST_WORKBOOK_FIXTURE_H
#define CELLPIPE_TEST_WORKBOOK_FIXTURE_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/config.h"
#include "cellpipe/error.h"
#include "cellpipe/run.h"
#include "cellpipe/source.h"
#include "cellpipe/table.h"
#include "cellpipe/timeutil.h"

struct fixture {
    struct cp_config cfg;
    struct cp_run run;
    struct cp_rule_config rules[2];
    struct cp_rule_result rr[2];
    char *long_text;
};

static uint64_t fx_state = 88172645463325252ULL;

static double fx_rand(void) /* xorshift64: deterministic, [0, 1) */
{
    fx_state ^= fx_state << 13;
    fx_state ^= fx_state >> 7;
    fx_state ^= fx_state << 17;
    return (double)(fx_state >> 11) / 9007199254740992.0;
}

static const char *const fx_cycle_f64[] = {"test_time_s",
                                           "charge_capacity_ah",
                                           "discharge_capacity_ah",
                                           "charge_energy_wh",
                                           "discharge_energy_wh",
                                           "v_max",
                                           "v_min",
                                           "temperature_avg_c",
                                           "internal_resistance_ohm",
                                           "capacity_retention",
                                           "coulombic_efficiency",
                                           "energy_efficiency",
                                           "fade_rate",
                                           "equivalent_full_cycles",
                                           "cycle_fraction",
                                           "days_since_start",
                                           "retention_mean_10"};
#define FX_NF64 (sizeof fx_cycle_f64 / sizeof fx_cycle_f64[0])

static int fx_cells(struct fixture *f, long ncells, int weird, int long_text)
{
    struct cp_table *t = cp_table_new("cells");
    f->run.data.cells = t;
    int id = cp_table_add_column(t, "cell_id", CP_STR);
    int design = cp_table_add_column(t, "design_name", CP_STR);
    int start = cp_table_add_column(t, "start_date", CP_STR);
    int nom = cp_table_add_column(t, "nominal_capacity_ah", CP_F64);
    int year = cp_table_add_column(t, "year", CP_I64);
    int notes = cp_table_add_column(t, "notes", CP_STR);
    if (id < 0 || design < 0 || start < 0 || nom < 0 || year < 0 || notes < 0)
        return -1;
    for (long i = 0; i < ncells; i++) {
        char buf[64];
        long r = cp_table_add_row(t);
        if (r < 0)
            return -1;
        snprintf(buf, sizeof buf, "cell-%04ld", i + 1);
        cp_table_set_str(t, id, (size_t)r, buf);
        cp_table_set_str(t, design, (size_t)r,
                         i % 2 ? (weird ? "Design/B: [pouch]*?\a" : "design-b") : "design-a");
        snprintf(buf, sizeof buf, "2025-%02ld-%02ld", 1 + i % 12, 1 + i % 28);
        cp_table_set_str(t, start, (size_t)r, buf);
        cp_table_set_f64(t, nom, (size_t)r, 2.5 + fx_rand());
        cp_table_set_i64(t, year, (size_t)r, 2025);
    }
    if (weird && ncells >= 6) {
        static const char *const bad[] = {"ctl\x01\x63har\ttab\nnewline", "_x0041_ literal",
                                          "bad \xff utf8", "  padded  ",
                                          "caf\xc3\xa9 \xe2\x9c\x93"};
        for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
            cp_table_set_str(t, notes, k, bad[k]);
        if (long_text) {
            f->long_text = cp_malloc(40001);
            if (!f->long_text)
                return -1;
            memset(f->long_text, 'x', 40000);
            f->long_text[40000] = '\0';
            cp_table_set_str(t, notes, 5, f->long_text);
        }
        cp_table_set_f64(t, nom, 1, NAN);
        cp_table_set_str(t, start, 2, "not a date");
    }
    return 0;
}

static int fx_cycles(struct fixture *f, long ncells, long ncycles, int weird, int uniform)
{
    struct cp_table *t = cp_table_new("cycles");
    int cols[FX_NF64];
    f->run.data.cycles = t;
    int id = cp_table_add_column(t, "cell_id", CP_STR);
    int idx = cp_table_add_column(t, "cycle_index", CP_I64);
    int st = cp_table_add_column(t, "start_time", CP_TIME);
    if (id < 0 || idx < 0 || st < 0 || cp_table_reserve(t, (size_t)(ncells * ncycles)) < 0)
        return -1;
    for (size_t k = 0; k < FX_NF64; k++)
        if ((cols[k] = cp_table_add_column(t, fx_cycle_f64[k], CP_F64)) < 0)
            return -1;
    char **ids = cp_table_str(f->run.data.cells, "cell_id");
    for (long c = 0; c < ncells; c++) {
        long n = uniform ? ncycles : ncycles - (c % 3) * (ncycles / 4);
        for (long k = 0; k < n; k++) {
            long r = cp_table_add_row(t);
            if (r < 0 || cp_table_set_str(t, id, (size_t)r, ids[c]) < 0)
                return -1;
            cp_table_set_i64(t, idx, (size_t)r, k + 1);
            cp_table_set_i64(t, st, (size_t)r, 1735689600 + c * 86400 + k * 7200);
            for (size_t j = 0; j < FX_NF64; j++)
                cp_table_set_f64(t, cols[j], (size_t)r, fx_rand());
            double ret = 1.0 - 0.3 * (double)k / (double)ncycles - 0.01 * fx_rand();
            cp_table_set_f64(t, cols[9], (size_t)r, ret);
        }
    }
    if (weird && t->nrows > 10) {
        cp_table_set_f64(t, cols[2], 3, NAN);
        cp_table_set_f64(t, cols[4], 4, INFINITY);
        cp_table_set_f64(t, cols[4], 5, -INFINITY);
        cp_table_set_i64(t, st, 6, -3000000000LL); /* 1874: before Excel's calendar */
    }
    return cp_table_group(t, "cell_id");
}

static void fx_results(struct fixture *f, long ncells)
{
    struct cp_run *run = &f->run;
    run->results = cp_calloc((size_t)ncells, sizeof *run->results);
    run->nresults = run->results ? (size_t)ncells : 0;
    for (size_t i = 0; i < run->nresults; i++) {
        struct cp_cell_result *r = &run->results[i];
        size_t g0 = run->data.cycles->group_start[i], g1 = run->data.cycles->group_start[i + 1];
        r->cells_row = (long)i;
        r->group = (long)i;
        r->n_cycles = (long)(g1 - g0);
        r->first_cycle = 1;
        r->last_cycle = r->n_cycles;
        r->reference_ah = 2.5 + fx_rand();
        r->last_retention = 0.75 + 0.2 * fx_rand();
        r->cycles_to_90 = i % 2 ? -1 : 100 + (long)i;
        r->cycles_to_80 = i % 3 == 0 ? 400 + (long)i : -1;
        r->ce_mean = 0.999 + 0.001 * fx_rand();
        r->ce_last_n = 0.998;
        r->fade_rate = -0.01 * fx_rand();
        r->efc_total = 500 * fx_rand();
        r->days_on_test = 100 * fx_rand();
        r->best_model = (int)(i % CP_MODEL_COUNT);
        for (int m = 0; m < CP_MODEL_COUNT; m++) {
            struct cp_fit *fit = &r->fits[m];
            fit->status = m == 3 && i % 4 == 1 ? CP_FIT_FAILED : CP_FIT_OK;
            fit->np = 2 + m % 3;
            for (int p = 0; p < fit->np; p++)
                fit->p[p] = fx_rand() - 0.5;
            fit->rmse = 0.01 * fx_rand();
            fit->aicc = -100 * fx_rand();
            if (fit->status == CP_FIT_FAILED)
                snprintf(fit->reason, sizeof fit->reason, "did not converge");
        }
        r->eol_observed = i % 3 == 0 ? 420 + (long)i : -1;
        r->eol_forecast = i % 3 == 0 ? NAN : 900 + fx_rand();
        r->eol_lo = r->eol_forecast - 50;
        r->eol_hi = r->eol_forecast + 50;
        r->eol_method = i % 3 == 0 ? CP_EOL_OBSERVED : CP_EOL_PER_CELL;
        r->knee_onset = r->knee_point = NAN;
        if (i % 4 == 2) {
            cp_result_flag(r, "fade_outlier", "fade rate 4.2 MADs");
        }
    }
}

static int fx_validation(struct fixture *f)
{
    static char col_q[] = "discharge_capacity_ah", col_d[] = "cycle_index";
    f->rules[0] = (struct cp_rule_config){
        .kind = CP_RULE_NAN, .column = col_q, .policy = CP_POLICY_QUARANTINE, .threshold = 0.05};
    f->rules[1] = (struct cp_rule_config){
        .kind = CP_RULE_DUPLICATES, .column = col_d, .policy = CP_POLICY_FAIL, .threshold = 0};
    f->rr[0] = (struct cp_rule_result){.rule = &f->rules[0], .checked = 1000, .hits = 2};
    snprintf(f->rr[0].examples, sizeof f->rr[0].examples, "cell-0001:4, cell-0002:7");
    f->rr[1] = (struct cp_rule_result){.rule = &f->rules[1], .checked = 1000, .hits = 0};
    f->run.validation =
        (struct cp_validation){.rules = f->rr, .nrules = 2, .rows_in = 1002, .rows_quarantined = 2};
    struct cp_table *q = cp_table_new("quarantine");
    f->run.quarantine = q;
    int cid = cp_table_add_column(q, "cell_id", CP_STR);
    int idx = cp_table_add_column(q, "cycle_index", CP_I64);
    int rule = cp_table_add_column(q, "rule", CP_STR);
    int reason = cp_table_add_column(q, "reason", CP_STR);
    if (cid < 0 || idx < 0 || rule < 0 || reason < 0)
        return -1;
    for (int k = 0; k < 2; k++) {
        long r = cp_table_add_row(q);
        if (r < 0)
            return -1;
        cp_table_set_str(q, cid, (size_t)r, k ? "cell-0002" : "cell-0001");
        cp_table_set_i64(q, idx, (size_t)r, k ? 7 : 4);
        cp_table_set_str(q, rule, (size_t)r, "nan");
        cp_table_set_str(q, reason, (size_t)r, "discharge_capacity_ah is NaN");
    }
    return 0;
}

enum { FX_WEIRD = 1, FX_UNIFORM = 2, FX_LONG_TEXT = 4 };

/* 0, or -1 when out of memory (the fixture can then be released). */
static int fixture_init(struct fixture *f, long ncells, long ncycles, int flags)
{
    struct cp_error err = {0};
    memset(f, 0, sizeof *f);
    fx_state = 88172645463325252ULL;
    if (cp_config_defaults(&f->cfg, "fixture.yaml", &err) < 0)
        return -1;
    cp_free(f->cfg.name);
    f->cfg.name = cp_strdup("fixture");
    f->cfg.workbook.max_series = 2;
    /* every column of the fixture's cycles table: the checks read them all back */
    struct cp_strlist *cols = &f->cfg.workbook.cycles_columns;
    for (size_t i = 1; i < cols->n; i++)
        cp_free(cols->v[i]);
    cols->n = cols->n ? 1 : 0;
    if (cols->n) {
        cp_free(cols->v[0]);
        cols->v[0] = cp_strdup("all");
    }
    f->run.cfg = &f->cfg;
    memcpy(f->run.date, "2026-01-01", 11);
    cp_parse_date(f->run.date, &f->run.epoch);
    f->run.backtest_mape = NAN;
    memcpy(f->run.pipeline_sha256, "ab12", 5);
    int weird = flags & FX_WEIRD;
    if (fx_cells(f, ncells, weird, flags & FX_LONG_TEXT) < 0 ||
        fx_cycles(f, ncells, ncycles, weird, flags & FX_UNIFORM) < 0 || fx_validation(f) < 0)
        return -1;
    fx_results(f, ncells);
    return f->run.results ? 0 : -1;
}

static void fixture_release(struct fixture *f)
{
    cp_dataset_release(&f->run.data);
    cp_table_free(f->run.quarantine);
    cp_free(f->run.results);
    cp_free(f->long_text);
    cp_config_release(&f->cfg);
}

#endif
