/*
 * select.c - select and WSAPoll in the base provider. Both take a snapshot
 * of the Linux fds with poll, judge each socket by Windows' rules, and
 * sleep in poll until something changes. Windows and Linux disagree in
 * several places, and Windows wins:
 *  - a stream socket that was never connected is ready for nothing (Linux
 *    calls it writable and hung up);
 *  - a failed non-blocking connect is an exception (select) or
 *    POLLHUP|POLLERR (WSAPoll), never plain "writable";
 *  - a local SD_RECEIVE makes nothing readable;
 *  - urgent data is an exception (POLLRDBAND) unless SO_OOBINLINE is set;
 *  - a socket closed by another thread ends the wait.
 * The file also owns the settling of a non-blocking connect: the first
 * thread that sees it finished reads SO_ERROR (Linux reports it once) and
 * records the outcome in the socket object.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "tcpip/tcpip.h"

/* What a socket is ready for, in Windows' terms. */
enum {
    C_DATA = 1 << 0,     /* recv or accept would not block */
    C_EOF = 1 << 1,      /* the peer closed its side gracefully */
    C_RESET = 1 << 2,    /* the connection was reset or aborted */
    C_WRITE = 1 << 3,    /* send would not block */
    C_OOB = 1 << 4,      /* urgent data, not inline */
    C_CONNFAIL = 1 << 5, /* a non-blocking connect failed */
    C_CLOSED = 1 << 6,   /* closesocket from another thread */
};
/* What a caller asks about: select's three sets, or WSAPoll's events. */
enum {
    W_READ = 1 << 0,  /* readfds, POLLRDNORM */
    W_WRITE = 1 << 1, /* writefds, POLLWRNORM */
    W_OOB = 1 << 2,   /* exceptfds, POLLRDBAND */
    W_HUP = 1 << 3,   /* WSAPoll: hang-ups are reported unasked */
};
/* How soon to look again when a socket's Linux events had to be hidden
 * from poll: a never-connected or failed socket can change only through
 * another thread (connect, closesocket), which does not wake our poll. */
#define RECHECK_US 100000
/* Another thread is settling a connect right now. */
#define RESETTLE_US 1000

enum mode { MODE_SELECT, MODE_POLL };

/* One socket, however many times the caller names it. */
struct ref {
    SOCKET s;
    struct ws2__tsock *sk;
    struct ws2__slot *slot;
    unsigned want;
    unsigned cond;
};
/* One name in the caller's sets or array. */
struct entry {
    SOCKET s;
    int ref; /* -1: not one of our sockets */
    unsigned want;
};
struct wait {
    struct entry *e;
    struct ref *r;
    struct ws2__lx_pollfd *p;
    size_t ne, nr;
    enum mode mode;
};

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int wait_alloc(struct wait *w, size_t n, enum mode mode)
{
    w->e = calloc(n, sizeof(*w->e));
    w->r = calloc(n, sizeof(*w->r));
    w->p = calloc(n, sizeof(*w->p));
    w->ne = w->nr = 0;
    w->mode = mode;
    return w->e && w->r && w->p;
}

static void wait_free(struct wait *w)
{
    for (size_t i = 0; i < w->nr; i++)
        ws2__tcpip_put(w->r[i].slot);
    free(w->e);
    free(w->r);
    free(w->p);
}

/* Adds one name; returns its ref, or -1 when s is not one of our
 * sockets. Names of one socket share a ref, so that poll sees each fd
 * once (it fails beyond RLIMIT_NOFILE entries). */
static int wait_add(struct wait *w, SOCKET s, unsigned want)
{
    struct entry *e = &w->e[w->ne++];
    e->s = s;
    e->want = want;
    e->ref = -1;
    for (size_t i = 0; i < w->nr; i++) {
        if (w->r[i].s == s) {
            w->r[i].want |= want;
            return e->ref = (int)i;
        }
    }
    int err;
    struct ref *r = &w->r[w->nr];
    r->sk = ws2__tcpip_get(s, &r->slot, &err);
    if (!r->sk)
        return -1;
    r->s = s;
    r->want = want;
    return e->ref = (int)w->nr++;
}

