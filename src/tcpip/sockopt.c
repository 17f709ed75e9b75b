/*
 * sockopt.c - socket options and control codes of the base provider:
 * WSPSetSockOpt, WSPGetSockOpt and WSPIoctl.
 *
 * Options keep their Windows meaning where Linux's differs: timeouts are
 * DWORD milliseconds, SO_LINGER is two u_shorts, SO_REUSEADDR is what the
 * application set (TCP sockets always carry Linux's SO_REUSEADDR, because a
 * Windows socket may bind over TIME_WAIT), buffer sizes read back as set,
 * SO_ERROR keeps a failed connect's error until the next connect, and
 * SO_MAX_MSG_SIZE speaks Windows.
 *
 * Option values have Windows' shapes (Wine's ws2_32 test_set_getsockopt,
 * which passes on Windows): a few options are one byte (BOOLEAN), the BOOL
 * options of SOL_SOCKET and the small IP options take short lengths, the
 * rest are DWORDs that want all four bytes.
 */
#include <string.h>

#include "tcpip/tcpip.h"
#include "util/protoinfo.h"
#include "mstcpip.h"
#include "mswsock.h"
#include "ws2tcpip.h"

/* How an option's value is laid out in optval. */
enum shape {
    SH_BYTE,   /* one byte each way, whatever the length */
    SH_SOBOOL, /* SOL_SOCKET BOOL: short lengths, even 0 on set */
    SH_SHORT,  /* IP-level small int: short lengths; a short get gives 1 */
    SH_INT,    /* a DWORD: fewer than four bytes is WSAEFAULT */
};

struct shape_info {
    enum shape shape;
    int is_bool;  /* any non-zero value is stored as 1 */
    int max;      /* largest value (0: no limit); -1 is also allowed when */
    int minus_one; /* minus_one is set (IPv6 hop limits: "the default") */
};

static struct shape_info shape_of(int level, int name)
{
    struct shape_info si = {SH_INT, 0, 0, 0};
    if (level == SOL_SOCKET) {
        if (name == SO_KEEPALIVE || name == SO_DONTROUTE)
            si.shape = SH_BYTE;
        else if (name == SO_BROADCAST || name == SO_DONTLINGER ||
                 name == SO_OOBINLINE || name == SO_REUSEADDR ||
                 name == SO_EXCLUSIVEADDRUSE || name == SO_DEBUG ||
                 name == SO_CONDITIONAL_ACCEPT || name == SO_ACCEPTCONN)
            si.shape = SH_SOBOOL, si.is_bool = 1;
    } else if (level == IPPROTO_TCP) {
        if (name == TCP_NODELAY)
            si.shape = SH_BYTE;
    } else if (level == IPPROTO_IP) {
        if (name == IP_TTL || name == IP_TOS || name == IP_MULTICAST_TTL)
            si.shape = SH_SHORT, si.max = 255;
        else if (name == IP_MULTICAST_LOOP || name == IP_DONTFRAGMENT)
            si.shape = SH_SHORT, si.is_bool = 1;
        else if (name == IP_PKTINFO || name == IP_RECVTTL ||
                 name == IP_RECVTOS)
            si.is_bool = 1;
    } else if (level == IPPROTO_IPV6) {
        if (name == IPV6_UNICAST_HOPS || name == IPV6_MULTICAST_HOPS)
            si.shape = SH_SHORT, si.max = 255, si.minus_one = 1;
        else if (name == IPV6_MULTICAST_LOOP || name == IPV6_DONTFRAG)
            si.shape = SH_SHORT, si.is_bool = 1;
        else if (name == IPV6_V6ONLY)
            si.shape = SH_BYTE;
        else if (name == IPV6_PKTINFO || name == IPV6_HOPLIMIT ||
                 name == IPV6_RECVTCLASS)
            si.is_bool = 1;
    }
    return si;
}

/* The value given to setsockopt, read by the option's shape. *skip is set
 * for a SOL_SOCKET BOOL with optlen 0, which Windows accepts and ignores.
 * A negative optlen is WSAENOBUFS for one-byte options and outside
 * SOL_SOCKET, and taken as four bytes by the DWORD options of SOL_SOCKET
 * (Windows 10 21H2 and later; older ones said WSAEFAULT). */
