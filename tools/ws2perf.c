/*
 * ws2perf.c - the ws2posix demo and benchmark: sends over loopback (or to
 * another ws2perf) with WSASendTo / WSASend in the four ways a Winsock
 * program can (blocking, non-blocking with select, overlapped with events,
 * overlapped with completion routines) and reports operations/s, MB/s, CPU
 * time per operation, bytes sent and received, errors, and the share of
 * requests that went pending. With --vs-raw (Linux only) each workload is
 * also run with raw Linux calls (raw_linux.c), interleaved, and the median
 * ratio printed.
 *
 * Plain Winsock code: the same source builds with x86_64-w64-mingw32-gcc
 * ... -lws2_32 for Windows. ws2perf(1) documents the options.
 */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws2perf_port.h"
#include "ws2perf_scale.h"
#ifdef WS2POSIX
#include "raw_linux.h"
#endif

#define PERF_MAX_BUFS 1024
#define PERF_MAX_K 1024
#define PERF_MAX_SIZE (256 * 1024)
#define PERF_RCVBUF (4 << 20)
#define PERF_CLOCK_EVERY 64
/* How long a stalled overlapped request may take before the run fails. */
#define PERF_STALL_MS 5000

enum proto { P_UDP, P_TCP };
enum mode { M_BLOCKING, M_NONBLOCKING, M_EVENT, M_ROUTINE, M_IOCP, M_MODES };
static const char *const mode_names[M_MODES] = {"blocking", "nonblocking",
                                                "event", "routine", "iocp"};
/* Worker threads on the completion port (iocp mode), at most. */
#define PERF_MAX_THREADS 64
#define PERF_IOCP_BATCH 64

struct workload {
    enum proto proto;
    enum mode mode;
    unsigned size; /* datagram size, or one TCP buffer's */
    unsigned bufs; /* TCP buffers per WSASend */
    unsigned k;    /* overlapped requests outstanding */
    unsigned threads; /* iocp mode: threads dequeuing from the port */
    char name[64];
};

struct options {
    unsigned long long count; /* operations per run; 0: run for seconds */
    int count_set;
    double seconds;
    int json, vs_raw, rounds, progress;
    const char *connect_to; /* host:port, or NULL for loopback */
    const char *listen_port;
    const char *callgrind;  /* ws2-blocking, ws2-event, raw-sendto */
    unsigned scale;         /* --scale N: the scale workload, N sockets */
};

struct result {
    unsigned long long ops, bytes_sent, bytes_received;
    unsigned long long msgs_received; /* datagrams; TCP: recv calls */
    unsigned long long errors, posts, pending;
    double seconds, cpu;
    int remote; /* received counts unknown: the peer is another process */
};

/* ---- output ---- */

static const char *prog = "ws2perf";

static void wsa_fail(const char *what)
{
    fprintf(stderr, "%s: %s failed with error %d\n", prog, what,
            WSAGetLastError());
}

static void workload_name(struct workload *w)
{
    int sync = w->mode == M_BLOCKING || w->mode == M_NONBLOCKING;
    char shape[32], k[16] = "";
    if (w->proto == P_UDP)
        snprintf(shape, sizeof(shape), "udp%u", w->size);
    else
        snprintf(shape, sizeof(shape), "tcp%ux%u", w->bufs, w->size);
    if (w->mode == M_IOCP)
        snprintf(k, sizeof(k), "_t%u_k%u", w->threads, w->k);
    else if (!sync)
        snprintf(k, sizeof(k), "_k%u", w->k);
    snprintf(w->name, sizeof(w->name), "%s_%s%s", shape, mode_names[w->mode],
             k);
}

static double per_s(double v, double seconds)
{
    return seconds > 0 ? v / seconds : 0.0;
}

static double share(unsigned long long part, unsigned long long whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* Datagrams lost: sent but never received (UDP over loopback drops when
 * the receiver's buffer is full; that is reported, never hidden). */
static double lost_pct(const struct workload *w, unsigned long long sent,
                       unsigned long long received)
{
    if (w->proto != P_UDP || sent == 0 || received >= sent)
        return 0.0;
    return share(sent - received, sent);
}

static double loss_pct(const struct workload *w, const struct result *r)
{
    return r->remote ? 0.0 : lost_pct(w, r->ops, r->msgs_received);
}

static void print_result(const struct options *o, const struct workload *w,
                         const struct result *r)
{
    double ops = per_s((double)r->ops, r->seconds);
    double mbs = per_s((double)r->bytes_sent, r->seconds) / 1e6;
    double cpu_us = r->ops ? r->cpu * 1e6 / (double)r->ops : 0.0;
    char recv[48];

    if (o->json) {
        if (r->remote)
            snprintf(recv, sizeof(recv), "null");
        else
            snprintf(recv, sizeof(recv), "%.0f", (double)r->bytes_received);
        printf("{\"name\":\"%s\",\"proto\":\"%s\",\"mode\":\"%s\","
               "\"size\":%u,\"bufs\":%u,\"k\":%u,\"ops\":%.0f,"
               "\"seconds\":%.6f,\"ops_per_s\":%.1f,\"mb_per_s\":%.3f,"
               "\"cpu_us_per_op\":%.4f,\"bytes_sent\":%.0f,"
               "\"bytes_received\":%s,\"datagrams_received\":%.0f,"
               "\"loss_pct\":%.3f,\"errors\":%.0f,\"pending_pct\":%.2f}\n",
               w->name, w->proto == P_UDP ? "udp" : "tcp",
               mode_names[w->mode], w->size, w->bufs, w->k, (double)r->ops,
               r->seconds, ops, mbs, cpu_us, (double)r->bytes_sent, recv,
               w->proto == P_UDP ? (double)r->msgs_received : 0.0,
               loss_pct(w, r), (double)r->errors,
               share(r->pending, r->posts));
    } else {
        if (r->remote)
            snprintf(recv, sizeof(recv), "n/a");
        else
            snprintf(recv, sizeof(recv), "%.0f", (double)r->bytes_received);
        printf("%s: %.0f ops/s %.2f MB/s %.3f us-cpu/op sent %.0f B "
               "received %s B loss %.2f%% errors %.0f pending %.1f%%\n",
               w->name, ops, mbs, cpu_us, (double)r->bytes_sent, recv,
               loss_pct(w, r), (double)r->errors,
               share(r->pending, r->posts));
    }
    fflush(stdout);
}

/* ---- the run: deadline, progress ---- */

struct run {
    const struct options *o;
    const struct workload *w;
    struct result *r;
    double start, deadline, next_progress;
    unsigned long long next_check;
    int stop;
};

static void progress(struct run *run, double now)
{
    printf("\r%s: %.1f s, %.0f ops ", run->w->name, now - run->start,
           (double)run->r->ops);
    fflush(stdout);
    run->next_progress = now + 0.5;
}

/* True once the run has done its operations or its time. The clock is
 * read every PERF_CLOCK_EVERY operations only. */
static int run_done(struct run *run)
{
    double now;
    if (run->stop)
        return 1;
    if (run->o->count_set && run->r->ops >= run->o->count)
        return run->stop = 1;
    if (run->o->count_set && !run->o->progress)
        return 0;
    if (run->r->ops < run->next_check)
        return 0;
    run->next_check = run->r->ops + PERF_CLOCK_EVERY;
    now = perf_now();
    if (run->o->progress && now >= run->next_progress)
        progress(run, now);
    if (!run->o->count_set && now >= run->deadline)
        run->stop = 1;
    return run->stop;
}

/* ---- the receiver thread ---- */

struct receiver {
    SOCKET s;
    int stream;
    volatile LONG stop;
    unsigned long long expect; /* datagrams sent; read once stop is set */
    unsigned long long bytes, msgs;
    DWORD idle_ms; /* a receive timeout after stop ends the thread */
};

static void receive_main(void *p)
{
    static char buf[256 * 1024];
    struct receiver *r = p;

    for (;;) {
        int n = recv(r->s, buf, (int)sizeof(buf), 0);
        if (n > 0) {
            r->bytes += (unsigned)n;
            r->msgs++;
            if (!r->stream && __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE) &&
                r->msgs >= r->expect)
                break;
            continue;
        }
        if (n == 0)
            break; /* the sender shut its side down */
        if (WSAGetLastError() == WSAETIMEDOUT &&
            !__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE))
            continue;
        /* Timed out after the end, or an error (WSAECONNRESET from an
         * ICMP on a UDP socket would also end up here). */
        break;
    }
}

