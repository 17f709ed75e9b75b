/*
 * test_select.c - select, WSAPoll and __WSAFDIsSet on real loopback
 * sockets: argument checks, what each socket state reports (listening,
 * connecting, connected, refused, half closed, urgent data, UDP), time-outs,
 * and closesocket in one thread ending select, WSAPoll, recv and accept
 * blocked in another. Every wait is bounded: select and WSAPoll get
 * time-outs, receives SO_RCVTIMEO, threads a bounded join.
 *
 * Windows facts not on Microsoft's pages are taken from Wine's
 * dlls/ws2_32/tests/sock.c (test_select, test_WSAPoll), whose checks pass
 * on Windows.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "util.h"

static const int families[] = {AF_INET, AF_INET6};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set1(fd_set *set, SOCKET s)
{
    FD_ZERO(set);
    FD_SET(s, set);
}

/* Slots past fd_count are poisoned: select must not write beyond what it
 * reports. */
static void set_poison(fd_set *set)
{
    for (u_int i = set->fd_count; i < FD_SETSIZE; i++)
        set->fd_array[i] = (SOCKET)POISON;
}

static struct timeval tv_ms(long ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    return tv;
}

static void nonblocking(SOCKET s)
{
    u_long on = 1;
    assert_wsa_ok(ioctlsocket(s, FIONBIO, &on));
}

/* A loopback address on which nothing listens: bound, then closed. */
static void closed_port(int af, SOCKADDR_STORAGE *ss, int *len)
{
    SOCKET s = socket(af, SOCK_STREAM, 0);
    assert_true(s != INVALID_SOCKET);
    ws2t_loopback(af, 0, ss, len);
    assert_wsa_ok(bind(s, (struct sockaddr *)ss, *len));
    ws2t_name(s, ss, len);
    assert_wsa_ok(closesocket(s));
}

static SOCKET listener(int af, SOCKADDR_STORAGE *ss, int *len)
{
    SOCKET l = ws2t_bound(af, SOCK_STREAM);
    assert_wsa_ok(listen(l, 8));
    ws2t_name(l, ss, len);
    return l;
}

static int so_error(SOCKET s)
{
    int v = (int)POISON, len = sizeof(v);
    assert_wsa_ok(getsockopt(s, SOL_SOCKET, SO_ERROR, (char *)&v, &len));
    assert_int_equal(len, sizeof(int));
    return v;
}

/* ---- a background thread with a bounded join ---- */

struct bg {
    pthread_t thread;
    _Atomic int done;
    void (*fn)(struct bg *);
    SOCKET s;
    int ret, err;
    fd_set r, w, e;
    int use_r, use_w, use_e;
    WSAPOLLFD pfd;
    struct timeval tv;
    const struct timeval *tvp;
    int64_t elapsed;
};

static void *bg_main(void *p)
{
    struct bg *b = p;
    int64_t t0 = now_ms();
    b->fn(b);
    b->elapsed = now_ms() - t0;
    atomic_store(&b->done, 1);
    return NULL;
}

/* Heap-allocated: a thread that never ends keeps using it. */
static struct bg *bg_start(void (*fn)(struct bg *), SOCKET s)
{
    struct bg *b = calloc(1, sizeof(*b));
    assert_non_null(b);
    b->fn = fn;
    b->s = s;
    b->ret = (int)POISON;
    b->err = (int)POISON;
    return b;
}

static void bg_run(struct bg *b)
{
    assert_int_equal(pthread_create(&b->thread, NULL, bg_main, b), 0);
}

/* Joins within ms, or fails the test and leaves the thread behind. */
static void bg_join(struct bg *b, int ms, const char *what)
{
    for (int waited = 0; !atomic_load(&b->done); waited += 10) {
        if (waited >= ms) {
            pthread_detach(b->thread);
            fail_msg("%s still blocked after %d ms", what, ms);
        }
        ws2t_sleep_ms(10);
    }
    pthread_join(b->thread, NULL);
}

static void bg_select(struct bg *b)
{
    b->ret = select(0, b->use_r ? &b->r : NULL, b->use_w ? &b->w : NULL,
                    b->use_e ? &b->e : NULL, b->tvp);
    b->err = WSAGetLastError();
}

static void bg_poll(struct bg *b)
{
    b->ret = WSAPoll(&b->pfd, 1, 5000);
    b->err = WSAGetLastError();
}

static void bg_recv(struct bg *b)
{
    char buf[16];
    b->ret = recv(b->s, buf, sizeof(buf), 0);
    b->err = WSAGetLastError();
}

static void bg_accept(struct bg *b)
{
    SOCKET a = accept(b->s, NULL, NULL);
    b->err = WSAGetLastError();
    b->ret = a == INVALID_SOCKET ? SOCKET_ERROR : 0;
    if (a != INVALID_SOCKET)
        closesocket(a);
}

