/*
 * execward exec hook: an LD_PRELOAD library that puts every exec of a command, and of every
 * dynamically linked process it starts, in front of the execward server before it happens.
 *
 * Usage (set up by execward, never by hand):
 *   LD_PRELOAD=<this .so>  EXECWARD_HOOK=<this .so>  EXECWARD_WRAPPER=<execward-execve-wrapper>
 *   CODEX_ESCALATE_SOCKET=<inherited datagram fd>  [EXECWARD_ASK=/name/name/.../]
 *
 * Entry points: execve, execv, execvp, execvpe, execl, execlp, execle, execveat, fexecve,
 * posix_spawn, posix_spawnp, system, popen (glibc's own exec functions call internal aliases,
 * so each is hooked, not just execve).
 *
 * For each exec:
 *   1. The environment the program gets is rebuilt so it keeps this hook: LD_PRELOAD starts with
 *      this library and the protocol variables carry the values this process started with.
 *      `env -i`, `unset`, or a scrubbed envp cannot shed interception.
 *   2. Unless EXECWARD_ASK says no rule or heuristic can apply to the program's name, the server
 *      is asked (escalate_client.c); otherwise (the fast path) a one-way notice goes to the
 *      server for the audit log (escalate_notice.c) and the program runs. An answer is carried out:
 *        Run       the real exec, in place (errors such as ENOENT, EACCES, ENOEXEC reach the
 *                  caller unchanged; the execvp family falls back to /bin/sh on ENOEXEC);
 *        Deny      "Execution denied: <reason>" on stderr, then exit status 1 in place of the
 *                  program (as upstream's wrapper);
 *        Escalate  descriptors 0-2 go to the server, which runs the program outside the
 *                  sandbox; this process then exits with its status, or dies of its signal.
 *      posix_spawn(p) of a program to ask about spawns execward-execve-wrapper instead, which
 *      asks from inside the child (after the file actions), so a denied spawn is a child that
 *      exits 1. system() and popen() ask about `/bin/sh -c <command>`; the shell they start then
 *      runs in the sandbox (they never escalate) and its own execs are decided one by one.
 *   3. Any failure on that path (no server, broken socket, garbage) fails closed: the exec does
 *      not happen, "execward: ..." is printed on stderr, and the call fails with EACCES.
 *
 * Constraints: everything on the exec path is async-signal-safe (it may run in a vfork child):
 * no malloc, no stdio, no locks; fixed stack buffers, with an anonymous mapping only for
 * environments of more than 1,000 variables. Symbols of the real functions are resolved once,
 * in the constructor. Statically linked programs never load this library; the sandbox holds
 * them.
 *
 * Build: see native/Makefile (-Wall -Wextra -Werror, -fPIC -shared, -ldl).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/escalate_client.h"
#include "../common/escalate_ask_list.h"
#include "../common/escalate_loader.h"
#include "../common/escalate_notice.h"
#include "../common/escalate_protocol.h"

extern char **environ;

#define VALUE_BYTES 4096
#define ASK_BYTES (256 * 1024)

/* What this process started with: written once by the constructor, read-only afterwards. */
static char hook_path[VALUE_BYTES];
static char wrapper_path[VALUE_BYTES];
static char socket_value[32];
static char *ask_list; /* "/a/b/" or NULL (ask about everything) */
static char socket_entry[64];
static char hook_entry[VALUE_BYTES + 32];
static char wrapper_entry[VALUE_BYTES + 32];
static char *ask_entry;
static char ask_storage[ASK_BYTES];
/* EW_HOOK_NOTICES_ENV "=1" when fast-path notices are wanted (an audit log records them), else NULL. */
static char *notices_entry;
static int initialized;
/* The escalation socket's descriptor in this process (moved to >= ESCALATION_FD_FLOOR). */
static int escalation_fd = -1;
#define ESCALATION_FD_FLOOR 200

typedef int (*posix_spawn_fn)(pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *,
                              char *const[], char *const[]);
typedef int (*system_fn)(const char *);
typedef FILE *(*popen_fn)(const char *, const char *);
static posix_spawn_fn real_posix_spawn;
static system_fn real_system;
static popen_fn real_popen;