static int read_value(int level, int name, const char *optval, int optlen,
                      int *v, int *skip)
{
    struct shape_info si = shape_of(level, name);
    *skip = 0;
    if (ws2__bad_ptr(optval))
        return WSAEFAULT;
    if (optlen < 0) {
        if (si.shape == SH_BYTE || level != SOL_SOCKET)
            return WSAENOBUFS;
        optlen = 4;
    }
    if (optlen == 0) {
        if (si.shape != SH_SOBOOL)
            return WSAEFAULT;
        *skip = 1;
        return 0;
    }
    if (si.shape == SH_INT && optlen < 4)
        return WSAEFAULT;
    size_t n = si.shape == SH_BYTE ? 1 : optlen < 4 ? (size_t)optlen : 4;
    unsigned char b[4] = {0, 0, 0, 0};
    memcpy(b, optval, n);
    *v = (int)((unsigned)b[0] | (unsigned)b[1] << 8 | (unsigned)b[2] << 16 |
               (unsigned)b[3] << 24);
    if (si.max && (unsigned)*v > (unsigned)si.max &&
        !(si.minus_one && *v == -1))
        return WSAEINVAL;
    if (si.is_bool || si.shape == SH_BYTE)
        *v = *v != 0;
    return 0;
}

/* Writes v to getsockopt's buffer by the option's shape. Windows reports
 * *optlen 1 for a SOL_SOCKET BOOL read with 2 or 3 bytes, though it writes
 * two. A DWORD option read with fewer than four bytes fails; SO_LINGER and
 * the buffer sizes still zero what was given, other SOL_SOCKET options
 * leave it, and the other levels set *optlen to 0. */
static int write_value(int level, int name, char *optval, int *optlen, int v)
{
    struct shape_info si = shape_of(level, name);
    if (ws2__bad_ptr(optval) || ws2__bad_ptr(optlen))
        return WSAEFAULT;
    int len = *optlen;
    if (len <= 0)
        return WSAEFAULT;
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8),
                          (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
    switch (si.shape) {
    case SH_BYTE:
        optval[0] = (char)b[0];
        *optlen = 1;
        return 0;
    case SH_SOBOOL:
        memcpy(optval, b, len >= 4 ? 4 : len >= 2 ? 2 : 1);
        *optlen = len >= 4 ? 4 : 1;
        return 0;
    case SH_SHORT:
        memcpy(optval, b, len >= 4 ? 4 : 1);
        *optlen = len >= 4 ? 4 : 1;
        return 0;
    case SH_INT:
        break;
    }
    if (len >= 4) {
        memcpy(optval, b, 4);
        *optlen = 4;
        return 0;
    }
    if (level == SOL_SOCKET &&
        (name == SO_LINGER || name == SO_SNDBUF || name == SO_RCVBUF))
        memset(optval, 0, (size_t)len);
    else if (level != SOL_SOCKET)
        *optlen = 0;
    return WSAEFAULT;
}

static int lx_err(int r)
{
    return r ? ws2__wsa_error(-r, WS2__OP_ANY) : 0;
}

static int is_multicast_opt(int level, int name)
{
    if (level == IPPROTO_IP)
        return name == IP_MULTICAST_IF || name == IP_MULTICAST_TTL ||
               name == IP_MULTICAST_LOOP || name == IP_ADD_MEMBERSHIP ||
               name == IP_DROP_MEMBERSHIP || name == IP_PKTINFO ||
               name == IP_RECVTTL || name == IP_RECVTOS;
    if (level == IPPROTO_IPV6)
        return name == IPV6_MULTICAST_IF || name == IPV6_MULTICAST_HOPS ||
               name == IPV6_MULTICAST_LOOP || name == IPV6_ADD_MEMBERSHIP ||
               name == IPV6_DROP_MEMBERSHIP || name == IPV6_PKTINFO ||
               name == IPV6_HOPLIMIT;
    return 0;
}

