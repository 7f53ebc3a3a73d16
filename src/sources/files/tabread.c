/* The table-reading engine of the text cycler readers (contract in include/cellpipe/tabread.h). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/dataset.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/log.h"
#include "cellpipe/plausible.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/tabread.h"
#include "cellpipe/textread.h"
#include "cellpipe/timeutil.h"

#define MAX_FIELDS 512
#define KEY_MAX 96

static const char *const var_names[CP_V_COUNT] = {
    "cycle_index",
    "step_index",
    "test_time_s",
    "timestamp",
    "current_a",
    "voltage_v",
    "charge_capacity_ah",
    "discharge_capacity_ah",
    "charge_energy_wh",
    "discharge_energy_wh",
    "capacity_ah (by direction)",
    "energy_wh (by direction)",
    "state",
    "temperature_c",
    "internal_resistance_ohm",
};

struct cp_tabread {
    const struct cp_tabspec *spec;
    const char *path;
    struct cp_reader_out *out;
    struct cp_lines lr;
    char delim;
    int unwrap;
    int col[CP_V_COUNT];
    double scale[CP_V_COUNT];
    int need;              /* fields a data row must have */
    int nhead;             /* fields of the header (at most MAX_FIELDS) */
    unsigned best_missing; /* required variables missing from the best header candidate */
    long best_line;
    long cellrow;
    double day, last_clock, day_add;
    struct cp_ts *ts;
    char *own_id; /* cell id from the file name when the caller gives none */
    int64_t ctx_cycle, ctx_step;
    char ctx_state[32];
    int volt_settled;  /* the voltage column's unit is decided (first non-zero value) */
    int neg_current;   /* a negative current was seen: the file's current is signed */
    int test;          /* 1, then 2... for each restarted test in the file */
    long section_line; /* line before the current test's first line */
    char *test_id;     /* cell id of a restarted test (<id>_test<N>) */
    long held_line;    /* line of the point the series holds back (the last pushed) */
    int net_q;         /* the single capacity counter is a signed balance (ts.h net_ah) */
    int dir_known;     /* dir_text and dir_last hold the last state text and its direction */
    int dir_last;
    char dir_text[32];
    char *fields[MAX_FIELDS];
};

/* The canonical `year` of a cell follows its start date (select filters on it). */
static int set_year(struct cp_table *cells, long row, double t)
{
    int c = cp_table_find(cells, "year");
    if (c < 0 || cells->cols[c].type != CP_I64 || !cp_table_is_na(cells, c, (size_t)row))
        return 0;
    char date[32];
    cp_format_date((int64_t)floor(t), date, sizeof(date));
    cp_table_set_i64(cells, c, (size_t)row, strtoll(date, NULL, 10));
    return 0;
}

/* A canonical cells column may be typed (start_date time, nominal_capacity_ah f64, year i64):
 * convert the text, and leave the cell missing when it does not parse. */
static int set_typed(struct cp_table *cells, int c, long row, const char *value)
{
    double x;
    int time_only;
    char buf[64];
    snprintf(buf, sizeof(buf), "%s", value);
    switch (cells->cols[c].type) {
    case CP_F64:
        if (cp_parse_num(buf, &x) == 0)
            cp_table_set_f64(cells, c, (size_t)row, x);
        return 0;
    case CP_I64:
        if (cp_parse_num(buf, &x) == 0)
            cp_table_set_i64(cells, c, (size_t)row, (int64_t)llround(x));
        return 0;
    case CP_TIME:
        if (cp_parse_stamp(buf, &x, &time_only) == 0 && !time_only) {
            cp_table_set_i64(cells, c, (size_t)row, (int64_t)floor(x));
            return set_year(cells, row, x);
        }
        return 0;
    default:
        return cp_table_set_str(cells, c, (size_t)row, value);
    }
}

