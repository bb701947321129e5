/*
 * execward-escalated-launcher: the last step before an escalated program runs OUTSIDE the
 * sandbox. The server decided on one file (identified by device and inode, opened on the host);
 * this launcher starts exactly that file, with no second lookup of the program by path.
 *
 *   execward-escalated-launcher fd|script <host path> -- <argv0> [args...]
 *     descriptor 16: the judged program file (O_PATH, opened by the server on the host)
 *     descriptor 17: the verified working directory (O_PATH, opened by the server on the host)
 *     descriptors 0-15: the requester's, as the protocol placed them
 *
 *   fd       the program is executed from descriptor 16 (execveat AT_EMPTY_PATH): whatever
 *            happens to the path afterwards, the judged inode runs.
 *   script   a #! script: the kernel must hand the interpreter a path it can open, so the path is
 *            opened again and executed only if it is still the judged inode (the server only
 *            escalates scripts the sandbox cannot replace, or a human approved with the path shown).
 *
 * Failures are reported on the requester's stderr ("execward: could not start ...") with exit
 * status 127 (not found) or 126 (anything else), as a shell would. Static, no libc locale,
 * nothing read from the environment: the environment is the program's, set by the server.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PROGRAM_FD 16
#define CWD_FD 17

extern char **environ;

static void say(const char *a, const char *b, const char *c) {
  const char *parts[] = {"execward: could not start ", a, ": ", b, c, "\n"};
  for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
    const char *p = parts[i] == NULL ? "" : parts[i];
    size_t n = strlen(p);
    while (n > 0) {
      ssize_t k = write(2, p, n);
      if (k <= 0) return;
      p += k;
      n -= (size_t)k;
    }
  }
}

static int fail(const char *path, const char *what, int err) {
  say(path, what, err == 0 ? "" : strerror(err));
  _exit(err == ENOENT ? 127 : 126);
}

int main(int argc, char **argv) {
  if (argc < 5 || strcmp(argv[3], "--") != 0 ||
      (strcmp(argv[1], "fd") != 0 && strcmp(argv[1], "script") != 0)) {
    return fail("(launcher)", "usage: execward-escalated-launcher fd|script PATH -- ARGV0 [ARGS...]", 0);
  }
  const char *path = argv[2];
  char **program_argv = argv + 4;
  if (fchdir(CWD_FD) != 0) return fail(path, "cannot enter the working directory: ", errno);
  close(CWD_FD);
  if (fcntl(PROGRAM_FD, F_SETFD, FD_CLOEXEC) != 0) return fail(path, "no program descriptor: ", errno);
  if (strcmp(argv[1], "fd") == 0) {
    syscall(SYS_execveat, PROGRAM_FD, "", program_argv, environ, AT_EMPTY_PATH);
    return fail(path, "", errno);
  }
  struct stat judged, now;
  int fd = open(path, O_PATH | O_CLOEXEC);
  if (fd < 0 || fstat(PROGRAM_FD, &judged) != 0 || fstat(fd, &now) != 0) return fail(path, "", errno);
  if (judged.st_dev != now.st_dev || judged.st_ino != now.st_ino) {
    return fail(path, "the file changed after it was judged", 0);
  }
  close(fd);
  execve(path, program_argv, environ);
  return fail(path, "", errno);
}
