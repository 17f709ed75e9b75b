/*
 * fd.c - ws2posix_get_fd, the one door from a SOCKET to Linux: asks the
 * socket's provider for its file descriptor (SIO_WS2POSIX_GET_FD).
 */
#include "api/api.h"

WS2_EXPORT int WSAAPI ws2posix_get_fd(SOCKET s)
{
    int fd = -1;
    DWORD ret = 0;
    if (WSAIoctl(s, SIO_WS2POSIX_GET_FD, NULL, 0, &fd, sizeof(fd), &ret, NULL,
                 NULL) == SOCKET_ERROR)
        return -1;
    return fd;
}
