/*
 * transmit.c - TransmitFile, the extension function WSAID_TRANSMITFILE
 * fetches: the head buffer, bytes of a file and the tail buffer, sent as
 * ONE stream request of the socket's send queue, so that they go on the
 * wire after the sends posted before and before those posted after.
 *
 * The file goes in windows mapped read-only (src/sync/file.c) that the
 * engine sends like any buffer - sendmsg with MSG_DONTWAIT, or io_uring's
 * SENDMSG - asking for the next window when one has gone (ws2__req_x.more).
 * So a blocking socket never blocks the reaper (sendfile(2) has no
 * MSG_DONTWAIT and would need the socket's O_NONBLOCK toggled under other
 * threads' calls), a request in the kernel is cancelled as any send is,
 * and the cost is one copy from the page cache.
 *
 * Without lpOverlapped, or on a socket made without WSA_FLAG_OVERLAPPED,
 * the call waits for the same request to complete (through a private
 * event, kept off the socket's completion port), so its bytes keep their
 * place in the queue too.
 */
#include <errno.h>
#include <stdlib.h>

#include "sync/sync.h"
#include "tcpip/oreq.h"

/* "The maximum number of bytes that can be transmitted using a single call
 * to the TransmitFile function is 2,147,483,646" (Microsoft's page): head,
 * file and tail together. */
#define TF_MAX_BYTES 2147483646u
#define TF_KNOWN_FLAGS                                                         \
    (TF_DISCONNECT | TF_REUSE_SOCKET | TF_WRITE_BEHIND |                       \
     TF_USE_SYSTEM_THREAD | TF_USE_KERNEL_APC)

/* The file part of a request (oreq.ext). */
struct tf {
    struct ws2__slot *fslot; /* the file's handle, kept for the transfer */
    int fd;
    uint64_t off, left;  /* next byte to map, bytes still to map */
    uint64_t asked;      /* nNumberOfBytesToWrite, or the rest of the file */
    uint64_t file_bytes; /* what of it the file has */
    int64_t pointer;     /* where the file pointer goes after, or -1 */
    void *base;          /* the window mapped now */
    size_t maplen;
    struct iovec tail;
    /* The request's iovecs: head, a file window and the tail at most (the
     * engine's request has room for one inline). */
    struct iovec iov[3];
    struct ws2__req_x x; /* the request's more: tf_more */
    int tail_queued;
    int map_err; /* -errno of a window that could not be mapped */
    DWORD flags; /* TF_* */
};

static BOOL fail(int err)
{
    WSASetLastError(err);
    return FALSE;
}

static void tf_free(struct tf *t)
{
    if (!t)
        return;
    ws2__file_unmap(t->base, t->maplen);
    if (t->fslot)
        ws2__handle_unref(t->fslot);
    free(t);
}

/* Appends the next window of the file, and the tail after the last one,
 * to r's iovecs. */
static void tf_append(struct ws2__req *r, struct tf *t)
{
    if (t->left) {
        size_t len = t->left < WS2__TF_WINDOW ? (size_t)t->left
                                              : WS2__TF_WINDOW;
        int e = 0;
        void *p = ws2__file_map(t->fd, t->off, len, &t->base, &t->maplen,
                                &e);
        if (!p) {
            t->map_err = e;
            return;
        }
        t->off += len;
        t->left -= len;
        r->iov[r->niov].iov_base = p;
        r->iov[r->niov++].iov_len = len;
    }
    if (!t->left && !t->tail_queued) {
        t->tail_queued = 1;
        if (t->tail.iov_len)
            r->iov[r->niov++] = t->tail;
    }
}

/* The engine's ws2__req_x.more: the previous window has gone. */
static int tf_more(struct ws2__req *r)
{
    struct tf *t = ((struct oreq *)r)->ext;
    ws2__file_unmap(t->base, t->maplen);
    t->base = NULL;
    r->iov = t->iov;
    r->niov = 0;
    if (!t->map_err)
        tf_append(r, t);
    return r->niov > 0 && !t->map_err;
}

static DWORD tf_error(struct oreq *o, int lerr)
{
    struct ws2__tsock *sk = oreq_sk(o);
    if (lerr == -ECANCELED || atomic_load(&sk->closing))
        return WSA_OPERATION_ABORTED;
    if (lerr == -EPIPE)
        return atomic_load(&sk->shut_send) ? WSAESHUTDOWN : WSAECONNRESET;
    return (DWORD)ws2__wsa_error(-lerr, WS2__OP_SEND);
}

