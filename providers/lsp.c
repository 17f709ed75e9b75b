/*
 * lsp.c - the pass-through layer: WSPStartup and a WSPPROC_TABLE whose
 * every function forwards the call to the next provider of the socket's
 * chain (lsp_chain.c), with the layer's hooks around it (lsp.h).
 *
 * Handles. The application's SOCKET comes from WPUCreateSocketHandle (a
 * non-IFS layer), its context a struct lsp_sock holding the lower
 * provider's handle; the layer keeps its own table from upper handle to
 * context, so that a handle of another provider is never mistaken for
 * ours and a context stays alive while a call or a request uses it
 * (references). closesocket closes the lower socket at once; the upper
 * handle is closed (WPUCloseSocketHandle) when the last request on it has
 * been completed, so that requests aborted by the close still reach the
 * application's completion port through the upper handle.
 *
 * Overlapped requests. The layer issues its own request below (its own
 * WSAOVERLAPPED, no routine), the lower socket being associated with the
 * layer's completion port; a worker thread takes the lower completions
 * and completes the application's request: WPUCompleteOverlappedRequest
 * on the upper handle (result, event, the application's port), or the
 * application's completion routine queued to the starting thread with
 * WPUQueueApc. The call itself always answers WSA_IO_PENDING, even when
 * the lower provider finished at once: that is always within the
 * contract, and it keeps FILE_SKIP_COMPLETION_PORT_ON_SUCCESS, which a
 * layer cannot see, from losing or doubling a completion.
 *
 * select, WSAPoll and WSAEventSelect go down with the handles translated
 * (handles that are not ours pass unchanged). The extension functions
 * AcceptEx, ConnectEx and DisconnectEx are the layer's own wrappers
 * (handles and requests translated); GetAcceptExSockaddrs is the lower
 * provider's (it touches no socket); any other extension is refused with
 * WSAEINVAL, since the lower provider's function would be given upper
 * handles.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lsp.h"
#include <windows.h>

const char *const lsp_fn_name[LSP_NFN] = {
    "Accept", "Bind", "CloseSocket", "Connect", "EnumNetworkEvents",
    "EventSelect", "GetOverlappedResult", "GetPeerName", "GetSockName",
    "GetSockOpt", "Ioctl", "Listen", "Recv", "RecvDisconnect", "RecvFrom",
    "Select", "Send", "SendDisconnect", "SendTo", "SetSockOpt", "Shutdown",
    "Socket", "Poll", "AcceptEx", "ConnectEx", "DisconnectEx",
};

int lsp_fn_direction(enum lsp_fn fn)
{
    switch (fn) {
    case LSP_SEND: case LSP_SENDTO: case LSP_CONNECTEX:
        return 1;
    case LSP_RECV: case LSP_RECVFROM: case LSP_ACCEPTEX:
        return -1;
    default:
        return 0;
    }
}

/* An overlapped request of the application, as it goes through us. */
struct lsp_req {
    WSAOVERLAPPED ov; /* the lower request's */
    struct lsp_call call;
    struct lsp_sock *sk2; /* AcceptEx's accept socket (a reference) */
    LPWSAOVERLAPPED app;
    LPWSAOVERLAPPED_COMPLETION_ROUTINE cr;
    WSATHREADID tid;  /* held for the routine */
    HANDLE thread;    /* the starting thread, for CancelIo */
    double due_ms;    /* a delayed completion's time */
    struct lsp_req *snext, *sprev, *dnext;
};

#define NBUCKETS 256
#define DRAIN_MS 5000
#define BATCH 64

/* lock guards the socket table, references, request lists and the
 * extension function pointers; start_lock the start count. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t drained = PTHREAD_COND_INITIALIZER;
static struct lsp_sock *table[NBUCKETS];
static int outstanding;
static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;
static int starts;
static HANDLE port;
static pthread_t worker;
static struct lsp_req *delayed; /* the worker's alone */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int fail(LPINT lpErrno, int err)
{
    *lpErrno = err;
    return SOCKET_ERROR;
}

/* ---- sockets ---- */

static unsigned bucket(SOCKET s)
{
    return (unsigned)((s >> 2) % NBUCKETS);
}

static struct lsp_sock *sock_get(SOCKET s)
{
    pthread_mutex_lock(&lock);
    struct lsp_sock *sk = table[bucket(s)];
    while (sk && sk->upper != s)
        sk = sk->hnext;
    if (sk)
        sk->refs++;
    pthread_mutex_unlock(&lock);
    return sk;
}

/* The last reference closes the application's handle. */
static void sock_put(struct lsp_sock *sk)
{
    pthread_mutex_lock(&lock);
    int last = --sk->refs == 0;
    pthread_mutex_unlock(&lock);
    if (last) {
        int e;
        lsp_upcalls.lpWPUCloseSocketHandle(sk->upper, &e);
        free(sk);
    }
}

static void table_add(struct lsp_sock *sk)
{
    unsigned b = bucket(sk->upper);
    sk->hnext = table[b];
    table[b] = sk;
    sk->closed = 0;
}

/* Takes sk out of the table (its handle stops being ours); 0 when another
 * thread did first. */
static int table_del(struct lsp_sock *sk)
{
    pthread_mutex_lock(&lock);
    int ok = !sk->closed;
    if (ok) {
        struct lsp_sock **pp = &table[bucket(sk->upper)];
        while (*pp != sk)
            pp = &(*pp)->hnext;
        *pp = sk->hnext;
        sk->closed = 1;
    }
    pthread_mutex_unlock(&lock);
    return ok;
}

/* An application handle for a new lower socket; consumes low. */
static SOCKET sock_wrap(SOCKET low, const struct lsp_sock *like,
                        struct lsp_next *next, LPINT lpErrno)
{
    struct lsp_sock *sk = calloc(1, sizeof(*sk));
    int e;
    if (!sk || ((like->flags & WSA_FLAG_OVERLAPPED) &&
                !CreateIoCompletionPort((HANDLE)(uintptr_t)low, port, 0, 0))) {
        free(sk);
        next->proc->lpWSPCloseSocket(low, &e);
        return fail(lpErrno, WSAENOBUFS), INVALID_SOCKET;
    }
    *sk = *like;
    sk->lower = low;
    sk->next = next;
    sk->data = NULL;
    sk->reqs = NULL;
    sk->refs = 1; /* the table's */
    sk->upper = lsp_upcalls.lpWPUCreateSocketHandle(sk->catalog_id,
                                                    (DWORD_PTR)sk, lpErrno);
    if (sk->upper == INVALID_SOCKET) {
        next->proc->lpWSPCloseSocket(low, &e);
        free(sk);
        return INVALID_SOCKET;
    }
    pthread_mutex_lock(&lock);
    table_add(sk);
    pthread_mutex_unlock(&lock);
    if (lsp_layer.open)
        lsp_layer.open(sk);
    return sk->upper;
}

/* ---- calls and hooks ---- */

/* The layer's verdict on c: 1 to go down, or 0 with *lpErrno set. */
static int go(struct lsp_call *c, LPINT lpErrno)
{
    int e = lsp_layer.before ? lsp_layer.before(c) : 0;
    if (e)
        return fail(lpErrno, e), 0;
    return 1;
}

