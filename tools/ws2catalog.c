/*
 * ws2catalog.c - shows and changes the protocol catalog, as `netsh winsock
 * show catalog` and sporder do on Windows: list (a table or JSON), install
 * a provider, install a layered provider over base entries (its layered
 * entry, then one protocol chain per entry it layers over, put before
 * those in the order), remove, reorder, reset. Every change goes through
 * the public catalog functions (WSCInstallProvider, WSCDeinstallProvider,
 * WSCWriteProviderOrder); only reset touches the file itself, with the
 * lock protocol of ws2posix-catalog(5). ws2catalog(1) documents it.
 *
 * Exit codes: 0 done, 1 usage, 2 the operation was refused.
 */
#define _GNU_SOURCE
#include <winsock2.h>
#include <ws2spi.h>
#include <sporder.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#ifndef WS2_CATALOG_PATH
#define WS2_CATALOG_PATH "/etc/ws2posix/catalog"
#endif

#define EXIT_USAGE 1
#define EXIT_REFUSED 2
#define PATH_CHARS 1024

static const char *prog = "ws2catalog";

static void usage_exit(const char *fmt, ...)
{
    if (fmt) {
        va_list ap;
        fprintf(stderr, "%s: ", prog);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
    }
    fprintf(stderr,
            "usage: %s [--catalog FILE] [list] [--json]\n"
            "       %s [--catalog FILE] install --name N --guid G --path P\n"
            "              --family F --type T --protocol P [--hidden]\n"
            "       %s [--catalog FILE] install-layer --name N --guid G "
            "--path P\n"
            "              [--chain-guid C] [--over ID,...|--over-all]\n"
            "       %s [--catalog FILE] remove GUID\n"
            "       %s [--catalog FILE] order ID [ID ...]\n"
            "       %s [--catalog FILE] reset\n"
            "See ws2catalog(1).\n",
            prog, prog, prog, prog, prog, prog);
    exit(EXIT_USAGE);
}

/* ---- errors: the WSA name and what it means here ---- */

static const char *err_name(int err)
{
    switch (err) {
    case WSAEFAULT: return "WSAEFAULT";
    case WSAEINVAL: return "WSAEINVAL";
    case WSAENOBUFS: return "WSAENOBUFS";
    case WSANO_RECOVERY: return "WSANO_RECOVERY";
    case WSA_NOT_ENOUGH_MEMORY: return "WSA_NOT_ENOUGH_MEMORY";
    default: return "error";
    }
}

static const char *catalog_file(void)
{
    const char *env = getenv("WS2POSIX_CATALOG");
    return env && *env ? env : WS2_CATALOG_PATH;
}

static void refuse(const char *what, int err, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: %s: %s (%d): ", prog, what, err_name(err), err);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(EXIT_REFUSED);
}

/* The sentence for an error of a catalog function that changes it. */
static void refuse_change(const char *what, int err)
{
    if (err == WSANO_RECOVERY)
        refuse(what, err,
               "the catalog %s cannot be read or written (it is damaged, or "
               "you may not write its directory), or the provider is "
               "already installed",
               catalog_file());
    if (err == WSAEINVAL)
        refuse(what, err,
               "the catalog refused the entries (an id or GUID it does not "
               "know, a chain that does not end in a base entry, or a path "
               "that is not absolute)");
    refuse(what, err, "the catalog function failed");
}

/* ---- text ---- */

/* WCHAR text as UTF-8 (an unpaired surrogate shows as '?'). */
static void to_utf8(const WCHAR *w, size_t max, char *out, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < max && w[i] && o + 5 < size; i++) {
        unsigned long c = w[i];
        if (c >= 0xd800 && c <= 0xdbff && i + 1 < max && w[i + 1] >= 0xdc00 &&
            w[i + 1] <= 0xdfff)
            c = 0x10000 + ((c - 0xd800) << 10) + (w[++i] - 0xdc00);
        else if (c >= 0xd800 && c <= 0xdfff)
            c = '?';
        if (c < 0x80) {
            out[o++] = (char)c;
        } else if (c < 0x800) {
            out[o++] = (char)(0xc0 | c >> 6);
            out[o++] = (char)(0x80 | (c & 0x3f));
        } else if (c < 0x10000) {
            out[o++] = (char)(0xe0 | c >> 12);
            out[o++] = (char)(0x80 | (c >> 6 & 0x3f));
            out[o++] = (char)(0x80 | (c & 0x3f));
        } else {
            out[o++] = (char)(0xf0 | c >> 18);
            out[o++] = (char)(0x80 | (c >> 12 & 0x3f));
            out[o++] = (char)(0x80 | (c >> 6 & 0x3f));
            out[o++] = (char)(0x80 | (c & 0x3f));
        }
    }
    out[o] = 0;
}

