/*
 * protoinfo.h - WSAPROTOCOL_INFOW as WSAPROTOCOL_INFOA (protoinfo.c).
 */
#ifndef WS2__PROTOINFO_H
#define WS2__PROTOINFO_H

#include "winsock2.h"

/* Every field copied; the name as UTF-8 (ws2posix's ANSI code page), cut
 * at a character boundary to fit. */
void ws2__info_w_to_a(const WSAPROTOCOL_INFOW *w, WSAPROTOCOL_INFOA *a);

#endif