/* ==== select ==== */

/* select: "WSAEINVAL: The time-out value is not valid, or all three
 * descriptor parameters were null." */
static void test_select_invalid(void **state)
{
    (void)state;
    SOCKET s = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(s != INVALID_SOCKET);
    fd_set r, w, e;
    struct timeval tv = {0, 0};
    assert_wsa_error(select(0, NULL, NULL, NULL, &tv), WSAEINVAL);
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_ZERO(&e);
    assert_wsa_error(select(0, &r, &w, &e, &tv), WSAEINVAL);

    static const struct timeval bad[] = {{-1, 0}, {0, -1}, {0, 1000000}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        set1(&w, s);
        if (select(0, NULL, &w, NULL, &bad[i]) != SOCKET_ERROR ||
            WSAGetLastError() != WSAEINVAL)
            fail_msg("timeout {%ld, %ld}: error %d, wanted WSAEINVAL",
                     (long)bad[i].tv_sec, (long)bad[i].tv_usec,
                     WSAGetLastError());
        assert_int_equal(w.fd_count, 1); /* untouched on error */
    }
    assert_wsa_ok(closesocket(s));
}

/* select: "WSAENOTSOCK: One of the descriptor sets contains an entry that
 * is not a socket." Wine's test_select: the sets are left unchanged. */
static void test_select_notsock(void **state)
{
    (void)state;
    SOCKET s = socket(AF_INET, SOCK_DGRAM, 0), dead = socket(AF_INET,
                                                             SOCK_DGRAM, 0);
    assert_wsa_ok(closesocket(dead));
    struct timeval tv = {0, 0};
    SOCKET bogus[] = {INVALID_SOCKET, dead, 0x7ffffff0};
    for (int k = 0; k < 3; k++) {
        for (size_t i = 0; i < sizeof(bogus) / sizeof(bogus[0]); i++) {
            fd_set sets[3];
            for (int j = 0; j < 3; j++)
                set1(&sets[j], s);
            FD_SET(bogus[i], &sets[k]);
            int r = select(0, &sets[0], &sets[1], &sets[2], &tv);
            if (r != SOCKET_ERROR || WSAGetLastError() != WSAENOTSOCK)
                fail_msg("set %d, value %#lx: ret %d error %d", k,
                         (unsigned long)bogus[i], r, WSAGetLastError());
            for (int j = 0; j < 3; j++)
                assert_int_equal(sets[j].fd_count, j == k ? 2 : 1);
        }
    }
    assert_wsa_ok(closesocket(s));
}

/* A stream socket that is neither connected nor listening is ready for
 * nothing (Wine's test_select: "select should not return any socket
 * handles"), and a zero timeout does not block. select: "The parameter
 * time-out controls how long the select can take to complete. If time-out
 * is a null pointer, select will block indefinitely ... set to {0, 0} ...
 * to poll." */
static void test_select_unconnected(void **state)
{
    (void)state;
    for (size_t f = 0; f < 2; f++) {
        SOCKET a = socket(families[f], SOCK_STREAM, 0);
        SOCKET b = socket(families[f], SOCK_STREAM, 0);
        assert_true(a != INVALID_SOCKET && b != INVALID_SOCKET);
        fd_set r, w, e;
        set1(&r, a);
        FD_SET(b, &r);
        set1(&w, a);
        FD_SET(b, &w);
        set1(&e, a);
        FD_SET(b, &e);
        set_poison(&r);
        struct timeval tv = {0, 0};
        int64_t t0 = now_ms();
        assert_int_equal(select(0, &r, &w, &e, &tv), 0);
        assert_true(now_ms() - t0 < 100);
        assert_int_equal(r.fd_count, 0);
        assert_int_equal(w.fd_count, 0);
        assert_int_equal(e.fd_count, 0);
        assert_int_equal(r.fd_array[2], (SOCKET)POISON);
        /* A short wait also times out (nothing spins or wakes early). */
        set1(&r, a);
        set1(&w, b);
        tv = tv_ms(150);
        t0 = now_ms();
        assert_int_equal(select(0, &r, &w, NULL, &tv), 0);
        int64_t took = now_ms() - t0;
        if (took < 140 || took > 2000)
            fail_msg("a 150 ms select took %lld ms", (long long)took);
        closesocket(a);
        closesocket(b);
    }
}

