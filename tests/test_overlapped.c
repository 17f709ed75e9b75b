/*
 * test_overlapped.c - overlapped I/O: the overlapped paragraphs of both
 * founding documents (WSPSendTo, Compact 2013; WSASend, CE 5.0) and the
 * overlapped issue's transfers, on real loopback sockets. ctest runs it on
 * both engines (io_uring, and WS2POSIX_ENGINE=epoll).
 */
#define _POSIX_C_SOURCE 200809L
#include "util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <windows.h>

#include "engine/engine.h"

static void expect_unsignalled(WSAEVENT ev)
{
    assert_int_equal(WSAWaitForMultipleEvents(1, &ev, TRUE, 0, FALSE),
                     WSA_WAIT_TIMEOUT);
}

/* "If no error occurs and the send operation has completed immediately,
 * this function returns zero. The overlapped structures are updated ...,
 * and the associated event is signalled." */
static void test_immediate_completion(void **state)
{
    (void)state;
    SOCKET a, b;
    ws2t_udp_pair(AF_INET, &a, &b, 1);
    WSAEVENT ev = WSACreateEvent();
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    ov.hEvent = ev;
    char out[64];
    ws2t_fill(out, sizeof(out), 31, 0);
    WSABUF wb[2] = {{24, out}, {40, out + 24}};
    DWORD sent = POISON;
    assert_int_equal(WSASend(a, wb, 2, &sent, 0, &ov, NULL), 0);
    assert_int_equal(sent, 64);
    ws2t_wait_event(ev, 0);
    assert_true(HasOverlappedIoCompleted(&ov));
    DWORD n = POISON, fl = POISON;
    assert_true(WSAGetOverlappedResult(a, &ov, &n, FALSE, &fl));
    assert_int_equal(n, 64);
    assert_int_equal(fl, 0);
    char in[80];
    assert_int_equal(recv(b, in, sizeof(in), 0), 64);
    ws2t_check(in, 64, 31, 0);
    WSACloseEvent(ev);
    closesocket(a);
    closesocket(b);
}

/* "The error code WSA_IO_PENDING indicates that the overlapped operation
 * has been successfully initiated and that completion will be indicated
 * at a later time"; "In this case, lpNumberOfBytesSent is not updated";
 * WSAGetOverlappedResult: WSA_IO_INCOMPLETE while it is pending, then the
 * count, flags and lpFrom. */
static void test_pending_receive(void **state)
{
    (void)state;
    static const int fams[] = {AF_INET, AF_INET6};
    for (int f = 0; f < 2; f++) {
        SOCKET a, b;
        ws2t_udp_pair(fams[f], &a, &b, 1);
        WSAEVENT ev = WSACreateEvent();
        WSASetEvent(ev); /* a pending request clears it (Windows' rule) */
        WSAOVERLAPPED ov;
        memset(&ov, 0, sizeof(ov));
        ov.hEvent = ev;
        char in[128];
        WSABUF wb[2] = {{50, in}, {78, in + 50}};
        DWORD got = POISON, fl = 0;
        SOCKADDR_STORAGE from;
        int fromlen = sizeof(from);
        assert_wsa_error(WSARecvFrom(b, wb, 2, &got, &fl,
                                     (struct sockaddr *)&from, &fromlen, &ov,
                                     NULL),
                         WSA_IO_PENDING);
        assert_int_equal(got, POISON);
        wb[0].len = 0; /* the array is transient */
        assert_false(HasOverlappedIoCompleted(&ov));
        expect_unsignalled(ev);
        DWORD n = POISON, rfl = POISON;
        assert_false(WSAGetOverlappedResult(b, &ov, &n, FALSE, &rfl));
        assert_int_equal(WSAGetLastError(), WSA_IO_INCOMPLETE);
        expect_unsignalled(ev);
        char out[100];
        ws2t_fill(out, sizeof(out), 32, 0);
        assert_int_equal(send(a, out, 100, 0), 100);
        ws2t_wait_event(ev, 5000);
        assert_true(WSAGetOverlappedResult(b, &ov, &n, TRUE, &rfl));
        assert_int_equal(n, 100);
        assert_int_equal(rfl, 0);
        ws2t_check(in, 100, 32, 0);
        SOCKADDR_STORAGE self;
        int selflen;
        ws2t_name(a, &self, &selflen);
        assert_int_equal(fromlen, selflen);
        assert_memory_equal(&from, &self, (size_t)selflen);
        WSACloseEvent(ev);
        closesocket(a);
        closesocket(b);
    }
}

