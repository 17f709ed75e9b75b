/*
 * utf.h - UTF-16 (Windows' WCHAR text) to and from UTF-8 (Linux's), see
 * utf.c.
 */
#ifndef WS2__UTF_H
#define WS2__UTF_H

#include <stddef.h>
#include <stdint.h>

/* UTF-16 text (up to max units or its NUL) as UTF-8 with a NUL in out
 * (outsz bytes). Strict: returns the length without the NUL, or -1 for an
 * unpaired surrogate or text that does not fit. Lossy: an unpaired
 * surrogate becomes '?', text that does not fit is cut at a character
 * boundary; never fails. */
int ws2__utf16_to_utf8(const uint16_t *s, size_t max, char *out, size_t outsz,
                       int lossy);
/* NUL-terminated UTF-8 as UTF-16 with a NUL in out (outunits units).
 * Returns the units without the NUL, or -1 for invalid UTF-8 (overlong
 * forms and surrogates included) or text that does not fit. */
int ws2__utf8_to_utf16(const char *s, uint16_t *out, size_t outunits);
/* A malloc'd UTF-8 copy of the NUL-terminated s (NULL stays NULL; an
 * unpaired surrogate becomes '?'); *ok = 0 when out of memory. */
char *ws2__utf16_dup_utf8(const uint16_t *s, int *ok);
/* Lenient UTF-8 to UTF-16 into out (room for max units, or out NULL to
 * count), cut to fit. Returns the full length without the NUL. */
size_t ws2__utf8_to_utf16_count(const char *s, uint16_t *out, size_t max);
/* 1 when the NUL-terminated bytes are valid UTF-8. */
int ws2__utf8_valid(const char *s);

#endif
