/*
 * test_overlapped_port.c - I/O completion ports for sockets:
 * CreateIoCompletionPort, GetQueuedCompletionStatus(Ex),
 * PostQueuedCompletionStatus, SetFileCompletionNotificationModes and
 * CloseHandle, with overlapped socket requests completing into a port.
 * ctest runs it on both engines (the name starts with test_overlapped).
 *
 * Windows rules come from Microsoft's pages of those functions ("I/O
 * Completion Ports" for concurrency and LIFO wake-ups) and from Wine's
 * test_completion_port (dlls/ws2_32/tests/sock.c), which passes on
 * Windows, unless a test says otherwise. Every wait has a timeout, every
 * thread is joined with a bounded wait, and assertions run in the main
 * thread only (cmocka is not thread-safe).
 */
#define _GNU_SOURCE
#include "util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <windows.h>

#include "engine/engine.h"
#include "sync/sync.h"

_Static_assert(sizeof(OVERLAPPED_ENTRY) == 32, "OVERLAPPED_ENTRY size");
_Static_assert(offsetof(OVERLAPPED_ENTRY, lpOverlapped) == 8, "lpOverlapped");
_Static_assert(offsetof(OVERLAPPED_ENTRY, Internal) == 16, "Internal");
_Static_assert(offsetof(OVERLAPPED_ENTRY, dwNumberOfBytesTransferred) == 24,
               "dwNumberOfBytesTransferred");

static HANDLE new_port(DWORD concurrency)
{
    HANDLE p = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0,
                                      concurrency);
    if (!p)
        fail_msg("CreateIoCompletionPort: error %u", GetLastError());
    return p;
}

static void associate(SOCKET s, HANDLE port, ULONG_PTR key)
{
    HANDLE r = CreateIoCompletionPort((HANDLE)s, port, key, 0);
    if (r != port)
        fail_msg("associating socket %lu: got %p, error %u",
                 (unsigned long)s, r, GetLastError());
}

/* One packet, expected within ms: checks the key, the OVERLAPPED, the
 * count and the result (TRUE, or FALSE with err as the last error). */
static void expect_packet(HANDLE port, DWORD ms, ULONG_PTR key,
                          LPOVERLAPPED ov, DWORD bytes, DWORD err)
{
    DWORD n = POISON;
    ULONG_PTR k = POISON;
    LPOVERLAPPED o = (LPOVERLAPPED)(uintptr_t)POISON;
    SetLastError(POISON);
    BOOL r = GetQueuedCompletionStatus(port, &n, &k, &o, ms);
    DWORD e = GetLastError();
    if (r != !err || o != ov || k != key || n != bytes ||
        (err && e != err))
        fail_msg("GetQueuedCompletionStatus: got %d ov %p key %lu bytes %u "
                 "error %u; wanted %d ov %p key %lu bytes %u error %u",
                 r, (void *)o, (unsigned long)k, n, e, !err, (void *)ov,
                 (unsigned long)key, bytes, err);
}

static void expect_no_packet(HANDLE port, DWORD ms)
{
    DWORD n = POISON;
    ULONG_PTR k = POISON;
    LPOVERLAPPED o = (LPOVERLAPPED)(uintptr_t)POISON;
    SetLastError(POISON);
    BOOL r = GetQueuedCompletionStatus(port, &n, &k, &o, ms);
    if (r || o || GetLastError() != WAIT_TIMEOUT)
        fail_msg("wanted no packet: got %d ov %p key %lu bytes %u error %u",
                 r, (void *)o, (unsigned long)k, n, GetLastError());
    /* Windows (kernelbase) writes only lpOverlapped when nothing came. */
    assert_int_equal(n, POISON);
    assert_int_equal(k, POISON);
}

static void post_recv(SOCKET s, char *buf, ULONG len, LPOVERLAPPED ov)
{
    WSABUF wb = {len, buf};
    DWORD got = POISON, fl = 0;
    assert_wsa_error(WSARecv(s, &wb, 1, &got, &fl, ov, NULL),
                     WSA_IO_PENDING);
    assert_int_equal(got, POISON);
}

