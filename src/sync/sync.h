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

#endif
