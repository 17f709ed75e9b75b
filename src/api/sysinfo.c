/*
 * sysinfo.c - kernel32's GetSystemInfo/GetNativeSystemInfo, GetTickCount,
 * GetTickCount64 and QueryPerformanceCounter/Frequency: what a server asks
 * to size its thread pool and to measure time.
 *
 * No WSAStartup is needed (kernel32 has none).
 */
#include <sched.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "api/api.h"
#include "windows.h"

/* The performance counter ticks in 100 ns, at Windows' usual 10 MHz. */
#define QPC_FREQUENCY 10000000LL

/* The processor's family, and model and stepping, as Windows reports them
 * (wProcessorLevel, wProcessorRevision): from CPUID on x86. */
static void cpu_ids(WORD *level, WORD *revision)
{
    *level = 0;
    *revision = 0;
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return;
    unsigned family = (a >> 8) & 0xf, model = (a >> 4) & 0xf,
             stepping = a & 0xf;
    if (family == 0xf)
        family += (a >> 20) & 0xff;
    if (family == 0x6 || family >= 0xf)
        model |= ((a >> 16) & 0xf) << 4;
    *level = (WORD)family;
    *revision = (WORD)((model << 8) | stepping);
#endif
}

/* The processors this process may run on, at most 64 (one group). */
static DWORD_PTR active_mask(void)
{
    cpu_set_t set;
    DWORD_PTR mask = 0;
    if (sched_getaffinity(0, sizeof(set), &set) != 0)
        return 1;
    for (int i = 0; i < 64 && i < CPU_SETSIZE; i++)
        if (CPU_ISSET(i, &set))
            mask |= (DWORD_PTR)1 << i;
    return mask ? mask : 1;
}

WS2_EXPORT void WINAPI GetSystemInfo(LPSYSTEM_INFO si)
{
    memset(si, 0, sizeof(*si));
#if defined(__x86_64__)
    si->wProcessorArchitecture = PROCESSOR_ARCHITECTURE_AMD64;
    si->dwProcessorType = PROCESSOR_AMD_X8664;
#elif defined(__i386__)
    si->wProcessorArchitecture = PROCESSOR_ARCHITECTURE_INTEL;
    si->dwProcessorType = PROCESSOR_INTEL_PENTIUM;
#elif defined(__aarch64__)
    si->wProcessorArchitecture = PROCESSOR_ARCHITECTURE_ARM64;
    si->dwProcessorType = PROCESSOR_ARM;
#else
    si->wProcessorArchitecture = PROCESSOR_ARCHITECTURE_UNKNOWN;
#endif
    long page = sysconf(_SC_PAGESIZE);
    si->dwPageSize = page > 0 ? (DWORD)page : 4096;
    /* Windows' bounds of user space on x64: the first 64 KiB are never
     * mapped, and the last 64 KiB below 128 TiB neither. */
    si->lpMinimumApplicationAddress = (LPVOID)(uintptr_t)0x10000;
    si->lpMaximumApplicationAddress =
        (LPVOID)(uintptr_t)(sizeof(void *) == 8 ? 0x00007FFFFFFEFFFFull
                                                : 0x7FFEFFFFul);
    si->dwActiveProcessorMask = active_mask();
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    si->dwNumberOfProcessors = cpus > 0 ? (DWORD)(cpus > 64 ? 64 : cpus) : 1;
    /* Windows' granularity of virtual allocations; a multiple of the page
     * size, so alignments computed from it still hold here. */
    si->dwAllocationGranularity = 65536;
    cpu_ids(&si->wProcessorLevel, &si->wProcessorRevision);
}

WS2_EXPORT void WINAPI GetNativeSystemInfo(LPSYSTEM_INFO si)
{
    GetSystemInfo(si); /* no emulated architecture here */
}

static int64_t ns_since_boot(void)
{
    struct timespec t;
    /* Since the system started, counting time asleep, as Windows' tick
     * count does (QueryUnbiasedInterruptTime is the one that does not). */
    if (clock_gettime(CLOCK_BOOTTIME, &t) != 0)
        clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

WS2_EXPORT ULONGLONG WINAPI GetTickCount64(void)
{
    return (ULONGLONG)(ns_since_boot() / 1000000);
}

WS2_EXPORT DWORD WINAPI GetTickCount(void)
{
    return (DWORD)GetTickCount64(); /* wraps after 49.7 days, as on Windows */
}

WS2_EXPORT BOOL WINAPI QueryPerformanceCounter(LARGE_INTEGER *count)
{
    if (!count) { /* Windows faults writing through it */
        ws2__last_error = ERROR_NOACCESS;
        return FALSE;
    }
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    count->QuadPart = (LONGLONG)t.tv_sec * QPC_FREQUENCY + t.tv_nsec / 100;
    return TRUE;
}

WS2_EXPORT BOOL WINAPI QueryPerformanceFrequency(LARGE_INTEGER *freq)
{
    if (!freq) {
        ws2__last_error = ERROR_NOACCESS;
        return FALSE;
    }
    freq->QuadPart = QPC_FREQUENCY;
    return TRUE;
}
