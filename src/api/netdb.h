/*
 * netdb.h - between the API's name functions (netdb.c, Windows side) and
 * netdb_lx.c, the only file of them that calls libc's resolver.
 */
#ifndef WS2__NETDB_H
#define WS2__NETDB_H

#include <stddef.h>
#include <stdint.h>

/* One resolved address. */
struct ws2__ai {
    int af; /* Windows family */
    uint32_t scope;
    uint16_t port; /* network order */
    uint8_t addr[16];
};

int ws2__lx_getaddrinfo(const char *node, const char *service, int waf,
                        int socktype, int wflags, struct ws2__ai **list,
                        size_t *n, char **canon);
int ws2__lx_host_name(int waf, const uint8_t *addr, uint32_t scope,
                      int nofqdn, char *out, size_t outlen);
int ws2__lx_serv_name(uint16_t port, int dgram, char *out, size_t outlen);
int ws2__lx_gethostname(char *out, size_t outlen);
void *ws2__lx_hostbyname(const char *name, int *err);
void *ws2__lx_hostbyaddr(const void *addr, int len, int waf, int *err);
void *ws2__lx_servent(const char *name, int port, const char *proto);

#endif
