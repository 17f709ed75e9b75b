/*
 * test_evselect.c - WSAEventSelect and WSAEnumNetworkEvents on loopback
 * TCP and UDP, IPv4 and IPv6: argument checks, non-blocking mode and the
 * FIONBIO rule, replacing and cancelling a selection, each event's
 * recording and re-enabling, FD_CONNECT's and FD_CLOSE's error codes, the
 * accepted socket's inherited selection, and threads (run under
 * ThreadSanitizer). Every wait is bounded (WSAWaitForMultipleEvents
 * time-outs); outputs are preset to POISON.
 *
 * Windows facts: Microsoft's "WSAEventSelect function" page (the socket
 * becomes non-blocking; FIONBIO 0 fails with WSAEINVAL until the selection
 * is cancelled with lNetworkEvents 0; a new call replaces the old one;
 * the re-enabling functions table; FD_READ, FD_OOB and FD_ACCEPT are
 * recorded again at once when the condition still holds; FD_WRITE when
 * first connected or accepted, and after a send failed with
 * WSAEWOULDBLOCK; an accepted socket has the listening socket's
 * selection), "WSAEnumNetworkEvents function" (the record is cleared and
 * the event reset in one step; iErrorCode per FD_x_BIT) and
 * "WSAAsyncSelect function" (FD_CONNECT's WSAECONNREFUSED, FD_CLOSE's 0
 * for a graceful close and WSAECONNRESET for a reset).
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "util.h"

static const int families[] = {AF_INET, AF_INET6};

static void poison(WSANETWORKEVENTS *ne)
{
    ne->lNetworkEvents = (LONG)POISON;
    for (int i = 0; i < FD_MAX_EVENTS; i++)
        ne->iErrorCode[i] = (int)POISON;
}

static int signalled(WSAEVENT ev, DWORD ms)
{
    DWORD r = WSAWaitForMultipleEvents(1, &ev, FALSE, ms, FALSE);
    assert_true(r == WSA_WAIT_EVENT_0 || r == WSA_WAIT_TIMEOUT);
    return r == WSA_WAIT_EVENT_0;
}

/* One enumeration; checks the output was written. */
static LONG enum_events(SOCKET s, WSAEVENT ev, int *errs)
{
    WSANETWORKEVENTS ne;
    poison(&ne);
    assert_wsa_ok(WSAEnumNetworkEvents(s, ev, &ne));
    assert_true(ne.lNetworkEvents != (LONG)POISON);
    assert_int_equal(ne.lNetworkEvents & ~(LONG)FD_ALL_EVENTS, 0);
    for (int i = 0; i < FD_MAX_EVENTS; i++)
        if (ne.lNetworkEvents & (1L << i)) {
            assert_true(ne.iErrorCode[i] != (int)POISON);
            if (errs)
                errs[i] = ne.iErrorCode[i];
        }
    return ne.lNetworkEvents;
}

/* Waits (at most ms) until every event of want has been enumerated;
 * returns all that were. */
static LONG collect(SOCKET s, WSAEVENT ev, LONG want, int ms, int *errs)
{
    LONG got = 0;
    for (int waited = 0; (got & want) != want && waited < ms; waited += 50)
        if (signalled(ev, 50))
            got |= enum_events(s, ev, errs);
    return got;
}

/* Nothing more is recorded within ms. */
static void quiet(SOCKET s, WSAEVENT ev, int ms)
{
    assert_false(signalled(ev, (DWORD)ms));
    assert_int_equal(enum_events(s, ev, NULL), 0);
}

static SOCKET listener(int af, SOCKADDR_STORAGE *ss, int *len)
{
    SOCKET l = ws2t_bound(af, SOCK_STREAM);
    assert_wsa_ok(listen(l, 8));
    ws2t_name(l, ss, len);
    return l;
}

static void send_str(SOCKET s, const char *p, int flags)
{
    int n = (int)strlen(p);
    assert_int_equal(send(s, p, n, flags), n);
}

