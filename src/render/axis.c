/*
 * Nice axis ranges and ticks. Steps are 1, 2 or 5 x 10^k, the steps a reader can add up in
 * their head; log axes tick on decades.
 */
#include "cellpipe/axis.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define PAD_FRACTION 0.04

double cp_axis_nice_step(double range, int target)
{
    if (!(range > 0) || !isfinite(range))
        return 1.0;
    if (target < 1)
        target = 1;
    double raw = range / target;
    double mag = pow(10.0, floor(log10(raw)));
    double f = raw / mag;
    /* 1e-9 slack: raw = 0.2 can come out as 1.9999999999 x 0.1 */
    double step = f <= 1.0 + 1e-9 ? 1.0 : f <= 2.0 + 1e-9 ? 2.0 : f <= 5.0 + 1e-9 ? 5.0 : 10.0;
    return step * mag;
}

static void widen_degenerate(double *lo, double *hi, int log)
{
    if (*hi > *lo)
        return;
    double v = *lo;
    if (log) {
        *lo = v / 2.0;
        *hi = v * 2.0;
    } else if (v == 0.0) {
        *lo = -1.0;
        *hi = 1.0;
    } else {
        *lo = v - fabs(v) * 0.1;
        *hi = v + fabs(v) * 0.1;
    }
}

int cp_axis_range(struct cp_axis *ax, int log, double dmin, double dmax, double fixed_lo,
                  double fixed_hi)
{
    memset(ax, 0, sizeof(*ax));
    ax->log = log;
    double lo = dmin, hi = dmax;
    int have = isfinite(lo) && isfinite(hi) && lo <= hi && (!log || lo > 0);
    if (!have) {
        /* both limits fixed still give a usable frame for an empty series */
        if (!isfinite(fixed_lo) || !isfinite(fixed_hi))
            return -1;
        lo = fixed_lo;
        hi = fixed_hi;
    }
    widen_degenerate(&lo, &hi, log);
    if (log) {
        double span = log10(hi) - log10(lo);
        double f = pow(10.0, span * PAD_FRACTION);
        lo /= f;
        hi *= f;
    } else {
        double pad = (hi - lo) * PAD_FRACTION;
        lo -= pad;
        hi += pad;
    }
    if (isfinite(fixed_lo))
        lo = fixed_lo;
    if (isfinite(fixed_hi))
        hi = fixed_hi;
    if (log && (!(lo > 0) || !(hi > 0)))
        return -1;
    widen_degenerate(&lo, &hi, log);
    if (!(hi > lo))
        return -1;
    ax->lo = lo;
    ax->hi = hi;
    return 0;
}

static int decimals_for(double step)
{
    if (step >= 1.0)
        return 0;
    int d = (int)ceil(-log10(step) - 1e-9);
    return d > 12 ? 12 : d;
}

static void linear_ticks(struct cp_axis *ax, double lo, double hi, int target)
{
    double step = cp_axis_nice_step(hi - lo, target);
    double first = ceil(lo / step - 1e-9) * step;
    ax->step = step;
    ax->nticks = 0;
    for (double k = 0; ax->nticks < CP_AXIS_MAX_TICKS; k++) {
        double t = first + k * step; /* k * step, not a running sum: no drift */
        if (t > hi + step * 1e-9)
            break;
        if (fabs(t) < step * 1e-9)
            t = 0.0;
        ax->ticks[ax->nticks++] = t;
    }
    double mag = fmax(fabs(lo), fabs(hi));
    ax->decimals = (mag >= 1e7 || (mag > 0 && mag < 1e-4)) ? -1 : decimals_for(step);
}

