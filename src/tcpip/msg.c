/*
 * msg.c - WSASendMsg and WSARecvMsg of the base provider: the checks of
 * the WSAMSG, and its control data, Windows' layout on one side and
 * Linux's on the other (the translation itself is lx.c's). The data takes
 * the paths of WSPSendTo and WSPRecvFrom (send.c, recv.c, overlapped.c)
 * with a struct ws2__ctl beside it, so blocking, non-blocking and
 * overlapped calls behave as those do.
 *
 * WSASendMsg reaches the provider as Windows' ws2_32 hands it over:
 * WSPIoctl(SIO_EXT_SENDMSG) with a WSASENDMSG in the input buffer, sent to
 * the socket that SIO_BSP_HANDLE named (src/api/send.c); the extension
 * pointer WSAID_WSASENDMSG calls the same code directly. WSARecvMsg is an
 * extension function only (WSAID_WSARECVMSG).
 *
 * Windows rules, from Microsoft's pages ("WSASendMsg function",
 * "LPFN_WSARECVMSG") and Wine's test_WSASendMsg, test_ip_pktinfo and
 * test_ipv4_cmsg / test_ipv6_cmsg (dlls/ws2_32/tests/sock.c, which pass
 * on Windows): datagram sockets only; a NULL WSAMSG, a NULL name with a
 * namelen, a NULL Control.buf with a Control.len are WSAEFAULT; a message
 * or control data that does not fit is WSAEMSGSIZE with MSG_TRUNC or
 * MSG_CTRUNC in lpMsg->dwFlags; lpMsg->Control.len becomes the control
 * bytes returned; MSG_BCAST and MSG_MCAST tell how the datagram was
 * addressed.
 */
#include <errno.h>
#include <string.h>

#include "mswsock.h"
#include "tcpip/tcpip.h"

/* Output-only flags of WSAMSG.dwFlags: a WSAMSG reused after a receive
 * still carries them, and they mean nothing going in. */
#define MSG_OUT_FLAGS (MSG_TRUNC | MSG_CTRUNC | MSG_BCAST | MSG_MCAST)

static int check_msg(const WSAMSG *m)
{
    if (ws2__bad_ptr(m))
        return WSAEFAULT;
    if (m->name ? ws2__bad_ptr(m->name) : m->namelen != 0)
        return WSAEFAULT;
    if (m->Control.len && ws2__bad_ptr(m->Control.buf))
        return WSAEFAULT;
    return 0;
}

int ws2__msg_recv_done(struct ws2__tsock *sk, LPWSAMSG msg, const void *lctl,
                       size_t llen, int lmsgflags)
{
    size_t used = 0;
    int bits = ws2__lx_cmsg_in(lctl, llen, lmsgflags,
                               atomic_load(&sk->pktinfo), msg->Control.buf,
                               msg->Control.len, &used);
    DWORD flags = 0;
    if (bits & WS2__CM_TRUNC)
        flags |= MSG_TRUNC;
    if (bits & WS2__CM_CTRUNC)
        flags |= MSG_CTRUNC;
    if (bits & WS2__CM_BCAST)
        flags |= MSG_BCAST;
    if (bits & WS2__CM_MCAST)
        flags |= MSG_MCAST;
    msg->Control.len = (ULONG)used;
    msg->dwFlags = flags;
    return (flags & (MSG_TRUNC | MSG_CTRUNC)) != 0;
}

/* ---- WSASendMsg ---- */

/* Wine's test_WSASendMsg: a WSASendMsg that fails for want of
 * lpNumberOfBytesSent has still bound the datagram socket (to the
 * wildcard address, as a send would). */
static void bind_implicitly(struct ws2__tsock *sk)
{
    SOCKADDR_STORAGE ss;
    memset(&ss, 0, sizeof(ss));
    ss.ss_family = (ADDRESS_FAMILY)sk->af;
    /* Linux refuses it (EINVAL) when the socket is bound already. */
    if (ws2__lx_bind(sk->fd, &ss,
                     sk->af == AF_INET6 ? (int)sizeof(SOCKADDR_IN6)
                                        : (int)sizeof(SOCKADDR_IN)) == 0)
        atomic_store(&sk->bound, 1);
}

