/*
 * ws2perf_scale.c - the scale workload: N UDP sockets on loopback in a
 * ring, socket i sending 64-byte datagrams to socket i+1. Every socket
 * keeps one overlapped receive and one overlapped send outstanding: it
 * sends its next datagram when the previous one has arrived, so N
 * datagrams are always on their way. Completion routines drive it from one
 * thread (alertable waits), so N is not bounded by a wait's 64 events.
 *
 * The cost of one datagram (sent, received, its receive posted again) is
 * measured for 10 sockets and for N, in interleaved rounds, and the ratio
 * of the medians printed: what a program pays per operation for having
 * many sockets. On Linux the library's heap per socket and per
 * outstanding receive is measured around creating the N sockets and
 * posting their receives (raw_heap_bytes: malloc's statistics; kernel
 * memory is not included), and the same rings written with raw Linux
 * calls run afterwards for context (raw_linux.c). Plain Winsock
 * otherwise: builds with mingw.
 */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws2perf_port.h"
#include "ws2perf_scale.h"
#ifdef WS2POSIX
#include "raw_linux.h"
#endif

#define SCALE_SIZE 64
#define SCALE_STALL_MS 5000
#define SCALE_MAX_ROUNDS 64

struct ring;

struct peer {
    WSAOVERLAPPED rov; /* the receive's; first, so a routine finds its peer */
    WSAOVERLAPPED sov; /* the send's */
    struct ring *ring;
    SOCKET s;
    SOCKADDR_IN addr;
    SOCKADDR_IN from;
    INT fromlen;
    DWORD rflags;
    WSABUF rb, sb;
    int sbusy, again; /* a send outstanding; another wanted after it */
    char rbuf[SCALE_SIZE], sbuf[SCALE_SIZE];
};

struct ring {
    struct peer *p;
    unsigned n;
    int running; /* new sends may start */
    int closing; /* receives end: post no more */
    unsigned long long received, errors;
    unsigned long long in_flight; /* datagrams sent and not received */
    unsigned long long sends_busy, recvs_busy; /* routines still to run */
};

struct scale_result {
    double wall_us, cpu_us; /* per datagram */
    unsigned long long ops;
};

/* One case (a ring size) over the rounds. */
struct scale_case {
    unsigned n;
    double wall[SCALE_MAX_ROUNDS], cpu[SCALE_MAX_ROUNDS];
    double ops[SCALE_MAX_ROUNDS];
    double wall_med, cpu_med;
};

/* ---- the platform's part: memory and descriptor limits ---- */

#ifdef WS2POSIX
static unsigned long long heap_bytes(void)
{
    return raw_heap_bytes();
}

static int allow_sockets(unsigned n)
{
    /* both rings, and room for the process's own descriptors */
    unsigned long want = (unsigned long)n + SCALE_SMALL + 64;
    unsigned long got = raw_raise_nofile(want);
    if (got >= want)
        return 0;
    fprintf(stderr, "ws2perf: --scale %u needs %lu descriptors; "
            "RLIMIT_NOFILE allows %lu (raise the hard limit)\n", n, want,
            got);
    return -1;
}
#define HEAP_KNOWN 1

/* The raw Linux ring (raw_linux.c) for the same sizes, rounds
 * interleaved. It runs after ws2posix's rings are closed, so the
 * descriptors of one ring size are needed only once. */
static int raw_phase(const struct scale_options *o, int rounds,
                     struct scale_case *small, struct scale_case *big)
{
    struct raw_ring *g[2];
    struct scale_case *c[2] = {small, big};
    int i, k, rc = 0;
    unsigned long long ops;
    g[0] = raw_ring_open(small->n);
    g[1] = g[0] ? raw_ring_open(big->n) : NULL;
    for (i = 0; i < rounds && g[1] && rc == 0; i++)
        for (k = 0; k < 2 && rc == 0; k++) {
            rc = raw_ring_run(g[k], o->seconds, &c[k]->wall[i],
                              &c[k]->cpu[i], &ops);
            c[k]->ops[i] = (double)ops;
        }
    raw_ring_close(g[0]);
    raw_ring_close(g[1]);
    return g[1] && rc == 0 ? 0 : -1;
}
#else
static unsigned long long heap_bytes(void)
{
    return 0;
}

static int allow_sockets(unsigned n)
{
    (void)n;
    return 0;
}
#define HEAP_KNOWN 0

