/*
 * test_thread.c - the kernel32 thread subset: CreateThread (also
 * suspended, with ResumeThread), ExitThread, GetExitCodeThread,
 * GetCurrentThreadId, WaitForSingleObject(Ex), WaitForMultipleObjects(Ex)
 * on thread handles and events (mixed), CloseHandle on a thread handle;
 * critical sections, slim reader/writer locks and condition variables;
 * the interlocked intrinsics and CONTAINING_RECORD of windows.h. The Windows rules come from Microsoft's
 * pages of those functions and from Wine's kernel32 tests (sync.c,
 * thread.c), which pass on Windows, unless a test says otherwise.
 *
 * Threads under test block on an event the main thread controls, so no
 * test depends on timing; every wait has a timeout and assertions run in
 * the main thread only (cmocka is not thread-safe).
 */
#define _GNU_SOURCE
#include "util.h"

#include <pthread.h>
#include <stdatomic.h>

#include <windows.h>

#include "spi/handle.h"
#include "sync/sync.h"

#define LONG_WAIT 10000 /* ms: only reached when something is broken */

#define assert_wait(call, want)                                                \
    do {                                                                       \
        DWORD ws2t_r_ = (call);                                                \
        if (ws2t_r_ != (DWORD)(want))                                          \
            fail_msg("%s: got 0x%x (error %u), wanted 0x%x", #call,            \
                     (unsigned)ws2t_r_, (unsigned)GetLastError(),              \
                     (unsigned)(want));                                        \
    } while (0)

#define assert_wait_failed(call, err)                                          \
    do {                                                                       \
        SetLastError(POISON);                                                  \
        DWORD ws2t_r_ = (call);                                                \
        DWORD ws2t_e_ = GetLastError();                                        \
        if (ws2t_r_ != WAIT_FAILED || ws2t_e_ != (DWORD)(err))                 \
            fail_msg("%s: got 0x%x error %u, wanted WAIT_FAILED and %u",      \
                     #call, (unsigned)ws2t_r_, (unsigned)ws2t_e_,              \
                     (unsigned)(err));                                         \
    } while (0)

static WSAEVENT make_event(void)
{
    WSAEVENT e = WSACreateEvent();
    if (e == WSA_INVALID_EVENT)
        fail_msg("WSACreateEvent: error %d", WSAGetLastError());
    return e;
}

/* What a thread under test does: records its id, waits for `go` (when
 * set), then returns `code` or calls ExitThread(code). */
struct job {
    WSAEVENT go;
    DWORD code;
    int use_exit_thread;
    _Atomic DWORD seen_tid;
    _Atomic int after_exit; /* set if ExitThread returned: a bug */
    _Atomic int go_result;
};

static void leave_now(struct job *j)
{
    ExitThread(j->code);
}

static DWORD WINAPI job_main(LPVOID p)
{
    struct job *j = p;
    atomic_store(&j->seen_tid, GetCurrentThreadId());
    if (j->go)
        atomic_store(&j->go_result,
                     (int)WaitForSingleObject(j->go, LONG_WAIT));
    if (j->use_exit_thread) {
        leave_now(j);
        atomic_store(&j->after_exit, 1);
    }
    return j->code;
}

static HANDLE start(struct job *j, DWORD *tid)
{
    HANDLE h = CreateThread(NULL, 0, job_main, j, 0, tid);
    if (!h)
        fail_msg("CreateThread: error %u", (unsigned)GetLastError());
    return h;
}

static void close_handle(HANDLE h)
{
    if (!CloseHandle(h))
        fail_msg("CloseHandle(%p): error %u", h, (unsigned)GetLastError());
}

/* GetExitCodeThread: STILL_ACTIVE until the thread has ended, then "the
 * return value from the thread function"; the handle stays signalled.
 * lpThreadId is the id GetCurrentThreadId gives inside the thread; thread
 * handles are, like every handle, multiples of 4. */
static void test_exit_code(void **state)
{
    (void)state;
    unsigned before = ws2__handle_count();
    struct job j = {.go = make_event(), .code = 42};
    DWORD tid = POISON, code = POISON;
    HANDLE h = start(&j, &tid);
    assert_int_equal((uintptr_t)h & 3, 0);
    assert_int_not_equal(tid, POISON);
    assert_int_not_equal(tid, 0);
    assert_int_not_equal(tid, GetCurrentThreadId());

    assert_true(GetExitCodeThread(h, &code));
    assert_int_equal(code, STILL_ACTIVE);
    assert_wait(WaitForSingleObject(h, 0), WAIT_TIMEOUT);

    assert_true(WSASetEvent(j.go));
    assert_wait(WaitForSingleObject(h, LONG_WAIT), WAIT_OBJECT_0);
    assert_true(GetExitCodeThread(h, &code));
    assert_int_equal(code, 42);
    assert_int_equal(atomic_load(&j.seen_tid), tid);
    assert_int_equal(atomic_load(&j.go_result), WAIT_OBJECT_0);
    for (int i = 0; i < 3; i++) /* a thread handle stays signalled */
        assert_wait(WaitForSingleObject(h, 0), WAIT_OBJECT_0);

    close_handle(h);
    WSACloseEvent(j.go);
    assert_int_equal(ws2__handle_count(), before);
}

/* ExitThread: "the exit value specified in the ExitThread ... function";
 * nothing after the call runs. */
