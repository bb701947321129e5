/*
 * execward-sandbox-init: the first program inside the bubblewrap sandbox. It locks the syscall
 * surface down, then becomes the command.
 *
 * Usage: execward-sandbox-init [--bridge <fd> <port> <tag>]... [--exec-listener <fd>] -- <program> [args...]
 *
 * What it guards (ARCHITECTURE.md, invariants): bubblewrap gives namespaces and mounts, but a
 * sandboxed process can still connect() to any Unix socket it can see by path (docker.sock, the
 * ssh agent, the D-Bus session bus: each one a way out), and io_uring performs syscalls that a
 * seccomp filter never sees. Before exec'ing the command this installs, with no_new_privs, a
 * seccomp filter that every descendant inherits and cannot remove:
 *
 *   socket(AF_UNIX, ...)                          EPERM (socketpair stays allowed: the hook's
 *                                                 escalation channel needs it, and descriptors
 *                                                 inherited from outside keep working)
 *   io_uring_setup / io_uring_enter / _register   EPERM
 *   ioctl(fd, TIOCSTI | TIOCLINUX, ...)           EPERM (no typing into a terminal)
 *   unshare / clone with CLONE_NEWUSER            EPERM (no user namespace of its own, even
 *                                                 where bwrap lacks --disable-userns)
 *   clone3                                        ENOSYS (its flags sit behind a pointer the
 *                                                 filter cannot read; libc falls back to clone)
 *   keyctl / add_key / request_key                EPERM (the user's kernel keyrings are shared
 *                                                 with the host session)
 *   bpf / userfaultfd / perf_event_open           EPERM (attack surface, not tools)
 *   x32 syscalls, any other architecture          EPERM / killed
 *
 * Network bridge (`--bridge`): the sandbox has an empty network namespace; the proxy lives
 * outside. For each `--bridge FD PORT TAG` this listens on 127.0.0.1:PORT inside, and a bridge
 * process hands every accepted connection's descriptor, with the one-byte TAG, to the proxy over
 * the inherited datagram socket FD (SCM_RIGHTS). The proxy then talks to the sandboxed client
 * directly: no bytes are copied here, no Unix socket path exists, and the bridge needs nothing
 * the filter refuses, so it runs filtered like everything else. It is not dumpable (the command
 * cannot ptrace it) and dies with the command. The command never holds FD.
 *
 * Kernel exec backstop (`--exec-listener FD`): after the filter above, a second filter returns
 * SECCOMP_RET_USER_NOTIF for execve and execveat, so every exec in the sandbox, whoever makes it
 * (a static program, a raw system call, the dynamic loader run directly), waits in the kernel for
 * execward-exec-supervisor, which runs outside the sandbox. The filter's listener goes out over
 * the inherited socket FD (SCM_RIGHTS) and both are closed here: nothing in the sandbox can
 * answer for its own execs. This process's own exec of the command is the first one the
 * supervisor sees from this pid (the kernel tells it the sender's pid) and is let through. If
 * the kernel refuses the filter (no user notification), "N<reason>" goes out instead: the
 * supervisor says so on stderr, and the command runs with the exec hook only.
 *
 * Any failure here is fatal: the command never runs unfiltered or half-bridged.
 *
 * Linked statically, so the exec hook (LD_PRELOAD) never loads into it and its own exec of the
 * shell is not asked about: the shell is execward's choice, not the agent's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../common/escalate_client.h"

#define FAILURE_EXIT_STATUS 126

#if defined(__x86_64__)
#define EW_AUDIT_ARCH AUDIT_ARCH_X86_64
#define EW_X32_SYSCALL_BIT 0x40000000u
#elif defined(__aarch64__)
#define EW_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "execward-sandbox-init supports x86_64 and aarch64 only"
#endif

#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425
#define __NR_io_uring_enter 426
#define __NR_io_uring_register 427
#endif
#ifndef __NR_clone3
#define __NR_clone3 435
#endif

/* The low 32 bits of syscall argument i (both supported architectures are little-endian). */
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))

#define RET_ERRNO(err) (SECCOMP_RET_ERRNO | ((err) & SECCOMP_RET_DATA))

/*
 * A tiny BPF assembler: jumps are patched once the block they skip is emitted, so no jump
 * offset is counted by hand.
 */
#define PROGRAM_CAPACITY 64
struct program {
  struct sock_filter ins[PROGRAM_CAPACITY];
  unsigned short len;
};

static void fail(const char *what, int err);

static unsigned short emit(struct program *p, struct sock_filter ins) {
  if (p->len >= PROGRAM_CAPACITY) fail("seccomp program too long", 0);
  p->ins[p->len] = ins;
  return p->len++;
}

static void load(struct program *p, unsigned offset) {
  emit(p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offset));
}

static void ret(struct program *p, unsigned value) {
  emit(p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, value));
}

/* Starts "if (A <op> k) { ...block... }": returns the jump to patch when the block ends. */
static unsigned short begin_if(struct program *p, unsigned short op, unsigned k) {
  return emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | op | BPF_K, k, 0, 0));
}

