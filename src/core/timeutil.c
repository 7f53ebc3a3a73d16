#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cellpipe/timeutil.h"

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm): no timezone games. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int read_digits(const char **s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if ((*s)[i] < '0' || (*s)[i] > '9')
            return -1;
        v = v * 10 + ((*s)[i] - '0');
    }
    *s += n;
    *out = v;
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 ? 28 + leap : dm[m - 1];
}

static int parse_date_part(const char **s, int64_t *out)
{
    int y, m, d;
    if (read_digits(s, 4, &y) || *(*s)++ != '-' || read_digits(s, 2, &m) || *(*s)++ != '-' ||
        read_digits(s, 2, &d))
        return -1;
    if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return -1;
    *out = days_from_civil(y, (unsigned)m, (unsigned)d) * 86400;
    return 0;
}

int cp_parse_date(const char *s, int64_t *out)
{
    const char *p = s;
    if (parse_date_part(&p, out) < 0 || *p)
        return -1;
    return 0;
}

int cp_parse_datetime(const char *s, int64_t *out)
{
    const char *p = s;
    int64_t t;
    if (parse_date_part(&p, &t) < 0)
        return -1;
    if (*p == 'T' || *p == ' ') {
        int h, mi, sec = 0;
        p++;
        if (read_digits(&p, 2, &h) || *p++ != ':' || read_digits(&p, 2, &mi))
            return -1;
        if (*p == ':' && (p++, read_digits(&p, 2, &sec)))
            return -1;
        if (h > 23 || mi > 59 || sec > 60)
            return -1;
        t += h * 3600 + mi * 60 + sec;
        if (*p == '.')
            for (p++; *p >= '0' && *p <= '9'; p++)
                ;
    }
    if (*p == 'Z')
        p++;
    if (*p)
        return -1;
    *out = t;
    return 0;
}

void cp_format_time(int64_t t, char *buf, size_t n)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void cp_format_date(int64_t t, char *buf, size_t n)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, n, "%Y-%m-%d", &tm);
}

double cp_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int64_t cp_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
