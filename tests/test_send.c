/*
 * test_send.c - the send path of the founding documents (WSPSendTo, Windows
 * Embedded Compact 2013; WSASend, Windows CE 5.0) for non-overlapped calls:
 * WSASend, WSASendTo, send and sendto over the base provider, byte-exact at
 * a loopback receiver. Each test names the sentence it checks; the map is
 * tests/README.md.
 */
#define _POSIX_C_SOURCE 200809L
#include "util.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

/* ---- helpers ---- */

static void recv_dgram(SOCKET s, char *buf, int cap, int want)
{
    int r = recv(s, buf, cap, 0);
    if (r != want)
        fail_msg("recv got %d (error %d), wanted a %d-byte datagram", r,
                 WSAGetLastError(), want);
}

static void expect_nothing(SOCKET s)
{
    char b[16];
    u_long nb = 1, bl = 0;
    assert_wsa_ok(ioctlsocket(s, FIONBIO, &nb));
    assert_wsa_error(recv(s, b, sizeof(b), 0), WSAEWOULDBLOCK);
    assert_wsa_ok(ioctlsocket(s, FIONBIO, &bl));
}

static const int families[] = {AF_INET, AF_INET6};

/* "This function sends data to a specific destination": sendto and
 * WSASendTo reach the peer named by lpTo, byte-exact, and report the count
 * in lpNumberOfBytesSent; "returns zero" when it completes at once. */
static void test_sendto_reaches_destination(void **state)
{
    (void)state;
    for (int f = 0; f < 2; f++) {
        SOCKET a, b;
        ws2t_udp_pair(families[f], &a, &b, 0);
        SOCKADDR_STORAGE to;
        int tolen;
        ws2t_name(b, &to, &tolen);
        char out[300], in[400];
        ws2t_fill(out, sizeof(out), 1, 0);
        assert_int_equal(sendto(a, out, 200, 0, (struct sockaddr *)&to, tolen),
                         200);
        WSABUF wb = {300, out};
        DWORD sent = POISON;
        /* Windows 7 and later set the last error to 0 on success (Wine's
         * test_WSASendTo, run on Windows). */
        WSASetLastError((int)POISON);
        assert_int_equal(WSASendTo(a, &wb, 1, &sent, 0,
                                   (struct sockaddr *)&to, tolen, NULL, NULL),
                         0);
        assert_int_equal(WSAGetLastError(), 0);
        assert_int_equal(sent, 300);
        recv_dgram(b, in, sizeof(in), 200);
        ws2t_check(in, 200, 1, 0);
        SOCKADDR_STORAGE from;
        int fromlen = sizeof(from);
        assert_int_equal(recvfrom(b, in, sizeof(in), 0,
                                  (struct sockaddr *)&from, &fromlen),
                         300);
        ws2t_check(in, 300, 1, 0);
        SOCKADDR_STORAGE self;
        int selflen;
        ws2t_name(a, &self, &selflen);
        assert_int_equal(fromlen, selflen);
        assert_memory_equal(&from, &self, (size_t)selflen);
        closesocket(a);
        closesocket(b);
    }
}

/* "lpBuffers: a pointer to an array of WSABUF structures" and "posted
 * buffers are sent in the same order they are supplied": a datagram is the
 * buffers' concatenation, in order; zero-length buffers add nothing. */
static void test_gather_datagram(void **state)
{
    (void)state;
    SOCKET a, b;
    ws2t_udp_pair(AF_INET, &a, &b, 1);
    char data[1000], in[2000];
    ws2t_fill(data, sizeof(data), 2, 0);
    WSABUF wb[5] = {{100, data}, {0, NULL}, {400, data + 100},
                    {0, data}, {500, data + 500}};
    DWORD sent = POISON;
    assert_int_equal(WSASend(a, wb, 5, &sent, 0, NULL, NULL), 0);
    assert_int_equal(sent, 1000);
    recv_dgram(b, in, sizeof(in), 1000);
    ws2t_check(in, 1000, 2, 0);
    closesocket(a);
    closesocket(b);
}

/* Zero buffers and all-empty buffers make an empty datagram, as on
 * Windows. */
static void test_zero_buffers(void **state)
{
    (void)state;
    SOCKET a, b;
    ws2t_udp_pair(AF_INET, &a, &b, 1);
    DWORD sent = POISON;
    assert_int_equal(WSASend(a, NULL, 0, &sent, 0, NULL, NULL), 0);
    assert_int_equal(sent, 0);
    WSABUF empty[3] = {{0, NULL}, {0, NULL}, {0, NULL}};
    sent = POISON;
    assert_int_equal(WSASend(a, empty, 3, &sent, 0, NULL, NULL), 0);
    assert_int_equal(sent, 0);
    char in[8];
    recv_dgram(b, in, sizeof(in), 0);
    recv_dgram(b, in, sizeof(in), 0);
    closesocket(a);
    closesocket(b);

    /* On a stream a send of nothing sends nothing and succeeds. */
    SOCKET c, d;
    ws2t_tcp_pair(AF_INET, &c, &d);
    sent = POISON;
    assert_int_equal(WSASend(c, NULL, 0, &sent, 0, NULL, NULL), 0);
    assert_int_equal(sent, 0);
    assert_int_equal(send(c, "z", 1, 0), 1);
    assert_int_equal(recv(d, in, sizeof(in), 0), 1);
    assert_int_equal(in[0], 'z');
    closesocket(c);
    closesocket(d);
}

