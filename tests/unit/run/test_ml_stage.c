/* The ml stage on a small sample lab: its bookkeeping (training cells, notes, predictions),
 * and every allocation it makes failing in turn is reported as out of memory and leaks
 * nothing (the sanitizer build's LSan checks that). */
#include <math.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/config.h"
#include "cellpipe/dataset.h"
#include "cellpipe/error.h"
#include "cellpipe/log.h"
#include "cellpipe/ml_run.h"
#include "cellpipe/run.h"
#include "cellpipe/sample.h"
#include "cellpipe/stages.h"
#include "harness.h"

static struct cp_config cfg;
static struct cp_run run;

static const char yaml[] = "name: ml-stage\n"
                           "models:\n"
                           "  - name: life\n"
                           "    algorithm: ridge\n"
                           "    features: [qd_2, qd_fade_rel]\n"
                           "  - name: short\n"
                           "    task: classification\n"
                           "    target: cycle_life < 760\n"
                           "    features: [qd_fade_rel]\n"
                           "  - name: meta\n"
                           "    algorithm: ridge\n"
                           "    features: [qd_2, electrolyte_ppm]\n";

static int lab(void)
{
    struct cp_error err = {0};
    struct cp_sample_params p = {.seed = 7, .cells = 48, .cycles = 1200, .life_spread = 2};
    memset(&run, 0, sizeof run);
    run.cfg = &cfg;
    if (cp_dataset_init(&run.data, &err) < 0 || cp_sample_generate(&p, &run.data, NULL, &err) < 0 ||
        cp_stage_select(&run, &err) < 0 || cp_stage_validate(&run, &err) < 0 ||
        cp_stage_features(&run, &err) < 0 || cp_stage_models(&run, &err) < 0)
        return -1;
    /* a numeric metadata column, as source.numeric_columns makes one from cells.csv */
    int col = cp_table_add_column(run.data.cells, "electrolyte_ppm", CP_F64);
    for (size_t i = 0; col >= 0 && i < run.data.cells->nrows; i++)
        cp_table_set_f64(run.data.cells, col, i, i == 3 ? NAN : 100.0 + (double)i);
    return col >= 0 ? 0 : -1;
}

TEST(bookkeeping)
{
    struct cp_error err = {0};
    struct cp_ml_inputs in = {0};
    CHECK_INT(cp_ml_run_stage(&run, &in, &err), 0);
    CHECK(run.ml && run.ml->n == 3);
    const struct cp_ml_result *r = &run.ml->m[0];
    size_t known = 0, rows = 0, train = 0;
    for (size_t i = 0; i < r->ncells; i++) {
        known += run.results[i].eol_observed > 0;
        rows += r->x[i] != NULL;
        CHECK((r->x[i] != NULL) == (r->note[i] == NULL)); /* no row: a note says why */
        CHECK((r->x[i] != NULL) == isfinite(r->pred[i]));
        train += r->in_train[i];
        if (r->in_train[i])
            CHECK(r->observed[i] == (double)run.results[i].eol_observed);
    }
    CHECK_INT(r->ntrain, train);
    CHECK(train > 10 && train <= known && rows >= train);
    /* the classification labels follow the rule on the same lives */
    const struct cp_ml_result *c = &run.ml->m[1];
    for (size_t i = 0; i < c->ncells; i++)
        if (run.results[i].eol_observed > 0)
            CHECK(c->observed[i] == (run.results[i].eol_observed < 760 ? 1.0 : 0.0));
    CHECK(c->have_cv && c->pred[0] >= 0 && c->pred[0] <= 1);
    /* a metadata feature is the cell's own value; a cell without one is left out, not imputed */
    const struct cp_ml_result *m = &run.ml->m[2];
    CHECK(m->model.p == 2 && strcmp(m->model.features[1], "electrolyte_ppm") == 0);
    for (size_t i = 0; i < m->ncells; i++)
        if (m->x[i])
            CHECK(m->x[i][1] == 100.0 + (double)i);
    CHECK(m->x[3] == NULL && m->note[3] && strstr(m->note[3], "electrolyte_ppm"));
    cp_ml_run_free(run.ml);
    run.ml = NULL;
}

TEST(out_of_memory)
{
    long failures = 0, clean = 0;
    for (long n = 1; n < 100000; n++) {
        struct cp_error err = {0};
        struct cp_ml_inputs in = {0};
        cp_alloc_fail_at(n);
        int rc = cp_ml_run_stage(&run, &in, &err);
        cp_alloc_fail_at(0);
        cp_ml_run_free(run.ml);
        run.ml = NULL;
        if (rc == 0) {
            clean = n;
            break;
        }
        failures++;
        if (rc != -CP_EINTERNAL || !strstr(err.msg, "out of memory")) {
            CHECK(rc == -CP_EINTERNAL && strstr(err.msg, "out of memory"));
            printf("allocation %ld: rc %d: %s\n", n, rc, err.msg);
            break;
        }
    }
    CHECK(failures > 100 && clean > 0);
}

int main(void)
{
    struct cp_error err = {0};
    cp_log_setup(CP_LOG_ERROR, 0);
    if (cp_config_load_buffer(&cfg, "ml-stage.yaml", yaml, sizeof yaml - 1, &err) != 0 ||
        lab() != 0) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return 1;
    }
    RUN(bookkeeping);
    RUN(out_of_memory);
    cp_free(run.results);
    cp_free(run.validation.rules);
    cp_free(run.validation.cells);
    cp_table_free(run.quarantine);
    cp_dataset_release(&run.data);
    cp_config_release(&cfg);
    return DONE();
}
