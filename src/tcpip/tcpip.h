/*
 * tcpip.h - the base TCP/UDP provider's socket object and shared helpers.
 * Files of the provider include this and ws2spi.h; the Linux side is lx.h.
 */
#ifndef WS2__TCPIP_H
#define WS2__TCPIP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "config.h"
#include "engine/engine.h"
#include "mswsock.h"
#include "spi/handle.h"
#include "spi/provider.h"
#include "tcpip/lx.h"
#include "ws2spi.h"

struct ws2__tsock;
/* WSAEventSelect state of one socket (evselect.c). mask is read without
 * the lock by the re-enabling hooks; the rest is under evselect.c's lock. */
struct ws2__evsel {
    _Atomic LONG mask;       /* selected FD_* events, 0: none */
    WSAEVENT event;
    LONG recorded;           /* recorded since the last enumeration */
    LONG enabled;            /* may be recorded (not yet, or re-enabled) */
    int err[FD_MAX_EVENTS];  /* iErrorCode of what is recorded */
    short quiet;             /* Linux bits that fired meaning nothing */
    unsigned char want_connect, in_epoll, watched, dead;
    struct ws2__tsock *next_dead; /* released, freed by the watcher */
    void (*fini)(struct ws2__tsock *);
};

struct ws2__tsock {
    int fd;
    int af, type, protocol; /* Windows values */
    DWORD flags;            /* WSA_FLAG_* given at creation */
    DWORD catalog_id;
    const struct ws2__entry *entry; /* made from; lives as long as the process */
    SOCKET handle;
    _Atomic int blocked;    /* threads inside a blocking system call */
    _Atomic int closing;    /* closesocket has been called */
    _Atomic int nonblocking;
    _Atomic int shut_send, shut_recv;
    _Atomic int connecting; /* non-blocking connect under way */
    _Atomic int listening;
    _Atomic int connected;  /* a stream that has been connected */
    _Atomic int bound;      /* known to have a local address */
    _Atomic int conn_err;   /* WSAE* of a failed connect, for SO_ERROR */
    _Atomic int udp_connreset; /* SIO_UDP_CONNRESET, on by default */
    _Atomic int pending_reset; /* a port-unreachable to report on receive */
    _Atomic int reuseaddr, exclusiveaddruse; /* the Windows-level values */
    _Atomic int sndbuf, rcvbuf; /* values set by the application, or -1 */
    _Atomic DWORD sndtimeo, rcvtimeo; /* milliseconds, 0 = none */
    _Atomic int ext_busy;   /* an AcceptEx/ConnectEx on it is under way */
    _Atomic int pktinfo;    /* IP_PKTINFO/IPV6_PKTINFO set: WS2__CM_PKTINFO* */
    struct ws2__esock es;   /* overlapped requests (engine) */
    struct ws2__evsel evs;  /* WSAEventSelect (evselect.c) */
};

/* The upcall table given at WSPStartup. */
extern WSPUPCALLTABLE ws2__tcpip_upcalls;

/* A counted reference to one of our sockets, or NULL with *err set to
 * WSAENOTSOCK. Release with ws2__tcpip_put. */
struct ws2__tsock *ws2__tcpip_get(SOCKET s, struct ws2__slot **slot,
                                  int *err);
static inline void ws2__tcpip_put(struct ws2__slot *slot)
{
    if (slot)
        ws2__handle_unref(slot);
}
/* The handle's release hook, which also marks a slot as ours. */
void ws2__tcpip_release(DWORD_PTR ctx);
/* Like ws2__tcpip_get, for use inside the call only: when the calling
 * thread's API call holds s, its reference is borrowed (*slot = NULL, no
 * atomic operation); otherwise one is taken. ws2__tcpip_put releases
 * either. Never for a reference that outlives the call (a request). */
static inline struct ws2__tsock *ws2__tcpip_use(SOCKET s,
                                                struct ws2__slot **slot,
                                                int *err)
{
    int owned;
    struct ws2__slot *sl = ws2__handle_borrow(s, &owned);
    if (sl && sl->release == ws2__tcpip_release) {
        *slot = owned ? sl : NULL;
        return (struct ws2__tsock *)sl->ctx;
    }
    if (sl && owned)
        ws2__handle_unref(sl);
    *err = WSAENOTSOCK;
    return NULL;
}
/* Wraps a new Linux fd in a socket object and a handle, made from the
 * catalog entry e. */