/* No raw baseline on Windows. */
static int raw_phase(const struct scale_options *o, int rounds,
                     struct scale_case *small, struct scale_case *big)
{
    (void)o, (void)rounds;
    small->n = big->n = 0;
    return 0;
}
#endif

/* ---- the ring ---- */

static void wsa_fail(const char *what)
{
    fprintf(stderr, "ws2perf: %s failed with error %d\n", what,
            WSAGetLastError());
}

static struct peer *peer_of(LPWSAOVERLAPPED ov, size_t offset)
{
    return (struct peer *)(void *)((char *)ov - offset);
}

static int post_recv(struct peer *p);
static int post_send(struct peer *p);

static void CALLBACK recv_done(DWORD err, DWORD n, LPWSAOVERLAPPED ov,
                               DWORD flags)
{
    struct peer *p = peer_of(ov, offsetof(struct peer, rov));
    struct ring *g = p->ring;
    struct peer *sender = &g->p[(p - g->p + g->n - 1) % g->n];
    (void)flags;
    g->recvs_busy--;
    if (g->closing)
        return;
    if (err != 0 || n != SCALE_SIZE) {
        g->errors++;
        fprintf(stderr, "ws2perf: scale receive: error %u, %u bytes\n",
                (unsigned)err, (unsigned)n);
        g->running = 0;
        return;
    }
    g->received++;
    g->in_flight--;
    if (post_recv(p) < 0)
        return;
    if (!g->running)
        return;
    /* The datagram came from the previous socket: it may send again. */
    if (sender->sbusy)
        sender->again = 1;
    else
        post_send(sender);
}

static void CALLBACK send_done(DWORD err, DWORD n, LPWSAOVERLAPPED ov,
                               DWORD flags)
{
    struct peer *p = peer_of(ov, offsetof(struct peer, sov));
    struct ring *g = p->ring;
    (void)n, (void)flags;
    p->sbusy = 0;
    g->sends_busy--;
    if (err != 0) {
        g->errors++;
        g->in_flight--;
        fprintf(stderr, "ws2perf: scale send: error %u\n", (unsigned)err);
        g->running = 0;
        return;
    }
    if (p->again && g->running) {
        p->again = 0;
        post_send(p);
    }
}

/* A receive outstanding on p: 0 (pending, or done at once: its routine
 * comes in the next alertable wait), -1 on an error. */
static int post_recv(struct peer *p)
{
    memset(&p->rov, 0, sizeof(p->rov));
    p->fromlen = (INT)sizeof(p->from);
    p->rflags = 0;
    p->ring->recvs_busy++;
    if (WSARecvFrom(p->s, &p->rb, 1, NULL, &p->rflags,
                    (struct sockaddr *)&p->from, &p->fromlen, &p->rov,
                    recv_done) == 0 ||
        WSAGetLastError() == WSA_IO_PENDING)
        return 0;
    p->ring->recvs_busy--;
    p->ring->errors++;
    p->ring->running = 0;
    wsa_fail("scale WSARecvFrom");
    return -1;
}

static int post_send(struct peer *p)
{
    struct ring *g = p->ring;
    struct peer *to = &g->p[(p - g->p + 1) % g->n];
    memset(&p->sov, 0, sizeof(p->sov));
    p->sbusy = 1;
    g->sends_busy++;
    g->in_flight++;
    if (WSASendTo(p->s, &p->sb, 1, NULL, 0, (struct sockaddr *)&to->addr,
                  (int)sizeof(to->addr), &p->sov, send_done) == 0 ||
        WSAGetLastError() == WSA_IO_PENDING)
        return 0;
    p->sbusy = 0;
    g->sends_busy--;
    g->in_flight--;
    g->errors++;
    g->running = 0;
    wsa_fail("scale WSASendTo");
    return -1;
}

static int open_peer(struct ring *g, struct peer *p)
{
    int len = (int)sizeof(p->addr);
    p->ring = g;
    p->s = WSASocketW(AF_INET, SOCK_DGRAM, IPPROTO_UDP, NULL, 0,
                      WSA_FLAG_OVERLAPPED);
    if (p->s == INVALID_SOCKET) {
        wsa_fail("scale WSASocketW");
        return -1;
    }
    p->addr.sin_family = AF_INET;
    p->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(p->s, (struct sockaddr *)&p->addr, (int)sizeof(p->addr)) != 0 ||
        getsockname(p->s, (struct sockaddr *)&p->addr, &len) != 0) {
        wsa_fail("scale bind/getsockname");
        return -1;
    }
    p->rb.buf = p->rbuf;
    p->rb.len = SCALE_SIZE;
    p->sb.buf = p->sbuf;
    p->sb.len = SCALE_SIZE;
    memset(p->sbuf, 's', sizeof(p->sbuf));
    return 0;
}

