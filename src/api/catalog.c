/*
 * catalog.c - the catalog functions: WSAEnumProtocols for applications,
 * the WSC* functions for installers and providers (they work without
 * WSAStartup, as an installer calls them). Each change is one
 * read-modify-write of the catalog file (src/spi/catalog.c).
 */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "api/api.h"
#include "sporder.h"
#include "spi/catalog.h"
#include "util/protoinfo.h"
#include "util/utf.h"

static int same_guid(const GUID *a, const GUID *b)
{
    return !memcmp(a, b, sizeof(GUID));
}

/* ---- enumeration ---- */

/* lpiProtocols lists protocol numbers up to a 0; an entry matches one that
 * falls in its range (iProtocol .. iProtocol + iProtocolMaxOffset). */
static int wanted(const int *filter, const WSAPROTOCOL_INFOW *p)
{
    if (!filter)
        return 1;
    for (; *filter; filter++)
        if (*filter >= p->iProtocol &&
            (long long)*filter <=
                (long long)p->iProtocol + p->iProtocolMaxOffset)
            return 1;
    return 0;
}

/* WSAEnumProtocols shows neither hidden entries nor layered ones (chain
 * length 0), WSCEnumProtocols shows all. */
static int shown(int all, const WSAPROTOCOL_INFOW *p)
{
    return all || (!(p->dwProviderFlags & PFL_HIDDEN) &&
                   p->ProtocolChain.ChainLen != LAYERED_PROTOCOL);
}

/* The entries into buf in catalog order, W or A. Returns their number, or
 * SOCKET_ERROR with *err: WSAENOBUFS (and *len = the bytes needed) when
 * they do not fit, WSAEFAULT without len, WSANO_RECOVERY when the catalog
 * cannot be read. */
static int enumerate(const int *filter, int all, void *buf, LPDWORD len,
                     int wide, int *err)
{
    const struct ws2__entry *e;
    unsigned n, count = 0;
    size_t size = wide ? sizeof(WSAPROTOCOL_INFOW) : sizeof(WSAPROTOCOL_INFOA);
    if (!len) {
        *err = WSAEFAULT;
        return SOCKET_ERROR;
    }
    if ((*err = ws2__catalog_read(&e, &n)))
        return SOCKET_ERROR;
    for (unsigned i = 0; i < n; i++)
        count += shown(all, &e[i].info) && wanted(filter, &e[i].info);
    if (count && (!buf || *len < count * size)) {
        *len = (DWORD)(count * size);
        *err = WSAENOBUFS;
        return SOCKET_ERROR;
    }
    char *out = buf;
    for (unsigned i = 0; i < n; i++) {
        if (!shown(all, &e[i].info) || !wanted(filter, &e[i].info))
            continue;
        if (wide)
            memcpy(out, &e[i].info, size);
        else
            ws2__info_w_to_a(&e[i].info, (WSAPROTOCOL_INFOA *)out);
        out += size;
    }
    return (int)count;
}

static int enum_api(LPINT filter, void *buf, LPDWORD len, int wide)
{
    int err;
    if (!ws2__started())
        return ws2__fail(WSANOTINITIALISED);
    int r = enumerate(filter, 0, buf, len, wide, &err);
    ws2__last_error = r == SOCKET_ERROR ? err : 0;
    return r;
}

WS2_EXPORT int WSAAPI WSAEnumProtocolsW(LPINT lpiProtocols,
                                        LPWSAPROTOCOL_INFOW lpProtocolBuffer,
                                        LPDWORD lpdwBufferLength)
{
    return enum_api(lpiProtocols, lpProtocolBuffer, lpdwBufferLength, 1);
}

WS2_EXPORT int WSAAPI WSAEnumProtocolsA(LPINT lpiProtocols,
                                        LPWSAPROTOCOL_INFOA lpProtocolBuffer,
                                        LPDWORD lpdwBufferLength)
{
    return enum_api(lpiProtocols, lpProtocolBuffer, lpdwBufferLength, 0);
}

WS2_EXPORT int WSPAPI WSCEnumProtocols(LPINT lpiProtocols,
                                       LPWSAPROTOCOL_INFOW lpProtocolBuffer,
                                       LPDWORD lpdwBufferLength,
                                       LPINT lpErrno)
{
    int err;
    if (!lpErrno)
        return SOCKET_ERROR;
    int r = enumerate(lpiProtocols, 1, lpProtocolBuffer, lpdwBufferLength, 1,
                      &err);
    if (r == SOCKET_ERROR)
        *lpErrno = err;
    return r;
}

