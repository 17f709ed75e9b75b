/*
 * provider.c - the base TCP/UDP provider's start-up, catalog entries and
 * socket objects. ws2_32 reaches it only through the WSPPROC_TABLE that
 * WSPStartup fills in, exactly as it reaches a third-party provider.
 */
#include <stdlib.h>
#include <string.h>

#include "mswsock.h"
#include "spi/provider.h"
#include "tcpip/tcpip.h"

WSPUPCALLTABLE ws2__tcpip_upcalls;

/* {6a4b1c7e-3f0d-4c52-9b1e-77a1c2d3e401}: the ws2posix TCP/IP provider. */
const GUID ws2__tcpip_guid = {0x6a4b1c7e, 0x3f0d, 0x4c52,
                                {0x9b, 0x1e, 0x77, 0xa1, 0xc2, 0xd3, 0xe4, 0x01}};

static void set_name(WCHAR *dst, const char *src)
{
    size_t i = 0;
    for (; src[i] && i < WSAPROTOCOL_LEN; i++)
        dst[i] = (unsigned char)src[i];
    dst[i] = 0;
}

unsigned ws2__tcpip_entries(WSAPROTOCOL_INFOW *out, unsigned max)
{
    static const struct {
        int af, type, proto, addrlen;
        DWORD flags1, msgsize;
        const char *name;
    } rows[] = {
        {AF_INET, SOCK_STREAM, IPPROTO_TCP, 16,
         XP1_GUARANTEED_DELIVERY | XP1_GUARANTEED_ORDER | XP1_GRACEFUL_CLOSE |
             XP1_EXPEDITED_DATA,
         0, "ws2posix Tcpip [TCP/IP]"},
        {AF_INET, SOCK_DGRAM, IPPROTO_UDP, 16,
         XP1_CONNECTIONLESS | XP1_MESSAGE_ORIENTED | XP1_SUPPORT_BROADCAST |
             XP1_SUPPORT_MULTIPOINT | XP1_PARTIAL_MESSAGE,
         WS2__UDP4_MAX_MSG, "ws2posix Tcpip [UDP/IP]"},
        {AF_INET6, SOCK_STREAM, IPPROTO_TCP, 28,
         XP1_GUARANTEED_DELIVERY | XP1_GUARANTEED_ORDER | XP1_GRACEFUL_CLOSE |
             XP1_EXPEDITED_DATA,
         0, "ws2posix Tcpip [TCP/IPv6]"},
        {AF_INET6, SOCK_DGRAM, IPPROTO_UDP, 28,
         XP1_CONNECTIONLESS | XP1_MESSAGE_ORIENTED | XP1_SUPPORT_BROADCAST |
             XP1_SUPPORT_MULTIPOINT | XP1_PARTIAL_MESSAGE,
         WS2__UDP6_MAX_MSG, "ws2posix Tcpip [UDP/IPv6]"},
    };
    unsigned n = 0;
    for (; n < sizeof(rows) / sizeof(rows[0]) && n < max; n++) {
        WSAPROTOCOL_INFOW *p = &out[n];
        memset(p, 0, sizeof(*p));
        p->dwServiceFlags1 = rows[n].flags1;
        p->dwProviderFlags = PFL_MATCHES_PROTOCOL_ZERO;
        p->ProviderId = ws2__tcpip_guid;
        p->ProtocolChain.ChainLen = BASE_PROTOCOL;
        p->iVersion = 2;
        p->iAddressFamily = rows[n].af;
        p->iMaxSockAddr = (int)sizeof(SOCKADDR_STORAGE);
        p->iMinSockAddr = rows[n].addrlen;
        p->iSocketType = rows[n].type;
        p->iProtocol = rows[n].proto;
        p->iNetworkByteOrder = BIGENDIAN;
        p->iSecurityScheme = SECURITY_PROTOCOL_NONE;
        p->dwMessageSize = rows[n].msgsize;
        set_name(p->szProtocol, rows[n].name);
    }
    return n;
}

/* ---- socket objects ---- */