static void receive_options(SOCKET s, DWORD timeout_ms)
{
    int rcvbuf = PERF_RCVBUF;
    setsockopt(s, SOL_SOCKET, SO_RCVBUF, (const char *)&rcvbuf,
               (int)sizeof(rcvbuf));
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, (const char *)&timeout_ms,
               (int)sizeof(timeout_ms));
}

/* ---- the sender: one operation, the four modes ---- */

struct slot {
    WSAOVERLAPPED ov; /* first: a completion routine's lpOverlapped */
    struct sender *sender;
    int busy;
};

struct sender {
    SOCKET s;
    int stream;
    const struct sockaddr *to;
    int tolen;
    WSABUF bufs[PERF_MAX_BUFS];
    DWORD nbufs;
    unsigned long long total; /* bytes in one operation */
    struct run *run;
    struct slot slots[PERF_MAX_K];
    WSAEVENT events[WSA_MAXIMUM_WAIT_EVENTS];
    unsigned free_slots[PERF_MAX_K];
    unsigned nfree, busy;
};

static int post(struct sender *sd, WSABUF *bufs, DWORD nbufs, DWORD *sent,
                LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE cr)
{
    if (sd->stream)
        return WSASend(sd->s, bufs, nbufs, sent, 0, ov, cr);
    return WSASendTo(sd->s, bufs, nbufs, sent, 0, sd->to, sd->tolen, ov, cr);
}

static void count_done(struct result *r, unsigned long long bytes)
{
    r->ops++;
    r->bytes_sent += bytes;
}

/* Another request may start: the run is not done, and with --count the
 * outstanding ones will not carry it past the count. */
static int may_post(struct sender *sd)
{
    const struct options *o = sd->run->o;
    if (run_done(sd->run))
        return 0;
    return !o->count_set || sd->run->r->ops + sd->busy < o->count;
}

static int run_blocking(struct sender *sd)
{
    struct result *r = sd->run->r;
    while (!run_done(sd->run)) {
        DWORD sent = 0;
        r->posts++;
        if (post(sd, sd->bufs, sd->nbufs, &sent, NULL, NULL) == 0) {
            count_done(r, sent);
            continue;
        }
        r->errors++;
        wsa_fail(sd->stream ? "WSASend" : "WSASendTo");
        return -1;
    }
    return 0;
}

static int wait_writable(SOCKET s)
{
    fd_set w;
    struct timeval tv = {PERF_STALL_MS / 1000, 0};
    FD_ZERO(&w);
    FD_SET(s, &w);
    if (select(0, NULL, &w, NULL, &tv) == 1)
        return 0;
    wsa_fail("select (or a stall)");
    return -1;
}

/* Drops the first n bytes of a WSABUF array (a partial stream send). */
static void advance(WSABUF *bufs, DWORD *first, DWORD nbufs, DWORD n)
{
    while (n > 0 && *first < nbufs) {
        WSABUF *b = &bufs[*first];
        if (n < b->len) {
            b->buf += n;
            b->len -= n;
            return;
        }
        n -= b->len;
        (*first)++;
    }
}

/* One operation in non-blocking mode: a stream may take part of it, then
 * the rest after select says the socket is writable again. */
static int nonblocking_op(struct sender *sd, WSABUF *work)
{
    struct result *r = sd->run->r;
    unsigned long long done = 0;
    DWORD first = 0;

    memcpy(work, sd->bufs, sd->nbufs * sizeof(*work));
    while (done < sd->total) {
        DWORD sent = 0;
        r->posts++;
        if (post(sd, work + first, sd->nbufs - first, &sent, NULL, NULL) ==
            0) {
            done += sent;
            advance(work, &first, sd->nbufs, sent);
            continue;
        }
        if (WSAGetLastError() != WSAEWOULDBLOCK) {
            r->errors++;
            wsa_fail(sd->stream ? "WSASend" : "WSASendTo");
            return -1;
        }
        r->pending++;
        if (wait_writable(sd->s) < 0)
            return -1;
    }
    count_done(r, done);
    return 0;
}

static int run_nonblocking(struct sender *sd)
{
    static WSABUF work[PERF_MAX_BUFS];
    u_long on = 1;
    if (ioctlsocket(sd->s, FIONBIO, &on) == SOCKET_ERROR) {
        wsa_fail("ioctlsocket(FIONBIO)");
        return -1;
    }
    while (!run_done(sd->run))
        if (nonblocking_op(sd, work) < 0)
            return -1;
    on = 0;
    ioctlsocket(sd->s, FIONBIO, &on);
    return 0;
}

/* Posts slot i with an event. Returns 1 when it completed at once (the slot
 * is free again), 0 when pending, -1 on an error. */
static int post_event(struct sender *sd, unsigned i)
{
    struct slot *sl = &sd->slots[i];
    struct result *r = sd->run->r;
    DWORD sent = 0;

    memset(&sl->ov, 0, sizeof(sl->ov));
    sl->ov.hEvent = sd->events[i];
    r->posts++;
    if (post(sd, sd->bufs, sd->nbufs, &sent, &sl->ov, NULL) == 0) {
        count_done(r, sent);
        return 1;
    }
    if (WSAGetLastError() == WSA_IO_PENDING) {
        r->pending++;
        sl->busy = 1;
        sd->busy++;
        return 0;
    }
    r->errors++;
    wsa_fail(sd->stream ? "overlapped WSASend" : "overlapped WSASendTo");
    return -1;
}

/* Keeps slot i busy until the run is done; a free slot's event is reset
 * so that the last waits see only busy slots. */
static int refill_event(struct sender *sd, unsigned i)
{
    int rc = 1;
    while (rc == 1 && may_post(sd))
        rc = post_event(sd, i);
    if (rc == 1)
        WSAResetEvent(sd->events[i]);
    return rc < 0 ? -1 : 0;
}

