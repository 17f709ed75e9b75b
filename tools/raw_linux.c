/*
 * raw_linux.c - the raw Linux baselines of ws2perf: what a Linux program
 * would write by hand for the same workloads (sendto, sendmmsg, writev,
 * io_uring through liburing). It owns its sockets and its receiver thread,
 * shaped like ws2perf's own (one recv per datagram, SO_RCVBUF 4 MiB, a
 * 100 ms receive timeout to notice the end), so the two sides differ only
 * in the sending calls. Linux only; only Linux headers and liburing here.
 */
#include "raw_linux.h"

#include <errno.h>
#include <liburing.h>
#include <malloc.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define RAW_RCVBUF (4 << 20)
#define RAW_MAX_K 1024
#define RAW_MAX_BUFS 1024
#define RAW_CLOCK_EVERY 64
#define RAW_MAX_THREADS 64

struct receiver {
    int fd;
    int stream;
    atomic_int stop;
    unsigned long long expect; /* datagrams sent, valid once stop is set */
    atomic_ullong bytes, msgs;
    pthread_t thread;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu(void)
{
    return (double)clock() / (double)CLOCKS_PER_SEC;
}

const char *raw_kind_name(int kind)
{
    static const char *names[RAW_KINDS] = {"sendto",   "sendmmsg",
                                           "io_uring", "writev",
                                           "io_uring", "io_uring",
                                           "io_uring"};
    return kind >= 0 && kind < RAW_KINDS ? names[kind] : "?";
}

static void *receive_main(void *p)
{
    struct receiver *r = p;
    static _Thread_local char buf[256 * 1024];

    for (;;) {
        ssize_t n = recv(r->fd, buf, sizeof(buf), 0);
        if (n > 0) {
            atomic_fetch_add_explicit(&r->bytes, (unsigned long long)n,
                                      memory_order_relaxed);
            atomic_fetch_add_explicit(&r->msgs, 1, memory_order_relaxed);
            if (!r->stream && atomic_load(&r->stop) &&
                atomic_load(&r->msgs) >= r->expect)
                break;
            continue;
        }
        if (n == 0)
            break; /* the stream's end */
        if (errno == EINTR)
            continue;
        if ((errno == EAGAIN || errno == EWOULDBLOCK) &&
            !atomic_load(&r->stop))
            continue;
        break; /* timed out after the end, or an error */
    }
    return NULL;
}

static int fail(const char *what)
{
    fprintf(stderr, "ws2perf: raw: %s: %s\n", what, strerror(errno));
    return -1;
}

static int loopback(int type, struct sockaddr_in *addr)
{
    socklen_t len = sizeof(*addr);
    int fd = socket(AF_INET, type, 0);
    if (fd < 0)
        return -1;
    memset(addr, 0, sizeof(*addr));
    addr->sin_family = AF_INET;
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)addr, sizeof(*addr)) < 0 ||
        getsockname(fd, (struct sockaddr *)addr, &len) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void receive_options(int fd)
{
    int rcvbuf = RAW_RCVBUF;
    struct timeval tv = {0, 100000};
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

/* Sets up the sending socket in *out and the receiver; for TCP a connected
 * pair. */
static int open_pair(const struct raw_spec *spec, struct receiver *r,
                     int *out, struct sockaddr_in *to)
{
    int stream = spec->kind == RAW_TCP_WRITEV || spec->kind == RAW_TCP_URING ||
                 spec->kind == RAW_TCP_URING_MT;
    memset(r, 0, sizeof(*r));
    r->stream = stream;
    if (!stream) {
        r->fd = loopback(SOCK_DGRAM, to);
        if (r->fd < 0)
            return fail("UDP receiver");
        *out = socket(AF_INET, SOCK_DGRAM, 0);
        if (*out < 0)
            return fail("UDP socket");
    } else {
        int lfd = loopback(SOCK_STREAM, to);
        if (lfd < 0 || listen(lfd, 1) < 0)
            return fail("TCP listener");
        *out = socket(AF_INET, SOCK_STREAM, 0);
        if (*out < 0 || connect(*out, (struct sockaddr *)to, sizeof(*to)) < 0)
            return fail("TCP connect");
        r->fd = accept(lfd, NULL, NULL);
        close(lfd);
        if (r->fd < 0)
            return fail("TCP accept");
    }
    receive_options(r->fd);
    if (spec->receive &&
        pthread_create(&r->thread, NULL, receive_main, r) != 0) {
        errno = EAGAIN;
        return fail("receiver thread");
    }
    return 0;
}

static void close_pair(const struct raw_spec *spec, struct receiver *r,
                       int fd, struct raw_result *res)
{
    r->expect = res->ops;
    atomic_store(&r->stop, 1);
    if (r->stream)
        shutdown(fd, SHUT_WR);
    if (spec->receive)
        pthread_join(r->thread, NULL);
    close(fd);
    close(r->fd);
    res->bytes_received = atomic_load(&r->bytes);
    res->msgs_received = atomic_load(&r->msgs);
}

struct clock_guard {
    unsigned long long count;
    double deadline;
};

static int done(const struct clock_guard *g, unsigned long long ops,
                unsigned long long *next_check)
{
    if (g->count)
        return ops >= g->count;
    if (ops < *next_check)
        return 0;
    *next_check = ops + RAW_CLOCK_EVERY;
    return now() >= g->deadline;
}

/* How many of k may still go without passing the count. */
static unsigned batch(const struct clock_guard *g, unsigned long long ops,
                      unsigned k)
{
    if (g->count && g->count - ops < k)
        return (unsigned)(g->count - ops);
    return k;
}

static void udp_sendto(int fd, const struct sockaddr_in *to, const char *buf,
                       const struct raw_spec *spec,
                       const struct clock_guard *g, struct raw_result *res)
{
    unsigned long long next = 0;
    while (!done(g, res->ops, &next)) {
        ssize_t n = sendto(fd, buf, spec->size, 0, (const struct sockaddr *)to,
                           sizeof(*to));
        res->calls++;
        if (n < 0) {
            res->errors++;
            continue;
        }
        res->ops++;
        res->bytes_sent += (unsigned long long)n;
    }
}

static void udp_sendmmsg(int fd, struct sockaddr_in *to, char *buf,
                         const struct raw_spec *spec,
                         const struct clock_guard *g, struct raw_result *res)
{
    static struct mmsghdr msgs[RAW_MAX_K];
    static struct iovec iov;
    unsigned long long next = 0;
    unsigned i;

    iov.iov_base = buf;
    iov.iov_len = spec->size;
    for (i = 0; i < spec->k; i++) {
        memset(&msgs[i], 0, sizeof(msgs[i]));
        msgs[i].msg_hdr.msg_name = to;
        msgs[i].msg_hdr.msg_namelen = sizeof(*to);
        msgs[i].msg_hdr.msg_iov = &iov;
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    while (!done(g, res->ops, &next)) {
        unsigned n = batch(g, res->ops, spec->k);
        int sent = sendmmsg(fd, msgs, n, 0);
        res->calls++;
        if (sent < 0) {
            res->errors++;
            continue;
        }
        res->ops += (unsigned)sent;
        res->bytes_sent += (unsigned long long)sent * spec->size;
    }
}

static void tcp_writev(int fd, char *buf, const struct raw_spec *spec,
                       const struct clock_guard *g, struct raw_result *res)
{
    static struct iovec iov[RAW_MAX_BUFS];
    unsigned long long next = 0;
    size_t total = (size_t)spec->bufs * spec->size;
    unsigned i;

    for (i = 0; i < spec->bufs; i++) {
        iov[i].iov_base = buf;
        iov[i].iov_len = spec->size;
    }
    while (!done(g, res->ops, &next)) {
        ssize_t n = writev(fd, iov, (int)spec->bufs);
        res->calls++;
        if (n < 0) {
            res->errors++;
            if (errno != EINTR)
                break;
            continue;
        }
        res->bytes_sent += (unsigned long long)n;
        /* A short write (rare on a blocking socket) counts what went. */
        if ((size_t)n == total)
            res->ops++;
    }
}

/* k SQEs per submission, then waits for all k: the batch shape of an
 * io_uring program with k requests outstanding. */
static int uring_loop(int fd, struct sockaddr_in *to, char *buf,
                      const struct raw_spec *spec,
                      const struct clock_guard *g, struct raw_result *res)
{
    /* Per thread: RAW_*_URING_MT runs this in several threads at once. */
    static _Thread_local struct iovec iov[RAW_MAX_BUFS];
    static _Thread_local struct msghdr msg;
    struct io_uring ring;
    unsigned long long next = 0;
    int stream = spec->kind == RAW_TCP_URING || spec->kind == RAW_TCP_URING_MT;
    unsigned nbufs = stream ? spec->bufs : 1, i;
    int rc = io_uring_queue_init(spec->k < 8 ? 8 : spec->k * 2, &ring, 0);

    if (rc < 0) {
        errno = -rc;
        return fail("io_uring_queue_init");
    }
    for (i = 0; i < nbufs; i++) {
        iov[i].iov_base = buf;
        iov[i].iov_len = spec->size;
    }
    memset(&msg, 0, sizeof(msg));
    msg.msg_name = to;
    msg.msg_namelen = sizeof(*to);
    msg.msg_iov = iov;
    msg.msg_iovlen = 1;
    while (!done(g, res->ops, &next)) {
        unsigned n = batch(g, res->ops, spec->k), got = 0;
        for (i = 0; i < n; i++) {
            struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
            if (stream)
                io_uring_prep_writev(sqe, fd, iov, nbufs, 0);
            else
                io_uring_prep_sendmsg(sqe, fd, &msg, 0);
        }
        rc = io_uring_submit_and_wait(&ring, n);
        res->calls++;
        if (rc < 0 && rc != -EINTR) {
            errno = -rc;
            io_uring_queue_exit(&ring);
            return fail("io_uring_submit_and_wait");
        }
        while (got < n) {
            struct io_uring_cqe *cqe;
            rc = io_uring_wait_cqe(&ring, &cqe);
            if (rc < 0)
                continue;
            if (cqe->res < 0) {
                res->errors++;
            } else {
                res->bytes_sent += (unsigned)cqe->res;
                if ((unsigned)cqe->res == nbufs * spec->size)
                    res->ops++;
            }
            io_uring_cqe_seen(&ring, cqe);
            got++;
        }
    }
    io_uring_queue_exit(&ring);
    return 0;
}

/* ---- RAW_*_URING_MT: the iocp mode's shape ----
 * T threads, each with its own ring, all on the one socket; thread i keeps
 * its share of the k requests (k/T, one more for the first k%T) and of
 * --count, so the total outstanding and the total count are the
 * workload's. */
struct uring_mt {
    int fd;
    struct sockaddr_in *to;
    char *buf;
    struct raw_spec spec; /* this thread's share */
    struct clock_guard g;
    struct raw_result res;
    int rc;
    pthread_t thread;
};

static void *uring_mt_main(void *p)
{
    struct uring_mt *m = p;
    m->rc = uring_loop(m->fd, m->to, m->buf, &m->spec, &m->g, &m->res);
    return NULL;
}

static unsigned long long share(unsigned long long total, unsigned parts,
                                unsigned i)
{
    return total / parts + (i < total % parts ? 1 : 0);
}

static int uring_mt(int fd, struct sockaddr_in *to, char *buf,
                    const struct raw_spec *spec, const struct clock_guard *g,
                    struct raw_result *res)
{
    static struct uring_mt m[RAW_MAX_THREADS];
    unsigned t = spec->threads ? spec->threads : 1, i, started = 0;
    int rc = 0;

    /* A thread with no request, or no operation to do, would idle. */
    if (t > spec->k)
        t = spec->k;
    if (g->count && t > g->count)
        t = (unsigned)g->count;
    if (t > RAW_MAX_THREADS)
        t = RAW_MAX_THREADS;
    for (i = 0; i < t; i++) {
        m[i] = (struct uring_mt){.fd = fd, .to = to, .buf = buf};
        m[i].spec = *spec;
        m[i].spec.k = (unsigned)share(spec->k, t, i);
        m[i].g = *g;
        m[i].g.count = g->count ? share(g->count, t, i) : 0;
        if (pthread_create(&m[i].thread, NULL, uring_mt_main, &m[i]) != 0) {
            errno = EAGAIN;
            rc = fail("io_uring thread");
            break;
        }
        started++;
    }
    for (i = 0; i < started; i++) {
        pthread_join(m[i].thread, NULL);
        res->ops += m[i].res.ops;
        res->bytes_sent += m[i].res.bytes_sent;
        res->errors += m[i].res.errors;
        res->calls += m[i].res.calls;
        if (m[i].rc < 0)
            rc = -1;
    }
    return rc;
}

int raw_run(const struct raw_spec *spec, struct raw_result *res)
{
    static char buf[256 * 1024];
    struct receiver r;
    struct sockaddr_in to;
    struct clock_guard g;
    double t0, c0;
    int fd = -1, rc = 0;

    memset(res, 0, sizeof(*res));
    if (spec->k == 0 || spec->k > RAW_MAX_K || spec->bufs > RAW_MAX_BUFS ||
        spec->size > sizeof(buf)) {
        fprintf(stderr, "ws2perf: raw: k, bufs or size out of range\n");
        return -1;
    }
    if (open_pair(spec, &r, &fd, &to) < 0)
        return -1;
    memset(buf, 'r', sizeof(buf));
    g.count = spec->count;
    t0 = now();
    c0 = cpu();
    g.deadline = t0 + spec->seconds;
    switch (spec->kind) {
    case RAW_UDP_SENDTO:
        udp_sendto(fd, &to, buf, spec, &g, res);
        break;
    case RAW_UDP_SENDMMSG:
        udp_sendmmsg(fd, &to, buf, spec, &g, res);
        break;
    case RAW_TCP_WRITEV:
        tcp_writev(fd, buf, spec, &g, res);
        break;
    case RAW_UDP_URING_MT:
    case RAW_TCP_URING_MT:
        rc = uring_mt(fd, &to, buf, spec, &g, res);
        break;
    default:
        rc = uring_loop(fd, &to, buf, spec, &g, res);
        break;
    }
    res->seconds = now() - t0;
    close_pair(spec, &r, fd, res);
    res->cpu = cpu() - c0;
    return rc;
}

unsigned long long raw_heap_bytes(void)
{
    struct mallinfo2 mi = mallinfo2();
    return (unsigned long long)mi.uordblks + (unsigned long long)mi.hblkhd;
}

unsigned long raw_raise_nofile(unsigned long want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 0;
    if (rl.rlim_cur < want) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want
                          ? want
                          : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0 &&
            getrlimit(RLIMIT_NOFILE, &rl) != 0)
            return 0;
    }
    return (unsigned long)rl.rlim_cur;
}

