/*
 * utf.h - UTF-16 (Windows' wide text) <-> UTF-8 (Linux's), for the wide
 * functions of every layer (see utf.c).
 */
#ifndef WS2__UTF_H
#define WS2__UTF_H

#include <stddef.h>
#include <stdint.h>

/* A malloc'd UTF-8 copy of the NUL-terminated s (NULL stays NULL); *ok = 0
 * when out of memory. */
char *ws2__utf16_to_utf8(const uint16_t *s, int *ok);
/* UTF-8 to UTF-16 into out (room for max units, or out NULL to count).
 * Returns the length without the NUL. */
size_t ws2__utf8_to_utf16(const char *s, uint16_t *out, size_t max);

#endif
