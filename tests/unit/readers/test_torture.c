/*
 * curl's "torture" run over the readers: fail the Nth allocation for every N a read makes and
 * demand a clean error (CP_EINTERNAL "out of memory") or success, never a crash; the sanitizer
 * build checks that nothing leaks on any of those paths.
 */
#include "cellpipe/alloc.h"
#include "harness.h"
#include "rdtest.h"

#define DATA "tests/data/readers/"

static void torture(const char *path)
{
    long before = cp_alloc_count();
    struct rd r;
    rd_read(&r, path);
    CHECK_INT(r.rc, 0);
    rd_free(&r);
    long total = cp_alloc_count() - before;
    int bad = 0;
    for (long n = 1; n <= total; n++) {
        cp_alloc_fail_at(cp_alloc_count() + n);
        rd_read(&r, path);
        cp_alloc_fail_at(0);
        if (r.rc != 0 && r.rc != -CP_EINTERNAL)
            bad++;
        rd_free(&r);
    }
    T_REPORT(bad == 0, "%s: %d of %ld failed allocations gave another error", path, bad, total);
    CHECK(total > 10);
}

TEST(every_allocation_fails_cleanly)
{
    torture(DATA "maccor_decimal_comma_minutes_milli.txt");
    torture(DATA "neware_layered.csv");
    torture(DATA "arbin_bom_units_clock_reset.csv");
    /* these two read through the shared CSV reader, whose failed allocation shows only in
     * errno: they once reported it as a bad header (CP_EDATA) */
    torture(DATA "batteryarchive_small_cycle_data.csv");
    torture(DATA "batterydatahub_small_summary.csv");
}

int main(void)
{
    RUN(every_allocation_fails_cleanly);
    return DONE();
}
