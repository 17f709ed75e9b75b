/*
 * test_socket.c - the socket life cycle over IPv4 and IPv6: creation
 * (socket, WSASocketA/W), bind, connect, listen, accept/WSAAccept, the name
 * queries, shutdown and closesocket, with the errors Windows documents for
 * each; closesocket waking calls blocked in other threads; no SIGPIPE ever.
 * Every test ends with as many open handles as it started with (the
 * internal ws2__handle_count, src/spi/handle.h).
 */
#define _GNU_SOURCE
#include "util.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include "spi/handle.h"


static const int families[] = {AF_INET, AF_INET6};

static unsigned handles_at_start;

static int count_start(void **state)
{
    (void)state;
    handles_at_start = ws2__handle_count();
    WSASetLastError(0);
    return 0;
}

static int count_check(void **state)
{
    (void)state;
    unsigned now = ws2__handle_count();
    if (now != handles_at_start) {
        fprintf(stderr, "leak: %u handles open, %u at the start\n", now,
                handles_at_start);
        return -1;
    }
    return 0;
}

/* ---- helpers ---- */

static SOCKET make(int af, int type)
{
    SOCKET s = socket(af, type, 0);
    if (s == INVALID_SOCKET)
        fail_msg("socket(%d, %d, 0): error %d", af, type, WSAGetLastError());
    return s;
}

/* A listening TCP socket on loopback; its address in ss/len. */
static SOCKET listener(int af, int backlog, SOCKADDR_STORAGE *ss, int *len)
{
    SOCKET l = ws2t_bound(af, SOCK_STREAM);
    assert_wsa_ok(listen(l, backlog));
    ws2t_name(l, ss, len);
    return l;
}

/* A loopback address whose TCP port nobody listens on. */
static void closed_port(int af, SOCKADDR_STORAGE *ss, int *len)
{
    SOCKET s = ws2t_bound(af, SOCK_STREAM);
    ws2t_name(s, ss, len);
    assert_wsa_ok(closesocket(s));
}

static u_short port_of(const SOCKADDR_STORAGE *ss)
{
    return ss->ss_family == AF_INET6 ? ntohs(((SOCKADDR_IN6 *)ss)->sin6_port)
                                     : ntohs(((SOCKADDR_IN *)ss)->sin_port);
}

static void set_nonblocking(SOCKET s, u_long on)
{
    assert_wsa_ok(ioctlsocket(s, FIONBIO, &on));
}

static void protocol_info(SOCKET s, WSAPROTOCOL_INFOW *info)
{
    int len = sizeof(*info);
    memset(info, 0xcc, sizeof(*info));
    assert_wsa_ok(getsockopt(s, SOL_SOCKET, SO_PROTOCOL_INFOW, (char *)info,
                             &len));
    assert_int_equal(len, sizeof(*info));
}

static void check_kind(SOCKET s, int af, int type, int protocol)
{
    WSAPROTOCOL_INFOW info;
    protocol_info(s, &info);
    assert_int_equal(info.iAddressFamily, af);
    assert_int_equal(info.iSocketType, type);
    assert_int_equal(info.iProtocol, protocol);
    int v = (int)POISON, len = sizeof(v);
    assert_wsa_ok(getsockopt(s, SOL_SOCKET, SO_TYPE, (char *)&v, &len));
    assert_int_equal(v, type);
}

/* ---- creation ---- */

/* socket: "If a value of 0 is specified [for protocol], the caller does not
 * wish to specify a protocol and the service provider will choose the
 * protocol to use." The socket made is the kind asked for. */
static void test_create(void **state)
{
    (void)state;
    static const struct {
        int af, type, protocol;
        int want_af, want_type, want_protocol;
    } rows[] = {
        {AF_INET, SOCK_STREAM, 0, AF_INET, SOCK_STREAM, IPPROTO_TCP},
        {AF_INET, SOCK_STREAM, IPPROTO_TCP, AF_INET, SOCK_STREAM, IPPROTO_TCP},
        {AF_INET, SOCK_DGRAM, 0, AF_INET, SOCK_DGRAM, IPPROTO_UDP},
        {AF_INET, SOCK_DGRAM, IPPROTO_UDP, AF_INET, SOCK_DGRAM, IPPROTO_UDP},
        {AF_INET, 0, IPPROTO_UDP, AF_INET, SOCK_DGRAM, IPPROTO_UDP},
        {AF_INET, 0, IPPROTO_TCP, AF_INET, SOCK_STREAM, IPPROTO_TCP},
        {AF_INET6, SOCK_STREAM, 0, AF_INET6, SOCK_STREAM, IPPROTO_TCP},
        {AF_INET6, SOCK_STREAM, IPPROTO_TCP, AF_INET6, SOCK_STREAM,
         IPPROTO_TCP},
        {AF_INET6, SOCK_DGRAM, 0, AF_INET6, SOCK_DGRAM, IPPROTO_UDP},
        {AF_INET6, SOCK_DGRAM, IPPROTO_UDP, AF_INET6, SOCK_DGRAM,
         IPPROTO_UDP},
        /* AF_UNSPEC with a protocol: the first catalog entry that fits
         * (IPv4 first). */
        {AF_UNSPEC, SOCK_STREAM, IPPROTO_TCP, AF_INET, SOCK_STREAM,
         IPPROTO_TCP},
        {AF_UNSPEC, 0, IPPROTO_TCP, AF_INET, SOCK_STREAM, IPPROTO_TCP},
        {AF_UNSPEC, 0, IPPROTO_UDP, AF_INET, SOCK_DGRAM, IPPROTO_UDP},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        WSASetLastError(12345);
        SOCKET s = socket(rows[i].af, rows[i].type, rows[i].protocol);
        if (s == INVALID_SOCKET)
            fail_msg("socket(%d, %d, %d): error %d", rows[i].af,
                     rows[i].type, rows[i].protocol, WSAGetLastError());
        check_kind(s, rows[i].want_af, rows[i].want_type,
                   rows[i].want_protocol);
        assert_wsa_ok(closesocket(s));
        s = WSASocketW(rows[i].af, rows[i].type, rows[i].protocol, NULL, 0, 0);
        assert_true(s != INVALID_SOCKET);
        check_kind(s, rows[i].want_af, rows[i].want_type,
                   rows[i].want_protocol);
        assert_wsa_ok(closesocket(s));
        s = WSASocketA(rows[i].af, rows[i].type, rows[i].protocol, NULL, 0,
                       WSA_FLAG_OVERLAPPED);
        assert_true(s != INVALID_SOCKET);
        check_kind(s, rows[i].want_af, rows[i].want_type,
                   rows[i].want_protocol);
        assert_wsa_ok(closesocket(s));
    }
}

/* socket / WSASocket error table: "WSAEAFNOSUPPORT The specified address
 * family is not supported." "WSAESOCKTNOSUPPORT The specified socket type
 * is not supported in this address family." "WSAEPROTONOSUPPORT The
 * specified protocol is not supported." "WSAEINVAL ... This error is
 * returned if the af parameter is set to AF_UNSPEC and the type and
 * protocol parameter are unspecified." */
static void test_create_errors(void **state)
{
    (void)state;
    static const struct {
        int af, type, protocol, err;
    } rows[] = {
        {0xdead, SOCK_STREAM, 0, WSAEAFNOSUPPORT},
        {-1, SOCK_STREAM, IPPROTO_TCP, WSAEAFNOSUPPORT},
        {AF_APPLETALK, SOCK_DGRAM, 0, WSAEAFNOSUPPORT},
        {AF_INET, 0xdead, 0, WSAESOCKTNOSUPPORT},
        {AF_INET6, -1, 0, WSAESOCKTNOSUPPORT},
        {AF_INET, SOCK_STREAM, 0xdead, WSAEPROTONOSUPPORT},
        {AF_INET, SOCK_STREAM, IPPROTO_UDP, WSAEPROTONOSUPPORT},
        {AF_INET, SOCK_DGRAM, IPPROTO_TCP, WSAEPROTONOSUPPORT},
        {AF_INET6, SOCK_STREAM, IPPROTO_UDP, WSAEPROTONOSUPPORT},
        {AF_INET6, SOCK_DGRAM, IPPROTO_TCP, WSAEPROTONOSUPPORT},
        {AF_UNSPEC, 0, 0, WSAEINVAL},
        /* Windows also refuses AF_UNSPEC when only the type narrows it
         * (Wine's test_WSASocket, which passes on Windows). */
        {AF_UNSPEC, SOCK_STREAM, 0, WSAEINVAL},
        {AF_UNSPEC, SOCK_DGRAM, 0, WSAEINVAL},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        WSASetLastError(0);
        SOCKET s = socket(rows[i].af, rows[i].type, rows[i].protocol);
        if (s != INVALID_SOCKET || WSAGetLastError() != rows[i].err)
            fail_msg("socket(%d, %d, %d): got 0x%llx error %d, wanted %d",
                     rows[i].af, rows[i].type, rows[i].protocol,
                     (unsigned long long)s, WSAGetLastError(), rows[i].err);
        WSASetLastError(0);
        s = WSASocketW(rows[i].af, rows[i].type, rows[i].protocol, NULL, 0,
                       WSA_FLAG_OVERLAPPED);
        assert_true(s == INVALID_SOCKET);
        assert_int_equal(WSAGetLastError(), rows[i].err);
    }
}

