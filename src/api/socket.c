/*
 * socket.c - socket creation, naming, connection and closing: each entry
 * checks start-up, finds the socket's provider and dispatches to it.
 */
#include <string.h>

#include "api/api.h"

WS2_EXPORT SOCKET WSAAPI WSASocketW(int af, int type, int protocol,
                                    LPWSAPROTOCOL_INFOW lpProtocolInfo,
                                    GROUP g, DWORD dwFlags)
{
    const struct ws2__entry *e;
    int err;

    if (!ws2__started())
        return ws2__fail(WSANOTINITIALISED), INVALID_SOCKET;
    if (g != 0)
        return ws2__fail(WSAEINVAL), INVALID_SOCKET;
    if (lpProtocolInfo) {
        e = ws2__catalog_find(lpProtocolInfo->dwCatalogEntryId);
        if (!e)
            return ws2__fail(WSAEINVAL), INVALID_SOCKET;
        if (af == FROM_PROTOCOL_INFO)
            af = lpProtocolInfo->iAddressFamily;
        if (type == FROM_PROTOCOL_INFO)
            type = lpProtocolInfo->iSocketType;
        if (protocol == FROM_PROTOCOL_INFO)
            protocol = lpProtocolInfo->iProtocol;
    } else {
        e = ws2__catalog_match(af, type, protocol, &err);
        if (!e)
            return ws2__fail(err), INVALID_SOCKET;
    }
    if (af == AF_UNSPEC)
        af = e->info.iAddressFamily;
    if (type == 0)
        type = e->info.iSocketType;
    if (protocol == 0)
        protocol = e->info.iProtocol;
    struct ws2__provider *prov;
    err = ws2__provider_get(e, &prov);
    if (err)
        return ws2__fail(err), INVALID_SOCKET;
    WSAPROTOCOL_INFOW info = e->info;
    SOCKET s = prov->proc.lpWSPSocket(af, type, protocol, &info, g, dwFlags,
                                         &err);
    if (s == INVALID_SOCKET)
        ws2__fail(err);
    return s;
}

WS2_EXPORT SOCKET WSAAPI WSASocketA(int af, int type, int protocol,
                                    LPWSAPROTOCOL_INFOA lpProtocolInfo,
                                    GROUP g, DWORD dwFlags)
{
    if (!lpProtocolInfo)
        return WSASocketW(af, type, protocol, NULL, g, dwFlags);
    WSAPROTOCOL_INFOW w;
    memcpy(&w, lpProtocolInfo, offsetof(WSAPROTOCOL_INFOW, szProtocol));
    for (int i = 0; i <= WSAPROTOCOL_LEN; i++)
        w.szProtocol[i] = (unsigned char)lpProtocolInfo->szProtocol[i];
    return WSASocketW(af, type, protocol, &w, g, dwFlags);
}

/* socket() makes overlapped-capable sockets, as on Windows. */
WS2_EXPORT SOCKET WSAAPI socket(int af, int type, int protocol)
{
    return WSASocketW(af, type, protocol, NULL, 0, WSA_FLAG_OVERLAPPED);
}

WS2_EXPORT int WSAAPI bind(SOCKET s, const struct sockaddr *name, int namelen)
{
    struct ws2__call c;
    int err;
    if (!ws2__enter(s, &c))
        return SOCKET_ERROR;
    int r = c.proc->lpWSPBind(s, name, namelen, &err);
    return ws2__leave(&c, r, err);
}

WS2_EXPORT int WSAAPI WSAConnect(SOCKET s, const struct sockaddr *name,
                                 int namelen, LPWSABUF lpCallerData,
                                 LPWSABUF lpCalleeData, LPQOS lpSQOS,
                                 LPQOS lpGQOS)
{
    struct ws2__call c;
    int err;
    if (!ws2__enter(s, &c))
        return SOCKET_ERROR;
    int r = c.proc->lpWSPConnect(s, name, namelen, lpCallerData, lpCalleeData,
                                 lpSQOS, lpGQOS, &err);
    return ws2__leave(&c, r, err);
}

WS2_EXPORT int WSAAPI connect(SOCKET s, const struct sockaddr *name,
                              int namelen)
{
    return WSAConnect(s, name, namelen, NULL, NULL, NULL, NULL);
}

WS2_EXPORT int WSAAPI listen(SOCKET s, int backlog)
{
    struct ws2__call c;
    int err;
    if (!ws2__enter(s, &c))
        return SOCKET_ERROR;
    int r = c.proc->lpWSPListen(s, backlog, &err);
    return ws2__leave(&c, r, err);
}

WS2_EXPORT SOCKET WSAAPI WSAAccept(SOCKET s, struct sockaddr *addr,
                                   LPINT addrlen,
                                   LPCONDITIONPROC lpfnCondition,
                                   DWORD_PTR dwCallbackData)
{
    struct ws2__call c;
    int err;
    if (!ws2__enter(s, &c))
        return INVALID_SOCKET;
    SOCKET ns = c.proc->lpWSPAccept(s, addr, addrlen, lpfnCondition,
                                    dwCallbackData, &err);
    ws2__leave(&c, ns == INVALID_SOCKET ? SOCKET_ERROR : 0, err);
    return ns;
}

WS2_EXPORT SOCKET WSAAPI accept(SOCKET s, struct sockaddr *addr, int *addrlen)
{
    return WSAAccept(s, addr, addrlen, NULL, 0);
}

WS2_EXPORT int WSAAPI closesocket(SOCKET s)
{
    struct ws2__call c;
    int err;
    if (!ws2__enter(s, &c))
        return SOCKET_ERROR;
    int r = c.proc->lpWSPCloseSocket(s, &err);
    return ws2__leave(&c, r, err);
}

WS2_EXPORT int WSAAPI shutdown(SOCKET s, int how)
{
    struct ws2__call c;
    int err;
    if (!ws2__enter(s, &c))
        return SOCKET_ERROR;
    int r = c.proc->lpWSPShutdown(s, how, &err);
    return ws2__leave(&c, r, err);
}

WS2_EXPORT int WSAAPI getsockname(SOCKET s, struct sockaddr *name,
                                  int *namelen)
{
    struct ws2__call c;
    int err;
    if (!ws2__enter(s, &c))
        return SOCKET_ERROR;
    int r = c.proc->lpWSPGetSockName(s, name, namelen, &err);
    return ws2__leave(&c, r, err);
}

WS2_EXPORT int WSAAPI getpeername(SOCKET s, struct sockaddr *name,
                                  int *namelen)
{
    struct ws2__call c;
    int err;
    if (!ws2__enter(s, &c))
        return SOCKET_ERROR;
    int r = c.proc->lpWSPGetPeerName(s, name, namelen, &err);
    return ws2__leave(&c, r, err);
}

static void close_one(SOCKET s, void *arg)
{
    (void)arg;
    struct ws2__slot *slot = ws2__handle_ref(s);
    if (!slot)
        return;
    if (!slot->prov) { /* an event, not a socket */
        ws2__handle_unref(slot);
        return;
    }
    int err;
    slot->prov->proc.lpWSPCloseSocket(s, &err);
    ws2__handle_unref(slot);
}

void ws2__close_all(void)
{
    ws2__handle_foreach(close_one, NULL);
}
