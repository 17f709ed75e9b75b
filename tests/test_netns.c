/*
 * test_netns.c - errors that need a network without routes. The program
 * moves itself into a new, empty network namespace (unshare(CLONE_NEWNET),
 * which needs root): there even loopback is down, so nothing can leave the
 * machine and every destination is unreachable. Skips (77) without the
 * privilege.
 */
#define _GNU_SOURCE
#include "util.h"

#include <sched.h>
#include <stdio.h>

/* WSPSendTo: "WSAENETUNREACH: Network cannot be reached from this host at
 * this time." Nothing is sent, and the count is untouched. (IPv4 only: in an
 * empty namespace IPv6 has no source address at all, which Linux reports
 * before it looks for a route.) */
static void test_send_unreachable(void **state)
{
    (void)state;
    static const int fams[] = {AF_INET};
    for (int f = 0; f < 1; f++) {
        SOCKET s = socket(fams[f], SOCK_DGRAM, 0);
        assert_true(s != INVALID_SOCKET);
        SOCKADDR_STORAGE to;
        int tolen;
        ws2t_loopback(fams[f], 9, &to, &tolen);
        WSABUF wb = {4, (CHAR *)"lost"};
        DWORD sent = POISON;
        assert_wsa_error(WSASendTo(s, &wb, 1, &sent, 0, (struct sockaddr *)&to,
                                   tolen, NULL, NULL),
                         WSAENETUNREACH);
        assert_int_equal(sent, POISON);
        closesocket(s);
    }
}

/* connect: "WSAENETUNREACH: The network cannot be reached from this host at
 * this time." */
static void test_connect_unreachable(void **state)
{
    (void)state;
    SOCKET s = socket(AF_INET, SOCK_STREAM, 0);
    SOCKADDR_STORAGE to;
    int tolen;
    ws2t_loopback(AF_INET, 9, &to, &tolen);
    assert_wsa_error(connect(s, (struct sockaddr *)&to, tolen),
                     WSAENETUNREACH);
    closesocket(s);
}

int main(void)
{
    if (unshare(CLONE_NEWNET) != 0) {
        printf("SKIP: cannot make a network namespace (needs root)\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_send_unreachable),
        cmocka_unit_test(test_connect_unreachable),
    };
    return cmocka_run_group_tests(tests, ws2t_startup, ws2t_cleanup);
}
