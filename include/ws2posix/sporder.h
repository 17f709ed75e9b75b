/*
 * sporder.h - reordering the transport providers of the catalog, as
 * Windows' sporder.h declares it (Windows ships the function in
 * sporder.dll; ws2posix's libws2_32 exports it).
 */
#ifndef WS2POSIX_SPORDER_H
#define WS2POSIX_SPORDER_H

#include "winsock2.h"

#ifdef __cplusplus
extern "C" {
#endif

/* lpwdCatalogEntryId: every catalog entry id, each once, in the new
 * order. Returns ERROR_SUCCESS (0) or the error itself (WSAEINVAL,
 * WSANO_RECOVERY, WSA_NOT_ENOUGH_MEMORY), not SOCKET_ERROR. */
int WSPAPI WSCWriteProviderOrder(LPDWORD lpwdCatalogEntryId,
                                 DWORD dwNumberOfEntries);
typedef int(WSPAPI *LPWSCWRITEPROVIDERORDER)(LPDWORD lpwdCatalogEntryId,
                                             DWORD dwNumberOfEntries);

#ifdef __cplusplus
}
#endif

#endif
