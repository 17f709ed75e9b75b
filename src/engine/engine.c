/*
 * engine.c - the parts of the overlapped engine that do not depend on the
 * backend: start-up and backend choice, queues, submission, cancellation.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "engine/backend.h"

static const struct ws2__backend *backend;
static pthread_once_t start_once = PTHREAD_ONCE_INIT;
static int start_error;
_Atomic int ws2__engine_ready;

/* io_uring unless told otherwise or refused (seccomp, a kernel without it,
 * kernel.io_uring_disabled); then epoll. */
static void start(void)
{
    const char *want = getenv("WS2POSIX_ENGINE");
    if (!want || strcmp(want, "epoll") != 0) {
        if (ws2__uring_backend.init() == 0) {
            backend = &ws2__uring_backend;
            return;
        }
    }
    start_error = ws2__epoll_backend.init();
    if (!start_error)
        backend = &ws2__epoll_backend;
}

int ws2__engine_start_once(void)
{
    pthread_once(&start_once, start);
    if (!start_error)
        atomic_store_explicit(&ws2__engine_ready, 1, memory_order_release);
    return start_error;
}

const char *ws2__engine_name(void)
{
    return backend ? backend->name : "none";
}

void ws2__esock_init(struct ws2__esock *es, int fd)
{
    memset(es, 0, sizeof(*es));
    es->fd = fd;
    for (int d = 0; d < 2; d++) {
        pthread_mutex_init(&es->q[d].lock, NULL);
        es->q[d].dir = d;
        es->q[d].es = es;
    }
}

void ws2__esock_refd(struct ws2__esock *es)
{
    __atomic_store_n(&es->registered, 0, __ATOMIC_RELEASE);
}

void ws2__esock_fini(struct ws2__esock *es, void (*release)(void *),
                     void *arg)
{
    if (backend)
        backend->fini(es, release, arg);
    else
        release(arg);
}

struct msghdr *ws2__req_msg(struct ws2__req *r, int dir)
{
    _Static_assert(sizeof(struct msghdr) <= sizeof(r->msg), "msghdr room");
    struct msghdr *m = (struct msghdr *)(void *)r->msg;
    memset(m, 0, sizeof(*m));
    m->msg_iov = r->iov;
    /* Linux takes IOV_MAX buffers a call: a stream goes in pieces (a
     * datagram with more was gathered into one buffer by the submitter). */
    m->msg_iovlen = r->niov > 1024 ? 1024 : r->niov;
    if (dir == WS2__DIR_RECV) {
        m->msg_name = r->addr;
        m->msg_namelen = sizeof(r->addr);
    } else if (r->addrlen) {
        m->msg_name = r->addr;
        m->msg_namelen = r->addrlen;
    }
    if (r->x) {
        m->msg_control = r->x->control;
        m->msg_controllen = r->x->controllen;
    }
    return m;
}

int ws2__req_advance(struct ws2__req *r, size_t n)
{
    r->sent += n;
    while (r->niov && n >= r->iov[0].iov_len) {
        n -= r->iov[0].iov_len;
        r->iov++;
        r->niov--;
    }
    if (r->niov) {
        r->iov[0].iov_base = (char *)r->iov[0].iov_base + n;
        r->iov[0].iov_len -= n;
    }
    if (r->niov == 0 && r->x && r->x->more && r->x->more(r))
        return 0;
    return r->niov == 0;
}

struct ws2__req *ws2__q_pop(struct ws2__ioq *q)
{
    struct ws2__req *r = q->head;
    q->head = r->next;
    if (!q->head)
        q->tail = NULL;
    r->next = NULL;
    atomic_fetch_sub_explicit(&q->count, 1, memory_order_release);
    return r;
}

int ws2__req_refused(const struct ws2__ioq *q, struct ws2__req *r, int res)
{
    if (res != -ECONNREFUSED || q->dir != WS2__DIR_SEND || r->stream ||
        r->kind != WS2__REQ_DATA || r->cancelled || r->refused >= 8)
        return 0;
    r->refused++;
    return 1;
}

int ws2__so_error(int fd)
{
    int e = 0;
    socklen_t len = sizeof(e);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
        return -errno;
    return -e;
}

void ws2__req_finish(struct ws2__req *r, int res, int msg_flags)
{
    if (res < 0)
        r->done(r, res, r->sent, msg_flags);
    else
        r->done(r, 0, r->stream && r->q->dir == WS2__DIR_SEND
                          ? r->sent
                          : (size_t)res,
                msg_flags);
}

int ws2__engine_submit(struct ws2__esock *es, int dir, struct ws2__req *r)
{
    struct ws2__ioq *q = &es->q[dir];
    r->next = NULL;
    r->cancelled = 0;
    r->polling = 0;
    r->started = 0;
    r->refused = 0;
    /* Released here, acquired by the io_uring reaper: the kernel's ring is
     * the real hand-over, which a race detector cannot see. */
    __atomic_store_n(&r->q, q, __ATOMIC_RELEASE);
    pthread_mutex_lock(&q->lock);
    if (atomic_load_explicit(&q->count, memory_order_relaxed) >=
        WS2__MAX_OUTSTANDING) {
        pthread_mutex_unlock(&q->lock);
        return -EAGAIN;
    }
    if (q->tail)
        q->tail->next = r;
    else
        q->head = r;
    q->tail = r;
    atomic_fetch_add_explicit(&q->count, 1, memory_order_release);
    pthread_mutex_unlock(&q->lock);
    backend->kick(q);
    return 0;
}

void ws2__engine_cancel(struct ws2__esock *es,
                        int (*match)(struct ws2__req *r, void *arg),
                        void *arg)
{
    struct ws2__req *gone = NULL, **tail = &gone;
    for (int d = 0; d < 2; d++) {
        struct ws2__ioq *q = &es->q[d];
        pthread_mutex_lock(&q->lock);
        struct ws2__req **pp = &q->head, *prev = NULL;
        while (*pp) {
            struct ws2__req *r = *pp;
            if (match && !match(r, arg)) {
                prev = r;
                pp = &r->next;
                continue;
            }
            if (r == q->head && q->busy) {
                /* With the kernel: it reports the end itself. */
                if (!r->cancelled) {
                    r->cancelled = 1;
                    backend->cancel_busy(q, r);
                }
                prev = r;
                pp = &r->next;
                continue;
            }
            *pp = r->next;
            if (q->tail == r)
                q->tail = prev;
            r->next = NULL;
            atomic_fetch_sub_explicit(&q->count, 1, memory_order_release);
            *tail = r;
            tail = &r->next;
        }
        pthread_mutex_unlock(&q->lock);
    }
    while (gone) {
        struct ws2__req *r = gone;
        gone = r->next;
        ws2__req_finish(r, -ECANCELED, 0);
    }
}
