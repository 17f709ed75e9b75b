/*
 * lxif.c - the Linux side of the interface queries (SIO_ADDRESS_LIST_QUERY,
 * SIO_GET_INTERFACE_LIST, SIO_ROUTING_INTERFACE_QUERY): the local addresses
 * from getifaddrs, the IPv6 address states from /proc/net/if_inet6, and the
 * route's source address from a connected datagram socket. Like lx.c, it
 * sees the Linux headers so that iflist.c does not have to.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <ifaddrs.h>
#include <linux/if_addr.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tcpip/lx.h"

/* The IPv6 addresses Linux holds in a state other than preferred: still
 * in duplicate address detection, failed it, or deprecated. One line of
 * /proc/net/if_inet6 per address: 32 hex digits, then the interface index,
 * prefix length, scope and flags in hex, then the name. */
struct v6state {
    unsigned char addr[16];
    unsigned ifindex;
};

static int read_not_preferred(struct v6state **out)
{
    *out = NULL;
    FILE *f = fopen("/proc/net/if_inet6", "re");
    if (!f)
        return 0; /* no IPv6 in this kernel: nothing to leave out */
    int n = 0, cap = 0;
    char hex[33], name[IF_NAMESIZE + 1];
    unsigned ifindex, plen, scope, flags;
    while (fscanf(f, "%32s %x %x %x %x %16s", hex, &ifindex, &plen, &scope,
                  &flags, name) == 6) {
        if (!(flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED | IFA_F_DEPRECATED)))
            continue;
        if (n == cap) {
            int ncap = cap ? cap * 2 : 8;
            struct v6state *m = realloc(*out, (size_t)ncap * sizeof(**out));
            if (!m)
                break;
            *out = m;
            cap = ncap;
        }
        struct v6state *e = &(*out)[n];
        int ok = 1;
        for (int i = 0; i < 16; i++) {
            unsigned b;
            if (sscanf(hex + 2 * i, "%2x", &b) != 1)
                ok = 0;
            e->addr[i] = (unsigned char)b;
        }
        e->ifindex = ifindex;
        n += ok;
    }
    fclose(f);
    return n;
}

static int v6_listed(const struct v6state *bad, int nbad,
                     const struct sockaddr_in6 *a, unsigned ifindex)
{
    for (int i = 0; i < nbad; i++)
        if (bad[i].ifindex == ifindex &&
            !memcmp(bad[i].addr, &a->sin6_addr, 16))
            return 1;
    return 0;
}

static unsigned if_flags(unsigned lf)
{
    unsigned w = 0;
    if ((lf & IFF_UP) && (lf & IFF_RUNNING))
        w |= WS2__IF_UP;
    if (lf & IFF_BROADCAST)
        w |= WS2__IF_BROADCAST;
    if (lf & IFF_LOOPBACK)
        w |= WS2__IF_LOOPBACK;
    if (lf & IFF_POINTOPOINT)
        w |= WS2__IF_P2P;
    if (lf & IFF_MULTICAST)
        w |= WS2__IF_MULTICAST;
    return w;
}

/* addr and the rest in Windows layout; an IPv4 address's last octets in
 * its first bytes, as Windows and Linux both lay them out. */
static void put(const struct sockaddr *sa, unsigned char *w, int *wlen)
{
    unsigned len = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                             : sizeof(struct sockaddr_in);
    *wlen = WS2__LX_ADDR_MAX;
    ws2__lx_addr_out(sa, len, w, wlen);
}

int ws2__lx_ifaddrs(int waf, struct ws2__lx_ifaddr **out)
{
    int lfam = waf == 2 ? AF_INET : waf == 23 ? AF_INET6 : -1;
    *out = NULL;
    if (lfam < 0)
        return -EAFNOSUPPORT;
    struct ifaddrs *head;
    if (getifaddrs(&head) != 0)
        return -errno;
    int n = 0;
    for (struct ifaddrs *i = head; i; i = i->ifa_next)
        n += i->ifa_addr && i->ifa_addr->sa_family == lfam;
    struct ws2__lx_ifaddr *a = calloc(n ? (size_t)n : 1, sizeof(*a));
    struct v6state *bad = NULL;
    int nbad = lfam == AF_INET6 ? read_not_preferred(&bad) : 0;
    if (!a) {
        freeifaddrs(head);
        free(bad);
        return -ENOMEM;
    }
    int k = 0;
    for (struct ifaddrs *i = head; i && k < n; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != lfam)
            continue;
        struct ws2__lx_ifaddr *e = &a[k++];
        int len;
        e->flags = if_flags(i->ifa_flags);
        put(i->ifa_addr, e->addr, &e->len);
        if (i->ifa_netmask)
            put(i->ifa_netmask, e->mask, &len);
        if ((i->ifa_flags & IFF_POINTOPOINT) && i->ifa_dstaddr &&
            i->ifa_dstaddr->sa_family == lfam)
            put(i->ifa_dstaddr, e->peer, &len);
        if (lfam == AF_INET6 &&
            v6_listed(bad, nbad, (const struct sockaddr_in6 *)i->ifa_addr,
                      if_nametoindex(i->ifa_name)))
            e->flags |= WS2__IF_NOT_PREFERRED;
    }
    freeifaddrs(head);
    free(bad);
    *out = a;
    return k;
}

int ws2__lx_route_source(const void *wto, int wtolen, void *wlocal,
                         int *wlen)
{
    struct sockaddr_storage to, local;
    unsigned tolen;
    int r = ws2__lx_addr_in(wto, wtolen, &to, &tolen);
    if (r < 0)
        return r;
    if (to.ss_family != AF_INET && to.ss_family != AF_INET6)
        return -EAFNOSUPPORT;
    int fd = socket(to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    socklen_t llen = sizeof(local);
    if (connect(fd, (struct sockaddr *)&to, tolen) != 0 ||
        getsockname(fd, (struct sockaddr *)&local, &llen) != 0) {
        r = -errno;
        close(fd);
        return r;
    }
    close(fd);
    /* The interface's address: no port. */
    if (local.ss_family == AF_INET)
        ((struct sockaddr_in *)&local)->sin_port = 0;
    else
        ((struct sockaddr_in6 *)&local)->sin6_port = 0;
    ws2__lx_addr_out(&local, llen, wlocal, wlen);
    return 0;
}
