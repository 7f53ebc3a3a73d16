/* results/fits.csv: one row per cell and model, parameters by name, NaN as empty fields,
 * exactly one selected row per fitted cell; the sink writes the same text to the file. */
#include <stdlib.h>
#include <string.h>

#include "cellpipe/fit.h"
#include "cellpipe/fits_csv.h"
#include "cellpipe/stages.h"
#include "cellpipe/fs.h"
#include "cellpipe/log.h"
#include "cellpipe/sink.h"
#include "cellpipe/strbuf.h"
#include "harness.h"
#include "lab.h"

extern const struct cp_sink_ops cp_sink_fits;

/* Split a CSV line without quotes into fields (in place); returns the count. */
static int split(char *line, char **f, int max)
{
    int n = 0;
    f[n++] = line;
    for (char *p = line; *p && n < max; p++)
        if (*p == ',') {
            *p = '\0';
            f[n++] = p + 1;
        }
    return n;
}

TEST(rows_fields_and_file)
{
    struct lab L;
    struct cp_error err = {0};
    lab_state = 5;
    CHECK_INT(lab_init(&L, 5), 0);
    for (int i = 0; i < 4; i++)
        lab_cell(&L, i, 0, 400, i < 3, 0.6, 0.002);
    lab_add_cell(&L, 4, "D0", "active"); /* too few cycles: not_run rows */
    for (long n = 1; n <= 4; n++)
        lab_add_cycle(&L, 4, n, 1.0, 0.999);
    CHECK_INT(lab_finish(&L), 0);
    L.cfg.fits.bootstrap_samples = 20;
    L.cfg.fits.models[CP_MODEL_SQRT] = 0; /* only asked-for models get rows */
    CHECK_INT(cp_stage_models(&L.run, &err), 0);
    struct cp_strbuf sb = CP_STRBUF_INIT;
    CHECK_INT(cp_fits_csv_format(&L.run, &sb), 0);
    char *text = cp_strdup(sb.buf), *save = text;
    char *nl = strchr(text, '\n');
    *nl = '\0';
    CHECK_STR(text, "cell_id,model,status,params,rmse,aicc,selected,reason");
    int rows = 0, selected[5] = {0};
    for (char *line = nl + 1; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        *nl = '\0';
        char *f[16];
        int nf = split(line, f, 16);
        CHECK_INT(nf, 8);
        int cell = (int)strtol(f[0] + 1, NULL, 10); /* ids are c00000 .. c00004 */
        rows++;
        CHECK(strcmp(f[1], "sqrt") != 0);
        if (strcmp(f[2], "ok") == 0) {
            CHECK(strchr(f[3], '=') != NULL && f[4][0] && f[5][0]);
            CHECK(strstr(f[3], "nan") == NULL);
            if (strcmp(f[1], "power") == 0)
                CHECK(strncmp(f[3], "a=", 2) == 0 && strstr(f[3], ";b=") && strstr(f[3], ";c="));
            if (strcmp(f[1], "bacon_watts") == 0)
                CHECK(strncmp(f[3], "a0=", 3) == 0 && strstr(f[3], ";n1=") && strstr(f[3], ";g="));
        } else {
            CHECK(f[3][0] == '\0' && f[4][0] == '\0' && f[5][0] == '\0'); /* never "nan" */
        }
        if (cell == 4) {
            CHECK_STR(f[2], "not_run");
        }
        selected[cell] += strcmp(f[6], "1") == 0;
    }
    CHECK_INT(rows, 5 * 4);
    for (int i = 0; i < 4; i++)
        CHECK_INT(selected[i], 1);
    CHECK_INT(selected[4], 0);
    /* the sink writes the same bytes into results/fits.csv of the staging folder */
    char dir[] = "/tmp/cp-fits-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    L.run.staging_dir = dir;
    CHECK_INT(cp_sink_fits.write(&L.run, &err), 0);
    char *path = cp_path_join(dir, "results/fits.csv"), *file = NULL;
    size_t len = 0;
    CHECK_INT(cp_fs_read_file(path, &file, &len), 0);
    CHECK(file && len == sb.len && memcmp(file, sb.buf, len) == 0);
    cp_fs_rmtree(dir);
    cp_free(file);
    cp_free(path);
    cp_free(save);
    cp_strbuf_release(&sb);
    L.run.staging_dir = NULL;
    lab_release(&L);
}

int main(void)
{
    cp_log_setup(CP_LOG_WARN, 0);
    RUN(rows_fields_and_file);
    return DONE();
}
