/*
 * The client side of the escalation protocol (see escalate_client.c), async-signal-safe.
 */
#ifndef EXECWARD_ESCALATE_CLIENT_H
#define EXECWARD_ESCALATE_CLIENT_H

#include <stddef.h>

typedef enum {
  EW_ACTION_RUN,
  EW_ACTION_ESCALATE,
  EW_ACTION_DENY,
  /* The protocol failed: the exec must not happen; `message` says why. */
  EW_ACTION_ERROR,
} ew_action_t;

#define EW_MESSAGE_BYTES 1024

typedef struct {
  ew_action_t action;
  /* Deny: the reason (empty when the server gave none). Error: what went wrong. */
  char message[EW_MESSAGE_BYTES];
  /* Escalate: the session's stream socket, for ew_super_exec. */
  int stream_fd;
} ew_decision_t;

/*
 * Asks the server behind the datagram socket `dgram_fd` what to do with `file` run as `argv`
 * with environment `envp` (protocol variables are left out of what is sent). Never returns
 * EW_ACTION_RUN unless the server said so.
 */
void ew_request(int dgram_fd, const char *file, char *const argv[], char *const envp[], ew_decision_t *out);

/*
 * After EW_ACTION_ESCALATE: hands descriptors 0, 1 and 2 to the server and waits for the
 * escalated program to end. Returns 0 and sets *exit_code and *signal (0 if none), or -1 with a
 * reason in `message`. Closes `stream_fd` either way.
 */
int ew_super_exec(int stream_fd, int *exit_code, int *signal, char message[EW_MESSAGE_BYTES]);

/*
 * Ends this process the way an escalated program ended: dies of the same signal (reset to its
 * default action and unblocked), or exits with its status.
 */
__attribute__((noreturn)) void ew_exit_like(int exit_code, int signal);

/* The descriptor number in CODEX_ESCALATE_SOCKET's value, or -1. */
/*
 * Sends data with up to EW_MAX_FDS_PER_MESSAGE descriptors (SCM_RIGHTS, on the first chunk),
 * retrying on EINTR, without SIGPIPE. 0 when all was sent, -1 (errno set) otherwise.
 */
int ew_send_with_fds(int fd, const char *data, size_t length, const int *fds, size_t count);

int ew_parse_fd(const char *value);

/* Async-signal-safe string helpers. */
size_t ew_strlen(const char *s);
int ew_streq(const char *a, const char *b);
/* Whether `entry` ("NAME=value") has the variable name `name`. */
int ew_env_entry_is(const char *entry, const char *name);
void ew_write_stderr(const char *a, const char *b, const char *c, const char *d);
/* Copies at most size-1 bytes and terminates. */
void ew_copy(char *dst, size_t size, const char *src);
void ew_append(char *dst, size_t size, const char *src);
void ew_append_int(char *dst, size_t size, long value);

#endif