/* UTF-8 (any byte below 0x80 as is, sequences decoded) as WCHARs. */
static int to_wide(const char *s, WCHAR *out, size_t max)
{
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned long c = *p++;
        int more = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
        if (more)
            c &= 0x3f >> more;
        for (; more; more--) {
            if ((*p & 0xc0) != 0x80)
                return -1;
            c = c << 6 | (*p++ & 0x3f);
        }
        if (o + 2 >= max)
            return -1;
        if (c >= 0x10000) {
            out[o++] = (WCHAR)(0xd800 + ((c - 0x10000) >> 10));
            out[o++] = (WCHAR)(0xdc00 + ((c - 0x10000) & 0x3ff));
        } else {
            out[o++] = (WCHAR)c;
        }
    }
    out[o] = 0;
    return (int)o;
}

static void guid_text(const GUID *g, char out[40])
{
    snprintf(out, 40, "{%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X}",
             (unsigned)g->Data1, g->Data2, g->Data3, g->Data4[0], g->Data4[1],
             g->Data4[2], g->Data4[3], g->Data4[4], g->Data4[5], g->Data4[6],
             g->Data4[7]);
}

static int hexval(int c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* 8-4-4-4-12 hexadecimal digits, with or without braces. */
static int parse_guid(const char *s, GUID *g)
{
    unsigned char b[16];
    size_t len = strlen(s);
    if (len == 38 && s[0] == '{' && s[37] == '}') {
        s++;
        len = 36;
    }
    if (len != 36)
        return -1;
    for (int i = 0, k = 0; i < 36; k++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i++] != '-')
                return -1;
            k--;
            continue;
        }
        int hi = hexval(s[i]), lo = hexval(s[i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        b[k] = (unsigned char)(hi << 4 | lo);
        i += 2;
    }
    g->Data1 = (ULONG)b[0] << 24 | (ULONG)b[1] << 16 | (ULONG)b[2] << 8 | b[3];
    g->Data2 = (USHORT)(b[4] << 8 | b[5]);
    g->Data3 = (USHORT)(b[6] << 8 | b[7]);
    memcpy(g->Data4, b + 8, 8);
    return 0;
}

static int parse_id(const char *s, DWORD *id)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v == 0 || v > 0x7fffffffUL)
        return -1;
    *id = (DWORD)v;
    return 0;
}

/* ---- the catalog as WSCEnumProtocols gives it ---- */

struct cat {
    WSAPROTOCOL_INFOW *e;
    int n;
};

static struct cat read_catalog(const char *what)
{
    struct cat c = {0};
    for (int tries = 0; tries < 5; tries++) {
        DWORD len = 0;
        int err = 0;
        int r = WSCEnumProtocols(NULL, NULL, &len, &err);
        if (r == 0)
            return c;
        if (err != WSAENOBUFS)
            refuse(what, err,
                   "the catalog %s cannot be read (its problem is said "
                   "above; 'ws2catalog reset' restores the built-in catalog)",
                   catalog_file());
        free(c.e);
        c.e = malloc(len);
        if (!c.e)
            refuse(what, WSA_NOT_ENOUGH_MEMORY, "out of memory");
        r = WSCEnumProtocols(NULL, c.e, &len, &err);
        if (r >= 0) {
            c.n = r;
            return c;
        }
        /* WSAENOBUFS again: another process added entries meanwhile. */
    }
    refuse(what, WSAENOBUFS, "the catalog keeps changing");
    return c;
}

