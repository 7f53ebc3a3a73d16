/*
 * Text that Excel accepts as given: cell strings, sheet names, number formats by unit.
 * See include/cellpipe/workbook.h and docs/workbook.md ("Bad input").
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cellpipe/strbuf.h"
#include "cellpipe/workbook.h"

static int is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* "_xHHHH_" at p: Excel would decode it, so a literal one must be protected. */
static int is_ooxml_escape(const unsigned char *p)
{
    return p[0] == '_' && p[1] == 'x' && is_hex(p[2]) && is_hex(p[3]) && is_hex(p[4]) &&
           is_hex(p[5]) && p[6] == '_';
}

/*
 * Length of the valid UTF-8 sequence at p (1-4), or 0 when it is not valid UTF-8 or is a
 * character XML forbids (surrogates, U+FFFE, U+FFFF). Strict: no overlong forms.
 */
static int utf8_len(const unsigned char *p)
{
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return (p[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        if (p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80)
            return 0;
        if (c == 0xEF && p[1] == 0xBF && (p[2] == 0xBE || p[2] == 0xBF))
            return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        if (p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
            return 0;
        return 4;
    }
    return 0;
}

/* One pass that decides whether s can be written as it is (no copy in the common case). */
static unsigned text_scan(const unsigned char *p)
{
    unsigned changes = 0;
    size_t units = 0;
    while (*p) {
        if (*p < 0x80) {
            if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
                changes |= CP_WB_TEXT_CONTROL;
            else if (*p == '_' && is_ooxml_escape(p))
                changes |= CP_WB_TEXT_ESCAPED;
            p++;
            units++;
        } else {
            int n = utf8_len(p);
            if (n == 0) {
                changes |= CP_WB_TEXT_UTF8;
                n = 1;
            }
            p += n;
            units += n == 4 ? 2 : 1;
        }
        if (units > CP_WB_MAX_TEXT)
            changes |= CP_WB_TEXT_TRUNCATED;
    }
    return changes;
}

static int text_rewrite(struct cp_strbuf *sb, const unsigned char *p)
{
    size_t units = 0;
    cp_strbuf_reset(sb);
    while (*p) {
        const char *piece = (const char *)p;
        size_t nbytes, nunits;
        int n = utf8_len(p);
        if (n == 0) {
            piece = "\xEF\xBF\xBD"; /* U+FFFD REPLACEMENT CHARACTER */
            nbytes = 3, nunits = 1, n = 1;
        } else if (*p == '_' && is_ooxml_escape(p)) {
            piece = "_x005F_";
            nbytes = 7, nunits = 7;
        } else {
            nbytes = (size_t)n, nunits = n == 4 ? 2 : 1;
        }
        if (units + nunits > CP_WB_MAX_TEXT)
            break;
        if (cp_strbuf_add(sb, piece, nbytes) < 0)
            return -1;
        units += nunits;
        p += n;
    }
    return 0;
}

const char *cp_workbook_text(const char *s, struct cp_strbuf *scratch, unsigned *changes)
{
    *changes = text_scan((const unsigned char *)s);
    if (!(*changes & (CP_WB_TEXT_UTF8 | CP_WB_TEXT_ESCAPED | CP_WB_TEXT_TRUNCATED)))
        return s;
    if (text_rewrite(scratch, (const unsigned char *)s) < 0)
        return NULL;
    return scratch->buf;
}

int cp_workbook_label(struct cp_strbuf *out, const char *s, size_t max_chars)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t chars = 0; *p && chars < max_chars; chars++) {
        int n = utf8_len(p);
        int rc;
        if (n == 0)
            rc = cp_strbuf_add(out, "\xEF\xBF\xBD", 3);
        else if (*p < 0x20 || *p == 0x7F)
            rc = cp_strbuf_addch(out, ' ');
        else
            rc = cp_strbuf_add(out, (const char *)p, (size_t)n);
        if (rc < 0)
            return -1;
        p += n ? n : 1;
    }
    return 0;
}

/* ---- sheet names ---- */

static int name_used(const char *name, const char *const *used, size_t nused)
{
    for (size_t i = 0; i < nused; i++)
        if (used[i] && strcasecmp(used[i], name) == 0)
            return 1;
    return 0;
}

