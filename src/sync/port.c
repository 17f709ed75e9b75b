/*
 * port.c - I/O completion ports: a FIFO of completion packets in the handle
 * table, and the threads that wait on it.
 *
 * No thread of our own carries packets: whoever completes a request (the
 * engine's reaper, or the caller for an immediate completion) posts
 * straight into the port. A waiting thread hangs a link on the port's
 * stack of waiters (on its own stack, as a wait on an event does) and
 * sleeps on its thread's futex word; a post pops the most recent waiter
 * (Windows wakes LIFO, so the thread whose cache is warm works on),
 * hands it the oldest packet under the port's lock and pokes its word.
 * Handing the packet over, rather than waking a thread to race for it,
 * keeps delivery FIFO and wakes exactly one thread per packet.
 *
 * Concurrency (NumberOfConcurrentThreads): a thread that dequeued counts
 * as running on that port until it calls for a packet again, on any port,
 * or exits; a packet goes to a waiter only while fewer than the port's
 * value run. Windows also stops counting a thread that blocks elsewhere;
 * we cannot see that, so such a thread keeps counting until it returns.
 */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "spi/handle.h"
#include "sync/sync_int.h"
#include "windows.h"

/* Packets kept for reuse per port, so that steady traffic allocates none. */
#define SPARE_MAX 256

enum { W_WAITING, W_HANDED, W_ABANDONED };

struct pkt {
    struct pkt *next;
    ULONG_PTR key;
    LPWSAOVERLAPPED ov;
    DWORD bytes, status;
};

/* One thread waiting on one port; lives on the waiter's stack. */
struct pwaiter {
    struct pwaiter *prev, *next;
    struct ws2__thread *t;
    _Atomic int state;
    struct pkt *got; /* the packet handed over, under the port's lock */
};

struct ws2__port {
    /* One for the handle slot, one per thread running on the port. */
    _Atomic int refs;
    pthread_mutex_t lock;
    struct pkt *head, *tail;
    struct pkt *spare;
    unsigned nspare;
    struct pwaiter *waiters; /* a stack: the head waited last */
    unsigned max_running, running;
    int closed;
};

/* ---- the port object ---- */

static void port_unref(struct ws2__port *p)
{
    if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 1)
        return;
    struct pkt *lists[2] = {p->head, p->spare};
    for (int i = 0; i < 2; i++)
        for (struct pkt *k = lists[i], *n; k; k = n) {
            n = k->next;
            free(k);
        }
    pthread_mutex_destroy(&p->lock);
    free(p);
}

static void port_release(DWORD_PTR ctx)
{
    port_unref((struct ws2__port *)ctx);
}

HANDLE ws2__port_create(DWORD concurrency, int *err)
{
    struct ws2__port *p = calloc(1, sizeof(*p));
    if (!p) {
        *err = ERROR_NOT_ENOUGH_MEMORY;
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    atomic_init(&p->refs, 1);
    if (!concurrency) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        concurrency = n > 0 ? (DWORD)n : 1;
    }
    p->max_running = concurrency;
    int herr;
    SOCKET h = ws2__handle_create(0, NULL, (DWORD_PTR)p, port_release, &herr);
    if (h == INVALID_SOCKET) {
        port_unref(p);
        *err = ERROR_NOT_ENOUGH_MEMORY;
        return NULL;
    }
    return (HANDLE)(uintptr_t)h;
}

struct ws2__slot *ws2__port_ref(HANDLE h, struct ws2__port **port)
{
    /* Sockets and events share the table; our release hook marks a port. */
    struct ws2__slot *slot =
        ws2__handle_ref_kind((SOCKET)(uintptr_t)h, port_release);
    if (slot)
        *port = (struct ws2__port *)slot->ctx;
    return slot;
}

struct ws2__port *ws2__port_of(struct ws2__slot *slot)
{
    return (struct ws2__port *)slot->ctx;
}

/* ---- packets ---- */

static struct pkt *spare_take(struct ws2__port *p)
{
    struct pkt *k = p->spare;
    if (k) {
        p->spare = k->next;
        p->nspare--;
    }
    return k;
}

static void spare_put(struct ws2__port *p, struct pkt *k)
{
    if (p->nspare >= SPARE_MAX) {
        free(k);
        return;
    }
    k->next = p->spare;
    p->spare = k;
    p->nspare++;
}

