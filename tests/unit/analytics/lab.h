/*
 * A synthetic lab for the models tests and the benchmark: cells of a few designs, each with a
 * linear fade and an exponential knee scaled to its own life L (retention 0.8 exactly at
 * L), gaussian-like noise, and optional dips. Finished cells run to 1.05 L; active cells
 * stop at a fraction of L. Retention is written directly (reference 1 Ah).
 */
#ifndef CELLPIPE_TEST_LAB_H
#define CELLPIPE_TEST_LAB_H
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/config.h"
#include "cellpipe/error.h"
#include "cellpipe/results.h"
#include "cellpipe/run.h"
#include "cellpipe/table.h"

struct lab {
    struct cp_config cfg;
    struct cp_run run;
    double *life; /* true end of life per cell */
    int ncells;
};

static unsigned lab_state;

static inline double lab_uniform(void)
{
    lab_state = lab_state * 1664525u + 1013904223u;
    return (double)(lab_state >> 8) / 16777216.0;
}

static inline double lab_noise(double sd)
{
    double s = 0;
    for (int k = 0; k < 12; k++)
        s += lab_uniform();
    return sd * (s - 6.0);
}

/* Noiseless retention at cycle n of a cell with life L and knee sharpness kappa. */
static inline double lab_curve(double n, double L, double kappa)
{
    double u = n / L;
    return 1.0 - 0.08 * u - 0.12 * (exp(kappa * (u - 1.0)) - exp(-kappa)) / (1.0 - exp(-kappa));
}

static inline int lab_add_cell(struct lab *L, int i, const char *design, const char *status)
{
    struct cp_table *cells = L->run.data.cells;
    long r = cp_table_add_row(cells);
    char id[32];
    snprintf(id, sizeof id, "c%05d", i);
    if (r < 0 || cp_table_set_str(cells, 0, (size_t)r, id) != 0 ||
        cp_table_set_str(cells, 1, (size_t)r, design) != 0 ||
        cp_table_set_str(cells, 2, (size_t)r, status) != 0)
        return -1;
    return 0;
}

static inline int lab_add_cycle(struct lab *L, int i, long n, double y, double ce)
{
    struct cp_table *cy = L->run.data.cycles;
    long r = cp_table_add_row(cy);
    char id[32];
    snprintf(id, sizeof id, "c%05d", i);
    if (r < 0 || cp_table_set_str(cy, 0, (size_t)r, id) != 0)
        return -1;
    cp_table_set_i64(cy, 1, (size_t)r, n);
    cp_table_set_f64(cy, 2, (size_t)r, y);
    cp_table_set_f64(cy, 3, (size_t)r, ce);
    cp_table_set_f64(cy, 4, (size_t)r, y);
    return 0;
}

static inline int lab_init(struct lab *L, int ncells)
{
    memset(L, 0, sizeof *L);
    struct cp_error err = {0};
    if (cp_config_defaults(&L->cfg, "lab.yaml", &err) != 0)
        return -1;
    L->run.cfg = &L->cfg;
    L->run.data.cells = cp_table_new("cells");
    L->run.data.cycles = cp_table_new("cycles");
    L->life = cp_calloc((size_t)ncells + 1, sizeof *L->life);
    L->ncells = ncells;
    struct cp_table *c = L->run.data.cells, *y = L->run.data.cycles;
    if (!c || !y || !L->life || cp_table_add_column(c, "cell_id", CP_STR) != 0 ||
        cp_table_add_column(c, "design_name", CP_STR) != 1 ||
        cp_table_add_column(c, "test_status", CP_STR) != 2 ||
        cp_table_add_column(y, "cell_id", CP_STR) != 0 ||
        cp_table_add_column(y, "cycle_index", CP_I64) != 1 ||
        cp_table_add_column(y, "discharge_capacity_ah", CP_F64) != 2 ||
        cp_table_add_column(y, "coulombic_efficiency", CP_F64) != 3 ||
        cp_table_add_column(y, "capacity_retention", CP_F64) != 4)
        return -1;
    return 0;
}

/*
 * Add a regular cell: design d of `ndesign`, base life `base`, finished (runs past end of
 * life) or active (stops at fraction `stop` of its life). Returns 0 or -1.
 */
static inline int lab_cell(struct lab *L, int i, int d, double base, int finished, double stop,
                           double sd)
{
    char design[16];
    snprintf(design, sizeof design, "D%d", d);
    double life = base * (0.85 + 0.3 * lab_uniform());
    double kappa = 5.0 + 3.0 * lab_uniform();
    long last = finished ? (long)(1.05 * life) : (long)(stop * life);
    if (lab_add_cell(L, i, design, finished ? "completed" : "active") != 0)
        return -1;
    long eol = -1;
    for (long n = 1; n <= last; n++) {
        double y0 = lab_curve((double)n, life, kappa);
        if (eol < 0 && y0 < 0.8)
            eol = n;
        if (lab_add_cycle(L, i, n, y0 + lab_noise(sd), 0.999 + lab_noise(0.0005)) != 0)
            return -1;
    }
    L->life[i] = (double)(eol > 0 ? eol : (long)ceil(life));
    return 0;
}

/* Sort, group and create the results array (call after the last cell). */
static inline int lab_finish(struct lab *L)
{
    struct cp_run *run = &L->run;
    if (cp_table_group(run->data.cycles, "cell_id") != 0)
        return -1;
    size_t n = run->data.cells->nrows;
    run->results = cp_calloc(n + 1, sizeof *run->results);
    if (!run->results)
        return -1;
    run->nresults = n;
    char **ids = cp_table_str(run->data.cells, "cell_id");
    for (size_t i = 0; i < n; i++)
        cp_result_init(&run->results[i], (long)i,
                       cp_table_group_find(run->data.cycles, "cell_id", ids[i]));
    return 0;
}

static inline void lab_release(struct lab *L)
{
    cp_table_free(L->run.data.cells);
    cp_table_free(L->run.data.cycles);
    cp_free(L->run.results);
    cp_free(L->life);
    cp_config_release(&L->cfg);
}

#endif