/*
 * The real posix_spawn/system/popen, looked up on first use (not in the constructor: most
 * processes never call them, and every process pays for the constructor). Never called from a
 * vfork child or a signal handler.
 */
static posix_spawn_fn get_real_posix_spawn(void) {
  if (real_posix_spawn == NULL) real_posix_spawn = (posix_spawn_fn)dlsym(RTLD_NEXT, "posix_spawn");
  return real_posix_spawn;
}

static system_fn get_real_system(void) {
  if (real_system == NULL) real_system = (system_fn)dlsym(RTLD_NEXT, "system");
  return real_system;
}

static popen_fn get_real_popen(void) {
  if (real_popen == NULL) real_popen = (popen_fn)dlsym(RTLD_NEXT, "popen");
  return real_popen;
}

static const char *getenv_from(char *const envp[], const char *name) {
  size_t n = ew_strlen(name);
  for (size_t i = 0; envp != NULL && envp[i] != NULL; i++) {
    if (ew_env_entry_is(envp[i], name)) return envp[i] + n + 1;
  }
  return NULL;
}

__attribute__((constructor)) static void hook_init(void) {
  const char *hook = getenv(EW_HOOK_LIBRARY_ENV);
  const char *wrapper = getenv(EW_HOOK_WRAPPER_ENV);
  const char *socket = getenv(EW_ESCALATE_SOCKET_ENV);
  const char *ask = getenv(EW_HOOK_ASK_ENV);
  const char *notices = getenv(EW_HOOK_NOTICES_ENV);
  if (hook == NULL || wrapper == NULL || socket == NULL || ew_strlen(hook) >= VALUE_BYTES ||
      ew_strlen(wrapper) >= VALUE_BYTES || ew_parse_fd(socket) < 0) {
    return; /* not initialized: every exec fails closed with a message */
  }
  /*
   * Move the escalation socket out of the low descriptor range the command uses for its own
   * redirections (`3>file`, `exec 3>&1`): from here on children inherit it at a high number.
   */
  int fd = ew_parse_fd(socket);
  if (fd < ESCALATION_FD_FLOOR) {
    int high = fcntl(fd, F_DUPFD, ESCALATION_FD_FLOOR);
    if (high < 0) return;
    close(fd);
    fd = high;
  }
  escalation_fd = fd;
  ew_copy(hook_path, sizeof hook_path, hook);
  ew_copy(wrapper_path, sizeof wrapper_path, wrapper);
  socket_value[0] = '\0';
  ew_append_int(socket_value, sizeof socket_value, fd);
  ew_copy(socket_entry, sizeof socket_entry, EW_ESCALATE_SOCKET_ENV "=");
  ew_append(socket_entry, sizeof socket_entry, socket_value);
  ew_copy(hook_entry, sizeof hook_entry, EW_HOOK_LIBRARY_ENV "=");
  ew_append(hook_entry, sizeof hook_entry, hook);
  ew_copy(wrapper_entry, sizeof wrapper_entry, EW_HOOK_WRAPPER_ENV "=");
  ew_append(wrapper_entry, sizeof wrapper_entry, wrapper);
  if (ask != NULL && ew_strlen(ask) + sizeof(EW_HOOK_ASK_ENV "=") <= sizeof ask_storage) {
    ask_entry = ask_storage;
    ew_copy(ask_entry, sizeof ask_storage, EW_HOOK_ASK_ENV "=");
    ew_append(ask_entry, sizeof ask_storage, ask);
    ask_list = ask_entry + sizeof(EW_HOOK_ASK_ENV "=") - 1;
  }
  if (notices != NULL && ew_streq(notices, "1")) notices_entry = (char *)EW_HOOK_NOTICES_ENV "=1";
  initialized = 1;
}

/* ------------------------------------------------------------------ environment */

typedef struct {
  char **envp;
  size_t mapped_bytes; /* 0 when envp lives in the caller's stack buffer */
  char preload[VALUE_BYTES * 2 + 32];
} env_t;

#define STACK_ENV_SLOTS 1024