/* Starts a call on s (c->sk holds a reference): 1 to go down, 0 with
 * *lpErrno set. */
static int enter(SOCKET s, enum lsp_fn fn, struct lsp_call *c, LPINT lpErrno)
{
    memset(c, 0, sizeof(*c));
    c->fn = fn;
    if (!(c->sk = sock_get(s)))
        return fail(lpErrno, WSAENOTSOCK), 0;
    return go(c, lpErrno);
}

static DWORD buf_total(const WSABUF *bufs, DWORD n)
{
    DWORD t = 0;
    if ((uintptr_t)bufs < 0x10000) /* the provider below says WSAEFAULT */
        return 0;
    for (DWORD i = 0; i < n; i++)
        t += bufs[i].len;
    return t;
}

/* A send or receive: the bytes and whether it is overlapped are known to
 * the hook. */
static int enter_io(SOCKET s, enum lsp_fn fn, struct lsp_call *c,
                    const WSABUF *bufs, DWORD n, const void *ov,
                    const void *cr, LPINT lpErrno)
{
    memset(c, 0, sizeof(*c));
    c->fn = fn;
    if (!(c->sk = sock_get(s)))
        return fail(lpErrno, WSAENOTSOCK), 0;
    c->asked = buf_total(bufs, n);
    c->overlapped = (c->sk->flags & WSA_FLAG_OVERLAPPED) && (ov || cr);
    return go(c, lpErrno);
}

/* Ends a call that returned r: the hook sees the result, the reference
 * goes. */
static int leave(struct lsp_call *c, int r, LPINT lpErrno)
{
    c->err = r == SOCKET_ERROR ? *lpErrno : 0;
    if (lsp_layer.after)
        lsp_layer.after(c);
    if (c->sk)
        sock_put(c->sk);
    return r;
}

/* ---- overlapped requests ---- */

static void req_link(struct lsp_req *q)
{
    struct lsp_sock *sk = q->call.sk;
    pthread_mutex_lock(&lock);
    sk->refs++;
    q->snext = sk->reqs;
    if (sk->reqs)
        sk->reqs->sprev = q;
    sk->reqs = q;
    outstanding++;
    pthread_mutex_unlock(&lock);
}

static void req_unlink(struct lsp_req *q)
{
    struct lsp_sock *sk = q->call.sk;
    pthread_mutex_lock(&lock);
    if (q->sprev)
        q->sprev->snext = q->snext;
    else
        sk->reqs = q->snext;
    if (q->snext)
        q->snext->sprev = q->sprev;
    if (--outstanding == 0)
        pthread_cond_broadcast(&drained);
    pthread_mutex_unlock(&lock);
}

static void req_free(struct lsp_req *q)
{
    int e;
    if (q->tid.ThreadHandle)
        lsp_upcalls.lpWPUCloseThread(&q->tid, &e);
    free(q);
}

/* Drops what a request holds of its sockets. */
static void req_release(struct lsp_req *q)
{
    if (q->sk2)
        sock_put(q->sk2);
    sock_put(q->call.sk);
}

/* A request for the application's ov (and routine): its result is marked
 * pending and its event reset, as the base provider does, before the
 * lower request may complete. NULL with *lpErrno set. */
static struct lsp_req *req_new(const struct lsp_call *c, LPWSAOVERLAPPED ov,
                               LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                               LPWSATHREADID tid, LPINT lpErrno)
{
    int e;
    if ((uintptr_t)ov < 0x10000)
        return fail(lpErrno, WSAEFAULT), NULL;
    struct lsp_req *q = calloc(1, sizeof(*q));
    if (!q || (cr && lsp_upcalls.lpWPUOpenCurrentThread(&q->tid, &e))) {
        free(q);
        return fail(lpErrno, WSAENOBUFS), NULL;
    }
    q->call = *c;
    q->app = ov;
    q->cr = cr;
    q->thread = tid ? tid->ThreadHandle : NULL;
    ov->InternalHigh = 0;
    __atomic_store_n(&ov->Internal, (ULONG_PTR)STATUS_PENDING,
                     __ATOMIC_RELEASE);
    if (!cr && ov->hEvent)
        lsp_upcalls.lpWPUResetEvent(
            (WSAEVENT)((uintptr_t)ov->hEvent & ~(uintptr_t)1), &e);
    req_link(q);
    return q;
}

/* After the lower call (which returned r): pending, with the completion
 * to come through the port (also when it finished at once), or failed
 * at once, when nothing completes. */
static int req_started(struct lsp_req *q, struct lsp_call *c, int r,
                       LPINT lpErrno)
{
    if (r == 0 || *lpErrno == WSA_IO_PENDING) {
        sock_put(c->sk); /* the call's; the request keeps its own */
        return fail(lpErrno, WSA_IO_PENDING);
    }
    __atomic_store_n(&q->app->Internal, (ULONG_PTR)*lpErrno,
                     __ATOMIC_RELEASE);
    req_unlink(q);
    req_release(q);
    req_free(q);
    return leave(c, SOCKET_ERROR, lpErrno);
}

/* Runs in the starting thread, in an alertable wait. */
static void CALLBACK run_routine(DWORD_PTR ctx)
{
    struct lsp_req *q = (struct lsp_req *)ctx;
    LPWSAOVERLAPPED_COMPLETION_ROUTINE cr = q->cr;
    LPWSAOVERLAPPED ov = q->app;
    DWORD err = (DWORD)q->call.err, bytes = q->call.bytes,
          flags = q->ov.Offset;
    req_free(q);
    cr(err, bytes, ov, flags);
}

/* Completes the application's request with the lower one's result. */
static void req_finish(struct lsp_req *q)
{
    LPWSAOVERLAPPED app = q->app;
    DWORD err = (DWORD)q->call.err, bytes = q->call.bytes;
    int e;
    app->Offset = q->ov.Offset; /* the flags (MSG_PARTIAL) */
    req_unlink(q);
    if (q->cr) {
        app->InternalHigh = bytes;
        __atomic_store_n(&app->Internal, (ULONG_PTR)err, __ATOMIC_RELEASE);
        req_release(q);
        if (lsp_upcalls.lpWPUQueueApc(&q->tid, run_routine, (DWORD_PTR)q,
                                      &e))
            req_free(q); /* the thread is gone: so is its routine */
        return;
    }
    WPUCompleteOverlappedRequest(q->call.sk->upper, app, err, bytes, &e);
    req_release(q);
    req_free(q);
}

/* A lower completion, on the worker: the hook sees it; then it completes,
 * now or when its delay is over. */
static void req_done(struct lsp_req *q)
{
    q->call.err = (int)__atomic_load_n(&q->ov.Internal, __ATOMIC_ACQUIRE);
    q->call.bytes = (DWORD)q->ov.InternalHigh;
    if (lsp_layer.after)
        lsp_layer.after(&q->call);
    if (!q->call.delay_ms) {
        req_finish(q);
        return;
    }
    q->due_ms = now_ms() + q->call.delay_ms;
    struct lsp_req **pp = &delayed;
    while (*pp && (*pp)->due_ms <= q->due_ms)
        pp = &(*pp)->dnext;
    q->dnext = *pp;
    *pp = q;
}

