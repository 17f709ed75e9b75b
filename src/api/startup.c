/*
 * startup.c - WSAStartup, WSACleanup, the per-thread last error and the few
 * kernel32 functions that go with it.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "sync/sync.h"
#include "windows.h"

_Atomic int ws2__startup_count;
WS2__TLS int ws2__last_error;
WS2__TLS WSATHREADID ws2__tid;
static pthread_mutex_t startup_lock = PTHREAD_MUTEX_INITIALIZER;

/* ThreadHandle is the thread's record in src/sync, made on the first
 * overlapped call of the thread; it lives as long as the thread (a
 * provider that keeps it longer takes a reference, WPUOpenCurrentThread),
 * and Reserved tells its life apart from later ones. */
LPWSATHREADID ws2__thread_id_open(void)
{
    if (!ws2__tid.ThreadHandle)
        ws2__thread_open(&ws2__tid, 0);
    return &ws2__tid;
}

/* Windows answers a request for major version 0 with WSAVERNOTSUPPORTED,
 * gives at most 1.1 to a 1.x request and at most 2.2 to anything from 2.0
 * up; wVersion is filled in even when the request fails. */
WS2_EXPORT int WSAAPI WSAStartup(WORD wVersionRequested, LPWSADATA lpWSAData)
{
    BYTE major = LOBYTE(wVersionRequested), minor = HIBYTE(wVersionRequested);
    WORD version;
    int err = 0;

    if (major == 0) {
        version = MAKEWORD(2, 2);
        err = WSAVERNOTSUPPORTED;
    } else if (major == 1) {
        version = MAKEWORD(1, minor > 1 ? 1 : minor);
    } else if (major == 2) {
        version = MAKEWORD(2, minor > 2 ? 2 : minor);
    } else {
        version = MAKEWORD(2, 2);
    }
    if (!lpWSAData)
        return WSAEFAULT;
    memset(lpWSAData, 0, sizeof(*lpWSAData));
    lpWSAData->wVersion = version;
    lpWSAData->wHighVersion = MAKEWORD(2, 2);
    strcpy(lpWSAData->szDescription, "WinSock 2.0");
    strcpy(lpWSAData->szSystemStatus, "Running");
    if (major == 1) {
        lpWSAData->iMaxSockets = 32767;
        lpWSAData->iMaxUdpDg = 65467;
    }
    if (err)
        return err;
    pthread_mutex_lock(&startup_lock);
    atomic_fetch_add(&ws2__startup_count, 1);
    pthread_mutex_unlock(&startup_lock);
    return 0;
}

/* The last WSACleanup closes every socket still open, as if closesocket had
 * been called on it, and lets the providers clean up. */
WS2_EXPORT int WSAAPI WSACleanup(void)
{
    pthread_mutex_lock(&startup_lock);
    int n = atomic_load(&ws2__startup_count);
    if (n <= 0) {
        pthread_mutex_unlock(&startup_lock);
        return ws2__fail(WSANOTINITIALISED);
    }
    if (n == 1) {
        ws2__close_all();
        ws2__providers_cleanup();
    }
    atomic_store(&ws2__startup_count, n - 1);
    pthread_mutex_unlock(&startup_lock);
    return 0;
}

WS2_EXPORT int WSAAPI WSAGetLastError(void)
{
    return ws2__last_error;
}

WS2_EXPORT void WSAAPI WSASetLastError(int iError)
{
    ws2__last_error = iError;
}

WS2_EXPORT DWORD WINAPI GetLastError(void)
{
    return (DWORD)ws2__last_error;
}

WS2_EXPORT void WINAPI SetLastError(DWORD dwErrCode)
{
    ws2__last_error = (int)dwErrCode;
}

/* Alertable sleeps run the thread's queued completion routines (see
 * src/sync/wait.c). */
WS2_EXPORT DWORD WINAPI SleepEx(DWORD dwMilliseconds, BOOL bAlertable)
{
    return ws2__sleep(dwMilliseconds, bAlertable);
}

WS2_EXPORT void WINAPI Sleep(DWORD dwMilliseconds)
{
    SleepEx(dwMilliseconds, FALSE);
}
