/*
 * ifs_layer.c - a test IFS layer: its sockets are the next provider's own
 * handles, taken over with WPUModifyIFSHandle, so that ws2_32 dispatches
 * calls on them to this layer; every function but WSPSocket, WSPAccept,
 * WSPIoctl (which answers IFS_TEST_COUNT) and WSPCleanup is the next
 * provider's own, as WPUModifyIFSHandle's page asks of such a layer
 * ("expose the base provider's entry points", overlapped requests passed
 * down as they are). It serves one chain's next provider.
 */
#include <string.h>

#include "lsp.h"
#include "test_providers.h"

static struct lsp_next *next;
static WSPUPCALLTABLE up;
static _Atomic DWORD made;

static SOCKET take(SOCKET low, DWORD catalog_id, LPINT lpErrno)
{
    int e;
    if (low == INVALID_SOCKET)
        return INVALID_SOCKET;
    SOCKET s = up.lpWPUModifyIFSHandle(catalog_id, low, lpErrno);
    if (s == INVALID_SOCKET)
        next->proc->lpWSPCloseSocket(low, &e);
    else
        made++;
    return s;
}

static SOCKET WSPAPI ifs_socket(int af, int type, int protocol,
                                LPWSAPROTOCOL_INFOW info, GROUP g,
                                DWORD flags, LPINT lpErrno)
{
    WSAPROTOCOL_INFOW below = next->info;
    return take(next->proc->lpWSPSocket(af, type, protocol, &below, g, flags,
                                        lpErrno),
                info->dwCatalogEntryId, lpErrno);
}

static DWORD catalog_id;

static SOCKET WSPAPI ifs_accept(SOCKET s, struct sockaddr *addr,
                                LPINT addrlen, LPCONDITIONPROC cond,
                                DWORD_PTR data, LPINT lpErrno)
{
    return take(next->proc->lpWSPAccept(s, addr, addrlen, cond, data,
                                        lpErrno),
                catalog_id, lpErrno);
}

static int WSPAPI ifs_ioctl(SOCKET s, DWORD code, LPVOID in, DWORD inlen,
                            LPVOID out, DWORD outlen, LPDWORD ret,
                            LPWSAOVERLAPPED ov,
                            LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                            LPWSATHREADID tid, LPINT lpErrno)
{
    if (code != IFS_TEST_COUNT)
        return next->proc->lpWSPIoctl(s, code, in, inlen, out, outlen, ret,
                                      ov, cr, tid, lpErrno);
    DWORD n = made;
    if (!out || outlen < sizeof(n) || !ret) {
        *lpErrno = WSAEFAULT;
        return SOCKET_ERROR;
    }
    memcpy(out, &n, sizeof(n));
    *ret = sizeof(n);
    return 0;
}

static int WSPAPI ifs_cleanup(LPINT lpErrno)
{
    (void)lpErrno;
    lsp_next_cleanup();
    return 0;
}

LSP_EXPORT int WSPAPI WSPStartup(WORD wVersionRequested, LPWSPDATA lpWSPData,
                                 LPWSAPROTOCOL_INFOW lpProtocolInfo,
                                 WSPUPCALLTABLE UpcallTable,
                                 LPWSPPROC_TABLE lpProcTable)
{
    int err;
    if (LOBYTE(wVersionRequested) < 2)
        return WSAVERNOTSUPPORTED;
    up = lsp_upcalls = UpcallTable;
    if (!(next = lsp_next_get(lpProtocolInfo, &err)))
        return err;
    catalog_id = lpProtocolInfo->dwCatalogEntryId;
    lpWSPData->wVersion = lpWSPData->wHighVersion = MAKEWORD(2, 2);
    lpWSPData->szDescription[0] = 0;
    *lpProcTable = *next->proc;
    lpProcTable->lpWSPSocket = ifs_socket;
    lpProcTable->lpWSPAccept = ifs_accept;
    lpProcTable->lpWSPIoctl = ifs_ioctl;
    lpProcTable->lpWSPCleanup = ifs_cleanup;
    return 0;
}
