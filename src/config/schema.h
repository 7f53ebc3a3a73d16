#ifndef CELLPIPE_CONFIG_SCHEMA_H
#define CELLPIPE_CONFIG_SCHEMA_H
/*
 * The pipeline schema as data (private to src/config): every key with its type, where it
 * lives in struct cp_config, its default (applied by parsing the default text through the
 * same code as a value from the file, so documentation and behaviour cannot drift) and its
 * meaning. cp_config_print_schema() renders this table as the documentation.
 */
#include <stddef.h>

enum cp_ftype {
    F_STR,     /* char * */
    F_BOOL,    /* int */
    F_LONG,    /* long */
    F_DOUBLE,  /* double; "" or "auto" = NaN, only where the default is "" */
    F_ENUM,    /* int, index into enums[] */
    F_STRLIST, /* struct cp_strlist */
    F_SECTION, /* nested mapping, fields in sub */
    F_LIST,    /* list of mappings: pointer at off, size_t count at off2, elem_size */
    F_FILTERS, /* mapping column -> list: struct cp_filter * at off, count at off2 */
    F_FLAGS,   /* list of names -> bits (int[] when elem_size, else unsigned bitmask) */
    F_LONGS    /* list of integers: long[] at off (capacity elem_size), size_t count at off2 */
};

struct cp_section;

struct cp_field {
    const char *key;
    enum cp_ftype type;
    size_t off;
    size_t off2;
    const char *const *enums; /* F_ENUM, F_FLAGS */
    const struct cp_section *sub;
    double lo, hi;   /* numeric range; lo > hi = unchecked */
    const char *def; /* default as text (NULL = none); lists: comma-separated */
    const char *doc;
};

struct cp_section {
    const char *name;
    const struct cp_field *fields;
    size_t elem_size; /* for list elements */
    size_t line_off;  /* offset of an `int line` in list elements, or (size_t)-1 */
};

extern const struct cp_section cp_schema_root;
extern const struct cp_section cp_schema_rule; /* validate.rules[] items */

#endif
