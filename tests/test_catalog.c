/*
 * test_catalog.c - the protocol catalog: WSAEnumProtocolsA/W,
 * WSCEnumProtocols, WSCInstallProvider, WSCDeinstallProvider,
 * WSCGetProviderPath, WSCUpdateProvider, WSCWriteProviderOrder, the file
 * behind them (ws2posix-catalog(5)) and WSASocket's choice of entry. Every
 * test works on a catalog file of its own (WS2POSIX_CATALOG in a fresh
 * directory), never the system's. Persistence is checked by a new process
 * (this program run again with --dump), concurrency by forked writers.
 * The file format's reader is tested directly (internal ws2__cat_parse).
 */
#define _GNU_SOURCE
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sporder.h>
#include <ws2spi.h>

#include "spi/catalog.h"

#define NBASE 4 /* the built-in entries, ids 1001-1004 */

static char dir[64], cat_path[128];

/* ---- fixtures and helpers ---- */

static void rm_dir(const char *d)
{
    DIR *h = opendir(d);
    struct dirent *de;
    char p[512];
    while (h && (de = readdir(h))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        snprintf(p, sizeof(p), "%s/%s", d, de->d_name);
        if (unlink(p) && errno == EISDIR)
            rmdir(p);
    }
    if (h)
        closedir(h);
    rmdir(d);
}

static int setup(void **state)
{
    snprintf(dir, sizeof(dir), "/tmp/ws2cat.XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(cat_path, sizeof(cat_path), "%s/catalog", dir);
    setenv("WS2POSIX_CATALOG", cat_path, 1);
    return ws2t_startup(state);
}

static int teardown(void **state)
{
    ws2t_cleanup(state);
    rm_dir(dir);
    return 0;
}

static GUID guid(unsigned n)
{
    GUID g = {0x7e57ca70u + n, 0x1234, 0x5678,
              {0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, (UCHAR)n}};
    return g;
}

/* An ASCII string as WCHARs (two buffers, so two may be in use). */
static WCHAR *W(const char *s)
{
    static _Thread_local WCHAR buf[2][WS2__PATH_MAX];
    static _Thread_local int k;
    WCHAR *w = buf[k++ & 1];
    size_t i = 0;
    for (; s[i] && i < WS2__PATH_MAX - 1; i++)
        w[i] = (unsigned char)s[i];
    w[i] = 0;
    return w;
}

static WSAPROTOCOL_INFOW info(const char *name, int af, int type, int proto,
                             int chainlen, DWORD flags)
{
    WSAPROTOCOL_INFOW p;
    memset(&p, 0, sizeof(p));
    p.dwServiceFlags1 = XP1_GUARANTEED_DELIVERY | XP1_GUARANTEED_ORDER;
    p.dwProviderFlags = flags;
    p.ProtocolChain.ChainLen = chainlen;
    p.iVersion = 2;
    p.iAddressFamily = af;
    p.iMaxSockAddr = 28;
    p.iMinSockAddr = 16;
    p.iSocketType = type;
    p.iProtocol = proto;
    p.dwMessageSize = 7;
    memcpy(p.szProtocol, W(name), (strlen(name) + 1) * sizeof(WCHAR));
    return p;
}

/* 0 or the error WSCInstallProvider gave. */
static int install(unsigned g, const char *path, WSAPROTOCOL_INFOW *list,
                   DWORD n)
{
    GUID id = guid(g);
    int err = (int)POISON;
    int r = WSCInstallProvider(&id, W(path), list, n, &err);
    if (r == 0) {
        assert_int_equal(err, (int)POISON);
        return 0;
    }
    assert_int_equal(r, SOCKET_ERROR);
    return err;
}

static int deinstall(unsigned g)
{
    GUID id = guid(g);
    int err = (int)POISON;
    return WSCDeinstallProvider(&id, &err) ? err : 0;
}

/* Every entry, as WSCEnumProtocols gives them (malloc'd). */
static WSAPROTOCOL_INFOW *wsc_all(unsigned *n)
{
    DWORD len = 0;
    int err = (int)POISON;
    int r = WSCEnumProtocols(NULL, NULL, &len, &err);
    assert_int_equal(r, SOCKET_ERROR);
    assert_int_equal(err, WSAENOBUFS);
    assert_int_equal(len % sizeof(WSAPROTOCOL_INFOW), 0);
    WSAPROTOCOL_INFOW *p = malloc(len);
    assert_non_null(p);
    r = WSCEnumProtocols(NULL, p, &len, &err);
    assert_true(r >= 0);
    *n = (unsigned)r;
    return p;
}

/* The id of the k-th entry of provider g, in catalog order; 0 if none. */
static DWORD id_of(unsigned g, unsigned k)
{
    unsigned n;
    WSAPROTOCOL_INFOW *p = wsc_all(&n);
    GUID id = guid(g);
    DWORD r = 0;
    for (unsigned i = 0; i < n && !r; i++)
        if (!memcmp(&p[i].ProviderId, &id, sizeof(id)) && !k--)
            r = p[i].dwCatalogEntryId;
    free(p);
    return r;
}

static void write_text(const char *path, const char *text, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
}

static char *read_text(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(1 << 20);
    *len = fread(buf, 1, (1 << 20) - 1, f);
    buf[*len] = 0;
    fclose(f);
    return buf;
}

/* The catalog file still holds before (len bytes); frees before. */
static void assert_unchanged(char *before, size_t len)
{
    size_t l;
    char *after = read_text(cat_path, &l);
    assert_non_null(after);
    assert_int_equal(l, len);
    assert_memory_equal(before, after, len);
    free(before);
    free(after);
}

/* Waits for a child at most 60 s; its exit code, or -1. */
static int wait_child(pid_t pid)
{
    int st;
    for (int i = 0; i < 6000; i++) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        ws2t_sleep_ms(10);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    return -1;
}

/* Runs exe with one argument and the environment; its output in out. */
static int run_prog(const char *exe, const char *arg, char *out, size_t size)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (!pid) {
        dup2(fds[1], 1);
        close(fds[0]);
        execl(exe, "test_catalog", arg, (char *)NULL);
        _exit(126);
    }
    close(fds[1]);
    size_t got = 0;
    ssize_t r;
    while (got + 1 < size && (r = read(fds[0], out + got, size - 1 - got)) > 0)
        got += (size_t)r;
    out[got] = 0;
    close(fds[0]);
    return wait_child(pid);
}

/* This program's file (readlink, which valgrind answers with the program
 * it runs rather than itself). */
static const char *self_exe(void)
{
    static char exe[512];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    assert_true(n > 0);
    exe[n] = 0;
    return exe;
}

/* The catalog as one text: id, chain, af/type/protocol, flags, GUID,
 * name, provider path of each entry (what --dump prints). */
