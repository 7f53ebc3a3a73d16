/* The report folder: see include/cellpipe/report.h. */
#define _GNU_SOURCE /* renameat2 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/log.h"
#include "cellpipe/report.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/timeutil.h"

int cp_report_lock(struct cp_report_lock *lk, const char *base, struct cp_error *err)
{
    lk->fd = -1;
    if (cp_fs_mkdirs(base) < 0)
        return cp_error_errno(err, CP_ECANTCREAT, "cannot create '%s'", base);
    char *path = cp_path_join(base, ".lock");
    if (!path)
        return cp_error_oom(err);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    int rc = 0;
    if (fd < 0) {
        rc = cp_error_errno(err, CP_ECANTCREAT, "cannot open '%s'", path);
    } else if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char pid[32] = "";
        ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        rc =
            cp_error_set(err, CP_ETEMPFAIL, "another run holds the lock '%s' (pid %s): retry later",
                         path, pid[0] ? pid : "?");
        close(fd);
    } else {
        char pid[32];
        int len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
        if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)len, 0) < 0)
            cp_log(CP_LOG_WARN, "stage=lock msg=\"cannot record pid\"");
        lk->fd = fd;
    }
    cp_free(path);
    return rc;
}

void cp_report_unlock(struct cp_report_lock *lk)
{
    if (lk->fd >= 0)
        close(lk->fd); /* releases the flock */
    lk->fd = -1;
}

static int is_date_name(const char *s)
{
    int64_t t;
    return strlen(s) == 10 && cp_parse_date(s, &t) == 0;
}

/* `.old-<date>-<pid>` with no `<date>` beside it: a publish without RENAME_EXCHANGE was killed
 * between its two renames, and this is the only copy of the previous report. Put it back
 * (1); 0 when it is garbage (the new report is in place), -1 when the rename failed. */
static int restore_old(const char *base, const char *name, const char *path)
{
    char date[11];
    if (strlen(name) < 16 || name[15] != '-')
        return 0;
    memcpy(date, name + 5, 10);
    date[10] = '\0';
    if (!is_date_name(date))
        return 0;
    char *final = cp_path_join(base, date);
    int rc = !final ? -1 : cp_fs_exists(final) ? 0 : rename(path, final) == 0 ? 1 : -1;
    if (rc == 1)
        cp_log(CP_LOG_WARN, "stage=report msg=\"restored the previous report\" path=\"%s\"", final);
    else if (rc < 0)
        cp_log(CP_LOG_ERROR, "stage=report msg=\"cannot restore '%s': %s\"", path, strerror(errno));
    cp_free(final);
    return rc;
}

/* `.staging-*` and `.old-*` folders: we hold the lock, so they are leftovers of a killed run.
 * Removed, except an `.old-*` that is still the only copy of a report (restore_old). */
static void remove_leftovers(const char *base)
{
    DIR *d = opendir(base);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        int old = strncmp(e->d_name, ".old-", 5) == 0;
        if (strncmp(e->d_name, ".staging-", 9) != 0 && !old)
            continue;
        char *p = cp_path_join(base, e->d_name);
        if (p && !(old && restore_old(base, e->d_name, p) != 0)) {
            cp_log(CP_LOG_INFO, "stage=report msg=\"removing leftover\" path=\"%s\"", p);
            cp_fs_rmtree(p);
        }
        cp_free(p);
    }
    closedir(d);
}

int cp_report_stage(struct cp_run *run, const char *base, struct cp_error *err)
{
    struct cp_strbuf sb;
    cp_strbuf_init(&sb);
    remove_leftovers(base);
    if (cp_strbuf_addf(&sb, "%s/.staging-%s-%ld", base, run->date, (long)getpid()) < 0)
        return cp_error_oom(err);
    run->staging_dir = cp_strbuf_detach(&sb);
    run->report_dir = cp_path_join(base, run->date);
    if (!run->staging_dir || !run->report_dir)
        return cp_error_oom(err);
    static const char *const subdirs[] = {"", "plots", "results", "mlflow"};
    for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
        char *p = cp_path_join(run->staging_dir, subdirs[i]);
        if (!p) /* errno says nothing here: a stale value would name the wrong cause */
            return cp_error_oom(err);
        int bad = cp_fs_mkdirs(p) < 0;
        cp_free(p);
        if (bad)
            return cp_error_errno(err, CP_ECANTCREAT, "cannot create '%s'", run->staging_dir);
    }
    return 0;
}

static int swap_into_place(const char *staging, const char *final, const char *old)
{
    if (!cp_fs_exists(final))
        return rename(staging, final);
    if (renameat2(AT_FDCWD, staging, AT_FDCWD, final, RENAME_EXCHANGE) == 0)
        return rename(staging, old); /* staging now holds the previous report */
    if (rename(final, old) != 0)
        return -1;
    if (rename(staging, final) != 0) {
        rename(old, final);
        return -1;
    }
    return 0;
}

/* `latest` -> the newest dated folder (by name), replaced atomically. */
static int update_latest(const char *base)
{
    DIR *d = opendir(base);
    if (!d)
        return -1;
    char newest[11] = "";
    struct dirent *e;
    while ((e = readdir(d)))
        if (is_date_name(e->d_name) && strcmp(e->d_name, newest) > 0)
            snprintf(newest, sizeof(newest), "%s", e->d_name);
    closedir(d);
    if (!newest[0])
        return 0;
    char *tmp = cp_path_join(base, ".latest.tmp"), *link = cp_path_join(base, "latest");
    int rc = -1;
    if (tmp && link) {
        unlink(tmp);
        rc = symlink(newest, tmp) == 0 && rename(tmp, link) == 0 ? 0 : -1;
    }
    cp_free(tmp);
    cp_free(link);
    return rc;
}

static void prune(const char *base, const char *date, long keep_days)
{
    int64_t now, t;
    if (keep_days <= 0 || cp_parse_date(date, &now) < 0)
        return;
    DIR *d = opendir(base);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!is_date_name(e->d_name) || cp_parse_date(e->d_name, &t) < 0 ||
            now - t <= (int64_t)keep_days * 86400)
            continue;
        char *p = cp_path_join(base, e->d_name);
        if (p && cp_fs_rmtree(p) == 0)
            cp_log(CP_LOG_INFO, "stage=publish pruned=\"%s\"", p);
        cp_free(p);
    }
    closedir(d);
}

int cp_report_publish(struct cp_run *run, const char *base, struct cp_error *err)
{
    struct cp_strbuf old;
    cp_strbuf_init(&old);
    if (cp_strbuf_addf(&old, "%s/.old-%s-%ld", base, run->date, (long)getpid()) < 0)
        return cp_error_oom(err);
    int rc = 0;
    if (swap_into_place(run->staging_dir, run->report_dir, old.buf) != 0)
        rc = cp_error_errno(err, CP_ECANTCREAT, "cannot publish '%s'", run->report_dir);
    if (rc == 0) {
        cp_fs_rmtree(old.buf);
        if (update_latest(base) != 0)
            cp_log(CP_LOG_WARN, "stage=publish msg=\"cannot update latest link\"");
        prune(base, run->date, run->cfg->report.keep_days);
    }
    cp_strbuf_release(&old);
    return rc;
}

void cp_report_discard(struct cp_run *run)
{
    if (run->staging_dir && cp_fs_exists(run->staging_dir))
        cp_fs_rmtree(run->staging_dir);
}