int cp_cells_set(struct cp_table *cells, long row, const char *col, const char *value)
{
    int c = cp_table_find(cells, col);
    if (c < 0)
        c = cp_table_add_column(cells, col, CP_STR);
    if (c < 0)
        return -1;
    return set_typed(cells, c, row, value);
}

char *cp_reader_cell_id(const char *path)
{
    static const char *const suffixes[] = {"_timeseries", "_cycle_data", "_Metadata",
                                           "_metadata",   "-raw",        "-summary"};
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    for (size_t k = 0; k < sizeof(suffixes) / sizeof(suffixes[0]); k++) {
        size_t m = strlen(suffixes[k]);
        if (n > m && strncmp(base + n - m, suffixes[k], m) == 0) {
            n -= m;
            break;
        }
    }
    return cp_strndup(base, n);
}

int cp_tabread_meta(struct cp_tabread *tr, const char *key, const char *value)
{
    if (!tr->out->cells || !value || !*value)
        return 0;
    return cp_cells_set(tr->out->cells, tr->cellrow, key, value);
}

void cp_tabread_set_day(struct cp_tabread *tr, double day)
{
    tr->day = day;
}

void cp_tabread_context(struct cp_tabread *tr, int64_t cycle, int64_t step, const char *state)
{
    if (cycle != CP_I64_NA)
        tr->ctx_cycle = cycle;
    if (step != CP_I64_NA)
        tr->ctx_step = step;
    if (state) {
        size_t n = strlen(state);
        if (n >= sizeof(tr->ctx_state))
            n = sizeof(tr->ctx_state) - 1;
        memcpy(tr->ctx_state, state, n);
        tr->ctx_state[n] = '\0';
    }
}

const char *cp_tabread_path(const struct cp_tabread *tr)
{
    return tr->path;
}

long cp_tabread_line(const struct cp_tabread *tr)
{
    return tr->lr.line;
}

int cp_reader_note_column(struct cp_reader_out *out, const char *column, const char *maps_to,
                          double factor)
{
    struct cp_table *t = out->columns;
    if (!t)
        return 0;
    int a = cp_table_add_column(t, "column", CP_STR);
    int b = cp_table_add_column(t, "maps_to", CP_STR);
    int c = cp_table_add_column(t, "factor", CP_F64);
    long row = cp_table_add_row(t);
    if (a < 0 || b < 0 || c < 0 || row < 0)
        return -1;
    if (cp_table_set_str(t, a, (size_t)row, column) < 0 ||
        cp_table_set_str(t, b, (size_t)row, maps_to) < 0)
        return -1;
    cp_table_set_f64(t, c, (size_t)row, factor);
    return 0;
}

/* Does the space-separated list `keys` hold `key`? */
static int has_key(const char *keys, const char *key)
{
    size_t n = strlen(key);
    for (const char *p = keys; *p;) {
        const char *e = strchr(p, ' ');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && memcmp(p, key, n) == 0)
            return 1;
        if (!e)
            break;
        p = e + 1;
    }
    return 0;
}

/* Strip the outer quotes of a line wrapped whole in them (Novonix). */
static char *unwrap_line(char *line, size_t *len)
{
    if (*len >= 2 && line[0] == '"' && line[*len - 1] == '"') {
        line[*len - 1] = '\0';
        *len -= 2;
        return line + 1;
    }
    return line;
}

/* Map field f by its key alone: the header's unit wins over the spec's default scale. */
static void map_field(struct cp_tabread *tr, int f, const char *key, const char *unit,
                      unsigned *mapped)
{
    for (const struct cp_colmap *m = tr->spec->map; m->keys; m++) {
        if (tr->col[m->var] >= 0 || !has_key(m->keys, key))
            continue;
        tr->col[m->var] = f;
        tr->scale[m->var] = unit[0] ? cp_unit_scale(unit) : m->scale;
        *mapped |= CP_BIT(m->var);
        return;
    }
}

/* Map field f by "key:unit" (a spec entry naming the unit, e.g. PEC's energy written as
 * "Charge Capacity (mWh)"): that entry's scale applies. 1 when mapped. */
