/*
 * addr.c - addresses as text at the API: inet_addr, inet_ntoa, inet_pton,
 * inet_ntop and their wide forms (pure conversions that work without
 * WSAStartup, as on Windows), WSAStringToAddress and WSAAddressToString
 * (dispatched to the provider of the family's first catalog entry), and
 * the in6addr_any / in6addr_loopback constants.
 *
 * The text rules themselves live in src/tcpip/addrstr.c, shared with the
 * base provider the way Windows shares ntdll's Rtl* address functions.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "util/ipaddr.h"
#include "ws2tcpip.h"


WS2_EXPORT const IN6_ADDR in6addr_any = IN6ADDR_ANY_INIT;
WS2_EXPORT const IN6_ADDR in6addr_loopback = IN6ADDR_LOOPBACK_INIT;

/* ---- inet_addr, inet_ntoa ---- */

static int c_space(unsigned c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Windows reads the BSD forms (hex, octal, fewer than four parts), lets
 * white space end the address, returns 0 for the single-blank string " "
 * and never touches the last error except for a NULL pointer. */
WS2_EXPORT ULONG WSAAPI inet_addr(const char *cp)
{
    uint8_t a[4];
    size_t end;
    ULONG v;
    if (!cp) {
        ws2__last_error = WSAEFAULT;
        return INADDR_NONE;
    }
    if (cp[0] == ' ' && cp[1] == 0)
        return 0;
    if (ws2__ip4_parse(cp, 0, 0, a, &end) ||
        (cp[end] && !c_space((unsigned char)cp[end])))
        return INADDR_NONE;
    memcpy(&v, a, 4);
    return v;
}

WS2_EXPORT char *WSAAPI inet_ntoa(struct in_addr in)
{
    static _Thread_local char buf[16];
    ws2__ip4_format((const uint8_t *)&in, buf);
    return buf;
}

/* ---- inet_pton, inet_ntop and the wide forms ---- */

/* A parse that stopped early still stores the address it read: Windows
 * does, and its callers see 0 returned with the buffer changed. */
static int pton(INT af, const void *s, int wide, PVOID buf)
{
    uint8_t a[16];
    size_t end, n;
    int r;
    if (!s || !buf) {
        ws2__last_error = WSAEFAULT;
        return -1;
    }
    if (af == AF_INET) {
        r = ws2__ip4_parse(s, wide, 1, a, &end);
        n = 4;
    } else if (af == AF_INET6) {
        r = ws2__ip6_parse(s, wide, a, &end);
        n = 16;
    } else {
        ws2__last_error = WSAEAFNOSUPPORT;
        return -1;
    }
    if (r)
        return 0;
    memcpy(buf, a, n);
    return wide ? ((const WCHAR *)s)[end] == 0 : ((const char *)s)[end] == 0;
}

WS2_EXPORT INT WSAAPI inet_pton(INT Family, PCSTR pszAddrString,
                                PVOID pAddrBuf)
{
    return pton(Family, pszAddrString, 0, pAddrBuf);
}

/* The wide form also sets WSAEINVAL for text that is not an address. */
WS2_EXPORT INT WSAAPI InetPtonW(INT Family, PCWSTR pszAddrString,
                                PVOID pAddrBuf)
{
    int r = pton(Family, pszAddrString, 1, pAddrBuf);
    if (r == 0)
        ws2__last_error = WSAEINVAL;
    return r;
}

/* The text of an address, or 0 with the last error set. */
static size_t ntop(INT af, const VOID *addr, char *text)
{
    if (af != AF_INET && af != AF_INET6) {
        ws2__last_error = WSAEAFNOSUPPORT;
        return 0;
    }
    if (!addr) {
        ws2__last_error = WSAEFAULT;
        return 0;
    }
    return af == AF_INET ? ws2__ip4_format(addr, text)
                         : ws2__ip6_format(addr, text);
}

WS2_EXPORT PCSTR WSAAPI inet_ntop(INT Family, const VOID *pAddr,
                                  PSTR pStringBuf, size_t StringBufSize)
{
    char text[64];
    size_t n = ntop(Family, pAddr, text);
    if (!n)
        return NULL;
    if (!pStringBuf || StringBufSize < n + 1) {
        ws2__last_error = WSAEINVAL;
        return NULL;
    }
    memcpy(pStringBuf, text, n + 1);
    return pStringBuf;
}

WS2_EXPORT PCWSTR WSAAPI InetNtopW(INT Family, const VOID *pAddr,
                                   PWSTR pStringBuf, size_t StringBufSize)
{
    char text[64];
    size_t n = ntop(Family, pAddr, text);
    if (!n)
        return NULL;
    if (!pStringBuf || StringBufSize < n + 1) {
        ws2__last_error = WSAEINVAL;
        return NULL;
    }
    for (size_t i = 0; i <= n; i++)
        pStringBuf[i] = (unsigned char)text[i];
    return pStringBuf;
}

/* ---- WSAStringToAddress, WSAAddressToString ---- */

/* The catalog entry that converts for af: the caller's, or the first one
 * of the family that is not a layered entry (only chains reach those). A
 * family no entry serves is WSAEINVAL, as documented. */
static const struct ws2__entry *converter(int af,
                                          const WSAPROTOCOL_INFOW *info,
                                          struct ws2__provider **prov,
                                          int *err)
{
    const struct ws2__entry *e = NULL;
    if (info) {
        e = ws2__catalog_find(info->dwCatalogEntryId);
    } else {
        unsigned n;
        const struct ws2__entry *all = ws2__catalog(&n);
        for (unsigned i = 0; i < n && !e; i++)
            if (all[i].info.iAddressFamily == af &&
                all[i].info.ProtocolChain.ChainLen != LAYERED_PROTOCOL)
                e = &all[i];
    }
    if (!e) {
        *err = WSAEINVAL;
        return NULL;
    }
    *err = ws2__provider_get(e, prov);
    return *err ? NULL : e;
}

static void info_a_to_w(const WSAPROTOCOL_INFOA *a, WSAPROTOCOL_INFOW *w)
{
    memcpy(w, a, offsetof(WSAPROTOCOL_INFOW, szProtocol));
    for (int i = 0; i <= WSAPROTOCOL_LEN; i++)
        w->szProtocol[i] = (unsigned char)a->szProtocol[i];
}

WS2_EXPORT int WSAAPI WSAStringToAddressW(LPWSTR AddressString,
                                          INT AddressFamily,
                                          LPWSAPROTOCOL_INFOW lpProtocolInfo,
                                          LPSOCKADDR lpAddress,
                                          LPINT lpAddressLength)
{
    int err;
    if (!ws2__started())
        return ws2__fail(WSANOTINITIALISED);
    struct ws2__provider *prov;
    const struct ws2__entry *e = converter(AddressFamily, lpProtocolInfo,
                                           &prov, &err);
    if (!e)
        return ws2__fail(err);
    WSAPROTOCOL_INFOW info = e->info;
    if (prov->proc.lpWSPStringToAddress(AddressString, AddressFamily,
                                        &info, lpAddress, lpAddressLength,
                                           &err) == SOCKET_ERROR)
        return ws2__fail(err);
    return 0;
}

WS2_EXPORT int WSAAPI WSAStringToAddressA(LPSTR AddressString,
                                          INT AddressFamily,
                                          LPWSAPROTOCOL_INFOA lpProtocolInfo,
                                          LPSOCKADDR lpAddress,
                                          LPINT lpAddressLength)
{
    WSAPROTOCOL_INFOW w;
    WCHAR *wide = NULL;
    if (!ws2__started())
        return ws2__fail(WSANOTINITIALISED);
    if (lpProtocolInfo)
        info_a_to_w(lpProtocolInfo, &w);
    if (AddressString) {
        size_t n = strlen(AddressString);
        wide = malloc((n + 1) * sizeof(WCHAR));
        if (!wide)
            return ws2__fail(WSA_NOT_ENOUGH_MEMORY);
        for (size_t i = 0; i <= n; i++)
            wide[i] = (unsigned char)AddressString[i];
    }
    int r = WSAStringToAddressW(wide, AddressFamily,
                                lpProtocolInfo ? &w : NULL, lpAddress,
                                lpAddressLength);
    free(wide);
    return r;
}

/* The family is read here to choose the provider, so the address must be
 * long enough to hold it. */
WS2_EXPORT int WSAAPI WSAAddressToStringW(LPSOCKADDR lpsaAddress,
                                          DWORD dwAddressLength,
                                          LPWSAPROTOCOL_INFOW lpProtocolInfo,
                                          LPWSTR lpszAddressString,
                                          LPDWORD lpdwAddressStringLength)
{
    int err;
    if (!ws2__started())
        return ws2__fail(WSANOTINITIALISED);
    if (!lpsaAddress || !lpdwAddressStringLength ||
        dwAddressLength < sizeof(lpsaAddress->sa_family))
        return ws2__fail(WSAEINVAL);
    struct ws2__provider *prov;
    const struct ws2__entry *e = converter(lpsaAddress->sa_family,
                                           lpProtocolInfo, &prov, &err);
    if (!e)
        return ws2__fail(err);
    WSAPROTOCOL_INFOW info = e->info;
    if (prov->proc.lpWSPAddressToString(lpsaAddress, dwAddressLength,
                                        &info, lpszAddressString,
                                           lpdwAddressStringLength,
                                           &err) == SOCKET_ERROR)
        return ws2__fail(err);
    return 0;
}

/* Lengths count characters in both forms (bytes here), with the NUL. */
WS2_EXPORT int WSAAPI WSAAddressToStringA(LPSOCKADDR lpsaAddress,
                                          DWORD dwAddressLength,
                                          LPWSAPROTOCOL_INFOA lpProtocolInfo,
                                          LPSTR lpszAddressString,
                                          LPDWORD lpdwAddressStringLength)
{
    WSAPROTOCOL_INFOW w;
    WCHAR text[128];
    DWORD n = sizeof(text) / sizeof(text[0]);
    if (!ws2__started())
        return ws2__fail(WSANOTINITIALISED);
    if (!lpdwAddressStringLength)
        return ws2__fail(WSAEINVAL);
    if (lpProtocolInfo)
        info_a_to_w(lpProtocolInfo, &w);
    if (WSAAddressToStringW(lpsaAddress, dwAddressLength,
                            lpProtocolInfo ? &w : NULL, text,
                            &n) == SOCKET_ERROR)
        return SOCKET_ERROR;
    if (!lpszAddressString || *lpdwAddressStringLength < n) {
        *lpdwAddressStringLength = n;
        return ws2__fail(WSAEFAULT);
    }
    for (DWORD i = 0; i < n; i++)
        lpszAddressString[i] = (char)text[i];
    *lpdwAddressStringLength = n;
    return 0;
}
