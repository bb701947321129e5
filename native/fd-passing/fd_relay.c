/*
 * fd_relay: relays bytes between two connected stream sockets inside the kernel (splice through
 * a pipe per direction), for the network proxy's tunnels. A userland relay in Node copies every
 * byte twice through JavaScript buffers and reaches about half of a direct loopback
 * connection's throughput; this keeps the bytes in the kernel.
 *
 *   relay(fdA, fdB, idleMs, callback(error: string | null, bytesAtoB: number, bytesBtoA: number))
 *     -> cancel(): ends the relay now (both connections closed); harmless once it has ended
 *
 * Invariants:
 * - relay() duplicates both descriptors and owns the duplicates: the caller closes its own
 *   copies (its JavaScript sockets) once relay() returns, without ending the connections.
 * - Nothing blocks: the sockets and pipes are non-blocking and driven by libuv poll handles on
 *   the event loop, never a thread per connection.
 * - Backpressure: a direction reads from its source only while its pipe has room, so a slow
 *   reader slows its writer down and memory stays bounded (one pipe buffer per direction).
 * - A tunnel with no bytes moving either way for idleMs (0: never) is ended, as the proxy's
 *   JavaScript side ends idle connections.
 * - End of stream on one side is passed on as a half-close (shutdown SHUT_WR) once the pipe is
 *   drained; any error ends both directions. The callback runs exactly once, after everything
 *   is closed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "fd_relay.h"

#define PIPE_BYTES (4 * 1024 * 1024)

typedef struct {
  int in_fd, out_fd;
  int pipe_r, pipe_w;
  size_t capacity;
  size_t buffered;
  int eof;
  int shut;
  uint64_t bytes;
} direction_t;

typedef struct relay relay_t;

/* What the JavaScript cancel function holds: cleared when the relay is freed. */
typedef struct {
  relay_t *relay;
} token_t;

struct relay {
  token_t *token;
  napi_env env;
  napi_ref callback;
  napi_async_context async;
  int fd[2];
  uv_poll_t poll[2];
  int polling[2]; /* the events each poll handle waits for now (0: stopped) */
  direction_t dir[2]; /* dir[0]: fd[0] -> fd[1]; dir[1]: fd[1] -> fd[0] */
  int finishing;
  int handles_open;
  uv_timer_t idle_timer;
  uint64_t idle_ms;
  uint64_t last_activity;
  char error[128];
};

static void set_error(relay_t *r, const char *what, int err) {
  if (r->error[0] == '\0') snprintf(r->error, sizeof r->error, "%s: %s", what, strerror(err));
}

