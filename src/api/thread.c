/*
 * thread.c - the kernel32 thread and wait functions: CreateThread,
 * ResumeThread, ExitThread, GetExitCodeThread, GetCurrentThreadId, WaitForSingleObject(Ex)
 * and WaitForMultipleObjects(Ex), over src/sync (threadobj.c for thread
 * objects, wait.c for the one wait that WSAWaitForMultipleEvents also
 * uses).
 *
 * Like the event and port functions they need no WSAStartup (kernel32 has
 * none). Their errors are Win32 errors in the same per-thread slot
 * WSAGetLastError reads; success leaves it alone, as kernel32 does.
 */
#include "api/api.h"
#include "sync/sync.h"
#include "windows.h"

WS2_EXPORT HANDLE WINAPI CreateThread(LPSECURITY_ATTRIBUTES lpThreadAttributes,
                                      SIZE_T dwStackSize,
                                      LPTHREAD_START_ROUTINE lpStartAddress,
                                      LPVOID lpParameter,
                                      DWORD dwCreationFlags,
                                      LPDWORD lpThreadId)
{
    /* Security attributes mean nothing here: handles are not inherited
     * by child processes (there is no CreateProcess). */
    (void)lpThreadAttributes;
    if (!lpStartAddress) {
        ws2__last_error = ERROR_INVALID_PARAMETER;
        return NULL;
    }
    DWORD tid = 0, err = 0;
    HANDLE h = ws2__tobj_create(dwStackSize, lpStartAddress, lpParameter,
                                (dwCreationFlags & CREATE_SUSPENDED) != 0,
                                &tid, &err);
    if (!h) {
        ws2__last_error = (int)err;
        return NULL;
    }
    if (lpThreadId)
        *lpThreadId = tid;
    return h;
}

WS2_EXPORT DWORD WINAPI ResumeThread(HANDLE hThread)
{
    DWORD prev;
    int err = ws2__tobj_resume(hThread, &prev);
    if (err) {
        ws2__last_error = err;
        return (DWORD)-1;
    }
    return prev;
}

WS2_EXPORT void WINAPI ExitThread(DWORD dwExitCode)
{
    ws2__tobj_exit(dwExitCode);
}

WS2_EXPORT BOOL WINAPI GetExitCodeThread(HANDLE hThread, LPDWORD lpExitCode)
{
    DWORD code;
    int err = ws2__tobj_exit_code(hThread, &code);
    if (err) {
        ws2__last_error = err;
        return FALSE;
    }
    if (!lpExitCode) { /* Windows faults writing through it */
        ws2__last_error = ERROR_NOACCESS;
        return FALSE;
    }
    *lpExitCode = code;
    return TRUE;
}

WS2_EXPORT DWORD WINAPI GetCurrentThreadId(void)
{
    return ws2__tid_self();
}

WS2_EXPORT DWORD WINAPI WaitForMultipleObjectsEx(DWORD nCount,
                                                 const HANDLE *lpHandles,
                                                 BOOL bWaitAll,
                                                 DWORD dwMilliseconds,
                                                 BOOL bAlertable)
{
    /* WSA_INVALID_HANDLE and WSA_INVALID_PARAMETER are the values of
     * ERROR_INVALID_HANDLE and ERROR_INVALID_PARAMETER, and the WSA_WAIT_*
     * results those of WAIT_*: one wait serves both APIs. */
    int err;
    DWORD r = ws2__wait(nCount, lpHandles, bWaitAll, dwMilliseconds,
                        bAlertable, &err);
    if (r == WAIT_FAILED)
        ws2__last_error = err;
    return r;
}

WS2_EXPORT DWORD WINAPI WaitForMultipleObjects(DWORD nCount,
                                               const HANDLE *lpHandles,
                                               BOOL bWaitAll,
                                               DWORD dwMilliseconds)
{
    return WaitForMultipleObjectsEx(nCount, lpHandles, bWaitAll,
                                    dwMilliseconds, FALSE);
}

WS2_EXPORT DWORD WINAPI WaitForSingleObjectEx(HANDLE hHandle,
                                              DWORD dwMilliseconds,
                                              BOOL bAlertable)
{
    return WaitForMultipleObjectsEx(1, &hHandle, FALSE, dwMilliseconds,
                                    bAlertable);
}

WS2_EXPORT DWORD WINAPI WaitForSingleObject(HANDLE hHandle,
                                            DWORD dwMilliseconds)
{
    return WaitForMultipleObjectsEx(1, &hHandle, FALSE, dwMilliseconds,
                                    FALSE);
}