/* Copy at most max_chars characters of a cleaned name into out; returns bytes written. */
static size_t name_copy(char *out, const char *name, size_t max_chars)
{
    const unsigned char *p = (const unsigned char *)name;
    size_t len = 0, chars = 0;
    while (*p && chars < max_chars) {
        int n = utf8_len(p);
        if (n == 0 || *p < 0x20 || strchr("[]:*?/\\", *p) != NULL) {
            out[len++] = '_';
            p += n ? n : 1;
        } else {
            memcpy(out + len, p, (size_t)n);
            len += (size_t)n;
            p += n;
        }
        chars++;
    }
    out[len] = '\0';
    return len;
}

static void name_fix_apostrophes(char *out, size_t len)
{
    if (len > 0 && out[0] == '\'')
        out[0] = '_';
    if (len > 0 && out[len - 1] == '\'')
        out[len - 1] = '_';
}

int cp_workbook_sheet_name(char *out, const char *name, const char *const *used, size_t nused)
{
    char base[CP_WB_SHEET_NAME_MAX];
    size_t len = name_copy(base, name ? name : "", 31);
    name_fix_apostrophes(base, len);
    if (len == 0)
        memcpy(base, "Sheet", 6);
    if (strcasecmp(base, "History") == 0)
        memcpy(base, "History_", 9);
    int changed = name == NULL || strcmp(base, name) != 0;
    if (!name_used(base, used, nused)) {
        memcpy(out, base, strlen(base) + 1);
        return changed;
    }
    for (unsigned k = 2;; k++) {
        char suffix[16];
        int slen = snprintf(suffix, sizeof suffix, " (%u)", k);
        size_t blen = name_copy(out, base, 31 - (size_t)slen);
        memcpy(out + blen, suffix, (size_t)slen + 1);
        if (!name_used(out, used, nused))
            return 1;
    }
}

/* ---- number formats by unit ---- */

enum match { EXACT, SUFFIX, PREFIX, CONTAINS };

struct unit_rule {
    enum match how;
    const char *pattern;
    const char *format;
};

/* First match wins; the order puts specific names before general units. */
static const struct unit_rule unit_rules[] = {
    {EXACT, "fade_rate", "0.00%"},
    {CONTAINS, "retention_std", "0.00%"},
    {CONTAINS, "retention", "0.0%"},
    {EXACT, "cycle_fraction", "0.0%"},
    {CONTAINS, "efficiency", "0.00%"},
    {PREFIX, "ce_", "0.00%"},
    {EXACT, "equivalent_full_cycles", "0.0"},
    {EXACT, "efc_total", "0.0"},
    {SUFFIX, "_ah", "0.0000"},
    {SUFFIX, "_wh", "0.000"},
    {SUFFIX, "_ohm", "0.0000"},
    {SUFFIX, "_c", "0.0"},
    {SUFFIX, "_s", "0"},
    {PREFIX, "days_", "0.0"},
    {PREFIX, "v_", "0.000"},
    {PREFIX, "i_", "0.000"},
    {EXACT, "cycle_index", "0"},
    {PREFIX, "cycles_to_", "0"},
    {SUFFIX, "_cycle", "0"},
    {EXACT, "n_cycles", "0"},
    {PREFIX, "eol_", "0"},
    {PREFIX, "knee_", "0"},
};

static int rule_matches(const struct unit_rule *r, const char *col)
{
    size_t n = strlen(col), m = strlen(r->pattern);
    switch (r->how) {
    case EXACT:
        return strcmp(col, r->pattern) == 0;
    case SUFFIX:
        return n >= m && strcmp(col + n - m, r->pattern) == 0;
    case PREFIX:
        return strncmp(col, r->pattern, m) == 0;
    case CONTAINS:
        return strstr(col, r->pattern) != NULL;
    }
    return 0;
}

const char *cp_workbook_num_format(const char *column, int is_int)
{
    for (size_t i = 0; i < sizeof unit_rules / sizeof unit_rules[0]; i++)
        if (rule_matches(&unit_rules[i], column))
            return unit_rules[i].format;
    return is_int ? "0" : NULL;
}
