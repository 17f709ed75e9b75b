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
BOOL WINAPI GetOverlappedResult(HANDLE hFile, LPOVERLAPPED lpOverlapped,
                                LPDWORD lpNumberOfBytesTransferred,
                                BOOL bWait);
BOOL WINAPI CancelIo(HANDLE hFile);
BOOL WINAPI CancelIoEx(HANDLE hFile, LPOVERLAPPED lpOverlapped);

/* ---- I/O completion ports ----
 * Last errors of GetQueuedCompletionStatus (WAIT_TIMEOUT is in
 * winerror.h). A failed socket request is reported with the Win32 error
 * Windows derives from its NTSTATUS, not its WSA code: see
 * GetQueuedCompletionStatus(3). */
#define ERROR_NETNAME_DELETED 64L
#define ERROR_SEM_TIMEOUT 121L
#define ERROR_PIPE_NOT_CONNECTED 233L
#define ERROR_MORE_DATA 234L
#define ERROR_ABANDONED_WAIT_0 735L
#define ERROR_CONNECTION_REFUSED 1225L
#define ERROR_CONNECTION_INVALID 1229L
#define ERROR_NETWORK_UNREACHABLE 1231L
#define ERROR_HOST_UNREACHABLE 1232L
#define ERROR_CONNECTION_ABORTED 1236L
#define ERROR_NOACCESS 998L
#define ERROR_NO_SYSTEM_RESOURCES 1450L

/* SetFileCompletionNotificationModes' flags. */
#define FILE_SKIP_COMPLETION_PORT_ON_SUCCESS 0x1
#define FILE_SKIP_SET_EVENT_ON_HANDLE 0x2
#define FILE_SKIP_SET_USER_EVENT_ON_FAST_IO 0x4

/* One packet of GetQueuedCompletionStatusEx. Internal holds the request's
 * status as lpOverlapped->Internal does (0, or the WSA error). */
typedef struct _OVERLAPPED_ENTRY {
    ULONG_PTR lpCompletionKey;
    LPOVERLAPPED lpOverlapped;
    ULONG_PTR Internal;
    DWORD dwNumberOfBytesTransferred;
} OVERLAPPED_ENTRY, *LPOVERLAPPED_ENTRY;

/* Creates a port (FileHandle INVALID_HANDLE_VALUE), or associates the
 * socket FileHandle with ExistingCompletionPort (a new one when NULL) and
 * CompletionKey. */
HANDLE WINAPI CreateIoCompletionPort(HANDLE FileHandle,
                                     HANDLE ExistingCompletionPort,
                                     ULONG_PTR CompletionKey,
                                     DWORD NumberOfConcurrentThreads);
BOOL WINAPI GetQueuedCompletionStatus(HANDLE CompletionPort,
                                      LPDWORD lpNumberOfBytesTransferred,
                                      PULONG_PTR lpCompletionKey,
                                      LPOVERLAPPED *lpOverlapped,
                                      DWORD dwMilliseconds);
BOOL WINAPI GetQueuedCompletionStatusEx(HANDLE CompletionPort,
                                        LPOVERLAPPED_ENTRY
                                            lpCompletionPortEntries,
                                        ULONG ulCount,
                                        PULONG ulNumEntriesRemoved,
                                        DWORD dwMilliseconds,
                                        BOOL fAlertable);
BOOL WINAPI PostQueuedCompletionStatus(HANDLE CompletionPort,
                                       DWORD dwNumberOfBytesTransferred,
                                       ULONG_PTR dwCompletionKey,
                                       LPOVERLAPPED lpOverlapped);
BOOL WINAPI SetFileCompletionNotificationModes(HANDLE FileHandle,
                                               UCHAR Flags);
/* Closes a completion port, an event (WSAEVENT) or a socket. */
BOOL WINAPI CloseHandle(HANDLE hObject);

#ifdef __cplusplus
}
#endif
#endif
