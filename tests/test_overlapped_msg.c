/*
 * test_overlapped_msg.c - WSASendMsg and WSARecvMsg with their control
 * data (IP_PKTINFO, IPV6_PKTINFO and the other objects Windows returns):
 * blocking, non-blocking and overlapped with events, completion routines
 * and completion ports. ctest runs it on both engines (the name starts
 * with test_overlapped).
 *
 * Windows rules come from Microsoft's pages ("WSASendMsg function",
 * "LPFN_WSARECVMSG", "WSACMSGHDR", "IP_PKTINFO", "Winsock IOCTLs") and
 * from Wine's test_WSASendMsg, test_ip_pktinfo, test_ipv4_cmsg and
 * test_ipv6_cmsg (dlls/ws2_32/tests/sock.c), which pass on Windows, unless
 * a test says otherwise. WSARecvMsg is called through its extension
 * pointer (it has no symbol), WSASendMsg through both the export and the
 * pointer. Every wait is bounded.
 */
#define _GNU_SOURCE
#include "util.h"

#include <stdio.h>
#include <stdlib.h>

#include <mswsock.h>
#include <windows.h>

/* libc's, declared here: <net/if.h> would bring Linux's struct sockaddr
 * into a file that has Windows'. */
extern unsigned int if_nametoindex(const char *ifname);

static LPFN_WSARECVMSG pRecvMsg;
static LPFN_WSASENDMSG pSendMsg;

static int fetch(void **state)
{
    int r = ws2t_startup(state);
    if (r)
        return r;
    SOCKET s = socket(AF_INET, SOCK_DGRAM, 0);
    GUID rid = WSAID_WSARECVMSG, sid = WSAID_WSASENDMSG;
    DWORD n;
    if (WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &rid, sizeof(rid),
                 &pRecvMsg, sizeof(pRecvMsg), &n, NULL, NULL) ||
        WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &sid, sizeof(sid),
                 &pSendMsg, sizeof(pSendMsg), &n, NULL, NULL))
        return -1;
    closesocket(s);
    return 0;
}

/* ---- helpers ---- */

/* A WSARecvMsg's WSAMSG with its buffers; it must not move once set up. */
struct rmsg {
    WSAMSG m;
    WSABUF b;
    SOCKADDR_STORAGE from;
    char data[2048];
    _Alignas(8) char ctl[512];
};

static void rmsg_init(struct rmsg *r, ULONG datalen, ULONG ctllen)
{
    memset(r, 0, sizeof(*r));
    memset(r->ctl, 0xAA, sizeof(r->ctl));
    memset(&r->from, 0xAA, sizeof(r->from));
    r->b.buf = r->data;
    r->b.len = datalen;
    r->m.name = (LPSOCKADDR)&r->from;
    r->m.namelen = sizeof(r->from);
    r->m.lpBuffers = &r->b;
    r->m.dwBufferCount = 1;
    r->m.Control.buf = r->ctl;
    r->m.Control.len = ctllen;
    r->m.dwFlags = 0; /* an input: MSG_PEEK or nothing */
}

/* A non-overlapped WSARecvMsg on r that must succeed with want bytes of
 * the pattern of seed; the last error is then 0. */
static void recv_ok(SOCKET r, struct rmsg *m, ULONG ctllen, DWORD want,
                    uint32_t seed)
{
    rmsg_init(m, sizeof(m->data), ctllen);
    DWORD got = POISON;
    WSASetLastError(POISON);
    assert_int_equal(pRecvMsg(r, &m->m, &got, NULL, NULL), 0);
    assert_int_equal(WSAGetLastError(), 0);
    assert_int_equal(got, want);
    ws2t_check(m->data, want, seed, 0);
}

/* An overlapped call that completed at once or went pending. */
static void started(int ret)
{
    if (ret == SOCKET_ERROR && WSAGetLastError() != WSA_IO_PENDING)
        fail_msg("overlapped call failed: error %d", WSAGetLastError());
}

static void set_int(SOCKET s, int level, int name, DWORD v)
{
    assert_wsa_ok(setsockopt(s, level, name, (const char *)&v, sizeof(v)));
}

static DWORD get_int(SOCKET s, int level, int name)
{
    DWORD v = POISON;
    int len = sizeof(v);
    assert_wsa_ok(getsockopt(s, level, name, (char *)&v, &len));
    assert_int_equal(len, sizeof(v));
    return v;
}

/* Sends len pattern bytes of seed from s to to's bound address. */
static void send_pattern(SOCKET s, SOCKET to, int len, uint32_t seed)
{
    SOCKADDR_STORAGE ss;
    int sl;
    char buf[2048];
    ws2t_name(to, &ss, &sl);
    ws2t_fill(buf, (size_t)len, seed, 0);
    assert_int_equal(sendto(s, buf, len, 0, (struct sockaddr *)&ss, sl), len);
}

/* The first control object of this level and type, or NULL; *count gets
 * the number of objects (walked with WSA_CMSG_FIRSTHDR / NXTHDR). */
static WSACMSGHDR *find_cmsg(WSAMSG *m, int level, int type, int *count)
{
    WSACMSGHDR *found = NULL;
    int n = 0;
    for (WSACMSGHDR *c = WSA_CMSG_FIRSTHDR(m); c; c = WSA_CMSG_NXTHDR(m, c)) {
        n++;
        if (!found && c->cmsg_level == level && c->cmsg_type == type)
            found = c;
    }
    if (count)
        *count = n;
    return found;
}

static unsigned lo_index(void)
{
    unsigned i = if_nametoindex("lo");
    assert_true(i > 0);
    return i;
}

/* The value of an INT object (cmsg_len sizeof(WSACMSGHDR) + 4, as Wine's
 * test_ipv4_cmsg and test_ipv6_cmsg find on Windows). */
static INT int_cmsg(WSAMSG *m, int level, int type)
{
    WSACMSGHDR *c = find_cmsg(m, level, type, NULL);
    if (!c)
        fail_msg("no object %d/%d (Control.len %u)", level, type,
                 m->Control.len);
    assert_int_equal(c->cmsg_len, sizeof(WSACMSGHDR) + sizeof(INT));
    INT v;
    memcpy(&v, WSA_CMSG_DATA(c), sizeof(v));
    return v;
}

/* The IN_PKTINFO object says dst and the loopback interface, and takes
 * WSA_CMSG_LEN(sizeof(IN_PKTINFO)) bytes. */
static void check_pktinfo4(WSAMSG *m, const char *dst)
{
    WSACMSGHDR *c = find_cmsg(m, IPPROTO_IP, IP_PKTINFO, NULL);
    if (!c)
        fail_msg("no IP_PKTINFO object (Control.len %u)", m->Control.len);
    assert_int_equal(c->cmsg_len, WSA_CMSG_LEN(sizeof(IN_PKTINFO)));
    IN_PKTINFO pi;
    memcpy(&pi, WSA_CMSG_DATA(c), sizeof(pi));
    assert_int_equal(pi.ipi_addr.s_addr, inet_addr(dst));
    assert_int_equal(pi.ipi_ifindex, lo_index());
}

static void check_pktinfo6(WSAMSG *m)
{
    WSACMSGHDR *c = find_cmsg(m, IPPROTO_IPV6, IPV6_PKTINFO, NULL);
    if (!c)
        fail_msg("no IPV6_PKTINFO object (Control.len %u)", m->Control.len);
    assert_int_equal(c->cmsg_len, WSA_CMSG_LEN(sizeof(IN6_PKTINFO)));
    IN6_PKTINFO pi;
    memcpy(&pi, WSA_CMSG_DATA(c), sizeof(pi));
    assert_true(IN6_IS_ADDR_LOOPBACK(&pi.ipi6_addr));
    assert_int_equal(pi.ipi6_ifindex, lo_index());
}

/* The source address the receiver saw: from (the sender's port) with the
 * address src. */
static void check_from(const struct rmsg *r, SOCKET sender, const char *src)
{
    SOCKADDR_STORAGE ss;
    int len;
    ws2t_name(sender, &ss, &len);
    assert_int_equal(r->m.namelen, sizeof(SOCKADDR_IN));
    const SOCKADDR_IN *f = (const SOCKADDR_IN *)&r->from;
    assert_int_equal(f->sin_family, AF_INET);
    assert_int_equal(f->sin_port, ((SOCKADDR_IN *)&ss)->sin_port);
    assert_int_equal(f->sin_addr.s_addr, inet_addr(src));
}

