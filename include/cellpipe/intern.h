#ifndef CELLPIPE_INTERN_H
#define CELLPIPE_INTERN_H
/*
 * A string intern pool: one copy of each distinct string, looked up by hash. cp_table keeps
 * one per table for its CP_STR columns (DESIGN.md "Data model": repeated strings such as cell
 * ids are stored once per table, not once per row).
 *
 * Ownership: the pool owns every string it returns; they stay valid, unchanged and at the same
 * address until cp_intern_free(). Callers must neither free nor modify them. Strings are never
 * removed one by one: a value no row uses any more stays until the pool is freed.
 * Not thread-safe for writers: concurrent cp_intern_get() calls on one pool need a lock;
 * reading returned strings from any thread is fine.
 */
#include <stddef.h>

struct cp_intern;

/* An empty pool, or NULL when out of memory. */
struct cp_intern *cp_intern_new(void);
/* Free the pool and every string in it; accepts NULL. */
void cp_intern_free(struct cp_intern *p);

/* The pool's copy of the len bytes at s (which need no NUL; the copy has one): equal strings
 * give the same pointer. NULL when out of memory (the pool is unchanged). */
char *cp_intern_get(struct cp_intern *p, const char *s, size_t len);
/* The pool's copy of s if it holds one, else NULL; never allocates. */
const char *cp_intern_find(const struct cp_intern *p, const char *s, size_t len);
/* Number of distinct strings held. */
size_t cp_intern_count(const struct cp_intern *p);
/* Bytes the pool has allocated (slots, string storage and bookkeeping), for memory figures. */
size_t cp_intern_bytes(const struct cp_intern *p);

#endif