/* Completes the delayed requests that are due; the wait until the next. */
static DWORD run_due(void)
{
    double now = now_ms();
    while (delayed && delayed->due_ms <= now) {
        struct lsp_req *q = delayed;
        delayed = q->dnext;
        req_finish(q);
    }
    return delayed ? (DWORD)(delayed->due_ms - now) + 1 : INFINITE;
}

static void *work(void *arg)
{
    (void)arg;
    OVERLAPPED_ENTRY ent[BATCH];
    int quit = 0;
    while (!quit) {
        ULONG n = 0;
        DWORD wait = run_due();
        if (!GetQueuedCompletionStatusEx(port, ent, BATCH, &n, wait, FALSE))
            n = 0;
        for (ULONG i = 0; i < n; i++) {
            if (ent[i].lpOverlapped)
                req_done((struct lsp_req *)ent[i].lpOverlapped);
            else
                quit = 1;
        }
    }
    return NULL;
}

/* ---- start-up and clean-up ---- */

static int first_start(WSPUPCALLTABLE upcalls)
{
    lsp_upcalls = upcalls;
    int err = lsp_layer.start ? lsp_layer.start() : 0;
    if (err)
        return err;
    port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
    if (port && !pthread_create(&worker, NULL, work, NULL))
        return 0;
    if (port)
        CloseHandle(port);
    port = NULL;
    if (lsp_layer.stop)
        lsp_layer.stop();
    return WSAENOBUFS;
}

/* Requests still under way (aborted by the sockets' close) complete
 * first, within a bound. */
static void last_cleanup(void)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += DRAIN_MS / 1000;
    pthread_mutex_lock(&lock);
    while (outstanding &&
           !pthread_cond_timedwait(&drained, &lock, &until))
        ;
    pthread_mutex_unlock(&lock);
    PostQueuedCompletionStatus(port, 0, 0, NULL);
    pthread_join(worker, NULL);
    CloseHandle(port);
    port = NULL;
    lsp_next_cleanup();
    if (lsp_layer.stop)
        lsp_layer.stop();
}

static int WSPAPI l_cleanup(LPINT lpErrno)
{
    pthread_mutex_lock(&start_lock);
    int r = starts ? 0 : fail(lpErrno, WSANOTINITIALISED);
    if (starts && --starts == 0)
        last_cleanup();
    pthread_mutex_unlock(&start_lock);
    return r;
}

/* ---- sockets made and closed ---- */

static SOCKET WSPAPI l_socket(int af, int type, int protocol,
                              LPWSAPROTOCOL_INFOW info, GROUP g, DWORD flags,
                              LPINT lpErrno)
{
    struct lsp_call c = {.fn = LSP_SOCKET};
    SOCKET up = INVALID_SOCKET;
    struct lsp_next *next = NULL;
    if (!info)
        fail(lpErrno, WSAEINVAL);
    else if (go(&c, lpErrno))
        next = lsp_next_get(info, lpErrno);
    if (next) {
        WSAPROTOCOL_INFOW below = next->info;
        SOCKET low = next->proc->lpWSPSocket(af, type, protocol, &below, g,
                                             flags, lpErrno);
        struct lsp_sock like = {.af = af, .type = type, .protocol = protocol,
                                .flags = flags,
                                .catalog_id = info->dwCatalogEntryId};
        if (low != INVALID_SOCKET)
            up = sock_wrap(low, &like, next, lpErrno);
    }
    if (up != INVALID_SOCKET)
        c.sk = sock_get(up);
    leave(&c, up == INVALID_SOCKET ? SOCKET_ERROR : 0, lpErrno);
    return up;
}

/* The accepted socket has the listener's properties. */
static SOCKET WSPAPI l_accept(SOCKET s, struct sockaddr *addr, LPINT addrlen,
                              LPCONDITIONPROC cond, DWORD_PTR data,
                              LPINT lpErrno)
{
    struct lsp_call c;
    SOCKET up = INVALID_SOCKET;
    if (enter(s, LSP_ACCEPT, &c, lpErrno)) {
        struct lsp_sock *l = c.sk;
        SOCKET low = l->next->proc->lpWSPAccept(l->lower, addr, addrlen,
                                                cond, data, lpErrno);
        if (low != INVALID_SOCKET)
            up = sock_wrap(low, l, l->next, lpErrno);
    }
    leave(&c, up == INVALID_SOCKET ? SOCKET_ERROR : 0, lpErrno);
    return up;
}

/* The lower socket goes now (aborting its requests); the application's
 * handle when their completions have been delivered. */
static int WSPAPI l_close(SOCKET s, LPINT lpErrno)
{
    struct lsp_call c;
    if (!enter(s, LSP_CLOSESOCKET, &c, lpErrno))
        return leave(&c, SOCKET_ERROR, lpErrno);
    struct lsp_sock *sk = c.sk;
    if (!table_del(sk))
        return leave(&c, fail(lpErrno, WSAENOTSOCK), lpErrno);
    int r = sk->next->proc->lpWSPCloseSocket(sk->lower, lpErrno);
    /* WSAENOTSOCK: the last WSACleanup closed the lower socket first. */
    if (r == SOCKET_ERROR && *lpErrno != WSAENOTSOCK) {
        pthread_mutex_lock(&lock);
        table_add(sk);
        pthread_mutex_unlock(&lock);
        return leave(&c, r, lpErrno);
    }
    if (lsp_layer.close)
        lsp_layer.close(sk);
    r = leave(&c, 0, lpErrno);
    sock_put(sk); /* the table's */
    return r;
}

/* ---- data ---- */

/* The first limit bytes of bufs, as a new array (*k buffers); NULL when
 * the limit does not cut. */
static WSABUF *cut(const WSABUF *bufs, DWORD n, DWORD limit, DWORD *k)
{
    if (!limit || buf_total(bufs, n) <= limit)
        return NULL;
    WSABUF *b = malloc(n * sizeof(*b));
    DWORD left = limit;
    for (*k = 0; b && *k < n && left; (*k)++) {
        b[*k] = bufs[*k];
        if (b[*k].len > left)
            b[*k].len = left;
        left -= b[*k].len;
    }
    return b;
}

static int send_common(struct lsp_call *c, LPWSABUF bufs, DWORD n,
                       LPDWORD sent, DWORD flags, const struct sockaddr *to,
                       int tolen, LPWSAOVERLAPPED ov,
                       LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                       LPWSATHREADID tid, LPINT lpErrno)
{
    struct lsp_sock *sk = c->sk;
    const WSPPROC_TABLE *p = sk->next->proc;
    if (c->overlapped) {
        struct lsp_req *q = req_new(c, ov, cr, tid, lpErrno);
        if (!q)
            return leave(c, SOCKET_ERROR, lpErrno);
        DWORD dummy;
        int r = c->fn == LSP_SEND
                    ? p->lpWSPSend(sk->lower, bufs, n, &dummy, flags,
                                   &q->ov, NULL, tid, lpErrno)
                    : p->lpWSPSendTo(sk->lower, bufs, n, &dummy, flags, to,
                                     tolen, &q->ov, NULL, tid, lpErrno);
        return req_started(q, c, r, lpErrno);
    }
    /* A short count is Windows' right only for a stream send without
     * lpOverlapped (send: "can be less than the number requested"). */
    DWORD k = n;
    WSABUF *b = sk->type == SOCK_STREAM ? cut(bufs, n, c->limit, &k) : NULL;
    int r = c->fn == LSP_SEND
                ? p->lpWSPSend(sk->lower, b ? b : bufs, k, sent, flags, ov,
                               cr, tid, lpErrno)
                : p->lpWSPSendTo(sk->lower, b ? b : bufs, k, sent, flags, to,
                                 tolen, ov, cr, tid, lpErrno);
    free(b);
    c->bytes = !r && sent ? *sent : 0;
    return leave(c, r, lpErrno);
}

