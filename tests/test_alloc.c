/*
 * test_alloc.c - no allocation on the immediate-completion path: a
 * counting allocator (this program's own malloc family, forwarding to
 * glibc's) shows that blocking WSASendTo, overlapped WSASendTo with an
 * event, and overlapped sends and receives with completion routines that
 * complete at once allocate nothing once the socket, the engine and the
 * thread are set up. Skips where the allocator is not ours (sanitizers,
 * valgrind replace it).
 */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "util.h"
#include <windows.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#endif

static _Atomic long allocs, live;

#ifndef SANITIZED /* the sanitizers bring their own allocator */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

void *malloc(size_t n)
{
    atomic_fetch_add(&allocs, 1);
    void *r = __libc_malloc(n);
    if (r)
        atomic_fetch_add(&live, 1);
    return r;
}
void *calloc(size_t a, size_t b)
{
    atomic_fetch_add(&allocs, 1);
    void *r = __libc_calloc(a, b);
    if (r)
        atomic_fetch_add(&live, 1);
    return r;
}
void *realloc(void *p, size_t n)
{
    atomic_fetch_add(&allocs, 1);
    void *r = __libc_realloc(p, n);
    if (!p && r)
        atomic_fetch_add(&live, 1);
    return r;
}
void free(void *p)
{
    if (p)
        atomic_fetch_sub(&live, 1);
    __libc_free(p);
}
#endif

/* A UDP pair whose receiver has room for every datagram of a test; b's
 * address in *to. */
static void roomy_pair(SOCKET *a, SOCKET *b, SOCKADDR_STORAGE *to,
                       int *tolen)
{
    ws2t_udp_pair(AF_INET, a, b, 0);
    ws2t_name(*b, to, tolen);
    int big = 4 << 20;
    setsockopt(*b, SOL_SOCKET, SO_RCVBUF, (char *)&big, sizeof(big));
}

static void test_immediate_paths_allocate_nothing(void **state)
{
    (void)state;
    SOCKET a, b;
    SOCKADDR_STORAGE to;
    int tolen;
    roomy_pair(&a, &b, &to, &tolen);
    char msg[64] = "payload";
    WSABUF wb[2] = {{32, msg}, {32, msg + 32}};
    WSAEVENT ev = WSACreateEvent();
    WSAOVERLAPPED ov;
    DWORD sent;
    /* Warm up: the first overlapped call starts the engine. */
    memset(&ov, 0, sizeof(ov));
    ov.hEvent = ev;
    assert_int_equal(WSASendTo(a, wb, 2, &sent, 0, (struct sockaddr *)&to,
                               tolen, &ov, NULL),
                     0);
    long before = atomic_load(&allocs);
    for (int i = 0; i < 200; i++) {
        assert_int_equal(WSASendTo(a, wb, 2, &sent, 0, (struct sockaddr *)&to,
                                   tolen, NULL, NULL),
                         0);
        memset(&ov, 0, sizeof(ov));
        ov.hEvent = ev;
        assert_int_equal(WSASendTo(a, wb, 2, &sent, 0, (struct sockaddr *)&to,
                                   tolen, &ov, NULL),
                         0);
        assert_true(HasOverlappedIoCompleted(&ov));
        WSAResetEvent(ev);
    }
    long after = atomic_load(&allocs);
    if (after != before)
        fail_msg("%ld allocations in 400 immediate sends", after - before);
    WSACloseEvent(ev);
    closesocket(a);
    closesocket(b);
}

static int routines_ran;
static DWORD routine_err = 0xdeadbeef, routine_bytes = 0xdeadbeef;

static void CALLBACK count_routine(DWORD err, DWORD bytes,
                                   LPWSAOVERLAPPED ov, DWORD flags)
{
    (void)ov, (void)flags;
    routine_err = err;
    routine_bytes = bytes;
    routines_ran++;
}

