#ifndef CELLPIPE_TEXTREAD_H
#define CELLPIPE_TEXTREAD_H
/*
 * Low-level text helpers shared by the cycler readers (src/sources/files/textread.c):
 *
 *  - cp_lines: a buffered line reader over a file descriptor. One 64 KiB buffer that may grow
 *    to CP_LINES_MAX for a single long line (a Novonix JSON protocol line), so memory never
 *    depends on the file size. Lines are returned without their "\r\n" / "\n", NUL-terminated,
 *    writable in place until the next call.
 *  - cp_split: split a line in place into fields (delimiter, RFC 4180 double quotes).
 *  - cp_colkey: reduce a column header to a lookup key and a unit ("Test_Time [s]",
 *    "Test Time (s)" and "test time/s" all give key "testtime", unit "s").
 *  - cp_unit_scale: the factor to canonical units (A, V, Ah, Wh, s, degC, ohm).
 *  - cp_parse_num / cp_parse_stamp: numbers (decimal comma allowed) and cycler date stamps.
 *
 * Errors: cp_lines_open() CP_ENOINPUT when the file cannot be opened; cp_lines_next()
 * CP_EDATA "path:line: ..." for a line over CP_LINES_MAX, CP_EINTERNAL on a read error.
 */
#include <stddef.h>
#include <stdint.h>

struct cp_error;

#define CP_LINES_BUF (64 * 1024)
#define CP_LINES_MAX (4 * 1024 * 1024)

struct cp_lines {
    int fd;
    char *buf;
    size_t cap;
    size_t start; /* first unread byte */
    size_t end;   /* one past the last valid byte */
    int eof;
    long line;            /* number of the line last returned (1-based) */
    int last_had_newline; /* the line last returned ended with '\n' (not truncated) */
    long long bytes;      /* bytes read so far */
    const char *path;     /* borrowed, for messages */
};

/* Open path for reading. 0, or CP_ENOINPUT "cannot open 'path': ..." */
int cp_lines_open(struct cp_lines *lr, const char *path, struct cp_error *err);
/* Next line into *line / *len: 1 = a line, 0 = end of file, negative = error. */
int cp_lines_next(struct cp_lines *lr, char **line, size_t *len, struct cp_error *err);
void cp_lines_close(struct cp_lines *lr);

/* Read up to cap bytes of the start of a file (for sniffing). Returns bytes read, or -1 with
 * errno set. */
long cp_read_head(const char *path, char *buf, size_t cap);

/* Split `line` in place on `delim` (quotes removed, "" unescaped). Stores at most max field
 * pointers and returns the number of fields found (which may exceed max). */
int cp_split(char *line, char delim, char **fields, int max);

/* Guess the delimiter of a header line: tab, ';' or ','. */
char cp_guess_delim(const char *line);

/* Header -> key (lowercase letters and digits only, unit part removed) and unit (the text in
 * (), [] or after the first '/', lowercase, non-ASCII bytes dropped). key/unit are written as
 * NUL-terminated strings of at most n - 1 bytes. */
void cp_colkey(const char *header, char *key, size_t keyn, char *unit, size_t unitn);

/* Factor from `unit` to the canonical unit of its dimension (mA -> 1e-3, min -> 60, h -> 3600,
 * mAh/mA.h -> 1e-3 ...), 1 for an unknown or empty unit. */
double cp_unit_scale(const char *unit);

/* Parse a number. Leading/trailing blanks and a leading tab are allowed, a decimal comma is
 * accepted (the caller must have split on another delimiter). Returns 0 and *out, 1 for a
 * missing value ("", "NaN", "N/A", "-", "nan"), -1 when the text is not a number. */
int cp_parse_num(char *s, double *out);

/* Parse a cycler date/time stamp to Unix seconds (UTC, with fraction):
 * "YYYY-MM-DD[ T]HH:MM:SS[.fff][ AM|PM]", "MM/DD/YYYY HH:MM:SS[.fff][ AM|PM]",
 * "DD-Mon-YY[YY] H:MM:SS[ AM|PM]", a date alone, or "HH:MM:SS" alone (then *time_only is set
 * and the result is seconds since midnight). Returns 0 or -1. */
int cp_parse_stamp(const char *s, double *out, int *time_only);

/* "1d 02:03:04.5", "02:03:04", "123:04:05" -> seconds. 0 or -1. */
int cp_parse_duration(const char *s, double *out);

/* Case-insensitive search of needle in the first len bytes of head (for sniffing): 1 or 0. */
int cp_head_contains(const char *head, size_t len, const char *needle);
/* Does the first line of head (after a UTF-8 BOM and a quote) start with prefix, ignoring
 * case? 1 or 0. */
int cp_head_starts(const char *head, size_t len, const char *prefix);

#endif