/* More WSABUFs than Linux's IOV_MAX (1024): "scatter/gather type of I/O"
 * still holds for a datagram (sent whole) and a stream (in order). */
static void test_many_buffers(void **state)
{
    (void)state;
    enum { N = 3000 };
    static WSABUF wb[N];
    static char data[N * 7];
    ws2t_fill(data, sizeof(data), 3, 0);

    SOCKET a, b;
    ws2t_udp_pair(AF_INET, &a, &b, 1);
    size_t off = 0;
    for (int i = 0; i < N; i++) {
        ULONG len = (i % 3 == 0) ? 0 : (ULONG)(i % 7) + 1;
        if (off + len > 20000)
            len = 0;
        wb[i].len = len;
        wb[i].buf = data + off;
        off += len;
    }
    DWORD sent = POISON;
    assert_int_equal(WSASend(a, wb, N, &sent, 0, NULL, NULL), 0);
    assert_int_equal(sent, off);
    char *in = malloc(65536);
    recv_dgram(b, in, 65536, (int)off);
    ws2t_check(in, off, 3, 0);
    closesocket(a);
    closesocket(b);

    SOCKET c, d;
    ws2t_tcp_pair(AF_INET6, &c, &d);
    off = 0;
    for (int i = 0; i < N; i++) {
        wb[i].len = (ULONG)(i % 7);
        wb[i].buf = data + off;
        off += wb[i].len;
    }
    sent = POISON;
    assert_int_equal(WSASend(c, wb, N, &sent, 0, NULL, NULL), 0);
    assert_int_equal(sent, off);
    ws2t_recv_all(d, in, off);
    ws2t_check(in, off, 3, 0);
    free(in);
    closesocket(c);
    closesocket(d);
}

/* "Even if the connectionless socket has been previously connected ...
 * lpTo overrides the destination address for that particular datagram
 * only." */
static void test_lpto_overrides_connected(void **state)
{
    (void)state;
    for (int f = 0; f < 2; f++) {
        SOCKET a, b, c;
        ws2t_udp_pair(families[f], &a, &b, 1);
        c = ws2t_bound(families[f], SOCK_DGRAM);
        SOCKADDR_STORAGE cto;
        int ctolen;
        ws2t_name(c, &cto, &ctolen);
        char in[16];
        assert_int_equal(sendto(a, "to-c", 4, 0, (struct sockaddr *)&cto,
                                ctolen),
                         4);
        assert_int_equal(send(a, "to-b", 4, 0), 4);
        recv_dgram(c, in, sizeof(in), 4);
        assert_memory_equal(in, "to-c", 4);
        recv_dgram(b, in, sizeof(in), 4);
        assert_memory_equal(in, "to-b", 4);
        expect_nothing(c);
        /* With no lpTo, WSASendTo goes to the connected peer. */
        WSABUF wb = {3, (CHAR *)"dft"};
        DWORD sent = POISON;
        assert_int_equal(WSASendTo(a, &wb, 1, &sent, 0, NULL, 0, NULL, NULL),
                         0);
        recv_dgram(b, in, sizeof(in), 3);
        assert_memory_equal(in, "dft", 3);
        closesocket(a);
        closesocket(b);
        closesocket(c);
    }
}

/* "On a connection-oriented socket, the lpTo and iToLen parameters are
 * ignored; in this case the WSPSendTo function is equivalent to WSPSend." */
static void test_stream_ignores_lpto(void **state)
{
    (void)state;
    SOCKET c, d;
    ws2t_tcp_pair(AF_INET, &c, &d);
    SOCKADDR_IN6 foreign;
    memset(&foreign, 0, sizeof(foreign));
    foreign.sin6_family = AF_INET6;
    char out[64], in[64];
    ws2t_fill(out, sizeof(out), 4, 0);
    WSABUF wb = {64, out};
    DWORD sent = POISON;
    assert_int_equal(WSASendTo(c, &wb, 1, &sent, 0,
                               (struct sockaddr *)&foreign, 3, NULL, NULL),
                     0);
    assert_int_equal(sent, 64);
    assert_int_equal(sendto(c, out, 10, 0, (struct sockaddr *)0x10, -5), 10);
    ws2t_recv_all(d, in, 64);
    ws2t_check(in, 64, 4, 0);
    ws2t_recv_all(d, in, 10);
    ws2t_check(in, 10, 4, 0);
    closesocket(c);
    closesocket(d);
}

/* "WSASend ... can also be used on connectionless sockets that have a
 * stipulated default peer address established through the connect or
 * WSAConnect function." */
static void test_wsasend_connected_udp(void **state)
{
    (void)state;
    SOCKET a = ws2t_bound(AF_INET, SOCK_DGRAM), b = ws2t_bound(AF_INET,
                                                                SOCK_DGRAM);
    SOCKADDR_STORAGE to;
    int tolen;
    ws2t_name(b, &to, &tolen);
    assert_wsa_ok(WSAConnect(a, (struct sockaddr *)&to, tolen, NULL, NULL,
                             NULL, NULL));
    WSABUF wb[2] = {{2, (CHAR *)"ab"}, {2, (CHAR *)"cd"}};
    DWORD sent = POISON;
    assert_int_equal(WSASend(a, wb, 2, &sent, 0, NULL, NULL), 0);
    assert_int_equal(sent, 4);
    char in[8];
    recv_dgram(b, in, sizeof(in), 4);
    assert_memory_equal(in, "abcd", 4);
    closesocket(a);
    closesocket(b);
}

