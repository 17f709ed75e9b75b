/*
 * socket.c - the base provider's socket life cycle: WSPSocket, WSPBind,
 * WSPConnect, WSPListen, WSPAccept, WSPShutdown, WSPCloseSocket and the
 * name queries, with Windows' rules where Linux differs.
 */
#include <errno.h>
#include <string.h>

#include "tcpip/tcpip.h"

static int addr_len(int af)
{
    return af == AF_INET6 ? (int)sizeof(SOCKADDR_IN6) : (int)sizeof(SOCKADDR_IN);
}

/* The address is all zeros (ADDR_ANY / in6addr_any). */
static int addr_is_any(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return ((const SOCKADDR_IN *)sa)->sin_addr.s_addr == 0;
    const IN6_ADDR *a = &((const SOCKADDR_IN6 *)sa)->sin6_addr;
    for (int i = 0; i < 16; i++)
        if (a->u.Byte[i])
            return 0;
    return 1;
}

static u_short addr_port(const struct sockaddr *sa)
{
    return sa->sa_family == AF_INET ? ((const SOCKADDR_IN *)sa)->sin_port
                                    : ((const SOCKADDR_IN6 *)sa)->sin6_port;
}

SOCKET WSPAPI ws2__WSPSocket(int af, int type, int protocol,
                             LPWSAPROTOCOL_INFOW info, GROUP g, DWORD flags,
                             LPINT lpErrno)
{
    (void)g;
    /* The socket remembers the entry it was made from (SO_PROTOCOL_INFO),
     * which stays valid whatever later happens to the catalog. */
    const struct ws2__entry *e =
        info ? ws2__catalog_find(info->dwCatalogEntryId) : NULL;
    if (!e || info->iAddressFamily != af || info->iSocketType != type ||
        info->iProtocol != protocol) {
        *lpErrno = WSAEINVAL;
        return INVALID_SOCKET;
    }
    int fd = ws2__lx_socket(af, type, protocol);
    if (fd < 0) {
        *lpErrno = ws2__wsa_error(-fd, WS2__OP_SOCKET);
        return INVALID_SOCKET;
    }
    return ws2__tcpip_wrap(fd, af, type, protocol, flags, e, lpErrno);
}

/* Binds with Windows' address-sharing rules. Linux's SO_REUSEADDR stays off
 * on a live socket unless the application set Windows' SO_REUSEADDR, so a
 * second plain bind to a bound address fails as on Windows. Windows does
 * let a socket bind over connections in TIME_WAIT: a closing stream turns
 * Linux's SO_REUSEADDR on (ws2__tcpip_release, shutdown), its TIME_WAIT entry
 * inherits it, and a plain bind that collides retries once with it on,
 * which Linux allows only against such entries and sockets that share. */
static int bind_shared(struct ws2__tsock *sk, const struct sockaddr *name,
                       int namelen)
{
    int reuse = atomic_load(&sk->reuseaddr);
    ws2__lx_set_reuse(sk->fd, reuse);
    int r = ws2__lx_bind(sk->fd, name, namelen);
    if (r == -EADDRINUSE && !reuse && sk->type == SOCK_STREAM) {
        /* Left on when it succeeds: listen checks the port again. */
        ws2__lx_set_reuse(sk->fd, 1);
        r = ws2__lx_bind(sk->fd, name, namelen);
        if (r)
            ws2__lx_set_reuse(sk->fd, 0);
    }
    /* Wine's test_reuseaddr (run on Windows): SO_REUSEADDR against a socket
     * that does not share is WSAEACCES. */
    if (r == -EADDRINUSE && reuse)
        return WSAEACCES;
    return r ? ws2__wsa_error(-r, WS2__OP_BIND) : 0;
}

/* Windows' bind fails a short address, or one of the socket's other family,
 * with WSAEFAULT, and a family it does not know with WSAEAFNOSUPPORT. */
