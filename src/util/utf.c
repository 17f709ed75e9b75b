/*
 * utf.c - UTF-16 <-> UTF-8 conversions (surrogate pairs joined and split),
 * shared by the wide functions of the name service and of files.
 */
#include <stdlib.h>

#include "util/utf.h"

/* A malloc'd UTF-8 copy of s (NULL stays NULL); *ok = 0 when out of
 * memory. */
char *ws2__utf16_to_utf8(const uint16_t *s, int *ok)
{
    *ok = 1;
    if (!s)
        return NULL;
    size_t n = 0;
    while (s[n])
        n++;
    char *out = malloc(n * 3 + 1), *p = out;
    if (!out) {
        *ok = 0;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t c = s[i];
        if (c >= 0xd800 && c < 0xdc00 && s[i + 1] >= 0xdc00 &&
            s[i + 1] < 0xe000)
            c = 0x10000 + ((c - 0xd800) << 10) + (s[++i] - 0xdc00);
        if (c < 0x80) {
            *p++ = (char)c;
        } else if (c < 0x800) {
            *p++ = (char)(0xc0 | c >> 6);
            *p++ = (char)(0x80 | (c & 0x3f));
        } else if (c < 0x10000) {
            *p++ = (char)(0xe0 | c >> 12);
            *p++ = (char)(0x80 | (c >> 6 & 0x3f));
            *p++ = (char)(0x80 | (c & 0x3f));
        } else {
            *p++ = (char)(0xf0 | c >> 18);
            *p++ = (char)(0x80 | (c >> 12 & 0x3f));
            *p++ = (char)(0x80 | (c >> 6 & 0x3f));
            *p++ = (char)(0x80 | (c & 0x3f));
        }
    }
    *p = 0;
    return out;
}

/* UTF-8 to UTF-16 into out (room for max WCHARs, or out NULL to count).
 * Returns the length without the NUL. */
size_t ws2__utf8_to_utf16(const char *s, uint16_t *out, size_t max)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0;
    while (*p) {
        uint32_t c = *p++;
        int more = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
        if (more)
            c &= 0x3f >> more;
        for (; more && (*p & 0xc0) == 0x80; more--)
            c = c << 6 | (*p++ & 0x3f);
        if (c >= 0x10000) {
            if (out && n + 2 < max) {
                out[n] = (uint16_t)(0xd800 + ((c - 0x10000) >> 10));
                out[n + 1] = (uint16_t)(0xdc00 + ((c - 0x10000) & 0x3ff));
            }
            n += 2;
        } else {
            if (out && n + 1 < max)
                out[n] = (uint16_t)c;
            n++;
        }
    }
    if (out && max)
        out[n < max ? n : max - 1] = 0;
    return n;
}