/* WSASocket: "WSAEINVAL ... The parameter g specified is not valid." (no
 * socket groups are supported: any g other than 0 is not valid). */
static void test_create_group(void **state)
{
    (void)state;
    static const GROUP groups[] = {1, 2, SG_UNCONSTRAINED_GROUP,
                                   SG_CONSTRAINED_GROUP, 0xdeadbeef};
    for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
        WSASetLastError(0);
        assert_true(WSASocketW(AF_INET, SOCK_STREAM, 0, NULL, groups[i], 0) ==
                    INVALID_SOCKET);
        assert_int_equal(WSAGetLastError(), WSAEINVAL);
        WSASetLastError(0);
        assert_true(WSASocketA(AF_INET6, SOCK_DGRAM, 0, NULL, groups[i], 0) ==
                    INVALID_SOCKET);
        assert_int_equal(WSAGetLastError(), WSAEINVAL);
    }
}

/* WSASocket: "If lpProtocolInfo is not NULL, the socket will be bound to
 * the provider associated with the indicated WSAPROTOCOL_INFO structure.
 * In this instance, the application can supply the manifest constant
 * FROM_PROTOCOL_INFO as the value for any of af, type, or protocol." The
 * structure comes from getsockopt(SO_PROTOCOL_INFO). "WSAEINVAL ... The
 * WSAPROTOCOL_INFO structure that lpProtocolInfo points to is incomplete,
 * the contents are invalid ..." */
static void test_create_from_protocol_info(void **state)
{
    (void)state;
    static const int types[] = {SOCK_STREAM, SOCK_DGRAM};
    for (int f = 0; f < 2; f++) {
        for (int t = 0; t < 2; t++) {
            SOCKET s = make(families[f], types[t]);
            WSAPROTOCOL_INFOW w;
            protocol_info(s, &w);
            WSAPROTOCOL_INFOA a;
            int len = sizeof(a);
            memset(&a, 0xcc, sizeof(a));
            assert_wsa_ok(getsockopt(s, SOL_SOCKET, SO_PROTOCOL_INFOA,
                                     (char *)&a, &len));
            assert_int_equal(len, sizeof(a));
            assert_int_equal(a.dwCatalogEntryId, w.dwCatalogEntryId);
            assert_wsa_ok(closesocket(s));

            SOCKET n = WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
                                  FROM_PROTOCOL_INFO, &w, 0,
                                  WSA_FLAG_OVERLAPPED);
            if (n == INVALID_SOCKET)
                fail_msg("WSASocketW(FROM_PROTOCOL_INFO): error %d",
                         WSAGetLastError());
            check_kind(n, w.iAddressFamily, w.iSocketType, w.iProtocol);
            WSAPROTOCOL_INFOW again;
            protocol_info(n, &again);
            assert_int_equal(again.dwCatalogEntryId, w.dwCatalogEntryId);
            assert_wsa_ok(closesocket(n));

            n = WSASocketA(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
                           FROM_PROTOCOL_INFO, &a, 0, 0);
            assert_true(n != INVALID_SOCKET);
            check_kind(n, a.iAddressFamily, a.iSocketType, a.iProtocol);
            assert_wsa_ok(closesocket(n));

            /* The triple may also be given as is. */
            n = WSASocketW(w.iAddressFamily, w.iSocketType, w.iProtocol, &w,
                           0, 0);
            assert_true(n != INVALID_SOCKET);
            check_kind(n, w.iAddressFamily, w.iSocketType, w.iProtocol);
            assert_wsa_ok(closesocket(n));

            /* A structure no provider owns. */
            WSAPROTOCOL_INFOW bad = w;
            bad.dwCatalogEntryId = 0xdeadbeef;
            WSASetLastError(0);
            assert_true(WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
                                   FROM_PROTOCOL_INFO, &bad, 0, 0) ==
                        INVALID_SOCKET);
            assert_int_equal(WSAGetLastError(), WSAEINVAL);
            /* g is checked with lpProtocolInfo too. */
            WSASetLastError(0);
            assert_true(WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
                                   FROM_PROTOCOL_INFO, &w, 1, 0) ==
                        INVALID_SOCKET);
            assert_int_equal(WSAGetLastError(), WSAEINVAL);
        }
    }
}

/* ---- bind ---- */

/* 192.0.2.1 (TEST-NET-1) and 2001:db8::1 (documentation prefix): never
 * local. bind sends nothing, so no traffic leaves the machine. */
static void foreign_address(int af, SOCKADDR_STORAGE *ss, int *len)
{
    ws2t_loopback(af, 0, ss, len);
    if (af == AF_INET6) {
        IN6_ADDR *a = &((SOCKADDR_IN6 *)ss)->sin6_addr;
        memset(a, 0, sizeof(*a));
        a->u.Byte[0] = 0x20;
        a->u.Byte[1] = 0x01;
        a->u.Byte[2] = 0x0d;
        a->u.Byte[3] = 0xb8;
        a->u.Byte[15] = 1;
    } else {
        ((SOCKADDR_IN *)ss)->sin_addr.s_addr = htonl(0xc0000201);
    }
}

static void test_bind(void **state)
{
    (void)state;
    static const int types[] = {SOCK_STREAM, SOCK_DGRAM};
    for (int f = 0; f < 2; f++) {
        int af = families[f], other = families[!f];
        for (int t = 0; t < 2; t++) {
            SOCKADDR_STORAGE ss, got;
            int len, glen;
            SOCKET s = make(af, types[t]);
            ws2t_loopback(af, 0, &ss, &len);

            /* bind: "WSAEFAULT ... This error is returned if the name
             * parameter is NULL, ... the namelen parameter is too small,
             * the name parameter contains an incorrect address format for
             * the associated address family, or the first two bytes of the
             * memory block specified by name do not match the address
             * family associated with the socket descriptor s." */
            assert_wsa_error(bind(s, NULL, len), WSAEFAULT);
            assert_wsa_error(bind(s, (struct sockaddr *)&ss, len - 1),
                             WSAEFAULT);
            assert_wsa_error(bind(s, (struct sockaddr *)&ss, 0), WSAEFAULT);
            SOCKADDR_STORAGE wrong;
            int wlen;
            ws2t_loopback(other, 0, &wrong, &wlen);
            assert_wsa_error(bind(s, (struct sockaddr *)&wrong,
                                  (int)sizeof(wrong)),
                             WSAEFAULT);
            /* "WSAEADDRNOTAVAIL ... This error is returned if the specified
             * address pointed to by the name parameter is not a valid local
             * IP address on this computer." */
            SOCKADDR_STORAGE foreign;
            int flen;
            foreign_address(af, &foreign, &flen);
            assert_wsa_error(bind(s, (struct sockaddr *)&foreign, flen),
                             WSAEADDRNOTAVAIL);

            /* None of these bound it. */
            glen = sizeof(got);
            assert_wsa_error(getsockname(s, (struct sockaddr *)&got, &glen),
                             WSAEINVAL);

            /* Success: port 0 picks a port. */
            assert_wsa_ok(bind(s, (struct sockaddr *)&ss, len));
            ws2t_name(s, &got, &glen);
            assert_int_equal(glen, len);
            assert_int_equal(got.ss_family, af);
            assert_true(port_of(&got) != 0);

            /* "WSAEINVAL ... This error is returned of the socket s is
             * already bound to an address." */
            assert_wsa_error(bind(s, (struct sockaddr *)&ss, len), WSAEINVAL);
            assert_wsa_error(bind(s, (struct sockaddr *)&got, glen),
                             WSAEINVAL);

            /* "WSAEADDRINUSE ... This error is returned if a process on the
             * computer is already bound to the same fully qualified address
             * and the socket has not been marked to allow address reuse
             * with SO_REUSEADDR." (TCP: with the first socket listening.) */
            if (types[t] == SOCK_STREAM)
                assert_wsa_ok(listen(s, 1));
            SOCKET s2 = make(af, types[t]);
            assert_wsa_error(bind(s2, (struct sockaddr *)&got, glen),
                             WSAEADDRINUSE);
            /* s2 is still unbound and can bind elsewhere. */
            assert_wsa_ok(bind(s2, (struct sockaddr *)&ss, len));
            assert_wsa_ok(closesocket(s2));
            assert_wsa_ok(closesocket(s));
        }
    }
}

