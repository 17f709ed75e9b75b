/*
 * ws2perf_port.h - the four things ws2perf needs beyond Winsock: a thread, a
 * monotonic clock, the process's CPU time, and "is stdout a terminal".
 * Linux (ws2posix defines WS2POSIX in windef.h) uses POSIX; Windows uses
 * kernel32. Each side is a whole set of small functions, so no #if sits
 * inside a function body elsewhere.
 */
#ifndef WS2PERF_PORT_H
#define WS2PERF_PORT_H

#include <winsock2.h>
#include <windows.h>

#include <stdio.h>
#include <time.h>

typedef void (*perf_thread_fn)(void *arg);

#ifdef WS2POSIX

#include <pthread.h>
#include <unistd.h>

typedef struct perf_thread {
    pthread_t id;
    perf_thread_fn fn;
    void *arg;
} perf_thread;

static void *perf_thread_main(void *p)
{
    perf_thread *t = p;
    t->fn(t->arg);
    return NULL;
}

static inline int perf_thread_start(perf_thread *t, perf_thread_fn fn,
                                    void *arg)
{
    t->fn = fn;
    t->arg = arg;
    return pthread_create(&t->id, NULL, perf_thread_main, t) == 0 ? 0 : -1;
}

static inline void perf_thread_join(perf_thread *t)
{
    pthread_join(t->id, NULL);
}

/* Seconds on a monotonic clock. */
static inline double perf_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU seconds of the whole process (every thread): clock() on Linux. */
static inline double perf_cpu(void)
{
    return (double)clock() / (double)CLOCKS_PER_SEC;
}

static inline int perf_isatty_stdout(void)
{
    return isatty(STDOUT_FILENO);
}

#else /* Windows */

#include <io.h>

typedef struct perf_thread {
    HANDLE h;
    perf_thread_fn fn;
    void *arg;
} perf_thread;

static DWORD WINAPI perf_thread_main(LPVOID p)
{
    perf_thread *t = p;
    t->fn(t->arg);
    return 0;
}

static inline int perf_thread_start(perf_thread *t, perf_thread_fn fn,
                                    void *arg)
{
    t->fn = fn;
    t->arg = arg;
    t->h = CreateThread(NULL, 0, perf_thread_main, t, 0, NULL);
    return t->h ? 0 : -1;
}

static inline void perf_thread_join(perf_thread *t)
{
    WaitForSingleObject(t->h, INFINITE);
    CloseHandle(t->h);
}

static inline double perf_now(void)
{
    LARGE_INTEGER f, c;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&c);
    return (double)c.QuadPart / (double)f.QuadPart;
}

/* clock() is wall time on Windows: the process times are CPU time. */
static inline double perf_cpu(void)
{
    FILETIME created, exited, kernel, user;
    ULARGE_INTEGER k, u;
    if (!GetProcessTimes(GetCurrentProcess(), &created, &exited, &kernel,
                         &user))
        return 0.0;
    k.LowPart = kernel.dwLowDateTime;
    k.HighPart = kernel.dwHighDateTime;
    u.LowPart = user.dwLowDateTime;
    u.HighPart = user.dwHighDateTime;
    return (double)(k.QuadPart + u.QuadPart) * 1e-7;
}

static inline int perf_isatty_stdout(void)
{
    return _isatty(_fileno(stdout));
}

#endif
#endif
