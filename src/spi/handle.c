/*
 * handle.c - the SOCKET handle table.
 *
 * A SOCKET is a slot index plus a generation, shifted left by 2 so that it
 * is a multiple of 4 like a Windows handle. A slot's state word packs the
 * generation, an OPEN bit and a reference count, so that "look up and take
 * a reference" is one compare-and-swap that fails for a stale or closed
 * handle: a use-after-close in an application can never reach the socket
 * opened later in the same slot. Slots live in fixed chunks and are never
 * freed, so a stale handle always reads valid memory. The look-up itself
 * is inline (handle.h), with the record of the calling thread's current
 * call, through which a provider borrows the API's reference.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "spi/handle.h"

#define OPEN_BIT WS2__OPEN_BIT
#define REF_MASK (OPEN_BIT - 1)
#define GEN_MASK ((1u << WS2__GEN_BITS) - 1)
#define CHUNK_SIZE WS2__CHUNK_SIZE

struct ws2__slot *_Atomic ws2__chunks[WS2__NCHUNKS];
WS2__TLS struct ws2__call_ref ws2__call_cur;
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t next_unused = 1; /* index 0 is never a handle */
static uint32_t free_head, free_tail; /* FIFO of released slots, 0 = none */
static uint32_t free_count;
static _Atomic unsigned open_count;

static struct ws2__slot *slot_at(uint32_t idx)
{
    struct ws2__slot *chunk = atomic_load_explicit(
        &ws2__chunks[idx >> WS2__CHUNK_BITS], memory_order_acquire);
    return chunk ? &chunk[idx & (CHUNK_SIZE - 1)] : NULL;
}

static SOCKET encode(uint32_t idx, uint32_t gen)
{
    return (SOCKET)((((uint64_t)(gen & GEN_MASK) << WS2__IDX_BITS) | idx)
                    << 2);
}

static uint32_t pop_free(void)
{
    uint32_t idx = free_head;
    free_head = slot_at(idx)->next_free;
    if (!free_head)
        free_tail = 0;
    free_count--;
    return idx;
}

/* Takes a free slot index under table_lock; 0 when the table is full. A
 * released slot is used again only after WS2__REUSE_DELAY others, or when
 * no unused slot is left. */
static uint32_t take_index(int *wsaerr)
{
    if (free_head && free_count > WS2__REUSE_DELAY)
        return pop_free();
    if (next_unused > WS2__MAX_SOCKETS) {
        if (free_head)
            return pop_free();
        *wsaerr = WSAEMFILE;
        return 0;
    }
    uint32_t idx = next_unused;
    uint32_t c = idx >> WS2__CHUNK_BITS;
    if (!atomic_load_explicit(&ws2__chunks[c], memory_order_relaxed)) {
        /* Aligned, so that each slot is a cache line of its own. */
        struct ws2__slot *chunk = aligned_alloc(
            WS2__SLOT_ALIGN, CHUNK_SIZE * sizeof(*chunk));
        if (!chunk) {
            if (free_head)
                return pop_free();
            *wsaerr = WSAENOBUFS;
            return 0;
        }
        memset(chunk, 0, CHUNK_SIZE * sizeof(*chunk));
        atomic_store_explicit(&ws2__chunks[c], chunk, memory_order_release);
    }
    next_unused++;
    return idx;
}

SOCKET ws2__handle_create(DWORD catalog_id, struct ws2__provider *prov,
                          DWORD_PTR ctx, void (*release)(DWORD_PTR),
                          int *wsaerr)
{
    pthread_mutex_lock(&table_lock);
    uint32_t idx = take_index(wsaerr);
    pthread_mutex_unlock(&table_lock);
    if (!idx)
        return INVALID_SOCKET;
    struct ws2__slot *slot = slot_at(idx);
    uint64_t st = atomic_load_explicit(&slot->state, memory_order_relaxed);
    uint32_t gen = (uint32_t)(st >> 32) & GEN_MASK;
    slot->catalog_id = catalog_id;
    slot->prov = prov;
    slot->ctx = ctx;
    slot->release = release;
    slot->next_free = 0;
    slot->index = idx;
    slot->port_key = 0;
    atomic_store_explicit(&slot->port_slot, NULL, memory_order_relaxed);
    atomic_store_explicit(&slot->notify_modes, 0, memory_order_relaxed);
    atomic_store_explicit(&slot->state, ((uint64_t)gen << 32) | OPEN_BIT | 1,
                          memory_order_release);
    atomic_fetch_add_explicit(&open_count, 1, memory_order_relaxed);
    return encode(idx, gen);
}

int ws2__handle_close_kind(SOCKET s, void (*release)(DWORD_PTR))
{
    /* The reference keeps the slot from being reused between the check
     * of its kind and the close. */
    struct ws2__slot *slot = ws2__handle_ref_kind(s, release);
    if (!slot)
        return WSAENOTSOCK;
    int err = ws2__handle_close(s);
    ws2__handle_unref(slot);
    return err;
}

void ws2__handle_release(struct ws2__slot *slot, uint64_t st)
{
    if (slot->release)
        slot->release(slot->ctx);
    /* A socket's port association ends with the socket (the port may be
     * released with it, which takes table_lock: not held here). */
    struct ws2__slot *port = atomic_exchange_explicit(&slot->port_slot, NULL,
                                                      memory_order_acq_rel);
    if (port)
        ws2__handle_unref(port);
    slot->ctx = 0;
    slot->release = NULL;
    slot->prov = NULL;
    uint32_t gen = ((uint32_t)(st >> 32) + 1) & GEN_MASK;
    atomic_store_explicit(&slot->state, (uint64_t)gen << 32,
                          memory_order_release);
    uint32_t idx = slot->index;
    pthread_mutex_lock(&table_lock);
    if (free_tail)
        slot_at(free_tail)->next_free = idx;
    else
        free_head = idx;
    free_tail = idx;
    free_count++;
    pthread_mutex_unlock(&table_lock);
}

int ws2__handle_close(SOCKET s)
{
    uint32_t gen;
    struct ws2__slot *slot = ws2__handle_slot(s, &gen);
    if (!slot)
        return WSAENOTSOCK;
    uint64_t st = atomic_load_explicit(&slot->state, memory_order_acquire);
    uint64_t next;
    do {
        if ((uint32_t)(st >> 32) != gen || !(st & OPEN_BIT))
            return WSAENOTSOCK;
        next = (st & ~OPEN_BIT) - 1; /* drop the table's own reference */
    } while (!atomic_compare_exchange_weak_explicit(
        &slot->state, &st, next, memory_order_acq_rel, memory_order_acquire));
    atomic_fetch_sub_explicit(&open_count, 1, memory_order_relaxed);
    if (!(next & REF_MASK))
        ws2__handle_release(slot, next);
    return 0;
}

void ws2__handle_foreach(void (*fn)(SOCKET s, void *arg), void *arg)
{
    pthread_mutex_lock(&table_lock);
    uint32_t end = next_unused;
    pthread_mutex_unlock(&table_lock);
    for (uint32_t idx = 1; idx < end; idx++) {
        struct ws2__slot *slot = slot_at(idx);
        uint64_t st = atomic_load_explicit(&slot->state, memory_order_acquire);
        if (st & OPEN_BIT)
            fn(encode(idx, (uint32_t)(st >> 32)), arg);
    }
}

unsigned ws2__handle_count(void)
{
    return atomic_load_explicit(&open_count, memory_order_relaxed);
}
