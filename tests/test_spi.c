/*
 * test_spi.c - the base provider seen as the SPI sees it: its WSPStartup
 * fills a WSPPROC_TABLE, given the upcall table, and every call reports
 * errors through lpErrno only (WSPSendTo: "a value of SOCKET_ERROR is
 * returned, and a specific error code is available in lpErrno"); the API's
 * last error is never touched by the provider.
 */
#include "util.h"

#include "spi/provider.h"

static WSPPROC_TABLE proc;

static const WSAPROTOCOL_INFOW *entry(int af, int type)
{
    unsigned n;
    const struct ws2__entry *e = ws2__catalog(&n);
    for (unsigned i = 0; i < n; i++)
        if (e[i].info.iAddressFamily == af && e[i].info.iSocketType == type)
            return &e[i].info;
    fail_msg("no catalog entry for %d/%d", af, type);
    return NULL;
}

static int setup(void **state)
{
    ws2t_startup(state);
    WSPDATA data;
    WSAPROTOCOL_INFOW info = *entry(AF_INET, SOCK_DGRAM);
    memset(&proc, 0, sizeof(proc));
    return ws2__tcpip_startup(MAKEWORD(2, 2), &data, &info, ws2__upcalls,
                              &proc);
}

/* WSPStartup fills every member of the table, and refuses versions before
 * 2.0. */
static void test_startup_table(void **state)
{
    (void)state;
    void *const *fn = (void *const *)&proc;
    for (size_t i = 0; i < sizeof(proc) / sizeof(void *); i++)
        assert_non_null(fn[i]);
    WSPDATA data;
    WSPPROC_TABLE t;
    WSAPROTOCOL_INFOW info = *entry(AF_INET, SOCK_DGRAM);
    assert_int_equal(ws2__tcpip_startup(MAKEWORD(1, 1), &data, &info,
                                        ws2__upcalls, &t),
                     WSAVERNOTSUPPORTED);
    assert_int_equal(ws2__tcpip_startup(MAKEWORD(2, 2), &data, &info,
                                        ws2__upcalls, &t),
                     0);
    assert_int_equal(data.wVersion, MAKEWORD(2, 2));
}

static SOCKET spi_socket(int af, int type)
{
    WSAPROTOCOL_INFOW info = *entry(af, type);
    int err = (int)POISON;
    SOCKET s = proc.lpWSPSocket(af, type, info.iProtocol, &info, 0,
                                WSA_FLAG_OVERLAPPED, &err);
    assert_true(s != INVALID_SOCKET);
    assert_int_equal(err, (int)POISON);
    return s;
}

/* WSPSendTo through the table: data arrives byte-exact; lpNumberOfBytesSent
 * is "the number of bytes sent by this call"; errors land in lpErrno. */
