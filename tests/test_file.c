/*
 * test_file.c - the kernel32 file functions TransmitFile's callers need:
 * CreateFileA/W with each creation disposition and its errors,
 * GetFileSize(Ex), SetFilePointer(Ex), ReadFile (with and without an
 * OVERLAPPED), CloseHandle on a file, FILE_FLAG_DELETE_ON_CLOSE, and the
 * ws2posix extension ws2posix_file_handle.
 *
 * Windows rules come from Microsoft's pages of each function ("CreateFileA
 * function", "ReadFile function", "SetFilePointerEx function", ...) unless
 * a test says otherwise. Files live in a temporary directory, removed at
 * the end.
 */
#define _GNU_SOURCE
#include "util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <windows.h>

static char dir[64];

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/ws2file.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return rmdir(dir);
}

/* dir/name in a static buffer (one at a time). */
static const char *path(const char *name)
{
    static char p[2][128];
    static int i;
    i ^= 1;
    snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
    return p[i];
}

static void make(const char *name, size_t size, uint32_t seed)
{
    char *buf = malloc(size ? size : 1);
    assert_non_null(buf);
    ws2t_fill(buf, size, seed, 0);
    FILE *f = fopen(path(name), "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, size, f), size);
    assert_int_equal(fclose(f), 0);
    free(buf);
}

static int exists(const char *name)
{
    struct stat st;
    return stat(path(name), &st) == 0;
}

static HANDLE open_a(const char *name, DWORD access, DWORD disp, DWORD attrs)
{
    return CreateFileA(path(name), access, FILE_SHARE_READ, NULL, disp,
                       attrs, NULL);
}

/* A kernel32 call failed with err in the last error. */
#define assert_fails_with(ok, err)                                             \
    do {                                                                       \
        SetLastError(POISON);                                                  \
        BOOL ok_ = (BOOL)(ok);                                                 \
        DWORD e_ = GetLastError();                                             \
        if (ok_ || e_ != (DWORD)(err))                                         \
            fail_msg("%s: got %d error %u, wanted FALSE and %u (%s)", #ok,     \
                     ok_, e_, (unsigned)(err), #err);                          \
    } while (0)
#define assert_bad_open(h, err)                                                \
    do {                                                                       \
        SetLastError(POISON);                                                  \
        HANDLE h_ = (h);                                                       \
        DWORD e_ = GetLastError();                                             \
        if (h_ != INVALID_HANDLE_VALUE || e_ != (DWORD)(err))                  \
            fail_msg("%s: got %p error %u, wanted INVALID_HANDLE_VALUE and "  \
                     "%u (%s)",                                                \
                     #h, h_, e_, (unsigned)(err), #err);                       \
    } while (0)

/* Opens name, which must succeed with the last error err and show a file
 * of size bytes. */
static void opens(const char *name, DWORD access, DWORD disp, DWORD err,
                  LONGLONG size)
{
    SetLastError(POISON);
    HANDLE h = open_a(name, access, disp, FILE_ATTRIBUTE_NORMAL);
    if (h == INVALID_HANDLE_VALUE)
        fail_msg("open %s (disposition %u): error %u", name, disp,
                 GetLastError());
    assert_int_equal(GetLastError(), err);
    LARGE_INTEGER li;
    assert_true(GetFileSizeEx(h, &li));
    assert_int_equal(li.QuadPart, size);
    assert_true(CloseHandle(h));
}

/* The five dispositions: CREATE_NEW fails on an existing file with
 * ERROR_FILE_EXISTS; OPEN_EXISTING and TRUNCATE_EXISTING fail on a missing
 * one with ERROR_FILE_NOT_FOUND; CREATE_ALWAYS and OPEN_ALWAYS succeed
 * either way, with the last error ERROR_ALREADY_EXISTS when the file was
 * there and 0 when it was made; CREATE_ALWAYS and TRUNCATE_EXISTING empty
 * it. */
static void test_dispositions(void **state)
{
    (void)state;
    const DWORD rw = GENERIC_READ | GENERIC_WRITE;
    opens("d", rw, CREATE_NEW, 0, 0);
    assert_bad_open(open_a("d", rw, CREATE_NEW, 0), ERROR_FILE_EXISTS);
    assert_bad_open(open_a("none", GENERIC_READ, OPEN_EXISTING, 0),
                    ERROR_FILE_NOT_FOUND);
    assert_bad_open(open_a("none", rw, TRUNCATE_EXISTING, 0),
                    ERROR_FILE_NOT_FOUND);
    assert_false(exists("none"));
    make("d", 100, 1);
    opens("d", GENERIC_READ, OPEN_EXISTING, 0, 100);
    opens("d", GENERIC_READ, OPEN_ALWAYS, ERROR_ALREADY_EXISTS, 100);
    opens("d", rw, CREATE_ALWAYS, ERROR_ALREADY_EXISTS, 0);
    make("d", 100, 1);
    opens("d", GENERIC_WRITE, TRUNCATE_EXISTING, 0, 0);
    for (DWORD disp = CREATE_ALWAYS; disp <= OPEN_ALWAYS; disp += 2) {
        assert_int_equal(unlink(path("d")), 0);
        opens("d", rw, disp, 0, 0);
    }
    assert_int_equal(unlink(path("d")), 0);
}

/* Refused arguments and paths: a disposition out of range; TRUNCATE_EXISTING
 * without GENERIC_WRITE ("The calling process must open the file with the
 * GENERIC_WRITE bit set"); a missing directory (ERROR_PATH_NOT_FOUND, not
 * ERROR_FILE_NOT_FOUND); an empty or NULL name; a directory without
 * FILE_FLAG_BACKUP_SEMANTICS (ERROR_ACCESS_DENIED); a file the process may
 * not read. */
static void test_create_errors(void **state)
{
    (void)state;
    make("e", 10, 2);
    assert_bad_open(open_a("e", GENERIC_READ, 0, 0), ERROR_INVALID_PARAMETER);
    assert_bad_open(open_a("e", GENERIC_READ, 6, 0), ERROR_INVALID_PARAMETER);
    assert_bad_open(open_a("e", GENERIC_READ, TRUNCATE_EXISTING, 0),
                    ERROR_INVALID_PARAMETER);
    assert_bad_open(open_a("nodir/e", GENERIC_READ, OPEN_EXISTING, 0),
                    ERROR_PATH_NOT_FOUND);
    assert_bad_open(open_a("nodir/e", GENERIC_WRITE, CREATE_NEW, 0),
                    ERROR_PATH_NOT_FOUND);
    assert_bad_open(open_a("e/x", GENERIC_READ, OPEN_EXISTING, 0),
                    ERROR_PATH_NOT_FOUND);
    assert_bad_open(CreateFileA("", GENERIC_READ, 0, NULL, OPEN_EXISTING, 0,
                                NULL),
                    ERROR_PATH_NOT_FOUND);
    assert_bad_open(CreateFileA(NULL, GENERIC_READ, 0, NULL, OPEN_EXISTING,
                                0, NULL),
                    ERROR_PATH_NOT_FOUND);
    assert_bad_open(CreateFileA(dir, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0,
                                NULL),
                    ERROR_ACCESS_DENIED);
    HANDLE h = CreateFileA(dir, GENERIC_READ, 0, NULL, OPEN_EXISTING,
                           FILE_FLAG_BACKUP_SEMANTICS, NULL);
    assert_true(h != INVALID_HANDLE_VALUE);
    CloseHandle(h);
    if (geteuid() != 0) { /* root reads anything */
        assert_int_equal(chmod(path("e"), 0), 0);
        assert_bad_open(open_a("e", GENERIC_READ, OPEN_EXISTING, 0),
                        ERROR_ACCESS_DENIED);
    }
    assert_int_equal(unlink(path("e")), 0);
}

/* Backslashes separate directories ("You may use either forward slashes
 * (/) or backslashes (\)"); CreateFileW takes UTF-16, surrogate pairs
 * included. */
static void test_names(void **state)
{
    (void)state;
    assert_int_equal(mkdir(path("sub"), 0700), 0);
    make("sub/f\xc3\xa9\xf0\x9f\x98\x80", 5, 3);
    char bs[160];
    snprintf(bs, sizeof(bs), "%s\\sub\\f\xc3\xa9\xf0\x9f\x98\x80", dir);
    HANDLE h = CreateFileA(bs, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL);
    assert_true(h != INVALID_HANDLE_VALUE);
    CloseHandle(h);
    WCHAR w[160];
    size_t n = 0;
    for (const char *p = dir; *p; p++)
        w[n++] = (WCHAR)*p;
    const WCHAR rest[] = {'/', 's', 'u', 'b', '/', 'f', 0xe9, 0xd83d, 0xde00,
                          0};
    memcpy(w + n, rest, sizeof(rest));
    h = CreateFileW(w, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL);
    assert_true(h != INVALID_HANDLE_VALUE);
    LARGE_INTEGER size;
    assert_true(GetFileSizeEx(h, &size));
    assert_int_equal(size.QuadPart, 5);
    CloseHandle(h);
    const WCHAR none[] = {'/', 'n', 'o', 'n', 'e', 0};
    memcpy(w + n, none, sizeof(none));
    assert_bad_open(CreateFileW(w, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0,
                                NULL),
                    ERROR_FILE_NOT_FOUND);
    const WCHAR empty[] = {0};
    assert_bad_open(CreateFileW(empty, GENERIC_READ, 0, NULL, OPEN_EXISTING,
                                0, NULL),
                    ERROR_PATH_NOT_FOUND);
    assert_int_equal(unlink(path("sub/f\xc3\xa9\xf0\x9f\x98\x80")), 0);
    assert_int_equal(rmdir(path("sub")), 0);
}

/* Sizes and the file pointer: FILE_BEGIN, FILE_CURRENT, FILE_END, past
 * the end allowed, before the start ERROR_NEGATIVE_SEEK (the pointer
 * unchanged), an unknown method ERROR_INVALID_PARAMETER; SetFilePointer's
 * 32-bit signed distance and its high part; GetFileSize's high part. */
static void test_size_and_pointer(void **state)
{
    (void)state;
    make("p", 1000, 4);
    HANDLE h = open_a("p", GENERIC_READ | GENERIC_WRITE, OPEN_EXISTING, 0);
    LARGE_INTEGER li = {.QuadPart = -1}, at = {.QuadPart = -1};
    assert_true(GetFileSizeEx(h, &li));
    assert_int_equal(li.QuadPart, 1000);
    DWORD high = POISON;
    assert_int_equal(GetFileSize(h, &high), 1000);
    assert_int_equal(high, 0);
    li.QuadPart = 100;
    assert_true(SetFilePointerEx(h, li, &at, FILE_BEGIN));
    assert_int_equal(at.QuadPart, 100);
    li.QuadPart = -30;
    assert_true(SetFilePointerEx(h, li, &at, FILE_CURRENT));
    assert_int_equal(at.QuadPart, 70);
    li.QuadPart = -1;
    assert_true(SetFilePointerEx(h, li, &at, FILE_END));
    assert_int_equal(at.QuadPart, 999);
    li.QuadPart = 5000;
    assert_true(SetFilePointerEx(h, li, &at, FILE_END));
    assert_int_equal(at.QuadPart, 6000);
    li.QuadPart = 0;
    assert_true(SetFilePointerEx(h, li, NULL, FILE_BEGIN));
    li.QuadPart = -1;
    assert_fails_with(SetFilePointerEx(h, li, &at, FILE_CURRENT),
                      ERROR_NEGATIVE_SEEK);
    li.QuadPart = -1001;
    assert_fails_with(SetFilePointerEx(h, li, &at, FILE_END),
                      ERROR_NEGATIVE_SEEK);
    li.QuadPart = 0;
    assert_fails_with(SetFilePointerEx(h, li, &at, 3),
                      ERROR_INVALID_PARAMETER);
    assert_true(SetFilePointerEx(h, li, &at, FILE_CURRENT));
    assert_int_equal(at.QuadPart, 0); /* unchanged by the failures */
    assert_int_equal(SetFilePointer(h, 10, NULL, FILE_BEGIN), 10);
    assert_int_equal(SetFilePointer(h, -4, NULL, FILE_CURRENT), 6);
    LONG hi = 1;
    assert_int_equal(SetFilePointer(h, 8, &hi, FILE_BEGIN), 8);
    assert_int_equal(hi, 1);
    li.QuadPart = 0;
    assert_true(SetFilePointerEx(h, li, &at, FILE_CURRENT));
    assert_int_equal(at.QuadPart, ((LONGLONG)1 << 32) + 8);
    SetLastError(POISON);
    assert_int_equal(SetFilePointer(h, -100, NULL, FILE_BEGIN),
                     INVALID_SET_FILE_POINTER);
    assert_int_equal(GetLastError(), ERROR_NEGATIVE_SEEK);
    CloseHandle(h);
    assert_int_equal(unlink(path("p")), 0);
}

/* ReadFile reads from the file pointer and moves it; at the end it
 * succeeds with 0 bytes. With an OVERLAPPED on a synchronous handle it
 * reads at Offset/OffsetHigh, completes the OVERLAPPED (result, count,
 * event) before returning, and past the end fails with ERROR_HANDLE_EOF
 * (Microsoft's ReadFile, "synchronous file handles"). */
static void test_read(void **state)
{
    (void)state;
    make("r", 3000, 5);
    HANDLE h = open_a("r", GENERIC_READ, OPEN_EXISTING, 0);
    char buf[4096];
    DWORD n = POISON;
    assert_true(ReadFile(h, buf, 1000, &n, NULL));
    assert_int_equal(n, 1000);
    ws2t_check(buf, n, 5, 0);
    assert_true(ReadFile(h, buf, sizeof(buf), &n, NULL));
    assert_int_equal(n, 2000);
    ws2t_check(buf, n, 5, 1000);
    n = POISON;
    assert_true(ReadFile(h, buf, sizeof(buf), &n, NULL));
    assert_int_equal(n, 0);

    OVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    ov.hEvent = WSACreateEvent();
    ov.Offset = 2500;
    n = POISON;
    assert_true(ReadFile(h, buf, 100, &n, &ov));
    assert_int_equal(n, 100);
    ws2t_check(buf, n, 5, 2500);
    assert_int_equal(ov.Internal, 0);
    assert_int_equal(ov.InternalHigh, 100);
    assert_int_equal(WSAWaitForMultipleEvents(1, &ov.hEvent, TRUE, 0, FALSE),
                     WSA_WAIT_EVENT_0);
    /* The pointer follows the positioned read on a synchronous handle. */
    assert_int_equal(SetFilePointer(h, 0, NULL, FILE_CURRENT), 2600);
    WSAResetEvent(ov.hEvent);
    ov.Offset = 3000;
    assert_fails_with(ReadFile(h, buf, 100, NULL, &ov), ERROR_HANDLE_EOF);
    assert_int_equal(ov.Internal, ERROR_HANDLE_EOF);
    assert_int_equal(ov.InternalHigh, 0);
    ov.OffsetHigh = 1;
    assert_fails_with(ReadFile(h, buf, 100, &n, &ov), ERROR_HANDLE_EOF);
    assert_int_equal(n, 0);
    /* "lpNumberOfBytesRead ... can be NULL only when the lpOverlapped
     * parameter is not NULL." */
    assert_fails_with(ReadFile(h, buf, 100, NULL, NULL),
                      ERROR_INVALID_PARAMETER);
    CloseHandle(h);
    WSACloseEvent(ov.hEvent);

    /* A handle without read access. */
    h = open_a("r", GENERIC_WRITE, OPEN_EXISTING, 0);
    assert_fails_with(ReadFile(h, buf, 10, &n, NULL), ERROR_ACCESS_DENIED);
    CloseHandle(h);
    assert_int_equal(unlink(path("r")), 0);
}

/* A value that is not an open file handle: ERROR_INVALID_HANDLE from every
 * function (NULL, INVALID_HANDLE_VALUE, closed, an event, a socket), and a
 * file handle is no socket. CloseHandle closes a file once. */
static void test_handles(void **state)
{
    (void)state;
    WSADATA wd;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &wd), 0);
    make("h", 10, 6);
    HANDLE h = open_a("h", GENERIC_READ, OPEN_EXISTING, 0);
    assert_true(h != NULL && h != INVALID_HANDLE_VALUE);
    assert_int_equal((uintptr_t)h % 4, 0);
    assert_wsa_error(closesocket((SOCKET)h), WSAENOTSOCK);
    HANDLE closed = open_a("h", GENERIC_READ, OPEN_EXISTING, 0);
    assert_true(CloseHandle(closed));
    assert_fails_with(CloseHandle(closed), ERROR_INVALID_HANDLE);
    SOCKET s = socket(AF_INET, SOCK_STREAM, 0);
    WSAEVENT ev = WSACreateEvent();
    HANDLE bad[] = {NULL, INVALID_HANDLE_VALUE, closed, ev, (HANDLE)s};
    char buf[4];
    DWORD n;
    LARGE_INTEGER li = {.QuadPart = 0};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_fails_with(GetFileSizeEx(bad[i], &li), ERROR_INVALID_HANDLE);
        assert_fails_with(SetFilePointerEx(bad[i], li, NULL, FILE_BEGIN),
                          ERROR_INVALID_HANDLE);
        assert_fails_with(ReadFile(bad[i], buf, 4, &n, NULL),
                          ERROR_INVALID_HANDLE);
        SetLastError(POISON);
        assert_int_equal(GetFileSize(bad[i], NULL), INVALID_FILE_SIZE);
        assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    }
    /* CloseHandle still closes events and sockets. */
    assert_true(CloseHandle(ev));
    assert_true(CloseHandle((HANDLE)s));
    assert_true(CloseHandle(h));
    assert_int_equal(unlink(path("h")), 0);
    WSACleanup();
}

