/*
 * Read rate (wall and CPU) of the Neware readers on generated files: .nda version 130 (BENCH_MB,
 * default 64 MiB), .ndax (ndc 14 tables of about the same uncompressed size, deflated by libzip)
 * and the hierarchical CSV export. Prints MB/s (of the file, and for .ndax of the uncompressed
 * tables too), rows/s and peak resident memory, first on a small file then on a large one, to show
 * that memory does not grow with the file. After each .ndax, the same archive inflated by libzip
 * and zlib alone: the ceiling of that reader. BENCH_FORMAT=nda|ndax|layered runs one only. Not a
 * test: prints figures only.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zip.h>

#include "cellpipe/dataset.h"
#include "cellpipe/error.h"
#include "cellpipe/reader.h"
#include "cellpipe/table.h"
#include "cellpipe/timeutil.h"
#include "bench_reader.h"

static void put32(unsigned char *p, uint32_t v)
{
    for (int k = 0; k < 4; k++)
        p[k] = (unsigned char)(v >> (8 * k));
}

static void putf(unsigned char *p, float f)
{
    uint32_t v;
    memcpy(&v, &f, sizeof(v));
    put32(p, v);
}

/* A cell cycling 500 records charge, 500 discharge: current (mA), voltage and step counter. */
static void sample(long i, float *ma, float *v, uint32_t *step, uint32_t *cycle)
{
    long k = i % 1000;
    *ma = k < 500 ? 1000.0f : -1000.0f;
    *v = 3.0f + (k < 500 ? k : 1000 - k) * 0.002f;
    *step = (uint32_t)(i / 500);
    *cycle = (uint32_t)(i / 1000);
}

static void gen_nda(const char *path, long n)
{
    FILE *f = fopen(path, "wb");
    unsigned char h[1024] = "NEWARE20240403", r[56];
    h[14] = 130;
    fwrite(h, 1, sizeof(h), f);
    for (long i = 0; i < n; i++) {
        float ma, v;
        uint32_t step, cycle;
        sample(i, &ma, &v, &step, &cycle);
        memset(r, 0, sizeof(r));
        r[0] = 0x55, r[1] = 0x06, r[2] = (unsigned char)(1 + step % 2), r[3] = 1;
        put32(r + 8, (uint32_t)i + 1);
        put32(r + 12, (uint32_t)i);
        putf(r + 20, ma);
        putf(r + 24, v);
        putf(r + 28, (float)(i % 500) * (ma > 0 ? 1000 : -1000));
        putf(r + 32, (float)(i % 500) * (ma > 0 ? 3800 : -3600));
        put32(r + 36, cycle);
        put32(r + 44, 1716796973u + (uint32_t)i);
        putf(r + 52, 25.0f);
        fwrite(r, 1, sizeof(r), f);
    }
    fclose(f);
}

/* One ndc table of n rows of rowsize bytes (fill writes row i). Bytes written. */
static long gen_ndc(const char *path, int kind, size_t rowsize, long n,
                    void (*fill)(unsigned char *row, long i))
{
    FILE *f = fopen(path, "wb");
    unsigned char page[4096] = {0};
    page[0] = (unsigned char)kind, page[2] = 14;
    fwrite(page, 1, sizeof(page), f);
    long per = (long)((4096 - 132 - 1) / rowsize), pages = 1;
    for (long i = 0; i < n; i += per, pages++) {
        memset(page, 0, sizeof(page));
        for (long k = 0; k < per && i + k < n; k++) {
            page[4 + k / 8] |= (unsigned char)(1u << (k % 8));
            fill(page + 132 + k * rowsize, i + k);
        }
        fwrite(page, 1, sizeof(page), f);
    }
    fclose(f);
    return pages * 4096;
}

static void fill_main(unsigned char *row, long i)
{
    float ma, v;
    uint32_t step, cycle;
    sample(i, &ma, &v, &step, &cycle);
    putf(row, v);
    putf(row + 4, ma / 1000);
}

static void fill_info(unsigned char *row, long i)
{
    float ma, v;
    uint32_t step, cycle;
    sample(i, &ma, &v, &step, &cycle);
    put32(row, (uint32_t)(i % 500) * 1000);
    putf(row + (ma > 0 ? 5 : 9), (float)(i % 500) / 3600);
    putf(row + (ma > 0 ? 13 : 17), (float)(i % 500) * 3.7f / 3600);
    put32(row + 29, 1000);
    put32(row + 33, 1716796973u + (uint32_t)i);
    put32(row + 37, step + 1);
    put32(row + 41, (uint32_t)i + 1);
}

static void fill_step(unsigned char *row, long i)
{
    put32(row, (uint32_t)(i / 2));
    put32(row + 4, (uint32_t)(1 + i % 2));
}

static long gen_ndax(const char *path, const char *dir, long n)
{
    char m[512], r[512], s[512];
    snprintf(m, sizeof(m), "%s/data.ndc", dir);
    snprintf(r, sizeof(r), "%s/data_runInfo.ndc", dir);
    snprintf(s, sizeof(s), "%s/data_step.ndc", dir);
    long raw = gen_ndc(m, 1, 8, n, fill_main) + gen_ndc(r, 18, 55, n, fill_info) +
               gen_ndc(s, 7, 37, n / 500 + 1, fill_step);
    int e;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &e);
    const char *names[] = {"data.ndc", "data_runInfo.ndc", "data_step.ndc"};
    const char *files[] = {m, r, s};
    for (int k = 0; k < 3; k++)
        zip_file_add(z, names[k], zip_source_file(z, files[k], 0, -1), ZIP_FL_OVERWRITE);
    zip_close(z);
    for (int k = 0; k < 3; k++)
        unlink(files[k]);
    return raw;
}

