/*
 * iocp_echo_server.c - a TCP echo server built the way Windows services
 * are: one I/O completion port, a pool of worker threads dequeuing from
 * it, AcceptEx requests posted in advance, and overlapped WSARecv/WSASend
 * on every connection.
 *
 *   iocp_echo_server [port] [threads] [host]
 *
 * Listens on host:port (default 127.0.0.1 27015; port 0 picks a free one,
 * printed in the "listening on" line) with `threads` workers (default 4,
 * at most 64), and echoes every connection until the client shuts its
 * side down. It stops when it gets SIGINT or SIGTERM (Ctrl-C), or when a
 * client sends just "quit" (optionally with a line end) and shuts down its
 * side; then it closes what is still open, waits for every request it
 * posted to come back, prints the bytes it echoed and exits 0.
 *
 * The shape, for whoever ports a server like it:
 * - every request carries an IO_CONTEXT whose OVERLAPPED the completion
 *   hands back; CONTAINING_RECORD leads from it to the context, and from
 *   the context to the connection or accept slot around it;
 * - a connection has one request outstanding at a time (receive, then
 *   send the data back, then receive again), so no lock guards it: the
 *   worker holding its completion owns it;
 * - connections sit in a table changed with interlocked operations only,
 *   read by the main thread once the workers have stopped, to close them;
 * - shutdown: one PostQueuedCompletionStatus per worker with a key no
 *   socket uses; after the workers exit, the main thread closes the
 *   listener and every connection and dequeues the completion of each
 *   request still outstanding (cancelled now), so nothing leaks.
 *
 * Plain Windows code: it builds unchanged with ws2posix on Linux and with
 * x86_64-w64-mingw32-gcc ... -lws2_32 for Windows.
 */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <windows.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "echo.h"

#define MAX_THREADS 64 /* MAXIMUM_WAIT_OBJECTS: the main thread waits on all */
#define ACCEPTS_POSTED 64
#define MAX_CONNECTIONS 8192
#define IO_BUFFER 8192
#define ENTRIES 32     /* GetQueuedCompletionStatusEx's batch */
#define KEY_LISTENER 1 /* completion keys: connections use their address */
#define KEY_SHUTDOWN 2
#define STOP_WAIT_MS 10000
#define ADDR_ROOM (sizeof(SOCKADDR_STORAGE) + 16)

static const char *prog = "iocp_echo_server";

enum io_kind { IO_ACCEPT, IO_RECV, IO_SEND };

/* One request: what the completion leads back to. */
typedef struct io_context {
    OVERLAPPED ov;
    enum io_kind kind;
    WSABUF wsabuf;
} IO_CONTEXT;

typedef struct connection {
    SOCKET s;
    LONG slot; /* index in g_conns */
    IO_CONTEXT io;
    char buf[IO_BUFFER];
    DWORD len, sent;       /* bytes received, and echoed so far */
    LONGLONG bytes;        /* echoed in all */
    char head[8];          /* the first bytes: is it "quit"? */
} CONNECTION;

typedef struct accept_slot {
    IO_CONTEXT io;
    SOCKET s; /* the socket AcceptEx connects */
    int posted;
    char addrs[2 * ADDR_ROOM];
} ACCEPT_SLOT;

/* What one worker counted; read by the main thread after it exited. */
typedef struct worker {
    HANDLE thread;
    LONGLONG bytes;
    long connections, errors;
} WORKER;

static HANDLE g_port;
static SOCKET g_listener = INVALID_SOCKET;
static int g_family;
static LPFN_ACCEPTEX g_AcceptEx;
static LPFN_GETACCEPTEXSOCKADDRS g_GetAcceptExSockaddrs;
static ACCEPT_SLOT g_accepts[ACCEPTS_POSTED];
static PVOID volatile g_conns[MAX_CONNECTIONS];
static LONG volatile g_next_slot;
static LONG volatile g_stopping;
static WSAEVENT g_stop_event; /* set by the worker that got "quit" */
static volatile sig_atomic_t g_signalled;

static void on_signal(int sig)
{
    g_signalled = sig;
}

static int stopping(void)
{
    return InterlockedCompareExchange(&g_stopping, 0, 0) != 0;
}

/* ---- the connection table ---- */

