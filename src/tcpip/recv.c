/*
 * recv.c - WSPRecv and WSPRecvFrom of the base provider.
 *
 * Windows rules kept here: a datagram larger than the buffers fills them and
 * fails with WSAEMSGSIZE, MSG_PARTIAL set in *lpFlags; a receive on an
 * unbound datagram socket is WSAEINVAL (Linux would wait for ever); a UDP
 * port-unreachable surfaces as WSAECONNRESET unless SIO_UDP_CONNRESET is
 * off; after shutdown(SD_RECEIVE) receives fail with WSAESHUTDOWN.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tcpip/tcpip.h"

static int min_addr_len(int af)
{
    return af == AF_INET6 ? (int)sizeof(SOCKADDR_IN6) : (int)sizeof(SOCKADDR_IN);
}

static int recv_error(const struct ws2__tsock *sk, ssize_t r, int nb)
{
    if (atomic_load(&sk->closing))
        return WSAEINTR;
    if (r == -EAGAIN)
        return nb ? WSAEWOULDBLOCK : WSAETIMEDOUT; /* SO_RCVTIMEO ran out */
    return ws2__wsa_error((int)-r, WS2__OP_RECV);
}

/* One receive into iovecs; bounce-buffers a datagram when there are more
 * buffers than Linux takes at once. With ctl, *clen is the room for
 * control data going in and what came coming out. */
static ssize_t recv_once(struct ws2__tsock *sk, struct ws2__iovs *io,
                         void *from, int *fromlen, int lflags, int *mflags,
                         const struct ws2__ctl *ctl, size_t *clen)
{
    void *cbuf = ctl ? ctl->buf : NULL;
    if (sk->type == SOCK_STREAM || io->n <= WS2__IOV_MAX) {
        size_t n = io->n > WS2__IOV_MAX ? WS2__IOV_MAX : io->n;
        return ws2__lx_recvmsg_ctl(sk->fd, io->v, n, from, fromlen, lflags,
                                   mflags, cbuf, clen);
    }
    size_t cap = io->total < 65536 ? (size_t)io->total : 65536;
    void *bounce = malloc(cap);
    if (!bounce)
        return -ENOBUFS;
    struct iovec one = {bounce, cap};
    ssize_t r = ws2__lx_recvmsg_ctl(sk->fd, &one, 1, from, fromlen, lflags,
                                    mflags, cbuf, clen);
    if (r > 0 && ws2__lx_scatter(io->v, io->n, bounce, (size_t)r) < 0)
        r = -EFAULT;
    free(bounce);
    return r;
}

/* Any receive re-enables FD_READ (FD_OOB with MSG_OOB), even one that
 * failed ("WSAEventSelect function"). */
static void recv_reenable(struct ws2__tsock *sk, int lflags)
{
    if (ws2__evs_selected(sk))
        ws2__evs_reenable(sk, (lflags & ws2__lx_MSG_OOB) ? FD_OOB : FD_READ);
}

/* The answer to a receive that got r >= 0 bytes; mflags: Linux's. */
static int recv_done(const struct ws2__tsock *sk, ssize_t r, int mflags,
                     LPDWORD got, LPDWORD lpFlags, LPINT lpErrno)
{
    *got = (DWORD)r;
    *lpFlags = 0;
    if (sk->type != SOCK_STREAM && (mflags & ws2__lx_MSG_TRUNC)) {
        /* The buffers hold the first part of the datagram. */
        *lpFlags = MSG_PARTIAL;
        return ws2__tcpip_fail(lpErrno, WSAEMSGSIZE);
    }
    return 0;
}