/* CreateIoCompletionPort: "If FileHandle is INVALID_HANDLE_VALUE ...
 * ExistingCompletionPort must be NULL"; a handle is associated with one
 * port once (a second association fails with ERROR_INVALID_PARAMETER, as
 * NtSetInformationFile(FileCompletionInformation) does); what is not a
 * file or not a port is ERROR_INVALID_HANDLE. */
static void test_create_errors(void **state)
{
    (void)state;
    HANDLE port = new_port(0);
    assert_int_equal((uintptr_t)port & 3, 0);
    SetLastError(POISON);
    assert_null(CreateIoCompletionPort(INVALID_HANDLE_VALUE, port, 0, 0));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    SetLastError(POISON);
    assert_null(CreateIoCompletionPort((HANDLE)(uintptr_t)0x12344, NULL, 0,
                                       0));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);

    WSAEVENT ev = WSACreateEvent();
    SetLastError(POISON);
    assert_null(CreateIoCompletionPort((HANDLE)ev, port, 1, 0));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);

    SOCKET s = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    assert_int_not_equal(s, INVALID_SOCKET);
    SetLastError(POISON);
    assert_null(CreateIoCompletionPort((HANDLE)s, (HANDLE)ev, 1, 0));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    associate(s, port, 125);
    SetLastError(POISON);
    assert_null(CreateIoCompletionPort((HANDLE)s, port, 126, 0));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    HANDLE other = new_port(1);
    SetLastError(POISON);
    assert_null(CreateIoCompletionPort((HANDLE)s, other, 127, 0));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);

    /* ExistingCompletionPort NULL: a new port, associated. */
    SOCKET s2 = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    HANDLE own = CreateIoCompletionPort((HANDLE)s2, NULL, 9, 0);
    assert_non_null(own);
    assert_ptr_not_equal(own, port);
    assert_ptr_not_equal(own, other);

    /* Not a port. */
    DWORD n;
    ULONG_PTR k;
    LPOVERLAPPED o = (LPOVERLAPPED)(uintptr_t)POISON;
    SetLastError(POISON);
    assert_false(GetQueuedCompletionStatus((HANDLE)ev, &n, &k, &o, 0));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    assert_null(o);
    SetLastError(POISON);
    assert_false(PostQueuedCompletionStatus((HANDLE)s, 0, 0, NULL));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);

    /* CloseHandle closes ports, events and sockets, each once. */
    assert_true(CloseHandle(other));
    SetLastError(POISON);
    assert_false(CloseHandle(other));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    SetLastError(POISON);
    assert_false(PostQueuedCompletionStatus(other, 0, 0, NULL));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    assert_true(CloseHandle((HANDLE)ev));
    assert_false(WSASetEvent(ev));
    assert_true(CloseHandle((HANDLE)s2));
    assert_wsa_error(closesocket(s2), WSAENOTSOCK);
    SetLastError(POISON);
    assert_false(CloseHandle(INVALID_HANDLE_VALUE));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    assert_false(CloseHandle(NULL));
    /* The socket's port outlives its handle while the socket is open. */
    assert_true(CloseHandle(own));
    assert_true(CloseHandle((HANDLE)s));
    assert_true(CloseHandle(port));
}

/* PostQueuedCompletionStatus: the three values come back as given, first
 * in first out; a timeout is FALSE with WAIT_TIMEOUT and lpOverlapped
 * NULL ("If *lpOverlapped is NULL, the function did not dequeue a
 * completion packet"). */
static void test_post_and_timeout(void **state)
{
    (void)state;
    HANDLE port = new_port(0);
    OVERLAPPED ov[3];
    for (int i = 0; i < 3; i++)
        assert_true(PostQueuedCompletionStatus(port, 100 + i, 7 + i, &ov[i]));
    assert_true(PostQueuedCompletionStatus(port, 0, 0, NULL));
    for (int i = 0; i < 3; i++)
        expect_packet(port, 0, 7 + i, &ov[i], 100 + i, 0);
    expect_packet(port, 0, 0, NULL, 0, 0);
    expect_no_packet(port, 0);
    double t0 = ws2t_now_ms();
    expect_no_packet(port, 100);
    double dt = ws2t_now_ms() - t0;
    if (dt < 90 || dt > 3000)
        fail_msg("a 100 ms timeout took %.1f ms", dt);
    assert_true(CloseHandle(port));
}

