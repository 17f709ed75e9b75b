/*
 * test_addr.c - addresses as text: inet_addr, inet_ntoa, inet_pton,
 * inet_ntop, InetPtonW, InetNtopW, WSAStringToAddressA/W,
 * WSAAddressToStringA/W, in6addr_any/in6addr_loopback.
 *
 * The expected values are Windows' own: where a row says "Wine", it is a
 * row of Wine's dlls/ws2_32/tests/protocol.c or dlls/ntdll/tests/rtl.c,
 * tests that pass on Windows; other rows cite the Microsoft page.
 */
#include <pthread.h>

#include "util.h"

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

/* ---- inet_addr ---- */

/* Wine test_inet_addr: BSD forms with hex and octal parts; white space
 * ends the address; " " alone is 0; the last error is never touched. */
static void test_inet_addr(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        uint8_t b[4];
        int none;
    } rows[] = {
        {"1.2.3.4", {1, 2, 3, 4}, 0},
        {"1 2 3 4", {0, 0, 0, 1}, 0},
        {"1.2.3. 4", {0}, 1},
        {"1.2.3 .4", {1, 2, 0, 3}, 0},
        {"1.2.3 \xfe\xff", {1, 2, 0, 3}, 0},
        {"3.4.5.6.7", {0}, 1},
        {"3.4.5.6. 7", {0}, 1},
        {"3.4.5.6  7", {3, 4, 5, 6}, 0},
        {" 3.4.5.6", {0}, 1},
        {"\t3.4.5.6", {0}, 1},
        {"3.4.5.6 ", {3, 4, 5, 6}, 0},
        {"3. 4.5.6", {0}, 1},
        {"3 .4.5.6", {0, 0, 0, 3}, 0},
        {".1.2.3", {0}, 1},
        {"0.0.0.0", {0, 0, 0, 0}, 0},
        {"", {0}, 1},
        {" 0", {0}, 1},
        {"0xa1a2b3b4 ", {0xa1, 0xa2, 0xb3, 0xb4}, 0},
        {".", {0}, 1},
        {" ", {0, 0, 0, 0}, 0},
        {"\t", {0}, 1},
        {"  ", {0}, 1},
        {"127.127.127.255", {127, 127, 127, 255}, 0},
        {"127.127.127.255:123", {0}, 1},
        {"127.127.127.256", {0}, 1},
        {"a", {0}, 1},
        {"1.2.3.0xaA", {1, 2, 3, 0xaa}, 0},
        {"1.1.1.0x", {0}, 1},
        {"1.2.3.010", {1, 2, 3, 8}, 0},
        {"1.2.3.00", {1, 2, 3, 0}, 0},
        {"1.2.3.0a", {0}, 1},
        {"1.1.1.0o10", {0}, 1},
        {"1.1.1.-2", {0}, 1},
        {"1", {0, 0, 0, 1}, 0},
        {"1.2", {1, 0, 0, 2}, 0},
        {"1.2.3", {1, 2, 0, 3}, 0},
        {"203569230", {12, 34, 56, 78}, 0},
        {"[0.1.2.3]", {0}, 1},
        {"0x00010203", {0, 1, 2, 3}, 0},
        {"0x2134", {0, 0, 0x21, 0x34}, 0},
        {"1234BEEF", {0}, 1},
        {"017700000001", {127, 0, 0, 1}, 0},
        {"0777", {0, 0, 1, 0xff}, 0},
        {"2607:f0d0:1002:51::4", {0}, 1},
        {"::1", {0}, 1},
        {":1", {0}, 1},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        WSASetLastError((int)POISON);
        ULONG got = inet_addr(rows[i].in), want;
        memcpy(&want, rows[i].b, 4);
        if (rows[i].none)
            want = INADDR_NONE;
        if (got != want)
            fail_msg("inet_addr(\"%s\") = %08x, wanted %08x", rows[i].in,
                     got, want);
        assert_int_equal(WSAGetLastError(), (int)POISON);
    }
    /* Wine: "1.2.3" followed by any non-digit: only white space is taken. */
    for (int c = 1; c < 256; c++) {
        char s[8] = "1.2.3";
        if (c >= '0' && c <= '9')
            continue;
        s[5] = (char)c;
        int space = c == ' ' || (c >= '\t' && c <= '\r');
        ULONG want = space ? htonl(0x01020003) : INADDR_NONE;
        if (inet_addr(s) != want)
            fail_msg("inet_addr(\"1.2.3\\x%02x\") = %08x", c, inet_addr(s));
    }
    /* Wine: a NULL string is WSAEFAULT. */
    WSASetLastError((int)POISON);
    assert_int_equal(inet_addr(NULL), INADDR_NONE);
    assert_int_equal(WSAGetLastError(), WSAEFAULT);
}

/* ---- inet_ntoa ---- */

static void *ntoa_thread(void *arg)
{
    IN_ADDR a;
    a.s_addr = htonl(0x04030201);
    *(char **)arg = inet_ntoa(a);
    return NULL;
}

/* inet_ntoa (Microsoft): "The string returned is guaranteed to be valid
 * only until the next Windows Sockets function call is made within the
 * same thread" - so each thread has its own buffer (Wine test_inet_ntoa). */
