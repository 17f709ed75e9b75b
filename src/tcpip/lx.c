/*
 * lx.c - the base provider's Linux side: the socket system calls, and the
 * tables between Windows and Linux values (address families, socket
 * options, message flags, errno -> WSAE*). The only file of the provider
 * that sees <sys/socket.h>.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "tcpip/lx.h"
#include "winerror.h"

/* Windows' address family numbers. */
#define W_AF_UNSPEC 0
#define W_AF_INET 2
#define W_AF_INET6 23

/* ---- errno -> WSAE* ---- */

/* Every Linux errno has a row; a test walks them all. Errors that no socket
 * call produces map to the nearest Windows meaning. */
static const unsigned short errmap[] = {
    [EPERM] = WSAEACCES,           [ENOENT] = WSAEINVAL,
    [ESRCH] = WSAEINVAL,           [EINTR] = WSAEINTR,
    [EIO] = WSAENETDOWN,           [ENXIO] = WSAENETDOWN,
    [E2BIG] = WSAEINVAL,           [ENOEXEC] = WSAEINVAL,
    [EBADF] = WSAENOTSOCK,         [ECHILD] = WSAEINVAL,
    [EAGAIN] = WSAEWOULDBLOCK,     [ENOMEM] = WSAENOBUFS,
    [EACCES] = WSAEACCES,          [EFAULT] = WSAEFAULT,
    [ENOTBLK] = WSAEINVAL,         [EBUSY] = WSAEINPROGRESS,
    [EEXIST] = WSAEINVAL,          [EXDEV] = WSAEINVAL,
    [ENODEV] = WSAENETDOWN,        [ENOTDIR] = WSAEINVAL,
    [EISDIR] = WSAEINVAL,          [EINVAL] = WSAEINVAL,
    [ENFILE] = WSAEMFILE,          [EMFILE] = WSAEMFILE,
    [ENOTTY] = WSAEINVAL,          [ETXTBSY] = WSAEINVAL,
    [EFBIG] = WSAEMSGSIZE,         [ENOSPC] = WSAENOBUFS,
    [ESPIPE] = WSAEINVAL,          [EROFS] = WSAEACCES,
    [EMLINK] = WSAEMFILE,          [EPIPE] = WSAESHUTDOWN,
    [EDOM] = WSAEINVAL,            [ERANGE] = WSAEINVAL,
    [EDEADLK] = WSAEINVAL,         [ENAMETOOLONG] = WSAENAMETOOLONG,
    [ENOLCK] = WSAENOBUFS,         [ENOSYS] = WSAEOPNOTSUPP,
    [ENOTEMPTY] = WSAENOTEMPTY,    [ELOOP] = WSAELOOP,
    [ENOMSG] = WSAEINVAL,          [EIDRM] = WSAEINVAL,
    [ECHRNG] = WSAEINVAL,          [EL2NSYNC] = WSAEINVAL,
    [EL3HLT] = WSAEINVAL,          [EL3RST] = WSAEINVAL,
    [ELNRNG] = WSAEINVAL,          [EUNATCH] = WSAEINVAL,
    [ENOCSI] = WSAEINVAL,          [EL2HLT] = WSAEINVAL,
    [EBADE] = WSAEINVAL,           [EBADR] = WSAEINVAL,
    [EXFULL] = WSAENOBUFS,         [ENOANO] = WSAEINVAL,
    [EBADRQC] = WSAEINVAL,         [EBADSLT] = WSAEINVAL,
    [EBFONT] = WSAEINVAL,          [ENOSTR] = WSAENOTSOCK,
    [ENODATA] = WSAEWOULDBLOCK,    [ETIME] = WSAETIMEDOUT,
    [ENOSR] = WSAENOBUFS,          [ENONET] = WSAENETDOWN,
    [ENOPKG] = WSAEINVAL,          [EREMOTE] = WSAEREMOTE,
    [ENOLINK] = WSAENETDOWN,       [EADV] = WSAEINVAL,
    [ESRMNT] = WSAEINVAL,          [ECOMM] = WSAENETDOWN,
    [EPROTO] = WSAECONNABORTED,    [EMULTIHOP] = WSAEHOSTUNREACH,
    [EDOTDOT] = WSAEINVAL,         [EBADMSG] = WSAEINVAL,
    [EOVERFLOW] = WSAEMSGSIZE,     [ENOTUNIQ] = WSAEINVAL,
    [EBADFD] = WSAENOTSOCK,        [EREMCHG] = WSAEADDRNOTAVAIL,
    [ELIBACC] = WSAEINVAL,         [ELIBBAD] = WSAEINVAL,
    [ELIBSCN] = WSAEINVAL,         [ELIBMAX] = WSAEINVAL,
    [ELIBEXEC] = WSAEINVAL,        [EILSEQ] = WSAEINVAL,
    [ERESTART] = WSAEINTR,         [ESTRPIPE] = WSAESHUTDOWN,
    [EUSERS] = WSAEUSERS,          [ENOTSOCK] = WSAENOTSOCK,
    [EDESTADDRREQ] = WSAEDESTADDRREQ, [EMSGSIZE] = WSAEMSGSIZE,
    [EPROTOTYPE] = WSAEPROTOTYPE,  [ENOPROTOOPT] = WSAENOPROTOOPT,
    [EPROTONOSUPPORT] = WSAEPROTONOSUPPORT,
    [ESOCKTNOSUPPORT] = WSAESOCKTNOSUPPORT,
    [EOPNOTSUPP] = WSAEOPNOTSUPP,  [EPFNOSUPPORT] = WSAEPFNOSUPPORT,
    [EAFNOSUPPORT] = WSAEAFNOSUPPORT, [EADDRINUSE] = WSAEADDRINUSE,
    [EADDRNOTAVAIL] = WSAEADDRNOTAVAIL, [ENETDOWN] = WSAENETDOWN,
    [ENETUNREACH] = WSAENETUNREACH, [ENETRESET] = WSAENETRESET,
    [ECONNABORTED] = WSAECONNABORTED, [ECONNRESET] = WSAECONNRESET,
    [ENOBUFS] = WSAENOBUFS,        [EISCONN] = WSAEISCONN,
    [ENOTCONN] = WSAENOTCONN,      [ESHUTDOWN] = WSAESHUTDOWN,
    [ETOOMANYREFS] = WSAETOOMANYREFS, [ETIMEDOUT] = WSAETIMEDOUT,
    [ECONNREFUSED] = WSAECONNREFUSED, [EHOSTDOWN] = WSAEHOSTDOWN,
    [EHOSTUNREACH] = WSAEHOSTUNREACH, [EALREADY] = WSAEALREADY,
    [EINPROGRESS] = WSAEINPROGRESS, [ESTALE] = WSAESTALE,
    [EUCLEAN] = WSAEINVAL,         [ENOTNAM] = WSAEINVAL,
    [ENAVAIL] = WSAEINVAL,         [EISNAM] = WSAEINVAL,
    [EREMOTEIO] = WSAENETDOWN,     [EDQUOT] = WSAEDQUOT,
    [ENOMEDIUM] = WSAENETDOWN,     [EMEDIUMTYPE] = WSAEINVAL,
    [ECANCELED] = WSA_OPERATION_ABORTED, [ENOKEY] = WSAEACCES,
    [EKEYEXPIRED] = WSAEACCES,     [EKEYREVOKED] = WSAEACCES,
    [EKEYREJECTED] = WSAEACCES,    [EOWNERDEAD] = WSAEINVAL,
    [ENOTRECOVERABLE] = WSAEINVAL, [ERFKILL] = WSAENETDOWN,
    [EHWPOISON] = WSAEFAULT,
};