/* A completion routine of a request that completed inside its call runs
 * in the next alertable wait (Microsoft's WSASend page: "the completion
 * routine will be scheduled ... as soon as the calling thread is in the
 * alertable state"); queuing it allocates nothing once the thread has
 * run one (the record and the APC entry are reused). Receives that find
 * their datagram already there complete at once too. */
static void test_immediate_routines_allocate_nothing(void **state)
{
    (void)state;
    SOCKET a, b;
    SOCKADDR_STORAGE to;
    int tolen;
    roomy_pair(&a, &b, &to, &tolen);
    char msg[64], got[64];
    ws2t_fill(msg, sizeof(msg), 7, 0);
    WSABUF wb = {sizeof(msg), msg}, rb = {sizeof(got), got};
    WSAOVERLAPPED ov, rov;
    DWORD sent, n, fl;
    long before = 0;
    for (int i = 0; i < 201; i++) {
        if (i == 1) /* the first round warmed up the engine and caches */
            before = atomic_load(&allocs);
        memset(&ov, 0, sizeof(ov));
        routines_ran = 0;
        assert_int_equal(WSASendTo(a, &wb, 1, &sent, 0,
                                   (struct sockaddr *)&to, tolen, &ov,
                                   count_routine),
                         0);
        /* Not run before an alertable wait. */
        assert_int_equal(routines_ran, 0);
        assert_int_equal(SleepEx(0, TRUE), WAIT_IO_COMPLETION);
        assert_int_equal(routines_ran, 1);
        assert_int_equal(routine_err, 0);
        assert_int_equal(routine_bytes, sizeof(msg));
        memset(&rov, 0, sizeof(rov));
        memset(got, 0, sizeof(got));
        fl = 0;
        routines_ran = 0;
        assert_int_equal(WSARecv(b, &rb, 1, &n, &fl, &rov, count_routine),
                         0);
        assert_int_equal(SleepEx(0, TRUE), WAIT_IO_COMPLETION);
        assert_int_equal(routines_ran, 1);
        assert_int_equal(routine_bytes, sizeof(msg));
        ws2t_check(got, sizeof(got), 7, 0);
    }
    long after = atomic_load(&allocs);
    if (after != before)
        fail_msg("%ld allocations in 200 immediate sends and receives with "
                 "completion routines", after - before);
    closesocket(a);
    closesocket(b);
}

/* A thread that exits with a routine's APC still queued drops it, as on
 * Windows (the routine never runs anywhere), and what the APC held is
 * released: the request of a receive that completed on the engine's side,
 * or the record of one that completed inside its call. Blocks in use
 * after warm-up rounds stay level over more rounds. */
static void test_dropped_routines_release(void **state)
{
    (void)state;
    SOCKET a, b;
    SOCKADDR_STORAGE to;
    int tolen;
    roomy_pair(&a, &b, &to, &tolen);
    routines_ran = 0;
    long before = 0;
    for (int i = 0; i < 6; i++) {
        if (i == 2) /* thread stacks, records and caches are warm */
            before = atomic_load(&live);
        ws2t_exit_with_routine_queued(b, a, &to, tolen, i % 2,
                                      count_routine);
    }
    long after = atomic_load(&live);
    assert_int_equal(SleepEx(0, TRUE), 0); /* nothing came here either */
    assert_int_equal(routines_ran, 0);
    if (after != before)
        fail_msg("%ld blocks more in use after 4 threads exited with a "
                 "routine queued", after - before);
    closesocket(a);
    closesocket(b);
}

int main(void)
{
    long n0 = atomic_load(&allocs);
    void *volatile p = malloc(1); /* volatile: not elided at -O3 */
    free(p);
    if (atomic_load(&allocs) == n0) {
        printf("SKIP: the allocator is not this program's (sanitizer or "
               "valgrind)\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_immediate_paths_allocate_nothing),
        cmocka_unit_test(test_immediate_routines_allocate_nothing),
        cmocka_unit_test(test_dropped_routines_release),
    };
    return cmocka_run_group_tests(tests, ws2t_startup, ws2t_cleanup);
}