static int reap_event(struct sender *sd, unsigned i)
{
    struct slot *sl = &sd->slots[i];
    DWORD n = 0, flags = 0;
    if (!sl->busy || !HasOverlappedIoCompleted(&sl->ov))
        return 0;
    sl->busy = 0;
    sd->busy--;
    if (!WSAGetOverlappedResult(sd->s, &sl->ov, &n, FALSE, &flags)) {
        sd->run->r->errors++;
        wsa_fail("WSAGetOverlappedResult");
        return -1;
    }
    count_done(sd->run->r, n);
    return refill_event(sd, i);
}

static int run_event(struct sender *sd, unsigned k)
{
    unsigned i;
    int rc = 0;
    for (i = 0; i < k && rc == 0; i++)
        rc = refill_event(sd, i);
    while (sd->busy > 0) {
        DWORD w = WSAWaitForMultipleEvents(k, sd->events, FALSE,
                                           PERF_STALL_MS, FALSE);
        if (w >= WSA_WAIT_EVENT_0 + k) {
            fprintf(stderr, "%s: WSAWaitForMultipleEvents returned %u "
                    "(error %d)\n", prog, (unsigned)w, WSAGetLastError());
            return -1;
        }
        /* Events below w were not set when the wait looked. */
        for (i = w - WSA_WAIT_EVENT_0; i < k; i++)
            if (reap_event(sd, i) < 0)
                rc = -1;
        if (rc < 0)
            sd->run->stop = 1;
    }
    return rc;
}

static void CALLBACK routine_done(DWORD err, DWORD n, LPWSAOVERLAPPED ov,
                                  DWORD flags)
{
    struct slot *sl = (struct slot *)ov;
    struct sender *sd = sl->sender;
    (void)flags;
    sl->busy = 0;
    sd->busy--;
    sd->free_slots[sd->nfree++] = (unsigned)(sl - sd->slots);
    if (err != 0) {
        sd->run->r->errors++;
        fprintf(stderr, "%s: completion routine: error %u\n", prog,
                (unsigned)err);
        sd->run->stop = 1;
        return;
    }
    count_done(sd->run->r, n);
}

/* Posts slot i with a completion routine: it runs in a later alertable
 * wait, also when the send completed at once. */
static int post_routine(struct sender *sd, unsigned i)
{
    struct slot *sl = &sd->slots[i];
    struct result *r = sd->run->r;
    DWORD sent = 0;

    memset(&sl->ov, 0, sizeof(sl->ov));
    sl->sender = sd;
    sl->busy = 1;
    sd->busy++;
    r->posts++;
    if (post(sd, sd->bufs, sd->nbufs, &sent, &sl->ov, routine_done) == 0)
        return 0;
    if (WSAGetLastError() == WSA_IO_PENDING) {
        r->pending++;
        return 0;
    }
    sl->busy = 0;
    sd->busy--;
    r->errors++;
    wsa_fail(sd->stream ? "overlapped WSASend" : "overlapped WSASendTo");
    return -1;
}

static int run_routine(struct sender *sd, unsigned k)
{
    unsigned i;
    sd->nfree = 0;
    for (i = k; i > 0; i--)
        sd->free_slots[sd->nfree++] = i - 1;
    for (;;) {
        /* Outstanding plus completed may not pass the count. */
        while (sd->nfree > 0 && may_post(sd))
            if (post_routine(sd, sd->free_slots[--sd->nfree]) < 0) {
                sd->run->stop = 1;
                break;
            }
        if (sd->busy == 0)
            break;
        if (SleepEx(PERF_STALL_MS, TRUE) != WAIT_IO_COMPLETION) {
            fprintf(stderr, "%s: no completion routine ran in %d ms\n", prog,
                    PERF_STALL_MS);
            return -1;
        }
    }
    return sd->run->r->errors ? -1 : 0;
}

/* ---- iocp mode: a completion port, T threads, K requests ----
 * The sending socket is associated with a port; the main thread posts K
 * requests, then T threads dequeue with GetQueuedCompletionStatusEx and
 * post the request of each completion again, until the run is done. A
 * request that completes at once still comes through the port (no
 * FILE_SKIP_COMPLETION_PORT_ON_SUCCESS), as in a plain IOCP server. The
 * counters are per thread (padded apart) and summed at the end; the
 * shared state is interlocked. */

struct iocp_worker {
    struct iocp_run *ir;
    perf_thread thread;
    unsigned long long ops, bytes, posts, pending, errors;
    char pad[64]; /* keeps two workers' counters off one cache line */
};

struct iocp_run {
    struct sender *sd;
    HANDLE port;
    unsigned threads;
    volatile LONG stop;        /* time is up, or an error */
    volatile LONG64 tickets;   /* --count: requests that may still start */
    volatile LONG outstanding; /* requests posted and not yet dequeued */
    struct iocp_worker w[PERF_MAX_THREADS];
    struct iocp_worker starter; /* the main thread's first posts */
};

#define PERF_IOCP_QUIT 1 /* completion key of the packets that end a thread */

/* Another request may start: not stopped, and (--count) a ticket left. */
static int iocp_may_post(struct iocp_run *ir, struct iocp_worker *w)
{
    const struct options *o = ir->sd->run->o;
    if (InterlockedCompareExchange(&ir->stop, 0, 0))
        return 0;
    if (o->count_set)
        return InterlockedDecrement64(&ir->tickets) >= 0;
    /* The clock, every PERF_CLOCK_EVERY operations of this thread. */
    if (w->ops % PERF_CLOCK_EVERY == 0 &&
        perf_now() >= ir->sd->run->deadline) {
        InterlockedExchange(&ir->stop, 1);
        return 0;
    }
    return 1;
}

/* A request that will not start again: the last one ends every thread. */
static void iocp_retire(struct iocp_run *ir)
{
    unsigned i;
    if (InterlockedDecrement(&ir->outstanding) != 0)
        return;
    for (i = 0; i < ir->threads; i++)
        PostQueuedCompletionStatus(ir->port, 0, PERF_IOCP_QUIT, NULL);
}

/* Posts slot sl; its completion comes through the port either way. */
static int iocp_post(struct iocp_run *ir, struct iocp_worker *w,
                     struct slot *sl)
{
    struct sender *sd = ir->sd;
    DWORD sent = 0;
    memset(&sl->ov, 0, sizeof(sl->ov));
    w->posts++;
    if (post(sd, sd->bufs, sd->nbufs, &sent, &sl->ov, NULL) == 0)
        return 0;
    if (WSAGetLastError() == WSA_IO_PENDING) {
        w->pending++;
        return 0;
    }
    w->errors++;
    wsa_fail(sd->stream ? "overlapped WSASend" : "overlapped WSASendTo");
    InterlockedExchange(&ir->stop, 1);
    iocp_retire(ir);
    return -1;
}

/* One dequeued packet of a request: count it, start it again or retire
 * it. */
static void iocp_completed(struct iocp_run *ir, struct iocp_worker *w,
                           const OVERLAPPED_ENTRY *e)
{
    struct slot *sl = (struct slot *)e->lpOverlapped;
    if (e->Internal != 0) {
        DWORD n = 0, flags = 0;
        WSAGetOverlappedResult(ir->sd->s, &sl->ov, &n, FALSE, &flags);
        w->errors++;
        wsa_fail("an overlapped send (completion port)");
        InterlockedExchange(&ir->stop, 1);
        iocp_retire(ir);
        return;
    }
    w->ops++;
    w->bytes += e->dwNumberOfBytesTransferred;
    if (iocp_may_post(ir, w))
        iocp_post(ir, w, sl);
    else
        iocp_retire(ir);
}

