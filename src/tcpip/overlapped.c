/*
 * overlapped.c - the base provider's overlapped send and receive paths,
 * their completion, WSPGetOverlappedResult and cancellation.
 *
 * A call first tries the transfer at once (MSG_DONTWAIT) when its queue is
 * idle: done, it completes now - lpOverlapped updated, the event set or
 * the routine queued - and returns 0. Otherwise the WSABUFs are captured
 * into a request (the caller may reuse its array at once), lpOverlapped is
 * marked pending, and the engine carries it out: SOCKET_ERROR with
 * WSA_IO_PENDING. Completion goes through the upcalls, as for any
 * provider: WPUCompleteOverlappedRequest for events, WPUQueueApc for
 * routines (run in the starting thread's next alertable wait).
 * WSASendMsg and WSARecvMsg (msg.c) take the same paths with their control
 * data beside (struct ws2__ctl): a request carries it in r.x, and a
 * receive completes its WSAMSG before the completion is delivered.
 * lpOverlapped->Internal holds STATUS_PENDING, then the WSA error (0 for
 * success); InternalHigh the byte count; Offset the flags (MSG_PARTIAL).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sync/sync.h"
#include "tcpip/oreq.h"


/* A WSASendMsg or WSARecvMsg request's control data, and the WSAMSG a
 * receive completes: one allocation, hung on r.x. */
struct octl {
    struct ws2__req_x x; /* first */
    LPWSAMSG msg;
    _Alignas(8) unsigned char data[];
};

static void oreq_free(struct oreq *o)
{
    int e;
    if (o->slot)
        ws2__handle_unref(o->slot);
    if (o->tid.ThreadHandle)
        ws2__tcpip_upcalls.lpWPUCloseThread(&o->tid, &e);
    free(o->bounce);
    if (!o->ext)
        free(o->r.x); /* a struct octl, first member x */
    free(o);
}

static void set_result(LPWSAOVERLAPPED ov, DWORD err, DWORD bytes,
                       DWORD flags)
{
    ov->Offset = flags;
    ov->InternalHigh = bytes;
    __atomic_store_n(&ov->Internal, (ULONG_PTR)err, __ATOMIC_RELEASE);
}

/* Calls a completion routine with the request's results, read from
 * lpOverlapped now (set_result wrote them before the APC was queued), as
 * Windows' APC reads the I/O status block when it runs. */
static void run_cr(LPWSAOVERLAPPED_COMPLETION_ROUTINE cr, LPWSAOVERLAPPED ov)
{
    DWORD err = (DWORD)__atomic_load_n(&ov->Internal, __ATOMIC_ACQUIRE);
    cr(err, (DWORD)ov->InternalHigh, ov, ov->Offset);
}

/* Runs in the starting thread, in an alertable wait. */
static void CALLBACK run_routine(DWORD_PTR ctx)
{
    struct oreq *o = (struct oreq *)ctx;
    LPWSAOVERLAPPED_COMPLETION_ROUTINE cr = o->cr;
    LPWSAOVERLAPPED ov = o->ov;
    oreq_free(o);
    run_cr(cr, ov);
}

/* A routine's APC dropped at its thread's exit: the request goes. */
static void drop_routine(DWORD_PTR ctx)
{
    oreq_free((struct oreq *)ctx);
}

/* Tells the application: the routine queued, or lpOverlapped completed
 * and its event set. Consumes o. */
static void deliver(struct oreq *o, DWORD err, DWORD bytes, DWORD flags)
{
    int e;
    if (o->cr) {
        set_result(o->ov, err, bytes, flags);
        if (o->slot) { /* the socket is no longer needed */
            ws2__handle_unref(o->slot);
            o->slot = NULL;
        }
        if (ws2__tcpip_upcalls.lpWPUQueueApc(&o->tid, run_routine,
                                             (DWORD_PTR)o, &e) != 0)
            oreq_free(o);
        return;
    }
    o->ov->Offset = flags;
    WPUCompleteOverlappedRequest(oreq_sk(o)->handle, o->ov, err, bytes, &e);
    oreq_free(o);
}