static void tsock_free(void *arg)
{
    struct ws2__tsock *sk = arg;
    /* Windows binds over TIME_WAIT: the entry inherits SO_REUSEADDR. */
    if (sk->type == SOCK_STREAM)
        ws2__lx_set_reuse(sk->fd, 1);
    ws2__lx_close(sk->fd);
    free(sk);
}

static void tsock_fini(struct ws2__tsock *sk)
{
    ws2__esock_fini(&sk->es, tsock_free, sk);
}

/* The handle is closed and the last call and request are done. The event
 * selection's watcher lets go of the socket first (evselect.c). */
void ws2__tcpip_release(DWORD_PTR ctx)
{
    ws2__evs_release((struct ws2__tsock *)ctx, tsock_fini);
}

struct ws2__tsock *ws2__tcpip_get(SOCKET s, struct ws2__slot **slot, int *err)
{
    struct ws2__slot *sl = ws2__handle_ref(s);
    if (!sl)
        goto notsock;
    if (sl->release != ws2__tcpip_release) {
        ws2__handle_unref(sl);
        goto notsock;
    }
    *slot = sl;
    return (struct ws2__tsock *)sl->ctx;
notsock:
    *err = WSAENOTSOCK;
    return NULL;
}

SOCKET ws2__tcpip_wrap(int fd, int af, int type, int protocol, DWORD flags,
                       const struct ws2__entry *e, int *err)
{
    DWORD catalog_id = e->info.dwCatalogEntryId;
    struct ws2__provider *prov = NULL;
    struct ws2__tsock *sk = calloc(1, sizeof(*sk));
    if (!sk || ws2__provider_get(e, &prov)) {
        free(sk);
        ws2__lx_close(fd);
        *err = WSAENOBUFS;
        return INVALID_SOCKET;
    }
    sk->fd = fd;
    sk->af = af;
    sk->type = type;
    sk->protocol = protocol;
    sk->flags = flags;
    sk->catalog_id = catalog_id;
    sk->entry = e;
    sk->udp_connreset = 1;
    sk->sndbuf = -1;
    sk->rcvbuf = -1;
    ws2__esock_init(&sk->es, fd);
    SOCKET s = ws2__handle_create(catalog_id, prov, (DWORD_PTR)sk,
                                  ws2__tcpip_release, err);
    if (s == INVALID_SOCKET) {
        ws2__lx_close(fd);
        free(sk);
        return INVALID_SOCKET;
    }
    sk->handle = s;
    return s;
}

/* ---- the functions this provider does not offer (yet) ---- */

static int WSPAPI no_async_select(SOCKET s, HWND h, unsigned int m, LONG e,
                                  LPINT lpErrno)
{
    (void)s, (void)h, (void)m, (void)e;
    return ws2__tcpip_fail(lpErrno, WSAEOPNOTSUPP);
}
static int WSPAPI no_cancel_blocking(LPINT lpErrno)
{
    return ws2__tcpip_fail(lpErrno, WSAEOPNOTSUPP);
}
static int WSPAPI cleanup(LPINT lpErrno)
{
    (void)lpErrno;
    return 0;
}
static int WSPAPI no_duplicate(SOCKET s, DWORD pid, LPWSAPROTOCOL_INFOW info,
                               LPINT lpErrno)
{
    (void)s, (void)pid, (void)info;
    return ws2__tcpip_fail(lpErrno, WSAEOPNOTSUPP);
}
static BOOL WSPAPI no_qos(SOCKET s, LPWSABUF name, LPQOS qos, LPINT lpErrno)
{
    (void)s, (void)name, (void)qos;
    *lpErrno = WSAEOPNOTSUPP;
    return FALSE;
}
static SOCKET WSPAPI no_join_leaf(SOCKET s, const struct sockaddr *name,
                                  int len, LPWSABUF a, LPWSABUF b, LPQOS c,
                                  LPQOS d, DWORD fl, LPINT lpErrno)
{
    (void)s, (void)name, (void)len, (void)a, (void)b, (void)c, (void)d,
        (void)fl;
    *lpErrno = WSAEOPNOTSUPP;
    return INVALID_SOCKET;
}
/* TCP carries no disconnect data: without data these are a half close. */
static int WSPAPI recv_disconnect(SOCKET s, LPWSABUF data, LPINT lpErrno)
{
    if (data)
        return ws2__tcpip_fail(lpErrno, WSAEOPNOTSUPP);
    return ws2__WSPShutdown(s, SD_RECEIVE, lpErrno);
}
static int WSPAPI send_disconnect(SOCKET s, LPWSABUF data, LPINT lpErrno)
{
    if (data)
        return ws2__tcpip_fail(lpErrno, WSAEOPNOTSUPP);
    return ws2__WSPShutdown(s, SD_SEND, lpErrno);
}

