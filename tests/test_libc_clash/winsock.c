/*
 * test_libc_clash/winsock.c - the Winsock half of test_libc_clash.
 *
 * This file includes only our headers and calls the Windows names (socket,
 * bind, send, recv, select, getaddrinfo, ...), which our headers bind to
 * libws2_32's ws2_<name> exports: Windows values (AF_INET6 is 23, errors
 * from WSAGetLastError, SOCKET handles, fd_set an array of SOCKETs), in
 * the same process as linux.c's libc calls.
 */
#include <stdio.h>
#include <string.h>

#include <winsock2.h>
#include <ws2tcpip.h>

#include "test_libc_clash/clash.h"

#define FAIL(...)                                                              \
    do {                                                                       \
        int n_ = snprintf(msg, len, "winsock.c:%d: ", __LINE__);               \
        if (n_ > 0 && (size_t)n_ < len)                                        \
            snprintf(msg + n_, len - (size_t)n_, __VA_ARGS__);                 \
        goto out;                                                              \
    } while (0)

int clash_winsock_start(void)
{
    WSADATA wsa;
    return WSAStartup(MAKEWORD(2, 2), &wsa);
}

void clash_winsock_stop(void)
{
    WSACleanup();
}

int clash_winsock_half(char *msg, size_t len)
{
    WSADATA wsa;
    SOCKET s = INVALID_SOCKET;
    SOCKADDR_IN sin;
    int sinlen = (int)sizeof(sin), rc = 1, n;
    char buf[64], host[256];
    fd_set rfds;
    struct timeval tv = {5, 0};
    ADDRINFOA hints, *res = NULL;
    IN6_ADDR a6;

    if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) {
        snprintf(msg, len, "WSAStartup failed");
        return 1;
    }
    s = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    if (s == INVALID_SOCKET)
        FAIL("socket: error %d", WSAGetLastError());
    if (s % 4 != 0)
        FAIL("SOCKET %llu is not a handle (multiple of 4)",
             (unsigned long long)s);

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(s, (struct sockaddr *)&sin, (int)sizeof(sin)) == SOCKET_ERROR)
        FAIL("bind: error %d", WSAGetLastError());
    if (getsockname(s, (struct sockaddr *)&sin, &sinlen) == SOCKET_ERROR)
        FAIL("getsockname: error %d", WSAGetLastError());
    if (sin.sin_family != AF_INET || sin.sin_port == 0 || sinlen != 16)
        FAIL("getsockname: family %d port %u len %d", sin.sin_family,
             ntohs(sin.sin_port), sinlen);
    if (connect(s, (struct sockaddr *)&sin, sinlen) == SOCKET_ERROR)
        FAIL("connect: error %d", WSAGetLastError());

    /* send, select on a Windows fd_set of SOCKETs, recv. */
    n = send(s, "winsock", 7, 0);
    if (n != 7)
        FAIL("send gave %d, error %d", n, WSAGetLastError());
    FD_ZERO(&rfds);
    FD_SET(s, &rfds);
    n = select(0, &rfds, NULL, NULL, &tv);
    if (n != 1 || !FD_ISSET(s, &rfds) || rfds.fd_count != 1)
        FAIL("select gave %d, error %d", n, WSAGetLastError());
    memset(buf, 0, sizeof(buf));
    n = recv(s, buf, (int)sizeof(buf), 0);
    if (n != 7 || memcmp(buf, "winsock", 7) != 0)
        FAIL("recv gave %d '%.7s', error %d", n, buf, WSAGetLastError());

    /* sendto and recvfrom. */
    n = sendto(s, "again", 5, 0, (struct sockaddr *)&sin, sinlen);
    if (n != 5)
        FAIL("sendto gave %d, error %d", n, WSAGetLastError());
    sinlen = (int)sizeof(sin);
    n = recvfrom(s, buf, (int)sizeof(buf), 0, (struct sockaddr *)&sin,
                 &sinlen);
    if (n != 5 || memcmp(buf, "again", 5) != 0)
        FAIL("recvfrom gave %d, error %d", n, WSAGetLastError());

    /* Windows' getaddrinfo: AF_INET6 is 23, a 28-byte sockaddr_in6. */
    memset(&hints, 0, sizeof(hints));
    hints.ai_flags = AI_NUMERICHOST;
    hints.ai_socktype = SOCK_DGRAM;
    n = getaddrinfo("::1", "4242", &hints, &res);
    if (n != 0)
        FAIL("getaddrinfo(::1) gave %d", n);
    if (res->ai_family != 23 || res->ai_addrlen != 28 ||
        ((SOCKADDR_IN6 *)res->ai_addr)->sin6_family != 23 ||
        ((SOCKADDR_IN6 *)res->ai_addr)->sin6_port != htons(4242))
        FAIL("getaddrinfo(::1): family %d addrlen %u", res->ai_family,
             (unsigned)res->ai_addrlen);
    if (inet_pton(AF_INET6, "::1", &a6) != 1 || !IN6_IS_ADDR_LOOPBACK(&a6))
        FAIL("inet_pton(::1), error %d", WSAGetLastError());
    if (!IN6_IS_ADDR_UNSPECIFIED(&in6addr_any))
        FAIL("in6addr_any is not ::");
    if (gethostname(host, (int)sizeof(host)) != 0)
        FAIL("gethostname: error %d", WSAGetLastError());

    /* Errors are Windows': a closed handle is WSAENOTSOCK. */
    if (closesocket(s) == SOCKET_ERROR)
        FAIL("closesocket: error %d", WSAGetLastError());
    n = send(s, "x", 1, 0);
    s = INVALID_SOCKET;
    if (n != SOCKET_ERROR || WSAGetLastError() != WSAENOTSOCK)
        FAIL("send on a closed socket gave %d, error %d", n,
             WSAGetLastError());

    snprintf(msg, len, "handles, fd_set of SOCKETs, AF_INET6 = %d", AF_INET6);
    rc = 0;
out:
    if (res)
        freeaddrinfo(res);
    if (s != INVALID_SOCKET)
        closesocket(s);
    WSACleanup();
    return rc;
}