/* Options that only make sense for one kind of socket. Datagram-only IP
 * options on TCP are WSAEINVAL on Windows; SO_DONTROUTE has no IPv6
 * meaning ("SOL_SOCKET socket options"). */
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
    if (level == SOL_SOCKET && name == SO_DONTROUTE && sk->af == AF_INET6)
        return WSAENOPROTOOPT;
    /* An AF_INET socket answers IPV6_V6ONLY (see v6only_on_v4). */
    if (level == IPPROTO_IPV6 && sk->af != AF_INET6 && name != IPV6_V6ONLY)
        return WSAEINVAL;
    /* A dual-stack socket takes IP_PKTINFO for its IPv4 datagrams
     * ("LPFN_WSARECVMSG"). */
    if (level == IPPROTO_IP && sk->af != AF_INET &&
        !(name == IP_PKTINFO && !stream))
        return WSAEINVAL;
    if (stream && is_multicast_opt(level, name))
        return WSAEINVAL;
    return 0;
}

static int set_membership(struct ws2__tsock *sk, int level, int name,
                          const char *optval, int optlen)
{
    /* ip_mreq and ipv6_mreq have the same bytes on Linux; exactly their
     * size is passed, since a longer ip_mreq is an ip_mreqn there. */
    int need = level == IPPROTO_IP ? (int)sizeof(IP_MREQ)
                                   : (int)sizeof(IPV6_MREQ);
    int ll, lo;
    if (ws2__bad_ptr(optval))
        return WSAEFAULT;
    if (optlen < 0)
        return WSAENOBUFS;
    if (optlen < need)
        return WSAEFAULT;
    ws2__lx_opt(level, name, &ll, &lo);
    return lx_err(ws2__lx_setopt_raw(sk->fd, ll, lo, optval, need));
}

static int set_sol_socket(struct ws2__tsock *sk, int name, int v)
{
    int err, ll, lo;
    switch (name) {
    case SO_DONTLINGER: {
        int on, secs;
        if ((err = lx_err(ws2__lx_get_linger(sk->fd, &on, &secs))))
            return err;
        return lx_err(ws2__lx_set_linger(sk->fd, !v, secs));
    }
    case SO_REUSEADDR:
    case SO_EXCLUSIVEADDRUSE:
        /* "Using SO_REUSEADDR and SO_EXCLUSIVEADDRUSE": not both. */
        if (v && (name == SO_REUSEADDR ? atomic_load(&sk->exclusiveaddruse)
                                       : atomic_load(&sk->reuseaddr)))
            return WSAEINVAL;
        if (name == SO_EXCLUSIVEADDRUSE) {
            atomic_store(&sk->exclusiveaddruse, v);
            return 0;
        }
        if (sk->type != SOCK_STREAM) {
            ws2__lx_opt(SOL_SOCKET, SO_REUSEADDR, &ll, &lo);
            if ((err = lx_err(ws2__lx_setopt_int(sk->fd, ll, lo, v))))
                return err;
        }
        atomic_store(&sk->reuseaddr, v);
        return 0;
    case SO_SNDTIMEO:
    case SO_RCVTIMEO:
        if ((err = lx_err(ws2__lx_set_timeo(sk->fd, name == SO_SNDTIMEO,
                                            (uint32_t)v))))
            return err;
        atomic_store(name == SO_SNDTIMEO ? &sk->sndtimeo : &sk->rcvtimeo,
                     (DWORD)v);
        return 0;
    case SO_SNDBUF:
    case SO_RCVBUF:
        if (v < 0)
            return WSAEINVAL;
        ws2__lx_opt(SOL_SOCKET, name, &ll, &lo);
        if ((err = lx_err(ws2__lx_setopt_int(sk->fd, ll, lo, v))))
            return err;
        atomic_store(name == SO_SNDBUF ? &sk->sndbuf : &sk->rcvbuf, v);
        return 0;
    case SO_ERROR:
        /* Windows keeps what the application sets (Wine sock.c). */
        atomic_store(&sk->conn_err, v);
        return 0;
    case SO_CONDITIONAL_ACCEPT:
        return 0;
    }
    if (ws2__lx_opt(SOL_SOCKET, name, &ll, &lo))
        return WSAENOPROTOOPT;
    return lx_err(ws2__lx_setopt_int(sk->fd, ll, lo, v));
}

