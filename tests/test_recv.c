/*
 * test_recv.c - the receive counterparts of the send path: WSARecv,
 * WSARecvFrom, recv and recvfrom with MSG_PEEK, MSG_OOB, lpFrom, truncated
 * datagrams, timeouts, shutdown and the UDP port-unreachable rule.
 */
#define _POSIX_C_SOURCE 200809L
#include "util.h"

#include <stdlib.h>
#include <time.h>

/* WSARecvFrom: "If the datagram or message is larger than the buffers
 * specified, the buffers are filled with the first part of the datagram,
 * and WSARecvFrom generates the error WSAEMSGSIZE"; the flags report
 * MSG_PARTIAL. The rest of the datagram is gone. */
static void test_truncated_datagram(void **state)
{
    (void)state;
    SOCKET a, b;
    ws2t_udp_pair(AF_INET, &a, &b, 1);
    char out[100], in[64];
    ws2t_fill(out, sizeof(out), 11, 0);
    assert_int_equal(send(a, out, 100, 0), 100);
    assert_int_equal(send(a, "next", 4, 0), 4);
    memset(in, 0, sizeof(in));
    WSABUF wb[2] = {{10, in}, {20, in + 10}};
    DWORD got = POISON, flags = 0;
    assert_wsa_error(WSARecv(b, wb, 2, &got, &flags, NULL, NULL), WSAEMSGSIZE);
    assert_int_equal(got, 30);
    assert_int_equal(flags, MSG_PARTIAL);
    ws2t_check(in, 30, 11, 0);
    got = POISON;
    flags = 0;
    assert_int_equal(WSARecv(b, wb, 2, &got, &flags, NULL, NULL), 0);
    assert_int_equal(got, 4);
    assert_int_equal(flags, 0);
    assert_memory_equal(in, "next", 4);
    /* recv reports it the same way. */
    assert_int_equal(send(a, out, 100, 0), 100);
    assert_wsa_error(recv(b, in, 8, 0), WSAEMSGSIZE);
    ws2t_check(in, 8, 11, 0);
    closesocket(a);
    closesocket(b);
}

/* MSG_PEEK: the data is copied and stays queued. */
static void test_peek(void **state)
{
    (void)state;
    SOCKET a, b;
    ws2t_udp_pair(AF_INET6, &a, &b, 1);
    assert_int_equal(send(a, "peek", 4, 0), 4);
    char in[8];
    assert_int_equal(recv(b, in, sizeof(in), MSG_PEEK), 4);
    assert_int_equal(recv(b, in, sizeof(in), 0), 4);
    assert_memory_equal(in, "peek", 4);
    SOCKET c, d;
    ws2t_tcp_pair(AF_INET, &c, &d);
    assert_int_equal(send(c, "stream", 6, 0), 6);
    ws2t_sleep_ms(20);
    assert_int_equal(recv(d, in, 3, MSG_PEEK), 3);
    assert_memory_equal(in, "str", 3);
    ws2t_recv_all(d, in, 6);
    assert_memory_equal(in, "stream", 6);
    closesocket(a);
    closesocket(b);
    closesocket(c);
    closesocket(d);
}

/* lpFrom gets the sender's address; a too-small lpFromlen is WSAEFAULT
 * ("the lpFrom buffer was too small to accommodate the peer address")
 * and the datagram stays queued. */
static void test_from(void **state)
{
    (void)state;
    static const int fams[] = {AF_INET, AF_INET6};
    for (int f = 0; f < 2; f++) {
        SOCKET a, b;
        ws2t_udp_pair(fams[f], &a, &b, 1);
        assert_int_equal(send(a, "from", 4, 0), 4);
        char in[8];
        SOCKADDR_STORAGE from;
        int fromlen = fams[f] == AF_INET ? 15 : 27;
        assert_wsa_error(recvfrom(b, in, sizeof(in), 0,
                                  (struct sockaddr *)&from, &fromlen),
                         WSAEFAULT);
        WSABUF wb = {sizeof(in), in};
        DWORD got = POISON, flags = 0;
        fromlen = sizeof(from);
        assert_int_equal(WSARecvFrom(b, &wb, 1, &got, &flags,
                                     (struct sockaddr *)&from, &fromlen, NULL,
                                     NULL),
                         0);
        assert_int_equal(got, 4);
        SOCKADDR_STORAGE self;
        int selflen;
        ws2t_name(a, &self, &selflen);
        assert_int_equal(fromlen, selflen);
        assert_memory_equal(&from, &self, (size_t)selflen);
        closesocket(a);
        closesocket(b);
    }
}

