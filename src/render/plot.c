/* The one plot driver: lays out a figure (title, legend outside the data, panel grid) and draws
 * each panel on a cairo_t; PDF and SVG differ only in the surface cp_plot_render() creates. Sizes
 * are in points; fonts are DejaVu Sans through render/text.c. */
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

/* ---- the figure ---- */

static int draw_panel(struct dc *dc, const struct cp_panel *p, struct rect r)
{
    if (p->title) {
        double th;
        cp_text_measure(&dc->tx, p->title, FS_PANEL, CP_TEXT_BOLD, NULL, &th);
        plt_grey(dc->cr, 0.1);
        cp_text_draw(&dc->tx, p->title, r.x + r.w / 2, r.y, FS_PANEL, CP_TEXT_BOLD, 0.5, 0, 0, r.w);
        r.y += th + 2;
        r.h -= th + 2;
    }
    switch (p->kind) {
    case CP_PANEL_XY:
        return plt_draw_xy(dc, p, r);
    case CP_PANEL_HISTOGRAM:
        return plt_draw_histogram(dc, p, r);
    case CP_PANEL_BOX:
        return plt_draw_boxes(dc, p, r);
    case CP_PANEL_INTERVALS:
        return plt_draw_intervals(dc, p, r);
    case CP_PANEL_HEATMAP:
        return plt_draw_heatmap(dc, p, r);
    }
    return 0;
}

static double draw_titles(struct dc *dc, const struct cp_figure *fig, struct rect r)
{
    double y = r.y + 10;
    if (fig->title) {
        double th;
        cp_text_measure(&dc->tx, fig->title, FS_TITLE, CP_TEXT_BOLD, NULL, &th);
        plt_grey(dc->cr, 0.05);
        cp_text_draw(&dc->tx, fig->title, r.x + 14, y, FS_TITLE, CP_TEXT_BOLD, 0, 0, 0, r.w - 28);
        y += th + 1;
    }
    if (fig->subtitle) {
        double sh;
        cp_text_measure(&dc->tx, fig->subtitle, FS_SUBTITLE, 0, NULL, &sh);
        plt_grey(dc->cr, 0.35);
        cp_text_draw(&dc->tx, fig->subtitle, r.x + 14, y, FS_SUBTITLE, 0, 0, 0, 0, r.w - 28);
        y += sh;
    }
    return y + 8;
}

static int draw_panels(struct dc *dc, const struct cp_figure *fig, struct rect area)
{
    size_t np = fig->npanels;
    size_t cols = fig->columns > 0 ? (size_t)fig->columns : (size_t)ceil(sqrt((double)np));
    if (cols == 0)
        cols = 1;
    size_t rows = (np + cols - 1) / cols;
    double cw = area.w / (double)cols, ch = area.h / (double)rows;
    int rc = 0;
    for (size_t i = 0; i < np && rc == 0; i++) {
        struct rect r = {area.x + (double)(i % cols) * cw, area.y + (double)(i / cols) * ch,
                         cw - (cols > 1 ? 10 : 0), ch - (rows > 1 ? 8 : 0)};
        rc = draw_panel(dc, &fig->panels[i], r);
    }
    return rc;
}

int cp_plot_draw(cairo_t *cr, const struct cp_figure *fig, double x, double y, double w, double h)
{
    struct dc dc = {cr, {0}};
    struct legend *lg = NULL;
    int rc = -1;
    if (cp_text_init(&dc.tx, cr) != 0)
        goto cleanup;
    lg = cp_malloc(sizeof(*lg));
    if (!lg)
        goto cleanup;
    cairo_save(cr);
    cairo_rectangle(cr, x, y, w, h);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_fill(cr);
    struct rect all = {x, y, w, h};
    double top = draw_titles(&dc, fig, all);
    plt_legend_collect(lg, fig);
    /* beside a single plot the legend costs width it has to spare; under a grid of panels it
     * costs a line or two of height instead of a column every panel would lose */
    int below = fig->npanels > 1;
    double lw = below ? 0 : plt_legend_width(&dc, lg, w * 0.25);
    double lh = below ? plt_legend_rows(&dc, lg, x + 14, 0, w - 28, 3, 0) : 0;
    struct rect area = {x + 10, top, w - 20 - lw, y + h - top - 10 - (lh > 0 ? lh + 8 : 0)};
    if (fig->npanels == 0) {
        plt_draw_no_data(&dc, area, "nothing to plot");
        rc = 0;
    } else {
        rc = draw_panels(&dc, fig, area);
    }
    if (lw > 0)
        plt_draw_legend(&dc, lg, area.x + area.w + 10, area.y + 6, lw, area.h - 6);
    if (lh > 0)
        plt_legend_rows(&dc, lg, x + 14, area.y + area.h + 8, w - 28, 3, 1);
    cairo_restore(cr);
cleanup:
    cp_free(lg);
    cp_text_release(&dc.tx);
    return rc;
}

