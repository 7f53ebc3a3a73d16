/*
 * MLflow stage on a synthetic run of N cells (default 1000) with child runs, against the
 * server at CP_BENCH_MLFLOW_URI (tests/bench/run starts a real one). Prints the HTTP requests
 * sent, the minimum MLflow's batch limits allow for the same content, and the wall time.
 *
 * The minimum is computed from the journal: every call that is not a log-batch costs one
 * request whatever we do; a run's metrics M, params P and tags T need at least
 * max(ceil(M/1000), ceil(P/100), ceil(T/100), ceil((M+P+T)/1000)) log-batch requests.
 *
 *   CP_BENCH_MLFLOW_URI=http://127.0.0.1:5000 build/bench/bench_mlflow [cells] [cycle_metrics]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cellpipe/alloc.h"
#include "cellpipe/config.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/http.h"
#include "cellpipe/mlflow.h"
#include "cellpipe/run.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/timeutil.h"

static const char *const meta[] = {"cell_id",     "design_name", "experiment_group", "layer_types",
                                   "test_status", "chemistry",   "form_factor",      "tester",
                                   "channel",     NULL};

static void result_init(struct cp_cell_result *r, long row, long group, double x)
{
    memset(r, 0, sizeof(*r));
    r->cells_row = row;
    r->group = group;
    r->n_cycles = 1000;
    r->first_cycle = 1;
    r->last_cycle = 1000;
    r->reference_ah = 1.1;
    r->last_retention = 0.8 + 0.1 * x;
    r->cycles_to_90 = 400;
    r->cycles_to_80 = -1;
    r->ce_mean = r->ce_last_n = 0.999;
    r->fade_rate = 0.02 * x;
    r->efc_total = 950;
    r->days_on_test = 120;
    r->best_model = CP_MODEL_POWER;
    r->fits[CP_MODEL_POWER].status = CP_FIT_OK;
    r->fits[CP_MODEL_POWER].rmse = 0.003;
    r->eol_observed = -1;
    r->eol_forecast = 1500 + 100 * x;
    r->eol_lo = r->eol_forecast - 80;
    r->eol_hi = r->eol_forecast + 90;
    r->eol_method = CP_EOL_PER_CELL;
    r->knee_onset = r->knee_point = NAN;
}

static int build(struct cp_run *run, struct cp_config *cfg, long ncells, long ncycles, char *dir)
{
    struct cp_error err;
    cp_error_clear(&err);
    const char *uri = getenv("CP_BENCH_MLFLOW_URI");
    struct cp_strbuf y;
    cp_strbuf_init(&y);
    cp_strbuf_addf(&y, "name: bench\nmlflow:\n  tracking_uri: \"%s\"\n  cycle_metrics: %s\n", uri,
                   ncycles > 0 ? "true" : "false");
    int rc = cp_config_load_buffer(cfg, "bench.yaml", y.buf, y.len, &err);
    cp_strbuf_release(&y);
    if (rc < 0) {
        fprintf(stderr, "bench_mlflow: %s\n", err.msg);
        return -1;
    }
    memset(run, 0, sizeof(*run));
    run->cfg = cfg;
    memcpy(run->date, "2026-01-05", 11);
    run->staging_dir = run->report_dir = dir;
    memset(run->data_sha256, 'd', 64);
    memset(run->pipeline_sha256, 'p', 64);
    run->backtest_mape = NAN;
    run->data.cells = cp_table_new("cells");
    run->data.cycles = cp_table_new("cycles");
    for (size_t c = 0; meta[c]; c++)
        cp_table_add_column(run->data.cells, meta[c], CP_STR);
    int cid = cp_table_add_column(run->data.cycles, "cell_id", CP_STR);
    int cidx = cp_table_add_column(run->data.cycles, "cycle_index", CP_I64);
    int cret = cp_table_add_column(run->data.cycles, "capacity_retention", CP_F64);
    run->results = cp_calloc((size_t)ncells, sizeof(*run->results));
    run->nresults = (size_t)ncells;
    for (long i = 0; i < ncells; i++) {
        char id[32];
        snprintf(id, sizeof(id), "cell-%05ld", i);
        long row = cp_table_add_row(run->data.cells);
        for (int c = 0; meta[c]; c++)
            cp_table_set_str(run->data.cells, c, (size_t)row, c == 0 ? id : "value");
        for (long k = 1; k <= ncycles; k++) {
            long r = cp_table_add_row(run->data.cycles);
            cp_table_set_str(run->data.cycles, cid, (size_t)r, id);
            cp_table_set_i64(run->data.cycles, cidx, (size_t)r, k);
            cp_table_set_f64(run->data.cycles, cret, (size_t)r, 1.0 - 1e-4 * (double)k);
        }
        result_init(&run->results[i], row, ncycles > 0 ? i : -1, (double)(i % 10) / 10.0);
    }
    if (ncycles > 0)
        cp_table_group(run->data.cycles, "cell_id");
    return 0;
}

struct bound {
    json_t *runs; /* ref -> [M, P, T] */
    long other;   /* calls that are not log-batch */
};

