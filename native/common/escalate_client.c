/*
 * Client side of the escalation protocol, shared by the exec hook and the execve wrapper.
 *
 * Guards the decision path of every intercepted exec, so it is written to run anywhere an exec
 * can happen, including a vfork child and a signal handler:
 *   - async-signal-safe: no malloc, no stdio, no locks, no locale; fixed stack buffers and raw
 *     socket calls only (about 10 KiB of stack);
 *   - a request of any size (a 1 MiB environment) is streamed: one pass counts the JSON length
 *     for the frame header, a second pass writes it in 8 KiB chunks;
 *   - every failure (no server, closed socket, garbage, oversized or unexpected response) is
 *     EW_ACTION_ERROR with a reason: the caller must not exec.
 * Wire format: src/escalation/protocol.ts.
 */
#define _GNU_SOURCE
#include "escalate_client.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "escalate_protocol.h"

/* ---------------------------------------------------------------- strings */

size_t ew_strlen(const char *s) {
  size_t n = 0;
  while (s[n] != '\0') n++;
  return n;
}

int ew_streq(const char *a, const char *b) {
  while (*a != '\0' && *a == *b) {
    a++;
    b++;
  }
  return *a == *b;
}

int ew_env_entry_is(const char *entry, const char *name) {
  while (*name != '\0' && *entry == *name) {
    entry++;
    name++;
  }
  return *name == '\0' && *entry == '=';
}

void ew_copy(char *dst, size_t size, const char *src) {
  size_t i = 0;
  if (size == 0) return;
  for (; i + 1 < size && src[i] != '\0'; i++) dst[i] = src[i];
  dst[i] = '\0';
}

void ew_append(char *dst, size_t size, const char *src) {
  size_t n = ew_strlen(dst);
  if (n < size) ew_copy(dst + n, size - n, src);
}

void ew_append_int(char *dst, size_t size, long value) {
  char digits[24];
  int i = (int)sizeof digits - 1;
  unsigned long v = value < 0 ? (unsigned long)(-(value + 1)) + 1 : (unsigned long)value;
  digits[i] = '\0';
  do {
    digits[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0 && i > 1);
  if (value < 0) digits[--i] = '-';
  ew_append(dst, size, digits + i);
}

static void write_all_fd(int fd, const char *s) {
  size_t n = ew_strlen(s);
  while (n > 0) {
    ssize_t k = write(fd, s, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return;
    s += k;
    n -= (size_t)k;
  }
}

void ew_write_stderr(const char *a, const char *b, const char *c, const char *d) {
  int saved = errno;
  if (a != NULL) write_all_fd(2, a);
  if (b != NULL) write_all_fd(2, b);
  if (c != NULL) write_all_fd(2, c);
  if (d != NULL) write_all_fd(2, d);
  errno = saved;
}

int ew_parse_fd(const char *value) {
  long fd = 0;
  if (value == NULL || *value == '\0') return -1;
  for (const char *p = value; *p != '\0'; p++) {
    if (*p < '0' || *p > '9') return -1;
    fd = fd * 10 + (*p - '0');
    if (fd > 1000000) return -1;
  }
  return (int)fd;
}

static void fail(ew_decision_t *out, const char *what, int err) {
  out->action = EW_ACTION_ERROR;
  ew_copy(out->message, sizeof out->message, what);
  if (err != 0) {
    ew_append(out->message, sizeof out->message, " (");
    ew_append(out->message, sizeof out->message, strerrorname_np(err) != NULL ? strerrorname_np(err) : "error");
    ew_append(out->message, sizeof out->message, ")");
  }
}

/* ---------------------------------------------------------------- socket I/O */

static int send_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) {
      if (k == 0) errno = EPIPE;
      return -1;
    }
    p += k;
    n -= (size_t)k;
  }
  return 0;
}