/* Wine's test_select: an unbound UDP socket is writable, nothing else. */
static void test_select_udp(void **state)
{
    (void)state;
    for (size_t f = 0; f < 2; f++) {
        SOCKET u = socket(families[f], SOCK_DGRAM, 0);
        fd_set r, w, e;
        set1(&r, u);
        set1(&w, u);
        set1(&e, u);
        struct timeval tv = tv_ms(100);
        assert_int_equal(select(0, &r, &w, &e, &tv), 1);
        assert_int_equal(r.fd_count, 0);
        assert_true(FD_ISSET(u, &w));
        assert_int_equal(e.fd_count, 0);
        closesocket(u);

        /* A datagram makes the receiver readable. */
        SOCKET a, b;
        ws2t_udp_pair(families[f], &a, &b, 1);
        set1(&r, b);
        tv = tv_ms(0);
        assert_int_equal(select(0, &r, NULL, NULL, &tv), 0);
        assert_int_equal(send(a, "x", 1, 0), 1);
        set1(&r, b);
        tv = tv_ms(2000);
        assert_int_equal(select(0, &r, NULL, NULL, &tv), 1);
        assert_true(FD_ISSET(b, &r));
        closesocket(a);
        closesocket(b);
    }
}

/* select, readfds: "If listen has been called and a connection is
 * pending, accept will succeed." */
static void test_select_listen(void **state)
{
    (void)state;
    for (size_t f = 0; f < 2; f++) {
        SOCKADDR_STORAGE ss;
        int len;
        SOCKET l = listener(families[f], &ss, &len);
        fd_set r, w, e;
        set1(&r, l);
        set1(&w, l);
        set1(&e, l);
        struct timeval tv = tv_ms(50);
        assert_int_equal(select(0, &r, &w, &e, &tv), 0);

        SOCKET c = socket(families[f], SOCK_STREAM, 0);
        assert_wsa_ok(connect(c, (struct sockaddr *)&ss, len));
        set1(&r, l);
        set1(&w, l);
        set1(&e, l);
        tv = tv_ms(2000);
        assert_int_equal(select(0, &r, &w, &e, &tv), 1);
        assert_true(FD_ISSET(l, &r));
        assert_int_equal(w.fd_count, 0);
        assert_int_equal(e.fd_count, 0);
        SOCKET a = accept(l, NULL, NULL);
        assert_true(a != INVALID_SOCKET);

        /* "select returns the total number of socket handles that are
         * ready": both ends writable, counted once each. */
        set1(&w, a);
        FD_SET(c, &w);
        FD_SET(l, &w);
        tv = tv_ms(1000);
        assert_int_equal(select(0, NULL, &w, NULL, &tv), 2);
        assert_true(FD_ISSET(a, &w) && FD_ISSET(c, &w) && !FD_ISSET(l, &w));
        closesocket(a);
        closesocket(c);
        closesocket(l);
    }
}

/* select, readfds: "Data is available for reading"; "Connection has been
 * closed/reset/terminated." writefds: "Data can be sent." */
static void test_select_data_and_close(void **state)
{
    (void)state;
    for (size_t f = 0; f < 2; f++) {
        SOCKET c, s;
        ws2t_tcp_pair(families[f], &c, &s);
        fd_set r, w, e;
        set1(&r, s);
        set1(&e, s);
        struct timeval tv = tv_ms(0);
        assert_int_equal(select(0, &r, NULL, &e, &tv), 0);

        assert_int_equal(send(c, "1234", 4, 0), 4);
        set1(&r, s);
        set1(&w, s);
        set1(&e, s);
        tv = tv_ms(2000);
        /* Readable and writable: one socket, two sets, a count of 2. */
        assert_int_equal(select(0, &r, &w, &e, &tv), 2);
        assert_true(FD_ISSET(s, &r) && FD_ISSET(s, &w));
        assert_int_equal(e.fd_count, 0);
        char buf[8];
        assert_int_equal(recv(s, buf, sizeof(buf), 0), 4);

        /* A graceful close: readable, and recv returns 0. */
        assert_wsa_ok(closesocket(c));
        set1(&r, s);
        tv = tv_ms(2000);
        assert_int_equal(select(0, &r, NULL, NULL, &tv), 1);
        assert_true(FD_ISSET(s, &r));
        assert_int_equal(recv(s, buf, sizeof(buf), 0), 0);
        closesocket(s);
    }
}

/* select, exceptfds: "OOB data is available for reading (only if
 * SO_OOBINLINE is disabled)"; with SO_OOBINLINE the byte is normal data
 * (Wine's test_select: "If the socket is OOBINLINED it will not receive
 * the OOB in except fds"). */
