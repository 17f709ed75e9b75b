/*
 * ws2perf_scale.h - ws2perf's scale workload (ws2perf_scale.c): many UDP
 * sockets, each with one overlapped receive and one send outstanding.
 */
#ifndef WS2PERF_SCALE_H
#define WS2PERF_SCALE_H

struct scale_options {
    unsigned sockets; /* the large case; compared with SCALE_SMALL */
    double seconds;   /* per run */
    int rounds;       /* runs of each case, interleaved */
    int json;
};

/* The small case the large one is compared with. */
#define SCALE_SMALL 10

/* Runs the workload and prints its lines. Returns 0, or 1 after a
 * message on stderr. */
int scale_main(const struct scale_options *o);

#endif
