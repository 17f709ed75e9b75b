/* addrstr.c - placeholder until address strings land. */
#include "tcpip/tcpip.h"

INT WSPAPI ws2__WSPAddressToString(LPSOCKADDR a, DWORD alen,
                                   LPWSAPROTOCOL_INFOW info, LPWSTR str,
                                   LPDWORD slen, LPINT lpErrno)
{
    (void)a, (void)alen, (void)info, (void)str, (void)slen;
    return ws2__tcpip_fail(lpErrno, WSAEINVAL);
}
INT WSPAPI ws2__WSPStringToAddress(LPWSTR str, INT af,
                                   LPWSAPROTOCOL_INFOW info, LPSOCKADDR a,
                                   LPINT alen, LPINT lpErrno)
{
    (void)str, (void)af, (void)info, (void)a, (void)alen;
    return ws2__tcpip_fail(lpErrno, WSAEINVAL);
}
