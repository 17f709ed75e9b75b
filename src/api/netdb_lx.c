/*
 * netdb_lx.c - the Linux side of name resolution: libc's getaddrinfo,
 * getnameinfo, gethostbyname2_r, gethostbyaddr_r, getservbyname_r and
 * getservbyport_r, with their errors turned into Windows codes. The only
 * file of the API that sees <netdb.h>; netdb.c is the Windows side.
 *
 * Addresses cross the boundary as bytes with Windows family numbers. The
 * host and service entries are built here directly in the Windows layouts
 * of winsock2.h (repeated below, as that header cannot be included here),
 * in per-thread storage, as Windows keeps them.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/netdb.h"
#include "winerror.h"

#define W_AF_INET 2
#define W_AF_INET6 23

/* Windows' AI_* values that have a libc equivalent. */
#define W_AI_PASSIVE 0x1
#define W_AI_CANONNAME 0x2
#define W_AI_NUMERICHOST 0x4
#define W_AI_NUMERICSERV 0x8
#define W_AI_ALL 0x100
#define W_AI_ADDRCONFIG 0x400
#define W_AI_V4MAPPED 0x800

/* winsock2.h's struct hostent and struct servent (64-bit Windows). */
struct w_hostent {
    char *h_name;
    char **h_aliases;
    short h_addrtype;
    short h_length;
    char **h_addr_list;
};
struct w_servent {
    char *s_name;
    char **s_aliases;
    char *s_proto;
    short s_port;
};


static int wsa_of_eai(int e)
{
    switch (e) {
    case EAI_NONAME:
        return WSAHOST_NOT_FOUND;
    case EAI_NODATA:
    case EAI_ADDRFAMILY:
        return WSANO_DATA;
    case EAI_SERVICE:
        return WSATYPE_NOT_FOUND;
    case EAI_FAMILY:
        return WSAEAFNOSUPPORT;
    case EAI_SOCKTYPE:
        return WSAESOCKTNOSUPPORT;
    case EAI_BADFLAGS:
        return WSAEINVAL;
    case EAI_AGAIN:
        return WSATRY_AGAIN;
    case EAI_MEMORY:
        return WSA_NOT_ENOUGH_MEMORY;
    default:
        return WSANO_RECOVERY;
    }
}

static int lx_flags(int w)
{
    int l = 0;
    if (w & W_AI_PASSIVE)
        l |= AI_PASSIVE;
    if (w & W_AI_CANONNAME)
        l |= AI_CANONNAME;
    if (w & W_AI_NUMERICHOST)
        l |= AI_NUMERICHOST;
    if (w & W_AI_NUMERICSERV)
        l |= AI_NUMERICSERV;
    if (w & W_AI_ALL)
        l |= AI_ALL;
    if (w & W_AI_ADDRCONFIG)
        l |= AI_ADDRCONFIG;
    if (w & W_AI_V4MAPPED)
        l |= AI_V4MAPPED;
    return l;
}

static int same(const struct ws2__ai *a, const struct ws2__ai *b)
{
    return a->af == b->af && a->port == b->port && a->scope == b->scope &&
           !memcmp(a->addr, b->addr, 16);
}

/* Appends one libc result unless an equal one is there: libc gives one
 * entry per socket type when none was asked for, Windows one per address. */
static void add(struct ws2__ai *list, size_t *n, const struct addrinfo *r)
{
    struct ws2__ai a = {0};
    if (r->ai_family == AF_INET) {
        const struct sockaddr_in *s = (const void *)r->ai_addr;
        a.af = W_AF_INET;
        a.port = s->sin_port;
        memcpy(a.addr, &s->sin_addr, 4);
    } else if (r->ai_family == AF_INET6) {
        const struct sockaddr_in6 *s = (const void *)r->ai_addr;
        a.af = W_AF_INET6;
        a.port = s->sin6_port;
        a.scope = s->sin6_scope_id;
        memcpy(a.addr, &s->sin6_addr, 16);
    } else {
        return;
    }
    for (size_t i = 0; i < *n; i++)
        if (same(&list[i], &a))
            return;
    list[(*n)++] = a;
}

/*
 * Resolves node/service (either may be NULL, not both) for a Windows
 * family (0, 2, 23), socket type (only 1 and 2 reach libc: Windows echoes
 * the hints' type and protocol, it does not filter by them) and Windows
 * AI_* flags. An empty node means this host, as on Windows. On success
 * *list (free() it) holds *n addresses and *canon (free() it) the
 * canonical name when asked for. Returns 0 or a WSA error.
 */