static int WSPAPI l_send(SOCKET s, LPWSABUF bufs, DWORD n, LPDWORD sent,
                         DWORD flags, LPWSAOVERLAPPED ov,
                         LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                         LPWSATHREADID tid, LPINT lpErrno)
{
    struct lsp_call c;
    if (!enter_io(s, LSP_SEND, &c, bufs, n, ov, cr, lpErrno))
        return leave(&c, SOCKET_ERROR, lpErrno);
    return send_common(&c, bufs, n, sent, flags, NULL, 0, ov, cr, tid,
                       lpErrno);
}

static int WSPAPI l_sendto(SOCKET s, LPWSABUF bufs, DWORD n, LPDWORD sent,
                           DWORD flags, const struct sockaddr *to, int tolen,
                           LPWSAOVERLAPPED ov,
                           LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                           LPWSATHREADID tid, LPINT lpErrno)
{
    struct lsp_call c;
    if (!enter_io(s, LSP_SENDTO, &c, bufs, n, ov, cr, lpErrno))
        return leave(&c, SOCKET_ERROR, lpErrno);
    return send_common(&c, bufs, n, sent, flags, to, tolen, ov, cr, tid,
                       lpErrno);
}

static int recv_common(struct lsp_call *c, LPWSABUF bufs, DWORD n,
                       LPDWORD got, LPDWORD flags, struct sockaddr *from,
                       LPINT fromlen, LPWSAOVERLAPPED ov,
                       LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                       LPWSATHREADID tid, LPINT lpErrno)
{
    struct lsp_sock *sk = c->sk;
    const WSPPROC_TABLE *p = sk->next->proc;
    if (!c->overlapped) {
        int r = c->fn == LSP_RECV
                    ? p->lpWSPRecv(sk->lower, bufs, n, got, flags, ov, cr,
                                   tid, lpErrno)
                    : p->lpWSPRecvFrom(sk->lower, bufs, n, got, flags, from,
                                       fromlen, ov, cr, tid, lpErrno);
        c->bytes = !r && got ? *got : 0;
        return leave(c, r, lpErrno);
    }
    if ((uintptr_t)flags < 0x10000)
        return leave(c, fail(lpErrno, WSAEFAULT), lpErrno);
    struct lsp_req *q = req_new(c, ov, cr, tid, lpErrno);
    if (!q)
        return leave(c, SOCKET_ERROR, lpErrno);
    DWORD bytes = 0, fl = *flags;
    int r = c->fn == LSP_RECV
                ? p->lpWSPRecv(sk->lower, bufs, n, &bytes, &fl, &q->ov, NULL,
                               tid, lpErrno)
                : p->lpWSPRecvFrom(sk->lower, bufs, n, &bytes, &fl, from,
                                   fromlen, &q->ov, NULL, tid, lpErrno);
    if (r == SOCKET_ERROR && *lpErrno != WSA_IO_PENDING) {
        /* Failed at once, perhaps with data (a truncated datagram). */
        *flags = fl;
        if (got)
            *got = bytes;
        c->bytes = bytes;
    }
    return req_started(q, c, r, lpErrno);
}

static int WSPAPI l_recv(SOCKET s, LPWSABUF bufs, DWORD n, LPDWORD got,
                         LPDWORD flags, LPWSAOVERLAPPED ov,
                         LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                         LPWSATHREADID tid, LPINT lpErrno)
{
    struct lsp_call c;
    if (!enter_io(s, LSP_RECV, &c, bufs, n, ov, cr, lpErrno))
        return leave(&c, SOCKET_ERROR, lpErrno);
    return recv_common(&c, bufs, n, got, flags, NULL, NULL, ov, cr, tid,
                       lpErrno);
}

static int WSPAPI l_recvfrom(SOCKET s, LPWSABUF bufs, DWORD n, LPDWORD got,
                             LPDWORD flags, struct sockaddr *from,
                             LPINT fromlen, LPWSAOVERLAPPED ov,
                             LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                             LPWSATHREADID tid, LPINT lpErrno)
{
    struct lsp_call c;
    if (!enter_io(s, LSP_RECVFROM, &c, bufs, n, ov, cr, lpErrno))
        return leave(&c, SOCKET_ERROR, lpErrno);
    return recv_common(&c, bufs, n, got, flags, from, fromlen, ov, cr, tid,
                       lpErrno);
}

/* The application's own ov: the layer completed it (or the call was not
 * overlapped), so the result is read there, as the base provider does. */
static BOOL WSPAPI l_getoverlappedresult(SOCKET s, LPWSAOVERLAPPED ov,
                                         LPDWORD bytes, BOOL wait,
                                         LPDWORD flags, LPINT lpErrno)
{
    struct lsp_call c;
    if (!enter(s, LSP_GETOVERLAPPEDRESULT, &c, lpErrno))
        return leave(&c, SOCKET_ERROR, lpErrno), FALSE;
    if ((uintptr_t)ov < 0x10000 || (uintptr_t)bytes < 0x10000 ||
        (uintptr_t)flags < 0x10000)
        return leave(&c, fail(lpErrno, WSAEFAULT), lpErrno), FALSE;
    ULONG_PTR st;
    while ((st = __atomic_load_n(&ov->Internal, __ATOMIC_ACQUIRE)) ==
           STATUS_PENDING) {
        if (!wait)
            return leave(&c, fail(lpErrno, WSA_IO_INCOMPLETE), lpErrno),
                   FALSE;
        WSAEVENT ev = (WSAEVENT)((uintptr_t)ov->hEvent & ~(uintptr_t)1);
        if (!ev || WSAWaitForMultipleEvents(1, &ev, TRUE, 100, FALSE) ==
                       WSA_WAIT_FAILED)
            Sleep(1);
    }
    *bytes = (DWORD)ov->InternalHigh;
    *flags = ov->Offset;
    if (st)
        return leave(&c, fail(lpErrno, (int)st), lpErrno), FALSE;
    return leave(&c, 0, lpErrno), TRUE;
}

/* ---- handle translation for select and WSAPoll ---- */

/* The sockets of one select or poll: upper to lower, references held. */
struct xlate {
    struct lsp_sock **sk;
    size_t n;
};

/* The lower handle for h, or h itself when it is not ours. */
static SOCKET xl_down(struct xlate *x, SOCKET h)
{
    for (size_t i = 0; i < x->n; i++)
        if (x->sk[i]->upper == h)
            return x->sk[i]->lower;
    struct lsp_sock *sk = sock_get(h);
    if (!sk)
        return h;
    x->sk[x->n++] = sk;
    return sk->lower;
}

static SOCKET xl_up(const struct xlate *x, SOCKET h)
{
    for (size_t i = 0; i < x->n; i++)
        if (x->sk[i]->lower == h)
            return x->sk[i]->upper;
    return h;
}

