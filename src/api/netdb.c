/*
 * netdb.c - name resolution at the API, the Windows side: getaddrinfo and
 * GetAddrInfoW (results built here in Windows' addrinfo layout, one
 * allocation per result), getnameinfo and GetNameInfoW, gai_strerrorA,
 * gethostname, the hostent/servent look-ups, and getprotobyname /
 * getprotobynumber from Windows' own protocol table.
 *
 * Argument checks and error codes follow Windows; the look-ups themselves
 * are libc's, reached through netdb_lx.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "ws2tcpip.h"

#include "api/netdb.h"
#include "util/ipaddr.h"
#include "util/utf.h"

/* getaddrinfo-style functions return the error and also set it. */
static int gai_fail(int err)
{
    ws2__last_error = err;
    return err;
}

/* ---- getaddrinfo ---- */

#define AI_KNOWN                                                               \
    (AI_PASSIVE | AI_CANONNAME | AI_NUMERICHOST | AI_NUMERICSERV |            \
     AI_DNS_ONLY | AI_ALL | AI_ADDRCONFIG | AI_V4MAPPED |                     \
     AI_NON_AUTHORITATIVE | AI_SECURE | AI_RETURN_PREFERRED_NAMES | AI_FQDN | \
     AI_FILESERVER | AI_DISABLE_IDN_ENCODING)

struct query {
    int family, socktype, protocol, flags;
};

/* The documented checks of the hints, in Windows' order. */
static int check_hints(int flags, int family, int socktype, size_t addrlen,
                       const void *canon, const void *addr, const void *next,
                       struct query *q)
{
    if (addrlen || canon || addr || next)
        return WSANO_RECOVERY;
    if ((unsigned)flags & ~(unsigned)AI_KNOWN)
        return WSAEINVAL;
    if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6)
        return WSAEAFNOSUPPORT;
    if (socktype < 0 || socktype > SOCK_SEQPACKET)
        return WSAESOCKTNOSUPPORT;
    q->flags = flags;
    q->family = family;
    q->socktype = socktype;
    return 0;
}

/* "[v6]" or "[v6]:port" (the port is ignored, as Windows does) to the
 * bare address in buf; other names unchanged. NULL: a lone bracket. */
static const char *unbracket(const char *node, char *buf, size_t size)
{
    if (!node)
        return NULL;
    const char *close = strchr(node, ']');
    if (node[0] != '[')
        return close ? NULL : node;
    if (!close || (size_t)(close - node) > size ||
        (close[1] && close[1] != ':'))
        return NULL;
    memcpy(buf, node + 1, (size_t)(close - node - 1));
    buf[close - node - 1] = 0;
    uint8_t a[16];
    size_t end;
    if (ws2__ip6_parse(buf, 0, a, &end) || buf[end])
        return NULL;
    return buf;
}

/* Runs the query; on success the outputs are those of
 * ws2__lx_getaddrinfo. */
static int resolve(const char *node, const char *service,
                   const struct query *q, struct ws2__ai **list, size_t *n,
                   char **canon)
{
    char bare[INET6_ADDRSTRLEN + 8];
    if (!node && !service)
        return WSAHOST_NOT_FOUND;
    if ((q->flags & AI_CANONNAME) && !node)
        return WSAEINVAL;
    const char *host = unbracket(node, bare, sizeof(bare));
    if (node && !host)
        return WSAHOST_NOT_FOUND;
    return ws2__lx_getaddrinfo(host, service, q->family, q->socktype,
                               q->flags, list, n, canon);
}

/* The sockaddr of one result, in Windows layout; returns its length. */
static size_t fill_addr(const struct ws2__ai *a, void *out)
{
    if (a->af == AF_INET) {
        SOCKADDR_IN sin = {0};
        sin.sin_family = AF_INET;
        sin.sin_port = a->port;
        memcpy(&sin.sin_addr, a->addr, 4);
        memcpy(out, &sin, sizeof(sin));
        return sizeof(sin);
    }
    SOCKADDR_IN6 sin6 = {0};
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = a->port;
    sin6.sin6_scope_id = a->scope;
    memcpy(&sin6.sin6_addr, a->addr, 16);
    memcpy(out, &sin6, sizeof(sin6));
    return sizeof(sin6);
}

/* One result and its address in one allocation; the canonical name, on
 * the first result only, in the same block. */
struct ai_a {
    ADDRINFOA ai;
    SOCKADDR_STORAGE ss;
    char name[];
};
struct ai_w {
    ADDRINFOW ai;
    SOCKADDR_STORAGE ss;
    WCHAR name[];
};