static void end_if(struct program *p, unsigned short jump) {
  p->ins[jump].jf = (unsigned char)(p->len - jump - 1);
}

/*
 * if (nr == syscall && (arg <test> k)) return errno; else fall through. <test> is BPF_JEQ
 * (the argument equals k) or BPF_JSET (it has any bit of k).
 */
static void refuse_when_arg(struct program *p, unsigned nr, unsigned arg, unsigned short test, unsigned k, int err) {
  unsigned short is_call = begin_if(p, BPF_JEQ, nr);
  load(p, ARG_LO(arg));
  unsigned short matches = begin_if(p, test, k);
  ret(p, RET_ERRNO(err));
  end_if(p, matches);
  load(p, offsetof(struct seccomp_data, nr));
  end_if(p, is_call);
}

static void refuse(struct program *p, unsigned nr, int err) {
  unsigned short is_call = begin_if(p, BPF_JEQ, nr);
  ret(p, RET_ERRNO(err));
  end_if(p, is_call);
}

static void fail(const char *what, int err) {
  const char *prefix = "execward-sandbox-init: ";
  (void)!write(2, prefix, strlen(prefix));
  (void)!write(2, what, strlen(what));
  if (err != 0) {
    (void)!write(2, ": ", 2);
    const char *reason = strerror(err);
    (void)!write(2, reason, strlen(reason));
  }
  (void)!write(2, "\n", 1);
  _exit(FAILURE_EXIT_STATUS);
}

/* A filter's prologue: a system call of another architecture kills the process. */
static void only_native_arch(struct program *p) {
  load(p, offsetof(struct seccomp_data, arch));
  unsigned short native_arch = begin_if(p, BPF_JEQ, EW_AUDIT_ARCH);
  unsigned short skip_kill = emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 0));
  end_if(p, native_arch);
  ret(p, SECCOMP_RET_KILL_PROCESS);
  p->ins[skip_kill].k = (unsigned)(p->len - skip_kill - 1);
}

static void install_filter(void) {
  struct program p = {.len = 0};
  only_native_arch(&p);

  load(&p, offsetof(struct seccomp_data, nr));
#if defined(__x86_64__)
  /* x32 syscalls carry bit 30 and have numbers of their own: refuse them all. */
  unsigned short not_x32 = begin_if(&p, BPF_JSET, EW_X32_SYSCALL_BIT);
  ret(&p, RET_ERRNO(EPERM));
  end_if(&p, not_x32);
#endif
  refuse_when_arg(&p, __NR_socket, 0, BPF_JEQ, AF_UNIX, EPERM);
  refuse(&p, __NR_io_uring_setup, EPERM);
  refuse(&p, __NR_io_uring_enter, EPERM);
  refuse(&p, __NR_io_uring_register, EPERM);
  refuse(&p, __NR_clone3, ENOSYS);
  /* The kernel keyrings are per user, not per sandbox: keys stored there by the host session
   * (Kerberos tickets, cached credentials) must stay out of reach. */
  refuse(&p, __NR_keyctl, EPERM);
  refuse(&p, __NR_add_key, EPERM);
  refuse(&p, __NR_request_key, EPERM);
  /* Kernel attack surface no sandboxed tool needs. */
  refuse(&p, __NR_bpf, EPERM);
  refuse(&p, __NR_userfaultfd, EPERM);
  refuse(&p, __NR_perf_event_open, EPERM);
  refuse_when_arg(&p, __NR_ioctl, 1, BPF_JEQ, TIOCSTI, EPERM);
  refuse_when_arg(&p, __NR_ioctl, 1, BPF_JEQ, TIOCLINUX, EPERM);
  refuse_when_arg(&p, __NR_unshare, 0, BPF_JSET, CLONE_NEWUSER, EPERM);
  refuse_when_arg(&p, __NR_clone, 0, BPF_JSET, CLONE_NEWUSER, EPERM);
  ret(&p, SECCOMP_RET_ALLOW);

  struct sock_fprog fprog = {.len = p.len, .filter = p.ins};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("cannot set no_new_privs", errno);
  if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0 &&
      prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) != 0)
    fail("cannot install the seccomp filter", errno);
}

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_RET_USER_NOTIF
#define SECCOMP_RET_USER_NOTIF 0x7fc00000U
#endif

/*
 * Installs the exec backstop's filter and hands its listener to the supervisor over `channel`;
 * closes `channel`. Runs after install_filter (no_new_privs is set).
 */
static void install_exec_backstop(int channel) {
  struct program p = {.len = 0};
  only_native_arch(&p);
  load(&p, offsetof(struct seccomp_data, nr));
  unsigned short is_execve = begin_if(&p, BPF_JEQ, __NR_execve);
  ret(&p, SECCOMP_RET_USER_NOTIF);
  end_if(&p, is_execve);
  unsigned short is_execveat = begin_if(&p, BPF_JEQ, __NR_execveat);
  ret(&p, SECCOMP_RET_USER_NOTIF);
  end_if(&p, is_execveat);
  ret(&p, SECCOMP_RET_ALLOW);
  struct sock_fprog fprog = {.len = p.len, .filter = p.ins};
  int listener = (int)syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &fprog);
  if (listener < 0) {
    char why[256] = "N";
    const char *reason = strerror(errno);
    strncat(why, "the kernel refused a seccomp user-notification filter: ", sizeof why - strlen(why) - 1);
    strncat(why, reason, sizeof why - strlen(why) - 1);
    if (ew_send_with_fds(channel, why, strlen(why), NULL, 0) != 0) fail("exec backstop: cannot reach the supervisor", errno);
    close(channel);
    return;
  }
  const char yes = 'L';
  if (ew_send_with_fds(channel, &yes, 1, &listener, 1) != 0) fail("exec backstop: cannot hand over the listener", errno);
  close(listener);
  close(channel);
}

