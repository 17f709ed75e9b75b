/*
 * catalog.c - the protocol catalog: which entries exist, in which order.
 *
 * The catalog lives in a file (ws2posix-catalog(5)); with no file, the
 * built-in entries of the base provider are the catalog: TCP and UDP over
 * IPv4 and IPv6. Each process keeps the catalog it last read as a snapshot
 * and reads the file again when a stat says it changed (the calls that
 * look entries up by family or list them check; see design-notes.md).
 * Snapshots are never freed: a socket or a caller may hold an entry
 * pointer for the life of the process. Writers take an exclusive flock on
 * "<file>.lock", read the file afresh, and replace it by rename, so two
 * processes never lose each other's update and a reader never sees half
 * a file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spi/catalog.h"

#ifndef WS2_CATALOG_PATH
#define WS2_CATALOG_PATH "/etc/ws2posix/catalog"
#endif

/* A file larger than this is not a catalog (thousands of entries). */
#define MAX_FILE (16u << 20)

/* What stat said of the file when a snapshot was taken. */
enum { KEY_ABSENT = 1, KEY_FILE, KEY_ERROR };
struct key {
    int state;
    int err; /* errno, KEY_ERROR */
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtim, ctim;
};

struct snap {
    const struct ws2__entry *e;
    unsigned n;
    int err; /* 0, or WSANO_RECOVERY: the file is unreadable or corrupt */
    char *path;
    struct key key;
    struct snap *older; /* kept reachable, never freed */
};

static _Atomic(struct snap *) current;
static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ws2__cat builtin;

/* ---- where the file is ---- */

const char *ws2__catalog_path_pick(const char *env)
{
    return env && *env ? env : WS2_CATALOG_PATH;
}

const char *ws2__catalog_path(void)
{
    return ws2__catalog_path_pick(secure_getenv("WS2POSIX_CATALOG"));
}

/* ---- the cheap check ---- */

static struct key probe(const char *path)
{
    struct stat st;
    struct key k = {0};
    if (!stat(path, &st)) {
        k.state = KEY_FILE;
        k.dev = st.st_dev;
        k.ino = st.st_ino;
        k.size = st.st_size;
        k.mtim = st.st_mtim;
        k.ctim = st.st_ctim;
    } else if (errno == ENOENT || errno == ENOTDIR) {
        k.state = KEY_ABSENT;
    } else {
        k.state = KEY_ERROR;
        k.err = errno;
    }
    return k;
}

static int key_same(const struct key *a, const struct key *b)
{
    return a->state == b->state && a->err == b->err && a->dev == b->dev &&
           a->ino == b->ino && a->size == b->size &&
           a->mtim.tv_sec == b->mtim.tv_sec &&
           a->mtim.tv_nsec == b->mtim.tv_nsec &&
           a->ctim.tv_sec == b->ctim.tv_sec &&
           a->ctim.tv_nsec == b->ctim.tv_nsec;
}

/* One line on stderr per distinct problem, so a broken catalog is said
 * once, not on every call. */
static void report(const char *path, const char *why)
{
    static char last[1200];
    char msg[sizeof(last)];
    /* Bounded so that the message always fits: a longer path is cut. */
    snprintf(msg, sizeof(msg),
             "ws2posix: catalog %.800s: %.200s (catalog functions fail with "
             "WSANO_RECOVERY, WSASocket with WSAEPROVIDERFAILEDINIT; "
             "'ws2catalog reset' restores the built-in catalog)",
             path, why);
    pthread_mutex_lock(&report_lock);
    if (strcmp(msg, last)) {
        fprintf(stderr, "%s\n", msg);
        memcpy(last, msg, sizeof(last));
    }
    pthread_mutex_unlock(&report_lock);
}

/* ---- reading ---- */

static int read_all(int fd, char **text, size_t *len, char *why, size_t n)
{
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        snprintf(why, n, "not a regular file");
        return -1;
    }
    if ((unsigned long long)st.st_size > MAX_FILE) {
        snprintf(why, n, "larger than %u bytes", MAX_FILE);
        return -1;
    }
    size_t cap = (size_t)st.st_size + 1, got = 0;
    char *buf = malloc(cap);
    if (!buf) {
        snprintf(why, n, "out of memory");
        return -1;
    }
    for (;;) {
        ssize_t r = read(fd, buf + got, cap - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 || (r > 0 && got + (size_t)r == cap)) {
            /* A read error, or more bytes than stat said: the file is
             * being rewritten in place, which ws2_32 never does. */
            snprintf(why, n, r < 0 ? "cannot read it: %s" : "it changed size",
                     strerror(errno));
            free(buf);
            return -1;
        }
        if (!r)
            break;
        got += (size_t)r;
    }
    *text = buf;
    *len = got;
    return 0;
}

/* Reads and parses the file: 0, 1 when there is no file, or -1 with a
 * sentence in why. */
