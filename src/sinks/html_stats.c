/* The statistics section of index.html (html.h): median life per group, the significant
 * differences in the same words as summary.pdf, a link to the full table. */
#include <stdio.h>

#include "cellpipe/html.h"
#include "cellpipe/statistics.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/template.h"

static int group_row(const struct cp_statistics_group *g, struct cp_strbuf *sb)
{
    char median[96];
    cp_statistics_median_text(&g->km, median, sizeof median);
    if (cp_strbuf_adds(sb, "<tr><td>") < 0 || cp_html_escape(sb, g->name) < 0 ||
        cp_strbuf_addf(sb, "</td><td>%zu</td><td>%zu</td><td>", g->n, g->km.events) < 0 ||
        cp_html_escape(sb, median) < 0)
        return -1;
    return cp_strbuf_adds(sb, "</td></tr>\n");
}

static int findings(const struct cp_statistics *s, struct cp_strbuf *sb)
{
    char **lines = NULL, none[160];
    size_t n = 0;
    if (cp_statistics_findings(s, 0, &lines, &n) < 0)
        return -1;
    int rc = cp_strbuf_adds(sb, "<h3>Significant differences</h3>\n");
    if (rc == 0 && n == 0) {
        cp_statistics_none_text(s, none, sizeof none);
        rc = cp_strbuf_adds(sb, "<p>") < 0 || cp_html_escape(sb, none) < 0 ||
                     cp_strbuf_adds(sb, "</p>\n") < 0
                 ? -1
                 : 0;
    }
    if (rc == 0 && n > 0)
        rc = cp_strbuf_adds(sb, "<ul>\n");
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (cp_strbuf_adds(sb, "<li>") < 0 || cp_html_escape(sb, lines[i]) < 0 ||
            cp_strbuf_adds(sb, "</li>\n") < 0)
            rc = -1;
    if (rc == 0 && n > 0)
        rc = cp_strbuf_adds(sb, "</ul>\n");
    cp_statistics_lines_free(lines, n);
    return rc;
}

int cp_html_statistics(const struct cp_statistics *s, const char *group_by, struct cp_strbuf *sb)
{
    if (!s)
        return 0;
    if (cp_strbuf_adds(sb, "<section id=\"statistics\">\n<h2>Fleet statistics by ") < 0 ||
        cp_html_escape(sb, group_by) < 0 ||
        cp_strbuf_adds(sb, "</h2>\n<table>\n<tr><th>group</th><th>cells</th><th>at end of life"
                           "</th><th>median life, cycles (Kaplan-Meier, interval)</th></tr>\n") < 0)
        return -1;
    for (size_t g = 0; g < s->ngroups; g++)
        if (group_row(&s->groups[g], sb) < 0)
            return -1;
    if (cp_strbuf_adds(sb, "</table>\n") < 0 || findings(s, sb) < 0)
        return -1;
    return cp_strbuf_adds(sb, "<p>Every statistic: <a href=\"results/statistics.csv\">"
                              "results/statistics.csv</a>.</p>\n</section>\n");
}
