/* The models stage, phase 2: fleet groups, finished siblings, fade outliers (models_internal.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/fit.h"
#include "cellpipe/log.h"
#include "cellpipe/strbuf.h"
#include "models_internal.h"

/* ---- phase 2: fleet groups and fade outliers ------------------------------------------- */

struct key_index {
    const char *key;
    size_t i;
};

static int cmp_key(const void *pa, const void *pb)
{
    const struct key_index *a = pa, *b = pb;
    int d = strcmp(a->key, b->key);
    return d ? d : (a->i > b->i) - (a->i < b->i);
}

static int sib_push(struct sib_list *l, const struct cp_sibling *s, long cell)
{
    /* lists are sized for every cell up front, so no growth is needed */
    l->v[l->n] = s;
    l->cell[l->n++] = cell;
    return 0;
}

/* The fleet_group values as text, one per cells row, into *out: the column itself when it is
 * text, else each value formatted (*owned = 1: free with free_keys); NULL when the column is
 * missing. 0, or -1 when memory runs out. */
static int group_keys(const struct models_ctx *c, char ***out, int *owned)
{
    const struct cp_table *cells = c->io->cells;
    int col = cells ? cp_table_find(cells, c->fc->fleet_group) : -1;
    *owned = 0;
    *out = NULL;
    if (col < 0)
        return 0;
    if (cells->cols[col].type == CP_STR) {
        *out = cells->cols[col].v.str;
        return 0;
    }
    char **keys = cp_calloc(cells->nrows + 1, sizeof *keys);
    if (!keys)
        return -1;
    *out = keys;
    *owned = 1;
    for (size_t r = 0; r < cells->nrows; r++) {
        struct cp_strbuf sb = CP_STRBUF_INIT;
        int rc = cp_table_format_cell(cells, col, r, &sb);
        keys[r] = rc == 0 ? cp_strbuf_detach(&sb) : NULL;
        cp_strbuf_release(&sb);
        if (!keys[r])
            return -1;
    }
    return 0;
}

static void free_keys(char **keys, size_t n)
{
    for (size_t r = 0; keys && r < n; r++)
        cp_free(keys[r]);
    cp_free(keys);
}

int mdl_build_groups(struct models_ctx *c, struct cp_error *err)
{
    int owned;
    char **keys;
    struct key_index *ki = NULL;
    if (group_keys(c, &keys, &owned) != 0 ||
        !(ki = cp_malloc((c->ncells ? c->ncells : 1) * sizeof *ki))) {
        if (owned)
            free_keys(keys, c->io->cells->nrows);
        return cp_error_oom(err);
    }
    if (!keys)
        cp_log(CP_LOG_WARN, "stage=models fleet_group=%s msg=\"column missing: one group\"",
               c->fc->fleet_group);
    for (size_t i = 0; i < c->ncells; i++) {
        ki[i].key = keys && keys[c->results[i].cells_row] ? keys[c->results[i].cells_row] : "";
        ki[i].i = i;
    }
    qsort(ki, c->ncells, sizeof *ki, cmp_key);
    c->ngroups = 0;
    for (size_t k = 0; k < c->ncells; k++) {
        if (k > 0 && strcmp(ki[k].key, ki[k - 1].key) != 0)
            c->ngroups++;
        c->w[ki[k].i].group = (long)c->ngroups;
    }
    if (c->ncells)
        c->ngroups++;
    cp_free(ki);
    if (owned)
        free_keys(keys, c->io->cells->nrows);
    size_t nl = c->ngroups + 1;
    c->groups = cp_calloc(nl, sizeof *c->groups);
    const struct cp_sibling **pv = cp_malloc(2 * (c->ncells + 1) * sizeof *pv);
    long *pc = cp_malloc(2 * (c->ncells + 1) * sizeof *pc);
    if (!c->groups || !pv || !pc) {
        cp_free(pv);
        cp_free(pc);
        return cp_error_oom(err);
    }
    /* one slab: per-group lists first (offsets by group counts), the fleet list after */
    size_t *cnt = cp_calloc(nl, sizeof *cnt);
    if (!cnt) {
        cp_free(pv);
        cp_free(pc);
        return cp_error_oom(err);
    }
    for (size_t i = 0; i < c->ncells; i++)
        if (c->w[i].sib)
            cnt[c->w[i].group]++;
    size_t off = 0;
    for (size_t g = 0; g < c->ngroups; g++) {
        c->groups[g].v = pv + off;
        c->groups[g].cell = pc + off;
        off += cnt[g];
    }
    c->fleet.v = pv + c->ncells + 1;
    c->fleet.cell = pc + c->ncells + 1;
    cp_free(cnt);
    c->groups[c->ngroups].v = pv; /* slab owners, freed in release */
    c->groups[c->ngroups].cell = pc;
    for (size_t i = 0; i < c->ncells; i++)
        if (c->w[i].sib) {
            sib_push(&c->groups[c->w[i].group], c->w[i].sib, (long)i);
            sib_push(&c->fleet, c->w[i].sib, (long)i);
        }
    return 0;
}

/* Fade per 100 cycles (positive = losing capacity) over [first, first + window]. */
static double early_fade(const struct cell_work *w, double window)
{
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    size_t k = 0;
    for (; k < w->m && w->n[k] <= w->n[0] + window; k++) {
        sx += w->n[k], sy += w->y[k];
        sxx += w->n[k] * w->n[k], sxy += w->n[k] * w->y[k];
    }
    double den = (double)k * sxx - sx * sx;
    if (k < 3 || !(den > 0))
        return NAN;
    return -100.0 * ((double)k * sxy - sx * sy) / den;
}

int mdl_fade_outliers(struct models_ctx *c, struct cp_error *err)
{
    double *v = cp_malloc(3 * (c->ncells + 1) * sizeof *v);
    unsigned char *flag = cp_malloc(c->ncells + 1);
    long *idx = cp_malloc((c->ncells + 1) * sizeof *idx);
    int rc = 0;
    if (!v || !flag || !idx) {
        rc = cp_error_oom(err);
        goto cleanup;
    }
    double *span = v + c->ncells + 1, *z = span + c->ncells + 1;
    for (size_t g = 0; g < c->ngroups; g++) {
        size_t n = 0;
        for (size_t i = 0; i < c->ncells; i++)
            if (c->w[i].group == (long)g && c->w[i].m >= (size_t)c->fc->min_cycles)
                span[n] = c->w[i].n[c->w[i].m - 1] - c->w[i].n[0], idx[n++] = (long)i;
        if (n < CP_ANOMALY_MIN_GROUP)
            continue;
        memcpy(v, span, n * sizeof *v);
        double sorted_w = 0;
        cp_median_inplace(v, n); /* sorts v */
        sorted_w = cp_quantile_sorted(v, n, 0.25);
        for (size_t k = 0; k < n; k++) {
            const struct cell_work *w = &c->w[idx[k]];
            v[k] = span[k] >= 0.5 * sorted_w ? early_fade(w, sorted_w) : NAN;
            c->w[idx[k]].early_fade = v[k];
        }
        if ((rc = cp_anomaly_mad(v, n, c->fc->fade_mad, flag, z)) < 0) {
            rc = cp_error_oom(err);
            goto cleanup;
        }
        for (size_t k = 0; k < n; k++)
            if (flag[k])
                cp_result_flag(&c->results[idx[k]], "fade_outlier",
                               "fade %.3g %%/100 cycles over the first %.0f cycles is %.1f MADs "
                               "from its group",
                               v[k], sorted_w, z[k]);
    }
cleanup:
    cp_free(v);
    cp_free(flag);
    cp_free(idx);
    return rc;
}