/* A pending stream receive completes with what arrived, scattered over
 * its buffers in order; after the peer's graceful close, with 0 bytes. */
static void test_pending_stream_receive(void **state)
{
    (void)state;
    SOCKET c, d;
    ws2t_tcp_pair(AF_INET6, &c, &d);
    WSAEVENT ev = WSACreateEvent();
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    ov.hEvent = ev;
    char in[300];
    WSABUF wb[3] = {{100, in}, {100, in + 100}, {100, in + 200}};
    DWORD got = POISON, fl = 0;
    assert_wsa_error(WSARecv(d, wb, 3, &got, &fl, &ov, NULL), WSA_IO_PENDING);
    assert_int_equal(got, POISON);
    char out[250];
    ws2t_fill(out, sizeof(out), 36, 0);
    assert_int_equal(send(c, out, 250, 0), 250);
    ws2t_wait_event(ev, 5000);
    DWORD n, rfl;
    assert_true(WSAGetOverlappedResult(d, &ov, &n, FALSE, &rfl));
    assert_true(n > 0 && n <= 250);
    ws2t_check(in, n, 36, 0);
    if (n < 250)
        ws2t_recv_all(d, in + n, 250 - n);
    ws2t_check(in, 250, 36, 0);
    memset(&ov, 0, sizeof(ov));
    ov.hEvent = ev;
    assert_wsa_error(WSARecv(d, wb, 3, &got, &fl, &ov, NULL), WSA_IO_PENDING);
    assert_wsa_ok(shutdown(c, SD_SEND));
    ws2t_wait_event(ev, 5000);
    assert_true(WSAGetOverlappedResult(d, &ov, &n, TRUE, &rfl));
    assert_int_equal(n, 0);
    WSACloseEvent(ev);
    closesocket(c);
    closesocket(d);
}

/* A truncated datagram completes with WSAEMSGSIZE and MSG_PARTIAL. */
static void test_pending_truncated(void **state)
{
    (void)state;
    SOCKET a, b;
    ws2t_udp_pair(AF_INET, &a, &b, 1);
    WSAEVENT ev = WSACreateEvent();
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    ov.hEvent = ev;
    char in[10];
    WSABUF wb = {sizeof(in), in};
    DWORD got = POISON, fl = 0;
    assert_wsa_error(WSARecv(b, &wb, 1, &got, &fl, &ov, NULL), WSA_IO_PENDING);
    char out[30];
    ws2t_fill(out, sizeof(out), 33, 0);
    assert_int_equal(send(a, out, 30, 0), 30);
    ws2t_wait_event(ev, 5000);
    DWORD n, rfl;
    assert_false(WSAGetOverlappedResult(b, &ov, &n, TRUE, &rfl));
    assert_int_equal(WSAGetLastError(), WSAEMSGSIZE);
    assert_int_equal(n, 10);
    assert_int_equal(rfl, MSG_PARTIAL);
    ws2t_check(in, 10, 33, 0);
    WSACloseEvent(ev);
    closesocket(a);
    closesocket(b);
}

struct drain {
    SOCKET s;
    char *buf;
    size_t len, got;
    int delay_ms;
};

static void *drain_main(void *arg)
{
    struct drain *d = arg;
    ws2t_sleep_ms(d->delay_ms);
    while (d->got < d->len) {
        size_t want = d->len - d->got < 65536 ? d->len - d->got : 65536;
        int n = recv(d->s, d->buf + d->got, (int)want, 0);
        if (n <= 0)
            break;
        d->got += (size_t)n;
    }
    return NULL;
}

/* A stream send that cannot complete now goes pending, and completes
 * "when the supplied buffer(s) have been consumed by the transport": all
 * of them; "the service provider guarantees ... that posted buffers are
 * sent in the same order they are supplied". */
