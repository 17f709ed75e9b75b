/*
 * ws2stat.h - the statistics file of the ws2stat layered provider, as the
 * provider writes it and the ws2stat tool (or any reader) reads it; the
 * layout is documented in ws2stat(7).
 *
 * One file per process, <dir>/<pid>.ws2stat, mapped shared: a header,
 * then nsock socket records of sock_size bytes each at header_size.
 * Counters are 64-bit, updated with relaxed atomic additions while the
 * program runs; a reader sees each counter whole, not a consistent set.
 * Integers are in the machine's byte order, structures naturally aligned.
 */
#ifndef WS2STAT_H
#define WS2STAT_H

#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define WS2STAT_MAGIC "WS2STAT" /* 8 bytes with the NUL */
#define WS2STAT_VERSION 1
#define WS2STAT_NFN 26    /* functions counted (lsp.h's enum lsp_fn) */
#define WS2STAT_NSOCK 256 /* socket records */
#define WS2STAT_NAME 24   /* bytes of a function name with its NUL */

struct ws2stat_counts {
    uint64_t calls;  /* calls made (an overlapped one when it completed) */
    uint64_t errors; /* of those, the ones that failed (WSAEWOULDBLOCK
                        included; WSA_IO_PENDING is not a failure) */
    uint64_t bytes;  /* bytes moved by the successful ones */
};

enum ws2stat_state {
    WS2STAT_FREE = 0,   /* never used */
    WS2STAT_OPEN = 1,
    WS2STAT_CLOSED = 2, /* closed; reused for a new socket when none is
                           free, the longest closed first */
};

struct ws2stat_sock {
    uint32_t state;      /* enum ws2stat_state, written last (release) */
    uint32_t seq;        /* uses of this record so far */
    uint64_t handle;     /* the application's SOCKET */
    int32_t af, type, protocol, reserved; /* Windows values */
    uint64_t opened_ns, closed_ns;        /* CLOCK_REALTIME, 0 = not yet */
    struct ws2stat_counts fn[WS2STAT_NFN];
};

struct ws2stat_file {
    char magic[8];        /* WS2STAT_MAGIC */
    uint32_t version;     /* WS2STAT_VERSION */
    uint32_t header_size; /* offset of the first socket record */
    uint32_t sock_size;   /* bytes per socket record */
    uint32_t nfn, nsock;
    int32_t pid;
    uint32_t running;     /* 1 from WSPStartup to the last WSPCleanup */
    uint32_t reserved;
    uint64_t started_ns, ended_ns; /* CLOCK_REALTIME */
    uint64_t sockets_opened, sockets_closed;
    uint64_t sockets_untracked; /* opened with every record in use */
    char program[256];          /* the program's argv[0], cut to fit */
    char fn_name[WS2STAT_NFN][WS2STAT_NAME]; /* "Accept", "Bind", ... */
    struct ws2stat_counts total[WS2STAT_NFN]; /* the whole process */
};

/* The directory of the files: env ($WS2STAT_DIR) when set, else
 * /run/user/<uid>/ws2stat when /run/user/<uid> is the user's, else
 * /tmp/ws2stat-<uid>. */
static inline void ws2stat_dir(char *dir, size_t n, const char *env)
{
    char run[64];
    struct stat st;
    snprintf(run, sizeof(run), "/run/user/%u", (unsigned)geteuid());
    if (env && *env)
        snprintf(dir, n, "%s", env);
    else if (!stat(run, &st) && S_ISDIR(st.st_mode) &&
             st.st_uid == geteuid())
        snprintf(dir, n, "%s/ws2stat", run);
    else
        snprintf(dir, n, "/tmp/ws2stat-%u", (unsigned)geteuid());
}

#endif
