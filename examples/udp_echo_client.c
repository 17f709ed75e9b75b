/*
 * udp_echo_client.c - sends datagrams to udp_echo_server and checks that
 * each echo is byte for byte what was sent.
 *
 *   udp_echo_client [host] [port]
 *
 * Sends four datagrams to host:port (default 127.0.0.1 27015): one with
 * sendto, one with WSASendTo from one WSABUF, one with WSASendTo gathered
 * from three WSABUFs, and a last one with sendto. Echoes are received with
 * recvfrom or WSARecvFrom (once scattered into two WSABUFs). A datagram
 * whose echo does not come within 5 seconds, or that finds no server
 * (WSAECONNRESET), is sent again, up to three times. Exits 0 when every
 * echo matched, 1 otherwise.
 */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <stdio.h>

#include "echo.h"

#define TRIES 3

static const char *prog = "udp_echo_client";

/* Windows reports an ICMP "port unreachable" for an earlier datagram as
 * WSAECONNRESET on the next receive: nobody listens there (yet). Pauses
 * and says so when that is the error, so that the datagram is sent again. */
static int no_server(const char *what, int attempt)
{
    if (WSAGetLastError() != WSAECONNRESET)
        return 0;
    fprintf(stderr, "%s: %s: port unreachable, no server yet (try %d of %d)\n",
            prog, what, attempt, TRIES);
    Sleep(500);
    return 1;
}

/* One datagram gathered from bufs[0..n), then its echo scattered into two
 * buffers when scatter is set. Returns 0 when the echo matches. */
static int exchange(SOCKET s, const struct addrinfo *server, WSABUF *bufs,
                    DWORD n, int use_wsa, int scatter, const char *what)
{
    static char sent[65536], got[65536];
    int sent_len = 0, got_len = 0, attempt;
    DWORD i;

    for (i = 0; i < n; i++) {
        memcpy(sent + sent_len, bufs[i].buf, bufs[i].len);
        sent_len += (int)bufs[i].len;
    }
    for (attempt = 1; attempt <= TRIES; attempt++) {
        SOCKADDR_STORAGE from;
        int fromlen = (int)sizeof(from);
        int ready;

        if (use_wsa) {
            DWORD nsent = 0;
            if (WSASendTo(s, bufs, n, &nsent, 0, server->ai_addr,
                          (int)server->ai_addrlen, NULL,
                          NULL) == SOCKET_ERROR) {
                echo_wsa_error(prog, "WSASendTo");
                return 1;
            }
            if ((int)nsent != sent_len) {
                fprintf(stderr, "%s: %s: WSASendTo sent %u of %d bytes\n",
                        prog, what, (unsigned)nsent, sent_len);
                return 1;
            }
        } else {
            int nsent = sendto(s, bufs[0].buf, (int)bufs[0].len, 0,
                               server->ai_addr, (int)server->ai_addrlen);
            if (nsent == SOCKET_ERROR) {
                echo_wsa_error(prog, "sendto");
                return 1;
            }
            if (nsent != sent_len) {
                fprintf(stderr, "%s: %s: sendto sent %d of %d bytes\n", prog,
                        what, nsent, sent_len);
                return 1;
            }
        }

        ready = echo_wait_readable(prog, s, ECHO_REPLY_SECONDS);
        if (ready < 0)
            return 1;
        if (ready == 0) {
            fprintf(stderr, "%s: %s: no echo within %d s (try %d of %d)\n",
                    prog, what, ECHO_REPLY_SECONDS, attempt, TRIES);
            continue;
        }
        memset(got, 0, sizeof(got));
        if (scatter) {
            /* The echo lands in two buffers: 7 bytes, then the rest. */
            WSABUF in[2];
            DWORD received = 0, flags = 0;
            in[0].buf = got;
            in[0].len = 7;
            in[1].buf = got + 7;
            in[1].len = (ULONG)sizeof(got) - 7;
            if (WSARecvFrom(s, in, 2, &received, &flags,
                            (struct sockaddr *)&from, &fromlen, NULL,
                            NULL) == SOCKET_ERROR) {
                if (no_server(what, attempt))
                    continue;
                echo_wsa_error(prog, "WSARecvFrom");
                return 1;
            }
            if (flags != 0) {
                fprintf(stderr, "%s: %s: WSARecvFrom flags 0x%x\n", prog,
                        what, (unsigned)flags);
                return 1;
            }
            got_len = (int)received;
        } else {
            got_len = recvfrom(s, got, (int)sizeof(got), 0,
                               (struct sockaddr *)&from, &fromlen);
            if (got_len == SOCKET_ERROR) {
                if (no_server(what, attempt))
                    continue;
                echo_wsa_error(prog, "recvfrom");
                return 1;
            }
        }
        if (!echo_same(prog, what, sent, sent_len, got, got_len))
            return 1;
        printf("%s: %s: %d bytes echoed intact\n", prog, what, got_len);
        return 0;
    }
    fprintf(stderr, "%s: %s: gave up after %d tries\n", prog, what, TRIES);
    return 1;
}

static int run(SOCKET s, const struct addrinfo *server)
{
    static char hello[] = "hello, winsock";
    static char bye[] = "bye";
    static char block[1000], head[] = "scatter/", mid[] = "gather ",
                                     tail[300];
    WSABUF one, three[3];

    one.buf = hello;
    one.len = (ULONG)strlen(hello);
    if (exchange(s, server, &one, 1, 0, 0, "sendto text"))
        return 1;

    echo_fill(block, (int)sizeof(block), 1);
    one.buf = block;
    one.len = (ULONG)sizeof(block);
    if (exchange(s, server, &one, 1, 1, 0, "WSASendTo 1 buffer"))
        return 1;

    echo_fill(tail, (int)sizeof(tail), 2);
    three[0].buf = head;
    three[0].len = (ULONG)strlen(head);
    three[1].buf = mid;
    three[1].len = (ULONG)strlen(mid);
    three[2].buf = tail;
    three[2].len = (ULONG)sizeof(tail);
    if (exchange(s, server, three, 3, 1, 1, "WSASendTo 3 buffers"))
        return 1;

    one.buf = bye;
    one.len = (ULONG)strlen(bye);
    return exchange(s, server, &one, 1, 0, 0, "sendto bye");
}

int main(int argc, char **argv)
{
    const char *host = argc > 1 ? argv[1] : ECHO_DEFAULT_HOST;
    const char *port = argc > 2 ? argv[2] : ECHO_DEFAULT_PORT;
    struct addrinfo *ai;
    SOCKET s;
    int rc;

    if (echo_startup(prog) != 0)
        return 1;
    ai = echo_resolve(prog, host, port, SOCK_DGRAM, 0);
    if (!ai) {
        WSACleanup();
        return 1;
    }
    s = WSASocketW(ai->ai_family, ai->ai_socktype, ai->ai_protocol, NULL, 0,
                   0);
    if (s == INVALID_SOCKET) {
        echo_wsa_error(prog, "WSASocketW");
        freeaddrinfo(ai);
        WSACleanup();
        return 1;
    }

    rc = run(s, ai);

    freeaddrinfo(ai);
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
