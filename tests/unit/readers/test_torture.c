/*
 * curl's "torture" run over the readers: fail the Nth allocation for every N a read makes and
 * demand a clean error (CP_EINTERNAL "out of memory") or success, never a crash; the sanitizer
 * build checks that nothing leaks on any of those paths.
 */
#include "cellpipe/alloc.h"
#include "harness.h"
#include "rdtest.h"

#define DATA "tests/data/readers/"

TEST(every_allocation_fails_cleanly)
{
    rd_torture(DATA "maccor_decimal_comma_minutes_milli.txt", 10);
    rd_torture(DATA "neware_layered.csv", 10);
    rd_torture(DATA "arbin_bom_units_clock_reset.csv", 10);
    /* these two read through the shared CSV reader, whose failed allocation shows only in
     * errno: they once reported it as a bad header (CP_EDATA) */
    rd_torture(DATA "batteryarchive_small_cycle_data.csv", 10);
    rd_torture(DATA "batterydatahub_small_summary.csv", 10);
}

int main(void)
{
    RUN(every_allocation_fails_cleanly);
    return DONE();
}