/* Overlapped requests on an associated socket each post one packet with
 * the socket's key, the request's OVERLAPPED and its count: a request
 * that went pending, and one that completed inside the call too (Windows
 * queues a packet for it unless FILE_SKIP_COMPLETION_PORT_ON_SUCCESS).
 * The request's event is set as well. */
static void test_socket_packets(void **state)
{
    (void)state;
    SOCKET c, d;
    ws2t_tcp_pair(AF_INET, &c, &d);
    HANDLE port = new_port(0);
    associate(c, port, 11);
    associate(d, port, 22);

    WSAEVENT ev = WSACreateEvent();
    OVERLAPPED rov;
    memset(&rov, 0, sizeof(rov));
    rov.hEvent = ev;
    char in[256];
    post_recv(d, in, sizeof(in), &rov);
    expect_no_packet(port, 20);

    char out[100];
    ws2t_fill(out, sizeof(out), 5, 0);
    OVERLAPPED sov;
    memset(&sov, 0, sizeof(sov));
    WSABUF wb = {sizeof(out), out};
    DWORD sent = POISON;
    assert_int_equal(WSASend(c, &wb, 1, &sent, 0, &sov, NULL), 0);
    assert_int_equal(sent, 100);

    /* Both complete; the send's packet may come first. */
    for (int i = 0; i < 2; i++) {
        DWORD n = POISON;
        ULONG_PTR k = POISON;
        LPOVERLAPPED o = NULL;
        assert_true(GetQueuedCompletionStatus(port, &n, &k, &o, 5000));
        if (o == &sov) {
            assert_int_equal(k, 11);
        } else {
            assert_ptr_equal(o, &rov);
            assert_int_equal(k, 22);
        }
        assert_int_equal(n, 100);
    }
    ws2t_wait_event(ev, 0);
    ws2t_check(in, 100, 5, 0);
    expect_no_packet(port, 20);

    /* An immediate receive (the data is there) posts one too. */
    assert_int_equal(send(c, out, 40, 0), 40);
    ws2t_sleep_ms(50);
    WSABUF rb = {sizeof(in), in};
    DWORD got = POISON, fl = 0;
    memset(&rov, 0, sizeof(rov));
    assert_int_equal(WSARecv(d, &rb, 1, &got, &fl, &rov, NULL), 0);
    assert_int_equal(got, 40);
    expect_packet(port, 1000, 22, &rov, 40, 0);
    expect_no_packet(port, 20);

    WSACloseEvent(ev);
    closesocket(c);
    closesocket(d);
    assert_true(CloseHandle(port));
}

/* SetFileCompletionNotificationModes: with
 * FILE_SKIP_COMPLETION_PORT_ON_SUCCESS "a request [that] returns success
 * immediately" queues nothing; a pending one still does. With
 * FILE_SKIP_SET_EVENT_ON_HANDLE, "If an explicit event is provided for
 * the request, it is still signaled." Unknown bits are refused. */
