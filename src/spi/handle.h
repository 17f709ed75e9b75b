/*
 * handle.h - the SOCKET handle table (see handle.c).
 */
#ifndef WS2__HANDLE_H
#define WS2__HANDLE_H

#include <stdatomic.h>
#include <stdint.h>

#include "ws2spi.h"

struct ws2__provider;

/* One slot of the table; a slot never moves and is never freed. */
struct ws2__slot {
    /* generation << 32 | OPEN bit | reference count */
    _Atomic uint64_t state;
    DWORD catalog_id;
    struct ws2__provider *prov;
    DWORD_PTR ctx;
    void (*release)(DWORD_PTR ctx);
    uint32_t next_free;
    uint32_t index;
    /* The completion port a socket is associated with: a counted reference
     * on the port's own slot, set once (CreateIoCompletionPort) and dropped
     * when this slot is released; port_key is written before port_slot is
     * published (release), so a reader that sees port_slot sees its key. */
    struct ws2__slot *_Atomic port_slot;
    ULONG_PTR port_key;
    /* SetFileCompletionNotificationModes' flags, only ever added to. */
    _Atomic uint32_t notify_modes;
};

/* A new handle for a provider's socket context. release (may be NULL) runs
 * once, when the handle is closed and the last reference is gone.
 * Returns INVALID_SOCKET and -errno-style *err (WSAEMFILE, WSAENOBUFS). */
SOCKET ws2__handle_create(DWORD catalog_id, struct ws2__provider *prov,
                          DWORD_PTR ctx, void (*release)(DWORD_PTR),
                          int *wsaerr);
/* A counted reference to an open handle's slot, or NULL (stale, closed or
 * not a handle). */
struct ws2__slot *ws2__handle_ref(SOCKET s);
void ws2__handle_unref(struct ws2__slot *slot);
/* The same for a handle of one kind: its slot's release hook is release
 * (events, ports and threads are told apart so). NULL for any other. */
struct ws2__slot *ws2__handle_ref_kind(SOCKET s, void (*release)(DWORD_PTR));
/* Closes a handle of that kind. 0, or WSAENOTSOCK (not one, or closed). */
int ws2__handle_close_kind(SOCKET s, void (*release)(DWORD_PTR));
/* A counted reference to a handle's slot while anything still references
 * it, open or already closed (a request that a closesocket cancelled
 * completes after the close), or NULL once the slot is released. */
struct ws2__slot *ws2__handle_ref_any(SOCKET s);
/* Closes the handle: lookups fail from now on; the slot is released when the
 * last reference goes. Returns 0, or WSAENOTSOCK. */
int ws2__handle_close(SOCKET s);
/* Calls fn for every open handle (used by the last WSACleanup). */
void ws2__handle_foreach(void (*fn)(SOCKET s, void *arg), void *arg);
/* Number of open handles (for tests of leaks). */
unsigned ws2__handle_count(void);

#endif
