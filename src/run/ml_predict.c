/* Predictions of one model for every selected cell with features (include/cellpipe/ml_run.h). */
#include <math.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/ml_run.h"
#include "ml_run_internal.h"

int ml_predict(struct cp_ml_result *r, struct cp_error *err)
{
    size_t n = r->ncells;
    r->pred = cp_malloc((n + 1) * sizeof(double));
    r->lo = cp_malloc((n + 1) * sizeof(double));
    r->hi = cp_malloc((n + 1) * sizeof(double));
    r->out_of_range = cp_calloc(n + 1, sizeof(int));
    if (!r->pred || !r->lo || !r->hi || !r->out_of_range)
        return cp_error_oom(err);
    for (size_t i = 0; i < n; i++) {
        r->pred[i] = r->lo[i] = r->hi[i] = NAN;
        if (!r->x[i])
            continue;
        struct cp_ml_prediction p;
        cp_ml_saved_predict(&r->model, r->x[i], &p);
        r->pred[i] = p.value;
        r->lo[i] = p.lo;
        r->hi[i] = p.hi;
        r->out_of_range[i] = p.out_of_range;
    }
    return 0;
}
