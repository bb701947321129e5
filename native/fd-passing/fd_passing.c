/*
 * fd_passing: the escalation server's Unix-socket primitives, for Node.
 *
 * Node cannot send or receive file descriptors (SCM_RIGHTS) on a Unix socket it did not create
 * as an IPC channel, so the server side of the escalation protocol needs these few calls:
 *
 *   socketpair(stream: boolean) -> [fd, fd]      both ends close-on-exec
 *   setNonBlocking(fd)
 *   recvmsg(fd, maxBytes) -> { data: Buffer, fds: number[] } | null (would block)
 *                                                 data.length === 0 with no fds: end of stream
 *   sendmsg(fd, data: Buffer, fds: number[]) -> bytes written (0 if it would block)
 *   writeNoWait(fd, data: Buffer) -> bytes written   never waits for a full pipe or socket
 *                                                 (EAGAIN or EOPNOTSUPP thrown instead); see
 *                                                 escalated_write_no_wait (escalated_spawn.h)
 *   close(fd)
 *   tryLock(fd, exclusive) -> boolean            flock(LOCK_SH | LOCK_EX, non-blocking)
 *   watch(fd, callback) -> Watcher { start(readable, writable), stop(), close() }
 *   relay(fdA, fdB, callback)                    kernel-side tunnel relaying (fd_relay.c)
 *   peerPid(fd) -> number                        SO_PEERCRED pid as this process's pid namespace
 *                                                 sees it (0: the peer is not visible here)
 *   openAt2(dirfd, path: Buffer, flags, resolve) -> fd   openat2(2), always close-on-exec; the
 *                                                 escalation server resolves a requester's path
 *                                                 inside the requester's root with it
 *   openViewed(...) / sameFileAt(...) / readHead(fd, maxBytes)
 *                                                 one file's identity, canonical path and first
 *                                                 bytes, one call each (file_view.c)
 *   spawnEscalated(...) / reapEscalated(pidfd)    start an escalated program from the judged
 *                                                 host descriptors (escalated_spawn.c)
 *
 * Invariants:
 * - Nothing here blocks: every socket the server reads is non-blocking, and readiness comes
 *   from libuv's poll handles on the event loop (never a threadpool thread per connection, so
 *   any number of pending escalations cannot starve the pool or deadlock).
 * - Received descriptors are close-on-exec (MSG_CMSG_CLOEXEC) and at most 16 per message, as
 *   the protocol allows; a message whose control data was truncated closes what it received and
 *   reports an error instead of losing descriptors.
 * - Errors become JavaScript exceptions with `code` set to the errno name (EBADF, EPIPE...).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <uv.h>

#include "escalated_spawn.h"
#include "fd_relay.h"
#include "file_view.h"
#include "napi_errors.h"

#define MAX_FDS 16

static napi_value throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

static int get_fd(napi_env env, napi_value value, int *fd) {
  return napi_get_value_int32(env, value, fd) == napi_ok && *fd >= 0;
}

static napi_value js_socketpair(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bool stream = false;
  if (argc < 1 || napi_get_value_bool(env, argv[0], &stream) != napi_ok) {
    return throw_type(env, "socketpair(stream: boolean)");
  }
  int fds[2];
  if (socketpair(AF_UNIX, (stream ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0, fds) != 0) {
    return ew_throw_errno(env, "socketpair", errno);
  }
  napi_value result, a, b;
  napi_create_array_with_length(env, 2, &result);
  napi_create_int32(env, fds[0], &a);
  napi_create_int32(env, fds[1], &b);
  napi_set_element(env, result, 0, a);
  napi_set_element(env, result, 1, b);
  return result;
}

static napi_value js_set_non_blocking(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int fd;
  if (argc < 1 || !get_fd(env, argv[0], &fd)) return throw_type(env, "setNonBlocking(fd)");
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) return ew_throw_errno(env, "fcntl", errno);
  return NULL;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int fd;
  if (argc < 1 || !get_fd(env, argv[0], &fd)) return throw_type(env, "close(fd)");
  if (close(fd) != 0 && errno != EINTR) return ew_throw_errno(env, "close", errno);
  return NULL;
}

/* peerPid(fd) -> the pid of the socket's peer (at its creation), 0 when not visible here. */
static napi_value js_peer_pid(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int fd;
  if (argc < 1 || !get_fd(env, argv[0], &fd)) return throw_type(env, "peerPid(fd)");
  struct ucred cred;
  socklen_t length = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) return ew_throw_errno(env, "getsockopt", errno);
  napi_value result;
  napi_create_int32(env, cred.pid, &result);
  return result;
}