/* ---- checks of what an installer passes ---- */

/* The provider's path as UTF-8: absolute (ws2posix expands no environment
 * strings and searches no path), without control characters, shorter
 * than WS2__PATH_MAX bytes. */
static int path_in(const WCHAR *w, char out[WS2__PATH_MAX])
{
    if (ws2__utf16_to_utf8(w, WS2__PATH_MAX, out, WS2__PATH_MAX, 0) < 2 ||
        out[0] != '/')
        return WSAEINVAL;
    for (const unsigned char *p = (const unsigned char *)out; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return WSAEINVAL;
    return 0;
}

/* A name that is valid UTF-16 with its NUL inside szProtocol, and a chain
 * length Windows knows. */
static int infos_in(const WSAPROTOCOL_INFOW *list, DWORD n)
{
    char name[4 * (WSAPROTOCOL_LEN + 1)];
    for (DWORD i = 0; i < n; i++) {
        const WSAPROTOCOL_INFOW *p = &list[i];
        int end = 0;
        while (end <= WSAPROTOCOL_LEN && p->szProtocol[end])
            end++;
        if (p->ProtocolChain.ChainLen < 0 ||
            p->ProtocolChain.ChainLen > MAX_PROTOCOL_CHAIN ||
            end > WSAPROTOCOL_LEN ||
            ws2__utf16_to_utf8(p->szProtocol, WSAPROTOCOL_LEN + 1, name,
                               sizeof(name), 0) < 0)
            return WSAEINVAL;
    }
    return 0;
}

static const struct ws2__entry *cat_find(const struct ws2__cat *c, DWORD id)
{
    for (unsigned i = 0; i < c->n; i++)
        if (c->e[i].info.dwCatalogEntryId == id)
            return &c->e[i];
    return NULL;
}

/* A protocol chain names installed entries: layered ones, then a base
 * protocol last. */
static int chain_ok(const struct ws2__cat *c, const WSAPROTOCOL_INFOW *p)
{
    int len = p->ProtocolChain.ChainLen;
    for (int i = 0; len > BASE_PROTOCOL && i < len; i++) {
        const struct ws2__entry *e =
            cat_find(c, p->ProtocolChain.ChainEntries[i]);
        int want = i == len - 1 ? BASE_PROTOCOL : LAYERED_PROTOCOL;
        if (!e || e->info.ProtocolChain.ChainLen != want)
            return 0;
    }
    return 1;
}

/* An entry as the catalog keeps it: the provider's GUID, its id; a base
 * or layered entry's chain names the entry itself. */
static void entry_make(struct ws2__entry *e, const WSAPROTOCOL_INFOW *info,
                       const GUID *id, DWORD catalog_id, const char *path)
{
    e->info = *info;
    e->info.ProviderId = *id;
    e->info.dwCatalogEntryId = catalog_id;
    if (e->info.ProtocolChain.ChainLen <= BASE_PROTOCOL) {
        memset(e->info.ProtocolChain.ChainEntries, 0,
               sizeof(e->info.ProtocolChain.ChainEntries));
        e->info.ProtocolChain.ChainEntries[0] = catalog_id;
    }
    snprintf(e->path, sizeof(e->path), "%s", path);
}

static unsigned entries_of(const struct ws2__cat *c, const GUID *id)
{
    unsigned k = 0;
    for (unsigned i = 0; i < c->n; i++)
        k += same_guid(&c->e[i].info.ProviderId, id);
    return k;
}

/* What an edit of the catalog is given. */
struct change {
    const GUID *id;
    const char *path;
    const WSAPROTOCOL_INFOW *list;
    DWORD n;
};

/* ---- WSCInstallProvider ---- */

static int edit_install(struct ws2__cat *c, void *arg)
{
    const struct change *a = arg;
    for (DWORD i = 0; i < a->n; i++)
        if (!chain_ok(c, &a->list[i]))
            return WSAEINVAL;
    /* "The provider is already installed": WSANO_RECOVERY, documented. */
    if (entries_of(c, a->id))
        return WSANO_RECOVERY;
    if (c->next_id + (long long)a->n - 1 > WS2__MAX_ID)
        return WSANO_RECOVERY;
    for (DWORD i = 0; i < a->n; i++) {
        struct ws2__entry e;
        entry_make(&e, &a->list[i], a->id, c->next_id++, a->path);
        if (ws2__cat_push(c, &e))
            return WSA_NOT_ENOUGH_MEMORY;
    }
    return 0;
}

/* Arguments first, then the catalog. */
static int change_in(struct change *a, char path[WS2__PATH_MAX],
                     LPGUID lpProviderId, const WCHAR *lpszProviderDllPath,
                     const WSAPROTOCOL_INFOW *list, DWORD n)
{
    if (!lpProviderId || !lpszProviderDllPath || !list)
        return WSAEFAULT;
    if (!n)
        return WSAEINVAL;
    int err = path_in(lpszProviderDllPath, path);
    if (!err)
        err = infos_in(list, n);
    *a = (struct change){lpProviderId, path, list, n};
    return err;
}

/* WSCInstallProvider and WSCUpdateProvider: checks, then the edit. */
static int change(int (*edit)(struct ws2__cat *, void *), LPGUID id,
                  const WCHAR *dll, const WSAPROTOCOL_INFOW *list, DWORD n,
                  LPINT lpErrno)
{
    struct change a;
    char path[WS2__PATH_MAX];
    if (!lpErrno)
        return SOCKET_ERROR;
    int err = change_in(&a, path, id, dll, list, n);
    if (!err)
        err = ws2__catalog_update(edit, &a);
    if (err)
        *lpErrno = err;
    return err ? SOCKET_ERROR : 0;
}

WS2_EXPORT int WSPAPI WSCInstallProvider(LPGUID lpProviderId,
                                         const WCHAR *lpszProviderDllPath,
                                         const LPWSAPROTOCOL_INFOW
                                             lpProtocolInfoList,
                                         DWORD dwNumberOfEntries,
                                         LPINT lpErrno)
{
    return change(edit_install, lpProviderId, lpszProviderDllPath,
                  lpProtocolInfoList, dwNumberOfEntries, lpErrno);
}

/* ---- WSCDeinstallProvider ---- */

static int edit_remove(struct ws2__cat *c, void *arg)
{
    const GUID *id = arg;
    unsigned k = 0;
    for (unsigned i = 0; i < c->n; i++)
        if (!same_guid(&c->e[i].info.ProviderId, id))
            c->e[k++] = c->e[i];
    if (k == c->n)
        return WSAEINVAL;
    c->n = k;
    return 0;
}

WS2_EXPORT int WSPAPI WSCDeinstallProvider(LPGUID lpProviderId,
                                           LPINT lpErrno)
{
    if (!lpErrno)
        return SOCKET_ERROR;
    int err = lpProviderId ? ws2__catalog_update(edit_remove, lpProviderId)
                           : WSAEFAULT;
    if (err)
        *lpErrno = err;
    return err ? SOCKET_ERROR : 0;
}

/* ---- WSCUpdateProvider ---- */

/* Each structure names one of the provider's entries by its
 * dwCatalogEntryId (as WSCEnumProtocols gave it) and replaces it, keeping
 * its id and place; the path changes for all the provider's entries. */
static int edit_update(struct ws2__cat *c, void *arg)
{
    const struct change *a = arg;
    if (!entries_of(c, a->id))
        return WSAEINVAL;
    for (DWORD i = 0; i < a->n; i++) {
        DWORD id = a->list[i].dwCatalogEntryId;
        const struct ws2__entry *e = cat_find(c, id);
        if (!e || !same_guid(&e->info.ProviderId, a->id) ||
            !chain_ok(c, &a->list[i]))
            return WSAEINVAL;
        for (DWORD j = 0; j < i; j++)
            if (a->list[j].dwCatalogEntryId == id)
                return WSAEINVAL;
    }
    for (DWORD i = 0; i < a->n; i++) {
        struct ws2__entry *e =
            (struct ws2__entry *)cat_find(c, a->list[i].dwCatalogEntryId);
        entry_make(e, &a->list[i], a->id, e->info.dwCatalogEntryId, a->path);
    }
    for (unsigned i = 0; i < c->n; i++)
        if (same_guid(&c->e[i].info.ProviderId, a->id))
            snprintf(c->e[i].path, sizeof(c->e[i].path), "%s", a->path);
    return 0;
}

WS2_EXPORT int WSPAPI WSCUpdateProvider(LPGUID lpProviderId,
                                        const WCHAR *lpszProviderDllPath,
                                        const LPWSAPROTOCOL_INFOW
                                            lpProtocolInfoList,
                                        DWORD dwNumberOfEntries,
                                        LPINT lpErrno)
{
    return change(edit_update, lpProviderId, lpszProviderDllPath,
                  lpProtocolInfoList, dwNumberOfEntries, lpErrno);
}

/* ---- WSCWriteProviderOrder ---- */

struct order {
    const DWORD *ids;
    DWORD n;
};

/* The ids must be every installed entry's, each once (sporder.h). */
static int edit_order(struct ws2__cat *c, void *arg)
{
    const struct order *o = arg;
    if (o->n != c->n)
        return WSAEINVAL;
    struct ws2__entry *sorted = malloc((c->n ? c->n : 1) * sizeof(*sorted));
    if (!sorted)
        return WSA_NOT_ENOUGH_MEMORY;
    for (DWORD i = 0; i < o->n; i++) {
        const struct ws2__entry *e = cat_find(c, o->ids[i]);
        int dup = 0;
        for (DWORD j = 0; j < i && !dup; j++)
            dup = o->ids[j] == o->ids[i];
        if (!e || dup) {
            free(sorted);
            return WSAEINVAL;
        }
        sorted[i] = *e;
    }
    memcpy(c->e, sorted, c->n * sizeof(*sorted));
    free(sorted);
    return 0;
}

/* Returns the error itself, not SOCKET_ERROR (sporder.h). */
WS2_EXPORT int WSPAPI WSCWriteProviderOrder(LPDWORD lpwdCatalogEntryId,
                                            DWORD dwNumberOfEntries)
{
    struct order o = {lpwdCatalogEntryId, dwNumberOfEntries};
    if (!lpwdCatalogEntryId)
        return WSAEINVAL;
    return ws2__catalog_update(edit_order, &o);
}

/* ---- WSCGetProviderPath ---- */

static char self[PATH_MAX];

/* The base provider is built into libws2_32: its path is the shared
 * object's, so that a layered provider can dlopen the next provider of
 * its chain as for any other. Linked statically, it is the program's. */
static void find_self(void)
{
    Dl_info lib, prog;
    if (!dladdr(self, &lib))
        return;
    void *entry = (void *)getauxval(AT_ENTRY);
    if (entry && dladdr(entry, &prog) && prog.dli_fbase == lib.dli_fbase) {
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        self[n > 0 ? n : 0] = 0;
        return;
    }
    char *real = realpath(lib.dli_fname, NULL);
    if (real && strlen(real) < sizeof(self))
        strcpy(self, real);
    free(real);
}

static const char *provider_path(const struct ws2__entry *e)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    if (e->path[0])
        return e->path;
    pthread_once(&once, find_self);
    return self;
}

