/*
 * test_handle.c - SOCKET values and the handle table: the shape of every
 * value, stale and never-issued values refused by every entry point, and a
 * socket closed under threads that are still using it. Uses the internal
 * ws2__handle_count (src/spi/handle.h) and the table's limits (config.h).
 */
#define _GNU_SOURCE
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "config.h"
#include "spi/handle.h"

static unsigned handles_at_start;

static int count_start(void **state)
{
    (void)state;
    handles_at_start = ws2__handle_count();
    return 0;
}

/* Teardown: every test closes what it opened. */
static int count_check(void **state)
{
    (void)state;
    unsigned now = ws2__handle_count();
    if (now != handles_at_start) {
        fprintf(stderr, "leak: %u handles open, %u at the start\n", now,
                handles_at_start);
        return -1;
    }
    return 0;
}

/* DESIGN.md: "A handle-table value: slot index plus a generation, a
 * multiple of 4, never 0 or ~0, below 2^31 (ported code often keeps
 * SOCKETs in an int)." Windows: "Handles are ... multiples of 4" and
 * INVALID_SOCKET is (SOCKET)(~0). */
static void check_shape(SOCKET s, const char *what, size_t i)
{
    if (s == INVALID_SOCKET)
        fail_msg("%s %zu: INVALID_SOCKET, error %d", what, i,
                 WSAGetLastError());
    if (s == 0 || (s & 3) != 0 || s >= ((SOCKET)1 << 31))
        fail_msg("%s %zu: bad SOCKET value 0x%llx", what, i,
                 (unsigned long long)s);
}

static unsigned slot_of(SOCKET s)
{
    return (unsigned)(s >> 2) & ((1u << WS2__IDX_BITS) - 1);
}

static int cmp_socket(const void *a, const void *b)
{
    SOCKET x = *(const SOCKET *)a, y = *(const SOCKET *)b;
    return x < y ? -1 : x > y;
}

/* 10,000 sockets opened and closed one after the other: every value well
 * formed, and no two alike. A repeated value would be a stale handle that
 * reaches a later socket ("it can never reach a socket opened later in its
 * slot", DESIGN.md). */
static void test_values_sequential(void **state)
{
    (void)state;
    enum { N = 10000 };
    SOCKET *v = malloc(N * sizeof(*v));
    assert_non_null(v);
    for (size_t i = 0; i < N; i++) {
        SOCKET s = socket(i & 1 ? AF_INET : AF_INET6,
                          i & 2 ? SOCK_STREAM : SOCK_DGRAM, 0);
        check_shape(s, "socket", i);
        v[i] = s;
        assert_wsa_ok(closesocket(s));
        /* The first socket's value stays dead throughout. */
        if (i % 101 == 100) {
            u_long nb = POISON;
            assert_wsa_error(ioctlsocket(v[0], FIONBIO, &nb), WSAENOTSOCK);
            assert_int_equal(nb, POISON);
        }
    }
    qsort(v, N, sizeof(*v), cmp_socket);
    for (size_t i = 1; i < N; i++)
        if (v[i] == v[i - 1])
            fail_msg("SOCKET 0x%llx was given out twice in %d sockets",
                     (unsigned long long)v[i], N);
    free(v);
}

/* Makes room for n more descriptors, or skips loudly. */
static void need_fds(rlim_t n)
{
    struct rlimit rl;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < n) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= n
                          ? n
                          : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < n) {
        fprintf(stderr, "SKIP: needs %llu descriptors, RLIMIT_NOFILE is %llu\n",
                (unsigned long long)n, (unsigned long long)rl.rlim_cur);
        skip();
    }
}

