/*
 * lx.h - the Linux side of the base provider. lx.c and lxif.c are the
 * only files of the provider that include Linux socket headers; everything
 * here speaks plain C types. Addresses are in Windows layout (Windows family numbers), flags
 * and options are translated by tables in lx.c. Functions return >= 0 or
 * -errno.
 */
#ifndef WS2__LX_H
#define WS2__LX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

/* What an errno means depends a little on the operation (see lx.c). */
enum ws2__op {
    WS2__OP_ANY,
    WS2__OP_SEND,
    WS2__OP_RECV,
    WS2__OP_CONNECT,
    WS2__OP_ACCEPT,
    WS2__OP_BIND,
    WS2__OP_SOCKET,
};
/* The one errno -> WSAE* table. err is a positive errno. */
int ws2__wsa_error(int err, enum ws2__op op);

/* The longest Linux address the provider makes (sockaddr_in6). */
#define WS2__LX_ADDR_MAX 28
/* A Windows address as Linux bytes (out has room for WS2__LX_ADDR_MAX),
 * and back (truncated to *wlen, which becomes the full length). */
int ws2__lx_addr_in(const void *wsa, int wlen, void *out, unsigned *outlen);
void ws2__lx_addr_out(const void *laddr, unsigned llen, void *wsa, int *wlen);

/* ---- lxif.c: the interface queries ---- */
/* Windows' interface flags (ws2tcpip.h IFF_*; up means up and running),
 * and an IPv6 address's state other than preferred (tentative, failed
 * duplicate address detection, deprecated). */
enum {
    WS2__IF_UP = 1,
    WS2__IF_BROADCAST = 2,
    WS2__IF_LOOPBACK = 4,
    WS2__IF_P2P = 8,
    WS2__IF_MULTICAST = 16,
    WS2__IF_NOT_PREFERRED = 0x100,
};
/* A local address in Windows layout (len bytes of addr); mask and, on a
 * point-to-point link, the peer's address too (zero bytes otherwise). */
struct ws2__lx_ifaddr {
    unsigned flags;
    int len;
    unsigned char addr[WS2__LX_ADDR_MAX];
    unsigned char mask[WS2__LX_ADDR_MAX];
    unsigned char peer[WS2__LX_ADDR_MAX];
};
/* The addresses of a Windows family in getifaddrs' order: their count,
 * *out an array to free(), or -errno. */
int ws2__lx_ifaddrs(int waf, struct ws2__lx_ifaddr **out);
/* The local address (port 0) that datagrams to wto would leave from,
 * written truncated to *wlen, which becomes the full length. */
int ws2__lx_route_source(const void *wto, int wtolen, void *wlocal,
                         int *wlen);

int ws2__lx_socket(int waf, int type, int protocol);
int ws2__lx_close(int fd);
/* Linux's SO_REUSEADDR, which the provider drives itself (see bind). */
int ws2__lx_set_reuse(int fd, int on);
/* Windows sockaddr <-> Linux sockaddr. -EAFNOSUPPORT for a family other
 * than AF_INET/AF_INET6, -EFAULT when wlen is too short for the family. */
int ws2__lx_bind(int fd, const void *wsa, int wlen);
int ws2__lx_connect(int fd, const void *wsa, int wlen);
int ws2__lx_disconnect(int fd);
int ws2__lx_listen(int fd, int backlog);
/* New fd; the peer address is written truncated to *wlen, and *wlen is set
 * to the full length (wsa may be NULL). */
int ws2__lx_accept(int fd, void *wsa, int *wlen);
int ws2__lx_shutdown(int fd, int how);
/* Makes fd refer to nfd's connection (the old one is closed) and closes
 * nfd: AcceptEx's socket takes the accepted connection, its fd number
 * unchanged, in one atomic step for any call racing with it. */
int ws2__lx_adopt(int fd, int nfd, int nonblock);
/* laddr: a Linux address from ws2__lx_addr_in (llen 0: none). */
ssize_t ws2__lx_sendmsg(int fd, const struct iovec *iov, size_t n,
                        const void *laddr, unsigned llen, int lflags);
/* One buffer to a Windows address (translated here): the usual datagram
 * send in one system call with nothing to build. */
ssize_t ws2__lx_sendto(int fd, const void *buf, size_t len, const void *wto,
                       int wtolen, int lflags);
/* *lmsgflags gets the Linux msg_flags. */
ssize_t ws2__lx_recvmsg(int fd, const struct iovec *iov, size_t n,
                        void *wfrom, int *wfromlen, int lflags,
                        int *lmsgflags);
/* The same with ancillary data, already in Linux layout (see below): a
 * send's ctl bytes; for a receive *ctllen is the room in ctl going in and
 * the bytes received coming out. */
ssize_t ws2__lx_sendmsg_ctl(int fd, const struct iovec *iov, size_t n,
                            const void *laddr, unsigned llen, int lflags,
                            const void *ctl, size_t ctllen);
ssize_t ws2__lx_recvmsg_ctl(int fd, const struct iovec *iov, size_t n,
                            void *wfrom, int *wfromlen, int lflags,
                            int *lmsgflags, void *ctl, size_t *ctllen);

/* Ancillary data between Windows' layout (WSACMSGHDR, Windows levels and
 * types, IN_PKTINFO) and Linux's. Datagram sockets always receive packet
 * information from Linux (ws2__lx_socket); it goes out to the application
 * only for the families in want. */
