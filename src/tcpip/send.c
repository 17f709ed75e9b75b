/*
 * send.c - WSPSend and WSPSendTo of the base provider: the send path of the
 * founding documents for non-overlapped calls.
 *
 * Blocking calls consume every buffer; a non-blocking stream send takes what
 * fits and returns that count, or WSAEWOULDBLOCK when nothing fits; a
 * datagram goes whole or not at all (WSAEMSGSIZE over the maximum). Buffers
 * go on the wire in the order supplied.
 */
#include <errno.h>
#include <stdlib.h>

#include "sync/sync.h"
#include "tcpip/tcpip.h"

static int addr_len(int af)
{
    return af == AF_INET6 ? (int)sizeof(SOCKADDR_IN6) - 4 /* 24 accepted */
                          : (int)sizeof(SOCKADDR_IN);
}

/* The checks Windows makes on a datagram's explicit destination. Returns
 * DEST_NOWHERE for port 0: Windows sends that datagram, successfully, to
 * nobody (Wine's tests of sendto, run on Windows); Linux would refuse it. */
#define DEST_NOWHERE (-1)
static int check_dest(const struct ws2__tsock *sk, const struct sockaddr *to,
                      int tolen)
{
    if (ws2__bad_ptr(to) || tolen < (int)sizeof(to->sa_family))
        return WSAEFAULT;
    if (to->sa_family != sk->af)
        return tolen < (int)sizeof(SOCKADDR_IN) ? WSAEFAULT : WSAEAFNOSUPPORT;
    if (tolen < addr_len(sk->af))
        return WSAEFAULT;
    int any = 1;
    u_short port;
    if (sk->af == AF_INET) {
        const SOCKADDR_IN *a = (const SOCKADDR_IN *)to;
        any = a->sin_addr.s_addr == 0;
        port = a->sin_port;
    } else {
        const SOCKADDR_IN6 *a = (const SOCKADDR_IN6 *)to;
        for (int i = 0; i < 16 && any; i++)
            any = a->sin6_addr.u.Byte[i] == 0;
        port = a->sin6_port;
    }
    /* Linux would deliver to ADDR_ANY locally; Windows refuses it. */
    if (any)
        return WSAEADDRNOTAVAIL;
    return port == 0 ? DEST_NOWHERE : 0;
}

static int send_error(const struct ws2__tsock *sk, ssize_t r, int nb,
                      int use_to)
{
    if (atomic_load(&sk->closing))
        return WSAEINTR;
    switch (-r) {
    case EAGAIN:
        /* A blocking socket only sees EAGAIN when SO_SNDTIMEO ran out. */
        if (!nb)
            return WSAETIMEDOUT;
        if (sk->type == SOCK_STREAM && atomic_load(&sk->connecting))
            return WSAENOTCONN;
        return WSAEWOULDBLOCK;
    case EPIPE:
        if (atomic_load(&sk->shut_send))
            return WSAESHUTDOWN;
        /* A stream that never had a connection is not connected; one that
         * had (or was connecting) has been reset. */
        if (sk->type == SOCK_STREAM && !atomic_load(&sk->connected) &&
            !atomic_load(&sk->connecting))
            return WSAENOTCONN;
        return WSAECONNRESET;
    case EDESTADDRREQ:
        return use_to ? WSAEDESTADDRREQ : WSAENOTCONN;
    default:
        return ws2__wsa_error((int)-r, WS2__OP_SEND);
    }
}

