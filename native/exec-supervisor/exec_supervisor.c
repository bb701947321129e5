/*
 * execward-exec-supervisor: the kernel backstop. Every execve/execveat made inside the sandbox
 * (by a static program, a raw system call, the dynamic loader run directly: anything the exec
 * hook does not see) stops in the kernel until this process, OUTSIDE the sandbox, judges it.
 *
 * Usage (set up by execward, never by hand):
 *   execward-exec-supervisor --server <fd> --listener-fd <n> [--ask </a/b/>] [--notices] -- <bwrap> [args...]
 *
 * How (docs/exec-interception.md, "Kernel backstop"):
 *   1. It starts bwrap as its child (so every sandboxed process is its descendant: Yama's
 *      ptrace_scope=1 still lets it read their memory), with one end of a socketpair as
 *      descriptor <n>. execward-sandbox-init (`--exec-listener <n>`) installs, after
 *      no_new_privs, a seccomp filter that returns SECCOMP_RET_USER_NOTIF for execve and
 *      execveat, and sends the filter's listener here (SCM_RIGHTS; the kernel adds the init's
 *      pid, SO_PASSCRED), then closes its copy: nothing in the sandbox holds the listener or
 *      the socket. If the kernel refuses the filter, the init says why, and this prints once
 *      that only the hook judges execs in this call.
 *   2. For each exec it reads the path and argv from /proc/<pid>/mem, checks the notification
 *      is still alive (SECCOMP_IOCTL_NOTIF_ID_VALID, so a recycled pid is never judged), and
 *      resolves the program in the process's own view: /proc/<pid>/root with openat2
 *      RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, relative paths from /proc/<pid>/cwd or the
 *      execveat descriptor, /dev/fd/N and /proc/self/fd/N through /proc/<pid>/fd/N, the #! chain
 *      (5 levels), and the dynamic loader's program (escalate_loader.h).
 *   3. Fast path: when no name of the program is on the ask list (the one the hook gets in
 *      EXECWARD_ASK), the exec continues (SECCOMP_USER_NOTIF_FLAG_CONTINUE). A path that does
 *      not exist continues too: the kernel fails it the same way. With --notices (an audit log is
 *      on), each continued exec is then reported to the server in a one-way notice that never
 *      blocks the exec (program as named, pid, workdir and argv as read; see notice_run).
 *   4. Otherwise it asks the escalation server on <fd> (a private socket: only this process and
 *      execward hold it) and waits without blocking other execs. Answers: continue, or deny:
 *      the syscall fails with EPERM and "Execution denied: <reason>" goes to the command's
 *      stderr. The backstop never escalates.
 * Fail closed: a program it cannot read or resolve is asked about, never waved through; when the
 * server is gone every exec it would ask about is denied; when this process is gone the kernel
 * fails every exec of the sandbox (ENOSYS), and bwrap dies with it (--die-with-parent).
 * The limit of user notification (a thread can change the path between the read here and the
 * kernel's own) is documented in docs/threat-model.md.
 *
 * Wire format on <fd> (stream): frames of u32 little-endian length + payload.
 *   request   id \0 pid \0 file \0 resolved \0 workdir \0 argv[0] \0 argv[1] \0 ...
 *   response  id \0 ("continue" | "deny") \0 message
 *   notice    "notice" \0 pid \0 file \0 workdir \0 ("read" | "truncated") \0 argv[0] \0 ...
 *   dropped   "dropped" \0 count \0       (notices the channel could not take)
 * Names are bytes (the server keeps non-UTF-8 losslessly); `resolved` may be empty.
 *
 * When bwrap ends, this exits the same way (its status, or its signal). When execward dies, this
 * dies too (PR_SET_PDEATHSIG), and bwrap with it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/escalate_ask_list.h"
#include "../common/escalate_loader.h"

#define FAILURE_EXIT_STATUS 126
#define MAX_PENDING 1024
#define MAX_ARGS 32768
#define ARG_BYTES (4u << 20)
#define MAX_INTERPRETERS 5
#define FRAME_CAP (64u << 10)

static const char *ask_list; /* "/a/b/" or NULL: ask about everything */
static int server_fd = -1;
static int listener = -1;
static int server_gone;
static pid_t init_pid = -1;
static int init_exec_seen;
static int notices; /* --notices: tell the server about each fast-path continue (audit log) */
static int flush_outbox_blocking(void);

struct pending {
  uint64_t notif_id;
  int used;
  char file[256];
};
static struct pending pending[MAX_PENDING];

static void die(const char *what, int err) {
  if (err != 0)
    fprintf(stderr, "execward-exec-supervisor: %s: %s\n", what, strerror(err));
  else
    fprintf(stderr, "execward-exec-supervisor: %s\n", what);
  _exit(FAILURE_EXIT_STATUS);
}

/* ------------------------------------------------------------------ answering the kernel */

static void answer(uint64_t id, int allow) {
  struct seccomp_notif_resp resp;
  memset(&resp, 0, sizeof resp);
  resp.id = id;
  if (allow) {
    resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  } else {
    resp.error = -EPERM;
  }
  /* ENOENT: the process is gone (killed while waiting); nothing to answer. */
  while (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) != 0 && errno == EINTR) {
  }
}

/*
 * Continues an exec. No SECCOMP_IOCTL_NOTIF_ID_VALID first: if the process died and its pid was
 * recycled while it was being read, the answer goes to a notification that no longer exists,
 * and the kernel drops it (ENOENT); nothing else was done with what was read.
 */
