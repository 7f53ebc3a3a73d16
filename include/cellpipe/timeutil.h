#ifndef CELLPIPE_TIMEUTIL_H
#define CELLPIPE_TIMEUTIL_H
/* Dates and clocks. Times are int64 Unix seconds, UTC. */
#include <stddef.h>
#include <stdint.h>

/* "YYYY-MM-DD" -> seconds at 00:00 UTC; 0 or -1 when not a valid date. */
int cp_parse_date(const char *s, int64_t *out);
/* "YYYY-MM-DD[ T]HH:MM[:SS[.fff]][Z]" or a date alone -> seconds; 0 or -1. */
int cp_parse_datetime(const char *s, int64_t *out);
/* seconds -> "YYYY-MM-DDTHH:MM:SSZ" */
void cp_format_time(int64_t t, char *buf, size_t n);
/* seconds -> "YYYY-MM-DD" */
void cp_format_date(int64_t t, char *buf, size_t n);
/* Monotonic milliseconds, for stage timings. */
double cp_monotonic_ms(void);
/* Wall clock, milliseconds since the epoch (MLflow timestamps). */
int64_t cp_now_ms(void);

#endif
