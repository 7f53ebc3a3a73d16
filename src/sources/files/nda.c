/*
 * Neware .nda binaries (BTS client exports of one channel), versions 8, 22 and 130 (BTS 9.1).
 * Header: "NEWARE" + a date (bytes 0-13), the layout version at byte 14. The records follow
 * the header back to back, little-endian, one fixed length per version:
 *  - 8 (59 bytes, from the first 0xff 01 00 00 00): kind (0 = record), index u32, cycle u32,
 *    step u8, type u8, step time s u32, voltage 0.1 mV i32, current uA i32, 8 bytes,
 *    capacity uAs i64 and energy uWs i64 (unsigned: the current's sign says the direction),
 *    Unix time u64, 4 bytes;
 *  - 22 (86 bytes, from the first 0xaa 00 01 00 00 00): kind (85 = record), 1 byte, index u32,
 *    cycle-1 u32, step u16, type u8, step count u8, step time ms u64, voltage 0.1 mV i32,
 *    current i32, 8 bytes, charge/discharge capacity and energy i64, Unix time u64, current
 *    range i32, 4 bytes; current and counters are in units of the range (cp_nda_range_scale);
 *  - 130 (BTS 9.1, byte 1024 = 0x55): records from byte 1024, their length is the distance to
 *    the next record's two-byte kind; kind u16, step u8, type u8, 4 bytes, index u32, total
 *    time s u32 + ns u32, current mA f32, voltage V f32, capacity mAs f32 and energy mWs f32
 *    (signed: negative is discharge), cycle-1 u32, 4 bytes, Unix time s u32 + ns u32, and
 *    the first aux temperature (degC f32) when the record has room for it.
 * Slots of another kind (footer, step summaries) are passed over; a record whose index does not
 * grow (BTS rewrites some) is dropped. Step time restarts each step: test time is the sum of
 * the previous steps' last step times plus this one (how BTSDA computes "Total Time"). The file
 * is read in blocks; memory does not grow with it. See docs/readers.md.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/ndapoint.h"

enum { NDA_HEAD = 1024, NDA_BLOCK = 4096 };

struct nda_layout {
    int version;
    const unsigned char *start; /* byte pattern the data begins with (NULL: at NDA_HEAD) */
    size_t start_len;
    size_t reclen;
    unsigned kind; /* record kind (first byte, or first two for 130) */
};

static uint32_t u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t u64(const unsigned char *p)
{
    return (uint64_t)u32(p) | (uint64_t)u32(p + 4) << 32;
}

static float f32(const unsigned char *p)
{
    uint32_t v = u32(p);
    float f;
    memcpy(&f, &v, sizeof(f));
    return f;
}

/* Version 8: unsigned counters, direction from the current. */
static void decode_v8(const unsigned char *r, struct cp_nda_rec *o)
{
    o->index = u32(r + 1);
    o->cycle = u32(r + 5);
    o->step = r[9];
    o->step_time_s = u32(r + 11);
    o->voltage_v = (int32_t)u32(r + 15) / 10000.0;
    double ma = (int32_t)u32(r + 19) / 1000.0;
    o->current_a = ma / 1000;
    double q = (double)(int64_t)u64(r + 31) / 3.6e9, e = (double)(int64_t)u64(r + 39) / 3.6e9;
    o->charge_ah = ma > 0 ? q : 0;
    o->discharge_ah = ma < 0 ? q : 0;
    o->charge_wh = ma > 0 ? e : 0;
    o->discharge_wh = ma < 0 ? e : 0;
    o->stamp = (double)u64(r + 47);
}

static void decode_v22(const unsigned char *r, struct cp_nda_rec *o)
{
    double scale = cp_nda_range_scale((int32_t)u32(r + 78)); /* mA per unit */
    o->index = u32(r + 2);
    o->cycle = (int64_t)u32(r + 6) + 1;
    o->step = r[10] | r[11] << 8;
    o->step_time_s = (double)u64(r + 14) / 1000;
    o->voltage_v = (int32_t)u32(r + 22) / 10000.0;
    o->current_a = (int32_t)u32(r + 26) * scale / 1000;
    /* counters: units of mA.s (mW.s) times the range's scale -> Ah (Wh) */
    o->charge_ah = (double)(int64_t)u64(r + 38) * scale / 3.6e6;
    o->discharge_ah = (double)(int64_t)u64(r + 46) * scale / 3.6e6;
    o->charge_wh = (double)(int64_t)u64(r + 54) * scale / 3.6e6;
    o->discharge_wh = (double)(int64_t)u64(r + 62) * scale / 3.6e6;
    o->stamp = (double)u64(r + 70);
}

