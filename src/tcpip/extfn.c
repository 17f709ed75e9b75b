/*
 * extfn.c - the Microsoft extension functions of the base provider, handed
 * out by WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER): AcceptEx,
 * GetAcceptExSockaddrs, ConnectEx and DisconnectEx, with
 * SO_UPDATE_ACCEPT_CONTEXT and SO_UPDATE_CONNECT_CONTEXT.
 *
 * Both calls always go pending (FALSE, ERROR_IO_PENDING), which Windows
 * allows at any time, and complete through the same path as WSARecv:
 * lpOverlapped, its event, or the socket's completion port.
 *
 * AcceptEx is an accept request in the listening socket's receive queue;
 * the accepted fd is then dup3'd over the accept socket's own fd, so the
 * SOCKET the application made names the connection without any of its
 * state moving (its fd number stays; a call racing with the swap sees the
 * old or the new connection, never a closed fd). With dwReceiveDataLength
 * > 0 a receive on the accept socket follows, and the request completes
 * with its bytes. ConnectEx is a connect request in the socket's send
 * queue, followed by a send of lpSendBuffer when there is one.
 *
 * The output buffer of AcceptEx: the first data at offset 0, then a block
 * of dwLocalAddressLength bytes and one of dwRemoteAddressLength bytes,
 * each an int (the address length) followed by the address; that is what
 * GetAcceptExSockaddrs reads.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "mswsock.h"
#include "tcpip/oreq.h"

struct ext {
    struct ext *next, **prev; /* AcceptEx in its accept phase: waiting */
    LPOVERLAPPED ov;
    SOCKET ls;
    int phase;                /* 0: accept/connect, 1: the data */
    struct ws2__slot *aslot;  /* AcceptEx: the accept socket */
    struct ws2__tsock *ask;
    char *buf;                /* AcceptEx output / ConnectEx send buffer */
    DWORD len, llen, rlen;    /* data length, address block lengths */
};

static int addr_len(int af)
{
    return af == AF_INET6 ? (int)sizeof(SOCKADDR_IN6)
                          : (int)sizeof(SOCKADDR_IN);
}

/* Has a local address (Linux binds nothing before bind/connect). */
/* The extension functions report through the thread's last error, as
 * Windows' mswsock does. */
static BOOL fail(int err)
{
    WSASetLastError(err);
    return FALSE;
}

/* A request on s (its socket is then oreq_sk(o)). */
static struct oreq *ext_new(SOCKET s, int dir, int *err)
{
    struct oreq *o = calloc(1, sizeof(*o));
    struct ext *x = calloc(1, sizeof(*x));
    struct ws2__slot *slot = ws2__handle_ref(s);
    if (!o || !x || !slot) {
        free(o);
        free(x);
        if (slot)
            ws2__handle_unref(slot);
        *err = slot ? WSAENOBUFS : WSAENOTSOCK;
        return NULL;
    }
    o->slot = slot;
    o->recv = dir;
    o->ext = x;
    o->r.iov = o->r.iov_inline;
    return o;
}

/* The data step of a request, on sk's queue. A closesocket racing with
 * it cancels sk's queues after setting closing: if that came before the
 * request was queued, the request is cancelled here. o may be finished
 * (and freed) as soon as it is queued, so only its lpOverlapped, kept
 * aside, names it afterwards. */
static void submit_data(struct ws2__tsock *sk, int dir, struct oreq *o,
                        void (*finish)(struct oreq *, DWORD, DWORD))
{
    /* The second phase: the request becomes a stream transfer of the
     * caller's x->len bytes at x->buf. */
    struct ext *x = o->ext;
    struct ws2__req *r = &o->r;
    x->phase = 1;
    r->kind = WS2__REQ_DATA;
    r->stream = 1;
    r->lflags = 0;
    r->sent = 0;
    r->addrlen = 0;
    r->iov = r->iov_inline;
    r->iov[0].iov_base = x->buf;
    r->iov[0].iov_len = x->len;
    r->niov = 1;
    LPWSAOVERLAPPED ov = o->ov;
    /* The request's own reference may go with it: hold one. */
    struct ws2__slot *keep = ws2__handle_ref_any(sk->handle);
    if (ws2__engine_submit(&sk->es, dir, &o->r) != 0)
        finish(o, WSAENOBUFS, 0);
    else if (atomic_load(&sk->closing))
        ws2__tcpip_cancel(sk, ov, NULL);
    if (keep)
        ws2__handle_unref(keep);
}