/* The engine's answer, on any thread. */
static void tf_done(struct ws2__req *r, int lerr, size_t bytes,
                    int msg_flags)
{
    (void)msg_flags;
    struct oreq *o = (struct oreq *)r;
    struct tf *t = o->ext;
    DWORD err = 0;
    if (lerr < 0)
        err = tf_error(o, lerr);
    else if (t->map_err)
        err = (DWORD)ws2__wsa_error(-t->map_err, WS2__OP_ANY);
    if (!err && t->pointer >= 0)
        ws2__file_seek(t->fd, t->pointer, SEEK_SET);
    /* TF_DISCONNECT: once everything has been handed to the transport. */
    if (!err && (t->flags & TF_DISCONNECT))
        err = (DWORD)ws2__tcpip_disconnect(oreq_sk(o), t->flags);
    tf_free(t);
    o->ext = NULL;
    o->r.x = NULL;
    ws2__oreq_deliver(o, err, (DWORD)bytes, 0);
}

static int check_call(struct ws2__tsock *sk, LPOVERLAPPED ov,
                      const TRANSMIT_FILE_BUFFERS *bufs, DWORD flags)
{
    if ((ov && ws2__bad_ptr(ov)) ||
        (bufs && (ws2__bad_ptr(bufs) ||
                  (bufs->HeadLength && ws2__bad_ptr(bufs->Head)) ||
                  (bufs->TailLength && ws2__bad_ptr(bufs->Tail)))))
        return WSAEFAULT;
    /* Wine's test_TransmitFile (passes on Windows): an unconnected stream
     * and a datagram socket are WSAENOTCONN, before the flags are looked
     * at (TF_REUSE_SOCKET alone on an unconnected socket). */
    if (sk->type != SOCK_STREAM || !atomic_load(&sk->connected) ||
        atomic_load(&sk->connecting))
        return WSAENOTCONN;
    if (atomic_load(&sk->shut_send))
        return WSAESHUTDOWN;
    /* TF_REUSE_SOCKET "is valid only if TF_DISCONNECT is also specified". */
    if ((flags & ~(DWORD)TF_KNOWN_FLAGS) ||
        ((flags & TF_REUSE_SOCKET) && !(flags & TF_DISCONNECT)))
        return WSAEINVAL;
    return ws2__engine_start() ? WSAENOBUFS : 0;
}

/* The file's part: where it starts (lpOverlapped's Offset/OffsetHigh, or
 * the file pointer), how many bytes (count, or all to the end; never past
 * the end). */
static int tf_file(struct tf *t, HANDLE file, DWORD count, LPOVERLAPPED ov)
{
    unsigned fflags;
    t->pointer = -1;
    if (!file)
        return 0;
    t->fslot = ws2__file_ref(file, &t->fd, &fflags);
    if (!t->fslot)
        return ERROR_INVALID_HANDLE;
    if (!(fflags & WS2__FILE_READ))
        return WSAEACCES;
    int64_t size, pos;
    int regular;
    int e = ws2__file_stat(t->fd, &size, &regular);
    if (e)
        return ws2__wsa_error(-e, WS2__OP_ANY);
    if (!regular)
        return WSAEINVAL;
    uint64_t start;
    if (ov) {
        start = (uint64_t)ov->OffsetHigh << 32 | ov->Offset;
    } else if ((pos = ws2__file_seek(t->fd, 0, SEEK_CUR)) < 0) {
        return ws2__wsa_error((int)-pos, WS2__OP_ANY);
    } else {
        start = (uint64_t)pos;
    }
    uint64_t avail = start < (uint64_t)size ? (uint64_t)size - start : 0;
    t->asked = count ? count : avail;
    t->off = start;
    t->left = t->file_bytes = t->asked < avail ? t->asked : avail;
    /* Without lpOverlapped the file pointer moves past what was sent, as
     * a read of those bytes would move it. */
    if (!ov)
        t->pointer = (int64_t)(start + t->file_bytes);
    return 0;
}

/* A request holding the head, the first window and (when it is the last)
 * the tail; or NULL with *err. */
