#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "cellpipe/progress.h"
#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/pool.h"

struct pool_job {
    cp_pool_fn fn;
    void *ctx;
    size_t n;
    atomic_size_t next;
    atomic_int stop;
    pthread_mutex_t lock;
    size_t fail_index; /* lowest failing item, n when none */
    int fail_code;
};

long cp_pool_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? n : 1;
}

static void record_failure(struct pool_job *job, size_t i, int rc)
{
    pthread_mutex_lock(&job->lock);
    if (i < job->fail_index) {
        job->fail_index = i;
        job->fail_code = rc;
    }
    pthread_mutex_unlock(&job->lock);
    atomic_store(&job->stop, 1);
}

static void *worker(void *arg)
{
    struct pool_job *job = arg;
    while (!atomic_load(&job->stop)) {
        size_t i = atomic_fetch_add(&job->next, 1);
        if (i >= job->n)
            break;
        int rc = job->fn(job->ctx, i);
        if (rc < 0)
            record_failure(job, i, rc);
        cp_progress_add(1);
    }
    return NULL;
}

int cp_pool_run(long threads, size_t n, cp_pool_fn fn, void *ctx, struct cp_error *err)
{
    if (threads <= 0)
        threads = cp_pool_cores();
    if ((size_t)threads > n)
        threads = n ? (long)n : 1;
    struct pool_job job = {.fn = fn, .ctx = ctx, .n = n, .fail_index = n};
    atomic_init(&job.next, 0);
    atomic_init(&job.stop, 0);
    pthread_mutex_init(&job.lock, NULL);
    pthread_t *tids = NULL;
    long started = 0;
    int rc = 0;
    if (threads > 1) {
        tids = cp_calloc((size_t)threads - 1, sizeof(*tids));
        if (!tids) {
            rc = cp_error_oom(err);
            goto cleanup;
        }
    }
    for (; started < threads - 1; started++) {
        if (pthread_create(&tids[started], NULL, worker, &job) != 0) {
            atomic_store(&job.stop, 1);
            rc = cp_error_set(err, CP_EINTERNAL, "cannot start thread %ld of the pool", started);
            break;
        }
    }
    if (rc == 0)
        worker(&job);
    for (long t = 0; t < started; t++)
        pthread_join(tids[t], NULL);
    if (rc == 0 && job.fail_index < n)
        rc = job.fail_code;
cleanup:
    pthread_mutex_destroy(&job.lock);
    cp_free(tids);
    return rc;
}
