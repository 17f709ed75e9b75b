/*
 * ws2tcpip.h - the TCP/IP part of Winsock 2: address information, name
 * resolution, text/binary address conversion and IP-level structures.
 */
#ifndef WS2POSIX_WS2TCPIP_H
#define WS2POSIX_WS2TCPIP_H

#include "winsock2.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Windows' socklen_t is a signed int; libc's (from <unistd.h>) is not. */
#undef socklen_t
#define socklen_t ws2_socklen_t
typedef int ws2_socklen_t;

typedef struct ip_mreq {
    IN_ADDR imr_multiaddr;
    IN_ADDR imr_interface;
} IP_MREQ, *PIP_MREQ;

typedef struct ipv6_mreq {
    IN6_ADDR ipv6mr_multiaddr;
    ULONG ipv6mr_interface;
} IPV6_MREQ, *PIPV6_MREQ;

typedef struct in_pktinfo {
    IN_ADDR ipi_addr;
    ULONG ipi_ifindex;
} IN_PKTINFO, *PIN_PKTINFO;

typedef struct in6_pktinfo {
    IN6_ADDR ipi6_addr;
    ULONG ipi6_ifindex;
} IN6_PKTINFO, *PIN6_PKTINFO;

/* SIO_GET_INTERFACE_LIST: an INTERFACE_INFO per IPv4 address. The flags
 * are Windows' values, not Linux's <net/if.h> ones. */
typedef struct sockaddr_in6_old {
    SHORT sin6_family;
    USHORT sin6_port;
    ULONG sin6_flowinfo;
    IN6_ADDR sin6_addr;
} SOCKADDR_IN6_OLD;
typedef union sockaddr_gen {
    struct sockaddr Address;
    struct sockaddr_in AddressIn;
    struct sockaddr_in6_old AddressIn6;
} sockaddr_gen;
typedef struct _INTERFACE_INFO {
    ULONG iiFlags;
    sockaddr_gen iiAddress;
    sockaddr_gen iiBroadcastAddress;
    sockaddr_gen iiNetmask;
} INTERFACE_INFO, *LPINTERFACE_INFO;
#define IFF_UP 0x00000001
#define IFF_BROADCAST 0x00000002
#define IFF_LOOPBACK 0x00000004
#define IFF_POINTTOPOINT 0x00000008
#define IFF_MULTICAST 0x00000010
#define SIO_GET_INTERFACE_LIST _IOR('t', 127, ULONG)

#define INET_ADDRSTRLEN 22
#define INET6_ADDRSTRLEN 65

/* ---- getaddrinfo ---- */
#define AI_PASSIVE 0x00000001
#define AI_CANONNAME 0x00000002
#define AI_NUMERICHOST 0x00000004
#define AI_NUMERICSERV 0x00000008
#define AI_DNS_ONLY 0x00000010
#define AI_ALL 0x00000100
#define AI_ADDRCONFIG 0x00000400
#define AI_V4MAPPED 0x00000800
#define AI_NON_AUTHORITATIVE 0x00004000
#define AI_SECURE 0x00008000
#define AI_RETURN_PREFERRED_NAMES 0x00010000
#define AI_FQDN 0x00020000
#define AI_FILESERVER 0x00040000
#define AI_DISABLE_IDN_ENCODING 0x00080000
#define AI_EXTENDED 0x80000000
#define AI_RESOLUTION_HANDLE 0x40000000

#define NI_NOFQDN 0x01
#define NI_NUMERICHOST 0x02
#define NI_NAMEREQD 0x04
#define NI_NUMERICSERV 0x08
#define NI_DGRAM 0x10
#define NI_MAXHOST 1025
#define NI_MAXSERV 32

#define EAI_AGAIN WSATRY_AGAIN
#define EAI_BADFLAGS WSAEINVAL
#define EAI_FAIL WSANO_RECOVERY
#define EAI_FAMILY WSAEAFNOSUPPORT
#define EAI_MEMORY WSA_NOT_ENOUGH_MEMORY
#define EAI_NOSECURENAME WSA_SECURE_HOST_NOT_FOUND
#define EAI_NONAME WSAHOST_NOT_FOUND
#define EAI_SERVICE WSATYPE_NOT_FOUND
#define EAI_SOCKTYPE WSAESOCKTNOSUPPORT
#define EAI_IPSECPOLICY WSA_IPSEC_NAME_POLICY_ERROR
#define EAI_NODATA EAI_NONAME
#define WSA_SECURE_HOST_NOT_FOUND 11032
#define WSA_IPSEC_NAME_POLICY_ERROR 11033

