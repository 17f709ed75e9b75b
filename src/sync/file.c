/*
 * file.c - file HANDLEs: handles of the same table as SOCKETs, events and
 * ports (catalog id 0, no provider), told apart by their release hook,
 * each owning a Linux descriptor. The descriptor is closed when the handle
 * has been closed and its last reference is gone, so a TransmitFile still
 * sending from a file keeps it open past CloseHandle, as Windows keeps the
 * file object for its request.
 *
 * The Linux file operations the layers above need (size, position, a
 * mapped window for TransmitFile) are here too, so that the provider
 * reaches a file only through this file's functions.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spi/handle.h"
#include "sync/sync.h"

struct ws2__file {
    int fd;
    unsigned flags;    /* WS2__FILE_* */
    char *unlink_path; /* FILE_FLAG_DELETE_ON_CLOSE: removed at the end */
};

static void file_release(DWORD_PTR ctx)
{
    struct ws2__file *f = (struct ws2__file *)ctx;
    if (f->unlink_path)
        unlink(f->unlink_path);
    close(f->fd);
    free(f->unlink_path);
    free(f);
}

HANDLE ws2__file_wrap(int fd, unsigned flags, char *unlink_path, int *err)
{
    struct ws2__file *f = malloc(sizeof(*f));
    if (!f) {
        close(fd);
        free(unlink_path);
        *err = ERROR_NOT_ENOUGH_MEMORY;
        return NULL;
    }
    f->fd = fd;
    f->flags = flags;
    f->unlink_path = unlink_path;
    int herr;
    SOCKET h = ws2__handle_create(0, NULL, (DWORD_PTR)f, file_release, &herr);
    if (h == INVALID_SOCKET) {
        file_release((DWORD_PTR)f);
        *err = herr == WSAEMFILE ? ERROR_TOO_MANY_OPEN_FILES
                                 : ERROR_NOT_ENOUGH_MEMORY;
        return NULL;
    }
    return (HANDLE)(uintptr_t)h;
}

struct ws2__slot *ws2__file_ref(HANDLE h, int *fd, unsigned *flags)
{
    struct ws2__slot *slot =
        ws2__handle_ref_kind((SOCKET)(uintptr_t)h, file_release);
    if (!slot)
        return NULL;
    const struct ws2__file *f = (const struct ws2__file *)slot->ctx;
    *fd = f->fd;
    if (flags)
        *flags = f->flags;
    return slot;
}

int ws2__file_close(HANDLE h)
{
    return ws2__handle_close_kind((SOCKET)(uintptr_t)h, file_release)
               ? ERROR_INVALID_HANDLE
               : 0;
}

int ws2__file_stat(int fd, int64_t *size, int *regular)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    *size = (int64_t)st.st_size;
    *regular = S_ISREG(st.st_mode);
    return 0;
}

int64_t ws2__file_seek(int fd, int64_t off, int whence)
{
    off_t r = lseek(fd, (off_t)off, whence);
    return r < 0 ? -errno : (int64_t)r;
}

void *ws2__file_map(int fd, uint64_t off, size_t len, void **base,
                    size_t *maplen, int *err)
{
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    uint64_t start = off - off % page;
    *maplen = len + (size_t)(off - start);
    /* Only the kernel reads the window (sendmsg copies from it), so a file
     * truncated meanwhile fails that send with EFAULT, never with SIGBUS. */
    *base = mmap(NULL, *maplen, PROT_READ, MAP_SHARED, fd, (off_t)start);
    if (*base == MAP_FAILED) {
        *err = -errno;
        *base = NULL;
        return NULL;
    }
    madvise(*base, *maplen, MADV_SEQUENTIAL);
    return (char *)*base + (off - start);
}

void ws2__file_unmap(void *base, size_t maplen)
{
    if (base)
        munmap(base, maplen);
}
