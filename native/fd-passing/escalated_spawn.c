/*
 * escalated_spawn: the last step before an escalated program runs OUTSIDE the sandbox. The
 * server decided on one file (identified by device and inode, opened on the host as an O_PATH
 * descriptor); this starts exactly that file, with no second lookup of the program by path.
 *
 *   spawnEscalated(mode: "fd" | "script", path: string, programFd: number, workdirFd: number,
 *                  argv: string[], env: Buffer, stdio: number[]) -> { pid, pidfd }
 *     env:      "NAME=value" entries, each ended by a NUL byte (the buffer's memory is envp's)
 *     stdio[t]: the descriptor that becomes the program's descriptor t (t < 16), or -1: none
 *               (0-2 then get /dev/null, others are closed), as Node's spawn with "ignore"
 *   reapEscalated(pidfd) -> null (still running) | { code: number | null, signal: number | null }
 *
 *   fd       the program is executed from programFd (execveat AT_EMPTY_PATH): whatever
 *            happens to the path afterwards, the judged inode runs.
 *   script   a #! script: the kernel must hand the interpreter a path it can open, so the path is
 *            opened again and executed only if it is still the judged inode (the server only
 *            escalates scripts the sandbox cannot replace, or a human approved with the path shown).
 *
 * Why in C: Node's child_process forks the whole server (tens of MiB of page tables) and waits for
 * the exec on a pipe; here the child shares the parent's memory until it execs (clone with
 * CLONE_VM | CLONE_VFORK, as glibc's posix_spawn does), so an escalated exec costs about one bare
 * exec. The child runs on its own stack with every signal blocked until it has reset each
 * disposition to the default, uses raw system calls only (no malloc, no stdio, no locks: other
 * threads of the parent keep running), and leads its own session and process group so that a
 * timeout or cancel can end it with its descendants.
 *
 * The exit is watched through a pidfd (CLONE_PIDFD, close-on-exec) on the event loop and read
 * with waitid(P_PIDFD), so libuv's own child reaping never sees this child. A failure to start
 * is reported on the program's stderr ("execward: could not start <path>: <why>") with exit
 * status 127 (not found) or 126 (anything else), as a shell would.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "escalated_spawn.h"
#include "napi_errors.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define STDIO_SLOTS 16
#define CHILD_STACK (64 * 1024)

struct spawn_plan {
  bool script;
  const char *path;
  int program_fd;
  int workdir_fd;
  char **argv;
  char **envp;
  int stdio[STDIO_SLOTS];
  /** Above every descriptor the plan names: where they are parked before being put in place. */
  int base;
  /** The soft descriptor limit, for the close-on-exec fallback without close_range(2). */
  int nofile;
};

/* ---- the child: raw system calls only ---- */

ssize_t escalated_write_no_wait(int fd, const void *data, size_t length) {
  struct iovec iov = {.iov_base = (void *)data, .iov_len = length};
  ssize_t n;
  do {
    n = pwritev2(fd, &iov, 1, -1, RWF_NOWAIT);
  } while (n < 0 && errno == EINTR);
  if (n >= 0 || errno != EOPNOTSUPP) return n;
  struct stat st;
  if (fstat(fd, &st) != 0 || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) {
    errno = EOPNOTSUPP;
    return -1;
  }
  do {
    n = write(fd, data, length);
  } while (n < 0 && errno == EINTR);
  return n;
}

/*
 * To the requester's stderr, never waiting on a pipe: it may be one the requester filled and
 * never reads, and while this child runs the server is suspended (CLONE_VFORK). A message that
 * cannot be written is lost; the exit status still says it.
 */
static void child_write(int fd, const char *text) {
  size_t n = strlen(text);
  while (fd >= 0 && n > 0) {
    ssize_t k = escalated_write_no_wait(fd, text, n);
    if (k <= 0) return;
    text += k;
    n -= (size_t)k;
  }
}

/* `fd`: the requester's stderr (2 once the descriptors are in place; before, where it was received). */
static _Noreturn void child_fail_on(int fd, const struct spawn_plan *plan, const char *what, int err) {
  child_write(fd, "execward: could not start ");
  child_write(fd, plan->path);
  child_write(fd, ": ");
  child_write(fd, what);
  /* strerrordesc_np: the untranslated static text, no locale and no allocation. */
  const char *description = err == 0 ? NULL : strerrordesc_np(err);
  child_write(fd, description == NULL ? "" : description);
  child_write(fd, "\n");
  _exit(err == ENOENT ? 127 : 126);
}

static _Noreturn void child_fail(const struct spawn_plan *plan, const char *what, int err) {
  child_fail_on(2, plan, what, err);
}

static _Noreturn void child_fail_early(const struct spawn_plan *plan, const char *what, int err) {
  child_fail_on(plan->stdio[2], plan, what, err);
}