int ws2__wsa_error(int err, enum ws2__op op)
{
    /* Rows where Windows differs by operation. */
    switch (op) {
    case WS2__OP_CONNECT:
        /* A non-blocking connect on Windows says "would block". */
        if (err == EINPROGRESS || err == EAGAIN)
            return WSAEWOULDBLOCK;
        break;
    case WS2__OP_SEND:
        /* The peer reset the connection; the caller turns EPIPE into
         * WSAESHUTDOWN itself when the socket was shut down for sending. */
        if (err == EPIPE)
            return WSAECONNRESET;
        break;
    case WS2__OP_RECV:
        if (err == ECONNREFUSED) /* ICMP port unreachable on UDP */
            return WSAECONNRESET;
        break;
    case WS2__OP_BIND:
        if (err == EINVAL) /* already bound */
            return WSAEINVAL;
        break;
    default:
        break;
    }
    if (err > 0 && (size_t)err < sizeof(errmap) / sizeof(errmap[0]) &&
        errmap[err])
        return errmap[err];
    return WSAEINVAL;
}

/* ---- addresses ---- */

/* Windows and Linux lay out sockaddr_in and sockaddr_in6 alike, apart from
 * the family number, so an address is one copy and a family rewrite into
 * out (room for WS2__LX_ADDR_MAX bytes; a sockaddr_storage will do). This
 * is on every sendto's path: no clearing of more than the address. */
static int to_linux(const void *wsa, int wlen, void *out, socklen_t *len)
{
    uint16_t fam;
    sa_family_t lfam;
    if (wlen < (int)sizeof(fam))
        return -EFAULT;
    memcpy(&fam, wsa, sizeof(fam));
    if (fam == W_AF_INET) {
        if (wlen < (int)sizeof(struct sockaddr_in))
            return -EFAULT;
        memcpy(out, wsa, sizeof(struct sockaddr_in));
        lfam = AF_INET;
        *len = sizeof(struct sockaddr_in);
    } else if (fam == W_AF_INET6) {
        /* Windows accepts the 24-byte sockaddr_in6 that predates scope
         * ids; the scope is 0 then. */
        if (wlen < 24)
            return -EFAULT;
        uint32_t scope = 0;
        memcpy((char *)out + 24, &scope, sizeof(scope));
        memcpy(out, wsa, wlen < 28 ? 24 : 28);
        lfam = AF_INET6;
        *len = sizeof(struct sockaddr_in6);
    } else if (fam == W_AF_UNSPEC) {
        memset(out, 0, sizeof(struct sockaddr));
        lfam = AF_UNSPEC;
        *len = sizeof(struct sockaddr);
    } else {
        return -EAFNOSUPPORT;
    }
    memcpy(out, &lfam, sizeof(lfam));
    return 0;
}

/* Copies a Linux address out in Windows layout, truncated to *wlen;
 * *wlen becomes the full length. */
static void from_linux(const struct sockaddr_storage *ss, socklen_t len,
                       void *wsa, int *wlen)
{
    uint16_t fam = ss->ss_family == AF_INET6 ? W_AF_INET6
                   : ss->ss_family == AF_INET ? W_AF_INET
                                              : W_AF_UNSPEC;
    if (ss->ss_family == AF_INET6)
        len = sizeof(struct sockaddr_in6);
    else if (ss->ss_family == AF_INET)
        len = sizeof(struct sockaddr_in);
    if (wsa && wlen && *wlen > 0) {
        size_t n = (size_t)*wlen < len ? (size_t)*wlen : len;
        memcpy(wsa, ss, n);
        memcpy(wsa, &fam, n < sizeof(fam) ? n : sizeof(fam));
    }
    if (wlen)
        *wlen = (int)len;
}