static void test_select_oob(void **state)
{
    (void)state;
    SOCKET c, s;
    ws2t_tcp_pair(AF_INET, &c, &s);
    assert_int_equal(send(c, "A", 1, MSG_OOB), 1);
    fd_set r, e;
    set1(&r, s);
    set1(&e, s);
    struct timeval tv = tv_ms(2000);
    assert_int_equal(select(0, &r, NULL, &e, &tv), 1);
    assert_true(FD_ISSET(s, &e));
    assert_int_equal(r.fd_count, 0);
    char ch = 0;
    assert_int_equal(recv(s, &ch, 1, MSG_OOB), 1);
    assert_int_equal(ch, 'A');

    int on = 1;
    assert_wsa_ok(
        setsockopt(s, SOL_SOCKET, SO_OOBINLINE, (const char *)&on, sizeof(on)));
    assert_int_equal(send(c, "B", 1, MSG_OOB), 1);
    set1(&r, s);
    set1(&e, s);
    tv = tv_ms(2000);
    assert_int_equal(select(0, &r, NULL, &e, &tv), 1);
    assert_true(FD_ISSET(s, &r));
    assert_int_equal(e.fd_count, 0);
    closesocket(c);
    closesocket(s);
}

/* connect: "With a nonblocking socket, the connection attempt cannot be
 * completed immediately ... WSAEWOULDBLOCK". select, exceptfds: "If
 * processing a connect call (nonblocking), connection attempt failed";
 * Wine's test_select: the socket is in exceptfds only, SO_ERROR is
 * WSAECONNREFUSED and stays so, and a second select reports it again. */
static void test_select_connect_refused(void **state)
{
    (void)state;
    for (size_t f = 0; f < 2; f++) {
        SOCKADDR_STORAGE ss;
        int len;
        closed_port(families[f], &ss, &len);
        SOCKET c = socket(families[f], SOCK_STREAM, 0);
        nonblocking(c);
        assert_wsa_error(connect(c, (struct sockaddr *)&ss, len),
                         WSAEWOULDBLOCK);
        for (int round = 0; round < 2; round++) {
            fd_set r, w, e;
            set1(&r, c);
            set1(&w, c);
            set1(&e, c);
            set_poison(&e);
            struct timeval tv = tv_ms(5000);
            int ret = select(0, &r, &w, &e, &tv);
            if (ret != 1 || !FD_ISSET(c, &e) || r.fd_count || w.fd_count)
                fail_msg("af %d round %d: ret %d, in r/w/e %u/%u/%u",
                         families[f], round, ret, r.fd_count, w.fd_count,
                         e.fd_count);
            assert_int_equal(e.fd_array[1], (SOCKET)POISON);
            assert_int_equal(so_error(c), WSAECONNREFUSED);
        }
        closesocket(c);
    }
}

/* select, writefds: "If processing a connect call (nonblocking),
 * connection has succeeded." Wine's test_select: SO_ERROR is then 0. */
static void test_select_connect_ok(void **state)
{
    (void)state;
    for (size_t f = 0; f < 2; f++) {
        SOCKADDR_STORAGE ss;
        int len;
        SOCKET l = listener(families[f], &ss, &len);
        SOCKET c = socket(families[f], SOCK_STREAM, 0);
        nonblocking(c);
        int r = connect(c, (struct sockaddr *)&ss, len);
        if (r == SOCKET_ERROR)
            assert_int_equal(WSAGetLastError(), WSAEWOULDBLOCK);
        fd_set w, e;
        set1(&w, c);
        set1(&e, c);
        struct timeval tv = tv_ms(5000);
        assert_int_equal(select(0, NULL, &w, &e, &tv), 1);
        assert_true(FD_ISSET(c, &w));
        assert_int_equal(e.fd_count, 0);
        assert_int_equal(so_error(c), 0);
        closesocket(c);
        closesocket(l);
    }
}

/* Wine's test_select: a socket named twice in a set is reported once, and
 * one fd_set may be passed as both readfds and writefds; a socket ready in
 * both is then named, and counted, once. */
static void test_select_duplicates_alias(void **state)
{
    (void)state;
    SOCKET c, s;
    ws2t_tcp_pair(AF_INET, &c, &s);
    fd_set w;
    w.fd_count = 2;
    w.fd_array[0] = c;
    w.fd_array[1] = c;
    struct timeval tv = tv_ms(1000);
    assert_int_equal(select(0, NULL, &w, NULL, &tv), 1);
    assert_int_equal(w.fd_count, 1);
    assert_int_equal(w.fd_array[0], c);

    fd_set rw;
    set1(&rw, c);
    FD_SET(s, &rw);
    assert_int_equal(select(0, &rw, &rw, NULL, &tv), 2);
    assert_true(FD_ISSET(c, &rw) && FD_ISSET(s, &rw));

    assert_int_equal(send(c, "x", 1, 0), 1);
    ws2t_sleep_ms(50);
    set1(&rw, s);
    assert_int_equal(select(0, &rw, &rw, NULL, &tv), 1);
    assert_int_equal(rw.fd_count, 1);
    closesocket(c);
    closesocket(s);
}