/* FILE_FLAG_DELETE_ON_CLOSE removes the file when the handle is closed,
 * not before; FILE_ATTRIBUTE_READONLY makes a read-only file. */
static void test_delete_on_close(void **state)
{
    (void)state;
    HANDLE h = open_a("t", GENERIC_READ | GENERIC_WRITE, CREATE_NEW,
                      FILE_FLAG_DELETE_ON_CLOSE | FILE_ATTRIBUTE_TEMPORARY);
    assert_true(h != INVALID_HANDLE_VALUE);
    assert_true(exists("t"));
    assert_true(CloseHandle(h));
    assert_false(exists("t"));
    h = open_a("ro", GENERIC_WRITE, CREATE_NEW, FILE_ATTRIBUTE_READONLY);
    assert_true(h != INVALID_HANDLE_VALUE);
    CloseHandle(h);
    struct stat st;
    assert_int_equal(stat(path("ro"), &st), 0);
    assert_int_equal(st.st_mode & 0222, 0);
    assert_int_equal(unlink(path("ro")), 0);
}

/* ws2posix_file_handle: a HANDLE over a duplicate of the descriptor (the
 * caller's stays open and shares the offset); access follows the
 * descriptor's; a descriptor that is not open gives INVALID_HANDLE_VALUE
 * and ERROR_INVALID_HANDLE. */
