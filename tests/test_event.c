/*
 * test_event.c - event objects, WSAWaitForMultipleEvents, SleepEx and the
 * per-thread APC queues that run completion routines in alertable waits.
 * The Windows rules come from Microsoft's WSAWaitForMultipleEvents,
 * WSACreateEvent and SleepEx pages unless a test says otherwise. Internal
 * calls (ws2__apc_queue, ws2__thread_self) stand in for the overlapped
 * engine, which queues completion routines the same way.
 *
 * Every wait has a timeout and every thread is joined with a bounded wait;
 * assertions run in the main thread only (cmocka is not thread-safe).
 */
#define _GNU_SOURCE
#include "util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <windows.h>

#include "spi/provider.h"
#include "sync/sync.h"
#include "spi/handle.h"
#include "sync/sync_int.h"

static WSAEVENT make_event(void)
{
    WSAEVENT e = WSACreateEvent();
    if (e == WSA_INVALID_EVENT)
        fail_msg("WSACreateEvent: error %d", WSAGetLastError());
    return e;
}

#define assert_wait(call, want)                                                \
    do {                                                                       \
        DWORD ws2t_r_ = (call);                                                \
        if (ws2t_r_ != (DWORD)(want))                                          \
            fail_msg("%s: got 0x%x (error %d), wanted 0x%x", #call,            \
                     (unsigned)ws2t_r_, WSAGetLastError(), (unsigned)(want));  \
    } while (0)

#define assert_wait_failed(call, err)                                          \
    do {                                                                       \
        WSASetLastError(POISON);                                               \
        DWORD ws2t_r_ = (call);                                                \
        int ws2t_e_ = WSAGetLastError();                                       \
        if (ws2t_r_ != WSA_WAIT_FAILED || ws2t_e_ != (err))                    \
            fail_msg("%s: got 0x%x error %d, wanted WSA_WAIT_FAILED and %d", \
                     #call, (unsigned)ws2t_r_, ws2t_e_, (int)(err));           \
    } while (0)

#define assert_bool_error(call, err)                                           \
    do {                                                                       \
        WSASetLastError(POISON);                                               \
        BOOL ws2t_b_ = (call);                                                 \
        int ws2t_e_ = WSAGetLastError();                                       \
        if (ws2t_b_ != FALSE || ws2t_e_ != (err))                              \
            fail_msg("%s: got %d error %d, wanted FALSE and %d", #call,       \
                     ws2t_b_, ws2t_e_, (int)(err));                            \
    } while (0)

/* ---- events ---- */

/* WSACreateEvent: "manual reset ... initially nonsignaled"; a wait does
 * not reset a manual-reset event. Events need no WSAStartup: on Windows
 * they are kernel32 events (this program never starts Winsock here). */
static void test_manual_reset(void **state)
{
    (void)state;
    WSAEVENT e = make_event();
    assert_wait(WSAWaitForMultipleEvents(1, &e, FALSE, 0, FALSE),
                WSA_WAIT_TIMEOUT);
    assert_true(WSASetEvent(e));
    assert_true(WSASetEvent(e)); /* setting a set event is fine */
    for (int i = 0; i < 3; i++)
        assert_wait(WSAWaitForMultipleEvents(1, &e, FALSE, 0, FALSE),
                    WSA_WAIT_EVENT_0);
    assert_wait(WSAWaitForMultipleEvents(1, &e, TRUE, 1000, FALSE),
                WSA_WAIT_EVENT_0);
    assert_true(WSAResetEvent(e));
    assert_true(WSAResetEvent(e));
    assert_wait(WSAWaitForMultipleEvents(1, &e, FALSE, 0, FALSE),
                WSA_WAIT_TIMEOUT);
    assert_true(WSACloseEvent(e));
}

/* Closed, stale and made-up handles: FALSE with WSA_INVALID_HANDLE. */
static void test_invalid_handles(void **state)
{
    (void)state;
    WSAEVENT e = make_event();
    assert_true(WSACloseEvent(e));
    WSAEVENT bad[] = {e, WSA_INVALID_EVENT, (WSAEVENT)(uintptr_t)0x12344,
                      (WSAEVENT)(uintptr_t)3, INVALID_HANDLE_VALUE};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_bool_error(WSASetEvent(bad[i]), WSA_INVALID_HANDLE);
        assert_bool_error(WSAResetEvent(bad[i]), WSA_INVALID_HANDLE);
        assert_bool_error(WSACloseEvent(bad[i]), WSA_INVALID_HANDLE);
        assert_wait_failed(WSAWaitForMultipleEvents(1, &bad[i], FALSE, 0,
                                                    FALSE),
                           WSA_INVALID_HANDLE);
    }
    /* A new event in the same slot does not answer to the old value. */
    WSAEVENT e2 = make_event();
    assert_bool_error(WSASetEvent(e), WSA_INVALID_HANDLE);
    assert_true(WSACloseEvent(e2));
}

/* SOCKETs and events share the handle table, but a SOCKET is no event. */
static void test_socket_is_not_event(void **state)
{
    (void)state;
    WSADATA d;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0);
    SOCKET s = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(s != INVALID_SOCKET);
    WSAEVENT h = (WSAEVENT)(uintptr_t)s;
    assert_bool_error(WSASetEvent(h), WSA_INVALID_HANDLE);
    assert_bool_error(WSAResetEvent(h), WSA_INVALID_HANDLE);
    assert_bool_error(WSACloseEvent(h), WSA_INVALID_HANDLE);
    assert_wait_failed(WSAWaitForMultipleEvents(1, &h, FALSE, 0, FALSE),
                       WSA_INVALID_HANDLE);
    /* ... and the socket is still open. */
    assert_wsa_ok(closesocket(s));
    /* Events outlive WSACleanup: it closes sockets, not events. */
    WSAEVENT e = make_event();
    assert_int_equal(WSACleanup(), 0);
    assert_true(WSASetEvent(e));
    assert_true(WSACloseEvent(e));
}

/* "cEvents ... does not contain a valid handle count": 0 or more than
 * WSA_MAXIMUM_WAIT_EVENTS; a NULL array is refused the same way; one bad
 * handle anywhere fails the whole wait with WSA_INVALID_HANDLE. */