SOCKET ws2__tcpip_wrap(int fd, int af, int type, int protocol, DWORD flags,
                       const struct ws2__entry *e, int *err);
/* Fails a provider call: stores err in *lpErrno and returns SOCKET_ERROR. */
static inline int ws2__tcpip_fail(LPINT lpErrno, int err)
{
    *lpErrno = err;
    return SOCKET_ERROR;
}
/* True for a pointer that cannot be a valid user buffer (NULL, the first
 * 64 KiB that Windows never maps, or beyond the user address space). */
static inline int ws2__bad_ptr(const void *p)
{
    uintptr_t v = (uintptr_t)p;
    return v < 0x10000 || v >= ((uintptr_t)1 << 47);
}

/* Blocking system calls are bracketed so that closesocket can wake them. */
static inline void ws2__tcpip_block_begin(struct ws2__tsock *sk)
{
    atomic_fetch_add(&sk->blocked, 1); /* seq_cst, paired with closesocket */
}
static inline void ws2__tcpip_block_end(struct ws2__tsock *sk)
{
    atomic_fetch_sub(&sk->blocked, 1);
}

/* A caller's WSABUF array as iovecs (bufs.c). */
struct ws2__iovs {
    struct iovec *v;
    size_t n;
    uint64_t total;
    struct iovec stack[WS2__IOV_STACK];
};
/* 0, WSAEFAULT (a buffer pointer that cannot be valid) or WSAENOBUFS.
 * One non-empty buffer (the common case) is done inline. */
int ws2__iovs_build_any(struct ws2__iovs *io, const WSABUF *bufs,
                        DWORD count);
static inline int ws2__iovs_build(struct ws2__iovs *io, const WSABUF *bufs,
                                  DWORD count)
{
    if (count != 1 || bufs[0].len == 0 || ws2__bad_ptr(bufs[0].buf))
        return ws2__iovs_build_any(io, bufs, count);
    io->v = io->stack;
    io->stack[0].iov_base = bufs[0].buf;
    io->stack[0].iov_len = bufs[0].len;
    io->n = 1;
    io->total = bufs[0].len;
    return 0;
}
static inline void ws2__iovs_free(struct ws2__iovs *io)
{
    if (io->v != io->stack)
        free(io->v);
}
/* Records the port-unreachable errors Linux queued on a datagram socket. */
void ws2__tcpip_note_unreachable(struct ws2__tsock *sk);
/* An overlapped call: an overlapped socket and lpOverlapped or a routine
 * given. Otherwise the call has synchronous semantics. */
static inline int ws2__tcpip_overlapped(const struct ws2__tsock *sk,
                                        const void *ov, const void *cr)
{
    return (sk->flags & WSA_FLAG_OVERLAPPED) && (ov || cr);
}

/* The control data of WSASendMsg and WSARecvMsg (msg.c), carried beside
 * the data through the send and receive paths, in Linux layout: a send's
 * bytes (len of them), or room for a receive's (len bytes) and the WSAMSG
 * that the receive completes (ws2__msg_recv_done). NULL for the calls
 * without. */
struct ws2__ctl {
    void *buf;
    size_t len;
    LPWSAMSG msg;
};
/* send.c and recv.c: WSPSendTo and WSPRecvFrom with control data. */
int ws2__tcpip_send_msg(SOCKET s, LPWSABUF bufs, DWORD count, LPDWORD sent,
                        DWORD flags, const struct sockaddr *to, int tolen,
                        const struct ws2__ctl *ctl, LPWSAOVERLAPPED ov,
                        LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                        LPWSATHREADID tid, LPINT lpErrno);
int ws2__tcpip_recv_msg(SOCKET s, LPWSABUF bufs, DWORD count, LPDWORD got,
                        LPDWORD lpFlags, struct sockaddr *from,
                        LPINT fromlen, const struct ws2__ctl *ctl,
                        LPWSAOVERLAPPED ov,
                        LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                        LPWSATHREADID tid, LPINT lpErrno);
