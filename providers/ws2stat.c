/*
 * ws2stat.c - the counting layer: calls, errors and bytes per function,
 * for the process and for each socket, in a file a tool reads while the
 * program runs (ws2stat.h, ws2stat(7)).
 *
 * The file is <dir>/<pid>.ws2stat, dir being $WS2STAT_DIR (ignored in
 * set-user-id programs), else /run/user/<uid>/ws2stat when /run/user/<uid>
 * is this user's, else /tmp/ws2stat-<uid>. The directory is made 0700 and
 * must belong to the user and be writable by nobody else; the file is
 * 0600. It is made at the first WSPStartup and stays after the process
 * ends (its running flag tells); a child process after fork gets a file
 * of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lsp.h"
#include "ws2stat.h"

_Static_assert(WS2STAT_NFN == LSP_NFN, "one counter per function");

static struct ws2stat_file *_Atomic file;
static size_t file_size;
static pthread_mutex_t rec_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void add(uint64_t *c, uint64_t v)
{
    __atomic_fetch_add(c, v, __ATOMIC_RELAXED);
}

static struct ws2stat_sock *rec(struct ws2stat_file *f, unsigned i)
{
    return (struct ws2stat_sock *)((char *)f + f->header_size +
                                   (size_t)i * f->sock_size);
}

/* A directory of the user's that nobody else may write. */
static int dir_ok(const char *dir)
{
    struct stat st;
    if (mkdir(dir, 0700) && errno != EEXIST)
        return 0;
    return !lstat(dir, &st) && S_ISDIR(st.st_mode) &&
           st.st_uid == geteuid() && !(st.st_mode & (S_IWGRP | S_IWOTH));
}

static int pick_dir(char *dir, size_t n)
{
    ws2stat_dir(dir, n, secure_getenv("WS2STAT_DIR"));
    return dir_ok(dir);
}

static void header(struct ws2stat_file *f)
{
    memcpy(f->magic, WS2STAT_MAGIC, sizeof(f->magic));
    f->version = WS2STAT_VERSION;
    f->header_size = sizeof(*f);
    f->sock_size = sizeof(struct ws2stat_sock);
    f->nfn = WS2STAT_NFN;
    f->nsock = WS2STAT_NSOCK;
    f->pid = (int32_t)getpid();
    f->started_ns = now_ns();
    snprintf(f->program, sizeof(f->program), "%s", program_invocation_name);
    for (int i = 0; i < WS2STAT_NFN; i++)
        snprintf(f->fn_name[i], WS2STAT_NAME, "%s", lsp_fn_name[i]);
}

/* Makes and maps this process's file; 0 or -1 (said on stderr). */
static int file_open(void)
{
    char dir[512], path[600];
    size_t size = sizeof(struct ws2stat_file) +
                  WS2STAT_NSOCK * sizeof(struct ws2stat_sock);
    int fd = -1;
    void *m = MAP_FAILED;
    if (pick_dir(dir, sizeof(dir))) {
        snprintf(path, sizeof(path), "%s/%d.ws2stat", dir, (int)getpid());
        fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                  0600);
    }
    if (fd >= 0 && !ftruncate(fd, (off_t)size))
        m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (fd >= 0)
        close(fd);
    if (m == MAP_FAILED) {
        fprintf(stderr,
                "ws2stat: cannot make the statistics file in %s (a "
                "directory of this user's, writable by nobody else): %s\n",
                dir, strerror(errno));
        return -1;
    }
    header(m);
    file_size = size;
    atomic_store_explicit(&file, m, memory_order_release);
    return 0;
}

/* The child counts into a file of its own, made when it first counts
 * (a child that goes on to exec, as system() and popen() do, makes none). */
static _Atomic uint32_t child_running = 2; /* 2: not a new child */

static void child(void)
{
    struct ws2stat_file *f = atomic_load(&file);
    if (!f)
        return;
    atomic_store(&child_running, __atomic_load_n(&f->running,
                                                 __ATOMIC_RELAXED));
    atomic_store(&file, NULL);
    munmap(f, file_size);
    pthread_mutex_init(&rec_lock, NULL); /* another thread may have held it */
}

/* This process's file, made now in a new child. */
static struct ws2stat_file *current(void)
{
    struct ws2stat_file *f = atomic_load(&file);
    if (f || atomic_load(&child_running) == 2)
        return f;
    pthread_mutex_lock(&rec_lock);
    if (!atomic_load(&file) && !file_open())
        __atomic_store_n(&atomic_load(&file)->running,
                         atomic_load(&child_running), __ATOMIC_RELEASE);
    atomic_store(&child_running, 2);
    pthread_mutex_unlock(&rec_lock);
    return atomic_load(&file);
}

