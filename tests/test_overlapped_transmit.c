/*
 * test_overlapped_transmit.c - TransmitFile, fetched with
 * WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER, WSAID_TRANSMITFILE): a
 * 10 MiB file with head and tail buffers, offsets from the OVERLAPPED, the
 * file pointer without one, partial counts, an empty file, no file, the
 * order among WSASend requests, TF_DISCONNECT and TF_REUSE_SOCKET (reused
 * by AcceptEx and ConnectEx), completion by event, WSAGetOverlappedResult
 * and completion port, cancellation by closesocket, and the errors.
 * ctest runs it on both engines (the name starts with test_overlapped).
 *
 * Windows rules come from Microsoft's "TransmitFile function" page and
 * Wine's test_TransmitFile (dlls/ws2_32/tests/sock.c, passes on Windows)
 * unless a test says otherwise. Every byte is checked at the receiver:
 * the head, the file's bytes and the tail are made to be consecutive
 * stretches of one pattern stream, so one checker sees any misplaced or
 * missing byte. Every wait is bounded.
 */
#define _GNU_SOURCE
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mswsock.h>
#include <windows.h>

#define SEED 91u
/* File byte i is pattern byte FBASE + i, so that a file sent from offset
 * X follows a head of FBASE + X bytes in the same pattern stream. */
#define FBASE 1000u
#define ADDR_BLOCK ((DWORD)sizeof(SOCKADDR_IN) + 16)

static LPFN_TRANSMITFILE pTransmitFile;
static LPFN_ACCEPTEX pAcceptEx;
static LPFN_CONNECTEX pConnectEx;
static char dir[64], big[128], empty[128], sparse[128];
static size_t big_size = 10u << 20;
/* Larger than any socket buffer, whatever the scale: the transfers that
 * must still be running when they are cut. */
#define SPARSE_SIZE ((size_t)64 << 20)

static void write_file(const char *path, size_t size)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    static char chunk[1 << 16];
    for (size_t at = 0; at < size; at += sizeof(chunk)) {
        size_t n = size - at < sizeof(chunk) ? size - at : sizeof(chunk);
        ws2t_fill(chunk, n, SEED, FBASE + at);
        assert_int_equal(fwrite(chunk, 1, n, f), n);
    }
    assert_int_equal(fclose(f), 0);
}

static void *get_fn(GUID id)
{
    SOCKET s = socket(AF_INET, SOCK_STREAM, 0);
    void *fn = NULL;
    DWORD n = POISON;
    assert_wsa_ok(WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &id,
                           sizeof(id), &fn, sizeof(fn), &n, NULL, NULL));
    assert_int_equal(n, sizeof(void *));
    closesocket(s);
    return fn;
}

