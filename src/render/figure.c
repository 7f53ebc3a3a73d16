/*
 * The figure data model behind plot.h: growable arrays of panels and what they hold.
 * Drawing lives in plot.c.
 */
#include <math.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/plot.h"

/* Duplicate s, treating NULL as "no text". Sets *fail when memory runs out. */
static char *dup_opt(const char *s, int *fail)
{
    if (!s)
        return NULL;
    char *d = cp_strdup(s);
    if (!d)
        *fail = 1;
    return d;
}

/* Grow (*arr, *cap) for one more element of `size` bytes and zero it. NULL when out of memory. */
static void *push(void **arr, size_t *n, size_t *cap, size_t size)
{
    if (cp_grow(arr, cap, *n + 1, size) != 0)
        return NULL;
    char *slot = (char *)*arr + *n * size;
    memset(slot, 0, size);
    (*n)++;
    return slot;
}

struct cp_figure *cp_figure_new(const char *title)
{
    struct cp_figure *fig = cp_calloc(1, sizeof(*fig));
    int fail = 0;
    if (!fig)
        return NULL;
    fig->title = dup_opt(title, &fail);
    if (fail) {
        cp_free(fig);
        return NULL;
    }
    return fig;
}

int cp_figure_set_subtitle(struct cp_figure *fig, const char *s)
{
    int fail = 0;
    char *d = dup_opt(s, &fail);
    if (fail)
        return -1;
    cp_free(fig->subtitle);
    fig->subtitle = d;
    return 0;
}

static void series_release(struct cp_series *s)
{
    cp_free(s->label);
    cp_free(s->x);
    cp_free(s->y);
    cp_free(s->lo);
    cp_free(s->hi);
}

static void matrix_release(struct cp_panel *p)
{
    for (size_t i = 0; p->matrix_labels && i < p->nmatrix; i++)
        cp_free(p->matrix_labels[i]);
    cp_free(p->matrix_labels);
    cp_free(p->matrix);
    p->matrix_labels = NULL;
    p->matrix = NULL;
    p->nmatrix = 0;
}

static void panel_release(struct cp_panel *p)
{
    cp_free(p->title);
    cp_free(p->xlabel);
    cp_free(p->ylabel);
    cp_free(p->empty_reason);
    for (size_t i = 0; i < p->nseries; i++)
        series_release(&p->series[i]);
    cp_free(p->series);
    for (size_t i = 0; i < p->nhlines; i++)
        cp_free(p->hlines[i].label);
    cp_free(p->hlines);
    for (size_t i = 0; i < p->nmarkers; i++)
        cp_free(p->markers[i].label);
    cp_free(p->markers);
    for (size_t i = 0; i < p->nvalues; i++) {
        cp_free(p->values[i].label);
        cp_free(p->values[i].v);
    }
    cp_free(p->values);
    for (size_t i = 0; i < p->nrows; i++)
        cp_free(p->rows[i].label);
    cp_free(p->rows);
    matrix_release(p);
}

void cp_figure_free(struct cp_figure *fig)
{
    if (!fig)
        return;
    for (size_t i = 0; i < fig->npanels; i++)
        panel_release(&fig->panels[i]);
    cp_free(fig->panels);
    for (size_t i = 0; i < fig->nlegend; i++)
        cp_free(fig->legend[i].label);
    cp_free(fig->legend);
    cp_free(fig->title);
    cp_free(fig->subtitle);
    cp_free(fig);
}

struct cp_panel *cp_figure_add_panel(struct cp_figure *fig, enum cp_panel_kind kind,
                                     const char *title, const char *xlabel, const char *ylabel)
{
    struct cp_panel tmp = {0};
    int fail = 0;
    tmp.kind = kind;
    tmp.x_min = tmp.x_max = tmp.y_min = tmp.y_max = NAN;
    tmp.title = dup_opt(title, &fail);
    tmp.xlabel = dup_opt(xlabel, &fail);
    tmp.ylabel = dup_opt(ylabel, &fail);
    struct cp_panel *p =
        fail ? NULL : push((void **)&fig->panels, &fig->npanels, &fig->panels_cap, sizeof(*p));
    if (!p) {
        panel_release(&tmp);
        return NULL;
    }
    *p = tmp;
    return p;
}

struct cp_legend_entry *cp_figure_add_legend(struct cp_figure *fig, const char *label, int color)
{
    char *l = cp_strdup(label);
    struct cp_legend_entry *e =
        l ? push((void **)&fig->legend, &fig->nlegend, &fig->legend_cap, sizeof(*e)) : NULL;
    if (!e) {
        cp_free(l);
        return NULL;
    }
    e->label = l;
    e->color = color;
    return e;
}