int WSPAPI ws2__WSPBind(SOCKET s, const struct sockaddr *name, int namelen,
                        LPINT lpErrno)
{
    struct ws2__slot *slot;
    struct ws2__tsock *sk = ws2__tcpip_get(s, &slot, lpErrno);
    if (!sk)
        return SOCKET_ERROR;
    int err = 0;
    if (ws2__bad_ptr(name) || namelen < (int)sizeof(name->sa_family))
        err = WSAEFAULT;
    else if (name->sa_family != AF_INET && name->sa_family != AF_INET6)
        err = WSAEAFNOSUPPORT;
    else if (namelen < addr_len(sk->af) || name->sa_family != sk->af)
        err = WSAEFAULT;
    else
        err = bind_shared(sk, name, namelen);
    if (!err)
        atomic_store(&sk->bound, 1);
    ws2__tcpip_put(slot);
    return err ? ws2__tcpip_fail(lpErrno, err) : 0;
}

static int connect_dgram(struct ws2__tsock *sk, const struct sockaddr *name,
                         int namelen)
{
    /* An all-zero or AF_UNSPEC address dissolves the association. */
    if (name->sa_family == AF_UNSPEC || addr_is_any(name)) {
        int r = ws2__lx_disconnect(sk->fd);
        return r ? ws2__wsa_error(-r, WS2__OP_CONNECT) : 0;
    }
    int r = ws2__lx_connect(sk->fd, name, namelen);
    return r ? ws2__wsa_error(-r, WS2__OP_CONNECT) : 0;
}

/* Waits for a connection under way to succeed (0) or fail (-errno). */
static int wait_connected(struct ws2__tsock *sk)
{
    for (;;) {
        if (atomic_load(&sk->closing))
            return -EINTR;
        struct ws2__lx_pollfd p = {sk->fd, ws2__lx_POLLOUT, 0};
        int r = ws2__lx_poll(&p, 1, -1);
        if (atomic_load(&sk->closing))
            return -EINTR; /* woken by closesocket's shutdown */
        if (r < 0 && r != -EINTR)
            return r;
        if (r > 0) {
            int e = ws2__lx_so_error(sk->fd);
            return e < 0 ? e : -e;
        }
    }
}

static int connect_stream(struct ws2__tsock *sk, const struct sockaddr *name,
                          int namelen)
{
    if (atomic_load(&sk->listening))
        return WSAEINVAL;
    if (addr_is_any(name) || addr_port(name) == 0)
        return WSAEADDRNOTAVAIL;
    int nb = atomic_load(&sk->nonblocking);
    if (!nb)
        ws2__tcpip_block_begin(sk);
    int r = atomic_load(&sk->closing) ? -EINTR
                                      : ws2__lx_connect(sk->fd, name, namelen);
    /* Linux ends a blocking connect early on SO_SNDTIMEO (EINPROGRESS) or a
     * signal (EINTR) while the handshake goes on; Windows waits for the
     * outcome. */
    if (!nb && (r == -EINPROGRESS || r == -EINTR))
        r = wait_connected(sk);
    if (!nb)
        ws2__tcpip_block_end(sk);
    if (r == 0) {
        atomic_store(&sk->connected, 1);
        atomic_store(&sk->bound, 1);
        /* Linux's second connect reports the completed non-blocking
         * connect as a success; Windows says WSAEISCONN. */
        return atomic_exchange(&sk->connecting, 0) ? WSAEISCONN : 0;
    }
    if (atomic_load(&sk->closing))
        return WSAEINTR;
    if (r == -EINPROGRESS) {
        atomic_store(&sk->connecting, 1);
        atomic_store(&sk->conn_err, 0);
        ws2__evs_connecting(sk);
    }
    return ws2__wsa_error(-r, WS2__OP_CONNECT);
}

