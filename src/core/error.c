#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cellpipe/error.h"

void cp_error_clear(struct cp_error *err)
{
    if (!err)
        return;
    err->code = 0;
    err->msg[0] = '\0';
}

int cp_error_vset(struct cp_error *err, int code, const char *fmt, va_list ap)
{
    if (err && err->code == 0) {
        err->code = code;
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    }
    return -code;
}

int cp_error_set(struct cp_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = cp_error_vset(err, code, fmt, ap);
    va_end(ap);
    return rc;
}

int cp_error_oom(struct cp_error *err)
{
    return cp_error_set(err, CP_EINTERNAL, "out of memory");
}

int cp_error_errno(struct cp_error *err, int code, const char *fmt, ...)
{
    int e = errno;
    if (e == ENOMEM)
        return cp_error_oom(err);
    char what[CP_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return cp_error_set(err, code, "%s: %s", what, strerror(e));
}

int cp_error_exit_code(int rc)
{
    if (rc >= 0)
        return 0;
    int code = -rc;
    if (code > 255)
        return CP_EINTERNAL;
    return code;
}
