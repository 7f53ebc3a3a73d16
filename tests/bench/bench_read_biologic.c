/*
 * Parse rate of the BioLogic .mpr reader on large generated files, both module layouts: MB/s
 * (wall and CPU), rows/s and peak resident memory, first 4 MiB then BENCH_MB (default 64) MiB,
 * to show that memory does not grow with the file. The old-layout file stores the current and
 * the energies; the new-layout one makes the reader derive them (as EC-Lab's export does).
 * Not a test: prints figures only. (No .res writer exists here, so the Arbin .res reader is not
 * benchmarked.)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cellpipe/error.h"
#include "cellpipe/reader.h"
#include "cellpipe/table.h"
#include "cellpipe/timeutil.h"
#include "bench_reader.h"

static void put32(FILE *f, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    fwrite(b, 1, 4, f);
}

static void put16(FILE *f, unsigned v)
{
    unsigned char b[2] = {(unsigned char)v, (unsigned char)(v >> 8)};
    fwrite(b, 1, 2, f);
}

static void putf(FILE *f, float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    put32(f, u);
}

static void putd(FILE *f, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    put32(f, (uint32_t)u);
    put32(f, (uint32_t)(u >> 32));
}

static void module_head(FILE *f, const char *name, uint32_t len, uint32_t version, int new_hdr)
{
    char n[36];
    memset(n, ' ', sizeof(n));
    memcpy(n, name, strlen(name));
    memcpy(n + 10, name, strlen(name));
    fputs("MODULE", f);
    fwrite(n, 1, 35, f);
    if (new_hdr) {
        put32(f, 0xffffffffu);
        put32(f, len);
        put32(f, 0);
    } else {
        put32(f, len);
    }
    put32(f, version);
    fputs("01/02/25", f);
}

/* ids: flags, Ns, time/s, Ewe/V, [I/mA], dq/mA.h, Q charge/discharge, half cycle, [Ec, Ed] */
static long generate(const char *path, long long bytes, int new_hdr)
{
    static const unsigned old_ids[] = {1, 2, 3, 21, 31, 65, 131, 4, 6, 8, 7, 467, 468, 123, 124};
    static const unsigned new_ids[] = {1, 2, 3, 21, 31, 65, 131, 4, 6, 7, 467, 468};
    const unsigned *ids = new_hdr ? new_ids : old_ids;
    unsigned ncol = new_hdr ? 12 : 15;
    size_t rec = new_hdr ? 1 + 2 + 8 + 4 + 8 + 8 + 4 : 1 + 2 + 8 + 4 + 4 + 8 + 8 + 4 + 16;
    long n = (long)(bytes / (long long)rec);
    long off = new_hdr ? 0x3ef : 0x196;
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    char magic[52];
    memset(magic, ' ', 48);
    memcpy(magic, "BIO-LOGIC MODULAR FILE\x1a", 23);
    memset(magic + 48, 0, 4);
    fwrite(magic, 1, 52, f);
    module_head(f, "VMP data", (uint32_t)(off + n * (long)rec), new_hdr ? 11 : 3, new_hdr);
    long start = ftell(f);
    put32(f, (uint32_t)n);
    if (new_hdr)
        put16(f, ncol);
    else
        fputc((int)ncol, f);
    for (unsigned c = 0; c < ncol; c++)
        put16(f, ids[c]);
    while (ftell(f) < start + off)
        fputc(0, f);
    double q = 0, ec = 0, ed = 0;
    for (long k = 0; k < n; k++) {
        int half = (int)(k / 500), charge = half % 2 == 0;
        double i = charge ? 1000.0 : -1000.0, v = charge ? 3.4 + (k % 500) * 1e-3 : 4.1;
        double dq = i * 10.0 / 3600.0;
        q = k % 500 == 0 ? dq : q + dq;
        *(charge ? &ec : &ed) += v * dq / 1000.0;
        fputc(1, f);
        put16(f, (unsigned)(charge ? 1 : 2));
        putd(f, k * 10.0);
        putf(f, (float)v);
        if (!new_hdr)
            putf(f, (float)i);
        putd(f, dq);
        putd(f, q);
        put32(f, (uint32_t)half);
        if (!new_hdr) {
            putd(f, ec);
            putd(f, ed);
        }
    }
    fclose(f);
    return n;
}

static int bench_one(const char *path, long long mb, int new_hdr)
{
    if (generate(path, mb << 20, new_hdr) < 0)
        return -1;
    int rc = bench_read(new_hdr ? "mpr new layout" : "mpr old layout", "mpr", path, mb);
    unlink(path);
    return rc;
}

int main(void)
{
    const char *env = getenv("BENCH_MB");
    long long mb = env ? atoll(env) : 64;
    char path[] = "/tmp/cp_bench_mpr_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 1;
    close(fd);
    int rc = 0;
    for (int new_hdr = 0; new_hdr < 2; new_hdr++) {
        rc |= bench_one(path, 4, new_hdr) != 0;
        rc |= bench_one(path, mb, new_hdr) != 0;
    }
    unlink(path);
    return rc;
}