static void test_pending_stream_sends_in_order(void **state)
{
    (void)state;
    enum { N = 24, CHUNK = 256 * 1024 };
    SOCKET c, d;
    ws2t_tcp_pair(AF_INET, &c, &d);
    /* Small fixed buffers (no autotuning): the sends must go pending. */
    int small = 65536;
    assert_wsa_ok(setsockopt(c, SOL_SOCKET, SO_SNDBUF, (char *)&small,
                             sizeof(small)));
    assert_wsa_ok(setsockopt(d, SOL_SOCKET, SO_RCVBUF, (char *)&small,
                             sizeof(small)));
    size_t total = (size_t)N * CHUNK;
    char *out = malloc(total), *in = malloc(total);
    ws2t_fill(out, total, 34, 0);
    WSAEVENT ev[N];
    WSAOVERLAPPED ov[N];
    int pending = 0;
    for (int i = 0; i < N; i++) {
        ev[i] = WSACreateEvent();
        memset(&ov[i], 0, sizeof(ov[i]));
        ov[i].hEvent = ev[i];
        /* Two buffers a request, on the stack: captured by the call. */
        WSABUF wb[2] = {{CHUNK / 2, out + (size_t)i * CHUNK},
                        {CHUNK / 2, out + (size_t)i * CHUNK + CHUNK / 2}};
        DWORD sent = POISON;
        int r = WSASend(c, wb, 2, &sent, 0, &ov[i], NULL);
        if (r == SOCKET_ERROR) {
            assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
            assert_int_equal(sent, POISON);
            pending++;
        } else {
            assert_int_equal(sent, CHUNK);
        }
    }
    assert_true(pending > 0);
    struct drain dr = {d, in, total, 0, 100};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, drain_main, &dr), 0);
    for (int i = 0; i < N; i++) {
        ws2t_wait_event(ev[i], 20000);
        DWORD n, fl;
        assert_true(WSAGetOverlappedResult(c, &ov[i], &n, FALSE, &fl));
        assert_int_equal(n, CHUNK);
        WSACloseEvent(ev[i]);
    }
    pthread_join(t, NULL);
    assert_int_equal(dr.got, total);
    ws2t_check(in, total, 34, 0);
    free(out);
    free(in);
    closesocket(c);
    closesocket(d);
}

/* ---- completion routines ---- */

static _Thread_local int routine_depth;
static int routine_calls, routine_max_depth;
static DWORD routine_err, routine_bytes, routine_flags;
static LPWSAOVERLAPPED routine_ov;
static pthread_t routine_thread;

static void CALLBACK routine(DWORD err, DWORD bytes, LPWSAOVERLAPPED ov,
                             DWORD flags)
{
    routine_depth++;
    if (routine_depth > routine_max_depth)
        routine_max_depth = routine_depth;
    routine_calls++;
    routine_err = err;
    routine_bytes = bytes;
    routine_flags = flags;
    routine_ov = ov;
    routine_thread = pthread_self();
    /* "for a given socket, I/O completion routines cannot be nested" */
    SleepEx(0, TRUE);
    routine_depth--;
}

static void reset_routine(void)
{
    routine_calls = 0;
    routine_max_depth = 0;
    routine_err = routine_bytes = routine_flags = POISON;
    routine_ov = NULL;
}

/* A datagram send that goes through the engine (more buffers than Linux
 * takes in one call, so it is gathered first) and meets the
 * port-unreachable an earlier datagram earned is made again, not failed:
 * Windows never fails a send for it, it reports it to a later receive
 * (WSAECONNRESET, SIO_UDP_CONNRESET being on). The datagram arrives whole. */
static void test_engine_send_after_unreachable(void **state)
{
    (void)state;
    SOCKET a, b;
    ws2t_udp_pair(AF_INET, &a, &b, 0);
    SOCKADDR_STORAGE to, gone;
    int tolen, gonelen;
    ws2t_name(b, &to, &tolen);
    SOCKET g = ws2t_bound(AF_INET, SOCK_DGRAM);
    ws2t_name(g, &gone, &gonelen);
    closesocket(g); /* nobody listens there now */
    assert_int_equal(sendto(a, "x", 1, 0, (struct sockaddr *)&gone, gonelen),
                     1);
    ws2t_sleep_ms(50); /* the port-unreachable comes back */

    enum { N = 1100 };
    static char data[N];
    static WSABUF bufs[N];
    ws2t_fill(data, sizeof(data), 23, 0);
    for (int i = 0; i < N; i++)
        bufs[i] = (WSABUF){1, data + i};
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    ov.hEvent = WSACreateEvent();
    int r = WSASendTo(a, bufs, N, NULL, 0, (struct sockaddr *)&to, tolen, &ov,
                      NULL);
    assert_true(r == 0 || WSAGetLastError() == WSA_IO_PENDING);
    ws2t_wait_event(ov.hEvent, 5000);
    DWORD n = 0, fl = 0;
    assert_true(WSAGetOverlappedResult(a, &ov, &n, FALSE, &fl));
    assert_int_equal(n, N);
    char got[N + 1];
    ws2t_rcvtimeo(b, 5000);
    assert_int_equal(recv(b, got, sizeof(got), 0), N);
    ws2t_check(got, N, 23, 0);
    ws2t_rcvtimeo(a, 1000);
    assert_wsa_error(recv(a, got, sizeof(got), 0), WSAECONNRESET);
    WSACloseEvent(ov.hEvent);
    closesocket(a);
    closesocket(b);
}

