/*
 * What really runs (ew_resolve): the canonical path of the program, whether it is anonymous
 * (memfd, deleted), and its #! interpreters as the kernel follows them.
 *
 * Part of the escalation client (escalate_client.c), under the same rules: async-signal-safe, no
 * malloc, no stdio, no locks, fixed buffers, raw syscalls.
 */
#define _GNU_SOURCE
#include "escalate_client.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
