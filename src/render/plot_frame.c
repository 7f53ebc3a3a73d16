/* Plot primitives: scales, markers, the no-data note, frame layout with measured ticks, grid, axes,
 * clipping (plot_internal.h). */
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

void plt_grey(cairo_t *cr, double v)
{
    cairo_set_source_rgb(cr, v, v, v);
}

double plt_px(const struct frame *f, double v)
{
    return f->r.x + cp_axis_map(&f->ax, v) * f->r.w;
}

double plt_py(const struct frame *f, double v)
{
    return f->r.y + f->r.h - cp_axis_map(&f->ay, v) * f->r.h;
}

int plt_valid(double v, int log)
{
    return isfinite(v) && (!log || v > 0);
}

int plt_in_fixed(double v, double lo, double hi)
{
    return !(isfinite(lo) && v < lo) && !(isfinite(hi) && v > hi);
}

/* ---- markers and no-data ---- */

void plt_draw_mark(cairo_t *cr, enum cp_mark mark, double x, double y, int color)
{
    cairo_save(cr);
    cairo_set_dash(cr, NULL, 0, 0);
    cairo_new_path(cr);
    switch (mark) {
    case CP_MARK_DOT:
        cairo_arc(cr, x, y, 1.7, 0, 2 * M_PI);
        cp_palette_set(cr, color, 0.9);
        cairo_fill(cr);
        break;
    case CP_MARK_DISC:
        cairo_arc(cr, x, y, 3.6, 0, 2 * M_PI);
        cp_palette_set(cr, color, 1);
        cairo_fill_preserve(cr);
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_set_line_width(cr, 0.8);
        cairo_stroke(cr);
        break;
    case CP_MARK_CIRCLE:
        cairo_arc(cr, x, y, 3.0, 0, 2 * M_PI);
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_fill_preserve(cr);
        cp_palette_set(cr, color, 1);
        cairo_set_line_width(cr, 1.2);
        cairo_stroke(cr);
        break;
    case CP_MARK_DIAMOND:
        cairo_move_to(cr, x, y - 4.5);
        cairo_line_to(cr, x + 4.5, y);
        cairo_line_to(cr, x, y + 4.5);
        cairo_line_to(cr, x - 4.5, y);
        cairo_close_path(cr);
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_fill_preserve(cr);
        cp_palette_set(cr, color, 1);
        cairo_set_line_width(cr, 1.3);
        cairo_stroke(cr);
        break;
    case CP_MARK_CROSS:
        /* a white halo under the cross keeps it readable on top of dense data */
        for (int pass = 0; pass < 2; pass++) {
            cairo_move_to(cr, x - 3.5, y - 3.5);
            cairo_line_to(cr, x + 3.5, y + 3.5);
            cairo_move_to(cr, x - 3.5, y + 3.5);
            cairo_line_to(cr, x + 3.5, y - 3.5);
            if (pass == 0)
                cairo_set_source_rgb(cr, 1, 1, 1);
            else
                cp_palette_set(cr, color, 1);
            cairo_set_line_width(cr, pass == 0 ? 3.2 : 1.5);
            cairo_stroke(cr);
        }
        break;
    case CP_MARK_TRIANGLE:
        cairo_move_to(cr, x + 4.5, y);
        cairo_line_to(cr, x - 3, y - 4);
        cairo_line_to(cr, x - 3, y + 4);
        cairo_close_path(cr);
        cp_palette_set(cr, color, 1);
        cairo_fill(cr);
        break;
    case CP_MARK_TICK:
        /* the curve's own colour over a white halo, so it reads on a band and a step */
        for (int pass = 0; pass < 2; pass++) {
            cairo_move_to(cr, x, y - 4);
            cairo_line_to(cr, x, y + 4);
            if (pass == 0)
                cairo_set_source_rgba(cr, 1, 1, 1, 0.9);
            else
                cp_palette_set(cr, color, 1);
            cairo_set_line_width(cr, pass == 0 ? 2.8 : 1.2);
            cairo_stroke(cr);
        }
        break;
    case CP_MARK_NONE:
        break;
    }
    cairo_restore(cr);
}