static void test_notification_modes(void **state)
{
    (void)state;
    SOCKET a, b;
    ws2t_udp_pair(AF_INET, &a, &b, 1);
    HANDLE port = new_port(0);
    associate(a, port, 1);
    associate(b, port, 2);
    SetLastError(POISON);
    assert_false(SetFileCompletionNotificationModes((HANDLE)a, 0x80));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    SetLastError(POISON);
    assert_false(SetFileCompletionNotificationModes(port, 1));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    assert_true(SetFileCompletionNotificationModes(
        (HANDLE)a, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS |
                       FILE_SKIP_SET_EVENT_ON_HANDLE));
    assert_true(SetFileCompletionNotificationModes(
        (HANDLE)b, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS));
    /* Modes are never removed: 0 changes nothing. */
    assert_true(SetFileCompletionNotificationModes((HANDLE)a, 0));

    WSAEVENT ev = WSACreateEvent();
    OVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    ov.hEvent = ev;
    char out[32] = "skip";
    WSABUF wb = {sizeof(out), out};
    DWORD sent = POISON;
    assert_int_equal(WSASend(a, &wb, 1, &sent, 0, &ov, NULL), 0);
    assert_int_equal(sent, 32);
    ws2t_wait_event(ev, 0);
    assert_true(HasOverlappedIoCompleted(&ov));
    expect_no_packet(port, 50);

    /* The datagram is queued: an immediate receive, no packet either. */
    char in[64];
    WSABUF rb = {sizeof(in), in};
    DWORD got = POISON, fl = 0;
    OVERLAPPED rov;
    memset(&rov, 0, sizeof(rov));
    assert_int_equal(WSARecv(b, &rb, 1, &got, &fl, &rov, NULL), 0);
    assert_int_equal(got, 32);
    expect_no_packet(port, 50);

    /* A pending request still completes to the port. */
    memset(&rov, 0, sizeof(rov));
    post_recv(b, in, sizeof(in), &rov);
    assert_int_equal(send(a, out, 9, 0), 9);
    expect_packet(port, 5000, 2, &rov, 9, 0);

    WSACloseEvent(ev);
    closesocket(a);
    closesocket(b);
    assert_true(CloseHandle(port));
}

/* GetQueuedCompletionStatus: "a valid event handle whose low-order bit is
 * set keeps the I/O completion from being queued to a completion port".
 * The event itself is set. */
static void test_event_low_bit(void **state)
{
    (void)state;
    SOCKET a, b;
    ws2t_udp_pair(AF_INET, &a, &b, 1);
    HANDLE port = new_port(0);
    associate(a, port, 1);
    associate(b, port, 2);
    WSAEVENT ev = WSACreateEvent();
    OVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    ov.hEvent = (HANDLE)((uintptr_t)ev | 1);
    char in[64];
    post_recv(b, in, sizeof(in), &ov);
    assert_int_equal(send(a, "low bit", 7, 0), 7);
    ws2t_wait_event(ev, 5000);
    assert_true(HasOverlappedIoCompleted(&ov));
    assert_int_equal(ov.InternalHigh, 7);
    expect_no_packet(port, 50);

    /* Immediate completion: the same. */
    WSAResetEvent(ev);
    OVERLAPPED sov;
    memset(&sov, 0, sizeof(sov));
    sov.hEvent = (HANDLE)((uintptr_t)ev | 1);
    WSABUF wb = {3, "abc"};
    DWORD sent;
    assert_int_equal(WSASend(a, &wb, 1, &sent, 0, &sov, NULL), 0);
    ws2t_wait_event(ev, 0);
    expect_no_packet(port, 50);

    WSACloseEvent(ev);
    closesocket(a);
    closesocket(b);
    assert_true(CloseHandle(port));
}

/* Wine's test_completion_port: requests cancelled by closesocket reach
 * the port after the socket is gone: FALSE, lpOverlapped set, the key,
 * 0 bytes, ERROR_OPERATION_ABORTED; each exactly once. */
