/*
 * clash.h - what the Winsock half of test_libc_clash offers the Linux half.
 * No Winsock or Linux socket types here: both halves include it.
 */
#ifndef TEST_LIBC_CLASH_H
#define TEST_LIBC_CLASH_H

#include <stddef.h>

/* Runs Winsock calls (WSAStartup ... WSACleanup) on Winsock sockets.
 * 0 on success; otherwise msg says what failed. */
int clash_winsock_half(char *msg, size_t len);
/* WSAStartup / WSACleanup, to run the libc half in between. */
int clash_winsock_start(void);
void clash_winsock_stop(void);

#endif
