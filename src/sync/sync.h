/*
 * sync.h - completion delivery: event objects, waits, and the per-thread
 * APC queues that run completion routines in alertable waits.
 *
 * Events are handles of the same table as SOCKETs (src/spi/handle.c), so a
 * closed or stale WSAEVENT fails cleanly with WSA_INVALID_HANDLE. Setting or
 * resetting an event costs no system call while no thread waits on it.
 * A thread's wait covers up to 64 events plus its own APC queue in one
 * kernel wait.
 */
#ifndef WS2__SYNC_H
#define WS2__SYNC_H

#include "ws2spi.h"

/* ---- events ---- */
/* A new manual-reset, non-signalled event, or WSA_INVALID_EVENT with *err
 * (WSA_NOT_ENOUGH_MEMORY). */
WSAEVENT ws2__event_create(int *err);
/* CreateEvent's: manual or auto-reset, signalled or not at first. */
WSAEVENT ws2__event_create_ex(int manual, int initial, int *err);
/* Mutexes and semaphores: objects of the same table and waits (Win32
 * errors). A mutex is created free, or owned by thread record owner
 * (tid its id); a semaphore with its count and maximum (checked by the
 * caller). */
struct ws2__thread;
HANDLE ws2__mutex_create(struct ws2__thread *owner, DWORD tid, int *err);
HANDLE ws2__semaphore_create(LONG initial, LONG max, int *err);
/* The object of handle h when it is one of the table's waitables (event,
 * mutex, semaphore): a counted reference on its handle slot (drop it with
 * ws2__handle_unref), or NULL for anything else. */
struct ws2__event;
struct ws2__slot *ws2__event_ref(WSAEVENT h, struct ws2__event **ev);
/* ReleaseMutex: 0, ERROR_NOT_OWNER, or ERROR_INVALID_HANDLE (no mutex). */
int ws2__mutex_release(struct ws2__event *e, struct ws2__thread *t,
                       DWORD tid);
/* ReleaseSemaphore: 0 (*prev the count before), ERROR_INVALID_PARAMETER
 * (n <= 0), ERROR_TOO_MANY_POSTS (over the maximum: nothing changes), or
 * ERROR_INVALID_HANDLE (no semaphore). */
int ws2__semaphore_release(struct ws2__event *e, LONG n, LONG *prev);
/* 0, or WSA_INVALID_HANDLE for a value that is not an open event. */
int ws2__event_close(WSAEVENT h);
int ws2__event_set(WSAEVENT h);
int ws2__event_reset(WSAEVENT h);
/* WSAWaitForMultipleEvents' work: returns what it returns; on
 * WSA_WAIT_FAILED *err is the reason (WSA_INVALID_PARAMETER,
 * WSA_INVALID_HANDLE). An alertable wait runs the calling thread's queued
 * APCs and then returns WSA_WAIT_IO_COMPLETION. */
DWORD ws2__wait(DWORD n, const WSAEVENT *events, BOOL all, DWORD timeout_ms,
                BOOL alertable, int *err);
/* SleepEx's work: WAIT_IO_COMPLETION (0xC0) when APCs ran, else 0. */
DWORD ws2__sleep(DWORD ms, BOOL alertable);

/* ---- threads and their APC queues ---- */
struct ws2__thread;
/* The calling thread's record (made on first use, released when the thread
 * has exited and no reference is left). */
struct ws2__thread *ws2__thread_self(void);
void ws2__thread_ref(struct ws2__thread *t);
void ws2__thread_unref(struct ws2__thread *t);
/* Queues fn(ctx) to run in thread t during its next alertable wait; wakes
 * the thread when it is waiting. Returns 0; WSAEINVAL when t has exited
 * (nothing queued: the caller still owns ctx), WSA_NOT_ENOUGH_MEMORY when
 * no queue entry could be allocated. The caller holds a reference on t
 * (ws2__thread_ref). */
int ws2__apc_queue(struct ws2__thread *t, LPWSAUSERAPC fn, DWORD_PTR ctx);
/* An APC of fn still queued when its thread exits is dropped, as on
 * Windows; drop(ctx) then releases what fn would have. For the library's
 * own routines, whose context is memory they own; a few at most. */
void ws2__apc_on_drop(LPWSAUSERAPC fn, void (*drop)(DWORD_PTR ctx));

/* ---- WSATHREADID, as providers see threads ----
 * ThreadHandle is the struct ws2__thread *, Reserved the life of that
 * record: records are pooled, never freed, so a WSATHREADID kept after its
 * thread exited still names "a thread that has exited", never a new one. */
/* Fills *tid for the calling thread; with take_ref the record is kept
 * (ws2__thread_close drops it). 0, or WSA_NOT_ENOUGH_MEMORY. */
int ws2__thread_open(LPWSATHREADID tid, int take_ref);
/* Drops what ws2__thread_open(tid, 1) took. 0, or WSAEFAULT. */
int ws2__thread_close(LPWSATHREADID tid);
/* WPUQueueApc's work: 0 when queued; WSAEINVAL when that thread has
 * exited (the caller still owns ctx); WSAEFAULT when tid names no thread
 * record. */
int ws2__apc_queue_id(const WSATHREADID *tid, LPWSAUSERAPC fn, DWORD_PTR ctx);

/* ---- I/O completion ports (port.c) ----
 * A port is a handle of the same table (catalog id 0, no provider), told
 * apart by its release hook. Packets are delivered FIFO; waiting threads
 * are woken LIFO, each handed its packet directly; a thread that dequeued
 * counts as running on the port until it asks again (or exits), and no
 * more than the port's concurrency value run at once. */
