/*
 * Pango text on cairo. One context and one layout per cairo_t, reused for every string.
 * Hinting is off and glyph positions are not rounded: metrics then depend only on the font
 * file, so a PDF and an SVG of one plot lay out identically and reruns are byte-identical.
 */
#include "cellpipe/text.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <pango/pangocairo.h>

#define FONT_FAMILY "DejaVu Sans"

int cp_text_init(struct cp_text *t, cairo_t *cr)
{
    t->cr = cr;
    t->context = NULL;
    t->layout = NULL;
    t->font = NULL;
    PangoContext *ctx = pango_cairo_create_context(cr);
    if (!ctx)
        return -1;
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
    pango_cairo_context_set_font_options(ctx, fo);
    cairo_font_options_destroy(fo);
    pango_context_set_round_glyph_positions(ctx, FALSE);
    t->context = ctx;
    t->layout = pango_layout_new(ctx);
    t->font = pango_font_description_new();
    pango_font_description_set_family(t->font, FONT_FAMILY);
    return t->layout && t->font ? 0 : -1;
}

void cp_text_release(struct cp_text *t)
{
    if (t->layout)
        g_object_unref(t->layout);
    if (t->context)
        g_object_unref(t->context);
    if (t->font)
        pango_font_description_free(t->font);
    t->layout = t->context = t->font = NULL;
}

/* No line or box of a page shows more than a few hundred characters, but Pango lays out the
 * whole string before it ellipsizes: a 20 MB description took 25 s and 2.4 GB. Plain text is
 * cut at CP_TEXT_MAX_BYTES, on a UTF-8 character boundary, before layout; the ellipsis the
 * width limit adds shows that it was cut. (Markup is ours, short, and never cut: a cut could
 * split a tag.) */
#define CP_TEXT_MAX_BYTES 8192

static int clipped_len(const char *s)
{
    size_t n = strlen(s);
    if (n <= CP_TEXT_MAX_BYTES)
        return (int)n;
    n = CP_TEXT_MAX_BYTES;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) /* s[n] continues a character */
        n--;
    return (int)n;
}

static PangoLayout *prepare(struct cp_text *t, const char *s, double size, int flags, double max_w)
{
    PangoLayout *l = t->layout;
    PangoFontDescription *fd = t->font;
    pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
    pango_font_description_set_weight(fd, (flags & CP_TEXT_BOLD) ? PANGO_WEIGHT_BOLD
                                                                 : PANGO_WEIGHT_NORMAL);
    pango_layout_set_font_description(l, fd);
    pango_layout_set_width(l, max_w > 0 ? (int)(max_w * PANGO_SCALE) : -1);
    pango_layout_set_ellipsize(l, max_w > 0 ? PANGO_ELLIPSIZE_END : PANGO_ELLIPSIZE_NONE);
    pango_layout_set_height(l, -1); /* one line unless cp_text_draw_wrapped asks for more */
    if (flags & CP_TEXT_MARKUP)
        pango_layout_set_markup(l, s ? s : "", -1);
    else
        pango_layout_set_text(l, s ? s : "", s ? clipped_len(s) : 0);
    return l;
}

void cp_text_measure(struct cp_text *t, const char *s, double size, int flags, double *w, double *h)
{
    PangoRectangle logical;
    pango_layout_get_extents(prepare(t, s, size, flags, 0), NULL, &logical);
    if (w)
        *w = (double)logical.width / PANGO_SCALE;
    if (h)
        *h = (double)logical.height / PANGO_SCALE;
}

void cp_text_draw(struct cp_text *t, const char *s, double x, double y, double size, int flags,
                  double ax, double ay, double angle, double max_w)
{
    PangoLayout *l = prepare(t, s, size, flags, max_w);
    PangoRectangle logical;
    pango_layout_get_extents(l, NULL, &logical);
    double w = (double)logical.width / PANGO_SCALE, h = (double)logical.height / PANGO_SCALE;
    /* an ellipsized layout reports its full width; the drawn box is at most max_w */
    if (max_w > 0 && w > max_w)
        w = max_w;
    cairo_t *cr = t->cr;
    cairo_save(cr);
    cairo_translate(cr, x, y);
    if (angle != 0.0)
        cairo_rotate(cr, angle);
    cairo_move_to(cr, -ax * w - (double)logical.x / PANGO_SCALE, -ay * h);
    pango_cairo_update_layout(cr, l);
    pango_cairo_show_layout(cr, l);
    cairo_restore(cr);
}

void cp_text_draw_wrapped(struct cp_text *t, const char *s, double x, double y, double size,
                          int flags, double ay, double max_w, int max_lines)
{
    PangoLayout *l = prepare(t, s, size, flags, max_w);
    pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_height(l, -(max_lines > 0 ? max_lines : 1));
    PangoRectangle logical;
    pango_layout_get_extents(l, NULL, &logical);
    cairo_t *cr = t->cr;
    cairo_save(cr);
    cairo_move_to(cr, x, y - ay * (double)logical.height / PANGO_SCALE);
    pango_cairo_update_layout(cr, l);
    pango_cairo_show_layout(cr, l);
    cairo_restore(cr);
    pango_layout_set_height(l, -1);
}

/*
 * LeakSanitizer hook (looked up by the sanitizer runtime by this exact name; unused in
 * normal builds). fontconfig keeps its caches behind pointers stored as offsets, which LSan
 * cannot follow, so every process that lays out text "leaks" them at exit. Only fontconfig
 * is suppressed: a leak in our code or in Pango/cairo calls is still reported.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\n";
}

/* Under LeakSanitizer, do not print the table of used suppressions at exit: the last line a
 * run prints on stderr is its closing summary (README "Commands"). */
const char *cp_text_count(char *buf, size_t n, long long v)
{
    char digits[24];
    int len = snprintf(digits, sizeof digits, "%llu",
                       v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v);
    size_t o = 0;
    if (v < 0 && o + 1 < n)
        buf[o++] = '-';
    for (int i = 0; i < len && o + 1 < n; i++) {
        if (i > 0 && (len - i) % 3 == 0 && o + 2 < n)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    if (n)
        buf[o] = '\0';
    return buf;
}

const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
    return "print_suppressions=0";
}
