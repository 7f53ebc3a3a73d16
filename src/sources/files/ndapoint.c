/* Records of the Neware binary readers -> cp_ts points (see include/cellpipe/ndapoint.h). */
#include <math.h>

#include "cellpipe/alloc.h"
#include "cellpipe/dataset.h"
#include "cellpipe/error.h"
#include "cellpipe/ndapoint.h"
#include "cellpipe/tabread.h"

void cp_nda_rec_clear(struct cp_nda_rec *r)
{
    r->index = r->cycle = r->step = r->step_count = 0;
    r->step_time_s = r->total_time_s = r->stamp = NAN;
    r->current_a = r->voltage_v = NAN;
    r->charge_ah = r->discharge_ah = r->charge_wh = r->discharge_wh = NAN;
    r->temperature_c = NAN;
}

int cp_nda_sink_open(struct cp_nda_sink *s, const char *path, struct cp_reader_out *out,
                     struct cp_error *err)
{
    s->out = out;
    s->ts = NULL;
    s->records = 0;
    s->last_index = 0;
    s->last_step = -1;
    s->step_offset = s->last_step_time = 0;
    s->own_id = cp_reader_cell_id(path);
    if (!s->own_id)
        return cp_error_oom(err);
    const char *id = out->cell_id ? out->cell_id : s->own_id;
    if (out->cells) {
        long row = cp_dataset_cell_row(out->cells, id);
        if (row < 0 || cp_cells_set(out->cells, row, "tester", "neware") < 0)
            return cp_nda_sink_close(s, cp_error_oom(err), err);
    }
    s->ts = cp_ts_new(id, out, NULL);
    if (!s->ts)
        return cp_nda_sink_close(s, cp_error_oom(err), err);
    return 0;
}

/* BTSDA's Total Time: the previous steps' last step times plus this step's time. */
static double test_time(struct cp_nda_sink *s, const struct cp_nda_rec *r)
{
    if (!isnan(r->total_time_s))
        return r->total_time_s;
    if (isnan(r->step_time_s))
        return NAN;
    int64_t step = r->step_count ? r->step_count : r->step;
    if (s->records > 0 && step != s->last_step)
        s->step_offset += s->last_step_time;
    s->last_step_time = r->step_time_s;
    return s->step_offset + r->step_time_s;
}

int cp_nda_sink_push(struct cp_nda_sink *s, const struct cp_nda_rec *r, struct cp_error *err)
{
    if (s->records > 0 && r->index <= s->last_index)
        return 0; /* rewritten record: BTSDA lists each index once */
    struct cp_ts_point p;
    cp_ts_point_clear(&p);
    p.cycle = r->cycle;
    p.step = r->step;
    p.test_time_s = test_time(s, r);
    p.stamp = r->stamp;
    p.current_a = r->current_a;
    p.voltage_v = r->voltage_v;
    p.charge_ah = r->charge_ah;
    p.discharge_ah = r->discharge_ah;
    p.charge_wh = r->charge_wh;
    p.discharge_wh = r->discharge_wh;
    p.temperature_c = r->temperature_c;
    s->last_index = r->index;
    s->last_step = r->step_count ? r->step_count : r->step;
    s->records++;
    s->out->rows_read++;
    return cp_ts_push(s->ts, &p, err);
}

int cp_nda_sink_close(struct cp_nda_sink *s, int rc, struct cp_error *err)
{
    if (rc == 0 && s->ts)
        rc = cp_ts_finish(s->ts, err);
    cp_ts_free(s->ts);
    cp_free(s->own_id);
    s->ts = NULL;
    s->own_id = NULL;
    return rc;
}

double cp_nda_range_scale(int32_t range)
{
    /* The range code is the channel's current range (mA; negative: the uA ranges); the raw
     * current counts a fixed fraction of a mA per range decade. Checked against BTSDA's own
     * export for range 500 (nda_v22); the other decades follow the same pattern. */
    if (range == 0)
        return 0;
    if (range == -100000000)
        return 10;
    int32_t a = range < 0 ? -range : range;
    double scale = a <= 5 ? 1e-4 : a <= 50 ? 1e-3 : a <= 500 ? 1e-2 : 1e-1;
    return range < 0 ? scale / 10 : scale;
}