static void test_exit_thread(void **state)
{
    (void)state;
    struct job j = {.code = 7, .use_exit_thread = 1};
    HANDLE h = start(&j, NULL);
    DWORD code = POISON;
    assert_wait(WaitForSingleObject(h, LONG_WAIT), WAIT_OBJECT_0);
    assert_true(GetExitCodeThread(h, &code));
    assert_int_equal(code, 7);
    assert_int_equal(atomic_load(&j.after_exit), 0);
    close_handle(h);
}

/* A wait with a timeout on a running thread times out after about that
 * long, and not before. */
static void test_wait_timeout(void **state)
{
    (void)state;
    struct job j = {.go = make_event(), .code = 1};
    HANDLE h = start(&j, NULL);
    double t0 = ws2t_now_ms();
    assert_wait(WaitForSingleObject(h, 60), WAIT_TIMEOUT);
    double took = ws2t_now_ms() - t0;
    if (took < 55 || took > 5000)
        fail_msg("a 60 ms wait took %.1f ms", took);
    assert_wait(WaitForSingleObjectEx(h, 30, TRUE), WAIT_TIMEOUT);
    assert_true(WSASetEvent(j.go));
    assert_wait(WaitForSingleObject(h, INFINITE), WAIT_OBJECT_0);
    close_handle(h);
    WSACloseEvent(j.go);
}

/* bWaitAll TRUE: "returns when the state of all objects ... is
 * signaled"; one thread still running keeps the wait going. */
static void test_wait_all_threads(void **state)
{
    (void)state;
    enum { N = 4 };
    struct job j[N];
    HANDLE h[N];
    for (int i = 0; i < N; i++) {
        j[i] = (struct job){.go = make_event(), .code = (DWORD)(100 + i)};
        h[i] = start(&j[i], NULL);
    }
    for (int i = 0; i < N - 1; i++)
        assert_true(WSASetEvent(j[i].go));
    /* The first three end; the wait-any sees one of them, the wait-all
     * must not finish while the fourth runs. */
    DWORD any = WaitForMultipleObjects(N, h, FALSE, LONG_WAIT);
    if (any >= WAIT_OBJECT_0 + N - 1)
        fail_msg("wait-any: got 0x%x", (unsigned)any);
    assert_wait(WaitForMultipleObjects(N, h, TRUE, 50), WAIT_TIMEOUT);
    assert_true(WSASetEvent(j[N - 1].go));
    assert_wait(WaitForMultipleObjects(N, h, TRUE, LONG_WAIT), WAIT_OBJECT_0);
    for (int i = 0; i < N; i++) {
        DWORD code = POISON;
        assert_true(GetExitCodeThread(h[i], &code));
        assert_int_equal(code, 100 + i);
        close_handle(h[i]);
        WSACloseEvent(j[i].go);
    }
}

/* "The array can contain handles to objects of different types": events
 * and threads in one wait; the lowest signalled index wins; a wait-all
 * needs both. WSAWaitForMultipleEvents takes a thread handle too (on
 * Windows it is WaitForMultipleObjectsEx). */
static void test_mixed_wait(void **state)
{
    (void)state;
    struct job j = {.go = make_event(), .code = 5};
    WSAEVENT ev = make_event();
    HANDLE h = start(&j, NULL);
    HANDLE both[2] = {ev, h};

    assert_wait(WaitForMultipleObjects(2, both, FALSE, 20), WAIT_TIMEOUT);
    assert_true(WSASetEvent(ev));
    assert_wait(WaitForMultipleObjects(2, both, FALSE, LONG_WAIT),
                WAIT_OBJECT_0);
    assert_wait(WaitForMultipleObjects(2, both, TRUE, 20), WAIT_TIMEOUT);
    assert_true(WSAResetEvent(ev));

    assert_true(WSASetEvent(j.go));
    assert_wait(WaitForMultipleObjects(2, both, FALSE, LONG_WAIT),
                WAIT_OBJECT_0 + 1);
    assert_wait(WSAWaitForMultipleEvents(2, both, FALSE, 0, FALSE),
                WSA_WAIT_EVENT_0 + 1);
    assert_wait(WaitForMultipleObjects(2, both, TRUE, 0), WAIT_TIMEOUT);
    assert_true(WSASetEvent(ev));
    assert_wait(WaitForMultipleObjects(2, both, FALSE, 0), WAIT_OBJECT_0);
    assert_wait(WaitForMultipleObjectsEx(2, both, TRUE, 0, TRUE),
                WAIT_OBJECT_0);
    assert_wait(WaitForSingleObject(ev, 0), WAIT_OBJECT_0);

    /* A thread handle is not an event: it cannot be set or reset. */
    WSASetLastError(POISON);
    assert_false(WSASetEvent(h));
    assert_int_equal(WSAGetLastError(), WSA_INVALID_HANDLE);
    assert_false(WSAResetEvent(h));
    close_handle(h);
    WSACloseEvent(ev);
    WSACloseEvent(j.go);
}

/* Waiting on a thread that other waiters also wait on: the end of the
 * thread wakes them all (a waiter is a helper thread here, itself a
 * thread of CreateThread). */
struct watcher {
    HANDLE target;
    DWORD result;
};

static DWORD WINAPI watch_main(LPVOID p)
{
    struct watcher *w = p;
    w->result = WaitForSingleObject(w->target, LONG_WAIT);
    return 0;
}

