/*
 * The TBSI-Sunwoda fleet (../shared/data/tbsi_sunwoda, shared by test_real_tbsi and
 * bench_tbsi): 32 real NCM811/SiOx cells of one type at four temperatures, every one cycled
 * past 80 %, with check-up recoveries. Truth is the EOL80 column of the folder's SOURCE.md
 * (first cycle from which capacity stays below 0.8 x the median of cycles 1-3), read from
 * that file at run time, never copied here.
 *
 * Scenarios, each scored at cut fractions f of every target's true life (the target keeps its
 * cycles up to floor(f x EOL80); every other cell keeps all of its data, so it is finished):
 *   TBSI_LOO   each cell in turn is the only target (31 finished siblings)
 *   TBSI_HALF  half the fleet (by index parity, both halves pooled) are targets
 *   TBSI_NONE  every cell is a target: no cell has finished
 * Figures: MAPE (%) of the forecasts, share of 95 % intervals containing the truth, and how
 * many intervals were withheld (flag `uncalibrated`).
 */
#ifndef CELLPIPE_TEST_TBSI_H
#define CELLPIPE_TEST_TBSI_H
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/config.h"
#include "cellpipe/error.h"
#include "cellpipe/run.h"
#include "cellpipe/stages.h"
#include "cellpipe/table.h"

#define TBSI_CELLS 32

enum tbsi_scenario { TBSI_LOO, TBSI_HALF, TBSI_NONE };

struct tbsi_cell {
    char id[16];  /* B<n>T<temp> */
    long eol80;   /* SOURCE.md */
    long ncycles; /* rows of its CSV */
    double *q;    /* discharge capacity of cycles 1..ncycles */
};

struct tbsi_fleet {
    struct tbsi_cell cell[TBSI_CELLS];
    size_t n;
};

struct tbsi_score {
    double mape, coverage; /* %, fraction of all targets (withheld intervals count as misses) */
    long n, withheld, uncalibrated_flags, early; /* early: forecast before the cut */
};

/* EOL80 of every "| B<n>T<t> | ... |" row of SOURCE.md (6th column). */
static inline int tbsi_read_truth(const char *dir, struct tbsi_fleet *f)
{
    char path[4096], line[1024];
    snprintf(path, sizeof path, "%s/tbsi_sunwoda/SOURCE.md", dir);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return -1;
    f->n = 0;
    while (fgets(line, sizeof line, fp) && f->n < TBSI_CELLS) {
        if (strncmp(line, "| B", 3) != 0)
            continue;
        char *field[12];
        size_t nf = 0;
        for (char *p = line; *p && nf < 12; p++)
            if (*p == '|')
                field[nf++] = p + 1;
        if (nf < 8)
            continue;
        struct tbsi_cell *c = &f->cell[f->n];
        char *end;
        size_t k = 0;
        for (char *p = field[0]; *p && *p != '|' && k + 1 < sizeof c->id; p++)
            if (*p != ' ')
                c->id[k++] = *p;
        c->id[k] = '\0';
        c->eol80 = strtol(field[5], &end, 10); /* the EOL80 column */
        if (end != field[5] && c->eol80 > 0)
            f->n++;
    }
    fclose(fp);
    return f->n == TBSI_CELLS ? 0 : -1;
}

/* cycle_index,discharge_capacity_ah,ambient_temperature_c with cycles 1, 2, ... in order. */
static inline int tbsi_read_cell(const char *dir, struct tbsi_cell *c)
{
    char path[4096], line[256];
    snprintf(path, sizeof path, "%s/tbsi_sunwoda/%s.csv", dir, c->id);
    FILE *fp = fopen(path, "r");
    if (!fp || !fgets(line, sizeof line, fp)) {
        if (fp)
            fclose(fp);
        return -1;
    }
    size_t cap = 2048;
    c->q = cp_malloc(cap * sizeof *c->q);
    c->ncycles = 0;
    while (c->q && fgets(line, sizeof line, fp)) {
        char *p = strchr(line, ',');
        if (!p)
            break;
        if ((size_t)c->ncycles == cap)
            break;
        c->q[c->ncycles++] = strtod(p + 1, NULL);
    }
    fclose(fp);
    return c->q && c->ncycles > 0 ? 0 : -1;
}

static inline void tbsi_release(struct tbsi_fleet *f)
{
    for (size_t i = 0; i < f->n; i++)
        cp_free(f->cell[i].q);
}

static inline int tbsi_load(const char *dir, struct tbsi_fleet *f)
{
    memset(f, 0, sizeof *f);
    if (tbsi_read_truth(dir, f) < 0)
        return -1;
    for (size_t i = 0; i < f->n; i++)
        if (tbsi_read_cell(dir, &f->cell[i]) < 0)
            return -1;
    return 0;
}