/* Moves what it can in one direction; returns -1 on a fatal error. */
static int pump(relay_t *r, direction_t *d) {
  uv_loop_t *loop = r->idle_timer.loop;
  for (;;) {
    int progressed = 0;
    while (!d->eof && d->buffered < d->capacity) {
      ssize_t n = splice(d->in_fd, NULL, d->pipe_w, NULL, d->capacity - d->buffered,
                         SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
      if (n > 0) {
        d->buffered += (size_t)n;
        progressed = 1;
      } else if (n == 0) {
        d->eof = 1;
      } else if (errno == EAGAIN || errno == EINTR) {
        break;
      } else {
        set_error(r, "reading", errno);
        return -1;
      }
    }
    while (d->buffered > 0) {
      ssize_t n = splice(d->pipe_r, NULL, d->out_fd, NULL, d->buffered,
                         SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
      if (n > 0) {
        d->buffered -= (size_t)n;
        d->bytes += (uint64_t)n;
        progressed = 1;
      } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        break;
      } else {
        set_error(r, "writing", n == 0 ? EPIPE : errno);
        return -1;
      }
    }
    if (d->eof && d->buffered == 0 && !d->shut) {
      shutdown(d->out_fd, SHUT_WR);
      d->shut = 1;
    }
    if (!progressed) return 0;
    r->last_activity = uv_now(loop);
  }
}

static void on_handle_closed(uv_handle_t *handle);
static void on_poll(uv_poll_t *handle, int status, int events);

static void finish(relay_t *r) {
  if (r->finishing) return;
  r->finishing = 1;
  for (int i = 0; i < 2; i++) {
    if (r->polling[i]) uv_poll_stop(&r->poll[i]);
    uv_close((uv_handle_t *)&r->poll[i], on_handle_closed);
  }
  uv_timer_stop(&r->idle_timer);
  uv_close((uv_handle_t *)&r->idle_timer, on_handle_closed);
}

static void on_handle_closed(uv_handle_t *handle) {
  relay_t *r = handle->data;
  if (--r->handles_open > 0) return;
  for (int i = 0; i < 2; i++) {
    close(r->fd[i]);
    close(r->dir[i].pipe_r);
    close(r->dir[i].pipe_w);
  }
  napi_env env = r->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value callback, global, argv[3], result;
  napi_get_reference_value(env, r->callback, &callback);
  napi_get_global(env, &global);
  if (r->error[0] != '\0') napi_create_string_utf8(env, r->error, NAPI_AUTO_LENGTH, &argv[0]);
  else napi_get_null(env, &argv[0]);
  napi_create_double(env, (double)r->dir[0].bytes, &argv[1]);
  napi_create_double(env, (double)r->dir[1].bytes, &argv[2]);
  napi_make_callback(env, r->async, global, callback, 3, argv, &result);
  napi_delete_reference(env, r->callback);
  napi_async_destroy(env, r->async);
  napi_close_handle_scope(env, scope);
  if (r->token != NULL) r->token->relay = NULL;
  free(r);
}

/* Recomputes what each socket must wait for; finishes when both directions are done. */
static void rearm(relay_t *r) {
  if (r->dir[0].shut && r->dir[1].shut) {
    finish(r);
    return;
  }
  for (int i = 0; i < 2; i++) {
    direction_t *reading = &r->dir[i];     /* fd[i] is its source */
    direction_t *writing = &r->dir[1 - i]; /* fd[i] is its destination */
    int events = 0;
    if (!reading->eof && reading->buffered < reading->capacity) events |= UV_READABLE;
    if (writing->buffered > 0) events |= UV_WRITABLE;
    if (events == r->polling[i]) continue; /* unchanged: spare the epoll_ctl */
    if (events != 0) uv_poll_start(&r->poll[i], events, on_poll);
    else uv_poll_stop(&r->poll[i]);
    r->polling[i] = events;
  }
}

static void on_idle_check(uv_timer_t *timer) {
  relay_t *r = timer->data;
  if (r->finishing) return;
  if (uv_now(timer->loop) - r->last_activity >= r->idle_ms) {
    set_error(r, "relay", ETIMEDOUT);
    finish(r);
  }
}

static void on_poll(uv_poll_t *handle, int status, int events) {
  relay_t *r = handle->data;
  if (r->finishing) return;
  if (status < 0) {
    set_error(r, "poll", -status);
    finish(r);
    return;
  }
  (void)events;
  if (pump(r, &r->dir[0]) < 0 || pump(r, &r->dir[1]) < 0) {
    finish(r);
    return;
  }
  rearm(r);
}

static int open_pipe(direction_t *d) {
  int p[2];
  if (pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0) return -1;
  d->pipe_r = p[0];
  d->pipe_w = p[1];
  /* As large as allowed: 4 MiB with CAP_SYS_RESOURCE, else the system's maximum (1 MiB). */
  int size = fcntl(d->pipe_w, F_SETPIPE_SZ, PIPE_BYTES);
  if (size <= 0) size = fcntl(d->pipe_w, F_SETPIPE_SZ, 1024 * 1024);
  if (size <= 0) size = fcntl(d->pipe_w, F_GETPIPE_SZ);
  d->capacity = size > 0 ? (size_t)size : 65536;
  return 0;
}

static napi_value cancel_js(napi_env env, napi_callback_info info) {
  token_t *token = NULL;
  napi_get_cb_info(env, info, NULL, NULL, NULL, (void **)&token);
  if (token != NULL && token->relay != NULL) {
    set_error(token->relay, "relay", ECANCELED);
    finish(token->relay);
  }
  return NULL;
}

static void token_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  token_t *token = data;
  if (token->relay != NULL) token->relay->token = NULL;
  free(token);
}

