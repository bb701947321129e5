/*
 * Socket I/O of the escalation client: whole sends and receives, retried on EINTR and
 * never raising SIGPIPE, one length-prefixed frame in, data with descriptors out (SCM_RIGHTS).
 *
 * Part of the escalation client (escalate_client.c), under the same rules: async-signal-safe, no
 * malloc, no stdio, no locks, fixed buffers, raw syscalls.
 */
#define _GNU_SOURCE
#include "escalate_socket.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "escalate_client.h"
#include "escalate_protocol.h"

int ew_send_all(int fd, const char *p, size_t n) {
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
long ew_read_frame(int fd, char *buf, size_t cap) {
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
  return ew_send_all(fd, data + n, length - (size_t)n);
}
