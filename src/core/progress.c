/* Progress on a terminal: see include/cellpipe/progress.h. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "cellpipe/progress.h"
#include "cellpipe/timeutil.h"

static int enabled;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const char *stage, *unit;
static size_t total;
static atomic_size_t done;
static double t_begin, t_drawn;
static int shown;

void cp_progress_enable(int on)
{
    enabled = on;
}

/* Draw the line (lock held). */
static void draw(void)
{
    if (!stage)
        return;
    double now = cp_monotonic_ms();
    size_t d = atomic_load(&done);
    fprintf(stderr, "\r\033[K%s", stage);
    if (total) {
        fprintf(stderr, ": %zu/%zu %s", d, total, unit ? unit : "");
        double el = (now - t_begin) / 1000;
        if (d > 0 && d < total && el > 0.5)
            fprintf(stderr, ", ETA %.0f s", el * (double)(total - d) / (double)d);
    } else {
        fprintf(stderr, " ...");
    }
    fflush(stderr);
    shown = 1;
    t_drawn = now;
}

static void erase(void)
{
    if (shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    shown = 0;
}

void cp_progress_begin(const char *name)
{
    if (!enabled)
        return;
    pthread_mutex_lock(&lock);
    stage = name;
    unit = NULL;
    total = 0;
    atomic_store(&done, 0);
    t_begin = cp_monotonic_ms();
    draw();
    pthread_mutex_unlock(&lock);
}

void cp_progress_total(size_t n, const char *what)
{
    if (!enabled)
        return;
    pthread_mutex_lock(&lock);
    total = n;
    unit = what;
    atomic_store(&done, 0);
    t_begin = cp_monotonic_ms();
    draw();
    pthread_mutex_unlock(&lock);
}

void cp_progress_add(size_t n)
{
    if (!enabled)
        return;
    atomic_fetch_add(&done, n);
    if (cp_monotonic_ms() - t_drawn < 100 || pthread_mutex_trylock(&lock) != 0)
        return; /* another thread draws, or drew a moment ago */
    draw();
    pthread_mutex_unlock(&lock);
}

void cp_progress_end(void)
{
    if (!enabled)
        return;
    pthread_mutex_lock(&lock);
    erase();
    stage = NULL;
    pthread_mutex_unlock(&lock);
}

void cp_progress_hide(void)
{
    if (!enabled)
        return;
    pthread_mutex_lock(&lock);
    erase();
    pthread_mutex_unlock(&lock);
}

void cp_progress_show(void)
{
    if (!enabled)
        return;
    pthread_mutex_lock(&lock);
    draw();
    pthread_mutex_unlock(&lock);
}
