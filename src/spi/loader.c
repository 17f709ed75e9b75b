/*
 * loader.c - the providers behind catalog entries: one provider object per
 * provider GUID, loaded from its entry's path (dlopen, on the first socket
 * that needs it: provload.c says which files qualify), started once with
 * WSPStartup and cleaned up with WSPCleanup at the last WSACleanup. The
 * base TCP/UDP provider is built in; libws2_32 also exports its start-up
 * as WSPStartup, the entry point of the shared object that the base
 * entries' path names, so that a layered provider can load the base as it
 * loads any provider.
 *
 * A provider that fails to load or start gives its error to every socket
 * that needs it until the last WSACleanup (the next WSAStartup tries
 * again), and says why on stderr once. Shared objects are never
 * dlclose'd once their WSPStartup has been called: function pointers the
 * provider handed out (its table, extension functions, completion
 * routines queued to threads, the threads it started) may outlive
 * WSPCleanup, and a later WSAStartup starts it again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "spi/provload.h"

static struct ws2__provider tcpip = {
    .startup = ws2__tcpip_startup,
    .lock = PTHREAD_MUTEX_INITIALIZER,
};
/* Loaded providers (never freed), and the started ones. */
static struct ws2__provider *_Atomic loaded;
static struct ws2__provider *started;
static pthread_mutex_t list_lock = PTHREAD_MUTEX_INITIALIZER;

static int same_guid(const GUID *a, const GUID *b)
{
    return !memcmp(a, b, sizeof(GUID));
}

static struct ws2__provider *find_loaded(const GUID *id)
{
    for (struct ws2__provider *p =
             atomic_load_explicit(&loaded, memory_order_acquire);
         p; p = atomic_load_explicit(&p->next, memory_order_acquire))
        if (same_guid(&p->id, id))
            return p;
    return NULL;
}

/* The provider object of e's GUID, made on first sight; NULL without
 * memory. The path is the first entry's: all entries of one provider name
 * one shared object. */
static struct ws2__provider *provider_of(const struct ws2__entry *e)
{
    if (same_guid(&e->info.ProviderId, &ws2__tcpip_guid))
        return &tcpip;
    struct ws2__provider *p = find_loaded(&e->info.ProviderId);
    if (p)
        return p;
    pthread_mutex_lock(&list_lock);
    p = find_loaded(&e->info.ProviderId);
    if (!p && (p = calloc(1, sizeof(*p)))) {
        p->id = e->info.ProviderId;
        snprintf(p->path, sizeof(p->path), "%s", e->path);
        pthread_mutex_init(&p->lock, NULL);
        atomic_store_explicit(&p->next,
                              atomic_load_explicit(&loaded,
                                                   memory_order_relaxed),
                              memory_order_relaxed);
        atomic_store_explicit(&loaded, p, memory_order_release);
    }
    pthread_mutex_unlock(&list_lock);
    return p;
}

static const char *error_name(int err)
{
    switch (err) {
    case WSAEINVALIDPROVIDER: return "WSAEINVALIDPROVIDER";
    case WSAEINVALIDPROCTABLE: return "WSAEINVALIDPROCTABLE";
    default: return "WSAEPROVIDERFAILEDINIT";
    }
}

/* One line, once per provider, naming the provider, its file and why. */
static void report(struct ws2__provider *p, int err, const char *why)
{
    if (p->said)
        return;
    p->said = 1;
    const GUID *g = &p->id;
    fprintf(stderr,
            "ws2posix: provider {%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x"
            "%02x} %s: %s; its sockets fail with %s\n",
            (unsigned)g->Data1, g->Data2, g->Data3, g->Data4[0], g->Data4[1],
            g->Data4[2], g->Data4[3], g->Data4[4], g->Data4[5], g->Data4[6],
            g->Data4[7], p->path[0] ? p->path : "(built in)", why,
            error_name(err));
}