static int map_with_unit(struct cp_tabread *tr, int f, const char *key, const char *unit,
                         unsigned *mapped)
{
    char both[2 * KEY_MAX + 2];
    if (!unit[0])
        return 0;
    snprintf(both, sizeof(both), "%s:%s", key, unit);
    for (const struct cp_colmap *m = tr->spec->map; m->keys; m++) {
        if (tr->col[m->var] >= 0 || !has_key(m->keys, both))
            continue;
        tr->col[m->var] = f;
        tr->scale[m->var] = m->scale;
        *mapped |= CP_BIT(m->var);
        return 1;
    }
    return 0;
}

/* Try `line` as the header: map every field; 1 when all required variables map. */
static int try_header(struct cp_tabread *tr, char *line)
{
    const struct cp_tabspec *spec = tr->spec;
    char key[KEY_MAX], unit[KEY_MAX];
    tr->delim = cp_guess_delim(line);
    int nf = cp_split(line, tr->delim, tr->fields, MAX_FIELDS);
    if (nf == 1 && strchr(tr->fields[0], ',')) { /* a header wrapped whole in quotes */
        tr->unwrap = 1;
        tr->delim = ',';
        nf = cp_split(tr->fields[0], ',', tr->fields, MAX_FIELDS);
    }
    if (nf > MAX_FIELDS)
        nf = MAX_FIELDS;
    tr->nhead = nf;
    for (int v = 0; v < CP_V_COUNT; v++)
        tr->col[v] = -1;
    unsigned mapped = 0;
    for (int f = 0; f < nf; f++) {
        cp_colkey(tr->fields[f], key, sizeof(key), unit, sizeof(unit));
        if (!map_with_unit(tr, f, key, unit, &mapped))
            map_field(tr, f, key, unit, &mapped);
    }
    unsigned missing = spec->required & ~mapped;
    if (missing) {
        int n = __builtin_popcount(missing);
        if (!tr->best_line || n < __builtin_popcount(tr->best_missing)) {
            tr->best_missing = missing;
            tr->best_line = tr->lr.line;
        }
        return 0;
    }
    tr->need = 0;
    for (int v = 0; v < CP_V_COUNT; v++) {
        if (tr->col[v] < 0)
            continue;
        if (tr->col[v] + 1 > tr->need)
            tr->need = tr->col[v] + 1;
        if (tr->test <= 1 &&
            cp_reader_note_column(tr->out, tr->fields[tr->col[v]], var_names[v], tr->scale[v]) < 0)
            return -1;
    }
    return 1;
}

const char *cp_header_duplicate(char *const *fields, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; fields[i][0] && k < i; k++)
            if (strcmp(fields[i], fields[k]) == 0)
                return fields[i];
    return NULL;
}

/* The header found: a column named twice would have its first one read, silently. */
static int check_header(struct cp_tabread *tr, struct cp_error *err)
{
    const char *dup = cp_header_duplicate(tr->fields, (size_t)tr->nhead);
    if (dup)
        return cp_error_set(err, CP_EDATA, "%s:%ld: duplicate column '%s'", tr->path, tr->lr.line,
                            dup);
    return 0;
}