/* msg.c: a receive with control data is done (lctl, llen: what Linux
 * gave; lmsgflags its msg_flags): msg's Control and dwFlags are filled.
 * True when the message or its control data was truncated (WSAEMSGSIZE). */
int ws2__msg_recv_done(struct ws2__tsock *sk, LPWSAMSG msg, const void *lctl,
                       size_t llen, int lmsgflags);
/* msg.c: SIO_EXT_SENDMSG, WSASendMsg as ws2_32 hands it to a provider
 * (a WSASENDMSG in the input buffer). */
int ws2__msg_send_ioctl(SOCKET s, LPVOID in, DWORD inlen,
                        LPWSATHREADID tid, LPINT lpErrno);
/* msg.c: the extension functions WSAID_WSASENDMSG and WSAID_WSARECVMSG. */
INT PASCAL ws2__msg_WSASendMsg(SOCKET s, LPWSAMSG msg, DWORD flags,
                               LPDWORD sent, LPWSAOVERLAPPED ov,
                               LPWSAOVERLAPPED_COMPLETION_ROUTINE cr);
INT PASCAL ws2__msg_WSARecvMsg(SOCKET s, LPWSAMSG msg, LPDWORD got,
                               LPWSAOVERLAPPED ov,
                               LPWSAOVERLAPPED_COMPLETION_ROUTINE cr);

/* One send, checked and translated once (send.c) for the immediate
 * attempt and, overlapped, for the request. */
struct ws2__sendop {
    struct ws2__tsock *sk;
    struct ws2__iovs io;
    int lflags;
    int use_to;    /* WSPSendTo: a missing lpTo is "no destination" */
    unsigned tolen; /* 0: no destination */
    unsigned char to[WS2__LX_ADDR_MAX]; /* the destination, Linux form */
    const struct ws2__ctl *ctl; /* WSASendMsg's control data, or NULL */
};

/* socket.c: the socket has a local address (see there). */
int ws2__tcpip_bound(struct ws2__tsock *sk);

/* overlapped.c: the overlapped forms of the send and receive calls (the
 * caller keeps its reference and releases it afterwards). send_ov
 * consumes op->io. */
/* The WSA error of an immediate overlapped send that Linux refused (to:
 * the call gave a destination). */
int ws2__tcpip_send_now_error(const struct ws2__tsock *sk, ssize_t r,
                              int to);
/* An overlapped send may be tried at once: ov (and cr) are acceptable
 * and no earlier send of the socket is queued. */
/* Registers how the provider's routines release a dropped APC's context
 * (at start-up). */
void ws2__tcpip_apc_drops(void);
int ws2__tcpip_ov_immediate_ok(const struct ws2__tsock *sk,
                               LPWSAOVERLAPPED ov,
                               LPWSAOVERLAPPED_COMPLETION_ROUTINE cr);
int ws2__tcpip_send_ov(struct ws2__sendop *op, SOCKET s, LPDWORD sent,
                       LPWSAOVERLAPPED ov,
                       LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                       LPWSATHREADID tid, LPINT lpErrno);
int ws2__tcpip_recv_ov(struct ws2__tsock *sk, SOCKET s, const WSABUF *bufs,
                       DWORD count, LPDWORD got, LPDWORD lpFlags, int lflags,
                       struct sockaddr *from, LPINT fromlen,
                       const struct ws2__ctl *ctl, LPWSAOVERLAPPED ov,
                       LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                       LPWSATHREADID tid, LPINT lpErrno);
/* Completes a request that finished inside the call (FIONBIO etc.). */
void ws2__tcpip_complete_now(SOCKET s, LPWSAOVERLAPPED ov,
                             LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                             LPWSATHREADID tid, DWORD err, DWORD bytes,
                             DWORD flags);
BOOL WSPAPI ws2__WSPGetOverlappedResult(SOCKET s, LPWSAOVERLAPPED ov,
                                        LPDWORD bytes, BOOL wait,
                                        LPDWORD flags, LPINT lpErrno);