/* "If the data is too long to pass atomically through the underlying
 * protocol the error WSAEMSGSIZE is returned, and no data is transmitted";
 * the maximum "can be obtained by getting the value of socket option
 * SO_MAX_MSG_SIZE". */
static void test_msgsize(void **state)
{
    (void)state;
    static char big[70000];
    char *in = malloc(70000);
    ws2t_fill(big, sizeof(big), 5, 0);
    for (int f = 0; f < 2; f++) {
        SOCKET a, b;
        ws2t_udp_pair(families[f], &a, &b, 1);
        int max = 0, len = sizeof(max);
        assert_wsa_ok(getsockopt(a, SOL_SOCKET, SO_MAX_MSG_SIZE, (char *)&max,
                                 &len));
        assert_int_equal(max, families[f] == AF_INET ? 65507 : 65527);
        DWORD sent = POISON;
        WSABUF over[2] = {{1000, big}, {(ULONG)max + 1 - 1000, big + 1000}};
        assert_wsa_error(WSASend(a, over, 2, &sent, 0, NULL, NULL),
                         WSAEMSGSIZE);
        assert_int_equal(sent, POISON);
        assert_wsa_error(send(a, big, max + 1, 0), WSAEMSGSIZE);
        /* Nothing went: the next datagram is the first to arrive. */
        assert_int_equal(send(a, big, max, 0), max);
        recv_dgram(b, in, 70000, max);
        ws2t_check(in, (size_t)max, 5, 0);
        expect_nothing(b);
        closesocket(a);
        closesocket(b);
    }
    free(in);
}

/* "If the socket is nonblocking and stream oriented, and there is not
 * sufficient space in the transport's buffer, [it] will return with only
 * part of the ... buffers having been consumed"; with no space at all,
 * WSAEWOULDBLOCK ("the socket is marked as nonblocking and the send
 * operation cannot be completed immediately"). */
static void test_nonblocking_partial(void **state)
{
    (void)state;
    SOCKET c, d;
    ws2t_tcp_pair(AF_INET, &c, &d);
    int small = 4096;
    assert_wsa_ok(setsockopt(c, SOL_SOCKET, SO_SNDBUF, (char *)&small,
                             sizeof(small)));
    assert_wsa_ok(setsockopt(d, SOL_SOCKET, SO_RCVBUF, (char *)&small,
                             sizeof(small)));
    u_long nb = 1;
    assert_wsa_ok(ioctlsocket(c, FIONBIO, &nb));
    size_t total = 8u << 20;
    char *out = malloc(total), *in = malloc(total);
    ws2t_fill(out, total, 6, 0);
    WSABUF wb[4] = {{(ULONG)(total / 4), out},
                    {(ULONG)(total / 4), out + total / 4},
                    {(ULONG)(total / 4), out + total / 2},
                    {(ULONG)(total / 4), out + 3 * total / 4}};
    DWORD sent = POISON;
    assert_int_equal(WSASend(c, wb, 4, &sent, 0, NULL, NULL), 0);
    assert_true(sent > 0 && sent < total);
    size_t accepted = sent;
    /* Keep going until the buffer is full: then WSAEWOULDBLOCK, with the
     * count untouched. */
    int full = 0;
    for (int i = 0; i < 1000 && !full; i++) {
        WSABUF rest = {(ULONG)(total - accepted), out + accepted};
        sent = POISON;
        int r = WSASend(c, &rest, 1, &sent, 0, NULL, NULL);
        if (r == SOCKET_ERROR) {
            assert_int_equal(WSAGetLastError(), WSAEWOULDBLOCK);
            assert_int_equal(sent, POISON);
            full = 1;
        } else {
            accepted += sent;
        }
    }
    assert_true(full);
    /* Exactly the consumed prefix arrives, in order. */
    ws2t_recv_all(d, in, accepted);
    ws2t_check(in, accepted, 6, 0);
    expect_nothing(d);
    free(out);
    free(in);
    closesocket(c);
    closesocket(d);
}

struct reader {
    SOCKET s;
    char *buf;
    size_t len;
    int delay_ms;
};

static void *slow_reader(void *arg)
{
    struct reader *r = arg;
    struct timespec ts = {0, (long)r->delay_ms * 1000000L};
    nanosleep(&ts, NULL);
    size_t got = 0;
    while (got < r->len) {
        size_t want = r->len - got < 65536 ? r->len - got : 65536;
        int n = recv(r->s, r->buf + got, (int)want, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    r->len = got;
    return NULL;
}

/* "Given the same buffer situation and a blocking socket, WSPSendTo will
 * block until all of the ... buffer contents have been consumed." */
static void test_blocking_consumes_all(void **state)
{
    (void)state;
    SOCKET c, d;
    ws2t_tcp_pair(AF_INET, &c, &d);
    size_t total = 16u << 20;
    char *out = malloc(total), *in = malloc(total);
    ws2t_fill(out, total, 7, 0);
    struct reader r = {d, in, total, 200};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, slow_reader, &r), 0);
    WSABUF wb[3] = {{(ULONG)(total / 2), out},
                    {0, NULL},
                    {(ULONG)(total / 2), out + total / 2}};
    DWORD sent = POISON;
    assert_int_equal(WSASend(c, wb, 3, &sent, 0, NULL, NULL), 0);
    assert_int_equal(sent, total);
    pthread_join(t, NULL);
    assert_int_equal(r.len, total);
    ws2t_check(in, total, 7, 0);
    free(out);
    free(in);
    closesocket(c);
    closesocket(d);
}