/* The datagram s sent to r: len bytes of the pattern of seed, from the
 * address src. */
static void expect_datagram(SOCKET r, SOCKET s, DWORD len, uint32_t seed,
                            const char *src)
{
    struct rmsg m;
    recv_ok(r, &m, sizeof(m.ctl), len, seed);
    check_from(&m, s, src);
}

/* A control buffer holding one IN_PKTINFO (source address src, interface
 * ifindex), laid out with the WSA_CMSG macros. */
struct pkt4 {
    _Alignas(8) char buf[WSA_CMSG_SPACE(sizeof(IN_PKTINFO))];
};
static WSABUF pktinfo4(struct pkt4 *p, const char *src, ULONG ifindex)
{
    memset(p, 0, sizeof(*p));
    WSACMSGHDR *c = (WSACMSGHDR *)p->buf;
    c->cmsg_len = WSA_CMSG_LEN(sizeof(IN_PKTINFO));
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    IN_PKTINFO pi = {{{{0}}}, ifindex};
    pi.ipi_addr.s_addr = inet_addr(src);
    memcpy(WSA_CMSG_DATA(c), &pi, sizeof(pi));
    WSABUF b = {sizeof(p->buf), p->buf};
    return b;
}

/* Where a socket is bound: a WSAMSG's name. */
struct dest {
    SOCKADDR_STORAGE a;
    int len;
};

static struct dest dest_of(SOCKET r)
{
    struct dest d;
    ws2t_name(r, &d.a, &d.len);
    return d;
}

/* A WSASendMsg's WSAMSG to dst (NULL: no name) with one buffer. */
static WSAMSG smsg(SOCKADDR_STORAGE *dst, int dlen, WSABUF *data,
                   WSABUF control)
{
    WSAMSG m;
    memset(&m, 0, sizeof(m));
    m.name = (LPSOCKADDR)dst;
    m.namelen = dst ? dlen : 0;
    m.lpBuffers = data;
    m.dwBufferCount = 1;
    m.Control = control;
    m.dwFlags = POISON; /* ignored on input */
    return m;
}

/* A completion routine that records its call. */
static struct {
    int calls;
    DWORD err, bytes, flags;
    LPWSAOVERLAPPED ov;
} rt;

static void CALLBACK routine(DWORD err, DWORD bytes, LPWSAOVERLAPPED ov,
                             DWORD flags)
{
    rt.calls++;
    rt.err = err;
    rt.bytes = bytes;
    rt.flags = flags;
    rt.ov = ov;
}

static void reset_routine(void)
{
    memset(&rt, 0, sizeof(rt));
    rt.err = rt.bytes = rt.flags = POISON;
}

/* The routine ran once, in an alertable wait, for ov: err, bytes, and
 * flags 0 (Wine's test_ip_pktinfo; "WSASendMsg function": "the dwFlags
 * parameter will be zero"). */
static void expect_routine(LPWSAOVERLAPPED ov, DWORD err, DWORD bytes)
{
    assert_int_equal(SleepEx(5000, TRUE), WAIT_IO_COMPLETION);
    assert_int_equal(rt.calls, 1);
    assert_int_equal(rt.err, err);
    assert_int_equal(rt.bytes, bytes);
    assert_int_equal(rt.flags, 0);
    assert_ptr_equal(rt.ov, ov);
}

/* Both pointers come from any of the provider's sockets ("Winsock
 * IOCTLs": SIO_GET_EXTENSION_FUNCTION_POINTER, WSAID_WSARECVMSG and
 * WSAID_WSASENDMSG). */
static void test_pointers(void **state)
{
    (void)state;
    SOCKET s6 = socket(AF_INET6, SOCK_DGRAM, 0);
    SOCKET t = socket(AF_INET, SOCK_STREAM, 0);
    assert_ptr_equal(ws2t_ext_fn(s6, (GUID)WSAID_WSARECVMSG), (void *)pRecvMsg);
    assert_ptr_equal(ws2t_ext_fn(t, (GUID)WSAID_WSASENDMSG), (void *)pSendMsg);
    closesocket(s6);
    closesocket(t);
}

/* ---- receiving: the control data, byte-exact ---- */

/* "LPFN_WSARECVMSG": with IP_PKTINFO on, one object IPPROTO_IP /
 * IP_PKTINFO holds an IN_PKTINFO with the datagram's destination address
 * (IPV6_PKTINFO and IN6_PKTINFO for IPv6); Control.len becomes the bytes
 * of control data (Wine's test_ip_pktinfo: IP_PKTINFO_LEN for one). */
static void pktinfo_case(int af, int len, uint32_t seed)
{
    int level = af == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
    int name = af == AF_INET ? IP_PKTINFO : IPV6_PKTINFO;
    SOCKET r, s;
    ws2t_udp_pair(af, &s, &r, 0);
    assert_int_equal(get_int(r, level, name), 0);
    set_int(r, level, name, 1);
    assert_int_equal(get_int(r, level, name), 1);
    send_pattern(s, r, len, seed);
    struct rmsg m;
    recv_ok(r, &m, sizeof(m.ctl), (DWORD)len, seed);
    assert_int_equal(m.m.dwFlags, 0);
    int n;
    assert_non_null(find_cmsg(&m.m, level, name, &n));
    assert_int_equal(n, 1);
    if (af == AF_INET) {
        check_from(&m, s, "127.0.0.1");
        check_pktinfo4(&m.m, "127.0.0.1");
        assert_int_equal(m.m.Control.len, WSA_CMSG_SPACE(sizeof(IN_PKTINFO)));
    } else {
        SOCKADDR_IN6 *f = (SOCKADDR_IN6 *)&m.from;
        assert_int_equal(m.m.namelen, sizeof(SOCKADDR_IN6));
        assert_int_equal(f->sin6_family, AF_INET6);
        assert_true(IN6_IS_ADDR_LOOPBACK(&f->sin6_addr));
        check_pktinfo6(&m.m);
        assert_int_equal(m.m.Control.len,
                         WSA_CMSG_SPACE(sizeof(IN6_PKTINFO)));
    }
    closesocket(r);
    closesocket(s);
}

static void test_recv_pktinfo(void **state)
{
    (void)state;
    pktinfo_case(AF_INET, 100, 1);
    pktinfo_case(AF_INET6, 300, 2);
}

/* Without IP_PKTINFO no object comes (Linux's packet information, which
 * ws2posix always asks for, stays inside); a NULL Control.buf of length
 * 0 then succeeds (Wine's test_ip_pktinfo). Turning the option off stops
 * the objects again. */
static void test_recv_pktinfo_off(void **state)
{
    (void)state;
    SOCKET r, s;
    ws2t_udp_pair(AF_INET, &s, &r, 0);
    struct rmsg m;
    DWORD got;
    send_pattern(s, r, 10, 3);
    recv_ok(r, &m, sizeof(m.ctl), 10, 3);
    assert_int_equal(m.m.Control.len, 0);
    assert_int_equal(m.m.dwFlags, 0);
    send_pattern(s, r, 10, 3);
    rmsg_init(&m, sizeof(m.data), 0);
    m.m.Control.buf = NULL;
    assert_int_equal(pRecvMsg(r, &m.m, &got, NULL, NULL), 0);
    assert_int_equal(got, 10);
    ws2t_check(m.data, 10, 3, 0);
    set_int(r, IPPROTO_IP, IP_PKTINFO, 1);
    set_int(r, IPPROTO_IP, IP_PKTINFO, 0);
    send_pattern(s, r, 10, 3);
    recv_ok(r, &m, sizeof(m.ctl), 10, 3);
    assert_int_equal(m.m.Control.len, 0);
    /* An IPv4 socket has no IPV6_PKTINFO; a TCP socket no IP_PKTINFO. */
    DWORD one = 1;
    assert_wsa_error(setsockopt(r, IPPROTO_IPV6, IPV6_PKTINFO,
                                (const char *)&one, sizeof(one)),
                     WSAEINVAL);
    SOCKET t = socket(AF_INET, SOCK_STREAM, 0);
    assert_wsa_error(setsockopt(t, IPPROTO_IP, IP_PKTINFO, (const char *)&one,
                                sizeof(one)),
                     WSAEINVAL);
    closesocket(t);
    closesocket(r);
    closesocket(s);
}

/* Wine's test_ipv4_cmsg: IP_RECVTTL gives an IP_TTL object and IP_RECVTOS
 * an IP_TOS object, each an INT (cmsg_len sizeof(WSACMSGHDR) + 4). */