/* ---- AcceptEx ---- */

/* AcceptEx requests still waiting for a connection, so that closing the
 * accept socket (whose own queues hold nothing yet) can abort them. */
static struct ext *waiting;
static pthread_mutex_t waiting_lock = PTHREAD_MUTEX_INITIALIZER;

static void waiting_add(struct ext *x)
{
    pthread_mutex_lock(&waiting_lock);
    x->next = waiting;
    x->prev = &waiting;
    if (waiting)
        waiting->prev = &x->next;
    waiting = x;
    pthread_mutex_unlock(&waiting_lock);
}

static void waiting_del(struct ext *x)
{
    pthread_mutex_lock(&waiting_lock);
    if (x->prev) {
        *x->prev = x->next;
        if (x->next)
            x->next->prev = x->prev;
        x->prev = NULL;
        x->next = NULL;
    }
    pthread_mutex_unlock(&waiting_lock);
}

void ws2__tcpip_ext_close(struct ws2__tsock *sk)
{
    if (!atomic_load(&sk->ext_busy))
        return;
    SOCKET ls = INVALID_SOCKET;
    LPOVERLAPPED ov = NULL;
    pthread_mutex_lock(&waiting_lock);
    for (struct ext *x = waiting; x; x = x->next)
        if (x->ask == sk) {
            ls = x->ls;
            ov = x->ov;
            break;
        }
    pthread_mutex_unlock(&waiting_lock);
    struct ws2__slot *lslot;
    int err;
    struct ws2__tsock *lsk = ls == INVALID_SOCKET
                                 ? NULL
                                 : ws2__tcpip_get(ls, &lslot, &err);
    if (!lsk)
        return; /* finished meanwhile, or the listener is closed too */
    /* The request's lpOverlapped names it while it is pending. */
    ws2__tcpip_cancel(lsk, ov, NULL);
    ws2__tcpip_put(lslot);
}

static void accept_finish(struct oreq *o, DWORD err, DWORD bytes)
{
    struct ext *x = o->ext;
    waiting_del(x);
    atomic_store(&x->ask->ext_busy, 0);
    ws2__handle_unref(x->aslot);
    o->ext = NULL;
    free(x);
    ws2__oreq_deliver(o, err, bytes, 0);
}

/* One address block: its length, then the address (truncated to the
 * block, which the length checks make room for). */
static void put_addr(char *block, DWORD room, const SOCKADDR_STORAGE *ss,
                     int len)
{
    if (room == 0) /* no block asked for */
        return;
    int n = (int)room - (int)sizeof(int) < len ? (int)room - (int)sizeof(int)
                                               : len;
    memcpy(block, &len, sizeof(int));
    memcpy(block + sizeof(int), ss, (size_t)n);
}