/* A routine runs only in the thread that started its request: when that
 * thread exits before an alertable wait, the queued routine is dropped, as
 * on Windows, for a receive completed on the engine's side and for one
 * completed inside its call (what the APC held is released: LeakSanitizer
 * and valgrind check it here, test_alloc counts it). */
static void test_routine_dropped_at_thread_exit(void **state)
{
    (void)state;
    SOCKET a, b;
    ws2t_udp_pair(AF_INET, &a, &b, 0);
    SOCKADDR_STORAGE to;
    int tolen;
    ws2t_name(b, &to, &tolen);
    reset_routine();
    ws2t_exit_with_routine_queued(b, a, &to, tolen, 0, routine);
    ws2t_exit_with_routine_queued(b, a, &to, tolen, 1, routine);
    assert_int_equal(SleepEx(0, TRUE), 0);
    assert_int_equal(routine_calls, 0);
    closesocket(a);
    closesocket(b);
}

/* "It is the service provider's responsibility to arrange for invocation
 * of the client specified-completion routine when the overlapped operation
 * completes ... in the context of the same thread that initiated the
 * overlapped operation"; it runs in an alertable wait, which then returns
 * WSA_WAIT_IO_COMPLETION; hEvent "can be used ... to pass context
 * information to the completion routine"; "dwFlags value will be zero". */
static void test_routine_runs_in_alertable_wait(void **state)
{
    (void)state;
    SOCKET a, b;
    ws2t_udp_pair(AF_INET, &a, &b, 1);
    reset_routine();
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    ov.hEvent = (WSAEVENT)(uintptr_t)0x1234; /* the caller's context */
    char in[32];
    WSABUF wb = {sizeof(in), in};
    DWORD got = POISON, fl = 0;
    assert_wsa_error(WSARecv(b, &wb, 1, &got, &fl, &ov, routine),
                     WSA_IO_PENDING);
    assert_int_equal(send(a, "routine", 7, 0), 7);
    /* Completion happens, but the routine waits for an alertable wait. */
    double t0 = (ws2t_now_ms() / 1e3);
    while (!HasOverlappedIoCompleted(&ov) && (ws2t_now_ms() / 1e3) - t0 < 5)
        ws2t_sleep_ms(1);
    assert_true(HasOverlappedIoCompleted(&ov));
    ws2t_sleep_ms(20);
    assert_int_equal(routine_calls, 0);
    assert_int_equal(SleepEx(5000, TRUE), WAIT_IO_COMPLETION);
    assert_int_equal(routine_calls, 1);
    assert_int_equal(routine_err, 0);
    assert_int_equal(routine_bytes, 7);
    assert_int_equal(routine_flags, 0);
    assert_ptr_equal(routine_ov, &ov);
    assert_true(pthread_equal(routine_thread, pthread_self()));
    assert_ptr_equal(ov.hEvent, (WSAEVENT)(uintptr_t)0x1234);
    assert_memory_equal(in, "routine", 7);
    closesocket(a);
    closesocket(b);
}

/* "Note that in this case the completion routine, if specified, will have
 * already been queued": an immediate completion returns 0 and the routine
 * runs at the next alertable wait (WSAWaitForMultipleEvents too). */
