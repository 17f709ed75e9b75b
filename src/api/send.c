/*
 * send.c - send, sendto, WSASend, WSASendTo and WSASendMsg: argument shape
 * at the API, everything else in the socket's provider (WSPSend,
 * WSPSendTo, and WSPIoctl(SIO_EXT_SENDMSG) for WSASendMsg).
 */
#include "api/api.h"
#include "mswsock.h"

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

/* WSASendMsg has no WSPPROC_TABLE entry: as Windows' ws2_32 does, the
 * socket's provider first names the socket that takes the call
 * (SIO_BSP_HANDLE: a layered provider that wants to see WSASendMsg
 * answers with its own, the base provider with its own), then that
 * socket's provider gets it as WSPIoctl(SIO_EXT_SENDMSG) with the
 * arguments in a WSASENDMSG ("Winsock IOCTLs"). */
WS2_EXPORT int WSAAPI WSASendMsg(SOCKET Handle, LPWSAMSG lpMsg, DWORD dwFlags,
                                 LPDWORD lpNumberOfBytesSent,
                                 LPWSAOVERLAPPED lpOverlapped,
                                 LPWSAOVERLAPPED_COMPLETION_ROUTINE
                                     lpCompletionRoutine)
{
    struct ws2__call c;
    int err;
    DWORD n = 0;
    if (!ws2__enter(Handle, &c))
        return SOCKET_ERROR;
    SOCKET bsp = INVALID_SOCKET;
    if (c.proc->lpWSPIoctl(Handle, SIO_BSP_HANDLE, NULL, 0, &bsp, sizeof(bsp),
                           &n, NULL, NULL, ws2__thread_id(), &err) != 0 ||
        bsp == INVALID_SOCKET)
        bsp = Handle;
    if (bsp != Handle) {
        ws2__handle_unref(c.slot);
        if (!ws2__enter(bsp, &c))
            return SOCKET_ERROR;
    }
    WSASENDMSG args = {lpMsg, dwFlags, lpNumberOfBytesSent, lpOverlapped,
                       lpCompletionRoutine};
    int r = c.proc->lpWSPIoctl(bsp, SIO_EXT_SENDMSG, &args, sizeof(args),
                               NULL, 0, &n, NULL, NULL, ws2__thread_id(),
                               &err);
    return ws2__leave(&c, r, err);
}