static void test_close_cancels(void **state)
{
    (void)state;
    enum { N = 4 };
    SOCKET a, b;
    ws2t_udp_pair(AF_INET, &a, &b, 1);
    HANDLE port = new_port(0);
    associate(b, port, 125);
    OVERLAPPED ov[N];
    char in[N][16];
    for (int i = 0; i < N; i++) {
        memset(&ov[i], 0, sizeof(ov[i]));
        post_recv(b, in[i], sizeof(in[i]), &ov[i]);
    }
    assert_wsa_ok(closesocket(b));
    int seen[N] = {0};
    for (int i = 0; i < N; i++) {
        DWORD n = POISON;
        ULONG_PTR k = POISON;
        LPOVERLAPPED o = NULL;
        SetLastError(POISON);
        assert_false(GetQueuedCompletionStatus(port, &n, &k, &o, 5000));
        assert_int_equal(GetLastError(), ERROR_OPERATION_ABORTED);
        assert_int_equal(k, 125);
        assert_int_equal(n, 0);
        assert_true(o >= &ov[0] && o < &ov[N]);
        seen[o - ov]++;
        assert_int_equal(o->Internal, WSA_OPERATION_ABORTED);
    }
    for (int i = 0; i < N; i++)
        assert_int_equal(seen[i], 1);
    expect_no_packet(port, 50);
    closesocket(a);
    assert_true(CloseHandle(port));
}

/* A request that fails: a receive on a connection the peer reset. Windows
 * reports STATUS_CONNECTION_RESET, which GetQueuedCompletionStatus gives
 * as ERROR_NETNAME_DELETED (Wine's test_completion_port accepts it or
 * ERROR_CONNECTION_ABORTED); WSAGetOverlappedResult says WSAECONNRESET. */
static void test_failed_request(void **state)
{
    (void)state;
    SOCKET c, d;
    ws2t_tcp_pair(AF_INET, &c, &d);
    HANDLE port = new_port(0);
    associate(d, port, 3);
    OVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    char in[16];
    post_recv(d, in, sizeof(in), &ov);
    struct linger lg = {1, 0};
    assert_wsa_ok(setsockopt(c, SOL_SOCKET, SO_LINGER, (char *)&lg,
                             sizeof(lg)));
    assert_wsa_ok(closesocket(c));
    expect_packet(port, 5000, 3, &ov, 0, ERROR_NETNAME_DELETED);
    DWORD n, fl;
    assert_false(WSAGetOverlappedResult(d, &ov, &n, FALSE, &fl));
    assert_int_equal(WSAGetLastError(), WSAECONNRESET);
    closesocket(d);
    assert_true(CloseHandle(port));
}

/* GetQueuedCompletionStatusEx removes up to ulCount packets in one call,
 * in order; each entry carries its own status (a failed request does not
 * fail the call). */
static void test_ex_batch(void **state)
{
    (void)state;
    enum { N = 300 };
    HANDLE port = new_port(0);
    static OVERLAPPED ov[N];
    for (int i = 0; i < N; i++)
        assert_true(PostQueuedCompletionStatus(port, i, 1000 + i, &ov[i]));
    OVERLAPPED_ENTRY e[N + 10];
    ULONG got = POISON;
    SetLastError(POISON);
    assert_false(GetQueuedCompletionStatusEx(port, e, 0, &got, 0, FALSE));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    int next = 0;
    assert_true(GetQueuedCompletionStatusEx(port, e, 100, &got, 0, FALSE));
    assert_int_equal(got, 100);
    for (ULONG i = 0; i < got; i++, next++) {
        assert_ptr_equal(e[i].lpOverlapped, &ov[next]);
        assert_int_equal(e[i].lpCompletionKey, 1000 + next);
        assert_int_equal(e[i].dwNumberOfBytesTransferred, next);
        assert_int_equal(e[i].Internal, 0);
    }
    while (next < N) {
        got = POISON;
        assert_true(
            GetQueuedCompletionStatusEx(port, e, N + 10, &got, 0, FALSE));
        assert_true(got > 0 && got <= (ULONG)(N - next));
        for (ULONG i = 0; i < got; i++, next++)
            assert_ptr_equal(e[i].lpOverlapped, &ov[next]);
    }
    got = POISON;
    SetLastError(POISON);
    assert_false(GetQueuedCompletionStatusEx(port, e, 10, &got, 30, FALSE));
    assert_int_equal(GetLastError(), WAIT_TIMEOUT);
    assert_int_equal(got, 0);

    /* A cancelled request inside a batch. */
    SOCKET a, b;
    ws2t_udp_pair(AF_INET, &a, &b, 1);
    associate(b, port, 77);
    OVERLAPPED rov;
    memset(&rov, 0, sizeof(rov));
    char in[8];
    post_recv(b, in, sizeof(in), &rov);
    assert_true(PostQueuedCompletionStatus(port, 5, 6, &ov[0]));
    assert_true(CancelIoEx((HANDLE)b, &rov));
    ULONG total = 0;
    int saw = 0;
    double t0 = ws2t_now_ms();
    while (total < 2 && ws2t_now_ms() - t0 < 5000) {
        assert_true(
            GetQueuedCompletionStatusEx(port, e, 10, &got, 5000, FALSE));
        for (ULONG i = 0; i < got; i++)
            if (e[i].lpOverlapped == &rov) {
                assert_int_equal(e[i].lpCompletionKey, 77);
                assert_int_equal(e[i].Internal, WSA_OPERATION_ABORTED);
                saw++;
            }
        total += got;
    }
    assert_int_equal(total, 2);
    assert_int_equal(saw, 1);
    closesocket(a);
    closesocket(b);
    assert_true(CloseHandle(port));
}

