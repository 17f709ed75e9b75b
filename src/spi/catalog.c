/*
 * catalog.c - the protocol catalog and the providers behind its entries.
 *
 * With no installed catalog, the built-in entries of the base provider are
 * the catalog: TCP and UDP over IPv4 and IPv6. WSASocket picks the first
 * entry, in catalog order, that matches (af, type, protocol).
 */
#include <pthread.h>
#include <string.h>

#include "spi/provider.h"

#define MAX_ENTRIES 16

static struct ws2__entry entries[MAX_ENTRIES];
static unsigned nentries;
static pthread_once_t catalog_once = PTHREAD_ONCE_INIT;

static void load_builtin(void)
{
    WSAPROTOCOL_INFOW infos[MAX_ENTRIES];
    unsigned n = ws2__tcpip_entries(infos, MAX_ENTRIES);
    for (unsigned i = 0; i < n; i++) {
        entries[i].info = infos[i];
        entries[i].info.dwCatalogEntryId = 1001 + i;
        entries[i].info.ProtocolChain.ChainLen = BASE_PROTOCOL;
        entries[i].info.ProtocolChain.ChainEntries[0] = 1001 + i;
    }
    nentries = n;
}

const struct ws2__entry *ws2__catalog(unsigned *count)
{
    pthread_once(&catalog_once, load_builtin);
    *count = nentries;
    return entries;
}

const struct ws2__entry *ws2__catalog_find(DWORD catalog_id)
{
    unsigned n;
    const struct ws2__entry *e = ws2__catalog(&n);
    for (unsigned i = 0; i < n; i++)
        if (e[i].info.dwCatalogEntryId == catalog_id)
            return &e[i];
    return NULL;
}

/* The error names the first thing that did not match, most specific last:
 * no entry of the family, then of the type, then of the protocol. Windows
 * refuses AF_UNSPEC unless a protocol narrows the choice: socket(AF_UNSPEC,
 * SOCK_STREAM, 0) is WSAEINVAL (Wine's test_WSASocket, run on Windows). */
const struct ws2__entry *ws2__catalog_match(int af, int type, int protocol,
                                            int *wsaerr)
{
    unsigned n;
    const struct ws2__entry *e = ws2__catalog(&n);
    int err = WSAEAFNOSUPPORT;
    if (af == AF_UNSPEC && protocol == 0) {
        *wsaerr = WSAEINVAL;
        return NULL;
    }
    for (unsigned i = 0; i < n; i++) {
        const WSAPROTOCOL_INFOW *p = &e[i].info;
        if (af != AF_UNSPEC && p->iAddressFamily != af)
            continue;
        if (err == WSAEAFNOSUPPORT)
            err = WSAESOCKTNOSUPPORT;
        if (type != 0 && p->iSocketType != type)
            continue;
        if (err == WSAESOCKTNOSUPPORT)
            err = WSAEPROTONOSUPPORT;
        if (protocol == 0 ? !(p->dwProviderFlags & PFL_MATCHES_PROTOCOL_ZERO)
                          : p->iProtocol != protocol)
            continue;
        return &e[i];
    }
    *wsaerr = err;
    return NULL;
}