static void at_fork(void)
{
    pthread_atfork(NULL, NULL, child);
}

static int start(void)
{
    pthread_once(&fork_once, at_fork);
    atomic_store(&child_running, 2);
    if (!atomic_load(&file) && file_open())
        return WSAEPROVIDERFAILEDINIT;
    struct ws2stat_file *f = atomic_load(&file);
    __atomic_store_n(&f->running, 1, __ATOMIC_RELEASE);
    return 0;
}

static void stop(void)
{
    struct ws2stat_file *f = current();
    if (!f)
        return;
    __atomic_store_n(&f->ended_ns, now_ns(), __ATOMIC_RELAXED);
    __atomic_store_n(&f->running, 0, __ATOMIC_RELEASE);
}

/* A socket's record is named by index + 1 and use (seq) in sk->data, so
 * that a late completion of a closed socket whose record was reused
 * counts for the process only. */
static void *tag(unsigned i, uint32_t seq)
{
    return (void *)(uintptr_t)(((uint64_t)seq << 16) | (i + 1));
}

static struct ws2stat_sock *tagged(struct ws2stat_file *f, const void *t)
{
    uintptr_t v = (uintptr_t)t;
    unsigned i = (unsigned)(v & 0xffff);
    if (!i || i > f->nsock)
        return NULL;
    struct ws2stat_sock *r = rec(f, i - 1);
    return __atomic_load_n(&r->seq, __ATOMIC_ACQUIRE) == (uint32_t)(v >> 16)
               ? r
               : NULL;
}

/* A free record, else the one closed longest ago. */
static int pick_record(struct ws2stat_file *f)
{
    int best = -1;
    for (unsigned i = 0; i < f->nsock; i++) {
        struct ws2stat_sock *r = rec(f, i);
        if (r->state == WS2STAT_FREE)
            return (int)i;
        if (r->state == WS2STAT_CLOSED &&
            (best < 0 || r->closed_ns < rec(f, (unsigned)best)->closed_ns))
            best = (int)i;
    }
    return best;
}

static void sock_open(struct lsp_sock *sk)
{
    struct ws2stat_file *f = current();
    if (!f)
        return;
    add(&f->sockets_opened, 1);
    pthread_mutex_lock(&rec_lock);
    int i = pick_record(f);
    if (i < 0) {
        pthread_mutex_unlock(&rec_lock);
        add(&f->sockets_untracked, 1);
        return;
    }
    struct ws2stat_sock *r = rec(f, (unsigned)i);
    uint32_t seq = r->seq + 1;
    __atomic_store_n(&r->seq, seq, __ATOMIC_RELEASE);
    memset(r->fn, 0, sizeof(r->fn));
    r->handle = sk->upper;
    r->af = sk->af;
    r->type = sk->type;
    r->protocol = sk->protocol;
    r->opened_ns = now_ns();
    r->closed_ns = 0;
    __atomic_store_n(&r->state, WS2STAT_OPEN, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&rec_lock);
    sk->data = tag((unsigned)i, seq);
}

static void sock_close(struct lsp_sock *sk)
{
    struct ws2stat_file *f = current();
    if (!f)
        return;
    add(&f->sockets_closed, 1);
    pthread_mutex_lock(&rec_lock);
    struct ws2stat_sock *r = tagged(f, sk->data);
    if (r) {
        r->closed_ns = now_ns();
        __atomic_store_n(&r->state, WS2STAT_CLOSED, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&rec_lock);
}

static void count(struct ws2stat_counts *c, const struct lsp_call *call)
{
    add(&c->calls, 1);
    if (call->err)
        add(&c->errors, 1);
    else
        add(&c->bytes, call->bytes);
}

static void after(const struct lsp_call *c)
{
    struct ws2stat_file *f = current();
    if (!f)
        return;
    count(&f->total[c->fn], c);
    struct ws2stat_sock *r = c->sk ? tagged(f, c->sk->data) : NULL;
    if (r)
        count(&r->fn[c->fn], c);
}

const struct lsp_layer lsp_layer = {
    .name = "ws2stat: counts calls, bytes and errors",
    .start = start,
    .stop = stop,
    .open = sock_open,
    .close = sock_close,
    .after = after,
};