/* Builds envp for the program: the caller's entries with this hook's variables re-injected. */
static int build_env(char *const envp[], char **slots, env_t *out) {
  size_t count = 0;
  while (envp != NULL && envp[count] != NULL) count++;
  size_t needed = count + 8;
  out->mapped_bytes = 0;
  out->envp = slots;
  if (needed > STACK_ENV_SLOTS) {
    size_t bytes = needed * sizeof(char *);
    void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return -1;
    out->envp = m;
    out->mapped_bytes = bytes;
  }
  /* LD_PRELOAD: this hook first, then whatever else the program asked for. */
  ew_copy(out->preload, sizeof out->preload, "LD_PRELOAD=");
  ew_append(out->preload, sizeof out->preload, hook_path);
  const char *existing = getenv_from(envp, "LD_PRELOAD");
  if (existing != NULL) {
    char item[VALUE_BYTES];
    size_t k = 0;
    for (const char *p = existing;; p++) {
      if (*p == ':' || *p == ' ' || *p == '\0') {
        item[k] = '\0';
        if (k > 0 && !ew_streq(item, hook_path)) {
          ew_append(out->preload, sizeof out->preload, ":");
          ew_append(out->preload, sizeof out->preload, item);
        }
        k = 0;
        if (*p == '\0') break;
      } else if (k + 1 < sizeof item) {
        item[k++] = *p;
      }
    }
  }
  size_t n = 0;
  for (size_t i = 0; i < count; i++) {
    const char *e = envp[i];
    if (ew_env_entry_is(e, "LD_PRELOAD") || ew_env_entry_is(e, EW_ESCALATE_SOCKET_ENV) ||
        ew_env_entry_is(e, EW_HOOK_LIBRARY_ENV) || ew_env_entry_is(e, EW_HOOK_WRAPPER_ENV) ||
        ew_env_entry_is(e, EW_HOOK_ASK_ENV) || ew_env_entry_is(e, EW_HOOK_NOTICES_ENV)) {
      continue;
    }
    out->envp[n++] = (char *)e;
  }
  out->envp[n++] = out->preload;
  out->envp[n++] = socket_entry;
  out->envp[n++] = hook_entry;
  out->envp[n++] = wrapper_entry;
  if (ask_entry != NULL) out->envp[n++] = ask_entry;
  if (notices_entry != NULL) out->envp[n++] = notices_entry;
  out->envp[n] = NULL;
  return 0;
}

static void free_env(env_t *env) {
  if (env->mapped_bytes > 0) munmap(env->envp, env->mapped_bytes);
}

/* ------------------------------------------------------------------ decisions */

/*
 * Whether the server must be asked about `path`: EXECWARD_ASK lists the names that matter, and
 * every name the program really has counts (the name used, its canonical path, each #!
 * interpreter as written and as resolved). A program that cannot be resolved or has no name
 * (memfd, deleted file) is always asked about.
 */
static int must_ask(const char *path, const ew_resolution_t *res) {
  if (ask_list == NULL || !res->resolved_ok || res->anonymous || res->unreadable || res->truncated) return 1;
  if (ew_ask_listed(ask_list, ew_base_name(path)) || ew_ask_listed(ask_list, ew_base_name(res->resolved))) return 1;
  for (int i = 0; i < res->interpreters; i++) {
    if (ew_ask_listed(ask_list, res->interpreter_base[i]) || ew_ask_listed(ask_list, res->interpreter_resolved_base[i])) return 1;
    if (res->interpreter_resolved_base[i][0] == '\0') return 1;
  }
  return 0;
}

static void fail_closed(const char *file, const char *why) {
  ew_write_stderr("execward: refusing to run ", file, ": ", why);
  ew_write_stderr("\n", NULL, NULL, NULL);
  errno = EACCES;
}


/*
 * Asks about `display` run as argv with env (the program's own, un-injected environment);
 * `target` is the path the kernel will open (display itself, or /proc/self/fd/N for fexecve).
 * Returns EW_ACTION_RUN to go ahead; never returns after Deny or Escalate (the process ends);
 * returns EW_ACTION_ERROR (errno = EACCES, message printed) when the exec must fail.
 */