static int recv_exact(int fd, char *p, size_t n) {
  while (n > 0) {
    ssize_t k = recv(fd, p, n, 0);
    if (k < 0 && errno == EINTR) continue;
    if (k == 0) {
      errno = ECONNRESET;
      return -1;
    }
    if (k < 0) return -1;
    p += k;
    n -= (size_t)k;
  }
  return 0;
}

/* Reads one frame into buf (at most cap bytes); returns its length or -1 (errno set, or E2BIG). */
static long read_frame(int fd, char *buf, size_t cap) {
  unsigned char header[4];
  if (recv_exact(fd, (char *)header, 4) != 0) return -1;
  uint32_t length = (uint32_t)header[0] | (uint32_t)header[1] << 8 | (uint32_t)header[2] << 16 | (uint32_t)header[3] << 24;
  if (length > cap) {
    errno = E2BIG;
    return -1;
  }
  if (recv_exact(fd, buf, length) != 0) return -1;
  return (long)length;
}

/* ---------------------------------------------------------------- JSON out, streamed */

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
static int w_handshake(writer_t *w) {
  if (w->peer < 0) return 0;
  static const char hello = 0;
  int sent = ew_send_with_fds(w->dgram_fd, &hello, 1, &w->peer, 1);
  if (sent != 0) w->handshake_errno = errno != 0 ? errno : EPIPE;
  close(w->peer);
  w->peer = -1;
  return sent;
}

static void w_flush(writer_t *w) {
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
      if (w_handshake(w) != 0) {
        w->failed = w->handshake_errno;
        return;
      }
    } else {
      w->failed = k == 0 ? EPIPE : errno;
      return;
    }
  }
  if (n > 0 && send_all(w->fd, p, n) != 0) w->failed = errno != 0 ? errno : EPIPE;
  w->len = 0;
}

static void w_bytes(writer_t *w, const char *p, size_t n) {
  w->total += n;
  if (w->counting) return;
  while (n > 0 && !w->failed) {
    if (w->len == sizeof w->buf) w_flush(w);
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
  w_bytes(w, "\"", 1);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x80) {
      size_t k = utf8_sequence((const unsigned char *)s + i, n - i);
      if (k > 0) {
        i += k - 1;
        continue;
      }
      w_bytes(w, s + run, i - run);
      run = i + 1;
      char esc[6] = {'\\', 'u', 'd', 'c', hex[c >> 4], hex[c & 15]};
      w_bytes(w, esc, 6);
      continue;
    }
    if (c != '"' && c != '\\' && c >= 0x20) continue;
    w_bytes(w, s + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': w_bytes(w, "\\\"", 2); break;
      case '\\': w_bytes(w, "\\\\", 2); break;
      case '\n': w_bytes(w, "\\n", 2); break;
      case '\t': w_bytes(w, "\\t", 2); break;
      case '\r': w_bytes(w, "\\r", 2); break;
      default: {
        char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        w_bytes(w, esc, 6);
      }
    }
  }
  w_bytes(w, s + run, n - run);
  w_bytes(w, "\"", 1);
}

static int is_protocol_variable(const char *entry) {
  return ew_env_entry_is(entry, EW_ESCALATE_SOCKET_ENV) || ew_env_entry_is(entry, EW_EXEC_WRAPPER_ENV) ||
         ew_env_entry_is(entry, EW_LEGACY_BASH_EXEC_WRAPPER_ENV) || ew_env_entry_is(entry, EW_HOOK_LIBRARY_ENV) ||
         ew_env_entry_is(entry, EW_HOOK_WRAPPER_ENV) || ew_env_entry_is(entry, EW_HOOK_ASK_ENV);
}

