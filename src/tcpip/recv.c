#include "tcpip/tcpip.h"
int WSPAPI ws2__WSPRecv(SOCKET s, LPWSABUF b, DWORD n, LPDWORD got, LPDWORD f,
                        LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                        LPWSATHREADID t, LPINT e)
{ (void)s,(void)b,(void)n,(void)got,(void)f,(void)ov,(void)cr,(void)t; return ws2__tcpip_fail(e, WSAEOPNOTSUPP); }
int WSPAPI ws2__WSPRecvFrom(SOCKET s, LPWSABUF b, DWORD n, LPDWORD got, LPDWORD f,
                            struct sockaddr *fr, LPINT fl, LPWSAOVERLAPPED ov,
                            LPWSAOVERLAPPED_COMPLETION_ROUTINE cr, LPWSATHREADID t, LPINT e)
{ (void)s,(void)b,(void)n,(void)got,(void)f,(void)fr,(void)fl,(void)ov,(void)cr,(void)t; return ws2__tcpip_fail(e, WSAEOPNOTSUPP); }
