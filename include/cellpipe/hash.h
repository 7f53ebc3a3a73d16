#ifndef CELLPIPE_HASH_H
#define CELLPIPE_HASH_H
/* SHA-256 through OpenSSL's EVP interface: fingerprints and ingested-file digests. */
#include <stddef.h>

struct cp_sha256 {
    void *ctx; /* EVP_MD_CTX */
};

int cp_sha256_init(struct cp_sha256 *h);
int cp_sha256_update(struct cp_sha256 *h, const void *data, size_t n);
/* Finish into 64 hex digits + NUL and release the context. */
int cp_sha256_final(struct cp_sha256 *h, char hex[65]);
/* Release without finishing (error paths); accepts a released context. */
void cp_sha256_release(struct cp_sha256 *h);
int cp_sha256_hex(const void *data, size_t n, char hex[65]);
/* Digest of a file's bytes; *bytes gets its size. 0 or -1 with errno. */
int cp_sha256_file(const char *path, char hex[65], long long *bytes);

#endif
