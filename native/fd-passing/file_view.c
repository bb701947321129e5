/*
 * file_view: what the escalation server needs to know about one file, in one call each, for
 * program-inspection.ts (which decides what every answer means):
 *
 *   openViewed(dirfd, path: Buffer, flags, resolve)
 *       -> { fd, dev: bigint, ino: bigint, canonical: string, regular: boolean } | null
 *     openat2(2) (close-on-exec added; dirfd -100: AT_FDCWD), then fstat(2) of that descriptor
 *     and readlink(2) of /proc/self/fd/<fd>: the identity and the canonical path are of the
 *     opened file itself, never of a second lookup by path. null: the file cannot be opened
 *     there (any error: nothing is judged on a file that was not found). The descriptor is the
 *     caller's.
 *   sameFileAt(dirfd, path: Buffer, flags, resolve, dev: bigint, ino: bigint) -> boolean
 *     whether the path opens (as openViewed would) the file with that device and inode; the
 *     descriptor is closed before returning. For a name whose only question is "is it that
 *     file?": no canonical path, no descriptor to hold.
 *   readHead(fd, maxBytes) -> Buffer | null
 *     the first bytes (at most 4096) of the file behind an O_PATH descriptor, read through
 *     /proc/self/fd/<fd> opened O_RDONLY | O_NONBLOCK | O_NOCTTY; null: it cannot be read.
 *
 * Why in C: each file of an escalated exec was three calls into Node (openat2, fstat, readlink,
 * each with its own argument checks, result objects and, on failure, an exception with a stack
 * trace), and an escalated exec looks at five or more files; one call per file is a fraction
 * of that on every exec.
 *
 * Failures never throw (they are answers); only misuse (wrong argument types) does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "file_view.h"

#define HEAD_MAX 4096

static napi_value null_value(napi_env env) {
  napi_value result;
  napi_get_null(env, &result);
  return result;
}

static void proc_fd_path(char *out, size_t size, int fd) { snprintf(out, size, "/proc/self/fd/%d", fd); }

/* See file_view.h: openat2 from the first four arguments, shared with fd_passing.c's openAt2. */
int file_view_open_argument(napi_env env, napi_value *argv, size_t argc, const char *usage) {
  int dirfd, flags, resolve;
  void *data = NULL;
  size_t length = 0;
  bool is_buffer = false;
  if (argc < 4 || napi_get_value_int32(env, argv[0], &dirfd) != napi_ok ||
      napi_is_buffer(env, argv[1], &is_buffer) != napi_ok || !is_buffer ||
      napi_get_buffer_info(env, argv[1], &data, &length) != napi_ok ||
      napi_get_value_int32(env, argv[2], &flags) != napi_ok || napi_get_value_int32(env, argv[3], &resolve) != napi_ok) {
    napi_throw_type_error(env, NULL, usage);
    return -2;
  }
  if (length == 0 || length >= PATH_MAX || memchr(data, 0, length) != NULL) {
    errno = length == 0 ? ENOENT : length >= PATH_MAX ? ENAMETOOLONG : EINVAL;
    return -1;
  }
  char path[PATH_MAX];
  memcpy(path, data, length);
  path[length] = '\0';
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = (unsigned long long)(unsigned int)flags | O_CLOEXEC;
  how.resolve = (unsigned long long)(unsigned int)resolve;
  long fd;
  do {
    fd = syscall(SYS_openat2, dirfd == -100 ? AT_FDCWD : dirfd, path, &how, sizeof how);
  } while (fd < 0 && (errno == EINTR || errno == EAGAIN));
  return fd < 0 ? -1 : (int)fd;
}

napi_value file_view_open_js(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int fd = file_view_open_argument(env, argv, argc, "openViewed(dirfd, path: Buffer, flags, resolve)");
  if (fd == -2) return NULL;
  if (fd < 0) return null_value(env);
  struct stat st;
  char link[64];
  char canonical[PATH_MAX];
  proc_fd_path(link, sizeof link, (int)fd);
  ssize_t n = fstat((int)fd, &st) == 0 ? readlink(link, canonical, sizeof canonical) : -1;
  /*
   * The kernel gives a /proc/self/fd link whole (up to PATH_MAX - 1 bytes) or not at all; only a
   * result that fills the whole buffer could be cut short (and leaves no room for the NUL). A
   * 4095-byte path is a real path: refusing it made the program "not found" and its #! chain
   * unread.
   */
  if (n <= 0 || (size_t)n >= sizeof canonical) {
    close((int)fd);
    return null_value(env);
  }
  canonical[n] = '\0';
  napi_value result, fd_value, dev, ino, canonical_value, regular;
  if (napi_create_object(env, &result) != napi_ok || napi_create_int32(env, (int)fd, &fd_value) != napi_ok ||
      napi_create_bigint_uint64(env, (uint64_t)st.st_dev, &dev) != napi_ok ||
      napi_create_bigint_uint64(env, (uint64_t)st.st_ino, &ino) != napi_ok ||
      napi_create_string_utf8(env, canonical, (size_t)n, &canonical_value) != napi_ok ||
      napi_get_boolean(env, S_ISREG(st.st_mode), &regular) != napi_ok) {
    close((int)fd);
    return NULL;
  }
  napi_set_named_property(env, result, "fd", fd_value);
  napi_set_named_property(env, result, "dev", dev);
  napi_set_named_property(env, result, "ino", ino);
  napi_set_named_property(env, result, "canonical", canonical_value);
  napi_set_named_property(env, result, "regular", regular);
  return result;
}

napi_value file_view_same_js(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  const char *usage = "sameFileAt(dirfd, path: Buffer, flags, resolve, dev: bigint, ino: bigint)";
  uint64_t dev = 0, ino = 0;
  bool lossless = false;
  if (argc < 6 || napi_get_value_bigint_uint64(env, argv[4], &dev, &lossless) != napi_ok || !lossless ||
      napi_get_value_bigint_uint64(env, argv[5], &ino, &lossless) != napi_ok || !lossless) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  int fd = file_view_open_argument(env, argv, argc, usage);
  if (fd == -2) return NULL;
  struct stat st;
  bool same = fd >= 0 && fstat(fd, &st) == 0 && (uint64_t)st.st_dev == dev && (uint64_t)st.st_ino == ino;
  if (fd >= 0) close(fd);
  napi_value result;
  napi_get_boolean(env, same, &result);
  return result;
}

napi_value file_view_head_js(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int fd, max_bytes;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0 ||
      napi_get_value_int32(env, argv[1], &max_bytes) != napi_ok || max_bytes <= 0 || max_bytes > HEAD_MAX) {
    napi_throw_type_error(env, NULL, "readHead(fd, maxBytes <= 4096)");
    return NULL;
  }
  char link[64];
  proc_fd_path(link, sizeof link, fd);
  int readable = open(link, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (readable < 0) return null_value(env);
  char head[HEAD_MAX];
  ssize_t n;
  do {
    n = pread(readable, head, (size_t)max_bytes, 0);
  } while (n < 0 && errno == EINTR);
  close(readable);
  if (n < 0) return null_value(env);
  napi_value result;
  void *copy;
  if (napi_create_buffer_copy(env, (size_t)n, head, &copy, &result) != napi_ok) return NULL;
  return result;
}
