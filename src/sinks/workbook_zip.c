/*
 * The deflate level of workbook.xlsx (workbook.compression).
 *
 * libxlsxwriter 1.1.4 zips the package through minizip at zlib's default level (6) and has no
 * option for it; deflate is then more than half of the workbook's time (docs/workbook.md,
 * "Memory and speed"). cellpipe defines minizip's zipOpenNewFileInZip4_64 itself: the dynamic
 * linker binds libxlsxwriter's call to the executable's definition first (ELF symbol
 * interposition), and this one forwards to minizip's own (dlsym RTLD_NEXT) with the level the
 * calling thread set. Nothing else in cellpipe writes through minizip, and a thread that set no
 * level passes the library's own through, so every other caller is unchanged.
 */
#define _GNU_SOURCE /* RTLD_NEXT */
#include <dlfcn.h>
#include <minizip/zip.h>

#include "workbook_internal.h"

typedef int (*open_fn)(zipFile, const char *, const zip_fileinfo *, const void *, uInt,
                       const void *, uInt, const char *, int, int, int, int, int, int, const char *,
                       uLong, uLong, uLong, int);

static _Thread_local int zip_level; /* 0: the caller's own */

void wb_zip_set_level(int level)
{
    zip_level = level >= 1 && level <= 9 ? level : 0;
}

int zipOpenNewFileInZip4_64(zipFile file, const char *filename, const zip_fileinfo *zipfi,
                            const void *extrafield_local, uInt size_extrafield_local,
                            const void *extrafield_global, uInt size_extrafield_global,
                            const char *comment, int method, int level, int raw, int windowBits,
                            int memLevel, int strategy, const char *password, uLong crcForCrypting,
                            uLong versionMadeBy, uLong flagBase, int zip64)
{
    static open_fn next; /* the same pointer from every thread: a benign race */
    if (!next)
        *(void **)&next = dlsym(RTLD_NEXT, "zipOpenNewFileInZip4_64");
    if (!next)
        return ZIP_INTERNALERROR;
    if (zip_level && method == Z_DEFLATED)
        level = zip_level;
    return next(file, filename, zipfi, extrafield_local, size_extrafield_local, extrafield_global,
                size_extrafield_global, comment, method, level, raw, windowBits, memLevel, strategy,
                password, crcForCrypting, versionMadeBy, flagBase, zip64);
}
