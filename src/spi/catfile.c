/*
 * catfile.c - the catalog file's text, ws2posix-catalog(5): one block of
 * "key value" lines per entry, every field of WSAPROTOCOL_INFOW spelled
 * out, so that an entry reads back byte for byte. The reader is strict (a
 * missing, repeated or unknown field, a bad value, or a file without its
 * closing line is an error), because a catalog read wrong would hand
 * sockets to the wrong provider.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spi/catalog.h"
#include "util/utf.h"

/* The plain numeric fields, in the order they are written. */
enum kind { K_INT, K_UINT, K_HEX };
static const struct field {
    const char *key;
    size_t off;
    enum kind kind;
} fields[] = {
    {"family", offsetof(WSAPROTOCOL_INFOW, iAddressFamily), K_INT},
    {"type", offsetof(WSAPROTOCOL_INFOW, iSocketType), K_INT},
    {"protocol", offsetof(WSAPROTOCOL_INFOW, iProtocol), K_INT},
    {"protocol-max-offset", offsetof(WSAPROTOCOL_INFOW, iProtocolMaxOffset),
     K_INT},
    {"version", offsetof(WSAPROTOCOL_INFOW, iVersion), K_INT},
    {"provider-flags", offsetof(WSAPROTOCOL_INFOW, dwProviderFlags), K_HEX},
    {"max-sockaddr", offsetof(WSAPROTOCOL_INFOW, iMaxSockAddr), K_INT},
    {"min-sockaddr", offsetof(WSAPROTOCOL_INFOW, iMinSockAddr), K_INT},
    {"byte-order", offsetof(WSAPROTOCOL_INFOW, iNetworkByteOrder), K_INT},
    {"security-scheme", offsetof(WSAPROTOCOL_INFOW, iSecurityScheme), K_INT},
    {"message-size", offsetof(WSAPROTOCOL_INFOW, dwMessageSize), K_UINT},
    {"provider-reserved", offsetof(WSAPROTOCOL_INFOW, dwProviderReserved),
     K_HEX},
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))
/* The other fields, after the plain ones in the presence mask. */
enum { F_SERVICE = NFIELDS, F_CHAIN, F_PROVIDER, F_PATH, F_NAME, F_ALL };

/* ---- memory ---- */

int ws2__cat_push(struct ws2__cat *c, const struct ws2__entry *e)
{
    if (c->n == c->cap) {
        unsigned cap = c->cap ? c->cap * 2 : 8;
        struct ws2__entry *ne = realloc(c->e, cap * sizeof(*ne));
        if (!ne)
            return -1;
        c->e = ne;
        c->cap = cap;
    }
    c->e[c->n++] = *e;
    return 0;
}

void ws2__cat_free(struct ws2__cat *c)
{
    free(c->e);
    *c = (struct ws2__cat){0};
}

int ws2__cat_builtin(struct ws2__cat *c)
{
    WSAPROTOCOL_INFOW infos[8];
    unsigned n = ws2__tcpip_entries(infos, 8);
    *c = (struct ws2__cat){0};
    for (unsigned i = 0; i < n; i++) {
        struct ws2__entry e = {.info = infos[i]};
        e.info.dwCatalogEntryId = WS2__FIRST_ID + i;
        e.info.ProtocolChain.ChainLen = BASE_PROTOCOL;
        e.info.ProtocolChain.ChainEntries[0] = WS2__FIRST_ID + i;
        if (ws2__cat_push(c, &e)) {
            ws2__cat_free(c);
            return -1;
        }
    }
    c->next_id = WS2__FIRST_ID + n;
    return 0;
}

/* ---- writing ---- */

static void put_string(FILE *f, const char *key, const char *s)
{
    fprintf(f, "%s \"", key);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(f, "\\x%02x", *p);
        else
            fputc(*p, f);
    }
    fputs("\"\n", f);
}

