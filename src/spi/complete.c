/*
 * complete.c - WPUCompleteOverlappedRequest: how a provider reports that an
 * overlapped request finished when no completion routine was given. The
 * result goes into lpOverlapped (InternalHigh the byte count, then
 * Internal the WSA error, with release ordering, so that a thread polling
 * HasOverlappedIoCompleted sees the count), then the event is set, then a
 * packet goes to the socket's completion port, if it has one.
 *
 * Windows' rules for the port: no packet when the low bit of hEvent is set
 * (the application asked for the event only), nor for a request that
 * succeeded inside the call on a socket with
 * FILE_SKIP_COMPLETION_PORT_ON_SUCCESS. An explicit event is set in every
 * case: FILE_SKIP_SET_EVENT_ON_HANDLE concerns the file object's own event
 * ("If an explicit event is provided for the request, it is still
 * signaled", SetFileCompletionNotificationModes), which a SOCKET here does
 * not have.
 */
#include "api/api.h"
#include "sync/sync.h"
#include "windows.h"

/* The packet for the socket's port, by Windows' rules (see the top). */
static void to_port(struct ws2__slot *slot, struct ws2__slot *port,
                    LPWSAOVERLAPPED ov, DWORD err, DWORD bytes, int immediate)
{
    uint32_t modes = atomic_load_explicit(&slot->notify_modes,
                                          memory_order_relaxed);
    if (immediate && !err && (modes & FILE_SKIP_COMPLETION_PORT_ON_SUCCESS))
        return;
    ws2__port_post(ws2__port_of(port), slot->port_key, ov, bytes, err);
}

void ws2__complete(SOCKET s, LPWSAOVERLAPPED ov, DWORD err, DWORD bytes,
                   int immediate)
{
    uintptr_t ev = (uintptr_t)ov->hEvent;
    /* A request cancelled by closesocket completes after the close: the
     * slot is found while the request still references it. One that
     * completes inside its call borrows the call's reference. */
    int owned;
    struct ws2__slot *slot = ws2__handle_borrow_any(s, &owned);
    struct ws2__slot *port =
        slot ? atomic_load_explicit(&slot->port_slot, memory_order_acquire)
             : NULL;
    ov->InternalHigh = bytes;
    __atomic_store_n(&ov->Internal, (ULONG_PTR)err, __ATOMIC_RELEASE);
    /* From here on ov may be reused by the application: only the pointer
     * value travels on. */
    if (ev)
        ws2__event_set((WSAEVENT)(ev & ~(uintptr_t)1));
    if (port && !(ev & 1))
        to_port(slot, port, ov, err, bytes, immediate);
    if (slot && owned)
        ws2__handle_unref(slot);
}

WS2_EXPORT int WSPAPI WPUCompleteOverlappedRequest(SOCKET s,
                                                   LPWSAOVERLAPPED ov,
                                                   DWORD dwError,
                                                   DWORD cbTransferred,
                                                   LPINT lpErrno)
{
    if (!ov) {
        *lpErrno = WSA_INVALID_PARAMETER;
        return SOCKET_ERROR;
    }
    ws2__complete(s, ov, dwError, cbTransferred, 0);
    return 0;
}
