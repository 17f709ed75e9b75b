/*
 * uring.c - the io_uring backend: a queue's head goes to the kernel as
 * IORING_OP_SENDMSG / IORING_OP_RECVMSG (IORING_OP_ACCEPT and
 * IORING_OP_CONNECT for those kinds); when Linux answers EAGAIN (a
 * socket in non-blocking mode) the request first waits for readiness with
 * IORING_OP_POLL_ADD. The reaper thread polls the ring's descriptor before
 * it reaps (so valgrind never sees a thread parked in io_uring_enter), and
 * finishes or continues each request.
 */
#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <string.h>

#include "engine/backend.h"

static struct io_uring ring;
static pthread_mutex_t ring_lock = PTHREAD_MUTEX_INITIALIZER;

#define TAG_POLL 1u

/* One SQE for r's current step; ring_lock held. */
static void prep(struct ws2__ioq *q, struct ws2__req *r)
{
    struct io_uring_sqe *sqe;
    while (!(sqe = io_uring_get_sqe(&ring)))
        io_uring_submit(&ring);
    int fd = q->es->fd;
    if (r->kind == WS2__REQ_READY)
        r->polling = 1; /* its only step */
    if (r->polling) {
        io_uring_prep_poll_add(sqe, fd,
                               q->dir == WS2__DIR_SEND ? POLLOUT : POLLIN);
        io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)r | TAG_POLL);
    } else if (r->kind == WS2__REQ_ACCEPT) {
        _Static_assert(sizeof(r->addrlen) == sizeof(socklen_t), "addrlen");
        r->addrlen = sizeof(r->addr);
        io_uring_prep_accept(sqe, fd, (struct sockaddr *)(void *)r->addr,
                             (socklen_t *)&r->addrlen, SOCK_CLOEXEC);
        io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)r);
    } else if (r->kind == WS2__REQ_CONNECT) {
        io_uring_prep_connect(sqe, fd, (struct sockaddr *)(void *)r->addr,
                              r->addrlen);
        io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)r);
    } else if (q->dir == WS2__DIR_SEND) {
        io_uring_prep_sendmsg(sqe, fd, ws2__req_msg(r, q->dir),
                              (unsigned)(r->lflags | MSG_NOSIGNAL));
        io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)r);
    } else {
        io_uring_prep_recvmsg(sqe, fd, ws2__req_msg(r, q->dir),
                              (unsigned)r->lflags);
        io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)r);
    }
}

static void submit_step(struct ws2__ioq *q, struct ws2__req *r)
{
    pthread_mutex_lock(&ring_lock);
    prep(q, r);
    io_uring_submit(&ring);
    pthread_mutex_unlock(&ring_lock);
}

static void kick(struct ws2__ioq *q)
{
    pthread_mutex_lock(&q->lock);
    if (!q->busy && q->head) {
        q->busy = 1;
        submit_step(q, q->head);
    }
    pthread_mutex_unlock(&q->lock);
}

static void cancel_busy(struct ws2__ioq *q, struct ws2__req *r)
{
    (void)q;
    pthread_mutex_lock(&ring_lock);
    struct io_uring_sqe *sqe;
    while (!(sqe = io_uring_get_sqe(&ring)))
        io_uring_submit(&ring);
    uint64_t target = (uint64_t)(uintptr_t)r | (r->polling ? TAG_POLL : 0);
    io_uring_prep_cancel64(sqe, target, 0);
    io_uring_sqe_set_data64(sqe, 0); /* the cancel's own answer is ignored */
    io_uring_submit(&ring);
    pthread_mutex_unlock(&ring_lock);
}

