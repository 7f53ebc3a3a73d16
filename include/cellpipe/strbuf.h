#ifndef CELLPIPE_STRBUF_H
#define CELLPIPE_STRBUF_H
/*
 * Growable NUL-terminated string: all string building goes through it (git's strbuf).
 * `buf` is never NULL after cp_strbuf_init(): it points at an empty string until it grows.
 * Functions return 0, or -1 when memory runs out (the buffer then keeps its old content).
 */
#include <stdarg.h>
#include <stddef.h>

struct cp_strbuf {
    char *buf;
    size_t len;
    size_t cap;
};

#define CP_STRBUF_INIT                                                                             \
    {                                                                                              \
        0                                                                                          \
    }

void cp_strbuf_init(struct cp_strbuf *sb);
void cp_strbuf_release(struct cp_strbuf *sb);
void cp_strbuf_reset(struct cp_strbuf *sb);
int cp_strbuf_grow(struct cp_strbuf *sb, size_t extra);
int cp_strbuf_add(struct cp_strbuf *sb, const char *data, size_t n);
int cp_strbuf_adds(struct cp_strbuf *sb, const char *s);
int cp_strbuf_addch(struct cp_strbuf *sb, char c);
int cp_strbuf_addf(struct cp_strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int cp_strbuf_vaddf(struct cp_strbuf *sb, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Append a double in the shortest form that reads back to the same bits ("" for NaN). */
int cp_strbuf_add_double(struct cp_strbuf *sb, double v);
/* Append a field for a CSV file, quoted when it holds a comma, quote or newline. */
int cp_strbuf_add_csv(struct cp_strbuf *sb, const char *s);
/* Hand the buffer to the caller (free with cp_free) and reset sb. Never NULL. */
char *cp_strbuf_detach(struct cp_strbuf *sb);

#endif