static int count_line(json_t *line, void *ctx)
{
    struct bound *b = ctx;
    const char *op = json_string_value(json_object_get(line, "op"));
    if (!op)
        return 0;
    if (strcmp(op, "log_batch") != 0) {
        b->other++;
        return 0;
    }
    const char *ref = json_string_value(json_object_get(line, "ref"));
    json_t *t = json_object_get(b->runs, ref);
    if (!t) {
        t = json_pack("[iii]", 0, 0, 0);
        json_object_set_new(b->runs, ref, t);
    }
    static const char *const parts[] = {"metrics", "params", "tags"};
    for (size_t i = 0; i < 3; i++) {
        json_int_t n = json_integer_value(json_array_get(t, i));
        json_array_set_new(
            t, i, json_integer(n + (json_int_t)json_array_size(json_object_get(line, parts[i]))));
    }
    return 0;
}

static long ceil_div(long a, long b)
{
    return (a + b - 1) / b;
}

static long minimum_requests(const char *dir)
{
    struct bound b = {json_object(), 0};
    struct cp_error err;
    cp_error_clear(&err);
    char *path = cp_path_join(dir, CP_MLFLOW_JOURNAL);
    cp_mlflow_journal_scan(path, count_line, &b, &err);
    cp_free(path);
    long total = b.other;
    const char *key;
    json_t *t;
    json_object_foreach(b.runs, key, t)
    {
        long m = (long)json_integer_value(json_array_get(t, 0));
        long p = (long)json_integer_value(json_array_get(t, 1));
        long g = (long)json_integer_value(json_array_get(t, 2));
        long need = ceil_div(m, CP_MLFLOW_MAX_METRICS);
        long alt[] = {ceil_div(p, CP_MLFLOW_MAX_PARAMS), ceil_div(g, CP_MLFLOW_MAX_TAGS),
                      ceil_div(m + p + g, CP_MLFLOW_MAX_ITEMS)};
        for (size_t i = 0; i < 3; i++)
            need = alt[i] > need ? alt[i] : need;
        total += need;
    }
    json_decref(b.runs);
    return total;
}

int main(int argc, char **argv)
{
    long ncells = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
    long ncycles = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
    if (!getenv("CP_BENCH_MLFLOW_URI")) {
        printf("bench_mlflow: skipped (set CP_BENCH_MLFLOW_URI to an MLflow server)\n");
        return 0;
    }
    char dir[64];
    snprintf(dir, sizeof(dir), "/tmp/cp_bench_mlflow_%ld", (long)getpid());
    cp_fs_rmtree(dir);
    cp_fs_mkdirs(dir);
    char *manifest = cp_path_join(dir, "manifest.json"); /* stands in for the manifest sink */
    cp_fs_write_atomic(manifest, "{}\n", 3);
    cp_free(manifest);
    struct cp_config cfg;
    struct cp_run run;
    if (build(&run, &cfg, ncells, ncycles, dir) < 0)
        return 1;
    struct cp_error err;
    cp_error_clear(&err);
    long before = cp_http_total_requests();
    double t0 = cp_monotonic_ms();
    int rc = cp_sink_mlflow_open.write(&run, &err);
    if (rc == 0)
        rc = cp_sink_mlflow.write(&run, &err);
    if (rc == 0 && cp_sink_mlflow_publish.enabled(&run))
        rc = cp_sink_mlflow_publish.write(&run, &err);
    double ms = cp_monotonic_ms() - t0;
    long sent = cp_http_total_requests() - before;
    long min = minimum_requests(dir);
    printf("bench_mlflow: cells=%ld cycle_metrics=%s status=%s requests=%ld minimum=%ld "
           "overhead=%.1f%% wall_s=%.2f ms_per_request=%.1f\n",
           ncells, ncycles > 0 ? "yes" : "no", run.tracking.status, sent, min,
           min ? 100.0 * (double)(sent - min) / (double)min : 0.0, ms / 1000.0,
           sent ? ms / (double)sent : 0.0);
    if (rc < 0)
        fprintf(stderr, "bench_mlflow: %s\n", err.msg);
    cp_table_free(run.data.cells);
    cp_table_free(run.data.cycles);
    cp_free(run.results);
    cp_free(run.tracking.url);
    cp_config_release(&cfg);
    cp_fs_rmtree(dir);
    return rc < 0 || strcmp(run.tracking.status, "logged") != 0;
}