/* Loads (once per path) and starts p for info; p->lock is held. */
static int start(struct ws2__provider *p, const WSAPROTOCOL_INFOW *info,
                 const char *path)
{
    char why[WS2__WHY_MAX];
    int err = 0;
    if (p != &tcpip && strcmp(p->path, path)) {
        /* Installed again with another file since it last ran. */
        snprintf(p->path, sizeof(p->path), "%s", path);
        p->startup = NULL;
        p->said = 0;
    }
    if (!p->startup)
        err = ws2__provider_open(p->path, &p->dl, &p->startup, why,
                                 sizeof(why));
    if (!err)
        err = ws2__provider_start(p->startup, info, ws2__upcalls, &p->data,
                                  &p->proc, why, sizeof(why));
    if (err) {
        p->failed = err;
        report(p, err, why);
        return err;
    }
    pthread_mutex_lock(&list_lock);
    p->older = started;
    started = p;
    pthread_mutex_unlock(&list_lock);
    atomic_store_explicit(&p->started, 1, memory_order_release);
    return 0;
}

static int ensure_started(struct ws2__provider *p,
                          const WSAPROTOCOL_INFOW *info, const char *path)
{
    if (atomic_load_explicit(&p->started, memory_order_acquire))
        return 0;
    pthread_mutex_lock(&p->lock);
    int err = 0;
    /* A failure holds until the last WSACleanup, or until the provider
     * is installed with another file. */
    if (!atomic_load_explicit(&p->started, memory_order_relaxed))
        err = p->failed && (p == &tcpip || !strcmp(p->path, path))
                  ? p->failed
                  : start(p, info, path);
    pthread_mutex_unlock(&p->lock);
    return err;
}

int ws2__provider_get(const struct ws2__entry *e, struct ws2__provider **out)
{
    struct ws2__provider *p = provider_of(e);
    if (!p)
        return WSAENOBUFS;
    *out = p;
    return ensure_started(p, &e->info, e->path);
}

/* In the reverse order of their starts. A layer cleans up what it loaded
 * itself; the built-in provider, which a layer starts through the exported
 * WSPStartup, is cleaned up once, here (its WSPCleanup does nothing, and
 * the requests a layer drains in its own still complete). */
void ws2__providers_cleanup(void)
{
    pthread_mutex_lock(&list_lock);
    struct ws2__provider *p = started;
    started = NULL;
    pthread_mutex_unlock(&list_lock);
    for (; p; p = p->older) {
        int err;
        pthread_mutex_lock(&p->lock);
        p->proc.lpWSPCleanup(&err);
        atomic_store_explicit(&p->started, 0, memory_order_release);
        pthread_mutex_unlock(&p->lock);
    }
    for (p = atomic_load_explicit(&loaded, memory_order_acquire); p;
         p = atomic_load_explicit(&p->next, memory_order_acquire)) {
        pthread_mutex_lock(&p->lock);
        p->failed = 0;
        pthread_mutex_unlock(&p->lock);
    }
}

/* The base provider's start-up as a shared object exports it, for a layer
 * whose chain ends at a base entry (whose path is libws2_32's own). Every
 * caller gets the table ws2_32 itself uses, started once: the upcall
 * table of the built-in provider is ws2_32's own in any case, and a layer
 * must pass on the one it was given, which is that one. */
WS2_EXPORT int WSPAPI WSPStartup(WORD wVersionRequested, LPWSPDATA lpWSPData,
                                 LPWSAPROTOCOL_INFOW lpProtocolInfo,
                                 WSPUPCALLTABLE UpcallTable,
                                 LPWSPPROC_TABLE lpProcTable)
{
    (void)UpcallTable;
    if (LOBYTE(wVersionRequested) < 2)
        return WSAVERNOTSUPPORTED;
    if (!lpWSPData || !lpProcTable || !lpProtocolInfo)
        return WSAEFAULT;
    int err = ensure_started(&tcpip, lpProtocolInfo, "");
    if (err)
        return err;
    *lpWSPData = tcpip.data;
    *lpProcTable = tcpip.proc;
    return 0;
}
