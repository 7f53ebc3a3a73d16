/*
 * BioLogic EC-Lab / BT-Lab binary `.mpr` files: "BIO-LOGIC MODULAR FILE" followed by modules
 * ("MODULE", 10-byte name, 25-byte long name, then the old header: uint32 length, uint32
 * version, 8-char date; or the header of EC-Lab >= 11.50: uint32 0xFFFFFFFF, uint32 length,
 * uint32 0, uint32 version, date). Only "VMP data" carries points: uint32 point count, the
 * column count (uint8; uint16 from data version 10), one uint16 id per column, then fixed-size
 * little-endian records from a version-dependent offset. The ids 1, 2, 3, 21, 31 and 65 are
 * bits of one flags byte. EC-Lab's .mpt export computes some columns that the .mpr does not
 * store (Q charge, Q discharge, cycle number, <I>, energies); they are computed here the same
 * way so that an .mpr and its .mpt give the same points. See docs/readers.md.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/dataset.h"
#include "cellpipe/error.h"
#include "cellpipe/tabread.h"
#include "cellpipe/textread.h"
#include "cellpipe/ts.h"

#define MPR_MAGIC "BIO-LOGIC MODULAR FILE\x1a"
#define MPR_FILE_HEADER 52 /* magic padded with spaces, then 4 zero bytes */
#define MPR_MAX_COLS 128

enum mpr_type { T_FLAG, T_U16, T_U32, T_F32, T_F64 };
enum mpr_role {
    R_NONE,
    R_TIME,
    R_EWE,
    R_ECE,
    R_I,    /* I/mA */
    R_IAVG, /* <I>/mA */
    R_DQ,
    R_QCD, /* Q charge/discharge/mA.h, signed, restarts every half cycle */
    R_HALF,
    R_CYCLE,
    R_NS,
    R_EC,
    R_ED,
    R_TEMP,
    R_FREQ, /* impedance */
    R_COUNT
};

struct mpr_coldef {
    uint16_t id;
    uint8_t type;
    uint8_t role;
    const char *name;
};

/* The ids of the .mpr files at hand were checked column by column against their .mpt
 * exports (1-9, 13, 20, 39, 70, 74, 123-126, 131, 467, 468); the others are the published
 * EC-Lab ids with the same value types. */
static const struct mpr_coldef mpr_cols[] = {
    {1, T_FLAG, R_NONE, "mode"},
    {2, T_FLAG, R_NONE, "ox/red"},
    {3, T_FLAG, R_NONE, "error"},
    {4, T_F64, R_TIME, "time/s"},
    {5, T_F32, R_NONE, "control/V/mA"},
    {6, T_F32, R_EWE, "Ewe/V"},
    {7, T_F64, R_DQ, "dq/mA.h"},
    {8, T_F32, R_I, "I/mA"},
    {9, T_F32, R_ECE, "Ece/V"},
    {11, T_F64, R_IAVG, "<I>/mA"},
    {13, T_F64, R_NONE, "(Q-Qo)/mA.h"},
    {16, T_F32, R_NONE, "Analog IN 1/V"},
    {19, T_F32, R_NONE, "control/V"},
    {20, T_F32, R_NONE, "control/mA"},
    {21, T_FLAG, R_NONE, "control changes"},
    {23, T_F64, R_DQ, "dQ/mA.h"},
    {24, T_F64, R_CYCLE, "cycle number"},
    {26, T_F32, R_NONE, "Rapp/Ohm"},
    {31, T_FLAG, R_NONE, "Ns changes"},
    {32, T_F32, R_FREQ, "freq/Hz"},
    {33, T_F32, R_NONE, "|Ewe|/V"},
    {34, T_F32, R_NONE, "|I|/A"},
    {35, T_F32, R_NONE, "Phase(Z)/deg"},
    {36, T_F32, R_NONE, "|Z|/Ohm"},
    {37, T_F32, R_NONE, "Re(Z)/Ohm"},
    {38, T_F32, R_NONE, "-Im(Z)/Ohm"},
    {39, T_U16, R_NONE, "I Range"},
    {65, T_FLAG, R_NONE, "counter inc."},
    {69, T_F32, R_NONE, "R/Ohm"},
    {70, T_F32, R_NONE, "P/W"},
    {74, T_F64, R_NONE, "|Energy|/W.h"},
    {76, T_F32, R_IAVG, "<I>/mA"},
    {77, T_F32, R_EWE, "<Ewe>/V"},
    {123, T_F64, R_EC, "Energy charge/W.h"},
    {124, T_F64, R_ED, "Energy discharge/W.h"},
    {125, T_F64, R_NONE, "Capacitance charge/uF"},
    {126, T_F64, R_NONE, "Capacitance discharge/uF"},
    {131, T_U16, R_NS, "Ns"},
    {169, T_F32, R_NONE, "Cs/uF"},
    {172, T_F32, R_NONE, "Cp/uF"},
    {462, T_F32, R_TEMP, "Temperature/C"},
    {467, T_F64, R_QCD, "Q charge/discharge/mA.h"},
    {468, T_U32, R_HALF, "half cycle"},
};

