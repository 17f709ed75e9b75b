/*
 * provider.h - catalog entries and loaded providers (see catalog.c).
 */
#ifndef WS2__PROVIDER_H
#define WS2__PROVIDER_H

#include <stdatomic.h>

#include "ws2spi.h"

/* A transport provider: its start-up function and, once started, the table
 * it filled in. */
struct ws2__provider {
    LPWSPSTARTUP startup;
    _Atomic int started;
    WSPDATA data;
    WSPPROC_TABLE proc;
};

/* One installed protocol entry of the catalog. */
struct ws2__entry {
    WSAPROTOCOL_INFOW info;
    struct ws2__provider *prov;
};

/* The catalog: entries in catalog order. */
const struct ws2__entry *ws2__catalog(unsigned *count);
const struct ws2__entry *ws2__catalog_find(DWORD catalog_id);
/* Chooses the entry for (af, type, protocol) as WSASocket does; on failure
 * returns NULL with the Windows error in *wsaerr. */
const struct ws2__entry *ws2__catalog_match(int af, int type, int protocol,
                                            int *wsaerr);
/* Starts the entry's provider once (WSPStartup with the upcall table).
 * Returns 0 or a Windows error. */
int ws2__provider_start(const struct ws2__entry *e);
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