/* bind: "WSAEADDRINUSE ... This error is returned if a process on the
 * computer is already bound to the same fully qualified address and the
 * socket has not been marked to allow address reuse with SO_REUSEADDR." -
 * here the first TCP socket is bound but not listening (Linux alone would
 * allow it were both sockets sharing). With SO_REUSEADDR on the second one
 * only, Windows says WSAEACCES (Wine's test_reuseaddr, run on Windows). */
static void test_bind_tcp_in_use(void **state)
{
    (void)state;
    for (int f = 0; f < 2; f++) {
        SOCKET a = ws2t_bound(families[f], SOCK_STREAM);
        SOCKADDR_STORAGE ss;
        int len;
        ws2t_name(a, &ss, &len);
        SOCKET b = make(families[f], SOCK_STREAM);
        assert_wsa_error(bind(b, (struct sockaddr *)&ss, len), WSAEADDRINUSE);
        BOOL on = TRUE;
        assert_wsa_ok(setsockopt(b, SOL_SOCKET, SO_REUSEADDR, (char *)&on,
                                 sizeof(on)));
        assert_wsa_error(bind(b, (struct sockaddr *)&ss, len), WSAEACCES);
        /* Both sharing: the second bind succeeds. */
        SOCKET c = make(families[f], SOCK_STREAM);
        SOCKET d = make(families[f], SOCK_STREAM);
        assert_wsa_ok(setsockopt(c, SOL_SOCKET, SO_REUSEADDR, (char *)&on,
                                 sizeof(on)));
        assert_wsa_ok(setsockopt(d, SOL_SOCKET, SO_REUSEADDR, (char *)&on,
                                 sizeof(on)));
        ws2t_loopback(families[f], 0, &ss, &len);
        assert_wsa_ok(bind(c, (struct sockaddr *)&ss, len));
        ws2t_name(c, &ss, &len);
        assert_wsa_ok(bind(d, (struct sockaddr *)&ss, len));
        assert_wsa_ok(closesocket(d));
        assert_wsa_ok(closesocket(c));
        assert_wsa_ok(closesocket(b));
        assert_wsa_ok(closesocket(a));
    }
}

/* A server may bind its port again at once after closing, although the
 * connections it closed first wait in TIME_WAIT (Windows allows it without
 * SO_REUSEADDR); and the new listener really accepts. */
static void test_rebind_over_time_wait(void **state)
{
    (void)state;
    SOCKADDR_STORAGE ss;
    int len;
    SOCKET l = listener(AF_INET, 5, &ss, &len);
    for (int i = 0; i < 3; i++) {
        SOCKET c = make(AF_INET, SOCK_STREAM);
        assert_wsa_ok(connect(c, (struct sockaddr *)&ss, len));
        SOCKET a = accept(l, NULL, NULL);
        assert_true(a != INVALID_SOCKET);
        assert_wsa_ok(closesocket(a)); /* the server closes first */
        char b;
        ws2t_rcvtimeo(c, 5000);
        assert_int_equal(recv(c, &b, 1, 0), 0);
        assert_wsa_ok(closesocket(c));
    }
    assert_wsa_ok(closesocket(l));
    SOCKET l2 = make(AF_INET, SOCK_STREAM);
    assert_wsa_ok(bind(l2, (struct sockaddr *)&ss, len));
    assert_wsa_ok(listen(l2, 5));
    SOCKET c = make(AF_INET, SOCK_STREAM);
    assert_wsa_ok(connect(c, (struct sockaddr *)&ss, len));
    SOCKET a = accept(l2, NULL, NULL);
    assert_true(a != INVALID_SOCKET);
    assert_wsa_ok(closesocket(a));
    assert_wsa_ok(closesocket(c));
    assert_wsa_ok(closesocket(l2));
}

/* ---- connect ---- */

static void test_connect(void **state)
{
    (void)state;
    for (int f = 0; f < 2; f++) {
        int af = families[f], other = families[!f];
        SOCKADDR_STORAGE ss, peer, wrong;
        int len, plen, wlen;
        SOCKET l = listener(af, 5, &ss, &len);

        /* "On a blocking socket, the return value indicates success or
         * failure of the connection attempt." */
        SOCKET c = make(af, SOCK_STREAM);
        /* "WSAEFAULT ... the namelen parameter is too small" */
        assert_wsa_error(connect(c, (struct sockaddr *)&ss, len - 1),
                         WSAEFAULT);
        assert_wsa_error(connect(c, NULL, len), WSAEFAULT);
        /* "WSAEAFNOSUPPORT Addresses in the specified family cannot be used
         * with this socket." */
        ws2t_loopback(other, port_of(&ss), &wrong, &wlen);
        assert_wsa_error(connect(c, (struct sockaddr *)&wrong,
                                 (int)sizeof(wrong)),
                         WSAEAFNOSUPPORT);
        assert_wsa_ok(connect(c, (struct sockaddr *)&ss, len));
        plen = sizeof(peer);
        assert_wsa_ok(getpeername(c, (struct sockaddr *)&peer, &plen));
        assert_int_equal(plen, len);
        assert_memory_equal(&peer, &ss, (size_t)len);
        /* "WSAEISCONN The socket is already connected (connection-oriented
         * sockets only)." */
        assert_wsa_error(connect(c, (struct sockaddr *)&ss, len), WSAEISCONN);
        SOCKET a = accept(l, NULL, NULL);
        assert_true(a != INVALID_SOCKET);

        /* "WSAEINVAL The parameter s is a listening socket." */
        assert_wsa_error(connect(l, (struct sockaddr *)&ss, len), WSAEINVAL);

        /* "WSAEADDRNOTAVAIL The remote address is not a valid address (such
         * as INADDR_ANY or in6addr_any)." A zero port is not valid either:
         * "If the address member of the structure specified by the name
         * parameter is filled with zeros" only datagram sockets disconnect.
         */
        SOCKET c2 = make(af, SOCK_STREAM);
        SOCKADDR_STORAGE any;
        int alen;
        ws2t_loopback(af, port_of(&ss), &any, &alen);
        if (af == AF_INET6)
            memset(&((SOCKADDR_IN6 *)&any)->sin6_addr, 0, sizeof(IN6_ADDR));
        else
            ((SOCKADDR_IN *)&any)->sin_addr.s_addr = 0;
        assert_wsa_error(connect(c2, (struct sockaddr *)&any, alen),
                         WSAEADDRNOTAVAIL);
        SOCKADDR_STORAGE zport;
        int zlen;
        ws2t_loopback(af, 0, &zport, &zlen);
        assert_wsa_error(connect(c2, (struct sockaddr *)&zport, zlen),
                         WSAEADDRNOTAVAIL);

        /* "WSAECONNREFUSED The attempt to connect was forcefully rejected."
         * "If the return error code indicates the connection attempt failed
         * (that is, WSAECONNREFUSED, WSAENETUNREACH, WSAETIMEDOUT) the
         * application can call connect again for the same socket." */
        SOCKADDR_STORAGE closed;
        int clen;
        closed_port(af, &closed, &clen);
        assert_wsa_error(connect(c2, (struct sockaddr *)&closed, clen),
                         WSAECONNREFUSED);
        assert_wsa_ok(connect(c2, (struct sockaddr *)&ss, len));
        SOCKET a2 = accept(l, NULL, NULL);
        assert_true(a2 != INVALID_SOCKET);

        assert_wsa_ok(closesocket(a2));
        assert_wsa_ok(closesocket(c2));
        assert_wsa_ok(closesocket(a));
        assert_wsa_ok(closesocket(c));
        assert_wsa_ok(closesocket(l));
    }
}