enum { WS2__CM_PKTINFO4 = 1, WS2__CM_PKTINFO6 = 2 };
/* What the receive found: the datagram or the control data was truncated,
 * it came to a broadcast or a multicast address. */
enum { WS2__CM_TRUNC = 1, WS2__CM_CTRUNC = 2, WS2__CM_BCAST = 4,
       WS2__CM_MCAST = 8 };
/* Received Linux control data (lctl, llen, with the receive's msg_flags
 * lmsgflags) into Windows layout at out (room bytes, any alignment);
 * *used gets the bytes written. Returns WS2__CM_* bits. */
int ws2__lx_cmsg_in(const void *lctl, size_t llen, int lmsgflags, int want,
                    void *out, size_t room, size_t *used);
/* A send's Windows control data into Linux layout at out (room bytes,
 * 8-aligned): 0, -EINVAL (malformed, or of a type with no Linux meaning)
 * or -ENOBUFS (more than room). */
int ws2__lx_cmsg_out(const void *win, size_t wlen, void *out, size_t room,
                     size_t *used);

/* Drains one entry of the error queue (IP_RECVERR); returns its errno or
 * 0 when the queue is empty. */
int ws2__lx_errqueue(int fd);
/* Copies between iovecs and one buffer through the kernel, so that a bad
 * user pointer gives -EFAULT instead of a crash (process_vm_readv on
 * ourselves). Returns the bytes copied. */
ssize_t ws2__lx_gather(void *dst, size_t len, const struct iovec *src,
                       size_t n);
ssize_t ws2__lx_scatter(const struct iovec *dst, size_t n, const void *src,
                        size_t len);
int ws2__lx_sockname(int fd, void *wsa, int *wlen, int peer);
int ws2__lx_set_nonblock(int fd, int on);
/* FIONREAD (bytes readable) and SIOCATMARK. */
int ws2__lx_inq(int fd, int *out);
int ws2__lx_atmark(int fd, int *out);
int ws2__lx_so_error(int fd); /* SO_ERROR as a positive errno, or -errno */

/* Socket options: translate (wlevel, wopt) to Linux; int-valued options
 * are read and written as int. */
int ws2__lx_opt(int wlevel, int wopt, int *llevel, int *lopt);
int ws2__lx_setopt_int(int fd, int llevel, int lopt, int val);
int ws2__lx_getopt_int(int fd, int llevel, int lopt, int *val);
/* Options whose value has the same bytes on both sides (ip_mreq, ...). */
int ws2__lx_setopt_raw(int fd, int llevel, int lopt, const void *val,
                       int len);
int ws2__lx_getopt_raw(int fd, int llevel, int lopt, void *val, int *len);
/* IP_DONTFRAGMENT / IPV6_DONTFRAG as path-MTU discovery on Linux. */
int ws2__lx_set_dontfrag(int fd, int v6, int on);
int ws2__lx_get_dontfrag(int fd, int v6, int *on);
int ws2__lx_set_linger(int fd, int onoff, int secs);
int ws2__lx_get_linger(int fd, int *onoff, int *secs);
/* SIO_KEEPALIVE_VALS: SO_KEEPALIVE, and when on the idle time and interval
 * (milliseconds, rounded up to Linux's seconds) and Windows' 10 probes. */
int ws2__lx_set_keepalive(int fd, int on, uint32_t idle_ms,
                          uint32_t interval_ms);
int ws2__lx_get_keepalive(int fd, int *on, int *idle_s, int *interval_s,
                          int *count);
/* which: 0 receive, 1 send; ms 0 = never time out. */
int ws2__lx_set_timeo(int fd, int which, uint32_t ms);

/* Flags: Windows MSG_* to Linux; -EOPNOTSUPP for bits with no meaning. */
int ws2__lx_send_flags(uint32_t wflags, int *lflags);
int ws2__lx_recv_flags(uint32_t wflags, int *lflags);
/* Linux constants the Windows side needs by value. */
extern const int ws2__lx_MSG_TRUNC, ws2__lx_MSG_CTRUNC, ws2__lx_MSG_OOB,
    ws2__lx_MSG_PEEK, ws2__lx_MSG_DONTWAIT, ws2__lx_MSG_ERRQUEUE;

/* poll() over Linux fds; events in Linux POLL* bits (below). timeout_ms < 0
 * waits for ever. */
struct ws2__lx_pollfd {
    int fd;
    short events;
    short revents;
};
int ws2__lx_poll(struct ws2__lx_pollfd *p, unsigned n, int64_t timeout_us);
extern const short ws2__lx_POLLIN, ws2__lx_POLLPRI, ws2__lx_POLLOUT,
    ws2__lx_POLLERR, ws2__lx_POLLHUP, ws2__lx_POLLNVAL, ws2__lx_POLLRDHUP;

/* The WSAEventSelect watcher's epoll instance (evselect.c). Events are in
 * the POLL* bits above; every registration is one-shot (re-armed with
 * ws2__lx_epoll_ctl's op 1). op: 0 add, 1 modify, 2 delete. */
int ws2__lx_epoll_create(void);
int ws2__lx_epoll_ctl(int epfd, int op, int fd, short events, void *ptr);
/* Up to max ready registrations' ptrs; timeout_ms < 0 waits for ever. */
int ws2__lx_epoll_wait(int epfd, void **ptrs, unsigned max, int timeout_ms);
/* A wake-up descriptor (eventfd): signal makes it readable, drain empties. */
int ws2__lx_wakefd(void);
void ws2__lx_wakefd_signal(int fd);
void ws2__lx_wakefd_drain(int fd);

#endif