/* A run whose dataset holds the fleet, cell i cut at cut[i] cycles (<= 0: whole record). */
static inline int tbsi_dataset(const struct tbsi_fleet *f, const long *cut, struct cp_run *run,
                               struct cp_error *err)
{
    if (cp_dataset_init(&run->data, err) != 0)
        return -1;
    struct cp_table *cells = run->data.cells, *cy = run->data.cycles;
    int cid = cp_table_find(cells, "cell_id"), cdn = cp_table_find(cells, "design_name");
    int cgr = cp_table_find(cells, "experiment_group"),
        cno = cp_table_find(cells, "nominal_capacity_ah");
    int yid = cp_table_find(cy, "cell_id"), yn = cp_table_find(cy, "cycle_index");
    int yq = cp_table_find(cy, "discharge_capacity_ah");
    for (size_t i = 0; i < f->n; i++) {
        const struct tbsi_cell *c = &f->cell[i];
        long row = cp_table_add_row(cells);
        if (row < 0 || cp_table_set_str(cells, cid, (size_t)row, c->id) < 0 ||
            cp_table_set_str(cells, cdn, (size_t)row, "NCM811-SiOx") < 0 ||
            cp_table_set_str(cells, cgr, (size_t)row, strchr(c->id, 'T')) < 0)
            return -1;
        cells->cols[cno].v.f64[row] = 1.1;
        long m = cut && cut[i] > 0 && cut[i] < c->ncycles ? cut[i] : c->ncycles;
        for (long k = 0; k < m; k++) {
            long r = cp_table_add_row(cy);
            if (r < 0 || cp_table_set_str(cy, yid, (size_t)r, c->id) < 0)
                return -1;
            cy->cols[yn].v.i64[r] = k + 1;
            cy->cols[yq].v.f64[r] = c->q[k];
        }
    }
    return cp_table_sort(cells, "cell_id", NULL) == 0 && cp_table_group(cells, "cell_id") == 0 &&
                   cp_table_sort(cy, "cell_id", "cycle_index") == 0 &&
                   cp_table_group(cy, "cell_id") == 0
               ? 0
               : -1;
}

/* Validate, features and models on the fleet cut as given: the pipeline's analytics. */
static inline int tbsi_run(const struct cp_config *cfg, const struct tbsi_fleet *f, const long *cut,
                           struct cp_run *run)
{
    struct cp_error err = {0};
    memset(run, 0, sizeof *run);
    run->cfg = cfg;
    int rc = tbsi_dataset(f, cut, run, &err) == 0 && cp_stage_validate(run, &err) == 0 &&
                     cp_stage_features(run, &err) == 0 && cp_stage_models(run, &err) == 0
                 ? 0
                 : -1;
    if (rc < 0)
        fprintf(stderr, "tbsi: %s\n", err.msg[0] ? err.msg : "out of memory");
    return rc;
}

static inline void tbsi_run_release(struct cp_run *run)
{
    cp_free(run->results);
    cp_free(run->validation.rules);
    cp_free(run->validation.cells);
    cp_table_free(run->quarantine);
    cp_dataset_release(&run->data);
}

static inline long tbsi_index(const struct tbsi_fleet *f, const char *id)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->cell[i].id, id) == 0)
            return (long)i;
    return -1;
}

static inline int tbsi_has_flag(const struct cp_cell_result *r, const char *kind)
{
    for (int k = 0; k < r->nflags; k++)
        if (strcmp(r->flags[k].kind, kind) == 0)
            return 1;
    return 0;
}

/* Score the targets of one run (target[i] = cell i was cut). */
static inline void tbsi_score_run(const struct tbsi_fleet *f, const struct cp_run *run,
                                  const unsigned char *target, const long *cut, double *sum_ae,
                                  struct tbsi_score *s)
{
    char **ids = cp_table_str(run->data.cells, "cell_id");
    for (size_t k = 0; k < run->nresults; k++) {
        const struct cp_cell_result *r = &run->results[k];
        long i = tbsi_index(f, ids[r->cells_row]);
        if (i < 0 || !target[i])
            continue;
        double t = (double)f->cell[i].eol80;
        double fc = isfinite(r->eol_forecast) ? r->eol_forecast : (double)cut[i];
        *sum_ae += fabs(fc - t) / t;
        s->n++;
        s->early += fc <= (double)cut[i];
        if (isnan(r->eol_lo) || isnan(r->eol_hi))
            s->withheld++;
        else
            s->coverage += r->eol_lo <= t && t <= r->eol_hi;
        s->uncalibrated_flags += tbsi_has_flag(r, "uncalibrated");
    }
}

static inline int tbsi_pass(const struct cp_config *cfg, const struct tbsi_fleet *f,
                            const unsigned char *target, double frac, double *sum_ae,
                            struct tbsi_score *s)
{
    long cut[TBSI_CELLS];
    for (size_t i = 0; i < f->n; i++)
        cut[i] = target[i] ? (long)floor(frac * (double)f->cell[i].eol80) : 0;
    struct cp_run run;
    int rc = tbsi_run(cfg, f, cut, &run);
    if (rc == 0)
        tbsi_score_run(f, &run, target, cut, sum_ae, s);
    tbsi_run_release(&run);
    return rc;
}

static inline int tbsi_score(const struct cp_config *cfg, const struct tbsi_fleet *f,
                             enum tbsi_scenario sc, double frac, struct tbsi_score *s)
{
    unsigned char target[TBSI_CELLS];
    double sum_ae = 0;
    memset(s, 0, sizeof *s);
    int rc = 0;
    if (sc == TBSI_LOO) {
        for (size_t i = 0; rc == 0 && i < f->n; i++) {
            for (size_t j = 0; j < f->n; j++)
                target[j] = j == i;
            rc = tbsi_pass(cfg, f, target, frac, &sum_ae, s);
        }
    } else if (sc == TBSI_HALF) {
        for (int fold = 0; rc == 0 && fold < 2; fold++) {
            for (size_t j = 0; j < f->n; j++)
                target[j] = (int)(j % 2) == fold;
            rc = tbsi_pass(cfg, f, target, frac, &sum_ae, s);
        }
    } else {
        memset(target, 1, sizeof target);
        rc = tbsi_pass(cfg, f, target, frac, &sum_ae, s);
    }
    s->mape = s->n ? 100.0 * sum_ae / (double)s->n : NAN;
    s->coverage = s->n ? s->coverage / (double)s->n : NAN;
    return rc;
}

#endif
