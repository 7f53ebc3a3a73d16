/*
 * A 1 M-point series rendered to PDF: time per render and file size.
 * Goal (docs/plots.md): <= 10 ms and <= 100 KiB. Prints key=value figures; never asserts.
 * The first render (font loading, fontconfig cache) is reported separately.
 */
#include <math.h>
#include <stdio.h>
#include <time.h>

#include "cellpipe/error.h"
#include "cellpipe/plot.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/timeutil.h"

#define N 1000000

/* CPU time of this process: the shared build machines make wall time noisy. */
static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}
#define ROUNDS 10

static struct cp_figure *make_figure(void)
{
    struct cp_figure *fig = cp_figure_new("1 M cycles of one cell");
    struct cp_panel *p =
        fig ? cp_figure_add_panel(fig, CP_PANEL_XY, NULL, "Cycle number", "Capacity retention (%)")
            : NULL;
    struct cp_series *s = p ? cp_panel_add_series(p, "cell-0001", 0, N) : NULL;
    if (!s)
        return fig;
    unsigned long long r = 88172645463325252ULL;
    for (size_t i = 0; i < N; i++) {
        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        double noise = ((double)(r >> 11) / 9007199254740992.0 - 0.5) * 0.4;
        s->x[i] = (double)(i + 1);
        s->y[i] = 100.0 - 0.002 * sqrt((double)i) * 10 - 1e-5 * (double)i + noise;
    }
    cp_panel_add_hline(p, 80, "EOL 80 %");
    return fig;
}

int main(void)
{
    struct cp_error err;
    struct cp_strbuf out = CP_STRBUF_INIT;
    struct cp_figure *fig = make_figure();
    if (!fig)
        return 1;
    cp_error_clear(&err);
    double t0 = cp_monotonic_ms();
    if (cp_plot_render(fig, CP_PLOT_PDF, 720, 432, 0, &out, &err) != 0) {
        fprintf(stderr, "bench_plot: %s\n", err.msg);
        return 1;
    }
    double first = cp_monotonic_ms() - t0;
    double best = INFINITY, sum = 0, cpu_best = INFINITY;
    for (int i = 0; i < ROUNDS; i++) {
        cp_strbuf_reset(&out);
        t0 = cp_monotonic_ms();
        double c0 = cpu_ms();
        cp_plot_render(fig, CP_PLOT_PDF, 720, 432, 0, &out, &err);
        double ms = cp_monotonic_ms() - t0, cms = cpu_ms() - c0;
        sum += ms;
        best = ms < best ? ms : best;
        cpu_best = cms < cpu_best ? cms : cpu_best;
    }
    printf("bench=plot points=%d format=pdf first_ms=%.2f best_ms=%.2f mean_ms=%.2f "
           "cpu_best_ms=%.2f bytes=%zu kib=%.1f goal_ms=10 goal_kib=100\n",
           N, first, best, sum / ROUNDS, cpu_best, out.len, out.len / 1024.0);
    cp_strbuf_reset(&out);
    t0 = cp_monotonic_ms();
    cp_plot_render(fig, CP_PLOT_SVG, 720, 432, 0, &out, &err);
    printf("bench=plot points=%d format=svg ms=%.2f bytes=%zu kib=%.1f\n", N,
           cp_monotonic_ms() - t0, out.len, out.len / 1024.0);
    cp_strbuf_release(&out);
    cp_figure_free(fig);
    return 0;
}