static _Atomic int apc_runs;
static void CALLBACK count_apc(DWORD_PTR ctx)
{
    (void)ctx;
    atomic_fetch_add(&apc_runs, 1);
}

/* fAlertable: the thread's queued APCs run and the call returns FALSE
 * with WAIT_IO_COMPLETION; a waiting packet is returned first; a call
 * that is not alertable leaves the APCs queued. */
static void test_ex_alertable(void **state)
{
    (void)state;
    HANDLE port = new_port(0);
    OVERLAPPED_ENTRY e[4];
    ULONG got;
    atomic_store(&apc_runs, 0);
    assert_int_equal(ws2__apc_queue(ws2__thread_self(), count_apc, 0), 0);
    SetLastError(POISON);
    assert_false(GetQueuedCompletionStatusEx(port, e, 4, &got, 30, FALSE));
    assert_int_equal(GetLastError(), WAIT_TIMEOUT);
    assert_int_equal(atomic_load(&apc_runs), 0);
    assert_true(PostQueuedCompletionStatus(port, 1, 2, NULL));
    assert_true(GetQueuedCompletionStatusEx(port, e, 4, &got, 1000, TRUE));
    assert_int_equal(got, 1);
    assert_int_equal(atomic_load(&apc_runs), 0);
    double t0 = ws2t_now_ms();
    SetLastError(POISON);
    assert_false(GetQueuedCompletionStatusEx(port, e, 4, &got, 5000, TRUE));
    assert_int_equal(GetLastError(), WAIT_IO_COMPLETION);
    assert_int_equal(got, 0);
    assert_int_equal(atomic_load(&apc_runs), 1);
    assert_true(ws2t_now_ms() - t0 < 2000);
    assert_true(CloseHandle(port));
}

/* ---- threads ---- */

#define STOP_KEY (~(ULONG_PTR)0) /* no packet index maps to it */

struct consumer {
    HANDLE port;
    _Atomic int *seen; /* per packet index */
    int count, errors;
    pthread_t tid;
};

static void *consumer_main(void *arg)
{
    struct consumer *c = arg;
    for (;;) {
        DWORD n;
        ULONG_PTR k;
        LPOVERLAPPED o;
        if (!GetQueuedCompletionStatus(c->port, &n, &k, &o, 10000)) {
            c->errors++;
            break;
        }
        if (k == STOP_KEY)
            break;
        uintptr_t i = (uintptr_t)o - 1;
        if (i != n || k != n * 3u)
            c->errors++;
        else
            atomic_fetch_add(&c->seen[i], 1);
        c->count++;
    }
    return NULL;
}

/* Four threads on one port, 10,000 packets: each is dequeued exactly once
 * (the sum of the threads' counts, and every packet seen once). */
