/*
 * Neware .ndax (BTS client 8): a zip of XML settings and .ndc tables, read with libzip, each
 * table streamed page by page (memory does not grow with the file). Supported: ndc version 14
 * (byte 2 of each table; byte 0 is its kind). Every .ndc is 4096-byte pages, the first a file
 * header; a page holds fixed-size rows from byte 132, and a bitmask at byte 4 (bit k of the
 * page: row k is written). The tables:
 *  - data.ndc (kind 1): voltage V f32, current A f32 per row; row number (from 1, over all
 *    slots) is the record index;
 *  - data_runInfo.ndc (kind 18, 55-byte rows): step time ms u32, 1 byte, charge/discharge
 *    capacity Ah and energy Wh f32, 8 bytes, sampling interval ms i32, Unix time s u32, step
 *    counter u32, record index u32, ms i16, 8 bytes. Only some records have a row (BTS logs
 *    the rest as V/I only): those take the last row's values advanced by its interval, with the
 *    counters integrated from the current, as BTSDA does;
 *  - data_step.ndc (kind 7, 37-byte rows): cycle-1 u32, step index u32 of each step, in the
 *    order steps happen (the runInfo step counter numbers them);
 *  - data_AUX_<chl>_<a>_<b>.ndc (kind 5, f32 rows by record): the first is temperature_c.
 * A container with no record is read as a cell with no cycles (BTS writes one for a test that
 * never ran). See docs/readers.md.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/ndapoint.h"

/* NDC_BATCH pages are inflated per read: libzip's per-call overhead is paid once per batch. */
enum { NDC_PAGE = 4096, NDC_DATA = 132, NDC_VERSION = 14, NDC_BATCH = 16 };

struct ndc {
    const char *path, *name;
    zip_file_t *zf;
    unsigned char buf[NDC_PAGE * NDC_BATCH];
    const unsigned char *page; /* the current page, in buf */
    size_t filled, next;       /* bytes in buf, offset of the next page in it */
    size_t rowsize, nrows;     /* per page */
    size_t row;                /* next row of the page */
    long long slot;            /* slots passed so far (all pages), the current row's number */
    long long valid;           /* written rows passed so far */
    long long offset;          /* bytes of the entry read */
    int have_page, eof;
};

static uint32_t u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static float f32(const unsigned char *p)
{
    uint32_t v = u32(p);
    float f;
    memcpy(&f, &v, sizeof(f));
    return f;
}

static int ndc_bad(const struct ndc *t, long long off, const char *what, struct cp_error *err)
{
    return cp_error_set(err, CP_EDATA, "%s: %s byte %lld: %s", t->path, t->name, off, what);
}

/* Inflate up to a batch of pages into t->buf: bytes read, negative on error. */
static zip_int64_t ndc_fill(struct ndc *t, struct cp_error *err)
{
    zip_int64_t got = 0;
    while (got < (zip_int64_t)sizeof(t->buf)) {
        zip_int64_t n = zip_fread(t->zf, t->buf + got, (zip_uint64_t)(sizeof(t->buf) - got));
        if (n < 0) {
            if (zip_error_code_zip(zip_file_get_error(t->zf)) == ZIP_ER_MEMORY)
                return cp_error_oom(err);
            char msg[160];
            snprintf(msg, sizeof(msg), "damaged archive entry (%s)",
                     zip_error_strerror(zip_file_get_error(t->zf)));
            return ndc_bad(t, t->offset + got, msg, err);
        }
        if (n == 0)
            break;
        got += n;
    }
    return got;
}

/* The next page in t->page: 1, 0 at the end of the entry, negative on error. */
static int ndc_page(struct ndc *t, struct cp_error *err)
{
    if (t->next >= t->filled) {
        zip_int64_t got = ndc_fill(t, err);
        if (got < 0)
            return (int)got;
        t->filled = (size_t)got;
        t->next = 0;
    }
    size_t left = t->filled - t->next;
    if (left == 0)
        return 0;
    if (left < NDC_PAGE)
        return ndc_bad(t, t->offset, "truncated page (expected 4096 bytes)", err);
    t->page = t->buf + t->next;
    t->next += NDC_PAGE;
    t->offset += NDC_PAGE;
    return 1;
}

