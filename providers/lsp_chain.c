/*
 * lsp_chain.c - what lies below a layer: for each chain entry the layer
 * serves, the next entry of the chain and its provider, loaded and
 * started the way ws2_32 loads the providers of its catalog (provload.c),
 * with the upcall table the layer itself was given.
 *
 * A chain entry lists catalog entry ids, the layer's own LAYERED_PROTOCOL
 * entry first. The next id names a base entry (chain length 1: that is
 * the next provider's entry) or another layer's LAYERED_PROTOCOL entry
 * (then the next provider's entry is that layer's chain entry for the rest
 * of our chain). Its provider's path comes from WSCGetProviderPath; for
 * the built-in base provider that is libws2_32 itself, whose exported
 * WSPStartup is the base's.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/utf.h"
#include "lsp.h"
#include "spi/provload.h"

#define PATH_CHARS 1024

/* One provider below us (one per provider GUID). */
struct lsp_prov {
    GUID id;
    void *dl;
    LPWSPSTARTUP startup;
    int started, failed, said;
    WSPDATA data;
    WSPPROC_TABLE proc;
    struct lsp_prov *link;
};

WSPUPCALLTABLE lsp_upcalls;
static pthread_mutex_t chain_lock = PTHREAD_MUTEX_INITIALIZER;
static struct lsp_next *nexts;
static struct lsp_prov *provs;

/* Every catalog entry (malloc'd), or NULL. */
static WSAPROTOCOL_INFOW *catalog(int *n)
{
    DWORD len = 0;
    int err;
    WSAPROTOCOL_INFOW *all = NULL;
    for (int tries = 0; tries < 4; tries++) {
        *n = WSCEnumProtocols(NULL, all, &len, &err);
        if (*n != SOCKET_ERROR)
            return all;
        free(all);
        all = NULL;
        if (err != WSAENOBUFS || !(all = malloc(len ? len : 1)))
            return NULL;
    }
    free(all);
    return NULL;
}

static int same_chain_rest(const WSAPROTOCOL_INFOW *a,
                           const WSAPROTOCOL_INFOW *chain)
{
    const WSAPROTOCOLCHAIN *c = &chain->ProtocolChain;
    return a->ProtocolChain.ChainLen == c->ChainLen - 1 &&
           !memcmp(a->ProtocolChain.ChainEntries, c->ChainEntries + 1,
                   (size_t)(c->ChainLen - 1) * sizeof(DWORD)) &&
           a->iAddressFamily == chain->iAddressFamily &&
           a->iSocketType == chain->iSocketType &&
           a->iProtocol == chain->iProtocol;
}

/* The entry the next provider serves for chain, into out. */
static int find_next(const WSAPROTOCOL_INFOW *chain, WSAPROTOCOL_INFOW *out)
{
    int n;
    WSAPROTOCOL_INFOW *all = catalog(&n);
    const WSAPROTOCOL_INFOW *next = NULL;
    DWORD id = chain->ProtocolChain.ChainEntries[1];
    for (int i = 0; all && i < n && !next; i++)
        if (all[i].dwCatalogEntryId == id)
            next = &all[i];
    if (next && next->ProtocolChain.ChainLen == LAYERED_PROTOCOL) {
        next = NULL;
        for (int i = 0; i < n && !next; i++)
            if (same_chain_rest(&all[i], chain))
                next = &all[i];
    }
    if (next)
        *out = *next;
    free(all);
    return next != NULL;
}

/* One line, once per provider below, naming this layer, the file and why
 * (the layer's own error goes back to WSASocket). */
static void report(struct lsp_prov *p, const char *path, const char *why)
{
    if (p->said)
        return;
    p->said = 1;
    Dl_info me;
    const char *layer = dladdr((void *)report, &me) && me.dli_fname
                            ? me.dli_fname
                            : "layered provider";
    fprintf(stderr, "ws2posix: %s: next provider %s: %s\n", layer,
            path[0] ? path : "(no path)", why);
}

static int prov_start(struct lsp_prov *p, const WSAPROTOCOL_INFOW *info)
{
    if (p->started)
        return 0;
    if (p->failed)
        return p->failed;
    char path[PATH_CHARS * 3] = "", why[WS2__WHY_MAX];
    WCHAR wpath[PATH_CHARS];
    int len = PATH_CHARS, err = 0;
    GUID id = p->id;
    if (WSCGetProviderPath(&id, wpath, &len, &err) == SOCKET_ERROR) {
        snprintf(why, sizeof(why), "WSCGetProviderPath failed with %d", err);
        err = WSAEPROVIDERFAILEDINIT;
    } else {
        ws2__utf16_to_utf8(wpath, PATH_CHARS, path, sizeof(path), 1);
        if (!p->startup)
            err = ws2__provider_open(path, &p->dl, &p->startup, why,
                                     sizeof(why));
        if (!err)
            err = ws2__provider_start(p->startup, info, lsp_upcalls,
                                      &p->data, &p->proc, why, sizeof(why));
    }
    if (err) {
        p->failed = err;
        report(p, path, why);
        return err;
    }
    p->started = 1;
    return 0;
}

static struct lsp_prov *prov_of(const GUID *id)
{
    struct lsp_prov *p = provs;
    while (p && memcmp(&p->id, id, sizeof(*id)))
        p = p->link;
    if (!p && (p = calloc(1, sizeof(*p)))) {
        p->id = *id;
        p->link = provs;
        provs = p;
    }
    return p;
}

struct lsp_next *lsp_next_get(const WSAPROTOCOL_INFOW *chain, int *err)
{
    pthread_mutex_lock(&chain_lock);
    struct lsp_next *n = nexts;
    while (n && n->chain_id != chain->dwCatalogEntryId)
        n = n->link;
    int e = 0;
    if (!n) {
        WSAPROTOCOL_INFOW next;
        struct lsp_prov *p = NULL;
        if (chain->ProtocolChain.ChainLen < 2 || !find_next(chain, &next))
            e = WSAEINVAL; /* not a chain, or one with a missing link */
        else if (!(p = prov_of(&next.ProviderId)) ||
                 !(n = calloc(1, sizeof(*n))))
            e = WSAENOBUFS;
        if (n) {
            n->chain_id = chain->dwCatalogEntryId;
            n->chain = *chain;
            n->info = next;
            n->prov = p;
            n->proc = &p->proc;
            n->link = nexts;
            nexts = n;
        }
    }
    if (n)
        e = prov_start(n->prov, &n->info);
    pthread_mutex_unlock(&chain_lock);
    *err = e;
    return e ? NULL : n;
}

void lsp_next_cleanup(void)
{
    pthread_mutex_lock(&chain_lock);
    for (struct lsp_prov *p = provs; p; p = p->link) {
        int e;
        if (p->started)
            p->proc.lpWSPCleanup(&e);
        p->started = 0;
        p->failed = 0;
    }
    pthread_mutex_unlock(&chain_lock);
}
