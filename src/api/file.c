/*
 * file.c - the kernel32 file functions a program that sends files needs:
 * CreateFileA/W, GetFileSize(Ex), SetFilePointer(Ex), ReadFile, and the
 * ws2posix extension ws2posix_file_handle. The handle object lives in
 * src/sync/file.c (CloseHandle reaches it through port.c).
 *
 * Like the event and port functions they need no WSAStartup. Errors are
 * Win32 errors in the thread's last error; a successful call leaves it
 * alone, except CreateFile, which sets 0 or ERROR_ALREADY_EXISTS as
 * Windows does. I/O is synchronous: a handle opened with
 * FILE_FLAG_OVERLAPPED reads at the OVERLAPPED's offset and completes
 * before ReadFile returns (Windows allows that), and no completion port
 * takes a file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "sync/sync.h"
#include "util/utf.h"
#include "windows.h"

static BOOL fail(DWORD err)
{
    ws2__last_error = (int)err;
    return FALSE;
}

/* Linux's errno as the Win32 error the same failure gives on Windows. */
static DWORD win32_errno(int e)
{
    switch (e) {
    case ENOENT:
        return ERROR_FILE_NOT_FOUND;
    case ENOTDIR:
        return ERROR_PATH_NOT_FOUND;
    case EACCES:
    case EPERM:
    case EISDIR:
    case EROFS:
        return ERROR_ACCESS_DENIED;
    case ETXTBSY:
        return ERROR_SHARING_VIOLATION;
    case EEXIST:
        return ERROR_FILE_EXISTS;
    case EMFILE:
    case ENFILE:
        return ERROR_TOO_MANY_OPEN_FILES;
    case ENAMETOOLONG:
        return ERROR_FILENAME_EXCED_RANGE;
    case ENOMEM:
        return ERROR_NOT_ENOUGH_MEMORY;
    case ENOSPC:
    case EDQUOT:
        return ERROR_DISK_FULL;
    case EBADF:
        return ERROR_INVALID_HANDLE;
    case EINVAL:
        return ERROR_INVALID_PARAMETER;
    case EFAULT:
        return ERROR_NOACCESS;
    case ESPIPE:
    case ENODEV:
    case ENXIO:
    case EOPNOTSUPP:
        return ERROR_INVALID_FUNCTION;
    default:
        return ERROR_GEN_FAILURE;
    }
}

/* ---- CreateFile ---- */

/* Windows says ERROR_PATH_NOT_FOUND when a directory of the path is
 * missing and ERROR_FILE_NOT_FOUND when only the last part is. */
static DWORD not_found(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return ERROR_FILE_NOT_FOUND;
    char *dir = strndup(path, (size_t)(slash - path));
    struct stat st;
    int ok = dir && stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
    free(dir);
    return ok ? ERROR_FILE_NOT_FOUND : ERROR_PATH_NOT_FOUND;
}

static int open_flags(DWORD access, DWORD attrs)
{
    int rd = (access & (GENERIC_READ | GENERIC_ALL | FILE_READ_DATA)) != 0;
    int wr = (access & (GENERIC_WRITE | GENERIC_ALL | FILE_WRITE_DATA |
                        FILE_APPEND_DATA)) != 0;
    int fl = O_CLOEXEC | (wr ? (rd ? O_RDWR : O_WRONLY) : O_RDONLY);
    if (attrs & FILE_FLAG_WRITE_THROUGH)
        fl |= O_DSYNC;
    return fl;
}

/* Opens path as the disposition says; *existed tells whether the file was
 * there before (CREATE_ALWAYS and OPEN_ALWAYS report it). fd or -errno. */
static int open_disposition(const char *path, int fl, DWORD disp,
                            mode_t mode, int *existed)
{
    *existed = 0;
    for (int tries = 0; tries < 8; tries++) {
        int fd;
        switch (disp) {
        case CREATE_NEW:
            fd = open(path, fl | O_CREAT | O_EXCL, mode);
            return fd < 0 ? -errno : fd;
        case OPEN_EXISTING:
            fd = open(path, fl);
            return fd < 0 ? -errno : fd;
        case TRUNCATE_EXISTING:
            fd = open(path, fl | O_TRUNC);
            return fd < 0 ? -errno : fd;
        default: /* CREATE_ALWAYS, OPEN_ALWAYS: was it there? */
            fd = open(path, fl | O_CREAT | O_EXCL, mode);
            if (fd >= 0 || errno != EEXIST)
                return fd < 0 ? -errno : fd;
            fd = open(path, fl | (disp == CREATE_ALWAYS ? O_TRUNC : 0));
            if (fd >= 0 || errno != ENOENT) {
                *existed = fd >= 0;
                return fd < 0 ? -errno : fd;
            }
            /* Removed in between: try again. */
        }
    }
    return -EAGAIN;
}

