/*
 * iocp_echo_load.c - drives examples/iocp_echo_server (a separate process,
 * built from the unchanged example source) with many concurrent TCP
 * connections over loopback and checks every byte of every echo.
 *
 *   iocp_echo_load SERVER [--clients N] [--threads T] [--stop quit|signal]
 *                         [--timeout SECONDS]
 *
 * Written with plain Linux sockets and epoll, not with ws2posix, so the
 * client side cannot share a bug with the server it checks. Each
 * connection i sends its own pattern of 2 to 10 KiB in 2 to 6 pieces (one
 * send() each): even connections send a piece only after the echo of the
 * previous one is back (several receives on the server), odd ones send
 * all pieces as fast as the socket takes them; then each shuts down its
 * side, reads to the end and checks the echo byte for byte and its
 * length. Then the server is stopped (a "quit" connection, or SIGTERM),
 * must exit 0 and report exactly the bytes and connections sent. With
 * SIGTERM the last few connections are still open at the stop (their
 * echo complete, their side not shut down): the server closes them.
 *
 * RLIMIT_NOFILE's soft limit is raised to the hard limit before the server
 * starts, so both processes have room for their connections (the server
 * inherits it). Every wait is bounded by the deadline: no sleep stands in
 * for synchronisation. Prints PASS or FAIL: ... ; exit 0, 1, or 77 (skip:
 * too few descriptors allowed).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIN_LEN 2048
#define LEN_SPREAD 8192
#define MAX_PIECES 6
#define EXTRA_FDS 256 /* what else each process needs beside connections */
#define HOLDERS 8 /* with --stop signal: connections open at the stop */

struct conn {
    int fd;
    uint32_t id;
    size_t len;                  /* bytes to send, and to get back */
    size_t cut[MAX_PIECES + 1];  /* piece k is [cut[k], cut[k+1]) */
    int pieces, next_piece;
    size_t sent, got;
    int lockstep;                /* a piece only after the last echo */
    int hold;                    /* stays open: the server must close it */
    int shut, done, connected;
    uint32_t events;             /* what epoll watches now */
};