/* ---- arguments ---- */

static void test_args(void **state)
{
    (void)state;
    WSANETWORKEVENTS ne;
    WSAEVENT ev = WSACreateEvent();
    assert_true(ev != WSA_INVALID_EVENT);
    SOCKET s = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s != INVALID_SOCKET);

    /* Not a socket: a stale value, and an event handle. */
    assert_wsa_error(WSAEventSelect((SOCKET)0x1234, ev, FD_READ),
                     WSAENOTSOCK);
    assert_wsa_error(WSAEventSelect((SOCKET)(uintptr_t)ev, ev, FD_READ),
                     WSAENOTSOCK);
    poison(&ne);
    assert_wsa_error(WSAEnumNetworkEvents((SOCKET)0x1234, NULL, &ne),
                     WSAENOTSOCK);
    assert_int_equal(ne.lNetworkEvents, (LONG)POISON);

    /* Events selected with no event object, or a socket as one. */
    assert_wsa_error(WSAEventSelect(s, NULL, FD_READ), WSAEINVAL);
    assert_wsa_error(WSAEventSelect(s, (WSAEVENT)(uintptr_t)s, FD_READ),
                     WSAEINVAL);
    /* Cancelling ignores the event. */
    assert_wsa_ok(WSAEventSelect(s, NULL, 0));

    assert_wsa_error(WSAEnumNetworkEvents(s, ev, NULL), WSAEFAULT);
    poison(&ne);
    assert_wsa_error(WSAEnumNetworkEvents(s, (WSAEVENT)(uintptr_t)s, &ne),
                     WSAEINVAL);
    assert_int_equal(ne.lNetworkEvents, (LONG)POISON);
    assert_int_equal(enum_events(s, NULL, NULL), 0);

    assert_wsa_ok(closesocket(s));
    /* A closed socket is no socket. */
    assert_wsa_error(WSAEventSelect(s, ev, FD_READ), WSAENOTSOCK);

    /* Both need WSAStartup. */
    assert_int_equal(WSACleanup(), 0);
    assert_wsa_error(WSAEventSelect((SOCKET)0x1234, ev, FD_READ),
                     WSANOTINITIALISED);
    poison(&ne);
    assert_wsa_error(WSAEnumNetworkEvents((SOCKET)0x1234, ev, &ne),
                     WSANOTINITIALISED);
    assert_int_equal(ne.lNetworkEvents, (LONG)POISON);
    WSADATA wd;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &wd), 0);
    assert_true(WSACloseEvent(ev));
}

/* ---- non-blocking mode ---- */

static void test_nonblocking(void **state)
{
    (void)state;
    SOCKET c, sv;
    ws2t_tcp_pair(AF_INET, &c, &sv);
    WSAEVENT ev = WSACreateEvent();
    char buf[8];
    u_long v = 0;

    /* The pair is blocking (with a receive time-out) until selected. */
    assert_wsa_ok(WSAEventSelect(sv, ev, FD_READ));
    assert_wsa_error(recv(sv, buf, sizeof(buf), 0), WSAEWOULDBLOCK);
    assert_wsa_error(ioctlsocket(sv, FIONBIO, &v), WSAEINVAL);
    v = 1;
    assert_wsa_ok(ioctlsocket(sv, FIONBIO, &v));
    /* Another selection: still refused. */
    assert_wsa_ok(WSAEventSelect(sv, ev, FD_WRITE));
    v = 0;
    assert_wsa_error(ioctlsocket(sv, FIONBIO, &v), WSAEINVAL);

    /* Cancelled: the socket stays non-blocking until FIONBIO 0. */
    assert_wsa_ok(WSAEventSelect(sv, NULL, 0));
    assert_wsa_error(recv(sv, buf, sizeof(buf), 0), WSAEWOULDBLOCK);
    v = 0;
    assert_wsa_ok(ioctlsocket(sv, FIONBIO, &v));
    send_str(c, "x", 0);
    assert_int_equal(recv(sv, buf, sizeof(buf), 0), 1);

    closesocket(c);
    closesocket(sv);
    WSACloseEvent(ev);
}

