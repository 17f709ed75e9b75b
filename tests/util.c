/*
 * util.c - shared helpers of the test programs (see util.h).
 */
#define _GNU_SOURCE
#include "util.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int ws2t_startup(void **state)
{
    (void)state;
    WSADATA d;
    return WSAStartup(MAKEWORD(2, 2), &d);
}

int ws2t_cleanup(void **state)
{
    (void)state;
    return WSACleanup();
}

void ws2t_loopback(int af, u_short port, SOCKADDR_STORAGE *ss, int *len)
{
    memset(ss, 0, sizeof(*ss));
    if (af == AF_INET6) {
        SOCKADDR_IN6 *a = (SOCKADDR_IN6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        a->sin6_addr.u.Byte[15] = 1;
        *len = sizeof(*a);
    } else {
        SOCKADDR_IN *a = (SOCKADDR_IN *)ss;
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        *len = sizeof(*a);
    }
}

void ws2t_rcvtimeo(SOCKET s, DWORD ms)
{
    assert_wsa_ok(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, (const char *)&ms,
                             sizeof(ms)));
}

SOCKET ws2t_bound(int af, int type)
{
    SOCKET s = socket(af, type, 0);
    if (s == INVALID_SOCKET)
        fail_msg("socket(%d, %d): error %d", af, type, WSAGetLastError());
    SOCKADDR_STORAGE ss;
    int len;
    ws2t_loopback(af, 0, &ss, &len);
    assert_wsa_ok(bind(s, (struct sockaddr *)&ss, len));
    ws2t_rcvtimeo(s, 5000);
    return s;
}

void ws2t_name(SOCKET s, SOCKADDR_STORAGE *ss, int *len)
{
    *len = sizeof(*ss);
    assert_wsa_ok(getsockname(s, (struct sockaddr *)ss, len));
}

void ws2t_tcp_pair(int af, SOCKET *client, SOCKET *server)
{
    SOCKET l = ws2t_bound(af, SOCK_STREAM);
    assert_wsa_ok(listen(l, 4));
    SOCKADDR_STORAGE ss;
    int len;
    ws2t_name(l, &ss, &len);
    SOCKET c = socket(af, SOCK_STREAM, 0);
    assert_true(c != INVALID_SOCKET);
    assert_wsa_ok(connect(c, (struct sockaddr *)&ss, len));
    SOCKET a = accept(l, NULL, NULL);
    if (a == INVALID_SOCKET)
        fail_msg("accept: error %d", WSAGetLastError());
    closesocket(l);
    ws2t_rcvtimeo(c, 5000);
    ws2t_rcvtimeo(a, 5000);
    *client = c;
    *server = a;
}

void ws2t_udp_pair(int af, SOCKET *a, SOCKET *b, int connect_a)
{
    *a = ws2t_bound(af, SOCK_DGRAM);
    *b = ws2t_bound(af, SOCK_DGRAM);
    if (connect_a) {
        SOCKADDR_STORAGE ss;
        int len;
        ws2t_name(*b, &ss, &len);
        assert_wsa_ok(connect(*a, (struct sockaddr *)&ss, len));
    }
}

static uint8_t pattern_byte(uint32_t seed, size_t i)
{
    uint32_t x = seed * 2654435761u + (uint32_t)i * 40503u + (uint32_t)(i >> 16);
    x ^= x >> 13;
    return (uint8_t)(x ^ (x >> 7));
}

void ws2t_fill(void *buf, size_t len, uint32_t seed, size_t offset)
{
    uint8_t *p = buf;
    for (size_t i = 0; i < len; i++)
        p[i] = pattern_byte(seed, offset + i);
}

void ws2t_check(const void *buf, size_t len, uint32_t seed, size_t offset)
{
    const uint8_t *p = buf;
    for (size_t i = 0; i < len; i++)
        if (p[i] != pattern_byte(seed, offset + i))
            fail_msg("byte %zu (stream offset %zu) is 0x%02x, wanted 0x%02x",
                     i, offset + i, p[i], pattern_byte(seed, offset + i));
}

void ws2t_recv_all(SOCKET s, char *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        size_t want = len - got > (1u << 30) ? (1u << 30) : len - got;
        int r = recv(s, buf + got, (int)want, 0);
        if (r == SOCKET_ERROR)
            fail_msg("recv after %zu of %zu bytes: error %d", got, len,
                     WSAGetLastError());
        if (r == 0)
            fail_msg("recv: connection closed after %zu of %zu bytes", got,
                     len);
        got += (size_t)r;
    }
}