/* ---- completion routines of requests done inside their call ----
 * The routine runs later, in an alertable wait of the thread named by
 * lpThreadId: the calling thread. What it needs is a small record from
 * that thread's own cache, given back when the routine runs there, so the
 * immediate path allocates nothing once a thread has run one routine (no
 * request object, no thread reference: the caller's lpThreadId is good
 * for the call, and WPUQueueApc uses it at once). A thread's cache is
 * freed when the thread exits. */
struct imm {
    struct imm *next;
    LPWSAOVERLAPPED_COMPLETION_ROUTINE cr;
    LPWSAOVERLAPPED ov;
};
#define IMM_CACHE 64 /* records a thread keeps for reuse */
static WS2__TLS struct imm *imm_cache;
static WS2__TLS unsigned imm_cached;
static WS2__TLS int imm_registered; /* imm_drain will run at exit */
static pthread_key_t imm_key;
static pthread_once_t imm_once = PTHREAD_ONCE_INIT;
static int imm_key_ok;

static void imm_drain(void *arg)
{
    (void)arg;
    while (imm_cache) {
        struct imm *m = imm_cache;
        imm_cache = m->next;
        free(m);
    }
    imm_cached = 0;
    imm_registered = 0;
}

static void imm_key_make(void)
{
    imm_key_ok = pthread_key_create(&imm_key, imm_drain) == 0;
}

static struct imm *imm_get(void)
{
    struct imm *m = imm_cache;
    if (m) {
        imm_cache = m->next;
        imm_cached--;
        return m;
    }
    return malloc(sizeof(*m));
}

static void imm_put(struct imm *m)
{
    if (imm_cached >= IMM_CACHE) {
        free(m);
        return;
    }
    if (!imm_registered) {
        /* The destructor runs at this thread's exit (once set). */
        pthread_once(&imm_once, imm_key_make);
        if (!imm_key_ok || pthread_setspecific(imm_key, &imm_cache) != 0) {
            free(m);
            return;
        }
        imm_registered = 1;
    }
    m->next = imm_cache;
    imm_cache = m;
    imm_cached++;
}

/* Dropped at the thread's exit: the record goes (the thread's cache is
 * being freed too). */
static void drop_imm(DWORD_PTR ctx)
{
    free((struct imm *)ctx);
}

static void CALLBACK run_imm(DWORD_PTR ctx)
{
    struct imm m = *(struct imm *)ctx;
    imm_put((struct imm *)ctx); /* first: the routine may start another */
    run_cr(m.cr, m.ov);
}

void ws2__tcpip_apc_drops(void)
{
    ws2__apc_on_drop(run_routine, drop_routine);
    ws2__apc_on_drop(run_imm, drop_imm);
}

/* Queues m's routine to tid's thread (the calling thread's own id when the
 * caller gave none); 0 or the upcall's error. */
static int imm_queue(struct imm *m, LPWSATHREADID tid)
{
    int e;
    if (tid && tid->ThreadHandle)
        return ws2__tcpip_upcalls.lpWPUQueueApc(tid, run_imm, (DWORD_PTR)m,
                                                &e);
    WSATHREADID self;
    if (ws2__tcpip_upcalls.lpWPUOpenCurrentThread(&self, &e) != 0)
        return e;
    int r = ws2__tcpip_upcalls.lpWPUQueueApc(&self, run_imm, (DWORD_PTR)m,
                                             &e);
    ws2__tcpip_upcalls.lpWPUCloseThread(&self, &e);
    return r;
}