int ws2__tcpip_oob_inline(const struct ws2__tsock *sk)
{
    int level, opt, v = 0;
    if (ws2__lx_opt(SOL_SOCKET, SO_OOBINLINE, &level, &opt) == 0)
        ws2__lx_getopt_int(sk->fd, level, opt, &v);
    return v != 0;
}

int ws2__tcpip_settle_connect(struct ws2__tsock *sk, short rev)
{
    int one = 1;
    if (!atomic_compare_exchange_strong(&sk->connecting, &one, 2))
        return atomic_load(&sk->connecting) == 0;
    int e = ws2__lx_so_error(sk->fd);
    if (e < 0)
        e = -e;
    if (e) {
        atomic_store(&sk->conn_err, ws2__wsa_error(e, WS2__OP_CONNECT));
    } else if (rev & (ws2__lx_POLLHUP | ws2__lx_POLLERR)) {
        /* Failed, but someone read SO_ERROR before us. Keep what they
         * recorded; refused is what an immediate failure means. */
        int none = 0;
        atomic_compare_exchange_strong(&sk->conn_err, &none, WSAECONNREFUSED);
    } else {
        /* Windows clears the error of an earlier attempt on success. */
        atomic_store(&sk->conn_err, 0);
        atomic_store(&sk->connected, 1);
    }
    atomic_store(&sk->connecting, 0);
    return 1;
}

static unsigned judge_dgram(struct ws2__tsock *sk, short rev)
{
    unsigned c = 0;
    if (rev & ws2__lx_POLLOUT)
        c |= C_WRITE;
    if ((rev & ws2__lx_POLLIN) || atomic_load(&sk->pending_reset))
        c |= C_DATA;
    if (rev & ws2__lx_POLLERR) {
        if (atomic_load(&sk->udp_connreset)) {
            c |= C_DATA; /* recv fails at once with WSAECONNRESET */
        } else {
            /* SIO_UDP_CONNRESET off: the error is dropped, as recv would */
            while (ws2__lx_errqueue(sk->fd))
                ;
            (void)ws2__lx_so_error(sk->fd);
        }
    }
    return c;
}

static unsigned judge_stream(struct ws2__tsock *sk, short rev)
{
    unsigned c = 0;
    if (rev & ws2__lx_POLLOUT)
        c |= C_WRITE;
    if (rev & ws2__lx_POLLPRI)
        c |= ws2__tcpip_oob_inline(sk) ? C_DATA : C_OOB;
    if (atomic_load(&sk->shut_recv))
        return c;
    short gone = ws2__lx_POLLRDHUP | ws2__lx_POLLHUP | ws2__lx_POLLERR;
    if (rev & ws2__lx_POLLERR)
        c |= C_RESET;
    else if (rev & (ws2__lx_POLLRDHUP | ws2__lx_POLLHUP))
        c |= C_EOF;
    if (rev & ws2__lx_POLLIN) {
        /* POLLIN also means end of file: only FIONREAD tells data. */
        int n = 0;
        if (!(rev & gone) || (ws2__lx_inq(sk->fd, &n) == 0 && n > 0))
            c |= C_DATA;
    }
    return c;
}

/* The socket's state from its Linux events. *later asks for another look
 * after this many microseconds even if poll stays quiet. */
static unsigned judge(struct ws2__tsock *sk, short rev, int64_t *later)
{
    const short done = ws2__lx_POLLOUT | ws2__lx_POLLERR | ws2__lx_POLLHUP;
    if (atomic_load(&sk->closing))
        return C_CLOSED;
    if (sk->type != SOCK_STREAM)
        return judge_dgram(sk, rev);
    if (atomic_load(&sk->listening))
        return (rev & ws2__lx_POLLIN) ? C_DATA : 0;
    int conn = atomic_load(&sk->connecting);
    if (conn == 1 && !(rev & done))
        return 0;
    if (conn && !ws2__tcpip_settle_connect(sk, rev)) {
        *later = RESETTLE_US;
        return 0;
    }
    if (!(rev & ws2__lx_POLLHUP))
        return judge_stream(sk, rev);
    if (atomic_load(&sk->conn_err))
        return C_CONNFAIL | ((rev & ws2__lx_POLLOUT) ? C_WRITE : 0);
    /* Hung up without end of file: never connected. */
    return (rev & ws2__lx_POLLIN) ? judge_stream(sk, rev) : 0;
}