static void test_inet_ntoa(void **state)
{
    (void)state;
    IN_ADDR a;
    a.s_addr = htonl(0x01020304);
    char *s = inet_ntoa(a);
    assert_string_equal(s, "1.2.3.4");
    a.s_addr = 0x20201015; /* Wine test_addr_to_print */
    assert_string_equal(inet_ntoa(a), "21.16.32.32");
    a.s_addr = htonl(0x01020304);
    inet_ntoa(a);
    pthread_t t;
    char *other = NULL;
    assert_int_equal(pthread_create(&t, NULL, ntoa_thread, &other), 0);
    pthread_join(t, NULL);
    assert_ptr_not_equal(other, s);
    assert_string_equal(s, "1.2.3.4");
}

/* ---- inet_pton, InetPtonW ---- */

/* Wine test_inet_pton: four decimal parts only; an address followed by
 * other text is stored and 0 returned; inet_pton leaves the last error
 * alone, InetPtonW sets WSAEINVAL. */
static void test_inet_pton_v4(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int ret;
        int stored;
        uint8_t b[4];
    } rows[] = {
        {"", 0, 0, {0}},
        {" ", 0, 0, {0}},
        {"1.1.1.1", 1, 1, {1, 1, 1, 1}},
        {"0.0.0.0", 1, 1, {0, 0, 0, 0}},
        {"127.127.127.255", 1, 1, {127, 127, 127, 255}},
        {"127.127.127.255:123", 0, 1, {127, 127, 127, 255}},
        {"127.127.127.256", 0, 0, {0}},
        {"a", 0, 0, {0}},
        {"1.1.1.0xaA", 0, 0, {0}},
        {"1.1.1.0x", 0, 0, {0}},
        {"1.1.1.010", 0, 0, {0}},
        {"1.1.1.00", 0, 0, {0}},
        {"1.1.1.0a", 0, 1, {1, 1, 1, 0}},
        {"1.1.1.0o10", 0, 1, {1, 1, 1, 0}},
        {"1.1.1.-2", 0, 0, {0}},
        {"1", 0, 0, {0}},
        {"1.2", 0, 0, {0}},
        {"1.2.3", 0, 0, {0}},
        {"203569230", 0, 0, {0}},
        {"3.4.5.6.7", 0, 0, {0}},
        {" 3.4.5.6", 0, 0, {0}},
        {"3.4.5.6 ", 0, 1, {3, 4, 5, 6}},
        {"3. 4.5.6", 0, 0, {0}},
        {"[0.1.2.3]", 0, 0, {0}},
        {"0x00010203", 0, 0, {0}},
        {"017700000001", 0, 0, {0}},
        {"0777", 0, 0, {0}},
        {"::1", 0, 0, {0}},
        {":1", 0, 0, {0}},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        uint8_t want[4], got[4];
        WCHAR w[32];
        uint32_t poison = POISON;
        memcpy(want, rows[i].stored ? rows[i].b : (uint8_t *)&poison, 4);
        for (int wide = 0; wide < 2; wide++) {
            memcpy(got, &poison, 4);
            WSASetLastError((int)POISON);
            int r;
            if (wide) {
                widen(rows[i].in, w);
                r = InetPtonW(AF_INET, w, got);
            } else {
                r = inet_pton(AF_INET, rows[i].in, got);
            }
            if (r != rows[i].ret || memcmp(got, want, 4))
                fail_msg("%s(\"%s\") = %d, %u.%u.%u.%u", wide ? "InetPtonW"
                         : "inet_pton", rows[i].in, r, got[0], got[1], got[2],
                         got[3]);
            int err = wide && r == 0 ? WSAEINVAL : (int)POISON;
            assert_int_equal(WSAGetLastError(), err);
        }
    }
}

/* Wine test_inet_pton (IPv6 rows): "::" stands for at least one group, a
 * dotted quad may end the address, groups have at most four digits. The
 * "stored" rows stop early after a complete address (Windows stores it);
 * Windows also leaves partial words on some failures, which we do not. */