static void test_wspsendto(void **state)
{
    (void)state;
    SOCKET s = spi_socket(AF_INET, SOCK_DGRAM);
    SOCKET r = ws2t_bound(AF_INET, SOCK_DGRAM);
    SOCKADDR_STORAGE to;
    int tolen;
    ws2t_name(r, &to, &tolen);
    char out[512];
    ws2t_fill(out, sizeof(out), 21, 0);
    WSABUF wb[2] = {{12, out}, {500, out + 12}};
    DWORD sent = POISON;
    int err = (int)POISON;
    assert_int_equal(proc.lpWSPSendTo(s, wb, 2, &sent, 0,
                                      (struct sockaddr *)&to, tolen, NULL,
                                      NULL, NULL, &err),
                     0);
    assert_int_equal(sent, 512);
    assert_int_equal(err, (int)POISON);
    char in[600];
    assert_int_equal(recv(r, in, sizeof(in), 0), 512);
    ws2t_check(in, 512, 21, 0);

    /* Errors: through lpErrno, the thread's last error untouched. */
    WSASetLastError(77);
    static char big[65508];
    WSABUF over = {sizeof(big), big};
    sent = POISON;
    assert_int_equal(proc.lpWSPSendTo(s, &over, 1, &sent, 0,
                                      (struct sockaddr *)&to, tolen, NULL,
                                      NULL, NULL, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAEMSGSIZE);
    assert_int_equal(sent, POISON);
    assert_int_equal(proc.lpWSPSendTo(s, wb, 2, &sent, 0,
                                      (struct sockaddr *)&to, 3, NULL, NULL,
                                      NULL, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    assert_int_equal(proc.lpWSPSendTo(s, wb, 2, &sent, MSG_OOB,
                                      (struct sockaddr *)&to, tolen, NULL,
                                      NULL, NULL, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAEOPNOTSUPP);
    assert_int_equal(WSAGetLastError(), 77);

    int cerr;
    assert_int_equal(proc.lpWSPCloseSocket(s, &cerr), 0);
    assert_int_equal(proc.lpWSPSendTo(s, wb, 2, &sent, 0,
                                      (struct sockaddr *)&to, tolen, NULL,
                                      NULL, NULL, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAENOTSOCK);
    closesocket(r);
}

/* WSPSend on a stream, and the API reaching the same socket: a handle from
 * the provider is a handle of the API too. */
static void test_wspsend_stream(void **state)
{
    (void)state;
    SOCKET l = ws2t_bound(AF_INET6, SOCK_STREAM);
    assert_wsa_ok(listen(l, 1));
    SOCKADDR_STORAGE to;
    int tolen;
    ws2t_name(l, &to, &tolen);
    SOCKET s = spi_socket(AF_INET6, SOCK_STREAM);
    int err = (int)POISON;
    assert_int_equal(proc.lpWSPConnect(s, (struct sockaddr *)&to, tolen, NULL,
                                       NULL, NULL, NULL, &err),
                     0);
    SOCKET a = accept(l, NULL, NULL);
    assert_true(a != INVALID_SOCKET);
    ws2t_rcvtimeo(a, 5000);
    char out[100];
    ws2t_fill(out, sizeof(out), 22, 0);
    WSABUF wb = {100, out};
    DWORD sent = POISON;
    assert_int_equal(proc.lpWSPSend(s, &wb, 1, &sent, 0, NULL, NULL, NULL,
                                    &err),
                     0);
    assert_int_equal(sent, 100);
    assert_int_equal(send(s, out, 10, 0), 10); /* the API on the same one */
    char in[110];
    ws2t_recv_all(a, in, 110);
    ws2t_check(in, 100, 22, 0);
    ws2t_check(in + 100, 10, 22, 0);
    closesocket(s);
    closesocket(a);
    closesocket(l);
}

/* The upcalls: WPUQuerySocketHandleContext finds a socket's context,
 * WPUCreateSocketHandle / WPUCloseSocketHandle make and end handles of the
 * same table (as a layered provider would). */
static void test_upcalls(void **state)
{
    (void)state;
    SOCKET s = socket(AF_INET, SOCK_DGRAM, 0);
    DWORD_PTR ctx = 0;
    int err = (int)POISON;
    assert_int_equal(ws2__upcalls.lpWPUQuerySocketHandleContext(s, &ctx, &err),
                     0);
    assert_true(ctx != 0);
    closesocket(s);
    assert_int_equal(ws2__upcalls.lpWPUQuerySocketHandleContext(s, &ctx, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAENOTSOCK);

    DWORD id = entry(AF_INET, SOCK_DGRAM)->dwCatalogEntryId;
    SOCKET h = ws2__upcalls.lpWPUCreateSocketHandle(id, 1234, &err);
    assert_true(h != INVALID_SOCKET);
    assert_int_equal(h % 4, 0);
    assert_int_equal(ws2__upcalls.lpWPUQuerySocketHandleContext(h, &ctx, &err),
                     0);
    assert_int_equal(ctx, 1234);
    assert_int_equal(ws2__upcalls.lpWPUCloseSocketHandle(h, &err), 0);
    assert_int_equal(ws2__upcalls.lpWPUCloseSocketHandle(h, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAENOTSOCK);
    assert_true(ws2__upcalls.lpWPUCreateSocketHandle(999999, 1, &err) ==
                INVALID_SOCKET);
    assert_int_equal(err, WSAEINVALIDPROVIDER);

    fd_set set;
    FD_ZERO(&set);
    FD_SET(h, &set);
    assert_true(ws2__upcalls.lpWPUFDIsSet(h, &set));
    assert_false(ws2__upcalls.lpWPUFDIsSet(h + 4, &set));
}

/* ws2posix_get_fd: the Linux descriptor behind a base-provider socket, or
 * -1 with WSAENOTSOCK for anything else. */
static void test_get_fd(void **state)
{
    (void)state;
    SOCKET s = socket(AF_INET, SOCK_DGRAM, 0);
    int fd = ws2posix_get_fd(s);
    assert_true(fd > 2);
    closesocket(s);
    WSASetLastError(0);
    assert_int_equal(ws2posix_get_fd(s), -1);
    assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
}

/* WPUCompleteOverlappedRequest: "performs overlapped I/O completion
 * notification" - InternalHigh the count, Internal the error (no longer
 * pending), the event set; the low bit of hEvent is not the event's. And
 * WSPGetOverlappedResult through the table reads them back. */
static void test_complete_overlapped(void **state)
{
    (void)state;
    SOCKET s = spi_socket(AF_INET, SOCK_DGRAM);
    WSAEVENT ev = WSACreateEvent();
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    ov.Internal = STATUS_PENDING;
    ov.hEvent = (WSAEVENT)((uintptr_t)ev | 1);
    int err = (int)POISON;
    DWORD n = POISON, fl = POISON;
    assert_false(proc.lpWSPGetOverlappedResult(s, &ov, &n, FALSE, &fl, &err));
    assert_int_equal(err, WSA_IO_INCOMPLETE);
    assert_int_equal(WPUCompleteOverlappedRequest(s, &ov, 0, 42, &err), 0);
    assert_true(HasOverlappedIoCompleted(&ov));
    assert_int_equal(ov.InternalHigh, 42);
    assert_int_equal(WSAWaitForMultipleEvents(1, &ev, TRUE, 0, FALSE),
                     WSA_WAIT_EVENT_0);
    assert_true(proc.lpWSPGetOverlappedResult(s, &ov, &n, TRUE, &fl, &err));
    assert_int_equal(n, 42);
    ov.Internal = STATUS_PENDING;
    assert_int_equal(WPUCompleteOverlappedRequest(s, &ov, WSAECONNRESET, 7,
                                                  &err),
                     0);
    assert_false(proc.lpWSPGetOverlappedResult(s, &ov, &n, TRUE, &fl, &err));
    assert_int_equal(err, WSAECONNRESET);
    assert_int_equal(n, 7);
    assert_int_equal(WPUCompleteOverlappedRequest(s, NULL, 0, 0, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSA_INVALID_PARAMETER);
    WSACloseEvent(ev);
    int cerr;
    proc.lpWSPCloseSocket(s, &cerr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_startup_table),
        cmocka_unit_test(test_wspsendto),
        cmocka_unit_test(test_wspsend_stream),
        cmocka_unit_test(test_upcalls),
        cmocka_unit_test(test_get_fd),
        cmocka_unit_test(test_complete_overlapped),
    };
    return cmocka_run_group_tests(tests, setup, ws2t_cleanup);
}