/* Open entry `name` (kind and version checked); 0, 1 when the archive has no such entry. */
static int ndc_open(struct ndc *t, zip_t *za, const char *path, const char *name, int kind,
                    size_t rowsize, struct cp_error *err)
{
    memset(t, 0, sizeof(*t));
    t->path = path;
    t->name = name;
    t->rowsize = rowsize;
    t->nrows = (NDC_PAGE - NDC_DATA - 1) / rowsize;
    t->zf = zip_fopen(za, name, 0);
    if (!t->zf)
        return 1;
    int rc = ndc_page(t, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return ndc_bad(t, 0, "empty table (expected a 4096-byte header page)", err);
    if (t->page[0] != kind || t->page[2] != NDC_VERSION) {
        char msg[128];
        snprintf(msg, sizeof(msg),
                 "ndc kind %d version %d not supported (expected kind %d, "
                 "version %d)",
                 t->page[0], t->page[2], kind, NDC_VERSION);
        return ndc_bad(t, 0, msg, err);
    }
    return 0;
}

static void ndc_close(struct ndc *t)
{
    if (t->zf)
        zip_fclose(t->zf);
    t->zf = NULL;
}

/* The next written row (*row), its slot number in t->slot. 1, 0 at the end, negative. */
static int ndc_next(struct ndc *t, const unsigned char **row, struct cp_error *err)
{
    for (;;) {
        if (t->eof)
            return 0;
        if (!t->have_page || t->row == t->nrows) {
            int rc = ndc_page(t, err);
            if (rc <= 0) {
                t->eof = 1;
                return rc;
            }
            t->have_page = 1;
            t->row = 0;
        }
        size_t k = t->row++;
        t->slot++;
        if (t->page[4 + k / 8] >> (k % 8) & 1) {
            t->valid++;
            *row = t->page + NDC_DATA + k * t->rowsize;
            return 1;
        }
    }
}

/* The state the runInfo and step tables give each record. */
struct ndax_run {
    struct ndc main, info, step, aux;
    int has_info, has_step, has_aux;
    const unsigned char *info_row; /* next runInfo row not yet used, NULL at the end */
    int64_t info_index;
    /* last runInfo row applied */
    double step_time, stamp, qc, qd, ec, ed, dt;
    uint32_t raw_count;
    int64_t step_count, cycle, step_index;
    double cdt, inc_q, inc_e;
};

static int info_advance(struct ndax_run *r, struct cp_error *err)
{
    const unsigned char *row;
    int rc;
    /* BTS repeats some runInfo rows: the first of an index counts */
    do {
        rc = ndc_next(&r->info, &row, err);
        if (rc <= 0) {
            r->info_row = NULL;
            return rc;
        }
    } while (r->info_row && (int64_t)u32(row + 41) <= r->info_index);
    r->info_row = row;
    r->info_index = u32(row + 41);
    return 0;
}

/* Step counter n (from 1): cycle and step index from the n-th row of the step table. */
static int step_to(struct ndax_run *r, int64_t n, struct cp_error *err)
{
    while (r->has_step && r->step.valid < n) {
        const unsigned char *row;
        int rc = ndc_next(&r->step, &row, err);
        if (rc < 0)
            return rc;
        if (rc == 0)
            break;
        r->cycle = (int64_t)u32(row) + 1;
        r->step_index = u32(row + 4);
    }
    return 0;
}

static int apply_info(struct ndax_run *r, const unsigned char *row, struct cp_error *err)
{
    r->step_time = u32(row) / 1000.0;
    r->qc = f32(row + 5);
    r->qd = f32(row + 9);
    r->ec = f32(row + 13);
    r->ed = f32(row + 17);
    r->dt = (int32_t)u32(row + 29) / 1000.0;
    r->stamp = u32(row + 33) + (int16_t)(row[45] | row[46] << 8) / 1000.0;
    uint32_t count = u32(row + 37);
    if (r->step_count == 0 || count != r->raw_count)
        r->step_count++;
    r->raw_count = count;
    r->cdt = r->inc_q = r->inc_e = 0;
    return step_to(r, r->step_count, err);
}

/* One record of data.ndc with its runInfo values (own row, or the last advanced). */
static int ndax_record(struct ndax_run *r, const unsigned char *row, struct cp_nda_rec *o,
                       struct cp_error *err)
{
    cp_nda_rec_clear(o);
    o->index = r->main.slot;
    o->voltage_v = f32(row);
    o->current_a = f32(row + 4);
    while (r->info_row && r->info_index < o->index) {
        int rc = info_advance(r, err);
        if (rc < 0)
            return rc;
    }
    double ma = o->current_a * 1000;
    if (r->info_row && r->info_index == o->index) {
        int rc = apply_info(r, r->info_row, err);
        if (rc == 0)
            rc = info_advance(r, err);
        if (rc < 0)
            return rc;
    } else if (r->step_count > 0) {
        r->cdt += r->dt;
        r->inc_q += r->dt * ma / 3600; /* mAh */
        r->inc_e += r->dt * ma * o->voltage_v / 3600;
    }
    o->cycle = r->cycle ? r->cycle : 1;
    o->step = r->step_index;
    o->step_count = r->step_count;
    if (r->step_count == 0)
        return 0; /* before the first runInfo row: no time or counters to give */
    o->step_time_s = r->step_time + r->cdt;
    o->stamp = r->stamp + r->cdt;
    o->charge_ah = (1000 * fabs(r->qc) + (r->inc_q > 0 ? r->inc_q : 0)) / 1000;
    o->discharge_ah = (1000 * fabs(r->qd) - (r->inc_q < 0 ? r->inc_q : 0)) / 1000;
    o->charge_wh = (1000 * fabs(r->ec) + (r->inc_e > 0 ? r->inc_e : 0)) / 1000;
    o->discharge_wh = (1000 * fabs(r->ed) - (r->inc_e < 0 ? r->inc_e : 0)) / 1000;
    return 0;
}

static int aux_value(struct ndax_run *r, struct cp_nda_rec *o, struct cp_error *err)
{
    if (!r->has_aux)
        return 0;
    const unsigned char *row;
    int rc = ndc_next(&r->aux, &row, err);
    if (rc > 0)
        o->temperature_c = f32(row);
    return rc < 0 ? rc : 0;
}

/* The first aux table by its channel numbers (data_AUX_<chl>_<a>_<b>.ndc), "" when none. */
static void first_aux(zip_t *za, char *name, size_t n)
{
    long best[3] = {0, 0, 0};
    name[0] = '\0';
    zip_int64_t count = zip_get_num_entries(za, 0);
    for (zip_int64_t i = 0; i < count; i++) {
        const char *e = zip_get_name(za, (zip_uint64_t)i, 0);
        long v[3];
        if (!e || sscanf(e, "data_AUX_%ld_%ld_%ld.ndc", &v[0], &v[1], &v[2]) != 3)
            continue;
        int less = !name[0] || v[0] < best[0] || (v[0] == best[0] && v[1] < best[1]) ||
                   (v[0] == best[0] && v[1] == best[1] && v[2] < best[2]);
        if (less && strlen(e) < n) {
            memcpy(best, v, sizeof(best));
            snprintf(name, n, "%s", e);
        }
    }
}

/* "BTS Client 8.0.0.478(2024.06.24)" from VersionInfo.xml, into the dialect. */
static void ndax_dialect(zip_t *za, struct cp_reader_out *out)
{
    char buf[8192] = "";
    zip_file_t *f = zip_fopen(za, "VersionInfo.xml", 0);
    if (f) {
        zip_int64_t n = zip_fread(f, buf, sizeof(buf) - 1);
        buf[n > 0 ? n : 0] = '\0';
        zip_fclose(f);
    }
    const char *key = "CurrClientVer=\"", *v = strstr(buf, key);
    size_t len = 0;
    if (v) {
        v += strlen(key);
        len = strcspn(v, "\"(");
    }
    snprintf(out->dialect, sizeof(out->dialect), "ndax ndc %d%s%.*s", NDC_VERSION, len ? ", " : "",
             (int)len, v ? v : "");
}

static int ndax_open_tables(struct ndax_run *r, zip_t *za, const char *path, struct cp_error *err)
{
    static char aux[128];
    int rc = ndc_open(&r->main, za, path, "data.ndc", 1, 8, err);
    if (rc == 1)
        return cp_error_set(err, CP_EDATA,
                            "%s: byte 0: no data.ndc in the archive (expected a Neware .ndax)",
                            path);
    if (rc == 0)
        rc = ndc_open(&r->info, za, path, "data_runInfo.ndc", 18, 55, err);
    if (rc == 1)
        return cp_error_set(err, CP_EDATA,
                            "%s: byte 0: no data_runInfo.ndc in the archive (expected the "
                            "record times of ndc version 14)",
                            path);
    r->has_info = 1;
    if (rc == 0)
        rc = ndc_open(&r->step, za, path, "data_step.ndc", 7, 37, err);
    r->has_step = rc == 0;
    if (rc == 1)
        rc = 0;
    first_aux(za, aux, sizeof(aux));
    if (rc == 0 && aux[0]) {
        rc = ndc_open(&r->aux, za, path, aux, 5, 4, err);
        r->has_aux = rc == 0;
        if (rc == 1)
            rc = 0;
    }
    if (rc == 0)
        rc = info_advance(r, err);
    return rc;
}

static int ndax_stream(struct ndax_run *r, zip_t *za, const char *path, struct cp_reader_out *out,
                       struct cp_error *err)
{
    int rc = ndax_open_tables(r, za, path, err);
    if (rc < 0)
        return rc;
    struct cp_nda_sink s;
    rc = cp_nda_sink_open(&s, path, out, err);
    if (rc < 0)
        return rc;
    const unsigned char *row;
    struct cp_nda_rec rec;
    while (rc == 0) {
        int got = ndc_next(&r->main, &row, err);
        if (got <= 0) {
            rc = got;
            break;
        }
        rc = ndax_record(r, row, &rec, err);
        if (rc == 0)
            rc = aux_value(r, &rec, err);
        if (rc == 0)
            rc = cp_nda_sink_push(&s, &rec, err);
    }
    return cp_nda_sink_close(&s, rc, err);
}

static int ndax_read(const char *path, struct cp_reader_out *out, struct cp_error *err)
{
    int zerr = 0;
    zip_t *za = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
    if (!za && zerr == ZIP_ER_MEMORY)
        return cp_error_oom(err);
    if (!za) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, zerr);
        int missing = zerr == ZIP_ER_NOENT || zerr == ZIP_ER_OPEN;
        int rc = cp_error_set(err, missing ? CP_ENOINPUT : CP_EDATA,
                              "%s: byte 0: damaged or not a zip archive (expected a Neware "
                              ".ndax: %s)",
                              path, zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return rc;
    }
    ndax_dialect(za, out);
    struct ndax_run *r = cp_calloc(1, sizeof(*r));
    int rc = r ? ndax_stream(r, za, path, out, err) : cp_error_oom(err);
    if (r) {
        ndc_close(&r->main);
        ndc_close(&r->info);
        ndc_close(&r->step);
        ndc_close(&r->aux);
        cp_free(r);
    }
    zip_discard(za);
    return rc;
}

/* needle in the first len bytes (which may hold NUL bytes) */
static int head_has(const char *head, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (head[i] == needle[0] && memcmp(head + i, needle, n) == 0)
            return 1;
    return 0;
}

static int ndax_sniff(const char *path, const char *head, size_t len)
{
    if (len < 4 || memcmp(head, "PK\3\4", 4) != 0)
        return 0;
    size_t n = strlen(path);
    if (n > 5 && strcmp(path + n - 5, ".ndax") == 0)
        return 95;
    /* a renamed .ndax: its entries' names are in the local headers */
    return head_has(head, len, "VersionInfo.xml") && head_has(head, len, "data.ndc") ? 90 : 0;
}

static const char *const ndax_dialects[] = {"ndax ndc 14", NULL};

const struct cp_reader_ops cp_reader_ndax = {
    .name = "ndax",
    .description = "Neware .ndax archives (BTS client 8, ndc version 14)",
    .flags = CP_READER_BINARY,
    .dialects = ndax_dialects,
    .sniff = ndax_sniff,
    .read = ndax_read,
};