/* connect: "With a nonblocking socket, the connection attempt cannot be
 * completed immediately. In this case, connect will return SOCKET_ERROR,
 * and WSAGetLastError will return WSAEWOULDBLOCK." "Until the connection
 * attempt completes on a nonblocking socket, all subsequent calls to
 * connect on the same socket will fail with the error code WSAEALREADY,
 * and WSAEISCONN when the connection completes successfully." */
static void test_connect_nonblocking(void **state)
{
    (void)state;
    for (int f = 0; f < 2; f++) {
        int af = families[f];
        SOCKADDR_STORAGE ss;
        int len;
        SOCKET l = listener(af, 5, &ss, &len);
        SOCKET c = make(af, SOCK_STREAM);
        set_nonblocking(c, 1);
        assert_wsa_error(connect(c, (struct sockaddr *)&ss, len),
                         WSAEWOULDBLOCK);
        int r = 0, err = 0, i;
        for (i = 0; i < 500; i++) {
            r = connect(c, (struct sockaddr *)&ss, len);
            err = WSAGetLastError();
            if (r != SOCKET_ERROR || err != WSAEALREADY)
                break;
            ws2t_sleep_ms(10);
        }
        if (r != SOCKET_ERROR || err != WSAEISCONN)
            fail_msg("connect again after %d tries: ret %d error %d, wanted "
                     "WSAEISCONN",
                     i, r, err);
        assert_wsa_error(connect(c, (struct sockaddr *)&ss, len), WSAEISCONN);
        /* It is connected: data goes through. */
        SOCKET a = accept(l, NULL, NULL);
        assert_true(a != INVALID_SOCKET);
        assert_int_equal(send(c, "hi", 2, 0), 2);
        char buf[2];
        ws2t_recv_all(a, buf, 2);
        assert_memory_equal(buf, "hi", 2);
        assert_wsa_ok(closesocket(a));
        assert_wsa_ok(closesocket(c));
        assert_wsa_ok(closesocket(l));
    }
}

/* A listener whose accept queue is full: Linux drops further SYNs, so a
 * connect to it stays in progress (loopback only, nothing leaves). */
struct full_listener {
    SOCKET l, filler;
    SOCKADDR_STORAGE ss;
    int len;
};

static void full_listener_open(int af, struct full_listener *fl)
{
    fl->l = listener(af, 0, &fl->ss, &fl->len);
    fl->filler = make(af, SOCK_STREAM);
    assert_wsa_ok(connect(fl->filler, (struct sockaddr *)&fl->ss, fl->len));
    ws2t_sleep_ms(50); /* the handshake's last ACK has reached the queue */
}

static void full_listener_close(struct full_listener *fl)
{
    assert_wsa_ok(closesocket(fl->filler));
    assert_wsa_ok(closesocket(fl->l));
}

static void test_connect_already(void **state)
{
    (void)state;
    for (int f = 0; f < 2; f++) {
        struct full_listener fl;
        full_listener_open(families[f], &fl);
        SOCKET c = make(families[f], SOCK_STREAM);
        set_nonblocking(c, 1);
        assert_wsa_error(connect(c, (struct sockaddr *)&fl.ss, fl.len),
                         WSAEWOULDBLOCK);
        assert_wsa_error(connect(c, (struct sockaddr *)&fl.ss, fl.len),
                         WSAEALREADY);
        assert_wsa_error(connect(c, (struct sockaddr *)&fl.ss, fl.len),
                         WSAEALREADY);
        /* A socket that is connecting is not "a bound, unconnected
         * socket" (listen, parameter s): WSAEINVAL. */
        assert_wsa_error(listen(c, 5), WSAEINVAL);
        assert_wsa_ok(closesocket(c));
        full_listener_close(&fl);
    }
}

/* connect on a datagram socket: "If the address member of the structure
 * specified by the name parameter is filled with zeros, the socket will be
 * disconnected. Then, the default remote address will be indeterminate, so
 * send/WSASend and recv/WSARecv calls will return the error code
 * WSAENOTCONN." An AF_UNSPEC address does the same. */
static void test_udp_connect_dissolve(void **state)
{
    (void)state;
    for (int f = 0; f < 2; f++) {
        int af = families[f];
        for (int how = 0; how < 3; how++) {
            SOCKET a, b;
            ws2t_udp_pair(af, &a, &b, 1);
            assert_int_equal(send(a, "x", 1, 0), 1);
            char c = 0;
            assert_int_equal(recv(b, &c, 1, 0), 1);
            assert_int_equal(c, 'x');

            SOCKADDR_STORAGE z;
            int zlen;
            if (how == 0) { /* all zeros, with a port */
                ws2t_loopback(af, 0, &z, &zlen);
                ws2t_loopback(af, 0, &z, &zlen);
                if (af == AF_INET6)
                    memset(&((SOCKADDR_IN6 *)&z)->sin6_addr, 0,
                           sizeof(IN6_ADDR));
                else
                    ((SOCKADDR_IN *)&z)->sin_addr.s_addr = 0;
            } else if (how == 1) { /* all zeros */
                memset(&z, 0, sizeof(z));
                z.ss_family = (ADDRESS_FAMILY)af;
                zlen = af == AF_INET6 ? (int)sizeof(SOCKADDR_IN6)
                                      : (int)sizeof(SOCKADDR_IN);
            } else { /* AF_UNSPEC */
                memset(&z, 0, sizeof(z));
                z.ss_family = AF_UNSPEC;
                zlen = sizeof(struct sockaddr);
            }
            assert_wsa_ok(connect(a, (struct sockaddr *)&z, zlen));
            assert_wsa_error(send(a, "y", 1, 0), WSAENOTCONN);
            SOCKADDR_STORAGE peer;
            int plen = sizeof(peer);
            assert_wsa_error(getpeername(a, (struct sockaddr *)&peer, &plen),
                             WSAENOTCONN);
            /* Still bound, and sendto still works. */
            SOCKADDR_STORAGE bn;
            int blen;
            ws2t_name(b, &bn, &blen);
            assert_int_equal(sendto(a, "z", 1, 0, (struct sockaddr *)&bn,
                                    blen),
                             1);
            assert_int_equal(recv(b, &c, 1, 0), 1);
            assert_int_equal(c, 'z');
            assert_wsa_ok(closesocket(a));
            assert_wsa_ok(closesocket(b));
        }
    }
}

/* ---- listen ---- */

static void test_listen(void **state)
{
    (void)state;
    for (int f = 0; f < 2; f++) {
        int af = families[f];
        /* listen: "WSAEINVAL The socket has not been bound with bind."
         * (Linux would bind it to an ephemeral port.) */
        SOCKET s = make(af, SOCK_STREAM);
        assert_wsa_error(listen(s, 5), WSAEINVAL);
        SOCKADDR_STORAGE ss;
        int len = sizeof(ss);
        assert_wsa_error(getsockname(s, (struct sockaddr *)&ss, &len),
                         WSAEINVAL);
        assert_wsa_ok(closesocket(s));

        /* "WSAEOPNOTSUPP The referenced socket is not of a type that
         * supports the listen operation." */
        SOCKET u = ws2t_bound(af, SOCK_DGRAM);
        assert_wsa_error(listen(u, 5), WSAEOPNOTSUPP);
        assert_wsa_ok(closesocket(u));

        /* "WSAEISCONN The socket is already connected." */
        SOCKET c, a;
        ws2t_tcp_pair(af, &c, &a);
        assert_wsa_error(listen(c, 5), WSAEISCONN);
        assert_wsa_error(listen(a, 5), WSAEISCONN);
        assert_wsa_ok(closesocket(c));
        assert_wsa_ok(closesocket(a));

        /* "If set to SOMAXCONN, the underlying service provider ... will
         * set the backlog to a maximum reasonable value. If set to
         * SOMAXCONN_HINT(N) (where N is a number), the backlog value will
         * be N, adjusted to be within the range (200, 65535)." */
        static const int backlogs[] = {SOMAXCONN, SOMAXCONN_HINT(1),
                                       SOMAXCONN_HINT(5), SOMAXCONN_HINT(300),
                                       SOMAXCONN_HINT(100000), 0, 1, 200};
        for (size_t i = 0; i < sizeof(backlogs) / sizeof(backlogs[0]); i++) {
            SOCKET l = ws2t_bound(af, SOCK_STREAM);
            if (listen(l, backlogs[i]) == SOCKET_ERROR)
                fail_msg("listen(backlog %d): error %d", backlogs[i],
                         WSAGetLastError());
            /* Listening twice is allowed (it changes the backlog). */
            assert_wsa_ok(listen(l, 5));
            SOCKADDR_STORAGE la;
            int llen;
            ws2t_name(l, &la, &llen);
            SOCKET k = make(af, SOCK_STREAM);
            assert_wsa_ok(connect(k, (struct sockaddr *)&la, llen));
            SOCKET n = accept(l, NULL, NULL);
            assert_true(n != INVALID_SOCKET);
            assert_wsa_ok(closesocket(n));
            assert_wsa_ok(closesocket(k));
            assert_wsa_ok(closesocket(l));
        }
    }
}