static void test_routine_after_immediate(void **state)
{
    (void)state;
    SOCKET a, b;
    ws2t_udp_pair(AF_INET, &a, &b, 1);
    reset_routine();
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    WSABUF wb = {3, (CHAR *)"now"};
    DWORD sent = POISON;
    assert_int_equal(WSASend(a, &wb, 1, &sent, 0, &ov, routine), 0);
    assert_int_equal(sent, 3);
    assert_int_equal(routine_calls, 0);
    WSAEVENT ev = WSACreateEvent();
    assert_int_equal(WSAWaitForMultipleEvents(1, &ev, FALSE, 5000, TRUE),
                     WSA_WAIT_IO_COMPLETION);
    assert_int_equal(routine_calls, 1);
    assert_int_equal(routine_bytes, 3);
    WSACloseEvent(ev);
    closesocket(a);
    closesocket(b);
}

/* "Providers must allow this function to be called from within the
 * completion routine of a previous WSPRecv, WSPRecvFrom, WSPSend or
 * WSPSendTo function"; routines are never nested for one socket. */
struct chain {
    SOCKET s;
    WSAOVERLAPPED ov;
    char buf[16];
    WSABUF wb;
    int left, got;
    int depth, max_depth;
};
static struct chain chain;

static void CALLBACK chain_routine(DWORD err, DWORD bytes, LPWSAOVERLAPPED ov,
                                   DWORD flags)
{
    (void)flags, (void)ov;
    chain.depth++;
    if (chain.depth > chain.max_depth)
        chain.max_depth = chain.depth;
    if (err == 0 && bytes == 1)
        chain.got++;
    if (--chain.left > 0) {
        memset(&chain.ov, 0, sizeof(chain.ov));
        DWORD got, fl = 0;
        int r = WSARecv(chain.s, &chain.wb, 1, &got, &fl, &chain.ov,
                        chain_routine);
        if (r == SOCKET_ERROR && WSAGetLastError() != WSA_IO_PENDING)
            chain.left = -1000;
    }
    SleepEx(0, TRUE); /* must not run the next routine in here */
    chain.depth--;
}

static void test_routine_starts_io(void **state)
{
    (void)state;
    SOCKET a, b;
    ws2t_udp_pair(AF_INET, &a, &b, 1);
    memset(&chain, 0, sizeof(chain));
    chain.s = b;
    chain.left = 10;
    chain.wb.len = sizeof(chain.buf);
    chain.wb.buf = chain.buf;
    for (int i = 0; i < 10; i++)
        assert_int_equal(send(a, "x", 1, 0), 1);
    DWORD got, fl = 0;
    int r = WSARecv(b, &chain.wb, 1, &got, &fl, &chain.ov, chain_routine);
    assert_true(r == 0 || WSAGetLastError() == WSA_IO_PENDING);
    double t0 = (ws2t_now_ms() / 1e3);
    while (chain.got < 10 && (ws2t_now_ms() / 1e3) - t0 < 10)
        SleepEx(100, TRUE);
    assert_int_equal(chain.got, 10);
    assert_int_equal(chain.max_depth, 1);
    closesocket(a);
    closesocket(b);
}

/* ---- completion without the caller, cancellation ---- */

struct late_send {
    SOCKET s;
    int delay_ms;
};

static void *send_late(void *arg)
{
    struct late_send *ls = arg;
    ws2t_sleep_ms(ls->delay_ms);
    send(ls->s, "late", 4, 0);
    return NULL;
}

/* "once the transport has consumed the buffers, HasOverlappedIoCompleted
 * turns true and the event is signalled even if no thread calls into the
 * library again". */
static void test_completion_without_caller(void **state)
{
    (void)state;
    SOCKET a, b;
    ws2t_udp_pair(AF_INET, &a, &b, 1);
    volatile WSAOVERLAPPED ov;
    memset((void *)&ov, 0, sizeof(ov));
    char in[8];
    WSABUF wb = {sizeof(in), in};
    DWORD got, fl = 0;
    assert_wsa_error(WSARecv(b, &wb, 1, &got, &fl, (LPWSAOVERLAPPED)&ov,
                             NULL),
                     WSA_IO_PENDING);
    struct late_send ls = {a, 50};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, send_late, &ls), 0);
    double t0 = (ws2t_now_ms() / 1e3);
    while (!HasOverlappedIoCompleted(&ov) && (ws2t_now_ms() / 1e3) - t0 < 5)
        ; /* spin: no call into the library */
    pthread_join(t, NULL);
    assert_true(HasOverlappedIoCompleted(&ov));
    assert_int_equal(ov.InternalHigh, 4);
    closesocket(a);
    closesocket(b);
}