void ws2__tcpip_complete_now(SOCKET s, LPWSAOVERLAPPED ov,
                             LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                             LPWSATHREADID tid, DWORD err, DWORD bytes,
                             DWORD flags)
{
    if (!cr) {
        ov->Offset = flags;
        ws2__complete(s, ov, err, bytes, 1); /* completed inside the call */
        return;
    }
    set_result(ov, err, bytes, flags);
    struct imm *m = imm_get();
    if (!m)
        return; /* the routine cannot be queued */
    *m = (struct imm){NULL, cr, ov};
    if (imm_queue(m, tid) != 0)
        imm_put(m);
}

static DWORD map_error(struct oreq *o, int lerr)
{
    struct ws2__tsock *sk = oreq_sk(o);
    if (lerr == -ECANCELED || atomic_load(&sk->closing))
        return WSA_OPERATION_ABORTED;
    if (!o->recv && lerr == -EPIPE)
        return atomic_load(&sk->shut_send) ? WSAESHUTDOWN : WSAECONNRESET;
    return (DWORD)ws2__wsa_error(-lerr, o->recv ? WS2__OP_RECV
                                                : WS2__OP_SEND);
}

static int match_resubmit(struct oreq *o, int lerr)
{
    /* A port-unreachable on a UDP socket with SIO_UDP_CONNRESET off is
     * not an answer: the receive goes on waiting. */
    if (!(o->recv && oreq_sk(o)->type != SOCK_STREAM && lerr == -ECONNREFUSED))
        return 0;
    ws2__tcpip_note_unreachable(oreq_sk(o));
    if (atomic_load(&oreq_sk(o)->udp_connreset)) {
        atomic_fetch_sub(&oreq_sk(o)->pending_reset, 1);
        return 0;
    }
    return ws2__engine_submit(&oreq_sk(o)->es, WS2__DIR_RECV, &o->r) == 0;
}

/* The engine's answer, on any thread. */
static void done(struct ws2__req *r, int lerr, size_t bytes, int msg_flags)
{
    struct oreq *o = (struct oreq *)r;
    DWORD err = 0, flags = 0;
    /* Port-unreachables the send met on the way, for a later receive. */
    for (unsigned i = 0; i < r->refused; i++)
        ws2__tcpip_note_unreachable(oreq_sk(o));
    if (lerr < 0) {
        if (match_resubmit(o, lerr))
            return;
        err = map_error(o, lerr);
    } else if (o->recv) {
        if (o->bounce)
            ws2__lx_scatter(o->more, o->nuser, o->bounce, bytes);
        if (r->x && !o->ext) {
            /* WSARecvMsg: truncation is in the WSAMSG; the flags stay 0
             * (Wine's test_ip_pktinfo, which passes on Windows). */
            struct octl *c = (struct octl *)(void *)r->x;
            if (ws2__msg_recv_done(oreq_sk(o), c->msg, c->x.control,
                                   c->x.controllen, msg_flags))
                err = WSAEMSGSIZE;
        } else if (oreq_sk(o)->type != SOCK_STREAM &&
                   (msg_flags & ws2__lx_MSG_TRUNC)) {
            err = WSAEMSGSIZE;
            flags = MSG_PARTIAL;
        }
        if (o->from)
            ws2__lx_addr_out(r->addr, r->addrlen, o->from, o->fromlen);
    }
    if (!o->recv && !err && oreq_sk(o)->type == SOCK_STREAM)
        atomic_store(&oreq_sk(o)->connected, 1);
    deliver(o, err, (DWORD)bytes, flags);
}

