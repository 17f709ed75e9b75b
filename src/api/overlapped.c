/*
 * overlapped.c - WSAGetOverlappedResult, and CancelIo / CancelIoEx for
 * sockets, dispatched to the socket's provider.
 */
#include "api/api.h"
#include "windows.h"

WS2_EXPORT BOOL WSAAPI WSAGetOverlappedResult(SOCKET s,
                                              LPWSAOVERLAPPED lpOverlapped,
                                              LPDWORD lpcbTransfer,
                                              BOOL fWait, LPDWORD lpdwFlags)
{
    struct ws2__call c;
    int err = 0;
    if (!ws2__enter(s, &c))
        return FALSE;
    BOOL ok = c.proc->lpWSPGetOverlappedResult(s, lpOverlapped, lpcbTransfer,
                                               fWait, lpdwFlags, &err);
    ws2__leave(&c, ok ? 0 : SOCKET_ERROR, err);
    return ok;
}

/* kernel32's GetOverlappedResult reads the OVERLAPPED itself: a finished
 * request is reported even when its socket has been closed since (Wine's
 * test_AcceptEx calls it on a closed listener, on Windows), and errors are
 * Win32 codes (a refused ConnectEx is ERROR_CONNECTION_REFUSED). Only a
 * wait goes to the socket's provider. */
WS2_EXPORT BOOL WINAPI GetOverlappedResult(HANDLE hFile,
                                           LPOVERLAPPED lpOverlapped,
                                           LPDWORD lpNumberOfBytesTransferred,
                                           BOOL bWait)
{
    if (!lpOverlapped || !lpNumberOfBytesTransferred) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    ULONG_PTR st = __atomic_load_n(&lpOverlapped->Internal, __ATOMIC_ACQUIRE);
    if (st == STATUS_PENDING) {
        if (!bWait) {
            SetLastError(ERROR_IO_INCOMPLETE);
            return FALSE;
        }
        DWORD n, fl;
        if (!WSAGetOverlappedResult((SOCKET)(uintptr_t)hFile, lpOverlapped,
                                    &n, TRUE, &fl) &&
            WSAGetLastError() == WSAENOTSOCK) {
            SetLastError(ERROR_INVALID_HANDLE);
            return FALSE;
        }
        st = __atomic_load_n(&lpOverlapped->Internal, __ATOMIC_ACQUIRE);
    }
    *lpNumberOfBytesTransferred = (DWORD)lpOverlapped->InternalHigh;
    if (st != 0) {
        SetLastError(ws2__win32_error((DWORD)st));
        return FALSE;
    }
    return TRUE;
}

/* Through the provider's WSPIoctl (SIO_WS2POSIX_CANCEL): how many requests
 * were found, or -1 with the last error set. */
static int cancel(HANDLE h, LPOVERLAPPED ov, BOOL this_thread)
{
    WS2POSIX_CANCEL_ARGS a = {ov, this_thread};
    DWORD found = 0;
    if (WSAIoctl((SOCKET)(uintptr_t)h, SIO_WS2POSIX_CANCEL, &a, sizeof(a),
                 NULL, 0, &found, NULL, NULL) == SOCKET_ERROR) {
        if (WSAGetLastError() == WSAENOTSOCK)
            SetLastError(ERROR_INVALID_HANDLE);
        return -1;
    }
    return (int)found;
}

WS2_EXPORT BOOL WINAPI CancelIo(HANDLE hFile)
{
    return cancel(hFile, NULL, TRUE) >= 0;
}

/* Windows: FALSE with ERROR_NOT_FOUND when nothing matched. */
WS2_EXPORT BOOL WINAPI CancelIoEx(HANDLE hFile, LPOVERLAPPED lpOverlapped)
{
    int n = cancel(hFile, lpOverlapped, FALSE);
    if (n == 0)
        SetLastError(ERROR_NOT_FOUND);
    return n > 0;
}
