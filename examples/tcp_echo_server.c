/*
 * tcp_echo_server.c - echoes what each client sends until it shuts down.
 *
 *   tcp_echo_server [host] [port] [clients]
 *
 * Listens on host:port (default 127.0.0.1 27015; port 0 picks a free one
 * and prints it), serves `clients` connections one after the other
 * (default 1), then exits 0. Each connection is echoed with recv and send
 * until the client shuts its side down, then closed. A watchdog (select
 * with a timeout) makes it give up with exit code 2 after 10 seconds
 * without a connection or without data from the client it serves.
 */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <stdio.h>

#include "echo.h"

static const char *prog = "tcp_echo_server";

/* Sends all of buf; a blocking send may still take less than asked. */
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

/* Echoes one connection until the client's end of stream. */
static int echo_client(SOCKET c, long index)
{
    static char buf[8192];
    long total = 0;

    for (;;) {
        int n, ready = echo_wait_readable(prog, c, ECHO_WATCHDOG_SECONDS);
        if (ready < 0)
            return 1;
        if (ready == 0) {
            fprintf(stderr,
                    "%s: watchdog: client %ld sent nothing for %d s\n", prog,
                    index, ECHO_WATCHDOG_SECONDS);
            return 2;
        }
        n = recv(c, buf, (int)sizeof(buf), 0);
        if (n == SOCKET_ERROR) {
            echo_wsa_error(prog, "recv");
            return 1;
        }
        if (n == 0)
            break; /* the client shut down its sending side */
        if (send_all(c, buf, n))
            return 1;
        total += n;
    }
    /* Graceful close: our FIN after all the echoed data. */
    if (shutdown(c, SD_SEND) == SOCKET_ERROR) {
        echo_wsa_error(prog, "shutdown");
        return 1;
    }
    printf("%s: client %ld: echoed %ld bytes\n", prog, index, total);
    fflush(stdout);
    return 0;
}

static int serve(SOCKET listener, long clients)
{
    long served;

    for (served = 0; served < clients; served++) {
        SOCKADDR_STORAGE peer;
        int peerlen = (int)sizeof(peer), rc;
        SOCKET c;
        int ready = echo_wait_readable(prog, listener, ECHO_WATCHDOG_SECONDS);

        if (ready < 0)
            return 1;
        if (ready == 0) {
            fprintf(stderr,
                    "%s: watchdog: no connection for %d s (%ld of %ld "
                    "served)\n",
                    prog, ECHO_WATCHDOG_SECONDS, served, clients);
            return 2;
        }
        c = accept(listener, (struct sockaddr *)&peer, &peerlen);
        if (c == INVALID_SOCKET) {
            echo_wsa_error(prog, "accept");
            return 1;
        }
        printf("%s: client %ld connected from port %u\n", prog, served + 1,
               echo_addr_port((struct sockaddr *)&peer));
        fflush(stdout);
        rc = echo_client(c, served + 1);
        if (closesocket(c) == SOCKET_ERROR) {
            echo_wsa_error(prog, "closesocket");
            rc = rc ? rc : 1;
        }
        if (rc)
            return rc;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *host = argc > 1 ? argv[1] : ECHO_DEFAULT_HOST;
    const char *port = argc > 2 ? argv[2] : ECHO_DEFAULT_PORT;
    long clients = argc > 3 ? strtol(argv[3], NULL, 10) : 1;
    struct addrinfo *ai;
    SOCKET listener;
    int rc;

    if (clients <= 0) {
        fprintf(stderr, "usage: %s [host] [port] [clients]\n", prog);
        return 1;
    }
    if (echo_startup(prog) != 0)
        return 1;
    ai = echo_resolve(prog, host, port, SOCK_STREAM, 1);
    if (!ai) {
        WSACleanup();
        return 1;
    }
    listener = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (listener == INVALID_SOCKET) {
        echo_wsa_error(prog, "socket");
        freeaddrinfo(ai);
        WSACleanup();
        return 1;
    }
    if (bind(listener, ai->ai_addr, (int)ai->ai_addrlen) == SOCKET_ERROR) {
        echo_wsa_error(prog, "bind");
        closesocket(listener);
        freeaddrinfo(ai);
        WSACleanup();
        return 1;
    }
    freeaddrinfo(ai);
    if (listen(listener, SOMAXCONN) == SOCKET_ERROR) {
        echo_wsa_error(prog, "listen");
        closesocket(listener);
        WSACleanup();
        return 1;
    }
    printf("%s: listening on %s port %u, serving %ld clients\n", prog, host,
           echo_local_port(listener), clients);
    fflush(stdout);

    rc = serve(listener, clients);

    if (closesocket(listener) == SOCKET_ERROR) {
        echo_wsa_error(prog, "closesocket");
        rc = rc ? rc : 1;
    }
    WSACleanup();
    if (rc == 0)
        printf("%s: done\n", prog);
    return rc;
}