static void dump(FILE *f)
{
    DWORD len = 0;
    int err;
    WSCEnumProtocols(NULL, NULL, &len, &err);
    WSAPROTOCOL_INFOW *p = malloc(len ? len : 1);
    int n = WSCEnumProtocols(NULL, p, &len, &err);
    if (n < 0) {
        fprintf(f, "error %d\n", err);
        n = 0;
    }
    for (int i = 0; i < n; i++) {
        WCHAR path[WS2__PATH_MAX];
        int plen = WS2__PATH_MAX;
        WSCGetProviderPath(&p[i].ProviderId, path, &plen, &err);
        fprintf(f, "%u %d:%u,%u %d/%d/%d %x %08x ",
                (unsigned)p[i].dwCatalogEntryId, p[i].ProtocolChain.ChainLen,
                (unsigned)p[i].ProtocolChain.ChainEntries[0],
                (unsigned)p[i].ProtocolChain.ChainEntries[1],
                p[i].iAddressFamily, p[i].iSocketType, p[i].iProtocol,
                (unsigned)p[i].dwProviderFlags,
                (unsigned)p[i].ProviderId.Data1);
        for (int k = 0; p[i].szProtocol[k]; k++)
            fputc(p[i].szProtocol[k] < 128 ? p[i].szProtocol[k] : '?', f);
        fputc('|', f);
        for (int k = 0; path[k]; k++)
            fputc(path[k] < 128 ? path[k] : '?', f);
        fputc('\n', f);
    }
    free(p);
}

static void dump_here(char *out, size_t size)
{
    FILE *f = fmemopen(out, size, "w");
    assert_non_null(f);
    dump(f);
    fclose(f);
}

/* What a new process reads from the file equals what this one sees. */
static void assert_persisted(void)
{
    static char here[1 << 14], there[1 << 14];
    dump_here(here, sizeof(here));
    assert_int_equal(run_prog(self_exe(), "--dump", there, sizeof(there)), 0);
    assert_string_equal(here, there);
}

/* ---- WSAEnumProtocols ---- */

/* Wine's test_WSAEnumProtocols (run on Windows): a NULL buffer or a zero
 * length is WSAENOBUFS with the length needed; then every protocol, none
 * hidden, named. With no catalog file, the built-in TCP and UDP entries
 * over IPv4 and IPv6 are the catalog, ids 1001-1004, in that order. */
static void test_enum_builtin(void **state)
{
    (void)state;
    DWORD len = 0;
    assert_wsa_error(WSAEnumProtocolsW(NULL, NULL, &len), WSAENOBUFS);
    assert_int_equal(len, NBASE * sizeof(WSAPROTOCOL_INFOW));
    WSAPROTOCOL_INFOW w[NBASE + 1], one;
    len = 0;
    assert_wsa_error(WSAEnumProtocolsW(NULL, &one, &len), WSAENOBUFS);
    assert_int_equal(len, NBASE * sizeof(WSAPROTOCOL_INFOW));
    len = NBASE * sizeof(WSAPROTOCOL_INFOW) - 1;
    assert_wsa_error(WSAEnumProtocolsW(NULL, w, &len), WSAENOBUFS);
    len = sizeof(w);
    memset(w, 0xee, sizeof(w));
    WSASetLastError((int)POISON);
    assert_int_equal(WSAEnumProtocolsW(NULL, w, &len), NBASE);
    assert_int_equal(WSAGetLastError(), 0);
    assert_int_equal(len, sizeof(w)); /* left alone on success */
    static const int want[NBASE][3] = {{AF_INET, SOCK_STREAM, IPPROTO_TCP},
                                       {AF_INET, SOCK_DGRAM, IPPROTO_UDP},
                                       {AF_INET6, SOCK_STREAM, IPPROTO_TCP},
                                       {AF_INET6, SOCK_DGRAM, IPPROTO_UDP}};
    for (int i = 0; i < NBASE; i++) {
        assert_int_equal(w[i].dwCatalogEntryId, 1001 + i);
        assert_int_equal(w[i].iAddressFamily, want[i][0]);
        assert_int_equal(w[i].iSocketType, want[i][1]);
        assert_int_equal(w[i].iProtocol, want[i][2]);
        assert_int_equal(w[i].ProtocolChain.ChainLen, BASE_PROTOCOL);
        assert_int_equal(w[i].ProtocolChain.ChainEntries[0], 1001 + i);
        assert_false(w[i].dwProviderFlags & PFL_HIDDEN);
        assert_true(w[i].szProtocol[0] != 0);
    }
    assert_true(w[NBASE].dwCatalogEntryId == 0xeeeeeeee);
    assert_wsa_error(WSAEnumProtocolsW(NULL, w, NULL), WSAEFAULT);
    /* No file was made by reading. */
    assert_int_equal(access(cat_path, F_OK), -1);
}

/* The A and W forms report the same entries; the A names are the W names
 * narrowed. */
static void test_enum_a_w_agree(void **state)
{
    (void)state;
    WSAPROTOCOL_INFOW w[8];
    WSAPROTOCOL_INFOA a[8];
    DWORD lw = sizeof(w), la = 0;
    int nw = WSAEnumProtocolsW(NULL, w, &lw);
    assert_wsa_error(WSAEnumProtocolsA(NULL, NULL, &la), WSAENOBUFS);
    assert_int_equal(la, NBASE * sizeof(WSAPROTOCOL_INFOA));
    la = sizeof(a);
    int na = WSAEnumProtocolsA(NULL, a, &la);
    assert_int_equal(nw, NBASE);
    assert_int_equal(na, nw);
    for (int i = 0; i < na; i++) {
        assert_memory_equal(&a[i], &w[i],
                            offsetof(WSAPROTOCOL_INFOA, szProtocol));
        int k = 0;
        for (; w[i].szProtocol[k]; k++)
            assert_int_equal((unsigned char)a[i].szProtocol[k],
                             w[i].szProtocol[k]);
        assert_int_equal(a[i].szProtocol[k], 0);
    }
}

/* lpiProtocols filters (Wine's test: unknown numbers are skipped and TCP
 * and UDP are found); a filter nothing matches gives 0 entries. */
static void test_enum_filter(void **state)
{
    (void)state;
    int ptest[] = {0xdead, IPPROTO_TCP, 0xcafe, IPPROTO_UDP, 0xbeef, 0};
    int udp[] = {IPPROTO_UDP, 0};
    int none[] = {0xbeef, 0};
    WSAPROTOCOL_INFOW w[8];
    WSAPROTOCOL_INFOA a[8];
    DWORD len = 0;
    assert_wsa_error(WSAEnumProtocolsW(udp, NULL, &len), WSAENOBUFS);
    assert_int_equal(len, 2 * sizeof(WSAPROTOCOL_INFOW));
    assert_int_equal(WSAEnumProtocolsW(udp, w, &len), 2);
    assert_int_equal(w[0].iProtocol, IPPROTO_UDP);
    assert_int_equal(w[1].iProtocol, IPPROTO_UDP);
    len = sizeof(a);
    assert_int_equal(WSAEnumProtocolsA(ptest, a, &len), NBASE);
    len = 0;
    assert_int_equal(WSAEnumProtocolsW(none, NULL, &len), 0);
    /* iProtocolMaxOffset widens what an entry serves. */
    WSAPROTOCOL_INFOW r = info("Raw range", AF_INET, SOCK_RAW, 200, 1, 0);
    r.iProtocolMaxOffset = 10;
    assert_int_equal(install(1, "/opt/raw.so", &r, 1), 0);
    int in[] = {205, 0}, out[] = {211, 0};
    len = sizeof(w);
    assert_int_equal(WSAEnumProtocolsW(in, w, &len), 1);
    assert_int_equal(w[0].iProtocol, 200);
    assert_int_equal(WSAEnumProtocolsW(out, w, &len), 0);
}