/* ---- accept ---- */

struct late_connect {
    SOCKADDR_STORAGE ss;
    int len;
    SOCKET c;
};

static void *connect_late(void *arg)
{
    struct late_connect *lc = arg;
    struct timespec ts = {0, 400000000L};
    nanosleep(&ts, NULL);
    connect(lc->c, (struct sockaddr *)&lc->ss, lc->len);
    return NULL;
}

/* Windows' accept is not ended by SO_RCVTIMEO (a timeout applies to
 * receives); Linux would fail it with EAGAIN after the timeout. */
static void test_accept_ignores_rcvtimeo(void **state)
{
    (void)state;
    struct late_connect lc;
    SOCKET l = listener(AF_INET, 5, &lc.ss, &lc.len);
    ws2t_rcvtimeo(l, 100);
    lc.c = make(AF_INET, SOCK_STREAM);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, connect_late, &lc), 0);
    SOCKET a = accept(l, NULL, NULL);
    int err = WSAGetLastError();
    pthread_join(t, NULL);
    if (a == INVALID_SOCKET)
        fail_msg("accept failed with %d before the connection came", err);
    assert_wsa_ok(closesocket(a));
    assert_wsa_ok(closesocket(lc.c));
    assert_wsa_ok(closesocket(l));
}

static void test_accept(void **state)
{
    (void)state;
    for (int f = 0; f < 2; f++) {
        int af = families[f];
        SOCKADDR_STORAGE ss, cn, peer;
        int len, clen, plen;
        SOCKET l = listener(af, 5, &ss, &len);
        SOCKET c = make(af, SOCK_STREAM);
        assert_wsa_ok(connect(c, (struct sockaddr *)&ss, len));
        ws2t_name(c, &cn, &clen);

        /* accept: "WSAEFAULT The addrlen parameter is too small or addr is
         * not a valid part of the user address space." The connection
         * stays queued. */
        memset(&peer, 0xcc, sizeof(peer));
        plen = clen - 1;
        WSASetLastError(0);
        assert_true(accept(l, (struct sockaddr *)&peer, &plen) ==
                    INVALID_SOCKET);
        assert_int_equal(WSAGetLastError(), WSAEFAULT);
        assert_int_equal(((unsigned char *)&peer)[0], 0xcc);
        plen = sizeof(peer);
        WSASetLastError(0);
        assert_true(accept(l, (struct sockaddr *)&peer, NULL) ==
                    INVALID_SOCKET);
        assert_int_equal(WSAGetLastError(), WSAEFAULT);

        /* "addr ... receives the address of the connecting entity" "On
         * return it will contain the actual length in bytes of the address
         * returned." */
        plen = sizeof(peer);
        SOCKET a = accept(l, (struct sockaddr *)&peer, &plen);
        if (a == INVALID_SOCKET)
            fail_msg("accept: error %d", WSAGetLastError());
        assert_int_equal(plen, clen);
        assert_memory_equal(&peer, &cn, (size_t)clen);

        /* "WSAEINVAL The listen function was not invoked prior to accept."
         */
        SOCKET u = ws2t_bound(af, SOCK_STREAM);
        WSASetLastError(0);
        assert_true(accept(u, NULL, NULL) == INVALID_SOCKET);
        assert_int_equal(WSAGetLastError(), WSAEINVAL);
        WSASetLastError(0);
        assert_true(accept(c, NULL, NULL) == INVALID_SOCKET);
        assert_int_equal(WSAGetLastError(), WSAEINVAL);
        assert_wsa_ok(closesocket(u));
        /* "WSAEOPNOTSUPP The referenced socket is not a type that supports
         * connection-oriented service." */
        SOCKET d = ws2t_bound(af, SOCK_DGRAM);
        WSASetLastError(0);
        assert_true(accept(d, NULL, NULL) == INVALID_SOCKET);
        assert_int_equal(WSAGetLastError(), WSAEOPNOTSUPP);
        assert_wsa_ok(closesocket(d));

        /* "WSAEWOULDBLOCK The socket is marked as nonblocking and no
         * connections are present to be accepted." */
        set_nonblocking(l, 1);
        WSASetLastError(0);
        assert_true(accept(l, NULL, NULL) == INVALID_SOCKET);
        assert_int_equal(WSAGetLastError(), WSAEWOULDBLOCK);

        /* "The newly created socket is the socket that will handle the
         * actual connection; it has the same properties as socket s" - here
         * non-blocking: recv with nothing to read does not wait. */
        SOCKET c2 = make(af, SOCK_STREAM);
        assert_wsa_ok(connect(c2, (struct sockaddr *)&ss, len));
        SOCKET a2 = INVALID_SOCKET;
        for (int i = 0; i < 500 && a2 == INVALID_SOCKET; i++) {
            a2 = accept(l, NULL, NULL);
            if (a2 == INVALID_SOCKET) {
                assert_int_equal(WSAGetLastError(), WSAEWOULDBLOCK);
                ws2t_sleep_ms(10);
            }
        }
        assert_true(a2 != INVALID_SOCKET);
        char ch;
        assert_wsa_error(recv(a2, &ch, 1, 0), WSAEWOULDBLOCK);
        /* ... and a blocking listener's accepted socket blocks (here until
         * its receive timeout). */
        set_nonblocking(l, 0);
        SOCKET c3 = make(af, SOCK_STREAM);
        assert_wsa_ok(connect(c3, (struct sockaddr *)&ss, len));
        SOCKET a3 = accept(l, NULL, NULL);
        assert_true(a3 != INVALID_SOCKET);
        ws2t_rcvtimeo(a3, 100);
        assert_wsa_error(recv(a3, &ch, 1, 0), WSAETIMEDOUT);

        /* The accepted socket is connected: data flows both ways. */
        assert_int_equal(send(a, "ab", 2, 0), 2);
        char buf[2];
        ws2t_recv_all(c, buf, 2);
        assert_memory_equal(buf, "ab", 2);

        assert_wsa_ok(closesocket(a3));
        assert_wsa_ok(closesocket(c3));
        assert_wsa_ok(closesocket(a2));
        assert_wsa_ok(closesocket(c2));
        assert_wsa_ok(closesocket(a));
        assert_wsa_ok(closesocket(c));
        assert_wsa_ok(closesocket(l));
    }
}

struct cond_seen {
    int calls;
    DWORD_PTR data;
    SOCKADDR_STORAGE caller, callee;
    ULONG caller_len, callee_len;
    int verdict;
};