_Static_assert(sizeof(struct sockaddr_in6) == WS2__LX_ADDR_MAX &&
                   sizeof(struct sockaddr) <= WS2__LX_ADDR_MAX,
               "WS2__LX_ADDR_MAX");

int ws2__lx_addr_in(const void *wsa, int wlen, void *out, unsigned *outlen)
{
    socklen_t len;
    int r = to_linux(wsa, wlen, out, &len);
    if (!r)
        *outlen = len;
    return r;
}

void ws2__lx_addr_out(const void *laddr, unsigned llen, void *wsa, int *wlen)
{
    struct sockaddr_storage ss;
    if (llen == 0) {
        *wlen = 0;
        return;
    }
    memset(&ss, 0, sizeof(ss));
    memcpy(&ss, laddr, llen < sizeof(ss) ? llen : sizeof(ss));
    from_linux(&ss, llen, wsa, wlen);
}

static int lx_family(int waf)
{
    return waf == W_AF_INET ? AF_INET : waf == W_AF_INET6 ? AF_INET6 : -1;
}

int ws2__lx_socket(int waf, int type, int protocol)
{
    int af = lx_family(waf);
    if (af < 0)
        return -EAFNOSUPPORT;
    int fd = socket(af, type | SOCK_CLOEXEC, protocol);
    if (fd < 0)
        return -errno;
    int one = 1;
    if (af == AF_INET6) /* Windows' IPv6 sockets start IPv6-only */
        (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (type == SOCK_DGRAM) { /* port unreachable reaches unconnected UDP */
        if (af == AF_INET)
            (void)setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one));
        else
            (void)setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one,
                             sizeof(one));
        /* Packet information on every datagram, whatever the application
         * set: WSARecvMsg's MSG_BCAST and MSG_MCAST come from it (see
         * ws2__lx_cmsg_in). An IPv6 socket also takes IPv4's, for the
         * IPv4 datagrams a dual-stack socket receives. */
        (void)setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
        if (af == AF_INET6)
            (void)setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
                             sizeof(one));
    }
    return fd;
}

int ws2__lx_set_reuse(int fd, int on)
{
    return setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0
               ? -errno
               : 0;
}

int ws2__lx_close(int fd)
{
    return close(fd) < 0 ? -errno : 0;
}

int ws2__lx_bind(int fd, const void *wsa, int wlen)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int r = to_linux(wsa, wlen, &ss, &len);
    if (r)
        return r;
    return bind(fd, (struct sockaddr *)&ss, len) < 0 ? -errno : 0;
}

int ws2__lx_connect(int fd, const void *wsa, int wlen)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int r = to_linux(wsa, wlen, &ss, &len);
    if (r)
        return r;
    return connect(fd, (struct sockaddr *)&ss, len) < 0 ? -errno : 0;
}

int ws2__lx_disconnect(int fd)
{
    struct sockaddr sa = {.sa_family = AF_UNSPEC};
    return connect(fd, &sa, sizeof(sa)) < 0 ? -errno : 0;
}

int ws2__lx_listen(int fd, int backlog)
{
    return listen(fd, backlog) < 0 ? -errno : 0;
}

int ws2__lx_accept(int fd, void *wsa, int *wlen)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int nfd = accept4(fd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
    if (nfd < 0)
        return -errno;
    from_linux(&ss, len, wsa, wlen);
    return nfd;
}

int ws2__lx_adopt(int fd, int nfd, int nonblock)
{
    int r = dup3(nfd, fd, O_CLOEXEC) < 0 ? -errno : 0;
    close(nfd);
    if (!r && nonblock)
        r = ws2__lx_set_nonblock(fd, 1);
    return r;
}

int ws2__lx_shutdown(int fd, int how)
{
    return shutdown(fd, how) < 0 ? -errno : 0;
}

/* sendmsg, sendto and recvmsg as bare system calls. libc's wrappers are
 * cancellation points: once the process has a second thread (the engine's
 * reaper) each call pays for switching asynchronous cancellation on and
 * off around the system call. Winsock programs have no pthread
 * cancellation to honour. Under the sanitizers libc's functions stay, so
 * that their interceptors see the buffers (and TSan the hand-over). */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define LX_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define LX_SANITIZED 1
#endif

#if defined(__x86_64__) && !defined(LX_SANITIZED)
static inline long lx_msgcall(long nr, int fd, struct msghdr *m, int flags)
{
    long r;
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "0"(nr), "D"((long)fd), "S"(m), "d"((long)flags)
                     : "rcx", "r11", "memory");
    return r;
}
static inline long lx_sendmsg(int fd, struct msghdr *m, int flags)
{
    return lx_msgcall(SYS_sendmsg, fd, m, flags);
}
static inline long lx_sendto(int fd, const void *buf, size_t len, int flags,
                             const void *addr, socklen_t alen)
{
    long r;
    register long r10 __asm__("r10") = flags;
    register long r8 __asm__("r8") = (long)addr;
    register long r9 __asm__("r9") = (long)alen;
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "0"((long)SYS_sendto), "D"((long)fd), "S"(buf),
                       "d"(len), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return r;
}
static inline long lx_recvmsg(int fd, struct msghdr *m, int flags)
{
    return lx_msgcall(SYS_recvmsg, fd, m, flags);
}
#else
static inline long lx_sendmsg(int fd, struct msghdr *m, int flags)
{
    ssize_t r = sendmsg(fd, m, flags);
    return r < 0 ? -errno : r;
}
static inline long lx_recvmsg(int fd, struct msghdr *m, int flags)
{
    ssize_t r = recvmsg(fd, m, flags);
    return r < 0 ? -errno : r;
}
static inline long lx_sendto(int fd, const void *buf, size_t len, int flags,
                             const void *addr, socklen_t alen)
{
    ssize_t r = sendto(fd, buf, len, flags, addr, alen);
    return r < 0 ? -errno : r;
}
#endif

