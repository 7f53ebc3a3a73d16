/*
 * BioLogic .mpr binaries, impedance exports and Arbin .res files.
 *
 * Real data ($CELLPIPE_REAL_DATA/yadg, impedance_py; skipped by name when absent): each .mpr is
 * read next to EC-Lab's own .mpt export of the same run (read by the biologic text reader) and
 * every raw point (collected with out->on_point) and every per-cycle row must agree to 1e-5
 * relative; the en_US and de_DE exports of one run must give identical numbers. Row and cycle
 * counts and spot values come from the .mpt text (rows after "Nb header lines", the distinct
 * values of its "cycle number" column, its last row).
 *
 * Hand-made files (tests/data/readers/mpr_*, written by mpr_fixtures.py with values chosen
 * there; eis_*; res_*): decoding of both module layouts and one clear error with the byte
 * offset for each kind of damage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "cellpipe/ts.h"
#include "rdtest.h"

#define DATA "tests/data/readers/"
#define YADG "yadg/biologic/"

struct pts {
    struct cp_ts_point *p;
    size_t n, cap;
};

static int collect(void *ctx, const char *cell_id, const struct cp_ts_point *p,
                   struct cp_error *err)
{
    (void)cell_id;
    struct pts *s = ctx;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 256;
        void *q = realloc(s->p, cap * sizeof(*s->p));
        if (!q)
            return cp_error_oom(err);
        s->p = q;
        s->cap = cap;
    }
    s->p[s->n++] = *p;
    return 0;
}

/* rd_read with every raw point collected into s. */
static void read_pts(struct rd *r, const char *path, struct pts *s)
{
    memset(r, 0, sizeof(*r));
    memset(s, 0, sizeof(*s));
    r->cells = cp_table_new("cells");
    r->cycles = cp_table_new("cycles");
    r->curves = cp_table_new("curves");
    if (!r->cells || !r->cycles || !r->curves ||
        cp_add_canonical_columns(r->cells, cp_cells_columns) < 0) {
        r->rc = cp_error_oom(&r->err);
        return;
    }
    r->out.cells = r->cells;
    r->out.cycles = r->cycles;
    r->out.curves = r->curves;
    r->out.on_point = collect;
    r->out.on_point_ctx = s;
    r->ops = cp_reader_detect(path, &r->err);
    r->rc = r->ops ? r->ops->read(path, &r->out, &r->err) : -r->err.code;
}

static int same(double a, double b, double rel)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return fabs(a - b) <= rel * fabs(b) + 1e-15;
}

/* Point k of a and b agree (a from the .mpr, b from the .mpt). */
static int same_point(const struct cp_ts_point *a, const struct cp_ts_point *b, double rel)
{
    return a->cycle == b->cycle && a->step == b->step &&
           same(a->test_time_s, b->test_time_s, rel) && same(a->current_a, b->current_a, rel) &&
           same(a->voltage_v, b->voltage_v, rel) && same(a->charge_ah, b->charge_ah, rel) &&
           same(a->discharge_ah, b->discharge_ah, rel) && same(a->charge_wh, b->charge_wh, rel) &&
           same(a->discharge_wh, b->discharge_wh, rel) &&
           same(a->temperature_c, b->temperature_c, rel);
}

static void check_points(const struct pts *a, const struct pts *b, double rel)
{
    CHECK_INT(a->n, b->n);
    size_t bad = 0, first = 0;
    for (size_t k = 0; k < a->n && k < b->n; k++)
        if (!same_point(&a->p[k], &b->p[k], rel) && bad++ == 0)
            first = k;
    CHECK_INT(bad, 0);
    if (bad) {
        const struct cp_ts_point *x = &a->p[first], *y = &b->p[first];
        fprintf(stderr,
                "  point %zu: cycle %lld/%lld step %lld/%lld t %.17g/%.17g I %.17g/%.17g "
                "V %.17g/%.17g Qc %.17g/%.17g Qd %.17g/%.17g Ec %.17g/%.17g Ed %.17g/%.17g\n",
                first, (long long)x->cycle, (long long)y->cycle, (long long)x->step,
                (long long)y->step, x->test_time_s, y->test_time_s, x->current_a, y->current_a,
                x->voltage_v, y->voltage_v, x->charge_ah, y->charge_ah, x->discharge_ah,
                y->discharge_ah, x->charge_wh, y->charge_wh, x->discharge_wh, y->discharge_wh);
    }
}

