#ifndef CELLPIPE_LOG_H
#define CELLPIPE_LOG_H
/*
 * Logging: `key=value` lines on stderr (`--log-format json` for collectors), optionally copied
 * to a run.log file. Messages are the caller's key=value pairs, e.g.
 *     cp_log(CP_LOG_INFO, "stage=source rows=%zu", n);
 * Each line gets `ts=... level=...` in front. Thread-safe.
 */
#include <stdio.h>

enum cp_log_level { CP_LOG_DEBUG, CP_LOG_INFO, CP_LOG_WARN, CP_LOG_ERROR };

/* Format: 0 = key=value text, 1 = JSON lines. */
void cp_log_setup(enum cp_log_level min_level, int json);
/* Would a line of this level reach stderr? */
int cp_log_enabled(enum cp_log_level level);
/* Also copy every line to this file (NULL to stop). The log does not own it. */
void cp_log_tee(FILE *f);
void cp_log(enum cp_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