static void test_recv_ttl_tos(void **state)
{
    (void)state;
    SOCKET r, s;
    ws2t_udp_pair(AF_INET, &s, &r, 0);
    set_int(r, IPPROTO_IP, IP_RECVTTL, 1);
    set_int(r, IPPROTO_IP, IP_RECVTOS, 1);
    set_int(r, IPPROTO_IP, IP_PKTINFO, 1);
    assert_int_equal(get_int(r, IPPROTO_IP, IP_RECVTTL), 1);
    assert_int_equal(get_int(r, IPPROTO_IP, IP_RECVTOS), 1);
    set_int(s, IPPROTO_IP, IP_TTL, 33);
    set_int(s, IPPROTO_IP, IP_TOS, 0x20);
    send_pattern(s, r, 20, 4);
    struct rmsg m;
    recv_ok(r, &m, sizeof(m.ctl), 20, 4);
    int n;
    find_cmsg(&m.m, IPPROTO_IP, IP_TTL, &n);
    assert_int_equal(n, 3);
    assert_int_equal(int_cmsg(&m.m, IPPROTO_IP, IP_TTL), 33);
    assert_int_equal(int_cmsg(&m.m, IPPROTO_IP, IP_TOS), 0x20);
    check_pktinfo4(&m.m, "127.0.0.1");
    assert_int_equal(m.m.Control.len,
                     2 * WSA_CMSG_SPACE(sizeof(INT)) +
                         WSA_CMSG_SPACE(sizeof(IN_PKTINFO)));
    closesocket(r);
    closesocket(s);
}

/* Wine's test_ipv6_cmsg: IPV6_HOPLIMIT gives an IPV6_HOPLIMIT object and
 * IPV6_RECVTCLASS an IPV6_TCLASS object, each an INT. */
static void test_recv_hoplimit_tclass(void **state)
{
    (void)state;
    SOCKET r, s;
    ws2t_udp_pair(AF_INET6, &s, &r, 0);
    set_int(r, IPPROTO_IPV6, IPV6_HOPLIMIT, 1);
    set_int(r, IPPROTO_IPV6, IPV6_RECVTCLASS, 1);
    assert_int_equal(get_int(r, IPPROTO_IPV6, IPV6_HOPLIMIT), 1);
    assert_int_equal(get_int(r, IPPROTO_IPV6, IPV6_RECVTCLASS), 1);
    set_int(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 17);
    send_pattern(s, r, 20, 5);
    struct rmsg m;
    recv_ok(r, &m, sizeof(m.ctl), 20, 5);
    int n;
    find_cmsg(&m.m, IPPROTO_IPV6, IPV6_HOPLIMIT, &n);
    assert_int_equal(n, 2);
    assert_int_equal(int_cmsg(&m.m, IPPROTO_IPV6, IPV6_HOPLIMIT), 17);
    assert_int_equal(int_cmsg(&m.m, IPPROTO_IPV6, IPV6_TCLASS), 0);
    closesocket(r);
    closesocket(s);
}

/* A datagram larger than the buffers: they hold its first part, the rest
 * is lost, WSAEMSGSIZE with MSG_TRUNC in dwFlags ("LPFN_WSARECVMSG"). */
static void test_recv_truncated(void **state)
{
    (void)state;
    SOCKET r, s;
    ws2t_udp_pair(AF_INET, &s, &r, 0);
    send_pattern(s, r, 100, 6);
    send_pattern(s, r, 7, 7);
    struct rmsg m;
    rmsg_init(&m, 10, sizeof(m.ctl));
    DWORD got = POISON;
    assert_wsa_error(pRecvMsg(r, &m.m, &got, NULL, NULL), WSAEMSGSIZE);
    assert_int_equal(got, 10);
    ws2t_check(m.data, 10, 6, 0);
    assert_int_equal(m.m.dwFlags, MSG_TRUNC);
    check_from(&m, s, "127.0.0.1");
    recv_ok(r, &m, sizeof(m.ctl), 7, 7);
    assert_int_equal(m.m.dwFlags, 0);
    closesocket(r);
    closesocket(s);
}

/* Wine's test_ip_pktinfo: a control buffer too small for the object is
 * WSAEMSGSIZE with MSG_CTRUNC; the data still arrives whole. An object
 * goes whole or not at all, and the ones that fit stay. */
static void test_recv_ctrunc(void **state)
{
    (void)state;
    SOCKET r, s;
    ws2t_udp_pair(AF_INET, &s, &r, 0);
    set_int(r, IPPROTO_IP, IP_PKTINFO, 1);
    static const ULONG small[] = {1, WSA_CMSG_LEN(sizeof(IN_PKTINFO)) - 1};
    struct rmsg m;
    DWORD got;
    for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
        send_pattern(s, r, 6, 8);
        rmsg_init(&m, sizeof(m.data), small[i]);
        got = POISON;
        assert_wsa_error(pRecvMsg(r, &m.m, &got, NULL, NULL), WSAEMSGSIZE);
        assert_int_equal(got, 6);
        ws2t_check(m.data, 6, 8, 0);
        assert_int_equal(m.m.dwFlags, MSG_CTRUNC);
        assert_int_equal(m.m.Control.len, 0);
    }
    /* Exactly the object's size is enough. */
    send_pattern(s, r, 6, 8);
    rmsg_init(&m, sizeof(m.data), WSA_CMSG_LEN(sizeof(IN_PKTINFO)));
    assert_int_equal(pRecvMsg(r, &m.m, &got, NULL, NULL), 0);
    check_pktinfo4(&m.m, "127.0.0.1");
    /* Two objects, room for one. */
    set_int(r, IPPROTO_IP, IP_RECVTTL, 1);
    send_pattern(s, r, 6, 8);
    rmsg_init(&m, sizeof(m.data), WSA_CMSG_SPACE(sizeof(IN_PKTINFO)) + 8);
    assert_wsa_error(pRecvMsg(r, &m.m, &got, NULL, NULL), WSAEMSGSIZE);
    assert_int_equal(m.m.dwFlags, MSG_CTRUNC);
    assert_int_equal(m.m.Control.len, WSA_CMSG_SPACE(sizeof(IN_PKTINFO)));
    check_pktinfo4(&m.m, "127.0.0.1");
    closesocket(r);
    closesocket(s);
}

/* MSG_PEEK, the one input flag: the data and its control data stay. */
static void test_recv_peek(void **state)
{
    (void)state;
    SOCKET r, s;
    ws2t_udp_pair(AF_INET, &s, &r, 0);
    set_int(r, IPPROTO_IP, IP_PKTINFO, 1);
    send_pattern(s, r, 50, 9);
    struct rmsg m;
    DWORD got;
    for (int i = 0; i < 2; i++) {
        rmsg_init(&m, sizeof(m.data), sizeof(m.ctl));
        m.m.dwFlags = i == 0 ? MSG_PEEK : 0;
        assert_int_equal(pRecvMsg(r, &m.m, &got, NULL, NULL), 0);
        assert_int_equal(got, 50);
        ws2t_check(m.data, 50, 9, 0);
        check_pktinfo4(&m.m, "127.0.0.1");
        assert_int_equal(m.m.dwFlags, 0);
    }
    u_long nb = 1;
    assert_wsa_ok(ioctlsocket(r, FIONBIO, &nb));
    rmsg_init(&m, sizeof(m.data), sizeof(m.ctl));
    assert_wsa_error(pRecvMsg(r, &m.m, &got, NULL, NULL), WSAEWOULDBLOCK);
    closesocket(r);
    closesocket(s);
}

/* MSG_BCAST and MSG_MCAST say how the datagram was addressed, whether or
 * not IP_PKTINFO is on ("LPFN_WSARECVMSG": dwFlags on output). Loopback's
 * broadcast address is 127.255.255.255. */
static SOCKET any_receiver(u_short *port)
{
    SOCKET r = socket(AF_INET, SOCK_DGRAM, 0);
    SOCKADDR_IN a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    assert_wsa_ok(bind(r, (struct sockaddr *)&a, sizeof(a)));
    int len = sizeof(a);
    assert_wsa_ok(getsockname(r, (struct sockaddr *)&a, &len));
    *port = a.sin_port;
    ws2t_rcvtimeo(r, 5000);
    return r;
}

