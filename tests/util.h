/*
 * util.h - what the test programs share: start-up, loopback socket pairs
 * with receive timeouts (no test can hang on a lost datagram), patterns
 * for byte-exact checks. Tests use only the public API unless they say so.
 */
#ifndef WS2TEST_UTIL_H
#define WS2TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <string.h>

#include <winsock2.h>
#include <ws2tcpip.h>

#include <cmocka.h>

/* A value no call writes by chance: outputs are preset to it and checked. */
#define POISON 0xdeadbeefu

/* cmocka group fixtures: WSAStartup(2.2) / WSACleanup. */
int ws2t_startup(void **state);
int ws2t_cleanup(void **state);

/* Asserts a Winsock call failed with the given error. */
#define assert_wsa_error(ret, err)                                             \
    do {                                                                       \
        int ws2t_ret_ = (int)(ret);                                            \
        int ws2t_err_ = WSAGetLastError();                                     \
        if (ws2t_ret_ != SOCKET_ERROR || ws2t_err_ != (err))                   \
            fail_msg("%s: got ret %d error %d, wanted SOCKET_ERROR and %d "  \
                     "(%s)",                                                   \
                     #ret, ws2t_ret_, ws2t_err_, (int)(err), #err);            \
    } while (0)
/* Asserts a Winsock call succeeded (not SOCKET_ERROR), showing the error. */
#define assert_wsa_ok(ret)                                                     \
    do {                                                                       \
        if ((int)(ret) == SOCKET_ERROR)                                        \
            fail_msg("%s failed with error %d", #ret, WSAGetLastError());      \
    } while (0)

/* The extension functions report a pending start as FALSE with
 * ERROR_IO_PENDING (== WSA_IO_PENDING). */
#define assert_pending(call)                                                   \
    do {                                                                       \
        WSASetLastError(0);                                                    \
        BOOL ok_ = (call);                                                     \
        int e_ = WSAGetLastError();                                            \
        if (ok_ || e_ != ERROR_IO_PENDING)                                     \
            fail_msg("%s: got %d error %d, wanted FALSE and "                  \
                     "ERROR_IO_PENDING",                                       \
                     #call, ok_, e_);                                          \
    } while (0)
#define assert_fails(call, err)                                                \
    do {                                                                       \
        WSASetLastError(0);                                                    \
        BOOL ok_ = (call);                                                     \
        int e_ = WSAGetLastError();                                            \
        if (ok_ || e_ != (int)(err))                                           \
            fail_msg("%s: got %d error %d, wanted FALSE and %d (%s)", #call,   \
                     ok_, e_, (int)(err), #err);                               \
    } while (0)

/* An IPv4 (af AF_INET) or IPv6 loopback address with the given port (host
 * order). len gets the address length. */
void ws2t_loopback(int af, u_short port, SOCKADDR_STORAGE *ss, int *len);
/* A socket bound to loopback port 0, with a 5 s receive timeout. */
SOCKET ws2t_bound(int af, int type);
/* Its bound address. */
void ws2t_name(SOCKET s, SOCKADDR_STORAGE *ss, int *len);
/* A connected TCP pair over loopback (client, server side), 5 s receive
 * timeouts on both. */
void ws2t_tcp_pair(int af, SOCKET *client, SOCKET *server);
/* A UDP pair: a is connected to b's address (when connect_a), b bound. */
void ws2t_udp_pair(int af, SOCKET *a, SOCKET *b, int connect_a);
/* Sets the receive timeout in milliseconds. */
void ws2t_rcvtimeo(SOCKET s, DWORD ms);
/* Deterministic pattern bytes: byte i of stream `seed`. */
void ws2t_fill(void *buf, size_t len, uint32_t seed, size_t offset);
/* Checks buf against the pattern; fails the test at the first difference. */
void ws2t_check(const void *buf, size_t len, uint32_t seed, size_t offset);
/* Receives exactly len bytes from a stream socket (fails on timeout). */
void ws2t_recv_all(SOCKET s, char *buf, size_t len);
/* Fills the send buffer of a non-blocking stream socket whose peer does
 * not read; returns the bytes it took. */
size_t ws2t_fill_window(SOCKET s);

/* A thread body: receives total bytes from s, checking them against the
 * pattern of seed as they come (got counts them; bad is set at the first
 * difference or early end). */
struct ws2t_stream_rx {
    SOCKET s;
    size_t total;
    uint32_t seed;
    size_t got;
    int bad;
};
void *ws2t_stream_rx_main(void *arg);

/* Time and threads, every wait bounded. */
double ws2t_now_ms(void); /* CLOCK_MONOTONIC */
void ws2t_sleep_ms(unsigned ms);
void ws2t_thread_start(pthread_t *tid, void *(*fn)(void *), void *arg);
/* Joins, failing the test if the thread is not done within seconds. */
void ws2t_thread_join(pthread_t tid, int seconds);
/* For the overlapped suites: starts the engine and prints which it is;
 * returns 0 to go on, or 77 (skip) when no engine can start. */
int ws2t_engine_or_skip(void);

/* A thread that exits with a completion routine's APC still queued: it
 * posts an overlapped WSARecv on s with routine cr, waits (never
 * alertably) until the request has completed, and exits. The datagram
 * comes from `from` to `to` (s's address): sent before the post when
 * immediate (the receive completes inside its call), after it otherwise
 * (it completes on the engine's side). Fails the test unless it all went
 * so. */
void ws2t_exit_with_routine_queued(SOCKET s, SOCKET from,
                                   const SOCKADDR_STORAGE *to, int tolen,
                                   int immediate,
                                   LPWSAOVERLAPPED_COMPLETION_ROUTINE cr);

/* Fails the test unless ev is signalled within ms. */
void ws2t_wait_event(WSAEVENT ev, DWORD ms);
/* An extension function of s's provider (SIO_GET_EXTENSION_FUNCTION_POINTER
 * by GUID), asserted to be there. */
void *ws2t_ext_fn(SOCKET s, GUID id);

#endif