static void test_wait_parameters(void **state)
{
    (void)state;
    WSAEVENT ev[WSA_MAXIMUM_WAIT_EVENTS + 1];
    for (int i = 0; i <= WSA_MAXIMUM_WAIT_EVENTS; i++)
        ev[i] = make_event();
    assert_wait_failed(WSAWaitForMultipleEvents(0, ev, FALSE, 0, FALSE),
                       WSA_INVALID_PARAMETER);
    assert_wait_failed(WSAWaitForMultipleEvents(WSA_MAXIMUM_WAIT_EVENTS + 1,
                                                ev, FALSE, 0, FALSE),
                       WSA_INVALID_PARAMETER);
    assert_wait_failed(WSAWaitForMultipleEvents(1, NULL, FALSE, 0, FALSE),
                       WSA_INVALID_PARAMETER);
    assert_wait_failed(WSAWaitForMultipleEvents(0, NULL, FALSE, 0, TRUE),
                       WSA_INVALID_PARAMETER);
    /* The parameter check comes first, even with a signalled event. */
    assert_true(WSASetEvent(ev[0]));
    assert_wait_failed(WSAWaitForMultipleEvents(WSA_MAXIMUM_WAIT_EVENTS + 1,
                                                ev, FALSE, 0, FALSE),
                       WSA_INVALID_PARAMETER);
    /* One bad handle fails the wait even when another is signalled. */
    WSAEVENT keep = ev[5];
    ev[5] = WSA_INVALID_EVENT;
    assert_wait_failed(WSAWaitForMultipleEvents(10, ev, FALSE, 0, FALSE),
                       WSA_INVALID_HANDLE);
    ev[5] = keep;
    /* WaitForMultipleObjects refuses one object twice in a wait-all; a
     * wait-any takes it. */
    WSAEVENT dup[2] = {ev[0], ev[0]};
    assert_wait_failed(WSAWaitForMultipleEvents(2, dup, TRUE, 0, FALSE),
                       WSA_INVALID_PARAMETER);
    assert_wait(WSAWaitForMultipleEvents(2, dup, FALSE, 0, FALSE),
                WSA_WAIT_EVENT_0);
    /* A successful wait leaves the last error alone. */
    WSASetLastError(1234);
    assert_wait(WSAWaitForMultipleEvents(WSA_MAXIMUM_WAIT_EVENTS, ev, FALSE,
                                         0, FALSE),
                WSA_WAIT_EVENT_0);
    assert_int_equal(WSAGetLastError(), 1234);
    for (int i = 0; i <= WSA_MAXIMUM_WAIT_EVENTS; i++)
        assert_true(WSACloseEvent(ev[i]));
}

/* "If more than one event object became signaled ... the smallest index
 * value of all the signaled event objects." */
static void test_lowest_index_wins(void **state)
{
    (void)state;
    WSAEVENT ev[WSA_MAXIMUM_WAIT_EVENTS];
    for (int i = 0; i < WSA_MAXIMUM_WAIT_EVENTS; i++)
        ev[i] = make_event();
    assert_wait(WSAWaitForMultipleEvents(64, ev, FALSE, 0, FALSE),
                WSA_WAIT_TIMEOUT);
    assert_true(WSASetEvent(ev[63]));
    assert_wait(WSAWaitForMultipleEvents(64, ev, FALSE, 0, FALSE),
                WSA_WAIT_EVENT_0 + 63);
    assert_true(WSASetEvent(ev[40]));
    assert_true(WSASetEvent(ev[17]));
    assert_wait(WSAWaitForMultipleEvents(64, ev, FALSE, 1000, FALSE),
                WSA_WAIT_EVENT_0 + 17);
    assert_wait(WSAWaitForMultipleEvents(64, ev, FALSE, 0, TRUE),
                WSA_WAIT_EVENT_0 + 17);
    assert_true(WSAResetEvent(ev[17]));
    assert_wait(WSAWaitForMultipleEvents(64, ev, FALSE, 0, FALSE),
                WSA_WAIT_EVENT_0 + 40);
    assert_true(WSASetEvent(ev[0]));
    assert_wait(WSAWaitForMultipleEvents(64, ev, FALSE, 0, FALSE),
                WSA_WAIT_EVENT_0);
    /* Wait-all over 64: not until every one is set. */
    assert_wait(WSAWaitForMultipleEvents(64, ev, TRUE, 0, FALSE),
                WSA_WAIT_TIMEOUT);
    for (int i = 0; i < WSA_MAXIMUM_WAIT_EVENTS; i++)
        assert_true(WSASetEvent(ev[i]));
    assert_wait(WSAWaitForMultipleEvents(64, ev, TRUE, 0, FALSE),
                WSA_WAIT_EVENT_0);
    for (int i = 0; i < WSA_MAXIMUM_WAIT_EVENTS; i++)
        assert_true(WSACloseEvent(ev[i]));
}

/* Wait-all returns WSA_WAIT_EVENT_0 once all are signalled, and does not
 * change any state. */
static void test_wait_all(void **state)
{
    (void)state;
    WSAEVENT ev[3] = {make_event(), make_event(), make_event()};
    assert_true(WSASetEvent(ev[0]));
    assert_true(WSASetEvent(ev[2]));
    assert_wait(WSAWaitForMultipleEvents(3, ev, TRUE, 0, FALSE),
                WSA_WAIT_TIMEOUT);
    assert_wait(WSAWaitForMultipleEvents(3, ev, TRUE, 30, FALSE),
                WSA_WAIT_TIMEOUT);
    assert_true(WSASetEvent(ev[1]));
    assert_wait(WSAWaitForMultipleEvents(3, ev, TRUE, 0, FALSE),
                WSA_WAIT_EVENT_0);
    for (int i = 0; i < 3; i++) {
        assert_wait(WSAWaitForMultipleEvents(1, &ev[i], FALSE, 0, FALSE),
                    WSA_WAIT_EVENT_0);
        assert_true(WSACloseEvent(ev[i]));
    }
}

/* "WSA_WAIT_TIMEOUT: The time-out interval elapsed" (measured loosely). */
static void test_timeout(void **state)
{
    (void)state;
    WSAEVENT e = make_event();
    double t0 = ws2t_now_ms();
    assert_wait(WSAWaitForMultipleEvents(1, &e, FALSE, 100, FALSE),
                WSA_WAIT_TIMEOUT);
    double took = ws2t_now_ms() - t0;
    if (took < 80 || took > 3000)
        fail_msg("a 100 ms wait took %.1f ms", took);
    t0 = ws2t_now_ms();
    assert_wait(WSAWaitForMultipleEvents(1, &e, TRUE, 100, TRUE),
                WSA_WAIT_TIMEOUT);
    took = ws2t_now_ms() - t0;
    if (took < 80 || took > 3000)
        fail_msg("a 100 ms alertable wait-all took %.1f ms", took);
    assert_true(WSACloseEvent(e));
}

/* ---- wake-ups from other threads ---- */

