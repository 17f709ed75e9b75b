/*
 * evselect.c - WSAEventSelect and WSAEnumNetworkEvents of the base
 * provider: each socket's selection, its record of network events, and
 * the watcher thread that records them.
 *
 * Windows' rules ("WSAEventSelect function", Microsoft's page): selecting
 * makes the socket non-blocking and clears the record; a new selection
 * replaces the old one, 0 cancels it; a recorded event is not recorded
 * again until its re-enabling call (FD_READ and FD_OOB: a receive,
 * FD_WRITE: a send that failed with WSAEWOULDBLOCK, FD_ACCEPT: accept),
 * and then again at once if the condition still holds; FD_WRITE is also
 * recorded when a socket is first connected or accepted; FD_CONNECT and
 * FD_CLOSE are recorded once. An accepted socket takes the listening
 * socket's selection.
 *
 * How: one lock for every socket's selection state. A socket is judged
 * (a poll of its descriptor with no wait, read by Windows' rules as
 * select.c does) whenever something may have changed: at selection, in
 * the re-enabling calls, and when the watcher's epoll reports it. Every
 * registration is one-shot and re-armed only for the events that may
 * still be recorded; Linux conditions that hold but mean nothing to
 * Windows (end of file without data, a never-connected socket's hang-up)
 * are left out until the application's next call, so nothing spins.
 * A released socket is freed on the watcher thread, after the batch of
 * events that might still name it.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "tcpip/tcpip.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int epfd = -1, wakefd = -1;
/* Released sockets waiting for the watcher's next batch (under lock). */
static struct ws2__tsock *dead_list;

/* ---- judging a socket ---- */

static LONG judge_dgram(struct ws2__tsock *sk, short *rev)
{
    LONG ev = 0;
    if ((*rev & ws2__lx_POLLERR) && !atomic_load(&sk->udp_connreset)) {
        /* SIO_UDP_CONNRESET off: the error is dropped, as recv would. */
        while (ws2__lx_errqueue(sk->fd))
            ;
        (void)ws2__lx_so_error(sk->fd);
        *rev &= (short)~ws2__lx_POLLERR;
    }
    if ((*rev & (ws2__lx_POLLIN | ws2__lx_POLLERR)) ||
        atomic_load(&sk->pending_reset))
        ev |= FD_READ; /* data, or a WSAECONNRESET for recv to report */
    if (*rev & ws2__lx_POLLOUT)
        ev |= FD_WRITE;
    return ev;
}

/* What holds now, in FD_* bits; err gets FD_CONNECT's and FD_CLOSE's
 * codes. *retry: another thread is settling a connect this instant. */
static LONG judge(struct ws2__tsock *sk, short *rev, int *err, int *retry)
{
    struct ws2__evsel *v = &sk->evs;
    const short gone = ws2__lx_POLLERR | ws2__lx_POLLHUP;
    if (sk->type != SOCK_STREAM)
        return judge_dgram(sk, rev);
    if (atomic_load(&sk->listening))
        return (*rev & ws2__lx_POLLIN) ? FD_ACCEPT : 0;
    LONG ev = 0;
    if (v->want_connect) {
        int c = atomic_load(&sk->connecting);
        if (c == 1 && !(*rev & (ws2__lx_POLLOUT | gone)))
            return 0;
        if (c && !ws2__tcpip_settle_connect(sk, *rev)) {
            *retry = 1;
            return 0;
        }
        v->want_connect = 0;
        ev |= FD_CONNECT;
        err[FD_CONNECT_BIT] = atomic_load(&sk->conn_err);
        if (err[FD_CONNECT_BIT])
            return ev;
    }
    if (!atomic_load(&sk->connected))
        return ev;
    if ((*rev & ws2__lx_POLLOUT) && !(*rev & gone))
        ev |= FD_WRITE;
    if (*rev & ws2__lx_POLLPRI)
        ev |= ws2__tcpip_oob_inline(sk) ? FD_READ : FD_OOB;
    if (atomic_load(&sk->shut_recv))
        return ev;
    if (*rev & ws2__lx_POLLIN) {
        /* POLLIN also means end of file: only FIONREAD tells data. */
        int n = 0;
        if (!(*rev & (gone | ws2__lx_POLLRDHUP)) ||
            (ws2__lx_inq(sk->fd, &n) == 0 && n > 0))
            ev |= FD_READ;
    }
    if (*rev & ws2__lx_POLLERR) {
        ev |= FD_CLOSE;
        err[FD_CLOSE_BIT] = WSAECONNRESET;
    } else if (*rev & (ws2__lx_POLLRDHUP | ws2__lx_POLLHUP)) {
        ev |= FD_CLOSE;
    }
    return ev;
}

/* ---- the watcher's registration (all under lock) ---- */

