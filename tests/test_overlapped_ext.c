/*
 * test_overlapped_ext.c - the Microsoft extension functions fetched with
 * WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER): AcceptEx,
 * GetAcceptExSockaddrs and ConnectEx, with SO_UPDATE_ACCEPT_CONTEXT and
 * SO_UPDATE_CONNECT_CONTEXT, completing through events, completion ports
 * and (for the sockets they produce) completion routines. ctest runs it on
 * both engines (the name starts with test_overlapped).
 *
 * Windows rules come from Microsoft's pages ("AcceptEx function",
 * "GetAcceptExSockaddrs function", "ConnectEx function",
 * "SIO_GET_EXTENSION_FUNCTION_POINTER") and Wine's test_AcceptEx
 * (dlls/ws2_32/tests/sock.c), which passes on Windows, unless a test says
 * otherwise. The functions are called only through the fetched pointers.
 * Every wait is bounded.
 */
#define _GNU_SOURCE
#include "util.h"

#include <stdio.h>
#include <stdlib.h>

#include <mswsock.h>
#include <windows.h>

#include "engine/engine.h"

static LPFN_ACCEPTEX pAcceptEx;
static LPFN_GETACCEPTEXSOCKADDRS pGetAcceptExSockaddrs;
static LPFN_CONNECTEX pConnectEx;
static LPFN_DISCONNECTEX pDisconnectEx;

#define ADDR_BLOCK ((DWORD)sizeof(SOCKADDR_IN) + 16)

static int fetch(void **state)
{
    int r = ws2t_startup(state);
    if (r)
        return r;
    SOCKET s = socket(AF_INET, SOCK_STREAM, 0);
    GUID a = WSAID_ACCEPTEX, g = WSAID_GETACCEPTEXSOCKADDRS,
         c = WSAID_CONNECTEX, d = WSAID_DISCONNECTEX;
    DWORD n;
    if (WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &a, sizeof(a),
                 &pAcceptEx, sizeof(pAcceptEx), &n, NULL, NULL) ||
        WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &g, sizeof(g),
                 &pGetAcceptExSockaddrs, sizeof(void *), &n, NULL, NULL) ||
        WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &c, sizeof(c),
                 &pConnectEx, sizeof(pConnectEx), &n, NULL, NULL) ||
        WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &d, sizeof(d),
                 &pDisconnectEx, sizeof(pDisconnectEx), &n, NULL, NULL))
        return -1;
    closesocket(s);
    return 0;
}

static SOCKET listener(SOCKADDR_STORAGE *ss, int *len)
{
    SOCKET l = ws2t_bound(AF_INET, SOCK_STREAM);
    assert_wsa_ok(listen(l, 8));
    ws2t_name(l, ss, len);
    return l;
}

static SOCKET new_tcp(void)
{
    SOCKET s = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
                          WSA_FLAG_OVERLAPPED);
    assert_true(s != INVALID_SOCKET);
    return s;
}

static SOCKET connect_to(const SOCKADDR_STORAGE *ss, int len)
{
    SOCKET c = socket(AF_INET, SOCK_STREAM, 0);
    assert_wsa_ok(connect(c, (const struct sockaddr *)ss, len));
    ws2t_rcvtimeo(c, 5000);
    return c;
}

static void same_addr(const struct sockaddr *a, int alen,
                      const SOCKADDR_STORAGE *b, int blen)
{
    assert_int_equal(alen, blen);
    assert_memory_equal(a, b, (size_t)blen);
}

/* SIO_GET_EXTENSION_FUNCTION_POINTER: the GUID in, the pointer out;
 * an unknown GUID is WSAEINVAL. */
static void test_pointers(void **state)
{
    (void)state;
    SOCKET s = socket(AF_INET, SOCK_STREAM, 0);
    GUID ids[] = {WSAID_ACCEPTEX, WSAID_GETACCEPTEXSOCKADDRS,
                  WSAID_CONNECTEX};
    for (size_t i = 0; i < 3; i++)
        ws2t_ext_fn(s, ids[i]);
    GUID bad = {0x12345678, 1, 2, {3, 4, 5, 6, 7, 8, 9, 10}};
    void *fn = (void *)(uintptr_t)POISON;
    DWORD n = POISON;
    assert_wsa_error(WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &bad,
                              sizeof(bad), &fn, sizeof(fn), &n, NULL, NULL),
                     WSAEINVAL);
    assert_ptr_equal(fn, (void *)(uintptr_t)POISON);
    /* Ours: buffers too short for a GUID or a pointer are WSAEFAULT. */
    assert_wsa_error(WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &ids[0],
                              sizeof(GUID) - 1, &fn, sizeof(fn), &n, NULL,
                              NULL),
                     WSAEFAULT);
    assert_wsa_error(WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &ids[0],
                              sizeof(GUID), &fn, sizeof(fn) - 1, &n, NULL,
                              NULL),
                     WSAEFAULT);
    assert_ptr_equal(fn, (void *)(uintptr_t)POISON);
    closesocket(s);
}

/* Wine's test_AcceptEx (2025; passes on Windows): an invalid listener or
 * accept socket is WSAENOTSOCK, a listener not listening and a datagram
 * accept socket WSAEINVAL, a NULL buffer WSAEFAULT, a NULL lpOverlapped
 * ERROR_INVALID_PARAMETER (before the address lengths), a remote block of
 * 0 bytes WSAEFAULT; Internal holds STATUS_PENDING even after a refusal.
 * The AcceptEx page: an accept socket neither bound nor connected (short
 * address blocks: test_acceptex_short_blocks). A pending AcceptEx ends,
 * once, with WSA_OPERATION_ABORTED when the listener is closed. */