static void send_to(SOCKET s, const char *addr, u_short port, uint32_t seed)
{
    SOCKADDR_IN a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = port;
    a.sin_addr.s_addr = inet_addr(addr);
    char buf[16];
    ws2t_fill(buf, sizeof(buf), seed, 0);
    if (sendto(s, buf, sizeof(buf), 0, (struct sockaddr *)&a, sizeof(a)) !=
        (int)sizeof(buf))
        fail_msg("sendto %s: error %d", addr, WSAGetLastError());
}

static DWORD recv_flags(SOCKET r, uint32_t seed)
{
    struct rmsg m;
    recv_ok(r, &m, sizeof(m.ctl), 16, seed);
    assert_int_equal(m.m.Control.len, 0);
    return m.m.dwFlags;
}

static void test_recv_bcast(void **state)
{
    (void)state;
    u_short port;
    SOCKET r = any_receiver(&port), s = socket(AF_INET, SOCK_DGRAM, 0);
    set_int(s, SOL_SOCKET, SO_BROADCAST, 1);
    send_to(s, "127.255.255.255", port, 10);
    assert_int_equal(recv_flags(r, 10), MSG_BCAST);
    send_to(s, "127.0.0.1", port, 11);
    assert_int_equal(recv_flags(r, 11), 0);
    closesocket(r);
    closesocket(s);
}

static void test_recv_mcast(void **state)
{
    (void)state;
    u_short port;
    SOCKET r = any_receiver(&port), s = socket(AF_INET, SOCK_DGRAM, 0);
    IP_MREQ mr;
    mr.imr_multiaddr.s_addr = inet_addr("239.255.42.99");
    mr.imr_interface.s_addr = inet_addr("127.0.0.1");
    if (setsockopt(r, IPPROTO_IP, IP_ADD_MEMBERSHIP, (const char *)&mr,
                   sizeof(mr))) {
        printf("# no multicast on loopback here (error %d)\n",
               WSAGetLastError());
        closesocket(r);
        closesocket(s);
        skip();
    }
    set_int(s, IPPROTO_IP, IP_MULTICAST_IF, inet_addr("127.0.0.1"));
    send_to(s, "239.255.42.99", port, 12);
    assert_int_equal(recv_flags(r, 12), MSG_MCAST);
    send_to(s, "127.0.0.1", port, 13);
    assert_int_equal(recv_flags(r, 13), 0);
    closesocket(r);
    closesocket(s);
}

/* A blocking WSARecvMsg waits for the datagram, as recv does. */
struct late_send {
    SOCKET s, to;
};

static void *late_sender(void *arg)
{
    struct late_send *l = arg;
    ws2t_sleep_ms(100);
    SOCKADDR_STORAGE ss;
    int len = sizeof(ss);
    char buf[64];
    ws2t_fill(buf, sizeof(buf), 14, 0);
    if (getsockname(l->to, (struct sockaddr *)&ss, &len) == 0)
        sendto(l->s, buf, sizeof(buf), 0, (struct sockaddr *)&ss, len);
    return NULL;
}

static void test_recv_blocking(void **state)
{
    (void)state;
    SOCKET r, s;
    ws2t_udp_pair(AF_INET, &s, &r, 0);
    set_int(r, IPPROTO_IP, IP_PKTINFO, 1);
    struct late_send l = {s, r};
    pthread_t t;
    double t0 = ws2t_now_ms();
    ws2t_thread_start(&t, late_sender, &l);
    struct rmsg m;
    rmsg_init(&m, sizeof(m.data), sizeof(m.ctl));
    DWORD got = POISON;
    assert_int_equal(pRecvMsg(r, &m.m, &got, NULL, NULL), 0);
    assert_true(ws2t_now_ms() - t0 >= 50);
    ws2t_thread_join(t, 5);
    assert_int_equal(got, 64);
    ws2t_check(m.data, 64, 14, 0);
    check_pktinfo4(&m.m, "127.0.0.1");
    check_from(&m, s, "127.0.0.1");
    closesocket(r);
    closesocket(s);
}

/* ---- sending: the source address, both entry points ---- */

/* "WSASendMsg function": an IN_PKTINFO object names the source address.
 * Without one the datagram comes from 127.0.0.1; with one, from the
 * address it names. A successful call binds the socket (Wine). */
static void test_send_source_v4(void **state)
{
    (void)state;
    SOCKET r = ws2t_bound(AF_INET, SOCK_DGRAM);
    SOCKET s = socket(AF_INET, SOCK_DGRAM, 0);
    struct dest dst = dest_of(r);
    char buf[200];
    static const struct {
        const char *src;
        int use_ext;
    } cases[] = {{NULL, 0}, {"127.0.0.2", 0}, {"127.0.0.3", 1}, {NULL, 1}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ws2t_fill(buf, sizeof(buf), 20 + (uint32_t)i, 0);
        WSABUF data = {sizeof(buf), buf};
        struct pkt4 p;
        WSABUF ctl = {0, NULL};
        if (cases[i].src)
            ctl = pktinfo4(&p, cases[i].src, i == 2 ? lo_index() : 0);
        WSAMSG m = smsg(&dst.a, dst.len, &data, ctl);
        DWORD sent = POISON;
        WSASetLastError(POISON);
        int ret = cases[i].use_ext ? pSendMsg(s, &m, 0, &sent, NULL, NULL)
                                   : WSASendMsg(s, &m, 0, &sent, NULL, NULL);
        assert_int_equal(ret, 0);
        assert_int_equal(WSAGetLastError(), 0);
        assert_int_equal(sent, sizeof(buf));
        expect_datagram(r, s, sizeof(buf), 20 + (uint32_t)i,
                        cases[i].src ? cases[i].src : "127.0.0.1");
    }
    closesocket(r);
    closesocket(s);
}

/* The same for IPv6 with an IN6_PKTINFO (loopback has only ::1, so the
 * receiver's IPV6_PKTINFO shows where it went). */
static void test_send_source_v6(void **state)
{
    (void)state;
    SOCKET r = ws2t_bound(AF_INET6, SOCK_DGRAM);
    SOCKET s = socket(AF_INET6, SOCK_DGRAM, 0);
    set_int(r, IPPROTO_IPV6, IPV6_PKTINFO, 1);
    struct dest dst = dest_of(r);
    _Alignas(8) char cbuf[WSA_CMSG_SPACE(sizeof(IN6_PKTINFO))];
    memset(cbuf, 0, sizeof(cbuf));
    WSACMSGHDR *c = (WSACMSGHDR *)cbuf;
    c->cmsg_len = WSA_CMSG_LEN(sizeof(IN6_PKTINFO));
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    IN6_PKTINFO pi = {IN6ADDR_LOOPBACK_INIT, lo_index()};
    memcpy(WSA_CMSG_DATA(c), &pi, sizeof(pi));
    char buf[40];
    ws2t_fill(buf, sizeof(buf), 30, 0);
    WSABUF data = {sizeof(buf), buf};
    WSABUF ctl = {sizeof(cbuf), cbuf};
    WSAMSG m = smsg(&dst.a, dst.len, &data, ctl);
    DWORD sent = POISON;
    assert_int_equal(WSASendMsg(s, &m, 0, &sent, NULL, NULL), 0);
    assert_int_equal(sent, sizeof(buf));
    struct rmsg rm;
    recv_ok(r, &rm, sizeof(rm.ctl), sizeof(buf), 30);
    check_pktinfo6(&rm.m);
    closesocket(r);
    closesocket(s);
}

/* A connected datagram socket needs no name; the call then sends to the
 * peer, as WSASend. Without a name and a peer it is WSAENOTCONN. */
static void test_send_connected(void **state)
{
    (void)state;
    SOCKET a, b;
    ws2t_udp_pair(AF_INET, &a, &b, 1);
    char buf[30];
    ws2t_fill(buf, sizeof(buf), 31, 0);
    WSABUF data = {sizeof(buf), buf};
    WSABUF none = {0, NULL};
    WSAMSG m = smsg(NULL, 0, &data, none);
    DWORD sent = POISON;
    assert_int_equal(pSendMsg(a, &m, 0, &sent, NULL, NULL), 0);
    assert_int_equal(sent, sizeof(buf));
    char in[64];
    assert_int_equal(recv(b, in, sizeof(in), 0), sizeof(buf));
    ws2t_check(in, sizeof(buf), 31, 0);
    assert_wsa_error(WSASendMsg(b, &m, 0, &sent, NULL, NULL), WSAENOTCONN);
    /* Non-blocking, a datagram still goes at once. */
    u_long nb = 1;
    assert_wsa_ok(ioctlsocket(a, FIONBIO, &nb));
    assert_int_equal(WSASendMsg(a, &m, 0, &sent, NULL, NULL), 0);
    assert_int_equal(recv(b, in, sizeof(in), 0), sizeof(buf));
    ws2t_check(in, sizeof(buf), 31, 0);
    closesocket(a);
    closesocket(b);
}

