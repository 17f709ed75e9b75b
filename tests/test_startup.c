/*
 * test_startup.c - WSAStartup / WSACleanup: version negotiation, WSADATA,
 * reference counting, and WSANOTINITIALISED before start-up and after the
 * last clean-up.
 */
#include "util.h"

/* Windows: major 0 fails with WSAVERNOTSUPPORTED (wVersion still 2.2),
 * 1.x gives at most 1.1, 2.x and above at most 2.2. */
static void test_versions(void **state)
{
    (void)state;
    static const struct {
        WORD req, got;
        int ret;
    } rows[] = {
        {MAKEWORD(0, 0), MAKEWORD(2, 2), WSAVERNOTSUPPORTED},
        {MAKEWORD(0, 1), MAKEWORD(2, 2), WSAVERNOTSUPPORTED},
        {MAKEWORD(1, 0), MAKEWORD(1, 0), 0},
        {MAKEWORD(1, 1), MAKEWORD(1, 1), 0},
        {MAKEWORD(1, 2), MAKEWORD(1, 1), 0},
        {MAKEWORD(1, 0xff), MAKEWORD(1, 1), 0},
        {MAKEWORD(2, 0), MAKEWORD(2, 0), 0},
        {MAKEWORD(2, 1), MAKEWORD(2, 1), 0},
        {MAKEWORD(2, 2), MAKEWORD(2, 2), 0},
        {MAKEWORD(2, 3), MAKEWORD(2, 2), 0},
        {MAKEWORD(3, 0), MAKEWORD(2, 2), 0},
        {MAKEWORD(0xff, 0xff), MAKEWORD(2, 2), 0},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        WSADATA d;
        memset(&d, 0xcc, sizeof(d));
        int r = WSAStartup(rows[i].req, &d);
        if (r != rows[i].ret || d.wVersion != rows[i].got)
            fail_msg("WSAStartup(0x%04x): ret %d wVersion 0x%04x, wanted %d "
                     "0x%04x",
                     rows[i].req, r, d.wVersion, rows[i].ret, rows[i].got);
        assert_int_equal(d.wHighVersion, MAKEWORD(2, 2));
        assert_string_equal(d.szDescription, "WinSock 2.0");
        assert_string_equal(d.szSystemStatus, "Running");
        if (r == 0)
            assert_int_equal(WSACleanup(), 0);
        /* A failed start-up is not counted. */
        assert_wsa_error(WSACleanup(), WSANOTINITIALISED);
    }
}

static void test_null_data(void **state)
{
    (void)state;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), NULL), WSAEFAULT);
    assert_wsa_error(WSACleanup(), WSANOTINITIALISED);
}

static void test_not_initialised(void **state)
{
    (void)state;
    WSASetLastError(0);
    assert_true(socket(AF_INET, SOCK_DGRAM, 0) == INVALID_SOCKET);
    assert_int_equal(WSAGetLastError(), WSANOTINITIALISED);
    WSABUF b = {1, (CHAR *)"x"};
    DWORD sent = POISON;
    assert_wsa_error(WSASend(4, &b, 1, &sent, 0, NULL, NULL),
                     WSANOTINITIALISED);
    assert_int_equal(sent, POISON);
    assert_wsa_error(WSASendTo(4, &b, 1, &sent, 0, NULL, 0, NULL, NULL),
                     WSANOTINITIALISED);
    assert_wsa_error(send(4, "x", 1, 0), WSANOTINITIALISED);
    assert_wsa_error(sendto(4, "x", 1, 0, NULL, 0), WSANOTINITIALISED);
    assert_wsa_error(closesocket(4), WSANOTINITIALISED);
}

/* Start-up is counted; the last WSACleanup closes sockets still open. */
static void test_refcount(void **state)
{
    (void)state;
    WSADATA d;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0);
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0);
    SOCKET s = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(s != INVALID_SOCKET);
    assert_int_equal(WSACleanup(), 0);
    /* Still started: the socket is alive. */
    u_long nb = 1;
    assert_wsa_ok(ioctlsocket(s, FIONBIO, &nb));
    assert_int_equal(WSACleanup(), 0);
    assert_wsa_error(closesocket(s), WSANOTINITIALISED);
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0);
    /* The last clean-up closed it. */
    assert_wsa_error(closesocket(s), WSAENOTSOCK);
    assert_int_equal(WSACleanup(), 0);
}

static void test_last_error_per_thread(void **state)
{
    (void)state;
    WSASetLastError(12345);
    assert_int_equal(WSAGetLastError(), 12345);
    WSASetLastError(0);
    assert_int_equal(WSAGetLastError(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_null_data),
        cmocka_unit_test(test_not_initialised),
        cmocka_unit_test(test_refcount),
        cmocka_unit_test(test_last_error_per_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
