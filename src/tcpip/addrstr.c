/*
 * addrstr.c - IP addresses as text, the Windows way: the parsers and
 * printers that Windows keeps in ntdll (RtlIpv4StringToAddress,
 * RtlIpv6AddressToString and their Ex forms), and the base provider's
 * WSPStringToAddress / WSPAddressToString built on them.
 *
 * The parsers read narrow or wide text alike and report where they
 * stopped: Windows separates "a valid address followed by something" from
 * "no address at all", and its callers differ in what they do with the
 * first (inet_pton stores the address and still fails, inet_addr accepts a
 * trailing blank, WSAStringToAddress reads a port after ':'). The helpers
 * are hidden ws2__ symbols that the API's inet_* and name functions share;
 * their prototypes are repeated in src/api/addr.c and src/api/netdb.c.
 */
#include <stdio.h>
#include <string.h>

#include "tcpip/tcpip.h"

/* One character of narrow (char) or wide (WCHAR) text. */
static unsigned at(const void *s, int wide, size_t i)
{
    return wide ? ((const uint16_t *)s)[i] : ((const unsigned char *)s)[i];
}

static int is_dec(unsigned c)
{
    return c >= '0' && c <= '9';
}

static int hex_val(unsigned c)
{
    if (c >= '0' && c <= '9')
        return (int)(c - '0');
    if (c >= 'a' && c <= 'f')
        return (int)(c - 'a' + 10);
    if (c >= 'A' && c <= 'F')
        return (int)(c - 'A' + 10);
    return -1;
}

/*
 * One number of the non-strict IPv4 form: "0x" then hex digits, "0" then
 * octal digits when a digit follows the 0, else decimal. Windows keeps the
 * value in 32 bits and lets it wrap ("0x123456789" reads as 0x23456789);
 * *overflow (when asked) says whether it did, for ports.
 * Returns 0 with the value and the index after it, -1 when there is no
 * number ("0x" alone, "08": a base was announced and no digit followed).
 */
static int loose_number(const void *s, int wide, size_t *i, uint32_t *out,
                        int *overflow)
{
    size_t p = *i;
    uint32_t v = 0;
    uint64_t big = 0;
    unsigned c = at(s, wide, p);
    if (!is_dec(c))
        return -1;
    if (c == '0' && (at(s, wide, p + 1) | 0x20) == 'x') {
        size_t start = p += 2;
        for (int d; (d = hex_val(at(s, wide, p))) >= 0; p++) {
            v = v * 16 + (uint32_t)d;
            big = big > 0xffffffffu ? big : big * 16 + (unsigned)d;
        }
        if (p == start)
            return -1;
    } else if (c == '0' && is_dec(at(s, wide, p + 1))) {
        size_t start = ++p;
        for (; (c = at(s, wide, p)) >= '0' && c <= '7'; p++) {
            v = v * 8 + (c - '0');
            big = big > 0xffffffffu ? big : big * 8 + (c - '0');
        }
        if (p == start)
            return -1;
    } else {
        for (; is_dec(c = at(s, wide, p)); p++) {
            v = v * 10 + (c - '0');
            big = big > 0xffffffffu ? big : big * 10 + (c - '0');
        }
    }
    *i = p;
    *out = v;
    if (overflow)
        *overflow = big > 0xffffffffu;
    return 0;
}

/* One number of the strict form: decimal, 0..255, no leading zero. */
static int strict_number(const void *s, int wide, size_t *i, uint32_t *out)
{
    size_t p = *i;
    uint32_t v = 0;
    unsigned c = at(s, wide, p);
    if (!is_dec(c))
        return -1;
    if (c == '0' && (is_dec(at(s, wide, p + 1)) ||
                     (at(s, wide, p + 1) | 0x20) == 'x'))
        return -1;
    for (; is_dec(c = at(s, wide, p)); p++) {
        v = v * 10 + (c - '0');
        if (v > 255)
            return -1;
    }
    *i = p;
    *out = v;
    return 0;
}