ssize_t ws2__lx_sendmsg(int fd, const struct iovec *iov, size_t n,
                        const void *laddr, unsigned llen, int lflags)
{
    return ws2__lx_sendmsg_ctl(fd, iov, n, laddr, llen, lflags, NULL, 0);
}

ssize_t ws2__lx_sendmsg_ctl(int fd, const struct iovec *iov, size_t n,
                            const void *laddr, unsigned llen, int lflags,
                            const void *ctl, size_t ctllen)
{
    struct msghdr mh = {.msg_name = llen ? (void *)laddr : NULL,
                        .msg_namelen = llen,
                        .msg_iov = (struct iovec *)iov,
                        .msg_iovlen = n,
                        .msg_control = (void *)ctl,
                        .msg_controllen = ctllen};
    return lx_sendmsg(fd, &mh, lflags | MSG_NOSIGNAL);
}

ssize_t ws2__lx_sendto(int fd, const void *buf, size_t len, const void *wto,
                       int wtolen, int lflags)
{
    struct sockaddr_in6 a; /* the longest address to_linux makes */
    socklen_t alen;
    int r = to_linux(wto, wtolen, &a, &alen);
    if (r)
        return r;
    return lx_sendto(fd, buf, len, lflags | MSG_NOSIGNAL, &a, alen);
}

ssize_t ws2__lx_recvmsg(int fd, const struct iovec *iov, size_t n,
                        void *wfrom, int *wfromlen, int lflags,
                        int *lmsgflags)
{
    return ws2__lx_recvmsg_ctl(fd, iov, n, wfrom, wfromlen, lflags,
                               lmsgflags, NULL, NULL);
}

ssize_t ws2__lx_recvmsg_ctl(int fd, const struct iovec *iov, size_t n,
                            void *wfrom, int *wfromlen, int lflags,
                            int *lmsgflags, void *ctl, size_t *ctllen)
{
    struct sockaddr_storage ss;
    struct msghdr mh = {.msg_iov = (struct iovec *)iov, .msg_iovlen = n,
                        .msg_name = &ss, .msg_namelen = sizeof(ss),
                        .msg_control = ctl,
                        .msg_controllen = ctllen ? *ctllen : 0};
    long r = lx_recvmsg(fd, &mh, lflags);
    if (r < 0)
        return r;
    *lmsgflags = mh.msg_flags;
    if (ctllen)
        *ctllen = mh.msg_controllen;
    if (wfromlen) {
        if (mh.msg_namelen > 0)
            from_linux(&ss, mh.msg_namelen, wfrom, wfromlen);
        else
            *wfromlen = 0;
    }
    return r;
}

int ws2__lx_errqueue(int fd)
{
    char ctrl[512], data[1];
    struct iovec iov = {data, sizeof(data)};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = ctrl, .msg_controllen = sizeof(ctrl)};
    if (recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
        return 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
            (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
            struct sock_extended_err ee;
            memcpy(&ee, CMSG_DATA(c), sizeof(ee));
            return (int)ee.ee_errno;
        }
    }
    return EIO;
}

/* ---- ancillary data ---- */

/* Windows' side: WSACMSGHDR (SIZE_T cmsg_len, INT level, INT type), the
 * data at WSA_CMSG_DATA (16), each object at an 8-byte boundary; levels
 * IPPROTO_IP 0 and IPPROTO_IPV6 41, and Windows' option numbers. */
struct w_cmsg {
    uint64_t len;
    int32_t level, type;
};
_Static_assert(sizeof(struct w_cmsg) == 16, "WSACMSGHDR");
#define W_CMSG_ALIGN(n) (((n) + 7) & ~(size_t)7)
#define W_SOL_IP 0
#define W_SOL_IPV6 41
#define W_IP_TOS 3
#define W_IP_TTL 4
#define W_IP_PKTINFO 19
#define W_IPV6_PKTINFO 19
#define W_IPV6_HOPLIMIT 21
#define W_IPV6_TCLASS 39

struct w_out {
    unsigned char *p;
    size_t room, used;
    int full; /* an object did not fit: the rest are dropped */
};

/* One Windows object, whole or not at all (then the data is truncated). */
static void w_put(struct w_out *w, int level, int type, const void *data,
                  size_t len)
{
    size_t need = sizeof(struct w_cmsg) + len;
    if (w->full || need > w->room - w->used) {
        w->full = 1;
        return;
    }
    struct w_cmsg h = {need, level, type};
    unsigned char *o = w->p + w->used;
    memcpy(o, &h, sizeof(h));
    memcpy(o + sizeof(h), data, len);
    size_t space = W_CMSG_ALIGN(need);
    if (space > w->room - w->used)
        space = w->room - w->used;
    memset(o + need, 0, space - need);
    w->used += space;
}

static void w_put_int(struct w_out *w, int level, int type, int32_t v)
{
    w_put(w, level, type, &v, sizeof(v));
}

/* Linux's in_pktinfo carries the header's destination (ipi_addr) and the
 * address a reply would come from (ipi_spec_dst): the destination itself
 * for a datagram sent to one of our addresses, the interface's address for
 * a broadcast or multicast one. Linux leaves ipi_spec_dst 0 when it did
 * not look. */
