/*
 * ws2stat_tool.c - the ws2stat command: reads the statistics files the
 * ws2stat layered provider keeps (ws2stat.h, ws2stat(7)) and prints them,
 * as tables or JSON (ws2stat(1)).
 *
 *   ws2stat [--dir DIR] [--json] [PID | FILE]...
 *
 * Without PID or FILE: one line per process file in the directory. With
 * them: each process's calls, errors and bytes per function, and its
 * sockets. Exit 0; 1 when a file cannot be read or is not a ws2stat file;
 * 2 for a usage error.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ws2stat.h"

struct view {
    const struct ws2stat_file *f;
    size_t size;
    const char *path;
};

static int json;

static const struct ws2stat_sock *rec(const struct ws2stat_file *f,
                                      unsigned i)
{
    return (const struct ws2stat_sock *)((const char *)f + f->header_size +
                                         (size_t)i * f->sock_size);
}

static uint64_t ld(const uint64_t *v)
{
    return __atomic_load_n(v, __ATOMIC_RELAXED);
}

static int open_view(const char *path, struct view *v)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    v->f = NULL;
    v->path = path;
    if (fd < 0 || fstat(fd, &st)) {
        fprintf(stderr, "ws2stat: %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    v->size = (size_t)st.st_size;
    void *m = v->size >= sizeof(struct ws2stat_file)
                  ? mmap(NULL, v->size, PROT_READ, MAP_SHARED, fd, 0)
                  : MAP_FAILED;
    close(fd);
    const struct ws2stat_file *f = m == MAP_FAILED ? NULL : m;
    if (!f || memcmp(f->magic, WS2STAT_MAGIC, 8) ||
        f->version != WS2STAT_VERSION || f->nfn != WS2STAT_NFN ||
        f->sock_size < sizeof(struct ws2stat_sock) ||
        f->header_size < sizeof(struct ws2stat_file) ||
        (size_t)f->header_size + (size_t)f->nsock * f->sock_size > v->size) {
        fprintf(stderr, "ws2stat: %s: not a ws2stat file of version %d\n",
                path, WS2STAT_VERSION);
        if (f)
            munmap(m, v->size);
        return -1;
    }
    v->f = f;
    return 0;
}

/* running: the provider is started; ended: it was cleaned up; gone: the
 * process ended without (or another process has its pid). */
static const char *state(const struct ws2stat_file *f)
{
    if (!__atomic_load_n(&f->running, __ATOMIC_ACQUIRE))
        return "ended";
    return kill(f->pid, 0) == 0 || errno == EPERM ? "running" : "gone";
}

/* Data goes out in these calls, and comes in in those. */
static int direction(const char *name)
{
    static const char *const out[] = {"Send", "SendTo", "ConnectEx"};
    static const char *const in[] = {"Recv", "RecvFrom", "AcceptEx"};
    for (int i = 0; i < 3; i++) {
        if (!strncmp(name, out[i], WS2STAT_NAME))
            return 1;
        if (!strncmp(name, in[i], WS2STAT_NAME))
            return -1;
    }
    return 0;
}

/* calls, errors, bytes out, bytes in */
static void sums(const struct ws2stat_file *f, const struct ws2stat_counts *c,
                 uint64_t s[4])
{
    memset(s, 0, 4 * sizeof(uint64_t));
    for (int i = 0; i < WS2STAT_NFN; i++) {
        int d = direction(f->fn_name[i]);
        s[0] += ld(&c[i].calls);
        s[1] += ld(&c[i].errors);
        if (d)
            s[d > 0 ? 2 : 3] += ld(&c[i].bytes);
    }
}

static void json_string(const char *p, size_t max)
{
    putchar('"');
    for (size_t i = 0; i < max && p[i]; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch == '"' || ch == '\\')
            printf("\\%c", ch);
        else if (ch < 32)
            printf("\\u%04x", ch);
        else
            putchar(ch);
    }
    putchar('"');
}