size_t ws2t_fill_window(SOCKET s)
{
    static char chunk[65536];
    size_t total = 0;
    u_long nb = 1;
    assert_wsa_ok(ioctlsocket(s, FIONBIO, &nb));
    for (int i = 0; i < 100000; i++) {
        int r = send(s, chunk, sizeof(chunk), 0);
        if (r == SOCKET_ERROR) {
            assert_int_equal(WSAGetLastError(), WSAEWOULDBLOCK);
            return total;
        }
        total += (size_t)r;
    }
    fail_msg("the send buffer never filled");
    return total;
}

static int pattern_ok(const char *buf, size_t len, uint32_t seed,
                      size_t offset)
{
    const uint8_t *p = (const uint8_t *)buf;
    for (size_t i = 0; i < len; i++)
        if (p[i] != pattern_byte(seed, offset + i))
            return 0;
    return 1;
}

void *ws2t_stream_rx_main(void *arg)
{
    struct ws2t_stream_rx *rx = arg;
    static _Thread_local char buf[1 << 16];
    while (rx->got < rx->total) {
        size_t want = rx->total - rx->got < sizeof(buf) ? rx->total - rx->got
                                                        : sizeof(buf);
        int n = recv(rx->s, buf, (int)want, 0);
        if (n <= 0 || !pattern_ok(buf, (size_t)n, rx->seed, rx->got)) {
            rx->bad = 1;
            break;
        }
        rx->got += (size_t)n;
    }
    return NULL;
}

double ws2t_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void ws2t_sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

void ws2t_thread_start(pthread_t *tid, void *(*fn)(void *), void *arg)
{
    assert_int_equal(pthread_create(tid, NULL, fn, arg), 0);
}

void ws2t_thread_join(pthread_t tid, int seconds)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += seconds;
    int r = pthread_timedjoin_np(tid, NULL, &ts);
    if (r)
        fail_msg("a thread did not end within %d s (error %d)", seconds, r);
}

struct exiter {
    SOCKET s;
    LPWSAOVERLAPPED_COMPLETION_ROUTINE cr;
    int immediate;
    _Atomic int posted;
    int ret, err, completed;
    WSAOVERLAPPED ov;
    char buf[64];
};

static void *exiter_main(void *arg)
{
    struct exiter *x = arg;
    WSABUF wb = {sizeof(x->buf), x->buf};
    DWORD n, fl = 0;
    x->ret = WSARecv(x->s, &wb, 1, &n, &fl, &x->ov, x->cr);
    x->err = x->ret ? WSAGetLastError() : 0;
    atomic_store(&x->posted, 1);
    for (int i = 0; i < 500 && !HasOverlappedIoCompleted(&x->ov); i++)
        ws2t_sleep_ms(10);
    x->completed = HasOverlappedIoCompleted(&x->ov);
    /* The routine is queued right after the result is written. */
    ws2t_sleep_ms(20);
    return NULL;
}

void ws2t_exit_with_routine_queued(SOCKET s, SOCKET from,
                                   const SOCKADDR_STORAGE *to, int tolen,
                                   int immediate,
                                   LPWSAOVERLAPPED_COMPLETION_ROUTINE cr)
{
    static struct exiter x;
    memset(&x, 0, sizeof(x));
    x.s = s;
    x.cr = cr;
    x.immediate = immediate;
    char msg[16] = "dropped routine";
    if (immediate) {
        assert_int_equal(sendto(from, msg, sizeof(msg), 0,
                                (const struct sockaddr *)to, tolen),
                         sizeof(msg));
        ws2t_sleep_ms(20); /* arrived, so the receive finds it */
    }
    pthread_t t;
    ws2t_thread_start(&t, exiter_main, &x);
    if (!immediate) {
        for (int i = 0; i < 500 && !atomic_load(&x.posted); i++)
            ws2t_sleep_ms(10);
        assert_int_equal(sendto(from, msg, sizeof(msg), 0,
                                (const struct sockaddr *)to, tolen),
                         sizeof(msg));
    }
    ws2t_thread_join(t, 10);
    if (immediate)
        assert_int_equal(x.ret, 0);
    else
        assert_int_equal(x.err, WSA_IO_PENDING);
    assert_true(x.completed);
    assert_int_equal(x.ov.Internal, 0);
    assert_int_equal(x.ov.InternalHigh, sizeof(msg));
}

void ws2t_wait_event(WSAEVENT ev, DWORD ms)
{
    DWORD r = WSAWaitForMultipleEvents(1, &ev, TRUE, ms, FALSE);
    if (r != WSA_WAIT_EVENT_0)
        fail_msg("event not signalled within %u ms (ret %u, error %d)", ms, r,
                 WSAGetLastError());
}

void *ws2t_ext_fn(SOCKET s, GUID id)
{
    void *fn = NULL;
    DWORD n = POISON;
    assert_wsa_ok(WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &id,
                           sizeof(id), &fn, sizeof(fn), &n, NULL, NULL));
    assert_int_equal(n, sizeof(void *));
    assert_non_null(fn);
    return fn;
}
