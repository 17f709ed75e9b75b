/*
 * config.h - the library's limits, each with the reason for its number.
 */
#ifndef WS2__CONFIG_H
#define WS2__CONFIG_H

/* Handle table: a SOCKET is ((generation << WS2__IDX_BITS | index) << 2).
 * 17 index bits allow 131,071 sockets at once (index 0 is never used, so no
 * handle is 0); the 12 generation bits make a stale handle fail until its
 * slot has been reused 4,096 times, and slots are reused oldest-freed first.
 * 2 + 17 + 12 = 31 bits: every SOCKET fits in a positive int, as ported code
 * that keeps sockets in an int expects. */
#define WS2__IDX_BITS 17
#define WS2__GEN_BITS 12
#define WS2__MAX_SOCKETS ((1u << WS2__IDX_BITS) - 1)
/* A released slot waits until this many others have been released before
 * it is used again (unless the table has no unused slot left). Reusing the
 * one free slot at once would step its generation on every close, and a
 * stale value would come alive again after 2^WS2__GEN_BITS closes; with the
 * delay that takes 2^WS2__GEN_BITS * (WS2__REUSE_DELAY + 1) closes, over
 * four million. It costs at most this many extra slots. */
#define WS2__REUSE_DELAY 1024u
/* Slots are allocated in chunks so that a slot never moves. */
#define WS2__CHUNK_BITS 10

/* Linux refuses more than IOV_MAX (1024) iovecs per call; stream sends with
 * more WSABUFs go in pieces of this many, datagrams are gathered first. */
#define WS2__IOV_MAX 1024
/* iovec arrays up to this size live on the stack (no allocation on the
 * immediate path for ordinary scatter/gather). */
#define WS2__IOV_STACK 64

/* Largest datagram payloads, as Windows reports them in SO_MAX_MSG_SIZE:
 * 65,535 minus the IPv4 (20) and UDP (8) headers, and for IPv6 minus UDP. */
#define WS2__UDP4_MAX_MSG 65507u
#define WS2__UDP6_MAX_MSG 65527u

/* Room for the Linux control data of one WSARecvMsg, whatever the
 * application's Control.len: packet information (32 or 40 bytes), TTL or
 * hop limit, TOS or traffic class (24 each) with room to spare, so that
 * Linux never truncates what the application has room for; the
 * translation to Windows' layout finds MSG_CTRUNC. A WSASendMsg's
 * translated control data must fit in as much. */
#define WS2__CTL_ROOM 256

/* Overlapped requests one socket may have queued in one direction; one
 * more fails with WSAEWOULDBLOCK ("too many outstanding overlapped I/O
 * requests"). Large enough for any real program, small enough that a
 * runaway loop stops before memory does. */
#define WS2__MAX_OUTSTANDING 16384u

/* TransmitFile maps its file this many bytes at a time for the kernel to
 * send from: one mmap/munmap pair per window, and no more address space
 * per transfer than this. */
#define WS2__TF_WINDOW ((size_t)4 << 20)

/* Thread-locals read on every call (the last error, the thread's record,
 * the call's socket) use the initial-exec model: one %fs-relative load
 * instead of a __tls_get_addr call, as the library is a shared object.
 * They are a few dozen bytes, well inside the static TLS space glibc
 * keeps for libraries loaded with dlopen. */
#define WS2__TLS _Thread_local __attribute__((tls_model("initial-exec")))

#endif