static int CALLBACK condition(LPWSABUF lpCallerId, LPWSABUF lpCallerData,
                              LPQOS lpSQOS, LPQOS lpGQOS, LPWSABUF lpCalleeId,
                              LPWSABUF lpCalleeData, GROUP *g,
                              DWORD_PTR dwCallbackData)
{
    (void)lpCallerData, (void)lpSQOS, (void)lpGQOS, (void)lpCalleeData,
        (void)g;
    struct cond_seen *seen = (struct cond_seen *)dwCallbackData;
    seen->calls++;
    seen->data = dwCallbackData;
    if (lpCallerId && lpCallerId->len <= sizeof(seen->caller)) {
        seen->caller_len = lpCallerId->len;
        memcpy(&seen->caller, lpCallerId->buf, lpCallerId->len);
    }
    if (lpCalleeId && lpCalleeId->len <= sizeof(seen->callee)) {
        seen->callee_len = lpCalleeId->len;
        memcpy(&seen->callee, lpCalleeId->buf, lpCalleeId->len);
    }
    return seen->verdict;
}

/* WSAAccept: "lpfnCondition ... will make an accept/reject decision based
 * on the caller information passed in as parameters"; the buf of the
 * WSABUF that lpCallerId points to holds the caller's sockaddr (WSAAccept
 * remarks); "WSAECONNREFUSED ... This
 * error is returned if the connection request was forcefully rejected as
 * indicated in the return value of the condition function (CF_REJECT)." */
static void test_wsaaccept_condition(void **state)
{
    (void)state;
    for (int f = 0; f < 2; f++) {
        int af = families[f];
        SOCKADDR_STORAGE ss, cn, peer;
        int len, clen, plen;
        SOCKET l = listener(af, 5, &ss, &len);

        SOCKET c = make(af, SOCK_STREAM);
        assert_wsa_ok(connect(c, (struct sockaddr *)&ss, len));
        ws2t_name(c, &cn, &clen);
        struct cond_seen seen;
        memset(&seen, 0, sizeof(seen));
        seen.verdict = CF_ACCEPT;
        plen = sizeof(peer);
        SOCKET a = WSAAccept(l, (struct sockaddr *)&peer, &plen, condition,
                             (DWORD_PTR)&seen);
        if (a == INVALID_SOCKET)
            fail_msg("WSAAccept(CF_ACCEPT): error %d", WSAGetLastError());
        assert_int_equal(seen.calls, 1);
        assert_true(seen.data == (DWORD_PTR)&seen);
        assert_int_equal(seen.caller_len, clen);
        assert_memory_equal(&seen.caller, &cn, (size_t)clen);
        assert_int_equal(seen.callee_len, len);
        assert_memory_equal(&seen.callee, &ss, (size_t)len);
        assert_int_equal(plen, clen);
        assert_memory_equal(&peer, &cn, (size_t)clen);
        assert_int_equal(send(c, "k", 1, 0), 1);
        char ch;
        assert_int_equal(recv(a, &ch, 1, 0), 1);
        assert_wsa_ok(closesocket(a));
        assert_wsa_ok(closesocket(c));

        c = make(af, SOCK_STREAM);
        assert_wsa_ok(connect(c, (struct sockaddr *)&ss, len));
        memset(&seen, 0, sizeof(seen));
        seen.verdict = CF_REJECT;
        memset(&peer, 0xcc, sizeof(peer));
        plen = sizeof(peer);
        unsigned open_before = ws2__handle_count();
        WSASetLastError(0);
        a = WSAAccept(l, (struct sockaddr *)&peer, &plen, condition,
                      (DWORD_PTR)&seen);
        assert_true(a == INVALID_SOCKET);
        assert_int_equal(WSAGetLastError(), WSAECONNREFUSED);
        assert_int_equal(seen.calls, 1);
        assert_int_equal(ws2__handle_count(), open_before);
        /* The rejected connection is gone: the caller sees it end. */
        ws2t_rcvtimeo(c, 2000);
        int r = recv(c, &ch, 1, 0);
        assert_true(r == 0 || (r == SOCKET_ERROR &&
                               WSAGetLastError() == WSAECONNRESET));
        assert_wsa_ok(closesocket(c));

        /* Without a condition function WSAAccept is accept. */
        c = make(af, SOCK_STREAM);
        assert_wsa_ok(connect(c, (struct sockaddr *)&ss, len));
        a = WSAAccept(l, NULL, NULL, NULL, 0);
        assert_true(a != INVALID_SOCKET);
        assert_wsa_ok(closesocket(a));
        assert_wsa_ok(closesocket(c));
        assert_wsa_ok(closesocket(l));
    }
}

/* ---- names ---- */

static void test_names(void **state)
{
    (void)state;
    for (int f = 0; f < 2; f++) {
        int af = families[f];
        SOCKADDR_STORAGE ss;
        int len;
        /* getsockname: "WSAEINVAL The socket has not been bound to an
         * address with bind". */
        static const int types[] = {SOCK_STREAM, SOCK_DGRAM};
        for (int t = 0; t < 2; t++) {
            SOCKET s = make(af, types[t]);
            memset(&ss, 0xcc, sizeof(ss));
            len = sizeof(ss);
            assert_wsa_error(getsockname(s, (struct sockaddr *)&ss, &len),
                             WSAEINVAL);
            assert_int_equal(len, sizeof(ss));
            /* getpeername: "WSAENOTCONN The socket is not connected." */
            assert_wsa_error(getpeername(s, (struct sockaddr *)&ss, &len),
                             WSAENOTCONN);
            assert_int_equal(len, sizeof(ss));
            assert_wsa_ok(closesocket(s));
        }

        /* "WSAEFAULT The name or the namelen parameter is not a valid part
         * of the user address space, or the namelen parameter is too
         * small." */
        SOCKET u = ws2t_bound(af, SOCK_DGRAM);
        int want = af == AF_INET6 ? (int)sizeof(SOCKADDR_IN6)
                                  : (int)sizeof(SOCKADDR_IN);
        len = want - 1;
        memset(&ss, 0xcc, sizeof(ss));
        assert_wsa_error(getsockname(u, (struct sockaddr *)&ss, &len),
                         WSAEFAULT);
        len = want;
        assert_wsa_error(getsockname(u, NULL, &len), WSAEFAULT);
        assert_wsa_error(getsockname(u, (struct sockaddr *)&ss, NULL),
                         WSAEFAULT);
        len = want;
        assert_wsa_ok(getsockname(u, (struct sockaddr *)&ss, &len));
        assert_int_equal(len, want);
        assert_int_equal(ss.ss_family, af);
        /* The unconnected datagram socket has no peer. */
        len = sizeof(ss);
        assert_wsa_error(getpeername(u, (struct sockaddr *)&ss, &len),
                         WSAENOTCONN);

        /* getsockname: "This call is especially useful when a connect call
         * has been made without doing a bind first" - and a sendto binds
         * an unbound datagram socket implicitly (DESIGN.md). */
        SOCKET s = make(af, SOCK_DGRAM);
        SOCKADDR_STORAGE to;
        int tolen;
        ws2t_name(u, &to, &tolen);
        assert_int_equal(sendto(s, "n", 1, 0, (struct sockaddr *)&to, tolen),
                         1);
        SOCKADDR_STORAGE mine, from;
        int mlen, flen = sizeof(from);
        ws2t_name(s, &mine, &mlen);
        assert_true(port_of(&mine) != 0);
        char ch;
        assert_int_equal(recvfrom(u, &ch, 1, 0, (struct sockaddr *)&from,
                                  &flen),
                         1);
        assert_int_equal(port_of(&from), port_of(&mine));
        assert_wsa_ok(closesocket(s));

        /* connect without bind binds too. */
        SOCKET l = listener(af, 5, &ss, &len);
        SOCKET c = make(af, SOCK_STREAM);
        assert_wsa_ok(connect(c, (struct sockaddr *)&ss, len));
        ws2t_name(c, &mine, &mlen);
        assert_true(port_of(&mine) != 0);
        SOCKET a = accept(l, NULL, NULL);
        assert_true(a != INVALID_SOCKET);
        SOCKADDR_STORAGE ap;
        int aplen = sizeof(ap);
        assert_wsa_ok(getpeername(a, (struct sockaddr *)&ap, &aplen));
        assert_int_equal(aplen, mlen);
        assert_memory_equal(&ap, &mine, (size_t)mlen);
        /* getpeername on a listening socket: not connected. */
        aplen = sizeof(ap);
        assert_wsa_error(getpeername(l, (struct sockaddr *)&ap, &aplen),
                         WSAENOTCONN);
        assert_wsa_ok(closesocket(a));
        assert_wsa_ok(closesocket(c));
        assert_wsa_ok(closesocket(l));
        assert_wsa_ok(closesocket(u));
    }
}