static void test_end_wakes_every_waiter(void **state)
{
    (void)state;
    enum { W = 3 };
    struct job j = {.go = make_event(), .code = 9};
    HANDLE target = start(&j, NULL);
    struct watcher w[W];
    HANDLE wh[W];
    for (int i = 0; i < W; i++) {
        w[i] = (struct watcher){target, POISON};
        wh[i] = CreateThread(NULL, 0, watch_main, &w[i], 0, NULL);
        assert_non_null(wh[i]);
    }
    assert_wait(WaitForMultipleObjects(W, wh, FALSE, 30), WAIT_TIMEOUT);
    assert_true(WSASetEvent(j.go));
    assert_wait(WaitForMultipleObjects(W, wh, TRUE, LONG_WAIT),
                WAIT_OBJECT_0);
    for (int i = 0; i < W; i++) {
        assert_int_equal(w[i].result, WAIT_OBJECT_0);
        close_handle(wh[i]);
    }
    close_handle(target);
    WSACloseEvent(j.go);
}

/* What is not an open event or thread handle: WAIT_FAILED with
 * ERROR_INVALID_HANDLE (Wine's sync.c on Windows); count 0 or above
 * MAXIMUM_WAIT_OBJECTS, and one handle twice in a wait-all:
 * ERROR_INVALID_PARAMETER. */
static void test_invalid_handles(void **state)
{
    (void)state;
    struct job j = {.code = 3};
    HANDLE h = start(&j, NULL);
    assert_wait(WaitForSingleObject(h, LONG_WAIT), WAIT_OBJECT_0);
    WSAEVENT ev = make_event();
    HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    assert_non_null(port);
    SOCKET s = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    assert_int_not_equal(s, INVALID_SOCKET);

    assert_wait_failed(WaitForSingleObject(NULL, 0), ERROR_INVALID_HANDLE);
    assert_wait_failed(WaitForSingleObject(INVALID_HANDLE_VALUE, 0),
                       ERROR_INVALID_HANDLE);
    assert_wait_failed(WaitForSingleObject((HANDLE)(uintptr_t)0x12344, 0),
                       ERROR_INVALID_HANDLE);
    assert_wait_failed(WaitForSingleObject(port, 0), ERROR_INVALID_HANDLE);
    assert_wait_failed(WaitForSingleObject((HANDLE)s, 0),
                       ERROR_INVALID_HANDLE);
    HANDLE mix[2] = {ev, NULL};
    assert_wait_failed(WaitForMultipleObjects(2, mix, FALSE, 0),
                       ERROR_INVALID_HANDLE);
    HANDLE dup[2] = {h, h};
    assert_wait_failed(WaitForMultipleObjects(2, dup, TRUE, 0),
                       ERROR_INVALID_PARAMETER);
    assert_wait(WaitForMultipleObjects(2, dup, FALSE, 0), WAIT_OBJECT_0);
    assert_wait_failed(WaitForMultipleObjects(0, dup, FALSE, 0),
                       ERROR_INVALID_PARAMETER);
    HANDLE many[MAXIMUM_WAIT_OBJECTS + 1];
    for (int i = 0; i <= MAXIMUM_WAIT_OBJECTS; i++)
        many[i] = ev;
    assert_wait_failed(
        WaitForMultipleObjects(MAXIMUM_WAIT_OBJECTS + 1, many, FALSE, 0),
        ERROR_INVALID_PARAMETER);

    DWORD code = POISON;
    SetLastError(POISON);
    assert_false(GetExitCodeThread(ev, &code));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    assert_int_equal(code, POISON);
    assert_false(GetExitCodeThread(NULL, &code));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);

    close_handle(h);
    /* Closed: every use fails, the second close too. */
    SetLastError(POISON);
    assert_false(CloseHandle(h));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    assert_wait_failed(WaitForSingleObject(h, 0), ERROR_INVALID_HANDLE);
    SetLastError(POISON);
    assert_false(GetExitCodeThread(h, &code));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);

    closesocket(s);
    close_handle(port);
    WSACloseEvent(ev);
}

/* CreateThread's own refusal: no start routine. */
static void test_create_refused(void **state)
{
    (void)state;
    unsigned before = ws2__handle_count();
    DWORD tid = POISON;
    SetLastError(POISON);
    assert_null(CreateThread(NULL, 0, NULL, NULL, 0, &tid));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    assert_int_equal(tid, POISON);
    assert_int_equal(ws2__handle_count(), before);
}

/* CREATE_SUSPENDED: "The thread is created in a suspended state, and does
 * not run until the ResumeThread function is called"; its id is known at
 * once. ResumeThread returns "the thread's previous suspend count": 1 for
 * the call that starts it, 0 for a thread that is not suspended; (DWORD)-1
 * and ERROR_INVALID_HANDLE for what is not a thread. APCs queued meanwhile
 * wait for an alertable wait of the thread. */