void plt_draw_no_data(struct dc *dc, struct rect r, const char *why)
{
    cairo_t *cr = dc->cr;
    cairo_rectangle(cr, r.x + 0.5, r.y + 0.5, r.w - 1, r.h - 1);
    plt_grey(cr, 0.7);
    cairo_set_line_width(cr, 0.8);
    cairo_stroke(cr);
    plt_grey(cr, 0.45);
    cp_text_draw(&dc->tx, "no data", r.x + r.w / 2, r.y + r.h / 2, 12, CP_TEXT_BOLD, 0.5, 1, 0,
                 r.w - 8);
    if (why)
        cp_text_draw(&dc->tx, why, r.x + r.w / 2, r.y + r.h / 2 + 3, FS_TICK, 0, 0.5, 0, 0,
                     r.w - 8);
}

/* ---- frame layout: margins from measured tick labels, ticks that never overlap ---- */

static double max_tick_width(struct dc *dc, const struct cp_axis *a)
{
    double mw = 0;
    char buf[64];
    for (size_t i = 0; i < a->nticks; i++) {
        double tw;
        cp_axis_format(a, a->ticks[i], buf, sizeof(buf));
        cp_text_measure(&dc->tx, buf, FS_TICK, 0, &tw, NULL);
        if (tw > mw)
            mw = tw;
    }
    return mw;
}

static void y_ticks(struct cp_axis *a, double h, int integer)
{
    int target = (int)(h / 32.0);
    cp_axis_ticks(a, target < 2 ? 2 : target > 10 ? 10 : target);
    if (integer && !a->log && a->step < 1)
        cp_axis_ticks(a, (int)floor(a->hi - a->lo) < 2 ? 2 : (int)floor(a->hi - a->lo));
}

/* Largest tick count whose labels, each with a gap, fit side by side in w. */
static void x_ticks(struct dc *dc, struct cp_axis *a, double w)
{
    int target = (int)(w / 60.0);
    if (target > 12)
        target = 12;
    for (; target >= 2; target--) {
        cp_axis_ticks(a, target);
        if ((double)a->nticks * (max_tick_width(dc, a) + 12.0) <= w)
            return;
    }
    cp_axis_ticks(a, 2);
}

/*
 * Place the data area inside r. left_extra is room already needed on the left (category
 * labels). integer_y: counts, ticks at whole numbers.
 */
void plt_layout_frame(struct dc *dc, struct frame *f, struct rect r, const char *xlabel,
                      const char *ylabel, double left_extra, int integer_y)
{
    double lh;
    cp_text_measure(&dc->tx, "0", FS_TICK, 0, NULL, &lh);
    double label_h = 0;
    cp_text_measure(&dc->tx, "Xg", FS_LABEL, 0, NULL, &label_h);
    double bottom = TICK_LEN + 3 + lh + (xlabel ? label_h + 4 : 0);
    double top = 6;
    double h = r.h - bottom - top;
    double left = (ylabel ? label_h + 6 : 0) + left_extra;
    if (!f->ycat) {
        y_ticks(&f->ay, h, integer_y);
        left += max_tick_width(dc, &f->ay) + TICK_LEN + 4;
    }
    double right = 12; /* room for the last x label's right half */
    f->r = (struct rect){r.x + left, r.y + top, r.w - left - right, h};
    if (f->r.w < 20)
        f->r.w = 20;
    if (f->r.h < 20)
        f->r.h = 20;
    if (!f->xcat)
        x_ticks(dc, &f->ax, f->r.w);
}

