/*
 * evselect.c - WSAEventSelect and WSAEnumNetworkEvents, dispatched to the
 * socket's provider (WSPEventSelect, WSPEnumNetworkEvents).
 *
 * Both need WSAStartup (ReactOS's dll/win32/ws2_32/src/event.c checks it
 * in WSAEnumNetworkEvents, unlike the event functions beside it). The
 * event handle is checked here, for every provider: WSAEINVAL when it is
 * not an open event ("One of the specified parameters was invalid").
 */
#include "api/api.h"
#include "sync/sync.h"

/* An open event: a handle of the table that belongs to no provider and
 * is not a completion port. */
static int is_event(WSAEVENT h)
{
    struct ws2__slot *slot = ws2__handle_ref((SOCKET)(uintptr_t)h);
    if (!slot)
        return 0;
    int ok = slot->prov == NULL;
    ws2__handle_unref(slot);
    struct ws2__port *port;
    struct ws2__slot *ps = ok ? ws2__port_ref(h, &port) : NULL;
    if (ps) {
        ws2__handle_unref(ps);
        ok = 0;
    }
    return ok;
}

/* lNetworkEvents 0 cancels the selection; hEventObject is then ignored. */
WS2_EXPORT int WSAAPI WSAEventSelect(SOCKET s, WSAEVENT hEventObject,
                                     LONG lNetworkEvents)
{
    struct ws2__call c;
    int err;
    if (!ws2__enter(s, &c))
        return SOCKET_ERROR;
    if (lNetworkEvents && !is_event(hEventObject))
        return ws2__leave(&c, SOCKET_ERROR, WSAEINVAL);
    int r = c.proc->lpWSPEventSelect(s, hEventObject, lNetworkEvents, &err);
    return ws2__leave(&c, r, err);
}

WS2_EXPORT int WSAAPI WSAEnumNetworkEvents(SOCKET s, WSAEVENT hEventObject,
                                           LPWSANETWORKEVENTS lpNetworkEvents)
{
    struct ws2__call c;
    int err;
    if (!ws2__enter(s, &c))
        return SOCKET_ERROR;
    if (!lpNetworkEvents)
        return ws2__leave(&c, SOCKET_ERROR, WSAEFAULT);
    if (hEventObject && !is_event(hEventObject))
        return ws2__leave(&c, SOCKET_ERROR, WSAEINVAL);
    int r = c.proc->lpWSPEnumNetworkEvents(s, hEventObject, lpNetworkEvents,
                                           &err);
    return ws2__leave(&c, r, err);
}
