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

void ws2__event_init(struct ws2__event *e)
{
    atomic_init(&e->state, 0);
    atomic_init(&e->nwaiters, 0);
    e->autoreset = 0;
    pthread_mutex_init(&e->lock, NULL);
    e->waiters = NULL;
}

void ws2__event_destroy(struct ws2__event *e)
{
    pthread_mutex_destroy(&e->lock);
}

static void event_release(DWORD_PTR ctx)
{
    struct ws2__event *e = (struct ws2__event *)ctx;
    ws2__event_destroy(e);
    free(e);
}

static SOCKET to_handle(WSAEVENT h)
{
    return (SOCKET)(uintptr_t)h;
}

WSAEVENT ws2__event_create(int *err)
{
    return ws2__event_create_ex(1, 0, err);
}

WSAEVENT ws2__event_create_ex(int manual, int initial, int *err)
{
    struct ws2__event *e = malloc(sizeof(*e));
    if (!e) {
        *err = WSA_NOT_ENOUGH_MEMORY;
        return WSA_INVALID_EVENT;
    }
    ws2__event_init(e);
    e->autoreset = !manual;
    if (initial)
        atomic_store(&e->state, 1);
    int herr;
    SOCKET s = ws2__handle_create(0, NULL, (DWORD_PTR)e, event_release, &herr);
    if (s == INVALID_SOCKET) {
        event_release((DWORD_PTR)e);
        /* A full table is, to the caller of WSACreateEvent, a lack of
         * resources; Windows has only WSA_NOT_ENOUGH_MEMORY to say so. */
        *err = WSA_NOT_ENOUGH_MEMORY;
        return WSA_INVALID_EVENT;
    }
    return (WSAEVENT)(uintptr_t)s;
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

int ws2__event_set(WSAEVENT h)
{
    struct ws2__event *e;
    struct ws2__slot *slot = event_ref(h, &e);
    if (!slot)
        return WSA_INVALID_HANDLE;
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
    /* Nobody's wait can be satisfied by a reset: no wake-up. */
    uint32_t s = atomic_load(&e->state);
    while ((s & 1) &&
           !atomic_compare_exchange_weak(&e->state, &s, (s + 2) & ~1u))
        ;
    ws2__handle_unref(slot);
    return 0;
}

int ws2__event_take(struct ws2__event *e)
{
    uint32_t s = atomic_load(&e->state);
    if (!e->autoreset)
        return s & 1;
    while (s & 1)
        if (atomic_compare_exchange_weak(&e->state, &s, (s + 2) & ~1u))
            return 1;
    return 0;
}

int ws2__event_take_seen(struct ws2__event *e, uint32_t seen)
{
    return atomic_compare_exchange_strong(&e->state, &seen,
                                          (seen + 2) & ~1u);
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