static void test_inet_pton_v6(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int ret;
        const char *addr; /* our inet_ntop of what is stored, NULL: none */
    } rows[] = {
        {"0000:0000:0000:0000:0000:0000:0000:0001", 1, "::1"},
        {"0:0:0:0:0:0:0::", 1, "::"},
        {"0:0:0:0:0:0:13.1.68.3", 1, "::13.1.68.3"},
        {"0:0:0:0:0:FFFF:129.144.52.38", 1, "::ffff:129.144.52.38"},
        {"1080:0:0:0:8:800:200c:417a", 1, "1080::8:800:200c:417a"},
        {"1111:2222:3333:4444:5555:6666:7777::", 1,
         "1111:2222:3333:4444:5555:6666:7777:0"},
        {"1111:2222:3333:4444:5555:6666::8888", 1,
         "1111:2222:3333:4444:5555:6666:0:8888"},
        {"1111:2222:3333:4444:5555:6666::7777:8888", 0, NULL},
        {"1111:2222:3333:4444:5555:6666:7777::8888", 0, NULL},
        {"1111:2222:3333:4444:0x5555:6666:7777:8888", 0, NULL},
        {"1111::8888", 1, "1111::8888"},
        {"1:2:3:4:5:6:1.2.3.4", 1, "1:2:3:4:5:6:102:304"},
        {"::", 1, "::"},
        {"::%16", 0, "::"},
        {"::/16", 0, "::"},
        {"::01234", 0, NULL},
        {"::0:0:0:0:0:0:0", 1, "::"},
        {"::0:a:b:c:d:e:f", 1, "::a:b:c:d:e:f"},
        {"::123.123.123.123", 1, "::123.123.123.123"},
        {"02001:0000:1234:0000:0000:C1C0:ABCD:0876", 0, NULL},
        {"2001:0000:1234:0000:0000:C1C0:ABCD:0876  0", 0,
         "2001:0:1234::c1c0:abcd:876"},
        {"1.2.3.4", 0, NULL},
        {"1111:2222:1.2.3.4", 0, NULL},
        {"1111:2222:3333:4444:5555:6666::1.2.3.4", 0, NULL},
        {"1111:2222:3333:4444:5555:6666:7777:1.2.3.4", 0, NULL},
        {"1111:2222:3333:4444:5555:6666:7777:8888:", 0,
         "1111:2222:3333:4444:5555:6666:7777:8888"},
        {"1111:2222:::", 0, "1111:2222::"},
        {"1111::5555:", 0, NULL},
        {"2001::FFD3::57ab", 0, "2001::ffd3"},
        {"1::001.2.3.4", 1, "1::102:304"},
        {"1::0001.2.3.4", 0, NULL},
        {"1::1.2.3.300", 0, NULL},
        {"1::1a.2.3.4", 0, NULL},
        {":", 0, NULL},
        {":1111::", 0, NULL},
        {"::-1", 0, "::"},
        {"[::]", 0, NULL},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        for (int wide = 0; wide < 2; wide++) {
            uint8_t got[16];
            WCHAR w[64];
            char text[64];
            memset(got, 0xab, sizeof(got));
            WSASetLastError((int)POISON);
            int r;
            if (wide) {
                widen(rows[i].in, w);
                r = InetPtonW(AF_INET6, w, got);
            } else {
                r = inet_pton(AF_INET6, rows[i].in, got);
            }
            if (r != rows[i].ret)
                fail_msg("%s(\"%s\") = %d", wide ? "InetPtonW" : "inet_pton",
                         rows[i].in, r);
            if (rows[i].addr) {
                assert_non_null(inet_ntop(AF_INET6, got, text, sizeof(text)));
                if (strcmp(text, rows[i].addr))
                    fail_msg("\"%s\" stored %s, wanted %s", rows[i].in, text,
                             rows[i].addr);
            } else {
                for (int k = 0; k < 16; k++)
                    assert_int_equal(got[k], 0xab);
            }
            int err = wide && r == 0 ? WSAEINVAL : (int)POISON;
            assert_int_equal(WSAGetLastError(), err);
        }
    }
}

/* Wine test_inet_pton: a NULL string is -1 with WSAEFAULT whatever the
 * family; an unknown family is -1 with WSAEAFNOSUPPORT (Microsoft:
 * "WSAEAFNOSUPPORT: The address family specified in the Family parameter
 * is not supported. This error is returned if the Family parameter
 * specified was not AF_INET or AF_INET6."). */
static void test_inet_pton_errors(void **state)
{
    (void)state;
    uint8_t buf[16];
    WCHAR w[32];
    memset(buf, 0xab, sizeof(buf));
    WSASetLastError((int)POISON);
    assert_int_equal(inet_pton(AF_UNSPEC, NULL, buf), -1);
    assert_int_equal(WSAGetLastError(), WSAEFAULT);
    WSASetLastError((int)POISON);
    assert_int_equal(inet_pton(AF_INET, NULL, buf), -1);
    assert_int_equal(WSAGetLastError(), WSAEFAULT);
    WSASetLastError((int)POISON);
    assert_int_equal(InetPtonW(AF_INET, NULL, buf), -1);
    assert_int_equal(WSAGetLastError(), WSAEFAULT);
    WSASetLastError((int)POISON);
    assert_int_equal(inet_pton(AF_UNSPEC, "127.0.0.1", buf), -1);
    assert_int_equal(WSAGetLastError(), WSAEAFNOSUPPORT);
    widen("2607:f0d0:1002:51::4", w);
    WSASetLastError((int)POISON);
    assert_int_equal(InetPtonW(AF_UNSPEC, w, buf), -1);
    assert_int_equal(WSAGetLastError(), WSAEAFNOSUPPORT);
    for (int k = 0; k < 16; k++)
        assert_int_equal(buf[k], 0xab);
}

/* ---- inet_ntop, InetNtopW ---- */

/* Wine test_RtlIpv6AddressToString and test_addr_to_print: lower-case
 * hex, the first longest run of two or more zero groups compressed (one
 * zero group never is), a dotted quad for the compatible, mapped,
 * translated and ISATAP forms. */
