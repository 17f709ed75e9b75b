/*
 * test_iflist.c - the interface queries of WSAIoctl against interfaces
 * this program makes. It moves itself into a new network namespace
 * (unshare(CLONE_NEWNET), which needs root; skips with 77 without) and
 * builds there, with ip(8):
 *   lo   127.0.0.1/8, ::1, and 10.7.0.1/32, 2001:db8:7::1/128 beside them;
 *   v0   (a veth, up, its peer up) 10.9.0.1/24, 2001:db8::1/64 preferred,
 *        2001:db8::2/64 deprecated (preferred_lft 0);
 *   v2   (a veth, down) 2001:db8:2::1/64, tentative while the link is down;
 *   t0   (a tun, up without a carrier) 10.8.0.1 peer 10.8.0.2.
 * IPv6 link-local addresses are not made (addrgenmode none), so the lists
 * are exactly known.
 */
#define _GNU_SOURCE
#include "util.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

static int sh(const char *cmd)
{
    char line[512];
    snprintf(line, sizeof(line), "%s >/dev/null 2>&1", cmd);
    return system(line);
}

static int make_interfaces(void)
{
    static const char *const cmds[] = {
        "ip link set lo up",
        "ip addr add 10.7.0.1/32 dev lo",
        "ip -6 addr add 2001:db8:7::1/128 dev lo",
        "ip link add v0 type veth peer name v1",
        "ip link set v0 addrgenmode none",
        "ip link set v1 addrgenmode none",
        "ip addr add 10.9.0.1/24 dev v0",
        "ip -6 addr add 2001:db8::1/64 dev v0 nodad",
        "ip -6 addr add 2001:db8::2/64 dev v0 nodad preferred_lft 0",
        "ip link set v1 up",
        "ip link set v0 up",
        "ip link add v2 type veth peer name v3",
        "ip link set v2 addrgenmode none",
        "ip -6 addr add 2001:db8:2::1/64 dev v2",
        "ip tuntap add t0 mode tun",
        "ip link set t0 addrgenmode none",
        "ip addr add 10.8.0.1 peer 10.8.0.2 dev t0",
        "ip link set t0 up",
    };
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        if (sh(cmds[i]) != 0) {
            printf("setup failed: %s\n", cmds[i]);
            return -1;
        }
    return 0;
}

static DWORD v4(const char *s)
{
    IN_ADDR a;
    assert_int_equal(inet_pton(AF_INET, s, &a), 1);
    return a.s_addr;
}

/* The addresses of a SOCKET_ADDRESS_LIST as text, sorted, joined by
 * spaces; and the list's layout checked on the way: every entry points
 * into the buffer, past the entries, at an address of the socket's
 * family and of the length given, each after the last. */
static void list_text(const char *buf, DWORD bytes, int af, char *out,
                      size_t outlen)
{
    const SOCKET_ADDRESS_LIST *l = (const SOCKET_ADDRESS_LIST *)buf;
    int n = l->iAddressCount;
    char names[8][INET6_ADDRSTRLEN];
    assert_in_range(n, 0, 8);
    const char *next = buf + SIZEOF_SOCKET_ADDRESS_LIST(n);
    for (int i = 0; i < n; i++) {
        const char *p = (const char *)l->Address[i].lpSockaddr;
        int len = l->Address[i].iSockaddrLength;
        assert_ptr_equal(p, next);
        assert_int_equal(len, af == AF_INET ? (int)sizeof(SOCKADDR_IN)
                                            : (int)sizeof(SOCKADDR_IN6));
        next = p + len;
        const SOCKADDR *sa = (const SOCKADDR *)p;
        assert_int_equal(sa->sa_family, af);
        const void *addr =
            af == AF_INET
                ? (const void *)&((const SOCKADDR_IN *)p)->sin_addr
                : (const void *)&((const SOCKADDR_IN6 *)p)->sin6_addr;
        assert_non_null(inet_ntop(af, addr, names[i], sizeof(names[i])));
    }
    assert_ptr_equal(next, buf + bytes);
    /* sorted, so that the test does not depend on getifaddrs' order */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char t[INET6_ADDRSTRLEN];
            strcpy(t, names[j]);
            strcpy(names[j], names[j - 1]);
            strcpy(names[j - 1], t);
        }
    out[0] = 0;
    for (int i = 0; i < n; i++) {
        if (i)
            strncat(out, " ", outlen - strlen(out) - 1);
        strncat(out, names[i], outlen - strlen(out) - 1);
    }
}

/* SIO_ADDRESS_LIST_QUERY: the page's exclusions. IPv4: 127.0.0.1 on the
 * loopback interface is left out, another address on it (10.7.0.1) is
 * not, and an interface without a carrier still has its address. IPv6:
 * ::1 is left out, and so are the deprecated and the tentative address. */
static void test_address_list(void **state)
{
    (void)state;
    static const struct {
        int af;
        const char *want;
    } cases[] = {
        {AF_INET, "10.7.0.1 10.8.0.1 10.9.0.1"},
        {AF_INET6, "2001:db8:7::1 2001:db8::1"},
    };
    for (size_t c = 0; c < 2; c++) {
        SOCKET s = socket(cases[c].af, SOCK_DGRAM, 0);
        assert_true(s != INVALID_SOCKET);
        _Alignas(8) char buf[512];
        DWORD bytes = POISON;
        assert_wsa_ok(WSAIoctl(s, SIO_ADDRESS_LIST_QUERY, NULL, 0, buf,
                               sizeof(buf), &bytes, NULL, NULL));
        char text[256];
        list_text(buf, bytes, cases[c].af, text, sizeof(text));
        assert_string_equal(text, cases[c].want);
        closesocket(s);
    }
}

