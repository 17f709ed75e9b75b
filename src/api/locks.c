/*
 * locks.c - kernel32's locks of one process: critical sections, slim
 * reader/writer locks and condition variables, in Windows' layouts, over
 * futexes.
 *
 * Critical sections: a recursive lock in the RTL_CRITICAL_SECTION layout.
 *
 * LockCount is the futex word: -1 free (as Windows shows a free section),
 * 0 held, 1 held with a thread that may be sleeping on it (the three
 * states of a futex mutex, shifted by one). OwningThread holds the
 * owner's thread id (GetCurrentThreadId) and RecursionCount its depth;
 * only the owner writes them, another thread reads OwningThread only to
 * learn that it is not the owner. A contended Enter spins SpinCount times
 * first, on a machine with more than one CPU. DebugInfo and LockSemaphore
 * are unused (NULL).
 *
 * No WSAStartup is needed (kernel32 has none); errors are Win32 errors in
 * the slot WSAGetLastError reads.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "sync/sync.h"
#include "windows.h"

#define CS_FREE (-1)
#define CS_HELD 0
#define CS_WAITERS 1
/* The spin count's bits (Windows keeps flags above them). */
#define SPIN_MASK 0x00FFFFFFu
/* Flag bits InitializeCriticalSectionEx refuses: Windows' reserved ones. */
#define FLAGS_RESERVED 0xE0000000u

static long futex(void *word, int op, uint32_t val,
                  const struct timespec *rel)
{
    return syscall(SYS_futex, word, op, val, rel, NULL, 0);
}

static void futex_wait(LONG *word, LONG val)
{
    futex(word, FUTEX_WAIT_PRIVATE, (uint32_t)val, NULL);
}

