/*
 * engine.h - the overlapped engine: per-socket ordered queues of requests,
 * carried out by io_uring (liburing) or, where io_uring is refused or
 * WS2POSIX_ENGINE=epoll, by epoll; a reaper thread finishes them without
 * the caller.
 *
 * The engine speaks Linux (fds, iovecs, -errno) and knows nothing of
 * Windows: the provider fills a request, submits it to one of a socket's
 * two queues (sends, receives) and hears back through r->done, called
 * exactly once per request, from any thread, never under an engine lock.
 * A queue hands only its head to the kernel, so posted buffers go on the
 * wire in the order supplied; a stream send completes only when every byte
 * has been taken.
 */
#ifndef WS2__ENGINE_H
#define WS2__ENGINE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* One iovec lives in the request; more go in an array the submitter
 * allocates with it (a request is one allocation either way). */
#define WS2__REQ_INLINE_IOV 1
/* Room for a Linux socket address: sockaddr_in6 is the longest the
 * provider uses. */
#define WS2__REQ_ADDR 28

enum { WS2__DIR_SEND = 0, WS2__DIR_RECV = 1 };

/* What a request does. A data request moves bytes (sendmsg/recvmsg); an
 * accept request sits in a listening socket's receive queue and ends with
 * the new connection's fd as its result (the peer's Linux address in addr);
 * a connect request sits in the send queue and connects to addr, ending
 * with 0 or the connection's error; a ready request sits in the receive
 * queue and ends with 0 once the socket is readable (for a listener: a
 * connection is queued), taking nothing. */
enum {
    WS2__REQ_DATA = 0,
    WS2__REQ_ACCEPT = 1,
    WS2__REQ_CONNECT = 2,
    WS2__REQ_READY = 3
};

struct ws2__req;
typedef void (*ws2__req_done_fn)(struct ws2__req *r, int err, size_t bytes,
                                 int msg_flags);

/* A request's rare parts, owned by the submitter. */
struct ws2__req_x {
    /* Ancillary data: a send's msg_control bytes, or room for a receive's,
     * whose controllen becomes the bytes received. NULL and 0 for none. */
    void *control;
    size_t controllen;
    /* A stream send whose bytes come in turns (TransmitFile's file
     * windows), NULL otherwise: once iov has all gone, more(r) is called,
     * under the queue's lock on any thread, and returns 1 after pointing
     * iov/niov at the next bytes (at least one), or 0 when the request is
     * complete. The request keeps its place at the head meanwhile, so
     * nothing else on the socket goes between its bytes. */
    int (*more)(struct ws2__req *r);
};

/* A request lives as long as it is outstanding, so its size is the
 * engine's memory per request (168 bytes on LP64): small fields first,
 * packed. */
struct ws2__req {
    /* Filled by the submitter. */
    unsigned char kind;   /* WS2__REQ_*; 0 (data) for sends and receives */
    unsigned char stream; /* a stream send completes only when all went */
    /* Engine-private (here to fill what would be padding). */
    unsigned char cancelled;
    unsigned char polling; /* io_uring: waiting for readiness first */
    unsigned char started; /* a connect handed to Linux, now waiting */
    /* A datagram send's ECONNREFUSED answers: each was a port-unreachable
     * an earlier datagram earned, and the send was made again. */
    unsigned char refused;
    int lflags;     /* Linux MSG_* flags */
    unsigned addrlen;
    struct iovec *iov; /* iov_inline or a heap array the submitter owns */
    struct iovec iov_inline[WS2__REQ_INLINE_IOV];
    /* A send's Linux destination, or room for a receive's source. */
    _Alignas(8) unsigned char addr[WS2__REQ_ADDR];
    uint32_t niov;
    ws2__req_done_fn done;
    /* What few requests need (NULL for the others, so that a request stays
     * small): ancillary data, bytes in turns. */
    struct ws2__req_x *x;
    /* Engine-private from here on. */
    struct ws2__req *next;
    struct ws2__ioq *q;
    size_t sent;       /* a stream send's progress */
    _Alignas(void *) unsigned char msg[56]; /* struct msghdr storage */
};

/* One direction of a socket. */
struct ws2__ioq {
    pthread_mutex_t lock;
    struct ws2__req *head, *tail;
    _Atomic unsigned count;
    int busy;          /* the head is with the kernel / being worked on */
    _Atomic unsigned wake; /* epoll: readiness seen while busy */
    int dir;
    struct ws2__esock *es;
};

/* A socket as the engine knows it. */
struct ws2__esock {
    int fd;
    int registered; /* epoll */
    struct ws2__ioq q[2];
};

/* 0, or -errno when neither backend can start. After the first success
 * a flag answers (no pthread_once on every overlapped call). */
extern _Atomic int ws2__engine_ready;
int ws2__engine_start_once(void);
static inline int ws2__engine_start(void)
{
    if (atomic_load_explicit(&ws2__engine_ready, memory_order_acquire))
        return 0;
    return ws2__engine_start_once();
}
/* "io_uring" or "epoll" (after a successful start). */
const char *ws2__engine_name(void);
void ws2__esock_init(struct ws2__esock *es, int fd);
/* es's fd now names another connection (dup3 over it): the old one's
 * readiness registration went with it. */
void ws2__esock_refd(struct ws2__esock *es);
/* Ends the engine's interest in es (no request may be left): release(arg)
 * then runs once, at once or on the reaper thread when that thread may
 * still look at es. release closes the fd and frees es's memory. */
void ws2__esock_fini(struct ws2__esock *es, void (*release)(void *),
                     void *arg);
/* True while a queue has no request: an immediate attempt may go first. */
static inline int ws2__engine_idle(const struct ws2__esock *es, int dir)
{
    return atomic_load_explicit(&es->q[dir].count, memory_order_acquire) == 0;
}
/* Accounts n bytes of a stream send already taken (by the submitter's own
 * first try, or the kernel); true when all have gone (r->more, when set,
 * having no more to give). */
int ws2__req_advance(struct ws2__req *r, size_t n);
/* Queues r; 0, or -EAGAIN when the queue already holds its maximum. */
int ws2__engine_submit(struct ws2__esock *es, int dir, struct ws2__req *r);
/* Completes every request of both queues for which match(r, arg) is true
 * (all when match is NULL) with -ECANCELED, or with its own result when
 * the kernel finished it first. */
void ws2__engine_cancel(struct ws2__esock *es,
                        int (*match)(struct ws2__req *r, void *arg),
                        void *arg);

#endif
