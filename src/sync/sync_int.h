/*
 * sync_int.h - what the files of src/sync share and nobody else sees: the
 * thread record with its futex word, the event object, and the link by
 * which a waiting thread hangs itself on an event.
 *
 * The one rule that makes a wait correct: a waiter reads its thread's
 * word, then checks its conditions, then sleeps on the word with the value
 * it read; whoever makes a condition true changes a condition first and
 * bumps the word after. A change that lands between the check and the
 * sleep therefore changes the word, and FUTEX_WAIT returns at once.
 */
#ifndef WS2__SYNC_INT_H
#define WS2__SYNC_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "sync/sync.h"

struct ws2__apc {
    struct ws2__apc *next;
    LPWSAUSERAPC fn;
    DWORD_PTR ctx;
};

struct ws2__thread {
    /* The futex word: bumped by every event set that concerns this thread
     * and by every APC queued while it waits alertably. */
    _Atomic uint32_t word;
    /* 1 while the thread is in an alertable wait: only then does queuing
     * an APC need to wake it (a system call). */
    _Atomic int alert_wait;
    /* APCs queued and not yet taken, for a lock-free look from the owner. */
    _Atomic unsigned napc;
    _Atomic int refs;
    /* LIVE while some thread or reference owns the record, FREE once it is
     * back in the pool: records are never freed, so a stale pointer from a
     * provider reads our memory and is recognised. */
    _Atomic uint32_t magic;
    /* Under lock: which life of the record this is (WSATHREADID.Reserved
     * carries it), whether its thread has exited, its FIFO of APCs. */
    pthread_mutex_t lock;
    DWORD_PTR gen;
    int dead;
    struct ws2__apc *head, *tail;
    /* Under lock: queue entries to use again, so that queuing an APC
     * allocates only when more are queued at once than ever before. */
    struct ws2__apc *spare;
    /* Owner thread only: set while completion routines run, so that an
     * alertable wait inside one runs none (no nesting). */
    int in_apc;
    /* Owner thread only: the entries of the last batch that ran, handed
     * to spare at the next batch (under the lock taken then anyway). */
    struct ws2__apc *ran;
    /* Owner thread only: the mutexes it owns, abandoned at its exit. */
    struct ws2__event *owned;
    struct ws2__thread *pool_next;
};

#define WS2__THREAD_LIVE 0x54687244u /* "DrhT" */
#define WS2__THREAD_FREE 0x65657246u /* "Free" */

/* One waiter on one event; lives on the waiter's stack for one wait. */
struct ws2__waitlink {
    struct ws2__waitlink *prev, *next;
    struct ws2__thread *t;
};

struct ws2__event {
    /* bit 0: signalled; bits 1..31: how many times the state changed, so
     * that a wait-all can prove it saw every event signalled at one moment
     * (two equal reads of every word bracket that moment). */
    _Atomic uint32_t state;
    /* Registered waiters: a set looks here first and takes the lock (and
     * makes system calls) only when it is not 0. */
    _Atomic uint32_t nwaiters;
    /* WS2__EV_*, fixed at creation. A manual-reset event is signalled
     * until reset; an auto-reset event until a wait takes the signal; a
     * semaphore while its count is above 0 (a wait takes one); a mutex
     * while no thread owns it (a wait takes ownership, and its owner's
     * waits succeed again, counted). */
    int kind;
    pthread_mutex_t lock;
    struct ws2__waitlink *waiters;
    /* Semaphores, under lock. */
    LONG count, max;
    /* Mutexes: the owner's thread id (0: free; read without the lock only
     * to compare with the reader's own), and under lock its depth and
     * whether the last owner exited owning it. refs: one for the handle,
     * one while owned (the owner's list names it). */
    _Atomic DWORD owner;
    LONG recursion;
    int abandoned;
    _Atomic int refs;
    struct ws2__event *owned_next;
};

enum { WS2__EV_MANUAL, WS2__EV_AUTO, WS2__EV_SEMAPHORE, WS2__EV_MUTEX };

struct ws2__slot;
/* The same for anything a wait can wait on: an event, or a thread handle
 * (its exit event). */
struct ws2__slot *ws2__waitable_ref(HANDLE h, struct ws2__event **ev);
/* An event embedded in another object (a thread's exit event): made
 * non-signalled, signalled (waking its waiters), destroyed. */
void ws2__event_init(struct ws2__event *e);
/* The answers of ws2__event_take: not satisfied, satisfied, satisfied by
 * a mutex its last owner abandoned. */
enum { WS2__TAKE_NO, WS2__TAKE_OK, WS2__TAKE_ABANDONED };
/* For a wait of thread t (tid its id) that the object satisfies: takes
 * what the wait consumes (an auto-reset signal, a semaphore's unit, a
 * mutex's ownership); a manual-reset event is only looked at. */
int ws2__event_take(struct ws2__event *e, struct ws2__thread *t, DWORD tid);
/* True when the object would satisfy a wait of tid now. */
int ws2__event_ready(struct ws2__event *e, DWORD tid);
/* As ws2__event_take, for a wait-all that proved every state word seen
 * signalled (or, for a mutex, its own): takes only if the word is still
 * seen; NO when it changed meanwhile. */
int ws2__event_take_seen(struct ws2__event *e, uint32_t seen,
                         struct ws2__thread *t, DWORD tid);
/* Gives back what a take of the wait-all took (how: its answer), when a
 * later object of the same wait could not be taken. */
void ws2__event_untake(struct ws2__event *e, int how, struct ws2__thread *t,
                       DWORD tid);
/* Thread t exits: each mutex it owns is abandoned (free, and the next
 * wait it satisfies says WAIT_ABANDONED). */
void ws2__mutex_abandon_all(struct ws2__thread *t, DWORD tid);
/* Signals e (also: gives back what a wait-all took when it could not take
 * the rest). */
void ws2__event_signal(struct ws2__event *e);
void ws2__event_destroy(struct ws2__event *e);
/* The exit event of a thread handle's slot; NULL for any other slot
 * (threadobj.c). */
struct ws2__event *ws2__tobj_event(struct ws2__slot *slot);
void ws2__event_watch(struct ws2__event *e, struct ws2__waitlink *l,
                      struct ws2__thread *t);
void ws2__event_unwatch(struct ws2__event *e, struct ws2__waitlink *l);

/* Futex word operations on a thread record. */
void ws2__thread_poke(struct ws2__thread *t);
/* A wait's deadline on CLOCK_MONOTONIC, ms from now; and whether it has
 * passed. */
struct timespec;
void ws2__deadline_after(DWORD ms, struct timespec *d);
int ws2__deadline_passed(const struct timespec *d);
/* Sleeps while t->word == seq, at most until deadline (NULL: no limit). */
void ws2__thread_park(struct ws2__thread *t, uint32_t seq,
                      const struct timespec *deadline);
/* Runs every APC queued to the calling thread t now, in FIFO order. */
void ws2__apc_run(struct ws2__thread *t);

#endif