static void continue_exec(uint64_t id) {
  answer(id, 1);
}

static void report_denial(const char *file, const char *reason, size_t reason_len) {
  char line[2048];
  int n = snprintf(line, sizeof line, "Execution denied: %.*s (%s, stopped by execward's exec backstop)\n",
                   (int)(reason_len > 1500 ? 1500 : reason_len), reason, file);
  if (n > 0) (void)!write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static void deny(uint64_t id, const char *file, const char *reason) {
  report_denial(file, reason, strlen(reason));
  answer(id, 0);
}

/* ------------------------------------------------------------------ reading the process */

/* Reads len bytes of process `pid` at `addr` (process_vm_readv); how many were read, or -1. */
static ssize_t read_memory(pid_t pid, uint64_t addr, void *out, size_t len) {
  struct iovec local = {.iov_base = out, .iov_len = len};
  struct iovec remote = {.iov_base = (void *)(uintptr_t)addr, .iov_len = len};
  return process_vm_readv(pid, &local, 1, &remote, 1, 0);
}

/* Reads a NUL-terminated string at `addr` into out (cap bytes); its length, or -1. */
static long read_string(pid_t pid, uint64_t addr, char *out, size_t cap) {
  size_t got = 0;
  while (got < cap) {
    size_t chunk = 4096 - ((addr + got) & 4095);
    if (chunk > cap - got) chunk = cap - got;
    ssize_t n = read_memory(pid, addr + got, out + got, chunk);
    if (n <= 0) return -1;
    void *nul = memchr(out + got, '\0', (size_t)n);
    if (nul != NULL) return (long)((char *)nul - out);
    got += (size_t)n;
  }
  return -1;
}

struct exec_args {
  char *arena;
  size_t used;
  char *argv[MAX_ARGS + 1];
  int argc;
};

/* Reads argv (NULL-terminated pointer array at `addr`); 0, or -1 (unreadable or too large). */
static int read_argv(pid_t mem, uint64_t addr, struct exec_args *a) {
  a->argc = 0;
  a->used = 0;
  if (addr == 0) {
    a->argv[0] = NULL;
    return 0;
  }
  for (;;) {
    uint64_t ptrs[64];
    ssize_t n = read_memory(mem, addr, ptrs, sizeof ptrs);
    if (n < (ssize_t)sizeof(uint64_t)) {
      /* The array may end near the end of a mapping: one pointer at a time. */
      n = read_memory(mem, addr, ptrs, sizeof(uint64_t));
      if (n != (ssize_t)sizeof(uint64_t)) return -1;
    }
    size_t count = (size_t)n / sizeof(uint64_t);
    for (size_t i = 0; i < count; i++) {
      if (ptrs[i] == 0) {
        a->argv[a->argc] = NULL;
        return 0;
      }
      if (a->argc == MAX_ARGS || a->used >= ARG_BYTES) return -1;
      long len = read_string(mem, ptrs[i], a->arena + a->used, ARG_BYTES - a->used);
      if (len < 0) return -1;
      a->argv[a->argc++] = a->arena + a->used;
      a->used += (size_t)len + 1;
    }
    addr += count * sizeof(uint64_t);
  }
}

/* ------------------------------------------------------------------ resolving in its view */

static int anonymous_name(const char *name) {
  size_t n = strlen(name);
  static const char deleted[] = " (deleted)";
  if (name[0] != '/') return 1;
  if (strncmp(name, "/memfd:", 7) == 0) return 1;
  return n >= sizeof deleted - 1 && strcmp(name + n - (sizeof deleted - 1), deleted) == 0;
}

static void fd_link(int fd, char *out, size_t size) {
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, out, size - 1);
  out[n < 0 ? 0 : n] = '\0';
}

/* Joins `dir` and a relative `name` into out; -1 when it does not fit. */
static int join(char *out, size_t size, const char *dir, const char *name) {
  int n = snprintf(out, size, "%s/%s", dir, name);
  return n < 0 || (size_t)n >= size ? -1 : 0;
}

struct process {
  pid_t pid;
  int root;           /* O_PATH of /proc/<pid>/root */
  int cwd_read;       /* cwd below was read (it is read only when needed) */
  char cwd[PATH_MAX]; /* its working directory, in its view; "" when unknown */
};

/*
 * The path, in the process's view, of the directory behind the magic link `link` (its cwd, or an
 * execveat descriptor): the link's text, kept only if it leads, in that view, to the same
 * directory. "" otherwise (a deleted directory, one outside its root): relative names are then
 * not resolved from a guess.
 */
static void directory_in_view(struct process *p, const char *link, char *out, size_t size) {
  ssize_t n = readlink(link, out, size - 1);
  out[n < 0 ? 0 : n] = '\0';
  if (out[0] != '/') {
    out[0] = '\0';
    return;
  }
  struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  int fd = (int)syscall(SYS_openat2, p->root, out, &how, sizeof how);
  struct stat viewed, real;
  int same = fd >= 0 && fstat(fd, &viewed) == 0 && stat(link, &real) == 0 && viewed.st_dev == real.st_dev &&
             viewed.st_ino == real.st_ino;
  if (fd >= 0) close(fd);
  if (!same) out[0] = '\0';
}

