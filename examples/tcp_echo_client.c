/*
 * tcp_echo_client.c - talks to tcp_echo_server and checks that the stream
 * comes back byte for byte.
 *
 *   tcp_echo_client [host] [port]
 *
 * Connects to host:port (default 127.0.0.1 27015; a refused connection is
 * tried again for up to 5 seconds, so the client may start first), then:
 * a line with send, its echo with recv; a message gathered from three
 * WSABUFs with WSASend, its echo scattered into two WSABUFs with WSARecv;
 * a 16 KiB block with send. Finally it shuts down its sending side and
 * expects the server's graceful close. Exits 0 when every echo matched, 1
 * otherwise.
 */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <stdio.h>

#include "echo.h"

#define CONNECT_TRIES 50 /* 100 ms apart */

static const char *prog = "tcp_echo_client";

static SOCKET connect_to(const char *host, const char *port)
{
    struct addrinfo *res = echo_resolve(prog, host, port, SOCK_STREAM, 0);
    struct addrinfo *ai;
    int attempt;

    if (!res)
        return INVALID_SOCKET;
    for (attempt = 1; attempt <= CONNECT_TRIES; attempt++) {
        int refused = 0;
        for (ai = res; ai; ai = ai->ai_next) {
            SOCKET s = WSASocketW(ai->ai_family, ai->ai_socktype,
                                  ai->ai_protocol, NULL, 0, 0);
            if (s == INVALID_SOCKET) {
                echo_wsa_error(prog, "WSASocketW");
                continue;
            }
            if (connect(s, ai->ai_addr, (int)ai->ai_addrlen) == 0) {
                freeaddrinfo(res);
                return s;
            }
            if (WSAGetLastError() == WSAECONNREFUSED)
                refused = 1;
            else
                echo_wsa_error(prog, "connect");
            closesocket(s);
        }
        if (!refused)
            break;
        Sleep(100); /* the server may not listen yet */
    }
    fprintf(stderr, "%s: could not connect to %s port %s\n", prog, host,
            port);
    freeaddrinfo(res);
    return INVALID_SOCKET;
}

/* Receives exactly len bytes into got; with scatter, through WSARecv into
 * two WSABUFs split at a third of the message, otherwise with recv. */
static int recv_exact(SOCKET s, char *got, int len, int scatter,
                      const char *what)
{
    int have = 0;

    while (have < len) {
        int n, ready = echo_wait_readable(prog, s, ECHO_REPLY_SECONDS);
        if (ready < 0)
            return 1;
        if (ready == 0) {
            fprintf(stderr, "%s: %s: echo stalled at %d of %d bytes\n", prog,
                    what, have, len);
            return 1;
        }
        if (scatter) {
            WSABUF in[2];
            DWORD count = 0, received = 0, flags = 0;
            int split = len / 3;
            if (have < split) {
                in[count].buf = got + have;
                in[count].len = (ULONG)(split - have);
                count++;
                in[count].buf = got + split;
                in[count].len = (ULONG)(len - split);
                count++;
            } else {
                in[count].buf = got + have;
                in[count].len = (ULONG)(len - have);
                count++;
            }
            if (WSARecv(s, in, count, &received, &flags, NULL, NULL) ==
                SOCKET_ERROR) {
                echo_wsa_error(prog, "WSARecv");
                return 1;
            }
            n = (int)received;
        } else {
            n = recv(s, got + have, len - have, 0);
            if (n == SOCKET_ERROR) {
                echo_wsa_error(prog, "recv");
                return 1;
            }
        }
        if (n == 0) {
            fprintf(stderr, "%s: %s: server closed at %d of %d bytes\n",
                    prog, what, have, len);
            return 1;
        }
        have += n;
    }
    return 0;
}

static int send_all(SOCKET s, const char *buf, int len)
{
    while (len > 0) {
        int n = send(s, buf, len, 0);
        if (n == SOCKET_ERROR) {
            echo_wsa_error(prog, "send");
            return 1;
        }
        buf += n;
        len -= n;
    }
    return 0;
}