static int setup(void **state)
{
    int r = ws2t_startup(state);
    if (r)
        return r;
    const char *scale = getenv("WS2TEST_SCALE");
    if (scale && atoi(scale) > 1)
        big_size /= (size_t)atoi(scale);
    strcpy(dir, "/tmp/ws2tf.XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(big, sizeof(big), "%s/big", dir);
    snprintf(empty, sizeof(empty), "%s/empty", dir);
    snprintf(sparse, sizeof(sparse), "%s/sparse", dir);
    write_file(big, big_size);
    write_file(empty, 0);
    write_file(sparse, 0);
    if (truncate(sparse, (off_t)SPARSE_SIZE) != 0) /* a hole, no disk */
        return -1;
    pTransmitFile = get_fn((GUID)WSAID_TRANSMITFILE);
    pAcceptEx = get_fn((GUID)WSAID_ACCEPTEX);
    pConnectEx = get_fn((GUID)WSAID_CONNECTEX);
    return 0;
}

static int teardown(void **state)
{
    unlink(big);
    unlink(empty);
    unlink(sparse);
    rmdir(dir);
    return ws2t_cleanup(state);
}

static HANDLE open_file(const char *path)
{
    HANDLE h = CreateFileA(path, GENERIC_READ, FILE_SHARE_READ, NULL,
                           OPEN_EXISTING, FILE_FLAG_SEQUENTIAL_SCAN, NULL);
    if (h == INVALID_HANDLE_VALUE)
        fail_msg("CreateFileA(%s): error %u", path, GetLastError());
    return h;
}

/* Pattern bytes [off, off + len) in a new buffer. */
static char *pattern(size_t off, size_t len)
{
    char *p = malloc(len ? len : 1);
    assert_non_null(p);
    ws2t_fill(p, len, SEED, off);
    return p;
}

/* Head and tail around file bytes [x, x + n): the head is pattern
 * [before, FBASE + x), the tail follows the file's last byte. */
struct frame {
    TRANSMIT_FILE_BUFFERS b;
    size_t end; /* stream offset after the tail */
};

static void frame(struct frame *f, size_t before, size_t x, size_t n,
                  size_t tail)
{
    size_t head = FBASE + x - before;
    f->b.Head = pattern(before, head);
    f->b.HeadLength = (DWORD)head;
    f->b.Tail = pattern(FBASE + x + n, tail);
    f->b.TailLength = (DWORD)tail;
    f->end = FBASE + x + n + tail;
}

/* Head and tail with no file bytes between them. */
static void frame_bare(struct frame *f, size_t head, size_t tail)
{
    f->b.Head = pattern(0, head);
    f->b.HeadLength = (DWORD)head;
    f->b.Tail = pattern(head, tail);
    f->b.TailLength = (DWORD)tail;
    f->end = head + tail;
}

static void frame_free(struct frame *f)
{
    free(f->b.Head);
    free(f->b.Tail);
}

/* A receiving thread checking total pattern bytes from stream offset 0. */
struct rx {
    struct ws2t_stream_rx r;
    pthread_t t;
};

static void rx_start(struct rx *x, SOCKET s, size_t total)
{
    x->r = (struct ws2t_stream_rx){s, total, SEED, 0, 0};
    ws2t_thread_start(&x->t, ws2t_stream_rx_main, &x->r);
}

static void rx_finish(struct rx *x)
{
    ws2t_thread_join(x->t, 30);
    if (x->r.bad || x->r.got != x->r.total)
        fail_msg("receiver: %zu of %zu bytes, bad %d (error %d)", x->r.got,
                 x->r.total, x->r.bad, WSAGetLastError());
}

/* Nothing more arrives. */
static void no_more(SOCKET s)
{
    char c;
    ws2t_rcvtimeo(s, 100);
    assert_wsa_error(recv(s, &c, 1, 0), WSAETIMEDOUT);
    ws2t_rcvtimeo(s, 5000);
}

static void not_signalled(WSAEVENT ev)
{
    assert_int_equal(WSAWaitForMultipleEvents(1, &ev, TRUE, 0, FALSE),
                     WSA_WAIT_TIMEOUT);
}

static void overlapped_init(WSAOVERLAPPED *ov, WSAEVENT ev, uint64_t off)
{
    memset(ov, 0, sizeof(*ov));
    ov->hEvent = ev;
    ov->Offset = (DWORD)off;
    ov->OffsetHigh = (DWORD)(off >> 32);
}

#define assert_succeeds(call)                                                  \
    do {                                                                       \
        WSASetLastError(POISON);                                               \
        BOOL ok_ = (call);                                                     \
        if (!ok_ || WSAGetLastError() != 0)                                    \
            fail_msg("%s: got %d error %d, wanted TRUE and 0", #call, ok_,     \
                     WSAGetLastError());                                       \
    } while (0)

/* The result of a completed request, through WSAGetOverlappedResult. */
static void assert_result(SOCKET s, WSAOVERLAPPED *ov, DWORD bytes)
{
    DWORD n = POISON, fl = POISON;
    if (!WSAGetOverlappedResult(s, ov, &n, FALSE, &fl))
        fail_msg("WSAGetOverlappedResult: error %d", WSAGetLastError());
    assert_int_equal(n, bytes);
}

/* The pointer; the function mswsock.dll also exports by name. */
static void test_pointer_and_export(void **state)
{
    (void)state;
    assert_non_null(pTransmitFile);
    SOCKET c, s;
    ws2t_tcp_pair(AF_INET, &c, &s);
    struct frame f;
    frame(&f, 0, 0, 0, 300);
    assert_succeeds(TransmitFile(c, NULL, 0, 0, NULL, &f.b, 0));
    struct rx x;
    rx_start(&x, s, f.end);
    rx_finish(&x);
    assert_fails(TransmitFile(INVALID_SOCKET, NULL, 0, 0, NULL, NULL, 0),
                 WSAENOTSOCK);
    frame_free(&f);
    closesocket(c);
    closesocket(s);
}

/* The whole 10 MiB file (nNumberOfBytesToWrite 0) between a head and a
 * tail, overlapped with an event: one completion, every byte counted
 * (Wine: head + file + tail). */
static void test_whole_file_event(void **state)
{
    (void)state;
    SOCKET c, s;
    ws2t_tcp_pair(AF_INET, &c, &s);
    HANDLE file = open_file(big);
    struct frame f;
    frame(&f, 0, 0, big_size, 777);
    WSAOVERLAPPED ov;
    overlapped_init(&ov, WSACreateEvent(), 0);
    assert_pending(pTransmitFile(c, file, 0, 0, &ov, &f.b, 0));
    struct rx x;
    rx_start(&x, s, f.end);
    ws2t_wait_event(ov.hEvent, 20000);
    assert_result(c, &ov, (DWORD)f.end);
    rx_finish(&x);
    no_more(s);
    frame_free(&f);
    WSACloseEvent(ov.hEvent);
    assert_true(CloseHandle(file));
    closesocket(c);
    closesocket(s);
}

/* The OVERLAPPED's Offset/OffsetHigh say where the file starts (the file
 * pointer does not matter), nNumberOfBytesToWrite how much; a count past
 * the end stops at the end, an offset past the end sends no file bytes. */
static void test_offset_and_count(void **state)
{
    (void)state;
    SOCKET c, s;
    ws2t_tcp_pair(AF_INET, &c, &s);
    HANDLE file = open_file(big);
    WSAEVENT ev = WSACreateEvent();
    LARGE_INTEGER to = {.QuadPart = 5};
    assert_true(SetFilePointerEx(file, to, NULL, FILE_BEGIN));
    struct {
        uint64_t off;
        DWORD count;
        size_t sent; /* file bytes expected */
    } cases[] = {
        {12345, 100000, 100000},
        {big_size - 10, 0, 10},
        {big_size - 10, 50, 10},
        {big_size + 10, 0, 0},
        {(uint64_t)1 << 32, 100, 0},
        {(uint64_t)0xffffffff << 32, 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct frame f;
        if (cases[i].sent)
            frame(&f, 0, (size_t)cases[i].off, cases[i].sent, 10 + i);
        else /* no file bytes: head then tail */
            frame_bare(&f, 100, 10 + i);
        WSAOVERLAPPED ov;
        overlapped_init(&ov, ev, cases[i].off);
        assert_pending(
            pTransmitFile(c, file, cases[i].count, 0, &ov, &f.b, 0));
        struct rx x;
        rx_start(&x, s, f.end);
        ws2t_wait_event(ev, 10000);
        assert_result(c, &ov, (DWORD)f.end);
        rx_finish(&x);
        no_more(s);
        frame_free(&f);
    }
    /* The file pointer stayed where it was. */
    LARGE_INTEGER at;
    to.QuadPart = 0;
    assert_true(SetFilePointerEx(file, to, &at, FILE_CURRENT));
    assert_int_equal(at.QuadPart, 5);
    WSACloseEvent(ev);
    CloseHandle(file);
    closesocket(c);
    closesocket(s);
}

/* Without lpOverlapped the call waits, and the file goes from the file
 * pointer ("If lpOverlapped is NULL, the transmission of data always
 * starts at the current byte offset in the file"); the pointer then
 * stands after the bytes sent, so a second call goes on from there. */
static void test_file_pointer(void **state)
{
    (void)state;
    SOCKET c, s;
    ws2t_tcp_pair(AF_INET, &c, &s);
    HANDLE file = open_file(big);
    const size_t x = 4096 + 3, n = 65536;
    LARGE_INTEGER to = {.QuadPart = (LONGLONG)x}, at;
    assert_true(SetFilePointerEx(file, to, NULL, FILE_BEGIN));
    struct frame f;
    frame(&f, 0, x, 2 * n, 0);
    /* The head alone, then the file in two calls. */
    struct rx rxs;
    rx_start(&rxs, s, f.end);
    TRANSMIT_FILE_BUFFERS head = {f.b.Head, f.b.HeadLength, NULL, 0};
    assert_succeeds(pTransmitFile(c, NULL, 0, 0, NULL, &head, 0));
    assert_succeeds(pTransmitFile(c, file, (DWORD)n, 0, NULL, NULL, 0));
    to.QuadPart = 0;
    assert_true(SetFilePointerEx(file, to, &at, FILE_CURRENT));
    assert_int_equal(at.QuadPart, x + n);
    assert_succeeds(pTransmitFile(c, file, (DWORD)n, 0, NULL, NULL, 0));
    rx_finish(&rxs);
    no_more(s);
    frame_free(&f);
    CloseHandle(file);
    closesocket(c);
    closesocket(s);
}

/* An empty file with nNumberOfBytesToWrite 0, and no file at all ("If the
 * hFile parameter is NULL, only data in the header and/or the tail buffer
 * is transmitted"); Wine: neither file nor buffers succeeds and sends
 * nothing. */
static void test_empty_and_no_file(void **state)
{
    (void)state;
    SOCKET c, s;
    ws2t_tcp_pair(AF_INET, &c, &s);
    HANDLE file = open_file(empty);
    struct frame f;
    frame(&f, 0, 0, 0, 500);
    WSAOVERLAPPED ov;
    overlapped_init(&ov, WSACreateEvent(), 0);
    assert_pending(pTransmitFile(c, file, 0, 0, &ov, &f.b, 0));
    ws2t_wait_event(ov.hEvent, 5000);
    assert_result(c, &ov, (DWORD)f.end);
    struct rx x;
    rx_start(&x, s, f.end);
    rx_finish(&x);
    /* No file, buffers only, waiting. */
    assert_succeeds(pTransmitFile(c, NULL, 0, 0, NULL, &f.b, 0));
    rx_start(&x, s, f.end);
    rx_finish(&x);
    /* Nothing at all. */
    assert_succeeds(pTransmitFile(c, NULL, 0, 0, NULL, NULL, 0));
    WSAResetEvent(ov.hEvent);
    assert_pending(pTransmitFile(c, NULL, 0, 0, &ov, NULL, 0));
    ws2t_wait_event(ov.hEvent, 5000);
    assert_result(c, &ov, 0);
    no_more(s);
    frame_free(&f);
    WSACloseEvent(ov.hEvent);
    CloseHandle(file);
    closesocket(c);
    closesocket(s);
}

/* A socket's sends keep their order: a WSASend posted before, the whole
 * TransmitFile, a WSASend posted after, while the receiver is not yet
 * reading (so each goes pending behind the one before). */
static void test_order_with_wsasend(void **state)
{
    (void)state;
    SOCKET c, s;
    ws2t_tcp_pair(AF_INET, &c, &s);
    HANDLE file = open_file(big);
    const size_t before = big_size / 4, x = before - FBASE + 24;
    const size_t n = big_size - x, after = 300000;
    struct frame f;
    frame(&f, before, x, n, 99);
    WSABUF a = {(ULONG)before, pattern(0, before)};
    WSABUF b = {(ULONG)after, pattern(f.end, after)};
    WSAOVERLAPPED oa, ot, ob;
    overlapped_init(&oa, WSACreateEvent(), 0);
    overlapped_init(&ot, WSACreateEvent(), x);
    overlapped_init(&ob, WSACreateEvent(), 0);
    DWORD sent;
    int r = WSASend(c, &a, 1, &sent, 0, &oa, NULL);
    assert_true(r == 0 || WSAGetLastError() == WSA_IO_PENDING);
    assert_pending(pTransmitFile(c, file, 0, 0, &ot, &f.b, 0));
    r = WSASend(c, &b, 1, &sent, 0, &ob, NULL);
    /* 10 MiB cannot all sit in the socket's buffers while the peer does
     * not read: the file is still going, and b waits behind it. (A scaled
     * run is small enough to go at once.) */
    if (big_size >= (8u << 20))
        assert_wsa_error(r, WSA_IO_PENDING);
    else
        assert_true(r == 0 || WSAGetLastError() == WSA_IO_PENDING);
    struct rx rxs;
    rx_start(&rxs, s, f.end + after);
    ws2t_wait_event(oa.hEvent, 20000);
    ws2t_wait_event(ot.hEvent, 20000);
    ws2t_wait_event(ob.hEvent, 20000);
    rx_finish(&rxs);
    assert_result(c, &oa, (DWORD)before);
    assert_result(c, &ot, (DWORD)(f.end - before));
    assert_result(c, &ob, (DWORD)after);
    no_more(s);
    frame_free(&f);
    free(a.buf);
    free(b.buf);
    WSACloseEvent(oa.hEvent);
    WSACloseEvent(ot.hEvent);
    WSACloseEvent(ob.hEvent);
    CloseHandle(file);
    closesocket(c);
    closesocket(s);
}

/* Completion through a port: one packet with the socket's key, the
 * OVERLAPPED and the bytes; TF_WRITE_BEHIND and the TF_USE_* flags are
 * accepted. The file handle may be closed while the transfer runs (the
 * request keeps the file, as Windows' keeps its file object). */
static void test_port_and_close_file(void **state)
{
    (void)state;
    SOCKET c, s;
    ws2t_tcp_pair(AF_INET, &c, &s);
    HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    assert_ptr_equal(CreateIoCompletionPort((HANDLE)c, port, 42, 0), port);
    HANDLE file = open_file(big);
    struct frame f;
    frame(&f, 0, 0, big_size, 1);
    WSAOVERLAPPED ov;
    overlapped_init(&ov, NULL, 0);
    assert_pending(pTransmitFile(c, file, 0, 65536, &ov, &f.b,
                                 TF_WRITE_BEHIND | TF_USE_KERNEL_APC));
    assert_true(CloseHandle(file));
    struct rx x;
    rx_start(&x, s, f.end);
    DWORD n = POISON;
    ULONG_PTR key = POISON;
    LPOVERLAPPED o = NULL;
    if (!GetQueuedCompletionStatus(port, &n, &key, &o, 20000))
        fail_msg("no packet: error %u", GetLastError());
    assert_ptr_equal(o, &ov);
    assert_int_equal(key, 42);
    assert_int_equal(n, f.end);
    rx_finish(&x);
    /* Exactly one packet. */
    assert_false(GetQueuedCompletionStatus(port, &n, &key, &o, 50));
    assert_int_equal(GetLastError(), WAIT_TIMEOUT);
    frame_free(&f);
    closesocket(c);
    closesocket(s);
    CloseHandle(port);
}

/* WSAGetOverlappedResult with fWait waits for a request without an event;
 * a socket made without WSA_FLAG_OVERLAPPED carries the call out at once
 * and still completes the OVERLAPPED (offset from it, event set). */
static void test_wait_result_and_nonoverlapped_socket(void **state)
{
    (void)state;
    SOCKET c, s;
    ws2t_tcp_pair(AF_INET, &c, &s);
    HANDLE file = open_file(big);
    struct frame f;
    frame(&f, 0, 0, big_size, 5);
    WSAOVERLAPPED ov;
    overlapped_init(&ov, NULL, 0);
    assert_pending(pTransmitFile(c, file, 0, 0, &ov, &f.b, 0));
    struct rx x;
    rx_start(&x, s, f.end);
    DWORD n = POISON, fl = POISON;
    assert_true(WSAGetOverlappedResult(c, &ov, &n, TRUE, &fl));
    assert_int_equal(n, f.end);
    rx_finish(&x);
    frame_free(&f);
    closesocket(c);
    closesocket(s);

    SOCKET l = ws2t_bound(AF_INET, SOCK_STREAM);
    assert_wsa_ok(listen(l, 1));
    SOCKADDR_STORAGE ss;
    int len;
    ws2t_name(l, &ss, &len);
    c = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, 0);
    assert_wsa_ok(connect(c, (struct sockaddr *)&ss, len));
    s = accept(l, NULL, NULL);
    ws2t_rcvtimeo(s, 5000);
    closesocket(l);
    const size_t off = 777, cnt = 100000;
    frame(&f, 0, off, cnt, 3);
    overlapped_init(&ov, WSACreateEvent(), off);
    rx_start(&x, s, f.end);
    assert_succeeds(pTransmitFile(c, file, (DWORD)cnt, 0, &ov, &f.b, 0));
    ws2t_wait_event(ov.hEvent, 0);
    assert_int_equal(ov.Internal, 0);
    assert_int_equal(ov.InternalHigh, f.end);
    rx_finish(&x);
    frame_free(&f);
    WSACloseEvent(ov.hEvent);
    CloseHandle(file);
    closesocket(c);
    closesocket(s);
}

/* TF_DISCONNECT: after the last byte the peer sees the end of the stream,
 * and the socket sends no more (WSAESHUTDOWN). */
static void test_disconnect(void **state)
{
    (void)state;
    SOCKET c, s;
    ws2t_tcp_pair(AF_INET, &c, &s);
    HANDLE file = open_file(big);
    struct frame f;
    frame(&f, 0, 0, big_size, 20);
    WSAOVERLAPPED ov;
    overlapped_init(&ov, WSACreateEvent(), 0);
    assert_pending(pTransmitFile(c, file, 0, 0, &ov, &f.b, TF_DISCONNECT));
    struct rx x;
    rx_start(&x, s, f.end);
    ws2t_wait_event(ov.hEvent, 20000);
    assert_result(c, &ov, (DWORD)f.end);
    rx_finish(&x);
    char ch;
    assert_int_equal(recv(s, &ch, 1, 0), 0);
    assert_wsa_error(send(c, "x", 1, 0), WSAESHUTDOWN);
    frame_free(&f);
    WSACloseEvent(ov.hEvent);
    CloseHandle(file);
    closesocket(c);
    closesocket(s);
}

static SOCKET new_tcp(void)
{
    SOCKET s = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
                          WSA_FLAG_OVERLAPPED);
    assert_true(s != INVALID_SOCKET);
    return s;
}