static int send_dgram(struct ws2__tsock *sk, struct ws2__sendop *op,
                      DWORD *sent)
{
    const struct iovec *v = op->io.v;
    size_t n = op->io.n;
    struct iovec one;
    void *bounce = NULL;
    if (n > WS2__IOV_MAX) {
        /* More buffers than Linux takes at once: one datagram must still be
         * one send, so gather it first. */
        uint64_t max = sk->af == AF_INET6 ? WS2__UDP6_MAX_MSG
                                          : WS2__UDP4_MAX_MSG;
        if (op->io.total > max)
            return WSAEMSGSIZE;
        bounce = malloc((size_t)op->io.total);
        if (!bounce)
            return WSAENOBUFS;
        if (ws2__lx_gather(bounce, (size_t)op->io.total, op->io.v,
                           op->io.n) < 0) {
            free(bounce);
            return WSAEFAULT;
        }
        one.iov_base = bounce;
        one.iov_len = (size_t)op->io.total;
        v = &one;
        n = 1;
    }
    int nb = atomic_load(&sk->nonblocking), err = 0;
    for (int attempt = 0;; attempt++) {
        if (!nb)
            ws2__tcpip_block_begin(sk);
        ssize_t r = atomic_load(&sk->closing)
                        ? -EINTR
                        : ws2__lx_sendmsg_ctl(sk->fd, v, n, op->to,
                                              op->tolen, op->lflags,
                                              op->ctl ? op->ctl->buf : NULL,
                                              op->ctl ? op->ctl->len : 0);
        if (!nb)
            ws2__tcpip_block_end(sk);
        if (r >= 0) {
            *sent = (DWORD)r;
            if (!atomic_load_explicit(&sk->bound, memory_order_relaxed))
                atomic_store_explicit(&sk->bound, 1, memory_order_relaxed);
            break;
        }
        /* A port-unreachable for an earlier datagram: Windows never fails
         * a send for it, it is reported by a later receive. */
        if (r == -ECONNREFUSED && attempt < 8) {
            ws2__tcpip_note_unreachable(sk);
            continue;
        }
        if (r == -EINTR && !atomic_load(&sk->closing))
            continue;
        err = send_error(sk, r, nb, op->use_to);
        break;
    }
    if (bounce)
        free(bounce);
    return err;
}

static int send_stream(struct ws2__tsock *sk, struct ws2__iovs *io,
                       int lflags, DWORD *sent)
{
    struct iovec *v = io->v;
    size_t n = io->n, i = 0;
    uint64_t done = 0;
    int nb = atomic_load(&sk->nonblocking);
    do {
        size_t k = n - i > WS2__IOV_MAX ? WS2__IOV_MAX : n - i;
        uint64_t window = 0;
        for (size_t j = i; j < i + k; j++)
            window += v[j].iov_len;
        if (!nb)
            ws2__tcpip_block_begin(sk);
        ssize_t r = atomic_load(&sk->closing)
                        ? -EINTR
                        : ws2__lx_sendmsg(sk->fd, v + i, k, NULL, 0, lflags);
        if (!nb)
            ws2__tcpip_block_end(sk);
        if (r < 0) {
            if (r == -EINTR && !atomic_load(&sk->closing))
                continue;
            if (r == -EAGAIN && nb && done > 0)
                break;
            return send_error(sk, r, nb, 0);
        }
        atomic_store_explicit(&sk->connected, 1, memory_order_relaxed);
        atomic_store_explicit(&sk->connecting, 0, memory_order_relaxed);
        done += (uint64_t)r;
        /* Step over what went, trimming a buffer that went in part. */
        size_t left = (size_t)r;
        while (i < n && left >= v[i].iov_len)
            left -= v[i++].iov_len;
        if (i < n) {
            v[i].iov_base = (char *)v[i].iov_base + left;
            v[i].iov_len -= left;
        }
        if (nb && (uint64_t)r < window)
            break; /* the transport's buffer is full */
    } while (i < n);
    *sent = (DWORD)done;
    return 0;
}

/* The checks every send makes, in Windows' order, then the buffers as
 * iovecs and a datagram's destination in Linux form, once for both the
 * immediate attempt and a request. 0, DEST_NOWHERE (op->io built), or a
 * WSA error (nothing to free). */
static int send_prepare(struct ws2__sendop *op, LPWSABUF bufs, DWORD count,
                        LPDWORD sent, DWORD flags, const struct sockaddr *to,
                        int tolen, int ovl)
{
    struct ws2__tsock *sk = op->sk;
    int dest = 0;
    op->lflags = 0; /* every send adds MSG_NOSIGNAL (lx.c, the engine) */
    op->tolen = 0;
    /* An overlapped call may leave lpNumberOfBytesSent NULL. */
    if ((count && ws2__bad_ptr(bufs)) ||
        (ovl ? sent && ws2__bad_ptr(sent) : ws2__bad_ptr(sent)))
        return WSAEFAULT;
    if (flags && (ws2__lx_send_flags(flags, &op->lflags) ||
                  (sk->type != SOCK_STREAM && (flags & MSG_OOB))))
        return WSAEOPNOTSUPP;
    if (atomic_load(&sk->shut_send))
        return WSAESHUTDOWN;
    /* On a stream socket lpTo and iTolen are ignored. */
    if (sk->type != SOCK_STREAM && to) {
        dest = check_dest(sk, to, tolen);
        if (dest > 0)
            return dest;
        if (!dest && ws2__lx_addr_in(to, tolen, op->to, &op->tolen))
            return WSAEFAULT;
    }
    int err = ws2__iovs_build(&op->io, bufs, count);
    return err ? err : dest;
}

