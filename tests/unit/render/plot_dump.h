/* Shared by the render unit tests: keep what a test rendered (set CP_PLOT_DUMP=DIR to look at
 * it with pdftoppm or a browser) and look for text in it. */
#ifndef CELLPIPE_TEST_PLOT_DUMP_H
#define CELLPIPE_TEST_PLOT_DUMP_H
#include <stdlib.h>
#include <string.h>

#include "cellpipe/fs.h"
#include "cellpipe/strbuf.h"

static inline void dump(const char *name, const struct cp_strbuf *sb)
{
    const char *dir = getenv("CP_PLOT_DUMP");
    if (!dir)
        return;
    struct cp_strbuf p = CP_STRBUF_INIT;
    cp_strbuf_addf(&p, "%s/%s", dir, name);
    cp_fs_write_atomic(p.buf, sb->buf, sb->len);
    cp_strbuf_release(&p);
}

static inline int has(const struct cp_strbuf *sb, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= sb->len; i++)
        if (memcmp(sb->buf + i, needle, n) == 0)
            return 1;
    return 0;
}

/* Pages of a PDF: its "/Type /Page" objects (not "/Type /Pages"). */
static inline int count_pages(const struct cp_strbuf *pdf)
{
    int n = 0;
    const char *key = "/Type /Page";
    size_t k = strlen(key);
    for (size_t i = 0; i + k < pdf->len; i++)
        if (memcmp(pdf->buf + i, key, k) == 0 && pdf->buf[i + k] != 's')
            n++;
    return n;
}

#endif
