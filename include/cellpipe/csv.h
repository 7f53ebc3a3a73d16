#ifndef CELLPIPE_CSV_H
#define CELLPIPE_CSV_H
/*
 * Streaming CSV reader: one record at a time from a FILE, memory bounded by the longest
 * record. RFC 4180 quoting (a quoted field may span lines), a UTF-8 BOM is dropped, CRLF and
 * LF both end a record. Fields point into the reader's buffer and are valid until the next
 * cp_csv_next(). A record that is not valid UTF-8 is read as Latin-1 (common in lab exports):
 * its invalid bytes become the Latin-1 characters, so fields are always valid UTF-8; the
 * first such record of a file gets one warning "<path>:<line>: not UTF-8, read as Latin-1".
 */
#include <stddef.h>
#include <stdio.h>

struct cp_csv {
    FILE *f;
    const char *path; /* for the warning; "input" for cp_csv_from_file */
    int owns_file;
    int warned_latin1;
    char sep;
    long lineno; /* line where the current record starts (1-based) */
    long next_line;
    char *line;
    size_t cap;
    char **fields;
    size_t nfields;
    size_t fcap;
};

/* Open path (kept, not copied: it must outlive the reader) for reading; sep is the separator (','
 * ';' '\t'). 0 or -1 with errno. */
int cp_csv_open(struct cp_csv *r, const char *path, char sep);
/* Read from an open stream (not closed by cp_csv_close). */
void cp_csv_from_file(struct cp_csv *r, FILE *f, char sep);
/* Next record: 1 when one was read, 0 at end of file, -1 on error (errno; EILSEQ for an
 * unterminated quote at end of file). */
int cp_csv_next(struct cp_csv *r);
void cp_csv_close(struct cp_csv *r);

/* Index of the field equal to name (case-insensitive, surrounding spaces ignored), or -1. */
int cp_csv_field_index(const struct cp_csv *r, const char *name);
/* Parse a field as a number: 0 and *out, or -1 when it is not one (empty = -1, *out = NaN). */
int cp_csv_number(const char *s, double *out);

#endif