/* A request holding the caller's buffers. */
static struct oreq *oreq_new(struct ws2__tsock *sk, SOCKET s,
                             struct ws2__iovs *io, int recv, int *err)
{
    int dgram = sk->type != SOCK_STREAM;
    int bounce = dgram && io->n > WS2__IOV_MAX;
    size_t keep = (bounce || io->n > WS2__REQ_INLINE_IOV) ? io->n : 0;
    struct oreq *o = calloc(1, sizeof(*o) + keep * sizeof(struct iovec));
    struct ws2__slot *slot = ws2__handle_ref(s);
    if (!o || !slot) {
        free(o);
        if (slot)
            ws2__handle_unref(slot);
        *err = slot ? WSAENOBUFS : WSAENOTSOCK;
        return NULL;
    }
    o->slot = slot;
    o->recv = recv;
    o->r.stream = !dgram;
    o->r.done = done;
    o->r.iov = keep ? o->more : o->r.iov_inline;
    memcpy(o->r.iov, io->v, io->n * sizeof(struct iovec));
    o->r.niov = (uint32_t)io->n;
    if (bounce) {
        uint64_t max = sk->af == AF_INET6 ? WS2__UDP6_MAX_MSG
                                          : WS2__UDP4_MAX_MSG;
        size_t len = io->total < 65536 ? (size_t)io->total : 65536;
        if (!recv && io->total > max) {
            oreq_free(o);
            *err = WSAEMSGSIZE;
            return NULL;
        }
        o->bounce = malloc(len ? len : 1);
        if (!o->bounce ||
            (!recv && ws2__lx_gather(o->bounce, len, io->v, io->n) < 0)) {
            *err = o->bounce ? WSAEFAULT : WSAENOBUFS;
            oreq_free(o);
            return NULL;
        }
        o->nuser = (uint32_t)io->n;
        o->r.iov = o->r.iov_inline;
        o->r.iov[0].iov_base = o->bounce;
        o->r.iov[0].iov_len = len;
        o->r.niov = 1;
    }
    return o;
}

/* A request of WSASendMsg or WSARecvMsg takes its control data along: a
 * send's bytes copied, or room for a receive's. 0 or WSAENOBUFS. */
static int attach_ctl(struct oreq *o, const struct ws2__ctl *ctl)
{
    if (!ctl)
        return 0;
    struct octl *c = malloc(sizeof(*c) + (ctl->len ? ctl->len : 1));
    if (!c)
        return WSAENOBUFS;
    if (!o->recv)
        memcpy(c->data, ctl->buf, ctl->len);
    c->x.control = c->data;
    c->x.controllen = ctl->len;
    c->x.more = NULL;
    c->msg = ctl->msg;
    o->r.x = &c->x;
    return 0;
}

/* Hands o to the engine: SOCKET_ERROR with WSA_IO_PENDING, or the error
 * that kept it from starting (then nothing will complete). */
static int start(struct oreq *o, LPWSAOVERLAPPED ov,
                 LPWSAOVERLAPPED_COMPLETION_ROUTINE cr, LPINT lpErrno)
{
    int e;
    o->ov = ov;
    o->cr = cr;
    if (ws2__tcpip_upcalls.lpWPUOpenCurrentThread(&o->tid, &e) != 0) {
        oreq_free(o);
        return ws2__tcpip_fail(lpErrno, WSAENOBUFS);
    }
    ov->InternalHigh = 0;
    __atomic_store_n(&ov->Internal, (ULONG_PTR)STATUS_PENDING,
                     __ATOMIC_RELEASE);
    /* As on Windows, a request that goes pending clears its event first,
     * so a reused event means this request. */
    if (!cr && ov->hEvent)
        ws2__event_reset((WSAEVENT)((uintptr_t)ov->hEvent & ~(uintptr_t)1));
    if (ws2__engine_submit(&oreq_sk(o)->es, o->recv, &o->r) != 0) {
        oreq_free(o);
        __atomic_store_n(&ov->Internal, (ULONG_PTR)WSAEWOULDBLOCK,
                         __ATOMIC_RELEASE);
        return ws2__tcpip_fail(lpErrno, WSAEWOULDBLOCK);
    }
    return ws2__tcpip_fail(lpErrno, WSA_IO_PENDING);
}

/* A socket bound to a completion port takes no completion routine: each
 * request completes to one place, and NT refuses an APC routine on a file
 * with a port (STATUS_INVALID_PARAMETER, which Winsock reports as
 * WSAEINVAL). */