/* One completion: finish the request, or take its next step. */
static void reap(uint64_t data, int res)
{
    if (!data)
        return;
    struct ws2__req *r = (struct ws2__req *)(uintptr_t)(data & ~(uint64_t)TAG_POLL);
    struct ws2__ioq *q = __atomic_load_n(&r->q, __ATOMIC_ACQUIRE);
    int msg_flags = 0;
    pthread_mutex_lock(&q->lock);
    if (data & TAG_POLL) {
        r->polling = 0;
        if (!r->cancelled && res >= 0 && r->kind == WS2__REQ_READY) {
            res = 0;
        } else if (!r->cancelled && res >= 0 && r->started) {
            /* A connect under way is never issued twice: its outcome is
             * the socket's error once it is writable. */
            res = ws2__so_error(q->es->fd);
        } else if (!r->cancelled && res >= 0) {
            submit_step(q, r);
            pthread_mutex_unlock(&q->lock);
            return;
        } else if (res >= 0) {
            res = -ECANCELED;
        }
    } else if (ws2__req_refused(q, r, res)) {
        /* Made again in its place: the refusal was an earlier datagram's. */
        submit_step(q, r);
        pthread_mutex_unlock(&q->lock);
        return;
    } else if (!r->cancelled && r->kind == WS2__REQ_CONNECT &&
               (res == -EAGAIN || res == -EINPROGRESS || res == -EALREADY)) {
        r->started = 1;
        r->polling = 1;
        submit_step(q, r);
        pthread_mutex_unlock(&q->lock);
        return;
    } else if (!r->cancelled && res == -EAGAIN) {
        r->polling = 1;
        submit_step(q, r);
        pthread_mutex_unlock(&q->lock);
        return;
    } else if (res >= 0 && r->stream && q->dir == WS2__DIR_SEND &&
               !ws2__req_advance(r, (size_t)res)) {
        if (!r->cancelled) {
            submit_step(q, r);
            pthread_mutex_unlock(&q->lock);
            return;
        }
        res = -ECANCELED;
    }
    if (res >= 0 && q->dir == WS2__DIR_RECV && r->kind == WS2__REQ_DATA) {
        struct msghdr *m = (struct msghdr *)(void *)r->msg;
        msg_flags = m->msg_flags;
        r->addrlen = m->msg_namelen;
        if (r->x)
            r->x->controllen = m->msg_controllen;
    }
    ws2__q_pop(q);
    /* The next request starts before this one is finished: finishing may
     * release the socket, and q with it, when it was the last. */
    if (q->head)
        submit_step(q, q->head);
    else
        q->busy = 0;
    pthread_mutex_unlock(&q->lock);
    ws2__req_finish(r, res, msg_flags);
}

static void *reaper(void *arg)
{
    (void)arg;
    struct pollfd p = {ring.ring_fd, POLLIN, 0};
    for (;;) {
        struct io_uring_cqe *cqe;
        while (io_uring_peek_cqe(&ring, &cqe) == 0) {
            uint64_t data = io_uring_cqe_get_data64(cqe);
            int res = cqe->res;
            io_uring_cqe_seen(&ring, cqe);
            reap(data, res);
        }
        if (poll(&p, 1, -1) < 0 && errno != EINTR)
            break;
    }
    return NULL;
}

static int init(void)
{
    struct io_uring_params params;
    memset(&params, 0, sizeof(params));
    params.flags = IORING_SETUP_CQSIZE;
    params.cq_entries = 65536;
    int r = io_uring_queue_init_params(1024, &ring, &params);
    if (r < 0)
        return r;
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    r = pthread_create(&t, &attr, reaper, NULL);
    pthread_attr_destroy(&attr);
    if (r) {
        io_uring_queue_exit(&ring);
        return -r;
    }
    return 0;
}

/* The reaper looks at a socket only through its requests, and there are
 * none left. */
static void fini(struct ws2__esock *es, void (*release)(void *), void *arg)
{
    (void)es;
    release(arg);
}

const struct ws2__backend ws2__uring_backend = {
    .name = "io_uring",
    .init = init,
    .kick = kick,
    .cancel_busy = cancel_busy,
    .fini = fini,
};
