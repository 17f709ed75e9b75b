/*
 * sockopt.c - socket options and control codes of the base provider:
 * WSPSetSockOpt, WSPGetSockOpt and WSPIoctl.
 *
 * Options keep their Windows meaning where Linux's differs: timeouts are
 * DWORD milliseconds, SO_LINGER is two u_shorts, SO_REUSEADDR is what the
 * application set (TCP sockets always carry Linux's SO_REUSEADDR, because a
 * Windows socket may bind over TIME_WAIT), buffer sizes read back as set,
 * SO_ERROR and SO_MAX_MSG_SIZE speak Windows.
 */
#include <string.h>

#include "tcpip/tcpip.h"
#include "mswsock.h"

/* BOOL options take at least one byte: Windows reads a short optlen as
 * that many bytes of the value. */
static int read_value(const char *optval, int optlen, int min, int *v)
{
    if (ws2__bad_ptr(optval) || optlen < min)
        return WSAEFAULT;
    unsigned char b[4] = {0, 0, 0, 0};
    memcpy(b, optval, optlen < 4 ? (size_t)optlen : 4);
    *v = (int)((unsigned)b[0] | (unsigned)b[1] << 8 | (unsigned)b[2] << 16 |
               (unsigned)b[3] << 24);
    return 0;
}

static int write_value(char *optval, int *optlen, int min, int v)
{
    if (ws2__bad_ptr(optval) || ws2__bad_ptr(optlen) || *optlen < min)
        return WSAEFAULT;
    int n = *optlen < 4 ? *optlen : 4;
    memset(optval, 0, (size_t)n);
    memcpy(optval, &v, (size_t)n);
    *optlen = n;
    return 0;
}

static int lx_err(int r)
{
    return r ? ws2__wsa_error(-r, WS2__OP_ANY) : 0;
}

static int is_bool_opt(int level, int name)
{
    if (level == SOL_SOCKET)
        return name == SO_DEBUG || name == SO_REUSEADDR ||
               name == SO_KEEPALIVE || name == SO_DONTROUTE ||
               name == SO_BROADCAST || name == SO_OOBINLINE ||
               name == SO_EXCLUSIVEADDRUSE || name == SO_DONTLINGER ||
               name == SO_CONDITIONAL_ACCEPT || name == SO_ACCEPTCONN;
    if (level == IPPROTO_TCP)
        return name == TCP_NODELAY;
    if (level == IPPROTO_IPV6)
        return name == IPV6_V6ONLY;
    return 0;
}

/* Options that only make sense for one kind of socket. */
static int check_fit(const struct ws2__tsock *sk, int level, int name)
{
    int stream = sk->type == SOCK_STREAM;
    if (level == IPPROTO_TCP && !stream)
        return WSAENOPROTOOPT;
    if (level == SOL_SOCKET &&
        (name == SO_LINGER || name == SO_DONTLINGER || name == SO_KEEPALIVE ||
         name == SO_OOBINLINE) &&
        !stream)
        return WSAENOPROTOOPT;
    if (level == SOL_SOCKET && name == SO_BROADCAST && stream)
        return WSAENOPROTOOPT;
    if (level == IPPROTO_IPV6 && sk->af != AF_INET6)
        return WSAEINVAL;
    if (level == IPPROTO_IP && sk->af != AF_INET)
        return WSAEINVAL;
    return 0;
}

