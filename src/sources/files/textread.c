/* Buffered lines, field splitting, header keys, units, numbers and cycler stamps. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cellpipe/alloc.h"
#include "cellpipe/decimal.h"
#include "cellpipe/error.h"
#include "cellpipe/textread.h"

int cp_lines_open(struct cp_lines *lr, const char *path, struct cp_error *err)
{
    memset(lr, 0, sizeof(*lr));
    lr->fd = -1;
    lr->path = path;
    lr->fd = open(path, O_RDONLY);
    if (lr->fd < 0)
        return cp_error_errno(err, CP_ENOINPUT, "cannot open '%s'", path);
    lr->buf = cp_malloc(CP_LINES_BUF);
    if (!lr->buf) {
        cp_lines_close(lr);
        return cp_error_oom(err);
    }
    lr->cap = CP_LINES_BUF;
    return 0;
}

void cp_lines_close(struct cp_lines *lr)
{
    if (lr->fd >= 0)
        close(lr->fd);
    lr->fd = -1;
    cp_free(lr->buf);
    lr->buf = NULL;
}

/* Move the unread tail to the front and read more; grows the buffer only for a line longer
 * than it. 1 = more bytes, 0 = end of file, negative = error. */
static int lines_fill(struct cp_lines *lr, struct cp_error *err)
{
    if (lr->start > 0) {
        memmove(lr->buf, lr->buf + lr->start, lr->end - lr->start);
        lr->end -= lr->start;
        lr->start = 0;
    }
    if (lr->end + 1 >= lr->cap) {
        if (lr->cap >= CP_LINES_MAX)
            return cp_error_set(err, CP_EDATA,
                                "%s:%ld: line longer than %d bytes: not a text "
                                "export",
                                lr->path, lr->line + 1, CP_LINES_MAX);
        char *nb = cp_realloc(lr->buf, lr->cap * 2);
        if (!nb)
            return cp_error_oom(err);
        lr->buf = nb;
        lr->cap *= 2;
    }
    ssize_t n;
    do {
        n = read(lr->fd, lr->buf + lr->end, lr->cap - 1 - lr->end);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return cp_error_errno(err, CP_EINTERNAL, "cannot read '%s'", lr->path);
    if (n == 0) {
        lr->eof = 1;
        return 0;
    }
    lr->end += (size_t)n;
    lr->bytes += n;
    return 1;
}

int cp_lines_next(struct cp_lines *lr, char **line, size_t *len, struct cp_error *err)
{
    size_t scanned = 0;
    for (;;) {
        char *s = lr->buf + lr->start;
        char *nl = memchr(s + scanned, '\n', lr->end - lr->start - scanned);
        if (nl || (lr->eof && lr->end > lr->start)) {
            size_t n = nl ? (size_t)(nl - s) : lr->end - lr->start;
            lr->start += nl ? n + 1 : n;
            lr->last_had_newline = nl != NULL;
            if (n > 0 && s[n - 1] == '\r')
                n--;
            s[n] = '\0';
            lr->line++;
            *line = s;
            *len = n;
            return 1;
        }
        if (lr->eof)
            return 0;
        scanned = lr->end - lr->start;
        int rc = lines_fill(lr, err);
        if (rc < 0)
            return rc;
    }
}

long cp_read_head(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    size_t got = 0;
    while (got < cap) {
        ssize_t n = read(fd, buf + got, cap - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    return (long)got;
}

/* A quoted field: copy it down over its quotes, "" -> ". Returns the position after it. */
static char *split_quoted(char *p, char delim, char **field)
{
    char *w = p, *r = p + 1;
    *field = w;
    for (;;) {
        if (*r == '\0')
            break;
        if (*r == '"') {
            if (r[1] == '"') {
                *w++ = '"';
                r += 2;
                continue;
            }
            r++;
            while (*r && *r != delim) /* text after the closing quote stays */
                *w++ = *r++;
            break;
        }
        *w++ = *r++;
    }
    char *next = r;
    *w = '\0';
    return next;
}

int cp_split(char *line, char delim, char **fields, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        char *f;
        if (*p == '"') {
            p = split_quoted(p, delim, &f);
        } else {
            f = p;
            while (*p && *p != delim)
                p++;
        }
        if (n < max)
            fields[n] = f;
        n++;
        if (*p != delim) {
            *p = '\0';
            break;
        }
        *p++ = '\0';
    }
    return n;
}

char cp_guess_delim(const char *line)
{
    int tabs = 0, semis = 0, commas = 0;
    for (const char *p = line; *p; p++) {
        tabs += *p == '\t';
        semis += *p == ';';
        commas += *p == ',';
    }
    if (tabs >= semis && tabs >= commas && tabs > 0)
        return '\t';
    if (semis > commas)
        return ';';
    return ',';
}

/* Copy the ASCII letters and digits of [s, e) lowercased into out. */
static void keep_alnum(const char *s, const char *e, char *out, size_t n, int keep_dot)
{
    size_t k = 0;
    for (; s < e && k + 1 < n; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 128 && (isalnum(c) || (keep_dot && (c == '.' || c == '/'))))
            out[k++] = (char)tolower(c);
        else if (keep_dot && c == 0xb5) /* micro sign: Latin-1/cp1252, or UTF-8's 2nd byte */
            out[k++] = 'u';
        else if (keep_dot && c == 0xce && s + 1 < e && (unsigned char)s[1] == 0xbc)
            out[k++] = 'u', s++; /* UTF-8 Greek mu */
    }
    out[k] = '\0';
}

static const char *last_of(const char *s, char c, size_t n)
{
    while (n > 0)
        if (s[--n] == c)
            return s + n;
    return NULL;
}

void cp_colkey(const char *header, char *key, size_t keyn, char *unit, size_t unitn)
{
    size_t len = strlen(header);
    while (len > 0 && (header[len - 1] == ' ' || header[len - 1] == '\t'))
        len--;
    const char *end = header + len;
    const char *ustart = NULL, *uend = NULL;
    char close = len ? header[len - 1] : '\0';
    const char *slash = last_of(header, '/', len);
    if (close == ')' || close == ']') { /* "Test Time (s)", "Current [A]": last group */
        const char *open = last_of(header, close == ')' ? '(' : '[', len);
        if (open) {
            ustart = open + 1;
            uend = end - 1;
            end = open;
        }
    } else if (slash && slash > header) { /* BioLogic "I/mA", "Q charge/discharge/mA.h" */
        ustart = slash + 1;
        uend = end;
        end = slash;
    }
    keep_alnum(header, end, key, keyn, 0);
    if (ustart)
        keep_alnum(ustart, uend, unit, unitn, 1);
    else if (unitn)
        unit[0] = '\0';
}

struct unit_factor {
    const char *unit;
    double scale;
};

static const struct unit_factor unit_factors[] = {
    {"ma", 1e-3},    {"ua", 1e-6},   {"mv", 1e-3},  {"mah", 1e-3},  {"ma.h", 1e-3},  {"mahr", 1e-3},
    {"mwh", 1e-3},   {"mw.h", 1e-3}, {"uah", 1e-6}, {"ua.h", 1e-6}, {"min", 60},     {"mins", 60},
    {"minutes", 60}, {"h", 3600},    {"hr", 3600},  {"hrs", 3600},  {"hours", 3600}, {"ms", 1e-3},
    {"mohm", 1e-3},  {"kohm", 1e3},  {"mw", 1e-3},  {"c", 1},       {"a", 1},        {"v", 1},
    {"ah", 1},       {"a.h", 1},     {"wh", 1},     {"w.h", 1},     {"s", 1},        {"sec", 1},
    {NULL, 0},
};

/* Neware BTSDA's ampere- and watt-second counters */
static const struct unit_factor second_units[] = {
    {"mas", 1e-3 / 3600}, {"mws", 1e-3 / 3600}, {"as", 1.0 / 3600}, {"ws", 1.0 / 3600}, {NULL, 0},
};

double cp_unit_scale(const char *unit)
{
    for (const struct unit_factor *u = unit_factors; u->unit; u++)
        if (strcmp(unit, u->unit) == 0)
            return u->scale;
    for (const struct unit_factor *u = second_units; u->unit; u++)
        if (strcmp(unit, u->unit) == 0)
            return u->scale;
    return 1.0;
}

static int is_missing(const char *s)
{
    switch (*s) { /* first byte first: this runs for every parsed field */
    case '\0':
        return 1;
    case 'N':
        return strcmp(s, "NaN") == 0 || strcmp(s, "N/A") == 0 || strcmp(s, "NA") == 0;
    case 'n':
        return strcmp(s, "nan") == 0 || strcmp(s, "null") == 0;
    case '-':
        return s[1] == '\0';
    default:
        return 0;
    }
}

int cp_parse_num(char *s, double *out)
{
    while (*s == ' ' || *s == '\t')
        s++;
    if (is_missing(s))
        return 1;
    const char *fend;
    if (cp_decimal_fast(s, 1, out, &fend) == 0) {
        while (*fend == ' ' || *fend == '\t')
            fend++;
        if (*fend == '\0')
            return 0;
        return -1;
    }
    char *comma = strchr(s, ',');
    if (comma)
        *comma = '.';
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno == ERANGE)
        return -1;
    while (*end == ' ' || *end == '\t')
        end++;
    if (*end != '\0')
        return -1;
    *out = v;
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil): timegm
 * per row cost more than the rest of the date parse. */