/* ---- FD_CONNECT ---- */

static void test_connect(void **state)
{
    (void)state;
    for (size_t f = 0; f < 2; f++) {
        SOCKADDR_STORAGE ss;
        int len;
        SOCKET l = listener(families[f], &ss, &len);
        SOCKET c = socket(families[f], SOCK_STREAM, 0);
        WSAEVENT ev = WSACreateEvent();
        assert_wsa_ok(WSAEventSelect(
            c, ev, FD_CONNECT | FD_WRITE | FD_READ | FD_CLOSE));
        /* Never connected: nothing to record. */
        quiet(c, ev, 50);
        assert_wsa_error(connect(c, (struct sockaddr *)&ss, len),
                         WSAEWOULDBLOCK);
        int errs[FD_MAX_EVENTS];
        for (int i = 0; i < FD_MAX_EVENTS; i++)
            errs[i] = (int)POISON;
        LONG got = collect(c, ev, FD_CONNECT | FD_WRITE, 5000, errs);
        assert_int_equal(got, FD_CONNECT | FD_WRITE);
        assert_int_equal(errs[FD_CONNECT_BIT], 0);
        assert_int_equal(errs[FD_WRITE_BIT], 0);
        /* Once each, and the event was reset by the enumeration. */
        quiet(c, ev, 100);
        closesocket(c);
        closesocket(l);
        WSACloseEvent(ev);
    }
}

static void test_connect_refused(void **state)
{
    (void)state;
    for (size_t f = 0; f < 2; f++) {
        SOCKADDR_STORAGE ss;
        int len;
        SOCKET t = ws2t_bound(families[f], SOCK_STREAM);
        ws2t_name(t, &ss, &len);
        closesocket(t);
        SOCKET c = socket(families[f], SOCK_STREAM, 0);
        WSAEVENT ev = WSACreateEvent();
        assert_wsa_ok(WSAEventSelect(c, ev, FD_ALL_EVENTS));
        assert_wsa_error(connect(c, (struct sockaddr *)&ss, len),
                         WSAEWOULDBLOCK);
        int errs[FD_MAX_EVENTS] = {0};
        LONG got = collect(c, ev, FD_CONNECT, 5000, errs);
        assert_int_equal(got, FD_CONNECT);
        assert_int_equal(errs[FD_CONNECT_BIT], WSAECONNREFUSED);
        quiet(c, ev, 100);
        closesocket(c);
        WSACloseEvent(ev);
    }
}

/* ---- FD_READ ---- */

static void test_read_reenable(void **state)
{
    (void)state;
    for (size_t f = 0; f < 2; f++) {
        SOCKET c, sv;
        ws2t_tcp_pair(families[f], &c, &sv);
        WSAEVENT ev = WSACreateEvent();
        char buf[64];
        assert_wsa_ok(WSAEventSelect(sv, ev, FD_READ));
        quiet(sv, ev, 50);
        send_str(c, "0123456789", 0);
        assert_int_equal(collect(sv, ev, FD_READ, 5000, NULL), FD_READ);
        /* More data without a receive: not recorded again. */
        send_str(c, "abc", 0);
        quiet(sv, ev, 100);
        /* A receive that leaves data: recorded again at once. */
        assert_int_equal(recv(sv, buf, 4, 0), 4);
        assert_true(signalled(ev, 1000));
        assert_int_equal(enum_events(sv, ev, NULL), FD_READ);
        /* Everything read: nothing more. */
        ws2t_sleep_ms(20);
        assert_int_equal(recv(sv, buf, sizeof(buf), 0), 9);
        quiet(sv, ev, 100);
        /* A failed receive re-enables too. */
        assert_wsa_error(recv(sv, buf, sizeof(buf), 0), WSAEWOULDBLOCK);
        send_str(c, "z", 0);
        assert_int_equal(collect(sv, ev, FD_READ, 5000, NULL), FD_READ);
        /* WSARecv re-enables as recv does. */
        WSABUF wb = {sizeof(buf), buf};
        DWORD got = POISON, fl = 0;
        send_str(c, "yy", 0);
        ws2t_sleep_ms(20);
        wb.len = 1;
        assert_wsa_ok(WSARecv(sv, &wb, 1, &got, &fl, NULL, NULL));
        assert_int_equal(got, 1);
        assert_int_equal(collect(sv, ev, FD_READ, 5000, NULL), FD_READ);
        closesocket(c);
        closesocket(sv);
        WSACloseEvent(ev);
    }
}

