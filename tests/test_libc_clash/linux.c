/*
 * test_libc_clash/linux.c - the Linux half of test_libc_clash, and main.
 *
 * This file includes only Linux headers and calls libc's socketpair, send,
 * recv, select, getaddrinfo, htons, inet_pton and gethostname, checking
 * that they behave as libc's (Linux values: AF_INET6 is 10, errors in
 * errno, fd_set a bitmap of descriptors). The program links the shared
 * libws2_32, whose Winsock half (winsock.c) runs in the same process
 * between two runs of this half: libc's functions must stay libc's while
 * and after Winsock is in use, because libws2_32 exports none of their
 * names (it exports ws2_send, ... and our headers bind the Windows names to
 * them).
 */
#define _DEFAULT_SOURCE 1

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test_libc_clash/clash.h"

static int failures;

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "linux.c:%d: %s: ", __LINE__, #cond);              \
            fprintf(stderr, __VA_ARGS__);                                      \
            fputc('\n', stderr);                                               \
            failures++;                                                        \
        }                                                                      \
    } while (0)

static void libc_socketpair_io(void)
{
    int sv[2] = {-1, -1};
    char buf[32];
    fd_set rfds;
    struct timeval tv = {2, 0};

    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair: %s",
          strerror(errno));
    if (sv[0] < 0)
        return;
    /* Descriptors, not handles: small numbers, usable with select's
     * bitmap fd_set and nfds. */
    CHECK(sv[0] < FD_SETSIZE && sv[1] < FD_SETSIZE, "fds %d %d", sv[0], sv[1]);

    CHECK(send(sv[0], "libc", 4, 0) == 4, "send: %s", strerror(errno));
    FD_ZERO(&rfds);
    FD_SET(sv[1], &rfds);
    CHECK(select(sv[1] + 1, &rfds, NULL, NULL, &tv) == 1, "select: %s",
          strerror(errno));
    CHECK(FD_ISSET(sv[1], &rfds), "select did not report the fd");
    memset(buf, 0, sizeof(buf));
    CHECK(recv(sv[1], buf, sizeof(buf), 0) == 4, "recv: %s", strerror(errno));
    CHECK(memcmp(buf, "libc", 4) == 0, "recv got '%.4s'", buf);

    /* libc's select with an empty set is a plain sleep (Windows' fails). */
    tv.tv_sec = 0;
    tv.tv_usec = 1000;
    CHECK(select(0, NULL, NULL, NULL, &tv) == 0, "select(0) sleep: %s",
          strerror(errno));

    /* libc's send reports errors through errno with Linux values. */
    errno = 0;
    CHECK(send(-1, "x", 1, 0) == -1 && errno == EBADF,
          "send(-1) gave errno %d, wanted EBADF", errno);

    close(sv[0]);
    close(sv[1]);
}

static void libc_names(void)
{
    struct addrinfo hints, *res = NULL;
    struct in6_addr a6;
    char host[256];
    int rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    hints.ai_socktype = SOCK_DGRAM;
    rc = getaddrinfo("::1", "4242", &hints, &res);
    CHECK(rc == 0, "getaddrinfo(::1): %s", gai_strerror(rc));
    if (rc == 0) {
        /* Linux's AF_INET6 is 10 (Windows' is 23) and its sockaddr_in6
         * has the port at offset 2 in network order. */
        CHECK(res->ai_family == 10 && AF_INET6 == 10, "family %d",
              res->ai_family);
        CHECK(res->ai_addrlen == sizeof(struct sockaddr_in6), "addrlen %u",
              (unsigned)res->ai_addrlen);
        CHECK(((struct sockaddr_in6 *)res->ai_addr)->sin6_port == htons(4242),
              "port");
        freeaddrinfo(res);
    }
    /* glibc's own error code for an unknown numeric host. */
    res = NULL;
    rc = getaddrinfo("not-an-address", NULL, &hints, &res);
    CHECK(rc == EAI_NONAME, "getaddrinfo(bad) gave %d, wanted EAI_NONAME %d",
          rc, EAI_NONAME);
    if (rc == 0)
        freeaddrinfo(res);

    CHECK(htons(0x1234) == 0x3412, "htons");
    CHECK(inet_pton(AF_INET6, "::1", &a6) == 1 && a6.s6_addr[15] == 1,
          "inet_pton");
    CHECK(memcmp(&in6addr_any, &(struct in6_addr){0}, 16) == 0,
          "in6addr_any");
    /* libc's gethostname takes a size_t. */
    CHECK(gethostname(host, sizeof(host)) == 0, "gethostname: %s",
          strerror(errno));
}

static void linux_half(const char *when)
{
    int before = failures;
    libc_socketpair_io();
    libc_names();
    printf("libc half (%s): %s\n", when, failures == before ? "ok" : "FAILED");
}

int main(void)
{
    char msg[256];

    linux_half("before WSAStartup");
    msg[0] = 0;
    if (clash_winsock_half(msg, sizeof(msg)) != 0) {
        fprintf(stderr, "winsock half: %s\n", msg);
        failures++;
    } else {
        printf("winsock half: ok (%s)\n", msg);
    }
    linux_half("after WSACleanup");
    /* And while Winsock is started, in the same thread. */
    if (clash_winsock_start() != 0) {
        fprintf(stderr, "WSAStartup failed\n");
        failures++;
    }
    linux_half("while Winsock is started");
    clash_winsock_stop();

    printf("%s\n", failures ? "FAIL" : "PASS");
    return failures ? 1 : 0;
}