/* The handle's flags from the open descriptor. */
static unsigned handle_flags(int fl, DWORD attrs)
{
    int acc = fl & O_ACCMODE;
    return (acc != O_WRONLY ? WS2__FILE_READ : 0) |
           (acc != O_RDONLY ? WS2__FILE_WRITE : 0) |
           (attrs & FILE_FLAG_OVERLAPPED ? WS2__FILE_OVERLAPPED : 0);
}

/* Opened, the path's kind and the flags that matter on Linux. */
static DWORD settle(int fd, DWORD attrs)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return win32_errno(errno);
    /* Windows opens a directory only with FILE_FLAG_BACKUP_SEMANTICS. */
    if (S_ISDIR(st.st_mode) && !(attrs & FILE_FLAG_BACKUP_SEMANTICS))
        return ERROR_ACCESS_DENIED;
    if (attrs & FILE_FLAG_SEQUENTIAL_SCAN)
        posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    else if (attrs & FILE_FLAG_RANDOM_ACCESS)
        posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
    return 0;
}

/* path made absolute (consumed), so that a later chdir does not move the
 * file FILE_FLAG_DELETE_ON_CLOSE removes; NULL when out of memory. */
static char *absolute(char *path)
{
    char cwd[4096];
    if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
        return path;
    size_t a = strlen(cwd), b = strlen(path);
    char *abs = malloc(a + b + 2);
    if (abs) {
        memcpy(abs, cwd, a);
        abs[a] = '/';
        memcpy(abs + a + 1, path, b + 1);
    }
    free(path);
    return abs;
}

/* CreateFileA/W once the name is a malloc'd UTF-8 copy (path; NULL when
 * out of memory). named: the name was neither NULL nor empty. */
static HANDLE create_file(int named, char *path, DWORD access, DWORD disp,
                          DWORD attrs)
{
    if (!named || !path) {
        free(path);
        return fail(named ? ERROR_NOT_ENOUGH_MEMORY : ERROR_PATH_NOT_FOUND),
               INVALID_HANDLE_VALUE;
    }
    if (disp < CREATE_NEW || disp > TRUNCATE_EXISTING ||
        (disp == TRUNCATE_EXISTING &&
         !(access & (GENERIC_WRITE | GENERIC_ALL | FILE_WRITE_DATA)))) {
        free(path);
        return fail(ERROR_INVALID_PARAMETER), INVALID_HANDLE_VALUE;
    }
    /* "You may use either forward slashes (/) or backslashes (\)"
     * (Microsoft's CreateFile page). */
    for (char *p = path; *p; p++)
        if (*p == '\\')
            *p = '/';
    int fl = open_flags(access, attrs), existed;
    mode_t mode = attrs & FILE_ATTRIBUTE_READONLY ? 0444 : 0666;
    int fd = open_disposition(path, fl, disp, mode, &existed);
    DWORD err = fd == -ENOENT ? not_found(path)
                : fd < 0      ? win32_errno(-fd)
                              : settle(fd, attrs);
    if (err) {
        if (fd >= 0)
            close(fd);
        free(path);
        return fail(err), INVALID_HANDLE_VALUE;
    }
    if (attrs & FILE_FLAG_DELETE_ON_CLOSE) {
        path = absolute(path);
    } else {
        free(path);
        path = NULL;
    }
    int werr;
    HANDLE h = ws2__file_wrap(fd, handle_flags(fl, attrs), path, &werr);
    if (!h)
        return fail((DWORD)werr), INVALID_HANDLE_VALUE;
    ws2__last_error = existed ? ERROR_ALREADY_EXISTS : 0;
    return h;
}

