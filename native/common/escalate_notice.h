#ifndef EW_ESCALATE_NOTICE_H
#define EW_ESCALATE_NOTICE_H

/*
 * The hook's one-way notice of an exec it lets through without asking (its fast path), for the
 * audit log (escalate_notice.c). Repeats src/escalation/protocol.ts (NOTICE_BYTE,
 * MAX_NOTICE_BYTES); a test cross-checks them.
 */
#include <stddef.h>

#include "escalate_internal.h"

/* Hidden: the hook is loaded into every program, whose own symbols must not interpose ours. */
#pragma GCC visibility push(hidden)

/* First byte of a notice datagram (a handshake's is 0x00 and carries a descriptor). */
#define EW_NOTICE_BYTE 0x01
/* Largest notice datagram: longer argv lists are cut and marked "truncated". */
#define EW_MAX_NOTICE_BYTES 4096

/*
 * Sends {"file","argv","workdir"[,"truncated"]} on the inherited datagram socket, without
 * waiting: a full socket or any error drops the notice (the command never waits for the log).
 * Async-signal-safe: one stack buffer, raw syscalls.
 */
EW_INTERNAL void ew_notice_run(int dgram_fd, const char *file, char *const argv[]);

#pragma GCC visibility pop

#endif