static int find_header(struct cp_tabread *tr, struct cp_error *err)
{
    int max = tr->spec->header_max_lines ? tr->spec->header_max_lines : 200;
    char *line;
    size_t len;
    for (;;) {
        int rc = cp_lines_next(&tr->lr, &line, &len, err);
        if (rc < 0)
            return rc;
        if (rc == 0 && tr->lr.line == 0)
            return cp_error_set(err, CP_EDATA, "%s:1: empty file: expected a %s header", tr->path,
                                tr->spec->format);
        if (rc == 0 || tr->lr.line - tr->section_line > max)
            break;
        if (tr->lr.line == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
            line += 3;
            len -= 3;
        }
        if (memchr(line, '\0', len) != NULL && strlen(line) < len)
            return cp_error_set(err, CP_EDATA, "%s:%ld: binary data: expected a text export",
                                tr->path, tr->lr.line);
        if (tr->spec->preamble) {
            struct cp_strbuf copy = CP_STRBUF_INIT;
            if (cp_strbuf_add(&copy, line, len) < 0)
                return cp_error_oom(err);
            int prc = tr->spec->preamble(tr, copy.buf, err);
            cp_strbuf_release(&copy);
            if (prc < 0)
                return prc;
        }
        int hrc = try_header(tr, line);
        if (hrc < 0)
            return cp_error_oom(err);
        if (hrc)
            return check_header(tr, err);
    }
    struct cp_strbuf names = CP_STRBUF_INIT;
    for (int v = 0; v < CP_V_COUNT; v++)
        if (tr->best_missing & CP_BIT(v))
            cp_strbuf_addf(&names, "%s%s", names.len ? ", " : "", var_names[v]);
    int rc = cp_error_set(err, CP_EDATA,
                          "%s:%ld: no %s header with the needed columns: "
                          "missing %s",
                          tr->path, tr->best_line ? tr->best_line : 1, tr->spec->format,
                          names.len ? names.buf : "all of them");
    cp_strbuf_release(&names);
    return rc;
}

static int bad_value(struct cp_tabread *tr, int v, const char *text, struct cp_error *err)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        if (*p >= 0x80)
            return cp_error_set(err, CP_EDATA,
                                "%s:%ld: %s: expected a number, got byte 0x%02X "
                                "that is not ASCII (mixed encodings?)",
                                tr->path, tr->lr.line, var_names[v], *p);
    return cp_error_set(err, CP_EDATA, "%s:%ld: %s: expected a number, got '%.40s'", tr->path,
                        tr->lr.line, var_names[v], text);
}

/* Parse the numeric variable v of the row into *out (NaN when missing). */
static int num(struct cp_tabread *tr, int v, double *out, struct cp_error *err)
{
    *out = NAN;
    if (tr->col[v] < 0)
        return 0;
    char *s = tr->fields[tr->col[v]];
    double x;
    int rc = cp_parse_num(s, &x);
    if (rc < 0)
        return bad_value(tr, v, s, err);
    if (rc == 0)
        *out = x * tr->scale[v];
    return 0;
}

static int stamp_of(struct cp_tabread *tr, const char *s, double *out, struct cp_error *err)
{
    int time_only;
    if (cp_parse_stamp(s, out, &time_only) < 0)
        return cp_error_set(err, CP_EDATA, "%s:%ld: expected a date and time, got '%.40s'",
                            tr->path, tr->lr.line, s);
    if (time_only) { /* clock only: the date comes from the header, midnight rolls over */
        if (*out < tr->last_clock - 43200)
            tr->day_add += 86400;
        tr->last_clock = *out;
        *out += tr->day + tr->day_add;
    }
    return 0;
}

static int time_and_stamp(struct cp_tabread *tr, struct cp_ts_point *p, struct cp_error *err)
{
    if (tr->col[CP_V_TIME] >= 0) {
        char *s = tr->fields[tr->col[CP_V_TIME]];
        double x;
        int rc = cp_parse_num(s, &x);
        if (rc == 0)
            p->test_time_s = x * tr->scale[CP_V_TIME];
        else if (rc < 0 && cp_parse_duration(s, &x) == 0)
            p->test_time_s = x;
        else if (rc < 0 && stamp_of(tr, s, &p->stamp, err) < 0) /* BioLogic: a date in time/s */
            return -CP_EDATA;
    }
    if (tr->col[CP_V_STAMP] >= 0) {
        char *s = tr->fields[tr->col[CP_V_STAMP]];
        double x;
        int rc = cp_parse_num(s, &x);
        if (rc == 0)
            p->stamp = x;
        else if (rc < 0 && stamp_of(tr, s, &p->stamp, err) < 0)
            return -CP_EDATA;
    }
    return 0;
}

