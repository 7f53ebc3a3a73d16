/*
 * Okabe & Ito (2008) colour-universal-design palette. Yellow is last: it is hard to see on
 * white paper, so it is only used once seven groups are on the plot.
 */
#include "cellpipe/palette.h"

#include <stddef.h>

static const unsigned char colours[CP_PALETTE_SIZE][3] = {
    {0x00, 0x72, 0xB2}, /* blue */
    {0xD5, 0x5E, 0x00}, /* vermillion */
    {0x00, 0x9E, 0x73}, /* bluish green */
    {0xCC, 0x79, 0xA7}, /* reddish purple */
    {0xE6, 0x9F, 0x00}, /* orange */
    {0x56, 0xB4, 0xE9}, /* sky blue */
    {0x00, 0x00, 0x00}, /* black */
    {0xC8, 0xB4, 0x00}, /* yellow, darkened so a thin line shows on white */
};

void cp_palette_rgb(int i, double rgb[3])
{
    if (i < 0) {
        rgb[0] = rgb[1] = rgb[2] = 0.25;
        return;
    }
    const unsigned char *c = colours[i % CP_PALETTE_SIZE];
    for (int k = 0; k < 3; k++)
        rgb[k] = c[k] / 255.0;
}

void cp_palette_set(cairo_t *cr, int i, double a)
{
    double rgb[3];
    cp_palette_rgb(i, rgb);
    cairo_set_source_rgba(cr, rgb[0], rgb[1], rgb[2], a);
}

void cp_palette_dash(cairo_t *cr, int i, double width)
{
    int round = i < 0 ? 0 : (i / CP_PALETTE_SIZE) % 3;
    double w = width > 0.5 ? width : 0.5;
    double dots[2] = {w, 2.5 * w};
    double dashdot[4] = {5 * w, 2 * w, w, 2 * w};
    if (round == 0)
        cairo_set_dash(cr, NULL, 0, 0);
    else if (round == 1)
        cairo_set_dash(cr, dots, 2, 0);
    else
        cairo_set_dash(cr, dashdot, 4, 0);
}
