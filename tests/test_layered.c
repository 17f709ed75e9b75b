/*
 * test_layered.c - providers loaded from the catalog, protocol chains and
 * the layers we ship (ws2stat, ws2fault), seen by an application.
 *
 * Linked with the shared library, as every program is that a layer is
 * installed under: a layer loads the base provider from the path of
 * libws2_32.so (layered.cmake). The catalog is a file of this test's own
 * (WS2POSIX_CATALOG), changed only through the public functions
 * (WSCInstallProvider, WSCEnumProtocols, WSCWriteProviderOrder,
 * WSCDeinstallProvider), installing a layer as Windows' LSP installers do:
 * a hidden LAYERED_PROTOCOL entry, then one chain entry per base entry,
 * [layer, base], under a second GUID. The two internal functions the test
 * needs (the handle count, for leaks; the engine's start, to skip) are
 * found in the library's symbol table.
 *
 * The documents: WSASocket (WSAEPROVIDERFAILEDINIT "improperly installed
 * or ... fails to operate correctly", WSAEINVALIDPROVIDER "returned a
 * version other than 2.2", WSAEINVALIDPROCTABLE "an invalid or incomplete
 * procedure table"), WSPStartup, WPUModifyIFSHandle, WPUGetProviderPath.
 */
#define _GNU_SOURCE
#include "util.h"

#include <dirent.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mswsock.h>
#include <windows.h>
#include <ws2spi.h>

#include "test_providers.h"
#include "ws2stat.h"

/* WSCWriteProviderOrder is sporder.h's on Windows: looked up rather than
 * declared here, whatever header declares it. */
static int write_order(DWORD *ids, DWORD n)
{
    int(WSPAPI * fn)(LPDWORD, DWORD) =
        (int(WSPAPI *)(LPDWORD, DWORD))dlsym(RTLD_DEFAULT,
                                             "WSCWriteProviderOrder");
    assert_non_null(fn);
    return fn(ids, n);
}

static char dir[64], statdir[96];
static GUID base_guid;
static const GUID stat_layer = {0x7a11e001, 0x1, 0x1, {1, 2, 3, 4, 5, 6, 7, 1}};
static const GUID stat_chain = {0x7a11e001, 0x1, 0x2, {1, 2, 3, 4, 5, 6, 7, 2}};
static const GUID fault_layer = {0x7a11e001, 0x2, 0x1, {1, 2, 3, 4, 5, 6, 7, 3}};
static const GUID fault_chain = {0x7a11e001, 0x2, 0x2, {1, 2, 3, 4, 5, 6, 7, 4}};
static const GUID ifs_layer = {0x7a11e001, 0x3, 0x1, {1, 2, 3, 4, 5, 6, 7, 5}};
static const GUID ifs_chain = {0x7a11e001, 0x3, 0x2, {1, 2, 3, 4, 5, 6, 7, 6}};
static const GUID broken = {0x7a11e001, 0x4, 0x1, {1, 2, 3, 4, 5, 6, 7, 7}};
static const GUID broken_chain = {0x7a11e001, 0x4, 0x2,
                                  {1, 2, 3, 4, 5, 6, 7, 8}};

/* ---- the library's internals, from its symbol table ---- */

static void *internal(const char *name)
{
    Dl_info di;
    void *addr = NULL;
    assert_true(dladdr((void *)WSAStartup, &di));
    int fd = open(di.dli_fname, O_RDONLY | O_CLOEXEC);
    struct stat st;
    assert_true(fd >= 0 && !fstat(fd, &st));
    const char *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE,
                         fd, 0);
    close(fd);
    assert_true(m != MAP_FAILED);
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)m;
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(m + eh->e_shoff);
    for (int i = 0; i < eh->e_shnum && !addr; i++) {
        if (sh[i].sh_type != SHT_SYMTAB)
            continue;
        const Elf64_Sym *sym = (const Elf64_Sym *)(m + sh[i].sh_offset);
        const char *str = m + sh[sh[i].sh_link].sh_offset;
        for (size_t k = 0; k < sh[i].sh_size / sizeof(*sym) && !addr; k++)
            if (sym[k].st_value && !strcmp(str + sym[k].st_name, name))
                addr = (char *)di.dli_fbase + sym[k].st_value;
    }
    munmap((void *)m, (size_t)st.st_size);
    if (!addr)
        fail_msg("%s not in the symbol table of %s", name, di.dli_fname);
    return addr;
}

static unsigned handles(void)
{
    unsigned (*count)(void) = (unsigned (*)(void))internal("ws2__handle_count");
    return count();
}

/* Waits (bounded) for the handle count to come back to n: an upper handle
 * closes when its last request has been delivered. */
static void assert_handles(unsigned n)
{
    double end = ws2t_now_ms() + 3000;
    while (handles() != n && ws2t_now_ms() < end)
        ws2t_sleep_ms(5);
    assert_int_equal(handles(), n);
}

/* ---- the catalog ---- */

static void wide(const char *s, WCHAR *w)
{
    while ((*w++ = (unsigned char)*s++))
        ;
}

/* Every entry (malloc'd); the count. */
static int entries(WSAPROTOCOL_INFOW **out)
{
    DWORD len = 0;
    int err = 0;
    assert_int_equal(WSCEnumProtocols(NULL, NULL, &len, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAENOBUFS);
    *out = malloc(len);
    int n = WSCEnumProtocols(NULL, *out, &len, &err);
    if (n == SOCKET_ERROR)
        fail_msg("WSCEnumProtocols: %d", err);
    return n;
}

static int guid_eq(const GUID *a, const GUID *b)
{
    return !memcmp(a, b, sizeof(*a));
}

/* The entry of provider id for (af, type); fails the test without. */
static WSAPROTOCOL_INFOW entry_of(const GUID *id, int af, int type)
{
    WSAPROTOCOL_INFOW *all, e = {0};
    int n = entries(&all);
    for (int i = 0; i < n; i++)
        if (guid_eq(&all[i].ProviderId, id) &&
            (!af || all[i].iAddressFamily == af) &&
            (!type || all[i].iSocketType == type)) {
            e = all[i];
            free(all);
            return e;
        }
    free(all);
    fail_msg("no catalog entry for af %d type %d", af, type);
    return e;
}

static void name(WSAPROTOCOL_INFOW *p, const char *s)
{
    char buf[WSAPROTOCOL_LEN + 1];
    snprintf(buf, sizeof(buf), "%s", s);
    wide(buf, p->szProtocol);
}

/* A layer as Windows' LSP installers put one in: a hidden LAYERED_PROTOCOL
 * entry, then for each base entry a chain [layer, base entry]. */
static void install_layer(const GUID *layer, const GUID *chain,
                          const char *path, int ifs)
{
    WCHAR w[PATH_MAX];
    int err = 0;
    wide(path, w);
    WSAPROTOCOL_INFOW dummy = entry_of(&base_guid, AF_INET, SOCK_STREAM);
    dummy.ProtocolChain.ChainLen = LAYERED_PROTOCOL;
    dummy.dwProviderFlags |= PFL_HIDDEN;
    name(&dummy, "test layer");
    GUID id = *layer;
    assert_wsa_ok(WSCInstallProvider(&id, w, &dummy, 1, &err));
    DWORD layer_id = entry_of(layer, 0, 0).dwCatalogEntryId;
    WSAPROTOCOL_INFOW *all, chains[16];
    int n = entries(&all), k = 0;
    for (int i = 0; i < n && k < 16; i++) {
        if (!guid_eq(&all[i].ProviderId, &base_guid))
            continue;
        chains[k] = all[i];
        chains[k].ProtocolChain.ChainLen = 2;
        chains[k].ProtocolChain.ChainEntries[0] = layer_id;
        chains[k].ProtocolChain.ChainEntries[1] = all[i].dwCatalogEntryId;
        if (!ifs)
            chains[k].dwServiceFlags1 &= ~(DWORD)XP1_IFS_HANDLES;
        name(&chains[k], "test layer over base");
        k++;
    }
    free(all);
    id = *chain;
    assert_wsa_ok(WSCInstallProvider(&id, w, chains, (DWORD)k, &err));
}

static void remove_provider(const GUID *g)
{
    GUID id = *g;
    int err = 0;
    assert_wsa_ok(WSCDeinstallProvider(&id, &err));
}

/* The catalog order with provider first's entries first, or back to the
 * order given. */
static int put_first(const GUID *first, DWORD *saved)
{
    WSAPROTOCOL_INFOW *all;
    int n = entries(&all), k = 0;
    DWORD order[64];
    for (int i = 0; i < n; i++) {
        saved[i] = all[i].dwCatalogEntryId;
        if (guid_eq(&all[i].ProviderId, first))
            order[k++] = all[i].dwCatalogEntryId;
    }
    for (int i = 0; i < n; i++)
        if (!guid_eq(&all[i].ProviderId, first))
            order[k++] = all[i].dwCatalogEntryId;
    free(all);
    assert_int_equal(write_order(order, (DWORD)n), 0);
    return n;
}

static SOCKET layered(const GUID *chain, int af, int type, DWORD flags)
{
    WSAPROTOCOL_INFOW info = entry_of(chain, af, type);
    SOCKET s = WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
                          FROM_PROTOCOL_INFO, &info, 0, flags);
    if (s == INVALID_SOCKET)
        fail_msg("WSASocketW over the chain: error %d", WSAGetLastError());
    return s;
}

