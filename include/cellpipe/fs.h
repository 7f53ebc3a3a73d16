#ifndef CELLPIPE_FS_H
#define CELLPIPE_FS_H
/*
 * File-system helpers. Anything that must not be seen half-written goes through a temp file
 * and rename (curl's rule): cp_afile_open() writes to "<path>.tmp.<pid>", cp_afile_commit()
 * flushes, fsyncs and renames it into place, cp_afile_abort() removes it.
 * Functions return 0 or -1 with errno set.
 */
#include <stddef.h>
#include <stdio.h>

struct cp_afile {
    FILE *f;
    char *path;
    char *tmp;
};

int cp_afile_open(struct cp_afile *af, const char *path);
int cp_afile_commit(struct cp_afile *af);
void cp_afile_abort(struct cp_afile *af);

/* Write a whole file atomically. */
int cp_fs_write_atomic(const char *path, const void *data, size_t len);
/* mkdir -p (mode 0755). */
int cp_fs_mkdirs(const char *path);
/* rm -rf; a missing path is success. */
int cp_fs_rmtree(const char *path);
/* Read a whole file; *out is NUL-terminated (cp_free). 0, or -1 with errno (ENOMEM when out of
 * memory, never a value left over from an earlier call). */
int cp_fs_read_file(const char *path, char **out, size_t *len);
int cp_fs_exists(const char *path);
int cp_fs_is_dir(const char *path);
/* Join two path parts with one '/' (cp_free); NULL when out of memory. */
char *cp_path_join(const char *a, const char *b);

#endif