static void iocp_worker_main(void *p)
{
    struct iocp_worker *w = p;
    struct iocp_run *ir = w->ir;
    OVERLAPPED_ENTRY e[PERF_IOCP_BATCH];
    ULONG quits = 0;

    while (quits == 0) {
        ULONG i, n = 0;
        if (!GetQueuedCompletionStatusEx(ir->port, e, PERF_IOCP_BATCH, &n,
                                         PERF_STALL_MS, FALSE)) {
            fprintf(stderr, "%s: GetQueuedCompletionStatusEx: error %lu "
                    "(a stall?)\n", prog, (unsigned long)GetLastError());
            w->errors++;
            InterlockedExchange(&ir->stop, 1);
            return;
        }
        for (i = 0; i < n; i++) {
            if (e[i].lpOverlapped)
                iocp_completed(ir, w, &e[i]);
            else if (e[i].lpCompletionKey == PERF_IOCP_QUIT)
                quits++;
        }
    }
    /* One quit per thread: give back those that came in this batch. */
    while (--quits > 0)
        PostQueuedCompletionStatus(ir->port, 0, PERF_IOCP_QUIT, NULL);
}

/* Posts the first requests: K, or fewer with --count. */
static int iocp_start(struct iocp_run *ir, unsigned k)
{
    unsigned i;
    for (i = 0; i < k; i++) {
        if (!iocp_may_post(ir, &ir->starter))
            break;
        InterlockedIncrement(&ir->outstanding);
        if (iocp_post(ir, &ir->starter, &ir->sd->slots[i]) < 0)
            return -1;
    }
    return 0;
}

static void iocp_sum(struct iocp_run *ir, unsigned started)
{
    struct result *r = ir->sd->run->r;
    unsigned i;
    for (i = 0; i <= started; i++) {
        struct iocp_worker *w = i < started ? &ir->w[i] : &ir->starter;
        r->ops += w->ops;
        r->bytes_sent += w->bytes;
        r->posts += w->posts;
        r->pending += w->pending;
        r->errors += w->errors;
    }
}

static int run_iocp(struct sender *sd, const struct workload *w)
{
    static struct iocp_run ir;
    unsigned i, started = 0;
    int rc = 0;

    memset(&ir, 0, sizeof(ir));
    ir.sd = sd;
    ir.threads = w->threads;
    ir.tickets = (LONG64)sd->run->o->count;
    ir.port = CreateIoCompletionPort((HANDLE)sd->s, NULL, 0, 0);
    if (!ir.port) {
        fprintf(stderr, "%s: CreateIoCompletionPort: error %lu\n", prog,
                (unsigned long)GetLastError());
        return -1;
    }
    /* A guard request, retired once the first requests are posted, so
     * that the count cannot reach 0 before all of them are. */
    ir.outstanding = 1;
    for (i = 0; i < w->threads; i++) {
        ir.w[i].ir = &ir;
        if (perf_thread_start(&ir.w[i].thread, iocp_worker_main,
                              &ir.w[i]) != 0) {
            fprintf(stderr, "%s: cannot start an iocp thread\n", prog);
            InterlockedExchange(&ir.stop, 1);
            rc = -1;
            break;
        }
        started++;
    }
    if (rc == 0 && iocp_start(&ir, w->k) < 0)
        rc = -1;
    ir.threads = started;
    iocp_retire(&ir); /* the guard */
    for (i = 0; i < started; i++)
        perf_thread_join(&ir.w[i].thread);
    iocp_sum(&ir, started);
    CloseHandle(ir.port);
    return rc < 0 || sd->run->r->errors ? -1 : 0;
}

static int run_mode(struct sender *sd, const struct workload *w)
{
    unsigned i, k = w->k;
    int rc;

    switch (w->mode) {
    case M_BLOCKING:
        return run_blocking(sd);
    case M_NONBLOCKING:
        return run_nonblocking(sd);
    case M_EVENT:
        for (i = 0; i < k; i++) {
            sd->events[i] = WSACreateEvent();
            if (sd->events[i] == WSA_INVALID_EVENT) {
                wsa_fail("WSACreateEvent");
                return -1;
            }
        }
        rc = run_event(sd, k);
        for (i = 0; i < k; i++)
            WSACloseEvent(sd->events[i]);
        return rc;
    case M_IOCP:
        return run_iocp(sd, w);
    default:
        return run_routine(sd, k);
    }
}

/* ---- sockets ---- */

static SOCKET open_socket(int af, int stream)
{
    SOCKET s = WSASocketW(af, stream ? SOCK_STREAM : SOCK_DGRAM,
                          stream ? IPPROTO_TCP : IPPROTO_UDP, NULL, 0,
                          WSA_FLAG_OVERLAPPED);
    if (s == INVALID_SOCKET)
        wsa_fail("WSASocketW");
    return s;
}

/* A loopback receiving socket (UDP) or listener (TCP) on an ephemeral
 * port; its address in *addr. */
static SOCKET open_loopback(int stream, SOCKADDR_IN *addr)
{
    int len = (int)sizeof(*addr);
    SOCKET s = open_socket(AF_INET, stream);
    if (s == INVALID_SOCKET)
        return s;
    memset(addr, 0, sizeof(*addr));
    addr->sin_family = AF_INET;
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(s, (struct sockaddr *)addr, (int)sizeof(*addr)) != 0 ||
        getsockname(s, (struct sockaddr *)addr, &len) != 0 ||
        (stream && listen(s, 1) != 0)) {
        wsa_fail("bind/getsockname/listen");
        closesocket(s);
        return INVALID_SOCKET;
    }
    return s;
}

static struct addrinfo *resolve(const char *hostport, int stream)
{
    char host[256];
    const char *colon = strrchr(hostport, ':');
    struct addrinfo hints, *ai = NULL;
    size_t n;
    int rc;

    if (!colon || colon == hostport ||
        (n = (size_t)(colon - hostport)) >= sizeof(host)) {
        fprintf(stderr, "%s: --connect wants host:port\n", prog);
        return NULL;
    }
    memcpy(host, hostport, n);
    host[n] = 0;
    if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
        memmove(host, host + 1, n - 2);
        host[n - 2] = 0;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = stream ? SOCK_STREAM : SOCK_DGRAM;
    rc = getaddrinfo(host, colon + 1, &hints, &ai);
    if (rc != 0) {
        fprintf(stderr, "%s: getaddrinfo(%s): error %d\n", prog, hostport,
                rc);
        return NULL;
    }
    return ai;
}

/* The sending socket and (on loopback) the receiver. */
struct endpoints {
    SOCKET tx, rx, listener;
    SOCKADDR_IN local;
    struct addrinfo *remote;
    struct receiver recv;
    perf_thread thread;
    int receiving;
};