int ws2__lx_getaddrinfo(const char *node, const char *service, int waf,
                        int socktype, int wflags, struct ws2__ai **list,
                        size_t *n, char **canon)
{
    struct addrinfo hints = {0}, *res = NULL;
    char host[256];
    hints.ai_family = waf == W_AF_INET ? AF_INET
                      : waf == W_AF_INET6 ? AF_INET6 : AF_UNSPEC;
    hints.ai_socktype = socktype == 1 ? SOCK_STREAM
                        : socktype == 2 ? SOCK_DGRAM : 0;
    hints.ai_flags = lx_flags(wflags);
    if (service && !*service)
        service = "0";
    if (node && !*node) {
        if (gethostname(host, sizeof(host)) == 0) {
            host[sizeof(host) - 1] = 0;
            node = host;
        }
    }
    int e = getaddrinfo(node, service, &hints, &res);
    /* A host name that does not resolve here still means this host. */
    if (e == EAI_NONAME && node == host) {
        hints.ai_flags &= ~AI_PASSIVE;
        e = getaddrinfo(NULL, service ? service : "0", &hints, &res);
    }
    if (e)
        return wsa_of_eai(e);
    size_t count = 0;
    for (struct addrinfo *r = res; r; r = r->ai_next)
        count++;
    *list = calloc(count ? count : 1, sizeof(**list));
    *canon = NULL;
    if (*list && (wflags & W_AI_CANONNAME) && res->ai_canonname) {
        *canon = strdup(res->ai_canonname);
        if (!*canon) {
            free(*list);
            *list = NULL;
        }
    }
    if (!*list) {
        freeaddrinfo(res);
        return WSA_NOT_ENOUGH_MEMORY;
    }
    *n = 0;
    for (struct addrinfo *r = res; r; r = r->ai_next)
        add(*list, n, r);
    freeaddrinfo(res);
    return *n ? 0 : WSANO_DATA;
}

static socklen_t to_sockaddr(int waf, const uint8_t *addr, uint32_t scope,
                             uint16_t port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (waf == W_AF_INET) {
        struct sockaddr_in *s = (struct sockaddr_in *)ss;
        s->sin_family = AF_INET;
        s->sin_port = port;
        memcpy(&s->sin_addr, addr, 4);
        return sizeof(*s);
    }
    struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;
    s->sin6_family = AF_INET6;
    s->sin6_port = port;
    s->sin6_scope_id = scope;
    memcpy(&s->sin6_addr, addr, 16);
    return sizeof(*s);
}

/* The name of an address (reverse lookup only, never the numeric form).
 * Returns 0, WSAHOST_NOT_FOUND, or another WSA error. */
int ws2__lx_host_name(int waf, const uint8_t *addr, uint32_t scope,
                      int nofqdn, char *out, size_t outlen)
{
    struct sockaddr_storage ss;
    socklen_t len = to_sockaddr(waf, addr, scope, 0, &ss);
    int flags = NI_NAMEREQD | (nofqdn ? NI_NOFQDN : 0);
    int e = getnameinfo((struct sockaddr *)&ss, len, out, (socklen_t)outlen,
                        NULL, 0, flags);
    if (e == EAI_OVERFLOW)
        return WSAEFAULT;
    return e ? wsa_of_eai(e) : 0;
}

/* The service name of a port (network order) for TCP or UDP; -1 when the
 * services database has none. */
int ws2__lx_serv_name(uint16_t port, int dgram, char *out, size_t outlen)
{
    struct servent se, *r = NULL;
    char buf[1024];
    if (getservbyport_r(port, dgram ? "udp" : "tcp", &se, buf, sizeof(buf),
                        &r) || !r || strlen(r->s_name) >= outlen)
        return -1;
    strcpy(out, r->s_name);
    return 0;
}

int ws2__lx_gethostname(char *out, size_t outlen)
{
    return gethostname(out, outlen) ? -1 : 0;
}

/* ---- hostent and servent in the Windows layouts ---- */

/* Lays out, as Windows does: the structure, the alias pointers, the
 * address pointers, the addresses, then the strings. */