/* Sends part of the file and disconnects for reuse; the peer gets every
 * byte and then the end of the stream. */
static void send_and_reuse(SOCKET a, SOCKET peer, HANDLE file, size_t x)
{
    const size_t n = big_size / 2;
    struct frame f;
    frame(&f, 0, x, n, 9);
    WSAOVERLAPPED ov;
    overlapped_init(&ov, WSACreateEvent(), x);
    struct rx rxs;
    rx_start(&rxs, peer, f.end);
    assert_pending(pTransmitFile(a, file, (DWORD)n, 0, &ov, &f.b,
                                 TF_DISCONNECT | TF_REUSE_SOCKET));
    ws2t_wait_event(ov.hEvent, 10000);
    assert_result(a, &ov, (DWORD)f.end);
    rx_finish(&rxs);
    char ch;
    assert_int_equal(recv(peer, &ch, 1, 0), 0);
    frame_free(&f);
    WSACloseEvent(ov.hEvent);
}

/* TF_DISCONNECT | TF_REUSE_SOCKET: "the socket handle can be passed to the
 * function call previously used to establish the connection, such as
 * AcceptEx or ConnectEx". AcceptEx takes the same socket again; ConnectEx
 * too (after a bind: the reused socket is unbound, as after DisconnectEx). */