static unsigned sel_ready(unsigned want, unsigned c)
{
    unsigned r = 0;
    if ((want & W_READ) && (c & (C_DATA | C_EOF | C_RESET | C_CLOSED)))
        r |= W_READ;
    if ((want & W_WRITE) && (c & C_WRITE) && !(c & (C_CONNFAIL | C_CLOSED)))
        r |= W_WRITE;
    if ((want & W_OOB) && (c & (C_OOB | C_CONNFAIL)) && !(c & C_CLOSED))
        r |= W_OOB;
    return r;
}

static SHORT poll_revents(unsigned want, unsigned c)
{
    if (c & C_CLOSED)
        return POLLNVAL;
    SHORT r = 0;
    if ((want & W_READ) && (c & C_DATA))
        r |= POLLRDNORM;
    if ((want & W_OOB) && (c & C_OOB))
        r |= POLLRDBAND;
    if ((want & W_WRITE) && (c & C_WRITE))
        r |= POLLWRNORM;
    if (c & (C_EOF | C_RESET | C_CONNFAIL))
        r |= POLLHUP;
    if (c & (C_RESET | C_CONNFAIL))
        r |= POLLERR;
    return r;
}

static int entry_ready(const struct wait *w, const struct entry *e)
{
    if (e->ref < 0)
        return 0;
    unsigned c = w->r[e->ref].cond;
    if (w->mode == MODE_POLL)
        return poll_revents(e->want, c) != 0;
    /* A socket closed under select ends it: readable, or WSAENOTSOCK. */
    return sel_ready(e->want, c) || (c & C_CLOSED);
}

static short lx_events(unsigned want)
{
    short ev = 0;
    if (want & W_READ)
        ev |= ws2__lx_POLLIN | ws2__lx_POLLRDHUP;
    if (want & W_WRITE)
        ev |= ws2__lx_POLLOUT;
    if (want & W_OOB)
        ev |= ws2__lx_POLLPRI;
    if (want & W_HUP)
        ev |= ws2__lx_POLLRDHUP;
    return ev;
}

/* Takes a snapshot and judges every socket. Returns 1 when an entry is
 * ready, 0 when not (then w->p is set up for sleeping: events that fired
 * but mean nothing to Windows are masked, so poll does not spin), or a
 * negative errno. *later is lowered when something must be looked at
 * again without an event. */
static int look(struct wait *w, int64_t *later)
{
    for (size_t i = 0; i < w->nr; i++)
        w->p[i] = (struct ws2__lx_pollfd){w->r[i].sk->fd,
                                          lx_events(w->r[i].want), 0};
    int n = ws2__lx_poll(w->p, (unsigned)w->nr, 0);
    if (n < 0)
        return n;
    for (size_t i = 0; i < w->nr; i++)
        w->r[i].cond = judge(w->r[i].sk, w->p[i].revents, later);
    for (size_t i = 0; i < w->ne; i++)
        if (entry_ready(w, &w->e[i]))
            return 1;
    const short sticky =
        ws2__lx_POLLHUP | ws2__lx_POLLERR | ws2__lx_POLLNVAL;
    for (size_t i = 0; i < w->nr; i++) {
        struct ws2__lx_pollfd *p = &w->p[i];
        if (p->revents & sticky) {
            p->fd = -1;
            if (*later < 0 || *later > RECHECK_US)
                *later = RECHECK_US;
        } else {
            p->events &= (short)~p->revents;
        }
        p->revents = 0;
    }
    return 0;
}

/* Waits until an entry is ready or timeout_us (< 0: for ever) has passed.
 * Returns 0 or a WSAE* code. Blocking is bracketed so that closesocket in
 * another thread shuts the fds down, which wakes poll. */