struct setter {
    WSAEVENT ev[4];
    int n;
    unsigned delay_ms;
};

static void *set_later(void *arg)
{
    struct setter *s = arg;
    for (int i = 0; i < s->n; i++) {
        ws2t_sleep_ms(s->delay_ms);
        WSASetEvent(s->ev[i]);
    }
    return NULL;
}

static void test_set_wakes_waiter(void **state)
{
    (void)state;
    WSAEVENT ev[3] = {make_event(), make_event(), make_event()};
    /* Any: the waiter blocks until another thread sets ev[2]. */
    struct setter s = {{ev[2]}, 1, 50};
    pthread_t tid;
    ws2t_thread_start(&tid, set_later, &s);
    double t0 = ws2t_now_ms();
    assert_wait(WSAWaitForMultipleEvents(3, ev, FALSE, 10000, FALSE),
                WSA_WAIT_EVENT_0 + 2);
    assert_true(ws2t_now_ms() - t0 < 5000);
    ws2t_thread_join(tid, 20);
    assert_true(WSAResetEvent(ev[2]));
    /* All: set one by one from the other thread; the wait ends after the
     * last. */
    struct setter s2 = {{ev[1], ev[0], ev[2]}, 3, 30};
    ws2t_thread_start(&tid, set_later, &s2);
    assert_wait(WSAWaitForMultipleEvents(3, ev, TRUE, 10000, TRUE),
                WSA_WAIT_EVENT_0);
    ws2t_thread_join(tid, 20);
    for (int i = 0; i < 3; i++)
        assert_true(WSACloseEvent(ev[i]));
}

/* Several threads waiting on one event all wake on one set. */
struct waiter_arg {
    WSAEVENT e;
    DWORD result;
};

static void *wait_one(void *arg)
{
    struct waiter_arg *w = arg;
    w->result = WSAWaitForMultipleEvents(1, &w->e, FALSE, 10000, FALSE);
    return NULL;
}

static void test_set_wakes_all_waiters(void **state)
{
    (void)state;
    WSAEVENT e = make_event();
    struct waiter_arg w[4];
    pthread_t tid[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct waiter_arg){e, POISON};
        ws2t_thread_start(&tid[i], wait_one, &w[i]);
    }
    ws2t_sleep_ms(50);
    assert_true(WSASetEvent(e));
    for (int i = 0; i < 4; i++) {
        ws2t_thread_join(tid[i], 20);
        assert_int_equal(w[i].result, WSA_WAIT_EVENT_0);
    }
    assert_true(WSACloseEvent(e));
}

/* Closing an event another thread waits on must not crash. Microsoft
 * calls the result undefined; here the wait holds the object, which can no
 * longer be set, so the wait ends by another event or its timeout. */
struct close_arg {
    WSAEVENT ev[2];
    DWORD result;
    DWORD timeout;
};

static void *wait_two(void *arg)
{
    struct close_arg *c = arg;
    c->result = WSAWaitForMultipleEvents(2, c->ev, FALSE, c->timeout, FALSE);
    return NULL;
}

/* Until another thread is really waiting on h (bounded): a fixed sleep is
 * not enough on a loaded machine. */
static void until_waited_on(WSAEVENT h)
{
    struct ws2__event *e;
    struct ws2__slot *slot = ws2__event_ref(h, &e);
    assert_non_null(slot);
    for (int i = 0; i < 5000 && atomic_load(&e->nwaiters) == 0; i++)
        ws2t_sleep_ms(1);
    assert_true(atomic_load(&e->nwaiters) > 0);
    ws2__handle_unref(slot);
}

/* ---- kernel32's CreateEvent ----
 * Microsoft's CreateEvent page: bManualReset FALSE makes "an auto-reset
 * event object, and system automatically resets the event state to
 * nonsignaled after a single waiting thread has been released";
 * bInitialState TRUE makes it signalled at first; the handle works with
 * SetEvent/ResetEvent and the WSA functions alike (a WSAEVENT is one). */
static void test_create_event(void **state)
{
    (void)state;
    HANDLE a = CreateEventA(NULL, FALSE, TRUE, NULL); /* auto, signalled */
    HANDLE m = CreateEventW(NULL, TRUE, TRUE, NULL);  /* manual, signalled */
    assert_non_null(a);
    assert_non_null(m);
    assert_wait(WaitForSingleObject(a, 0), WAIT_OBJECT_0);
    assert_wait(WaitForSingleObject(a, 0), WAIT_TIMEOUT); /* taken */
    assert_wait(WaitForSingleObject(m, 0), WAIT_OBJECT_0);
    assert_wait(WaitForSingleObject(m, 0), WAIT_OBJECT_0); /* stays */
    assert_true(SetEvent(a));
    assert_true(SetEvent(a)); /* still one signal, not two */
    assert_wait(WSAWaitForMultipleEvents(1, &a, FALSE, 0, FALSE),
                WSA_WAIT_EVENT_0);
    assert_wait(WSAWaitForMultipleEvents(1, &a, FALSE, 0, FALSE),
                WSA_WAIT_TIMEOUT);
    assert_true(WSASetEvent(a));
    assert_true(ResetEvent(a));
    assert_wait(WaitForSingleObject(a, 0), WAIT_TIMEOUT);
    assert_true(ResetEvent(m));
    assert_wait(WaitForSingleObject(m, 0), WAIT_TIMEOUT);
    /* Wait-any takes only the event that satisfies it: the lowest
     * signalled index. */
    HANDLE b = CreateEventA(NULL, FALSE, FALSE, NULL);
    HANDLE two[2] = {a, b};
    assert_true(SetEvent(a));
    assert_true(SetEvent(b));
    assert_wait(WaitForMultipleObjects(2, two, FALSE, 0), WAIT_OBJECT_0);
    assert_wait(WaitForMultipleObjects(2, two, FALSE, 0), WAIT_OBJECT_0 + 1);
    assert_wait(WaitForMultipleObjects(2, two, FALSE, 0), WAIT_TIMEOUT);
    /* Wait-all takes every auto-reset event, and nothing while one is
     * missing. */
    HANDLE three[3] = {a, m, b};
    assert_true(SetEvent(a));
    assert_true(SetEvent(m));
    assert_wait(WaitForMultipleObjects(3, three, TRUE, 0), WAIT_TIMEOUT);
    assert_wait(WaitForSingleObject(a, 0), WAIT_OBJECT_0); /* untouched */
    assert_true(SetEvent(a));
    assert_true(SetEvent(b));
    assert_wait(WaitForMultipleObjects(3, three, TRUE, 0), WAIT_OBJECT_0);
    assert_wait(WaitForSingleObject(a, 0), WAIT_TIMEOUT);
    assert_wait(WaitForSingleObject(b, 0), WAIT_TIMEOUT);
    assert_wait(WaitForSingleObject(m, 0), WAIT_OBJECT_0);
    /* Names would share the object with other processes: refused. */
    SetLastError(POISON);
    assert_null(CreateEventA(NULL, TRUE, FALSE, "ws2posix-test"));
    assert_int_equal(GetLastError(), ERROR_NOT_SUPPORTED);
    SetLastError(POISON);
    assert_false(SetEvent(NULL));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    SetLastError(POISON);
    assert_false(ResetEvent(NULL));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    assert_true(CloseHandle(a));
    assert_true(CloseHandle(b));
    assert_true(WSACloseEvent(m));
    SetLastError(POISON);
    assert_false(SetEvent(a));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
}

