/*
 * The request as JSON, streamed: a counting pass for the frame header, then 8 KiB chunks;
 * names that are not UTF-8 travel losslessly as lone surrogate escapes.
 *
 * Part of the escalation client (escalate_client.c), under the same rules: async-signal-safe, no
 * malloc, no stdio, no locks, fixed buffers, raw syscalls.
 */
#define _GNU_SOURCE
#include "escalate_json_out.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "escalate_client.h"
#include "escalate_protocol.h"
#include "escalate_socket.h"

/* Hands the server its end of the stream (once); 0 or -1 with handshake_errno set. */
int ew_writer_handshake(writer_t *w) {
  if (w->peer < 0) return 0;
  static const char hello = 0;
  int sent = ew_send_with_fds(w->dgram_fd, &hello, 1, &w->peer, 1);
  if (sent != 0) w->handshake_errno = errno != 0 ? errno : EPIPE;
  close(w->peer);
  w->peer = -1;
  return sent;
}

void ew_writer_flush(writer_t *w) {
  if (w->counting || w->failed || w->len == 0) return;
  const char *p = w->buf;
  size_t n = w->len;
  while (n > 0 && w->peer >= 0) {
    ssize_t k = send(w->fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (k > 0) {
      p += k;
      n -= (size_t)k;
    } else if (k < 0 && errno == EINTR) {
      continue;
    } else if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (ew_writer_handshake(w) != 0) {
        w->failed = w->handshake_errno;
        return;
      }
    } else {
      w->failed = k == 0 ? EPIPE : errno;
      return;
    }
  }
  if (n > 0 && ew_send_all(w->fd, p, n) != 0) w->failed = errno != 0 ? errno : EPIPE;
  w->len = 0;
}

void ew_writer_bytes(writer_t *w, const char *p, size_t n) {
  w->total += n;
  if (w->counting) return;
  while (n > 0 && !w->failed) {
    if (w->len == sizeof w->buf) ew_writer_flush(w);
    size_t room = sizeof w->buf - w->len;
    size_t k = n < room ? n : room;
    memcpy(w->buf + w->len, p, k);
    w->len += k;
    p += k;
    n -= k;
  }
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 when the byte starts none. */
static size_t utf8_sequence(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  size_t length;
  uint32_t cp;
  if (c >= 0xC2 && c <= 0xDF) { length = 2; cp = c & 0x1F; }
  else if (c >= 0xE0 && c <= 0xEF) { length = 3; cp = c & 0x0F; }
  else if (c >= 0xF0 && c <= 0xF4) { length = 4; cp = c & 0x07; }
  else return 0;
  if (length > n) return 0;
  for (size_t i = 1; i < length; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = cp << 6 | (s[i] & 0x3F);
  }
  if ((length == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (length == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
    return 0;
  return length;
}

/*
 * A JSON string of the n bytes at s. Valid UTF-8 passes through; every other byte is written as
 * a lone surrogate escape \udc80-\udcff (Python's surrogateescape), so names that are not UTF-8
 * reach the server losslessly.
 */
static void w_string_n(writer_t *w, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  size_t run = 0;
  ew_writer_bytes(w, "\"", 1);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x80) {
      size_t k = utf8_sequence((const unsigned char *)s + i, n - i);
      if (k > 0) {
        i += k - 1;
        continue;
      }
      ew_writer_bytes(w, s + run, i - run);
      run = i + 1;
      char esc[6] = {'\\', 'u', 'd', 'c', hex[c >> 4], hex[c & 15]};
      ew_writer_bytes(w, esc, 6);
      continue;
    }
    if (c != '"' && c != '\\' && c >= 0x20) continue;
    ew_writer_bytes(w, s + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': ew_writer_bytes(w, "\\\"", 2); break;
      case '\\': ew_writer_bytes(w, "\\\\", 2); break;
      case '\n': ew_writer_bytes(w, "\\n", 2); break;
      case '\t': ew_writer_bytes(w, "\\t", 2); break;
      case '\r': ew_writer_bytes(w, "\\r", 2); break;
      default: {
        char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        ew_writer_bytes(w, esc, 6);
      }
    }
  }
  ew_writer_bytes(w, s + run, n - run);
  ew_writer_bytes(w, "\"", 1);
}

static int is_protocol_variable(const char *entry) {
  return ew_env_entry_is(entry, EW_ESCALATE_SOCKET_ENV) || ew_env_entry_is(entry, EW_EXEC_WRAPPER_ENV) ||
         ew_env_entry_is(entry, EW_LEGACY_BASH_EXEC_WRAPPER_ENV) || ew_env_entry_is(entry, EW_HOOK_LIBRARY_ENV) ||
         ew_env_entry_is(entry, EW_HOOK_WRAPPER_ENV) || ew_env_entry_is(entry, EW_HOOK_ASK_ENV) ||
         ew_env_entry_is(entry, EW_HOOK_NOTICES_ENV);
}

void ew_writer_request(writer_t *w, const char *file, const char *resolved, char *const argv[], char *const envp[],
                       const char *workdir) {
  ew_writer_bytes(w, "{\"file\":", 8);
  w_string_n(w, file, ew_strlen(file));
  ew_writer_bytes(w, ",\"argv\":[", 9);
  for (size_t i = 0; argv != NULL && argv[i] != NULL; i++) {
    if (i > 0) ew_writer_bytes(w, ",", 1);
    w_string_n(w, argv[i], ew_strlen(argv[i]));
  }
  ew_writer_bytes(w, "],\"workdir\":", 12);
  w_string_n(w, workdir, ew_strlen(workdir));
  ew_writer_bytes(w, ",\"env\":{", 8);
  int first = 1;
  for (size_t i = 0; envp != NULL && envp[i] != NULL; i++) {
    const char *entry = envp[i];
    const char *eq = entry;
    while (*eq != '\0' && *eq != '=') eq++;
    if (*eq != '=' || eq == entry || is_protocol_variable(entry)) continue;
    if (!first) ew_writer_bytes(w, ",", 1);
    first = 0;
    w_string_n(w, entry, (size_t)(eq - entry));
    ew_writer_bytes(w, ":", 1);
    w_string_n(w, eq + 1, ew_strlen(eq + 1));
  }
  ew_writer_bytes(w, "}", 1);
  if (resolved != NULL) {
    ew_writer_bytes(w, ",\"resolved\":", 12);
    w_string_n(w, resolved, ew_strlen(resolved));
  }
  ew_writer_bytes(w, "}", 1);
}