/* ---- FD_WRITE ---- */

static void test_write(void **state)
{
    (void)state;
    for (size_t f = 0; f < 2; f++) {
        SOCKET c, sv;
        ws2t_tcp_pair(families[f], &c, &sv);
        WSAEVENT ev = WSACreateEvent();
        /* A connected socket is writable when selected. */
        assert_wsa_ok(WSAEventSelect(c, ev, FD_WRITE));
        assert_true(signalled(ev, 1000));
        assert_int_equal(enum_events(c, ev, NULL), FD_WRITE);
        /* A send that succeeds does not re-enable it. */
        send_str(c, "hello", 0);
        quiet(c, ev, 100);
        /* Selecting again records it again. */
        assert_wsa_ok(WSAEventSelect(c, ev, FD_WRITE));
        assert_true(signalled(ev, 1000));
        assert_int_equal(enum_events(c, ev, NULL), FD_WRITE);

        /* Full, then room again: recorded after the WSAEWOULDBLOCK. */
        size_t sent = ws2t_fill_window(c);
        assert_true(sent > 0);
        /* Make sure the last send failed with WSAEWOULDBLOCK. */
        static char fill[4096];
        int i = 0;
        while (send(c, fill, sizeof(fill), 0) > 0 && i++ < 10000)
            ;
        assert_int_equal(WSAGetLastError(), WSAEWOULDBLOCK);
        u_long on = 1;
        assert_wsa_ok(ioctlsocket(sv, FIONBIO, &on));
        static char buf[65536];
        int seen = 0;
        for (int i = 0; i < 200 && !seen; i++) {
            while (recv(sv, buf, sizeof(buf), 0) > 0)
                ;
            seen = signalled(ev, 25);
        }
        assert_true(seen);
        assert_int_equal(enum_events(c, ev, NULL), FD_WRITE);
        quiet(c, ev, 100);
        closesocket(c);
        closesocket(sv);
        WSACloseEvent(ev);
    }
}

/* ---- FD_ACCEPT and the accepted socket ---- */