static void futex_wake(LONG *word)
{
    futex(word, FUTEX_WAKE_PRIVATE, 1, NULL);
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

static ULONG_PTR spin_for(DWORD spin)
{
    /* On one CPU spinning only delays the owner (Windows sets 0 too). */
    static int cpus;
    if (!cpus)
        cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
    return cpus > 1 ? spin & SPIN_MASK : 0;
}

static void init(LPCRITICAL_SECTION cs, DWORD spin)
{
    cs->DebugInfo = NULL;
    cs->LockCount = CS_FREE;
    cs->RecursionCount = 0;
    cs->OwningThread = NULL;
    cs->LockSemaphore = NULL;
    cs->SpinCount = spin_for(spin);
}

WS2_EXPORT void WINAPI InitializeCriticalSection(LPCRITICAL_SECTION cs)
{
    init(cs, 0);
}

WS2_EXPORT BOOL WINAPI
InitializeCriticalSectionAndSpinCount(LPCRITICAL_SECTION cs, DWORD spin)
{
    init(cs, spin);
    return TRUE; /* "always returns a nonzero value" since Vista */
}

WS2_EXPORT BOOL WINAPI InitializeCriticalSectionEx(LPCRITICAL_SECTION cs,
                                                   DWORD spin, DWORD flags)
{
    if ((flags & FLAGS_RESERVED) || (spin & ~SPIN_MASK)) {
        ws2__last_error = ERROR_INVALID_PARAMETER;
        return FALSE;
    }
    init(cs, spin);
    return TRUE;
}

WS2_EXPORT DWORD WINAPI SetCriticalSectionSpinCount(LPCRITICAL_SECTION cs,
                                                    DWORD spin)
{
    DWORD old = (DWORD)__atomic_load_n(&cs->SpinCount, __ATOMIC_RELAXED);
    __atomic_store_n(&cs->SpinCount, spin_for(spin), __ATOMIC_RELAXED);
    return old;
}

static HANDLE me(void)
{
    return (HANDLE)(uintptr_t)ws2__tid_self();
}

static int owned_by_me(LPCRITICAL_SECTION cs, HANDLE self)
{
    return __atomic_load_n(&cs->OwningThread, __ATOMIC_RELAXED) == self;
}

static int try_take(LPCRITICAL_SECTION cs)
{
    LONG free_ = CS_FREE;
    return __atomic_compare_exchange_n(&cs->LockCount, &free_, CS_HELD, 0,
                                       __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static void own(LPCRITICAL_SECTION cs, HANDLE self)
{
    __atomic_store_n(&cs->OwningThread, self, __ATOMIC_RELAXED);
    cs->RecursionCount = 1;
}

WS2_EXPORT void WINAPI EnterCriticalSection(LPCRITICAL_SECTION cs)
{
    HANDLE self = me();
    if (owned_by_me(cs, self)) {
        cs->RecursionCount++;
        return;
    }
    if (!try_take(cs)) {
        ULONG_PTR spin = __atomic_load_n(&cs->SpinCount, __ATOMIC_RELAXED);
        int got = 0;
        for (ULONG_PTR i = 0; i < spin && !got; i++) {
            if (__atomic_load_n(&cs->LockCount, __ATOMIC_RELAXED) == CS_FREE)
                got = try_take(cs);
            else
                cpu_relax();
        }
        /* Held with waiters from here on: whoever leaves wakes one. */
        while (!got &&
               __atomic_exchange_n(&cs->LockCount, CS_WAITERS,
                                   __ATOMIC_ACQUIRE) != CS_FREE)
            futex_wait(&cs->LockCount, CS_WAITERS);
    }
    own(cs, self);
}

WS2_EXPORT BOOL WINAPI TryEnterCriticalSection(LPCRITICAL_SECTION cs)
{
    HANDLE self = me();
    if (owned_by_me(cs, self)) {
        cs->RecursionCount++;
        return TRUE;
    }
    if (!try_take(cs))
        return FALSE;
    own(cs, self);
    return TRUE;
}

WS2_EXPORT void WINAPI LeaveCriticalSection(LPCRITICAL_SECTION cs)
{
    /* Windows leaves a call by a thread that does not own the section
     * undefined (it may make other threads wait for ever); here it does
     * nothing. */
    if (!owned_by_me(cs, me()) || cs->RecursionCount <= 0)
        return;
    if (--cs->RecursionCount > 0)
        return;
    __atomic_store_n(&cs->OwningThread, NULL, __ATOMIC_RELAXED);
    if (__atomic_exchange_n(&cs->LockCount, CS_FREE, __ATOMIC_RELEASE) ==
        CS_WAITERS)
        futex_wake(&cs->LockCount);
}

WS2_EXPORT void WINAPI DeleteCriticalSection(LPCRITICAL_SECTION cs)
{
    /* Nothing was allocated; the section is left as a free one. */
    cs->LockCount = CS_FREE;
    cs->RecursionCount = 0;
    cs->OwningThread = NULL;
}

/* ---- slim reader/writer locks ----
 * The lock is a pointer-sized word, all zero when free (SRWLOCK_INIT); its
 * low 32 bits are the futex word: bit 31 held exclusively, bit 30 some
 * thread may be asleep, bits 0..29 the readers. A release that finds
 * sleepers wakes them all and they compete again: no order, as on
 * Windows ("no guarantee about the order in which threads ... acquire"). */
#define SRW_EXCL 0x80000000u
#define SRW_WAIT 0x40000000u
#define SRW_READERS 0x3fffffffu

static _Atomic uint32_t *srw_word(PSRWLOCK l)
{
    _Static_assert(sizeof(l->Ptr) >= sizeof(uint32_t), "SRWLOCK word");
    return (_Atomic uint32_t *)(void *)&l->Ptr;
}

WS2_EXPORT void WINAPI InitializeSRWLock(PSRWLOCK SRWLock)
{
    SRWLock->Ptr = NULL;
}

/* Sleeps while the word is v with the sleepers' bit set (set here). */
static void srw_sleep(_Atomic uint32_t *w, uint32_t v)
{
    if (!(v & SRW_WAIT) &&
        !atomic_compare_exchange_weak(w, &v, v | SRW_WAIT))
        return; /* it changed: look again */
    futex(w, FUTEX_WAIT_PRIVATE, v | SRW_WAIT, NULL);
}

static int srw_try_excl(_Atomic uint32_t *w, uint32_t *seen)
{
    uint32_t v = atomic_load_explicit(w, memory_order_relaxed);
    *seen = v;
    return !(v & (SRW_EXCL | SRW_READERS)) &&
           atomic_compare_exchange_strong_explicit(w, &v, v | SRW_EXCL,
                                                   memory_order_acquire,
                                                   memory_order_relaxed);
}

static int srw_try_shared(_Atomic uint32_t *w, uint32_t *seen)
{
    uint32_t v = atomic_load_explicit(w, memory_order_relaxed);
    *seen = v;
    return !(v & SRW_EXCL) && (v & SRW_READERS) != SRW_READERS &&
           atomic_compare_exchange_strong_explicit(w, &v, v + 1,
                                                   memory_order_acquire,
                                                   memory_order_relaxed);
}

WS2_EXPORT void WINAPI AcquireSRWLockExclusive(PSRWLOCK SRWLock)
{
    _Atomic uint32_t *w = srw_word(SRWLock);
    uint32_t v;
    while (!srw_try_excl(w, &v))
        if (v & (SRW_EXCL | SRW_READERS))
            srw_sleep(w, v);
}

WS2_EXPORT void WINAPI AcquireSRWLockShared(PSRWLOCK SRWLock)
{
    _Atomic uint32_t *w = srw_word(SRWLock);
    uint32_t v;
    while (!srw_try_shared(w, &v))
        if (v & SRW_EXCL)
            srw_sleep(w, v);
}

WS2_EXPORT BOOLEAN WINAPI TryAcquireSRWLockExclusive(PSRWLOCK SRWLock)
{
    uint32_t v;
    return (BOOLEAN)srw_try_excl(srw_word(SRWLock), &v);
}

WS2_EXPORT BOOLEAN WINAPI TryAcquireSRWLockShared(PSRWLOCK SRWLock)
{
    _Atomic uint32_t *w = srw_word(SRWLock);
    uint32_t v;
    /* A lost race with another reader is no reason to fail. */
    for (int i = 0; i < 8; i++) {
        if (srw_try_shared(w, &v))
            return TRUE;
        if (v & SRW_EXCL)
            return FALSE;
    }
    return FALSE;
}

static void srw_wake_all(_Atomic uint32_t *w)
{
    futex(w, FUTEX_WAKE_PRIVATE, INT_MAX, NULL);
}

WS2_EXPORT void WINAPI ReleaseSRWLockExclusive(PSRWLOCK SRWLock)
{
    _Atomic uint32_t *w = srw_word(SRWLock);
    uint32_t v = atomic_fetch_and_explicit(w, ~(SRW_EXCL | SRW_WAIT),
                                           memory_order_release);
    if (v & SRW_WAIT)
        srw_wake_all(w);
}

WS2_EXPORT void WINAPI ReleaseSRWLockShared(PSRWLOCK SRWLock)
{
    _Atomic uint32_t *w = srw_word(SRWLock);
    uint32_t v = atomic_fetch_sub_explicit(w, 1, memory_order_release);
    /* The last reader wakes the sleepers (writers, and readers that came
     * while a writer held it and have not run yet). */
    if ((v & SRW_READERS) == 1 && (v & SRW_WAIT)) {
        atomic_fetch_and_explicit(w, ~SRW_WAIT, memory_order_relaxed);
        srw_wake_all(w);
    }
}

/* ---- condition variables ----
 * The variable is a pointer-sized word whose low 32 bits count the wakes;
 * a sleeper reads the count, releases its lock, and sleeps while the count
 * is unchanged, so a wake between its release and its sleep is not lost.
 * Spurious returns are possible, as Microsoft's page warns. */
static _Atomic uint32_t *cv_word(PCONDITION_VARIABLE c)
{
    return (_Atomic uint32_t *)(void *)&c->Ptr;
}

WS2_EXPORT void WINAPI InitializeConditionVariable(
    PCONDITION_VARIABLE ConditionVariable)
{
    ConditionVariable->Ptr = NULL;
}

WS2_EXPORT void WINAPI WakeConditionVariable(
    PCONDITION_VARIABLE ConditionVariable)
{
    _Atomic uint32_t *w = cv_word(ConditionVariable);
    atomic_fetch_add(w, 1);
    futex(w, FUTEX_WAKE_PRIVATE, 1, NULL);
}

WS2_EXPORT void WINAPI WakeAllConditionVariable(
    PCONDITION_VARIABLE ConditionVariable)
{
    _Atomic uint32_t *w = cv_word(ConditionVariable);
    atomic_fetch_add(w, 1);
    futex(w, FUTEX_WAKE_PRIVATE, INT_MAX, NULL);
}

/* Sleeps on c until woken or ms pass (the lock is released by the caller
 * after seq was read); 0, or ERROR_TIMEOUT. */
static DWORD cv_sleep(_Atomic uint32_t *w, uint32_t seq, DWORD ms)
{
    struct timespec rel, *relp = NULL;
    if (ms != INFINITE) {
        rel.tv_sec = ms / 1000;
        rel.tv_nsec = (long)(ms % 1000) * 1000000L;
        relp = &rel;
    }
    if (futex(w, FUTEX_WAIT_PRIVATE, seq, relp) != 0 && errno == ETIMEDOUT)
        return ERROR_TIMEOUT;
    return 0;
}

WS2_EXPORT BOOL WINAPI SleepConditionVariableCS(
    PCONDITION_VARIABLE ConditionVariable, PCRITICAL_SECTION CriticalSection,
    DWORD dwMilliseconds)
{
    _Atomic uint32_t *w = cv_word(ConditionVariable);
    uint32_t seq = atomic_load(w);
    /* "The critical section must be entered exactly once by the caller". */
    LeaveCriticalSection(CriticalSection);
    DWORD err = cv_sleep(w, seq, dwMilliseconds);
    EnterCriticalSection(CriticalSection);
    if (err) {
        ws2__last_error = (int)err;
        return FALSE;
    }
    return TRUE;
}

WS2_EXPORT BOOL WINAPI SleepConditionVariableSRW(
    PCONDITION_VARIABLE ConditionVariable, PSRWLOCK SRWLock,
    DWORD dwMilliseconds, ULONG Flags)
{
    _Atomic uint32_t *w = cv_word(ConditionVariable);
    uint32_t seq = atomic_load(w);
    int shared = (Flags & CONDITION_VARIABLE_LOCKMODE_SHARED) != 0;
    if (shared)
        ReleaseSRWLockShared(SRWLock);
    else
        ReleaseSRWLockExclusive(SRWLock);
    DWORD err = cv_sleep(w, seq, dwMilliseconds);
    if (shared)
        AcquireSRWLockShared(SRWLock);
    else
        AcquireSRWLockExclusive(SRWLock);
    if (err) {
        ws2__last_error = (int)err;
        return FALSE;
    }
    return TRUE;
}