static void test_threads_10000(void **state)
{
    (void)state;
    enum { T = 4, N = 10000 };
    HANDLE port = new_port(T);
    _Atomic int *seen = calloc(N, sizeof(*seen));
    assert_non_null(seen);
    struct consumer c[T];
    for (int i = 0; i < T; i++) {
        c[i] = (struct consumer){port, seen, 0, 0, 0};
        ws2t_thread_start(&c[i].tid, consumer_main, &c[i]);
    }
    for (uintptr_t i = 0; i < N; i++)
        assert_true(PostQueuedCompletionStatus(port, (DWORD)i,
                                               (ULONG_PTR)i * 3,
                                               (LPOVERLAPPED)(i + 1)));
    for (int i = 0; i < T; i++)
        assert_true(PostQueuedCompletionStatus(port, 0, STOP_KEY, NULL));
    int total = 0;
    for (int i = 0; i < T; i++) {
        ws2t_thread_join(c[i].tid, 30);
        assert_int_equal(c[i].errors, 0);
        total += c[i].count;
    }
    assert_int_equal(total, N);
    for (int i = 0; i < N; i++)
        if (atomic_load(&seen[i]) != 1)
            fail_msg("packet %d dequeued %d times", i, atomic_load(&seen[i]));
    expect_no_packet(port, 0);
    free(seen);
    assert_true(CloseHandle(port));
}

struct waiter {
    HANDLE port;
    int id;
    _Atomic int done;
    BOOL ret;
    DWORD err;
    ULONG_PTR key;
    LPOVERLAPPED ov;
    double ms;
    _Atomic int release; /* tells a holding thread to go on */
    pthread_t tid;
};

static void *waiter_main(void *arg)
{
    struct waiter *w = arg;
    DWORD n;
    double t0 = ws2t_now_ms();
    w->ov = (LPOVERLAPPED)(uintptr_t)POISON;
    w->ret = GetQueuedCompletionStatus(w->port, &n, &w->key, &w->ov, 10000);
    w->err = GetLastError();
    w->ms = ws2t_now_ms() - t0;
    atomic_store(&w->done, 1);
    return NULL;
}

/* Holds its packet (stays a running thread) until released, then exits
 * without asking again. */
static void *holder_main(void *arg)
{
    struct waiter *w = arg;
    DWORD n;
    w->ret = GetQueuedCompletionStatus(w->port, &n, &w->key, &w->ov, 10000);
    atomic_store(&w->done, 1);
    double t0 = ws2t_now_ms();
    while (!atomic_load(&w->release) && ws2t_now_ms() - t0 < 10000)
        ws2t_sleep_ms(5);
    return NULL;
}

static int wait_flag(_Atomic int *f, unsigned ms)
{
    double t0 = ws2t_now_ms();
    while (!atomic_load(f) && ws2t_now_ms() - t0 < ms)
        ws2t_sleep_ms(2);
    return atomic_load(f);
}

/* "I/O Completion Ports": threads that block on a port are released in
 * last-in-first-out order. */
static void test_lifo_wakeup(void **state)
{
    (void)state;
    HANDLE port = new_port(0);
    struct waiter w[2] = {{.port = port, .id = 0}, {.port = port, .id = 1}};
    ws2t_thread_start(&w[0].tid, waiter_main, &w[0]);
    ws2t_sleep_ms(150);
    ws2t_thread_start(&w[1].tid, waiter_main, &w[1]);
    ws2t_sleep_ms(150);
    assert_true(PostQueuedCompletionStatus(port, 0, 1, NULL));
    assert_true(wait_flag(&w[1].done, 5000));
    ws2t_sleep_ms(50);
    assert_false(atomic_load(&w[0].done));
    assert_true(w[1].ret);
    assert_int_equal(w[1].key, 1);
    assert_true(PostQueuedCompletionStatus(port, 0, 2, NULL));
    ws2t_thread_join(w[0].tid, 30);
    ws2t_thread_join(w[1].tid, 30);
    assert_true(w[0].ret);
    assert_int_equal(w[0].key, 2);
    assert_true(CloseHandle(port));
}

/* NumberOfConcurrentThreads: with 1, while a thread that dequeued is
 * still running (has not asked again), a queued packet waits; it goes out
 * when that thread ends. */
