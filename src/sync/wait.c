/*
 * wait.c - WSAWaitForMultipleEvents, WaitForMultipleObjectsEx and SleepEx:
 * one wait over up to 64 events (a thread handle counts as the event its
 * thread sets when it ends, see threadobj.c) and the calling thread's APC
 * queue, sleeping on the thread's one futex word.
 *
 * The waiter hangs a link on every event it waits on (on its stack), so
 * that a set wakes exactly the threads that care; then, in a loop, it reads
 * its word, checks the events and its APC queue, and sleeps on the word
 * only if nothing is ready (see sync_int.h for why no wake-up is lost).
 * Completion routines run here, in the waiting thread, after the links
 * are gone, one at a time, never nested.
 */
#include <errno.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include "spi/handle.h"
#include "sync/sync_int.h"
#include "windows.h"

#define NOT_READY ((DWORD)-2)
#define RUN_APCS ((DWORD)-3)

/* A satisfied wait-all takes what each object gives a wait (an auto-reset
 * signal, a semaphore's unit, a mutex's ownership), each only if its word
 * is still the one seen; if one changed meanwhile, what was taken is given
 * back and the wait goes on, as if it had looked a moment earlier. */
static DWORD take_all(struct ws2__event *const *ev, DWORD n,
                      const uint32_t *seen, struct ws2__thread *t, DWORD tid)
{
    int how[WSA_MAXIMUM_WAIT_EVENTS];
    DWORD abandoned = n;
    for (DWORD i = 0; i < n; i++) {
        how[i] = ws2__event_take_seen(ev[i], seen[i], t, tid);
        if (how[i] == WS2__TAKE_NO) {
            while (i-- > 0)
                ws2__event_untake(ev[i], how[i], t, tid);
            return NOT_READY;
        }
        if (how[i] == WS2__TAKE_ABANDONED && abandoned == n)
            abandoned = i;
    }
    return abandoned < n ? WAIT_ABANDONED_0 + abandoned : WSA_WAIT_EVENT_0;
}

/* Wait-all must see every object signalled at one moment: two rounds of
 * reads that find the same words bracket such a moment (a mutex the
 * caller owns counts as signalled for it). A change between rounds is
 * retried a few times; after that a registered waiter is woken by the
 * next change anyway. Wait-any takes from the first object that
 * satisfies it. An abandoned mutex makes the answer WAIT_ABANDONED_0 +
 * its index. */
static DWORD poll_events(struct ws2__event *const *ev, DWORD n, BOOL all,
                         struct ws2__thread *t, DWORD tid)
{
    if (!all) {
        for (DWORD i = 0; i < n; i++) {
            int how = ws2__event_take(ev[i], t, tid);
            if (how)
                return (how == WS2__TAKE_ABANDONED ? WAIT_ABANDONED_0
                                                   : WSA_WAIT_EVENT_0) +
                       i;
        }
        return NOT_READY;
    }
    if (n == 0)
        return NOT_READY;
    uint32_t seen[WSA_MAXIMUM_WAIT_EVENTS];
    for (int tries = 0; tries < 4; tries++) {
        DWORD i;
        for (i = 0; i < n; i++) {
            seen[i] = atomic_load(&ev[i]->state);
            if (!(seen[i] & 1) && !ws2__event_ready(ev[i], tid))
                return NOT_READY;
        }
        for (i = 0; i < n; i++)
            if (atomic_load(&ev[i]->state) != seen[i])
                break;
        if (i == n) {
            DWORD r = take_all(ev, n, seen, t, tid);
            if (r != NOT_READY)
                return r;
        }
    }
    return NOT_READY;
}

static int apcs_ready(struct ws2__thread *t, int alert)
{
    return alert && atomic_load(&t->napc) != 0;
}

/* The registered part of a wait: returns an event index, WSA_WAIT_TIMEOUT
 * or RUN_APCS. */