static struct oreq *tf_request(SOCKET s, struct tf *t,
                               const TRANSMIT_FILE_BUFFERS *bufs, int *err)
{
    struct oreq *o = calloc(1, sizeof(*o));
    struct ws2__slot *slot = o ? ws2__handle_ref(s) : NULL;
    if (!slot) {
        *err = o ? WSAENOTSOCK : WSAENOBUFS;
        free(o);
        return NULL;
    }
    o->slot = slot;
    o->recv = WS2__DIR_SEND;
    o->ext = t;
    o->r.stream = 1;
    o->r.done = tf_done;
    t->x.more = tf_more;
    o->r.x = &t->x;
    o->r.iov = t->iov;
    if (bufs && bufs->HeadLength) {
        o->r.iov[0].iov_base = bufs->Head;
        o->r.iov[0].iov_len = bufs->HeadLength;
        o->r.niov = 1;
    }
    tf_append(&o->r, t);
    if (t->map_err) {
        *err = ws2__wsa_error(-t->map_err, WS2__OP_ANY);
        o->ext = NULL;
        o->r.x = NULL;
        ws2__oreq_free(o);
        return NULL;
    }
    return o;
}

/* A call that waits (no lpOverlapped, or a non-overlapped socket): the
 * request completes into an OVERLAPPED of our own, whose event has the low
 * bit set so that no packet goes to the socket's completion port. */
static int tf_wait(struct oreq *o, struct tf *t, DWORD *bytes)
{
    int err;
    WSAEVENT ev = ws2__event_create(&err);
    if (ev == WSA_INVALID_EVENT) {
        ws2__oreq_free(o);
        tf_free(t);
        return WSAENOBUFS;
    }
    WSAOVERLAPPED mine = {0};
    mine.hEvent = (HANDLE)((uintptr_t)ev | 1);
    if (ws2__oreq_start(o, &mine, &err) == SOCKET_ERROR &&
        err != WSA_IO_PENDING) {
        ws2__event_close(ev);
        tf_free(t); /* not started: nothing else will */
        return err;
    }
    ws2__wait(1, &ev, TRUE, WSA_INFINITE, FALSE, &err);
    ws2__event_close(ev);
    *bytes = (DWORD)mine.InternalHigh;
    err = (int)__atomic_load_n(&mine.Internal, __ATOMIC_ACQUIRE);
    /* A closesocket ends a blocked call with WSAEINTR (see closesocket). */
    return err == WSA_OPERATION_ABORTED ? WSAEINTR : err;
}

/* Starts the request (overlapped), or carries it out. */
static int tf_run(SOCKET s, struct ws2__tsock *sk, struct oreq *o,
                  struct tf *t, LPOVERLAPPED ov)
{
    int err;
    if (ov && ws2__tcpip_overlapped(sk, ov, NULL)) {
        if (ws2__oreq_start(o, ov, &err) == SOCKET_ERROR &&
            err != WSA_IO_PENDING)
            tf_free(t); /* not started: nothing else will */
        return err;
    }
    DWORD bytes = 0;
    err = tf_wait(o, t, &bytes);
    if (ov) /* a non-overlapped socket: the OVERLAPPED still completes */
        ws2__tcpip_complete_now(s, ov, NULL, NULL, (DWORD)err, bytes, 0);
    return err;
}

BOOL PASCAL ws2__tcpip_TransmitFile(SOCKET s, HANDLE hFile, DWORD count,
                                    DWORD per_send, LPOVERLAPPED ov,
                                    LPTRANSMIT_FILE_BUFFERS bufs,
                                    DWORD flags)
{
    /* The sockets layer picks the size of its sends; on a stream the
     * receiver cannot see them. */
    (void)per_send;
    struct ws2__slot *slot;
    int err;
    struct ws2__tsock *sk = ws2__tcpip_get(s, &slot, &err);
    if (!sk)
        return fail(WSAENOTSOCK);
    struct tf *t = NULL;
    struct oreq *o = NULL;
    err = check_call(sk, ov, bufs, flags);
    if (!err && !(t = calloc(1, sizeof(*t))))
        err = WSAENOBUFS;
    if (!err) {
        t->flags = flags;
        DWORD head = bufs ? bufs->HeadLength : 0;
        if (bufs && bufs->TailLength) {
            t->tail.iov_base = bufs->Tail;
            t->tail.iov_len = bufs->TailLength;
        }
        err = tf_file(t, hFile, count, ov);
        if (!err && (uint64_t)head + t->tail.iov_len + t->asked >
                        TF_MAX_BYTES)
            err = WSAEINVAL;
    }
    if (!err)
        o = tf_request(s, t, bufs, &err);
    if (err)
        tf_free(t);
    else
        err = tf_run(s, sk, o, t, ov);
    ws2__tcpip_put(slot);
    if (err)
        return fail(err);
    WSASetLastError(0);
    return TRUE;
}