static void xl_free(struct xlate *x)
{
    for (size_t i = 0; i < x->n; i++)
        sock_put(x->sk[i]);
    free(x->sk);
}

/* The caller's sets with lower handles; sets that alias stay one set, as
 * the provider below must see them. */
static int sets_down(fd_set *sets[3], fd_set *low[3], struct xlate *x)
{
    for (int k = 0; k < 3; k++) {
        low[k] = NULL;
        for (int j = 0; j < k && sets[k]; j++)
            if (sets[j] == sets[k])
                low[k] = low[j];
        if (!sets[k] || low[k])
            continue;
        u_int n = sets[k]->fd_count;
        low[k] = malloc(offsetof(fd_set, fd_array) +
                        (n ? n : 1) * sizeof(SOCKET));
        if (!low[k])
            return 0;
        low[k]->fd_count = n;
        for (u_int i = 0; i < n; i++)
            low[k]->fd_array[i] = xl_down(x, sets[k]->fd_array[i]);
    }
    return 1;
}

static void sets_up(fd_set *sets[3], fd_set *low[3], const struct xlate *x)
{
    for (int k = 0; k < 3; k++) {
        int first = 1;
        for (int j = 0; j < k; j++)
            first &= sets[j] != sets[k];
        if (!sets[k] || !low[k] || !first)
            continue;
        sets[k]->fd_count = low[k]->fd_count;
        for (u_int i = 0; i < low[k]->fd_count; i++)
            sets[k]->fd_array[i] = xl_up(x, low[k]->fd_array[i]);
    }
    for (int k = 0; k < 3; k++) {
        int first = 1;
        for (int j = 0; j < k; j++)
            first &= low[j] != low[k];
        if (first)
            free(low[k]);
    }
}

/* The provider of the first of our sockets in x serves the call. */
static int WSPAPI l_select(int nfds, fd_set *readfds, fd_set *writefds,
                           fd_set *exceptfds, const struct timeval *timeout,
                           LPINT lpErrno)
{
    struct lsp_call c = {.fn = LSP_SELECT};
    if (!go(&c, lpErrno))
        return leave(&c, SOCKET_ERROR, lpErrno);
    fd_set *sets[3] = {readfds, writefds, exceptfds}, *low[3];
    size_t total = 0;
    for (int k = 0; k < 3; k++)
        total += sets[k] ? sets[k]->fd_count : 0;
    struct xlate x = {calloc(total ? total : 1, sizeof(*x.sk)), 0};
    int r = fail(lpErrno, WSAENOBUFS);
    if (x.sk && sets_down(sets, low, &x)) {
        r = x.n ? x.sk[0]->next->proc->lpWSPSelect(nfds, low[0], low[1],
                                                   low[2], timeout, lpErrno)
                : fail(lpErrno, WSAENOTSOCK);
        sets_up(sets, low, &x);
    }
    xl_free(&x);
    return leave(&c, r, lpErrno);
}

/* WSAPoll (WSPIoctl SIO_WS2POSIX_POLL, on the first valid socket s). */
static int poll_down(SOCKET s, LPVOID in, DWORD inlen, LPDWORD ret,
                     LPWSATHREADID tid, LPINT lpErrno)
{
    struct lsp_call c = {.fn = LSP_POLL};
    if (!go(&c, lpErrno))
        return leave(&c, SOCKET_ERROR, lpErrno);
    WS2POSIX_POLL_ARGS a;
    if ((uintptr_t)in < 0x10000 || inlen < sizeof(a))
        return leave(&c, fail(lpErrno, WSAEFAULT), lpErrno);
    memcpy(&a, in, sizeof(a));
    if ((uintptr_t)a.fdArray < 0x10000 || !a.fds)
        return leave(&c, fail(lpErrno, WSAEFAULT), lpErrno);
    struct xlate x = {calloc(a.fds + 1, sizeof(*x.sk)), 0};
    WSAPOLLFD *low = malloc(a.fds * sizeof(*low));
    int r = fail(lpErrno, WSAENOBUFS);
    if (x.sk && low) {
        SOCKET ls = xl_down(&x, s);
        for (ULONG i = 0; i < a.fds; i++) {
            low[i] = a.fdArray[i];
            if ((INT_PTR)low[i].fd >= 0)
                low[i].fd = xl_down(&x, low[i].fd);
        }
        WS2POSIX_POLL_ARGS la = {low, a.fds, a.timeout};
        r = x.n ? x.sk[0]->next->proc->lpWSPIoctl(
                      ls, SIO_WS2POSIX_POLL, &la, sizeof(la), NULL, 0, ret,
                      NULL, NULL, tid, lpErrno)
                : fail(lpErrno, WSAENOTSOCK);
        for (ULONG i = 0; i < a.fds; i++)
            a.fdArray[i].revents = low[i].revents;
    }
    free(low);
    xl_free(&x);
    return leave(&c, r, lpErrno);
}

/* ---- control ---- */

/* CancelIo / CancelIoEx: the matching requests of ours, cancelled below
 * by their lower ov. */
static int cancel(struct lsp_sock *sk, LPVOID in, DWORD inlen, LPDWORD ret,
                  LPWSATHREADID tid, LPINT lpErrno)
{
    WS2POSIX_CANCEL_ARGS a;
    if ((uintptr_t)in < 0x10000 || inlen < sizeof(a) ||
        (uintptr_t)ret < 0x10000)
        return fail(lpErrno, WSAEFAULT);
    memcpy(&a, in, sizeof(a));
    HANDLE me = tid ? tid->ThreadHandle : NULL;
    DWORD found = 0;
    pthread_mutex_lock(&lock);
    for (struct lsp_req *q = sk->reqs; q; q = q->snext) {
        if ((a.lpOverlapped && q->app != a.lpOverlapped) ||
            (a.fThisThreadOnly && q->thread != me))
            continue;
        WS2POSIX_CANCEL_ARGS la = {&q->ov, FALSE};
        DWORD n = 0;
        int e;
        if (!sk->next->proc->lpWSPIoctl(sk->lower, SIO_WS2POSIX_CANCEL, &la,
                                        sizeof(la), NULL, 0, &n, NULL, NULL,
                                        tid, &e))
            found += n;
    }
    pthread_mutex_unlock(&lock);
    *ret = found;
    return 0;
}

static const GUID ext_guid[] = {WSAID_ACCEPTEX, WSAID_CONNECTEX,
                                WSAID_DISCONNECTEX,
                                WSAID_GETACCEPTEXSOCKADDRS};

static int ext_index(const GUID *g)
{
    for (int i = 0; i < 4; i++)
        if (!memcmp(g, &ext_guid[i], sizeof(*g)))
            return i;
    return -1;
}

/* The lower provider's extension function i for sk, fetched once. */
static void (*ext_lower(struct lsp_sock *sk, int i, LPINT lpErrno))(void)
{
    pthread_mutex_lock(&lock);
    void (*fn)(void) = sk->next->ext[i];
    pthread_mutex_unlock(&lock);
    if (fn)
        return fn;
    GUID g = ext_guid[i];
    DWORD n;
    if (sk->next->proc->lpWSPIoctl(sk->lower,
                                   SIO_GET_EXTENSION_FUNCTION_POINTER, &g,
                                   sizeof(g), &fn, sizeof(fn), &n, NULL, NULL,
                                   NULL, lpErrno))
        return NULL;
    pthread_mutex_lock(&lock);
    sk->next->ext[i] = fn;
    pthread_mutex_unlock(&lock);
    return fn;
}