/* 5,000 sockets open at once: every value well formed and distinct. */
static void test_values_many_open(void **state)
{
    (void)state;
    enum { N = 5000 };
    need_fds(N + 256);
    SOCKET *v = malloc(N * sizeof(*v));
    assert_non_null(v);
    unsigned before = ws2__handle_count();
    for (size_t i = 0; i < N; i++) {
        v[i] = socket(AF_INET, SOCK_DGRAM, 0);
        check_shape(v[i], "open socket", i);
    }
    assert_int_equal(ws2__handle_count(), before + N);
    SOCKET *sorted = malloc(N * sizeof(*sorted));
    assert_non_null(sorted);
    memcpy(sorted, v, N * sizeof(*v));
    qsort(sorted, N, sizeof(*sorted), cmp_socket);
    for (size_t i = 1; i < N; i++)
        if (sorted[i] == sorted[i - 1])
            fail_msg("two open sockets share the value 0x%llx",
                     (unsigned long long)sorted[i]);
    free(sorted);
    for (size_t i = 0; i < N; i++)
        assert_wsa_ok(closesocket(v[i]));
    assert_int_equal(ws2__handle_count(), before);
    free(v);
}

/* Every entry point that takes a SOCKET, called on s, must fail with err
 * and leave its outputs alone. Windows: "WSAENOTSOCK The descriptor is not
 * a socket." (in the error table of each of these functions) */
static void check_refused(SOCKET s, int err)
{
    char buf[8] = "abcdefg";
    SOCKADDR_STORAGE ss;
    int len;
    ws2t_loopback(AF_INET, 9, &ss, &len);
    WSABUF wb = {sizeof(buf), buf};
    DWORD n = POISON, flags = 0;

    assert_wsa_error(bind(s, (struct sockaddr *)&ss, len), err);
    assert_wsa_error(connect(s, (struct sockaddr *)&ss, len), err);
    assert_wsa_error(listen(s, 5), err);
    assert_wsa_error(send(s, buf, sizeof(buf), 0), err);
    assert_wsa_error(sendto(s, buf, sizeof(buf), 0, (struct sockaddr *)&ss,
                            len),
                     err);
    assert_wsa_error(WSASendTo(s, &wb, 1, &n, 0, (struct sockaddr *)&ss, len,
                               NULL, NULL),
                     err);
    assert_int_equal(n, POISON);
    assert_wsa_error(WSASend(s, &wb, 1, &n, 0, NULL, NULL), err);
    assert_int_equal(n, POISON);
    memset(buf, 'x', sizeof(buf));
    assert_wsa_error(recv(s, buf, sizeof(buf), 0), err);
    assert_wsa_error(WSARecv(s, &wb, 1, &n, &flags, NULL, NULL), err);
    assert_int_equal(n, POISON);
    for (size_t i = 0; i < sizeof(buf); i++)
        assert_int_equal(buf[i], 'x');

    int v = 1, vlen = sizeof(v);
    assert_wsa_error(setsockopt(s, SOL_SOCKET, SO_RCVBUF, (const char *)&v,
                                sizeof(v)),
                     err);
    v = (int)POISON;
    assert_wsa_error(getsockopt(s, SOL_SOCKET, SO_TYPE, (char *)&v, &vlen),
                     err);
    assert_int_equal(v, (int)POISON);
    assert_int_equal(vlen, sizeof(v));
    u_long arg = POISON;
    assert_wsa_error(ioctlsocket(s, FIONREAD, &arg), err);
    assert_int_equal(arg, POISON);
    assert_wsa_error(shutdown(s, SD_BOTH), err);

    memset(&ss, 0xcc, sizeof(ss));
    len = sizeof(ss);
    assert_wsa_error(getsockname(s, (struct sockaddr *)&ss, &len), err);
    assert_int_equal(len, sizeof(ss));
    assert_int_equal(((unsigned char *)&ss)[0], 0xcc);
    assert_wsa_error(getpeername(s, (struct sockaddr *)&ss, &len), err);
    assert_int_equal(len, sizeof(ss));

    len = sizeof(ss);
    WSASetLastError(0);
    assert_true(accept(s, (struct sockaddr *)&ss, &len) == INVALID_SOCKET);
    assert_int_equal(WSAGetLastError(), err);
    assert_int_equal(len, sizeof(ss));
    WSASetLastError(0);
    assert_true(WSAAccept(s, NULL, NULL, NULL, 0) == INVALID_SOCKET);
    assert_int_equal(WSAGetLastError(), err);

    assert_wsa_error(closesocket(s), err);
}

