/* The legend of the plot driver, always outside the data on the right (plot_internal.h). */
#include "cellpipe/plot.h"
#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cellpipe/alloc.h"
#include "cellpipe/axis.h"
#include "cellpipe/error.h"
#include "cellpipe/lttb.h"
#include "cellpipe/palette.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/text.h"
#include "cellpipe/timeutil.h"
#include "plot_internal.h"

/* ---- legend: always outside the data, on the right ---- */

static int legend_has(const struct legend *lg, const char *label)
{
    for (size_t i = 0; i < lg->n; i++)
        if (strcmp(lg->e[i]->label, label) == 0)
            return 1;
    return 0;
}

static void legend_add(struct legend *lg, const struct cp_legend_entry *e)
{
    if (!e->label || legend_has(lg, e->label))
        return;
    if (lg->n == MAX_LEGEND) {
        lg->hidden++;
        return;
    }
    lg->e[lg->n++] = e;
}

/* A legend entry built from a series, marker or value group, kept in lg's own storage. */
static void legend_auto(struct legend *lg, size_t *k, struct cp_legend_entry e)
{
    if (*k >= MAX_LEGEND || !e.label)
        return;
    lg->auto_e[*k] = e;
    legend_add(lg, &lg->auto_e[(*k)++]);
}

void plt_legend_collect(struct legend *lg, const struct cp_figure *fig)
{
    size_t k = 0;
    memset(lg, 0, sizeof(*lg));
    for (size_t i = 0; i < fig->nlegend; i++)
        legend_add(lg, &fig->legend[i]);
    for (size_t pi = 0; pi < fig->npanels; pi++) {
        const struct cp_panel *p = &fig->panels[pi];
        for (size_t s = 0; s < p->nseries; s++) {
            const struct cp_series *se = &p->series[s];
            legend_auto(lg, &k,
                        (struct cp_legend_entry){se->label, se->color, se->line, se->dashed,
                                                 se->lo != NULL, se->mark});
        }
        for (size_t m = 0; m < p->nmarkers; m++)
            legend_auto(lg, &k,
                        (struct cp_legend_entry){p->markers[m].label, p->markers[m].color, 0, 0, 0,
                                                 p->markers[m].mark});
        for (size_t g = 0; p->kind == CP_PANEL_HISTOGRAM && g < p->nvalues; g++)
            legend_auto(lg, &k,
                        (struct cp_legend_entry){p->values[g].label, p->values[g].color, 0, 0, 1,
                                                 CP_MARK_NONE});
    }
}

double plt_legend_width(struct dc *dc, const struct legend *lg, double max_w)
{
    double w = 0;
    for (size_t i = 0; i < lg->n; i++) {
        double tw;
        cp_text_measure(&dc->tx, lg->e[i]->label, FS_LEGEND, 0, &tw, NULL);
        w = fmax(w, tw);
    }
    return lg->n ? fmin(w, max_w) + 28 : 0;
}

static void legend_swatch(cairo_t *cr, const struct cp_legend_entry *e, double x, double y)
{
    cairo_save(cr);
    if (e->fill) {
        cairo_rectangle(cr, x, y - 4, 18, 8);
        cp_palette_set(cr, e->color, e->line || e->dashed ? 0.16 : 0.75);
        cairo_fill(cr);
    }
    if (e->line || e->dashed) {
        struct cp_series s = {0};
        s.color = e->color;
        s.dashed = e->dashed;
        plt_stroke_style(cr, &s);
        cairo_move_to(cr, x, y);
        cairo_line_to(cr, x + 18, y);
        cairo_stroke(cr);
    } else if (e->fill) {
        cp_palette_set(cr, e->color, 1);
        cairo_set_line_width(cr, 1);
        cairo_rectangle(cr, x, y - 4, 18, 8);
        cairo_stroke(cr);
    }
    if (e->mark != CP_MARK_NONE)
        plt_draw_mark(cr, e->mark == CP_MARK_DOT ? CP_MARK_DOT : e->mark, x + 9, y, e->color);
    cairo_restore(cr);
}

void plt_draw_legend(struct dc *dc, const struct legend *lg, double x, double y, double w, double h)
{
    double lh;
    cp_text_measure(&dc->tx, "Xg", FS_LEGEND, 0, NULL, &lh);
    double row = lh + 4;
    size_t fit = (size_t)(h / row);
    size_t shown = lg->n;
    int more = lg->hidden > 0;
    if (shown > fit) {
        shown = fit > 0 ? fit - 1 : 0;
        more = 1;
    }
    for (size_t i = 0; i < shown; i++) {
        double yc = y + (i + 0.5) * row;
        legend_swatch(dc->cr, lg->e[i], x, yc);
        plt_grey(dc->cr, 0.1);
        cp_text_draw(&dc->tx, lg->e[i]->label, x + 24, yc, FS_LEGEND, 0, 0, 0.5, 0, w - 22);
    }
    if (more) {
        struct cp_strbuf sb = CP_STRBUF_INIT;
        if (cp_strbuf_addf(&sb, "+%zu more", lg->n - shown + lg->hidden) == 0) {
            plt_grey(dc->cr, 0.4);
            cp_text_draw(&dc->tx, sb.buf, x + 24, y + (shown + 0.5) * row, FS_LEGEND, 0, 0, 0.5, 0,
                         0);
        }
        cp_strbuf_release(&sb);
    }
}

/* Legend entries flowing in rows under a grid of panels; returns the height used (with
 * draw = 0 it only measures). Entries that do not fit in max_rows end in "+N more". */
double plt_legend_rows(struct dc *dc, const struct legend *lg, double x, double y, double w,
                       int max_rows, int draw)
{
    double lh;
    cp_text_measure(&dc->tx, "Xg", FS_LEGEND, 0, NULL, &lh);
    double row = lh + 4, cx = x;
    int rows = lg->n ? 1 : 0;
    for (size_t i = 0; i < lg->n; i++) {
        double tw;
        cp_text_measure(&dc->tx, lg->e[i]->label, FS_LEGEND, 0, &tw, NULL);
        double ew = 24 + fmin(tw, w / 2) + 16;
        if (cx > x && cx + ew > x + w) {
            if (rows == max_rows) {
                if (draw) {
                    struct cp_strbuf sb = CP_STRBUF_INIT;
                    if (cp_strbuf_addf(&sb, "+%zu more", lg->n - i + lg->hidden) == 0) {
                        plt_grey(dc->cr, 0.4);
                        cp_text_draw(&dc->tx, sb.buf, x + w, y + (rows - 0.5) * row, FS_LEGEND, 0,
                                     1, 0.5, 0, 0);
                    }
                    cp_strbuf_release(&sb);
                }
                break;
            }
            rows++;
            cx = x;
        }
        if (draw) {
            double yc = y + (rows - 0.5) * row;
            legend_swatch(dc->cr, lg->e[i], cx, yc);
            plt_grey(dc->cr, 0.1);
            cp_text_draw(&dc->tx, lg->e[i]->label, cx + 24, yc, FS_LEGEND, 0, 0, 0.5, 0, w / 2);
        }
        cx += ew;
    }
    return rows * row;
}