static int check(SOCKET s, const char *sent, int len, int scatter,
                 const char *what)
{
    static char got[65536];

    memset(got, 0, (size_t)len);
    if (recv_exact(s, got, len, scatter, what))
        return 1;
    if (!echo_same(prog, what, sent, len, got, len))
        return 1;
    printf("%s: %s: %d bytes echoed intact\n", prog, what, len);
    return 0;
}

static int run(SOCKET s)
{
    static char hello[] = "hello, winsock\n";
    static char head[] = "scatter/", mid[] = "gather ", tail[5000];
    static char gathered[sizeof(head) + sizeof(mid) + sizeof(tail)];
    static char block[16384];
    WSABUF three[3];
    DWORD sent = 0;
    int len, ready;
    char last;

    /* 1: send and recv. */
    if (send_all(s, hello, (int)strlen(hello)) ||
        check(s, hello, (int)strlen(hello), 0, "send text"))
        return 1;

    /* 2: WSASend gathering three buffers, WSARecv scattering into two. */
    echo_fill(tail, (int)sizeof(tail), 3);
    three[0].buf = head;
    three[0].len = (ULONG)strlen(head);
    three[1].buf = mid;
    three[1].len = (ULONG)strlen(mid);
    three[2].buf = tail;
    three[2].len = (ULONG)sizeof(tail);
    len = 0;
    memcpy(gathered + len, head, strlen(head));
    len += (int)strlen(head);
    memcpy(gathered + len, mid, strlen(mid));
    len += (int)strlen(mid);
    memcpy(gathered + len, tail, sizeof(tail));
    len += (int)sizeof(tail);
    if (WSASend(s, three, 3, &sent, 0, NULL, NULL) == SOCKET_ERROR) {
        echo_wsa_error(prog, "WSASend");
        return 1;
    }
    if ((int)sent != len) {
        fprintf(stderr, "%s: WSASend sent %u of %d bytes\n", prog,
                (unsigned)sent, len);
        return 1;
    }
    if (check(s, gathered, len, 1, "WSASend 3 buffers"))
        return 1;

    /* 3: a block bigger than one read of the server. */
    echo_fill(block, (int)sizeof(block), 4);
    if (send_all(s, block, (int)sizeof(block)) ||
        check(s, block, (int)sizeof(block), 0, "send 16 KiB"))
        return 1;

    /* 4: our end of stream; the server echoes nothing more and closes. */
    if (shutdown(s, SD_SEND) == SOCKET_ERROR) {
        echo_wsa_error(prog, "shutdown");
        return 1;
    }
    ready = echo_wait_readable(prog, s, ECHO_REPLY_SECONDS);
    if (ready <= 0) {
        if (ready == 0)
            fprintf(stderr, "%s: the server did not close\n", prog);
        return 1;
    }
    len = recv(s, &last, 1, 0);
    if (len == SOCKET_ERROR) {
        echo_wsa_error(prog, "recv at end of stream");
        return 1;
    }
    if (len != 0) {
        fprintf(stderr, "%s: %d unexpected bytes after the echoes\n", prog,
                len);
        return 1;
    }
    printf("%s: server closed gracefully\n", prog);
    return 0;
}

int main(int argc, char **argv)
{
    const char *host = argc > 1 ? argv[1] : ECHO_DEFAULT_HOST;
    const char *port = argc > 2 ? argv[2] : ECHO_DEFAULT_PORT;
    SOCKET s;
    int rc;

    if (echo_startup(prog) != 0)
        return 1;
    s = connect_to(host, port);
    if (s == INVALID_SOCKET) {
        WSACleanup();
        return 1;
    }

    rc = run(s);

    if (closesocket(s) == SOCKET_ERROR) {
        echo_wsa_error(prog, "closesocket");
        rc = 1;
    }
    if (WSACleanup() == SOCKET_ERROR) {
        echo_wsa_error(prog, "WSACleanup");
        rc = 1;
    }
    printf("%s: %s\n", prog, rc == 0 ? "all echoes matched" : "FAILED");
    return rc;
}