/* A closed socket's value is dead everywhere, for TCP and UDP. */
static void test_stale_refused_everywhere(void **state)
{
    (void)state;
    static const int types[] = {SOCK_DGRAM, SOCK_STREAM};
    for (int t = 0; t < 2; t++) {
        SOCKET s = ws2t_bound(AF_INET, types[t]);
        assert_wsa_ok(closesocket(s));
        check_refused(s, WSAENOTSOCK);
    }
}

/* Values that were never handles. */
static void test_never_handles(void **state)
{
    (void)state;
    static const SOCKET bogus[] = {
        0, 1, 2, 3, 5, 4, 0x7ffffffc, 0x7fffffff, 0x80000000,
        (SOCKET)0x100000000ull, INVALID_SOCKET, INVALID_SOCKET - 3,
    };
    for (size_t i = 0; i < sizeof(bogus) / sizeof(bogus[0]); i++)
        check_refused(bogus[i], WSAENOTSOCK);
}

/* The slot of a closed socket is used again for a later socket; the old
 * value still fails and never reaches the new socket. The table reuses a
 * slot only after many others were released, oldest first, so this opens
 * and closes sockets until one lands in the old slot. */
static void test_stale_in_reused_slot(void **state)
{
    (void)state;
    enum { MAX = 200000 };
    SOCKET a = ws2t_bound(AF_INET, SOCK_DGRAM);
    unsigned slot = slot_of(a);
    assert_wsa_ok(closesocket(a));
    SOCKET b = INVALID_SOCKET;
    for (size_t i = 0; i < MAX; i++) {
        SOCKET s = socket(AF_INET, SOCK_DGRAM, 0);
        check_shape(s, "socket", i);
        if (slot_of(s) == slot) {
            b = s;
            break;
        }
        assert_wsa_ok(closesocket(s));
    }
    if (b == INVALID_SOCKET)
        fail_msg("slot %u was not reused in %d sockets", slot, MAX);
    assert_true(b != a);
    /* B works ... */
    SOCKADDR_STORAGE ss;
    int len;
    ws2t_loopback(AF_INET, 0, &ss, &len);
    assert_wsa_ok(bind(b, (struct sockaddr *)&ss, len));
    u_long nb = 1;
    assert_wsa_ok(ioctlsocket(b, FIONBIO, &nb));
    /* ... A, in the same slot, is refused everywhere (closesocket(a) fails
     * too, so B stays open) ... */
    check_refused(a, WSAENOTSOCK);
    /* ... and B is untouched by it. */
    char c;
    assert_wsa_error(recv(b, &c, 1, 0), WSAEWOULDBLOCK);
    ws2t_name(b, &ss, &len);
    assert_wsa_ok(closesocket(b));
}

/* ---- a socket closed while other threads send on it ---- */

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

struct sender {
    pthread_t tid;
    SOCKET s;
    SOCKADDR_STORAGE to;
    int tolen;
    int use_wsa;
    _Atomic int *go;
    long ok, notsock, intr;
    int bad_err; /* first unexpected error, 0 if none */
};

static void *sender_main(void *arg)
{
    struct sender *t = arg;
    char buf[64] = "payload";
    WSABUF wb = {sizeof(buf), buf};
    while (!atomic_load(t->go))
        sched_yield();
    /* Bounded by time, not count: under valgrind's one-thread-at-a-time
     * scheduling a sender may run a long while before the closer does. */
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long i = 0;; i++) {
        if ((i & 255) == 0) {
            clock_gettime(CLOCK_MONOTONIC, &now);
            if (now.tv_sec - start.tv_sec > 8)
                break;
        }
        int r;
        if (t->use_wsa) {
            DWORD n = POISON;
            r = WSASendTo(t->s, &wb, 1, &n, 0, (struct sockaddr *)&t->to,
                          t->tolen, NULL, NULL);
            if (r == 0 && n != sizeof(buf)) {
                t->bad_err = -1;
                break;
            }
        } else {
            r = send(t->s, buf, sizeof(buf), 0);
        }
        if (r != SOCKET_ERROR) {
            t->ok++;
            continue;
        }
        int e = WSAGetLastError();
        if (e == WSAENOTSOCK) {
            t->notsock++;
            break; /* the handle is gone: every later call fails alike */
        }
        if (e == WSAEINTR) {
            t->intr++;
            continue;
        }
        t->bad_err = e;
        break;
    }
    return NULL;
}

