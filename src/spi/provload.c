/*
 * provload.c - which shared objects may become providers, and how one is
 * started.
 *
 * A provider runs inside every program that creates a socket of its
 * catalog entries, so only a file that nobody but root or the user could
 * have written is loaded: an absolute path; a regular file owned by root
 * or the effective user, writable by neither group nor others; every
 * directory on its resolved path owned by root or that user and not
 * writable by others, unless it is sticky (/tmp: there others cannot
 * rename or remove what they do not own, and the components below it are
 * checked in turn). Group-writable directories are accepted: Debian's
 * /usr/local is root:staff 2775. Because nobody else can change any
 * component, the file checked is the file dlopen then maps.
 *
 * The errors are the ones WSASocket documents: a provider that cannot be
 * loaded or fails "was improperly installed or fails to operate
 * correctly" (WSAEPROVIDERFAILEDINIT); one that "returned a version other
 * than 2.2" (WSAEINVALIDPROVIDER), also by refusing 2.2 with
 * WSAVERNOTSUPPORTED; one that "returned an invalid or incomplete
 * procedure table" (WSAEINVALIDPROCTABLE).
 */
#include <dlfcn.h>
#include <link.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spi/provload.h"

static int say(char *why, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int say(char *why, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
    return -1;
}

static int owner_ok(const struct stat *st)
{
    return st->st_uid == 0 || st->st_uid == geteuid();
}

/* Every directory of real (an absolute, resolved path), from its parent up
 * to the root. */
static int dirs_ok(char *real, char *why, size_t n)
{
    for (char *slash = strrchr(real, '/'); slash; slash = strrchr(real, '/')) {
        *slash = 0;
        const char *dir = *real ? real : "/";
        struct stat st;
        if (stat(dir, &st))
            return say(why, n, "cannot look at directory %s: %s", dir,
                       strerror(errno));
        if (!owner_ok(&st))
            return say(why, n,
                       "directory %s is owned by uid %u, neither root nor "
                       "this user",
                       dir, (unsigned)st.st_uid);
        if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))
            return say(why, n, "directory %s is writable by others", dir);
        if (!*real)
            break;
    }
    return 0;
}

int ws2__provider_path_ok(const char *path, char *why, size_t n)
{
    if (path[0] != '/')
        return say(why, n, "not an absolute path");
    char real[PATH_MAX];
    struct stat st;
    if (!realpath(path, real) || stat(real, &st))
        return say(why, n, "cannot use it: %s", strerror(errno));
    if (!S_ISREG(st.st_mode))
        return say(why, n, "not a regular file");
    if (!owner_ok(&st))
        return say(why, n, "owned by uid %u, neither root nor this user",
                   (unsigned)st.st_uid);
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        return say(why, n, "writable by group or others (mode %04o)",
                   (unsigned)(st.st_mode & 07777));
    return dirs_ok(real, why, n);
}

/* dlsym also searches the object's dependencies: a provider linked with
 * libws2_32 that lacks WSPStartup would find the base provider's. */
static int own_symbol(void *h, void *fn)
{
    struct link_map *mine = NULL, *owner = NULL;
    Dl_info di;
    return !dlinfo(h, RTLD_DI_LINKMAP, &mine) &&
           dladdr1(fn, &di, (void **)&owner, RTLD_DL_LINKMAP) && owner == mine;
}

int ws2__provider_open(const char *path, void **dl, LPWSPSTARTUP *startup,
                       char *why, size_t n)
{
    if (ws2__provider_path_ok(path, why, n))
        return WSAEPROVIDERFAILEDINIT;
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        say(why, n, "dlopen failed: %s", e ? e : "unknown error");
        return WSAEPROVIDERFAILEDINIT;
    }
    dlerror();
    void *fn = dlsym(h, "WSPStartup");
    if (fn && !own_symbol(h, fn))
        fn = NULL;
    if (!fn) {
        /* Nothing of it has run but its constructors: it may go. */
        dlclose(h);
        say(why, n, "it exports no WSPStartup");
        return WSAEPROVIDERFAILEDINIT;
    }
    *dl = h;
    *startup = (LPWSPSTARTUP)fn;
    return 0;
}

/* The members of WSPPROC_TABLE, in order, for the message. */
static const char *const members[] = {
    "lpWSPAccept", "lpWSPAddressToString", "lpWSPAsyncSelect", "lpWSPBind",
    "lpWSPCancelBlockingCall", "lpWSPCleanup", "lpWSPCloseSocket",
    "lpWSPConnect", "lpWSPDuplicateSocket", "lpWSPEnumNetworkEvents",
    "lpWSPEventSelect", "lpWSPGetOverlappedResult", "lpWSPGetPeerName",
    "lpWSPGetSockName", "lpWSPGetSockOpt", "lpWSPGetQOSByName", "lpWSPIoctl",
    "lpWSPJoinLeaf", "lpWSPListen", "lpWSPRecv", "lpWSPRecvDisconnect",
    "lpWSPRecvFrom", "lpWSPSelect", "lpWSPSend", "lpWSPSendDisconnect",
    "lpWSPSendTo", "lpWSPSetSockOpt", "lpWSPShutdown", "lpWSPSocket",
    "lpWSPStringToAddress",
};
_Static_assert(sizeof(members) / sizeof(members[0]) ==
                   sizeof(WSPPROC_TABLE) / sizeof(void (*)(void)),
               "one name per member of WSPPROC_TABLE");

/* The first member left NULL and how many are, or NULL when none is. */
static const char *table_hole(const WSPPROC_TABLE *proc, int *count)
{
    void (*fn[sizeof(members) / sizeof(members[0])])(void);
    const char *first = NULL;
    memcpy(fn, proc, sizeof(fn));
    *count = 0;
    for (size_t i = 0; i < sizeof(fn) / sizeof(fn[0]); i++)
        if (!fn[i] && (*count)++ == 0)
            first = members[i];
    return first;
}

static int refuse(WSPPROC_TABLE *proc, int err)
{
    int e;
    if (proc->lpWSPCleanup)
        proc->lpWSPCleanup(&e);
    return err;
}

int ws2__provider_start(LPWSPSTARTUP startup, const WSAPROTOCOL_INFOW *info,
                        WSPUPCALLTABLE upcalls, WSPDATA *data,
                        WSPPROC_TABLE *proc, char *why, size_t n)
{
    WSAPROTOCOL_INFOW copy = *info;
    memset(data, 0, sizeof(*data));
    memset(proc, 0, sizeof(*proc));
    int r = startup(MAKEWORD(2, 2), data, &copy, upcalls, proc);
    if (r == WSAVERNOTSUPPORTED) {
        say(why, n, "its WSPStartup refused version 2.2 (WSAVERNOTSUPPORTED)");
        return WSAEINVALIDPROVIDER;
    }
    if (r) {
        say(why, n, "its WSPStartup failed with error %d", r);
        return WSAEPROVIDERFAILEDINIT;
    }
    if (data->wVersion != MAKEWORD(2, 2)) {
        say(why, n, "its WSPStartup gave version %u.%u, not 2.2",
            LOBYTE(data->wVersion), HIBYTE(data->wVersion));
        return refuse(proc, WSAEINVALIDPROVIDER);
    }
    int missing;
    const char *hole = table_hole(proc, &missing);
    if (hole) {
        say(why, n,
            "its WSPStartup left %s NULL in the procedure table (%d "
            "missing)",
            hole, missing);
        return refuse(proc, WSAEINVALIDPROCTABLE);
    }
    return 0;
}