/* "WSA_OPERATION_ABORTED: Overlapped operation has been canceled due to
 * the closure of the socket": each outstanding request completes exactly
 * once, events set or routines queued. */
static void test_close_aborts(void **state)
{
    (void)state;
    enum { N = 8 };
    SOCKET a, b;
    ws2t_udp_pair(AF_INET, &a, &b, 1);
    WSAEVENT ev[N];
    WSAOVERLAPPED ov[N], rov;
    char in[N][8], rin[8];
    for (int i = 0; i < N; i++) {
        ev[i] = WSACreateEvent();
        memset(&ov[i], 0, sizeof(ov[i]));
        ov[i].hEvent = ev[i];
        WSABUF wb = {sizeof(in[i]), in[i]};
        DWORD got, fl = 0;
        assert_wsa_error(WSARecv(b, &wb, 1, &got, &fl, &ov[i], NULL),
                         WSA_IO_PENDING);
    }
    reset_routine();
    memset(&rov, 0, sizeof(rov));
    WSABUF rwb = {sizeof(rin), rin};
    DWORD got, fl = 0;
    assert_wsa_error(WSARecv(b, &rwb, 1, &got, &fl, &rov, routine),
                     WSA_IO_PENDING);
    assert_wsa_ok(closesocket(b));
    for (int i = 0; i < N; i++) {
        ws2t_wait_event(ev[i], 5000);
        assert_int_equal(ov[i].Internal, WSA_OPERATION_ABORTED);
        WSACloseEvent(ev[i]);
    }
    assert_int_equal(SleepEx(5000, TRUE), WAIT_IO_COMPLETION);
    assert_int_equal(routine_calls, 1);
    assert_int_equal(routine_err, WSA_OPERATION_ABORTED);
    assert_int_equal(SleepEx(50, TRUE), 0); /* exactly once */
    assert_int_equal(routine_calls, 1);
    closesocket(a);
}

/* CancelIoEx cancels the one request named; CancelIo those the calling
 * thread started; with nothing to cancel CancelIoEx says ERROR_NOT_FOUND. */
static void test_cancel_io(void **state)
{
    (void)state;
    SOCKET a, b;
    ws2t_udp_pair(AF_INET, &a, &b, 1);
    WSAEVENT ev[2] = {WSACreateEvent(), WSACreateEvent()};
    WSAOVERLAPPED ov[2];
    char in[2][8];
    for (int i = 0; i < 2; i++) {
        memset(&ov[i], 0, sizeof(ov[i]));
        ov[i].hEvent = ev[i];
        WSABUF wb = {sizeof(in[i]), in[i]};
        DWORD got, fl = 0;
        assert_wsa_error(WSARecv(b, &wb, 1, &got, &fl, &ov[i], NULL),
                         WSA_IO_PENDING);
    }
    assert_true(CancelIoEx((HANDLE)b, &ov[1]));
    ws2t_wait_event(ev[1], 5000);
    assert_int_equal(ov[1].Internal, WSA_OPERATION_ABORTED);
    expect_unsignalled(ev[0]);
    assert_false(CancelIoEx((HANDLE)b, &ov[1]));
    assert_int_equal(GetLastError(), ERROR_NOT_FOUND);
    assert_true(CancelIo((HANDLE)b));
    ws2t_wait_event(ev[0], 5000);
    assert_int_equal(ov[0].Internal, WSA_OPERATION_ABORTED);
    /* The socket is still usable. */
    assert_int_equal(send(a, "ok", 2, 0), 2);
    assert_int_equal(recv(b, in[0], 8, 0), 2);
    WSACloseEvent(ev[0]);
    WSACloseEvent(ev[1]);
    closesocket(a);
    closesocket(b);
}

/* "Any other error code indicates that no overlapped operation was
 * initiated and no completion indication will occur." */
