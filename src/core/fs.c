#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cellpipe/alloc.h"
#include "cellpipe/fs.h"
#include "cellpipe/strbuf.h"

char *cp_path_join(const char *a, const char *b)
{
    struct cp_strbuf sb;
    cp_strbuf_init(&sb);
    size_t la = strlen(a);
    int rc = cp_strbuf_adds(&sb, a);
    if (rc == 0 && la && a[la - 1] != '/' && *b)
        rc = cp_strbuf_addch(&sb, '/');
    if (rc == 0)
        rc = cp_strbuf_adds(&sb, b);
    if (rc < 0) {
        cp_strbuf_release(&sb);
        return NULL;
    }
    return cp_strbuf_detach(&sb);
}

int cp_afile_open(struct cp_afile *af, const char *path)
{
    struct cp_strbuf sb;
    cp_strbuf_init(&sb);
    memset(af, 0, sizeof(*af));
    if (cp_strbuf_addf(&sb, "%s.tmp.%ld", path, (long)getpid()) < 0)
        goto oom;
    af->tmp = cp_strbuf_detach(&sb);
    af->path = cp_strdup(path);
    if (!af->path)
        goto oom;
    af->f = fopen(af->tmp, "wb");
    if (!af->f) {
        int e = errno;
        cp_afile_abort(af);
        errno = e;
        return -1;
    }
    return 0;
oom:
    cp_strbuf_release(&sb);
    cp_afile_abort(af);
    errno = ENOMEM;
    return -1;
}

int cp_afile_commit(struct cp_afile *af)
{
    int rc = 0;
    if (fflush(af->f) != 0 || fsync(fileno(af->f)) != 0)
        rc = -1;
    if (fclose(af->f) != 0)
        rc = -1;
    af->f = NULL;
    if (rc == 0 && rename(af->tmp, af->path) != 0)
        rc = -1;
    int e = errno;
    cp_afile_abort(af);
    errno = e;
    return rc;
}

void cp_afile_abort(struct cp_afile *af)
{
    if (af->f)
        fclose(af->f);
    if (af->tmp)
        unlink(af->tmp);
    cp_free(af->tmp);
    cp_free(af->path);
    memset(af, 0, sizeof(*af));
}

int cp_fs_write_atomic(const char *path, const void *data, size_t len)
{
    struct cp_afile af;
    if (cp_afile_open(&af, path) < 0)
        return -1;
    if (len && fwrite(data, 1, len, af.f) != len) {
        int e = errno;
        cp_afile_abort(&af);
        errno = e;
        return -1;
    }
    return cp_afile_commit(&af);
}

int cp_fs_mkdirs(const char *path)
{
    char *p = cp_strdup(path);
    if (!p) {
        errno = ENOMEM;
        return -1;
    }
    int rc = 0;
    for (char *s = p + 1; rc == 0; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST)
            rc = -1;
        else if (!cp_fs_is_dir(p)) {
            errno = ENOTDIR;
            rc = -1;
        }
        *s = c;
        if (c == '\0')
            break;
    }
    cp_free(p);
    return rc;
}

int cp_fs_rmtree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return unlink(path);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *child = cp_path_join(path, e->d_name);
        rc = child ? cp_fs_rmtree(child) : -1;
        cp_free(child);
    }
    closedir(d);
    return rc == 0 ? rmdir(path) : rc;
}

int cp_fs_read_file(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    struct cp_strbuf sb;
    cp_strbuf_init(&sb);
    char tmp[65536];
    size_t n;
    int rc = 0, e = 0;
    while (rc == 0 && (n = fread(tmp, 1, sizeof(tmp), f)) > 0)
        if ((rc = cp_strbuf_add(&sb, tmp, n)) < 0)
            e = ENOMEM; /* errno still holds whatever fopen() left there */
    if (ferror(f)) {
        rc = -1;
        e = errno;
    }
    fclose(f);
    if (rc < 0) {
        cp_strbuf_release(&sb);
        errno = e ? e : EIO;
        return -1;
    }
    if (len)
        *len = sb.len;
    *out = cp_strbuf_detach(&sb);
    if (!*out)
        errno = ENOMEM; /* an empty file's "" */
    return *out ? 0 : -1;
}

int cp_fs_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

int cp_fs_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}