static BOOL PASCAL x_acceptex(SOCKET ls, SOCKET as, PVOID buf, DWORD rdlen,
                              DWORD lalen, DWORD ralen, LPDWORD got,
                              LPOVERLAPPED ov);
static BOOL PASCAL x_connectex(SOCKET s, const struct sockaddr *name,
                               int namelen, PVOID buf, DWORD len,
                               LPDWORD sent, LPOVERLAPPED ov);
static BOOL PASCAL x_disconnectex(SOCKET s, LPOVERLAPPED ov, DWORD flags,
                                  DWORD reserved);

/* SIO_GET_EXTENSION_FUNCTION_POINTER: our wrapper when the lower provider
 * has the function. */
static int extfn(struct lsp_sock *sk, LPVOID in, DWORD inlen, LPVOID out,
                 DWORD outlen, LPDWORD ret, LPINT lpErrno)
{
    GUID g;
    if ((uintptr_t)in < 0x10000 || inlen < sizeof(g) ||
        (uintptr_t)out < 0x10000 || outlen < sizeof(void (*)(void)) ||
        (uintptr_t)ret < 0x10000)
        return fail(lpErrno, WSAEFAULT);
    memcpy(&g, in, sizeof(g));
    int i = ext_index(&g);
    if (i < 0)
        return fail(lpErrno, WSAEINVAL);
    void (*fn)(void) = ext_lower(sk, i, lpErrno);
    if (!fn)
        return SOCKET_ERROR;
    void (*const ours[])(void) = {(void (*)(void))x_acceptex,
                                  (void (*)(void))x_connectex,
                                  (void (*)(void))x_disconnectex, fn};
    memcpy(out, &ours[i], sizeof(ours[i]));
    *ret = sizeof(ours[i]);
    return 0;
}

static int WSPAPI l_ioctl(SOCKET s, DWORD code, LPVOID in, DWORD inlen,
                          LPVOID out, DWORD outlen, LPDWORD ret,
                          LPWSAOVERLAPPED ov,
                          LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                          LPWSATHREADID tid, LPINT lpErrno)
{
    if (code == SIO_WS2POSIX_POLL)
        return poll_down(s, in, inlen, ret, tid, lpErrno);
    struct lsp_call c;
    if (!enter_io(s, LSP_IOCTL, &c, NULL, 0, ov, cr, lpErrno))
        return leave(&c, SOCKET_ERROR, lpErrno);
    struct lsp_sock *sk = c.sk;
    if (code == SIO_WS2POSIX_CANCEL)
        return leave(&c, cancel(sk, in, inlen, ret, tid, lpErrno), lpErrno);
    if (code == SIO_GET_EXTENSION_FUNCTION_POINTER)
        return leave(&c, extfn(sk, in, inlen, out, outlen, ret, lpErrno),
                     lpErrno);
    if (!c.overlapped || code == SIO_WS2POSIX_GET_FD)
        return leave(&c, sk->next->proc->lpWSPIoctl(sk->lower, code, in,
                                                    inlen, out, outlen, ret,
                                                    ov, cr, tid, lpErrno),
                     lpErrno);
    struct lsp_req *q = req_new(&c, ov, cr, tid, lpErrno);
    if (!q)
        return leave(&c, SOCKET_ERROR, lpErrno);
    DWORD n = 0;
    int r = sk->next->proc->lpWSPIoctl(sk->lower, code, in, inlen, out,
                                       outlen, &n, &q->ov, NULL, tid,
                                       lpErrno);
    return req_started(q, &c, r, lpErrno);
}

/* ---- the extension functions ---- */

static BOOL ext_fail(struct lsp_call *c, int err)
{
    leave(c, SOCKET_ERROR, &err);
    WSASetLastError(err);
    return FALSE;
}

/* After the lower extension function returned ok: pending through us. */
static BOOL ext_started(struct lsp_req *q, struct lsp_call *c, BOOL ok)
{
    int err = ok ? 0 : WSAGetLastError();
    req_started(q, c, ok || err == WSA_IO_PENDING ? 0 : SOCKET_ERROR, &err);
    WSASetLastError(err);
    return FALSE;
}

static BOOL PASCAL x_acceptex(SOCKET ls, SOCKET as, PVOID buf, DWORD rdlen,
                              DWORD lalen, DWORD ralen, LPDWORD got,
                              LPOVERLAPPED ov)
{
    struct lsp_call c;
    int err = 0;
    struct lsp_sock *ask = sock_get(as);
    if (!enter(ls, LSP_ACCEPTEX, &c, &err) || !ask) {
        if (ask)
            sock_put(ask);
        return ext_fail(&c, err ? err : WSAENOTSOCK);
    }
    c.asked = rdlen;
    c.overlapped = 1;
    LPFN_ACCEPTEX fn = (LPFN_ACCEPTEX)ext_lower(c.sk, LSP_EXT_ACCEPTEX, &err);
    struct lsp_req *q = fn ? req_new(&c, ov, NULL, NULL, &err) : NULL;
    if (!q) {
        sock_put(ask);
        return ext_fail(&c, err);
    }
    (void)got; /* the count comes with the completion */
    q->sk2 = ask;
    DWORD dummy;
    return ext_started(q, &c,
                       fn(c.sk->lower, ask->lower, buf, rdlen, lalen, ralen,
                          &dummy, &q->ov));
}

static BOOL PASCAL x_connectex(SOCKET s, const struct sockaddr *name,
                               int namelen, PVOID buf, DWORD len,
                               LPDWORD sent, LPOVERLAPPED ov)
{
    struct lsp_call c;
    int err = 0;
    if (!enter(s, LSP_CONNECTEX, &c, &err))
        return ext_fail(&c, err);
    c.asked = len;
    c.overlapped = 1;
    LPFN_CONNECTEX fn =
        (LPFN_CONNECTEX)ext_lower(c.sk, LSP_EXT_CONNECTEX, &err);
    struct lsp_req *q = fn ? req_new(&c, ov, NULL, NULL, &err) : NULL;
    if (!q)
        return ext_fail(&c, err);
    (void)sent;
    DWORD dummy;
    return ext_started(q, &c,
                       fn(c.sk->lower, name, namelen, buf, len, &dummy,
                          &q->ov));
}

/* Without lpOverlapped it is a blocking call below. */
static BOOL PASCAL x_disconnectex(SOCKET s, LPOVERLAPPED ov, DWORD flags,
                                  DWORD reserved)
{
    struct lsp_call c;
    int err = 0;
    if (!enter(s, LSP_DISCONNECTEX, &c, &err))
        return ext_fail(&c, err);
    LPFN_DISCONNECTEX fn =
        (LPFN_DISCONNECTEX)ext_lower(c.sk, LSP_EXT_DISCONNECTEX, &err);
    if (!fn)
        return ext_fail(&c, err);
    if (!ov) {
        BOOL ok = fn(c.sk->lower, NULL, flags, reserved);
        err = ok ? 0 : WSAGetLastError();
        leave(&c, ok ? 0 : SOCKET_ERROR, &err);
        WSASetLastError(err);
        return ok;
    }
    c.overlapped = 1;
    struct lsp_req *q = req_new(&c, ov, NULL, NULL, &err);
    if (!q)
        return ext_fail(&c, err);
    return ext_started(q, &c, fn(c.sk->lower, &q->ov, flags, reserved));
}