static void layer_path(char *out, size_t n, const char *so)
{
    snprintf(out, n, "%s/%s", WS2T_LAYERS, so);
}

/* ---- ws2stat's file ---- */

static const struct ws2stat_file *stat_file(void)
{
    static const struct ws2stat_file *f;
    if (f)
        return f;
    char path[160];
    snprintf(path, sizeof(path), "%s/%d.ws2stat", statdir, (int)getpid());
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        fail_msg("%s: %s", path, strerror(errno));
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    f = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    assert_true(f != MAP_FAILED);
    assert_memory_equal(f->magic, WS2STAT_MAGIC, 8);
    assert_int_equal(f->version, WS2STAT_VERSION);
    assert_int_equal(f->pid, getpid());
    return f;
}

static int fn_index(const char *fn)
{
    const struct ws2stat_file *f = stat_file();
    for (unsigned i = 0; i < f->nfn; i++)
        if (!strcmp(f->fn_name[i], fn))
            return (int)i;
    fail_msg("ws2stat counts no %s", fn);
    return -1;
}

static struct ws2stat_counts total(const char *fn)
{
    const struct ws2stat_file *f = stat_file();
    struct ws2stat_counts c;
    memcpy(&c, &f->total[fn_index(fn)], sizeof(c));
    return c;
}

/* The record of socket s (the latest one with its handle). */
static const struct ws2stat_sock *record(SOCKET s)
{
    const struct ws2stat_file *f = stat_file();
    const struct ws2stat_sock *best = NULL;
    for (unsigned i = 0; i < f->nsock; i++) {
        const struct ws2stat_sock *r =
            (const void *)((const char *)f + f->header_size +
                           i * f->sock_size);
        if (r->state != WS2STAT_FREE && r->handle == s &&
            (!best || r->opened_ns > best->opened_ns))
            best = r;
    }
    if (!best)
        fail_msg("no ws2stat record of socket %llu", (unsigned long long)s);
    return best;
}

static void assert_counts(struct ws2stat_counts was, const char *fn,
                          uint64_t calls, uint64_t errors, uint64_t bytes)
{
    struct ws2stat_counts now = total(fn);
    if (now.calls - was.calls != calls || now.errors - was.errors != errors ||
        now.bytes - was.bytes != bytes)
        fail_msg("%s: %llu calls, %llu errors, %llu bytes; wanted %llu, "
                 "%llu, %llu",
                 fn, (unsigned long long)(now.calls - was.calls),
                 (unsigned long long)(now.errors - was.errors),
                 (unsigned long long)(now.bytes - was.bytes),
                 (unsigned long long)calls, (unsigned long long)errors,
                 (unsigned long long)bytes);
}

/* ---- sockets ---- */

static SOCKET listener(int af)
{
    SOCKET l = ws2t_bound(af, SOCK_STREAM);
    assert_wsa_ok(listen(l, 8));
    return l;
}

/* c connected to a plain listener; the accepted socket. */
static SOCKET connect_plain(SOCKET c, int af)
{
    SOCKET l = listener(af);
    SOCKADDR_STORAGE ss;
    int len;
    ws2t_name(l, &ss, &len);
    assert_wsa_ok(connect(c, (struct sockaddr *)&ss, len));
    SOCKET a = accept(l, NULL, NULL);
    assert_true(a != INVALID_SOCKET);
    closesocket(l);
    ws2t_rcvtimeo(a, 5000);
    ws2t_rcvtimeo(c, 5000);
    return a;
}

static int have_ipv6(void)
{
    FILE *f = fopen("/proc/net/if_inet6", "r");
    char line[256];
    int yes = 0;
    while (f && fgets(line, sizeof(line), f))
        yes |= strstr(line, " lo\n") != NULL;
    if (f)
        fclose(f);
    return yes;
}

/* ---- fixtures ---- */

static void restart(void)
{
    assert_int_equal(WSACleanup(), 0);
    WSADATA d;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0);
}

static int setup(void **state)
{
    (void)state;
    WSADATA d;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0);
    WSAPROTOCOL_INFOW *all;
    int n = entries(&all);
    assert_true(n >= 4);
    base_guid = all[0].ProviderId;
    free(all);
    char path[PATH_MAX];
    layer_path(path, sizeof(path), "ws2stat.so");
    install_layer(&stat_layer, &stat_chain, path, 0);
    /* The layer starts (its file, its port) with its first socket. */
    closesocket(layered(&stat_chain, AF_INET, SOCK_STREAM, 0));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    remove_provider(&stat_chain);
    remove_provider(&stat_layer);
    WSACleanup();
    return 0;
}

/* ---- ws2stat: the application's socket through a layer ---- */

/* A blocking stream through ws2stat then the base provider: byte-exact
 * both ways, every call counted for the process and the socket, the
 * socket reports the chain entry it was made on, and closing it leaks no
 * handle. */
static void stream_through_stat(int af)
{
    unsigned h0 = handles();
    struct ws2stat_counts send0 = total("Send"), recv0 = total("Recv"),
                          sock0 = total("Socket"), close0 = total("CloseSocket");
    SOCKET c = layered(&stat_chain, af, SOCK_STREAM, 0);
    SOCKET a = connect_plain(c, af);
    static char out[21001], back[5000], got[21001];
    ws2t_fill(out, sizeof(out), 31, 0);
    const int part[3] = {1000, 20000, 1};
    for (int i = 0, off = 0; i < 3; off += part[i++])
        assert_int_equal(send(c, out + off, part[i], 0), part[i]);
    ws2t_recv_all(a, got, sizeof(got));
    ws2t_check(got, sizeof(got), 31, 0);
    ws2t_fill(back, sizeof(back), 32, 0);
    assert_int_equal(send(a, back, sizeof(back), 0), (int)sizeof(back));
    memset(got, 0, sizeof(got));
    ws2t_recv_all(c, got, sizeof(back));
    ws2t_check(got, sizeof(back), 32, 0);

    assert_counts(send0, "Send", 3, 0, sizeof(out));
    struct ws2stat_counts r = total("Recv");
    assert_int_equal(r.bytes - recv0.bytes, sizeof(back));
    assert_int_equal(r.errors - recv0.errors, 0);
    assert_counts(sock0, "Socket", 1, 0, 0);
    const struct ws2stat_sock *rec = record(c);
    assert_int_equal(rec->state, WS2STAT_OPEN);
    assert_int_equal(rec->af, af);
    assert_int_equal(rec->type, SOCK_STREAM);
    assert_int_equal(rec->fn[fn_index("Send")].calls, 3);
    assert_int_equal(rec->fn[fn_index("Send")].bytes, sizeof(out));
    assert_int_equal(rec->fn[fn_index("Connect")].calls, 1);
    assert_int_equal(rec->fn[fn_index("Recv")].bytes, sizeof(back));

    WSAPROTOCOL_INFOW pi;
    int len = sizeof(pi);
    assert_wsa_ok(getsockopt(c, SOL_SOCKET, SO_PROTOCOL_INFOW, (char *)&pi,
                             &len));
    assert_true(guid_eq(&pi.ProviderId, &stat_chain));
    assert_int_equal(pi.ProtocolChain.ChainLen, 2);
    assert_int_equal(pi.dwCatalogEntryId,
                     entry_of(&stat_chain, af, SOCK_STREAM).dwCatalogEntryId);

    assert_wsa_ok(closesocket(c));
    assert_int_equal(rec->state, WS2STAT_CLOSED);
    assert_counts(close0, "CloseSocket", 1, 0, 0);
    assert_wsa_error(send(c, out, 1, 0), WSAENOTSOCK);
    closesocket(a);
    assert_handles(h0);
}

static void test_stat_tcp(void **state)
{
    (void)state;
    stream_through_stat(AF_INET);
    if (have_ipv6())
        stream_through_stat(AF_INET6);
}

