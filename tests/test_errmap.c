/*
 * test_errmap.c - the one errno -> WSAE* table (ws2__wsa_error, internal,
 * src/tcpip/lx.h): every Linux errno and every operation gives a Windows
 * socket error, never 0 and never a Linux number; the rows that matter are
 * checked exactly, and so are the rows where Windows differs by operation.
 */
#include "util.h"

#include <errno.h>
#include <stdio.h>

#include "tcpip/lx.h"

/* EHWPOISON, the highest errno Linux defines. */
#define LAST_ERRNO 133

static const struct {
    enum ws2__op op;
    const char *name;
} ops[] = {
    {WS2__OP_ANY, "ANY"},         {WS2__OP_SEND, "SEND"},
    {WS2__OP_RECV, "RECV"},       {WS2__OP_CONNECT, "CONNECT"},
    {WS2__OP_ACCEPT, "ACCEPT"},   {WS2__OP_BIND, "BIND"},
    {WS2__OP_SOCKET, "SOCKET"},
};

/* Winsock's own codes are 10000..11999 ("Windows Sockets Error Codes");
 * WSA_OPERATION_ABORTED is ERROR_OPERATION_ABORTED, 995. */
static int in_windows_range(int code)
{
    return (code >= 10000 && code <= 11999) || code == WSA_OPERATION_ABORTED;
}

/* DESIGN.md: "One table maps errno to WSAE*"; STYLE.md: "a test walks every
 * errno so none falls through unmapped". */
static void test_every_errno_every_op(void **state)
{
    (void)state;
    for (size_t o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
        for (int e = 1; e <= LAST_ERRNO; e++) {
            int w = ws2__wsa_error(e, ops[o].op);
            if (!in_windows_range(w))
                fail_msg("ws2__wsa_error(%d, OP_%s) = %d: not a Windows "
                         "socket error",
                         e, ops[o].name, w);
        }
        /* Nonsense in still gives a Windows error out. */
        assert_true(in_windows_range(ws2__wsa_error(0, ops[o].op)));
        assert_true(in_windows_range(ws2__wsa_error(-1, ops[o].op)));
        assert_true(in_windows_range(ws2__wsa_error(LAST_ERRNO + 1,
                                                    ops[o].op)));
        assert_true(in_windows_range(ws2__wsa_error(100000, ops[o].op)));
    }
}

/* The rows applications test for by value. Each is the Windows error that
 * names the same condition ("Windows Sockets Error Codes": WSAEWOULDBLOCK
 * "Resource temporarily unavailable", WSAECONNRESET "Connection reset by
 * peer", WSAEMSGSIZE "Message too long", WSAEACCES "Permission denied", ...).
 */