static ew_action_t decide(const char *display, const char *target, char *const argv[], char *const envp[],
                          int may_end_process) {
  if (!initialized) {
    fail_closed(display, "the exec hook is loaded without its execward session (" EW_HOOK_LIBRARY_ENV ", "
                         EW_HOOK_WRAPPER_ENV " or " EW_ESCALATE_SOCKET_ENV " missing)");
    return EW_ACTION_ERROR;
  }
  /* The program must inherit the socket, whatever the command did to its flags. */
  fcntl(escalation_fd, F_SETFD, 0);
  ew_resolution_t resolution;
  ew_resolution_t *res = &resolution;
  ew_resolve(target, res);
  if (res->fd >= 0) close(res->fd);
  /* The dynamic loader run as a program is judged as the program it loads (escalate_loader.h). */
  for (int depth = 0;; depth++) {
    int loaded = ew_loader_program(display, res->resolved_ok ? res->resolved : NULL, argv);
    if (loaded == EW_LOADER_NONE) break;
    if (loaded == EW_LOADER_UNKNOWN || depth == EW_LOADER_MAX_DEPTH) {
      fail_closed(display, "the dynamic loader is run with options execward cannot read, so the program it loads cannot be judged");
      return EW_ACTION_ERROR;
    }
    argv += loaded;
    display = target = argv[0];
    ew_resolve(target, res);
    if (res->fd >= 0) close(res->fd);
  }
  if (!must_ask(display, res)) {
    /* For the audit log, only when one records it; never waits. */
    if (notices_entry != NULL) ew_notice_run(escalation_fd, display, argv);
    return EW_ACTION_RUN;
  }
  ew_decision_t decision;
  ew_request(escalation_fd, display, res->resolved_ok || res->anonymous ? res->resolved : NULL, argv, envp, &decision);
  switch (decision.action) {
    case EW_ACTION_RUN:
      return EW_ACTION_RUN;
    case EW_ACTION_DENY:
      ew_write_stderr(EW_DENIED_MESSAGE_PREFIX, decision.message[0] != '\0' ? ": " : "", decision.message, "\n");
      if (may_end_process) _exit(EW_DENIED_EXIT_STATUS);
      errno = EACCES;
      return EW_ACTION_DENY;
    case EW_ACTION_ESCALATE: {
      if (!may_end_process) {
        /* system()/popen(): the shell runs in the sandbox; its own execs are decided. */
        close(decision.stream_fd);
        return EW_ACTION_RUN;
      }
      int exit_code = 0, signal = 0;
      char message[EW_MESSAGE_BYTES];
      if (ew_super_exec(decision.stream_fd, &exit_code, &signal, message) != 0) {
        fail_closed(display, message);
        _exit(126);
      }
      ew_exit_like(exit_code, signal);
      return EW_ACTION_ERROR; /* not reached */
    }
    case EW_ACTION_ERROR:
      break;
  }
  fail_closed(display, decision.message);
  return EW_ACTION_ERROR;
}

/* ------------------------------------------------------------------ exec family */

static int exec_path(const char *path, char *const argv[], char *const envp[]) {
  char *slots[STACK_ENV_SLOTS];
  env_t env;
  /*
   * A path that cannot be executed is not asked about: the call fails with the errno the kernel
   * would give (with the effective IDs, as execve checks them), so callers that search PATH
   * themselves (python, perl) move on to the next candidate. Failing here rather than trying
   * the exec closes the race of a file appearing between the check and the exec.
   */
  if (faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) != 0) return -1;
  if (decide(path, path, argv, envp, 1) != EW_ACTION_RUN) return -1;
  if (build_env(envp, slots, &env) != 0) {
    fail_closed(path, "out of memory");
    return -1;
  }
  syscall(SYS_execve, path, argv, env.envp);
  int err = errno;
  free_env(&env);
  errno = err;
  return -1;
}

int execve(const char *path, char *const argv[], char *const envp[]) {
  return exec_path(path, argv, envp);
}

int execv(const char *path, char *const argv[]) {
  return exec_path(path, argv, environ);
}