/* "The array of WSABUF structures pointed to by the lpBuffers parameter is
 * transient": a stack array reused at once does not change what was
 * sent. */
static void test_wsabuf_transient(void **state)
{
    (void)state;
    SOCKET a, b;
    ws2t_udp_pair(AF_INET, &a, &b, 1);
    char in[8];
    for (int i = 0; i < 3; i++) {
        char msg[2] = {(char)('0' + i), '!'};
        WSABUF wb = {2, msg};
        DWORD sent;
        assert_int_equal(WSASend(a, &wb, 1, &sent, 0, NULL, NULL), 0);
        wb.len = 0;
        msg[0] = 'X';
    }
    for (int i = 0; i < 3; i++) {
        recv_dgram(b, in, sizeof(in), 2);
        assert_int_equal(in[0], '0' + i);
    }
    closesocket(a);
    closesocket(b);
}

/* "For nonoverlapped sockets, the parameters lpOverlapped,
 * lpCompletionRoutine, and lpThreadId are ignored and WSPSendTo adopts the
 * regular synchronous semantics." */
static void CALLBACK never_called(DWORD e, DWORD n, LPWSAOVERLAPPED ov,
                                  DWORD f)
{
    (void)e, (void)n, (void)ov, (void)f;
    fail_msg("completion routine called for a non-overlapped socket");
}

static void test_nonoverlapped_ignores_overlapped(void **state)
{
    (void)state;
    SOCKET a = WSASocketW(AF_INET, SOCK_DGRAM, IPPROTO_UDP, NULL, 0, 0);
    assert_true(a != INVALID_SOCKET);
    SOCKET b = ws2t_bound(AF_INET, SOCK_DGRAM);
    SOCKADDR_STORAGE to;
    int tolen;
    ws2t_name(b, &to, &tolen);
    WSAOVERLAPPED ov;
    memset(&ov, 0x5a, sizeof(ov));
    WSAOVERLAPPED before = ov;
    WSABUF wb = {5, (CHAR *)"hello"};
    DWORD sent = POISON;
    assert_int_equal(WSASendTo(a, &wb, 1, &sent, 0, (struct sockaddr *)&to,
                               tolen, &ov, never_called),
                     0);
    assert_int_equal(sent, 5);
    assert_memory_equal(&ov, &before, sizeof(ov));
    char in[8];
    recv_dgram(b, in, sizeof(in), 5);
    assert_memory_equal(in, "hello", 5);
    closesocket(a);
    closesocket(b);
}

/* "For overlapped sockets ... unless both lpOverlapped and
 * lpCompletionRoutine are NULL in which case the socket is treated as a
 * nonoverlapped socket"; with lpOverlapped a send that completes at once
 * "returns a value of zero and the lpNumberOfBytesSent parameter is
 * updated", and lpOverlapped shows the completion. (The overlapped paths
 * themselves are tested in test_overlapped.) */
static void test_overlapped_socket(void **state)
{
    (void)state;
    SOCKET a = WSASocketW(AF_INET, SOCK_DGRAM, IPPROTO_UDP, NULL, 0,
                          WSA_FLAG_OVERLAPPED);
    assert_true(a != INVALID_SOCKET);
    SOCKET b = ws2t_bound(AF_INET, SOCK_DGRAM);
    SOCKADDR_STORAGE to;
    int tolen;
    ws2t_name(b, &to, &tolen);
    WSABUF wb = {4, (CHAR *)"sync"};
    DWORD sent = POISON;
    assert_int_equal(WSASendTo(a, &wb, 1, &sent, 0, (struct sockaddr *)&to,
                               tolen, NULL, NULL),
                     0);
    assert_int_equal(sent, 4);
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    WSABUF wo = {5, (CHAR *)"ovlpd"};
    sent = POISON;
    assert_int_equal(WSASendTo(a, &wo, 1, &sent, 0, (struct sockaddr *)&to,
                               tolen, &ov, NULL),
                     0);
    assert_int_equal(sent, 5);
    assert_true(HasOverlappedIoCompleted(&ov));
    assert_int_equal(ov.Internal, 0);
    assert_int_equal(ov.InternalHigh, 5);
    char in[8];
    recv_dgram(b, in, sizeof(in), 4);
    recv_dgram(b, in, sizeof(in), 5);
    assert_memory_equal(in, "ovlpd", 5);
    expect_nothing(b);
    closesocket(a);
    closesocket(b);
}

/* "WSAEACCES: Requested address is a broadcast address, but the
 * appropriate flag was not set"; with SO_BROADCAST it goes. */