int WSPAPI ws2__WSPConnect(SOCKET s, const struct sockaddr *name, int namelen,
                           LPWSABUF caller, LPWSABUF callee, LPQOS sqos,
                           LPQOS gqos, LPINT lpErrno)
{
    (void)sqos, (void)gqos;
    struct ws2__slot *slot;
    struct ws2__tsock *sk = ws2__tcpip_get(s, &slot, lpErrno);
    if (!sk)
        return SOCKET_ERROR;
    int err;
    if (ws2__bad_ptr(name) || namelen < (int)sizeof(name->sa_family))
        err = WSAEFAULT;
    else if ((caller && caller->len) || (callee && callee->len))
        err = WSAEOPNOTSUPP; /* TCP/IP carries no connect data */
    else if (sk->type == SOCK_DGRAM && name->sa_family == AF_UNSPEC)
        err = connect_dgram(sk, name, namelen);
    else if (name->sa_family != sk->af)
        err = WSAEAFNOSUPPORT;
    else if (namelen < addr_len(sk->af))
        err = WSAEFAULT;
    else if (sk->type == SOCK_DGRAM)
        err = connect_dgram(sk, name, namelen);
    else
        err = connect_stream(sk, name, namelen);
    ws2__tcpip_put(slot);
    return err ? ws2__tcpip_fail(lpErrno, err) : 0;
}

/* Windows refuses to listen on an unbound socket (Linux would bind it) and
 * on a connected one; SOMAXCONN means "the maximum", SOMAXCONN_HINT(n) is
 * n clamped to 200..65535. */
int WSPAPI ws2__WSPListen(SOCKET s, int backlog, LPINT lpErrno)
{
    struct ws2__slot *slot;
    struct ws2__tsock *sk = ws2__tcpip_get(s, &slot, lpErrno);
    if (!sk)
        return SOCKET_ERROR;
    int err = 0;
    SOCKADDR_STORAGE ss;
    int len = sizeof(ss);
    if (sk->type != SOCK_STREAM) {
        err = WSAEOPNOTSUPP;
    } else if (ws2__lx_sockname(sk->fd, &ss, &len, 1) == 0) {
        err = WSAEISCONN;
    } else if (atomic_load(&sk->connecting)) {
        err = WSAEINVAL;
    } else if (len = sizeof(ss), ws2__lx_sockname(sk->fd, &ss, &len, 0) ||
                                     addr_port((struct sockaddr *)&ss) == 0) {
        err = WSAEINVAL;
    } else {
        if (backlog == SOMAXCONN)
            backlog = 4096;
        else if (backlog < 0)
            backlog = -backlog < 200 ? 200 : -backlog > 65535 ? 65535 : -backlog;
        int r = ws2__lx_listen(sk->fd, backlog);
        if (r)
            err = ws2__wsa_error(-r, WS2__OP_ANY);
        else
            atomic_store(&sk->listening, 1);
        if (!r)
            ws2__evs_reenable(sk, 0); /* FD_ACCEPT can be recorded now */
    }
    ws2__tcpip_put(slot);
    return err ? ws2__tcpip_fail(lpErrno, err) : 0;
}

static SOCKET accept_fail(struct ws2__slot *slot, LPINT lpErrno, int err)
{
    ws2__tcpip_put(slot);
    *lpErrno = err;
    return INVALID_SOCKET;
}

/* The condition function of WSAAccept sees the caller's and our address;
 * CF_REJECT closes the new connection. */
static int check_condition(SOCKET ns, struct ws2__tsock *sk,
                           SOCKADDR_STORAGE *peer, int peerlen,
                           LPCONDITIONPROC cond, DWORD_PTR data)
{
    SOCKADDR_STORAGE self;
    int selflen = sizeof(self);
    ws2__lx_sockname(sk->fd, &self, &selflen, 0);
    WSABUF caller = {(ULONG)peerlen, (CHAR *)peer};
    WSABUF callee = {(ULONG)selflen, (CHAR *)&self};
    GROUP g = 0;
    int r = cond(&caller, NULL, NULL, NULL, &callee, NULL, &g, data);
    (void)ns;
    if (r == CF_ACCEPT)
        return 0;
    return r == CF_REJECT ? WSAECONNREFUSED : WSAEINVAL;
}

