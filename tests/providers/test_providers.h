/*
 * test_providers.h - what test_layered shares with its test providers.
 */
#ifndef WS2T_TEST_PROVIDERS_H
#define WS2T_TEST_PROVIDERS_H

#include <ws2spi.h>

/* ifs_layer.c: WSAIoctl with this code gives (a DWORD) how many sockets
 * the layer has made. */
#define IFS_TEST_COUNT _WSAIOR(IOC_VENDOR, 0x0F70)

#endif