/* PATH search as glibc's execvp: the first candidate that exists and is executable. */
static int search_path(const char *file, char *out, size_t size) {
  if (*file == '\0') {
    errno = ENOENT;
    return -1;
  }
  for (const char *p = file; *p != '\0'; p++) {
    if (*p == '/') {
      ew_copy(out, size, file);
      return 0;
    }
  }
  const char *path = getenv_from(environ, "PATH");
  if (path == NULL) path = "/bin:/usr/bin";
  int saw_eacces = 0;
  const char *start = path;
  for (const char *p = path;; p++) {
    if (*p != ':' && *p != '\0') continue;
    size_t dir_len = (size_t)(p - start);
    if (dir_len + ew_strlen(file) + 2 < size) {
      if (dir_len == 0) {
        ew_copy(out, size, file);
      } else {
        memcpy(out, start, dir_len);
        out[dir_len] = '/';
        ew_copy(out + dir_len + 1, size - dir_len - 1, file);
      }
      struct stat st;
      if (stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
        if (access(out, X_OK) == 0) return 0;
        saw_eacces = 1;
      } else if (errno == EACCES) {
        saw_eacces = 1;
      }
    }
    if (*p == '\0') break;
    start = p + 1;
  }
  errno = saw_eacces ? EACCES : ENOENT;
  return -1;
}

static int exec_search(const char *file, char *const argv[], char *const envp[]) {
  char path[4096];
  if (search_path(file, path, sizeof path) != 0) return -1;
  char *slots[STACK_ENV_SLOTS];
  env_t env;
  if (decide(path, path, argv, envp, 1) != EW_ACTION_RUN) return -1;
  if (build_env(envp, slots, &env) != 0) {
    fail_closed(path, "out of memory");
    return -1;
  }
  syscall(SYS_execve, path, argv, env.envp);
  if (errno == ENOEXEC) {
    /* A script without #!: run it with /bin/sh, as execvp does; /bin/sh is judged too. */
    size_t argc = 0;
    while (argv[argc] != NULL) argc++;
    char *sh_argv[argc + 2];
    sh_argv[0] = (char *)"/bin/sh";
    sh_argv[1] = path;
    for (size_t i = 1; i <= argc; i++) sh_argv[i + 1] = argv[i];
    if (decide("/bin/sh", "/bin/sh", sh_argv, envp, 1) == EW_ACTION_RUN) syscall(SYS_execve, "/bin/sh", sh_argv, env.envp);
  }
  int err = errno;
  free_env(&env);
  errno = err;
  return -1;
}

int execvp(const char *file, char *const argv[]) {
  return exec_search(file, argv, environ);
}

int execvpe(const char *file, char *const argv[], char *const envp[]) {
  return exec_search(file, argv, envp);
}

/* Collects execl-style arguments into argv (on the stack, at most 4096). */
#define MAX_LIST_ARGS 4096
#define COLLECT_ARGS(first, argv, last)                                   \
  do {                                                                    \
    va_list ap;                                                           \
    size_t argc = 0;                                                      \
    argv[argc++] = (char *)(first);                                       \
    va_start(ap, first);                                                  \
    while (argc < MAX_LIST_ARGS && (argv[argc] = va_arg(ap, char *)) != NULL) argc++; \
    if (argc >= MAX_LIST_ARGS) {                                          \
      va_end(ap);                                                         \
      errno = E2BIG;                                                      \
      return -1;                                                          \
    }                                                                     \
    last;                                                                 \
    va_end(ap);                                                           \
  } while (0)

int execl(const char *path, const char *arg, ...) {
  char *argv[MAX_LIST_ARGS + 1];
  if (arg == NULL) {
    argv[0] = NULL;
    return exec_path(path, argv, environ);
  }
  COLLECT_ARGS(arg, argv, (void)0);
  return exec_path(path, argv, environ);
}

int execlp(const char *file, const char *arg, ...) {
  char *argv[MAX_LIST_ARGS + 1];
  if (arg == NULL) {
    argv[0] = NULL;
    return exec_search(file, argv, environ);
  }
  COLLECT_ARGS(arg, argv, (void)0);
  return exec_search(file, argv, environ);
}

int execle(const char *path, const char *arg, ...) {
  char *argv[MAX_LIST_ARGS + 1];
  char **envp = NULL;
  if (arg == NULL) {
    va_list ap;
    va_start(ap, arg);
    envp = va_arg(ap, char **);
    va_end(ap);
    argv[0] = NULL;
    return exec_path(path, argv, envp);
  }
  COLLECT_ARGS(arg, argv, envp = va_arg(ap, char **));
  return exec_path(path, argv, envp);
}