static void w_request(writer_t *w, const char *file, const char *resolved, char *const argv[], char *const envp[],
                      const char *workdir) {
  w_bytes(w, "{\"file\":", 8);
  w_string_n(w, file, ew_strlen(file));
  w_bytes(w, ",\"argv\":[", 9);
  for (size_t i = 0; argv != NULL && argv[i] != NULL; i++) {
    if (i > 0) w_bytes(w, ",", 1);
    w_string_n(w, argv[i], ew_strlen(argv[i]));
  }
  w_bytes(w, "],\"workdir\":", 12);
  w_string_n(w, workdir, ew_strlen(workdir));
  w_bytes(w, ",\"env\":{", 8);
  int first = 1;
  for (size_t i = 0; envp != NULL && envp[i] != NULL; i++) {
    const char *entry = envp[i];
    const char *eq = entry;
    while (*eq != '\0' && *eq != '=') eq++;
    if (*eq != '=' || eq == entry || is_protocol_variable(entry)) continue;
    if (!first) w_bytes(w, ",", 1);
    first = 0;
    w_string_n(w, entry, (size_t)(eq - entry));
    w_bytes(w, ":", 1);
    w_string_n(w, eq + 1, ew_strlen(eq + 1));
  }
  w_bytes(w, "}", 1);
  if (resolved != NULL) {
    w_bytes(w, ",\"resolved\":", 12);
    w_string_n(w, resolved, ew_strlen(resolved));
  }
  w_bytes(w, "}", 1);
}

/* ---------------------------------------------------------------- JSON in (small, strict) */

typedef struct {
  const char *p;
  const char *end;
} reader_t;

static void r_ws(reader_t *r) {
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t')) r->p++;
}

static int r_char(reader_t *r, char c) {
  r_ws(r);
  if (r->p < r->end && *r->p == c) {
    r->p++;
    return 1;
  }
  return 0;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static void put_utf8(char *out, size_t cap, size_t *n, uint32_t cp) {
  char b[4];
  size_t k;
  if (cp < 0x80) { b[0] = (char)cp; k = 1; }
  else if (cp < 0x800) { b[0] = (char)(0xC0 | cp >> 6); b[1] = (char)(0x80 | (cp & 0x3F)); k = 2; }
  else if (cp < 0x10000) { b[0] = (char)(0xE0 | cp >> 12); b[1] = (char)(0x80 | (cp >> 6 & 0x3F)); b[2] = (char)(0x80 | (cp & 0x3F)); k = 3; }
  else { b[0] = (char)(0xF0 | cp >> 18); b[1] = (char)(0x80 | (cp >> 12 & 0x3F)); b[2] = (char)(0x80 | (cp >> 6 & 0x3F)); b[3] = (char)(0x80 | (cp & 0x3F)); k = 4; }
  for (size_t i = 0; i < k; i++) {
    if (out != NULL && *n + 1 < cap) out[*n] = b[i];
    (*n)++;
  }
}

/* Parses a string into out (truncated to cap-1 bytes, terminated); out may be NULL. */
static int r_string(reader_t *r, char *out, size_t cap) {
  size_t n = 0;
  r_ws(r);
  if (r->p >= r->end || *r->p != '"') return -1;
  r->p++;
  while (r->p < r->end && *r->p != '"') {
    char c = *r->p++;
    if ((unsigned char)c < 0x20) return -1;
    if (c != '\\') {
      if (out != NULL && n + 1 < cap) out[n] = c;
      n++;
      continue;
    }
    if (r->p >= r->end) return -1;
    char e = *r->p++;
    uint32_t cp;
    switch (e) {
      case '"': cp = '"'; break;
      case '\\': cp = '\\'; break;
      case '/': cp = '/'; break;
      case 'b': cp = '\b'; break;
      case 'f': cp = '\f'; break;
      case 'n': cp = '\n'; break;
      case 'r': cp = '\r'; break;
      case 't': cp = '\t'; break;
      case 'u': {
        if (r->end - r->p < 4) return -1;
        int a = hexval(r->p[0]), b = hexval(r->p[1]), c2 = hexval(r->p[2]), d = hexval(r->p[3]);
        if (a < 0 || b < 0 || c2 < 0 || d < 0) return -1;
        cp = (uint32_t)(a << 12 | b << 8 | c2 << 4 | d);
        r->p += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF && r->end - r->p >= 6 && r->p[0] == '\\' && r->p[1] == 'u') {
          int w1 = hexval(r->p[2]), w2 = hexval(r->p[3]), w3 = hexval(r->p[4]), w4 = hexval(r->p[5]);
          uint32_t low = (uint32_t)(w1 << 12 | w2 << 8 | w3 << 4 | w4);
          if (w1 >= 0 && w2 >= 0 && w3 >= 0 && w4 >= 0 && low >= 0xDC00 && low <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            r->p += 6;
          }
        }
        break;
      }
      default:
        return -1;
    }
    put_utf8(out, cap, &n, cp);
  }
  if (r->p >= r->end) return -1;
  r->p++;
  if (out != NULL && cap > 0) out[n < cap ? n : cap - 1] = '\0';
  return 0;
}