void plt_draw_grid(struct dc *dc, const struct frame *f)
{
    cairo_t *cr = dc->cr;
    cairo_save(cr);
    cairo_set_line_width(cr, 0.4);
    plt_grey(cr, 0.93);
    for (size_t i = 0; i < f->ax.nminor && !f->xcat; i++) {
        double x = round(plt_px(f, f->ax.minor[i])) + 0.2;
        cairo_move_to(cr, x, f->r.y);
        cairo_line_to(cr, x, f->r.y + f->r.h);
    }
    for (size_t i = 0; i < f->ay.nminor && !f->ycat; i++) {
        double y = round(plt_py(f, f->ay.minor[i])) + 0.2;
        cairo_move_to(cr, f->r.x, y);
        cairo_line_to(cr, f->r.x + f->r.w, y);
    }
    cairo_stroke(cr);
    cairo_set_line_width(cr, 0.5);
    plt_grey(cr, 0.85);
    for (size_t i = 0; i < f->ax.nticks && !f->xcat; i++) {
        double x = plt_px(f, f->ax.ticks[i]);
        cairo_move_to(cr, x, f->r.y);
        cairo_line_to(cr, x, f->r.y + f->r.h);
    }
    for (size_t i = 0; i < f->ay.nticks && !f->ycat; i++) {
        double y = plt_py(f, f->ay.ticks[i]);
        cairo_move_to(cr, f->r.x, y);
        cairo_line_to(cr, f->r.x + f->r.w, y);
    }
    cairo_stroke(cr);
    cairo_restore(cr);
}

void plt_draw_axes(struct dc *dc, const struct frame *f, const char *xlabel, const char *ylabel,
                   double left_extra)
{
    cairo_t *cr = dc->cr;
    char buf[64];
    plt_grey(cr, 0.2);
    cairo_set_line_width(cr, 0.8);
    cairo_rectangle(cr, f->r.x, f->r.y, f->r.w, f->r.h);
    cairo_stroke(cr);
    double bottom = f->r.y + f->r.h;
    for (size_t i = 0; i < f->ax.nticks && !f->xcat; i++) {
        double x = plt_px(f, f->ax.ticks[i]);
        cairo_move_to(cr, x, bottom);
        cairo_line_to(cr, x, bottom + TICK_LEN);
        cairo_stroke(cr);
        cp_axis_format(&f->ax, f->ax.ticks[i], buf, sizeof(buf));
        cp_text_draw(&dc->tx, buf, x, bottom + TICK_LEN + 2, FS_TICK, 0, 0.5, 0, 0, 0);
    }
    double tick_w = f->ycat ? 0 : max_tick_width(dc, &f->ay);
    for (size_t i = 0; i < f->ay.nticks && !f->ycat; i++) {
        double y = plt_py(f, f->ay.ticks[i]);
        cairo_move_to(cr, f->r.x, y);
        cairo_line_to(cr, f->r.x - TICK_LEN, y);
        cairo_stroke(cr);
        cp_axis_format(&f->ay, f->ay.ticks[i], buf, sizeof(buf));
        cp_text_draw(&dc->tx, buf, f->r.x - TICK_LEN - 3, y, FS_TICK, 0, 1, 0.5, 0, 0);
    }
    double lh;
    cp_text_measure(&dc->tx, "0", FS_TICK, 0, NULL, &lh);
    if (xlabel)
        cp_text_draw(&dc->tx, xlabel, f->r.x + f->r.w / 2, bottom + TICK_LEN + 4 + lh, FS_LABEL, 0,
                     0.5, 0, 0, f->r.w);
    if (ylabel) {
        double x = f->r.x - TICK_LEN - 6 - tick_w - left_extra;
        cp_text_draw(&dc->tx, ylabel, x, f->r.y + f->r.h / 2, FS_LABEL, 0, 0.5, 1, -M_PI / 2,
                     f->r.h);
    }
}

void plt_clip_frame(cairo_t *cr, const struct frame *f)
{
    cairo_save(cr);
    cairo_rectangle(cr, f->r.x, f->r.y, f->r.w, f->r.h);
    cairo_clip(cr);
}