/* openAt2(dirfd, path: Buffer, flags, resolve) -> fd (O_CLOEXEC added). dirfd -100: AT_FDCWD. */
static napi_value js_open_at2(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int fd = file_view_open_argument(env, argv, argc, "openAt2(dirfd, path: Buffer, flags, resolve)");
  if (fd == -2) return NULL;
  if (fd < 0) return ew_throw_errno(env, "openat2", errno);
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}

/* writeNoWait(fd, data: Buffer) -> bytes written, never waiting on a pipe or socket. */
static napi_value js_write_no_wait(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int fd;
  void *data = NULL;
  size_t length = 0;
  bool is_buffer = false;
  if (argc < 2 || !get_fd(env, argv[0], &fd) || napi_is_buffer(env, argv[1], &is_buffer) != napi_ok ||
      !is_buffer || napi_get_buffer_info(env, argv[1], &data, &length) != napi_ok)
    return throw_type(env, "writeNoWait(fd, data: Buffer)");
  ssize_t n = escalated_write_no_wait(fd, data, length);
  if (n < 0) return ew_throw_errno(env, "write", errno);
  napi_value result;
  napi_create_int64(env, (int64_t)n, &result);
  return result;
}

/* tryLock(fd, exclusive) -> true if taken, false if somebody else holds a conflicting lock. */
static napi_value js_try_lock(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int fd;
  bool exclusive = false;
  if (argc < 2 || !get_fd(env, argv[0], &fd) || napi_get_value_bool(env, argv[1], &exclusive) != napi_ok)
    return throw_type(env, "tryLock(fd, exclusive)");
  int rc;
  do {
    rc = flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0 && errno != EWOULDBLOCK) return ew_throw_errno(env, "flock", errno);
  napi_value result;
  napi_get_boolean(env, rc == 0, &result);
  return result;
}

/* Reads of up to this size land on the stack; larger ones in a heap block freed before returning. */
#define RECV_STACK_BYTES (16 * 1024)

static napi_value js_recvmsg(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int fd, max_bytes;
  if (argc < 2 || !get_fd(env, argv[0], &fd) || napi_get_value_int32(env, argv[1], &max_bytes) != napi_ok ||
      max_bytes <= 0 || max_bytes > (64 << 20)) {
    return throw_type(env, "recvmsg(fd, maxBytes)");
  }
  /*
   * Received into scratch memory, returned as a Buffer of exactly the bytes read: a JavaScript
   * Buffer of maxBytes per call (most calls read a few hundred bytes, or nothing) was garbage
   * that V8 counts as external memory, and it set off major collections on every exec loop.
   */
  char stack_data[RECV_STACK_BYTES];
  char *data = stack_data;
  if (max_bytes > RECV_STACK_BYTES) {
    data = malloc((size_t)max_bytes);
    if (data == NULL) return ew_throw_errno(env, "recvmsg", ENOMEM);
  }
  union {
    char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
    struct cmsghdr align;
  } control;
  struct iovec iov = {.iov_base = data, .iov_len = (size_t)max_bytes};
  struct msghdr msg = {0};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.buf;
  msg.msg_controllen = sizeof control.buf;
  ssize_t n;
  do {
    n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  napi_value result = NULL;
  if (n < 0) {
    int err = errno;
    if (err == EAGAIN || err == EWOULDBLOCK) {
      napi_get_null(env, &result);
    } else {
      ew_throw_errno(env, "recvmsg", err);
    }
    if (data != stack_data) free(data);
    return result;
  }
  int received[MAX_FDS * 2];
  size_t count = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < k && count < MAX_FDS * 2; i++) memcpy(&received[count++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
    }
  }
  if (msg.msg_flags & MSG_CTRUNC) {
    for (size_t i = 0; i < count; i++) close(received[i]);
    if (data != stack_data) free(data);
    return ew_throw_errno(env, "recvmsg: too many descriptors (control data truncated)", EMSGSIZE);
  }
  napi_value fds, buffer;
  void *copy;
  napi_status status = napi_create_buffer_copy(env, (size_t)n, data, &copy, &buffer);
  if (data != stack_data) free(data);
  if (status != napi_ok) {
    for (size_t i = 0; i < count; i++) close(received[i]);
    return ew_throw_errno(env, "recvmsg", ENOMEM);
  }
  napi_create_object(env, &result);
  napi_create_array_with_length(env, count, &fds);
  for (size_t i = 0; i < count; i++) {
    napi_value v;
    napi_create_int32(env, received[i], &v);
    napi_set_element(env, fds, (uint32_t)i, v);
  }
  napi_set_named_property(env, result, "data", buffer);
  napi_set_named_property(env, result, "fds", fds);
  return result;
}