static void test_broadcast(void **state)
{
    (void)state;
    SOCKET a = ws2t_bound(AF_INET, SOCK_DGRAM);
    SOCKET b = socket(AF_INET, SOCK_DGRAM, 0);
    SOCKADDR_IN any = {.sin_family = AF_INET};
    assert_wsa_ok(bind(b, (struct sockaddr *)&any, sizeof(any)));
    ws2t_rcvtimeo(b, 5000);
    SOCKADDR_STORAGE bn;
    int bnlen;
    ws2t_name(b, &bn, &bnlen);
    /* 127.255.255.255 is the broadcast address of the loopback net. */
    SOCKADDR_IN bc = {.sin_family = AF_INET,
                      .sin_port = ((SOCKADDR_IN *)&bn)->sin_port};
    bc.sin_addr.s_addr = htonl(0x7fffffff);
    DWORD sent = POISON;
    WSABUF wb = {2, (CHAR *)"bc"};
    assert_wsa_error(WSASendTo(a, &wb, 1, &sent, 0, (struct sockaddr *)&bc,
                               sizeof(bc), NULL, NULL),
                     WSAEACCES);
    assert_int_equal(sent, POISON);
    BOOL on = TRUE;
    assert_wsa_ok(setsockopt(a, SOL_SOCKET, SO_BROADCAST, (char *)&on,
                             sizeof(on)));
    assert_int_equal(WSASendTo(a, &wb, 1, &sent, 0, (struct sockaddr *)&bc,
                               sizeof(bc), NULL, NULL),
                     0);
    assert_int_equal(sent, 2);
    char in[4];
    recv_dgram(b, in, sizeof(in), 2);
    assert_memory_equal(in, "bc", 2);
    closesocket(a);
    closesocket(b);
}

/* "WSAEFAULT: The lpBuffers or lpTo parameters are not part of the user
 * address space, or the lpTo parameter is too small" (and the CE page adds
 * lpNumberOfBytesSent). Nothing is sent. */
static void test_efault(void **state)
{
    (void)state;
    for (int f = 0; f < 2; f++) {
        SOCKET a, b;
        ws2t_udp_pair(families[f], &a, &b, 0);
        SOCKADDR_STORAGE to;
        int tolen;
        ws2t_name(b, &to, &tolen);
        WSABUF wb = {3, (CHAR *)"abc"};
        DWORD sent = POISON;
        assert_wsa_error(WSASendTo(a, NULL, 1, &sent, 0,
                                   (struct sockaddr *)&to, tolen, NULL, NULL),
                         WSAEFAULT);
        assert_wsa_error(WSASendTo(a, &wb, 1, NULL, 0, (struct sockaddr *)&to,
                                   tolen, NULL, NULL),
                         WSAEFAULT);
        assert_wsa_error(WSASendTo(a, &wb, 1, &sent, 0, (struct sockaddr *)&to,
                                   tolen - 5, NULL, NULL),
                         WSAEFAULT);
        assert_wsa_error(WSASendTo(a, &wb, 1, &sent, 0, (struct sockaddr *)&to,
                                   0, NULL, NULL),
                         WSAEFAULT);
        assert_wsa_error(WSASendTo(a, &wb, 1, &sent, 0, (struct sockaddr *)8,
                                   tolen, NULL, NULL),
                         WSAEFAULT);
        WSABUF bad[2] = {{3, (CHAR *)"abc"}, {10, NULL}};
        assert_wsa_error(WSASendTo(a, bad, 2, &sent, 0, (struct sockaddr *)&to,
                                   tolen, NULL, NULL),
                         WSAEFAULT);
        assert_wsa_error(sendto(a, "abc", -1, 0, (struct sockaddr *)&to,
                                tolen),
                         WSAEFAULT);
        assert_int_equal(sent, POISON);
        expect_nothing(b);
        closesocket(a);
        closesocket(b);
    }
}

/* "WSAEADDRNOTAVAIL: Remote address is not a valid address (for example,
 * ADDR_ANY)." Linux would deliver to the local host; Windows refuses. */
static void test_addr_any_destination(void **state)
{
    (void)state;
    for (int f = 0; f < 2; f++) {
        SOCKET a, b;
        ws2t_udp_pair(families[f], &a, &b, 0);
        SOCKADDR_STORAGE to;
        int tolen;
        ws2t_name(b, &to, &tolen);
        if (families[f] == AF_INET)
            ((SOCKADDR_IN *)&to)->sin_addr.s_addr = 0;
        else
            memset(&((SOCKADDR_IN6 *)&to)->sin6_addr, 0, 16);
        assert_wsa_error(sendto(a, "x", 1, 0, (struct sockaddr *)&to, tolen),
                         WSAEADDRNOTAVAIL);
        expect_nothing(b);
        /* Port 0 is not refused by Windows: the datagram goes to nobody. */
        ws2t_name(b, &to, &tolen);
        ((SOCKADDR_IN *)&to)->sin_port = 0; /* same offset in sockaddr_in6 */
        assert_int_equal(sendto(a, "x", 1, 0, (struct sockaddr *)&to, tolen),
                         1);
        expect_nothing(b);
        closesocket(a);
        closesocket(b);
    }
}

/* "WSAEAFNOSUPPORT: Addresses in the specified family cannot be used with
 * this socket." */