/* Options of ours beyond the plain ones of lx.c's table. */
static int is_known(int level, int name)
{
    int ll, lo;
    if (level == SOL_SOCKET &&
        (name == SO_DONTLINGER || name == SO_EXCLUSIVEADDRUSE ||
         name == SO_MAX_MSG_SIZE || name == SO_PROTOCOL_INFOA ||
         name == SO_PROTOCOL_INFOW || name == SO_CONDITIONAL_ACCEPT ||
         name == SO_GROUP_ID || name == SO_GROUP_PRIORITY))
        return 1;
    if (level == IPPROTO_IP && name == IP_DONTFRAGMENT)
        return 1;
    return ws2__lx_opt(level, name, &ll, &lo) == 0;
}

static int is_read_only(int level, int name)
{
    return level == SOL_SOCKET &&
           (name == SO_ACCEPTCONN || name == SO_TYPE ||
            name == SO_MAX_MSG_SIZE || name == SO_PROTOCOL_INFOA ||
            name == SO_PROTOCOL_INFOW || name == SO_SNDLOWAT ||
            name == SO_RCVLOWAT);
}

/* IP_PKTINFO and IPV6_PKTINFO: Linux gives packet information on every
 * datagram socket (lx.c); these say whether WSARecvMsg passes it on. */
static int pktinfo_bit(int level, int name)
{
    if (level == IPPROTO_IP && name == IP_PKTINFO)
        return WS2__CM_PKTINFO4;
    if (level == IPPROTO_IPV6 && name == IPV6_PKTINFO)
        return WS2__CM_PKTINFO6;
    return 0;
}

static int set_option(struct ws2__tsock *sk, int level, int name,
                      const char *optval, int optlen)
{
    int err, v = 0, skip, ll, lo;
    if (is_read_only(level, name))
        return WSAENOPROTOOPT;
    if ((level == IPPROTO_IP &&
         (name == IP_ADD_MEMBERSHIP || name == IP_DROP_MEMBERSHIP)) ||
        (level == IPPROTO_IPV6 &&
         (name == IPV6_ADD_MEMBERSHIP || name == IPV6_DROP_MEMBERSHIP)))
        return set_membership(sk, level, name, optval, optlen);
    if (level == SOL_SOCKET && name == SO_LINGER) {
        if (ws2__bad_ptr(optval) || (optlen >= 0 && optlen < 4))
            return WSAEFAULT;
        LINGER l;
        memcpy(&l, optval, sizeof(l));
        return lx_err(ws2__lx_set_linger(sk->fd, l.l_onoff != 0,
                                         l.l_linger));
    }
    if ((err = read_value(level, name, optval, optlen, &v, &skip)) || skip)
        return err;
    if (level == SOL_SOCKET)
        return set_sol_socket(sk, name, v);
    if ((level == IPPROTO_IP && name == IP_DONTFRAGMENT) ||
        (level == IPPROTO_IPV6 && name == IPV6_DONTFRAG))
        return lx_err(ws2__lx_set_dontfrag(sk->fd, level == IPPROTO_IPV6, v));
    if (level == IPPROTO_IPV6 && name == IPV6_V6ONLY && sk->af == AF_INET)
        /* Windows takes it on an IPv4 socket until bind (Wine sock.c). */
        return ws2__tcpip_bound(sk) ? WSAEINVAL : 0;
    int bit = pktinfo_bit(level, name);
    if (bit) {
        if (v)
            atomic_fetch_or(&sk->pktinfo, bit);
        else
            atomic_fetch_and(&sk->pktinfo, ~bit);
        return 0;
    }
    if (ws2__lx_opt(level, name, &ll, &lo))
        return WSAENOPROTOOPT;
    return lx_err(ws2__lx_setopt_int(sk->fd, ll, lo, v));
}

int WSPAPI ws2__WSPSetSockOpt(SOCKET s, int level, int optname,
                              const char *optval, int optlen, LPINT lpErrno)
{
    if (level == SOL_SOCKET && (optname == SO_UPDATE_ACCEPT_CONTEXT ||
                                optname == SO_UPDATE_CONNECT_CONTEXT))
        return ws2__tcpip_update_context(s, optname, optval, optlen, lpErrno);
    struct ws2__slot *slot;
    struct ws2__tsock *sk = ws2__tcpip_get(s, &slot, lpErrno);
    if (!sk)
        return SOCKET_ERROR;
    int err;
    if (level != SOL_SOCKET && level != IPPROTO_TCP && level != IPPROTO_IP &&
        level != IPPROTO_IPV6 && level != IPPROTO_UDP)
        err = WSAEINVAL;
    else if (!is_known(level, optname))
        err = WSAENOPROTOOPT;
    else if (!(err = check_fit(sk, level, optname)))
        err = set_option(sk, level, optname, optval, optlen);
    ws2__tcpip_put(slot);
    return err ? ws2__tcpip_fail(lpErrno, err) : 0;
}