static void test_create_suspended(void **state)
{
    (void)state;
    struct job j = {.code = 17};
    DWORD tid = 0;
    HANDLE h = CreateThread(NULL, 0, job_main, &j, CREATE_SUSPENDED, &tid);
    assert_non_null(h);
    assert_true(tid != 0);
    assert_wait(WaitForSingleObject(h, 100), WAIT_TIMEOUT);
    assert_int_equal(atomic_load(&j.seen_tid), 0); /* not started */
    DWORD code = 0;
    assert_true(GetExitCodeThread(h, &code));
    assert_int_equal(code, STILL_ACTIVE);
    assert_int_equal(ResumeThread(h), 1);
    assert_wait(WaitForSingleObject(h, LONG_WAIT), WAIT_OBJECT_0);
    assert_int_equal(atomic_load(&j.seen_tid), tid);
    assert_true(GetExitCodeThread(h, &code));
    assert_int_equal(code, 17);
    /* Not suspended (it has even ended): the count was 0. */
    assert_int_equal(ResumeThread(h), 0);
    close_handle(h);

    /* A thread that is running and not suspended. */
    struct job k = {.go = make_event(), .code = 3};
    h = start(&k, NULL);
    assert_int_equal(ResumeThread(h), 0);
    WSASetEvent(k.go);
    assert_wait(WaitForSingleObject(h, LONG_WAIT), WAIT_OBJECT_0);
    close_handle(h);
    WSACloseEvent(k.go);

    SetLastError(POISON);
    assert_int_equal(ResumeThread(NULL), (DWORD)-1);
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    WSAEVENT e = make_event();
    SetLastError(POISON);
    assert_int_equal(ResumeThread((HANDLE)e), (DWORD)-1);
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    WSACloseEvent(e);
}

/* ---- critical sections ----
 * Microsoft's pages: a critical section is owned by one thread at a time;
 * "After a thread has ownership of a critical section, it can make
 * additional calls to EnterCriticalSection or TryEnterCriticalSection
 * without blocking its execution", and must call LeaveCriticalSection once
 * for each; TryEnterCriticalSection returns nonzero "if the critical
 * section is successfully entered or the current thread already owns the
 * critical section", 0 when another thread owns it. */
struct cs_job {
    CRITICAL_SECTION *cs;
    WSAEVENT entered, release;
    _Atomic int try_result, in, after_release;
    long *counter;
    int rounds;
};

static DWORD WINAPI cs_try_main(LPVOID p)
{
    struct cs_job *c = p;
    atomic_store(&c->try_result, TryEnterCriticalSection(c->cs));
    if (atomic_load(&c->try_result))
        LeaveCriticalSection(c->cs);
    return 0;
}

static DWORD WINAPI cs_block_main(LPVOID p)
{
    struct cs_job *c = p;
    WSASetEvent(c->entered); /* about to enter */
    EnterCriticalSection(c->cs);
    /* The owner set after_release before it left. */
    atomic_store(&c->in, atomic_load(&c->after_release) ? 1 : -1);
    LeaveCriticalSection(c->cs);
    return 0;
}

static DWORD WINAPI cs_count_main(LPVOID p)
{
    struct cs_job *c = p;
    for (int i = 0; i < c->rounds; i++) {
        EnterCriticalSection(c->cs);
        EnterCriticalSection(c->cs); /* recursion on the hot path too */
        (*c->counter)++;             /* plain: the section protects it */
        LeaveCriticalSection(c->cs);
        LeaveCriticalSection(c->cs);
    }
    return 0;
}

/* Runs fn(arg) on a new thread to its end. */
static void run_to_end(LPTHREAD_START_ROUTINE fn, void *arg)
{
    HANDLE h = CreateThread(NULL, 0, fn, arg, 0, NULL);
    assert_non_null(h);
    assert_wait(WaitForSingleObject(h, LONG_WAIT), WAIT_OBJECT_0);
    close_handle(h);
}

static int try_from_other_thread(CRITICAL_SECTION *cs)
{
    struct cs_job c = {.cs = cs};
    run_to_end(cs_try_main, &c);
    return atomic_load(&c.try_result);
}

static void test_critical_section(void **state)
{
    (void)state;
    CRITICAL_SECTION cs;
    InitializeCriticalSection(&cs);
    assert_int_equal(cs.LockCount, -1);
    assert_int_equal(cs.RecursionCount, 0);
    assert_null(cs.OwningThread);
    EnterCriticalSection(&cs);
    EnterCriticalSection(&cs);
    assert_true(TryEnterCriticalSection(&cs));
    assert_int_equal(cs.RecursionCount, 3);
    assert_ptr_equal(cs.OwningThread,
                     (HANDLE)(uintptr_t)GetCurrentThreadId());
    assert_false(try_from_other_thread(&cs));
    LeaveCriticalSection(&cs);
    LeaveCriticalSection(&cs);
    assert_false(try_from_other_thread(&cs)); /* still once deep */
    LeaveCriticalSection(&cs);
    assert_int_equal(cs.LockCount, -1);
    assert_null(cs.OwningThread);
    assert_true(try_from_other_thread(&cs));

    /* Enter waits for the owner to leave. */
    struct cs_job c = {.cs = &cs, .entered = make_event()};
    EnterCriticalSection(&cs);
    HANDLE h = CreateThread(NULL, 0, cs_block_main, &c, 0, NULL);
    assert_non_null(h);
    assert_wait(WaitForSingleObject(c.entered, LONG_WAIT), WAIT_OBJECT_0);
    assert_wait(WaitForSingleObject(h, 50), WAIT_TIMEOUT);
    assert_int_equal(atomic_load(&c.in), 0);
    atomic_store(&c.after_release, 1);
    LeaveCriticalSection(&cs);
    assert_wait(WaitForSingleObject(h, LONG_WAIT), WAIT_OBJECT_0);
    assert_int_equal(atomic_load(&c.in), 1);
    close_handle(h);
    WSACloseEvent(c.entered);

    /* Four threads, a plain counter: nothing lost (ThreadSanitizer sees
     * the section order every access). */
    long counter = 0;
    struct cs_job w = {.cs = &cs, .counter = &counter, .rounds = 50000};
    HANDLE hs[4];
    for (int i = 0; i < 4; i++) {
        hs[i] = CreateThread(NULL, 0, cs_count_main, &w, 0, NULL);
        assert_non_null(hs[i]);
    }
    assert_wait(WaitForMultipleObjects(4, hs, TRUE, 60000), WAIT_OBJECT_0);
    for (int i = 0; i < 4; i++)
        close_handle(hs[i]);
    assert_int_equal(counter, 4 * 50000);
    assert_int_equal(cs.LockCount, -1);
    DeleteCriticalSection(&cs);
}