static WSAPROTOCOL_INFOW *find_id(const struct cat *c, DWORD id)
{
    for (int i = 0; i < c->n; i++)
        if (c->e[i].dwCatalogEntryId == id)
            return &c->e[i];
    return NULL;
}

static int same_guid(const GUID *a, const GUID *b)
{
    return !memcmp(a, b, sizeof(GUID));
}

/* ---- list ---- */

static const char *family_name(int af, char *buf)
{
    if (af == AF_INET)
        return "inet";
    if (af == AF_INET6)
        return "inet6";
    sprintf(buf, "%d", af);
    return buf;
}

static const char *type_name(int t, char *buf)
{
    static const char *names[] = {"?", "stream", "dgram", "raw", "rdm",
                                  "seqpacket"};
    if (t >= 1 && t <= 5)
        return names[t];
    sprintf(buf, "%d", t);
    return buf;
}

static const char *proto_name(int p, char *buf)
{
    if (p == IPPROTO_TCP)
        return "tcp";
    if (p == IPPROTO_UDP)
        return "udp";
    sprintf(buf, "%d", p);
    return buf;
}

static void chain_text(const WSAPROTOCOL_INFOW *p, char *out, size_t size)
{
    int len = p->ProtocolChain.ChainLen;
    if (len == LAYERED_PROTOCOL) {
        snprintf(out, size, "layered");
        return;
    }
    if (len == BASE_PROTOCOL) {
        snprintf(out, size, "base");
        return;
    }
    size_t o = 0;
    for (int i = 0; i < len && i < MAX_PROTOCOL_CHAIN && o < size; i++)
        o += (size_t)snprintf(out + o, size - o, "%s%u", i ? ">" : "",
                              (unsigned)p->ProtocolChain.ChainEntries[i]);
}

struct row {
    char id[16], chain[96], triple[48], name[4 * (WSAPROTOCOL_LEN + 1)],
        guid[40], path[4 * PATH_CHARS];
};

static void make_row(const WSAPROTOCOL_INFOW *p, struct row *r)
{
    char b1[16], b2[16], b3[16];
    WCHAR wpath[PATH_CHARS];
    int plen = PATH_CHARS, err;
    snprintf(r->id, sizeof(r->id), "%u", (unsigned)p->dwCatalogEntryId);
    chain_text(p, r->chain, sizeof(r->chain));
    snprintf(r->triple, sizeof(r->triple), "%s/%s/%s",
             family_name(p->iAddressFamily, b1),
             type_name(p->iSocketType, b2), proto_name(p->iProtocol, b3));
    to_utf8(p->szProtocol, WSAPROTOCOL_LEN + 1, r->name, sizeof(r->name));
    guid_text(&p->ProviderId, r->guid);
    if (WSCGetProviderPath((LPGUID)&p->ProviderId, wpath, &plen, &err))
        snprintf(r->path, sizeof(r->path), "?");
    else
        to_utf8(wpath, PATH_CHARS, r->path, sizeof(r->path));
}

