#ifndef CELLPIPE_TEXT_H
#define CELLPIPE_TEXT_H
/*
 * Text for plots and the summary PDF (render/text.c): Pango on cairo, always DejaVu Sans
 * (installed by deployment/bootstrap), with hinting off so measurements, PDF and SVG agree on
 * every machine and reruns are byte-identical.
 *
 * A cp_text is bound to one cairo_t: cp_text_init() creates a Pango context and one layout
 * reused for every string (cheap: no per-string font lookup); cp_text_release() frees them.
 * Anchors ax, ay in [0, 1] say which point of the text box sits at (x, y): (0, 0) top left,
 * (0.5, 0.5) centre, (1, 1) bottom right.
 */
#include <cairo.h>
#include <stddef.h>

struct cp_text {
    cairo_t *cr;
    void *context; /* PangoContext */
    void *layout;  /* PangoLayout */
    void *font;    /* PangoFontDescription */
};

enum cp_text_flags { CP_TEXT_BOLD = 1, CP_TEXT_MARKUP = 2 };

/* 0, or -1 when Pango could not be set up. */
int cp_text_init(struct cp_text *t, cairo_t *cr);
void cp_text_release(struct cp_text *t);

/* Size in points of s set in `size` pt (flags: enum cp_text_flags). */
void cp_text_measure(struct cp_text *t, const char *s, double size, int flags, double *w,
                     double *h);
/*
 * Draw s anchored at (x, y), rotated by `angle` radians about the anchor. max_w > 0 cuts the
 * text to that width with an ellipsis. Uses the current cairo source colour.
 */
void cp_text_draw(struct cp_text *t, const char *s, double x, double y, double size, int flags,
                  double ax, double ay, double angle, double max_w);

/* Draw s left-aligned at x, wrapped at word boundaries to max_w and cut with an ellipsis
 * after max_lines lines; ay anchors the wrapped block vertically at y. */
void cp_text_draw_wrapped(struct cp_text *t, const char *s, double x, double y, double size,
                          int flags, double ay, double max_w, int max_lines);

/* v in buf with a comma between groups of three digits ("798,459", "-1,101"); returns buf.
 * A buffer of 32 bytes holds any long long. */
const char *cp_text_count(char *buf, size_t n, long long v);

#endif