static const char *cwd_of(struct process *p) {
  if (!p->cwd_read) {
    char link[64];
    snprintf(link, sizeof link, "/proc/%d/cwd", (int)p->pid);
    directory_in_view(p, link, p->cwd, sizeof p->cwd);
    p->cwd_read = 1;
  }
  return p->cwd;
}

enum found { FOUND, MISSING, UNRESOLVABLE };

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

static int on_procfs(int fd) {
  struct statfs fs;
  return fstatfs(fd, &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC;
}

/* The process's thread-group id and thread id in its own pid namespace (last of NStgid, NSpid). */
static int ns_ids(pid_t pid, long *tgid, long *tid, long *host_tgid) {
  char file[64], text[4096];
  snprintf(file, sizeof file, "/proc/%d/status", (int)pid);
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  if (n <= 0) return -1;
  text[n] = '\0';
  const char *names[] = {"\nNStgid:", "\nNSpid:", "\nTgid:"};
  long *values[] = {tgid, tid, host_tgid};
  for (int i = 0; i < 3; i++) {
    const char *line = strstr(text, names[i]);
    if (line == NULL) return -1;
    line += strlen(names[i]);
    long last = -1;
    for (;;) {
      char *end = NULL;
      long v = strtol(line, &end, 10);
      if (end == line) break;
      last = v;
      line = end;
    }
    if (last <= 0) return -1;
    *values[i] = last;
  }
  return 0;
}

/*
 * Opens `start` (absolute in the process's view) as the process's kernel would find it: one
 * openat2(RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS) walk at a time, each symlink read and followed
 * here. Two kinds of link mean something else to this process than to the exec'ing one, and are
 * followed as the exec'ing process would: procfs's `self` and `thread-self` (its own pid in the
 * sandbox's pid namespace), and procfs magic links of its own (/proc/<its pid>/fd/N, exe), opened
 * through /proc/<pid> on the host. Any other magic link cannot be followed from outside
 * (UNRESOLVABLE). MISSING is only returned when a walk without any symlink hit a missing name, so
 * the kernel fails the exec in the same way.
 */
static enum found open_in_view(struct process *p, const char *start, int *fd) {
  /*
   * First one walk that follows ordinary symlinks: what it finds is what the kernel finds (a
   * procfs `self` link leads nowhere for a process outside the sandbox's pid namespace, and
   * magic links are refused), so only a failure needs the careful walk below.
   */
  struct open_how quick = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  *fd = (int)syscall(SYS_openat2, p->root, start, &quick, sizeof quick);
  if (*fd >= 0) return FOUND;
  char path[PATH_MAX];
  if (strlen(start) >= sizeof path) return UNRESOLVABLE;
  strcpy(path, start);
  for (int hops = 0; hops <= 40; hops++) {
    struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS};
    *fd = (int)syscall(SYS_openat2, p->root, path, &how, sizeof how);
    if (*fd >= 0) return FOUND;
    if (errno == ENOENT || errno == ENOTDIR) return MISSING;
    if (errno != ELOOP) return UNRESOLVABLE;
    /* The first symlink on the way: find it, read it, splice its target in. */
    size_t len = strlen(path), i = 0;
    int followed = 0;
    while (i < len && !followed) {
      size_t j = i;
      while (j < len && path[j] == '/') j++;
      size_t k = j;
      while (k < len && path[k] != '/') k++;
      if (k == j) break;
      char prefix[PATH_MAX];
      memcpy(prefix, path, k);
      prefix[k] = '\0';
      struct open_how link_how = {.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
                                  .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS};
      int link_fd = (int)syscall(SYS_openat2, p->root, prefix, &link_how, sizeof link_how);
      if (link_fd < 0) return errno == ENOENT || errno == ENOTDIR ? MISSING : UNRESOLVABLE;
      struct stat st;
      if (fstat(link_fd, &st) != 0 || !S_ISLNK(st.st_mode)) {
        close(link_fd);
        i = k;
        continue;
      }
      char parent[PATH_MAX];
      memcpy(parent, path, j);
      parent[j] = '\0';
      const char *name = prefix + j;
      struct open_how dir_how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                                 .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS};
      int dir_fd = (int)syscall(SYS_openat2, p->root, j == 0 ? "/" : parent, &dir_how, sizeof dir_how);
      struct stat dir_st;
      int in_proc = dir_fd >= 0 && on_procfs(dir_fd) && fstat(dir_fd, &dir_st) == 0;
      if (dir_fd >= 0) close(dir_fd);
      char target[PATH_MAX];
      long tgid = 0, tid = 0, host_tgid = 0;
      if (in_proc && dir_st.st_ino == 1 && (strcmp(name, "self") == 0 || strcmp(name, "thread-self") == 0)) {
        close(link_fd);
        if (ns_ids(p->pid, &tgid, &tid, &host_tgid) != 0) return UNRESOLVABLE;
        if (strcmp(name, "self") == 0)
          snprintf(target, sizeof target, "%ld", tgid);
        else
          snprintf(target, sizeof target, "%ld/task/%ld", tgid, tid);
      } else if (in_proc) {
        /* A magic link (fd/N, exe, cwd...): only the exec'ing process's own, and only to its end. */
        close(link_fd);
        if (ns_ids(p->pid, &tgid, &tid, &host_tgid) != 0) return UNRESOLVABLE;
        char own[64], own_fd[64];
        snprintf(own, sizeof own, "/proc/%ld/", tgid);
        snprintf(own_fd, sizeof own_fd, "/proc/%ld/fd/", tgid);
        const char *rest = prefix + strlen(own);
        if (path[k] != '\0' || strncmp(prefix, own, strlen(own)) != 0 ||
            (strcmp(rest, "exe") != 0 && strncmp(prefix, own_fd, strlen(own_fd)) != 0))
          return UNRESOLVABLE;
        char host[PATH_MAX];
        snprintf(host, sizeof host, "/proc/%ld/%s", host_tgid, rest);
        *fd = open(host, O_PATH | O_CLOEXEC);
        if (*fd >= 0) return FOUND;
        return UNRESOLVABLE;
      } else {
        ssize_t n = readlinkat(link_fd, "", target, sizeof target - 1);
        close(link_fd);
        if (n <= 0) return UNRESOLVABLE;
        target[n] = '\0';
      }
      char next[PATH_MAX];
      /* `parent` ends with its slashes ("/proc/"), or is empty for a link at the top. */
      int written = target[0] == '/' ? snprintf(next, sizeof next, "%s%s", target, path + k)
                                     : snprintf(next, sizeof next, "%s%s%s", j == 0 ? "/" : parent, target, path + k);
      if (written < 0 || (size_t)written >= sizeof next) return UNRESOLVABLE;
      strcpy(path, next);
      followed = 1;
    }
    if (!followed) return UNRESOLVABLE;
  }
  return UNRESOLVABLE;
}

