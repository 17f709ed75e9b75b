/*
 * utf.c - UTF-16 <-> UTF-8. Windows passes names and paths as WCHAR text;
 * Linux keeps them as bytes, which ws2posix takes to be UTF-8.
 */
#include <stdint.h>
#include <stdlib.h>

#include "util/utf.h"

/* The code point at s[*i] (advancing *i), or -1 for an unpaired
 * surrogate. */
static long utf16_next(const uint16_t *s, size_t max, size_t *i)
{
    unsigned c = s[(*i)++];
    if (c < 0xd800 || c > 0xdfff)
        return c;
    if (c > 0xdbff || *i >= max || s[*i] < 0xdc00 || s[*i] > 0xdfff)
        return -1;
    unsigned lo = s[(*i)++];
    return 0x10000 + (((long)c - 0xd800) << 10) + (lo - 0xdc00);
}

static size_t utf8_put(long cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

int ws2__utf16_to_utf8(const uint16_t *s, size_t max, char *out, size_t outsz,
                       int lossy)
{
    size_t i = 0, o = 0;
    if (!outsz)
        return -1;
    while (i < max && s[i]) {
        long cp = utf16_next(s, max, &i);
        if (cp < 0) {
            if (!lossy)
                return -1;
            cp = '?';
        }
        char b[4];
        size_t n = utf8_put(cp, b);
        if (o + n >= outsz) {
            if (!lossy)
                return -1;
            break;
        }
        for (size_t k = 0; k < n; k++)
            out[o++] = b[k];
    }
    out[o] = 0;
    return (int)o;
}

/* The code point at s (advancing *s), or -1 for invalid UTF-8. */
static long utf8_next(const unsigned char **s)
{
    const unsigned char *p = *s;
    unsigned c = *p++;
    int n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : (c & 0xf0) == 0xe0 ? 2
                                           : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0)
        return -1;
    long cp = n == 0 ? c : c & (0x3f >> n);
    for (int k = 0; k < n; k++, p++) {
        if ((*p & 0xc0) != 0x80)
            return -1;
        cp = cp << 6 | (*p & 0x3f);
    }
    static const long least[] = {0, 0x80, 0x800, 0x10000};
    if (cp < least[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return -1;
    *s = p;
    return cp;
}

int ws2__utf8_to_utf16(const char *s, uint16_t *out, size_t outunits)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;
    while (*p) {
        long cp = utf8_next(&p);
        if (cp < 0)
            return -1;
        size_t n = cp >= 0x10000 ? 2 : 1;
        if (o + n >= outunits)
            return -1;
        if (n == 2) {
            out[o++] = (uint16_t)(0xd800 + ((cp - 0x10000) >> 10));
            out[o++] = (uint16_t)(0xdc00 + ((cp - 0x10000) & 0x3ff));
        } else {
            out[o++] = (uint16_t)cp;
        }
    }
    if (o >= outunits)
        return -1;
    out[o] = 0;
    return (int)o;
}

int ws2__utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p)
        if (utf8_next(&p) < 0)
            return 0;
    return 1;
}

char *ws2__utf16_dup_utf8(const uint16_t *s, int *ok)
{
    *ok = 1;
    if (!s)
        return NULL;
    size_t n = 0;
    while (s[n])
        n++;
    char *out = malloc(n * 3 + 1);
    if (!out) {
        *ok = 0;
        return NULL;
    }
    ws2__utf16_to_utf8(s, SIZE_MAX, out, n * 3 + 1, 1);
    return out;
}

size_t ws2__utf8_to_utf16_count(const char *s, uint16_t *out, size_t max)
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
