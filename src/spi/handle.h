/*
 * handle.h - the SOCKET handle table (see handle.c).
 */
#ifndef WS2__HANDLE_H
#define WS2__HANDLE_H

#include <stdatomic.h>
#include <stdint.h>

#include "config.h"
#include "ws2spi.h"

struct ws2__provider;

/* One slot of the table; a slot never moves and is never freed. A slot is
 * one cache line (64 bytes, aligned): every call takes and drops a
 * reference on its state word, and two threads working on two sockets
 * (a sender and a receiver) must not share a line for that. */
#define WS2__SLOT_ALIGN 64
struct ws2__slot {
    /* generation << 32 | OPEN bit | reference count */
    _Alignas(WS2__SLOT_ALIGN) _Atomic uint64_t state;
    struct ws2__provider *prov;
    DWORD_PTR ctx;
    void (*release)(DWORD_PTR ctx);
    /* The completion port a socket is associated with: a counted reference
     * on the port's own slot, set once (CreateIoCompletionPort) and dropped
     * when this slot is released; port_key is written before port_slot is
     * published (release), so a reader that sees port_slot sees its key. */
    struct ws2__slot *_Atomic port_slot;
    ULONG_PTR port_key;
    DWORD catalog_id;
    /* SetFileCompletionNotificationModes' flags, only ever added to. */
    _Atomic uint32_t notify_modes;
    uint32_t next_free;
    uint32_t index;
};

/* A new handle for a provider's socket context. release (may be NULL) runs
 * once, when the handle is closed and the last reference is gone.
 * Returns INVALID_SOCKET and -errno-style *err (WSAEMFILE, WSAENOBUFS). */
SOCKET ws2__handle_create(DWORD catalog_id, struct ws2__provider *prov,
                          DWORD_PTR ctx, void (*release)(DWORD_PTR),
                          int *wsaerr);
/* A counted reference to an open handle's slot, or NULL (stale, closed or
 * not a handle). Inline: it is on every call's path. */
static inline struct ws2__slot *ws2__handle_ref(SOCKET s);
static inline void ws2__handle_unref(struct ws2__slot *slot);
/* The same for a handle of one kind: its slot's release hook is release
 * (events, ports, threads and files are told apart so). NULL for any
 * other. Inline: completions set events through it. */
static inline struct ws2__slot *ws2__handle_ref_kind(
    SOCKET s, void (*release)(DWORD_PTR));
/* Closes a handle of that kind. 0, or WSAENOTSOCK (not one, or closed). */
int ws2__handle_close_kind(SOCKET s, void (*release)(DWORD_PTR));
/* A counted reference to a handle's slot while anything still references
 * it, open or already closed (a request that a closesocket cancelled
 * completes after the close), or NULL once the slot is released. */
static inline struct ws2__slot *ws2__handle_ref_any(SOCKET s);
/* Closes the handle: lookups fail from now on; the slot is released when the
 * last reference goes. Returns 0, or WSAENOTSOCK. */
int ws2__handle_close(SOCKET s);
/* Calls fn for every open handle (used by the last WSACleanup). */
void ws2__handle_foreach(void (*fn)(SOCKET s, void *arg), void *arg);
/* Number of open handles (for tests of leaks). */
unsigned ws2__handle_count(void);

/* ---- the look-up, inline ----
 * A SOCKET is ((generation << WS2__IDX_BITS | index) << 2); a slot's state
 * packs generation << 32, the OPEN bit and the reference count. */
#define WS2__OPEN_BIT ((uint64_t)1 << 31)
#define WS2__CHUNK_SIZE (1u << WS2__CHUNK_BITS)
#define WS2__NCHUNKS ((WS2__MAX_SOCKETS + WS2__CHUNK_SIZE) / WS2__CHUNK_SIZE)
extern struct ws2__slot *_Atomic ws2__chunks[WS2__NCHUNKS];

