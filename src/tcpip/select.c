/* select.c - placeholder until select and WSAPoll land. */
#include "tcpip/tcpip.h"

int WSPAPI ws2__WSPSelect(int nfds, fd_set *r, fd_set *w, fd_set *e,
                          const struct timeval *t, LPINT lpErrno)
{
    (void)nfds, (void)r, (void)w, (void)e, (void)t;
    return ws2__tcpip_fail(lpErrno, WSAEOPNOTSUPP);
}
int ws2__tcpip_poll(WS2POSIX_POLL_ARGS *args, LPINT lpErrno)
{
    (void)args;
    return ws2__tcpip_fail(lpErrno, WSAEOPNOTSUPP);
}