static napi_value js_sendmsg(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int fd;
  void *data;
  size_t length;
  bool is_buffer = false;
  if (argc < 2 || !get_fd(env, argv[0], &fd) || napi_is_buffer(env, argv[1], &is_buffer) != napi_ok || !is_buffer ||
      napi_get_buffer_info(env, argv[1], &data, &length) != napi_ok) {
    return throw_type(env, "sendmsg(fd, data: Buffer, fds?: number[])");
  }
  int fds[MAX_FDS];
  uint32_t count = 0;
  if (argc >= 3) {
    bool is_array = false;
    napi_is_array(env, argv[2], &is_array);
    if (is_array) {
      napi_get_array_length(env, argv[2], &count);
      if (count > MAX_FDS) return ew_throw_errno(env, "sendmsg: too many descriptors", EINVAL);
      for (uint32_t i = 0; i < count; i++) {
        napi_value v;
        napi_get_element(env, argv[2], i, &v);
        if (!get_fd(env, v, &fds[i])) return throw_type(env, "sendmsg: fds must be non-negative integers");
      }
    }
  }
  union {
    char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
    struct cmsghdr align;
  } control;
  struct iovec iov = {.iov_base = data, .iov_len = length};
  struct msghdr msg = {0};
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
    n = sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) n = 0;
    else return ew_throw_errno(env, "sendmsg", errno);
  }
  napi_value result;
  napi_create_int64(env, (int64_t)n, &result);
  return result;
}

/* ---- readiness watchers on the event loop ---- */

typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_async_context async_context;
  int closed;     /* close() ran: the poll handle is stopped and closing */
  int uv_closed;  /* libuv finished closing the handle */
  int finalized;  /* the JavaScript object was garbage-collected */
} watcher_t;

/* The struct is shared by the libuv handle and the JS wrapper: freed when both are done. */
static void maybe_free(watcher_t *w) {
  if (w->uv_closed && w->finalized) free(w);
}

static void on_poll_closed(uv_handle_t *handle) {
  watcher_t *w = handle->data;
  w->uv_closed = 1;
  maybe_free(w);
}

static void watcher_close(watcher_t *w) {
  if (w->closed) return;
  w->closed = 1;
  uv_poll_stop(&w->poll);
  napi_delete_reference(w->env, w->callback);
  napi_async_destroy(w->env, w->async_context);
  w->poll.data = w;
  uv_close((uv_handle_t *)&w->poll, on_poll_closed);
}

static void on_poll(uv_poll_t *handle, int status, int events) {
  watcher_t *w = handle->data;
  if (w->closed) return;
  napi_env env = w->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value callback, global, args[3], ignored;
  napi_get_reference_value(env, w->callback, &callback);
  napi_get_global(env, &global);
  napi_create_int32(env, status, &args[0]);
  napi_get_boolean(env, (events & UV_READABLE) != 0, &args[1]);
  napi_get_boolean(env, (events & UV_WRITABLE) != 0, &args[2]);
  napi_make_callback(env, w->async_context, global, callback, 3, args, &ignored);
  napi_close_handle_scope(env, scope);
}

static watcher_t *unwrap_watcher(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  void *data = NULL;
  napi_get_cb_info(env, info, argc, argv, &self, NULL);
  if (napi_unwrap(env, self, &data) != napi_ok || data == NULL) {
    napi_throw_error(env, NULL, "not a watcher");
    return NULL;
  }
  return data;
}

static napi_value watcher_start(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  watcher_t *w = unwrap_watcher(env, info, &argc, argv);
  if (w == NULL) return NULL;
  if (w->closed) return throw_type(env, "watcher is closed");
  bool readable = false, writable = false;
  if (argc >= 1) napi_get_value_bool(env, argv[0], &readable);
  if (argc >= 2) napi_get_value_bool(env, argv[1], &writable);
  int events = (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0);
  int rc = events == 0 ? uv_poll_stop(&w->poll) : uv_poll_start(&w->poll, events, on_poll);
  if (rc != 0) return ew_throw_errno(env, "uv_poll_start", -rc);
  return NULL;
}

static napi_value watcher_close_js(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  watcher_t *w = unwrap_watcher(env, info, &argc, NULL);
  if (w != NULL) watcher_close(w);
  return NULL;
}

static void watcher_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  watcher_t *w = data;
  watcher_close(w);
  w->finalized = 1;
  maybe_free(w);
}

