/*
 * port.c - the kernel32 side of completion ports: CreateIoCompletionPort,
 * GetQueuedCompletionStatus(Ex), PostQueuedCompletionStatus,
 * SetFileCompletionNotificationModes and CloseHandle (of any handle: also
 * events, files and sockets), over src/sync/port.c.
 *
 * Like the event functions they need no WSAStartup (kernel32 has none);
 * only a socket needs it, to exist. Their errors are Win32 errors in the
 * same per-thread slot WSAGetLastError reads.
 */
#include <pthread.h>

#include "api/api.h"
#include "sync/sync.h"
#include "windows.h"

/* GetQueuedCompletionStatusEx's batch, per call: up to this many entries
 * are removed at once (a larger ulCount is served in part, as a call that
 * finds fewer packets queued is). */
#define BATCH_MAX 256

/* Serialises associations, so that a second one never touches the key of
 * the first. */
static pthread_mutex_t assoc_lock = PTHREAD_MUTEX_INITIALIZER;

static BOOL fail(DWORD err)
{
    ws2__last_error = (int)err;
    return FALSE;
}

static SOCKET to_handle(HANDLE h)
{
    return (SOCKET)(uintptr_t)h;
}

/* A counted reference to a socket's slot (an open handle with a
 * provider), or NULL. */
static struct ws2__slot *socket_ref(HANDLE h)
{
    struct ws2__slot *slot = ws2__handle_ref(to_handle(h));
    if (slot && !slot->prov) {
        ws2__handle_unref(slot);
        slot = NULL;
    }
    return slot;
}

/* Windows reports a failed request through GetQueuedCompletionStatus with
 * the Win32 error of its NTSTATUS (RtlNtStatusToDosError), not with the
 * WSA code WSAGetOverlappedResult gives: a reset connection is
 * ERROR_NETNAME_DELETED (STATUS_CONNECTION_RESET), a request cancelled by
 * closesocket or CancelIoEx ERROR_OPERATION_ABORTED (STATUS_CANCELLED),
 * a truncated datagram ERROR_MORE_DATA (STATUS_BUFFER_OVERFLOW). Wine's
 * test_completion_port (dlls/ws2_32/tests/sock.c) checks these on
 * Windows. Codes without an NTSTATUS of their own pass through. */
DWORD ws2__win32_error(DWORD wsa)
{
    switch (wsa) {
    case WSAECONNRESET:
        return ERROR_NETNAME_DELETED;
    case WSAECONNABORTED:
        return ERROR_CONNECTION_ABORTED;
    case WSAECONNREFUSED:
        return ERROR_CONNECTION_REFUSED;
    case WSAENETUNREACH:
        return ERROR_NETWORK_UNREACHABLE;
    case WSAEHOSTUNREACH:
        return ERROR_HOST_UNREACHABLE;
    case WSAEMSGSIZE:
        return ERROR_MORE_DATA;
    case WSAENOTCONN:
        return ERROR_CONNECTION_INVALID;
    case WSAETIMEDOUT:
        return ERROR_SEM_TIMEOUT;
    case WSAESHUTDOWN:
        return ERROR_PIPE_NOT_CONNECTED;
    case WSAENOBUFS:
        return ERROR_NO_SYSTEM_RESOURCES;
    case WSAEFAULT:
        return ERROR_NOACCESS;
    case WSAEINVAL:
        return ERROR_INVALID_PARAMETER;
    case STATUS_BUFFER_TOO_SMALL: /* kept as an NTSTATUS (AcceptEx) */
        return ERROR_INSUFFICIENT_BUFFER;
    default: /* WSA_OPERATION_ABORTED is ERROR_OPERATION_ABORTED (995) */
        return wsa;
    }
}

/* Associates the socket's slot with the port's (whose reference the
 * association takes over). 0, or ERROR_INVALID_PARAMETER when the socket
 * already has a port (Windows: STATUS_INVALID_PARAMETER). */
static DWORD associate(struct ws2__slot *sock, struct ws2__slot *port,
                       ULONG_PTR key)
{
    DWORD err = 0;
    pthread_mutex_lock(&assoc_lock);
    if (atomic_load_explicit(&sock->port_slot, memory_order_relaxed)) {
        err = ERROR_INVALID_PARAMETER;
    } else {
        sock->port_key = key; /* published by the release store */
        atomic_store_explicit(&sock->port_slot, port, memory_order_release);
    }
    pthread_mutex_unlock(&assoc_lock);
    return err;
}

WS2_EXPORT HANDLE WINAPI CreateIoCompletionPort(HANDLE FileHandle,
                                                HANDLE ExistingCompletionPort,
                                                ULONG_PTR CompletionKey,
                                                DWORD NumberOfConcurrentThreads)
{
    int cerr;
    if (FileHandle == INVALID_HANDLE_VALUE) {
        if (ExistingCompletionPort) /* nothing to associate */
            return fail(ERROR_INVALID_PARAMETER), NULL;
        HANDLE h = ws2__port_create(NumberOfConcurrentThreads, &cerr);
        if (!h)
            ws2__last_error = cerr;
        return h;
    }
    struct ws2__slot *sock = socket_ref(FileHandle);
    if (!sock)
        return fail(ERROR_INVALID_HANDLE), NULL;
    HANDLE h = ExistingCompletionPort;
    if (!h) {
        h = ws2__port_create(NumberOfConcurrentThreads, &cerr);
        if (!h) {
            ws2__handle_unref(sock);
            return fail((DWORD)cerr), NULL;
        }
    }
    struct ws2__port *p;
    struct ws2__slot *port = ws2__port_ref(h, &p);
    DWORD err = port ? associate(sock, port, CompletionKey)
                     : ERROR_INVALID_HANDLE;
    ws2__handle_unref(sock);
    if (!err)
        return h;
    if (port)
        ws2__handle_unref(port);
    if (!ExistingCompletionPort)
        ws2__port_close(h);
    return fail(err), NULL;
}

