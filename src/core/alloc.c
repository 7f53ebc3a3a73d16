#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"

static atomic_long alloc_count;
static atomic_long fail_at = -1; /* -1: not read from the environment yet */
static atomic_long kill_at;      /* 0: no kill point (read with fail_at) */

/* Test hook: CP_ALLOC_COUNT=1 prints the count at exit, so a torture loop knows how many
 * points a clean run has. stderr, after everything else the command printed. */
static void print_count(void)
{
    fprintf(stderr, "cellpipe: allocations: %ld\n", atomic_load(&alloc_count));
}

static void count_at_exit(void)
{
    static atomic_flag once = ATOMIC_FLAG_INIT;
    const char *c = getenv("CP_ALLOC_COUNT");
    if (c && strcmp(c, "1") == 0 && !atomic_flag_test_and_set(&once))
        atexit(print_count);
}

/* A positive number from the environment, or 0. */
static long env_count(const char *name)
{
    const char *s = getenv(name);
    char *end = NULL;
    long n = s ? strtol(s, &end, 10) : 0;
    return !s || *end || n < 0 ? 0 : n;
}

static long fail_limit(void)
{
    long v = atomic_load(&fail_at);
    if (v >= 0)
        return v;
    count_at_exit();
    atomic_store(&kill_at, env_count("CP_KILL_AT_ALLOC"));
    long n = env_count("CP_FAIL_ALLOC_AT");
    atomic_store(&fail_at, n);
    return n;
}

static int should_fail(void)
{
    long n = atomic_fetch_add(&alloc_count, 1) + 1;
    long limit = fail_limit();
    /* Test hook CP_KILL_AT_ALLOC=N: die here as `kill -9` would, at a point a seed can name
     * again (tests/integration/kill9.sh); nothing after it runs, not even atexit. */
    if (n == atomic_load(&kill_at))
        raise(SIGKILL);
    if (limit <= 0 || n < limit)
        return 0;
    errno = ENOMEM; /* as a failing malloc sets it (POSIX), so the failure is the real one */
    return 1;
}

void cp_alloc_fail_at(long n)
{
    atomic_store(&alloc_count, 0);
    atomic_store(&fail_at, n < 0 ? 0 : n);
}

long cp_alloc_count(void)
{
    return atomic_load(&alloc_count);
}

void *cp_malloc(size_t n)
{
    return should_fail() ? NULL : malloc(n ? n : 1);
}

void *cp_calloc(size_t count, size_t size)
{
    return should_fail() ? NULL : calloc(count ? count : 1, size ? size : 1);
}

void *cp_realloc(void *p, size_t n)
{
    return should_fail() ? NULL : realloc(p, n ? n : 1);
}

int cp_grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : 8;
    while (ncap < need)
        ncap *= 2;
    if (ncap > (size_t)-1 / size)
        return -1;
    void *np = cp_realloc(*p, ncap * size);
    if (!np)
        return -1;
    *p = np;
    *cap = ncap;
    return 0;
}

char *cp_strndup(const char *s, size_t n)
{
    char *d = cp_malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *cp_strdup(const char *s)
{
    return s ? cp_strndup(s, strlen(s)) : NULL;
}

void cp_free(void *p)
{
    free(p);
}