/* ---- surfaces ---- */

cairo_status_t cp_plot_write_strbuf(void *closure, const unsigned char *data, unsigned int length)
{
    struct cp_strbuf *sb = closure;
    return cp_strbuf_add(sb, (const char *)data, length) == 0 ? CAIRO_STATUS_SUCCESS
                                                              : CAIRO_STATUS_WRITE_ERROR;
}

void cp_plot_pdf_date(int64_t epoch, char *buf, size_t n)
{
    /* cairo takes ISO 8601 with an optional zone; "Z" keeps it UTC on every machine */
    cp_format_time(epoch, buf, n);
}

/* The one place a cairo status becomes a cellpipe error. */
static int cairo_error(struct cp_error *err, cairo_status_t st, const char *what)
{
    return cp_error_set(err, CP_EINTERNAL, "cannot render %s: %s", what,
                        cairo_status_to_string(st));
}

static cairo_surface_t *make_surface(enum cp_plot_format fmt, double w, double h, int64_t epoch,
                                     const char *title, struct cp_strbuf *out)
{
    cairo_surface_t *s;
    if (fmt == CP_PLOT_SVG) {
        s = cairo_svg_surface_create_for_stream(cp_plot_write_strbuf, out, w, h);
        cairo_svg_surface_restrict_to_version(s, CAIRO_SVG_VERSION_1_1);
        cairo_svg_surface_set_document_unit(s, CAIRO_SVG_UNIT_PT);
        return s;
    }
    char date[32];
    s = cairo_pdf_surface_create_for_stream(cp_plot_write_strbuf, out, w, h);
    cp_plot_pdf_date(epoch, date, sizeof(date));
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATE_DATE, date);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "cellpipe");
    if (title)
        cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, title);
    return s;
}

static int add_escaped(struct cp_strbuf *sb, const char *s)
{
    int rc = 0;
    for (; s && *s && rc == 0; s++) {
        switch (*s) {
        case '<':
            rc = cp_strbuf_adds(sb, "&lt;");
            break;
        case '>':
            rc = cp_strbuf_adds(sb, "&gt;");
            break;
        case '&':
            rc = cp_strbuf_adds(sb, "&amp;");
            break;
        default:
            rc = cp_strbuf_addch(sb, *s);
        }
    }
    return rc;
}

/* "x: ...; y: ...; series: A, B" for the SVG <desc>: cairo draws text as glyph outlines,
 * so without it a screen reader (or a test) finds no words in the file. */
static int describe(const struct cp_figure *fig, struct cp_strbuf *sb)
{
    struct legend *lg = cp_malloc(sizeof(*lg));
    int rc = lg ? 0 : -1;
    for (size_t i = 0; i < fig->npanels && rc == 0; i++) {
        const struct cp_panel *p = &fig->panels[i];
        rc = cp_strbuf_adds(sb, i ? "; panel: " : "panel: ");
        if (rc == 0)
            rc = add_escaped(sb, p->title ? p->title : "");
        if (rc == 0)
            rc = cp_strbuf_adds(sb, "; x: ");
        if (rc == 0)
            rc = add_escaped(sb, p->xlabel ? p->xlabel : "");
        if (rc == 0)
            rc = cp_strbuf_adds(sb, "; y: ");
        if (rc == 0)
            rc = add_escaped(sb, p->ylabel ? p->ylabel : "");
        for (size_t k = 0; k < p->nmatrix && rc == 0; k++) {
            rc = cp_strbuf_adds(sb, k ? ", " : "; matrix of: ");
            if (rc == 0)
                rc = add_escaped(sb, p->matrix_labels[k]);
        }
    }
    if (rc == 0) {
        plt_legend_collect(lg, fig);
        rc = cp_strbuf_adds(sb, "; legend: ");
        for (size_t i = 0; i < lg->n && rc == 0; i++) {
            rc = i ? cp_strbuf_adds(sb, ", ") : 0;
            if (rc == 0)
                rc = add_escaped(sb, lg->e[i]->label);
        }
    }
    cp_free(lg);
    return rc;
}