static int open_endpoints(const struct options *o, const struct workload *w,
                          struct endpoints *ep, int receive)
{
    int stream = w->proto == P_TCP;
    memset(ep, 0, sizeof(*ep));
    ep->tx = ep->rx = ep->listener = INVALID_SOCKET;
    if (o->connect_to) {
        ep->remote = resolve(o->connect_to, stream);
        if (!ep->remote)
            return -1;
        ep->tx = open_socket(ep->remote->ai_family, stream);
        if (ep->tx == INVALID_SOCKET)
            return -1;
        if (stream && connect(ep->tx, ep->remote->ai_addr,
                              (int)ep->remote->ai_addrlen) != 0) {
            wsa_fail("connect");
            return -1;
        }
        return 0;
    }
    ep->rx = open_loopback(stream, &ep->local);
    if (ep->rx == INVALID_SOCKET)
        return -1;
    ep->tx = open_socket(AF_INET, stream);
    if (ep->tx == INVALID_SOCKET)
        return -1;
    if (stream) {
        ep->listener = ep->rx;
        if (connect(ep->tx, (struct sockaddr *)&ep->local,
                    (int)sizeof(ep->local)) != 0) {
            wsa_fail("connect");
            return -1;
        }
        ep->rx = accept(ep->listener, NULL, NULL);
        if (ep->rx == INVALID_SOCKET) {
            wsa_fail("accept");
            return -1;
        }
    }
    receive_options(ep->rx, 100);
    ep->recv.s = ep->rx;
    ep->recv.stream = stream;
    if (receive) {
        if (perf_thread_start(&ep->thread, receive_main, &ep->recv) != 0) {
            fprintf(stderr, "%s: cannot start the receiver thread\n", prog);
            return -1;
        }
        ep->receiving = 1;
    }
    return 0;
}

/* Ends the run: the receiver drains what is on its way, then stops. */
static void close_endpoints(struct endpoints *ep, const struct workload *w,
                            struct result *r)
{
    ep->recv.expect = r->ops;
    __atomic_store_n(&ep->recv.stop, 1, __ATOMIC_RELEASE);
    if (w->proto == P_TCP && ep->tx != INVALID_SOCKET)
        shutdown(ep->tx, SD_SEND);
    if (ep->receiving)
        perf_thread_join(&ep->thread);
    r->bytes_received = ep->recv.bytes;
    r->msgs_received = ep->recv.msgs;
    r->remote = ep->remote != NULL;
    if (ep->tx != INVALID_SOCKET)
        closesocket(ep->tx);
    if (ep->rx != INVALID_SOCKET)
        closesocket(ep->rx);
    if (ep->listener != INVALID_SOCKET)
        closesocket(ep->listener);
    if (ep->remote)
        freeaddrinfo(ep->remote);
}

/* One run of one workload. receive = 0 leaves the UDP datagrams unread
 * (the callgrind runs count the sender only). */
static int run_workload(const struct options *o, const struct workload *w,
                        struct result *r, int receive)
{
    static char payload[PERF_MAX_SIZE];
    static struct sender sd;
    struct endpoints ep;
    struct run run;
    double c0;
    unsigned i;
    int rc;

    memset(r, 0, sizeof(*r));
    memset(&run, 0, sizeof(run));
    memset(payload, 'w', sizeof(payload));
    run.o = o;
    run.w = w;
    run.r = r;
    if (open_endpoints(o, w, &ep, receive) < 0) {
        close_endpoints(&ep, w, r);
        return -1;
    }
    memset(&sd, 0, sizeof(sd));
    sd.s = ep.tx;
    sd.stream = w->proto == P_TCP;
    sd.to = ep.remote ? ep.remote->ai_addr : (struct sockaddr *)&ep.local;
    sd.tolen = ep.remote ? (int)ep.remote->ai_addrlen : (int)sizeof(ep.local);
    sd.nbufs = sd.stream ? w->bufs : 1;
    for (i = 0; i < sd.nbufs; i++) {
        sd.bufs[i].buf = payload;
        sd.bufs[i].len = w->size;
    }
    sd.total = (unsigned long long)sd.nbufs * w->size;
    sd.run = &run;

    run.start = perf_now();
    c0 = perf_cpu();
    run.deadline = run.start + o->seconds;
    run.next_progress = run.start + 0.5;
    rc = run_mode(&sd, w);
    r->seconds = perf_now() - run.start;
    close_endpoints(&ep, w, r);
    r->cpu = perf_cpu() - c0;
    if (o->progress)
        printf("\r%*s\r", 60, "");
    return rc;
}

/* ---- the two-process receiver (--listen) ---- */

static int listen_main(const struct options *o, enum proto proto)
{
    int stream = proto == P_TCP;
    SOCKADDR_IN6 addr;
    struct receiver r;
    SOCKET s, ls;
    double t0, t;
    int v6only = 0;

    ls = open_socket(AF_INET6, stream);
    if (ls == INVALID_SOCKET)
        return 1;
    setsockopt(ls, IPPROTO_IPV6, IPV6_V6ONLY, (const char *)&v6only,
               (int)sizeof(v6only));
    memset(&addr, 0, sizeof(addr));
    addr.sin6_family = AF_INET6;
    addr.sin6_port = htons((u_short)atoi(o->listen_port));
    if (bind(ls, (struct sockaddr *)&addr, (int)sizeof(addr)) != 0 ||
        (stream && listen(ls, 1) != 0)) {
        wsa_fail("bind/listen");
        return 1;
    }
    printf("%s: listening on %s port %s\n", prog, stream ? "TCP" : "UDP",
           o->listen_port);
    fflush(stdout);
    s = stream ? accept(ls, NULL, NULL) : ls;
    if (s == INVALID_SOCKET) {
        wsa_fail("accept");
        return 1;
    }
    memset(&r, 0, sizeof(r));
    r.s = s;
    r.stream = stream;
    /* UDP: the run ends after two quiet seconds (after the first
     * datagram: the blocking recv waits for that without a timeout). */
    if (!stream) {
        static char first[PERF_MAX_SIZE];
        int n = recv(s, first, (int)sizeof(first), 0);
        if (n < 0) {
            wsa_fail("recv");
            return 1;
        }
        r.bytes = (unsigned)n;
        r.msgs = 1;
        r.stop = 1;
        r.expect = ~0ULL;
    }
    receive_options(s, stream ? 0 : 2000);
    t0 = perf_now();
    receive_main(&r);
    t = perf_now() - t0 - (stream ? 0.0 : 2.0);
    if (o->json)
        printf("{\"name\":\"listen_%s\",\"bytes_received\":%.0f,"
               "\"receives\":%.0f,\"seconds\":%.6f,\"mb_per_s\":%.3f}\n",
               stream ? "tcp" : "udp", (double)r.bytes, (double)r.msgs, t,
               per_s((double)r.bytes, t) / 1e6);
    else
        printf("listen_%s: received %.0f B in %.0f receives, %.3f s, "
               "%.2f MB/s\n", stream ? "tcp" : "udp", (double)r.bytes,
               (double)r.msgs, t, per_s((double)r.bytes, t) / 1e6);
    if (s != ls)
        closesocket(s);
    closesocket(ls);
    return 0;
}

/* ---- --vs-raw ---- */

#ifdef WS2POSIX
#define RAW_MAX_BASES 3

/* iocp mode: the plain call, and io_uring in the same shape (T threads,
 * each with its own ring and its share of the K requests). */