/* One SetEvent of an auto-reset event releases exactly one of the threads
 * waiting on it; each further SetEvent one more. */
struct released {
    HANDLE e;
    _Atomic DWORD result;
};

static void *wait_released(void *arg)
{
    struct released *r = arg;
    atomic_store(&r->result, WaitForSingleObject(r->e, 10000));
    return NULL;
}

static int count_released(struct released *w, int n)
{
    int done = 0;
    for (int i = 0; i < n; i++)
        done += atomic_load(&w[i].result) == WAIT_OBJECT_0;
    return done;
}

static void test_auto_reset_releases_one(void **state)
{
    (void)state;
    HANDLE e = CreateEventA(NULL, FALSE, FALSE, NULL);
    assert_non_null(e);
    struct released w[4];
    pthread_t tid[4];
    for (int i = 0; i < 4; i++) {
        w[i].e = e;
        atomic_init(&w[i].result, POISON);
        ws2t_thread_start(&tid[i], wait_released, &w[i]);
    }
    until_waited_on(e);
    for (int round = 1; round <= 4; round++) {
        assert_true(SetEvent(e));
        /* Bounded: until this round's thread is out, then a little longer
         * to see that no other one followed it. */
        for (int t = 0; t < 5000 && count_released(w, 4) < round; t++)
            ws2t_sleep_ms(1);
        ws2t_sleep_ms(30);
        assert_int_equal(count_released(w, 4), round);
    }
    for (int i = 0; i < 4; i++)
        ws2t_thread_join(tid[i], 20);
    assert_wait(WaitForSingleObject(e, 0), WAIT_TIMEOUT);
    assert_true(CloseHandle(e));
}

/* ---- kernel32's mutexes and semaphores ----
 * Microsoft's CreateMutex, ReleaseMutex, CreateSemaphore and
 * ReleaseSemaphore pages, and the "Wait Functions" rules: a wait a mutex
 * satisfies makes the caller its owner, and its owner's further waits
 * succeed at once ("the thread can specify the same mutex in repeated
 * calls to one of the wait-functions without blocking its execution"), to
 * be matched by as many ReleaseMutex calls; ReleaseMutex by another thread
 * fails; a mutex whose owner exited is abandoned, and the wait that gets
 * it returns WAIT_ABANDONED. A semaphore's wait takes one of its count;
 * ReleaseSemaphore adds, never above the maximum. */
struct try_arg {
    HANDLE h;
    DWORD timeout;
    int release; /* ReleaseMutex after a successful wait */
    _Atomic DWORD result;
    _Atomic int release_ok;
    _Atomic DWORD release_err;
};

static void *try_wait(void *arg)
{
    struct try_arg *a = arg;
    DWORD r = WaitForSingleObject(a->h, a->timeout);
    atomic_store(&a->result, r);
    if (a->release && (r == WAIT_OBJECT_0 || r == WAIT_ABANDONED_0)) {
        SetLastError(0);
        atomic_store(&a->release_ok, ReleaseMutex(a->h));
        atomic_store(&a->release_err, GetLastError());
    }
    return NULL;
}

/* The result of another thread's wait on h (and of its ReleaseMutex). */
static DWORD other_waits(HANDLE h, DWORD timeout, int release)
{
    struct try_arg a = {.h = h, .timeout = timeout, .release = release};
    atomic_init(&a.result, POISON);
    pthread_t tid;
    ws2t_thread_start(&tid, try_wait, &a);
    ws2t_thread_join(tid, 20);
    if (release)
        assert_true(atomic_load(&a.release_ok));
    return atomic_load(&a.result);
}

static void *own_and_exit(void *arg)
{
    struct try_arg *a = arg;
    atomic_store(&a->result, WaitForSingleObject(a->h, 5000));
    return NULL; /* exits owning it */
}

struct holder {
    HANDLE m;
    WSAEVENT owned, go;
    _Atomic DWORD result;
};

/* Takes the mutex, says so, waits for go, exits owning it. */
static void *hold_mutex(void *arg)
{
    struct holder *h = arg;
    atomic_store(&h->result, WaitForSingleObject(h->m, 5000));
    WSASetEvent(h->owned);
    WaitForSingleObject(h->go, 10000);
    return NULL;
}

