#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/config.h"
#include "cellpipe/error.h"
#include "harness.h"

static int load(struct cp_config *cfg, const char *text, struct cp_error *err)
{
    cp_error_clear(err);
    return cp_config_load_buffer(cfg, "dir/p.yaml", text, strlen(text), err);
}

TEST(defaults)
{
    struct cp_config cfg;
    struct cp_error err = {0};
    CHECK(load(&cfg, "", &err) == 0);
    CHECK_STR(cfg.name, "p");
    CHECK_STR(cfg.dir, "dir");
    CHECK_INT(cfg.source.kind, CP_SOURCE_SAMPLE);
    CHECK_INT(cfg.source.cells, 24);
    CHECK_NEAR(cfg.fits.threshold, 0.8, 0);
    CHECK_INT(cfg.features.nwindows, 3);
    CHECK_INT(cfg.features.windows[2], 20);
    CHECK_INT(cfg.fits.models[CP_MODEL_BACON_WATTS], 1);
    CHECK_INT(cfg.validate.nrules, 6); /* the default rule set */
    CHECK(isnan(cfg.validate.rules[0].max));
    CHECK_STR(cfg.report.root, "reports");
    CHECK_INT(cfg.email.enabled, 0);
    cp_config_release(&cfg);
}

TEST(full_pipeline)
{
    const char *text =
        "name: nightly\n"
        "source: {kind: files, paths: [a, b], format: auto}\n"
        "select:\n  design_name: [X]\n  year: 2024\n  where: {chemistry: [LFP, NMC]}\n"
        "validate:\n  rules:\n    - rule: range\n      column: v_max\n      max: 5\n"
        "fits:\n  models: [linear, power]\n  threshold: 0.7\n"
        "plots:\n  list:\n    - name: r\n      kind: scatter\n      overlays: [fit, knee]\n"
        "email: {enabled: true, to: [a@b.c], when: flagged}\n";
    struct cp_config cfg;
    struct cp_error err = {0};
    CHECK(load(&cfg, text, &err) == 0);
    CHECK_STR(err.msg, "");
    CHECK_STR(cfg.name, "nightly");
    CHECK_INT(cfg.source.paths.n, 2);
    CHECK_STR(cfg.select.year.v[0], "2024");
    CHECK_INT(cfg.select.nwhere, 1);
    CHECK_STR(cfg.select.where[0].values.v[1], "NMC");
    CHECK_INT(cfg.validate.nrules, 1);
    CHECK_INT(cfg.validate.rules[0].kind, CP_RULE_RANGE);
    CHECK_NEAR(cfg.validate.rules[0].max, 5, 0);
    CHECK_INT(cfg.validate.rules[0].line, 9);
    CHECK_INT(cfg.fits.models[CP_MODEL_LINEAR] + cfg.fits.models[CP_MODEL_POWER], 2);
    CHECK_INT(cfg.fits.models[CP_MODEL_SQRT], 0);
    CHECK_INT(cfg.plots.nlist, 1);
    CHECK_INT(cfg.plots.list[0].kind, CP_PLOT_SCATTER);
    CHECK_INT(cfg.plots.list[0].overlays, CP_OVERLAY_FIT | CP_OVERLAY_KNEE);
    CHECK_STR(cfg.plots.list[0].y, "capacity_retention"); /* default inside a list item */
    CHECK_INT(cfg.email.when, CP_EMAIL_FLAGGED);
    cp_config_release(&cfg);
}

TEST(env_expansion)
{
    struct cp_error err = {0};
    setenv("CP_T_HOST", "db.example", 1);
    unsetenv("CP_T_NONE");
    char *s = cp_config_expand("postgres://${CP_T_HOST}/x?${CP_T_NONE:-a=b}$$", &err);
    CHECK_STR(s, "postgres://db.example/x?a=b$");
    free(s);
    s = cp_config_expand("${CP_T_NONE}", &err);
    CHECK(s == NULL);
    CHECK_INT(err.code, CP_ECONFIG);
    struct cp_config cfg;
    CHECK(load(&cfg, "source:\n  cells: ${CP_T_CELLS:-7}\n", &err) == 0);
    CHECK_INT(cfg.source.cells, 7);
    cp_config_release(&cfg);
}