/* What only WSASendMsg checks; the rest is WSPSendTo's. */
static int send_check(SOCKET s, const WSASENDMSG *a)
{
    struct ws2__slot *slot;
    int err = check_msg(a->lpMsg);
    struct ws2__tsock *sk = ws2__tcpip_get(s, &slot, &err);
    if (!sk)
        return WSAENOTSOCK;
    /* Wine's test_WSASendMsg: a stream socket is WSAEINVAL. */
    if (!err && sk->type == SOCK_STREAM)
        err = WSAEINVAL;
    if (!err && !ws2__tcpip_overlapped(sk, a->lpOverlapped,
                                       a->lpCompletionRoutine) &&
        ws2__bad_ptr(a->lpNumberOfBytesSent)) {
        bind_implicitly(sk);
        err = WSAEFAULT;
    }
    ws2__tcpip_put(slot);
    return err;
}

static int send_msg(SOCKET s, const WSASENDMSG *a, LPWSATHREADID tid,
                    LPINT lpErrno)
{
    int err = send_check(s, a);
    if (err)
        return ws2__tcpip_fail(lpErrno, err);
    const WSAMSG *m = a->lpMsg;
    _Alignas(8) unsigned char lctl[WS2__CTL_ROOM];
    struct ws2__ctl ctl = {lctl, 0, NULL};
    if (m->Control.len) {
        int r = ws2__lx_cmsg_out(m->Control.buf, m->Control.len, lctl,
                                 sizeof(lctl), &ctl.len);
        if (r)
            return ws2__tcpip_fail(lpErrno,
                                   r == -ENOBUFS ? WSAENOBUFS : WSAEINVAL);
    }
    /* The WSAMSG's dwFlags is ignored ("WSASendMsg function"). */
    return ws2__tcpip_send_msg(s, m->lpBuffers, m->dwBufferCount,
                               a->lpNumberOfBytesSent, a->dwFlags, m->name,
                               m->namelen, ctl.len ? &ctl : NULL,
                               a->lpOverlapped, a->lpCompletionRoutine, tid,
                               lpErrno);
}

int ws2__msg_send_ioctl(SOCKET s, LPVOID in, DWORD inlen,
                        LPWSATHREADID tid, LPINT lpErrno)
{
    WSASENDMSG a;
    if (ws2__bad_ptr(in) || inlen < sizeof(a))
        return ws2__tcpip_fail(lpErrno, WSAEFAULT);
    memcpy(&a, in, sizeof(a));
    return send_msg(s, &a, tid, lpErrno);
}

/* The extension functions report through the thread's last error. */
static INT last_error(int r, int err)
{
    WSASetLastError(r == SOCKET_ERROR ? err : 0);
    return r;
}

INT PASCAL ws2__msg_WSASendMsg(SOCKET s, LPWSAMSG msg, DWORD flags,
                               LPDWORD sent, LPWSAOVERLAPPED ov,
                               LPWSAOVERLAPPED_COMPLETION_ROUTINE cr)
{
    WSASENDMSG a = {msg, flags, sent, ov, cr};
    int err = 0;
    int r = send_msg(s, &a, NULL, &err);
    return last_error(r, err);
}

/* ---- WSARecvMsg ---- */

/* "The only possible input value for the dwFlags member ... is MSG_PEEK";
 * MSG_PEEK on a non-datagram socket is WSAEOPNOTSUPP. A stream socket is
 * otherwise WSAEINVAL, as WSASendMsg's is on Windows. */
static int recv_check(SOCKET s, const WSAMSG *m, DWORD *flags)
{
    struct ws2__slot *slot;
    int err = check_msg(m);
    struct ws2__tsock *sk = ws2__tcpip_get(s, &slot, &err);
    if (!sk)
        return WSAENOTSOCK;
    if (!err) {
        *flags = m->dwFlags & ~(DWORD)MSG_OUT_FLAGS;
        if (sk->type == SOCK_STREAM)
            err = (*flags & MSG_PEEK) ? WSAEOPNOTSUPP : WSAEINVAL;
        else if (*flags & ~(DWORD)MSG_PEEK)
            err = WSAEOPNOTSUPP;
    }
    ws2__tcpip_put(slot);
    return err;
}

INT PASCAL ws2__msg_WSARecvMsg(SOCKET s, LPWSAMSG msg, LPDWORD got,
                               LPWSAOVERLAPPED ov,
                               LPWSAOVERLAPPED_COMPLETION_ROUTINE cr)
{
    DWORD flags = 0;
    int err = recv_check(s, msg, &flags);
    if (err)
        return last_error(SOCKET_ERROR, err);
    _Alignas(8) unsigned char lctl[WS2__CTL_ROOM];
    struct ws2__ctl ctl = {lctl, sizeof(lctl), msg};
    int r = ws2__tcpip_recv_msg(s, msg->lpBuffers, msg->dwBufferCount, got,
                                &flags, msg->name,
                                msg->name ? &msg->namelen : NULL, &ctl, ov,
                                cr, NULL, &err);
    return last_error(r, err);
}
