/*
 * ws2fault.c - the fault-injecting layer: rules from $WS2FAULT and the
 * file named by $WS2FAULT_FILE (both ignored in set-user-id programs) fail
 * chosen calls with chosen errors, shorten stream sends and delay
 * completions, so that a test can show that a program, and the layers
 * below, lose nothing when calls fail. The grammar is ws2fault(7):
 *
 *   rules  = rule { (";" | newline) rule }     "#" starts a comment
 *   rule   = function { ":" field }
 *   field  = "nth=" N | "every=" N | "count=" N
 *          | "error=" (WSAE name | number) | "short=" N | "delay_ms=" N
 *
 * Every rule whose function matches a call counts it (per process); the
 * rule fires on the nth call, on every Nth, or on every call, at most
 * count times. Of the rules that fire, the first with error= fails the
 * call at once, before it goes down; short= and delay_ms= of all of them
 * apply (the smallest and the largest).
 */
#include <ctype.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lsp.h"

#define MAX_RULES 64
#define MAX_DELAY_MS 60000

struct rule {
    int fn;             /* enum lsp_fn, or -1 for every function */
    unsigned long nth, every, count;
    int error;
    unsigned long limit; /* short= */
    unsigned delay_ms;
    _Atomic unsigned long calls, fired;
};

static struct rule rules[MAX_RULES];
static int nrules;

static const struct {
    const char *name;
    int code;
} errors[] = {
    {"WSAEINTR", WSAEINTR}, {"WSAEACCES", WSAEACCES},
    {"WSAEFAULT", WSAEFAULT}, {"WSAEINVAL", WSAEINVAL},
    {"WSAEMFILE", WSAEMFILE}, {"WSAEWOULDBLOCK", WSAEWOULDBLOCK},
    {"WSAEINPROGRESS", WSAEINPROGRESS}, {"WSAEALREADY", WSAEALREADY},
    {"WSAENOTSOCK", WSAENOTSOCK}, {"WSAEDESTADDRREQ", WSAEDESTADDRREQ},
    {"WSAEMSGSIZE", WSAEMSGSIZE}, {"WSAEOPNOTSUPP", WSAEOPNOTSUPP},
    {"WSAEADDRINUSE", WSAEADDRINUSE}, {"WSAEADDRNOTAVAIL", WSAEADDRNOTAVAIL},
    {"WSAENETDOWN", WSAENETDOWN}, {"WSAENETUNREACH", WSAENETUNREACH},
    {"WSAENETRESET", WSAENETRESET}, {"WSAECONNABORTED", WSAECONNABORTED},
    {"WSAECONNRESET", WSAECONNRESET}, {"WSAENOBUFS", WSAENOBUFS},
    {"WSAEISCONN", WSAEISCONN}, {"WSAENOTCONN", WSAENOTCONN},
    {"WSAESHUTDOWN", WSAESHUTDOWN}, {"WSAETIMEDOUT", WSAETIMEDOUT},
    {"WSAECONNREFUSED", WSAECONNREFUSED}, {"WSAEHOSTDOWN", WSAEHOSTDOWN},
    {"WSAEHOSTUNREACH", WSAEHOSTUNREACH},
    {"WSA_OPERATION_ABORTED", WSA_OPERATION_ABORTED},
    {"WSA_NOT_ENOUGH_MEMORY", WSA_NOT_ENOUGH_MEMORY},
};

/* "WSASend", "send", "WSPSend", "Send": the same call. */
static int fn_of(const char *name)
{
    static const struct {
        const char *alias;
        int fn;
    } aliases[] = {{"ioctlsocket", LSP_IOCTL}, {"WSAPoll", LSP_POLL}};
    if (!strcmp(name, "*"))
        return -1;
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
        if (!strcasecmp(name, aliases[i].alias))
            return aliases[i].fn;
    if (!strncasecmp(name, "WSA", 3) || !strncasecmp(name, "WSP", 3))
        name += 3;
    size_t len = strlen(name);
    for (int pass = 0; pass < 2; pass++, len--) {
        for (int f = 0; f < LSP_NFN; f++)
            if (strlen(lsp_fn_name[f]) == len &&
                !strncasecmp(name, lsp_fn_name[f], len))
                return f;
        if (!len || (name[len - 1] != 'W' && name[len - 1] != 'A'))
            break; /* WSASocketW is Socket */
    }
    return -2;
}

static int error_of(const char *v, int *code)
{
    for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
        if (!strcasecmp(v, errors[i].name))
            return *code = errors[i].code, 0;
    char *end;
    long n = strtol(v, &end, 10);
    if (*v && !*end && n > 0 && n < 100000)
        return *code = (int)n, 0;
    return -1;
}