/*
 * Watchers are instances of one class (FdWatcher, defined once per environment, its methods on
 * the prototype): creating two functions for every watcher (two per escalated exec) cost a V8
 * function template each, tens of microseconds per exec.
 */
static napi_value watcher_construct(napi_env env, napi_callback_info info) {
  napi_value self;
  napi_get_cb_info(env, info, NULL, NULL, &self, NULL);
  return self;
}

static void free_class_ref(napi_env env, void *data, void *hint) {
  (void)hint;
  napi_delete_reference(env, (napi_ref)data);
}

static napi_value js_watch(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int fd;
  napi_valuetype type;
  if (argc < 2 || !get_fd(env, argv[0], &fd) || napi_typeof(env, argv[1], &type) != napi_ok || type != napi_function) {
    return throw_type(env, "watch(fd, callback(status, readable, writable))");
  }
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return throw_type(env, "no event loop");
  napi_ref class_ref = NULL;
  napi_value constructor, object;
  if (napi_get_instance_data(env, (void **)&class_ref) != napi_ok || class_ref == NULL ||
      napi_get_reference_value(env, class_ref, &constructor) != napi_ok ||
      napi_new_instance(env, constructor, 0, NULL, &object) != napi_ok) {
    return throw_type(env, "watch: the watcher class is not available");
  }
  watcher_t *w = calloc(1, sizeof *w);
  if (w == NULL) return ew_throw_errno(env, "watch", ENOMEM);
  int rc = uv_poll_init(loop, &w->poll, fd);
  if (rc != 0) {
    free(w);
    return ew_throw_errno(env, "uv_poll_init", -rc);
  }
  w->poll.data = w;
  w->env = env;
  napi_create_reference(env, argv[1], 1, &w->callback);
  napi_value resource_name;
  napi_create_string_utf8(env, "execward.fdWatcher", NAPI_AUTO_LENGTH, &resource_name);
  napi_async_init(env, NULL, resource_name, &w->async_context);
  napi_wrap(env, object, w, watcher_finalize, NULL, NULL);
  return object;
}

/* The FdWatcher class, kept as the environment's instance data for js_watch. */
static int define_watcher_class(napi_env env) {
  napi_property_descriptor methods[] = {
      {"start", NULL, watcher_start, NULL, NULL, NULL, napi_default_method, NULL},
      {"close", NULL, watcher_close_js, NULL, NULL, NULL, napi_default_method, NULL},
  };
  napi_value constructor;
  napi_ref class_ref;
  if (napi_define_class(env, "FdWatcher", NAPI_AUTO_LENGTH, watcher_construct, NULL, 2, methods, &constructor) !=
          napi_ok ||
      napi_create_reference(env, constructor, 1, &class_ref) != napi_ok) {
    return -1;
  }
  if (napi_set_instance_data(env, class_ref, free_class_ref, NULL) != napi_ok) {
    napi_delete_reference(env, class_ref);
    return -1;
  }
  return 0;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"socketpair", NULL, js_socketpair, NULL, NULL, NULL, napi_default, NULL},
      {"relay", NULL, fd_relay_js, NULL, NULL, NULL, napi_default, NULL},
      {"setNonBlocking", NULL, js_set_non_blocking, NULL, NULL, NULL, napi_default, NULL},
      {"recvmsg", NULL, js_recvmsg, NULL, NULL, NULL, napi_default, NULL},
      {"sendmsg", NULL, js_sendmsg, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
      {"tryLock", NULL, js_try_lock, NULL, NULL, NULL, napi_default, NULL},
      {"watch", NULL, js_watch, NULL, NULL, NULL, napi_default, NULL},
      {"peerPid", NULL, js_peer_pid, NULL, NULL, NULL, napi_default, NULL},
      {"openAt2", NULL, js_open_at2, NULL, NULL, NULL, napi_default, NULL},
      {"writeNoWait", NULL, js_write_no_wait, NULL, NULL, NULL, napi_default, NULL},
      {"openViewed", NULL, file_view_open_js, NULL, NULL, NULL, napi_default, NULL},
      {"sameFileAt", NULL, file_view_same_js, NULL, NULL, NULL, napi_default, NULL},
      {"readHead", NULL, file_view_head_js, NULL, NULL, NULL, napi_default, NULL},
      {"spawnEscalated", NULL, escalated_spawn_js, NULL, NULL, NULL, napi_default, NULL},
      {"reapEscalated", NULL, escalated_reap_js, NULL, NULL, NULL, napi_default, NULL},
  };
  if (define_watcher_class(env) != 0) {
    napi_throw_error(env, NULL, "fd_passing: cannot define the watcher class");
    return NULL;
  }
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