/* Windows sets *optlen to the size needed when it is too small, and
 * leaves a larger one as it was (Wine sock.c). */
static int get_protocol_info(struct ws2__tsock *sk, int wide, char *optval,
                             int *optlen)
{
    const WSAPROTOCOL_INFOW *info = &sk->entry->info;
    int need = wide ? (int)sizeof(WSAPROTOCOL_INFOW)
                    : (int)sizeof(WSAPROTOCOL_INFOA);
    if (ws2__bad_ptr(optval) || ws2__bad_ptr(optlen))
        return WSAEFAULT;
    if (*optlen < need) {
        *optlen = need;
        return WSAEFAULT;
    }
    if (wide) {
        memcpy(optval, info, sizeof(*info));
    } else {
        WSAPROTOCOL_INFOA a;
        ws2__info_w_to_a(info, &a);
        memcpy(optval, &a, sizeof(a));
    }
    return 0;
}

/* SO_ERROR as Windows keeps it: a failed non-blocking connect leaves its
 * error until the next connect, and reading does not clear it (Wine
 * sock.c, test_select). Linux reports the error once, so the first reader
 * records it where select's settling of the connect finds it. Only a
 * connect under way is asked: on a connected or datagram socket Linux's
 * pending error belongs to the next receive. */
static int so_error(struct ws2__tsock *sk)
{
    int v = atomic_load(&sk->conn_err);
    if (v || sk->type != SOCK_STREAM || atomic_load(&sk->connecting) != 1)
        return v;
    int e = ws2__lx_so_error(sk->fd);
    if (e <= 0)
        return 0;
    v = ws2__wsa_error(e, WS2__OP_CONNECT);
    int none = 0;
    if (!atomic_compare_exchange_strong(&sk->conn_err, &none, v))
        v = none;
    return v;
}

static int get_sol_socket(struct ws2__tsock *sk, int name, int *v)
{
    int err, ll, lo, on, secs;
    switch (name) {
    case SO_LINGER:
        if ((err = lx_err(ws2__lx_get_linger(sk->fd, &on, &secs))))
            return err;
        *v = (int)((unsigned)(on != 0) | (unsigned)(u_short)secs << 16);
        return 0;
    case SO_DONTLINGER:
        if ((err = lx_err(ws2__lx_get_linger(sk->fd, &on, &secs))))
            return err;
        *v = !on;
        return 0;
    case SO_REUSEADDR:
        *v = atomic_load(&sk->reuseaddr);
        return 0;
    case SO_EXCLUSIVEADDRUSE:
        *v = atomic_load(&sk->exclusiveaddruse);
        return 0;
    case SO_ACCEPTCONN:
        *v = atomic_load(&sk->listening);
        return 0;
    case SO_SNDTIMEO:
    case SO_RCVTIMEO:
        *v = (int)atomic_load(name == SO_SNDTIMEO ? &sk->sndtimeo
                                                  : &sk->rcvtimeo);
        return 0;
    case SO_SNDBUF:
    case SO_RCVBUF:
        *v = atomic_load(name == SO_SNDBUF ? &sk->sndbuf : &sk->rcvbuf);
        if (*v >= 0)
            return 0;
        ws2__lx_opt(SOL_SOCKET, name, &ll, &lo);
        if ((err = lx_err(ws2__lx_getopt_int(sk->fd, ll, lo, v))))
            return err;
        *v /= 2; /* Linux reports twice the usable size */
        return 0;
    case SO_ERROR:
        *v = so_error(sk);
        return 0;
    case SO_TYPE:
        *v = sk->type;
        return 0;
    case SO_MAX_MSG_SIZE:
        /* "Has no meaning for stream-oriented sockets." */
        if (sk->type == SOCK_STREAM)
            return WSAENOPROTOOPT;
        *v = (int)(sk->af == AF_INET6 ? WS2__UDP6_MAX_MSG : WS2__UDP4_MAX_MSG);
        return 0;
    case SO_CONDITIONAL_ACCEPT:
    case SO_GROUP_ID:
    case SO_GROUP_PRIORITY:
        *v = 0;
        return 0;
    case SO_SNDLOWAT:
    case SO_RCVLOWAT:
        return WSAENOPROTOOPT;
    }
    if (ws2__lx_opt(SOL_SOCKET, name, &ll, &lo))
        return WSAENOPROTOOPT;
    return lx_err(ws2__lx_getopt_int(sk->fd, ll, lo, v));
}