static const char *const mpr_dialects[] = {
    "mpr, old module header (EC-Lab < 11.50)",
    "mpr, new module header (EC-Lab 11.50)",
    NULL,
};

/* One VMP data layout: where each role's value sits in a record. */
struct mpr_layout {
    long npts;
    size_t recsize;
    int off[R_COUNT]; /* byte offset in the record, -1 absent */
    uint8_t type[R_COUNT];
};

struct mpr {
    const char *path;
    FILE *f;
    long size;
    int new_header;
    struct mpr_layout lay;
    struct cp_reader_out *out;
    struct cp_ts *ts;
    /* derived columns: previous time, energy sums of the cycle */
    double prev_t, ec, ed;
    int64_t ecycle;
};

static uint16_t le16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static double get_value(const unsigned char *p, int type)
{
    switch (type) {
    case T_U16:
        return le16(p);
    case T_U32:
        return le32(p);
    case T_F32: {
        uint32_t u = le32(p);
        float v;
        memcpy(&v, &u, sizeof(v));
        return v;
    }
    default: {
        uint64_t u = (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
        double v;
        memcpy(&v, &u, sizeof(v));
        return v;
    }
    }
}

static const struct mpr_coldef *find_col(unsigned id)
{
    for (size_t i = 0; i < sizeof(mpr_cols) / sizeof(mpr_cols[0]); i++)
        if (mpr_cols[i].id == id)
            return &mpr_cols[i];
    return NULL;
}

static size_t type_size(int type)
{
    static const size_t sz[] = {[T_FLAG] = 0, [T_U16] = 2, [T_U32] = 4, [T_F32] = 4, [T_F64] = 8};
    return sz[type];
}

/* Read exactly n bytes at offset pos; a short read is a truncated file. */
static int read_at(struct mpr *m, long pos, void *buf, size_t n, const char *what,
                   struct cp_error *err)
{
    if (fseek(m->f, pos, SEEK_SET) != 0 || fread(buf, 1, n, m->f) != n)
        return cp_error_set(err, CP_EDATA,
                            "%s: byte %ld: truncated file: expected %zu bytes of %s, the file "
                            "has %ld bytes",
                            m->path, pos, n, what, m->size);
    return 0;
}

static int impedance_refusal(const struct mpr *m, long pos, struct cp_error *err)
{
    return cp_error_set(err, CP_EDATA,
                        "%s: byte %ld: BioLogic impedance (EIS) .mpr holds no cycling data "
                        "(impedance data, no cycling): expected a cycling technique with time, "
                        "current and voltage",
                        m->path, pos);
}

/* What each role feeds and by which factor, for `inspect`. */
static const struct {
    const char *name;
    double factor;
} role_notes[R_COUNT] = {
    [R_TIME] = {"test_time_s", 1},
    [R_EWE] = {"voltage_v", 1},
    [R_I] = {"current_a", 1e-3},
    [R_IAVG] = {"current_a", 1e-3},
    [R_DQ] = {"current_a and energies when not stored (dq)", 1e-3},
    [R_QCD] = {"charge_capacity_ah / discharge_capacity_ah", 1e-3},
    [R_HALF] = {"cycle_index (two half cycles)", 0.5},
    [R_CYCLE] = {"cycle_index", 1},
    [R_NS] = {"step_index", 1},
    [R_EC] = {"charge_energy_wh", 1},
    [R_ED] = {"discharge_energy_wh", 1},
    [R_TEMP] = {"temperature_c", 1},
};

/* Column ids -> layout. ids sits at file offset pos. */
static int parse_columns(struct mpr *m, const unsigned char *ids, unsigned ncol, long pos,
                         struct cp_error *err)
{
    struct mpr_layout *L = &m->lay;
    for (int r = 0; r < R_COUNT; r++)
        L->off[r] = -1;
    int flags_seen = 0;
    size_t at = 0;
    for (unsigned c = 0; c < ncol; c++) {
        unsigned id = le16(ids + 2 * c);
        const struct mpr_coldef *d = find_col(id);
        if (!d)
            return cp_error_set(err, CP_EDATA,
                                "%s: byte %ld: unknown column id %u (column %u of %u in 'VMP "
                                "data'): expected one of the ids listed in docs/readers.md",
                                m->path, pos + 2 * (long)c, id, c + 1, ncol);
        if (d->role == R_FREQ)
            return impedance_refusal(m, pos + 2 * (long)c, err);
        if (d->type == T_FLAG) {
            at += !flags_seen; /* all flag ids share one byte, where the first one is */
            flags_seen = 1;
            continue;
        }
        if (d->role != R_NONE && L->off[d->role] < 0) {
            L->off[d->role] = (int)at;
            L->type[d->role] = d->type;
            if (role_notes[d->role].name &&
                cp_reader_note_column(m->out, d->name, role_notes[d->role].name,
                                      role_notes[d->role].factor) < 0)
                return cp_error_oom(err);
        }
        at += type_size(d->type);
    }
    L->recsize = at;
    if (L->off[R_TIME] < 0 || (L->off[R_EWE] < 0))
        return cp_error_set(err, CP_EDATA,
                            "%s: byte %ld: 'VMP data' has no %s column: expected time/s and "
                            "Ewe/V",
                            m->path, pos, L->off[R_TIME] < 0 ? "time/s" : "Ewe/V");
    if (L->recsize == 0)
        return cp_error_set(err, CP_EDATA, "%s: byte %ld: 'VMP data' records hold no values",
                            m->path, pos);
    return 0;
}

/* Where the records start, by data version; -1 for a version not seen. */
static long data_offset(uint32_t version)
{
    switch (version) {
    case 2:
        return 0x195;
    case 3:
        return 0x196;
    case 10:
    case 11:
        return 0x3ef;
    default:
        return -1;
    }
}

/* The VMP data module's header: point count, column ids, record layout. */
static int parse_data_header(struct mpr *m, long ds, uint32_t len, uint32_t version, long *first,
                             struct cp_error *err)
{
    long off = data_offset(version);
    if (off < 0)
        return cp_error_set(err, CP_EDATA,
                            "%s: byte %ld: unsupported 'VMP data' version %u: expected 2, 3, 10 "
                            "or 11",
                            m->path, ds - 12, (unsigned)version);
    unsigned char h[0x3ef];
    if ((long)len < off)
        return cp_error_set(err, CP_EDATA,
                            "%s: byte %ld: 'VMP data' module of %u bytes is shorter than its "
                            "%ld-byte header",
                            m->path, ds, (unsigned)len, off);
    int rc = read_at(m, ds, h, (size_t)off, "'VMP data' header", err);
    if (rc < 0)
        return rc;
    int wide = version >= 10;
    unsigned ncol = wide ? le16(h + 4) : h[4];
    long idpos = ds + (wide ? 6 : 5);
    if (ncol == 0 || ncol > MPR_MAX_COLS || (wide ? 6 : 5) + 2 * (long)ncol > off)
        return cp_error_set(err, CP_EDATA,
                            "%s: byte %ld: %u columns in 'VMP data': expected 1 to %d", m->path,
                            ds + 4, ncol, MPR_MAX_COLS);
    rc = parse_columns(m, h + (idpos - ds), ncol, idpos, err);
    if (rc < 0)
        return rc;
    m->lay.npts = (long)le32(h);
    double need = (double)off + (double)m->lay.npts * (double)m->lay.recsize;
    if (need > (double)len)
        return cp_error_set(err, CP_EDATA,
                            "%s: byte %ld: 'VMP data' announces %ld points of %zu bytes from "
                            "byte %ld, but the module ends at byte %ld",
                            m->path, ds, m->lay.npts, m->lay.recsize, ds + off, ds + (long)len);
    *first = ds + off;
    return 0;
}

static double role(const struct mpr_layout *L, const unsigned char *rec, int r)
{
    return L->off[r] < 0 ? NAN : get_value(rec + L->off[r], L->type[r]);
}

/* A damaged record may hold any double: out of range is missing, not a wrapped index. */
static int64_t to_i64(double v)
{
    return v > -9e18 && v < 9e18 ? (int64_t)v : CP_I64_NA;
}

/* Current in mA: stored, or as EC-Lab's export computes <I>: dq over the time step. */
static double current_ma(struct mpr *m, const unsigned char *rec, double t)
{
    const struct mpr_layout *L = &m->lay;
    double i = role(L, rec, R_I);
    if (isnan(i))
        i = role(L, rec, R_IAVG);
    if (isnan(i) && L->off[R_DQ] >= 0) {
        double dq = role(L, rec, R_DQ);
        i = isnan(m->prev_t) || !(t > m->prev_t) ? 0 : dq * 3600.0 / (t - m->prev_t);
    }
    return i;
}

/* Energies: stored, or as the export computes them when only Ewe is measured: the sum of
 * Ewe * dq over the cycle, charge and discharge apart. A three-electrode file (Ece) exports
 * working- and counter-electrode energies instead, which are not cell energies: none. */
static void energies(struct mpr *m, const unsigned char *rec, struct cp_ts_point *p)
{
    const struct mpr_layout *L = &m->lay;
    if (L->off[R_EC] >= 0 || L->off[R_ED] >= 0) {
        p->charge_wh = fabs(role(L, rec, R_EC));
        p->discharge_wh = fabs(role(L, rec, R_ED));
        return;
    }
    if (L->off[R_ECE] >= 0 || L->off[R_DQ] < 0)
        return;
    if (p->cycle != m->ecycle) {
        m->ec = m->ed = 0;
        m->ecycle = p->cycle;
    }
    double dq = role(L, rec, R_DQ);
    if (dq > 0)
        m->ec += p->voltage_v * dq / 1000.0;
    else
        m->ed -= p->voltage_v * dq / 1000.0;
    p->charge_wh = m->ec;
    p->discharge_wh = m->ed;
}

static void record_to_point(struct mpr *m, const unsigned char *rec, struct cp_ts_point *p)
{
    const struct mpr_layout *L = &m->lay;
    cp_ts_point_clear(p);
    p->test_time_s = role(L, rec, R_TIME);
    double cyc = role(L, rec, R_CYCLE);
    double half = role(L, rec, R_HALF);
    p->cycle = to_i64(!isnan(cyc) ? cyc : floor(half / 2)); /* two half cycles a cycle */
    p->step = to_i64(role(L, rec, R_NS));
    p->voltage_v = role(L, rec, R_EWE);
    p->current_a = current_ma(m, rec, p->test_time_s) * 1e-3;
    double qcd = role(L, rec, R_QCD);
    if (!isnan(qcd)) {
        p->charge_ah = (qcd > 0 ? qcd : 0) * 1e-3;
        p->discharge_ah = (qcd < 0 ? -qcd : 0) * 1e-3;
    }
    energies(m, rec, p);
    p->temperature_c = role(L, rec, R_TEMP);
    m->prev_t = p->test_time_s;
}

static int read_points(struct mpr *m, long first, struct cp_error *err)
{
    enum { CHUNK = 1 << 16 };
    size_t rs = m->lay.recsize;
    size_t per = rs > CHUNK ? 1 : CHUNK / rs;
    unsigned char *buf = cp_malloc(per * rs);
    if (!buf)
        return cp_error_oom(err);
    int rc = fseek(m->f, first, SEEK_SET) == 0
                 ? 0
                 : cp_error_set(err, CP_EDATA, "%s: byte %ld: cannot seek", m->path, first);
    struct cp_ts_point p;
    for (long done = 0; rc == 0 && done < m->lay.npts;) {
        size_t n = (size_t)(m->lay.npts - done) < per ? (size_t)(m->lay.npts - done) : per;
        if (fread(buf, rs, n, m->f) != n) {
            rc = cp_error_set(err, CP_EDATA, "%s: byte %ld: truncated point", m->path,
                              first + done * (long)rs);
            break;
        }
        for (size_t k = 0; k < n && rc == 0; k++) {
            record_to_point(m, buf + k * rs, &p);
            m->out->rows_read++;
            rc = cp_ts_push(m->ts, &p, err);
        }
        done += (long)n;
    }
    cp_free(buf);
    return rc;
}

/* The module at pos: its name, data start and length. 1 at the end of the file. */
static int module_at(struct mpr *m, long pos, char name[11], long *ds, uint32_t *len,
                     uint32_t *version, struct cp_error *err)
{
    if (pos == m->size)
        return 1;
    unsigned char h[65];
    int rc = read_at(m, pos, h, 45, "module header", err);
    if (rc < 0)
        return rc;
    if (memcmp(h, "MODULE", 6) != 0)
        return cp_error_set(err, CP_EDATA, "%s: byte %ld: expected a module header 'MODULE'",
                            m->path, pos);
    memcpy(name, h + 6, 10);
    name[10] = '\0';
    for (int k = 9; k >= 0 && name[k] == ' '; k--)
        name[k] = '\0';
    m->new_header = le32(h + 41) == 0xffffffffu;
    size_t hl = m->new_header ? 65 : 57;
    rc = read_at(m, pos + 45, h + 45, hl - 45, "module header", err);
    if (rc < 0)
        return rc;
    *len = m->new_header ? le32(h + 45) : le32(h + 41);
    *version = m->new_header ? le32(h + 53) : le32(h + 45);
    *ds = pos + (long)hl;
    if ((double)*ds + *len > (double)m->size)
        return cp_error_set(err, CP_EDATA,
                            "%s: byte %ld: truncated file: module '%s' expects %u bytes, the file "
                            "ends at byte %ld",
                            m->path, *ds, name, (unsigned)*len, m->size);
    return 0;
}

/* Walk every module (so that a file cut anywhere is reported, even after its points);
 * *first = the first record of 'VMP data'. */
static int find_data(struct mpr *m, long *first, struct cp_error *err)
{
    long pos = MPR_FILE_HEADER, ds = 0;
    uint32_t len = 0, version = 0;
    char name[11];
    int found = 0, new_header = 0;
    for (;;) {
        int rc = module_at(m, pos, name, &ds, &len, &version, err);
        if (rc < 0)
            return rc;
        if (rc == 1)
            break;
        if (strcmp(name, "VMP data") == 0 && !found) {
            rc = parse_data_header(m, ds, len, version, first, err);
            if (rc < 0)
                return rc;
            found = 1;
            new_header = m->new_header;
        }
        pos = ds + (long)len;
    }
    m->new_header = new_header;
    if (!found)
        return cp_error_set(err, CP_EDATA,
                            "%s: byte %ld: no 'VMP data' module: expected the data points "
                            "after the settings",
                            m->path, pos);
    return 0;
}

static int open_mpr(struct mpr *m, struct cp_error *err)
{
    m->f = fopen(m->path, "rb");
    if (!m->f)
        return cp_error_set(err, CP_ENOINPUT, "cannot open '%s'", m->path);
    if (fseek(m->f, 0, SEEK_END) != 0 || (m->size = ftell(m->f)) < 0)
        return cp_error_set(err, CP_EDATA, "%s: cannot get the file size", m->path);
    char magic[sizeof(MPR_MAGIC) - 1];
    long got = (long)(m->size < (long)sizeof(magic) ? m->size : (long)sizeof(magic));
    if (read_at(m, 0, magic, (size_t)got, "file header", err) < 0 ||
        memcmp(magic, MPR_MAGIC, (size_t)got) != 0 || got < (long)sizeof(magic))
        return cp_error_set(err, CP_EDATA,
                            "%s: byte 0: not a BioLogic .mpr: expected 'BIO-LOGIC MODULAR FILE'",
                            m->path);
    if (m->size < MPR_FILE_HEADER)
        return cp_error_set(err, CP_EDATA,
                            "%s: byte %ld: truncated file: expected a %d-byte file header", m->path,
                            m->size, MPR_FILE_HEADER);
    return 0;
}

static int mpr_start(struct mpr *m, const char *id, struct cp_error *err)
{
    if (m->out->cells) {
        long row = cp_dataset_cell_row(m->out->cells, id);
        if (row < 0 || cp_cells_set(m->out->cells, row, "tester", "biologic") < 0)
            return cp_error_oom(err);
    }
    m->ts = cp_ts_new(id, m->out, NULL);
    return m->ts ? 0 : cp_error_oom(err);
}

static int mpr_read(const char *path, struct cp_reader_out *out, struct cp_error *err)
{
    struct mpr m = {.path = path, .out = out, .prev_t = NAN, .ecycle = CP_I64_NA};
    char *own = out->cell_id ? NULL : cp_reader_cell_id(path);
    if (!out->cell_id && !own)
        return cp_error_oom(err);
    long first = 0;
    int rc = open_mpr(&m, err);
    if (rc == 0)
        rc = find_data(&m, &first, err);
    if (rc == 0) {
        snprintf(out->dialect, sizeof(out->dialect), "%s", mpr_dialects[m.new_header ? 1 : 0]);
        rc = mpr_start(&m, out->cell_id ? out->cell_id : own, err);
    }
    if (rc == 0)
        rc = read_points(&m, first, err);
    if (rc == 0)
        rc = cp_ts_finish(m.ts, err);
    cp_ts_free(m.ts);
    if (m.f)
        fclose(m.f);
    cp_free(own);
    return rc;
}

static int mpr_sniff(const char *path, const char *head, size_t len)
{
    (void)path;
    return cp_head_starts(head, len, MPR_MAGIC) ? 95 : 0;
}

const struct cp_reader_ops cp_reader_mpr = {
    .name = "mpr",
    .description = "BioLogic EC-Lab/BT-Lab .mpr binaries (old and EC-Lab >= 11.50 modules)",
    .flags = CP_READER_BINARY,
    .dialects = mpr_dialects,
    .sniff = mpr_sniff,
    .read = mpr_read,
};
