/*
 * The model files of the MLflow sink without a server: the alias comparison on other cells
 * (mlc_compare_cells) against errors worked out by hand, its refusals, and the model/ folder
 * in MLflow's format with the embedded loader. The server side is
 * tests/integration/mlflow_models.sh.
 */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../../src/sinks/mlflow_client_internal.h"
#include "../../../src/sinks/mlflow_internal.h"
#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "harness.h"

/* One feature x, standardised with mean 0 and sd 1, coef 1, intercept 2: 10^(2 + x) cycles. */
static const char holder[] =
    "{\"format\":\"cellpipe-model\",\"format_version\":1,\"name\":\"life\",\"task\":\"%s\","
    "\"algorithm\":\"ridge\",\"target\":\"log10_cycle_life\",\"eol_threshold\":0.8,"
    "\"early_cycles\":100,\"features\":[\"x\"],\"mean\":[0.0],\"sd\":[1.0],\"coef\":[1.0],"
    "\"intercept\":2.0,\"param\":1.0,\"l1_ratio\":null,\"train_min\":[-5.0],\"train_max\":[5.0],"
    "\"interval\":{\"level\":0.9,\"lo\":-0.1,\"hi\":0.1},\"train_cells\":10,"
    "\"cells_sha256\":\""
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "\"}";

static char dir[64];

static void put(const char *name, const char *text)
{
    char *p = cp_path_join(dir, name);
    CHECK(p && cp_fs_write_atomic(p, text, strlen(text)) == 0);
    cp_free(p);
}

static char *model(const char *task)
{
    char *s = cp_malloc(sizeof holder + 32);
    snprintf(s, sizeof holder + 32, holder, task);
    return s;
}

TEST(compare_on_this_runs_cells)
{
    /* a: holder 100 (error 0), new 110; b: holder 1000 (error 900), new 90; c has no target,
     * d no out-of-fold prediction, e a missing feature: only a and b count */
    put("features.csv", "cell_id,x,observed,in_training\na,0,100,1\nb,1,100,1\nc,0,,0\n"
                        "d,0,100,1\ne,,100,1\n");
    put("cv_predictions.csv", "cell_id,fold,observed,predicted,baseline\na,0,100,110,1\n"
                              "b,1,100,90,1\ne,2,100,100,1\n");
    char *m = model("regression");
    double fresh = 0, held = 0;
    size_t n = 0;
    struct cp_error err = {0};
    CHECK_INT(
        mlc_compare_cells(dir, m, strlen(m), "models:/x/1", "regression", &fresh, &held, &n, &err),
        0);
    CHECK_INT((int)n, 2);
    CHECK_NEAR(fresh, 10.0, 1e-12);
    CHECK_NEAR(held, sqrt(900.0 * 900.0 / 2), 1e-9);
    cp_free(m);
}

TEST(compare_classification)
{
    /* holder P = 1/(1+exp(-(2+x))): x=-3 -> 0.27 (class 0), x=0 -> 0.88 (class 1) */
    put("features.csv", "cell_id,x,observed\na,-3,0\nb,0,0\nc,0,1\nd,-3,1\n");
    put("cv_predictions.csv", "cell_id,fold,observed,predicted,baseline\na,0,0,0.2,0.5\n"
                              "b,0,0,0.3,0.5\nc,1,1,0.9,0.5\nd,1,1,0.4,0.5\n");
    char *m = model("classification");
    double fresh = 0, held = 0;
    size_t n = 0;
    struct cp_error err = {0};
    CHECK_INT(mlc_compare_cells(dir, m, strlen(m), "h", "classification", &fresh, &held, &n, &err),
              0);
    CHECK_INT((int)n, 4);
    /* new: class-0 recall 2/2, class-1 recall 1/2; holder: class 0 1/2, class 1 1/2 */
    CHECK_NEAR(fresh, 0.75, 1e-15);
    CHECK_NEAR(held, 0.5, 1e-15);
    cp_free(m);
}