static int64_t to_index(double x)
{
    return isfinite(x) ? (int64_t)llround(x) : CP_I64_NA;
}

/* The spec's direction of a state text, remembered for the last text: rows repeat their step's
 * state, and matching it against the spec's names (Neware) cost more than comparing it. */
static int state_direction(struct cp_tabread *tr, const char *state)
{
    if (tr->dir_known && strcmp(state, tr->dir_text) == 0)
        return tr->dir_last;
    int dir = tr->spec->direction(state);
    size_t n = strlen(state);
    tr->dir_known = n < sizeof(tr->dir_text);
    if (tr->dir_known) {
        memcpy(tr->dir_text, state, n + 1);
        tr->dir_last = dir;
    }
    return dir;
}

/* Direction of the row: state text when the spec reads one, else the current's sign. */
static int direction_of(struct cp_tabread *tr, double current)
{
    int dir = 2;
    if (tr->spec->direction && tr->col[CP_V_STATE] >= 0)
        dir = state_direction(tr, tr->fields[tr->col[CP_V_STATE]]);
    else if (tr->spec->direction && tr->ctx_state[0])
        dir = state_direction(tr, tr->ctx_state);
    if (dir == 2 && !isnan(current))
        dir = current > 1e-9 ? 1 : current < -1e-9 ? -1 : 0;
    return dir;
}

/* Settle the voltage column's unit on its first non-zero value (millivolts in a column
 * declared or defaulted as volts are converted, with a note), then refuse voltages no cell
 * has: a wrong unit must not become a wrong number. */
static int check_voltage(struct cp_tabread *tr, double *v, struct cp_error *err)
{
    if (isnan(*v))
        return 0;
    if (!tr->volt_settled && *v != 0) {
        tr->volt_settled = 1;
        double f = cp_plausible_volt_factor(*v, tr->scale[CP_V_VOLTAGE]);
        if (f != 1) {
            cp_log(CP_LOG_WARN,
                   "note=unit_converted file=%s line=%ld column=voltage from=mV to=V first=%g",
                   tr->path, tr->lr.line, *v);
            tr->scale[CP_V_VOLTAGE] *= f;
            *v *= f;
            if (cp_plausible_note_column(tr->out, "voltage_v", f, "values in mV: converted to V") <
                0)
                return cp_error_oom(err);
        }
    }
    if (!cp_plausible_voltage(*v))
        return cp_error_set(err, CP_EDATA,
                            "%s:%ld: check voltage_range: voltage %g V, expected within -%g..%g "
                            "V (a column in another unit?)",
                            tr->path, tr->lr.line, *v, CP_PL_VOLT_MAX, CP_PL_VOLT_MAX);
    return 0;
}

