/*
 * Impedance (EIS) exports that sit beside cycling data: Gamry `.DTA` files of an EIS technique
 * (TAG EISPOT / EISGALV, or a ZCURVE table) and BioLogic EC-Lab/BT-Lab `.mpt` exports of
 * PEIS/GEIS (a freq/Hz column). They hold a spectrum, not cycles, so they are recognised and
 * refused with one message (as the Maccor EIS export is, in maccor.c) instead of being taken
 * for a broken cycling export. The BioLogic impedance `.mpr` is refused in mpr.c.
 */
#include <stdio.h>
#include <string.h>

#include "cellpipe/error.h"
#include "cellpipe/reader.h"
#include "cellpipe/textread.h"

enum { HEAD = 65536 };

/* The first line (from 1) of head holding needle (case-sensitive), or 0. */
static long line_with(const char *head, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    long line = 1;
    for (size_t i = 0; i + n <= len; i++) {
        if (memcmp(head + i, needle, n) == 0)
            return line;
        line += head[i] == '\n';
    }
    return 0;
}

static const char *const gamry_tags[] = {"TAG\tEISPOT", "TAG\tEISGALV", "ZCURVE\tTABLE", NULL};
static const char *const biologic_marks[] = {"\tfreq/Hz", "freq/Hz\t",
                                             "Electrochemical Impedance Spectroscopy", NULL};

/* Which kind of impedance export head is (NULL: none) and the line that says so. */
static const char *eis_kind(const char *head, size_t len, long *line)
{
    const char *const *marks = NULL;
    const char *kind = NULL;
    if (cp_head_starts(head, len, "EXPLAIN")) {
        marks = gamry_tags;
        kind = "Gamry EIS export (.DTA)";
    } else if (cp_head_starts(head, len, "EC-Lab ASCII FILE") ||
               cp_head_starts(head, len, "BT-Lab ASCII FILE")) {
        marks = biologic_marks;
        kind = "BioLogic impedance (PEIS/GEIS) export (.mpt)";
    }
    for (size_t k = 0; marks && marks[k]; k++)
        if ((*line = line_with(head, len, marks[k])) > 0)
            return kind;
    return NULL;
}

static int eis_sniff(const char *path, const char *head, size_t len)
{
    (void)path;
    long line;
    return eis_kind(head, len, &line) ? 98 : 0; /* above the cycling readers of the vendor */
}

static int eis_read(const char *path, struct cp_reader_out *out, struct cp_error *err)
{
    (void)out;
    static char head[HEAD]; /* readers run one at a time (source stage) */
    long n = cp_read_head(path, head, sizeof(head));
    if (n < 0)
        return cp_error_set(err, CP_ENOINPUT, "cannot open '%s'", path);
    long line = 1;
    const char *kind = eis_kind(head, (size_t)n, &line);
    return cp_error_set(err, CP_EDATA,
                        "%s:%ld: %s holds no cycling data (impedance data, no cycling): expected "
                        "a cycling export with time, current and voltage",
                        path, line, kind ? kind : "impedance export");
}

const struct cp_reader_ops cp_reader_eis = {
    .name = "eis",
    .description = "impedance (EIS) exports, recognised and refused: Gamry .DTA, BioLogic PEIS "
                   ".mpt",
    .sniff = eis_sniff,
    .read = eis_read,
};
