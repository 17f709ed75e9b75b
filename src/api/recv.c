/*
 * recv.c - recv, recvfrom, WSARecv and WSARecvFrom, dispatched to the
 * socket's provider (WSPRecv, WSPRecvFrom).
 */
#include "api/api.h"

WS2_EXPORT int WSAAPI WSARecv(SOCKET s, LPWSABUF lpBuffers,
                              DWORD dwBufferCount,
                              LPDWORD lpNumberOfBytesRecvd, LPDWORD lpFlags,
                              LPWSAOVERLAPPED lpOverlapped,
                              LPWSAOVERLAPPED_COMPLETION_ROUTINE
                                  lpCompletionRoutine)
{
    struct ws2__call c;
    int err;
    if (!ws2__enter(s, &c))
        return SOCKET_ERROR;
    int r = c.proc->lpWSPRecv(s, lpBuffers, dwBufferCount,
                              lpNumberOfBytesRecvd, lpFlags, lpOverlapped,
                              lpCompletionRoutine, ws2__thread_id(), &err);
    return ws2__leave(&c, r, err);
}

WS2_EXPORT int WSAAPI WSARecvFrom(SOCKET s, LPWSABUF lpBuffers,
                                  DWORD dwBufferCount,
                                  LPDWORD lpNumberOfBytesRecvd,
                                  LPDWORD lpFlags, struct sockaddr *lpFrom,
                                  LPINT lpFromlen,
                                  LPWSAOVERLAPPED lpOverlapped,
                                  LPWSAOVERLAPPED_COMPLETION_ROUTINE
                                      lpCompletionRoutine)
{
    struct ws2__call c;
    int err;
    if (!ws2__enter(s, &c))
        return SOCKET_ERROR;
    int r = c.proc->lpWSPRecvFrom(s, lpBuffers, dwBufferCount,
                                  lpNumberOfBytesRecvd, lpFlags, lpFrom,
                                  lpFromlen, lpOverlapped, lpCompletionRoutine,
                                  ws2__thread_id(), &err);
    return ws2__leave(&c, r, err);
}

WS2_EXPORT int WSAAPI recv(SOCKET s, char *buf, int len, int flags)
{
    if (len < 0 && ws2__started())
        return ws2__fail(WSAEFAULT);
    WSABUF wb = {(ULONG)len, buf};
    DWORD got = 0, fl = (DWORD)flags;
    if (WSARecv(s, &wb, 1, &got, &fl, NULL, NULL) == SOCKET_ERROR)
        return SOCKET_ERROR;
    return (int)got;
}

WS2_EXPORT int WSAAPI recvfrom(SOCKET s, char *buf, int len, int flags,
                               struct sockaddr *from, int *fromlen)
{
    if (len < 0 && ws2__started())
        return ws2__fail(WSAEFAULT);
    WSABUF wb = {(ULONG)len, buf};
    DWORD got = 0, fl = (DWORD)flags;
    if (WSARecvFrom(s, &wb, 1, &got, &fl, from, fromlen, NULL, NULL) ==
        SOCKET_ERROR)
        return SOCKET_ERROR;
    return (int)got;
}