static int get_option(struct ws2__tsock *sk, int level, int name, int *v)
{
    int ll, lo;
    if (level == SOL_SOCKET)
        return get_sol_socket(sk, name, v);
    if ((level == IPPROTO_IP &&
         (name == IP_ADD_MEMBERSHIP || name == IP_DROP_MEMBERSHIP)) ||
        (level == IPPROTO_IPV6 &&
         (name == IPV6_ADD_MEMBERSHIP || name == IPV6_DROP_MEMBERSHIP)))
        return WSAENOPROTOOPT; /* set-only */
    if ((level == IPPROTO_IP && name == IP_DONTFRAGMENT) ||
        (level == IPPROTO_IPV6 && name == IPV6_DONTFRAG))
        return lx_err(ws2__lx_get_dontfrag(sk->fd, level == IPPROTO_IPV6, v));
    if (level == IPPROTO_IPV6 && name == IPV6_V6ONLY && sk->af == AF_INET) {
        *v = 1;
        return 0;
    }
    if (pktinfo_bit(level, name)) {
        *v = (atomic_load(&sk->pktinfo) & pktinfo_bit(level, name)) != 0;
        return 0;
    }
    if (ws2__lx_opt(level, name, &ll, &lo))
        return WSAENOPROTOOPT;
    int err = lx_err(ws2__lx_getopt_int(sk->fd, ll, lo, v));
    if (!err && shape_of(level, name).is_bool)
        *v = *v != 0;
    return err;
}