static void test_error_no_completion(void **state)
{
    (void)state;
    SOCKET t = socket(AF_INET, SOCK_STREAM, 0);
    WSAEVENT ev = WSACreateEvent();
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    ov.Internal = POISON;
    ov.hEvent = ev;
    WSABUF wb = {1, (CHAR *)"x"};
    DWORD sent = POISON;
    assert_wsa_error(WSASend(t, &wb, 1, &sent, 0, &ov, NULL), WSAENOTCONN);
    assert_int_equal(sent, POISON);
    assert_int_equal(ov.Internal, POISON);
    expect_unsignalled(ev);
    reset_routine();
    assert_wsa_error(WSASend(t, &wb, 1, &sent, 0, &ov, routine), WSAENOTCONN);
    assert_int_equal(SleepEx(20, TRUE), 0);
    assert_int_equal(routine_calls, 0);
    /* A routine without lpOverlapped cannot be told which request ended. */
    assert_wsa_error(WSASend(t, &wb, 1, &sent, 0, NULL, routine), WSAEFAULT);
    WSACloseEvent(ev);
    closesocket(t);
}

/* "WSAEWOULDBLOCK: Overlapped sockets: there are too many outstanding
 * overlapped I/O requests." */
static void test_too_many_outstanding(void **state)
{
    (void)state;
    enum { MAX = 16384 };
    SOCKET b = ws2t_bound(AF_INET, SOCK_DGRAM);
    WSAOVERLAPPED *ov = calloc(MAX + 1, sizeof(*ov));
    static char in[8];
    WSABUF wb = {sizeof(in), in};
    for (int i = 0; i < MAX; i++) {
        DWORD got, fl = 0;
        if (WSARecv(b, &wb, 1, &got, &fl, &ov[i], NULL) != SOCKET_ERROR ||
            WSAGetLastError() != WSA_IO_PENDING)
            fail_msg("request %d: error %d", i, WSAGetLastError());
    }
    DWORD got, fl = 0;
    assert_wsa_error(WSARecv(b, &wb, 1, &got, &fl, &ov[MAX], NULL),
                     WSAEWOULDBLOCK);
    closesocket(b);
    /* Closing completes them all; wait until the last has. */
    double t0 = (ws2t_now_ms() / 1e3);
    for (int i = 0; i < MAX; i++)
        while (!HasOverlappedIoCompleted(&ov[i]) && (ws2t_now_ms() / 1e3) - t0 < 20)
            ws2t_sleep_ms(1);
    for (int i = 0; i < MAX; i++)
        assert_int_equal(ov[i].Internal, WSA_OPERATION_ABORTED);
    free(ov);
}

/* ---- the transfers ---- */

struct dgram_rx {
    SOCKET s;
    int n, got, bad;
};

static void *dgram_rx_main(void *arg)
{
    struct dgram_rx *rx = arg;
    char buf[64];
    while (rx->got < rx->n) {
        int r = recv(rx->s, buf, sizeof(buf), 0);
        if (r != 64)
            break;
        uint32_t seq;
        memcpy(&seq, buf, 4);
        if (seq != (uint32_t)rx->got) {
            rx->bad = 1;
            break;
        }
        ws2t_check(buf + 4, 60, seq, 0);
        rx->got++;
    }
    return NULL;
}

/* 10,000 overlapped sends of 64-byte datagrams with 32 outstanding arrive
 * complete and in order at a loopback receiver. */
static void test_10000_datagrams(void **state)
{
    (void)state;
    enum { N = 10000, K = 32 };
    SOCKET a, b;
    ws2t_udp_pair(AF_INET, &a, &b, 1);
    int big = 4 << 20;
    setsockopt(b, SOL_SOCKET, SO_RCVBUF, (char *)&big, sizeof(big));
    struct dgram_rx rx = {b, N, 0, 0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, dgram_rx_main, &rx), 0);
    WSAEVENT ev[K];
    WSAOVERLAPPED ov[K];
    char buf[K][64];
    int busy[K] = {0};
    for (int i = 0; i < K; i++)
        ev[i] = WSACreateEvent();
    for (int i = 0; i < N; i++) {
        int k = i % K;
        if (busy[k]) {
            ws2t_wait_event(ev[k], 10000);
            DWORD n, fl;
            assert_true(WSAGetOverlappedResult(a, &ov[k], &n, FALSE, &fl));
            assert_int_equal(n, 64);
        }
        WSAResetEvent(ev[k]);
        memset(&ov[k], 0, sizeof(ov[k]));
        ov[k].hEvent = ev[k];
        uint32_t seq = (uint32_t)i;
        memcpy(buf[k], &seq, 4);
        ws2t_fill(buf[k] + 4, 60, seq, 0);
        WSABUF wb = {64, buf[k]};
        DWORD sent;
        int r = WSASend(a, &wb, 1, &sent, 0, &ov[k], NULL);
        assert_true(r == 0 || WSAGetLastError() == WSA_IO_PENDING);
        busy[k] = 1;
        if ((i & 255) == 255)
            ws2t_sleep_ms(1); /* let the receiver keep up: UDP may drop */
    }
    for (int k = 0; k < K; k++)
        if (busy[k])
            ws2t_wait_event(ev[k], 10000);
    pthread_join(t, NULL);
    assert_false(rx.bad);
    assert_int_equal(rx.got, N);
    for (int k = 0; k < K; k++)
        WSACloseEvent(ev[k]);
    closesocket(a);
    closesocket(b);
}