static void test_reuse(void **state)
{
    (void)state;
    SOCKET l = ws2t_bound(AF_INET, SOCK_STREAM);
    assert_wsa_ok(listen(l, 4));
    SOCKADDR_STORAGE ss, any;
    int len, alen;
    ws2t_name(l, &ss, &len);
    ws2t_loopback(AF_INET, 0, &any, &alen);
    HANDLE file = open_file(big);
    SOCKET a = new_tcp();
    char buf[2 * ADDR_BLOCK];
    WSAOVERLAPPED aov;
    overlapped_init(&aov, WSACreateEvent(), 0);
    DWORD got;
    for (int round = 0; round < 2; round++) {
        WSAResetEvent(aov.hEvent);
        assert_pending(
            pAcceptEx(l, a, buf, 0, ADDR_BLOCK, ADDR_BLOCK, &got, &aov));
        SOCKET peer = socket(AF_INET, SOCK_STREAM, 0);
        assert_wsa_ok(connect(peer, (struct sockaddr *)&ss, len));
        ws2t_rcvtimeo(peer, 5000);
        ws2t_wait_event(aov.hEvent, 5000);
        assert_result(l, &aov, 0);
        send_and_reuse(a, peer, file, 1000u * (unsigned)round);
        closesocket(peer);
    }
    SOCKET c = new_tcp();
    for (int round = 0; round < 2; round++) {
        assert_wsa_ok(bind(c, (struct sockaddr *)&any, alen));
        WSAResetEvent(aov.hEvent);
        assert_pending(
            pConnectEx(c, (struct sockaddr *)&ss, len, NULL, 0, &got, &aov));
        ws2t_wait_event(aov.hEvent, 5000);
        assert_result(c, &aov, 0);
        SOCKET peer = accept(l, NULL, NULL);
        ws2t_rcvtimeo(peer, 5000);
        send_and_reuse(c, peer, file, 5u * (unsigned)round);
        closesocket(peer);
    }
    WSACloseEvent(aov.hEvent);
    CloseHandle(file);
    closesocket(c);
    closesocket(a);
    closesocket(l);
}

