/*
 * event.c - event objects: manual-reset (WSACreateEvent, CreateEvent) or
 * auto-reset (CreateEvent) events that live in the handle table beside the
 * SOCKETs (catalog id 0, no provider), so a closed or stale event is
 * refused cleanly, and a SOCKET passed as an event too.
 *
 * An auto-reset event stays signalled until a wait it satisfies takes the
 * signal: the waiters a set wakes race for it with one compare-and-swap,
 * and the losers wait on.
 *
 * Set and reset are one compare-and-swap on the state word; a set makes
 * system calls only when some thread has registered itself as waiting on
 * the event (nwaiters != 0), and then wakes exactly those threads. The
 * same object also lives inside a thread handle (threadobj.c), set when
 * its thread ends; ws2__waitable_ref finds either for a wait.
 */
#include <stdlib.h>

#include "spi/handle.h"
#include "sync/sync_int.h"
#include "windows.h"

void ws2__event_init(struct ws2__event *e)
{
    atomic_init(&e->state, 0);
    atomic_init(&e->nwaiters, 0);
    e->kind = WS2__EV_MANUAL;
    pthread_mutex_init(&e->lock, NULL);
    e->waiters = NULL;
    e->count = e->max = 0;
    atomic_init(&e->owner, 0);
    e->recursion = 0;
    e->abandoned = 0;
    atomic_init(&e->refs, 1);
    e->owned_next = NULL;
}

void ws2__event_destroy(struct ws2__event *e)
{
    pthread_mutex_destroy(&e->lock);
}

static void event_unref(struct ws2__event *e)
{
    if (atomic_fetch_sub_explicit(&e->refs, 1, memory_order_acq_rel) != 1)
        return;
    ws2__event_destroy(e);
    free(e);
}

/* The handle is gone; an owned mutex lives on in its owner's list. */
static void event_release(DWORD_PTR ctx)
{
    event_unref((struct ws2__event *)ctx);
}

static SOCKET to_handle(WSAEVENT h)
{
    return (SOCKET)(uintptr_t)h;
}

WSAEVENT ws2__event_create(int *err)
{
    return ws2__event_create_ex(1, 0, err);
}

/* A new object in the table; prepare(e) sets its kind and state. */
static HANDLE create(void (*prepare)(struct ws2__event *e, void *arg),
                     void *arg, struct ws2__event **made, int *err)
{
    struct ws2__event *e = malloc(sizeof(*e));
    if (!e) {
        *err = WSA_NOT_ENOUGH_MEMORY;
        return WSA_INVALID_EVENT;
    }
    ws2__event_init(e);
    prepare(e, arg);
    int herr;
    SOCKET s = ws2__handle_create(0, NULL, (DWORD_PTR)e, event_release, &herr);
    if (s == INVALID_SOCKET) {
        event_release((DWORD_PTR)e);
        /* A full table is, to the caller of WSACreateEvent, a lack of
         * resources; Windows has only WSA_NOT_ENOUGH_MEMORY to say so. */
        *err = WSA_NOT_ENOUGH_MEMORY;
        return WSA_INVALID_EVENT;
    }
    if (made)
        *made = e;
    return (WSAEVENT)(uintptr_t)s;
}

struct event_args {
    int manual, initial;
};

static void prepare_event(struct ws2__event *e, void *arg)
{
    const struct event_args *a = arg;
    e->kind = a->manual ? WS2__EV_MANUAL : WS2__EV_AUTO;
    if (a->initial)
        atomic_store(&e->state, 1);
}

WSAEVENT ws2__event_create_ex(int manual, int initial, int *err)
{
    struct event_args a = {manual, initial};
    return create(prepare_event, &a, NULL, err);
}

static void prepare_semaphore(struct ws2__event *e, void *arg)
{
    const LONG *c = arg;
    e->kind = WS2__EV_SEMAPHORE;
    e->count = c[0];
    e->max = c[1];
    if (e->count > 0)
        atomic_store(&e->state, 1);
}

HANDLE ws2__semaphore_create(LONG initial, LONG max, int *err)
{
    LONG c[2] = {initial, max};
    return create(prepare_semaphore, c, NULL, err);
}

