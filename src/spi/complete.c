/*
 * complete.c - WPUCompleteOverlappedRequest: how a provider reports that an
 * overlapped request finished when no completion routine was given. The
 * result goes into lpOverlapped (InternalHigh the byte count, then
 * Internal the WSA error, with release ordering, so that a thread polling
 * HasOverlappedIoCompleted sees the count), then the event is set.
 */
#include "api/api.h"
#include "sync/sync.h"

WS2_EXPORT int WSPAPI WPUCompleteOverlappedRequest(SOCKET s,
                                                   LPWSAOVERLAPPED ov,
                                                   DWORD dwError,
                                                   DWORD cbTransferred,
                                                   LPINT lpErrno)
{
    (void)s;
    if (!ov) {
        *lpErrno = WSA_INVALID_PARAMETER;
        return SOCKET_ERROR;
    }
    HANDLE ev = ov->hEvent;
    ov->InternalHigh = cbTransferred;
    __atomic_store_n(&ov->Internal, (ULONG_PTR)dwError, __ATOMIC_RELEASE);
    /* The low bit of hEvent is the completion ports' business. */
    if (ev)
        ws2__event_set((WSAEVENT)((uintptr_t)ev & ~(uintptr_t)1));
    return 0;
}