static void test_mutex(void **state)
{
    (void)state;
    HANDLE m = CreateMutexA(NULL, FALSE, NULL);
    assert_non_null(m);
    assert_wait(WaitForSingleObject(m, 0), WAIT_OBJECT_0);
    assert_wait(WaitForSingleObject(m, 0), WAIT_OBJECT_0); /* again, owner */
    assert_wait(other_waits(m, 50, 0), WAIT_TIMEOUT);
    assert_true(ReleaseMutex(m));
    assert_wait(other_waits(m, 50, 0), WAIT_TIMEOUT); /* still once deep */
    assert_true(ReleaseMutex(m));
    SetLastError(POISON);
    assert_false(ReleaseMutex(m)); /* no longer the owner */
    assert_int_equal(GetLastError(), ERROR_NOT_OWNER);
    assert_wait(other_waits(m, 50, 1), WAIT_OBJECT_0);

    /* Created owned: the creator owns it. */
    HANDLE o = CreateMutexW(NULL, TRUE, NULL);
    assert_non_null(o);
    assert_wait(other_waits(o, 50, 0), WAIT_TIMEOUT);
    assert_true(ReleaseMutex(o));
    assert_wait(other_waits(o, 50, 1), WAIT_OBJECT_0);

    /* Abandoned: its owner exited. The next wait gets it, told so, and
     * owns it; after that it is an ordinary mutex again. */
    struct try_arg a = {.h = m};
    atomic_init(&a.result, POISON);
    pthread_t tid;
    ws2t_thread_start(&tid, own_and_exit, &a);
    ws2t_thread_join(tid, 20);
    assert_int_equal(atomic_load(&a.result), WAIT_OBJECT_0);
    WSAEVENT e = make_event();
    HANDLE two[2] = {e, m};
    assert_wait(WaitForMultipleObjects(2, two, FALSE, 5000),
                WAIT_ABANDONED_0 + 1);
    assert_wait(other_waits(m, 50, 0), WAIT_TIMEOUT); /* ours now */
    assert_true(ReleaseMutex(m));
    assert_wait(WaitForSingleObject(m, 0), WAIT_OBJECT_0);
    assert_true(ReleaseMutex(m));

    /* Not events: SetEvent and ReleaseSemaphore refuse a mutex, and
     * ReleaseMutex an event. */
    SetLastError(POISON);
    assert_false(SetEvent(m));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    SetLastError(POISON);
    assert_false(ReleaseSemaphore(m, 1, NULL));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    SetLastError(POISON);
    assert_false(ReleaseMutex(e));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    SetLastError(POISON);
    assert_null(CreateMutexA(NULL, FALSE, "ws2posix-test"));
    assert_int_equal(GetLastError(), ERROR_NOT_SUPPORTED);

    /* The last handle closed while another thread owns it: the object
     * lives on until that thread exits (LeakSanitizer and valgrind see it
     * freed, once). */
    assert_true(CloseHandle(m));
    struct holder hd = {.m = o, .owned = make_event(), .go = make_event()};
    atomic_init(&hd.result, POISON);
    ws2t_thread_start(&tid, hold_mutex, &hd);
    ws2t_wait_event(hd.owned, 5000);
    assert_true(CloseHandle(o));
    assert_true(WSASetEvent(hd.go));
    ws2t_thread_join(tid, 20);
    assert_int_equal(atomic_load(&hd.result), WAIT_OBJECT_0);
    WSACloseEvent(hd.owned);
    WSACloseEvent(hd.go);
    WSACloseEvent(e);
}

struct counting {
    HANDLE m;
    long *counter;
    int rounds;
};

static void *count_under_mutex(void *arg)
{
    struct counting *c = arg;
    for (int i = 0; i < c->rounds; i++) {
        if (WaitForSingleObject(c->m, 10000) != WAIT_OBJECT_0)
            return NULL;
        (*c->counter)++; /* plain: the mutex protects it */
        ReleaseMutex(c->m);
    }
    return NULL;
}

/* Mutual exclusion: four threads, a plain counter, nothing lost (and
 * ThreadSanitizer sees the mutex order every access). */
static void test_mutex_excludes(void **state)
{
    (void)state;
    long counter = 0;
    struct counting c = {CreateMutexA(NULL, FALSE, NULL), &counter, 5000};
    assert_non_null(c.m);
    pthread_t tid[4];
    for (int i = 0; i < 4; i++)
        ws2t_thread_start(&tid[i], count_under_mutex, &c);
    for (int i = 0; i < 4; i++)
        ws2t_thread_join(tid[i], 60);
    assert_int_equal(counter, 4 * 5000);
    assert_true(CloseHandle(c.m));
}

static void test_semaphore(void **state)
{
    (void)state;
    HANDLE s = CreateSemaphoreA(NULL, 2, 3, NULL);
    assert_non_null(s);
    assert_wait(WaitForSingleObject(s, 0), WAIT_OBJECT_0);
    assert_wait(other_waits(s, 0, 0), WAIT_OBJECT_0); /* any thread */
    assert_wait(WaitForSingleObject(s, 0), WAIT_TIMEOUT);
    LONG prev = -1;
    assert_true(ReleaseSemaphore(s, 1, &prev));
    assert_int_equal(prev, 0);
    SetLastError(POISON);
    prev = -1;
    assert_false(ReleaseSemaphore(s, 3, &prev)); /* 1 + 3 > 3 */
    assert_int_equal(GetLastError(), ERROR_TOO_MANY_POSTS);
    assert_true(ReleaseSemaphore(s, 2, &prev)); /* the count stayed 1 */
    assert_int_equal(prev, 1);
    SetLastError(POISON);
    assert_false(ReleaseSemaphore(s, 0, NULL));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    for (int i = 0; i < 3; i++)
        assert_wait(WaitForSingleObject(s, 0), WAIT_OBJECT_0);
    assert_wait(WaitForSingleObject(s, 0), WAIT_TIMEOUT);
    SetLastError(POISON);
    assert_false(SetEvent(s));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);

    /* Bad counts. */
    LONG bad[3][2] = {{0, 0}, {-1, 1}, {2, 1}};
    for (int i = 0; i < 3; i++) {
        SetLastError(POISON);
        assert_null(CreateSemaphoreW(NULL, bad[i][0], bad[i][1], NULL));
        assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    }
    SetLastError(POISON);
    assert_null(CreateSemaphoreA(NULL, 0, 1, "ws2posix-test"));
    assert_int_equal(GetLastError(), ERROR_NOT_SUPPORTED);

    /* Two units released, three threads waiting: exactly two go. */
    struct released w[3];
    pthread_t tid[3];
    for (int i = 0; i < 3; i++) {
        w[i].e = s;
        atomic_init(&w[i].result, POISON);
        ws2t_thread_start(&tid[i], wait_released, &w[i]);
    }
    until_waited_on(s);
    assert_true(ReleaseSemaphore(s, 2, NULL));
    for (int t = 0; t < 5000 && count_released(w, 3) < 2; t++)
        ws2t_sleep_ms(1);
    ws2t_sleep_ms(30);
    assert_int_equal(count_released(w, 3), 2);
    assert_true(ReleaseSemaphore(s, 1, NULL));
    for (int i = 0; i < 3; i++)
        ws2t_thread_join(tid[i], 20);
    assert_int_equal(count_released(w, 3), 3);
    assert_true(CloseHandle(s));
}

/* A wait-all over a semaphore, a free mutex and an auto-reset event takes
 * from each at once; while one of them is not signalled it takes from
 * none. */
