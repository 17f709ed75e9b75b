/*
 * windows.h - the small part of <windows.h> that Winsock programs need: the
 * base types, Winsock 2 itself, and the few kernel32 functions ws2posix
 * implements. It grows with them.
 */
#ifndef WS2POSIX_WINDOWS_H
#define WS2POSIX_WINDOWS_H

#include "windef.h"
#include "winsock2.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The calling thread's last error; the same value WSAGetLastError reports. */
DWORD WINAPI GetLastError(void);
void WINAPI SetLastError(DWORD dwErrCode);
#define WAIT_IO_COMPLETION ((DWORD)0x000000C0L)
#define WAIT_OBJECT_0 ((DWORD)0x00000000L)
#define WAIT_FAILED ((DWORD)0xFFFFFFFF)

/* Sleeps for dwMilliseconds (INFINITE for ever); an alertable sleep ends
 * early, with WAIT_IO_COMPLETION, after running queued completion
 * routines. */
DWORD WINAPI SleepEx(DWORD dwMilliseconds, BOOL bAlertable);
void WINAPI Sleep(DWORD dwMilliseconds);
/* Cancel a socket's overlapped requests: those the calling thread started
 * (CancelIo), or one (lpOverlapped) or all of them (NULL; CancelIoEx). Each
 * completes once with WSA_OPERATION_ABORTED. */
BOOL WINAPI CancelIo(HANDLE hFile);
BOOL WINAPI CancelIoEx(HANDLE hFile, LPOVERLAPPED lpOverlapped);

#ifdef __cplusplus
}
#endif
#endif