static void test_exact_rows(void **state)
{
    (void)state;
    static const struct {
        int err, wsa;
        const char *name;
    } rows[] = {
        {EAGAIN, WSAEWOULDBLOCK, "EAGAIN"},
        {EWOULDBLOCK, WSAEWOULDBLOCK, "EWOULDBLOCK"},
        {ECONNRESET, WSAECONNRESET, "ECONNRESET"},
        {EMSGSIZE, WSAEMSGSIZE, "EMSGSIZE"},
        {EACCES, WSAEACCES, "EACCES"},
        {EPERM, WSAEACCES, "EPERM"},
        {EINTR, WSAEINTR, "EINTR"},
        {EBADF, WSAENOTSOCK, "EBADF"},
        {ENOTSOCK, WSAENOTSOCK, "ENOTSOCK"},
        {EFAULT, WSAEFAULT, "EFAULT"},
        {EINVAL, WSAEINVAL, "EINVAL"},
        {EMFILE, WSAEMFILE, "EMFILE"},
        {ENFILE, WSAEMFILE, "ENFILE"},
        {ENOBUFS, WSAENOBUFS, "ENOBUFS"},
        {ENOMEM, WSAENOBUFS, "ENOMEM"},
        {EADDRINUSE, WSAEADDRINUSE, "EADDRINUSE"},
        {EADDRNOTAVAIL, WSAEADDRNOTAVAIL, "EADDRNOTAVAIL"},
        {EAFNOSUPPORT, WSAEAFNOSUPPORT, "EAFNOSUPPORT"},
        {EPFNOSUPPORT, WSAEPFNOSUPPORT, "EPFNOSUPPORT"},
        {EPROTONOSUPPORT, WSAEPROTONOSUPPORT, "EPROTONOSUPPORT"},
        {ESOCKTNOSUPPORT, WSAESOCKTNOSUPPORT, "ESOCKTNOSUPPORT"},
        {EPROTOTYPE, WSAEPROTOTYPE, "EPROTOTYPE"},
        {ENOPROTOOPT, WSAENOPROTOOPT, "ENOPROTOOPT"},
        {EOPNOTSUPP, WSAEOPNOTSUPP, "EOPNOTSUPP"},
        {EDESTADDRREQ, WSAEDESTADDRREQ, "EDESTADDRREQ"},
        {ENETDOWN, WSAENETDOWN, "ENETDOWN"},
        {ENETUNREACH, WSAENETUNREACH, "ENETUNREACH"},
        {ENETRESET, WSAENETRESET, "ENETRESET"},
        {ECONNABORTED, WSAECONNABORTED, "ECONNABORTED"},
        {ECONNREFUSED, WSAECONNREFUSED, "ECONNREFUSED"},
        {EISCONN, WSAEISCONN, "EISCONN"},
        {ENOTCONN, WSAENOTCONN, "ENOTCONN"},
        {ESHUTDOWN, WSAESHUTDOWN, "ESHUTDOWN"},
        {ETIMEDOUT, WSAETIMEDOUT, "ETIMEDOUT"},
        {EHOSTDOWN, WSAEHOSTDOWN, "EHOSTDOWN"},
        {EHOSTUNREACH, WSAEHOSTUNREACH, "EHOSTUNREACH"},
        {EALREADY, WSAEALREADY, "EALREADY"},
        {EINPROGRESS, WSAEINPROGRESS, "EINPROGRESS"},
        {ETOOMANYREFS, WSAETOOMANYREFS, "ETOOMANYREFS"},
        {ELOOP, WSAELOOP, "ELOOP"},
        {ENAMETOOLONG, WSAENAMETOOLONG, "ENAMETOOLONG"},
        {ENOTEMPTY, WSAENOTEMPTY, "ENOTEMPTY"},
        {EUSERS, WSAEUSERS, "EUSERS"},
        {EDQUOT, WSAEDQUOT, "EDQUOT"},
        {ESTALE, WSAESTALE, "ESTALE"},
        {EREMOTE, WSAEREMOTE, "EREMOTE"},
        {ECANCELED, WSA_OPERATION_ABORTED, "ECANCELED"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int w = ws2__wsa_error(rows[i].err, WS2__OP_ANY);
        if (w != rows[i].wsa)
            fail_msg("ws2__wsa_error(%s, OP_ANY) = %d, wanted %d", rows[i].name,
                     w, rows[i].wsa);
    }
}

/* Rows where Windows names the same Linux condition differently for one
 * operation. */
static void test_per_operation_rows(void **state)
{
    (void)state;
    /* connect: "With a nonblocking socket, the connection attempt cannot be
     * completed immediately. In this case, connect will return SOCKET_ERROR,
     * and WSAGetLastError will return WSAEWOULDBLOCK." (connect function) */
    assert_int_equal(ws2__wsa_error(EINPROGRESS, WS2__OP_CONNECT),
                     WSAEWOULDBLOCK);
    assert_int_equal(ws2__wsa_error(EALREADY, WS2__OP_CONNECT), WSAEALREADY);
    assert_int_equal(ws2__wsa_error(EISCONN, WS2__OP_CONNECT), WSAEISCONN);
    assert_int_equal(ws2__wsa_error(ECONNREFUSED, WS2__OP_CONNECT),
                     WSAECONNREFUSED);
    assert_int_equal(ws2__wsa_error(ETIMEDOUT, WS2__OP_CONNECT),
                     WSAETIMEDOUT);
    assert_int_equal(ws2__wsa_error(ENETUNREACH, WS2__OP_CONNECT),
                     WSAENETUNREACH);
    /* Only connect says "would block" for EINPROGRESS. */
    assert_int_equal(ws2__wsa_error(EINPROGRESS, WS2__OP_ANY),
                     WSAEINPROGRESS);

    /* recv on UDP: "WSAECONNRESET ... On a UDP-datagram socket this error
     * indicates a previous send operation resulted in an ICMP Port
     * Unreachable message." (recv function) Linux says ECONNREFUSED. */
    assert_int_equal(ws2__wsa_error(ECONNREFUSED, WS2__OP_RECV),
                     WSAECONNRESET);
    assert_int_equal(ws2__wsa_error(ECONNRESET, WS2__OP_RECV), WSAECONNRESET);
    assert_int_equal(ws2__wsa_error(EAGAIN, WS2__OP_RECV), WSAEWOULDBLOCK);

    /* send: "WSAECONNRESET The virtual circuit was reset by the remote side
     * executing a hard or abortive close." (send function) Linux reports a
     * send after the reset as EPIPE. */
    assert_int_equal(ws2__wsa_error(EPIPE, WS2__OP_SEND), WSAECONNRESET);
    assert_int_equal(ws2__wsa_error(ECONNRESET, WS2__OP_SEND), WSAECONNRESET);
    assert_int_equal(ws2__wsa_error(EMSGSIZE, WS2__OP_SEND), WSAEMSGSIZE);
    assert_int_equal(ws2__wsa_error(EAGAIN, WS2__OP_SEND), WSAEWOULDBLOCK);

    /* bind: "WSAEINVAL ... This error is returned of the socket s is
     * already bound to an address." (bind function) */
    assert_int_equal(ws2__wsa_error(EINVAL, WS2__OP_BIND), WSAEINVAL);
    assert_int_equal(ws2__wsa_error(EADDRINUSE, WS2__OP_BIND), WSAEADDRINUSE);
    assert_int_equal(ws2__wsa_error(EADDRNOTAVAIL, WS2__OP_BIND),
                     WSAEADDRNOTAVAIL);
    assert_int_equal(ws2__wsa_error(EACCES, WS2__OP_BIND), WSAEACCES);

    /* accept and socket creation keep the common rows. */
    assert_int_equal(ws2__wsa_error(EAGAIN, WS2__OP_ACCEPT), WSAEWOULDBLOCK);
    assert_int_equal(ws2__wsa_error(EMFILE, WS2__OP_ACCEPT), WSAEMFILE);
    assert_int_equal(ws2__wsa_error(EAFNOSUPPORT, WS2__OP_SOCKET),
                     WSAEAFNOSUPPORT);
    assert_int_equal(ws2__wsa_error(EPROTONOSUPPORT, WS2__OP_SOCKET),
                     WSAEPROTONOSUPPORT);
}

/* The per-operation rows are exceptions: everything else agrees with
 * OP_ANY, so an operation never invents a code for a common errno. */
static void test_operations_agree_elsewhere(void **state)
{
    (void)state;
    static const struct {
        enum ws2__op op;
        int err;
    } exceptions[] = {
        {WS2__OP_CONNECT, EINPROGRESS},
        {WS2__OP_CONNECT, EAGAIN},
        {WS2__OP_SEND, EPIPE},
        {WS2__OP_RECV, ECONNREFUSED},
    };
    for (size_t o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
        for (int e = 1; e <= LAST_ERRNO; e++) {
            int skip = 0;
            for (size_t x = 0; x < sizeof(exceptions) / sizeof(exceptions[0]);
                 x++)
                skip |= exceptions[x].op == ops[o].op &&
                        exceptions[x].err == e;
            if (skip)
                continue;
            int a = ws2__wsa_error(e, WS2__OP_ANY);
            int b = ws2__wsa_error(e, ops[o].op);
            if (a != b)
                fail_msg("errno %d: OP_%s gives %d, OP_ANY %d (an exception "
                         "not listed in this test)",
                         e, ops[o].name, b, a);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_errno_every_op),
        cmocka_unit_test(test_exact_rows),
        cmocka_unit_test(test_per_operation_rows),
        cmocka_unit_test(test_operations_agree_elsewhere),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