/* __WSAFDIsSet: "returns a value indicating whether a socket is included
 * in a set of socket descriptors" (nonzero if so, zero if not). */
static void test_fdisset(void **state)
{
    (void)state;
    fd_set set;
    FD_ZERO(&set);
    assert_int_equal(__WSAFDIsSet(8, &set), 0);
    FD_SET(8, &set);
    FD_SET(12, &set);
    FD_SET(8, &set); /* FD_SET names a socket once */
    assert_int_equal(set.fd_count, 2);
    assert_true(__WSAFDIsSet(8, &set));
    assert_true(FD_ISSET(12, &set));
    assert_false(FD_ISSET(16, &set));
    FD_CLR(8, &set);
    assert_false(FD_ISSET(8, &set));
    assert_true(FD_ISSET(12, &set));
}

/* A null timeout waits for ever: here until a datagram arrives. */
static void test_select_infinite(void **state)
{
    (void)state;
    SOCKET a, b;
    ws2t_udp_pair(AF_INET6, &a, &b, 1);
    struct bg *t = bg_start(bg_select, b);
    set1(&t->r, b);
    t->use_r = 1;
    t->tvp = NULL;
    bg_run(t);
    ws2t_sleep_ms(200);
    assert_false(atomic_load(&t->done));
    assert_int_equal(send(a, "x", 1, 0), 1);
    bg_join(t, 3000, "select(NULL timeout)");
    assert_int_equal(t->ret, 1);
    assert_true(FD_ISSET(b, &t->r));
    free(t);
    closesocket(a);
    closesocket(b);
}

/* closesocket from another thread ends a select (Wine's test_select,
 * "closesocket did not wake up select"): the socket is reported readable
 * when it is in readfds; named only in exceptfds, select fails with
 * WSAENOTSOCK. */
static void test_select_close_wakes(void **state)
{
    (void)state;
    for (int only_except = 0; only_except < 2; only_except++) {
        SOCKET c, s;
        ws2t_tcp_pair(AF_INET, &c, &s);
        struct bg *t = bg_start(bg_select, c);
        if (!only_except) {
            set1(&t->r, c);
            t->use_r = 1;
        }
        set1(&t->e, c);
        t->use_e = 1;
        t->tv = tv_ms(5000);
        t->tvp = &t->tv;
        bg_run(t);
        ws2t_sleep_ms(200);
        assert_wsa_ok(closesocket(c));
        bg_join(t, 3000, "select on a closed socket");
        if (only_except) {
            assert_int_equal(t->ret, SOCKET_ERROR);
            assert_int_equal(t->err, WSAENOTSOCK);
        } else {
            assert_int_equal(t->ret, 1);
            assert_true(FD_ISSET(c, &t->r));
            assert_int_equal(t->e.fd_count, 0);
        }
        assert_true(t->elapsed < 2000);
        free(t);
        closesocket(s);
    }
}

/* closesocket: "Any pending blocking, asynchronous calls issued by any
 * thread in this process are canceled"; the canceled call fails with
 * WSAEINTR ("A blocking operation was interrupted"). */
static void test_recv_close_wakes(void **state)
{
    (void)state;
    SOCKET c, s;
    ws2t_tcp_pair(AF_INET, &c, &s);
    struct bg *t = bg_start(bg_recv, s);
    bg_run(t);
    ws2t_sleep_ms(200);
    assert_false(atomic_load(&t->done));
    assert_wsa_ok(closesocket(s));
    bg_join(t, 3000, "recv on a closed socket");
    assert_int_equal(t->ret, SOCKET_ERROR);
    assert_int_equal(t->err, WSAEINTR);
    assert_true(t->elapsed < 2000);
    free(t);
    closesocket(c);
}

static void test_accept_close_wakes(void **state)
{
    (void)state;
    SOCKADDR_STORAGE ss;
    int len;
    SOCKET l = listener(AF_INET6, &ss, &len);
    struct bg *t = bg_start(bg_accept, l);
    bg_run(t);
    ws2t_sleep_ms(200);
    assert_false(atomic_load(&t->done));
    assert_wsa_ok(closesocket(l));
    bg_join(t, 3000, "accept on a closed socket");
    assert_int_equal(t->ret, SOCKET_ERROR);
    assert_int_equal(t->err, WSAEINTR);
    free(t);
}

/* ==== WSAPoll ==== */

#define check_poll(s, events, expect)                                          \
    check_poll_(__LINE__, s, events, expect)