struct cp_series *cp_panel_add_series(struct cp_panel *p, const char *label, int color, size_t n)
{
    struct cp_series tmp = {0};
    int fail = 0;
    tmp.label = dup_opt(label, &fail);
    tmp.color = color;
    tmp.line = 1;
    tmp.n = n;
    tmp.x = cp_malloc((n ? n : 1) * sizeof(double));
    tmp.y = cp_malloc((n ? n : 1) * sizeof(double));
    struct cp_series *s = NULL;
    if (!fail && tmp.x && tmp.y)
        s = push((void **)&p->series, &p->nseries, &p->series_cap, sizeof(*s));
    if (!s) {
        series_release(&tmp);
        return NULL;
    }
    *s = tmp;
    return s;
}

int cp_series_add_band(struct cp_series *s)
{
    cp_free(s->lo);
    cp_free(s->hi);
    s->lo = cp_malloc((s->n ? s->n : 1) * sizeof(double));
    s->hi = cp_malloc((s->n ? s->n : 1) * sizeof(double));
    if (s->lo && s->hi)
        return 0;
    cp_free(s->lo);
    cp_free(s->hi);
    s->lo = s->hi = NULL;
    return -1;
}

struct cp_hline *cp_panel_add_hline(struct cp_panel *p, double y, const char *label)
{
    int fail = 0;
    char *l = dup_opt(label, &fail);
    struct cp_hline *h =
        fail ? NULL : push((void **)&p->hlines, &p->nhlines, &p->hlines_cap, sizeof(*h));
    if (!h) {
        cp_free(l);
        return NULL;
    }
    h->y = y;
    h->label = l;
    return h;
}

struct cp_marker *cp_panel_add_marker(struct cp_panel *p, double x, double y, enum cp_mark mark,
                                      int color, const char *label)
{
    int fail = 0;
    char *l = dup_opt(label, &fail);
    struct cp_marker *m =
        fail ? NULL : push((void **)&p->markers, &p->nmarkers, &p->markers_cap, sizeof(*m));
    if (!m) {
        cp_free(l);
        return NULL;
    }
    m->x = x;
    m->y = y;
    m->mark = mark;
    m->color = color;
    m->label = l;
    return m;
}

struct cp_values *cp_panel_add_values(struct cp_panel *p, const char *label, int color,
                                      const double *v, size_t n)
{
    int fail = 0;
    char *l = dup_opt(label, &fail);
    double *copy = cp_malloc((n ? n : 1) * sizeof(double));
    struct cp_values *g = NULL;
    if (!fail && copy)
        g = push((void **)&p->values, &p->nvalues, &p->values_cap, sizeof(*g));
    if (!g) {
        cp_free(l);
        cp_free(copy);
        return NULL;
    }
    if (n)
        memcpy(copy, v, n * sizeof(double));
    g->label = l;
    g->color = color;
    g->n = n;
    g->v = copy;
    return g;
}

struct cp_interval_row *cp_panel_add_row(struct cp_panel *p, const char *label, double value,
                                         double lo, double hi, int color, enum cp_mark mark)
{
    int fail = 0;
    char *l = dup_opt(label, &fail);
    struct cp_interval_row *r =
        fail ? NULL : push((void **)&p->rows, &p->nrows, &p->rows_cap, sizeof(*r));
    if (!r) {
        cp_free(l);
        return NULL;
    }
    r->label = l;
    r->value = value;
    r->lo = lo;
    r->hi = hi;
    r->color = color;
    r->mark = mark;
    return r;
}

int cp_panel_set_empty_reason(struct cp_panel *p, const char *why)
{
    int fail = 0;
    char *d = dup_opt(why, &fail);
    if (fail)
        return -1;
    cp_free(p->empty_reason);
    p->empty_reason = d;
    return 0;
}

int cp_panel_set_matrix(struct cp_panel *p, size_t n, const char *const *labels,
                        const double *values)
{
    char **l = cp_calloc(n ? n : 1, sizeof(char *));
    double *v = cp_malloc((n ? n * n : 1) * sizeof(double));
    int fail = !l || !v;
    for (size_t i = 0; i < n && !fail; i++)
        l[i] = dup_opt(labels[i] ? labels[i] : "", &fail);
    if (fail) {
        for (size_t i = 0; l && i < n; i++)
            cp_free(l[i]);
        cp_free(l);
        cp_free(v);
        return -1;
    }
    if (n)
        memcpy(v, values, n * n * sizeof(double));
    matrix_release(p);
    p->nmatrix = n;
    p->matrix_labels = l;
    p->matrix = v;
    return 0;
}