/* ---- the scale workload's ring ---- */

struct raw_ring {
    unsigned n;
    int ep;
    int *fd;
    struct sockaddr_in *addr;
};

void raw_ring_close(struct raw_ring *g)
{
    if (!g)
        return;
    for (unsigned i = 0; i < g->n; i++)
        close(g->fd[i]);
    if (g->ep >= 0)
        close(g->ep);
    free(g->fd);
    free(g->addr);
    free(g);
}

struct raw_ring *raw_ring_open(unsigned n)
{
    struct raw_ring *g = calloc(1, sizeof(*g));
    if (!g)
        return NULL;
    g->ep = epoll_create1(EPOLL_CLOEXEC);
    g->fd = calloc(n, sizeof(*g->fd));
    g->addr = calloc(n, sizeof(*g->addr));
    if (g->ep < 0 || !g->fd || !g->addr) {
        fail("ring");
        raw_ring_close(g);
        return NULL;
    }
    for (; g->n < n; g->n++) {
        int fd = loopback(SOCK_DGRAM | SOCK_NONBLOCK, &g->addr[g->n]);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = g->n};
        if (fd < 0 || epoll_ctl(g->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
            if (fd >= 0)
                close(fd);
            fail("ring socket");
            raw_ring_close(g);
            return NULL;
        }
        g->fd[g->n] = fd;
    }
    return g;
}