static void accept_done(struct ws2__req *r, int lerr, size_t bytes,
                        int msg_flags)
{
    (void)msg_flags;
    struct oreq *o = (struct oreq *)r;
    struct ext *x = o->ext;
    struct ws2__tsock *ask = x->ask;
    int closing = atomic_load(&oreq_sk(o)->closing) || atomic_load(&ask->closing);
    if (r->kind == WS2__REQ_READY) {
        /* A connection is queued, and stays queued for another accept:
         * the address blocks cannot hold its addresses. */
        if (lerr < 0)
            accept_finish(o, lerr == -ECANCELED || closing
                                 ? WSA_OPERATION_ABORTED
                                 : (DWORD)ws2__wsa_error(-lerr,
                                                         WS2__OP_ACCEPT),
                          0);
        else
            accept_finish(o, closing ? WSA_OPERATION_ABORTED
                                     : STATUS_BUFFER_TOO_SMALL,
                          0);
        return;
    }
    if (x->phase == 1) {
        DWORD err = 0;
        if (lerr < 0)
            err = lerr == -ECANCELED || closing
                      ? WSA_OPERATION_ABORTED
                      : (DWORD)ws2__wsa_error(-lerr, WS2__OP_RECV);
        accept_finish(o, err, err ? 0 : (DWORD)bytes);
        return;
    }
    if (lerr < 0) {
        accept_finish(o, lerr == -ECANCELED || closing
                             ? WSA_OPERATION_ABORTED
                             : (DWORD)ws2__wsa_error(-lerr, WS2__OP_ACCEPT),
                      0);
        return;
    }
    int nfd = (int)bytes;
    if (closing) {
        ws2__lx_close(nfd);
        accept_finish(o, WSA_OPERATION_ABORTED, 0);
        return;
    }
    int e = ws2__lx_adopt(ask->fd, nfd, atomic_load(&ask->nonblocking));
    if (e) {
        accept_finish(o, (DWORD)ws2__wsa_error(-e, WS2__OP_ACCEPT), 0);
        return;
    }
    ws2__esock_refd(&ask->es);
    atomic_store(&ask->connected, 1);
    atomic_store(&ask->bound, 1);
    SOCKADDR_STORAGE ss;
    int len = sizeof(ss);
    if (ws2__lx_sockname(ask->fd, &ss, &len, 0) != 0)
        len = 0;
    put_addr(x->buf + x->len, x->llen, &ss, len);
    len = sizeof(ss);
    ws2__lx_addr_out(r->addr, r->addrlen, &ss, &len);
    put_addr(x->buf + x->len + x->llen, x->rlen, &ss, len);
    waiting_del(x);
    if (x->len == 0) {
        accept_finish(o, 0, 0);
        return;
    }
    /* AcceptEx also waits for the first data (Microsoft's AcceptEx page). */
    submit_data(ask, WS2__DIR_RECV, o, accept_finish);
}

/* The order and the codes are those of Wine's test_AcceptEx (dlls/ws2_32/
 * tests/sock.c, 2025), run on Windows: a listener not listening and a
 * datagram, bound or connected accept socket are WSAEINVAL; a NULL buffer
 * WSAEFAULT; a NULL lpOverlapped ERROR_INVALID_PARAMETER, before the
 * address lengths; a remote block of 0 bytes WSAEFAULT. A local block of 0
 * bytes is accepted (no local address is returned). */
static int accept_check(struct ws2__tsock *lsk, struct ws2__tsock *ask,
                        PVOID buf, DWORD rdlen, DWORD llen, DWORD rlen,
                        LPOVERLAPPED ov)
{
    if (lsk->type != SOCK_STREAM || !atomic_load(&lsk->listening))
        return WSAEINVAL;
    if (ask->type != SOCK_STREAM)
        return WSAEINVAL;
    if (!buf || ws2__bad_ptr(buf))
        return WSAEFAULT;
    if (!ov)
        return ERROR_INVALID_PARAMETER;
    if (ws2__bad_ptr(ov))
        return WSAEFAULT;
    if (rlen == 0)
        return WSAEFAULT;
    /* A block shorter than the maximum address + 16 pends all the same
     * (see short_blocks). */
    if ((uint64_t)rdlen + llen + rlen > 0x7fffffff)
        return WSAEINVAL;
    /* The accept socket must be unused: not bound, connected, listening,
     * nor already waiting in another AcceptEx; and of the same family. */
    if (ask->af != lsk->af || ask == lsk || atomic_load(&ask->listening) ||
        atomic_load(&ask->connected) || atomic_load(&ask->connecting) ||
        ws2__tcpip_bound(ask))
        return WSAEINVAL;
    return 0;
}

/* Microsoft's AcceptEx page: each address block is at least 16 bytes more
 * than the transport's maximum address length. Windows lets a shorter
 * non-empty block pend, and fails the request with STATUS_BUFFER_TOO_SMALL
 * (ERROR_INSUFFICIENT_BUFFER) when a connection arrives, leaving that
 * connection queued for the next accept (Wine's test_AcceptEx, run on
 * Windows). Such a request waits for readiness only. */
