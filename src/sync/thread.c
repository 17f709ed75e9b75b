/*
 * thread.c - per-thread records, their APC queues and their futex word.
 *
 * A record is made the first time a thread needs one (a wait, an
 * overlapped call, WPUOpenCurrentThread) and marked dead by a pthread key
 * destructor when the thread exits; APCs still queued then are dropped
 * (the library's own routines release their contexts: ws2__apc_on_drop),
 * and APCs queued later are dropped on arrival: a completion routine runs
 * only in the thread that started the request, as on Windows. Records go
 * back to a pool instead of to free(), so a pointer a provider kept (a
 * WSATHREADID) always reads valid memory; the generation in
 * WSATHREADID.Reserved tells an old life of the record from the current.
 */
#include <errno.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "sync/sync_int.h"

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t exit_key;
static int key_ok;
static WS2__TLS struct ws2__thread *self;

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ws2__thread *pool;
static DWORD_PTR next_gen = 1;

/* Puts a list of entries on t's spare list; t->lock held. */
static void spare_locked(struct ws2__thread *t, struct ws2__apc *a)
{
    while (a) {
        struct ws2__apc *next = a->next;
        a->next = t->spare;
        t->spare = a;
        a = next;
    }
}

/* A queue entry: a spare one, or a new one; t->lock held. */
static struct ws2__apc *entry_locked(struct ws2__thread *t)
{
    struct ws2__apc *a = t->spare;
    if (!a)
        return malloc(sizeof(*a));
    t->spare = a->next;
    return a;
}

/* The routines whose dropped APCs release their context. */
#define DROPS_MAX 4
static struct {
    _Atomic(LPWSAUSERAPC) fn; /* published after drop */
    void (*drop)(DWORD_PTR ctx);
} drops[DROPS_MAX];
static pthread_mutex_t drops_lock = PTHREAD_MUTEX_INITIALIZER;

void ws2__apc_on_drop(LPWSAUSERAPC fn, void (*drop)(DWORD_PTR ctx))
{
    pthread_mutex_lock(&drops_lock);
    for (int i = 0; i < DROPS_MAX; i++) {
        LPWSAUSERAPC f = atomic_load_explicit(&drops[i].fn,
                                              memory_order_relaxed);
        if (f == fn)
            break;
        if (!f) {
            drops[i].drop = drop;
            atomic_store_explicit(&drops[i].fn, fn, memory_order_release);
            break;
        }
    }
    pthread_mutex_unlock(&drops_lock);
}

static void drop_one(const struct ws2__apc *a)
{
    for (int i = 0; i < DROPS_MAX; i++)
        if (atomic_load_explicit(&drops[i].fn, memory_order_acquire) ==
            a->fn) {
            drops[i].drop(a->ctx);
            return;
        }
}

/* Runs at thread exit (pthread key destructor). APCs still queued are
 * dropped (their contexts released, where the routine's owner said how,
 * outside the lock); their entries stay with the record, which is
 * pooled. */
static void thread_exit(void *arg)
{
    struct ws2__thread *t = arg;
    ws2__mutex_abandon_all(t, ws2__tid_self());
    pthread_mutex_lock(&t->lock);
    t->dead = 1;
    struct ws2__apc *left = t->head;
    spare_locked(t, t->ran);
    t->head = t->tail = NULL;
    t->ran = NULL;
    atomic_store(&t->napc, 0);
    pthread_mutex_unlock(&t->lock);
    if (left) {
        for (const struct ws2__apc *a = left; a; a = a->next)
            drop_one(a);
        pthread_mutex_lock(&t->lock);
        spare_locked(t, left);
        pthread_mutex_unlock(&t->lock);
    }
    if (self == t)
        self = NULL;
    ws2__thread_unref(t);
}

static void make_key(void)
{
    key_ok = pthread_key_create(&exit_key, thread_exit) == 0;
}

