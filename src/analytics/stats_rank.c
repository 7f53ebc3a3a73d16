/* Average ranks with the tie sum: see stats_internal.h. */
#include <stdlib.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "stats_internal.h"

struct indexed {
    double v;
    size_t i;
};

static int cmp_indexed(const void *a, const void *b)
{
    double x = ((const struct indexed *)a)->v, y = ((const struct indexed *)b)->v;
    return (x > y) - (x < y);
}

int stats_rank(const double *x, size_t n, double *rank, double *ties)
{
    struct indexed *s = cp_malloc((n + 1) * sizeof *s);
    if (!s)
        return -CP_EINTERNAL;
    for (size_t i = 0; i < n; i++)
        s[i] = (struct indexed){x[i], i};
    qsort(s, n, sizeof *s, cmp_indexed);
    double sum = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && s[j].v == s[i].v)
            j++;
        double t = (double)(j - i);
        for (size_t k = i; k < j; k++)
            rank[s[k].i] = (double)(i + j + 1) / 2.0;
        sum += t * t * t - t;
        i = j;
    }
    if (ties)
        *ties = sum;
    cp_free(s);
    return 0;
}
