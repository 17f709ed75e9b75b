/*
 * iflist.c - the base provider's interface queries, WSPIoctl's
 * SIO_ADDRESS_LIST_QUERY, SIO_GET_INTERFACE_LIST and
 * SIO_ROUTING_INTERFACE_QUERY, over the Linux answers of lxif.c.
 *
 * Microsoft's pages: "SIO_ADDRESS_LIST_QUERY Control Code" (the addresses
 * of the socket's family an application can bind to, some left out; a
 * SOCKET_ADDRESS_LIST; too small a buffer is WSAEFAULT with the size
 * needed in lpcbBytesReturned) and "Winsock IOCTLs" (SIO_GET_INTERFACE_LIST:
 * an INTERFACE_INFO per unicast address, mandatory for a TCP/IP provider;
 * SIO_ROUTING_INTERFACE_QUERY: the local interface address for a remote
 * one, WSAEFAULT with the size needed, WSAENETUNREACH when no interface
 * reaches it; SIO_GET_BROADCAST_ADDRESS: "a suitable broadcast address for
 * use with sendto/WSASendTo", WSAENOPROTOOPT on an IPv6 socket).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tcpip/tcpip.h"
#include "ws2tcpip.h"

_Static_assert(WS2__IF_UP == IFF_UP && WS2__IF_BROADCAST == IFF_BROADCAST &&
                   WS2__IF_LOOPBACK == IFF_LOOPBACK &&
                   WS2__IF_P2P == IFF_POINTTOPOINT &&
                   WS2__IF_MULTICAST == IFF_MULTICAST,
               "lxif.c gives Windows' interface flags");

static int is_loopback_or_link_local(const struct ws2__lx_ifaddr *a)
{
    const unsigned char *b;
    if (a->len == (int)sizeof(SOCKADDR_IN)) {
        b = (const unsigned char *)a->addr + offsetof(SOCKADDR_IN, sin_addr);
        return b[0] == 127 || (b[0] == 169 && b[1] == 254);
    }
    b = (const unsigned char *)a->addr + offsetof(SOCKADDR_IN6, sin6_addr);
    static const unsigned char one[16] = {[15] = 1};
    return !memcmp(b, one, 16) || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
}

/* The page's exclusions: an address whose duplicate address detection
 * state is not preferred, and the loopback and link-local addresses of a
 * loopback interface (the same addresses on another interface stay). */
static int bindable(const struct ws2__lx_ifaddr *a)
{
    if (a->flags & WS2__IF_NOT_PREFERRED)
        return 0;
    return !((a->flags & WS2__IF_LOOPBACK) && is_loopback_or_link_local(a));
}

int ws2__tcpip_addr_list(const struct ws2__tsock *sk, void *out,
                         DWORD outlen, LPDWORD ret)
{
    struct ws2__lx_ifaddr *a;
    int n = ws2__lx_ifaddrs(sk->af, &a);
    if (n < 0)
        return ws2__wsa_error(-n, WS2__OP_ANY);
    int k = 0;
    size_t bytes = 0;
    for (int i = 0; i < n; i++)
        if (bindable(&a[i])) {
            a[k] = a[i];
            bytes += (size_t)a[k++].len;
        }
    size_t head = SIZEOF_SOCKET_ADDRESS_LIST(k);
    *ret = (DWORD)(head + bytes);
    if (ws2__bad_ptr(out) || outlen < head + bytes) {
        free(a);
        return WSAEFAULT;
    }
    /* memcpy throughout: the caller's buffer need not be aligned. */
    char *p = (char *)out + head;
    INT count = k;
    memcpy(out, &count, sizeof(count));
    for (int i = 0; i < k; i++) {
        SOCKET_ADDRESS sa = {(LPSOCKADDR)(void *)p, a[i].len};
        memcpy((char *)out + SIZEOF_SOCKET_ADDRESS_LIST(i), &sa, sizeof(sa));
        memcpy(p, a[i].addr, (size_t)a[i].len);
        p += a[i].len;
    }
    free(a);
    return 0;
}