/* ---- slim reader/writer locks ----
 * Microsoft's pages: "Shared mode SRW locks ... allow multiple reader
 * threads to acquire the lock concurrently"; exclusive mode one thread at
 * a time; TryAcquire* never wait. SRWLOCK_INIT and InitializeSRWLock make
 * a free lock. */
struct srw_try {
    SRWLOCK *l;
    _Atomic int excl, shared;
};

static DWORD WINAPI srw_try_main(LPVOID p)
{
    struct srw_try *t = p;
    int e = TryAcquireSRWLockExclusive(t->l);
    if (e)
        ReleaseSRWLockExclusive(t->l);
    int sh = TryAcquireSRWLockShared(t->l);
    if (sh)
        ReleaseSRWLockShared(t->l);
    atomic_store(&t->excl, e);
    atomic_store(&t->shared, sh);
    return 0;
}

/* What another thread's TryAcquire calls get now: 2 bits. */
static int srw_from_other(SRWLOCK *l)
{
    struct srw_try t = {.l = l};
    run_to_end(srw_try_main, &t);
    return (atomic_load(&t.excl) ? 1 : 0) | (atomic_load(&t.shared) ? 2 : 0);
}

struct rw_data {
    SRWLOCK l;
    long a, b; /* equal whenever the lock is free */
    _Atomic int bad;
    int rounds;
};

static DWORD WINAPI rw_writer(LPVOID p)
{
    struct rw_data *d = p;
    for (int i = 0; i < d->rounds; i++) {
        AcquireSRWLockExclusive(&d->l);
        d->a++;
        d->b++;
        ReleaseSRWLockExclusive(&d->l);
    }
    return 0;
}

static DWORD WINAPI rw_reader(LPVOID p)
{
    struct rw_data *d = p;
    for (int i = 0; i < d->rounds; i++) {
        AcquireSRWLockShared(&d->l);
        if (d->a != d->b)
            atomic_store(&d->bad, 1);
        ReleaseSRWLockShared(&d->l);
    }
    return 0;
}

static void test_srw_lock(void **state)
{
    (void)state;
    SRWLOCK l = SRWLOCK_INIT;
    assert_int_equal(sizeof(SRWLOCK), sizeof(void *));
    assert_int_equal(srw_from_other(&l), 3); /* free */
    AcquireSRWLockShared(&l);
    assert_true(TryAcquireSRWLockShared(&l)); /* readers share */
    assert_int_equal(srw_from_other(&l), 2);  /* shared yes, exclusive no */
    ReleaseSRWLockShared(&l);
    ReleaseSRWLockShared(&l);
    assert_true(TryAcquireSRWLockExclusive(&l));
    assert_false(TryAcquireSRWLockExclusive(&l)); /* not recursive */
    assert_false(TryAcquireSRWLockShared(&l));
    assert_int_equal(srw_from_other(&l), 0);
    ReleaseSRWLockExclusive(&l);
    InitializeSRWLock(&l);
    assert_null(l.Ptr);

    /* Two writers keep a == b; two readers never see them differ. */
    static struct rw_data d;
    InitializeSRWLock(&d.l);
    d.a = d.b = 0;
    atomic_init(&d.bad, 0);
    d.rounds = 20000;
    HANDLE h[4];
    for (int i = 0; i < 4; i++) {
        h[i] = CreateThread(NULL, 0, i < 2 ? rw_writer : rw_reader, &d, 0,
                            NULL);
        assert_non_null(h[i]);
    }
    assert_wait(WaitForMultipleObjects(4, h, TRUE, 60000), WAIT_OBJECT_0);
    for (int i = 0; i < 4; i++)
        close_handle(h[i]);
    assert_int_equal(d.a, 2 * 20000);
    assert_int_equal(d.b, 2 * 20000);
    assert_int_equal(atomic_load(&d.bad), 0);
    assert_null(d.l.Ptr); /* free again */
}

/* ---- condition variables ----
 * Microsoft's SleepConditionVariableCS/SRW pages: the lock is released
 * while the thread sleeps and held again when the call returns, also on a
 * timeout, which returns FALSE with ERROR_TIMEOUT; WakeConditionVariable
 * wakes one sleeper, WakeAllConditionVariable all. A producer/consumer
 * queue moves every item exactly once. */
#define QCAP 8
struct queue {
    CRITICAL_SECTION cs;
    SRWLOCK srw;
    int use_srw;
    CONDITION_VARIABLE not_empty, not_full;
    int items[QCAP];
    int head, n, closed;
    long sum;
    int per_producer;
};