static int on_port(const struct ws2__tsock *sk)
{
    int owned;
    struct ws2__slot *slot = ws2__handle_borrow_any(sk->handle, &owned);
    if (!slot)
        return 0;
    int bound = atomic_load_explicit(&slot->port_slot,
                                     memory_order_acquire) != NULL;
    if (owned)
        ws2__handle_unref(slot);
    return bound;
}

static int check_call(const struct ws2__tsock *sk, LPWSAOVERLAPPED ov,
                      LPWSAOVERLAPPED_COMPLETION_ROUTINE cr)
{
    /* A routine needs its lpOverlapped, whose hEvent is free for the
     * caller's context. */
    if (ws2__bad_ptr(ov) || (cr && ws2__bad_ptr((const void *)cr)))
        return WSAEFAULT;
    if (cr && on_port(sk))
        return WSAEINVAL;
    return 0;
}

int ws2__tcpip_send_now_error(const struct ws2__tsock *sk, ssize_t r,
                              int to)
{
    if (r == -EPIPE)
        return atomic_load(&sk->shut_send) ? WSAESHUTDOWN
               : atomic_load(&sk->connected) || atomic_load(&sk->connecting)
                   ? WSAECONNRESET
                   : WSAENOTCONN;
    if (r == -EDESTADDRREQ)
        return to ? WSAEDESTADDRREQ : WSAENOTCONN;
    return ws2__wsa_error((int)-r, WS2__OP_SEND);
}

/* The immediate attempt: -EAGAIN when it must wait (or was not tried). */
static ssize_t send_now(struct ws2__sendop *op)
{
    struct ws2__tsock *sk = op->sk;
    int dgram = sk->type != SOCK_STREAM;
    ssize_t r = -EAGAIN;
    if (!ws2__engine_idle(&sk->es, WS2__DIR_SEND) ||
        (dgram && op->io.n > WS2__IOV_MAX))
        return r;
    for (int i = 0; i < 8; i++) {
        r = ws2__lx_sendmsg_ctl(
            sk->fd, op->io.v,
            op->io.n > WS2__IOV_MAX ? WS2__IOV_MAX : op->io.n, op->to,
            op->tolen, op->lflags | ws2__lx_MSG_DONTWAIT,
            op->ctl ? op->ctl->buf : NULL, op->ctl ? op->ctl->len : 0);
        if (!(dgram && r == -ECONNREFUSED))
            break;
        ws2__tcpip_note_unreachable(sk);
    }
    return r;
}

int ws2__tcpip_ov_immediate_ok(const struct ws2__tsock *sk,
                               LPWSAOVERLAPPED ov,
                               LPWSAOVERLAPPED_COMPLETION_ROUTINE cr)
{
    return !check_call(sk, ov, cr) &&
           ws2__engine_idle(&sk->es, WS2__DIR_SEND);
}

int ws2__tcpip_send_ov(struct ws2__sendop *op, SOCKET s, LPDWORD sent,
                       LPWSAOVERLAPPED ov,
                       LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                       LPWSATHREADID tid, LPINT lpErrno)
{
    struct ws2__tsock *sk = op->sk;
    int err = check_call(sk, ov, cr);
    if (err) {
        ws2__iovs_free(&op->io);
        return ws2__tcpip_fail(lpErrno, err);
    }
    int dgram = sk->type != SOCK_STREAM;
    ssize_t r = send_now(op);
    if (r >= 0 && (dgram || (uint64_t)r == op->io.total)) {
        if (!dgram)
            atomic_store(&sk->connected, 1);
        ws2__iovs_free(&op->io);
        ws2__tcpip_complete_now(s, ov, cr, tid, 0, (DWORD)r, 0);
        if (sent)
            *sent = (DWORD)r;
        return 0;
    }
    if (r < 0 && r != -EAGAIN) {
        ws2__iovs_free(&op->io);
        return ws2__tcpip_fail(lpErrno, ws2__tcpip_send_now_error(
                                            sk, r, op->tolen != 0));
    }
    struct oreq *o = ws2__engine_start() ? (err = WSAENOBUFS, NULL)
                                         : oreq_new(sk, s, &op->io, 0, &err);
    ws2__iovs_free(&op->io);
    if (!o)
        return ws2__tcpip_fail(lpErrno, err);
    o->r.lflags = op->lflags;
    memcpy(o->r.addr, op->to, op->tolen);
    o->r.addrlen = op->tolen;
    if ((err = attach_ctl(o, op->ctl))) {
        oreq_free(o);
        return ws2__tcpip_fail(lpErrno, err);
    }
    if (r > 0) /* a stream send that went in part */
        ws2__req_advance(&o->r, (size_t)r);
    return start(o, ov, cr, lpErrno);
}