/* Every numeric per-cycle column of b has the same values in a. */
static void check_cycles(const struct rd *a, const struct rd *b, double rel)
{
    CHECK_INT(a->cycles->nrows, b->cycles->nrows);
    CHECK_INT(a->cycles->ncols, b->cycles->ncols);
    for (size_t c = 0; c < b->cycles->ncols; c++) {
        const struct cp_column *col = &b->cycles->cols[c];
        if (col->type == CP_STR)
            continue;
        int ca = cp_table_find(a->cycles, col->name);
        T_REPORT(ca >= 0, "cycle column %s missing from the .mpr rows", col->name);
        for (size_t i = 0; ca >= 0 && i < b->cycles->nrows && i < a->cycles->nrows; i++) {
            double x = cp_table_get_num(a->cycles, ca, i);
            double y = cp_table_get_num(b->cycles, (int)c, i);
            T_REPORT(same(x, y, rel), "cycle row %zu %s: %.17g vs %.17g", i, col->name, x, y);
        }
    }
}

static void free_pts(struct pts *s)
{
    free(s->p);
    memset(s, 0, sizeof(*s));
}

/* The .mpr and the .mpt of one run: counts from the .mpt text, then point by point. */
static void mpr_vs_mpt(const char *stem, long rows, long cycles, const char *dialect)
{
    char mpr[1024], mpt[1024], rel[256];
    snprintf(rel, sizeof(rel), YADG "%s.mpr", stem);
    if (!rd_real(rel, mpr, sizeof(mpr))) {
        SKIP(rel, "no real data");
        return;
    }
    snprintf(rel, sizeof(rel), YADG "%s.mpt", stem);
    if (!rd_real(rel, mpt, sizeof(mpt))) {
        SKIP(rel, "no real data");
        return;
    }
    struct rd a, b;
    struct pts pa, pb;
    read_pts(&a, mpr, &pa);
    read_pts(&b, mpt, &pb);
    CHECK_INT(a.rc, 0);
    CHECK_INT(b.rc, 0);
    CHECK_STR(rd_format(&a), "mpr");
    CHECK_STR(rd_format(&b), "biologic");
    CHECK_STR(a.out.dialect, dialect);
    CHECK_INT(a.out.rows_read, rows);
    CHECK_INT(b.out.rows_read, rows);
    CHECK_INT(a.cycles->nrows, cycles);
    check_points(&pa, &pb, 1e-5);
    check_cycles(&a, &b, 1e-5);
    free_pts(&pa);
    free_pts(&pb);
    rd_free(&a);
    rd_free(&b);
}

#define OLD_LAYOUT "mpr, old module header (EC-Lab < 11.50)"
#define NEW_LAYOUT "mpr, new module header (EC-Lab 11.50)"

TEST(mpr_gcpl_149_new_layout)
{
    /* de_DE export: 132 rows after its 81 header lines, cycle number 0..3 */
    mpr_vs_mpt("gcpl.issue_149", 132, 4, NEW_LAYOUT);
}

TEST(mpr_gcpl_226_ece)
{
    mpr_vs_mpt("gcpl.issue_226.I", 15, 1, NEW_LAYOUT);
}

TEST(mpr_mb_95_old_layout)
{
    mpr_vs_mpt("mb.issue_95", 33, 1, OLD_LAYOUT);
}

