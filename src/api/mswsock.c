/*
 * mswsock.c - the functions mswsock.dll exports by name, for programs that
 * call them directly instead of through
 * WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER): each asks the socket's
 * provider for its pointer and calls it, so a layered provider's version
 * is the one that runs, as on Windows.
 */
#include "api/api.h"
#include "mswsock.h"

WS2_EXPORT BOOL PASCAL TransmitFile(SOCKET hSocket, HANDLE hFile,
                                    DWORD nNumberOfBytesToWrite,
                                    DWORD nNumberOfBytesPerSend,
                                    LPOVERLAPPED lpOverlapped,
                                    LPTRANSMIT_FILE_BUFFERS lpTransmitBuffers,
                                    DWORD dwReserved)
{
    GUID id = WSAID_TRANSMITFILE;
    LPFN_TRANSMITFILE fn = NULL;
    DWORD got = 0;
    if (WSAIoctl(hSocket, SIO_GET_EXTENSION_FUNCTION_POINTER, &id,
                 sizeof(id), &fn, sizeof(fn), &got, NULL, NULL) ==
        SOCKET_ERROR)
        return FALSE; /* WSANOTINITIALISED, WSAENOTSOCK, ... */
    return fn(hSocket, hFile, nNumberOfBytesToWrite, nNumberOfBytesPerSend,
              lpOverlapped, lpTransmitBuffers, dwReserved);
}