static void test_inet_ntop_v6(void **state)
{
    (void)state;
    static const struct {
        uint16_t w[8];
        const char *out;
    } rows[] = {
        {{0, 0, 0, 0, 0, 0, 0x0d01, 0x4403}, "::13.1.68.3"},
        {{0, 0, 0, 0, 0, 0, 0, 0xffff}, "::ffff"},
        {{0, 0, 0, 0, 0, 0, 0x0001, 0}, "::0.1.0.0"},
        {{0, 0, 0, 0, 0, 0xffff, 0x0d01, 0x4403}, "::ffff:13.1.68.3"},
        {{0, 0, 0, 0, 0, 0xfffe, 0x0d01, 0x4403}, "::fffe:d01:4403"},
        {{0, 0, 0, 0, 0, 0x0100, 0x0d01, 0x4403}, "::100:d01:4403"},
        {{0, 0, 0, 0, 0x0001, 0, 0x0d01, 0x4403}, "::1:0:d01:4403"},
        {{0, 0, 0, 0, 0, 0xffff, 0, 0x0344}, "::ffff:0:344"},
        {{0, 0, 0, 0, 0, 0xffff, 0, 0}, "::ffff:0:0"},
        {{0, 0, 0, 0, 0xffff, 0, 0x0001, 0}, "::ffff:0:0.1.0.0"},
        {{0, 0, 0, 0, 0xffff, 0xffff, 0x0d01, 0x4403},
         "::ffff:ffff:d01:4403"},
        {{0, 0, 0, 0, 0, 0x5efe, 0, 0}, "::5efe:0.0.0.0"},
        {{0x1111, 0x2222, 0x3333, 0x4444, 0, 0x5efe, 0x8190, 0x3426},
         "1111:2222:3333:4444:0:5efe:129.144.52.38"},
        {{0x1111, 0, 0, 0, 0, 0x5efe, 0x8190, 0x3426},
         "1111::5efe:129.144.52.38"},
        {{0, 0, 0, 0, 0x0300, 0x5efe, 0x8190, 0x3426},
         "::300:5efe:8190:3426"},
        {{0, 0, 0, 0, 0x0200, 0x5efe, 0x8190, 0x3426},
         "::200:5efe:129.144.52.38"},
        {{0, 0, 0, 0, 0, 0, 0, 1}, "::1"},
        {{0, 1, 2, 3, 4, 5, 6, 7}, "0:1:2:3:4:5:6:7"},
        {{0x1111, 0x2222, 0x3333, 0x4444, 0x5555, 0x6666, 0, 0x8888},
         "1111:2222:3333:4444:5555:6666:0:8888"},
        {{0x1111, 0x2222, 0x3333, 0x4444, 0x5555, 0, 0, 0},
         "1111:2222:3333:4444:5555::"},
        {{0x2001, 0, 0x1234, 0, 0, 0xc1c0, 0xabcd, 0x0876},
         "2001:0:1234::c1c0:abcd:876"},
        {{0x3ffe, 0x0b00, 0, 0, 0x0001, 0, 0, 0x000a}, "3ffe:b00::1:0:0:a"},
        {{0, 0, 0, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e}, "::a:b:c:d:e"},
        {{0, 0, 0, 0, 0, 0, 0, 0}, "::"},
        {{0x2030, 0xa4b1, 0, 0, 0, 0, 0, 0}, "2030:a4b1::"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        uint8_t a[16];
        char out[64];
        WCHAR wout[64];
        for (int k = 0; k < 8; k++) {
            a[2 * k] = (uint8_t)(rows[i].w[k] >> 8);
            a[2 * k + 1] = (uint8_t)rows[i].w[k];
        }
        memset(out, 'x', sizeof(out));
        assert_ptr_equal(inet_ntop(AF_INET6, a, out, sizeof(out)), out);
        assert_string_equal(out, rows[i].out);
        assert_ptr_equal(InetNtopW(AF_INET6, a, wout, 64), wout);
        assert_true(wide_eq(wout, rows[i].out));
        /* Round trip: Windows' own text parses back to the same bytes. */
        uint8_t back[16];
        assert_int_equal(inet_pton(AF_INET6, out, back), 1);
        assert_memory_equal(back, a, 16);
    }
}

/* Wine test_addr_to_print: an unknown family is WSAEAFNOSUPPORT; a NULL
 * buffer or one shorter than the text and its NUL is WSAEINVAL (Windows 7;
 * later Windows report STATUS_INVALID_PARAMETER, see LINUX NOTES). */
static void test_inet_ntop_errors(void **state)
{
    (void)state;
    uint32_t v4 = 0x20201015;
    char buf[32];
    WCHAR wbuf[32];
    WSASetLastError((int)POISON);
    assert_null(inet_ntop(1, &v4, buf, sizeof(buf)));
    assert_int_equal(WSAGetLastError(), WSAEAFNOSUPPORT);
    WSASetLastError((int)POISON);
    assert_null(InetNtopW(AF_UNSPEC, &v4, wbuf, 32));
    assert_int_equal(WSAGetLastError(), WSAEAFNOSUPPORT);
    WSASetLastError((int)POISON);
    assert_null(inet_ntop(AF_INET, &v4, NULL, sizeof(buf)));
    assert_int_equal(WSAGetLastError(), WSAEINVAL);
    WSASetLastError((int)POISON);
    assert_null(inet_ntop(AF_INET, &v4, buf, 0));
    assert_int_equal(WSAGetLastError(), WSAEINVAL);
    /* "21.16.32.32" is 11 characters: 12 fit, 11 do not. */
    memset(buf, 'x', sizeof(buf));
    WSASetLastError((int)POISON);
    assert_null(inet_ntop(AF_INET, &v4, buf, 11));
    assert_int_equal(WSAGetLastError(), WSAEINVAL);
    assert_int_equal(buf[0], 'x');
    assert_ptr_equal(inet_ntop(AF_INET, &v4, buf, 12), buf);
    assert_string_equal(buf, "21.16.32.32");
    WSASetLastError((int)POISON);
    assert_null(InetNtopW(AF_INET, &v4, wbuf, 11));
    assert_int_equal(WSAGetLastError(), WSAEINVAL);
    assert_ptr_equal(InetNtopW(AF_INET, &v4, wbuf, 12), wbuf);
    assert_true(wide_eq(wbuf, "21.16.32.32"));
    /* Wine: "::fffe:cc98:bd74" (16 characters) needs 17, not 16. */
    uint8_t a[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe, 0xcc, 0x98,
                     0xbd, 0x74};
    char b6[64];
    WSASetLastError((int)POISON);
    assert_null(inet_ntop(AF_INET6, a, b6, 16));
    assert_int_equal(WSAGetLastError(), WSAEINVAL);
    assert_ptr_equal(inet_ntop(AF_INET6, a, b6, 17), b6);
    assert_string_equal(b6, "::fffe:cc98:bd74");
}

/* ---- WSAStringToAddress ---- */

/* Wine test_WSAStringToAddress (IPv4 rows): the address is read in the
 * BSD forms, then an optional ":port" in any base, 1..65535. On failure
 * the structure is zeroed but for an address already read, the length is
 * unchanged and the error is WSAEINVAL (Microsoft: "WSAEINVAL: The
 * function was unable to translate the string into a sockaddr"). */
static void test_string_to_address_v4(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        uint32_t addr;
        USHORT port;
        int error;
    } rows[] = {
        {"", 0, 0, WSAEINVAL},
        {" ", 0, 0, WSAEINVAL},
        {"1.1.1.1", 0x01010101, 0, 0},
        {"127.127.127.127:", 0x7f7f7f7f, 0, WSAEINVAL},
        {"127.127.127.127:0", 0x7f7f7f7f, 0, WSAEINVAL},
        {"127.127.127.127:123", 0x7f7f7f7f, 123, 0},
        {"127.127.127.127:65535", 0x7f7f7f7f, 65535, 0},
        {"127.127.127.127:65537", 0x7f7f7f7f, 0, WSAEINVAL},
        {"127.127.127.127::1", 0x7f7f7f7f, 0, WSAEINVAL},
        {"127.127.127.127:0xAbCd", 0x7f7f7f7f, 43981, 0},
        {"127.127.127.127:0x", 0x7f7f7f7f, 0, WSAEINVAL},
        {"127.127.127.127:0x10000", 0x7f7f7f7f, 0, WSAEINVAL},
        {"127.127.127.127:010", 0x7f7f7f7f, 8, 0},
        {"127.127.127.127:007", 0x7f7f7f7f, 7, 0},
        {"127.127.127.127:08", 0x7f7f7f7f, 0, WSAEINVAL},
        {"127.127.127.127:008", 0x7f7f7f7f, 0, WSAEINVAL},
        {"127.127.127.127:0a", 0x7f7f7f7f, 0, WSAEINVAL},
        {"255.255.255.256", 0, 0, WSAEINVAL},
        {"1.1.1.0xaA", 0x010101aa, 0, 0},
        {"1.1.1.0x", 0, 0, WSAEINVAL},
        {"1.1.1.0x100", 0, 0, WSAEINVAL},
        {"1.1.1.010", 0x01010108, 0, 0},
        {"1.1.1.08", 0, 0, WSAEINVAL},
        {"1.1.1.008", 0x01010100, 0, WSAEINVAL},
        {"1.1.1.0a", 0x01010100, 0, WSAEINVAL},
        {"1", 0x00000001, 0, 0},
        {"-1", 0, 0, WSAEINVAL},
        {"1:1", 0x00000001, 1, 0},
        {"1.2:1", 0x01000002, 1, 0},
        {"1000.2000", 0, 0, WSAEINVAL},
        {"1.2.", 0, 0, WSAEINVAL},
        {"1.2.3:1", 0x01020003, 1, 0},
        {"203569230:123", 0x0c22384e, 123, 0},
        {"2001::1", 0x000007d1, 0, WSAEINVAL},
        {"1.223756", 0x01036a0c, 0, 0},
        {"3.4.756", 0x030402f4, 0, 0},
        {"3.756.4", 0, 0, WSAEINVAL},
        {"3.4.65536", 0, 0, WSAEINVAL},
        {"3.4.5.6 ", 0x03040506, 0, WSAEINVAL},
        {"3.4.5.6:7 ", 0x03040506, 0, WSAEINVAL},
        {"3.4.5.6: 7", 0x03040506, 0, WSAEINVAL},
        {"[0.1.2.3]", 0, 0, WSAEINVAL},
        {"0x00010203:10", 0x00010203, 10, 0},
        {"0x123456789", 0x23456789, 0, 0},
        {"0x00010Q03", 0x00000010, 0, WSAEINVAL},
        {"1234BEEF", 0x000004d2, 0, WSAEINVAL},
        {"0777:10", 0x000001ff, 10, 0},
        {"::1", 0, 0, WSAEINVAL},
    };
    for (int wide = 0; wide < 2; wide++) {
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
            SOCKADDR_IN sin;
            WCHAR w[64];
            int len = (int)sizeof(sin) + 10, r;
            memset(&sin, 0xab, sizeof(sin));
            WSASetLastError((int)POISON);
            if (wide) {
                widen(rows[i].in, w);
                r = WSAStringToAddressW(w, AF_INET, NULL, (SOCKADDR *)&sin,
                                        &len);
            } else {
                r = WSAStringToAddressA((LPSTR)rows[i].in, AF_INET, NULL,
                                        (SOCKADDR *)&sin, &len);
            }
            int err = rows[i].error;
            if (r != (err ? SOCKET_ERROR : 0) ||
                WSAGetLastError() != (err ? err : (int)POISON) ||
                sin.sin_family != (err ? 0 : AF_INET) ||
                sin.sin_addr.s_addr != htonl(rows[i].addr) ||
                sin.sin_port != htons(rows[i].port) ||
                len != (err ? (int)sizeof(sin) + 10 : (int)sizeof(sin)))
                fail_msg("%c \"%s\": ret %d error %d family %d addr %08x "
                         "port %u len %d",
                         wide ? 'W' : 'A', rows[i].in, r, WSAGetLastError(),
                         sin.sin_family, ntohl(sin.sin_addr.s_addr),
                         ntohs(sin.sin_port), len);
        }
    }
}

