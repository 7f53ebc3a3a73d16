/*
 * The commit a pipeline file was run from, for the `mlflow.source.git.commit` tag: HEAD of
 * the git checkout holding the pipeline's folder, read from the files under .git (a detached
 * HEAD, a loose ref, packed-refs, and worktrees through their `gitdir:` file and `commondir`),
 * so no git binary is needed at run time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/fs.h"
#include "cellpipe/mlflow.h"

static int read_small(const char *dir, const char *name, char *buf, size_t n)
{
    char *p = cp_path_join(dir, name);
    FILE *f = p ? fopen(p, "r") : NULL;
    cp_free(p);
    if (!f)
        return -1;
    size_t got = fread(buf, 1, n - 1, f);
    fclose(f);
    buf[got] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

static int is_sha(const char *s)
{
    return strlen(s) == 40 && strspn(s, "0123456789abcdef") == 40;
}

static int packed_ref(const char *gitdir, const char *ref, char out[41])
{
    char *p = cp_path_join(gitdir, "packed-refs");
    FILE *f = p ? fopen(p, "r") : NULL;
    char line[512];
    int rc = -1;
    cp_free(p);
    while (f && rc < 0 && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strlen(line) > 41 && line[40] == ' ' && strcmp(line + 41, ref) == 0) {
            memcpy(out, line, 40);
            out[40] = '\0';
            rc = is_sha(out) ? 0 : -1;
        }
    }
    if (f)
        fclose(f);
    return rc;
}

static int resolve_head(const char *gitdir, char out[41])
{
    char head[512], common[1024];
    if (read_small(gitdir, "HEAD", head, sizeof(head)) < 0)
        return -1;
    if (is_sha(head)) {
        memcpy(out, head, 41);
        return 0;
    }
    if (strncmp(head, "ref: ", 5) != 0)
        return -1;
    const char *ref = head + 5;
    char *base = NULL;
    if (read_small(gitdir, "commondir", common, sizeof(common)) == 0)
        base = common[0] == '/' ? cp_strdup(common) : cp_path_join(gitdir, common);
    const char *dirs[2] = {gitdir, base};
    int rc = -1;
    for (int i = 0; i < 2 && rc < 0; i++) {
        if (!dirs[i])
            continue;
        if (read_small(dirs[i], ref, out, 41) == 0 && is_sha(out))
            rc = 0;
        else
            rc = packed_ref(dirs[i], ref, out);
    }
    cp_free(base);
    return rc;
}

/* The git folder of the checkout whose top is dir: "<dir>/.git", or where a ".git" file
 * ("gitdir: ...") points (worktrees, submodules). NULL when dir holds no .git. */
static char *git_dir_at(const char *dir)
{
    char *dotgit = cp_path_join(dir, ".git"), gitfile[1024];
    if (!dotgit || cp_fs_is_dir(dotgit))
        return dotgit;
    cp_free(dotgit);
    if (read_small(dir, ".git", gitfile, sizeof(gitfile)) < 0 ||
        strncmp(gitfile, "gitdir: ", 8) != 0)
        return NULL;
    return gitfile[8] == '/' ? cp_strdup(gitfile + 8) : cp_path_join(dir, gitfile + 8);
}

int cp_mlflow_git_head(const char *dir, char out[41])
{
    char *abs = realpath(dir && *dir ? dir : ".", NULL);
    int rc = -1;
    while (abs) {
        char *gitdir = git_dir_at(abs);
        if (gitdir) { /* the nearest checkout decides, even when its HEAD does not resolve */
            rc = resolve_head(gitdir, out);
            cp_free(gitdir);
            break;
        }
        char *slash = strrchr(abs, '/');
        if (!slash || slash == abs)
            break;
        *slash = '\0';
    }
    free(abs); /* realpath allocates with malloc */
    return rc;
}