static int r_literal(reader_t *r, const char *word) {
  r_ws(r);
  size_t n = ew_strlen(word);
  if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0) return -1;
  r->p += n;
  return 0;
}

static int r_int(reader_t *r, long *value) {
  r_ws(r);
  int negative = 0;
  long v = 0;
  if (r->p < r->end && *r->p == '-') {
    negative = 1;
    r->p++;
  }
  if (r->p >= r->end || *r->p < '0' || *r->p > '9') return -1;
  while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
    v = v * 10 + (*r->p++ - '0');
    if (v > 0x7FFFFFFF) return -1;
  }
  *value = negative ? -v : v;
  return 0;
}

static int r_skip(reader_t *r, int depth) {
  if (depth > 16) return -1;
  r_ws(r);
  if (r->p >= r->end) return -1;
  char c = *r->p;
  if (c == '"') return r_string(r, NULL, 0);
  if (c == '{' || c == '[') {
    char close = c == '{' ? '}' : ']';
    r->p++;
    if (r_char(r, close)) return 0;
    do {
      if (c == '{' && (r_string(r, NULL, 0) != 0 || !r_char(r, ':'))) return -1;
      if (r_skip(r, depth + 1) != 0) return -1;
    } while (r_char(r, ','));
    return r_char(r, close) ? 0 : -1;
  }
  if (c == 't') return r_literal(r, "true");
  if (c == 'f') return r_literal(r, "false");
  if (c == 'n') return r_literal(r, "null");
  long ignored;
  if (r_int(r, &ignored) != 0) return -1;
  while (r->p < r->end && (*r->p == '.' || *r->p == 'e' || *r->p == 'E' || *r->p == '+' || *r->p == '-' || (*r->p >= '0' && *r->p <= '9'))) r->p++;
  return 0;
}

/* {"action":"Run"} | {"action":"Escalate"} | {"action":{"Deny":{"reason":string|null}}} */
static int parse_response(const char *json, size_t length, ew_decision_t *out) {
  reader_t r = {json, json + length};
  char key[32];
  int have_action = 0;
  if (!r_char(&r, '{')) return -1;
  if (r_char(&r, '}')) return -1;
  do {
    if (r_string(&r, key, sizeof key) != 0 || !r_char(&r, ':')) return -1;
    if (!ew_streq(key, "action")) {
      if (r_skip(&r, 0) != 0) return -1;
      continue;
    }
    r_ws(&r);
    if (r.p < r.end && *r.p == '"') {
      char name[16];
      if (r_string(&r, name, sizeof name) != 0) return -1;
      if (ew_streq(name, "Run")) out->action = EW_ACTION_RUN;
      else if (ew_streq(name, "Escalate")) out->action = EW_ACTION_ESCALATE;
      else return -1;
    } else {
      if (!r_char(&r, '{') || r_string(&r, key, sizeof key) != 0 || !ew_streq(key, "Deny") || !r_char(&r, ':') ||
          !r_char(&r, '{')) {
        return -1;
      }
      out->action = EW_ACTION_DENY;
      out->message[0] = '\0';
      if (!r_char(&r, '}')) {
        do {
          if (r_string(&r, key, sizeof key) != 0 || !r_char(&r, ':')) return -1;
          r_ws(&r);
          if (ew_streq(key, "reason") && r.p < r.end && *r.p == '"') {
            if (r_string(&r, out->message, sizeof out->message) != 0) return -1;
          } else if (r_skip(&r, 0) != 0) {
            return -1;
          }
        } while (r_char(&r, ','));
        if (!r_char(&r, '}')) return -1;
      }
      if (!r_char(&r, '}')) return -1;
    }
    have_action = 1;
  } while (r_char(&r, ','));
  if (!r_char(&r, '}')) return -1;
  r_ws(&r);
  return have_action && r.p == r.end ? 0 : -1;
}

