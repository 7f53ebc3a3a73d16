/*
 * The MLflow sink with no tracking URI (the embedded default): the journal alone, read back
 * line by line, on a run filled by hand. The server side is tests/integration/mlflow.sh.
 */
#include <stdlib.h>
#include <unistd.h>

#include "cellpipe/alloc.h"
#include "cellpipe/config.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/mlflow.h"
#include "cellpipe/run.h"
#include "harness.h"

TEST(sanitize_keys)
{
    static const char *const cases[][2] = {
        {"fit.power.rmse", "fit.power.rmse"},
        {"timing.source ms", "timing.source ms"},
        {"a/b:c-d_e", "a/b:c-d_e"},
        {"temp (°C)", "temp ___C_"}, /* each byte of the UTF-8 degree sign maps to '_' */
        {"/lead//trail/", "lead/trail"},
        {"x/../y", "x/_/y"},
        {"./x", "_/x"},
        {"", "_"},
        {"//", "_"},
        {"q=1,2", "q_1_2"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cp_strbuf sb;
        cp_strbuf_init(&sb);
        CHECK_INT(cp_mlflow_sanitize_key(&sb, cases[i][0]), 0);
        CHECK_STR(sb.buf, cases[i][1]);
        cp_strbuf_release(&sb);
    }
    char longkey[400];
    memset(longkey, 'k', sizeof(longkey) - 1);
    longkey[sizeof(longkey) - 1] = '\0';
    struct cp_strbuf sb;
    cp_strbuf_init(&sb);
    cp_mlflow_sanitize_key(&sb, longkey);
    CHECK_INT(sb.len, 250);
    cp_strbuf_release(&sb);
}

TEST(metric_values)
{
    json_t *v = cp_mlflow_metric_value(NAN);
    CHECK_STR(json_string_value(v), "NaN");
    json_decref(v);
    v = cp_mlflow_metric_value(-INFINITY);
    CHECK_STR(json_string_value(v), "-Infinity");
    json_decref(v);
    v = cp_mlflow_metric_value(INFINITY);
    CHECK_STR(json_string_value(v), "Infinity");
    json_decref(v);
    v = cp_mlflow_metric_value(0.25);
    CHECK(json_is_real(v) && json_real_value(v) == 0.25);
    json_decref(v);
    char *u = cp_mlflow_run_url("http://h:5000", "3", "abc");
    CHECK_STR(u, "http://h:5000/#/experiments/3/runs/abc");
    cp_free(u);
    CHECK(cp_mlflow_run_url(NULL, "3", "abc") == NULL);
    u = cp_mlflow_run_url("https://ann:pw@h:5000/mlflow", "3", "abc");
    CHECK_STR(u, "https://h:5000/mlflow/#/experiments/3/runs/abc");
    cp_free(u);
}

/* --- a run filled by hand -------------------------------------------------------------- */

struct fixture {
    struct cp_config cfg;
    struct cp_run run;
    char dir[64];
};

static const char *extra_value = "v"; /* the value of every extra metadata column */

/* What "nothing computed" looks like (results.h): NaN and -1. */
static void init_result(struct cp_cell_result *r, long row, long group)
{
    memset(r, 0, sizeof(*r));
    r->cells_row = row;
    r->group = group;
    r->first_cycle = r->last_cycle = r->cycles_to_90 = r->cycles_to_80 = r->eol_observed = -1;
    r->reference_ah = r->last_retention = r->ce_mean = r->ce_last_n = r->fade_rate = NAN;
    r->efc_total = r->days_on_test = r->eol_forecast = r->eol_lo = r->eol_hi = NAN;
    r->knee_onset = r->knee_point = NAN;
    r->best_model = -1;
}

static void fill_run(struct fixture *fx, size_t ncells, size_t extra_cols, int cycle_metrics)
{
    struct cp_error err;
    cp_error_clear(&err);
    static const char yaml[] = "name: demo\nmlflow:\n  tracking_uri: \"\"\n";
    memset(fx, 0, sizeof(*fx));
    CHECK_INT(cp_config_load_buffer(&fx->cfg, "demo.yaml", yaml, sizeof(yaml) - 1, &err), 0);
    fx->cfg.mlflow.cycle_metrics = cycle_metrics;
    struct cp_run *run = &fx->run;
    run->cfg = &fx->cfg;
    memcpy(run->date, "2026-01-31", 11);
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/cp_mlflow_%ld", (long)getpid());
    cp_fs_rmtree(fx->dir);
    cp_fs_mkdirs(fx->dir);
    run->staging_dir = fx->dir;
    memset(run->data_sha256, 'd', 64);
    memset(run->pipeline_sha256, 'p', 64);
    run->data.cells = cp_table_new("cells");
    run->data.cycles = cp_table_new("cycles");
    int cid = cp_table_add_column(run->data.cells, "cell_id", CP_STR);
    int nom = cp_table_add_column(run->data.cells, "nominal_capacity_ah", CP_F64);
    for (size_t c = 0; c < extra_cols; c++) {
        char name[32];
        snprintf(name, sizeof(name), "extra %zu", c);
        cp_table_add_column(run->data.cells, name, CP_STR);
    }
    int ccid = cp_table_add_column(run->data.cycles, "cell_id", CP_STR);
    int cidx = cp_table_add_column(run->data.cycles, "cycle_index", CP_I64);
    int cret = cp_table_add_column(run->data.cycles, "capacity_retention", CP_F64);
    run->results = cp_calloc(ncells, sizeof(*run->results));
    run->nresults = ncells;
    for (size_t i = 0; i < ncells; i++) {
        char id[16];
        snprintf(id, sizeof(id), "C%03zu", i);
        long row = cp_table_add_row(run->data.cells);
        cp_table_set_str(run->data.cells, cid, (size_t)row, id);
        cp_table_set_f64(run->data.cells, nom, (size_t)row, 1.1);
        for (size_t c = 0; c < extra_cols; c++)
            cp_table_set_str(run->data.cells, nom + 1 + (int)c, (size_t)row, extra_value);
        for (int k = 1; k <= 1500; k++) {
            long r = cp_table_add_row(run->data.cycles);
            cp_table_set_str(run->data.cycles, ccid, (size_t)r, id);
            cp_table_set_i64(run->data.cycles, cidx, (size_t)r, k);
            cp_table_set_f64(run->data.cycles, cret, (size_t)r, 1.0 - k * 1e-4);
        }
        init_result(&run->results[i], row, (long)i);
        run->results[i].n_cycles = 1500;
        run->results[i].last_retention = 0.85;
        run->results[i].eol_forecast = i == 0 ? NAN : 1000.0 + (double)i;
    }
    cp_table_group(run->data.cycles, "cell_id");
    run->timings[0] = (struct cp_timing){"source", 12.5};
    run->ntimings = 1;
}

static void free_run(struct fixture *fx)
{
    cp_table_free(fx->run.data.cells);
    cp_table_free(fx->run.data.cycles);
    cp_free(fx->run.results);
    cp_free(fx->run.tracking.url);
    cp_config_release(&fx->cfg);
    cp_fs_rmtree(fx->dir);
}

/* What the journal holds, tallied per op kind. */
struct tally {
    long header, experiment, create, batch, artifact, update, acks, after_publish;
    long max_metrics, max_params, max_tags, max_items;
    size_t max_bytes; /* longest log_batch request body */
    long metrics_total, params_total, cycle_points;
    long cell_params_c001;
    int nan_sent, parent_named, child_linked;
    long last_seq, bad_seq;
};

/* A new reference to a, or a new empty array. */
static json_t *or_empty(json_t *a)
{
    return a ? json_incref(a) : json_array();
}

static int tally_line(json_t *line, void *ctx)
{
    struct tally *t = ctx;
    const char *op = json_string_value(json_object_get(line, "op"));
    if (json_object_get(line, "journal")) {
        t->header++;
        return 0;
    }
    if (json_object_get(line, "ack")) {
        t->acks++;
        return 0;
    }
    long seq = (long)json_integer_value(json_object_get(line, "seq"));
    if (seq != t->last_seq + 1)
        t->bad_seq++;
    t->last_seq = seq;
    if (json_is_true(json_object_get(line, "after_publish")))
        t->after_publish++;
    if (!op)
        return 0;
    if (!strcmp(op, "experiment"))
        t->experiment++;
    if (!strcmp(op, "create_run")) {
        t->create++;
        const char *ref = json_string_value(json_object_get(line, "ref"));
        if (!strcmp(ref, "parent"))
            t->parent_named =
                !strcmp(json_string_value(json_object_get(line, "run_name")), "demo 2026-01-31");
        else if (json_string_value(json_object_get(line, "parent")))
            t->child_linked++;
    }
    if (!strcmp(op, "artifact"))
        t->artifact++;
    if (!strcmp(op, "update_run"))
        t->update++;
    if (!strcmp(op, "log_batch")) {
        t->batch++;
        json_t *m = json_object_get(line, "metrics"), *p = json_object_get(line, "params");
        long nm = (long)json_array_size(m), np = (long)json_array_size(p);
        long nt = (long)json_array_size(json_object_get(line, "tags"));
        t->max_metrics = nm > t->max_metrics ? nm : t->max_metrics;
        t->max_params = np > t->max_params ? np : t->max_params;
        t->max_tags = nt > t->max_tags ? nt : t->max_tags;
        t->max_items = nm + np + nt > t->max_items ? nm + np + nt : t->max_items;
        json_t *body = json_pack(
            "{s:s, s:o, s:o, s:o}", "run_id", "0123456789abcdef0123456789abcdef", "metrics",
            or_empty(m), "params", or_empty(p), "tags", or_empty(json_object_get(line, "tags")));
        char *text = json_dumps(body, JSON_COMPACT);
        t->max_bytes = text && strlen(text) > t->max_bytes ? strlen(text) : t->max_bytes;
        free(text);
        json_decref(body);
        t->metrics_total += nm;
        t->params_total += np;
        size_t i;
        json_t *v;
        json_array_foreach(m, i, v)
        {
            if (!strcmp(json_string_value(json_object_get(v, "key")), "retention"))
                t->cycle_points++;
            if (json_is_string(json_object_get(v, "value")))
                t->nan_sent = 1;
        }
        if (strstr(json_string_value(json_object_get(line, "ref")), "/C001"))
            t->cell_params_c001 += np;
    }
    return 0;
}

/* The two staged MLflow sinks, as the runner calls them (other sinks in between). */
static int sink_write(struct cp_run *run, struct cp_error *err)
{
    int rc = cp_sink_mlflow_open.write(run, err);
    return rc < 0 ? rc : cp_sink_mlflow.write(run, err);
}

static void scan(struct fixture *fx, struct tally *t)
{
    struct cp_error err;
    cp_error_clear(&err);
    memset(t, 0, sizeof(*t));
    char *path = cp_path_join(fx->dir, CP_MLFLOW_JOURNAL);
    CHECK_INT(cp_mlflow_journal_scan(path, tally_line, t, &err), 0);
    cp_free(path);
}

TEST(journal_only_run)
{
    struct fixture fx;
    struct tally t;
    struct cp_error err;
    cp_error_clear(&err);
    unsetenv("MLFLOW_TRACKING_URI");
    fill_run(&fx, 3, 0, 0);
    char *pdf = cp_path_join(fx.dir, "summary.pdf");
    cp_fs_write_atomic(pdf, "%PDF", 4);
    cp_free(pdf);
    CHECK(cp_sink_mlflow.enabled(&fx.run));
    CHECK_INT(sink_write(&fx.run, &err), 0);
    CHECK_STR(fx.run.tracking.status, "journal");
    CHECK_STR(fx.run.tracking.id, "");
    CHECK(fx.run.tracking.url == NULL);
    scan(&fx, &t);
    CHECK_INT(t.header, 1);
    CHECK_INT(t.bad_seq, 0);
    CHECK_INT(t.experiment, 1);
    CHECK_INT(t.create, 4); /* parent + 3 cells */
    CHECK_INT(t.child_linked, 3);
    CHECK(t.parent_named);
    CHECK_INT(t.batch, 4);            /* one log_batch per run fits the limits */
    CHECK_INT(t.update, 4);           /* every run closed */
    CHECK_INT(t.artifact, 2);         /* summary.pdf, manifest.json */
    CHECK_INT(t.after_publish, 3);    /* artifacts and the parent's end wait for publish */
    CHECK_INT(t.acks, 0);             /* nothing was sent */
    CHECK(t.nan_sent);                /* cell C000 has no forecast: "NaN" */
    CHECK_INT(t.cell_params_c001, 2); /* cell_id, nominal_capacity_ah */
    CHECK(!fx.run.tracking.url);
    CHECK(cp_sink_mlflow_publish.enabled(&fx.run) == 0);
    free_run(&fx);
}

TEST(non_http_uri_journal_only)
{
    struct fixture fx;
    struct tally t;
    struct cp_error err;
    cp_error_clear(&err);
    fill_run(&fx, 1, 0, 0);
    cp_free(fx.cfg.mlflow.tracking_uri);
    fx.cfg.mlflow.tracking_uri = cp_strdup("sqlite:///mlflow.db");
    CHECK_INT(sink_write(&fx.run, &err), 0);
    CHECK_STR(fx.run.tracking.status, "journal");
    scan(&fx, &t);
    CHECK_INT(t.create, 2);
    CHECK_INT(t.acks, 0);
    free_run(&fx);
}

TEST(batches_respect_limits)
{
    struct fixture fx;
    struct tally t;
    struct cp_error err;
    cp_error_clear(&err);
    /* 250 metadata params per cell and 1500 retention points: each child needs
     * ceil(252 / 100) = 3 chunks for params and ceil((1500 + 21 + 252) / 1000) = 2 for items,
     * so 3 log_batch ops at least, and the packing reaches it; the parent fits in 1. */
    fill_run(&fx, 2, 250, 1);
    CHECK_INT(sink_write(&fx.run, &err), 0);
    scan(&fx, &t);
    CHECK_INT(t.cycle_points, 2 * 1500);
    CHECK(t.max_metrics <= 1000 && t.max_params <= 100 && t.max_tags <= 100);
    CHECK(t.max_items <= 1000);
    CHECK_INT(t.cell_params_c001, 252);
    CHECK_INT(t.batch, 1 + 2 * 3);
    free_run(&fx);
}

TEST(batches_stay_under_one_megabyte)
{
    struct fixture fx;
    struct tally t;
    struct cp_error err;
    static char big[7001];
    cp_error_clear(&err);
    memset(big, 'x', sizeof(big) - 1);
    extra_value = big; /* cut to 6000 bytes a param: 200 of them are 1.2 MB */
    fill_run(&fx, 1, 200, 0);
    CHECK_INT(sink_write(&fx.run, &err), 0);
    scan(&fx, &t);
    CHECK(t.max_bytes > 500000);  /* the requests were big... */
    CHECK(t.max_bytes < 1000000); /* ...and each under MLflow's 1 MB */
    CHECK_INT(t.cell_params_c001, 0);
    CHECK(t.batch >= 1 + 3); /* 1.2 MB of params need at least 2 requests, plus metrics */
    extra_value = "v";
    free_run(&fx);
}

TEST(journal_reopen_and_torn_line)
{
    struct cp_error err;
    struct cp_mlflow_journal j;
    char path[64];
    cp_error_clear(&err);
    snprintf(path, sizeof(path), "/tmp/cp_journal_%ld/j.ndjson", (long)getpid());
    CHECK_INT(cp_mlflow_journal_create(&j, path, NULL, &err), 0);
    char id[33];
    memcpy(id, j.journal_id, 33);
    CHECK_INT(strlen(id), 32);
    long seq = 0;
    json_t *op = json_pack("{s:s}", "op", "experiment");
    CHECK_INT(cp_mlflow_journal_op(&j, op, &seq, &err), 0);
    json_decref(op);
    CHECK_INT(seq, 1);
    CHECK_INT(cp_mlflow_journal_close(&j, &err), 0);
    /* a crash mid-write leaves a line without its newline: ignored, not an error */
    FILE *f = fopen(path, "a");
    fputs("{\"seq\":2,\"op\":\"log_b", f);
    fclose(f);
    CHECK_INT(cp_mlflow_journal_open(&j, path, &err), 0);
    CHECK_STR(j.journal_id, id);
    CHECK_INT(j.next_seq, 2);
    CHECK_INT(cp_mlflow_journal_close(&j, &err), 0);
    /* garbage in the middle is an error naming the line */
    f = fopen(path, "a");
    fputs("\nnot json\n", f);
    fclose(f);
    CHECK_INT(cp_mlflow_journal_open(&j, path, &err), -CP_EDATA);
    CHECK(strstr(err.msg, ":3: not a JSON object") != NULL);
    char dir[64];
    snprintf(dir, sizeof(dir), "/tmp/cp_journal_%ld", (long)getpid());
    cp_fs_rmtree(dir);
}

static void put(const char *root, const char *rel, const char *text)
{
    char *p = cp_path_join(root, rel);
    char *slash = strrchr(p, '/');
    *slash = '\0';
    cp_fs_mkdirs(p);
    *slash = '/';
    cp_fs_write_atomic(p, text, strlen(text));
    cp_free(p);
}

TEST(git_head_lookup)
{
    static const char a[] = "1111111111111111111111111111111111111111";
    static const char b[] = "2222222222222222222222222222222222222222";
    static const char c[] = "3333333333333333333333333333333333333333";
    char root[64], out[41], sub[96], wt[96];
    snprintf(root, sizeof(root), "/tmp/cp_git_%ld", (long)getpid());
    snprintf(sub, sizeof(sub), "%s/repo/pipelines", root);
    snprintf(wt, sizeof(wt), "%s/wt/pipelines", root);
    cp_fs_rmtree(root);
    cp_fs_mkdirs(sub);
    cp_fs_mkdirs(wt);
    /* a branch with a loose ref, looked up from a subfolder */
    put(root, "repo/.git/HEAD", "ref: refs/heads/main\n");
    put(root, "repo/.git/refs/heads/main", "1111111111111111111111111111111111111111\n");
    CHECK_INT(cp_mlflow_git_head(sub, out), 0);
    CHECK_STR(out, a);
    /* only in packed-refs */
    char *loose = cp_path_join(root, "repo/.git/refs/heads/main");
    unlink(loose);
    cp_free(loose);
    put(root, "repo/.git/packed-refs",
        "# pack-refs with: peeled\n"
        "2222222222222222222222222222222222222222 refs/heads/main\n");
    CHECK_INT(cp_mlflow_git_head(sub, out), 0);
    CHECK_STR(out, b);
    /* a worktree: .git is a file naming its gitdir, whose commondir holds the refs */
    put(root, "wt/.git", "gitdir: ../repo/.git/worktrees/wt\n");
    put(root, "repo/.git/worktrees/wt/HEAD", "ref: refs/heads/feature\n");
    put(root, "repo/.git/worktrees/wt/commondir", "../..\n");
    put(root, "repo/.git/refs/heads/feature", "3333333333333333333333333333333333333333\n");
    CHECK_INT(cp_mlflow_git_head(wt, out), 0);
    CHECK_STR(out, c);
    /* detached HEAD */
    put(root, "repo/.git/HEAD", "1111111111111111111111111111111111111111\n");
    CHECK_INT(cp_mlflow_git_head(sub, out), 0);
    CHECK_STR(out, a);
    /* a branch that does not exist yet (fresh repository) */
    put(root, "repo/.git/HEAD", "ref: refs/heads/none\n");
    CHECK_INT(cp_mlflow_git_head(sub, out), -1);
    cp_fs_rmtree(root);
}

TEST(push_needs_uri)
{
    struct cp_mlflow_session s;
    struct cp_error err;
    cp_error_clear(&err);
    CHECK_INT(cp_mlflow_push("/nonexistent", NULL, NULL, &s, &err), -CP_ECONFIG);
    cp_mlflow_session_release(&s);
    cp_error_clear(&err);
    CHECK_INT(cp_mlflow_push("/nonexistent", "file:./mlruns", NULL, &s, &err), -CP_ECONFIG);
    CHECK(strstr(err.msg, "http://") != NULL);
    cp_mlflow_session_release(&s);
    cp_error_clear(&err);
    CHECK_INT(cp_mlflow_push("/nonexistent", "http://127.0.0.1:9", NULL, &s, &err), -CP_ENOINPUT);
    cp_mlflow_session_release(&s);
}

/* curl's torture idea: fail each allocation of the sink in turn; every failure must come back
 * as "out of memory" (or a write error), never a crash or (under ASan) a leak. */
TEST(torture_journal_only)
{
    struct fixture fx;
    fill_run(&fx, 2, 3, 0);
    /* every attempt fsyncs its journal: on tmpfs that costs nothing */
    if (cp_fs_is_dir("/dev/shm")) {
        cp_fs_rmtree(fx.dir);
        snprintf(fx.dir, sizeof(fx.dir), "/dev/shm/cp_mlflow_%ld", (long)getpid());
        cp_fs_mkdirs(fx.dir);
    }
    long failures = 0, n;
    for (n = 1; n < 100000; n++) {
        struct cp_error err;
        cp_error_clear(&err);
        cp_alloc_fail_at(n); /* counts from here */
        int rc = sink_write(&fx.run, &err);
        cp_alloc_fail_at(0);
        if (rc == 0)
            break;
        failures++;
        if (rc != -CP_EINTERNAL && rc != -CP_ECANTCREAT) {
            CHECK_INT(rc, -CP_EINTERNAL);
            break;
        }
    }
    CHECK(failures > 50); /* the loop did reach the sink's allocations */
    printf("torture: %ld allocations failed in turn\n", failures);
    CHECK_STR(fx.run.tracking.status, "journal");
    free_run(&fx);
}

/* Every line of a journal, in order. */
static int collect_line(json_t *line, void *ctx)
{
    return json_array_append(ctx, line);
}

static json_t *journal_lines(const char *path)
{
    struct cp_error err;
    cp_error_clear(&err);
    json_t *lines = json_array();
    if (cp_mlflow_journal_scan(path, collect_line, lines, &err) != 0) {
        json_decref(lines);
        return NULL;
    }
    return lines;
}

/* Ops of kind op on ref; *last gets the last one (borrowed). */
static int count_ops(json_t *lines, const char *op, const char *ref, json_t **last)
{
    size_t i;
    json_t *l;
    int n = 0;
    json_array_foreach(lines, i, l)
    {
        const char *o = json_string_value(json_object_get(l, "op"));
        const char *r = json_string_value(json_object_get(l, "ref"));
        if (o && strcmp(o, op) == 0 && (!ref || (r && strcmp(r, ref) == 0))) {
            n++;
            if (last)
                *last = l;
        }
    }
    return n;
}

/* The value of tag key in any log_batch of the parent, or NULL. */
static const char *parent_tag(json_t *lines, const char *key)
{
    size_t i, j;
    json_t *l, *t;
    json_array_foreach(lines, i, l)
    {
        const char *r = json_string_value(json_object_get(l, "ref"));
        if (!r || strcmp(r, "parent") != 0)
            continue;
        json_array_foreach(json_object_get(l, "tags"), j, t)
        {
            if (strcmp(json_string_value(json_object_get(t, "key")), key) == 0)
                return json_string_value(json_object_get(t, "value"));
        }
    }
    return NULL;
}

/* Seqs with an ack among the after_publish ops, and how many such ops. */
static void tail_acks(json_t *lines, int *ops, int *acked)
{
    size_t i, j;
    json_t *l, *m;
    *ops = *acked = 0;
    json_array_foreach(lines, i, l)
    {
        if (!json_is_true(json_object_get(l, "after_publish")))
            continue;
        (*ops)++;
        json_array_foreach(lines, j, m)
        {
            if (json_integer_value(json_object_get(m, "ack")) ==
                    json_integer_value(json_object_get(l, "seq")) &&
                strcmp(json_string_value(json_object_get(m, "skipped")), "run failed") == 0)
                (*acked)++;
        }
    }
}

static void failed_case(int stage, const char *why)
{
    struct fixture fx;
    struct cp_error err, failure;
    char report[300], kept[400];
    cp_error_clear(&err);
    cp_error_clear(&failure);
    fill_run(&fx, 2, 0, 0);
    snprintf(report, sizeof(report), "%s/out/demo/2026-01-31", fx.dir);
    snprintf(kept, sizeof(kept), "%s/out/demo/failed/2026-01-31-%ld.ndjson", fx.dir,
             (long)getpid());
    fx.run.report_dir = report;
    cp_error_set(&failure, CP_EDATA, "%s", why);
    if (stage >= 1)
        CHECK_INT(cp_sink_mlflow_open.write(&fx.run, &err), 0);
    if (stage >= 2)
        CHECK_INT(cp_sink_mlflow.write(&fx.run, &err), 0);
    cp_sink_mlflow_open.failed(&fx.run, &failure);
    CHECK_STR(fx.run.tracking.status, "journal");
    json_t *lines = journal_lines(kept), *end = NULL;
    CHECK(lines != NULL);
    CHECK_INT(count_ops(lines, "experiment", NULL, NULL), 1);
    CHECK_INT(count_ops(lines, "create_run", "parent", NULL), 1); /* never created twice */
    CHECK_INT(count_ops(lines, "create_run", NULL, NULL), stage >= 2 ? 3 : 1);
    CHECK(count_ops(lines, "update_run", "parent", &end) >= 1);
    CHECK_STR(json_string_value(json_object_get(end, "status")), "FAILED");
    CHECK(!json_object_get(end, "after_publish"));
    CHECK(json_equal(end, json_array_get(lines, json_array_size(lines) - 1)) ||
          json_object_get(json_array_get(lines, json_array_size(lines) - 1), "ack"));
    const char *tag = parent_tag(lines, "cellpipe.error");
    CHECK(tag && strstr(tag, "range rule") && !strstr(tag, "s3cret") && strstr(tag, "***@"));
    CHECK(parent_tag(lines, "mlflow.note.content") != NULL); /* params and note, once */
    CHECK_INT(count_ops(lines, "log_batch", "parent", NULL), 1 + (stage >= 2));
    int ops, acked;
    tail_acks(lines, &ops, &acked);
    CHECK_INT(ops, stage >= 2 ? 2 : 0); /* manifest.json and FINISHED: abandoned, acked */
    CHECK_INT(acked, ops);
    json_decref(lines);
    fx.run.report_dir = NULL;
    free_run(&fx);
}

TEST(failed_before_open_creates_failed_run)
{
    failed_case(0, "range rule failed; see http://ann:s3cret@db.lab/x");
}

TEST(failed_after_open_closes_the_same_run)
{
    failed_case(1, "range rule failed; see http://ann:s3cret@db.lab/x");
}

TEST(failed_after_mlflow_abandons_the_tail)
{
    failed_case(2, "range rule failed; see http://ann:s3cret@db.lab/x");
}

int main(void)
{
    RUN(sanitize_keys);
    RUN(metric_values);
    RUN(journal_only_run);
    RUN(non_http_uri_journal_only);
    RUN(batches_respect_limits);
    RUN(batches_stay_under_one_megabyte);
    RUN(journal_reopen_and_torn_line);
    RUN(git_head_lookup);
    RUN(push_needs_uri);
    RUN(torture_journal_only);
    RUN(failed_before_open_creates_failed_run);
    RUN(failed_after_open_closes_the_same_run);
    RUN(failed_after_mlflow_abandons_the_tail);
    return DONE();
}