static int do_recv(struct ws2__tsock *sk, SOCKET s, LPWSABUF bufs,
                   DWORD count, LPDWORD got, LPDWORD lpFlags,
                   struct sockaddr *from, LPINT fromlen,
                   const struct ws2__ctl *ctl, LPWSAOVERLAPPED ov,
                   LPWSAOVERLAPPED_COMPLETION_ROUTINE cr, LPWSATHREADID tid,
                   LPINT lpErrno)
{
    int err = 0, lflags = 0, mflags = 0, dgram = sk->type != SOCK_STREAM;
    int nb = atomic_load(&sk->nonblocking);
    struct ws2__iovs io;
    ssize_t r = 0;
    size_t clen = 0;
    int ovl = ws2__tcpip_overlapped(sk, ov, cr);
    if ((count && ws2__bad_ptr(bufs)) ||
        (ovl ? got && ws2__bad_ptr(got) : ws2__bad_ptr(got)) ||
        ws2__bad_ptr(lpFlags))
        err = WSAEFAULT;
    else if (from && (ws2__bad_ptr(fromlen) ||
                      *fromlen < min_addr_len(sk->af)))
        err = WSAEFAULT;
    else if (*lpFlags && (ws2__lx_recv_flags(*lpFlags, &lflags) ||
                          (dgram && (*lpFlags & (MSG_OOB | MSG_WAITALL)))))
        err = WSAEOPNOTSUPP;
    else if (atomic_load(&sk->shut_recv))
        err = WSAESHUTDOWN;
    else if (dgram && !ws2__tcpip_bound(sk))
        err = WSAEINVAL;
    else if (dgram && atomic_load(&sk->udp_connreset) &&
             atomic_load(&sk->pending_reset) > 0) {
        atomic_fetch_sub(&sk->pending_reset, 1);
        err = WSAECONNRESET;
    } else if (ovl) {
        int r = ws2__tcpip_recv_ov(sk, s, bufs, count, got, lpFlags, lflags,
                                   from, fromlen, ctl, ov, cr, tid, lpErrno);
        recv_reenable(sk, lflags);
        return r;
    } else
        err = ws2__iovs_build(&io, bufs, count);
    if (err)
        goto out;
    for (;;) {
        int flen = from ? *fromlen : 0;
        clen = ctl ? ctl->len : 0;
        if (!nb)
            ws2__tcpip_block_begin(sk);
        r = atomic_load(&sk->closing)
                ? -EINTR
                : recv_once(sk, &io, from, from ? &flen : NULL, lflags,
                            &mflags, ctl, &clen);
        if (!nb)
            ws2__tcpip_block_end(sk);
        /* closesocket wakes a blocked receive with a shutdown, which reads
         * as end of stream; Windows says the call was interrupted. */
        if (r == 0 && atomic_load(&sk->closing)) {
            err = WSAEINTR;
            break;
        }
        if (r >= 0) {
            if (from)
                *fromlen = flen;
            break;
        }
        if (r == -EINTR && !atomic_load(&sk->closing))
            continue;
        if (dgram && r == -ECONNREFUSED) {
            /* note_unreachable counts every queued error; this call
             * reports one of them now. */
            ws2__tcpip_note_unreachable(sk);
            if (atomic_load(&sk->udp_connreset)) {
                atomic_fetch_sub(&sk->pending_reset, 1);
                err = WSAECONNRESET;
                break;
            }
            continue;
        }
        err = recv_error(sk, r, nb);
        break;
    }
    ws2__iovs_free(&io);
out:
    recv_reenable(sk, lflags);
    if (err)
        return ws2__tcpip_fail(lpErrno, err);
    if (ctl) {
        /* WSARecvMsg reports a datagram that did not fit, and truncated
         * control data, in its WSAMSG rather than as MSG_PARTIAL. */
        *got = (DWORD)r;
        *lpFlags = 0;
        return ws2__msg_recv_done(sk, ctl->msg, ctl->buf, clen, mflags)
                   ? ws2__tcpip_fail(lpErrno, WSAEMSGSIZE)
                   : 0;
    }
    return recv_done(sk, r, mflags, got, lpFlags, lpErrno);
}

/* ---- the usual receive, in a straight line ----
 * One non-empty buffer, no flags, not overlapped; a stream, or a bound
 * datagram socket with no port-unreachable to report. It makes do_recv's
 * checks and returns RECV_SLOW when anything is unusual, before anything
 * was received, or after a receive that do_recv repeats or answers the
 * same way (interrupted; a port-unreachable, noted here first). */
#define RECV_SLOW (-2)

static int fast_recv_args(struct ws2__tsock *sk, const WSABUF *b,
                          const DWORD *got, const DWORD *lpFlags,
                          const struct sockaddr *from, const INT *fromlen)
{
    if (ws2__bad_ptr(b) || b->len == 0 || ws2__bad_ptr(b->buf) ||
        ws2__bad_ptr(got) || ws2__bad_ptr(lpFlags) || *lpFlags != 0 ||
        (from && (ws2__bad_ptr(fromlen) || *fromlen < min_addr_len(sk->af))) ||
        atomic_load(&sk->shut_recv))
        return 0;
    if (sk->type == SOCK_STREAM)
        return 1;
    return atomic_load_explicit(&sk->bound, memory_order_relaxed) &&
           !(atomic_load(&sk->udp_connreset) &&
             atomic_load(&sk->pending_reset) > 0);
}