/* "LPFN_WSARECVMSG": a dual-stack socket gives an IPv4 datagram's packet
 * information when IP_PKTINFO is set; with only IPV6_PKTINFO it "may not
 * be provided" (ws2posix: it is not). The datagram comes from an IPv4
 * socket to the v4-mapped loopback. */
static void test_dual_stack(void **state)
{
    (void)state;
    SOCKET r = socket(AF_INET6, SOCK_DGRAM, 0);
    set_int(r, IPPROTO_IPV6, IPV6_V6ONLY, 0);
    SOCKADDR_IN6 a6;
    memset(&a6, 0, sizeof(a6));
    a6.sin6_family = AF_INET6;
    assert_wsa_ok(bind(r, (struct sockaddr *)&a6, sizeof(a6)));
    int len = sizeof(a6);
    assert_wsa_ok(getsockname(r, (struct sockaddr *)&a6, &len));
    ws2t_rcvtimeo(r, 5000);
    SOCKET s = socket(AF_INET, SOCK_DGRAM, 0);
    set_int(r, IPPROTO_IPV6, IPV6_PKTINFO, 1);
    struct rmsg m;
    for (int v4 = 0; v4 < 2; v4++) {
        if (v4)
            set_int(r, IPPROTO_IP, IP_PKTINFO, 1);
        assert_int_equal(get_int(r, IPPROTO_IP, IP_PKTINFO), (DWORD)v4);
        send_to(s, "127.0.0.1", a6.sin6_port, 90 + (uint32_t)v4);
        recv_ok(r, &m, sizeof(m.ctl), 16, 90 + (uint32_t)v4);
        assert_int_equal(m.m.namelen, sizeof(SOCKADDR_IN6));
        assert_true(IN6_IS_ADDR_V4MAPPED(&((SOCKADDR_IN6 *)&m.from)->sin6_addr));
        if (v4)
            check_pktinfo4(&m.m, "127.0.0.1");
        assert_int_equal(m.m.Control.len,
                         v4 ? WSA_CMSG_SPACE(sizeof(IN_PKTINFO)) : 0);
    }
    closesocket(r);
    closesocket(s);
}

/* Windows' ws2_32 asks the socket's provider which socket takes
 * WSASendMsg (SIO_BSP_HANDLE) and hands it the call as SIO_EXT_SENDMSG
 * with a WSASENDMSG ("Winsock IOCTLs"); the base provider names its own
 * socket, and takes the call through WSAIoctl too. */
static void test_send_ioctl_path(void **state)
{
    (void)state;
    SOCKET r, s;
    ws2t_udp_pair(AF_INET, &s, &r, 0);
    SOCKET h = (SOCKET)POISON;
    DWORD n = POISON;
    assert_wsa_ok(WSAIoctl(s, SIO_BSP_HANDLE, NULL, 0, &h, sizeof(h), &n,
                           NULL, NULL));
    assert_int_equal(h, s);
    assert_int_equal(n, sizeof(SOCKET));
    h = (SOCKET)POISON;
    assert_wsa_ok(WSAIoctl(s, SIO_BASE_HANDLE, NULL, 0, &h, sizeof(h), &n,
                           NULL, NULL));
    assert_int_equal(h, s);
    assert_wsa_error(WSAIoctl(s, SIO_BSP_HANDLE, NULL, 0, &h, 4, &n, NULL,
                              NULL),
                     WSAEFAULT);
    struct dest dst = dest_of(r);
    char buf[12];
    ws2t_fill(buf, sizeof(buf), 32, 0);
    WSABUF data = {sizeof(buf), buf};
    struct pkt4 p;
    WSAMSG m = smsg(&dst.a, dst.len, &data, pktinfo4(&p, "127.0.0.4", 0));
    DWORD sent = POISON;
    WSASENDMSG a = {&m, 0, &sent, NULL, NULL};
    assert_wsa_ok(WSAIoctl(s, SIO_EXT_SENDMSG, &a, sizeof(a), NULL, 0, &n,
                           NULL, NULL));
    assert_int_equal(sent, sizeof(buf));
    assert_wsa_error(WSAIoctl(s, SIO_EXT_SENDMSG, &a, sizeof(a) - 1, NULL, 0,
                              &n, NULL, NULL),
                     WSAEFAULT);
    expect_datagram(r, s, sizeof(buf), 32, "127.0.0.4");
    closesocket(r);
    closesocket(s);
}

/* ---- the documented errors ---- */

static void test_send_errors(void **state)
{
    (void)state;
    SOCKET r = ws2t_bound(AF_INET, SOCK_DGRAM);
    SOCKET s = socket(AF_INET, SOCK_DGRAM, 0);
    struct dest dst = dest_of(r);
    SOCKADDR_STORAGE name;
    int nlen;
    char buf[16] = {0};
    WSABUF data = {sizeof(buf), buf};
    WSABUF none = {0, NULL};
    WSAMSG m = smsg(&dst.a, dst.len, &data, none);
    DWORD sent;

    /* Wine's test_WSASendMsg: not a socket; a NULL WSAMSG (no bind); a
     * NULL count on a non-overlapped call (the socket is bound anyway). */
    assert_wsa_error(WSASendMsg(INVALID_SOCKET, &m, 0, &sent, NULL, NULL),
                     WSAENOTSOCK);
    assert_wsa_error(pSendMsg(INVALID_SOCKET, &m, 0, &sent, NULL, NULL),
                     WSAENOTSOCK);
    assert_wsa_error(WSASendMsg(s, NULL, 0, &sent, NULL, NULL), WSAEFAULT);
    assert_wsa_error(pSendMsg(s, NULL, 0, NULL, NULL, NULL), WSAEFAULT);
    nlen = sizeof(name);
    assert_wsa_error(getsockname(s, (struct sockaddr *)&name, &nlen),
                     WSAEINVAL);
    assert_wsa_error(WSASendMsg(s, &m, 0, NULL, NULL, NULL), WSAEFAULT);
    nlen = sizeof(name);
    assert_wsa_ok(getsockname(s, (struct sockaddr *)&name, &nlen));
    assert_int_equal(((SOCKADDR_IN *)&name)->sin_addr.s_addr, INADDR_ANY);
    assert_true(((SOCKADDR_IN *)&name)->sin_port != 0);

    /* "WSAEFAULT": a NULL name with a namelen, a NULL Control.buf with a
     * Control.len, buffers outside the address space, a short name. */
    WSAMSG bad = m;
    bad.name = NULL;
    assert_wsa_error(WSASendMsg(s, &bad, 0, &sent, NULL, NULL), WSAEFAULT);
    bad = m;
    bad.Control.len = 24;
    assert_wsa_error(pSendMsg(s, &bad, 0, &sent, NULL, NULL), WSAEFAULT);
    bad = m;
    bad.lpBuffers = (LPWSABUF)(uintptr_t)0x10;
    assert_wsa_error(WSASendMsg(s, &bad, 0, &sent, NULL, NULL), WSAEFAULT);
    bad = m;
    bad.namelen = 8;
    assert_wsa_error(WSASendMsg(s, &bad, 0, &sent, NULL, NULL), WSAEFAULT);

    /* "WSAEOPNOTSUPP": flags other than MSG_DONTROUTE, MSG_PARTIAL (and
     * MSG_OOB, which a datagram socket refuses). */
    assert_wsa_error(WSASendMsg(s, &m, MSG_OOB, &sent, NULL, NULL),
                     WSAEOPNOTSUPP);
    assert_wsa_error(WSASendMsg(s, &m, 0x10000, &sent, NULL, NULL),
                     WSAEOPNOTSUPP);
    assert_int_equal(WSASendMsg(s, &m, MSG_DONTROUTE, &sent, NULL, NULL), 0);

    /* Control data Linux has no meaning for, or malformed, is WSAEINVAL. */
    _Alignas(8) char cbuf[32];
    memset(cbuf, 0, sizeof(cbuf));
    WSACMSGHDR *c = (WSACMSGHDR *)cbuf;
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_TTL;
    c->cmsg_len = WSA_CMSG_LEN(sizeof(INT));
    bad = m;
    bad.Control.buf = cbuf;
    bad.Control.len = WSA_CMSG_SPACE(sizeof(INT));
    assert_wsa_error(WSASendMsg(s, &bad, 0, &sent, NULL, NULL), WSAEINVAL);
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = 8;
    assert_wsa_error(WSASendMsg(s, &bad, 0, &sent, NULL, NULL), WSAEINVAL);
    c->cmsg_len = 200;
    assert_wsa_error(WSASendMsg(s, &bad, 0, &sent, NULL, NULL), WSAEINVAL);

    /* "WSAEMSGSIZE": more than the transport's largest message. */
    char *big = calloc(1, 65508);
    assert_non_null(big);
    WSABUF bigb = {65508, big};
    WSAMSG bm = smsg(&dst.a, dst.len, &bigb, none);
    assert_wsa_error(WSASendMsg(s, &bm, 0, &sent, NULL, NULL), WSAEMSGSIZE);
    free(big);

    /* "WSAEACCES": a broadcast address without SO_BROADCAST. */
    SOCKADDR_IN bc;
    memset(&bc, 0, sizeof(bc));
    bc.sin_family = AF_INET;
    bc.sin_port = htons(9);
    bc.sin_addr.s_addr = inet_addr("127.255.255.255");
    WSAMSG bcm = smsg((SOCKADDR_STORAGE *)&bc, sizeof(bc), &data, none);
    assert_wsa_error(WSASendMsg(s, &bcm, 0, &sent, NULL, NULL), WSAEACCES);

    /* "WSAESHUTDOWN" after SD_SEND. */
    assert_wsa_ok(shutdown(s, SD_SEND));
    assert_wsa_error(WSASendMsg(s, &m, 0, &sent, NULL, NULL), WSAESHUTDOWN);

    /* Wine's test_WSASendMsg: a stream socket is WSAEINVAL. */
    SOCKET t = socket(AF_INET, SOCK_STREAM, 0);
    assert_wsa_error(WSASendMsg(t, &m, 0, &sent, NULL, NULL), WSAEINVAL);
    assert_wsa_error(pSendMsg(t, &m, 0, &sent, NULL, NULL), WSAEINVAL);
    closesocket(t);
    closesocket(s);
    /* A closed handle is not a socket any more. */
    assert_wsa_error(WSASendMsg(s, &m, 0, &sent, NULL, NULL), WSAENOTSOCK);
    closesocket(r);
}