static void log_ticks(struct cp_axis *ax, int target)
{
    double llo = log10(ax->lo), lhi = log10(ax->hi);
    int k0 = (int)floor(llo), k1 = (int)ceil(lhi);
    ax->nticks = ax->nminor = 0;
    if (lhi - llo < 0.5) {
        /* less than half a decade: decade ticks would leave the axis bare */
        linear_ticks(ax, ax->lo, ax->hi, target);
        return;
    }
    int few = lhi - llo < 3.0;
    int stride = 1 + (k1 - k0) / (target > 1 ? target : 1);
    ax->step = 0;
    for (int k = k0; k <= k1; k++) {
        for (int m = 1; m <= 9; m++) {
            double v = (double)m * pow(10.0, k);
            if (v < ax->lo * (1 - 1e-9) || v > ax->hi * (1 + 1e-9))
                continue;
            int major = m == 1 ? (k - k0) % stride == 0 : few && (m == 2 || m == 5);
            if (major && ax->nticks < CP_AXIS_MAX_TICKS)
                ax->ticks[ax->nticks++] = v;
            else if (!major && ax->nminor < CP_AXIS_MAX_TICKS)
                ax->minor[ax->nminor++] = v;
        }
    }
    double mag = fmax(ax->hi, 1.0 / ax->lo);
    ax->decimals = mag >= 1e6 ? -1 : (ax->lo < 1 ? decimals_for(ax->lo * 1.0000001) : 0);
}

/* The next nice step down: 5 -> 2 -> 1 -> 0.5 (x 10^k). */
static double smaller_step(double step)
{
    double mag = pow(10.0, floor(log10(step) + 1e-9));
    double m = step / mag;
    return m > 4.5 ? 2 * mag : m > 1.5 ? mag : 0.5 * mag;
}

void cp_axis_ticks(struct cp_axis *ax, int target)
{
    if (target < 2)
        target = 2;
    if (ax->log) {
        log_ticks(ax, target);
        return;
    }
    linear_ticks(ax, ax->lo, ax->hi, target);
    /* a step rounded up past half the range leaves one tick: a reader needs two to read a
     * scale, so step down through 5, 2, 1 until there are two */
    for (int guard = 0; ax->nticks < 2 && guard < 6; guard++) {
        double step = smaller_step(ax->step);
        double first = ceil(ax->lo / step - 1e-9) * step;
        ax->nticks = 0;
        for (double k = 0; ax->nticks < CP_AXIS_MAX_TICKS; k++) {
            double t = first + k * step;
            if (t > ax->hi + step * 1e-9)
                break;
            ax->ticks[ax->nticks++] = fabs(t) < step * 1e-9 ? 0.0 : t;
        }
        ax->step = step;
        double mag = fmax(fabs(ax->lo), fabs(ax->hi));
        ax->decimals = (mag >= 1e7 || (mag > 0 && mag < 1e-4)) ? -1 : decimals_for(step);
    }
}

/* Replace a leading '-' by U+2212 MINUS SIGN: the hyphen is too short to read in a label. */
static void real_minus(char *buf, size_t n)
{
    if (buf[0] != '-' || strlen(buf) + 3 > n)
        return;
    memmove(buf + 3, buf + 1, strlen(buf + 1) + 1);
    buf[0] = (char)0xE2;
    buf[1] = (char)0x88;
    buf[2] = (char)0x92;
}

void cp_axis_format(const struct cp_axis *ax, double v, char *buf, size_t n)
{
    if (n == 0)
        return;
    if (ax->decimals < 0) {
        int e = (int)floor(log10(fabs(v)));
        double m = v / pow(10.0, e);
        if (v == 0)
            snprintf(buf, n, "0");
        else if (fabs(m - 1.0) < 1e-9)
            snprintf(buf, n, "1e%d", e);
        else
            snprintf(buf, n, "%.3ge%d", m, e);
    } else if (ax->log && ax->step == 0) {
        snprintf(buf, n, "%.*f", ax->decimals, v);
        if (ax->decimals > 0) {
            /* trim zeros so 0.0010 reads 0.001 next to 0.01 */
            size_t len = strlen(buf);
            while (len > 1 && buf[len - 1] == '0')
                buf[--len] = '\0';
            if (len > 0 && buf[len - 1] == '.')
                buf[--len] = '\0';
        }
    } else {
        snprintf(buf, n, "%.*f", ax->decimals, v);
    }
    real_minus(buf, n);
}

double cp_axis_map(const struct cp_axis *ax, double v)
{
    if (ax->log)
        return (log10(v) - log10(ax->lo)) / (log10(ax->hi) - log10(ax->lo));
    return (v - ax->lo) / (ax->hi - ax->lo);
}
