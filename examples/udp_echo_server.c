/*
 * udp_echo_server.c - echoes datagrams back to their sender.
 *
 *   udp_echo_server [host] [port] [count]
 *
 * Binds host:port (default 127.0.0.1 27015; port 0 picks a free one and
 * prints it), echoes `count` datagrams (default 4, what one udp_echo_client
 * sends), then exits 0. A watchdog (select with a timeout) makes it give up
 * with exit code 2 after 10 seconds without a datagram.
 *
 * Each datagram is received with WSARecvFrom into one WSABUF and sent back
 * with WSASendTo from two WSABUFs (gather), to the address it came from.
 */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <stdio.h>

#include "echo.h"

static const char *prog = "udp_echo_server";

static int serve(SOCKET s, long count)
{
    static char data[65536];
    long served;

    for (served = 0; served < count; served++) {
        SOCKADDR_STORAGE from;
        int fromlen = (int)sizeof(from);
        WSABUF in, out[2];
        DWORD received = 0, sent = 0, flags = 0;
        int ready = echo_wait_readable(prog, s, ECHO_WATCHDOG_SECONDS);

        if (ready < 0)
            return 1;
        if (ready == 0) {
            fprintf(stderr,
                    "%s: watchdog: no datagram for %d s (%ld of %ld "
                    "echoed)\n",
                    prog, ECHO_WATCHDOG_SECONDS, served, count);
            return 2;
        }
        in.buf = data;
        in.len = (ULONG)sizeof(data);
        if (WSARecvFrom(s, &in, 1, &received, &flags, (struct sockaddr *)&from,
                        &fromlen, NULL, NULL) == SOCKET_ERROR) {
            echo_wsa_error(prog, "WSARecvFrom");
            return 1;
        }
        /* Echo it from two buffers: the halves of the datagram. */
        out[0].buf = data;
        out[0].len = received / 2;
        out[1].buf = data + received / 2;
        out[1].len = received - received / 2;
        if (WSASendTo(s, out, 2, &sent, 0, (struct sockaddr *)&from, fromlen,
                      NULL, NULL) == SOCKET_ERROR) {
            echo_wsa_error(prog, "WSASendTo");
            return 1;
        }
        if (sent != received) {
            fprintf(stderr, "%s: WSASendTo sent %u of %u bytes\n", prog,
                    (unsigned)sent, (unsigned)received);
            return 1;
        }
        printf("%s: echoed %u bytes to port %u\n", prog, (unsigned)sent,
               echo_addr_port((struct sockaddr *)&from));
        fflush(stdout);
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *host = argc > 1 ? argv[1] : ECHO_DEFAULT_HOST;
    const char *port = argc > 2 ? argv[2] : ECHO_DEFAULT_PORT;
    long count = argc > 3 ? strtol(argv[3], NULL, 10) : ECHO_UDP_MESSAGES;
    struct addrinfo *ai;
    SOCKET s;
    int rc;

    if (count <= 0) {
        fprintf(stderr, "usage: %s [host] [port] [count]\n", prog);
        return 1;
    }
    if (echo_startup(prog) != 0)
        return 1;
    ai = echo_resolve(prog, host, port, SOCK_DGRAM, 1);
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
    if (bind(s, ai->ai_addr, (int)ai->ai_addrlen) == SOCKET_ERROR) {
        echo_wsa_error(prog, "bind");
        closesocket(s);
        freeaddrinfo(ai);
        WSACleanup();
        return 1;
    }
    freeaddrinfo(ai);
    printf("%s: listening on %s port %u, echoing %ld datagrams\n", prog, host,
           echo_local_port(s), count);
    fflush(stdout);

    rc = serve(s, count);

    if (closesocket(s) == SOCKET_ERROR) {
        echo_wsa_error(prog, "closesocket");
        rc = rc ? rc : 1;
    }
    WSACleanup();
    if (rc == 0)
        printf("%s: done\n", prog);
    return rc;
}
