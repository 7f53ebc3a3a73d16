/* Plausibility checks of cycler data (contract in include/cellpipe/plausible.h). */
#include <math.h>
#include <string.h>

#include "cellpipe/plausible.h"
#include "cellpipe/reader.h"
#include "cellpipe/table.h"

int cp_plausible_agrees(double counter, double lo, double hi)
{
    double tol = CP_PL_REL_TOL * fmax(fabs(counter), fabs(hi)) + CP_PL_ABS_TOL;
    return counter >= lo - tol && counter <= hi + tol;
}

double cp_plausible_volt_factor(double v, double scale)
{
    double a = fabs(v);
    /* only a bare or "V" column can be mislabelled millivolts; an explicit factor is the
     * file's own word */
    if (scale == 1 && a > CP_PL_VOLT_MAX && a <= CP_PL_MV_MAX)
        return 1e-3;
    return 1;
}

int cp_plausible_voltage(double v)
{
    return isnan(v) || fabs(v) <= CP_PL_VOLT_MAX;
}

int cp_plausible_vmean(double vmean, double vmin, double vmax)
{
    if (isnan(vmean) || isnan(vmin) || isnan(vmax))
        return 1;
    /* counters written with few digits (0.091 Wh / 0.024 Ah) move the ratio by a few percent */
    double slack = CP_PL_REL_TOL * fmax(fabs(vmin), fabs(vmax)) + 0.01;
    return vmean >= vmin - slack && vmean <= vmax + slack;
}

int cp_plausible_describe(unsigned flags, struct cp_strbuf *sb)
{
    static const char *const names[] = {"capacity_vs_current", "v_mean_range", "current_sign",
                                        "time_backwards"};
    for (unsigned k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        if (!(flags & (1u << k)))
            continue;
        if (cp_strbuf_addf(sb, "%s%s", sb->len ? " " : "", names[k]) < 0)
            return -1;
    }
    return 0;
}

/* The conversions `inspect` shows (contract in the header). */
int cp_plausible_note_column(struct cp_reader_out *out, const char *maps_to, double factor,
                             const char *text)
{
    struct cp_table *t = out->columns;
    if (!t)
        return 0;
    int note = cp_table_add_column(t, "note", CP_STR);
    char **to = cp_table_str(t, "maps_to");
    double *f = cp_table_f64(t, "factor");
    for (size_t r = 0; note >= 0 && to && f && r < t->nrows; r++) {
        if (!to[r] || strcmp(to[r], maps_to) != 0)
            continue;
        f[r] *= factor;
        if (cp_table_set_str(t, note, r, text) < 0)
            return -1;
    }
    return note < 0 ? -1 : 0;
}