/* Display width: UTF-8 continuation bytes take no column. */
static int width(const char *s)
{
    int w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

static void pad(const char *s, int w)
{
    fputs(s, stdout);
    for (int k = width(s); k < w; k++)
        putchar(' ');
    fputs("  ", stdout);
}

static void list_table(const struct cat *c)
{
    struct row *rows = calloc((size_t)c->n + 1, sizeof(*rows));
    if (!rows)
        refuse("list", WSA_NOT_ENOUGH_MEMORY, "out of memory");
    struct row *h = &rows[c->n];
    strcpy(h->id, "ID");
    strcpy(h->chain, "CHAIN");
    strcpy(h->triple, "FAMILY/TYPE/PROTO");
    strcpy(h->name, "NAME");
    strcpy(h->guid, "PROVIDER");
    strcpy(h->path, "PATH");
    int w[5] = {0};
    for (int i = 0; i < c->n; i++)
        make_row(&c->e[i], &rows[i]);
    for (int i = 0; i <= c->n; i++) {
        const char *col[5] = {rows[i].id, rows[i].chain, rows[i].triple,
                              rows[i].name, rows[i].guid};
        for (int k = 0; k < 5; k++)
            if (width(col[k]) > w[k])
                w[k] = width(col[k]);
    }
    for (int j = 0; j <= c->n; j++) {
        struct row *r = &rows[j == 0 ? c->n : j - 1];
        const char *col[5] = {r->id, r->chain, r->triple, r->name, r->guid};
        for (int k = 0; k < 5; k++)
            pad(col[k], w[k]);
        printf("%s\n", r->path);
    }
    free(rows);
}

static void json_string(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

static void list_json(const struct cat *c)
{
    printf("{\"catalog\": ");
    json_string(catalog_file());
    printf(", \"entries\": [");
    for (int i = 0; i < c->n; i++) {
        const WSAPROTOCOL_INFOW *p = &c->e[i];
        struct row r;
        make_row(p, &r);
        int len = p->ProtocolChain.ChainLen;
        printf("%s\n  {\"id\": %u, \"chain_len\": %d, \"chain\": [",
               i ? "," : "", (unsigned)p->dwCatalogEntryId, len);
        for (int k = 0; len > 0 && k < len && k < MAX_PROTOCOL_CHAIN; k++)
            printf("%s%u", k ? ", " : "",
                   (unsigned)p->ProtocolChain.ChainEntries[k]);
        printf("], \"family\": %d, \"type\": %d, \"protocol\": %d, "
               "\"protocol_max_offset\": %d, \"name\": ",
               p->iAddressFamily, p->iSocketType, p->iProtocol,
               p->iProtocolMaxOffset);
        json_string(r.name);
        printf(", \"provider\": ");
        json_string(r.guid);
        printf(", \"path\": ");
        json_string(r.path);
        printf(", \"service_flags1\": %u, \"provider_flags\": %u, "
               "\"hidden\": %s, \"version\": %d, \"message_size\": %u}",
               (unsigned)p->dwServiceFlags1, (unsigned)p->dwProviderFlags,
               p->dwProviderFlags & PFL_HIDDEN ? "true" : "false",
               p->iVersion, (unsigned)p->dwMessageSize);
    }
    printf("\n]}\n");
}

/* ---- install, install-layer ---- */

struct opts {
    const char *name, *guid, *chain_guid, *path, *over, *family, *type,
        *protocol;
    int over_all, hidden;
};

static void parse_opts(int argc, char **argv, struct opts *o)
{
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = !strcmp(a, "--name")         ? &o->name
                            : !strcmp(a, "--guid")       ? &o->guid
                            : !strcmp(a, "--chain-guid") ? &o->chain_guid
                            : !strcmp(a, "--path")       ? &o->path
                            : !strcmp(a, "--over")       ? &o->over
                            : !strcmp(a, "--family")     ? &o->family
                            : !strcmp(a, "--type")       ? &o->type
                            : !strcmp(a, "--protocol")   ? &o->protocol
                                                         : NULL;
        if (slot) {
            if (i + 1 >= argc)
                usage_exit("%s needs a value", a);
            *slot = argv[++i];
        } else if (!strcmp(a, "--over-all")) {
            o->over_all = 1;
        } else if (!strcmp(a, "--hidden")) {
            o->hidden = 1;
        } else {
            usage_exit("unknown argument '%s'", a);
        }
    }
}

static void set_name(WSAPROTOCOL_INFOW *p, const char *name)
{
    if (to_wide(name, p->szProtocol, WSAPROTOCOL_LEN + 1) < 0)
        usage_exit("the name '%s' is longer than %d characters or not UTF-8",
                   name, WSAPROTOCOL_LEN);
}

static void wide_path(const char *path, WCHAR *out)
{
    if (path[0] != '/')
        usage_exit("the path '%s' is not absolute", path);
    if (to_wide(path, out, PATH_CHARS) < 0)
        usage_exit("the path is too long or not UTF-8");
}

static int number_or(const char *s, const char *const *names,
                     const int *values, int n, const char *what)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(s, names[i]))
            return values[i];
    char *end;
    long v = strtol(s, &end, 0);
    if (end == s || *end)
        usage_exit("unknown %s '%s'", what, s);
    return (int)v;
}