static void gen_layered(const char *path, long n)
{
    FILE *f = fopen(path, "w");
    fputs("Cycle ID,Cap_Chg(mAh),Cap_DChg(mAh),Engy_Chg(mWh),Engy_DChg(mWh)\n"
          ",Step ID,Step Name,Step Time(h:min:s.ms),Capacity(mAh),Energy(mWh)\n"
          ",,Record ID,Time(h:min:s.ms),Voltage(V),Current(mA),Temperature(C),Capacity(mAh),"
          "Energy(mWh),Realtime\n",
          f);
    for (long i = 0; i < n; i++) {
        float ma, v;
        uint32_t step, cycle;
        sample(i, &ma, &v, &step, &cycle);
        if (i % 1000 == 0)
            fprintf(f, "%u,1000,900,3800,3200\n", cycle + 1);
        if (i % 500 == 0)
            fprintf(f, ",%u,%s,0:08:20.000,500,1900\n", step + 1, ma > 0 ? "CC_Chg" : "CC_DChg");
        fprintf(f, ",,%ld,0:00:%02ld.000,%.4f,%.1f,25.0,%.3f,%.3f,2024-05-05 08:%02ld:%02ld\n",
                i + 1, i % 60, v, ma, (i % 500) / 3.6, (i % 500) * 3.7 / 3.6, (i / 60) % 60,
                i % 60);
    }
    fclose(f);
}

/* The ceiling of the .ndax reader: libzip and zlib alone inflating every entry of the archive
 * (64 KiB reads, nothing decoded). MB/s of the file and of the inflated bytes. */
static void inflate_only(const char *path)
{
    struct stat st;
    stat(path, &st);
    static unsigned char buf[1 << 16];
    int e;
    zip_t *z = zip_open(path, ZIP_RDONLY, &e);
    if (!z)
        return;
    long long raw = 0;
    clock_t c0 = clock();
    for (zip_int64_t k = 0; k < zip_get_num_entries(z, 0); k++) {
        zip_file_t *f = zip_fopen_index(z, (zip_uint64_t)k, 0);
        zip_int64_t n;
        while (f && (n = zip_fread(f, buf, sizeof(buf))) > 0)
            raw += n;
        if (f)
            zip_fclose(f);
    }
    double cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
    zip_discard(z);
    printf("%-8s %6.1f MiB %7.1f MB/s cpu (tables %.0f MB/s cpu)  libzip+zlib only, the ceiling\n",
           "inflate", (double)st.st_size / (1 << 20), (double)st.st_size / (1 << 20) / cpu,
           raw / (double)(1 << 20) / cpu);
}

static void run(const char *what, const char *path, long raw)
{
    struct stat st;
    stat(path, &st);
    struct cp_error err = {0};
    struct cp_table *cells = cp_table_new("cells"), *cycles = cp_table_new("cycles");
    cp_add_canonical_columns(cells, cp_cells_columns);
    struct cp_reader_out out = {.cells = cells, .cycles = cycles};
    double t0 = (cp_monotonic_ms() / 1000);
    clock_t c0 = clock();
    const struct cp_reader_ops *ops = cp_reader_detect(path, &err);
    int rc = ops ? ops->read(path, &out, &err) : -1;
    double dt = (cp_monotonic_ms() / 1000) - t0;
    double cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
    double mb = (double)st.st_size / (1 << 20);
    if (rc != 0)
        printf("%-8s error: %s\n", what, err.msg);
    else {
        char tables[64] = "";
        if (raw)
            snprintf(tables, sizeof(tables), " (tables %.0f MB/s cpu)",
                     raw / (double)(1 << 20) / cpu);
        printf("%-8s %6.1f MiB %7.1f MB/s wall %7.1f MB/s cpu%s %9.0f rows/s  %zu cycles  "
               "maxrss %ld KiB\n",
               what, mb, mb / dt, mb / cpu, tables, out.rows_read / cpu, cycles->nrows,
               bench_maxrss_kb());
    }
    cp_table_free(cells);
    cp_table_free(cycles);
}

int main(void)
{
    const char *env = getenv("BENCH_MB");
    long mb = env ? atol(env) : 64;
    char dir[] = "/tmp/cp_bench_neware_XXXXXX", p[600];
    if (!mkdtemp(dir))
        return 1;
    const char *only = getenv("BENCH_FORMAT");
    long sizes[2] = {20000, mb * (1L << 20) / 56};
    for (int k = 0; k < 2; k++) {
        long n = sizes[k];
        if (!only || strcmp(only, "nda") == 0) {
            snprintf(p, sizeof(p), "%s/cell.nda", dir);
            gen_nda(p, n);
            run("nda", p, 0);
            unlink(p);
        }
        if (!only || strcmp(only, "ndax") == 0) {
            snprintf(p, sizeof(p), "%s/cell.ndax", dir);
            long raw = gen_ndax(p, dir, n);
            run("ndax", p, raw);
            inflate_only(p);
            unlink(p);
        }
        if (!only || strcmp(only, "layered") == 0) {
            snprintf(p, sizeof(p), "%s/cell.csv", dir);
            gen_layered(p, n);
            run("layered", p, 0);
            unlink(p);
        }
    }
    rmdir(dir);
    return 0;
}