static void test_wait_all_takes(void **state)
{
    (void)state;
    HANDLE s = CreateSemaphoreA(NULL, 1, 5, NULL);
    HANDLE m = CreateMutexA(NULL, FALSE, NULL);
    HANDLE a = CreateEventA(NULL, FALSE, FALSE, NULL);
    HANDLE h[3] = {s, m, a};
    assert_wait(WaitForMultipleObjects(3, h, TRUE, 0), WAIT_TIMEOUT);
    LONG prev = -1;
    assert_true(ReleaseSemaphore(s, 1, &prev));
    assert_int_equal(prev, 1); /* the failed wait took nothing */
    assert_wait(other_waits(m, 0, 1), WAIT_OBJECT_0); /* still free */
    assert_true(SetEvent(a));
    assert_wait(WaitForMultipleObjects(3, h, TRUE, 0), WAIT_OBJECT_0);
    assert_true(ReleaseSemaphore(s, 1, &prev));
    assert_int_equal(prev, 1); /* 2 - 1 */
    assert_wait(other_waits(m, 0, 0), WAIT_TIMEOUT); /* owned by us */
    assert_wait(WaitForSingleObject(a, 0), WAIT_TIMEOUT); /* taken */
    /* The owner's wait-all counts its mutex as signalled. */
    assert_true(SetEvent(a));
    assert_wait(WaitForMultipleObjects(3, h, TRUE, 0), WAIT_OBJECT_0);
    assert_true(ReleaseMutex(m));
    assert_true(ReleaseMutex(m));
    assert_wait(other_waits(m, 0, 1), WAIT_OBJECT_0);
    assert_true(CloseHandle(s));
    assert_true(CloseHandle(m));
    assert_true(CloseHandle(a));
}

static void test_close_while_waiting(void **state)
{
    (void)state;
    struct close_arg c = {{make_event(), make_event()}, POISON, 300};
    pthread_t tid;
    ws2t_thread_start(&tid, wait_two, &c);
    until_waited_on(c.ev[0]);
    assert_true(WSACloseEvent(c.ev[0]));
    assert_bool_error(WSASetEvent(c.ev[0]), WSA_INVALID_HANDLE);
    ws2t_thread_join(tid, 20);
    assert_int_equal(c.result, WSA_WAIT_TIMEOUT);
    /* The other event still wakes a waiter whose first event was closed. */
    c.ev[0] = make_event();
    c.result = POISON;
    c.timeout = 10000;
    ws2t_thread_start(&tid, wait_two, &c);
    until_waited_on(c.ev[0]);
    assert_true(WSACloseEvent(c.ev[0]));
    assert_true(WSASetEvent(c.ev[1]));
    ws2t_thread_join(tid, 20);
    assert_int_equal(c.result, WSA_WAIT_EVENT_0 + 1);
    assert_true(WSACloseEvent(c.ev[1]));
}

/* ---- APCs ---- */

static pthread_t apc_thread[16];
static DWORD_PTR apc_order[16];
static atomic_int apc_count;

static void reset_apcs(void)
{
    atomic_store(&apc_count, 0);
    memset(apc_order, 0, sizeof(apc_order));
}

static void CALLBACK record_apc(DWORD_PTR ctx)
{
    int i = atomic_fetch_add(&apc_count, 1);
    if (i < 16) {
        apc_thread[i] = pthread_self();
        apc_order[i] = ctx;
    }
}

struct queuer {
    struct ws2__thread *target;
    unsigned delay_ms;
    int n;
};

static void *queue_later(void *arg)
{
    struct queuer *q = arg;
    ws2t_sleep_ms(q->delay_ms);
    for (int i = 0; i < q->n; i++)
        ws2__apc_queue(q->target, record_apc, (DWORD_PTR)(100 + i));
    return NULL;
}

static void check_ran_here(int n)
{
    assert_int_equal(atomic_load(&apc_count), n);
    for (int i = 0; i < n; i++) {
        if (!pthread_equal(apc_thread[i], pthread_self()))
            fail_msg("APC %d ran in another thread", i);
        assert_int_equal(apc_order[i], 100 + i); /* FIFO */
    }
}

/* "If TRUE ... WSAWaitForMultipleEvents can return when the system
 * executes an I/O completion routine. In this case, WSA_WAIT_IO_COMPLETION
 * is returned and the event that was being waited on is not signaled
 * yet." The routines run in the waiting thread. */
static void test_apc_wakes_alertable_wait(void **state)
{
    (void)state;
    reset_apcs();
    WSAEVENT e = make_event();
    struct queuer q = {ws2__thread_self(), 50, 3};
    pthread_t tid;
    ws2t_thread_start(&tid, queue_later, &q);
    double t0 = ws2t_now_ms();
    DWORD r;
    /* The three may arrive over more than one wait. */
    do {
        r = WSAWaitForMultipleEvents(1, &e, FALSE, 10000, TRUE);
        assert_int_equal(r, WSA_WAIT_IO_COMPLETION);
    } while (atomic_load(&apc_count) < 3 && ws2t_now_ms() - t0 < 10000);
    assert_true(ws2t_now_ms() - t0 < 5000);
    ws2t_thread_join(tid, 20);
    check_ran_here(3);
    assert_wait(WSAWaitForMultipleEvents(1, &e, FALSE, 0, FALSE),
                WSA_WAIT_TIMEOUT);
    assert_true(WSACloseEvent(e));
}

/* SleepEx: "WAIT_IO_COMPLETION if the function returned due to one or
 * more I/O completion callback functions". */
static void test_apc_wakes_sleepex(void **state)
{
    (void)state;
    reset_apcs();
    struct queuer q = {ws2__thread_self(), 50, 2};
    pthread_t tid;
    ws2t_thread_start(&tid, queue_later, &q);
    double t0 = ws2t_now_ms();
    while (atomic_load(&apc_count) < 2 && ws2t_now_ms() - t0 < 10000)
        assert_int_equal(SleepEx(10000, TRUE), WAIT_IO_COMPLETION);
    assert_true(ws2t_now_ms() - t0 < 5000);
    ws2t_thread_join(tid, 20);
    check_ran_here(2);
    /* Nothing queued: an alertable sleep takes its time and returns 0. */
    t0 = ws2t_now_ms();
    assert_int_equal(SleepEx(100, TRUE), 0);
    double took = ws2t_now_ms() - t0;
    if (took < 80 || took > 3000)
        fail_msg("SleepEx(100, TRUE) took %.1f ms", took);
    t0 = ws2t_now_ms();
    assert_int_equal(SleepEx(100, FALSE), 0);
    took = ws2t_now_ms() - t0;
    if (took < 80 || took > 3000)
        fail_msg("SleepEx(100, FALSE) took %.1f ms", took);
    assert_int_equal(SleepEx(0, FALSE), 0);
    assert_int_equal(SleepEx(0, TRUE), 0);
}

/* "If FALSE, the thread is not placed in an alertable wait state and I/O
 * completion routines are not executed": they stay queued, and the next
 * alertable wait runs them all, even with a 0 timeout. */