static int short_blocks(const struct ws2__tsock *lsk, DWORD llen, DWORD rlen)
{
    DWORD need = (DWORD)addr_len(lsk->af) + 16;
    return (llen != 0 && llen < need) || rlen < need;
}

static BOOL PASCAL ext_AcceptEx(SOCKET ls, SOCKET as, PVOID buf, DWORD rdlen,
                                DWORD llen, DWORD rlen, LPDWORD received,
                                LPOVERLAPPED ov)
{
    (void)received; /* set only when the call completes at once: never */
    struct ws2__slot *lslot, *aslot;
    int err;
    /* Windows marks the request pending before it checks anything: even a
     * refused call leaves STATUS_PENDING in Internal (Wine's
     * test_AcceptEx, run on Windows). */
    if (ov && !ws2__bad_ptr(ov))
        ov->Internal = STATUS_PENDING;
    struct ws2__tsock *lsk = ws2__tcpip_get(ls, &lslot, &err);
    if (!lsk)
        return fail(WSAENOTSOCK);
    struct ws2__tsock *ask = ws2__tcpip_get(as, &aslot, &err);
    if (!ask) {
        ws2__tcpip_put(lslot);
        return fail(WSAENOTSOCK);
    }
    err = accept_check(lsk, ask, buf, rdlen, llen, rlen, ov);
    if (!err && atomic_exchange(&ask->ext_busy, 1))
        err = WSAEINVAL;
    if (!err && ws2__engine_start())
        err = WSAENOBUFS;
    struct oreq *o = NULL;
    if (!err && !(o = ext_new(ls, WS2__DIR_RECV, &err)))
        atomic_store(&ask->ext_busy, 0);
    int ready_only = short_blocks(lsk, llen, rlen);
    ws2__tcpip_put(lslot);
    if (err) {
        ws2__tcpip_put(aslot);
        return fail(err);
    }
    struct ext *x = o->ext;
    x->aslot = aslot; /* the reference moves into the request */
    x->ask = ask;
    x->buf = buf;
    x->len = rdlen;
    x->llen = llen;
    x->rlen = rlen;
    x->ov = ov;
    x->ls = ls;
    o->r.kind = ready_only ? WS2__REQ_READY : WS2__REQ_ACCEPT;
    o->r.done = accept_done;
    waiting_add(x);
    if (ws2__oreq_start(o, ov, &err) == SOCKET_ERROR &&
        err != WSA_IO_PENDING) {
        waiting_del(x);
        free(x);
        atomic_store(&ask->ext_busy, 0);
        ws2__tcpip_put(aslot);
    }
    return fail(err);
}

static VOID PASCAL ext_GetAcceptExSockaddrs(PVOID buf, DWORD rdlen,
                                            DWORD llen, DWORD rlen,
                                            struct sockaddr **local,
                                            LPINT local_len,
                                            struct sockaddr **remote,
                                            LPINT remote_len)
{
    (void)rlen;
    if (ws2__bad_ptr(buf))
        return;
    char *p = (char *)buf + rdlen;
    /* No local block: the local outputs are left alone, as on Windows. */
    if (llen != 0 && !ws2__bad_ptr(local_len))
        memcpy(local_len, p, sizeof(int));
    if (llen != 0 && !ws2__bad_ptr(local))
        *local = (struct sockaddr *)(void *)(p + sizeof(int));
    p += llen;
    if (!ws2__bad_ptr(remote_len))
        memcpy(remote_len, p, sizeof(int));
    if (!ws2__bad_ptr(remote))
        *remote = (struct sockaddr *)(void *)(p + sizeof(int));
}

/* ---- ConnectEx ---- */

static void connect_finish(struct oreq *o, DWORD err, DWORD bytes)
{
    atomic_store(&oreq_sk(o)->ext_busy, 0);
    free(o->ext);
    o->ext = NULL;
    ws2__oreq_deliver(o, err, bytes, 0);
}

