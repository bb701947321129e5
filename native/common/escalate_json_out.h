#ifndef EW_ESCALATE_JSON_OUT_H
#define EW_ESCALATE_JSON_OUT_H

/* The request as streamed JSON (escalate_json_out.c). */
#include <stddef.h>
#include <stdint.h>

#include "escalate_internal.h"

/* Hidden: the hook is loaded into every program, whose own symbols must not interpose ours. */
#pragma GCC visibility push(hidden)

/*
 * The request is written into the stream socket before the handshake hands the socket's other
 * end to the server, as far as the socket buffer takes it: the server then finds the whole
 * request waiting when it accepts the handshake and answers in one event-loop turn. A request
 * larger than the buffer is finished after the handshake.
 */
typedef struct {
  int fd;
  int counting;
  int failed;
  /* Until the handshake: the server's end, and the datagram socket to hand it over with. */
  int peer;
  int dgram_fd;
  int handshake_errno;
  uint64_t total;
  size_t len;
  char buf[8192];
} writer_t;

/* Hands the server its end of the stream (once); 0 or -1 with handshake_errno set. */
EW_INTERNAL int ew_writer_handshake(writer_t *w);
EW_INTERNAL void ew_writer_flush(writer_t *w);
EW_INTERNAL void ew_writer_bytes(writer_t *w, const char *p, size_t n);
EW_INTERNAL void ew_writer_request(writer_t *w, const char *file, const char *resolved, char *const argv[],
                                   char *const envp[], const char *workdir);

#pragma GCC visibility pop

#endif