static int read_file(const char *path, struct ws2__cat *c, char *why,
                     size_t n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 1;
        snprintf(why, n, "cannot open it: %s", strerror(errno));
        return -1;
    }
    char *text;
    size_t len;
    int r = read_all(fd, &text, &len, why, n);
    close(fd);
    if (r)
        return -1;
    r = ws2__cat_parse(text, len, c, why, n);
    free(text);
    return r;
}

static void make_builtin(void)
{
    ws2__cat_builtin(&builtin);
}

/* The built-in entries, made once; NULL without memory. */
static const struct ws2__cat *builtin_cat(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, make_builtin);
    return builtin.e ? &builtin : NULL;
}

/* Makes and publishes a snapshot of c (taking c's entries) or of an error.
 * load_lock is held. */
static struct snap *publish(const char *path, const struct key *k,
                            struct ws2__cat *c, int err)
{
    struct snap *s = calloc(1, sizeof(*s));
    char *p = strdup(path);
    if (!s || !p) {
        free(s);
        free(p);
        return NULL;
    }
    s->path = p;
    s->key = *k;
    s->err = err;
    if (c) {
        s->e = c->e;
        s->n = c->n;
    }
    s->older = atomic_load_explicit(&current, memory_order_relaxed);
    atomic_store_explicit(&current, s, memory_order_release);
    return s;
}

static struct snap *load(const char *path, const struct key *k)
{
    struct ws2__cat c;
    char why[512] = "";
    int r = k->state == KEY_ERROR ? -1 : read_file(path, &c, why, sizeof(why));
    if (k->state == KEY_ERROR)
        snprintf(why, sizeof(why), "cannot look at it: %s", strerror(k->err));
    if (r == 1) {
        const struct ws2__cat *b = builtin_cat();
        if (b) {
            c = *b;
            return publish(path, k, &c, 0);
        }
        snprintf(why, sizeof(why), "out of memory");
    }
    if (r == 0)
        return publish(path, k, &c, 0);
    report(path, why);
    return publish(path, k, NULL, WSANO_RECOVERY);
}

/* The current snapshot, read again when the file is another one than the
 * snapshot's; NULL only without memory. */
static struct snap *refresh(void)
{
    const char *path = ws2__catalog_path();
    struct key k = probe(path);
    struct snap *s = atomic_load_explicit(&current, memory_order_acquire);
    if (s && key_same(&s->key, &k) && !strcmp(s->path, path))
        return s;
    pthread_mutex_lock(&load_lock);
    s = atomic_load_explicit(&current, memory_order_acquire);
    if (!s || !key_same(&s->key, &k) || strcmp(s->path, path))
        s = load(path, &k);
    pthread_mutex_unlock(&load_lock);
    return s;
}

int ws2__catalog_read(const struct ws2__entry **e, unsigned *n)
{
    struct snap *s = refresh();
    *e = s ? s->e : NULL;
    *n = s ? s->n : 0;
    return !s ? WSA_NOT_ENOUGH_MEMORY : s->err;
}

/* ---- what the rest of the library looks up ---- */

const struct ws2__entry *ws2__catalog(unsigned *count)
{
    const struct ws2__entry *e;
    ws2__catalog_read(&e, count);
    return e;
}

static const struct ws2__entry *find_in(const struct snap *s, DWORD id)
{
    for (unsigned i = 0; s && i < s->n; i++)
        if (s->e[i].info.dwCatalogEntryId == id)
            return &s->e[i];
    return NULL;
}

/* By id, in the snapshot at hand; only an id it does not know costs a
 * look at the file (it may be newer). */
const struct ws2__entry *ws2__catalog_find(DWORD catalog_id)
{
    const struct ws2__entry *e =
        find_in(atomic_load_explicit(&current, memory_order_acquire),
                catalog_id);
    return e ? e : find_in(refresh(), catalog_id);
}

/* An application never gets a layered entry (chain length 0: only chains
 * reach it) or one its provider hid from WSAEnumProtocols. */
static int usable(const WSAPROTOCOL_INFOW *p)
{
    return p->ProtocolChain.ChainLen != LAYERED_PROTOCOL &&
           !(p->dwProviderFlags & PFL_HIDDEN);
}

static int protocol_matches(const WSAPROTOCOL_INFOW *p, int protocol)
{
    if (protocol == 0)
        return (p->dwProviderFlags & PFL_MATCHES_PROTOCOL_ZERO) != 0;
    return protocol >= p->iProtocol &&
           (long long)protocol <=
               (long long)p->iProtocol + p->iProtocolMaxOffset;
}

/* The error names the first thing that did not match, most specific last:
 * no entry of the family, then of the type, then of the protocol. Windows
 * refuses AF_UNSPEC unless a protocol narrows the choice: socket(AF_UNSPEC,
 * SOCK_STREAM, 0) is WSAEINVAL (Wine's test_WSASocket, run on Windows). An
 * unreadable catalog is WSAEPROVIDERFAILEDINIT, Windows' error for a
 * provider that is not installed right. */