/* A base provider of one entry. */
static int cmd_install(int argc, char **argv)
{
    struct opts o = {0};
    parse_opts(argc, argv, &o);
    if (!o.name || !o.guid || !o.path || !o.family || !o.type || !o.protocol)
        usage_exit("install needs --name, --guid, --path, --family, --type "
                   "and --protocol");
    static const char *const fam[] = {"inet", "inet6"};
    static const int famv[] = {AF_INET, AF_INET6};
    static const char *const typ[] = {"stream", "dgram", "raw"};
    static const int typv[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_RAW};
    static const char *const pro[] = {"tcp", "udp"};
    static const int prov[] = {IPPROTO_TCP, IPPROTO_UDP};
    GUID g;
    WCHAR path[PATH_CHARS];
    WSAPROTOCOL_INFOW p;
    memset(&p, 0, sizeof(p));
    if (parse_guid(o.guid, &g))
        usage_exit("'%s' is not a GUID", o.guid);
    wide_path(o.path, path);
    set_name(&p, o.name);
    p.iAddressFamily = number_or(o.family, fam, famv, 2, "family");
    p.iSocketType = number_or(o.type, typ, typv, 3, "type");
    p.iProtocol = number_or(o.protocol, pro, prov, 2, "protocol");
    p.ProtocolChain.ChainLen = BASE_PROTOCOL;
    p.iVersion = 2;
    p.iMaxSockAddr = 28;
    p.iMinSockAddr = p.iAddressFamily == AF_INET6 ? 28 : 16;
    p.iNetworkByteOrder = BIGENDIAN;
    p.dwProviderFlags = PFL_MATCHES_PROTOCOL_ZERO | (o.hidden ? PFL_HIDDEN : 0);
    p.dwServiceFlags1 = p.iSocketType == SOCK_STREAM
                            ? XP1_GUARANTEED_DELIVERY | XP1_GUARANTEED_ORDER |
                                  XP1_GRACEFUL_CLOSE
                            : XP1_CONNECTIONLESS | XP1_MESSAGE_ORIENTED;
    int err;
    if (WSCInstallProvider(&g, path, &p, 1, &err))
        refuse_change("install", err);
    struct cat c = read_catalog("install");
    for (int i = 0; i < c.n; i++)
        if (same_guid(&c.e[i].ProviderId, &g))
            printf("installed %s as entry %u\n", o.guid,
                   (unsigned)c.e[i].dwCatalogEntryId);
    free(c.e);
    return 0;
}

/* The entries to layer over: --over's ids (base entries or chains), or
 * every base entry. */