/* ---- shutdown ---- */

static void test_shutdown(void **state)
{
    (void)state;
    for (int f = 0; f < 2; f++) {
        int af = families[f];
        /* shutdown: "WSAEINVAL The how parameter is not valid" */
        SOCKET c, a;
        ws2t_tcp_pair(af, &c, &a);
        assert_wsa_error(shutdown(c, 3), WSAEINVAL);
        assert_wsa_error(shutdown(c, -1), WSAEINVAL);
        assert_wsa_error(shutdown(c, 0x7fffffff), WSAEINVAL);

        /* "If the how parameter is SD_SEND, subsequent calls to the send
         * function are disallowed. For TCP sockets, a FIN will be sent
         * after all data is sent and acknowledged by the receiver." */
        assert_int_equal(send(c, "last", 4, 0), 4);
        assert_wsa_ok(shutdown(c, SD_SEND));
        char buf[8];
        ws2t_recv_all(a, buf, 4);
        assert_memory_equal(buf, "last", 4);
        assert_int_equal(recv(a, buf, sizeof(buf), 0), 0);
        assert_wsa_error(send(c, "more", 4, 0), WSAESHUTDOWN);
        /* The other direction still works. */
        assert_int_equal(send(a, "back", 4, 0), 4);
        ws2t_recv_all(c, buf, 4);
        assert_memory_equal(buf, "back", 4);

        /* "If the how parameter is SD_RECEIVE, subsequent calls to the recv
         * function on the socket will be disallowed." */
        assert_wsa_ok(shutdown(a, SD_RECEIVE));
        assert_wsa_error(recv(a, buf, sizeof(buf), 0), WSAESHUTDOWN);
        assert_wsa_ok(closesocket(c));
        assert_wsa_ok(closesocket(a));

        /* "WSAENOTCONN The socket is not connected. This error applies only
         * to a connection-oriented sockets." */
        SOCKET t = make(af, SOCK_STREAM);
        assert_wsa_error(shutdown(t, SD_SEND), WSAENOTCONN);
        assert_wsa_error(shutdown(t, SD_BOTH), WSAENOTCONN);
        assert_wsa_ok(closesocket(t));
        /* A listening socket is not connected either, and it keeps
         * listening. */
        SOCKADDR_STORAGE ss;
        int len;
        SOCKET l = listener(af, 5, &ss, &len);
        assert_wsa_error(shutdown(l, SD_RECEIVE), WSAENOTCONN);
        assert_wsa_error(shutdown(l, SD_BOTH), WSAENOTCONN);
        SOCKET k = make(af, SOCK_STREAM);
        assert_wsa_ok(connect(k, (struct sockaddr *)&ss, len));
        SOCKET n = accept(l, NULL, NULL);
        assert_true(n != INVALID_SOCKET);
        assert_wsa_ok(closesocket(n));
        assert_wsa_ok(closesocket(k));
        assert_wsa_ok(closesocket(l));

        /* "The shutdown function is used on all types of sockets": an
         * unconnected datagram socket too; then sends fail. send:
         * "WSAESHUTDOWN The socket has been shut down; it is not possible
         * to send on a socket after shutdown has been invoked with how set
         * to SD_SEND or SD_BOTH." */
        SOCKET u = ws2t_bound(af, SOCK_DGRAM);
        SOCKET v = ws2t_bound(af, SOCK_DGRAM);
        SOCKADDR_STORAGE to;
        int tolen;
        ws2t_name(v, &to, &tolen);
        assert_wsa_ok(shutdown(u, SD_SEND));
        assert_wsa_error(sendto(u, "x", 1, 0, (struct sockaddr *)&to, tolen),
                         WSAESHUTDOWN);
        WSABUF wb = {1, (CHAR *)"x"};
        DWORD sent = POISON;
        assert_wsa_error(WSASendTo(u, &wb, 1, &sent, 0,
                                   (struct sockaddr *)&to, tolen, NULL, NULL),
                         WSAESHUTDOWN);
        assert_int_equal(sent, POISON);
        /* Receiving still works until SD_RECEIVE. */
        SOCKADDR_STORAGE un;
        int unlen;
        ws2t_name(u, &un, &unlen);
        assert_int_equal(sendto(v, "r", 1, 0, (struct sockaddr *)&un, unlen),
                         1);
        char ch;
        assert_int_equal(recv(u, &ch, 1, 0), 1);
        assert_wsa_ok(shutdown(u, SD_RECEIVE));
        assert_wsa_error(recv(u, &ch, 1, 0), WSAESHUTDOWN);
        assert_wsa_ok(shutdown(v, SD_BOTH));
        assert_wsa_error(send(v, "x", 1, 0), WSAESHUTDOWN);
        assert_wsa_error(recv(v, &ch, 1, 0), WSAESHUTDOWN);
        assert_wsa_ok(closesocket(u));
        assert_wsa_ok(closesocket(v));
    }
}

/* ---- closesocket ---- */

/* closesocket: "WSAENOTSOCK The descriptor is not a socket." - the second
 * close of the same value. DESIGN.md: a closed handle "can never reach a
 * socket opened later in its slot". */
static void test_close_twice_and_stale(void **state)
{
    (void)state;
    for (int f = 0; f < 2; f++) {
        SOCKET s = make(families[f], SOCK_DGRAM);
        assert_wsa_ok(closesocket(s));
        assert_wsa_error(closesocket(s), WSAENOTSOCK);

        SOCKET a = ws2t_bound(families[f], SOCK_DGRAM);
        assert_wsa_ok(closesocket(a));
        SOCKET b = ws2t_bound(families[f], SOCK_DGRAM);
        assert_true(b != a);
        u_long nb = 1;
        assert_wsa_error(ioctlsocket(a, FIONBIO, &nb), WSAENOTSOCK);
        assert_wsa_error(send(a, "x", 1, 0), WSAENOTSOCK);
        assert_wsa_error(closesocket(a), WSAENOTSOCK);
        /* B is untouched: still blocking (its 5 s timeout is cut short). */
        ws2t_rcvtimeo(b, 100);
        char ch;
        assert_wsa_error(recv(b, &ch, 1, 0), WSAETIMEDOUT);
        assert_wsa_ok(closesocket(b));
        assert_wsa_error(closesocket(b), WSAENOTSOCK);
    }
}

/* A call that blocks in another thread until closesocket. */
enum block_kind { BLOCK_RECV, BLOCK_ACCEPT, BLOCK_CONNECT };

struct blocker {
    pthread_t tid;
    enum block_kind kind;
    SOCKET s;
    SOCKADDR_STORAGE to;
    int tolen;
    _Atomic int started, done;
    int ret, err;
};

static void *blocker_main(void *arg)
{
    struct blocker *b = arg;
    char buf[16];
    atomic_store(&b->started, 1);
    WSASetLastError(0);
    switch (b->kind) {
    case BLOCK_RECV:
        b->ret = recv(b->s, buf, sizeof(buf), 0);
        break;
    case BLOCK_ACCEPT: {
        SOCKET n = accept(b->s, NULL, NULL);
        b->ret = n == INVALID_SOCKET ? SOCKET_ERROR : 0;
        if (n != INVALID_SOCKET)
            closesocket(n);
        break;
    }
    case BLOCK_CONNECT:
        b->ret = connect(b->s, (struct sockaddr *)&b->to, b->tolen);
        break;
    }
    b->err = WSAGetLastError();
    atomic_store(&b->done, 1);
    return NULL;
}

/* Starts the blocking call, checks that it is blocked, closes the socket,
 * and checks the call came back with WSAEINTR. Windows CE WSASend: "WSAEINTR
 * The socket was closed." closesocket: "Any pending blocking ... calls
 * issued by any thread in this process are canceled". */
static int close_wakes_gap(struct blocker *b, const char *what,
                           int zero_is_known_gap);

static void close_wakes(struct blocker *b, const char *what)
{
    close_wakes_gap(b, what, 0);
}

/* As close_wakes; with zero_is_known_gap, a recv that comes back with 0
 * bytes instead is reported as the known gap (returns 1) rather than
 * failing. */
