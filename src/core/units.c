/* Units of the canonical per-cycle columns: see include/cellpipe/units.h. */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "cellpipe/units.h"

struct unit {
    const char *name;
    double factor;
};

struct dimension {
    const char *suffix; /* of the canonical column name */
    const char *accepted;
    struct unit units[5];
};

/* The canonical unit first. */
static const struct dimension dims[] = {
    {"_ah", "Ah, mAh", {{"Ah", 1}, {"mAh", 1e-3}, {NULL, 0}}},
    {"_wh", "Wh, mWh, kWh", {{"Wh", 1}, {"mWh", 1e-3}, {"kWh", 1e3}, {NULL, 0}}},
    {"_s", "s, min, h", {{"s", 1}, {"min", 60}, {"h", 3600}, {NULL, 0}}},
    {"_c", "degC", {{"degC", 1}, {"C", 1}, {NULL, 0}}},
    {"_ohm", "ohm, mohm", {{"ohm", 1}, {"mohm", 1e-3}, {NULL, 0}}},
};

static const struct dimension volts = {"", "V, mV", {{"V", 1}, {"mV", 1e-3}, {NULL, 0}}};
static const struct dimension amps = {"", "A, mA", {{"A", 1}, {"mA", 1e-3}, {NULL, 0}}};

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n > m && strcmp(s + n - m, suffix) == 0;
}

static const struct dimension *dimension_of(const char *column)
{
    if (strncmp(column, "v_", 2) == 0)
        return &volts;
    if (strncmp(column, "i_", 2) == 0)
        return &amps;
    for (size_t i = 0; i < sizeof(dims) / sizeof(dims[0]); i++)
        if (ends_with(column, dims[i].suffix))
            return &dims[i];
    return NULL;
}

int cp_units_factor(const char *column, const char *unit, double *factor)
{
    *factor = 1;
    if (!unit || !*unit)
        return 0;
    const struct dimension *d = dimension_of(column);
    for (const struct unit *u = d ? d->units : NULL; u && u->name; u++)
        if (strcasecmp(u->name, unit) == 0) {
            *factor = u->factor;
            return 0;
        }
    return -1;
}

const char *cp_units_accepted(const char *column)
{
    const struct dimension *d = dimension_of(column);
    return d ? d->accepted : "";
}
