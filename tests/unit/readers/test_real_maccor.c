/*
 * Every Maccor export under $CELLPIPE_REAL_DATA, read through the registry. Two kinds of
 * oracle: the values the files' original projects assert (galvanolab's tests/test_maccor.py,
 * DiffCapAnalyzer's rows, as SOURCE.md quotes them), and per-cycle figures recomputed here
 * from the raw columns by a parser of this test's own (rows, cycles, voltage range, and the
 * capacity as the sum over the step runs of the step's largest Amp-hr / Cap. [Ah] by
 * direction: Maccor resets the counter each step). A file whose folder is absent is skipped by
 * name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cellpipe/ts.h"
#include "harness.h"
#include "rdtest.h"

static struct cp_strbuf sb;

/* ---- the test's own reading of a Maccor table ---- */

#define MAXF 64
#define MAXC 64

struct oracle {
    long rows;
    int ncycles;
    long long cycle[MAXC];
    double vmin[MAXC], vmax[MAXC], qc[MAXC], qd[MAXC];
};

static int col_of(char **f, int n, const char *const *names)
{
    for (int i = 0; i < n; i++)
        for (const char *const *m = names; *m; m++)
            if (strcmp(f[i], *m) == 0)
                return i;
    return -1;
}

static int split(char *line, char d, char **f)
{
    int n = 0;
    for (char *p = line;; p++) {
        f[n++] = p;
        p = strchr(p, d);
        if (!p || n == MAXF)
            break;
        *p = '\0';
    }
    for (int i = 0; i < n; i++) {
        char *e = f[i] + strlen(f[i]);
        while (e > f[i] && (e[-1] == '\r' || e[-1] == '\n'))
            *--e = '\0';
    }
    return n;
}

static double num(const char *s)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "%s", s);
    for (char *p = buf; *p; p++)
        if (*p == ',')
            *p = '.';
    return strtod(buf, NULL);
}

static int cycle_slot(struct oracle *o, long long c)
{
    for (int i = 0; i < o->ncycles; i++)
        if (o->cycle[i] == c)
            return i;
    int i = o->ncycles++;
    o->cycle[i] = c;
    o->vmin[i] = INFINITY;
    o->vmax[i] = -INFINITY;
    o->qc[i] = o->qd[i] = 0;
    return i;
}

struct cols {
    int cyc, step, q, state, amps, volts;
};

static int find_cols(char **f, int n, struct cols *c)
{
    static const char *const cyc[] = {"Cyc#", "Cycle C", NULL}, *const step[] = {"Step", NULL},
                             *const q[] = {"Amp-hr", "Cap. [Ah]", "Capacity", NULL},
                             *const st[] = {"State", "Md", NULL},
                             *const a[] = {"Amps", "Current [A]", "Current", NULL},
                             *const v[] = {"Volts", "Voltage [V]", "Voltage", NULL};
    c->cyc = col_of(f, n, cyc);
    c->step = col_of(f, n, step);
    c->q = col_of(f, n, q);
    c->state = col_of(f, n, st);
    c->amps = col_of(f, n, a);
    c->volts = col_of(f, n, v);
    return c->cyc >= 0 && c->step >= 0 && c->q >= 0 && c->amps >= 0 && c->volts >= 0;
}

/* +1 charge, -1 discharge, 0 neither: the state letter, else the current's sign. */
static int direction(char **f, const struct cols *c)
{
    if (c->state >= 0 && strcmp(f[c->state], "C") == 0)
        return 1;
    if (c->state >= 0 && strcmp(f[c->state], "D") == 0)
        return -1;
    if (c->state >= 0 && strcmp(f[c->state], "R") == 0)
        return 0;
    double i = num(f[c->amps]);
    return i > 1e-9 ? 1 : i < -1e-9 ? -1 : 0;
}

/* One step run ends: its largest counter value goes to its cycle and direction. */
static void close_run(struct oracle *o, int slot, int dir, double runmax)
{
    if (slot < 0 || dir == 0)
        return;
    if (dir > 0)
        o->qc[slot] += runmax;
    else
        o->qd[slot] += runmax;
}