static int set_special(struct ws2__tsock *sk, int level, int name,
                       const char *optval, int optlen, int *handled)
{
    int v, err;
    *handled = 1;
    if (level == SOL_SOCKET) {
        switch (name) {
        case SO_LINGER: {
            if (ws2__bad_ptr(optval) || optlen < (int)sizeof(LINGER))
                return WSAEFAULT;
            LINGER l;
            memcpy(&l, optval, sizeof(l));
            return lx_err(ws2__lx_set_linger(sk->fd, l.l_onoff != 0,
                                             l.l_linger));
        }
        case SO_DONTLINGER: {
            int on, secs;
            if ((err = read_value(optval, optlen, 1, &v)))
                return err;
            if ((err = lx_err(ws2__lx_get_linger(sk->fd, &on, &secs))))
                return err;
            return lx_err(ws2__lx_set_linger(sk->fd, !v, secs));
        }
        case SO_REUSEADDR:
        case SO_EXCLUSIVEADDRUSE:
            if ((err = read_value(optval, optlen, 1, &v)))
                return err;
            /* Windows refuses to have both. */
            if (v && (name == SO_REUSEADDR ? atomic_load(&sk->exclusiveaddruse)
                                           : atomic_load(&sk->reuseaddr)))
                return WSAEINVAL;
            if (name == SO_EXCLUSIVEADDRUSE) {
                atomic_store(&sk->exclusiveaddruse, v != 0);
                return 0;
            }
            if (sk->type != SOCK_STREAM &&
                (err = lx_err(ws2__lx_setopt_int(sk->fd, 1 /* SOL_SOCKET */,
                                                 2 /* SO_REUSEADDR */,
                                                 v != 0))))
                return err;
            atomic_store(&sk->reuseaddr, v != 0);
            return 0;
        case SO_SNDTIMEO:
        case SO_RCVTIMEO:
            if ((err = read_value(optval, optlen, (int)sizeof(DWORD), &v)))
                return err;
            if ((err = lx_err(ws2__lx_set_timeo(sk->fd, name == SO_SNDTIMEO,
                                                (uint32_t)v))))
                return err;
            atomic_store(name == SO_SNDTIMEO ? &sk->sndtimeo : &sk->rcvtimeo,
                         (DWORD)v);
            return 0;
        case SO_SNDBUF:
        case SO_RCVBUF: {
            int ll, lo;
            if ((err = read_value(optval, optlen, (int)sizeof(int), &v)))
                return err;
            if (v < 0)
                return WSAEINVAL;
            ws2__lx_opt(level, name, &ll, &lo);
            if ((err = lx_err(ws2__lx_setopt_int(sk->fd, ll, lo, v))))
                return err;
            atomic_store(name == SO_SNDBUF ? &sk->sndbuf : &sk->rcvbuf, v);
            return 0;
        }
        case SO_CONDITIONAL_ACCEPT:
            return read_value(optval, optlen, 1, &v);
        case SO_ACCEPTCONN:
        case SO_ERROR:
        case SO_TYPE:
        case SO_MAX_MSG_SIZE:
        case SO_PROTOCOL_INFOA:
        case SO_PROTOCOL_INFOW:
        case SO_SNDLOWAT:
        case SO_RCVLOWAT:
            return WSAENOPROTOOPT; /* read-only, or not in Winsock */
        }
    }
    if ((level == IPPROTO_IP && name == IP_DONTFRAGMENT) ||
        (level == IPPROTO_IPV6 && name == IPV6_DONTFRAG)) {
        if ((err = read_value(optval, optlen, 1, &v)))
            return err;
        return lx_err(ws2__lx_set_dontfrag(sk->fd, level == IPPROTO_IPV6, v));
    }
    *handled = 0;
    return 0;
}