static void connect_done(struct ws2__req *r, int lerr, size_t bytes,
                         int msg_flags)
{
    (void)msg_flags;
    struct oreq *o = (struct oreq *)r;
    struct ext *x = o->ext;
    struct ws2__tsock *sk = oreq_sk(o);
    DWORD err = 0;
    if (lerr < 0) {
        if (lerr == -ECANCELED || atomic_load(&sk->closing))
            err = WSA_OPERATION_ABORTED;
        else if (x->phase == 1 && lerr == -EPIPE)
            err = WSAECONNRESET;
        else
            err = (DWORD)ws2__wsa_error(-lerr, x->phase ? WS2__OP_SEND
                                                        : WS2__OP_CONNECT);
        if (x->phase == 0)
            atomic_store(&sk->conn_err, (int)err);
        connect_finish(o, err, 0);
        return;
    }
    if (x->phase == 1) {
        connect_finish(o, 0, (DWORD)bytes);
        return;
    }
    atomic_store(&sk->connected, 1);
    atomic_store(&sk->bound, 1);
    atomic_store(&sk->conn_err, 0);
    if (x->len == 0) {
        connect_finish(o, 0, 0);
        return;
    }
    /* The connection is up: lpSendBuffer goes next, and the request
     * completes with the bytes sent (Microsoft's ConnectEx page). */
    submit_data(sk, WS2__DIR_SEND, o, connect_finish);
}

static int connect_check(struct ws2__tsock *sk, const struct sockaddr *name,
                         int namelen, PVOID sendbuf, DWORD sendlen,
                         LPOVERLAPPED ov)
{
    if (!ov)
        return ERROR_INVALID_PARAMETER;
    if (ws2__bad_ptr(ov) || ws2__bad_ptr(name) ||
        namelen < (int)sizeof(name->sa_family) ||
        (sendlen && ws2__bad_ptr(sendbuf)))
        return WSAEFAULT;
    if (sk->type != SOCK_STREAM)
        return WSAEOPNOTSUPP;
    if (name->sa_family != sk->af)
        return WSAEAFNOSUPPORT;
    if (namelen < addr_len(sk->af))
        return WSAEFAULT;
    /* Microsoft's ConnectEx page: "WSAEINVAL: The parameter s is an
     * unbound or a listening socket." */
    if (atomic_load(&sk->listening))
        return WSAEINVAL;
    if (atomic_load(&sk->connected))
        return WSAEISCONN;
    if (atomic_load(&sk->connecting))
        return WSAEALREADY;
    if (!ws2__tcpip_bound(sk))
        return WSAEINVAL;
    return 0;
}

static BOOL PASCAL ext_ConnectEx(SOCKET s, const struct sockaddr *name,
                                 int namelen, PVOID sendbuf, DWORD sendlen,
                                 LPDWORD sent, LPOVERLAPPED ov)
{
    (void)sent; /* set only when the call completes at once: never */
    struct ws2__slot *slot;
    int err;
    /* As AcceptEx: Internal is STATUS_PENDING even after a refusal, and
     * InternalHigh is left alone (Wine's test_connect, run on Windows). */
    if (ov && !ws2__bad_ptr(ov))
        ov->Internal = STATUS_PENDING;
    struct ws2__tsock *sk = ws2__tcpip_get(s, &slot, &err);
    if (!sk)
        return fail(WSAENOTSOCK);
    err = connect_check(sk, name, namelen, sendbuf, sendlen, ov);
    if (!err && atomic_exchange(&sk->ext_busy, 1))
        err = WSAEALREADY;
    if (!err && ws2__engine_start())
        err = WSAENOBUFS;
    struct oreq *o = NULL;
    if (!err && !(o = ext_new(s, WS2__DIR_SEND, &err)))
        atomic_store(&sk->ext_busy, 0);
    if (!err && ws2__lx_addr_in(name, namelen, o->r.addr, &o->r.addrlen)) {
        free(o->ext);
        ws2__oreq_free(o);
        atomic_store(&sk->ext_busy, 0);
        err = WSAEFAULT;
    }
    if (err) {
        ws2__tcpip_put(slot);
        return fail(err);
    }
    struct ext *x = o->ext;
    x->buf = sendbuf;
    x->len = sendlen;
    o->r.kind = WS2__REQ_CONNECT;
    o->r.done = connect_done;
    if (ws2__oreq_start(o, ov, &err) == SOCKET_ERROR &&
        err != WSA_IO_PENDING) {
        free(x);
        atomic_store(&sk->ext_busy, 0);
    }
    ws2__tcpip_put(slot);
    return fail(err);
}