static ADDRINFOA *build_a(const struct ws2__ai *list, size_t n,
                          const char *canon, const struct query *q)
{
    ADDRINFOA *head = NULL, **tail = &head;
    for (size_t i = 0; i < n; i++) {
        size_t extra = i == 0 && canon ? strlen(canon) + 1 : 0;
        struct ai_a *r = calloc(1, sizeof(*r) + extra);
        if (!r) {
            freeaddrinfo(head);
            return NULL;
        }
        r->ai.ai_family = list[i].af;
        r->ai.ai_socktype = q->socktype;
        r->ai.ai_protocol = q->protocol;
        r->ai.ai_addrlen = fill_addr(&list[i], &r->ss);
        r->ai.ai_addr = (struct sockaddr *)&r->ss;
        if (extra)
            r->ai.ai_canonname = memcpy(r->name, canon, extra);
        *tail = &r->ai;
        tail = &r->ai.ai_next;
    }
    return head;
}

static ADDRINFOW *build_w(const struct ws2__ai *list, size_t n,
                          const char *canon, const struct query *q)
{
    ADDRINFOW *head = NULL, **tail = &head;
    for (size_t i = 0; i < n; i++) {
        size_t extra =
            i == 0 && canon ? ws2__utf8_to_utf16_count(canon, NULL, 0) + 1 : 0;
        struct ai_w *r = calloc(1, sizeof(*r) + extra * sizeof(WCHAR));
        if (!r) {
            FreeAddrInfoW(head);
            return NULL;
        }
        r->ai.ai_family = list[i].af;
        r->ai.ai_socktype = q->socktype;
        r->ai.ai_protocol = q->protocol;
        r->ai.ai_addrlen = fill_addr(&list[i], &r->ss);
        r->ai.ai_addr = (struct sockaddr *)&r->ss;
        if (extra) {
            ws2__utf8_to_utf16_count(canon, r->name, extra);
            r->ai.ai_canonname = r->name;
        }
        *tail = &r->ai;
        tail = &r->ai.ai_next;
    }
    return head;
}

/* Windows clears the last error on success (its tests check for 0). */
WS2_EXPORT INT WSAAPI getaddrinfo(PCSTR pNodeName, PCSTR pServiceName,
                                  const ADDRINFOA *pHints,
                                  PADDRINFOA *ppResult)
{
    struct query q = {0};
    struct ws2__ai *list;
    size_t n;
    char *canon;
    if (ppResult)
        *ppResult = NULL;
    if (!ws2__started())
        return gai_fail(WSANOTINITIALISED);
    if (!ppResult)
        return gai_fail(WSAEINVAL);
    int err = 0;
    if (pHints) {
        err = check_hints(pHints->ai_flags, pHints->ai_family,
                          pHints->ai_socktype, pHints->ai_addrlen,
                          pHints->ai_canonname, pHints->ai_addr,
                          pHints->ai_next, &q);
        q.protocol = pHints->ai_protocol;
    }
    if (!err)
        err = resolve(pNodeName, pServiceName, &q, &list, &n, &canon);
    if (err)
        return gai_fail(err);
    *ppResult = build_a(list, n, canon, &q);
    free(list);
    free(canon);
    if (!*ppResult)
        return gai_fail(WSA_NOT_ENOUGH_MEMORY);
    ws2__last_error = 0;
    return 0;
}

WS2_EXPORT INT WSAAPI GetAddrInfoW(PCWSTR pNodeName, PCWSTR pServiceName,
                                   const ADDRINFOW *pHints,
                                   PADDRINFOW *ppResult)
{
    struct query q = {0};
    struct ws2__ai *list;
    size_t n;
    char *canon;
    int ok1, ok2;
    if (ppResult)
        *ppResult = NULL;
    if (!ws2__started())
        return gai_fail(WSANOTINITIALISED);
    if (!ppResult)
        return gai_fail(WSAEINVAL);
    int err = 0;
    if (pHints) {
        err = check_hints(pHints->ai_flags, pHints->ai_family,
                          pHints->ai_socktype, pHints->ai_addrlen,
                          pHints->ai_canonname, pHints->ai_addr,
                          pHints->ai_next, &q);
        q.protocol = pHints->ai_protocol;
    }
    if (err)
        return gai_fail(err);
    char *node = ws2__utf16_dup_utf8(pNodeName, &ok1);
    char *serv = ws2__utf16_dup_utf8(pServiceName, &ok2);
    if (!ok1 || !ok2)
        err = WSA_NOT_ENOUGH_MEMORY;
    else
        err = resolve(node, serv, &q, &list, &n, &canon);
    free(node);
    free(serv);
    if (err)
        return gai_fail(err);
    *ppResult = build_w(list, n, canon, &q);
    free(list);
    free(canon);
    if (!*ppResult)
        return gai_fail(WSA_NOT_ENOUGH_MEMORY);
    ws2__last_error = 0;
    return 0;
}