/* The path of an open descriptor, for asking about fexecve/execveat. */
static void fd_path(int fd, char *out, size_t size) {
  char link[64];
  ew_copy(link, sizeof link, "/proc/self/fd/");
  ew_append_int(link, sizeof link, fd);
  ssize_t n = readlink(link, out, size - 1);
  if (n < 0) {
    ew_copy(out, size, link);
  } else {
    out[n] = '\0';
  }
}

int execveat(int dirfd, const char *pathname, char *const argv[], char *const envp[], int flags) {
  char display[4096];
  char target[4096];
  /* What the kernel will open, through this process's own descriptor table. */
  if (pathname[0] == '/' || dirfd == AT_FDCWD) {
    ew_copy(target, sizeof target, pathname);
  } else {
    ew_copy(target, sizeof target, "/proc/self/fd/");
    ew_append_int(target, sizeof target, dirfd);
    if (pathname[0] != '\0') {
      ew_append(target, sizeof target, "/");
      ew_append(target, sizeof target, pathname);
    }
  }
  if (pathname[0] == '/') {
    ew_copy(display, sizeof display, pathname);
  } else if (pathname[0] == '\0' && (flags & AT_EMPTY_PATH)) {
    fd_path(dirfd, display, sizeof display);
  } else if (dirfd == AT_FDCWD) {
    ew_copy(display, sizeof display, pathname);
  } else {
    fd_path(dirfd, display, sizeof display);
    ew_append(display, sizeof display, "/");
    ew_append(display, sizeof display, pathname);
  }
  char *slots[STACK_ENV_SLOTS];
  env_t env;
  if (decide(display, target, argv, envp, 1) != EW_ACTION_RUN) return -1;
  if (build_env(envp, slots, &env) != 0) {
    fail_closed(display, "out of memory");
    return -1;
  }
  syscall(SYS_execveat, dirfd, pathname, argv, env.envp, flags);
  int err = errno;
  free_env(&env);
  errno = err;
  return -1;
}

int fexecve(int fd, char *const argv[], char *const envp[]) {
  return execveat(fd, "", argv, envp, AT_EMPTY_PATH);
}

/* ------------------------------------------------------------------ spawn family */

static int spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *actions,
                 const posix_spawnattr_t *attr, char *const argv[], char *const envp[]) {
  posix_spawn_fn real = get_real_posix_spawn();
  if (real == NULL) return ENOSYS;
  if (!initialized) {
    fail_closed(path, "the exec hook is loaded without its execward session");
    return EACCES;
  }
  char *slots[STACK_ENV_SLOTS];
  env_t env;
  if (build_env(envp, slots, &env) != 0) return ENOMEM;
  int rc;
  ew_resolution_t res;
  ew_resolve(path, &res);
  if (res.fd >= 0) close(res.fd);
  /*
   * File actions run in the child, after this check (a dup2 onto the descriptor /dev/fd/N names,
   * a chdir that changes what a relative path means): with any, the child asks for itself.
   */
  if (actions == NULL && !must_ask(path, &res) &&
      ew_loader_program(path, res.resolved_ok ? res.resolved : NULL, argv) == EW_LOADER_NONE) {
    rc = real(pid, path, actions, attr, argv, env.envp);
  } else {
    /* Ask from inside the child, after its file actions: the wrapper does the exchange. */
    size_t argc = 0;
    while (argv != NULL && argv[argc] != NULL) argc++;
    if (argc + 3 > MAX_LIST_ARGS) {
      free_env(&env);
      return E2BIG;
    }
    char *wrapped[MAX_LIST_ARGS + 3];
    wrapped[0] = wrapper_path;
    wrapped[1] = (char *)path;
    if (argc == 0) {
      wrapped[2] = (char *)path;
      wrapped[3] = NULL;
    } else {
      for (size_t i = 0; i <= argc; i++) wrapped[i + 2] = argv[i];
    }
    rc = real(pid, wrapper_path, actions, attr, wrapped, env.envp);
  }
  free_env(&env);
  return rc;
}

int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *actions,
                const posix_spawnattr_t *attr, char *const argv[], char *const envp[]) {
  return spawn(pid, path, actions, attr, argv, envp);
}

