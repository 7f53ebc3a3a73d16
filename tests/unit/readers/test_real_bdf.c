/*
 * The tidy reader on the 32 real TBSI-Sunwoda per-cycle files (../shared/data/tbsi_sunwoda,
 * or $CELLPIPE_REAL_DATA): every value equals the file's own number, read independently
 * (analytics/tbsi.h: fgets + strtod), and a files-source load of the folder, through
 * validation, features and models, reproduces the end of life at 80 % that SOURCE.md gives
 * for each cell, as test_real_tbsi does from the same numbers put in by hand (real exports
 * converted to BDF and read back: test_bdf). Skipped by name when the data are absent.
 */
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "analytics/tbsi.h"
#include "cellpipe/log.h"
#include "cellpipe/source.h"
#include "harness.h"
#include "rdtest.h"

static struct tbsi_fleet fleet;
static char *root; /* realpath of the real data folder (malloc) */

TEST(tidy_values_match_files)
{
    long cells = 0, rows = 0, same = 0;
    for (size_t i = 0; i < fleet.n; i++) {
        const struct tbsi_cell *c = &fleet.cell[i];
        char path[PATH_MAX + 64];
        snprintf(path, sizeof path, "%s/tbsi_sunwoda/%s.csv", root, c->id);
        struct rd r;
        rd_read(&r, path);
        T_REPORT(r.rc == 0, "%s: %s", path, r.err.msg);
        T_REPORT(strcmp(rd_format(&r), "tidy") == 0, "%s: format %s", c->id, rd_format(&r));
        cells += r.rc == 0;
        CHECK_INT(r.out.rows_read, c->ncycles);
        CHECK_INT(r.cycles->nrows, c->ncycles);
        for (long k = 0; k < c->ncycles; k++) {
            rows++;
            same += rd_get(&r, k + 1, "discharge_capacity_ah") == c->q[k];
        }
        rd_free(&r);
    }
    CHECK_INT(cells, TBSI_CELLS);
    CHECK_INT(same, rows);
    CHECK_INT(rows, 37368); /* SOURCE.md: 37,368 values */
}

/* The files source, not a dataset built by hand: the same EOL80 for every cell. */
TEST(files_source_end_of_life)
{
    char yaml[PATH_MAX + 200];
    if (strlen(root) > PATH_MAX)
        return;
    int n = snprintf(yaml, sizeof yaml,
                     "name: real-tbsi-files\nsource:\n  kind: files\n  paths: [\"%s/tbsi_sunwoda/"
                     "B*.csv\"]\n",
                     root);
    struct cp_config cfg;
    struct cp_error err = {0};
    struct cp_run run;
    memset(&run, 0, sizeof run);
    CHECK_INT(cp_config_load_buffer(&cfg, "real-tbsi.yaml", yaml, (size_t)n, &err), 0);
    run.cfg = &cfg;
    const struct cp_source_ops *src = cp_source_find(CP_SOURCE_FILES);
    int rc = cp_dataset_init(&run.data, &err);
    if (rc == 0)
        rc = src->load(&cfg, &run.data, &err);
    if (rc == 0 && (cp_table_sort(run.data.cells, "cell_id", NULL) < 0 ||
                    cp_table_sort(run.data.cycles, "cell_id", "cycle_index") < 0 ||
                    cp_table_group(run.data.cycles, "cell_id") < 0))
        rc = -1;
    if (rc == 0)
        rc = cp_stage_validate(&run, &err);
    if (rc == 0)
        rc = cp_stage_features(&run, &err);
    if (rc == 0)
        rc = cp_stage_models(&run, &err);
    T_REPORT(rc == 0, "run: %s", err.msg);
    CHECK_INT(run.data.ninputs, TBSI_CELLS);
    CHECK_INT(run.nresults, TBSI_CELLS);
    CHECK_INT(run.validation.rows_quarantined, 3); /* as test_real_tbsi: the same three rows */
    char **ids = cp_table_str(run.data.cells, "cell_id");
    long same = 0;
    for (size_t k = 0; rc == 0 && k < run.nresults; k++) {
        const struct cp_cell_result *r = &run.results[k];
        long i = tbsi_index(&fleet, ids[r->cells_row]);
        if (i < 0)
            continue;
        if (r->eol_observed != fleet.cell[i].eol80)
            fprintf(stderr, "%s: eol_observed %ld, SOURCE.md %ld\n", fleet.cell[i].id,
                    r->eol_observed, fleet.cell[i].eol80);
        same += r->eol_observed == fleet.cell[i].eol80;
    }
    CHECK_INT(same, TBSI_CELLS);
    tbsi_run_release(&run);
    cp_config_release(&cfg);
}

int main(void)
{
    const char *dir = getenv("CELLPIPE_REAL_DATA");
    cp_log_setup(CP_LOG_ERROR, 0);
    root = realpath(dir ? dir : "../shared/data", NULL);
    if (!root || tbsi_load(root, &fleet) != 0) {
        free(root);
        SKIP("tidy_values_match_files", "no tbsi_sunwoda in the real data");
        SKIP("files_source_end_of_life", "no tbsi_sunwoda in the real data");
        tbsi_release(&fleet);
        return DONE();
    }
    RUN(tidy_values_match_files);
    RUN(files_source_end_of_life);
    tbsi_release(&fleet);
    free(root);
    return DONE();
}