WS2_EXPORT BOOL WINAPI GetQueuedCompletionStatus(HANDLE CompletionPort,
                                                 LPDWORD lpNumberOfBytes,
                                                 PULONG_PTR lpCompletionKey,
                                                 LPOVERLAPPED *lpOverlapped,
                                                 DWORD dwMilliseconds)
{
    if (!lpNumberOfBytes || !lpCompletionKey || !lpOverlapped)
        return fail(ERROR_INVALID_PARAMETER);
    *lpOverlapped = NULL;
    struct ws2__port *p;
    struct ws2__slot *slot = ws2__port_ref(CompletionPort, &p);
    if (!slot)
        return fail(ERROR_INVALID_HANDLE);
    struct ws2__packet_out pk;
    DWORD err = 0;
    unsigned n = ws2__port_get(p, &pk, 1, dwMilliseconds, FALSE, &err);
    ws2__handle_unref(slot);
    if (!n)
        return fail(err);
    *lpNumberOfBytes = pk.bytes;
    *lpCompletionKey = pk.key;
    *lpOverlapped = pk.ov;
    /* A packet of a failed request: FALSE, with lpOverlapped set. */
    return pk.status ? fail(ws2__win32_error(pk.status)) : TRUE;
}

WS2_EXPORT BOOL WINAPI GetQueuedCompletionStatusEx(
    HANDLE CompletionPort, LPOVERLAPPED_ENTRY lpCompletionPortEntries,
    ULONG ulCount, PULONG ulNumEntriesRemoved, DWORD dwMilliseconds,
    BOOL fAlertable)
{
    if (!lpCompletionPortEntries || !ulCount || !ulNumEntriesRemoved)
        return fail(ERROR_INVALID_PARAMETER);
    *ulNumEntriesRemoved = 0;
    struct ws2__port *p;
    struct ws2__slot *slot = ws2__port_ref(CompletionPort, &p);
    if (!slot)
        return fail(ERROR_INVALID_HANDLE);
    struct ws2__packet_out pk[BATCH_MAX];
    DWORD err = 0;
    unsigned n = ws2__port_get(p, pk, ulCount < BATCH_MAX ? ulCount
                                                          : BATCH_MAX,
                               dwMilliseconds, fAlertable, &err);
    ws2__handle_unref(slot);
    if (!n)
        return fail(err);
    /* Each entry carries its own status; the call itself succeeded. */
    for (unsigned i = 0; i < n; i++)
        lpCompletionPortEntries[i] = (OVERLAPPED_ENTRY){
            pk[i].key, pk[i].ov, pk[i].status, pk[i].bytes};
    *ulNumEntriesRemoved = n;
    return TRUE;
}

WS2_EXPORT BOOL WINAPI PostQueuedCompletionStatus(HANDLE CompletionPort,
                                                  DWORD dwNumberOfBytes,
                                                  ULONG_PTR dwCompletionKey,
                                                  LPOVERLAPPED lpOverlapped)
{
    struct ws2__port *p;
    struct ws2__slot *slot = ws2__port_ref(CompletionPort, &p);
    if (!slot)
        return fail(ERROR_INVALID_HANDLE);
    int err = ws2__port_post(p, dwCompletionKey, lpOverlapped,
                             dwNumberOfBytes, 0);
    ws2__handle_unref(slot);
    return err ? fail((DWORD)err) : TRUE;
}

/* Windows keeps every mode once set ("after a mode has been set for a file
 * handle, it cannot be removed"), and refuses unknown bits. */
WS2_EXPORT BOOL WINAPI SetFileCompletionNotificationModes(HANDLE FileHandle,
                                                          UCHAR Flags)
{
    const UCHAR known = FILE_SKIP_COMPLETION_PORT_ON_SUCCESS |
                        FILE_SKIP_SET_EVENT_ON_HANDLE |
                        FILE_SKIP_SET_USER_EVENT_ON_FAST_IO;
    struct ws2__slot *sock = socket_ref(FileHandle);
    if (!sock)
        return fail(ERROR_INVALID_HANDLE);
    BOOL ok = !(Flags & ~known);
    if (ok)
        atomic_fetch_or_explicit(&sock->notify_modes, Flags,
                                 memory_order_relaxed);
    ws2__handle_unref(sock);
    return ok ? TRUE : fail(ERROR_INVALID_PARAMETER);
}

WS2_EXPORT BOOL WINAPI CloseHandle(HANDLE hObject)
{
    struct ws2__port *p;
    struct ws2__slot *slot = ws2__port_ref(hObject, &p);
    if (slot) {
        ws2__handle_unref(slot);
        int err = ws2__port_close(hObject);
        return err ? fail((DWORD)err) : TRUE;
    }
    if (ws2__event_close((WSAEVENT)hObject) == 0 ||
        ws2__file_close(hObject) == 0)
        return TRUE;
    if (ws2__tobj_close(hObject) == 0)
        return TRUE;
    slot = socket_ref(hObject);
    if (!slot)
        return fail(ERROR_INVALID_HANDLE);
    ws2__handle_unref(slot);
    if (closesocket(to_handle(hObject)) == SOCKET_ERROR) {
        if (ws2__last_error == WSAENOTSOCK)
            ws2__last_error = ERROR_INVALID_HANDLE;
        return FALSE;
    }
    return TRUE;
}