static void test_foreign_family(void **state)
{
    (void)state;
    SOCKET a4 = ws2t_bound(AF_INET, SOCK_DGRAM);
    SOCKET a6 = ws2t_bound(AF_INET6, SOCK_DGRAM);
    SOCKADDR_STORAGE to4, to6;
    int len4, len6;
    ws2t_name(a4, &to4, &len4);
    ws2t_name(a6, &to6, &len6);
    assert_wsa_error(sendto(a4, "x", 1, 0, (struct sockaddr *)&to6, len6),
                     WSAEAFNOSUPPORT);
    assert_wsa_error(sendto(a6, "x", 1, 0, (struct sockaddr *)&to4, len4),
                     WSAEAFNOSUPPORT);
    SOCKADDR_STORAGE odd = to4;
    odd.ss_family = 99;
    assert_wsa_error(sendto(a4, "x", 1, 0, (struct sockaddr *)&odd, len4),
                     WSAEAFNOSUPPORT);
    expect_nothing(a4);
    expect_nothing(a6);
    closesocket(a4);
    closesocket(a6);
}

/* "WSAEDESTADDRREQ: Destination address is required" (sendto with no
 * address on an unconnected datagram socket) and "WSAENOTCONN: The socket
 * is not connected" (send on one; and any send on an unconnected
 * stream). */
static void test_no_destination(void **state)
{
    (void)state;
    SOCKET a = ws2t_bound(AF_INET, SOCK_DGRAM);
    WSABUF wb = {1, (CHAR *)"x"};
    DWORD sent = POISON;
    assert_wsa_error(WSASendTo(a, &wb, 1, &sent, 0, NULL, 0, NULL, NULL),
                     WSAEDESTADDRREQ);
    assert_wsa_error(sendto(a, "x", 1, 0, NULL, 0), WSAEDESTADDRREQ);
    assert_wsa_error(WSASend(a, &wb, 1, &sent, 0, NULL, NULL), WSAENOTCONN);
    assert_wsa_error(send(a, "x", 1, 0), WSAENOTCONN);
    assert_int_equal(sent, POISON);
    closesocket(a);

    SOCKET t = socket(AF_INET, SOCK_STREAM, 0);
    assert_wsa_error(WSASend(t, &wb, 1, &sent, 0, NULL, NULL), WSAENOTCONN);
    assert_wsa_error(send(t, "x", 1, 0), WSAENOTCONN);
    SOCKADDR_STORAGE to;
    int tolen;
    ws2t_loopback(AF_INET, 9, &to, &tolen);
    assert_wsa_error(sendto(t, "x", 1, 0, (struct sockaddr *)&to, tolen),
                     WSAENOTCONN);
    /* A listening socket is not connected either. */
    SOCKET l = ws2t_bound(AF_INET, SOCK_STREAM);
    assert_wsa_ok(listen(l, 1));
    assert_wsa_error(send(l, "x", 1, 0), WSAENOTCONN);
    closesocket(t);
    closesocket(l);
}

/* "WSAESHUTDOWN: Socket has been shut down; it is not possible to use
 * WSPSendTo on a socket after WSPShutdown has been invoked with how set to
 * SD_SEND or SD_BOTH." */
static void test_shutdown(void **state)
{
    (void)state;
    static const int hows[] = {SD_SEND, SD_BOTH};
    for (int h = 0; h < 2; h++) {
        SOCKET c, d;
        ws2t_tcp_pair(AF_INET, &c, &d);
        assert_wsa_ok(shutdown(c, hows[h]));
        WSABUF wb = {1, (CHAR *)"x"};
        DWORD sent = POISON;
        assert_wsa_error(WSASend(c, &wb, 1, &sent, 0, NULL, NULL),
                         WSAESHUTDOWN);
        assert_wsa_error(send(c, "x", 1, 0), WSAESHUTDOWN);
        assert_int_equal(sent, POISON);
        char in[4];
        assert_int_equal(recv(d, in, sizeof(in), 0), 0); /* FIN, no data */
        closesocket(c);
        closesocket(d);

        SOCKET a, b;
        ws2t_udp_pair(AF_INET, &a, &b, 0);
        SOCKADDR_STORAGE to;
        int tolen;
        ws2t_name(b, &to, &tolen);
        assert_wsa_ok(shutdown(a, hows[h]));
        assert_wsa_error(sendto(a, "x", 1, 0, (struct sockaddr *)&to, tolen),
                         WSAESHUTDOWN);
        expect_nothing(b);
        closesocket(a);
        closesocket(b);
    }
    /* SD_RECEIVE alone leaves sending alone. */
    SOCKET c, d;
    ws2t_tcp_pair(AF_INET, &c, &d);
    assert_wsa_ok(shutdown(c, SD_RECEIVE));
    assert_int_equal(send(c, "y", 1, 0), 1);
    char in[4];
    assert_int_equal(recv(d, in, 1, 0), 1);
    closesocket(c);
    closesocket(d);
}

/* "WSAENOTSOCK: Descriptor is not a socket." */
static void test_not_a_socket(void **state)
{
    (void)state;
    SOCKET a = socket(AF_INET, SOCK_DGRAM, 0);
    closesocket(a);
    WSABUF wb = {1, (CHAR *)"x"};
    DWORD sent = POISON;
    SOCKET bad[] = {a, 0, 1, 4, 0x7ffffffc, INVALID_SOCKET};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_wsa_error(WSASend(bad[i], &wb, 1, &sent, 0, NULL, NULL),
                         WSAENOTSOCK);
        assert_wsa_error(WSASendTo(bad[i], &wb, 1, &sent, 0, NULL, 0, NULL,
                                   NULL),
                         WSAENOTSOCK);
        assert_wsa_error(send(bad[i], "x", 1, 0), WSAENOTSOCK);
        assert_wsa_error(sendto(bad[i], "x", 1, 0, NULL, 0), WSAENOTSOCK);
    }
    assert_int_equal(sent, POISON);
}

