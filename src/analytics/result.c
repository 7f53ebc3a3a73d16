/* Per-cell results: see include/cellpipe/results.h. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cellpipe/results.h"

void cp_result_init(struct cp_cell_result *r, long cells_row, long group)
{
    memset(r, 0, sizeof(*r));
    r->cells_row = cells_row;
    r->group = group;
    r->first_cycle = r->last_cycle = -1;
    r->reference_ah = r->last_retention = NAN;
    r->cycles_to_90 = r->cycles_to_80 = -1;
    r->ce_mean = r->ce_last_n = r->fade_rate = r->efc_total = r->days_on_test = NAN;
    r->best_model = -1;
    r->eol_observed = -1;
    r->eol_forecast = r->eol_lo = r->eol_hi = NAN;
    r->knee_onset = r->knee_point = NAN;
    for (int m = 0; m < CP_MODEL_COUNT; m++)
        r->fits[m].rmse = r->fits[m].aicc = NAN;
}

/* Flags that say how a number was obtained, not that something is wrong. */
static const char *const note_kinds[] = {"fleet_fallback", "no_siblings", "no_forecast",
                                         "too_few_cycles"};

int cp_flag_is_attention(const char *kind)
{
    for (size_t i = 0; i < sizeof(note_kinds) / sizeof(note_kinds[0]); i++)
        if (strcmp(kind, note_kinds[i]) == 0)
            return 0;
    return 1;
}

void cp_result_flag(struct cp_cell_result *r, const char *kind, const char *fmt, ...)
{
    if (r->nflags >= CP_MAX_FLAGS)
        return;
    struct cp_flag *f = &r->flags[r->nflags++];
    snprintf(f->kind, sizeof(f->kind), "%s", kind);
    f->attention = cp_flag_is_attention(kind);
    r->nattention += f->attention;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->reason, sizeof(f->reason), fmt, ap);
    va_end(ap);
}