/* Socket i sends to socket i+1. */
static int ring_send(struct raw_ring *g, unsigned i)
{
    static const char msg[64] = "ring";
    unsigned to = (i + 1) % g->n;
    return sendto(g->fd[i], msg, sizeof(msg), 0,
                  (const struct sockaddr *)&g->addr[to],
                  sizeof(g->addr[to])) == (ssize_t)sizeof(msg)
               ? 0
               : -1;
}

/* Receives socket j's datagram (one is ever on its way to it: epoll is
 * level-triggered for any more); it lets its sender go again while
 * running. Returns the datagrams received (0 or 1), or -1. */
static int ring_take(struct raw_ring *g, unsigned j, int running)
{
    char buf[64];
    struct sockaddr_in from;
    socklen_t flen = sizeof(from);
    ssize_t r = recvfrom(g->fd[j], buf, sizeof(buf), 0,
                         (struct sockaddr *)&from, &flen);
    if (r < 0)
        return errno == EAGAIN ? 0 : -1;
    if (running && ring_send(g, (j + g->n - 1) % g->n) < 0)
        return -1;
    return 1;
}

int raw_ring_run(struct raw_ring *g, double seconds, double *wall_us,
                 double *cpu_us, unsigned long long *ops)
{
    struct epoll_event ev[256];
    unsigned long long got = 0, in_flight = g->n;
    double t0 = now(), c0 = cpu(), end = t0 + seconds;
    int running = 1;
    for (unsigned i = 0; i < g->n; i++)
        if (ring_send(g, i) < 0)
            return fail("ring sendto");
    while (in_flight > 0) {
        int k = epoll_wait(g->ep, ev, 256, 5000);
        if (k <= 0)
            return fail(k == 0 ? "ring stalled" : "epoll_wait");
        for (int e = 0; e < k; e++) {
            int r = ring_take(g, ev[e].data.u32, running);
            if (r < 0)
                return fail("ring recvfrom/sendto");
            got += (unsigned long long)r;
            if (!running)
                in_flight -= (unsigned long long)r;
        }
        if (running && now() >= end) {
            running = 0; /* n datagrams are on their way */
            in_flight = g->n;
        }
    }
    *ops = got;
    *wall_us = got ? (now() - t0) * 1e6 / (double)got : 0.0;
    *cpu_us = got ? (cpu() - c0) * 1e6 / (double)got : 0.0;
    return 0;
}