/* A WSARecvMsg that found its message at once. Windows reports a
 * truncated one (data or control) through the completion, as a request
 * that went pending (Wine's test_ip_pktinfo, which passes on Windows). */
static int recv_msg_now(struct ws2__tsock *sk, SOCKET s,
                        const struct ws2__ctl *ctl, size_t clen, int mflags,
                        DWORD bytes, LPDWORD got, LPWSAOVERLAPPED ov,
                        LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                        LPWSATHREADID tid, LPINT lpErrno)
{
    if (ws2__msg_recv_done(sk, ctl->msg, ctl->buf, clen, mflags)) {
        ws2__tcpip_complete_now(s, ov, cr, tid, WSAEMSGSIZE, bytes, 0);
        return ws2__tcpip_fail(lpErrno, WSA_IO_PENDING);
    }
    if (got)
        *got = bytes;
    ws2__tcpip_complete_now(s, ov, cr, tid, 0, bytes, 0);
    return 0;
}

int ws2__tcpip_recv_ov(struct ws2__tsock *sk, SOCKET s, const WSABUF *bufs,
                       DWORD count, LPDWORD got, LPDWORD lpFlags, int lflags,
                       struct sockaddr *from, LPINT fromlen,
                       const struct ws2__ctl *ctl, LPWSAOVERLAPPED ov,
                       LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                       LPWSATHREADID tid, LPINT lpErrno)
{
    struct ws2__iovs io;
    int err = check_call(sk, ov, cr);
    if (err || (err = ws2__iovs_build(&io, bufs, count)))
        return ws2__tcpip_fail(lpErrno, err);
    int dgram = sk->type != SOCK_STREAM;
    if (ws2__engine_idle(&sk->es, WS2__DIR_RECV) && io.n <= WS2__IOV_MAX) {
        int flen = from ? *fromlen : 0, mflags = 0;
        size_t clen;
        ssize_t r;
        for (;;) {
            clen = ctl ? ctl->len : 0;
            r = ws2__lx_recvmsg_ctl(sk->fd, io.v, io.n, from,
                                    from ? &flen : NULL,
                                    lflags | ws2__lx_MSG_DONTWAIT, &mflags,
                                    ctl ? ctl->buf : NULL, &clen);
            if (!(dgram && r == -ECONNREFUSED))
                break;
            ws2__tcpip_note_unreachable(sk);
            if (atomic_load(&sk->udp_connreset)) {
                atomic_fetch_sub(&sk->pending_reset, 1);
                break;
            }
        }
        if (r >= 0) {
            ws2__iovs_free(&io);
            if (from)
                *fromlen = flen;
            *lpFlags = 0;
            if (ctl)
                return recv_msg_now(sk, s, ctl, clen, mflags, (DWORD)r, got,
                                    ov, cr, tid, lpErrno);
            if (got)
                *got = (DWORD)r;
            if (dgram && (mflags & ws2__lx_MSG_TRUNC)) {
                /* As for a non-overlapped receive; nothing completes. */
                *lpFlags = MSG_PARTIAL;
                return ws2__tcpip_fail(lpErrno, WSAEMSGSIZE);
            }
            ws2__tcpip_complete_now(s, ov, cr, tid, 0, (DWORD)r, 0);
            return 0;
        }
        if (r != -EAGAIN) {
            ws2__iovs_free(&io);
            return ws2__tcpip_fail(lpErrno,
                                   ws2__wsa_error((int)-r, WS2__OP_RECV));
        }
    }
    struct oreq *o = ws2__engine_start() ? (err = WSAENOBUFS, NULL)
                                         : oreq_new(sk, s, &io, 1, &err);
    ws2__iovs_free(&io);
    if (!o)
        return ws2__tcpip_fail(lpErrno, err);
    o->r.lflags = lflags;
    o->from = from;
    o->fromlen = fromlen;
    if ((err = attach_ctl(o, ctl))) {
        oreq_free(o);
        return ws2__tcpip_fail(lpErrno, err);
    }
    return start(o, ov, cr, lpErrno);
}

