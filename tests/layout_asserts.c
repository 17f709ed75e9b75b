/*
 * layout_asserts.c - the size and member offsets of every public structure,
 * checked at compile time against 64-bit Windows.
 *
 * The numbers are 64-bit Windows' (LLP64: long and DWORD 4 bytes, pointers
 * 8, natural alignment), taken from the Windows SDK declarations as
 * Microsoft documents them (winsock2.h, ws2def.h, ws2ipdef.h, ws2spi.h,
 * ws2tcpip.h, minwinbase.h). The same file compiles with
 * x86_64-w64-mingw32-gcc against mingw-w64's own headers, which proves the
 * numbers are Windows' and not ours: tests/test_headers.sh does both.
 * Nothing here runs; a wrong layout fails the build with the name of the
 * structure and member.
 */
#if defined(_WIN32) && !defined(_WIN32_WINNT)
#define _WIN32_WINNT 0x0601 /* WSAPOLLFD and friends need Vista or later */
#endif

#include <stddef.h>

#include <winsock2.h>
#include <ws2tcpip.h>
#include <ws2spi.h>
#include <mswsock.h>
#include <windows.h>
#include <mstcpip.h>

#define SIZE(type, n) _Static_assert(sizeof(type) == (n), "sizeof " #type " != " #n)
#define OFF(type, member, n)                                                   \
    _Static_assert(offsetof(type, member) == (n),                              \
                   "offsetof(" #type ", " #member ") != " #n)

/* ---- base types (LLP64) ---- */
SIZE(BYTE, 1);
SIZE(WORD, 2);
SIZE(DWORD, 4);
SIZE(ULONG, 4);
SIZE(LONG, 4);
SIZE(u_long, 4);
SIZE(u_short, 2);
SIZE(INT, 4);
SIZE(BOOL, 4);
SIZE(WCHAR, 2);
SIZE(ULONG_PTR, 8);
SIZE(DWORD_PTR, 8);
SIZE(UINT_PTR, 8);
SIZE(HANDLE, 8);
SIZE(SOCKET, 8);
SIZE(GROUP, 4);
SIZE(WSAEVENT, 8);

SIZE(GUID, 16);
OFF(GUID, Data1, 0);
OFF(GUID, Data2, 4);
OFF(GUID, Data3, 6);
OFF(GUID, Data4, 8);

/* ---- WSAStartup ---- */
SIZE(WSADATA, 408);
OFF(WSADATA, wVersion, 0);
OFF(WSADATA, wHighVersion, 2);
OFF(WSADATA, iMaxSockets, 4);
OFF(WSADATA, iMaxUdpDg, 6);
OFF(WSADATA, lpVendorInfo, 8);
OFF(WSADATA, szDescription, 16);
OFF(WSADATA, szSystemStatus, 273);

/* ---- addresses ---- */
SIZE(struct sockaddr, 16);
OFF(struct sockaddr, sa_family, 0);
OFF(struct sockaddr, sa_data, 2);
SIZE(struct in_addr, 4);
SIZE(struct sockaddr_in, 16);
OFF(struct sockaddr_in, sin_family, 0);
OFF(struct sockaddr_in, sin_port, 2);
OFF(struct sockaddr_in, sin_addr, 4);
OFF(struct sockaddr_in, sin_zero, 8);
SIZE(struct in6_addr, 16);
SIZE(struct sockaddr_in6, 28);
OFF(struct sockaddr_in6, sin6_family, 0);
OFF(struct sockaddr_in6, sin6_port, 2);
OFF(struct sockaddr_in6, sin6_flowinfo, 4);
OFF(struct sockaddr_in6, sin6_addr, 8);
OFF(struct sockaddr_in6, sin6_scope_id, 24);
SIZE(SOCKADDR_STORAGE, 128);
OFF(SOCKADDR_STORAGE, ss_family, 0);
SIZE(SOCKET_ADDRESS, 16);
OFF(SOCKET_ADDRESS, iSockaddrLength, 8);
SIZE(SOCKET_ADDRESS_LIST, 24);
OFF(SOCKET_ADDRESS_LIST, Address, 8);
#ifdef SIZEOF_SOCKET_ADDRESS_LIST /* the SDK's ws2def.h has it, mingw-w64 not */
_Static_assert(SIZEOF_SOCKET_ADDRESS_LIST(2) == 40, "SIZEOF_SOCKET_ADDRESS_LIST");
#endif
SIZE(struct sockaddr_in6_old, 24);
OFF(struct sockaddr_in6_old, sin6_addr, 8);
SIZE(sockaddr_gen, 24);
SIZE(INTERFACE_INFO, 76);
OFF(INTERFACE_INFO, iiAddress, 4);
OFF(INTERFACE_INFO, iiBroadcastAddress, 28);
OFF(INTERFACE_INFO, iiNetmask, 52);
_Static_assert(SIO_GET_INTERFACE_LIST == 0x4004747f, "SIO_GET_INTERFACE_LIST");
_Static_assert(IFF_UP == 1 && IFF_BROADCAST == 2 && IFF_LOOPBACK == 4 &&
                   IFF_POINTTOPOINT == 8 && IFF_MULTICAST == 16,
               "IFF_*");
SIZE(struct linger, 4);
OFF(struct linger, l_onoff, 0);
OFF(struct linger, l_linger, 2);

/* ---- select and WSAPoll ---- */
SIZE(fd_set, 520);
OFF(fd_set, fd_count, 0);
OFF(fd_set, fd_array, 8);
SIZE(WSAPOLLFD, 16);
OFF(WSAPOLLFD, fd, 0);
OFF(WSAPOLLFD, events, 8);
OFF(WSAPOLLFD, revents, 10);

/* ---- buffers, messages, overlapped I/O ---- */
SIZE(WSABUF, 16);
OFF(WSABUF, len, 0);
OFF(WSABUF, buf, 8);
SIZE(WSAMSG, 56);
OFF(WSAMSG, name, 0);
OFF(WSAMSG, namelen, 8);
OFF(WSAMSG, lpBuffers, 16);
OFF(WSAMSG, dwBufferCount, 24);
OFF(WSAMSG, Control, 32);
OFF(WSAMSG, dwFlags, 48);
/* Control data (ws2def.h): a 16-byte header, data at 16, objects 8-aligned. */
SIZE(WSACMSGHDR, 16);
OFF(WSACMSGHDR, cmsg_len, 0);
OFF(WSACMSGHDR, cmsg_level, 8);
OFF(WSACMSGHDR, cmsg_type, 12);
_Static_assert(WSA_CMSG_LEN(0) == 16, "WSA_CMSG_LEN(0) != 16");
_Static_assert(WSA_CMSG_LEN(sizeof(IN_PKTINFO)) == 24, "WSA_CMSG_LEN(IN_PKTINFO)");
_Static_assert(WSA_CMSG_SPACE(sizeof(IN_PKTINFO)) == 24, "WSA_CMSG_SPACE(IN_PKTINFO)");
_Static_assert(WSA_CMSG_LEN(sizeof(IN6_PKTINFO)) == 36, "WSA_CMSG_LEN(IN6_PKTINFO)");
_Static_assert(WSA_CMSG_SPACE(sizeof(IN6_PKTINFO)) == 40, "WSA_CMSG_SPACE(IN6_PKTINFO)");
_Static_assert(WSA_CMSG_SPACE(sizeof(INT)) == 24, "WSA_CMSG_SPACE(INT)");
_Static_assert(WSA_CMSGHDR_ALIGN(20) == 24, "WSA_CMSGHDR_ALIGN(20)");
_Static_assert(WSA_CMSGDATA_ALIGN(20) == 24, "WSA_CMSGDATA_ALIGN(20)");
SIZE(WSASENDMSG, 40);
OFF(WSASENDMSG, lpMsg, 0);
OFF(WSASENDMSG, dwFlags, 8);
OFF(WSASENDMSG, lpNumberOfBytesSent, 16);
OFF(WSASENDMSG, lpOverlapped, 24);
OFF(WSASENDMSG, lpCompletionRoutine, 32);
SIZE(WSAOVERLAPPED, 32);
OFF(WSAOVERLAPPED, Internal, 0);
OFF(WSAOVERLAPPED, InternalHigh, 8);
OFF(WSAOVERLAPPED, Offset, 16);
OFF(WSAOVERLAPPED, OffsetHigh, 20);
OFF(WSAOVERLAPPED, Pointer, 16);
OFF(WSAOVERLAPPED, hEvent, 24);

/* ---- quality of service ---- */
SIZE(FLOWSPEC, 32);
OFF(FLOWSPEC, ServiceType, 20);
OFF(FLOWSPEC, MinimumPolicedSize, 28);
SIZE(QOS, 80);
OFF(QOS, SendingFlowspec, 0);
OFF(QOS, ReceivingFlowspec, 32);
OFF(QOS, ProviderSpecific, 64);

/* ---- network events ---- */
SIZE(WSANETWORKEVENTS, 44);
OFF(WSANETWORKEVENTS, lNetworkEvents, 0);
OFF(WSANETWORKEVENTS, iErrorCode, 4);

/* ---- protocol information ---- */
SIZE(WSAPROTOCOLCHAIN, 32);
OFF(WSAPROTOCOLCHAIN, ChainLen, 0);
OFF(WSAPROTOCOLCHAIN, ChainEntries, 4);
SIZE(WSAPROTOCOL_INFOW, 628);
SIZE(WSAPROTOCOL_INFOA, 372);
OFF(WSAPROTOCOL_INFOW, dwProviderFlags, 16);
OFF(WSAPROTOCOL_INFOW, ProviderId, 20);
OFF(WSAPROTOCOL_INFOW, dwCatalogEntryId, 36);
OFF(WSAPROTOCOL_INFOW, ProtocolChain, 40);
OFF(WSAPROTOCOL_INFOW, iVersion, 72);
OFF(WSAPROTOCOL_INFOW, iAddressFamily, 76);
OFF(WSAPROTOCOL_INFOW, iSocketType, 88);
OFF(WSAPROTOCOL_INFOW, iProtocol, 92);
OFF(WSAPROTOCOL_INFOW, dwMessageSize, 108);
OFF(WSAPROTOCOL_INFOW, dwProviderReserved, 112);
OFF(WSAPROTOCOL_INFOW, szProtocol, 116);
OFF(WSAPROTOCOL_INFOA, ProtocolChain, 40);
OFF(WSAPROTOCOL_INFOA, dwProviderReserved, 112);
OFF(WSAPROTOCOL_INFOA, szProtocol, 116);

/* ---- host and service database ---- */
SIZE(struct hostent, 32);
OFF(struct hostent, h_name, 0);
OFF(struct hostent, h_aliases, 8);
OFF(struct hostent, h_addrtype, 16);
OFF(struct hostent, h_length, 18);
OFF(struct hostent, h_addr_list, 24);
/* 64-bit Windows puts s_proto before s_port (32-bit Windows the reverse). */
SIZE(struct servent, 32);
OFF(struct servent, s_name, 0);
OFF(struct servent, s_aliases, 8);
OFF(struct servent, s_proto, 16);
OFF(struct servent, s_port, 24);
SIZE(struct protoent, 24);
OFF(struct protoent, p_proto, 16);

/* ---- ws2tcpip.h ---- */
SIZE(struct addrinfo, 48);
OFF(struct addrinfo, ai_flags, 0);
OFF(struct addrinfo, ai_family, 4);
OFF(struct addrinfo, ai_socktype, 8);
OFF(struct addrinfo, ai_protocol, 12);
OFF(struct addrinfo, ai_addrlen, 16);
OFF(struct addrinfo, ai_canonname, 24);
OFF(struct addrinfo, ai_addr, 32);
OFF(struct addrinfo, ai_next, 40);
SIZE(ADDRINFOW, 48);
OFF(ADDRINFOW, ai_canonname, 24);
OFF(ADDRINFOW, ai_addr, 32);
SIZE(struct ip_mreq, 8);
SIZE(struct ipv6_mreq, 20);
OFF(struct ipv6_mreq, ipv6mr_interface, 16);
SIZE(IN_PKTINFO, 8);
OFF(IN_PKTINFO, ipi_addr, 0);
OFF(IN_PKTINFO, ipi_ifindex, 4);
SIZE(IN6_PKTINFO, 20);
OFF(IN6_PKTINFO, ipi6_addr, 0);
OFF(IN6_PKTINFO, ipi6_ifindex, 16);

/* ---- ws2spi.h ---- */
SIZE(WSPDATA, 516);
OFF(WSPDATA, szDescription, 4);
SIZE(WSATHREADID, 16);
OFF(WSATHREADID, ThreadHandle, 0);
OFF(WSATHREADID, Reserved, 8);
SIZE(WSPPROC_TABLE, 240); /* 30 function pointers */
OFF(WSPPROC_TABLE, lpWSPAccept, 0);
OFF(WSPPROC_TABLE, lpWSPIoctl, 128);
OFF(WSPPROC_TABLE, lpWSPRecv, 152);
OFF(WSPPROC_TABLE, lpWSPSend, 184);
OFF(WSPPROC_TABLE, lpWSPSendTo, 200);
OFF(WSPPROC_TABLE, lpWSPStringToAddress, 232);
SIZE(WSPUPCALLTABLE, 120); /* 15 function pointers */
OFF(WSPUPCALLTABLE, lpWPUCloseEvent, 0);
OFF(WSPUPCALLTABLE, lpWPUQueueApc, 80);
OFF(WSPUPCALLTABLE, lpWPUCloseThread, 112);

/* ---- mswsock.h ---- */
SIZE(TRANSMIT_FILE_BUFFERS, 32);
OFF(TRANSMIT_FILE_BUFFERS, Head, 0);
OFF(TRANSMIT_FILE_BUFFERS, HeadLength, 8);
OFF(TRANSMIT_FILE_BUFFERS, Tail, 16);
OFF(TRANSMIT_FILE_BUFFERS, TailLength, 24);

/* ---- files (windows.h) ---- */
SIZE(LARGE_INTEGER, 8);
OFF(LARGE_INTEGER, QuadPart, 0);
OFF(LARGE_INTEGER, u.LowPart, 0);
OFF(LARGE_INTEGER, u.HighPart, 4);
SIZE(SECURITY_ATTRIBUTES, 24);
OFF(SECURITY_ATTRIBUTES, nLength, 0);
OFF(SECURITY_ATTRIBUTES, lpSecurityDescriptor, 8);
OFF(SECURITY_ATTRIBUTES, bInheritHandle, 16);

/* ---- values that travel in these structures ---- */
_Static_assert(FD_SETSIZE == 64, "FD_SETSIZE != 64");
_Static_assert(AF_INET6 == 23, "AF_INET6 != 23");
_Static_assert(SOL_SOCKET == 0xffff, "SOL_SOCKET != 0xffff");
_Static_assert(WSAPROTOCOL_LEN == 255, "WSAPROTOCOL_LEN != 255");
_Static_assert(MAX_PROTOCOL_CHAIN == 7, "MAX_PROTOCOL_CHAIN != 7");
_Static_assert(GENERIC_READ == 0x80000000u, "GENERIC_READ");
_Static_assert(OPEN_EXISTING == 3 && TRUNCATE_EXISTING == 5, "dispositions");
_Static_assert(FILE_FLAG_SEQUENTIAL_SCAN == 0x08000000u, "SEQUENTIAL_SCAN");
_Static_assert(TF_DISCONNECT == 1 && TF_REUSE_SOCKET == 2, "TF_*");
_Static_assert(ERROR_HANDLE_EOF == 38 && ERROR_NEGATIVE_SEEK == 131,
               "file errors");
_Static_assert(IP_PKTINFO == 19 && IPV6_PKTINFO == 19, "PKTINFO != 19");
_Static_assert(IP_TOS == 3 && IP_TTL == 4 && IP_RECVTTL == 21 &&
                   IP_RECVTOS == 40,
               "IP_TOS/IP_TTL/IP_RECVTTL/IP_RECVTOS");
_Static_assert(IPV6_HOPLIMIT == 21 && IPV6_TCLASS == 39 &&
                   IPV6_RECVTCLASS == 40,
               "IPV6_HOPLIMIT/IPV6_TCLASS/IPV6_RECVTCLASS");
_Static_assert(MSG_TRUNC == 0x100 && MSG_CTRUNC == 0x200 &&
                   MSG_BCAST == 0x400 && MSG_MCAST == 0x800,
               "MSG_TRUNC/CTRUNC/BCAST/MCAST");
_Static_assert(SIO_BSP_HANDLE == 0x4800001B && SIO_BASE_HANDLE == 0x48000022,
               "SIO_BSP_HANDLE/SIO_BASE_HANDLE");
_Static_assert(SIO_EXT_SENDMSG == 0xC8000020, "SIO_EXT_SENDMSG");

/* ---- kernel32: threads and waits (processthreadsapi.h, synchapi.h) ---- */
SIZE(SECURITY_ATTRIBUTES, 24);
OFF(SECURITY_ATTRIBUTES, lpSecurityDescriptor, 8);
OFF(SECURITY_ATTRIBUTES, bInheritHandle, 16);
SIZE(LONG64, 8);
_Static_assert(MAXIMUM_WAIT_OBJECTS == 64, "MAXIMUM_WAIT_OBJECTS != 64");
_Static_assert(STILL_ACTIVE == 259, "STILL_ACTIVE != 259");
_Static_assert(WAIT_ABANDONED_0 == 0x80, "WAIT_ABANDONED_0 != 0x80");
_Static_assert(CREATE_SUSPENDED == 4, "CREATE_SUSPENDED != 4");
_Static_assert(STACK_SIZE_PARAM_IS_A_RESERVATION == 0x10000,
               "STACK_SIZE_PARAM_IS_A_RESERVATION != 0x10000");
_Static_assert(ERROR_NOT_SUPPORTED == 50, "ERROR_NOT_SUPPORTED != 50");

_Static_assert(ERROR_INSUFFICIENT_BUFFER == 122, "ERROR_INSUFFICIENT_BUFFER");
#ifdef STATUS_BUFFER_TOO_SMALL /* mingw-w64 keeps it in ntstatus.h */
_Static_assert(STATUS_BUFFER_TOO_SMALL == 0xC0000023, "STATUS_BUFFER_TOO_SMALL");
#endif

/* ---- kernel32: synchronisation objects and locks (synchapi.h) ---- */
SIZE(CRITICAL_SECTION, 40);
OFF(CRITICAL_SECTION, LockCount, 8);
OFF(CRITICAL_SECTION, RecursionCount, 12);
OFF(CRITICAL_SECTION, OwningThread, 16);
OFF(CRITICAL_SECTION, LockSemaphore, 24);
OFF(CRITICAL_SECTION, SpinCount, 32);
SIZE(SRWLOCK, 8);
SIZE(CONDITION_VARIABLE, 8);
_Static_assert(CONDITION_VARIABLE_LOCKMODE_SHARED == 1,
               "CONDITION_VARIABLE_LOCKMODE_SHARED != 1");
_Static_assert(CRITICAL_SECTION_NO_DEBUG_INFO == 0x01000000,
               "CRITICAL_SECTION_NO_DEBUG_INFO");
_Static_assert(ERROR_NOT_OWNER == 288 && ERROR_TOO_MANY_POSTS == 298 &&
                   ERROR_TIMEOUT == 1460,
               "ERROR_NOT_OWNER/TOO_MANY_POSTS/TIMEOUT");

/* ---- kernel32: the system (sysinfoapi.h) ---- */
SIZE(SYSTEM_INFO, 48);
OFF(SYSTEM_INFO, dwPageSize, 4);
OFF(SYSTEM_INFO, lpMinimumApplicationAddress, 8);
OFF(SYSTEM_INFO, lpMaximumApplicationAddress, 16);
OFF(SYSTEM_INFO, dwActiveProcessorMask, 24);
OFF(SYSTEM_INFO, dwNumberOfProcessors, 32);
OFF(SYSTEM_INFO, dwProcessorType, 36);
OFF(SYSTEM_INFO, dwAllocationGranularity, 40);
OFF(SYSTEM_INFO, wProcessorLevel, 44);
OFF(SYSTEM_INFO, wProcessorRevision, 46);
_Static_assert(PROCESSOR_ARCHITECTURE_AMD64 == 9 &&
                   PROCESSOR_ARCHITECTURE_ARM64 == 12 &&
                   PROCESSOR_AMD_X8664 == 8664,
               "PROCESSOR_ARCHITECTURE_*");

/* ---- mstcpip.h ---- */
SIZE(struct tcp_keepalive, 12);
OFF(struct tcp_keepalive, keepalivetime, 4);
OFF(struct tcp_keepalive, keepaliveinterval, 8);
_Static_assert(SIO_KEEPALIVE_VALS == 0x98000004, "SIO_KEEPALIVE_VALS");

/* A translation unit must declare something (ISO C). */
typedef int ws2_layout_asserts_done;