/* An IPv4 address of INTERFACE_INFO: the family set, no port. */
static void gen4(sockaddr_gen *g, const unsigned char *waddr)
{
    memset(g, 0, sizeof(*g));
    g->AddressIn.sin_family = AF_INET;
    memcpy(&g->AddressIn.sin_addr, waddr + offsetof(SOCKADDR_IN, sin_addr),
           sizeof(IN_ADDR));
}

int ws2__tcpip_interface_list(const struct ws2__tsock *sk, void *out,
                              DWORD outlen, LPDWORD ret)
{
    /* "If ... the level member of the socket s parameter is not defined
     * as IPPROTO_IP, WSAEINVAL is returned": an IPv4 socket's query. */
    if (sk->af != AF_INET)
        return WSAEINVAL;
    struct ws2__lx_ifaddr *a;
    int n = ws2__lx_ifaddrs(AF_INET, &a);
    if (n < 0)
        return ws2__wsa_error(-n, WS2__OP_ANY);
    size_t need = (size_t)n * sizeof(INTERFACE_INFO);
    /* Too small a buffer answers 0 bytes (ReactOS's WSAIoctl test, run
     * against Windows), not the size needed. */
    *ret = 0;
    if (ws2__bad_ptr(out) || outlen < need) {
        free(a);
        return WSAEFAULT;
    }
    static const unsigned char all_ones[sizeof(SOCKADDR_IN)] = {
        [offsetof(SOCKADDR_IN, sin_addr)] = 0xff, 0xff, 0xff, 0xff};
    for (int i = 0; i < n; i++) {
        INTERFACE_INFO ii;
        ii.iiFlags = a[i].flags & (IFF_UP | IFF_BROADCAST | IFF_LOOPBACK |
                                   IFF_POINTTOPOINT | IFF_MULTICAST);
        gen4(&ii.iiAddress, a[i].addr);
        gen4(&ii.iiNetmask, a[i].mask);
        /* Windows gives the limited broadcast address, not the subnet's;
         * a point-to-point link's "broadcast" is the other end. */
        gen4(&ii.iiBroadcastAddress,
             a[i].flags & WS2__IF_P2P         ? a[i].peer
             : a[i].flags & WS2__IF_BROADCAST ? all_ones
                                              : a[i].peer);
        memcpy((char *)out + (size_t)i * sizeof(ii), &ii, sizeof(ii));
    }
    free(a);
    *ret = (DWORD)need;
    return 0;
}

int ws2__tcpip_route_query(const struct ws2__tsock *sk, const void *in,
                           DWORD inlen, void *out, DWORD outlen,
                           LPDWORD ret)
{
    *ret = 0;
    if (ws2__bad_ptr(in) || inlen < sizeof(SOCKADDR_IN))
        return WSAEFAULT;
    ADDRESS_FAMILY fam;
    memcpy(&fam, in, sizeof(fam));
    if (fam != sk->af)
        return WSAEINVAL;
    unsigned char local[sizeof(SOCKADDR_IN6)];
    int len = (int)sizeof(local);
    int r = ws2__lx_route_source(in, (int)inlen, local, &len);
    if (r == -EFAULT)
        return WSAEFAULT;
    if (r < 0)
        return ws2__wsa_error(-r, WS2__OP_CONNECT);
    *ret = (DWORD)len;
    if (ws2__bad_ptr(out) || outlen < (DWORD)len)
        return WSAEFAULT;
    memcpy(out, local, (size_t)len);
    return 0;
}

int ws2__tcpip_broadcast_address(const struct ws2__tsock *sk, void *out,
                                 DWORD outlen, LPDWORD ret)
{
    *ret = 0;
    if (sk->af != AF_INET)
        return WSAENOPROTOOPT;
    SOCKADDR_IN b = {.sin_family = AF_INET};
    b.sin_addr.s_addr = 0xffffffffu;
    if (ws2__bad_ptr(out) || outlen < sizeof(b))
        return WSAEFAULT;
    memcpy(out, &b, sizeof(b));
    *ret = sizeof(b);
    return 0;
}