static void prepare_mutex(struct ws2__event *e, void *arg)
{
    (void)arg;
    e->kind = WS2__EV_MUTEX;
    atomic_store(&e->state, 1); /* free */
}

HANDLE ws2__mutex_create(struct ws2__thread *owner, DWORD tid, int *err)
{
    struct ws2__event *e;
    HANDLE h = create(prepare_mutex, NULL, &e, err);
    if (h != WSA_INVALID_EVENT && owner)
        ws2__event_take(e, owner, tid);
    return h;
}

/* Inline for set and reset, which completions call. */
static inline struct ws2__slot *event_ref(WSAEVENT h, struct ws2__event **ev)
{
    /* Sockets share the table; only our release hook marks an event. */
    struct ws2__slot *slot = ws2__handle_ref_kind(to_handle(h), event_release);
    if (slot)
        *ev = (struct ws2__event *)slot->ctx;
    return slot;
}

struct ws2__slot *ws2__event_ref(WSAEVENT h, struct ws2__event **ev)
{
    return event_ref(h, ev);
}

struct ws2__slot *ws2__waitable_ref(HANDLE h, struct ws2__event **ev)
{
    struct ws2__slot *slot = ws2__handle_ref(to_handle(h));
    if (!slot)
        return NULL;
    if (slot->release == event_release)
        *ev = (struct ws2__event *)slot->ctx;
    else if (!(*ev = ws2__tobj_event(slot))) { /* nor a thread */
        ws2__handle_unref(slot);
        return NULL;
    }
    return slot;
}

int ws2__event_close(WSAEVENT h)
{
    /* A thread waiting on the event holds its own reference: the object
     * stays until that wait ends (it can no longer be set, so the wait
     * ends by another event, an APC or its timeout, as on Windows). */
    return ws2__handle_close_kind(to_handle(h), event_release)
               ? WSA_INVALID_HANDLE
               : 0;
}

static void wake_waiters(struct ws2__event *e)
{
    pthread_mutex_lock(&e->lock);
    for (struct ws2__waitlink *l = e->waiters; l; l = l->next)
        ws2__thread_poke(l->t);
    pthread_mutex_unlock(&e->lock);
}

/* Inline for ws2__event_set, which completions call. */
static inline void event_signal(struct ws2__event *e)
{
    uint32_t s = atomic_load(&e->state);
    int changed = 0;
    while (!(s & 1)) {
        if (atomic_compare_exchange_weak(&e->state, &s, (s + 2) | 1)) {
            changed = 1;
            break;
        }
    }
    /* Already signalled: whoever set it woke the waiters registered then,
     * and a waiter registered later sees the state when it checks. The
     * load pairs with the waiter's increment before its check (both
     * sequentially consistent): one of us sees the other. */
    if (changed && atomic_load(&e->nwaiters))
        wake_waiters(e);
}

void ws2__event_signal(struct ws2__event *e)
{
    event_signal(e);
}

/* Set and reset are for events: a mutex or a semaphore is refused, as
 * Windows refuses an object of the wrong type. */
static int is_event(const struct ws2__event *e)
{
    return e->kind == WS2__EV_MANUAL || e->kind == WS2__EV_AUTO;
}

int ws2__event_set(WSAEVENT h)
{
    struct ws2__event *e;
    struct ws2__slot *slot = event_ref(h, &e);
    if (!slot)
        return WSA_INVALID_HANDLE;
    if (!is_event(e)) {
        ws2__handle_unref(slot);
        return WSA_INVALID_HANDLE;
    }
    event_signal(e);
    ws2__handle_unref(slot);
    return 0;
}

int ws2__event_reset(WSAEVENT h)
{
    struct ws2__event *e;
    struct ws2__slot *slot = event_ref(h, &e);
    if (!slot)
        return WSA_INVALID_HANDLE;
    if (!is_event(e)) {
        ws2__handle_unref(slot);
        return WSA_INVALID_HANDLE;
    }
    /* Nobody's wait can be satisfied by a reset: no wake-up. */
    uint32_t s = atomic_load(&e->state);
    while ((s & 1) &&
           !atomic_compare_exchange_weak(&e->state, &s, (s + 2) & ~1u))
        ;
    ws2__handle_unref(slot);
    return 0;
}