static void test_accept(void **state)
{
    (void)state;
    for (size_t f = 0; f < 2; f++) {
        SOCKADDR_STORAGE ss;
        int len;
        SOCKET l = listener(families[f], &ss, &len);
        WSAEVENT ev = WSACreateEvent();
        assert_wsa_ok(
            WSAEventSelect(l, ev, FD_ACCEPT | FD_READ | FD_WRITE | FD_CLOSE));
        quiet(l, ev, 50);
        SOCKET c1 = socket(families[f], SOCK_STREAM, 0);
        SOCKET c2 = socket(families[f], SOCK_STREAM, 0);
        assert_wsa_ok(connect(c1, (struct sockaddr *)&ss, len));
        assert_int_equal(collect(l, ev, FD_ACCEPT, 5000, NULL), FD_ACCEPT);
        assert_wsa_ok(connect(c2, (struct sockaddr *)&ss, len));
        /* Not recorded again before accept. */
        quiet(l, ev, 100);
        SOCKET a1 = accept(l, NULL, NULL);
        assert_true(a1 != INVALID_SOCKET);
        /* One more is waiting: recorded again at once. */
        assert_true(signalled(ev, 1000));
        LONG got = enum_events(l, ev, NULL);
        assert_int_equal(got, FD_ACCEPT);

        /* The accepted socket has the listener's selection: non-blocking,
         * FD_WRITE recorded as it is connected, FIONBIO 0 refused. */
        char buf[8];
        assert_wsa_error(recv(a1, buf, sizeof(buf), 0), WSAEWOULDBLOCK);
        u_long v = 0;
        assert_wsa_error(ioctlsocket(a1, FIONBIO, &v), WSAEINVAL);
        /* The event is shared, and the listener's enumeration reset it:
         * look at a1's record first. */
        got = enum_events(a1, NULL, NULL);
        if (!got)
            got = collect(a1, ev, FD_WRITE, 5000, NULL);
        assert_int_equal(got, FD_WRITE);
        send_str(c1, "q", 0);
        assert_int_equal(collect(a1, ev, FD_READ, 5000, NULL), FD_READ);

        SOCKET a2 = accept(l, NULL, NULL);
        assert_true(a2 != INVALID_SOCKET);
        /* Nothing pending now; a failed accept re-enables FD_ACCEPT. */
        assert_true(accept(l, NULL, NULL) == INVALID_SOCKET);
        assert_int_equal(WSAGetLastError(), WSAEWOULDBLOCK);
        ws2t_sleep_ms(50); /* ev is shared with a2 (FD_WRITE): look at l's */
        assert_int_equal(enum_events(l, NULL, NULL), 0);
        closesocket(a1);
        closesocket(a2);
        closesocket(c1);
        closesocket(c2);
        closesocket(l);
        WSACloseEvent(ev);
    }
}

/* ---- FD_CLOSE ---- */

static void test_close_graceful(void **state)
{
    (void)state;
    for (size_t f = 0; f < 2; f++) {
        SOCKET c, sv;
        ws2t_tcp_pair(families[f], &c, &sv);
        WSAEVENT ev = WSACreateEvent();
        assert_wsa_ok(WSAEventSelect(sv, ev, FD_READ | FD_CLOSE));
        send_str(c, "abc", 0);
        assert_wsa_ok(closesocket(c));
        int errs[FD_MAX_EVENTS] = {0};
        errs[FD_CLOSE_BIT] = (int)POISON;
        assert_int_equal(collect(sv, ev, FD_READ | FD_CLOSE, 5000, errs),
                         FD_READ | FD_CLOSE);
        assert_int_equal(errs[FD_CLOSE_BIT], 0);
        char buf[8];
        assert_int_equal(recv(sv, buf, sizeof(buf), 0), 3);
        assert_int_equal(recv(sv, buf, sizeof(buf), 0), 0);
        /* FD_CLOSE once; end of file is no FD_READ. */
        quiet(sv, ev, 100);
        closesocket(sv);
        WSACloseEvent(ev);
    }
}

static void test_close_reset(void **state)
{
    (void)state;
    for (size_t f = 0; f < 2; f++) {
        SOCKET c, sv;
        ws2t_tcp_pair(families[f], &c, &sv);
        WSAEVENT ev = WSACreateEvent();
        assert_wsa_ok(WSAEventSelect(sv, ev, FD_READ | FD_WRITE | FD_CLOSE));
        assert_int_equal(collect(sv, ev, FD_WRITE, 5000, NULL), FD_WRITE);
        struct linger lg = {1, 0};
        assert_wsa_ok(
            setsockopt(c, SOL_SOCKET, SO_LINGER, (char *)&lg, sizeof(lg)));
        assert_wsa_ok(closesocket(c)); /* abortive: a reset */
        int errs[FD_MAX_EVENTS] = {0};
        assert_int_equal(collect(sv, ev, FD_CLOSE, 5000, errs), FD_CLOSE);
        assert_int_equal(errs[FD_CLOSE_BIT], WSAECONNRESET);
        quiet(sv, ev, 100);
        closesocket(sv);
        WSACloseEvent(ev);
    }
}

