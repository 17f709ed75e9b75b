/*
 * event.c - WSACreateEvent, WSACloseEvent, WSASetEvent, WSAResetEvent and
 * WSAWaitForMultipleEvents, and kernel32's CreateEventA/W, SetEvent and
 * ResetEvent: the API edge of src/sync.
 *
 * None of them needs WSAStartup. On Windows they are thin wrappers of
 * kernel32's CreateEvent, CloseHandle, SetEvent, ResetEvent and
 * WaitForMultipleObjectsEx ("The current implementation of
 * WSAWaitForMultipleEvents calls the WaitForMultipleObjectsEx function",
 * Microsoft's page; ReactOS's dll/win32/ws2_32/src/event.c calls them with
 * no start-up check, where WSAEnumNetworkEvents in the same file makes one),
 * so they work before WSAStartup and after the last WSACleanup; programs
 * create their events first and rely on that.
 */
#include "api/api.h"
#include "sync/sync.h"
#include "windows.h"

WS2_EXPORT WSAEVENT WSAAPI WSACreateEvent(void)
{
    int err;
    WSAEVENT h = ws2__event_create(&err);
    if (h == WSA_INVALID_EVENT)
        ws2__last_error = err;
    return h;
}

static BOOL result(int err)
{
    if (err) {
        ws2__last_error = err;
        return FALSE;
    }
    return TRUE;
}

WS2_EXPORT BOOL WSAAPI WSACloseEvent(WSAEVENT hEvent)
{
    return result(ws2__event_close(hEvent));
}

WS2_EXPORT BOOL WSAAPI WSASetEvent(WSAEVENT hEvent)
{
    return result(ws2__event_set(hEvent));
}

WS2_EXPORT BOOL WSAAPI WSAResetEvent(WSAEVENT hEvent)
{
    return result(ws2__event_reset(hEvent));
}

/* ---- kernel32's events ----
 * The same objects: a WSAEVENT is a manual-reset event of CreateEvent, and
 * either kind works with every wait and with WSASetEvent/WSAResetEvent.
 * A named event would be shared with other processes; ws2posix has no
 * such objects, so a name is refused rather than ignored (two opens of one
 * name would silently get two events). */
static HANDLE create_event(BOOL manual, BOOL initial, const void *name)
{
    if (name) {
        ws2__last_error = ERROR_NOT_SUPPORTED;
        return NULL;
    }
    int err;
    WSAEVENT h = ws2__event_create_ex(manual != FALSE, initial != FALSE,
                                      &err);
    if (h == WSA_INVALID_EVENT)
        ws2__last_error = ERROR_NOT_ENOUGH_MEMORY;
    return h;
}

WS2_EXPORT HANDLE WINAPI CreateEventA(LPSECURITY_ATTRIBUTES lpEventAttributes,
                                      BOOL bManualReset, BOOL bInitialState,
                                      LPCSTR lpName)
{
    (void)lpEventAttributes; /* no inheritance: there is no CreateProcess */
    return create_event(bManualReset, bInitialState, lpName);
}

WS2_EXPORT HANDLE WINAPI CreateEventW(LPSECURITY_ATTRIBUTES lpEventAttributes,
                                      BOOL bManualReset, BOOL bInitialState,
                                      LPCWSTR lpName)
{
    (void)lpEventAttributes;
    return create_event(bManualReset, bInitialState, lpName);
}

WS2_EXPORT BOOL WINAPI SetEvent(HANDLE hEvent)
{
    return result(ws2__event_set((WSAEVENT)hEvent));
}

WS2_EXPORT BOOL WINAPI ResetEvent(HANDLE hEvent)
{
    return result(ws2__event_reset((WSAEVENT)hEvent));
}

WS2_EXPORT DWORD WSAAPI WSAWaitForMultipleEvents(DWORD cEvents,
                                                 const WSAEVENT *lphEvents,
                                                 BOOL fWaitAll,
                                                 DWORD dwTimeout,
                                                 BOOL fAlertable)
{
    /* As on Windows: the same wait, and the same codes (WSA_WAIT_* and
     * WSA_INVALID_* are WAIT_* and ERROR_INVALID_*). */
    return WaitForMultipleObjectsEx(cEvents, lphEvents, fWaitAll, dwTimeout,
                                    fAlertable);
}