static const char *type_name(int type)
{
    return type == 1 ? "stream" : type == 2 ? "dgram" : "other";
}

static void json_counts(const struct ws2stat_file *f,
                        const struct ws2stat_counts *c)
{
    int first = 1;
    printf("{");
    for (int i = 0; i < WS2STAT_NFN; i++) {
        if (!ld(&c[i].calls))
            continue;
        printf("%s", first ? "" : ", ");
        json_string(f->fn_name[i], WS2STAT_NAME);
        printf(": {\"calls\": %llu, \"errors\": %llu, \"bytes\": %llu}",
               (unsigned long long)ld(&c[i].calls),
               (unsigned long long)ld(&c[i].errors),
               (unsigned long long)ld(&c[i].bytes));
        first = 0;
    }
    printf("}");
}

typedef void sock_fn(const struct ws2stat_file *f,
                     const struct ws2stat_sock *r, const char *state,
                     const uint64_t s[4], int first);

/* Calls fn for each socket record in use, with its sums. */
static void each_socket(const struct ws2stat_file *f, sock_fn *fn)
{
    int first = 1;
    for (unsigned i = 0; i < f->nsock; i++) {
        const struct ws2stat_sock *r = rec(f, i);
        uint32_t st = __atomic_load_n(&r->state, __ATOMIC_ACQUIRE);
        uint64_t s[4];
        if (st == WS2STAT_FREE)
            continue;
        sums(f, r->fn, s);
        fn(f, r, st == WS2STAT_OPEN ? "open" : "closed", s, first);
        first = 0;
    }
}

static void json_socket(const struct ws2stat_file *f,
                        const struct ws2stat_sock *r, const char *state,
                        const uint64_t s[4], int first)
{
    printf("%s{\"handle\": %llu, \"af\": %d, \"type\": %d, "
           "\"protocol\": %d, \"state\": \"%s\", \"calls\": %llu, "
           "\"errors\": %llu, \"bytes_out\": %llu, \"bytes_in\": %llu, "
           "\"functions\": ",
           first ? "" : ", ", (unsigned long long)r->handle, r->af, r->type,
           r->protocol, state, (unsigned long long)s[0],
           (unsigned long long)s[1], (unsigned long long)s[2],
           (unsigned long long)s[3]);
    json_counts(f, r->fn);
    printf("}");
}

static void table_socket(const struct ws2stat_file *f,
                         const struct ws2stat_sock *r, const char *state,
                         const uint64_t s[4], int first)
{
    (void)f, (void)first;
    printf("%-12llu %-6s %-4s %-7s %10llu %8llu %14llu %14llu\n",
           (unsigned long long)r->handle, type_name(r->type),
           r->af == 23 ? "ipv6" : r->af == 2 ? "ipv4" : "?", state,
           (unsigned long long)s[0], (unsigned long long)s[1],
           (unsigned long long)s[2], (unsigned long long)s[3]);
}

static void json_process(const struct view *v, int sockets)
{
    const struct ws2stat_file *f = v->f;
    uint64_t s[4];
    sums(f, f->total, s);
    printf("{\"pid\": %d, \"program\": ", f->pid);
    json_string(f->program, sizeof(f->program));
    printf(", \"state\": \"%s\", \"sockets_opened\": %llu, "
           "\"sockets_closed\": %llu, \"sockets_untracked\": %llu, "
           "\"calls\": %llu, \"errors\": %llu, \"bytes_out\": %llu, "
           "\"bytes_in\": %llu",
           state(f), (unsigned long long)ld(&f->sockets_opened),
           (unsigned long long)ld(&f->sockets_closed),
           (unsigned long long)ld(&f->sockets_untracked),
           (unsigned long long)s[0], (unsigned long long)s[1],
           (unsigned long long)s[2], (unsigned long long)s[3]);
    if (sockets) {
        printf(", \"functions\": ");
        json_counts(f, f->total);
        printf(", \"sockets\": [");
        each_socket(f, json_socket);
        printf("]");
    }
    printf("}");
}

