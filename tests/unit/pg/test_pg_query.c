/* Query templates: named parameters, what must stay untouched, parameter values. */
#include <stdlib.h>

#include "cellpipe/alloc.h"
#include "cellpipe/config.h"
#include "cellpipe/error.h"
#include "cellpipe/pg.h"
#include "harness.h"

TEST(names_become_positions)
{
    struct cp_pg_query q;
    struct cp_error err = {0};
    CHECK_INT(
        cp_pg_query_compile(&q, "SELECT :a::text[], :b, :a FROM t WHERE x = :b;\n", "t.sql", &err),
        0);
    CHECK_STR(q.sql, "SELECT $1::text[], $2, $1 FROM t WHERE x = $2");
    CHECK_INT(q.n, 2);
    CHECK_STR(q.names[0], "a");
    CHECK_STR(q.names[1], "b");
    CHECK_STR(q.setting_sql, "SELECT NULLIF(current_setting('cellpipe.p_a'), '')::text[], "
                             "NULLIF(current_setting('cellpipe.p_b'), ''), "
                             "NULLIF(current_setting('cellpipe.p_a'), '') FROM t WHERE x = "
                             "NULLIF(current_setting('cellpipe.p_b'), '')");
    cp_pg_query_release(&q);
}

TEST(quotes_comments_and_casts_untouched)
{
    struct cp_pg_query q;
    struct cp_error err = {0};
    const char *text = "SELECT ':no', \"col:no\", x::int, $f1$ :no $f1$, $$:no$$ -- :no\n"
                       "/* :no /* nested :no */ :no */ , :yes";
    CHECK_INT(cp_pg_query_compile(&q, text, "t.sql", &err), 0);
    CHECK_STR(q.sql, "SELECT ':no', \"col:no\", x::int, $f1$ :no $f1$, $$:no$$ -- :no\n"
                     "/* :no /* nested :no */ :no */ , $1");
    CHECK_INT(q.n, 1);
    cp_pg_query_release(&q);
}

TEST(errors_name_the_line)
{
    struct cp_pg_query q;
    struct cp_error err = {0};
    CHECK_INT(cp_pg_query_compile(&q, "SELECT 1\nWHERE x = $1", "t.sql", &err), -CP_ECONFIG);
    CHECK(strstr(err.msg, "t.sql:2: positional parameter") != NULL);
    cp_error_clear(&err);
    CHECK_INT(cp_pg_query_compile(&q, "SELECT 'abc\n", "u.sql", &err), -CP_ECONFIG);
    CHECK_STR(err.msg, "u.sql:1: unterminated quote or comment");
}

TEST(array_literal_quotes_everything)
{
    char *v[] = {"a", "b\"c", "d\\e", "NULL", "{x,y}", "'; DROP TABLE cell; --"};
    char *s = cp_pg_array_literal(v, 6);
    CHECK_STR(s, "{\"a\",\"b\\\"c\",\"d\\\\e\",\"NULL\",\"{x,y}\",\"'; DROP TABLE cell; --\"}");
    cp_free(s);
    s = cp_pg_array_literal(NULL, 0);
    CHECK_STR(s, "{}");
    cp_free(s);
}

TEST(params_from_select)
{
    struct cp_config cfg;
    struct cp_error err = {0};
    const char *yaml = "name: t\nsource: {kind: postgres}\n"
                       "select:\n  design_name: [A, B]\n  where: {chemistry: [LFP]}\n";
    if (cp_config_load_buffer(&cfg, "p.yaml", yaml, strlen(yaml), &err) < 0) {
        T_REPORT(0, "config: %s", err.msg);
        return;
    }
    struct cp_pg_query q;
    CHECK_INT(cp_pg_query_compile(&q, "SELECT :design_name, :year, :where, :pipeline, :cell_ids",
                                  "t.sql", &err),
              0);
    struct cp_pg_params p;
    CHECK_INT(cp_pg_params_bind(&p, &q, &cfg, "{\"c1\"}", &err), 0);
    CHECK_STR(p.values[0], "{\"A\",\"B\"}");
    CHECK(p.values[1] == NULL);
    CHECK_STR(p.values[2], "{\"chemistry\":[\"LFP\"]}");
    CHECK_STR(p.values[3], "t");
    CHECK_STR(p.values[4], "{\"c1\"}");
    cp_pg_params_release(&p);
    cp_pg_query_release(&q);

    CHECK_INT(cp_pg_query_compile(&q, "SELECT :nope", "t.sql", &err), 0);
    CHECK_INT(cp_pg_params_bind(&p, &q, &cfg, NULL, &err), -CP_ECONFIG);
    CHECK(strstr(err.msg, "unknown parameter ':nope'") != NULL);
    cp_pg_query_release(&q);
    cp_config_release(&cfg);
}

TEST(embedded_files_match_the_tree)
{
    const char *names[][2] = {{"schema.sql", "deployment/schema.sql"},
                              {"cells.sql", "templates/queries/cells.sql"},
                              {"cycles.sql", "templates/queries/cycles.sql"}};
    for (size_t i = 0; i < 3; i++) {
        FILE *f = fopen(names[i][1], "rb");
        if (!f) {
            SKIP(names[i][1], "not run from the repository root");
            continue;
        }
        static char buf[1 << 16];
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        CHECK_STR(cp_pg_embedded(names[i][0]), buf);
    }
    CHECK(cp_pg_embedded("nope.sql") == NULL);
}

int main(void)
{
    RUN(names_become_positions);
    RUN(quotes_comments_and_casts_untouched);
    RUN(errors_name_the_line);
    RUN(array_literal_quotes_everything);
    RUN(params_from_select);
    RUN(embedded_files_match_the_tree);
    return DONE();
}
