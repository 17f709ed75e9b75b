/*
 * lsp.h - the pass-through skeleton the layered providers we ship share
 * (lsp.c, lsp_chain.c). A layer built on it is a shared object that
 * defines `lsp_layer` (its name and hooks) and links lsp.c: lsp.c exports
 * WSPStartup and fills the WSPPROC_TABLE with functions that forward every
 * call to the next provider of the socket's protocol chain, translating
 * the application's handles (made with WPUCreateSocketHandle: a non-IFS
 * layer) to the lower provider's, and carrying overlapped requests down
 * and their completions back up. The hooks see each call before it goes
 * down (and may fail it, or shorten a stream send, or delay its
 * completion) and after its result is known.
 */
#ifndef WS2_LSP_H
#define WS2_LSP_H

#include <mswsock.h>
#include <ws2spi.h>

#define LSP_EXPORT __attribute__((visibility("default")))

/* The calls a layer sees, by the name of the SPI function (less "WSP");
 * Poll is WSAPoll (WSPIoctl with SIO_WS2POSIX_POLL), AcceptEx, ConnectEx
 * and DisconnectEx the extension functions. */
enum lsp_fn {
    LSP_ACCEPT, LSP_BIND, LSP_CLOSESOCKET, LSP_CONNECT,
    LSP_ENUMNETWORKEVENTS, LSP_EVENTSELECT, LSP_GETOVERLAPPEDRESULT,
    LSP_GETPEERNAME, LSP_GETSOCKNAME, LSP_GETSOCKOPT, LSP_IOCTL, LSP_LISTEN,
    LSP_RECV, LSP_RECVDISCONNECT, LSP_RECVFROM, LSP_SELECT, LSP_SEND,
    LSP_SENDDISCONNECT, LSP_SENDTO, LSP_SETSOCKOPT, LSP_SHUTDOWN, LSP_SOCKET,
    LSP_POLL, LSP_ACCEPTEX, LSP_CONNECTEX, LSP_DISCONNECTEX,
    LSP_NFN
};
/* "Accept", "Bind", ... in the order above. */
extern const char *const lsp_fn_name[LSP_NFN];
/* Data moves out (1), in (-1) or not at all (0) in this call. */
int lsp_fn_direction(enum lsp_fn fn);

struct lsp_next;
struct lsp_prov;
struct lsp_req;

/* One socket of the layer: the application's handle and the one of the
 * provider below. */
struct lsp_sock {
    SOCKET upper, lower;
    int af, type, protocol;
    DWORD flags;          /* WSA_FLAG_* it was made with */
    DWORD catalog_id;     /* the chain entry it was made on */
    struct lsp_next *next;
    void *data;           /* the layer's own */
    /* lsp.c's own, under its lock: */
    int refs, closed;
    struct lsp_req *reqs; /* overlapped requests under way */
    struct lsp_sock *hnext;
};

/* One call, as the hooks see it. */
struct lsp_call {
    enum lsp_fn fn;
    struct lsp_sock *sk; /* NULL for Select, Poll and Socket (before) */
    int overlapped;      /* its result comes later, through the worker */
    DWORD asked;         /* bytes offered (sends) or room given (receives) */
    /* before may set: */
    DWORD limit;         /* a non-overlapped stream send carries at most
                            this many bytes (0: no limit) */
    unsigned delay_ms;   /* an overlapped request completes this late */
    /* after sees: */
    int err;             /* 0, or the WSA error the caller sees */
    DWORD bytes;         /* bytes moved */
};

/* What a layer defines. Every hook may be NULL. */
struct lsp_layer {
    const char *name;
    /* The first WSPStartup of the process (after a last WSPCleanup, again):
     * 0, or a WSA error that WSPStartup returns. */
    int (*start)(void);
    void (*stop)(void);  /* the last WSPCleanup */
    void (*open)(struct lsp_sock *sk);  /* a new socket (Socket, Accept) */
    void (*close)(struct lsp_sock *sk); /* closesocket succeeded */
    /* 0 to let the call go down, or a WSA error to fail it at once. */
    int (*before)(struct lsp_call *c);
    /* The result: at return, or for overlapped calls at completion (on the
     * layer's worker thread, before any delay). */
    void (*after)(const struct lsp_call *c);
};
extern const struct lsp_layer lsp_layer;

/* ---- lsp_chain.c: the providers below ---- */

/* The next provider of one chain entry, loaded and started. */
struct lsp_next {
    DWORD chain_id;           /* the chain entry (our own) */
    WSAPROTOCOL_INFOW chain;  /* its info: what SO_PROTOCOL_INFO reports */
    WSAPROTOCOL_INFOW info;   /* the next entry: a base entry, or the next
                                 layer's chain */
    const WSPPROC_TABLE *proc;
    /* The lower provider's extension functions, fetched on first use
     * (under lsp.c's lock). */
    void (*ext[4])(void);
    struct lsp_prov *prov;
    struct lsp_next *link;
};
enum { LSP_EXT_ACCEPTEX, LSP_EXT_CONNECTEX, LSP_EXT_DISCONNECTEX,
       LSP_EXT_GETACCEPTEXSOCKADDRS };

/* The upcall table of the layer's WSPStartup (lsp.c sets it). */
extern WSPUPCALLTABLE lsp_upcalls;
/* The next provider for a chain entry: finds the next entry of its chain
 * (WSCEnumProtocols) and its provider's path (WSCGetProviderPath), loads
 * the shared object with ws2_32's rules and starts it with our upcall
 * table, once per provider GUID. NULL with *err (WSAEINVAL for an entry
 * that is not a chain, or the provider's WSAEPROVIDERFAILEDINIT, ...; the
 * reason is said on stderr once). */
struct lsp_next *lsp_next_get(const WSAPROTOCOL_INFOW *chain, int *err);
/* WSPCleanup for every provider started below (the last WSPCleanup). */
void lsp_next_cleanup(void);

#endif