/* Cancels requests: all (ov NULL, thread NULL), one overlapped, or those a
 * thread started. Returns how many were found. */
int ws2__tcpip_cancel(struct ws2__tsock *sk, LPWSAOVERLAPPED ov,
                      HANDLE thread);

/* iflist.c: SIO_ADDRESS_LIST_QUERY, SIO_GET_INTERFACE_LIST,
 * SIO_ROUTING_INTERFACE_QUERY and SIO_GET_BROADCAST_ADDRESS. 0 or a WSAE* error; *ret is always set. */
int ws2__tcpip_addr_list(const struct ws2__tsock *sk, void *out,
                         DWORD outlen, LPDWORD ret);
int ws2__tcpip_interface_list(const struct ws2__tsock *sk, void *out,
                              DWORD outlen, LPDWORD ret);
int ws2__tcpip_route_query(const struct ws2__tsock *sk, const void *in,
                           DWORD inlen, void *out, DWORD outlen,
                           LPDWORD ret);
int ws2__tcpip_broadcast_address(const struct ws2__tsock *sk, void *out,
                                 DWORD outlen, LPDWORD ret);

/* evselect.c: WSAEventSelect's watcher. The hooks return at once for a
 * socket that has no selection. */
int WSPAPI ws2__WSPEventSelect(SOCKET, WSAEVENT, LONG, LPINT);
int WSPAPI ws2__WSPEnumNetworkEvents(SOCKET, WSAEVENT, LPWSANETWORKEVENTS,
                                     LPINT);
/* A re-enabling call was made (FD_READ/FD_OOB: a receive, FD_WRITE: a send
 * that failed with WSAEWOULDBLOCK, FD_ACCEPT: accept; 0 after connect or
 * listen changed the socket's state). */
void ws2__evs_reenable(struct ws2__tsock *sk, LONG events);
/* A non-blocking connect is under way: FD_CONNECT will be recorded. */
void ws2__evs_connecting(struct ws2__tsock *sk);
/* An accepted socket takes the listening socket's selection. */
void ws2__evs_inherit(struct ws2__tsock *listener, struct ws2__tsock *sk);
/* FIONBIO 0 is refused while events are selected. */
static inline int ws2__evs_selected(struct ws2__tsock *sk)
{
    return atomic_load(&sk->evs.mask) != 0;
}
/* The socket is being released: drops its registration, then runs
 * fini(sk) now, or on the watcher thread once it can no longer be named
 * by an event the watcher has taken. */
void ws2__evs_release(struct ws2__tsock *sk,
                      void (*fini)(struct ws2__tsock *));

/* extfn.c: SIO_GET_EXTENSION_FUNCTION_POINTER, and the
 * SO_UPDATE_ACCEPT_CONTEXT / SO_UPDATE_CONNECT_CONTEXT options. */
int ws2__tcpip_extfn(SOCKET s, LPVOID in, DWORD inlen, LPVOID out,
                     DWORD outlen, LPDWORD ret, LPINT lpErrno);
int ws2__tcpip_update_context(SOCKET s, int optname, const char *optval,
                              int optlen, LPINT lpErrno);
/* closesocket of sk aborts an AcceptEx that would give it a connection. */
void ws2__tcpip_ext_close(struct ws2__tsock *sk);
/* DisconnectEx's work, also TransmitFile's TF_DISCONNECT: shuts the
 * sending side; with TF_REUSE_SOCKET gives sk a fresh, unbound descriptor
 * in place. 0 or a WSA error. */
int ws2__tcpip_disconnect(struct ws2__tsock *sk, DWORD flags);
/* transmit.c: TransmitFile (WSAID_TRANSMITFILE). */
BOOL PASCAL ws2__tcpip_TransmitFile(SOCKET s, HANDLE hFile, DWORD count,
                                    DWORD per_send, LPOVERLAPPED ov,
                                    LPTRANSMIT_FILE_BUFFERS bufs,
                                    DWORD flags);

