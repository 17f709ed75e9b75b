/*
 * oreq.h - the provider's overlapped request (overlapped.c), shared with
 * the extension functions (extfn.c) so that cancellation, completion and
 * delivery treat every request alike.
 */
#ifndef WS2__OREQ_H
#define WS2__OREQ_H

#include "tcpip/tcpip.h"

/* An outstanding request: 248 bytes on LP64 with the engine's part, one
 * allocation of 256 (the performance issue's budget). The socket's handle
 * is sk->handle; a routine's results are read from lpOverlapped when it
 * runs, as Windows' APC reads the I/O status block. */
struct oreq {
    struct ws2__req r; /* first: the engine's part */
    struct ws2__slot *slot; /* keeps the socket, and its fd, alive */
    LPWSAOVERLAPPED ov;
    LPWSAOVERLAPPED_COMPLETION_ROUTINE cr;
    WSATHREADID tid; /* the starting thread, referenced */
    struct sockaddr *from;
    LPINT fromlen;
    /* A datagram with more buffers than one call takes goes through this
     * buffer (r.iov_inline[0] describes it); more[] keeps the caller's
     * nuser buffers to scatter a received one into. */
    void *bounce;
    uint32_t nuser;
    int recv;
    /* An extension function's state (extfn.c and transmit.c free it; it
     * owns r.x then). Without it, r.x is a struct octl (overlapped.c). */
    void *ext;
    struct iovec more[]; /* captured WSABUFs past the inline ones */
};

/* The request's socket: its slot's context (the slot is referenced as
 * long as the request lives), so the request needs no pointer of its own. */
static inline struct ws2__tsock *oreq_sk(const struct oreq *o)
{
    return (struct ws2__tsock *)o->slot->ctx;
}

void ws2__oreq_free(struct oreq *o);
/* Tells the application (event, routine or port); consumes o. */
void ws2__oreq_deliver(struct oreq *o, DWORD err, DWORD bytes, DWORD flags);
/* Marks ov pending and hands o to the engine (queue o->recv of o->sk):
 * SOCKET_ERROR with *lpErrno WSA_IO_PENDING, or the error that kept it
 * from starting (o is then freed). */
int ws2__oreq_start(struct oreq *o, LPWSAOVERLAPPED ov, LPINT lpErrno);

#endif