static int compute(const char *path, struct oracle *o)
{
    memset(o, 0, sizeof(*o));
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return -1;
    static char line[1 << 16];
    char *f[MAXF];
    struct cols c;
    char d = 0;
    int slot = -1, dir = 0;
    long long run_cyc = -1, run_step = -1;
    double runmax = 0;
    while (fgets(line, sizeof(line), fp)) {
        char *s = strncmp(line, "\xEF\xBB\xBF", 3) == 0 ? line + 3 : line;
        if (!d) {
            if (strncmp(s, "Rec", 3) != 0)
                continue;
            d = strchr(s, '\t') ? '\t' : ',';
            if (!find_cols(f, split(s, d, f), &c))
                break;
            continue;
        }
        if (s[0] == '\r' || s[0] == '\n' || s[0] == '\0')
            continue;
        int n = split(s, d, f);
        if (n <= c.volts)
            continue;
        o->rows++;
        long long cyc = atoll(f[c.cyc]), step = atoll(f[c.step]);
        int rdir = direction(f, &c);
        if (cyc != run_cyc || step != run_step || rdir != dir) {
            close_run(o, slot, dir, runmax);
            runmax = 0;
            run_cyc = cyc;
            run_step = step;
            dir = rdir;
        }
        slot = cycle_slot(o, cyc);
        double v = num(f[c.volts]), q = fabs(num(f[c.q]));
        o->vmin[slot] = fmin(o->vmin[slot], v);
        o->vmax[slot] = fmax(o->vmax[slot], v);
        runmax = fmax(runmax, q);
    }
    close_run(o, slot, dir, runmax);
    fclose(fp);
    return d ? 0 : -1;
}

/* The reader's value against the recomputed one: NaN when nothing moved (below 1 nAh). */
static void check_q(double got, double want)
{
    if (want < 1e-9)
        CHECK(isnan(got));
    else
        CHECK(fabs(got - want) <= 1e-9 * fmax(1, want));
}

static void check_file(const char *rel)
{
    char path[1024];
    if (!rd_real(rel, path, sizeof(path))) {
        SKIP(rel, "no real data");
        return;
    }
    struct oracle o;
    CHECK_INT(compute(path, &o), 0);
    if (getenv("RD_DEBUG"))
        fprintf(stderr, "%s: %ld rows, %d cycles, cycle %lld qc %.10g qd %.10g\n", rel, o.rows,
                o.ncycles, o.cycle[0], o.qc[0], o.qd[0]);
    struct rd r;
    rd_read(&r, path);
    CHECK_INT(r.rc, 0);
    CHECK_STR(rd_format(&r), "maccor");
    CHECK(strncmp(r.out.dialect, "maccor: ", 8) == 0);
    if (getenv("RD_DEBUG"))
        fprintf(stderr, "  %s\n", r.out.dialect);
    CHECK_INT(r.out.rows_read, o.rows);
    CHECK_INT(r.cycles->nrows, o.ncycles);
    for (int i = 0; i < o.ncycles; i++) {
        CHECK_NEAR(rd_get(&r, o.cycle[i], "v_min"), o.vmin[i], 1e-12);
        CHECK_NEAR(rd_get(&r, o.cycle[i], "v_max"), o.vmax[i], 1e-12);
        check_q(rd_get(&r, o.cycle[i], "charge_capacity_ah"), o.qc[i]);
        check_q(rd_get(&r, o.cycle[i], "discharge_capacity_ah"), o.qd[i]);
    }
    rd_free(&r);
}

TEST(every_maccor_file_against_its_raw_columns)
{
    static const char *const files[] = {
        "beep/maccor/PreDiag_000229_000229_truncated.034",
        "beep/maccor/PredictionDiagnostics_000109_tztest.010",
        "beep/maccor/PredictionDiagnostics_000151_test.052",
        "beep/maccor/xTESLADIAG_000019_CH70.070",
        "beep/maccor/xTESLADIAG_000038test.078",
        "beep/maccor/maccor_test_file_4267-66-6519.041",
        "galvanolab/maccor/20210407_Pg19-8_form_4cycles.008.txt",
        "galvanolab/maccor/cell4_dschrg_1mm.005.txt",
        "diffcapanalyzer/maccor/example_data.csv",
        "battdat/maccor/maccor_example.001",
        "battdat/maccor/maccor_example.002",
        "pyprobe/sample_data_maccor.csv",
    };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        check_file(files[i]);
}

/* ---- the oracles of the original projects, through the on_point hook ---- */

#define MAXP 1024

struct points {
    long n;
    struct cp_ts_point p[MAXP];
};

static int keep_point(void *ctx, const char *cell, const struct cp_ts_point *p,
                      struct cp_error *err)
{
    (void)cell;
    (void)err;
    struct points *pts = ctx;
    if (pts->n < MAXP)
        pts->p[pts->n] = *p;
    pts->n++;
    return 0;
}

static struct points pts;

static int read_points(struct rd *r, const char *rel)
{
    char path[1024];
    if (!rd_real(rel, path, sizeof(path))) {
        SKIP(rel, "no real data");
        return 0;
    }
    memset(r, 0, sizeof(*r));
    r->cells = cp_table_new("cells");
    r->cycles = cp_table_new("cycles");
    cp_add_canonical_columns(r->cells, cp_cells_columns);
    r->out.cells = r->cells;
    r->out.cycles = r->cycles;
    r->out.on_point = keep_point;
    r->out.on_point_ctx = &pts;
    pts.n = 0;
    r->ops = cp_reader_detect(path, &r->err);
    r->rc = r->ops ? r->ops->read(path, &r->out, &r->err) : -1;
    return 1;
}