static void q_lock(struct queue *q)
{
    if (q->use_srw)
        AcquireSRWLockExclusive(&q->srw);
    else
        EnterCriticalSection(&q->cs);
}

static void q_unlock(struct queue *q)
{
    if (q->use_srw)
        ReleaseSRWLockExclusive(&q->srw);
    else
        LeaveCriticalSection(&q->cs);
}

static void q_sleep(struct queue *q, CONDITION_VARIABLE *cv)
{
    if (q->use_srw)
        SleepConditionVariableSRW(cv, &q->srw, LONG_WAIT, 0);
    else
        SleepConditionVariableCS(cv, &q->cs, LONG_WAIT);
}

static DWORD WINAPI producer(LPVOID p)
{
    struct queue *q = p;
    for (int i = 1; i <= q->per_producer; i++) {
        q_lock(q);
        while (q->n == QCAP)
            q_sleep(q, &q->not_full);
        q->items[(q->head + q->n++) % QCAP] = i;
        q_unlock(q);
        WakeConditionVariable(&q->not_empty);
    }
    return 0;
}

static DWORD WINAPI consumer(LPVOID p)
{
    struct queue *q = p;
    for (;;) {
        q_lock(q);
        while (q->n == 0 && !q->closed)
            q_sleep(q, &q->not_empty);
        if (q->n == 0) {
            q_unlock(q);
            return 0;
        }
        q->sum += q->items[q->head];
        q->head = (q->head + 1) % QCAP;
        q->n--;
        q_unlock(q);
        WakeConditionVariable(&q->not_full);
    }
}

static void run_queue(int use_srw)
{
    static struct queue q;
    memset(&q, 0, sizeof(q));
    InitializeCriticalSection(&q.cs);
    InitializeSRWLock(&q.srw);
    InitializeConditionVariable(&q.not_empty);
    InitializeConditionVariable(&q.not_full);
    q.use_srw = use_srw;
    q.per_producer = 3000;
    HANDLE prod[2], cons[2];
    for (int i = 0; i < 2; i++) {
        prod[i] = CreateThread(NULL, 0, producer, &q, 0, NULL);
        cons[i] = CreateThread(NULL, 0, consumer, &q, 0, NULL);
        assert_non_null(prod[i]);
        assert_non_null(cons[i]);
    }
    assert_wait(WaitForMultipleObjects(2, prod, TRUE, 60000), WAIT_OBJECT_0);
    q_lock(&q);
    q.closed = 1;
    q_unlock(&q);
    WakeAllConditionVariable(&q.not_empty);
    assert_wait(WaitForMultipleObjects(2, cons, TRUE, 60000), WAIT_OBJECT_0);
    for (int i = 0; i < 2; i++) {
        close_handle(prod[i]);
        close_handle(cons[i]);
    }
    /* Each producer's 1..N, once each. */
    assert_int_equal(q.sum, 2L * 3000 * 3001 / 2);
    assert_int_equal(q.n, 0);
    DeleteCriticalSection(&q.cs);
}

struct sleeper {
    CONDITION_VARIABLE *cv;
    SRWLOCK *l;
    _Atomic int *holding;
    _Atomic int woke;
};

static DWORD WINAPI shared_sleeper(LPVOID p)
{
    struct sleeper *s = p;
    AcquireSRWLockShared(s->l);
    atomic_fetch_add(s->holding, 1);
    BOOL ok = SleepConditionVariableSRW(s->cv, s->l, LONG_WAIT,
                                        CONDITION_VARIABLE_LOCKMODE_SHARED);
    ReleaseSRWLockShared(s->l);
    atomic_store(&s->woke, ok ? 1 : -1);
    return 0;
}

static void test_condition_variable(void **state)
{
    (void)state;
    run_queue(0);
    run_queue(1);

    /* A timeout: FALSE, ERROR_TIMEOUT, the section held again. */
    CONDITION_VARIABLE cv = CONDITION_VARIABLE_INIT;
    CRITICAL_SECTION cs;
    InitializeCriticalSection(&cs);
    EnterCriticalSection(&cs);
    LARGE_INTEGER f, t0, t1;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&t0);
    SetLastError(POISON);
    assert_false(SleepConditionVariableCS(&cv, &cs, 50));
    assert_int_equal(GetLastError(), ERROR_TIMEOUT);
    QueryPerformanceCounter(&t1);
    assert_true((t1.QuadPart - t0.QuadPart) * 1000 / f.QuadPart >= 49);
    assert_false(try_from_other_thread(&cs));
    LeaveCriticalSection(&cs);
    DeleteCriticalSection(&cs);

    /* One WakeAll wakes every sleeper, here three that held the lock
     * shared. Once all three hold it and the lock is free again, each has
     * let go of it inside its sleep, after which no wake is missed. */
    SRWLOCK l = SRWLOCK_INIT;
    _Atomic int holding = 0;
    struct sleeper s[3];
    HANDLE h[3];
    for (int i = 0; i < 3; i++) {
        s[i] = (struct sleeper){.cv = &cv, .l = &l, .holding = &holding};
        h[i] = CreateThread(NULL, 0, shared_sleeper, &s[i], 0, NULL);
        assert_non_null(h[i]);
    }
    int asleep = 0;
    for (int t = 0; t < 5000 && !asleep; t++) {
        if (atomic_load(&holding) == 3 && TryAcquireSRWLockExclusive(&l)) {
            ReleaseSRWLockExclusive(&l);
            asleep = 1;
        } else {
            Sleep(1);
        }
    }
    assert_true(asleep);
    WakeAllConditionVariable(&cv);
    assert_wait(WaitForMultipleObjects(3, h, TRUE, LONG_WAIT), WAIT_OBJECT_0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(atomic_load(&s[i].woke), 1);
        close_handle(h[i]);
    }
    assert_null(l.Ptr);
}