static void test_acceptex_errors(void **state)
{
    (void)state;
    char buf[256];
    DWORD got = POISON;
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    ov.hEvent = WSACreateEvent();
    SOCKET l = ws2t_bound(AF_INET, SOCK_STREAM);
    SOCKET a = new_tcp();
    DWORD rd = sizeof(buf) - 2 * ADDR_BLOCK;
    ov.Internal = POISON;
    assert_fails(pAcceptEx(INVALID_SOCKET, a, buf, rd, ADDR_BLOCK, ADDR_BLOCK,
                           &got, &ov),
                 WSAENOTSOCK);
    assert_int_equal(ov.Internal, STATUS_PENDING);
    assert_fails(pAcceptEx(l, INVALID_SOCKET, buf, rd, ADDR_BLOCK, ADDR_BLOCK,
                           &got, &ov),
                 WSAENOTSOCK);
    assert_fails(pAcceptEx(l, a, buf, rd, ADDR_BLOCK, ADDR_BLOCK, &got, &ov),
                 WSAEINVAL);
    assert_wsa_ok(listen(l, 4));
    assert_fails(pAcceptEx(l, a, NULL, rd, ADDR_BLOCK, ADDR_BLOCK, &got, &ov),
                 WSAEFAULT);
    SOCKET u = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    assert_fails(pAcceptEx(l, u, buf, 0, ADDR_BLOCK, ADDR_BLOCK, &got, &ov),
                 WSAEINVAL);
    closesocket(u);
    assert_fails(pAcceptEx(l, a, buf, 0, ADDR_BLOCK, 0, &got, &ov),
                 WSAEFAULT);
    assert_fails(pAcceptEx(l, a, buf, 0, ADDR_BLOCK, ADDR_BLOCK, &got, NULL),
                 ERROR_INVALID_PARAMETER);
    assert_fails(pAcceptEx(l, a, buf, 0, 0, 0, &got, NULL),
                 ERROR_INVALID_PARAMETER);
    SOCKET b = ws2t_bound(AF_INET, SOCK_STREAM);
    assert_fails(pAcceptEx(l, b, buf, 0, ADDR_BLOCK, ADDR_BLOCK, &got, &ov),
                 WSAEINVAL);
    closesocket(b);
    assert_int_equal(got, POISON);

    assert_pending(
        pAcceptEx(l, a, buf, 0, ADDR_BLOCK, ADDR_BLOCK, &got, &ov));
    assert_int_equal(got, POISON); /* set only at once, never later */
    /* The same accept socket cannot wait twice. */
    WSAOVERLAPPED ov2;
    memset(&ov2, 0, sizeof(ov2));
    assert_fails(pAcceptEx(l, a, buf, 0, ADDR_BLOCK, ADDR_BLOCK, &got, &ov2),
                 WSAEINVAL);
    assert_int_equal(WSAWaitForMultipleEvents(1, &ov.hEvent, TRUE, 50, FALSE),
                     WSA_WAIT_TIMEOUT);
    DWORD n = POISON, fl = POISON;
    assert_false(GetOverlappedResult((HANDLE)l, &ov, &n, FALSE));
    assert_int_equal(GetLastError(), ERROR_IO_INCOMPLETE);
    assert_int_equal(closesocket(l), 0);
    ws2t_wait_event(ov.hEvent, 5000);
    assert_false(WSAGetOverlappedResult(a, &ov, &n, FALSE, &fl));
    assert_int_equal(WSAGetLastError(), WSA_OPERATION_ABORTED);
    assert_int_equal(n, 0);
    /* Wine's test_AcceptEx asks the closed listener, on Windows. */
    n = POISON;
    assert_false(GetOverlappedResult((HANDLE)l, &ov, &n, FALSE));
    assert_int_equal(GetLastError(), ERROR_OPERATION_ABORTED);
    assert_int_equal(n, 0);
    /* Once: nothing more arrives. */
    WSAResetEvent(ov.hEvent);
    assert_int_equal(WSAWaitForMultipleEvents(1, &ov.hEvent, TRUE, 100, FALSE),
                     WSA_WAIT_TIMEOUT);
    /* The accept socket is still unused and can be given again. */
    SOCKADDR_STORAGE ss;
    int len;
    l = listener(&ss, &len);
    assert_pending(
        pAcceptEx(l, a, buf, 0, ADDR_BLOCK, ADDR_BLOCK, &got, &ov));
    SOCKET c = connect_to(&ss, len);
    ws2t_wait_event(ov.hEvent, 5000);
    assert_true(WSAGetOverlappedResult(a, &ov, &n, FALSE, &fl));
    closesocket(c);
    closesocket(a);
    closesocket(l);
    WSACloseEvent(ov.hEvent);
}

/* The peer of an accepted socket is the connecting socket. */
static void peer_is(SOCKET accepted, SOCKET c)
{
    SOCKADDR_STORAGE a, b;
    int alen = sizeof(a), blen = sizeof(b);
    assert_wsa_ok(getpeername(accepted, (struct sockaddr *)&a, &alen));
    assert_wsa_ok(getsockname(c, (struct sockaddr *)&b, &blen));
    same_addr((struct sockaddr *)&a, alen, &b, blen);
}

/* An address block shorter than the maximum address + 16, but not empty,
 * pends; when a connection arrives the request fails with
 * STATUS_BUFFER_TOO_SMALL in Internal (GetOverlappedResult:
 * ERROR_INSUFFICIENT_BUFFER) and no bytes, and the connection stays queued
 * for the next accept (Wine's test_AcceptEx, run on Windows: local blocks
 * of 3 and sizeof(SOCKADDR_IN) + 4 bytes; a short remote block pends and
 * is cancelled). Through a port the packet carries the same status. */
