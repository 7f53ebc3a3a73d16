/*
 * cellpipe convert FILE... --to bdf [--out DIR] [--format NAME]
 * Rewrites cycler exports as Battery Data Format time series: FILE becomes DIR/<stem>.bdf.csv
 * (include/cellpipe/bdf.h), from any reader of raw time series. Every file is converted even
 * when one fails; the exit code is the first failure's: 64 usage (also two inputs that would
 * write the same output), 65 data (including a per-cycle-only file, which has no time series),
 * 66 missing input, 73 cannot write.
 */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "cellpipe/alloc.h"
#include "cellpipe/bdf.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/reader.h"
#include "cli.h"

#define USAGE "convert FILE... --to bdf [--out DIR] [--format NAME]"

/* Two inputs with one output name would overwrite each other: refused before any write. */
static int check_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < i; k++)
            if (strcmp(names[i], names[k]) == 0) {
                fprintf(stderr, "cellpipe convert: two inputs would both write '%s'\n", names[i]);
                return CP_EUSAGE;
            }
    return 0;
}

static int convert_one(const char *path, const char *format, const char *dir, const char *name)
{
    struct cp_error err = {0};
    const struct cp_reader_ops *ops = format ? cp_reader_find(format) : NULL;
    if (format && !ops) {
        cp_error_set(&err, CP_EUSAGE, "unknown format '%s'", format);
        return cp_cli_fail(&err, -CP_EUSAGE);
    }
    char *out = cp_path_join(dir, name);
    if (!out)
        return cp_cli_fail(&err, cp_error_oom(&err));
    long long points = 0;
    int rc = cp_bdf_convert(path, ops, out, &points, NULL, &err);
    if (rc == 0)
        printf("%s -> %s (%lld points)\n", path, out, points);
    cp_free(out);
    return rc < 0 ? cp_cli_fail(&err, rc) : 0;
}

static int convert_files(char **files, size_t n, const char *format, const char *dir)
{
    char *names[64];
    int first = 0;
    for (size_t i = 0; i < n; i++)
        if (!(names[i] = cp_bdf_output_name(files[i]))) {
            for (size_t k = 0; k < i; k++)
                cp_free(names[k]);
            return CP_EINTERNAL;
        }
    first = check_names(names, n);
    if (first == 0 && cp_fs_mkdirs(dir) < 0) {
        perror(dir);
        first = CP_ECANTCREAT;
    }
    for (size_t i = 0; first != CP_EUSAGE && first != CP_ECANTCREAT && i < n; i++) {
        int rc = convert_one(files[i], format, dir, names[i]);
        if (rc && !first)
            first = rc;
    }
    for (size_t i = 0; i < n; i++)
        cp_free(names[i]);
    return first;
}

static int convert_main(int argc, char **argv)
{
    const char *to = NULL, *dir = ".", *format = NULL;
    struct cp_args a;
    for (int i = 1; i < argc; i++) /* -o DIR, as the issue spells it */
        if (strcmp(argv[i], "-o") == 0)
            argv[i] = "--out";
    cp_args_init(&a, argc, argv);
    while (cp_args_next(&a)) {
        if (cp_args_is(&a, "--to"))
            to = cp_args_value(&a);
        else if (cp_args_is(&a, "--out"))
            dir = cp_args_value(&a);
        else if (cp_args_is(&a, "--format"))
            format = cp_args_value(&a);
    }
    if (!cp_args_ok(&a, "cellpipe " USAGE))
        return CP_EUSAGE;
    if (!to || strcmp(to, "bdf") != 0 || a.npos == 0 || !dir) {
        fprintf(stderr, "usage: cellpipe %s\n", USAGE);
        if (to && strcmp(to, "bdf") != 0)
            fprintf(stderr, "cellpipe convert: unknown target format '%s' (expected bdf)\n", to);
        return CP_EUSAGE;
    }
    return convert_files(a.pos, a.npos, format, dir);
}

const struct cp_command cp_cmd_convert = {
    .name = "convert",
    .usage = USAGE,
    .options = "  --to bdf        Battery Data Format CSV time series (<stem>.bdf.csv)\n"
               "  --out DIR, -o   folder of the written files (default: the current one)\n"
               "  --format NAME   reader to use instead of content sniffing\n",
    .run = convert_main,
};