static DWORD block(struct ws2__thread *t, struct ws2__event *const *ev,
                   DWORD n, BOOL all, DWORD timeout, int alert)
{
    struct ws2__waitlink links[WSA_MAXIMUM_WAIT_EVENTS];
    struct timespec deadline;
    int infinite = timeout == WSA_INFINITE;
    if (!infinite)
        ws2__deadline_after(timeout, &deadline);
    if (alert)
        atomic_store(&t->alert_wait, 1);
    for (DWORD i = 0; i < n; i++)
        ws2__event_watch(ev[i], &links[i], t);
    DWORD r;
    for (;;) {
        uint32_t seq = atomic_load(&t->word);
        r = poll_events(ev, n, all, t, ws2__tid_self());
        if (r != NOT_READY)
            break;
        if (apcs_ready(t, alert)) {
            r = RUN_APCS;
            break;
        }
        if (!infinite && ws2__deadline_passed(&deadline)) {
            r = WSA_WAIT_TIMEOUT;
            break;
        }
        ws2__thread_park(t, seq, infinite ? NULL : &deadline);
    }
    for (DWORD i = 0; i < n; i++)
        ws2__event_unwatch(ev[i], &links[i]);
    if (alert)
        atomic_store(&t->alert_wait, 0);
    return r;
}

/* Events first, then APCs: a wait that finds an event signalled returns
 * it even when routines are queued (they run in the next alertable wait),
 * so a signalled event is never reported late. */
static DWORD wait_core(struct ws2__event *const *ev, DWORD n, BOOL all,
                       DWORD timeout, BOOL alertable, int *err)
{
    struct ws2__thread *t = ws2__thread_self();
    if (!t) {
        *err = WSA_NOT_ENOUGH_MEMORY;
        return WSA_WAIT_FAILED;
    }
    /* Completion routines never nest: inside one, a wait is not alertable. */
    int alert = alertable && !t->in_apc;
    DWORD r = poll_events(ev, n, all, t, ws2__tid_self());
    if (r != NOT_READY)
        return r;
    if (apcs_ready(t, alert))
        r = RUN_APCS;
    else if (timeout == 0)
        return WSA_WAIT_TIMEOUT;
    else
        r = block(t, ev, n, all, timeout, alert);
    if (r == RUN_APCS) {
        ws2__apc_run(t);
        return WSA_WAIT_IO_COMPLETION;
    }
    return r;
}

static int has_duplicates(DWORD n, const WSAEVENT *events)
{
    for (DWORD i = 0; i < n; i++)
        for (DWORD j = i + 1; j < n; j++)
            if (events[i] == events[j])
                return 1;
    return 0;
}

DWORD ws2__wait(DWORD n, const WSAEVENT *events, BOOL all, DWORD timeout_ms,
                BOOL alertable, int *err)
{
    if (n == 0 || n > WSA_MAXIMUM_WAIT_EVENTS || !events) {
        *err = WSA_INVALID_PARAMETER;
        return WSA_WAIT_FAILED;
    }
    struct ws2__slot *slots[WSA_MAXIMUM_WAIT_EVENTS];
    struct ws2__event *ev[WSA_MAXIMUM_WAIT_EVENTS];
    DWORD got;
    for (got = 0; got < n; got++) {
        slots[got] = ws2__waitable_ref(events[got], &ev[got]);
        if (!slots[got])
            break;
    }
    DWORD r;
    if (got < n) {
        *err = WSA_INVALID_HANDLE;
        r = WSA_WAIT_FAILED;
    } else if (all && has_duplicates(n, events)) {
        /* WaitForMultipleObjects refuses one object twice in a wait-all. */
        *err = WSA_INVALID_PARAMETER;
        r = WSA_WAIT_FAILED;
    } else {
        /* The references keep each event alive through the wait, even if
         * another thread closes its handle meanwhile. */
        r = wait_core(ev, n, all, timeout_ms, alertable, err);
    }
    while (got > 0)
        ws2__handle_unref(slots[--got]);
    return r;
}

DWORD ws2__sleep(DWORD ms, BOOL alertable)
{
    if (ms == 0 && !alertable) {
        sched_yield(); /* Sleep(0) gives up the rest of the time slice */
        return 0;
    }
    int err;
    DWORD r = wait_core(NULL, 0, FALSE, ms, alertable, &err);
    if (r == WSA_WAIT_FAILED) {
        /* No thread record (no memory): a plain sleep, nothing to run. */
        if (ms == INFINITE)
            for (;;)
                pause();
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
            ;
        return 0;
    }
    return r == WSA_WAIT_IO_COMPLETION ? WAIT_IO_COMPLETION : 0;
}