/* Spot values from the last row of each .mpt, read through the .mpr. */
TEST(mpr_last_rows)
{
    char path[1024];
    if (!rd_real(YADG "mb.issue_95.mpr", path, sizeof(path))) {
        SKIP(YADG "mb.issue_95.mpr", "no real data");
        return;
    }
    struct rd r;
    struct pts s;
    read_pts(&r, path, &s);
    CHECK_INT(r.rc, 0);
    CHECK(s.n == 33);
    if (s.n == 33) {
        const struct cp_ts_point *p = &s.p[32];
        REL_NEAR(p->test_time_s, 30.00019924211665, 1e-12);
        REL_NEAR(p->voltage_v, 2.3260789, 1e-7);
        REL_NEAR(p->current_a, -64.980278e-3, 1e-7);
        REL_NEAR(p->discharge_ah, 1.805086487871806e-4, 1e-9); /* Q discharge/mA.h */
        CHECK_INT(p->step, 2);
    }
    free_pts(&s);
    rd_free(&r);
    if (!rd_real(YADG "gcpl.issue_149.mpr", path, sizeof(path)))
        return;
    read_pts(&r, path, &s);
    CHECK_INT(r.rc, 0);
    CHECK(s.n == 132);
    if (s.n == 132) {
        REL_NEAR(s.p[131].test_time_s, 659.9857963771647, 1e-12);
        CHECK_INT(s.p[131].cycle, 3);
    }
    free_pts(&s);
    rd_free(&r);
}

TEST(mpt_locales_agree)
{
    char en[1024], de[1024];
    if (!rd_real(YADG "mb.issue_95.mpt", en, sizeof(en)) ||
        !rd_real(YADG "mb.issue_95.de.mpt", de, sizeof(de))) {
        SKIP(YADG "mb.issue_95.de.mpt", "no real data");
        return;
    }
    struct rd a, b;
    struct pts pa, pb;
    read_pts(&a, en, &pa);
    read_pts(&b, de, &pb);
    CHECK_INT(a.rc, 0);
    CHECK_INT(b.rc, 0);
    CHECK_INT(pa.n, 33);
    check_points(&pa, &pb, 0);
    check_cycles(&a, &b, 0);
    free_pts(&pa);
    free_pts(&pb);
    rd_free(&a);
    rd_free(&b);
}

static void check_refused(const char *path, const char *format, const char *where)
{
    struct rd r;
    rd_read(&r, path);
    CHECK_INT(r.rc, -CP_EDATA);
    CHECK_STR(rd_format(&r), format);
    T_REPORT(strstr(r.err.msg, "impedance data, no cycling") != NULL, "message: %s", r.err.msg);
    T_REPORT(strstr(r.err.msg, where) != NULL, "'%s' not in: %s", where, r.err.msg);
    CHECK_INT(r.cycles->nrows, 0);
    rd_free(&r);
}

TEST(eis_real_refused)
{
    char path[1024];
    /* the PEIS column header is line 61 ("Nb header lines : 61"); Gamry says TAG EISPOT on 2 */
    if (rd_real("impedance_py/biologic/exampleDataBioLogic.mpt", path, sizeof(path)))
        check_refused(path, "eis", "exampleDataBioLogic.mpt:61:");
    else
        SKIP("impedance_py/biologic/exampleDataBioLogic.mpt", "no real data");
    if (rd_real("impedance_py/gamry/exampleDataGamry.DTA", path, sizeof(path)))
        check_refused(path, "eis", "exampleDataGamry.DTA:2:");
    else
        SKIP("impedance_py/gamry/exampleDataGamry.DTA", "no real data");
}

TEST(eis_fixtures_refused)
{
    check_refused(DATA "eis_gamry_galv.DTA", "eis", "eis_gamry_galv.DTA:2:");
    check_refused(DATA "eis_biologic_geis.mpt", "eis", "eis_biologic_geis.mpt:5:");
    check_refused(DATA "mpr_eis.mpr", "mpr", "mpr_eis.mpr: byte ");
}