static short interest(const struct ws2__tsock *sk)
{
    const struct ws2__evsel *v = &sk->evs;
    LONG e = v->enabled & atomic_load(&v->mask);
    short ev = 0;
    if (e & (FD_READ | FD_ACCEPT))
        ev |= ws2__lx_POLLIN;
    if (e & FD_OOB)
        ev |= ws2__lx_POLLPRI;
    if ((e & FD_WRITE) || v->want_connect)
        ev |= ws2__lx_POLLOUT;
    if ((e & FD_CLOSE) && sk->type == SOCK_STREAM)
        ev |= ws2__lx_POLLRDHUP;
    return ev;
}

static void disarm(struct ws2__tsock *sk)
{
    if (sk->evs.in_epoll) {
        ws2__lx_epoll_ctl(epfd, 2, sk->fd, 0, sk);
        sk->evs.in_epoll = 0;
    }
}

/* Arms the one-shot registration for what may still be recorded, less
 * what holds now and meant nothing (rev was judged just now). A hang-up
 * or error cannot be left out of an epoll registration, so then the
 * socket waits for the application's next call instead. */
static void arm(struct ws2__tsock *sk, short rev, int retry)
{
    struct ws2__evsel *v = &sk->evs;
    short ev = interest(sk);
    if (!retry) {
        v->quiet |= (short)(ev & rev);
        if (rev & (ws2__lx_POLLERR | ws2__lx_POLLHUP))
            return;
    }
    ev &= (short)~v->quiet;
    if (!ev)
        return;
    if (v->in_epoll && ws2__lx_epoll_ctl(epfd, 1, sk->fd, ev, sk) == 0)
        return;
    if (ws2__lx_epoll_ctl(epfd, 0, sk->fd, ev, sk) == 0)
        v->in_epoll = v->watched = 1;
}

/* Judges the socket, records what is new, sets the event, re-arms. */
static void refresh(struct ws2__tsock *sk)
{
    struct ws2__evsel *v = &sk->evs;
    LONG mask = atomic_load(&v->mask);
    if (!mask || v->dead || atomic_load(&sk->closing)) {
        disarm(sk);
        return;
    }
    struct ws2__lx_pollfd p = {sk->fd,
                               ws2__lx_POLLIN | ws2__lx_POLLOUT |
                                   ws2__lx_POLLPRI | ws2__lx_POLLRDHUP,
                               0};
    if (ws2__lx_poll(&p, 1, 0) < 0)
        p.revents = 0;
    int err[FD_MAX_EVENTS] = {0}, retry = 0;
    LONG fresh = judge(sk, &p.revents, err, &retry) & v->enabled & mask;
    if (fresh) {
        for (int i = 0; i < FD_MAX_EVENTS; i++)
            if (fresh & (1L << i))
                v->err[i] = err[i];
        v->recorded |= fresh;
        v->enabled &= ~fresh;
        int e;
        ws2__tcpip_upcalls.lpWPUSetEvent(v->event, &e);
    }
    arm(sk, p.revents, retry);
}

/* ---- the watcher thread ---- */

static void run_dead(void)
{
    pthread_mutex_lock(&lock);
    struct ws2__tsock *sk = dead_list;
    dead_list = NULL;
    pthread_mutex_unlock(&lock);
    while (sk) {
        struct ws2__tsock *next = sk->evs.next_dead;
        sk->evs.fini(sk);
        sk = next;
    }
}

static void *watcher(void *arg)
{
    (void)arg;
    void *ready[64];
    for (;;) {
        run_dead(); /* no event taken from now on can name them */
        int n = ws2__lx_epoll_wait(epfd, ready, 64, -1);
        if (n == -EINTR)
            continue;
        if (n < 0)
            break;
        for (int i = 0; i < n; i++) {
            struct ws2__tsock *sk = ready[i];
            if (!sk) {
                ws2__lx_wakefd_drain(wakefd);
                continue;
            }
            pthread_mutex_lock(&lock);
            if (!sk->evs.dead)
                refresh(sk);
            pthread_mutex_unlock(&lock);
        }
    }
    return NULL;
}

static void start(void)
{
    int ep = ws2__lx_epoll_create(), wf = ws2__lx_wakefd();
    if (ep >= 0 && wf >= 0 &&
        ws2__lx_epoll_ctl(ep, 0, wf, ws2__lx_POLLIN, NULL) == 0) {
        epfd = ep;
        wakefd = wf;
        /* The thread takes no signals meant for the application's. */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        pthread_attr_t attr;
        pthread_t t;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int r = pthread_create(&t, &attr, watcher, NULL);
        pthread_attr_destroy(&attr);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (r == 0)
            return;
    }
    if (ep >= 0)
        ws2__lx_close(ep);
    if (wf >= 0)
        ws2__lx_close(wf);
    epfd = wakefd = -1;
}

static int started(void)
{
    pthread_once(&once, start);
    return epfd >= 0;
}

