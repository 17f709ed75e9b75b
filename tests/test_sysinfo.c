/*
 * test_sysinfo.c - the kernel32 system queries a server makes at start:
 * GetSystemInfo/GetNativeSystemInfo (to size a thread pool), GetTickCount,
 * GetTickCount64 and QueryPerformanceCounter/Frequency (to measure time).
 * The Windows rules come from Microsoft's pages of those functions; the
 * expected Linux values are read here independently (sysconf, the
 * affinity mask, clock_gettime).
 */
#define _GNU_SOURCE
#include "util.h"

#include <sched.h>
#include <stddef.h>
#include <time.h>
#include <unistd.h>

#include <windows.h>

/* SYSTEM_INFO has Windows' layout (48 bytes on x64) and the values of this
 * machine: page size, online processors (at most one group of 64), the
 * processors this process may use as a mask, the architecture it was
 * built for, Windows' 64 KiB allocation granularity and user-space
 * bounds. */
static void test_system_info(void **state)
{
    (void)state;
    assert_int_equal(sizeof(SYSTEM_INFO), 48);
    assert_int_equal(offsetof(SYSTEM_INFO, dwPageSize), 4);
    assert_int_equal(offsetof(SYSTEM_INFO, lpMinimumApplicationAddress), 8);
    assert_int_equal(offsetof(SYSTEM_INFO, dwActiveProcessorMask), 24);
    assert_int_equal(offsetof(SYSTEM_INFO, dwNumberOfProcessors), 32);
    assert_int_equal(offsetof(SYSTEM_INFO, dwAllocationGranularity), 40);
    assert_int_equal(offsetof(SYSTEM_INFO, wProcessorRevision), 46);
    SYSTEM_INFO si;
    memset(&si, 0xa5, sizeof(si));
    GetSystemInfo(&si);
    assert_int_equal(si.dwPageSize, sysconf(_SC_PAGESIZE));
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    assert_int_equal(si.dwNumberOfProcessors, cpus > 64 ? 64 : cpus);
    cpu_set_t set;
    assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
    DWORD_PTR mask = 0;
    for (int i = 0; i < 64; i++)
        if (CPU_ISSET(i, &set))
            mask |= (DWORD_PTR)1 << i;
    assert_int_equal(si.dwActiveProcessorMask, mask);
#if defined(__x86_64__)
    assert_int_equal(si.wProcessorArchitecture, PROCESSOR_ARCHITECTURE_AMD64);
    assert_int_equal(si.dwProcessorType, PROCESSOR_AMD_X8664);
    assert_true(si.wProcessorLevel >= 6); /* any x86-64 family */
#elif defined(__aarch64__)
    assert_int_equal(si.wProcessorArchitecture, PROCESSOR_ARCHITECTURE_ARM64);
#endif
    assert_int_equal(si.wReserved, 0);
    assert_int_equal(si.dwAllocationGranularity, 65536);
    assert_int_equal(si.dwAllocationGranularity % si.dwPageSize, 0);
    assert_ptr_equal(si.lpMinimumApplicationAddress, (void *)0x10000);
    /* This program's own code and stack lie between the bounds. */
    int local;
    assert_true((uintptr_t)&local < (uintptr_t)si.lpMaximumApplicationAddress);
    assert_true((uintptr_t)&test_system_info >
                (uintptr_t)si.lpMinimumApplicationAddress);
    SYSTEM_INFO native;
    GetNativeSystemInfo(&native);
    assert_memory_equal(&native, &si, sizeof(si));
}

static uint64_t boot_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_BOOTTIME, &t);
    return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* GetTickCount64: "the number of milliseconds that have elapsed since the
 * system was started" (time asleep included: QueryUnbiasedInterruptTime is
 * the one without it); GetTickCount is its low 32 bits. Both advance with
 * a Sleep. */
static void test_tick_count(void **state)
{
    (void)state;
    uint64_t before = boot_ms();
    ULONGLONG t64 = GetTickCount64();
    DWORD t32 = GetTickCount();
    uint64_t after = boot_ms();
    assert_true(t64 >= before && t64 <= after);
    assert_true((DWORD)(t32 - (DWORD)before) <= (DWORD)(after - before + 1));
    Sleep(50);
    ULONGLONG t64b = GetTickCount64();
    assert_true(t64b - t64 >= 50 && t64b - t64 < 5000);
    assert_true((DWORD)(GetTickCount() - t32) >= 50);
}

/* QueryPerformanceFrequency: fixed, "set at system boot"; 10 MHz here as
 * on current Windows. QueryPerformanceCounter never goes back, and over a
 * Sleep counts the elapsed time at that frequency. */
static void test_performance_counter(void **state)
{
    (void)state;
    LARGE_INTEGER f, a, b;
    assert_true(QueryPerformanceFrequency(&f));
    assert_true(f.QuadPart == 10000000);
    assert_true(QueryPerformanceCounter(&a));
    for (int i = 0; i < 1000; i++) {
        assert_true(QueryPerformanceCounter(&b));
        assert_true(b.QuadPart >= a.QuadPart);
        a = b;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_true(QueryPerformanceCounter(&a));
    Sleep(30);
    assert_true(QueryPerformanceCounter(&b));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int64_t span = (int64_t)(t1.tv_sec - t0.tv_sec) * 10000000 +
                   (t1.tv_nsec - t0.tv_nsec) / 100;
    assert_true(b.QuadPart - a.QuadPart >= 300000); /* 30 ms */
    assert_true(b.QuadPart - a.QuadPart <= span + 1);
    SetLastError(POISON);
    assert_false(QueryPerformanceCounter(NULL));
    assert_int_equal(GetLastError(), ERROR_NOACCESS);
    SetLastError(POISON);
    assert_false(QueryPerformanceFrequency(NULL));
    assert_int_equal(GetLastError(), ERROR_NOACCESS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_system_info),
        cmocka_unit_test(test_tick_count),
        cmocka_unit_test(test_performance_counter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