static void check_poll_(int line, SOCKET s, SHORT events, SHORT expect)
{
    WSAPOLLFD p = {s, events, (SHORT)POISON};
    int r = WSAPoll(&p, 1, 1000);
    if (r != (p.revents ? 1 : 0) || p.revents != expect)
        fail_msg("line %d: WSAPoll(events %#x) ret %d revents %#x, wanted "
                 "%#x (error %d)",
                 line, events, r, (unsigned short)p.revents, expect,
                 WSAGetLastError());
}
#define ALL (POLLRDNORM | POLLRDBAND | POLLWRNORM)

/* WSAPOLLFD: events "must be one or more of" POLLPRI, POLLRDBAND,
 * POLLRDNORM, POLLWRNORM; WSAPoll: "WSAEINVAL ... if invalid flags were
 * specified in the events member". Wine's test_WSAPoll: POLLPRI,
 * POLLWRBAND and the output-only bits all give WSAEINVAL on Windows, and
 * every revents is cleared. */
static void test_poll_invalid(void **state)
{
    (void)state;
    SOCKADDR_STORAGE ss;
    int len;
    SOCKET l = listener(AF_INET, &ss, &len);
    static const SHORT bad[] = {POLLERR, POLLHUP,    POLLNVAL, 0x8,
                                POLLWRBAND, 0x40,    0x80,     POLLPRI,
                                0x800,   0x1000,     0x4000,   (SHORT)0x8000};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        WSAPOLLFD p[2] = {{l, POLLIN, (SHORT)POISON},
                          {l, bad[i], (SHORT)POISON}};
        WSASetLastError(0);
        int r = WSAPoll(p, 2, 0);
        if (r != SOCKET_ERROR || WSAGetLastError() != WSAEINVAL)
            fail_msg("events %#x: ret %d error %d", (unsigned short)bad[i], r,
                     WSAGetLastError());
        assert_int_equal(p[0].revents, 0);
        assert_int_equal(p[1].revents, 0);
    }
    WSAPOLLFD p = {l, POLLIN, (SHORT)POISON};
    assert_wsa_error(WSAPoll(&p, 0, 0), WSAEINVAL);
    closesocket(l);
}

/* WSAPOLLFD, fd: "ignored if set to a negative value". Wine's
 * test_WSAPoll shows what Windows does with it and with a value that is no
 * socket: revents POLLNVAL ("An invalid socket was used"), and the entry
 * is not counted in the return value. */
static void test_poll_nval(void **state)
{
    (void)state;
    SOCKADDR_STORAGE ss;
    int len;
    SOCKET l = listener(AF_INET, &ss, &len);
    SOCKET dead = socket(AF_INET, SOCK_DGRAM, 0);
    closesocket(dead);
    WSAPOLLFD p[3] = {{INVALID_SOCKET, POLLERR, (SHORT)POISON},
                      {l, POLLIN, (SHORT)POISON},
                      {dead, POLLIN, (SHORT)POISON}};
    WSASetLastError(0);
    assert_int_equal(WSAPoll(p, 3, 0), 0);
    assert_int_equal(WSAGetLastError(), 0);
    assert_int_equal(p[0].revents, POLLNVAL);
    assert_int_equal(p[1].revents, 0);
    assert_int_equal(p[2].revents, POLLNVAL);
    closesocket(l);
}

/* The API-level cases where Windows differs from its page. Wine's
 * test_WSAPoll: WSAPoll(NULL, 1, 0) is WSAEFAULT, and an array with no
 * valid socket is WSAENOTSOCK with every entry POLLNVAL. These are
 * decided in src/api/select.c. */
static void test_poll_api_edges(void **state)
{
    (void)state;
    SOCKET dead = socket(AF_INET, SOCK_DGRAM, 0);
    closesocket(dead);
    WSAPOLLFD p[2] = {{INVALID_SOCKET, POLLIN, (SHORT)POISON},
                      {dead, POLLIN, (SHORT)POISON}};
    WSASetLastError(0);
    int r1 = WSAPoll(NULL, 1, 0), e1 = WSAGetLastError();
    int r2 = WSAPoll(p, 2, 0), e2 = WSAGetLastError();
    assert_int_equal(r1, SOCKET_ERROR);
    assert_int_equal(r2, SOCKET_ERROR);
    assert_int_equal(e1, WSAEFAULT);
    assert_int_equal(e2, WSAENOTSOCK);
    assert_int_equal(p[0].revents, POLLNVAL);
    assert_int_equal(p[1].revents, POLLNVAL);
}

/* WSAPoll: "When the socket is a listening socket, POLLRDNORM indicates a
 * connection is waiting" (accept will not block). WSAPoll: "Zero: No
 * sockets were in the queried state before the timer expired." */