static int row_to_point(struct cp_tabread *tr, struct cp_ts_point *p, struct cp_error *err)
{
    double x[CP_V_COUNT];
    static const int numeric[] = {CP_V_CYCLE, CP_V_STEP, CP_V_CURRENT, CP_V_VOLTAGE,
                                  CP_V_QC,    CP_V_QD,   CP_V_EC,      CP_V_ED,
                                  CP_V_Q,     CP_V_E,    CP_V_TEMP,    CP_V_IR};
    for (size_t k = 0; k < sizeof(numeric) / sizeof(numeric[0]); k++)
        if (num(tr, numeric[k], &x[numeric[k]], err) < 0)
            return -CP_EDATA;
    cp_ts_point_clear(p);
    if (time_and_stamp(tr, p, err) < 0)
        return -CP_EDATA;
    p->cycle = to_index(x[CP_V_CYCLE]);
    p->step = to_index(x[CP_V_STEP]);
    if (p->cycle == CP_I64_NA)
        p->cycle = tr->ctx_cycle;
    if (p->step == CP_I64_NA)
        p->step = tr->ctx_step;
    int dir = direction_of(tr, x[CP_V_CURRENT]);
    double i = x[CP_V_CURRENT];
    if (i < -1e-9)
        tr->neg_current = 1;
    /* a signed current (the file has shown a negative one) against its step type */
    if (tr->neg_current && ((dir == -1 && i > 1e-9) || (dir == 1 && i < -1e-9)))
        p->flags |= CP_TS_SIGN_CONFLICT;
    if ((dir == -1 && i > 0) || (dir == 1 && i < 0))
        i = -i; /* unsigned current, direction in the state column */
    p->current_a = i;
    if (check_voltage(tr, &x[CP_V_VOLTAGE], err) < 0)
        return -CP_EDATA;
    p->voltage_v = x[CP_V_VOLTAGE];
    /* counters are amounts: BioLogic writes discharge energy negative */
    p->charge_ah = fabs(x[CP_V_QC]);
    p->discharge_ah = fabs(x[CP_V_QD]);
    p->charge_wh = fabs(x[CP_V_EC]);
    p->discharge_wh = fabs(x[CP_V_ED]);
    /* one capacity counter gone negative is a signed balance, not per-step amounts */
    if (!isnan(x[CP_V_Q]) && (tr->net_q || x[CP_V_Q] < -1e-12)) {
        tr->net_q = 1;
        p->net_ah = x[CP_V_Q];
        p->flags |= CP_TS_NET;
        x[CP_V_Q] = NAN;
    }
    if (dir == 1 || dir == -1) {
        double *q = dir == 1 ? &p->charge_ah : &p->discharge_ah;
        double *e = dir == 1 ? &p->charge_wh : &p->discharge_wh;
        if (!isnan(x[CP_V_Q]))
            *q = fabs(x[CP_V_Q]);
        if (!isnan(x[CP_V_E]))
            *e = fabs(x[CP_V_E]);
    }
    p->temperature_c = x[CP_V_TEMP];
    p->resistance_ohm = x[CP_V_IR];
    return 0;
}

static int short_row(struct cp_tabread *tr, int nf, struct cp_error *err)
{
    if (!tr->lr.last_had_newline)
        return cp_error_set(err, CP_EDATA, "%s:%ld: truncated row: expected %d fields, got %d",
                            tr->path, tr->lr.line, tr->need, nf);
    return cp_error_set(err, CP_EDATA, "%s:%ld: expected %d fields, got %d", tr->path, tr->lr.line,
                        tr->need, nf);
}

static int tabread_start(struct cp_tabread *tr, struct cp_error *err);
static int find_header(struct cp_tabread *tr, struct cp_error *err);

/* "<id>_test<N>", the next test's cell id, into tr->test_id. */
static int next_test_id(struct cp_tabread *tr, struct cp_error *err)
{
    const char *base = tr->out->cell_id ? tr->out->cell_id : tr->own_id;
    struct cp_strbuf sb = CP_STRBUF_INIT;
    if (cp_strbuf_addf(&sb, "%s_test%d", base, ++tr->test) < 0)
        return cp_error_oom(err);
    cp_free(tr->test_id);
    tr->test_id = cp_strbuf_detach(&sb);
    return 0;
}

/* Finish the series so far and start the one of the test named tr->test_id (line: where it
 * starts; why: appended to the log's note). */
static int start_next_test(struct cp_tabread *tr, long line, const char *why, struct cp_error *err)
{
    int rc = cp_ts_finish(tr->ts, err);
    if (rc < 0)
        return rc;
    cp_ts_free(tr->ts);
    tr->ts = NULL;
    const char *base = tr->out->cell_id ? tr->out->cell_id : tr->own_id;
    cp_log(CP_LOG_INFO, "note=test_restarted file=%s line=%ld cell=%s%s", tr->path, line,
           tr->test_id, why);
    rc = tabread_start(tr, err);
    if (rc == 0 && cp_tabread_meta(tr, "restart_of", base) < 0)
        rc = cp_error_oom(err);
    return rc;
}