/* The spin count and the initialisers' answers: AndSpinCount and Ex
 * return nonzero; SetCriticalSectionSpinCount returns the previous count
 * (0 on one CPU, where Windows ignores it); Ex refuses reserved flag bits
 * and a count with bits above the 24 it holds. The layout is Windows'. */
static void test_critical_section_init(void **state)
{
    (void)state;
    CRITICAL_SECTION cs;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    DWORD want = cpus > 1 ? 4000 : 0;
    assert_true(InitializeCriticalSectionAndSpinCount(&cs, 4000));
    assert_int_equal(cs.SpinCount, want);
    assert_int_equal(SetCriticalSectionSpinCount(&cs, 100), want);
    assert_int_equal(SetCriticalSectionSpinCount(&cs, 0), cpus > 1 ? 100 : 0);
    DeleteCriticalSection(&cs);
    assert_true(InitializeCriticalSectionEx(&cs, 10,
                                            CRITICAL_SECTION_NO_DEBUG_INFO));
    assert_int_equal(cs.LockCount, -1);
    DeleteCriticalSection(&cs);
    SetLastError(POISON);
    assert_false(InitializeCriticalSectionEx(&cs, 10, 0x80000000u));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    SetLastError(POISON);
    assert_false(InitializeCriticalSectionEx(&cs, 0x01000000u, 0));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    assert_int_equal(sizeof(CRITICAL_SECTION), 40);
    assert_int_equal(offsetof(CRITICAL_SECTION, LockCount), 8);
    assert_int_equal(offsetof(CRITICAL_SECTION, RecursionCount), 12);
    assert_int_equal(offsetof(CRITICAL_SECTION, OwningThread), 16);
    assert_int_equal(offsetof(CRITICAL_SECTION, LockSemaphore), 24);
    assert_int_equal(offsetof(CRITICAL_SECTION, SpinCount), 32);
}

/* Closing the handle of a running thread does not stop the thread ("The
 * thread object remains in the system until the thread has terminated
 * and all handles to it have been closed"). */
struct closer {
    WSAEVENT go, done;
};

static DWORD WINAPI closer_main(LPVOID p)
{
    struct closer *c = p;
    if (WaitForSingleObject(c->go, LONG_WAIT) == WAIT_OBJECT_0)
        WSASetEvent(c->done);
    return 0;
}

static void test_close_running(void **state)
{
    (void)state;
    unsigned before = ws2__handle_count();
    struct closer c = {make_event(), make_event()};
    HANDLE h = CreateThread(NULL, 0, closer_main, &c, 0, NULL);
    assert_non_null(h);
    close_handle(h);
    assert_true(WSASetEvent(c.go));
    assert_wait(WaitForSingleObject(c.done, LONG_WAIT), WAIT_OBJECT_0);
    WSACloseEvent(c.go);
    WSACloseEvent(c.done);
    assert_int_equal(ws2__handle_count(), before);
}

/* An alertable wait on a thread handle runs the caller's queued
 * completion routines and returns WAIT_IO_COMPLETION; a non-alertable
 * one leaves them queued. ws2__apc_queue stands in for the overlapped
 * engine (see test_event.c). */
static _Atomic int apc_runs;

static void CALLBACK count_apc(DWORD_PTR ctx)
{
    (void)ctx;
    atomic_fetch_add(&apc_runs, 1);
}

static void test_alertable(void **state)
{
    (void)state;
    struct job j = {.go = make_event(), .code = 0};
    HANDLE h = start(&j, NULL);
    atomic_store(&apc_runs, 0);
    struct ws2__thread *me = ws2__thread_self();
    assert_non_null(me);
    ws2__thread_ref(me);
    assert_int_equal(ws2__apc_queue(me, count_apc, 0), 0);
    ws2__thread_unref(me);
    assert_wait(WaitForSingleObject(h, 20), WAIT_TIMEOUT);
    assert_int_equal(atomic_load(&apc_runs), 0);
    assert_wait(WaitForSingleObjectEx(h, LONG_WAIT, TRUE),
                WAIT_IO_COMPLETION);
    assert_int_equal(atomic_load(&apc_runs), 1);
    assert_true(WSASetEvent(j.go));
    assert_wait(WaitForSingleObjectEx(h, LONG_WAIT, TRUE), WAIT_OBJECT_0);
    close_handle(h);
    WSACloseEvent(j.go);
}

/* dwStackSize larger than the default gives a stack at least that big. */
static DWORD WINAPI stack_main(LPVOID p)
{
    pthread_attr_t a;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &a) == 0) {
        pthread_attr_getstacksize(&a, &size);
        pthread_attr_destroy(&a);
    }
    *(size_t *)p = size;
    return 0;
}

