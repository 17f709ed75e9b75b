/*
 * echo.h - what the four echo examples share: argument defaults, error
 * messages that carry WSAGetLastError(), a select() wait with a timeout
 * (the watchdog: no example can hang), and the test pattern the clients
 * check echoes against byte for byte.
 *
 * Plain Windows code: it builds unchanged with ws2posix on Linux and with
 * x86_64-w64-mingw32-gcc ... -lws2_32 for Windows.
 */
#ifndef ECHO_H
#define ECHO_H

#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ECHO_DEFAULT_HOST "127.0.0.1"
#define ECHO_DEFAULT_PORT "27015"
/* Servers give up when nothing happens for this long. */
#define ECHO_WATCHDOG_SECONDS 10
/* Clients wait this long for each echo. */
#define ECHO_REPLY_SECONDS 5
/* Datagrams the UDP client sends (the UDP server's default count). */
#define ECHO_UDP_MESSAGES 4

static inline const char *echo_error_name(int err)
{
    switch (err) {
    case WSANOTINITIALISED: return "WSANOTINITIALISED";
    case WSAEINTR: return "WSAEINTR";
    case WSAEACCES: return "WSAEACCES";
    case WSAEFAULT: return "WSAEFAULT";
    case WSAEINVAL: return "WSAEINVAL";
    case WSAEMFILE: return "WSAEMFILE";
    case WSAEWOULDBLOCK: return "WSAEWOULDBLOCK";
    case WSAENOTSOCK: return "WSAENOTSOCK";
    case WSAEMSGSIZE: return "WSAEMSGSIZE";
    case WSAEPROTONOSUPPORT: return "WSAEPROTONOSUPPORT";
    case WSAEOPNOTSUPP: return "WSAEOPNOTSUPP";
    case WSAEAFNOSUPPORT: return "WSAEAFNOSUPPORT";
    case WSAEADDRINUSE: return "WSAEADDRINUSE";
    case WSAEADDRNOTAVAIL: return "WSAEADDRNOTAVAIL";
    case WSAENETUNREACH: return "WSAENETUNREACH";
    case WSAECONNABORTED: return "WSAECONNABORTED";
    case WSAECONNRESET: return "WSAECONNRESET";
    case WSAENOTCONN: return "WSAENOTCONN";
    case WSAETIMEDOUT: return "WSAETIMEDOUT";
    case WSAECONNREFUSED: return "WSAECONNREFUSED";
    case WSAEHOSTUNREACH: return "WSAEHOSTUNREACH";
    case WSAHOST_NOT_FOUND: return "WSAHOST_NOT_FOUND";
    case WSATYPE_NOT_FOUND: return "WSATYPE_NOT_FOUND";
    case WSANO_DATA: return "WSANO_DATA";
    default: return "unknown error";
    }
}

/* Prints "prog: what failed with error N (NAME)" for the last error. */
static inline void echo_wsa_error(const char *prog, const char *what)
{
    int err = WSAGetLastError();
    fprintf(stderr, "%s: %s failed with error %d (%s)\n", prog, what, err,
            echo_error_name(err));
}

/* WSAStartup for Winsock 2.2; prints the error. 0 on success. */
static inline int echo_startup(const char *prog)
{
    WSADATA wsa;
    int err = WSAStartup(MAKEWORD(2, 2), &wsa);
    if (err != 0)
        fprintf(stderr, "%s: WSAStartup failed with error %d (%s)\n", prog,
                err, echo_error_name(err));
    return err;
}

/* Waits until s is readable. 1: readable, 0: timed out, -1: select failed. */
static inline int echo_wait_readable(const char *prog, SOCKET s, long seconds)
{
    fd_set readfds;
    struct timeval tv;
    int n;

    FD_ZERO(&readfds);
    FD_SET(s, &readfds);
    tv.tv_sec = seconds;
    tv.tv_usec = 0;
    n = select(0, &readfds, NULL, NULL, &tv); /* nfds is ignored */
    if (n == SOCKET_ERROR) {
        echo_wsa_error(prog, "select");
        return -1;
    }
    if (n == 0 || !FD_ISSET(s, &readfds))
        return 0;
    return 1;
}

/* Deterministic bytes, different for each seed, covering all 256 values. */
static inline void echo_fill(char *buf, int len, unsigned seed)
{
    int i;
    for (i = 0; i < len; i++)
        buf[i] = (char)(unsigned char)((unsigned)i * 31u + seed * 7u + (unsigned)(i >> 8));
}

/* Compares an echo with what was sent; prints the first difference. */
static inline int echo_same(const char *prog, const char *what,
                            const char *sent, int sent_len, const char *got,
                            int got_len)
{
    int i;
    if (got_len != sent_len) {
        fprintf(stderr, "%s: %s: sent %d bytes, echo has %d\n", prog, what,
                sent_len, got_len);
        return 0;
    }
    for (i = 0; i < sent_len; i++) {
        if (sent[i] != got[i]) {
            fprintf(stderr,
                    "%s: %s: echo differs at byte %d: sent 0x%02x, got "
                    "0x%02x\n",
                    prog, what, i, (unsigned char)sent[i],
                    (unsigned char)got[i]);
            return 0;
        }
    }
    return 1;
}

/* The port a bound socket has, in host order; 0 if unknown. */
static inline unsigned echo_local_port(SOCKET s)
{
    SOCKADDR_STORAGE ss;
    int len = (int)sizeof(ss);

    memset(&ss, 0, sizeof(ss));
    if (getsockname(s, (struct sockaddr *)&ss, &len) == SOCKET_ERROR)
        return 0;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return 0;
}

/* Port of a peer address, in host order. */
static inline unsigned echo_addr_port(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)sa)->sin_port);
    if (sa->sa_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
    return 0;
}

/* getaddrinfo for a host and port, printing the error; NULL on failure. */
static inline struct addrinfo *echo_resolve(const char *prog, const char *host,
                                            const char *port, int socktype,
                                            int passive)
{
    struct addrinfo hints, *res = NULL;
    int rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = socktype;
    hints.ai_protocol = socktype == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
    hints.ai_flags = passive ? AI_PASSIVE : 0;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "%s: getaddrinfo(%s, %s) failed with error %d (%s)\n",
                prog, host, port, rc, echo_error_name(rc));
        return NULL;
    }
    return res;
}

#endif