WS2_EXPORT HANDLE WINAPI CreateFileA(LPCSTR lpFileName, DWORD dwDesiredAccess,
                                     DWORD dwShareMode,
                                     LPSECURITY_ATTRIBUTES lpSecurityAttributes,
                                     DWORD dwCreationDisposition,
                                     DWORD dwFlagsAndAttributes,
                                     HANDLE hTemplateFile)
{
    /* Linux has no mandatory sharing, security descriptors or templates. */
    (void)dwShareMode, (void)lpSecurityAttributes, (void)hTemplateFile;
    int named = lpFileName && *lpFileName;
    return create_file(named, named ? strdup(lpFileName) : NULL,
                       dwDesiredAccess, dwCreationDisposition,
                       dwFlagsAndAttributes);
}

WS2_EXPORT HANDLE WINAPI CreateFileW(LPCWSTR lpFileName, DWORD dwDesiredAccess,
                                     DWORD dwShareMode,
                                     LPSECURITY_ATTRIBUTES lpSecurityAttributes,
                                     DWORD dwCreationDisposition,
                                     DWORD dwFlagsAndAttributes,
                                     HANDLE hTemplateFile)
{
    (void)dwShareMode, (void)lpSecurityAttributes, (void)hTemplateFile;
    int named = lpFileName && *lpFileName, ok;
    return create_file(named,
                       named ? ws2__utf16_dup_utf8(lpFileName, &ok) : NULL,
                       dwDesiredAccess, dwCreationDisposition,
                       dwFlagsAndAttributes);
}

WS2_EXPORT HANDLE WINAPI ws2posix_file_handle(int fd)
{
    int fl = fd < 0 ? -1 : fcntl(fd, F_GETFL);
    int nfd = fl < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (nfd < 0)
        return fail(win32_errno(fl < 0 ? EBADF : errno)),
               INVALID_HANDLE_VALUE;
    int err;
    HANDLE h = ws2__file_wrap(nfd, handle_flags(fl, 0), NULL, &err);
    return h ? h : (fail((DWORD)err), INVALID_HANDLE_VALUE);
}

/* ---- size and position ---- */

/* A reference on a file handle's slot with its descriptor, or NULL with
 * ERROR_INVALID_HANDLE set. */
static struct ws2__slot *file_ref(HANDLE h, int *fd, unsigned *flags)
{
    struct ws2__slot *slot = ws2__file_ref(h, fd, flags);
    if (!slot)
        fail(ERROR_INVALID_HANDLE);
    return slot;
}

WS2_EXPORT BOOL WINAPI GetFileSizeEx(HANDLE hFile, PLARGE_INTEGER lpFileSize)
{
    int fd, regular;
    int64_t size;
    struct ws2__slot *slot = file_ref(hFile, &fd, NULL);
    if (!slot)
        return FALSE;
    int r = ws2__file_stat(fd, &size, &regular);
    ws2__handle_unref(slot);
    if (r)
        return fail(win32_errno(-r));
    if (!lpFileSize) /* not a valid user buffer */
        return fail(ERROR_NOACCESS);
    lpFileSize->QuadPart = size;
    return TRUE;
}

WS2_EXPORT DWORD WINAPI GetFileSize(HANDLE hFile, LPDWORD lpFileSizeHigh)
{
    LARGE_INTEGER size;
    if (!GetFileSizeEx(hFile, &size))
        return INVALID_FILE_SIZE;
    if (lpFileSizeHigh)
        *lpFileSizeHigh = (DWORD)size.HighPart;
    /* The low part may be INVALID_FILE_SIZE itself: the caller then tells
     * success by GetLastError() == NO_ERROR (Microsoft's GetFileSize). */
    if (size.LowPart == INVALID_FILE_SIZE)
        ws2__last_error = 0;
    return size.LowPart;
}

WS2_EXPORT BOOL WINAPI SetFilePointerEx(HANDLE hFile,
                                        LARGE_INTEGER liDistanceToMove,
                                        PLARGE_INTEGER lpNewFilePointer,
                                        DWORD dwMoveMethod)
{
    int fd, regular;
    struct ws2__slot *slot = file_ref(hFile, &fd, NULL);
    if (!slot)
        return FALSE;
    int64_t base = 0, size, dist = liDistanceToMove.QuadPart;
    DWORD err = 0;
    if (dwMoveMethod == FILE_CURRENT)
        base = ws2__file_seek(fd, 0, SEEK_CUR);
    else if (dwMoveMethod == FILE_END)
        base = ws2__file_stat(fd, &size, &regular) == 0 ? size : -EBADF;
    else if (dwMoveMethod != FILE_BEGIN)
        err = ERROR_INVALID_PARAMETER;
    if (!err && base < 0)
        err = win32_errno((int)-base);
    /* Windows moves anywhere at or past the end, never before the start. */
    else if (!err && (dist < -base || (dist > 0 && base > INT64_MAX - dist)))
        err = dist < 0 ? ERROR_NEGATIVE_SEEK : ERROR_INVALID_PARAMETER;
    int64_t pos = err ? 0 : ws2__file_seek(fd, base + dist, SEEK_SET);
    ws2__handle_unref(slot);
    if (!err && pos < 0)
        err = win32_errno((int)-pos);
    if (err)
        return fail(err);
    if (lpNewFilePointer)
        lpNewFilePointer->QuadPart = pos;
    return TRUE;
}