static void test_stack_size(void **state)
{
    (void)state;
    size_t got = 0, want = (size_t)64 << 20;
    HANDLE h = CreateThread(NULL, want, stack_main, &got, 0, NULL);
    assert_non_null(h);
    assert_wait(WaitForSingleObject(h, LONG_WAIT), WAIT_OBJECT_0);
    close_handle(h);
    if (got < want)
        fail_msg("asked for a %zu-byte stack, got %zu", want, got);
}

/* MAXIMUM_WAIT_OBJECTS threads in one wait-all, each with its own code. */
static void test_many_threads(void **state)
{
    (void)state;
    unsigned before = ws2__handle_count();
    struct job j[MAXIMUM_WAIT_OBJECTS];
    HANDLE h[MAXIMUM_WAIT_OBJECTS];
    for (int i = 0; i < MAXIMUM_WAIT_OBJECTS; i++) {
        j[i] = (struct job){.code = (DWORD)i * 3 + 1};
        h[i] = start(&j[i], NULL);
    }
    assert_wait(WaitForMultipleObjects(MAXIMUM_WAIT_OBJECTS, h, TRUE,
                                       LONG_WAIT),
                WAIT_OBJECT_0);
    for (int i = 0; i < MAXIMUM_WAIT_OBJECTS; i++) {
        DWORD code = POISON;
        assert_true(GetExitCodeThread(h[i], &code));
        assert_int_equal(code, (DWORD)i * 3 + 1);
        close_handle(h[i]);
    }
    assert_int_equal(ws2__handle_count(), before);
}

/* The interlocked intrinsics: Increment/Decrement return the new value,
 * the others the old one; CompareExchange swaps only when the value is
 * the comparand ("returns the initial value of the Destination"). Four
 * threads adding at once lose nothing. */
struct counters {
    LONG volatile n;
    LONG64 volatile n64;
};

static DWORD WINAPI add_main(LPVOID p)
{
    struct counters *c = p;
    for (int i = 0; i < 100000; i++) {
        InterlockedIncrement(&c->n);
        InterlockedExchangeAdd64(&c->n64, 3);
    }
    return 0;
}

struct outer {
    int before;
    OVERLAPPED ov;
    int after;
};

static void test_interlocked(void **state)
{
    (void)state;
    LONG v = 5;
    assert_int_equal(InterlockedIncrement(&v), 6);
    assert_int_equal(InterlockedDecrement(&v), 5);
    assert_int_equal(InterlockedExchange(&v, 9), 5);
    assert_int_equal(InterlockedExchangeAdd(&v, -4), 9);
    assert_int_equal(InterlockedCompareExchange(&v, 1, 4), 5); /* no swap */
    assert_int_equal(v, 5);
    assert_int_equal(InterlockedCompareExchange(&v, 1, 5), 5);
    assert_int_equal(v, 1);
    LONG64 w = (LONG64)1 << 40;
    assert_true(InterlockedIncrement64(&w) == ((LONG64)1 << 40) + 1);
    assert_true(InterlockedDecrement64(&w) == (LONG64)1 << 40);
    assert_true(InterlockedExchange64(&w, -1) == (LONG64)1 << 40);
    assert_true(InterlockedCompareExchange64(&w, 2, -1) == -1);
    assert_true(w == 2);
    int a, b;
    PVOID p = &a;
    assert_ptr_equal(InterlockedExchangePointer(&p, &b), &a);
    assert_ptr_equal(InterlockedCompareExchangePointer(&p, NULL, &a), &b);
    assert_ptr_equal(p, &b);
    assert_ptr_equal(InterlockedCompareExchangePointer(&p, NULL, &b), &b);
    assert_null(p);

    struct counters c = {0, 0};
    HANDLE h[4];
    for (int i = 0; i < 4; i++) {
        h[i] = CreateThread(NULL, 0, add_main, &c, 0, NULL);
        assert_non_null(h[i]);
    }
    assert_wait(WaitForMultipleObjects(4, h, TRUE, 30000), WAIT_OBJECT_0);
    for (int i = 0; i < 4; i++)
        close_handle(h[i]);
    assert_int_equal(c.n, 400000);
    assert_true(c.n64 == 1200000);

    /* CONTAINING_RECORD, the way a completion finds its context. */
    struct outer o;
    assert_ptr_equal(CONTAINING_RECORD(&o.ov, struct outer, ov), &o);
    assert_int_equal(FIELD_OFFSET(struct outer, after),
                     (LONG)offsetof(struct outer, after));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_code),
        cmocka_unit_test(test_exit_thread),
        cmocka_unit_test(test_wait_timeout),
        cmocka_unit_test(test_wait_all_threads),
        cmocka_unit_test(test_mixed_wait),
        cmocka_unit_test(test_end_wakes_every_waiter),
        cmocka_unit_test(test_invalid_handles),
        cmocka_unit_test(test_create_refused),
        cmocka_unit_test(test_create_suspended),
        cmocka_unit_test(test_critical_section),
        cmocka_unit_test(test_critical_section_init),
        cmocka_unit_test(test_srw_lock),
        cmocka_unit_test(test_condition_variable),
        cmocka_unit_test(test_close_running),
        cmocka_unit_test(test_alertable),
        cmocka_unit_test(test_stack_size),
        cmocka_unit_test(test_many_threads),
        cmocka_unit_test(test_interlocked),
    };
    return cmocka_run_group_tests(tests, ws2t_startup, ws2t_cleanup);
}
