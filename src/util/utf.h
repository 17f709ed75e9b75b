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
/* 1 when the NUL-terminated bytes are valid UTF-8. */
int ws2__utf8_valid(const char *s);

#endif