/*
 * IPv4 text to 4 bytes (network order). strict: exactly four decimal
 * parts, as inet_pton wants; otherwise the BSD forms a, a.b, a.b.c with
 * hex and octal parts, where the last part fills the remaining bytes.
 * Returns 0 and *end = index of the first character not taken, or -1.
 */
int ws2__ip4_parse(const void *s, int wide, int strict, uint8_t out[4],
                   size_t *end)
{
    uint32_t part[4];
    int n = 0;
    size_t i = 0;
    for (;;) {
        int r = strict ? strict_number(s, wide, &i, &part[n])
                       : loose_number(s, wide, &i, &part[n], NULL);
        if (r)
            return -1;
        n++;
        if (at(s, wide, i) != '.')
            break;
        if (n == 4)
            return -1;
        i++;
    }
    if (strict && n != 4)
        return -1;
    for (int k = 0; k < n - 1; k++)
        if (part[k] > 255)
            return -1;
    if ((uint64_t)part[n - 1] >> (8 * (5 - n)))
        return -1;
    uint32_t v = part[n - 1];
    for (int k = 0; k < n - 1; k++)
        v |= part[k] << (24 - 8 * k);
    out[0] = (uint8_t)(v >> 24);
    out[1] = (uint8_t)(v >> 16);
    out[2] = (uint8_t)(v >> 8);
    out[3] = (uint8_t)v;
    *end = i;
    return 0;
}

/* The dotted quad that may end an IPv6 address: four decimal parts of one
 * to three digits each (leading zeros allowed, "001"), 0..255. */
static int ip6_tail(const void *s, int wide, size_t *i, uint8_t out[4])
{
    size_t p = *i;
    for (int k = 0; k < 4; k++) {
        if (k && at(s, wide, p++) != '.')
            return -1;
        unsigned v = 0, c;
        size_t start = p;
        for (; is_dec(c = at(s, wide, p)); p++)
            v = v * 10 + (c - '0');
        if (p == start || p - start > 3 || v > 255)
            return -1;
        out[k] = (uint8_t)v;
    }
    *i = p;
    return 0;
}

/*
 * IPv6 text (no brackets, no scope) to 16 bytes. Groups of one to four
 * hex digits, one "::" standing for at least one zero group, an optional
 * dotted quad in the last 32 bits. Reading stops after the eighth group,
 * at a second "::", or at any other character; the caller decides what
 * may follow. Returns 0 and *end, or -1.
 */
int ws2__ip6_parse(const void *s, int wide, uint8_t out[16], size_t *end)
{
    uint16_t w[8];
    int n = 0, gap = -1;
    size_t i = 0;
    if (at(s, wide, 0) == ':') {
        if (at(s, wide, 1) != ':')
            return -1;
        gap = 0;
        i = 2;
        if (hex_val(at(s, wide, i)) < 0)
            goto done;
    }
    for (;;) {
        size_t start = i;
        unsigned v = 0;
        int d;
        while ((d = hex_val(at(s, wide, i))) >= 0) {
            if (i - start == 4)
                return -1;
            v = v * 16 + (unsigned)d;
            i++;
        }
        if (i == start)
            return -1;
        if (at(s, wide, i) == '.') {
            uint8_t q[4];
            size_t p = start;
            if (n > 6 || ip6_tail(s, wide, &p, q))
                return -1;
            w[n++] = (uint16_t)(q[0] << 8 | q[1]);
            w[n++] = (uint16_t)(q[2] << 8 | q[3]);
            i = p;
            break;
        }
        w[n++] = (uint16_t)v;
        if (n == 8 || at(s, wide, i) != ':')
            break;
        if (at(s, wide, i + 1) == ':') {
            if (gap >= 0)
                break; /* a second "::" ends the address */
            gap = n;
            i += 2;
            if (hex_val(at(s, wide, i)) < 0)
                break;
            continue;
        }
        if (hex_val(at(s, wide, i + 1)) < 0)
            return -1;
        i++;
    }
done:
    if (gap < 0 ? n != 8 : n > 7)
        return -1;
    memset(out, 0, 16);
    int tail = gap < 0 ? 0 : n - gap;
    int head = n - tail;
    for (int k = 0; k < head; k++) {
        out[2 * k] = (uint8_t)(w[k] >> 8);
        out[2 * k + 1] = (uint8_t)w[k];
    }
    for (int k = 0; k < tail; k++) {
        out[2 * (8 - tail + k)] = (uint8_t)(w[head + k] >> 8);
        out[2 * (8 - tail + k) + 1] = (uint8_t)w[head + k];
    }
    *end = i;
    return 0;
}