static void test_file_handle_extension(void **state)
{
    (void)state;
    make("x", 200, 7);
    int fd = open(path("x"), O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(lseek(fd, 50, SEEK_SET), 50);
    HANDLE h = ws2posix_file_handle(fd);
    assert_true(h != INVALID_HANDLE_VALUE && h != NULL);
    char buf[200];
    DWORD n;
    assert_true(ReadFile(h, buf, 10, &n, NULL));
    assert_int_equal(n, 10);
    ws2t_check(buf, 10, 7, 50);
    assert_int_equal(lseek(fd, 0, SEEK_CUR), 60);
    LARGE_INTEGER size;
    assert_true(GetFileSizeEx(h, &size));
    assert_int_equal(size.QuadPart, 200);
    assert_true(CloseHandle(h));
    assert_int_equal(read(fd, buf, 1), 1); /* still open */
    close(fd);
    fd = open(path("x"), O_WRONLY);
    h = ws2posix_file_handle(fd);
    assert_fails_with(ReadFile(h, buf, 10, &n, NULL), ERROR_ACCESS_DENIED);
    CloseHandle(h);
    close(fd);
    SetLastError(POISON);
    assert_ptr_equal(ws2posix_file_handle(fd), INVALID_HANDLE_VALUE);
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    assert_ptr_equal(ws2posix_file_handle(-1), INVALID_HANDLE_VALUE);
    assert_int_equal(unlink(path("x")), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dispositions),
        cmocka_unit_test(test_create_errors),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_size_and_pointer),
        cmocka_unit_test(test_read),
        cmocka_unit_test(test_handles),
        cmocka_unit_test(test_delete_on_close),
        cmocka_unit_test(test_file_handle_extension),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