/* Runs the thread's routines until cond is false; -1 on a stall. */
static int run_while(struct ring *g, int (*cond)(const struct ring *g,
                                                 double end),
                     double end)
{
    while (cond(g, end)) {
        if (SleepEx(SCALE_STALL_MS, TRUE) != WAIT_IO_COMPLETION) {
            fprintf(stderr, "ws2perf: scale: nothing completed in %d ms "
                    "(%llu datagrams in flight)\n", SCALE_STALL_MS,
                    g->in_flight);
            return -1;
        }
    }
    return 0;
}

static int before_end(const struct ring *g, double end)
{
    return g->running && perf_now() < end;
}

static int unfinished(const struct ring *g, double end)
{
    (void)end;
    return g->in_flight > 0 || g->sends_busy > 0;
}

/* The sockets, bound, each with its receive posted. *per_socket and
 * *per_request get the heap each took. */
static int ring_open(struct ring *g, unsigned n, double *per_socket,
                     double *per_request)
{
    unsigned long long h0, h1, h2;
    unsigned i;
    memset(g, 0, sizeof(*g));
    g->p = calloc(n, sizeof(*g->p));
    if (!g->p) {
        fprintf(stderr, "ws2perf: scale: out of memory\n");
        return -1;
    }
    h0 = heap_bytes();
    for (i = 0; i < n; i++, g->n++)
        if (open_peer(g, &g->p[i]) < 0)
            return -1;
    h1 = heap_bytes();
    for (i = 0; i < n; i++)
        if (post_recv(&g->p[i]) < 0)
            return -1;
    h2 = heap_bytes();
    *per_socket = (double)(h1 - h0) / n;
    *per_request = (double)(h2 - h1) / n;
    return 0;
}

static int routines_due(const struct ring *g, double end)
{
    (void)end;
    return g->recvs_busy > 0 || g->sends_busy > 0;
}

/* Closing cancels the receives; their routines run (and post nothing)
 * before the ring's memory goes. */
static void ring_close(struct ring *g)
{
    unsigned i;
    g->closing = 1;
    g->running = 0;
    for (i = 0; i < g->n; i++)
        closesocket(g->p[i].s);
    if (run_while(g, routines_due, 0.0) < 0) {
        fprintf(stderr, "ws2perf: scale: closing left routines due\n");
        return; /* leaked rather than freed under a routine */
    }
    free(g->p);
}

/* One timed run: every socket starts one send, then datagrams circulate
 * for the given time, then the ring drains. */
static int ring_run(struct ring *g, double seconds, struct scale_result *r)
{
    double t0, c0;
    unsigned i;
    g->received = 0;
    g->running = 1;
    t0 = perf_now();
    c0 = perf_cpu();
    for (i = 0; i < g->n && g->running; i++)
        post_send(&g->p[i]);
    if (run_while(g, before_end, t0 + seconds) < 0)
        return -1;
    g->running = 0;
    if (run_while(g, unfinished, 0.0) < 0)
        return -1;
    r->ops = g->received;
    r->wall_us = r->ops ? (perf_now() - t0) * 1e6 / (double)r->ops : 0.0;
    r->cpu_us = r->ops ? (perf_cpu() - c0) * 1e6 / (double)r->ops : 0.0;
    return g->errors ? -1 : 0;
}