/* 0: #! found (interpreter in out), 1: none, -1: cannot read it. */
static int read_shebang(int fd, char *out, size_t size) {
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return 1;
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  int readable = open(link, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (readable < 0) return -1;
  char head[256];
  ssize_t n = pread(readable, head, sizeof head, 0);
  close(readable);
  if (n < 0) return -1;
  if (n < 3 || head[0] != '#' || head[1] != '!') return 1;
  size_t i = 2, k = 0;
  while (i < (size_t)n && (head[i] == ' ' || head[i] == '\t')) i++;
  while (i < (size_t)n && head[i] != ' ' && head[i] != '\t' && head[i] != '\n' && head[i] != '\0' && k + 1 < size)
    out[k++] = head[i++];
  out[k] = '\0';
  return k > 0 ? 0 : 1;
}

/*
 * Whether the server must be asked about the program open at `fd` (named `named`): any name it
 * has (as named, canonical, each #! interpreter as written and resolved) on the ask list, or
 * anything that cannot be followed.
 */
static int must_ask(struct process *p, int fd, const char *named, char *canonical, size_t canonical_size) {
  fd_link(fd, canonical, canonical_size);
  if (ask_list == NULL || canonical[0] == '\0' || anonymous_name(canonical)) return 1;
  if (ew_ask_listed(ask_list, ew_base_name(named)) || ew_ask_listed(ask_list, ew_base_name(canonical))) return 1;
  int current = fd;
  int ask = 0;
  for (int level = 0;; level++) {
    char interpreter[256];
    int found = read_shebang(current, interpreter, sizeof interpreter);
    if (found != 0) {
      ask = found < 0;
      break;
    }
    if (level == MAX_INTERPRETERS || ew_ask_listed(ask_list, ew_base_name(interpreter))) {
      ask = 1;
      break;
    }
    char absolute[PATH_MAX];
    if (interpreter[0] != '/' && join(absolute, sizeof absolute, cwd_of(p), interpreter) != 0) {
      ask = 1;
      break;
    }
    int next;
    if (open_in_view(p, interpreter[0] == '/' ? interpreter : absolute, &next) != FOUND) {
      ask = 1;
      break;
    }
    if (current != fd) close(current);
    current = next;
    char resolved[PATH_MAX];
    fd_link(current, resolved, sizeof resolved);
    if (resolved[0] == '\0' || ew_ask_listed(ask_list, ew_base_name(resolved))) {
      ask = 1;
      break;
    }
  }
  if (current != fd) close(current);
  return ask;
}

/* ------------------------------------------------------------------ the server */

static int remember(uint64_t id, const char *file) {
  for (int i = 0; i < MAX_PENDING; i++) {
    if (!pending[i].used) {
      pending[i].used = 1;
      pending[i].notif_id = id;
      snprintf(pending[i].file, sizeof pending[i].file, "%.255s", file);
      return 0;
    }
  }
  return -1;
}

static int send_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return -1;
    p += k;
    n -= (size_t)k;
  }
  return 0;
}

static char frame[ARG_BYTES + 3 * PATH_MAX + 256];

/* The server is gone: nothing more can be judged, so every exec still waiting is denied. */
static void server_lost(void) {
  server_gone = 1;
  for (int i = 0; i < MAX_PENDING; i++) {
    if (pending[i].used) {
      pending[i].used = 0;
      deny(pending[i].notif_id, pending[i].file, "execward's escalation server is gone, so this exec cannot be judged");
    }
  }
}

