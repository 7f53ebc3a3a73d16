/*
 * index.html (include/cellpipe/html.h). The page is built in C rather than from a template:
 * most of it is loops over cells and plots, and the layout is small enough to read here.
 */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/html.h"
#include "cellpipe/kpi.h"
#include "cellpipe/log.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/template.h"

#ifndef CP_VERSION
#define CP_VERSION "dev"
#endif

/* Skip "<?xml ...?>", "<!DOCTYPE ...>" and comments before the root element. */
static const char *svg_root(const char *svg)
{
    const char *p = svg;
    for (;;) {
        while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
            p++;
        const char *end = NULL;
        if (strncmp(p, "<?", 2) == 0)
            end = strstr(p, "?>");
        else if (strncmp(p, "<!--", 4) == 0)
            end = strstr(p, "-->");
        else if (strncmp(p, "<!", 2) == 0)
            end = strchr(p, '>');
        if (!end)
            return p;
        p = end + (strncmp(p, "<?", 2) == 0 ? 2 : strncmp(p, "<!--", 4) == 0 ? 3 : 1);
    }
}

int cp_html_inline_svg(struct cp_strbuf *out, const char *svg, const char *prefix)
{
    static const char *const marks[] = {" id=\"", "href=\"#", "url(#"};
    const char *p = svg_root(svg);
    if (strstr(p, "<script"))
        return -2;
    while (*p) {
        const char *best = NULL;
        size_t blen = 0;
        for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
            const char *q = strstr(p, marks[i]);
            if (q && (!best || q < best)) {
                best = q;
                blen = strlen(marks[i]);
            }
        }
        if (!best)
            return cp_strbuf_adds(out, p);
        if (cp_strbuf_add(out, p, (size_t)(best - p) + blen) < 0 || cp_strbuf_adds(out, prefix) < 0)
            return -1;
        p = best + blen;
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the *.svg files in dir (none when dir is missing). */
static int list_svgs(const char *dir, char ***out, size_t *n)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    if (!d)
        return 0;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".svg") != 0 || e->d_name[0] == '.')
            continue;
        if (cp_grow((void **)out, &cap, *n + 1, sizeof(**out)) < 0 ||
            !((*out)[*n] = cp_strdup(e->d_name)))
            rc = -1;
        else
            (*n)++;
    }
    closedir(d);
    if (*n)
        qsort(*out, *n, sizeof(**out), cmp_str);
    return rc;
}

static const char STYLE[] =
    "body{font-family:'DejaVu Sans',Arial,sans-serif;color:#222;margin:1.5em auto;"
    "max-width:1100px;padding:0 1em}\n"
    "h1{margin-bottom:.1em}.sub{color:#555;margin-top:0}\n"
    "nav a,nav span{margin-right:1.2em}\n"
    ".kpis{display:flex;flex-wrap:wrap;gap:.8em;margin:0;padding:0}\n"
    ".kpis div{border:1px solid #ccd;border-radius:4px;padding:.5em .9em;min-width:9em}\n"
    ".kpis dt{font-size:.8em;color:#555}.kpis dd{margin:0;font-size:1.4em;font-weight:bold}\n"
    "table{border-collapse:collapse}td,th{border:1px solid #ccd;padding:.3em .6em;"
    "text-align:left;vertical-align:top}\n"
    "figure{margin:1.5em 0;border-top:1px solid #eee;padding-top:.5em}\n"
    "figure svg{max-width:100%;height:auto;display:block}\n"
    "figcaption{font-weight:bold;margin-bottom:.3em}\n";

static int add_link(struct cp_strbuf *sb, const char *dir, const char *rel, const char *label)
{
    char *path = cp_path_join(dir, rel);
    if (!path)
        return -1;
    int exists = cp_fs_exists(path);
    cp_free(path);
    if (exists)
        return cp_strbuf_addf(sb, "<a href=\"%s\">%s</a>\n", rel, label);
    return cp_strbuf_addf(sb, "<span>%s: not produced</span>\n", label);
}