/* Windows' recvfrom: "WSAEINVAL: The socket has not been bound with
 * bind". Linux would wait for ever. */
static void test_unbound(void **state)
{
    (void)state;
    SOCKET a = socket(AF_INET, SOCK_DGRAM, 0);
    char in[4];
    assert_wsa_error(recv(a, in, sizeof(in), 0), WSAEINVAL);
    assert_wsa_error(recvfrom(a, in, sizeof(in), 0, NULL, NULL), WSAEINVAL);
    closesocket(a);
    SOCKET t = socket(AF_INET, SOCK_STREAM, 0);
    assert_wsa_error(recv(t, in, sizeof(in), 0), WSAENOTCONN);
    closesocket(t);
}

/* A graceful close reads as 0 bytes; after shutdown(SD_RECEIVE) receives
 * fail with WSAESHUTDOWN. */
static void test_close_and_shutdown(void **state)
{
    (void)state;
    SOCKET c, d;
    ws2t_tcp_pair(AF_INET, &c, &d);
    assert_int_equal(send(c, "bye", 3, 0), 3);
    assert_wsa_ok(shutdown(c, SD_SEND));
    char in[8];
    ws2t_recv_all(d, in, 3);
    assert_int_equal(recv(d, in, sizeof(in), 0), 0);
    assert_wsa_ok(shutdown(d, SD_RECEIVE));
    assert_wsa_error(recv(d, in, sizeof(in), 0), WSAESHUTDOWN);
    closesocket(c);
    closesocket(d);
}

/* SO_RCVTIMEO: a blocking receive that times out fails with
 * WSAETIMEDOUT; a non-blocking one with nothing queued with
 * WSAEWOULDBLOCK. */
static void test_timeouts(void **state)
{
    (void)state;
    SOCKET a, b;
    ws2t_udp_pair(AF_INET, &a, &b, 1);
    ws2t_rcvtimeo(b, 100);
    char in[4];
    assert_wsa_error(recv(b, in, sizeof(in), 0), WSAETIMEDOUT);
    u_long nb = 1;
    assert_wsa_ok(ioctlsocket(b, FIONBIO, &nb));
    assert_wsa_error(recv(b, in, sizeof(in), 0), WSAEWOULDBLOCK);
    closesocket(a);
    closesocket(b);
}

/* Flags: MSG_OOB and MSG_WAITALL on a datagram socket, and bits Windows
 * does not define, are WSAEOPNOTSUPP; MSG_WAITALL on a stream waits for the
 * whole buffer. */
static void test_flags(void **state)
{
    (void)state;
    SOCKET a, b;
    ws2t_udp_pair(AF_INET, &a, &b, 1);
    char in[8];
    assert_wsa_error(recv(b, in, sizeof(in), MSG_OOB), WSAEOPNOTSUPP);
    assert_wsa_error(recv(b, in, sizeof(in), MSG_WAITALL), WSAEOPNOTSUPP);
    assert_wsa_error(recv(b, in, sizeof(in), 0x40000), WSAEOPNOTSUPP);
    closesocket(a);
    closesocket(b);
    SOCKET c, d;
    ws2t_tcp_pair(AF_INET, &c, &d);
    assert_int_equal(send(c, "wait", 4, 0), 4);
    ws2t_sleep_ms(30);
    assert_int_equal(send(c, "all!", 4, 0), 4);
    assert_int_equal(recv(d, in, 8, MSG_WAITALL), 8);
    assert_memory_equal(in, "waitall!", 8);
    closesocket(c);
    closesocket(d);
}

/* Scatter: one datagram and a stream spread over many buffers, more than
 * Linux's IOV_MAX, in order. */
static void test_scatter(void **state)
{
    (void)state;
    enum { N = 2500 };
    static WSABUF wb[N];
    static char in[N * 4], out[N * 4];
    ws2t_fill(out, sizeof(out), 12, 0);
    for (int i = 0; i < N; i++) {
        wb[i].len = (ULONG)(i % 4);
        wb[i].buf = in + (size_t)i * 4;
    }
    SOCKET a, b;
    ws2t_udp_pair(AF_INET, &a, &b, 1);
    assert_int_equal(send(a, out, 3000, 0), 3000);
    DWORD got = POISON, flags = 0;
    assert_int_equal(WSARecv(b, wb, N, &got, &flags, NULL, NULL), 0);
    assert_int_equal(got, 3000);
    size_t off = 0;
    for (int i = 0; i < N && off < 3000; i++) {
        size_t take = wb[i].len < 3000 - off ? wb[i].len : 3000 - off;
        ws2t_check(wb[i].buf, take, 12, off);
        off += take;
    }
    closesocket(a);
    closesocket(b);
}

