#ifndef EW_ESCALATE_SOCKET_H
#define EW_ESCALATE_SOCKET_H

/* Socket I/O of the escalation client (escalate_socket.c); ew_send_with_fds is public. */
#include <stddef.h>

#include "escalate_internal.h"

/* Hidden: the hook is loaded into every program, whose own symbols must not interpose ours. */
#pragma GCC visibility push(hidden)

/* Sends all n bytes, retrying on EINTR, without SIGPIPE; 0, or -1 (errno set). */
EW_INTERNAL int ew_send_all(int fd, const char *p, size_t n);

/* Reads one frame into buf (at most cap bytes); returns its length or -1 (errno set, or E2BIG). */
EW_INTERNAL long ew_read_frame(int fd, char *buf, size_t cap);

#pragma GCC visibility pop

#endif