/* "WSAEOPNOTSUPP: MSG_OOB was specified, but the socket is not stream-
 * style"; flags Windows does not define are refused the same way. */
static void test_flags_refused(void **state)
{
    (void)state;
    SOCKET a, b;
    ws2t_udp_pair(AF_INET, &a, &b, 1);
    WSABUF wb = {1, (CHAR *)"x"};
    DWORD sent = POISON;
    assert_wsa_error(WSASend(a, &wb, 1, &sent, MSG_OOB, NULL, NULL),
                     WSAEOPNOTSUPP);
    assert_wsa_error(WSASend(a, &wb, 1, &sent, 0x40000, NULL, NULL),
                     WSAEOPNOTSUPP);
    assert_wsa_error(WSASend(a, &wb, 1, &sent, MSG_PEEK, NULL, NULL),
                     WSAEOPNOTSUPP);
    assert_int_equal(sent, POISON);
    expect_nothing(b);
    closesocket(a);
    closesocket(b);
}

/* MSG_OOB "Sends OOB data (stream-style socket such as SOCK_STREAM
 * only)": the peer reads it with MSG_OOB. */
static void test_oob(void **state)
{
    (void)state;
    SOCKET c, d;
    ws2t_tcp_pair(AF_INET, &c, &d);
    assert_int_equal(send(c, "ab", 2, 0), 2);
    WSABUF wb = {1, (CHAR *)"!"};
    DWORD sent = POISON;
    assert_int_equal(WSASend(c, &wb, 1, &sent, MSG_OOB, NULL, NULL), 0);
    assert_int_equal(sent, 1);
    char in[4];
    ws2t_recv_all(d, in, 2);
    assert_memory_equal(in, "ab", 2);
    int r = SOCKET_ERROR;
    for (int i = 0; i < 100 && r == SOCKET_ERROR; i++) {
        r = recv(d, in, 1, MSG_OOB);
        if (r == SOCKET_ERROR) {
            struct timespec ts = {0, 10000000};
            nanosleep(&ts, NULL);
        }
    }
    assert_int_equal(r, 1);
    assert_int_equal(in[0], '!');
    closesocket(c);
    closesocket(d);
}

/* MSG_PARTIAL "Specifies that lpBuffers only contains a partial message":
 * the UDP provider supports partial messages (XP1_PARTIAL_MESSAGE), so the
 * parts travel as one datagram when the last part comes without it. */
static void test_partial_message(void **state)
{
    (void)state;
    SOCKET a, b;
    ws2t_udp_pair(AF_INET, &a, &b, 1);
    WSAPROTOCOL_INFOW info;
    int len = sizeof(info);
    assert_wsa_ok(getsockopt(a, SOL_SOCKET, SO_PROTOCOL_INFOW, (char *)&info,
                             &len));
    assert_true(info.dwServiceFlags1 & XP1_PARTIAL_MESSAGE);
    WSABUF p1 = {3, (CHAR *)"abc"}, p2 = {3, (CHAR *)"def"};
    DWORD sent = POISON;
    assert_int_equal(WSASend(a, &p1, 1, &sent, MSG_PARTIAL, NULL, NULL), 0);
    assert_int_equal(sent, 3);
    expect_nothing(b);
    assert_int_equal(WSASend(a, &p2, 1, &sent, 0, NULL, NULL), 0);
    char in[16];
    recv_dgram(b, in, sizeof(in), 6);
    assert_memory_equal(in, "abcdef", 6);
    closesocket(a);
    closesocket(b);
}

/* MSG_DONTROUTE "Specifies that the data should not be subject to
 * routing": the loopback peer is directly reachable, so the datagram
 * arrives (Windows CE's provider ignored the flag; desktop honours it). */
static void test_dontroute(void **state)
{
    (void)state;
    SOCKET a, b;
    ws2t_udp_pair(AF_INET, &a, &b, 1);
    assert_int_equal(send(a, "dr", 2, MSG_DONTROUTE), 2);
    char in[4];
    recv_dgram(b, in, sizeof(in), 2);
    closesocket(a);
    closesocket(b);
}

/* Sending on an unbound datagram socket binds it implicitly, as on Windows
 * desktop (the CE page lists WSAEINVAL; see DESIGN.md). */
static void test_implicit_bind(void **state)
{
    (void)state;
    SOCKET a = socket(AF_INET, SOCK_DGRAM, 0);
    SOCKADDR_STORAGE name;
    int namelen = sizeof(name);
    assert_wsa_error(getsockname(a, (struct sockaddr *)&name, &namelen),
                     WSAEINVAL);
    SOCKET b = ws2t_bound(AF_INET, SOCK_DGRAM);
    SOCKADDR_STORAGE to;
    int tolen;
    ws2t_name(b, &to, &tolen);
    assert_int_equal(sendto(a, "ib", 2, 0, (struct sockaddr *)&to, tolen), 2);
    ws2t_name(a, &name, &namelen);
    assert_true(((SOCKADDR_IN *)&name)->sin_port != 0);
    char in[4];
    SOCKADDR_STORAGE from;
    int fromlen = sizeof(from);
    assert_int_equal(recvfrom(b, in, sizeof(in), 0, (struct sockaddr *)&from,
                              &fromlen),
                     2);
    assert_int_equal(((SOCKADDR_IN *)&from)->sin_port,
                     ((SOCKADDR_IN *)&name)->sin_port);
    closesocket(a);
    closesocket(b);
}