/* Under e->lock: the state word's signalled bit, set or cleared (the
 * change counted, for wait-all's proof). */
static void set_bit_locked(struct ws2__event *e, int on)
{
    uint32_t s = atomic_load(&e->state);
    while (((s & 1) != 0) != (on != 0) &&
           !atomic_compare_exchange_weak(&e->state, &s,
                                         on ? (s + 2) | 1 : (s + 2) & ~1u))
        ;
}

/* Under e->lock: thread t (tid) takes the free mutex e. */
static int own_locked(struct ws2__event *e, struct ws2__thread *t, DWORD tid)
{
    int how = e->abandoned ? WS2__TAKE_ABANDONED : WS2__TAKE_OK;
    e->abandoned = 0;
    atomic_store_explicit(&e->owner, tid, memory_order_relaxed);
    e->recursion = 1;
    atomic_fetch_add(&e->refs, 1); /* the owner's list names it */
    e->owned_next = t->owned;
    t->owned = e;
    set_bit_locked(e, 0);
    return how;
}

/* Under e->lock, for a semaphore or a mutex. */
static int take_locked(struct ws2__event *e, struct ws2__thread *t, DWORD tid)
{
    if (e->kind == WS2__EV_SEMAPHORE) {
        if (e->count <= 0)
            return WS2__TAKE_NO;
        if (--e->count == 0)
            set_bit_locked(e, 0);
        return WS2__TAKE_OK;
    }
    DWORD owner = atomic_load_explicit(&e->owner, memory_order_relaxed);
    if (owner == tid) {
        e->recursion++;
        return WS2__TAKE_OK;
    }
    return owner ? WS2__TAKE_NO : own_locked(e, t, tid);
}

int ws2__event_take(struct ws2__event *e, struct ws2__thread *t, DWORD tid)
{
    uint32_t s = atomic_load(&e->state);
    switch (e->kind) {
    case WS2__EV_MANUAL:
        return s & 1;
    case WS2__EV_AUTO:
        while (s & 1)
            if (atomic_compare_exchange_weak(&e->state, &s, (s + 2) & ~1u))
                return WS2__TAKE_OK;
        return WS2__TAKE_NO;
    default:
        /* Nothing to take: no lock (a wait polls every object it waits
         * on), except for a mutex its own owner asks for again. */
        if (!(s & 1) && !(e->kind == WS2__EV_MUTEX &&
                          atomic_load_explicit(&e->owner,
                                               memory_order_relaxed) == tid))
            return WS2__TAKE_NO;
        pthread_mutex_lock(&e->lock);
        int how = take_locked(e, t, tid);
        pthread_mutex_unlock(&e->lock);
        return how;
    }
}

int ws2__event_ready(struct ws2__event *e, DWORD tid)
{
    return (atomic_load(&e->state) & 1) ||
           (e->kind == WS2__EV_MUTEX &&
            atomic_load_explicit(&e->owner, memory_order_relaxed) == tid);
}

int ws2__event_take_seen(struct ws2__event *e, uint32_t seen,
                         struct ws2__thread *t, DWORD tid)
{
    switch (e->kind) {
    case WS2__EV_MANUAL:
        return WS2__TAKE_OK;
    case WS2__EV_AUTO:
        return atomic_compare_exchange_strong(&e->state, &seen,
                                              (seen + 2) & ~1u)
                   ? WS2__TAKE_OK
                   : WS2__TAKE_NO;
    default:
        pthread_mutex_lock(&e->lock);
        int how = atomic_load(&e->state) == seen ? take_locked(e, t, tid)
                                                 : WS2__TAKE_NO;
        pthread_mutex_unlock(&e->lock);
        return how;
    }
}

/* Under e->lock: the owner lets go of mutex e once; at depth 0 it is free
 * (and off t's list: the caller drops the list's reference). */
static void unlist(struct ws2__event *e, struct ws2__thread *t)
{
    for (struct ws2__event **pp = &t->owned; *pp; pp = &(*pp)->owned_next)
        if (*pp == e) {
            *pp = e->owned_next;
            break;
        }
    e->owned_next = NULL;
}

static int let_go_locked(struct ws2__event *e, struct ws2__thread *t)
{
    if (--e->recursion > 0)
        return 0;
    atomic_store_explicit(&e->owner, 0, memory_order_relaxed);
    unlist(e, t);
    return 1;
}