BOOL WSPAPI ws2__WSPGetOverlappedResult(SOCKET s, LPWSAOVERLAPPED ov,
                                        LPDWORD bytes, BOOL wait,
                                        LPDWORD flags, LPINT lpErrno)
{
    struct ws2__slot *slot;
    struct ws2__tsock *sk = ws2__tcpip_use(s, &slot, lpErrno);
    if (!sk)
        return FALSE;
    ws2__tcpip_put(slot);
    if (ws2__bad_ptr(ov) || ws2__bad_ptr(bytes) || ws2__bad_ptr(flags)) {
        *lpErrno = WSAEFAULT;
        return FALSE;
    }
    ULONG_PTR st;
    while ((st = __atomic_load_n(&ov->Internal, __ATOMIC_ACQUIRE)) ==
           STATUS_PENDING) {
        if (!wait) {
            *lpErrno = WSA_IO_INCOMPLETE;
            return FALSE;
        }
        /* The event is set at completion; without one (the caller gave a
         * routine), poll. The low bit of hEvent belongs to completion
         * ports. */
        WSAEVENT ev = (WSAEVENT)((uintptr_t)ov->hEvent & ~(uintptr_t)1);
        int e;
        if (!ev || ws2__wait(1, &ev, TRUE, 100, FALSE, &e) == WSA_WAIT_FAILED)
            ws2__sleep(1, FALSE);
    }
    *bytes = (DWORD)ov->InternalHigh;
    *flags = ov->Offset;
    if (st != 0) {
        /* Internal holds the WSA code, except the NTSTATUS of an AcceptEx
         * whose address blocks were too short (as on Windows). */
        *lpErrno = st == STATUS_BUFFER_TOO_SMALL ? WSAEFAULT : (int)st;
        return FALSE;
    }
    return TRUE;
}

struct cancel_match {
    LPWSAOVERLAPPED ov;
    HANDLE thread;
    int found;
};

static int cancel_one(struct ws2__req *r, void *arg)
{
    struct cancel_match *m = arg;
    struct oreq *o = (struct oreq *)r;
    if ((m->ov && o->ov != m->ov) ||
        (m->thread && o->tid.ThreadHandle != m->thread))
        return 0;
    m->found++;
    return 1;
}

int ws2__tcpip_cancel(struct ws2__tsock *sk, LPWSAOVERLAPPED ov,
                      HANDLE thread)
{
    struct cancel_match m = {ov, thread, 0};
    ws2__engine_cancel(&sk->es, cancel_one, &m);
    return m.found;
}

/* For the extension functions (extfn.c), which build their own requests. */
void ws2__oreq_free(struct oreq *o)
{
    oreq_free(o);
}

void ws2__oreq_deliver(struct oreq *o, DWORD err, DWORD bytes, DWORD flags)
{
    deliver(o, err, bytes, flags);
}

int ws2__oreq_start(struct oreq *o, LPWSAOVERLAPPED ov, LPINT lpErrno)
{
    return start(o, ov, NULL, lpErrno);
}