static int raw_bases_iocp(const struct workload *w, int *kinds)
{
    kinds[0] = w->proto == P_UDP ? RAW_UDP_SENDTO : RAW_TCP_WRITEV;
    kinds[1] = w->proto == P_UDP ? RAW_UDP_URING_MT : RAW_TCP_URING_MT;
    return 2;
}

static int raw_bases(const struct workload *w, int *kinds)
{
    int overlapped = w->mode == M_EVENT || w->mode == M_ROUTINE;
    int n = 0;
    if (w->mode == M_IOCP)
        return raw_bases_iocp(w, kinds);
    if (w->proto == P_UDP) {
        kinds[n++] = RAW_UDP_SENDTO;
        if (overlapped) {
            kinds[n++] = RAW_UDP_SENDMMSG;
            kinds[n++] = RAW_UDP_URING;
        }
    } else {
        kinds[n++] = RAW_TCP_WRITEV;
        if (overlapped)
            kinds[n++] = RAW_TCP_URING;
    }
    return n;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
    double s[64];
    memcpy(s, v, (size_t)n * sizeof(*v));
    qsort(s, (size_t)n, sizeof(*s), cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
}

struct vs_row {
    char name[64];
    char raw[24];
    double ws2_ops, raw_ops, ratio, ws2_cpu, raw_cpu, lo, hi;
    double ws2_loss, raw_loss; /* median % of datagrams never received */
};

/* A side that loses more datagrams spares its receiver that work: its
 * ratio of sends is no like-for-like comparison. */
#define PERF_LOSS_APART 1.0 /* percentage points */

static void raw_spec_of(const struct options *o, const struct workload *w,
                        int kind, struct raw_spec *spec)
{
    memset(spec, 0, sizeof(*spec));
    spec->kind = kind;
    spec->size = w->size;
    spec->bufs = w->bufs;
    spec->k = kind == RAW_UDP_SENDTO || kind == RAW_TCP_WRITEV ? 1 : w->k;
    spec->threads = w->threads;
    spec->count = o->count_set ? o->count : 0;
    spec->seconds = o->seconds;
    spec->receive = 1;
}

/* Rounds of A (ws2posix) then B (each raw baseline), interleaved so that
 * drift in the machine hits both; the median ratio of ops/s. */
static int vs_raw(const struct options *o, const struct workload *w,
                  struct vs_row *rows, int *nrows)
{
    int kinds[RAW_MAX_BASES], nb = raw_bases(w, kinds), i, b;
    double ratio[RAW_MAX_BASES][64], ws2[64], raw[RAW_MAX_BASES][64];
    double ws2c[64], rawc[RAW_MAX_BASES][64];
    double ws2l[64], rawl[RAW_MAX_BASES][64];
    int rounds = w->proto == P_TCP && o->rounds <= 0 ? 7
                 : o->rounds <= 0                    ? 5
                                                     : o->rounds;

    if (rounds > 64)
        rounds = 64;
    for (i = 0; i < rounds; i++) {
        struct result r;
        double a;
        if (run_workload(o, w, &r, 1) < 0)
            return -1;
        a = per_s((double)r.ops, r.seconds);
        ws2[i] = a;
        ws2c[i] = r.ops ? r.cpu / (double)r.ops : 0.0;
        ws2l[i] = loss_pct(w, &r);
        for (b = 0; b < nb; b++) {
            struct raw_spec spec;
            struct raw_result rr;
            raw_spec_of(o, w, kinds[b], &spec);
            if (raw_run(&spec, &rr) < 0)
                return -1;
            raw[b][i] = per_s((double)rr.ops, rr.seconds);
            rawc[b][i] = rr.ops ? rr.cpu / (double)rr.ops : 0.0;
            rawl[b][i] = lost_pct(w, rr.ops, rr.msgs_received);
            ratio[b][i] = raw[b][i] > 0 ? a / raw[b][i] : 0.0;
        }
    }
    for (b = 0; b < nb; b++) {
        struct vs_row *row = &rows[(*nrows)++];
        snprintf(row->name, sizeof(row->name), "%s", w->name);
        if (kinds[b] == RAW_UDP_SENDTO || kinds[b] == RAW_TCP_WRITEV)
            snprintf(row->raw, sizeof(row->raw), "%s",
                     raw_kind_name(kinds[b]));
        else if (kinds[b] == RAW_UDP_URING_MT || kinds[b] == RAW_TCP_URING_MT)
            snprintf(row->raw, sizeof(row->raw), "%s_t%u_k%u",
                     raw_kind_name(kinds[b]), w->threads, w->k);
        else
            snprintf(row->raw, sizeof(row->raw), "%s_k%u",
                     raw_kind_name(kinds[b]), w->k);
        row->ws2_ops = median(ws2, rounds);
        row->raw_ops = median(raw[b], rounds);
        row->ratio = median(ratio[b], rounds);
        row->lo = row->hi = ratio[b][0];
        for (i = 1; i < rounds; i++) {
            row->lo = ratio[b][i] < row->lo ? ratio[b][i] : row->lo;
            row->hi = ratio[b][i] > row->hi ? ratio[b][i] : row->hi;
        }
        row->ws2_cpu = median(ws2c, rounds) * 1e6;
        row->raw_cpu = median(rawc[b], rounds) * 1e6;
        row->ws2_loss = median(ws2l, rounds);
        row->raw_loss = median(rawl[b], rounds);
        if (o->json) {
            printf("{\"name\":\"%s\",\"vs_raw\":\"%s\",\"rounds\":%d,"
                   "\"ws2_ops_per_s\":%.1f,\"raw_ops_per_s\":%.1f,"
                   "\"ws2_cpu_us_per_op\":%.4f,\"raw_cpu_us_per_op\":%.4f,"
                   "\"ws2_loss_pct\":%.3f,\"raw_loss_pct\":%.3f,"
                   "\"median_ratio\":%.4f,\"ratios\":[",
                   row->name, row->raw, rounds, row->ws2_ops, row->raw_ops,
                   row->ws2_cpu, row->raw_cpu, row->ws2_loss, row->raw_loss,
                   row->ratio);
            for (i = 0; i < rounds; i++)
                printf("%s%.4f", i ? "," : "", ratio[b][i]);
            printf("]}\n");
        } else {
            printf("%s vs %s: median ratio %.3f ws2 %.0f ops/s raw %.0f "
                   "ops/s cpu %.3f/%.3f us/op loss %.2f/%.2f%% rounds",
                   row->name, row->raw, row->ratio, row->ws2_ops,
                   row->raw_ops, row->ws2_cpu, row->raw_cpu, row->ws2_loss,
                   row->raw_loss);
            for (i = 0; i < rounds; i++)
                printf(" %.3f", ratio[b][i]);
            printf("\n");
        }
        fflush(stdout);
    }
    return 0;
}

static void vs_table(const struct vs_row *rows, int n)
{
    int i;
    printf("\n%-22s %-13s %10s %10s %9s %9s %6s %11s %11s\n", "workload",
           "raw", "ws2 ops/s", "raw ops/s", "ws2 us/op", "raw us/op", "ratio",
           "min-max", "loss % w/r");
    for (i = 0; i < n; i++)
        printf("%-22s %-13s %10.0f %10.0f %9.3f %9.3f %6.3f %5.3f-%5.3f "
               "%5.2f/%-5.2f\n",
               rows[i].name, rows[i].raw, rows[i].ws2_ops, rows[i].raw_ops,
               rows[i].ws2_cpu, rows[i].raw_cpu, rows[i].ratio, rows[i].lo,
               rows[i].hi, rows[i].ws2_loss, rows[i].raw_loss);
    for (i = 0; i < n; i++)
        if (rows[i].ws2_loss - rows[i].raw_loss > PERF_LOSS_APART ||
            rows[i].raw_loss - rows[i].ws2_loss > PERF_LOSS_APART)
            printf("note: %s vs %s: the receivers lost %.2f%% and %.2f%% "
                   "of the datagrams; the side that lost more did less "
                   "work, so this ratio is not like for like\n",
                   rows[i].name, rows[i].raw, rows[i].ws2_loss,
                   rows[i].raw_loss);
}

/* One run for callgrind: a fixed count, no receiver, nothing printed but
 * one line. */
static int callgrind_main(const struct options *o)
{
    struct workload w;
    struct result r;
    memset(&w, 0, sizeof(w));
    w.proto = P_UDP;
    w.size = 64;
    w.bufs = 1;
    w.k = 1;
    if (strcmp(o->callgrind, "raw-sendto") == 0) {
        struct raw_spec spec;
        struct raw_result rr;
        memset(&spec, 0, sizeof(spec));
        spec.kind = RAW_UDP_SENDTO;
        spec.size = 64;
        spec.bufs = 1;
        spec.k = 1;
        spec.count = o->count;
        if (raw_run(&spec, &rr) < 0)
            return 1;
        printf("callgrind raw-sendto: %.0f ops\n", (double)rr.ops);
        return 0;
    }
    if (strcmp(o->callgrind, "ws2-blocking") == 0)
        w.mode = M_BLOCKING;
    else if (strcmp(o->callgrind, "ws2-event") == 0)
        w.mode = M_EVENT;
    else if (strcmp(o->callgrind, "ws2-routine") == 0)
        w.mode = M_ROUTINE;
    else {
        fprintf(stderr, "%s: --callgrind-mode: ws2-blocking, ws2-event, "
                "ws2-routine or raw-sendto\n", prog);
        return 2;
    }
    workload_name(&w);
    /* A zero count still opens and closes everything: the baseline. */
    if (o->count == 0) {
        struct endpoints ep;
        if (open_endpoints(o, &w, &ep, 0) == 0 && w.mode == M_EVENT) {
            WSAEVENT e = WSACreateEvent();
            WSACloseEvent(e);
        }
        close_endpoints(&ep, &w, &r);
        printf("callgrind %s: 0 ops\n", o->callgrind);
        return 0;
    }
    if (run_workload(o, &w, &r, 0) < 0)
        return 1;
    printf("callgrind %s: %.0f ops\n", o->callgrind, (double)r.ops);
    return 0;
}
#endif

/* ---- the suite and the command line ---- */

static void table(const struct workload *ws, const struct result *rs, int n)
{
    int i;
    printf("\n%-24s %12s %10s %10s %8s %7s %9s\n", "workload", "ops/s",
           "MB/s", "cpu us/op", "loss %", "errors", "pending %");
    for (i = 0; i < n; i++) {
        const struct result *r = &rs[i];
        printf("%-24s %12.0f %10.2f %10.3f %8.2f %7.0f %9.1f\n", ws[i].name,
               per_s((double)r->ops, r->seconds),
               per_s((double)r->bytes_sent, r->seconds) / 1e6,
               r->ops ? r->cpu * 1e6 / (double)r->ops : 0.0,
               loss_pct(&ws[i], r), (double)r->errors,
               share(r->pending, r->posts));
    }
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ws2perf [--udp [-n SIZE]] [--tcp [-b BUFS] [-s SIZE]]\n"
            "               [--mode blocking|nonblocking|event|routine|iocp|all]\n"
            "               [-k OUTSTANDING] [--threads T]\n"
            "               [--duration S | --count N]\n"
            "               [--json] [--vs-raw [--rounds R]]\n"
            "               [--connect HOST:PORT | --listen PORT]\n"
            "               [--callgrind-mode MODE --count N]\n"
            "               [--scale SOCKETS [--duration S] [--rounds R]]\n"
            "With no workload: the loopback suite (UDP 64 B in the five\n"
            "modes, K=1 and K=32, iocp T=2 K=32; TCP 16 x 4 KiB blocking,\n"
            "event K=4 and iocp T=2 K=4).\n"
            "See ws2perf(1).\n");
}

