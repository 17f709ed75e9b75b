/*
 * raw_linux.h - the raw Linux side of ws2perf --vs-raw and of the callgrind
 * baseline: the same workloads written with sendto, sendmmsg, writev and
 * io_uring (liburing), each with its own loopback sockets and receiver
 * thread. A plain-C interface with no socket types in it, so that ws2perf.c
 * (which includes ws2posix's Windows headers) can call it; raw_linux.c is
 * the only file that sees Linux's socket headers.
 */
#ifndef WS2PERF_RAW_LINUX_H
#define WS2PERF_RAW_LINUX_H

enum raw_kind {
    RAW_UDP_SENDTO,   /* one sendto per datagram, blocking socket */
    RAW_UDP_SENDMMSG, /* sendmmsg of k datagrams per call */
    RAW_UDP_URING,    /* k IORING_OP_SENDMSG per io_uring_submit_and_wait */
    RAW_TCP_WRITEV,   /* one writev of bufs x size per operation */
    RAW_TCP_URING,    /* k IORING_OP_WRITEV per io_uring_submit_and_wait */
    /* ws2perf's iocp mode: `threads` threads on the one socket, each with
     * its own ring and its share of the k requests, as above. */
    RAW_UDP_URING_MT,
    RAW_TCP_URING_MT,
    RAW_KINDS
};

struct raw_spec {
    int kind;              /* enum raw_kind */
    unsigned size;         /* datagram size, or size of one TCP buffer */
    unsigned bufs;         /* TCP buffers per operation */
    unsigned k;            /* batch: datagrams per sendmmsg, SQEs per submit */
    unsigned threads;      /* RAW_*_URING_MT: sending threads (0 or 1: one) */
    unsigned long long count; /* operations; 0: run for seconds */
    double seconds;
    int receive;           /* 0: UDP goes to a bound socket nobody reads */
};

struct raw_result {
    unsigned long long ops;        /* datagrams or writev-sized operations */
    unsigned long long bytes_sent, bytes_received, msgs_received, errors;
    unsigned long long calls;      /* system calls that sent */
    double seconds, cpu;           /* wall clock and process CPU time */
};

/* Runs one workload. Returns 0, or -1 after a message on stderr. */
int raw_run(const struct raw_spec *spec, struct raw_result *res);
/* "sendto", "sendmmsg", "io_uring", "writev", "io_uring", "io_uring",
 * "io_uring" */
const char *raw_kind_name(int kind);

/* For the scale workload (ws2perf_scale.c). The bytes the C heap has
 * handed out, in every arena, with malloc's own overhead (mallinfo2:
 * uordblks + hblkhd): measured around creating sockets and posting
 * requests it is the library's memory for them. Kernel memory (socket
 * buffers, the descriptors, io_uring's and epoll's state) is not in it. */
unsigned long long raw_heap_bytes(void);
/* Raises the soft RLIMIT_NOFILE to want when the hard limit allows (to the
 * hard limit otherwise); returns the soft limit in force afterwards. */
unsigned long raw_raise_nofile(unsigned long want);

/* The scale workload's raw baseline: the same ring of n UDP sockets, each
 * sending its next 64-byte datagram when the last has arrived, as a Linux
 * program writes it by hand: non-blocking sockets, one epoll loop,
 * recvfrom until EAGAIN, sendto. A ring lives across runs. */
struct raw_ring;
struct raw_ring *raw_ring_open(unsigned n);
/* One run of about seconds: datagrams, wall and CPU microseconds each.
 * Returns 0, or -1 after a message on stderr. */
int raw_ring_run(struct raw_ring *g, double seconds, double *wall_us,
                 double *cpu_us, unsigned long long *ops);
void raw_ring_close(struct raw_ring *g);

#endif