static int wait_run(struct wait *w, int64_t timeout_us)
{
    int64_t deadline = timeout_us < 0 ? -1 : now_us() + timeout_us;
    int err = 0;
    for (size_t i = 0; i < w->nr; i++)
        ws2__tcpip_block_begin(w->r[i].sk);
    for (;;) {
        int64_t later = -1, left = -1;
        int r = look(w, &later);
        if (r != 0) {
            err = r < 0 ? ws2__wsa_error(-r, WS2__OP_ANY) : 0;
            break;
        }
        if (deadline >= 0 && (left = deadline - now_us()) <= 0)
            break;
        if (later >= 0 && (left < 0 || later < left))
            left = later;
        r = ws2__lx_poll(w->p, (unsigned)w->nr, left);
        if (r < 0 && r != -EINTR) {
            err = ws2__wsa_error(-r, WS2__OP_ANY);
            break;
        }
    }
    for (size_t i = 0; i < w->nr; i++)
        ws2__tcpip_block_end(w->r[i].sk);
    return err;
}

/* ---- select ---- */

/* Windows: a null timeout waits for ever, {0, 0} polls. */
static int timeval_us(const struct timeval *t, int64_t *us)
{
    if (!t) {
        *us = -1;
        return 0;
    }
    if (t->tv_sec < 0 || t->tv_usec < 0 || t->tv_usec >= 1000000)
        return WSAEINVAL;
    if (t->tv_sec > INT64_MAX / 2000000)
        *us = -1; /* beyond any wait that can end */
    else
        *us = (int64_t)t->tv_sec * 1000000 + t->tv_usec;
    return 0;
}

/* Adds s to set unless it is there: Windows names a socket once per set
 * and counts it once, even when two of the caller's sets are one. */
static int set_add(fd_set *set, SOCKET s)
{
    for (u_int i = 0; i < set->fd_count; i++)
        if (set->fd_array[i] == s)
            return 0;
    set->fd_array[set->fd_count++] = s;
    return 1;
}

/* The sets may alias (Windows allows &fds for both reads and writes), so
 * every input was copied to w before any output is written. */
static int select_output(struct wait *w, fd_set *sets[3])
{
    static const unsigned want[3] = {W_READ, W_WRITE, W_OOB};
    int count = 0;
    for (int k = 0; k < 3; k++)
        if (sets[k])
            sets[k]->fd_count = 0;
    for (size_t i = 0; i < w->ne; i++) {
        const struct entry *e = &w->e[i];
        unsigned r = sel_ready(e->want, w->r[e->ref].cond);
        for (int k = 0; k < 3; k++)
            if (r & want[k])
                count += set_add(sets[k], e->s);
    }
    return count;
}

/* A socket closed during the wait and named only in writefds or
 * exceptfds: Windows fails the call with WSAENOTSOCK and empty sets. */
static int closed_unreadable(const struct wait *w)
{
    for (size_t i = 0; i < w->nr; i++)
        if ((w->r[i].cond & C_CLOSED) && !(w->r[i].want & W_READ))
            return 1;
    return 0;
}

int WSPAPI ws2__WSPSelect(int nfds, fd_set *readfds, fd_set *writefds,
                          fd_set *exceptfds, const struct timeval *timeout,
                          LPINT lpErrno)
{
    (void)nfds; /* Windows ignores it: it exists for Berkeley sources */
    fd_set *sets[3] = {readfds, writefds, exceptfds};
    static const unsigned want[3] = {W_READ, W_WRITE, W_OOB};
    size_t n = 0;
    for (int k = 0; k < 3; k++) {
        if (sets[k] && ws2__bad_ptr(sets[k]))
            return ws2__tcpip_fail(lpErrno, WSAEFAULT);
        n += sets[k] ? sets[k]->fd_count : 0;
    }
    if (timeout && ws2__bad_ptr(timeout))
        return ws2__tcpip_fail(lpErrno, WSAEFAULT);
    int64_t us;
    if (n == 0 || timeval_us(timeout, &us))
        return ws2__tcpip_fail(lpErrno, WSAEINVAL);

    struct wait w;
    int err = 0;
    if (!wait_alloc(&w, n, MODE_SELECT))
        err = WSAEFAULT; /* the documented code for "no resources" */
    for (int k = 0; k < 3 && !err; k++)
        for (u_int i = 0; sets[k] && i < sets[k]->fd_count && !err; i++)
            if (wait_add(&w, sets[k]->fd_array[i], want[k]) < 0)
                err = WSAENOTSOCK;
    if (!err)
        err = wait_run(&w, us);
    int count = 0;
    if (!err && closed_unreadable(&w)) {
        for (int k = 0; k < 3; k++)
            if (sets[k])
                sets[k]->fd_count = 0;
        err = WSAENOTSOCK;
    } else if (!err) {
        count = select_output(&w, sets);
    }
    wait_free(&w);
    return err ? ws2__tcpip_fail(lpErrno, err) : count;
}

