#ifndef CELLPIPE_FUZZ_H
#define CELLPIPE_FUZZ_H
/*
 * Shared by the libFuzzer targets tests/fuzz/fuzz_<name>.c (docs/hardening.md) and by the unit
 * test that replays their regression inputs (tests/unit/fuzz/test_fuzz_regressions.c, which
 * includes every target with LLVMFuzzerTestOneInput renamed). Helpers are static inline so that
 * one program may include several targets.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cellpipe/fs.h"
#include "cellpipe/log.h"

/* Logs only for errors: the library's info lines would drown libFuzzer's own output. */
static inline void fuzz_quiet(void)
{
    static int done;
    if (!done)
        cp_log_setup(CP_LOG_ERROR + 1, 0);
    done = 1;
}

static char fuzz_dir[256];

/* At exit (libFuzzer exits through exit() after -max_total_time): no temp dir per run left. */
static inline void fuzz_remove_dir(void)
{
    cp_fs_rmtree(fuzz_dir);
}

/* <private temp dir>/name, in a buffer the next call reuses. Readers and journals are read from
 * files, and the directory keeps siblings (Arbin's _Metadata.csv) of one run from meeting
 * those of another. */
static inline const char *fuzz_path(const char *name)
{
    static char path[512];
    char *dir = fuzz_dir;
    if (!dir[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof(fuzz_dir), "%s/cellpipe-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(dir))
            abort();
        atexit(fuzz_remove_dir);
    }
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return path;
}

/* Write the input to fuzz_path(name); the path, or NULL (the target skips the input). */
static inline const char *fuzz_write(const char *name, const uint8_t *data, size_t size)
{
    const char *path = fuzz_path(name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return NULL;
    size_t n = fwrite(data, 1, size, f);
    return fclose(f) == 0 && n == size ? path : NULL;
}

/* The input as a NUL-terminated copy (jansson and the YAML parser read a buffer + length, but
 * a copy makes ASan see any read past the end). */
static inline char *fuzz_copy(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s) {
        memcpy(s, data, size);
        s[size] = '\0';
    }
    return s;
}

#endif