/* A new test starts inside the file (a crashed test restarted and appended, Novonix): finish
 * the series so far and read the rest as the cell's next test, "<id>_test<N>", with its own
 * header, metadata and cycle numbers (which start again). */
static int restart_test(struct cp_tabread *tr, struct cp_error *err)
{
    int rc = next_test_id(tr, err);
    if (rc == 0)
        rc = start_next_test(tr, tr->lr.line, "", err);
    if (rc < 0)
        return rc;
    tr->section_line = tr->lr.line - 1;
    tr->volt_settled = 0;
    tr->net_q = 0;
    return find_header(tr, err);
}

/* The metadata of cells row `from` that row `to` lacks, copied (not the cell id). 0 or -1. */
static int copy_meta(struct cp_table *cells, long from, long to)
{
    for (size_t c = 0; c < cells->ncols; c++) {
        const struct cp_column *col = &cells->cols[c];
        if (strcmp(col->name, "cell_id") == 0 || cp_table_is_na(cells, (int)c, (size_t)from) ||
            !cp_table_is_na(cells, (int)c, (size_t)to))
            continue;
        if (col->type == CP_F64)
            cp_table_set_f64(cells, (int)c, (size_t)to, col->v.f64[from]);
        else if (col->type != CP_STR)
            cp_table_set_i64(cells, (int)c, (size_t)to, col->v.i64[from]);
        else if (cp_table_set_str(cells, (int)c, (size_t)to, col->v.str[from]) < 0)
            return -1;
    }
    return 0;
}

/* The test clock went back by more than CP_TS_SPLIT_TOL_S and stayed back (a test restarted
 * on the channel and appended to the same section): the rows from the held-back point on are
 * the next test, "<id>_test<N>", with the section's metadata and header. p: the point that
 * cp_ts_push did not take. */
static int split_test(struct cp_tabread *tr, const struct cp_ts_point *p, struct cp_error *err)
{
    struct cp_ts_point first;
    cp_ts_unhold(tr->ts, &first);
    int rc = next_test_id(tr, err);
    if (rc == 0 && tr->out->cells) {
        /* copied before the old series finishes: its per-cell features are its own */
        long row = cp_dataset_cell_row(tr->out->cells, tr->test_id);
        if (row < 0 || copy_meta(tr->out->cells, tr->cellrow, row) < 0)
            rc = cp_error_oom(err);
    }
    if (rc == 0)
        rc = start_next_test(tr, tr->held_line, " reason=test_time_backwards", err);
    if (rc == 0)
        rc = cp_ts_push(tr->ts, &first, err);
    return rc == 0 ? cp_ts_push(tr->ts, p, err) : rc;
}

static int read_rows(struct cp_tabread *tr, struct cp_error *err)
{
    char *line;
    size_t len;
    struct cp_ts_point p;
    for (;;) {
        int rc = cp_lines_next(&tr->lr, &line, &len, err);
        if (rc <= 0)
            return rc;
        if (tr->unwrap)
            line = unwrap_line(line, &len);
        if (len == 0)
            continue;
        if (tr->spec->restart && tr->spec->restart(line)) {
            rc = restart_test(tr, err);
            if (rc < 0)
                return rc;
            continue;
        }
        int nf = cp_split(line, tr->delim, tr->fields, MAX_FIELDS);
        if (tr->spec->classify) {
            rc = tr->spec->classify(tr, tr->fields, nf, err);
            if (rc < 0)
                return rc;
            if (rc == 1)
                continue;
        }
        if (nf < tr->need)
            return short_row(tr, nf, err);
        rc = row_to_point(tr, &p, err);
        if (rc == 0 && tr->spec->fixup)
            rc = tr->spec->fixup(tr, tr->fields, nf, &p, err);
        if (rc < 0)
            return rc;
        if (rc == 1)
            continue;
        tr->out->rows_read++;
        rc = cp_ts_push(tr->ts, &p, err);
        if (rc == CP_TS_SPLIT)
            rc = split_test(tr, &p, err);
        if (rc < 0)
            return rc;
        tr->held_line = tr->lr.line;
    }
}

