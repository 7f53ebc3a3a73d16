/* The early-life models section of index.html (html.h): each model's cross-validated error
 * beside the baseline's, in the same words as summary.pdf, and links to the files. */
#include <stdio.h>
#include <string.h>

#include "cellpipe/config.h"
#include "cellpipe/html.h"
#include "cellpipe/ml_run.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/template.h"

static void verdict(const struct cp_ml_result *r, char *cv, char *base, char *beats, size_t n)
{
    int reg = strcmp(r->model.task, "regression") == 0;
    snprintf(cv, n, "-");
    snprintf(base, n, "-");
    snprintf(beats, n, "%s", r->skipped ? r->skipped : r->trained ? "-" : "applied");
    if (!r->have_cv)
        return;
    if (reg) {
        snprintf(cv, n, "%.0f cycles (%.1f %%)", r->cv.metrics.rmse, r->cv.metrics.mape);
        snprintf(base, n, "%.0f cycles (%.1f %%)", r->cv.baseline.rmse, r->cv.baseline.mape);
    } else {
        snprintf(cv, n, "balanced accuracy %.2f", r->cv.metrics.balanced_accuracy);
        snprintf(base, n, "%.2f", r->cv.baseline.balanced_accuracy);
    }
    snprintf(beats, n, "%s",
             r->cv.beats_baseline
                 ? "yes"
                 : "no: it predicts no better than the baseline, do not rely on it");
}

static int model_row(const struct cp_ml_result *r, struct cp_strbuf *sb)
{
    char cv[160], base[160], beats[160];
    verdict(r, cv, base, beats, sizeof cv);
    const char *cells[] = {r->cfg->name, r->model.algorithm ? r->model.algorithm : "-", cv, base,
                           beats};
    if (cp_strbuf_adds(sb, "<tr>") < 0)
        return -1;
    for (size_t k = 0; k < sizeof cells / sizeof cells[0]; k++)
        if (cp_strbuf_adds(sb, "<td>") < 0 || cp_html_escape(sb, cells[k]) < 0 ||
            cp_strbuf_adds(sb, "</td>") < 0)
            return -1;
    return cp_strbuf_adds(sb, "</tr>\n");
}

int cp_html_models(const struct cp_ml_run *ml, struct cp_strbuf *sb)
{
    if (!ml || ml->n == 0)
        return 0;
    if (cp_strbuf_adds(sb, "<section id=\"models\">\n<h2>Early-life models</h2>\n<table>\n"
                           "<tr><th>model</th><th>algorithm</th><th>cross-validated error</th>"
                           "<th>baseline</th><th>beats the baseline</th></tr>\n") < 0)
        return -1;
    for (size_t i = 0; i < ml->n; i++)
        if (model_row(&ml->m[i], sb) < 0)
            return -1;
    return cp_strbuf_adds(sb, "</table>\n<p>Every model: <a href=\"results/models.csv\">"
                              "results/models.csv</a>; every prediction: <a href=\""
                              "results/predictions.csv\">results/predictions.csv</a>.</p>\n"
                              "</section>\n");
}
