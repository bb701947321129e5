/*
 * The client side of the escalation protocol (see escalate_client.c), async-signal-safe.
 */
#ifndef EXECWARD_ESCALATE_CLIENT_H
#define EXECWARD_ESCALATE_CLIENT_H

#include <stddef.h>

/* Hidden: the hook is loaded into every program, whose own symbols must not interpose ours. */
#pragma GCC visibility push(hidden)

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

/* The kernel follows five levels of #! (a sixth is ELOOP); a longer chain is "truncated". */
#define EW_MAX_INTERPRETERS 5
#define EW_NAME_BYTES 256

/*
 * What the kernel will really run for a path, as this process sees it: the canonical path
 * (through symlinks and /dev/fd, /proc/self/fd magic links) and the #! chain. The exec hook
 * asks the server about a program when ANY of these names may matter; the server gets
 * `resolved` because it cannot follow this process's magic links from outside.
 */
typedef struct {
  int resolved_ok;  /* `resolved` holds the canonical path */
  int anonymous;    /* a file with no path: memfd, deleted file */
  int unreadable;   /* a regular file this process cannot read: its #! line is unknown */
  int truncated;    /* more #! levels than EW_MAX_INTERPRETERS */
  int fd;           /* O_PATH descriptor of the program (close-on-exec), or -1; the caller owns it */
  char resolved[4096];
  int interpreters; /* #! levels found (the kernel follows at most 4) */
  char interpreter_base[EW_MAX_INTERPRETERS][EW_NAME_BYTES];          /* as written, basename */
  char interpreter_resolved_base[EW_MAX_INTERPRETERS][EW_NAME_BYTES]; /* canonical, basename */
} ew_resolution_t;

/* Fills `out`; `out->fd` stays open for the caller to exec from (or close), -1 on failure. */
void ew_resolve(const char *path, ew_resolution_t *out);

/*
 * Asks the server behind the datagram socket `dgram_fd` what to do with `file` run as `argv`
 * with environment `envp` (protocol variables are left out of what is sent); `resolved` (may be
 * NULL) is the canonical path from ew_resolve. Never returns EW_ACTION_RUN unless the server
 * said so. Inside an execward sandbox (EW_SANDBOX_MARKER exists), a channel whose peer is a
 * process of the sandbox (a fake server put over the descriptor) is refused: the real server's
 * pid is not visible there and reads as 0.
 */
void ew_request(int dgram_fd, const char *file, const char *resolved, char *const argv[], char *const envp[],
                ew_decision_t *out);

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

/*
 * Sends data with up to EW_MAX_FDS_PER_MESSAGE descriptors (SCM_RIGHTS, on the first chunk),
 * retrying on EINTR, without SIGPIPE. 0 when all was sent, -1 (errno set) otherwise.
 */
int ew_send_with_fds(int fd, const char *data, size_t length, const int *fds, size_t count);

/* The descriptor number in CODEX_ESCALATE_SOCKET's value, or -1. */
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

#pragma GCC visibility pop

#endif