/* After the lock: waiters see the object signalled again; a mutex that
 * left its owner's list drops that reference (last: it is freed). */
static void after_free(struct ws2__event *e, int freed, int unref)
{
    if (freed && atomic_load(&e->nwaiters))
        wake_waiters(e);
    if (unref)
        event_unref(e);
}

void ws2__event_untake(struct ws2__event *e, int how, struct ws2__thread *t,
                       DWORD tid)
{
    (void)tid;
    if (e->kind == WS2__EV_MANUAL || how == WS2__TAKE_NO)
        return;
    if (e->kind == WS2__EV_AUTO) {
        ws2__event_signal(e);
        return;
    }
    int freed = 0;
    pthread_mutex_lock(&e->lock);
    if (e->kind == WS2__EV_SEMAPHORE) {
        if (e->count++ == 0) {
            set_bit_locked(e, 1);
            freed = 1;
        }
    } else if (let_go_locked(e, t)) {
        e->abandoned = how == WS2__TAKE_ABANDONED;
        set_bit_locked(e, 1);
        freed = 2;
    }
    pthread_mutex_unlock(&e->lock);
    after_free(e, freed, freed == 2);
}

int ws2__mutex_release(struct ws2__event *e, struct ws2__thread *t, DWORD tid)
{
    if (e->kind != WS2__EV_MUTEX)
        return ERROR_INVALID_HANDLE;
    pthread_mutex_lock(&e->lock);
    if (atomic_load_explicit(&e->owner, memory_order_relaxed) != tid) {
        pthread_mutex_unlock(&e->lock);
        return ERROR_NOT_OWNER;
    }
    int freed = let_go_locked(e, t);
    if (freed)
        set_bit_locked(e, 1);
    pthread_mutex_unlock(&e->lock);
    after_free(e, freed, freed);
    return 0;
}

int ws2__semaphore_release(struct ws2__event *e, LONG n, LONG *prev)
{
    if (e->kind != WS2__EV_SEMAPHORE)
        return ERROR_INVALID_HANDLE;
    if (n <= 0)
        return ERROR_INVALID_PARAMETER;
    pthread_mutex_lock(&e->lock);
    LONG was = e->count;
    if (n > e->max - was) {
        pthread_mutex_unlock(&e->lock);
        return ERROR_TOO_MANY_POSTS;
    }
    e->count = was + n;
    if (was == 0)
        set_bit_locked(e, 1);
    pthread_mutex_unlock(&e->lock);
    after_free(e, was == 0, 0);
    if (prev)
        *prev = was;
    return 0;
}

void ws2__mutex_abandon_all(struct ws2__thread *t, DWORD tid)
{
    while (t->owned) {
        struct ws2__event *e = t->owned;
        pthread_mutex_lock(&e->lock);
        /* On the list means owned by t: however deep, it lets go. */
        int mine =
            atomic_load_explicit(&e->owner, memory_order_relaxed) == tid;
        if (mine) {
            e->recursion = 1;
            let_go_locked(e, t); /* takes e off the list */
            e->abandoned = 1;
            set_bit_locked(e, 1);
        } else {
            unlist(e, t);
        }
        pthread_mutex_unlock(&e->lock);
        after_free(e, mine, 1);
    }
}

void ws2__event_watch(struct ws2__event *e, struct ws2__waitlink *l,
                      struct ws2__thread *t)
{
    l->t = t;
    l->prev = NULL;
    pthread_mutex_lock(&e->lock);
    l->next = e->waiters;
    if (e->waiters)
        e->waiters->prev = l;
    e->waiters = l;
    atomic_fetch_add(&e->nwaiters, 1);
    pthread_mutex_unlock(&e->lock);
}

void ws2__event_unwatch(struct ws2__event *e, struct ws2__waitlink *l)
{
    pthread_mutex_lock(&e->lock);
    if (l->prev)
        l->prev->next = l->next;
    else
        e->waiters = l->next;
    if (l->next)
        l->next->prev = l->prev;
    atomic_fetch_sub(&e->nwaiters, 1);
    pthread_mutex_unlock(&e->lock);
}