/* Datagrams through ws2stat, both directions, byte-exact and counted. */
static void test_stat_udp(void **state)
{
    (void)state;
    unsigned h0 = handles();
    struct ws2stat_counts st0 = total("SendTo"), rf0 = total("RecvFrom");
    SOCKET u = layered(&stat_chain, AF_INET, SOCK_DGRAM, 0);
    ws2t_rcvtimeo(u, 5000);
    SOCKADDR_STORAGE lo;
    int lolen;
    ws2t_loopback(AF_INET, 0, &lo, &lolen);
    assert_wsa_ok(bind(u, (struct sockaddr *)&lo, lolen));
    SOCKET p = ws2t_bound(AF_INET, SOCK_DGRAM);
    SOCKADDR_STORAGE pa, ua;
    int palen, ualen;
    ws2t_name(p, &pa, &palen);
    ws2t_name(u, &ua, &ualen);
    char d[3][700], got[700];
    for (int i = 0; i < 3; i++) {
        ws2t_fill(d[i], sizeof(d[i]) - (size_t)i * 100, 40 + (uint32_t)i, 0);
        assert_int_equal(sendto(u, d[i], 700 - i * 100, 0,
                                (struct sockaddr *)&pa, palen),
                         700 - i * 100);
    }
    for (int i = 0; i < 3; i++) {
        assert_int_equal(recv(p, got, sizeof(got), 0), 700 - i * 100);
        ws2t_check(got, (size_t)(700 - i * 100), 40 + (uint32_t)i, 0);
    }
    assert_int_equal(sendto(p, d[0], 333, 0, (struct sockaddr *)&ua, ualen),
                     333);
    SOCKADDR_STORAGE from;
    int fromlen = sizeof(from);
    assert_int_equal(recvfrom(u, got, sizeof(got), 0,
                              (struct sockaddr *)&from, &fromlen),
                     333);
    ws2t_check(got, 333, 40, 0);
    assert_int_equal(fromlen, palen);
    assert_memory_equal(&from, &pa, (size_t)palen);
    assert_counts(st0, "SendTo", 3, 0, 700 + 600 + 500);
    assert_counts(rf0, "RecvFrom", 1, 0, 333);
    closesocket(u);
    closesocket(p);
    assert_handles(h0);
}

/* ---- overlapped requests through a layer ---- */

/* The call answers now (0) or later (WSA_IO_PENDING): both are Windows'. */
static void assert_started(int r)
{
    if (r == SOCKET_ERROR && WSAGetLastError() != WSA_IO_PENDING)
        fail_msg("overlapped call failed with %d", WSAGetLastError());
}

static void wait_event(WSAEVENT ev)
{
    assert_int_equal(WSAWaitForMultipleEvents(1, &ev, TRUE, 5000, FALSE),
                     WSA_WAIT_EVENT_0);
}

/* Events: a receive waiting for data, then eight 64 KiB sends in flight
 * at once while a thread drains the peer; every result through
 * WSAGetOverlappedResult, every byte in order. */
static void test_overlapped_events(void **state)
{
    (void)state;
    unsigned h0 = handles();
    struct ws2stat_counts send0 = total("Send"), recv0 = total("Recv");
    SOCKET c = layered(&stat_chain, AF_INET, SOCK_STREAM, WSA_FLAG_OVERLAPPED);
    SOCKET a = connect_plain(c, AF_INET);
    char in[300];
    WSABUF rb = {sizeof(in), in};
    WSAOVERLAPPED rov = {0};
    rov.hEvent = WSACreateEvent();
    DWORD flags = 0, n = POISON;
    assert_started(WSARecv(c, &rb, 1, NULL, &flags, &rov, NULL));
    assert_false(WSAGetOverlappedResult(c, &rov, &n, FALSE, &flags));
    assert_int_equal(WSAGetLastError(), WSA_IO_INCOMPLETE);
    char msg[300];
    ws2t_fill(msg, sizeof(msg), 50, 0);
    assert_int_equal(send(a, msg, sizeof(msg), 0), (int)sizeof(msg));
    wait_event(rov.hEvent);
    assert_true(WSAGetOverlappedResult(c, &rov, &n, FALSE, &flags));
    assert_int_equal(n, sizeof(msg));
    ws2t_check(in, sizeof(msg), 50, 0);

    enum { K = 8, SZ = 65536 };
    static char big[K * SZ];
    ws2t_fill(big, sizeof(big), 51, 0);
    struct ws2t_stream_rx rx = {a, sizeof(big), 51, 0, 0};
    pthread_t t;
    ws2t_thread_start(&t, ws2t_stream_rx_main, &rx);
    WSAOVERLAPPED ov[K];
    WSABUF wb[K];
    for (int i = 0; i < K; i++) {
        memset(&ov[i], 0, sizeof(ov[i]));
        ov[i].hEvent = WSACreateEvent();
        wb[i] = (WSABUF){SZ, big + i * SZ};
        assert_started(WSASend(c, &wb[i], 1, NULL, 0, &ov[i], NULL));
    }
    for (int i = 0; i < K; i++) {
        wait_event(ov[i].hEvent);
        assert_true(WSAGetOverlappedResult(c, &ov[i], &n, TRUE, &flags));
        assert_int_equal(n, SZ);
        WSACloseEvent(ov[i].hEvent);
    }
    ws2t_thread_join(t, 10);
    assert_false(rx.bad);
    assert_int_equal(rx.got, sizeof(big));
    assert_counts(send0, "Send", K, 0, sizeof(big));
    assert_counts(recv0, "Recv", 1, 0, sizeof(msg));
    WSACloseEvent(rov.hEvent);
    closesocket(c);
    closesocket(a);
    assert_handles(h0);
}

struct routine_seen {
    int calls;
    DWORD err, bytes;
    LPWSAOVERLAPPED ov;
    pthread_t thread;
};
static struct routine_seen seen;

static void CALLBACK routine(DWORD err, DWORD bytes, LPWSAOVERLAPPED ov,
                             DWORD flags)
{
    (void)flags;
    seen.calls++;
    seen.err = err;
    seen.bytes = bytes;
    seen.ov = ov;
    seen.thread = pthread_self();
}

static void await_routine(int calls)
{
    double end = ws2t_now_ms() + 5000;
    while (seen.calls < calls && ws2t_now_ms() < end)
        SleepEx(100, TRUE);
    assert_int_equal(seen.calls, calls);
}

/* Completion routines: run in the starting thread's alertable wait, with
 * the request's lpOverlapped, count and error. */
static void test_overlapped_routines(void **state)
{
    (void)state;
    unsigned h0 = handles();
    SOCKET c = layered(&stat_chain, AF_INET, SOCK_STREAM, WSA_FLAG_OVERLAPPED);
    SOCKET a = connect_plain(c, AF_INET);
    memset(&seen, 0, sizeof(seen));
    char in[100], msg[100];
    WSABUF rb = {sizeof(in), in};
    WSAOVERLAPPED ov = {0};
    DWORD flags = 0;
    assert_started(WSARecv(c, &rb, 1, NULL, &flags, &ov, routine));
    ws2t_sleep_ms(20);
    assert_int_equal(seen.calls, 0); /* never outside an alertable wait */
    ws2t_fill(msg, sizeof(msg), 60, 0);
    assert_int_equal(send(a, msg, sizeof(msg), 0), (int)sizeof(msg));
    await_routine(1);
    assert_int_equal(seen.err, 0);
    assert_int_equal(seen.bytes, sizeof(msg));
    assert_ptr_equal(seen.ov, &ov);
    assert_true(pthread_equal(seen.thread, pthread_self()));
    ws2t_check(in, sizeof(msg), 60, 0);

    WSAOVERLAPPED sov = {0};
    WSABUF sb = {sizeof(msg), msg};
    assert_started(WSASend(c, &sb, 1, NULL, 0, &sov, routine));
    await_routine(2);
    assert_ptr_equal(seen.ov, &sov);
    assert_int_equal(seen.bytes, sizeof(msg));
    ws2t_recv_all(a, in, sizeof(msg));
    ws2t_check(in, sizeof(msg), 60, 0);

    /* A receive aborted by closesocket reports it to its routine. */
    assert_started(WSARecv(c, &rb, 1, NULL, &flags, &ov, routine));
    closesocket(c);
    await_routine(3);
    assert_int_equal(seen.err, WSA_OPERATION_ABORTED);
    closesocket(a);
    assert_handles(h0);
}