#define MAX_BRIDGES 4

struct bridge {
  int control_fd;
  int port;
  char tag;
  int listen_fd;
};

static int parse_int(const char *text, int max) {
  char *end = NULL;
  errno = 0;
  long value = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < 0 || value > max) return -1;
  return (int)value;
}

static void open_listener(struct bridge *b) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("bridge: socket", errno);
  int one = 1;
  (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)b->port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0) fail("bridge: bind 127.0.0.1", errno);
  if (listen(fd, 128) != 0) fail("bridge: listen", errno);
  b->listen_fd = fd;
}

/* Hands one accepted connection to the proxy; false when the proxy is gone. */
static int hand_over(int control_fd, char tag, int conn) {
  return ew_send_with_fds(control_fd, &tag, 1, &conn, 1) == 0;
}

static void run_bridge(struct bridge *bridges, int count) {
  struct pollfd fds[MAX_BRIDGES];
  for (int i = 0; i < count; i++) fds[i] = (struct pollfd){.fd = bridges[i].listen_fd, .events = POLLIN};
  for (;;) {
    if (poll(fds, (nfds_t)count, -1) < 0) {
      if (errno == EINTR) continue;
      _exit(FAILURE_EXIT_STATUS);
    }
    for (int i = 0; i < count; i++) {
      if ((fds[i].revents & POLLIN) == 0) continue;
      int conn = accept4(bridges[i].listen_fd, NULL, NULL, SOCK_CLOEXEC);
      if (conn < 0) continue;
      int delivered = hand_over(bridges[i].control_fd, bridges[i].tag, conn);
      close(conn);
      if (!delivered) _exit(0);
    }
  }
}

static void start_bridges(struct bridge *bridges, int count) {
  if (count == 0) return;
  for (int i = 0; i < count; i++) open_listener(&bridges[i]);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) fail("bridge: fork", errno);
  if (pid == 0) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || getppid() != parent) _exit(0);
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    /* Nothing of the command's: its terminal and pipes stay open only in the command. */
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull >= 0) {
      dup2(devnull, 0);
      dup2(devnull, 1);
    }
    run_bridge(bridges, count);
    _exit(0);
  }
  /* The command keeps neither the listeners nor the way to the proxy. */
  for (int i = 0; i < count; i++) {
    close(bridges[i].listen_fd);
    close(bridges[i].control_fd);
  }
}

int main(int argc, char **argv) {
  struct bridge bridges[MAX_BRIDGES];
  int bridge_count = 0;
  int first = 1;
  while (first < argc && strcmp(argv[first], "--bridge") == 0) {
    if (first + 3 >= argc || bridge_count == MAX_BRIDGES) fail("usage: --bridge <fd> <port> <tag>", 0);
    struct bridge *b = &bridges[bridge_count++];
    b->control_fd = parse_int(argv[first + 1], 1 << 20);
    b->port = parse_int(argv[first + 2], 65535);
    b->tag = argv[first + 3][0];
    if (b->control_fd < 3 || b->port <= 0 || b->tag == '\0' || argv[first + 3][1] != '\0' ||
        fcntl(b->control_fd, F_GETFD) < 0)
      fail("bad --bridge: want an inherited descriptor, a port and a one-character tag", 0);
    first += 4;
  }
  int exec_channel = -1;
  if (first + 1 < argc && strcmp(argv[first], "--exec-listener") == 0) {
    exec_channel = parse_int(argv[first + 1], 1 << 20);
    if (exec_channel < 3 || fcntl(exec_channel, F_GETFD) < 0) fail("bad --exec-listener: want an inherited descriptor", 0);
    first += 2;
  }
  if (first < argc && strcmp(argv[first], "--") == 0) first++;
  if (first >= argc) fail("usage: execward-sandbox-init [--bridge <fd> <port> <tag>]... -- <program> [args...]", 0);
  install_filter();
  if (exec_channel >= 0) install_exec_backstop(exec_channel);
  start_bridges(bridges, bridge_count);
  execvp(argv[first], argv + first);
  int err = errno;
  const char *prefix = "execward-sandbox-init: ";
  (void)!write(2, prefix, strlen(prefix));
  (void)!write(2, argv[first], strlen(argv[first]));
  (void)!write(2, ": ", 2);
  (void)!write(2, strerror(err), strlen(strerror(err)));
  (void)!write(2, "\n", 1);
  return err == ENOENT ? 127 : 126;
}
