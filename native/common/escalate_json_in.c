/*
 * The server's answers, parsed: a small strict JSON reader for the decision and for the
 * escalated program's result. Anything unexpected is a parse failure (-1).
 *
 * Part of the escalation client (escalate_client.c), under the same rules: async-signal-safe, no
 * malloc, no stdio, no locks, fixed buffers, raw syscalls.
 */
#define _GNU_SOURCE
#include "escalate_json_in.h"

#include <stdint.h>
#include <string.h>

#include "escalate_client.h"

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
int ew_parse_response(const char *json, size_t length, ew_decision_t *out) {
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

/* {"exit_code":N[,"signal":S]} */
int ew_parse_result(const char *json, size_t length, int *exit_code, int *signal) {
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
