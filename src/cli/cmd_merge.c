/*
 * cellpipe merge [--out DIR] [--pipeline FILE] SHARD_DIR...
 * Builds the single report from the reports of `cellpipe run --shard I/N` (shard_format.h): checks
 * that the shards are one complete set (same pipeline file, date and N, every index once),
 * then runs the pipeline with the shards' data as its source.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cellpipe/alloc.h"
#include "cellpipe/config.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/hash.h"
#include "cellpipe/runner.h"
#include "cellpipe/timeutil.h"
#include "cli.h"

#define USAGE "merge [--out DIR] [--pipeline FILE] SHARD_DIR..."

struct shard_set {
    char date[11];
    char sha256[65];
    char *pipeline; /* path recorded by the first shard */
    unsigned n;
    unsigned char *seen;
};

static int read_manifest(const char *dir, json_t **out, struct cp_error *err)
{
    char *path = cp_path_join(dir, "manifest.json");
    json_error_t jerr;
    int rc = 0;
    if (!path)
        return cp_error_oom(err);
    if (!cp_fs_exists(path))
        rc = cp_error_set(err, CP_ENOINPUT, "'%s' is not a report folder (no manifest.json)", dir);
    else if (!(*out = json_load_file(path, 0, &jerr)))
        rc = cp_error_set(err, CP_EDATA, "%s:%d: %s", path, jerr.line, jerr.text);
    cp_free(path);
    return rc;
}

/* Check one shard's manifest against the set so far. */
static int add_shard(struct shard_set *set, const char *dir, json_t *m, struct cp_error *err)
{
    const char *status = json_string_value(json_object_get(m, "status"));
    const char *date = json_string_value(json_object_get(m, "date"));
    const char *shard = json_string_value(json_object_get(m, "shard"));
    json_t *p = json_object_get(m, "pipeline");
    const char *sha = json_string_value(json_object_get(p, "sha256"));
    const char *path = json_string_value(json_object_get(p, "path"));
    unsigned i, n;
    char tail;
    if (!status || strcmp(status, "ok") != 0 || !date || strlen(date) != 10 || !sha ||
        strlen(sha) != 64 || !path)
        return cp_error_set(err, CP_EDATA, "'%s': manifest.json lacks status, date or pipeline",
                            dir);
    if (!shard || sscanf(shard, "%u/%u%c", &i, &n, &tail) != 2 || n < 2 || i >= n)
        return cp_error_set(err, CP_EDATA, "'%s' is not a shard report (manifest shard is %s)", dir,
                            shard ? shard : "null");
    if (!set->seen) {
        memcpy(set->date, date, 11);
        memcpy(set->sha256, sha, 65);
        set->n = n;
        set->seen = cp_calloc(n, 1);
        set->pipeline = cp_strdup(path);
        if (!set->seen || !set->pipeline)
            return cp_error_oom(err);
    }
    if (strcmp(set->date, date) != 0 || set->n != n || strcmp(set->sha256, sha) != 0)
        return cp_error_set(err, CP_EDATA,
                            "'%s' (shard %s of %s) does not belong with the first shard (%u "
                            "shards of %s, same pipeline file)",
                            dir, shard, date, set->n, set->date);
    if (set->seen[i]++)
        return cp_error_set(err, CP_EDATA, "shard %u/%u is given twice ('%s')", i, n, dir);
    return 0;
}

static int check_shards(struct shard_set *set, char **dirs, size_t ndirs, struct cp_error *err)
{
    int rc = 0;
    for (size_t k = 0; k < ndirs && rc == 0; k++) {
        json_t *m = NULL;
        rc = read_manifest(dirs[k], &m, err);
        if (rc == 0)
            rc = add_shard(set, dirs[k], m, err);
        json_decref(m);
    }
    for (unsigned i = 0; rc == 0 && i < set->n; i++)
        if (!set->seen[i])
            rc = cp_error_set(err, CP_ENOINPUT, "shard %u/%u is missing: merge needs all %u", i,
                              set->n, set->n);
    return rc;
}

/* The pipeline file must be the one the shards ran (same bytes). */
static int load_pipeline(struct cp_config *cfg, const char *path, const struct shard_set *set,
                         struct cp_error *err)
{
    char sha[65];
    long long bytes;
    if (cp_sha256_file(path, sha, &bytes) < 0)
        return cp_error_set(err, CP_ENOINPUT,
                            "cannot read pipeline '%s' (give it with --pipeline FILE)", path);
    if (strcmp(sha, set->sha256) != 0)
        return cp_error_set(err, CP_ECONFIG,
                            "pipeline '%s' is not the file the shards ran (sha256 differs)", path);
    return cp_config_load(cfg, path, err);
}

/* Point the config's source at the shard folders. */
static int use_shards(struct cp_config *cfg, char **dirs, size_t ndirs, struct cp_error *err)
{
    struct cp_strlist *l = &cfg->source.paths;
    for (size_t i = 0; i < l->n; i++)
        cp_free(l->v[i]);
    cp_free(l->v);
    l->n = 0;
    l->v = cp_calloc(ndirs, sizeof(*l->v));
    if (!l->v)
        return cp_error_oom(err);
    for (size_t i = 0; i < ndirs; i++)
        if (!(l->v[l->n++] = cp_strdup(dirs[i])))
            return cp_error_oom(err);
    cfg->source.kind = CP_SOURCE_SHARDS;
    return 0;
}

static int merge_main(int argc, char **argv)
{
    struct cp_run_options opt = {0};
    const char *pipeline = NULL;
    struct cp_args a;
    cp_args_init(&a, argc, argv);
    while (cp_args_next(&a)) {
        if (cp_args_is(&a, "--out"))
            opt.out = cp_args_value(&a);
        else if (cp_args_is(&a, "--pipeline"))
            pipeline = cp_args_value(&a);
    }
    if (!cp_args_ok(&a, "cellpipe " USAGE))
        return CP_EUSAGE;
    if (a.npos < 1) {
        fprintf(stderr, "usage: cellpipe " USAGE "\n");
        return CP_EUSAGE;
    }
    struct shard_set set = {0};
    struct cp_config cfg = {0};
    struct cp_error err = {0};
    struct cp_run_outcome out = {.mlflow_pending = -1};
    struct cp_cli_run end = {a.pos[0], NULL, NULL, cp_monotonic_ms()};
    int rc = check_shards(&set, a.pos, a.npos, &err);
    if (rc == 0)
        rc = load_pipeline(&cfg, pipeline ? pipeline : set.pipeline, &set, &err);
    if (rc == 0)
        rc = use_shards(&cfg, a.pos, a.npos, &err);
    opt.date = set.date;
    if (rc == 0) {
        end.pipeline_path = cfg.path;
        end.cfg_name = cfg.name;
        rc = cp_runner_run(&cfg, &opt, &out, &err);
    }
    int code = cp_cli_finish_run(&end, &out, rc, &err);
    cp_run_outcome_release(&out);
    cp_free(set.seen);
    cp_free(set.pipeline);
    cp_config_release(&cfg);
    return code;
}

const struct cp_command cp_cmd_merge = {
    "merge", USAGE,
    "  --out DIR        report root of the merged report\n"
    "  --pipeline FILE  the pipeline the shards ran (default: the one their manifests name)\n",
    merge_main};