/* ---- FD_OOB ---- */

static void test_oob(void **state)
{
    (void)state;
    SOCKET c, sv;
    ws2t_tcp_pair(AF_INET, &c, &sv);
    WSAEVENT ev = WSACreateEvent();
    assert_wsa_ok(WSAEventSelect(sv, ev, FD_OOB));
    send_str(c, "!", MSG_OOB);
    assert_int_equal(collect(sv, ev, FD_OOB, 5000, NULL), FD_OOB);
    quiet(sv, ev, 100);
    char b;
    assert_int_equal(recv(sv, &b, 1, MSG_OOB), 1);
    assert_int_equal(b, '!');
    quiet(sv, ev, 100);
    /* Re-enabled by the MSG_OOB receive: the next urgent byte records. */
    send_str(c, "?", MSG_OOB);
    assert_int_equal(collect(sv, ev, FD_OOB, 5000, NULL), FD_OOB);
    closesocket(c);
    closesocket(sv);
    WSACloseEvent(ev);
}

/* ---- UDP ---- */

static void test_udp(void **state)
{
    (void)state;
    for (size_t f = 0; f < 2; f++) {
        SOCKET a, b;
        ws2t_udp_pair(families[f], &a, &b, 1);
        WSAEVENT ev = WSACreateEvent();
        assert_wsa_ok(WSAEventSelect(b, ev, FD_READ | FD_WRITE));
        assert_true(signalled(ev, 1000));
        assert_int_equal(enum_events(b, ev, NULL), FD_WRITE);
        quiet(b, ev, 50);
        send_str(a, "one", 0);
        assert_int_equal(collect(b, ev, FD_READ, 5000, NULL), FD_READ);
        send_str(a, "two", 0);
        quiet(b, ev, 100);
        char buf[16];
        assert_int_equal(recv(b, buf, sizeof(buf), 0), 3);
        /* "two" is still there. */
        assert_true(signalled(ev, 1000));
        assert_int_equal(enum_events(b, ev, NULL), FD_READ);
        assert_int_equal(recv(b, buf, sizeof(buf), 0), 3);
        quiet(b, ev, 100);
        closesocket(a);
        closesocket(b);
        WSACloseEvent(ev);
    }
}

/* ---- replacing, cancelling, resetting ---- */

static void test_replace_cancel(void **state)
{
    (void)state;
    SOCKET c, sv;
    ws2t_tcp_pair(AF_INET6, &c, &sv);
    WSAEVENT e1 = WSACreateEvent(), e2 = WSACreateEvent();
    assert_wsa_ok(WSAEventSelect(sv, e1, FD_WRITE));
    assert_true(signalled(e1, 1000));
    /* A new selection clears the record and uses only the new event. */
    assert_wsa_ok(WSAEventSelect(sv, e2, FD_READ));
    assert_int_equal(enum_events(sv, NULL, NULL), 0);
    assert_true(WSAResetEvent(e1));
    assert_false(signalled(e2, 50));
    send_str(c, "data", 0);
    assert_int_equal(collect(sv, e2, FD_READ, 5000, NULL), FD_READ);
    assert_false(signalled(e1, 0));

    /* Enumerating without an event leaves it signalled. */
    char buf[16];
    assert_int_equal(recv(sv, buf, 2, 0), 2);
    assert_true(signalled(e2, 1000));
    assert_int_equal(enum_events(sv, NULL, NULL), FD_READ);
    assert_true(signalled(e2, 0));
    assert_true(WSAResetEvent(e2));

    /* Cancelled: nothing is recorded or signalled. */
    assert_wsa_ok(WSAEventSelect(sv, e2, 0));
    assert_int_equal(recv(sv, buf, sizeof(buf), 0), 2);
    send_str(c, "more", 0);
    assert_false(signalled(e2, 100));
    assert_int_equal(enum_events(sv, e2, NULL), 0);
    closesocket(c);
    closesocket(sv);
    WSACloseEvent(e1);
    WSACloseEvent(e2);
}

