/*
 * threadobj.c - thread objects: the handles CreateThread returns.
 *
 * A thread handle is a handle of the table (catalog id 0, no provider),
 * told apart by its release hook, as events and ports are. It carries an
 * exit event that its thread sets once, when the start routine has
 * returned or the thread called ExitThread; the waits of wait.c wait on a
 * thread as on that event, so threads and events mix in one wait (wait-all
 * too) with no second wait mechanism.
 *
 * The object is counted: one reference for the handle's slot, one for the
 * running thread. Windows lets a program close the handle of a running
 * thread (the thread runs on) and lets a thread end before anyone waits:
 * whichever goes last frees the object. The pthread is detached; nobody
 * joins it.
 *
 * CreateThread returns once the new thread has made its thread record
 * (thread.c: APCs can be queued to it from the start) and published its
 * id, so lpThreadId is what GetCurrentThreadId says inside the thread. A
 * thread created suspended then sleeps on its own futex word, before its
 * start routine, until ResumeThread brings its suspend count to 0.
 */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "spi/handle.h"
#include "sync/sync_int.h"
#include "windows.h"

enum { START_WAIT, START_OK, START_FAILED };

struct tobj {
    struct ws2__event done; /* set once, when the thread has ended */
    _Atomic int refs;       /* the slot's and the running thread's */
    _Atomic DWORD code;     /* STILL_ACTIVE until done is set */
    DWORD ret;              /* the thread's own: its exit code so far */
    DWORD (*fn)(LPVOID);
    LPVOID arg;
    /* The start hand-shake: the creator sleeps on its own futex word
     * until start leaves START_WAIT (tid is written before). */
    struct ws2__thread *creator;
    _Atomic int start;
    DWORD tid;
    /* The suspend count (CREATE_SUSPENDED: 1), and the new thread's
     * record, which ResumeThread pokes. */
    _Atomic DWORD suspended;
    struct ws2__thread *self;
};

static _Thread_local struct tobj *current;
static _Thread_local DWORD my_tid;

DWORD ws2__tid_self(void)
{
    if (!my_tid)
        my_tid = (DWORD)gettid();
    return my_tid;
}

static void tobj_unref(struct tobj *t)
{
    if (atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) != 1)
        return;
    ws2__event_destroy(&t->done);
    free(t);
}

static void tobj_release(DWORD_PTR ctx)
{
    tobj_unref((struct tobj *)ctx);
}

struct ws2__event *ws2__tobj_event(struct ws2__slot *slot)
{
    if (slot->release != tobj_release)
        return NULL;
    return &((struct tobj *)slot->ctx)->done;
}

/* The end of the thread (cleanup handler: also after ExitThread). The
 * code is stored before the event is set, so a thread that saw the
 * handle signalled reads the final code. */
static void finish(void *arg)
{
    struct tobj *t = arg;
    current = NULL;
    atomic_store_explicit(&t->code, t->ret, memory_order_release);
    ws2__event_signal(&t->done);
    tobj_unref(t);
}

/* A thread created suspended waits here for its last ResumeThread. */
static void wait_resumed(struct tobj *t)
{
    for (;;) {
        uint32_t seq = atomic_load(&t->self->word);
        if (atomic_load(&t->suspended) == 0)
            return;
        ws2__thread_park(t->self, seq, NULL);
    }
}

static void *tobj_main(void *arg)
{
    struct tobj *t = arg;
    struct ws2__thread *creator = t->creator;
    t->self = ws2__thread_self();
    int ok = t->self != NULL;
    t->tid = ws2__tid_self();
    atomic_store(&t->start, ok ? START_OK : START_FAILED);
    /* The creator's record outlives this poke: records are never freed. */
    ws2__thread_poke(creator);
    if (!ok) {
        tobj_unref(t); /* the creator closes the handle */
        return NULL;
    }
    wait_resumed(t);
    current = t;
    pthread_cleanup_push(finish, t);
    t->ret = t->fn(t->arg);
    pthread_cleanup_pop(1);
    return NULL;
}

_Noreturn void ws2__tobj_exit(DWORD code)
{
    if (current)
        current->ret = code;
    pthread_exit(NULL); /* runs finish() for a thread of CreateThread */
}