static int child_main(void *arg) {
  const struct spawn_plan *plan = arg;
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++) {
    if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, NULL);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  if (setsid() < 0) child_fail_early(plan, "cannot start a session: ", errno);
  /* Park every descriptor above the plan's range first, so that putting one in place can never
     overwrite another that is still to be placed. */
  int parked[STDIO_SLOTS];
  for (int t = 0; t < STDIO_SLOTS; t++) {
    parked[t] = plan->stdio[t] < 0 ? -1 : fcntl(plan->stdio[t], F_DUPFD_CLOEXEC, plan->base);
    if (plan->stdio[t] >= 0 && parked[t] < 0) child_fail_early(plan, "cannot place a descriptor: ", errno);
  }
  int program = fcntl(plan->program_fd, F_DUPFD_CLOEXEC, plan->base);
  int workdir = fcntl(plan->workdir_fd, F_DUPFD_CLOEXEC, plan->base);
  if (program < 0 || workdir < 0) child_fail_early(plan, "cannot place a descriptor: ", errno);
  /* /dev/null only for a standard stream the requester did not pass (usually it passes all three). */
  int null_parked = -1;
  if (parked[0] < 0 || parked[1] < 0 || parked[2] < 0) {
    int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    null_parked = null_fd < 0 ? -1 : fcntl(null_fd, F_DUPFD_CLOEXEC, plan->base);
    if (null_parked < 0) child_fail_early(plan, "cannot place a descriptor: ", errno);
  }
  for (int t = 0; t < STDIO_SLOTS; t++) {
    int source = parked[t] >= 0 ? parked[t] : (t <= 2 ? null_parked : -1);
    if (source >= 0) {
      if (dup2(source, t) < 0) child_fail_early(plan, "cannot place a descriptor: ", errno);
      continue;
    }
    /* A run of slots with nothing to put there is closed with one call where the kernel can. */
    int last = t;
    while (last + 1 < STDIO_SLOTS && parked[last + 1] < 0) last++;
    if (syscall(SYS_close_range, (unsigned int)t, (unsigned int)last, 0) != 0) {
      for (int fd = t; fd <= last; fd++) close(fd);
    }
    t = last;
  }
  /* Nothing but 0-15 crosses the exec (Node's descriptors are close-on-exec already). */
  if (syscall(SYS_close_range, STDIO_SLOTS, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    for (int fd = STDIO_SLOTS; fd < plan->nofile; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  if (fchdir(workdir) != 0) child_fail(plan, "cannot enter the working directory: ", errno);
  if (!plan->script) {
    syscall(SYS_execveat, program, "", plan->argv, plan->envp, AT_EMPTY_PATH);
    child_fail(plan, "", errno);
  }
  struct stat judged, now;
  int fd = open(plan->path, O_PATH | O_CLOEXEC);
  if (fd < 0 || fstat(program, &judged) != 0 || fstat(fd, &now) != 0) child_fail(plan, "", errno);
  if (judged.st_dev != now.st_dev || judged.st_ino != now.st_ino) {
    child_fail(plan, "the file changed after it was judged", 0);
  }
  execve(plan->path, plan->argv, plan->envp);
  child_fail(plan, "", errno);
}

/* ---- the parent ---- */

static char *get_string(napi_env env, napi_value value) {
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &length) != napi_ok) return NULL;
  char *text = malloc(length + 1);
  if (text == NULL) return NULL;
  napi_get_value_string_utf8(env, value, text, length + 1, &length);
  if (strlen(text) != length) { /* an embedded NUL: the exec would see a different string */
    free(text);
    return NULL;
  }
  return text;
}

static void free_strings(char **list) {
  if (list == NULL) return;
  for (char **p = list; *p != NULL; p++) free(*p);
  free(list);
}

/* A NULL-terminated copy of a string array; NULL (with a pending TypeError) if it is not one. */
static char **get_strings(napi_env env, napi_value value, const char *name) {
  bool is_array = false;
  uint32_t length = 0;
  if (napi_is_array(env, value, &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, value, &length) != napi_ok) {
    napi_throw_type_error(env, NULL, name);
    return NULL;
  }
  char **list = calloc((size_t)length + 1, sizeof *list);
  if (list == NULL) {
    ew_throw_errno(env, "spawnEscalated", ENOMEM);
    return NULL;
  }
  for (uint32_t i = 0; i < length; i++) {
    napi_value element;
    napi_get_element(env, value, i, &element);
    list[i] = get_string(env, element);
    if (list[i] == NULL) {
      free_strings(list);
      napi_throw_type_error(env, NULL, "spawnEscalated: strings must be text without NUL bytes");
      return NULL;
    }
  }
  return list;
}

/* envp pointing into an environment block ("NAME=value" entries, each ended by NUL): one
   allocation, whatever the number of variables. NULL (with a pending error) if it is not one. */