static void ask_server(uint64_t id, pid_t pid, const char *file, const char *resolved, const char *workdir,
                       struct exec_args *a, int first_arg) {
  if (server_gone) {
    deny(id, file, "execward's escalation server is gone, so this exec cannot be judged");
    return;
  }
  size_t len = 4;
  int n = snprintf(frame + len, sizeof frame - len, "%llu%c%d%c", (unsigned long long)id, 0, (int)pid, 0);
  len += (size_t)n;
  const char *fields[] = {file, resolved, workdir};
  for (int i = 0; i < 3; i++) {
    size_t k = strlen(fields[i]) + 1;
    if (len + k > sizeof frame) goto too_big;
    memcpy(frame + len, fields[i], k);
    len += k;
  }
  for (int i = first_arg; i < a->argc; i++) {
    size_t k = strlen(a->argv[i]) + 1;
    if (len + k > sizeof frame) goto too_big;
    memcpy(frame + len, a->argv[i], k);
    len += k;
  }
  uint32_t body = (uint32_t)(len - 4);
  memcpy(frame, &body, 4); /* little-endian on both supported architectures */
  if (remember(id, file) != 0) {
    deny(id, file, "too many execs are waiting for a decision");
    return;
  }
  if (flush_outbox_blocking() != 0 || send_all(server_fd, frame, len) != 0) {
    server_lost();
  }
  return;
too_big:
  deny(id, file, "the command line is too large for execward to judge");
}

/*
 * Tells the server that the exec behind a pending question is gone (the process was killed while
 * it waited): a prompt for it can be withdrawn. Frame: "cancel" \0 id \0.
 */
static void withdraw_dead(void) {
  for (int i = 0; i < MAX_PENDING && !server_gone; i++) {
    if (!pending[i].used) continue;
    uint64_t id = pending[i].notif_id;
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0) continue;
    pending[i].used = 0;
    char cancel[64];
    int n = snprintf(cancel + 4, sizeof cancel - 4, "cancel%c%llu%c", 0, (unsigned long long)id, 0);
    uint32_t body = (uint32_t)n;
    memcpy(cancel, &body, 4);
    if (flush_outbox_blocking() != 0 || send_all(server_fd, cancel, 4 + (size_t)n) != 0) server_gone = 1;
  }
}

static int any_pending(void) {
  for (int i = 0; i < MAX_PENDING; i++) {
    if (pending[i].used) return 1;
  }
  return 0;
}

static char inbox[FRAME_CAP + 4];
static size_t inbox_len;

static void on_response(const char *p, size_t n) {
  const char *end = p + n;
  const char *id_text = p;
  const char *action = memchr(p, '\0', n);
  if (action == NULL) return;
  action++;
  const char *message = memchr(action, '\0', (size_t)(end - action));
  if (message == NULL) return;
  message++;
  uint64_t id = strtoull(id_text, NULL, 10);
  for (int i = 0; i < MAX_PENDING; i++) {
    if (!pending[i].used || pending[i].notif_id != id) continue;
    pending[i].used = 0;
    if (strcmp(action, "continue") == 0) {
      answer(id, 1);
    } else {
      report_denial(pending[i].file, message, (size_t)(end - message));
      answer(id, 0);
    }
    return;
  }
}

static void read_server(void) {
  ssize_t n = recv(server_fd, inbox + inbox_len, sizeof inbox - inbox_len, MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    server_lost();
    return;
  }
  inbox_len += (size_t)n;
  for (;;) {
    if (inbox_len < 4) return;
    uint32_t body;
    memcpy(&body, inbox, 4);
    if (body > FRAME_CAP) die("malformed answer from the escalation server", 0);
    if (inbox_len < 4 + (size_t)body) return;
    on_response(inbox + 4, body);
    memmove(inbox, inbox + 4 + body, inbox_len - 4 - body);
    inbox_len -= 4 + body;
  }
}

/* ------------------------------------------------------------------ fast-path notices */

/*
 * One-way notices of the execs the fast path continues, for the audit log (--notices only).
 * Never blocking an exec: a notice is built after the exec was continued and queued in a bounded
 * outbox (whole frames); the outbox is sent with MSG_DONTWAIT in batches, when it holds
 * FLUSH_AT bytes or when no exec came for FLUSH_IDLE_MS (one wake-up of execward per batch, not
 * per exec), and what the socket does not take waits until it is writable. A notice that does
 * not fit is dropped and counted, and the count goes out as a "dropped" frame when there is room
 * again. Questions (ask_server) flush the outbox first, so frames never interleave.
 *   notice   "notice" \0 pid \0 file \0 workdir \0 ("read" | "truncated") \0 argv[0] \0 ...
 *   dropped  "dropped" \0 count \0
 */
#define NOTICE_ARGV_BYTES 4096
#define OUTBOX_BYTES (256u << 10)
#define FLUSH_AT (16u << 10)
#define FLUSH_IDLE_MS 2

static char outbox[OUTBOX_BYTES];
static size_t outbox_len;
static unsigned long notices_dropped;
static int outbox_blocked; /* the socket refused part of the outbox: wait until it is writable */

static int send_all(int fd, const char *p, size_t n);

/* Sends what the socket takes now; the rest stays queued. */
static void flush_outbox_now(void) {
  outbox_blocked = 0;
  while (outbox_len > 0 && !server_gone) {
    ssize_t k = send(server_fd, outbox, outbox_len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      outbox_blocked = 1;
      return;
    }
    if (k <= 0) {
      server_gone = 1;
      outbox_len = 0;
      return;
    }
    memmove(outbox, outbox + k, outbox_len - (size_t)k);
    outbox_len -= (size_t)k;
  }
}

/* Before a question: the queued notices go first, whole (the question waits anyway). */
static int flush_outbox_blocking(void) {
  outbox_blocked = 0;
  if (outbox_len == 0) return 0;
  int rc = send_all(server_fd, outbox, outbox_len);
  outbox_len = 0;
  return rc;
}