int WSPAPI ws2__WSPGetSockOpt(SOCKET s, int level, int optname, char *optval,
                              LPINT optlen, LPINT lpErrno)
{
    struct ws2__slot *slot;
    struct ws2__tsock *sk = ws2__tcpip_get(s, &slot, lpErrno);
    if (!sk)
        return SOCKET_ERROR;
    int err, v = 0;
    if (ws2__bad_ptr(optval) || ws2__bad_ptr(optlen))
        err = WSAEFAULT;
    else if (level != SOL_SOCKET && level != IPPROTO_TCP &&
             level != IPPROTO_IP && level != IPPROTO_IPV6 &&
             level != IPPROTO_UDP)
        err = WSAEINVAL;
    else if (!is_known(level, optname))
        err = WSAENOPROTOOPT;
    else if ((err = check_fit(sk, level, optname)))
        ;
    else if (level == SOL_SOCKET && (optname == SO_PROTOCOL_INFOA ||
                                     optname == SO_PROTOCOL_INFOW))
        err = get_protocol_info(sk, optname == SO_PROTOCOL_INFOW, optval,
                                optlen);
    else if (*optlen <= 0)
        err = WSAEFAULT;
    else if (!(err = get_option(sk, level, optname, &v)))
        err = write_value(level, optname, optval, optlen, v);
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

/* An urgent byte has arrived and not been read with MSG_OOB. */
static int oob_waiting(const struct ws2__tsock *sk)
{
    char c;
    struct iovec iov = {&c, 1};
    int mflags;
    return ws2__lx_recvmsg(sk->fd, &iov, 1, NULL, NULL,
                           ws2__lx_MSG_OOB | ws2__lx_MSG_PEEK |
                               ws2__lx_MSG_DONTWAIT,
                           &mflags) == 1;
}

/* FIONREAD. Windows does not count OOB data (Wine sock.c,
 * test_fionread_siocatmark); Linux counts a stream only up to an urgent
 * mark that has not been passed, which agrees until normal data arrives
 * behind the mark (then Linux says less until the reader passes it). A
 * listening socket has nothing to read (Linux says EINVAL). */
static u_long fionread(const struct ws2__tsock *sk)
{
    int n = 0;
    if (ws2__lx_inq(sk->fd, &n) || n < 0)
        return 0;
    return (u_long)n;
}

/* SIOCATMARK: "If no OOB data is waiting to be read, the operation returns
 * TRUE" (ioctlsocket function). Inline urgent data is ordinary data to
 * Windows here (Wine sock.c). */
static u_long siocatmark(const struct ws2__tsock *sk)
{
    if (atomic_load(&sk->listening) || ws2__tcpip_oob_inline(sk))
        return TRUE;
    return !oob_waiting(sk);
}

static int do_ioctl(struct ws2__tsock *sk, DWORD code, LPVOID in, DWORD inlen,
                    LPVOID out, DWORD outlen, LPDWORD ret, LPINT lpErrno)
{
    u_long v;
    int err;
    switch (code) {
    case FIONBIO:
        if ((err = in_ulong(in, inlen, &v)))
            return err;
        /* Blocking again only after WSAEventSelect(s, NULL, 0)
         * ("WSAEventSelect function"). */
        if (!v && ws2__evs_selected(sk))
            return WSAEINVAL;
        if ((err = lx_err(ws2__lx_set_nonblock(sk->fd, v != 0))))
            return err;
        atomic_store(&sk->nonblocking, v != 0);
        *ret = 0;
        return 0;
    case FIONREAD:
        return out_ulong(out, outlen, ret, fionread(sk));
    case SIOCATMARK:
        if (sk->type != SOCK_STREAM)
            return WSAEINVAL;
        return out_ulong(out, outlen, ret, siocatmark(sk));
    case SIO_UDP_CONNRESET:
        if ((err = in_ulong(in, inlen, &v)))
            return err;
        if (sk->type == SOCK_STREAM)
            return WSAEINVAL;
        atomic_store(&sk->udp_connreset, v != 0);
        if (!v)
            atomic_store(&sk->pending_reset, 0);
        *ret = 0;
        return 0;
    case SIO_KEEPALIVE_VALS: {
        /* The page: "cbInBuffer ... should equal to or greater than the
         * size of the tcp_keepalive structure"; a connection-oriented
         * option (WSAENOPROTOOPT on a datagram socket). Nothing comes
         * back: *lpcbBytesReturned is 0. */
        struct tcp_keepalive ka;
        if (ws2__bad_ptr(in) || inlen < sizeof(ka))
            return WSAEFAULT;
        if (sk->type != SOCK_STREAM)
            return WSAENOPROTOOPT;
        memcpy(&ka, in, sizeof(ka));
        if ((err = lx_err(ws2__lx_set_keepalive(sk->fd, ka.onoff != 0,
                                                 ka.keepalivetime,
                                                 ka.keepaliveinterval))))
            return err;
        *ret = 0;
        return 0;
    }
    case SIO_ADDRESS_LIST_QUERY:
        return ws2__tcpip_addr_list(sk, out, outlen, ret);
    case SIO_GET_INTERFACE_LIST:
        return ws2__tcpip_interface_list(sk, out, outlen, ret);
    case SIO_ROUTING_INTERFACE_QUERY:
        return ws2__tcpip_route_query(sk, in, inlen, out, outlen, ret);
    case SIO_GET_BROADCAST_ADDRESS:
        return ws2__tcpip_broadcast_address(sk, out, outlen, ret);
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
        /* Wine sock.c (test_unsupported_ioctls): WSAEOPNOTSUPP, size 0. */
        *ret = 0;
        return WSAEOPNOTSUPP;
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
    if (ws2__bad_ptr(lpcbBytesReturned))
        err = WSAEFAULT;
    else if (ws2__tcpip_overlapped(sk, lpOverlapped, lpCompletionRoutine))
        err = WSAEOPNOTSUPP;
    else
        err = do_ioctl(sk, dwIoControlCode, lpvInBuffer, cbInBuffer,
                       lpvOutBuffer, cbOutBuffer, lpcbBytesReturned, lpErrno);
    ws2__tcpip_put(slot);
    return err ? ws2__tcpip_fail(lpErrno, err) : 0;
}