static int classify4(const struct in_pktinfo *pi)
{
    uint32_t dst = ntohl(pi->ipi_addr.s_addr);
    if ((dst >> 28) == 0xe)
        return WS2__CM_MCAST;
    if (dst == 0xffffffffu ||
        (pi->ipi_spec_dst.s_addr &&
         pi->ipi_spec_dst.s_addr != pi->ipi_addr.s_addr))
        return WS2__CM_BCAST;
    return 0;
}

static void pktinfo4_in(struct w_out *w, const unsigned char *d, int want,
                        int *bits)
{
    struct in_pktinfo pi;
    memcpy(&pi, d, sizeof(pi));
    *bits |= classify4(&pi);
    if (!(want & WS2__CM_PKTINFO4))
        return;
    /* IN_PKTINFO: the destination address, then the interface. */
    unsigned char o[8];
    uint32_t ifindex = (uint32_t)pi.ipi_ifindex;
    memcpy(o, &pi.ipi_addr, 4);
    memcpy(o + 4, &ifindex, 4);
    w_put(w, W_SOL_IP, W_IP_PKTINFO, o, sizeof(o));
}

static void pktinfo6_in(struct w_out *w, const unsigned char *d, int want,
                        int *bits)
{
    struct in6_pktinfo pi;
    memcpy(&pi, d, sizeof(pi));
    /* Linux also describes an IPv4 datagram of a dual-stack socket so, with
     * a v4-mapped address; Windows only with IP_PKTINFO ("LPFN_WSARECVMSG"),
     * which comes too. */
    if (IN6_IS_ADDR_V4MAPPED(&pi.ipi6_addr))
        return;
    if (pi.ipi6_addr.s6_addr[0] == 0xff)
        *bits |= WS2__CM_MCAST;
    if (want & WS2__CM_PKTINFO6) /* the same 20 bytes as IN6_PKTINFO */
        w_put(w, W_SOL_IPV6, W_IPV6_PKTINFO, &pi, sizeof(pi));
}

/* The int-valued objects, with their Windows numbers; Linux gives IP_TOS
 * as one byte, Windows as an INT. */
static void int_in(struct w_out *w, const struct cmsghdr *c,
                   const unsigned char *d, size_t dlen)
{
    static const struct {
        int llevel, ltype, wlevel, wtype;
    } rows[] = {
        {IPPROTO_IP, IP_TTL, W_SOL_IP, W_IP_TTL},
        {IPPROTO_IP, IP_TOS, W_SOL_IP, W_IP_TOS},
        {IPPROTO_IPV6, IPV6_HOPLIMIT, W_SOL_IPV6, W_IPV6_HOPLIMIT},
        {IPPROTO_IPV6, IPV6_TCLASS, W_SOL_IPV6, W_IPV6_TCLASS},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        if (c->cmsg_level != rows[i].llevel || c->cmsg_type != rows[i].ltype)
            continue;
        int32_t v = 0;
        if (dlen >= sizeof(v))
            memcpy(&v, d, sizeof(v));
        else if (dlen == 1)
            v = d[0];
        else
            return;
        w_put_int(w, rows[i].wlevel, rows[i].wtype, v);
        return;
    }
}

int ws2__lx_cmsg_in(const void *lctl, size_t llen, int lmsgflags, int want,
                    void *out, size_t room, size_t *used)
{
    struct msghdr mh = {.msg_control = (void *)lctl, .msg_controllen = llen};
    struct w_out w = {out, room, 0, 0};
    int bits = 0;
    if (lmsgflags & MSG_TRUNC)
        bits |= WS2__CM_TRUNC;
    if (lmsgflags & MSG_CTRUNC)
        bits |= WS2__CM_CTRUNC;
    for (struct cmsghdr *c = lctl ? CMSG_FIRSTHDR(&mh) : NULL; c;
         c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_len < CMSG_LEN(0))
            break;
        const unsigned char *d = CMSG_DATA(c);
        size_t dlen = c->cmsg_len - CMSG_LEN(0);
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
            dlen >= sizeof(struct in_pktinfo))
            pktinfo4_in(&w, d, want, &bits);
        else if (c->cmsg_level == IPPROTO_IPV6 &&
                 c->cmsg_type == IPV6_PKTINFO &&
                 dlen >= sizeof(struct in6_pktinfo))
            pktinfo6_in(&w, d, want, &bits);
        else
            int_in(&w, c, d, dlen);
    }
    if (w.full)
        bits |= WS2__CM_CTRUNC;
    *used = w.used;
    return bits;
}

/* One Linux object at out + *used (out is 8-aligned). */
static int l_put(void *out, size_t room, size_t *used, int level, int type,
                 const void *data, size_t len)
{
    if (CMSG_SPACE(len) > room - *used)
        return -ENOBUFS;
    struct cmsghdr *c = (struct cmsghdr *)(void *)((char *)out + *used);
    memset(c, 0, CMSG_SPACE(len));
    c->cmsg_len = CMSG_LEN(len);
    c->cmsg_level = level;
    c->cmsg_type = type;
    memcpy(CMSG_DATA(c), data, len);
    *used += CMSG_SPACE(len);
    return 0;
}

/* IN_PKTINFO's address is the source to send from: Linux's ipi_spec_dst
 * (its ipi_addr means nothing to a send). IN6_PKTINFO has Linux's bytes. */