static void test_concurrency_limit(void **state)
{
    (void)state;
    HANDLE port = new_port(1);
    struct waiter h = {.port = port};
    ws2t_thread_start(&h.tid, holder_main, &h);
    ws2t_sleep_ms(50);
    assert_true(PostQueuedCompletionStatus(port, 0, 1, NULL));
    assert_true(wait_flag(&h.done, 5000));
    assert_true(h.ret);
    assert_true(PostQueuedCompletionStatus(port, 0, 2, NULL));
    expect_no_packet(port, 100); /* one thread runs already */
    struct waiter w = {.port = port};
    ws2t_thread_start(&w.tid, waiter_main, &w);
    ws2t_sleep_ms(100);
    assert_false(atomic_load(&w.done));
    atomic_store(&h.release, 1);
    ws2t_thread_join(h.tid, 30); /* its exit ends its turn: the packet goes to w */
    ws2t_thread_join(w.tid, 30);
    assert_true(w.ret);
    assert_int_equal(w.key, 2);
    assert_true(CloseHandle(port));
}

/* "If a call to GetQueuedCompletionStatus fails because the completion
 * port handle associated with it is closed while the call is outstanding,
 * the function returns FALSE, *lpOverlapped will be NULL, and
 * GetLastError will return ERROR_ABANDONED_WAIT_0." */
static void test_close_port_wakes_waiter(void **state)
{
    (void)state;
    HANDLE port = new_port(0);
    struct waiter w = {.port = port};
    ws2t_thread_start(&w.tid, waiter_main, &w);
    ws2t_sleep_ms(100);
    assert_true(CloseHandle(port));
    ws2t_thread_join(w.tid, 30);
    assert_false(w.ret);
    assert_int_equal(w.err, ERROR_ABANDONED_WAIT_0);
    assert_null(w.ov);
    assert_true(w.ms < 5000);
}

static void CALLBACK never(DWORD e, DWORD n, LPWSAOVERLAPPED ov, DWORD f)
{
    (void)e, (void)n, (void)ov, (void)f;
    fail_msg("a refused request's routine ran");
}

/* A completion routine on a socket bound to a port is refused (NT:
 * STATUS_INVALID_PARAMETER for an APC routine on a file with a completion
 * port, WSAEINVAL from Winsock); nothing completes anywhere. */
static void test_routine_refused(void **state)
{
    (void)state;
    SOCKET a, b;
    ws2t_udp_pair(AF_INET, &a, &b, 1);
    HANDLE port = new_port(0);
    associate(a, port, 1);
    associate(b, port, 2);
    OVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    char in[8];
    WSABUF wb = {sizeof(in), in};
    DWORD got, fl = 0;
    assert_wsa_error(WSARecv(b, &wb, 1, &got, &fl, &ov, never), WSAEINVAL);
    assert_wsa_error(WSASend(a, &wb, 1, &got, 0, &ov, never), WSAEINVAL);
    assert_int_equal(SleepEx(50, TRUE), 0);
    expect_no_packet(port, 20);
    closesocket(a);
    closesocket(b);
    assert_true(CloseHandle(port));
}

int main(void)
{
    if (ws2t_engine_or_skip())
        return 77;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_errors),
        cmocka_unit_test(test_post_and_timeout),
        cmocka_unit_test(test_socket_packets),
        cmocka_unit_test(test_notification_modes),
        cmocka_unit_test(test_event_low_bit),
        cmocka_unit_test(test_close_cancels),
        cmocka_unit_test(test_failed_request),
        cmocka_unit_test(test_ex_batch),
        cmocka_unit_test(test_ex_alertable),
        cmocka_unit_test(test_threads_10000),
        cmocka_unit_test(test_lifo_wakeup),
        cmocka_unit_test(test_concurrency_limit),
        cmocka_unit_test(test_close_port_wakes_waiter),
        cmocka_unit_test(test_routine_refused),
    };
    return cmocka_run_group_tests(tests, ws2t_startup, ws2t_cleanup);
}