/* Wine test_WSAStringToAddress (IPv6 rows) and test_RtlIpv6StringToAddressEx
 * forms: brackets, "%scope", "]:port". */
static void test_string_to_address_v6(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *addr;
        ULONG scope;
        USHORT port;
        int error;
    } rows[] = {
        {"::1", "::1", 0, 0, 0},
        {"[::1]", "::1", 0, 0, 0},
        {"[::1]:65535", "::1", 0, 65535, 0},
        {"2001::1", "2001::1", 0, 0, 0},
        {"::1]:65535", NULL, 0, 0, WSAEINVAL},
        {"001::1", "1::1", 0, 0, 0},
        {"::1:2:3:4:5:6:7", "0:1:2:3:4:5:6:7", 0, 0, 0},
        {"1.2.3.4", NULL, 0, 0, WSAEINVAL},
        {"1:2:3:", NULL, 0, 0, WSAEINVAL},
        {"", NULL, 0, 0, WSAEINVAL},
        {"fe80::1%3", "fe80::1", 3, 0, 0},
        {"[fe80::1%3]:80", "fe80::1", 3, 80, 0},
        {"[::13.1.68.3%4294949819]:256", "::13.1.68.3", 0xffffbbbb, 256, 0},
        {"fe80::1%", NULL, 0, 0, WSAEINVAL},
        {"[fe80::1", NULL, 0, 0, WSAEINVAL},
        {"[::1]x", NULL, 0, 0, WSAEINVAL},
    };
    for (int wide = 0; wide < 2; wide++) {
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
            SOCKADDR_IN6 sin6;
            WCHAR w[64];
            char text[64];
            int len = (int)sizeof(sin6) + 10, r;
            memset(&sin6, 0xab, sizeof(sin6));
            WSASetLastError((int)POISON);
            if (wide) {
                widen(rows[i].in, w);
                r = WSAStringToAddressW(w, AF_INET6, NULL,
                                        (SOCKADDR *)&sin6, &len);
            } else {
                r = WSAStringToAddressA((LPSTR)rows[i].in, AF_INET6, NULL,
                                        (SOCKADDR *)&sin6, &len);
            }
            int err = rows[i].error;
            if (r != (err ? SOCKET_ERROR : 0) ||
                WSAGetLastError() != (err ? err : (int)POISON) ||
                sin6.sin6_family != (err ? 0 : AF_INET6) ||
                sin6.sin6_scope_id != rows[i].scope ||
                sin6.sin6_port != htons(rows[i].port) ||
                sin6.sin6_flowinfo != 0 ||
                len != (err ? (int)sizeof(sin6) + 10 : (int)sizeof(sin6)))
                fail_msg("%c \"%s\": ret %d error %d family %d scope %u "
                         "port %u len %d",
                         wide ? 'W' : 'A', rows[i].in, r, WSAGetLastError(),
                         sin6.sin6_family, sin6.sin6_scope_id,
                         ntohs(sin6.sin6_port), len);
            if (rows[i].addr) {
                inet_ntop(AF_INET6, &sin6.sin6_addr, text, sizeof(text));
                assert_string_equal(text, rows[i].addr);
            }
        }
    }
}