static void decode_v130(const unsigned char *r, size_t len, struct cp_nda_rec *o)
{
    o->step = r[2];
    o->index = u32(r + 8);
    o->total_time_s = u32(r + 12) + u32(r + 16) / 1e9;
    o->current_a = f32(r + 20) / 1000.0;
    o->voltage_v = f32(r + 24);
    double q = f32(r + 28) / 3.6e6, e = f32(r + 32) / 3.6e6; /* mAs -> Ah */
    o->charge_ah = q > 0 ? q : 0;
    o->discharge_ah = q < 0 ? -q : 0;
    o->charge_wh = e > 0 ? e : 0;
    o->discharge_wh = e < 0 ? -e : 0;
    o->cycle = (int64_t)u32(r + 36) + 1;
    o->stamp = u32(r + 44) + u32(r + 48) / 1e9;
    if (len >= 56)
        o->temperature_c = f32(r + 52);
}

static void decode(const struct nda_layout *l, const unsigned char *r, struct cp_nda_rec *o)
{
    cp_nda_rec_clear(o);
    if (l->version == 8)
        decode_v8(r, o);
    else if (l->version == 22)
        decode_v22(r, o);
    else
        decode_v130(r, l->reclen, o);
}

static unsigned kind_of(const struct nda_layout *l, const unsigned char *r)
{
    return l->version == 130 ? (unsigned)(r[0] | r[1] << 8) : r[0];
}

/* Offset of the first occurrence of pat at or after from, or -1 (read error: -2). */
static long find_pattern(FILE *f, long from, const unsigned char *pat, size_t n)
{
    unsigned char buf[NDA_BLOCK + 16];
    size_t keep = 0;
    long base = from;
    if (fseek(f, from, SEEK_SET) != 0)
        return -2;
    for (;;) {
        size_t got = fread(buf + keep, 1, NDA_BLOCK, f);
        size_t have = keep + got;
        for (size_t i = 0; i + n <= have; i++)
            if (memcmp(buf + i, pat, n) == 0)
                return base + (long)i;
        if (got == 0)
            return ferror(f) ? -2 : -1;
        keep = have < n - 1 ? have : n - 1;
        memmove(buf, buf + have - keep, keep);
        base += (long)(have - keep);
    }
}

static int bad(struct cp_error *err, const char *path, long off, const char *what)
{
    return cp_error_set(err, CP_EDATA, "%s: byte %ld: %s", path, off, what);
}

/* The layout of the file's version, its data start in *start. */
static int nda_layout(FILE *f, const char *path, struct nda_layout *l, long *start,
                      struct cp_error *err)
{
    static const unsigned char s8[] = {0xff, 0x01, 0x00, 0x00, 0x00};
    static const unsigned char s22[] = {0xaa, 0x00, 0x01, 0x00, 0x00, 0x00};
    unsigned char h[NDA_HEAD + 2];
    size_t n = fread(h, 1, sizeof(h), f);
    if (n < 15 || memcmp(h, "NEWARE", 6) != 0)
        return bad(err, path, 0, "not a Neware .nda file (expected the magic \"NEWARE\")");
    memset(l, 0, sizeof(*l));
    l->version = h[14];
    if (l->version == 8 || l->version == 22) {
        l->start = l->version == 8 ? s8 : s22;
        l->start_len = l->version == 8 ? sizeof(s8) : sizeof(s22);
        l->reclen = l->version == 8 ? 59 : 86;
        l->kind = l->version == 8 ? 0 : 85;
        *start = find_pattern(f, 15, l->start, l->start_len);
        if (*start == -2)
            return cp_error_set(err, CP_EDATA, "%s: read error: %s", path, strerror(errno));
        if (*start < 0)
            return bad(err, path, (long)n, "no data section (file truncated after its header?)");
        return 0;
    }
    if (l->version != 130) {
        char msg[96];
        snprintf(msg, sizeof(msg), "nda version %d is not supported (expected 8, 22 or 130)",
                 l->version);
        return bad(err, path, 14, msg);
    }
    if (n < sizeof(h))
        return bad(err, path, (long)n, "file ends inside the 1024-byte header (truncated)");
    if (h[NDA_HEAD] != 0x55)
        return bad(err, path, NDA_HEAD,
                   "nda 130 layout not supported (expected BTS 9.1 records, kind 0x55)");
    *start = NDA_HEAD;
    l->kind = h[NDA_HEAD] | h[NDA_HEAD + 1] << 8;
    unsigned char kind[2] = {h[NDA_HEAD], h[NDA_HEAD + 1]};
    long next = find_pattern(f, NDA_HEAD + 2, kind, 2);
    if (next < 0)
        return bad(err, path, NDA_HEAD, "a single record or truncated (expected a second record)");
    l->reclen = (size_t)(next - NDA_HEAD);
    if (l->reclen < 52 || l->reclen > 512)
        return bad(err, path, next, "record length out of range (expected 52 to 512 bytes)");
    return 0;
}

