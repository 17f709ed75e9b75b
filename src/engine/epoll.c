/*
 * epoll.c - the epoll backend, for where io_uring is refused: a queue's
 * requests are tried at once with MSG_DONTWAIT, by the submitting thread
 * or the reaper, until Linux says EAGAIN; the socket is registered
 * edge-triggered for both directions, and the reaper retries a queue when
 * its direction becomes ready. A readiness seen while a queue is being
 * worked on is counted (q->wake), so the worker tries again instead of the
 * wake-up being lost.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "engine/backend.h"

static int epfd = -1, wakefd = -1;

/* Sockets the reaper may still be looking at, released at the top of its
 * next round (after the batch of events that might name them). */
struct later {
    struct later *next;
    void (*release)(void *);
    void *arg;
};
static struct later *later_list;
static pthread_mutex_t later_lock = PTHREAD_MUTEX_INITIALIZER;

static void ensure_registered(struct ws2__esock *es)
{
    if (__atomic_load_n(&es->registered, __ATOMIC_ACQUIRE))
        return;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP |
                                       EPOLLET,
                             .data.ptr = es};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, es->fd, &ev) == 0 || errno == EEXIST)
        __atomic_store_n(&es->registered, 1, __ATOMIC_RELEASE);
}

/* Accept and connect have no MSG_DONTWAIT: the descriptor is made
 * non-blocking for the one call when the application left it blocking. */
static int nb_begin(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || (fl & O_NONBLOCK))
        return -1;
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    return fl;
}

static void nb_end(int fd, int fl)
{
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl);
}

/* One try at an accept or connect request: >= 0 done, -EAGAIN wait. */
static int try_conn(struct ws2__ioq *q, struct ws2__req *r)
{
    int fd = q->es->fd, res;
    if (r->kind == WS2__REQ_READY) {
        struct pollfd p = {fd, POLLIN, 0};
        res = poll(&p, 1, 0);
        if (res < 0)
            return -errno;
        return res == 0 ? -EAGAIN : 0;
    }
    if (r->kind == WS2__REQ_CONNECT && r->started) {
        struct pollfd p = {fd, POLLOUT, 0};
        res = poll(&p, 1, 0);
        if (res < 0)
            return -errno;
        return res == 0 ? -EAGAIN : ws2__so_error(fd);
    }
    int fl = nb_begin(fd);
    if (r->kind == WS2__REQ_ACCEPT) {
        socklen_t len = sizeof(r->addr);
        res = accept4(fd, (struct sockaddr *)(void *)r->addr, &len,
                      SOCK_CLOEXEC);
        if (res >= 0)
            r->addrlen = len;
    } else {
        res = connect(fd, (const struct sockaddr *)(void *)r->addr,
                      r->addrlen);
    }
    res = res < 0 ? -errno : res;
    nb_end(fd, fl);
    if (r->kind == WS2__REQ_CONNECT &&
        (res == -EINPROGRESS || res == -EALREADY || res == -EAGAIN ||
         res == -EINTR)) {
        r->started = 1;
        res = -EAGAIN;
    }
    return res;
}

struct done {
    struct ws2__req *r;
    int res, flags;
};