static int render_head(const struct cp_run *run, const char *dir, struct cp_strbuf *sb)
{
    const char *name = run->cfg->name ? run->cfg->name : "";
    if (cp_strbuf_adds(sb, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                           "<meta name=\"viewport\" content=\"width=device-width, "
                           "initial-scale=1\">\n<title>") < 0 ||
        cp_html_escape(sb, name) < 0 ||
        cp_strbuf_addf(sb, " %s</title>\n<style>\n", run->date) < 0 ||
        cp_strbuf_adds(sb, STYLE) < 0 ||
        cp_strbuf_adds(sb, "</style>\n</head>\n<body>\n<h1>") < 0 || cp_html_escape(sb, name) < 0 ||
        cp_strbuf_addf(sb, "</h1>\n<p class=\"sub\">Report for %s", run->date) < 0)
        return -1;
    if (run->shard_count > 1 &&
        cp_strbuf_addf(sb, " (shard %u/%u)", run->shard_index, run->shard_count) < 0)
        return -1;
    if (cp_strbuf_adds(sb, " &middot; cellpipe " CP_VERSION "</p>\n<nav>\n") < 0 ||
        add_link(sb, dir, "summary.pdf", "Summary PDF") < 0 ||
        add_link(sb, dir, "workbook.xlsx", "Workbook") < 0 ||
        add_link(sb, dir, "results/cells.csv", "cells.csv") < 0)
        return -1;
    if (run->tracking.url && *run->tracking.url)
        return cp_strbuf_adds(sb, "<a href=\"") < 0 || cp_html_escape(sb, run->tracking.url) < 0 ||
                       cp_strbuf_adds(sb, "\">MLflow run</a>\n</nav>\n") < 0
                   ? -1
                   : 0;
    return cp_strbuf_addf(sb, "<span>MLflow: %s</span>\n</nav>\n",
                          run->tracking.status[0] ? run->tracking.status : "not logged");
}