/* ---- options ---- */

/* SO_PROTOCOL_INFO tells the chain entry the socket was made on. */
static void chain_info(const struct lsp_sock *sk, int wide, char *optval)
{
    const WSAPROTOCOL_INFOW *w = &sk->next->chain;
    if (wide) {
        memcpy(optval, w, sizeof(*w));
        return;
    }
    WSAPROTOCOL_INFOA a;
    memcpy(&a, w, offsetof(WSAPROTOCOL_INFOA, szProtocol));
    for (int i = 0; i <= WSAPROTOCOL_LEN; i++)
        a.szProtocol[i] = w->szProtocol[i] < 0x80 ? (char)w->szProtocol[i]
                                                  : '?';
    memcpy(optval, &a, sizeof(a));
}

static int WSPAPI l_getsockopt(SOCKET s, int level, int optname,
                               char *optval, LPINT optlen, LPINT lpErrno)
{
    struct lsp_call c;
    if (!enter(s, LSP_GETSOCKOPT, &c, lpErrno))
        return leave(&c, SOCKET_ERROR, lpErrno);
    int r = c.sk->next->proc->lpWSPGetSockOpt(c.sk->lower, level, optname,
                                              optval, optlen, lpErrno);
    if (!r && level == SOL_SOCKET &&
        (optname == SO_PROTOCOL_INFOW || optname == SO_PROTOCOL_INFOA))
        chain_info(c.sk, optname == SO_PROTOCOL_INFOW, optval);
    return leave(&c, r, lpErrno);
}

/* SO_UPDATE_ACCEPT_CONTEXT carries the listening socket's handle. */
static int WSPAPI l_setsockopt(SOCKET s, int level, int optname,
                               const char *optval, int optlen, LPINT lpErrno)
{
    struct lsp_call c;
    if (!enter(s, LSP_SETSOCKOPT, &c, lpErrno))
        return leave(&c, SOCKET_ERROR, lpErrno);
    struct lsp_sock *l = NULL;
    SOCKET low;
    if (level == SOL_SOCKET && optname == SO_UPDATE_ACCEPT_CONTEXT &&
        (uintptr_t)optval >= 0x10000 && optlen >= (int)sizeof(SOCKET)) {
        memcpy(&low, optval, sizeof(low));
        if ((l = sock_get(low)))
            low = l->lower;
    }
    int r = c.sk->next->proc->lpWSPSetSockOpt(
        c.sk->lower, level, optname, l ? (const char *)&low : optval,
        l ? (int)sizeof(low) : optlen, lpErrno);
    if (l)
        sock_put(l);
    return leave(&c, r, lpErrno);
}

/* ---- the rest: the same call on the lower socket ---- */

static int WSPAPI l_bind(SOCKET s, const struct sockaddr *name, int namelen,
                         LPINT lpErrno)
{
    struct lsp_call c;
    if (!enter(s, LSP_BIND, &c, lpErrno))
        return leave(&c, SOCKET_ERROR, lpErrno);
    return leave(&c, c.sk->next->proc->lpWSPBind(c.sk->lower, name, namelen,
                                                 lpErrno),
                 lpErrno);
}

static int WSPAPI l_connect(SOCKET s, const struct sockaddr *name,
                            int namelen, LPWSABUF caller, LPWSABUF callee,
                            LPQOS sqos, LPQOS gqos, LPINT lpErrno)
{
    struct lsp_call c;
    if (!enter(s, LSP_CONNECT, &c, lpErrno))
        return leave(&c, SOCKET_ERROR, lpErrno);
    return leave(&c, c.sk->next->proc->lpWSPConnect(c.sk->lower, name,
                                                    namelen, caller, callee,
                                                    sqos, gqos, lpErrno),
                 lpErrno);
}

static int WSPAPI l_listen(SOCKET s, int backlog, LPINT lpErrno)
{
    struct lsp_call c;
    if (!enter(s, LSP_LISTEN, &c, lpErrno))
        return leave(&c, SOCKET_ERROR, lpErrno);
    return leave(&c, c.sk->next->proc->lpWSPListen(c.sk->lower, backlog,
                                                   lpErrno),
                 lpErrno);
}

static int WSPAPI l_shutdown(SOCKET s, int how, LPINT lpErrno)
{
    struct lsp_call c;
    if (!enter(s, LSP_SHUTDOWN, &c, lpErrno))
        return leave(&c, SOCKET_ERROR, lpErrno);
    return leave(&c, c.sk->next->proc->lpWSPShutdown(c.sk->lower, how,
                                                     lpErrno),
                 lpErrno);
}

static int WSPAPI l_getpeername(SOCKET s, struct sockaddr *name,
                                LPINT namelen, LPINT lpErrno)
{
    struct lsp_call c;
    if (!enter(s, LSP_GETPEERNAME, &c, lpErrno))
        return leave(&c, SOCKET_ERROR, lpErrno);
    return leave(&c, c.sk->next->proc->lpWSPGetPeerName(c.sk->lower, name,
                                                        namelen, lpErrno),
                 lpErrno);
}

static int WSPAPI l_getsockname(SOCKET s, struct sockaddr *name,
                                LPINT namelen, LPINT lpErrno)
{
    struct lsp_call c;
    if (!enter(s, LSP_GETSOCKNAME, &c, lpErrno))
        return leave(&c, SOCKET_ERROR, lpErrno);
    return leave(&c, c.sk->next->proc->lpWSPGetSockName(c.sk->lower, name,
                                                        namelen, lpErrno),
                 lpErrno);
}

static int WSPAPI l_eventselect(SOCKET s, WSAEVENT ev, LONG events,
                                LPINT lpErrno)
{
    struct lsp_call c;
    if (!enter(s, LSP_EVENTSELECT, &c, lpErrno))
        return leave(&c, SOCKET_ERROR, lpErrno);
    return leave(&c, c.sk->next->proc->lpWSPEventSelect(c.sk->lower, ev,
                                                        events, lpErrno),
                 lpErrno);
}

static int WSPAPI l_enumnetworkevents(SOCKET s, WSAEVENT ev,
                                      LPWSANETWORKEVENTS ne, LPINT lpErrno)
{
    struct lsp_call c;
    if (!enter(s, LSP_ENUMNETWORKEVENTS, &c, lpErrno))
        return leave(&c, SOCKET_ERROR, lpErrno);
    return leave(&c, c.sk->next->proc->lpWSPEnumNetworkEvents(
                         c.sk->lower, ev, ne, lpErrno),
                 lpErrno);
}

static int WSPAPI l_recvdisconnect(SOCKET s, LPWSABUF data, LPINT lpErrno)
{
    struct lsp_call c;
    if (!enter(s, LSP_RECVDISCONNECT, &c, lpErrno))
        return leave(&c, SOCKET_ERROR, lpErrno);
    return leave(&c, c.sk->next->proc->lpWSPRecvDisconnect(c.sk->lower, data,
                                                           lpErrno),
                 lpErrno);
}