/* ---------------------------------------------------------------- what really runs */

static int looks_anonymous(const char *name) {
  size_t n = ew_strlen(name);
  static const char deleted[] = " (deleted)";
  size_t d = sizeof deleted - 1;
  if (name[0] != '/') return 1;
  if (n >= 8 && memcmp(name, "/memfd:", 7) == 0) return 1;
  return n >= d && memcmp(name + n - d, deleted, d) == 0;
}

static void fd_link(int fd, char *out, size_t size) {
  char link[64];
  ew_copy(link, sizeof link, "/proc/self/fd/");
  ew_append_int(link, sizeof link, fd);
  ssize_t n = readlink(link, out, size - 1);
  out[n < 0 ? 0 : n] = '\0';
}

static void copy_base(char *dst, const char *path) {
  const char *base = path;
  for (const char *p = path; *p != '\0'; p++) {
    if (*p == '/' && p[1] != '\0') base = p + 1;
  }
  ew_copy(dst, EW_NAME_BYTES, base);
}

/*
 * Reads the #! interpreter of the regular file behind `fd` into `out`: 0 when there is one, 1
 * when there is none (or the file is not regular), -1 when the file cannot be read (the kernel
 * still can: an execute-only script runs its interpreter all the same).
 */
static int read_shebang(int fd, char *out, size_t size) {
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return 1;
  char link[64];
  ew_copy(link, sizeof link, "/proc/self/fd/");
  ew_append_int(link, sizeof link, fd);
  int readable = open(link, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (readable < 0) return -1;
  char head[256];
  ssize_t n;
  do {
    n = pread(readable, head, sizeof head, 0);
  } while (n < 0 && errno == EINTR);
  close(readable);
  if (n < 0) return -1;
  if (n < 3 || head[0] != '#' || head[1] != '!') return 1;
  size_t i = 2;
  while (i < (size_t)n && (head[i] == ' ' || head[i] == '\t')) i++;
  size_t k = 0;
  while (i < (size_t)n && head[i] != ' ' && head[i] != '\t' && head[i] != '\n' && head[i] != '\0' && k + 1 < size)
    out[k++] = head[i++];
  out[k] = '\0';
  return k > 0 ? 0 : 1;
}

void ew_resolve(const char *path, ew_resolution_t *out) {
  out->resolved_ok = 0;
  out->anonymous = 0;
  out->unreadable = 0;
  out->truncated = 0;
  out->fd = -1;
  out->resolved[0] = '\0';
  out->interpreters = 0;
  int fd = open(path, O_PATH | O_CLOEXEC);
  if (fd < 0) {
    out->anonymous = looks_anonymous(path);
    return;
  }
  out->fd = fd;
  fd_link(fd, out->resolved, sizeof out->resolved);
  out->resolved_ok = out->resolved[0] != '\0';
  out->anonymous = out->resolved_ok ? looks_anonymous(out->resolved) : looks_anonymous(path);
  /* The #! chain, each level through its own descriptor (the program's stays open). */
  int current = fd;
  for (;;) {
    char interpreter[256];
    int found = read_shebang(current, interpreter, sizeof interpreter);
    if (found < 0) out->unreadable = 1;
    if (found != 0) break;
    if (out->interpreters == EW_MAX_INTERPRETERS) {
      out->truncated = 1;
      break;
    }
    int level = out->interpreters++;
    copy_base(out->interpreter_base[level], interpreter);
    out->interpreter_resolved_base[level][0] = '\0';
    if (current != fd) close(current);
    current = open(interpreter, O_PATH | O_CLOEXEC);
    if (current < 0) return;
    char canonical[4096];
    fd_link(current, canonical, sizeof canonical);
    copy_base(out->interpreter_resolved_base[level], canonical);
  }
  if (current != fd) close(current);
}

/* ---------------------------------------------------------------- the exchange */

int ew_send_with_fds(int fd, const char *data, size_t length, const int *fds, size_t count) {
  union {
    char buf[CMSG_SPACE(sizeof(int) * EW_MAX_FDS_PER_MESSAGE)];
    struct cmsghdr align;
  } control;
  struct iovec iov = {.iov_base = (void *)data, .iov_len = length};
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (count > 0) {
    memset(control.buf, 0, sizeof control.buf);
    msg.msg_control = control.buf;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * count);
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * count);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * count);
  }
  ssize_t n;
  do {
    n = sendmsg(fd, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return -1;
  /* Descriptors went with the first chunk; the rest, if any, is plain data. */
  return send_all(fd, data + n, length - (size_t)n);
}

void ew_request(int dgram_fd, const char *file, const char *resolved, char *const argv[], char *const envp[],
                ew_decision_t *out) {
  out->action = EW_ACTION_ERROR;
  out->message[0] = '\0';
  out->stream_fd = -1;
  if (dgram_fd < 0) {
    fail(out, "no escalation socket (" EW_ESCALATE_SOCKET_ENV " is unset or invalid)", 0);
    return;
  }
  if (access(EW_SANDBOX_MARKER, F_OK) == 0) {
    struct ucred peer;
    socklen_t peer_length = sizeof peer;
    if (getsockopt(dgram_fd, SOL_SOCKET, SO_PEERCRED, &peer, &peer_length) != 0) {
      fail(out, "the escalation channel is not a socket", errno);
      return;
    }
    if (peer.pid != 0) {
      fail(out, "the escalation channel leads to a process inside the sandbox, not to execward", 0);
      return;
    }
  }
  char workdir[4096];
  if (getcwd(workdir, sizeof workdir) == NULL) {
    fail(out, "cannot determine the working directory", errno);
    return;
  }
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    fail(out, "cannot create a socket for the request", errno);
    return;
  }
  int fd = pair[0];

  writer_t w;
  w.fd = fd;
  w.counting = 1;
  w.failed = 0;
  w.peer = pair[1];
  w.dgram_fd = dgram_fd;
  w.handshake_errno = 0;
  w.total = 0;
  w.len = 0;
  w_request(&w, file, resolved, argv, envp, workdir);
  if (w.total > EW_MAX_FRAME_BYTES) {
    close(pair[1]);
    close(fd);
    fail(out, "the request is larger than the protocol allows (arguments and environment over 16 MiB)", 0);
    return;
  }
  unsigned char header[4] = {(unsigned char)(w.total & 0xFF), (unsigned char)(w.total >> 8 & 0xFF),
                             (unsigned char)(w.total >> 16 & 0xFF), (unsigned char)(w.total >> 24 & 0xFF)};
  w.counting = 0;
  w.total = 0;
  w_bytes(&w, (const char *)header, 4);
  w_request(&w, file, resolved, argv, envp, workdir);
  w_flush(&w);
  if (!w.failed && w_handshake(&w) != 0) w.failed = w.handshake_errno;
  if (w.peer >= 0) close(w.peer);
  if (w.handshake_errno != 0) {
    close(fd);
    fail(out, "the execward server is not reachable", w.handshake_errno);
    return;
  }
  if (w.failed) {
    close(fd);
    fail(out, "the execward server closed the connection while receiving the request", w.failed);
    return;
  }

  char response[2048];
  long length = read_frame(fd, response, sizeof response);
  if (length < 0) {
    int err = errno;
    close(fd);
    fail(out, err == E2BIG ? "the execward server sent an oversized response" : "no response from the execward server", err == E2BIG ? 0 : err);
    return;
  }
  if (parse_response(response, (size_t)length, out) != 0) {
    close(fd);
    fail(out, "the execward server sent a malformed response", 0);
    return;
  }
  if (out->action == EW_ACTION_ESCALATE) {
    out->stream_fd = fd;
  } else {
    close(fd);
  }
}