/* CancelIo / CancelIoEx: *ret gets how many requests were found. */
static int cancel_ioctl(SOCKET s, LPVOID in, DWORD inlen, LPDWORD ret,
                        LPWSATHREADID tid, LPINT lpErrno)
{
    struct ws2__slot *slot;
    struct ws2__tsock *sk = ws2__tcpip_get(s, &slot, lpErrno);
    if (!sk)
        return SOCKET_ERROR;
    int err = 0;
    WS2POSIX_CANCEL_ARGS a;
    if (ws2__bad_ptr(in) || inlen < sizeof(a) || ws2__bad_ptr(ret)) {
        err = WSAEFAULT;
    } else {
        memcpy(&a, in, sizeof(a));
        *ret = (DWORD)ws2__tcpip_cancel(
            sk, a.lpOverlapped,
            a.fThisThreadOnly && tid ? tid->ThreadHandle : NULL);
    }
    ws2__tcpip_put(slot);
    return err ? ws2__tcpip_fail(lpErrno, err) : 0;
}

/* The control codes of sockopt.c. Overlapped, they are done inside the call
 * and complete at once, as on Windows. */
static int ioctl_common(SOCKET s, DWORD code, LPVOID in, DWORD inlen,
                        LPVOID out, DWORD outlen, LPDWORD ret,
                        LPWSAOVERLAPPED ov,
                        LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                        LPWSATHREADID tid, LPINT lpErrno)
{
    struct ws2__slot *slot;
    struct ws2__tsock *sk = ws2__tcpip_get(s, &slot, lpErrno);
    if (!sk)
        return SOCKET_ERROR;
    int ovl = ws2__tcpip_overlapped(sk, ov, cr);
    ws2__tcpip_put(slot);
    if (!ovl)
        return ws2__WSPIoctl(s, code, in, inlen, out, outlen, ret, ov, cr, tid,
                             lpErrno);
    /* Windows wants lpcbBytesReturned even then (Wine's tests). */
    if (ws2__bad_ptr(ov) || ws2__bad_ptr(ret))
        return ws2__tcpip_fail(lpErrno, WSAEFAULT);
    DWORD n = 0;
    if (ws2__WSPIoctl(s, code, in, inlen, out, outlen, &n, NULL, NULL, tid,
                      lpErrno) == SOCKET_ERROR) {
        if (n) /* a WSAEFAULT's size needed (SIO_ADDRESS_LIST_QUERY) */
            *ret = n;
        return SOCKET_ERROR;
    }
    *ret = n;
    ws2__tcpip_complete_now(s, ov, cr, tid, 0, n, 0);
    return 0;
}

/* The control codes that answer with a value of the socket itself: its
 * Linux fd (SIO_WS2POSIX_GET_FD), or its own handle, which is the base
 * provider's (SIO_BSP_HANDLE, SIO_BASE_HANDLE: "Winsock IOCTLs"). */
static int socket_value(SOCKET s, DWORD code, LPVOID out, DWORD outlen,
                        LPDWORD ret, LPINT lpErrno)
{
    struct ws2__slot *slot;
    struct ws2__tsock *sk = ws2__tcpip_get(s, &slot, lpErrno);
    if (!sk)
        return SOCKET_ERROR;
    int fd = sk->fd;
    ws2__tcpip_put(slot);
    const void *v = &s;
    DWORD len = sizeof(SOCKET);
    if (code == SIO_WS2POSIX_GET_FD) {
        v = &fd;
        len = sizeof(int);
    }
    if (ws2__bad_ptr(out) || outlen < len || ws2__bad_ptr(ret))
        return ws2__tcpip_fail(lpErrno, WSAEFAULT);
    memcpy(out, v, len);
    *ret = len;
    return 0;
}