typedef struct addrinfo {
    int ai_flags;
    int ai_family;
    int ai_socktype;
    int ai_protocol;
    size_t ai_addrlen;
    char *ai_canonname;
    struct sockaddr *ai_addr;
    struct addrinfo *ai_next;
} ADDRINFOA, *PADDRINFOA;

typedef struct addrinfoW {
    int ai_flags;
    int ai_family;
    int ai_socktype;
    int ai_protocol;
    size_t ai_addrlen;
    PWSTR ai_canonname;
    struct sockaddr *ai_addr;
    struct addrinfoW *ai_next;
} ADDRINFOW, *PADDRINFOW;

INT WSAAPI getaddrinfo(PCSTR pNodeName, PCSTR pServiceName,
                       const ADDRINFOA *pHints, PADDRINFOA *ppResult)
    WS2POSIX_SYM(getaddrinfo);
VOID WSAAPI freeaddrinfo(PADDRINFOA pAddrInfo) WS2POSIX_SYM(freeaddrinfo);
INT WSAAPI GetAddrInfoW(PCWSTR pNodeName, PCWSTR pServiceName,
                        const ADDRINFOW *pHints, PADDRINFOW *ppResult);
VOID WSAAPI FreeAddrInfoW(PADDRINFOW pAddrInfo);
INT WSAAPI getnameinfo(const SOCKADDR *pSockaddr, socklen_t SockaddrLength,
                       PCHAR pNodeBuffer, DWORD NodeBufferSize,
                       PCHAR pServiceBuffer, DWORD ServiceBufferSize,
                       INT Flags) WS2POSIX_SYM(getnameinfo);
INT WSAAPI GetNameInfoW(const SOCKADDR *pSockaddr, socklen_t SockaddrLength,
                        PWCHAR pNodeBuffer, DWORD NodeBufferSize,
                        PWCHAR pServiceBuffer, DWORD ServiceBufferSize,
                        INT Flags);
char *WSAAPI gai_strerrorA(int ecode);
#define gai_strerror gai_strerrorA
#define GetAddrInfoA getaddrinfo
#define FreeAddrInfoA freeaddrinfo
#define GetNameInfoA getnameinfo

INT WSAAPI inet_pton(INT Family, PCSTR pszAddrString, PVOID pAddrBuf)
    WS2POSIX_SYM(inet_pton);
PCSTR WSAAPI inet_ntop(INT Family, const VOID *pAddr, PSTR pStringBuf,
                       size_t StringBufSize) WS2POSIX_SYM(inet_ntop);
INT WSAAPI InetPtonW(INT Family, PCWSTR pszAddrString, PVOID pAddrBuf);
PCWSTR WSAAPI InetNtopW(INT Family, const VOID *pAddr, PWSTR pStringBuf,
                        size_t StringBufSize);
#define InetPtonA inet_pton
#define InetNtopA inet_ntop

/* ---- IPv6 address helpers (inline, as Windows' ws2ipdef.h has them) ---- */
#define IN6ADDR_ANY_INIT {{{0}}}
#define IN6ADDR_LOOPBACK_INIT {{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}}}
extern const IN6_ADDR in6addr_any WS2POSIX_SYM(in6addr_any);
extern const IN6_ADDR in6addr_loopback WS2POSIX_SYM(in6addr_loopback);

static inline BOOL IN6_ADDR_EQUAL(const IN6_ADDR *a, const IN6_ADDR *b)
{
    int i;
    for (i = 0; i < 16; i++)
        if (a->u.Byte[i] != b->u.Byte[i])
            return FALSE;
    return TRUE;
}
static inline BOOL IN6_IS_ADDR_UNSPECIFIED(const IN6_ADDR *a)
{
    return IN6_ADDR_EQUAL(a, &in6addr_any);
}
static inline BOOL IN6_IS_ADDR_LOOPBACK(const IN6_ADDR *a)
{
    return IN6_ADDR_EQUAL(a, &in6addr_loopback);
}
static inline BOOL IN6_IS_ADDR_MULTICAST(const IN6_ADDR *a)
{
    return a->u.Byte[0] == 0xff;
}
static inline BOOL IN6_IS_ADDR_LINKLOCAL(const IN6_ADDR *a)
{
    return a->u.Byte[0] == 0xfe && (a->u.Byte[1] & 0xc0) == 0x80;
}
static inline BOOL IN6_IS_ADDR_V4MAPPED(const IN6_ADDR *a)
{
    int i;
    for (i = 0; i < 10; i++)
        if (a->u.Byte[i])
            return FALSE;
    return a->u.Byte[10] == 0xff && a->u.Byte[11] == 0xff;
}

#ifdef __cplusplus
}
#endif
#endif