/* "a UDP 'port unreachable' never fails a send, and surfaces as
 * WSAECONNRESET on a later receive unless SIO_UDP_CONNRESET turned it
 * off" (Windows: recvfrom "WSAECONNRESET ... On a UDP-datagram socket this
 * error indicates a previous send operation resulted in an ICMP Port
 * Unreachable message"). */
static void test_port_unreachable(void **state)
{
    (void)state;
    for (int off = 0; off < 2; off++) {
        SOCKET a = ws2t_bound(AF_INET, SOCK_DGRAM);
        SOCKET gone = ws2t_bound(AF_INET, SOCK_DGRAM);
        SOCKADDR_STORAGE to;
        int tolen;
        ws2t_name(gone, &to, &tolen);
        closesocket(gone);
        if (off) {
            BOOL no = FALSE;
            DWORD ret;
            assert_wsa_ok(WSAIoctl(a, SIO_UDP_CONNRESET, &no, sizeof(no), NULL,
                                   0, &ret, NULL, NULL));
        }
        ws2t_rcvtimeo(a, 300);
        assert_int_equal(sendto(a, "x", 1, 0, (struct sockaddr *)&to, tolen),
                         1);
        ws2t_sleep_ms(50);
        /* Another send does not fail either. */
        assert_int_equal(sendto(a, "y", 1, 0, (struct sockaddr *)&to, tolen),
                         1);
        ws2t_sleep_ms(50);
        char in[4];
        int r = recvfrom(a, in, sizeof(in), 0, NULL, NULL);
        assert_int_equal(r, SOCKET_ERROR);
        assert_int_equal(WSAGetLastError(), off ? WSAETIMEDOUT
                                                : WSAECONNRESET);
        closesocket(a);
    }
}

/* MSG_OOB on a stream reads the urgent byte. */
static void test_oob(void **state)
{
    (void)state;
    SOCKET c, d;
    ws2t_tcp_pair(AF_INET, &c, &d);
    assert_int_equal(send(c, "#", 1, MSG_OOB), 1);
    char in[4];
    int r = SOCKET_ERROR;
    for (int i = 0; i < 100 && r == SOCKET_ERROR; i++) {
        WSABUF wb = {1, in};
        DWORD got = POISON, flags = MSG_OOB;
        r = WSARecv(d, &wb, 1, &got, &flags, NULL, NULL);
        if (r == 0)
            assert_int_equal(got, 1);
        else
            ws2t_sleep_ms(10);
    }
    assert_int_equal(r, 0);
    assert_int_equal(in[0], '#');
    closesocket(c);
    closesocket(d);
}

/* WSAEFAULT for buffers and counters that cannot be valid. */
static void test_efault(void **state)
{
    (void)state;
    SOCKET a, b;
    ws2t_udp_pair(AF_INET, &a, &b, 1);
    char in[4];
    WSABUF wb = {4, in};
    DWORD got = POISON, flags = 0;
    assert_wsa_error(WSARecv(b, NULL, 1, &got, &flags, NULL, NULL), WSAEFAULT);
    assert_wsa_error(WSARecv(b, &wb, 1, NULL, &flags, NULL, NULL), WSAEFAULT);
    assert_wsa_error(WSARecv(b, &wb, 1, &got, NULL, NULL, NULL), WSAEFAULT);
    assert_wsa_error(recv(b, in, -1, 0), WSAEFAULT);
    assert_int_equal(got, POISON);
    closesocket(a);
    closesocket(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_truncated_datagram),
        cmocka_unit_test(test_peek),
        cmocka_unit_test(test_from),
        cmocka_unit_test(test_unbound),
        cmocka_unit_test(test_close_and_shutdown),
        cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_scatter),
        cmocka_unit_test(test_port_unreachable),
        cmocka_unit_test(test_oob),
        cmocka_unit_test(test_efault),
    };
    return cmocka_run_group_tests(tests, ws2t_startup, ws2t_cleanup);
}