static int w_obj_out(const struct w_cmsg *h, const unsigned char *d,
                     size_t dlen, void *out, size_t room, size_t *used)
{
    uint32_t ifindex;
    if (h->level == W_SOL_IP && h->type == W_IP_PKTINFO && dlen >= 8) {
        struct in_pktinfo pi;
        memset(&pi, 0, sizeof(pi));
        memcpy(&pi.ipi_spec_dst, d, 4);
        memcpy(&ifindex, d + 4, 4);
        pi.ipi_ifindex = (int)ifindex;
        return l_put(out, room, used, IPPROTO_IP, IP_PKTINFO, &pi,
                     sizeof(pi));
    }
    if (h->level == W_SOL_IPV6 && h->type == W_IPV6_PKTINFO && dlen >= 20) {
        struct in6_pktinfo pi;
        memcpy(&pi, d, sizeof(pi));
        return l_put(out, room, used, IPPROTO_IPV6, IPV6_PKTINFO, &pi,
                     sizeof(pi));
    }
    return -EINVAL;
}

int ws2__lx_cmsg_out(const void *win, size_t wlen, void *out, size_t room,
                     size_t *used)
{
    const unsigned char *p = win;
    size_t off = 0;
    *used = 0;
    /* Objects follow each other as WSA_CMSG_NXTHDR walks them; bytes too
     * few for another header end the walk. */
    while (wlen - off >= sizeof(struct w_cmsg)) {
        struct w_cmsg h;
        memcpy(&h, p + off, sizeof(h));
        if (h.len < sizeof(h) || h.len > wlen - off)
            return -EINVAL;
        int r = w_obj_out(&h, p + off + sizeof(h), h.len - sizeof(h), out,
                          room, used);
        if (r)
            return r;
        size_t step = W_CMSG_ALIGN((size_t)h.len);
        if (step >= wlen - off)
            break;
        off += step;
    }
    return 0;
}

/* process_vm_readv/writev take at most IOV_MAX iovecs per call. */
ssize_t ws2__lx_gather(void *dst, size_t len, const struct iovec *src,
                       size_t n)
{
    size_t done = 0;
    while (n > 0) {
        size_t k = n > 1024 ? 1024 : n;
        struct iovec local = {(char *)dst + done, len - done};
        ssize_t r = process_vm_readv(getpid(), &local, 1, src, k, 0);
        if (r < 0)
            return -errno;
        done += (size_t)r;
        src += k;
        n -= k;
    }
    return (ssize_t)done;
}

ssize_t ws2__lx_scatter(const struct iovec *dst, size_t n, const void *src,
                        size_t len)
{
    size_t done = 0;
    while (n > 0 && done < len) {
        size_t k = n > 1024 ? 1024 : n;
        struct iovec local = {(char *)src + done, len - done};
        ssize_t r = process_vm_writev(getpid(), &local, 1, dst, k, 0);
        if (r < 0)
            return -errno;
        done += (size_t)r;
        dst += k;
        n -= k;
    }
    return (ssize_t)done;
}

int ws2__lx_sockname(int fd, void *wsa, int *wlen, int peer)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int r = peer ? getpeername(fd, (struct sockaddr *)&ss, &len)
                 : getsockname(fd, (struct sockaddr *)&ss, &len);
    if (r < 0)
        return -errno;
    from_linux(&ss, len, wsa, wlen);
    return 0;
}

int ws2__lx_set_nonblock(int fd, int on)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return -errno;
    fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
    return fcntl(fd, F_SETFL, fl) < 0 ? -errno : 0;
}

int ws2__lx_inq(int fd, int *out)
{
    return ioctl(fd, FIONREAD, out) < 0 ? -errno : 0;
}

int ws2__lx_atmark(int fd, int *out)
{
    return ioctl(fd, SIOCATMARK, out) < 0 ? -errno : 0;
}

int ws2__lx_so_error(int fd)
{
    int v = 0;
    socklen_t len = sizeof(v);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &len) < 0)
        return -errno;
    return v;
}

/* ---- socket options ---- */

struct optrow {
    int wlevel, wopt, llevel, lopt;
};
/* Options whose value is an int (or BOOL) on both sides. Options with other
 * shapes (SO_LINGER, timeouts, buffer sizes, SO_ERROR, protocol info) are
 * handled by the provider with the helpers below. */