static int table_add(CONNECTION *c)
{
    unsigned long i, start = (unsigned long)InterlockedIncrement(&g_next_slot);
    for (i = 0; i < MAX_CONNECTIONS; i++) {
        LONG slot = (LONG)((start + i) % MAX_CONNECTIONS);
        if (!InterlockedCompareExchangePointer(&g_conns[slot], c, NULL)) {
            c->slot = slot;
            return 0;
        }
    }
    return -1;
}

static void table_remove(CONNECTION *c)
{
    InterlockedExchangePointer(&g_conns[c->slot], NULL);
}

/* Closes a connection whose request has come back (no other is
 * outstanding) and counts its bytes. */
static void close_connection(WORKER *w, CONNECTION *c)
{
    table_remove(c);
    closesocket(c->s);
    w->bytes += c->bytes;
    free(c);
}

/* ---- posting requests ---- */

static void io_reset(IO_CONTEXT *io, enum io_kind kind, char *buf, DWORD len)
{
    memset(&io->ov, 0, sizeof(io->ov));
    io->kind = kind;
    io->wsabuf.buf = buf;
    io->wsabuf.len = len;
}

/* 0 when posted (done or pending: the completion comes to the port either
 * way), -1 when the request failed at once (nothing comes). */
static int post_recv(CONNECTION *c)
{
    DWORD flags = 0;
    io_reset(&c->io, IO_RECV, c->buf, IO_BUFFER);
    if (WSARecv(c->s, &c->io.wsabuf, 1, NULL, &flags, &c->io.ov, NULL) ==
            SOCKET_ERROR &&
        WSAGetLastError() != WSA_IO_PENDING) {
        echo_wsa_error(prog, "WSARecv");
        return -1;
    }
    return 0;
}

static int post_send(CONNECTION *c)
{
    io_reset(&c->io, IO_SEND, c->buf + c->sent, c->len - c->sent);
    if (WSASend(c->s, &c->io.wsabuf, 1, NULL, 0, &c->io.ov, NULL) ==
            SOCKET_ERROR &&
        WSAGetLastError() != WSA_IO_PENDING) {
        echo_wsa_error(prog, "WSASend");
        return -1;
    }
    return 0;
}

/* An accept with no receive buffer completes on the connection itself
 * (with one, a client that connects and sends nothing would hold it). */
static int post_accept(ACCEPT_SLOT *a)
{
    DWORD got = 0;
    a->s = WSASocketW(g_family, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
                      WSA_FLAG_OVERLAPPED);
    if (a->s == INVALID_SOCKET) {
        echo_wsa_error(prog, "WSASocketW");
        return -1;
    }
    io_reset(&a->io, IO_ACCEPT, NULL, 0);
    a->posted = 1;
    if (!g_AcceptEx(g_listener, a->s, a->addrs, 0, ADDR_ROOM, ADDR_ROOM,
                    &got, &a->io.ov) &&
        WSAGetLastError() != ERROR_IO_PENDING) {
        echo_wsa_error(prog, "AcceptEx");
        a->posted = 0;
        closesocket(a->s);
        return -1;
    }
    return 0;
}

/* ---- completions ---- */

/* The connection AcceptEx made becomes a CONNECTION with its first
 * receive; then the slot takes the next connection. */
static void on_accept(WORKER *w, ACCEPT_SLOT *a, DWORD err)
{
    SOCKADDR *local = NULL, *remote = NULL;
    int llen = 0, rlen = 0;
    CONNECTION *c = NULL;

    a->posted = 0;
    if (err) {
        fprintf(stderr, "%s: AcceptEx completed with error %lu\n", prog,
                (unsigned long)err);
        w->errors++;
        closesocket(a->s);
    } else if (setsockopt(a->s, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT,
                          (const char *)&g_listener,
                          (int)sizeof(g_listener)) == SOCKET_ERROR) {
        echo_wsa_error(prog, "setsockopt(SO_UPDATE_ACCEPT_CONTEXT)");
        w->errors++;
        closesocket(a->s);
    } else {
        g_GetAcceptExSockaddrs(a->addrs, 0, ADDR_ROOM, ADDR_ROOM, &local,
                               &llen, &remote, &rlen);
        c = (CONNECTION *)calloc(1, sizeof(*c));
        if (c)
            c->s = a->s;
        if (!c || table_add(c) < 0) {
            fprintf(stderr, "%s: no room for the connection from port %u\n",
                    prog, remote ? echo_addr_port(remote) : 0u);
            w->errors++;
            free(c);
            closesocket(a->s);
            c = NULL;
        }
    }
    if (c) {
        w->connections++;
        if (!CreateIoCompletionPort((HANDLE)c->s, g_port, (ULONG_PTR)c, 0)) {
            fprintf(stderr, "%s: CreateIoCompletionPort failed with error "
                    "%lu\n", prog, (unsigned long)GetLastError());
            w->errors++;
            close_connection(w, c);
        } else if (post_recv(c) < 0) {
            w->errors++;
            close_connection(w, c);
        }
    }
    if (!stopping() && post_accept(a) < 0)
        w->errors++;
}