napi_value fd_relay_js(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int a, b;
  double idle_ms;
  napi_valuetype type;
  if (argc < 4 || napi_get_value_int32(env, argv[0], &a) != napi_ok || napi_get_value_int32(env, argv[1], &b) != napi_ok ||
      napi_get_value_double(env, argv[2], &idle_ms) != napi_ok || idle_ms < 0 || a < 0 || b < 0 ||
      napi_typeof(env, argv[3], &type) != napi_ok || type != napi_function) {
    napi_throw_type_error(env, NULL, "relay(fdA, fdB, idleMs, callback)");
    return NULL;
  }
  relay_t *r = calloc(1, sizeof *r);
  if (r == NULL) {
    napi_throw_error(env, "ENOMEM", "relay: out of memory");
    return NULL;
  }
  r->env = env;
  r->fd[0] = fcntl(a, F_DUPFD_CLOEXEC, 3);
  r->fd[1] = fcntl(b, F_DUPFD_CLOEXEC, 3);
  r->dir[0].pipe_r = r->dir[0].pipe_w = r->dir[1].pipe_r = r->dir[1].pipe_w = -1;
  if (r->fd[0] < 0 || r->fd[1] < 0 || open_pipe(&r->dir[0]) != 0 || open_pipe(&r->dir[1]) != 0) {
    int err = errno;
    for (int i = 0; i < 2; i++) {
      if (r->fd[i] >= 0) close(r->fd[i]);
      if (r->dir[i].pipe_r >= 0) close(r->dir[i].pipe_r);
      if (r->dir[i].pipe_w >= 0) close(r->dir[i].pipe_w);
    }
    free(r);
    char message[128];
    snprintf(message, sizeof message, "relay: %s", strerror(err));
    napi_throw_error(env, "EIO", message);
    return NULL;
  }
  for (int i = 0; i < 2; i++) {
    fcntl(r->fd[i], F_SETFL, fcntl(r->fd[i], F_GETFL) | O_NONBLOCK);
  }
  r->dir[0].in_fd = r->fd[0];
  r->dir[0].out_fd = r->fd[1];
  r->dir[1].in_fd = r->fd[1];
  r->dir[1].out_fd = r->fd[0];
  napi_create_reference(env, argv[3], 1, &r->callback);
  napi_value name;
  napi_create_string_utf8(env, "execward.relay", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &r->async);
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  for (int i = 0; i < 2; i++) {
    uv_poll_init(loop, &r->poll[i], r->fd[i]);
    r->poll[i].data = r;
    r->handles_open++;
  }
  uv_timer_init(loop, &r->idle_timer);
  r->idle_timer.data = r;
  r->handles_open++;
  r->idle_ms = (uint64_t)idle_ms;
  r->last_activity = uv_now(loop);
  if (r->idle_ms > 0) {
    uint64_t every = r->idle_ms / 4 > 0 ? r->idle_ms / 4 : 1;
    uv_timer_start(&r->idle_timer, on_idle_check, every, every);
  }
  /* Start with both sockets readable-watched; the first callback pumps whatever is there. */
  for (int i = 0; i < 2; i++) {
    uv_poll_start(&r->poll[i], UV_READABLE, on_poll);
    r->polling[i] = UV_READABLE;
  }
  napi_value cancel = NULL;
  token_t *token = calloc(1, sizeof *token);
  if (token != NULL && napi_create_function(env, "cancel", NAPI_AUTO_LENGTH, cancel_js, token, &cancel) == napi_ok &&
      napi_add_finalizer(env, cancel, token, token_finalize, NULL, NULL) == napi_ok) {
    token->relay = r;
    r->token = token;
    return cancel;
  }
  free(token);
  napi_get_undefined(env, &cancel);
  return cancel;
}