static void port_get(HANDLE port, BOOL ok, DWORD err, DWORD bytes,
                     ULONG_PTR key, LPOVERLAPPED ov)
{
    DWORD n = POISON;
    ULONG_PTR k = POISON;
    LPOVERLAPPED o = NULL;
    BOOL r = GetQueuedCompletionStatus(port, &n, &k, &o, 5000);
    if (r != ok || (!ok && GetLastError() != err))
        fail_msg("GetQueuedCompletionStatus: %d, error %lu; wanted %d, %lu",
                 r, (unsigned long)GetLastError(), ok, (unsigned long)err);
    assert_int_equal(n, bytes);
    assert_int_equal(k, key);
    assert_ptr_equal(o, ov);
}

/* A completion port associated with the application's (upper) handle
 * gets the completions of requests that went through the layer, also the
 * aborted ones of CancelIoEx and closesocket. */
static void test_overlapped_port(void **state)
{
    (void)state;
    unsigned h0 = handles();
    SOCKET c = layered(&stat_chain, AF_INET, SOCK_STREAM, WSA_FLAG_OVERLAPPED);
    SOCKET a = connect_plain(c, AF_INET);
    HANDLE port = CreateIoCompletionPort((HANDLE)c, NULL, 77, 0);
    assert_non_null(port);
    char in[200], msg[4][1000];
    WSABUF rb = {sizeof(in), in};
    WSAOVERLAPPED rov = {0}, sov[4];
    DWORD flags = 0;
    assert_started(WSARecv(c, &rb, 1, NULL, &flags, &rov, NULL));
    ws2t_fill(msg[0], 200, 70, 0);
    assert_int_equal(send(a, msg[0], 200, 0), 200);
    port_get(port, TRUE, 0, 200, 77, &rov);
    ws2t_check(in, 200, 70, 0);
    for (int i = 0; i < 4; i++) {
        memset(&sov[i], 0, sizeof(sov[i]));
        ws2t_fill(msg[i], sizeof(msg[i]), 71, (size_t)i * sizeof(msg[i]));
        WSABUF b = {sizeof(msg[i]), msg[i]};
        assert_started(WSASend(c, &b, 1, NULL, 0, &sov[i], NULL));
    }
    for (int i = 0; i < 4; i++)
        port_get(port, TRUE, 0, sizeof(msg[i]), 77, &sov[i]);
    static char got[4000];
    ws2t_recv_all(a, got, sizeof(got));
    ws2t_check(got, sizeof(got), 71, 0);

    assert_started(WSARecv(c, &rb, 1, NULL, &flags, &rov, NULL));
    assert_true(CancelIoEx((HANDLE)c, &rov));
    port_get(port, FALSE, ERROR_OPERATION_ABORTED, 0, 77, &rov);
    assert_false(CancelIoEx((HANDLE)c, &rov));
    assert_int_equal(GetLastError(), ERROR_NOT_FOUND);

    assert_started(WSARecv(c, &rb, 1, NULL, &flags, &rov, NULL));
    assert_wsa_ok(closesocket(c));
    port_get(port, FALSE, ERROR_OPERATION_ABORTED, 0, 77, &rov);
    closesocket(a);
    assert_true(CloseHandle(port));
    assert_handles(h0);
}

/* ---- readiness: select, WSAPoll, WSAEventSelect ---- */

/* The application's handles in select's sets and WSAPoll's array go down
 * translated and come back as they were; a plain socket may stand beside
 * them. */
static void test_readiness(void **state)
{
    (void)state;
    unsigned h0 = handles();
    SOCKET c = layered(&stat_chain, AF_INET, SOCK_STREAM, WSA_FLAG_OVERLAPPED);
    SOCKET a = connect_plain(c, AF_INET);
    struct timeval zero = {0, 0}, two = {2, 0};
    fd_set r, w;
    FD_ZERO(&r);
    FD_SET(c, &r);
    assert_int_equal(select(0, &r, NULL, NULL, &zero), 0);
    assert_int_equal(r.fd_count, 0);
    assert_int_equal(send(a, "x", 1, 0), 1);
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(c, &r);
    FD_SET(a, &r);
    FD_SET(c, &w);
    assert_int_equal(select(0, &r, &w, NULL, &two), 2);
    assert_int_equal(r.fd_count, 1);
    assert_true(FD_ISSET(c, &r));
    assert_false(FD_ISSET(a, &r));
    assert_true(FD_ISSET(c, &w));

    WSAPOLLFD p[3] = {{c, POLLRDNORM, (SHORT)POISON},
                      {a, POLLRDNORM, (SHORT)POISON},
                      {c, POLLWRNORM, (SHORT)POISON}};
    assert_int_equal(WSAPoll(p, 3, 1000), 2);
    assert_int_equal(p[0].revents, POLLRDNORM);
    assert_int_equal(p[1].revents, 0);
    assert_int_equal(p[2].revents, POLLWRNORM);
    assert_true(p[0].fd == c && p[1].fd == a);

    WSAEVENT ev = WSACreateEvent();
    assert_wsa_ok(WSAEventSelect(c, ev, FD_READ | FD_CLOSE));
    wait_event(ev);
    WSANETWORKEVENTS ne;
    assert_wsa_ok(WSAEnumNetworkEvents(c, ev, &ne));
    assert_true(ne.lNetworkEvents & FD_READ);
    char ch;
    assert_int_equal(recv(c, &ch, 1, 0), 1);
    closesocket(a);
    wait_event(ev);
    assert_wsa_ok(WSAEnumNetworkEvents(c, ev, &ne));
    assert_true(ne.lNetworkEvents & FD_CLOSE);
    assert_int_equal(ne.iErrorCode[FD_CLOSE_BIT], 0);
    WSACloseEvent(ev);
    closesocket(c);
    assert_handles(h0);
}

/* ---- the extension functions through a layer ---- */

static void *extension(SOCKET s, GUID g)
{
    void *fn = NULL;
    DWORD n = 0;
    if (WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &g, sizeof(g), &fn,
                 sizeof(fn), &n, NULL, NULL) == SOCKET_ERROR)
        fail_msg("SIO_GET_EXTENSION_FUNCTION_POINTER: %d", WSAGetLastError());
    return fn;
}

/* AcceptEx on a layered listener into a layered accept socket (the
 * layer's wrapper), ConnectEx and DisconnectEx on a layered socket:
 * handles translated, data byte-exact, completions to the application. */
