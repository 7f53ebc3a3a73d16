#ifndef CELLPIPE_NDAPOINT_H
#define CELLPIPE_NDAPOINT_H
/*
 * What the Neware binary readers (nda.c, ndax.c) share (src/sources/files/ndapoint.c): one
 * decoded record, and a sink that turns records into cp_ts points the way BTSDA numbers them
 * (records whose index does not grow are dropped; test time from step times when the record
 * holds none) and opens/closes the cell's series.
 */
#include <stdint.h>

#include "cellpipe/reader.h"
#include "cellpipe/ts.h"

struct cp_error;

struct cp_nda_rec {
    int64_t index;       /* record number, from 1 */
    int64_t cycle;       /* from 1 */
    int64_t step;        /* step index */
    int64_t step_count;  /* steps so far, from 1; 0 when the record holds none (then from step) */
    double step_time_s;  /* NaN when the record holds none */
    double total_time_s; /* NaN when the record holds none (then from step times) */
    double stamp;        /* Unix seconds */
    double current_a, voltage_v;
    double charge_ah, discharge_ah, charge_wh, discharge_wh;
    double temperature_c; /* NaN when none */
};

void cp_nda_rec_clear(struct cp_nda_rec *r);

struct cp_nda_sink {
    struct cp_reader_out *out;
    struct cp_ts *ts;
    char *own_id;
    long long records; /* pushed */
    int64_t last_index, last_step;
    double step_offset, last_step_time;
};

/* Start the cell's series (cell id: out->cell_id, else the file name stem). 0 or negative. */
int cp_nda_sink_open(struct cp_nda_sink *s, const char *path, struct cp_reader_out *out,
                     struct cp_error *err);
int cp_nda_sink_push(struct cp_nda_sink *s, const struct cp_nda_rec *r, struct cp_error *err);
/* Finish (when rc == 0) and free; returns rc or the finish error. */
int cp_nda_sink_close(struct cp_nda_sink *s, int rc, struct cp_error *err);

/* mA per unit of current for a Neware current-range code (nda 22 and older ndc). */
double cp_nda_range_scale(int32_t range);

#endif
