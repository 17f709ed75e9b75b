/*
 * ipaddr.c - IP addresses as text, the Windows way: the parsers and
 * printers that Windows keeps in ntdll (RtlIpv4StringToAddress,
 * RtlIpv6AddressToString and their Ex forms). Shared by the API's inet_*
 * and name functions and by the base provider's WSPStringToAddress /
 * WSPAddressToString; it knows no socket and no layer.
 *
 * The parsers read narrow or wide text alike and report where they
 * stopped: Windows separates "a valid address followed by something" from
 * "no address at all", and its callers differ in what they do with the
 * first (inet_pton stores the address and still fails, inet_addr accepts a
 * trailing blank, WSAStringToAddress reads a port after ':').
 */
#include <stdio.h>
#include <string.h>

#include "util/ipaddr.h"

/* One character of narrow (char) or wide (WCHAR) text. */
unsigned ws2__text_at(const void *s, int wide, size_t i)
{
    return wide ? ((const uint16_t *)s)[i] : ((const unsigned char *)s)[i];
}

int ws2__is_dec(unsigned c)
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
int ws2__ip_loose_number(const void *s, int wide, size_t *i, uint32_t *out,
                        int *overflow)
{
    size_t p = *i;
    uint32_t v = 0;
    uint64_t big = 0;
    unsigned c = ws2__text_at(s, wide, p);
    if (!ws2__is_dec(c))
        return -1;
    if (c == '0' && (ws2__text_at(s, wide, p + 1) | 0x20) == 'x') {
        size_t start = p += 2;
        for (int d; (d = hex_val(ws2__text_at(s, wide, p))) >= 0; p++) {
            v = v * 16 + (uint32_t)d;
            big = big > 0xffffffffu ? big : big * 16 + (unsigned)d;
        }
        if (p == start)
            return -1;
    } else if (c == '0' && ws2__is_dec(ws2__text_at(s, wide, p + 1))) {
        size_t start = ++p;
        for (; (c = ws2__text_at(s, wide, p)) >= '0' && c <= '7'; p++) {
            v = v * 8 + (c - '0');
            big = big > 0xffffffffu ? big : big * 8 + (c - '0');
        }
        if (p == start)
            return -1;
    } else {
        for (; ws2__is_dec(c = ws2__text_at(s, wide, p)); p++) {
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
    unsigned c = ws2__text_at(s, wide, p);
    if (!ws2__is_dec(c))
        return -1;
    if (c == '0' && (ws2__is_dec(ws2__text_at(s, wide, p + 1)) ||
                     (ws2__text_at(s, wide, p + 1) | 0x20) == 'x'))
        return -1;
    for (; ws2__is_dec(c = ws2__text_at(s, wide, p)); p++) {
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
                       : ws2__ip_loose_number(s, wide, &i, &part[n], NULL);
        if (r)
            return -1;
        n++;
        if (ws2__text_at(s, wide, i) != '.')
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
        if (k && ws2__text_at(s, wide, p++) != '.')
            return -1;
        unsigned v = 0, c;
        size_t start = p;
        for (; ws2__is_dec(c = ws2__text_at(s, wide, p)); p++)
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
    if (ws2__text_at(s, wide, 0) == ':') {
        if (ws2__text_at(s, wide, 1) != ':')
            return -1;
        gap = 0;
        i = 2;
        if (hex_val(ws2__text_at(s, wide, i)) < 0)
            goto done;
    }
    for (;;) {
        size_t start = i;
        unsigned v = 0;
        int d;
        while ((d = hex_val(ws2__text_at(s, wide, i))) >= 0) {
            if (i - start == 4)
                return -1;
            v = v * 16 + (unsigned)d;
            i++;
        }
        if (i == start)
            return -1;
        if (ws2__text_at(s, wide, i) == '.') {
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
        if (n == 8 || ws2__text_at(s, wide, i) != ':')
            break;
        if (ws2__text_at(s, wide, i + 1) == ':') {
            if (gap >= 0)
                break; /* a second "::" ends the address */
            gap = n;
            i += 2;
            if (hex_val(ws2__text_at(s, wide, i)) < 0)
                break;
            continue;
        }
        if (hex_val(ws2__text_at(s, wide, i + 1)) < 0)
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
