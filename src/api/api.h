/*
 * api.h - what every ws2_32 entry point shares: start-up state, the calling
 * thread's last error, and the look-up that turns a SOCKET into its
 * provider's table for the length of one call.
 */
#ifndef WS2__API_H
#define WS2__API_H

#include <stdatomic.h>

#include "spi/handle.h"
#include "spi/provider.h"
#include "ws2spi.h"

#define WS2_EXPORT __attribute__((visibility("default")))

extern _Atomic int ws2__startup_count;
extern WS2__TLS int ws2__last_error;

static inline int ws2__started(void)
{
    return atomic_load_explicit(&ws2__startup_count, memory_order_relaxed) > 0;
}

/* Sets the last error and returns SOCKET_ERROR, for the API edge only. */
static inline int ws2__fail(int err)
{
    ws2__last_error = err;
    return SOCKET_ERROR;
}

/* One call on one socket: holds a reference for its duration, and names
 * the socket as the thread's current call (spi/handle.h) so that the
 * provider's own look-up of it takes no second reference. A call made
 * inside another (a layered provider calling the API on its lower socket)
 * ends by clearing the record: the outer call's provider then takes
 * references of its own, which is slower but always safe. */
struct ws2__call {
    struct ws2__slot *slot;
    const WSPPROC_TABLE *proc;
};

/* Start-up checked, handle looked up; on failure the last error is set
 * (WSANOTINITIALISED or WSAENOTSOCK) and 0 is returned. */
static inline int ws2__enter(SOCKET s, struct ws2__call *c)
{
    if (!ws2__started())
        return ws2__fail(WSANOTINITIALISED), 0;
    c->slot = ws2__handle_ref(s);
    if (!c->slot)
        return ws2__fail(WSAENOTSOCK), 0;
    if (!c->slot->prov) { /* another kind of handle (an event) */
        ws2__handle_unref(c->slot);
        return ws2__fail(WSAENOTSOCK), 0;
    }
    c->proc = &c->slot->prov->proc;
    ws2__call_cur.s = s;
    ws2__call_cur.slot = c->slot;
    return 1;
}

/* Ends the call: drops the reference and sets the thread's last error: the
 * provider's error, or 0 on success, as Windows 7 and later do (Wine's
 * tests of bind, send, WSARecv, getsockopt, ... run on Windows). */
static inline int ws2__leave(struct ws2__call *c, int ret, int err)
{
    ws2__call_cur.slot = NULL;
    ws2__handle_unref(c->slot);
    ws2__last_error = ret == SOCKET_ERROR ? err : 0;
    return ret;
}

/* The calling thread's WSATHREADID, for the provider's lpThreadId: filled
 * on the thread's first call (ws2__thread_id_open). */
extern WS2__TLS WSATHREADID ws2__tid;
LPWSATHREADID ws2__thread_id_open(void);
static inline LPWSATHREADID ws2__thread_id(void)
{
    if (__builtin_expect(ws2__tid.ThreadHandle != NULL, 1))
        return &ws2__tid;
    return ws2__thread_id_open();
}

/* The Win32 error kernel32's functions (GetQueuedCompletionStatus,
 * GetOverlappedResult) report for a request's WSA error (port.c). */
DWORD ws2__win32_error(DWORD wsa);

/* Closes every socket still open (the last WSACleanup). */
void ws2__close_all(void);

#endif