static void test_extensions(void **state)
{
    (void)state;
    unsigned h0 = handles();
    struct ws2stat_counts ax0 = total("AcceptEx"), cx0 = total("ConnectEx");
    SOCKET l = layered(&stat_chain, AF_INET, SOCK_STREAM, WSA_FLAG_OVERLAPPED);
    SOCKADDR_STORAGE ss;
    int len;
    ws2t_loopback(AF_INET, 0, &ss, &len);
    assert_wsa_ok(bind(l, (struct sockaddr *)&ss, len));
    assert_wsa_ok(listen(l, 4));
    ws2t_name(l, &ss, &len);
    SOCKET as = layered(&stat_chain, AF_INET, SOCK_STREAM, WSA_FLAG_OVERLAPPED);
    LPFN_ACCEPTEX acceptex = extension(l, (GUID)WSAID_ACCEPTEX);
    LPFN_GETACCEPTEXSOCKADDRS addrs =
        extension(l, (GUID)WSAID_GETACCEPTEXSOCKADDRS);
    enum { ADDR = sizeof(SOCKADDR_STORAGE) + 16 };
    char buf[100 + 2 * ADDR];
    WSAOVERLAPPED ov = {0};
    ov.hEvent = WSACreateEvent();
    DWORD n = 0, flags = 0;
    assert_false(acceptex(l, as, buf, 100, ADDR, ADDR, &n, &ov));
    assert_int_equal(WSAGetLastError(), ERROR_IO_PENDING);
    SOCKET p = socket(AF_INET, SOCK_STREAM, 0);
    assert_wsa_ok(connect(p, (struct sockaddr *)&ss, len));
    char msg[100];
    ws2t_fill(msg, sizeof(msg), 80, 0);
    assert_int_equal(send(p, msg, sizeof(msg), 0), (int)sizeof(msg));
    wait_event(ov.hEvent);
    assert_true(WSAGetOverlappedResult(l, &ov, &n, FALSE, &flags));
    assert_int_equal(n, sizeof(msg));
    ws2t_check(buf, sizeof(msg), 80, 0);
    struct sockaddr *la, *ra;
    int lal, ral;
    addrs(buf, 100, ADDR, ADDR, &la, &lal, &ra, &ral);
    assert_int_equal(ra->sa_family, AF_INET);
    assert_wsa_ok(setsockopt(as, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT,
                             (char *)&l, sizeof(l)));
    SOCKADDR_STORAGE peer;
    int plen = sizeof(peer);
    assert_wsa_ok(getpeername(as, (struct sockaddr *)&peer, &plen));
    assert_int_equal(send(as, "ok", 2, 0), 2);
    ws2t_rcvtimeo(p, 5000);
    assert_int_equal(recv(p, msg, sizeof(msg), 0), 2);

    /* ConnectEx with data, then DisconnectEx. */
    SOCKET c = layered(&stat_chain, AF_INET, SOCK_STREAM, WSA_FLAG_OVERLAPPED);
    SOCKADDR_STORAGE any;
    int anylen;
    ws2t_loopback(AF_INET, 0, &any, &anylen);
    assert_wsa_ok(bind(c, (struct sockaddr *)&any, anylen));
    LPFN_CONNECTEX connectex = extension(c, (GUID)WSAID_CONNECTEX);
    LPFN_DISCONNECTEX disconnectex = extension(c, (GUID)WSAID_DISCONNECTEX);
    SOCKET pl = listener(AF_INET);
    SOCKADDR_STORAGE pla;
    int plalen;
    ws2t_name(pl, &pla, &plalen);
    ws2t_fill(msg, 50, 81, 0);
    WSAResetEvent(ov.hEvent);
    assert_false(connectex(c, (struct sockaddr *)&pla, plalen, msg, 50, &n,
                           &ov));
    assert_int_equal(WSAGetLastError(), ERROR_IO_PENDING);
    wait_event(ov.hEvent);
    assert_true(WSAGetOverlappedResult(c, &ov, &n, FALSE, &flags));
    assert_int_equal(n, 50);
    SOCKET pa = accept(pl, NULL, NULL);
    ws2t_rcvtimeo(pa, 5000);
    char got[50];
    ws2t_recv_all(pa, got, sizeof(got));
    ws2t_check(got, sizeof(got), 81, 0);
    assert_false(disconnectex(c, &ov, 0, 0));
    assert_int_equal(WSAGetLastError(), ERROR_IO_PENDING);
    wait_event(ov.hEvent);
    assert_true(WSAGetOverlappedResult(c, &ov, &n, FALSE, &flags));
    assert_int_equal(recv(pa, got, sizeof(got), 0), 0);
    assert_counts(ax0, "AcceptEx", 1, 0, 100);
    assert_counts(cx0, "ConnectEx", 1, 0, 50);

    /* An extension the layer cannot wrap is refused, not passed through
     * (the lower function would be handed the layer's handles). */
    GUID rm = WSAID_WSARECVMSG;
    void *fn = NULL;
    assert_wsa_error(WSAIoctl(c, SIO_GET_EXTENSION_FUNCTION_POINTER, &rm,
                              sizeof(rm), &fn, sizeof(fn), &n, NULL, NULL),
                     WSAEINVAL);
    WSACloseEvent(ov.hEvent);
    closesocket(c);
    closesocket(pa);
    closesocket(pl);
    closesocket(as);
    closesocket(p);
    closesocket(l);
    assert_handles(h0);
}

/* A program that names no provider gets the first matching entry in
 * catalog order: with the chains first, socket() goes through the layer
 * (how an unmodified program comes to use one). */
static void test_order_picks_layer(void **state)
{
    (void)state;
    DWORD saved[64];
    int n = put_first(&stat_chain, saved);
    unsigned h0 = handles();
    struct ws2stat_counts sock0 = total("Socket");
    SOCKET s = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(s != INVALID_SOCKET);
    WSAPROTOCOL_INFOW pi;
    int len = sizeof(pi);
    assert_wsa_ok(getsockopt(s, SOL_SOCKET, SO_PROTOCOL_INFOW, (char *)&pi,
                             &len));
    assert_true(guid_eq(&pi.ProviderId, &stat_chain));
    assert_counts(sock0, "Socket", 1, 0, 0);
    closesocket(s);
    assert_int_equal(write_order(saved, (DWORD)n), 0);
    s = socket(AF_INET, SOCK_DGRAM, 0);
    len = sizeof(pi);
    assert_wsa_ok(getsockopt(s, SOL_SOCKET, SO_PROTOCOL_INFOW, (char *)&pi,
                             &len));
    assert_true(guid_eq(&pi.ProviderId, &base_guid));
    closesocket(s);
    assert_handles(h0);
}

/* ---- ws2fault ---- */

/* Installs ws2fault with these rules. They are read at the layer's
 * start, so Winsock starts again. */
static void fault_on(const char *rules)
{
    char path[PATH_MAX];
    setenv("WS2FAULT", rules, 1);
    restart();
    layer_path(path, sizeof(path), "ws2fault.so");
    install_layer(&fault_layer, &fault_chain, path, 0);
    /* It starts (and makes its port) with its first socket. */
    closesocket(layered(&fault_chain, AF_INET, SOCK_DGRAM, 0));
}

static void fault_off(void)
{
    remove_provider(&fault_chain);
    remove_provider(&fault_layer);
    unsetenv("WS2FAULT");
    restart();
}

/* A socket the catalog gives for (AF_INET, type), which must be one of
 * ws2fault's. */
static SOCKET via_fault(int type, DWORD flags)
{
    SOCKET s = WSASocketW(AF_INET, type, 0, NULL, 0, flags);
    assert_true(s != INVALID_SOCKET);
    WSAPROTOCOL_INFOW pi;
    int len = sizeof(pi);
    assert_wsa_ok(getsockopt(s, SOL_SOCKET, SO_PROTOCOL_INFOW, (char *)&pi,
                             &len));
    assert_true(guid_eq(&pi.ProviderId, &fault_chain));
    return s;
}

/* The errors arrive exactly as configured, the faulted calls move no
 * data, and once the layer is removed the same program calls behave
 * plainly. */
static void test_fault_errors(void **state)
{
    (void)state;
    fault_on("Connect:count=1:error=WSAETIMEDOUT; WSASend:nth=2:"
             "error=WSAECONNRESET;recv:every=2:error=WSAEWOULDBLOCK\n"
             "sendto:error=WSAENOBUFS # every datagram");
    unsigned h0 = handles();
    SOCKET c = layered(&fault_chain, AF_INET, SOCK_STREAM,
                       WSA_FLAG_OVERLAPPED);
    SOCKET l = listener(AF_INET);
    SOCKADDR_STORAGE ss;
    int len;
    ws2t_name(l, &ss, &len);
    assert_wsa_error(connect(c, (struct sockaddr *)&ss, len), WSAETIMEDOUT);
    assert_wsa_ok(connect(c, (struct sockaddr *)&ss, len));
    SOCKET a = accept(l, NULL, NULL);
    ws2t_rcvtimeo(a, 5000);
    ws2t_rcvtimeo(c, 5000);
    char m[3][10], got[20];
    for (int i = 0; i < 3; i++)
        memset(m[i], 'a' + i, sizeof(m[i]));
    assert_int_equal(send(c, m[0], 10, 0), 10);
    assert_wsa_error(send(c, m[1], 10, 0), WSAECONNRESET);
    assert_int_equal(send(c, m[2], 10, 0), 10);
    ws2t_recv_all(a, got, 20);
    assert_memory_equal(got, m[0], 10);
    assert_memory_equal(got + 10, m[2], 10);
    assert_int_equal(send(a, got, 20, 0), 20);
    char back[10];
    assert_int_equal(recv(c, back, 10, 0), 10);
    assert_wsa_error(recv(c, back, 10, 0), WSAEWOULDBLOCK);
    assert_int_equal(recv(c, back, 10, 0), 10);
    assert_memory_equal(back, m[2], 10);
    closesocket(c);
    closesocket(a);

    /* A program that names no provider, with the layer first in the
     * catalog: its datagram sends fail as configured, at once, so an
     * overlapped one completes nothing. */
    SOCKET p = ws2t_bound(AF_INET, SOCK_DGRAM);
    SOCKADDR_STORAGE pa;
    int palen;
    ws2t_name(p, &pa, &palen);
    DWORD saved[64];
    put_first(&fault_chain, saved);
    SOCKET u = via_fault(SOCK_DGRAM, WSA_FLAG_OVERLAPPED);
    assert_wsa_error(sendto(u, "d", 1, 0, (struct sockaddr *)&pa, palen),
                     WSAENOBUFS);
    WSAOVERLAPPED ov = {0};
    ov.hEvent = WSACreateEvent();
    WSABUF b = {1, "d"};
    assert_wsa_error(WSASendTo(u, &b, 1, NULL, 0, (struct sockaddr *)&pa,
                               palen, &ov, NULL),
                     WSAENOBUFS);
    assert_int_equal(WSAWaitForMultipleEvents(1, &ov.hEvent, TRUE, 50,
                                              FALSE),
                     WSA_WAIT_TIMEOUT);
    WSACloseEvent(ov.hEvent);
    closesocket(u);
    closesocket(p);
    closesocket(l);
    assert_handles(h0);
    fault_off();

    /* The layer removed: the same program, plain. */
    u = socket(AF_INET, SOCK_DGRAM, 0);
    p = ws2t_bound(AF_INET, SOCK_DGRAM);
    ws2t_name(p, &pa, &palen);
    for (int i = 0; i < 3; i++)
        assert_int_equal(sendto(u, "d", 1, 0, (struct sockaddr *)&pa, palen),
                         1);
    WSAPROTOCOL_INFOW pi;
    len = sizeof(pi);
    assert_wsa_ok(getsockopt(u, SOL_SOCKET, SO_PROTOCOL_INFOW, (char *)&pi,
                             &len));
    assert_true(guid_eq(&pi.ProviderId, &base_guid));
    closesocket(u);
    closesocket(p);
}