/* "The successful completion of a WSPSendTo does not indicate that the
 * data was successfully delivered": a datagram to a closed port is sent
 * successfully, and never fails a later send either. */
static void test_success_not_delivery(void **state)
{
    (void)state;
    SOCKET a = ws2t_bound(AF_INET, SOCK_DGRAM);
    SOCKET gone = ws2t_bound(AF_INET, SOCK_DGRAM);
    SOCKADDR_STORAGE to;
    int tolen;
    ws2t_name(gone, &to, &tolen);
    closesocket(gone);
    assert_wsa_ok(connect(a, (struct sockaddr *)&to, tolen));
    for (int i = 0; i < 5; i++) {
        assert_int_equal(send(a, "lost", 4, 0), 4);
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
    }
    closesocket(a);
}

/* "WSAECONNRESET: Virtual circuit was reset by the remote side." No
 * SIGPIPE either: the test process would die of it. */
static void test_reset_peer(void **state)
{
    (void)state;
    SOCKET c, d;
    ws2t_tcp_pair(AF_INET, &c, &d);
    LINGER abort_close = {1, 0};
    assert_wsa_ok(setsockopt(d, SOL_SOCKET, SO_LINGER, (char *)&abort_close,
                             sizeof(abort_close)));
    closesocket(d);
    struct timespec ts = {0, 50000000};
    nanosleep(&ts, NULL);
    int err = 0;
    for (int i = 0; i < 10 && !err; i++) {
        if (send(c, "x", 1, 0) == SOCKET_ERROR)
            err = WSAGetLastError();
        nanosleep(&ts, NULL);
    }
    assert_int_equal(err, WSAECONNRESET);
    /* Again: still no signal, still an error. */
    assert_true(send(c, "x", 1, 0) == SOCKET_ERROR);
    closesocket(c);
}

/* "WSAEINTR: The socket was closed." A send blocked on a full window ends
 * when another thread closes the socket. */
struct closer {
    SOCKET s;
    int delay_ms;
};

static void *close_later(void *arg)
{
    struct closer *c = arg;
    struct timespec ts = {0, (long)c->delay_ms * 1000000L};
    nanosleep(&ts, NULL);
    closesocket(c->s);
    return NULL;
}

static void test_close_wakes_blocked_send(void **state)
{
    (void)state;
    SOCKET c, d;
    ws2t_tcp_pair(AF_INET, &c, &d);
    ws2t_fill_window(c);
    u_long bl = 0;
    assert_wsa_ok(ioctlsocket(c, FIONBIO, &bl));
    DWORD ms = 10000; /* a bound on the test, should the wake-up fail */
    assert_wsa_ok(setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, (char *)&ms,
                             sizeof(ms)));
    struct closer cl = {c, 200};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, close_later, &cl), 0);
    static char big[1 << 20];
    time_t t0 = time(NULL);
    int r = send(c, big, sizeof(big), 0);
    int err = WSAGetLastError();
    pthread_join(t, NULL);
    assert_int_equal(r, SOCKET_ERROR);
    assert_int_equal(err, WSAEINTR);
    assert_true(time(NULL) - t0 < 8);
    closesocket(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sendto_reaches_destination),
        cmocka_unit_test(test_gather_datagram),
        cmocka_unit_test(test_zero_buffers),
        cmocka_unit_test(test_many_buffers),
        cmocka_unit_test(test_lpto_overrides_connected),
        cmocka_unit_test(test_stream_ignores_lpto),
        cmocka_unit_test(test_wsasend_connected_udp),
        cmocka_unit_test(test_msgsize),
        cmocka_unit_test(test_nonblocking_partial),
        cmocka_unit_test(test_blocking_consumes_all),
        cmocka_unit_test(test_wsabuf_transient),
        cmocka_unit_test(test_nonoverlapped_ignores_overlapped),
        cmocka_unit_test(test_overlapped_socket),
        cmocka_unit_test(test_broadcast),
        cmocka_unit_test(test_efault),
        cmocka_unit_test(test_addr_any_destination),
        cmocka_unit_test(test_foreign_family),
        cmocka_unit_test(test_no_destination),
        cmocka_unit_test(test_shutdown),
        cmocka_unit_test(test_not_a_socket),
        cmocka_unit_test(test_flags_refused),
        cmocka_unit_test(test_oob),
        cmocka_unit_test(test_partial_message),
        cmocka_unit_test(test_dontroute),
        cmocka_unit_test(test_implicit_bind),
        cmocka_unit_test(test_success_not_delivery),
        cmocka_unit_test(test_reset_peer),
        cmocka_unit_test(test_close_wakes_blocked_send),
    };
    return cmocka_run_group_tests(tests, ws2t_startup, ws2t_cleanup);
}