static const struct optrow opts[] = {
    {0xffff, 0x0001, SOL_SOCKET, SO_DEBUG},
    {0xffff, 0x0002, SOL_SOCKET, SO_ACCEPTCONN},
    {0xffff, 0x0004, SOL_SOCKET, SO_REUSEADDR},
    {0xffff, 0x0008, SOL_SOCKET, SO_KEEPALIVE},
    {0xffff, 0x0010, SOL_SOCKET, SO_DONTROUTE},
    {0xffff, 0x0020, SOL_SOCKET, SO_BROADCAST},
    {0xffff, 0x0080, SOL_SOCKET, SO_LINGER},
    {0xffff, 0x0100, SOL_SOCKET, SO_OOBINLINE},
    {0xffff, 0x1001, SOL_SOCKET, SO_SNDBUF},
    {0xffff, 0x1002, SOL_SOCKET, SO_RCVBUF},
    {0xffff, 0x1003, SOL_SOCKET, SO_SNDLOWAT},
    {0xffff, 0x1004, SOL_SOCKET, SO_RCVLOWAT},
    {0xffff, 0x1005, SOL_SOCKET, SO_SNDTIMEO},
    {0xffff, 0x1006, SOL_SOCKET, SO_RCVTIMEO},
    {0xffff, 0x1007, SOL_SOCKET, SO_ERROR},
    {0xffff, 0x1008, SOL_SOCKET, SO_TYPE},
    {6, 0x0001, IPPROTO_TCP, TCP_NODELAY},
    {0, 3, IPPROTO_IP, IP_TOS},
    {0, 4, IPPROTO_IP, IP_TTL},
    {0, 10, IPPROTO_IP, IP_MULTICAST_TTL},
    {0, 11, IPPROTO_IP, IP_MULTICAST_LOOP},
    {0, 9, IPPROTO_IP, IP_MULTICAST_IF},
    {0, 12, IPPROTO_IP, IP_ADD_MEMBERSHIP},
    {0, 13, IPPROTO_IP, IP_DROP_MEMBERSHIP},
    {0, 19, IPPROTO_IP, IP_PKTINFO},
    {0, 21, IPPROTO_IP, IP_RECVTTL},
    {0, 40, IPPROTO_IP, IP_RECVTOS},
    {41, 4, IPPROTO_IPV6, IPV6_UNICAST_HOPS},
    {41, 9, IPPROTO_IPV6, IPV6_MULTICAST_IF},
    {41, 10, IPPROTO_IPV6, IPV6_MULTICAST_HOPS},
    {41, 11, IPPROTO_IPV6, IPV6_MULTICAST_LOOP},
    {41, 12, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP},
    {41, 13, IPPROTO_IPV6, IPV6_DROP_MEMBERSHIP},
    {41, 14, IPPROTO_IPV6, IPV6_DONTFRAG},
    {41, 19, IPPROTO_IPV6, IPV6_RECVPKTINFO},
    {41, 21, IPPROTO_IPV6, IPV6_RECVHOPLIMIT},
    {41, 27, IPPROTO_IPV6, IPV6_V6ONLY},
    {41, 40, IPPROTO_IPV6, IPV6_RECVTCLASS},
};

int ws2__lx_opt(int wlevel, int wopt, int *llevel, int *lopt)
{
    int known_level = 0;
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
        if (opts[i].wlevel != wlevel)
            continue;
        known_level = 1;
        if (opts[i].wopt == wopt) {
            *llevel = opts[i].llevel;
            *lopt = opts[i].lopt;
            return 0;
        }
    }
    /* UDP-level options exist on Windows but none is mapped yet. */
    if (!known_level && wlevel != 17)
        return -EINVAL;
    return -ENOPROTOOPT;
}

int ws2__lx_setopt_int(int fd, int llevel, int lopt, int val)
{
    return setsockopt(fd, llevel, lopt, &val, sizeof(val)) < 0 ? -errno : 0;
}

int ws2__lx_getopt_int(int fd, int llevel, int lopt, int *val)
{
    socklen_t len = sizeof(*val);
    *val = 0;
    return getsockopt(fd, llevel, lopt, val, &len) < 0 ? -errno : 0;
}

int ws2__lx_setopt_raw(int fd, int llevel, int lopt, const void *val,
                       int len)
{
    return setsockopt(fd, llevel, lopt, val, (socklen_t)len) < 0 ? -errno
                                                                   : 0;
}

int ws2__lx_getopt_raw(int fd, int llevel, int lopt, void *val, int *len)
{
    socklen_t l = (socklen_t)*len;
    if (getsockopt(fd, llevel, lopt, val, &l) < 0)
        return -errno;
    *len = (int)l;
    return 0;
}

int ws2__lx_set_dontfrag(int fd, int v6, int on)
{
    int v = on ? IP_PMTUDISC_DO : IP_PMTUDISC_DONT;
    return setsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP,
                      v6 ? IPV6_MTU_DISCOVER : IP_MTU_DISCOVER, &v,
                      sizeof(v)) < 0
               ? -errno
               : 0;
}

int ws2__lx_get_dontfrag(int fd, int v6, int *on)
{
    int v = 0;
    socklen_t l = sizeof(v);
    if (getsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP,
                   v6 ? IPV6_MTU_DISCOVER : IP_MTU_DISCOVER, &v, &l) < 0)
        return -errno;
    /* TCP sets DF on every segment under "want" (path-MTU discovery), which
     * is what Windows' TCP default of 1 means; UDP fragments instead. */
    int type = 0;
    socklen_t tl = sizeof(type);
    if (v == IP_PMTUDISC_WANT &&
        getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 &&
        type == SOCK_STREAM)
        v = IP_PMTUDISC_DO;
    *on = v == IP_PMTUDISC_DO;
    return 0;
}

int ws2__lx_set_linger(int fd, int onoff, int secs)
{
    struct linger l = {onoff, secs};
    return setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)) < 0 ? -errno
                                                                      : 0;
}

int ws2__lx_get_linger(int fd, int *onoff, int *secs)
{
    struct linger l;
    socklen_t len = sizeof(l);
    if (getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len) < 0)
        return -errno;
    *onoff = l.l_onoff;
    *secs = l.l_linger;
    return 0;
}

/* Milliseconds to the whole seconds Linux takes, rounded up, within what
 * it accepts (1..32767, MAX_TCP_KEEPIDLE). */
static int keepalive_secs(uint32_t ms)
{
    uint32_t s = ms / 1000 + (ms % 1000 != 0);
    return s < 1 ? 1 : s > 32767 ? 32767 : (int)s;
}

int ws2__lx_set_keepalive(int fd, int on, uint32_t idle_ms,
                          uint32_t interval_ms)
{
    int v = on != 0;
    if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof(v)) < 0)
        return -errno;
    if (!on)
        return 0;
    int idle = keepalive_secs(idle_ms), intvl = keepalive_secs(interval_ms);
    int cnt = 10; /* Windows' fixed number of probes since Vista */
    if (setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) < 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)) <
            0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)) < 0)
        return -errno;
    return 0;
}