static void test_recv_errors(void **state)
{
    (void)state;
    SOCKET r, s;
    ws2t_udp_pair(AF_INET, &s, &r, 0);
    struct rmsg m;
    DWORD got;
    rmsg_init(&m, sizeof(m.data), sizeof(m.ctl));
    assert_wsa_error(pRecvMsg(INVALID_SOCKET, &m.m, &got, NULL, NULL),
                     WSAENOTSOCK);
    /* Wine's test_ip_pktinfo: an empty call is WSAEFAULT. */
    assert_wsa_error(pRecvMsg(r, NULL, NULL, NULL, NULL), WSAEFAULT);
    assert_wsa_error(pRecvMsg(r, &m.m, NULL, NULL, NULL), WSAEFAULT);
    m.m.name = NULL;
    assert_wsa_error(pRecvMsg(r, &m.m, &got, NULL, NULL), WSAEFAULT);
    rmsg_init(&m, sizeof(m.data), sizeof(m.ctl));
    m.m.Control.buf = NULL;
    assert_wsa_error(pRecvMsg(r, &m.m, &got, NULL, NULL), WSAEFAULT);
    rmsg_init(&m, sizeof(m.data), sizeof(m.ctl));
    m.m.namelen = 4; /* "the lpFrom buffer was too small" */
    assert_wsa_error(pRecvMsg(r, &m.m, &got, NULL, NULL), WSAEFAULT);
    /* "The only possible input value for the dwFlags member ... is
     * MSG_PEEK"; the output flags of an earlier call are ignored. */
    rmsg_init(&m, sizeof(m.data), sizeof(m.ctl));
    m.m.dwFlags = MSG_OOB;
    assert_wsa_error(pRecvMsg(r, &m.m, &got, NULL, NULL), WSAEOPNOTSUPP);
    m.m.dwFlags = MSG_WAITALL;
    assert_wsa_error(pRecvMsg(r, &m.m, &got, NULL, NULL), WSAEOPNOTSUPP);
    send_pattern(s, r, 5, 40);
    m.m.dwFlags = MSG_TRUNC | MSG_CTRUNC | MSG_BCAST | MSG_MCAST;
    assert_int_equal(pRecvMsg(r, &m.m, &got, NULL, NULL), 0);
    assert_int_equal(got, 5);
    assert_int_equal(m.m.dwFlags, 0);
    /* "WSAETIMEDOUT": SO_RCVTIMEO ran out. */
    ws2t_rcvtimeo(r, 50);
    rmsg_init(&m, sizeof(m.data), sizeof(m.ctl));
    assert_wsa_error(pRecvMsg(r, &m.m, &got, NULL, NULL), WSAETIMEDOUT);
    /* "WSAEWOULDBLOCK": non-blocking, nothing there. */
    u_long nb = 1;
    assert_wsa_ok(ioctlsocket(r, FIONBIO, &nb));
    assert_wsa_error(pRecvMsg(r, &m.m, &got, NULL, NULL), WSAEWOULDBLOCK);
    /* "WSAECONNRESET": a previous send met a port unreachable. */
    SOCKADDR_STORAGE gone;
    int glen;
    SOCKET g = ws2t_bound(AF_INET, SOCK_DGRAM);
    ws2t_name(g, &gone, &glen);
    closesocket(g);
    char x = 'x';
    assert_int_equal(sendto(r, &x, 1, 0, (struct sockaddr *)&gone, glen), 1);
    int err = 0;
    for (int i = 0; i < 100; i++) {
        if (pRecvMsg(r, &m.m, &got, NULL, NULL) != SOCKET_ERROR)
            fail_msg("a receive succeeded");
        err = WSAGetLastError();
        if (err != WSAEWOULDBLOCK)
            break;
        ws2t_sleep_ms(5);
    }
    assert_int_equal(err, WSAECONNRESET);
    /* "WSAESHUTDOWN" after SD_RECEIVE. */
    assert_wsa_ok(shutdown(r, SD_RECEIVE));
    assert_wsa_error(pRecvMsg(r, &m.m, &got, NULL, NULL), WSAESHUTDOWN);
    /* "WSAEINVAL": not bound. */
    SOCKET u = socket(AF_INET, SOCK_DGRAM, 0);
    assert_wsa_error(pRecvMsg(u, &m.m, &got, NULL, NULL), WSAEINVAL);
    closesocket(u);
    /* A stream socket: MSG_PEEK is WSAEOPNOTSUPP ("on a non-datagram
     * socket"), otherwise WSAEINVAL (datagram sockets only). */
    SOCKET c, a;
    ws2t_tcp_pair(AF_INET, &c, &a);
    m.m.dwFlags = MSG_PEEK;
    assert_wsa_error(pRecvMsg(a, &m.m, &got, NULL, NULL), WSAEOPNOTSUPP);
    m.m.dwFlags = 0;
    assert_wsa_error(pRecvMsg(a, &m.m, &got, NULL, NULL), WSAEINVAL);
    closesocket(c);
    closesocket(a);
    closesocket(r);
    closesocket(s);
}

static void test_not_initialised(void **state)
{
    (void)state;
    WSAMSG m;
    memset(&m, 0, sizeof(m));
    DWORD sent;
    assert_int_equal(WSACleanup(), 0);
    assert_wsa_error(WSASendMsg(4, &m, 0, &sent, NULL, NULL),
                     WSANOTINITIALISED);
    WSADATA d;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0);
}

/* ---- overlapped: events ---- */

/* A WSARecvMsg that waits: WSA_IO_PENDING, the WSAMSG untouched until the
 * datagram comes; then the event, the count, the control data, the name
 * (Wine's test_ip_pktinfo). One that finds its datagram completes at
 * once, and still sets its event. */
