/*
 * test_engine.c - the choice of engine: where io_uring is refused (as a
 * seccomp policy or kernel.io_uring_disabled refuses io_uring_setup), the
 * epoll backend is chosen by itself and overlapped I/O still works. The
 * program installs a seccomp filter that fails io_uring_setup with EPERM
 * before anything starts the engine.
 */
#define _GNU_SOURCE
#include <stdlib.h>

#include "util.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "engine/engine.h"

static int refuse_io_uring(void)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & 0xffff)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {sizeof(f) / sizeof(f[0]), f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
        return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/* The engine falls back to epoll, and an overlapped receive completes. */
static void test_fallback(void **state)
{
    (void)state;
    assert_int_equal(ws2__engine_start(), 0);
    assert_string_equal(ws2__engine_name(), "epoll");
    SOCKET a, b;
    ws2t_udp_pair(AF_INET, &a, &b, 1);
    WSAEVENT ev = WSACreateEvent();
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    ov.hEvent = ev;
    char in[8];
    WSABUF wb = {sizeof(in), in};
    DWORD got = POISON, fl = 0;
    assert_wsa_error(WSARecv(b, &wb, 1, &got, &fl, &ov, NULL), WSA_IO_PENDING);
    assert_int_equal(send(a, "epoll", 5, 0), 5);
    assert_int_equal(WSAWaitForMultipleEvents(1, &ev, TRUE, 5000, FALSE),
                     WSA_WAIT_EVENT_0);
    DWORD n, rfl;
    assert_true(WSAGetOverlappedResult(b, &ov, &n, FALSE, &rfl));
    assert_int_equal(n, 5);
    assert_memory_equal(in, "epoll", 5);
    WSACloseEvent(ev);
    closesocket(a);
    closesocket(b);
}

int main(void)
{
    if (refuse_io_uring() != 0) {
        printf("SKIP: cannot install a seccomp filter\n");
        return 77;
    }
    unsetenv("WS2POSIX_ENGINE");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fallback),
    };
    return cmocka_run_group_tests(tests, ws2t_startup, ws2t_cleanup);
}