/* ---- DisconnectEx ---- */

/* A graceful close of the sending side, done inside the call (Linux sends
 * the FIN at once); with TF_REUSE_SOCKET the socket then gets a fresh,
 * unbound descriptor in place (dup3), so that AcceptEx or ConnectEx can
 * use it again, as on Windows. */
int ws2__tcpip_disconnect(struct ws2__tsock *sk, DWORD flags)
{
    int r = ws2__lx_shutdown(sk->fd, SD_SEND);
    if (r && r != -ENOTCONN)
        return ws2__wsa_error(-r, WS2__OP_ANY);
    atomic_store(&sk->shut_send, 1);
    if (!(flags & TF_REUSE_SOCKET))
        return 0;
    /* What was still pending on the connection ends now. */
    ws2__tcpip_cancel(sk, NULL, NULL);
    int nfd = ws2__lx_socket(sk->af, sk->type, sk->protocol);
    if (nfd < 0)
        return ws2__wsa_error(-nfd, WS2__OP_SOCKET);
    ws2__lx_set_reuse(sk->fd, 1); /* its TIME_WAIT may be bound over */
    r = ws2__lx_adopt(sk->fd, nfd, atomic_load(&sk->nonblocking));
    if (r)
        return ws2__wsa_error(-r, WS2__OP_ANY);
    ws2__esock_refd(&sk->es);
    atomic_store(&sk->connected, 0);
    atomic_store(&sk->bound, 0);
    atomic_store(&sk->connecting, 0);
    atomic_store(&sk->conn_err, 0);
    atomic_store(&sk->shut_send, 0);
    atomic_store(&sk->shut_recv, 0);
    return 0;
}

static BOOL PASCAL ext_DisconnectEx(SOCKET s, LPOVERLAPPED ov, DWORD flags,
                                    DWORD reserved)
{
    struct ws2__slot *slot;
    int err;
    struct ws2__tsock *sk = ws2__tcpip_get(s, &slot, &err);
    if (!sk)
        return fail(WSAENOTSOCK);
    /* Microsoft's DisconnectEx page: dwReserved must be 0 and the only
     * flag is TF_REUSE_SOCKET (WSAEINVAL otherwise); the socket must be
     * connected (WSAENOTCONN). */
    if (reserved || (flags & ~(DWORD)TF_REUSE_SOCKET))
        err = WSAEINVAL;
    else if (ov && ws2__bad_ptr(ov))
        err = WSAEFAULT;
    else if (sk->type != SOCK_STREAM)
        err = WSAEOPNOTSUPP;
    else if (!atomic_load(&sk->connected) || atomic_load(&sk->ext_busy))
        err = WSAENOTCONN;
    else
        err = ws2__tcpip_disconnect(sk, flags);
    ws2__tcpip_put(slot);
    if (err)
        return fail(err);
    if (ov)
        ws2__tcpip_complete_now(s, ov, NULL, NULL, 0, 0, 0);
    WSASetLastError(0);
    return TRUE;
}

/* ---- the pointer request and the context options ---- */