SOCKET WSPAPI ws2__WSPAccept(SOCKET s, struct sockaddr *addr, LPINT addrlen,
                             LPCONDITIONPROC cond, DWORD_PTR data,
                             LPINT lpErrno)
{
    struct ws2__slot *slot;
    struct ws2__tsock *sk = ws2__tcpip_get(s, &slot, lpErrno);
    if (!sk)
        return INVALID_SOCKET;
    if (sk->type != SOCK_STREAM)
        return accept_fail(slot, lpErrno, WSAEOPNOTSUPP);
    if (!atomic_load(&sk->listening))
        return accept_fail(slot, lpErrno, WSAEINVAL);
    if (addr && (ws2__bad_ptr(addr) || ws2__bad_ptr(addrlen) ||
                 *addrlen < addr_len(sk->af)))
        return accept_fail(slot, lpErrno, WSAEFAULT);
    if (!addr && addrlen && ws2__bad_ptr(addrlen))
        return accept_fail(slot, lpErrno, WSAEFAULT);

    SOCKADDR_STORAGE peer;
    int peerlen = sizeof(peer);
    int nb = atomic_load(&sk->nonblocking);
    if (!nb)
        ws2__tcpip_block_begin(sk);
    int fd;
    /* Windows' accept ignores SO_RCVTIMEO, and signals do not end it. */
    do {
        fd = atomic_load(&sk->closing) ? -EINTR
                                       : ws2__lx_accept(sk->fd, &peer, &peerlen);
    } while (!nb && (fd == -EAGAIN || fd == -EINTR) &&
             !atomic_load(&sk->closing));
    if (!nb)
        ws2__tcpip_block_end(sk);
    ws2__evs_reenable(sk, FD_ACCEPT); /* even when accept failed */
    if (fd < 0)
        return accept_fail(slot, lpErrno,
                           atomic_load(&sk->closing)
                               ? WSAEINTR
                               : ws2__wsa_error(-fd, WS2__OP_ACCEPT));
    SOCKET ns = ws2__tcpip_wrap(fd, sk->af, sk->type, sk->protocol, sk->flags,
                                sk->entry, lpErrno);
    if (ns == INVALID_SOCKET)
        return accept_fail(slot, lpErrno, *lpErrno);
    int err = cond ? check_condition(ns, sk, &peer, peerlen, cond, data) : 0;
    if (!err) {
        struct ws2__slot *nslot;
        struct ws2__tsock *nsk = ws2__tcpip_get(ns, &nslot, lpErrno);
        if (nsk) {
            atomic_store(&nsk->connected, 1);
            atomic_store(&nsk->bound, 1);
            /* The accepted socket has the listening socket's properties. */
            if (nb) {
                atomic_store(&nsk->nonblocking, 1);
                ws2__lx_set_nonblock(nsk->fd, 1);
            }
            ws2__evs_inherit(sk, nsk);
            ws2__tcpip_put(nslot);
        }
    }
    if (err) {
        int e2;
        ws2__WSPCloseSocket(ns, &e2);
        return accept_fail(slot, lpErrno, err);
    }
    if (addr) {
        memcpy(addr, &peer, (size_t)(*addrlen < peerlen ? *addrlen : peerlen));
        *addrlen = peerlen;
    }
    ws2__tcpip_put(slot);
    return ns;
}

/* Windows allows shutting down an unconnected datagram socket; later sends
 * then fail with WSAESHUTDOWN. A listening socket is not connected (Linux
 * would stop it listening). */
int WSPAPI ws2__WSPShutdown(SOCKET s, int how, LPINT lpErrno)
{
    struct ws2__slot *slot;
    struct ws2__tsock *sk = ws2__tcpip_get(s, &slot, lpErrno);
    if (!sk)
        return SOCKET_ERROR;
    int err = 0;
    if (how < SD_RECEIVE || how > SD_BOTH) {
        err = WSAEINVAL;
    } else if (atomic_load(&sk->listening)) {
        err = WSAENOTCONN;
    } else {
        int r = ws2__lx_shutdown(sk->fd, how);
        if (r && !(r == -ENOTCONN && sk->type == SOCK_DGRAM))
            err = ws2__wsa_error(-r, WS2__OP_ANY);
    }
    if (!err && how != SD_RECEIVE && sk->type == SOCK_STREAM)
        ws2__lx_set_reuse(sk->fd, 1); /* its TIME_WAIT may be bound over */
    if (!err) {
        if (how != SD_SEND)
            atomic_store(&sk->shut_recv, 1);
        if (how != SD_RECEIVE)
            atomic_store(&sk->shut_send, 1);
    }
    ws2__tcpip_put(slot);
    return err ? ws2__tcpip_fail(lpErrno, err) : 0;
}