/* Microsoft WSAStringToAddressA: "If the specified buffer is not large
 * enough, the function fails with a specific error of WSAEFAULT and this
 * parameter is updated with the required size in bytes." Wine: the size
 * is checked before the text. An unsupported family is WSAEINVAL. */
static void test_string_to_address_errors(void **state)
{
    (void)state;
    SOCKADDR_STORAGE ss;
    int len = 0;
    WSASetLastError((int)POISON);
    assert_wsa_error(WSAStringToAddressA((LPSTR) "", AF_INET, NULL,
                                         (SOCKADDR *)&ss, &len),
                     WSAEFAULT);
    assert_int_equal(len, sizeof(SOCKADDR_IN));
    len = (int)sizeof(SOCKADDR_IN6) - 1;
    memset(&ss, 0xab, sizeof(ss));
    assert_wsa_error(WSAStringToAddressA((LPSTR) "::1", AF_INET6, NULL,
                                         (SOCKADDR *)&ss, &len),
                     WSAEFAULT);
    assert_int_equal(len, sizeof(SOCKADDR_IN6));
    assert_int_equal(ss.ss_family, 0xabab);
    len = (int)sizeof(ss);
    assert_wsa_error(WSAStringToAddressA((LPSTR) "1.2.3.4", AF_UNSPEC, NULL,
                                         (SOCKADDR *)&ss, &len),
                     WSAEINVAL);
    assert_wsa_error(WSAStringToAddressA((LPSTR) "1.2.3.4", 1234, NULL,
                                         (SOCKADDR *)&ss, &len),
                     WSAEINVAL);
    assert_int_equal(len, sizeof(ss));
    /* A provider named by its protocol info converts for its family. */
    WSAPROTOCOL_INFOA info;
    int ilen = sizeof(info);
    SOCKET s = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s != INVALID_SOCKET);
    assert_wsa_ok(getsockopt(s, SOL_SOCKET, SO_PROTOCOL_INFOA, (char *)&info,
                             &ilen));
    closesocket(s);
    SOCKADDR_IN sin;
    len = sizeof(sin);
    assert_wsa_ok(WSAStringToAddressA((LPSTR) "10.0.0.1:99", AF_INET, &info,
                                      (SOCKADDR *)&sin, &len));
    assert_int_equal(sin.sin_port, htons(99));
}