/* ---- report ---- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

static void print_case(const struct scale_options *o, const char *who,
                       struct scale_case *c, int rounds)
{
    int i;
    double ops = 0;
    for (i = 0; i < rounds; i++)
        ops += c->ops[i];
    c->wall_med = median(c->wall, rounds);
    c->cpu_med = median(c->cpu, rounds);
    if (o->json)
        printf("{\"name\":\"%sscale_udp%d_n%u\",\"sockets\":%u,"
               "\"rounds\":%d,\"ops\":%.0f,\"wall_us_per_op\":%.4f,"
               "\"cpu_us_per_op\":%.4f}\n",
               who, SCALE_SIZE, c->n, c->n, rounds, ops, c->wall_med,
               c->cpu_med);
    else
        printf("%sscale_udp%d_n%u: %.3f us/op %.3f us-cpu/op (median of %d "
               "rounds, %.0f datagrams)\n",
               who, SCALE_SIZE, c->n, c->wall_med, c->cpu_med, rounds, ops);
}

static double ratio(double a, double b)
{
    return b > 0 ? a / b : 0.0;
}

/* The goal's ratio; the raw ring's, when there is one, for context. */
static void print_summary(const struct scale_options *o,
                          const struct scale_case *small,
                          const struct scale_case *big,
                          const struct scale_case *rsmall,
                          const struct scale_case *rbig, double per_socket,
                          double per_request)
{
    double wr = ratio(big->wall_med, small->wall_med);
    double cr = ratio(big->cpu_med, small->cpu_med);
    double rwr = ratio(rbig->wall_med, rsmall->wall_med);
    double rcr = ratio(rbig->cpu_med, rsmall->cpu_med);
    if (o->json) {
        printf("{\"name\":\"scale_ratio\",\"sockets\":%u,\"vs\":%u,"
               "\"wall_ratio\":%.4f,\"cpu_ratio\":%.4f",
               big->n, small->n, wr, cr);
        if (rbig->n)
            printf(",\"raw_wall_ratio\":%.4f,\"raw_cpu_ratio\":%.4f", rwr,
                   rcr);
        if (HEAP_KNOWN)
            printf(",\"heap_bytes_per_socket\":%.1f,"
                   "\"heap_bytes_per_request\":%.1f",
                   per_socket, per_request);
        printf("}\n");
        return;
    }
    printf("scale n%u vs n%u: per-op wall ratio %.3f, cpu ratio %.3f "
           "(goal <= 1.2)\n", big->n, small->n, wr, cr);
    if (rbig->n)
        printf("raw epoll ring n%u vs n%u: per-op wall ratio %.3f, cpu "
               "ratio %.3f (the kernel's own growth)\n", rbig->n, rsmall->n,
               rwr, rcr);
    if (HEAP_KNOWN)
        printf("scale memory: %.0f B per socket, %.0f B per outstanding "
               "receive (library heap, malloc statistics; kernel memory "
               "not included)\n", per_socket, per_request);
}

/* The first overlapped call starts the engine and the thread's record:
 * one round trip on a throw-away ring, so none of that is counted. */
static int warm_up(void)
{
    struct ring g;
    struct scale_result r;
    double a, b;
    int rc = ring_open(&g, 2, &a, &b);
    if (rc == 0)
        rc = ring_run(&g, 0.01, &r);
    ring_close(&g);
    return rc;
}

static int run_case(struct ring *g, struct scale_case *c, int i,
                    double seconds)
{
    struct scale_result r;
    if (ring_run(g, seconds, &r) < 0)
        return -1;
    c->wall[i] = r.wall_us;
    c->cpu[i] = r.cpu_us;
    c->ops[i] = (double)r.ops;
    return 0;
}

int scale_main(const struct scale_options *o)
{
    static struct scale_case small, big, rsmall, rbig;
    struct ring gs, gb;
    double per_socket, per_request, unused1, unused2;
    int rounds = o->rounds > 0 ? o->rounds : 3, i, rc = 0;
    if (rounds > SCALE_MAX_ROUNDS)
        rounds = SCALE_MAX_ROUNDS;
    if (allow_sockets(o->sockets) < 0 || warm_up() < 0)
        return 1;
    small.n = SCALE_SMALL;
    big.n = o->sockets;
    /* The large ring first, on a warm heap: its figures are the ones
     * reported. */
    if (ring_open(&gb, big.n, &per_socket, &per_request) < 0 ||
        ring_open(&gs, small.n, &unused1, &unused2) < 0)
        return 1;
    /* Interleaved, so that drift in a shared machine hits both cases. */
    for (i = 0; i < rounds && rc == 0; i++)
        if (run_case(&gs, &small, i, o->seconds) < 0 ||
            run_case(&gb, &big, i, o->seconds) < 0)
            rc = 1;
    ring_close(&gs);
    ring_close(&gb);
    rsmall.n = SCALE_SMALL;
    rbig.n = o->sockets;
    if (rc || raw_phase(o, rounds, &rsmall, &rbig) < 0)
        return 1;
    print_case(o, "", &small, rounds);
    print_case(o, "", &big, rounds);
    if (rbig.n) {
        print_case(o, "raw_", &rsmall, rounds);
        print_case(o, "raw_", &rbig, rounds);
    }
    print_summary(o, &small, &big, &rsmall, &rbig, per_socket, per_request);
    return 0;
}