static struct ws2__thread *record_get(void)
{
    pthread_mutex_lock(&pool_lock);
    struct ws2__thread *t = pool;
    if (t)
        pool = t->pool_next;
    DWORD_PTR gen = next_gen++;
    pthread_mutex_unlock(&pool_lock);
    if (!t) {
        t = calloc(1, sizeof(*t));
        if (!t)
            return NULL;
        pthread_mutex_init(&t->lock, NULL);
    }
    pthread_mutex_lock(&t->lock);
    t->gen = gen;
    t->dead = 0;
    t->head = t->tail = NULL;
    t->in_apc = 0;
    t->ran = NULL;
    t->owned = NULL;
    t->pool_next = NULL;
    pthread_mutex_unlock(&t->lock);
    atomic_store(&t->napc, 0);
    atomic_store(&t->alert_wait, 0);
    atomic_store(&t->refs, 1); /* the thread's own, dropped at exit */
    atomic_store(&t->magic, WS2__THREAD_LIVE);
    return t;
}

struct ws2__thread *ws2__thread_self(void)
{
    if (self)
        return self;
    pthread_once(&key_once, make_key);
    if (!key_ok)
        return NULL;
    struct ws2__thread *t = record_get();
    if (!t)
        return NULL;
    if (pthread_setspecific(exit_key, t) != 0) {
        ws2__thread_unref(t);
        return NULL;
    }
    self = t;
    return t;
}

void ws2__thread_ref(struct ws2__thread *t)
{
    atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
}

void ws2__thread_unref(struct ws2__thread *t)
{
    if (atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) != 1)
        return;
    atomic_store(&t->magic, WS2__THREAD_FREE);
    pthread_mutex_lock(&pool_lock);
    t->pool_next = pool;
    pool = t;
    pthread_mutex_unlock(&pool_lock);
}

/* ---- the futex word ---- */

static long futex(_Atomic uint32_t *w, int op, uint32_t val,
                  const struct timespec *ts)
{
    return syscall(SYS_futex, (uint32_t *)w, op, val, ts, NULL, 0);
}

void ws2__thread_poke(struct ws2__thread *t)
{
    atomic_fetch_add_explicit(&t->word, 1, memory_order_seq_cst);
    futex(&t->word, FUTEX_WAKE_PRIVATE, 1, NULL);
}

void ws2__deadline_after(DWORD ms, struct timespec *d)
{
    clock_gettime(CLOCK_MONOTONIC, d);
    d->tv_sec += ms / 1000;
    d->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (d->tv_nsec >= 1000000000L) {
        d->tv_nsec -= 1000000000L;
        d->tv_sec++;
    }
}

int ws2__deadline_passed(const struct timespec *d)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > d->tv_sec ||
           (now.tv_sec == d->tv_sec && now.tv_nsec >= d->tv_nsec);
}

void ws2__thread_park(struct ws2__thread *t, uint32_t seq,
                      const struct timespec *deadline)
{
    struct timespec rel, *relp = NULL;
    if (deadline) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        rel.tv_sec = deadline->tv_sec - now.tv_sec;
        rel.tv_nsec = deadline->tv_nsec - now.tv_nsec;
        if (rel.tv_nsec < 0) {
            rel.tv_nsec += 1000000000L;
            rel.tv_sec--;
        }
        if (rel.tv_sec < 0)
            return; /* the caller sees the deadline has passed */
        relp = &rel;
    }
    /* EAGAIN (the word moved), EINTR and spurious wake-ups all return to
     * the caller, which checks its conditions again. FUTEX_WAIT's relative
     * timeout is measured on CLOCK_MONOTONIC. */
    futex(&t->word, FUTEX_WAIT_PRIVATE, seq, relp);
}

/* ---- APCs ---- */

/* Queues fn(ctx) unless t has exited: 1, 0, or -1 without memory. */
static int queue_locked(struct ws2__thread *t, LPWSAUSERAPC fn,
                        DWORD_PTR ctx)
{
    if (t->dead)
        return 0;
    struct ws2__apc *a = entry_locked(t);
    if (!a)
        return -1;
    *a = (struct ws2__apc){NULL, fn, ctx};
    if (t->tail)
        t->tail->next = a;
    else
        t->head = a;
    t->tail = a;
    atomic_fetch_add(&t->napc, 1);
    return 1;
}