int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *actions,
                 const posix_spawnattr_t *attr, char *const argv[], char *const envp[]) {
  char path[4096];
  if (search_path(file, path, sizeof path) != 0) return errno;
  return spawn(pid, path, actions, attr, argv, envp);
}

/*
 * system() and popen() start /bin/sh through glibc's internal spawn with `environ`: put this
 * hook's variables back into it first (not async-signal-safe, like system() itself).
 */
static void reinject_environ(void) {
  char *slots[STACK_ENV_SLOTS];
  env_t env;
  if (!initialized || build_env(environ, slots, &env) != 0) return;
  setenv("LD_PRELOAD", env.preload + sizeof "LD_PRELOAD=" - 1, 1);
  setenv(EW_ESCALATE_SOCKET_ENV, socket_value, 1);
  setenv(EW_HOOK_LIBRARY_ENV, hook_path, 1);
  setenv(EW_HOOK_WRAPPER_ENV, wrapper_path, 1);
  if (ask_list != NULL) setenv(EW_HOOK_ASK_ENV, ask_list, 1);
  if (notices_entry != NULL) setenv(EW_HOOK_NOTICES_ENV, "1", 1);
  free_env(&env);
}

int system(const char *command) {
  system_fn real = get_real_system();
  if (real == NULL) return -1;
  if (command == NULL) return real(NULL);
  char *argv[] = {(char *)"sh", (char *)"-c", (char *)command, NULL};
  ew_action_t action = decide("/bin/sh", "/bin/sh", argv, environ, 0);
  if (action == EW_ACTION_DENY) return EW_DENIED_EXIT_STATUS << 8;
  if (action != EW_ACTION_RUN) return -1;
  reinject_environ();
  return real(command);
}

FILE *popen(const char *command, const char *type) {
  popen_fn real = get_real_popen();
  if (real == NULL) {
    errno = ENOSYS;
    return NULL;
  }
  char *argv[] = {(char *)"sh", (char *)"-c", (char *)command, NULL};
  if (decide("/bin/sh", "/bin/sh", argv, environ, 0) != EW_ACTION_RUN) return NULL;
  reinject_environ();
  return real(command, type);
}

/* ------------------------------------------------------------------ keeping the socket */

/*
 * Programs that close every inherited descriptor before exec (Python's close_fds, daemons)
 * would cut their children off from the server, so every exec would fail closed. Closing the
 * escalation socket through libc is therefore a no-op that reports success. (A program that
 * closes it with a raw system call still fails closed.)
 */
int close(int fd) {
  if (initialized && fd == escalation_fd) return 0;
  return (int)syscall(SYS_close, fd);
}

int close_range(unsigned int first, unsigned int last, int flags) {
  if (initialized && escalation_fd >= 0 && (unsigned int)escalation_fd >= first && (unsigned int)escalation_fd <= last) {
    int rc = 0;
    if ((unsigned int)escalation_fd > first) rc = (int)syscall(SYS_close_range, first, (unsigned int)escalation_fd - 1, flags);
    if (rc == 0 && (unsigned int)escalation_fd < last) rc = (int)syscall(SYS_close_range, (unsigned int)escalation_fd + 1, last, flags);
    return rc;
  }
  return (int)syscall(SYS_close_range, first, last, flags);
}

void closefrom(int lowfd) {
  close_range((unsigned int)lowfd, ~0U, 0);
}

/*
 * Putting another descriptor over the escalation socket would let a process answer the
 * questions of its own descendants (a fake server saying Run to a forbidden program): refused.
 * (A raw system call still can; the channel's peer check in escalate_client.c then fails closed.)
 */
int dup2(int oldfd, int newfd) {
  if (initialized && newfd == escalation_fd && oldfd != newfd) {
    errno = EBUSY;
    return -1;
  }
#ifdef SYS_dup2
  return (int)syscall(SYS_dup2, oldfd, newfd);
#else
  if (oldfd == newfd) return fcntl(oldfd, F_GETFD) < 0 ? -1 : newfd;
  return (int)syscall(SYS_dup3, oldfd, newfd, 0);
#endif
}

int dup3(int oldfd, int newfd, int flags) {
  if (initialized && newfd == escalation_fd) {
    errno = EBUSY;
    return -1;
  }
  return (int)syscall(SYS_dup3, oldfd, newfd, flags);
}