static long long days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Read an unsigned integer of 1..maxd digits at *p. 0 or -1. */
static int take_int(const char **p, int maxd, int *out)
{
    int v = 0, d = 0;
    while (d < maxd && **p >= '0' && **p <= '9') { /* isdigit goes through the locale table */
        v = v * 10 + (**p - '0');
        (*p)++;
        d++;
    }
    if (d == 0)
        return -1;
    *out = v;
    return 0;
}

static int month_of(const char *p)
{
    static const char *const names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                        "jul", "aug", "sep", "oct", "nov", "dec"};
    for (int m = 0; m < 12; m++)
        if (strncasecmp(p, names[m], 3) == 0)
            return m + 1;
    return 0;
}

/* The date part: Y-M-D, M/D/Y or D-Mon-Y. Sets y, m, d; 0 or -1. */
static int parse_date_part(const char **pp, int *y, int *m, int *d)
{
    const char *p = *pp;
    int a, b, c;
    if (take_int(&p, 4, &a) < 0)
        return -1;
    if (*p == '-' && isalpha((unsigned char)p[1])) { /* 23-Nov-23 */
        *m = month_of(p + 1);
        p += 4;
        if (!*m || *p != '-')
            return -1;
        p++;
        if (take_int(&p, 4, &c) < 0)
            return -1;
        *d = a;
        *y = c < 100 ? 2000 + c : c;
    } else if (*p == '-' || *p == '/') {
        char sep = *p++;
        if (take_int(&p, 2, &b) < 0 || *p++ != sep || take_int(&p, 4, &c) < 0)
            return -1;
        if (sep == '-') {
            *y = a, *m = b, *d = c;
        } else {
            *m = a, *d = b, *y = c < 100 ? 2000 + c : c;
        }
    } else {
        return -1;
    }
    *pp = p;
    return (*m >= 1 && *m <= 12 && *d >= 1 && *d <= 31) ? 0 : -1;
}