static int add(struct workload *ws, int n, enum proto p, enum mode m,
               unsigned size, unsigned bufs, unsigned k)
{
    struct workload *w = &ws[n];
    memset(w, 0, sizeof(*w));
    w->proto = p;
    w->mode = m;
    w->size = size;
    w->bufs = p == P_TCP ? bufs : 1;
    w->k = m == M_EVENT || m == M_ROUTINE || m == M_IOCP ? k : 1;
    w->threads = m == M_IOCP ? 2 : 1;
    workload_name(w);
    return n + 1;
}

/* An iocp workload with its own thread count. */
static int add_iocp(struct workload *ws, int n, enum proto p, unsigned size,
                    unsigned bufs, unsigned k, unsigned threads)
{
    n = add(ws, n, p, M_IOCP, size, bufs, k);
    ws[n - 1].threads = threads;
    workload_name(&ws[n - 1]);
    return n;
}

static int suite(struct workload *ws)
{
    int n = 0;
    n = add(ws, n, P_UDP, M_BLOCKING, 64, 1, 1);
    n = add(ws, n, P_UDP, M_NONBLOCKING, 64, 1, 1);
    n = add(ws, n, P_UDP, M_EVENT, 64, 1, 1);
    n = add(ws, n, P_UDP, M_EVENT, 64, 1, 32);
    n = add(ws, n, P_UDP, M_ROUTINE, 64, 1, 1);
    n = add(ws, n, P_UDP, M_ROUTINE, 64, 1, 32);
    n = add_iocp(ws, n, P_UDP, 64, 1, 32, 2);
    n = add(ws, n, P_TCP, M_BLOCKING, 4096, 16, 4);
    n = add(ws, n, P_TCP, M_EVENT, 4096, 16, 4);
    n = add_iocp(ws, n, P_TCP, 4096, 16, 4, 2);
    return n;
}

static int parse_mode(const char *s)
{
    int m;
    if (strcmp(s, "all") == 0)
        return M_MODES;
    for (m = 0; m < M_MODES; m++)
        if (strcmp(s, mode_names[m]) == 0)
            return m;
    return -1;
}

static int number(const char *opt, const char *v, double lo, double hi,
                  double *out)
{
    char *end;
    double d = v ? strtod(v, &end) : 0.0;
    if (!v || end == v || *end || d < lo || d > hi) {
        fprintf(stderr, "%s: %s wants a number in [%g, %g]\n", prog, opt, lo,
                hi);
        return -1;
    }
    *out = d;
    return 0;
}

struct cli {
    struct options o;
    int udp, tcp, mode, duration_set;
    double size_udp, size_tcp, bufs, k, threads;
};