static void test_poll_listen(void **state)
{
    (void)state;
    for (size_t f = 0; f < 2; f++) {
        SOCKADDR_STORAGE ss;
        int len;
        SOCKET l = listener(families[f], &ss, &len);
        check_poll(l, ALL, 0);
        SOCKET c = socket(families[f], SOCK_STREAM, 0);
        assert_wsa_ok(connect(c, (struct sockaddr *)&ss, len));
        check_poll(l, POLLIN, POLLRDNORM);
        check_poll(l, POLLRDBAND | POLLWRNORM, 0);
        closesocket(c);
        closesocket(l);
    }
}

/* WSAPOLLFD revents: "POLLRDNORM Normal data may be read without
 * blocking", "POLLWRNORM Normal data may be written without blocking",
 * "POLLRDBAND Priority band (out-of-band) data may be read without
 * blocking". */
static void test_poll_connected(void **state)
{
    (void)state;
    for (size_t f = 0; f < 2; f++) {
        SOCKET c, s;
        ws2t_tcp_pair(families[f], &c, &s);
        WSAPOLLFD p[2] = {{c, ALL, (SHORT)POISON}, {s, ALL, (SHORT)POISON}};
        assert_int_equal(WSAPoll(p, 2, 1000), 2);
        assert_int_equal(p[0].revents, POLLWRNORM);
        assert_int_equal(p[1].revents, POLLWRNORM);

        assert_int_equal(send(s, "1234", 4, 0), 4);
        check_poll(c, POLLRDNORM | POLLRDBAND, POLLRDNORM);
        check_poll(c, ALL, POLLRDNORM | POLLWRNORM);
        char buf[8];
        assert_int_equal(recv(c, buf, sizeof(buf), 0), 4);
        check_poll(c, ALL, POLLWRNORM);
        closesocket(c);
        closesocket(s);
    }
}

/* Wine's test_WSAPoll: urgent data is POLLRDBAND, or POLLRDNORM when
 * SO_OOBINLINE is set. */
static void test_poll_oob(void **state)
{
    (void)state;
    SOCKET c, s;
    ws2t_tcp_pair(AF_INET, &c, &s);
    assert_int_equal(send(c, "A", 1, MSG_OOB), 1);
    check_poll(s, POLLRDNORM | POLLRDBAND, POLLRDBAND);
    check_poll(s, ALL, POLLWRNORM | POLLRDBAND);
    char ch = 0;
    assert_int_equal(recv(s, &ch, 1, MSG_OOB), 1);
    check_poll(s, ALL, POLLWRNORM);
    int on = 1;
    assert_wsa_ok(
        setsockopt(s, SOL_SOCKET, SO_OOBINLINE, (const char *)&on, sizeof(on)));
    assert_int_equal(send(c, "B", 1, MSG_OOB), 1);
    check_poll(s, POLLRDNORM | POLLRDBAND, POLLRDNORM);
    closesocket(c);
    closesocket(s);
}

/* WSAPOLLFD revents: "POLLHUP A stream-oriented connection was either
 * disconnected or aborted"; WSAPoll: "error conditions are always
 * returned, so information about them need not be requested". Wine's
 * test_WSAPoll: the peer's SD_SEND or closesocket gives POLLHUP even with
 * no events asked; a local SD_RECEIVE changes nothing. */
static void test_poll_hup(void **state)
{
    (void)state;
    for (size_t f = 0; f < 2; f++) {
        SOCKET c, s;
        ws2t_tcp_pair(families[f], &c, &s);
        assert_wsa_ok(shutdown(c, SD_RECEIVE));
        check_poll(c, ALL, POLLWRNORM);
        check_poll(s, ALL, POLLWRNORM);
        assert_wsa_ok(shutdown(c, SD_SEND));
        check_poll(c, ALL, POLLWRNORM);
        check_poll(s, 0, POLLHUP);
        check_poll(s, ALL, POLLWRNORM | POLLHUP);
        closesocket(c);
        closesocket(s);

        /* Data still queued is readable beside the hang-up. */
        ws2t_tcp_pair(families[f], &c, &s);
        assert_int_equal(send(c, "data", 4, 0), 4);
        assert_wsa_ok(closesocket(c));
        check_poll(s, ALL, POLLRDNORM | POLLWRNORM | POLLHUP);
        closesocket(s);
    }
}

/* A failed non-blocking connect: Windows 10 2004 and later report
 * POLLWRNORM | POLLHUP | POLLERR (Wine's test_WSAPoll, "Test a failed
 * connection"), and SO_ERROR stays WSAECONNREFUSED. */