/* A stop request: the worker that sees it wakes the main thread. */
static int is_quit(const CONNECTION *c)
{
    static const char *const forms[] = {"quit", "quit\n", "quit\r\n"};
    size_t i;
    for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
        if ((size_t)c->bytes == strlen(forms[i]) &&
            memcmp(c->head, forms[i], strlen(forms[i])) == 0)
            return 1;
    return 0;
}

static void on_recv(WORKER *w, CONNECTION *c, DWORD n, DWORD err)
{
    if (err) {
        fprintf(stderr, "%s: WSARecv completed with error %lu\n", prog,
                (unsigned long)err);
        w->errors++;
        close_connection(w, c);
        return;
    }
    if (n == 0) { /* the client shut its side down: all echoed */
        int quit = is_quit(c);
        shutdown(c->s, SD_SEND);
        close_connection(w, c);
        if (quit)
            WSASetEvent(g_stop_event);
        return;
    }
    if (c->bytes < (LONGLONG)sizeof(c->head))
        memcpy(c->head + c->bytes, c->buf,
               n < sizeof(c->head) - (size_t)c->bytes
                   ? n
                   : sizeof(c->head) - (size_t)c->bytes);
    c->len = n;
    c->sent = 0;
    if (post_send(c) < 0) {
        w->errors++;
        close_connection(w, c);
    }
}

static void on_sent(WORKER *w, CONNECTION *c, DWORD n, DWORD err)
{
    if (err) {
        fprintf(stderr, "%s: WSASend completed with error %lu\n", prog,
                (unsigned long)err);
        w->errors++;
        close_connection(w, c);
        return;
    }
    c->sent += n;
    c->bytes += n;
    /* A stream send completes whole unless the connection fails; the
     * rest, if any, goes in another request. */
    if ((c->sent < c->len ? post_send(c) : post_recv(c)) < 0) {
        w->errors++;
        close_connection(w, c);
    }
}

/* A request's result, as WSAGetOverlappedResult gives it (the entry's
 * Internal is the request's status, non-zero when it failed). */
static DWORD entry_error(SOCKET s, OVERLAPPED *ov)
{
    DWORD n = 0, flags = 0;
    if (WSAGetOverlappedResult(s, ov, &n, FALSE, &flags))
        return 0;
    return (DWORD)WSAGetLastError();
}

static void dispatch(WORKER *w, const OVERLAPPED_ENTRY *e)
{
    IO_CONTEXT *io = CONTAINING_RECORD(e->lpOverlapped, IO_CONTEXT, ov);
    DWORD n = e->dwNumberOfBytesTransferred, err = 0;

    if (io->kind == IO_ACCEPT) {
        ACCEPT_SLOT *a = CONTAINING_RECORD(io, ACCEPT_SLOT, io);
        if (e->Internal != 0)
            err = entry_error(g_listener, e->lpOverlapped);
        on_accept(w, a, err);
        return;
    }
    {
        CONNECTION *c = CONTAINING_RECORD(io, CONNECTION, io);
        if (e->Internal != 0)
            err = entry_error(c->s, e->lpOverlapped);
        if (io->kind == IO_RECV)
            on_recv(w, c, n, err);
        else
            on_sent(w, c, n, err);
    }
}

/* Dequeues in batches until a shutdown packet comes. A batch may hold
 * more than one: this worker keeps one and gives the others back. */