static void put_entry(FILE *f, const struct ws2__entry *e)
{
    const WSAPROTOCOL_INFOW *p = &e->info;
    const GUID *g = &p->ProviderId;
    char name[4 * (WSAPROTOCOL_LEN + 1)];
    ws2__utf16_to_utf8(p->szProtocol, WSAPROTOCOL_LEN + 1, name, sizeof(name),
                       1);
    fprintf(f, "\nentry %u\n", (unsigned)p->dwCatalogEntryId);
    fprintf(f,
            "provider {%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X}\n",
            (unsigned)g->Data1, g->Data2, g->Data3, g->Data4[0], g->Data4[1],
            g->Data4[2], g->Data4[3], g->Data4[4], g->Data4[5], g->Data4[6],
            g->Data4[7]);
    put_string(f, "path", e->path);
    put_string(f, "name", name);
    fprintf(f, "chain %d", p->ProtocolChain.ChainLen);
    for (int i = 0; i < MAX_PROTOCOL_CHAIN; i++)
        fprintf(f, " %u", (unsigned)p->ProtocolChain.ChainEntries[i]);
    fprintf(f, "\nservice-flags 0x%08x 0x%08x 0x%08x 0x%08x\n",
            (unsigned)p->dwServiceFlags1, (unsigned)p->dwServiceFlags2,
            (unsigned)p->dwServiceFlags3, (unsigned)p->dwServiceFlags4);
    for (size_t i = 0; i < NFIELDS; i++) {
        int32_t v;
        memcpy(&v, (const char *)p + fields[i].off, sizeof(v));
        if (fields[i].kind == K_INT)
            fprintf(f, "%s %d\n", fields[i].key, (int)v);
        else if (fields[i].kind == K_UINT)
            fprintf(f, "%s %u\n", fields[i].key, (unsigned)v);
        else
            fprintf(f, "%s 0x%08x\n", fields[i].key, (unsigned)v);
    }
    fputs("end\n", f);
}

char *ws2__cat_format(const struct ws2__cat *c, size_t *len)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    if (!f)
        return NULL;
    fputs("# ws2posix protocol catalog, see ws2posix-catalog(5). Written by\n"
          "# ws2_32; change it with ws2catalog(1) or the WSC functions.\n",
          f);
    fprintf(f, "ws2posix-catalog %d\nnext-id %u\n", WS2__CATALOG_VERSION,
            (unsigned)c->next_id);
    for (unsigned i = 0; i < c->n; i++)
        put_entry(f, &c->e[i]);
    fprintf(f, "\nend-of-catalog %u\n", c->n);
    if (ferror(f)) {
        fclose(f);
        free(text);
        return NULL;
    }
    if (fclose(f)) {
        free(text);
        return NULL;
    }
    return text;
}

/* ---- reading ---- */

struct parser {
    char *next; /* the rest of the text */
    unsigned line;
    char *why;
    size_t whylen;
};

