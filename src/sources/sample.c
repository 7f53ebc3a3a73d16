/* The sample lab: see include/cellpipe/sample.h for the model. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/sample.h"
#include "cellpipe/strbuf.h"

/* --- deterministic random numbers: splitmix64, one stream per cell --- */

struct rng {
    uint64_t s;
};

static uint64_t next_u64(struct rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double uniform(struct rng *r)
{
    return ((double)(next_u64(r) >> 11) + 0.5) / 9007199254740992.0;
}

static double normal(struct rng *r)
{
    double u = uniform(r), v = uniform(r);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* --- the fleet --- */

struct design {
    const char *name, *chemistry, *form_factor;
    double nominal_ah, v_nom, v_max, v_min, life_factor;
};

static const struct design designs[] = {
    {"LFP-18650-A", "LFP", "cylindrical", 1.10, 3.25, 3.60, 2.00, 1.00},
    {"NMC-POUCH-B", "NMC", "pouch", 3.00, 3.65, 4.20, 2.75, 0.90},
    {"NCA-21700-C", "NCA", "cylindrical", 4.80, 3.60, 4.20, 2.50, 0.80},
    {"LTO-PRISM-D", "LTO", "prismatic", 10.0, 2.30, 2.80, 1.50, 0.95},
};
#define NDESIGNS (sizeof(designs) / sizeof(designs[0]))

static const char *const groups[] = {"baseline", "fast-charge", "high-temp"};
static const double group_life[] = {1.0, 0.85, 0.9};
static const double group_temp[] = {25.0, 27.0, 45.0};
static const double group_crate[] = {1.0, 3.0, 1.0};
static const char *const layers[] = {"single-coated", "double-coated"};

struct cell_model {
    const struct design *d;
    int group, knee;
    double q0, a, b, c, nk, w, life, temp, crate, r0;
    long observed; /* cycles on test */
    const char *status;
};

static double retention(const struct cell_model *m, double n)
{
    double r = 1.0 - m->a * sqrt(n) - m->b * n;
    if (m->knee) {
        double x = (n - m->nk) / m->w;
        double sp = x > 30 ? x : log1p(exp(x));
        r -= m->c * (m->w * sp) * (m->w * sp);
    }
    return r;
}

/* Parameters such that the noise-free retention reaches 0.8 near m->life. */
static void shape_cell(struct cell_model *m, struct rng *rng)
{
    double L = m->life;
    m->a = (0.035 + 0.01 * uniform(rng)) / sqrt(L);
    if (m->knee) {
        m->b = (0.05 + 0.02 * uniform(rng)) / L;
        m->nk = L * (0.55 + 0.2 * uniform(rng));
        m->w = L * 0.03;
        double rest = 0.2 - m->a * sqrt(L) - m->b * L;
        double x = (L - m->nk) / m->w, sp = log1p(exp(x)) * m->w;
        m->c = rest / (sp * sp);
    } else {
        m->b = (0.2 - m->a * sqrt(L)) / L;
    }
}

static void pick_status(struct cell_model *m, long idx, struct rng *rng, long max_cycles)
{
    double u = uniform(rng);
    long full = (long)ceil(m->life * 1.08) + 10;
    if (idx == 1 && full <= max_cycles) /* the dip cell finishes, so the dip meets its EOL */
        u = 0.99;
    if (u < 0.08) {
        m->status = "failed";
        m->observed = (long)(m->life * (0.2 + 0.3 * uniform(rng)));
    } else if (u < 0.14) {
        m->status = "aborted";
        m->observed = (long)(m->life * (0.1 + 0.3 * uniform(rng)));
    } else if (u < 0.5 || full > max_cycles) {
        m->status = "active";
        m->observed = (long)(m->life * (0.4 + 0.55 * uniform(rng)));
    } else {
        m->status = "completed";
        m->observed = full;
    }
    if (m->observed > max_cycles)
        m->observed = max_cycles;
    if (m->observed < 12)
        m->observed = 12;
}

static void make_cell(struct cell_model *m, long idx, const struct cp_sample_params *p,
                      struct rng *rng)
{
    m->d = &designs[idx % NDESIGNS];
    m->group = (int)((idx / NDESIGNS) % 3);
    m->knee = uniform(rng) < 0.5;
    m->q0 = m->d->nominal_ah * (1.0 + 0.01 * normal(rng));
    double base = 0.8 * (double)p->cycles;
    double spread = p->life_spread > 0 ? p->life_spread : 1.0;
    double factor = 1.0 + spread * (m->d->life_factor - 1.0);
    m->life = base * factor * group_life[m->group] * exp(0.12 * normal(rng));
    if (m->life < 40)
        m->life = 40;
    m->temp = group_temp[m->group];
    m->crate = group_crate[m->group];
    m->r0 = 0.02 + 0.005 * uniform(rng);
    shape_cell(m, rng);
    pick_status(m, idx, rng, p->cycles);
}

/* --- truth: the documented EOL rule on the fault-free series of the whole simulated life --- */

static long true_eol(const double *q, long n)
{
    double a = q[0], b = q[1], c = q[2];
    double ref = a > b ? (b > c ? b : (a > c ? c : a)) : (a > c ? a : (b > c ? c : b));
    long eol = -1;
    for (long i = n - 1; i >= 0; i--) {
        if (q[i] / ref >= 0.8)
            break;
        eol = i + 1;
    }
    return eol;
}

/* Measured capacity of cycle n (1-based) with noise, temperature and check cycles. */
static double measured_q(const struct cell_model *m, long n, double temp, struct rng *rng)
{
    double q = m->q0 * retention(m, (double)n);
    if (n % 100 == 0)
        q *= 1.015; /* slower capacity-check cycle */
    q *= 1.0 + 0.005 * (temp - 25.0);
    return q * (1.0 + 0.0015 * normal(rng));
}

struct cols {
    int id, cyc, tt, st, qc, qd, ec, ed, vmax, vmin, imax, imin, vcm, vdm, tavg, tmax, ir;
};

static void find_cols(const struct cp_table *t, struct cols *c)
{
    c->id = cp_table_find(t, "cell_id");
    c->cyc = cp_table_find(t, "cycle_index");
    c->tt = cp_table_find(t, "test_time_s");
    c->st = cp_table_find(t, "start_time");
    c->qc = cp_table_find(t, "charge_capacity_ah");
    c->qd = cp_table_find(t, "discharge_capacity_ah");
    c->ec = cp_table_find(t, "charge_energy_wh");
    c->ed = cp_table_find(t, "discharge_energy_wh");
    c->vmax = cp_table_find(t, "v_max");
    c->vmin = cp_table_find(t, "v_min");
    c->imax = cp_table_find(t, "i_max");
    c->imin = cp_table_find(t, "i_min");
    c->vcm = cp_table_find(t, "v_charge_mean");
    c->vdm = cp_table_find(t, "v_discharge_mean");
    c->tavg = cp_table_find(t, "temperature_avg_c");
    c->tmax = cp_table_find(t, "temperature_max_c");
    c->ir = cp_table_find(t, "internal_resistance_ohm");
}

struct cycle_row {
    long n;
    double q, temp, time_s;
};

static int emit_row(struct cp_table *t, const struct cols *c, const char *id,
                    const struct cell_model *m, const struct cycle_row *cr, int64_t start,
                    struct rng *rng)
{
    long row = cp_table_add_row(t);
    if (row < 0 || cp_table_set_str(t, c->id, (size_t)row, id) < 0)
        return -1;
    size_t r = (size_t)row;
    double fade = 1.0 - cr->q / m->q0;
    double ce = 0.999 + 0.0002 * normal(rng);
    if (ce > 0.99995)
        ce = 0.99995;
    double vdm = m->d->v_nom - 0.06 * fade, vcm = m->d->v_nom + 0.07 + 0.12 * fade;
    cp_table_set_i64(t, c->cyc, r, cr->n);
    cp_table_set_f64(t, c->tt, r, cr->time_s);
    cp_table_set_i64(t, c->st, r, start + (int64_t)cr->time_s);
    cp_table_set_f64(t, c->qd, r, cr->q);
    cp_table_set_f64(t, c->qc, r, cr->q / ce);
    cp_table_set_f64(t, c->ed, r, cr->q * vdm);
    cp_table_set_f64(t, c->ec, r, cr->q / ce * vcm);
    cp_table_set_f64(t, c->vmax, r, m->d->v_max);
    cp_table_set_f64(t, c->vmin, r, m->d->v_min);
    cp_table_set_f64(t, c->imax, r, m->crate * m->d->nominal_ah);
    cp_table_set_f64(t, c->imin, r, -m->d->nominal_ah);
    cp_table_set_f64(t, c->vcm, r, vcm);
    cp_table_set_f64(t, c->vdm, r, vdm);
    cp_table_set_f64(t, c->tavg, r, cr->temp);
    cp_table_set_f64(t, c->tmax, r, cr->temp + 2.0 + 0.5 * m->crate);
    cp_table_set_f64(t, c->ir, r, m->r0 * (1.0 + 1.5 * fade));
    return 0;
}

/* Faults for validation: cell 1 dip, 2 missing cycle, 3 duplicate, 4 NaN, 5 outlier, at a
 * third of the test; the dip instead where retention first falls to 0.815, so that it dips
 * below the EOL threshold for one cycle and must not count as end of life. */
static int fault_of(const struct cell_model *m, long idx, long n)
{
    if (idx < 1 || idx > 5)
        return 0;
    long at = m->observed / 3;
    if (idx == 1)
        for (long k = 1; k <= m->observed; k++)
            if (retention(m, (double)k) <= 0.815) {
                at = k;
                break;
            }
    return n == at ? (int)idx : 0;
}

static int emit_cell(struct cp_table *t, const struct cols *c, const char *id, long idx,
                     const struct cell_model *m, const double *q, const double *temp, int64_t start,
                     struct rng *rng)
{
    double time_s = 0;
    for (long n = 1; n <= m->observed; n++) {
        struct cycle_row cr = {n, q[n - 1], temp[n - 1], 0};
        time_s += 3600.0 * 2.0 / (0.5 * (1.0 + m->crate)) + 1200.0 + (n % 100 == 0 ? 36000 : 0);
        cr.time_s = time_s;
        int fault = fault_of(m, idx, n);
        if (fault == 1)
            cr.q *= 0.97;
        else if (fault == 2)
            continue;
        else if (fault == 4)
            cr.q = NAN;
        else if (fault == 5)
            cr.q *= 1.8;
        if (emit_row(t, c, id, m, &cr, start, rng) < 0)
            return -1;
        if (fault == 3 && emit_row(t, c, id, m, &cr, start, rng) < 0)
            return -1;
    }
    return 0;
}

static int add_cell_meta(struct cp_table *cells, const char *id, long idx,
                         const struct cell_model *m, int64_t start, struct rng *rng)
{
    long row = cp_table_add_row(cells);
    if (row < 0)
        return -1;
    size_t r = (size_t)row;
    char tester[16], channel[16];
    snprintf(tester, sizeof(tester), "arbin-%02ld", idx % 3 + 1);
    snprintf(channel, sizeof(channel), "ch-%02ld", idx % 16 + 1);
    int64_t year = 1970 + (int64_t)((double)start / 31556952.0);
    if (cp_table_set_str(cells, cp_table_find(cells, "cell_id"), r, id) < 0 ||
        cp_table_set_str(cells, cp_table_find(cells, "design_name"), r, m->d->name) < 0 ||
        cp_table_set_str(cells, cp_table_find(cells, "experiment_group"), r, groups[m->group]) <
            0 ||
        cp_table_set_str(cells, cp_table_find(cells, "layer_types"), r,
                         layers[uniform(rng) < 0.5]) < 0 ||
        cp_table_set_str(cells, cp_table_find(cells, "test_status"), r, m->status) < 0 ||
        cp_table_set_str(cells, cp_table_find(cells, "chemistry"), r, m->d->chemistry) < 0 ||
        cp_table_set_str(cells, cp_table_find(cells, "form_factor"), r, m->d->form_factor) < 0 ||
        cp_table_set_str(cells, cp_table_find(cells, "tester"), r, tester) < 0 ||
        cp_table_set_str(cells, cp_table_find(cells, "channel"), r, channel) < 0)
        return -1;
    cp_table_set_i64(cells, cp_table_find(cells, "start_date"), r, start);
    cp_table_set_i64(cells, cp_table_find(cells, "year"), r, year);
    cp_table_set_f64(cells, cp_table_find(cells, "nominal_capacity_ah"), r, m->d->nominal_ah);
    return 0;
}

static int add_truth(struct cp_table *truth, const char *id, const struct cell_model *m, long eol)
{
    static const char *const names[] = {"cell_id",   "test_status", "observed_cycles",
                                        "eol_cycle", "knee_cycle",  "life_cycles"};
    static const enum cp_type types[] = {CP_STR, CP_STR, CP_I64, CP_I64, CP_I64, CP_F64};
    int col[6];
    for (int i = 0; i < 6; i++)
        if ((col[i] = cp_table_add_column(truth, names[i], types[i])) < 0)
            return -1;
    long row = cp_table_add_row(truth);
    if (row < 0 || cp_table_set_str(truth, col[0], (size_t)row, id) < 0 ||
        cp_table_set_str(truth, col[1], (size_t)row, m->status) < 0)
        return -1;
    cp_table_set_i64(truth, col[2], (size_t)row, m->observed);
    if (eol > 0)
        cp_table_set_i64(truth, col[3], (size_t)row, eol);
    if (m->knee)
        cp_table_set_i64(truth, col[4], (size_t)row, (int64_t)floor(m->nk));
    cp_table_set_f64(truth, col[5], (size_t)row, m->life);
    return 0;
}

/* One cell: simulate the whole life (for truth), emit what was observed. */
static int sample_cell(long idx, const struct cp_sample_params *p, struct cp_dataset *ds,
                       struct cp_table *truth, const struct cols *c)
{
    struct rng rng = {(uint64_t)p->seed * 0x100000001B3ull + (uint64_t)idx * 0x9E3779B97F4A7C15ull};
    struct cell_model m;
    make_cell(&m, idx, p, &rng);
    long total = (long)(m.life * 1.6) + 20;
    if (total < m.observed)
        total = m.observed;
    double *q = cp_malloc((size_t)total * sizeof(double));
    double *temp = cp_malloc((size_t)total * sizeof(double));
    int rc = -1;
    if (!q || !temp)
        goto cleanup;
    for (long n = 1; n <= total; n++) {
        temp[n - 1] = m.temp + 0.3 * normal(&rng);
        q[n - 1] = measured_q(&m, n, temp[n - 1], &rng);
    }
    char id[32];
    snprintf(id, sizeof(id), "cell-%04ld", idx + 1);
    int64_t start = (int64_t)(1672531200 + (int64_t)(idx * 86400L * 37 % (3 * 365 * 86400L)));
    long eol = true_eol(q, total);
    if (emit_cell(ds->cycles, c, id, idx, &m, q, temp, start, &rng) < 0 ||
        add_cell_meta(ds->cells, id, idx, &m, start, &rng) < 0 ||
        (truth && add_truth(truth, id, &m, eol) < 0))
        goto cleanup;
    rc = 0;
cleanup:
    cp_free(q);
    cp_free(temp);
    return rc;
}

int cp_sample_generate(const struct cp_sample_params *p, struct cp_dataset *ds,
                       struct cp_table *truth, struct cp_error *err)
{
    struct cols c;
    find_cols(ds->cycles, &c);
    for (long i = 0; i < p->cells; i++)
        if (sample_cell(i, p, ds, truth, &c) < 0)
            return cp_error_oom(err);
    return cp_dataset_add_input(ds, "sample", "", 0, "sample", (long long)ds->cycles->nrows, err);
}

static int sample_load(const struct cp_config *cfg, struct cp_dataset *ds, struct cp_error *err)
{
    struct cp_sample_params p = {cfg->source.seed, cfg->source.cells, cfg->source.cycles,
                                 cfg->source.life_spread};
    return cp_sample_generate(&p, ds, NULL, err);
}

const struct cp_source_ops cp_source_sample = {
    .name = "sample", .kind = CP_SOURCE_SAMPLE, .load = sample_load};

/* --- writing the lab as files (Battery Archive style) --- */

static const char *const ba_headers[][2] = {
    {"cycle_index", "Cycle_Index"},
    {"start_time", "Start_Time"},
    {"test_time_s", "Test_Time (s)"},
    {"i_min", "Min_Current (A)"},
    {"i_max", "Max_Current (A)"},
    {"v_min", "Min_Voltage (V)"},
    {"v_max", "Max_Voltage (V)"},
    {"charge_capacity_ah", "Charge_Capacity (Ah)"},
    {"discharge_capacity_ah", "Discharge_Capacity (Ah)"},
    {"charge_energy_wh", "Charge_Energy (Wh)"},
    {"discharge_energy_wh", "Discharge_Energy (Wh)"},
    {"v_charge_mean", "v_charge_mean"},
    {"v_discharge_mean", "v_discharge_mean"},
    {"temperature_avg_c", "temperature_avg_c"},
    {"temperature_max_c", "temperature_max_c"},
    {"internal_resistance_ohm", "internal_resistance_ohm"},
};
#define NBA (sizeof(ba_headers) / sizeof(ba_headers[0]))

static int write_cell_file(const struct cp_table *cy, size_t from, size_t to, const char *dir,
                           const char *id, struct cp_error *err)
{
    struct cp_strbuf sb, name;
    cp_strbuf_init(&sb);
    cp_strbuf_init(&name);
    int col[NBA], rc = 0;
    for (size_t k = 0; k < NBA; k++) {
        col[k] = cp_table_find(cy, ba_headers[k][0]);
        rc |= cp_strbuf_addf(&sb, "%s%s", k ? "," : "", ba_headers[k][1]);
    }
    rc |= cp_strbuf_addch(&sb, '\n');
    for (size_t r = from; r < to && rc == 0; r++) {
        for (size_t k = 0; k < NBA && rc == 0; k++)
            rc = (k ? cp_strbuf_addch(&sb, ',') : 0) | cp_table_format_cell(cy, col[k], r, &sb);
        rc |= cp_strbuf_addch(&sb, '\n');
    }
    rc |= cp_strbuf_addf(&name, "%s/%s_cycle_data.csv", dir, id);
    if (rc < 0)
        rc = cp_error_oom(err);
    else if (cp_fs_write_atomic(name.buf, sb.buf, sb.len) < 0)
        rc = cp_error_errno(err, CP_ECANTCREAT, "cannot write '%s'", name.buf);
    cp_strbuf_release(&sb);
    cp_strbuf_release(&name);
    return rc;
}

int cp_sample_write(const struct cp_dataset *ds, const struct cp_table *truth, const char *dir,
                    struct cp_error *err)
{
    if (cp_fs_mkdirs(dir) < 0)
        return cp_error_errno(err, CP_ECANTCREAT, "cannot create '%s'", dir);
    char **id = cp_table_str(ds->cycles, "cell_id");
    size_t from = 0;
    for (size_t r = 1; r <= ds->cycles->nrows; r++) {
        if (r < ds->cycles->nrows && strcmp(id[r], id[from]) == 0)
            continue;
        int rc = write_cell_file(ds->cycles, from, r, dir, id[from], err);
        if (rc < 0)
            return rc;
        from = r;
    }
    char *cells = cp_path_join(dir, "cells.csv");
    char *tr = cp_path_join(dir, "truth.csv");
    int rc = 0;
    if (!cells || !tr)
        rc = cp_error_oom(err);
    else if (cp_table_write_csv(ds->cells, cells) < 0 ||
             (truth && cp_table_write_csv(truth, tr) < 0))
        rc = cp_error_errno(err, CP_ECANTCREAT, "cannot write into '%s'", dir);
    cp_free(cells);
    cp_free(tr);
    return rc;
}