/* closesocket "closes an existing socket" while other threads are inside
 * calls on it: each call either completes, or fails as on a closed socket
 * (WSAENOTSOCK "The descriptor is not a socket"), or is interrupted by the
 * close (WSAEINTR; Windows CE WSASend: "WSAEINTR The socket was closed").
 * Nothing crashes and no Linux descriptor is left behind. */
static void test_close_under_senders(void **state)
{
    (void)state;
    enum { ROUNDS = 40, THREADS = 4 };
    int fds_before = count_fds();
    SOCKET sink = ws2t_bound(AF_INET, SOCK_DGRAM);
    SOCKADDR_STORAGE to;
    int tolen;
    ws2t_name(sink, &to, &tolen);
    long ok = 0, notsock = 0, intr = 0;
    for (int round = 0; round < ROUNDS; round++) {
        SOCKET s = ws2t_bound(AF_INET, SOCK_DGRAM);
        assert_wsa_ok(connect(s, (struct sockaddr *)&to, tolen));
        _Atomic int go = 0;
        struct sender t[THREADS];
        for (int i = 0; i < THREADS; i++) {
            memset(&t[i], 0, sizeof(t[i]));
            t[i].s = s;
            t[i].to = to;
            t[i].tolen = tolen;
            t[i].use_wsa = i & 1;
            t[i].go = &go;
            assert_int_equal(pthread_create(&t[i].tid, NULL, sender_main,
                                            &t[i]),
                             0);
        }
        atomic_store(&go, 1);
        struct timespec pause = {0, (round % 5) * 200000L};
        nanosleep(&pause, NULL);
        assert_wsa_ok(closesocket(s));
        for (int i = 0; i < THREADS; i++) {
            ws2t_thread_join(t[i].tid, 10);
            if (t[i].bad_err)
                fail_msg("round %d thread %d: unexpected error %d", round, i,
                         t[i].bad_err);
            if (!t[i].notsock)
                fail_msg("round %d thread %d never saw WSAENOTSOCK", round,
                         i);
            ok += t[i].ok;
            notsock += t[i].notsock;
            intr += t[i].intr;
        }
    }
    assert_wsa_ok(closesocket(sink));
    /* The Linux fds go when the last call inside has returned: by now. */
    int fds_after = count_fds();
    if (fds_after != fds_before)
        fail_msg("%d descriptors open before, %d after", fds_before,
                 fds_after);
    printf("close under senders: %ld sent, %ld WSAENOTSOCK, %ld WSAEINTR\n",
           ok, notsock, intr);
}

struct close_arg {
    SOCKET s;
    int r;
};

static void *close_main(void *arg)
{
    struct close_arg *a = arg;
    a->r = closesocket(a->s);
    return NULL;
}

static uint64_t refs_of(struct ws2__slot *slot)
{
    return atomic_load(&slot->state) & (WS2__OPEN_BIT - 1);
}

/* docs/design-notes.md, "Handles": an API call holds one counted
 * reference; the provider's own look-up inside that call borrows it (no
 * second reference), and the call's reference alone keeps the socket and
 * its descriptor alive through a closesocket made meanwhile. Outside a
 * call a look-up takes a reference of its own, and a closed handle finds
 * nothing. */