/* {"exit_code":N[,"signal":S]} */
static int parse_result(const char *json, size_t length, int *exit_code, int *signal) {
  reader_t r = {json, json + length};
  char key[32];
  int have_code = 0;
  long v;
  *signal = 0;
  if (!r_char(&r, '{') || r_char(&r, '}')) return -1;
  do {
    if (r_string(&r, key, sizeof key) != 0 || !r_char(&r, ':')) return -1;
    if (ew_streq(key, "exit_code")) {
      if (r_int(&r, &v) != 0) return -1;
      *exit_code = (int)v;
      have_code = 1;
    } else if (ew_streq(key, "signal")) {
      r_ws(&r);
      if (r_literal(&r, "null") == 0) continue;
      if (r_int(&r, &v) != 0 || v < 0 || v > 64) return -1;
      *signal = (int)v;
    } else if (r_skip(&r, 0) != 0) {
      return -1;
    }
  } while (r_char(&r, ','));
  if (!r_char(&r, '}')) return -1;
  return have_code ? 0 : -1;
}

int ew_super_exec(int stream_fd, int *exit_code, int *signal, char message[EW_MESSAGE_BYTES]) {
  int fds[3];
  for (int i = 0; i < 3; i++) {
    fds[i] = fcntl(i, F_DUPFD_CLOEXEC, 3);
    if (fds[i] < 0) fds[i] = open("/dev/null", O_RDWR | O_CLOEXEC);
  }
  static const char body[] = "{\"fds\":[0,1,2]}";
  char frame[4 + sizeof body - 1];
  frame[0] = (char)(sizeof body - 1);
  frame[1] = frame[2] = frame[3] = 0;
  memcpy(frame + 4, body, sizeof body - 1);
  int ok = fds[0] >= 0 && fds[1] >= 0 && fds[2] >= 0;
  int sent = ok ? ew_send_with_fds(stream_fd, frame, sizeof frame, fds, 3) : -1;
  int err = errno;
  for (int i = 0; i < 3; i++) {
    if (fds[i] >= 0) close(fds[i]);
  }
  if (sent != 0) {
    close(stream_fd);
    ew_copy(message, EW_MESSAGE_BYTES, ok ? "could not hand the standard streams to the execward server" : "could not duplicate the standard streams");
    (void)err;
    return -1;
  }
  char result[512];
  long length = read_frame(stream_fd, result, sizeof result);
  close(stream_fd);
  if (length < 0) {
    ew_copy(message, EW_MESSAGE_BYTES, "lost the execward server while the escalated program ran");
    return -1;
  }
  if (parse_result(result, (size_t)length, exit_code, signal) != 0) {
    ew_copy(message, EW_MESSAGE_BYTES, "the execward server sent a malformed result");
    return -1;
  }
  return 0;
}

void ew_exit_like(int exit_code, int signal) {
  if (signal > 0) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = SIG_DFL;
    sigaction(signal, &action, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signal);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    kill(getpid(), signal);
    _exit(128 + signal);
  }
  _exit(exit_code & 0xFF);
}
