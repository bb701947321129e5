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
 *
 * This file is the exchange itself (request, decision, escalated run, exit); the rest of the
 * client is split by concern: escalate_strings.c (string helpers), escalate_socket.c (socket
 * I/O), escalate_json_out.c (the streamed request), escalate_json_in.c (the answers),
 * escalate_resolve.c (what really runs).
 */
#define _GNU_SOURCE
#include "escalate_client.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "escalate_json_in.h"
#include "escalate_json_out.h"
#include "escalate_protocol.h"
#include "escalate_socket.h"

static void fail(ew_decision_t *out, const char *what, int err) {
  out->action = EW_ACTION_ERROR;
  ew_copy(out->message, sizeof out->message, what);
  if (err != 0) {
    ew_append(out->message, sizeof out->message, " (");
    ew_append(out->message, sizeof out->message, strerrorname_np(err) != NULL ? strerrorname_np(err) : "error");
    ew_append(out->message, sizeof out->message, ")");
  }
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
  ew_writer_request(&w, file, resolved, argv, envp, workdir);
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
  ew_writer_bytes(&w, (const char *)header, 4);
  ew_writer_request(&w, file, resolved, argv, envp, workdir);
  ew_writer_flush(&w);
  if (!w.failed && ew_writer_handshake(&w) != 0) w.failed = w.handshake_errno;
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
  long length = ew_read_frame(fd, response, sizeof response);
  if (length < 0) {
    int err = errno;
    close(fd);
    fail(out, err == E2BIG ? "the execward server sent an oversized response" : "no response from the execward server", err == E2BIG ? 0 : err);
    return;
  }
  if (ew_parse_response(response, (size_t)length, out) != 0) {
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
  long length = ew_read_frame(stream_fd, result, sizeof result);
  close(stream_fd);
  if (length < 0) {
    ew_copy(message, EW_MESSAGE_BYTES, "lost the execward server while the escalated program ran");
    return -1;
  }
  if (ew_parse_result(result, (size_t)length, exit_code, signal) != 0) {
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