/* closesocket in the middle of a transfer the peer does not read: the
 * request completes once with WSA_OPERATION_ABORTED (event and port),
 * having counted at most the file's bytes. CancelIoEx ends it the same
 * way, the socket left open. */
static void test_close_mid_transfer(void **state)
{
    (void)state;
    HANDLE file = open_file(sparse);
    for (int use_port = 0; use_port < 2; use_port++) {
        SOCKET c, s;
        ws2t_tcp_pair(AF_INET, &c, &s);
        HANDLE port = NULL;
        if (use_port) {
            port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
            assert_ptr_equal(CreateIoCompletionPort((HANDLE)c, port, 7, 0),
                             port);
        }
        WSAOVERLAPPED ov;
        overlapped_init(&ov, WSACreateEvent(), 0);
        assert_pending(pTransmitFile(c, file, 0, 0, &ov, NULL, 0));
        ws2t_sleep_ms(50);
        assert_false(HasOverlappedIoCompleted(&ov));
        assert_int_equal(closesocket(c), 0);
        ws2t_wait_event(ov.hEvent, 5000);
        assert_int_equal(ov.Internal, WSA_OPERATION_ABORTED);
        assert_true(ov.InternalHigh < SPARSE_SIZE);
        if (use_port) {
            DWORD n;
            ULONG_PTR key;
            LPOVERLAPPED o = NULL;
            assert_false(GetQueuedCompletionStatus(port, &n, &key, &o, 5000));
            assert_int_equal(GetLastError(), ERROR_OPERATION_ABORTED);
            assert_ptr_equal(o, &ov);
            assert_int_equal(key, 7);
            assert_false(GetQueuedCompletionStatus(port, &n, &key, &o, 50));
            CloseHandle(port);
        }
        WSACloseEvent(ov.hEvent);
        closesocket(s);
    }
    SOCKET c, s;
    ws2t_tcp_pair(AF_INET, &c, &s);
    WSAOVERLAPPED ov;
    overlapped_init(&ov, WSACreateEvent(), 0);
    assert_pending(pTransmitFile(c, file, 0, 0, &ov, NULL, 0));
    ws2t_sleep_ms(20);
    assert_true(CancelIoEx((HANDLE)c, &ov));
    ws2t_wait_event(ov.hEvent, 5000);
    DWORD n, fl;
    assert_false(WSAGetOverlappedResult(c, &ov, &n, FALSE, &fl));
    assert_int_equal(WSAGetLastError(), WSA_OPERATION_ABORTED);
    WSACloseEvent(ov.hEvent);
    closesocket(c);
    closesocket(s);
    CloseHandle(file);
}

