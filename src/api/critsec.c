/*
 * critsec.c - kernel32's critical sections: a recursive lock of one
 * process in Windows' RTL_CRITICAL_SECTION layout.
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
#include <linux/futex.h>
#include <sys/syscall.h>
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

static void futex_wait(LONG *word, LONG val)
{
    syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(LONG *word)
{
    syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
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