static void queue_frame(const char *frame_bytes, size_t len) {
  if (server_gone) return;
  if (len > sizeof outbox - outbox_len) {
    notices_dropped++;
    return;
  }
  memcpy(outbox + outbox_len, frame_bytes, len);
  outbox_len += len;
}

static void put_field(char *buf, size_t cap, size_t *len, const char *text, int *full) {
  size_t k = strlen(text) + 1;
  if (*full || *len + k > cap) {
    *full = 1;
    return;
  }
  memcpy(buf + *len, text, k);
  *len += k;
}

/* After the exec was continued: tells the server (see above). argv: NULL when unreadable. */
static void notice_run(pid_t pid, const char *file, const char *workdir, struct exec_args *a, int first_arg) {
  if (!notices || server_gone) return;
  if (notices_dropped > 0) {
    char dropped[64];
    int n = snprintf(dropped + 4, sizeof dropped - 4, "dropped%c%lu%c", 0, notices_dropped, 0);
    uint32_t body = (uint32_t)n;
    memcpy(dropped, &body, 4);
    if (4 + (size_t)n <= sizeof outbox - outbox_len) {
      notices_dropped = 0;
      queue_frame(dropped, 4 + (size_t)n);
    }
  }
  char buf[4 + 64 + 2 * PATH_MAX + NOTICE_ARGV_BYTES + 32];
  size_t len = 4;
  int full = 0;
  char pid_text[24];
  snprintf(pid_text, sizeof pid_text, "%d", (int)pid);
  put_field(buf, sizeof buf, &len, "notice", &full);
  put_field(buf, sizeof buf, &len, pid_text, &full);
  put_field(buf, sizeof buf, &len, file, &full);
  put_field(buf, sizeof buf, &len, workdir, &full);
  size_t state_at = len;
  put_field(buf, sizeof buf, &len, "truncated", &full); /* rewritten below when whole */
  if (full) return;
  size_t argv_start = len;
  int truncated = a == NULL;
  for (int i = first_arg; a != NULL && i < a->argc; i++) {
    size_t k = strlen(a->argv[i]) + 1;
    if (len - argv_start + k > NOTICE_ARGV_BYTES) {
      truncated = 1;
      break;
    }
    memcpy(buf + len, a->argv[i], k);
    len += k;
  }
  if (!truncated) {
    /* "read" is shorter than "truncated": move the argv down. */
    memcpy(buf + state_at, "read", 5);
    memmove(buf + state_at + 5, buf + argv_start, len - argv_start);
    len -= argv_start - (state_at + 5);
  }
  uint32_t body = (uint32_t)(len - 4);
  memcpy(buf, &body, 4);
  queue_frame(buf, len);
  if (outbox_len >= FLUSH_AT && !outbox_blocked) flush_outbox_now();
}

/* ------------------------------------------------------------------ one exec */

static struct exec_args args;