/* "a.b.c.d"; out holds at least 16 bytes. Returns the length. */
size_t ws2__ip4_format(const uint8_t a[4], char *out)
{
    return (size_t)sprintf(out, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
}

/* Does Windows print the last 32 bits as a dotted quad? For compatible
 * (::a.b.c.d), mapped (::ffff:a.b.c.d), translated (::ffff:0:a.b.c.d)
 * addresses when the quad's first half is not zero, and for ISATAP
 * (<prefix>:0:5efe:a.b.c.d or :200:5efe:) always. */
static int v4_tail(const uint16_t w[8])
{
    if (w[0] == 0 && w[1] == 0 && w[2] == 0 && w[3] == 0 && w[6] != 0) {
        if (w[4] == 0 && (w[5] == 0 || w[5] == 0xffff))
            return 1;
        if (w[4] == 0xffff && w[5] == 0)
            return 1;
    }
    return (w[4] == 0 || w[4] == 0x0200) && w[5] == 0x5efe;
}

/* IPv6 as Windows prints it: lower-case hex without leading zeros, the
 * first longest run of two or more zero groups as "::", the IPv4 forms
 * above with a dotted quad. out holds at least 46 bytes. */
size_t ws2__ip6_format(const uint8_t a[16], char *out)
{
    uint16_t w[8];
    for (int k = 0; k < 8; k++)
        w[k] = (uint16_t)(a[2 * k] << 8 | a[2 * k + 1]);
    int groups = v4_tail(w) ? 6 : 8;
    int best = -1, best_len = 1;
    for (int k = 0; k < groups;) {
        int j = k;
        while (j < groups && w[j] == 0)
            j++;
        if (j - k > best_len) {
            best = k;
            best_len = j - k;
        }
        k = j == k ? k + 1 : j;
    }
    char *p = out;
    for (int k = 0; k < groups; k++) {
        if (k == best) {
            *p++ = ':';
            *p++ = ':';
            k += best_len - 1;
            continue;
        }
        if (k && k != best + best_len)
            *p++ = ':';
        p += sprintf(p, "%x", w[k]);
    }
    if (groups == 6) {
        if (p[-1] != ':')
            *p++ = ':';
        p += ws2__ip4_format(a + 12, p);
    }
    *p = 0;
    return (size_t)(p - out);
}

/* ---- the provider's functions ---- */

/* A port after ':' as WSAStringToAddress reads it: any base of the loose
 * IPv4 form, the whole rest of the text, 1..65535 (0 is refused). */
static int parse_port(const WCHAR *s, size_t i, USHORT *port)
{
    uint32_t v;
    int overflow;
    size_t p = i;
    if (loose_number(s, 1, &p, &v, &overflow) || overflow ||
        at(s, 1, p) != 0 || v == 0 || v > 65535)
        return -1;
    *port = (USHORT)(v >> 8 | (v & 0xff) << 8);
    return 0;
}

static int parse_scope(const WCHAR *s, size_t *i, ULONG *scope)
{
    size_t p = *i;
    uint64_t v = 0;
    for (; is_dec(at(s, 1, p)); p++) {
        v = v * 10 + (at(s, 1, p) - '0');
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
