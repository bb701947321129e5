/*
 * The hook's fast-path notice: "this program runs in the sandbox without a round trip", one
 * datagram on the inherited escalation socket, for the audit log.
 *
 * Guards the per-exec budget and the rule that the log never blocks a command: one bounded stack
 * buffer, one send(MSG_DONTWAIT); anything that fails drops the notice. Everything in it is the
 * sandbox's claim: the server logs it as such and decides nothing from it.
 *
 * Part of the escalation client, under the same rules: async-signal-safe, no malloc, no stdio,
 * no locks.
 */
#define _GNU_SOURCE
#include "escalate_notice.h"

#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

typedef struct {
  char buf[EW_MAX_NOTICE_BYTES];
  size_t len;
  int full;
} notice_t;

static void put(notice_t *n, const char *p, size_t k) {
  if (n->full || k > sizeof n->buf - n->len) {
    n->full = 1;
    return;
  }
  for (size_t i = 0; i < k; i++) n->buf[n->len + i] = p[i];
  n->len += k;
}

/* A JSON string; bytes >= 0x80 pass through (the server reads them as UTF-8, lossily). */
static void put_string(notice_t *n, const char *s) {
  static const char hex[] = "0123456789abcdef";
  put(n, "\"", 1);
  for (; *s != '\0' && !n->full; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      char esc[2] = {'\\', (char)c};
      put(n, esc, 2);
    } else if (c < 0x20) {
      char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
      put(n, esc, 6);
    } else {
      put(n, (const char *)&c, 1);
    }
  }
  put(n, "\"", 1);
}

void ew_notice_run(int dgram_fd, const char *file, char *const argv[]) {
  notice_t n;
  n.len = 0;
  n.full = 0;
  char cwd[4096];
  long got = syscall(SYS_getcwd, cwd, sizeof cwd);
  if (got <= 0) cwd[0] = '\0';
  char lead = EW_NOTICE_BYTE;
  put(&n, &lead, 1);
  put(&n, "{\"file\":", 8);
  put_string(&n, file);
  put(&n, ",\"workdir\":", 11);
  put_string(&n, cwd);
  if (n.full) return;
  put(&n, ",\"argv\":[", 9);
  int truncated = 0;
  for (size_t i = 0; argv != NULL && argv[i] != NULL; i++) {
    size_t mark = n.len;
    if (i > 0) put(&n, ",", 1);
    put_string(&n, argv[i]);
    /* keep room for `],"truncated":true}` */
    if (n.full || n.len > sizeof n.buf - 24) {
      n.len = mark;
      n.full = 0;
      truncated = 1;
      break;
    }
  }
  put(&n, "]", 1);
  if (truncated) put(&n, ",\"truncated\":true", 17);
  put(&n, "}", 1);
  if (n.full) return;
  send(dgram_fd, n.buf, n.len, MSG_DONTWAIT | MSG_NOSIGNAL);
}