static int close_wakes_gap(struct blocker *b, const char *what,
                           int zero_is_known_gap)
{
    atomic_store(&b->started, 0);
    atomic_store(&b->done, 0);
    assert_int_equal(pthread_create(&b->tid, NULL, blocker_main, b), 0);
    for (int i = 0; i < 2000 && !atomic_load(&b->started); i++)
        ws2t_sleep_ms(1);
    ws2t_sleep_ms(150); /* now inside the kernel */
    int early = atomic_load(&b->done);
    assert_wsa_ok(closesocket(b->s));
    ws2t_thread_join(b->tid, 10);
    if (early)
        fail_msg("%s returned %d (error %d) before the close", what, b->ret,
                 b->err);
    (void)zero_is_known_gap;
    if (0) {
        fprintf(stderr,
                "KNOWN GAP: %s woken by closesocket returned 0 bytes, not "
                "WSAEINTR (src/tcpip/recv.c treats the wake-up shutdown as "
                "end of stream)\n",
                what);
        return 1;
    }
    if (b->ret != SOCKET_ERROR || b->err != WSAEINTR)
        fail_msg("%s after closesocket: ret %d error %d, wanted SOCKET_ERROR "
                 "and WSAEINTR",
                 what, b->ret, b->err);
    return 0;
}

/* Expected to fail until recv.c maps a receive that the close woke to
 * WSAEINTR: the gap is reported and the test skipped, any other outcome
 * fails. */
static void test_close_wakes_recv(void **state)
{
    (void)state;
    int gaps = 0;
    for (int f = 0; f < 2; f++) {
        struct blocker b;
        memset(&b, 0, sizeof(b));
        SOCKET c, a;
        ws2t_tcp_pair(families[f], &c, &a);
        b.kind = BLOCK_RECV;
        b.s = a;
        gaps += close_wakes_gap(&b, "TCP recv", 1);
        assert_wsa_ok(closesocket(c));

        SOCKET u = ws2t_bound(families[f], SOCK_DGRAM);
        b.s = u;
        gaps += close_wakes_gap(&b, "UDP recv", 1);
    }
    if (gaps)
        skip();
}

static void test_close_wakes_accept(void **state)
{
    (void)state;
    for (int f = 0; f < 2; f++) {
        struct blocker b;
        memset(&b, 0, sizeof(b));
        SOCKADDR_STORAGE ss;
        int len;
        b.kind = BLOCK_ACCEPT;
        b.s = listener(families[f], 5, &ss, &len);
        close_wakes(&b, "accept");
        /* The listener is really gone. */
        SOCKET c = make(families[f], SOCK_STREAM);
        assert_wsa_error(connect(c, (struct sockaddr *)&ss, len),
                         WSAECONNREFUSED);
        assert_wsa_ok(closesocket(c));
    }
}

static void test_close_wakes_connect(void **state)
{
    (void)state;
    for (int f = 0; f < 2; f++) {
        struct full_listener fl;
        full_listener_open(families[f], &fl);
        struct blocker b;
        memset(&b, 0, sizeof(b));
        b.kind = BLOCK_CONNECT;
        b.s = make(families[f], SOCK_STREAM);
        b.to = fl.ss;
        b.tolen = fl.len;
        close_wakes(&b, "connect");
        full_listener_close(&fl);
    }
}

/* ---- resets, and no SIGPIPE ---- */

/* SO_LINGER {1, 0}: closesocket: "If the l_onoff member of the LINGER
 * structure is nonzero and l_linger member is zero, closesocket is not
 * blocked even if queued data has not yet been sent or acknowledged. This
 * is called a hard or abortive close, because the socket's virtual circuit
 * is reset immediately". */
static void abort_close(SOCKET s)
{
    LINGER lg = {1, 0};
    assert_wsa_ok(setsockopt(s, SOL_SOCKET, SO_LINGER, (const char *)&lg,
                             sizeof(lg)));
    assert_wsa_ok(closesocket(s));
    ws2t_sleep_ms(50); /* the RST has arrived */
}

/* send: "WSAECONNRESET The virtual circuit was reset by the remote side
 * executing a hard or abortive close. ... the application should close the
 * socket; it is no longer usable." Linux would raise SIGPIPE on the second
 * send; with SIGPIPE at its default disposition that would kill us. */
static void test_send_after_reset_no_sigpipe(void **state)
{
    (void)state;
    void (*old)(int) = signal(SIGPIPE, SIG_DFL);
    for (int f = 0; f < 2; f++) {
        SOCKET c, a;
        ws2t_tcp_pair(families[f], &c, &a);
        abort_close(a);
        for (int i = 0; i < 5; i++) {
            int r = send(c, "data", 4, 0);
            if (r != SOCKET_ERROR || WSAGetLastError() != WSAECONNRESET)
                fail_msg("send %d after reset: ret %d error %d, wanted "
                         "WSAECONNRESET",
                         i, r, WSAGetLastError());
            WSABUF wb = {4, (CHAR *)"data"};
            DWORD sent = POISON;
            assert_wsa_error(WSASend(c, &wb, 1, &sent, 0, NULL, NULL),
                             WSAECONNRESET);
            assert_int_equal(sent, POISON);
        }
        assert_wsa_ok(closesocket(c));

        /* A peer that closed gracefully and then answers data with a
         * reset: the send that meets the reset, and every later one, fails
         * the same way. */
        ws2t_tcp_pair(families[f], &c, &a);
        assert_wsa_ok(closesocket(a));
        ws2t_sleep_ms(20);
        int r = 0, i;
        for (i = 0; i < 200; i++) {
            r = send(c, "data", 4, 0);
            if (r == SOCKET_ERROR)
                break;
            ws2t_sleep_ms(5);
        }
        if (r != SOCKET_ERROR || WSAGetLastError() != WSAECONNRESET)
            fail_msg("send to a closed peer (%d sends): ret %d error %d", i, r,
                     WSAGetLastError());
        for (i = 0; i < 3; i++)
            assert_wsa_error(send(c, "data", 4, 0), WSAECONNRESET);
        assert_wsa_ok(closesocket(c));
    }
    signal(SIGPIPE, old);
}

/* recv: "WSAECONNRESET The virtual circuit was reset by the remote side
 * executing a hard or abortive close." */
static void test_recv_after_reset(void **state)
{
    (void)state;
    for (int f = 0; f < 2; f++) {
        SOCKET c, a;
        ws2t_tcp_pair(families[f], &c, &a);
        abort_close(a);
        char buf[4];
        assert_wsa_error(recv(c, buf, sizeof(buf), 0), WSAECONNRESET);
        assert_wsa_ok(closesocket(c));

        /* Blocked in recv when the reset comes. */
        ws2t_tcp_pair(families[f], &c, &a);
        struct blocker b;
        memset(&b, 0, sizeof(b));
        b.kind = BLOCK_RECV;
        b.s = c;
        assert_int_equal(pthread_create(&b.tid, NULL, blocker_main, &b), 0);
        for (int i = 0; i < 2000 && !atomic_load(&b.started); i++)
            ws2t_sleep_ms(1);
        ws2t_sleep_ms(100);
        abort_close(a);
        ws2t_thread_join(b.tid, 10);
        if (b.ret != SOCKET_ERROR || b.err != WSAECONNRESET)
            fail_msg("blocked recv at reset: ret %d error %d", b.ret, b.err);
        assert_wsa_ok(closesocket(c));
    }
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, count_start, count_check)
    const struct CMUnitTest tests[] = {
        T(test_create),
        T(test_create_errors),
        T(test_create_group),
        T(test_create_from_protocol_info),
        T(test_bind),
        T(test_bind_tcp_in_use),
        T(test_rebind_over_time_wait),
        T(test_accept_ignores_rcvtimeo),
        T(test_connect),
        T(test_connect_nonblocking),
        T(test_connect_already),
        T(test_udp_connect_dissolve),
        T(test_listen),
        T(test_accept),
        T(test_wsaaccept_condition),
        T(test_names),
        T(test_shutdown),
        T(test_close_twice_and_stale),
        T(test_close_wakes_recv),
        T(test_close_wakes_accept),
        T(test_close_wakes_connect),
        T(test_send_after_reset_no_sigpipe),
        T(test_recv_after_reset),
    };
#undef T
    return cmocka_run_group_tests(tests, ws2t_startup, ws2t_cleanup);
}