WS2_EXPORT DWORD WINAPI SetFilePointer(HANDLE hFile, LONG lDistanceToMove,
                                       PLONG lpDistanceToMoveHigh,
                                       DWORD dwMoveMethod)
{
    LARGE_INTEGER dist, pos;
    if (lpDistanceToMoveHigh) {
        dist.LowPart = (DWORD)lDistanceToMove;
        dist.HighPart = *lpDistanceToMoveHigh;
    } else {
        dist.QuadPart = lDistanceToMove; /* a signed 32-bit distance */
    }
    if (!SetFilePointerEx(hFile, dist, &pos, dwMoveMethod))
        return INVALID_SET_FILE_POINTER;
    if (lpDistanceToMoveHigh)
        *lpDistanceToMoveHigh = pos.HighPart;
    if (pos.LowPart == INVALID_SET_FILE_POINTER)
        ws2__last_error = 0; /* as GetFileSize: tells success apart */
    return pos.LowPart;
}

/* ---- ReadFile ---- */

/* The OVERLAPPED of a read that completed inside the call: result, count,
 * then its event (the low bit of hEvent belongs to completion ports). */
static void complete_ov(LPOVERLAPPED ov, DWORD err, DWORD bytes)
{
    ov->InternalHigh = bytes;
    __atomic_store_n(&ov->Internal, (ULONG_PTR)err, __ATOMIC_RELEASE);
    if (ov->hEvent)
        ws2__event_set((WSAEVENT)((uintptr_t)ov->hEvent & ~(uintptr_t)1));
}

static ssize_t read_at(int fd, void *buf, size_t n, int64_t off)
{
    ssize_t r;
    do
        r = off < 0 ? read(fd, buf, n) : pread(fd, buf, n, (off_t)off);
    while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : r;
}

WS2_EXPORT BOOL WINAPI ReadFile(HANDLE hFile, LPVOID lpBuffer,
                                DWORD nNumberOfBytesToRead,
                                LPDWORD lpNumberOfBytesRead,
                                LPOVERLAPPED lpOverlapped)
{
    int fd;
    unsigned flags;
    if (lpNumberOfBytesRead)
        *lpNumberOfBytesRead = 0;
    /* Microsoft's ReadFile: the count may be NULL only with an OVERLAPPED. */
    if (!lpNumberOfBytesRead && !lpOverlapped)
        return fail(ERROR_INVALID_PARAMETER);
    struct ws2__slot *slot = file_ref(hFile, &fd, &flags);
    if (!slot)
        return FALSE;
    int64_t off = -1;
    if (lpOverlapped)
        off = (int64_t)((uint64_t)lpOverlapped->OffsetHigh << 32 |
                        lpOverlapped->Offset);
    ssize_t r = !(flags & WS2__FILE_READ)
                    ? -EACCES
                    : read_at(fd, lpBuffer, nNumberOfBytesToRead, off);
    /* A synchronous handle's file pointer follows a positioned read. */
    if (r >= 0 && off >= 0 && !(flags & WS2__FILE_OVERLAPPED))
        ws2__file_seek(fd, off + r, SEEK_SET);
    ws2__handle_unref(slot);
    if (r < 0)
        return fail(win32_errno((int)-r));
    if (lpNumberOfBytesRead)
        *lpNumberOfBytesRead = (DWORD)r;
    if (!lpOverlapped)
        return TRUE;
    /* Past the end, a read with an OVERLAPPED fails with ERROR_HANDLE_EOF
     * (Microsoft's ReadFile, "synchronous file handles"). */
    DWORD err = r == 0 && nNumberOfBytesToRead ? ERROR_HANDLE_EOF : 0;
    complete_ov(lpOverlapped, err, (DWORD)r);
    return err ? fail(err) : TRUE;
}