static int do_send(struct ws2__tsock *sk, SOCKET s, LPWSABUF bufs,
                   DWORD count, LPDWORD sent, DWORD flags,
                   const struct sockaddr *to, int tolen, int use_to,
                   const struct ws2__ctl *ctl, LPWSAOVERLAPPED ov,
                   LPWSAOVERLAPPED_COMPLETION_ROUTINE cr, LPWSATHREADID tid,
                   LPINT lpErrno)
{
    struct ws2__sendop op;
    DWORD n = 0;
    int ovl = ws2__tcpip_overlapped(sk, ov, cr);
    op.sk = sk;
    op.use_to = use_to;
    op.ctl = ctl;
    int err = send_prepare(&op, bufs, count, sent, flags, to, tolen, ovl);
    if (!err && ovl)
        return ws2__tcpip_send_ov(&op, s, sent, ov, cr, tid, lpErrno);
    if (err == DEST_NOWHERE) {
        err = op.io.total > (sk->af == AF_INET6 ? WS2__UDP6_MAX_MSG
                                                : WS2__UDP4_MAX_MSG)
                  ? WSAEMSGSIZE
                  : 0;
        n = (DWORD)op.io.total;
        ws2__iovs_free(&op.io);
        if (!err && ovl) /* sent to nobody, at once */
            ws2__tcpip_complete_now(s, ov, cr, tid, 0, n, 0);
    } else if (!err) {
        if (sk->type == SOCK_STREAM)
            err = send_stream(sk, &op.io, op.lflags, &n);
        else
            err = send_dgram(sk, &op, &n);
        ws2__iovs_free(&op.io);
    }
    /* FD_WRITE is recorded again once room returns after this. */
    if (err == WSAEWOULDBLOCK)
        ws2__evs_reenable(sk, FD_WRITE);
    if (err)
        return ws2__tcpip_fail(lpErrno, err);
    if (sent)
        *sent = n;
    return 0;
}

/* ---- the usual datagram send, in a straight line ----
 * One non-empty buffer, no flags, an explicit destination; blocking, or
 * overlapped and completing inside the call. It makes do_send's checks
 * and, when anything is unusual (a check fails, the send queue is busy),
 * returns SEND_SLOW before anything was sent, or after a send that failed
 * in a way do_send tries again: do_send then gives the answer. */
#define SEND_SLOW (-2)

static int fast_args(const struct ws2__tsock *sk, const WSABUF *b,
                     const DWORD *sent, const struct sockaddr *to, int tolen,
                     int ovl, LPWSAOVERLAPPED ov,
                     LPWSAOVERLAPPED_COMPLETION_ROUTINE cr)
{
    if (ws2__bad_ptr(b) || b->len == 0 || ws2__bad_ptr(b->buf) ||
        atomic_load(&sk->shut_send) || check_dest(sk, to, tolen) != 0)
        return 0;
    if (!ovl)
        return !ws2__bad_ptr(sent);
    return !(sent && ws2__bad_ptr(sent)) &&
           ws2__tcpip_ov_immediate_ok(sk, ov, cr);
}

