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
/* Sleeps for dwMilliseconds (INFINITE for ever). */
DWORD WINAPI SleepEx(DWORD dwMilliseconds, BOOL bAlertable);
void WINAPI Sleep(DWORD dwMilliseconds);

#ifdef __cplusplus
}
#endif
#endif