/* ---- WSAAddressToString ---- */

/* Wine test_WSAAddressToString: "a.b.c.d" with ":port" when the port is
 * not 0; IPv6 in brackets when there is a port, "%scope" when the scope
 * is not 0; the length returned counts the NUL, in characters for both
 * forms. */
static void test_address_to_string(void **state)
{
    (void)state;
    static const struct {
        uint32_t addr;
        USHORT port;
        const char *out;
    } v4[] = {
        {0, 0, "0.0.0.0"},
        {0xffffffff, 0, "255.255.255.255"},
        {0, 0xffff, "0.0.0.0:65535"},
        {0xffffffff, 0xffff, "255.255.255.255:65535"},
        {0x7f000001, 80, "127.0.0.1:80"},
    };
    static const struct {
        const char *addr;
        ULONG scope;
        USHORT port;
        const char *out;
    } v6[] = {
        {"::1", 0, 0, "::1"},
        {"20ab::1", 0, 0, "20ab::1"},
        {"20ab::2001", 0, 33274, "[20ab::2001]:33274"},
        {"20ab::2001", 0x1234, 33274, "[20ab::2001%4660]:33274"},
        {"20ab::2001", 0x1234, 0, "20ab::2001%4660"},
        {"::ffff:1.2.3.4", 0, 0, "::ffff:1.2.3.4"},
        {"fe80::1", 3, 0, "fe80::1%3"},
    };
    for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++) {
        SOCKADDR_IN sin = {0};
        char out[64];
        WCHAR wout[64];
        DWORD len = sizeof(out);
        sin.sin_family = AF_INET;
        sin.sin_addr.s_addr = htonl(v4[i].addr);
        sin.sin_port = htons(v4[i].port);
        memset(out, 'x', sizeof(out));
        assert_wsa_ok(WSAAddressToStringA((SOCKADDR *)&sin, sizeof(sin), NULL,
                                          out, &len));
        assert_string_equal(out, v4[i].out);
        assert_int_equal(len, strlen(v4[i].out) + 1);
        len = 64;
        assert_wsa_ok(WSAAddressToStringW((SOCKADDR *)&sin, sizeof(sin), NULL,
                                          wout, &len));
        assert_true(wide_eq(wout, v4[i].out));
        assert_int_equal(len, strlen(v4[i].out) + 1);
        /* Round trip. */
        SOCKADDR_IN back;
        int blen = sizeof(back);
        assert_wsa_ok(WSAStringToAddressA(out, AF_INET, NULL,
                                          (SOCKADDR *)&back, &blen));
        assert_memory_equal(&back, &sin, sizeof(sin));
    }
    for (size_t i = 0; i < sizeof(v6) / sizeof(v6[0]); i++) {
        SOCKADDR_IN6 sin6 = {0};
        char out[80];
        WCHAR wout[80];
        DWORD len = sizeof(out);
        sin6.sin6_family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, v6[i].addr, &sin6.sin6_addr), 1);
        sin6.sin6_scope_id = v6[i].scope;
        sin6.sin6_port = htons(v6[i].port);
        assert_wsa_ok(WSAAddressToStringA((SOCKADDR *)&sin6, sizeof(sin6),
                                          NULL, out, &len));
        assert_string_equal(out, v6[i].out);
        assert_int_equal(len, strlen(v6[i].out) + 1);
        len = 80;
        assert_wsa_ok(WSAAddressToStringW((SOCKADDR *)&sin6, sizeof(sin6),
                                          NULL, wout, &len));
        assert_true(wide_eq(wout, v6[i].out));
        assert_int_equal(len, strlen(v6[i].out) + 1);
        SOCKADDR_IN6 back;
        int blen = sizeof(back);
        assert_wsa_ok(WSAStringToAddressW(wout, AF_INET6, NULL,
                                          (SOCKADDR *)&back, &blen));
        assert_memory_equal(&back, &sin6, sizeof(sin6));
    }
}

/* Microsoft WSAAddressToStringA: "If the specified buffer is not large
 * enough, the function fails with a specific error of WSAEFAULT and this
 * parameter is updated with the required size." and "WSAEINVAL: An
 * invalid parameter was passed. This error is returned if the
 * lpsaAddress, dwAddressLength, or lpdwAddressStringLength parameter are
 * NULL. This error is also returned if the specified address is not a
 * valid socket address, or no transport provider supports the indicated
 * address family." Wine: len 0 gives 8 for "0.0.0.0". */
