/*
 * byteorder.c - htonl and friends; network order is big-endian, the hosts
 * we run on are little-endian or big-endian alike.
 */
#include "api/api.h"

WS2_EXPORT u_long WSAAPI htonl(u_long v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return __builtin_bswap32(v);
#else
    return v;
#endif
}
WS2_EXPORT u_short WSAAPI htons(u_short v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return __builtin_bswap16(v);
#else
    return v;
#endif
}
WS2_EXPORT u_long WSAAPI ntohl(u_long v)
{
    return htonl(v);
}
WS2_EXPORT u_short WSAAPI ntohs(u_short v)
{
    return htons(v);
}

static int check(SOCKET s, const void *out)
{
    struct ws2__call c;
    if (!ws2__enter(s, &c))
        return SOCKET_ERROR;
    ws2__handle_unref(c.slot);
    if (!out)
        return ws2__fail(WSAEFAULT);
    return 0;
}

WS2_EXPORT int WSAAPI WSAHtonl(SOCKET s, u_long v, u_long *out)
{
    if (check(s, out))
        return SOCKET_ERROR;
    *out = htonl(v);
    return 0;
}
WS2_EXPORT int WSAAPI WSAHtons(SOCKET s, u_short v, u_short *out)
{
    if (check(s, out))
        return SOCKET_ERROR;
    *out = htons(v);
    return 0;
}
WS2_EXPORT int WSAAPI WSANtohl(SOCKET s, u_long v, u_long *out)
{
    if (check(s, out))
        return SOCKET_ERROR;
    *out = ntohl(v);
    return 0;
}
WS2_EXPORT int WSAAPI WSANtohs(SOCKET s, u_short v, u_short *out)
{
    if (check(s, out))
        return SOCKET_ERROR;
    *out = ntohs(v);
    return 0;
}
