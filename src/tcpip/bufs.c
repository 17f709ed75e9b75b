/*
 * bufs.c - a caller's WSABUF array as Linux iovecs. Zero-length buffers are
 * left out (they carry nothing, and leaving them out keeps ordinary arrays
 * under the kernel's IOV_MAX); a buffer pointer that cannot be valid fails
 * the call with WSAEFAULT before anything is sent or received.
 */
#include <stdlib.h>

#include "tcpip/tcpip.h"

int ws2__iovs_build_any(struct ws2__iovs *io, const WSABUF *bufs,
                        DWORD count)
{
    io->v = io->stack;
    io->n = 0;
    io->total = 0;
    if (count > WS2__IOV_STACK) {
        io->v = malloc(count * sizeof(*io->v));
        if (!io->v) {
            io->v = io->stack;
            return WSAENOBUFS;
        }
    }
    for (DWORD i = 0; i < count; i++) {
        if (bufs[i].len == 0)
            continue;
        if (ws2__bad_ptr(bufs[i].buf)) {
            ws2__iovs_free(io);
            return WSAEFAULT;
        }
        io->v[io->n].iov_base = bufs[i].buf;
        io->v[io->n].iov_len = bufs[i].len;
        io->n++;
        io->total += bufs[i].len;
    }
    return 0;
}

/* Each port-unreachable that Linux queued (IP_RECVERR) becomes one
 * WSAECONNRESET for a later receive, unless SIO_UDP_CONNRESET is off. */
void ws2__tcpip_note_unreachable(struct ws2__tsock *sk)
{
    int count = 0;
    while (ws2__lx_errqueue(sk->fd) != 0 && count < 1024)
        count++;
    if (count == 0)
        count = 1;
    if (atomic_load(&sk->udp_connreset))
        atomic_fetch_add(&sk->pending_reset, count);
}
