/*
 * mstcpip.h - the TCP/IP control codes of Windows' mstcpip.h that ws2posix
 * implements: SIO_KEEPALIVE_VALS (SIO_UDP_CONNRESET is in winsock2.h).
 */
#ifndef WS2POSIX_MSTCPIP_H
#define WS2POSIX_MSTCPIP_H

#include "winsock2.h"

#ifdef __cplusplus
extern "C" {
#endif

/* SIO_KEEPALIVE_VALS' input: keep-alive on or off for this connection,
 * the idle time before the first probe and the time between probes, in
 * milliseconds. */
struct tcp_keepalive {
    ULONG onoff;
    ULONG keepalivetime;
    ULONG keepaliveinterval;
};

#define SIO_KEEPALIVE_VALS _WSAIOW(IOC_VENDOR, 4)

#ifdef __cplusplus
}
#endif

#endif
