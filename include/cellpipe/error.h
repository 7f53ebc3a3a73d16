#ifndef CELLPIPE_ERROR_H
#define CELLPIPE_ERROR_H
/*
 * Run errors. Functions return 0 on success or a negative CP_E* code; the message is set once,
 * where the failure is understood, with cp_error_set(), which returns that negative code so a
 * caller can write `return cp_error_set(err, CP_ECONFIG, "...")`.
 *
 * The codes are the sysexits values that `cellpipe` exits with (DESIGN.md "Command line").
 * Messages follow git's style: lowercase, no final full stop, the subject in quotes,
 * `file:line:col: what was expected` for input errors.
 */
#include <stdarg.h>

enum cp_code {
    CP_OK = 0,
    CP_EUSAGE = 64,       /* bad command line */
    CP_EDATA = 65,        /* data error, validation over its threshold */
    CP_ENOINPUT = 66,     /* input missing */
    CP_EUNAVAILABLE = 69, /* service unavailable after retries */
    CP_EINTERNAL = 70,    /* bug or out of memory */
    CP_ECANTCREAT = 73,   /* cannot create output */
    CP_ETEMPFAIL = 75,    /* another run holds the lock; retry later */
    CP_ECONFIG = 78       /* configuration error */
};

#define CP_ERROR_MSG_MAX 1024

struct cp_error {
    int code; /* positive enum cp_code, 0 when no error is set */
    char msg[CP_ERROR_MSG_MAX];
};

/* Clear an error to "no error". */
void cp_error_clear(struct cp_error *err);

/*
 * Set the error (when err is not NULL and holds no error yet: the first failure, where it was
 * understood, wins) and return -code.
 */
int cp_error_set(struct cp_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int cp_error_vset(struct cp_error *err, int code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Out-of-memory shorthand: sets CP_EINTERNAL "out of memory" and returns its negative code. */
int cp_error_oom(struct cp_error *err);

/*
 * After a failed call that reports its cause in errno (cp_fs_*, cp_table_write_csv, fopen):
 * out of memory (as cp_error_oom) when errno is ENOMEM, so that it never passes for an I/O
 * error; otherwise code with the message fmt followed by ": strerror(errno)".
 */
int cp_error_errno(struct cp_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The exit status for a negative return code (or 0). */
int cp_error_exit_code(int rc);

#endif
