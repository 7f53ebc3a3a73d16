#ifndef CELLPIPE_TEMPLATE_H
#define CELLPIPE_TEMPLATE_H
/*
 * Text templates for mail bodies (templates/email/): `{{name}}` is replaced by the value of
 * variable `name`, HTML-escaped when the template is HTML; `{{{name}}}` inserts the value as
 * it is (for blocks the caller already rendered and escaped). Nothing else is special, so a
 * template is plain text or plain HTML that any editor previews.
 *
 * Errors: CP_ECONFIG "template 'x': unknown placeholder '{{foo}}'" (a typo must not mail
 * a literal "{{foo}}"), CP_ENOINPUT when no template folder holds the file.
 */
#include <stddef.h>

struct cp_config;
struct cp_error;
struct cp_strbuf;

struct cp_template_var {
    const char *name;
    const char *value; /* NULL is rendered as "" */
};

/*
 * Render `tmpl` (named `name` in messages) into out. html: escape {{x}} values for HTML.
 * 0 or negative code.
 */
int cp_template_render(const char *name, const char *tmpl, const struct cp_template_var *vars,
                       size_t nvars, int html, struct cp_strbuf *out, struct cp_error *err);

/* Append s to out with &, <, >, " and ' escaped for HTML text and attributes. 0 or -1. */
int cp_html_escape(struct cp_strbuf *out, const char *s);

/*
 * Read template `rel` (e.g. "email/body.txt") from the first folder that has it:
 * $CELLPIPE_TEMPLATES, ./templates, <pipeline folder>/templates, <binary>/../templates,
 * <binary>/../share/cellpipe/templates, /usr/local/share/cellpipe/templates,
 * /usr/share/cellpipe/templates. *out is cp_free'd by the caller. 0 or negative code.
 */
int cp_template_load(const struct cp_config *cfg, const char *rel, char **out,
                     struct cp_error *err);

#endif