static int WSPAPI l_senddisconnect(SOCKET s, LPWSABUF data, LPINT lpErrno)
{
    struct lsp_call c;
    if (!enter(s, LSP_SENDDISCONNECT, &c, lpErrno))
        return leave(&c, SOCKET_ERROR, lpErrno);
    return leave(&c, c.sk->next->proc->lpWSPSendDisconnect(c.sk->lower, data,
                                                           lpErrno),
                 lpErrno);
}

/* The calls no hook hears of: not counted among a socket's. */

static int WSPAPI l_asyncselect(SOCKET s, HWND w, unsigned int msg,
                                LONG events, LPINT lpErrno)
{
    struct lsp_sock *sk = sock_get(s);
    if (!sk)
        return fail(lpErrno, WSAENOTSOCK);
    int r = sk->next->proc->lpWSPAsyncSelect(sk->lower, w, msg, events,
                                             lpErrno);
    sock_put(sk);
    return r;
}

static int WSPAPI l_duplicate(SOCKET s, DWORD pid, LPWSAPROTOCOL_INFOW info,
                              LPINT lpErrno)
{
    struct lsp_sock *sk = sock_get(s);
    if (!sk)
        return fail(lpErrno, WSAENOTSOCK);
    int r = sk->next->proc->lpWSPDuplicateSocket(sk->lower, pid, info,
                                                 lpErrno);
    sock_put(sk);
    return r;
}

static BOOL WSPAPI l_getqosbyname(SOCKET s, LPWSABUF name, LPQOS qos,
                                  LPINT lpErrno)
{
    struct lsp_sock *sk = sock_get(s);
    if (!sk)
        return fail(lpErrno, WSAENOTSOCK), FALSE;
    BOOL r = sk->next->proc->lpWSPGetQOSByName(sk->lower, name, qos,
                                               lpErrno);
    sock_put(sk);
    return r;
}

/* A new socket of the join is the application's like any other. */
static SOCKET WSPAPI l_joinleaf(SOCKET s, const struct sockaddr *name,
                                int namelen, LPWSABUF caller,
                                LPWSABUF callee, LPQOS sqos, LPQOS gqos,
                                DWORD flags, LPINT lpErrno)
{
    struct lsp_sock *sk = sock_get(s);
    if (!sk)
        return fail(lpErrno, WSAENOTSOCK), INVALID_SOCKET;
    SOCKET low = sk->next->proc->lpWSPJoinLeaf(sk->lower, name, namelen,
                                               caller, callee, sqos, gqos,
                                               flags, lpErrno);
    SOCKET up = low == sk->lower         ? s
                : low == INVALID_SOCKET ? INVALID_SOCKET
                                        : sock_wrap(low, sk, sk->next,
                                                    lpErrno);
    sock_put(sk);
    return up;
}

static int WSPAPI l_cancelblocking(LPINT lpErrno)
{
    return fail(lpErrno, WSAEOPNOTSUPP); /* Winsock 2 has no hooks */
}

static INT WSPAPI l_addrtostr(LPSOCKADDR a, DWORD alen,
                              LPWSAPROTOCOL_INFOW info, LPWSTR str,
                              LPDWORD slen, LPINT lpErrno)
{
    struct lsp_next *next = info ? lsp_next_get(info, lpErrno) : NULL;
    if (!next)
        return info ? SOCKET_ERROR : fail(lpErrno, WSAEINVAL);
    WSAPROTOCOL_INFOW below = next->info;
    return next->proc->lpWSPAddressToString(a, alen, &below, str, slen,
                                            lpErrno);
}

static INT WSPAPI l_strtoaddr(LPWSTR str, INT af, LPWSAPROTOCOL_INFOW info,
                              LPSOCKADDR a, LPINT alen, LPINT lpErrno)
{
    struct lsp_next *next = info ? lsp_next_get(info, lpErrno) : NULL;
    if (!next)
        return info ? SOCKET_ERROR : fail(lpErrno, WSAEINVAL);
    WSAPROTOCOL_INFOW below = next->info;
    return next->proc->lpWSPStringToAddress(str, af, &below, a, alen,
                                            lpErrno);
}

/* ---- WSPStartup ---- */

static const WSPPROC_TABLE procs = {
    .lpWSPAccept = l_accept,
    .lpWSPAddressToString = l_addrtostr,
    .lpWSPAsyncSelect = l_asyncselect,
    .lpWSPBind = l_bind,
    .lpWSPCancelBlockingCall = l_cancelblocking,
    .lpWSPCleanup = l_cleanup,
    .lpWSPCloseSocket = l_close,
    .lpWSPConnect = l_connect,
    .lpWSPDuplicateSocket = l_duplicate,
    .lpWSPEnumNetworkEvents = l_enumnetworkevents,
    .lpWSPEventSelect = l_eventselect,
    .lpWSPGetOverlappedResult = l_getoverlappedresult,
    .lpWSPGetPeerName = l_getpeername,
    .lpWSPGetSockName = l_getsockname,
    .lpWSPGetSockOpt = l_getsockopt,
    .lpWSPGetQOSByName = l_getqosbyname,
    .lpWSPIoctl = l_ioctl,
    .lpWSPJoinLeaf = l_joinleaf,
    .lpWSPListen = l_listen,
    .lpWSPRecv = l_recv,
    .lpWSPRecvDisconnect = l_recvdisconnect,
    .lpWSPRecvFrom = l_recvfrom,
    .lpWSPSelect = l_select,
    .lpWSPSend = l_send,
    .lpWSPSendDisconnect = l_senddisconnect,
    .lpWSPSendTo = l_sendto,
    .lpWSPSetSockOpt = l_setsockopt,
    .lpWSPShutdown = l_shutdown,
    .lpWSPSocket = l_socket,
    .lpWSPStringToAddress = l_strtoaddr,
};

/* Called by ws2_32 once per provider GUID whose entries name this object
 * (a layer has two: its LAYERED_PROTOCOL entry and its chains), and again
 * after a last WSACleanup; the layer starts once and counts. */
LSP_EXPORT int WSPAPI WSPStartup(WORD wVersionRequested, LPWSPDATA lpWSPData,
                                 LPWSAPROTOCOL_INFOW lpProtocolInfo,
                                 WSPUPCALLTABLE UpcallTable,
                                 LPWSPPROC_TABLE lpProcTable)
{
    if (LOBYTE(wVersionRequested) < 2 ||
        (LOBYTE(wVersionRequested) == 2 && HIBYTE(wVersionRequested) < 2))
        return WSAVERNOTSUPPORTED;
    if (!lpWSPData || !lpProcTable || !lpProtocolInfo)
        return WSAEFAULT;
    pthread_mutex_lock(&start_lock);
    int err = starts ? 0 : first_start(UpcallTable);
    if (!err)
        starts++;
    pthread_mutex_unlock(&start_lock);
    if (err)
        return err;
    lpWSPData->wVersion = lpWSPData->wHighVersion = MAKEWORD(2, 2);
    size_t i = 0;
    for (; lsp_layer.name[i] && i < WSPDESCRIPTION_LEN; i++)
        lpWSPData->szDescription[i] = (unsigned char)lsp_layer.name[i];
    lpWSPData->szDescription[i] = 0;
    *lpProcTable = procs;
    return 0;
}
