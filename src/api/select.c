/*
 * select.c - select and WSAPoll. As on Windows, a select goes to the
 * provider of the first socket in its sets, which must serve them all;
 * WSAPoll goes to the provider of its first valid socket.
 */
#include "api/api.h"

WS2_EXPORT int WSAAPI __WSAFDIsSet(SOCKET fd, fd_set *set)
{
    for (u_int i = 0; i < set->fd_count; i++)
        if (set->fd_array[i] == fd)
            return 1;
    return 0;
}

static SOCKET first_socket(fd_set *a, fd_set *b, fd_set *c)
{
    fd_set *sets[3] = {a, b, c};
    for (int i = 0; i < 3; i++)
        if (sets[i] && sets[i]->fd_count)
            return sets[i]->fd_array[0];
    return INVALID_SOCKET;
}

WS2_EXPORT int WSAAPI ws2_select(int nfds, fd_set *readfds, fd_set *writefds,
                                 fd_set *exceptfds,
                                 const struct timeval *timeout)
{
    if (!ws2__started())
        return ws2__fail(WSANOTINITIALISED);
    SOCKET s = first_socket(readfds, writefds, exceptfds);
    if (s == INVALID_SOCKET)
        return ws2__fail(WSAEINVAL);
    struct ws2__call c;
    int err;
    if (!ws2__enter(s, &c))
        return SOCKET_ERROR;
    int r = c.proc->lpWSPSelect(nfds, readfds, writefds, exceptfds, timeout,
                                &err);
    return ws2__leave(&c, r, err);
}

WS2_EXPORT int WSAAPI WSAPoll(LPWSAPOLLFD fdArray, ULONG fds, INT timeout)
{
    if (!ws2__started())
        return ws2__fail(WSANOTINITIALISED);
    /* Windows: a NULL array is WSAEFAULT (Wine's test_WSAPoll); an empty
     * one WSAEINVAL as documented. */
    if (fds == 0)
        return ws2__fail(WSAEINVAL);
    if (!fdArray)
        return ws2__fail(WSAEFAULT);
    struct ws2__slot *slot = NULL;
    SOCKET s = INVALID_SOCKET;
    for (ULONG i = 0; i < fds && !slot; i++) {
        slot = ws2__handle_ref(fdArray[i].fd);
        s = fdArray[i].fd;
    }
    if (!slot) {
        /* Windows marks each entry invalid and fails the call as a whole
         * when not one of them is a socket (Wine's test_poll). */
        for (ULONG i = 0; i < fds; i++)
            fdArray[i].revents = POLLNVAL;
        return ws2__fail(WSAENOTSOCK);
    }
    WS2POSIX_POLL_ARGS args = {fdArray, fds, timeout};
    DWORD ready = 0;
    int err;
    int r = slot->prov->proc.lpWSPIoctl(s, SIO_WS2POSIX_POLL, &args,
                                        sizeof(args), NULL, 0, &ready, NULL,
                                        NULL, ws2__thread_id(), &err);
    struct ws2__call c = {slot, &slot->prov->proc};
    if (ws2__leave(&c, r, err) == SOCKET_ERROR)
        return SOCKET_ERROR;
    return (int)ready;
}