static void judge(struct seccomp_notif *n) {
  uint64_t id = n->id;
  pid_t pid = (pid_t)n->pid;
  if (!init_exec_seen && pid == init_pid) {
    /* The init's own exec of the command: execward's choice, as the hook never sees it either. */
    init_exec_seen = 1;
    answer(id, 1);
    return;
  }
  int is_execveat = n->data.nr == __NR_execveat;
  uint64_t path_addr = is_execveat ? n->data.args[1] : n->data.args[0];
  uint64_t argv_addr = is_execveat ? n->data.args[2] : n->data.args[1];
  int dirfd = is_execveat ? (int)n->data.args[0] : AT_FDCWD;
  int flags = is_execveat ? (int)n->data.args[4] : 0;

  char proc[64];
  struct process p = {.pid = pid, .root = -1, .cwd_read = 0};
  snprintf(proc, sizeof proc, "/proc/%d/root", (int)pid);
  p.root = open(proc, O_PATH | O_DIRECTORY | O_CLOEXEC);
  char path[PATH_MAX];
  long path_len = read_string(pid, path_addr, path, sizeof path);
  if (p.root < 0 || path_len < 0) {
    if (p.root >= 0) close(p.root);
    deny(id, path_len < 0 ? "(unreadable)" : path, "execward cannot read this exec's program");
    return;
  }
  int argv_read = 0;
  /* The program's absolute name in its view, and its open file. */
  char named[PATH_MAX];
  int fd = -1;
  enum found found;
  if (is_execveat && path[0] == '\0' && (flags & AT_EMPTY_PATH)) {
    char link[64];
    snprintf(link, sizeof link, "/proc/%d/fd/%d", (int)pid, dirfd);
    fd = open(link, O_PATH | O_CLOEXEC);
    found = fd >= 0 ? FOUND : MISSING;
    if (fd >= 0) fd_link(fd, named, sizeof named);
  } else {
    const char *dir = path[0] == '/' ? "/" : cwd_of(&p);
    char dir_buf[PATH_MAX];
    if (path[0] != '/' && dirfd != AT_FDCWD) {
      char link[64];
      snprintf(link, sizeof link, "/proc/%d/fd/%d", (int)pid, dirfd);
      directory_in_view(&p, link, dir_buf, sizeof dir_buf);
      dir = dir_buf;
    }
    if (path[0] == '/') {
      snprintf(named, sizeof named, "%s", path);
    } else if (dir[0] != '/' || join(named, sizeof named, dir, path) != 0) {
      close(p.root);
      deny(id, path, "execward cannot tell which directory this exec's program is in");
      return;
    }
    found = open_in_view(&p, named, &fd);
  }

  int first_arg = 0;
  char canonical[PATH_MAX];
  canonical[0] = '\0';
  int ask = 1;
  for (int depth = 0; found == FOUND; depth++) {
    ask = must_ask(&p, fd, named, canonical, sizeof canonical);
    if (!ew_is_loader_name(ew_base_name(named)) && !ew_is_loader_name(ew_base_name(canonical))) break;
    if (!argv_read && read_argv(pid, argv_addr, &args) != 0) {
      found = UNRESOLVABLE;
      break;
    }
    argv_read = 1;
    int loaded = ew_loader_program(named, canonical, args.argv + first_arg);
    if (loaded == EW_LOADER_NONE) break;
    close(fd);
    fd = -1;
    if (loaded == EW_LOADER_UNKNOWN || depth == EW_LOADER_MAX_DEPTH) {
      close(p.root);
      deny(id, named, "the dynamic loader is run with options execward cannot read, so the program it loads cannot be judged");
      return;
    }
    /* ld.so PROGRAM: judged as PROGRAM, with the arguments from PROGRAM on. */
    first_arg += loaded;
    const char *program = args.argv[first_arg];
    if (program[0] == '/') {
      snprintf(named, sizeof named, "%s", program);
    } else if (join(named, sizeof named, cwd_of(&p), program) != 0) {
      found = UNRESOLVABLE;
      break;
    }
    found = open_in_view(&p, named, &fd);
    canonical[0] = '\0';
    ask = 1;
  }
  if (fd >= 0) close(fd);
  if (found != MISSING && ask) (void)cwd_of(&p); /* the server needs it; read while root is open */
  if (found == MISSING) {
    /* Nothing there: the kernel fails this exec itself (ENOENT, ENOTDIR); nothing ran. */
    close(p.root);
    continue_exec(id);
    return;
  }
  if (!ask) {
    /* Nothing to ask. With --notices, what it runs is read first (argv changes with the exec). */
    int have_argv = 1;
    if (notices && !argv_read) have_argv = read_argv(pid, argv_addr, &args) == 0 && first_arg <= args.argc;
    /*
     * The working directory as the kernel names it (one readlink, not checked further), read while
     * the process still waits in execve: once continued, a short program may be gone before it.
     */
    if (notices && !p.cwd_read) {
      char link[64];
      snprintf(link, sizeof link, "/proc/%d/cwd", (int)pid);
      ssize_t n = readlink(link, p.cwd, sizeof p.cwd - 1);
      p.cwd[n > 0 && p.cwd[0] == '/' ? n : 0] = '\0';
    }
    close(p.root);
    continue_exec(id);
    if (notices) notice_run(pid, named, p.cwd, have_argv ? &args : NULL, first_arg);
    return;
  }
  close(p.root);
  if ((!argv_read && read_argv(pid, argv_addr, &args) != 0) || first_arg >= args.argc) {
    deny(id, named, "execward cannot read this exec's arguments");
    return;
  }
  if (cwd_of(&p)[0] != '/') {
    deny(id, named, "execward cannot read this exec's working directory");
    return;
  }
  if (named[0] != '/') {
    /* A descriptor with no path at all (anon_inode:...): nothing a rule could name. */
    deny(id, named, "execward cannot tell which program this is (a file with no name), so no rule can be checked");
    return;
  }
  /* What was read belongs to this exec only if the notification is still alive (not a recycled pid). */
  /* The server knows processes (the hook's requests come from one): the thread's group leader. */
  long ns_tgid = 0, ns_tid = 0, host_tgid = 0;
  if (ns_ids(pid, &ns_tgid, &ns_tid, &host_tgid) != 0) host_tgid = pid;
  if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) != 0) return;
  ask_server(id, (pid_t)host_tgid, named, canonical, p.cwd, &args, first_arg);
}

/* ------------------------------------------------------------------ start-up */

/* Receives the listener (or the init's reason why there is none) on `sock`. */
static void receive_listener(int sock) {
  char data[512];
  struct iovec iov = {.iov_base = data, .iov_len = sizeof data - 1};
  union {
    char buf[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(struct ucred))];
    struct cmsghdr align;
  } control;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf};
  ssize_t n;
  do {
    n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return; /* the sandbox never started its init: nothing there runs */
  data[n] = '\0';
  pid_t sender = -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET) continue;
    if (c->cmsg_type == SCM_RIGHTS) memcpy(&listener, CMSG_DATA(c), sizeof(int));
    if (c->cmsg_type == SCM_CREDENTIALS) {
      struct ucred cred;
      memcpy(&cred, CMSG_DATA(c), sizeof cred);
      sender = cred.pid;
    }
  }
  if (listener >= 0 && sender > 0) {
    init_pid = sender;
    return;
  }
  if (listener >= 0) close(listener);
  listener = -1;
  fprintf(stderr,
          "execward: the kernel exec backstop is off for this command (%s); execs are judged by the exec "
          "hook only, so static programs and raw execve calls are not\n",
          data[0] == 'N' && data[1] != '\0' ? data + 1 : "no listener");
}

static void exit_like(int status) {
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    kill(getpid(), sig);
    _exit(128 + sig);
  }
  _exit(WIFEXITED(status) ? WEXITSTATUS(status) : FAILURE_EXIT_STATUS);
}

