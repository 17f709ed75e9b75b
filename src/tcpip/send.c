#include "tcpip/tcpip.h"
int WSPAPI ws2__WSPSend(SOCKET s, LPWSABUF b, DWORD n, LPDWORD sent, DWORD f,
                        LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                        LPWSATHREADID t, LPINT e)
{ (void)s,(void)b,(void)n,(void)sent,(void)f,(void)ov,(void)cr,(void)t; return ws2__tcpip_fail(e, WSAEOPNOTSUPP); }
int WSPAPI ws2__WSPSendTo(SOCKET s, LPWSABUF b, DWORD n, LPDWORD sent, DWORD f,
                          const struct sockaddr *to, int tl, LPWSAOVERLAPPED ov,
                          LPWSAOVERLAPPED_COMPLETION_ROUTINE cr, LPWSATHREADID t, LPINT e)
{ (void)s,(void)b,(void)n,(void)sent,(void)f,(void)to,(void)tl,(void)ov,(void)cr,(void)t; return ws2__tcpip_fail(e, WSAEOPNOTSUPP); }