static void event_case(u_long nonblocking)
{
    SOCKET r, s;
    ws2t_udp_pair(AF_INET, &s, &r, 0);
    set_int(r, IPPROTO_IP, IP_PKTINFO, 1);
    assert_wsa_ok(ioctlsocket(r, FIONBIO, &nonblocking));
    WSAEVENT ev = WSACreateEvent();
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    ov.hEvent = ev;
    struct rmsg m;
    rmsg_init(&m, sizeof(m.data), sizeof(m.ctl));
    assert_wsa_error(pRecvMsg(r, &m.m, NULL, &ov, NULL), WSA_IO_PENDING);
    assert_int_equal(m.m.Control.len, sizeof(m.ctl));
    assert_int_equal(WSAWaitForMultipleEvents(1, &ev, TRUE, 20, FALSE),
                     WSA_WAIT_TIMEOUT);
    send_pattern(s, r, 700, 50);
    ws2t_wait_event(ev, 5000);
    DWORD bytes = POISON, flags = POISON;
    assert_true(WSAGetOverlappedResult(r, &ov, &bytes, FALSE, &flags));
    assert_int_equal(bytes, 700);
    assert_int_equal(flags, 0);
    ws2t_check(m.data, 700, 50, 0);
    check_from(&m, s, "127.0.0.1");
    assert_int_equal(m.m.dwFlags, 0);
    assert_int_equal(m.m.Control.len, WSA_CMSG_SPACE(sizeof(IN_PKTINFO)));
    check_pktinfo4(&m.m, "127.0.0.1");

    /* The datagram first: done inside the call. */
    send_pattern(s, r, 9, 51);
    rmsg_init(&m, sizeof(m.data), sizeof(m.ctl));
    DWORD got = POISON;
    assert_int_equal(pRecvMsg(r, &m.m, &got, &ov, NULL), 0);
    assert_int_equal(got, 9);
    ws2t_wait_event(ev, 0);
    assert_true(WSAGetOverlappedResult(r, &ov, &bytes, FALSE, &flags));
    assert_int_equal(bytes, 9);
    ws2t_check(m.data, 9, 51, 0);
    check_pktinfo4(&m.m, "127.0.0.1");
    WSACloseEvent(ev);
    closesocket(r);
    closesocket(s);
}

/* On a non-blocking socket too (io_uring then waits for readiness and
 * issues the receive again, its control room with it). */
static void test_event(void **state)
{
    (void)state;
    event_case(0);
    event_case(1);
}

/* Wine's test_ip_pktinfo: a control buffer too small, overlapped: the
 * request goes pending and completes with WSAEMSGSIZE and the byte
 * count; MSG_CTRUNC is in the WSAMSG, the flags of the result are 0. The
 * same when the datagram was there before the call. */
static void test_event_ctrunc(void **state)
{
    (void)state;
    SOCKET r, s;
    ws2t_udp_pair(AF_INET, &s, &r, 0);
    set_int(r, IPPROTO_IP, IP_PKTINFO, 1);
    WSAEVENT ev = WSACreateEvent();
    WSAOVERLAPPED ov;
    for (int before = 0; before < 2; before++) {
        memset(&ov, 0, sizeof(ov));
        ov.hEvent = ev;
        struct rmsg m;
        rmsg_init(&m, sizeof(m.data), 1);
        m.m.dwFlags = 0;
        if (before)
            send_pattern(s, r, 6, 52);
        assert_wsa_error(pRecvMsg(r, &m.m, NULL, &ov, NULL), WSA_IO_PENDING);
        if (!before)
            send_pattern(s, r, 6, 52);
        ws2t_wait_event(ev, 5000);
        DWORD bytes = POISON, flags = POISON;
        assert_false(WSAGetOverlappedResult(r, &ov, &bytes, FALSE, &flags));
        assert_int_equal(WSAGetLastError(), WSAEMSGSIZE);
        assert_int_equal(bytes, 6);
        ws2t_check(m.data, 6, 52, 0);
        assert_int_equal(m.m.dwFlags, MSG_CTRUNC);
        assert_int_equal(m.m.Control.len, 0);
    }
    WSACloseEvent(ev);
    closesocket(r);
    closesocket(s);
}

/* Several receives wait at once; datagrams fill them in the order they
 * were posted, each with its own control data. */
static void test_many_pending(void **state)
{
    (void)state;
    enum { N = 8 };
    SOCKET r, s;
    ws2t_udp_pair(AF_INET, &s, &r, 0);
    set_int(r, IPPROTO_IP, IP_PKTINFO, 1);
    set_int(r, IPPROTO_IP, IP_RECVTTL, 1);
    struct rmsg *m = calloc(N, sizeof(*m));
    WSAOVERLAPPED ov[N];
    WSAEVENT ev[N];
    assert_non_null(m);
    for (int i = 0; i < N; i++) {
        ev[i] = WSACreateEvent();
        memset(&ov[i], 0, sizeof(ov[i]));
        ov[i].hEvent = ev[i];
        rmsg_init(&m[i], sizeof(m[i].data), sizeof(m[i].ctl));
        assert_wsa_error(pRecvMsg(r, &m[i].m, NULL, &ov[i], NULL),
                         WSA_IO_PENDING);
    }
    for (int i = 0; i < N; i++)
        send_pattern(s, r, 100 + i, 60 + (uint32_t)i);
    for (int i = 0; i < N; i++) {
        ws2t_wait_event(ev[i], 5000);
        DWORD bytes, flags;
        assert_true(WSAGetOverlappedResult(r, &ov[i], &bytes, FALSE, &flags));
        assert_int_equal(bytes, 100 + i);
        ws2t_check(m[i].data, 100 + (size_t)i, 60 + (uint32_t)i, 0);
        check_pktinfo4(&m[i].m, "127.0.0.1");
        int n;
        assert_non_null(find_cmsg(&m[i].m, IPPROTO_IP, IP_TTL, &n));
        assert_int_equal(n, 2);
        WSACloseEvent(ev[i]);
    }
    free(m);
    closesocket(r);
    closesocket(s);
}

/* closesocket completes a waiting WSARecvMsg with WSA_OPERATION_ABORTED. */
static void test_close_aborts(void **state)
{
    (void)state;
    SOCKET r = ws2t_bound(AF_INET, SOCK_DGRAM);
    WSAEVENT ev = WSACreateEvent();
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    ov.hEvent = ev;
    struct rmsg m;
    rmsg_init(&m, sizeof(m.data), sizeof(m.ctl));
    m.m.dwFlags = MSG_BCAST; /* output-only: ignored going in */
    assert_wsa_error(pRecvMsg(r, &m.m, NULL, &ov, NULL), WSA_IO_PENDING);
    assert_wsa_ok(closesocket(r));
    ws2t_wait_event(ev, 5000);
    assert_int_equal(ov.Internal, WSA_OPERATION_ABORTED);
    /* The WSAMSG is left as it was. */
    assert_int_equal(m.m.dwFlags, MSG_BCAST);
    assert_int_equal(m.m.Control.len, sizeof(m.ctl));
    WSACloseEvent(ev);
}

/* An overlapped WSASendMsg completes through its event, by both entry
 * points; with more buffers than one Linux call takes, it goes through
 * the engine, its control data with it. */
static void test_send_event(void **state)
{
    (void)state;
    enum { NB = 1100 };
    SOCKET r = ws2t_bound(AF_INET, SOCK_DGRAM);
    SOCKET s = socket(AF_INET, SOCK_DGRAM, 0);
    struct dest dst = dest_of(r);
    WSAEVENT ev = WSACreateEvent();
    WSAOVERLAPPED ov;
    char buf[NB];
    WSABUF *bufs = calloc(NB, sizeof(*bufs));
    assert_non_null(bufs);
    for (int round = 0; round < 3; round++) {
        ULONG count = round == 2 ? NB : 1;
        ws2t_fill(buf, NB, 70 + (uint32_t)round, 0);
        for (ULONG i = 0; i < count; i++) {
            bufs[i].buf = buf + i;
            bufs[i].len = count == 1 ? NB : 1;
        }
        struct pkt4 p;
        WSAMSG m = smsg(&dst.a, dst.len, bufs, pktinfo4(&p, "127.0.0.5", 0));
        m.dwBufferCount = count;
        memset(&ov, 0, sizeof(ov));
        ov.hEvent = ev;
        int ret = round == 1 ? pSendMsg(s, &m, 0, NULL, &ov, NULL)
                             : WSASendMsg(s, &m, 0, NULL, &ov, NULL);
        started(ret);
        ws2t_wait_event(ev, 5000);
        DWORD bytes = POISON, flags = POISON;
        assert_true(WSAGetOverlappedResult(s, &ov, &bytes, FALSE, &flags));
        assert_int_equal(bytes, NB);
        expect_datagram(r, s, NB, 70 + (uint32_t)round, "127.0.0.5");
    }
    free(bufs);
    WSACloseEvent(ev);
    closesocket(r);
    closesocket(s);
}

