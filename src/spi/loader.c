/*
 * loader.c - the providers behind catalog entries: one provider object per
 * provider GUID, started once with WSPStartup and cleaned up with
 * WSPCleanup at the last WSACleanup. The base TCP/UDP provider is built in.
 */
#include <pthread.h>
#include <string.h>

#include "spi/provider.h"

static struct ws2__provider tcpip = {
    .startup = ws2__tcpip_startup,
};
static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;

static struct ws2__provider *provider_of(const struct ws2__entry *e)
{
    if (!memcmp(&e->info.ProviderId, &ws2__tcpip_guid, sizeof(GUID)))
        return &tcpip;
    return NULL; /* loading shared objects: not yet */
}

int ws2__provider_get(const struct ws2__entry *e, struct ws2__provider **out)
{
    struct ws2__provider *p = provider_of(e);
    if (!p)
        return WSAEPROVIDERFAILEDINIT;
    *out = p;
    if (atomic_load_explicit(&p->started, memory_order_acquire))
        return 0;
    int err = 0;
    pthread_mutex_lock(&start_lock);
    if (!atomic_load_explicit(&p->started, memory_order_relaxed)) {
        WSAPROTOCOL_INFOW info = e->info;
        err = p->startup(MAKEWORD(2, 2), &p->data, &info, ws2__upcalls,
                         &p->proc);
        if (!err)
            atomic_store_explicit(&p->started, 1, memory_order_release);
    }
    pthread_mutex_unlock(&start_lock);
    return err;
}

void ws2__providers_cleanup(void)
{
    pthread_mutex_lock(&start_lock);
    if (atomic_load_explicit(&tcpip.started, memory_order_relaxed)) {
        int err;
        tcpip.proc.lpWSPCleanup(&err);
        atomic_store_explicit(&tcpip.started, 0, memory_order_release);
    }
    pthread_mutex_unlock(&start_lock);
}
