/*
 * protoinfo.c - the A form of a protocol entry, one conversion for
 * WSAEnumProtocolsA and SO_PROTOCOL_INFOA so that both say the same.
 */
#include <stddef.h>
#include <string.h>

#include "util/protoinfo.h"
#include "util/utf.h"

void ws2__info_w_to_a(const WSAPROTOCOL_INFOW *w, WSAPROTOCOL_INFOA *a)
{
    memset(a, 0, sizeof(*a));
    memcpy(a, w, offsetof(WSAPROTOCOL_INFOA, szProtocol));
    ws2__utf16_to_utf8(w->szProtocol, WSAPROTOCOL_LEN + 1, a->szProtocol,
                       sizeof(a->szProtocol), 1);
}