/* What may follow the clock: AM or PM (adjusting *h), or Z. 0 or -1. */
static int clock_suffix(const char *p, int *h)
{
    if (strncasecmp(p, "PM", 2) == 0 && *h < 12)
        *h += 12;
    else if (strncasecmp(p, "AM", 2) == 0 && *h == 12)
        *h = 0;
    else if (*p != 'Z' && strncasecmp(p, "AM", 2) != 0 && strncasecmp(p, "PM", 2) != 0)
        return -1;
    return 0;
}

/* HH:MM[:SS[.fff]][ AM|PM] -> seconds since midnight. 0 or -1. */
static int parse_clock(const char *p, double *out)
{
    int h, mi, sec = 0;
    double frac = 0;
    if (take_int(&p, 2, &h) < 0 || *p++ != ':' || take_int(&p, 2, &mi) < 0)
        return -1;
    if (*p == ':') {
        p++;
        if (take_int(&p, 2, &sec) < 0)
            return -1;
        if (*p == '.') {
            char *end;
            frac = strtod(p, &end);
            p = end;
        }
    }
    while (*p == ' ')
        p++;
    if (*p && clock_suffix(p, &h) < 0) /* most stamps end here: skip the suffix compares */
        return -1;
    if (h > 23 || mi > 59 || sec > 60)
        return -1;
    *out = h * 3600.0 + mi * 60.0 + sec + frac;
    return 0;
}

int cp_parse_stamp(const char *s, double *out, int *time_only)
{
    while (*s == ' ' || *s == '\t')
        s++;
    *time_only = 0;
    const char *p = s;
    int y, m, d;
    if (parse_date_part(&p, &y, &m, &d) < 0) {
        if (parse_clock(s, out) < 0)
            return -1;
        *time_only = 1;
        return 0;
    }
    double day = (double)days_from_civil(y, m, d) * 86400.0, clock = 0;
    while (*p == ' ' || *p == 'T')
        p++;
    if (*p && parse_clock(p, &clock) < 0)
        return -1;
    *out = day + clock;
    return 0;
}

int cp_head_contains(const char *head, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (strncasecmp(head + i, needle, n) == 0)
            return 1;
    return 0;
}

int cp_head_starts(const char *head, size_t len, const char *prefix)
{
    if (len >= 3 && memcmp(head, "\xEF\xBB\xBF", 3) == 0) {
        head += 3;
        len -= 3;
    }
    if (len > 0 && *head == '"') {
        head++;
        len--;
    }
    size_t n = strlen(prefix);
    return len >= n && strncasecmp(head, prefix, n) == 0;
}

int cp_parse_duration(const char *s, double *out)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *end;
    double days = 0;
    const char *d = strchr(s, 'd');
    if (d) {
        days = strtod(s, &end);
        if (end != d)
            return -1;
        s = d + 1;
        while (*s == ' ')
            s++;
    }
    double parts[3] = {0, 0, 0};
    int n = 0;
    for (;;) {
        if (!isdigit((unsigned char)*s))
            return -1;
        parts[n++] = strtod(s, &end);
        s = end;
        if (*s != ':' || n == 3)
            break;
        s++;
    }
    if (*s != '\0' || n < 2)
        return -1;
    double secs = n == 3 ? parts[0] * 3600 + parts[1] * 60 + parts[2] : parts[0] * 60 + parts[1];
    *out = days * 86400 + secs;
    return 0;
}