static int recv_fast(struct ws2__tsock *sk, LPWSABUF b, LPDWORD got,
                     LPDWORD lpFlags, struct sockaddr *from, LPINT fromlen,
                     LPINT lpErrno)
{
    if (!fast_recv_args(sk, b, got, lpFlags, from, fromlen))
        return RECV_SLOW;
    struct iovec v = {b->buf, b->len};
    int nb = atomic_load(&sk->nonblocking), flen = from ? *fromlen : 0;
    int mflags = 0;
    ssize_t r;
    if (!nb)
        ws2__tcpip_block_begin(sk);
    r = atomic_load(&sk->closing)
            ? -EINTR
            : ws2__lx_recvmsg(sk->fd, &v, 1, from, from ? &flen : NULL, 0,
                              &mflags);
    if (!nb)
        ws2__tcpip_block_end(sk);
    if (r == -ECONNREFUSED && sk->type != SOCK_STREAM)
        ws2__tcpip_note_unreachable(sk);
    if (r == -EINTR || (r == 0 && atomic_load(&sk->closing)) ||
        (r == -ECONNREFUSED && sk->type != SOCK_STREAM))
        return RECV_SLOW;
    recv_reenable(sk, 0);
    if (r < 0)
        return ws2__tcpip_fail(lpErrno, recv_error(sk, r, nb));
    if (from)
        *fromlen = flen;
    return recv_done(sk, r, mflags, got, lpFlags, lpErrno);
}

/* WSPRecv and WSPRecvFrom: the straight line first, when it may apply. */
static int recv_call(SOCKET s, LPWSABUF bufs, DWORD count, LPDWORD got,
                     LPDWORD lpFlags, struct sockaddr *from, LPINT fromlen,
                     LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                     LPWSATHREADID tid, LPINT lpErrno)
{
    struct ws2__slot *slot;
    struct ws2__tsock *sk = ws2__tcpip_use(s, &slot, lpErrno);
    if (!sk)
        return SOCKET_ERROR;
    int r = RECV_SLOW;
    if (count == 1 && !ws2__tcpip_overlapped(sk, ov, cr))
        r = recv_fast(sk, bufs, got, lpFlags, from, fromlen, lpErrno);
    if (r == RECV_SLOW)
        r = do_recv(sk, s, bufs, count, got, lpFlags, from, fromlen, NULL, ov,
                    cr, tid, lpErrno);
    ws2__tcpip_put(slot);
    return r;
}

int WSPAPI ws2__WSPRecv(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                        LPDWORD lpNumberOfBytesRecvd, LPDWORD lpFlags,
                        LPWSAOVERLAPPED lpOverlapped,
                        LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                        LPWSATHREADID lpThreadId, LPINT lpErrno)
{
    return recv_call(s, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd,
                     lpFlags, NULL, NULL, lpOverlapped, lpCompletionRoutine,
                     lpThreadId, lpErrno);
}

int WSPAPI ws2__WSPRecvFrom(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                            LPDWORD lpNumberOfBytesRecvd, LPDWORD lpFlags,
                            struct sockaddr *lpFrom, LPINT lpFromlen,
                            LPWSAOVERLAPPED lpOverlapped,
                            LPWSAOVERLAPPED_COMPLETION_ROUTINE
                                lpCompletionRoutine,
                            LPWSATHREADID lpThreadId, LPINT lpErrno)
{
    return recv_call(s, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd,
                     lpFlags, lpFrom, lpFromlen, lpOverlapped,
                     lpCompletionRoutine, lpThreadId, lpErrno);
}

/* WSARecvMsg (msg.c): WSPRecvFrom with room for control data. */
int ws2__tcpip_recv_msg(SOCKET s, LPWSABUF bufs, DWORD count, LPDWORD got,
                        LPDWORD lpFlags, struct sockaddr *from,
                        LPINT fromlen, const struct ws2__ctl *ctl,
                        LPWSAOVERLAPPED ov,
                        LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                        LPWSATHREADID tid, LPINT lpErrno)
{
    struct ws2__slot *slot;
    struct ws2__tsock *sk = ws2__tcpip_use(s, &slot, lpErrno);
    if (!sk)
        return SOCKET_ERROR;
    int r = do_recv(sk, s, bufs, count, got, lpFlags, from, fromlen, ctl, ov,
                    cr, tid, lpErrno);
    ws2__tcpip_put(slot);
    return r;
}
