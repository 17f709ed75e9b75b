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
