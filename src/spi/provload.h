/*
 * provload.h - loading a provider's shared object and starting it (see
 * provload.c): the rules ws2_32 applies to the providers of its catalog,
 * and a layered provider to the next provider of its chain (the layers
 * under providers/ compile provload.c in, so both sides judge alike).
 */
#ifndef WS2__PROVLOAD_H
#define WS2__PROVLOAD_H

#include <stddef.h>

#include "ws2spi.h"

/* Room for a reason sentence. */
#define WS2__WHY_MAX 600

/* 0 when path may be loaded: absolute; the file regular, owned by root or
 * the effective user and writable by neither group nor others; every
 * directory above it owned by root or that user and not writable by
 * others unless sticky. Otherwise -1 with a sentence in why. */
int ws2__provider_path_ok(const char *path, char *why, size_t n);

/* Checks path, dlopens it (RTLD_NOW | RTLD_LOCAL) and finds its
 * WSPStartup. 0, or WSAEPROVIDERFAILEDINIT with a sentence in why. */
int ws2__provider_open(const char *path, void **dl, LPWSPSTARTUP *startup,
                       char *why, size_t n);

/* Calls startup for version 2.2 with info and the upcall table, and checks
 * what it gave. 0, or with a sentence in why: WSAEINVALIDPROVIDER (it
 * refused 2.2, or gave another version), WSAEINVALIDPROCTABLE (a function
 * missing from the table) or WSAEPROVIDERFAILEDINIT (it failed). A
 * provider that started but is refused gets its WSPCleanup. */
int ws2__provider_start(LPWSPSTARTUP startup, const WSAPROTOCOL_INFOW *info,
                        WSPUPCALLTABLE upcalls, WSPDATA *data,
                        WSPPROC_TABLE *proc, char *why, size_t n);

#endif