/* The provider's own control codes, then the common ones (sockopt.c). */
static int WSPAPI tcpip_ioctl(SOCKET s, DWORD code, LPVOID in, DWORD inlen,
                              LPVOID out, DWORD outlen, LPDWORD ret,
                              LPWSAOVERLAPPED ov,
                              LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                              LPWSATHREADID tid, LPINT lpErrno)
{
    if (code == SIO_WS2POSIX_CANCEL)
        return cancel_ioctl(s, in, inlen, ret, tid, lpErrno);
    if (code == SIO_GET_EXTENSION_FUNCTION_POINTER)
        return ws2__tcpip_extfn(s, in, inlen, out, outlen, ret, lpErrno);
    /* WSASendMsg: its own lpOverlapped travels in the WSASENDMSG. */
    if (code == SIO_EXT_SENDMSG)
        return ws2__msg_send_ioctl(s, in, inlen, tid, lpErrno);
    if (code == SIO_WS2POSIX_GET_FD || code == SIO_BSP_HANDLE ||
        code == SIO_BASE_HANDLE)
        return socket_value(s, code, out, outlen, ret, lpErrno);
    return ioctl_common(s, code, in, inlen, out, outlen, ret, ov, cr, tid,
                        lpErrno);
}

int WSPAPI ws2__tcpip_startup(WORD version, LPWSPDATA data,
                              LPWSAPROTOCOL_INFOW info, WSPUPCALLTABLE upcalls,
                              LPWSPPROC_TABLE table)
{
    (void)info;
    if (LOBYTE(version) < 2)
        return WSAVERNOTSUPPORTED;
    if (!data || !table)
        return WSAEFAULT;
    /* ws2_32's table at every start: written only when it changes, so a
     * start after WSACleanup never races the reaper reading it. */
    if (memcmp(&ws2__tcpip_upcalls, &upcalls, sizeof(upcalls)))
        ws2__tcpip_upcalls = upcalls;
    ws2__tcpip_apc_drops();
    data->wVersion = MAKEWORD(2, 2);
    data->wHighVersion = MAKEWORD(2, 2);
    set_name(data->szDescription, "ws2posix TCP/IP provider");
    *table = (WSPPROC_TABLE){
        .lpWSPAccept = ws2__WSPAccept,
        .lpWSPAddressToString = ws2__WSPAddressToString,
        .lpWSPAsyncSelect = no_async_select,
        .lpWSPBind = ws2__WSPBind,
        .lpWSPCancelBlockingCall = no_cancel_blocking,
        .lpWSPCleanup = cleanup,
        .lpWSPCloseSocket = ws2__WSPCloseSocket,
        .lpWSPConnect = ws2__WSPConnect,
        .lpWSPDuplicateSocket = no_duplicate,
        .lpWSPEnumNetworkEvents = ws2__WSPEnumNetworkEvents,
        .lpWSPEventSelect = ws2__WSPEventSelect,
        .lpWSPGetOverlappedResult = ws2__WSPGetOverlappedResult,
        .lpWSPGetPeerName = ws2__WSPGetPeerName,
        .lpWSPGetSockName = ws2__WSPGetSockName,
        .lpWSPGetSockOpt = ws2__WSPGetSockOpt,
        .lpWSPGetQOSByName = no_qos,
        .lpWSPIoctl = tcpip_ioctl,
        .lpWSPJoinLeaf = no_join_leaf,
        .lpWSPListen = ws2__WSPListen,
        .lpWSPRecv = ws2__WSPRecv,
        .lpWSPRecvDisconnect = recv_disconnect,
        .lpWSPRecvFrom = ws2__WSPRecvFrom,
        .lpWSPSelect = ws2__WSPSelect,
        .lpWSPSend = ws2__WSPSend,
        .lpWSPSendDisconnect = send_disconnect,
        .lpWSPSendTo = ws2__WSPSendTo,
        .lpWSPSetSockOpt = ws2__WSPSetSockOpt,
        .lpWSPShutdown = ws2__WSPShutdown,
        .lpWSPSocket = ws2__WSPSocket,
        .lpWSPStringToAddress = ws2__WSPStringToAddress,
    };
    return 0;
}