/* The handle dies at once; the Linux fd is closed when the last call still
 * inside the socket has returned. Calls blocked in the kernel are woken by
 * a shutdown, and return WSAEINTR. */
int WSPAPI ws2__WSPCloseSocket(SOCKET s, LPINT lpErrno)
{
    struct ws2__slot *slot;
    struct ws2__tsock *sk = ws2__tcpip_get(s, &slot, lpErrno);
    if (!sk)
        return SOCKET_ERROR;
    atomic_store(&sk->closing, 1);
    if (atomic_load(&sk->blocked) > 0)
        ws2__lx_shutdown(sk->fd, SD_BOTH);
    /* Each overlapped request still out completes, once, with
     * WSA_OPERATION_ABORTED; the fd stays open until the last has. */
    ws2__tcpip_cancel(sk, NULL, NULL);
    ws2__tcpip_ext_close(sk); /* an AcceptEx waiting to fill it */
    int r = ws2__tcpip_upcalls.lpWPUCloseSocketHandle(s, lpErrno);
    ws2__tcpip_put(slot);
    return r;
}

static int name_query(SOCKET s, struct sockaddr *name, LPINT namelen,
                      LPINT lpErrno, int peer)
{
    struct ws2__slot *slot;
    struct ws2__tsock *sk = ws2__tcpip_get(s, &slot, lpErrno);
    if (!sk)
        return SOCKET_ERROR;
    int err = 0;
    SOCKADDR_STORAGE ss;
    int len = sizeof(ss);
    if (ws2__bad_ptr(name) || ws2__bad_ptr(namelen)) {
        err = WSAEFAULT;
    } else {
        int r = ws2__lx_sockname(sk->fd, &ss, &len, peer);
        if (r)
            err = ws2__wsa_error(-r, WS2__OP_ANY);
        else if (!peer && addr_port((struct sockaddr *)&ss) == 0)
            err = WSAEINVAL; /* not bound yet */
        else if (*namelen < len)
            err = WSAEFAULT;
    }
    if (!err) {
        memcpy(name, &ss, (size_t)len);
        *namelen = len;
    }
    ws2__tcpip_put(slot);
    return err ? ws2__tcpip_fail(lpErrno, err) : 0;
}

int WSPAPI ws2__WSPGetSockName(SOCKET s, struct sockaddr *name, LPINT namelen,
                               LPINT lpErrno)
{
    return name_query(s, name, namelen, lpErrno, 0);
}

int WSPAPI ws2__WSPGetPeerName(SOCKET s, struct sockaddr *name, LPINT namelen,
                               LPINT lpErrno)
{
    return name_query(s, name, namelen, lpErrno, 1);
}

/* Bound: by bind, or implicitly by a send, connect or listen. The kernel
 * is asked until the answer is yes, which is kept in sk->bound (a reused
 * socket, DisconnectEx's TF_REUSE_SOCKET, clears it with its new
 * descriptor). */
int ws2__tcpip_bound(struct ws2__tsock *sk)
{
    if (atomic_load_explicit(&sk->bound, memory_order_relaxed))
        return 1;
    SOCKADDR_STORAGE ss;
    int len = sizeof(ss);
    if (ws2__lx_sockname(sk->fd, &ss, &len, 0))
        return 0;
    u_short port = ss.ss_family == AF_INET6 ? ((SOCKADDR_IN6 *)&ss)->sin6_port
                                            : ((SOCKADDR_IN *)&ss)->sin_port;
    if (port)
        atomic_store(&sk->bound, 1);
    return port != 0;
}