const struct ws2__entry *ws2__catalog_match(int af, int type, int protocol,
                                            int *wsaerr)
{
    const struct ws2__entry *e;
    unsigned n;
    int err = ws2__catalog_read(&e, &n);
    if (err) {
        *wsaerr = err == WSANO_RECOVERY ? WSAEPROVIDERFAILEDINIT : err;
        return NULL;
    }
    if (af == AF_UNSPEC && protocol == 0) {
        *wsaerr = WSAEINVAL;
        return NULL;
    }
    err = WSAEAFNOSUPPORT;
    for (unsigned i = 0; i < n; i++) {
        const WSAPROTOCOL_INFOW *p = &e[i].info;
        if (!usable(p) || (af != AF_UNSPEC && p->iAddressFamily != af))
            continue;
        if (err == WSAEAFNOSUPPORT)
            err = WSAESOCKTNOSUPPORT;
        if (type != 0 && p->iSocketType != type)
            continue;
        if (err == WSAESOCKTNOSUPPORT)
            err = WSAEPROTONOSUPPORT;
        if (protocol_matches(p, protocol))
            return &e[i];
    }
    *wsaerr = err;
    return NULL;
}

/* ---- writing ---- */

/* The exclusive lock beside the file; its directory is made when missing
 * (one level). -1 when the caller may not write the catalog. */
static int lock_catalog(const char *path)
{
    char lp[PATH_MAX + 8];
    if (snprintf(lp, sizeof(lp), "%s.lock", path) >= (int)sizeof(lp))
        return -1;
    int fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 && errno == ENOENT) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s", path);
        char *slash = strrchr(dir, '/');
        if (slash && slash != dir) {
            *slash = 0;
            if (!mkdir(dir, 0755) || errno == EEXIST)
                fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        }
    }
    if (fd < 0)
        return -1;
    while (flock(fd, LOCK_EX))
        if (errno != EINTR) {
            close(fd);
            return -1;
        }
    return fd;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t r = write(fd, p, len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        len -= (size_t)r;
    }
    return 0;
}

/* The directory's entry is made durable too, so a crash after the call
 * returned finds the new file. */
static void sync_dir(const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == dir)
        dir[1] = 0;
    else
        *slash = 0;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Temporary files of writers that died before their rename: with the
 * lock held, no other writer's can exist. */
static void sweep(const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    const char *base = slash ? slash + 1 : path;
    if (slash)
        *(slash == dir ? slash + 1 : slash) = 0;
    DIR *d = opendir(slash ? dir : ".");
    struct dirent *de;
    size_t bl = strlen(base);
    while (d && (de = readdir(d)))
        if (!strncmp(de->d_name, base, bl) &&
            !strncmp(de->d_name + bl, ".tmp.", 5))
            unlinkat(dirfd(d), de->d_name, 0);
    if (d)
        closedir(d);
}

/* A temporary file in the same directory, flushed, then renamed over the
 * catalog: readers see the old file or the new one, never a part. */
static int write_file(const char *path, const struct ws2__cat *c)
{
    size_t len;
    char *text = ws2__cat_format(c, &len);
    if (!text)
        return WSA_NOT_ENOUGH_MEMORY;
    char tmp[PATH_MAX + 16];
    int fd = -1;
    sweep(path);
    if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) < (int)sizeof(tmp))
        fd = mkostemp(tmp, O_CLOEXEC);
    int ok = fd >= 0 && !write_all(fd, text, len) && !fchmod(fd, 0644) &&
             !fsync(fd);
    free(text);
    if (fd >= 0 && close(fd))
        ok = 0;
    if (ok && rename(tmp, path))
        ok = 0;
    if (!ok) {
        if (fd >= 0)
            unlink(tmp);
        return WSANO_RECOVERY;
    }
    sync_dir(path);
    return 0;
}

int ws2__catalog_update(int (*edit)(struct ws2__cat *c, void *arg),
                        void *arg)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof(path), "%s", ws2__catalog_path()) >=
        (int)sizeof(path))
        return WSANO_RECOVERY;
    int lfd = lock_catalog(path);
    if (lfd < 0)
        return WSANO_RECOVERY;
    struct ws2__cat c = {0};
    char why[512];
    int err = 0;
    int r = read_file(path, &c, why, sizeof(why));
    if (r < 0) {
        report(path, why);
        err = WSANO_RECOVERY;
    } else if (r == 1 && ws2__cat_builtin(&c)) {
        err = WSA_NOT_ENOUGH_MEMORY;
    }
    if (!err)
        err = edit(&c, arg);
    if (!err)
        err = write_file(path, &c);
    if (!err) {
        /* This process sees its own change at once. */
        struct key k = probe(path);
        pthread_mutex_lock(&load_lock);
        if (!publish(path, &k, &c, 0))
            ws2__cat_free(&c);
        pthread_mutex_unlock(&load_lock);
    } else {
        ws2__cat_free(&c);
    }
    close(lfd);
    return err;
}