/* Stream the records from start into the sink. */
static int nda_records(FILE *f, const char *path, const struct nda_layout *l, long start,
                       struct cp_nda_sink *s, struct cp_error *err)
{
    size_t cap = l->reclen * 1024;
    unsigned char *buf = cp_malloc(cap);
    if (!buf)
        return cp_error_oom(err);
    int rc = fseek(f, start, SEEK_SET) == 0 ? 0 : bad(err, path, start, "cannot seek");
    long off = start;
    struct cp_nda_rec rec;
    while (rc == 0) {
        size_t got = fread(buf, 1, cap, f);
        if (got == 0)
            break;
        size_t i = 0;
        for (; rc == 0 && i + l->reclen <= got; i += l->reclen) {
            if (kind_of(l, buf + i) != l->kind)
                continue;
            decode(l, buf + i, &rec);
            rc = cp_nda_sink_push(s, &rec, err);
        }
        if (rc == 0 && i < got && (got - i >= 2 || l->version != 130) &&
            kind_of(l, buf + i) == l->kind) {
            /* a partial slot of the record kind: the file was cut inside a record */
            char msg[96];
            snprintf(msg, sizeof(msg), "truncated record (expected %zu bytes, file has %zu)",
                     l->reclen, got - i);
            rc = bad(err, path, off + (long)i, msg);
        }
        off += (long)got;
        if (got < cap)
            break;
    }
    cp_free(buf);
    return rc;
}

static int nda_run(FILE *f, const char *path, struct cp_reader_out *out, struct cp_error *err)
{
    struct nda_layout l;
    long start;
    int rc = nda_layout(f, path, &l, &start, err);
    if (rc < 0)
        return rc;
    snprintf(out->dialect, sizeof(out->dialect), "nda version %d", l.version);
    struct cp_nda_sink s;
    rc = cp_nda_sink_open(&s, path, out, err);
    if (rc < 0)
        return rc;
    rc = nda_records(f, path, &l, start, &s, err);
    if (rc == 0 && s.records == 0)
        rc = bad(err, path, start, "no records (expected at least one data record)");
    return cp_nda_sink_close(&s, rc, err);
}

static int nda_read(const char *path, struct cp_reader_out *out, struct cp_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return cp_error_set(err, errno == ENOENT ? CP_ENOINPUT : CP_EDATA, "cannot open '%s': %s",
                            path, strerror(errno));
    int rc = nda_run(f, path, out, err);
    fclose(f);
    return rc;
}

static int nda_sniff(const char *path, const char *head, size_t len)
{
    (void)path;
    /* any Neware binary is claimed, so an unsupported version gets its own message */
    return len >= 15 && memcmp(head, "NEWARE", 6) == 0 ? 95 : 0;
}

static const char *const nda_dialects[] = {"nda version 8", "nda version 22", "nda version 130",
                                           NULL};

const struct cp_reader_ops cp_reader_nda = {
    .name = "nda",
    .description = "Neware .nda binaries (versions 8, 22, 130 of BTS 9.1)",
    .flags = CP_READER_BINARY,
    .dialects = nda_dialects,
    .sniff = nda_sniff,
    .read = nda_read,
};
