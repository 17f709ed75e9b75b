/*
 * ioctl.c - socket options and control codes: setsockopt, getsockopt,
 * ioctlsocket and WSAIoctl, dispatched to the socket's provider.
 */
#include "api/api.h"

WS2_EXPORT int WSAAPI setsockopt(SOCKET s, int level, int optname,
                                 const char *optval, int optlen)
{
    struct ws2__call c;
    int err;
    if (!ws2__enter(s, &c))
        return SOCKET_ERROR;
    int r = c.proc->lpWSPSetSockOpt(s, level, optname, optval, optlen, &err);
    return ws2__leave(&c, r, err);
}

WS2_EXPORT int WSAAPI getsockopt(SOCKET s, int level, int optname,
                                 char *optval, int *optlen)
{
    struct ws2__call c;
    int err;
    if (!ws2__enter(s, &c))
        return SOCKET_ERROR;
    int r = c.proc->lpWSPGetSockOpt(s, level, optname, optval, optlen, &err);
    return ws2__leave(&c, r, err);
}

WS2_EXPORT int WSAAPI WSAIoctl(SOCKET s, DWORD dwIoControlCode,
                               LPVOID lpvInBuffer, DWORD cbInBuffer,
                               LPVOID lpvOutBuffer, DWORD cbOutBuffer,
                               LPDWORD lpcbBytesReturned,
                               LPWSAOVERLAPPED lpOverlapped,
                               LPWSAOVERLAPPED_COMPLETION_ROUTINE
                                   lpCompletionRoutine)
{
    struct ws2__call c;
    int err;
    if (!ws2__enter(s, &c))
        return SOCKET_ERROR;
    int r = c.proc->lpWSPIoctl(s, dwIoControlCode, lpvInBuffer, cbInBuffer,
                               lpvOutBuffer, cbOutBuffer, lpcbBytesReturned,
                               lpOverlapped, lpCompletionRoutine,
                               ws2__thread_id(), &err);
    return ws2__leave(&c, r, err);
}

/* ioctlsocket is WSAIoctl with a u_long in and out. */
WS2_EXPORT int WSAAPI ioctlsocket(SOCKET s, long cmd, u_long *argp)
{
    DWORD ret = 0;
    return WSAIoctl(s, (DWORD)cmd, argp, sizeof(*argp), argp, sizeof(*argp),
                    &ret, NULL, NULL);
}