static void test_acceptex_short_blocks(void **state)
{
    (void)state;
    SOCKADDR_STORAGE ss;
    int len;
    char buf[2 * ADDR_BLOCK];
    SOCKET l = listener(&ss, &len);
    SOCKET a = new_tcp();
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    ov.hEvent = WSACreateEvent();
    DWORD got = POISON, n = POISON, fl = POISON;

    assert_pending(pAcceptEx(l, a, buf, 0, 3, ADDR_BLOCK, &got, &ov));
    assert_int_equal(ov.Internal, STATUS_PENDING);
    assert_int_equal(WSAWaitForMultipleEvents(1, &ov.hEvent, TRUE, 50, FALSE),
                     WSA_WAIT_TIMEOUT);
    SOCKET c = connect_to(&ss, len);
    ws2t_wait_event(ov.hEvent, 5000);
    SetLastError(POISON);
    assert_false(GetOverlappedResult((HANDLE)l, &ov, &n, FALSE));
    assert_int_equal(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
    assert_int_equal(ov.Internal, STATUS_BUFFER_TOO_SMALL);
    assert_int_equal(n, 0);
    assert_false(WSAGetOverlappedResult(l, &ov, &n, FALSE, &fl));
    assert_int_equal(WSAGetLastError(), WSAEFAULT);
    /* The connection was left queued: accept takes it, data flows. */
    SOCKET s = accept(l, NULL, NULL);
    assert_true(s != INVALID_SOCKET);
    peer_is(s, c);
    assert_int_equal(send(c, "hi", 2, 0), 2);
    char in[4] = {0};
    ws2t_rcvtimeo(s, 5000);
    assert_int_equal(recv(s, in, sizeof(in), 0), 2);
    assert_memory_equal(in, "hi", 2);
    closesocket(s);
    closesocket(c);

    /* Queued behind a short one, a proper AcceptEx takes the connection
     * the short one saw; the accept socket of the short one is free. */
    SOCKET a2 = new_tcp();
    WSAOVERLAPPED ov2;
    memset(&ov2, 0, sizeof(ov2));
    ov2.hEvent = WSACreateEvent();
    WSAResetEvent(ov.hEvent);
    assert_pending(pAcceptEx(l, a, buf, 0, (DWORD)sizeof(SOCKADDR_IN) + 4,
                             ADDR_BLOCK, &got, &ov));
    assert_pending(pAcceptEx(l, a2, buf + ADDR_BLOCK, 0, 0, ADDR_BLOCK, &got,
                             &ov2));
    c = connect_to(&ss, len);
    ws2t_wait_event(ov.hEvent, 5000);
    ws2t_wait_event(ov2.hEvent, 5000);
    assert_false(WSAGetOverlappedResult(l, &ov, &n, FALSE, &fl));
    assert_int_equal(WSAGetLastError(), WSAEFAULT);
    assert_true(WSAGetOverlappedResult(l, &ov2, &n, FALSE, &fl));
    assert_wsa_ok(setsockopt(a2, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT,
                             (const char *)&l, sizeof(l)));
    peer_is(a2, c);
    closesocket(c);
    closesocket(a2);

    /* A short remote block pends too, until cancelled. */
    WSAResetEvent(ov.hEvent);
    assert_pending(pAcceptEx(l, a, buf, 0, ADDR_BLOCK, ADDR_BLOCK - 1, &got,
                             &ov));
    assert_int_equal(WSAWaitForMultipleEvents(1, &ov.hEvent, TRUE, 50, FALSE),
                     WSA_WAIT_TIMEOUT);
    assert_true(CancelIoEx((HANDLE)l, &ov));
    ws2t_wait_event(ov.hEvent, 5000);
    assert_false(WSAGetOverlappedResult(l, &ov, &n, FALSE, &fl));
    assert_int_equal(WSAGetLastError(), WSA_OPERATION_ABORTED);

    /* Through a port: the packet's status, and the entry's Internal. */
    HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    assert_ptr_equal(CreateIoCompletionPort((HANDLE)l, port, 5, 0), port);
    assert_pending(pAcceptEx(l, a, buf, 0, 3, ADDR_BLOCK, &got, &ov));
    c = connect_to(&ss, len);
    ULONG_PTR key = 0;
    LPOVERLAPPED po = NULL;
    n = POISON;
    SetLastError(POISON);
    assert_false(GetQueuedCompletionStatus(port, &n, &key, &po, 5000));
    assert_int_equal(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
    assert_ptr_equal(po, &ov);
    assert_int_equal(key, 5);
    assert_int_equal(n, 0);
    assert_pending(pAcceptEx(l, a, buf, 0, 3, ADDR_BLOCK, &got, &ov));
    OVERLAPPED_ENTRY e;
    ULONG ne = 0;
    assert_true(GetQueuedCompletionStatusEx(port, &e, 1, &ne, 5000, FALSE));
    assert_int_equal(ne, 1);
    assert_ptr_equal(e.lpOverlapped, &ov);
    assert_int_equal(e.Internal, STATUS_BUFFER_TOO_SMALL);
    s = accept(l, NULL, NULL);
    assert_true(s != INVALID_SOCKET);
    peer_is(s, c);
    closesocket(s);
    closesocket(c);
    closesocket(a);
    closesocket(l);
    CloseHandle(port);
    WSACloseEvent(ov.hEvent);
    WSACloseEvent(ov2.hEvent);
}

/* Closing the accept socket aborts its AcceptEx (once), and the listener
 * serves the next one. */
static void test_acceptex_close_acceptor(void **state)
{
    (void)state;
    SOCKADDR_STORAGE ss;
    int len;
    char buf[2 * ADDR_BLOCK];
    SOCKET l = listener(&ss, &len);
    SOCKET a = new_tcp();
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    ov.hEvent = WSACreateEvent();
    DWORD got;
    assert_pending(pAcceptEx(l, a, buf, 0, ADDR_BLOCK, ADDR_BLOCK, &got, &ov));
    assert_int_equal(closesocket(a), 0);
    ws2t_wait_event(ov.hEvent, 5000);
    DWORD n = POISON, fl;
    assert_false(WSAGetOverlappedResult(l, &ov, &n, FALSE, &fl));
    assert_int_equal(WSAGetLastError(), WSA_OPERATION_ABORTED);
    WSAResetEvent(ov.hEvent);
    a = new_tcp();
    assert_pending(pAcceptEx(l, a, buf, 0, ADDR_BLOCK, ADDR_BLOCK, &got, &ov));
    SOCKET c = connect_to(&ss, len);
    ws2t_wait_event(ov.hEvent, 5000);
    assert_true(WSAGetOverlappedResult(l, &ov, &n, FALSE, &fl));
    assert_int_equal(send(c, "ping", 4, 0), 4);
    char rx[4];
    ws2t_rcvtimeo(a, 5000);
    ws2t_recv_all(a, rx, 4);
    assert_memory_equal(rx, "ping", 4);
    closesocket(c);
    closesocket(a);
    closesocket(l);
    WSACloseEvent(ov.hEvent);
}

/* Without receive data AcceptEx completes when the connection arrives;
 * GetAcceptExSockaddrs gives what getsockname/getpeername give; after
 * SO_UPDATE_ACCEPT_CONTEXT the socket is a normal accepted socket. */
static void test_acceptex_event(void **state)
{
    (void)state;
    SOCKADDR_STORAGE ss, name;
    int len, nlen;
    char buf[2 * ADDR_BLOCK + 8];
    memset(buf, 0x55, sizeof(buf));
    SOCKET l = listener(&ss, &len);
    SOCKET a = new_tcp();
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    ov.hEvent = WSACreateEvent();
    DWORD got = POISON;
    assert_pending(
        pAcceptEx(l, a, buf, 0, ADDR_BLOCK, ADDR_BLOCK, &got, &ov));
    SOCKET c = connect_to(&ss, len);
    ws2t_wait_event(ov.hEvent, 5000);
    DWORD n = POISON, fl = POISON;
    assert_true(WSAGetOverlappedResult(l, &ov, &n, FALSE, &fl));
    assert_int_equal(n, 0);
    assert_int_equal(ov.Internal, 0);

    struct sockaddr *loc = NULL, *rem = NULL;
    int llen = -1, rlen = -1;
    pGetAcceptExSockaddrs(buf, 0, ADDR_BLOCK, ADDR_BLOCK, &loc, &llen, &rem,
                          &rlen);
    assert_true((char *)loc > buf && (char *)loc < buf + sizeof(buf));
    assert_true((char *)rem > (char *)loc);
    assert_wsa_ok(setsockopt(a, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT,
                             (char *)&l, sizeof(l)));
    nlen = sizeof(name);
    assert_wsa_ok(getsockname(a, (struct sockaddr *)&name, &nlen));
    same_addr(loc, llen, &name, nlen);
    nlen = sizeof(name);
    assert_wsa_ok(getpeername(a, (struct sockaddr *)&name, &nlen));
    same_addr(rem, rlen, &name, nlen);
    /* ...which is the client's own address, and its peer is us. */
    nlen = sizeof(name);
    assert_wsa_ok(getsockname(c, (struct sockaddr *)&name, &nlen));
    same_addr(rem, rlen, &name, nlen);
    nlen = sizeof(name);
    assert_wsa_ok(getpeername(c, (struct sockaddr *)&name, &nlen));
    same_addr(loc, llen, &name, nlen);

    /* Byte-exact both ways. */
    char data[3000], back[3000];
    ws2t_fill(data, sizeof(data), 11, 0);
    assert_int_equal(send(c, data, sizeof(data), 0), (int)sizeof(data));
    ws2t_rcvtimeo(a, 5000);
    ws2t_recv_all(a, back, sizeof(back));
    ws2t_check(back, sizeof(back), 11, 0);
    ws2t_fill(data, sizeof(data), 12, 0);
    assert_int_equal(send(a, data, sizeof(data), 0), (int)sizeof(data));
    ws2t_recv_all(c, back, sizeof(back));
    ws2t_check(back, sizeof(back), 12, 0);
    closesocket(c);
    closesocket(a);
    closesocket(l);
    WSACloseEvent(ov.hEvent);
}

/* A local block of 0 bytes is allowed (Wine's test_AcceptEx, run on
 * Windows): the connection is accepted, only the remote address comes
 * back, and GetAcceptExSockaddrs leaves the local outputs alone. */
static void test_acceptex_no_local_block(void **state)
{
    (void)state;
    SOCKADDR_STORAGE ss, name;
    int len, nlen;
    char buf[ADDR_BLOCK + 8];
    SOCKET l = listener(&ss, &len);
    SOCKET a = new_tcp();
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    ov.hEvent = WSACreateEvent();
    DWORD got = POISON;
    assert_pending(pAcceptEx(l, a, buf, 0, 0, ADDR_BLOCK, &got, &ov));
    SOCKET c = connect_to(&ss, len);
    ws2t_wait_event(ov.hEvent, 5000);
    DWORD n = POISON, fl = POISON;
    assert_true(WSAGetOverlappedResult(l, &ov, &n, FALSE, &fl));
    assert_int_equal(n, 0);
    struct sockaddr *loc = (struct sockaddr *)(uintptr_t)POISON, *rem = NULL;
    int llen = (int)POISON, rlen = -1;
    pGetAcceptExSockaddrs(buf, 0, 0, ADDR_BLOCK, &loc, &llen, &rem, &rlen);
    assert_ptr_equal(loc, (void *)(uintptr_t)POISON);
    assert_int_equal(llen, (int)POISON);
    nlen = sizeof(name);
    assert_wsa_ok(getsockname(c, (struct sockaddr *)&name, &nlen));
    same_addr(rem, rlen, &name, nlen);
    closesocket(c);
    closesocket(a);
    closesocket(l);
    WSACloseEvent(ov.hEvent);
}

/* With dwReceiveDataLength > 0 AcceptEx waits for the first data too and
 * completes with its bytes (Wine's test_AcceptEx "short reads": one byte
 * completes a request for two). */
static void test_acceptex_data(void **state)
{
    (void)state;
    SOCKADDR_STORAGE ss;
    int len;
    enum { RD = 200 };
    char buf[RD + 2 * ADDR_BLOCK];
    SOCKET l = listener(&ss, &len);
    /* Wine's test makes the listener non-blocking: AcceptEx still waits. */
    u_long one = 1;
    assert_wsa_ok(ioctlsocket(l, FIONBIO, &one));
    SOCKET a = new_tcp();
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    ov.hEvent = WSACreateEvent();
    DWORD got = POISON;
    assert_pending(
        pAcceptEx(l, a, buf, RD, ADDR_BLOCK, ADDR_BLOCK, &got, &ov));
    SOCKET c = connect_to(&ss, len);
    assert_int_equal(WSAWaitForMultipleEvents(1, &ov.hEvent, TRUE, 100, FALSE),
                     WSA_WAIT_TIMEOUT);
    assert_false(HasOverlappedIoCompleted(&ov));
    char data[150];
    ws2t_fill(data, sizeof(data), 21, 0);
    assert_int_equal(send(c, data, sizeof(data), 0), (int)sizeof(data));
    ws2t_wait_event(ov.hEvent, 5000);
    DWORD n = POISON, fl = POISON;
    assert_true(WSAGetOverlappedResult(l, &ov, &n, FALSE, &fl));
    assert_true(n > 0 && n <= sizeof(data));
    ws2t_check(buf, n, 21, 0);
    if (n < sizeof(data)) {
        ws2t_rcvtimeo(a, 5000);
        ws2t_recv_all(a, buf, sizeof(data) - n);
        ws2t_check(buf, sizeof(data) - n, 21, n);
    }
    struct sockaddr *loc, *rem;
    int llen, rlen;
    SOCKADDR_STORAGE name;
    int nlen = sizeof(name);
    pGetAcceptExSockaddrs(buf, RD, ADDR_BLOCK, ADDR_BLOCK, &loc, &llen, &rem,
                          &rlen);
    assert_wsa_ok(getsockname(c, (struct sockaddr *)&name, &nlen));
    same_addr(rem, rlen, &name, nlen);
    closesocket(c);
    closesocket(a);

    /* A client that leaves without sending: the request completes, with no
     * bytes. */
    a = new_tcp();
    assert_pending(
        pAcceptEx(l, a, buf, RD, ADDR_BLOCK, ADDR_BLOCK, &got, &ov));
    c = connect_to(&ss, len);
    closesocket(c);
    ws2t_wait_event(ov.hEvent, 5000);
    assert_true(WSAGetOverlappedResult(l, &ov, &n, FALSE, &fl));
    assert_int_equal(n, 0);
    closesocket(a);
    closesocket(l);
    WSACloseEvent(ov.hEvent);
}

/* The completion goes to the listening socket's port, with its key. */
static void test_acceptex_port(void **state)
{
    (void)state;
    SOCKADDR_STORAGE ss;
    int len;
    char buf[16 + 2 * ADDR_BLOCK];
    SOCKET l = listener(&ss, &len);
    HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    assert_non_null(port);
    assert_ptr_equal(CreateIoCompletionPort((HANDLE)l, port, 7, 0), port);
    SOCKET a[3];
    WSAOVERLAPPED ov[3];
    char bufs[3][16 + 2 * ADDR_BLOCK];
    DWORD got;
    for (int i = 0; i < 3; i++) {
        a[i] = new_tcp();
        memset(&ov[i], 0, sizeof(ov[i]));
        assert_pending(pAcceptEx(l, a[i], bufs[i], 16, ADDR_BLOCK, ADDR_BLOCK,
                                 &got, &ov[i]));
    }
    SOCKET c[3];
    for (int i = 0; i < 3; i++) {
        c[i] = connect_to(&ss, len);
        ws2t_fill(buf, 16, 30 + (uint32_t)i, 0);
        assert_int_equal(send(c[i], buf, 16, 0), 16);
    }
    int seen = 0;
    for (int i = 0; i < 3; i++) {
        DWORD n = POISON;
        ULONG_PTR key = POISON;
        LPOVERLAPPED o = NULL;
        if (!GetQueuedCompletionStatus(port, &n, &key, &o, 5000))
            fail_msg("no packet: error %u", GetLastError());
        assert_int_equal(key, 7);
        int k = (int)(o - ov);
        assert_true(k >= 0 && k < 3 && !(seen & (1 << k)));
        seen |= 1 << k;
        /* Requests are taken in order, but connections may be accepted
         * in any: check the data against its own client. */
        assert_int_equal(n, 16);
        SOCKADDR_STORAGE peer;
        int plen = sizeof(peer);
        assert_wsa_ok(getpeername(a[k], (struct sockaddr *)&peer, &plen));
        int j = 0;
        for (; j < 3; j++) {
            SOCKADDR_STORAGE cn;
            int clen = sizeof(cn);
            assert_wsa_ok(getsockname(c[j], (struct sockaddr *)&cn, &clen));
            if (clen == plen && !memcmp(&cn, &peer, (size_t)clen))
                break;
        }
        assert_true(j < 3);
        ws2t_check(bufs[k], 16, 30 + (uint32_t)j, 0);
    }
    for (int i = 0; i < 3; i++) {
        closesocket(c[i]);
        closesocket(a[i]);
    }
    closesocket(l);
    CloseHandle(port);
}

static _Atomic int routine_runs;
static DWORD routine_bytes, routine_err;
static void CALLBACK on_recv(DWORD err, DWORD n, LPWSAOVERLAPPED ov,
                             DWORD flags)
{
    (void)ov, (void)flags;
    routine_err = err;
    routine_bytes = n;
    atomic_fetch_add(&routine_runs, 1);
}

/* AcceptEx and ConnectEx take no completion routine; the sockets they give
 * take routines as any other. */
static void test_routines_on_result(void **state)
{
    (void)state;
    SOCKADDR_STORAGE ss;
    int len;
    char buf[2 * ADDR_BLOCK];
    SOCKET l = listener(&ss, &len);
    SOCKET a = new_tcp();
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    ov.hEvent = WSACreateEvent();
    DWORD got;
    assert_pending(pAcceptEx(l, a, buf, 0, ADDR_BLOCK, ADDR_BLOCK, &got, &ov));
    /* The client side with ConnectEx. */
    SOCKET c = new_tcp();
    SOCKADDR_STORAGE any;
    int alen;
    ws2t_loopback(AF_INET, 0, &any, &alen);
    assert_wsa_ok(bind(c, (struct sockaddr *)&any, alen));
    WSAOVERLAPPED cov;
    memset(&cov, 0, sizeof(cov));
    cov.hEvent = WSACreateEvent();
    assert_pending(pConnectEx(c, (struct sockaddr *)&ss, len, NULL, 0, &got,
                              &cov));
    ws2t_wait_event(cov.hEvent, 5000);
    ws2t_wait_event(ov.hEvent, 5000);
    DWORD n, fl;
    assert_true(WSAGetOverlappedResult(c, &cov, &n, FALSE, &fl));
    assert_true(WSAGetOverlappedResult(l, &ov, &n, FALSE, &fl));

    char rx[64], tx[64];
    WSABUF wb = {sizeof(rx), rx};
    WSAOVERLAPPED rov;
    memset(&rov, 0, sizeof(rov));
    fl = 0;
    atomic_store(&routine_runs, 0);
    int r = WSARecv(a, &wb, 1, NULL, &fl, &rov, on_recv);
    assert_true(r == 0 || WSAGetLastError() == WSA_IO_PENDING);
    ws2t_fill(tx, sizeof(tx), 41, 0);
    assert_int_equal(send(c, tx, sizeof(tx), 0), (int)sizeof(tx));
    for (int i = 0; i < 50 && !atomic_load(&routine_runs); i++)
        SleepEx(100, TRUE);
    assert_int_equal(atomic_load(&routine_runs), 1);
    assert_int_equal(routine_err, 0);
    assert_true(routine_bytes > 0);
    ws2t_check(rx, routine_bytes, 41, 0);
    closesocket(c);
    closesocket(a);
    closesocket(l);
    WSACloseEvent(ov.hEvent);
    WSACloseEvent(cov.hEvent);
}

/* ConnectEx sends lpSendBuffer once connected and completes with the
 * bytes sent; SO_UPDATE_CONNECT_CONTEXT then makes it a normal connected
 * socket; a second ConnectEx is WSAEISCONN. */
static void test_connectex_send(void **state)
{
    (void)state;
    SOCKADDR_STORAGE ss, any, name;
    int len, alen, nlen;
    SOCKET l = listener(&ss, &len);
    SOCKET c = new_tcp();
    ws2t_loopback(AF_INET, 0, &any, &alen);
    assert_wsa_ok(bind(c, (struct sockaddr *)&any, alen));
    enum { N = 100000 };
    char *data = malloc(N), *back = malloc(N);
    ws2t_fill(data, N, 51, 0);
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    ov.hEvent = WSACreateEvent();
    DWORD sent = POISON;
    assert_pending(
        pConnectEx(c, (struct sockaddr *)&ss, len, data, N, &sent, &ov));
    assert_int_equal(sent, POISON);
    SOCKET a = accept(l, NULL, NULL);
    assert_true(a != INVALID_SOCKET);
    ws2t_rcvtimeo(a, 5000);
    ws2t_recv_all(a, back, N);
    ws2t_check(back, N, 51, 0);
    ws2t_wait_event(ov.hEvent, 5000);
    DWORD n = POISON, fl;
    assert_true(WSAGetOverlappedResult(c, &ov, &n, FALSE, &fl));
    assert_int_equal(n, N);
    assert_wsa_ok(setsockopt(c, SOL_SOCKET, SO_UPDATE_CONNECT_CONTEXT, NULL,
                             0));
    nlen = sizeof(name);
    assert_wsa_ok(getpeername(c, (struct sockaddr *)&name, &nlen));
    assert_int_equal(nlen, len);
    assert_memory_equal(&name, &ss, (size_t)len);
    assert_fails(pConnectEx(c, (struct sockaddr *)&ss, len, NULL, 0, &sent,
                            &ov),
                 WSAEISCONN);
    /* And the connection carries data the other way. */
    assert_int_equal(send(a, data, 1000, 0), 1000);
    ws2t_rcvtimeo(c, 5000);
    ws2t_recv_all(c, back, 1000);
    ws2t_check(back, 1000, 51, 0);
    free(data);
    free(back);
    closesocket(a);
    closesocket(c);
    closesocket(l);
    WSACloseEvent(ov.hEvent);
}

/* The ConnectEx page: an unbound socket is WSAEINVAL; lpOverlapped is
 * required. A closed port completes with WSAECONNREFUSED (the port's
 * packet: ERROR_CONNECTION_REFUSED). */
static void test_connectex_errors(void **state)
{
    (void)state;
    SOCKADDR_STORAGE ss, any;
    int len, alen;
    SOCKET l = listener(&ss, &len);
    SOCKET c = new_tcp();
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    ov.hEvent = WSACreateEvent();
    DWORD sent = POISON;
    assert_fails(pConnectEx(c, (struct sockaddr *)&ss, len, NULL, 0, &sent,
                            &ov),
                 WSAEINVAL);
    assert_fails(pConnectEx(INVALID_SOCKET, (struct sockaddr *)&ss, len, NULL,
                            0, &sent, &ov),
                 WSAENOTSOCK);
    ws2t_loopback(AF_INET, 0, &any, &alen);
    assert_wsa_ok(bind(c, (struct sockaddr *)&any, alen));
    assert_fails(pConnectEx(c, (struct sockaddr *)&ss, len, NULL, 0, &sent,
                            NULL),
                 ERROR_INVALID_PARAMETER);
    ov.Internal = POISON;
    ov.InternalHigh = POISON;
    assert_fails(pConnectEx(l, (struct sockaddr *)&ss, len, NULL, 0, &sent,
                            &ov),
                 WSAEINVAL); /* a listening socket */
    /* Wine's test_connect, on Windows: pending even after a refusal, and
     * InternalHigh untouched. */
    assert_int_equal(ov.Internal, STATUS_PENDING);
    assert_int_equal(ov.InternalHigh, POISON);
    closesocket(l); /* now nothing listens on ss */

    assert_pending(
        pConnectEx(c, (struct sockaddr *)&ss, len, "x", 1, &sent, &ov));
    ws2t_wait_event(ov.hEvent, 5000);
    DWORD n = POISON, fl;
    assert_false(WSAGetOverlappedResult(c, &ov, &n, FALSE, &fl));
    assert_int_equal(WSAGetLastError(), WSAECONNREFUSED);
    assert_int_equal(n, 0);
    /* kernel32's GetOverlappedResult gives the Win32 code, and reads the
     * OVERLAPPED alone: it works after the socket is closed. */
    closesocket(c);
    n = POISON;
    assert_false(GetOverlappedResult((HANDLE)c, &ov, &n, FALSE));
    assert_int_equal(GetLastError(), ERROR_CONNECTION_REFUSED);
    assert_int_equal(n, 0);

    /* The same through a completion port. */
    c = new_tcp();
    assert_wsa_ok(bind(c, (struct sockaddr *)&any, alen));
    HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    assert_ptr_equal(CreateIoCompletionPort((HANDLE)c, port, 9, 0), port);
    WSAOVERLAPPED pov;
    memset(&pov, 0, sizeof(pov));
    assert_pending(
        pConnectEx(c, (struct sockaddr *)&ss, len, NULL, 0, &sent, &pov));
    DWORD pn = POISON;
    ULONG_PTR key = POISON;
    LPOVERLAPPED o = NULL;
    SetLastError(0);
    assert_false(GetQueuedCompletionStatus(port, &pn, &key, &o, 5000));
    assert_int_equal(GetLastError(), ERROR_CONNECTION_REFUSED);
    assert_ptr_equal(o, &pov);
    assert_int_equal(key, 9);
    closesocket(c);
    CloseHandle(port);
    WSACloseEvent(ov.hEvent);
}

/* ConnectEx through a port, success: the packet carries the bytes sent. */
static void test_connectex_port(void **state)
{
    (void)state;
    SOCKADDR_STORAGE ss, any;
    int len, alen;
    SOCKET l = listener(&ss, &len);
    SOCKET c = new_tcp();
    ws2t_loopback(AF_INET, 0, &any, &alen);
    assert_wsa_ok(bind(c, (struct sockaddr *)&any, alen));
    HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    assert_ptr_equal(CreateIoCompletionPort((HANDLE)c, port, 5, 0), port);
    char data[500], back[500];
    ws2t_fill(data, sizeof(data), 61, 0);
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    DWORD sent;
    assert_pending(pConnectEx(c, (struct sockaddr *)&ss, len, data,
                              sizeof(data), &sent, &ov));
    DWORD n = POISON;
    ULONG_PTR key = POISON;
    LPOVERLAPPED o = NULL;
    if (!GetQueuedCompletionStatus(port, &n, &key, &o, 5000))
        fail_msg("no packet: error %u", GetLastError());
    assert_ptr_equal(o, &ov);
    assert_int_equal(key, 5);
    assert_int_equal(n, sizeof(data));
    SOCKET a = accept(l, NULL, NULL);
    ws2t_rcvtimeo(a, 5000);
    ws2t_recv_all(a, back, sizeof(back));
    ws2t_check(back, sizeof(back), 61, 0);
    closesocket(a);
    closesocket(c);
    closesocket(l);
    CloseHandle(port);
}

/* DisconnectEx (Microsoft's page): a graceful close of the connection;
 * TF_REUSE_SOCKET leaves a socket AcceptEx and ConnectEx take again;
 * dwReserved must be 0; an unconnected socket is WSAENOTCONN. */
static void test_disconnectex(void **state)
{
    (void)state;
    SOCKADDR_STORAGE ss;
    int len;
    char buf[2 * ADDR_BLOCK];
    SOCKET l = listener(&ss, &len);
    SOCKET a = new_tcp();
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    ov.hEvent = WSACreateEvent();
    DWORD got, n, fl;
    assert_fails(pDisconnectEx(a, NULL, 0, 0), WSAENOTCONN);
    for (int round = 0; round < 2; round++) {
        WSAResetEvent(ov.hEvent);
        assert_pending(
            pAcceptEx(l, a, buf, 0, ADDR_BLOCK, ADDR_BLOCK, &got, &ov));
        SOCKET c = connect_to(&ss, len);
        ws2t_wait_event(ov.hEvent, 5000);
        assert_true(WSAGetOverlappedResult(l, &ov, &n, FALSE, &fl));
        assert_int_equal(send(c, "abc", 3, 0), 3);
        char rx[3];
        ws2t_rcvtimeo(a, 5000);
        ws2t_recv_all(a, rx, 3);
        assert_memory_equal(rx, "abc", 3);
        assert_fails(pDisconnectEx(a, &ov, TF_REUSE_SOCKET, 1), WSAEINVAL);
        WSAResetEvent(ov.hEvent);
        BOOL r = pDisconnectEx(a, &ov, TF_REUSE_SOCKET, 0);
        assert_true(r || WSAGetLastError() == ERROR_IO_PENDING);
        ws2t_wait_event(ov.hEvent, 5000);
        assert_true(WSAGetOverlappedResult(a, &ov, &n, FALSE, &fl));
        /* The peer sees the end of the stream. */
        assert_int_equal(recv(c, rx, sizeof(rx), 0), 0);
        closesocket(c);
    }
    closesocket(a);
    closesocket(l);
    WSACloseEvent(ov.hEvent);
}

/* IPv6: address blocks of sizeof(SOCKADDR_IN6) + 16 (shorter is
 * WSAEINVAL), ConnectEx to an IPv6 listener; CancelIoEx on the listener
 * ends a waiting AcceptEx with WSA_OPERATION_ABORTED. */
static void test_ipv6_and_cancel(void **state)
{
    (void)state;
    const DWORD blk = sizeof(SOCKADDR_IN6) + 16;
    char buf[8 + 2 * (sizeof(SOCKADDR_IN6) + 16)];
    SOCKET l = ws2t_bound(AF_INET6, SOCK_STREAM);
    assert_wsa_ok(listen(l, 4));
    SOCKADDR_STORAGE ss, any, name;
    int len, alen, nlen;
    ws2t_name(l, &ss, &len);
    SOCKET a = WSASocketW(AF_INET6, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
                          WSA_FLAG_OVERLAPPED);
    WSAOVERLAPPED ov, cov;
    memset(&ov, 0, sizeof(ov));
    memset(&cov, 0, sizeof(cov));
    ov.hEvent = WSACreateEvent();
    cov.hEvent = WSACreateEvent();
    DWORD got, n, fl;
    /* A block sized for IPv4 is short for IPv6: it pends (see
     * test_acceptex_short_blocks) until cancelled. */
    assert_pending(pAcceptEx(l, a, buf, 8, ADDR_BLOCK, blk, &got, &ov));
    assert_true(CancelIoEx((HANDLE)l, &ov));
    ws2t_wait_event(ov.hEvent, 5000);
    assert_false(WSAGetOverlappedResult(l, &ov, &n, FALSE, &fl));
    assert_int_equal(WSAGetLastError(), WSA_OPERATION_ABORTED);
    WSAResetEvent(ov.hEvent);
    assert_pending(pAcceptEx(l, a, buf, 8, blk, blk, &got, &ov));
    assert_true(CancelIoEx((HANDLE)l, &ov));
    ws2t_wait_event(ov.hEvent, 5000);
    assert_false(WSAGetOverlappedResult(l, &ov, &n, FALSE, &fl));
    assert_int_equal(WSAGetLastError(), WSA_OPERATION_ABORTED);

    WSAResetEvent(ov.hEvent);
    assert_pending(pAcceptEx(l, a, buf, 8, blk, blk, &got, &ov));
    SOCKET c = WSASocketW(AF_INET6, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
                          WSA_FLAG_OVERLAPPED);
    ws2t_loopback(AF_INET6, 0, &any, &alen);
    assert_wsa_ok(bind(c, (struct sockaddr *)&any, alen));
    char data[8];
    ws2t_fill(data, sizeof(data), 71, 0);
    assert_pending(pConnectEx(c, (struct sockaddr *)&ss, len, data,
                              sizeof(data), &got, &cov));
    ws2t_wait_event(cov.hEvent, 5000);
    ws2t_wait_event(ov.hEvent, 5000);
    assert_true(WSAGetOverlappedResult(c, &cov, &n, FALSE, &fl));
    assert_int_equal(n, sizeof(data));
    assert_true(WSAGetOverlappedResult(l, &ov, &n, FALSE, &fl));
    assert_true(n > 0);
    ws2t_check(buf, n, 71, 0);
    struct sockaddr *loc, *rem;
    int llen, rlen;
    pGetAcceptExSockaddrs(buf, 8, blk, blk, &loc, &llen, &rem, &rlen);
    assert_int_equal(loc->sa_family, AF_INET6);
    nlen = sizeof(name);
    assert_wsa_ok(getsockname(c, (struct sockaddr *)&name, &nlen));
    same_addr(rem, rlen, &name, nlen);
    nlen = sizeof(name);
    assert_wsa_ok(getpeername(c, (struct sockaddr *)&name, &nlen));
    same_addr(loc, llen, &name, nlen);
    closesocket(c);
    closesocket(a);
    closesocket(l);
    WSACloseEvent(ov.hEvent);
    WSACloseEvent(cov.hEvent);
}

/* Many AcceptEx at once through one port: each connection goes to exactly
 * one request; closing the listener aborts each of the rest exactly once. */
static void test_acceptex_many(void **state)
{
    (void)state;
    enum { N = 64, CONN = 40 };
    SOCKADDR_STORAGE ss;
    int len;
    SOCKET l = ws2t_bound(AF_INET, SOCK_STREAM);
    assert_wsa_ok(listen(l, SOMAXCONN));
    ws2t_name(l, &ss, &len);
    HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    assert_ptr_equal(CreateIoCompletionPort((HANDLE)l, port, 3, 0), port);
    static SOCKET a[N], c[CONN];
    static WSAOVERLAPPED ov[N];
    static char bufs[N][2 * ADDR_BLOCK];
    DWORD got;
    for (int i = 0; i < N; i++) {
        a[i] = new_tcp();
        memset(&ov[i], 0, sizeof(ov[i]));
        assert_pending(pAcceptEx(l, a[i], bufs[i], 0, ADDR_BLOCK, ADDR_BLOCK,
                                 &got, &ov[i]));
    }
    for (int i = 0; i < CONN; i++)
        c[i] = connect_to(&ss, len);
    int done[N] = {0}, ok = 0, aborted = 0;
    for (int i = 0; i < CONN; i++) {
        DWORD n;
        ULONG_PTR key;
        LPOVERLAPPED o = NULL;
        if (!GetQueuedCompletionStatus(port, &n, &key, &o, 5000))
            fail_msg("packet %d: error %u", i, GetLastError());
        int k = (int)(o - ov);
        assert_true(k >= 0 && k < N && !done[k]);
        done[k] = 1;
        ok++;
    }
    assert_int_equal(closesocket(l), 0);
    for (int i = 0; i < N - CONN; i++) {
        DWORD n;
        ULONG_PTR key;
        LPOVERLAPPED o = NULL;
        SetLastError(0);
        assert_false(GetQueuedCompletionStatus(port, &n, &key, &o, 5000));
        assert_int_equal(GetLastError(), ERROR_OPERATION_ABORTED);
        int k = (int)(o - ov);
        assert_true(k >= 0 && k < N && !done[k]);
        done[k] = 1;
        aborted++;
    }
    DWORD n;
    ULONG_PTR key;
    LPOVERLAPPED o = NULL;
    assert_false(GetQueuedCompletionStatus(port, &n, &key, &o, 100));
    assert_null(o);
    assert_int_equal(ok + aborted, N);
    /* Every accepted socket is a distinct live connection. */
    for (int i = 0; i < CONN; i++)
        assert_int_equal(send(c[i], (char *)&i, sizeof(i), 0), sizeof(i));
    int seen[CONN] = {0};
    for (int k = 0; k < N; k++) {
        SOCKADDR_STORAGE peer;
        int plen = sizeof(peer);
        if (getpeername(a[k], (struct sockaddr *)&peer, &plen) != 0)
            continue;
        int v = -1;
        ws2t_rcvtimeo(a[k], 5000);
        ws2t_recv_all(a[k], (char *)&v, sizeof(v));
        assert_true(v >= 0 && v < CONN && !seen[v]);
        seen[v] = 1;
    }
    for (int i = 0; i < CONN; i++) {
        assert_true(seen[i]);
        closesocket(c[i]);
    }
    for (int k = 0; k < N; k++)
        closesocket(a[k]);
    CloseHandle(port);
}

int main(void)
{
    if (ws2t_engine_or_skip())
        return 77;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pointers),
        cmocka_unit_test(test_acceptex_errors),
        cmocka_unit_test(test_acceptex_close_acceptor),
        cmocka_unit_test(test_acceptex_event),
        cmocka_unit_test(test_acceptex_no_local_block),
        cmocka_unit_test(test_acceptex_short_blocks),
        cmocka_unit_test(test_acceptex_data),
        cmocka_unit_test(test_acceptex_port),
        cmocka_unit_test(test_routines_on_result),
        cmocka_unit_test(test_connectex_send),
        cmocka_unit_test(test_connectex_errors),
        cmocka_unit_test(test_connectex_port),
        cmocka_unit_test(test_disconnectex),
        cmocka_unit_test(test_ipv6_and_cancel),
        cmocka_unit_test(test_acceptex_many),
    };
    return cmocka_run_group_tests(tests, fetch, ws2t_cleanup);
}
