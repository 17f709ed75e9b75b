/*
 * windef.h - the Windows base types that the Winsock headers need, with
 * 64-bit Windows widths on LP64 Linux: DWORD, ULONG, LONG and u_long are
 * 32-bit, WCHAR is 16-bit, pointers and *_PTR types are 64-bit.
 *
 * libc's <sys/types.h> and <sys/select.h> are included first so that they
 * cannot be included again after us with their own meaning of u_long,
 * fd_set and select; winsock2.h then gives those names their Windows meaning.
 */
#ifndef WS2POSIX_WINDEF_H
#define WS2POSIX_WINDEF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <unistd.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WS2POSIX 1

#ifndef FAR
#define FAR
#endif
#ifndef NEAR
#define NEAR
#endif
#ifndef PASCAL
#define PASCAL
#endif
#ifndef WINAPI
#define WINAPI
#endif
#ifndef CALLBACK
#define CALLBACK
#endif
#ifndef APIENTRY
#define APIENTRY
#endif
#ifndef CONST
#define CONST const
#endif
#ifndef VOID
#define VOID void
#endif
#ifndef IN
#define IN
#endif
#ifndef OUT
#define OUT
#endif
#ifndef OPTIONAL
#define OPTIONAL
#endif
#ifndef UNREFERENCED_PARAMETER
#define UNREFERENCED_PARAMETER(P) ((void)(P))
#endif

/* libc's <sys/types.h> makes u_long 64-bit; Windows' is 32-bit. */
#undef u_long
#define u_long ws2_u_long

typedef unsigned char BYTE, UCHAR, BOOLEAN, u_char, *PBYTE, *LPBYTE, *PUCHAR;
typedef unsigned short WORD, USHORT, u_short, ADDRESS_FAMILY, *PWORD, *LPWORD,
    *PUSHORT;
typedef uint32_t DWORD, ULONG, UINT32, ws2_u_long, *PDWORD, *LPDWORD, *PULONG;
typedef int32_t LONG, INT32, *PLONG, *LPLONG;
typedef int INT, BOOL, *PINT, *LPINT, *PBOOL, *LPBOOL;
typedef unsigned int UINT, u_int, *PUINT;
typedef short SHORT, *PSHORT;
typedef char CHAR, *PCHAR, *LPSTR, *PSTR;
typedef const char *LPCSTR, *PCSTR;
typedef uint16_t WCHAR, *PWCHAR, *LPWSTR, *PWSTR;
typedef const WCHAR *LPCWSTR, *PCWSTR;
typedef int64_t LONGLONG, INT64, __int64;
typedef uint64_t ULONGLONG, UINT64, DWORD64;
typedef intptr_t INT_PTR, LONG_PTR, SSIZE_T;
typedef uintptr_t UINT_PTR, ULONG_PTR, DWORD_PTR, SIZE_T, *PULONG_PTR,
    *PDWORD_PTR;
typedef void *PVOID, *LPVOID, *HANDLE, *HWND, *HINSTANCE, *HMODULE;
typedef const void *LPCVOID;
typedef HANDLE *PHANDLE, *LPHANDLE;
typedef UINT_PTR WPARAM;
typedef LONG_PTR LPARAM, LRESULT;
typedef LONG HRESULT;

typedef struct _GUID {
    ULONG Data1;
    USHORT Data2;
    USHORT Data3;
    UCHAR Data4[8];
} GUID, *LPGUID, *PGUID;
typedef const GUID *LPCGUID, *REFGUID;

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif
#define INVALID_HANDLE_VALUE ((HANDLE)(LONG_PTR)-1)
#define INFINITE 0xFFFFFFFFu

#define MAKEWORD(a, b) ((WORD)(((BYTE)((DWORD_PTR)(a)&0xff)) | \
                               ((WORD)((BYTE)((DWORD_PTR)(b)&0xff))) << 8))
#define MAKELONG(a, b) ((LONG)(((WORD)((DWORD_PTR)(a)&0xffff)) | \
                               ((DWORD)((WORD)((DWORD_PTR)(b)&0xffff))) << 16))
#define LOWORD(l) ((WORD)((DWORD_PTR)(l)&0xffff))
#define HIWORD(l) ((WORD)((DWORD_PTR)(l) >> 16))
#define LOBYTE(w) ((BYTE)((DWORD_PTR)(w)&0xff))
#define HIBYTE(w) ((BYTE)((DWORD_PTR)(w) >> 8))

/* winnt.h's alignment helpers (the WSA_CMSG_* macros use them). */
#ifndef TYPE_ALIGNMENT
#define TYPE_ALIGNMENT(t) __alignof__(t)
#endif
#ifndef MAX_NATURAL_ALIGNMENT
#define MAX_NATURAL_ALIGNMENT sizeof(ULONGLONG)
#endif

#ifdef __cplusplus
}
#endif
#endif