static void test_enum_not_initialised(void **state)
{
    (void)state;
    DWORD len = 0;
    WSACleanup();
    assert_wsa_error(WSAEnumProtocolsW(NULL, NULL, &len), WSANOTINITIALISED);
    assert_wsa_error(WSAEnumProtocolsA(NULL, NULL, &len), WSANOTINITIALISED);
    /* WSCEnumProtocols serves installers without WSAStartup. */
    int err;
    assert_int_equal(WSCEnumProtocols(NULL, NULL, &len, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAENOBUFS);
    WSADATA d;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0);
}

/* WSAEnumProtocols leaves out hidden entries and layered ones (chain
 * length 0); WSCEnumProtocols returns all. */
static void test_hidden_and_layered(void **state)
{
    (void)state;
    WSAPROTOCOL_INFOW layer = info("Layer", AF_INET, SOCK_STREAM, IPPROTO_TCP,
                                   LAYERED_PROTOCOL, PFL_HIDDEN);
    WSAPROTOCOL_INFOW hidden = info("Hidden UDP", AF_INET, SOCK_DGRAM,
                                    IPPROTO_UDP, BASE_PROTOCOL, PFL_HIDDEN);
    WSAPROTOCOL_INFOW plain_layer = info("Unhidden layer", AF_INET6,
                                         SOCK_DGRAM, IPPROTO_UDP,
                                         LAYERED_PROTOCOL, 0);
    assert_int_equal(install(1, "/opt/lsp.so", &layer, 1), 0);
    assert_int_equal(install(2, "/opt/hid.so", &hidden, 1), 0);
    assert_int_equal(install(3, "/opt/lay.so", &plain_layer, 1), 0);
    DWORD len = 0;
    assert_wsa_error(WSAEnumProtocolsW(NULL, NULL, &len), WSAENOBUFS);
    assert_int_equal(len, NBASE * sizeof(WSAPROTOCOL_INFOW));
    unsigned n;
    WSAPROTOCOL_INFOW *all = wsc_all(&n);
    assert_int_equal(n, NBASE + 3);
    assert_int_equal(all[NBASE].ProtocolChain.ChainLen, LAYERED_PROTOCOL);
    assert_true(all[NBASE + 1].dwProviderFlags & PFL_HIDDEN);
    free(all);
    /* WSCEnumProtocols' own errors. */
    int err = (int)POISON;
    assert_int_equal(WSCEnumProtocols(NULL, NULL, NULL, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    WSAPROTOCOL_INFOW few[2];
    len = sizeof(few);
    assert_int_equal(WSCEnumProtocols(NULL, few, &len, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAENOBUFS);
    assert_int_equal(len, (NBASE + 3) * sizeof(WSAPROTOCOL_INFOW));
    assert_int_equal(WSCEnumProtocols(NULL, NULL, &len, NULL), SOCKET_ERROR);
}

/* ---- installing, removing, updating ---- */

/* Ids are assigned after the built-in ones, entries go last in catalog
 * order, carry the provider's GUID and path, and a base or layered entry's
 * chain names itself; the file keeps it all (a new process reads it). */
static void test_install_round_trip(void **state)
{
    (void)state;
    WSAPROTOCOL_INFOW two[2] = {
        info("Fake [TCP]", AF_INET, SOCK_STREAM, IPPROTO_TCP, 1, 0),
        info("Fake [UDP]", AF_INET, SOCK_DGRAM, IPPROTO_UDP, 1, 0)};
    two[0].dwCatalogEntryId = 77; /* ignored */
    assert_int_equal(install(1, "/opt/fake provider/\xc3\xa9.so", two, 2), 0);
    assert_int_equal(access(cat_path, F_OK), 0);
    unsigned n;
    WSAPROTOCOL_INFOW *all = wsc_all(&n);
    GUID g = guid(1);
    assert_int_equal(n, NBASE + 2);
    for (int i = 0; i < 2; i++) {
        WSAPROTOCOL_INFOW *p = &all[NBASE + i];
        assert_int_equal(p->dwCatalogEntryId, 1005 + i);
        assert_memory_equal(&p->ProviderId, &g, sizeof(g));
        assert_int_equal(p->ProtocolChain.ChainEntries[0], 1005 + i);
        assert_int_equal(p->iSocketType, two[i].iSocketType);
        assert_int_equal(p->dwMessageSize, 7);
        assert_memory_equal(p->szProtocol, two[i].szProtocol,
                            sizeof(p->szProtocol));
    }
    free(all);
    assert_persisted();
    /* Removed entries' ids are not given again while the file lives. */
    assert_int_equal(deinstall(1), 0);
    assert_int_equal(id_of(1, 0), 0);
    assert_int_equal(install(2, "/opt/b.so", two, 1), 0);
    assert_int_equal(id_of(2, 0), 1007);
    assert_persisted();
}

/* WSCInstallProvider's errors: WSAEFAULT for a missing argument, WSAEINVAL
 * for a bad one, WSANO_RECOVERY for a provider already installed (as
 * documented); nothing is written on any of them. */
static void test_install_errors(void **state)
{
    (void)state;
    WSAPROTOCOL_INFOW p = info("X", AF_INET, SOCK_STREAM, IPPROTO_TCP, 1, 0);
    GUID g = guid(1);
    int err = (int)POISON;
    assert_int_equal(WSCInstallProvider(NULL, W("/x.so"), &p, 1, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    err = (int)POISON;
    assert_int_equal(WSCInstallProvider(&g, NULL, &p, 1, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    err = (int)POISON;
    assert_int_equal(WSCInstallProvider(&g, W("/x.so"), NULL, 1, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    assert_int_equal(WSCInstallProvider(&g, W("/x.so"), &p, 1, NULL),
                     SOCKET_ERROR);
    assert_int_equal(install(1, "/x.so", &p, 0), WSAEINVAL);
    assert_int_equal(install(1, "x.so", &p, 1), WSAEINVAL);
    assert_int_equal(install(1, "", &p, 1), WSAEINVAL);
    assert_int_equal(install(1, "/", &p, 1), WSAEINVAL);
    assert_int_equal(install(1, "/a\nb.so", &p, 1), WSAEINVAL);
    /* WS2__PATH_MAX bytes with the NUL at most. */
    WCHAR longpath[WS2__PATH_MAX + 1];
    for (int i = 0; i < WS2__PATH_MAX; i++)
        longpath[i] = i ? 'a' : '/';
    longpath[WS2__PATH_MAX] = 0;
    err = (int)POISON;
    assert_int_equal(WSCInstallProvider(&g, longpath, &p, 1, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAEINVAL);
    longpath[WS2__PATH_MAX - 1] = 0;
    assert_int_equal(WSCInstallProvider(&g, longpath, &p, 1, &err), 0);
    assert_int_equal(WSCDeinstallProvider(&g, &err), 0);
    unlink(cat_path);
    WCHAR lone[] = {'/', 0xd800, 'x', 0};
    err = (int)POISON;
    assert_int_equal(WSCInstallProvider(&g, lone, &p, 1, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEINVAL);
    WSAPROTOCOL_INFOW bad = p;
    for (int i = 0; i <= WSAPROTOCOL_LEN; i++)
        bad.szProtocol[i] = 'n'; /* no NUL */
    assert_int_equal(install(1, "/x.so", &bad, 1), WSAEINVAL);
    bad = p;
    bad.szProtocol[0] = 0xdc00; /* unpaired surrogate */
    assert_int_equal(install(1, "/x.so", &bad, 1), WSAEINVAL);
    bad = p;
    bad.ProtocolChain.ChainLen = MAX_PROTOCOL_CHAIN + 1;
    assert_int_equal(install(1, "/x.so", &bad, 1), WSAEINVAL);
    /* A chain names installed entries: layered ones, then a base one. */
    bad = p;
    bad.ProtocolChain.ChainLen = 2;
    bad.ProtocolChain.ChainEntries[0] = 4242;
    bad.ProtocolChain.ChainEntries[1] = 1001;
    assert_int_equal(install(1, "/x.so", &bad, 1), WSAEINVAL);
    bad.ProtocolChain.ChainEntries[0] = 1002; /* a base entry first */
    assert_int_equal(install(1, "/x.so", &bad, 1), WSAEINVAL);
    assert_int_equal(access(cat_path, F_OK), -1);
    /* Installed once; a second time is WSANO_RECOVERY. */
    assert_int_equal(install(1, "/x.so", &p, 1), 0);
    size_t l1;
    char *before = read_text(cat_path, &l1);
    assert_int_equal(install(1, "/y.so", &p, 1), WSANO_RECOVERY);
    bad.ProtocolChain.ChainEntries[0] = 1001;
    bad.ProtocolChain.ChainEntries[1] = 1005; /* the last is not a base */
    bad.ProtocolChain.ChainLen = 2;
    assert_int_equal(install(2, "/x.so", &bad, 1), WSAEINVAL);
    assert_unchanged(before, l1);
}

/* WSCDeinstallProvider: WSAEINVAL for a provider not installed, WSAEFAULT
 * without the GUID; it removes every entry of the provider. */
static void test_deinstall(void **state)
{
    (void)state;
    WSAPROTOCOL_INFOW p[2] = {
        info("A", AF_INET, SOCK_STREAM, IPPROTO_TCP, 1, 0),
        info("B", AF_INET6, SOCK_STREAM, IPPROTO_TCP, 1, 0)};
    assert_int_equal(deinstall(1), WSAEINVAL);
    assert_int_equal(access(cat_path, F_OK), -1);
    assert_int_equal(install(1, "/a.so", p, 2), 0);
    assert_int_equal(install(2, "/b.so", p, 1), 0);
    int err = (int)POISON;
    assert_int_equal(WSCDeinstallProvider(NULL, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    assert_int_equal(WSCDeinstallProvider(NULL, NULL), SOCKET_ERROR);
    assert_int_equal(deinstall(1), 0);
    assert_int_equal(deinstall(1), WSAEINVAL);
    unsigned n;
    WSAPROTOCOL_INFOW *all = wsc_all(&n);
    assert_int_equal(n, NBASE + 1);
    assert_int_equal(all[NBASE].dwCatalogEntryId, 1007);
    free(all);
    assert_persisted();
}

/* WSCGetProviderPath: the path given at installation; a buffer too small
 * is WSAEFAULT with the length needed (characters with the NUL); on
 * success the length is the path's without the NUL. The base provider's
 * path is the file that holds it: this static test program itself. */
static void test_get_provider_path(void **state)
{
    (void)state;
    WSAPROTOCOL_INFOW p = info("A", AF_INET, SOCK_STREAM, IPPROTO_TCP, 1, 0);
    const char *path = "/opt/some provider/libp.so";
    assert_int_equal(install(1, path, &p, 1), 0);
    GUID g = guid(1), other = guid(9);
    WCHAR buf[WS2__PATH_MAX];
    int len = 5, err = (int)POISON;
    int need = (int)strlen(path) + 1;
    assert_int_equal(WSCGetProviderPath(&g, buf, &len, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    assert_int_equal(len, need);
    len = 0;
    assert_int_equal(WSCGetProviderPath(&g, NULL, &len, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    assert_int_equal(len, need);
    len = need;
    err = (int)POISON;
    assert_int_equal(WSCGetProviderPath(&g, buf, &len, &err), 0);
    assert_int_equal(err, (int)POISON);
    assert_int_equal(len, need - 1);
    assert_memory_equal(buf, W(path), (size_t)need * sizeof(WCHAR));
    assert_int_equal(WSCGetProviderPath(&other, buf, &len, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAEINVAL);
    assert_int_equal(WSCGetProviderPath(NULL, buf, &len, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    assert_int_equal(WSCGetProviderPath(&g, buf, NULL, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    /* The base provider. */
    WSAPROTOCOL_INFOW w[8];
    DWORD wl = sizeof(w);
    assert_true(WSAEnumProtocolsW(NULL, w, &wl) > 0);
    len = WS2__PATH_MAX;
    assert_int_equal(WSCGetProviderPath(&w[0].ProviderId, buf, &len, &err), 0);
    char got[WS2__PATH_MAX];
    for (int i = 0; i <= len; i++)
        got[i] = (char)buf[i];
    assert_string_equal(got, self_exe());
}

/* WSCUpdateProvider replaces the entries it names by id (keeping id and
 * place) and the provider's path; anything else is WSAEINVAL. */
static void test_update_provider(void **state)
{
    (void)state;
    WSAPROTOCOL_INFOW p[2] = {
        info("Old A", AF_INET, SOCK_STREAM, IPPROTO_TCP, 1, 0),
        info("Old B", AF_INET, SOCK_DGRAM, IPPROTO_UDP, 1, 0)};
    assert_int_equal(install(1, "/old.so", p, 2), 0);
    assert_int_equal(install(2, "/two.so", p, 1), 0);
    GUID g = guid(1), none = guid(7);
    WSAPROTOCOL_INFOW u = info("New B", AF_INET, SOCK_DGRAM, IPPROTO_UDP, 1,
                               PFL_MATCHES_PROTOCOL_ZERO);
    u.dwCatalogEntryId = id_of(1, 1);
    int err = (int)POISON;
    assert_int_equal(WSCUpdateProvider(&g, W("/new.so"), &u, 1, &err), 0);
    assert_int_equal(err, (int)POISON);
    unsigned n;
    WSAPROTOCOL_INFOW *all = wsc_all(&n);
    assert_int_equal(n, NBASE + 3);
    assert_int_equal(all[NBASE + 1].dwCatalogEntryId, u.dwCatalogEntryId);
    assert_int_equal(all[NBASE + 1].dwProviderFlags, PFL_MATCHES_PROTOCOL_ZERO);
    assert_memory_equal(all[NBASE + 1].szProtocol, u.szProtocol,
                        sizeof(u.szProtocol));
    assert_memory_equal(all[NBASE].szProtocol, p[0].szProtocol,
                        sizeof(p[0].szProtocol));
    free(all);
    WCHAR buf[64];
    int len = 64;
    assert_int_equal(WSCGetProviderPath(&g, buf, &len, &err), 0);
    assert_memory_equal(buf, W("/new.so"), 8 * sizeof(WCHAR));
    /* Errors. */
    assert_int_equal(WSCUpdateProvider(&none, W("/n.so"), &u, 1, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAEINVAL);
    WSAPROTOCOL_INFOW twice[2] = {u, u};
    assert_int_equal(WSCUpdateProvider(&g, W("/n.so"), twice, 2, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAEINVAL);
    u.dwCatalogEntryId = id_of(2, 0); /* another provider's entry */
    assert_int_equal(WSCUpdateProvider(&g, W("/n.so"), &u, 1, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAEINVAL);
    assert_int_equal(WSCUpdateProvider(&g, W("rel.so"), &u, 1, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAEINVAL);
    assert_int_equal(WSCUpdateProvider(NULL, W("/n.so"), &u, 1, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAEFAULT);
    assert_persisted();
}

/* ---- order, and which entry WSASocket takes ---- */

/* SO_PROTOCOL_INFOW of s. */
static WSAPROTOCOL_INFOW socket_info(SOCKET s)
{
    WSAPROTOCOL_INFOW pi;
    int len = sizeof(pi);
    assert_int_equal(getsockopt(s, SOL_SOCKET, SO_PROTOCOL_INFOW, (char *)&pi,
                                &len),
                     0);
    assert_int_equal(len, sizeof(pi));
    return pi;
}

static DWORD socket_entry(SOCKET s)
{
    return socket_info(s).dwCatalogEntryId;
}

/* WSASocket takes the first entry in catalog order that matches: with
 * TCP over IPv6 (1003) moved before TCP over IPv4 (1001), a socket of any
 * family for TCP is an IPv6 one. WSCWriteProviderOrder wants every id
 * once: anything else is WSAEINVAL and changes nothing. */
static void test_write_order(void **state)
{
    (void)state;
    SOCKET s = WSASocketW(AF_UNSPEC, SOCK_STREAM, IPPROTO_TCP, NULL, 0, 0);
    assert_int_not_equal(s, INVALID_SOCKET);
    assert_int_equal(socket_entry(s), 1001);
    closesocket(s);
    DWORD order[] = {1003, 1004, 1001, 1002};
    assert_int_equal(WSCWriteProviderOrder(order, 4), 0);
    s = WSASocketW(AF_UNSPEC, SOCK_STREAM, IPPROTO_TCP, NULL, 0, 0);
    assert_int_not_equal(s, INVALID_SOCKET);
    assert_int_equal(socket_entry(s), 1003);
    assert_int_equal(socket_info(s).iAddressFamily, AF_INET6);
    closesocket(s);
    WSAPROTOCOL_INFOW w[8];
    DWORD wl = sizeof(w);
    assert_int_equal(WSAEnumProtocolsW(NULL, w, &wl), 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(w[i].dwCatalogEntryId, order[i]);
    assert_persisted();
    size_t l1;
    char *before = read_text(cat_path, &l1);
    DWORD three[] = {1001, 1002, 1003};
    DWORD dup[] = {1001, 1002, 1003, 1003};
    DWORD unknown[] = {1001, 1002, 1003, 999};
    assert_int_equal(WSCWriteProviderOrder(three, 3), WSAEINVAL);
    assert_int_equal(WSCWriteProviderOrder(dup, 4), WSAEINVAL);
    assert_int_equal(WSCWriteProviderOrder(unknown, 4), WSAEINVAL);
    assert_int_equal(WSCWriteProviderOrder(NULL, 4), WSAEINVAL);
    assert_unchanged(before, l1);
}

/* Neither a hidden entry nor a layered one is ever chosen for an
 * application's socket, even first in the order; a protocol chain is. */
static void test_socket_skips_hidden_and_layered(void **state)
{
    (void)state;
    WSAPROTOCOL_INFOW layer = info("Layer", AF_INET, SOCK_DGRAM, IPPROTO_UDP,
                                   LAYERED_PROTOCOL,
                                   PFL_HIDDEN | PFL_MATCHES_PROTOCOL_ZERO);
    WSAPROTOCOL_INFOW hidden = info("Hidden UDP", AF_INET, SOCK_DGRAM,
                                    IPPROTO_UDP, BASE_PROTOCOL,
                                    PFL_HIDDEN | PFL_MATCHES_PROTOCOL_ZERO);
    assert_int_equal(install(1, "/nonexistent/lsp.so", &layer, 1), 0);
    assert_int_equal(install(2, "/nonexistent/hid.so", &hidden, 1), 0);
    DWORD lid = id_of(1, 0), hid = id_of(2, 0);
    DWORD order[] = {lid, hid, 1001, 1002, 1003, 1004};
    assert_int_equal(WSCWriteProviderOrder(order, 6), 0);
    SOCKET s = socket(AF_INET, SOCK_DGRAM, 0);
    assert_int_not_equal(s, INVALID_SOCKET);
    assert_int_equal(socket_entry(s), 1002);
    closesocket(s);
    /* A chain over UDP/IPv4, first: now it is the one chosen, and its
     * provider (no such file) cannot be started. */
    WSAPROTOCOL_INFOW chain = info("Layer over [UDP]", AF_INET, SOCK_DGRAM,
                                   IPPROTO_UDP, 2, PFL_MATCHES_PROTOCOL_ZERO);
    chain.ProtocolChain.ChainEntries[0] = lid;
    chain.ProtocolChain.ChainEntries[1] = 1002;
    assert_int_equal(install(3, "/nonexistent/lsp.so", &chain, 1), 0);
    DWORD cid = id_of(3, 0);
    DWORD order2[] = {cid, lid, hid, 1001, 1002, 1003, 1004};
    assert_int_equal(WSCWriteProviderOrder(order2, 7), 0);
    WSAPROTOCOL_INFOW w[8];
    DWORD wl = sizeof(w);
    assert_int_equal(WSAEnumProtocolsW(NULL, w, &wl), 5);
    assert_int_equal(w[0].dwCatalogEntryId, cid);
    s = socket(AF_INET, SOCK_DGRAM, 0);
    int err = WSAGetLastError();
    assert_int_equal(s, INVALID_SOCKET);
    assert_true(err == WSAEPROVIDERFAILEDINIT || err == WSAEINVALIDPROVIDER);
    /* TCP is not layered: unaffected. */
    s = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_not_equal(s, INVALID_SOCKET);
    closesocket(s);
}

/* lpProtocolInfo chooses the entry by its id; FROM_PROTOCOL_INFO takes
 * family, type and protocol from it; an id the catalog lacks is WSAEINVAL.
 * SO_PROTOCOL_INFOA/W report the entry, the A name as WSAEnumProtocolsA
 * gives it. */
static void test_socket_from_protocol_info(void **state)
{
    (void)state;
    WSAPROTOCOL_INFOW w[8];
    WSAPROTOCOL_INFOA a[8];
    DWORD wl = sizeof(w), al = sizeof(a);
    assert_int_equal(WSAEnumProtocolsW(NULL, w, &wl), NBASE);
    assert_int_equal(WSAEnumProtocolsA(NULL, a, &al), NBASE);
    SOCKET s = WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
                          FROM_PROTOCOL_INFO, &w[3], 0, 0);
    assert_int_not_equal(s, INVALID_SOCKET);
    WSAPROTOCOL_INFOW pw = socket_info(s);
    WSAPROTOCOL_INFOA pa;
    assert_memory_equal(&pw, &w[3], sizeof(pw));
    int len = sizeof(pa);
    assert_int_equal(getsockopt(s, SOL_SOCKET, SO_PROTOCOL_INFOA, (char *)&pa,
                                &len),
                     0);
    assert_memory_equal(&pa, &a[3], sizeof(pa));
    closesocket(s);
    s = WSASocketA(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
                   &a[1], 0, 0);
    assert_int_not_equal(s, INVALID_SOCKET);
    assert_int_equal(socket_entry(s), 1002);
    closesocket(s);
    WSAPROTOCOL_INFOW bogus = w[0];
    bogus.dwCatalogEntryId = 4242;
    assert_int_equal(WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
                                FROM_PROTOCOL_INFO, &bogus, 0, 0),
                     INVALID_SOCKET);
    assert_int_equal(WSAGetLastError(), WSAEINVAL);
}

/* A socket keeps the entry it was made from, whatever becomes of the
 * catalog: with the base provider removed, SO_PROTOCOL_INFO still reports
 * it, and a connection accepted later is of the listener's entry; new
 * sockets find no entry. */
static void test_entry_outlives_catalog(void **state)
{
    (void)state;
    SOCKET l = ws2t_bound(AF_INET, SOCK_STREAM);
    SOCKADDR_STORAGE ss;
    int sl;
    ws2t_name(l, &ss, &sl);
    assert_int_equal(listen(l, 4), 0);
    SOCKET c = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_not_equal(c, INVALID_SOCKET);
    WSAPROTOCOL_INFOW w[8];
    DWORD wl = sizeof(w);
    assert_int_equal(WSAEnumProtocolsW(NULL, w, &wl), NBASE);
    int err;
    assert_int_equal(WSCDeinstallProvider(&w[0].ProviderId, &err), 0);
    wl = 0;
    assert_int_equal(WSAEnumProtocolsW(NULL, NULL, &wl), 0);
    assert_int_equal(socket(AF_INET, SOCK_STREAM, 0), INVALID_SOCKET);
    assert_int_equal(WSAGetLastError(), WSAEAFNOSUPPORT);
    assert_int_equal(connect(c, (struct sockaddr *)&ss, sl), 0);
    SOCKET a = accept(l, NULL, NULL);
    assert_int_not_equal(a, INVALID_SOCKET);
    assert_int_equal(socket_entry(a), 1001);
    assert_int_equal(socket_entry(c), 1001);
    WSAPROTOCOL_INFOW pi = socket_info(a);
    assert_memory_equal(&pi, &w[0], sizeof(pi));
    closesocket(a);
    closesocket(c);
    closesocket(l);
}

/* ---- other processes ---- */

/* A change made by another process is seen by this one at its next
 * catalog call (the file's stat changed). */
static void test_sees_other_process(void **state)
{
    (void)state;
    WSAPROTOCOL_INFOW w[8];
    DWORD wl = sizeof(w);
    assert_int_equal(WSAEnumProtocolsW(NULL, w, &wl), NBASE);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (!pid) {
        WSAPROTOCOL_INFOW p = info("Other", AF_INET, SOCK_DGRAM, IPPROTO_UDP,
                                   1, 0);
        GUID g = guid(5);
        int err;
        DWORD order[] = {1002, 1001, 1003, 1004};
        _exit(WSCInstallProvider(&g, W("/o.so"), &p, 1, &err) ||
              WSCWriteProviderOrder(order, 4) != WSAEINVAL);
    }
    assert_int_equal(wait_child(pid), 0);
    wl = sizeof(w);
    assert_int_equal(WSAEnumProtocolsW(NULL, w, &wl), NBASE + 1);
    assert_int_equal(w[NBASE].dwCatalogEntryId, 1005);
    pid = fork();
    if (!pid) {
        DWORD order[] = {1005, 1002, 1001, 1003, 1004};
        _exit(WSCWriteProviderOrder(order, 5));
    }
    assert_int_equal(wait_child(pid), 0);
    wl = sizeof(w);
    assert_int_equal(WSAEnumProtocolsW(NULL, w, &wl), NBASE + 1);
    assert_int_equal(w[0].dwCatalogEntryId, 1005);
    assert_int_equal(w[1].dwCatalogEntryId, 1002);
    SOCKET s = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(socket_entry(s), 1001);
    closesocket(s);
}

/* One writer per process, each installing its own providers and removing
 * every other one, all at once, with a reader enumerating meanwhile: the
 * reader never meets a torn file, no writer's change is lost, ids are
 * unique, and no temporary file is left. */
static int writer(unsigned w, unsigned rounds)
{
    WSAPROTOCOL_INFOW p = info("Writer", AF_INET, SOCK_DGRAM, IPPROTO_UDP, 1,
                               0);
    for (unsigned j = 0; j < rounds; j++) {
        GUID g = guid(100 * (w + 1) + j);
        int err;
        if (WSCInstallProvider(&g, W("/w.so"), &p, 1, &err))
            return 10;
        if ((j & 1) && WSCDeinstallProvider(&g, &err))
            return 11;
    }
    return 0;
}

static int reader(unsigned rounds)
{
    WSAPROTOCOL_INFOW *buf = malloc(256 * sizeof(*buf));
    int bad = buf ? 0 : 22;
    for (unsigned j = 0; j < rounds && !bad; j++) {
        DWORD len = 256 * sizeof(*buf);
        int err;
        if (WSCEnumProtocols(NULL, buf, &len, &err) == SOCKET_ERROR)
            bad = 20;
        else if (WSAEnumProtocolsW(NULL, buf, &len) == SOCKET_ERROR)
            bad = 21;
    }
    free(buf);
    return bad;
}

#define WRITERS 4
static void test_concurrent_writers(void **state)
{
    (void)state;
    unsigned rounds = getenv("WS2TEST_SCALE") ? 6 : 24;
    pid_t pids[WRITERS + 1];
    for (unsigned w = 0; w <= WRITERS; w++) {
        pids[w] = fork();
        assert_true(pids[w] >= 0);
        if (!pids[w])
            _exit(w < WRITERS ? writer(w, rounds) : reader(rounds * 10));
    }
    for (unsigned w = 0; w <= WRITERS; w++)
        assert_int_equal(wait_child(pids[w]), 0);
    /* A writer killed before its rename left its temporary file: the next
     * write takes it away. */
    char stale[256];
    snprintf(stale, sizeof(stale), "%s.tmp.dead01", cat_path);
    write_text(stale, "x", 1);
    WSAPROTOCOL_INFOW p = info("Last", AF_INET, SOCK_DGRAM, IPPROTO_UDP, 1, 0);
    assert_int_equal(install(999, "/last.so", &p, 1), 0);
    assert_int_equal(deinstall(999), 0);
    assert_int_equal(access(stale, F_OK), -1);
    size_t len = 0;
    char *text = read_text(cat_path, &len);
    assert_non_null(text);
    struct ws2__cat c;
    char why[256];
    assert_int_equal(ws2__cat_parse(text, len, &c, why, sizeof(why)), 0);
    free(text);
    unsigned kept = (rounds + 1) / 2;
    assert_int_equal(c.n, NBASE + WRITERS * kept);
    for (unsigned w = 0; w < WRITERS; w++)
        for (unsigned j = 0; j < rounds; j++) {
            GUID g = guid(100 * (w + 1) + j);
            unsigned found = 0;
            for (unsigned i = 0; i < c.n; i++)
                found += !memcmp(&c.e[i].info.ProviderId, &g, sizeof(g));
            assert_int_equal(found, (j & 1) ? 0 : 1);
        }
    for (unsigned i = 0; i < c.n; i++)
        for (unsigned k = 0; k < i; k++)
            assert_int_not_equal(c.e[i].info.dwCatalogEntryId,
                                 c.e[k].info.dwCatalogEntryId);
    ws2__cat_free(&c);
    DIR *h = opendir(dir);
    struct dirent *de;
    unsigned files = 0;
    while ((de = readdir(h)))
        if (de->d_name[0] != '.') {
            assert_true(!strcmp(de->d_name, "catalog") ||
                        !strcmp(de->d_name, "catalog.lock"));
            files++;
        }
    closedir(h);
    assert_int_equal(files, 2);
}

/* Threads of one process: two change the catalog, two read it and make
 * sockets from it, at once; every call succeeds and the end state holds
 * exactly the changes made. */
struct race {
    unsigned id, rounds;
    int bad;
};

static void *race_writer(void *arg)
{
    struct race *r = arg;
    r->bad = writer(r->id, r->rounds);
    return NULL;
}

static void *race_reader(void *arg)
{
    struct race *r = arg;
    for (unsigned j = 0; j < r->rounds * 4 && !r->bad; j++) {
        SOCKET s = socket(AF_INET, SOCK_DGRAM, 0);
        WSAPROTOCOL_INFOW pi;
        int len = sizeof(pi);
        if (s == INVALID_SOCKET ||
            getsockopt(s, SOL_SOCKET, SO_PROTOCOL_INFOW, (char *)&pi, &len) ||
            pi.dwCatalogEntryId != 1002)
            r->bad = 30;
        closesocket(s);
        r->bad = r->bad ? r->bad : reader(1);
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    struct race r[4] = {{0, 12, 0}, {1, 12, 0}, {0, 12, 0}, {0, 12, 0}};
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        ws2t_thread_start(&t[i], i < 2 ? race_writer : race_reader, &r[i]);
    for (int i = 0; i < 4; i++)
        ws2t_thread_join(t[i], 60);
    for (int i = 0; i < 4; i++)
        assert_int_equal(r[i].bad, 0);
    unsigned n;
    WSAPROTOCOL_INFOW *all = wsc_all(&n);
    assert_int_equal(n, NBASE + 2 * 6);
    free(all);
}

/* ---- a broken catalog ---- */

/* Runs fn with stderr going to a file; the number of lines written. */
static int stderr_lines(void (*fn)(void))
{
    char p[128];
    snprintf(p, sizeof(p), "%s/stderr", dir);
    fflush(stderr);
    int saved = dup(2);
    int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0 && saved >= 0);
    dup2(fd, 2);
    close(fd);
    fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    size_t len = 0;
    char *text = read_text(p, &len);
    unlink(p);
    int lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    assert_true(len == 0 || strstr(text, cat_path) != NULL);
    free(text);
    return lines;
}

/* Every call that reads the catalog fails as documented, repeatedly. */
static void broken_calls(void)
{
    DWORD len = 0;
    int err;
    for (int i = 0; i < 3; i++) {
        assert_wsa_error(WSAEnumProtocolsW(NULL, NULL, &len), WSANO_RECOVERY);
        assert_wsa_error(WSAEnumProtocolsA(NULL, NULL, &len), WSANO_RECOVERY);
        assert_int_equal(WSCEnumProtocols(NULL, NULL, &len, &err),
                         SOCKET_ERROR);
        assert_int_equal(err, WSANO_RECOVERY);
        assert_int_equal(socket(AF_INET, SOCK_STREAM, 0), INVALID_SOCKET);
        assert_int_equal(WSAGetLastError(), WSAEPROVIDERFAILEDINIT);
        assert_int_equal(install(1, "/x.so", NULL, 0), WSAEFAULT);
        WSAPROTOCOL_INFOW p = info("X", AF_INET, SOCK_STREAM, 6, 1, 0);
        assert_int_equal(install(1, "/x.so", &p, 1), WSANO_RECOVERY);
        assert_int_equal(deinstall(1), WSANO_RECOVERY);
        DWORD order[] = {1001, 1002, 1003, 1004};
        assert_int_equal(WSCWriteProviderOrder(order, 4), WSANO_RECOVERY);
        GUID g = guid(1);
        WCHAR buf[8];
        int bl = 8;
        assert_int_equal(WSCGetProviderPath(&g, buf, &bl, &err), SOCKET_ERROR);
        assert_int_equal(err, WSANO_RECOVERY);
    }
}

/* A corrupt or unreadable catalog: WSANO_RECOVERY from the catalog
 * functions (Windows' code for a catalog entry that cannot be opened),
 * WSAEPROVIDERFAILEDINIT from WSASocket, one line on stderr, no change to
 * the file; a socket made before keeps working; mended, all works. */
static void test_corrupt_file(void **state)
{
    (void)state;
    SOCKET s1, s2;
    ws2t_udp_pair(AF_INET, &s1, &s2, 1);
    const char *junk = "ws2posix-catalog 1\nnext-id 1005\nentry 1001\n";
    write_text(cat_path, junk, strlen(junk));
    assert_int_equal(stderr_lines(broken_calls), 1);
    size_t len = 0;
    char *text = read_text(cat_path, &len);
    assert_int_equal(len, strlen(junk));
    free(text);
    assert_int_equal(send(s1, "ok", 2, 0), 2);
    char b[4];
    assert_int_equal(recv(s2, b, sizeof(b), 0), 2);
    closesocket(s1);
    closesocket(s2);
    /* Not a regular file: unreadable. */
    unlink(cat_path);
    assert_int_equal(mkdir(cat_path, 0755), 0);
    assert_int_equal(stderr_lines(broken_calls), 1);
    rmdir(cat_path);
    DWORD wl = 0;
    assert_wsa_error(WSAEnumProtocolsW(NULL, NULL, &wl), WSAENOBUFS);
    SOCKET s = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_not_equal(s, INVALID_SOCKET);
    closesocket(s);
}

/* Writing is refused, with WSANO_RECOVERY, to a user who may not write the
 * catalog's directory (Windows: "the user lacks the administrative
 * privileges required"). As root, the check runs in a child that became
 * nobody. */
static void test_not_permitted(void **state)
{
    (void)state;
    assert_int_equal(chmod(dir, 0755), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (!pid) {
        if (geteuid() != 0 ? chmod(dir, 0555) != 0
                           : setresuid(65534, 65534, 65534) != 0)
            _exit(3);
        WSAPROTOCOL_INFOW p = info("X", AF_INET, SOCK_STREAM, 6, 1, 0);
        GUID g = guid(1);
        int err = 0;
        int r = WSCInstallProvider(&g, W("/x.so"), &p, 1, &err);
        DWORD order[] = {1001, 1002, 1003, 1004};
        int r2 = WSCWriteProviderOrder(order, 4);
        /* Reading still works. */
        DWORD len = 0;
        int r3 = WSCEnumProtocols(NULL, NULL, &len, &err);
        _exit(r == SOCKET_ERROR && r2 == WSANO_RECOVERY &&
                      r3 == SOCKET_ERROR && err == WSAENOBUFS
                  ? 0
                  : 5);
    }
    assert_int_equal(wait_child(pid), 0);
    assert_int_equal(chmod(dir, 0700), 0);
    assert_int_equal(access(cat_path, F_OK), -1);
}

/* ---- the file format ---- */

/* Every field of every entry reads back as written, names with quotes,
 * backslashes, control characters and non-ASCII (a surrogate pair)
 * included. */
static void test_format_round_trip(void **state)
{
    (void)state;
    struct ws2__cat c;
    assert_int_equal(ws2__cat_builtin(&c), 0);
    struct ws2__entry e;
    memset(&e, 0, sizeof(e));
    e.info = info("x", AF_INET6, SOCK_RAW, 255, 3, 0xffffffffu);
    WCHAR name[] = {'q', '"', '\\', '\n', 0xe9, 0xd83d, 0xde00, '}', 0};
    memcpy(e.info.szProtocol, name, sizeof(name));
    e.info.dwCatalogEntryId = 2000;
    e.info.ProviderId = guid(0xab);
    e.info.ProtocolChain.ChainEntries[0] = 1;
    e.info.ProtocolChain.ChainEntries[6] = 0xffffffffu;
    e.info.dwServiceFlags1 = 0x80000001u;
    e.info.dwServiceFlags4 = 4;
    e.info.iProtocolMaxOffset = -3;
    e.info.iSecurityScheme = -1;
    e.info.dwMessageSize = 0xffffffffu;
    e.info.dwProviderReserved = 0xabcdef;
    snprintf(e.path, sizeof(e.path), "/p \"q\"\\\x01\xc3\xa9");
    assert_int_equal(ws2__cat_push(&c, &e), 0);
    c.next_id = 2001;
    size_t len = 0;
    char *text = ws2__cat_format(&c, &len);
    assert_non_null(text);
    struct ws2__cat d;
    char why[256] = "";
    if (ws2__cat_parse(text, len, &d, why, sizeof(why)))
        fail_msg("%s", why);
    assert_int_equal(d.n, c.n);
    assert_int_equal(d.next_id, 2001);
    for (unsigned i = 0; i < c.n; i++) {
        assert_memory_equal(&d.e[i].info, &c.e[i].info, sizeof(e.info));
        assert_string_equal(d.e[i].path, c.e[i].path);
    }
    free(text);
    ws2__cat_free(&c);
    ws2__cat_free(&d);
}

/* The reader refuses, with the line, every kind of damage. */
static void test_parse_errors(void **state)
{
    (void)state;
    struct ws2__cat c;
    assert_int_equal(ws2__cat_builtin(&c), 0);
    size_t len = 0;
    char *good = ws2__cat_format(&c, &len);
    ws2__cat_free(&c);
    char why[256];
    assert_int_equal(ws2__cat_parse(good, len, &c, why, sizeof(why)), 0);
    assert_int_equal(c.n, NBASE);
    ws2__cat_free(&c);
    /* Cut anywhere, it is refused. */
    for (size_t cut = 0; cut < len - 1; cut += 7) {
        if (!ws2__cat_parse(good, cut, &c, why, sizeof(why)))
            fail_msg("a file cut at %zu of %zu was read", cut, len);
        assert_non_null(strstr(why, "line "));
    }
    static const struct {
        const char *from, *to;
    } damage[] = {
        {"ws2posix-catalog 1", "ws2posix-catalog 2"},
        {"ws2posix-catalog 1", "something else"},
        {"next-id 1005", "next-id x"},
        {"family 2", "family 2x"},
        {"family 2", "famly 2"},
        {"family 2", "family 99999999999"},
        {"type 1", "family 2"},
        {"entry 1002", "entry 1001"},
        {"provider {", "provider ["},
        {"path \"\"", "path \"\\q\""},
        {"path \"\"", "path \"\\x00\""},
        {"path \"\"", "path \"\xff\""},
        {"name \"", "name \"\\x0"},
        {"chain 1 1001", "chain 9 1001"},
        {"chain 1 1001", "chain 1"},
        {"end-of-catalog 4", "end-of-catalog 5"},
        {"end-of-catalog 4", "end-of-catalog 4\nentry 9"},
        {"\nend\n", "\nend x\n"},
        {"min-sockaddr", "#"},
    };
    for (size_t i = 0; i < sizeof(damage) / sizeof(damage[0]); i++) {
        char *at = strstr(good, damage[i].from);
        assert_non_null(at);
        char bad[1 << 14];
        size_t pre = (size_t)(at - good);
        int n = snprintf(bad, sizeof(bad), "%.*s%s%s", (int)pre, good,
                         damage[i].to, at + strlen(damage[i].from));
        if (!ws2__cat_parse(bad, (size_t)n, &c, why, sizeof(why)))
            fail_msg("damage %zu (%s) was read", i, damage[i].to);
    }
    char nul[] = "ws2posix-catalog 1\0";
    assert_int_equal(ws2__cat_parse(nul, sizeof(nul), &c, why, sizeof(why)),
                     -1);
    free(good);
}

/* ---- where the file is ---- */

/* WS2POSIX_CATALOG chooses the file unless empty; a set-user-id program
 * ignores it (secure_getenv): run as root, this program copied set-user-id
 * to nobody reports the default path, the same copy without the bit the
 * variable's. */
static void test_catalog_path(void **state)
{
    (void)state;
    const char *def = ws2__catalog_path_pick(NULL);
    assert_true(def[0] == '/');
    assert_string_equal(ws2__catalog_path_pick(""), def);
    assert_string_equal(ws2__catalog_path_pick("/x/y"), "/x/y");
    assert_string_equal(ws2__catalog_path(), cat_path);
    if (geteuid() != 0) {
        print_message("not root: the set-user-id run is left out\n");
        return;
    }
    char exe[128], out[512];
    snprintf(exe, sizeof(exe), "%s/helper", dir);
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "cp '%s' %s", self_exe(), exe);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(chmod(dir, 0755), 0);
    assert_int_equal(run_prog(exe, "--path", out, sizeof(out)), 0);
    assert_string_equal(out, cat_path);
    assert_int_equal(chown(exe, 65534, 65534), 0);
    assert_int_equal(chmod(exe, 04755), 0);
    int rc = run_prog(exe, "--path", out, sizeof(out));
    if (rc != 0)
        fail_msg("set-user-id helper exited %d", rc);
    assert_string_equal(out, def);
    assert_int_equal(chmod(dir, 0700), 0);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--dump")) {
        dump(stdout);
        return 0;
    }
    if (argc > 1 && !strcmp(argv[1], "--path")) {
        /* _exit: LeakSanitizer cannot run in a set-user-id process. */
        fputs(ws2__catalog_path(), stdout);
        fflush(stdout);
        _exit(0);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_enum_builtin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enum_a_w_agree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enum_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enum_not_initialised, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hidden_and_layered, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_install_round_trip, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_install_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deinstall, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_provider_path, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_update_provider, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_write_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_socket_skips_hidden_and_layered,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_socket_from_protocol_info, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_entry_outlives_catalog, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sees_other_process, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_writers, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_permitted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_format_round_trip, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_parse_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_catalog_path, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