/* ---- overlapped: completion routines ---- */

/* Wine's test_ip_pktinfo, with an APC: the datagram is there, the control
 * buffer too small; the call goes pending and the routine runs in the
 * next alertable wait with WSAEMSGSIZE, the size and flags 0. */
static void test_routine(void **state)
{
    (void)state;
    SOCKET r, s;
    ws2t_udp_pair(AF_INET, &s, &r, 0);
    set_int(r, IPPROTO_IP, IP_PKTINFO, 1);
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    struct rmsg m;

    send_pattern(s, r, 6, 80);
    rmsg_init(&m, sizeof(m.data), 1);
    reset_routine();
    assert_wsa_error(pRecvMsg(r, &m.m, NULL, &ov, routine), WSA_IO_PENDING);
    assert_int_equal(rt.calls, 0);
    expect_routine(&ov, WSAEMSGSIZE, 6);
    assert_int_equal(m.m.dwFlags, MSG_CTRUNC);

    /* Waiting first: the routine has the count, the WSAMSG the rest. */
    rmsg_init(&m, sizeof(m.data), sizeof(m.ctl));
    reset_routine();
    assert_wsa_error(pRecvMsg(r, &m.m, NULL, &ov, routine), WSA_IO_PENDING);
    send_pattern(s, r, 333, 81);
    expect_routine(&ov, 0, 333);
    ws2t_check(m.data, 333, 81, 0);
    check_pktinfo4(&m.m, "127.0.0.1");
    check_from(&m, s, "127.0.0.1");

    /* WSASendMsg with a routine ("Currently there are no flag values
     * defined and the dwFlags parameter will be zero"). */
    struct dest dst = dest_of(r);
    char buf[44];
    ws2t_fill(buf, sizeof(buf), 82, 0);
    WSABUF data = {sizeof(buf), buf};
    struct pkt4 p;
    WSAMSG sm = smsg(&dst.a, dst.len, &data, pktinfo4(&p, "127.0.0.6", 0));
    for (int ext = 0; ext < 2; ext++) {
        reset_routine();
        int ret = ext ? pSendMsg(s, &sm, 0, NULL, &ov, routine)
                      : WSASendMsg(s, &sm, 0, NULL, &ov, routine);
        started(ret);
        expect_routine(&ov, 0, sizeof(buf));
        expect_datagram(r, s, sizeof(buf), 82, "127.0.0.6");
    }
    closesocket(r);
    closesocket(s);
}

/* ---- overlapped: completion ports ---- */

static void expect_packet(HANDLE port, ULONG_PTR key, LPOVERLAPPED ov,
                          DWORD bytes, DWORD err)
{
    DWORD n = POISON;
    ULONG_PTR k = POISON;
    LPOVERLAPPED o = NULL;
    SetLastError(POISON);
    BOOL ok = GetQueuedCompletionStatus(port, &n, &k, &o, 5000);
    DWORD e = GetLastError();
    if (ok != !err || o != ov || k != key || n != bytes || (err && e != err))
        fail_msg("GetQueuedCompletionStatus: got %d ov %p key %lu bytes %u "
                 "error %u; wanted %d ov %p key %lu bytes %u error %u",
                 ok, (void *)o, (unsigned long)k, n, e, !err, (void *)ov,
                 (unsigned long)key, bytes, err);
}

/* Both calls complete to the socket's port with its key; a truncated
 * message comes as ERROR_MORE_DATA (STATUS_BUFFER_OVERFLOW), as other
 * truncated receives do. */
static void test_port(void **state)
{
    (void)state;
    SOCKET r = ws2t_bound(AF_INET, SOCK_DGRAM);
    SOCKET s = socket(AF_INET, SOCK_DGRAM, 0);
    set_int(r, IPPROTO_IP, IP_PKTINFO, 1);
    HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    assert_non_null(port);
    assert_ptr_equal(CreateIoCompletionPort((HANDLE)r, port, 7, 0), port);
    assert_ptr_equal(CreateIoCompletionPort((HANDLE)s, port, 8, 0), port);
    WSAOVERLAPPED rov, sov;
    memset(&rov, 0, sizeof(rov));
    memset(&sov, 0, sizeof(sov));
    struct rmsg m;
    rmsg_init(&m, sizeof(m.data), sizeof(m.ctl));
    assert_wsa_error(pRecvMsg(r, &m.m, NULL, &rov, NULL), WSA_IO_PENDING);

    struct dest dst = dest_of(r);
    char buf[77];
    ws2t_fill(buf, sizeof(buf), 90, 0);
    WSABUF data = {sizeof(buf), buf};
    struct pkt4 p;
    WSAMSG sm = smsg(&dst.a, dst.len, &data, pktinfo4(&p, "127.0.0.7", 0));
    int ret = WSASendMsg(s, &sm, 0, NULL, &sov, NULL);
    started(ret);
    /* Two packets, in either order. */
    for (int i = 0; i < 2; i++) {
        DWORD n = 0;
        ULONG_PTR k = 0;
        LPOVERLAPPED o = NULL;
        assert_true(GetQueuedCompletionStatus(port, &n, &k, &o, 5000));
        assert_int_equal(n, sizeof(buf));
        assert_true((k == 7 && o == &rov) || (k == 8 && o == &sov));
    }
    ws2t_check(m.data, sizeof(buf), 90, 0);
    check_from(&m, s, "127.0.0.7");
    check_pktinfo4(&m.m, "127.0.0.1");

    /* Through the extension pointer, and a truncated control buffer. */
    rmsg_init(&m, sizeof(m.data), 4);
    assert_wsa_error(pRecvMsg(r, &m.m, NULL, &rov, NULL), WSA_IO_PENDING);
    ret = pSendMsg(s, &sm, 0, NULL, &sov, NULL);
    started(ret);
    DWORD n = 0;
    ULONG_PTR k = 0;
    LPOVERLAPPED o = NULL;
    BOOL ok = GetQueuedCompletionStatus(port, &n, &k, &o, 5000);
    if (o == &sov) { /* the send's packet came first */
        assert_true(ok);
        expect_packet(port, 7, &rov, sizeof(buf), ERROR_MORE_DATA);
    } else {
        assert_false(ok);
        assert_int_equal(GetLastError(), ERROR_MORE_DATA);
        assert_ptr_equal(o, &rov);
        expect_packet(port, 8, &sov, sizeof(buf), 0);
    }
    assert_int_equal(m.m.dwFlags, MSG_CTRUNC);
    ws2t_check(m.data, sizeof(buf), 90, 0);
    closesocket(r);
    closesocket(s);
    assert_true(CloseHandle(port));
}

int main(void)
{
    if (ws2t_engine_or_skip())
        return 77;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pointers),
        cmocka_unit_test(test_recv_pktinfo),
        cmocka_unit_test(test_recv_pktinfo_off),
        cmocka_unit_test(test_recv_ttl_tos),
        cmocka_unit_test(test_recv_hoplimit_tclass),
        cmocka_unit_test(test_recv_truncated),
        cmocka_unit_test(test_recv_ctrunc),
        cmocka_unit_test(test_recv_peek),
        cmocka_unit_test(test_recv_bcast),
        cmocka_unit_test(test_recv_mcast),
        cmocka_unit_test(test_recv_blocking),
        cmocka_unit_test(test_send_source_v4),
        cmocka_unit_test(test_send_source_v6),
        cmocka_unit_test(test_send_connected),
        cmocka_unit_test(test_send_ioctl_path),
        cmocka_unit_test(test_dual_stack),
        cmocka_unit_test(test_send_errors),
        cmocka_unit_test(test_recv_errors),
        cmocka_unit_test(test_event),
        cmocka_unit_test(test_event_ctrunc),
        cmocka_unit_test(test_many_pending),
        cmocka_unit_test(test_close_aborts),
        cmocka_unit_test(test_send_event),
        cmocka_unit_test(test_routine),
        cmocka_unit_test(test_port),
        cmocka_unit_test(test_not_initialised),
    };
    return cmocka_run_group_tests(tests, fetch, ws2t_cleanup);
}