static int targets(const struct cat *c, const struct opts *o, DWORD *ids)
{
    int n = 0;
    if (!o->over) {
        for (int i = 0; i < c->n; i++)
            if (c->e[i].ProtocolChain.ChainLen == BASE_PROTOCOL)
                ids[n++] = c->e[i].dwCatalogEntryId;
        return n;
    }
    char *list = strdup(o->over), *save = NULL;
    for (char *t = strtok_r(list, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        DWORD id;
        if (parse_id(t, &id))
            usage_exit("'%s' is not a catalog entry id", t);
        const WSAPROTOCOL_INFOW *p = find_id(c, id);
        if (!p)
            refuse("install-layer", WSAEINVAL, "no catalog entry %u", id);
        if (p->ProtocolChain.ChainLen == LAYERED_PROTOCOL)
            refuse("install-layer", WSAEINVAL,
                   "entry %u is a layered entry; layer over a base entry or "
                   "a chain",
                   id);
        if (p->ProtocolChain.ChainLen >= MAX_PROTOCOL_CHAIN)
            refuse("install-layer", WSAEINVAL,
                   "entry %u's chain is already %d long", id,
                   MAX_PROTOCOL_CHAIN);
        for (int k = 0; k < n; k++)
            if (ids[k] == id)
                usage_exit("entry %u is named twice", id);
        ids[n++] = id;
    }
    free(list);
    return n;
}

/* One chain over target t for layer id lid. */
static WSAPROTOCOL_INFOW chain_over(const WSAPROTOCOL_INFOW *t, DWORD lid,
                                    const char *name)
{
    WSAPROTOCOL_INFOW p = *t;
    char tname[4 * (WSAPROTOCOL_LEN + 1)], full[8 * (WSAPROTOCOL_LEN + 1)];
    int len = t->ProtocolChain.ChainLen;
    p.ProtocolChain.ChainEntries[0] = lid;
    if (len == BASE_PROTOCOL) {
        p.ProtocolChain.ChainLen = 2;
        p.ProtocolChain.ChainEntries[1] = t->dwCatalogEntryId;
    } else {
        p.ProtocolChain.ChainLen = len + 1;
        for (int i = 0; i < len; i++)
            p.ProtocolChain.ChainEntries[i + 1] =
                t->ProtocolChain.ChainEntries[i];
    }
    p.dwProviderFlags &= ~(DWORD)PFL_HIDDEN;
    /* Handles of a non-IFS layer come from WPUCreateSocketHandle. */
    p.dwServiceFlags1 &= ~(DWORD)XP1_IFS_HANDLES;
    to_utf8(t->szProtocol, WSAPROTOCOL_LEN + 1, tname, sizeof(tname));
    snprintf(full, sizeof(full), "%s over [%s]", name, tname);
    /* Cut at a character boundary to fit szProtocol. */
    while (to_wide(full, p.szProtocol, WSAPROTOCOL_LEN + 1) < 0) {
        size_t l = strlen(full);
        do
            full[--l] = 0;
        while (l && ((unsigned char)full[l - 1] & 0xc0) == 0x80);
        if (l && (unsigned char)full[l - 1] >= 0xc0)
            full[--l] = 0;
    }
    return p;
}

/* The order with each chain just before the entry it layers over. */
static int place_chains(const DWORD *chains, const DWORD *over, int k)
{
    for (int tries = 0; tries < 5; tries++) {
        struct cat c = read_catalog("install-layer");
        DWORD *order = malloc((size_t)c.n * sizeof(DWORD));
        int n = 0;
        for (int i = 0; order && i < c.n; i++) {
            DWORD id = c.e[i].dwCatalogEntryId;
            int chain = 0;
            for (int j = 0; j < k; j++) {
                if (over[j] == id)
                    order[n++] = chains[j];
                chain |= chains[j] == id;
            }
            if (!chain)
                order[n++] = id;
        }
        int err = order && n == c.n ? WSCWriteProviderOrder(order, (DWORD)n)
                                    : WSAEINVAL;
        free(order);
        free(c.e);
        /* WSAEINVAL: another process changed the catalog meanwhile. */
        if (err != WSAEINVAL)
            return err;
    }
    return WSAEINVAL;
}

static DWORD layer_id(const GUID *g, const char *what)
{
    struct cat c = read_catalog(what);
    DWORD id = 0;
    for (int i = 0; i < c.n && !id; i++)
        if (same_guid(&c.e[i].ProviderId, g))
            id = c.e[i].dwCatalogEntryId;
    free(c.e);
    return id;
}

static int cmd_install_layer(int argc, char **argv)
{
    struct opts o = {0};
    parse_opts(argc, argv, &o);
    if (!o.name || !o.guid || !o.path)
        usage_exit("install-layer needs --name, --guid and --path");
    if (o.over && o.over_all)
        usage_exit("--over and --over-all exclude each other");
    GUID g, cg;
    WCHAR path[PATH_CHARS];
    char ctext[40];
    if (parse_guid(o.guid, &g))
        usage_exit("'%s' is not a GUID", o.guid);
    if (o.chain_guid ? parse_guid(o.chain_guid, &cg) : 0)
        usage_exit("'%s' is not a GUID", o.chain_guid);
    if (!o.chain_guid) {
        cg = g;
        cg.Data4[7] ^= 1;
    }
    guid_text(&cg, ctext);
    wide_path(o.path, path);
    struct cat c = read_catalog("install-layer");
    DWORD *over = calloc((size_t)c.n + 1, sizeof(DWORD)),
          *ids = calloc((size_t)c.n + 1, sizeof(DWORD));
    WSAPROTOCOL_INFOW *chains = calloc((size_t)c.n + 1, sizeof(*chains));
    if (!over || !ids || !chains)
        refuse("install-layer", WSA_NOT_ENOUGH_MEMORY, "out of memory");
    int k = targets(&c, &o, over);
    if (!k)
        refuse("install-layer", WSAEINVAL, "no base entry to layer over");
    /* The layered entry: described like the first entry it serves. */
    WSAPROTOCOL_INFOW layer = *find_id(&c, over[0]);
    layer.ProtocolChain.ChainLen = LAYERED_PROTOCOL;
    memset(layer.ProtocolChain.ChainEntries, 0,
           sizeof(layer.ProtocolChain.ChainEntries));
    layer.dwProviderFlags = PFL_HIDDEN;
    layer.dwServiceFlags1 &= ~(DWORD)XP1_IFS_HANDLES;
    set_name(&layer, o.name);
    int err;
    if (WSCInstallProvider(&g, path, &layer, 1, &err))
        refuse_change("install-layer", err);
    DWORD lid = layer_id(&g, "install-layer");
    for (int i = 0; i < k; i++)
        chains[i] = chain_over(find_id(&c, over[i]), lid, o.name);
    if (WSCInstallProvider(&cg, path, chains, (DWORD)k, &err)) {
        int e2;
        WSCDeinstallProvider(&g, &e2);
        refuse_change("install-layer (its protocol chains)", err);
    }
    free(c.e);
    c = read_catalog("install-layer");
    int n = 0;
    for (int i = 0; i < c.n && n < k; i++)
        if (same_guid(&c.e[i].ProviderId, &cg))
            ids[n++] = c.e[i].dwCatalogEntryId;
    free(c.e);
    if ((err = place_chains(ids, over, n)))
        refuse("install-layer", err,
               "installed, but the chains could not be put first; "
               "use 'ws2catalog order'");
    printf("installed layer %s as entry %u, chains %s:", o.guid, (unsigned)lid,
           ctext);
    for (int i = 0; i < n; i++)
        printf(" %u over %u", (unsigned)ids[i], (unsigned)over[i]);
    printf("\n");
    free(over);
    free(ids);
    free(chains);
    return 0;
}

/* ---- remove ---- */

/* The provider and every provider whose chains go through its entries
 * (they could not work without it). */
static int cmd_remove(int argc, char **argv)
{
    GUID g;
    if (argc != 1)
        usage_exit("remove takes one GUID");
    if (parse_guid(argv[0], &g))
        usage_exit("'%s' is not a GUID", argv[0]);
    struct cat c = read_catalog("remove");
    GUID deps[64];
    int nd = 0, mine = 0;
    for (int i = 0; i < c.n; i++) {
        if (!same_guid(&c.e[i].ProviderId, &g))
            continue;
        mine++;
        for (int j = 0; j < c.n; j++) {
            const WSAPROTOCOL_INFOW *p = &c.e[j];
            int len = p->ProtocolChain.ChainLen, uses = 0;
            for (int k = 0; len > 1 && k < len && k < MAX_PROTOCOL_CHAIN; k++)
                uses |= p->ProtocolChain.ChainEntries[k] ==
                        c.e[i].dwCatalogEntryId;
            int seen = same_guid(&p->ProviderId, &g);
            for (int k = 0; k < nd && !seen; k++)
                seen = same_guid(&deps[k], &p->ProviderId);
            if (uses && !seen && nd < 64)
                deps[nd++] = p->ProviderId;
        }
    }
    free(c.e);
    if (!mine)
        refuse("remove", WSAEINVAL, "no provider %s is installed", argv[0]);
    int err;
    for (int k = 0; k < nd; k++) {
        char t[40];
        guid_text(&deps[k], t);
        if (WSCDeinstallProvider(&deps[k], &err) && err != WSAEINVAL)
            refuse_change("remove", err);
        printf("removed %s (its chains go through %s)\n", t, argv[0]);
    }
    if (WSCDeinstallProvider(&g, &err))
        refuse_change("remove", err);
    printf("removed %s\n", argv[0]);
    return 0;
}

/* ---- order ---- */

/* The ids named come first, in that order; the others keep theirs. */
static int cmd_order(int argc, char **argv)
{
    if (argc < 1)
        usage_exit("order needs at least one catalog entry id");
    DWORD *first = calloc((size_t)argc, sizeof(DWORD));
    for (int i = 0; i < argc; i++) {
        if (parse_id(argv[i], &first[i]))
            usage_exit("'%s' is not a catalog entry id", argv[i]);
        for (int j = 0; j < i; j++)
            if (first[j] == first[i])
                usage_exit("entry %s is named twice", argv[i]);
    }
    struct cat c = read_catalog("order");
    DWORD *order = calloc((size_t)c.n + 1, sizeof(DWORD));
    int n = 0;
    for (int i = 0; i < argc; i++) {
        if (!find_id(&c, first[i]))
            refuse("order", WSAEINVAL, "no catalog entry %u", first[i]);
        order[n++] = first[i];
    }
    for (int i = 0; i < c.n; i++) {
        int named = 0;
        for (int j = 0; j < argc; j++)
            named |= first[j] == c.e[i].dwCatalogEntryId;
        if (!named)
            order[n++] = c.e[i].dwCatalogEntryId;
    }
    int err = WSCWriteProviderOrder(order, (DWORD)n);
    if (err == WSAEINVAL)
        refuse("order", err, "the catalog changed meanwhile; try again");
    if (err)
        refuse_change("order", err);
    free(order);
    free(first);
    free(c.e);
    return 0;
}

/* ---- reset ---- */

/* Removes the file under the catalog's lock (ws2posix-catalog(5)): the
 * built-in catalog is the catalog again, for every process at its next
 * catalog call. */
static int cmd_reset(int argc, char **argv)
{
    (void)argv;
    if (argc)
        usage_exit("reset takes no argument");
    const char *path = catalog_file();
    char lock[4096], dir[4096];
    snprintf(lock, sizeof(lock), "%s.lock", path);
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = 0;
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 && errno == ENOENT && access(path, F_OK))
        return 0; /* no directory, so no catalog file */
    if (fd < 0 || flock(fd, LOCK_EX))
        refuse("reset", WSANO_RECOVERY, "cannot lock %s: %s", lock,
               strerror(errno));
    if (unlink(path) && errno != ENOENT)
        refuse("reset", WSANO_RECOVERY, "cannot remove %s: %s", path,
               strerror(errno));
    int d = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d >= 0) {
        fsync(d);
        close(d);
    }
    close(fd);
    return 0;
}