/* 1 GiB over TCP with 16 x 4 KiB buffers a send and 8 outstanding arrives
 * complete and in order (WS2TEST_SCALE=n divides it, for slow runs). */
static void test_one_gib(void **state)
{
    (void)state;
    enum { BUFS = 16, BUFSZ = 4096, K = 8 };
    const char *scale = getenv("WS2TEST_SCALE");
    size_t total = (size_t)1 << 30;
    if (scale && atoi(scale) > 1)
        total /= (size_t)atoi(scale);
    size_t per = BUFS * BUFSZ;
    total -= total % per;
    SOCKET c, d;
    ws2t_tcp_pair(AF_INET, &c, &d);
    /* The receiver checks as it goes: no 1 GiB buffer. */
    struct ws2t_stream_rx rx = {d, total, 35, 0, 0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, ws2t_stream_rx_main, &rx), 0);
    static char pool[K][BUFS * BUFSZ];
    WSAEVENT ev[K];
    WSAOVERLAPPED ov[K];
    int busy[K] = {0};
    for (int k = 0; k < K; k++)
        ev[k] = WSACreateEvent();
    size_t off = 0;
    for (size_t i = 0; off < total; i++) {
        int k = (int)(i % K);
        if (busy[k]) {
            ws2t_wait_event(ev[k], 30000);
            DWORD n, fl;
            assert_true(WSAGetOverlappedResult(c, &ov[k], &n, FALSE, &fl));
            assert_int_equal(n, per);
        }
        WSAResetEvent(ev[k]);
        memset(&ov[k], 0, sizeof(ov[k]));
        ov[k].hEvent = ev[k];
        ws2t_fill(pool[k], per, 35, off);
        WSABUF wb[BUFS];
        for (int j = 0; j < BUFS; j++) {
            wb[j].len = BUFSZ;
            wb[j].buf = pool[k] + (size_t)j * BUFSZ;
        }
        DWORD sent;
        int r = WSASend(c, wb, BUFS, &sent, 0, &ov[k], NULL);
        assert_true(r == 0 || WSAGetLastError() == WSA_IO_PENDING);
        busy[k] = 1;
        off += per;
    }
    for (int k = 0; k < K; k++)
        if (busy[k])
            ws2t_wait_event(ev[k], 30000);
    pthread_join(t, NULL);
    assert_false(rx.bad);
    assert_int_equal(rx.got, total);
    for (int k = 0; k < K; k++)
        WSACloseEvent(ev[k]);
    closesocket(c);
    closesocket(d);
}

int main(void)
{
    if (ws2t_engine_or_skip())
        return 77;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_immediate_completion),
        cmocka_unit_test(test_pending_receive),
        cmocka_unit_test(test_pending_truncated),
        cmocka_unit_test(test_pending_stream_receive),
        cmocka_unit_test(test_pending_stream_sends_in_order),
        cmocka_unit_test(test_routine_runs_in_alertable_wait),
        cmocka_unit_test(test_routine_after_immediate),
        cmocka_unit_test(test_routine_starts_io),
        cmocka_unit_test(test_completion_without_caller),
        cmocka_unit_test(test_close_aborts),
        cmocka_unit_test(test_cancel_io),
        cmocka_unit_test(test_error_no_completion),
        cmocka_unit_test(test_routine_dropped_at_thread_exit),
        cmocka_unit_test(test_engine_send_after_unreachable),
        cmocka_unit_test(test_too_many_outstanding),
        cmocka_unit_test(test_10000_datagrams),
        cmocka_unit_test(test_one_gib),
    };
    return cmocka_run_group_tests(tests, ws2t_startup, ws2t_cleanup);
}