/* delay_ms holds each overlapped completion back that long; the data
 * itself is not held. */
static void test_fault_delay(void **state)
{
    (void)state;
    fault_on("WSASend:delay_ms=80");
    unsigned h0 = handles();
    SOCKET c = layered(&fault_chain, AF_INET, SOCK_STREAM,
                       WSA_FLAG_OVERLAPPED);
    SOCKET a = connect_plain(c, AF_INET);
    char msg[64], got[64];
    ws2t_fill(msg, sizeof(msg), 90, 0);
    WSAOVERLAPPED ov = {0};
    ov.hEvent = WSACreateEvent();
    WSABUF b = {sizeof(msg), msg};
    double t0 = ws2t_now_ms();
    assert_started(WSASend(c, &b, 1, NULL, 0, &ov, NULL));
    ws2t_recv_all(a, got, sizeof(got));
    ws2t_check(got, sizeof(got), 90, 0);
    wait_event(ov.hEvent);
    double took = ws2t_now_ms() - t0;
    if (took < 80)
        fail_msg("completed after %.1f ms, before the 80 ms delay", took);
    DWORD bytes, flags;
    assert_true(WSAGetOverlappedResult(c, &ov, &bytes, FALSE, &flags));
    assert_int_equal(bytes, sizeof(msg));
    WSACloseEvent(ov.hEvent);
    closesocket(c);
    closesocket(a);
    assert_handles(h0);
    fault_off();
}

static size_t scaled(size_t n)
{
    const char *s = getenv("WS2TEST_SCALE");
    long k = s ? atol(s) : 1;
    return k > 1 ? n / (size_t)k : n;
}

struct pump {
    SOCKET s;
    size_t total, done;
    int err;
};

/* Sends total pattern bytes on a non-blocking socket, waiting with select
 * and going on after WSAEWOULDBLOCK and short counts, as a program must. */
static void *pump_send(void *arg)
{
    struct pump *p = arg;
    static char chunk[8192];
    while (p->done < p->total && !p->err) {
        size_t want = p->total - p->done < sizeof(chunk)
                          ? p->total - p->done
                          : sizeof(chunk);
        ws2t_fill(chunk, want, 100, p->done);
        int r = send(p->s, chunk, (int)want, 0);
        if (r > 0) {
            p->done += (size_t)r;
            continue;
        }
        if (WSAGetLastError() != WSAEWOULDBLOCK) {
            p->err = WSAGetLastError();
            break;
        }
        fd_set w;
        FD_ZERO(&w);
        FD_SET(p->s, &w);
        struct timeval tv = {5, 0};
        if (select(0, NULL, &w, NULL, &tv) != 1)
            p->err = -1;
    }
    return NULL;
}

/* A byte-exact transfer between two ws2fault sockets, with short sends
 * and WSAEWOULDBLOCK injected on both sides: nothing lost, nothing
 * reordered. */
static void test_fault_reliability(void **state)
{
    (void)state;
    fault_on("Send:short=997;Send:every=3:error=WSAEWOULDBLOCK;"
             "Recv:every=4:error=WSAEWOULDBLOCK");
    unsigned h0 = handles();
    SOCKET l = layered(&fault_chain, AF_INET, SOCK_STREAM,
                       WSA_FLAG_OVERLAPPED);
    SOCKADDR_STORAGE ss;
    int len;
    ws2t_loopback(AF_INET, 0, &ss, &len);
    assert_wsa_ok(bind(l, (struct sockaddr *)&ss, len));
    assert_wsa_ok(listen(l, 1));
    ws2t_name(l, &ss, &len);
    SOCKET c = layered(&fault_chain, AF_INET, SOCK_STREAM,
                       WSA_FLAG_OVERLAPPED);
    assert_wsa_ok(connect(c, (struct sockaddr *)&ss, len));
    SOCKET a = accept(l, NULL, NULL);
    assert_true(a != INVALID_SOCKET);
    u_long one = 1;
    assert_wsa_ok(ioctlsocket(c, FIONBIO, &one));
    assert_wsa_ok(ioctlsocket(a, FIONBIO, &one));
    struct pump p = {c, scaled(1 << 20), 0, 0};
    pthread_t t;
    ws2t_thread_start(&t, pump_send, &p);
    static char buf[65536];
    size_t got = 0;
    int wouldblock = 0;
    while (got < p.total) {
        int r = recv(a, buf, sizeof(buf), 0);
        if (r > 0) {
            ws2t_check(buf, (size_t)r, 100, got);
            got += (size_t)r;
            continue;
        }
        assert_int_equal(r, SOCKET_ERROR);
        assert_int_equal(WSAGetLastError(), WSAEWOULDBLOCK);
        wouldblock++;
        fd_set rd;
        FD_ZERO(&rd);
        FD_SET(a, &rd);
        struct timeval tv = {5, 0};
        assert_int_equal(select(0, &rd, NULL, NULL, &tv), 1);
    }
    ws2t_thread_join(t, 20);
    assert_int_equal(p.err, 0);
    assert_int_equal(p.done, p.total);
    assert_int_equal(got, p.total);
    assert_true(wouldblock > 0);
    closesocket(c);
    closesocket(a);
    closesocket(l);
    assert_handles(h0);
    fault_off();
}

/* The same with overlapped sends: WSAENOBUFS on every fifth WSASend (the
 * program sends the same buffer again) and delayed completions; the
 * receiver sees every byte once, in order. */
static void test_fault_reliability_overlapped(void **state)
{
    (void)state;
    fault_on("WSASend:every=5:error=WSAENOBUFS;*:delay_ms=3");
    unsigned h0 = handles();
    SOCKET c = layered(&fault_chain, AF_INET, SOCK_STREAM,
                       WSA_FLAG_OVERLAPPED);
    SOCKET a = connect_plain(c, AF_INET);
    enum { DEPTH = 4, SZ = 16384 };
    size_t total = scaled(4 << 20) / SZ * SZ;
    if (total < 20 * SZ) /* enough sends for the rule to fire */
        total = 20 * SZ;
    static char buf[DEPTH][SZ];
    WSAOVERLAPPED ov[DEPTH];
    struct ws2t_stream_rx rx = {a, total, 101, 0, 0};
    pthread_t t;
    ws2t_thread_start(&t, ws2t_stream_rx_main, &rx);
    size_t sent = 0, posted = 0, refused = 0;
    int busy[DEPTH] = {0};
    while (sent < total) {
        for (int i = 0; i < DEPTH && posted < total; i++) {
            if (busy[i])
                continue;
            memset(&ov[i], 0, sizeof(ov[i]));
            ov[i].hEvent = WSACreateEvent();
            ws2t_fill(buf[i], SZ, 101, posted);
            WSABUF b = {SZ, buf[i]};
            int r;
            while ((r = WSASend(c, &b, 1, NULL, 0, &ov[i], NULL)) ==
                       SOCKET_ERROR &&
                   WSAGetLastError() == WSAENOBUFS)
                refused++;
            assert_started(r);
            busy[i] = 1;
            posted += SZ;
        }
        for (int i = 0; i < DEPTH; i++) {
            if (!busy[i])
                continue;
            DWORD got, flags;
            wait_event(ov[i].hEvent);
            assert_true(WSAGetOverlappedResult(c, &ov[i], &got, FALSE,
                                               &flags));
            assert_int_equal(got, SZ);
            WSACloseEvent(ov[i].hEvent);
            busy[i] = 0;
            sent += SZ;
        }
    }
    ws2t_thread_join(t, 20);
    assert_false(rx.bad);
    assert_int_equal(rx.got, total);
    assert_true(refused > 0);
    closesocket(c);
    closesocket(a);
    assert_handles(h0);
    fault_off();
}