/* SIO_GET_INTERFACE_LIST: every IPv4 address, the loopback one too, with
 * the interface's flags, its netmask, and as "broadcast" address
 * 255.255.255.255 on a broadcast link, the far end on a point-to-point
 * link, nothing on loopback. Up means up with a carrier (t0 has none). */
static void test_interface_list(void **state)
{
    (void)state;
    static const struct {
        const char *addr, *mask, *bcast;
        ULONG flags;
    } want[] = {
        {"127.0.0.1", "255.0.0.0", "0.0.0.0", IFF_UP | IFF_LOOPBACK},
        {"10.7.0.1", "255.255.255.255", "0.0.0.0", IFF_UP | IFF_LOOPBACK},
        {"10.9.0.1", "255.255.255.0", "255.255.255.255",
         IFF_UP | IFF_BROADCAST | IFF_MULTICAST},
        {"10.8.0.1", "255.255.255.255", "10.8.0.2",
         IFF_POINTTOPOINT | IFF_MULTICAST},
    };
    SOCKET s = socket(AF_INET, SOCK_STREAM, 0);
    INTERFACE_INFO ii[8];
    DWORD bytes = POISON;
    assert_wsa_ok(WSAIoctl(s, SIO_GET_INTERFACE_LIST, NULL, 0, ii, sizeof(ii),
                           &bytes, NULL, NULL));
    assert_int_equal(bytes, 4 * sizeof(INTERFACE_INFO));
    for (size_t w = 0; w < 4; w++) {
        int found = 0;
        for (size_t i = 0; i < 4; i++) {
            if (ii[i].iiAddress.AddressIn.sin_addr.s_addr != v4(want[w].addr))
                continue;
            found++;
            assert_int_equal(ii[i].iiFlags, want[w].flags);
            assert_int_equal(ii[i].iiAddress.AddressIn.sin_family, AF_INET);
            assert_int_equal(ii[i].iiAddress.AddressIn.sin_port, 0);
            assert_int_equal(ii[i].iiNetmask.AddressIn.sin_addr.s_addr,
                             v4(want[w].mask));
            assert_int_equal(
                ii[i].iiBroadcastAddress.AddressIn.sin_addr.s_addr,
                v4(want[w].bcast));
        }
        if (found != 1)
            fail_msg("%s listed %d times", want[w].addr, found);
    }
    /* Exactly the room for the list, and one byte less: WSAEFAULT, and no
     * size comes back. */
    bytes = POISON;
    assert_wsa_ok(WSAIoctl(s, SIO_GET_INTERFACE_LIST, NULL, 0, ii,
                           4 * sizeof(INTERFACE_INFO), &bytes, NULL, NULL));
    assert_int_equal(bytes, 4 * sizeof(INTERFACE_INFO));
    bytes = POISON;
    assert_wsa_error(WSAIoctl(s, SIO_GET_INTERFACE_LIST, NULL, 0, ii,
                              4 * sizeof(INTERFACE_INFO) - 1, &bytes, NULL,
                              NULL),
                     WSAEFAULT);
    assert_int_equal(bytes, 0);
    closesocket(s);
}

/* SIO_ROUTING_INTERFACE_QUERY: the address of the interface the route
 * goes out of, port 0; WSAENETUNREACH where there is no route (this
 * namespace has no default route). */
static void test_routing_query(void **state)
{
    (void)state;
    SOCKET s = socket(AF_INET, SOCK_DGRAM, 0);
    SOCKADDR_IN to = {.sin_family = AF_INET, .sin_port = htons(9)};
    SOCKADDR_IN local;
    DWORD bytes = POISON;
    to.sin_addr.s_addr = v4("10.9.0.77");
    assert_wsa_ok(WSAIoctl(s, SIO_ROUTING_INTERFACE_QUERY, &to, sizeof(to),
                           &local, sizeof(local), &bytes, NULL, NULL));
    assert_int_equal(bytes, sizeof(SOCKADDR_IN));
    assert_int_equal(local.sin_family, AF_INET);
    assert_int_equal(local.sin_port, 0);
    assert_int_equal(local.sin_addr.s_addr, v4("10.9.0.1"));
    to.sin_addr.s_addr = v4("192.0.2.1");
    bytes = POISON;
    assert_wsa_error(WSAIoctl(s, SIO_ROUTING_INTERFACE_QUERY, &to, sizeof(to),
                              &local, sizeof(local), &bytes, NULL, NULL),
                     WSAENETUNREACH);
    closesocket(s);

    s = socket(AF_INET6, SOCK_DGRAM, 0);
    SOCKADDR_IN6 to6 = {.sin6_family = AF_INET6, .sin6_port = htons(9)};
    SOCKADDR_IN6 local6;
    assert_int_equal(inet_pton(AF_INET6, "2001:db8::99", &to6.sin6_addr), 1);
    bytes = POISON;
    assert_wsa_ok(WSAIoctl(s, SIO_ROUTING_INTERFACE_QUERY, &to6, sizeof(to6),
                           &local6, sizeof(local6), &bytes, NULL, NULL));
    assert_int_equal(bytes, sizeof(SOCKADDR_IN6));
    char text[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, &local6.sin6_addr, text, sizeof(text));
    /* the preferred address, not the deprecated one beside it */
    assert_string_equal(text, "2001:db8::1");
    assert_int_equal(local6.sin6_port, 0);
    closesocket(s);
}

int main(void)
{
    if (unshare(CLONE_NEWNET) != 0) {
        printf("SKIP: cannot make a network namespace (needs root)\n");
        return 77;
    }
    if (make_interfaces() != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_address_list),
        cmocka_unit_test(test_interface_list),
        cmocka_unit_test(test_routing_query),
    };
    return cmocka_run_group_tests(tests, ws2t_startup, ws2t_cleanup);
}