struct run {
    const char *server;
    int clients, threads, stop_signal;
    double timeout_s;
    double deadline;
    pid_t pid;
    int out_fd;                  /* the server's stdout and stderr */
    char out[65536];
    size_t out_len;
    int ep;
    struct conn *conns;
    int remaining;
    unsigned long long bytes;    /* sent in all */
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int fail(const char *fmt, ...)
{
    va_list ap;
    printf("FAIL: ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    return 1;
}

/* Byte j of connection i: a mix of both, so every connection differs. */
static unsigned char pattern(uint32_t i, size_t j)
{
    uint32_t h = (i + 1) * 0x9E3779B1u ^ (uint32_t)j * 0x85EBCA77u;
    h ^= h >> 15;
    h *= 0x2C1B3C6Du;
    h ^= h >> 12;
    return (unsigned char)h;
}

static int remaining_ms(const struct run *r)
{
    double left = r->deadline - now_s();
    return left <= 0 ? 0 : (int)(left * 1000.0) + 1;
}

/* ---- the server process ---- */

static int raise_nofile(int need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            return -1;
    }
    return rl.rlim_cur >= (rlim_t)need ? 0 : -1;
}

static int start_server(struct run *r)
{
    int p[2];
    char threads[16];
    snprintf(threads, sizeof(threads), "%d", r->threads);
    if (pipe2(p, O_CLOEXEC) != 0)
        return fail("pipe: %s", strerror(errno));
    r->pid = fork();
    if (r->pid < 0)
        return fail("fork: %s", strerror(errno));
    if (r->pid == 0) {
        dup2(p[1], STDOUT_FILENO);
        dup2(p[1], STDERR_FILENO);
        execl(r->server, r->server, "0", threads, "127.0.0.1", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    r->out_fd = p[0];
    fcntl(r->out_fd, F_SETFL, O_NONBLOCK);
    return 0;
}

/* Appends what the server printed; 0 at its end of output. */
static int read_output(struct run *r)
{
    for (;;) {
        size_t room = sizeof(r->out) - 1 - r->out_len;
        ssize_t n;
        if (room == 0) { /* keep the newest: the summary is at the end */
            memmove(r->out, r->out + sizeof(r->out) / 2,
                    sizeof(r->out) / 2);
            r->out_len -= sizeof(r->out) / 2;
            continue;
        }
        n = read(r->out_fd, r->out + r->out_len, room);
        if (n > 0) {
            r->out_len += (size_t)n;
            r->out[r->out_len] = 0;
            continue;
        }
        if (n == 0)
            return 0;
        return errno == EAGAIN || errno == EINTR ? 1 : -1;
    }
}

static int server_port(struct run *r)
{
    for (;;) {
        const char *at = strstr(r->out, "listening on ");
        const char *port = at ? strstr(at, " port ") : NULL;
        struct pollfd pfd = {r->out_fd, POLLIN, 0};
        int ms = remaining_ms(r);
        if (port && strchr(port, '\n'))
            return atoi(port + 6);
        if (ms == 0 || poll(&pfd, 1, ms) < 0 || read_output(r) <= 0)
            return -1;
    }
}

/* Waits for the server to exit (a pidfd, so the wait has a timeout),
 * reading its output meanwhile; returns its wait status, or -1. */
static int wait_server(struct run *r)
{
    int status = -1, out_open = 1;
    int pfd = (int)syscall(SYS_pidfd_open, r->pid, 0);
    for (;;) {
        pid_t w = waitpid(r->pid, &status, WNOHANG);
        if (w == r->pid) {
            r->pid = 0;
            break;
        }
        if (w < 0 || remaining_ms(r) == 0) {
            status = -1;
            break;
        }
        struct pollfd fds[2] = {{pfd, POLLIN, 0},
                                {out_open ? r->out_fd : -1, POLLIN, 0}};
        /* Without pidfd (kernels before 5.3): look again every 10 ms. */
        int ms = pfd >= 0 ? remaining_ms(r) : 10;
        if (poll(fds, 2, ms) > 0 && (fds[1].revents & (POLLIN | POLLHUP)) &&
            read_output(r) == 0)
            out_open = 0;
    }
    if (pfd >= 0)
        close(pfd);
    while (out_open && remaining_ms(r) > 0) { /* the last words */
        struct pollfd p = {r->out_fd, POLLIN, 0};
        if (poll(&p, 1, remaining_ms(r)) <= 0 || read_output(r) <= 0)
            break;
    }
    return status;
}

/* ---- the clients ---- */

static void plan(struct conn *c, uint32_t i, int hold)
{
    c->id = i;
    c->hold = hold;
    c->len = MIN_LEN + (size_t)((i * 977u) % LEN_SPREAD);
    c->pieces = 2 + (int)(i % 5);
    c->lockstep = (i % 2) == 0;
    c->cut[0] = 0;
    /* Uneven pieces: piece k is about (k + 1) shares of the whole. */
    {
        int k, shares = c->pieces * (c->pieces + 1) / 2, acc = 0;
        for (k = 1; k < c->pieces; k++) {
            acc += k;
            c->cut[k] = c->len * (size_t)acc / (size_t)shares;
        }
    }
    c->cut[c->pieces] = c->len;
}

static int watch(struct run *r, struct conn *c, uint32_t events)
{
    struct epoll_event ev;
    if (events == c->events)
        return 0;
    ev.events = events;
    ev.data.ptr = c;
    if (epoll_ctl(r->ep, c->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd,
                  &ev) != 0)
        return fail("epoll_ctl: %s", strerror(errno));
    c->events = events;
    return 0;
}

static int open_conn(struct run *r, struct conn *c, int port)
{
    struct sockaddr_in to;
    memset(&to, 0, sizeof(to));
    to.sin_family = AF_INET;
    to.sin_port = htons((uint16_t)port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return fail("socket (client %u): %s", c->id, strerror(errno));
    if (connect(c->fd, (struct sockaddr *)&to, sizeof(to)) != 0 &&
        errno != EINPROGRESS)
        return fail("connect (client %u): %s", c->id, strerror(errno));
    return watch(r, c, EPOLLIN | EPOLLOUT);
}

/* How far the client may have sent by now: a lock-step client sends the
 * next piece only when everything sent has come back. */
static size_t send_limit(const struct conn *c)
{
    if (!c->lockstep)
        return c->len;
    if (c->got < c->sent)
        return c->sent;
    return c->next_piece < c->pieces ? c->cut[c->next_piece + 1] : c->len;
}

static int send_some(struct run *r, struct conn *c)
{
    unsigned char buf[LEN_SPREAD + MIN_LEN];
    size_t limit = send_limit(c);
    while (c->sent < limit) {
        /* One send() per piece, never across a piece boundary. */
        size_t end = c->cut[c->next_piece + 1], j;
        ssize_t n;
        if (end > limit)
            end = limit;
        for (j = c->sent; j < end; j++)
            buf[j - c->sent] = pattern(c->id, j);
        n = send(c->fd, buf, end - c->sent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN)
                return watch(r, c, EPOLLIN | EPOLLOUT);
            return fail("send (client %u at %zu of %zu): %s", c->id,
                        c->sent, c->len, strerror(errno));
        }
        c->sent += (size_t)n;
        r->bytes += (size_t)n;
        if (c->sent == c->cut[c->next_piece + 1])
            c->next_piece++;
    }
    if (c->sent == c->len && !c->shut && !c->hold) {
        if (shutdown(c->fd, SHUT_WR) != 0)
            return fail("shutdown (client %u): %s", c->id, strerror(errno));
        c->shut = 1;
    }
    return watch(r, c, EPOLLIN);
}

static int receive_some(struct run *r, struct conn *c)
{
    unsigned char buf[16384];
    for (;;) {
        ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
        size_t j;
        if (n < 0) {
            if (errno == EAGAIN)
                return 0;
            return fail("recv (client %u at %zu of %zu): %s", c->id, c->got,
                        c->len, strerror(errno));
        }
        if (n == 0) {
            if (c->got != c->len || !c->shut)
                return fail("client %u: the server closed after %zu of %zu "
                            "bytes (%zu sent)", c->id, c->got, c->len,
                            c->sent);
            c->done = 1;
            r->remaining--;
            epoll_ctl(r->ep, EPOLL_CTL_DEL, c->fd, NULL);
            close(c->fd);
            c->fd = -1;
            return 0;
        }
        if (c->got + (size_t)n > c->sent)
            return fail("client %u: %zd bytes came back, only %zu were sent",
                        c->id, (ssize_t)(c->got + (size_t)n), c->sent);
        for (j = 0; j < (size_t)n; j++)
            if (buf[j] != pattern(c->id, c->got + j))
                return fail("client %u: byte %zu differs: sent 0x%02x, got "
                            "0x%02x", c->id, c->got + j,
                            pattern(c->id, c->got + j), buf[j]);
        c->got += (size_t)n;
        if (c->hold && c->got == c->len) { /* left open for the stop */
            c->done = 1;
            r->remaining--;
            epoll_ctl(r->ep, EPOLL_CTL_DEL, c->fd, NULL);
            return 0;
        }
    }
}

static int on_event(struct run *r, struct conn *c, uint32_t ev)
{
    if (!c->connected && (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        int err = 0;
        socklen_t len = sizeof(err);
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err)
            return fail("connect (client %u): %s", c->id, strerror(err));
        c->connected = 1;
    }
    if ((ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) && receive_some(r, c))
        return 1;
    if (c->done || !c->connected)
        return 0;
    return send_some(r, c);
}

static void report_stuck(const struct run *r)
{
    int i, shown = 0;
    printf("FAIL: %d of %d connections unfinished at the deadline\n",
           r->remaining, r->clients);
    for (i = 0; i < r->clients && shown < 5; i++) {
        const struct conn *c = &r->conns[i];
        if (c->done)
            continue;
        printf("  client %d: connected %d, sent %zu, got %zu of %zu, "
               "shut %d\n", i, c->connected, c->sent, c->got, c->len,
               c->shut);
        shown++;
    }
}

static int drive(struct run *r, int port)
{
    struct epoll_event evs[256];
    struct epoll_event out = {EPOLLIN, {.ptr = NULL}};
    int i;

    r->ep = epoll_create1(EPOLL_CLOEXEC);
    if (r->ep < 0)
        return fail("epoll_create1: %s", strerror(errno));
    /* The server's output is drained as it comes (data.ptr NULL). */
    if (epoll_ctl(r->ep, EPOLL_CTL_ADD, r->out_fd, &out) != 0)
        return fail("epoll_ctl: %s", strerror(errno));
    r->remaining = r->clients;
    for (i = 0; i < r->clients; i++) {
        plan(&r->conns[i], (uint32_t)i,
             r->stop_signal && i >= r->clients - HOLDERS);
        r->conns[i].fd = -1;
    }
    /* All connect at once: the server accepts them as its AcceptEx
     * requests come back. */
    for (i = 0; i < r->clients; i++)
        if (open_conn(r, &r->conns[i], port))
            return 1;
    while (r->remaining > 0) {
        int n = epoll_wait(r->ep, evs, 256, remaining_ms(r));
        if (n < 0 && errno != EINTR)
            return fail("epoll_wait: %s", strerror(errno));
        if (n == 0 && remaining_ms(r) == 0) {
            report_stuck(r);
            return 1;
        }
        for (i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (!c) {
                if (read_output(r) == 0)
                    epoll_ctl(r->ep, EPOLL_CTL_DEL, r->out_fd, NULL);
                continue;
            }
            if (on_event(r, c, evs[i].events))
                return 1;
        }
    }
    return 0;
}

/* ---- stopping the server ---- */

static int send_quit(struct run *r, int port)
{
    struct conn q;
    memset(&q, 0, sizeof(q));
    q.id = (uint32_t)r->clients;
    q.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in to = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {remaining_ms(r) / 1000 + 1, 0};
    char buf[16];
    size_t got = 0;
    setsockopt(q.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (connect(q.fd, (struct sockaddr *)&to, sizeof(to)) != 0 ||
        send(q.fd, "quit\n", 5, MSG_NOSIGNAL) != 5 ||
        shutdown(q.fd, SHUT_WR) != 0) {
        close(q.fd);
        return fail("sending quit: %s", strerror(errno));
    }
    for (;;) {
        ssize_t n = recv(q.fd, buf + got, sizeof(buf) - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(q.fd);
    r->bytes += 5;
    if (got != 5 || memcmp(buf, "quit\n", 5) != 0)
        return fail("the quit connection got %zu bytes back, not 5", got);
    return 0;
}

/* The server's last words: exit 0 and exactly our bytes and connections. */
static int check_summary(struct run *r, int status, int connections)
{
    const char *s = strstr(r->out, "echoed ");
    unsigned long long bytes = 0;
    long conns = -1, errors = -1;
    if (status == -1)
        return fail("the server did not exit in time; it said:\n%s", r->out);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return fail("the server ended with status 0x%x; it said:\n%s",
                    status, r->out);
    if (!s || sscanf(s, "echoed %llu bytes on %ld connections, %ld errors",
                     &bytes, &conns, &errors) != 3)
        return fail("no summary from the server; it said:\n%s", r->out);
    if (bytes != r->bytes || conns != connections || errors != 0)
        return fail("the server echoed %llu bytes on %ld connections with %ld "
                    "errors; the clients sent %llu bytes on %d",
                    bytes, conns, errors, r->bytes, connections);
    if (!strstr(r->out, "done"))
        return fail("the server did not say done:\n%s", r->out);
    return 0;
}

static int parse(int argc, char **argv, struct run *r)
{
    int i;
    if (argc < 2)
        return -1;
    r->server = argv[1];
    for (i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--clients") == 0)
            r->clients = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--threads") == 0)
            r->threads = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--timeout") == 0)
            r->timeout_s = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--stop") == 0)
            r->stop_signal = strcmp(argv[i + 1], "signal") == 0;
        else
            return -1;
    }
    return i == argc && r->clients > 0 && r->threads > 0 && r->timeout_s > 0
               ? 0
               : -1;
}

int main(int argc, char **argv)
{
    static struct run r;
    int port, rc, status, connections;
    double t0 = now_s();

    r.clients = 1000;
    r.threads = 4;
    r.timeout_s = 45;
    if (parse(argc, argv, &r) < 0) {
        fprintf(stderr, "usage: %s SERVER [--clients N] [--threads T] "
                "[--stop quit|signal] [--timeout SECONDS]\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    if (raise_nofile(r.clients + EXTRA_FDS) < 0) {
        printf("SKIP: RLIMIT_NOFILE's hard limit is below %d\n",
               r.clients + EXTRA_FDS);
        return 77;
    }
    r.deadline = t0 + r.timeout_s;
    r.conns = calloc((size_t)r.clients, sizeof(*r.conns));
    if (!r.conns || start_server(&r))
        return 1;
    port = server_port(&r);
    if (port <= 0) {
        kill(r.pid, SIGKILL);
        waitpid(r.pid, NULL, 0);
        return fail("the server did not start listening; it said:\n%s",
                    r.out);
    }
    printf("server %s on port %d, %d threads, engine %s; %d clients\n",
           r.server, port, r.threads,
           getenv("WS2POSIX_ENGINE") ? getenv("WS2POSIX_ENGINE") : "default",
           r.clients);
    fflush(stdout);

    rc = drive(&r, port);
    connections = r.clients;
    if (rc == 0 && !r.stop_signal) {
        rc = send_quit(&r, port);
        connections++;
    }
    if (rc != 0 || r.stop_signal)
        kill(r.pid, rc ? SIGKILL : SIGTERM);
    status = wait_server(&r);
    if (rc == 0)
        rc = check_summary(&r, status, connections);
    else
        printf("the server said:\n%s\n", r.out);
    if (r.pid > 0) {
        kill(r.pid, SIGKILL);
        waitpid(r.pid, NULL, 0);
    }
    if (rc == 0)
        printf("PASS: %d connections, %llu bytes echoed byte-exact, stopped "
               "by %s, %.2f s\n", r.clients, r.bytes,
               r.stop_signal ? "SIGTERM" : "quit", now_s() - t0);
    return rc;
}