/* ---- providers that cannot be loaded or started ---- */

/* Runs fn with stderr going to a file; what was written. */
static void capture(void (*fn)(void *), void *arg, char *out, size_t n)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/stderr", dir);
    fflush(stderr);
    int saved = dup(2), fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    fn(arg);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    ssize_t r = pread(fd, out, n - 1, 0);
    out[r > 0 ? r : 0] = 0;
    close(fd);
}

struct attempt {
    WSAPROTOCOL_INFOW info;
    int err[2];
};

/* Two sockets of the broken entry: both fail; the reason is said once. */
static void two_sockets(void *arg)
{
    struct attempt *a = arg;
    for (int i = 0; i < 2; i++) {
        WSASetLastError(0);
        SOCKET s = WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
                              FROM_PROTOCOL_INFO, &a->info, 0,
                              WSA_FLAG_OVERLAPPED);
        a->err[i] = s == INVALID_SOCKET ? WSAGetLastError() : 0;
        if (s != INVALID_SOCKET)
            closesocket(s);
    }
}

static int lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* Installs path as a base provider of TCP, makes sockets of it, and
 * checks their error and the message (path and reason, once). Returns 0,
 * or 1 when the catalog refused the path itself (a relative one). */
static int try_broken(const char *path, int want, const char *reason,
                      const char *also)
{
    WSAPROTOCOL_INFOW e = entry_of(&base_guid, AF_INET, SOCK_STREAM);
    WCHAR w[PATH_MAX];
    GUID id = broken;
    int err = 0;
    wide(path, w);
    e.dwProviderFlags &= ~(DWORD)PFL_MATCHES_PROTOCOL_ZERO;
    name(&e, "broken test provider");
    if (WSCInstallProvider(&id, w, &e, 1, &err) == SOCKET_ERROR) {
        assert_int_equal(err, WSAEINVAL);
        return 1;
    }
    struct attempt a = {entry_of(&broken, AF_INET, SOCK_STREAM), {0, 0}};
    char said[4096];
    unsigned h0 = handles();
    capture(two_sockets, &a, said, sizeof(said));
    remove_provider(&broken);
    assert_int_equal(handles(), h0);
    if (a.err[0] != want || a.err[1] != want || !strstr(said, reason) ||
        (path[0] == '/' && !strstr(said, path)) ||
        lines(said) != 1 + (also != NULL) || (also && !strstr(said, also)))
        fail_msg("%s: errors %d, %d (wanted %d); said:\n%s", path, a.err[0],
                 a.err[1], want, said);
    return 0;
}

/* Each kind of broken provider gives the documented error and one clear
 * line on stderr; nothing crashes, nothing leaks. */
static void test_broken_providers(void **state)
{
    (void)state;
    char p[PATH_MAX], copy[PATH_MAX];
    try_broken("/nonexistent/ws2posix-provider.so", WSAEPROVIDERFAILEDINIT,
               "cannot use it", NULL);
    snprintf(copy, sizeof(copy), "%s/not-elf.so", dir);
    FILE *f = fopen(copy, "w");
    fputs("not a shared object\n", f);
    fclose(f);
    try_broken(copy, WSAEPROVIDERFAILEDINIT, "dlopen failed", NULL);
    snprintf(p, sizeof(p), "%s/no_startup.so", WS2T_PROVIDERS);
    try_broken(p, WSAEPROVIDERFAILEDINIT, "exports no WSPStartup", NULL);
    snprintf(p, sizeof(p), "%s/refuse_version.so", WS2T_PROVIDERS);
    try_broken(p, WSAEINVALIDPROVIDER, "refused version 2.2", NULL);
    snprintf(p, sizeof(p), "%s/old_version.so", WS2T_PROVIDERS);
    try_broken(p, WSAEINVALIDPROVIDER, "gave version 2.0, not 2.2",
               "broken provider 2: WSPCleanup");
    snprintf(p, sizeof(p), "%s/fail_startup.so", WS2T_PROVIDERS);
    try_broken(p, WSAEPROVIDERFAILEDINIT, "failed with error 10091", NULL);
    snprintf(p, sizeof(p), "%s/incomplete_table.so", WS2T_PROVIDERS);
    try_broken(p, WSAEINVALIDPROCTABLE, "left lpWSPSend NULL",
               "broken provider 4: WSPCleanup");

    /* A good provider, made writable by others: refused all the same. */
    snprintf(p, sizeof(p), "%s/ws2stat.so", WS2T_LAYERS);
    snprintf(copy, sizeof(copy), "%s/writable.so", dir);
    char cmd[2 * PATH_MAX + 16];
    snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", p, copy);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(chmod(copy, 0646), 0);
    try_broken(copy, WSAEPROVIDERFAILEDINIT, "writable by group or others",
               NULL);
    try_broken("providers/ws2stat.so", WSAEPROVIDERFAILEDINIT,
               "not an absolute path", NULL);
}

/* A layer whose next provider cannot start gives that provider's error,
 * and says which one and why. */
static void test_broken_below_layer(void **state)
{
    (void)state;
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s/refuse_version.so", WS2T_PROVIDERS);
    WSAPROTOCOL_INFOW e = entry_of(&base_guid, AF_INET, SOCK_DGRAM);
    WCHAR w[PATH_MAX];
    GUID id = broken;
    int err = 0;
    wide(p, w);
    e.dwProviderFlags &= ~(DWORD)PFL_MATCHES_PROTOCOL_ZERO;
    assert_wsa_ok(WSCInstallProvider(&id, w, &e, 1, &err));
    DWORD below = entry_of(&broken, AF_INET, SOCK_DGRAM).dwCatalogEntryId;
    WSAPROTOCOL_INFOW chain = entry_of(&stat_chain, AF_INET, SOCK_DGRAM);
    chain.ProtocolChain.ChainEntries[1] = below;
    id = broken_chain; /* ws2stat over the broken provider */
    char path[PATH_MAX];
    layer_path(path, sizeof(path), "ws2stat.so");
    wide(path, w);
    assert_wsa_ok(WSCInstallProvider(&id, w, &chain, 1, &err));
    struct attempt a = {entry_of(&broken_chain, AF_INET, SOCK_DGRAM), {0, 0}};
    char said[4096];
    capture(two_sockets, &a, said, sizeof(said));
    remove_provider(&broken_chain);
    remove_provider(&broken);
    if (a.err[0] != WSAEINVALIDPROVIDER || a.err[1] != WSAEINVALIDPROVIDER ||
        !strstr(said, "next provider") || !strstr(said, p) ||
        !strstr(said, "refused version 2.2") || lines(said) != 1)
        fail_msg("errors %d, %d; said:\n%s", a.err[0], a.err[1], said);
}

/* ---- an IFS layer: WPUModifyIFSHandle ---- */

/* The IFS layer's sockets are the base provider's handles, taken over:
 * ws2_32 sends calls on them to the layer (IFS_TEST_COUNT answers), data
 * and completions use the base provider's own functions, and a port
 * associated with the handle gets the completions. */
static void test_ifs_layer(void **state)
{
    (void)state;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/ifs_layer.so", WS2T_PROVIDERS);
    install_layer(&ifs_layer, &ifs_chain, path, 1);
    unsigned h0 = handles();
    SOCKET c = layered(&ifs_chain, AF_INET, SOCK_STREAM, WSA_FLAG_OVERLAPPED);
    DWORD made = 0, n = 0;
    assert_wsa_ok(WSAIoctl(c, IFS_TEST_COUNT, NULL, 0, &made, sizeof(made),
                           &n, NULL, NULL));
    assert_int_equal(made, 1);
    SOCKET a = connect_plain(c, AF_INET);
    HANDLE port = CreateIoCompletionPort((HANDLE)c, NULL, 5, 0);
    assert_non_null(port);
    char msg[1000], in[1000];
    ws2t_fill(msg, sizeof(msg), 110, 0);
    WSABUF b = {sizeof(msg), msg};
    WSAOVERLAPPED ov = {0};
    assert_started(WSASend(c, &b, 1, NULL, 0, &ov, NULL));
    port_get(port, TRUE, 0, sizeof(msg), 5, &ov);
    ws2t_recv_all(a, in, sizeof(in));
    ws2t_check(in, sizeof(in), 110, 0);
    assert_wsa_ok(closesocket(c));
    closesocket(a);
    CloseHandle(port);
    assert_handles(h0);
    remove_provider(&ifs_chain);
    remove_provider(&ifs_layer);
}

/* WPUModifyIFSHandle takes only an open socket handle of another
 * provider ("the proposed handle is not valid": WSAEINVAL otherwise);
 * WPUGetProviderPath says what WSCGetProviderPath says. */
