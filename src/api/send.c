/*
 * send.c - send, sendto, WSASend and WSASendTo: argument shape at the API,
 * everything else in the socket's provider (WSPSend, WSPSendTo).
 */
#include "api/api.h"

WS2_EXPORT int WSAAPI WSASend(SOCKET s, LPWSABUF lpBuffers,
                              DWORD dwBufferCount, LPDWORD lpNumberOfBytesSent,
                              DWORD dwFlags, LPWSAOVERLAPPED lpOverlapped,
                              LPWSAOVERLAPPED_COMPLETION_ROUTINE
                                  lpCompletionRoutine)
{
    struct ws2__call c;
    int err;
    if (!ws2__enter(s, &c))
        return SOCKET_ERROR;
    int r = c.proc->lpWSPSend(s, lpBuffers, dwBufferCount, lpNumberOfBytesSent,
                              dwFlags, lpOverlapped, lpCompletionRoutine,
                              ws2__thread_id(), &err);
    return ws2__leave(&c, r, err);
}

WS2_EXPORT int WSAAPI WSASendTo(SOCKET s, LPWSABUF lpBuffers,
                                DWORD dwBufferCount,
                                LPDWORD lpNumberOfBytesSent, DWORD dwFlags,
                                const struct sockaddr *lpTo, int iTolen,
                                LPWSAOVERLAPPED lpOverlapped,
                                LPWSAOVERLAPPED_COMPLETION_ROUTINE
                                    lpCompletionRoutine)
{
    struct ws2__call c;
    int err;
    if (!ws2__enter(s, &c))
        return SOCKET_ERROR;
    int r = c.proc->lpWSPSendTo(s, lpBuffers, dwBufferCount,
                                lpNumberOfBytesSent, dwFlags, lpTo, iTolen,
                                lpOverlapped, lpCompletionRoutine,
                                ws2__thread_id(), &err);
    return ws2__leave(&c, r, err);
}

/* A negative length cannot describe a buffer: Windows fails it with
 * WSAEFAULT, as it does a buffer outside the address space. */
WS2_EXPORT int WSAAPI send(SOCKET s, const char *buf, int len, int flags)
{
    if (len < 0 && ws2__started())
        return ws2__fail(WSAEFAULT);
    WSABUF wb = {(ULONG)len, (CHAR *)buf};
    DWORD sent = 0;
    if (WSASend(s, &wb, 1, &sent, (DWORD)flags, NULL, NULL) == SOCKET_ERROR)
        return SOCKET_ERROR;
    return (int)sent;
}

WS2_EXPORT int WSAAPI sendto(SOCKET s, const char *buf, int len, int flags,
                             const struct sockaddr *to, int tolen)
{
    if (len < 0 && ws2__started())
        return ws2__fail(WSAEFAULT);
    WSABUF wb = {(ULONG)len, (CHAR *)buf};
    DWORD sent = 0;
    if (WSASendTo(s, &wb, 1, &sent, (DWORD)flags, to, tolen, NULL, NULL) ==
        SOCKET_ERROR)
        return SOCKET_ERROR;
    return (int)sent;
}