static void test_non_alertable_keeps_apcs(void **state)
{
    (void)state;
    reset_apcs();
    WSAEVENT e = make_event();
    struct ws2__thread *me = ws2__thread_self();
    for (int i = 0; i < 3; i++)
        assert_int_equal(ws2__apc_queue(me, record_apc, 100 + i), 0);
    assert_wait(WSAWaitForMultipleEvents(1, &e, FALSE, 50, FALSE),
                WSA_WAIT_TIMEOUT);
    assert_int_equal(SleepEx(20, FALSE), 0);
    Sleep(0);
    assert_int_equal(atomic_load(&apc_count), 0);
    assert_wait(WSAWaitForMultipleEvents(1, &e, FALSE, 0, TRUE),
                WSA_WAIT_IO_COMPLETION);
    check_ran_here(3);
    /* Same through SleepEx(0, TRUE). */
    reset_apcs();
    assert_int_equal(ws2__apc_queue(me, record_apc, 100), 0);
    assert_int_equal(SleepEx(0, TRUE), WAIT_IO_COMPLETION);
    check_ran_here(1);
    assert_true(WSACloseEvent(e));
}

/* A signalled event answers first; the routines wait for the next
 * alertable wait that finds nothing signalled. */
static void test_event_before_apc(void **state)
{
    (void)state;
    reset_apcs();
    WSAEVENT e = make_event();
    assert_true(WSASetEvent(e));
    assert_int_equal(ws2__apc_queue(ws2__thread_self(), record_apc, 100), 0);
    assert_wait(WSAWaitForMultipleEvents(1, &e, FALSE, 0, TRUE),
                WSA_WAIT_EVENT_0);
    assert_int_equal(atomic_load(&apc_count), 0);
    assert_true(WSAResetEvent(e));
    assert_wait(WSAWaitForMultipleEvents(1, &e, FALSE, 1000, TRUE),
                WSA_WAIT_IO_COMPLETION);
    check_ran_here(1);
    assert_true(WSACloseEvent(e));
}

/* Completion routines never nest: an alertable wait inside one runs
 * nothing (a ws2posix rule, see WSAWaitForMultipleEvents(3)). */
static DWORD inner_sleep, inner_wait;
static int inner_seen;

static void CALLBACK nesting_apc(DWORD_PTR ctx)
{
    (void)ctx;
    ws2__apc_queue(ws2__thread_self(), record_apc, 100);
    inner_sleep = SleepEx(0, TRUE);
    WSAEVENT e = WSACreateEvent();
    inner_wait = WSAWaitForMultipleEvents(1, &e, FALSE, 10, TRUE);
    WSACloseEvent(e);
    inner_seen = atomic_load(&apc_count);
}

static void test_no_nesting(void **state)
{
    (void)state;
    reset_apcs();
    inner_sleep = inner_wait = POISON;
    inner_seen = -1;
    assert_int_equal(ws2__apc_queue(ws2__thread_self(), nesting_apc, 0), 0);
    assert_int_equal(SleepEx(1000, TRUE), WAIT_IO_COMPLETION);
    assert_int_equal(inner_sleep, 0);
    assert_int_equal(inner_wait, WSA_WAIT_TIMEOUT);
    assert_int_equal(inner_seen, 0);
    /* The routine it queued runs in the next alertable wait. */
    assert_int_equal(SleepEx(1000, TRUE), WAIT_IO_COMPLETION);
    check_ran_here(1);
}

/* An APC queued to a thread that has exited is never run, and (under ASan)
 * not leaked; WPUQueueApc refuses it (WSAEINVAL), so that the provider can
 * release what it would have carried. */
struct exiting {
    struct ws2__thread *t;
    WSATHREADID tid;
};

static void *exit_soon(void *arg)
{
    struct exiting *x = arg;
    x->t = ws2__thread_self();
    ws2__thread_ref(x->t);
    int err = POISON;
    ws2__upcalls.lpWPUOpenCurrentThread(&x->tid, &err);
    /* Queued before exit, never run: dropped when the thread ends. */
    ws2__apc_queue(x->t, record_apc, 1);
    return NULL;
}