/* Append the number at *p (a path coordinate) rounded to 2 decimals, without trailing zeros;
 * advances *p past it. */
static int add_short_number(struct cp_strbuf *sb, const char **p)
{
    char *end;
    double v = strtod(*p, &end);
    char buf[48];
    if (end == *p)
        return cp_strbuf_addch(sb, *(*p)++);
    *p = end;
    snprintf(buf, sizeof(buf), "%.2f", v);
    size_t n = strlen(buf);
    while (n > 0 && buf[n - 1] == '0')
        n--;
    if (n > 0 && buf[n - 1] == '.')
        n--;
    buf[n] = '\0';
    return cp_strbuf_adds(sb, strcmp(buf, "-0") == 0 ? "0" : buf);
}

/*
 * cairo writes path coordinates with six decimals; a hundredth of a point is far below what
 * any screen or printer shows, and the shorter numbers make plots (and the HTML index that
 * inlines them) about a third smaller. Only d="..." path data is touched.
 */
static int svg_shorten_paths(struct cp_strbuf *out, size_t start)
{
    struct cp_strbuf sb = CP_STRBUF_INIT;
    const char *p = out->buf + start, *end = out->buf + out->len;
    int rc = 0;
    while (rc == 0 && p < end) {
        const char *d = strstr(p, " d=\"");
        if (!d) {
            rc = cp_strbuf_add(&sb, p, (size_t)(end - p));
            break;
        }
        d += 4;
        rc = cp_strbuf_add(&sb, p, (size_t)(d - p));
        p = d;
        while (rc == 0 && p < end && *p != '"') {
            if ((*p >= '0' && *p <= '9') || *p == '-' || *p == '.')
                rc = add_short_number(&sb, &p);
            else
                rc = cp_strbuf_addch(&sb, *p++);
        }
    }
    if (rc == 0) {
        out->len = start;
        out->buf[start] = '\0';
        rc = cp_strbuf_add(out, sb.buf, sb.len);
    }
    cp_strbuf_release(&sb);
    return rc;
}

/* Insert <title> and <desc> right after the opening <svg> tag that cairo wrote at `start`. */
static int svg_annotate(const struct cp_figure *fig, struct cp_strbuf *out, size_t start)
{
    struct cp_strbuf meta = CP_STRBUF_INIT;
    char *tag = strstr(out->buf + start, "<svg");
    char *end = tag ? strchr(tag, '>') : NULL;
    if (!end)
        return 0;
    size_t at = (size_t)(end - out->buf) + 1;
    int rc = cp_strbuf_adds(&meta, "\n<title>");
    if (rc == 0)
        rc = add_escaped(&meta, fig->title ? fig->title : "plot");
    if (rc == 0)
        rc = cp_strbuf_adds(&meta, "</title>\n<desc>");
    if (rc == 0)
        rc = describe(fig, &meta);
    if (rc == 0)
        rc = cp_strbuf_adds(&meta, "</desc>");
    if (rc == 0)
        rc = cp_strbuf_grow(out, meta.len);
    if (rc == 0) {
        memmove(out->buf + at + meta.len, out->buf + at, out->len - at + 1);
        memcpy(out->buf + at, meta.buf, meta.len);
        out->len += meta.len;
    }
    cp_strbuf_release(&meta);
    return rc;
}

int cp_plot_render(const struct cp_figure *fig, enum cp_plot_format fmt, double w, double h,
                   int64_t epoch, struct cp_strbuf *out, struct cp_error *err)
{
    size_t start = out->len;
    const char *what = fmt == CP_PLOT_SVG ? "svg" : "pdf";
    cairo_surface_t *s = make_surface(fmt, w, h, epoch, fig->title, out);
    cairo_t *cr = cairo_create(s);
    int rc = cp_plot_draw(cr, fig, 0, 0, w, h);
    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    cairo_surface_finish(s);
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_status(s);
    cairo_surface_destroy(s);
    if (rc != 0)
        return cp_error_oom(err);
    if (st != CAIRO_STATUS_SUCCESS)
        return cairo_error(err, st, what);
    if (fmt == CP_PLOT_SVG &&
        (svg_shorten_paths(out, start) != 0 || cp_svg_renumber_ids(out, start) != 0 ||
         svg_annotate(fig, out, start) != 0))
        return cp_error_oom(err);
    return 0;
}