static struct pkt *queue_pop(struct ws2__port *p)
{
    struct pkt *k = p->head;
    if (k) {
        p->head = k->next;
        if (!p->head)
            p->tail = NULL;
    }
    return k;
}

/* Copies k out and keeps its memory for the next post. */
static void consume(struct ws2__port *p, struct pkt *k,
                    struct ws2__packet_out *out)
{
    *out = (struct ws2__packet_out){k->key, k->ov, k->bytes, k->status};
    spare_put(p, k);
}

/* Under the lock: when a packet waits, a thread waits and the port may
 * run one more, hands the oldest packet to the most recent waiter and
 * returns its thread (to poke once the lock is dropped), else NULL. The
 * thread record outlives the waiter's link: records are never freed, and
 * a poke that comes late only wakes a thread to check again. */
static struct ws2__thread *dispatch(struct ws2__port *p)
{
    struct pwaiter *w = p->waiters;
    if (!w || !p->head || p->running >= p->max_running)
        return NULL;
    p->waiters = w->next;
    if (w->next)
        w->next->prev = NULL;
    w->got = queue_pop(p);
    p->running++;
    struct ws2__thread *t = w->t;
    atomic_store_explicit(&w->state, W_HANDED, memory_order_release);
    return t;
}

int ws2__port_post(struct ws2__port *p, ULONG_PTR key, LPWSAOVERLAPPED ov,
                   DWORD bytes, DWORD status)
{
    pthread_mutex_lock(&p->lock);
    struct pkt *k = spare_take(p);
    if (!k) {
        pthread_mutex_unlock(&p->lock);
        k = malloc(sizeof(*k));
        if (!k)
            return ERROR_NOT_ENOUGH_MEMORY;
        pthread_mutex_lock(&p->lock);
    }
    if (p->closed) {
        /* Nobody can dequeue from a closed port. */
        spare_put(p, k);
        pthread_mutex_unlock(&p->lock);
        return 0;
    }
    *k = (struct pkt){NULL, key, ov, bytes, status};
    if (p->tail)
        p->tail->next = k;
    else
        p->head = k;
    p->tail = k;
    struct ws2__thread *t = dispatch(p);
    pthread_mutex_unlock(&p->lock);
    if (t)
        ws2__thread_poke(t);
    return 0;
}

int ws2__port_close(HANDLE h)
{
    struct ws2__port *p;
    struct ws2__slot *slot = ws2__port_ref(h, &p);
    if (!slot)
        return ERROR_INVALID_HANDLE;
    if (ws2__handle_close((SOCKET)(uintptr_t)h) != 0) {
        ws2__handle_unref(slot); /* another thread closed it first */
        return ERROR_INVALID_HANDLE;
    }
    /* Every thread waiting now is told the port went away (Windows:
     * ERROR_ABANDONED_WAIT_0). Each holds its own reference on the slot,
     * so the object outlives their waits. */
    pthread_mutex_lock(&p->lock);
    p->closed = 1;
    struct pwaiter *w = p->waiters;
    p->waiters = NULL;
    while (w) {
        struct pwaiter *next = w->next;
        struct ws2__thread *t = w->t;
        atomic_store_explicit(&w->state, W_ABANDONED, memory_order_release);
        ws2__thread_poke(t);
        w = next;
    }
    pthread_mutex_unlock(&p->lock);
    ws2__handle_unref(slot);
    return 0;
}

/* ---- which port the calling thread runs on ---- */

static WS2__TLS struct ws2__port *running_on;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t exit_key;
static int key_ok;

/* The thread stops counting on p (it asks again elsewhere, or exits): a
 * packet held back by the concurrency limit may go to a waiter now. */
static void leave(struct ws2__port *p)
{
    pthread_mutex_lock(&p->lock);
    p->running--;
    struct ws2__thread *t = dispatch(p);
    pthread_mutex_unlock(&p->lock);
    if (t)
        ws2__thread_poke(t);
    port_unref(p);
}

static void thread_exit(void *arg)
{
    running_on = NULL;
    leave(arg);
}

static void make_key(void)
{
    key_ok = pthread_key_create(&exit_key, thread_exit) == 0;
}

static void set_running(struct ws2__port *p)
{
    running_on = p;
    if (key_ok)
        pthread_setspecific(exit_key, p);
}