/* The slot a handle value names (any generation), or NULL. */
static inline struct ws2__slot *ws2__handle_slot(SOCKET s, uint32_t *gen)
{
    if ((s & 3) || s >= ((SOCKET)1 << 31))
        return NULL;
    uint32_t idx = (uint32_t)(s >> 2) & ((1u << WS2__IDX_BITS) - 1);
    *gen = (uint32_t)(s >> (2 + WS2__IDX_BITS)) & ((1u << WS2__GEN_BITS) - 1);
    if (idx == 0)
        return NULL;
    struct ws2__slot *chunk = atomic_load_explicit(
        &ws2__chunks[idx >> WS2__CHUNK_BITS], memory_order_acquire);
    return chunk ? &chunk[idx & (WS2__CHUNK_SIZE - 1)] : NULL;
}

/* A counted reference to s's slot while its state has one of the bits of
 * need: the OPEN bit (ws2__handle_ref), or any of the count (ref_any: a
 * count of 0 means released, or being released, as the generation moves
 * on next; either way nothing may reach it any more). */
static inline struct ws2__slot *ws2__handle_take(SOCKET s, uint64_t need)
{
    uint32_t gen;
    struct ws2__slot *slot = ws2__handle_slot(s, &gen);
    if (!slot)
        return NULL;
    uint64_t st = atomic_load_explicit(&slot->state, memory_order_acquire);
    for (;;) {
        if ((uint32_t)(st >> 32) != gen || !(st & need))
            return NULL;
        if (atomic_compare_exchange_weak_explicit(&slot->state, &st, st + 1,
                                                  memory_order_acquire,
                                                  memory_order_acquire))
            return slot;
    }
}

static inline struct ws2__slot *ws2__handle_ref(SOCKET s)
{
    return ws2__handle_take(s, WS2__OPEN_BIT);
}

static inline struct ws2__slot *ws2__handle_ref_any(SOCKET s)
{
    return ws2__handle_take(s, WS2__OPEN_BIT - 1);
}

/* The last reference of a closed handle is gone (handle.c). */
void ws2__handle_release(struct ws2__slot *slot, uint64_t st);

static inline void ws2__handle_unref(struct ws2__slot *slot)
{
    uint64_t st = atomic_fetch_sub_explicit(&slot->state, 1,
                                            memory_order_acq_rel) - 1;
    if (!(st & (WS2__OPEN_BIT | (WS2__OPEN_BIT - 1))))
        ws2__handle_release(slot, st);
}

static inline struct ws2__slot *ws2__handle_ref_kind(
    SOCKET s, void (*release)(DWORD_PTR))
{
    struct ws2__slot *slot = ws2__handle_ref(s);
    if (slot && slot->release != release) {
        ws2__handle_unref(slot);
        slot = NULL;
    }
    return slot;
}

/* ---- the call's socket ----
 * While an API call runs on a socket it holds a counted reference on the
 * socket's slot; it records (handle, slot) here, in the calling thread, for
 * the length of the call. A provider that looks up the same handle inside
 * that call (ws2__handle_borrow, WPUQuerySocketHandleContext) finds it here
 * and takes no second reference: the API's keeps the slot, its context and
 * the descriptor alive until the call returns. The call clears slot
 * before it drops its reference, so no record outlives its call. */
struct ws2__call_ref {
    SOCKET s;
    struct ws2__slot *slot;
};
extern WS2__TLS struct ws2__call_ref ws2__call_cur;

/* The slot of s when the calling thread's current API call holds it (no
 * reference taken: *owned = 0), else a counted reference (*owned = 1), or
 * NULL. Release with ws2__handle_unref only when *owned. */
static inline struct ws2__slot *ws2__handle_borrow(SOCKET s, int *owned)
{
    if (ws2__call_cur.slot && ws2__call_cur.s == s) {
        *owned = 0;
        return ws2__call_cur.slot;
    }
    *owned = 1;
    return ws2__handle_ref(s);
}

/* The same for ws2__handle_ref_any: the handle may be closed already. */
static inline struct ws2__slot *ws2__handle_borrow_any(SOCKET s, int *owned)
{
    if (ws2__call_cur.slot && ws2__call_cur.s == s) {
        *owned = 0;
        return ws2__call_cur.slot;
    }
    *owned = 1;
    return ws2__handle_ref_any(s);
}

#endif
