/*
 * backend.h - what engine.c asks of a backend (uring.c, epoll.c).
 */
#ifndef WS2__BACKEND_H
#define WS2__BACKEND_H

#include <sys/socket.h>

#include "engine/engine.h"

struct ws2__backend {
    const char *name;
    /* 0 or -errno; starts the backend's reaper thread. */
    int (*init)(void);
    /* Work on q's head unless it is already being worked on. */
    void (*kick)(struct ws2__ioq *q);
    /* q's head is with the kernel and was cancelled: have it end soon.
     * Called with q->lock held. */
    void (*cancel_busy)(struct ws2__ioq *q, struct ws2__req *r);
    void (*fini)(struct ws2__esock *es, void (*release)(void *), void *arg);
};

extern const struct ws2__backend ws2__uring_backend, ws2__epoll_backend;

/* The request's msghdr, ready for sendmsg/recvmsg. */
struct msghdr *ws2__req_msg(struct ws2__req *r, int dir);
/* Takes q's head off the queue (q->lock held). */
struct ws2__req *ws2__q_pop(struct ws2__ioq *q);
/* True when res is a datagram send's ECONNREFUSED, which Linux gives for
 * a port-unreachable an earlier datagram earned: the send is to be made
 * again in its place (counted in r->refused, a few times at most). */
int ws2__req_refused(const struct ws2__ioq *q, struct ws2__req *r, int res);
/* A finished connect's outcome: 0 or -errno (SO_ERROR). */
int ws2__so_error(int fd);
/* Calls r->done with the result (no lock held). */
void ws2__req_finish(struct ws2__req *r, int res, int msg_flags);

#endif