static void test_poll_connect_refused(void **state)
{
    (void)state;
    for (size_t f = 0; f < 2; f++) {
        SOCKADDR_STORAGE ss;
        int len;
        closed_port(families[f], &ss, &len);
        SOCKET c = socket(families[f], SOCK_STREAM, 0);
        nonblocking(c);
        assert_wsa_error(connect(c, (struct sockaddr *)&ss, len),
                         WSAEWOULDBLOCK);
        WSAPOLLFD p = {c, ALL, (SHORT)POISON};
        assert_int_equal(WSAPoll(&p, 1, 5000), 1);
        assert_int_equal(p.revents, POLLWRNORM | POLLHUP | POLLERR);
        assert_int_equal(so_error(c), WSAECONNREFUSED);
        check_poll(c, POLLRDNORM, POLLHUP | POLLERR);
        closesocket(c);
    }
}

/* Wine's test_WSAPoll: UDP sockets are writable, bound or not, and
 * readable when a datagram waits. */
static void test_poll_udp(void **state)
{
    (void)state;
    for (size_t f = 0; f < 2; f++) {
        SOCKET u = socket(families[f], SOCK_DGRAM, 0);
        check_poll(u, ALL, POLLWRNORM);
        closesocket(u);
        SOCKET a, b;
        ws2t_udp_pair(families[f], &a, &b, 1);
        check_poll(b, POLLRDNORM, 0);
        assert_int_equal(send(a, "x", 1, 0), 1);
        check_poll(b, POLLRDNORM | POLLRDBAND, POLLRDNORM);
        check_poll(b, ALL, POLLRDNORM | POLLWRNORM);
        closesocket(a);
        closesocket(b);
    }
}

/* WSAPoll, timeout: "Greater than zero: The time, in milliseconds, to
 * wait." */
static void test_poll_timeout(void **state)
{
    (void)state;
    SOCKADDR_STORAGE ss;
    int len;
    SOCKET l = listener(AF_INET, &ss, &len);
    WSAPOLLFD p = {l, POLLIN, (SHORT)POISON};
    int64_t t0 = now_ms();
    assert_int_equal(WSAPoll(&p, 1, 150), 0);
    int64_t took = now_ms() - t0;
    if (took < 140 || took > 2000)
        fail_msg("a 150 ms WSAPoll took %lld ms", (long long)took);
    assert_int_equal(p.revents, 0);
    t0 = now_ms();
    assert_int_equal(WSAPoll(&p, 1, 0), 0);
    assert_true(now_ms() - t0 < 100);
    closesocket(l);
}

/* Wine's test_WSAPoll, "Test closing a socket while selecting on it": the
 * wait ends with 1 and revents POLLNVAL. */
static void test_poll_close_wakes(void **state)
{
    (void)state;
    SOCKET c, s;
    ws2t_tcp_pair(AF_INET, &c, &s);
    struct bg *t = bg_start(bg_poll, c);
    t->pfd = (WSAPOLLFD){c, POLLRDNORM | POLLRDBAND, (SHORT)POISON};
    bg_run(t);
    ws2t_sleep_ms(200);
    assert_false(atomic_load(&t->done));
    assert_wsa_ok(closesocket(c));
    bg_join(t, 3000, "WSAPoll on a closed socket");
    assert_int_equal(t->ret, 1);
    assert_int_equal(t->pfd.revents, POLLNVAL);
    assert_true(t->elapsed < 2000);
    free(t);
    closesocket(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_select_invalid),
        cmocka_unit_test(test_select_notsock),
        cmocka_unit_test(test_select_unconnected),
        cmocka_unit_test(test_select_udp),
        cmocka_unit_test(test_select_listen),
        cmocka_unit_test(test_select_data_and_close),
        cmocka_unit_test(test_select_oob),
        cmocka_unit_test(test_select_connect_refused),
        cmocka_unit_test(test_select_connect_ok),
        cmocka_unit_test(test_select_duplicates_alias),
        cmocka_unit_test(test_fdisset),
        cmocka_unit_test(test_select_infinite),
        cmocka_unit_test(test_select_close_wakes),
        cmocka_unit_test(test_recv_close_wakes),
        cmocka_unit_test(test_accept_close_wakes),
        cmocka_unit_test(test_poll_invalid),
        cmocka_unit_test(test_poll_nval),
        cmocka_unit_test(test_poll_api_edges),
        cmocka_unit_test(test_poll_listen),
        cmocka_unit_test(test_poll_connected),
        cmocka_unit_test(test_poll_oob),
        cmocka_unit_test(test_poll_hup),
        cmocka_unit_test(test_poll_connect_refused),
        cmocka_unit_test(test_poll_udp),
        cmocka_unit_test(test_poll_timeout),
        cmocka_unit_test(test_poll_close_wakes),
    };
    return cmocka_run_group_tests(tests, ws2t_startup, ws2t_cleanup);
}