/* ---- the provider's functions ---- */

int WSPAPI ws2__WSPEventSelect(SOCKET s, WSAEVENT ev, LONG mask,
                               LPINT lpErrno)
{
    struct ws2__slot *slot;
    struct ws2__tsock *sk = ws2__tcpip_get(s, &slot, lpErrno);
    if (!sk)
        return SOCKET_ERROR;
    int err = 0;
    if (mask && !started()) {
        err = WSAENOBUFS;
    } else if (mask) {
        /* "The WSAEventSelect function automatically sets socket s to
         * nonblocking mode." */
        int r = ws2__lx_set_nonblock(sk->fd, 1);
        if (r)
            err = ws2__wsa_error(-r, WS2__OP_ANY);
        else
            atomic_store(&sk->nonblocking, 1);
    }
    if (!err) {
        struct ws2__evsel *v = &sk->evs;
        pthread_mutex_lock(&lock);
        atomic_store(&v->mask, mask);
        v->event = mask ? ev : NULL;
        v->recorded = 0;
        memset(v->err, 0, sizeof(v->err));
        v->enabled = mask;
        v->quiet = 0;
        v->want_connect = mask && atomic_load(&sk->connecting) != 0;
        refresh(sk);
        pthread_mutex_unlock(&lock);
    }
    ws2__tcpip_put(slot);
    return err ? ws2__tcpip_fail(lpErrno, err) : 0;
}

/* Copying the record, clearing it and resetting the event are one step
 * under the lock the recording side takes, so an event recorded after it
 * sets the event again ("WSAEnumNetworkEvents function"). */
int WSPAPI ws2__WSPEnumNetworkEvents(SOCKET s, WSAEVENT ev,
                                     LPWSANETWORKEVENTS ne, LPINT lpErrno)
{
    struct ws2__slot *slot;
    struct ws2__tsock *sk = ws2__tcpip_get(s, &slot, lpErrno);
    if (!sk)
        return SOCKET_ERROR;
    int err = 0;
    if (ws2__bad_ptr(ne)) {
        err = WSAEFAULT;
    } else {
        struct ws2__evsel *v = &sk->evs;
        pthread_mutex_lock(&lock);
        int e;
        if (ev && !ws2__tcpip_upcalls.lpWPUResetEvent(ev, &e))
            err = WSAEINVAL;
        if (!err) {
            ne->lNetworkEvents = v->recorded;
            memcpy(ne->iErrorCode, v->err, sizeof(ne->iErrorCode));
            v->recorded = 0;
            memset(v->err, 0, sizeof(v->err));
        }
        pthread_mutex_unlock(&lock);
    }
    ws2__tcpip_put(slot);
    return err ? ws2__tcpip_fail(lpErrno, err) : 0;
}

/* ---- hooks of the other files ---- */

void ws2__evs_reenable(struct ws2__tsock *sk, LONG events)
{
    if (!atomic_load_explicit(&sk->evs.mask, memory_order_relaxed))
        return;
    pthread_mutex_lock(&lock);
    sk->evs.enabled |= events;
    sk->evs.quiet = 0;
    refresh(sk);
    pthread_mutex_unlock(&lock);
}

void ws2__evs_connecting(struct ws2__tsock *sk)
{
    if (!atomic_load_explicit(&sk->evs.mask, memory_order_relaxed))
        return;
    pthread_mutex_lock(&lock);
    /* FD_WRITE too: it is recorded when a socket is first connected. */
    sk->evs.want_connect = 1;
    sk->evs.enabled |= FD_CONNECT | FD_WRITE;
    sk->evs.quiet = 0;
    refresh(sk);
    pthread_mutex_unlock(&lock);
}

void ws2__evs_inherit(struct ws2__tsock *listener, struct ws2__tsock *sk)
{
    if (!atomic_load_explicit(&listener->evs.mask, memory_order_relaxed))
        return;
    if (ws2__lx_set_nonblock(sk->fd, 1) == 0)
        atomic_store(&sk->nonblocking, 1);
    pthread_mutex_lock(&lock);
    LONG mask = atomic_load(&listener->evs.mask);
    atomic_store(&sk->evs.mask, mask);
    sk->evs.event = listener->evs.event;
    sk->evs.enabled = mask;
    refresh(sk);
    pthread_mutex_unlock(&lock);
}

void ws2__evs_release(struct ws2__tsock *sk,
                      void (*fini)(struct ws2__tsock *))
{
    pthread_mutex_lock(&lock);
    int later = sk->evs.watched;
    sk->evs.dead = 1;
    disarm(sk);
    if (later) {
        sk->evs.fini = fini;
        sk->evs.next_dead = dead_list;
        dead_list = sk;
    }
    pthread_mutex_unlock(&lock);
    if (later)
        ws2__lx_wakefd_signal(wakefd);
    else
        fini(sk);
}