/* select.c, shared with evselect.c and sockopt.c: whether urgent data is
 * read inline (SO_OOBINLINE), and the settling of a finished non-blocking
 * connect (connecting: 1 -> 2 -> 0; Linux reports SO_ERROR only once, so
 * one thread reads it and records the Windows code in conn_err, or marks
 * the socket connected). Returns 0 while another thread holds it. */
int ws2__tcpip_oob_inline(const struct ws2__tsock *sk);
int ws2__tcpip_settle_connect(struct ws2__tsock *sk, short rev);

/* The provider's functions, one file per area. */
SOCKET WSPAPI ws2__WSPSocket(int, int, int, LPWSAPROTOCOL_INFOW, GROUP, DWORD,
                             LPINT);
int WSPAPI ws2__WSPBind(SOCKET, const struct sockaddr *, int, LPINT);
int WSPAPI ws2__WSPConnect(SOCKET, const struct sockaddr *, int, LPWSABUF,
                           LPWSABUF, LPQOS, LPQOS, LPINT);
int WSPAPI ws2__WSPListen(SOCKET, int, LPINT);
SOCKET WSPAPI ws2__WSPAccept(SOCKET, struct sockaddr *, LPINT,
                             LPCONDITIONPROC, DWORD_PTR, LPINT);
int WSPAPI ws2__WSPCloseSocket(SOCKET, LPINT);
int WSPAPI ws2__WSPShutdown(SOCKET, int, LPINT);
int WSPAPI ws2__WSPGetSockName(SOCKET, struct sockaddr *, LPINT, LPINT);
int WSPAPI ws2__WSPGetPeerName(SOCKET, struct sockaddr *, LPINT, LPINT);
int WSPAPI ws2__WSPSend(SOCKET, LPWSABUF, DWORD, LPDWORD, DWORD,
                        LPWSAOVERLAPPED, LPWSAOVERLAPPED_COMPLETION_ROUTINE,
                        LPWSATHREADID, LPINT);
int WSPAPI ws2__WSPSendTo(SOCKET, LPWSABUF, DWORD, LPDWORD, DWORD,
                          const struct sockaddr *, int, LPWSAOVERLAPPED,
                          LPWSAOVERLAPPED_COMPLETION_ROUTINE, LPWSATHREADID,
                          LPINT);
int WSPAPI ws2__WSPRecv(SOCKET, LPWSABUF, DWORD, LPDWORD, LPDWORD,
                        LPWSAOVERLAPPED, LPWSAOVERLAPPED_COMPLETION_ROUTINE,
                        LPWSATHREADID, LPINT);
int WSPAPI ws2__WSPRecvFrom(SOCKET, LPWSABUF, DWORD, LPDWORD, LPDWORD,
                            struct sockaddr *, LPINT, LPWSAOVERLAPPED,
                            LPWSAOVERLAPPED_COMPLETION_ROUTINE, LPWSATHREADID,
                            LPINT);
int WSPAPI ws2__WSPSetSockOpt(SOCKET, int, int, const char *, int, LPINT);
int WSPAPI ws2__WSPGetSockOpt(SOCKET, int, int, char *, LPINT, LPINT);
int WSPAPI ws2__WSPIoctl(SOCKET, DWORD, LPVOID, DWORD, LPVOID, DWORD, LPDWORD,
                         LPWSAOVERLAPPED, LPWSAOVERLAPPED_COMPLETION_ROUTINE,
                         LPWSATHREADID, LPINT);
int WSPAPI ws2__WSPSelect(int, fd_set *, fd_set *, fd_set *,
                          const struct timeval *, LPINT);
/* WSAPoll's work (SIO_WS2POSIX_POLL); returns ready count or SOCKET_ERROR. */
int ws2__tcpip_poll(WS2POSIX_POLL_ARGS *args, LPINT lpErrno);
INT WSPAPI ws2__WSPAddressToString(LPSOCKADDR, DWORD, LPWSAPROTOCOL_INFOW,
                                   LPWSTR, LPDWORD, LPINT);
INT WSPAPI ws2__WSPStringToAddress(LPWSTR, INT, LPWSAPROTOCOL_INFOW,
                                   LPSOCKADDR, LPINT, LPINT);

#endif
