/* sockopt.c - placeholder until the socket options land. */
#include "tcpip/tcpip.h"

int WSPAPI ws2__WSPSetSockOpt(SOCKET s, int level, int optname,
                              const char *optval, int optlen, LPINT lpErrno)
{
    (void)s, (void)level, (void)optname, (void)optval, (void)optlen;
    return ws2__tcpip_fail(lpErrno, WSAENOPROTOOPT);
}
int WSPAPI ws2__WSPGetSockOpt(SOCKET s, int level, int optname, char *optval,
                              LPINT optlen, LPINT lpErrno)
{
    (void)s, (void)level, (void)optname, (void)optval, (void)optlen;
    return ws2__tcpip_fail(lpErrno, WSAENOPROTOOPT);
}
int WSPAPI ws2__WSPIoctl(SOCKET s, DWORD code, LPVOID in, DWORD inlen,
                         LPVOID out, DWORD outlen, LPDWORD ret,
                         LPWSAOVERLAPPED ov,
                         LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                         LPWSATHREADID tid, LPINT lpErrno)
{
    (void)s, (void)code, (void)in, (void)inlen, (void)out, (void)outlen,
        (void)ret, (void)ov, (void)cr, (void)tid;
    return ws2__tcpip_fail(lpErrno, WSAEOPNOTSUPP);
}