static int parse_fd(const char *text) {
  char *end = NULL;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v < 3 || v > 1 << 20) return -1;
  return (int)v;
}

int main(int argc, char **argv) {
  int listener_fd = -1;
  int i = 1;
  for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
    if (strcmp(argv[i], "--server") == 0 && i + 1 < argc) {
      server_fd = parse_fd(argv[++i]);
    } else if (strcmp(argv[i], "--listener-fd") == 0 && i + 1 < argc) {
      listener_fd = parse_fd(argv[++i]);
    } else if (strcmp(argv[i], "--notices") == 0) {
      notices = 1;
    } else if (strcmp(argv[i], "--ask") == 0 && i + 1 < argc) {
      ask_list = argv[++i];
    } else {
      die("usage: execward-exec-supervisor --server <fd> --listener-fd <n> [--ask <list>] [--notices] -- <program> [args...]", 0);
    }
  }
  if (i + 1 >= argc || server_fd < 0 || listener_fd < 0 || listener_fd == server_fd ||
      fcntl(server_fd, F_SETFD, FD_CLOEXEC) != 0)
    die("usage: execward-exec-supervisor --server <fd> --listener-fd <n> [--ask <list>] -- <program> [args...]", 0);
  /* Dies with execward (then bwrap dies with this, --die-with-parent): nothing outlives it. */
  pid_t parent = getppid();
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || getppid() != parent) _exit(FAILURE_EXIT_STATUS);
  args.arena = malloc(ARG_BYTES);
  if (args.arena == NULL) die("out of memory", ENOMEM);

  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) die("socketpair", errno);
  int one = 1;
  if (setsockopt(pair[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof one) != 0) die("SO_PASSCRED", errno);
  pid_t child = fork();
  if (child < 0) die("fork", errno);
  if (child == 0) {
    if (pair[1] == listener_fd) {
      fcntl(listener_fd, F_SETFD, 0);
    } else if (dup2(pair[1], listener_fd) < 0) {
      _exit(FAILURE_EXIT_STATUS);
    }
    execvp(argv[i + 1], argv + i + 1);
    fprintf(stderr, "execward-exec-supervisor: %s: %s\n", argv[i + 1], strerror(errno));
    _exit(errno == ENOENT ? 127 : FAILURE_EXIT_STATUS);
  }
  close(pair[1]);
  /* The command's descriptors (escalation socket, network channel) are bwrap's, not ours. */
  int low = server_fd < pair[0] ? server_fd : pair[0];
  int high = server_fd < pair[0] ? pair[0] : server_fd;
  if (low > 3) syscall(SYS_close_range, 3, low - 1, 0);
  if (high > low + 1) syscall(SYS_close_range, low + 1, high - 1, 0);
  syscall(SYS_close_range, high + 1, ~0U, 0);
  /* Only the command keeps its stdin and stdout; stderr stays, for denials. */
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull >= 0) {
    dup2(devnull, 0);
    dup2(devnull, 1);
    close(devnull);
  }
  int pidfd = (int)syscall(SYS_pidfd_open, child, 0);
  if (pidfd < 0) die("pidfd_open", errno);

  /* The listener first: the init's exec waits for it, and so does everything after. */
  struct pollfd start[2] = {{.fd = pair[0], .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
  while (poll(start, 2, -1) < 0) {
    if (errno != EINTR) die("poll", errno);
  }
  if (start[0].revents != 0) receive_listener(pair[0]);
  close(pair[0]);

  struct seccomp_notif_sizes sizes;
  if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0) sizes.seccomp_notif = sizeof(struct seccomp_notif);
  size_t notif_size = sizes.seccomp_notif > sizeof(struct seccomp_notif) ? sizes.seccomp_notif : sizeof(struct seccomp_notif);
  struct seccomp_notif *notif = malloc(notif_size);
  if (notif == NULL) die("out of memory", ENOMEM);

  for (;;) {
    struct pollfd fds[3] = {{.fd = pidfd, .events = POLLIN},
                            {.fd = server_gone ? -1 : server_fd, .events = POLLIN | (outbox_blocked ? POLLOUT : 0)},
                            {.fd = listener, .events = POLLIN}};
    /* While questions wait (a human may be asked), look every second for execs that died. */
    int waiting = listener >= 0 && any_pending();
    /* Queued notices go out once execs pause (or the socket can take them again). */
    int timeout = outbox_len > 0 && !outbox_blocked ? FLUSH_IDLE_MS : waiting ? 1000 : -1;
    int ready = poll(fds, 3, timeout);
    if (ready < 0) {
      if (errno == EINTR) continue;
      die("poll", errno);
    }
    if (waiting) withdraw_dead();
    if (fds[2].revents & POLLIN) {
      memset(notif, 0, notif_size);
      if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, notif) == 0) judge(notif);
    } else if (fds[2].revents & (POLLHUP | POLLERR | POLLNVAL)) {
      /* No process of the sandbox is left to exec anything. */
      close(listener);
      listener = -1;
    }
    if ((fds[1].revents & POLLOUT) || (ready == 0 && outbox_len > 0 && !outbox_blocked)) flush_outbox_now();
    if (fds[1].revents & ~POLLOUT) read_server();
    if (fds[0].revents != 0) {
      int status;
      if (waitpid(child, &status, 0) == child) {
        if (!server_gone) (void)flush_outbox_blocking(); /* the last notices, before the end */
        exit_like(status);
      }
    }
  }
}