struct ws2__slot;
struct ws2__port;
/* One dequeued packet; status is the request's WSA error (0: success). */
struct ws2__packet_out {
    ULONG_PTR key;
    LPWSAOVERLAPPED ov;
    DWORD bytes;
    DWORD status;
};
/* A new port (concurrency 0: the number of CPUs), or NULL with *err
 * (ERROR_NOT_ENOUGH_MEMORY). */
HANDLE ws2__port_create(DWORD concurrency, int *err);
/* A counted reference on an open port's slot, or NULL. */
struct ws2__slot *ws2__port_ref(HANDLE h, struct ws2__port **port);
/* The port behind a slot ws2__port_ref returned or a socket holds. */
struct ws2__port *ws2__port_of(struct ws2__slot *slot);
/* 0, or ERROR_INVALID_HANDLE. Wakes every waiter with
 * ERROR_ABANDONED_WAIT_0. */
int ws2__port_close(HANDLE h);
/* Queues a packet (or hands it to a waiting thread). 0, or
 * ERROR_NOT_ENOUGH_MEMORY. A port whose handle is closed takes nothing
 * (nobody can dequeue it) and returns 0. */
int ws2__port_post(struct ws2__port *port, ULONG_PTR key,
                   LPWSAOVERLAPPED ov, DWORD bytes, DWORD status);
/* Dequeues 1..max packets. Returns how many (> 0), or 0 with *err:
 * WAIT_TIMEOUT, ERROR_ABANDONED_WAIT_0 (the port was closed while
 * waiting), WAIT_IO_COMPLETION (alertable: APCs ran). */
unsigned ws2__port_get(struct ws2__port *port, struct ws2__packet_out *out,
                       unsigned max, DWORD timeout_ms, BOOL alertable,
                       DWORD *err);

/* ---- file handles (file.c) ----
 * A file HANDLE is a handle of the same table (catalog id 0, no provider),
 * told apart by its release hook, owning a Linux descriptor that is closed
 * once the handle is closed and no reference is left. */
enum {
    WS2__FILE_READ = 1,       /* opened for reading */
    WS2__FILE_WRITE = 2,      /* opened for writing */
    WS2__FILE_OVERLAPPED = 4, /* FILE_FLAG_OVERLAPPED: no file pointer use */
};
/* A new handle owning fd (WS2__FILE_* flags; unlink_path, taken over and
 * may be NULL, is removed at the end: FILE_FLAG_DELETE_ON_CLOSE). On
 * failure fd is closed and NULL returned with *err
 * (ERROR_NOT_ENOUGH_MEMORY, ERROR_TOO_MANY_OPEN_FILES). */
HANDLE ws2__file_wrap(int fd, unsigned flags, char *unlink_path, int *err);
/* A counted reference on an open file handle's slot, with its descriptor
 * and flags (may be NULL); NULL for anything else. */
struct ws2__slot *ws2__file_ref(HANDLE h, int *fd, unsigned *flags);
/* 0, or ERROR_INVALID_HANDLE. */
int ws2__file_close(HANDLE h);
/* The Linux side, 0 / >= 0 or -errno: size and kind, position, and a
 * read-only window [off, off + len) mapped for the kernel to send from
 * (returns the address of byte off; unmap *base, *maplen). */
int ws2__file_stat(int fd, int64_t *size, int *regular);
int64_t ws2__file_seek(int fd, int64_t off, int whence);
void *ws2__file_map(int fd, uint64_t off, size_t len, void **base,
                    size_t *maplen, int *err);
void ws2__file_unmap(void *base, size_t maplen);

/* ---- thread objects (threadobj.c): the handles CreateThread returns ----
 * A thread handle lives in the same table; waits treat it as an event
 * that its thread sets once when it ends. Errors are Win32 codes. */
/* Starts fn(arg) on a new thread with its thread record made (stack: bytes,
 * 0 for the default); suspended, fn waits for ws2__tobj_resume. Returns
 * its handle and *tid, or NULL with *err (ERROR_NOT_ENOUGH_MEMORY). */
HANDLE ws2__tobj_create(SIZE_T stack, DWORD (*fn)(LPVOID), LPVOID arg,
                        int suspended, DWORD *tid, DWORD *err);
/* Takes one off the thread's suspend count; at 0 the thread starts.
 * *prev: the count before. 0, or ERROR_INVALID_HANDLE. */
int ws2__tobj_resume(HANDLE h, DWORD *prev);
/* 0, or ERROR_INVALID_HANDLE for what is not an open thread handle. */
int ws2__tobj_close(HANDLE h);
/* *code: STILL_ACTIVE (259) while the thread runs, then its exit code.
 * 0, or ERROR_INVALID_HANDLE. */
int ws2__tobj_exit_code(HANDLE h, DWORD *code);
/* Ends the calling thread with code (ExitThread). */
_Noreturn void ws2__tobj_exit(DWORD code);
/* The calling thread's id (its Linux thread id). */
DWORD ws2__tid_self(void);

/* ---- completion of a request without a routine (src/spi/complete.c) ----
 * lpOverlapped's result, then its event, then a packet to the socket's
 * port (see complete.c for Windows' rules). immediate: the request
 * completed inside the call that started it. */
void ws2__complete(SOCKET s, LPWSAOVERLAPPED ov, DWORD err, DWORD bytes,
                   int immediate);

#endif
