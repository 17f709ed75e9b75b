/*
 * complete.c - WPUCompleteOverlappedRequest: how a provider reports that an
 * overlapped request finished when no completion routine was given.
 */
#include "api/api.h"

WS2_EXPORT int WSPAPI WPUCompleteOverlappedRequest(SOCKET s,
                                                   LPWSAOVERLAPPED ov,
                                                   DWORD dwError,
                                                   DWORD cbTransferred,
                                                   LPINT lpErrno)
{
    (void)s, (void)ov, (void)dwError, (void)cbTransferred;
    *lpErrno = WSAEOPNOTSUPP;
    return SOCKET_ERROR;
}
