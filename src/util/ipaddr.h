/*
 * ipaddr.h - IP address text parsers and printers (see ipaddr.c).
 */
#ifndef WS2__IPADDR_H
#define WS2__IPADDR_H

#include <stddef.h>
#include <stdint.h>

/* Character i of narrow (wide = 0) or 16-bit wide text. */
unsigned ws2__text_at(const void *s, int wide, size_t i);
int ws2__is_dec(unsigned c);
/* One number of the loose IPv4 form (decimal, 0x hex or 0 octal) at *i. */
int ws2__ip_loose_number(const void *s, int wide, size_t *i, uint32_t *out,
                         int *overflow);
/* IPv4 text (strict: four decimal parts) into out; *end is where the
 * address stopped. 0 on success. */
int ws2__ip4_parse(const void *s, int wide, int strict, uint8_t out[4],
                   size_t *end);
int ws2__ip6_parse(const void *s, int wide, uint8_t out[16], size_t *end);
/* The text of an address; out holds at least 16 (IPv4) or 46 (IPv6)
 * bytes. Returns the length. */
size_t ws2__ip4_format(const uint8_t a[4], char *out);
size_t ws2__ip6_format(const uint8_t a[16], char *out);

#endif