static void after_queue(struct ws2__thread *t)
{
    /* Pairs with the waiter's store of alert_wait before it looks at napc
     * (both sequentially consistent): either it sees the APC or we see it
     * waiting and wake it. */
    if (atomic_load(&t->alert_wait))
        ws2__thread_poke(t);
}

/* What queue_locked's answer means to the caller. */
static int queued_result(struct ws2__thread *t, int queued)
{
    if (queued < 0)
        return WSA_NOT_ENOUGH_MEMORY;
    /* The thread has exited: refused, so that the caller can release what
     * the APC would have (Windows' QueueUserAPC fails too). */
    if (!queued)
        return WSAEINVAL;
    after_queue(t);
    return 0;
}

int ws2__apc_queue(struct ws2__thread *t, LPWSAUSERAPC fn, DWORD_PTR ctx)
{
    pthread_mutex_lock(&t->lock);
    int queued = queue_locked(t, fn, ctx);
    pthread_mutex_unlock(&t->lock);
    return queued_result(t, queued);
}

static int is_record(const struct ws2__thread *t)
{
    uint32_t m = atomic_load((_Atomic uint32_t *)&t->magic);
    return m == WS2__THREAD_LIVE || m == WS2__THREAD_FREE;
}

int ws2__apc_queue_id(const WSATHREADID *tid, LPWSAUSERAPC fn, DWORD_PTR ctx)
{
    if (!tid || !tid->ThreadHandle || !fn)
        return WSAEFAULT;
    struct ws2__thread *t = tid->ThreadHandle;
    if (!is_record(t))
        return WSAEFAULT;
    pthread_mutex_lock(&t->lock);
    /* Another life of the record means the thread tid named has exited:
     * the caller still owns ctx. */
    int queued = t->gen == tid->Reserved ? queue_locked(t, fn, ctx) : 0;
    pthread_mutex_unlock(&t->lock);
    return queued_result(t, queued);
}

void ws2__apc_run(struct ws2__thread *t)
{
    /* The batch is what was queued when the wait ended; routines queued by
     * these routines wait for the next alertable wait, so a routine that
     * keeps re-queuing cannot hold the thread in here for ever. */
    pthread_mutex_lock(&t->lock);
    struct ws2__apc *a = t->head;
    t->head = t->tail = NULL;
    atomic_store(&t->napc, 0);
    spare_locked(t, t->ran);
    pthread_mutex_unlock(&t->lock);
    /* The batch's entries stay listed (t->ran) while the routines run:
     * they go back to the spare list at the next batch. */
    t->ran = a;
    t->in_apc = 1;
    while (a) {
        struct ws2__apc *next = a->next;
        a->fn(a->ctx);
        a = next;
    }
    t->in_apc = 0;
}

/* ---- WSATHREADID ---- */

int ws2__thread_open(LPWSATHREADID tid, int take_ref)
{
    struct ws2__thread *t = ws2__thread_self();
    if (!t)
        return WSA_NOT_ENOUGH_MEMORY;
    if (take_ref)
        ws2__thread_ref(t);
    pthread_mutex_lock(&t->lock);
    tid->Reserved = t->gen;
    pthread_mutex_unlock(&t->lock);
    tid->ThreadHandle = (HANDLE)t;
    return 0;
}

int ws2__thread_close(LPWSATHREADID tid)
{
    if (!tid || !tid->ThreadHandle)
        return WSAEFAULT;
    struct ws2__thread *t = tid->ThreadHandle;
    if (atomic_load(&t->magic) != WS2__THREAD_LIVE)
        return WSAEFAULT;
    pthread_mutex_lock(&t->lock);
    int same = t->gen == tid->Reserved;
    pthread_mutex_unlock(&t->lock);
    if (!same)
        return WSAEFAULT;
    ws2__thread_unref(t);
    tid->ThreadHandle = NULL;
    return 0;
}
