/*
 * provider.h - catalog entries and loaded providers (see catalog.c).
 */
#ifndef WS2__PROVIDER_H
#define WS2__PROVIDER_H

#include <pthread.h>
#include <stdatomic.h>

#include "ws2spi.h"

/* Longest provider path, bytes with the NUL (UTF-8). */
#define WS2__PATH_MAX 1024

/* A transport provider (one per provider GUID): its start-up function and,
 * once started, the table it filled in. Provider objects live as long as
 * the process (a socket's slot points at its provider), see loader.c. */
struct ws2__provider {
    GUID id;
    char path[WS2__PATH_MAX]; /* "" for the built-in base provider */
    LPWSPSTARTUP startup;
    void *dl;                 /* dlopen handle, NULL for the built-in one */
    _Atomic int started;
    WSPDATA data;
    WSPPROC_TABLE proc;
    struct ws2__provider *_Atomic next;
    /* loader.c's own, under lock: */
    pthread_mutex_t lock;     /* held while it starts */
    int failed;               /* why it did not start, until WSACleanup */
    int said;                 /* that was said on stderr (once) */
    struct ws2__provider *older; /* started before it (cleanup order) */
};

/* One installed protocol entry of the catalog: what WSCEnumProtocols
 * reports, plus its provider's path (absolute, UTF-8; "" for the built-in
 * entries of the base provider). An entry pointer stays valid for the
 * life of the process. */
struct ws2__entry {
    WSAPROTOCOL_INFOW info;
    char path[WS2__PATH_MAX];
};

/* The catalog: entries in catalog order. */
const struct ws2__entry *ws2__catalog(unsigned *count);
const struct ws2__entry *ws2__catalog_find(DWORD catalog_id);
/* Chooses the entry for (af, type, protocol) as WSASocket does; on failure
 * returns NULL with the Windows error in *wsaerr. */
const struct ws2__entry *ws2__catalog_match(int af, int type, int protocol,
                                            int *wsaerr);
/* The entry's provider, loaded and started once (WSPStartup with the
 * upcall table and the entry's protocol info). Returns 0 or a Windows
 * error (WSAEPROVIDERFAILEDINIT, WSAEINVALIDPROVIDER, ...). loader.c. */
int ws2__provider_get(const struct ws2__entry *e,
                      struct ws2__provider **out);
/* The base provider's GUID (its built-in entries carry it). */
extern const GUID ws2__tcpip_guid;
/* WSPCleanup for every started provider (last WSACleanup). */
void ws2__providers_cleanup(void);

/* The upcall table handed to every provider. */
extern const WSPUPCALLTABLE ws2__upcalls;

/* The base TCP/UDP provider, built in. */
int WSPAPI ws2__tcpip_startup(WORD version, LPWSPDATA data,
                              LPWSAPROTOCOL_INFOW info,
                              WSPUPCALLTABLE upcalls, LPWSPPROC_TABLE table);
/* Its catalog entries (TCP and UDP over IPv4 and IPv6). */
unsigned ws2__tcpip_entries(WSAPROTOCOL_INFOW *out, unsigned max);

#endif
