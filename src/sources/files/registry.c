/* The cycler readers (see include/cellpipe/reader.h): one line each, and format detection. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cellpipe/error.h"
#include "cellpipe/reader.h"

extern const struct cp_reader_ops cp_reader_batteryarchive;
extern const struct cp_reader_ops cp_reader_arbin;
extern const struct cp_reader_ops cp_reader_maccor;
extern const struct cp_reader_ops cp_reader_biologic;
extern const struct cp_reader_ops cp_reader_novonix;
extern const struct cp_reader_ops cp_reader_neware;
extern const struct cp_reader_ops cp_reader_nda;
extern const struct cp_reader_ops cp_reader_ndax;
extern const struct cp_reader_ops cp_reader_batteryarchive_ts;
extern const struct cp_reader_ops cp_reader_batterydatahub;
extern const struct cp_reader_ops cp_reader_bdf;
extern const struct cp_reader_ops cp_reader_tidy;
extern const struct cp_reader_ops cp_reader_pec;
extern const struct cp_reader_ops cp_reader_landt;
extern const struct cp_reader_ops cp_reader_basytec;
extern const struct cp_reader_ops cp_reader_mpr;
extern const struct cp_reader_ops cp_reader_eis;
extern const struct cp_reader_ops cp_reader_arbin_res;

const struct cp_reader_ops *const cp_readers[] = {
    &cp_reader_batteryarchive,
    &cp_reader_arbin,             /* Arbin CSV */
    &cp_reader_maccor,            /* Maccor text/CSV */
    &cp_reader_biologic,          /* BioLogic .mpt/CSV */
    &cp_reader_novonix,           /* Novonix HPC/UHPC */
    &cp_reader_neware,            /* Neware BTS CSV */
    &cp_reader_nda,               /* Neware .nda */
    &cp_reader_ndax,              /* Neware .ndax */
    &cp_reader_batteryarchive_ts, /* Battery Archive time series */
    &cp_reader_batterydatahub,    /* DOE Battery Data Hub */
    &cp_reader_bdf,               /* Battery Data Format CSV */
    &cp_reader_tidy,              /* tidy per-cycle CSV, canonical names */
    &cp_reader_pec,               /* PEC (SBT) CSV */
    &cp_reader_landt,             /* Landt/Lanhe record tables */
    &cp_reader_basytec,           /* BaSyTec result text */
    &cp_reader_mpr,               /* BioLogic .mpr binaries */
    &cp_reader_eis,               /* impedance exports, refused */
    &cp_reader_arbin_res,         /* Arbin .res (MS Access) */
    NULL,
};

const struct cp_reader_ops *cp_reader_find(const char *name)
{
    for (size_t i = 0; cp_readers[i]; i++)
        if (strcmp(cp_readers[i]->name, name) == 0)
            return cp_readers[i];
    return NULL;
}

/* The line (from 1) holding p, for messages about damage inside the head. */
static long line_of(const char *head, const char *p)
{
    long line = 1;
    for (const char *c = head; c < p; c++)
        line += *c == '\n';
    return line;
}

/* A text file cut off inside its first line: the whole file was read and holds no line end. */
static int truncated_header(const char *head, size_t len, size_t cap)
{
    return len < cap && !memchr(head, '\n', len) && !memchr(head, '\r', len);
}

const struct cp_reader_ops *cp_reader_identify(const char *path, int *foreign, struct cp_error *err)
{
    static char head[65536]; /* detection is single-threaded (source stage) */
    *foreign = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return cp_error_set(err, errno == ENOENT ? CP_ENOINPUT : CP_EDATA, "cannot open '%s': %s",
                            path, strerror(errno)),
               NULL;
    size_t len = fread(head, 1, sizeof(head) - 1, f);
    fclose(f);
    head[len] = '\0';
    if (len == 0)
        return cp_error_set(err, CP_EDATA, "%s:1: empty file (expected a cycler export)", path),
               NULL;
    const char *nul = memchr(head, '\0', len);
    const struct cp_reader_ops *best = NULL;
    int best_score = 0;
    for (size_t i = 0; cp_readers[i]; i++) {
        if (nul && !(cp_readers[i]->flags & CP_READER_BINARY))
            continue;
        int s = cp_readers[i]->sniff(path, head, len);
        if (s > best_score) {
            best_score = s;
            best = cp_readers[i];
        }
    }
    if (best)
        return best;
    if (nul)
        return cp_error_set(err, CP_EDATA,
                            "%s:%ld: binary file (expected a cycler export: text, or a binary "
                            "format listed by 'cellpipe inspect --formats')",
                            path, line_of(head, nul)),
               NULL;
    if (truncated_header(head, len, sizeof(head) - 1))
        return cp_error_set(err, CP_EDATA,
                            "%s:1: truncated header line (expected a header ending in a line "
                            "break)",
                            path),
               NULL;
    *foreign = 1;
    cp_error_set(err, CP_EDATA,
                 "%s:1: unknown file format (expected one of the cycler "
                 "exports listed by 'cellpipe inspect --formats')",
                 path);
    return NULL;
}

const struct cp_reader_ops *cp_reader_detect(const char *path, struct cp_error *err)
{
    int foreign;
    return cp_reader_identify(path, &foreign, err);
}