/* Closing selected sockets while the watcher reports them (ASan). */
static void test_close_selected(void **state)
{
    (void)state;
    WSAEVENT ev = WSACreateEvent();
    for (int i = 0; i < 100; i++) {
        SOCKET c, sv;
        ws2t_tcp_pair(i & 1 ? AF_INET6 : AF_INET, &c, &sv);
        assert_wsa_ok(WSAEventSelect(sv, ev, FD_READ | FD_CLOSE));
        assert_wsa_ok(WSAEventSelect(c, ev, FD_ALL_EVENTS));
        send_str(c, "x", 0);
        if (i & 2)
            ws2t_sleep_ms(1);
        assert_wsa_ok(closesocket(c));
        assert_wsa_ok(closesocket(sv));
    }
    WSACloseEvent(ev);
}

/* ---- threads ---- */

#define MSGS 300

struct sender {
    SOCKET s;
    atomic_int done;
};

static void *sender_main(void *arg)
{
    struct sender *sd = arg;
    for (int i = 0; i < MSGS; i++) {
        char m = (char)i;
        while (send(sd->s, &m, 1, 0) != 1)
            ws2t_sleep_ms(1);
        if (i % 32 == 0)
            ws2t_sleep_ms(1);
    }
    atomic_store(&sd->done, 1);
    return NULL;
}

static void *churn_main(void *arg)
{
    WSAEVENT ev = arg;
    for (int i = 0; i < 40; i++) {
        SOCKET c, sv;
        ws2t_tcp_pair(AF_INET, &c, &sv);
        WSAEventSelect(sv, ev, FD_READ | FD_CLOSE);
        send(c, "x", 1, 0);
        closesocket(c);
        closesocket(sv);
    }
    return NULL;
}

/* One thread sends, another closes selected sockets, this one waits and
 * reads: every byte arrives through FD_READ events, none is lost. */
static void test_threads(void **state)
{
    (void)state;
    SOCKET c, sv;
    ws2t_tcp_pair(AF_INET, &c, &sv);
    WSAEVENT ev = WSACreateEvent(), ev2 = WSACreateEvent();
    assert_wsa_ok(WSAEventSelect(sv, ev, FD_READ | FD_CLOSE));
    struct sender sd = {c, 0};
    pthread_t t1, t2;
    assert_int_equal(pthread_create(&t1, NULL, sender_main, &sd), 0);
    assert_int_equal(pthread_create(&t2, NULL, churn_main, ev2), 0);
    int got = 0, rounds = 0;
    while (got < MSGS && rounds++ < 2000) {
        if (!signalled(ev, 50))
            continue;
        LONG e = enum_events(sv, ev, NULL);
        if (!(e & FD_READ))
            continue;
        char buf[64];
        int n = recv(sv, buf, sizeof(buf), 0);
        if (n > 0) {
            for (int i = 0; i < n; i++)
                assert_int_equal((unsigned char)buf[i], (got + i) & 0xff);
            got += n;
        }
    }
    assert_int_equal(got, MSGS);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    assert_true(atomic_load(&sd.done));
    closesocket(c);
    closesocket(sv);
    WSACloseEvent(ev);
    WSACloseEvent(ev2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_args),
        cmocka_unit_test(test_nonblocking),
        cmocka_unit_test(test_connect),
        cmocka_unit_test(test_connect_refused),
        cmocka_unit_test(test_read_reenable),
        cmocka_unit_test(test_write),
        cmocka_unit_test(test_accept),
        cmocka_unit_test(test_close_graceful),
        cmocka_unit_test(test_close_reset),
        cmocka_unit_test(test_oob),
        cmocka_unit_test(test_udp),
        cmocka_unit_test(test_replace_cancel),
        cmocka_unit_test(test_close_selected),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, ws2t_startup, ws2t_cleanup);
}