static const struct {
    GUID id;
    void (*fn)(void);
} ext_table[] = {
    {WSAID_ACCEPTEX, (void (*)(void))ext_AcceptEx},
    {WSAID_GETACCEPTEXSOCKADDRS, (void (*)(void))ext_GetAcceptExSockaddrs},
    {WSAID_CONNECTEX, (void (*)(void))ext_ConnectEx},
    {WSAID_DISCONNECTEX, (void (*)(void))ext_DisconnectEx},
    {WSAID_TRANSMITFILE, (void (*)(void))ws2__tcpip_TransmitFile},
    {WSAID_WSASENDMSG, (void (*)(void))ws2__msg_WSASendMsg}, /* msg.c */
    {WSAID_WSARECVMSG, (void (*)(void))ws2__msg_WSARecvMsg},
};

int ws2__tcpip_extfn(SOCKET s, LPVOID in, DWORD inlen, LPVOID out,
                     DWORD outlen, LPDWORD ret, LPINT lpErrno)
{
    struct ws2__slot *slot;
    if (!ws2__tcpip_get(s, &slot, lpErrno))
        return SOCKET_ERROR;
    ws2__tcpip_put(slot);
    /* Microsoft's SIO_GET_EXTENSION_FUNCTION_POINTER: the GUID in, a
     * pointer out; a GUID the provider does not know is WSAEINVAL. */
    if (ws2__bad_ptr(in) || inlen < sizeof(GUID) || ws2__bad_ptr(ret))
        return ws2__tcpip_fail(lpErrno, WSAEFAULT);
    GUID id;
    memcpy(&id, in, sizeof(id));
    for (size_t i = 0; i < sizeof(ext_table) / sizeof(ext_table[0]); i++) {
        if (memcmp(&id, &ext_table[i].id, sizeof(id)) != 0)
            continue;
        if (ws2__bad_ptr(out) || outlen < sizeof(void *))
            return ws2__tcpip_fail(lpErrno, WSAEFAULT);
        memcpy(out, &ext_table[i].fn, sizeof(void *));
        *ret = sizeof(void *);
        return 0;
    }
    *ret = 0;
    return ws2__tcpip_fail(lpErrno, WSAEINVAL);
}

/* SO_UPDATE_ACCEPT_CONTEXT (the listening SOCKET as the value) gives an
 * AcceptEx socket the listening socket's properties; SO_UPDATE_CONNECT_
 * CONTEXT (no value) marks a ConnectEx socket fully connected. Linux's
 * accepted socket already carries the listener's kernel options; what is
 * copied here is the Windows-level state kept beside them. */
int ws2__tcpip_update_context(SOCKET s, int optname, const char *optval,
                              int optlen, LPINT lpErrno)
{
    struct ws2__slot *slot, *lslot;
    struct ws2__tsock *sk = ws2__tcpip_get(s, &slot, lpErrno);
    if (!sk)
        return SOCKET_ERROR;
    int err = 0;
    if (optname == SO_UPDATE_CONNECT_CONTEXT) {
        if (!atomic_load(&sk->connected))
            err = WSAENOTCONN;
    } else if (ws2__bad_ptr(optval) || optlen < (int)sizeof(SOCKET)) {
        err = WSAEFAULT;
    } else {
        SOCKET ls;
        memcpy(&ls, optval, sizeof(ls));
        struct ws2__tsock *lsk = ws2__tcpip_get(ls, &lslot, &err);
        if (lsk) {
            if (!atomic_load(&lsk->listening))
                err = WSAEINVAL;
            else if (!atomic_load(&sk->connected))
                err = WSAENOTCONN;
            else {
                atomic_store(&sk->sndbuf, atomic_load(&lsk->sndbuf));
                atomic_store(&sk->rcvbuf, atomic_load(&lsk->rcvbuf));
                atomic_store(&sk->sndtimeo, atomic_load(&lsk->sndtimeo));
                atomic_store(&sk->rcvtimeo, atomic_load(&lsk->rcvtimeo));
                atomic_store(&sk->reuseaddr, atomic_load(&lsk->reuseaddr));
                atomic_store(&sk->exclusiveaddruse,
                             atomic_load(&lsk->exclusiveaddruse));
            }
            ws2__tcpip_put(lslot);
        }
    }
    ws2__tcpip_put(slot);
    return err ? ws2__tcpip_fail(lpErrno, err) : 0;
}