/* Every result is one block (struct ai_a / ai_w), so one free each. */
WS2_EXPORT VOID WSAAPI freeaddrinfo(PADDRINFOA pAddrInfo)
{
    while (pAddrInfo) {
        ADDRINFOA *next = pAddrInfo->ai_next;
        free(pAddrInfo);
        pAddrInfo = next;
    }
}

WS2_EXPORT VOID WSAAPI FreeAddrInfoW(PADDRINFOW pAddrInfo)
{
    while (pAddrInfo) {
        ADDRINFOW *next = pAddrInfo->ai_next;
        free(pAddrInfo);
        pAddrInfo = next;
    }
}

/* ---- getnameinfo ---- */

#define NI_KNOWN (NI_NOFQDN | NI_NUMERICHOST | NI_NAMEREQD | NI_NUMERICSERV | \
                  NI_DGRAM)

/* Host and service text of an address, into host/serv (NI_MAXHOST and
 * NI_MAXSERV bytes) where wanted. Returns 0 or the WSA error. */
static int name_info(const SOCKADDR *sa, socklen_t salen, int want_host,
                     int want_serv, int flags, char *host, char *serv)
{
    if (!sa || salen < (socklen_t)sizeof(sa->sa_family))
        return WSAEFAULT;
    int af = sa->sa_family;
    if (af != AF_INET && af != AF_INET6)
        return WSAEAFNOSUPPORT;
    if (salen < (socklen_t)(af == AF_INET ? sizeof(SOCKADDR_IN)
                                          : sizeof(SOCKADDR_IN6)))
        return WSAEFAULT;
    if ((unsigned)flags & ~(unsigned)NI_KNOWN)
        return WSAEINVAL;
    if (!want_host && !want_serv)
        return WSAHOST_NOT_FOUND;
    const SOCKADDR_IN *sin = (const SOCKADDR_IN *)sa;
    const SOCKADDR_IN6 *sin6 = (const SOCKADDR_IN6 *)sa;
    const uint8_t *addr = af == AF_INET ? (const uint8_t *)&sin->sin_addr
                                        : sin6->sin6_addr.u.Byte;
    uint32_t scope = af == AF_INET6 ? sin6->sin6_scope_id : 0;
    USHORT port = af == AF_INET ? sin->sin_port : sin6->sin6_port;
    if (want_host) {
        int r = WSAHOST_NOT_FOUND;
        if (!(flags & NI_NUMERICHOST))
            r = ws2__lx_host_name(af, addr, scope, flags & NI_NOFQDN, host,
                                  NI_MAXHOST);
        if (r && r != WSAHOST_NOT_FOUND)
            return r;
        if (r && (flags & NI_NAMEREQD))
            return WSAHOST_NOT_FOUND;
        if (r) {
            size_t len = af == AF_INET ? ws2__ip4_format(addr, host)
                                       : ws2__ip6_format(addr, host);
            if (scope)
                snprintf(host + len, NI_MAXHOST - len, "%%%u", scope);
        }
    }
    if (want_serv &&
        ((flags & NI_NUMERICSERV) ||
         ws2__lx_serv_name(port, flags & NI_DGRAM, serv, NI_MAXSERV)))
        snprintf(serv, NI_MAXSERV, "%u", (unsigned)ntohs(port));
    return 0;
}

/* A buffer the caller passes with size 0 is EAI_BADFLAGS (documented); a
 * result that does not fit is WSAEFAULT. */