TEST(galvanolab_formation_oracle)
{
    struct rd r;
    if (!read_points(&r, "galvanolab/maccor/20210407_Pg19-8_form_4cycles.008.txt"))
        return;
    CHECK_INT(r.rc, 0);
    CHECK_INT(pts.n, 556);
    /* tests/test_maccor.py: first row current 0, potential 0.0172 V, time 0 */
    CHECK_NEAR(pts.p[0].current_a, 0.0, 0);
    CHECK_NEAR(pts.p[0].voltage_v, 0.0172, 1e-12);
    CHECK_NEAR(pts.p[0].test_time_s, 0.0, 0);
    /* Rec 3076 (the last row, the only D row): -0.00039994 A, 3.1588 V, 878.778333 min */
    const struct cp_ts_point *last = &pts.p[555];
    CHECK_NEAR(last->current_a, -0.00039994, 1e-15);
    CHECK_NEAR(last->voltage_v, 3.1588, 1e-12);
    CHECK_NEAR(last->test_time_s, 878.778333 * 60, 1e-6);
    CHECK(strstr(r.out.dialect, "13-line Name/Channel header") != NULL);
    CHECK(strstr(r.out.dialect, "TestTime minutes") != NULL);
    CHECK(strstr(r.out.dialect, "12-hour DPT Time") != NULL);
    /* Started 4/7/2021 4:14:13 PM; DPT Time of row 1 is the same instant */
    CHECK_NEAR(rd_get(&r, 1, "start_time"), 1617812053, 0);
    CHECK_STR(rd_meta(&r, "channel", &sb), "8");
    CHECK_STR(rd_meta(&r, "procedure", &sb), "LBSRP_tomo2mm_formation_and_cycling.000");
    rd_free(&r);
}

TEST(galvanolab_rest_oracle)
{
    struct rd r;
    if (!read_points(&r, "galvanolab/maccor/cell4_dschrg_1mm.005.txt"))
        return;
    CHECK_INT(r.rc, 0);
    CHECK_INT(pts.n, 10);
    CHECK_NEAR(pts.p[0].current_a, 0.0, 0);
    CHECK_NEAR(pts.p[7].test_time_s, 0.583333 * 60, 1e-6); /* Rec 8: 0.583333 min */
    CHECK_NEAR(pts.p[9].test_time_s, 0.75 * 60, 1e-6);     /* TestTime 0 ... 0.75 min */
    rd_free(&r);
}

TEST(diffcapanalyzer_rows)
{
    struct rd r;
    if (!read_points(&r, "diffcapanalyzer/maccor/example_data.csv"))
        return;
    CHECK_INT(r.rc, 0);
    CHECK_INT(pts.n, 99);
    /* first row 1,1,1,0,0,0,3,R,0; last 99,1,2,69.3,9.3,0.0000281,2.759,D,0.00005429 */
    CHECK_NEAR(pts.p[0].voltage_v, 3.0, 0);
    CHECK_NEAR(pts.p[98].test_time_s, 69.3, 1e-12);
    CHECK_NEAR(pts.p[98].voltage_v, 2.759, 1e-12);
    CHECK_NEAR(pts.p[98].current_a, -0.00005429, 1e-15); /* unsigned, Md = D */
    CHECK_NEAR(pts.p[98].discharge_ah, 0.0000281, 1e-15);
    CHECK(strstr(r.out.dialect, "no header") != NULL);
    rd_free(&r);
}

TEST(maccor_eis_still_refused)
{
    char path[1024];
    const char *rel = "beep/maccor/maccor_test_file_4267-66-6519.EDA0001.041";
    if (!rd_real(rel, path, sizeof(path))) {
        SKIP(rel, "no real data");
        return;
    }
    struct rd r;
    rd_read(&r, path);
    CHECK_STR(rd_format(&r), "maccor");
    CHECK_INT(r.rc, -CP_EDATA); /* exit 65 */
    CHECK(strstr(r.err.msg, "impedance") != NULL && strstr(r.err.msg, ":1: ") != NULL);
    rd_free(&r);
}

int main(void)
{
    cp_strbuf_init(&sb);
    RUN(every_maccor_file_against_its_raw_columns);
    RUN(galvanolab_formation_oracle);
    RUN(galvanolab_rest_oracle);
    RUN(diffcapanalyzer_rows);
    RUN(maccor_eis_still_refused);
    cp_strbuf_release(&sb);
    return DONE();
}
