/*
 * broken.c - test providers that fail at start-up, one way each, chosen
 * when built (BROKEN_KIND):
 *   1  refuses version 2.2 (WSAVERNOTSUPPORTED)
 *   2  starts, but says it speaks version 2.0
 *   3  fails (WSASYSNOTREADY)
 *   4  starts with a procedure table that lacks lpWSPSend
 * A provider that started and is then refused must get its WSPCleanup:
 * this one says so on stderr, where the test looks.
 */
#include <stdio.h>

#include <ws2spi.h>

static int WSPAPI cleanup(LPINT lpErrno)
{
    (void)lpErrno;
    fprintf(stderr, "broken provider %d: WSPCleanup\n", BROKEN_KIND);
    return 0;
}

/* Stands in for every other function: ws2_32 must call none of them. */
static void never(void)
{
    fprintf(stderr, "broken provider %d: a function was called\n",
            BROKEN_KIND);
}

__attribute__((visibility("default"))) int WSPAPI
WSPStartup(WORD wVersionRequested, LPWSPDATA lpWSPData,
           LPWSAPROTOCOL_INFOW lpProtocolInfo, WSPUPCALLTABLE UpcallTable,
           LPWSPPROC_TABLE lpProcTable)
{
    (void)wVersionRequested, (void)lpProtocolInfo, (void)UpcallTable;
    if (BROKEN_KIND == 1)
        return WSAVERNOTSUPPORTED;
    if (BROKEN_KIND == 3)
        return WSASYSNOTREADY;
    lpWSPData->wVersion = MAKEWORD(2, BROKEN_KIND == 2 ? 0 : 2);
    lpWSPData->wHighVersion = lpWSPData->wVersion;
    lpWSPData->szDescription[0] = 0;
    void (**fn)(void) = (void (**)(void))lpProcTable;
    for (size_t i = 0; i < sizeof(*lpProcTable) / sizeof(*fn); i++)
        fn[i] = never;
    lpProcTable->lpWSPCleanup = cleanup;
    if (BROKEN_KIND == 4)
        lpProcTable->lpWSPSend = NULL;
    return 0;
}