WS2_EXPORT INT WSAAPI getnameinfo(const SOCKADDR *pSockaddr,
                                  socklen_t SockaddrLength, PCHAR pNodeBuffer,
                                  DWORD NodeBufferSize, PCHAR pServiceBuffer,
                                  DWORD ServiceBufferSize, INT Flags)
{
    char host[NI_MAXHOST], serv[NI_MAXSERV];
    if (!ws2__started())
        return gai_fail(WSANOTINITIALISED);
    if ((pNodeBuffer && !NodeBufferSize) ||
        (pServiceBuffer && !ServiceBufferSize))
        return gai_fail(WSAEINVAL);
    int err = name_info(pSockaddr, SockaddrLength, pNodeBuffer != NULL,
                        pServiceBuffer != NULL, Flags, host, serv);
    if (err)
        return gai_fail(err);
    if ((pNodeBuffer && strlen(host) >= NodeBufferSize) ||
        (pServiceBuffer && strlen(serv) >= ServiceBufferSize))
        return gai_fail(WSAEFAULT);
    if (pNodeBuffer)
        strcpy(pNodeBuffer, host);
    if (pServiceBuffer)
        strcpy(pServiceBuffer, serv);
    ws2__last_error = 0;
    return 0;
}

WS2_EXPORT INT WSAAPI GetNameInfoW(const SOCKADDR *pSockaddr,
                                   socklen_t SockaddrLength,
                                   PWCHAR pNodeBuffer, DWORD NodeBufferSize,
                                   PWCHAR pServiceBuffer,
                                   DWORD ServiceBufferSize, INT Flags)
{
    char host[NI_MAXHOST], serv[NI_MAXSERV];
    if (!ws2__started())
        return gai_fail(WSANOTINITIALISED);
    if ((pNodeBuffer && !NodeBufferSize) ||
        (pServiceBuffer && !ServiceBufferSize))
        return gai_fail(WSAEINVAL);
    int err = name_info(pSockaddr, SockaddrLength, pNodeBuffer != NULL,
                        pServiceBuffer != NULL, Flags, host, serv);
    if (err)
        return gai_fail(err);
    if ((pNodeBuffer &&
         ws2__utf8_to_utf16_count(host, NULL, 0) >= NodeBufferSize) ||
        (pServiceBuffer &&
         ws2__utf8_to_utf16_count(serv, NULL, 0) >= ServiceBufferSize))
        return gai_fail(WSAEFAULT);
    if (pNodeBuffer)
        ws2__utf8_to_utf16_count(host, pNodeBuffer, NodeBufferSize);
    if (pServiceBuffer)
        ws2__utf8_to_utf16_count(serv, pServiceBuffer, ServiceBufferSize);
    ws2__last_error = 0;
    return 0;
}

/* The system messages Windows' gai_strerrorA returns for each code. */
WS2_EXPORT char *WSAAPI gai_strerrorA(int ecode)
{
    static const struct {
        int code;
        const char *text;
    } msgs[] = {
        {0, "The operation completed successfully."},
        {WSA_NOT_ENOUGH_MEMORY,
         "Not enough memory resources are available to process this "
         "command."},
        {WSAEINVAL, "An invalid argument was supplied."},
        {WSAESOCKTNOSUPPORT, "The support for the specified socket type "
                             "does not exist in this address family."},
        {WSAEAFNOSUPPORT, "An address incompatible with the requested "
                          "protocol was used."},
        {WSATYPE_NOT_FOUND, "The specified class was not found."},
        {WSAHOST_NOT_FOUND, "No such host is known."},
        {WSATRY_AGAIN,
         "This is usually a temporary error during hostname resolution and "
         "means that the local server did not receive a response from an "
         "authoritative server."},
        {WSANO_RECOVERY,
         "A non-recoverable error occurred during a database lookup."},
        {WSANO_DATA, "The requested name is valid, but no data of the "
                     "requested type was found."},
    };
    static _Thread_local char buf[256];
    const char *text = "Unknown error.";
    for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++)
        if (msgs[i].code == ecode)
            text = msgs[i].text;
    snprintf(buf, sizeof(buf), "%s", text);
    return buf;
}

/* ---- gethostname and the database look-ups ---- */

/* A buffer without room for the name and its NUL is left untouched. */
WS2_EXPORT int WSAAPI gethostname(char *name, int namelen)
{
    char self[256];
    if (!ws2__started())
        return ws2__fail(WSANOTINITIALISED);
    if (!name || namelen <= 0)
        return ws2__fail(WSAEFAULT);
    if (ws2__lx_gethostname(self, sizeof(self)))
        return ws2__fail(WSAENETDOWN);
    self[sizeof(self) - 1] = 0;
    if (strlen(self) >= (size_t)namelen)
        return ws2__fail(WSAEFAULT);
    strcpy(name, self);
    return 0;
}

WS2_EXPORT struct hostent *WSAAPI gethostbyname(const char *name)
{
    int err;
    if (!ws2__started())
        return ws2__fail(WSANOTINITIALISED), NULL;
    struct hostent *h = ws2__lx_hostbyname(name, &err);
    if (!h)
        ws2__fail(err);
    return h;
}

