/* model.json: a saved model reads back to the same numbers and predicts as documented. */
#include <jansson.h>
#include <stdlib.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/ml_model.h"
#include "harness.h"

static char *names[] = {"qd_2", "ce_mean"};
static double mean[] = {1.05, 0.998}, sd[] = {0.01, 0.001}, coef[] = {0.3, -0.1};
static double tmin[] = {1.0, 0.99}, tmax[] = {1.1, 1.0};

static struct cp_ml_saved sample(const char *task)
{
    struct cp_ml_saved m = {.name = "life",
                            .task = (char *)task,
                            .algorithm = "ridge",
                            .target = "log10_cycle_life",
                            .eol_threshold = 0.8,
                            .early_cycles = 100,
                            .p = 2,
                            .features = names,
                            .mean = mean,
                            .sd = sd,
                            .coef = coef,
                            .train_min = tmin,
                            .train_max = tmax,
                            .intercept = 2.9,
                            .param = 0.1,
                            .l1_ratio = NAN,
                            .interval_level = 0.9,
                            .interval_lo = -0.05,
                            .interval_hi = 0.04,
                            .train_cells = 40};
    memset(m.cells_sha256, 'a', 64);
    return m;
}

static char *dump(const struct cp_ml_saved *m)
{
    json_t *o = cp_ml_saved_to_json(m);
    char *s = o ? json_dumps(o, JSON_SORT_KEYS) : NULL;
    json_decref(o);
    return s;
}

TEST(round_trip)
{
    struct cp_ml_saved m = sample("regression"), back;
    struct cp_error err = {0};
    char *s = dump(&m);
    CHECK(s != NULL);
    CHECK(cp_ml_saved_from_text(&back, s, strlen(s), "model.json", &err) == 0);
    CHECK_STR(back.name, "life");
    CHECK(back.p == 2 && strcmp(back.features[1], "ce_mean") == 0);
    CHECK(back.coef[0] == 0.3 && back.sd[1] == 0.001 && back.intercept == 2.9);
    CHECK(isnan(back.l1_ratio)); /* NaN travels as null */
    CHECK(back.train_cells == 40 && back.cells_sha256[63] == 'a');
    double x[] = {1.06, 0.999};
    struct cp_ml_prediction a, b;
    cp_ml_saved_predict(&m, x, &a);
    cp_ml_saved_predict(&back, x, &b);
    CHECK(a.z == b.z && a.value == b.value);
    /* z by hand: 2.9 + 0.3 * 1 + (-0.1) * 1 = 3.1 (to rounding of the standardisation) */
    CHECK_NEAR(a.z, 3.1, 1e-12);
    CHECK_NEAR(a.value, pow(10, 3.1), 1e-9);
    CHECK_NEAR(a.lo, pow(10, 3.05), 1e-9);
    CHECK_NEAR(a.hi, pow(10, 3.14), 1e-9);
    CHECK(!a.out_of_range);
    x[0] = 1.2;
    cp_ml_saved_predict(&m, x, &a);
    CHECK(a.out_of_range);
    cp_ml_saved_release(&back);
    free(s);
}

TEST(classification_probability)
{
    struct cp_ml_saved m = sample("classification");
    double x[] = {1.05, 0.998};
    struct cp_ml_prediction a;
    cp_ml_saved_predict(&m, x, &a);
    CHECK_NEAR(a.value, 1.0 / (1.0 + exp(-2.9)), 1e-15);
    CHECK(isnan(a.lo) && isnan(a.hi));
}

TEST(bad_files)
{
    struct cp_ml_saved back;
    struct cp_error err = {0};
    const char *notjson = "{\"format\": ";
    CHECK(cp_ml_saved_from_text(&back, notjson, strlen(notjson), "m.json", &err) == -CP_EDATA);
    CHECK(strstr(err.msg, "m.json:1: not JSON") != NULL);
    const char *other = "{\"format\": \"mlflow\", \"format_version\": 1}";
    err = (struct cp_error){0};
    CHECK(cp_ml_saved_from_text(&back, other, strlen(other), "m.json", &err) == -CP_EDATA);
    CHECK(strstr(err.msg, "not a cellpipe model") != NULL);
    struct cp_ml_saved m = sample("regression");
    m.sd[0] = 0; /* a zero scale cannot be applied */
    char *s = dump(&m);
    m.sd[0] = 0.01;
    err = (struct cp_error){0};
    CHECK(cp_ml_saved_from_text(&back, s, strlen(s), "m.json", &err) == -CP_EDATA);
    CHECK(strstr(err.msg, "field 'sd'") != NULL);
    free(s);
}

int main(void)
{
    RUN(round_trip);
    RUN(classification_probability);
    RUN(bad_files);
    return DONE();
}