TEST(errors_name_the_place)
{
    static const struct {
        const char *yaml, *msg;
    } cases[] = {
        {"fits:\n  treshold: 0.8\n",
         "dir/p.yaml:2:3: unknown key 'treshold' in fits (did you mean 'threshold'?)"},
        {"sourc:\n  kind: sample\n", "dir/p.yaml:1:1: unknown key 'sourc' in the pipeline (did "
                                     "you mean 'source'?)"},
        {"features:\n  windows: [5, x]\n", "dir/p.yaml:2:16: expected an integer in 'windows', "
                                           "got 'x'"},
        {"fits:\n  models: [linear, cubic]\n",
         "dir/p.yaml:2:20: expected one of linear, sqrt, power, double_exp, bacon_watts in "
         "'models', got 'cubic'"},
        {"mlflow:\n  api_token: abc\n", "dir/p.yaml:2:3: 'api_token' looks like a secret: secrets "
                                        "come from the environment, never from the pipeline file"},
        {"source:\n  cells: 0\n", "dir/p.yaml:2:10: expected a number from 1 to 1e+06 for "
                                  "'cells', got '0'"},
        {"plots:\n  list:\n    - kind: line\n",
         "dir/p.yaml:3: expected a 'name' of letters, digits, '.', '_' or '-' in the plot"},
        {"fits:\n  ce_min: 1.0\n  ce_max: 0.99\n", "dir/p.yaml:1:1: expected 'ce_min' below "
                                                   "'ce_max'"},
        {"- a\n- b\n", "dir/p.yaml:1:1: expected a mapping of pipeline keys, got a list"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cp_config cfg;
        struct cp_error err = {0};
        CHECK_INT(load(&cfg, cases[i].yaml, &err), -CP_ECONFIG);
        CHECK_STR(err.msg, cases[i].msg);
    }
}

TEST(schema_documents_every_section)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cp_config_print_schema(f);
    fclose(f);
    const char *sections[] = {"`source`", "`select`",   "`validate`", "`features`", "`fits`",
                              "`plots`",  "`workbook`", "`mlflow`",   "`report`",   "`email`"};
    for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
        CHECK(strstr(buf, sections[i]) != NULL);
    CHECK(strstr(buf, "| `threshold` | number | 0.8 |") != NULL);
    free(buf);
}

/* Every allocation of a load failed in turn: out of memory (CP_EINTERNAL, no file:line:col
 * that would blame the pipeline), never a config error. Defaults, ${VAR:-default} values,
 * lists and list items each expand through their own path; the loader once reported a failed
 * expansion there as CP_ECONFIG. */
TEST(out_of_memory_is_not_a_config_error)
{
    const char *text = "name: ${CP_T_NONE:-oom}\n"
                       "source: {kind: files, paths: [a, '${CP_T_NONE:-b}'], format: auto}\n"
                       "select:\n  where: {chemistry: '${CP_T_NONE:-LFP}'}\n"
                       "plots:\n  list:\n    - {name: p1, kind: scatter, overlays: [fit]}\n";
    struct cp_config cfg;
    struct cp_error err = {0};
    unsetenv("CP_T_NONE");
    long before = cp_alloc_count();
    CHECK_INT(load(&cfg, text, &err), 0);
    long total = cp_alloc_count() - before;
    cp_config_release(&cfg);
    int bad = 0;
    for (long n = 1; n <= total; n++) {
        cp_alloc_fail_at(n);
        int rc = load(&cfg, text, &err);
        cp_alloc_fail_at(0);
        if (rc != -CP_EINTERNAL || strcmp(err.msg, "out of memory") != 0) {
            if (bad++ == 0)
                fprintf(stderr, "allocation %ld of %ld: %d '%s'\n", n, total, rc, err.msg);
        }
        if (rc == 0)
            cp_config_release(&cfg);
    }
    T_REPORT(bad == 0, "%d of %ld failed allocations gave another result", bad, total);
    CHECK(total > 50);
    /* an empty value is an allocation too: its failure once came back as NULL with no
     * error set, which the loader turned into a bare "failed" */
    cp_error_clear(&err);
    cp_alloc_fail_at(1);
    char *empty = cp_config_expand("", &err);
    cp_alloc_fail_at(0);
    CHECK(empty == NULL);
    CHECK_INT(err.code, CP_EINTERNAL);
    /* and an unset variable is still the config error it was, with its place */
    CHECK_INT(load(&cfg, "source:\n  cells: ${CP_T_NONE}\n", &err), -CP_ECONFIG);
    CHECK(strncmp(err.msg, "dir/p.yaml:2:10: ", 17) == 0);
}

int main(void)
{
    RUN(defaults);
    RUN(full_pipeline);
    RUN(env_expansion);
    RUN(errors_name_the_place);
    RUN(schema_documents_every_section);
    RUN(out_of_memory_is_not_a_config_error);
    return DONE();
}
