/*
 * upcall.c - the WPU upcall table that ws2_32 hands to every provider, and
 * WPUCompleteOverlappedRequest. Socket handles come from the handle table;
 * events, APC queues and thread records from src/sync.
 */
#include <pthread.h>
#include <string.h>

#include "api/api.h"
#include "sync/sync.h"

static SOCKET WSPAPI wpu_create_socket_handle(DWORD catalog_id,
                                              DWORD_PTR context,
                                              LPINT lpErrno)
{
    const struct ws2__entry *e = ws2__catalog_find(catalog_id);
    struct ws2__provider *prov;
    if (!e || ws2__provider_get(e, &prov)) {
        *lpErrno = WSAEINVALIDPROVIDER;
        return INVALID_SOCKET;
    }
    return ws2__handle_create(catalog_id, prov, context, NULL, lpErrno);
}

static int WSPAPI wpu_close_socket_handle(SOCKET s, LPINT lpErrno)
{
    int err = ws2__handle_close(s);
    if (err) {
        *lpErrno = err;
        return SOCKET_ERROR;
    }
    return 0;
}

static int WSPAPI wpu_query_socket_handle_context(SOCKET s,
                                                  PDWORD_PTR lpContext,
                                                  LPINT lpErrno)
{
    /* Inside an API call on s (a provider's usual case) the API's
     * reference is borrowed: no atomic operation. */
    int owned;
    struct ws2__slot *slot = ws2__handle_borrow(s, &owned);
    if (!slot) {
        *lpErrno = WSAENOTSOCK;
        return SOCKET_ERROR;
    }
    int err = lpContext ? 0 : WSAEFAULT;
    if (!err)
        *lpContext = slot->ctx;
    if (owned)
        ws2__handle_unref(slot);
    if (err) {
        *lpErrno = err;
        return SOCKET_ERROR;
    }
    return 0;
}

/* An IFS layer takes over a socket handle of the provider below it
 * instead of making one of its own: from now on ws2_32 dispatches calls on
 * that handle to the layer named by catalog_id, while the lower provider
 * keeps recognising it as its own. The proposed handle must be an open
 * socket handle (not an event or a port) of another provider; anything
 * else is "the proposed handle is not valid", WSAEINVAL. The handle's
 * value does not change ("indistinguishable from the proposed handle"),
 * and its completion-port association, being the slot's, stays. */
static SOCKET WSPAPI wpu_modify_ifs_handle(DWORD catalog_id, SOCKET proposed,
                                           LPINT lpErrno)
{
    const struct ws2__entry *e = ws2__catalog_find(catalog_id);
    struct ws2__provider *prov;
    if (!e || ws2__provider_get(e, &prov)) {
        *lpErrno = WSAEINVALIDPROVIDER;
        return INVALID_SOCKET;
    }
    struct ws2__slot *slot = ws2__handle_ref(proposed);
    int ok = slot && slot->prov && slot->prov != prov;
    if (ok) {
        slot->prov = prov;
        slot->catalog_id = catalog_id;
    }
    if (slot)
        ws2__handle_unref(slot);
    if (!ok) {
        *lpErrno = WSAEINVAL;
        return INVALID_SOCKET;
    }
    return proposed;
}

static int WSPAPI wpu_fd_is_set(SOCKET s, fd_set *set)
{
    return __WSAFDIsSet(s, set);
}

/* What WSCGetProviderPath says of the GUID (the catalog's function). */
static int WSPAPI wpu_get_provider_path(LPGUID id, WCHAR *path, LPINT len,
                                        LPINT lpErrno)
{
    return WSCGetProviderPath(id, path, len, lpErrno);
}

/* There are no windows to post to. */
static BOOL WSPAPI wpu_post_message(HWND h, UINT m, WPARAM w, LPARAM l)
{
    (void)h, (void)m, (void)w, (void)l;
    return FALSE;
}

static int WSPAPI wpu_query_blocking_callback(DWORD catalog_id,
                                              LPBLOCKINGCALLBACK *cb,
                                              PDWORD_PTR ctx, LPINT lpErrno)
{
    (void)catalog_id;
    if (!cb || !ctx) {
        *lpErrno = WSAEFAULT;
        return SOCKET_ERROR;
    }
    *cb = NULL;
    *ctx = 0;
    return 0;
}

static BOOL upcall_result(int err, LPINT lpErrno)
{
    if (err) {
        *lpErrno = err;
        return FALSE;
    }
    return TRUE;
}

static WSAEVENT WSPAPI wpu_create_event(LPINT lpErrno)
{
    return ws2__event_create(lpErrno);
}

static BOOL WSPAPI wpu_close_event(WSAEVENT h, LPINT lpErrno)
{
    return upcall_result(ws2__event_close(h), lpErrno);
}

static BOOL WSPAPI wpu_set_event(WSAEVENT h, LPINT lpErrno)
{
    return upcall_result(ws2__event_set(h), lpErrno);
}

static BOOL WSPAPI wpu_reset_event(WSAEVENT h, LPINT lpErrno)
{
    return upcall_result(ws2__event_reset(h), lpErrno);
}

/* The WPUQueueApc page names one error: WSAEFAULT, "the dwThreadId
 * parameter does not specify a valid thread". A thread that has exited is
 * still a valid one to name: its routine is dropped, as Windows does. */
static int WSPAPI wpu_queue_apc(LPWSATHREADID tid, LPWSAUSERAPC fn,
                                DWORD_PTR ctx, LPINT lpErrno)
{
    int err = ws2__apc_queue_id(tid, fn, ctx);
    if (err) {
        *lpErrno = err;
        return SOCKET_ERROR;
    }
    return 0;
}

/* The WSATHREADID names the calling thread's record and holds a reference
 * to it until WPUCloseThread, so a provider may keep it past a request. */
static int WSPAPI wpu_open_current_thread(LPWSATHREADID tid, LPINT lpErrno)
{
    if (!tid) {
        *lpErrno = WSAEFAULT;
        return SOCKET_ERROR;
    }
    int err = ws2__thread_open(tid, 1);
    if (err) {
        *lpErrno = err;
        return SOCKET_ERROR;
    }
    return 0;
}

static int WSPAPI wpu_close_thread(LPWSATHREADID tid, LPINT lpErrno)
{
    int err = ws2__thread_close(tid);
    if (err) {
        *lpErrno = err;
        return SOCKET_ERROR;
    }
    return 0;
}

const WSPUPCALLTABLE ws2__upcalls = {
    .lpWPUCloseEvent = wpu_close_event,
    .lpWPUCloseSocketHandle = wpu_close_socket_handle,
    .lpWPUCreateEvent = wpu_create_event,
    .lpWPUCreateSocketHandle = wpu_create_socket_handle,
    .lpWPUFDIsSet = wpu_fd_is_set,
    .lpWPUGetProviderPath = wpu_get_provider_path,
    .lpWPUModifyIFSHandle = wpu_modify_ifs_handle,
    .lpWPUPostMessage = wpu_post_message,
    .lpWPUQueryBlockingCallback = wpu_query_blocking_callback,
    .lpWPUQuerySocketHandleContext = wpu_query_socket_handle_context,
    .lpWPUQueueApc = wpu_queue_apc,
    .lpWPUResetEvent = wpu_reset_event,
    .lpWPUSetEvent = wpu_set_event,
    .lpWPUOpenCurrentThread = wpu_open_current_thread,
    .lpWPUCloseThread = wpu_close_thread,
};