int ws2__lx_get_keepalive(int fd, int *on, int *idle_s, int *interval_s,
                          int *count)
{
    socklen_t len = sizeof(int);
    if (getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, on, &len) < 0 ||
        getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, idle_s, &len) < 0 ||
        getsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, interval_s, &len) < 0 ||
        getsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, count, &len) < 0)
        return -errno;
    return 0;
}

int ws2__lx_set_timeo(int fd, int which, uint32_t ms)
{
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
    return setsockopt(fd, SOL_SOCKET, which ? SO_SNDTIMEO : SO_RCVTIMEO, &tv,
                      sizeof(tv)) < 0
               ? -errno
               : 0;
}

/* ---- flags ---- */

/* Windows MSG_OOB 0x1, MSG_DONTROUTE 0x4, MSG_PARTIAL 0x8000 (a message
 * continued by the next send: Linux MSG_MORE). */
int ws2__lx_send_flags(uint32_t wflags, int *lflags)
{
    int l = MSG_NOSIGNAL;
    if (wflags & 0x1)
        l |= MSG_OOB;
    if (wflags & 0x4)
        l |= MSG_DONTROUTE;
    if (wflags & 0x8000)
        l |= MSG_MORE;
    *lflags = l;
    return (wflags & ~(uint32_t)(0x1 | 0x4 | 0x8000)) ? -EOPNOTSUPP : 0;
}

/* Windows MSG_OOB 0x1, MSG_PEEK 0x2, MSG_WAITALL 0x8 (Linux 0x100: the
 * Linux value 0x8 is MSG_CTRUNC), MSG_PUSH_IMMEDIATE 0x20 (a hint: stream
 * data is delivered as it comes anyway) and MSG_PARTIAL (an output flag,
 * ignored on input). */
int ws2__lx_recv_flags(uint32_t wflags, int *lflags)
{
    int l = 0;
    if (wflags & 0x1)
        l |= MSG_OOB;
    if (wflags & 0x2)
        l |= MSG_PEEK;
    if (wflags & 0x8)
        l |= MSG_WAITALL;
    *lflags = l;
    return (wflags & ~(uint32_t)(0x1 | 0x2 | 0x8 | 0x20 | 0x8000))
               ? -EOPNOTSUPP
               : 0;
}

const int ws2__lx_MSG_TRUNC = MSG_TRUNC, ws2__lx_MSG_CTRUNC = MSG_CTRUNC,
          ws2__lx_MSG_OOB = MSG_OOB, ws2__lx_MSG_PEEK = MSG_PEEK,
          ws2__lx_MSG_DONTWAIT = MSG_DONTWAIT,
          ws2__lx_MSG_ERRQUEUE = MSG_ERRQUEUE;

/* ---- poll ---- */

const short ws2__lx_POLLIN = POLLIN, ws2__lx_POLLPRI = POLLPRI,
            ws2__lx_POLLOUT = POLLOUT, ws2__lx_POLLERR = POLLERR,
            ws2__lx_POLLHUP = POLLHUP, ws2__lx_POLLNVAL = POLLNVAL,
            ws2__lx_POLLRDHUP = POLLRDHUP;

_Static_assert(sizeof(struct ws2__lx_pollfd) == sizeof(struct pollfd),
               "pollfd layout");

int ws2__lx_poll(struct ws2__lx_pollfd *p, unsigned n, int64_t timeout_us)
{
    struct timespec ts, *tp = NULL;
    if (timeout_us >= 0) {
        ts.tv_sec = (time_t)(timeout_us / 1000000);
        ts.tv_nsec = (long)(timeout_us % 1000000) * 1000;
        tp = &ts;
    }
    int r = ppoll((struct pollfd *)p, n, tp, NULL);
    return r < 0 ? -errno : r;
}

/* ---- epoll, for the WSAEventSelect watcher ---- */

_Static_assert(EPOLLIN == POLLIN && EPOLLPRI == POLLPRI &&
                   EPOLLOUT == POLLOUT && EPOLLERR == POLLERR &&
                   EPOLLHUP == POLLHUP && EPOLLRDHUP == POLLRDHUP,
               "epoll and poll bits agree");

int ws2__lx_epoll_create(void)
{
    int fd = epoll_create1(EPOLL_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int ws2__lx_epoll_ctl(int epfd, int op, int fd, short events, void *ptr)
{
    static const int ops[] = {EPOLL_CTL_ADD, EPOLL_CTL_MOD, EPOLL_CTL_DEL};
    struct epoll_event ev = {.events = (uint16_t)events, .data.ptr = ptr};
    if (ptr) /* the wake-up descriptor (ptr NULL) stays armed */
        ev.events |= EPOLLONESHOT;
    return epoll_ctl(epfd, ops[op], fd, &ev) < 0 ? -errno : 0;
}

int ws2__lx_epoll_wait(int epfd, void **ptrs, unsigned max, int timeout_ms)
{
    struct epoll_event ev[64];
    if (max > 64)
        max = 64;
    int n = epoll_wait(epfd, ev, (int)max, timeout_ms);
    if (n < 0)
        return -errno;
    for (int i = 0; i < n; i++)
        ptrs[i] = ev[i].data.ptr;
    return n;
}

int ws2__lx_wakefd(void)
{
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    return fd < 0 ? -errno : fd;
}

void ws2__lx_wakefd_signal(int fd)
{
    uint64_t one = 1;
    if (write(fd, &one, sizeof(one)) < 0)
        (void)0; /* full (never in practice): it is readable anyway */
}

void ws2__lx_wakefd_drain(int fd)
{
    uint64_t v;
    if (read(fd, &v, sizeof(v)) < 0)
        (void)0; /* nothing to drain */
}
