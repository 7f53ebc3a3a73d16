/*
 * The MLflow journal: one JSON object per line (see include/cellpipe/mlflow.h). Lines are
 * flushed as written, so a crash loses at most the line being written, which the scanner
 * then ignores; close() fsyncs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/hash.h"
#include "cellpipe/mlflow.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/timeutil.h"

/* 128 random bits as hex; /dev/urandom, else a digest of time and pid (still unique enough
 * to tell two runs apart). */
static void new_journal_id(char out[33])
{
    unsigned char raw[16];
    int ok = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ok = read(fd, raw, sizeof(raw)) == (ssize_t)sizeof(raw);
        close(fd);
    }
    if (ok) {
        static const char hex[] = "0123456789abcdef";
        for (size_t i = 0; i < sizeof(raw); i++) {
            out[2 * i] = hex[raw[i] >> 4];
            out[2 * i + 1] = hex[raw[i] & 15];
        }
        out[32] = '\0';
        return;
    }
    char seed[64], digest[65];
    snprintf(seed, sizeof(seed), "%lld/%ld", (long long)cp_now_ms(), (long)getpid());
    cp_sha256_hex(seed, strlen(seed), digest);
    memcpy(out, digest, 32);
    out[32] = '\0';
}

static int write_line(struct cp_mlflow_journal *j, json_t *obj, struct cp_error *err)
{
    char *text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!text)
        return cp_error_oom(err);
    int bad = fputs(text, j->f) < 0 || fputc('\n', j->f) == EOF || fflush(j->f) != 0;
    free(text); /* jansson allocates with malloc */
    if (bad)
        return cp_error_errno(err, CP_ECANTCREAT, "cannot write '%s'", j->path);
    return 0;
}

static int open_file(struct cp_mlflow_journal *j, const char *path, const char *mode,
                     struct cp_error *err)
{
    memset(j, 0, sizeof(*j));
    j->path = cp_strdup(path);
    if (!j->path)
        return cp_error_oom(err);
    j->f = fopen(path, mode);
    if (!j->f) {
        int e = errno;
        cp_free(j->path);
        j->path = NULL;
        return cp_error_set(err, e == ENOENT ? CP_ENOINPUT : CP_ECANTCREAT, "cannot open '%s': %s",
                            path, strerror(e));
    }
    j->next_seq = 1;
    return 0;
}

static int make_parent_dir(const char *path, struct cp_error *err)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return 0;
    char *dir = cp_strndup(path, (size_t)(slash - path));
    if (!dir)
        return cp_error_oom(err);
    int rc =
        cp_fs_mkdirs(dir) == 0 ? 0 : cp_error_errno(err, CP_ECANTCREAT, "cannot create '%s'", dir);
    cp_free(dir);
    return rc;
}

int cp_mlflow_journal_create(struct cp_mlflow_journal *j, const char *path, json_t *extra,
                             struct cp_error *err)
{
    int rc = make_parent_dir(path, err);
    if (rc == 0)
        rc = open_file(j, path, "w", err);
    if (rc < 0)
        return rc;
    new_journal_id(j->journal_id);
    json_t *head = json_pack("{s:s, s:i, s:s}", "journal", "cellpipe-mlflow", "version", 1,
                             "journal_id", j->journal_id);
    if (!head || (extra && json_object_update(head, extra) != 0)) {
        json_decref(head);
        return cp_error_oom(err);
    }
    rc = write_line(j, head, err);
    json_decref(head);
    return rc;
}

struct open_ctx {
    struct cp_mlflow_journal *j;
};

static int note_line(json_t *line, void *ctx)
{
    struct cp_mlflow_journal *j = ((struct open_ctx *)ctx)->j;
    const char *id = json_string_value(json_object_get(line, "journal_id"));
    if (id && strlen(id) == 32)
        memcpy(j->journal_id, id, 33);
    json_int_t seq = json_integer_value(json_object_get(line, "seq"));
    if (seq >= j->next_seq)
        j->next_seq = (long)seq + 1;
    return 0;
}

