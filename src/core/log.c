#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cellpipe/log.h"
#include "cellpipe/progress.h"

static enum cp_log_level min_level = CP_LOG_INFO;
static int json_format;
static FILE *tee_file;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static const char *level_name[] = {"debug", "info", "warn", "error"};

void cp_log_setup(enum cp_log_level level, int json)
{
    min_level = level;
    json_format = json;
}

int cp_log_enabled(enum cp_log_level level)
{
    return level >= min_level;
}

void cp_log_tee(FILE *f)
{
    pthread_mutex_lock(&lock);
    tee_file = f;
    pthread_mutex_unlock(&lock);
}

/* key=value pairs to a JSON object; values with spaces may be "quoted". */
static void write_json(FILE *f, const char *ts, const char *level, const char *msg)
{
    fprintf(f, "{\"ts\":\"%s\",\"level\":\"%s\"", ts, level);
    const char *p = msg;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *eq = strchr(p, '=');
        if (!eq)
            break;
        fprintf(f, ",\"%.*s\":\"", (int)(eq - p), p);
        const char *v = eq + 1;
        int quoted = *v == '"';
        if (quoted)
            v++;
        while (*v && (quoted ? *v != '"' : *v != ' ')) {
            if (*v == '\\' || *v == '"')
                fputc('\\', f);
            fputc(*v, f);
            v++;
        }
        fputc('"', f);
        p = *v ? v + 1 : v;
    }
    fputs("}\n", f);
}

void cp_log(enum cp_log_level level, const char *fmt, ...)
{
    int to_stderr = level >= min_level, to_tee = tee_file && level >= CP_LOG_INFO;
    if (!to_stderr && !to_tee)
        return; /* the run log keeps info lines whatever the terminal shows */
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
    pthread_mutex_lock(&lock);
    if (to_stderr)
        cp_progress_hide();
    if (to_stderr && json_format)
        write_json(stderr, ts, level_name[level], msg);
    else if (to_stderr)
        fprintf(stderr, "ts=%s level=%s %s\n", ts, level_name[level], msg);
    if (to_tee && tee_file) {
        fprintf(tee_file, "ts=%s level=%s %s\n", ts, level_name[level], msg);
        fflush(tee_file);
    }
    if (to_stderr)
        cp_progress_show();
    pthread_mutex_unlock(&lock);
}