static DWORD WINAPI worker_main(LPVOID param)
{
    WORKER *w = (WORKER *)param;
    OVERLAPPED_ENTRY entries[ENTRIES];
    ULONG shutdowns = 0;

    while (shutdowns == 0) {
        ULONG i, got = 0;
        if (!GetQueuedCompletionStatusEx(g_port, entries, ENTRIES, &got,
                                         INFINITE, FALSE)) {
            fprintf(stderr, "%s: GetQueuedCompletionStatusEx failed with "
                    "error %lu\n", prog, (unsigned long)GetLastError());
            w->errors++;
            return 1;
        }
        for (i = 0; i < got; i++) {
            if (entries[i].lpOverlapped)
                dispatch(w, &entries[i]);
            else if (entries[i].lpCompletionKey == KEY_SHUTDOWN)
                shutdowns++;
        }
    }
    while (--shutdowns > 0)
        PostQueuedCompletionStatus(g_port, 0, KEY_SHUTDOWN, NULL);
    return 0;
}

/* ---- start and stop ---- */

static int fetch_extension(SOCKET s, GUID guid, void *fn, DWORD size)
{
    DWORD got = 0;
    if (WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &guid,
                 (DWORD)sizeof(guid), fn, size, &got, NULL, NULL) ==
        SOCKET_ERROR) {
        echo_wsa_error(prog, "WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER)");
        return -1;
    }
    return 0;
}

