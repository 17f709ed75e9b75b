/*
 * catalog.h - the installed catalog as the store keeps it (catalog.c) and
 * its file (catfile.c); the format is ws2posix-catalog(5). What the rest
 * of the library sees of it is in provider.h.
 */
#ifndef WS2__CATALOG_H
#define WS2__CATALOG_H

#include <stddef.h>

#include "spi/provider.h"

/* Version of the file format this library reads and writes. */
#define WS2__CATALOG_VERSION 1
/* The first catalog entry id; the built-in entries take 1001-1004. */
#define WS2__FIRST_ID 1001u
/* Ids stay positive ints (WSAPROTOCOL_INFO users keep them in an int). */
#define WS2__MAX_ID 0x7fffffffLL

/* A catalog being read, edited or written: entries in catalog order and
 * the id the next installed entry gets (ids are not reused while the file
 * lives). */
struct ws2__cat {
    struct ws2__entry *e;
    unsigned n, cap;
    DWORD next_id;
};

/* ---- catfile.c: the file's text ---- */

/* Parses a catalog file of len bytes. 0, or -1 with a sentence ("line 12:
 * ...") in why. */
int ws2__cat_parse(const char *text, size_t len, struct ws2__cat *c,
                   char *why, size_t whylen);
/* The file's text for c (malloc'd, NUL-terminated), or NULL without
 * memory. */
char *ws2__cat_format(const struct ws2__cat *c, size_t *len);
/* Appends a copy of e; -1 without memory. */
int ws2__cat_push(struct ws2__cat *c, const struct ws2__entry *e);
void ws2__cat_free(struct ws2__cat *c);
/* The built-in catalog: the base provider's entries, ids 1001-1004. */
int ws2__cat_builtin(struct ws2__cat *c);

/* ---- catalog.c: the store ---- */

/* The catalog file: WS2POSIX_CATALOG (unless the program runs set-user-id
 * or with other privileges: secure_getenv) or the build's default. */
const char *ws2__catalog_path(void);
/* The choice itself: the environment's value when set and not empty,
 * else the default. */
const char *ws2__catalog_path_pick(const char *env);
/* The current catalog, reloaded first when the file changed. 0, or
 * WSANO_RECOVERY when the file cannot be read or parsed (then *n = 0). */
int ws2__catalog_read(const struct ws2__entry **e, unsigned *n);
/* A read-modify-write of the catalog: under the catalog's lock, reads the
 * file (the built-in catalog when there is none), lets edit change it and,
 * when edit returns 0, writes it back atomically. Returns edit's error,
 * WSANO_RECOVERY when the file cannot be read, parsed or written, or
 * WSA_NOT_ENOUGH_MEMORY. */
int ws2__catalog_update(int (*edit)(struct ws2__cat *c, void *arg),
                        void *arg);

#endif
