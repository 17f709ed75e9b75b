/*
 * test_netdb.c - name resolution: getaddrinfo, GetAddrInfoW, freeaddrinfo,
 * FreeAddrInfoW, getnameinfo, GetNameInfoW, gai_strerrorA, gethostname,
 * gethostbyname, gethostbyaddr, getservbyname, getservbyport,
 * getprotobyname, getprotobynumber.
 *
 * Only loopback exists here: the tests use numeric addresses, "localhost"
 * (IPv4 in /etc/hosts), this host's name and /etc/services entries (http,
 * ftp, domain). "Wine" rows come from Wine's dlls/ws2_32/tests/protocol.c,
 * which passes on Windows; others cite the Microsoft page.
 */
#include "util.h"

static ADDRINFOA hints_of(int flags, int family, int socktype, int protocol)
{
    ADDRINFOA h;
    memset(&h, 0, sizeof(h));
    h.ai_flags = flags;
    h.ai_family = family;
    h.ai_socktype = socktype;
    h.ai_protocol = protocol;
    return h;
}

/* Asserts a getaddrinfo-style failure: the code returned, the same code
 * as the last error, and a NULL result. */
#define assert_gai_error(call, res, err)                                       \
    do {                                                                       \
        (res) = (void *)(uintptr_t)POISON;                                     \
        WSASetLastError((int)POISON);                                          \
        int r_ = (call);                                                       \
        if (r_ != (err) || WSAGetLastError() != (err) || (res) != NULL)        \
            fail_msg("%s: got %d, last error %d, result %p; wanted %d (%s)", \
                     #call, r_, WSAGetLastError(), (void *)(res), (int)(err),  \
                     #err);                                                    \
    } while (0)

/* ---- getaddrinfo ---- */

/* Microsoft getaddrinfo: "WSAHOST_NOT_FOUND ... This error is returned if
 * the name supplied ... did not resolve or the pNodeName and
 * pServiceName parameters were not provided." Wine: *ppResult is set to
 * NULL and the error is also the last error. */
static void test_gai_no_name(void **state)
{
    (void)state;
    ADDRINFOA *res;
    assert_gai_error(getaddrinfo(NULL, NULL, NULL, &res), res,
                     WSAHOST_NOT_FOUND);
    ADDRINFOW *wres;
    assert_gai_error(GetAddrInfoW(NULL, NULL, NULL, &wres), wres,
                     WSAHOST_NOT_FOUND);
}

/* A numeric IPv4 address: one result, Windows layout, hints echoed, flags
 * 0, no canonical name (Wine: "ok(!result->ai_flags)" and ai_addrlen ==
 * sizeof(struct sockaddr_in)); the last error is 0 after success (Wine). */
static void test_gai_numeric_v4(void **state)
{
    (void)state;
    ADDRINFOA h = hints_of(0, AF_INET, SOCK_STREAM, IPPROTO_TCP), *res;
    WSASetLastError((int)POISON);
    res = (void *)(uintptr_t)POISON;
    assert_int_equal(getaddrinfo("127.0.0.1", "80", &h, &res), 0);
    assert_int_equal(WSAGetLastError(), 0);
    assert_non_null(res);
    assert_null(res->ai_next);
    assert_int_equal(res->ai_flags, 0);
    assert_int_equal(res->ai_family, AF_INET);
    assert_int_equal(res->ai_socktype, SOCK_STREAM);
    assert_int_equal(res->ai_protocol, IPPROTO_TCP);
    assert_int_equal(res->ai_addrlen, sizeof(SOCKADDR_IN));
    assert_null(res->ai_canonname);
    const SOCKADDR_IN *sin = (const SOCKADDR_IN *)res->ai_addr;
    assert_int_equal(sin->sin_family, AF_INET);
    assert_int_equal(sin->sin_port, htons(80));
    assert_int_equal(sin->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
    freeaddrinfo(res);
}

/* IPv6 numeric, with and without Windows' brackets (Wine: "[beef::cafe]"
 * and "[beef::cafe]:10239" resolve; unmatched brackets do not). */
static void test_gai_numeric_v6(void **state)
{
    (void)state;
    static const char *const good[] = {"::1", "[::1]", "[::1]:10239"};
    for (size_t i = 0; i < 3; i++) {
        ADDRINFOA h = hints_of(AI_NUMERICHOST, AF_UNSPEC, 0, 0), *res = NULL;
        assert_int_equal(getaddrinfo(good[i], "4242", &h, &res), 0);
        assert_non_null(res);
        assert_int_equal(res->ai_family, AF_INET6);
        assert_int_equal(res->ai_addrlen, sizeof(SOCKADDR_IN6));
        assert_int_equal(res->ai_socktype, 0);
        assert_int_equal(res->ai_protocol, 0);
        const SOCKADDR_IN6 *s6 = (const SOCKADDR_IN6 *)res->ai_addr;
        assert_int_equal(s6->sin6_family, AF_INET6);
        assert_int_equal(s6->sin6_port, htons(4242));
        assert_true(IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr));
        assert_null(res->ai_next);
        freeaddrinfo(res);
    }
    ADDRINFOA h = hints_of(AI_NUMERICHOST, AF_UNSPEC, 0, 0), *res;
    assert_gai_error(getaddrinfo("[::1", NULL, &h, &res), res,
                     WSAHOST_NOT_FOUND);
    assert_gai_error(getaddrinfo("::1]", NULL, &h, &res), res,
                     WSAHOST_NOT_FOUND);
    /* Wine: a name is not numeric, nor is "address:port". */
    assert_gai_error(getaddrinfo("localhost", "80", &h, &res), res,
                     WSAHOST_NOT_FOUND);
    assert_gai_error(getaddrinfo("192.168.1.253:1024", NULL, &h, &res), res,
                     WSAHOST_NOT_FOUND);
}

/* Wine hinttests: socktype and protocol come back as given (999 as a
 * protocol too); an unknown socktype is WSAESOCKTNOSUPPORT. */
static void test_gai_hints(void **state)
{
    (void)state;
    static const struct {
        int family, socktype, protocol, error;
    } rows[] = {
        {AF_UNSPEC, SOCK_STREAM, IPPROTO_TCP, 0},
        {AF_UNSPEC, SOCK_STREAM, IPPROTO_UDP, 0},
        {AF_INET, SOCK_DGRAM, IPPROTO_UDP, 0},
        {AF_INET, SOCK_DGRAM, IPPROTO_IPV6, 0},
        {AF_UNSPEC, 0, IPPROTO_TCP, 0},
        {AF_INET, 0, 0, 0},
        {AF_INET, SOCK_STREAM, 0, 0},
        {AF_UNSPEC, 999, IPPROTO_TCP, WSAESOCKTNOSUPPORT},
        {AF_INET, 999, IPPROTO_UDP, WSAESOCKTNOSUPPORT},
        {AF_UNSPEC, SOCK_STREAM, 999, 0},
        {AF_INET, SOCK_DGRAM, 999, 0},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        ADDRINFOA h = hints_of(0, rows[i].family, rows[i].socktype,
                               rows[i].protocol),
                  *res = NULL;
        WSASetLastError((int)POISON);
        int r = getaddrinfo("localhost", NULL, &h, &res);
        if (r != rows[i].error)
            fail_msg("row %zu: got %d, wanted %d", i, r, rows[i].error);
        if (r) {
            assert_int_equal(WSAGetLastError(), r);
            assert_null(res);
            continue;
        }
        int n = 0;
        for (ADDRINFOA *p = res; p; p = p->ai_next, n++) {
            if (rows[i].family != AF_UNSPEC)
                assert_int_equal(p->ai_family, rows[i].family);
            else
                assert_true(p->ai_family == AF_INET ||
                            p->ai_family == AF_INET6);
            assert_int_equal(p->ai_socktype, rows[i].socktype);
            assert_int_equal(p->ai_protocol, rows[i].protocol);
        }
        /* One result per address, not one per socket type. */
        assert_int_equal(n, 1);
        freeaddrinfo(res);
    }
}

/* Microsoft getaddrinfo: "The ai_addrlen, ai_canonname, ai_addr, and
 * ai_next members of the addrinfo structure pointed to by the pHints
 * parameter must be zero or NULL. Otherwise the GetAddrInfoEx function
 * will fail with WSANO_RECOVERY." / "WSAEAFNOSUPPORT ... returned if the
 * ai_family member ... is not supported." / "WSAEINVAL ... returned if an
 * invalid value was provided for the ai_flags member". */
static void test_gai_bad_hints(void **state)
{
    (void)state;
    ADDRINFOA h, *res;
    SOCKADDR_IN sin;
    h = hints_of(0, AF_INET, 0, 0);
    h.ai_addrlen = sizeof(sin);
    assert_gai_error(getaddrinfo("127.0.0.1", NULL, &h, &res), res,
                     WSANO_RECOVERY);
    h = hints_of(0, AF_INET, 0, 0);
    h.ai_addr = (struct sockaddr *)&sin;
    assert_gai_error(getaddrinfo("127.0.0.1", NULL, &h, &res), res,
                     WSANO_RECOVERY);
    h = hints_of(0, AF_INET, 0, 0);
    h.ai_canonname = (char *)"x";
    assert_gai_error(getaddrinfo("127.0.0.1", NULL, &h, &res), res,
                     WSANO_RECOVERY);
    h = hints_of(0, AF_INET, 0, 0);
    h.ai_next = &h;
    assert_gai_error(getaddrinfo("127.0.0.1", NULL, &h, &res), res,
                     WSANO_RECOVERY);
    h = hints_of(0, AF_IPX, 0, 0);
    assert_gai_error(getaddrinfo("127.0.0.1", NULL, &h, &res), res,
                     WSAEAFNOSUPPORT);
    h = hints_of(0x08000000, AF_INET, 0, 0);
    assert_gai_error(getaddrinfo("127.0.0.1", NULL, &h, &res), res,
                     WSAEINVAL);
    /* An address of the wrong family for the hints does not resolve. */
    h = hints_of(AI_NUMERICHOST, AF_INET6, 0, 0);
    WSASetLastError((int)POISON);
    res = (void *)(uintptr_t)POISON;
    assert_int_not_equal(getaddrinfo("127.0.0.1", NULL, &h, &res), 0);
    assert_null(res);
}

/* Services: a known name or a number; "" is port 0 like "0" (Wine); an
 * unknown service is WSATYPE_NOT_FOUND (Wine, Microsoft: "EAI_SERVICE
 * WSATYPE_NOT_FOUND The pServiceName parameter is not supported for the
 * specified ai_socktype"). A NULL node is loopback, or the wildcard with
 * AI_PASSIVE. */
static void test_gai_service(void **state)
{
    (void)state;
    ADDRINFOA h = hints_of(0, AF_INET, SOCK_STREAM, 0), *res = NULL, *res2;
    assert_int_equal(getaddrinfo(NULL, "http", &h, &res), 0);
    const SOCKADDR_IN *sin = (const SOCKADDR_IN *)res->ai_addr;
    assert_int_equal(sin->sin_port, htons(80));
    assert_int_equal(sin->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
    freeaddrinfo(res);
    h.ai_flags = AI_PASSIVE;
    assert_int_equal(getaddrinfo(NULL, "21", &h, &res), 0);
    sin = (const SOCKADDR_IN *)res->ai_addr;
    assert_int_equal(sin->sin_port, htons(21));
    assert_int_equal(sin->sin_addr.s_addr, INADDR_ANY);
    freeaddrinfo(res);
    h.ai_flags = 0;
    assert_int_equal(getaddrinfo(NULL, "0", &h, &res), 0);
    assert_int_equal(getaddrinfo(NULL, "", &h, &res2), 0);
    assert_int_equal(res->ai_addrlen, res2->ai_addrlen);
    assert_memory_equal(res->ai_addr, res2->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    freeaddrinfo(res2);
    ADDRINFOA h0 = hints_of(0, 0, 0, 0);
    assert_gai_error(getaddrinfo(NULL, "nonexistentservice", &h0, &res), res,
                     WSATYPE_NOT_FOUND);
    h0.ai_flags = AI_NUMERICSERV;
    assert_int_not_equal(getaddrinfo("127.0.0.1", "http", &h0, &res), 0);
}

/* Wine: "" and this host's name give this host's addresses. AI_CANONNAME
 * fills ai_canonname of the first result only. */
static void test_gai_names(void **state)
{
    (void)state;
    ADDRINFOA *res = NULL;
    char name[256];
    assert_wsa_ok(gethostname(name, sizeof(name)));
    WSASetLastError((int)POISON);
    assert_int_equal(getaddrinfo("", NULL, NULL, &res), 0);
    assert_int_equal(WSAGetLastError(), 0);
    assert_non_null(res);
    freeaddrinfo(res);
    assert_int_equal(getaddrinfo(name, "", NULL, &res), 0);
    freeaddrinfo(res);
    ADDRINFOA h = hints_of(AI_CANONNAME, AF_INET, 0, 0);
    assert_int_equal(getaddrinfo("localhost", NULL, &h, &res), 0);
    assert_non_null(res->ai_canonname);
    assert_string_equal(res->ai_canonname, "localhost");
    for (ADDRINFOA *p = res->ai_next; p; p = p->ai_next)
        assert_null(p->ai_canonname);
    freeaddrinfo(res);
    freeaddrinfo(NULL);
}

static void widen(const char *s, WCHAR *w)
{
    do
        *w++ = (unsigned char)*s;
    while (*s++);
}

static int wide_eq(const WCHAR *w, const char *s)
{
    for (; *s; s++, w++)
        if (*w != (unsigned char)*s)
            return 0;
    return *w == 0;
}

/* GetAddrInfoW: the same rules with wide strings (Wine test_GetAddrInfoW). */
static void test_gai_wide(void **state)
{
    (void)state;
    WCHAR node[32], serv[16];
    ADDRINFOW h, *res = NULL;
    memset(&h, 0, sizeof(h));
    h.ai_family = AF_INET;
    h.ai_socktype = SOCK_DGRAM;
    h.ai_protocol = IPPROTO_UDP;
    h.ai_flags = AI_CANONNAME;
    widen("localhost", node);
    widen("domain", serv);
    WSASetLastError((int)POISON);
    assert_int_equal(GetAddrInfoW(node, serv, &h, &res), 0);
    assert_int_equal(WSAGetLastError(), 0);
    assert_int_equal(res->ai_family, AF_INET);
    assert_int_equal(res->ai_socktype, SOCK_DGRAM);
    assert_int_equal(res->ai_protocol, IPPROTO_UDP);
    assert_int_equal(res->ai_addrlen, sizeof(SOCKADDR_IN));
    assert_true(wide_eq(res->ai_canonname, "localhost"));
    const SOCKADDR_IN *sin = (const SOCKADDR_IN *)res->ai_addr;
    assert_int_equal(sin->sin_port, htons(53));
    FreeAddrInfoW(res);
    FreeAddrInfoW(NULL);
    h.ai_flags = AI_NUMERICHOST;
    h.ai_family = AF_UNSPEC;
    widen("nonexistent.invalid", node);
    assert_gai_error(GetAddrInfoW(node, NULL, &h, &res), res,
                     WSAHOST_NOT_FOUND);
    h.ai_flags = 0;
    h.ai_socktype = 999;
    widen("127.0.0.1", node);
    assert_gai_error(GetAddrInfoW(node, NULL, &h, &res), res,
                     WSAESOCKTNOSUPPORT);
}

/* ---- getnameinfo ---- */

static SOCKADDR_IN v4(uint32_t addr, USHORT port)
{
    SOCKADDR_IN sin;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(addr);
    sin.sin_port = htons(port);
    return sin;
}

/* Numeric host text is Windows' (as inet_ntop; IPv6 with "%scope");
 * service names come from the services file, per NI_DGRAM. */
static void test_gni(void **state)
{
    (void)state;
    char host[NI_MAXHOST], serv[NI_MAXSERV];
    SOCKADDR_IN sin = v4(INADDR_LOOPBACK, 80);
    WSASetLastError((int)POISON);
    assert_int_equal(getnameinfo((SOCKADDR *)&sin, sizeof(sin), host,
                                 sizeof(host), serv, sizeof(serv),
                                 NI_NUMERICHOST | NI_NUMERICSERV),
                     0);
    assert_string_equal(host, "127.0.0.1");
    assert_string_equal(serv, "80");
    assert_int_equal(getnameinfo((SOCKADDR *)&sin, sizeof(sin), host,
                                 sizeof(host), serv, sizeof(serv), 0),
                     0);
    assert_string_equal(host, "localhost");
    assert_string_equal(serv, "http");
    sin = v4(INADDR_LOOPBACK, 53);
    assert_int_equal(getnameinfo((SOCKADDR *)&sin, sizeof(sin), NULL, 0,
                                 serv, sizeof(serv), NI_DGRAM),
                     0);
    assert_string_equal(serv, "domain");
    sin = v4(INADDR_LOOPBACK, 4);
    assert_int_equal(getnameinfo((SOCKADDR *)&sin, sizeof(sin), NULL, 0,
                                 serv, sizeof(serv), 0),
                     0);
    assert_string_equal(serv, "4");
    SOCKADDR_IN6 s6;
    memset(&s6, 0, sizeof(s6));
    s6.sin6_family = AF_INET6;
    inet_pton(AF_INET6, "fe80::1", &s6.sin6_addr);
    s6.sin6_scope_id = 3;
    s6.sin6_port = htons(8080);
    assert_int_equal(getnameinfo((SOCKADDR *)&s6, sizeof(s6), host,
                                 sizeof(host), serv, sizeof(serv),
                                 NI_NUMERICHOST | NI_NUMERICSERV),
                     0);
    assert_string_equal(host, "fe80::1%3");
    assert_string_equal(serv, "8080");
    inet_pton(AF_INET6, "::ffff:1.2.3.4", &s6.sin6_addr);
    s6.sin6_scope_id = 0;
    assert_int_equal(getnameinfo((SOCKADDR *)&s6, sizeof(s6), host,
                                 sizeof(host), NULL, 0, NI_NUMERICHOST),
                     0);
    assert_string_equal(host, "::ffff:1.2.3.4");
    WCHAR whost[NI_MAXHOST], wserv[NI_MAXSERV];
    sin = v4(INADDR_LOOPBACK, 21);
    assert_int_equal(GetNameInfoW((SOCKADDR *)&sin, sizeof(sin), whost,
                                  NI_MAXHOST, wserv, NI_MAXSERV,
                                  NI_NUMERICHOST),
                     0);
    assert_true(wide_eq(whost, "127.0.0.1"));
    assert_true(wide_eq(wserv, "ftp"));
}

/* Microsoft GetNameInfoW: "EAI_BADFLAGS WSAEINVAL ... returned if a host
 * name was requested but the NodeBufferSize parameter was zero or if a
 * service name was requested but the ServiceBufferSize parameter was
 * zero." / "EAI_FAMILY WSAEAFNOSUPPORT The sa_family member of socket
 * address structure pointed to by the pSockaddr parameter is not
 * supported." / "WSAEFAULT ... returned if the pSockaddr parameter is NULL
 * or the SockaddrLength parameter is less than the length needed". */
static void test_gni_errors(void **state)
{
    (void)state;
    char host[NI_MAXHOST], serv[NI_MAXSERV];
    SOCKADDR_IN sin = v4(INADDR_LOOPBACK, 80);
    memset(host, 'x', sizeof(host));
#define GNI(sa, len, h, hl, s, sl, f, err)                                     \
    do {                                                                       \
        WSASetLastError((int)POISON);                                          \
        int r_ = getnameinfo(sa, len, h, hl, s, sl, f);                        \
        if (r_ != (err) || WSAGetLastError() != (err))                         \
            fail_msg("getnameinfo line %d: got %d/%d, wanted %d", __LINE__,   \
                     r_, WSAGetLastError(), (int)(err));                       \
    } while (0)
    GNI(NULL, sizeof(sin), host, sizeof(host), NULL, 0, NI_NUMERICHOST,
        WSAEFAULT);
    GNI((SOCKADDR *)&sin, sizeof(sin) - 1, host, sizeof(host), NULL, 0,
        NI_NUMERICHOST, WSAEFAULT);
    SOCKADDR_IN6 s6;
    memset(&s6, 0, sizeof(s6));
    s6.sin6_family = AF_INET6;
    GNI((SOCKADDR *)&s6, sizeof(SOCKADDR_IN), host, sizeof(host), NULL, 0,
        NI_NUMERICHOST, WSAEFAULT);
    SOCKADDR_IN bad = sin;
    bad.sin_family = AF_IPX;
    GNI((SOCKADDR *)&bad, sizeof(bad), host, sizeof(host), NULL, 0,
        NI_NUMERICHOST, WSAEAFNOSUPPORT);
    GNI((SOCKADDR *)&sin, sizeof(sin), host, 0, NULL, 0, NI_NUMERICHOST,
        WSAEINVAL);
    GNI((SOCKADDR *)&sin, sizeof(sin), NULL, 0, serv, 0, NI_NUMERICSERV,
        WSAEINVAL);
    GNI((SOCKADDR *)&sin, sizeof(sin), NULL, 0, NULL, 0, 0,
        WSAHOST_NOT_FOUND);
    /* "127.0.0.1" needs 10 bytes; a result that does not fit is WSAEFAULT
     * and the buffer is left alone. */
    GNI((SOCKADDR *)&sin, sizeof(sin), host, 9, NULL, 0, NI_NUMERICHOST,
        WSAEFAULT);
    assert_int_equal(host[0], 'x');
    GNI((SOCKADDR *)&sin, sizeof(sin), host, 10, NULL, 0, NI_NUMERICHOST, 0);
    assert_string_equal(host, "127.0.0.1");
    GNI((SOCKADDR *)&sin, sizeof(sin), NULL, 0, serv, 4, 0, WSAEFAULT);
    GNI((SOCKADDR *)&sin, sizeof(sin), NULL, 0, serv, 5, 0, 0);
    assert_string_equal(serv, "http");
#undef GNI
    WCHAR w[4];
    WSASetLastError((int)POISON);
    assert_int_equal(GetNameInfoW((SOCKADDR *)&sin, sizeof(sin), w, 4, NULL,
                                  0, NI_NUMERICHOST),
                     WSAEFAULT);
    assert_int_equal(WSAGetLastError(), WSAEFAULT);
}

/* gai_strerrorA returns the system message of the code. */
static void test_gai_strerror(void **state)
{
    (void)state;
    assert_string_equal(gai_strerror(EAI_NONAME), "No such host is known.");
    assert_string_equal(gai_strerrorA(WSAEINVAL),
                        "An invalid argument was supplied.");
    assert_string_equal(gai_strerror(EAI_SERVICE),
                        "The specified class was not found.");
}

/* ---- gethostname and the database look-ups ---- */

/* Microsoft gethostname: "WSAEFAULT The name parameter is a NULL pointer
 * or is not a valid part of the user address space. This error is also
 * returned if the buffer size specified by namelen parameter is too small
 * to hold the complete host name." Wine: a short buffer is unchanged. */
static void test_gethostname(void **state)
{
    (void)state;
    char name[256], buf[256];
    assert_wsa_error(gethostname(NULL, 256), WSAEFAULT);
    assert_int_equal(gethostname(name, sizeof(name)), 0);
    int len = (int)strlen(name);
    assert_true(len > 0);
    strcpy(buf, "deadbeef");
    assert_wsa_error(gethostname(buf, len), WSAEFAULT);
    assert_string_equal(buf, "deadbeef");
    assert_int_equal(gethostname(buf, len + 1), 0);
    assert_string_equal(buf, name);
    struct hostent *he = gethostbyname(name);
    assert_non_null(he);
}

/* Windows lays a hostent out as the structure, the alias pointers, the
 * address pointers, then the addresses (Wine test_dns); gethostbyname is
 * IPv4 only. */
static void test_gethostbyname(void **state)
{
    (void)state;
    struct hostent *he = gethostbyname("localhost");
    assert_non_null(he);
    assert_int_equal(he->h_addrtype, AF_INET);
    assert_int_equal(he->h_length, 4);
    assert_non_null(he->h_addr_list[0]);
    assert_int_equal((unsigned char)he->h_addr_list[0][0], 127);
    char **aliases = (char **)(he + 1);
    assert_ptr_equal(he->h_aliases, aliases);
    int n = 1;
    for (char **p = he->h_aliases; *p; p++)
        n++;
    assert_ptr_equal(he->h_addr_list, aliases + n);
    n = 1;
    for (char **p = he->h_addr_list; *p; p++)
        n++;
    assert_ptr_equal(he->h_addr_list[0], (char *)(he->h_addr_list + n));
    he = gethostbyname("10.1.2.3");
    assert_non_null(he);
    assert_memory_equal(he->h_addr_list[0], "\x0a\x01\x02\x03", 4);
    assert_non_null(gethostbyname(""));
    WSASetLastError((int)POISON);
    assert_null(gethostbyname("nonexistent.invalid"));
    assert_true(WSAGetLastError() == WSAHOST_NOT_FOUND ||
                WSAGetLastError() == WSATRY_AGAIN ||
                WSAGetLastError() == WSANO_DATA);
}

/* Microsoft gethostbyaddr: "WSAEFAULT ... or the len parameter is too
 * small", "WSAEINVAL ... returned if AF_INET6 was specified in the type
 * parameter and the len parameter was not set equal to the size of an
 * IPv6 address", "WSAEAFNOSUPPORT The type specified is not supported". */
static void test_gethostbyaddr(void **state)
{
    (void)state;
    const char lo[4] = {127, 0, 0, 1};
    struct hostent *he = gethostbyaddr(lo, 4, AF_INET);
    assert_non_null(he);
    assert_string_equal(he->h_name, "localhost");
    assert_int_equal(he->h_addrtype, AF_INET);
    WSASetLastError((int)POISON);
    assert_null(gethostbyaddr(lo, 3, AF_INET));
    assert_int_equal(WSAGetLastError(), WSAEFAULT);
    assert_null(gethostbyaddr(lo, 4, AF_INET6));
    assert_int_equal(WSAGetLastError(), WSAEINVAL);
    assert_null(gethostbyaddr(lo, 4, AF_IPX));
    assert_int_equal(WSAGetLastError(), WSAEAFNOSUPPORT);
}

/* Wine test_getservbyname: s_port in network order, s_proto and s_name as
 * in the services file; a NULL protocol matches any (Microsoft). Not
 * found is WSANO_DATA. */
static void test_getserv(void **state)
{
    (void)state;
    struct servent *se = getservbyname("http", "tcp");
    assert_non_null(se);
    assert_string_equal(se->s_name, "http");
    assert_string_equal(se->s_proto, "tcp");
    assert_int_equal(se->s_port, (short)htons(80));
    se = getservbyname("domain", "udp");
    assert_non_null(se);
    assert_int_equal(se->s_port, (short)htons(53));
    assert_string_equal(se->s_proto, "udp");
    se = getservbyname("ftp", NULL);
    assert_non_null(se);
    assert_int_equal(se->s_port, (short)htons(21));
    se = getservbyport(htons(80), "tcp");
    assert_non_null(se);
    assert_string_equal(se->s_name, "http");
    WSASetLastError((int)POISON);
    assert_null(getservbyname("nonexistentservice", "tcp"));
    assert_int_equal(WSAGetLastError(), WSANO_DATA);
    WSASetLastError((int)POISON);
    assert_null(getservbyport(htons(1), "nosuchproto"));
    assert_int_equal(WSAGetLastError(), WSANO_DATA);
}

/* Wine test_getprotobyname / test_getprotobynumber: Windows' own table,
 * names matched in any case, the upper-case name as alias 0, nothing else
 * defined from -1 to 256. */
static void test_getproto(void **state)
{
    (void)state;
    static const struct {
        int n;
        const char *name, *alias;
    } rows[] = {
        {0, "ip", "IP"},          {1, "icmp", "ICMP"},
        {3, "ggp", "GGP"},        {6, "tcp", "TCP"},
        {8, "egp", "EGP"},        {12, "pup", "PUP"},
        {17, "udp", "UDP"},       {20, "hmp", "HMP"},
        {22, "xns-idp", "XNS-IDP"}, {27, "rdp", "RDP"},
        {41, "ipv6", "IPv6"},     {43, "ipv6-route", "IPv6-Route"},
        {44, "ipv6-frag", "IPv6-Frag"}, {50, "esp", "ESP"},
        {51, "ah", "AH"},         {58, "ipv6-icmp", "IPv6-ICMP"},
        {59, "ipv6-nonxt", "IPv6-NoNxt"}, {60, "ipv6-opts", "IPv6-Opts"},
        {66, "rvd", "RVD"},
    };
    size_t nrows = sizeof(rows) / sizeof(rows[0]);
    for (size_t i = 0; i < nrows; i++) {
        struct protoent *p = getprotobyname(rows[i].name);
        assert_non_null(p);
        assert_int_equal(p->p_proto, rows[i].n);
        p = getprotobyname(rows[i].alias);
        assert_non_null(p);
        assert_int_equal(p->p_proto, rows[i].n);
    }
    assert_int_equal(getprotobyname("Tcp")->p_proto, 6);
    for (int n = -1; n <= 256; n++) {
        size_t i = 0;
        while (i < nrows && rows[i].n != n)
            i++;
        WSASetLastError((int)POISON);
        struct protoent *p = getprotobynumber(n);
        if (i == nrows) {
            assert_null(p);
            assert_int_equal(WSAGetLastError(), WSANO_DATA);
            continue;
        }
        assert_non_null(p);
        assert_string_equal(p->p_name, rows[i].name);
        assert_string_equal(p->p_aliases[0], rows[i].alias);
        assert_null(p->p_aliases[1]);
    }
    WSASetLastError((int)POISON);
    assert_null(getprotobyname("nosuchproto"));
    assert_int_equal(WSAGetLastError(), WSANO_DATA);
}

/* Microsoft: "WSANOTINITIALISED A successful WSAStartup call must occur
 * before using this function." getaddrinfo returns it as well as setting
 * it. */
static void test_not_initialised(void **state)
{
    (void)state;
    ADDRINFOA *res;
    char buf[64];
    assert_gai_error(getaddrinfo("127.0.0.1", NULL, NULL, &res), res,
                     WSANOTINITIALISED);
    SOCKADDR_IN sin = v4(INADDR_LOOPBACK, 80);
    WSASetLastError((int)POISON);
    assert_int_equal(getnameinfo((SOCKADDR *)&sin, sizeof(sin), buf,
                                 sizeof(buf), NULL, 0, NI_NUMERICHOST),
                     WSANOTINITIALISED);
    assert_int_equal(WSAGetLastError(), WSANOTINITIALISED);
    assert_wsa_error(gethostname(buf, sizeof(buf)), WSANOTINITIALISED);
    WSASetLastError((int)POISON);
    assert_null(gethostbyname("localhost"));
    assert_int_equal(WSAGetLastError(), WSANOTINITIALISED);
    WSASetLastError((int)POISON);
    assert_null(getservbyname("http", "tcp"));
    assert_int_equal(WSAGetLastError(), WSANOTINITIALISED);
    WSASetLastError((int)POISON);
    assert_null(getprotobynumber(6));
    assert_int_equal(WSAGetLastError(), WSANOTINITIALISED);
}

#define STARTED(t) cmocka_unit_test_setup_teardown(t, ws2t_startup, ws2t_cleanup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        STARTED(test_gai_no_name),
        STARTED(test_gai_numeric_v4),
        STARTED(test_gai_numeric_v6),
        STARTED(test_gai_hints),
        STARTED(test_gai_bad_hints),
        STARTED(test_gai_service),
        STARTED(test_gai_names),
        STARTED(test_gai_wide),
        STARTED(test_gni),
        STARTED(test_gni_errors),
        cmocka_unit_test(test_gai_strerror),
        STARTED(test_gethostname),
        STARTED(test_gethostbyname),
        STARTED(test_gethostbyaddr),
        STARTED(test_getserv),
        STARTED(test_getproto),
        cmocka_unit_test(test_not_initialised),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