static void table_process(const struct view *v)
{
    const struct ws2stat_file *f = v->f;
    printf("pid %d (%s): %s; sockets: %llu opened, %llu closed, %llu "
           "untracked\n\n",
           f->pid, f->program, state(f),
           (unsigned long long)ld(&f->sockets_opened),
           (unsigned long long)ld(&f->sockets_closed),
           (unsigned long long)ld(&f->sockets_untracked));
    printf("%-22s %12s %10s %16s\n", "function", "calls", "errors", "bytes");
    for (int i = 0; i < WS2STAT_NFN; i++)
        if (ld(&f->total[i].calls))
            printf("%-22.*s %12llu %10llu %16llu\n", WS2STAT_NAME,
                   f->fn_name[i], (unsigned long long)ld(&f->total[i].calls),
                   (unsigned long long)ld(&f->total[i].errors),
                   (unsigned long long)ld(&f->total[i].bytes));
    printf("\n%-12s %-6s %-4s %-7s %10s %8s %14s %14s\n", "socket", "type",
           "af", "state", "calls", "errors", "bytes out", "bytes in");
    each_socket(f, table_socket);
}

static void line_process(const struct view *v)
{
    const struct ws2stat_file *f = v->f;
    uint64_t s[4];
    sums(f, f->total, s);
    printf("%-8d %-8s %8llu %10llu %8llu %14llu %14llu  %s\n", f->pid,
           state(f), (unsigned long long)ld(&f->sockets_opened),
           (unsigned long long)s[0], (unsigned long long)s[1],
           (unsigned long long)s[2], (unsigned long long)s[3], f->program);
}

/* A PID names <dir>/<PID>.ws2stat; anything else is a file's path. */
static int show(const char *dir, const char *arg, int *first)
{
    char path[1024];
    char *end;
    long pid = strtol(arg, &end, 10);
    if (*arg && !*end && pid > 0)
        snprintf(path, sizeof(path), "%s/%ld.ws2stat", dir, pid);
    else
        snprintf(path, sizeof(path), "%s", arg);
    struct view v;
    if (open_view(path, &v))
        return 1;
    if (json) {
        printf("%s", *first ? "" : ",\n");
        json_process(&v, 1);
    } else {
        printf("%s", *first ? "" : "\n");
        table_process(&v);
    }
    *first = 0;
    munmap((void *)v.f, v.size);
    return 0;
}

static int list(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "ws2stat: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    if (!json)
        printf("%-8s %-8s %8s %10s %8s %14s %14s  %s\n", "pid", "state",
               "sockets", "calls", "errors", "bytes out", "bytes in",
               "program");
    int first = 1, rc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 9 || strcmp(e->d_name + n - 8, ".ws2stat"))
            continue;
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        struct view v;
        if (open_view(path, &v)) {
            rc = 1;
            continue;
        }
        if (json) {
            printf("%s", first ? "" : ",\n");
            json_process(&v, 0);
        } else {
            line_process(&v);
        }
        first = 0;
        munmap((void *)v.f, v.size);
    }
    closedir(d);
    return rc;
}

static int usage(void)
{
    fprintf(stderr, "usage: ws2stat [--dir DIR] [--json] [PID | FILE]...\n");
    return 2;
}

int main(int argc, char **argv)
{
    char dir[512];
    ws2stat_dir(dir, sizeof(dir), getenv("WS2STAT_DIR"));
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            snprintf(dir, sizeof(dir), "%s", argv[++i]);
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return usage() - 2;
        else
            return usage();
    }
    int rc = 0, first = 1;
    if (json)
        printf("[");
    if (i == argc)
        rc = list(dir);
    for (; i < argc; i++)
        rc |= show(dir, argv[i], &first);
    if (json)
        printf("]\n");
    return rc;
}