static char **get_env_block(napi_env env, napi_value value) {
  bool is_buffer = false;
  char *data = NULL;
  size_t length = 0;
  if (napi_is_buffer(env, value, &is_buffer) != napi_ok || !is_buffer ||
      napi_get_buffer_info(env, value, (void **)&data, &length) != napi_ok ||
      (length > 0 && data[length - 1] != '\0')) {
    napi_throw_type_error(env, NULL, "spawnEscalated: env is a Buffer of NUL-terminated entries");
    return NULL;
  }
  size_t count = 0;
  for (size_t i = 0; i < length; i++) count += data[i] == '\0';
  char **list = calloc(count + 1, sizeof *list);
  if (list == NULL) {
    ew_throw_errno(env, "spawnEscalated", ENOMEM);
    return NULL;
  }
  for (size_t i = 0, at = 0; at < count; at++) {
    list[at] = data + i;
    i += strlen(data + i) + 1;
  }
  return list;
}

static int max_int(int a, int b) { return a > b ? a : b; }

napi_value escalated_spawn_js(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value args[7];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  const char *usage =
      "spawnEscalated(mode: 'fd' | 'script', path, programFd, workdirFd, argv[], env: Buffer, stdio[])";
  if (argc < 7) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  struct spawn_plan plan;
  memset(&plan, 0, sizeof plan);
  char mode[8] = {0};
  size_t mode_length = 0;
  if (napi_get_value_string_utf8(env, args[0], mode, sizeof mode, &mode_length) != napi_ok ||
      (strcmp(mode, "fd") != 0 && strcmp(mode, "script") != 0) ||
      napi_get_value_int32(env, args[2], &plan.program_fd) != napi_ok || plan.program_fd < 0 ||
      napi_get_value_int32(env, args[3], &plan.workdir_fd) != napi_ok || plan.workdir_fd < 0) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  plan.script = strcmp(mode, "script") == 0;
  int highest = max_int(STDIO_SLOTS, max_int(plan.program_fd, plan.workdir_fd));
  bool is_array = false;
  uint32_t slots = 0;
  if (napi_is_array(env, args[6], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, args[6], &slots) != napi_ok || slots > STDIO_SLOTS) {
    napi_throw_type_error(env, NULL, "spawnEscalated: stdio is an array of at most 16 descriptors");
    return NULL;
  }
  for (int t = 0; t < STDIO_SLOTS; t++) {
    plan.stdio[t] = -1;
    if ((uint32_t)t >= slots) continue;
    napi_value element;
    napi_get_element(env, args[6], (uint32_t)t, &element);
    if (napi_get_value_int32(env, element, &plan.stdio[t]) != napi_ok) plan.stdio[t] = -1;
    highest = max_int(highest, plan.stdio[t]);
  }
  plan.base = highest + 1;
  struct rlimit limit;
  plan.nofile = getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < 65536 ? (int)limit.rlim_cur : 65536;
  char *path = get_string(env, args[1]);
  if (path == NULL) {
    napi_throw_type_error(env, NULL, "spawnEscalated: the path must be text without NUL bytes");
    return NULL;
  }
  plan.path = path;
  plan.argv = get_strings(env, args[4], "spawnEscalated: argv is an array of strings");
  plan.envp = plan.argv == NULL ? NULL : get_env_block(env, args[5]);
  char *stack = plan.envp == NULL ? NULL : malloc(CHILD_STACK);
  napi_value result = NULL;
  if (plan.envp != NULL && stack == NULL) ew_throw_errno(env, "spawnEscalated", ENOMEM);
  if (stack != NULL) {
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int pidfd = -1;
    /* The stack grows down on every architecture we build for (x64, arm64). */
    char *top = (char *)(((uintptr_t)(stack + CHILD_STACK)) & ~(uintptr_t)15);
    pid_t pid = clone(child_main, top, CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &plan, &pidfd);
    int err = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (pid < 0) {
      ew_throw_errno(env, "spawnEscalated: clone (needs Linux 5.4 or later)", err);
    } else {
      napi_value pid_value, pidfd_value;
      napi_create_object(env, &result);
      napi_create_int32(env, pid, &pid_value);
      napi_create_int32(env, pidfd, &pidfd_value);
      napi_set_named_property(env, result, "pid", pid_value);
      napi_set_named_property(env, result, "pidfd", pidfd_value);
    }
  }
  free(stack);
  free(plan.envp); /* its entries live in the caller's buffer */
  free_strings(plan.argv);
  free(path);
  return result;
}

napi_value escalated_reap_js(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value args[1];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  int pidfd = -1;
  if (argc < 1 || napi_get_value_int32(env, args[0], &pidfd) != napi_ok || pidfd < 0) {
    napi_throw_type_error(env, NULL, "reapEscalated(pidfd)");
    return NULL;
  }
  siginfo_t si;
  memset(&si, 0, sizeof si);
  if (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED | WNOHANG) != 0) {
    return ew_throw_errno(env, "reapEscalated: waitid", errno);
  }
  napi_value result, code, signal;
  if (si.si_pid == 0) {
    napi_get_null(env, &result);
    return result;
  }
  napi_create_object(env, &result);
  napi_get_null(env, &code);
  napi_get_null(env, &signal);
  if (si.si_code == CLD_EXITED) {
    napi_create_int32(env, si.si_status, &code);
  } else {
    napi_create_int32(env, si.si_status, &signal);
  }
  napi_set_named_property(env, result, "code", code);
  napi_set_named_property(env, result, "signal", signal);
  return result;
}