static int render_kpis(const struct cp_run *run, struct cp_strbuf *sb)
{
    struct cp_kpi k[CP_KPI_MAX];
    size_t n = cp_kpi_collect(run, k, CP_KPI_MAX);
    if (cp_strbuf_adds(sb, "<section id=\"kpis\">\n<h2>Key figures</h2>\n<dl class=\"kpis\">\n") <
        0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (cp_strbuf_adds(sb, "<div><dt>") < 0 || cp_html_escape(sb, k[i].label) < 0 ||
            cp_strbuf_adds(sb, "</dt><dd>") < 0 || cp_html_escape(sb, k[i].value) < 0 ||
            cp_strbuf_adds(sb, "</dd></div>\n") < 0)
            return -1;
    return cp_strbuf_adds(sb, "</dl>\n</section>\n");
}

static int render_flagged_row(const struct cp_run *run, const struct cp_cell_result *r,
                              struct cp_strbuf *sb, struct cp_strbuf *tmp)
{
    const char *cells[] = {cp_kpi_cell_str(run, r, "cell_id"),
                           cp_kpi_cell_str(run, r, "design_name")};
    if (cp_strbuf_adds(sb, "<tr>") < 0)
        return -1;
    for (size_t i = 0; i < 2; i++)
        if (cp_strbuf_adds(sb, "<td>") < 0 || cp_html_escape(sb, cells[i]) < 0 ||
            cp_strbuf_adds(sb, "</td>") < 0)
            return -1;
    if (!isnan(r->last_retention)
            ? cp_strbuf_addf(sb, "<td>%.1f %%</td>", 100 * r->last_retention) < 0
            : cp_strbuf_adds(sb, "<td></td>") < 0)
        return -1;
    cp_strbuf_reset(tmp);
    if (cp_kpi_eol_text(r, tmp) < 0 || cp_strbuf_adds(sb, "<td>") < 0 ||
        cp_html_escape(sb, tmp->buf) < 0 || cp_strbuf_adds(sb, "</td><td><ul>") < 0)
        return -1;
    for (int i = 0; i < r->nflags && i < CP_MAX_FLAGS; i++)
        if (cp_strbuf_adds(sb, "<li><strong>") < 0 || cp_html_escape(sb, r->flags[i].kind) < 0 ||
            cp_strbuf_adds(sb, "</strong>: ") < 0 || cp_html_escape(sb, r->flags[i].reason) < 0 ||
            cp_strbuf_adds(sb, "</li>") < 0)
            return -1;
    return cp_strbuf_adds(sb, "</ul></td></tr>\n");
}

static int render_flagged(const struct cp_run *run, struct cp_strbuf *sb)
{
    struct cp_strbuf tmp;
    cp_strbuf_init(&tmp);
    long n = cp_kpi_flagged(run);
    int rc = cp_strbuf_addf(sb, "<section id=\"flagged\">\n<h2>Flagged cells (%ld)</h2>\n", n);
    if (rc == 0 && n == 0)
        rc = cp_strbuf_adds(sb, "<p>No cell was flagged.</p>\n");
    if (rc == 0 && n > 0)
        rc = cp_strbuf_adds(sb, "<table>\n<tr><th>cell</th><th>design</th><th>retention</th>"
                                "<th>end of life</th><th>flags</th></tr>\n");
    for (size_t i = 0; i < run->nresults && rc == 0; i++)
        if (run->results[i].nattention > 0)
            rc = render_flagged_row(run, &run->results[i], sb, &tmp);
    if (rc == 0)
        rc = cp_strbuf_adds(sb, n > 0 ? "</table>\n</section>\n" : "</section>\n");
    cp_strbuf_release(&tmp);
    return rc;
}

static int render_plot(const char *plots, const char *file, size_t index, struct cp_strbuf *sb,
                       struct cp_error *err)
{
    char *path = cp_path_join(plots, file), *svg = NULL;
    char prefix[32];
    size_t len;
    size_t stem = strlen(file) - 4;
    int rc = 0;
    if (!path)
        return cp_error_oom(err);
    if (cp_fs_read_file(path, &svg, &len) != 0) {
        rc = cp_error_errno(err, CP_ECANTCREAT, "index.html: cannot read '%s'", path);
        goto cleanup;
    }
    snprintf(prefix, sizeof(prefix), "p%zu-", index);
    if (cp_strbuf_adds(sb, "<figure id=\"plot-") < 0 || cp_strbuf_add(sb, file, stem) < 0 ||
        cp_strbuf_adds(sb, "\">\n<figcaption>") < 0 || cp_strbuf_add(sb, file, stem) < 0 ||
        cp_strbuf_adds(sb, "</figcaption>\n") < 0) {
        rc = cp_error_oom(err);
        goto cleanup;
    }
    int irc = cp_html_inline_svg(sb, svg, prefix);
    if (irc == -2) {
        rc = cp_error_set(err, CP_EINTERNAL, "index.html: '%s' holds a script; refused", path);
        goto cleanup;
    }
    /* the PDF twin is linked only when the plots sink wrote one (plots.pdf can be off) */
    memcpy(path + strlen(path) - 4, ".pdf", 4);
    if (irc < 0 || cp_strbuf_adds(sb, "\n<p>") < 0 ||
        (cp_fs_exists(path) &&
         cp_strbuf_addf(sb, "<a href=\"plots/%.*s.pdf\">PDF</a> ", (int)stem, file) < 0) ||
        cp_strbuf_addf(sb, "<a href=\"plots/%s\">SVG</a></p>\n</figure>\n", file) < 0)
        rc = cp_error_oom(err);
cleanup:
    cp_free(svg);
    cp_free(path);
    return rc;
}

static int render_plots(const char *dir, struct cp_strbuf *sb, struct cp_error *err)
{
    char *plots = cp_path_join(dir, "plots");
    char **names = NULL;
    size_t n = 0;
    int rc = plots ? 0 : cp_error_oom(err);
    if (rc == 0 && list_svgs(plots, &names, &n) < 0)
        rc = cp_error_oom(err);
    if (rc == 0 && cp_strbuf_addf(sb, "<section id=\"plots\">\n<h2>Plots (%zu)</h2>\n", n) < 0)
        rc = cp_error_oom(err);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = render_plot(plots, names[i], i, sb, err);
    if (rc == 0 && cp_strbuf_adds(sb, "</section>\n") < 0)
        rc = cp_error_oom(err);
    for (size_t i = 0; i < n; i++)
        cp_free(names[i]);
    cp_free(names);
    cp_free(plots);
    return rc;
}

int cp_html_render(const struct cp_run *run, const char *dir, struct cp_strbuf *out,
                   struct cp_error *err)
{
    if (render_head(run, dir, out) < 0 || render_kpis(run, out) < 0 ||
        render_flagged(run, out) < 0 ||
        cp_html_statistics(run->statistics, run->cfg->statistics.group_by, out) < 0 ||
        cp_html_models(run->ml, out) < 0)
        return cp_error_oom(err);
    int rc = render_plots(dir, out, err);
    if (rc == 0 && cp_strbuf_adds(out, "</body>\n</html>\n") < 0)
        rc = cp_error_oom(err);
    return rc;
}

static int html_enabled(const struct cp_run *run)
{
    return run->cfg->report.html;
}

static int html_write(struct cp_run *run, struct cp_error *err)
{
    struct cp_strbuf sb;
    cp_strbuf_init(&sb);
    char *path = cp_path_join(run->staging_dir, "index.html");
    int rc = path ? cp_html_render(run, run->staging_dir, &sb, err) : cp_error_oom(err);
    if (rc == 0 && cp_fs_write_atomic(path, sb.buf, sb.len) != 0)
        rc = cp_error_errno(err, CP_ECANTCREAT, "cannot write '%s'", path);
    if (rc == 0)
        cp_log(CP_LOG_INFO, "sink=html bytes=%zu", sb.len);
    cp_strbuf_release(&sb);
    cp_free(path);
    return rc;
}

const struct cp_sink_ops cp_sink_html = {
    .name = "html",
    .phase = CP_SINK_STAGED,
    .enabled = html_enabled,
    .write = html_write,
};