TEST(compare_refusals)
{
    put("features.csv", "cell_id,y,observed\na,0,100\n");
    put("cv_predictions.csv", "cell_id,fold,observed,predicted,baseline\na,0,100,110,1\n");
    char *m = model("regression");
    double f, h;
    size_t n;
    struct cp_error err = {0};
    CHECK_INT(mlc_compare_cells(dir, m, strlen(m), "h", "regression", &f, &h, &n, &err), -CP_EDATA);
    CHECK(strstr(err.msg, "features.csv:1: no column 'x', a feature of the holder") != NULL);
    cp_error_clear(&err);
    CHECK_INT(
        mlc_compare_cells(dir, m, strlen(m), "models:/x/2", "classification", &f, &h, &n, &err),
        -CP_EDATA);
    CHECK_STR(err.msg, "models:/x/2: a regression model, this one is classification");
    cp_error_clear(&err);
    put("features.csv", "cell_id,x,observed\nz,0,100\n");
    CHECK_INT(mlc_compare_cells(dir, m, strlen(m), "h", "regression", &f, &h, &n, &err), -CP_EDATA);
    CHECK_STR(err.msg, "h: no cell of this run to compare on");
    cp_error_clear(&err);
    CHECK(mlc_compare_cells(dir, "{", 1, "h", "regression", &f, &h, &n, &err) < 0);
    cp_free(m);
}

TEST(model_folder)
{
    char *m = model("regression");
    put("model.json", m);
    struct cp_error err = {0};
    CHECK_INT(mlf_model_folder(dir, 1767571200000LL, &err), 0);
    for (size_t i = 0; mlf_model_files[i]; i++) {
        char rel[128];
        snprintf(rel, sizeof rel, "model/%s", mlf_model_files[i]);
        char *p = cp_path_join(dir, rel);
        CHECK(p && cp_fs_exists(p));
        cp_free(p);
    }
    char *p = cp_path_join(dir, "model/MLmodel"), *text = NULL, *copy = NULL, *tmpl = NULL;
    size_t len = 0;
    CHECK(cp_fs_read_file(p, &text, &len) == 0);
    CHECK(text && strstr(text, "  python_function:\n    code: code\n    data: model.json\n"));
    CHECK(text && strstr(text, "    loader_module: cellpipe_pyfunc\n"));
    CHECK(text && strstr(text, "    python_version: '3.11'\n")); /* a string, not a float */
    CHECK(text && strstr(text, "utc_time_created: '2026-01-05T00:00:00Z'\n"));
    cp_free(p);
    p = cp_path_join(dir, "model/model.json");
    CHECK(cp_fs_read_file(p, &copy, &len) == 0 && copy && strcmp(copy, m) == 0);
    /* the embedded loader is the template's bytes */
    CHECK(cp_fs_read_file("templates/mlflow/cellpipe_pyfunc.py", &tmpl, &len) == 0);
    CHECK(tmpl && strcmp(tmpl, mlf_pyfunc_loader()) == 0);
    cp_free(p);
    cp_free(text);
    cp_free(copy);
    cp_free(tmpl);
    cp_free(m);
    /* no model.json: one error naming it */
    char *empty = cp_path_join(dir, "empty");
    CHECK(empty && cp_fs_mkdirs(empty) == 0);
    CHECK_INT(mlf_model_folder(empty, 0, &err), -CP_ENOINPUT);
    CHECK(strstr(err.msg, "empty/model.json") != NULL);
    cp_free(empty);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/cp_mlflow_models_%ld", (long)getpid());
    CHECK(cp_fs_mkdirs(dir) == 0);
    RUN(compare_on_this_runs_cells);
    RUN(compare_classification);
    RUN(compare_refusals);
    RUN(model_folder);
    cp_fs_rmtree(dir);
    return DONE();
}