int WSPAPI ws2__WSPSetSockOpt(SOCKET s, int level, int optname,
                              const char *optval, int optlen, LPINT lpErrno)
{
    struct ws2__slot *slot;
    struct ws2__tsock *sk = ws2__tcpip_get(s, &slot, lpErrno);
    if (!sk)
        return SOCKET_ERROR;
    int err, handled, v, ll, lo;
    if (level != SOL_SOCKET && level != IPPROTO_TCP && level != IPPROTO_IP &&
        level != IPPROTO_IPV6 && level != IPPROTO_UDP) {
        err = WSAEINVAL;
        goto out;
    }
    if ((err = check_fit(sk, level, optname)))
        goto out;
    if ((err = set_special(sk, level, optname, optval, optlen, &handled)) ||
        handled)
        goto out;
    if (ws2__lx_opt(level, optname, &ll, &lo)) {
        err = WSAENOPROTOOPT;
        goto out;
    }
    if (is_bool_opt(level, optname)) {
        if (!(err = read_value(optval, optlen, 1, &v)))
            err = lx_err(ws2__lx_setopt_int(sk->fd, ll, lo, v != 0));
    } else if ((level == IPPROTO_IP &&
                (optname == IP_ADD_MEMBERSHIP || optname == IP_DROP_MEMBERSHIP ||
                 optname == IP_MULTICAST_IF)) ||
               (level == IPPROTO_IPV6 && (optname == IPV6_ADD_MEMBERSHIP ||
                                          optname == IPV6_DROP_MEMBERSHIP))) {
        /* ip_mreq, in_addr and ipv6_mreq have the same bytes on Linux. */
        if (ws2__bad_ptr(optval) || optlen <= 0)
            err = WSAEFAULT;
        else
            err = lx_err(ws2__lx_setopt_raw(sk->fd, ll, lo, optval, optlen));
    } else if (!(err = read_value(optval, optlen, (int)sizeof(int), &v))) {
        err = lx_err(ws2__lx_setopt_int(sk->fd, ll, lo, v));
    }
out:
    ws2__tcpip_put(slot);
    return err ? ws2__tcpip_fail(lpErrno, err) : 0;
}

static int get_protocol_info(struct ws2__tsock *sk, int wide, char *optval,
                             int *optlen)
{
    const WSAPROTOCOL_INFOW *info = ws2__tcpip_info(sk->catalog_id);
    int need = wide ? (int)sizeof(WSAPROTOCOL_INFOW)
                    : (int)sizeof(WSAPROTOCOL_INFOA);
    if (ws2__bad_ptr(optval) || ws2__bad_ptr(optlen) || *optlen < need ||
        !info)
        return WSAEFAULT;
    if (wide) {
        memcpy(optval, info, sizeof(*info));
    } else {
        WSAPROTOCOL_INFOA a;
        memcpy(&a, info, offsetof(WSAPROTOCOL_INFOA, szProtocol));
        for (int i = 0; i <= WSAPROTOCOL_LEN; i++)
            a.szProtocol[i] = (char)info->szProtocol[i];
        memcpy(optval, &a, sizeof(a));
    }
    *optlen = need;
    return 0;
}

