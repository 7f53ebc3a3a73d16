#include <errno.h>
#include <stdio.h>
#include <openssl/evp.h>

#include "cellpipe/hash.h"

int cp_sha256_init(struct cp_sha256 *h)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    h->ctx = ctx;
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        cp_sha256_release(h);
        return -1;
    }
    return 0;
}

int cp_sha256_update(struct cp_sha256 *h, const void *data, size_t n)
{
    return EVP_DigestUpdate(h->ctx, data, n) == 1 ? 0 : -1;
}

int cp_sha256_final(struct cp_sha256 *h, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    int ok = EVP_DigestFinal_ex(h->ctx, md, &len) == 1;
    cp_sha256_release(h);
    if (!ok)
        return -1;
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < len && i < 32; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[64] = '\0';
    return 0;
}

void cp_sha256_release(struct cp_sha256 *h)
{
    if (h->ctx)
        EVP_MD_CTX_free(h->ctx);
    h->ctx = NULL;
}

int cp_sha256_hex(const void *data, size_t n, char hex[65])
{
    struct cp_sha256 h;
    if (cp_sha256_init(&h) < 0)
        return -1;
    if (cp_sha256_update(&h, data, n) < 0) {
        cp_sha256_release(&h);
        return -1;
    }
    return cp_sha256_final(&h, hex);
}

int cp_sha256_file(const char *path, char hex[65], long long *bytes)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    struct cp_sha256 h;
    if (cp_sha256_init(&h) < 0) {
        fclose(f);
        errno = ENOMEM;
        return -1;
    }
    unsigned char buf[65536];
    size_t n;
    long long total = 0;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        cp_sha256_update(&h, buf, n);
        total += (long long)n;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        cp_sha256_release(&h);
        errno = EIO;
        return -1;
    }
    if (bytes)
        *bytes = total;
    return cp_sha256_final(&h, hex);
}