/* mpr_fixtures.py OLD_ROWS: flags, Ns, time/s, Ewe/V, I/mA, Q charge/discharge/mA.h, half. */
TEST(mpr_old_small)
{
    struct rd r;
    struct pts s;
    read_pts(&r, DATA "mpr_old_small.mpr", &s);
    CHECK_INT(r.rc, 0);
    CHECK_STR(r.out.dialect, OLD_LAYOUT);
    CHECK_INT(r.out.rows_read, 6);
    CHECK(s.n == 6);
    if (s.n == 6) {
        CHECK_NEAR(s.p[1].current_a, 0.1, 1e-12);
        CHECK_NEAR(s.p[2].charge_ah, 0.5e-3, 1e-15);
        CHECK_NEAR(s.p[3].current_a, -0.05, 1e-12);
        CHECK_NEAR(s.p[4].discharge_ah, 0.25e-3, 1e-15);
        CHECK_NEAR(s.p[4].charge_ah, 0, 0);
        CHECK_INT(s.p[4].step, 2);
        CHECK_INT(s.p[4].cycle, 0); /* half cycles 0 and 1 make cycle 0 */
        CHECK_INT(s.p[5].cycle, 1);
        CHECK_NEAR(s.p[2].voltage_v, 3.75, 0);
        CHECK_NEAR(s.p[5].test_time_s, 50, 0);
    }
    CHECK_INT(r.cycles->nrows, 2);
    CHECK_NEAR(rd_get(&r, 0, "charge_capacity_ah"), 0.5e-3, 1e-12);
    CHECK_NEAR(rd_get(&r, 0, "discharge_capacity_ah"), 0.25e-3, 1e-12);
    CHECK_NEAR(rd_get(&r, 0, "v_max"), 3.75, 1e-12);
    free_pts(&s);
    rd_free(&r);
}

/* NEW_ROWS: no current column (derived from dq over the time step, as the .mpt export does),
 * no energy columns (sum of Ewe * dq over the cycle). */
TEST(mpr_new_small_derived)
{
    struct rd r;
    struct pts s;
    read_pts(&r, DATA "mpr_new_small.mpr", &s);
    CHECK_INT(r.rc, 0);
    CHECK_STR(r.out.dialect, NEW_LAYOUT);
    CHECK(s.n == 3);
    if (s.n == 3) {
        CHECK_NEAR(s.p[0].current_a, 0, 0);
        CHECK_NEAR(s.p[1].current_a, 0.1, 1e-12);    /* 1 mA.h in 36 s */
        CHECK_NEAR(s.p[2].current_a, 0.2, 1e-12);    /* 2 mA.h in 36 s */
        CHECK_NEAR(s.p[1].charge_wh, 3.5e-3, 1e-12); /* 3.5 V * 1 mA.h */
        CHECK_NEAR(s.p[2].charge_wh, 11.5e-3, 1e-12);
        CHECK_NEAR(s.p[2].charge_ah, 3e-3, 1e-15);
    }
    CHECK_NEAR(rd_get(&r, 0, "charge_energy_wh"), 11.5e-3, 1e-12);
    free_pts(&s);
    rd_free(&r);
}

static void check_error(const char *file, const char *const *needles)
{
    struct rd r;
    rd_read(&r, file);
    CHECK_INT(r.rc, -CP_EDATA);
    for (size_t k = 0; needles[k]; k++)
        T_REPORT(strstr(r.err.msg, needles[k]) != NULL, "%s: '%s' not in: %s", file, needles[k],
                 r.err.msg);
    rd_free(&r);
}

TEST(mpr_damaged)
{
    /* offsets: 52-byte file header, 57-byte old module headers, a 64-byte VMP Set */
    check_error(DATA "mpr_truncated.mpr",
                (const char *const[]){"mpr_truncated.mpr: byte 230", "truncated", NULL});
    check_error(DATA "mpr_unknown_column.mpr",
                (const char *const[]){"byte 253", "unknown column id 999", NULL});
    check_error(DATA "mpr_bad_version.mpr", (const char *const[]){"byte 218", "version 7", NULL});
    check_error(DATA "mpr_no_data.mpr", (const char *const[]){"no 'VMP data'", NULL});
    /* a wrong magic is no .mpr: detection refuses it as an unknown binary file */
    check_error(DATA "mpr_wrong_magic.mpr", (const char *const[]){"binary file", NULL});
    /* and the reader named by source.format says why */
    const struct cp_reader_ops *ops = cp_reader_find("mpr");
    CHECK(ops != NULL);
    if (ops) {
        struct rd r;
        rd_read(&r, DATA "empty.csv"); /* tables only */
        struct cp_error err = {0};
        int rc = ops->read(DATA "mpr_wrong_magic.mpr", &r.out, &err);
        CHECK_INT(rc, -CP_EDATA);
        T_REPORT(strstr(err.msg, "byte 0: not a BioLogic .mpr") != NULL, "%s", err.msg);
        rc = ops->read(DATA "nonexistent.mpr", &r.out, &err);
        CHECK_INT(rc, -CP_ENOINPUT);
        rd_free(&r);
    }
}