static int get_special(struct ws2__tsock *sk, int level, int name,
                       char *optval, int *optlen, int *handled)
{
    int v = 0, err;
    *handled = 1;
    if (level == SOL_SOCKET) {
        switch (name) {
        case SO_LINGER: {
            int on, secs;
            if (ws2__bad_ptr(optval) || ws2__bad_ptr(optlen) ||
                *optlen < (int)sizeof(LINGER))
                return WSAEFAULT;
            if ((err = lx_err(ws2__lx_get_linger(sk->fd, &on, &secs))))
                return err;
            LINGER l = {(u_short)(on != 0), (u_short)secs};
            memcpy(optval, &l, sizeof(l));
            *optlen = sizeof(l);
            return 0;
        }
        case SO_DONTLINGER: {
            int on, secs;
            if ((err = lx_err(ws2__lx_get_linger(sk->fd, &on, &secs))))
                return err;
            return write_value(optval, optlen, 1, !on);
        }
        case SO_REUSEADDR:
            return write_value(optval, optlen, 1, atomic_load(&sk->reuseaddr));
        case SO_EXCLUSIVEADDRUSE:
            return write_value(optval, optlen, 1,
                               atomic_load(&sk->exclusiveaddruse));
        case SO_ACCEPTCONN:
            return write_value(optval, optlen, 1, atomic_load(&sk->listening));
        case SO_SNDTIMEO:
            return write_value(optval, optlen, (int)sizeof(DWORD),
                               (int)atomic_load(&sk->sndtimeo));
        case SO_RCVTIMEO:
            return write_value(optval, optlen, (int)sizeof(DWORD),
                               (int)atomic_load(&sk->rcvtimeo));
        case SO_SNDBUF:
        case SO_RCVBUF: {
            int set = atomic_load(name == SO_SNDBUF ? &sk->sndbuf : &sk->rcvbuf);
            if (set < 0) {
                int ll, lo;
                ws2__lx_opt(level, name, &ll, &lo);
                if ((err = lx_err(ws2__lx_getopt_int(sk->fd, ll, lo, &v))))
                    return err;
                set = v / 2; /* Linux reports twice the usable size */
            }
            return write_value(optval, optlen, (int)sizeof(int), set);
        }
        case SO_ERROR: {
            /* A failed non-blocking connect leaves its error here, once. */
            v = atomic_exchange(&sk->conn_err, 0);
            if (!v) {
                int e = ws2__lx_so_error(sk->fd);
                if (e < 0)
                    return lx_err(e);
                v = e ? ws2__wsa_error(e, sk->type == SOCK_STREAM
                                              ? WS2__OP_CONNECT
                                              : WS2__OP_RECV)
                      : 0;
            }
            return write_value(optval, optlen, (int)sizeof(int), v);
        }
        case SO_TYPE:
            return write_value(optval, optlen, (int)sizeof(int), sk->type);
        case SO_MAX_MSG_SIZE:
            if (sk->type == SOCK_STREAM)
                return WSAENOPROTOOPT;
            return write_value(optval, optlen, (int)sizeof(int),
                               (int)(sk->af == AF_INET6 ? WS2__UDP6_MAX_MSG
                                                        : WS2__UDP4_MAX_MSG));
        case SO_PROTOCOL_INFOA:
        case SO_PROTOCOL_INFOW:
            return get_protocol_info(sk, name == SO_PROTOCOL_INFOW, optval,
                                     optlen);
        case SO_CONDITIONAL_ACCEPT:
            return write_value(optval, optlen, 1, 0);
        case SO_GROUP_ID:
        case SO_GROUP_PRIORITY:
            return write_value(optval, optlen, (int)sizeof(int), 0);
        case SO_SNDLOWAT:
        case SO_RCVLOWAT:
            return WSAENOPROTOOPT;
        }
    }
    if ((level == IPPROTO_IP && name == IP_DONTFRAGMENT) ||
        (level == IPPROTO_IPV6 && name == IPV6_DONTFRAG)) {
        if ((err = lx_err(ws2__lx_get_dontfrag(sk->fd, level == IPPROTO_IPV6,
                                               &v))))
            return err;
        return write_value(optval, optlen, 1, v);
    }
    *handled = 0;
    return 0;
}

int WSPAPI ws2__WSPGetSockOpt(SOCKET s, int level, int optname, char *optval,
                              LPINT optlen, LPINT lpErrno)
{
    struct ws2__slot *slot;
    struct ws2__tsock *sk = ws2__tcpip_get(s, &slot, lpErrno);
    if (!sk)
        return SOCKET_ERROR;
    int err, handled, v, ll, lo;
    if (ws2__bad_ptr(optval) || ws2__bad_ptr(optlen)) {
        err = WSAEFAULT;
        goto out;
    }
    if (level != SOL_SOCKET && level != IPPROTO_TCP && level != IPPROTO_IP &&
        level != IPPROTO_IPV6 && level != IPPROTO_UDP) {
        err = WSAEINVAL;
        goto out;
    }
    if ((err = check_fit(sk, level, optname)))
        goto out;
    if ((err = get_special(sk, level, optname, optval, optlen, &handled)) ||
        handled)
        goto out;
    if (ws2__lx_opt(level, optname, &ll, &lo)) {
        err = WSAENOPROTOOPT;
        goto out;
    }
    if ((level == IPPROTO_IP && optname == IP_MULTICAST_IF)) {
        int len = *optlen;
        err = lx_err(ws2__lx_getopt_raw(sk->fd, ll, lo, optval, &len));
        if (!err)
            *optlen = len;
    } else if (!(err = lx_err(ws2__lx_getopt_int(sk->fd, ll, lo, &v)))) {
        err = write_value(optval, optlen,
                          is_bool_opt(level, optname) ? 1 : (int)sizeof(int),
                          v);
    }
out:
    ws2__tcpip_put(slot);
    return err ? ws2__tcpip_fail(lpErrno, err) : 0;
}

