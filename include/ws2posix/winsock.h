/* winsock.h - old Winsock programs include this name; ws2posix gives them
 * Winsock 2, which is a superset. */
#include "winsock2.h"