static int fail(struct parser *ps, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(ps->why, ps->whylen, "line %u: ", ps->line);
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < ps->whylen)
        vsnprintf(ps->why + n, ps->whylen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/* The next line that is neither blank nor a comment, split into its key
 * and value (NULL when the line has none); NULL at the end of the text. */
static char *next_line(struct parser *ps, char **value)
{
    while (ps->next) {
        char *l = ps->next, *nl = strchr(l, '\n');
        ps->next = nl ? nl + 1 : NULL;
        if (nl)
            *nl = 0;
        ps->line++;
        if (!*l || *l == '#')
            continue;
        char *sp = strchr(l, ' ');
        *value = sp ? sp + 1 : NULL;
        if (sp)
            *sp = 0;
        return l;
    }
    return NULL;
}

/* A decimal or 0x-hexadecimal number at *s, within [min, max]. */
static int number(const char **s, long long min, long long max,
                  long long *out)
{
    const char *p = *s;
    int neg = *p == '-';
    p += neg;
    int hex = p[0] == '0' && p[1] == 'x';
    p += hex ? 2 : 0;
    long long v = 0;
    int digits = 0;
    for (;; p++, digits++) {
        int d = *p >= '0' && *p <= '9'   ? *p - '0'
                : hex && *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
                : hex && *p >= 'A' && *p <= 'F' ? *p - 'A' + 10
                                                : -1;
        if (d < 0)
            break;
        if (digits > 16)
            return -1;
        v = v * (hex ? 16 : 10) + d;
    }
    if (!digits)
        return -1;
    v = neg ? -v : v;
    if (v < min || v > max)
        return -1;
    *s = p;
    *out = v;
    return 0;
}

/* count numbers separated by single spaces, the whole of s. */
static int numbers(const char *s, int count, long long min, long long max,
                   long long *out)
{
    for (int i = 0; i < count; i++) {
        if (!s || (i && *s++ != ' ') || number(&s, min, max, &out[i]))
            return -1;
    }
    return s && !*s ? 0 : -1;
}

static int hex_byte(const char *s)
{
    int v = 0;
    for (int i = 0; i < 2; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static int parse_guid(const char *s, GUID *g)
{
    /* {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX} */
    static const int dash[] = {9, 14, 19, 24};
    unsigned char b[16];
    int k = 0;
    if (!s || strlen(s) != 38 || s[0] != '{' || s[37] != '}')
        return -1;
    for (int i = 1; i < 37;) {
        if (i == dash[0] || i == dash[1] || i == dash[2] || i == dash[3]) {
            if (s[i++] != '-')
                return -1;
            continue;
        }
        int v = hex_byte(s + i);
        if (v < 0)
            return -1;
        b[k++] = (unsigned char)v;
        i += 2;
    }
    g->Data1 = (DWORD)b[0] << 24 | (DWORD)b[1] << 16 | (DWORD)b[2] << 8 | b[3];
    g->Data2 = (WORD)(b[4] << 8 | b[5]);
    g->Data3 = (WORD)(b[6] << 8 | b[7]);
    memcpy(g->Data4, b + 8, 8);
    return 0;
}

/* A quoted string with \\, \" and \xHH escapes, valid UTF-8, into out
 * (size bytes with the NUL). */
static int parse_string(const char *s, char *out, size_t size)
{
    size_t o = 0;
    if (!s || *s++ != '"')
        return -1;
    for (; *s && *s != '"'; s++) {
        int c = (unsigned char)*s;
        if (c == '\\') {
            s++;
            if (*s == 'x') {
                c = hex_byte(s + 1);
                s += 2;
            } else if (*s == '\\' || *s == '"') {
                c = *s;
            } else {
                c = -1;
            }
            if (c <= 0)
                return -1;
        }
        if (o + 1 >= size)
            return -1;
        out[o++] = (char)c;
    }
    if (*s != '"' || s[1])
        return -1;
    out[o] = 0;
    return ws2__utf8_valid(out) ? 0 : -1;
}

/* One "key value" line of an entry; *bit gets the field's presence bit. */
static int entry_field(const char *key, const char *val, struct ws2__entry *e,
                       int *bit)
{
    WSAPROTOCOL_INFOW *p = &e->info;
    long long v[8];
    for (size_t i = 0; i < NFIELDS; i++) {
        if (strcmp(key, fields[i].key))
            continue;
        *bit = (int)i;
        long long min = fields[i].kind == K_INT ? INT32_MIN : 0;
        long long max = fields[i].kind == K_INT ? INT32_MAX : UINT32_MAX;
        if (numbers(val, 1, min, max, v))
            return -1;
        int32_t x = (int32_t)(uint32_t)v[0];
        memcpy((char *)p + fields[i].off, &x, sizeof(x));
        return 0;
    }
    if (!strcmp(key, "service-flags")) {
        *bit = F_SERVICE;
        if (numbers(val, 4, 0, UINT32_MAX, v))
            return -1;
        p->dwServiceFlags1 = (DWORD)v[0];
        p->dwServiceFlags2 = (DWORD)v[1];
        p->dwServiceFlags3 = (DWORD)v[2];
        p->dwServiceFlags4 = (DWORD)v[3];
        return 0;
    }
    if (!strcmp(key, "chain")) {
        *bit = F_CHAIN;
        if (numbers(val, 1 + MAX_PROTOCOL_CHAIN, 0, UINT32_MAX, v) ||
            v[0] > MAX_PROTOCOL_CHAIN)
            return -1;
        p->ProtocolChain.ChainLen = (int)v[0];
        for (int i = 0; i < MAX_PROTOCOL_CHAIN; i++)
            p->ProtocolChain.ChainEntries[i] = (DWORD)v[1 + i];
        return 0;
    }
    if (!strcmp(key, "provider")) {
        *bit = F_PROVIDER;
        return parse_guid(val, &p->ProviderId);
    }
    if (!strcmp(key, "path")) {
        *bit = F_PATH;
        return parse_string(val, e->path, sizeof(e->path));
    }
    if (!strcmp(key, "name")) {
        char name[4 * (WSAPROTOCOL_LEN + 1)];
        *bit = F_NAME;
        return parse_string(val, name, sizeof(name)) ||
                       ws2__utf8_to_utf16(name, p->szProtocol,
                                          WSAPROTOCOL_LEN + 1) < 0
                   ? -1
                   : 0;
    }
    *bit = -1;
    return -1;
}

static int parse_entry(struct parser *ps, const char *idtext,
                       struct ws2__cat *c)
{
    struct ws2__entry e = {0};
    long long id;
    unsigned seen = 0;
    if (numbers(idtext, 1, 1, WS2__MAX_ID, &id))
        return fail(ps, "bad entry id");
    for (unsigned i = 0; i < c->n; i++)
        if (c->e[i].info.dwCatalogEntryId == id)
            return fail(ps, "entry %lld appears twice", id);
    e.info.dwCatalogEntryId = (DWORD)id;
    char *key, *val;
    while ((key = next_line(ps, &val)) && strcmp(key, "end")) {
        int bit;
        int r = entry_field(key, val, &e, &bit);
        if (bit < 0)
            return fail(ps, "unknown field '%s'", key);
        if (seen & 1u << bit)
            return fail(ps, "'%s' given twice", key);
        if (r)
            return fail(ps, "bad value of '%s'", key);
        seen |= 1u << bit;
    }
    if (!key)
        return fail(ps, "entry %lld has no 'end'", id);
    if (val)
        return fail(ps, "text after 'end'");
    if (seen != (1u << F_ALL) - 1)
        return fail(ps, "entry %lld lacks fields", id);
    return ws2__cat_push(c, &e) ? fail(ps, "out of memory") : 0;
}

static int parse_lines(struct parser *ps, struct ws2__cat *c)
{
    char *key, *val;
    long long v;
    if (!(key = next_line(ps, &val)) || strcmp(key, "ws2posix-catalog"))
        return fail(ps, "not a ws2posix catalog");
    if (numbers(val, 1, 0, INT32_MAX, &v))
        return fail(ps, "bad version");
    if (v != WS2__CATALOG_VERSION)
        return fail(ps, "version %lld, this library reads version %d", v,
                    WS2__CATALOG_VERSION);
    if (!(key = next_line(ps, &val)) || strcmp(key, "next-id") ||
        numbers(val, 1, 1, WS2__MAX_ID + 1LL, &v))
        return fail(ps, "'next-id' expected");
    c->next_id = (DWORD)v;
    while ((key = next_line(ps, &val)) && !strcmp(key, "entry"))
        if (parse_entry(ps, val, c))
            return -1;
    if (!key)
        return fail(ps, "the file is cut short (no 'end-of-catalog')");
    if (strcmp(key, "end-of-catalog"))
        return fail(ps, "unknown line '%s'", key);
    if (numbers(val, 1, 0, UINT32_MAX, &v) || v != c->n)
        return fail(ps, "'end-of-catalog' does not count %u entries", c->n);
    if (next_line(ps, &val))
        return fail(ps, "text after 'end-of-catalog'");
    /* Ids are handed out above every id in use, whatever next-id says. */
    for (unsigned i = 0; i < c->n; i++)
        if (c->e[i].info.dwCatalogEntryId >= c->next_id)
            c->next_id = c->e[i].info.dwCatalogEntryId + 1;
    return 0;
}

int ws2__cat_parse(const char *text, size_t len, struct ws2__cat *c,
                   char *why, size_t whylen)
{
    struct parser ps = {.line = 0, .why = why, .whylen = whylen};
    *c = (struct ws2__cat){0};
    if (memchr(text, 0, len))
        return fail(&ps, "the file holds a NUL byte");
    char *copy = malloc(len + 1);
    if (!copy)
        return fail(&ps, "out of memory");
    memcpy(copy, text, len);
    copy[len] = 0;
    ps.next = copy;
    int r = parse_lines(&ps, c);
    free(copy);
    if (r)
        ws2__cat_free(c);
    return r;
}