static int send_fast(struct ws2__tsock *sk, SOCKET s, LPWSABUF b,
                     LPDWORD sent, const struct sockaddr *to, int tolen,
                     LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                     LPWSATHREADID tid, LPINT lpErrno)
{
    int ovl = ws2__tcpip_overlapped(sk, ov, cr);
    if (!fast_args(sk, b, sent, to, tolen, ovl, ov, cr))
        return SEND_SLOW;
    int nb = ovl || atomic_load(&sk->nonblocking);
    ssize_t r;
    if (ovl) {
        r = ws2__lx_sendto(sk->fd, b->buf, b->len, to, tolen,
                           ws2__lx_MSG_DONTWAIT);
    } else if (nb) {
        r = atomic_load(&sk->closing)
                ? -EINTR
                : ws2__lx_sendto(sk->fd, b->buf, b->len, to, tolen, 0);
    } else {
        ws2__tcpip_block_begin(sk);
        r = atomic_load(&sk->closing)
                ? -EINTR
                : ws2__lx_sendto(sk->fd, b->buf, b->len, to, tolen, 0);
        ws2__tcpip_block_end(sk);
    }
    if (r < 0) {
        /* A port-unreachable (noted here) and an interruption are tried
         * again by do_send, and an overlapped send that would block goes
         * pending there. Any other error is the answer: Linux reports an
         * ICMP error once, and a blocking socket's EAGAIN is SO_SNDTIMEO
         * running out. */
        if (r == -ECONNREFUSED)
            ws2__tcpip_note_unreachable(sk);
        if (r == -ECONNREFUSED || r == -EINTR || (ovl && r == -EAGAIN))
            return SEND_SLOW;
        if (ovl)
            return ws2__tcpip_fail(lpErrno,
                                   ws2__tcpip_send_now_error(sk, r, 1));
        int err = send_error(sk, r, atomic_load(&sk->nonblocking), 1);
        if (err == WSAEWOULDBLOCK)
            ws2__evs_reenable(sk, FD_WRITE);
        return ws2__tcpip_fail(lpErrno, err);
    }
    if (!atomic_load_explicit(&sk->bound, memory_order_relaxed))
        atomic_store_explicit(&sk->bound, 1, memory_order_relaxed);
    if (sent)
        *sent = (DWORD)r;
    if (ovl && !cr) { /* completed inside the call */
        ov->Offset = 0;
        ws2__complete(s, ov, 0, (DWORD)r, 1);
    } else if (ovl) {
        ws2__tcpip_complete_now(s, ov, cr, tid, 0, (DWORD)r, 0);
    }
    return 0;
}

int WSPAPI ws2__WSPSend(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                        LPDWORD lpNumberOfBytesSent, DWORD dwFlags,
                        LPWSAOVERLAPPED lpOverlapped,
                        LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                        LPWSATHREADID lpThreadId, LPINT lpErrno)
{
    struct ws2__slot *slot;
    struct ws2__tsock *sk = ws2__tcpip_use(s, &slot, lpErrno);
    if (!sk)
        return SOCKET_ERROR;
    int r = do_send(sk, s, lpBuffers, dwBufferCount, lpNumberOfBytesSent,
                    dwFlags, NULL, 0, 0, NULL, lpOverlapped,
                    lpCompletionRoutine, lpThreadId, lpErrno);
    ws2__tcpip_put(slot);
    return r;
}

/* On a stream socket lpTo and iTolen are ignored: WSPSendTo is WSPSend. */
int WSPAPI ws2__WSPSendTo(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                          LPDWORD lpNumberOfBytesSent, DWORD dwFlags,
                          const struct sockaddr *lpTo, int iTolen,
                          LPWSAOVERLAPPED lpOverlapped,
                          LPWSAOVERLAPPED_COMPLETION_ROUTINE
                              lpCompletionRoutine,
                          LPWSATHREADID lpThreadId, LPINT lpErrno)
{
    struct ws2__slot *slot;
    struct ws2__tsock *sk = ws2__tcpip_use(s, &slot, lpErrno);
    if (!sk)
        return SOCKET_ERROR;
    int r = SEND_SLOW;
    if (dwBufferCount == 1 && dwFlags == 0 && lpTo &&
        sk->type != SOCK_STREAM)
        r = send_fast(sk, s, lpBuffers, lpNumberOfBytesSent, lpTo, iTolen,
                      lpOverlapped, lpCompletionRoutine, lpThreadId,
                      lpErrno);
    if (r == SEND_SLOW)
        r = do_send(sk, s, lpBuffers, dwBufferCount, lpNumberOfBytesSent,
                    dwFlags, lpTo, iTolen, 1, NULL, lpOverlapped,
                    lpCompletionRoutine, lpThreadId, lpErrno);
    ws2__tcpip_put(slot);
    return r;
}

/* WSASendMsg (msg.c): a datagram with control data, to lpMsg->name when
 * there is one (then as WSPSendTo), or to the connected peer. */
int ws2__tcpip_send_msg(SOCKET s, LPWSABUF bufs, DWORD count, LPDWORD sent,
                        DWORD flags, const struct sockaddr *to, int tolen,
                        const struct ws2__ctl *ctl, LPWSAOVERLAPPED ov,
                        LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                        LPWSATHREADID tid, LPINT lpErrno)
{
    struct ws2__slot *slot;
    struct ws2__tsock *sk = ws2__tcpip_use(s, &slot, lpErrno);
    if (!sk)
        return SOCKET_ERROR;
    int r = do_send(sk, s, bufs, count, sent, flags, to, tolen, to != NULL,
                    ctl, ov, cr, tid, lpErrno);
    ws2__tcpip_put(slot);
    return r;
}