struct blocked {
    SOCKET c;
    HANDLE file;
    BOOL ok;
    int err;
};

static void *blocked_main(void *arg)
{
    struct blocked *b = arg;
    b->ok = pTransmitFile(b->c, b->file, 0, 0, NULL, NULL, 0);
    b->err = WSAGetLastError();
    return NULL;
}

/* A waiting call (no lpOverlapped) is ended by closesocket in another
 * thread with WSAEINTR, as every blocked call is; a reset connection ends
 * a transfer with WSAECONNRESET. */
static void test_blocked_close_and_reset(void **state)
{
    (void)state;
    HANDLE file = open_file(sparse);
    SOCKET c, s;
    ws2t_tcp_pair(AF_INET, &c, &s);
    struct blocked b = {c, file, TRUE, 0};
    pthread_t t;
    ws2t_thread_start(&t, blocked_main, &b);
    /* The call is under way once its first bytes arrive; then it waits
     * for a reader that never reads the rest. */
    char first;
    assert_int_equal(recv(s, &first, 1, 0), 1);
    ws2t_sleep_ms(50);
    assert_int_equal(closesocket(c), 0);
    ws2t_thread_join(t, 5);
    assert_false(b.ok);
    assert_int_equal(b.err, WSAEINTR);
    closesocket(s);

    ws2t_tcp_pair(AF_INET, &c, &s);
    WSAOVERLAPPED ov;
    overlapped_init(&ov, WSACreateEvent(), 0);
    assert_pending(pTransmitFile(c, file, 0, 0, &ov, NULL, 0));
    ws2t_sleep_ms(20);
    struct linger lg = {1, 0};
    assert_wsa_ok(setsockopt(s, SOL_SOCKET, SO_LINGER, (const char *)&lg,
                             sizeof(lg)));
    closesocket(s); /* a reset */
    ws2t_wait_event(ov.hEvent, 5000);
    DWORD n, fl;
    assert_false(WSAGetOverlappedResult(c, &ov, &n, FALSE, &fl));
    assert_int_equal(WSAGetLastError(), WSAECONNRESET);
    WSACloseEvent(ov.hEvent);
    closesocket(c);
    CloseHandle(file);
}