static void test_apc_to_exited_thread(void **state)
{
    (void)state;
    reset_apcs();
    struct exiting x = {0};
    pthread_t tid;
    ws2t_thread_start(&tid, exit_soon, &x);
    ws2t_thread_join(tid, 20);
    assert_non_null(x.t);
    assert_int_equal(ws2__apc_queue(x.t, record_apc, 2), WSAEINVAL);
    int err = POISON;
    assert_int_equal(
        ws2__upcalls.lpWPUQueueApc(&x.tid, record_apc, 3, &err),
        SOCKET_ERROR);
    assert_int_equal(err, WSAEINVAL);
    ws2__thread_unref(x.t);
    WSATHREADID old = x.tid;
    assert_int_equal(ws2__upcalls.lpWPUCloseThread(&x.tid, &err), 0);
    /* A WSATHREADID kept after its record went back to the pool still
     * drops, even once a new thread has the record. */
    ws2t_thread_start(&tid, exit_soon, &x);
    ws2t_thread_join(tid, 20);
    assert_int_equal(ws2__upcalls.lpWPUQueueApc(&old, record_apc, 4, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAEINVAL);
    ws2__thread_unref(x.t);
    assert_int_equal(ws2__upcalls.lpWPUCloseThread(&x.tid, &err), 0);
    assert_int_equal(SleepEx(0, TRUE), 0);
    assert_int_equal(atomic_load(&apc_count), 0);
}

/* ---- the upcalls ---- */

/* WPUQueueApc: "WSAEFAULT: The dwThreadId parameter does not specify a
 * valid thread." */
static void test_upcalls(void **state)
{
    (void)state;
    reset_apcs();
    const WSPUPCALLTABLE *u = &ws2__upcalls;
    int err = POISON;
    WSAEVENT e = u->lpWPUCreateEvent(&err);
    assert_true(e != WSA_INVALID_EVENT);
    assert_int_equal(err, (int)POISON);
    assert_true(u->lpWPUSetEvent(e, &err));
    assert_wait(WSAWaitForMultipleEvents(1, &e, FALSE, 0, FALSE),
                WSA_WAIT_EVENT_0);
    assert_true(u->lpWPUResetEvent(e, &err));
    assert_wait(WSAWaitForMultipleEvents(1, &e, FALSE, 0, FALSE),
                WSA_WAIT_TIMEOUT);
    assert_true(u->lpWPUCloseEvent(e, &err));
    assert_int_equal(err, (int)POISON);
    assert_false(u->lpWPUSetEvent(e, &err));
    assert_int_equal(err, WSA_INVALID_HANDLE);
    err = POISON;
    assert_false(u->lpWPUResetEvent(e, &err));
    assert_int_equal(err, WSA_INVALID_HANDLE);
    err = POISON;
    assert_false(u->lpWPUCloseEvent(e, &err));
    assert_int_equal(err, WSA_INVALID_HANDLE);

    WSATHREADID tid = {0};
    err = POISON;
    assert_int_equal(u->lpWPUOpenCurrentThread(&tid, &err), 0);
    assert_ptr_equal(tid.ThreadHandle, ws2__thread_self());
    assert_int_equal(u->lpWPUQueueApc(&tid, record_apc, 100, &err), 0);
    assert_int_equal(SleepEx(0, TRUE), WAIT_IO_COMPLETION);
    check_ran_here(1);
    assert_int_equal(u->lpWPUCloseThread(&tid, &err), 0);

    WSATHREADID none = {0};
    err = POISON;
    assert_int_equal(u->lpWPUQueueApc(NULL, record_apc, 0, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    err = POISON;
    assert_int_equal(u->lpWPUQueueApc(&none, record_apc, 0, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    static char not_a_thread[256];
    none.ThreadHandle = not_a_thread;
    err = POISON;
    assert_int_equal(u->lpWPUQueueApc(&none, record_apc, 0, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    err = POISON;
    assert_int_equal(u->lpWPUOpenCurrentThread(NULL, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    err = POISON;
    assert_int_equal(u->lpWPUCloseThread(NULL, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
}

/* ---- stress: several threads setting, resetting, waiting and queuing
 * routines to each other, for a bounded time (ThreadSanitizer runs). */

#define ST_THREADS 4
#define ST_EVENTS 8

static WSAEVENT st_ev[ST_EVENTS];
static struct ws2__thread *_Atomic st_threads[ST_THREADS];
static atomic_int st_bad, st_apcs_run, st_ready;
static atomic_int st_stop;

static void CALLBACK st_apc(DWORD_PTR ctx)
{
    (void)ctx;
    atomic_fetch_add(&st_apcs_run, 1);
}

static void *stress(void *arg)
{
    int me = (int)(intptr_t)arg;
    struct ws2__thread *self = ws2__thread_self();
    ws2__thread_ref(self); /* others queue to us until they stop */
    atomic_store(&st_threads[me], self);
    atomic_fetch_add(&st_ready, 1);
    unsigned x = 2463534242u + (unsigned)me;
    while (!atomic_load(&st_stop)) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        WSAEVENT e = st_ev[x % ST_EVENTS];
        switch ((x >> 8) % 5) {
        case 0:
            if (!WSASetEvent(e))
                atomic_fetch_add(&st_bad, 1);
            break;
        case 1:
            if (!WSAResetEvent(e))
                atomic_fetch_add(&st_bad, 1);
            break;
        case 2: {
            DWORD r = WSAWaitForMultipleEvents(ST_EVENTS, st_ev,
                                               (x >> 16) & 1, 2, TRUE);
            if (r != WSA_WAIT_TIMEOUT && r != WSA_WAIT_IO_COMPLETION &&
                r >= WSA_WAIT_EVENT_0 + ST_EVENTS)
                atomic_fetch_add(&st_bad, 1);
            break;
        }
        case 3: {
            struct ws2__thread *t =
                atomic_load(&st_threads[(x >> 20) % ST_THREADS]);
            if (t && atomic_load(&st_ready) == ST_THREADS)
                ws2__apc_queue(t, st_apc, 0);
            break;
        }
        default:
            SleepEx(0, TRUE);
            break;
        }
    }
    /* Run what is left so the count adds up; later arrivals are dropped
     * at exit. */
    SleepEx(0, TRUE);
    return NULL;
}

static void test_stress(void **state)
{
    (void)state;
    for (int i = 0; i < ST_EVENTS; i++)
        st_ev[i] = make_event();
    atomic_store(&st_stop, 0);
    pthread_t tid[ST_THREADS];
    for (int i = 0; i < ST_THREADS; i++)
        ws2t_thread_start(&tid[i], stress, (void *)(intptr_t)i);
    ws2t_sleep_ms(400);
    atomic_store(&st_stop, 1);
    for (int i = 0; i < ST_THREADS; i++)
        ws2t_thread_join(tid[i], 20);
    assert_int_equal(atomic_load(&st_bad), 0);
    /* A last set wakes nobody and a closed handle is refused. */
    for (int i = 0; i < ST_EVENTS; i++) {
        assert_true(WSASetEvent(st_ev[i]));
        assert_true(WSACloseEvent(st_ev[i]));
    }
    for (int i = 0; i < ST_THREADS; i++)
        ws2__thread_unref(atomic_load(&st_threads[i]));
}

/* Set and reset without a waiter cost no system call: a rough check that
 * a million pairs take well under the time a million syscalls would under
 * no sanitizer; kept loose so that sanitizer builds pass too. */
static void test_set_reset_cheap(void **state)
{
    (void)state;
    WSAEVENT e = make_event();
    double t0 = ws2t_now_ms();
    for (int i = 0; i < 200000; i++) {
        WSASetEvent(e);
        WSAResetEvent(e);
    }
    double took = ws2t_now_ms() - t0;
    if (took > 5000)
        fail_msg("200000 set/reset pairs took %.0f ms", took);
    assert_true(WSACloseEvent(e));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manual_reset),
        cmocka_unit_test(test_invalid_handles),
        cmocka_unit_test(test_socket_is_not_event),
        cmocka_unit_test(test_wait_parameters),
        cmocka_unit_test(test_lowest_index_wins),
        cmocka_unit_test(test_wait_all),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_set_wakes_waiter),
        cmocka_unit_test(test_set_wakes_all_waiters),
        cmocka_unit_test(test_close_while_waiting),
        cmocka_unit_test(test_create_event),
        cmocka_unit_test(test_auto_reset_releases_one),
        cmocka_unit_test(test_mutex),
        cmocka_unit_test(test_mutex_excludes),
        cmocka_unit_test(test_semaphore),
        cmocka_unit_test(test_wait_all_takes),
        cmocka_unit_test(test_apc_wakes_alertable_wait),
        cmocka_unit_test(test_apc_wakes_sleepex),
        cmocka_unit_test(test_non_alertable_keeps_apcs),
        cmocka_unit_test(test_event_before_apc),
        cmocka_unit_test(test_no_nesting),
        cmocka_unit_test(test_apc_to_exited_thread),
        cmocka_unit_test(test_upcalls),
        cmocka_unit_test(test_stress),
        cmocka_unit_test(test_set_reset_cheap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
