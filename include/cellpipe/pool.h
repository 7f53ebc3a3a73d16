#ifndef CELLPIPE_POOL_H
#define CELLPIPE_POOL_H
/*
 * A small POSIX-threads pool for "do item i for i in [0, n)" loops over independent cells.
 *
 * Items are handed out one at a time from a shared counter, so the order in which they run
 * varies, but each item must write only its own output slot: results are then identical for
 * any thread count. The pool holds no state between calls.
 *
 * Errors: a worker's negative return stops the hand-out of further items; cp_pool_run()
 * returns the first failure by item index (so the error is the same for any thread count
 * when every item is independent), or CP_EINTERNAL when a thread cannot be started.
 */
#include <stddef.h>

struct cp_error;

/* Work on item i; 0 or a negative CP_E* code. `ctx` is shared and must be read-only or
 * written only at index i. */
typedef int (*cp_pool_fn)(void *ctx, size_t i);

/* Number of online cores (at least 1). */
long cp_pool_cores(void);

/* Run fn(ctx, i) for every i in [0, n) on `threads` threads (0 = number of cores; the
 * calling thread is one of them). 0 or the negative code of the failing item; err names it
 * only for the thread failure (items set their own messages through ctx). */
int cp_pool_run(long threads, size_t n, cp_pool_fn fn, void *ctx, struct cp_error *err);

#endif