static int open_listener(const char *host, const char *port)
{
    struct addrinfo *ai = echo_resolve(prog, host, port, SOCK_STREAM, 1);
    GUID accept_guid = WSAID_ACCEPTEX, addrs_guid = WSAID_GETACCEPTEXSOCKADDRS;

    if (!ai)
        return -1;
    g_family = ai->ai_family;
    g_listener = WSASocketW(ai->ai_family, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
                            WSA_FLAG_OVERLAPPED);
    if (g_listener == INVALID_SOCKET) {
        echo_wsa_error(prog, "WSASocketW");
        freeaddrinfo(ai);
        return -1;
    }
    if (bind(g_listener, ai->ai_addr, (int)ai->ai_addrlen) == SOCKET_ERROR ||
        listen(g_listener, SOMAXCONN) == SOCKET_ERROR) {
        echo_wsa_error(prog, "bind/listen");
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    if (fetch_extension(g_listener, accept_guid, &g_AcceptEx,
                        (DWORD)sizeof(g_AcceptEx)) < 0 ||
        fetch_extension(g_listener, addrs_guid, &g_GetAcceptExSockaddrs,
                        (DWORD)sizeof(g_GetAcceptExSockaddrs)) < 0)
        return -1;
    if (!CreateIoCompletionPort((HANDLE)g_listener, g_port, KEY_LISTENER, 0)) {
        fprintf(stderr, "%s: CreateIoCompletionPort(listener) failed with "
                "error %lu\n", prog, (unsigned long)GetLastError());
        return -1;
    }
    return 0;
}

/* Waits for a stop: "quit" from a client, or a signal (checked a few
 * times a second: a signal handler may not touch the event). */
static void wait_for_stop(void)
{
    while (!g_signalled)
        if (WaitForSingleObject(g_stop_event, 200) == WAIT_OBJECT_0)
            return;
    printf("%s: signal %d: stopping\n", prog, (int)g_signalled);
}

/* After the workers: close the listener and every connection, then take
 * the completion of every request still outstanding (each connection has
 * one, each posted accept one), freeing its context. */
static int drain(WORKER *main_w)
{
    long outstanding = 0;
    int i;

    for (i = 0; i < ACCEPTS_POSTED; i++)
        outstanding += g_accepts[i].posted;
    closesocket(g_listener);
    g_listener = INVALID_SOCKET;
    for (i = 0; i < MAX_CONNECTIONS; i++) {
        CONNECTION *c = (CONNECTION *)g_conns[i];
        if (c) {
            closesocket(c->s); /* its request completes, cancelled */
            c->s = INVALID_SOCKET;
            outstanding++;
        }
    }
    while (outstanding > 0) {
        DWORD n = 0;
        ULONG_PTR key = 0;
        OVERLAPPED *ov = NULL;
        IO_CONTEXT *io;
        GetQueuedCompletionStatus(g_port, &n, &key, &ov, STOP_WAIT_MS);
        if (!ov) {
            fprintf(stderr, "%s: %ld requests did not complete\n", prog,
                    outstanding);
            return 1;
        }
        outstanding--;
        io = CONTAINING_RECORD(ov, IO_CONTEXT, ov);
        if (io->kind == IO_ACCEPT) {
            ACCEPT_SLOT *a = CONTAINING_RECORD(io, ACCEPT_SLOT, io);
            closesocket(a->s);
            a->posted = 0;
        } else {
            CONNECTION *c = CONTAINING_RECORD(io, CONNECTION, io);
            if (io->kind == IO_SEND)
                c->bytes += n;
            table_remove(c);
            main_w->bytes += c->bytes;
            free(c);
        }
    }
    return 0;
}

static int stop_workers(WORKER *workers, int n)
{
    HANDLE threads[MAX_THREADS];
    int i, rc = 0;
    DWORD r;

    InterlockedExchange(&g_stopping, 1);
    for (i = 0; i < n; i++) {
        threads[i] = workers[i].thread;
        if (!PostQueuedCompletionStatus(g_port, 0, KEY_SHUTDOWN, NULL))
            rc = 1;
    }
    r = WaitForMultipleObjects((DWORD)n, threads, TRUE, STOP_WAIT_MS);
    if (r != WAIT_OBJECT_0) {
        fprintf(stderr, "%s: the workers did not stop (wait returned %lu, "
                "error %lu)\n", prog, (unsigned long)r,
                (unsigned long)GetLastError());
        return 1;
    }
    for (i = 0; i < n; i++) {
        DWORD code = 1;
        GetExitCodeThread(workers[i].thread, &code);
        if (code != 0)
            rc = 1;
        CloseHandle(workers[i].thread);
    }
    return rc;
}

static int serve(int nthreads)
{
    static WORKER workers[MAX_THREADS + 1]; /* the last one: the main's */
    WORKER *main_w = &workers[MAX_THREADS];
    LONGLONG bytes = 0;
    long connections = 0, errors = 0;
    int i, started = 0, rc = 0;

    for (i = 0; i < ACCEPTS_POSTED; i++)
        if (post_accept(&g_accepts[i]) < 0)
            return 1;
    for (i = 0; i < nthreads; i++) {
        workers[i].thread = CreateThread(NULL, 0, worker_main, &workers[i], 0,
                                         NULL);
        if (!workers[i].thread) {
            fprintf(stderr, "%s: CreateThread failed with error %lu\n", prog,
                    (unsigned long)GetLastError());
            rc = 1;
            break;
        }
        started++;
    }
    if (rc == 0)
        wait_for_stop();
    if (stop_workers(workers, started) != 0)
        return 1; /* a worker may still run: leave everything as it is */
    if (drain(main_w) != 0)
        rc = 1;
    for (i = 0; i <= MAX_THREADS; i++) {
        bytes += workers[i].bytes;
        connections += workers[i].connections;
        errors += workers[i].errors;
    }
    printf("%s: echoed %.0f bytes on %ld connections, %ld errors\n", prog,
           (double)bytes, connections, errors);
    return rc ? rc : errors != 0;
}

int main(int argc, char **argv)
{
    const char *port = argc > 1 ? argv[1] : ECHO_DEFAULT_PORT;
    int nthreads = argc > 2 ? atoi(argv[2]) : 4;
    const char *host = argc > 3 ? argv[3] : ECHO_DEFAULT_HOST;
    int rc;

    if (nthreads < 1 || nthreads > MAX_THREADS) {
        fprintf(stderr, "usage: %s [port] [threads 1-%d] [host]\n", prog,
                MAX_THREADS);
        return 1;
    }
    if (echo_startup(prog) != 0)
        return 1;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    g_stop_event = WSACreateEvent();
    g_port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    if (g_stop_event == WSA_INVALID_EVENT || !g_port) {
        fprintf(stderr, "%s: cannot create the port or event (error %lu)\n",
                prog, (unsigned long)GetLastError());
        WSACleanup();
        return 1;
    }
    if (open_listener(host, port) < 0) {
        if (g_listener != INVALID_SOCKET)
            closesocket(g_listener);
        CloseHandle(g_port);
        WSACleanup();
        return 1;
    }
    printf("%s: listening on %s port %u with %d threads\n", prog, host,
           echo_local_port(g_listener), nthreads);
    fflush(stdout);

    rc = serve(nthreads);

    CloseHandle(g_port);
    WSACloseEvent(g_stop_event);
    WSACleanup();
    if (rc == 0)
        printf("%s: done\n", prog);
    return rc;
}