static void test_upcalls(void **state)
{
    (void)state;
    const WSPUPCALLTABLE *up = internal("ws2__upcalls");
    DWORD chain = entry_of(&stat_chain, AF_INET, SOCK_STREAM).dwCatalogEntryId;
    int err = 0;
    WSAEVENT ev = WSACreateEvent();
    assert_true(up->lpWPUModifyIFSHandle(chain, (SOCKET)ev, &err) ==
                INVALID_SOCKET);
    assert_int_equal(err, WSAEINVAL);
    assert_true(up->lpWPUModifyIFSHandle(chain, (SOCKET)0x1234560, &err) ==
                INVALID_SOCKET);
    assert_int_equal(err, WSAEINVAL);
    WSACloseEvent(ev);

    WCHAR a[PATH_MAX], b[PATH_MAX];
    int alen = PATH_MAX, blen = PATH_MAX;
    GUID g = stat_chain;
    assert_wsa_ok(up->lpWPUGetProviderPath(&g, a, &alen, &err));
    assert_wsa_ok(WSCGetProviderPath(&g, b, &blen, &err));
    assert_memory_equal(a, b, (size_t)(blen + 1) * sizeof(WCHAR));
    char want[PATH_MAX];
    WCHAR ww[PATH_MAX];
    layer_path(want, sizeof(want), "ws2stat.so");
    wide(want, ww);
    assert_memory_equal(a, ww, (strlen(want) + 1) * sizeof(WCHAR));
    g = (GUID){0x12345678, 1, 2, {3, 4, 5, 6, 7, 8, 9, 10}};
    alen = PATH_MAX;
    assert_int_equal(up->lpWPUGetProviderPath(&g, a, &alen, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAEINVAL);
}

/* ---- libws2_32's WSPStartup: the base provider's ---- */

/* The base entries' path is libws2_32 itself, whose WSPStartup is the base
 * provider's start-up; a provider's own WSPStartup stays its own. */
static void test_base_wspstartup(void **state)
{
    (void)state;
    WCHAR w[PATH_MAX];
    char path[PATH_MAX];
    int len = PATH_MAX, err = 0;
    GUID g = base_guid;
    assert_wsa_ok(WSCGetProviderPath(&g, w, &len, &err));
    int i = 0;
    for (; w[i]; i++)
        path[i] = (char)w[i];
    path[i] = 0;
    Dl_info di;
    char real[PATH_MAX];
    assert_true(dladdr((void *)WSAStartup, &di));
    assert_non_null(realpath(di.dli_fname, real));
    char realp[PATH_MAX];
    assert_non_null(realpath(path, realp));
    assert_string_equal(realp, real);

    void *h = dlopen(path, RTLD_NOW);
    assert_non_null(h);
    LPWSPSTARTUP start = (LPWSPSTARTUP)dlsym(h, "WSPStartup");
    assert_non_null(start);
    WSPDATA d;
    WSPPROC_TABLE t;
    memset(&t, 0, sizeof(t));
    WSAPROTOCOL_INFOW info = entry_of(&base_guid, AF_INET, SOCK_STREAM);
    WSPUPCALLTABLE up = *(const WSPUPCALLTABLE *)internal("ws2__upcalls");
    assert_int_equal(start(MAKEWORD(1, 1), &d, &info, up, &t),
                     WSAVERNOTSUPPORTED);
    assert_int_equal(start(MAKEWORD(2, 2), &d, &info, up, &t), 0);
    assert_int_equal(d.wVersion, MAKEWORD(2, 2));
    void *const *fn = (void *const *)&t;
    for (size_t k = 0; k < sizeof(t) / sizeof(void *); k++)
        assert_non_null(fn[k]);
    assert_int_equal(t.lpWSPCleanup(&err), 0);
    dlclose(h);

    char sp[PATH_MAX];
    layer_path(sp, sizeof(sp), "ws2stat.so");
    void *hs = dlopen(sp, RTLD_NOW);
    assert_non_null(hs);
    assert_true(dlsym(hs, "WSPStartup") != (void *)start);
    dlclose(hs);
}

/* The ws2stat tool reads the running program's file: its JSON carries the
 * counts the file holds, and a table names the sockets. */
static void test_stat_tool(void **state)
{
    (void)state;
    SOCKET c = layered(&stat_chain, AF_INET, SOCK_STREAM, 0);
    SOCKET a = connect_plain(c, AF_INET);
    assert_int_equal(send(c, "12345", 5, 0), 5);
    char got[5];
    ws2t_recv_all(a, got, 5);
    struct ws2stat_counts snd = total("Send");
    char cmd[512], out[65536], want[128];
    snprintf(cmd, sizeof(cmd), "%s/ws2stat --dir '%s' --json %d", WS2T_LAYERS,
             statdir, (int)getpid());
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = 0;
    assert_int_equal(pclose(p), 0);
    snprintf(want, sizeof(want), "\"pid\": %d, ", (int)getpid());
    if (!strstr(out, want) || !strstr(out, "\"state\": \"running\""))
        fail_msg("ws2stat --json: %s", out);
    snprintf(want, sizeof(want),
             "\"Send\": {\"calls\": %llu, \"errors\": %llu, \"bytes\": %llu}",
             (unsigned long long)snd.calls, (unsigned long long)snd.errors,
             (unsigned long long)snd.bytes);
    if (!strstr(out, want))
        fail_msg("ws2stat --json lacks %s: %s", want, out);
    snprintf(want, sizeof(want), "{\"handle\": %llu, ",
             (unsigned long long)c);
    if (!strstr(out, want))
        fail_msg("ws2stat --json lacks socket %s", want);
    snprintf(cmd, sizeof(cmd), "%s/ws2stat --dir '%s' %d", WS2T_LAYERS,
             statdir, (int)getpid());
    p = popen(cmd, "r");
    n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = 0;
    assert_int_equal(pclose(p), 0);
    snprintf(want, sizeof(want), "\n%-12llu stream ipv4 open",
             (unsigned long long)c);
    if (!strstr(out, want))
        fail_msg("ws2stat lacks '%s': %s", want, out);
    /* popen's child, which only execs, made no file of its own. */
    DIR *d = opendir(statdir);
    struct dirent *e;
    int files = 0;
    while (d && (e = readdir(d)))
        files += e->d_name[0] != '.';
    if (d)
        closedir(d);
    assert_int_equal(files, 1);
    closesocket(c);
    closesocket(a);
}

/* The last WSACleanup gives every started provider its WSPCleanup
 * (ws2stat marks its file ended) and the next WSAStartup starts them
 * again. */
static void test_cleanup_restarts(void **state)
{
    (void)state;
    SOCKET s = layered(&stat_chain, AF_INET, SOCK_DGRAM, 0);
    const struct ws2stat_file *f = stat_file();
    assert_int_equal(f->running, 1);
    restart();
    assert_int_equal(f->running, 0);
    assert_wsa_error(closesocket(s), WSAENOTSOCK); /* closed by WSACleanup */
    s = layered(&stat_chain, AF_INET, SOCK_DGRAM, 0);
    assert_int_equal(f->running, 1);
    closesocket(s);
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/ws2layered.XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char catalog[128];
    snprintf(catalog, sizeof(catalog), "%s/catalog", dir);
    snprintf(statdir, sizeof(statdir), "%s/stat", dir);
    setenv("WS2POSIX_CATALOG", catalog, 1);
    setenv("WS2STAT_DIR", statdir, 1);
    unsetenv("WS2FAULT");
    unsetenv("WS2FAULT_FILE");
    if (((int (*)(void))internal("ws2__engine_start_once"))() != 0) {
        printf("SKIP: no overlapped engine could start\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stat_tcp),
        cmocka_unit_test(test_stat_udp),
        cmocka_unit_test(test_stat_tool),
        cmocka_unit_test(test_overlapped_events),
        cmocka_unit_test(test_overlapped_routines),
        cmocka_unit_test(test_overlapped_port),
        cmocka_unit_test(test_readiness),
        cmocka_unit_test(test_extensions),
        cmocka_unit_test(test_order_picks_layer),
        cmocka_unit_test(test_fault_errors),
        cmocka_unit_test(test_fault_delay),
        cmocka_unit_test(test_fault_reliability),
        cmocka_unit_test(test_fault_reliability_overlapped),
        cmocka_unit_test(test_broken_providers),
        cmocka_unit_test(test_broken_below_layer),
        cmocka_unit_test(test_ifs_layer),
        cmocka_unit_test(test_upcalls),
        cmocka_unit_test(test_base_wspstartup),
        cmocka_unit_test(test_cleanup_restarts),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