int cp_mlflow_journal_open(struct cp_mlflow_journal *j, const char *path, struct cp_error *err)
{
    struct cp_mlflow_journal tmp;
    memset(&tmp, 0, sizeof(tmp));
    tmp.next_seq = 1;
    struct open_ctx ctx = {&tmp};
    int rc = cp_mlflow_journal_scan(path, note_line, &ctx, err);
    if (rc < 0)
        return rc;
    if (!tmp.journal_id[0])
        return cp_error_set(err, CP_EDATA, "'%s': not a cellpipe MLflow journal (no header)", path);
    rc = open_file(j, path, "a", err);
    if (rc < 0)
        return rc;
    memcpy(j->journal_id, tmp.journal_id, sizeof(j->journal_id));
    j->next_seq = tmp.next_seq;
    return 0;
}

int cp_mlflow_journal_op(struct cp_mlflow_journal *j, json_t *op, long *seq, struct cp_error *err)
{
    long n = j->next_seq;
    if (json_object_set_new(op, "seq", json_integer(n)) != 0)
        return cp_error_oom(err);
    int rc = write_line(j, op, err);
    if (rc < 0)
        return rc;
    j->next_seq++;
    if (seq)
        *seq = n;
    return 0;
}

int cp_mlflow_journal_ack(struct cp_mlflow_journal *j, long seq, json_t *result,
                          struct cp_error *err)
{
    json_t *ack = json_pack("{s:I}", "ack", (json_int_t)seq);
    if (!ack || (result && json_object_update(ack, result) != 0) ||
        json_object_set_new(ack, "at", json_integer(cp_now_ms())) != 0) {
        json_decref(ack);
        return cp_error_oom(err);
    }
    int rc = write_line(j, ack, err);
    json_decref(ack);
    return rc;
}

int cp_mlflow_journal_close(struct cp_mlflow_journal *j, struct cp_error *err)
{
    int rc = 0;
    if (j->f) {
        if (fflush(j->f) != 0 || fsync(fileno(j->f)) != 0 || fclose(j->f) != 0)
            rc = cp_error_errno(err, CP_ECANTCREAT, "cannot write '%s'", j->path);
        j->f = NULL;
    }
    cp_free(j->path);
    j->path = NULL;
    return rc;
}

/* Read one line into sb (without the newline). 1 = a full line, 0 = end of file (sb may hold
 * an unterminated tail), -1 = out of memory. */
static int read_line(FILE *f, struct cp_strbuf *sb)
{
    char chunk[4096];
    cp_strbuf_reset(sb);
    while (fgets(chunk, sizeof(chunk), f)) {
        size_t n = strlen(chunk);
        int full = n > 0 && chunk[n - 1] == '\n';
        if (cp_strbuf_add(sb, chunk, full ? n - 1 : n) < 0)
            return -1;
        if (full)
            return 1;
    }
    return 0;
}

int cp_mlflow_journal_scan(const char *path, int (*fn)(json_t *line, void *ctx), void *ctx,
                           struct cp_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return cp_error_set(err, errno == ENOENT ? CP_ENOINPUT : CP_EDATA, "cannot open '%s': %s",
                            path, strerror(errno));
    struct cp_strbuf sb;
    cp_strbuf_init(&sb);
    int rc = 0;
    long lineno = 0;
    for (;;) {
        int got = read_line(f, &sb);
        if (got < 0) {
            rc = cp_error_oom(err);
            break;
        }
        if (got == 0) /* end, or a torn last line from a crash mid-write: not acknowledged */
            break;
        lineno++;
        if (sb.len == 0)
            continue;
        json_error_t jerr;
        json_t *line = json_loadb(sb.buf, sb.len, 0, &jerr);
        if (!json_is_object(line)) {
            json_decref(line);
            rc = cp_error_set(err, CP_EDATA, "%s:%ld: not a JSON object: %s", path, lineno,
                              jerr.text);
            break;
        }
        rc = fn(line, ctx);
        json_decref(line);
        if (rc != 0)
            break;
    }
    cp_strbuf_release(&sb);
    fclose(f);
    return rc;
}