/* ---- WSAPoll ---- */

static int poll_negative(SOCKET s)
{
    return (INT_PTR)s < 0;
}

/* Windows fails the whole call for a request flag it does not serve
 * (POLLPRI, POLLWRBAND, the output-only bits), before looking at any
 * socket, and clears every revents. Negative fds are not examined. */
static int poll_flags_bad(WSAPOLLFD *f, ULONG n)
{
    const SHORT ok = POLLRDNORM | POLLRDBAND | POLLWRNORM;
    int bad = 0;
    for (ULONG i = 0; i < n; i++)
        if (!poll_negative(f[i].fd) && (f[i].events & ~ok))
            bad = 1;
    if (bad)
        for (ULONG i = 0; i < n; i++)
            f[i].revents = 0;
    return bad;
}

static unsigned poll_want(SHORT events)
{
    unsigned w = W_HUP;
    if (events & POLLRDNORM)
        w |= W_READ;
    if (events & POLLRDBAND)
        w |= W_OOB;
    if (events & POLLWRNORM)
        w |= W_WRITE;
    return w;
}

/* Entries that were no socket get POLLNVAL but are not counted: Windows
 * returns 0 for {-1, listener} with nothing pending. A socket closed
 * during the wait is POLLNVAL and counted. */
static int poll_output(struct wait *w, WSAPOLLFD *f)
{
    int count = 0;
    for (size_t i = 0; i < w->ne; i++) {
        const struct entry *e = &w->e[i];
        if (e->ref < 0) {
            f[i].revents = POLLNVAL;
            continue;
        }
        f[i].revents = poll_revents(e->want, w->r[e->ref].cond);
        count += f[i].revents != 0;
    }
    return count;
}

int ws2__tcpip_poll(WS2POSIX_POLL_ARGS *args, LPINT lpErrno)
{
    if (ws2__bad_ptr(args) || ws2__bad_ptr(args->fdArray))
        return ws2__tcpip_fail(lpErrno, WSAEFAULT);
    WSAPOLLFD *f = args->fdArray;
    ULONG n = args->fds;
    if (n == 0 || poll_flags_bad(f, n))
        return ws2__tcpip_fail(lpErrno, WSAEINVAL);
    struct wait w;
    if (!wait_alloc(&w, n, MODE_POLL)) {
        wait_free(&w);
        return ws2__tcpip_fail(lpErrno, WSAENOBUFS);
    }
    size_t valid = 0;
    for (ULONG i = 0; i < n; i++) {
        if (poll_negative(f[i].fd)) {
            w.e[w.ne++] = (struct entry){f[i].fd, -1, 0};
            continue;
        }
        valid += wait_add(&w, f[i].fd, poll_want(f[i].events)) >= 0;
    }
    int err = 0, count = 0;
    if (!valid) {
        /* Windows: WSAENOTSOCK, every entry POLLNVAL (the page says
         * WSAEINVAL; the system does not). */
        err = WSAENOTSOCK;
        poll_output(&w, f);
    } else {
        err = wait_run(&w, args->timeout < 0 ? -1
                                             : (int64_t)args->timeout * 1000);
        if (!err)
            count = poll_output(&w, f);
    }
    wait_free(&w);
    return err ? ws2__tcpip_fail(lpErrno, err) : count;
}