/* Every prefix of a good file fails cleanly (ASan/UBSan builds catch overreads). */
TEST(mpr_every_cut)
{
    FILE *f = fopen(DATA "mpr_old_small.mpr", "rb");
    CHECK(f != NULL);
    if (!f)
        return;
    unsigned char buf[4096];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    const struct cp_reader_ops *ops = cp_reader_find("mpr");
    char tmp[] = "/tmp/cp_mpr_cut_XXXXXX";
    int fd = mkstemp(tmp);
    CHECK(fd >= 0 && ops);
    if (fd < 0 || !ops)
        return;
    close(fd);
    /* a file cut just before its VMP LOG holds every point: the one cut that reads */
    size_t log_at = 0;
    for (size_t k = 0; k + 13 <= n; k++)
        if (memcmp(buf + k, "MODULEVMP LOG", 13) == 0)
            log_at = k;
    CHECK(log_at > 0);
    int failed_ok = 0, cuts = 0;
    for (size_t len = 0; len < n; len += len + 7 < log_at && len + 7 > log_at - 7 ? 1 : 7) {
        f = fopen(tmp, "wb");
        fwrite(buf, 1, len, f);
        fclose(f);
        struct rd r;
        rd_read(&r, DATA "empty.csv");
        struct cp_error err = {0};
        int rc = ops->read(tmp, &r.out, &err);
        cuts++;
        if (len == log_at)
            failed_ok += rc == 0 && r.out.rows_read == 6;
        else
            failed_ok += rc == -CP_EDATA && strstr(err.msg, "byte ") != NULL;
        rd_free(&r);
    }
    unlink(tmp);
    CHECK_INT(failed_ok, cuts);
}

/* Arbin .res: no Access file with tables can be written here, so only the error paths (see
 * res_fixtures.py; res_empty_access.res is a valid empty Access database); detection takes an
 * Access file for a .res. */
static void check_res_error(const char *file, const char *needle, int code)
{
    const struct cp_reader_ops *ops = cp_reader_find("arbin_res");
    CHECK(ops != NULL);
    if (!ops)
        return;
    struct rd r;
    rd_read(&r, DATA "empty.csv"); /* tables only */
    struct cp_error err = {0};
    int rc = ops->read(file, &r.out, &err);
    CHECK_INT(rc, -code);
    T_REPORT(strstr(err.msg, needle) != NULL, "%s: '%s' not in: %s", file, needle, err.msg);
    CHECK_INT(r.out.rows_read, 0);
    rd_free(&r);
}

TEST(res_damaged)
{
    check_res_error(DATA "res_not_access.res", "res_not_access.res: byte 4: not an MS Access",
                    CP_EDATA);
    check_res_error(DATA "res_truncated.res", "byte 0: truncated MS Access file", CP_EDATA);
    check_res_error(DATA "res_no_catalog.res", "byte 8192: unreadable MS Access catalog", CP_EDATA);
    check_res_error(DATA "nonexistent.res", "nonexistent.res", CP_ENOINPUT);
    check_res_error(DATA "res_empty_access.res",
                    "MS Access file without the Arbin tables: expected an Arbin .res with "
                    "Global_Table and Channel_Normal_Table",
                    CP_EDATA);
    struct rd r;
    rd_read(&r, DATA "res_no_catalog.res");
    CHECK_STR(rd_format(&r), "arbin_res");
    CHECK_INT(r.rc, -CP_EDATA);
    rd_free(&r);
    rd_read(&r, DATA "res_not_access.res");
    CHECK(r.ops == NULL); /* NUL bytes and no Jet header: an unknown binary file */
    rd_free(&r);
}

int main(void)
{
    RUN(mpr_gcpl_149_new_layout);
    RUN(mpr_gcpl_226_ece);
    RUN(mpr_mb_95_old_layout);
    RUN(mpr_last_rows);
    RUN(mpt_locales_agree);
    RUN(eis_real_refused);
    RUN(eis_fixtures_refused);
    RUN(mpr_old_small);
    RUN(mpr_new_small_derived);
    RUN(mpr_damaged);
    RUN(mpr_every_cut);
    RUN(res_damaged);
    return DONE();
}
