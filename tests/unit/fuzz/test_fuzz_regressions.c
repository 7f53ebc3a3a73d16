/*
 * Replays the fuzz targets' regression inputs (tests/fuzz/regress/<target>/: inputs that once
 * crashed a target, docs/hardening.md) and their seeds through the same entry points, built
 * with the normal compiler: every libFuzzer target is included here with its
 * LLVMFuzzerTestOneInput renamed. `make check` runs it, and `make sanitize` runs it under
 * ASan + UBSan, where a regression shows as a sanitizer report.
 *   build/tests/fuzz/test_fuzz_regressions            every target's inputs
 *   build/tests/fuzz/test_fuzz_regressions FILE...    FILEs through the target named by
 *                                                     their folder (regress/<target>/FILE)
 * Run from the top of the source tree (tests/run-all does).
 */
#include <glob.h>

#include "cellpipe/alloc.h"
#include "harness.h"

#define LLVMFuzzerTestOneInput fuzz_one_config
#include "../../fuzz/fuzz_config.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_one_csv
#include "../../fuzz/fuzz_csv.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_one_mlflow_journal
#include "../../fuzz/fuzz_mlflow_journal.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_one_mlflow_reply
#include "../../fuzz/fuzz_mlflow_reply.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_one_readers
#include "../../fuzz/fuzz_readers.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_one_redash
#include "../../fuzz/fuzz_redash.c"
#undef LLVMFuzzerTestOneInput

/* A target and where its inputs are: its regression folder, its seeds (those of tests/fuzz/run
 * that are files in the tree), as glob patterns. */
struct target {
    const char *name;
    int (*one)(const uint8_t *data, size_t size);
    const char *inputs[5];
};

static const struct target targets[] = {
    {"config",
     fuzz_one_config,
     {"tests/fuzz/regress/config/*", "pipelines/*.yaml", "tests/functional/*/pipeline.yaml"}},
    {"csv", fuzz_one_csv, {"tests/fuzz/regress/csv/*", "tests/functional/*/*.csv"}},
    {"mlflow_journal",
     fuzz_one_mlflow_journal,
     {"tests/fuzz/regress/mlflow_journal/*", "tests/fuzz/seeds/mlflow_journal/*"}},
    {"mlflow_reply",
     fuzz_one_mlflow_reply,
     {"tests/fuzz/regress/mlflow_reply/*", "tests/fuzz/seeds/mlflow_reply/*"}},
    {"readers",
     fuzz_one_readers,
     {"tests/fuzz/regress/readers/*", "tests/functional/*/*.csv", "tests/functional/*/*.txt"}},
    {"redash", fuzz_one_redash, {"tests/fuzz/regress/redash/*", "tests/fuzz/seeds/redash/*"}},
};
#define NTARGETS (sizeof(targets) / sizeof(targets[0]))

/* One input through one target; 0, or -1 when the file cannot be read. */
static int replay_file(const struct target *t, const char *path)
{
    char *data = NULL;
    size_t len = 0;
    if (cp_fs_read_file(path, &data, &len) != 0)
        return -1;
    t->one((const uint8_t *)data, len);
    cp_free(data);
    return 0;
}

/* Every file a pattern names; the number replayed, -1 when one could not be read. */
static long replay_pattern(const struct target *t, const char *pattern)
{
    glob_t g;
    long n = 0;
    if (glob(pattern, 0, NULL, &g) != 0)
        return 0; /* GLOB_NOMATCH: a regression folder may be empty */
    for (size_t i = 0; i < g.gl_pathc && n >= 0; i++) {
        if (!cp_fs_is_dir(g.gl_pathv[i]))
            n = replay_file(t, g.gl_pathv[i]) == 0 ? n + 1 : -1;
        if (n < 0)
            fprintf(stderr, "cannot read '%s'\n", g.gl_pathv[i]);
    }
    globfree(&g);
    return n;
}

/* Each target gets at least one input (a pattern that stopped matching is a broken test),
 * and every input it is given returns, under a sanitizer without a report. */
TEST(every_target_replays_its_inputs)
{
    for (size_t i = 0; i < NTARGETS; i++) {
        long total = 0;
        for (size_t p = 0; targets[i].inputs[p]; p++) {
            long n = replay_pattern(&targets[i], targets[i].inputs[p]);
            T_REPORT(n >= 0, "%s: an input of '%s' cannot be read", targets[i].name,
                     targets[i].inputs[p]);
            total += n > 0 ? n : 0;
        }
        T_REPORT(total > 0, "%s: no input to replay", targets[i].name);
        printf("%s: %ld inputs replayed\n", targets[i].name, total);
    }
}

/* FILE arguments: the target is the name of the file's folder (regress/<target>/FILE). */
static int replay_args(int argc, char **argv)
{
    for (int a = 1; a < argc; a++) {
        const struct target *t = NULL;
        for (size_t i = 0; i < NTARGETS; i++) {
            size_t n = strlen(targets[i].name);
            const char *dir = strstr(argv[a], targets[i].name);
            if (dir && dir[n] == '/' && (dir == argv[a] || dir[-1] == '/'))
                t = &targets[i];
        }
        T_REPORT(t != NULL, "'%s': no target folder (regress/<target>/FILE) in the path", argv[a]);
        if (t)
            T_REPORT(replay_file(t, argv[a]) == 0, "cannot read '%s'", argv[a]);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        replay_args(argc, argv);
    else
        RUN(every_target_replays_its_inputs);
    return DONE();
}
