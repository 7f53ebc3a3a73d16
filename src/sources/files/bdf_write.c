/* Battery Data Format writer: see include/cellpipe/bdf.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/bdf.h"
#include "cellpipe/dtoa.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/table.h"

/* Preferred labels of the BDF README; the order is the point's, required quantities first. */
const char cp_bdf_header[] =
    "Test Time / s,Voltage / V,Current / A,Unix Time / s,Cycle Count / 1,Step Count / 1,"
    "Charging Capacity / Ah,Discharging Capacity / Ah,Charging Energy / Wh,"
    "Discharging Energy / Wh,Surface Temperature T1 / degC,Internal Resistance / Ohm";

#define LINE_MAX_BYTES (12 * CP_DTOA_BUFSIZE + 16)
#define BUF_BYTES (256 * 1024)

struct cp_bdf_writer {
    struct cp_afile af;
    char *path; /* for messages: af.path goes with the commit */
    char *cell;
    double stamp_origin; /* for points without test time (ts.h counts them the same way) */
    long long points;
    char *buf;
    size_t len;
};

struct cp_bdf_writer *cp_bdf_writer_new(const char *path, struct cp_error *err)
{
    struct cp_bdf_writer *w = cp_calloc(1, sizeof(*w));
    if (!w || !(w->buf = cp_malloc(BUF_BYTES)) || !(w->path = cp_strdup(path))) {
        if (w)
            cp_free(w->buf);
        cp_free(w);
        cp_error_oom(err);
        return NULL;
    }
    w->stamp_origin = NAN;
    if (cp_afile_open(&w->af, path) < 0) {
        if (errno == ENOMEM)
            cp_error_oom(err);
        else
            cp_error_errno(err, CP_ECANTCREAT, "cannot create '%s'", path);
        cp_free(w->path);
        cp_free(w->buf);
        cp_free(w);
        return NULL;
    }
    size_t n = sizeof(cp_bdf_header) - 1;
    memcpy(w->buf, cp_bdf_header, n);
    w->buf[n++] = '\n';
    w->len = n;
    return w;
}

static int flush_buf(struct cp_bdf_writer *w, struct cp_error *err)
{
    if (w->len && fwrite(w->buf, 1, w->len, w->af.f) != w->len)
        return cp_error_errno(err, CP_ECANTCREAT, "cannot write '%s'", w->path);
    w->len = 0;
    return 0;
}

static size_t put_num(char *o, double v)
{
    return isfinite(v) ? cp_dtoa_format(v, o) : 0; /* NaN: an empty field */
}

static size_t put_int(char *o, int64_t v)
{
    return v == CP_I64_NA ? 0 : cp_dtoa_format_i64(v, o);
}

/* One row into o (at least LINE_MAX_BYTES); returns its length. */
static size_t format_row(const struct cp_ts_point *p, double t, char *o)
{
    const double before[] = {t, p->voltage_v, p->current_a, p->stamp};
    const double after[] = {p->charge_ah,    p->discharge_ah,  p->charge_wh,
                            p->discharge_wh, p->temperature_c, p->resistance_ohm};
    size_t n = 0;
    for (size_t i = 0; i < 4; i++) {
        n += put_num(o + n, before[i]);
        o[n++] = ',';
    }
    n += put_int(o + n, p->cycle);
    o[n++] = ',';
    n += put_int(o + n, p->step);
    for (size_t i = 0; i < 6; i++) {
        o[n++] = ',';
        n += put_num(o + n, after[i]);
    }
    o[n++] = '\n';
    return n;
}

int cp_bdf_writer_point(struct cp_bdf_writer *w, const char *cell_id, const struct cp_ts_point *p,
                        struct cp_error *err)
{
    if (!w->cell && !(w->cell = cp_strdup(cell_id ? cell_id : "")))
        return cp_error_oom(err);
    if (cell_id && strcmp(cell_id, w->cell) != 0)
        return cp_error_set(err, CP_EDATA,
                            "%s: a second cell '%s' after '%s' (a BDF file holds one cell)",
                            w->path, cell_id, w->cell);
    double t = p->test_time_s;
    if (isnan(t) && !isnan(p->stamp)) {
        if (isnan(w->stamp_origin))
            w->stamp_origin = p->stamp;
        t = p->stamp - w->stamp_origin;
    }
    if (w->len + LINE_MAX_BYTES > BUF_BYTES && flush_buf(w, err) < 0)
        return -err->code;
    w->len += format_row(p, t, w->buf + w->len);
    w->points++;
    return 0;
}

int cp_bdf_on_point(void *ctx, const char *cell_id, const struct cp_ts_point *p,
                    struct cp_error *err)
{
    return cp_bdf_writer_point(ctx, cell_id, p, err);
}

long long cp_bdf_writer_points(const struct cp_bdf_writer *w)
{
    return w->points;
}

const char *cp_bdf_writer_cell(const struct cp_bdf_writer *w)
{
    return w->cell;
}

int cp_bdf_writer_close(struct cp_bdf_writer *w, struct cp_error *err)
{
    int rc = flush_buf(w, err);
    if (rc == 0 && cp_afile_commit(&w->af) < 0)
        rc = cp_error_errno(err, CP_ECANTCREAT, "cannot write '%s'", w->path);
    cp_bdf_writer_free(w);
    return rc;
}

void cp_bdf_writer_free(struct cp_bdf_writer *w)
{
    if (!w)
        return;
    if (w->af.tmp)
        cp_afile_abort(&w->af);
    cp_free(w->cell);
    cp_free(w->path);
    cp_free(w->buf);
    cp_free(w);
}