static void test_call_reference_is_borrowed(void **state)
{
    (void)state;
    SOCKET s = ws2t_bound(AF_INET, SOCK_DGRAM), other;
    other = ws2t_bound(AF_INET, SOCK_DGRAM);
    int fd = ws2posix_get_fd(s);
    assert_true(fd >= 0);
    struct ws2__call c;
    assert_true(ws2__enter(s, &c));
    uint64_t in_call = refs_of(c.slot);
    int owned = -1;
    struct ws2__slot *b = ws2__handle_borrow(s, &owned);
    assert_ptr_equal(b, c.slot);
    assert_int_equal(owned, 0);
    assert_int_equal(refs_of(c.slot), in_call);
    /* Another socket inside the call: a reference of its own. */
    b = ws2__handle_borrow(other, &owned);
    assert_non_null(b);
    assert_int_equal(owned, 1);
    ws2__handle_unref(b);
    /* Closed by another thread inside the call: the slot, its context and
     * the descriptor stay until the call ends. */
    DWORD_PTR ctx = c.slot->ctx;
    pthread_t closer;
    struct close_arg ca = {s, -1};
    ws2t_thread_start(&closer, close_main, &ca);
    ws2t_thread_join(closer, 10);
    assert_int_equal(ca.r, 0);
    b = ws2__handle_borrow(s, &owned);
    assert_ptr_equal(b, c.slot);
    assert_int_equal(owned, 0);
    assert_true(b->ctx == ctx);
    assert_int_not_equal(fcntl(fd, F_GETFD), -1);
    ws2__leave(&c, 0, 0);
    /* The call is over: nothing is borrowed, the handle is gone, and so
     * is the descriptor. */
    b = ws2__handle_borrow(s, &owned);
    assert_null(b);
    assert_int_equal(owned, 1);
    assert_int_equal(fcntl(fd, F_GETFD), -1);
    /* A call made inside a call (a layered provider calling the API on
     * its lower socket) ends the outer record: the outer provider's
     * look-ups then take references of their own, which is always safe. */
    assert_true(ws2__enter(other, &c));
    in_call = refs_of(c.slot);
    b = ws2__handle_borrow(other, &owned);
    assert_ptr_equal(b, c.slot);
    assert_int_equal(owned, 0);
    u_long nb = 0;
    assert_wsa_ok(ioctlsocket(other, FIONBIO, &nb)); /* the inner call */
    b = ws2__handle_borrow(other, &owned);
    assert_ptr_equal(b, c.slot);
    assert_int_equal(owned, 1);
    assert_int_equal(refs_of(c.slot), in_call + 1);
    ws2__handle_unref(b);
    ws2__leave(&c, 0, 0);
    assert_wsa_ok(closesocket(other));
}

/* Many threads opening and closing at once: values stay unique among the
 * open ones and the count returns to where it was. */
struct churner {
    pthread_t tid;
    int bad;
};

static void *churn_main(void *arg)
{
    struct churner *c = arg;
    for (int i = 0; i < 2000 && !c->bad; i++) {
        SOCKET s = socket(AF_INET, SOCK_DGRAM, 0);
        if (s == INVALID_SOCKET || (s & 3) || s == 0 ||
            s >= ((SOCKET)1 << 31)) {
            c->bad = 1;
            break;
        }
        u_long nb = 1;
        if (ioctlsocket(s, FIONBIO, &nb) || closesocket(s))
            c->bad = 2;
        if (closesocket(s) != SOCKET_ERROR ||
            WSAGetLastError() != WSAENOTSOCK)
            c->bad = 3;
    }
    return NULL;
}

static void test_concurrent_open_close(void **state)
{
    (void)state;
    enum { THREADS = 4 };
    struct churner c[THREADS];
    int fds_before = count_fds();
    for (int i = 0; i < THREADS; i++) {
        c[i].bad = 0;
        assert_int_equal(pthread_create(&c[i].tid, NULL, churn_main, &c[i]),
                         0);
    }
    for (int i = 0; i < THREADS; i++) {
        ws2t_thread_join(c[i].tid, 60);
        if (c[i].bad)
            fail_msg("thread %d: failure kind %d", i, c[i].bad);
    }
    assert_int_equal(count_fds(), fds_before);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, count_start, count_check)
    const struct CMUnitTest tests[] = {
        T(test_values_sequential),
        T(test_values_many_open),
        T(test_stale_refused_everywhere),
        T(test_never_handles),
        T(test_stale_in_reused_slot),
        T(test_close_under_senders),
        T(test_call_reference_is_borrowed),
        T(test_concurrent_open_close),
    };
#undef T
    return cmocka_run_group_tests(tests, ws2t_startup, ws2t_cleanup);
}