static void test_address_to_string_errors(void **state)
{
    (void)state;
    SOCKADDR_IN sin = {0};
    char out[32];
    WCHAR wout[32];
    DWORD len = 0;
    sin.sin_family = AF_INET;
    memset(out, 'x', sizeof(out));
    assert_wsa_error(WSAAddressToStringA((SOCKADDR *)&sin, sizeof(sin), NULL,
                                         out, &len),
                     WSAEFAULT);
    assert_int_equal(len, 8);
    assert_int_equal(out[0], 'x');
    len = 0;
    assert_wsa_error(WSAAddressToStringW((SOCKADDR *)&sin, sizeof(sin), NULL,
                                         NULL, &len),
                     WSAEFAULT);
    assert_int_equal(len, 8);
    len = 7;
    assert_wsa_error(WSAAddressToStringW((SOCKADDR *)&sin, sizeof(sin), NULL,
                                         wout, &len),
                     WSAEFAULT);
    assert_int_equal(len, 8);
    len = 8;
    assert_wsa_ok(WSAAddressToStringW((SOCKADDR *)&sin, sizeof(sin), NULL,
                                      wout, &len));
    assert_true(wide_eq(wout, "0.0.0.0"));
    len = 8;
    assert_wsa_ok(WSAAddressToStringA((SOCKADDR *)&sin, sizeof(sin), NULL,
                                      out, &len));
    assert_string_equal(out, "0.0.0.0");
    len = sizeof(out);
    assert_wsa_error(WSAAddressToStringA(NULL, sizeof(sin), NULL, out, &len),
                     WSAEINVAL);
    assert_wsa_error(WSAAddressToStringA((SOCKADDR *)&sin, sizeof(sin), NULL,
                                         out, NULL),
                     WSAEINVAL);
    assert_wsa_error(WSAAddressToStringA((SOCKADDR *)&sin, 0, NULL, out,
                                         &len),
                     WSAEINVAL);
    assert_wsa_error(WSAAddressToStringA((SOCKADDR *)&sin, sizeof(sin) - 1,
                                         NULL, out, &len),
                     WSAEINVAL);
    sin.sin_family = 1234;
    assert_wsa_error(WSAAddressToStringA((SOCKADDR *)&sin, sizeof(sin), NULL,
                                         out, &len),
                     WSAEINVAL);
    assert_int_equal(len, sizeof(out));
    SOCKADDR_IN6 sin6 = {0};
    sin6.sin6_family = AF_INET6;
    assert_wsa_error(WSAAddressToStringA((SOCKADDR *)&sin6, sizeof(sin6) - 1,
                                         NULL, out, &len),
                     WSAEINVAL);
}

/* Microsoft: "WSANOTINITIALISED: A successful WSAStartup call must occur
 * before using this function." The inet_* conversions need no start-up
 * (they are ntdll's on Windows). */
static void test_not_initialised(void **state)
{
    (void)state;
    SOCKADDR_IN sin;
    int len = sizeof(sin);
    DWORD slen = 32;
    char out[32];
    assert_wsa_error(WSAStringToAddressA((LPSTR) "1.2.3.4", AF_INET, NULL,
                                         (SOCKADDR *)&sin, &len),
                     WSANOTINITIALISED);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    assert_wsa_error(WSAAddressToStringA((SOCKADDR *)&sin, sizeof(sin), NULL,
                                         out, &slen),
                     WSANOTINITIALISED);
    assert_int_equal(slen, 32);
    uint8_t a[4];
    assert_int_equal(inet_pton(AF_INET, "1.2.3.4", a), 1);
    assert_int_equal(inet_addr("1.2.3.4"), htonl(0x01020304));
    assert_non_null(inet_ntop(AF_INET, a, out, sizeof(out)));
}

/* ws2ipdef.h: in6addr_any is ::, in6addr_loopback is ::1. */
static void test_in6addr(void **state)
{
    (void)state;
    static const uint8_t loop[16] = {0, 0, 0, 0, 0, 0, 0, 0,
                                     0, 0, 0, 0, 0, 0, 0, 1};
    static const uint8_t any[16] = {0};
    assert_memory_equal(in6addr_any.u.Byte, any, 16);
    assert_memory_equal(in6addr_loopback.u.Byte, loop, 16);
    assert_true(IN6_IS_ADDR_LOOPBACK(&in6addr_loopback));
    assert_true(IN6_IS_ADDR_UNSPECIFIED(&in6addr_any));
}

#define STARTED(t) cmocka_unit_test_setup_teardown(t, ws2t_startup, ws2t_cleanup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inet_addr),
        cmocka_unit_test(test_inet_ntoa),
        cmocka_unit_test(test_inet_pton_v4),
        cmocka_unit_test(test_inet_pton_v6),
        cmocka_unit_test(test_inet_pton_errors),
        cmocka_unit_test(test_inet_ntop_v6),
        cmocka_unit_test(test_inet_ntop_errors),
        STARTED(test_string_to_address_v4),
        STARTED(test_string_to_address_v6),
        STARTED(test_string_to_address_errors),
        STARTED(test_address_to_string),
        STARTED(test_address_to_string_errors),
        cmocka_unit_test(test_not_initialised),
        cmocka_unit_test(test_in6addr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