static void wait_started(struct ws2__thread *me, struct tobj *t)
{
    for (;;) {
        uint32_t seq = atomic_load(&me->word);
        if (atomic_load(&t->start) != START_WAIT)
            return;
        ws2__thread_park(me, seq, NULL);
    }
}

/* Windows' dwStackSize never makes a stack smaller than the default (it
 * is a commit size below the default reservation): only a larger size is
 * passed on, rounded up to whole pages. */
static void stack_size(pthread_attr_t *a, SIZE_T want)
{
    size_t def = 0, page = (size_t)sysconf(_SC_PAGESIZE);
    pthread_attr_getstacksize(a, &def);
    if (want <= def)
        return;
    if (want > SIZE_MAX - page)
        want = SIZE_MAX - page;
    pthread_attr_setstacksize(a, (want + page - 1) / page * page);
}

static int start_thread(struct tobj *t, SIZE_T stack)
{
    pthread_attr_t a;
    pthread_t id;
    if (pthread_attr_init(&a) != 0)
        return -1;
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    stack_size(&a, stack);
    int rc = pthread_create(&id, &a, tobj_main, t);
    pthread_attr_destroy(&a);
    return rc == 0 ? 0 : -1;
}

HANDLE ws2__tobj_create(SIZE_T stack, DWORD (*fn)(LPVOID), LPVOID arg,
                        int suspended, DWORD *tid, DWORD *err)
{
    struct ws2__thread *me = ws2__thread_self();
    struct tobj *t = me ? calloc(1, sizeof(*t)) : NULL;
    *err = ERROR_NOT_ENOUGH_MEMORY;
    if (!t)
        return NULL;
    ws2__event_init(&t->done);
    atomic_init(&t->refs, 2);
    atomic_init(&t->code, STILL_ACTIVE);
    atomic_init(&t->start, START_WAIT);
    atomic_init(&t->suspended, suspended ? 1 : 0);
    t->fn = fn;
    t->arg = arg;
    t->creator = me;
    int herr;
    SOCKET h = ws2__handle_create(0, NULL, (DWORD_PTR)t, tobj_release, &herr);
    if (h == INVALID_SOCKET) {
        ws2__event_destroy(&t->done);
        free(t);
        return NULL;
    }
    if (start_thread(t, stack) < 0) {
        tobj_unref(t); /* the thread's reference: it never ran */
        ws2__handle_close(h);
        return NULL;
    }
    wait_started(me, t);
    if (atomic_load(&t->start) == START_FAILED) {
        ws2__handle_close(h);
        return NULL;
    }
    *tid = t->tid;
    return (HANDLE)(uintptr_t)h;
}

int ws2__tobj_close(HANDLE h)
{
    /* The thread runs on; its own reference keeps the object. */
    return ws2__handle_close_kind((SOCKET)(uintptr_t)h, tobj_release)
               ? ERROR_INVALID_HANDLE
               : 0;
}

int ws2__tobj_exit_code(HANDLE h, DWORD *code)
{
    struct ws2__slot *slot =
        ws2__handle_ref_kind((SOCKET)(uintptr_t)h, tobj_release);
    if (!slot)
        return ERROR_INVALID_HANDLE;
    struct tobj *t = (struct tobj *)slot->ctx;
    *code = atomic_load_explicit(&t->code, memory_order_acquire);
    ws2__handle_unref(slot);
    return 0;
}

int ws2__tobj_resume(HANDLE h, DWORD *prev)
{
    struct ws2__slot *slot =
        ws2__handle_ref_kind((SOCKET)(uintptr_t)h, tobj_release);
    if (!slot)
        return ERROR_INVALID_HANDLE;
    struct tobj *t = (struct tobj *)slot->ctx;
    DWORD n = atomic_load(&t->suspended);
    while (n > 0 && !atomic_compare_exchange_weak(&t->suspended, &n, n - 1))
        ;
    *prev = n;
    /* The record outlives the poke (records are never freed); the thread
     * set t->self before its creator could return the handle. */
    if (n == 1)
        ws2__thread_poke(t->self);
    ws2__handle_unref(slot);
    return 0;
}