static int number(const char *v, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (!isdigit((unsigned char)*v) || *end || errno || !n)
        return -1;
    *out = n;
    return 0;
}

/* One field of a rule; NULL or what is wrong with it. */
static const char *field(struct rule *r, char *f)
{
    char *v = strchr(f, '=');
    unsigned long n = 0;
    if (!v)
        return "a field must be name=value";
    *v++ = 0;
    if (!strcmp(f, "error"))
        return error_of(v, &r->error) ? "unknown error" : NULL;
    if (number(v, &n))
        return "the value must be a number from 1";
    if (!strcmp(f, "nth"))
        r->nth = n;
    else if (!strcmp(f, "every"))
        r->every = n;
    else if (!strcmp(f, "count"))
        r->count = n;
    else if (!strcmp(f, "short"))
        r->limit = n;
    else if (!strcmp(f, "delay_ms") && n <= MAX_DELAY_MS)
        r->delay_ms = (unsigned)n;
    else
        return !strcmp(f, "delay_ms") ? "delay_ms is at most 60000"
                                      : "unknown field";
    return NULL;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = 0;
    return s;
}

/* Parses one rule (text is changed); NULL or what is wrong. */
static const char *rule(char *text)
{
    if (nrules == MAX_RULES)
        return "too many rules";
    struct rule *r = &rules[nrules];
    memset(r, 0, sizeof(*r));
    char *save, *f = strtok_r(text, ":", &save);
    r->fn = fn_of(trim(f));
    if (r->fn == -2)
        return "unknown function";
    const char *why = NULL;
    while (!why && (f = strtok_r(NULL, ":", &save)))
        why = field(r, trim(f));
    if (!why && r->nth && r->every)
        why = "nth and every exclude each other";
    if (!why && !r->error && !r->limit && !r->delay_ms)
        why = "a rule needs error=, short= or delay_ms=";
    if (!why)
        nrules++;
    return why;
}

/* Rules separated by ';' or newlines, '#' comments; 0 or -1 (said). */
static int parse(const char *text, const char *from)
{
    char *copy = strdup(text), *save, *line;
    int bad = !copy;
    for (line = copy ? strtok_r(copy, "\n", &save) : NULL; line && !bad;
         line = strtok_r(NULL, "\n", &save)) {
        char *hash = strchr(line, '#'), *save2, *one;
        if (hash)
            *hash = 0;
        for (one = strtok_r(line, ";", &save2); one && !bad;
             one = strtok_r(NULL, ";", &save2)) {
            char shown[128];
            snprintf(shown, sizeof(shown), "%s", trim(one));
            const char *why = *trim(one) ? rule(trim(one)) : NULL;
            if (why) {
                fprintf(stderr, "ws2fault: %s: rule '%s': %s\n", from, shown,
                        why);
                bad = 1;
            }
        }
    }
    free(copy);
    return bad ? -1 : 0;
}

static int parse_file(const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        fprintf(stderr, "ws2fault: WS2FAULT_FILE %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    char buf[65536];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    return parse(buf, path);
}

/* The rules are read at each start: a program may change them between a
 * last WSACleanup and its next WSAStartup. */
static int start(void)
{
    const char *env = secure_getenv("WS2FAULT");
    const char *file = secure_getenv("WS2FAULT_FILE");
    nrules = 0;
    if ((env && parse(env, "WS2FAULT")) || (file && *file && parse_file(file)))
        return WSAEINVAL;
    return 0;
}

static int fires(struct rule *r)
{
    unsigned long k = atomic_fetch_add(&r->calls, 1) + 1;
    int yes = r->nth ? k == r->nth : r->every ? k % r->every == 0 : 1;
    if (yes && r->count && atomic_fetch_add(&r->fired, 1) >= r->count)
        yes = 0;
    return yes;
}

static int before(struct lsp_call *c)
{
    int err = 0;
    for (int i = 0; i < nrules; i++) {
        struct rule *r = &rules[i];
        if ((r->fn >= 0 && r->fn != (int)c->fn) || !fires(r))
            continue;
        if (r->error && !err)
            err = r->error;
        if (r->limit && (!c->limit || r->limit < c->limit))
            c->limit = (DWORD)r->limit;
        if (r->delay_ms > c->delay_ms)
            c->delay_ms = r->delay_ms;
    }
    return err;
}

const struct lsp_layer lsp_layer = {
    .name = "ws2fault: injects faults",
    .start = start,
    .before = before,
};