int main(int argc, char **argv)
{
    int json = 0, i = 1;
    const char *cmd = "list";
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--catalog")) {
            if (++i >= argc || !argv[i][0])
                usage_exit("--catalog needs a file");
            setenv("WS2POSIX_CATALOG", argv[i], 1);
        } else if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage_exit(NULL);
        } else {
            usage_exit("unknown option '%s'", argv[i]);
        }
    }
    if (i < argc)
        cmd = argv[i++];
    int rest = argc - i;
    char **args = argv + i;
    if (!strcmp(cmd, "list")) {
        for (int k = 0; k < rest; k++) {
            if (strcmp(args[k], "--json"))
                usage_exit("unknown argument '%s'", args[k]);
            json = 1;
        }
        struct cat c = read_catalog("list");
        if (json)
            list_json(&c);
        else
            list_table(&c);
        free(c.e);
        return 0;
    }
    if (json)
        usage_exit("--json goes with list");
    if (!strcmp(cmd, "install"))
        return cmd_install(rest, args);
    if (!strcmp(cmd, "install-layer"))
        return cmd_install_layer(rest, args);
    if (!strcmp(cmd, "remove"))
        return cmd_remove(rest, args);
    if (!strcmp(cmd, "order"))
        return cmd_order(rest, args);
    if (!strcmp(cmd, "reset"))
        return cmd_reset(rest, args);
    usage_exit("unknown command '%s'", cmd);
    return EXIT_USAGE;
}
