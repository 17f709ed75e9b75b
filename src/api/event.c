/*
 * event.c - WSACreateEvent, WSACloseEvent, WSASetEvent, WSAResetEvent and
 * WSAWaitForMultipleEvents, and kernel32's CreateEventA/W, SetEvent,
 * ResetEvent, CreateMutexA/W, ReleaseMutex, CreateSemaphoreA/W and
 * ReleaseSemaphore: the API edge of src/sync.
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
static HANDLE refuse_name(const void *name)
{
    (void)name;
    ws2__last_error = ERROR_NOT_SUPPORTED;
    return NULL;
}

static HANDLE create_event(BOOL manual, BOOL initial, const void *name)
{
    if (name)
        return refuse_name(name);
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

/* ---- kernel32's mutexes and semaphores ----
 * Objects of the same table and waits; named ones are refused as events'
 * are. */
static HANDLE created(HANDLE h)
{
    if (h == WSA_INVALID_EVENT)
        ws2__last_error = ERROR_NOT_ENOUGH_MEMORY;
    return h;
}

static HANDLE create_mutex(BOOL owned, const void *name)
{
    if (name)
        return refuse_name(name);
    struct ws2__thread *t = NULL;
    if (owned && !(t = ws2__thread_self())) {
        ws2__last_error = ERROR_NOT_ENOUGH_MEMORY;
        return NULL;
    }
    int err;
    return created(ws2__mutex_create(t, ws2__tid_self(), &err));
}

WS2_EXPORT HANDLE WINAPI CreateMutexA(LPSECURITY_ATTRIBUTES lpMutexAttributes,
                                      BOOL bInitialOwner, LPCSTR lpName)
{
    (void)lpMutexAttributes;
    return create_mutex(bInitialOwner, lpName);
}

WS2_EXPORT HANDLE WINAPI CreateMutexW(LPSECURITY_ATTRIBUTES lpMutexAttributes,
                                      BOOL bInitialOwner, LPCWSTR lpName)
{
    (void)lpMutexAttributes;
    return create_mutex(bInitialOwner, lpName);
}

/* The object behind h for ReleaseMutex/ReleaseSemaphore, with its
 * reference; NULL (ERROR_INVALID_HANDLE set) for anything else. */
static struct ws2__slot *object(HANDLE h, struct ws2__event **e)
{
    struct ws2__slot *slot = ws2__event_ref((WSAEVENT)h, e);
    if (!slot)
        ws2__last_error = ERROR_INVALID_HANDLE;
    return slot;
}

WS2_EXPORT BOOL WINAPI ReleaseMutex(HANDLE hMutex)
{
    struct ws2__event *e;
    struct ws2__slot *slot = object(hMutex, &e);
    if (!slot)
        return FALSE;
    /* Only its owner can release it, and an owner has a thread record. */
    struct ws2__thread *t = ws2__thread_self();
    int err = t ? ws2__mutex_release(e, t, ws2__tid_self()) : ERROR_NOT_OWNER;
    ws2__handle_unref(slot);
    return result(err);
}

static HANDLE create_semaphore(LONG initial, LONG max, const void *name)
{
    if (name)
        return refuse_name(name);
    if (max <= 0 || initial < 0 || initial > max) {
        ws2__last_error = ERROR_INVALID_PARAMETER;
        return NULL;
    }
    int err;
    return created(ws2__semaphore_create(initial, max, &err));
}

WS2_EXPORT HANDLE WINAPI
CreateSemaphoreA(LPSECURITY_ATTRIBUTES lpSemaphoreAttributes,
                 LONG lInitialCount, LONG lMaximumCount, LPCSTR lpName)
{
    (void)lpSemaphoreAttributes;
    return create_semaphore(lInitialCount, lMaximumCount, lpName);
}

WS2_EXPORT HANDLE WINAPI
CreateSemaphoreW(LPSECURITY_ATTRIBUTES lpSemaphoreAttributes,
                 LONG lInitialCount, LONG lMaximumCount, LPCWSTR lpName)
{
    (void)lpSemaphoreAttributes;
    return create_semaphore(lInitialCount, lMaximumCount, lpName);
}

WS2_EXPORT BOOL WINAPI ReleaseSemaphore(HANDLE hSemaphore,
                                        LONG lReleaseCount,
                                        LPLONG lpPreviousCount)
{
    struct ws2__event *e;
    struct ws2__slot *slot = object(hSemaphore, &e);
    if (!slot)
        return FALSE;
    LONG prev;
    int err = ws2__semaphore_release(e, lReleaseCount, &prev);
    ws2__handle_unref(slot);
    if (!err && lpPreviousCount)
        *lpPreviousCount = prev;
    return result(err);
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