static int get_path(const GUID *id, WCHAR *out, LPINT len)
{
    const struct ws2__entry *e;
    unsigned n;
    int err = ws2__catalog_read(&e, &n);
    if (err)
        return err;
    unsigned i = 0;
    while (i < n && !same_guid(&e[i].info.ProviderId, id))
        i++;
    if (i == n)
        return WSAEINVAL;
    WCHAR w[WS2__PATH_MAX];
    int units = ws2__utf8_to_utf16(provider_path(&e[i]), w, WS2__PATH_MAX);
    if (units < 1)
        return WSANO_RECOVERY;
    if (!out || *len <= units) {
        *len = units + 1;
        return WSAEFAULT;
    }
    memcpy(out, w, (size_t)(units + 1) * sizeof(WCHAR));
    *len = units;
    return 0;
}

WS2_EXPORT int WSPAPI WSCGetProviderPath(LPGUID lpProviderId,
                                         WCHAR *lpszProviderDllPath,
                                         LPINT lpProviderDllPathLen,
                                         LPINT lpErrno)
{
    if (!lpErrno)
        return SOCKET_ERROR;
    int err = !lpProviderId || !lpProviderDllPathLen
                  ? WSAEFAULT
                  : get_path(lpProviderId, lpszProviderDllPath,
                             lpProviderDllPathLen);
    if (err)
        *lpErrno = err;
    return err ? SOCKET_ERROR : 0;
}