static void kick(struct ws2__ioq *q)
{
    struct done done[64];
    int ndone = 0;
    pthread_mutex_lock(&q->lock);
    if (q->busy) {
        pthread_mutex_unlock(&q->lock);
        return;
    }
    q->busy = 1;
    while (q->head && ndone < 64) {
        unsigned seen = atomic_load(&q->wake);
        struct ws2__req *r = q->head;
        struct msghdr *m = ws2__req_msg(r, q->dir);
        ssize_t n = r->kind != WS2__REQ_DATA ? try_conn(q, r)
                    : q->dir == WS2__DIR_SEND
                        ? sendmsg(q->es->fd, m,
                                  r->lflags | MSG_DONTWAIT | MSG_NOSIGNAL)
                        : recvmsg(q->es->fd, m, r->lflags | MSG_DONTWAIT);
        int res = n < 0 ? (r->kind != WS2__REQ_DATA ? (int)n : -errno)
                        : (int)n;
        if (res == -EINTR || ws2__req_refused(q, r, res))
            continue;
        if (res == -EAGAIN) {
            ensure_registered(q->es);
            if (atomic_load(&q->wake) != seen)
                continue;
            break;
        }
        if (res >= 0 && r->stream && q->dir == WS2__DIR_SEND &&
            !ws2__req_advance(r, (size_t)res))
            continue;
        int data = r->kind == WS2__REQ_DATA;
        if (res >= 0 && q->dir == WS2__DIR_RECV && data) {
            r->addrlen = m->msg_namelen;
            if (r->x)
                r->x->controllen = m->msg_controllen;
        }
        done[ndone].r = ws2__q_pop(q);
        done[ndone].res = res;
        done[ndone].flags = res >= 0 && data ? m->msg_flags : 0;
        ndone++;
    }
    int more = q->head && ndone == 64;
    q->busy = 0;
    pthread_mutex_unlock(&q->lock);
    for (int i = 0; i < ndone; i++)
        ws2__req_finish(done[i].r, done[i].res, done[i].flags);
    if (more)
        kick(q);
}

/* Nothing is with the kernel between two tries: cancel found it queued. */
static void cancel_busy(struct ws2__ioq *q, struct ws2__req *r)
{
    (void)q, (void)r;
}

static void release_later(void)
{
    pthread_mutex_lock(&later_lock);
    struct later *l = later_list;
    later_list = NULL;
    pthread_mutex_unlock(&later_lock);
    while (l) {
        struct later *next = l->next;
        l->release(l->arg);
        free(l);
        l = next;
    }
}

static void *reaper(void *arg)
{
    (void)arg;
    struct epoll_event ev[256];
    for (;;) {
        release_later();
        int n = epoll_wait(epfd, ev, 256, -1);
        if (n < 0 && errno != EINTR)
            break;
        for (int i = 0; i < n; i++) {
            struct ws2__esock *es = ev[i].data.ptr;
            uint32_t e = ev[i].events;
            if (!es) { /* the wake-up descriptor */
                uint64_t v;
                if (read(wakefd, &v, sizeof(v)) < 0 && errno != EAGAIN)
                    break;
                continue;
            }
            if (e & (EPOLLOUT | EPOLLERR | EPOLLHUP)) {
                atomic_fetch_add(&es->q[WS2__DIR_SEND].wake, 1);
                kick(&es->q[WS2__DIR_SEND]);
            }
            if (e & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) {
                atomic_fetch_add(&es->q[WS2__DIR_RECV].wake, 1);
                kick(&es->q[WS2__DIR_RECV]);
            }
        }
    }
    return NULL;
}

static int init(void)
{
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0)
        return -errno;
    wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct epoll_event wev = {.events = EPOLLIN, .data.ptr = NULL};
    if (wakefd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, wakefd, &wev) < 0) {
        int e = errno;
        close(epfd);
        epfd = -1;
        return -e;
    }
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int r = pthread_create(&t, &attr, reaper, NULL);
    pthread_attr_destroy(&attr);
    if (r) {
        close(epfd);
        epfd = -1;
        return -r;
    }
    return 0;
}

static void fini(struct ws2__esock *es, void (*release)(void *), void *arg)
{
    struct later *l;
    if (!es->registered || !(l = malloc(sizeof(*l)))) {
        if (es->registered)
            epoll_ctl(epfd, EPOLL_CTL_DEL, es->fd, NULL);
        release(arg); /* never registered: the reaper never saw it */
        return;
    }
    epoll_ctl(epfd, EPOLL_CTL_DEL, es->fd, NULL);
    l->release = release;
    l->arg = arg;
    pthread_mutex_lock(&later_lock);
    l->next = later_list;
    later_list = l;
    pthread_mutex_unlock(&later_lock);
    uint64_t one = 1;
    if (write(wakefd, &one, sizeof(one)) < 0) {
        /* the counter is full: the reaper is awake anyway */
    }
}

const struct ws2__backend ws2__epoll_backend = {
    .name = "epoll",
    .init = init,
    .kick = kick,
    .cancel_busy = cancel_busy,
    .fini = fini,
};
