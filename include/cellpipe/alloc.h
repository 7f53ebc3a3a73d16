#ifndef CELLPIPE_ALLOC_H
#define CELLPIPE_ALLOC_H
/*
 * All allocation goes through these wrappers so a test build can fail the Nth allocation
 * (curl's "torture" idea): set CP_FAIL_ALLOC_AT=N in the environment, or call
 * cp_alloc_fail_at(N). They return NULL on failure like the libc calls; callers check.
 * CP_ALLOC_COUNT=1 prints "cellpipe: allocations: N" on stderr at exit, and
 * CP_KILL_AT_ALLOC=N makes the Nth allocation raise SIGKILL (a kill -9 at a reproducible
 * point). All three are test hooks, read once at the first allocation;
 * tests/integration/torture.sh and tests/integration/kill9.sh use them.
 */
#include <stddef.h>

void *cp_malloc(size_t n);
void *cp_calloc(size_t count, size_t size);
void *cp_realloc(void *p, size_t n);
/* Grow an array to hold at least `need` elements of `size` bytes; *cap doubles. 0 or -1. */
int cp_grow(void **p, size_t *cap, size_t need, size_t size);
char *cp_strdup(const char *s);
char *cp_strndup(const char *s, size_t n);
void cp_free(void *p);

/* Fail allocation number n (1-based) and every later one; 0 disables. */
void cp_alloc_fail_at(long n);
/* Number of allocations made so far (for torture loops). */
long cp_alloc_count(void);

#endif
