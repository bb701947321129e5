/*
 * String helpers for the hook, the wrapper and the sandbox init: lengths, comparison,
 * bounded copies, integers, stderr messages, descriptor numbers in environment values.
 *
 * Part of the escalation client (escalate_client.c), under the same rules: async-signal-safe, no
 * malloc, no stdio, no locks, fixed buffers, raw syscalls.
 */
#define _GNU_SOURCE
#include "escalate_client.h"

#include <errno.h>
#include <unistd.h>

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
