/*
 * addrstr.c - the base provider's WSPStringToAddress and
 * WSPAddressToString: socket addresses as Windows writes them
 * ("1.2.3.4:80", "[fe80::1%3]:80"), on the text helpers of util/ipaddr.c.
 */
#include <stdio.h>
#include <string.h>

#include "tcpip/tcpip.h"
#include "util/ipaddr.h"

/* ---- the provider's functions ---- */

/* A port after ':' as WSAStringToAddress reads it: any base of the loose
 * IPv4 form, the whole rest of the text, 1..65535 (0 is refused). */
static int parse_port(const WCHAR *s, size_t i, USHORT *port)
{
    uint32_t v;
    int overflow;
    size_t p = i;
    if (ws2__ip_loose_number(s, 1, &p, &v, &overflow) || overflow ||
        ws2__text_at(s, 1, p) != 0 || v == 0 || v > 65535)
        return -1;
    *port = (USHORT)(v >> 8 | (v & 0xff) << 8);
    return 0;
}

static int parse_scope(const WCHAR *s, size_t *i, ULONG *scope)
{
    size_t p = *i;
    uint64_t v = 0;
    for (; ws2__is_dec(ws2__text_at(s, 1, p)); p++) {
        v = v * 10 + (ws2__text_at(s, 1, p) - '0');
        if (v > 0xffffffffu)
            return -1;
    }
    if (p == *i)
        return -1;
    *i = p;
    *scope = (ULONG)v;
    return 0;
}

static int string_to_v4(const WCHAR *s, SOCKADDR_IN *sin)
{
    uint8_t a[4];
    size_t end;
    if (ws2__ip4_parse(s, 1, 0, a, &end))
        return -1;
    /* Windows stores the address before it looks at what follows. */
    memcpy(&sin->sin_addr, a, 4);
    if (s[end] == ':')
        return parse_port(s, end + 1, &sin->sin_port);
    return s[end] ? -1 : 0;
}

/* "addr", "addr%scope", "[addr]", "[addr%scope]", either bracketed form
 * followed by ":port". */
static int string_to_v6(const WCHAR *s, SOCKADDR_IN6 *sin6)
{
    int bracket = s[0] == '[';
    const WCHAR *t = s + bracket;
    uint8_t a[16];
    size_t i;
    ULONG scope = 0;
    USHORT port = 0;
    if (ws2__ip6_parse(t, 1, a, &i))
        return -1;
    if (t[i] == '%') {
        i++;
        if (parse_scope(t, &i, &scope))
            return -1;
    }
    if (bracket) {
        if (t[i++] != ']')
            return -1;
        if (t[i] == ':' && parse_port(t, i + 1, &port))
            return -1;
        if (t[i] != ':' && t[i] != 0)
            return -1;
    } else if (t[i] != 0) {
        return -1;
    }
    memcpy(&sin6->sin6_addr, a, 16);
    sin6->sin6_scope_id = scope;
    sin6->sin6_port = port;
    return 0;
}

INT WSPAPI ws2__WSPStringToAddress(LPWSTR str, INT af,
                                   LPWSAPROTOCOL_INFOW info, LPSOCKADDR a,
                                   LPINT alen, LPINT lpErrno)
{
    (void)info;
    int need;
    if (af == AF_INET)
        need = (int)sizeof(SOCKADDR_IN);
    else if (af == AF_INET6)
        need = (int)sizeof(SOCKADDR_IN6);
    else
        return ws2__tcpip_fail(lpErrno, WSAEINVAL);
    if (!alen)
        return ws2__tcpip_fail(lpErrno, WSAEFAULT);
    /* The size is checked before the text: a short buffer is reported
     * with the size it needs even for text that would not parse. */
    if (*alen < need || !a) {
        *alen = need;
        return ws2__tcpip_fail(lpErrno, WSAEFAULT);
    }
    if (!str)
        return ws2__tcpip_fail(lpErrno, WSAEINVAL);
    memset(a, 0, (size_t)need);
    int r = af == AF_INET ? string_to_v4(str, (SOCKADDR_IN *)a)
                          : string_to_v6(str, (SOCKADDR_IN6 *)a);
    if (r) {
        a->sa_family = 0;
        return ws2__tcpip_fail(lpErrno, WSAEINVAL);
    }
    a->sa_family = (ADDRESS_FAMILY)af;
    *alen = need;
    return 0;
}

static USHORT port_of(USHORT net)
{
    return (USHORT)(net >> 8 | (net & 0xff) << 8);
}

/* The text of a socket address, or 0 for one we cannot print. */
static size_t address_text(const SOCKADDR *a, DWORD alen, char *out)
{
    if (a->sa_family == AF_INET && alen >= sizeof(SOCKADDR_IN)) {
        const SOCKADDR_IN *sin = (const SOCKADDR_IN *)a;
        size_t n = ws2__ip4_format((const uint8_t *)&sin->sin_addr, out);
        if (sin->sin_port)
            n += (size_t)sprintf(out + n, ":%u", port_of(sin->sin_port));
        return n;
    }
    if (a->sa_family == AF_INET6 && alen >= sizeof(SOCKADDR_IN6)) {
        const SOCKADDR_IN6 *sin6 = (const SOCKADDR_IN6 *)a;
        size_t n = 0;
        if (sin6->sin6_port)
            out[n++] = '[';
        n += ws2__ip6_format(sin6->sin6_addr.u.Byte, out + n);
        if (sin6->sin6_scope_id)
            n += (size_t)sprintf(out + n, "%%%u", sin6->sin6_scope_id);
        if (sin6->sin6_port)
            n += (size_t)sprintf(out + n, "]:%u", port_of(sin6->sin6_port));
        return n;
    }
    return 0;
}

INT WSPAPI ws2__WSPAddressToString(LPSOCKADDR a, DWORD alen,
                                   LPWSAPROTOCOL_INFOW info, LPWSTR str,
                                   LPDWORD slen, LPINT lpErrno)
{
    (void)info;
    char text[80];
    if (!a || !slen || alen < sizeof(a->sa_family))
        return ws2__tcpip_fail(lpErrno, WSAEINVAL);
    size_t n = address_text(a, alen, text);
    if (!n)
        return ws2__tcpip_fail(lpErrno, WSAEINVAL);
    if (!str || *slen < n + 1) {
        *slen = (DWORD)(n + 1);
        return ws2__tcpip_fail(lpErrno, WSAEFAULT);
    }
    for (size_t i = 0; i <= n; i++)
        str[i] = (unsigned char)text[i];
    *slen = (DWORD)(n + 1);
    return 0;
}