/* ---- dequeuing ---- */

/* Under the lock: up to max queued packets into out. */
static unsigned take(struct ws2__port *p, struct ws2__packet_out *out,
                     unsigned max)
{
    unsigned n = 0;
    struct pkt *k;
    while (n < max && (k = queue_pop(p)))
        consume(p, k, &out[n++]);
    return n;
}

static void unlink_waiter(struct ws2__port *p, struct pwaiter *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        p->waiters = w->next;
    if (w->next)
        w->next->prev = w->prev;
}

/* Sleeps until w is handed a packet or abandoned, an APC arrives (alert),
 * or the deadline passes. */
static void sleep_on(struct ws2__thread *t, struct pwaiter *w, int alert,
                     DWORD timeout)
{
    struct timespec deadline;
    int infinite = timeout == INFINITE;
    if (!infinite)
        ws2__deadline_after(timeout, &deadline);
    for (;;) {
        uint32_t seq = atomic_load(&t->word);
        if (atomic_load_explicit(&w->state, memory_order_acquire) !=
            W_WAITING)
            return;
        if (alert && atomic_load(&t->napc))
            return;
        if (!infinite && ws2__deadline_passed(&deadline))
            return;
        ws2__thread_park(t, seq, infinite ? NULL : &deadline);
    }
}

unsigned ws2__port_get(struct ws2__port *p, struct ws2__packet_out *out,
                       unsigned max, DWORD timeout, BOOL alertable,
                       DWORD *err)
{
    struct ws2__thread *t = ws2__thread_self();
    if (!t) {
        *err = ERROR_NOT_ENOUGH_MEMORY;
        return 0;
    }
    pthread_once(&key_once, make_key);
    /* Completion routines never nest: inside one, no wait is alertable. */
    int alert = alertable && !t->in_apc;

    /* Asking again ends the thread's turn as a running thread. Its
     * reference on p, if it ran here, carries over to this turn. */
    struct ws2__port *prev = running_on;
    int held = prev == p;
    set_running(NULL);
    if (prev && !held)
        leave(prev);

    pthread_mutex_lock(&p->lock);
    if (held)
        p->running--;
    unsigned n = 0;
    if (p->running < p->max_running)
        n = take(p, out, max);
    if (n) {
        p->running++;
        pthread_mutex_unlock(&p->lock);
        goto running;
    }
    /* Our turn ended: a packet the limit held back may go to a waiter. */
    struct ws2__thread *other = dispatch(p);
    if (p->closed || timeout == 0 || (alert && atomic_load(&t->napc))) {
        int closed = p->closed;
        pthread_mutex_unlock(&p->lock);
        if (other)
            ws2__thread_poke(other);
        *err = closed ? ERROR_ABANDONED_WAIT_0 : WAIT_TIMEOUT;
        goto not_running;
    }
    struct pwaiter w = {NULL, p->waiters, t, W_WAITING, NULL};
    if (p->waiters)
        p->waiters->prev = &w;
    p->waiters = &w;
    pthread_mutex_unlock(&p->lock);
    if (other)
        ws2__thread_poke(other);

    if (alert) /* before looking at napc: see after_queue in thread.c */
        atomic_store(&t->alert_wait, 1);
    sleep_on(t, &w, alert, timeout);
    if (alert)
        atomic_store(&t->alert_wait, 0);

    pthread_mutex_lock(&p->lock);
    int st = atomic_load_explicit(&w.state, memory_order_acquire);
    if (st == W_HANDED) {
        /* running was counted for us by whoever handed the packet; a
         * batch takes what else is queued, as one running thread. */
        consume(p, w.got, &out[0]);
        n = 1 + take(p, out + 1, max - 1);
        pthread_mutex_unlock(&p->lock);
        goto running;
    }
    if (st == W_WAITING)
        unlink_waiter(p, &w);
    pthread_mutex_unlock(&p->lock);
    *err = st == W_ABANDONED ? ERROR_ABANDONED_WAIT_0 : WAIT_TIMEOUT;

not_running:
    if (held)
        port_unref(p);
    if (*err == WAIT_TIMEOUT && alert && atomic_load(&t->napc)) {
        ws2__apc_run(t);
        *err = WAIT_IO_COMPLETION;
    }
    return 0;

running:
    if (!held)
        atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
    set_running(p);
    return n;
}
