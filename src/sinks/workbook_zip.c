/*
 * The deflate of workbook.xlsx: its level (workbook.compression) and its threads.
 *
 * libxlsxwriter 1.1.4 zips the package through minizip at zlib's default level (6), on the
 * thread that closes the workbook, and has no option for either; deflate is then more than half
 * of the workbook's time (docs/workbook.md, "Memory and speed"). cellpipe defines minizip's
 * zipOpenNewFileInZip4_64, zipWriteInFileInZip and zipCloseFileInZip itself: the dynamic linker
 * binds libxlsxwriter's calls to the executable's definitions first (ELF symbol
 * interposition), and these forward to minizip's own (dlsym RTLD_NEXT). On a thread that set a
 * level, each deflated entry is opened raw (minizip stores the bytes given, and records the
 * level in the entry's flags), deflated by workbook_deflate.c on that many threads, and closed
 * with its size and CRC-32 (zipCloseFileInZipRaw64). Nothing else in cellpipe writes through
 * minizip, and a thread that set no level passes everything through, so every other caller is
 * unchanged.
 */
#define _GNU_SOURCE /* RTLD_NEXT */
#include <dlfcn.h>
#include <minizip/zip.h>

#include "workbook_internal.h"

typedef int (*open_fn)(zipFile, const char *, const zip_fileinfo *, const void *, uInt,
                       const void *, uInt, const char *, int, int, int, int, int, int, const char *,
                       uLong, uLong, uLong, int);
typedef int (*write_fn)(zipFile, const void *, unsigned);
typedef int (*close_fn)(zipFile);
typedef int (*close_raw_fn)(zipFile, ZPOS64_T, uLong);

static _Thread_local int zip_level;   /* 0: the caller's own */
static _Thread_local int zip_workers; /* threads besides this one for each entry */
/* The entry this thread is deflating itself (opened raw), if any */
static _Thread_local struct wb_deflate *entry;
static _Thread_local zipFile entry_file;

void wb_zip_set_level(int level, int workers)
{
    zip_level = level >= 1 && level <= 9 ? level : 0;
    zip_workers = workers > 0 ? workers : 0;
}

/* minizip's own function of that name: the next definition after this executable's. The same
 * pointer from every thread, so the race to store it is benign. */
static void *next_fn(void **slot, const char *name)
{
    if (!*slot)
        *slot = dlsym(RTLD_NEXT, name);
    return *slot;
}

static int write_next(zipFile file, const void *buf, unsigned len)
{
    static void *fn;
    write_fn w;
    *(void **)&w = next_fn(&fn, "zipWriteInFileInZip");
    return w ? w(file, buf, len) : ZIP_INTERNALERROR;
}

static int emit_raw(void *file, const void *buf, size_t len)
{
    return write_next((zipFile)file, buf, (unsigned)len) == ZIP_OK ? 0 : -1;
}

int zipOpenNewFileInZip4_64(zipFile file, const char *filename, const zip_fileinfo *zipfi,
                            const void *extrafield_local, uInt size_extrafield_local,
                            const void *extrafield_global, uInt size_extrafield_global,
                            const char *comment, int method, int level, int raw, int windowBits,
                            int memLevel, int strategy, const char *password, uLong crcForCrypting,
                            uLong versionMadeBy, uLong flagBase, int zip64)
{
    static void *fn;
    open_fn next;
    *(void **)&next = next_fn(&fn, "zipOpenNewFileInZip4_64");
    if (!next)
        return ZIP_INTERNALERROR;
    struct wb_deflate *d = NULL;
    if (zip_level && method == Z_DEFLATED && !raw && !password && !entry) {
        level = zip_level;
        d = wb_deflate_open(level, zip_workers, emit_raw, file);
    }
    /* with d, minizip stores what this file deflates (raw) but still records the level */
    int rc = next(file, filename, zipfi, extrafield_local, size_extrafield_local, extrafield_global,
                  size_extrafield_global, comment, method, level, d ? 1 : raw, windowBits, memLevel,
                  strategy, password, crcForCrypting, versionMadeBy, flagBase, zip64);
    if (rc == ZIP_OK && d) {
        entry = d;
        entry_file = file;
    } else {
        wb_deflate_free(d);
    }
    return rc;
}

int zipWriteInFileInZip(zipFile file, const void *buf, unsigned len)
{
    if (entry && file == entry_file)
        return wb_deflate_write(entry, buf, len) == 0 ? ZIP_OK : ZIP_ERRNO;
    return write_next(file, buf, len);
}

int zipCloseFileInZip(zipFile file)
{
    static void *close_fn_ptr, *raw_fn_ptr;
    if (entry && file == entry_file) {
        uint64_t total = 0;
        uint32_t crc = 0;
        int failed = wb_deflate_finish(entry, &total, &crc) != 0;
        wb_deflate_free(entry);
        entry = NULL;
        entry_file = NULL;
        close_raw_fn close_raw;
        *(void **)&close_raw = next_fn(&raw_fn_ptr, "zipCloseFileInZipRaw64");
        if (!close_raw)
            return ZIP_INTERNALERROR;
        int rc = close_raw(file, total, crc);
        return failed ? ZIP_INTERNALERROR : rc;
    }
    close_fn next;
    *(void **)&next = next_fn(&close_fn_ptr, "zipCloseFileInZip");
    return next ? next(file) : ZIP_INTERNALERROR;
}