static struct w_hostent *pack_host(const struct hostent *h, void *buf,
                                   size_t size)
{
    size_t na = 0, nl = 0, strings = strlen(h->h_name) + 1;
    for (char **p = h->h_aliases; *p; p++, na++)
        strings += strlen(*p) + 1;
    for (char **p = h->h_addr_list; *p; p++)
        nl++;
    size_t need = sizeof(struct w_hostent) + (na + 1 + nl + 1) * sizeof(char *) +
                  nl * (size_t)h->h_length + strings;
    if (need > size)
        return NULL;
    struct w_hostent *w = buf;
    char **aliases = (char **)(w + 1), **addrs = aliases + na + 1;
    char *data = (char *)(addrs + nl + 1);
    for (size_t i = 0; i < nl; i++) {
        addrs[i] = data;
        memcpy(data, h->h_addr_list[i], (size_t)h->h_length);
        data += h->h_length;
    }
    addrs[nl] = NULL;
    w->h_name = strcpy(data, h->h_name);
    data += strlen(data) + 1;
    for (size_t i = 0; i < na; i++) {
        aliases[i] = strcpy(data, h->h_aliases[i]);
        data += strlen(data) + 1;
    }
    aliases[na] = NULL;
    w->h_aliases = aliases;
    w->h_addr_list = addrs;
    w->h_addrtype = h->h_addrtype == AF_INET6 ? W_AF_INET6 : W_AF_INET;
    w->h_length = (short)h->h_length;
    return w;
}

static int herr(int h)
{
    switch (h) {
    case HOST_NOT_FOUND:
        return WSAHOST_NOT_FOUND;
    case TRY_AGAIN:
        return WSATRY_AGAIN;
    case NO_DATA:
        return WSANO_DATA;
    default:
        return WSANO_RECOVERY;
    }
}

static _Thread_local union {
    void *align;
    char bytes[8192];
} host_buf;

/* gethostbyname: IPv4 only, as on Windows. NULL name: this host. Returns
 * the entry (per-thread) or NULL with *err. */
void *ws2__lx_hostbyname(const char *name, int *err)
{
    struct hostent he, *r = NULL;
    char buf[4096], self[256];
    int h = 0;
    if (!name || !*name) {
        if (gethostname(self, sizeof(self))) {
            *err = WSANO_RECOVERY;
            return NULL;
        }
        self[sizeof(self) - 1] = 0;
        name = self;
    }
    if (gethostbyname2_r(name, AF_INET, &he, buf, sizeof(buf), &r, &h) ||
        !r) {
        *err = r ? WSANO_RECOVERY : herr(h);
        return NULL;
    }
    void *w = pack_host(r, host_buf.bytes, sizeof(host_buf.bytes));
    if (!w)
        *err = WSANO_RECOVERY;
    return w;
}

void *ws2__lx_hostbyaddr(const void *addr, int len, int waf, int *err)
{
    struct hostent he, *r = NULL;
    char buf[4096];
    int h = 0;
    int af = waf == W_AF_INET6 ? AF_INET6 : AF_INET;
    if (gethostbyaddr_r(addr, (socklen_t)len, af, &he, buf, sizeof(buf), &r,
                        &h) || !r) {
        *err = r ? WSANO_RECOVERY : herr(h);
        return NULL;
    }
    void *w = pack_host(r, host_buf.bytes, sizeof(host_buf.bytes));
    if (!w)
        *err = WSANO_RECOVERY;
    return w;
}

static _Thread_local union {
    void *align;
    char bytes[2048];
} serv_buf;

static struct w_servent *pack_serv(const struct servent *s)
{
    size_t na = 0, strings = strlen(s->s_name) + strlen(s->s_proto) + 2;
    for (char **p = s->s_aliases; *p; p++, na++)
        strings += strlen(*p) + 1;
    if (sizeof(struct w_servent) + (na + 1) * sizeof(char *) + strings >
        sizeof(serv_buf.bytes))
        return NULL;
    struct w_servent *w = (struct w_servent *)serv_buf.bytes;
    char **aliases = (char **)(w + 1);
    char *data = (char *)(aliases + na + 1);
    w->s_name = strcpy(data, s->s_name);
    data += strlen(data) + 1;
    w->s_proto = strcpy(data, s->s_proto);
    data += strlen(data) + 1;
    for (size_t i = 0; i < na; i++) {
        aliases[i] = strcpy(data, s->s_aliases[i]);
        data += strlen(data) + 1;
    }
    aliases[na] = NULL;
    w->s_aliases = aliases;
    w->s_port = (short)s->s_port;
    return w;
}

/* getservbyname / getservbyport: the per-thread entry or NULL. */
void *ws2__lx_servent(const char *name, int port, const char *proto)
{
    struct servent se, *r = NULL;
    char buf[1024];
    int e = name ? getservbyname_r(name, proto, &se, buf, sizeof(buf), &r)
                 : getservbyport_r(port, proto, &se, buf, sizeof(buf), &r);
    return e || !r ? NULL : pack_serv(r);
}
