/*
 * oreq.h - the provider's overlapped request (overlapped.c), shared with
 * the extension functions (extfn.c) so that cancellation, completion and
 * delivery treat every request alike.
 */
#ifndef WS2__OREQ_H
#define WS2__OREQ_H

#include "tcpip/tcpip.h"

struct oreq {
    struct ws2__req r; /* first: the engine's part */
    struct ws2__slot *slot; /* keeps the socket, and its fd, alive */
    struct ws2__tsock *sk;
    SOCKET s;
    int recv;
    LPWSAOVERLAPPED ov;
    LPWSAOVERLAPPED_COMPLETION_ROUTINE cr;
    WSATHREADID tid; /* the starting thread, referenced */
    struct sockaddr *from;
    LPINT fromlen;
    void *bounce; /* a datagram with more buffers than one call takes */
    size_t bounce_len;
    struct iovec *user; /* the buffers a bounced receive scatters into */
    size_t nuser;
    DWORD err, bytes, flags;
    void *ext; /* an extension function's state (extfn.c frees it) */
    LPWSAMSG msg; /* WSARecvMsg: completed with the control data (msg.c) */
    struct iovec more[]; /* captured WSABUFs past the inline ones */
};

void ws2__oreq_free(struct oreq *o);
/* Tells the application (event, routine or port); consumes o. */
void ws2__oreq_deliver(struct oreq *o, DWORD err, DWORD bytes, DWORD flags);
/* Marks ov pending and hands o to the engine (queue o->recv of o->sk):
 * SOCKET_ERROR with *lpErrno WSA_IO_PENDING, or the error that kept it
 * from starting (o is then freed). */
int ws2__oreq_start(struct oreq *o, LPWSAOVERLAPPED ov, LPINT lpErrno);

#endif