/* 1 when the per-cycle file named by `swap` is in the same load, 0 when not, -1 out of
 * memory. */
static int has_summary_sibling(const char *path, const char *const swap[2],
                               const struct cp_reader_out *out)
{
    if (!swap[0] || !out->batch)
        return 0;
    const char *base = strrchr(path, '/');
    const char *at = strstr(base ? base : path, swap[0]);
    if (!at)
        return 0;
    struct cp_strbuf sb = CP_STRBUF_INIT;
    int rc = -1;
    if (cp_strbuf_add(&sb, path, (size_t)(at - path)) == 0 && cp_strbuf_adds(&sb, swap[1]) == 0 &&
        cp_strbuf_adds(&sb, at + strlen(swap[0])) == 0)
        for (size_t i = rc = 0; i < out->nbatch && !rc; i++)
            rc = strcmp(out->batch[i], sb.buf) == 0;
    cp_strbuf_release(&sb);
    return rc;
}

static int tabread_start(struct cp_tabread *tr, struct cp_error *err)
{
    const char *id = tr->test_id ? tr->test_id : tr->out->cell_id ? tr->out->cell_id : tr->own_id;
    if (tr->out->cells) {
        tr->cellrow = cp_dataset_cell_row(tr->out->cells, id);
        if (tr->cellrow < 0 || cp_tabread_meta(tr, "tester", tr->spec->format) < 0)
            return cp_error_oom(err);
    }
    tr->ts = cp_ts_new(id, tr->out, NULL);
    if (!tr->ts)
        return cp_error_oom(err);
    cp_ts_set_counting(tr->ts, tr->spec->counting);
    cp_ts_set_split(tr->ts, CP_TS_SPLIT_TOL_S);
    int has = has_summary_sibling(tr->path, tr->spec->summary_sibling, tr->out);
    if (has < 0)
        return cp_error_oom(err);
    cp_ts_set_emit(tr->ts, !has);
    return 0;
}

int cp_tabread_run(const struct cp_tabspec *spec, const char *path, struct cp_reader_out *out,
                   struct cp_error *err)
{
    struct cp_tabread *tr = cp_calloc(1, sizeof(*tr));
    if (!tr)
        return cp_error_oom(err);
    tr->spec = spec;
    tr->path = path;
    tr->out = out;
    tr->lr.fd = -1;
    tr->ctx_cycle = tr->ctx_step = CP_I64_NA;
    tr->test = 1;
    tr->own_id = cp_reader_cell_id(path);
    if (!tr->own_id) {
        cp_free(tr);
        return cp_error_oom(err);
    }
    int rc = cp_lines_open(&tr->lr, path, err);
    if (rc < 0)
        goto cleanup;
    rc = tabread_start(tr, err);
    if (rc < 0)
        goto cleanup;
    rc = find_header(tr, err);
    if (rc < 0)
        goto cleanup;
    rc = read_rows(tr, err);
    if (rc < 0)
        goto cleanup;
    rc = cp_ts_finish(tr->ts, err);
cleanup:
    if (rc == 0 && tr->ts && cp_ts_summed_cycles(tr->ts) > 0 &&
        (cp_plausible_note_column(out, "charge_capacity_ah", 1,
                                  "resets per step: summed per cycle") < 0 ||
         cp_plausible_note_column(out, "discharge_capacity_ah", 1,
                                  "resets per step: summed per cycle") < 0))
        rc = cp_error_oom(err);
    cp_ts_free(tr->ts);
    cp_lines_close(&tr->lr);
    cp_free(tr->test_id);
    cp_free(tr->own_id);
    cp_free(tr);
    return rc;
}