static int parse(int argc, char **argv, struct cli *c)
{
    int i;
    double d;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int used = 1, rc = 0;
        if (strcmp(a, "--udp") == 0) {
            c->udp = 1;
            used = 0;
        } else if (strcmp(a, "--tcp") == 0) {
            c->tcp = 1;
            used = 0;
        } else if (strcmp(a, "-n") == 0)
            rc = number(a, v, 1, 65507, &c->size_udp);
        else if (strcmp(a, "-s") == 0)
            rc = number(a, v, 1, PERF_MAX_SIZE, &c->size_tcp);
        else if (strcmp(a, "-b") == 0)
            rc = number(a, v, 1, PERF_MAX_BUFS, &c->bufs);
        else if (strcmp(a, "-k") == 0)
            rc = number(a, v, 1, PERF_MAX_K, &c->k);
        else if (strcmp(a, "--threads") == 0)
            rc = number(a, v, 1, PERF_MAX_THREADS, &c->threads);
        else if (strcmp(a, "--mode") == 0) {
            c->mode = v ? parse_mode(v) : -1;
            rc = c->mode < 0 ? -1 : 0;
        } else if (strcmp(a, "--duration") == 0) {
            rc = number(a, v, 0.01, 86400, &c->o.seconds);
            c->duration_set = 1;
        } else if (strcmp(a, "--count") == 0) {
            rc = number(a, v, 0, 1e15, &d);
            c->o.count = (unsigned long long)d;
            c->o.count_set = 1;
        } else if (strcmp(a, "--rounds") == 0) {
            rc = number(a, v, 1, 64, &d);
            c->o.rounds = (int)d;
        } else if (strcmp(a, "--connect") == 0)
            c->o.connect_to = v;
        else if (strcmp(a, "--listen") == 0)
            c->o.listen_port = v;
        else if (strcmp(a, "--callgrind-mode") == 0)
            c->o.callgrind = v;
        else if (strcmp(a, "--scale") == 0) {
            rc = number(a, v, SCALE_SMALL, 1000000, &d);
            c->o.scale = (unsigned)d;
        }
        else if (strcmp(a, "--json") == 0) {
            c->o.json = 1;
            used = 0;
        } else if (strcmp(a, "--vs-raw") == 0) {
            c->o.vs_raw = 1;
            used = 0;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            exit(0);
        } else {
            fprintf(stderr, "%s: unknown option %s\n", prog, a);
            rc = -1;
        }
        if (rc < 0 || (used && !v)) {
            usage(stderr);
            return -1;
        }
        i += used;
    }
    return 0;
}

static int workloads_iocp(const struct cli *c, struct workload *ws, int n)
{
    unsigned t = c->threads > 0 ? (unsigned)c->threads : 2;
    if (c->udp)
        n = add_iocp(ws, n, P_UDP, (unsigned)c->size_udp, 1,
                     c->k > 0 ? (unsigned)c->k : 32, t);
    if (c->tcp)
        n = add_iocp(ws, n, P_TCP, (unsigned)c->size_tcp, (unsigned)c->bufs,
                     c->k > 0 ? (unsigned)c->k : 4, t);
    return n;
}

static int workloads(const struct cli *c, struct workload *ws)
{
    int n = 0, m;
    if (!c->udp && !c->tcp)
        return suite(ws);
    for (m = 0; m < M_MODES; m++) {
        if (c->mode != M_MODES && c->mode != m)
            continue;
        if (m == M_IOCP) {
            n = workloads_iocp(c, ws, n);
            continue;
        }
        if (c->udp)
            n = add(ws, n, P_UDP, (enum mode)m, (unsigned)c->size_udp, 1,
                    c->k > 0 ? (unsigned)c->k : 32);
        if (c->tcp)
            n = add(ws, n, P_TCP, (enum mode)m, (unsigned)c->size_tcp,
                    (unsigned)c->bufs, c->k > 0 ? (unsigned)c->k : 4);
    }
    return n;
}

static int check_k(const struct workload *w)
{
    if (w->mode == M_EVENT && w->k > WSA_MAXIMUM_WAIT_EVENTS) {
        fprintf(stderr, "%s: event mode waits on at most %d events (-k)\n",
                prog, WSA_MAXIMUM_WAIT_EVENTS);
        return -1;
    }
    return 0;
}

static int run_all(const struct cli *c)
{
    static struct workload ws[2 * M_MODES + 8];
    static struct result rs[2 * M_MODES + 8];
    int n = workloads(c, ws), i, rc = 0;

#ifdef WS2POSIX
    static struct vs_row rows[3 * (2 * M_MODES + 8)];
    int nrows = 0;
    if (c->o.vs_raw && c->o.connect_to) {
        fprintf(stderr, "%s: --vs-raw runs over loopback only\n", prog);
        return 2;
    }
    if (c->o.vs_raw) {
        for (i = 0; i < n && rc == 0; i++)
            if (check_k(&ws[i]) < 0 || vs_raw(&c->o, &ws[i], rows, &nrows) < 0)
                rc = 1;
        if (!c->o.json)
            vs_table(rows, nrows);
        return rc;
    }
#else
    if (c->o.vs_raw) {
        fprintf(stderr, "%s: --vs-raw is for the Linux build only\n", prog);
        return 2;
    }
#endif
    for (i = 0; i < n; i++) {
        if (check_k(&ws[i]) < 0 || run_workload(&c->o, &ws[i], &rs[i], 1) < 0) {
            fprintf(stderr, "%s: %s failed\n", prog, ws[i].name);
            rc = 1;
        }
        print_result(&c->o, &ws[i], &rs[i]);
    }
    if (!c->udp && !c->tcp && !c->o.json)
        table(ws, rs, n);
    return rc;
}

int main(int argc, char **argv)
{
    struct cli c;
    WSADATA wsa;
    int err, rc;

    memset(&c, 0, sizeof(c));
    c.mode = M_MODES;
    c.size_udp = 64;
    c.size_tcp = 4096;
    c.bufs = 16;
    c.o.seconds = 2.0;
    if (parse(argc, argv, &c) < 0)
        return 2;
    if (c.o.vs_raw && !c.duration_set)
        c.o.seconds = 0.5; /* many runs: shorter ones */
    c.o.progress = !c.o.json && !c.o.callgrind && perf_isatty_stdout();
    err = WSAStartup(MAKEWORD(2, 2), &wsa);
    if (err != 0) {
        fprintf(stderr, "%s: WSAStartup failed with error %d\n", prog, err);
        return 1;
    }
    if (c.o.callgrind) {
#ifdef WS2POSIX
        rc = callgrind_main(&c.o);
#else
        fprintf(stderr, "%s: --callgrind-mode is for the Linux build only\n",
                prog);
        rc = 2;
#endif
    } else if (c.o.scale) {
        struct scale_options so;
        so.sockets = c.o.scale;
        so.seconds = c.duration_set ? c.o.seconds : 1.0;
        so.rounds = c.o.rounds;
        so.json = c.o.json;
        rc = scale_main(&so);
    } else if (c.o.listen_port) {
        rc = listen_main(&c.o, c.tcp ? P_TCP : P_UDP);
    } else {
        rc = run_all(&c);
    }
    WSACleanup();
    return rc;
}
