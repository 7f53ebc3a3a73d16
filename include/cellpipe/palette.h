#ifndef CELLPIPE_PALETTE_H
#define CELLPIPE_PALETTE_H
/*
 * Plot colours (render/palette.c): the Okabe-Ito colour-blind-safe palette, reordered so the
 * first colours have the most contrast on white. Colour i is the same in every plot of a
 * run because the plots sink numbers groups by their sorted position among all cells.
 * Past 8 groups the colours repeat and cp_palette_dash() changes the line pattern.
 */
#include <cairo.h>

#define CP_PALETTE_SIZE 8

/* Colour of group i as r, g, b in [0, 1]; i < 0 gives the neutral dark grey. */
void cp_palette_rgb(int i, double rgb[3]);
/* Set the cairo source to colour i with alpha a. */
void cp_palette_set(cairo_t *cr, int i, double a);
/* Dash pattern for group i: solid for the first 8, then dashed variants. */
void cp_palette_dash(cairo_t *cr, int i, double width);

#endif
