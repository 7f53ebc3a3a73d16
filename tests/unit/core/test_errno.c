/*
 * Out of memory told apart from I/O errors where a cause travels in errno: cp_fs_read_file,
 * cp_table_write_csv and cp_error_errno. A failed cp_malloc sets no errno, so a message built
 * from whatever errno held before ("Inappropriate ioctl for device" left by fopen, ERANGE
 * left by strtod) once named the wrong cause and exited 73 or 78 instead of 70.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/table.h"
#include "harness.h"

static char dir[] = "/tmp/cp-test-errno-XXXXXX";

TEST(read_file_reports_enomem)
{
    char *path = cp_path_join(dir, "f.txt");
    CHECK(cp_fs_write_atomic(path, "abc", 3) == 0);
    char *text = NULL;
    size_t len = 0;
    cp_alloc_fail_at(1);
    errno = ENOTTY; /* what fopen() leaves behind on a regular file */
    int rc = cp_fs_read_file(path, &text, &len);
    int e = errno;
    cp_alloc_fail_at(0);
    CHECK_INT(rc, -1);
    CHECK_INT(e, ENOMEM);
    /* an empty file reads as "", which is an allocation too */
    CHECK(cp_fs_write_atomic(path, "", 0) == 0);
    cp_alloc_fail_at(1);
    errno = ERANGE;
    rc = cp_fs_read_file(path, &text, &len);
    e = errno;
    cp_alloc_fail_at(0);
    CHECK_INT(rc, -1);
    CHECK_INT(e, ENOMEM);
    /* a missing file is still ENOENT */
    unlink(path);
    CHECK_INT(cp_fs_read_file(path, &text, &len), -1);
    CHECK_INT(errno, ENOENT);
    cp_free(path);
}

TEST(write_csv_reports_enomem)
{
    struct cp_table *t = cp_table_new("t");
    CHECK(t && cp_table_add_column(t, "x", CP_STR) == 0 && cp_table_add_row(t) == 0);
    CHECK(cp_table_set_str(t, 0, 0, "a value long enough to need a bigger buffer") == 0);
    char *path = cp_path_join(dir, "t.csv");
    long before = cp_alloc_count();
    CHECK(cp_table_write_csv(t, path) == 0);
    long total = cp_alloc_count() - before;
    int bad = 0;
    for (long n = 1; n <= total; n++) {
        cp_alloc_fail_at(n);
        errno = ERANGE;
        int rc = cp_table_write_csv(t, path), e = errno;
        cp_alloc_fail_at(0);
        bad += rc != -1 || e != ENOMEM;
    }
    T_REPORT(bad == 0, "%d of %ld failed allocations left errno other than ENOMEM", bad, total);
    CHECK(total >= 2);
    unlink(path);
    cp_free(path);
    cp_table_free(t);
}

TEST(error_errno_maps_enomem)
{
    struct cp_error err = {0};
    errno = ENOMEM;
    CHECK_INT(cp_error_errno(&err, CP_ECANTCREAT, "cannot write '%s'", "x"), -CP_EINTERNAL);
    CHECK_STR(err.msg, "out of memory");
    cp_error_clear(&err);
    errno = EACCES;
    CHECK_INT(cp_error_errno(&err, CP_ECANTCREAT, "cannot write '%s'", "x"), -CP_ECANTCREAT);
    CHECK_STR(err.msg, "cannot write 'x': Permission denied");
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    RUN(read_file_reports_enomem);
    RUN(write_csv_reports_enomem);
    RUN(error_errno_maps_enomem);
    rmdir(dir);
    return DONE();
}