/* ---- control codes ---- */

static int in_ulong(LPVOID in, DWORD inlen, u_long *v)
{
    if (ws2__bad_ptr(in) || inlen < sizeof(u_long))
        return WSAEFAULT;
    memcpy(v, in, sizeof(*v));
    return 0;
}

static int out_ulong(LPVOID out, DWORD outlen, LPDWORD ret, u_long v)
{
    if (ws2__bad_ptr(out) || outlen < sizeof(u_long))
        return WSAEFAULT;
    memcpy(out, &v, sizeof(v));
    *ret = sizeof(v);
    return 0;
}

static int do_ioctl(struct ws2__tsock *sk, DWORD code, LPVOID in, DWORD inlen,
                    LPVOID out, DWORD outlen, LPDWORD ret, LPINT lpErrno)
{
    u_long v;
    int n, err;
    *ret = 0;
    switch (code) {
    case FIONBIO:
        if ((err = in_ulong(in, inlen, &v)))
            return err;
        if ((err = lx_err(ws2__lx_set_nonblock(sk->fd, v != 0))))
            return err;
        atomic_store(&sk->nonblocking, v != 0);
        return 0;
    case FIONREAD:
        /* A listening socket has nothing to read (Linux says EINVAL). */
        if (ws2__lx_inq(sk->fd, &n))
            n = 0;
        return out_ulong(out, outlen, ret, (u_long)n);
    case SIOCATMARK:
        /* Windows answers TRUE while no urgent data waits to be read. */
        if (sk->type != SOCK_STREAM)
            return WSAEINVAL;
        if ((err = lx_err(ws2__lx_atmark(sk->fd, &n))))
            return err;
        return out_ulong(out, outlen, ret, !n);
    case SIO_UDP_CONNRESET:
        if ((err = in_ulong(in, inlen, &v)))
            return err;
        if (sk->type == SOCK_STREAM)
            return WSAEINVAL;
        atomic_store(&sk->udp_connreset, v != 0);
        if (!v)
            atomic_store(&sk->pending_reset, 0);
        return 0;
    case SIO_WS2POSIX_POLL: {
        if (ws2__bad_ptr(in) || inlen < sizeof(WS2POSIX_POLL_ARGS))
            return WSAEFAULT;
        int r = ws2__tcpip_poll((WS2POSIX_POLL_ARGS *)in, lpErrno);
        if (r == SOCKET_ERROR)
            return *lpErrno;
        *ret = (DWORD)r;
        return 0;
    }
    default:
        return WSAEINVAL;
    }
}

int WSPAPI ws2__WSPIoctl(SOCKET s, DWORD dwIoControlCode, LPVOID lpvInBuffer,
                         DWORD cbInBuffer, LPVOID lpvOutBuffer,
                         DWORD cbOutBuffer, LPDWORD lpcbBytesReturned,
                         LPWSAOVERLAPPED lpOverlapped,
                         LPWSAOVERLAPPED_COMPLETION_ROUTINE
                             lpCompletionRoutine,
                         LPWSATHREADID lpThreadId, LPINT lpErrno)
{
    (void)lpThreadId;
    struct ws2__slot *slot;
    struct ws2__tsock *sk = ws2__tcpip_get(s, &slot, lpErrno);
    if (!sk)
        return SOCKET_ERROR;
    int err;
    if (ws2__tcpip_overlapped(sk, lpOverlapped, lpCompletionRoutine))
        err = WSAEOPNOTSUPP;
    else if (ws2__bad_ptr(lpcbBytesReturned))
        err = WSAEFAULT;
    else
        err = do_ioctl(sk, dwIoControlCode, lpvInBuffer, cbInBuffer,
                       lpvOutBuffer, cbOutBuffer, lpcbBytesReturned, lpErrno);
    ws2__tcpip_put(slot);
    return err ? ws2__tcpip_fail(lpErrno, err) : 0;
}