/* A call that fails completes nothing: the event stays unsignalled. */
#define assert_refused(call, err, ev)                                          \
    do {                                                                       \
        assert_fails(call, err);                                               \
        not_signalled(ev);                                                     \
    } while (0)

/* The documented errors, and Wine's (on Windows): WSAENOTSOCK for an
 * invalid socket; WSAENOTCONN for an unconnected stream and for datagram
 * sockets; WSAESHUTDOWN after shutdown(SD_SEND); WSAEFAULT for bad
 * pointers. Ours, where Windows is not on record: WSAEINVAL for unknown
 * flags, TF_REUSE_SOCKET without TF_DISCONNECT, more than 2,147,483,646
 * bytes, and a file that is not a regular file; ERROR_INVALID_HANDLE for
 * an hFile that is no file; WSAEACCES for a file not open for reading. */
static void test_errors(void **state)
{
    (void)state;
    HANDLE file = open_file(big);
    WSAEVENT ev = WSACreateEvent();
    WSAOVERLAPPED ov;
    overlapped_init(&ov, ev, 0);
    assert_refused(pTransmitFile(INVALID_SOCKET, file, 0, 0, &ov, NULL, 0),
                   WSAENOTSOCK, ev);
    assert_refused(pTransmitFile((SOCKET)ev, file, 0, 0, &ov, NULL, 0),
                   WSAENOTSOCK, ev);
    SOCKET u = socket(AF_INET, SOCK_STREAM, 0);
    /* Wine: TF_REUSE_SOCKET alone on an unconnected socket. */
    assert_refused(pTransmitFile(u, NULL, 0, 0, NULL, NULL, TF_REUSE_SOCKET),
                   WSAENOTCONN, ev);
    assert_refused(pTransmitFile(u, file, 0, 0, &ov, NULL, 0), WSAENOTCONN,
                   ev);
    SOCKET l = ws2t_bound(AF_INET, SOCK_STREAM);
    assert_wsa_ok(listen(l, 1));
    assert_refused(pTransmitFile(l, file, 0, 0, &ov, NULL, 0), WSAENOTCONN,
                   ev);
    closesocket(l);
    closesocket(u);
    SOCKET d1, d2;
    ws2t_udp_pair(AF_INET, &d1, &d2, 0);
    assert_refused(pTransmitFile(d1, NULL, 0, 0, NULL, NULL, 0), WSAENOTCONN,
                   ev);
    closesocket(d1);
    closesocket(d2);
    ws2t_udp_pair(AF_INET, &d1, &d2, 1);
    assert_refused(pTransmitFile(d1, file, 0, 0, &ov, NULL, 0), WSAENOTCONN,
                   ev);
    closesocket(d1);
    closesocket(d2);

    SOCKET c, s;
    ws2t_tcp_pair(AF_INET, &c, &s);
    assert_refused(pTransmitFile(c, file, 0, 0, &ov, NULL, TF_REUSE_SOCKET),
                   WSAEINVAL, ev);
    assert_refused(pTransmitFile(c, file, 0, 0, &ov, NULL, 0x100), WSAEINVAL,
                   ev);
    assert_refused(pTransmitFile(c, file, 0, 0, (LPOVERLAPPED)8, NULL, 0),
                   WSAEFAULT, ev);
    assert_refused(
        pTransmitFile(c, file, 0, 0, &ov, (LPTRANSMIT_FILE_BUFFERS)16, 0),
        WSAEFAULT, ev);
    TRANSMIT_FILE_BUFFERS bad = {NULL, 10, NULL, 0};
    assert_refused(pTransmitFile(c, file, 0, 0, &ov, &bad, 0), WSAEFAULT,
                   ev);
    bad = (TRANSMIT_FILE_BUFFERS){NULL, 0, (void *)24, 10};
    assert_refused(pTransmitFile(c, file, 0, 0, &ov, &bad, 0), WSAEFAULT,
                   ev);
    /* hFile that is no open file. */
    HANDLE closed = open_file(big);
    CloseHandle(closed);
    assert_refused(pTransmitFile(c, closed, 0, 0, &ov, NULL, 0),
                   ERROR_INVALID_HANDLE, ev);
    assert_refused(pTransmitFile(c, (HANDLE)c, 0, 0, &ov, NULL, 0),
                   ERROR_INVALID_HANDLE, ev);
    assert_refused(pTransmitFile(c, INVALID_HANDLE_VALUE, 0, 0, &ov, NULL, 0),
                   ERROR_INVALID_HANDLE, ev);
    HANDLE wo = CreateFileA(big, GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0,
                            NULL);
    assert_true(wo != INVALID_HANDLE_VALUE);
    assert_refused(pTransmitFile(c, wo, 0, 0, &ov, NULL, 0), WSAEACCES, ev);
    CloseHandle(wo);
    HANDLE dh = CreateFileA(dir, GENERIC_READ, 0, NULL, OPEN_EXISTING,
                            FILE_FLAG_BACKUP_SEMANTICS, NULL);
    assert_true(dh != INVALID_HANDLE_VALUE);
    assert_refused(pTransmitFile(c, dh, 0, 0, &ov, NULL, 0), WSAEINVAL, ev);
    CloseHandle(dh);
    /* The byte limit: head, file and tail together. */
    char hb[10] = "0123456789";
    TRANSMIT_FILE_BUFFERS tb = {hb, 10, hb, 10};
    assert_refused(pTransmitFile(c, file, 0x7fffffff, 0, &ov, NULL, 0),
                   WSAEINVAL, ev);
    assert_refused(pTransmitFile(c, file, 2147483646u - 19, 0, &ov, &tb, 0),
                   WSAEINVAL, ev);
    /* Nothing of the refused calls reached the wire. */
    no_more(s);
    /* At the limit it is accepted (and stops at the file's end). */
    overlapped_init(&ov, ev, big_size - 5);
    assert_pending(
        pTransmitFile(c, file, 2147483646u - 20, 0, &ov, &tb, 0));
    ws2t_wait_event(ev, 5000);
    assert_result(c, &ov, 25);
    char back[25];
    ws2t_recv_all(s, back, sizeof(back));
    assert_memory_equal(back, hb, 10);
    ws2t_check(back + 10, 5, SEED, FBASE + big_size - 5);
    assert_memory_equal(back + 15, hb, 10);
    /* After shutdown(SD_SEND). */
    WSAResetEvent(ev);
    assert_wsa_ok(shutdown(c, SD_SEND));
    assert_refused(pTransmitFile(c, file, 0, 0, &ov, NULL, 0), WSAESHUTDOWN,
                   ev);
    closesocket(c);
    closesocket(s);
    WSACloseEvent(ev);
    CloseHandle(file);
}

int main(void)
{
    if (ws2t_engine_or_skip())
        return 77;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pointer_and_export),
        cmocka_unit_test(test_whole_file_event),
        cmocka_unit_test(test_offset_and_count),
        cmocka_unit_test(test_file_pointer),
        cmocka_unit_test(test_empty_and_no_file),
        cmocka_unit_test(test_order_with_wsasend),
        cmocka_unit_test(test_port_and_close_file),
        cmocka_unit_test(test_wait_result_and_nonoverlapped_socket),
        cmocka_unit_test(test_disconnect),
        cmocka_unit_test(test_reuse),
        cmocka_unit_test(test_close_mid_transfer),
        cmocka_unit_test(test_blocked_close_and_reset),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