/* Documented: AF_INET needs len >= 4 (else WSAEFAULT), AF_INET6 exactly
 * 16 (else WSAEINVAL), other types WSAEAFNOSUPPORT. */
WS2_EXPORT struct hostent *WSAAPI gethostbyaddr(const char *addr, int len,
                                                int type)
{
    int err;
    if (!ws2__started())
        return ws2__fail(WSANOTINITIALISED), NULL;
    if (type != AF_INET && type != AF_INET6)
        return ws2__fail(WSAEAFNOSUPPORT), NULL;
    if (!addr || (type == AF_INET && len < 4))
        return ws2__fail(WSAEFAULT), NULL;
    if (type == AF_INET6 && len != 16)
        return ws2__fail(WSAEINVAL), NULL;
    struct hostent *h = ws2__lx_hostbyaddr(addr, type == AF_INET ? 4 : 16,
                                           type, &err);
    if (!h)
        ws2__fail(err);
    return h;
}

WS2_EXPORT struct servent *WSAAPI getservbyname(const char *name,
                                                const char *proto)
{
    if (!ws2__started())
        return ws2__fail(WSANOTINITIALISED), NULL;
    if (!name)
        return ws2__fail(WSANO_DATA), NULL;
    struct servent *s = ws2__lx_servent(name, 0, proto);
    if (!s)
        ws2__fail(WSANO_DATA);
    return s;
}

/* port is in network order, as Windows takes it. */
WS2_EXPORT struct servent *WSAAPI getservbyport(int port, const char *proto)
{
    if (!ws2__started())
        return ws2__fail(WSANOTINITIALISED), NULL;
    struct servent *s = ws2__lx_servent(NULL, port, proto);
    if (!s)
        ws2__fail(WSANO_DATA);
    return s;
}

/* Windows answers from its own table (%SystemRoot%\system32\drivers\etc\
 * protocol), not the host's: these names and numbers, each with its
 * upper-case alias, matched without regard to case. */
static const struct {
    short number;
    const char *name, *alias;
} protocols[] = {
    {0, "ip", "IP"},
    {1, "icmp", "ICMP"},
    {3, "ggp", "GGP"},
    {6, "tcp", "TCP"},
    {8, "egp", "EGP"},
    {12, "pup", "PUP"},
    {17, "udp", "UDP"},
    {20, "hmp", "HMP"},
    {22, "xns-idp", "XNS-IDP"},
    {27, "rdp", "RDP"},
    {41, "ipv6", "IPv6"},
    {43, "ipv6-route", "IPv6-Route"},
    {44, "ipv6-frag", "IPv6-Frag"},
    {50, "esp", "ESP"},
    {51, "ah", "AH"},
    {58, "ipv6-icmp", "IPv6-ICMP"},
    {59, "ipv6-nonxt", "IPv6-NoNxt"},
    {60, "ipv6-opts", "IPv6-Opts"},
    {66, "rvd", "RVD"},
};

static struct protoent *protoent_of(size_t i)
{
    static _Thread_local struct protoent pe;
    static _Thread_local char *aliases[2];
    static _Thread_local char name[16], alias[16];
    strcpy(name, protocols[i].name);
    strcpy(alias, protocols[i].alias);
    aliases[0] = alias;
    aliases[1] = NULL;
    pe.p_name = name;
    pe.p_aliases = aliases;
    pe.p_proto = protocols[i].number;
    return &pe;
}

static int same_name(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        int x = *a >= 'A' && *a <= 'Z' ? *a + 32 : *a;
        int y = *b >= 'A' && *b <= 'Z' ? *b + 32 : *b;
        if (x != y)
            return 0;
    }
    return *a == *b;
}

WS2_EXPORT struct protoent *WSAAPI getprotobyname(const char *name)
{
    if (!ws2__started())
        return ws2__fail(WSANOTINITIALISED), NULL;
    for (size_t i = 0; name && i < sizeof(protocols) / sizeof(protocols[0]);
         i++)
        if (same_name(name, protocols[i].name) ||
            same_name(name, protocols[i].alias))
            return protoent_of(i);
    return ws2__fail(WSANO_DATA), NULL;
}

WS2_EXPORT struct protoent *WSAAPI getprotobynumber(int number)
{
    if (!ws2__started())
        return ws2__fail(WSANOTINITIALISED), NULL;
    for (size_t i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++)
        if (protocols[i].number == number)
            return protoent_of(i);
    return ws2__fail(WSANO_DATA), NULL;
}
